"""``dictate models …``: list, import, remove, default, scorer, download."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional, TextIO

from dictate.models.store import ModelStore

if TYPE_CHECKING:
    from dictate.models.catalog import CatalogFile
    from dictate.models.download import DownloadResult


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``models`` command and its sub-commands."""
    m = sub.add_parser("models", help="manage installed models")
    msub = m.add_subparsers(dest="models_command", metavar="ACTION")
    m.set_defaults(handler=cmd_list)

    ls = msub.add_parser("list", help="list installed models")
    ls.set_defaults(handler=cmd_list)

    imp = msub.add_parser("import", help="import a DeepSpeech .pb/.pbmm/.tflite or an OpenVINO .xml")
    imp.add_argument("path", metavar="PATH", help="model file")
    imp.add_argument("--name", dest="model_name", help="name to install it under (default: from the file)")
    imp.add_argument("--precision", default="f32", choices=("f32", "int8"),
                     help="weight storage (default: f32, exact; int8 is faster and smaller)")
    imp.add_argument("--scorer", metavar="SCORER", help="KenLM .scorer package to attach")
    imp.set_defaults(handler=cmd_import)

    rm = msub.add_parser("remove", help="delete an installed model")
    rm.add_argument("name", metavar="NAME")
    rm.set_defaults(handler=cmd_remove)

    de = msub.add_parser("default", help="choose the model used when none is given")
    de.add_argument("name", metavar="NAME")
    de.set_defaults(handler=cmd_default)

    sc = msub.add_parser("scorer", help="attach a .scorer to a model (or detach it with --none)")
    sc.add_argument("name", metavar="NAME")
    sc.add_argument("path", metavar="PATH", nargs="?", help="KenLM .scorer package")
    sc.add_argument("--none", action="store_true", help="detach and delete the model's scorer")
    sc.add_argument("--alpha", type=float, help="language model weight (default: from the scorer)")
    sc.add_argument("--beta", type=float, help="word insertion bonus (default: from the scorer)")
    sc.set_defaults(handler=cmd_scorer, parser=sc)

    dl = msub.add_parser("download", help="download and install an official DeepSpeech model")
    dl.add_argument("entry", metavar="NAME", nargs="?",
                    help="catalog entry, e.g. deepspeech-0.9.3 (omit to list them)")
    dl.add_argument("--name", dest="model_name", help="name to install it under (default: NAME)")
    dl.add_argument("--dir", metavar="DOWNLOAD_DIR",
                    help="keep the downloaded files in this folder (default: a temporary "
                         "folder in the data directory, emptied after a successful import)")
    dl.add_argument("--precision", default="f32", choices=("f32", "int8"),
                    help="weight storage of the installed model (default: f32)")
    dl.add_argument("--no-scorer", action="store_true", help="skip the 953 MB scorer")
    dl.set_defaults(handler=cmd_download)


# -- progress display -------------------------------------------------------------------


class ProgressBar:
    """``progress(bytes_done, total)`` drawn on a stream (stderr by default).

    On a terminal: one line redrawn in place (bar, percent, MB, speed), only when its text
    changes. Otherwise: a plain line every 10% (every 50 MB while the size is unknown).
    """

    SPEED_EVERY_S = 0.5

    def __init__(self, label: str, stream: Optional[TextIO] = None, width: int = 24) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.width = width
        self._text = ""
        self._step: Optional[int] = None
        self._speed: Optional[float] = None
        self._mark: Optional[tuple] = None  # (time, bytes) of the last speed sample
        self._drawn = False

    def _update_speed(self, done: int) -> None:
        now = time.monotonic()
        if self._mark is None:
            self._mark = (now, done)
            return
        t0, b0 = self._mark
        if now - t0 >= self.SPEED_EVERY_S:
            self._speed = max(done - b0, 0) / (now - t0)
            self._mark = (now, done)

    def render(self, done: int, total: Optional[int]) -> str:
        speed = f"  {self._speed / 1e6:.1f} MB/s" if self._speed is not None else ""
        if total:
            frac = min(done / total, 1.0)
            fill = int(frac * self.width)
            bar = "#" * fill + "-" * (self.width - fill)
            return (f"{self.label} [{bar}] {frac * 100:5.1f}%  "
                    f"{done / 1e6:.1f}/{total / 1e6:.1f} MB{speed}")
        return f"{self.label} {done / 1e6:.1f} MB{speed}"

    def __call__(self, done: int, total: Optional[int]) -> None:
        self._update_speed(done)
        if self.tty:
            text = self.render(done, total)
            if text != self._text:
                pad = " " * max(len(self._text) - len(text), 0)
                self.stream.write("\r" + text + pad)
                self.stream.flush()
                self._text = text
                self._drawn = True
            return
        step = int(done * 10 // total) if total else int(done // 50_000_000)
        if step != self._step:
            self._step = step
            self.stream.write(self.render(done, total) + "\n")
            self.stream.flush()

    def close(self) -> None:
        """End the in-place line (call once the download ends, however it ends)."""
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


class StageProgress:
    """The importer's ``progress(stage, fraction)``: a line per stage on the stream."""

    def __init__(self, stream: Optional[TextIO] = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._stage: Optional[str] = None
        self._text = ""

    def __call__(self, stage: str, fraction: float) -> None:
        if self.tty:
            text = f"{stage} {fraction * 100:3.0f}%"
            if text != self._text:
                if stage != self._stage and self._text:
                    self.stream.write("\n")
                    self._text = ""
                pad = " " * max(len(self._text) - len(text), 0)
                self.stream.write("\r" + text + pad)
                self.stream.flush()
                self._text = text
        elif stage != self._stage:
            self.stream.write(f"{stage}\n")
            self.stream.flush()
        self._stage = stage

    def close(self) -> None:
        if self.tty and self._text:
            self.stream.write("\n")
            self.stream.flush()
            self._text = ""


# -- handlers ---------------------------------------------------------------------------


def format_model_table(store: ModelStore) -> List[str]:
    """Lines of ``dictate models list``: header, one row per installed model, then problems."""
    from dictate.errors import DictateError

    default = store.default_name()
    rows = [("", "NAME", "VERSION", "N_HIDDEN", "PRECISION", "SCORER", "FOLDER")]
    problems: List[str] = []
    for name in store.names():
        try:
            spec = store.get(name)
        except DictateError as exc:  # one broken model.json must not hide the others
            rows.append(("!", name, "-", "-", "-", "-", str(store.folder(name))))
            problems.append(f"! {name}: {exc}")
            continue
        rows.append((
            "*" if spec.name == default else "",
            spec.name,
            spec.deepspeech_version or "-",
            str(spec.n_hidden) if spec.n_hidden is not None else "-",
            spec.precision,
            "yes" if spec.scorer_path is not None else "no",
            str(spec.folder or store.folder(spec.name)),
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    table = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1] for r in rows]
    return table + problems


def cmd_list(args: argparse.Namespace) -> int:
    store = ModelStore()
    if not store.names():
        print(f"No models installed in {store.models_dir}.")
        print("Get one with 'dictate models download deepspeech-0.9.3' or "
              "'dictate models import FILE'.")
        return 0
    for line in format_model_table(store):
        print(line.rstrip())
    print("(* = default)")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    store = ModelStore()
    was_default = store.default_name() == args.name
    store.remove(args.name)
    print(f"Removed model '{args.name}'.")
    if was_default:
        left = store.names()
        if store.default_name():
            print(f"'{store.default_name()}' is now the default model.")
        elif left:
            print(f"It was the default: choose another with 'dictate models default NAME' "
                  f"({', '.join(left)}).")
    return 0


def cmd_default(args: argparse.Namespace) -> int:
    ModelStore().set_default(args.name)
    print(f"'{args.name}' is now the default model.")
    return 0


def cmd_scorer(args: argparse.Namespace) -> int:
    if args.none == (args.path is not None):
        args.parser.error("give either a scorer PATH or --none")
    store = ModelStore()
    if args.none:
        store.set_scorer(args.name, None)
        print(f"Detached the scorer from '{args.name}'.")
        return 0
    spec = store.set_scorer(args.name, Path(args.path), args.alpha, args.beta)
    weights = ""
    if spec.lm_alpha is not None or spec.lm_beta is not None:
        weights = f" (alpha={spec.lm_alpha}, beta={spec.lm_beta})"
    print(f"Attached scorer '{args.path}' to '{args.name}'{weights}.")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from dictate.models.importer import import_model

    store = ModelStore()
    stages = StageProgress()
    try:
        spec = import_model(
            Path(args.path).expanduser(),
            name=args.model_name,
            precision=args.precision,
            scorer=Path(args.scorer).expanduser() if args.scorer else None,
            store=store,
            progress=stages,
        )
    finally:
        stages.close()
    print(f"Installed model '{spec.name}' in {spec.folder or store.folder(spec.name)}")
    return 0


def print_catalog() -> None:
    from dictate.models import catalog

    print("Models available for download:")
    for entry in catalog.entries():
        print(f"  {entry.name:<24} {entry.description}")
    print("Download one with 'dictate models download NAME'.")


def cmd_download(args: argparse.Namespace) -> int:
    from dictate.models.download import install_from_catalog

    if args.entry is None:
        print_catalog()
        return 0
    bars: Dict[str, ProgressBar] = {}

    def progress(item: CatalogFile, done: int, total: Optional[int]) -> None:
        if item.filename not in bars:
            bars[item.filename] = ProgressBar(item.filename)
        bars[item.filename](done, total)

    def file_done(item: CatalogFile, result: DownloadResult) -> None:
        bar = bars.pop(item.filename, None)
        if bar is not None:
            bar.close()
        if result.reused:
            print(f"Using {result.path} (already downloaded).", file=sys.stderr)
        if not result.verified:
            print(f"{item.filename}: sha256 {result.sha256} (none published; recorded "
                  f"with the model)", file=sys.stderr)

    store = ModelStore()
    stages = StageProgress()
    try:
        spec = install_from_catalog(
            args.entry,
            args.model_name,
            download_dir=args.dir,
            precision=args.precision,
            with_scorer=not args.no_scorer,
            store=store,
            progress=progress,
            file_done=file_done,
            import_progress=stages,
        )
    finally:
        for bar in bars.values():
            bar.close()
        stages.close()
    print(f"Installed model '{spec.name}' in {spec.folder or store.folder(spec.name)}")
    return 0

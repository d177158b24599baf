"""Install the exported demo model through dictate's importer, like a user's model (app venv).

    .venv/bin/python tools/train/install.py --precision f32 --bundle [--scorer S --alpha A --beta B]
    .venv/bin/python tools/train/install.py --precision int8          # -> <work>/builds/demo-en-int8

``dictate.models.importer.import_model`` converts the frozen ``.pb`` to the fast IR, runs its
self-check against the reference conversion and installs it, with the scorer, into a
temporary model store; the installed folder is then copied to ``resources/models/demo-en``
(``--bundle``) or to ``<work>/builds/demo-en-<precision>``. ``MODEL_CARD.md`` in the bundle
folder is kept.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import MODEL_DIR, work_dir  # noqa: E402

KEEP = {"MODEL_CARD.md"}


def install(
    pb: Path,
    precision: str,
    target: Path,
    scorer: Optional[Path],
    alpha: Optional[float],
    beta: Optional[float],
) -> None:
    """Import ``pb`` into a scratch store and copy the model folder to ``target``."""
    from dictate.models.importer import import_model
    from dictate.models.store import ModelStore

    with tempfile.TemporaryDirectory() as tmp:
        store = ModelStore(Path(tmp))
        name = "demo-en" if precision == "f32" else f"demo-en-{precision}"
        import_model(
            pb,
            name=name,
            precision=precision,
            scorer=scorer,
            store=store,
            progress=lambda stage, f: print(f"  {stage} {f:.0%}", flush=True),
        )
        if scorer is not None and (alpha is not None or beta is not None):
            store.set_scorer(name, store.folder(name) / "model.scorer", alpha, beta)
        source = store.folder(name)
        target.mkdir(parents=True, exist_ok=True)
        for old in target.iterdir():
            if old.name not in KEEP:
                old.unlink() if old.is_file() else shutil.rmtree(old)
        for item in source.iterdir():
            shutil.copyfile(item, target / item.name)
            (target / item.name).chmod(0o644)
    data = json.loads((target / "model.json").read_text(encoding="utf-8"))
    data["source"]["notes"] = data["source"].get("notes", []) + [
        "demo model trained by the dictate project on synthetic speech (tools/train)"
    ]
    (target / "model.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    sizes = {p.name: p.stat().st_size for p in target.iterdir()}
    print(f"installed {precision} into {target}: {sizes}, {sum(sizes.values()) / 1e6:.2f} MB")


def main(argv: List[str] | None = None) -> int:
    """Import and place the model."""
    root = work_dir()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pb", type=Path, default=root / "export" / "demo-en.pb")
    parser.add_argument("--precision", choices=["f32", "int8"], default="f32")
    parser.add_argument("--bundle", action="store_true", help="install into resources/models/demo-en")
    parser.add_argument("--scorer", type=Path, default=None)
    parser.add_argument("--alpha", type=float, default=None)
    parser.add_argument("--beta", type=float, default=None)
    parser.add_argument("--out", type=Path, default=None, help="default: <work>/builds/demo-en-PRECISION")
    args = parser.parse_args(argv)
    target = MODEL_DIR if args.bundle else args.out or root / "builds" / f"demo-en-{args.precision}"
    install(args.pb, args.precision, target, args.scorer, args.alpha, args.beta)
    return 0


if __name__ == "__main__":
    sys.exit(main())

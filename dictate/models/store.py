"""Installed models: one folder each under the user data directory (see platformdirs).

Layout::

    <data dir>/store.json              {"default": "<name>"}
    <data dir>/models/<name>/          model.xml, model.bin, model.json, optional model.scorer
    <data dir>/models/.<…>/            staging and trash folders (never listed)

A folder counts as an installed model only if it holds ``model.json`` and its name does not
start with ``.``. New models are written into a staging folder by :meth:`ModelStore.install`
and renamed into place only when complete, so an interrupted import or download never leaves
a model that looks installed; staging folders left by a killed process are removed by the
next install.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import platformdirs

from dictate.errors import ModelError
from dictate.models.spec import MODEL_JSON, ModelSpec, load_spec
from dictate.processes import pid_alive
from dictate.resources import resource_path

APP_NAME = "dictate"
DATA_DIR_ENV = "DICTATE_DATA_DIR"
BUNDLED_MODEL_ENV = "DICTATE_BUNDLED_MODEL"
SETTINGS_FILE = "store.json"
SCORER_FILE = "model.scorer"

MAX_NAME_LENGTH = 64
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
STAGING_PREFIX = ".staging-"
TRASH_PREFIX = ".trash-"
# A staging folder whose process is gone is stale at once; one whose pid still runs (or
# may have been reused) only after this long. Where liveness cannot be checked (Windows),
# only the age counts.
STALE_AFTER_S = 24 * 3600.0
STALE_UNKNOWN_PID_AFTER_S = 3600.0


def data_dir() -> Path:
    """The user data folder (``$DICTATE_DATA_DIR`` overrides it, e.g. in tests)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def bundled_model() -> Optional[ModelSpec]:
    """The demo model shipped in ``resources/models/demo-en``, if present.

    ``$DICTATE_BUNDLED_MODEL`` overrides its folder; set to an empty string it hides it
    (tests of the no-model path).
    """
    override = os.environ.get(BUNDLED_MODEL_ENV)
    if override is not None:
        folder = Path(override) if override else None
    else:
        folder = resource_path("models", "demo-en")
    if folder is not None and (folder / MODEL_JSON).is_file():
        return load_spec(folder)
    return None


def validate_name(name: str) -> str:
    """``name`` if valid (letters, digits, ``.`` ``_`` ``-``), else ModelError."""
    if not isinstance(name, str) or not name:
        raise ModelError("A model name cannot be empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise ModelError(
            f"The model name '{name}' is too long (at most {MAX_NAME_LENGTH} characters)."
        )
    if not NAME_PATTERN.match(name):
        raise ModelError(
            f"'{name}' is not a valid model name: use letters, digits, '.', '_' and '-', "
            f"starting with a letter or digit (e.g. deepspeech-0.9.3)."
        )
    return name


def write_json_atomic(path: Path, data: Dict[str, Any]) -> None:
    """Write JSON to ``path`` through a temporary file and ``os.replace``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(data, indent=2) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_spec_atomic(spec: ModelSpec, folder: Path) -> Path:
    """Like ``spec.write(folder)`` but readers never see a half-written ``model.json``."""
    spec.folder = folder
    path = folder / MODEL_JSON
    write_json_atomic(path, spec.to_json())
    return path


def install_scorer(
    folder: Path,
    spec: ModelSpec,
    scorer_path: os.PathLike,
    alpha: Optional[float] = None,
    beta: Optional[float] = None,
) -> ModelSpec:
    """Check a ``.scorer`` against ``spec``'s alphabet, copy it into ``folder``, record it.

    Works on an installed model's folder and on a staging folder alike (the importer can
    use it). The copy goes through a temporary file and ``os.replace``; ``model.json`` is
    rewritten atomically. Raises ScorerError if the scorer does not load, ModelError if
    it cannot be copied.
    """
    from dictate.engine.decoder import load_scorer, make_alphabet, probe_scorer

    source = Path(scorer_path).expanduser()
    if source.is_file():
        probe_scorer(source, spec.alphabet)
    load_scorer(source, make_alphabet(spec.alphabet), alpha, beta)  # ScorerError if unusable
    target = folder / SCORER_FILE
    if not _same_file(source, target):
        fd, tmp = tempfile.mkstemp(prefix=f".{SCORER_FILE}.", suffix=".tmp", dir=str(folder))
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, OSError):
                what = f"Cannot copy scorer '{source}' into '{folder}'"
                raise _disk_error(exc, what, source) from exc
            raise
    spec.scorer_path = target
    spec.lm_alpha = None if alpha is None else float(alpha)
    spec.lm_beta = None if beta is None else float(beta)
    write_spec_atomic(spec, folder)
    return spec


def _same_file(a: Path, b: Path) -> bool:
    try:
        return b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _disk_error(exc: OSError, what: str, source: Optional[Path] = None) -> ModelError:
    if exc.errno == errno.ENOSPC:
        need = ""
        if source is not None:
            with contextlib.suppress(OSError):
                need = f": need {source.stat().st_size / 1e6:.0f} MB"
        return ModelError(f"{what}: not enough disk space{need}.")
    return ModelError(f"{what}: {exc.strerror or exc}.")


class ModelStore:
    """The installed models in ``<data dir>/models/<name>/``.

    Safe to use from a worker thread; all methods are blocking file operations and report
    problems as :class:`ModelError` (or :class:`ScorerError` for scorers).
    """

    def __init__(self, root: Optional[Path] = None) -> None:
        self.root = Path(root) if root else data_dir()
        self.models_dir = self.root / "models"

    # -- reading ------------------------------------------------------------------------

    def folder(self, name: str) -> Path:
        """Where the model ``name`` lives (or would live)."""
        return self.models_dir / validate_name(name)

    def names(self) -> List[str]:
        """Names of the installed models, sorted."""
        if not self.models_dir.is_dir():
            return []
        return sorted(
            p.name
            for p in self.models_dir.iterdir()
            if not p.name.startswith(".") and (p / MODEL_JSON).is_file()
        )

    def has(self, name: str) -> bool:
        """Whether a model of that name is installed."""
        return name in self.names()

    def get(self, name: str) -> ModelSpec:
        """The installed model ``name``."""
        if not self.has(name):
            installed = ", ".join(self.names()) or "none"
            raise ModelError(f"No installed model '{name}' (installed: {installed}).")
        return load_spec(self.models_dir / name)

    def list(self) -> List[ModelSpec]:
        """All installed models."""
        return [self.get(n) for n in self.names()]

    def _settings(self) -> dict:
        path = self.root / SETTINGS_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def default_name(self) -> Optional[str]:
        """The chosen default, else the only installed model, else None."""
        chosen = self._settings().get("default")
        names = self.names()
        if chosen in names:
            return chosen
        return names[0] if len(names) == 1 else None

    def default(self) -> Optional[ModelSpec]:
        """The default installed model, if any."""
        name = self.default_name()
        return self.get(name) if name else None

    # -- changing -----------------------------------------------------------------------

    def set_default(self, name: Optional[str]) -> None:
        """Make the installed model ``name`` the default (None clears the choice)."""
        if name is not None:
            self.get(validate_name(name))  # must be installed
        settings = self._settings()
        settings["default"] = name
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            write_json_atomic(self.root / SETTINGS_FILE, settings)
        except OSError as exc:
            raise _disk_error(exc, f"Cannot save the default model in '{self.root}'") from exc

    @contextlib.contextmanager
    def install(self, name: str, replace: bool = False) -> Iterator[Path]:
        """Stage a new model; it appears under ``name`` only if the block completes.

        Yields an empty staging folder inside ``models/`` (hidden: its name starts with
        ``.``). Write the IR and ``model.json`` into it; when the ``with`` block ends without
        an exception the folder is checked (``model.json`` loads, the IR is there) and renamed
        into place. On any exception, including KeyboardInterrupt, the staging folder is
        deleted and nothing is installed. An existing model of that name is an error unless
        ``replace`` is true, in which case the old folder is swapped out by renames and then
        deleted. ``model.json``'s ``name`` is set to ``name``.

        Usage::

            with store.install("my-model") as folder:
                save_ir(model, folder)
                ModelSpec(name="my-model", ir_path=folder / "model.xml").write(folder)
            spec = store.get("my-model")
        """
        validate_name(name)
        target = self.models_dir / name
        if not replace and target.exists():
            what = (
                f"A model named '{name}' is already installed in '{target}'"
                if (target / MODEL_JSON).is_file()
                else f"The folder '{target}' is in the way (it holds no {MODEL_JSON}: a broken model)"
            )
            raise ModelError(f"{what}. Remove it with 'dictate models remove {name}' or choose another name.")
        try:
            self.models_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _disk_error(exc, f"Cannot create the model folder '{self.models_dir}'") from exc
        self.clean_stale()
        prefix = f"{STAGING_PREFIX}{os.getpid()}-{name}-"
        staging = Path(tempfile.mkdtemp(prefix=prefix, dir=str(self.models_dir)))
        try:
            yield staging
            self._commit(staging, name, replace)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def _commit(self, staging: Path, name: str, replace: bool) -> None:
        if not (staging / MODEL_JSON).is_file():
            raise ModelError(f"The model '{name}' was not installed: no {MODEL_JSON} was written.")
        spec = load_spec(staging)  # ModelError if model.json or the IR is broken
        if spec.name != name:
            spec.name = name
            write_spec_atomic(spec, staging)
        target = self.models_dir / name
        old: Optional[Path] = None
        if target.exists():
            if not replace:
                raise ModelError(f"A model named '{name}' was installed meanwhile in '{target}'.")
            old = self._to_trash(target, name)
        try:
            os.replace(staging, target)
        except OSError as exc:
            if old is not None:
                with contextlib.suppress(OSError):
                    os.replace(old, target)
            raise ModelError(
                f"Cannot install the model '{name}' into '{target}': {exc.strerror or exc}."
            ) from exc
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        with contextlib.suppress(ModelError):  # installed either way; the choice can be made later
            self._keep_a_default(name)

    def _keep_a_default(self, installed: str) -> None:
        """Make the default explicit when a model arrives, so a second one never leaves it open.

        The model that was the default (the only one installed) stays it; with none before,
        the new one becomes it.
        """
        names = self.names()
        if self._settings().get("default") in names:
            return
        others = [n for n in names if n != installed]
        self.set_default(others[0] if len(others) == 1 else installed)

    def _to_trash(self, folder: Path, name: str) -> Path:
        """Rename ``folder`` to a hidden name (atomic: it stops looking installed at once)."""
        trash = self.models_dir / f"{TRASH_PREFIX}{os.getpid()}-{name}-{time.time_ns()}"
        try:
            os.replace(folder, trash)
        except OSError as exc:
            raise ModelError(
                f"Cannot move the model '{name}' out of '{folder}': {exc.strerror or exc}. "
                f"Close anything that uses it and try again."
            ) from exc
        return trash

    def remove(self, name: str) -> None:
        """Delete the installed model ``name`` (also a broken folder of that name)."""
        target = self.models_dir / validate_name(name)
        if not target.is_dir():
            installed = ", ".join(self.names()) or "none"
            raise ModelError(f"No installed model '{name}' (installed: {installed}).")
        trash = self._to_trash(target, name)
        shutil.rmtree(trash, ignore_errors=True)
        if self._settings().get("default") == name:
            left = self.names()
            self.set_default(left[0] if len(left) == 1 else None)  # several left: the user chooses

    def set_scorer(
        self,
        name: str,
        scorer_path: Optional[os.PathLike],
        alpha: Optional[float] = None,
        beta: Optional[float] = None,
    ) -> ModelSpec:
        """Attach a ``.scorer`` to the model ``name`` (copied into its folder), or detach it.

        The scorer must load with the model's alphabet (ScorerError otherwise). ``alpha`` and
        ``beta`` override the values in the scorer's header (None keeps those). A ``None``
        path detaches and deletes the model's scorer. Returns the updated spec.
        """
        spec = self.get(validate_name(name))
        folder = self.models_dir / name
        if scorer_path is not None:
            return install_scorer(folder, spec, scorer_path, alpha, beta)
        old = spec.scorer_path
        spec.scorer_path = None
        spec.lm_alpha = spec.lm_beta = None
        write_spec_atomic(spec, folder)
        if old is not None and old.parent == folder:
            with contextlib.suppress(OSError):
                old.unlink()
        return spec

    def clean_stale(self) -> List[Path]:
        """Delete staging/trash folders left by processes that were killed; returns them."""
        removed: List[Path] = []
        if not self.models_dir.is_dir():
            return removed
        now = time.time()
        for p in self.models_dir.iterdir():
            if not (p.name.startswith(STAGING_PREFIX) or p.name.startswith(TRASH_PREFIX)):
                continue
            try:
                age = now - p.stat().st_mtime
            except OSError:
                continue
            pid_text = p.name.split("-", 2)[1] if p.name.count("-") >= 2 else ""
            pid = int(pid_text) if pid_text.isdigit() else None
            alive = pid_alive(pid) if pid is not None else None
            if pid == os.getpid():
                stale = False  # another thread of this process may be using it
            elif alive is False:
                stale = True
            elif alive is None:
                stale = age > STALE_UNKNOWN_PID_AFTER_S
            else:
                stale = age > STALE_AFTER_S
            if stale:
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p)
        return removed

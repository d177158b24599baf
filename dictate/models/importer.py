"""Import DeepSpeech model files into the model store.

Accepted: a frozen graph (``.pb``, DeepSpeech 0.6-0.9 native-client export), TF's memmapped
package (``.pbmm``), a float or dynamic-range int8 ``.tflite`` (0.7-0.9), or an OpenVINO IR
(``.xml`` with its ``.bin``, installed as it is). Any LSTM width.

For DeepSpeech files every import makes two conversions (see :mod:`dictate.models.convert`):
OpenVINO's reference conversion and the fast graph built from the extracted weights. The
self-check (:mod:`dictate.models.selfcheck`) runs both and refuses to install when they
disagree. What is installed is the fast graph (``conversion: "fast"``) with f32 or per-channel
int8 weights, saved with f32 constants (never the FP16 default of ``ov.save_model``), plus
``model.json`` (alphabet, beam width, sample rate from the file's metadata) and the optional
scorer, written through :meth:`ModelStore.install` so an interrupted or refused import leaves
nothing behind.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import struct
import tempfile
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import openvino as ov

from dictate.engine.acoustic import AcousticModel, RunnerSettings
from dictate.errors import ModelError
from dictate.models.convert import FAST_PRECISIONS, fast_model, reference_from_pb, reference_from_tflite
from dictate.models.formats.common import SourceModel, check_features, model_error
from dictate.models.formats.pb import STATE_C_GATHER, GraphDef, read_pb
from dictate.models.formats.pbmm import is_pbmm, read_directory, read_pbmm
from dictate.models.formats.tflite import FILE_IDENTIFIER, is_quantized, read_tflite
from dictate.models.ir import IR_XML, save_ir
from dictate.models.selfcheck import CheckResult, check_against, check_int8, reference_run
from dictate.models.spec import MODEL_JSON, ModelSpec, load_spec
from dictate.models.store import ModelStore, install_scorer, validate_name, write_spec_atomic

Progress = Callable[[str, float], None]

FORMATS = ("pb", "pbmm", "tflite", "ir")
# Published checksums of official files whose name may have been changed.
KNOWN_SHA256 = {
    "f1ad4347b276b7f0f35bc47954feb7240fad913f3a1b85605628ab6d6209b0c9": "0.8.2",
}
VERSION_IN_NAME = re.compile(r"deepspeech[-_]?v?(\d+\.\d+\.\d+)", re.IGNORECASE)


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def detect_format(path: Path) -> str:
    """``pb``, ``pbmm``, ``tflite`` or ``ir``, from the extension and the file's bytes."""
    suffix = path.suffix.lower()
    if suffix == ".xml":
        return "ir"
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8)
        f.seek(max(0, size - 8))
        tail = f.read(8)
    if head[4:8] == FILE_IDENTIFIER:
        return "tflite"
    looks_pbmm = is_pbmm(tail, size)  # a plausible directory offset at the end
    looks_pb = head[:1] == b"\x0a"  # starts like a GraphDef (field 1, length-delimited: a node)
    if suffix == ".pbmm":  # a renamed .pb is still read
        return "pbmm" if looks_pbmm or not looks_pb else "pb"
    if suffix == ".pb":
        return "pb" if looks_pb or not looks_pbmm else "pbmm"
    if suffix == ".tflite":
        return "tflite"
    if looks_pbmm:
        try:
            read_directory(memoryview(path.read_bytes()), path)
            return "pbmm"
        except ModelError:
            pass
    if looks_pb and suffix not in (".txt", ".json", ".scorer", ".wav", ".bin"):
        return "pb"
    raise model_error(
        path, "unsupported file type (expected a DeepSpeech .pb, .pbmm or .tflite, or an OpenVINO .xml)"
    )


def default_name(path: Path, precision: str) -> str:
    """``deepspeech-0.9.3-models.tflite`` → ``deepspeech-0.9.3`` (``-int8`` for int8)."""
    stem = path.stem
    if stem.lower().endswith("-models"):
        stem = stem[: -len("-models")]
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._") or "model"
    if not name[0].isalnum():
        name = "m" + name
    if precision == "int8" and not name.endswith("-int8"):
        name += "-int8"
    return name[:64]


def deepspeech_version(path: Path, sha256: str) -> Optional[str]:
    match = VERSION_IN_NAME.search(path.name)
    if match:
        return match.group(1)
    return KNOWN_SHA256.get(sha256)


def _report(progress: Optional[Progress], stage: str, fraction: float) -> None:
    if progress is not None:
        progress(stage, fraction)


def read_source(path: Path, fmt: str) -> Tuple[SourceModel, object]:
    """The file's weights, metadata and interface, plus its parsed form for the reference."""
    reader = {"pb": read_pb, "pbmm": read_pbmm, "tflite": read_tflite}[fmt]
    try:
        return reader(path)
    except (ValueError, IndexError, KeyError, OverflowError, MemoryError, struct.error) as exc:
        raise model_error(path, f"the file is damaged or not a DeepSpeech {fmt} ({exc})") from exc


def reference_model(source: SourceModel, parsed: object, workdir: Path) -> ov.Model:
    """OpenVINO's reference conversion of the file."""
    if source.format == "tflite":
        return reference_from_tflite(source.path)
    assert isinstance(parsed, GraphDef)
    has_gather = parsed.get(STATE_C_GATHER) is not None
    if source.format == "pbmm":
        pb = workdir / "restored.pb"
        pb.write_bytes(parsed.serialize())
        return reference_from_pb(pb, source.n_steps, has_gather)
    return reference_from_pb(source.path, source.n_steps, has_gather)


def convert_checked(
    source: SourceModel, parsed: object, precision: str, progress: Optional[Progress] = None
) -> Tuple[ov.Model, List[CheckResult]]:
    """The fast model for ``precision``, after the self-check against the reference."""
    try:
        return _convert_checked(source, parsed, precision, progress)
    except RuntimeError as exc:  # OpenVINO's errors, from a graph our reader let through
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise model_error(source.path, f"OpenVINO cannot convert or run it ({first[:300]})") from exc


def _convert_checked(
    source: SourceModel, parsed: object, precision: str, progress: Optional[Progress]
) -> Tuple[ov.Model, List[CheckResult]]:
    _report(progress, "converting (OpenVINO reference)", 0.2)
    with tempfile.TemporaryDirectory(prefix="dictate-import-") as tmp:
        try:
            reference = reference_model(source, parsed, Path(tmp))
        except ModelError as exc:
            raise model_error(source.path, str(exc)) from exc
    _report(progress, "converting (fast graph)", 0.4)
    fast_f32 = fast_model(source.weights, source.n_steps, "f32")
    _report(progress, "self-check", 0.55)
    try:
        expected = reference_run(reference)
    except ModelError as exc:
        raise model_error(source.path, f"the reference conversion does not run: {exc}") from exc
    del reference
    results = [_checked(source, fast_f32, "f32", expected)]
    final = fast_f32
    if precision == "int8":
        del fast_f32
        final = fast_model(source.weights, source.n_steps, "int8")
        try:
            check, cost = check_int8(final, source.weights, source.n_steps, expected)
        except ModelError as exc:
            raise model_error(source.path, str(exc)) from exc
        results.append(check)
        _report(
            progress,
            f"note: int8 quantization changes the outputs by up to {cost.probs:.2g} (probabilities) "
            f"and {cost.state:.2g} (LSTM state) on the check's random input",
            0.8,
        )
        results.append(CheckResult(cost.probs, cost.c, cost.h, "int8_vs_f32"))
    return final, results


def _checked(source: SourceModel, model: ov.Model, precision: str, expected) -> CheckResult:
    try:
        return check_against(model, expected, precision)
    except ModelError as exc:
        raise model_error(source.path, str(exc)) from exc


def import_model(
    path: Path,
    name: Optional[str] = None,
    precision: str = "f32",
    scorer: Optional[Path] = None,
    store: Optional[ModelStore] = None,
    progress: Optional[Callable[[str, float], None]] = None,
    source_sha256: Optional[str] = None,
) -> ModelSpec:
    """Convert, check and install a DeepSpeech model file; returns the installed model's spec.

    ``precision`` is the weight storage of the installed graph: ``"f32"`` (exact) or
    ``"int8"`` (per-channel, ~4x smaller and faster). ``progress(stage, fraction)`` is called
    as the import goes on. Raises ModelError (naming the file and the problem) for missing,
    unsupported or damaged files, a name already taken, or a failed self-check; ScorerError
    if the scorer does not load. Nothing is installed unless everything succeeded.
    """
    path = Path(path).expanduser()
    store = store or ModelStore()
    if precision not in FAST_PRECISIONS:
        raise ModelError(
            f"Unknown precision '{precision}' for importing '{path}' (choose {', '.join(FAST_PRECISIONS)})."
        )
    if not path.is_file():
        raise model_error(path, "no such file" if not path.exists() else "not a file")
    if scorer is not None and not Path(scorer).expanduser().is_file():
        raise ModelError(f"Cannot use scorer '{scorer}': no such file.")
    name = validate_name(name or default_name(path, precision))
    if store.has(name):
        raise ModelError(
            f"A model named '{name}' is already installed. Remove it with "
            f"'dictate models remove {name}' or choose another name."
        )
    _report(progress, "reading", 0.0)
    fmt = detect_format(path)
    sha256 = source_sha256 or sha256_of(path)
    if fmt == "ir":
        return _import_ir(path, name, precision, scorer, store, progress, sha256)

    source, parsed = read_source(path, fmt)
    check_features(source.metadata, path)
    if len(source.metadata.alphabet) != source.n_classes - 1:
        raise model_error(
            path,
            f"its alphabet has {len(source.metadata.alphabet)} labels but the model outputs "
            f"{source.n_classes} classes (labels + blank)",
        )
    notes = list(source.notes)
    if fmt == "tflite" and is_quantized(parsed):  # type: ignore[arg-type]
        how = "dequantized to float32" if precision == "f32" else "dequantized, then re-quantized per channel"
        notes.append(f"the .tflite's int8 weights were {how}")
    for note in notes:
        _report(progress, f"note: {note}", 0.1)
    model, checks = convert_checked(source, parsed, precision, progress)
    del parsed

    _report(progress, "installing", 0.85)
    meta = source.metadata
    info: Dict[str, object] = {
        "file": path.name,
        "sha256": sha256,
        "format": fmt,
        "self_check": {c.precision: {"probs": c.probs, "state": c.state} for c in checks},
    }
    if meta.graph_version is not None:
        info["graph_version"] = meta.graph_version
    if meta.language:
        info["language"] = meta.language
    if notes:
        info["notes"] = notes
    with store.install(name) as folder:
        xml = save_ir(model, folder)
        spec = ModelSpec(
            name=name,
            ir_path=xml,
            alphabet=list(meta.alphabet),
            sample_rate=meta.sample_rate,
            beam_width=meta.beam_width,
            n_hidden=source.n_hidden,
            precision=precision,
            conversion="fast",
            deepspeech_version=deepspeech_version(path, sha256),
            source=info,
        )
        write_spec_atomic(spec, folder)
        if scorer is not None:
            install_scorer(folder, spec, Path(scorer).expanduser())
    _report(progress, "done", 1.0)
    return store.get(name)


def _ir_precision(model: ov.Model) -> str:
    types = {
        op.get_output_element_type(0).get_type_name()
        for op in model.get_ops()
        if op.get_type_name() == "Constant" and op.get_output_size() == 1
    }
    if "i8" in types or "u8" in types:
        return "int8"
    return "f16" if "f16" in types else "f32"


def _import_ir(
    path: Path,
    name: str,
    precision: str,
    scorer: Optional[Path],
    store: ModelStore,
    progress: Optional[Progress],
    sha256: str,
) -> ModelSpec:
    """Install an OpenVINO IR as it is, after checking that it runs like a DeepSpeech model."""
    bin_path = path.with_suffix(".bin")
    if not bin_path.is_file():
        raise model_error(path, f"its weights file '{bin_path.name}' is missing")
    core = ov.Core()
    try:
        model = core.read_model(str(path))
    except RuntimeError as exc:
        raise model_error(path, f"OpenVINO cannot read it: {exc}") from exc
    stored = _ir_precision(model)
    if precision != "f32" and precision != stored:
        raise model_error(
            path, f"an OpenVINO IR is installed as it is; its weights are {stored}, not {precision}"
        )
    _report(progress, "checking", 0.3)
    try:
        acoustic = AcousticModel(model, RunnerSettings(precision="f32"), core)
    except ModelError as exc:
        raise model_error(path, str(exc)) from exc
    rng = np.random.default_rng(0)
    state = acoustic.new_state()
    for _ in range(2):
        probs = state.step(rng.normal(0, 2, (acoustic.n_steps, 19, 26)).astype(np.float32))
        if not np.all(np.isfinite(probs)) or np.abs(probs.sum(axis=1) - 1).max() > 1e-3:
            raise model_error(path, "its 'logits' output is not a probability distribution")
    base = ModelSpec(name=name, ir_path=path)
    sibling = path.parent / MODEL_JSON
    if sibling.is_file():
        try:
            found = load_spec(path.parent)
            if found.ir_path.resolve() == path.resolve():
                base = found
        except ModelError:
            pass
    if len(base.alphabet) != acoustic.n_classes - 1:
        raise model_error(
            path,
            f"it outputs {acoustic.n_classes} classes, which does not fit the alphabet of "
            f"{len(base.alphabet)} labels",
        )
    info = {"file": path.name, "sha256": sha256, "format": "ir"}
    _report(progress, "installing", 0.8)
    with store.install(name) as folder:
        shutil.copyfile(path, folder / IR_XML)
        shutil.copyfile(bin_path, (folder / IR_XML).with_suffix(".bin"))
        spec = ModelSpec(
            name=name,
            ir_path=folder / IR_XML,
            feature_profile=base.feature_profile,
            alphabet=list(base.alphabet),
            sample_rate=base.sample_rate,
            beam_width=base.beam_width,
            n_hidden=acoustic.n_hidden,
            precision=stored,
            conversion=base.conversion if base.conversion != "unknown" else "ir",
            deepspeech_version=base.deepspeech_version,
            source=info,
        )
        write_spec_atomic(spec, folder)
        if scorer is not None:
            install_scorer(folder, spec, Path(scorer).expanduser())
    _report(progress, "done", 1.0)
    return store.get(name)

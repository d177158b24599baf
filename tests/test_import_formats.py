"""Importing DeepSpeech stand-ins (.pb, .pbmm, float and int8 .tflite) against TF's outputs.

The stand-ins in ``tests/fixtures/standins`` have DeepSpeech 0.8/0.9's exact graph structure
and names at n_hidden 64 with random weights; ``reference.npz`` holds what TensorFlow (session
on the .pb) and the TF Lite interpreter computed for 3 blocks of 16 frames with the LSTM
state carried (``tools/reference/make_standins.py``).

Tolerances (max abs difference over the 3 blocks, probabilities and LSTM state):

* float files, f32: 1e-5 (measured ~1e-7 probabilities, ~5e-7 state), for the installed
  fast graph and for OpenVINO's reference conversion alike.
* int8 (an int8 .tflite against the TF Lite interpreter, which also quantizes activations;
  or a float file installed with int8 weights against TF): probabilities 1e-2, state 5e-2
  (measured ~2e-3 and ~1.5e-2). These run with the app's default runner settings, where
  OpenVINO's CPU plugin also quantizes activations dynamically for int8 weights.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict

import numpy as np
import pytest

from dictate.engine.acoustic import AcousticModel, RunnerSettings
from dictate.models import convert
from dictate.models.formats.pb import read_pb
from dictate.models.formats.pbmm import read_pbmm
from dictate.models.formats.tflite import read_tflite
from dictate.models.importer import deepspeech_version, default_name, import_model
from dictate.models.spec import MODEL_JSON, load_spec
from dictate.models.store import ModelStore

STANDINS = Path(__file__).parent / "fixtures" / "standins"
FLOAT_TOL = 1e-5
INT8_TOL = {"probs": 1e-2, "state": 5e-2}

# file, key of the recorded outputs in reference.npz
FILES = {
    "pb": ("standin.pb", "tf"),
    "pbmm": ("standin.pbmm", "tf"),
    "tflite": ("standin.tflite", "tflite"),
    "tflite_int8": ("standin-int8.tflite", "tflite_int8"),
}
# (format, installed weight precision)
IMPORTS = [
    ("pb", "f32"),
    ("pbmm", "f32"),
    ("tflite", "f32"),
    ("tflite_int8", "f32"),
    ("pb", "int8"),
    ("tflite_int8", "int8"),
]


@pytest.fixture(scope="module")
def reference() -> Dict[str, np.ndarray]:
    with np.load(STANDINS / "reference.npz") as data:
        return {k: data[k] for k in data.files}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> ModelStore:
    return ModelStore(tmp_path_factory.mktemp("store"))


@pytest.fixture(scope="module")
def installed(store) -> Dict[tuple, object]:
    """Each stand-in imported once (the import runs the self-check)."""
    specs = {}
    for fmt, precision in IMPORTS:
        path = STANDINS / FILES[fmt][0]
        specs[(fmt, precision)] = import_model(
            path, name=f"{fmt}-{precision}", precision=precision, store=store
        )
    return specs


def run_like_tf(model, reference) -> Dict[str, np.ndarray]:
    """Step the fixture's blocks with AcousticState, carrying the state (app settings)."""
    acoustic = AcousticModel(model, RunnerSettings(precision="f32"))
    state = acoustic.new_state()
    state.c, state.h = reference["c0"].copy(), reference["h0"].copy()
    probs, cs, hs = [], [], []
    for block in reference["x"]:
        probs.append(state.step(block))
        cs.append(state.c[0])
        hs.append(state.h[0])
    return {"probs": np.stack(probs), "c": np.stack(cs), "h": np.stack(hs)}


def max_diffs(ours, reference, key) -> Dict[str, float]:
    return {k: float(np.abs(ours[k] - reference[f"{key}:{k}"]).max()) for k in ("probs", "c", "h")}


def assert_close(diffs: Dict[str, float], int8: bool) -> None:
    if int8:
        assert diffs["probs"] <= INT8_TOL["probs"], diffs
        assert max(diffs["c"], diffs["h"]) <= INT8_TOL["state"], diffs
    else:
        assert max(diffs.values()) <= FLOAT_TOL, diffs


@pytest.mark.parametrize("fmt,precision", IMPORTS)
def test_imported_model_matches_tensorflow(installed, reference, fmt, precision):
    spec = installed[(fmt, precision)]
    diffs = max_diffs(run_like_tf(spec.ir_path, reference), reference, FILES[fmt][1])
    assert_close(diffs, int8=(precision == "int8" or fmt == "tflite_int8"))


@pytest.mark.parametrize("fmt", list(FILES))
def test_reference_conversion_alone_matches_tensorflow(tmp_path, reference, fmt):
    path = STANDINS / FILES[fmt][0]
    if fmt == "pb":
        model = convert.reference_from_pb(path, 16)
    elif fmt == "pbmm":
        _, graph = read_pbmm(path)
        restored = tmp_path / "restored.pb"
        restored.write_bytes(graph.serialize())
        model = convert.reference_from_pb(restored, 16)
    else:
        model = convert.reference_from_tflite(path)
    names = {n for o in model.outputs for n in o.get_names()}
    if fmt in ("pb", "pbmm"):  # the OpenVINO guide's outputs: logits and the GatherNd states
        assert any(n.endswith("cudnn_compatible_lstm_cell/GatherNd:0") for n in names)
        assert not any(p.get_any_name().startswith("input_lengths") for p in model.inputs)
    diffs = max_diffs(run_like_tf(model, reference), reference, FILES[fmt][1])
    assert_close(diffs, int8=(fmt == "tflite_int8"))


@pytest.mark.parametrize("fmt", list(FILES))
def test_fast_conversion_from_extracted_weights_matches_tensorflow(reference, fmt):
    path = STANDINS / FILES[fmt][0]
    reader = {"pb": read_pb, "pbmm": read_pbmm}.get(fmt, read_tflite)
    source, _ = reader(path)
    diffs = max_diffs(
        run_like_tf(convert.fast_model(source.weights, 16), reference), reference, FILES[fmt][1]
    )
    assert_close(diffs, int8=(fmt == "tflite_int8"))


@pytest.mark.parametrize("fmt", list(FILES))
def test_weights_extracted_exactly(reference, fmt):
    path = STANDINS / FILES[fmt][0]
    reader = {"pb": read_pb, "pbmm": read_pbmm}.get(fmt, read_tflite)
    source, _ = reader(path)
    assert source.n_hidden == 64 and source.n_steps == 16 and source.n_classes == 29
    for name, value in source.weights.items():
        expected = reference[f"weights:{name}"]
        assert value.dtype == np.float32 and value.shape == expected.shape, name
        if fmt == "tflite_int8" and value.ndim == 2:  # within half a quantization step per row
            step = np.abs(expected).max(axis=0, keepdims=True) / 127
            assert np.all(np.abs(value - expected) <= step / 2 + 1e-7), name
        else:
            np.testing.assert_array_equal(value, expected, err_msg=name)


@pytest.mark.parametrize("fmt", list(FILES))
def test_metadata_read_from_the_file(installed, reference, fmt):
    spec = installed[(fmt, "f32")]
    assert spec.alphabet == [str(x) for x in reference["meta:labels"]]
    assert spec.beam_width == 1024  # not DeepSpeech's default 500: it really was read
    assert spec.sample_rate == 16000
    assert spec.n_hidden == 64
    assert spec.feature_profile == "deepspeech-tf"
    assert spec.conversion == "fast"
    assert spec.precision == "f32"
    data = json.loads((spec.folder / MODEL_JSON).read_text())
    assert data["source"]["file"] == FILES[fmt][0]
    assert data["source"]["format"] == fmt.split("_")[0]
    assert data["source"]["graph_version"] == 6
    assert data["source"]["language"] == "en-US"
    assert len(data["source"]["sha256"]) == 64
    assert data["source"]["self_check"]["f32"]["probs"] <= 1e-4


def test_int8_import_records_precision_and_is_smaller(installed):
    f32 = installed[("pb", "f32")]
    int8 = installed[("pb", "int8")]
    assert int8.precision == "int8"
    checks = int8.source["self_check"]
    assert set(checks) == {"f32", "int8", "int8_vs_f32"}
    assert checks["int8"]["probs"] <= 1e-4 and checks["int8"]["state"] <= 1e-3
    assert 1e-5 < checks["int8_vs_f32"]["probs"] < 0.1  # quantization's measured cost
    assert (
        int8.ir_path.with_suffix(".bin").stat().st_size < f32.ir_path.with_suffix(".bin").stat().st_size / 2
    )


def test_installed_ir_keeps_f32_weights(installed):
    import openvino as ov

    model = ov.Core().read_model(str(installed[("pb", "f32")].ir_path))
    types = {
        op.get_output_element_type(0).get_type_name()
        for op in model.get_ops()
        if op.get_type_name() == "Constant"
    }
    assert "f16" not in types


def test_installed_models_load_from_the_store(installed, store):
    for (fmt, precision), spec in installed.items():
        loaded = load_spec(store.models_dir / f"{fmt}-{precision}")
        assert loaded.name == spec.name
    assert sorted(store.names()) == sorted(f"{f}-{p}" for f, p in IMPORTS)


def test_import_with_scorer(tmp_path, scorer_path):
    store = ModelStore(tmp_path)
    spec = import_model(STANDINS / "standin.pb", scorer=scorer_path, store=store)
    assert spec.name == "standin"
    assert spec.scorer_path is not None and spec.scorer_path.is_file()
    assert spec.scorer_path.parent == spec.folder


def test_progress_reports_stages_in_order(tmp_path):
    seen = []
    import_model(
        STANDINS / "standin.tflite", store=ModelStore(tmp_path), progress=lambda s, f: seen.append((s, f))
    )
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert any("self-check" in s for s, _ in seen)


def test_default_names_and_versions():
    assert default_name(Path("deepspeech-0.9.3-models.tflite"), "f32") == "deepspeech-0.9.3"
    assert default_name(Path("deepspeech-0.9.3-models.pbmm"), "int8") == "deepspeech-0.9.3-int8"
    assert default_name(Path("my model (v2).pb"), "f32") == "my-model-v2"
    assert deepspeech_version(Path("deepspeech-0.8.2-models.pbmm"), "") == "0.8.2"
    assert (
        deepspeech_version(
            Path("renamed.pbmm"), "f1ad4347b276b7f0f35bc47954feb7240fad913f3a1b85605628ab6d6209b0c9"
        )
        == "0.8.2"
    )
    assert deepspeech_version(Path("standin.pb"), "0" * 64) is None


@pytest.mark.parametrize("op,inputs", [(22, [0, 2]), (94, [2, 0])])  # RESHAPE(data, shape), FILL(dims, value)
def test_tflite_metadata_behind_an_op(op, inputs):
    import struct

    from dictate.models.formats import tflite as t

    tensors = [
        t.TensorInfo("const", [1], t.TYPE_INT32, 1),
        t.TensorInfo("metadata_beam_width", [1], t.TYPE_INT32, 0),
        t.TensorInfo("shape", [1], t.TYPE_INT32, 2),
    ]
    buffers = [memoryview(b""), memoryview(struct.pack("<i", 777)), memoryview(struct.pack("<i", 1))]
    model = t.TFLiteModel(
        memoryview(b""), tensors, [t.Operator(0, f"BUILTIN_{op}", op, inputs, [1])], [], [1], buffers
    )
    meta = t.tflite_metadata(model, Path("x.tflite"))
    assert meta.beam_width == 777
    assert meta.sample_rate == 16000 and "metadata_sample_rate" in meta.notes[0]  # default + note


def test_notes_recorded_for_int8_tflite(installed):
    assert "dequantized to float32" in " ".join(installed[("tflite_int8", "f32")].source["notes"])
    assert "re-quantized per channel" in " ".join(installed[("tflite_int8", "int8")].source["notes"])
    assert "notes" not in installed[("pb", "f32")].source


def test_byte_output_mode_model(tmp_path):
    """A --bytes_output_mode export (like the 0.9.3 zh-CN release): 255 UTF-8 byte labels."""
    from dictate.engine.decoder import BYTE_LABELS, DecoderSettings
    from dictate.engine.stream import SpeechModel

    with np.load(STANDINS / "bytes-reference.npz") as data:
        reference = {k: data[k] for k in data.files}
    spec = import_model(STANDINS / "bytes-standin.pb", store=ModelStore(tmp_path))
    assert tuple(spec.alphabet) == BYTE_LABELS
    assert max(max_diffs(run_like_tf(spec.ir_path, reference), reference, "tf").values()) <= FLOAT_TOL
    noise = np.random.default_rng(0).normal(0.0, 0.1, 32000).astype(np.float32)
    transcript = SpeechModel.load(spec, decoder=DecoderSettings(beam_width=16)).transcribe(noise)
    assert transcript.text.encode("utf-8")  # random weights spell something; it decodes as UTF-8
    assert " ".join(w.word for w in transcript.words) == " ".join(transcript.text.split())

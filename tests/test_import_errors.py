"""Import failures: clear ModelErrors that name the file, and nothing installed or left behind."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from dictate.errors import ModelError
from dictate.models import importer
from dictate.models.build import build_acoustic_model
from dictate.models.formats.pb import parse_graphdef
from dictate.models.formats.protobuf import field_bytes, field_varint, iter_fields, read_varint
from dictate.models.ir import save_ir
from dictate.models.store import ModelStore
from dictate.models.weights import random_weights

STANDINS = Path(__file__).parent / "fixtures" / "standins"


@pytest.fixture
def store(tmp_path) -> ModelStore:
    return ModelStore(tmp_path / "data")


def assert_nothing_installed(store: ModelStore) -> None:
    assert store.names() == []
    if store.models_dir.exists():
        assert list(store.models_dir.iterdir()) == []  # no staging folder left either


def import_fails(path: Path, store: ModelStore, match: str, **kwargs) -> ModelError:
    with pytest.raises(ModelError, match=match) as info:
        importer.import_model(path, store=store, **kwargs)
    assert str(path) in str(info.value) or path.name in str(info.value)
    assert_nothing_installed(store)
    return info.value


def copy_standin(tmp_path: Path, name: str, target: str = "") -> Path:
    out = tmp_path / (target or name)
    shutil.copyfile(STANDINS / name, out)
    return out


def test_missing_file(tmp_path, store):
    import_fails(tmp_path / "nope.pbmm", store, "no such file")


@pytest.mark.parametrize("name", ["standin.pb", "standin.pbmm", "standin.tflite"])
def test_truncated_file(tmp_path, store, name):
    path = copy_standin(tmp_path, name)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    import_fails(path, store, "Cannot import")


@pytest.mark.parametrize("suffix", [".pb", ".pbmm", ".tflite"])
def test_random_bytes(tmp_path, store, suffix):
    path = tmp_path / f"junk{suffix}"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    import_fails(path, store, "Cannot import")


def test_unsupported_extension(tmp_path, store):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    import_fails(path, store, "unsupported file type")


def standin_with_const(tmp_path: Path, name: str, node_name: str, tensor: bytes, dtype: int) -> Path:
    """standin.pb with the Const ``node_name`` replaced by a TensorProto ``tensor`` of ``dtype``."""
    graph = parse_graphdef((STANDINS / "standin.pb").read_bytes())
    node = graph.get(node_name)
    attr = field_bytes(5, field_bytes(1, b"value") + field_bytes(2, field_bytes(8, tensor)))
    attr += field_bytes(5, field_bytes(1, b"dtype") + field_bytes(2, field_varint(6, dtype)))
    node.raw = field_bytes(1, node.name.encode()) + field_bytes(2, b"Const") + attr
    path = tmp_path / name
    path.write_bytes(graph.serialize())
    return path


def test_graph_that_is_not_deepspeech(tmp_path, store):
    # A valid GraphDef with one Const node.
    tensor = field_varint(1, 1) + field_bytes(4, np.zeros(4, np.float32).tobytes())
    attr = field_bytes(5, field_bytes(1, b"value") + field_bytes(2, field_bytes(8, tensor)))
    node = field_bytes(1, b"c") + field_bytes(2, b"Const") + attr
    path = tmp_path / "other.pb"
    path.write_bytes(field_bytes(1, node))
    assert parse_graphdef(path.read_bytes()).nodes[0].op == "Const"
    import_fails(path, store, "not a DeepSpeech")


def test_graph_missing_a_weight(tmp_path, store):
    graph = parse_graphdef((STANDINS / "standin.pb").read_bytes())
    graph.nodes = [n for n in graph.nodes if n.name != "layer_5/weights"]
    path = tmp_path / "broken.pb"
    path.write_bytes(graph.serialize())
    import_fails(path, store, "layer_5/weights")


def test_tflite_without_deepspeech_inputs(tmp_path, store):
    path = copy_standin(tmp_path, "standin.tflite")
    data = path.read_bytes().replace(b"previous_state_c", b"previous_state_x")
    path.write_bytes(data)
    import_fails(path, store, "previous_state_c")


def test_pbmm_with_damaged_directory(tmp_path, store):
    path = copy_standin(tmp_path, "standin.pbmm")
    data = bytearray(path.read_bytes())
    data[-8:] = (len(data) * 2).to_bytes(8, "little")
    path.write_bytes(bytes(data))
    import_fails(path, store, "directory offset")


def test_name_already_taken(tmp_path, store):
    importer.import_model(STANDINS / "standin.pb", name="taken", store=store)
    with pytest.raises(ModelError, match="already installed"):
        importer.import_model(STANDINS / "standin.tflite", name="taken", store=store)
    assert store.names() == ["taken"]


def test_invalid_name_and_precision(store):
    with pytest.raises(ModelError, match="not a valid model name"):
        importer.import_model(STANDINS / "standin.pb", name="../evil", store=store)
    with pytest.raises(ModelError, match="precision"):
        importer.import_model(STANDINS / "standin.pb", precision="f8", store=store)
    assert_nothing_installed(store)


def test_self_check_failure_refuses_install(monkeypatch, store):
    real = importer.fast_model

    def perturbed(weights, n_steps, precision="f32"):
        changed = dict(weights)
        changed["layer_5/bias"] = weights["layer_5/bias"].copy()
        changed["layer_5/bias"][0] += 0.05
        return real(changed, n_steps, precision)

    monkeypatch.setattr(importer, "fast_model", perturbed)
    error = import_fails(STANDINS / "standin.pb", store, "self-check failed")
    assert "Nothing was installed" in str(error)


def test_int8_self_check_bound_is_enforced(monkeypatch, store):
    real = importer.fast_model

    def broken_int8(weights, n_steps, precision="f32"):
        if precision == "int8":  # a slip far below int8's own error (~1e-3), caught all the same
            changed = {k: v.copy() for k, v in weights.items()}
            changed["layer_5/bias"][0] += 0.01
            return real(changed, n_steps, precision)
        return real(weights, n_steps, precision)

    monkeypatch.setattr(importer, "fast_model", broken_int8)
    import_fails(STANDINS / "standin.pb", store, r"self-check failed.*int8", precision="int8")


def test_failure_while_writing_leaves_nothing(monkeypatch, store):
    def disk_full(model, folder, compress_to_fp16=False):
        (folder / "model.xml").write_text("partial")
        raise ModelError("disk full")

    monkeypatch.setattr(importer, "save_ir", disk_full)
    with pytest.raises(ModelError, match="disk full"):
        importer.import_model(STANDINS / "standin.pb", store=store)
    assert_nothing_installed(store)


def test_unknown_feature_settings_refused(tmp_path, store):
    tensor = field_varint(1, 3) + field_bytes(2, field_bytes(2, field_varint(1, 1))) + field_varint(7, 8000)
    import_fails(standin_with_const(tmp_path, "8k.pb", "metadata_sample_rate", tensor, 3), store, "8000 Hz")


def test_ir_import(tmp_path, store):
    xml = save_ir(build_acoustic_model(random_weights(16, seed=3), 16), tmp_path / "ir")
    spec = importer.import_model(xml, name="my-ir", store=store)
    assert spec.conversion == "ir" and spec.n_hidden == 16 and spec.precision == "f32"
    assert spec.ir_path.is_file() and spec.ir_path.with_suffix(".bin").is_file()


def test_ir_without_bin(tmp_path, store):
    xml = save_ir(build_acoustic_model(random_weights(16, seed=3), 16), tmp_path / "ir")
    xml.with_suffix(".bin").unlink()
    import_fails(xml, store, "model.bin")


def test_protobuf_varints_round_trip():
    for value in (0, 1, 127, 128, 300, 2**32, 2**63 - 1):
        encoded = field_varint(5, value)
        assert list(iter_fields(memoryview(encoded))) == [(5, 0, value)]
    assert read_varint(memoryview(b"\x96\x01"), 0) == (150, 2)


@pytest.mark.parametrize(
    "name,target,fmt",
    [
        ("standin.pb", "renamed.pbmm", "pb"),
        ("standin.pbmm", "renamed.pb", "pbmm"),
        ("standin.tflite", "renamed.pb", "tflite"),
        ("standin.pbmm", "no_extension", "pbmm"),
        ("standin.pb", "no_extension", "pb"),
    ],
)
def test_format_detected_from_content(tmp_path, name, target, fmt):
    assert importer.detect_format(copy_standin(tmp_path, name, target)) == fmt


def test_alphabet_and_output_classes_must_agree(tmp_path, store):
    """A byte-output-mode alphabet (255 one-byte labels) on a 29-class graph is refused."""
    blob = bytearray((255).to_bytes(2, "little"))
    for key in range(255):
        blob += key.to_bytes(2, "little") + (1).to_bytes(2, "little") + bytes([key + 1])
    tensor = field_varint(1, 7) + field_bytes(2, b"") + field_bytes(8, bytes(blob))
    path = standin_with_const(tmp_path, "bytes.pb", "metadata_alphabet", tensor, 7)
    import_fails(path, store, "alphabet has 255 labels but the model outputs 29 classes")


def _tflite_with(tmp_path, name: str, edit) -> Path:
    data = bytearray((STANDINS / "standin.tflite").read_bytes())
    edit(data)
    path = tmp_path / name
    path.write_bytes(bytes(data))
    return path


def test_damaged_tflite_tables_are_refused_before_openvino_sees_them(tmp_path, store):
    """OpenVINO's TF Lite frontend trusts lengths and indices and crashes on bad ones."""
    name = b"metadata_sample_rate"
    at = bytes((STANDINS / "standin.tflite").read_bytes()).index(name) - 4  # the string's length

    def long_string(data):
        data[at : at + 4] = (0xFFFFFFFF).to_bytes(4, "little")

    import_fails(_tflite_with(tmp_path, "long.tflite", long_string), store, "string runs past the end")


def test_implausible_tensor_shape_in_a_graph(tmp_path, store):
    dims = field_bytes(2, field_varint(1, 3_000_000_000))
    tensor = field_varint(1, 1) + field_bytes(2, dims) + field_bytes(5, np.zeros(1, np.float32).tobytes())
    path = standin_with_const(tmp_path, "huge.pb", "layer_1/bias", tensor, 1)
    import_fails(path, store, "implausible")  # refused at once, not after allocating 12 GB

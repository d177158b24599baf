"""Models converted with the removed int8 hidden-state grid are refused where they compute wrong."""

from __future__ import annotations

import numpy as np
import openvino as ov
import openvino.opset13 as ops
import pytest

from dictate.engine.stream import SpeechModel
from dictate.errors import ModelError
from dictate.models.build import build_acoustic_model
from dictate.models.ir import save_ir
from dictate.models.legacy import check_conversion, has_int8_hidden_state
from dictate.models.spec import ModelSpec
from dictate.models.weights import random_weights


def old_style_ir(folder):
    """A graph with the old recurrence's 255-level FakeQuantize on a hidden state."""
    h = ops.parameter([1, 8], ov.Type.f32, name="previous_state_h")
    lo, hi = ops.constant(np.float32(-1.0)), ops.constant(np.float32(1.0))
    fq = ops.fake_quantize(h, lo, hi, lo, hi, 255)
    return save_ir(ov.Model([ops.result(fq)], [h], "old"), folder)


def spec_for(xml, precision="int8", conversion="fast"):
    return ModelSpec(
        name="old-int8",
        ir_path=xml,
        precision=precision,
        conversion=conversion,
        source={"file": "output_graph.pbmm"},
    )


def test_old_int8_recurrence_is_recognised(tmp_path):
    assert has_int8_hidden_state(old_style_ir(tmp_path / "old"))
    current = save_ir(build_acoustic_model(random_weights(16, seed=1), 16, "int8"), tmp_path / "new")
    assert not has_int8_hidden_state(current)


def test_old_int8_model_refused_without_vnni_with_the_fix(tmp_path):
    spec = spec_for(old_style_ir(tmp_path))
    with pytest.raises(ModelError) as err:
        check_conversion(spec, vnni=False)
    message = str(err.value)
    assert "old-int8" in message and "no VNNI" in message
    assert "dictate models remove old-int8" in message
    assert message.endswith("dictate models import output_graph.pbmm --precision int8 --name old-int8")
    check_conversion(spec, vnni=True)  # right on VNNI CPUs: loads as before
    check_conversion(spec_for(spec.ir_path, precision="f32"), vnni=False)
    check_conversion(spec_for(spec.ir_path, conversion="reference"), vnni=False)


def test_loading_an_old_int8_model_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.setattr("dictate.models.legacy.cpu_has_vnni", lambda: False)
    with pytest.raises(ModelError, match="import it again from its original file"):
        SpeechModel.load(spec_for(old_style_ir(tmp_path)))

"""The IR builder against an independent float64 numpy DeepSpeech forward pass."""

from __future__ import annotations

import numpy as np
import pytest

from dictate.engine.acoustic import AcousticModel, find_port
from dictate.errors import ModelError
from dictate.models.build import build_acoustic_model, int8_round_trip, quantize_per_channel
from dictate.models.weights import LSTM_BIAS, LSTM_KERNEL, random_weights, validate_weights


def numpy_deepspeech(weights, windows: np.ndarray, c: np.ndarray, h: np.ndarray):
    """DeepSpeech's graph in float64: dense+clip x3, BlockLSTM (i, c, f, o), dense+clip, dense, softmax."""
    w = {k: v.astype(np.float64) for k, v in weights.items()}
    x = windows.reshape(len(windows), -1).astype(np.float64)
    for layer in ("layer_1", "layer_2", "layer_3"):
        x = np.minimum(np.maximum(x @ w[f"{layer}/weights"] + w[f"{layer}/bias"], 0), 20)
    n = c.shape[1]
    c, h = c.astype(np.float64), h.astype(np.float64)
    outs = []

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    for t in range(len(x)):
        gates = np.concatenate([x[t : t + 1], h], axis=1) @ w[LSTM_KERNEL] + w[LSTM_BIAS]
        i, g, f, o = np.split(gates, 4, axis=1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        outs.append(h)
    y = np.concatenate(outs)
    y = np.minimum(np.maximum(y @ w["layer_5/weights"] + w["layer_5/bias"], 0), 20)
    logits = y @ w["layer_6/weights"] + w["layer_6/bias"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    assert c.shape == (1, n)
    return e / e.sum(axis=1, keepdims=True), c, h


@pytest.mark.parametrize("n_hidden", [16, 100])
def test_stepped_ir_matches_numpy_reference_over_blocks(n_hidden):
    weights = random_weights(n_hidden, seed=n_hidden)
    state = AcousticModel(build_acoustic_model(weights, 16)).new_state()
    rng = np.random.default_rng(0)
    c = np.zeros((1, n_hidden))
    h = np.zeros((1, n_hidden))
    for _ in range(4):
        windows = (rng.standard_normal((16, 19, 26)) * 3).astype(np.float32)
        probs = state.step(windows)
        ref, c, h = numpy_deepspeech(weights, windows, c, h)
        np.testing.assert_allclose(probs, ref, atol=2e-6)
        np.testing.assert_allclose(state.c, c, atol=2e-5)
        np.testing.assert_allclose(state.h, h, atol=2e-6)


def test_int8_graph_computes_the_int8_grid_math():
    """int8 weights per channel, against float64 numpy on the dequantized weights (on any CPU:
    without VNNI, int8 x int8 products would saturate, see build.py)."""
    from dictate.models.selfcheck import ExactSettings

    weights = random_weights(64, seed=3)
    state = AcousticModel(build_acoustic_model(weights, 16, "int8"), ExactSettings()).new_state()
    grid = int8_round_trip(weights)
    assert not np.array_equal(grid[LSTM_KERNEL], weights[LSTM_KERNEL])
    rng = np.random.default_rng(1)
    c, h = np.zeros((1, 64)), np.zeros((1, 64))
    for _ in range(3):
        windows = (rng.standard_normal((16, 19, 26)) * 3).astype(np.float32)
        probs = state.step(windows)
        ref, c, h = numpy_deepspeech(grid, windows, c, h)
        np.testing.assert_allclose(probs, ref, atol=2e-6)
        np.testing.assert_allclose(state.h, h, atol=2e-5)
    exact, _, _ = numpy_deepspeech(weights, windows, np.zeros((1, 64)), np.zeros((1, 64)))
    assert np.abs(probs - exact).max() > 1e-5  # the grid is really used


def test_int8_quantization_is_per_output_channel():
    m = np.array([[1.0, -2.0, 0.5], [0.0, 0.0, 0.0], [100.0, 50.0, -25.0]], np.float32)
    q, scale = quantize_per_channel(m)
    assert q.dtype == np.int8 and scale.shape == (3, 1)
    assert np.abs(q).max() == 127
    np.testing.assert_allclose(q * scale, m, atol=scale.max() / 2 + 1e-6)
    assert np.all(q[1] == 0)


def test_ports_found_by_deepspeech_names():
    model = build_acoustic_model(random_weights(8), 16)
    for name in ("input_node", "previous_state_c", "previous_state_h"):
        assert find_port(model.inputs, [name], name).get_any_name() == name
    model.outputs[1].get_tensor().set_names(
        {"cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell/GatherNd:0"}
    )
    model.outputs[2].get_tensor().set_names(
        {"cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell/GatherNd_1:0"}
    )
    acoustic = AcousticModel(model)
    out = acoustic.new_state().step(np.zeros((16, 19, 26), np.float32))
    assert out.shape == (16, 29)
    with pytest.raises(ModelError, match="no input 'nope'"):
        find_port(model.inputs, ["nope"], "input 'nope'")


def test_dynamic_time_axis_is_refused_by_the_stepper():
    with pytest.raises(ModelError, match="dynamic time axis"):
        AcousticModel(build_acoustic_model(random_weights(8), None))


def test_weight_validation_names_the_problem():
    weights = random_weights(8)
    weights["layer_2/weights"] = weights["layer_2/weights"][:, :4]
    with pytest.raises(ValueError, match="layer_2/weights"):
        validate_weights(weights)
    del weights[LSTM_BIAS]
    with pytest.raises(ValueError, match="LSTM bias"):
        validate_weights(weights)

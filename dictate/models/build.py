"""Build DeepSpeech-architecture OpenVINO models from numpy weights with the opset API.

Two shapes of graph:

* ``n_steps=16`` (what the engine runs): the LSTM is unrolled over the 16 frames of a block
  and its input projection ``x·Wx + b`` is computed for all frames at once; only ``h·Wh``
  stays inside the recurrence. At batch 1 this is memory-bound, so reading the big kernel
  once per block instead of once per frame is what makes it fast.
* ``n_steps=None``: a dynamic time axis with OpenVINO's ``LSTMSequence``, used as an
  independent reference for the stepped graph (one long run over a whole utterance).

Matrices can be stored as f32, f16, or int8 with one scale per output channel (the CPU
plugin decompresses weights inside its matmul kernels, and at run time may also quantize the
activations feeding them: ``DYNAMIC_QUANTIZATION_GROUP_SIZE``).

An earlier version also put the recurrent input ``h`` on a static 255-level int8 grid so
that each step's ``h·Wh`` ran as a true int8 × int8 product. That is exact and faster only on
CPUs with VNNI: without it (AVX2-only CPUs such as AMD Zen 3) the CPU plugin multiplies
u8 × s8 pairs into saturating 16-bit sums (measured 1e-2 off the float emulation on the
n_hidden 64 stand-in, 4e-2 on a trained model) and ran slower than weight-only int8 (61 vs
24 ms a block at n_hidden 2048). int8 models are therefore weight-only int8, whose results
do not depend on the CPU.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import openvino as ov
import openvino.opset13 as ops

from dictate.models.weights import (
    LSTM_BIAS,
    LSTM_KERNEL,
    N_INPUT,
    N_STEPS,
    RELU_CLIP,
    WINDOW_FRAMES,
    Weights,
    validate_weights,
)

WEIGHT_FORMATS = ("f32", "f16", "int8")

INPUT_NODE = "input_node"
STATE_C_IN = "previous_state_c"
STATE_H_IN = "previous_state_h"
LOGITS = "logits"
STATE_C_OUT = "new_state_c"
STATE_H_OUT = "new_state_h"


def quantize_per_channel(matrix_out_in: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 quantization of an ``[out, in]`` matrix with one scale per output row."""
    peak = np.max(np.abs(matrix_out_in), axis=1, keepdims=True)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(matrix_out_in / scale), -127, 127).astype(np.int8)
    return q, scale


def int8_round_trip(weights: Weights) -> Weights:
    """``weights`` with every matrix replaced by its per-channel int8 dequantized values.

    Mirrors :func:`weight_const`'s grid (the LSTM kernel's input and recurrent halves are
    quantized separately), so an f32 graph of these weights computes what the int8 graph does.
    """
    out = dict(weights)
    n = weights[LSTM_KERNEL].shape[1] // 4
    n_x = weights[LSTM_KERNEL].shape[0] - n
    for key, value in weights.items():
        if value.ndim != 2:
            continue
        parts = [value[:n_x], value[n_x:]] if key == LSTM_KERNEL else [value]
        deq = []
        for part in parts:
            q, scale = quantize_per_channel(np.ascontiguousarray(part.T, dtype=np.float32))
            deq.append((q.astype(np.float32) * scale).T)
        out[key] = np.concatenate(deq, axis=0).astype(np.float32)
    return out


def weight_const(matrix_in_out: np.ndarray, fmt: str, name: str) -> ov.Node:
    """A ``[out, in]`` weight node (for ``MatMul(x, W, transpose_b=True)``) in format ``fmt``."""
    w = np.ascontiguousarray(matrix_in_out.T, dtype=np.float32)
    if fmt == "f32":
        return ops.constant(w, name=name)
    if fmt == "f16":
        return ops.convert(ops.constant(w.astype(np.float16)), "f32", name=name)
    if fmt == "int8":
        q, scale = quantize_per_channel(w)
        dequant = ops.convert(ops.constant(q), "f32")
        return ops.multiply(dequant, ops.constant(scale), name=name)
    raise ValueError(f"unknown weight format '{fmt}' (choose from {', '.join(WEIGHT_FORMATS)})")


def dense(x: ov.Output, weights: Weights, layer: str, fmt: str, relu: bool) -> ov.Node:
    """DeepSpeech's dense layer: x·W + b, then ReLU clipped at 20 when ``relu``."""
    w = weight_const(weights[f"{layer}/weights"], fmt, f"{layer}/weights")
    y = ops.add(ops.matmul(x, w, False, True), ops.constant(weights[f"{layer}/bias"]))
    if relu:
        y = ops.clamp(y, 0.0, RELU_CLIP)
    return y


def lstm_unrolled(
    x_all: ov.Output,
    c: ov.Output,
    h: ov.Output,
    weights: Weights,
    n_steps: int,
    fmt: str,
) -> tuple[ov.Output, ov.Output, ov.Output]:
    """TF BlockLSTM (gates i, c, f, o; forget bias 0) unrolled over ``n_steps`` frames."""
    kernel = weights[LSTM_KERNEL]
    n = kernel.shape[1] // 4
    n_x = kernel.shape[0] - n
    wx = weight_const(kernel[:n_x], fmt, "lstm/input_kernel")
    wh = weight_const(kernel[n_x:], fmt, "lstm/recurrent_kernel")
    x_proj = ops.add(ops.matmul(x_all, wx, False, True), ops.constant(weights[LSTM_BIAS]))
    steps = ops.split(x_proj, ops.constant(np.int64(0)), n_steps)
    outputs = []
    for t in range(n_steps):
        gates = ops.add(steps.output(t), ops.matmul(h, wh, False, True))
        i, g, f, o = ops.split(gates, ops.constant(np.int64(1)), 4).outputs()
        c = ops.add(ops.multiply(ops.sigmoid(f), c), ops.multiply(ops.sigmoid(i), ops.tanh(g)))
        h = ops.multiply(ops.sigmoid(o), ops.tanh(c))
        outputs.append(h)
    return ops.concat(outputs, 0), c, h


def lstm_sequence(
    x_all: ov.Output, c: ov.Output, h: ov.Output, weights: Weights
) -> tuple[ov.Output, ov.Output, ov.Output]:
    """The same LSTM as one ``LSTMSequence`` over a dynamic time axis (gate order f, i, c, o)."""
    kernel = weights[LSTM_KERNEL]
    n = kernel.shape[1] // 4
    n_x = kernel.shape[0] - n

    def fico(m: np.ndarray) -> np.ndarray:
        i, g, f, o = np.split(m, 4, axis=-1)
        return np.concatenate([f, i, g, o], axis=-1)

    w = fico(kernel[:n_x]).T[None]  # [1, 4n, n_x]
    r = fico(kernel[n_x:]).T[None]  # [1, 4n, n]
    b = fico(weights[LSTM_BIAS])[None]  # [1, 4n]
    x = ops.unsqueeze(x_all, ops.constant(np.int64(0)))  # [1, T, n_x]
    t_len = ops.gather(ops.shape_of(x_all, "i32"), ops.constant(np.int64(0)), ops.constant(np.int64(0)))
    seq = ops.unsqueeze(t_len, ops.constant(np.int64(0)))
    lstm = ops.lstm_sequence(
        x,
        ops.unsqueeze(h, ops.constant(np.int64(1))),
        ops.unsqueeze(c, ops.constant(np.int64(1))),
        seq,
        ops.constant(w.astype(np.float32)),
        ops.constant(r.astype(np.float32)),
        ops.constant(b.astype(np.float32)),
        n,
        "forward",
    )
    y = ops.reshape(lstm.output(0), ops.constant(np.array([-1, n], dtype=np.int64)), False)
    h_out = ops.squeeze(lstm.output(1), ops.constant(np.int64(1)))
    c_out = ops.squeeze(lstm.output(2), ops.constant(np.int64(1)))
    return y, c_out, h_out


def build_acoustic_model(
    weights: Weights,
    n_steps: Optional[int] = N_STEPS,
    weight_format: str = "f32",
) -> ov.Model:
    """A DeepSpeech acoustic model as an ``ov.Model``.

    Inputs ``input_node [1, n_steps, 19, 26]``, ``previous_state_c/h [1, n_hidden]``;
    outputs ``logits [n_steps, 1, 29]`` (softmax probabilities, time-major, as DeepSpeech's
    graph names them), ``new_state_c`` and ``new_state_h``. ``n_steps=None`` gives a dynamic
    time axis (LSTMSequence, f32 weights only). An f32 graph of :func:`int8_round_trip`
    weights computes what the int8 graph computes.
    """
    n = validate_weights(weights)
    n_classes = weights["layer_6/bias"].shape[0]
    steps_dim = -1 if n_steps is None else n_steps
    x_in = ops.parameter([1, steps_dim, WINDOW_FRAMES, N_INPUT], ov.Type.f32, name=INPUT_NODE)
    c_in = ops.parameter([1, n], ov.Type.f32, name=STATE_C_IN)
    h_in = ops.parameter([1, n], ov.Type.f32, name=STATE_H_IN)
    flat = np.array([-1, WINDOW_FRAMES * N_INPUT], dtype=np.int64)
    x = ops.reshape(x_in, ops.constant(flat), False)
    for layer in ("layer_1", "layer_2", "layer_3"):
        x = dense(x, weights, layer, weight_format, relu=True)
    if n_steps is None:
        if weight_format != "f32":
            raise ValueError("the dynamic-time reference graph is built with f32 weights only")
        seq, c_out, h_out = lstm_sequence(x, c_in, h_in, weights)
    else:
        seq, c_out, h_out = lstm_unrolled(x, c_in, h_in, weights, n_steps, weight_format)
    y = dense(seq, weights, "layer_5", weight_format, relu=True)
    y = dense(y, weights, "layer_6", weight_format, relu=False)
    probs = ops.softmax(y, 1)
    logits = ops.reshape(probs, ops.constant(np.array([-1, 1, n_classes], dtype=np.int64)), False)
    results = []
    for node, name in ((logits, LOGITS), (c_out, STATE_C_OUT), (h_out, STATE_H_OUT)):
        result = ops.result(node, name=name)
        result.output(0).get_tensor().set_names({name})
        results.append(result)
    model = ov.Model(results, [x_in, c_in, h_in], "deepspeech")
    return model

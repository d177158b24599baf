"""TF Lite flatbuffers (``.tflite``) of DeepSpeech 0.7-0.9, read without TensorFlow.

A small reader for the parts of ``tensorflow/lite/schema/schema.fbs`` we need: the model's
buffers, operator codes and first subgraph (tensors with their quantization, operators,
inputs, outputs).

DeepSpeech's TF Lite export (``static_rnn`` of ``LSTMCell``) unrolls the LSTM: per frame a
``CONCATENATION`` of ``[x, h]`` feeds a ``FULLY_CONNECTED`` with the whole ``[4n, 2n]``
kernel. Tensor names are not reliable after conversion, so weights are found by structure:
the ``[4n, 2n]`` FC is the LSTM, ``[n, 494]`` is ``layer_1``, ``[classes, n]`` is
``layer_6`` and the ``[n, n]`` FCs are ``layer_2``/``layer_3`` (before the LSTM in execution
order) and ``layer_5`` (after it). int8/uint8 weights (dynamic-range quantization, per
tensor or per channel, possibly behind a ``DEQUANTIZE``) and float16 weights are turned
back into float32.

Metadata: DeepSpeech writes the ``metadata_*`` constants as extra *outputs* of the model
(the native client reads them by output name); the alphabet is a TF Lite string tensor.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

from dictate.models.formats.common import (
    METADATA_INTS,
    Metadata,
    SourceModel,
    deserialize_alphabet,
    model_error,
)
from dictate.models.weights import (
    LSTM_BIAS,
    LSTM_KERNEL,
    N_INPUT,
    N_STEPS,
    WINDOW_FRAMES,
    Weights,
    validate_weights,
)

FILE_IDENTIFIER = b"TFL3"
DENSE_ORDER = ("layer_1", "layer_2", "layer_3", "layer_5", "layer_6")

# TensorType
TYPE_FLOAT32, TYPE_FLOAT16, TYPE_INT32, TYPE_UINT8, TYPE_INT64, TYPE_STRING = 0, 1, 2, 3, 4, 5
TYPE_INT8 = 9
NUMPY_TYPES: Dict[int, np.dtype] = {
    TYPE_FLOAT32: np.dtype("<f4"),
    TYPE_FLOAT16: np.dtype("<f2"),
    TYPE_INT32: np.dtype("<i4"),
    TYPE_UINT8: np.dtype("u1"),
    TYPE_INT64: np.dtype("<i8"),
    TYPE_INT8: np.dtype("i1"),
}
# BuiltinOperator
OP_DEQUANTIZE = 6
OP_FULLY_CONNECTED = 9
OP_LSTM = 16
OP_CUSTOM = 32
PLACEHOLDER_FOR_GREATER_OP_CODES = 127


class FlatbufferError(ValueError):
    """The bytes are not a well-formed flatbuffer of the expected shape."""


class Table:
    """A flatbuffer table: fields looked up through its vtable."""

    def __init__(self, buf: memoryview, pos: int) -> None:
        self.buf = buf
        self.pos = pos
        if pos < 0 or pos + 4 > len(buf):
            raise FlatbufferError("table offset out of range")
        vtable = pos - struct.unpack_from("<i", buf, pos)[0]
        if vtable < 0 or vtable + 4 > len(buf):
            raise FlatbufferError("vtable offset out of range")
        self.vtable = vtable
        self.vtable_size = struct.unpack_from("<H", buf, vtable)[0]

    def _offset(self, index: int) -> int:
        slot = 4 + 2 * index
        if slot >= self.vtable_size:
            return 0
        return struct.unpack_from("<H", self.buf, self.vtable + slot)[0]

    def scalar(self, index: int, fmt: str, default=0):
        off = self._offset(index)
        if not off:
            return default
        return struct.unpack_from("<" + fmt, self.buf, self.pos + off)[0]

    def _target(self, index: int) -> Optional[int]:
        off = self._offset(index)
        if not off:
            return None
        at = self.pos + off
        target = at + struct.unpack_from("<I", self.buf, at)[0]
        if target + 4 > len(self.buf):
            raise FlatbufferError("offset out of range")
        return target

    def table(self, index: int) -> Optional[Table]:
        target = self._target(index)
        return None if target is None else Table(self.buf, target)

    def string(self, index: int) -> Optional[str]:
        target = self._target(index)
        if target is None:
            return None
        length = struct.unpack_from("<I", self.buf, target)[0]
        if target + 4 + length > len(self.buf):
            raise FlatbufferError("string runs past the end")
        return bytes(self.buf[target + 4 : target + 4 + length]).decode("utf-8", "replace")

    def vector_raw(self, index: int, itemsize: int) -> Optional[memoryview]:
        target = self._target(index)
        if target is None:
            return None
        length = struct.unpack_from("<I", self.buf, target)[0]
        end = target + 4 + length * itemsize
        if end > len(self.buf):
            raise FlatbufferError("vector runs past the end")
        return self.buf[target + 4 : end]

    def vector(self, index: int, fmt: str) -> List:
        raw = self.vector_raw(index, struct.calcsize("<" + fmt))
        if raw is None:
            return []
        return list(struct.unpack_from(f"<{len(raw) // struct.calcsize('<' + fmt)}{fmt}", raw))

    def tables(self, index: int) -> List[Table]:
        target = self._target(index)
        if target is None:
            return []
        length = struct.unpack_from("<I", self.buf, target)[0]
        out = []
        for i in range(length):
            at = target + 4 + 4 * i
            out.append(Table(self.buf, at + struct.unpack_from("<I", self.buf, at)[0]))
        return out


@dataclass
class TensorInfo:
    name: str
    shape: List[int]
    type: int
    buffer: int
    scale: List[float] = field(default_factory=list)
    zero_point: List[int] = field(default_factory=list)
    quantized_dimension: int = 0


@dataclass
class Operator:
    index: int
    code: str  # builtin name for the few we care about, "CUSTOM:<name>", or "BUILTIN_<n>"
    builtin: int
    inputs: List[int]
    outputs: List[int]


@dataclass
class TFLiteModel:
    """The first subgraph of a TF Lite model."""

    data: memoryview
    tensors: List[TensorInfo]
    operators: List[Operator]
    inputs: List[int]
    outputs: List[int]
    buffers: List[memoryview]
    description: str = ""

    def __post_init__(self) -> None:
        self.producer: Dict[int, Operator] = {}
        for op in self.operators:
            for t in op.outputs:
                self.producer[t] = op

    def tensor_index(self, name: str, among: List[int]) -> Optional[int]:
        for i in among:
            if self.tensors[i].name == name:
                return i
        return None

    def raw_value(self, index: int) -> Optional[np.ndarray]:
        """A tensor's constant data as stored (None if it has none)."""
        t = self.tensors[index]
        data = self.buffers[t.buffer] if 0 <= t.buffer < len(self.buffers) else None
        if data is None or len(data) == 0 or t.type not in NUMPY_TYPES:
            return None
        dtype = NUMPY_TYPES[t.type]
        count = int(np.prod(t.shape)) if t.shape else 1
        if len(data) != count * dtype.itemsize:
            raise FlatbufferError(f"tensor '{t.name}' has {len(data)} bytes for shape {t.shape}")
        return np.frombuffer(data, dtype=dtype).reshape(t.shape)

    def float_value(self, index: int) -> Optional[np.ndarray]:
        """A constant tensor as float32, dequantized (also through a ``DEQUANTIZE`` op)."""
        raw = self.raw_value(index)
        t = self.tensors[index]
        if raw is None:
            op = self.producer.get(index)
            if op is not None and op.builtin == OP_DEQUANTIZE and op.inputs:
                return self.float_value(op.inputs[0])
            return None
        if t.type in (TYPE_FLOAT32, TYPE_FLOAT16):
            return raw.astype(np.float32)
        if t.type in (TYPE_INT8, TYPE_UINT8) and t.scale:
            return dequantize(raw, t)
        raise FlatbufferError(f"tensor '{t.name}' has unsupported type {t.type} for weights")


def dequantize(q: np.ndarray, t: TensorInfo) -> np.ndarray:
    """``(q - zero_point) * scale``, per tensor or along ``quantized_dimension``."""
    scale = np.asarray(t.scale, dtype=np.float32)
    zero = np.asarray(t.zero_point or [0], dtype=np.float32)
    values = q.astype(np.float32)
    if scale.size > 1:
        axis = t.quantized_dimension
        if q.shape[axis] != scale.size:
            raise FlatbufferError(f"tensor '{t.name}' has {scale.size} scales for shape {q.shape}")
        bshape = [1] * q.ndim
        bshape[axis] = -1
        scale = scale.reshape(bshape)
        if zero.size > 1:
            zero = zero.reshape(bshape)
    return ((values - zero) * scale).astype(np.float32)


def parse_tflite(data: bytes) -> TFLiteModel:
    """Parse a TF Lite flatbuffer (FlatbufferError / struct.error if it is not one)."""
    buf = memoryview(data)
    if len(buf) < 8 or bytes(buf[4:8]) != FILE_IDENTIFIER:
        raise FlatbufferError("no TF Lite file identifier")
    root = Table(buf, struct.unpack_from("<I", buf, 0)[0])
    codes = []
    for code in root.tables(1):
        builtin = code.scalar(3, "i", 0)
        deprecated = code.scalar(0, "b", 0)
        if deprecated != PLACEHOLDER_FOR_GREATER_OP_CODES and builtin < deprecated:
            builtin = deprecated
        custom = code.string(1)
        codes.append((builtin, custom))
    buffers = []
    for b in root.tables(4):
        raw = b.vector_raw(0, 1)
        offset = b.scalar(1, "Q", 0)
        size = b.scalar(2, "Q", 0)
        if offset > 1 and size:
            if offset + size > len(buf):
                raise FlatbufferError("buffer runs past the end of the file")
            raw = buf[offset : offset + size]
        buffers.append(raw if raw is not None else memoryview(b""))
    subgraphs = root.tables(2)
    if not subgraphs:
        raise FlatbufferError("no subgraph")
    sub = subgraphs[0]
    tensors = []
    for t in sub.tables(0):
        q = t.table(4)
        info = TensorInfo(
            name=t.string(3) or "",
            shape=t.vector(0, "i"),
            type=t.scalar(1, "b", 0),
            buffer=t.scalar(2, "I", 0),
        )
        if q is not None:
            info.scale = q.vector(2, "f")
            info.zero_point = q.vector(3, "q")
            info.quantized_dimension = q.scalar(6, "i", 0)
        tensors.append(info)
    operators = []
    for i, op in enumerate(sub.tables(3)):
        index = op.scalar(0, "I", 0)
        if index >= len(codes):
            raise FlatbufferError("operator code index out of range")
        builtin, custom = codes[index]
        name = f"CUSTOM:{custom}" if builtin == OP_CUSTOM else f"BUILTIN_{builtin}"
        operators.append(Operator(i, name, builtin, op.vector(1, "i"), op.vector(2, "i")))
    inputs, outputs = sub.vector(1, "i"), sub.vector(2, "i")
    # Out-of-range indices crash OpenVINO's TF Lite frontend (it trusts them): refuse them here.
    if any(not 0 <= t.buffer < len(buffers) for t in tensors):
        raise FlatbufferError("a tensor refers to a buffer that does not exist")
    if any(not t.name or "\x00" in t.name for t in tensors):  # TF's converter names every tensor
        raise FlatbufferError("a tensor has no name (its table is damaged)")
    if any(not op.outputs for op in operators):
        raise FlatbufferError("an operator has no outputs (its table is damaged)")
    used = inputs + outputs + [i for op in operators for i in op.inputs + op.outputs]
    if any(not -1 <= i < len(tensors) for i in used) or any(i < 0 for i in inputs + outputs):
        raise FlatbufferError("a tensor index is out of range")
    return TFLiteModel(
        data=buf,
        tensors=tensors,
        operators=operators,
        inputs=inputs,
        outputs=outputs,
        buffers=buffers,
        description=root.string(3) or "",
    )


def load_tflite(path: Path) -> TFLiteModel:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise model_error(path, exc.strerror or str(exc)) from exc
    try:
        return parse_tflite(data)
    except (FlatbufferError, struct.error, IndexError) as exc:
        raise model_error(path, f"not a valid TF Lite model ({exc})") from exc


# -- DeepSpeech ------------------------------------------------------------------------------


def tflite_string(data: np.ndarray) -> bytes:
    """String 0 of a TF Lite string tensor (int32 count, int32 offsets, bytes)."""
    raw = data.tobytes()
    count = struct.unpack_from("<i", raw, 0)[0]
    if count < 1:
        raise ValueError("empty string tensor")
    start, end = struct.unpack_from("<ii", raw, 4)
    if not 0 <= start <= end <= len(raw):
        raise ValueError("bad string tensor offsets")
    return raw[start:end]


# Ops an older converter might put between a constant and a metadata output: which input
# carries the value (RESHAPE, SQUEEZE, EXPAND_DIMS, BROADCAST_TO, TILE, CAST, DEQUANTIZE: 0;
# FILL: 1).
VALUE_INPUT = {22: 0, 43: 0, 70: 0, 130: 0, 69: 0, 53: 0, OP_DEQUANTIZE: 0, 94: 1}


def _const_output(model: TFLiteModel, name: str) -> Optional[Tuple[TensorInfo, bytes]]:
    """A metadata output's constant bytes.

    The output tensor itself holds them (TF 2.x converter), or a pass-through op produces it
    from a constant (older converters): :data:`VALUE_INPUT` says which input to follow.
    """
    index = model.tensor_index(name, model.outputs)
    seen = set()
    while index is not None and index >= 0 and index not in seen:
        seen.add(index)
        t = model.tensors[index]
        data = model.buffers[t.buffer] if 0 <= t.buffer < len(model.buffers) else None
        if data is not None and len(data):
            return t, bytes(data)
        op = model.producer.get(index)
        position = VALUE_INPUT.get(op.builtin, -1) if op is not None else -1
        index = op.inputs[position] if op is not None and 0 <= position < len(op.inputs) else None
    return None


def tflite_metadata(model: TFLiteModel, path: Path) -> Metadata:
    """The ``metadata_*`` outputs, with DeepSpeech's defaults (and a note) where missing."""
    meta = Metadata()
    missing = []
    try:
        for name, attr in METADATA_INTS.items():
            found = _const_output(model, name)
            if found is not None and found[0].type in (TYPE_INT32, TYPE_INT64) and len(found[1]) >= 4:
                setattr(meta, attr, struct.unpack_from("<i", found[1], 0)[0])
            elif attr != "graph_version":
                missing.append(name)
        found = _const_output(model, "metadata_alphabet")
        if found is not None and found[0].type == TYPE_STRING:
            meta.alphabet = deserialize_alphabet(tflite_string(np.frombuffer(found[1], np.uint8)))
        else:
            missing.append("metadata_alphabet")
        found = _const_output(model, "metadata_language")
        if found is not None and found[0].type == TYPE_STRING:
            meta.language = tflite_string(np.frombuffer(found[1], np.uint8)).decode("utf-8", "replace")
    except (ValueError, struct.error, UnicodeDecodeError) as exc:
        raise model_error(path, f"its metadata outputs are damaged ({exc})") from exc
    if missing:
        meta.notes.append(
            f"{path.name} has no {', '.join(missing)}; used DeepSpeech's defaults "
            f"(16000 Hz, 32/20 ms windows, beam 500, English alphabet)"
        )
    return meta


def _input_shape(model: TFLiteModel, name: str, path: Path) -> List[int]:
    index = model.tensor_index(name, model.inputs)
    if index is None:
        raise model_error(
            path, f"the model has no '{name}' input, so it is not a DeepSpeech 0.7-0.9 TF Lite model"
        )
    return model.tensors[index].shape


def tflite_interface(model: TFLiteModel, path: Path) -> Tuple[int, int]:
    """Check DeepSpeech's inputs and outputs; returns ``(n_steps, n_hidden)``."""
    shape = _input_shape(model, "input_node", path)
    if len(shape) != 4 or shape[0] not in (1, -1) or shape[2:] != [WINDOW_FRAMES, N_INPUT]:
        raise model_error(path, f"'input_node' has shape {shape}, expected [1, n_steps, 19, 26]")
    state = _input_shape(model, "previous_state_c", path)
    _input_shape(model, "previous_state_h", path)
    if len(state) != 2 or state[0] not in (1, -1) or state[1] <= 0:
        raise model_error(path, f"'previous_state_c' has shape {state}, expected [1, n_hidden]")
    for name in ("logits", "new_state_c", "new_state_h"):
        if model.tensor_index(name, model.outputs) is None:
            raise model_error(path, f"the model has no '{name}' output")
    return (shape[1] if shape[1] > 0 else N_STEPS), state[1]


def _fc_weights(model: TFLiteModel, op: Operator, path: Path) -> Tuple[int, int, Tuple[int, ...]]:
    """``(weight tensor, bias tensor or -1, weight shape)`` of a FULLY_CONNECTED / LSTM op."""
    first = 1 if op.builtin == OP_FULLY_CONNECTED else 2  # LSTM: input, prev_activ, W, b, state
    w_index = op.inputs[first]
    b_index = op.inputs[first + 1] if len(op.inputs) > first + 1 else -1
    shape = model.tensors[w_index].shape
    if len(shape) != 2:
        raise model_error(path, f"operator {op.index} ({op.code}) has no 2-D weights")
    return w_index, b_index, tuple(shape)


def _values(model: TFLiteModel, w_index: int, b_index: int, path: Path) -> Tuple[np.ndarray, np.ndarray]:
    """Float32 ``(W [out, in], b [out])`` (a zero bias where there is none)."""
    w = model.float_value(w_index)
    if w is None:
        raise model_error(path, f"the weights '{model.tensors[w_index].name}' are not constant")
    if b_index < 0:
        return w, np.zeros(w.shape[0], dtype=np.float32)
    b = model.float_value(b_index)
    if b is None:
        raise model_error(path, f"the bias '{model.tensors[b_index].name}' is not constant")
    return w, b.reshape(-1)


def tflite_weights(model: TFLiteModel, n_hidden: int, path: Path) -> Weights:
    """DeepSpeech's variables recovered from the FULLY_CONNECTED (or LSTM) operators."""
    n = n_hidden
    n_in = WINDOW_FRAMES * N_INPUT
    dense: List[Tuple[int, int, int, Tuple[int, ...]]] = []
    lstm: List[Tuple[int, int, int]] = []
    for op in model.operators:
        if op.builtin == OP_FULLY_CONNECTED and len(op.inputs) >= 2:
            w_index, b_index, shape = _fc_weights(model, op, path)
            if shape == (4 * n, 2 * n):
                lstm.append((op.index, w_index, b_index))
            else:
                dense.append((op.index, w_index, b_index, shape))
        elif op.builtin == OP_LSTM and len(op.inputs) == 5:  # TOCO's basic LSTM kernel
            w_index, b_index, shape = _fc_weights(model, op, path)
            if shape != (4 * n, 2 * n):
                raise model_error(path, f"LSTM operator {op.index} has weights of shape {shape}")
            lstm.append((op.index, w_index, b_index))
    if not lstm:
        raise model_error(path, f"no LSTM of width {n} found (no [{4 * n}, {2 * n}] weights)")
    first, last = lstm[0][0], lstm[-1][0]
    layer_1 = [d for d in dense if d[3] == (n, n_in)]
    square_before = [d for d in dense if d[3] == (n, n) and d[0] < first]
    square_after = [d for d in dense if d[3] == (n, n) and d[0] > last]
    layer_6 = [d for d in dense if d[3][1] == n and d[3][0] != n and d[0] > last]
    if len(layer_1) != 1 or len(square_before) != 2 or len(square_after) != 1 or len(layer_6) != 1:
        raise model_error(
            path,
            "its fully connected layers do not match DeepSpeech's (3 dense layers, an LSTM, "
            f"2 dense layers); found weight shapes {[d[3] for d in dense]}",
        )
    weights: Weights = {}
    try:
        chosen = (layer_1[0], *square_before, square_after[0], layer_6[0])
        for layer, (_, w_index, b_index, _) in zip(DENSE_ORDER, chosen):
            w, b = _values(model, w_index, b_index, path)
            weights[f"{layer}/weights"] = np.ascontiguousarray(w.T)
            weights[f"{layer}/bias"] = np.ascontiguousarray(b)
        w, b = _values(model, lstm[0][1], lstm[0][2], path)
    except FlatbufferError as exc:
        raise model_error(path, f"a weight tensor is damaged ({exc})") from exc
    weights[LSTM_KERNEL] = np.ascontiguousarray(w.T)
    weights[LSTM_BIAS] = np.ascontiguousarray(b)
    try:
        validate_weights(weights)
    except ValueError as exc:
        raise model_error(path, f"the weights do not fit DeepSpeech's architecture: {exc}") from exc
    return weights


def is_quantized(model: TFLiteModel) -> bool:
    """Whether any FULLY_CONNECTED weight is stored as int8/uint8."""
    for op in model.operators:
        if op.builtin == OP_FULLY_CONNECTED and len(op.inputs) > 1:
            index = op.inputs[1]
            producer = model.producer.get(index)
            if producer is not None and producer.builtin == OP_DEQUANTIZE:
                index = producer.inputs[0]
            if model.tensors[index].type in (TYPE_INT8, TYPE_UINT8):
                return True
    return False


def read_tflite(path: Path) -> Tuple[SourceModel, TFLiteModel]:
    """A DeepSpeech ``.tflite`` (float or dynamic-range int8)."""
    model = load_tflite(path)
    n_steps, n_hidden = tflite_interface(model, path)
    meta = tflite_metadata(model, path)
    weights = tflite_weights(model, n_hidden, path)
    n_classes = int(weights["layer_6/bias"].shape[0])
    source = SourceModel(path, "tflite", weights, meta, n_steps, n_hidden, n_classes, list(meta.notes))
    return source, model

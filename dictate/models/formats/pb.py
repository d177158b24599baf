"""Frozen TensorFlow GraphDefs (``.pb``) of DeepSpeech 0.6-0.9, read without TensorFlow.

Parses the few protobuf messages involved (GraphDef, NodeDef, AttrValue, TensorProto,
TensorShapeProto) with :mod:`dictate.models.formats.protobuf`; constants stay views into
the file's bytes until they are converted to numpy arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import numpy as np

from dictate.models.formats.common import (
    METADATA_INTS,
    Metadata,
    SourceModel,
    deserialize_alphabet,
    model_error,
)
from dictate.models.formats.protobuf import (
    LENGTH,
    WireError,
    field_bytes,
    field_raw,
    field_varint,
    fixed32_float,
    iter_fields,
    packed_varints,
    signed64,
)
from dictate.models.weights import (
    DENSE_LAYERS,
    LSTM_BIAS,
    LSTM_KERNEL,
    LSTM_SCOPE,
    N_STEPS,
    Weights,
    validate_weights,
)

# tensorflow/core/framework/types.proto
DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8, DT_STRING = 1, 2, 3, 4, 5, 6, 7
DT_INT64, DT_BOOL, DT_HALF = 9, 10, 19
# The largest DeepSpeech tensor (n_hidden 2048: the 4096 x 8192 LSTM kernel) has 2^25 values.
MAX_TENSOR_ELEMENTS = 1 << 28

NUMPY_DTYPES: Dict[int, np.dtype] = {
    DT_FLOAT: np.dtype("<f4"),
    DT_DOUBLE: np.dtype("<f8"),
    DT_INT32: np.dtype("<i4"),
    DT_UINT8: np.dtype("u1"),
    DT_INT16: np.dtype("<i2"),
    DT_INT8: np.dtype("i1"),
    DT_INT64: np.dtype("<i8"),
    DT_BOOL: np.dtype("?"),
    DT_HALF: np.dtype("<f2"),
}

INPUT_NODE = "input_node"
INPUT_LENGTHS = "input_lengths"
STATE_C_IN = "previous_state_c"
STATE_H_IN = "previous_state_h"
LOGITS = "logits"
STATE_C_GATHER = f"{LSTM_SCOPE}/GatherNd"
STATE_H_GATHER = f"{LSTM_SCOPE}/GatherNd_1"
STATE_C_OUT = "new_state_c"
STATE_H_OUT = "new_state_h"

Tensor = Union[np.ndarray, List[bytes]]


@dataclass
class Node:
    """One NodeDef: its name, op, inputs, attributes (raw AttrValue bytes) and raw bytes."""

    name: str
    op: str
    inputs: List[str]
    attrs: Dict[str, memoryview]
    raw: Union[memoryview, bytes]


@dataclass
class GraphDef:
    """The nodes of a GraphDef plus its other top-level fields, kept as raw bytes."""

    nodes: List[Node]
    other: List[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.by_name = {n.name: n for n in self.nodes}

    def get(self, name: str) -> Optional[Node]:
        return self.by_name.get(name)

    def serialize(self) -> bytes:
        """The GraphDef's bytes (nodes in order, then the other fields)."""
        parts = [field_bytes(1, node.raw) for node in self.nodes]
        parts.extend(self.other)
        return b"".join(parts)


def parse_node(raw: memoryview) -> Node:
    name, op, inputs, attrs = "", "", [], {}
    for number, wire, value in iter_fields(raw):
        if wire != LENGTH:
            continue
        assert isinstance(value, memoryview)
        if number == 1:
            name = bytes(value).decode("utf-8")
        elif number == 2:
            op = bytes(value).decode("utf-8")
        elif number == 3:
            inputs.append(bytes(value).decode("utf-8"))
        elif number == 5:
            key, attr = "", memoryview(b"")
            for n2, w2, v2 in iter_fields(value):
                if w2 == LENGTH and n2 == 1:
                    key = bytes(v2).decode("utf-8")
                elif w2 == LENGTH and n2 == 2:
                    attr = v2  # type: ignore[assignment]
            attrs[key] = attr
    return Node(name, op, inputs, attrs, raw)


def parse_graphdef(data: Union[bytes, memoryview]) -> GraphDef:
    """Parse GraphDef bytes (raises WireError or UnicodeDecodeError if they are not one)."""
    buf = memoryview(data)
    nodes: List[Node] = []
    other: List[bytes] = []
    for number, wire, value in iter_fields(buf):
        if number == 1 and wire == LENGTH:
            assert isinstance(value, memoryview)
            nodes.append(parse_node(value))
        else:
            other.append(field_raw(number, wire, value))
    return GraphDef(nodes, other)


# -- attributes and tensors ------------------------------------------------------------------


def _attr_field(node: Node, attr: str, number: int):
    raw = node.attrs.get(attr)
    if raw is None:
        return None
    for n, _, value in iter_fields(raw):
        if n == number:
            return value
    return None


def attr_type(node: Node, attr: str = "dtype") -> Optional[int]:
    value = _attr_field(node, attr, 6)
    return int(value) if value is not None else None


def attr_bytes(node: Node, attr: str) -> Optional[bytes]:
    value = _attr_field(node, attr, 2)
    return bytes(value) if value is not None else None


def parse_shape(raw: memoryview) -> Optional[List[int]]:
    """TensorShapeProto → dims (-1 for unknown); None for an unknown rank."""
    dims: List[int] = []
    for number, _, value in iter_fields(raw):
        if number == 2:
            size = -1
            for n2, _, v2 in iter_fields(value):  # type: ignore[arg-type]
                if n2 == 1:
                    size = signed64(v2)  # type: ignore[arg-type]
            dims.append(size)
        elif number == 3 and value:
            return None
    return dims


def attr_shape(node: Node, attr: str = "shape") -> Optional[List[int]]:
    value = _attr_field(node, attr, 7)
    return parse_shape(value) if value is not None else None


def decode_tensor(raw: memoryview) -> Tensor:
    """TensorProto → numpy array (numeric types) or list of bytes (strings)."""
    dtype = DT_FLOAT
    shape: List[int] = []
    content: Optional[memoryview] = None
    values: Dict[int, list] = {}
    for number, wire, value in iter_fields(raw):
        if number == 1:
            dtype = int(value)
        elif number == 2:
            shape = parse_shape(value) or []  # type: ignore[arg-type]
        elif number == 4:
            content = value  # type: ignore[assignment]
        elif number == 8:
            values.setdefault(8, []).append(bytes(value))
        elif number in (5, 6, 7, 10, 11, 13):
            values.setdefault(number, []).append((wire, value))
    if dtype == DT_STRING:
        return values.get(8, [])
    if dtype not in NUMPY_DTYPES:
        raise ValueError(f"unsupported tensor type {dtype}")
    np_dtype = NUMPY_DTYPES[dtype]
    count = math.prod(shape) if shape else 1  # Python ints: no overflow
    if any(d < 0 for d in shape) or count > MAX_TENSOR_ELEMENTS:
        raise ValueError(f"tensor shape {shape} is implausible (damaged file?)")
    if content is not None and len(content):
        array = np.frombuffer(content, dtype=np_dtype)
    else:
        array = _repeated_values(dtype, values)
        if array.size not in (0, 1, count):
            raise ValueError("tensor has the wrong number of values")
        if array.size == 0:
            array = np.zeros(count, dtype=np_dtype)
        elif array.size == 1 and count != 1:
            array = np.full(count, array[0], dtype=np_dtype)
    if array.size != count:
        raise ValueError(f"tensor of shape {shape} holds {array.size} values")
    return array.reshape(shape)


def _repeated_values(dtype: int, values: Dict[int, list]) -> np.ndarray:
    if dtype == DT_FLOAT:
        out: List[float] = []
        for _wire, value in values.get(5, []):
            if isinstance(value, int):
                out.append(fixed32_float(value))
            else:
                out.extend(np.frombuffer(value, dtype="<f4").tolist())
        return np.array(out, dtype=np.float32)
    if dtype == DT_DOUBLE:
        out = []
        for _wire, value in values.get(6, []):
            if isinstance(value, int):
                out.append(float(np.frombuffer(value.to_bytes(8, "little"), "<f8")[0]))
            else:
                out.extend(np.frombuffer(value, dtype="<f8").tolist())
        return np.array(out, dtype=np.float64)
    field_of = {DT_INT64: 10, DT_BOOL: 11, DT_HALF: 13}
    number = field_of.get(dtype, 7)
    ints: List[int] = []
    for _wire, value in values.get(number, []):
        ints.extend(packed_varints(value))
    if dtype == DT_HALF:
        return np.array(ints, dtype=np.uint16).view(np.float16)
    signed = [signed64(v) for v in ints]
    return np.array(signed, dtype=NUMPY_DTYPES[dtype])


def const_value(node: Node) -> Tensor:
    """The value of a ``Const`` node."""
    raw = _attr_field(node, "value", 8)
    if raw is None:
        raise ValueError(f"Const '{node.name}' has no value")
    return decode_tensor(raw)


# -- writing nodes ----------------------------------------------------------------------------


def shape_proto(dims: List[int]) -> bytes:
    return b"".join(field_bytes(2, field_varint(1, d)) for d in dims)


def attr_entry(key: str, attr_value: bytes) -> bytes:
    return field_bytes(5, field_bytes(1, key.encode("utf-8")) + field_bytes(2, attr_value))


def const_node(
    name: str, dtype: int, dims: List[int], content: Union[bytes, memoryview], node: Node
) -> bytes:
    """NodeDef bytes of a ``Const`` holding ``content`` (inputs and device kept from ``node``)."""
    tensor = field_varint(1, dtype) + field_bytes(2, shape_proto(dims)) + field_bytes(4, content)
    parts = [field_bytes(1, name.encode("utf-8")), field_bytes(2, b"Const")]
    parts += [field_bytes(3, i.encode("utf-8")) for i in node.inputs]
    for number, wire, value in iter_fields(memoryview(node.raw)):
        if number == 4:  # device
            parts.append(field_raw(number, wire, value))
    parts.append(attr_entry("dtype", field_varint(6, dtype)))
    parts.append(attr_entry("value", field_bytes(8, tensor)))
    return b"".join(parts)


# -- DeepSpeech ------------------------------------------------------------------------------


def load_graphdef(path: Path) -> GraphDef:
    """Read and parse a ``.pb`` (ModelError if it is not a GraphDef)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise model_error(path, exc.strerror or str(exc)) from exc
    try:
        graph = parse_graphdef(data)
    except (WireError, UnicodeDecodeError, AssertionError) as exc:
        raise model_error(path, f"not a TensorFlow GraphDef ({exc})") from exc
    if not graph.nodes:
        raise model_error(path, "not a TensorFlow GraphDef (no nodes)")
    return graph


def _placeholder_shape(graph: GraphDef, name: str, path: Path) -> List[int]:
    node = graph.get(name)
    if node is None or node.op != "Placeholder":
        raise model_error(
            path,
            f"the graph has no '{name}' input, so it is not a DeepSpeech 0.6-0.9 acoustic model",
        )
    shape = attr_shape(node)
    if shape is None:
        raise model_error(path, f"the input '{name}' has no fixed rank")
    return shape


def graph_interface(graph: GraphDef, path: Path) -> Tuple[int, int]:
    """Check the inputs and outputs DeepSpeech's client uses; returns ``(n_steps, n_hidden)``."""
    shape = _placeholder_shape(graph, INPUT_NODE, path)
    if len(shape) != 4 or shape[0] not in (1, -1) or shape[2:] != [19, 26]:
        raise model_error(path, f"'{INPUT_NODE}' has shape {shape}, expected [1, n_steps, 19, 26]")
    n_steps = shape[1] if shape[1] > 0 else N_STEPS
    _placeholder_shape(graph, INPUT_LENGTHS, path)
    state = _placeholder_shape(graph, STATE_C_IN, path)
    _placeholder_shape(graph, STATE_H_IN, path)
    if len(state) != 2 or state[1] <= 0:
        raise model_error(path, f"'{STATE_C_IN}' has shape {state}, expected [1, n_hidden]")
    for name in (LOGITS,):
        if graph.get(name) is None:
            raise model_error(path, f"the graph has no '{name}' output")
    if graph.get(STATE_C_GATHER) is None and graph.get(STATE_C_OUT) is None:
        raise model_error(path, "the graph has no LSTM state output (GatherNd or new_state_c)")
    return n_steps, state[1]


def _scalar(graph: GraphDef, name: str) -> Optional[Union[int, bytes]]:
    node = graph.get(name)
    if node is None or node.op != "Const":
        return None
    value = const_value(node)
    if isinstance(value, list):
        return value[0] if value else None
    flat = np.asarray(value).reshape(-1)
    return int(flat[0]) if flat.size else None


def graph_metadata(graph: GraphDef, path: Path) -> Metadata:
    """The ``metadata_*`` constants, with DeepSpeech's defaults (and a note) where missing."""
    meta = Metadata()
    missing = []
    try:
        for node_name, attr in METADATA_INTS.items():
            value = _scalar(graph, node_name)
            if isinstance(value, int):
                setattr(meta, attr, value)
            elif attr != "graph_version":
                missing.append(node_name)
        alphabet = _scalar(graph, "metadata_alphabet")
        if isinstance(alphabet, bytes):
            meta.alphabet = deserialize_alphabet(alphabet)
        else:
            missing.append("metadata_alphabet")
        language = _scalar(graph, "metadata_language")
        if isinstance(language, bytes):
            meta.language = language.decode("utf-8", "replace")
    except (ValueError, WireError, UnicodeDecodeError) as exc:
        raise model_error(path, f"its metadata constants are damaged ({exc})") from exc
    if missing:
        meta.notes.append(
            f"{path.name} has no {', '.join(missing)}; used DeepSpeech's defaults "
            f"(16000 Hz, 32/20 ms windows, beam 500, English alphabet)"
        )
    return meta


def _float_const(graph: GraphDef, name: str, path: Path) -> np.ndarray:
    node = graph.get(name)
    if node is None:
        raise model_error(path, f"the graph has no variable '{name}'")
    if node.op != "Const":
        raise model_error(path, f"'{name}' is a {node.op}, not a frozen constant")
    value = const_value(node)
    if isinstance(value, list) or value.dtype.kind != "f":
        raise model_error(path, f"'{name}' is not a floating-point tensor")
    return np.asarray(value, dtype=np.float32)


def graph_weights(graph: GraphDef, path: Path) -> Weights:
    """DeepSpeech's variables (frozen as Consts named after them) as float32 arrays."""
    names = [f"{layer}/{kind}" for layer in DENSE_LAYERS for kind in ("weights", "bias")]
    names += [LSTM_KERNEL, LSTM_BIAS]
    try:
        weights = {name: _float_const(graph, name, path) for name in names}
    except (ValueError, WireError) as exc:
        raise model_error(path, f"a weight tensor is damaged ({exc})") from exc
    try:
        validate_weights(weights)
    except ValueError as exc:
        raise model_error(path, f"the weights do not fit DeepSpeech's architecture: {exc}") from exc
    return weights


def source_from_graph(graph: GraphDef, path: Path, fmt: str) -> SourceModel:
    """Everything the importer needs from a DeepSpeech GraphDef."""
    n_steps, n_hidden = graph_interface(graph, path)
    meta = graph_metadata(graph, path)
    weights = graph_weights(graph, path)
    if weights[LSTM_BIAS].shape[0] != 4 * n_hidden:
        raise model_error(path, "the LSTM width does not match previous_state_c")
    n_classes = int(weights["layer_6/bias"].shape[0])
    return SourceModel(path, fmt, weights, meta, n_steps, n_hidden, n_classes, list(meta.notes))


def read_pb(path: Path) -> Tuple[SourceModel, GraphDef]:
    """A frozen DeepSpeech ``.pb``."""
    graph = load_graphdef(path)
    return source_from_graph(graph, path, "pb"), graph

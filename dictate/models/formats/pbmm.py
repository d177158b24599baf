"""TensorFlow's memmapped package (``.pbmm``), read without TensorFlow.

Layout (``tensorflow/core/util/memmapped_file_system*.cc``): regions one after another
(tensor blobs 64-byte aligned), then a ``MemmappedFileSystemDirectory`` protobuf
(``repeated element = 1 {offset = 1, name = 2, length = 3}``), then the directory's offset
as a little-endian uint64. The GraphDef is the region ``memmapped_package://.``; constants
of 10 kB or more were turned into ``ImmutableConst`` nodes whose ``memory_region_name``
names their region. Turning those back into ``Const`` nodes gives an ordinary frozen graph.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Tuple

import numpy as np

from dictate.models.formats.common import SourceModel, model_error
from dictate.models.formats.pb import (
    NUMPY_DTYPES,
    GraphDef,
    attr_bytes,
    attr_shape,
    attr_type,
    const_node,
    parse_graphdef,
    parse_node,
    source_from_graph,
)
from dictate.models.formats.protobuf import LENGTH, WireError, iter_fields

PACKAGE_PREFIX = "memmapped_package://"
GRAPH_REGION = PACKAGE_PREFIX + "."


def read_directory(data: memoryview, path: Path) -> Dict[str, Tuple[int, int]]:
    """Region name → (offset, length)."""
    if len(data) <= 8:
        raise model_error(path, "not a memmapped TensorFlow model (file too short)")
    dir_offset = int.from_bytes(data[-8:], "little")
    if dir_offset > len(data) - 8:
        raise model_error(path, "not a memmapped TensorFlow model (bad directory offset)")
    elements = []
    try:
        for number, wire, value in iter_fields(data[dir_offset:-8]):
            if number != 1 or wire != LENGTH:
                continue
            offset, name, length = None, None, None
            for n2, _, v2 in iter_fields(value):  # type: ignore[arg-type]
                if n2 == 1:
                    offset = int(v2)
                elif n2 == 2:
                    name = bytes(v2).decode("utf-8")
                elif n2 == 3:
                    length = int(v2)
            if offset is None or name is None:
                raise WireError("directory element without offset or name")
            elements.append((offset, name, length))
    except (WireError, UnicodeDecodeError) as exc:
        raise model_error(path, f"not a memmapped TensorFlow model ({exc})") from exc
    regions: Dict[str, Tuple[int, int]] = {}
    end = dir_offset
    for offset, name, length in reversed(elements):  # lengths are implicit in old files
        if offset >= end:
            raise model_error(path, f"damaged memmapped package: region '{name}' is out of order")
        regions[name] = (offset, end - offset if length is None else length)
        end = offset
    if GRAPH_REGION not in regions:
        raise model_error(path, "not a memmapped TensorFlow model (no graph region)")
    return regions


def restore_consts(
    graph: GraphDef, data: memoryview, regions: Dict[str, Tuple[int, int]], path: Path
) -> GraphDef:
    """Replace every ``ImmutableConst`` by a ``Const`` holding its region's bytes."""
    nodes = []
    for node in graph.nodes:
        if node.op != "ImmutableConst":
            nodes.append(node)
            continue
        region = (attr_bytes(node, "memory_region_name") or b"").decode("utf-8", "replace")
        dtype = attr_type(node)
        dims = attr_shape(node)
        if region not in regions:
            raise model_error(path, f"'{node.name}' reads region '{region}', which is missing")
        if dtype not in NUMPY_DTYPES or dims is None or any(d < 0 for d in dims):
            raise model_error(path, f"'{node.name}' has an unsupported type or shape")
        offset, length = regions[region]
        need = int(np.prod(dims)) * NUMPY_DTYPES[dtype].itemsize
        if length < need or offset + need > len(data):
            raise model_error(path, f"region '{region}' of '{node.name}' is truncated")
        raw = const_node(node.name, dtype, dims, data[offset : offset + need], node)
        nodes.append(parse_node(memoryview(raw)))
    return GraphDef(nodes, graph.other)


def load_pbmm(path: Path) -> GraphDef:
    """The frozen GraphDef inside a ``.pbmm``, with its constants restored."""
    try:
        data = memoryview(path.read_bytes())
    except OSError as exc:
        raise model_error(path, exc.strerror or str(exc)) from exc
    regions = read_directory(data, path)
    offset, length = regions[GRAPH_REGION]
    try:
        graph = parse_graphdef(data[offset : offset + length])
    except (WireError, UnicodeDecodeError, AssertionError) as exc:
        raise model_error(path, f"the graph inside is damaged ({exc})") from exc
    return restore_consts(graph, data, regions, path)


def is_pbmm(data: bytes, size: int) -> bool:
    """Cheap check on the last 8 bytes: a plausible directory offset (``data`` = file tail)."""
    if size <= 8 or len(data) < 8:
        return False
    return int.from_bytes(data[-8:], "little") < size - 8


def read_pbmm(path: Path) -> Tuple[SourceModel, GraphDef]:
    """A DeepSpeech ``.pbmm``; also returns the restored GraphDef (for the reference conversion)."""
    graph = load_pbmm(path)
    return source_from_graph(graph, path, "pbmm"), graph

"""Generate DeepSpeech 0.8/0.9 stand-in models and TensorFlow reference outputs (dev only).

Runs in a separate TensorFlow environment, never in the app's venv::

    /work/tfenv/bin/python tools/reference/make_standins.py [--n-hidden 64] [--out-dir DIR]
    /work/tfenv/bin/python tools/reference/make_standins.py --n-hidden 2048 \
        --full-pb /tmp/ds-2048.pb --full-tflite /tmp/ds-2048-int8.tflite   # for bench --compare

The graphs have DeepSpeech's exact structure and node names (``training/deepspeech_training/
train.py``: ``create_inference_graph`` + ``export``), only narrower and with deterministic
random weights:

- ``standin.pb``: the frozen graph DeepSpeech 0.8/0.9 exports for the native client: inputs
  ``input_node [1,16,19,26]``, ``input_lengths [1]`` (int32), ``previous_state_c/h [1,n]``;
  ``layer_1..3`` (MatMul + BiasAdd + min(relu, 20)), the LSTM as ``LSTMBlockFusedCell``
  ``cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell`` (one ``BlockLSTM`` op,
  forget bias 0, final state gathered with ``GatherNd``/``GatherNd_1`` at ``input_lengths``),
  ``layer_5``, ``layer_6``, ``raw_logits``, softmax ``logits``, ``new_state_c/h``; the feature
  branch ``input_samples [512]`` → ``AudioSpectrogram`` → ``Mfcc`` → ``mfccs``; the
  ``metadata_*`` constants. Variables are TF1 reference variables frozen with
  ``convert_variables_to_constants`` (``<var>`` Const + ``<var>/read`` Identity), as TF 1.15 did.
  ``tf.contrib`` is gone from TF 2.x, so the fused cell is rebuilt from ``tf.raw_ops.BlockLSTM``
  with the same wiring as ``LSTMBlockWrapper.call``.
- ``standin.pbmm``: the same graph in TF's memmapped package format, written here the way
  ``convert_graphdef_memmapped_format`` does (not shipped with TF 2.x pip wheels): every Const
  of at least 10,000 bytes becomes an ``ImmutableConst`` reading region
  ``memmapped_package://<sanitized name>``, tensor blobs are 64-byte aligned, the GraphDef is
  region ``memmapped_package://.``, then a ``MemmappedFileSystemDirectory`` and its offset as a
  little-endian uint64.
- ``standin.tflite`` / ``standin-int8.tflite``: the 0.9-style TF Lite export (``static_rnn`` of
  ``LSTMCell``, no ``input_lengths``, logits squeezed to ``[16, 29]``), converted from the
  frozen graph with ``allow_custom_ops`` (``AudioSpectrogram``/``Mfcc`` stay custom ops), float
  and with dynamic-range int8 weights (``Optimize.DEFAULT``, what DeepSpeech shipped).
  ``tf.compat.v1.nn.rnn_cell.LSTMCell`` is gone too; the cell is written out with the ops and
  variable names of TF 1.15's ``LSTMCell.call``.
- ``reference.npz``: fixed random inputs over 3 blocks of 16 frames with the state carried
  from block to block, and the outputs of TF (session on the ``.pb``) and of the TF Lite
  interpreter (float and int8 ``.tflite``): ``<fmt>:probs [3,16,29]``, ``<fmt>:c``,
  ``<fmt>:h [3,n]`` for fmt in ``tf``, ``tflite``, ``tflite_int8``; plus the weights and the
  metadata written into the graphs.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path
from typing import Dict, List, Tuple

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tfv1 = tf.compat.v1

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "tests" / "fixtures" / "standins"

N_INPUT = 26
N_CONTEXT = 9
N_STEPS = 16
N_CLASSES = 29
RELU_CLIP = 20.0
SAMPLE_RATE = 16000
WIN_LEN_MS = 32
WIN_STEP_MS = 20
AUDIO_WINDOW = 512
AUDIO_STEP = 320
GRAPH_VERSION = 6
# Not DeepSpeech's 500, so that tests can tell metadata that was read from defaults.
BEAM_WIDTH = 1024
LANGUAGE = "en-US"
LABELS = [" "] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["'"]
LSTM_SCOPE = "cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell"
MIN_MEMMAP_BYTES = 10000  # convert_graphdef_memmapped_format's default
MEMMAP_ALIGN = 64  # Allocator::kAllocatorAlignment
MEMMAP_PREFIX = "memmapped_package://"
N_BLOCKS = 3


def serialize_alphabet(labels: List) -> bytes:
    """``Alphabet::Serialize``: uint16 count, then per label uint16 key, uint16 length, bytes."""
    out = bytearray(struct.pack("<H", len(labels)))
    for key, label in enumerate(labels):
        data = label if isinstance(label, bytes) else label.encode("utf-8")
        out += struct.pack("<HH", key, len(data)) + data
    return bytes(out)


def random_weights(n: int, seed: int) -> Dict[str, np.ndarray]:
    """Glorot-uniform matrices, small normal biases (same recipe as dictate.models.weights)."""
    rng = np.random.default_rng(seed)
    n_in = (2 * N_CONTEXT + 1) * N_INPUT
    shapes = {
        "layer_1/weights": (n_in, n),
        "layer_1/bias": (n,),
        "layer_2/weights": (n, n),
        "layer_2/bias": (n,),
        "layer_3/weights": (n, n),
        "layer_3/bias": (n,),
        f"{LSTM_SCOPE}/kernel": (2 * n, 4 * n),
        f"{LSTM_SCOPE}/bias": (4 * n,),
        "layer_5/weights": (n, n),
        "layer_5/bias": (n,),
        "layer_6/weights": (n, N_CLASSES),
        "layer_6/bias": (N_CLASSES,),
    }
    out = {}
    for name, shape in shapes.items():
        if len(shape) == 2:
            limit = np.sqrt(6.0 / (shape[0] + shape[1]))
            out[name] = rng.uniform(-limit, limit, size=shape).astype(np.float32)
        else:
            out[name] = rng.normal(0.0, 0.05, size=shape).astype(np.float32)
    out["layer_6/weights"] *= 4.0
    return out


# -- the graph, as DeepSpeech's train.py builds it -------------------------------------------


def variable(name: str, value: np.ndarray, assigns: list) -> tf.Tensor:
    """``variable_on_cpu``: a TF1 variable, loaded with ``value`` after initialisation."""
    var = tfv1.get_variable(name=name, shape=value.shape, initializer=tfv1.zeros_initializer())
    assigns.append((var, value))
    return var


def dense(name: str, x: tf.Tensor, w: Dict[str, np.ndarray], assigns: list, relu: bool = True):
    with tfv1.variable_scope(name):
        bias = variable("bias", w[f"{name}/bias"], assigns)
        weights = variable("weights", w[f"{name}/weights"], assigns)
    output = tf.nn.bias_add(tf.matmul(x, weights), bias)
    if relu:
        output = tf.minimum(tf.nn.relu(output), RELU_CLIP)
    return output


def rnn_impl_lstmblockfusedcell(x, seq_length, previous_state, w, assigns):
    """``LSTMBlockFusedCell(n, forget_bias=0, name='cudnn_compatible_lstm_cell')`` of TF 1.15."""
    n = w[f"{LSTM_SCOPE}/bias"].shape[0] // 4
    with tfv1.variable_scope("cudnn_lstm/rnn/multi_rnn_cell/cell_0"), tfv1.variable_scope(
        "cudnn_compatible_lstm_cell"
    ):
        kernel = variable("kernel", w[f"{LSTM_SCOPE}/kernel"], assigns)
        bias = variable("bias", w[f"{LSTM_SCOPE}/bias"], assigns)
        # LSTMBlockWrapper.call
        batch_size = x.shape[1]
        time_len = x.shape[0]
        initial_cell_state, initial_output = previous_state
        # LSTMBlockFusedCell._call_cell
        wci = wcf = wco = tf.zeros([n], dtype=tf.float32)
        max_seq_len = tf.cast(tf.reduce_max(seq_length), tf.int64)
        _, cs, _, _, _, _, h = tf.raw_ops.BlockLSTM(
            seq_len_max=max_seq_len,
            x=x,
            cs_prev=initial_cell_state,
            h_prev=initial_output,
            w=kernel,
            wci=wci,
            wcf=wcf,
            wco=wco,
            b=bias,
            forget_bias=0.0,
            cell_clip=-1.0,
            use_peephole=False,
        )
        mask = tf.transpose(tf.sequence_mask(seq_length, time_len, dtype=tf.float32), [1, 0])
        mask = tf.tile(tf.expand_dims(mask, [-1]), [1, 1, n])
        outputs = h * mask
        mod_cell_states = tf.concat([tf.expand_dims(initial_cell_state, [0]), cs], 0)
        mod_outputs = tf.concat([tf.expand_dims(initial_output, [0]), outputs], 0)
        final_c = tf.gather_nd(mod_cell_states, tf.stack([seq_length, tf.range(batch_size)], axis=1))
        final_h = tf.gather_nd(mod_outputs, tf.stack([seq_length, tf.range(batch_size)], axis=1))
    return outputs, (final_c, final_h)


def rnn_impl_static_rnn(x, previous_state, w, assigns):
    """``static_rnn`` of ``LSTMCell(n, forget_bias=0, name='cudnn_compatible_lstm_cell')``."""
    with tfv1.variable_scope("cudnn_lstm/rnn/multi_rnn_cell"):
        steps = [x[t] for t in range(x.shape[0])]
        with tfv1.variable_scope("cell_0"):
            with tfv1.variable_scope("cudnn_compatible_lstm_cell"):
                kernel = variable("kernel", w[f"{LSTM_SCOPE}/kernel"], assigns)
                bias = variable("bias", w[f"{LSTM_SCOPE}/bias"], assigns)
            c, h = previous_state
            outputs = []
            for x_t in steps:
                with tf.name_scope("cudnn_compatible_lstm_cell"):
                    lstm_matrix = tf.matmul(tf.concat([x_t, h], 1), kernel)
                    lstm_matrix = tf.nn.bias_add(lstm_matrix, bias)
                    i, j, f, o = tf.split(value=lstm_matrix, num_or_size_splits=4, axis=1)
                    c = tf.sigmoid(f + 0.0) * c + tf.sigmoid(i) * tf.tanh(j)
                    h = tf.sigmoid(o) * tf.tanh(c)
                outputs.append(h)
        output = tf.concat(outputs, 0)
    return output, (c, h)


def create_inference_graph(w: Dict[str, np.ndarray], tflite: bool, assigns: list):
    """``create_inference_graph(batch_size=1, n_steps=16, tflite=...)`` + ``create_model``."""
    n = w[f"{LSTM_SCOPE}/bias"].shape[0] // 4
    batch_size = 1
    input_samples = tfv1.placeholder(tf.float32, [AUDIO_WINDOW], "input_samples")
    samples = tf.expand_dims(input_samples, -1)
    spectrogram = tf.raw_ops.AudioSpectrogram(
        input=samples, window_size=AUDIO_WINDOW, stride=AUDIO_STEP, magnitude_squared=True
    )
    mfccs = tf.raw_ops.Mfcc(
        spectrogram=spectrogram,
        sample_rate=tf.constant(SAMPLE_RATE, tf.int32),
        dct_coefficient_count=N_INPUT,
        upper_frequency_limit=SAMPLE_RATE / 2,
    )
    mfccs = tf.reshape(mfccs, [-1, N_INPUT])
    mfccs = tf.identity(mfccs, name="mfccs")

    window = 2 * N_CONTEXT + 1
    input_tensor = tfv1.placeholder(tf.float32, [batch_size, N_STEPS, window, N_INPUT], name="input_node")
    seq_length = tfv1.placeholder(tf.int32, [batch_size], name="input_lengths")
    previous_state_c = tfv1.placeholder(tf.float32, [batch_size, n], name="previous_state_c")
    previous_state_h = tfv1.placeholder(tf.float32, [batch_size, n], name="previous_state_h")
    previous_state = (previous_state_c, previous_state_h)

    batch_x = tf.transpose(a=input_tensor, perm=[1, 0, 2, 3])
    batch_x = tf.reshape(batch_x, [-1, N_INPUT + 2 * N_INPUT * N_CONTEXT])
    layer_1 = dense("layer_1", batch_x, w, assigns)
    layer_2 = dense("layer_2", layer_1, w, assigns)
    layer_3 = dense("layer_3", layer_2, w, assigns)
    layer_3 = tf.reshape(layer_3, [-1, batch_size, n])
    if tflite:
        output, output_state = rnn_impl_static_rnn(layer_3, previous_state, w, assigns)
    else:
        output, output_state = rnn_impl_lstmblockfusedcell(layer_3, seq_length, previous_state, w, assigns)
    output = tf.reshape(output, [-1, n])
    layer_5 = dense("layer_5", output, w, assigns)
    layer_6 = dense("layer_6", layer_5, w, assigns, relu=False)
    logits = tf.reshape(layer_6, [-1, batch_size, N_CLASSES], name="raw_logits")
    if tflite:
        logits = tf.squeeze(logits, [1])
    probs = tf.nn.softmax(logits, name="logits")
    new_state_c = tf.identity(output_state[0], name="new_state_c")
    new_state_h = tf.identity(output_state[1], name="new_state_h")
    inputs = {
        "input": input_tensor,
        "previous_state_c": previous_state_c,
        "previous_state_h": previous_state_h,
        "input_samples": input_samples,
    }
    if not tflite:
        inputs["input_lengths"] = seq_length
    outputs = {"outputs": probs, "new_state_c": new_state_c, "new_state_h": new_state_h, "mfccs": mfccs}
    return inputs, outputs


def export_graph(w: Dict[str, np.ndarray], tflite: bool):
    """``export()``: build, add metadata, freeze; returns (session, graph, frozen, inputs, outputs)."""
    tfv1.disable_resource_variables()  # TF 1.15's reference variables: `<var>/read` Identities
    graph = tf.Graph()
    with graph.as_default():
        assigns: list = []
        inputs, outputs = create_inference_graph(w, tflite, assigns)
        outputs["metadata_version"] = tf.constant([GRAPH_VERSION], name="metadata_version")
        outputs["metadata_sample_rate"] = tf.constant([SAMPLE_RATE], name="metadata_sample_rate")
        outputs["metadata_feature_win_len"] = tf.constant([WIN_LEN_MS], name="metadata_feature_win_len")
        outputs["metadata_feature_win_step"] = tf.constant([WIN_STEP_MS], name="metadata_feature_win_step")
        outputs["metadata_beam_width"] = tf.constant([BEAM_WIDTH], name="metadata_beam_width")
        outputs["metadata_alphabet"] = tf.constant([serialize_alphabet(LABELS)], name="metadata_alphabet")
        outputs["metadata_language"] = tf.constant([LANGUAGE.encode("utf-8")], name="metadata_language")
        output_names = [t.op.name for t in outputs.values()]
        session = tfv1.Session(graph=graph)
        session.run(tfv1.global_variables_initializer())
        for var, value in assigns:
            var.load(value, session)
        frozen = tfv1.graph_util.convert_variables_to_constants(
            sess=session, input_graph_def=graph.as_graph_def(), output_node_names=output_names
        )
        frozen = tfv1.graph_util.extract_sub_graph(graph_def=frozen, dest_nodes=output_names)
    return session, graph, frozen, inputs, outputs


# -- memmapped package -----------------------------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _directory_element(offset: int, name: str, length: int) -> bytes:
    """``MemmappedFileSystemDirectoryElement {offset=1 (uint64), name=2, length=3}``."""
    raw = name.encode("utf-8")
    body = b"\x08" + _varint(offset) + b"\x12" + _varint(len(raw)) + raw + b"\x18" + _varint(length)
    return b"\x0a" + _varint(len(body)) + body  # field 1 of MemmappedFileSystemDirectory


def write_memmapped(frozen, path: Path) -> int:
    """``convert_graphdef_memmapped_format``: big Consts → ImmutableConst + aligned blobs."""
    from tensorflow.core.framework import attr_value_pb2, graph_pb2

    graph = graph_pb2.GraphDef()
    graph.CopyFrom(frozen)
    blob = bytearray()
    directory = bytearray()
    used = set()
    converted = 0
    for node in graph.node:
        if node.op != "Const":
            continue
        tensor = node.attr["value"].tensor
        if tensor.dtype == tf.string.as_datatype_enum:
            continue
        array = tf.make_ndarray(tensor)
        if array.nbytes < MIN_MEMMAP_BYTES:
            continue
        region = "".join(c if (c.isascii() and (c.isalnum() or c in "_.")) else "_" for c in node.name)
        while region in used:
            region += "_"
        used.add(region)
        name = MEMMAP_PREFIX + region
        blob += b"\0" * ((-len(blob)) % MEMMAP_ALIGN)
        directory += _directory_element(len(blob), name, array.nbytes)
        blob += np.ascontiguousarray(array).tobytes()
        dtype, shape = tensor.dtype, tensor.tensor_shape
        node.op = "ImmutableConst"
        node.ClearField("attr")
        node.attr["dtype"].CopyFrom(attr_value_pb2.AttrValue(type=dtype))
        node.attr["shape"].CopyFrom(attr_value_pb2.AttrValue(shape=shape))
        node.attr["memory_region_name"].CopyFrom(attr_value_pb2.AttrValue(s=name.encode()))
        converted += 1
    encoded = graph.SerializeToString(deterministic=True)
    directory += _directory_element(len(blob), MEMMAP_PREFIX + ".", len(encoded))
    blob += encoded
    offset = len(blob)
    blob += bytes(directory)
    blob += struct.pack("<Q", offset)
    path.write_bytes(bytes(blob))
    return converted


def verify_memmapped(path: Path) -> None:
    """Read the package back with TF's own protos (the directory and the GraphDef)."""
    from tensorflow.core.framework import graph_pb2
    from tensorflow.core.util import memmapped_file_system_pb2

    data = path.read_bytes()
    (offset,) = struct.unpack("<Q", data[-8:])
    directory = memmapped_file_system_pb2.MemmappedFileSystemDirectory()
    directory.ParseFromString(data[offset:-8])
    regions = {e.name: (e.offset, e.length) for e in directory.element}
    start, length = regions[MEMMAP_PREFIX + "."]
    graph = graph_pb2.GraphDef()
    graph.ParseFromString(data[start : start + length])
    for node in graph.node:
        if node.op == "ImmutableConst":
            region = node.attr["memory_region_name"].s.decode()
            assert regions[region][0] % MEMMAP_ALIGN == 0, region
            dims = [d.size for d in node.attr["shape"].shape.dim]
            assert regions[region][1] == 4 * int(np.prod(dims)), region


# -- references ------------------------------------------------------------------------------


def make_inputs(n: int, seed: int) -> Dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 2.0, size=(N_BLOCKS, N_STEPS, 2 * N_CONTEXT + 1, N_INPUT)).astype(np.float32)
    c0 = rng.normal(0.0, 0.5, size=(1, n)).astype(np.float32)
    h0 = np.tanh(rng.normal(0.0, 0.5, size=(1, n))).astype(np.float32)
    return {"x": x, "c0": c0, "h0": h0}


def run_tf(session, inputs, outputs, data) -> Dict[str, np.ndarray]:
    c, h = data["c0"], data["h0"]
    probs, cs, hs = [], [], []
    for block in data["x"]:
        p, c, h = session.run(
            [outputs["outputs"], outputs["new_state_c"], outputs["new_state_h"]],
            {
                inputs["input"]: block[None],
                inputs["input_lengths"]: np.array([N_STEPS], np.int32),
                inputs["previous_state_c"]: c,
                inputs["previous_state_h"]: h,
            },
        )
        probs.append(p.reshape(N_STEPS, N_CLASSES))
        cs.append(c[0])
        hs.append(h[0])
    return {"probs": np.stack(probs), "c": np.stack(cs), "h": np.stack(hs)}


def run_tflite(model: bytes, data) -> Dict[str, np.ndarray]:
    # Built-in kernels only (no XNNPACK delegate), like DeepSpeech's native client.
    interp = tf.lite.Interpreter(
        model_content=model,
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    interp.allocate_tensors()
    ins = {d["name"]: d["index"] for d in interp.get_input_details()}
    outs = {d["name"]: d["index"] for d in interp.get_output_details()}
    c, h = data["c0"], data["h0"]
    probs, cs, hs = [], [], []
    for block in data["x"]:
        interp.set_tensor(ins["input_node"], block[None])
        interp.set_tensor(ins["previous_state_c"], c)
        interp.set_tensor(ins["previous_state_h"], h)
        interp.set_tensor(ins["input_samples"], np.zeros(AUDIO_WINDOW, np.float32))
        interp.invoke()
        p = interp.get_tensor(outs["logits"])
        c = interp.get_tensor(outs["new_state_c"]).copy()
        h = interp.get_tensor(outs["new_state_h"]).copy()
        probs.append(p.reshape(N_STEPS, N_CLASSES))
        cs.append(c[0])
        hs.append(h[0])
    return {"probs": np.stack(probs), "c": np.stack(cs), "h": np.stack(hs)}


def convert_tflite(w: Dict[str, np.ndarray], quantize: bool) -> bytes:
    session, graph, frozen, inputs, outputs = export_graph(w, tflite=True)
    with graph.as_default():
        converter = tfv1.lite.TFLiteConverter(
            frozen, input_tensors=list(inputs.values()), output_tensors=list(outputs.values())
        )
        if quantize:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.allow_custom_ops = True
        model = converter.convert()
    session.close()
    return model


def write_bytes_output_standin(out: Path, n_hidden: int, seed: int) -> int:
    """A 0.9-style ``.pb`` of a byte-output-mode model (DeepSpeech's UTF8Alphabet) and TF's outputs."""
    global N_CLASSES, LABELS
    N_CLASSES, LABELS = 256, [bytes([b]) for b in range(1, 256)]
    out.mkdir(parents=True, exist_ok=True)
    w = random_weights(n_hidden, seed)
    data = make_inputs(n_hidden, seed + 1)
    session, _, frozen, inputs, outputs = export_graph(w, tflite=False)
    (out / "bytes-standin.pb").write_bytes(frozen.SerializeToString(deterministic=True))
    ref = run_tf(session, inputs, outputs, data)
    session.close()
    arrays = {**data, **{f"tf:{k}": v.astype(np.float32) for k, v in ref.items()}}
    np.savez_compressed(out / "bytes-reference.npz", **arrays)
    for name in ("bytes-standin.pb", "bytes-reference.npz"):
        print(f"{out / name}: {(out / name).stat().st_size} bytes")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-hidden", type=int, default=64)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--full-pb", type=Path, help="only write the .pb here (e.g. --n-hidden 2048)")
    parser.add_argument("--full-tflite", type=Path, help="only write the int8 .tflite here")
    parser.add_argument(
        "--bytes-output",
        type=Path,
        metavar="DIR",
        help="only write a byte-output-mode stand-in (--bytes_output_mode: 255 UTF-8 byte labels, "
        "256 classes) as DIR/bytes-standin.pb with TF's outputs in DIR/bytes-reference.npz",
    )
    args = parser.parse_args(argv)
    if args.bytes_output:
        return write_bytes_output_standin(args.bytes_output, args.n_hidden, args.seed)

    w = random_weights(args.n_hidden, args.seed)
    if args.full_pb or args.full_tflite:
        if args.full_pb:
            session, _, frozen, _, _ = export_graph(w, tflite=False)
            session.close()
            args.full_pb.write_bytes(frozen.SerializeToString(deterministic=True))
            print(f"{args.full_pb}: n_hidden {args.n_hidden}, {args.full_pb.stat().st_size} bytes")
        if args.full_tflite:
            args.full_tflite.write_bytes(convert_tflite(w, quantize=True))
            print(f"{args.full_tflite}: n_hidden {args.n_hidden}, {args.full_tflite.stat().st_size} bytes")
        return 0

    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    data = make_inputs(args.n_hidden, args.seed + 1)
    session, _, frozen, inputs, outputs = export_graph(w, tflite=False)
    (out / "standin.pb").write_bytes(frozen.SerializeToString(deterministic=True))
    converted = write_memmapped(frozen, out / "standin.pbmm")
    verify_memmapped(out / "standin.pbmm")
    ref = {"tf": run_tf(session, inputs, outputs, data)}
    session.close()
    float_model = convert_tflite(w, quantize=False)
    int8_model = convert_tflite(w, quantize=True)
    (out / "standin.tflite").write_bytes(float_model)
    (out / "standin-int8.tflite").write_bytes(int8_model)
    ref["tflite"] = run_tflite(float_model, data)
    ref["tflite_int8"] = run_tflite(int8_model, data)

    arrays: Dict[str, np.ndarray] = dict(data)
    for fmt, values in ref.items():
        for key, value in values.items():
            arrays[f"{fmt}:{key}"] = value.astype(np.float32)
    for key, value in w.items():
        arrays[f"weights:{key}"] = value
    arrays["meta:labels"] = np.array(LABELS)
    arrays["meta:beam_width"] = np.array(BEAM_WIDTH)
    arrays["meta:sample_rate"] = np.array(SAMPLE_RATE)
    arrays["meta:graph_version"] = np.array(GRAPH_VERSION)
    arrays["meta:n_hidden"] = np.array(args.n_hidden)
    arrays["meta:tf_version"] = np.array(tf.__version__)
    np.savez_compressed(out / "reference.npz", **arrays)

    for name in ("standin.pb", "standin.pbmm", "standin.tflite", "standin-int8.tflite", "reference.npz"):
        print(f"{out / name}: {(out / name).stat().st_size} bytes")
    print(f"pbmm: {converted} Consts memmapped")
    for fmt in ("tflite", "tflite_int8"):
        diffs: List[Tuple[str, float]] = [
            (k, float(np.max(np.abs(ref[fmt][k] - ref["tf"][k])))) for k in ("probs", "c", "h")
        ]
        print(f"{fmt} vs tf: " + ", ".join(f"{k} {d:.2e}" for k, d in diffs))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Speed measurements: real-time factor and per-block latency of the engine."""

from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import openvino as ov
import openvino.opset13 as ops

from dictate.engine.acoustic import AcousticModel, RunnerSettings
from dictate.engine.decoder import ENGLISH_LABELS, CtcDecoder, DecoderSettings
from dictate.engine.features import STEP_SAMPLES, get_profile
from dictate.engine.stream import SpeechModel
from dictate.models import build
from dictate.models.build import build_acoustic_model
from dictate.models.spec import ModelSpec
from dictate.models.weights import (
    LSTM_BIAS,
    LSTM_KERNEL,
    N_INPUT,
    N_STEPS,
    WINDOW_FRAMES,
    Weights,
    random_weights,
    validate_weights,
)

SAMPLE_RATE = 16000
BLOCK_MS = N_STEPS * STEP_SAMPLES / SAMPLE_RATE * 1000  # 320 ms of audio per block


def bench_audio(seconds: float, seed: int = 0) -> np.ndarray:
    """Speech-like test audio: a few harmonics with a wandering pitch plus noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    pitch = 120 + 40 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE
    voice = sum(np.sin(k * phase) / k for k in range(1, 8)) * (0.5 + 0.5 * np.sin(2 * np.pi * 2 * t))
    return (0.1 * voice + 0.01 * rng.standard_normal(len(t))).astype(np.float32)


def random_model(
    n_hidden: int, runner: RunnerSettings, weight_format: str = "f32", seed: int = 0
) -> AcousticModel:
    """A compiled random-weight DeepSpeech model of width ``n_hidden``."""
    return AcousticModel(build_acoustic_model(random_weights(n_hidden, seed), 16, weight_format), runner)


class _Timed:
    """Wraps a callable and adds up the seconds spent in it."""

    def __init__(self, fn) -> None:
        self.fn = fn
        self.calls: list = []

    def __call__(self, *args, **kwargs):
        t0 = time.perf_counter()
        out = self.fn(*args, **kwargs)
        self.calls.append(time.perf_counter() - t0)
        return out


def measure_stream(model: SpeechModel, audio: np.ndarray, chunk_ms: int = 320) -> Dict[str, float]:
    """Feed ``audio`` in ``chunk_ms`` chunks; time features, acoustic blocks and decoding."""
    stream = model.create_stream(keep_probabilities=False)
    step = _Timed(stream._acoustic_state.step)
    decode = _Timed(stream._decoder.next)
    features = _Timed(stream.model.profile.compute)
    stream._acoustic_state.step = step  # type: ignore[method-assign]
    stream._decoder.next = decode  # type: ignore[method-assign]
    stream._compute_features = features
    chunk = int(SAMPLE_RATE * chunk_ms / 1000)
    t0 = time.perf_counter()
    for i in range(0, len(audio), chunk):
        stream.feed(audio[i : i + chunk])
    stream.finish()
    total = time.perf_counter() - t0
    seconds = len(audio) / SAMPLE_RATE
    blocks = np.array(step.calls) * 1000
    return {
        "audio_s": seconds,
        "total_s": total,
        "rtf": total / seconds,
        "features_rtf": float(np.sum(features.calls)) / seconds,
        "acoustic_rtf": float(np.sum(step.calls)) / seconds,
        "decoder_rtf": float(np.sum(decode.calls)) / seconds,
        "blocks": len(blocks),
        "block_ms_mean": float(blocks.mean()),
        "block_ms_p50": float(np.percentile(blocks, 50)),
        "block_ms_p95": float(np.percentile(blocks, 95)),
        "block_audio_ms": 16 * STEP_SAMPLES / SAMPLE_RATE * 1000,
    }


def run_bench(
    spec: Optional[ModelSpec],
    seconds: float = 20.0,
    n_hidden: int = 2048,
    runner: Optional[RunnerSettings] = None,
    beam_width: int = 500,
    weight_format: str = "f32",
    scorer: Optional[str] = None,
) -> Dict[str, object]:
    """Benchmark a model (or a random full-size one) on ``seconds`` of audio."""
    runner = runner or RunnerSettings()
    t0 = time.perf_counter()
    if spec is not None:
        scorer = scorer or (str(spec.scorer_path) if spec.scorer_path else None)
        model = SpeechModel.load(spec, runner, DecoderSettings(beam_width=beam_width, scorer_path=scorer))
        label = f"{spec.name} ({spec.ir_path})"
    else:
        acoustic = random_model(n_hidden, runner, weight_format)
        model = SpeechModel(
            get_profile("deepspeech-tf"),
            acoustic,
            CtcDecoder(ENGLISH_LABELS, DecoderSettings(beam_width=beam_width, scorer_path=scorer)),
        )
        label = f"random weights, n_hidden {n_hidden}, {weight_format} weights"
    load_s = time.perf_counter() - t0
    measure_stream(model, bench_audio(2.0))  # warm-up
    result: Dict[str, object] = {
        "model": label,
        "device": runner.device,
        "threads": runner.threads or "auto",
        "precision": runner.precision,
        "beam_width": beam_width,
        "scorer": scorer,
        "load_s": load_s,
        "cpu": platform.processor() or platform.machine(),
        "openvino": ov.get_version(),
    }
    result.update(measure_stream(model, bench_audio(seconds)))
    return result


def format_bench(result: Dict[str, object]) -> str:
    """Human-readable bench report."""
    return "\n".join(
        [
            f"model:      {result['model']}",
            f"runtime:    OpenVINO {result['openvino']} on {result['device']}, "
            f"threads {result['threads']}, precision {result['precision']}, beam {result['beam_width']}, "
            f"scorer {result['scorer'] or 'none'}",
            f"audio:      {result['audio_s']:.1f} s in {result['blocks']} blocks of "
            f"{result['block_audio_ms']:.0f} ms (load {result['load_s']:.1f} s)",
            f"per block:  mean {result['block_ms_mean']:.1f} ms, p50 {result['block_ms_p50']:.1f} ms, "
            f"p95 {result['block_ms_p95']:.1f} ms",
            f"RTF:        {result['rtf']:.3f} end to end = features {result['features_rtf']:.3f}"
            f" + acoustic model {result['acoustic_rtf']:.3f} + decoder {result['decoder_rtf']:.3f}"
            f" (+ buffering)",
        ]
    )


# -- bench --compare: reference conversion vs fast f32 / int8 vs TF Lite ------------------------

COMPARE_BLOCKS = 40
COMPARE_REPEATS = 3
COMPARE_WARMUP = 5
DIFF_BLOCKS = 8


def reference_like_model(weights: Weights, n_steps: int = N_STEPS) -> ov.Model:
    """The reference conversion's math with OpenVINO ops: ``[x_t, h]`` times the whole kernel.

    Stands in for OpenVINO's conversion of the ``.pb`` when no file is given (TensorFlow is
    not in the app's environment to write one): same dense layers, and an LSTM that multiplies
    the concatenated ``[x_t, h]`` by the whole ``[2n, 4n]`` kernel at every frame, unrolled
    (the real conversion runs a ``Loop``, which adds a little per-step overhead on top).
    """
    n = validate_weights(weights)
    x_in = ops.parameter([1, n_steps, WINDOW_FRAMES, N_INPUT], ov.Type.f32, name="input_node")
    c = ops.parameter([1, n], ov.Type.f32, name="previous_state_c")
    h = ops.parameter([1, n], ov.Type.f32, name="previous_state_h")
    params = [x_in, c, h]
    x = ops.reshape(x_in, ops.constant(np.array([-1, WINDOW_FRAMES * N_INPUT], np.int64)), False)
    for layer in ("layer_1", "layer_2", "layer_3"):
        x = build.dense(x, weights, layer, "f32", relu=True)
    kernel = build.weight_const(weights[LSTM_KERNEL], "f32", "lstm/kernel")
    bias = ops.constant(weights[LSTM_BIAS])
    frames = ops.split(x, ops.constant(np.int64(0)), n_steps)
    outputs = []
    for t in range(n_steps):
        xh = ops.concat([frames.output(t), h], 1)
        gates = ops.add(ops.matmul(xh, kernel, False, True), bias)
        i, g, f, o = ops.split(gates, ops.constant(np.int64(1)), 4).outputs()
        c = ops.add(ops.multiply(ops.sigmoid(f), c), ops.multiply(ops.sigmoid(i), ops.tanh(g)))
        h = ops.multiply(ops.sigmoid(o), ops.tanh(c))
        outputs.append(h)
    y = build.dense(ops.concat(outputs, 0), weights, "layer_5", "f32", relu=True)
    y = build.dense(y, weights, "layer_6", "f32", relu=False)
    n_classes = weights["layer_6/bias"].shape[0]
    probs = ops.reshape(ops.softmax(y, 1), ops.constant(np.array([-1, 1, n_classes], np.int64)), False)
    results = []
    for node, name in ((probs, "logits"), (c, "new_state_c"), (h, "new_state_h")):
        result = ops.result(node, name=name)
        result.output(0).get_tensor().set_names({name})
        results.append(result)
    return ov.Model(results, params, "deepspeech-reference-like")


class _OpenVINORunner:
    """One compiled model stepped block by block."""

    def __init__(self, model: ov.Model, settings: RunnerSettings) -> None:
        self.acoustic = AcousticModel(model, settings)
        self.n_hidden = self.acoustic.n_hidden
        self.reset()

    def reset(self) -> None:
        self.state = self.acoustic.new_state()

    def step(self, windows: np.ndarray) -> np.ndarray:
        return self.state.step(windows)


TFLITE_MODULES = ("ai_edge_litert", "tflite_runtime", "tensorflow")


def _tflite_interpreter():
    """The TF Lite ``Interpreter`` class of the first runtime installed, and its label."""
    import importlib

    for module in TFLITE_MODULES:
        try:
            if module == "tensorflow":
                tf = importlib.import_module("tensorflow")
                return tf.lite.Interpreter, f"tensorflow {tf.__version__}"
            package = importlib.import_module(module)
            interpreter = importlib.import_module(f"{module}.interpreter")
            return interpreter.Interpreter, f"{module} {getattr(package, '__version__', '?')}"
        except ImportError:
            continue
    raise ImportError(f"none of {', '.join(TFLITE_MODULES)} is installed")


class _TFLiteRunner:
    """A ``.tflite`` in the TF Lite interpreter (default op resolver and delegates)."""

    def __init__(self, path: Path, threads: int) -> None:
        interpreter_class, self.runtime = _tflite_interpreter()
        self.interpreter = interpreter_class(model_path=str(path), num_threads=threads)
        self.interpreter.allocate_tensors()
        details = self.interpreter.get_input_details()
        self.inputs = {d["name"]: d["index"] for d in details}
        self.outputs = {d["name"]: d["index"] for d in self.interpreter.get_output_details()}
        self.n_hidden = int(next(d["shape"][1] for d in details if d["name"] == "previous_state_c"))
        if "input_samples" in self.inputs:
            self.interpreter.set_tensor(self.inputs["input_samples"], np.zeros(512, np.float32))
        self.reset()

    def reset(self) -> None:
        self.c = np.zeros((1, self.n_hidden), np.float32)
        self.h = np.zeros((1, self.n_hidden), np.float32)

    def step(self, windows: np.ndarray) -> np.ndarray:
        it = self.interpreter
        it.set_tensor(self.inputs["input_node"], windows[None])
        it.set_tensor(self.inputs["previous_state_c"], self.c)
        it.set_tensor(self.inputs["previous_state_h"], self.h)
        it.invoke()
        self.c = it.get_tensor(self.outputs["new_state_c"]).reshape(1, -1).copy()
        self.h = it.get_tensor(self.outputs["new_state_h"]).reshape(1, -1).copy()
        return it.get_tensor(self.outputs["logits"]).reshape(N_STEPS, -1).copy()


def tflite_available() -> bool:
    """Whether a TF Lite runtime can be imported (bench-only extras, see TFLITE_MODULES)."""
    import importlib.util

    return any(importlib.util.find_spec(m) is not None for m in TFLITE_MODULES)


def _time_blocks(runner, windows: np.ndarray, repeats: int) -> Dict[str, Any]:
    """Mean ms per block for each repeat over ``windows`` (state carried), after a warm-up."""
    runner.reset()
    for block in windows[:COMPARE_WARMUP]:
        runner.step(block)
    means = []
    for _ in range(repeats):
        runner.reset()
        t0 = time.perf_counter()
        for block in windows:
            runner.step(block)
        means.append((time.perf_counter() - t0) * 1000 / len(windows))
    return {"ms": float(np.median(means)), "ms_min": float(np.min(means)), "ms_all": means}


def _probabilities(runner, windows: np.ndarray) -> np.ndarray:
    runner.reset()
    return np.stack([runner.step(block) for block in windows])


def _compare_sources(files: Sequence[Path]):
    """(weights, reference model, reference label, .tflite or None, n_hidden) from the files."""
    from dictate.models.importer import detect_format, read_source, reference_model

    graph_file = next((f for f in files if detect_format(f) in ("pb", "pbmm")), None)
    tflite = next((f for f in files if detect_format(f) == "tflite"), None)
    source_file = graph_file or tflite
    if source_file is None:
        return None, None, None, None
    source, parsed = read_source(source_file, detect_format(source_file))
    if graph_file is not None:
        with tempfile.TemporaryDirectory(prefix="dictate-bench-") as tmp:
            reference = reference_model(source, parsed, Path(tmp))
        label = f"reference: OpenVINO TF frontend on {graph_file.name} (BlockLSTM as Loop)"
    else:
        reference = reference_like_model(source.weights, source.n_steps)
        label = "reference-like graph built with OpenVINO ops (whole [x,h] kernel per frame)"
    return source.weights, reference, label, tflite


def run_compare(
    n_hidden: int = 2048,
    files: Sequence[Path] = (),
    runner: Optional[RunnerSettings] = None,
    blocks: int = COMPARE_BLOCKS,
    repeats: int = COMPARE_REPEATS,
    seed: int = 0,
) -> Dict[str, Any]:
    """Time the reference conversion, fast f32, fast int8 and TF Lite int8 on one model.

    ``files``: a DeepSpeech ``.pb``/``.pbmm`` (its reference conversion and weights are used;
    make a full-size random one with ``tools/reference/make_standins.py --full-pb``) and/or an
    int8 ``.tflite`` for the TF Lite row (needs ``tflite_runtime`` or ``tensorflow``). Without
    a graph file the weights are random (``n_hidden``, ``seed``) and the reference is
    :func:`reference_like_model`. All rows run in this process on the same input; differences
    are max abs over :data:`DIFF_BLOCKS` blocks of probabilities against the f32 reference.
    """
    from dictate.models.selfcheck import ExactSettings

    runner = runner or RunnerSettings()
    weights, reference, label, tflite = _compare_sources([Path(f) for f in files])
    if weights is None:
        weights = random_weights(n_hidden, seed)
        reference = reference_like_model(weights)
        label = "reference-like graph built with OpenVINO ops (whole [x,h] kernel per frame)"
    n = validate_weights(weights)
    rng = np.random.default_rng(seed)
    windows = rng.normal(0.0, 2.0, (max(blocks, DIFF_BLOCKS), N_STEPS, WINDOW_FRAMES, N_INPUT))
    windows = windows.astype(np.float32)
    exact = ExactSettings(runner.device, runner.threads, runner.precision)
    variants: List[Tuple[str, Callable[[], Union[_OpenVINORunner, _TFLiteRunner]]]] = [
        ("reference (f32)", lambda: _OpenVINORunner(reference, runner)),
        ("fast f32", lambda: _OpenVINORunner(build_acoustic_model(weights, N_STEPS, "f32"), runner)),
        ("fast int8", lambda: _OpenVINORunner(build_acoustic_model(weights, N_STEPS, "int8"), runner)),
        (
            "fast int8, no dynamic quantization",
            lambda: _OpenVINORunner(build_acoustic_model(weights, N_STEPS, "int8"), exact),
        ),
    ]
    threads = runner.threads or (os.cpu_count() or 1)
    skipped = None
    if tflite is not None and tflite_available():
        variants.append(("TF Lite int8", lambda: _TFLiteRunner(tflite, threads)))
    elif tflite is not None:
        skipped = f"TF Lite: none of {', '.join(TFLITE_MODULES)} is installed"
    else:
        skipped = "TF Lite: no .tflite given"
    rows: List[Dict[str, Any]] = []
    expected = None
    for name, make in variants:
        t0 = time.perf_counter()
        try:
            run = make()
        except (ImportError, ValueError, RuntimeError) as exc:  # e.g. a TF Lite runtime too old
            skipped = f"{name}: {str(exc).splitlines()[0]}"
            continue
        load_s = time.perf_counter() - t0
        probs = _probabilities(run, windows[:DIFF_BLOCKS])
        if expected is None:
            expected = probs
        timing = _time_blocks(run, windows[:blocks], repeats)
        row = {
            "variant": name,
            "ms_per_block": timing["ms"],
            "ms_min": timing["ms_min"],
            "ms_all": timing["ms_all"],
            "rtf": timing["ms"] / BLOCK_MS,
            "load_s": load_s,
            "max_diff": float(np.abs(probs - expected).max()),
        }
        if isinstance(run, _TFLiteRunner):
            row["variant"] = f"TF Lite int8 ({run.runtime})"
        rows.append(row)
        del run
    for row in rows:
        row["speedup"] = rows[0]["ms_per_block"] / row["ms_per_block"]
    return {
        "model": f"n_hidden {n}, {label}",
        "openvino": ov.get_version(),
        "device": runner.device,
        "threads": runner.threads or "auto",
        "precision": runner.precision,
        "blocks": blocks,
        "repeats": repeats,
        "cpu": platform.processor() or platform.machine(),
        "rows": rows,
        "skipped": skipped,
    }


def format_compare(result: Dict[str, Any]) -> str:
    """Human-readable table of :func:`run_compare`."""
    lines = [
        f"model:    {result['model']}",
        f"runtime:  OpenVINO {result['openvino']} on {result['device']}, threads {result['threads']}, "
        f"inference precision {result['precision']}",
        f"timing:   16-frame blocks ({BLOCK_MS:.0f} ms of audio), state carried; median of "
        f"{result['repeats']} runs of {result['blocks']} blocks",
        "",
        f"{'variant':<44} {'ms/block':>9} {'RTF':>7} {'speed-up':>9} {'max |dp| vs ref':>16}",
    ]
    for row in result["rows"]:
        lines.append(
            f"{row['variant']:<44} {row['ms_per_block']:>9.1f} {row['rtf']:>7.3f} "
            f"{row['speedup']:>8.1f}x {row['max_diff']:>16.1e}"
        )
    if result.get("skipped"):
        lines.append(f"(skipped {result['skipped']})")
    return "\n".join(lines)

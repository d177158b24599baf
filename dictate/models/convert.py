"""The two ways a DeepSpeech file becomes an ``ov.Model``.

* **Reference**: OpenVINO's own frontends, as in OpenVINO's DeepSpeech conversion guide. A
  frozen graph (``.pb``; a ``.pbmm`` after its constants are restored) goes through the
  TensorFlow frontend with ``input_lengths`` frozen to ``n_steps``
  (``InputModel.set_tensor_value``) and the outputs cut to ``logits`` and the two
  ``GatherNd`` LSTM states (``InputModel.override_all_outputs``); the LSTM stays a
  ``BlockLSTM`` → ``Loop`` multiplying ``[x, h]`` by the whole kernel at every step. A
  ``.tflite`` goes through the TF Lite frontend with placeholder translators for the
  ``AudioSpectrogram``/``Mfcc`` custom ops (they have no OpenVINO translator), then the model
  is rebuilt from its three wanted outputs.
* **Fast**: the weights taken out of the file and given to
  :func:`dictate.models.build.build_acoustic_model` (LSTM input projection hoisted out of the
  recurrence, optional per-channel int8 weights).

Both keep DeepSpeech's tensor names, so :class:`dictate.engine.acoustic.AcousticModel` runs
either.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Dict, List

import numpy as np
import openvino as ov
import openvino.opset13 as ops
from openvino.frontend import (
    ConversionExtension,
    FrontEndManager,
    GeneralFailure,
    InitializationFailure,
    NodeContext,
    NotImplementedFailure,
    OpConversionFailure,
    OpValidationFailure,
)

from dictate.errors import ModelError
from dictate.models.build import build_acoustic_model
from dictate.models.weights import N_INPUT, Weights
from dictate.processes import crash_in_child

FAST_PRECISIONS = ("f32", "int8")
SPECTROGRAM_BINS = 257  # AudioSpectrogram(window 512) → 512 // 2 + 1 bins
MODEL_INPUTS = ("input_node", "previous_state_c", "previous_state_h")
PB_OUTPUTS = (
    "logits",
    "cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell/GatherNd",
    "cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell/GatherNd_1",
)
PB_FALLBACK_OUTPUTS = ("logits", "new_state_c", "new_state_h")
TFLITE_OUTPUTS = ("logits", "new_state_c", "new_state_h")
# What OpenVINO's frontends raise (the *Failure classes are not RuntimeErrors).
FRONTEND_ERRORS = (
    RuntimeError,
    GeneralFailure,
    InitializationFailure,
    NotImplementedFailure,
    OpConversionFailure,
    OpValidationFailure,
)


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def _base_names(port: ov.Output) -> set:
    return {n.split(":")[0] for n in port.get_names()}


def _place(input_model, name: str):
    """A tensor place by name, as spelled with or without ``:0``."""
    for spelling in (f"{name}:0", name):
        place = input_model.get_place_by_tensor_name(spelling)
        if place is not None:
            return place
    return None


def keep_only(model: ov.Model, outputs: List[str], name: str = "deepspeech") -> ov.Model:
    """A model with just DeepSpeech's three inputs and the given outputs (in that order)."""
    by_name: Dict[str, ov.Node] = {}
    for result in model.get_results():
        for n in _base_names(result.output(0)):
            by_name.setdefault(n, result)
    missing = [o for o in outputs if o not in by_name]
    if missing:
        raise ModelError(f"the converted model lacks the outputs {missing}")
    params = []
    for wanted in MODEL_INPUTS:
        hits = [p for p in model.get_parameters() if wanted in _base_names(p.output(0))]
        if not hits:
            raise ModelError(f"the converted model lacks the input '{wanted}'")
        params.append(hits[0])
    rebuilt = ov.Model([by_name[o] for o in outputs], params, name)
    extra = [p.get_friendly_name() for p in rebuilt.get_parameters() if p not in params]
    if extra:
        raise ModelError(f"the converted model still needs the inputs {extra}")
    return rebuilt


def reference_from_pb(pb_path: Path, n_steps: int, has_gather: bool = True) -> ov.Model:
    """The OpenVINO TF frontend's conversion of a frozen DeepSpeech graph."""
    try:
        fe = FrontEndManager().load_by_framework("tf")
        input_model = fe.load(str(pb_path))
        names = PB_OUTPUTS if has_gather else PB_FALLBACK_OUTPUTS
        places = [_place(input_model, n) for n in names]
        if any(p is None for p in places):
            raise ModelError(f"the graph lacks one of the outputs {list(names)}")
        input_model.override_all_outputs(places)
        lengths = _place(input_model, "input_lengths")
        if lengths is None:
            raise ModelError("the graph has no 'input_lengths' input")
        input_model.set_tensor_value(lengths, np.array([n_steps], dtype=np.int32))
        model = fe.convert(input_model)
    except FRONTEND_ERRORS as exc:
        raise ModelError(f"OpenVINO's TensorFlow frontend cannot convert it: {_first_line(exc)}") from exc
    return keep_only(model, list(names), "deepspeech-reference")


def _placeholder(shape: tuple):
    def convert(node: NodeContext):
        return [ops.constant(np.zeros(shape, dtype=np.float32)).output(0)]

    return convert


TFLITE_CHECK_TIMEOUT_S = 600.0


def _convert_tflite(path: str) -> ov.Model:
    fe = FrontEndManager().load_by_framework("tflite")
    fe.add_extension(ConversionExtension("AudioSpectrogram", _placeholder((1, 1, SPECTROGRAM_BINS))))
    fe.add_extension(ConversionExtension("Mfcc", _placeholder((1, 1, N_INPUT))))
    return fe.convert(fe.load(path))


def try_tflite_conversion(path: str) -> None:
    """Convert a ``.tflite`` and drop the result (what the crash check's child runs)."""
    with contextlib.suppress(*FRONTEND_ERRORS):  # a clean refusal: the caller's conversion reports it
        _convert_tflite(path)


def reference_from_tflite(path: Path) -> ov.Model:
    """The OpenVINO TF Lite frontend's conversion of a DeepSpeech ``.tflite``.

    The frontend trusts the file: damage that the reader's checks miss (a flipped byte in an
    operator's options, say) can crash it, so the conversion is tried in a throw-away process
    first (measured: 2 of 1,000 mutated stand-ins got past the reader's checks and crashed it).
    """
    died, _ = crash_in_child("tflite", [str(path)], TFLITE_CHECK_TIMEOUT_S)
    if died:
        raise ModelError(f"OpenVINO's TF Lite frontend {died} on it: the file is damaged")
    try:
        model = _convert_tflite(str(path))
    except FRONTEND_ERRORS as exc:
        raise ModelError(f"OpenVINO's TF Lite frontend cannot convert it: {_first_line(exc)}") from exc
    return keep_only(model, list(TFLITE_OUTPUTS), "deepspeech-reference")


def fast_model(weights: Weights, n_steps: int, precision: str = "f32") -> ov.Model:
    """The engine's graph built from the extracted weights."""
    if precision not in FAST_PRECISIONS:
        raise ModelError(f"unknown weight precision '{precision}' (choose {', '.join(FAST_PRECISIONS)})")
    try:
        return build_acoustic_model(weights, n_steps, precision)
    except (ValueError, RuntimeError) as exc:
        raise ModelError(f"cannot build the model from its weights: {exc}") from exc

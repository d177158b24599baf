"""Run a DeepSpeech acoustic model (OpenVINO IR) 16 frames at a time, carrying the LSTM state."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, Optional, Union

import numpy as np
import openvino as ov

from dictate.errors import ModelError

DEFAULT_DEVICE = "CPU"
# Measured (README, "Precision"): bf16, the CPU plugin's silent default on AMX/AVX512-BF16
# machines, moves the carried LSTM state and the probabilities by ~1e-2; f32 is exact and
# the unrolled graph is fast enough in f32, so f32 is the default.
DEFAULT_PRECISION = "f32"
PRECISIONS = ("f32", "bf16", "f16")
# int8-weight matmuls on the CPU can quantize their activations on the fly, one scale per
# group of this many inputs (OpenVINO's default is 32). It pays only on CPUs with VNNI:
# measured on the full-size int8 model (2 threads) on an AVX-512 VNNI Xeon, 12.6 instead of
# 22.5 ms a block (64 was ~0.5-1 ms faster than 32; 256+ is rejected by some layers' widths);
# on an AVX2-only AMD EPYC, 30.8 instead of 24.2 ms. So it is on only where VNNI is seen.
DYNAMIC_QUANTIZATION_GROUP = 64


def cpu_has_vnni() -> bool:
    """Whether the CPU has AVX-512 VNNI or AVX-VNNI (as numpy's CPU dispatcher detected it)."""
    try:
        from numpy.core._multiarray_umath import __cpu_features__  # type: ignore[import-not-found]
    except ImportError:  # numpy's private table moved: assume the common case, no VNNI
        return False
    return bool(__cpu_features__.get("AVX512VNNI") or __cpu_features__.get("AVX_VNNI"))


@dataclass(frozen=True)
class RunnerSettings:
    """Where and how the acoustic model runs."""

    device: str = DEFAULT_DEVICE
    threads: int = 0  # 0: OpenVINO's choice (all physical cores)
    precision: str = DEFAULT_PRECISION

    def compile_config(self) -> Dict[str, object]:
        """OpenVINO properties for ``compile_model``."""
        if self.precision not in PRECISIONS:
            raise ModelError(
                f"unknown inference precision '{self.precision}' (choose {', '.join(PRECISIONS)})"
            )
        config: Dict[str, object] = {
            "INFERENCE_PRECISION_HINT": self.precision,
            "PERFORMANCE_HINT": "LATENCY",
        }
        if self.device.upper().startswith("CPU"):
            config["DYNAMIC_QUANTIZATION_GROUP_SIZE"] = DYNAMIC_QUANTIZATION_GROUP if cpu_has_vnni() else 0
            if self.threads > 0:
                config["INFERENCE_NUM_THREADS"] = int(self.threads)
        return config


def _names(port: ov.Output) -> set:
    return {n.split(":")[0] for n in port.get_names()}


def find_port(ports: Iterable[ov.Output], wanted: Iterable[str], what: str) -> ov.Output:
    """The port whose tensor names (``:0`` suffixes ignored) include one of ``wanted``.

    Names are tried in order; a name also matches as the end of a scoped name, so
    ``…/cudnn_compatible_lstm_cell/GatherNd`` is found by ``GatherNd``.
    """
    ports = list(ports)
    for name in wanted:
        for port in ports:
            if name in _names(port):
                return port
    for name in wanted:
        hits = [p for p in ports if any(n.endswith("/" + name) for n in _names(p))]
        if len(hits) == 1:
            return hits[0]
    available = sorted(n for p in ports for n in _names(p))
    raise ModelError(f"the model has no {what} (looked for {list(wanted)}; it has {available})")


STATE_C_OUTPUT_NAMES = (
    "new_state_c",
    "cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell/GatherNd",
    "GatherNd",
)
STATE_H_OUTPUT_NAMES = (
    "new_state_h",
    "cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell/GatherNd_1",
    "GatherNd_1",
)


class AcousticModel:
    """A compiled DeepSpeech acoustic model that maps ``[16, 19, 26]`` windows to probabilities.

    The model is compiled once; each :class:`AcousticState` holds its own infer request and
    LSTM state, so several streams can share one compiled model.
    """

    def __init__(
        self,
        model: Union[ov.Model, str, os.PathLike[str]],
        settings: Optional[RunnerSettings] = None,
        core: Optional[ov.Core] = None,
    ) -> None:
        self.settings = settings or RunnerSettings()
        self.core = core or ov.Core()
        if isinstance(model, ov.Model):
            ov_model = model
        else:
            path = Path(model)
            if not path.exists():
                raise ModelError(f"Cannot load acoustic model '{path}': no such file")
            try:
                ov_model = self.core.read_model(str(path))
            except RuntimeError as exc:
                raise ModelError(f"Cannot load acoustic model '{path}': {exc}") from exc
        self._bind_ports(ov_model)
        try:
            self.compiled = self.core.compile_model(
                ov_model, self.settings.device, self.settings.compile_config()
            )
        except RuntimeError as exc:
            raise ModelError(
                f"OpenVINO cannot compile the acoustic model on {self.settings.device}: {exc}"
            ) from exc
        self._outputs = {
            "logits": self.compiled.outputs[ov_model.outputs.index(self._logits_port)],
            "c": self.compiled.outputs[ov_model.outputs.index(self._c_out_port)],
            "h": self.compiled.outputs[ov_model.outputs.index(self._h_out_port)],
        }

    def _bind_ports(self, model: ov.Model) -> None:
        x = find_port(model.inputs, ["input_node"], "input 'input_node'")
        c = find_port(model.inputs, ["previous_state_c"], "input 'previous_state_c'")
        h = find_port(model.inputs, ["previous_state_h"], "input 'previous_state_h'")
        self._logits_port = find_port(model.outputs, ["logits"], "output 'logits'")
        self._c_out_port = find_port(model.outputs, STATE_C_OUTPUT_NAMES, "new cell-state output")
        self._h_out_port = find_port(model.outputs, STATE_H_OUTPUT_NAMES, "new hidden-state output")
        shape = x.get_partial_shape()
        if shape.rank.is_dynamic or shape.rank.get_length() != 4:
            raise ModelError(f"input_node must be 4-D [1, 16, 19, 26], the model has {shape}")
        dims = [d.get_length() if d.is_static else -1 for d in shape]
        if dims[1] == -1:
            raise ModelError(
                "input_node has a dynamic time axis; import the model so that it takes "
                "16-frame blocks [1, 16, 19, 26]"
            )
        self.n_steps, self.window_frames, self.n_input = dims[1], dims[2], dims[3]
        state_shape = c.get_partial_shape()
        self.n_hidden = state_shape[1].get_length()
        self._input_names = (x.get_any_name(), c.get_any_name(), h.get_any_name())
        self.n_classes = self._logits_port.get_partial_shape()[-1].get_length()

    def new_state(self) -> AcousticState:
        """A fresh per-stream state (zero LSTM state, its own infer request)."""
        return AcousticState(self)


class AcousticState:
    """One stream's LSTM state and infer request."""

    def __init__(self, model: AcousticModel) -> None:
        self.model = model
        self.request = model.compiled.create_infer_request()
        self.c = np.zeros((1, model.n_hidden), dtype=np.float32)
        self.h = np.zeros((1, model.n_hidden), dtype=np.float32)

    def step(self, windows: np.ndarray) -> np.ndarray:
        """Run one block of exactly ``n_steps`` windows ``[n_steps, 19, 26]``.

        Returns the probabilities ``[n_steps, n_classes]`` and carries the LSTM state.
        """
        m = self.model
        x_name, c_name, h_name = m._input_names
        self.request.infer({x_name: windows[None], c_name: self.c, h_name: self.h})
        probs = self.request.get_tensor(m._outputs["logits"]).data
        self.c = self.request.get_tensor(m._outputs["c"]).data.reshape(1, -1).copy()
        self.h = self.request.get_tensor(m._outputs["h"]).data.reshape(1, -1).copy()
        return probs.reshape(m.n_steps, m.n_classes).copy()

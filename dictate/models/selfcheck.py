"""Import self-check: the fast conversion must compute what the reference conversion computes.

Both models run in OpenVINO (CPU, f32 inference precision, no dynamic quantization of
activations, see :class:`ExactSettings`) on the same random input over :data:`N_BLOCKS`
blocks of ``n_steps`` frames, each carrying its own LSTM state from block to block (so an
error that accumulates in the state shows). Tolerances, max abs difference over all blocks:

* fast model with **f32** weights, against the reference: probabilities ≤ 1e-4, LSTM state
  (c, h) ≤ 1e-3. Both compute with the same float weights (an int8 ``.tflite``'s
  dequantized); only summation order differs. Measured: ~1e-7 on probabilities and
  ≤ 1.5e-6 on the state, for the n_hidden 64 stand-ins and full-size (2048) random models in
  every format.
* fast model with **int8** weights, against its float emulation (:func:`int8_emulation`: the
  f32 graph, already checked above, built from the int8 grid's dequantized weights): the same
  bounds, 1e-4 / 1e-3. Measured on an AVX2 CPU (AMD EPYC): 3e-8 / 6e-8 on the n_hidden 64
  stand-in, 2e-6 / 6e-6 on the trained n_hidden 512 demo model. This catches any error in
  the int8 graph itself (and any CPU kernel that does not compute what the graph says, like
  the saturating u8 × s8 products that made an earlier static-int8 recurrence 1e-2 off on
  CPUs without VNNI, see ``build.py``); what quantization costs depends
  on the weights (outliers quantize worse), so it is measured (emulation vs reference),
  recorded in ``model.json`` and reported, not judged.

Input: MFCC-like windows drawn from N(0, 2²) with a fixed seed, initial state N(0, 0.5²)
(cell) and tanh of that (hidden).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import numpy as np
import openvino as ov

from dictate.engine.acoustic import AcousticModel, RunnerSettings
from dictate.errors import ModelError
from dictate.models.build import build_acoustic_model, int8_round_trip
from dictate.models.weights import Weights

N_BLOCKS = 4
SEED = 1234
TOLERANCES: Dict[str, Dict[str, float]] = {
    "f32": {"probs": 1e-4, "state": 1e-3},
    "int8": {"probs": 1e-4, "state": 1e-3},
}


@dataclass
class CheckResult:
    """Max abs differences between two models over the check's blocks."""

    probs: float
    c: float
    h: float
    precision: str

    @property
    def state(self) -> float:
        return max(self.c, self.h)

    def passed(self) -> bool:
        """Within :data:`TOLERANCES` (measurements with no bound, like ``int8_vs_f32``, pass)."""
        bounds = TOLERANCES.get(self.precision)
        if bounds is None:
            return True
        return bool(self.probs <= bounds["probs"] and self.state <= bounds["state"])

    def describe(self) -> str:
        bounds = TOLERANCES[self.precision]
        return (
            f"probabilities differ by {self.probs:.2e} (allowed {bounds['probs']:.0e}), "
            f"LSTM state by {self.state:.2e} (allowed {bounds['state']:.0e})"
        )


def check_inputs(n_steps: int, n_hidden: int, n_blocks: int = N_BLOCKS, seed: int = SEED):
    """The fixed random input: windows ``[blocks, n_steps, 19, 26]`` and an initial state."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 2.0, size=(n_blocks, n_steps, 19, 26)).astype(np.float32)
    c0 = rng.normal(0.0, 0.5, size=(1, n_hidden)).astype(np.float32)
    h0 = np.tanh(rng.normal(0.0, 0.5, size=(1, n_hidden))).astype(np.float32)
    return x, c0, h0


def run_blocks(model: AcousticModel, x: np.ndarray, c0: np.ndarray, h0: np.ndarray) -> Dict[str, np.ndarray]:
    """Probabilities ``[blocks, n_steps, classes]`` and states ``[blocks, n]`` per block."""
    state = model.new_state()
    state.c, state.h = c0.copy(), h0.copy()
    probs, cs, hs = [], [], []
    for block in x:
        probs.append(state.step(block))
        cs.append(state.c[0].copy())
        hs.append(state.h[0].copy())
    return {"probs": np.stack(probs), "c": np.stack(cs), "h": np.stack(hs)}


def compare(a: Dict[str, np.ndarray], b: Dict[str, np.ndarray], precision: str) -> CheckResult:
    def diff(key: str) -> float:
        d = np.abs(a[key].astype(np.float64) - b[key].astype(np.float64))
        return float(np.nan_to_num(d, nan=np.inf).max())

    return CheckResult(diff("probs"), diff("c"), diff("h"), precision)


@dataclass(frozen=True)
class ExactSettings(RunnerSettings):
    """CPU, f32 inference precision and no dynamic quantization of activations.

    At run time, on VNNI CPUs, the CPU plugin quantizes the activations feeding matmuls whose
    weights are int8 (``DYNAMIC_QUANTIZATION_GROUP_SIZE``, 64 in :class:`RunnerSettings`);
    that alone moves the probabilities of an int8 model by ~1e-3. The check compares the graph's math
    exactly instead.
    """

    def compile_config(self) -> Dict[str, object]:
        config = super().compile_config()
        config["DYNAMIC_QUANTIZATION_GROUP_SIZE"] = 0
        return config


def compile_f32(model: ov.Model, core: Optional[ov.Core] = None) -> AcousticModel:
    """Compile for the check (see :class:`ExactSettings`; never the bf16 default)."""
    return AcousticModel(model, ExactSettings(precision="f32"), core)


def reference_run(
    reference: ov.Model, n_blocks: int = N_BLOCKS, core: Optional[ov.Core] = None
) -> Dict[str, np.ndarray]:
    """Run the reference once on the check's input (to compare several fast models with)."""
    model = compile_f32(reference, core)
    x, c0, h0 = check_inputs(model.n_steps, model.n_hidden, n_blocks)
    return run_blocks(model, x, c0, h0)


def int8_emulation(weights: Weights, n_steps: int) -> ov.Model:
    """The f32 graph computing what the int8 graph of ``weights`` computes (the int8 check's reference)."""
    return build_acoustic_model(int8_round_trip(weights), n_steps, "f32")


def check_against(
    fast: ov.Model,
    expected: Dict[str, np.ndarray],
    precision: str,
    core: Optional[ov.Core] = None,
) -> CheckResult:
    """Run ``fast`` on the check's input and compare with ``expected``; ModelError if too far."""
    model = compile_f32(fast, core)
    n_blocks = expected["probs"].shape[0]
    x, c0, h0 = check_inputs(model.n_steps, model.n_hidden, n_blocks)
    result = compare(run_blocks(model, x, c0, h0), expected, precision)
    if not result.passed():
        against = (
            "its float emulation (the checked f32 graph on the int8 grid's weights)"
            if precision == "int8"
            else "OpenVINO's reference conversion"
        )
        raise ModelError(
            f"the self-check failed: the fast conversion ({precision} weights) does not match "
            f"{against}: {result.describe()}. Nothing was installed."
        )
    return result


def check_int8(
    fast_int8: ov.Model,
    weights: Weights,
    n_steps: int,
    expected_f32: Dict[str, np.ndarray],
    core: Optional[ov.Core] = None,
) -> Tuple[CheckResult, CheckResult]:
    """Check the int8 graph against its emulation; also measure quantization's cost.

    Returns ``(check, cost)``: the pass/fail comparison with :func:`int8_emulation`
    (ModelError if beyond :data:`TOLERANCES`), and the emulation's difference from the f32
    reference outputs ``expected_f32`` (what int8 changes; informational).
    """
    emulated = reference_run(int8_emulation(weights, n_steps), expected_f32["probs"].shape[0], core)
    check = check_against(fast_int8, emulated, "int8", core)
    return check, compare(emulated, expected_f32, "int8")


def self_check(
    reference: ov.Model, fast: ov.Model, precision: str, core: Optional[ov.Core] = None
) -> CheckResult:
    """Compare ``fast`` against ``reference`` on the check's input; ModelError if too far."""
    return check_against(fast, reference_run(reference, core=core), precision, core)

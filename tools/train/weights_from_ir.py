"""Read a dictate f32 IR's weights back into DeepSpeech-named arrays (dev only, app venv).

    .venv/bin/python tools/train/weights_from_ir.py resources/models/demo-en/model.xml \\
        --stats <work>/features/stats.npz --out <work>/mix/shipped.npz

The bundled IR is built by ``dictate.models.build`` from DeepSpeech's arrays, with each matrix
stored as a named ``[out, in]`` constant (``layer_1/weights``, …, ``lstm/input_kernel``,
``lstm/recurrent_kernel``) feeding a ``MatMul`` whose ``Add`` holds the bias. This walks that
graph back to the arrays ``export.py`` and ``train_torch.py --init`` take, so that the shipped
model can be fine-tuned further when its training checkpoint is gone (a fresh machine). The
input normalisation that training folded into ``layer_1`` is not in the IR; ``--stats``
(``features.py``'s per-coefficient mean and std over ``train``) gives the one to unfold it
with, which leaves the function unchanged whatever the stats are. The arrays are checked
before writing: an IR rebuilt from them must give the same outputs as the file read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List

import numpy as np
import openvino as ov

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import LSTM_SCOPE, WINDOW  # noqa: E402

DENSE = ("layer_1", "layer_2", "layer_3", "layer_5", "layer_6")


def _constant(output: ov.Output) -> np.ndarray:
    node = output.get_node()
    if node.get_type_name() != "Constant":
        raise SystemExit(
            f"'{node.get_friendly_name()}' is computed by a {node.get_type_name()}, not stored: "
            "an int8 or f16 build? Read the f32 build"
        )
    return np.array(node.get_data(), dtype=np.float32)


def _bias_after(matmul: ov.Node) -> np.ndarray:
    """The constant added to ``matmul``'s output (dense layers and the LSTM's input projection)."""
    for target in matmul.output(0).get_target_inputs():
        add = target.get_node()
        if add.get_type_name() == "Add":
            other = add.input_value(1 - target.get_index())
            return _constant(other)
    raise SystemExit(f"no bias after {matmul.get_friendly_name()}: not a dictate-built f32 IR")


def arrays_from_model(model: ov.Model) -> Dict[str, np.ndarray]:
    """DeepSpeech-named arrays (``[in, out]`` matrices, folded ``layer_1``) of a dictate IR."""
    named: Dict[str, ov.Node] = {}
    for op in model.get_ordered_ops():
        if op.get_type_name() == "MatMul":
            source = op.input_value(1).get_node()
            named.setdefault(source.get_friendly_name(), op)
    wanted = [f"{d}/weights" for d in DENSE] + ["lstm/input_kernel", "lstm/recurrent_kernel"]
    missing = [w for w in wanted if w not in named]
    if missing:
        raise SystemExit(f"weights not found by name: {missing} (an int8/f16 build, or not built by dictate)")
    out: Dict[str, np.ndarray] = {}
    for layer in DENSE:
        matmul = named[f"{layer}/weights"]
        out[f"{layer}/weights"] = _constant(matmul.input_value(1)).T.copy()
        out[f"{layer}/bias"] = _bias_after(matmul)
    wx = _constant(named["lstm/input_kernel"].input_value(1)).T
    wh = _constant(named["lstm/recurrent_kernel"].input_value(1)).T
    out[f"{LSTM_SCOPE}/kernel"] = np.concatenate([wx, wh], axis=0)
    out[f"{LSTM_SCOPE}/bias"] = _bias_after(named["lstm/input_kernel"])
    return out


def unfold_normalization(
    arrays: Dict[str, np.ndarray], mean: np.ndarray, std: np.ndarray
) -> Dict[str, np.ndarray]:
    """Add ``train_torch.py``'s ``train:`` arrays: ``layer_1`` on normalised inputs, and the stats.

    Inverse of ``common.fold_normalization``: ``W = W' · s`` and ``b = b' + m · W'`` (per input).
    """
    m = np.tile(np.asarray(mean, np.float64), WINDOW)
    s = np.tile(np.asarray(std, np.float64), WINDOW)
    fw = arrays["layer_1/weights"].astype(np.float64)
    w1 = fw * s[:, None]
    b1 = arrays["layer_1/bias"].astype(np.float64) + m @ fw
    extra = {
        "train:mean": np.asarray(mean, np.float32),
        "train:std": np.asarray(std, np.float32),
        "train:layer_1/weights": w1.astype(np.float32),
        "train:layer_1/bias": b1.astype(np.float32),
    }
    return {**arrays, **extra}


def max_difference(a: ov.Model, b: ov.Model, seed: int = 0) -> float:
    """Largest output difference of two acoustic models on random blocks with state carried."""
    core = ov.Core()
    ca, cb = core.compile_model(a, "CPU"), core.compile_model(b, "CPU")
    rng = np.random.default_rng(seed)
    n = a.input("previous_state_c").get_partial_shape()[1].get_length()
    state = {k: np.zeros((1, n), np.float32) for k in ("previous_state_c", "previous_state_h")}
    worst = 0.0
    for _ in range(4):
        feed = {"input_node": rng.normal(0, 8, (1, 16, 19, 26)).astype(np.float32), **state}
        ra, rb = ca(feed), cb(feed)
        for name in ("logits", "new_state_c", "new_state_h"):
            worst = max(worst, float(np.max(np.abs(ra[name] - rb[name]))))
        state = {"previous_state_c": ra["new_state_c"], "previous_state_h": ra["new_state_h"]}
    return worst


def main(argv: List[str] | None = None) -> int:
    """Read, check and write the arrays."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("xml", type=Path, help="an f32 model.xml built by dictate")
    parser.add_argument("--stats", type=Path, required=True, help="features.py's stats.npz (mean, std)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    from dictate.models.build import build_acoustic_model

    model = ov.Core().read_model(args.xml)
    arrays = arrays_from_model(model)
    diff = max_difference(model, build_acoustic_model(arrays))
    stats = np.load(args.stats)
    full = unfold_normalization(arrays, stats["mean"], stats["std"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, **full)
    n = arrays[f"{LSTM_SCOPE}/bias"].shape[0] // 4
    print(f"{args.out}: n_hidden {n}, {len(full)} arrays; max |rebuilt IR - {args.xml.name}| = {diff:.2e}")
    if diff > 1e-5:
        print("weights check FAILED", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

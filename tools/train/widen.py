"""Widen a trained demo model without changing what it computes (dev only, numpy).

    python tools/train/widen.py IN.npz --n-hidden 608 --out WIDE.npz [--seed 1]

Net2WiderNet (Chen, Goodfellow & Shlens, 2016, "Net2Net") for DeepSpeech's network: each of
the five hidden layers (three dense, the LSTM, the dense after it) gets ``n_new - n`` extra
units, each a copy of a distinct existing unit (its incoming weights, bias and, for the LSTM,
all four gates' columns), and the copied unit's outgoing weights are split between the two
in random shares ``a`` and ``1 - a`` (``a`` in 0.3–0.7) so that the next layer sees the same
sum. The wider model gives the same outputs (checked on random input before writing), while
the unequal shares give the two copies different gradients, so that fine-tuning can pull them
apart (with equal shares, an LSTM unit and its copy would stay identical for ever: no dropout
acts between the LSTM and the layer after it).

The input is a ``train_torch.py`` weight file (DeepSpeech names plus the ``train:`` extras,
``layer_1`` both folded and unfolded, which are widened alike); the output has the same
layout, so it is a valid ``--init`` for ``train_torch.py`` and ``interpolate.py`` can mix it
with models fine-tuned from it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import LSTM_SCOPE, N_INPUT, numpy_probs  # noqa: E402

Arrays = Dict[str, np.ndarray]


def unit_map(n: int, n_new: int, rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """Source unit of each of ``n_new`` units, and each unit's share of its source's outgoing weights."""
    if not n <= n_new <= 2 * n:
        raise SystemExit(f"--n-hidden must be between {n} and {2 * n} (each unit is copied at most once)")
    copied = rng.choice(n, size=n_new - n, replace=False)
    source = np.concatenate([np.arange(n), copied])
    share = np.ones(n_new)
    a = rng.uniform(0.3, 0.7, size=len(copied))
    share[copied] = a
    share[n:] = 1.0 - a
    return source, share


def widen_rows(w: np.ndarray, source: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Rows fed by a widened layer: copied rows, each scaled by its unit's share."""
    return w[source] * share[:, None]


def widen(arrays: Arrays, n_new: int, rng: np.random.Generator) -> Arrays:
    """The same network with ``n_new`` units in every hidden layer (see the module docstring)."""
    kernel, bias = arrays[f"{LSTM_SCOPE}/kernel"], arrays[f"{LSTM_SCOPE}/bias"]
    n = bias.shape[0] // 4
    maps = {name: unit_map(n, n_new, rng) for name in ("layer_1", "layer_2", "layer_3", "lstm", "layer_5")}
    out: Arrays = {k: v.copy() for k, v in arrays.items() if k.startswith("train:") and "layer_1" not in k}
    for prefix in ("", "train:"):  # layer_1: new output units only (its input is the features)
        if f"{prefix}layer_1/weights" not in arrays:
            continue  # a DeepSpeech model's arrays without the training extras
        src = maps["layer_1"][0]
        out[f"{prefix}layer_1/weights"] = arrays[f"{prefix}layer_1/weights"][:, src]
        out[f"{prefix}layer_1/bias"] = arrays[f"{prefix}layer_1/bias"][src]
    for name, below in (("layer_2", "layer_1"), ("layer_3", "layer_2"), ("layer_5", "lstm")):
        rows = widen_rows(arrays[f"{name}/weights"], *maps[below])
        src = maps[name][0]
        out[f"{name}/weights"] = rows[:, src]
        out[f"{name}/bias"] = arrays[f"{name}/bias"][src]
    out["layer_6/weights"] = widen_rows(arrays["layer_6/weights"], *maps["layer_5"])
    out["layer_6/bias"] = arrays["layer_6/bias"].copy()
    src = maps["lstm"][0]
    rows = np.concatenate([widen_rows(kernel[:n], *maps["layer_3"]), widen_rows(kernel[n:], *maps["lstm"])])
    columns = np.concatenate([g * n + src for g in range(4)])  # gates i, c, f, o: each block widened alike
    out[f"{LSTM_SCOPE}/kernel"] = rows[:, columns]
    out[f"{LSTM_SCOPE}/bias"] = bias[columns]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def main(argv: List[str] | None = None) -> int:
    """Widen, check the outputs are unchanged, write."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("weights", type=Path)
    parser.add_argument("--n-hidden", type=int, required=True, help="the new width of every hidden layer")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    arrays = {k: v.astype(np.float32) for k, v in np.load(args.weights).items()}
    wide = widen(arrays, args.n_hidden, rng)
    feats = rng.normal(0.0, 1.0, size=(120, N_INPUT)) * arrays["train:std"] + arrays["train:mean"]
    diff = float(np.max(np.abs(numpy_probs(wide, feats) - numpy_probs(arrays, feats))))
    if diff > 1e-4:
        raise SystemExit(f"the widened model's outputs differ by {diff:.2e}: not written")
    np.savez(args.out, **wide)
    n = arrays[f"{LSTM_SCOPE}/bias"].shape[0] // 4
    print(f"wrote {args.out}: n_hidden {n} -> {args.n_hidden}, max |probability change| {diff:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Interpolate two weight files of the same model in weight space (dev only, numpy).

    python tools/train/interpolate.py A.npz B.npz --t 0.5 --out MIX.npz

Writes ``(1 - t) · A + t · B`` for every array, as in WiSE-FT (Wortsman et al., 2022), where a
fine-tuned model is mixed with the model it started from. Both files must come from
``train_torch.py`` runs that share an initialisation, so that they also share the input
normalisation (``train:mean``/``train:std``, which must be equal) and the folded ``layer_1``
is linear in the mix.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List

import numpy as np


def interpolate(a: Dict[str, np.ndarray], b: Dict[str, np.ndarray], t: float) -> Dict[str, np.ndarray]:
    """``(1 - t) · a + t · b`` array by array; the normalisation must match exactly."""
    if set(a) != set(b):
        raise SystemExit(f"the files hold different arrays: {sorted(set(a) ^ set(b))}")
    for key in ("train:mean", "train:std"):
        if key in a and not np.array_equal(a[key], b[key]):
            raise SystemExit(f"{key} differs: the models were not trained from the same start")
    out = {}
    for key, value in a.items():
        if value.shape != b[key].shape:
            raise SystemExit(f"{key}: shapes {value.shape} and {b[key].shape} differ")
        mixed = (1.0 - t) * value.astype(np.float64) + t * b[key].astype(np.float64)
        out[key] = mixed.astype(value.dtype)
    return out


def main(argv: List[str] | None = None) -> int:
    """Write the mixed weights."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--t", type=float, required=True, help="weight of B (0 = A, 1 = B)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    a, b = (dict(np.load(p)) for p in (args.a, args.b))
    np.savez(args.out, **interpolate(a, b, args.t))
    print(f"wrote {args.out}: {1 - args.t:.2f} x {args.a.name} + {args.t:.2f} x {args.b.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

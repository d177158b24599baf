"""Feature-space augmentation for the demo model's training (numpy only, dev only)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import N_INPUT  # noqa: E402


def vtlp_matrices(
    alphas: np.ndarray, channels: int = 40, lower: float = 20.0, upper: float = 8000.0
) -> np.ndarray:
    """``[len(alphas), 26, 26]`` maps warping the frequency axis of MFCC frames by each alpha.

    Vocal tract length perturbation (Jaitly & Hinton, 2013) done on the features: the 26
    coefficients are turned back into a smooth 40-channel log-mel spectrum (pseudo-inverse of
    TF's DCT-II, √(2/40) on every row), channel ``i`` (centre ``f_i``, TF's layout: evenly
    spaced in mel, 1127·ln(1 + f/700)) takes the value the spectrum had at ``f_i / alpha``
    (linear interpolation between channels), and the DCT is applied again. alpha > 1 moves
    formants up (a shorter vocal tract). Linear in the coefficients; alpha = 1 is the identity.
    """
    mel = lambda f: 1127.0 * np.log1p(np.asarray(f, np.float64) / 700.0)  # noqa: E731
    lo, hi = mel(lower), mel(upper)
    spacing = (hi - lo) / (channels + 1)
    centres_mel = lo + spacing * np.arange(1, channels + 1)
    centres_hz = 700.0 * np.expm1(centres_mel / 1127.0)
    k, i = np.arange(N_INPUT)[:, None], np.arange(channels)[None, :]
    dct = np.sqrt(2.0 / channels) * np.cos(np.pi * k * (i + 0.5) / channels)
    inverse = np.linalg.pinv(dct)
    out = []
    for alpha in alphas:
        pos = np.clip((mel(centres_hz / alpha) - lo) / spacing - 1.0, 0.0, channels - 1.0)
        left = np.floor(pos).astype(int)
        right = np.minimum(left + 1, channels - 1)
        warp = np.zeros((channels, channels))
        warp[np.arange(channels), left] += 1.0 - (pos - left)
        warp[np.arange(channels), right] += pos - left
        out.append(dct @ warp @ inverse)
    return np.stack(out).astype(np.float32)

"""Feature-space augmentation for the demo model's training (numpy only, dev only)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import N_INPUT  # noqa: E402


def dct_pair(channels: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """TF's MFCC DCT-II ``[26, channels]`` (√(2/channels) on every row) and its pseudo-inverse."""
    k, i = np.arange(N_INPUT)[:, None], np.arange(channels)[None, :]
    dct = np.sqrt(2.0 / channels) * np.cos(np.pi * k * (i + 0.5) / channels)
    return dct, np.linalg.pinv(dct)


def band_mask_matrices(max_width: int, channels: int = 40) -> np.ndarray:
    """``[n, 26, 26]`` maps that each mask one band of the log-mel spectrum of MFCC frames.

    SpecAugment's frequency masking (Park et al., 2019) done on the coefficients: the smooth
    log-mel spectrum (as in :func:`vtlp_matrices`) loses channels ``[a, a + w)`` for every
    width ``1 ≤ w ≤ max_width`` and start ``a``, replaced by the straight line between their
    neighbours (so the level stays, only the detail goes), and the DCT is applied again.
    """
    dct, inverse = dct_pair(channels)
    out = []
    for width in range(1, max_width + 1):
        for start in range(channels - width + 1):
            fill = np.eye(channels)
            left, right = start - 1, start + width
            for j in range(start, start + width):
                fill[j] = 0.0
                if left < 0:
                    fill[j, right] = 1.0
                elif right >= channels:
                    fill[j, left] = 1.0
                else:
                    t = (j - left) / (right - left)
                    fill[j, left], fill[j, right] = 1.0 - t, t
            out.append(dct @ fill @ inverse)
    return np.stack(out).astype(np.float32)


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
    dct, inverse = dct_pair(channels)
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

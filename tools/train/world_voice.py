"""New pseudo-speakers from synthetic speech through the WORLD vocoder (dev only, TRAIN8).

Each clip is analysed into F0, spectral envelope and aperiodicity (WORLD: Morise et al.,
2016, PyPI ``pyworld``), and resynthesised as a different speaker: F0 scaled and its
contour widened or flattened, the envelope's frequency axis warped (formants up or down, as
a longer or shorter vocal tract), a spectral tilt (a brighter or darker voice) and the
aperiodicity sharpened or softened (buzzier or breathier). Every draw is a new speaker with a
parametric vocoder's sound, like the statistical voices of flite and festival; the source
voices are the fast training synthesisers (``synth.py --split train8``).

``pyworld`` is imported only by :func:`resynthesize`; the rest is numpy, and tested.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

FRAME_MS = 5.0


@dataclass(frozen=True)
class Speaker:
    """One pseudo-speaker's changes to a source voice."""

    f0_scale: float  # mean F0 multiplied by this
    f0_range: float  # log-F0 deviations from the mean multiplied by this (<1: flatter)
    warp: float  # envelope frequency axis: a formant at f moves to warp * f
    tilt_db_per_octave: float  # gain added per octave above 1 kHz (removed below)
    ap_power: float  # aperiodicity raised to this (>1: more periodic, buzzier)

    def describe(self) -> str:
        """A short tag for the manifest."""
        return (
            f"f0x{self.f0_scale:.2f} r{self.f0_range:.2f} w{self.warp:.2f} "
            f"t{self.tilt_db_per_octave:+.1f} a{self.ap_power:.2f}"
        )


def draw_speaker(rng: random.Random) -> Speaker:
    """A random pseudo-speaker; F0 and formants mostly move the same way, as across real speakers."""
    warp = float(np.exp(rng.uniform(np.log(0.84), np.log(1.2))))
    f0_scale = float(np.exp(rng.gauss(2.2 * np.log(warp), 0.2)))
    return Speaker(
        f0_scale=min(max(f0_scale, 0.55), 1.8),
        f0_range=rng.uniform(0.6, 1.4),
        warp=warp,
        tilt_db_per_octave=rng.uniform(-3.0, 3.0),
        ap_power=float(np.exp(rng.uniform(np.log(0.6), np.log(2.0)))),
    )


def map_f0(f0: np.ndarray, speaker: Speaker) -> np.ndarray:
    """Scale the voiced frames' F0 (0 = unvoiced stays 0) around their mean in the log domain."""
    out = f0.copy()
    voiced = f0 > 0
    if voiced.any():
        log_f0 = np.log(f0[voiced])
        mean = log_f0.mean()
        out[voiced] = np.exp(mean + np.log(speaker.f0_scale) + (log_f0 - mean) * speaker.f0_range)
    return out


def warp_envelope(sp: np.ndarray, warp: float) -> np.ndarray:
    """Frames × bins power envelope with its frequency axis stretched: bin k takes bin k / warp.

    Interpolated in the log domain; beyond the source's top bin the top value is held.
    """
    bins = sp.shape[1]
    src = np.clip(np.arange(bins) / warp, 0, bins - 1)
    lo = np.minimum(np.floor(src).astype(int), bins - 2)
    frac = src - lo
    log_sp = np.log(np.maximum(sp, 1e-16))
    return np.exp(log_sp[:, lo] * (1 - frac) + log_sp[:, lo + 1] * frac)


def tilt_gains(bins: int, rate: int, db_per_octave: float) -> np.ndarray:
    """Power gains per bin: ``db_per_octave`` per octave away from 1 kHz, flat below 125 Hz."""
    freqs = np.maximum(np.arange(bins) * rate / (2 * (bins - 1)), 125.0)
    return 10 ** (db_per_octave * np.log2(freqs / 1000.0) / 10)


def resynthesize(x: np.ndarray, rate: int, speaker: Speaker) -> np.ndarray:
    """``x`` (float, mono) spoken as ``speaker`` through WORLD; peak-normalised."""
    import pyworld  # dev-only, training environment

    x = np.ascontiguousarray(x, dtype=np.float64)
    f0, times = pyworld.dio(x, rate, frame_period=FRAME_MS)
    f0 = pyworld.stonemask(x, f0, times, rate)
    sp = pyworld.cheaptrick(x, f0, times, rate)
    ap = pyworld.d4c(x, f0, times, rate)
    sp = warp_envelope(sp, speaker.warp) * tilt_gains(sp.shape[1], rate, speaker.tilt_db_per_octave)
    ap = np.clip(ap, 1e-6, 1.0) ** speaker.ap_power
    y = pyworld.synthesize(
        map_f0(f0, speaker), np.ascontiguousarray(sp), np.ascontiguousarray(ap), rate, FRAME_MS
    )
    return y / (np.max(np.abs(y)) + 1e-9)

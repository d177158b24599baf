"""Compute and cache the demo model's input features once per split (dev only).

Features are dictate's own ``deepspeech_tf_mfcc`` (``dictate/engine/features.py``, TF-exact),
the same function the app runs, so training sees exactly what inference sees. Each split is
packed into ``<work>/features/<split>.npy`` (float32 ``[all frames, 26]``) with
``<split>.index.npy`` (``[n, 2]`` offset, length) and ``<split>.txt`` (transcripts, one a
line); ``stats.npz`` holds the per-coefficient mean and standard deviation over train.

    python tools/train/features.py --split train    # or train2, dev, test
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import List

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import TRAIN_SPLITS, load_dictate_features, read_manifest, work_dir  # noqa: E402

_FEATURES = load_dictate_features()


def features_of(path: str) -> np.ndarray:
    """MFCCs of one 16 kHz WAV (int16 scaled to [-1, 1) like the app does)."""
    samples, rate = sf.read(path, dtype="int16")
    if rate != 16000 or samples.ndim != 1:
        raise ValueError(f"{path}: expected 16 kHz mono")
    return _FEATURES.deepspeech_tf_mfcc(samples.astype(np.float32) / 32768.0)


def main(argv: List[str] | None = None) -> int:
    """Cache one split's features."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    splits = [*TRAIN_SPLITS, "dev", "val", "test"]
    parser.add_argument("--split", choices=splits, required=True)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    root = work_dir()
    rows = read_manifest(root / f"{args.split}.csv")
    paths = [str(root / "audio" / args.split / r["file"]) for r in rows]
    with ProcessPoolExecutor(args.jobs) as pool:
        feats = list(pool.map(features_of, paths, chunksize=32))
    lengths = np.array([len(f) for f in feats], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    packed = np.concatenate(feats).astype(np.float32)
    out = root / "features"
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / f"{args.split}.npy", packed)
    np.save(out / f"{args.split}.index.npy", np.stack([offsets, lengths], axis=1))
    (out / f"{args.split}.txt").write_text("\n".join(r["transcript"] for r in rows) + "\n", encoding="utf-8")
    if args.split == "train":
        np.savez(out / "stats.npz", mean=packed.mean(axis=0), std=packed.std(axis=0) + 1e-3)
    os.sync()
    print(
        f"{args.split}: {len(rows)} utterances, {packed.shape[0]} frames "
        f"({packed.shape[0] / 50 / 3600:.2f} h), min/max {packed.min():.1f}/{packed.max():.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

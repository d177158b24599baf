"""Paths, alphabet and text helpers shared by the demo-model training scripts (dev only).

Nothing here imports TensorFlow or OpenVINO, so every script (TF env or app venv) can use it.
Generated data lives outside the repository, in ``$DICTATE_TRAIN_DIR`` (default
``~/.cache/dictate-train``), never in the source tree.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Dict, List, Tuple

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
TRAIN_DIR = Path(__file__).resolve().parent
MODEL_DIR = ROOT / "resources" / "models" / "demo-en"
VOCAB_GUIDE = ROOT.parent / "shared" / "data" / "scorer" / "vocab.pruned.txt"
REAL_SPEECH = ROOT.parent / "shared" / "data" / "speech"

ALPHABET = [" "] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["'"]
CHAR_INDEX = {c: i for i, c in enumerate(ALPHABET)}
TRAIN_SPLITS = ("train", "train2", "train3", "train4", "train5", "train6", "train7", "train8", "train9")

# The network (DeepSpeech 0.9): 19 windows of 26 MFCCs in, 29 classes out (blank last).
N_INPUT = 26
N_CONTEXT = 9
WINDOW = 2 * N_CONTEXT + 1
N_CLASSES = 29
BLANK = N_CLASSES - 1
RELU_CLIP = 20.0
LSTM_SCOPE = "cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell"


def work_dir() -> Path:
    """Where generated text, audio, features, checkpoints and builds go."""
    return Path(os.environ.get("DICTATE_TRAIN_DIR", str(Path.home() / ".cache" / "dictate-train")))


def fold_normalization(
    w1: np.ndarray, b1: np.ndarray, mean: np.ndarray, std: np.ndarray, window: int
) -> Tuple[np.ndarray, np.ndarray]:
    """``layer_1`` taking raw MFCC windows instead of per-coefficient normalised ones.

    With ``z = (x - m) / s`` per input element, ``z·W + b = x·(W / s) + (b - (m / s)·W)``;
    ``mean``/``std`` are per coefficient, tiled over the ``window`` frames.
    """
    m = np.tile(np.asarray(mean, np.float64), window)
    s = np.tile(np.asarray(std, np.float64), window)
    w = np.asarray(w1, np.float64)
    return (w / s[:, None]).astype(np.float32), (np.asarray(b1, np.float64) - (m / s) @ w).astype(np.float32)


def greedy_text(logits: np.ndarray, length: int) -> str:
    """Best-path CTC decoding of one utterance."""
    best = np.argmax(logits[:length], axis=1)
    out, prev = [], -1
    for c in best:
        if c != prev and c != BLANK:
            out.append(ALPHABET[c])
        prev = c
    return " ".join("".join(out).split())


def normalize_text(text: str) -> str:
    """Lower-case a–z, space and apostrophe only, single spaces."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^a-z' ]+", " ", text)
    return " ".join(text.split())


def encode(text: str) -> List[int]:
    """Class indices of a normalised transcript."""
    return [CHAR_INDEX[c] for c in text]


def read_manifest(path: Path) -> List[Dict[str, str]]:
    """Rows of a CSV manifest (``file``, ``transcript``, ...)."""
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_manifest(path: Path, rows: List[Dict[str, str]], fields: List[str]) -> None:
    """Write a CSV manifest through a temporary file."""
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def load_dictate_features() -> ModuleType:
    """``dictate/engine/features.py``, loaded by path so the TF env needs no dictate install."""
    name = "dictate_engine_features"
    if name in sys.modules:
        return sys.modules[name]
    path = ROOT / "dictate" / "engine" / "features.py"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def word_errors(ref: str, hyp: str) -> int:
    """Word-level Levenshtein distance."""
    r, h = ref.split(), hyp.split()
    prev = list(range(len(h) + 1))
    for i, rw in enumerate(r, 1):
        cur = [i] + [0] * len(h)
        for j, hw in enumerate(h, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (rw != hw))
        prev = cur
    return prev[-1]


def wer(refs: List[str], hyps: List[str]) -> float:
    """Corpus word error rate (total edits / total reference words)."""
    edits = sum(word_errors(r, h) for r, h in zip(refs, hyps))
    words = sum(len(r.split()) for r in refs)
    return edits / max(words, 1)


def numpy_probs(arrays: Dict[str, np.ndarray], feats: np.ndarray) -> np.ndarray:
    """Softmax outputs ``[T, 29]`` of the DeepSpeech arrays on raw ``feats [T, 26]`` (float64 numpy)."""
    a = {k: v.astype(np.float64) for k, v in arrays.items()}
    padded = np.concatenate([np.zeros((N_CONTEXT, N_INPUT)), feats, np.zeros((N_CONTEXT, N_INPUT))])
    x = np.stack([padded[t : t + WINDOW].reshape(-1) for t in range(len(feats))])
    for name in ("layer_1", "layer_2", "layer_3"):
        x = np.clip(x @ a[f"{name}/weights"] + a[f"{name}/bias"], 0.0, RELU_CLIP)
    kernel, bias = a[f"{LSTM_SCOPE}/kernel"], a[f"{LSTM_SCOPE}/bias"]
    n = bias.shape[0] // 4
    c, h, hs = np.zeros(n), np.zeros(n), []
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    for t in range(len(x)):
        i, g, f, o = np.split(np.concatenate([x[t], h]) @ kernel + bias, 4)
        c = sig(f) * c + sig(i) * np.tanh(g)
        h = sig(o) * np.tanh(c)
        hs.append(h)
    y = np.clip(np.stack(hs) @ a["layer_5/weights"] + a["layer_5/bias"], 0.0, RELU_CLIP)
    z = y @ a["layer_6/weights"] + a["layer_6/bias"]
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)

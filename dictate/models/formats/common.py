"""What every model format yields: DeepSpeech's metadata, weights and graph interface."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

from dictate.engine.decoder import DEFAULT_BEAM_WIDTH, ENGLISH_LABELS
from dictate.errors import ModelError
from dictate.models.weights import Weights

# DeepSpeech 0.6-0.9 export defaults (training flags), used where a file does not say.
DEFAULT_SAMPLE_RATE = 16000
DEFAULT_WIN_LEN_MS = 32
DEFAULT_WIN_STEP_MS = 20


# DeepSpeech's integer metadata constants → Metadata fields.
METADATA_INTS = {
    "metadata_sample_rate": "sample_rate",
    "metadata_feature_win_len": "win_len_ms",
    "metadata_feature_win_step": "win_step_ms",
    "metadata_beam_width": "beam_width",
    "metadata_version": "graph_version",
}


@dataclass
class Metadata:
    """The ``metadata_*`` constants of a DeepSpeech export, with defaults where absent."""

    sample_rate: int = DEFAULT_SAMPLE_RATE
    win_len_ms: int = DEFAULT_WIN_LEN_MS
    win_step_ms: int = DEFAULT_WIN_STEP_MS
    beam_width: int = DEFAULT_BEAM_WIDTH
    alphabet: List[str] = field(default_factory=lambda: list(ENGLISH_LABELS))
    graph_version: Optional[int] = None
    language: Optional[str] = None
    notes: List[str] = field(default_factory=list)


@dataclass
class SourceModel:
    """A DeepSpeech model file read into memory (weights are float32 numpy arrays)."""

    path: Path
    format: str  # "pb", "pbmm" or "tflite"
    weights: Weights
    metadata: Metadata
    n_steps: int
    n_hidden: int
    n_classes: int
    notes: List[str] = field(default_factory=list)


def model_error(path: Path, reason: str) -> ModelError:
    """The importer's error for a file that cannot be used."""
    return ModelError(f"Cannot import '{path}': {reason}")


# DeepSpeech's byte output mode (--bytes_output_mode, e.g. the 0.9.3 zh-CN model): the model
# emits UTF-8 bytes, its UTF8Alphabet serialises as 255 one-byte labels (bytes 1..255).
BYTE_MODE_LABELS = 255
BYTE_MODE_UNSUPPORTED = (
    "it is a byte-output-mode model (its 255 labels are UTF-8 bytes, as in DeepSpeech's "
    "--bytes_output_mode exports such as the zh-CN release); dictate supports models with a "
    "character alphabet only"
)


class UnsupportedAlphabet(ValueError):
    """A well-formed alphabet that dictate cannot use."""


def deserialize_alphabet(blob: bytes) -> List[str]:
    """Labels from ``Alphabet::Serialize`` bytes (uint16 count, then key, length, UTF-8 bytes)."""
    if len(blob) < 2:
        raise ValueError("serialized alphabet is empty")
    (count,) = struct.unpack_from("<H", blob, 0)
    pos = 2
    labels = {}
    for _ in range(count):
        if pos + 4 > len(blob):
            raise ValueError("serialized alphabet is truncated")
        key, length = struct.unpack_from("<HH", blob, pos)
        pos += 4
        if pos + length > len(blob):
            raise ValueError("serialized alphabet is truncated")
        try:
            labels[key] = bytes(blob[pos : pos + length]).decode("utf-8")
        except UnicodeDecodeError:
            if count == BYTE_MODE_LABELS:
                raise UnsupportedAlphabet(BYTE_MODE_UNSUPPORTED) from None
            raise
        pos += length
    if sorted(labels) != list(range(count)):
        raise ValueError("serialized alphabet has gaps in its labels")
    return [labels[i] for i in range(count)]


def serialize_alphabet(labels: List[str]) -> bytes:
    """The inverse of :func:`deserialize_alphabet`."""
    out = bytearray(struct.pack("<H", len(labels)))
    for key, label in enumerate(labels):
        data = label.encode("utf-8")
        out += struct.pack("<HH", key, len(data)) + data
    return bytes(out)


def check_features(meta: Metadata, path: Path) -> None:
    """Refuse models whose features differ from the ``deepspeech-tf`` profile's."""
    expected = (DEFAULT_SAMPLE_RATE, DEFAULT_WIN_LEN_MS, DEFAULT_WIN_STEP_MS)
    if (meta.sample_rate, meta.win_len_ms, meta.win_step_ms) != expected:
        raise model_error(
            path,
            f"the model expects {meta.sample_rate} Hz audio with {meta.win_len_ms} ms windows "
            f"every {meta.win_step_ms} ms; dictate supports DeepSpeech's 16000 Hz, 32 ms / 20 ms "
            f"features only",
        )

"""What every model format yields: DeepSpeech's metadata, weights and graph interface."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from dictate.engine.decoder import BYTE_LABELS, DEFAULT_BEAM_WIDTH, ENGLISH_LABELS
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


def deserialize_alphabet(blob: bytes) -> List[str]:
    """Labels from ``Alphabet::Serialize`` bytes (uint16 count, then key, length, UTF-8 bytes).

    DeepSpeech's byte output mode (``--bytes_output_mode``, e.g. the 0.9.3 zh-CN model)
    serialises its ``UTF8Alphabet``: 255 one-byte labels, bytes 1..255, which are not UTF-8
    on their own; they come back as :data:`BYTE_LABELS`.
    """
    if len(blob) < 2:
        raise ValueError("serialized alphabet is empty")
    (count,) = struct.unpack_from("<H", blob, 0)
    pos = 2
    raw: Dict[int, bytes] = {}
    for _ in range(count):
        if pos + 4 > len(blob):
            raise ValueError("serialized alphabet is truncated")
        key, length = struct.unpack_from("<HH", blob, pos)
        pos += 4
        if pos + length > len(blob):
            raise ValueError("serialized alphabet is truncated")
        raw[key] = bytes(blob[pos : pos + length])
        pos += length
    if sorted(raw) != list(range(count)):
        raise ValueError("serialized alphabet has gaps in its labels")
    if count == len(BYTE_LABELS) and all(raw[k] == bytes([k + 1]) for k in range(count)):
        return list(BYTE_LABELS)
    return [raw[k].decode("utf-8") for k in range(count)]


def serialize_alphabet(labels: List[str]) -> bytes:
    """The inverse of :func:`deserialize_alphabet`."""
    out = bytearray(struct.pack("<H", len(labels)))
    byte_mode = tuple(labels) == BYTE_LABELS
    for key, label in enumerate(labels):
        data = label.encode("latin-1" if byte_mode else "utf-8")
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

"""Read audio files of any format libsndfile knows into 16 kHz mono float32."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Union

import numpy as np
import soundfile

from dictate.audio.resample import MODEL_SAMPLE_RATE, resample, to_mono
from dictate.errors import AudioFileError

PathLike = Union[str, "os.PathLike[str]"]

# libsndfile's header log notes "data : 32000 (should be 15978)" when a chunk is cut short.
CHUNK_SIZE_IN_LOG = re.compile(r"^(?:data|SSND)\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)
# Writers streaming to a pipe cannot go back to fill in the size: they leave 0, 0x7FFFF000
# (sox) or 0xFFFFFFFF in its place, and such files are complete.
PLACEHOLDER_CHUNK_SIZE = 0x7FFF0000


def truncated_per_header_log(header_log: str) -> bool:
    """Whether libsndfile's header log says a data chunk is shorter than its declared size."""
    for declared, actual in CHUNK_SIZE_IN_LOG.findall(header_log):
        if int(actual) < int(declared) < PLACEHOLDER_CHUNK_SIZE:
            return True
    return False


def describe_soundfile_error(exc: Exception) -> str:
    """Turn libsndfile's terse message into a reason a user understands."""
    text = str(exc)
    lowered = text.lower()
    if "format not recognised" in lowered or "unknown format" in lowered:
        return "not an audio format libsndfile can read (supported: WAV, FLAC, OGG/Vorbis, MP3, …)"
    if "unimplemented format" in lowered or "not supported" in lowered:
        return f"this audio encoding is not supported ({text.strip()})"
    if "truncated" in lowered or "premature" in lowered or "end of file" in lowered:
        return "the file is truncated or damaged"
    return text.strip() or exc.__class__.__name__


# Sample rates outside this range only come from damaged headers (and would make resampling
# allocate absurd amounts of memory); a whole file is decoded at once, up to this many bytes.
MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 1000, 768000
MAX_DECODED_BYTES = 8 << 30


def check_declared_size(p: Path, rate: int, frames: int, channels: int) -> None:
    """Refuse headers whose rate or length cannot be right (or cannot be loaded at once)."""
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise AudioFileError(p, f"its header gives an impossible sample rate ({rate} Hz): it is damaged")
    if 0 < frames < 2**62 and frames * channels * 4 > MAX_DECODED_BYTES:
        hours = frames / rate / 3600
        raise AudioFileError(
            p,
            f"its header declares {hours:.1f} hours of audio, more than dictate loads at once "
            f"({MAX_DECODED_BYTES >> 30} GiB decoded): split it, or the header is damaged",
        )


def load_audio(path: PathLike, target_rate: int = MODEL_SAMPLE_RATE) -> np.ndarray:
    """Load ``path`` as mono float32 samples in [-1, 1) at ``target_rate``.

    Raises :class:`AudioFileError` naming the file and the reason for a missing, empty,
    truncated, non-audio or unsupported file.
    """
    p = Path(path)
    if not p.exists():
        raise AudioFileError(p, "no such file")
    if p.is_dir():
        raise AudioFileError(p, "this is a folder, not an audio file")
    if p.stat().st_size == 0:
        raise AudioFileError(p, "the file is empty (0 bytes)")
    try:
        with soundfile.SoundFile(str(p)) as f:
            rate = f.samplerate
            expected = f.frames
            header_log = f.extra_info
            check_declared_size(p, rate, expected, f.channels)
            # some encodings (GSM 6.10, G.72x) can only be read forwards, in a known count
            count = -1 if f.seekable() else f.frames
            data = f.read(count, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, ValueError, TypeError) as exc:
        raise AudioFileError(p, describe_soundfile_error(exc)) from exc
    except OSError as exc:
        raise AudioFileError(p, exc.strerror or str(exc)) from exc
    except MemoryError as exc:
        raise AudioFileError(p, "not enough memory to decode it in one piece") from exc
    if data.shape[0] == 0:
        raise AudioFileError(p, "the file holds no audio samples")
    if 0 < expected < 2**62 and data.shape[0] < expected:
        raise AudioFileError(
            p,
            f"the file is truncated: the header promises {expected} frames, only {data.shape[0]} read",
        )
    if truncated_per_header_log(header_log):
        raise AudioFileError(p, "the file is truncated: it is shorter than its header says")
    if not np.all(np.isfinite(data)):
        raise AudioFileError(p, "the file holds invalid (NaN or infinite) samples")
    mono = to_mono(data)
    try:
        return np.ascontiguousarray(resample(mono, rate, target_rate), dtype=np.float32)
    except MemoryError as exc:
        raise AudioFileError(p, f"not enough memory to resample it from {rate} Hz") from exc

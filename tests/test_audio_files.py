"""Audio files of any format, rate, channel count and sample type → 16 kHz mono float32."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from dictate.audio.files import load_audio
from dictate.audio.resample import as_float_samples, resample, to_mono
from dictate.errors import AudioFileError


def tone(rate: int, seconds: float = 1.0, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize(
    "fmt, subtype",
    [
        ("WAV", "PCM_16"),
        ("WAV", "PCM_24"),
        ("WAV", "PCM_32"),
        ("WAV", "FLOAT"),
        ("WAV", "PCM_U8"),
        ("FLAC", "PCM_16"),
        ("FLAC", "PCM_24"),
        ("OGG", "VORBIS"),
        ("AIFF", "PCM_16"),
    ],
)
def test_formats_and_sample_types(tmp_path, fmt, subtype):
    path = tmp_path / f"tone.{fmt.lower()}"
    sf.write(path, tone(16000), 16000, format=fmt, subtype=subtype)
    out = load_audio(path)
    assert out.dtype == np.float32 and out.ndim == 1
    assert abs(len(out) - 16000) <= 1
    corr = np.corrcoef(out[:15000], tone(16000)[:15000])[0, 1]
    assert corr > 0.98


def test_mp3_when_libsndfile_supports_it(tmp_path):
    if "MP3" not in sf.available_formats():
        pytest.skip("this libsndfile build has no MP3 support")
    path = tmp_path / "tone.mp3"
    sf.write(path, tone(16000, 2.0), 16000, format="MP3")
    out = load_audio(path)
    assert abs(len(out) - 32000) < 2000


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
def test_any_rate_is_resampled_to_16k(tmp_path, rate):
    path = tmp_path / "r.wav"
    sf.write(path, tone(rate, 1.0, 300.0), rate)
    out = load_audio(path)
    assert abs(len(out) - 16000) <= 2
    spectrum = np.abs(np.fft.rfft(out))
    assert abs(np.argmax(spectrum) * 16000 / len(out) - 300) < 3


def test_channels_are_mixed_down(tmp_path):
    left = tone(16000)
    stereo = np.stack([left, np.zeros_like(left)], axis=1)
    path = tmp_path / "stereo.wav"
    sf.write(path, stereo, 16000, subtype="FLOAT")
    np.testing.assert_allclose(load_audio(path), left / 2, atol=1e-6)
    six = np.tile(left[:, None], (1, 6))
    sf.write(path, six, 16000, subtype="FLOAT")
    np.testing.assert_allclose(load_audio(path), left, atol=1e-6)


def test_int16_scaling_matches_deepspeech(tmp_path):
    samples = np.array([0, 1, -1, 32767, -32768, 1234], dtype=np.int16)
    path = tmp_path / "s.wav"
    sf.write(path, np.tile(samples, 100), 16000, subtype="PCM_16")
    out = load_audio(path)
    np.testing.assert_array_equal(out[:6], samples.astype(np.float32) / 32768)
    np.testing.assert_array_equal(as_float_samples(samples), samples.astype(np.float32) / 32768)


def test_real_clip_loads(speech_dir):
    out = load_audio(speech_dir / "whisper_jfk.wav")
    assert 10.9 < len(out) / 16000 < 11.1


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda p: None, "no such file"),
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_text("this is a text file, not audio"), "not an audio format"),
        (lambda p: p.mkdir(), "folder"),
    ],
)
def test_bad_files_name_the_file_and_the_reason(tmp_path, make, reason):
    path = tmp_path / "bad.wav"
    make(path)
    with pytest.raises(AudioFileError) as info:
        load_audio(path)
    assert str(path) in str(info.value)
    assert reason in str(info.value)


def test_truncated_file_is_reported(tmp_path):
    path = tmp_path / "cut.wav"
    sf.write(path, tone(16000), 16000)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioFileError, match="truncated"):
        load_audio(path)


@pytest.mark.parametrize("placeholder", [0xFFFFFFFF, 0x7FFFF000])
def test_wav_streamed_through_a_pipe_is_complete(tmp_path, placeholder):
    """Writers on a pipe cannot fill in the sizes afterwards; such files are whole."""
    path = tmp_path / "piped.wav"
    sf.write(path, tone(16000), 16000, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    data[4:8] = min(placeholder + 36, 0xFFFFFFFF).to_bytes(4, "little")  # RIFF size
    at = data.index(b"data")
    data[at + 4 : at + 8] = placeholder.to_bytes(4, "little")
    path.write_bytes(bytes(data))
    out = load_audio(path)
    assert abs(len(out) - 16000) <= 1


def test_encodings_read_forwards_only(tmp_path):
    """GSM 6.10 in WAV cannot be seeked in; libsndfile reads it given a frame count."""
    path = tmp_path / "gsm.wav"
    sf.write(path, tone(8000), 8000, format="WAV", subtype="GSM610")
    out = load_audio(path)
    assert 16000 <= len(out) <= 16000 + 640  # whole WAV GSM blocks of 320 samples at 8 kHz


@pytest.mark.parametrize("rate", [2147483647, 1])
def test_impossible_sample_rate_in_the_header(tmp_path, rate):
    """A damaged rate field would make resampling allocate hundreds of GiB."""
    path = tmp_path / "rate.wav"
    sf.write(path, tone(16000), 16000, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    data[24:28] = rate.to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(AudioFileError, match="impossible sample rate"):
        load_audio(path)


def test_header_declaring_days_of_audio(tmp_path):
    """FLAC's STREAMINFO sample count set huge: refused before decoding allocates it."""
    path = tmp_path / "long.flac"
    sf.write(path, tone(16000), 16000, format="FLAC")
    data = bytearray(path.read_bytes())
    info = 8  # STREAMINFO after "fLaC" and its block header; 36-bit sample count at bytes 13-17
    data[info + 13] |= 0x0F
    data[info + 14 : info + 18] = b"\xff\xff\xff\xff"
    path.write_bytes(bytes(data))
    with pytest.raises(AudioFileError, match="hours of audio"):
        load_audio(path)


def test_header_only_file_has_no_samples(tmp_path):
    path = tmp_path / "header.wav"
    sf.write(path, np.zeros(0, np.float32), 16000)
    with pytest.raises(AudioFileError, match="no audio samples"):
        load_audio(path)


def test_helpers():
    assert to_mono(np.ones(5)).shape == (5,)
    assert resample(np.ones(10, np.float32), 16000) is not None
    with pytest.raises(ValueError):
        as_float_samples(np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError):
        as_float_samples(np.zeros(4, np.int32))

"""The command line: transcribe, features, devices, bench, errors without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from dictate.audio.files import load_audio
from dictate.cli import main
from dictate.engine.features import deepspeech_tf_mfcc
from dictate.engine.stream import SpeechModel
from dictate.models.spec import load_spec


def run_cli(*args: str, env_extra=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run(
        [sys.executable, "-m", "dictate", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def clip(speech_dir) -> Path:
    return speech_dir / "dsrel_2830-3980-0043.wav"


def test_transcribe_prints_the_engine_text(tiny_model_dir, tiny_model, clip, capsys):
    assert main(["transcribe", str(clip), "--model", str(tiny_model_dir)]) == 0
    expected = tiny_model.transcribe(load_audio(clip)).text
    assert capsys.readouterr().out == expected + "\n"


def test_json_output_has_words_and_timings(tiny_model_dir, clip, capsys):
    assert main(["transcribe", str(clip), "--model", str(tiny_model_dir), "--json", "--beam", "8"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"file", "text", "confidence", "words"}
    assert data["file"] == str(clip)
    for w in data["words"]:
        assert set(w) == {"word", "start_time", "duration"}
        assert 0 <= w["start_time"] <= 2.0 and w["duration"] >= 0
    assert " ".join(w["word"] for w in data["words"]) == " ".join(data["text"].split())


def test_chunked_streaming_and_probs_out_equal_one_shot(tiny_model_dir, clip, tmp_path, capsys):
    one = tmp_path / "one.npy"
    chunked = tmp_path / "chunked.npy"
    assert main(["transcribe", str(clip), "--model", str(tiny_model_dir), "--probs-out", str(one)]) == 0
    text_one = capsys.readouterr().out
    assert (
        main(
            [
                "transcribe",
                str(clip),
                "--model",
                str(tiny_model_dir),
                "--chunk-ms",
                "20",
                "--probs-out",
                str(chunked),
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == text_one
    a, b = np.load(one), np.load(chunked)
    n = len(load_audio(clip))
    assert a.shape == (1 + (n - 512) // 320 + 1, 29)
    assert np.array_equal(a, b)


def test_scorer_and_greedy_options(tiny_model_dir, clip, scorer_path, capsys):
    assert (
        main(
            [
                "transcribe",
                str(clip),
                "--model",
                str(tiny_model_dir),
                "--scorer",
                str(scorer_path),
                "--beam",
                "8",
                "--lm-alpha",
                "0.5",
                "--lm-beta",
                "1.0",
                "--hot-word",
                "proves:2",
            ]
        )
        == 0
    )
    assert main(["transcribe", str(clip), "--model", str(tiny_model_dir), "--greedy"]) == 0
    capsys.readouterr()


def test_several_files_one_bad_others_still_transcribed(tiny_model_dir, clip, tmp_path, capsys):
    bad = tmp_path / "bad.wav"
    bad.write_text("nope")
    code = main(["transcribe", str(clip), str(bad), str(clip), "--model", str(tiny_model_dir)])
    out, err = capsys.readouterr()
    assert code == 1
    assert out.count(f"{clip}: ") == 2
    assert str(bad) in err and "not an audio format" in err


def test_unwritable_outputs_are_reported_in_one_line(tiny_model_dir, clip, tmp_path, capsys):
    nowhere = tmp_path / "no" / "such" / "folder" / "p.npy"
    code = main(["transcribe", str(clip), "--model", str(tiny_model_dir), "--probs-out", str(nowhere)])
    out, err = capsys.readouterr()
    assert code == 1 and out.strip()  # the transcript is still printed
    assert err.splitlines() == [f"dictate: Cannot write '{nowhere}': No such file or directory"]
    assert main(["features", str(clip), "-o", str(nowhere)]) == 1
    assert capsys.readouterr().err.startswith(f"dictate: Cannot write '{nowhere}'")
    code = main(["transcribe", str(clip), "--model", str(tiny_model_dir), "--greedy", "--hot-word", "a:2"])
    assert code == 1 and "greedy decoding" in capsys.readouterr().err


def test_features_writes_tf_profile_frames(clip, tmp_path, capsys):
    out = tmp_path / "f.npy"
    assert main(["features", str(clip), "-o", str(out)]) == 0
    frames = np.load(out)
    samples = load_audio(clip)
    assert frames.shape == (1 + (len(samples) - 512) // 320, 26)
    assert np.array_equal(frames, deepspeech_tf_mfcc(samples))
    assert main(["features", str(clip), "-o", str(out), "--with-final-frame"]) == 0
    assert np.load(out).shape[0] == frames.shape[0] + 1
    capsys.readouterr()


def test_errors_are_one_line_without_traceback(tmp_path, tiny_model_dir):
    missing = run_cli("transcribe", str(tmp_path / "missing.wav"), "--model", str(tiny_model_dir))
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        f"dictate: Cannot read audio file '{tmp_path / 'missing.wav'}': no such file"
    ]
    assert "Traceback" not in missing.stderr

    no_model = run_cli(
        "transcribe",
        str(tmp_path / "x.wav"),
        env_extra={"DICTATE_DATA_DIR": str(tmp_path / "empty"), "DICTATE_BUNDLED_MODEL": ""},
    )
    assert no_model.returncode == 1
    assert "No speech model is installed" in no_model.stderr and "dictate models import" in no_model.stderr
    assert len(no_model.stderr.strip().splitlines()) == 1

    bad_model = run_cli("transcribe", str(tmp_path / "x.wav"), "--model", "no-such-model")
    assert bad_model.returncode == 1 and "No model 'no-such-model'" in bad_model.stderr


def test_usage_errors_exit_2():
    r = run_cli("transcribe")
    assert r.returncode == 2
    r = run_cli("transcribe", "a.wav", "--beam", "0")
    assert r.returncode == 2


def test_model_from_bare_xml_and_store_name(tiny_model_dir, clip, capsys, isolated_data_dir):
    assert main(["transcribe", str(clip), "--model", str(tiny_model_dir / "model.xml")]) == 0
    capsys.readouterr()
    spec = load_spec(tiny_model_dir)
    assert SpeechModel.load(spec).acoustic.n_hidden == 32


def test_devices_lists_or_says_none(capsys):
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert "No audio input devices found." in out or "(* = default input)" in out


def test_bench_prints_rtf(capsys):
    assert main(["bench", "--n-hidden", "64", "--seconds", "2", "--beam", "16", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["rtf"] > 0 and result["blocks"] >= 6 and result["block_ms_mean"] > 0


def test_audio_file_with_other_rate_and_channels(tiny_model_dir, tmp_path, clip, capsys):
    samples, _ = sf.read(clip, dtype="float32")
    from scipy.signal import resample_poly

    up = resample_poly(samples, 3, 1).astype(np.float32)
    stereo = np.stack([up, up], axis=1)
    path = tmp_path / "48k_stereo.flac"
    sf.write(path, stereo, 48000)
    assert main(["transcribe", str(path), "--model", str(tiny_model_dir)]) == 0
    assert capsys.readouterr().out.endswith("\n")

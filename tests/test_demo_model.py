"""End to end with the bundled demo model: speech made by espeak-ng at test time, transcribed
by the ``dictate`` command as a user runs it (default model = the bundled one)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "resources" / "models" / "demo-en"
# Everyday dictation words; a sentence the training text generator never writes verbatim.
SENTENCE = "please send the report to my brother before friday"
MAX_WER = 0.12  # 1 of 9 words; the shipped model gets all 9 right

pytestmark = pytest.mark.skipif(
    not (DEMO / "model.json").is_file(), reason="the demo model is not in resources/models/demo-en"
)


def word_errors(ref: str, hyp: str) -> int:
    """Word-level edit distance."""
    r, h = ref.split(), hyp.split()
    prev = list(range(len(h) + 1))
    for i, rw in enumerate(r, 1):
        cur = [i] + [0] * len(h)
        for j, hw in enumerate(h, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (rw != hw))
        prev = cur
    return prev[-1]


def run_dictate(*args: str) -> subprocess.CompletedProcess:
    """``python -m dictate ARGS`` with the test's own (empty) model store."""
    return subprocess.run(
        [sys.executable, "-m", "dictate", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sentence as a 22.05 kHz WAV from espeak-ng's default American voice."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    path = tmp_path_factory.mktemp("speech") / "sentence.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), SENTENCE], check=True, timeout=60)
    return path


def check_text(text: str) -> None:
    errors = word_errors(SENTENCE, text)
    assert errors / len(SENTENCE.split()) <= MAX_WER, f"too many word errors ({errors}): {text!r}"


def test_bundled_model_is_what_the_app_resolves() -> None:
    from dictate.models.resolve import resolve_model

    spec = resolve_model(None)  # the test's model store is empty: falls back to the bundle
    assert spec.ir_path.resolve().parent == DEMO.resolve()
    sizes: List[int] = [p.stat().st_size for p in DEMO.iterdir() if p.is_file()]
    assert sum(sizes) <= 20 * 1024 * 1024


def test_transcribe_with_the_default_model(spoken: Path) -> None:
    result = run_dictate("transcribe", str(spoken))
    assert result.returncode == 0, result.stderr
    check_text(result.stdout.strip())


def test_streaming_path_gives_the_same_words(spoken: Path) -> None:
    whole = run_dictate("transcribe", "--json", str(spoken))
    chunked = run_dictate("transcribe", "--json", "--chunk-ms", "100", str(spoken))
    assert whole.returncode == 0, whole.stderr
    assert chunked.returncode == 0, chunked.stderr
    text = json.loads(chunked.stdout)["text"]
    assert text == json.loads(whole.stdout)["text"]
    check_text(text)

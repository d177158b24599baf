"""End to end with the bundled demo model: speech made by espeak-ng at test time, transcribed
by the ``dictate`` command as a user runs it (default model = the bundled one)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest
from spoken import DEMO, check_text, needs_demo_model, speak

pytestmark = needs_demo_model


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
    return speak(tmp_path_factory.mktemp("speech"))


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

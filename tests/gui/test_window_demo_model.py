"""The window with the bundled demo model: real words from a dropped file and from the microphone."""

from __future__ import annotations

from pathlib import Path

import pytest
from spoken import check_text, needs_demo_model, speak

from dictate.audio.files import load_audio
from dictate.gui.engine import RealEngine

from .conftest import wait_model
from .helpers import drop

pytestmark = needs_demo_model


@pytest.fixture(scope="module")
def sentence_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speak(tmp_path_factory.mktemp("speech"))


@pytest.fixture
def demo_window(make_window, settings):
    settings.model = None  # no model chosen and an empty store: the bundled demo model
    settings.auto_finalise = False
    return lambda: make_window(RealEngine())


def test_dropped_file_becomes_its_words(qtbot, demo_window, sentence_wav):
    window = demo_window()
    wait_model(qtbot, window)
    with qtbot.waitSignal(window.job_finished, timeout=60000) as finished:
        assert drop(window.editor.viewport(), [sentence_wav])
    assert finished.args[1] == "done"
    name, transcript = window.file_transcripts[0]
    assert name == sentence_wav.name
    check_text(transcript.text)
    assert window.editor.toPlainText() == f"# {sentence_wav.name}\n{transcript.text}\n"


def test_dictated_words_appear_in_the_editor(qtbot, demo_window, mic, sentence_wav):
    mic.audio, mic.tail = load_audio(sentence_wav), "none"
    window = demo_window()
    wait_model(qtbot, window)
    window.start_recording()
    qtbot.waitUntil(lambda: bool(mic.streams) and mic.last.played.is_set(), timeout=20000)
    qtbot.waitUntil(lambda: window.editor.partial_text().strip() != "", timeout=10000)
    with qtbot.waitSignal(window.recording_changed, timeout=20000):
        window.stop_recording()
    check_text(window.editor.toPlainText().strip())

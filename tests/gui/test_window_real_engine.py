"""End to end with the real engine (a tiny random-weight model): the window's text equals
what the engine gives for exactly the audio that went through the capture callback."""

from __future__ import annotations

import numpy as np
import pytest

from dictate.audio.files import load_audio
from dictate.audio.resample import resample
from dictate.gui.engine import RealEngine
from dictate.gui.loop_probe import EventLoopProbe

from .conftest import wait_model
from .helpers import device, speech, speech_file

UI_DELAY_LIMIT_MS = 50.0
# The worst single delay also counts the OS scheduler: on a loaded 2-core machine (other jobs
# running) a lone 50-130 ms gap was seen with the UI thread idle in the event loop, so the
# hard bound on the maximum is looser; the measured numbers are printed.
UI_MAX_DELAY_BOUND_MS = 150.0


def captured_audio(clip: np.ndarray, rate: int, channels: int) -> np.ndarray:
    """What AudioCapture delivers for ``clip`` replayed at ``rate``: int16 blocks of 20 ms,
    the last one padded with zeros, down-mixed and resampled back to 16 kHz."""
    pcm = np.clip(np.round(resample(clip, 16000, rate) * 32767.0), -32768, 32767).astype(np.int16)
    block = rate // 50
    padded = np.zeros(-(-len(pcm) // block) * block, dtype=np.int16)
    padded[: len(pcm)] = pcm
    return resample(padded.astype(np.float32) / 32768.0, rate)


@pytest.fixture
def real_window(make_window, settings, tiny_model_dir):
    settings.model = str(tiny_model_dir)
    settings.auto_finalise = False

    def make(start: bool = True):
        return make_window(RealEngine(), start=start)

    return make


@pytest.mark.parametrize("rate,channels", [(16000, 1), (48000, 2)])
def test_live_dictation_matches_the_engine(qtbot, real_window, mic, tiny_model, rate, channels):
    clip = speech("ps_goforward.wav")
    mic.audio, mic.tail = clip, "none"
    if rate != 16000:
        mic.rate, mic.channels = rate, channels
        mic.devices = [device("Stereo mic", rate=float(rate), channels=channels)]
    window = real_window(start=False)
    partials = []
    window.client.worker.partial.connect(partials.append)  # before the engine thread runs
    window.start()
    wait_model(qtbot, window)
    window.start_recording()
    qtbot.waitUntil(lambda: bool(mic.streams) and mic.last.played.is_set(), timeout=10000)
    qtbot.waitUntil(lambda: window.editor.partial_text().strip() != "", timeout=5000)
    with qtbot.waitSignal(window.recording_changed, timeout=10000):
        window.stop_recording()
    expected = tiny_model.transcribe(captured_audio(clip, rate, channels)).text
    assert expected.strip()
    assert window.editor.toPlainText() == expected
    assert any(p.strip() for p in partials)  # partial text came first
    assert window.editor.partial_range is None


def test_file_job_matches_the_engine(qtbot, real_window, tiny_model):
    window = real_window()
    wait_model(qtbot, window)
    path = speech_file("dsrel_2830-3980-0043.wav")
    with qtbot.waitSignal(window.job_finished, timeout=20000) as finished:
        window.add_files([str(path)])
    assert finished.args[1] == "done"
    expected = tiny_model.transcribe(load_audio(path))
    name, transcript = window.file_transcripts[0]
    assert name == path.name
    assert transcript.text == expected.text
    assert transcript.words == expected.words
    assert window.editor.toPlainText() == f"# {path.name}\n{expected.text}\n"


def test_ui_thread_never_waits_while_recording_and_transcribing(qtbot, real_window, mic):
    """Event-loop delay on the UI thread while dictating and transcribing files at once."""
    mic.audio = np.concatenate([speech("sb_LJ050-0131.wav"), speech("ps_sense_0870.wav")])
    mic.speed = 2.0
    window = real_window()
    wait_model(qtbot, window)
    probe = EventLoopProbe()
    probe.start()
    clips = ("ps_sense_0920.wav", "ps_sense_0890.wav", "whisper_jfk.wav")
    window.add_files([str(speech_file(n)) for n in clips])
    window.start_recording()
    qtbot.waitUntil(lambda: bool(mic.streams) and mic.last.played.is_set(), timeout=20000)
    with qtbot.waitSignal(window.recording_changed, timeout=10000):
        window.stop_recording()
    qtbot.waitUntil(lambda: not window.jobs, timeout=20000)
    probe.stop()
    print("\n" + probe.report("UI event-loop delay, tiny model, recording + 3 file jobs"))
    stats = probe.stats()
    assert stats["samples"] > 100
    assert stats["p99_ms"] < UI_DELAY_LIMIT_MS, probe.report()
    assert stats["max_ms"] < UI_MAX_DELAY_BOUND_MS, probe.report()

"""The real window with the fake engine: recording, partial/final text, devices, shortcuts."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QTextCursor

from dictate.audio.capture import DeviceChoice
from dictate.gui.editor import PARTIAL_COLOUR
from dictate.gui.engine import FakeEngine

from .conftest import wait_model
from .helpers import device, speech


def partial_colour(window) -> str:
    start, end = window.editor.partial_range
    c = QTextCursor(window.editor.document())
    c.setPosition(start + 1)
    return c.charFormat().foreground().color().name()


def test_record_shows_grey_partial_then_final_text(qtbot, make_window, mic):
    mic.audio = speech()
    window = make_window()
    wait_model(qtbot, window)
    assert window.record_action.isEnabled()
    qtbot.mouseClick(window.record_button, Qt.LeftButton)
    assert window.recording
    qtbot.waitUntil(lambda: window.editor.partial_text().strip() != "", timeout=5000)
    assert partial_colour(window) == PARTIAL_COLOUR.name()
    assert window.record_action.text().endswith("Stop")
    qtbot.waitUntil(lambda: window.meter.peak > 0.1, timeout=3000)
    qtbot.waitUntil(lambda: mic.last.played.is_set(), timeout=5000)
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        qtbot.mouseClick(window.record_button, Qt.LeftButton)
    text = window.editor.toPlainText()
    assert text.startswith("alpha bravo")
    assert window.editor.partial_range is None
    assert not window.recording and window.record_action.text().endswith("Record")
    # the committed text is in the normal colour
    c = QTextCursor(window.editor.document())
    c.setPosition(2)
    assert c.charFormat().foreground().color().name() != PARTIAL_COLOUR.name()


def test_shortcut_toggles_recording_and_elapsed_time_runs(qtbot, make_window, mic, settings):
    settings.record_shortcut = "Ctrl+R"
    mic.audio = speech()
    window = make_window()
    wait_model(qtbot, window)
    window.activateWindow()
    window.editor.setFocus()
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        window.record_action.trigger()
    qtbot.waitUntil(lambda: window.elapsed_label.text() != "0:00" or mic.last.position > 16000, timeout=5000)
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        window.record_action.trigger()
    assert window.record_action.shortcut().toString() == "Ctrl+R"


def hold_key_down(qtbot, make_window, mic, settings):
    """A window whose hold-to-talk key (F8) is pressed: it records."""
    settings.hold_key = "F8"
    mic.audio = speech()
    window = make_window()
    wait_model(qtbot, window)
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        qtbot.keyPress(window.editor, Qt.Key_F8)
    return window


def test_hold_to_talk_records_while_key_is_down(qtbot, make_window, mic, settings):
    window = hold_key_down(qtbot, make_window, mic, settings)
    assert window.recording
    qtbot.keyPress(window.editor, Qt.Key_F8)  # a second press (auto-repeat-like) changes nothing
    qtbot.waitUntil(lambda: mic.last.played.is_set(), timeout=5000)
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        qtbot.keyRelease(window.editor, Qt.Key_F8)
    assert "alpha" in window.editor.toPlainText()
    assert "F8" not in window.editor.toPlainText()


def hold_and_release(qtbot, make_window, mic, settings):
    """A window whose hold-to-talk key (F8) was pressed and released: it is finishing."""
    window = hold_key_down(qtbot, make_window, mic, settings)
    qtbot.keyRelease(window.editor, Qt.Key_F8)
    return window


def test_hold_key_pressed_again_while_finishing_records_again(qtbot, make_window, mic, settings):
    window = hold_and_release(qtbot, make_window, mic, settings)
    assert window.stopping  # the worker is finishing the utterance
    qtbot.keyPress(window.editor, Qt.Key_F8)  # the next one starts before it is done
    qtbot.waitUntil(lambda: window.recording and not window.stopping, timeout=5000)
    with qtbot.waitSignal(window.recording_changed, check_params_cb=lambda on: not on, timeout=5000):
        qtbot.keyRelease(window.editor, Qt.Key_F8)
    assert not window.recording


def test_silence_after_speech_finalises_the_utterance(qtbot, make_window, mic, settings):
    settings.auto_finalise = True
    settings.silence_ms = 500
    clip = speech()
    gap = np.zeros(16000, dtype=np.float32)
    mic.audio = np.concatenate([clip, gap, clip, gap])
    window = make_window(start=False)
    finals = []
    window.client.worker.final.connect(finals.append)  # before the engine thread runs
    window.start()
    wait_model(qtbot, window)
    window.start_recording()
    qtbot.waitUntil(lambda: len([f for f in finals if f]) >= 2, timeout=8000)
    assert window.recording  # auto-finalise does not stop recording
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        window.stop_recording()
    spoken = [f for f in finals if f]
    assert len(spoken) == 2
    assert window.editor.toPlainText().startswith(spoken[0] + " " + spoken[1])


def test_text_is_inserted_at_the_cursor(qtbot, make_window, mic):
    mic.audio = speech()
    window = make_window()
    wait_model(qtbot, window)
    window.editor.setPlainText("Dear team,\nthanks.")
    c = window.editor.textCursor()
    c.setPosition(len("Dear team,"))
    window.editor.setTextCursor(c)
    window.start_recording()
    qtbot.waitUntil(lambda: bool(mic.streams) and mic.last.played.is_set(), timeout=5000)
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        window.stop_recording()
    text = window.editor.toPlainText()
    assert text.startswith("Dear team, alpha")
    assert text.endswith("\nthanks.")


def test_starting_without_a_microphone_says_so_and_stays_usable(qtbot, make_window, mic):
    mic.devices = []
    window = make_window()
    wait_model(qtbot, window)
    qtbot.waitUntil(lambda: window.devices.refreshes >= 1, timeout=3000)
    assert window.devices.combo.currentText() == "No microphone found"
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        window.start_recording()
    assert "No microphone found" in window.messages.text
    assert not window.recording and window.record_action.isEnabled()
    # plugging one in and refreshing makes it usable
    mic.devices = [device("USB mic")]
    mic.audio = speech()
    window.devices.refresh()
    qtbot.waitUntil(lambda: window.devices.combo.count() == 2, timeout=3000)
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        window.start_recording()
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        window.stop_recording()


def test_device_refusing_the_format_gives_a_clear_message(qtbot, make_window, mic):
    mic.refuse = True
    window = make_window()
    wait_model(qtbot, window)
    window.editor.setPlainText("kept")
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        window.start_recording()
    assert "refused every recording format" in window.messages.text
    assert "Replay mic" in window.messages.text
    assert window.editor.toPlainText() == "kept"
    assert window.record_action.isEnabled()


def test_device_lost_mid_recording_keeps_text_and_app_usable(qtbot, make_window, mic):
    mic.audio = np.concatenate([speech(), speech()])
    mic.speed = 2.0
    window = make_window()
    wait_model(qtbot, window)
    window.start_recording()
    qtbot.waitUntil(lambda: window.editor.partial_text().strip() != "", timeout=5000)
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        mic.last.lose_device()  # unplugged: no more callbacks, the stream ends
    assert "stopped delivering audio" in window.messages.text
    text = window.editor.toPlainText()
    assert text.startswith("alpha")  # what was recognised is committed, not lost
    assert window.editor.partial_range is None
    assert not window.recording
    # and recording works again
    mic.audio = speech()
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        window.start_recording()
    qtbot.waitUntil(lambda: mic.last.played.is_set(), timeout=5000)
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        window.stop_recording()
    assert window.editor.toPlainText().startswith(text)
    assert len(window.editor.toPlainText()) > len(text)


def test_resamples_from_the_device_rate(qtbot, make_window, mic):
    mic.audio = speech()
    mic.rate, mic.channels = 44100, 2  # the device takes nothing else
    mic.devices = [device("Stereo mic", rate=44100.0, channels=2)]
    window = make_window()
    wait_model(qtbot, window)
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        window.start_recording()
    assert "44100 Hz" in window.status.text()
    assert mic.opened[-1]["channels"] == 2
    qtbot.waitUntil(lambda: mic.last.played.is_set(), timeout=5000)
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        window.stop_recording()
    assert window.editor.toPlainText().startswith("alpha bravo")


def test_device_choice_is_remembered(qtbot, make_window, mic, settings):
    mic.devices = [device("Built-in", index=0), device("USB mic", index=5, default=False)]
    window = make_window()
    qtbot.waitUntil(lambda: window.devices.combo.count() == 3, timeout=3000)
    index = window.devices.combo.findText("USB mic (Test API)")
    window.devices.combo.setCurrentIndex(index)
    window.devices.combo.activated.emit(index)
    assert settings.device == DeviceChoice("USB mic", "Test API")
    # a new window picks it again; recording uses it
    window2 = make_window()
    qtbot.waitUntil(lambda: window2.devices.combo.count() == 3, timeout=3000)
    assert window2.devices.combo.currentText() == "USB mic (Test API)"
    wait_model(qtbot, window2)
    with qtbot.waitSignal(window2.recording_changed, timeout=5000):
        window2.start_recording()
    assert "USB mic (Test API)" in window2.status.text()
    assert mic.opened[-1]["device"] == 5
    with qtbot.waitSignal(window2.recording_changed, timeout=5000):
        window2.stop_recording()


def test_no_model_installed_shows_banner_and_offers_manager(qtbot, make_window):
    window = make_window(FakeEngine(installed=False))
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=5000)
    assert "No speech model is installed" in window.banner.text
    assert not window.record_action.isEnabled()
    window.banner.action.click()
    assert window.model_manager is not None and window.model_manager.isVisible()


def test_closing_while_recording_saves_the_last_words(qtbot, make_window, mic, dialogs, tmp_path):
    t = np.arange(16000 * 6) / 16000
    mic.audio = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)  # a word every 0.32 s
    mic.speed = 1.0
    window = make_window()
    wait_model(qtbot, window)
    window.record_action.trigger()
    qtbot.waitUntil(lambda: len(window.editor.partial_text().split()) >= 2, timeout=8000)
    qtbot.wait(150)  # in the middle of the next word
    dialogs.save_changes_answer = "save"
    dialogs.save_path = str(tmp_path / "close.txt")
    window.close()
    saved = (tmp_path / "close.txt").read_text(encoding="utf-8")
    assert saved == window.editor.toPlainText()
    assert len(saved.split()) >= 3  # the word being spoken at the close is in the file


def test_closing_just_after_pressing_record_waits_for_the_stop(qtbot, make_window, mic):
    mic.audio = speech()
    window = make_window()
    wait_model(qtbot, window)
    window.record_action.trigger()  # the worker has not reported "started" yet
    window._finish_recording()
    assert not window.recording


def slow_to_stop(mic, seconds: float):
    """A capture factory whose microphone takes ``seconds`` to stop (a stuck driver)."""

    def make(choice):
        capture = mic.capture(choice)
        stop = capture.stop

        def stuck_stop():
            time.sleep(seconds)
            stop()

        capture.stop = stuck_stop
        return capture

    return make


def test_closing_gives_up_waiting_for_a_stuck_stop_and_stays_consistent(qtbot, make_window, mic):
    mic.audio = speech()

    window = make_window(capture_factory=slow_to_stop(mic, 1.5))
    wait_model(qtbot, window)
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        window.start_recording()
    began = time.monotonic()
    window._finish_recording(timeout_ms=200)
    assert time.monotonic() - began < 1.2  # the timeout ended the wait, not the stop
    assert window.recording and window.stopping
    qtbot.waitUntil(lambda: not window.recording, timeout=5000)  # the late stop is still handled
    assert not window.stopping
    assert window.record_action.isEnabled()


def test_closing_again_while_the_first_close_waits_ends_both_waits(qtbot, make_window, mic):
    mic.audio = speech()

    window = make_window(capture_factory=slow_to_stop(mic, 0.8), start=False)
    nested = []
    second_close = QTimer(window)
    second_close.setSingleShot(True)
    second_close.timeout.connect(lambda: (window._finish_recording(), nested.append(window.recording)))
    window.start()
    wait_model(qtbot, window)
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        window.start_recording()
    second_close.start(100)  # runs inside the first wait's event loop
    began = time.monotonic()
    window._finish_recording()
    assert nested == [False]  # the inner wait ended with the stop
    assert not window.recording
    assert time.monotonic() - began < 5  # the outer wait too, long before its 10 s timeout


def test_hold_key_pressed_while_closing_does_not_record_again(qtbot, make_window, mic, settings):
    window = hold_and_release(qtbot, make_window, mic, settings)
    qtbot.keyPress(window.editor, Qt.Key_F8)  # pressed again while finishing, then Ctrl+Q
    opened = len(mic.streams)
    window.close()
    assert len(mic.streams) == opened


def test_a_failing_recogniser_does_not_leave_the_microphone_open(qtbot, make_window, mic):
    from dictate.gui.engine import FakeRecogniser

    class Broken(FakeRecogniser):
        def create_stream(self):
            raise RuntimeError("inference request failed")

    class BrokenEngine(FakeEngine):
        def load(self, options):
            return Broken("broken")

    mic.audio = speech()
    window = make_window(engine=BrokenEngine())
    wait_model(qtbot, window)
    window.record_action.trigger()
    qtbot.waitUntil(lambda: "inference request failed" in window.messages.text, timeout=5000)
    qtbot.waitUntil(lambda: not window.recording, timeout=5000)
    assert mic.streams and not mic.last.active

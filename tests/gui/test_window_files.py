"""Files: dropped or opened audio becomes background jobs; save, export, copy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
from PySide6.QtGui import QGuiApplication, QTextCursor

from dictate.gui.engine import FakeEngine

from .conftest import wait_model
from .helpers import drop, speech, speech_file


def long_wav(tmp_path: Path, seconds: float = 60.0) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path / "long.wav"
    soundfile.write(str(path), (0.1 * rng.standard_normal(int(16000 * seconds))).astype(np.float32), 16000)
    return path


def test_dropped_files_are_transcribed_under_their_names(qtbot, make_window):
    window = make_window()
    wait_model(qtbot, window)
    files = [speech_file("ps_goforward.wav"), speech_file("s4_1984.wav")]
    done = []
    window.job_finished.connect(lambda job_id, state: done.append(state))
    assert drop(window.editor.viewport(), files)
    assert len(window.jobs_panel.rows) == 2 and window.jobs_panel.isVisible()
    qtbot.waitUntil(lambda: done == ["done", "done"], timeout=10000)
    text = window.editor.toPlainText()
    assert "# ps_goforward.wav\n" in text and "# s4_1984.wav\n" in text
    assert text.index("ps_goforward") < text.index("s4_1984")
    assert not window.jobs_panel.rows and not window.jobs_panel.isVisible()
    assert [name for name, _ in window.file_transcripts] == ["ps_goforward.wav", "s4_1984.wav"]
    assert window.srt_action.isEnabled()


def test_open_files_from_the_menu(qtbot, make_window, dialogs):
    window = make_window()
    wait_model(qtbot, window)
    dialogs.open_paths = [str(speech_file("s4_12345.wav"))]
    with qtbot.waitSignal(window.job_finished, timeout=10000) as finished:
        window.open_action.trigger()
    assert finished.args[1] == "done"
    assert "# s4_12345.wav" in window.editor.toPlainText()


def test_a_bad_file_reports_its_error_and_other_jobs_go_on(qtbot, make_window, tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("this is not audio")
    missing = tmp_path / "missing.flac"
    window = make_window()
    wait_model(qtbot, window)
    states = {}
    window.job_finished.connect(lambda job_id, state: states.__setitem__(job_id, state))
    ids = window.add_files([str(bad), str(speech_file("ps_goforward.wav")), str(missing)])
    qtbot.waitUntil(lambda: len(states) == 3, timeout=10000)
    assert [states[i] for i in ids] == ["failed", "done", "failed"]
    row = window.jobs_panel.rows[ids[0]]
    assert "notes.wav" in row.status.text() and "not an audio format" in row.status.text()
    assert "no such file" in window.jobs_panel.rows[ids[2]].status.text()
    assert "# ps_goforward.wav" in window.editor.toPlainText()
    row.button.click()  # dismiss
    assert ids[0] not in window.jobs_panel.rows


def test_cancel_a_job(qtbot, make_window, tmp_path):
    path = long_wav(tmp_path, 300.0)
    window = make_window(FakeEngine(seconds_per_second=0.02))  # 6 s for the whole file
    wait_model(qtbot, window)
    [job_id] = window.add_files([str(path)])
    row = window.jobs_panel.rows[job_id]
    qtbot.waitUntil(lambda: row.progress.value() > 0, timeout=10000)
    with qtbot.waitSignal(window.job_finished, timeout=10000) as finished:
        row.button.click()
    assert finished.args == [job_id, "cancelled"]
    assert "long.wav" not in window.editor.toPlainText()
    assert not window.jobs_panel.rows


def test_recording_while_a_file_is_transcribed(qtbot, make_window, mic, tmp_path):
    mic.audio = speech()
    window = make_window(FakeEngine(seconds_per_second=0.03))  # 120 s of audio take 3.6 s
    wait_model(qtbot, window)
    window.editor.setPlainText("Notes:")
    window.editor.moveCursor(QTextCursor.End)
    window.add_files([str(long_wav(tmp_path, 120.0))])
    window.start_recording()
    qtbot.waitUntil(lambda: mic.last.played.is_set() if mic.streams else False, timeout=10000)
    with qtbot.waitSignal(window.recording_changed, timeout=5000):
        window.stop_recording()
    assert window.jobs, "the file job should still be running"
    assert window.editor.toPlainText().startswith("Notes: alpha")
    with qtbot.waitSignal(window.job_finished, timeout=20000) as finished:
        pass
    assert finished.args[1] == "done"
    text = window.editor.toPlainText()
    assert text.startswith("Notes: alpha") and "\n\n# long.wav\n" in text


def test_save_text_export_subtitles_and_copy_all(qtbot, make_window, dialogs, tmp_path):
    window = make_window()
    wait_model(qtbot, window)
    done = []
    window.job_finished.connect(lambda *a: done.append(a))
    window.add_files([str(speech_file("ps_goforward.wav")), str(speech_file("s4_1984.wav"))])
    qtbot.waitUntil(lambda: len(done) == 2, timeout=10000)

    dialogs.save_path = str(tmp_path / "out.txt")
    with qtbot.waitSignal(window.text_saved, timeout=5000):
        window.save_action.trigger()
    assert Path(dialogs.save_path).read_text(encoding="utf-8") == window.editor.toPlainText()
    assert not window.editor.document().isModified()

    dialogs.choice = "s4_1984.wav"
    dialogs.save_path = str(tmp_path / "s4.srt")
    with qtbot.waitSignal(window.text_saved, timeout=5000):
        window.srt_action.trigger()
    srt = Path(dialogs.save_path).read_text(encoding="utf-8")
    assert srt.startswith("1\n00:00:00,")
    assert "-->" in srt and "alpha" not in srt.split("\n")[0]
    assert any(a.startswith("save_file: Export SRT (s4_1984.srt)") for a in dialogs.asked)

    dialogs.save_path = str(tmp_path / "s4.vtt")
    with qtbot.waitSignal(window.text_saved, timeout=5000):
        window.vtt_action.trigger()
    assert Path(dialogs.save_path).read_text(encoding="utf-8").startswith("WEBVTT\n\n00:00:00.")

    window.copy_all_action.trigger()
    assert QGuiApplication.clipboard().text() == window.editor.toPlainText()


def test_saving_to_an_unwritable_place_reports_it(qtbot, make_window, dialogs, tmp_path):
    window = make_window()
    window.editor.setPlainText("some text")
    dialogs.save_path = str(tmp_path / "no" / "such" / "folder" / "out.txt")
    window.save_action.trigger()
    qtbot.waitUntil(lambda: "Cannot save" in window.messages.text, timeout=5000)
    assert window.editor.toPlainText() == "some text"


def test_saving_does_not_mark_text_that_came_in_meanwhile(qtbot, make_window, dialogs, tmp_path):
    window = make_window()
    window.editor.set_text("first part")
    dialogs.save_path = str(tmp_path / "out.txt")
    with qtbot.waitSignal(window.text_saved, timeout=5000):
        window.save_text()
        window.editor.commit_final("second part")  # dictation lands while the file is written
    assert Path(dialogs.save_path).read_text(encoding="utf-8") == "first part"
    assert window.editor.document().isModified()  # so closing still asks


def test_subtitles_of_two_files_with_the_same_name(qtbot, make_window, dialogs, tmp_path):
    from dictate.engine.transcript import Transcript, Word

    window = make_window()
    window.file_transcripts = [
        ("x.wav", Transcript("first", 0.0, [Word("first", 0.0, 0.3)])),
        ("x.wav", Transcript("second", 0.0, [Word("second", 0.0, 0.3)])),
        ("x.wav (2)", Transcript("third", 0.0, [Word("third", 0.0, 0.3)])),
    ]
    dialogs.choice = "3."
    dialogs.save_path = str(tmp_path / "x.srt")
    with qtbot.waitSignal(window.text_saved, timeout=5000):
        window.export_subtitles("srt")
    assert "choose: Export subtitles: ['1. x.wav', '2. x.wav', '3. x.wav (2)']" in dialogs.asked
    assert "third" in Path(dialogs.save_path).read_text(encoding="utf-8")


def test_cancelling_a_job_while_no_model_is_loaded(qtbot, make_window, tmp_path):
    path = tmp_path / "a.wav"
    soundfile.write(str(path), np.zeros(16000, dtype=np.float32), 16000)
    window = make_window(engine=FakeEngine(installed=False))
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=5000)
    (job_id,) = window.add_files([str(path)])
    with qtbot.waitSignal(window.job_finished, timeout=5000) as finished:
        window.jobs_panel.rows[job_id].button.click()
    assert finished.args == [job_id, "cancelled"]
    assert job_id not in window.jobs and job_id not in window.jobs_panel.rows


def test_closing_during_a_transcription_asks_first(qtbot, make_window, dialogs, tmp_path):
    path = tmp_path / "long.wav"
    soundfile.write(str(path), 0.3 * np.ones(16000 * 30, dtype=np.float32), 16000)
    window = make_window(engine=FakeEngine(seconds_per_second=0.05))
    wait_model(qtbot, window)
    (job_id,) = window.add_files([str(path)])
    qtbot.waitUntil(lambda: window.jobs_panel.rows[job_id].progress.value() > 100, timeout=10000)
    dialogs.confirm_answer = False
    window.close()
    assert "confirm: Quit dictate?" in dialogs.asked
    assert window.isVisible() and job_id in window.jobs
    dialogs.confirm_answer = True
    window.close()
    assert not window.isVisible()


def test_a_file_is_decoded_off_the_engine_thread(monkeypatch, tmp_path):
    """Steps return at once while a long file decodes, so live dictation keeps its pace."""
    import threading
    import time

    from dictate.gui import file_jobs
    from dictate.gui.engine import FakeRecogniser

    release = threading.Event()

    def slow_load(path):
        release.wait(5)
        return np.full(16000, 0.3, np.float32)

    monkeypatch.setattr(file_jobs, "load_audio", slow_load)
    job = file_jobs.FileJob(1, tmp_path / "long.mp3")
    recogniser = FakeRecogniser("fake")
    started = time.perf_counter()
    assert job.step(recogniser) is None and job.step(recogniser) is None
    assert time.perf_counter() - started < 1.0  # two short waits, not the decode
    release.set()
    transcript = None
    for _ in range(100):
        transcript = job.step(recogniser)
        if transcript is not None:
            break
    assert transcript is not None and transcript.text == "alpha bravo charlie delta"  # 1 s of sound


def test_a_cancelled_jobs_audio_is_not_kept(monkeypatch, tmp_path):
    import threading

    from dictate.gui import file_jobs
    from dictate.gui.engine import FakeRecogniser

    release = threading.Event()
    def slow_load(path):
        release.wait(5)
        return np.zeros(16000, np.float32)

    monkeypatch.setattr(file_jobs, "load_audio", slow_load)
    job = file_jobs.FileJob(1, tmp_path / "long.mp3")
    assert job.step(FakeRecogniser("fake")) is None  # decoding has started
    job.cancel()
    with pytest.raises(file_jobs.JobCancelled):
        job.step(FakeRecogniser("fake"))
    release.set()
    job._loader.join(5)
    assert job._loaded is None


def test_a_file_that_cannot_be_decoded_fails_its_job(tmp_path):
    from dictate.errors import AudioFileError
    from dictate.gui import file_jobs
    from dictate.gui.engine import FakeRecogniser

    job = file_jobs.FileJob(1, tmp_path / "missing.wav")
    with pytest.raises(AudioFileError, match="no such file"):
        for _ in range(100):
            job.step(FakeRecogniser("fake"))

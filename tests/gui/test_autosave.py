"""Never lose text: continuous autosave, restore after a crash or kill, clean exit clears it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from dictate.gui.autosave import DraftStore, pid_alive


def kill_a_session_mid_sentence(folder, text: str) -> int:
    """Run a process that autosaves a draft and then dies by SIGKILL (a crash)."""
    code = textwrap.dedent(
        f"""
        import os, signal, sys
        from pathlib import Path
        from dictate.gui.autosave import DraftStore
        store = DraftStore(Path({str(folder)!r}))
        store.begin()
        store.save({text!r})
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    assert proc.wait(timeout=60) == -signal.SIGKILL
    return proc.pid


def test_draft_store_finds_only_dead_sessions(tmp_path):
    mine = DraftStore(tmp_path)
    mine.begin()
    mine.save("mine")
    alive = DraftStore(tmp_path, pid=os.getppid())  # a running process: not an orphan
    alive.begin()
    alive.save("other window")
    dead_pid = kill_a_session_mid_sentence(tmp_path, "lost words")
    assert not pid_alive(dead_pid)
    orphans = mine.orphans()
    assert [(o.pid, o.text) for o in orphans] == [(dead_pid, "lost words")]
    mine.discard(orphans)
    assert mine.orphans() == []
    mine.end()
    assert not mine.draft.exists() and not mine.marker.exists()
    assert alive.draft.exists()


def test_editor_is_autosaved_continuously(qtbot, make_window):
    window = make_window()
    window.autosaver._timer.setInterval(50)
    window.editor.setPlainText("first words")
    qtbot.waitUntil(lambda: window.drafts.draft.exists()
                    and window.drafts.draft.read_text(encoding="utf-8") == "first words", timeout=3000)
    window.editor.appendPlainText("and more")
    qtbot.waitUntil(lambda: window.drafts.draft.read_text(encoding="utf-8") == "first words\nand more",
                    timeout=3000)
    assert window.drafts.marker.exists()


def test_restore_after_a_crash(qtbot, make_window, dialogs, isolated_data_dir):
    folder = isolated_data_dir / "autosave"
    kill_a_session_mid_sentence(folder, "Dear diary, today I dictated")
    dialogs.restore_answer = True
    window = make_window()
    assert any(a.startswith("ask_restore: Dear diary") for a in dialogs.asked)
    assert window.editor.toPlainText() == "Dear diary, today I dictated"
    # the restored text now lives in this session's draft; the orphan is gone
    assert window.drafts.draft.read_text(encoding="utf-8") == "Dear diary, today I dictated"
    assert [p.name for p in folder.glob("*.txt")] == [window.drafts.draft.name]


def test_declining_the_restore_discards_it(qtbot, make_window, dialogs, isolated_data_dir):
    folder = isolated_data_dir / "autosave"
    kill_a_session_mid_sentence(folder, "old text")
    dialogs.restore_answer = False
    window = make_window()
    assert window.editor.toPlainText() == ""
    assert DraftStore(folder, pid=0).orphans() == []


@pytest.mark.parametrize("answer", ["discard", "save"])
def test_clean_exit_clears_the_marker(qtbot, make_window, dialogs, tmp_path, answer):
    window = make_window()
    window.editor.insertPlainText("unsaved")
    window.autosaver.flush()
    assert window.drafts.draft.exists()
    dialogs.save_changes_answer = answer
    dialogs.save_path = str(tmp_path / "saved.txt")
    window.close()
    assert "ask_save_changes" in dialogs.asked
    assert not window.drafts.marker.exists() and not window.drafts.draft.exists()
    if answer == "save":
        assert (tmp_path / "saved.txt").read_text(encoding="utf-8") == "unsaved"


def test_cancel_on_close_keeps_the_window(qtbot, make_window, dialogs):
    window = make_window()
    window.editor.insertPlainText("unsaved")
    dialogs.save_changes_answer = "cancel"
    window.close()
    assert window.isVisible() and window.drafts.marker.exists()


def test_every_crashed_session_is_offered(qtbot, make_window, dialogs, isolated_data_dir):
    folder = isolated_data_dir / "autosave"
    folder.mkdir(parents=True, exist_ok=True)
    for pid, text in ((999991, "older crash text"), (999992, "newer crash text")):  # pids that are gone
        (folder / f"{pid}.txt").write_text(text, encoding="utf-8")
        (folder / f"{pid}.running").write_text(str(pid), encoding="utf-8")
    os.utime(folder / "999991.txt", (1, 1))
    dialogs.restore_answer = True
    window = make_window()
    offered = [a for a in dialogs.asked if a.startswith("ask_restore")]
    assert offered == ["ask_restore: newer crash text", "ask_restore: older crash text"]
    assert "newer crash text" in window.editor.toPlainText()
    assert "older crash text" in window.editor.toPlainText()

"""Background tasks: results reach the UI thread even when other tasks start meanwhile."""

from __future__ import annotations

from dictate.gui import background


def test_a_finished_tasks_result_survives_the_next_start(qtbot):
    got = []
    background.run_in_background(lambda: 1, got.append, None, "one")
    assert background._running[-1].thread.wait(5000)  # done; its result is still queued for us
    background.run_in_background(lambda: 2, got.append, None, "two")  # used to drop the first's callback
    qtbot.waitUntil(lambda: sorted(got) == [1, 2], timeout=5000)

"""Cyclic garbage is collected on the UI thread, not on whichever thread allocates."""

from __future__ import annotations

import gc
import threading

from dictate.gui.ui_thread_gc import UiThreadCollector


class Cycle:
    """Refers to itself, so only the cyclic collector frees it; records the thread that did."""

    def __init__(self, freed_on: list) -> None:
        self.me = self
        self.freed_on = freed_on

    def __del__(self) -> None:
        self.freed_on.append(threading.current_thread().name)


def test_cycles_are_freed_on_the_ui_thread_not_where_allocation_happens(qtbot):
    enabled_before = gc.isenabled()
    collector = UiThreadCollector(interval_ms=20)
    collector.start()
    try:
        assert not gc.isenabled()
        freed_on: list = []
        Cycle(freed_on)
        kept: list = []

        def churn() -> None:  # like the engine thread: far past gc's generation-0 threshold
            kept.append([[] for _ in range(20 * gc.get_threshold()[0])])

        worker = threading.Thread(target=churn, name="engine-like")
        worker.start()
        worker.join()
        assert freed_on == []  # the worker's allocations collected nothing
        qtbot.waitUntil(lambda: bool(freed_on), timeout=5000)
        assert freed_on == [threading.main_thread().name]
    finally:
        collector.stop()
    assert gc.isenabled() == enabled_before


def test_check_collects_only_past_a_threshold(qtbot):
    collector = UiThreadCollector()
    gc.collect()
    collector.check()
    assert collector.collections == 0
    kept = [[] for _ in range(2 * gc.get_threshold()[0])]
    collector.check()
    assert collector.collections == 1
    del kept

"""Throw-away child processes for native code that may crash on damaged input."""

from __future__ import annotations

import os
import time

from dictate.processes import crash_in_child


def test_a_child_killed_by_native_code_is_reported():
    assert crash_in_child(os.abort, (), 60).startswith("crashed (exit code")


def test_a_child_that_finishes_is_fine():
    assert crash_in_child(time.sleep, (0,), 60) is None


def test_a_hung_child_is_killed():
    started = time.monotonic()
    assert crash_in_child(time.sleep, (30,), 2) == "did not finish in 2 s"
    assert time.monotonic() - started < 20

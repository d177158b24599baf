"""Throw-away child processes for native code that may crash on damaged input."""

from __future__ import annotations

import sys
import time

import pytest

from dictate import processes
from dictate.processes import crash_in_child


def python_doing(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    monkeypatch.setattr(processes, "check_command", lambda check, args: [sys.executable, "-c", code])


def test_a_child_killed_by_native_code_is_reported(monkeypatch):
    python_doing(monkeypatch, "import os, sys; sys.stderr.write('dying\\n'); sys.stderr.flush(); os.abort()")
    died, stderr = crash_in_child("any", [], 60)
    assert died.startswith("crashed (exit code") and "dying" in stderr


def test_a_child_that_finishes_is_fine_and_its_stderr_is_kept(monkeypatch):
    python_doing(monkeypatch, "import sys; sys.stderr.write('ERROR: FstHeader::Read\\n')")
    assert crash_in_child("any", [], 60) == (None, "ERROR: FstHeader::Read\n")


def test_a_python_error_in_the_child_is_not_blamed_on_the_input(monkeypatch):
    python_doing(monkeypatch, "raise SystemExit(1)")
    assert crash_in_child("any", [], 60)[0] is None


def test_a_hung_child_is_killed(monkeypatch):
    python_doing(monkeypatch, "import time; time.sleep(30)")
    started = time.monotonic()
    assert crash_in_child("any", [], 2)[0] == "did not finish in 2 s"
    assert time.monotonic() - started < 20


def test_the_real_checks_run_from_the_package(tmp_path):
    scorer = tmp_path / "junk.scorer"
    scorer.write_bytes(b"not a scorer")
    assert crash_in_child("scorer", [str(scorer), '[" ", "a"]'], 60) == (None, "")  # a clean refusal
    assert processes.check_command("tflite", ["x"])[1:4] == ["-m", "dictate.checks", "tflite"]

"""Other processes: whether one still runs (stale autosave markers and staging folders), and
running native code that may crash on damaged input in a throw-away child first.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from typing import List, Optional, Sequence, Tuple

log = logging.getLogger(__name__)

WINDOWS_ABORT_EXIT_CODE = 3  # abort() there (POSIX: killed by SIGABRT, a negative exit code)
RUN_CHECK_FLAG = "--run-check"  # how a frozen app binary is asked to run a check


def check_command(check: str, args: Sequence[str]) -> List[str]:
    """The command line that runs ``dictate.checks`` ``check`` in a new process.

    ``python -m dictate.checks`` from a Python install; the app binary itself with
    ``--run-check`` in a frozen bundle (where ``sys.executable`` is the app).
    """
    if getattr(sys, "frozen", False):
        return [sys.executable, RUN_CHECK_FLAG, check, *args]
    return [sys.executable, "-m", "dictate.checks", check, *args]


def crash_in_child(check: str, args: Sequence[str], timeout_s: float) -> Tuple[Optional[str], str]:
    """Run the native-code check ``check`` (see ``dictate.checks``) in a child process.

    Returns (how it died, its stderr). "How it died" is "crashed (exit code N)" when native
    code killed it (a signal on POSIX, abort() on Windows), "did not finish in N s" when it hung
    (it is then killed), else None; a child that failed for another reason (exit code 1: a
    Python error) is logged and not counted against the input. Blocking: call it from a worker
    thread in the GUI. Unlike multiprocessing, this never re-imports the caller's ``__main__``.
    """
    command = check_command(check, args)
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return f"did not finish in {timeout_s:.0f} s", ""
    except OSError as exc:
        log.warning("could not start a check process (%s); going on unchecked", exc)
        return None, ""
    stderr = done.stderr.decode("utf-8", "replace")
    code = done.returncode
    if code < 0 or (os.name == "nt" and code == WINDOWS_ABORT_EXIT_CODE):
        return f"crashed (exit code {code})", stderr
    if code != 0:
        log.warning("a check process failed (exit code %s): %s", code, stderr.strip()[-500:])
    return None, stderr


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs (False when unsure it does)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        ctypes.windll.kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True

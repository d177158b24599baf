"""Other processes: whether one still runs (stale autosave markers and staging folders), and
running native code that may crash on damaged input in a throw-away child first.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Callable, Optional, Sequence

log = logging.getLogger(__name__)

WINDOWS_ABORT_EXIT_CODE = 3  # abort() there (POSIX: killed by SIGABRT, a negative exit code)


def crash_in_child(target: Callable[..., Any], args: Sequence[Any], timeout_s: float) -> Optional[str]:
    """Run ``target(*args)`` in a spawned child process; how it died, or None.

    Returns "crashed (exit code N)" when native code killed it (a signal on POSIX, abort() on
    Windows) and "did not finish in N s" when it hung (it is killed). A child that could not
    run at all (no ``__main__`` guard in the calling script, say) or that raised a Python
    exception is not counted against the input: that is logged and None returned. Blocking:
    call it from a worker thread in the GUI. ``target`` must be importable (module level).
    """
    import multiprocessing

    try:
        child = multiprocessing.get_context("spawn").Process(target=target, args=tuple(args), daemon=True)
        child.start()
    except (OSError, RuntimeError) as exc:
        log.warning("could not start a check process (%s); going on unchecked", exc)
        return None
    child.join(timeout_s)
    if child.exitcode is None:
        child.kill()
        child.join()
        return f"did not finish in {timeout_s:.0f} s"
    code = child.exitcode
    if code < 0 or (os.name == "nt" and code == WINDOWS_ABORT_EXIT_CODE):
        return f"crashed (exit code {code})"
    if code != 0:
        log.warning("a check process failed (exit code %s); going on unchecked", code)
    return None


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

"""Run a blocking function off the UI thread with progress, cancel and a result signal.

A :class:`Task` is a QObject moved to its own QThread (STYLE practice 4): ``run`` calls the
function with a ``progress(stage, fraction)`` callback and a ``threading.Event`` to poll for
cancellation; exactly one of ``succeeded``/``failed``/``cancelled`` follows, then
``finished``, which quits the thread. Callbacks from the function turn into queued signals,
so the UI never touches the work directly.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from dictate.errors import DictateError

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]
Work = Callable[[Progress, threading.Event], Any]


class TaskCancelled(Exception):
    """Raise from the work (e.g. in its progress callback) to end it as cancelled."""


class Task(QObject):
    progress = Signal(str, float)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, work: Work, description: str = "the task") -> None:
        super().__init__()
        self.work = work
        self.description = description
        self.cancel_event = threading.Event()
        self.done = False

    def cancel(self) -> None:
        """Ask the work to stop; it polls ``cancel_event`` (any thread may call this)."""
        self.cancel_event.set()

    def _report(self, stage: str, fraction: float) -> None:
        if self.cancel_event.is_set():
            raise TaskCancelled(self.description)
        self.progress.emit(stage, float(fraction))

    @Slot()
    def run(self) -> None:
        try:
            result = self.work(self._report, self.cancel_event)
        except TaskCancelled:
            self.cancelled.emit()
        except Exception as exc:
            if self.cancel_event.is_set():  # whatever the work raised on the way out
                self.cancelled.emit()
            elif isinstance(exc, DictateError):
                self.failed.emit(str(exc))
            else:
                log.exception("%s failed", self.description)
                self.failed.emit(f"{self.description[:1].upper()}{self.description[1:]} failed: {exc}")
        else:
            if self.cancel_event.is_set():
                self.cancelled.emit()
            else:
                self.succeeded.emit(result)
        finally:
            self.done = True
            self.finished.emit()


class Callback(QObject):
    """Calls a plain function on the thread this object lives on (queued from others).

    PySide calls a plain function connected to a signal on the emitting thread; a slot of a
    QObject created on the UI thread runs on the UI thread.
    """

    def __init__(self, fn: Callable[..., None], parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self.fn = fn

    @Slot(object)
    def call(self, value: Any = None) -> None:
        self.fn(value)

    @Slot(str)
    def call_str(self, value: str) -> None:
        self.fn(value)


@dataclass
class _Running:
    thread: QThread
    task: Task
    keep: List[QObject] = field(default_factory=list)
    delivered: bool = False


class _DeliveryMark(QObject):
    """Marks its entry when the task's ``finished`` reaches this (the UI) thread.

    The task's result signals were queued to this thread before ``finished``, so by then their
    callbacks have run, and the entry (which keeps those callback objects alive) may go.
    """

    def __init__(self, entry: _Running) -> None:
        super().__init__()
        self.entry = entry

    @Slot()
    def mark(self) -> None:
        self.entry.delivered = True


_running: List[_Running] = []


def _forget_delivered() -> None:
    _running[:] = [e for e in _running if not (e.delivered and e.thread.isFinished())]


def start_task(task: Task, keep: Optional[List[QObject]] = None) -> Task:
    """Run ``task`` on a new QThread; references are kept until its results were delivered."""
    _forget_delivered()
    thread = QThread()
    thread.setObjectName(f"task: {task.description}")
    task.moveToThread(thread)
    thread.started.connect(task.run)
    task.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)  # the UI may be waiting on it
    entry = _Running(thread, task, list(keep or []))
    mark = _DeliveryMark(entry)
    task.finished.connect(mark.mark)
    entry.keep.append(mark)
    _running.append(entry)
    thread.start()
    return task


def run_in_background(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Optional[Callable[[str], None]] = None,
    description: str = "the task",
) -> Task:
    """``fn()`` on a worker thread; ``on_done(result)`` or ``on_error(message)`` on this one."""
    task = Task(lambda _progress, _cancel: fn(), description)
    done = Callback(on_done)
    task.succeeded.connect(done.call)
    keep: List[QObject] = [done]
    if on_error is not None:
        error = Callback(on_error)
        task.failed.connect(error.call_str)
        keep.append(error)
    return start_task(task, keep)


def wait_for_tasks(timeout_ms: int = 10000) -> bool:
    """Cancel running tasks and wait for their threads (at exit, and in tests)."""
    ok = True
    for entry in list(_running):
        entry.task.cancel()
        ok = entry.thread.wait(timeout_ms) and ok
    _forget_delivered()
    return ok

"""Start-up: the one function that wires logging, the Qt application, the engine and the window.

``run_app()`` is what ``dictate`` and ``dictate gui`` call. Uncaught exceptions go to a
rotating log in the user log folder (``$DICTATE_LOG_DIR`` overrides it) and, once per run,
to a dialog naming that log; Qt's own messages are routed to the same log.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType
from typing import Callable, List, Optional, Sequence, Type

import platformdirs

from dictate import __version__

LOG_DIR_ENV = "DICTATE_LOG_DIR"
LOG_FILE = "dictate.log"
log = logging.getLogger("dictate")


def log_dir() -> Path:
    """Where the log goes (``$DICTATE_LOG_DIR`` overrides the platform's user log folder)."""
    override = os.environ.get(LOG_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_log_dir("dictate", appauthor=False))


def configure_logging(folder: Optional[Path] = None) -> Path:
    """A rotating log file (1 MB x 3) on the ``dictate`` logger; returns its path."""
    folder = folder or log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_FILE
    for h in list(log.handlers):
        if isinstance(h, logging.handlers.RotatingFileHandler) and Path(h.baseFilename) == path:
            return path
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return path


def route_qt_messages() -> object:
    """Send qDebug/qWarning/… to the ``dictate.qt`` logger; returns the previous handler."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    qt_log = logging.getLogger("dictate.qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def handler(kind, context, message):  # noqa: ANN001 - Qt's signature
        where = f" ({context.file}:{context.line})" if context is not None and context.file else ""
        qt_log.log(levels.get(kind, logging.WARNING), "%s%s", message, where)

    return qInstallMessageHandler(handler)


class ExceptionHook:
    """``sys.excepthook``: log the traceback; show one dialog per run naming the log file.

    Also installed as ``threading.excepthook``. PySide reports exceptions raised in slots
    on whatever thread ran them, so the dialog is shown through a queued call to the UI
    thread (``show_later``) when the hook runs on another thread.
    """

    def __init__(
        self,
        log_path: Path,
        show: Optional[Callable[[str], None]] = None,
        show_later: Optional[Callable[[str], None]] = None,
    ) -> None:
        self.log_path = log_path
        self.show = show or self._dialog
        self.show_later = show_later
        self.shown = False
        self.count = 0

    def thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not None and args.exc_value is not None:
            self(args.exc_type, args.exc_value, args.exc_traceback)

    def __call__(
        self, kind: Type[BaseException], value: BaseException, tb: Optional[TracebackType]
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        self.count += 1
        log.critical("Unexpected error:\n%s", "".join(traceback.format_exception(kind, value, tb)))
        if not self.shown:
            self.shown = True
            text = (
                f"Something went wrong: {value}\n\nThe details were written to {self.log_path}. "
                f"Your text is autosaved. Please include the log if you report this problem."
            )
            try:
                on_ui_thread = threading.current_thread() is threading.main_thread()
                if on_ui_thread or self.show_later is None:
                    self.show(text)
                else:
                    self.show_later(text)
            except Exception:  # noqa: BLE001 - never raise from the excepthook
                log.exception("cannot show the error dialog")

    @staticmethod
    def _dialog(text: str) -> None:
        from PySide6.QtWidgets import QApplication, QMessageBox

        if QApplication.instance() is not None:
            QMessageBox.critical(None, "dictate: unexpected error", text)


def _ui_relay() -> Callable[[str], None]:
    """A function any thread may call to show the error dialog on the UI thread."""
    from PySide6.QtCore import QObject, Signal

    class Relay(QObject):
        requested = Signal(str)

        def show(self, text: str) -> None:
            ExceptionHook._dialog(text)

    relay = Relay()
    relay.requested.connect(relay.show)  # bound method of a UI-thread QObject: queued
    _keep.append(relay)
    return relay.requested.emit


_keep: List[object] = []


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="dictate gui", add_help=True)
    parser.add_argument("files", nargs="*", help="audio files to transcribe at start")
    parser.add_argument("--engine", choices=("real", "fake"), help="speech engine (fake: GUI development)")
    known, _qt_args = parser.parse_known_args(list(argv))
    return known


def run_app(argv: Optional[List[str]] = None) -> int:
    """Open the dictation window and run until it closes; returns the exit code."""
    from PySide6.QtWidgets import QApplication

    from dictate.gui.background import wait_for_tasks
    from dictate.gui.engine import choose_engine
    from dictate.gui.main_window import MainWindow
    from dictate.gui.settings import AppSettings
    from dictate.gui.ui_thread_gc import UiThreadCollector

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "gui":
        argv = argv[1:]
    args = parse_args(argv)
    log_path = configure_logging()
    previous_qt_handler = route_qt_messages()
    log.info("dictate %s starting", __version__)
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "dictate"])
    app.setOrganizationName("dictate")
    app.setApplicationName("dictate")
    app.setApplicationVersion(__version__)
    previous_hook, previous_thread_hook = sys.excepthook, threading.excepthook
    hook = ExceptionHook(log_path, show_later=_ui_relay())
    sys.excepthook = hook
    threading.excepthook = hook.thread_hook
    collector = UiThreadCollector()
    collector.start()  # before any other thread runs Python code
    try:
        window = MainWindow(AppSettings(), choose_engine(args.engine))
        window.show()
        window.start()
        if args.files:
            window.add_files(args.files)
        code = app.exec()
        window.shutdown()
        wait_for_tasks()
        return int(code)
    finally:
        collector.stop()
        sys.excepthook = previous_hook
        threading.excepthook = previous_thread_hook
        from PySide6.QtCore import qInstallMessageHandler

        qInstallMessageHandler(previous_qt_handler)
        log.info("dictate exiting")

"""GUI test fixtures: isolated settings, scripted dialogs, replayed microphone, window factory.

Every window gets its own INI settings file, its own data folder (models, autosave; see the
autouse ``isolated_data_dir`` in tests/conftest.py) and fake dialogs; it is shut down at the
end of the test (engine thread stopped, autosave marker cleared).
"""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any, Callable, Iterator, List

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402

from dictate.gui.background import wait_for_tasks  # noqa: E402
from dictate.gui.engine import Engine, FakeEngine  # noqa: E402
from dictate.gui.main_window import MainWindow  # noqa: E402
from dictate.gui.settings import AppSettings  # noqa: E402
from dictate.gui.ui_thread_gc import UiThreadCollector  # noqa: E402

from .helpers import FakeDialogs, ReplayMic  # noqa: E402


@pytest.fixture(scope="package", autouse=True)
def ui_thread_gc(qapp: Any) -> Iterator[UiThreadCollector]:
    """As in the app, cyclic garbage is collected on the UI thread only, never on the engine's."""
    collector = UiThreadCollector()
    collector.start()
    yield collector
    collector.stop()


@pytest.fixture
def settings(tmp_path: Path) -> AppSettings:
    """Settings in a fresh INI file (never the user's)."""
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))


@pytest.fixture
def dialogs() -> FakeDialogs:
    return FakeDialogs()


@pytest.fixture
def mic() -> ReplayMic:
    return ReplayMic()


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "logs"
    monkeypatch.setenv("DICTATE_LOG_DIR", str(folder))
    return folder


@pytest.fixture
def make_window(qtbot: Any, settings: AppSettings, dialogs: FakeDialogs, mic: ReplayMic
                ) -> Iterator[Callable[..., MainWindow]]:
    """Build and start a real window; ``engine`` defaults to the fake engine."""
    windows: List[MainWindow] = []

    def make(engine: Engine = None, start: bool = True, **kwargs: Any) -> MainWindow:  # type: ignore[assignment]
        window = MainWindow(
            settings,
            engine if engine is not None else FakeEngine(),
            dialogs=dialogs,
            capture_factory=kwargs.pop("capture_factory", mic.capture),
            device_lister=kwargs.pop("device_lister", mic.list_devices),
            watch_devices=False,
            **kwargs,
        )
        qtbot.addWidget(window)
        windows.append(window)
        window.show()
        if start:
            window.start()
        return window

    yield make
    for w in windows:
        w.shutdown()
    wait_for_tasks()
    gc.collect()  # this test's cycles go here, on the UI thread, not in a later test's threads


def wait_model(qtbot: Any, window: MainWindow, timeout: int = 15000) -> None:
    qtbot.waitUntil(lambda: window.model_loaded, timeout=timeout)

"""Shared fixtures: real speech clips from ../shared, tiny random-weight models built on the fly."""

from __future__ import annotations

import csv
import faulthandler
import os
import sys
from pathlib import Path
from typing import Dict, Iterator, Optional

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# A test running longer than this ends the whole run: every thread's Python stack is printed
# and pytest exits with status 1, so CI fails instead of hanging. faulthandler's watchdog is a
# C thread that needs no GIL; a Python timer (pytest-timeout) could not fire during a
# deadlock in which a thread holds the GIL. The slowest test takes about 15 s.
TEST_TIMEOUT_S = 300
_watchdog_fd: Optional[int] = None


def pytest_configure(config: pytest.Config) -> None:
    global _watchdog_fd
    _watchdog_fd = os.dup(sys.__stderr__.fileno())  # the terminal, not a test's captured output


@pytest.fixture(autouse=True)
def hang_watchdog() -> Iterator[None]:
    assert _watchdog_fd is not None
    faulthandler.dump_traceback_later(TEST_TIMEOUT_S, exit=True, file=_watchdog_fd)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty model store, never the user's."""
    path = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("DICTATE_DATA_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def speech_dir(shared_data: Path) -> Path:
    return shared_data / "speech"


@pytest.fixture(scope="session")
def speech_manifest(speech_dir: Path) -> Dict[str, str]:
    """Clip file name → transcript."""
    with open(speech_dir / "manifest.csv", newline="", encoding="utf-8") as f:
        return {row["file"]: row["transcript"] for row in csv.DictReader(f)}


@pytest.fixture(scope="session")
def scorer_path(shared_data: Path) -> Path:
    return shared_data / "scorer" / "pruned_lm.scorer"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An installed-style model folder (IR + model.json) with random weights, n_hidden 32."""
    from dictate.models.build import build_acoustic_model
    from dictate.models.ir import save_ir
    from dictate.models.spec import ModelSpec
    from dictate.models.weights import random_weights

    folder = tmp_path_factory.mktemp("tiny-model")
    xml = save_ir(build_acoustic_model(random_weights(32, seed=7), 16), folder)
    ModelSpec(name="tiny", ir_path=xml, n_hidden=32, beam_width=16, conversion="fast").write(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir: Path):
    """The tiny model loaded with a narrow beam (fast)."""
    from dictate.engine.stream import SpeechModel
    from dictate.models.spec import load_spec

    return SpeechModel.load(load_spec(tiny_model_dir))

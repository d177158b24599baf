"""Fakes and helpers for the GUI tests: scripted dialogs, a replayed microphone."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from dictate.audio.capture import AudioCapture, DeviceChoice, ReplayInputStream
from dictate.audio.devices import InputDevice
from dictate.gui.dialogs import Dialogs

REPO = Path(__file__).resolve().parents[2]
SPEECH = REPO.parent / "shared" / "data" / "speech"


class FakeDialogs(Dialogs):
    """Answers every question from a script; records what was asked."""

    def __init__(self) -> None:
        self.asked: List[str] = []
        self.open_paths: List[str] = []
        self.open_path: Optional[str] = None
        self.save_path: Optional[str] = None
        self.choice: Optional[str] = None
        self.text: Optional[str] = None
        self.confirm_answer = True
        self.restore_answer = True
        self.save_changes_answer = "discard"
        self.messages: List[str] = []

    def open_audio_files(self, parent: Any) -> List[str]:
        self.asked.append("open_audio_files")
        return list(self.open_paths)

    def open_file(self, parent: Any, title: str, file_filter: str) -> Optional[str]:
        self.asked.append(f"open_file: {title}")
        return self.open_path

    def save_file(self, parent: Any, title: str, suggested: str, file_filter: str) -> Optional[str]:
        self.asked.append(f"save_file: {title} ({suggested})")
        return self.save_path

    def choose(self, parent: Any, title: str, label: str, items: Sequence[str]) -> Optional[str]:
        self.asked.append(f"choose: {title}: {list(items)}")
        if self.choice is None:
            return None
        return next((i for i in items if i.startswith(self.choice)), None)

    def ask_text(self, parent: Any, title: str, label: str, default: str = "") -> Optional[str]:
        self.asked.append(f"ask_text: {title} ({default})")
        return self.text if self.text is not None else default

    def confirm(self, parent: Any, title: str, text: str) -> bool:
        self.asked.append(f"confirm: {title}")
        return self.confirm_answer

    def ask_restore(self, parent: Any, preview: str, when: str) -> bool:
        self.asked.append(f"ask_restore: {preview}")
        return self.restore_answer

    def ask_save_changes(self, parent: Any) -> str:
        self.asked.append("ask_save_changes")
        return self.save_changes_answer

    def warn(self, parent: Any, title: str, text: str) -> None:
        self.messages.append(text)

    def info(self, parent: Any, title: str, text: str) -> None:
        self.messages.append(text)


def device(name: str = "Replay mic", index: int = 3, rate: float = 16000.0, channels: int = 1,
           default: bool = True) -> InputDevice:
    return InputDevice(index, name, "Test API", channels, rate, default)


class ReplayMic:
    """A microphone for tests: replays ``audio`` (16 kHz float) through AudioCapture's callback.

    ``devices`` is what the device list shows; ``refuse`` makes every format check fail;
    ``rate``/``channels`` force the capture format (e.g. 48 kHz stereo, exercising the
    resampler); ``tail`` is what follows the audio ("silence", or "none" to stop calling).
    """

    def __init__(self, audio: Optional[np.ndarray] = None, speed: float = 4.0) -> None:
        self.audio = audio if audio is not None else np.zeros(16000, dtype=np.float32)
        self.speed = speed
        self.devices: List[InputDevice] = [device()]
        self.refuse = False
        self.rate: Optional[int] = None
        self.channels: Optional[int] = None
        self.tail = "silence"
        self.streams: List[ReplayInputStream] = []
        self.captures: List[AudioCapture] = []
        self.opened: List[Dict[str, Any]] = []

    def list_devices(self) -> List[InputDevice]:
        return list(self.devices)

    def check(self, device: Any = None, samplerate: Any = None, channels: Any = None, **_: Any) -> None:
        if self.refuse:
            raise ValueError("Invalid sample rate [PaErrorCode -9997]")
        if self.rate is not None and samplerate != self.rate:
            raise ValueError("Invalid sample rate [PaErrorCode -9997]")
        if self.channels is not None and channels != self.channels:
            raise ValueError("Invalid number of channels [PaErrorCode -9998]")

    def _open(self, **kwargs: Any) -> ReplayInputStream:
        self.opened.append(kwargs)
        stream = ReplayInputStream(self.audio, 16000, self.speed, self.tail, **kwargs)
        self.streams.append(stream)
        return stream

    def capture(self, choice: Optional[DeviceChoice]) -> AudioCapture:
        cap = AudioCapture(choice, stream_factory=self._open, check_settings=self.check,
                           lister=self.list_devices, stall_seconds=1.5)
        self.captures.append(cap)
        return cap

    @property
    def last(self) -> ReplayInputStream:
        return self.streams[-1]


@functools.cache
def speech_file(name: str) -> Path:
    """A clip of ../shared/data/speech; the test is skipped where that folder is missing."""
    path = SPEECH / name
    if not path.is_file():
        pytest.skip(f"shared speech clip not found at {path}")
    return path


def speech(name: str = "ps_goforward.wav") -> np.ndarray:
    from dictate.audio.files import load_audio

    return load_audio(speech_file(name))


def drop(widget, paths) -> bool:
    """Drag ``paths`` onto ``widget`` and drop them (Qt delivers a drop only after an enter)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(QPoint(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, enter)
    event = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, event)
    return bool(enter.isAccepted() and event.isAccepted())

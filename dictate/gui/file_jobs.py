"""File transcription jobs: the work (no Qt, run by the engine worker) and their panel.

A :class:`FileJob` is stepped by the engine worker one slice at a time (the file is decoded
on a thread of its own meanwhile, then ``chunk_seconds`` of audio are fed per step), so live
dictation, other requests and cancellation are served between slices, even while a long MP3
is being decoded. Cancelling sets a thread-safe event that the
worker checks before every slice. :class:`JobsPanel` shows one row per job with a progress
bar and a Cancel button; finished rows go away, failed ones stay with their error until
dismissed.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Dict, Optional

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from dictate.audio.files import load_audio
from dictate.engine.transcript import Transcript

DEFAULT_CHUNK_SECONDS = 1.0
LOAD_WAIT_S = 0.02  # how long one step waits for the file to be decoded (live ticks go on)


class JobCancelled(Exception):
    """Raised by :meth:`FileJob.step` once the job was cancelled."""


class FileJob:
    """Transcribe one audio file in slices. Created on the UI thread, stepped by the worker."""

    def __init__(self, job_id: int, path: Path, chunk_seconds: float = DEFAULT_CHUNK_SECONDS) -> None:
        self.job_id = job_id
        self.path = Path(path)
        self.chunk = max(1, int(16000 * chunk_seconds))
        self._cancel = threading.Event()
        self._samples: Optional[np.ndarray] = None
        self._stream: Any = None
        self._pos = 0
        self._loader: Optional[threading.Thread] = None
        self._loaded: Optional[np.ndarray] = None
        self._load_error: Optional[BaseException] = None

    @property
    def name(self) -> str:
        return self.path.name

    def cancel(self) -> None:
        """Ask the job to stop (any thread); the worker notices before its next slice."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def fraction(self) -> float:
        """Share of the audio fed so far."""
        if self._samples is None or not len(self._samples):
            return 0.0
        return min(1.0, self._pos / len(self._samples))

    def step(self, recogniser: Any) -> Optional[Transcript]:
        """One slice of work; the transcript when done, else None.

        Raises JobCancelled when cancelled and DictateError (e.g. AudioFileError) on failure;
        either way the job's stream is released (on the calling thread, as the decoder needs).
        """
        try:
            if self._cancel.is_set():
                raise JobCancelled(self.name)
            if self._samples is None:
                if not self._loaded_meanwhile():
                    return None
                self._samples, self._loaded = self._loaded, None
                self._stream = recogniser.create_stream()
                return None
            piece = self._samples[self._pos : self._pos + self.chunk]
            if len(piece):
                self._stream.feed(piece)
                self._pos += len(piece)
            if self._pos < len(self._samples):
                return None
            transcript = self._stream.finish()
            self.release()
            return transcript
        except BaseException:
            self.release()
            raise

    def _loaded_meanwhile(self) -> bool:
        """Start decoding the file on its own thread; whether it is done (raises its error)."""
        if self._loader is None:
            self._loader = threading.Thread(target=self._load, name=f"decode {self.name}", daemon=True)
            self._loader.start()
        self._loader.join(LOAD_WAIT_S)
        if self._loader.is_alive():
            return False
        if self._load_error is not None:
            raise self._load_error
        return True

    def _load(self) -> None:
        try:
            samples = load_audio(self.path)
        except BaseException as exc:  # handed to the worker thread by the next step
            self._load_error = exc
            return
        if not self._cancel.is_set():  # a cancelled job's audio is not kept
            self._loaded = samples

    def release(self) -> None:
        """Drop the stream and the audio."""
        self._stream = None
        self._samples = None
        self._loaded = None


class JobRow(QWidget):
    """One job: name, progress, status and a Cancel (or Dismiss) button."""

    cancel_requested = Signal(int)
    dismissed = Signal(int)

    def __init__(self, job: FileJob, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.job_id = job.job_id
        self.setObjectName(f"job-{job.job_id}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        self.name_label = QLabel(job.name)
        self.name_label.setMinimumWidth(140)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("waiting")
        self.status = QLabel()
        self.status.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.status.setWordWrap(True)
        self.status.hide()
        self.button = QPushButton("Cancel")
        self.button.setToolTip(f"Stop transcribing {job.name}")
        self.button.clicked.connect(self._clicked)
        layout.addWidget(self.name_label)
        layout.addWidget(self.progress, 1)
        layout.addWidget(self.status, 1)
        layout.addWidget(self.button)
        self._failed = False

    def _clicked(self) -> None:
        if self._failed:
            self.dismissed.emit(self.job_id)
        else:
            self.button.setEnabled(False)
            self.progress.setFormat("cancelling…")
            self.cancel_requested.emit(self.job_id)

    def set_progress(self, fraction: float) -> None:
        self.progress.setValue(int(round(fraction * 1000)))
        self.progress.setFormat(f"{fraction * 100:.0f} %")

    def set_failed(self, message: str) -> None:
        self._failed = True
        self.progress.hide()
        self.status.setText(message)
        self.status.setStyleSheet("color: #b00020;")
        self.status.show()
        self.button.setText("Dismiss")
        self.button.setEnabled(True)


class JobsPanel(QWidget):
    """The list of file jobs under the editor; hidden while empty."""

    cancel_requested = Signal(int)

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobs-panel")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self.rows: Dict[int, JobRow] = {}
        self.hide()

    def add(self, job: FileJob) -> JobRow:
        row = JobRow(job, self)
        row.cancel_requested.connect(self.cancel_requested)
        row.dismissed.connect(self.remove)
        self.rows[job.job_id] = row
        self._layout.addWidget(row)
        self.show()
        return row

    def progress(self, job_id: int, fraction: float) -> None:
        row = self.rows.get(job_id)
        if row is not None:
            row.set_progress(fraction)

    def failed(self, job_id: int, message: str) -> None:
        row = self.rows.get(job_id)
        if row is not None:
            row.set_failed(message)

    def remove(self, job_id: int) -> None:
        row = self.rows.pop(job_id, None)
        if row is not None:
            self._layout.removeWidget(row)
            row.deleteLater()
        self.setVisible(bool(self.rows))



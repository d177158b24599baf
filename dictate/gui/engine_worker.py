"""The engine worker: one QObject on its own QThread owning the model, the live stream,
the microphone capture and the file jobs.

The UI thread talks to it only through queued signals (:class:`EngineClient`) and hears back
through the worker's signals; it never waits on audio or inference. A timer on the worker
thread pulls captured blocks at display rate (every ``tick_ms``), resamples them to 16 kHz,
feeds the stream, and emits the level and, when the recognised text changed, the partial
text. Between ticks it steps file jobs one slice at a time.

ds-ctcdecoder crashes at exit if a decoder state used on one thread is destroyed after that
thread ended (measured: segfaults in 4/5 runs), so streams are created, used and dropped on
this thread only, and :meth:`EngineWorker.shutdown` drops everything here before the thread
quits.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Deque, Optional

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from dictate.audio.capture import AudioCapture, DeviceChoice, StreamResampler, blocks_to_mono_float
from dictate.errors import AudioDeviceError, DictateError, NoModelError
from dictate.gui.engine import Engine, EngineOptions, Recogniser
from dictate.gui.file_jobs import FileJob, JobCancelled
from dictate.gui.silence import DEFAULT_SILENCE_MS, SilenceDetector, level_fraction

log = logging.getLogger(__name__)

CaptureFactory = Callable[[Optional[DeviceChoice]], AudioCapture]
TICK_MS = 30
JOB_SLICE_BUDGET_S = 0.05  # while recording, at most this much job work per tick


@dataclass(frozen=True)
class RecordRequest:
    """Start dictating from ``device`` (None: the system default)."""

    device: Optional[DeviceChoice] = None
    auto_finalise: bool = False
    silence_ms: int = DEFAULT_SILENCE_MS


def default_capture_factory(choice: Optional[DeviceChoice]) -> AudioCapture:
    return AudioCapture(choice)


class EngineWorker(QObject):
    """Lives on the engine thread. Every public slot reports failure through a signal."""

    model_loading = Signal(str)
    model_ready = Signal(str, str)  # name, description
    model_failed = Signal(str, bool)  # message, True when no model is installed at all
    recording_started = Signal(str, int)  # device label, capture rate
    recording_stopped = Signal()
    partial = Signal(str)
    final = Signal(str)
    level = Signal(float)
    error = Signal(str)
    job_started = Signal(int)
    job_progress = Signal(int, float)
    job_done = Signal(int, object)  # job id, Transcript
    job_failed = Signal(int, str)
    job_cancelled = Signal(int)
    shut_down = Signal()

    def __init__(
        self,
        engine: Engine,
        capture_factory: Optional[CaptureFactory] = None,
        tick_ms: int = TICK_MS,
    ) -> None:
        super().__init__()
        self.engine = engine
        self.capture_factory = capture_factory or default_capture_factory
        self.tick_ms = tick_ms
        # Made and connected here, on the UI thread before the engine thread exists; as a
        # child it moves to that thread with the worker. (A connect() on the engine thread
        # while the UI thread also connects is one way to meet PySide's GIL/Qt-lock deadlock.)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._recogniser: Optional[Recogniser] = None
        self._capture: Optional[AudioCapture] = None
        self._resampler: Optional[StreamResampler] = None
        self._stream: Any = None
        self._detector: Optional[SilenceDetector] = None
        self._last_partial = ""
        self._last_frames = -1
        self._jobs: Deque[FileJob] = deque()
        self._current_job_started = False

    # -- set-up and shut-down ---------------------------------------------------------------

    @Slot()
    def shutdown(self) -> None:
        """Stop everything and drop model, streams and capture on this thread."""
        try:
            self._timer.stop()
            if self._capture is not None:
                self._capture.stop()
            self._capture = None
            self._stream = None
            for job in self._jobs:
                job.cancel()
                job.release()
            self._jobs.clear()
            self._recogniser = None
        finally:
            self.shut_down.emit()

    # -- model ------------------------------------------------------------------------------

    @Slot(object)
    def load_model(self, options: EngineOptions) -> None:
        """Load (or reload) the model; recording, if any, is finished first."""
        if self._capture is not None:
            self._end_recording(None)
        label = options.model or "the default model"
        self.model_loading.emit(label)
        try:
            recogniser = self.engine.load(options)
        except NoModelError as exc:
            self._recogniser = None
            self.model_failed.emit(str(exc), True)
            return
        except DictateError as exc:
            self._recogniser = None
            self.model_failed.emit(str(exc), False)
            return
        except Exception as exc:  # an engine bug must not kill the worker
            log.exception("loading the model failed")
            self._recogniser = None
            self.model_failed.emit(f"Cannot load the model: {exc}", False)
            return
        self._recogniser = recogniser
        self.model_ready.emit(recogniser.name, recogniser.description)
        self._schedule()

    # -- live dictation ---------------------------------------------------------------------

    @Slot(object)
    def start_recording(self, request: RecordRequest) -> None:
        if self._capture is not None:
            return
        if self._recogniser is None:
            self.error.emit("No speech model is loaded yet; recording needs one.")
            self.recording_stopped.emit()
            return
        capture: Optional[AudioCapture] = None
        try:
            capture = self.capture_factory(request.device)
            capture.start()
            self._stream = self._recogniser.create_stream()
        except Exception as exc:
            if isinstance(exc, DictateError):
                message = str(exc)
            else:
                log.exception("starting the recording failed")
                message = f"Cannot start recording: {exc}"
            if capture is not None:  # never leave the microphone open
                with contextlib.suppress(Exception):
                    capture.stop()
            self.error.emit(message)
            self.recording_stopped.emit()
            return
        self._capture = capture
        self._resampler = StreamResampler(capture.samplerate)
        self._detector = SilenceDetector(request.silence_ms) if request.auto_finalise else None
        self._last_partial = ""
        self._last_frames = -1
        self.recording_started.emit(capture.label, capture.samplerate)
        self._schedule()

    @Slot()
    def stop_recording(self) -> None:
        if self._capture is not None:
            self._end_recording(None)

    @Slot(bool, int)
    def set_auto_finalise(self, enabled: bool, silence_ms: int) -> None:
        """Turn silence auto-finalise on or off, also during a recording."""
        if self._capture is None:
            return
        self._detector = SilenceDetector(silence_ms) if enabled else None

    def _pump_live(self) -> None:
        capture, resampler = self._capture, self._resampler
        if capture is None or resampler is None:
            return
        blocks = capture.read()
        if blocks:
            self._feed_live(resampler.process(blocks_to_mono_float(blocks)))
        capture.check()

    def _feed_live(self, samples: Any) -> None:
        if not len(samples):
            return
        self.level.emit(level_fraction(samples))
        self._stream.feed(samples)
        if self._detector is not None and self._detector.update(samples):
            self._finalise_utterance()
            return
        frames = getattr(self._stream, "frames_decoded", None)
        if frames is not None and frames == self._last_frames:
            return
        self._last_frames = frames if frames is not None else -1
        text = self._stream.intermediate().text
        if text != self._last_partial:
            self._last_partial = text
            self.partial.emit(text)

    def _finalise_utterance(self) -> None:
        """Finish the current utterance, emit its text, start a fresh stream."""
        transcript = self._stream.finish()
        self._stream = None
        self.final.emit(transcript.text)
        self._last_partial = ""
        self._last_frames = -1
        if self._recogniser is not None and self._capture is not None:
            self._stream = self._recogniser.create_stream()

    def _end_recording(self, error: Optional[str]) -> None:
        """Stop the capture, feed what it still holds, finalise, report. Keeps all text."""
        capture, self._capture = self._capture, None
        try:
            if capture is not None:
                capture.stop()
                rest = capture.read()
                if rest and self._resampler is not None and self._stream is not None:
                    self._stream.feed(self._resampler.process(blocks_to_mono_float(rest)))
            if self._resampler is not None and self._stream is not None:
                self._stream.feed(self._resampler.flush())
            if self._stream is not None:
                self._finalise_utterance()
        except Exception as exc:  # finishing must never lose the stop/stopped signals
            log.exception("finishing the recording failed")
            error = error or f"Finishing the recording failed: {exc}"
        finally:
            self._stream = None
            self._resampler = None
            self._detector = None
            self.level.emit(0.0)
            if error:
                self.error.emit(error)
            self.recording_stopped.emit()
            self._schedule()

    # -- file jobs --------------------------------------------------------------------------

    @Slot(object)
    def add_job(self, job: FileJob) -> None:
        self._jobs.append(job)
        self._schedule()

    @Slot(int)
    def cancel_job(self, job_id: int) -> None:
        """Drop a cancelled job now unless it is being worked on (then its next slice ends it).

        Without this a job queued behind a long one, or any job while no model is loaded,
        would stay "cancelling…" until the worker reached it.
        """
        for job in self._jobs:
            if job.job_id != job_id:
                continue
            running = job is self._jobs[0] and self._recogniser is not None
            if not running:
                if job is self._jobs[0]:
                    self._current_job_started = False
                self._jobs.remove(job)
                job.release()
                self.job_cancelled.emit(job_id)
            return

    def _step_jobs(self, budget_s: Optional[float]) -> None:
        """Work on the first job: one slice, or slices until ``budget_s`` is used."""
        if self._recogniser is None:
            return
        deadline = None if budget_s is None else time.perf_counter() + budget_s
        while self._jobs:
            job = self._jobs[0]
            if not self._current_job_started:
                self._current_job_started = True
                self.job_started.emit(job.job_id)
            try:
                transcript = job.step(self._recogniser)
            except JobCancelled:
                self._next_job()
                self.job_cancelled.emit(job.job_id)
            except DictateError as exc:
                self._next_job()
                self.job_failed.emit(job.job_id, str(exc))
            except Exception as exc:
                log.exception("file job %s failed", job.path)
                self._next_job()
                self.job_failed.emit(job.job_id, f"Cannot transcribe '{job.path}': {exc}")
            else:
                if transcript is None:
                    self.job_progress.emit(job.job_id, job.fraction)
                else:
                    self._next_job()
                    self.job_done.emit(job.job_id, transcript)
            if deadline is None or time.perf_counter() >= deadline:
                return

    def _next_job(self) -> None:
        self._jobs.popleft()
        self._current_job_started = False

    # -- the pull loop ----------------------------------------------------------------------

    @Slot()
    def _tick(self) -> None:
        if self._capture is not None:
            try:
                self._pump_live()
            except AudioDeviceError as exc:
                self._end_recording(str(exc))
            except Exception as exc:
                log.exception("live dictation failed")
                self._end_recording(f"Dictation stopped after an error: {exc}")
        if self._jobs:
            self._step_jobs(JOB_SLICE_BUDGET_S if self._capture is not None else None)
        self._schedule()

    def _schedule(self) -> None:
        """Tick at display rate while recording, back to back for jobs, not at all idle."""
        timer = self._timer
        if self._capture is not None:
            interval = self.tick_ms
        elif self._jobs and self._recogniser is not None:
            interval = 0
        else:
            timer.stop()
            return
        if timer.interval() != interval or not timer.isActive():
            timer.start(interval)


class PythonThread(QThread):
    """A QThread whose event loop runs inside one Python call, so the thread keeps ONE
    Python thread state for its whole life.

    With a plain QThread, PySide creates and deletes a Python thread state around every slot
    call; pybind11 (OpenVINO's bindings) caches the thread state it saw in thread-local
    storage and later writes to the deleted one. valgrind showed exactly that (invalid writes
    in ``_PyErr_Restore`` under ``_pyopenvino`` property getters), and it corrupted the heap:
    live dictation with the demo model aborted with "corrupted double-linked list".
    """

    def run(self) -> None:
        self.exec()


class EngineClient(QObject):
    """The UI thread's handle on the worker: request signals (queued) and the thread."""

    request_load = Signal(object)
    request_start = Signal(object)
    request_stop = Signal()
    request_job = Signal(object)
    request_cancel = Signal(int)
    request_auto_finalise = Signal(bool, int)
    request_shutdown = Signal()

    def __init__(
        self,
        engine: Engine,
        capture_factory: Optional[CaptureFactory] = None,
        parent: Optional[QObject] = None,
    ) -> None:
        super().__init__(parent)
        self.worker_thread = PythonThread()
        self.worker_thread.setObjectName("engine")
        self.worker = EngineWorker(engine, capture_factory)
        self.worker.moveToThread(self.worker_thread)
        self.request_load.connect(self.worker.load_model)
        self.request_start.connect(self.worker.start_recording)
        self.request_stop.connect(self.worker.stop_recording)
        self.request_job.connect(self.worker.add_job)
        self.request_cancel.connect(self.worker.cancel_job)
        self.request_auto_finalise.connect(self.worker.set_auto_finalise)
        self.request_shutdown.connect(self.worker.shutdown)
        # direct: stop() waits on the UI thread, so a queued quit would never run
        self.worker.shut_down.connect(self.worker_thread.quit, Qt.ConnectionType.DirectConnection)
        self._stopped = False

    def start(self) -> None:
        self.worker_thread.start()

    def stop(self, timeout_ms: int = 30000) -> bool:
        """Shut the worker down and wait for its thread (at exit only)."""
        if self._stopped:
            return True
        self._stopped = True
        if not self.worker_thread.isRunning():
            return True
        self.request_shutdown.emit()
        return self.worker_thread.wait(timeout_ms)

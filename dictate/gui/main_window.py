"""The dictation window: record toggle, level, elapsed time, editor, file jobs, models.

The window only turns user actions into requests to the engine worker
(:class:`~dictate.gui.engine_worker.EngineClient`) and worker signals into display; all audio,
inference, model loading and file reading happen elsewhere (engine thread, background
tasks). Collaborators are passed in (engine, capture factory, device lister, dialogs, model
store adapter, draft store) so tests run the real window with fakes where they need them.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from PySide6.QtCore import QElapsedTimer, QEvent, QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from dictate.audio.capture import refresh_input_devices
from dictate.audio.devices import InputDevice
from dictate.engine.transcript import Transcript
from dictate.gui.autosave import Autosaver, DraftStore
from dictate.gui.background import run_in_background, wait_for_tasks
from dictate.gui.device_picker import DevicePicker
from dictate.gui.dialogs import Dialogs
from dictate.gui.editor import DictationEditor
from dictate.gui.engine import Engine
from dictate.gui.engine_worker import CaptureFactory, EngineClient, RecordRequest
from dictate.gui.file_jobs import FileJob, JobsPanel
from dictate.gui.level_meter import LevelMeter
from dictate.gui.model_manager import ModelManagerDialog
from dictate.gui.settings import AppSettings
from dictate.gui.settings_dialog import SettingsDialog
from dictate.gui.store_adapter import StoreAdapter
from dictate.transcript_export import to_srt, to_vtt

log = logging.getLogger(__name__)

TEXT_FILTER = "Text files (*.txt);;All files (*)"
SRT_FILTER = "SubRip subtitles (*.srt)"
VTT_FILTER = "WebVTT subtitles (*.vtt)"
FINISH_TIMEOUT_MS = 10000  # closing waits this long for the last words of a recording


class MessageBar(QFrame):
    """An inline, dismissable message above the editor (errors never need a modal)."""

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("message-bar")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action = QPushButton()
        self.action.hide()
        self.action.clicked.connect(self._run_action)
        self._action: Optional[Callable[[], object]] = None
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action)
        layout.addWidget(close)
        self.hide()

    def show_message(
        self, text: str, error: bool = True, action: Optional[Tuple[str, Callable[[], object]]] = None
    ) -> None:
        background, colour = ("#fdecea", "#611a15") if error else ("#e8f4fd", "#0d3c61")
        self.setStyleSheet(f"#{self.objectName()} {{ background: {background}; border-radius: 4px; }}")
        self.label.setStyleSheet(f"color: {colour};")
        self.label.setText(text)
        self._action = action[1] if action is not None else None
        if action is not None:
            self.action.setText(action[0])
            self.action.show()
        else:
            self.action.hide()
        self.show()

    def _run_action(self) -> None:
        if self._action is not None:
            self._action()

    @property
    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""


class MainWindow(QMainWindow):
    """The dictation window."""

    # UI-thread notifications (the worker's own signals are delivered here queued)
    text_saved = Signal(str)
    recording_changed = Signal(bool)  # True once the microphone runs, False once stopped
    model_changed = Signal(bool)  # a model is (True) or is not (False) loaded
    job_finished = Signal(int, str)  # job id, "done" / "failed" / "cancelled"

    def __init__(
        self,
        settings: AppSettings,
        engine: Engine,
        *,
        dialogs: Optional[Dialogs] = None,
        capture_factory: Optional[CaptureFactory] = None,
        device_lister: Optional[Callable[[], List[InputDevice]]] = None,
        store: Optional[StoreAdapter] = None,
        drafts: Optional[DraftStore] = None,
        watch_devices: bool = True,
        parent: Optional[QWidget] = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("main-window")
        self.setWindowTitle("dictate")
        self.settings = settings
        self.dialogs = dialogs or Dialogs()
        self.store = store or StoreAdapter()
        self.drafts = drafts or DraftStore()
        lister = device_lister
        self.client = EngineClient(engine, capture_factory, self)
        self.recording = False
        self.stopping = False
        self.model_loaded = False
        self.loaded_model_name: Optional[str] = None
        self.jobs: Dict[int, FileJob] = {}
        self.file_transcripts: List[Tuple[str, Transcript]] = []
        self.saved_path: Optional[str] = None
        self.model_manager: Optional[ModelManagerDialog] = None
        self._next_job = 1
        self._elapsed = QElapsedTimer()
        self._hold_active = False
        self._hold_pending = False  # pressed during "Finishing…": record again once stopped
        self._closing = False
        self._started = False
        self._closed = False
        # (event loop, deadline) of each wait for a recording's stop; nested when the user closes
        # again while the first close waits. One timer, connected here, serves all deadlines.
        self._finish_waits: List[Tuple[QEventLoop, float]] = []
        self._finish_timer = QTimer(self)
        self._finish_timer.setSingleShot(True)
        self._finish_timer.timeout.connect(self._finish_timed_out)

        self._build_actions()
        self._build_ui(lambda: refresh_input_devices(lister), watch_devices)
        self._connect_worker()
        self.autosaver = Autosaver(self.drafts, parent=self)
        self.autosaver.watch(self.editor.toPlainText, self.editor.textChanged)
        self.autosaver.failed.connect(self.show_error)
        self._clock = QTimer(self)
        self._clock.setInterval(200)
        self._clock.timeout.connect(self._update_elapsed)
        self.setAcceptDrops(True)
        geometry = settings.geometry
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(860, 560)

    # -- construction -----------------------------------------------------------------------

    def _build_actions(self) -> None:
        s = self.settings
        keys = QKeySequence.StandardKey
        self.record_action = QAction("Record", self)
        self.record_action.setCheckable(True)
        self.record_action.setShortcut(QKeySequence(s.record_shortcut))
        self.record_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.record_action.triggered.connect(self._record_triggered)
        self.open_action = QAction("&Open audio files…", self, shortcut=QKeySequence(keys.Open))
        self.open_action.triggered.connect(self.open_files)
        self.save_action = QAction("&Save text…", self, shortcut=QKeySequence(keys.Save))
        self.save_action.triggered.connect(self.save_text)
        self.srt_action = QAction("Export subtitles (&SRT)…", self)
        self.srt_action.triggered.connect(lambda: self.export_subtitles("srt"))
        self.vtt_action = QAction("Export subtitles (&VTT)…", self)
        self.vtt_action.triggered.connect(lambda: self.export_subtitles("vtt"))
        self.copy_all_action = QAction("Copy &all", self, shortcut=QKeySequence("Ctrl+Shift+C"))
        self.copy_all_action.triggered.connect(self.copy_all)
        self.quit_action = QAction("&Quit", self, shortcut=QKeySequence(keys.Quit))
        self.quit_action.triggered.connect(self.close)
        self.models_action = QAction("&Models…", self)
        self.models_action.triggered.connect(self.open_model_manager)
        self.prefs_action = QAction("&Preferences…", self)
        self.prefs_action.triggered.connect(self.open_preferences)
        self.auto_action = QAction("Finish sentence on &pause", self, checkable=True)
        self.auto_action.setChecked(s.auto_finalise)
        self.auto_action.toggled.connect(self._auto_finalise_toggled)
        for a in (self.srt_action, self.vtt_action):
            a.setEnabled(False)

        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for a in (self.open_action, self.save_action, self.srt_action, self.vtt_action):
            file_menu.addAction(a)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addAction(self.copy_all_action)
        dictation = bar.addMenu("&Dictation")
        dictation.addAction(self.record_action)
        dictation.addAction(self.auto_action)
        tools = bar.addMenu("&Tools")
        tools.addAction(self.models_action)
        tools.addAction(self.prefs_action)

    def _build_ui(self, lister: Callable[[], List[InputDevice]], watch_devices: bool) -> None:
        self.record_button = QToolButton()
        self.record_button.setObjectName("record-button")
        self.record_button.setDefaultAction(self.record_action)
        self.record_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.record_button.setMinimumWidth(96)
        self.elapsed_label = QLabel("0:00")
        self.elapsed_label.setObjectName("elapsed")
        self.elapsed_label.setMinimumWidth(40)
        self.meter = LevelMeter()
        self.devices = DevicePicker(lister, self.settings.device, watch=watch_devices)
        self.devices.choice_changed.connect(self._device_chosen)
        self.devices.devices_listed.connect(self._devices_listed)
        self.devices.listing_failed.connect(self.show_error)
        self.model_combo = QComboBox()
        self.model_combo.setObjectName("model-combo")
        self.model_combo.setToolTip("Speech model")
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.model_combo.activated.connect(self._model_chosen)
        models_button = QToolButton()
        models_button.setText("Models…")
        models_button.clicked.connect(self.open_model_manager)

        top = QHBoxLayout()
        top.addWidget(self.record_button)
        top.addWidget(self.elapsed_label)
        top.addWidget(self.meter, 1)
        top.addWidget(QLabel("Mic:"))
        top.addWidget(self.devices, 2)
        top.addWidget(QLabel("Model:"))
        top.addWidget(self.model_combo)
        top.addWidget(models_button)

        self.banner = MessageBar()
        self.banner.setObjectName("no-model-banner")
        self.messages = MessageBar()
        self.editor = DictationEditor()
        self.editor.installEventFilter(self)
        self.editor.files_dropped.connect(self.add_files)
        self.jobs_panel = JobsPanel()
        self.jobs_panel.cancel_requested.connect(self.cancel_job)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.messages)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.jobs_panel)
        self.setCentralWidget(central)
        self.status = QLabel()
        self.status.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.statusBar().addWidget(self.status, 1)
        self._update_record_ui()

    def _connect_worker(self) -> None:
        w = self.client.worker
        w.model_loading.connect(self._model_loading)
        w.model_ready.connect(self._model_ready)
        w.model_failed.connect(self._model_failed)
        w.recording_started.connect(self._recording_started)
        w.recording_stopped.connect(self._recording_stopped)
        w.partial.connect(self.editor.set_partial)
        w.final.connect(self.editor.commit_final)
        w.level.connect(self.meter.set_level)
        w.error.connect(self.show_error)
        w.job_started.connect(self._job_started)
        w.job_progress.connect(self.jobs_panel.progress)
        w.job_done.connect(self._job_done)
        w.job_failed.connect(self._job_failed)
        w.job_cancelled.connect(self._job_cancelled)

    def start(self) -> None:
        """Start the engine thread, load the model, list devices, offer to restore a draft."""
        if self._started:
            return
        self._started = True
        # The device-listing task connects its signals on this thread: do that before the
        # engine thread runs. The load request waits in the engine thread's queue until then.
        self.refresh_models()
        self.devices.refresh()
        self.load_model()
        self.client.start()
        self._offer_restore()

    # -- status -----------------------------------------------------------------------------

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def show_error(self, text: str) -> None:
        log.warning("%s", text)
        self.messages.show_message(text, error=True)

    def show_info(self, text: str) -> None:
        self.messages.show_message(text, error=False)

    # -- models -----------------------------------------------------------------------------

    def refresh_models(self) -> None:
        """Fill the model picker from the store."""
        try:
            names = self.store.names()
            default = self.store.default_name()
        except Exception as exc:  # noqa: BLE001 - a broken store is reported, not fatal
            names, default = [], None
            self.show_error(f"Cannot read the installed models: {exc}")
        chosen = self.settings.model
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        self.model_combo.addItem(f"Default ({default})" if default else "Default", None)
        for n in names:
            self.model_combo.addItem(n, n)
        if chosen is not None:
            index = self.model_combo.findData(chosen)
            if index < 0:
                self.model_combo.addItem(chosen, chosen)
                index = self.model_combo.count() - 1
            self.model_combo.setCurrentIndex(index)
        self.model_combo.blockSignals(False)

    def load_model(self) -> None:
        """(Re)load the model the settings name; recording stops first."""
        self.model_loaded = False
        self._update_record_ui()
        self.client.request_load.emit(self.settings.engine_options())

    def _model_chosen(self, index: int) -> None:
        name = self.model_combo.itemData(index)
        if name != self.settings.model:
            self.settings.model = name
            self.load_model()

    def _model_loading(self, label: str) -> None:
        self.set_status(f"Loading {label}…")

    def _model_ready(self, name: str, description: str) -> None:
        self.model_loaded = True
        self.loaded_model_name = name
        self.banner.hide()
        self.set_status(f"Model '{name}' ready ({description}).")
        self._update_record_ui()
        self.model_changed.emit(True)

    def _model_failed(self, message: str, no_model: bool) -> None:
        self.model_loaded = False
        self.loaded_model_name = None
        self._update_record_ui()
        self.set_status("No model loaded.")
        action = ("Open model manager…", self.open_model_manager)
        self.banner.show_message(message, error=not no_model, action=action)
        self.model_changed.emit(False)

    def open_model_manager(self) -> ModelManagerDialog:
        if self.model_manager is None:
            self.model_manager = ModelManagerDialog(self.store, self.dialogs, self)
            self.model_manager.models_changed.connect(self._models_changed)
        else:
            self.model_manager.reload()
        self.model_manager.open()
        return self.model_manager

    def _models_changed(self) -> None:
        self.refresh_models()
        wanted = self.settings.model or self.store.default_name()
        if not self.model_loaded or wanted != self.loaded_model_name:
            self.load_model()

    def open_preferences(self) -> SettingsDialog:
        dialog = SettingsDialog(self.settings, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # a new one each time
        dialog.accepted.connect(lambda: self.apply_preferences(dialog))
        dialog.open()
        return dialog

    def apply_preferences(self, dialog: SettingsDialog) -> None:
        reload = dialog.engine_changed()
        dialog.apply()
        self.record_action.setShortcut(QKeySequence(self.settings.record_shortcut))
        self.auto_action.setChecked(self.settings.auto_finalise)
        self.client.request_auto_finalise.emit(self.settings.auto_finalise, self.settings.silence_ms)
        if reload:
            self.load_model()

    # -- devices ----------------------------------------------------------------------------

    def _device_chosen(self, choice: object) -> None:
        self.settings.device = choice  # type: ignore[assignment]
        self.settings.sync()

    def _devices_listed(self, count: int) -> None:
        if count == 0 and not self.recording:
            self.set_status("No microphone found; you can still transcribe audio files.")

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if (event.type() == QEvent.Type.ActivationChange and self.isActiveWindow() and not self.recording
                and not getattr(self, "_closed", True)):
            self.devices.refresh_if_stale()
        super().changeEvent(event)

    # -- recording --------------------------------------------------------------------------

    def _record_triggered(self, checked: bool) -> None:
        if checked:
            self.start_recording()
        else:
            self.stop_recording()

    def toggle_recording(self) -> None:
        if self.recording:
            self.stop_recording()
        else:
            self.start_recording()

    def start_recording(self) -> None:
        if self.recording:
            return
        if not self.model_loaded:
            self._update_record_ui()
            self.show_error("No speech model is loaded: install or choose one in Tools → Models.")
            return
        self.recording = True
        self.stopping = False
        self.messages.hide()
        self.set_status("Starting the microphone…")
        self._update_record_ui()
        self.client.request_start.emit(
            RecordRequest(self.devices.choice, self.settings.auto_finalise, self.settings.silence_ms)
        )

    def stop_recording(self) -> None:
        if not self.recording or self.stopping:
            self._update_record_ui()
            return
        self.stopping = True
        self.set_status("Finishing…")
        self._update_record_ui()
        self.client.request_stop.emit()

    def _recording_started(self, label: str, rate: int) -> None:
        self._elapsed.start()
        self._clock.start()
        self._update_elapsed()
        self.set_status(f"Recording from {label} at {rate} Hz.")
        self.recording_changed.emit(True)

    def _recording_stopped(self) -> None:
        self.recording = False
        self.stopping = False
        self._clock.stop()
        self.meter.reset()
        if not self.messages.text:
            self.set_status("Stopped." if self.model_loaded else "No model loaded.")
        else:
            self.set_status("Recording stopped.")
        self._update_record_ui()
        self.recording_changed.emit(False)
        self._end_finish_waits()
        if self._hold_pending and not self._closing and not self._closed:
            self._hold_pending = False
            self._hold_active = True
            self.start_recording()

    def _update_elapsed(self) -> None:
        seconds = int(self._elapsed.elapsed() / 1000) if self._elapsed.isValid() else 0
        self.elapsed_label.setText(f"{seconds // 60}:{seconds % 60:02d}")

    def _update_record_ui(self) -> None:
        a = self.record_action
        a.blockSignals(True)
        a.setChecked(self.recording)
        a.blockSignals(False)
        a.setEnabled(self.model_loaded and not self.stopping or self.recording and not self.stopping)
        a.setText("■ Stop" if self.recording else "● Record")
        a.setToolTip(f"{'Stop' if self.recording else 'Start'} dictating ({a.shortcut().toString()})")
        self.record_button.setStyleSheet(
            "QToolButton { color: white; background: #c62828; border-radius: 4px; padding: 4px 10px; }"
            if self.recording else "QToolButton { padding: 4px 10px; }"
        )
        self.devices.set_recording(self.recording)
        self.model_combo.setEnabled(not self.recording)

    def _auto_finalise_toggled(self, enabled: bool) -> None:
        self.settings.auto_finalise = enabled
        self.client.request_auto_finalise.emit(enabled, self.settings.silence_ms)

    # -- hold to talk -----------------------------------------------------------------------

    def _hold_matches(self, event: QKeyEvent) -> bool:
        sequence = QKeySequence(self.settings.hold_key)
        if sequence.isEmpty():
            return False
        combo = sequence[0]  # type: ignore[index]  # PySide6's stubs lack QKeySequence.__getitem__
        if event.key() != combo.key():
            return False
        if event.type() == QEvent.Type.KeyRelease:
            return True
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        return mods == combo.keyboardModifiers()

    def _hold_key_event(self, event: QKeyEvent) -> bool:
        if not self._hold_matches(event):
            return False
        if event.isAutoRepeat():
            return True
        if event.type() == QEvent.Type.KeyPress:
            if not self.recording:
                self._hold_active = True
                self.start_recording()
            elif self.stopping and not self._closing:  # pressed again while the last utterance is finished
                self._hold_pending = True
        elif event.type() == QEvent.Type.KeyRelease:
            self._hold_pending = False
            if self._hold_active:
                self._hold_active = False
                self.stop_recording()
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) and self._hold_key_event(event):  # type: ignore[arg-type]
            return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if not self._hold_key_event(event):
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if not self._hold_key_event(event):
            super().keyReleaseEvent(event)

    # -- files ------------------------------------------------------------------------------

    def open_files(self) -> None:
        self.add_files(self.dialogs.open_audio_files(self))

    def add_files(self, paths: Sequence[str]) -> List[int]:
        """Queue a transcription job per file; returns the job ids."""
        ids = []
        for p in paths:
            job = FileJob(self._next_job, Path(p))
            self._next_job += 1
            self.jobs[job.job_id] = job
            self.jobs_panel.add(job)
            self.client.request_job.emit(job)
            ids.append(job.job_id)
        if ids and not self.model_loaded:
            self.set_status("Files will be transcribed once a model is loaded.")
        return ids

    def cancel_job(self, job_id: int) -> None:
        job = self.jobs.get(job_id)
        if job is not None:
            job.cancel()
            self.client.request_cancel.emit(job_id)

    def _job_started(self, job_id: int) -> None:
        job = self.jobs.get(job_id)
        if job is not None:
            self.set_status(f"Transcribing {job.name}…")
            self.jobs_panel.progress(job_id, 0.0)

    def _job_done(self, job_id: int, transcript: Transcript) -> None:
        job = self.jobs.pop(job_id, None)
        self.jobs_panel.remove(job_id)
        if job is None:
            return
        self.editor.append_section(job.name, transcript.text)
        self.file_transcripts.append((job.name, transcript))
        self.srt_action.setEnabled(True)
        self.vtt_action.setEnabled(True)
        self.set_status(f"Transcribed {job.name}.")
        self.job_finished.emit(job_id, "done")

    def _job_failed(self, job_id: int, message: str) -> None:
        self.jobs.pop(job_id, None)
        self.jobs_panel.failed(job_id, message)
        self.set_status(message)
        self.job_finished.emit(job_id, "failed")

    def _job_cancelled(self, job_id: int) -> None:
        job = self.jobs.pop(job_id, None)
        self.jobs_panel.remove(job_id)
        if job is not None:
            self.set_status(f"Cancelled {job.name}.")
        self.job_finished.emit(job_id, "cancelled")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_files(paths)
        else:
            super().dropEvent(event)

    # -- saving and exporting ---------------------------------------------------------------

    def save_text(self) -> None:
        path = self.dialogs.save_file(self, "Save text", self.saved_path or "dictation.txt", TEXT_FILTER)
        if not path:
            return
        self._write_file(path, self.editor.toPlainText(), mark_saved=True)

    def export_subtitles(self, kind: str) -> None:
        if not self.file_transcripts:
            self.show_error("Subtitles need word timings: transcribe an audio file first.")
            return
        names = [name for name, _ in self.file_transcripts]
        if len(names) == 1:
            index = 0
        else:
            unique = len(set(names)) == len(names)
            labels = names if unique else [f"{i + 1}. {n}" for i, n in enumerate(names)]
            label = self.dialogs.choose(self, "Export subtitles", "Transcript of:", labels)
            if label is None:
                return
            index = labels.index(label)
        name, transcript = self.file_transcripts[index]
        suggested = f"{Path(name).stem}.{kind}"
        path = self.dialogs.save_file(self, f"Export {kind.upper()}", suggested,
                                      SRT_FILTER if kind == "srt" else VTT_FILTER)
        if not path:
            return
        text = to_srt(transcript.words) if kind == "srt" else to_vtt(transcript.words)
        self._write_file(path, text, mark_saved=False)

    def _write_file(self, path: str, text: str, mark_saved: bool) -> None:
        revision = self.editor.document().revision()

        def write() -> str:
            Path(path).write_text(text, encoding="utf-8")
            return path

        def done(written: str) -> None:
            if mark_saved:
                self.saved_path = written
                if self.editor.document().revision() == revision:  # nothing came in meanwhile
                    self.editor.document().setModified(False)
            self.set_status(f"Saved {written}.")
            self.text_saved.emit(written)

        def failed(message: str) -> None:
            self.show_error(f"Cannot save '{path}': {message}")

        run_in_background(write, done, failed, f"saving {Path(path).name}")

    def copy_all(self) -> None:
        QGuiApplication.clipboard().setText(self.editor.toPlainText())
        self.set_status("All text copied to the clipboard.")

    # -- never lose text --------------------------------------------------------------------

    def _offer_restore(self) -> None:
        try:
            orphans = self.drafts.orphans()
            self.drafts.begin()
        except OSError as exc:
            self.show_error(f"Autosave is unavailable ({self.drafts.folder}): {exc.strerror or exc}")
            return
        for orphan in (o for o in orphans if o.text.strip()):  # newest first; each is offered
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(orphan.mtime))
            preview = orphan.text.strip()
            preview = preview[:300] + ("…" if len(preview) > 300 else "")
            if self.dialogs.ask_restore(self, preview, when):
                if self.editor.toPlainText().strip():
                    self.editor.append_section("Restored text", orphan.text)
                else:
                    self.editor.set_text(orphan.text)
                self.editor.document().setModified(True)  # not saved to a file yet
                self.autosaver.flush()
                self.set_status("Restored the text from the last session.")
        self.drafts.discard(orphans)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self._closed:
            event.accept()
            return
        if self.jobs and not self.dialogs.confirm(
            self, "Quit dictate?",
            f"{len(self.jobs)} file(s) are still being transcribed. Quitting cancels them. Quit anyway?",
        ):
            event.ignore()
            return
        self._closing = True  # no hold-to-talk restart from here on
        self._finish_recording()  # its last words belong in the text that may be saved below
        if not self._save_before_closing():
            self._closing = False
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def _save_before_closing(self) -> bool:
        """Offer to save unsaved text; False when the user cancels or the save fails."""
        if not (self.editor.document().isModified() and self.editor.toPlainText().strip()):
            return True
        answer = self.dialogs.ask_save_changes(self)
        if answer != "save":
            return answer == "discard"
        path = self.dialogs.save_file(self, "Save text", self.saved_path or "dictation.txt", TEXT_FILTER)
        if not path:
            return False
        try:
            Path(path).write_text(self.editor.toPlainText(), encoding="utf-8")
        except OSError as exc:
            self.show_error(f"Cannot save '{path}': {exc.strerror or exc}")
            return False
        return True

    def _finish_recording(self, timeout_ms: int = FINISH_TIMEOUT_MS) -> None:
        """Stop a running recording and wait (events flowing) until its final text is in.

        ``_recording_stopped`` ends the wait: no signal is connected here, because connecting
        on this thread while the engine thread emits to this window is the suspected trigger of
        a PySide deadlock (the GIL against Qt's connection lock) seen once in the test suite.
        """
        self._hold_pending = False
        if not self.recording:
            return
        loop = QEventLoop()
        wait = (loop, time.monotonic() + timeout_ms / 1000)
        self._finish_waits.append(wait)
        self._arm_finish_timer()
        try:
            self.stop_recording()
            if self.recording:
                loop.exec()
        finally:
            self._finish_waits.remove(wait)
            self._arm_finish_timer()

    def _arm_finish_timer(self) -> None:
        """Time the first deadline still ahead (one already passed has quit its loop)."""
        now = time.monotonic()
        ahead = [deadline for _, deadline in self._finish_waits if deadline > now]
        if ahead:
            self._finish_timer.start(int((min(ahead) - now) * 1000) + 1)
        else:
            self._finish_timer.stop()

    def _finish_timed_out(self) -> None:
        now = time.monotonic()
        for loop, deadline in self._finish_waits:
            if deadline <= now:
                loop.quit()
        self._arm_finish_timer()

    def _end_finish_waits(self) -> None:
        for loop, _ in self._finish_waits:
            loop.quit()

    def shutdown(self) -> None:
        """Stop recording (keeping its text), stop the engine, clear the autosave marker."""
        if self._closed:
            return
        self._closed = True
        self.devices.close_down()
        for job in self.jobs.values():
            job.cancel()
        if self.recording:
            self.client.request_stop.emit()
        if not self.client.stop():  # e.g. still loading a large model after 30 s
            log.warning("the engine thread did not stop in time; exiting anyway")
        if not wait_for_tasks():  # device listing, saving: let them end before Qt objects go
            log.warning("a background task (listing, saving, importing) did not end in time")
        QGuiApplication.processEvents()  # deliver the last final text and the tasks' results
        self.settings.geometry = self.saveGeometry()
        self.settings.sync()
        if self._started:
            self.autosaver.close()

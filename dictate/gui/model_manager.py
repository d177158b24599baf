"""The model manager dialog: installed models, import, download, default, scorer, remove.

Everything that touches more than a directory listing (converting, downloading, copying a
scorer, deleting) runs as a :class:`~dictate.gui.background.Task` with a progress bar and a
Cancel button; the dialog stays responsive and can be closed only when no task runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dictate.gui.background import Task, start_task
from dictate.gui.dialogs import MODEL_FILTER, SCORER_FILTER, Dialogs
from dictate.gui.store_adapter import StoreAdapter


class ModelManagerDialog(QDialog):
    """Lists the model store and changes it through :class:`StoreAdapter`."""

    models_changed = Signal()

    def __init__(self, adapter: StoreAdapter, dialogs: Dialogs, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("model-manager")
        self.setWindowTitle("Speech models")
        self.resize(560, 380)
        self.adapter = adapter
        self.dialogs = dialogs
        self.task: Optional[Task] = None
        self.last_error = ""
        self._success_text = ""

        self.list = QListWidget()
        self.list.setObjectName("model-list")
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.empty_hint = QLabel(
            "No model is installed. Import a DeepSpeech model file you have (.pbmm, .pb, .tflite "
            "or an OpenVINO .xml), or download an official one."
        )
        self.empty_hint.setWordWrap(True)

        self.import_button = QPushButton("Import file…")
        self.download_button = QPushButton("Download…")
        self.default_button = QPushButton("Use by default")
        self.scorer_button = QPushButton("Attach scorer…")
        self.detach_button = QPushButton("Detach scorer")
        self.remove_button = QPushButton("Remove")
        self.import_button.clicked.connect(self.import_model)
        self.download_button.clicked.connect(self.download_model)
        self.default_button.clicked.connect(self.make_default)
        self.scorer_button.clicked.connect(self.attach_scorer)
        self.detach_button.clicked.connect(self.detach_scorer)
        self.remove_button.clicked.connect(self.remove_model)
        actions = QVBoxLayout()
        for b in (self.import_button, self.download_button, self.default_button,
                  self.scorer_button, self.detach_button, self.remove_button):
            actions.addWidget(b)
        actions.addStretch(1)

        self.stage = QLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_task)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.stage, 1)
        progress_row.addWidget(self.progress, 2)
        progress_row.addWidget(self.cancel_button)
        self.progress_box = QWidget()
        self.progress_box.setLayout(progress_row)
        self.progress_box.hide()
        self.message = QLabel()
        self.message.setObjectName("model-manager-message")
        self.message.setWordWrap(True)
        self.message.hide()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)

        top = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        left.addWidget(self.empty_hint)
        top.addLayout(left, 1)
        top.addLayout(actions)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addWidget(self.progress_box)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.reload()

    # -- listing ----------------------------------------------------------------------------

    def reload(self) -> None:
        current = self.selected_name()
        self.list.clear()
        try:
            models = self.adapter.models()
        except Exception as exc:  # a broken store must not stop the dialog opening
            models = []
            self._show_message(f"Cannot read the installed models: {exc}", error=True)
        for info in models:
            text = info.name + ("  (default)" if info.is_default else "")
            text += f"  — scorer: {info.scorer}" if info.scorer else "  — no scorer"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, info.name)
            item.setToolTip(info.detail)
            self.list.addItem(item)
            if info.name == current or (current is None and info.is_default):
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self.empty_hint.setVisible(not models)
        self._update_buttons()

    def selected_name(self) -> Optional[str]:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _update_buttons(self) -> None:
        idle = self.task is None
        selected = self.selected_name() is not None
        self.import_button.setEnabled(idle and self.adapter.can("import"))
        self.download_button.setEnabled(idle and self.adapter.can("download"))
        self.default_button.setEnabled(idle and selected and self.adapter.can("set_default"))
        self.scorer_button.setEnabled(idle and selected and self.adapter.can("set_scorer"))
        self.detach_button.setEnabled(idle and selected and self.adapter.can("set_scorer"))
        self.remove_button.setEnabled(idle and selected and self.adapter.can("remove"))
        self.buttons.setEnabled(idle)

    def _show_message(self, text: str, error: bool = False) -> None:
        if error:
            self.last_error = text
        self.message.setStyleSheet("color: #b00020;" if error else "")
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # -- actions ----------------------------------------------------------------------------

    def import_model(self) -> None:
        path = self.dialogs.open_file(self, "Import a DeepSpeech model", MODEL_FILTER)
        if not path:
            return
        name = self.dialogs.ask_text(self, "Import a model", "Name for the model:", _suggest_name(path))
        if name is None:
            return
        self._run(lambda p, c: self.adapter.import_file(path, name, p, c), f"importing {Path(path).name}",
                  f"Installed '{name}'.")

    def download_model(self) -> None:
        items = self.adapter.catalog()
        if not items:
            self._show_message("No downloadable models are known to this version.", error=True)
            return
        labels = [f"{i.name} — {i.description}" for i in items]
        choice = self.dialogs.choose(self, "Download a model", "Model:", labels)
        if choice is None:
            return
        entry = items[labels.index(choice)].name
        self._run(lambda p, c: self.adapter.download(entry, p, c), f"downloading {entry}",
                  f"Installed '{entry}'.")

    def make_default(self) -> None:
        name = self.selected_name()
        if name is not None:
            self._run(lambda p, c: self.adapter.set_default(name), "setting the default model",
                      f"'{name}' is now the default model.")

    def attach_scorer(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        path = self.dialogs.open_file(self, f"Attach a scorer to {name}", SCORER_FILTER)
        if path:
            self._run(lambda p, c: self.adapter.set_scorer(name, path, p, c), "attaching the scorer",
                      f"Scorer attached to '{name}'.")

    def detach_scorer(self) -> None:
        name = self.selected_name()
        if name is not None:
            self._run(lambda p, c: self.adapter.set_scorer(name, None, p, c), "detaching the scorer",
                      f"Scorer detached from '{name}'.")

    def remove_model(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        if not self.dialogs.confirm(self, "Remove model", f"Delete the model '{name}' from this computer?"):
            return
        self._run(lambda p, c: self.adapter.remove(name), f"removing {name}", f"Removed '{name}'.")

    # -- the running task -------------------------------------------------------------------

    def _run(self, work: Callable[[Any, Any], Any], description: str, success: str) -> None:
        task = Task(work, description)
        task.progress.connect(self._progress)
        task.succeeded.connect(self._succeeded)
        task.failed.connect(self._failed)
        task.cancelled.connect(self._cancelled)
        task.finished.connect(self._finished)
        self._success_text = success
        self.task = task
        self.stage.setText(description[:1].upper() + description[1:] + "…")
        self.progress.setValue(0)
        self.progress_box.show()
        self.cancel_button.setEnabled(True)
        self._show_message("")
        self._update_buttons()
        start_task(task)

    def cancel_task(self) -> None:
        if self.task is not None:
            self.cancel_button.setEnabled(False)
            self.stage.setText("Cancelling…")
            self.task.cancel()

    def _progress(self, stage: str, fraction: float) -> None:
        self.stage.setText(stage)
        self.progress.setValue(int(round(max(0.0, min(1.0, fraction)) * 1000)))

    def _succeeded(self, _result: object) -> None:
        self._show_message(self._success_text)
        self.models_changed.emit()

    def _failed(self, message: str) -> None:
        self._show_message(message, error=True)
        self.models_changed.emit()

    def _cancelled(self) -> None:
        self._show_message("Cancelled.")

    def _finished(self) -> None:
        self.task = None
        self.progress_box.hide()
        self.reload()

    def reject(self) -> None:
        if self.task is not None:  # do not close under a running conversion
            self.cancel_task()
            return
        super().reject()


def _suggest_name(path: str) -> str:
    stem = Path(path).stem
    for suffix in ("-models", ".models"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in stem).strip("-.") or "model"

"""Every modal question the window asks, behind one object tests replace with a fake."""

from __future__ import annotations

from typing import List, Optional, Sequence

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

AUDIO_FILTER = "Audio files (*.wav *.flac *.ogg *.oga *.mp3 *.aiff *.aif *.au);;All files (*)"
MODEL_FILTER = (
    "DeepSpeech models (*.pbmm *.pb *.tflite *.xml);;All files (*)"
)
SCORER_FILTER = "Scorer packages (*.scorer);;All files (*)"


class Dialogs:
    """Native dialogs. Methods return None (or an empty list) when the user cancels."""

    def open_audio_files(self, parent: QWidget) -> List[str]:
        paths, _ = QFileDialog.getOpenFileNames(parent, "Transcribe audio files", "", AUDIO_FILTER)
        return list(paths)

    def open_file(self, parent: QWidget, title: str, file_filter: str) -> Optional[str]:
        path, _ = QFileDialog.getOpenFileName(parent, title, "", file_filter)
        return path or None

    def save_file(self, parent: QWidget, title: str, suggested: str, file_filter: str) -> Optional[str]:
        path, _ = QFileDialog.getSaveFileName(parent, title, suggested, file_filter)
        return path or None

    def choose(self, parent: QWidget, title: str, label: str, items: Sequence[str]) -> Optional[str]:
        item, ok = QInputDialog.getItem(parent, title, label, list(items), 0, False)
        return item if ok else None

    def ask_text(self, parent: QWidget, title: str, label: str, default: str = "") -> Optional[str]:
        text, ok = QInputDialog.getText(parent, title, label, text=default)
        return text if ok and text else None

    def confirm(self, parent: QWidget, title: str, text: str) -> bool:
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        return QMessageBox.question(parent, title, text, yes | no, yes) == yes

    def ask_restore(self, parent: QWidget, preview: str, when: str) -> bool:
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Restore unsaved text?")
        box.setText(f"dictate did not close properly last time ({when}). Restore the text it had?")
        box.setInformativeText(preview)
        restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(restore)
        box.exec()
        return box.clickedButton() is restore

    def ask_save_changes(self, parent: QWidget) -> str:
        """"save", "discard" or "cancel" before closing with unsaved text."""
        button = QMessageBox.StandardButton
        answer = QMessageBox.question(
            parent, "Save text?", "The text has changes that were not saved to a file. Save them?",
            button.Save | button.Discard | button.Cancel, button.Save,
        )
        return {button.Save: "save", button.Discard: "discard"}.get(answer, "cancel")

    def warn(self, parent: Optional[QWidget], title: str, text: str) -> None:
        QMessageBox.warning(parent, title, text)

    def info(self, parent: Optional[QWidget], title: str, text: str) -> None:
        QMessageBox.information(parent, title, text)

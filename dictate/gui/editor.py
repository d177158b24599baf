"""The text editor dictation writes into.

Partial text (the recogniser's current guess for the utterance being spoken) is shown grey
at the cursor and replaced as the guess changes; the final text of the utterance replaces
it in the normal colour. The partial region is tracked as (start, end) positions adjusted
on every edit, so the user may keep typing elsewhere, and text appended at the end (a file
transcript) never ends up inside it.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from PySide6.QtCore import QMimeData, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import QPlainTextEdit, QWidget

PARTIAL_COLOUR = QColor("#8a8a8a")


def partial_format() -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(PARTIAL_COLOUR)
    return fmt


def heading_format() -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setFontWeight(QFont.Weight.Bold)
    return fmt


def local_files(mime: QMimeData) -> List[str]:
    """Local file paths of a drag (none for text drags)."""
    if not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]


class DictationEditor(QPlainTextEdit):
    """A plain-text editor with a grey "partial" region at the dictation point.

    Files dropped on it are not inserted as text: ``files_dropped`` carries their paths.
    """

    files_dropped = Signal(list)

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("editor")
        self.setPlaceholderText(
            "Press Record (Ctrl+R) and speak, or drop audio files here to transcribe them."
        )
        self._region: Optional[Tuple[int, int]] = None
        self._editing = False
        self.document().contentsChange.connect(self._contents_changed)

    # -- dropped files ----------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt override
        if local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = local_files(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.files_dropped.emit(paths)
        else:
            super().dropEvent(event)

    # -- partial / final --------------------------------------------------------------------

    @property
    def partial_range(self) -> Optional[Tuple[int, int]]:
        """(start, end) of the grey partial text, if any."""
        return self._region

    def partial_text(self) -> str:
        if self._region is None:
            return ""
        c = self._cursor_over(*self._region)
        return c.selectedText()

    def set_partial(self, text: str) -> None:
        """Show ``text`` as the current utterance's partial result (grey)."""
        if self._region is None:
            if not text:
                return
            self._open_region()
        self._replace_region(self._with_separator(text), partial_format(), keep_region=True)

    def commit_final(self, text: str) -> None:
        """Replace the partial text with the utterance's final ``text`` (normal colour)."""
        if self._region is None:
            if not text:
                return
            self._open_region()
        self._replace_region(self._with_separator(text) if text else "", QTextCharFormat(), keep_region=False)

    def _open_region(self) -> None:
        pos = self.textCursor().position()
        if self.textCursor().hasSelection():
            pos = self.textCursor().selectionEnd()
        self._region = (pos, pos)

    def _with_separator(self, text: str) -> str:
        """A space before the text unless it starts a line or follows whitespace."""
        if not text or self._region is None:
            return text
        start = self._region[0]
        if start == 0:
            return text
        before = self.document().characterAt(start - 1)
        if before.isspace() or before in ("\u2029", "\u2028"):
            return text
        return " " + text

    def _replace_region(self, text: str, fmt: QTextCharFormat, keep_region: bool) -> None:
        if self._region is None:
            return
        start, end = self._region
        visible = self.textCursor()
        follow = not visible.hasSelection() and visible.position() in (start, end)
        c = self._cursor_over(start, end)
        self._editing = True
        try:
            if start != end:
                c.joinPreviousEditBlock()
            else:
                c.beginEditBlock()
            c.insertText(text, fmt)
            c.endEditBlock()
        finally:
            self._editing = False
        new_end = c.position()
        self._region = (start, new_end) if keep_region else None
        if follow:
            visible = self.textCursor()
            visible.setPosition(new_end)
            self.setTextCursor(visible)
        self.setCurrentCharFormat(QTextCharFormat())  # typing is never grey

    def _cursor_over(self, start: int, end: int) -> QTextCursor:
        c = QTextCursor(self.document())
        limit = max(0, self.document().characterCount() - 1)
        c.setPosition(min(start, limit))
        c.setPosition(min(end, limit), QTextCursor.MoveMode.KeepAnchor)
        return c

    def _contents_changed(self, position: int, removed: int, added: int) -> None:
        if self._editing or self._region is None:
            return
        start, end = self._region
        if position >= end and not (position == start == end):
            return  # after the region (appending at its end does not extend it)
        if position + removed <= start:
            shift = added - removed
            self._region = (start + shift, end + shift)
            return
        self._region = None  # the user edited the partial text itself: it is theirs now

    # -- file transcripts -------------------------------------------------------------------

    def append_section(self, title: str, text: str) -> None:
        """Add ``text`` at the end of the document under a bold ``# title`` line."""
        c = QTextCursor(self.document())
        c.movePosition(QTextCursor.MoveOperation.End)
        self._editing = True
        try:
            c.beginEditBlock()
            existing = self.toPlainText()
            if existing and not existing.endswith("\n"):
                c.insertText("\n\n", QTextCharFormat())
            elif existing and not existing.endswith("\n\n"):
                c.insertText("\n", QTextCharFormat())
            c.insertText(f"# {title}", heading_format())
            c.insertText("\n" + (text or "(no speech recognised)") + "\n", QTextCharFormat())
            c.endEditBlock()
        finally:
            self._editing = False

    def set_text(self, text: str) -> None:
        """Replace everything (restoring a draft); forgets any partial region."""
        self._region = None
        self.setPlainText(text)
        c = self.textCursor()
        c.movePosition(QTextCursor.MoveOperation.End)
        self.setTextCursor(c)

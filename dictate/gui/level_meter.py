"""A horizontal input level meter with a falling peak, repainted at display rate.

``set_level`` only stores the latest value (it may be called often); a 30 fps timer, active
only while levels arrive, decays the bar and repaints (STYLE practice 6).
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

FRAME_MS = 33
DECAY_PER_FRAME = 0.06
PEAK_HOLD_FRAMES = 20


class LevelMeter(QWidget):
    """0..1 level (``silence.level_fraction``: -60 dBFS → 0, 0 dBFS → 1)."""

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("level-meter")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Microphone level")
        self._target = 0.0
        self.shown_level = 0.0
        self.peak = 0.0
        self._peak_age = 0
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._animate)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(160, 14)

    def set_level(self, level: float) -> None:
        self._target = min(1.0, max(0.0, float(level)))
        if not self._timer.isActive():
            self._timer.start()

    def reset(self) -> None:
        self._target = self.shown_level = self.peak = 0.0
        self._timer.stop()
        self.update()

    def _animate(self) -> None:
        if self._target >= self.shown_level:
            self.shown_level = self._target
        else:
            self.shown_level = max(self._target, self.shown_level - DECAY_PER_FRAME)
        if self.shown_level >= self.peak:
            self.peak, self._peak_age = self.shown_level, 0
        else:
            self._peak_age += 1
            if self._peak_age > PEAK_HOLD_FRAMES:
                self.peak = max(self.shown_level, self.peak - DECAY_PER_FRAME / 2)
        self._target *= 0.5  # without new levels the bar falls back to zero
        if self.shown_level <= 0.001 and self.peak <= 0.001:
            self._timer.stop()
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        p = QPainter(self)
        r = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        p.setPen(QColor("#9e9e9e"))
        p.setBrush(QColor("#f2f2f2"))
        p.drawRoundedRect(r, 3, 3)
        inner = r.adjusted(2, 2, -2, -2)
        width = inner.width() * self.shown_level
        colour = QColor("#2e7d32") if self.shown_level < 0.75 else (
            QColor("#f9a825") if self.shown_level < 0.92 else QColor("#c62828"))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawRect(QRectF(inner.left(), inner.top(), width, inner.height()))
        if self.peak > 0.01:
            x = inner.left() + inner.width() * self.peak
            p.setBrush(QColor("#424242"))
            p.drawRect(QRectF(x - 1, inner.top(), 2, inner.height()))
        p.end()

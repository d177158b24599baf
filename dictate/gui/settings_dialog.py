"""Preferences: decoding (beam, scorer and its weights), auto-finalise, shortcuts, threads."""

from __future__ import annotations

from typing import Optional

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QKeySequenceEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from dictate.gui.settings import AppSettings


class SettingsDialog(QDialog):
    """Edits :class:`AppSettings`; ``apply()`` writes them (on OK)."""

    def __init__(self, settings: AppSettings, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("settings-dialog")
        self.setWindowTitle("Preferences")
        self.settings = settings

        self.beam = QSpinBox()
        self.beam.setRange(0, 4096)
        self.beam.setSpecialValueText("model's own")
        self.beam.setValue(settings.beam_width)
        self.use_scorer = QCheckBox("Use the model's scorer (language model)")
        self.use_scorer.setChecked(settings.use_scorer)
        self.custom_weights = QCheckBox("Own weights instead of the scorer's")
        self.custom_weights.setChecked(settings.lm_alpha is not None or settings.lm_beta is not None)
        self.alpha = QDoubleSpinBox()
        self.alpha.setRange(0.0, 5.0)
        self.alpha.setSingleStep(0.05)
        self.alpha.setDecimals(4)
        self.alpha.setValue(settings.lm_alpha if settings.lm_alpha is not None else 0.9313)
        self.beta = QDoubleSpinBox()
        self.beta.setRange(-5.0, 10.0)
        self.beta.setSingleStep(0.05)
        self.beta.setDecimals(4)
        self.beta.setValue(settings.lm_beta if settings.lm_beta is not None else 1.1834)
        self.threads = QSpinBox()
        self.threads.setRange(0, 64)
        self.threads.setSpecialValueText("automatic (all cores but one)")
        self.threads.setValue(settings.threads)
        decoding = QGroupBox("Recognition")
        form = QFormLayout(decoding)
        form.addRow("Beam width:", self.beam)
        form.addRow(self.use_scorer)
        form.addRow(self.custom_weights)
        form.addRow("Language model weight (α):", self.alpha)
        form.addRow("Word insertion bonus (β):", self.beta)
        form.addRow("Inference threads:", self.threads)

        self.auto_finalise = QCheckBox("Finish the sentence when I pause")
        self.auto_finalise.setChecked(settings.auto_finalise)
        self.silence_ms = QSpinBox()
        self.silence_ms.setRange(200, 5000)
        self.silence_ms.setSingleStep(100)
        self.silence_ms.setSuffix(" ms")
        self.silence_ms.setValue(settings.silence_ms)
        dictation = QGroupBox("Dictation")
        form2 = QFormLayout(dictation)
        form2.addRow(self.auto_finalise)
        form2.addRow("Pause length:", self.silence_ms)

        self.record_key = QKeySequenceEdit(QKeySequence(settings.record_shortcut))
        self.hold_key = QKeySequenceEdit(QKeySequence(settings.hold_key))
        for edit in (self.record_key, self.hold_key):
            edit.setClearButtonEnabled(True)
            edit.setMaximumSequenceLength(1)
        shortcuts = QGroupBox("Shortcuts")
        form3 = QFormLayout(shortcuts)
        form3.addRow("Start/stop recording:", self.record_key)
        form3.addRow("Hold to talk (empty: off):", self.hold_key)

        ok_cancel = QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        buttons = QDialogButtonBox(ok_cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for w in (decoding, dictation, shortcuts, buttons):
            layout.addWidget(w)
        self.use_scorer.toggled.connect(self._enable)
        self.custom_weights.toggled.connect(self._enable)
        self.auto_finalise.toggled.connect(self._enable)
        self._enable()

    def _enable(self) -> None:
        scorer = self.use_scorer.isChecked()
        self.custom_weights.setEnabled(scorer)
        own = scorer and self.custom_weights.isChecked()
        self.alpha.setEnabled(own)
        self.beta.setEnabled(own)
        self.silence_ms.setEnabled(self.auto_finalise.isChecked())

    def engine_changed(self) -> bool:
        """Whether applying would change what the engine must load."""
        s = self.settings
        return (
            self.beam.value() != s.beam_width
            or self.use_scorer.isChecked() != s.use_scorer
            or self._alpha() != s.lm_alpha
            or self._beta() != s.lm_beta
            or self.threads.value() != s.threads
        )

    def _alpha(self) -> Optional[float]:
        return self.alpha.value() if self.custom_weights.isChecked() else None

    def _beta(self) -> Optional[float]:
        return self.beta.value() if self.custom_weights.isChecked() else None

    def apply(self) -> None:
        s = self.settings
        s.beam_width = self.beam.value()
        s.use_scorer = self.use_scorer.isChecked()
        s.lm_alpha = self._alpha()
        s.lm_beta = self._beta()
        s.threads = self.threads.value()
        s.auto_finalise = self.auto_finalise.isChecked()
        s.silence_ms = self.silence_ms.value()
        s.record_shortcut = self.record_key.keySequence().toString()
        s.hold_key = self.hold_key.keySequence().toString()
        s.sync()

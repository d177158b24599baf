"""The microphone picker: input devices by name and host API, refreshed in the background.

The list is (re)read on a worker thread (PortAudio re-scans hardware only when
re-initialised, ~50 ms with ALSA): at start, from the refresh button, when ``/dev/snd``
changes (Linux), when the window is activated, and every few seconds where no file watcher
applies. A remembered device that is not connected stays listed as "(not connected)" so the
choice is not lost; recording from it then says so clearly.
"""

from __future__ import annotations

import os
import time
from typing import Callable, List, Optional

from PySide6.QtCore import QFileSystemWatcher, Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QSizePolicy, QToolButton, QWidget

from dictate.audio.capture import DeviceChoice
from dictate.audio.devices import InputDevice
from dictate.gui.background import run_in_background

DeviceLister = Callable[[], List[InputDevice]]
POLL_MS = 5000
MIN_REFRESH_INTERVAL_S = 2.0


class DevicePicker(QWidget):
    """A combo box of input devices plus a refresh button."""

    choice_changed = Signal(object)  # Optional[DeviceChoice]
    devices_listed = Signal(int)  # number of input devices found
    listing_failed = Signal(str)

    def __init__(
        self,
        lister: DeviceLister,
        choice: Optional[DeviceChoice] = None,
        parent: Optional[QWidget] = None,
        watch: bool = True,
    ) -> None:
        super().__init__(parent)
        self.lister = lister
        self._choice = choice
        self.devices: List[InputDevice] = []
        self._busy = False
        self._again = False
        self._last_refresh = 0.0
        self.refreshes = 0
        self._closed = False
        self._recording = False
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.combo = QComboBox()
        self.combo.setObjectName("device-combo")
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.combo.setMinimumContentsLength(18)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setToolTip("Microphone")
        self.combo.addItem("Looking for microphones…", None)
        self.combo.activated.connect(self._activated)
        self.refresh_button = QToolButton()
        self.refresh_button.setText("⟳")
        self.refresh_button.setToolTip("Look for microphones again")
        self.refresh_button.clicked.connect(self.refresh)
        layout.addWidget(self.combo, 1)
        layout.addWidget(self.refresh_button)
        self._watcher: Optional[QFileSystemWatcher] = None
        self._poll: Optional[QTimer] = None
        if watch:
            if os.path.isdir("/dev/snd"):
                self._watcher = QFileSystemWatcher(["/dev/snd"], self)
                self._watcher.directoryChanged.connect(self._hardware_changed)
            else:  # pragma: no cover - Windows/macOS
                self._poll = QTimer(self)
                self._poll.setInterval(POLL_MS)
                self._poll.timeout.connect(self.refresh_if_stale)
                self._poll.start()

    @property
    def choice(self) -> Optional[DeviceChoice]:
        return self._choice

    def _hardware_changed(self, _path: str) -> None:
        QTimer.singleShot(500, self.refresh)  # let the driver settle

    def refresh_if_stale(self) -> None:
        if time.monotonic() - self._last_refresh >= MIN_REFRESH_INTERVAL_S:
            self.refresh()

    def refresh(self) -> None:
        """List devices again on a worker thread; the combo updates when done."""
        if self._closed:
            return
        if self._busy:
            self._again = True
            return
        self._busy = True
        self._last_refresh = time.monotonic()
        run_in_background(self.lister, self._listed, self._failed, "listing microphones")

    def _listed(self, devices: List[InputDevice]) -> None:
        self._busy = False
        self.refreshes += 1
        self.set_devices(devices)
        self.devices_listed.emit(len(devices))
        if self._again:
            self._again = False
            self.refresh()

    def _failed(self, message: str) -> None:
        self._busy = False
        self.set_devices([])
        self.listing_failed.emit(message)
        if self._again:  # a refresh asked for meanwhile (a device plugged in) still happens
            self._again = False
            self.refresh()

    def set_devices(self, devices: List[InputDevice]) -> None:
        """Fill the combo, keeping the remembered choice selected."""
        self.devices = list(devices)
        self.combo.blockSignals(True)
        try:
            self.combo.clear()
            if not devices:
                self.combo.addItem("No microphone found", None)
            else:
                default = next((d for d in devices if d.is_default), devices[0])
                self.combo.addItem(f"System default ({default.name})", None)
                for d in devices:
                    self.combo.addItem(d.label, DeviceChoice(d.name, d.host_api, d.index))
                    tip = f"{d.name}: {d.channels} channels, {d.default_rate:.0f} Hz ({d.host_api})"
                    self.combo.setItemData(self.combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
            self._select(self._choice)
        finally:
            self.combo.blockSignals(False)

    def _select(self, choice: Optional[DeviceChoice]) -> None:
        if choice is None or choice.is_default:
            self.combo.setCurrentIndex(0)
            return
        for i in range(self.combo.count()):
            data = self.combo.itemData(i)
            if isinstance(data, DeviceChoice) and data.name == choice.name and (
                choice.host_api is None or data.host_api == choice.host_api
            ):
                self.combo.setCurrentIndex(i)
                return
        label = f"{choice.name} ({choice.host_api})" if choice.host_api else str(choice.name)
        self.combo.addItem(f"{label} (not connected)", choice)
        self.combo.setCurrentIndex(self.combo.count() - 1)

    def select(self, choice: Optional[DeviceChoice]) -> None:
        """Choose a device programmatically (as if the user had)."""
        self._choice = choice
        self.combo.blockSignals(True)
        self._select(choice)
        self.combo.blockSignals(False)
        self.choice_changed.emit(choice)

    def _activated(self, index: int) -> None:
        data = self.combo.itemData(index)
        self._choice = data if isinstance(data, DeviceChoice) else None
        self.choice_changed.emit(self._choice)

    def close_down(self) -> None:
        """No more refreshes (the window is closing; a task started now would outlive it)."""
        self._closed = True
        if self._poll is not None:
            self._poll.stop()
        if self._watcher is not None:
            self._watcher.directoryChanged.disconnect(self._hardware_changed)

    def set_recording(self, recording: bool) -> None:
        """No switching devices mid-recording; look again once it ends.

        While a stream is open PortAudio cannot rescan the hardware, so a microphone plugged
        in or out during the recording shows up only now.
        """
        ended = self._recording and not recording
        self._recording = recording
        self.combo.setEnabled(not recording)
        self.refresh_button.setEnabled(not recording)
        if ended:
            self.refresh()

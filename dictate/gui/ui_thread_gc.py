"""Python's cyclic garbage collection, run on the UI thread only.

CPython collects in whichever thread crosses an allocation threshold; in dictate that is
mostly the engine thread (features, inference, decoding) or a background task. A collection
there destroys UI-thread QObjects caught in reference cycles from the wrong thread: undefined
behaviour in Qt (timers cannot be stopped from another thread, signals emitted mid-destruction)
and, with PySide, a way for the GIL and Qt's connection locks to deadlock. So while the window
runs, automatic collection is off and a UI-thread timer collects instead, generation by
generation as the collector's own thresholds ask (the approach calibre and pyqtgraph take).
Reference counting still frees everything outside cycles at once, on any thread.
"""

from __future__ import annotations

import gc
from typing import Optional

from PySide6.QtCore import QObject, QTimer

CHECK_INTERVAL_MS = 500


class UiThreadCollector(QObject):
    """While started, the cyclic collector runs only from this object's timer (its thread)."""

    def __init__(self, interval_ms: int = CHECK_INTERVAL_MS, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._was_enabled = False
        self.collections = 0  # how many collections this object ran (for tests and logs)

    def start(self) -> None:
        """Turn automatic collection off and start collecting from the timer."""
        if self._timer.isActive():
            return
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        """Collect once more here, then give collection back to Python as it was."""
        if not self._timer.isActive():
            return
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()

    def check(self) -> None:
        """Collect the oldest generation whose count passed gc's threshold, if any."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        generation = -1
        for g in range(3):
            if thresholds[g] and counts[g] > thresholds[g]:
                generation = g
        if generation >= 0:
            gc.collect(generation)
            self.collections += 1

"""Measure how late the UI thread's event loop runs (the "UI never waits" check).

:class:`EventLoopProbe` arms a precise 5 ms timer on the UI thread and records how much
later than asked each timeout arrives; any work (or GIL hold) that blocks the UI thread
shows up as delay. ``python -m dictate.gui.loop_probe`` runs the real window with the real
engine, dictates a speech clip through the capture callback path while transcribing two
files, and prints max/p95 delay.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Dict, List, Optional

import numpy as np
from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer

INTERVAL_MS = 5


class EventLoopProbe(QObject):
    """Records event-loop delay (ms) while running."""

    def __init__(self, interval_ms: int = INTERVAL_MS, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.delays_ms: List[float] = []
        self._clock = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last = 0

    def start(self) -> None:
        self.delays_ms.clear()
        self._clock.start()
        self._last = self._clock.nsecsElapsed()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed()
        self.delays_ms.append(max(0.0, (now - self._last) / 1e6 - self.interval_ms))
        self._last = now

    def stats(self) -> Dict[str, float]:
        """max, p99, p95, p50 and mean delay in ms, and the number of samples."""
        d = np.array(self.delays_ms or [0.0])
        return {
            "max_ms": float(d.max()),
            "p99_ms": float(np.percentile(d, 99)),
            "p95_ms": float(np.percentile(d, 95)),
            "p50_ms": float(np.percentile(d, 50)),
            "mean_ms": float(d.mean()),
            "samples": float(len(self.delays_ms)),
        }

    def report(self, label: str = "event-loop delay") -> str:
        s = self.stats()
        return (f"{label}: max {s['max_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms, p95 {s['p95_ms']:.1f} ms, "
                f"p50 {s['p50_ms']:.1f} ms over {int(s['samples'])} samples")


def main(argv: Optional[List[str]] = None) -> int:  # pragma: no cover - a benchmark
    """Run the window, dictate and transcribe, print the UI thread's event-loop delay."""
    import os
    import tempfile
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m dictate.gui.loop_probe")
    parser.add_argument("--n-hidden", type=int, default=2048, help="random model width (default 2048)")
    parser.add_argument("--weights", default="int8", choices=("f32", "int8"))
    parser.add_argument("--beam", type=int, default=500)
    parser.add_argument("--scorer", help="a .scorer to attach (default: none)")
    parser.add_argument("--clip", required=True, help="a 16 kHz speech wav to dictate")
    parser.add_argument("--files", nargs="*", default=[], help="audio files to transcribe meanwhile")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="dictate-probe-"))
    os.environ["DICTATE_DATA_DIR"] = str(work / "data")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from dictate.audio.capture import AudioCapture, ReplayInputStream
    from dictate.audio.devices import InputDevice
    from dictate.audio.files import load_audio
    from dictate.gui.engine import RealEngine
    from dictate.gui.main_window import MainWindow
    from dictate.gui.settings import AppSettings
    from dictate.models.build import build_acoustic_model
    from dictate.models.ir import save_ir
    from dictate.models.spec import ModelSpec
    from dictate.models.weights import random_weights

    folder = work / "data" / "models" / "probe"
    folder.mkdir(parents=True)
    xml = save_ir(build_acoustic_model(random_weights(args.n_hidden), 16, args.weights), folder)
    spec = ModelSpec(name="probe", ir_path=xml, n_hidden=args.n_hidden, beam_width=args.beam)
    if args.scorer:
        import shutil

        shutil.copy(args.scorer, folder / "model.scorer")
        spec.scorer_path = folder / "model.scorer"
    spec.write(folder)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    clip = load_audio(args.clip)
    device = InputDevice(0, "replay", "test", 1, 16000.0, True)
    replays: List[ReplayInputStream] = []

    def factory(**kw):  # noqa: ANN003
        stream = ReplayInputStream(clip, 16000, 1.0, **kw)
        replays.append(stream)
        return stream

    def capture(choice):  # noqa: ANN001
        return AudioCapture(choice, stream_factory=factory, check_settings=lambda **_: None,
                            lister=lambda: [device])

    settings = AppSettings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat))
    settings.threads = args.threads
    settings.auto_finalise = False
    window = MainWindow(settings, RealEngine(), capture_factory=capture, device_lister=lambda: [device])
    window.show()
    window.start()
    deadline = time.monotonic() + 600
    while not window.model_loaded and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    probe = EventLoopProbe()
    probe.start()
    window.add_files(args.files)
    window.start_recording()
    t0 = time.monotonic()
    while (not replays or not replays[-1].played.is_set()) and time.monotonic() - t0 < 120:
        app.processEvents()
        time.sleep(0.001)
    window.stop_recording()
    while (window.recording or window.jobs) and time.monotonic() - t0 < 300:
        app.processEvents()
        time.sleep(0.001)
    probe.stop()
    result = {"model": f"random n_hidden {args.n_hidden} {args.weights}, beam {args.beam}",
              "scorer": bool(args.scorer), "clip_s": len(clip) / 16000, "files": len(args.files),
              **probe.stats(), "text_chars": len(window.editor.toPlainText())}
    print(json.dumps(result, indent=2) if args.json else
          probe.report(f"{result['model']}, scorer {result['scorer']}: event-loop delay"))
    window.editor.document().setModified(False)
    window.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Microphone capture: a PortAudio (sounddevice) input stream feeding a bounded queue.

Threads (design card §1): PortAudio calls :meth:`AudioCapture.callback` on its own thread;
the callback only copies the block into a bounded queue and counts status flags. The engine
worker drains the queue (:meth:`AudioCapture.read`), converts to 16 kHz mono with a
:class:`StreamResampler` and feeds the speech stream. Opening, checking and closing the
stream happen on the worker too, never on the UI thread.

Failures are :class:`~dictate.errors.AudioDeviceError` with a message for the user: no
microphone, a device that refuses every format tried, and a device lost while recording
(the stream ends on its own, or stops delivering audio).
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np
from scipy.signal import resample_poly

from dictate.audio.devices import InputDevice, list_input_devices
from dictate.audio.resample import MODEL_SAMPLE_RATE, int16_to_float
from dictate.errors import AudioDeviceError

# PortAudio must not be re-initialised (device refresh) while a stream is being opened or is
# open: the lock serialises the two, the counter says whether a stream is open.
PORTAUDIO_LOCK = threading.RLock()
_open_streams = 0

DEFAULT_QUEUE_SECONDS = 30.0  # the worker may be busy (a file job) for a while
DEFAULT_BLOCK_MS = 20
STALL_SECONDS = 2.0  # no audio for this long while "running" means the device is gone

StreamFactory = Callable[..., Any]  # sounddevice.InputStream or a stand-in with its signature
SettingsCheck = Callable[..., None]  # sounddevice.check_input_settings or a stand-in
DeviceLister = Callable[[], List[InputDevice]]


@dataclass(frozen=True)
class DeviceChoice:
    """The device the user picked, remembered by name and host API (indexes change)."""

    name: Optional[str] = None  # None: the system default input
    host_api: Optional[str] = None
    index: Optional[int] = None  # a hint only; the name wins if they disagree

    @property
    def is_default(self) -> bool:
        return self.name is None and self.index is None


def pick_device(devices: Sequence[InputDevice], choice: Optional[DeviceChoice]) -> InputDevice:
    """The device matching ``choice``; the default input when ``choice`` is None/default.

    Raises AudioDeviceError when there is no input device at all or the chosen one is gone.
    """
    if not devices:
        raise AudioDeviceError(
            "No microphone found. Connect one (or enable it in the system's sound settings), "
            "then choose it in the Microphone list."
        )
    if choice is None or choice.is_default:
        for d in devices:
            if d.is_default:
                return d
        return devices[0]
    if choice.name is not None:
        same_name = [d for d in devices if d.name == choice.name]
        for d in same_name:
            if choice.host_api is None or d.host_api == choice.host_api:
                return d
        if same_name:
            return same_name[0]
    elif choice.index is not None:
        for d in devices:
            if d.index == choice.index:
                return d
    label = choice.name if choice.name is not None else f"#{choice.index}"
    raise AudioDeviceError(
        f"The microphone '{label}' is not connected. Choose another one in the Microphone list."
    )


def refresh_input_devices(lister: Optional[DeviceLister] = None) -> List[InputDevice]:
    """List input devices again, re-scanning the hardware when no stream is open.

    PortAudio only learns about added or removed devices when it is re-initialised, which
    would break an open stream; while one is open the current list is returned instead.
    Takes ~50 ms with ALSA: call it from a worker thread.
    """
    with PORTAUDIO_LOCK:
        if lister is None and _open_streams == 0:
            try:
                import sounddevice as sd

                sd._terminate()
                sd._initialize()
            except (OSError, ImportError) as exc:
                raise AudioDeviceError(
                    f"Cannot list audio devices: PortAudio is unavailable ({exc})"
                ) from exc
        return (lister or list_input_devices)()


class StreamResampler:
    """Chunk-by-chunk polyphase resampling to 16 kHz, equal to one-shot ``resample_poly``.

    Each call resamples the new samples with enough context on both sides that every output
    sample equals the one ``scipy.signal.resample_poly`` gives for the whole signal (the
    filter's support is ``10·max(up, down)/up`` input samples). The price is a delay of
    about that context (under 3 ms at common rates) until :meth:`flush`.
    """

    def __init__(self, rate: int, target_rate: int = MODEL_SAMPLE_RATE) -> None:
        ratio = Fraction(int(target_rate), int(rate))
        self.up, self.down = ratio.numerator, ratio.denominator
        self.rate, self.target_rate = int(rate), int(target_rate)
        support = 10 * max(self.up, self.down) / self.up + 2
        self._context = int(math.ceil(support / self.down)) * self.down
        self._buffer = np.zeros(self._context, dtype=np.float64)  # zeros before the signal
        self._pos = self._context  # next unconsumed input sample in _buffer
        self._n_in = 0
        self._n_out = 0

    @property
    def passthrough(self) -> bool:
        return self.up == self.down

    def process(self, samples: np.ndarray) -> np.ndarray:
        """Resample the next chunk; returns the output samples that are final so far."""
        x = np.asarray(samples, dtype=np.float32)
        if self.passthrough:
            return x
        self._n_in += len(x)
        self._buffer = np.concatenate([self._buffer, x.astype(np.float64)])
        return self._run(len(self._buffer) - self._pos - self._context)

    def flush(self) -> np.ndarray:
        """The remaining output (the signal is taken to end with zeros, like resample_poly)."""
        if self.passthrough:
            return np.zeros(0, dtype=np.float32)
        self._buffer = np.concatenate([self._buffer, np.zeros(self._context + self.down)])
        out = self._run(len(self._buffer) - self._pos - self._context)
        total = -(-self._n_in * self.up // self.down)  # ceil, as resample_poly
        keep = max(0, total - (self._n_out - len(out)))
        self._n_out = total
        return out[:keep]

    def _run(self, available: int) -> np.ndarray:
        n = (available // self.down) * self.down
        if n <= 0:
            return np.zeros(0, dtype=np.float32)
        c = self._context
        segment = self._buffer[self._pos - c : self._pos + n + c]
        y = resample_poly(segment, self.up, self.down)
        offset = c * self.up // self.down
        out = y[offset : offset + n * self.up // self.down].astype(np.float32)
        self._pos += n
        self._buffer = self._buffer[self._pos - c :]
        self._pos = c
        self._n_out += len(out)
        return out


def blocks_to_mono_float(blocks: Sequence[np.ndarray]) -> np.ndarray:
    """Captured int16 ``[frames, channels]`` blocks → one mono float32 array."""
    if not blocks:
        return np.zeros(0, dtype=np.float32)
    data = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
    if data.dtype == np.int16:
        data = int16_to_float(data)
    elif data.dtype.kind != "f":
        raise ValueError(f"captured audio must be int16 or float, not {data.dtype}")
    if data.ndim == 2:
        data = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1, dtype=np.float32)
    return np.ascontiguousarray(data, dtype=np.float32)


class AudioCapture:
    """One recording from one input device, delivering int16 blocks at the device's rate.

    ``stream_factory``/``check_settings``/``lister`` default to sounddevice's
    ``InputStream``, ``check_input_settings`` and :func:`list_input_devices`; tests replace
    them to replay audio through the same callback.
    """

    def __init__(
        self,
        choice: Optional[DeviceChoice] = None,
        *,
        stream_factory: Optional[StreamFactory] = None,
        check_settings: Optional[SettingsCheck] = None,
        lister: Optional[DeviceLister] = None,
        queue_seconds: float = DEFAULT_QUEUE_SECONDS,
        block_ms: int = DEFAULT_BLOCK_MS,
        stall_seconds: float = STALL_SECONDS,
    ) -> None:
        self.choice = choice
        self._factory = stream_factory
        self._check = check_settings
        self._lister = lister or list_input_devices
        self._queue_seconds = queue_seconds
        self._block_ms = block_ms
        self._stall_seconds = stall_seconds
        self._queue: queue.Queue[np.ndarray] = queue.Queue(maxsize=1)
        self._stream: Any = None
        self._stopping = False
        self._ended = False  # PortAudio ended the stream without being asked to
        self._last_audio = 0.0
        self._blocks_seen = 0
        self.device: Optional[InputDevice] = None
        self.samplerate = 0
        self.channels = 0
        self.blocks = 0
        self.dropped = 0  # blocks lost because the queue was full
        self.overflows = 0  # PortAudio input overflows (audio lost before the callback)
        self.status_flags = 0  # callbacks with any status flag set

    # -- the PortAudio thread --------------------------------------------------------------

    def callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        """PortAudio's callback: copy the block into the queue, count flags; nothing else."""
        if status:
            self.status_flags += 1
            if status.input_overflow:
                self.overflows += 1
        try:
            self._queue.put_nowait(indata.copy())
            self.blocks += 1
        except queue.Full:
            self.dropped += 1

    def _finished(self) -> None:
        if not self._stopping:
            self._ended = True

    # -- the worker thread -----------------------------------------------------------------

    @property
    def label(self) -> str:
        return self.device.label if self.device else "(no device)"

    def start(self) -> None:
        """Open and start the stream; AudioDeviceError if that is impossible."""
        global _open_streams
        with PORTAUDIO_LOCK:
            device = pick_device(self._lister(), self.choice)
            factory, check = self._backend()
            rate, channels = self._negotiate(device, check)
            blocksize = max(1, int(rate * self._block_ms / 1000))
            max_blocks = max(16, int(self._queue_seconds * 1000 / self._block_ms))
            self._queue = queue.Queue(maxsize=max_blocks)
            stream = None
            try:
                stream = factory(
                    device=device.index,
                    samplerate=rate,
                    channels=channels,
                    dtype="int16",
                    blocksize=blocksize,
                    callback=self.callback,
                    finished_callback=self._finished,
                )
                stream.start()
            except Exception as exc:  # sounddevice.PortAudioError, or anything a backend raises
                if stream is not None:  # opened but not started: give the device back
                    with contextlib.suppress(Exception):
                        stream.close()
                raise AudioDeviceError(
                    f"The microphone '{device.label}' could not be started: {_reason(exc)}. "
                    f"Choose another one in the Microphone list."
                ) from exc
            self._stream = stream
            _open_streams += 1
        self.device, self.samplerate, self.channels = device, rate, channels
        self._stopping = self._ended = False
        self._last_audio = time.monotonic()
        self._blocks_seen = self.blocks + self.dropped

    def _backend(self) -> Tuple[StreamFactory, SettingsCheck]:
        if self._factory is not None and self._check is not None:
            return self._factory, self._check
        try:
            import sounddevice as sd
        except (OSError, ImportError) as exc:
            raise AudioDeviceError(f"Cannot record: PortAudio is unavailable ({exc})") from exc
        return self._factory or sd.InputStream, self._check or sd.check_input_settings

    def _negotiate(self, device: InputDevice, check: SettingsCheck) -> Tuple[int, int]:
        """16 kHz mono if the device takes it (no resampling), else its own rate, else stereo."""
        native = int(round(device.default_rate)) or 48000
        candidates = [(MODEL_SAMPLE_RATE, 1), (native, 1), (48000, 1), (44100, 1)]
        if device.channels >= 2:
            candidates += [(native, 2), (48000, 2), (44100, 2)]
        reasons: List[str] = []
        for rate, channels in dict.fromkeys(candidates):
            try:
                check(device=device.index, samplerate=rate, channels=channels, dtype="int16")
                return rate, channels
            except Exception as exc:  # sounddevice.PortAudioError / ValueError
                reasons.append(f"{rate} Hz {channels} ch: {_reason(exc)}")
        raise AudioDeviceError(
            f"The microphone '{device.label}' refused every recording format tried "
            f"(16-bit at 16, 44.1 or 48 kHz, mono or stereo): {reasons[0]}. "
            f"Choose another one in the Microphone list."
        )

    def read(self) -> List[np.ndarray]:
        """All blocks captured since the last call (never blocks)."""
        out: List[np.ndarray] = []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return out

    def check(self) -> None:
        """AudioDeviceError if the device was lost (stream ended, or no audio for a while)."""
        if self._stream is None:
            return
        now = time.monotonic()
        delivered = self.blocks + self.dropped
        if delivered != self._blocks_seen:  # the callback ran since the last check
            self._blocks_seen = delivered
            self._last_audio = now
        lost = self._ended
        if not lost:
            try:
                lost = not bool(self._stream.active)
            except Exception:  # a backend that fails to answer is as good as gone
                lost = True
        if not lost and now - self._last_audio > self._stall_seconds:
            lost = True
        if lost:
            raise AudioDeviceError(
                f"The microphone '{self.label}' stopped delivering audio (was it unplugged or "
                f"disabled?). What you dictated so far is kept; choose a microphone and "
                f"record again."
            )

    def stop(self) -> None:
        """Stop and close the stream (abort: an input stream has nothing to drain)."""
        global _open_streams
        stream, self._stream = self._stream, None
        if stream is None:
            return
        self._stopping = True
        with PORTAUDIO_LOCK:
            with contextlib.suppress(Exception):  # a lost device may refuse; closing still matters
                stream.abort()
            with contextlib.suppress(Exception):
                stream.close()
            _open_streams = max(0, _open_streams - 1)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.rstrip(".") or exc.__class__.__name__


class ReplayInputStream:
    """A stand-in for ``sounddevice.InputStream`` that plays audio into the callback.

    A thread calls ``callback(block, frames, None, status)`` with int16 blocks of
    ``blocksize`` frames at ``speed`` times real time, then (``tail="silence"``) silence
    like an open microphone, or (``tail="none"``) nothing, until stopped. Used by tests
    and the event-loop benchmark to drive the real capture path without a sound card;
    :meth:`lose_device` simulates unplugging.
    """

    def __init__(
        self,
        samples: np.ndarray,
        source_rate: int = MODEL_SAMPLE_RATE,
        speed: float = 1.0,
        tail: str = "silence",
        *,
        device: Any = None,
        samplerate: float = MODEL_SAMPLE_RATE,
        channels: int = 1,
        dtype: str = "int16",
        blocksize: int = 320,
        callback: Optional[Callable[..., None]] = None,
        finished_callback: Optional[Callable[[], None]] = None,
        **_: Any,
    ) -> None:
        from dictate.audio.resample import resample

        mono = np.asarray(samples, dtype=np.float32)
        mono = resample(mono, source_rate, int(samplerate))
        pcm = np.clip(np.round(mono * 32767.0), -32768, 32767).astype(np.int16)
        self.data = np.repeat(pcm[:, None], channels, axis=1)
        self.samplerate = int(samplerate)
        self.channels = channels
        self.blocksize = blocksize or max(1, self.samplerate // 50)
        self.callback = callback
        self.finished_callback = finished_callback
        self.speed = speed
        self.tail = tail
        self.active = False
        self.position = 0
        self.played = threading.Event()  # set once all of ``samples`` went through
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._lost = False

    def start(self) -> None:
        self.active = True
        self._thread = threading.Thread(target=self._run, name="replay-input", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        period = self.blocksize / self.samplerate / self.speed
        next_time = time.monotonic()
        silence = np.zeros((self.blocksize, self.channels), dtype=np.int16)
        while not self._stop.is_set():
            if self.position < len(self.data):
                block = self.data[self.position : self.position + self.blocksize]
                if len(block) < self.blocksize:
                    block = np.concatenate([block, silence[: self.blocksize - len(block)]])
                self.position += self.blocksize
            else:
                self.played.set()
                if self.tail == "none":
                    self._stop.wait()
                    break
                block = silence
            if self.callback is not None:
                self.callback(block, self.blocksize, None, None)
            next_time += period
            delay = next_time - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
        self.active = False
        if self.finished_callback is not None:
            self.finished_callback()

    def lose_device(self) -> None:
        """Simulate unplugging: callbacks stop and the stream ends on its own."""
        self._lost = True
        self._stop.set()

    def abort(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(2.0)

    stop = abort

    def close(self) -> None:
        self.abort()

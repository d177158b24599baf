"""The capture path without a sound server: callback → bounded queue → 16 kHz mono."""

from __future__ import annotations

import time

import numpy as np
import pytest

from dictate.audio.capture import (
    AudioCapture,
    DeviceChoice,
    ReplayInputStream,
    StreamResampler,
    blocks_to_mono_float,
    pick_device,
)
from dictate.audio.resample import resample
from dictate.errors import AudioDeviceError

from .helpers import ReplayMic, device


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000, 96000, 16000])
def test_stream_resampler_equals_one_shot(rate):
    rng = np.random.default_rng(rate)
    x = (0.3 * rng.standard_normal(rate * 2 + 77)).astype(np.float32)
    r = StreamResampler(rate)
    out, i = [], 0
    while i < len(x):
        n = int(rng.integers(1, 2500))
        out.append(r.process(x[i : i + n]))
        i += n
    out.append(r.flush())
    np.testing.assert_array_equal(np.concatenate(out), resample(x, rate))


def test_blocks_to_mono_float():
    stereo = np.array([[32767, -32768], [16384, 16384]], dtype=np.int16)
    np.testing.assert_allclose(blocks_to_mono_float([stereo]), [-0.5 / 32768, 0.5], atol=1e-7)
    assert blocks_to_mono_float([]).dtype == np.float32


def test_pick_device():
    a, b = device("Built-in", 0), device("USB", 4, default=False)
    assert pick_device([a, b], None) is a
    assert pick_device([a, b], DeviceChoice("USB", "Test API")) is b
    assert pick_device([a, b], DeviceChoice("USB", "Other API")) is b  # same name wins
    with pytest.raises(AudioDeviceError, match="'Headset' is not connected"):
        pick_device([a, b], DeviceChoice("Headset"))
    with pytest.raises(AudioDeviceError, match="No microphone found"):
        pick_device([], None)


def test_capture_delivers_blocks_and_counts_drops():
    mic = ReplayMic(np.full(16000, 0.25, dtype=np.float32), speed=50.0)
    cap = AudioCapture(None, stream_factory=mic._open, check_settings=mic.check, lister=mic.list_devices,
                       queue_seconds=0.1, block_ms=20)
    cap.start()
    assert (cap.samplerate, cap.channels) == (16000, 1)
    time.sleep(0.5)  # 1 s of audio at 50x: more than the 0.32 s queue holds
    blocks = cap.read()
    cap.stop()
    assert len(blocks) == 16  # the queue's bound
    assert cap.dropped > 0
    assert blocks[0].dtype == np.int16 and blocks[0].shape == (320, 1)
    assert abs(int(blocks[0][0, 0]) - 8192) <= 1
    assert not mic.last.active


def test_capture_reports_a_lost_device():
    mic = ReplayMic(np.zeros(1600, dtype=np.float32), speed=1.0)
    cap = mic.capture(None)
    cap.start()
    cap.check()
    mic.last.lose_device()
    time.sleep(0.2)
    with pytest.raises(AudioDeviceError, match="stopped delivering audio"):
        cap.check()
    cap.stop()


def test_capture_reports_a_stalled_device():
    mic = ReplayMic(np.zeros(1600, dtype=np.float32), speed=1.0)
    mic.tail = "none"  # the device stays "active" but no callback comes any more
    cap = AudioCapture(None, stream_factory=mic._open, check_settings=mic.check, lister=mic.list_devices,
                       stall_seconds=0.3)
    cap.start()
    time.sleep(0.3)  # the 0.1 s of audio has been delivered
    cap.read()
    cap.check()  # the worker checks every tick: the last block was just seen
    time.sleep(0.5)
    with pytest.raises(AudioDeviceError, match="stopped delivering audio"):
        cap.check()
    cap.stop()


def test_capture_refusing_and_failing_devices():
    mic = ReplayMic()
    mic.refuse = True
    with pytest.raises(AudioDeviceError, match="refused every recording format"):
        mic.capture(None).start()

    def broken(**_):
        raise OSError("Device unavailable [PaErrorCode -9985]")

    cap = AudioCapture(None, stream_factory=broken, check_settings=lambda **_: None,
                       lister=lambda: [device()])
    with pytest.raises(AudioDeviceError, match="could not be started: Device unavailable"):
        cap.start()


def test_a_stream_that_opens_but_cannot_start_is_closed():
    closed = []

    class Busy:
        def __init__(self, **_):
            pass

        def start(self):
            raise OSError("Device busy")

        def close(self):
            closed.append(True)

    cap = AudioCapture(None, stream_factory=Busy, check_settings=lambda **_: None, lister=lambda: [device()])
    with pytest.raises(AudioDeviceError, match="could not be started: Device busy"):
        cap.start()
    assert closed == [True]


def test_format_negotiation_falls_back_to_the_device_rate():
    mic = ReplayMic()
    mic.rate, mic.channels = 48000, 2
    mic.devices = [device(rate=48000.0, channels=2)]
    cap = mic.capture(None)
    cap.start()
    cap.stop()
    assert (cap.samplerate, cap.channels) == (48000, 2)
    assert mic.opened[-1]["blocksize"] == 960


def test_replay_stream_plays_then_stops():
    got = []
    s = ReplayInputStream(np.ones(800, dtype=np.float32) * 0.5, 16000, 100.0, blocksize=320,
                          callback=lambda block, *_: got.append(block.copy()))
    s.start()
    assert s.played.wait(2)
    s.abort()
    assert sum(len(b) for b in got) >= 960 and not s.active

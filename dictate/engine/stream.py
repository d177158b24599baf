"""The streaming API, shaped like DeepSpeech's native client.

``model.create_stream()`` → ``stream.feed(samples)`` any number of times →
``stream.intermediate()`` whenever → ``stream.finish()`` → :class:`Transcript`.
``model.transcribe(samples)`` is the same path in one call, so streaming and one-shot
transcription give identical probabilities and text, however the audio is chunked.

Frame and block rules follow ``native_client/deepspeech.cc``: 9 zero frames of context
before the first frame; one MFCC frame per full 512-sample window (stride 320); at finish one
more frame from the leftover samples zero-padded to 512, then 9 zero frames, then the last
block padded to 16 windows whose padding outputs are dropped. Features are computed in
groups fixed by the block structure (25 frames for the first block, 16 for each next one,
the rest at finish), never by the size of the chunks fed, so results are bit-identical.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

import numpy as np

from dictate.audio.resample import as_float_samples
from dictate.engine.acoustic import AcousticModel, RunnerSettings
from dictate.engine.decoder import CtcDecoder, DecoderSettings
from dictate.engine.features import (
    STEP_SAMPLES,
    WINDOW_SAMPLES,
    FeatureProfile,
    frame_count,
    get_profile,
)
from dictate.engine.transcript import Transcript
from dictate.engine.windows import N_CONTEXT, context_windows
from dictate.errors import DictateError
from dictate.models.legacy import check_conversion
from dictate.models.spec import ModelSpec


@dataclass
class SpeechModel:
    """A loaded model: feature profile, compiled acoustic model and decoder."""

    profile: FeatureProfile
    acoustic: AcousticModel
    decoder: CtcDecoder
    spec: Optional[ModelSpec] = None

    @classmethod
    def load(
        cls,
        spec: ModelSpec,
        runner: Optional[RunnerSettings] = None,
        decoder: Optional[DecoderSettings] = None,
    ) -> SpeechModel:
        """Compile the spec's IR and set up its decoder.

        Decoder settings left at their defaults take the model's own: its beam width, its
        installed scorer and that scorer's alpha/beta.
        """
        settings = decoder or DecoderSettings(beam_width=spec.beam_width)
        if settings.scorer_path is None and spec.scorer_path is not None and decoder is None:
            settings = DecoderSettings(
                beam_width=spec.beam_width,
                scorer_path=str(spec.scorer_path),
                lm_alpha=spec.lm_alpha,
                lm_beta=spec.lm_beta,
            )
        check_conversion(spec)
        acoustic = AcousticModel(spec.ir_path, runner)
        if acoustic.n_classes != len(spec.alphabet) + 1:
            raise DictateError(
                f"The model '{spec.name}' outputs {acoustic.n_classes} classes but its alphabet "
                f"has {len(spec.alphabet)} labels (+1 blank)."
            )
        return cls(get_profile(spec.feature_profile), acoustic, CtcDecoder(spec.alphabet, settings), spec)

    def create_stream(self, keep_probabilities: bool = True) -> Stream:
        """A new stream with fresh LSTM and decoder state."""
        return Stream(self, keep_probabilities)

    def transcribe(self, samples: np.ndarray) -> Transcript:
        """Transcribe a whole utterance (16 kHz mono, int16 or float)."""
        stream = self.create_stream(keep_probabilities=False)
        stream.feed(samples)
        return stream.finish()


class Stream:
    """One utterance being recognised.

    Not thread-safe, and more: create, feed, finish and drop a stream on ONE thread.
    ds-ctcdecoder's ``DecoderState`` segfaults when it is created, used and destroyed on
    different threads (seen in the GUI's tests, mostly at interpreter exit).
    """

    def __init__(self, model: SpeechModel, keep_probabilities: bool = True) -> None:
        self.model = model
        acoustic = model.acoustic
        self.n_steps = acoustic.n_steps
        self.n_features = acoustic.n_input
        self._block_frames = self.n_steps + 2 * N_CONTEXT
        self._acoustic_state = acoustic.new_state()
        self._decoder = model.decoder.new_session()
        self._audio = np.zeros(0, dtype=np.float32)
        self._frames = np.zeros((N_CONTEXT, self.n_features), dtype=np.float32)
        self._keep = keep_probabilities
        self._compute_features = model.profile.compute
        self._probs: List[np.ndarray] = []
        self.samples_fed = 0
        self.frames_decoded = 0
        self.finished = False

    def feed(self, samples: np.ndarray) -> None:
        """Add 16 kHz mono audio (int16, or float in [-1, 1))."""
        if self.finished:
            raise DictateError("this stream is finished; create a new one")
        chunk = as_float_samples(samples)
        if not len(chunk):
            return
        self.samples_fed += len(chunk)
        self._audio = np.concatenate([self._audio, chunk]) if len(self._audio) else chunk.copy()
        while True:
            missing = self._block_frames - len(self._frames)
            if frame_count(len(self._audio)) < missing:
                break
            self._append_frames(missing)
            self._run_full_block()

    def intermediate(self) -> Transcript:
        """Best transcript of the blocks processed so far (up to 16 frames behind the audio)."""
        return self._decoder.decode()

    def finish(self) -> Transcript:
        """Flush the audio (native-client rules), decode and close the stream."""
        if self.finished:
            raise DictateError("this stream is already finished")
        self.finished = True
        n_full = frame_count(len(self._audio))
        if n_full:
            self._append_frames(n_full)
        leftover = np.zeros(WINDOW_SAMPLES, dtype=np.float32)
        leftover[: len(self._audio)] = self._audio
        tail = [
            self._compute_features(leftover),
            np.zeros((N_CONTEXT, self.n_features), np.float32),
        ]
        self._frames = np.concatenate([self._frames, *tail])
        self._audio = np.zeros(0, dtype=np.float32)
        while len(self._frames) >= self._block_frames:
            self._run_full_block()
        windows = context_windows(self._frames)
        if len(windows):
            padded = np.zeros((self.n_steps,) + windows.shape[1:], dtype=np.float32)
            padded[: len(windows)] = windows
            self._consume(self._acoustic_state.step(padded)[: len(windows)])
        self._frames = self._frames[:0]
        return self._decoder.decode()

    def probabilities(self) -> np.ndarray:
        """All character probabilities ``[frames, classes]`` produced so far."""
        if not self._probs:
            return np.zeros((0, self.model.acoustic.n_classes), dtype=np.float32)
        return np.concatenate(self._probs)

    @property
    def seconds_decoded(self) -> float:
        """Audio time covered by the probabilities so far."""
        return self.frames_decoded * STEP_SAMPLES / 16000.0

    def _append_frames(self, count: int) -> None:
        used = WINDOW_SAMPLES + (count - 1) * STEP_SAMPLES
        frames = self._compute_features(self._audio[:used])
        self._audio = self._audio[count * STEP_SAMPLES :]
        self._frames = np.concatenate([self._frames, frames])

    def _run_full_block(self) -> None:
        windows = context_windows(self._frames[: self._block_frames])
        self._frames = self._frames[self.n_steps :]
        self._consume(self._acoustic_state.step(windows))

    def _consume(self, probs: np.ndarray) -> None:
        self._decoder.next(probs)
        self.frames_decoded += len(probs)
        if self._keep:
            self._probs.append(probs)

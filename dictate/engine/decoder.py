"""CTC decoding with ds-ctcdecoder (beam search, optional KenLM scorer, hot words) or greedy."""

from __future__ import annotations

import codecs
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from ds_ctcdecoder import swigwrapper

from dictate.engine.transcript import Transcript, words_from_tokens
from dictate.errors import ScorerError
from dictate.processes import crash_in_child

ENGLISH_LABELS: Tuple[str, ...] = (" ",) + tuple("abcdefghijklmnopqrstuvwxyz") + ("'",)

# DeepSpeech's byte output mode (--bytes_output_mode, e.g. the 0.9.3 zh-CN model): the model
# emits UTF-8 bytes 1..255 (DeepSpeech's UTF8Alphabet). Each byte is kept as the code point of
# the same value, so labels stay strings, " " is still the space, and the text of a run of
# labels is ``text_from_labels``.
BYTE_LABELS: Tuple[str, ...] = tuple(chr(b) for b in range(1, 256))


def is_byte_alphabet(labels: Sequence[str]) -> bool:
    """Whether ``labels`` are DeepSpeech's byte-output-mode (UTF-8 byte) labels."""
    return tuple(labels) == BYTE_LABELS


def text_from_labels(chars: str, byte_mode: bool) -> str:
    """The text a run of labels spells.

    In byte mode the labels are UTF-8 decoded: invalid bytes become U+FFFD, and a character
    still incomplete at the end (partial text, mid-character) is left out until it is whole.
    """
    if not byte_mode:
        return chars
    return codecs.getincrementaldecoder("utf-8")("replace").decode(chars.encode("latin-1"), final=False)

# DeepSpeech 0.9.3's native-client defaults.
DEFAULT_BEAM_WIDTH = 500
DEFAULT_CUTOFF_TOP_N = 40

# Scorer::init's return codes, as ds-ctcdecoder's own constants name them.
SCORER_ERRORS = {
    swigwrapper.DS_ERR_SCORER_UNREADABLE: "the scorer cannot be read",
    swigwrapper.DS_ERR_SCORER_INVALID_LM: "the scorer's language model is invalid",
    swigwrapper.DS_ERR_SCORER_NO_TRIE: "the scorer has no vocabulary trie",
    swigwrapper.DS_ERR_SCORER_INVALID_TRIE: "the scorer's vocabulary trie is invalid",
    swigwrapper.DS_ERR_SCORER_VERSION_MISMATCH: (
        "the scorer was made for another version of DeepSpeech's decoder"
    ),
}


def make_alphabet(labels: Sequence[str]) -> swigwrapper.Alphabet:
    """A ds-ctcdecoder alphabet from labels (the blank is implicit, after the last label)."""
    if is_byte_alphabet(labels):
        return swigwrapper.UTF8Alphabet()
    blob = bytearray(len(labels).to_bytes(2, "little"))
    for index, label in enumerate(labels):
        encoded = label.encode("utf-8")
        blob += index.to_bytes(2, "little") + len(encoded).to_bytes(2, "little") + encoded
    alphabet = swigwrapper.Alphabet()
    if alphabet.Deserialize(bytes(blob), len(blob)) != 0:
        raise ValueError(f"invalid alphabet labels: {list(labels)}")
    return alphabet


def read_alphabet_file(path: os.PathLike) -> List[str]:
    """Labels of a DeepSpeech ``alphabet.txt`` (one per line, ``#`` comments, ``\\#`` escape)."""
    labels = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        labels.append("#" if line == "\\#" else line)
    return labels


def load_scorer(
    path: Union[str, os.PathLike],
    alphabet: swigwrapper.Alphabet,
    alpha: Optional[float],
    beta: Optional[float],
) -> swigwrapper.Scorer:
    """Load a ``.scorer`` package; alpha/beta come from its header unless given."""
    p = Path(path)
    if not p.is_file():
        raise ScorerError(f"Cannot load scorer '{p}': no such file")
    scorer = swigwrapper.Scorer()
    code = scorer.init(str(p).encode("utf-8"), alphabet)
    if code != 0:
        reason = SCORER_ERRORS.get(code, f"error code 0x{code:X}")
        raise ScorerError(f"Cannot load scorer '{p}': {reason}")
    byte_model = isinstance(alphabet, swigwrapper.UTF8Alphabet)
    if scorer.is_utf8_mode() != byte_model:
        units = ("UTF-8 bytes", "characters")
        made_for, model = units if scorer.is_utf8_mode() else units[::-1]
        raise ScorerError(
            f"Cannot use scorer '{p}': it scores {made_for}, but the model outputs {model} "
            "(a byte-output-mode model needs a scorer built with --utf8, and the other way round)"
        )
    if alpha is not None or beta is not None:
        scorer.reset_params(
            scorer.alpha if alpha is None else float(alpha),
            scorer.beta if beta is None else float(beta),
        )
    return scorer


SCORER_PROBE_TIMEOUT_S = 120.0


PROBE_FRAMES = 300  # decoded with the scorer in the probe: LM and trie lookups get exercised
PROBE_BEAM = 64


def exercise_scorer(path: str, labels: Sequence[str]) -> None:
    """Load a scorer and decode 300 frames with it (the probe's child runs this)."""
    alphabet = make_alphabet(labels)
    try:
        scorer = load_scorer(path, alphabet, None, None)
    except ScorerError:
        return  # a clean refusal: the caller's own load reports it
    # Damage deeper in the file only shows when the decoder walks the LM and the trie.
    peaked = np.random.default_rng(0).random((PROBE_FRAMES, len(labels) + 1)) ** 4
    probs = peaked / peaked.sum(axis=1, keepdims=True)
    state = swigwrapper.DecoderState()
    if state.init(alphabet, PROBE_BEAM, 1.0, DEFAULT_CUTOFF_TOP_N, scorer, {}) == 0:
        for i in range(PROBE_FRAMES):
            state.next(probs[i : i + 1])
        state.decode(1)


def probe_scorer(path: Union[str, os.PathLike], labels: Sequence[str]) -> None:
    """Load a scorer, and decode with it, once in a throw-away process before this one does.

    KenLM throws C++ exceptions that nothing catches on some damaged files (one cut short,
    say), and a damaged LM can crash the first decode step: either would take the whole
    process down, GUI and unsaved text included. A child process takes that blow instead.
    ds-ctcdecoder only complains on stderr about a damaged vocabulary trie; the child's stderr
    is read for that. Raises ScorerError for all three.
    """
    died, complaints = crash_in_child("scorer", [str(path), json.dumps(list(labels))], SCORER_PROBE_TIMEOUT_S)
    if died:
        raise ScorerError(
            f"Cannot load scorer '{path}': its language model is damaged or cut short "
            f"(loading and using it in a test process: {died}). Download or build the scorer again."
        )
    errors = [line.strip() for line in complaints.splitlines() if "ERROR" in line]
    if errors:
        raise ScorerError(
            f"Cannot load scorer '{path}': its vocabulary trie is damaged ({errors[0][:200]}). "
            "Download or build the scorer again."
        )


@dataclass(frozen=True)
class DecoderSettings:
    """How character probabilities become text."""

    beam_width: int = DEFAULT_BEAM_WIDTH
    cutoff_prob: float = 1.0
    cutoff_top_n: int = DEFAULT_CUTOFF_TOP_N
    scorer_path: Optional[str] = None
    lm_alpha: Optional[float] = None
    lm_beta: Optional[float] = None
    hot_words: Dict[str, float] = field(default_factory=dict)
    greedy: bool = False


class CtcDecoder:
    """Holds the alphabet and the (expensive to load) scorer; makes per-stream sessions."""

    def __init__(self, labels: Sequence[str], settings: Optional[DecoderSettings] = None) -> None:
        self.labels = tuple(labels)
        self.byte_mode = is_byte_alphabet(self.labels)
        self.settings = settings or DecoderSettings()
        if self.settings.beam_width < 1:
            raise ValueError(f"beam width must be at least 1, not {self.settings.beam_width}")
        self.alphabet = make_alphabet(self.labels)
        self.scorer: Optional[swigwrapper.Scorer] = None
        if self.settings.scorer_path and not self.settings.greedy:
            self.scorer = load_scorer(
                self.settings.scorer_path,
                self.alphabet,
                self.settings.lm_alpha,
                self.settings.lm_beta,
            )
        if self.settings.hot_words and self.settings.greedy:
            raise ScorerError("hot words need beam search with a scorer; greedy decoding has neither")
        if self.settings.hot_words and self.scorer is None:
            raise ScorerError("hot words need a scorer: give one with --scorer (DeepSpeech's rule)")

    @property
    def lm_weights(self) -> Optional[Tuple[float, float]]:
        """(alpha, beta) in use, or None without a scorer."""
        if self.scorer is None:
            return None
        return float(self.scorer.alpha), float(self.scorer.beta)

    def new_session(self) -> DecoderSession:
        """Decoding state for one stream."""
        if self.settings.greedy:
            return GreedySession(self)
        return BeamSession(self)


class DecoderSession:
    """Per-stream decoding state: ``next(probs)`` per block, ``decode()`` at any time."""

    def __init__(self, decoder: CtcDecoder) -> None:
        self.decoder = decoder

    def next(self, probs: np.ndarray) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def decode(self) -> Transcript:  # pragma: no cover - interface
        raise NotImplementedError

    def _transcript(self, tokens: Sequence[int], timesteps: Sequence[int], confidence: float) -> Transcript:
        chars = [self.decoder.labels[t] for t in tokens]
        words = words_from_tokens(chars, timesteps)
        if self.decoder.byte_mode:  # a word's bytes are whole UTF-8 characters only together
            words = [replace(w, word=text_from_labels(w.word, True)) for w in words]
        text = text_from_labels("".join(chars), self.decoder.byte_mode)
        return Transcript(text, float(confidence), words)


class BeamSession(DecoderSession):
    """ds-ctcdecoder's streaming ``DecoderState``."""

    def __init__(self, decoder: CtcDecoder) -> None:
        super().__init__(decoder)
        s = decoder.settings
        self.state = swigwrapper.DecoderState()
        hot = {w.encode("utf-8"): float(b) for w, b in s.hot_words.items()}
        code = self.state.init(
            decoder.alphabet,
            int(s.beam_width),
            float(s.cutoff_prob),
            int(s.cutoff_top_n),
            decoder.scorer,
            hot,
        )
        if code != 0:
            raise ScorerError(f"the CTC decoder refused its settings (error code 0x{code:X})")

    def next(self, probs: np.ndarray) -> None:
        """Feed probabilities ``[frames, classes]``.

        One frame per call: ds-ctcdecoder's SWIG calls hold the GIL, and a 16-frame call
        held it for up to 63 ms (measured, flat probabilities, beam 64), stalling the UI
        thread; frame by frame the longest hold was ~10 ms. The decoder steps frame by frame
        internally, so the result is identical.
        """
        rows = np.ascontiguousarray(probs, dtype=np.float64)
        for i in range(len(rows)):
            self.state.next(rows[i : i + 1])

    def decode(self) -> Transcript:
        """Best transcript for everything fed so far (the state is not changed)."""
        outputs = self.state.decode(1)
        if len(outputs) == 0:
            return Transcript("", 0.0, [])
        best = outputs[0]
        return self._transcript(list(best.tokens), list(best.timesteps), best.confidence)


class GreedySession(DecoderSession):
    """Best-path decoding: argmax per frame, repeats merged, blanks dropped."""

    def __init__(self, decoder: CtcDecoder) -> None:
        super().__init__(decoder)
        self.best: List[int] = []
        self.log_prob = 0.0

    def next(self, probs: np.ndarray) -> None:
        if len(probs):
            idx = np.argmax(probs, axis=1)
            self.best.extend(int(i) for i in idx)
            self.log_prob += float(np.sum(np.log(np.maximum(probs[np.arange(len(idx)), idx], 1e-30))))

    def decode(self) -> Transcript:
        blank = len(self.decoder.labels)
        tokens, steps = [], []
        previous = blank
        for t, label in enumerate(self.best):
            if label != blank and label != previous:
                tokens.append(label)
                steps.append(t)
            previous = label
        return self._transcript(tokens, steps, self.log_prob)


__all__ = [
    "BYTE_LABELS",
    "CtcDecoder",
    "DecoderSettings",
    "ENGLISH_LABELS",
    "is_byte_alphabet",
    "make_alphabet",
    "read_alphabet_file",
    "text_from_labels",
]

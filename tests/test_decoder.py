"""CTC decoding on probabilities built to spell known words, with and without the real scorer."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest

from dictate.engine.decoder import (
    BYTE_LABELS,
    ENGLISH_LABELS,
    CtcDecoder,
    DecoderSettings,
    is_byte_alphabet,
    load_scorer,
    make_alphabet,
    read_alphabet_file,
)
from dictate.engine.transcript import words_from_tokens
from dictate.errors import ScorerError

BLANK = len(ENGLISH_LABELS)


def spell(
    text: str, frames_per_char: int = 2, gap: int = 2, ambiguous: Dict[int, Dict[str, float]] = None
) -> np.ndarray:
    """Probabilities [T, 29]: each character for a few frames, blanks between.

    ``ambiguous`` maps a character position to a distribution over letters for that position.
    """
    rows: List[np.ndarray] = []

    def row(dist: Dict[str, float]) -> np.ndarray:
        p = np.full(BLANK + 1, 1e-4)
        for ch, v in dist.items():
            p[BLANK if ch == "_" else ENGLISH_LABELS.index(ch)] = v
        return p / p.sum()

    for _ in range(gap):
        rows.append(row({"_": 1.0}))
    for pos, ch in enumerate(text):
        dist = (ambiguous or {}).get(pos, {ch: 1.0})
        for _ in range(frames_per_char):
            rows.append(row(dist))
        for _ in range(gap):
            rows.append(row({"_": 1.0}))
    return np.array(rows, dtype=np.float32)


def decode(probs: np.ndarray, settings: DecoderSettings, block: int = 16):
    session = CtcDecoder(ENGLISH_LABELS, settings).new_session()
    for i in range(0, len(probs), block):
        session.next(probs[i : i + block])
    return session.decode()


def test_alphabet_matches_deepspeech_file(shared_data):
    labels = read_alphabet_file(shared_data / "scorer" / "alphabet.txt")
    assert tuple(labels) == ENGLISH_LABELS
    alphabet = make_alphabet(labels)
    assert alphabet.GetSize() == 28
    assert alphabet.DecodeSingle(1) == b"a"


@pytest.mark.parametrize("greedy", [False, True])
def test_clean_probabilities_spell_the_words(greedy):
    t = decode(spell("please call stella"), DecoderSettings(beam_width=32, greedy=greedy))
    assert t.text == "please call stella"
    assert [w.word for w in t.words] == ["please", "call", "stella"]


def test_word_timings_come_from_token_timesteps():
    probs = spell("go on", frames_per_char=2, gap=2)
    t = decode(probs, DecoderSettings(beam_width=16))
    # frames: 2 blank, g at 2-3, 2 blank, o at 6-7, 2 blank, space at 10-11, 2 blank, o at 14, n at 18
    assert [w.word for w in t.words] == ["go", "on"]
    go, on = t.words
    assert go.start_time == pytest.approx(2 * 0.02)
    assert go.duration == pytest.approx((10 - 2) * 0.02)  # until the space token
    assert on.start_time == pytest.approx(14 * 0.02)
    assert on.duration == pytest.approx((18 - 14) * 0.02)  # until its last character


def test_words_from_tokens_like_deepspeech_client():
    words = words_from_tokens(list("ab c"), [1, 3, 5, 9])
    assert [(w.word, w.start_time, w.duration) for w in words] == [
        ("ab", 0.02, 0.08),
        ("c", 0.18, 0.0),
    ]


def test_scorer_fixes_an_acoustically_ambiguous_spelling(scorer_path):
    # "experience proves this" with the 'c' of experience acoustically closer to 's'.
    text = "experience proves this"
    amb = {text.index("c"): {"s": 0.55, "c": 0.45}}
    probs = spell(text, ambiguous=amb)
    greedy = decode(probs, DecoderSettings(greedy=True))
    assert greedy.text == "experiense proves this"
    no_lm = decode(probs, DecoderSettings(beam_width=64))
    assert no_lm.text == "experiense proves this"
    with_lm = decode(probs, DecoderSettings(beam_width=64, scorer_path=str(scorer_path)))
    assert with_lm.text == text


def test_scorer_alpha_beta_from_header_unless_overridden(scorer_path):
    default = CtcDecoder(ENGLISH_LABELS, DecoderSettings(scorer_path=str(scorer_path)))
    assert default.lm_weights == pytest.approx((0.75, 1.85))
    tuned = CtcDecoder(
        ENGLISH_LABELS,
        DecoderSettings(scorer_path=str(scorer_path), lm_alpha=0.9313, lm_beta=1.1834),
    )
    assert tuned.lm_weights == pytest.approx((0.9313, 1.1834), rel=1e-5)


def test_hot_word_boost_changes_the_result(scorer_path):
    # The first letter of the last word sounds more like 'c' than 'w': "call" wins, unless
    # "wall" is a hot word.
    text = "please call call"
    probs = spell(text, ambiguous={text.rindex("c"): {"c": 0.6, "w": 0.4}})
    scorer = str(scorer_path)
    base = decode(probs, DecoderSettings(beam_width=32, scorer_path=scorer))
    assert base.text == "please call call"
    boosted = decode(probs, DecoderSettings(beam_width=32, scorer_path=scorer, hot_words={"wall": 20.0}))
    assert boosted.text.strip() == "please call wall"


def test_hot_words_need_a_scorer():
    with pytest.raises(ScorerError, match="need a scorer"):
        CtcDecoder(ENGLISH_LABELS, DecoderSettings(hot_words={"stella": 5.0}))


def test_bad_scorer_files_give_clear_errors(tmp_path):
    alphabet = make_alphabet(ENGLISH_LABELS)
    with pytest.raises(ScorerError, match="no such file"):
        load_scorer(tmp_path / "missing.scorer", alphabet, None, None)
    junk = tmp_path / "junk.scorer"
    junk.write_bytes(b"not a scorer at all" * 10)
    with pytest.raises(ScorerError, match="junk.scorer': the scorer's language model is invalid"):
        load_scorer(junk, alphabet, None, None)


def test_intermediate_decoding_does_not_disturb_the_state():
    probs = spell("please call stella")
    session = CtcDecoder(ENGLISH_LABELS, DecoderSettings(beam_width=16)).new_session()
    for i in range(0, len(probs), 16):
        session.next(probs[i : i + 16])
        session.decode()
    assert session.decode().text == "please call stella"


def test_beam_width_must_be_positive():
    with pytest.raises(ValueError):
        CtcDecoder(ENGLISH_LABELS, DecoderSettings(beam_width=0))


def spell_bytes(text: str, frames_per_byte: int = 2, gap: int = 1) -> np.ndarray:
    """Probabilities [T, 256] of a byte-output-mode model spelling ``text``'s UTF-8 bytes."""
    blank = len(BYTE_LABELS)
    rows: List[np.ndarray] = []

    def row(index: int) -> np.ndarray:
        p = np.full(blank + 1, 1e-5)
        p[index] = 1.0
        return p / p.sum()

    rows += [row(blank)] * gap
    for b in text.encode("utf-8"):
        rows += [row(b - 1)] * frames_per_byte + [row(blank)] * gap
    return np.array(rows, dtype=np.float32)


@pytest.mark.parametrize("greedy", [False, True])
def test_byte_output_mode_spells_utf8_text(greedy):
    """DeepSpeech's --bytes_output_mode: labels are UTF-8 bytes, words split at the space byte."""
    assert make_alphabet(BYTE_LABELS).GetSize() == 255 and is_byte_alphabet(BYTE_LABELS)
    session = CtcDecoder(BYTE_LABELS, DecoderSettings(beam_width=16, greedy=greedy)).new_session()
    probs = spell_bytes("né 你好")
    for i in range(0, len(probs), 16):
        session.next(probs[i : i + 16])
    t = session.decode()
    assert t.text == "né 你好"
    assert [w.word for w in t.words] == ["né", "你好"]
    assert t.words[1].start_time == pytest.approx((1 + 4 * 3) * 0.02)  # after n, é (2 bytes), space


def test_byte_mode_partial_text_leaves_out_a_half_character():
    session = CtcDecoder(BYTE_LABELS, DecoderSettings(beam_width=16)).new_session()
    probs = spell_bytes("你好")  # 3 bytes each; 3 frames a byte with the gaps
    session.next(probs[: 1 + 3 * 4])  # 你 and the first byte of 好
    assert session.decode().text == "你"
    session.next(probs[1 + 3 * 4 :])
    assert session.decode().text == "你好"


def test_byte_alphabet_round_trips_through_its_serialization():
    from ds_ctcdecoder import swigwrapper

    from dictate.models.formats.common import deserialize_alphabet, serialize_alphabet

    blob = swigwrapper.UTF8Alphabet().Serialize()  # what DeepSpeech stores as metadata_alphabet
    assert deserialize_alphabet(blob) == list(BYTE_LABELS)
    assert deserialize_alphabet(serialize_alphabet(list(BYTE_LABELS))) == list(BYTE_LABELS)
    assert deserialize_alphabet(serialize_alphabet(list(ENGLISH_LABELS))) == list(ENGLISH_LABELS)


def test_scorer_must_match_the_output_mode():
    scorer = Path(__file__).resolve().parents[1] / "resources" / "models" / "demo-en" / "model.scorer"
    with pytest.raises(ScorerError, match="scores characters, but the model outputs UTF-8 bytes"):
        load_scorer(scorer, make_alphabet(BYTE_LABELS), None, None)

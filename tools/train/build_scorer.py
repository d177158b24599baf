"""Build the demo model's ``.scorer``: a KenLM model of the training text + its vocabulary.

Runs in the app venv (it needs ``ds_ctcdecoder``) and uses KenLM's ``lmplz`` and
``build_binary`` built from the PyPI ``kenlm`` sdist (see README.md)::

    .venv/bin/python tools/train/build_scorer.py --kenlm-bin /work/kenlm-build/kenlm-0.3.0/build/bin \
        [--order 4] [--alpha 0.93 --beta 1.18]

The LM text is the TRAIN sentences plus every vocabulary word on a line of its own (so that
all generator words, and the 3.5k-word guide vocabulary, can be recognised); dev and test
sentences are never used. The package is written the way DeepSpeech's
``generate_scorer_package`` does it: copy the KenLM binary, then ``Scorer`` with the alphabet
and default alpha/beta, ``load_lm`` (which reports "no trie" for a bare binary),
``fill_dictionary`` with the vocabulary, ``save_dictionary(path, append=True)`` — except
that the last two steps are done in Python (see ``trie_section``): the dictionary is the
plain prefix tree of the words, not minimised, which decodes the same.
"""

from __future__ import annotations

import argparse
import struct
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ALPHABET, work_dir  # noqa: E402


def build_lm(kenlm_bin: Path, text: Path, out_dir: Path, order: int) -> Path:
    """ARPA with lmplz, then a quantised trie binary with build_binary (DeepSpeech's flags)."""
    arpa = out_dir / "lm.arpa"
    binary = out_dir / "lm.binary"
    with open(text, "rb") as src, open(arpa, "wb") as dst:
        subprocess.run(
            [
                str(kenlm_bin / "lmplz"),
                "--order",
                str(order),
                "--discount_fallback",
                "--memory",
                "20%",
                "--temp_prefix",
                str(out_dir),
            ],
            stdin=src,
            stdout=dst,
            check=True,
        )
    subprocess.run(
        [str(kenlm_bin / "build_binary"), "-a", "255", "-q", "8", "-v", "trie", str(arpa), str(binary)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return binary


# OpenFST property bits of a ConstFst trie of words (the value DeepSpeech's packages carry,
# with "top sorted" true: every arc here goes to a higher state id).
TRIE_PROPERTIES = 0xA5AA5A950001 - 0x8000000000 + 0x4000000000
FST_MAGIC = 2125659606
SCORER_MAGIC = b"EIRT"  # the int32 'TRIE' written little-endian
SCORER_FILE_VERSION = 6


def build_trie(words: List[str]) -> Tuple[List[Tuple[bool, List[Tuple[int, int]]]], int]:
    """A prefix tree over the words' labels (alphabet index + 1, as ``Scorer::setup_char_map``),
    each word followed by the space label, as ``add_word_to_dictionary`` writes them.

    Returns states as (is_final, [(label, next_state)] sorted by label), and the arc count.
    """
    index = {c: i for i, c in enumerate(ALPHABET)}
    children: List[Dict[int, int]] = [{}]
    final = [False]
    for word in words:
        if any(c not in index for c in word):
            continue
        state = 0
        for label in [index[c] + 1 for c in word] + [index[" "] + 1]:  # a word ends with its space
            nxt = children[state].get(label)
            if nxt is None:
                nxt = len(children)
                children.append({})
                final.append(False)
                children[state][label] = nxt
            state = nxt
        final[state] = True
    states = [(final[i], sorted(children[i].items())) for i in range(len(children))]
    return states, sum(len(c) for c in children)


def _string(text: str) -> bytes:
    raw = text.encode("ascii")
    return struct.pack("<i", len(raw)) + raw


def _align(out: bytearray, base: int) -> None:
    """OpenFST's AlignOutput: zero bytes up to a multiple of 16 of the absolute file offset."""
    out += b"\0" * ((-(base + len(out))) % 16)


def trie_section(words: List[str], alpha: float, beta: float, base: int) -> bytes:
    """What ``Scorer::save_dictionary`` appends after the KenLM binary at offset ``base``.

    DeepSpeech's header (magic, version 6, utf8 flag, alpha, beta as doubles), then the
    dictionary as an aligned OpenFST ``ConstFst<StdArc>``: FstHeader ("const", "standard",
    version 1, flags IS_ALIGNED, properties, start, #states, #arcs), the 20-byte states
    (final weight, first arc, #arcs, #input eps, #output eps) and the 16-byte arcs
    (ilabel, olabel, weight, next state). Written by hand because ds-ctcdecoder's Python
    binding cannot pass the vocabulary to ``Scorer.fill_dictionary`` (no SWIG typemap for
    ``std::unordered_set<std::string>``); the layout was checked against
    ``shared/data/scorer/pruned_lm.scorer``, made by DeepSpeech's own tool.
    """
    states, n_arcs = build_trie(words)
    out = bytearray(
        SCORER_MAGIC + struct.pack("<i", SCORER_FILE_VERSION) + b"\0" + struct.pack("<dd", alpha, beta)
    )
    out += struct.pack("<i", FST_MAGIC) + _string("const") + _string("standard")
    out += struct.pack("<iiQqqq", 1, 4, TRIE_PROPERTIES, 0, len(states), n_arcs)
    _align(out, base)
    pos = 0
    for is_final, arcs in states:
        weight = 0.0 if is_final else float("inf")
        out += struct.pack("<fIIII", weight, pos, len(arcs), 0, 0)
        pos += len(arcs)
    _align(out, base)
    for _, arcs in states:
        for label, nxt in arcs:
            out += struct.pack("<iifi", label, label, 0.0, nxt)
    return bytes(out)


def package(binary: Path, words: List[str], out: Path, alpha: float, beta: float) -> None:
    """``generate_scorer_package``: the KenLM binary, then the vocabulary trie with alpha/beta.

    The LM is first loaded with ds-ctcdecoder's ``Scorer.load_lm`` (which must report "no
    trie" for a bare binary), and the finished package is loaded back with ``Scorer.init``.
    """
    from ds_ctcdecoder import DS_ERR_SCORER_NO_TRIE, swigwrapper

    from dictate.engine.decoder import load_scorer, make_alphabet

    alphabet = make_alphabet(ALPHABET)
    scorer = swigwrapper.Scorer()
    scorer.set_alphabet(alphabet)
    scorer.reset_params(alpha, beta)
    err = scorer.load_lm(str(binary).encode("utf-8"))
    if err != DS_ERR_SCORER_NO_TRIE:
        raise RuntimeError(f"load_lm returned {err:#x}, expected 'no trie' ({DS_ERR_SCORER_NO_TRIE:#x})")
    lm = binary.read_bytes()
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(lm + trie_section(words, alpha, beta, len(lm)))
    tmp.replace(out)
    load_scorer(out, alphabet, None, None)  # ScorerError if the package does not load


def main(argv: List[str] | None = None) -> int:
    """Build ``<work>/scorer/demo.scorer``."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kenlm-bin", type=Path, required=True, help="folder with lmplz and build_binary")
    parser.add_argument("--order", type=int, default=4)
    parser.add_argument("--alpha", type=float, default=0.93)
    parser.add_argument("--beta", type=float, default=1.18)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--texts", default="train", help="comma-separated sentence lists (text/<name>.txt)")
    args = parser.parse_args(argv)
    root = work_dir()
    out_dir = root / "scorer"
    out_dir.mkdir(parents=True, exist_ok=True)
    train = [
        s
        for name in args.texts.split(",")
        for s in (root / "text" / f"{name}.txt").read_text(encoding="utf-8").split("\n")
        if s
    ]
    vocab = [w for w in (root / "text" / "vocabulary.txt").read_text(encoding="utf-8").split("\n") if w]
    corpus = out_dir / "lm_text.txt"
    corpus.write_text("\n".join(train + vocab) + "\n", encoding="utf-8")
    words = sorted({w for line in train for w in line.split()} | set(vocab))
    binary = build_lm(args.kenlm_bin, corpus, out_dir, args.order)
    out = args.out or out_dir / "demo.scorer"
    package(binary, words, out, args.alpha, args.beta)
    print(
        f"{out}: {out.stat().st_size} bytes, {len(words)} words, order {args.order}, "
        f"alpha {args.alpha} beta {args.beta}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

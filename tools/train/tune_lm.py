"""Tune the scorer's alpha (LM weight) and beta (word bonus) on the DEV set (app venv).

    .venv/bin/python tools/train/tune_lm.py --model <model folder> --scorer <work>/scorer/demo.scorer
        [--beam 100] [--alphas 0.25,0.5,...] [--betas 0,0.5,...] [--set dev,val]

Character probabilities of every dev utterance are computed once with the model folder's
IR through dictate's engine (the streaming path, as the app runs it), then decoded with
ds-ctcdecoder's beam search and the scorer for each (alpha, beta) in the grid. Prints the WER
grid and the best pair; with several sets (``--set dev,val``) the score is the mean of their
WERs. The test set is refused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, wer  # noqa: E402
from evaluate import load_set  # noqa: E402


def floats(text: str) -> List[float]:
    """Comma-separated floats."""
    return [float(x) for x in text.split(",") if x]


def main(argv: List[str] | None = None) -> int:
    """Grid-search alpha and beta."""
    from ds_ctcdecoder import Alphabet, Scorer, ctc_beam_search_decoder_batch

    from dictate.audio.files import load_audio
    from dictate.engine.decoder import DecoderSettings
    from dictate.engine.stream import SpeechModel
    from dictate.models.spec import load_spec

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--scorer", type=Path, required=True)
    parser.add_argument("--beam", type=int, default=100)
    parser.add_argument("--alphas", default="0.25,0.5,0.75,1.0,1.25,1.5,2.0")
    parser.add_argument("--betas", default="0,0.5,1.0,1.5,2.0,3.0")
    parser.add_argument("--set", default="dev", help="comma-separated sets (mean of their WERs)")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)

    spec = load_spec(args.model)
    model = SpeechModel.load(spec, decoder=DecoderSettings(beam_width=1, greedy=True))
    names = args.set.split(",")
    if "test" in names:
        parser.error("alpha/beta are never tuned on the test set")
    sets = [load_set(name) for name in names]
    items = [item for s in sets for item in s]
    refs = [r for _, r, _ in items]
    bounds = np.cumsum([0] + [len(s) for s in sets])
    probs = []
    for wav, _, _ in items:
        stream = model.create_stream(keep_probabilities=True)
        stream.feed(load_audio(wav))
        stream.finish()
        probs.append(stream.probabilities().astype(np.float64))
    alphabet = Alphabet(str(ROOT / "resources" / "alphabet.txt"))  # the English labels, blank last
    lengths = [len(p) for p in probs]
    batch = np.zeros((len(probs), max(lengths), probs[0].shape[1]))
    for i, p in enumerate(probs):
        batch[i, : len(p)] = p
    best = (float("inf"), 0.0, 0.0)
    for alpha in floats(args.alphas):
        row = []
        for beta in floats(args.betas):
            scorer = Scorer(alpha, beta, str(args.scorer), alphabet)
            results = ctc_beam_search_decoder_batch(
                batch, lengths, alphabet, args.beam, args.jobs, scorer=scorer, cutoff_top_n=40
            )
            hyps = [" ".join(res[0][1].split()) if res else "" for res in results]
            score = float(np.mean([wer(refs[a:b], hyps[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]))
            row.append(f"{score:6.1%}")
            best = min(best, (score, alpha, beta))
        print(f"alpha {alpha:4.2f}: " + " ".join(row) + f"   (betas {args.betas})", flush=True)
    print(f"best on {args.set}: WER {best[0]:.1%} at alpha {best[1]} beta {best[2]} (beam {args.beam})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

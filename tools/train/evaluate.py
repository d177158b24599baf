"""Measure the demo model's word error rates through the app's own engine (app venv).

    .venv/bin/python tools/train/evaluate.py [--model resources/models/demo-en]
        [--int8 <work>/builds/demo-en-int8] [--sets test,dev,real] [--limit N]

For each model folder and each set, every WAV goes through ``dictate``'s engine exactly as
``dictate transcribe`` runs it (``load_audio`` → ``SpeechModel`` stream with the model's
decoder settings from ``model.json``: beam width, scorer, alpha/beta), and the WER is printed;
the same probabilities are also decoded greedily (best path, no scorer: the acoustic model
alone). Sets: ``test`` = held-out synthetic sentences spoken by held-out voices, ``dev`` =
held-out sentences by training voices, ``val`` = the dev sentences by stretched training
voices (a stand-in for an unseen voice), ``val2`` = the dev sentences by training voices through
a random microphone-like EQ, ``val3`` = val's voices through that EQ, ``val4`` = the dev sentences
by recorded voices no training split uses (mbrola us3, ro1, gr2 through espeak-ng; festival's
rab_diphone), ``val5`` = the dev sentences by two held-out Kokoro-82M (neural) speakers,
``valw`` = the dev sentences by training voices made WORLD pseudo-speakers (``world_voice.py``),
``real`` = the 21 real recordings in ``shared/data/speech`` (manifest.csv). The
synthetic sets are also broken down by voice (dev and val by synthesiser, and by voice except
espeak-ng's many variants; valw by source synthesiser only).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import MODEL_DIR, REAL_SPEECH, normalize_text, read_manifest, wer, work_dir  # noqa: E402

Item = Tuple[Path, str, str]  # wav, reference, group


def load_set(name: str) -> List[Item]:
    """(wav, transcript, group) of a set."""
    if name == "real":
        rows = read_manifest(REAL_SPEECH / "manifest.csv")
        return [(REAL_SPEECH / r["file"], normalize_text(r["transcript"]), r["corpus"]) for r in rows]
    root = work_dir()
    rows = read_manifest(root / f"{name}.csv")
    return [(root / "audio" / name / r["file"], r["transcript"], r["voice"]) for r in rows]


def run(model_dir: Path, items: List[Item]) -> Dict[str, List[str]]:
    """Hypotheses with the app's decoder settings and without the scorer."""
    from dictate.audio.files import load_audio
    from dictate.engine.decoder import CtcDecoder, DecoderSettings
    from dictate.engine.stream import SpeechModel
    from dictate.models.spec import load_spec

    spec = load_spec(model_dir)
    model = SpeechModel.load(spec)  # the app's defaults: the model's beam, scorer, alpha/beta
    no_lm = CtcDecoder(spec.alphabet, DecoderSettings(greedy=True))
    out: Dict[str, List[str]] = {"app": [], "greedy": []}
    for wav, _, _ in items:
        stream = model.create_stream(keep_probabilities=True)
        stream.feed(load_audio(wav))
        out["app"].append(stream.finish().text)
        session = no_lm.new_session()
        session.next(stream.probabilities())
        out["greedy"].append(session.decode().text)
    return out


def main(argv: List[str] | None = None) -> int:
    """Print WERs."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=MODEL_DIR)
    parser.add_argument("--int8", default=str(work_dir() / "builds" / "demo-en-int8"), help="'' to skip")
    parser.add_argument("--sets", default="test,real", help="test, dev, val(2,3,4,5,w), real")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--show", type=int, default=0, help="print N example transcripts per set")
    args = parser.parse_args(argv)
    builds = [("f32", args.model)]
    if args.int8 and (Path(args.int8) / "model.json").is_file():
        builds.append(("int8", Path(args.int8)))
    for set_name in args.sets.split(","):
        items = load_set(set_name)
        if args.limit:
            items = items[: args.limit]
        refs = [r for _, r, _ in items]
        for label, folder in builds:
            t0 = time.time()
            hyps = run(folder, items)
            secs = time.time() - t0
            for mode, hyp in hyps.items():
                print(
                    f"WER {set_name:<5} {label:<4} {mode:<7} {wer(refs, hyp):6.1%}  "
                    f"({len(items)} utterances, {sum(len(r.split()) for r in refs)} words)"
                )
            if set_name != "real":
                groups: Dict[str, List[int]] = defaultdict(list)
                for i, (_, _, g) in enumerate(items):
                    if g.startswith("world:"):  # one pseudo-speaker per clip: group by source synthesiser
                        groups[":".join(g.split(":")[:2]) + ":*"].append(i)
                        continue
                    few_voices = set_name in ("test", "val4", "val5")  # dev/val: 54 espeak-ng variants
                    if few_voices or not g.startswith("espeak:"):
                        groups[g].append(i)
                    groups[g.split(":")[0] + ":*"].append(i)  # per synthesiser too
                for g, ids in sorted(groups.items()):
                    score = wer([refs[i] for i in ids], [hyps["app"][i] for i in ids])
                    print(f"    {label} app  voice {g:<16} {score:6.1%}  ({len(ids)} utterances)")
            for i in range(min(args.show, len(items))):
                print(f"    ref: {refs[i]}\n    hyp: {hyps['app'][i]}")
            print(f"    ({label}: {secs:.1f} s for {len(items)} files)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""More recorded speakers for TRAIN5: mbrola diphone sets made to read English (dev only).

espeak-ng ships English voice files for 17 mbrola sets (``mb-us1``, ``mb-de4-en``, ...); all of
them are used by TRAIN4 or VAL4. Such a file is only the set's native voice file with
``language en``: espeak-ng turns English text into English phonemes and the set's own
``*_phtrans`` table maps them onto its diphones (names it lacks are skipped by mbrola, with a
warning). This script writes those files for the further sets Debian packages, into a copy of
espeak-ng's data under ``$DICTATE_TRAIN_DIR/espeak-ng-en`` (the system's data is not touched;
synth.py points ``ESPEAK_DATA_PATH`` there for TRAIN5's voices), and screens them: for each
candidate, 10 dev sentences spoken at the default rate and pitch, mbrola's missing-diphone
warnings counted and the shipped model's WER measured. Sets with many missing diphones produce
gaps rather than speech and are left out (the chosen ones are ``synth.TRAIN5_MBROLA``).

    python tools/train/mbrola_en.py                  # write the voice files
    python tools/train/mbrola_en.py --screen         # and screen every mb-*-en voice (app venv)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import MODEL_DIR, ROOT, wer, work_dir  # noqa: E402

# Debian's mbrola-* packages whose native espeak-ng voice has no English counterpart yet
# (installed in the setup of tools/train/README.md); hn1 has no espeak-ng voice file at all.
EXTRA_SETS = [
    "de7", "de8", "fr2", "fr3", "fr5", "fr6", "fr7", "nl1", "nl3", "es1", "es2", "es3", "es4",
    "mx1", "mx2", "it1", "it3", "it4", "pt1", "br1", "br3", "br4", "cz2", "tr1", "tr2", "ee1",
    "lt1", "ic1", "id1", "hb2", "in1", "ir1", "la1", "vz1", "cr1", "ca1", "gr1", "ma1", "nz1",
]
KEPT_KEYS = ("gender", "pitch", "voicing", "mbrola")


def system_data() -> Path:
    """espeak-ng's own data folder, as ``espeak-ng --version`` reports it."""
    out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"Data at:\s*(\S+)", out)
    if not match:
        raise RuntimeError(f"cannot find espeak-ng's data folder in {out!r}")
    return Path(match.group(1))


def data_root() -> Path:
    """The folder ``ESPEAK_DATA_PATH`` must name (it holds ``espeak-ng-data``)."""
    return work_dir() / "espeak-ng-en"


def english_voice(native: str, name: str) -> str:
    """An English voice file from a set's native one: same speaker settings, ``language en``."""
    lines = [f"name {name}", "language en 20"]
    lines += [ln.strip() for ln in native.splitlines() if ln.strip().split(" ")[0] in KEPT_KEYS]
    if not any(ln.startswith("mbrola ") for ln in lines):
        raise ValueError(f"{name}: the native voice file names no mbrola set")
    return "\n".join(lines) + "\n"


def write_voices(sets: List[str]) -> Path:
    """Copy espeak-ng's data and add ``mb-<set>-en`` for each installed set; returns the root."""
    root = data_root()
    data = root / "espeak-ng-data"
    if data.exists():
        shutil.rmtree(data)
    shutil.copytree(system_data(), data)
    mb = data / "voices" / "mb"
    for f in mb.iterdir():  # espeak-ng lists at most 349 voices: drop the non-English mbrola ones
        if not (f.name.endswith("-en") or f.name in ("mb-us1", "mb-us2", "mb-us3", "mb-en1")):
            native = f.read_text(encoding="utf-8", errors="replace")
            f.unlink()
            db = f.name[3:]
            if db in sets and Path("/usr/share/mbrola", db).is_dir():
                (mb / f"{f.name}-en").write_text(english_voice(native, f"en-{db}"), encoding="utf-8")
    return root


def speak(voice: str, text: str, root: Optional[Path]) -> Tuple[np.ndarray, int]:
    """(16 kHz float samples, stderr line count) of espeak-ng speaking ``text``."""
    env = dict(os.environ, ESPEAK_DATA_PATH=str(root)) if root else None
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "out.wav"
        proc = subprocess.run(
            ["espeak-ng", "-v", voice, "-w", str(wav), text], env=env, capture_output=True, text=True
        )
        warnings = proc.stderr.count("\n")
        if not wav.exists():
            return np.zeros(0, np.float32), warnings
        x, sr = sf.read(str(wav), dtype="float32", always_2d=True)
    g = np.gcd(sr, 16000)
    return resample_poly(x[:, 0], 16000 // g, sr // g).astype(np.float32), warnings


def screen(root: Path) -> None:
    """Print warnings and the shipped model's WER on 10 dev sentences per ``mb-*-en`` voice."""
    sys.path.insert(0, str(ROOT))
    from dictate.engine.stream import SpeechModel
    from dictate.models.spec import load_spec

    model = SpeechModel.load(load_spec(MODEL_DIR))
    dev = [s for s in (work_dir() / "text" / "dev.txt").read_text(encoding="utf-8").split("\n") if s]
    voices = sorted(f.name for f in (root / "espeak-ng-data" / "voices" / "mb").iterdir())
    for i, voice in enumerate(voices):
        refs, hyps, warnings = [], [], 0
        for k in range(10):
            text = dev[(i * 10 + k) % len(dev)]
            x, n = speak(voice, text, root)
            warnings += n
            if len(x) < 1600:
                continue
            stream = model.create_stream()
            stream.feed(x)
            refs.append(text)
            hyps.append(stream.finish().text)
        score = wer(refs, hyps) if refs else 1.0
        print(f"{voice:12s} clips {len(refs):2d}  warnings {warnings:4d}  WER {score:6.1%}", flush=True)


def main(argv: List[str] | None = None) -> int:
    """Write the voice files; optionally screen them."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--screen", action="store_true", help="also measure every mb-*-en voice")
    args = parser.parse_args(argv)
    root = write_voices(EXTRA_SETS)
    print(f"ESPEAK_DATA_PATH={root}")
    if args.screen:
        screen(root)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

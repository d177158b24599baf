"""Command line: ``dictate`` (the window), transcribe, features, devices, bench, models."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence

import numpy as np

from dictate import __version__
from dictate.errors import DictateError
from dictate.processes import RUN_CHECK_FLAG

if TYPE_CHECKING:
    from dictate.engine.decoder import DecoderSettings
    from dictate.models.spec import ModelSpec

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def parse_hot_word(text: str) -> tuple:
    """``WORD:BOOST`` → (word, boost)."""
    word, sep, boost = text.rpartition(":")
    if not sep or not word:
        raise argparse.ArgumentTypeError(f"hot word '{text}' must look like WORD:BOOST, e.g. stella:5")
    try:
        return word.lower(), float(boost)
    except ValueError:
        raise argparse.ArgumentTypeError(f"hot word boost in '{text}' is not a number") from None


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def add_runner_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="CPU", help="OpenVINO device (default: CPU)")
    p.add_argument("--threads", type=int, default=0, help="inference threads (default: all cores)")
    p.add_argument(
        "--precision",
        default="f32",
        choices=("f32", "bf16", "f16"),
        help="inference precision (default: f32, exact; see README for measurements)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dictate", description="Offline dictation with DeepSpeech models.")
    parser.add_argument("--version", action="version", version=f"dictate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("gui", help="open the dictation window (the default)")

    t = sub.add_parser("transcribe", help="transcribe audio files")
    t.add_argument("files", nargs="+", metavar="FILE", help="audio files (wav, flac, ogg, mp3, …)")
    t.add_argument(
        "--model", help="installed model name, model folder, model.json or .xml (default: the default model)"
    )
    lm = t.add_mutually_exclusive_group()
    lm.add_argument("--scorer", help="KenLM .scorer package (default: the model's own, if any)")
    lm.add_argument("--no-scorer", action="store_true", help="decode without a language model")
    t.add_argument("--beam", type=positive_int, help="beam width (default: the model's, 500 for DeepSpeech)")
    t.add_argument("--lm-alpha", type=float, help="language model weight (default: from the scorer)")
    t.add_argument("--lm-beta", type=float, help="word insertion bonus (default: from the scorer)")
    t.add_argument(
        "--hot-word",
        action="append",
        type=parse_hot_word,
        default=[],
        metavar="WORD:BOOST",
        help="boost a word (needs a scorer); may be repeated",
    )
    t.add_argument("--greedy", action="store_true", help="best-path decoding instead of beam search")
    t.add_argument("--json", action="store_true", help="print JSON with text, confidence and word timings")
    t.add_argument(
        "--chunk-ms", type=positive_int, help="feed the audio through the streaming path in chunks of N ms"
    )
    t.add_argument(
        "--probs-out",
        metavar="OUT.npy",
        help="write the per-frame character probabilities [T, classes] given to the decoder",
    )
    add_runner_options(t)

    f = sub.add_parser("features", help="write the MFCC frames a model sees")
    f.add_argument("file", metavar="FILE")
    f.add_argument("-o", "--output", required=True, metavar="OUT.npy")
    f.add_argument(
        "--profile",
        default="deepspeech-tf",
        choices=("deepspeech-tf", "psf-mfcc"),
        help="feature profile (default: deepspeech-tf, DeepSpeech 0.5+)",
    )
    f.add_argument(
        "--with-final-frame",
        action="store_true",
        help="also the frame DeepSpeech's client computes at finish from the zero-padded leftover samples",
    )

    sub.add_parser("devices", help="list audio input devices")

    b = sub.add_parser("bench", help="measure real-time factor and per-block latency")
    b.add_argument("--model", help="model to measure (default: a random-weight full-size model)")
    b.add_argument("--seconds", type=float, default=20.0, help="seconds of audio (default: 20)")
    b.add_argument(
        "--n-hidden", type=positive_int, default=2048, help="width of the random model (default: 2048)"
    )
    b.add_argument(
        "--weights", default="f32", choices=("f32", "f16", "int8"), help="random model weight storage"
    )
    b.add_argument("--beam", type=positive_int, default=500, help="beam width (default: 500)")
    b.add_argument("--scorer", help="decode with this .scorer (default: the model's own, else none)")
    b.add_argument("--json", action="store_true", help="print JSON")
    b.add_argument(
        "--compare",
        nargs="*",
        metavar="FILE",
        help="compare the reference conversion, fast f32/int8 and TF Lite int8 on one model "
        "(optional FILEs: a DeepSpeech .pb/.pbmm and an int8 .tflite)",
    )
    add_runner_options(b)

    from dictate.models import cli as models_cli

    models_cli.add_parser(sub)
    return parser


def runner_settings(args: argparse.Namespace):
    from dictate.engine.acoustic import RunnerSettings

    return RunnerSettings(device=args.device, threads=args.threads, precision=args.precision)


def decoder_settings(args: argparse.Namespace, spec: ModelSpec) -> DecoderSettings:
    from dictate.engine.decoder import DecoderSettings, probe_scorer

    scorer = None
    alpha, beta = args.lm_alpha, args.lm_beta
    if args.scorer:
        scorer = args.scorer
        if Path(scorer).is_file():
            probe_scorer(scorer, spec.alphabet)  # a damaged one would abort this process
    elif not args.no_scorer and spec.scorer_path is not None:
        scorer = str(spec.scorer_path)
        alpha = spec.lm_alpha if alpha is None else alpha
        beta = spec.lm_beta if beta is None else beta
    return DecoderSettings(
        beam_width=args.beam or spec.beam_width,
        scorer_path=scorer,
        lm_alpha=alpha,
        lm_beta=beta,
        hot_words=dict(args.hot_word),
        greedy=args.greedy,
    )


def save_array(path: Path, array: np.ndarray) -> None:
    """``np.save`` (which adds ``.npy`` if missing); DictateError naming the file on failure."""
    try:
        np.save(str(path), array)
    except OSError as exc:
        raise DictateError(f"Cannot write '{path}': {exc.strerror or exc}") from exc


def probs_path(base: str, audio: Path, many: bool) -> Path:
    """``--probs-out`` target: the path itself for one file, ``<base>.<stem>.npy`` for several."""
    out = Path(base)
    if not many:
        return out
    return out.with_name(f"{out.stem}.{audio.stem}.npy")


def cmd_transcribe(args: argparse.Namespace) -> int:
    from dictate.audio.files import load_audio
    from dictate.engine.stream import SpeechModel
    from dictate.models.resolve import resolve_model

    spec = resolve_model(args.model)
    model = SpeechModel.load(spec, runner_settings(args), decoder_settings(args, spec))
    results: List[Dict[str, object]] = []
    failed = 0
    many = len(args.files) > 1
    for name in args.files:
        path = Path(name)
        try:
            samples = load_audio(path)
        except DictateError as exc:
            print(f"dictate: {exc}", file=sys.stderr)
            failed += 1
            continue
        stream = model.create_stream(keep_probabilities=bool(args.probs_out))
        step = len(samples) if not args.chunk_ms else max(1, args.chunk_ms * 16)
        for i in range(0, len(samples), step):
            stream.feed(samples[i : i + step])
        transcript = stream.finish()
        if args.probs_out:
            try:
                save_array(probs_path(args.probs_out, path, many), stream.probabilities())
            except DictateError as exc:  # the transcript below is still printed
                print(f"dictate: {exc}", file=sys.stderr)
                failed += 1
        if args.json:
            results.append({"file": str(path), **transcript.to_dict()})
        elif many:
            print(f"{path}: {transcript.text}", flush=True)
        else:
            print(transcript.text, flush=True)
    if args.json and results:
        print(json.dumps(results[0] if not many else results, indent=2))
    return EXIT_FAILED if failed else EXIT_OK


def cmd_features(args: argparse.Namespace) -> int:
    from dictate.audio.files import load_audio
    from dictate.engine.features import STEP_SAMPLES, WINDOW_SAMPLES, frame_count, get_profile

    samples = load_audio(args.file)
    profile = get_profile(args.profile)
    frames = profile.compute(samples)
    if args.with_final_frame:
        leftover = np.zeros(WINDOW_SAMPLES, dtype=np.float32)
        rest = samples[frame_count(len(samples)) * STEP_SAMPLES :]
        leftover[: len(rest)] = rest
        frames = np.concatenate([frames, profile.compute(leftover)])
    save_array(Path(args.output), frames)
    print(f"{args.output}: {frames.shape[0]} frames x {frames.shape[1]} coefficients ({args.profile})")
    return EXIT_OK


def cmd_devices(args: argparse.Namespace) -> int:
    from dictate.audio.devices import format_devices, list_input_devices

    devices = list_input_devices()
    if not devices:
        print("No audio input devices found.")
        return EXIT_OK
    print(format_devices(devices))
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    from dictate.bench import format_bench, run_bench
    from dictate.models.resolve import resolve_model

    if args.compare is not None:
        from dictate.bench import format_compare, run_compare

        result = run_compare(args.n_hidden, [Path(f) for f in args.compare], runner_settings(args))
        print(json.dumps(result, indent=2) if args.json else format_compare(result))
        return EXIT_OK
    spec = resolve_model(args.model) if args.model else None
    result = run_bench(
        spec, args.seconds, args.n_hidden, runner_settings(args), args.beam, args.weights, args.scorer
    )
    print(json.dumps(result, indent=2) if args.json else format_bench(result))
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    from dictate.gui.app import run_app

    return run_app()


COMMANDS: Dict[Optional[str], Callable[[argparse.Namespace], int]] = {
    "transcribe": cmd_transcribe,
    "features": cmd_features,
    "devices": cmd_devices,
    "bench": cmd_bench,
    "gui": cmd_gui,
    None: cmd_gui,
}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``dictate`` command."""
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw[:1] == [RUN_CHECK_FLAG]:  # a frozen bundle asked to run a crash check (dictate.checks)
        from dictate.checks import main as run_check

        return run_check(raw[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = COMMANDS.get(args.command) or getattr(args, "handler", None)
    if handler is None:
        parser.error(f"unknown command '{args.command}'")
    try:
        return handler(args)
    except DictateError as exc:
        print(f"dictate: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("dictate: interrupted", file=sys.stderr)
        return 130

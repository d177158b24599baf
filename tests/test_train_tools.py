"""The demo-model training tools' numpy parts: the feature bundle and the folded normalisation."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools" / "train"))
import mbrola_en  # noqa: E402
import pack  # noqa: E402
import synth  # noqa: E402
from augment import band_mask_matrices, vtlp_matrices  # noqa: E402
from common import fold_normalization  # noqa: E402
from interpolate import interpolate  # noqa: E402
from pack import dequantize, quantize  # noqa: E402
from synth import shelf_sos  # noqa: E402
from world_voice import Speaker, draw_speaker, map_f0, tilt_gains, warp_envelope  # noqa: E402


def test_bundle_round_trip_is_within_half_a_step() -> None:
    rng = np.random.default_rng(0)
    feats = np.cumsum(rng.normal(0, 3, size=(5000, 26)), axis=0).astype(np.float32)
    lo, hi = feats.min(axis=0), feats.max(axis=0)
    step = (hi - lo) / 63
    back = dequantize(quantize(feats, lo, step, 64), lo, step)
    assert back.shape == feats.shape
    assert np.all(np.abs(back - feats) <= step / 2 + 1e-4 * np.abs(feats).max())


def test_bundle_clips_values_outside_the_grid() -> None:
    feats = np.array([[-10.0, 0.5], [0.0, 2.0], [5.0, 0.0]], np.float32)
    lo, step = np.array([0.0, 0.0], np.float32), np.array([0.25, 0.25], np.float32)
    back = dequantize(quantize(feats, lo, step, 5), lo, step)  # grid 0, 0.25, ..., 1.0
    np.testing.assert_allclose(back, [[0.0, 0.5], [0.0, 1.0], [1.0, 0.0]])


def _cache_split(features: Path, name: str, frames: np.ndarray, lengths: list) -> None:
    np.save(features / f"{name}.npy", frames)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    np.save(features / f"{name}.index.npy", np.stack([offsets, lengths], axis=1))
    (features / f"{name}.txt").write_text("\n".join(f"{name} {i}" for i in range(len(lengths))) + "\n")


def test_splits_added_to_a_pack_use_its_grid(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("DICTATE_TRAIN_DIR", str(tmp_path))
    features = tmp_path / "features"
    features.mkdir()
    rng = np.random.default_rng(1)
    train = rng.normal(0, 4, size=(3000, 26)).astype(np.float32)
    _cache_split(features, "train", train, [1000, 2000])
    np.savez(features / "stats.npz", mean=train.mean(axis=0), std=train.std(axis=0))
    assert pack.main(["--splits", "train", "--out", str(tmp_path / "p")]) == 0
    grid = (tmp_path / "p" / "meta.json").read_text()
    more = rng.normal(0, 8, size=(500, 26)).astype(np.float32)  # wider: must be clipped to train's grid
    _cache_split(features, "extra", more, [200, 300])
    assert pack.main(["--splits", "extra", "--add-to", str(tmp_path / "p")]) == 0
    meta = (tmp_path / "p" / "meta.json").read_text()
    assert '"splits": ["train", "extra"]' in meta and meta.split('"splits"')[0] == grid.split('"splits"')[0]
    frames, index, texts = pack.load_split(tmp_path / "p", "extra")
    assert index.tolist() == [[0, 200], [200, 300]] and texts == ["extra 0", "extra 1"]
    grid_meta = json.loads(meta)
    lo, step = np.asarray(grid_meta["lo"], np.float32), np.asarray(grid_meta["step"], np.float32)
    hi = lo + step * (grid_meta["levels"] - 1)  # train's 0.02nd to 99.98th percentile
    assert np.all((frames >= lo - 1e-3) & (frames <= hi + 1e-3))  # clipped to train's grid
    inside = (more > lo) & (more < hi)
    assert 0.5 < inside.mean() < 0.999
    assert np.all((np.abs(frames - more) <= step / 2 + 1e-3)[inside])
    train_back, _, _ = pack.load_split(tmp_path / "p", "train")
    assert np.array_equal(train_back, dequantize(quantize(train, lo, step, 64), lo, step))


def test_new_recorded_voices_stay_apart_from_validation_and_test() -> None:
    import random

    splits = ("train4", "train5", "train6", "train7", "train8", "train9", "val4", "val5", "test")
    picked = {split: set() for split in splits}
    for split, voices in picked.items():
        rng = random.Random(split)
        for _ in range(3000):
            engine, voice, _params = synth.pick_voice(rng, split)
            voices.add((engine, voice))
    assert picked["val4"] == set(synth.VAL4_VOICES)
    assert {e for e, _ in picked["train4"]} == {"pico", "espeak"}
    assert len(picked["train4"]) == 2 + 3 + 14
    assert not picked["train4"] & (picked["val4"] | picked["test"])
    assert picked["train5"] == {("espeak", v) for v in synth.TRAIN5_MBROLA}
    assert not picked["train5"] & (picked["train4"] | picked["val4"] | picked["test"])
    assert picked["train6"] == {("piper", v) for v in synth.PIPER_PACKAGES}
    assert not picked["train6"] & (picked["train4"] | picked["train5"] | picked["val4"] | picked["test"])
    assert picked["val5"] == {("kokoro", v) for v in synth.VAL5_KOKORO}
    assert not set(synth.VAL5_KOKORO) & set(synth.KOKORO_SPARE)
    train7 = {v for e, v in picked["train7"] if e == "kokoro"}
    assert len(train7) == len(picked["train7"]) == 3 + 6  # three voices and their ordered pairs
    assert {part for v in train7 for part in v.split("+")} == set(synth.KOKORO_SPARE)
    # the WORLD splits: train9 is train8's kinds of voice plus Piper's joe, none held out
    assert {e for e, _ in picked["train8"]} == {"pico", "espeak", "flite"}
    assert {e for e, _ in picked["train9"]} == {"pico", "espeak", "flite", "piper"}
    assert {(e, v) for e, v in picked["train9"] if e == "piper"} == picked["train6"]
    assert not picked["train8"] & (picked["val4"] | picked["val5"] | picked["test"])
    assert not picked["train9"] & (picked["val4"] | picked["val5"] | picked["test"])


def test_kokoro_blends_two_speakers_style_vectors(monkeypatch) -> None:
    import types

    seen = {}

    class FakeSession:
        def run(self, _outputs, feeds):
            seen.update(feeds)
            return [np.ones((1, 480), np.float32)]

    voices = {"a": np.full((510, 1, 256), 2.0), "b": np.full((510, 1, 256), 6.0)}
    voices["a"][3] = 10.0  # the vector for four tokens
    vocab = {"h": 1, "i": 2, " ": 3}
    monkeypatch.setattr(synth, "_KOKORO", {"session": FakeSession(), "vocab": vocab, "voices": voices})
    monkeypatch.setattr(synth.subprocess, "run", lambda *a, **k: types.SimpleNamespace(stdout="hi i\n"))
    audio, rate = synth.kokoro_speak("a+b", {"rate": 1.1, "blend": 0.25}, "hi i")
    assert rate == 24000 and audio.shape == (480,)
    assert seen["tokens"].tolist() == [[0, 1, 2, 3, 2, 0]]
    np.testing.assert_allclose(seen["style"], np.full((1, 256), 0.25 * 10.0 + 0.75 * 6.0))
    synth.kokoro_speak("a", {"rate": 1.0}, "hi i")
    np.testing.assert_allclose(seen["style"], np.full((1, 256), 10.0))
    np.testing.assert_allclose(seen["speed"], [1.0])


def test_espeak_ipa_becomes_kokoro_symbols() -> None:
    vocab = {c: i for i, c in enumerate("plˈiːz ʤɑnAɾəɹIWOʧ")}
    ipa = "plˈiːz dʒˈɑːn lˈeɪɾɚ_\n"  # espeak-ng --ipa: affricate and diphthong as two symbols
    tokens = synth.kokoro_phonemes(ipa, vocab)
    assert "".join(next(c for c, i in vocab.items() if i == t) for t in tokens) == "plˈiːz ʤˈɑːn lˈAɾəɹ"
    assert synth.kokoro_phonemes("tʃaɪ x", vocab) == [vocab["ʧ"], vocab["I"], vocab[" "]]  # x unknown


def test_piper_voice_is_loaded_once_and_driven_by_the_utterance_params(monkeypatch) -> None:
    import types

    loads, configs = [], []

    class Chunk:
        def __init__(self, audio: np.ndarray) -> None:
            self.audio_float_array, self.sample_rate = audio, 22050

    class FakeVoice:
        @staticmethod
        def load(model, config_path=None):
            loads.append((str(model), str(config_path)))
            return FakeVoice()

        def synthesize(self, text, syn_config=None):
            configs.append(syn_config)
            return [Chunk(np.full(3, 0.5, np.float32)), Chunk(np.full(2, -0.5, np.float32))] if text else []

    class FakeConfig:
        def __init__(self, **kwargs) -> None:
            self.__dict__.update(kwargs)

    fake_piper = types.SimpleNamespace(PiperVoice=FakeVoice, SynthesisConfig=FakeConfig)
    fake_voice = types.SimpleNamespace(model_path=lambda: "v.onnx", config_path=lambda: "v.onnx.json")
    monkeypatch.setitem(sys.modules, "piper", fake_piper)
    monkeypatch.setitem(sys.modules, "fake_voice_pkg", fake_voice)
    monkeypatch.setitem(synth.PIPER_PACKAGES, "fake", "fake_voice_pkg")
    monkeypatch.setattr(synth, "_PIPER_LOADED", {})
    params = {"rate": 1.25, "pitch": 0.3, "noise": 0.5, "noise_w": 0.7}
    for _ in range(2):
        samples, rate = synth.synthesize("piper", "fake", params, "two sentences", Path("."))
    assert loads == [("v.onnx", "v.onnx.json")]  # once per process
    assert rate == 22050 and samples.dtype == np.float64
    assert samples.tolist() == [0.5, 0.5, 0.5, -0.5, -0.5]
    assert configs[0].length_scale == pytest.approx(0.8)  # rate 1.25 = faster = shorter phonemes
    assert (configs[0].noise_scale, configs[0].noise_w_scale) == (0.5, 0.7)
    with pytest.raises(RuntimeError, match="no audio"):
        synth.synthesize("piper", "fake", params, "", Path("."))


def test_english_voice_keeps_the_speaker_and_switches_the_language() -> None:
    native = "language es-es 7\nlanguage es 7\nname spanish-mbrola-1\ngender male\npitch 82 117\n\n"
    native += "mbrola es1 es_phtrans\nvoicing 120\n"
    lines = mbrola_en.english_voice(native, "en-es1").splitlines()
    assert lines[:2] == ["name en-es1", "language en 20"]
    assert sorted(lines[2:]) == ["gender male", "mbrola es1 es_phtrans", "pitch 82 117", "voicing 120"]
    with pytest.raises(ValueError, match="no mbrola set"):
        mbrola_en.english_voice("name x\nlanguage de\n", "en-x")


def test_folded_normalisation_gives_the_same_layer_output() -> None:
    rng = np.random.default_rng(1)
    window, coeffs, width = 19, 26, 8
    mean, std = rng.normal(size=coeffs), rng.uniform(0.5, 3.0, size=coeffs)
    w, b = rng.normal(size=(window * coeffs, width)), rng.normal(size=width)
    x = rng.normal(size=(4, window * coeffs)) * 5
    want = ((x - np.tile(mean, window)) / np.tile(std, window)) @ w + b
    fw, fb = fold_normalization(w, b, mean, std, window)
    np.testing.assert_allclose(x @ fw.astype(np.float64) + fb, want, rtol=1e-4, atol=1e-3)


def _dct(channels: int = 40) -> np.ndarray:
    k, i = np.arange(26)[:, None], np.arange(channels)[None, :]
    return np.sqrt(2.0 / channels) * np.cos(np.pi * k * (i + 0.5) / channels)


def test_vtlp_is_the_identity_at_alpha_one_and_keeps_silence() -> None:
    unit, lower = vtlp_matrices(np.array([1.0, 0.85]))
    np.testing.assert_allclose(unit, np.eye(26), atol=1e-6)
    silence = _dct() @ np.full(40, np.log(1e-12))  # TF's log floor in every mel channel
    np.testing.assert_allclose(lower @ silence, silence, atol=1e-3)


def test_vtlp_moves_a_formant_up_for_alpha_above_one() -> None:
    spectrum = np.exp(-0.5 * ((np.arange(40) - 15.0) / 2.0) ** 2) * 10.0  # a log-mel bump at channel 15
    coeffs = _dct() @ spectrum
    back = np.linalg.pinv(_dct())
    peaks = [int(np.argmax(back @ (m @ coeffs))) for m in vtlp_matrices(np.array([0.85, 1.0, 1.15]))]
    assert peaks[0] < peaks[1] == 15 < peaks[2]


def test_band_masks_keep_the_level_and_remove_detail_inside_the_band() -> None:
    masks = band_mask_matrices(6)
    assert masks.shape == (sum(40 - w + 1 for w in range(1, 7)), 26, 26)
    flat = _dct() @ np.full(40, -3.0)
    np.testing.assert_allclose(masks @ flat, np.broadcast_to(flat, (len(masks), 26)), atol=1e-4)
    spectrum = np.exp(-0.5 * ((np.arange(40) - 15.0) / 1.5) ** 2) * 10.0  # a bump at channel 15
    back = np.linalg.pinv(_dct())
    masked = back @ (masks[190 + 12] @ (_dct() @ spectrum))  # width 6 from channel 12: 12..17
    assert masked[12:18].max() < 0.5 * spectrum[15]
    untouched = back @ (masks[0 + 30] @ (_dct() @ spectrum))  # width 1 at channel 30: far away
    assert abs(untouched[15] - (back @ (_dct() @ spectrum))[15]) < 0.5


def test_shelving_filters_lift_their_own_band_only() -> None:
    from scipy.signal import sosfreqz

    probes = [50.0, 1000.0, 7000.0]
    low = 20 * np.log10(np.abs(sosfreqz(shelf_sos(250.0, 12.0, high=False), worN=probes, fs=16000)[1]))
    high = 20 * np.log10(np.abs(sosfreqz(shelf_sos(3000.0, -9.0, high=True), worN=probes, fs=16000)[1]))
    np.testing.assert_allclose(low, [12.0, 0.0, 0.0], atol=0.3)
    np.testing.assert_allclose(high, [0.0, 0.0, -9.0], atol=0.3)


def test_weight_interpolation_mixes_arrays_and_refuses_other_normalisations() -> None:
    import pytest

    a = {"w": np.zeros((2, 3), np.float32), "train:mean": np.ones(2, np.float32)}
    b = {"w": np.full((2, 3), 4.0, np.float32), "train:mean": np.ones(2, np.float32)}
    np.testing.assert_array_equal(interpolate(a, b, 0.25)["w"], np.ones((2, 3)))
    assert interpolate(a, b, 0.25)["w"].dtype == np.float32
    with pytest.raises(SystemExit, match="train:mean differs"):
        interpolate(a, {**b, "train:mean": np.zeros(2, np.float32)}, 0.5)


def test_distillation_loss_is_zero_for_the_teacher_and_ignores_padding() -> None:
    import pytest

    torch = pytest.importorskip("torch")  # a dev-only dependency of tools/train/train_torch.py
    from train_torch import distill_loss, distort

    g = torch.Generator().manual_seed(0)
    teacher = torch.randn(2, 7, 29, generator=g)
    lens = torch.tensor([7, 4])
    assert float(distill_loss(teacher, teacher, lens)) == pytest.approx(0.0, abs=1e-6)
    student = teacher.clone()
    student[1, 4:] = torch.randn(3, 29, generator=g)  # beyond the second utterance's end
    assert float(distill_loss(student, teacher, lens)) == pytest.approx(0.0, abs=1e-6)
    student[1, 0] += 3.0 * torch.randn(29, generator=g)
    assert float(distill_loss(student, teacher, lens)) > 0.01

    feats = torch.randn(2, 7, 26, generator=g)
    feats[1, 4:] = 0.0  # raw zero frames after the end
    out = distort(feats, lens, np.random.default_rng(0), torch.ones(26), channel=1.0)
    assert torch.all(out[1, 4:] == 0.0)
    shift = out[0] - feats[0]  # one constant offset per utterance, none on c0
    assert torch.allclose(shift, shift[:1].expand_as(shift), atol=1e-6)
    assert float(shift[0, 0]) == 0.0 and float(shift[0, 1:].abs().max()) > 0.0


def test_weights_read_back_from_a_built_ir_are_the_arrays_it_was_built_from(tmp_path: Path) -> None:
    import openvino as ov
    from weights_from_ir import arrays_from_model, max_difference, unfold_normalization

    from dictate.models.build import build_acoustic_model
    from dictate.models.weights import random_weights

    weights = random_weights(16, seed=3)
    ov.save_model(build_acoustic_model(weights), tmp_path / "model.xml", compress_to_fp16=False)
    model = ov.Core().read_model(tmp_path / "model.xml")
    back = arrays_from_model(model)
    assert set(back) == set(weights)
    for key, value in weights.items():
        np.testing.assert_array_equal(back[key], value, err_msg=key)
    assert max_difference(model, build_acoustic_model(back)) == 0.0

    rng = np.random.default_rng(4)
    mean, std = rng.normal(size=26), rng.uniform(0.5, 3.0, size=26)
    full = unfold_normalization(back, mean, std)
    fw, fb = fold_normalization(full["train:layer_1/weights"], full["train:layer_1/bias"], mean, std, 19)
    np.testing.assert_allclose(fw, weights["layer_1/weights"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fb, weights["layer_1/bias"], rtol=1e-4, atol=1e-4)


def test_weights_are_not_read_from_an_int8_build() -> None:
    from weights_from_ir import arrays_from_model

    from dictate.models.build import build_acoustic_model
    from dictate.models.weights import random_weights

    with pytest.raises(SystemExit, match="int8"):
        arrays_from_model(build_acoustic_model(random_weights(16, seed=3), weight_format="int8"))


def test_train5_names_the_mbrola_packages_it_lacks(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    voices = tmp_path / "espeak-ng-data" / "voices" / "mb"
    written = []

    def write_some(sets: list) -> Path:  # as if only the first set were installed
        voices.mkdir(parents=True, exist_ok=True)
        (voices / f"mb-{synth.TRAIN5_SETS[0]}-en").write_text("name x\n")
        written.append(sets)
        return tmp_path

    monkeypatch.setattr(synth, "mbrola_en_root", lambda: tmp_path)
    monkeypatch.setattr(synth, "write_voices", write_some)
    with pytest.raises(SystemExit, match=f"mbrola-{synth.TRAIN5_SETS[1]}") as err:
        synth.ensure_train5_voices()
    assert f"mbrola-{synth.TRAIN5_SETS[0]} " not in str(err.value) and written
    for db in synth.TRAIN5_SETS:
        (voices / f"mb-{db}-en").write_text("name x\n")
    written.clear()
    synth.ensure_train5_voices()  # all there: nothing rewritten
    assert not written


def test_widening_keeps_the_outputs_and_gives_each_copy_its_own_share() -> None:
    from common import LSTM_SCOPE, numpy_probs
    from widen import widen

    from dictate.models.weights import random_weights

    rng = np.random.default_rng(5)
    weights = random_weights(16, seed=5)
    wide = widen(weights, 24, rng)
    assert wide[f"{LSTM_SCOPE}/kernel"].shape == (48, 96) and wide["layer_6/weights"].shape == (24, 29)
    assert wide["layer_1/weights"].shape == (494, 24) and set(wide) == set(weights)
    feats = rng.normal(0.0, 20.0, size=(40, 26))
    np.testing.assert_allclose(numpy_probs(wide, feats), numpy_probs(weights, feats), atol=1e-5)
    # every new LSTM unit repeats an old one's input gate column, its outgoing rows differ in scale
    i_gate = wide[f"{LSTM_SCOPE}/kernel"][:, :24]
    out_rows = wide["layer_5/weights"]
    for new in range(16, 24):
        old = int(np.flatnonzero(np.all(i_gate[:, :16] == i_gate[:, new : new + 1], axis=0))[0])
        ratio = out_rows[new] / out_rows[old]
        assert np.allclose(ratio, ratio[0]) and not np.isclose(ratio[0], 1.0)
    with pytest.raises(SystemExit, match="between 16 and 32"):
        widen(weights, 40, rng)


def test_world_speaker_moves_formants_and_pitch_and_keeps_unvoiced_frames() -> None:
    bins = np.arange(513)
    envelope = np.exp(-0.5 * ((bins - 100) / 8.0) ** 2)[None, :] + 1e-6  # one formant at bin 100
    assert np.argmax(warp_envelope(envelope, 1.2)) == 120
    assert np.argmax(warp_envelope(envelope, 0.85)) == 85
    np.testing.assert_allclose(warp_envelope(envelope, 1.0), envelope, rtol=1e-9)

    gains_db = 10 * np.log10(tilt_gains(513, 16000, 3.0))
    k1, k2 = 64, 128  # 1 kHz and 2 kHz at 16 kHz with 1,024-point frames
    assert abs(gains_db[k1]) < 1e-9 and abs(gains_db[k2] - 3.0) < 1e-9

    f0 = np.array([0.0, 100.0, 200.0, 0.0, 400.0])
    speaker = Speaker(f0_scale=0.5, f0_range=0.5, warp=1.0, tilt_db_per_octave=0.0, ap_power=1.0)
    out = map_f0(f0, speaker)
    assert out[0] == 0.0 and out[3] == 0.0
    # geometric mean 200 -> 100, deviations halved
    np.testing.assert_allclose(out[[1, 2, 4]], [70.7106781, 100.0, 141.4213562])

    import random

    speakers = [draw_speaker(random.Random(i)) for i in range(200)]
    assert speakers[7] == draw_speaker(random.Random(7))
    assert all(0.84 <= s.warp <= 1.2 and 0.55 <= s.f0_scale <= 1.8 for s in speakers)
    low = [s.f0_scale for s in speakers if s.warp < 0.95]
    high = [s.f0_scale for s in speakers if s.warp > 1.1]
    assert np.mean(low) < 1.0 < np.mean(high)  # longer vocal tracts mostly speak lower

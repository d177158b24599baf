"""Train the demo model's DeepSpeech network with CTC in PyTorch, on a GPU if there is one (dev only).

    python tools/train/train_torch.py --pack <work>/pack --out OUT [--n-hidden 512] [--minutes 7]

The same network as ``model.py`` (3 dense layers with ReLU clipped at 20, one LSTM with
forget bias 0, a dense layer, 29 classes with blank last; 19×26 windows of raw MFCCs with
zero frames beyond the ends), written for PyTorch so that a lent GPU can train it in
minutes. It reads a bundle made by ``pack.py`` and writes ``OUT/best_weights.npz`` (best by
dev loss; at the end also ``OUT/last_weights.npz``) in the layout ``export.py`` takes:
DeepSpeech's variable names, the LSTM as TF's ``BlockLSTM`` kernel ``[n_x + n, 4n]`` with
gates i, c, f, o (PyTorch's are i, f, g, o, and its two biases are summed), normalisation
folded into ``layer_1``. Before writing, a float64 numpy forward pass of the converted arrays
is compared with the PyTorch model (``check_export``).

Training: Adam, learning rate warmed up then cosine-decayed over a wall-clock budget
(``--minutes``), gradient clipping, dropout on the ReLU layers; on the fly, tempo
perturbation (frames resampled by 0.88–1.12 in time), time masks and feature noise. Dev loss
and greedy WER every ``--eval-every`` seconds; the best weights by dev loss are kept and
written after each evaluation, so a run cut short still leaves a model behind, and so is a
checkpoint (weights, optimizer, random state, elapsed time): ``--resume`` with the same
arguments continues a stopped run within the same wall-clock budget and learning-rate schedule.

Fine-tuning (``--init``) can add a consistency loss (``--distill W``): the initial model, frozen,
sees each batch with only the tempo, masks and noise; the model being trained sees the same
batch after the spectral changes (``--vtlp``, ``--channel``, ``--freq-mask``) and learns
CTC + W × the per-frame KL divergence from the frozen model's outputs, so that it learns to
ignore those changes without forgetting what it knew.

``--average-from F`` also keeps a running mean of the weights after every update from the
fraction F of the budget on (stochastic weight averaging, ``torch.optim.swa_utils.AveragedModel``),
written at the end as ``OUT/avg_weights.npz`` with its dev loss.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.swa_utils import AveragedModel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from augment import band_mask_matrices, vtlp_matrices  # noqa: E402
from common import (  # noqa: E402
    BLANK,
    LSTM_SCOPE,
    N_CLASSES,
    N_CONTEXT,
    N_INPUT,
    RELU_CLIP,
    WINDOW,
    encode,
    fold_normalization,
    greedy_text,
    numpy_probs,
    wer,
)
from pack import load_split  # noqa: E402


class DeepSpeechTorch(nn.Module):
    """DeepSpeech's network with LSTM width ``n_hidden``, on normalised context windows."""

    def __init__(self, n_hidden: int, mean: np.ndarray, std: np.ndarray) -> None:
        super().__init__()
        n = n_hidden
        self.n_hidden = n
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))
        self.layer_1 = nn.Linear(WINDOW * N_INPUT, n)
        self.layer_2 = nn.Linear(n, n)
        self.layer_3 = nn.Linear(n, n)
        self.lstm = nn.LSTM(n, n, batch_first=True)
        self.layer_5 = nn.Linear(n, n)
        self.layer_6 = nn.Linear(n, N_CLASSES)
        with torch.no_grad():
            for layer in (self.layer_1, self.layer_2, self.layer_3, self.layer_5, self.layer_6):
                nn.init.xavier_uniform_(layer.weight)
                layer.bias.zero_()
            self.lstm.bias_ih_l0.zero_()
            self.lstm.bias_hh_l0.zero_()
            self.lstm.bias_ih_l0[n : 2 * n] = 1.0  # forget gate starts open (graph forget_bias stays 0)

    def windows(self, feats: torch.Tensor) -> torch.Tensor:
        """``[B, T, 26]`` raw MFCCs → ``[B, T, 19*26]`` normalised windows (raw zeros beyond the ends)."""
        padded = F.pad(feats, (0, 0, N_CONTEXT, N_CONTEXT))
        normed = (padded - self.mean) / self.std
        frames = normed.unfold(1, WINDOW, 1)  # [B, T, 26, 19]
        return frames.transpose(2, 3).reshape(feats.shape[0], feats.shape[1], WINDOW * N_INPUT)

    def forward(self, feats: torch.Tensor, dropout: float = 0.0) -> torch.Tensor:
        """Unnormalised class scores ``[B, T, 29]``."""
        x = self.windows(feats)
        for layer in (self.layer_1, self.layer_2, self.layer_3):
            x = F.dropout(torch.clamp(layer(x), 0.0, RELU_CLIP), dropout, self.training)
        x, _ = self.lstm(x)
        x = F.dropout(torch.clamp(self.layer_5(x), 0.0, RELU_CLIP), dropout, self.training)
        return self.layer_6(x)


def deepspeech_arrays(model: DeepSpeechTorch) -> Dict[str, np.ndarray]:
    """DeepSpeech-named float32 arrays (export.py's layout) plus the ``train:`` extras it checks with."""
    sd = {k: v.detach().cpu().double().numpy() for k, v in model.state_dict().items()}
    n = model.n_hidden
    mean, std = sd["mean"], sd["std"]

    def tf_gates(m: np.ndarray) -> np.ndarray:  # PyTorch i, f, g, o → TF BlockLSTM i, c(g), f, o
        i, f, g, o = np.split(m, 4, axis=0)
        return np.concatenate([i, g, f, o], axis=0)

    w_ih, w_hh = tf_gates(sd["lstm.weight_ih_l0"]), tf_gates(sd["lstm.weight_hh_l0"])
    kernel = np.concatenate([w_ih.T, w_hh.T], axis=0)
    bias = tf_gates(sd["lstm.bias_ih_l0"] + sd["lstm.bias_hh_l0"])
    w1, b1 = sd["layer_1.weight"].T, sd["layer_1.bias"]
    fw1, fb1 = fold_normalization(w1, b1, mean, std, WINDOW)
    out = {"layer_1/weights": fw1, "layer_1/bias": fb1}
    for name in ("layer_2", "layer_3", "layer_5", "layer_6"):
        out[f"{name}/weights"] = sd[f"{name}.weight"].T
        out[f"{name}/bias"] = sd[f"{name}.bias"]
    out[f"{LSTM_SCOPE}/kernel"] = kernel
    out[f"{LSTM_SCOPE}/bias"] = bias
    out.update({"train:mean": mean, "train:std": std, "train:layer_1/weights": w1, "train:layer_1/bias": b1})
    assert kernel.shape == (2 * n, 4 * n)
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def check_export(model: DeepSpeechTorch, arrays: Dict[str, np.ndarray], feats: np.ndarray) -> float:
    """Max |PyTorch softmax − numpy forward of the exported arrays| on one utterance."""
    model.eval()
    with torch.no_grad():
        x = torch.tensor(feats[None], dtype=torch.float32, device=model.mean.device)
        want = torch.softmax(model(x).double(), dim=-1)[0].cpu().numpy()
    return float(np.max(np.abs(numpy_probs(arrays, feats) - want)))


class Split:
    """A packed split held on the training device: frames, lengths, padded labels."""

    def __init__(self, pack: Path, names: str, device: torch.device) -> None:
        feats, index, texts = [], [], []
        offset = 0
        for name in names.split(","):
            f, idx, t = load_split(pack, name)
            feats.append(f)
            index.append(idx + np.array([offset, 0]))
            texts += t
            offset += len(f)
        feats.append(np.zeros((1, N_INPUT), np.float32))  # row `offset`: the padding frame
        self.pad_row = offset
        self.feats = torch.tensor(np.concatenate(feats), device=device)
        self.index = np.concatenate(index)
        self.texts = texts
        self.labels = [np.array(encode(s), np.int64) for s in texts]
        self.device = device

    def __len__(self) -> int:
        return len(self.index)

    def batches(self, frame_budget: int, rng: np.random.Generator) -> List[np.ndarray]:
        """Groups of similar length, each under ``frame_budget`` padded frames, shuffled."""
        order = np.argsort(self.index[:, 1] + rng.uniform(0, 8, len(self)))
        out, cur, longest = [], [], 0
        for i in order:
            n = int(self.index[i, 1])
            if cur and max(longest, n) * (len(cur) + 1) > frame_budget:
                out.append(np.array(cur))
                cur, longest = [], 0
            cur.append(int(i))
            longest = max(longest, n)
        if cur:
            out.append(np.array(cur))
        rng.shuffle(out)
        return out

    def batch(self, ids: np.ndarray) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Padded raw frames ``[B, T, 26]`` (raw zeros after each end), lengths, labels, label lengths."""
        offs, lens = self.index[ids, 0], self.index[ids, 1]
        t = np.arange(lens.max())
        rows = np.where(t[None, :] < lens[:, None], offs[:, None] + t[None, :], self.pad_row)
        x = self.feats[torch.from_numpy(rows).to(self.device)]
        labs = [self.labels[i] for i in ids]
        y = torch.from_numpy(np.concatenate(labs)).to(self.device)
        ylens = torch.tensor([len(lab) for lab in labs], device=self.device)
        return x, torch.from_numpy(lens).to(self.device), y, ylens


def distort(
    x: torch.Tensor,
    lens: torch.Tensor,
    rng: np.random.Generator,
    std: torch.Tensor,
    vtlp: Optional[torch.Tensor] = None,
    channel: float = 0.0,
    bands: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """The per-utterance spectral changes: optional VTLP (one of the ``vtlp`` maps per
    utterance, see :func:`vtlp_matrices`), optional frequency masks (one of the ``bands`` maps
    for half the utterances, see :func:`band_mask_matrices`), optional channel offsets (one
    random smooth filter per utterance: a constant offset on cepstra 1…, ``channel`` × their
    std, smaller for higher coefficients). Raw zero frames beyond ``lens`` stay zero."""
    b, t, _ = x.shape
    maps = None
    if vtlp is not None:
        maps = vtlp[torch.from_numpy(rng.integers(0, len(vtlp), b)).to(x.device)]
    if bands is not None:
        masks = bands[torch.from_numpy(rng.integers(0, len(bands), b)).to(x.device)]
        skip = torch.from_numpy(rng.random(b) < 0.5).to(x.device)
        masks[skip] = torch.eye(x.shape[2], device=x.device)
        maps = masks if maps is None else torch.bmm(masks, maps)  # warp first, then mask
    if maps is not None:
        x = torch.einsum("btc,bdc->btd", x, maps)  # raw zero frames stay zero
    if channel > 0:
        k = torch.arange(x.shape[2], device=x.device, dtype=torch.float32)
        scale = channel * std * torch.exp(-k / 8.0) * (k > 0)
        offset = torch.from_numpy(rng.standard_normal((b, x.shape[2])).astype(np.float32)).to(x.device)
        inside = (torch.arange(t, device=x.device)[None, :] < lens[:, None])[..., None]
        x = x + (offset * scale)[:, None, :] * inside
    return x


def perturb(
    x: torch.Tensor,
    lens: torch.Tensor,
    rng: np.random.Generator,
    mean: torch.Tensor,
    std: torch.Tensor,
    noise: float,
    vtlp: Optional[torch.Tensor] = None,
    channel: float = 0.0,
    bands: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """The spectral changes of :func:`distort`, then tempo perturbation (linear resampling of
    the frames in time), time masks, feature noise."""
    b, t, _ = x.shape
    x = distort(x, lens, rng, std, vtlp, channel, bands)
    rate = float(rng.uniform(0.88, 1.12))  # >1: faster speech, fewer frames
    if abs(rate - 1.0) > 0.01:
        new_t = max(2, int(t / rate))
        pos = torch.arange(new_t, device=x.device, dtype=torch.float32) * rate
        lo = pos.floor().long().clamp(max=t - 1)
        hi = (lo + 1).clamp(max=t - 1)
        w = (pos - lo.float()).clamp(0, 1)[None, :, None]
        x = x[:, lo] * (1 - w) + x[:, hi] * w
        lens = torch.clamp(torch.floor(lens.float() / rate).long(), 1, new_t)
        x = x * (torch.arange(new_t, device=x.device)[None, :] < lens[:, None])[..., None]  # raw zeros after
    n = x.shape[1]
    steps = torch.arange(n, device=x.device)[None, :]
    masked = torch.zeros(b, n, dtype=torch.bool, device=x.device)
    for _ in range(int(rng.integers(0, 4))):  # time masks: frames set to the mean (0 once normalised)
        width = int(rng.integers(2, 10))
        start = torch.from_numpy(rng.integers(0, max(1, n - width), b)).to(x.device)
        masked |= (steps >= start[:, None]) & (steps < start[:, None] + width) & (steps < lens[:, None])
    if noise > 0:
        x = x + torch.randn_like(x) * (noise * std) * (steps < lens[:, None])[..., None]
    x = torch.where(masked[..., None], mean, x)
    return x, lens


def distill_loss(student: torch.Tensor, teacher: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
    """KL(teacher ‖ student) of the per-frame class distributions, averaged over each utterance's
    frames (those before ``lens``) and summed over the batch."""
    log_s = F.log_softmax(student.float(), dim=-1)
    log_t = F.log_softmax(teacher.float(), dim=-1)
    kl = (log_t.exp() * (log_t - log_s)).sum(-1)
    inside = torch.arange(kl.shape[1], device=kl.device)[None, :] < lens[:, None]
    return ((kl * inside).sum(1) / lens.float()).sum()


def save(path: Path, arrays: Dict[str, np.ndarray], dtype: str) -> None:
    """Write the arrays through a temporary file, optionally rounded to float16.

    When rounded, the folded ``layer_1`` is recomputed (in float32) from the rounded
    ``train:`` arrays, so that the exported graph and the training model stay the same function.
    """
    out = {k: v.astype(dtype) for k, v in arrays.items()}
    if dtype != "float32":
        w1, b1 = fold_normalization(
            out["train:layer_1/weights"],
            out["train:layer_1/bias"],
            out["train:mean"],
            out["train:std"],
            WINDOW,
        )
        out["layer_1/weights"], out["layer_1/bias"] = w1, b1
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **out)
    tmp.replace(path)


def save_checkpoint(
    path: Path,
    model: DeepSpeechTorch,
    opt: torch.optim.Optimizer,
    rng: np.random.Generator,
    best: float,
    step: int,
    epoch: int,
    history: List[dict],
    elapsed: float,
    average: Optional[AveragedModel] = None,
) -> None:
    """Everything ``--resume`` needs, written through a temporary file. A resumed run starts
    a freshly shuffled epoch (the rest of the interrupted one is skipped)."""
    state = {
        "average": None if average is None else average.state_dict(),
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "rng": rng.bit_generator.state,
        "torch_rng": torch.get_rng_state(),
        "best": best,
        "step": step,
        "epoch": epoch + 1,
        "history": history,
        "elapsed": elapsed,
    }
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def ctc_loss(logits: torch.Tensor, lens: torch.Tensor, y: torch.Tensor, ylens: torch.Tensor) -> torch.Tensor:
    """Per-utterance CTC loss divided by the transcript length (summed over the batch)."""
    logp = F.log_softmax(logits.float(), dim=-1).transpose(0, 1)
    loss = F.ctc_loss(logp, y, lens, ylens, blank=BLANK, reduction="none", zero_infinity=True)
    return (loss / ylens.float()).sum()


def evaluate(model: DeepSpeechTorch, split: Split, frame_budget: int) -> Tuple[float, float]:
    """Mean CTC loss per character and greedy WER over a split."""
    model.eval()
    total, refs, hyps = 0.0, [], []
    with torch.no_grad():
        for ids in split.batches(frame_budget, np.random.default_rng(0)):
            x, lens, y, ylens = split.batch(ids)
            logits = model(x)
            total += float(ctc_loss(logits, lens, y, ylens))
            out = logits.float().cpu().numpy()
            for k, i in enumerate(ids):
                refs.append(split.texts[i])
                hyps.append(greedy_text(out[k], int(lens[k])))
    model.train()
    return total / len(split), wer(refs, hyps)


def learning_rate(frac: float, peak: float, warmup: float = 0.04, floor: float = 0.03) -> float:
    """Linear warm-up, then cosine decay to ``floor × peak`` at the end of the budget."""
    if frac < warmup:
        return peak * max(frac / warmup, 0.02)
    p = min(1.0, (frac - warmup) / (1.0 - warmup))
    return peak * (floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * p)))


def main(argv: List[str] | None = None) -> int:
    """Train within a wall-clock budget; write the best weights by dev loss."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pack", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--train-splits", default="train,train2,train3")
    parser.add_argument("--n-hidden", type=int, default=512)
    parser.add_argument("--minutes", type=float, default=7.0, help="wall-clock training budget")
    parser.add_argument("--lr", type=float, default=1.5e-3)
    parser.add_argument("--dropout", type=float, default=0.15)
    parser.add_argument("--feature-noise", type=float, default=0.05)
    parser.add_argument("--frame-budget", type=int, default=40000, help="padded frames per batch")
    parser.add_argument("--eval-every", type=float, default=45.0, help="seconds between dev evaluations")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--vtlp", type=float, default=0.0, help="warp each utterance's frequency axis by 1 ± up to this"
    )
    parser.add_argument(
        "--freq-mask", type=int, default=0, help="mask up to this many of 40 mel bands (half the utterances)"
    )
    parser.add_argument(
        "--channel", type=float, default=0.0, help="per-utterance cepstral offsets, × the coefficients' std"
    )
    parser.add_argument(
        "--report-test",
        action="store_true",
        help="also print the best weights' greedy WER on the pack's test split (keep it off while choosing)",
    )
    parser.add_argument(
        "--average-from",
        type=float,
        default=None,
        help="average the weights of every update from this fraction of the budget on (OUT/avg_weights.npz)",
    )
    parser.add_argument("--init", type=Path, default=None, help="start from these best_weights.npz arrays")
    parser.add_argument(
        "--distill",
        type=float,
        default=0.0,
        help="with --init: add this × KL(the --init model on the undistorted batch ‖ the model on the "
        "VTLP/channel/band-masked one), per frame, to the CTC loss",
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue from OUT/checkpoint.pt (written at each evaluation)"
    )
    parser.add_argument(
        "--save-dtype", choices=["float32", "float16"], default="float32", help="float16 halves the file"
    )
    args = parser.parse_args(argv)

    start = time.time()
    device = torch.device(
        "cuda"
        if args.device == "auto" and torch.cuda.is_available()
        else ("cpu" if args.device == "auto" else args.device)
    )
    torch.manual_seed(args.seed)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    meta = json.loads((args.pack / "meta.json").read_text())
    mean, std = np.array(meta["mean"], np.float32), np.array(meta["std"], np.float32)
    train = Split(args.pack, args.train_splits, device)
    dev = Split(args.pack, "dev", device)
    print(
        f"device {device} ({torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu'}); "
        f"train {len(train)} utt, {train.feats.shape[0] / 180000:.2f} h; dev {len(dev)}; "
        f"loaded in {time.time() - start:.0f} s",
        flush=True,
    )
    if args.init is not None:  # fine-tuning keeps the initial model's normalisation
        init = {k: v.astype(np.float32) for k, v in np.load(args.init).items()}
        model = model_from_arrays(init, device).train()
        mean, std = init["train:mean"], init["train:std"]
    else:
        model = DeepSpeechTorch(args.n_hidden, mean, std).to(device)
    vtlp = None
    if args.vtlp > 0:
        vtlp = torch.tensor(vtlp_matrices(np.linspace(1 - args.vtlp, 1 + args.vtlp, 31)), device=device)
    bands = torch.tensor(band_mask_matrices(args.freq_mask), device=device) if args.freq_mask > 0 else None
    teacher = None
    if args.distill > 0:
        if args.init is None:
            parser.error("--distill needs --init (the teacher is the initial model)")
        teacher = model_from_arrays(init, device).eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    args.out.mkdir(parents=True, exist_ok=True)
    budget = args.minutes * 60.0
    t0 = time.time()
    last_eval, best, step, epoch, history = t0, math.inf, 0, 0, []
    rng = np.random.default_rng(args.seed)
    checkpoint = args.out / "checkpoint.pt"
    average: Optional[AveragedModel] = None
    if args.resume and checkpoint.exists():
        state = torch.load(checkpoint, map_location=device)
        model.load_state_dict(state["model"])
        if state.get("average") is not None:
            average = AveragedModel(model)
            average.load_state_dict(state["average"])
        opt.load_state_dict(state["optimizer"])
        rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        best, step, epoch, history = state["best"], state["step"], state["epoch"], state["history"]
        t0 = time.time() - state["elapsed"]  # the wall-clock budget goes on where it stopped
        print(f"resumed at {state['elapsed'] / 60:.1f} min, step {step}, epoch {epoch}", flush=True)
    done = False
    while not done:
        losses = []
        for ids in train.batches(args.frame_budget, rng):
            frac = (time.time() - t0) / budget
            if frac >= 1.0:
                done = True
                break
            for group in opt.param_groups:
                group["lr"] = learning_rate(frac, args.lr)
            x, lens, y, ylens = train.batch(ids)
            if teacher is None:
                x, lens = perturb(
                    x, lens, rng, model.mean, model.std, args.feature_noise, vtlp, args.channel, bands
                )
                loss = ctc_loss(model(x, args.dropout), lens, y, ylens) / len(ids)
            else:  # the same tempo, masks and noise for both; the spectral changes for the student only
                x, lens = perturb(x, lens, rng, model.mean, model.std, args.feature_noise)
                with torch.no_grad():
                    target = teacher(x)
                logits = model(distort(x, lens, rng, model.std, vtlp, args.channel, bands), args.dropout)
                loss = ctc_loss(logits, lens, y, ylens) + args.distill * distill_loss(logits, target, lens)
                loss = loss / len(ids)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            if args.average_from is not None and frac >= args.average_from:
                if average is None:
                    average = AveragedModel(model)
                average.update_parameters(model)
            losses.append(loss.detach())
            step += 1
            if time.time() - last_eval > args.eval_every or (time.time() - t0) >= budget:
                dev_loss, dev_wer = evaluate(model, dev, args.frame_budget)
                last_eval = time.time()
                improved = dev_loss < best
                recent = float(torch.stack(losses[-200:]).mean())
                history.append(
                    {
                        "minutes": (last_eval - t0) / 60,
                        "epoch": epoch,
                        "step": step,
                        "train_loss": recent,
                        "dev_loss": dev_loss,
                        "dev_greedy_wer": dev_wer,
                    }
                )
                print(
                    f"{(last_eval - t0) / 60:5.1f} min epoch {epoch} step {step} "
                    f"lr {learning_rate(frac, args.lr):.1e} "
                    f"train {recent:.3f} dev loss/char {dev_loss:.3f} greedy WER {dev_wer:.3f}"
                    f"{' best' if improved else ''}",
                    flush=True,
                )
                if improved:
                    best = dev_loss
                    save(args.out / "best_weights.npz", deepspeech_arrays(model), args.save_dtype)
                save_checkpoint(
                    checkpoint, model, opt, rng, best, step, epoch, history, last_eval - t0, average
                )
        epoch += 1
    dev_loss, dev_wer = evaluate(model, dev, args.frame_budget)
    if dev_loss < best:
        best = dev_loss
        save(args.out / "best_weights.npz", deepspeech_arrays(model), args.save_dtype)
    save(args.out / "last_weights.npz", deepspeech_arrays(model), args.save_dtype)
    print(
        f"final: dev loss/char {dev_loss:.3f} greedy WER {dev_wer:.3f}; {step} steps, {epoch} epochs",
        flush=True,
    )
    averaged = None
    if average is not None:
        avg_loss, avg_wer = evaluate(average.module, dev, args.frame_budget)
        save(args.out / "avg_weights.npz", deepspeech_arrays(average.module), args.save_dtype)
        averaged = {"updates": int(average.n_averaged), "dev_loss": avg_loss, "dev_greedy_wer": avg_wer}
        print(
            f"average of the last {int(average.n_averaged)} updates: dev loss/char {avg_loss:.3f} "
            f"greedy WER {avg_wer:.3f}",
            flush=True,
        )

    arrays = {k: v.astype(np.float32) for k, v in np.load(args.out / "best_weights.npz").items()}
    # The best arrays back in a model: measured below, and compared with a numpy forward pass.
    best_model = model_from_arrays(arrays, device)
    # On the CPU: a GPU's TF32 matrix products alone would differ from float64 by ~1e-3.
    diff = check_export(
        model_from_arrays(arrays, torch.device("cpu")),
        arrays,
        dev.feats[: int(dev.index[0, 1])].cpu().numpy(),
    )
    summary = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "history": history,
        "export_check": diff,
        "average": averaged,
        "steps": step,
        "epochs": epoch,
    }
    for name in ("dev", "test") if args.report_test else ("dev",):
        try:
            split = dev if name == "dev" else Split(args.pack, name, device)
        except FileNotFoundError:
            continue
        loss, w = evaluate(best_model, split, args.frame_budget)
        summary[f"best_{name}"] = {"loss": loss, "greedy_wer": w}
        print(f"best weights on {name}: loss/char {loss:.3f} greedy WER {w:.3f}", flush=True)
    print(f"export check: max |torch - numpy(arrays)| = {diff:.2e}", flush=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return 0 if diff < 1e-4 else 1


def model_from_arrays(arrays: Dict[str, np.ndarray], device: torch.device) -> DeepSpeechTorch:
    """A PyTorch model holding ``best_weights.npz`` (inverse of :func:`deepspeech_arrays`)."""
    n = arrays[f"{LSTM_SCOPE}/bias"].shape[0] // 4
    model = DeepSpeechTorch(n, arrays["train:mean"], arrays["train:std"])

    def torch_gates(m: np.ndarray) -> np.ndarray:  # TF i, c, f, o → PyTorch i, f, g, o
        i, g, f, o = np.split(m, 4, axis=0)
        return np.concatenate([i, f, g, o], axis=0)

    kernel = arrays[f"{LSTM_SCOPE}/kernel"]
    sd = {
        "layer_1.weight": arrays["train:layer_1/weights"].T,
        "layer_1.bias": arrays["train:layer_1/bias"],
        "lstm.weight_ih_l0": torch_gates(kernel[:n].T),
        "lstm.weight_hh_l0": torch_gates(kernel[n:].T),
        "lstm.bias_ih_l0": torch_gates(arrays[f"{LSTM_SCOPE}/bias"]),
        "lstm.bias_hh_l0": np.zeros(4 * n, np.float32),
        "mean": arrays["train:mean"],
        "std": arrays["train:std"],
    }
    for name in ("layer_2", "layer_3", "layer_5", "layer_6"):
        sd[f"{name}.weight"] = arrays[f"{name}/weights"].T
        sd[f"{name}.bias"] = arrays[f"{name}/bias"]
    model.load_state_dict({k: torch.tensor(np.ascontiguousarray(v)) for k, v in sd.items()})
    return model.to(device).eval()


if __name__ == "__main__":
    sys.exit(main())

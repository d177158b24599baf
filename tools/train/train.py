"""Train the demo DeepSpeech-architecture model with CTC on cached features (dev only, TF env).

    /work/tfenv/bin/python tools/train/train.py [--n-hidden 256] [--epochs 12] [--hours 1.2] [--resume]

Reads ``<work>/features/{train,dev}.*`` (see features.py; ``--train-splits train,train2``
trains on several cached splits). Batches are groups of similar-length utterances under a
frame budget, shuffled each epoch. Adam with a learning rate that halves when the dev loss
stops improving (and is multiplied by ``--lr-decay`` after every epoch), dropout on the ReLU layers, gradient
clipping, and light feature-level augmentation (time masks and small feature noise) on top
of the audio augmentation done at synthesis time.

Checkpoints (TF ``CheckpointManager``: weights, optimizer, epoch, step, learning rate) are
written to ``<work>/ckpt`` every ``--save-every`` steps and at each epoch's end; ``--resume``
continues from the newest one (a restarted epoch replays its batch order from the seed and
skips the batches already done). The best weights by dev loss are also saved as
DeepSpeech-named numpy arrays, normalisation folded in, to ``<work>/best_weights.npz``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import List, Tuple

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BLANK, encode, greedy_text, wer, work_dir  # noqa: E402
from model import DeepSpeechNet, export_weights, training_extras  # noqa: E402


class Adam(tf.Module):
    """Plain Adam whose slots are tf.Variables (checkpointable with tf.train.Checkpoint)."""

    def __init__(
        self,
        params: List[tf.Variable],
        lr: tf.Variable,
        b1: float = 0.9,
        b2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(name="adam")
        self.lr, self.b1, self.b2, self.eps = lr, b1, b2, eps
        self.t = tf.Variable(0.0, trainable=False)
        self.m = [tf.Variable(tf.zeros_like(p), trainable=False) for p in params]
        self.v = [tf.Variable(tf.zeros_like(p), trainable=False) for p in params]

    def apply(self, grads: List[tf.Tensor], params: List[tf.Variable]) -> None:
        """One update step."""
        self.t.assign_add(1.0)
        scale = self.lr * tf.sqrt(1.0 - self.b2**self.t) / (1.0 - self.b1**self.t)
        for g, p, m, v in zip(grads, params, self.m, self.v):
            m.assign(self.b1 * m + (1.0 - self.b1) * g)
            v.assign(self.b2 * v + (1.0 - self.b2) * tf.square(g))
            p.assign_sub(scale * m / (tf.sqrt(v) + self.eps))


class Split:
    """A cached split: packed features, index and transcripts."""

    def __init__(self, root: Path, names: str) -> None:
        """``names``: one split or several joined by commas (e.g. ``train,train2``)."""
        self.feats, index, self.texts = [], [], []
        for source, name in enumerate(names.split(",")):
            self.feats.append(np.load(root / "features" / f"{name}.npy", mmap_mode="r"))
            part = np.load(root / "features" / f"{name}.index.npy")
            index.append(np.concatenate([np.full((len(part), 1), source), part], axis=1))
            text = (root / "features" / f"{name}.txt").read_text(encoding="utf-8").split("\n")
            self.texts += text[: len(part)]
        self.index = np.concatenate(index)  # rows: source, offset, length
        self.labels = [np.array(encode(t), dtype=np.int32) for t in self.texts]

    def __len__(self) -> int:
        return len(self.index)

    def batches(self, frame_budget: int, rng: np.random.Generator) -> List[np.ndarray]:
        """Index groups of similar length, each under ``frame_budget`` padded frames, shuffled."""
        order = np.argsort(self.index[:, 2] + rng.uniform(0, 8, len(self)))
        out: List[np.ndarray] = []
        cur: List[int] = []
        for i in order:
            longest = max([self.index[j, 2] for j in cur] + [self.index[i, 2]])
            if cur and longest * (len(cur) + 1) > frame_budget:
                out.append(np.array(cur))
                cur = []
            cur.append(int(i))
        if cur:
            out.append(np.array(cur))
        rng.shuffle(out)
        return out

    def make_batch(
        self, ids: np.ndarray, rng: np.random.Generator | None, mean: np.ndarray
    ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Padded features ``[B, T, 26]``, lengths, padded labels, label lengths."""
        lens = self.index[ids, 2]
        labs = [self.labels[i] for i in ids]
        x = np.zeros((len(ids), int(lens.max()), 26), np.float32)
        for k, i in enumerate(ids):
            source, off, n = self.index[i]
            f = np.array(self.feats[source][off : off + n])
            if rng is not None:
                for _ in range(rng.integers(0, 3)):  # time masks (to the mean = 0 after normalising)
                    width = int(rng.integers(2, 8))
                    start = int(rng.integers(0, max(1, n - width)))
                    f[start : start + width] = mean
            x[k, :n] = f
        y = np.zeros((len(ids), max(len(lab) for lab in labs)), np.int32)
        for k, lab in enumerate(labs):
            y[k, : len(lab)] = lab
        return x, lens.astype(np.int32), y, np.array([len(lab) for lab in labs], np.int32)


def main(argv: List[str] | None = None) -> int:
    """Train (or resume training)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n-hidden", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument(
        "--hours", type=float, default=0.0, help="stop after this much wall time (0: no limit)"
    )
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument(
        "--set-lr", type=float, default=0.0, help="with --resume: replace the checkpoint's learning rate"
    )
    parser.add_argument(
        "--lr-decay", type=float, default=1.0, help="multiply the learning rate by this after every epoch"
    )
    parser.add_argument("--train-splits", default="train", help="comma-separated cached splits to train on")
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--frame-budget", type=int, default=8000, help="padded frames per batch")
    parser.add_argument(
        "--feature-noise", type=float, default=0.05, help="std of noise on normalised features"
    )
    parser.add_argument("--save-every", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args(argv)

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.random.set_seed(args.seed)
    root = work_dir()
    train, dev = Split(root, args.train_splits), Split(root, "dev")
    stats = np.load(root / "features" / "stats.npz")
    mean, std = stats["mean"], stats["std"]
    net = DeepSpeechNet(args.n_hidden, mean, std, seed=args.seed)
    lr = tf.Variable(args.lr, trainable=False, dtype=tf.float32)
    params = list(net.trainable_variables)
    opt = Adam(params, lr)
    epoch = tf.Variable(0, dtype=tf.int64)
    batch_in_epoch = tf.Variable(0, dtype=tf.int64)
    best_dev = tf.Variable(np.inf, dtype=tf.float32)
    bad_epochs = tf.Variable(0, dtype=tf.int64)
    ckpt = tf.train.Checkpoint(
        net=net,
        opt=opt,
        lr=lr,
        epoch=epoch,
        batch_in_epoch=batch_in_epoch,
        best_dev=best_dev,
        bad_epochs=bad_epochs,
    )
    manager = tf.train.CheckpointManager(ckpt, str(root / "ckpt"), max_to_keep=3)
    if args.resume and manager.latest_checkpoint:
        ckpt.restore(manager.latest_checkpoint)
        print(
            f"resumed {manager.latest_checkpoint}: epoch {int(epoch)}, batch {int(batch_in_epoch)}, "
            f"lr {float(lr):.2e}",
            flush=True,
        )
        if args.set_lr:
            lr.assign(args.set_lr)
            bad_epochs.assign(0)
    elif manager.latest_checkpoint:
        raise SystemExit(f"checkpoints exist in {root / 'ckpt'}: pass --resume or delete them")
    (root / "train_config.json").write_text(json.dumps(vars(args), indent=2) + "\n")

    signature = [
        tf.TensorSpec([None, None, 26], tf.float32),
        tf.TensorSpec([None], tf.int32),
        tf.TensorSpec([None, None], tf.int32),
        tf.TensorSpec([None], tf.int32),
    ]
    noise = args.feature_noise

    @tf.function(input_signature=signature)
    def train_step(x, lens, y, ylens):
        if noise > 0:
            x = x + tf.random.normal(tf.shape(x)) * (noise * net.std)
        with tf.GradientTape() as tape:
            logits = net.logits(x, args.dropout)
            loss = tf.reduce_mean(
                tf.nn.ctc_loss(y, logits, ylens, lens, logits_time_major=False, blank_index=BLANK)
                / tf.cast(ylens, tf.float32)
            )
        grads = tape.gradient(loss, params)
        grads, _ = tf.clip_by_global_norm(grads, 5.0)
        opt.apply(grads, params)
        return loss

    @tf.function(input_signature=signature)
    def eval_step(x, lens, y, ylens):
        logits = net.logits(x, 0.0)
        loss = tf.nn.ctc_loss(y, logits, ylens, lens, logits_time_major=False, blank_index=BLANK)
        return tf.reduce_sum(loss / tf.cast(ylens, tf.float32)), logits

    def evaluate() -> Tuple[float, float]:
        total, refs, hyps = 0.0, [], []
        for ids in dev.batches(args.frame_budget * 2, np.random.default_rng(0)):
            x, lens, y, ylens = dev.make_batch(ids, None, mean)
            loss, logits = eval_step(x, lens, y, ylens)
            total += float(loss)
            logits = logits.numpy()
            for k, i in enumerate(ids):
                refs.append(dev.texts[i])
                hyps.append(greedy_text(logits[k], lens[k]))
        return total / len(dev), wer(refs, hyps)

    start = time.time()
    while int(epoch) < args.epochs:
        rng = np.random.default_rng(args.seed * 1000 + int(epoch))
        batches = train.batches(args.frame_budget, rng)
        t0, losses = time.time(), []
        for b in range(int(batch_in_epoch), len(batches)):
            x, lens, y, ylens = train.make_batch(batches[b], rng, mean)
            losses.append(float(train_step(x, lens, y, ylens)))
            batch_in_epoch.assign(b + 1)
            if (b + 1) % 25 == 0:
                print(
                    f"epoch {int(epoch)} batch {b + 1}/{len(batches)} loss/char {np.mean(losses[-25:]):.3f} "
                    f"{(time.time() - t0) / len(losses):.2f} s/batch",
                    flush=True,
                )
            if (b + 1) % args.save_every == 0:
                manager.save()
            if args.hours and time.time() - start > args.hours * 3600:
                manager.save()
                print("time limit reached; resume with --resume", flush=True)
                return 0
        dev_loss, dev_wer = evaluate()
        improved = dev_loss < float(best_dev)
        if improved:
            best_dev.assign(dev_loss)
            bad_epochs.assign(0)
            np.savez(root / "best_weights.npz", **export_weights(net), **training_extras(net))
        else:
            bad_epochs.assign_add(1)
            if int(bad_epochs) >= 1:
                lr.assign(lr * 0.5)
        lr.assign(lr * args.lr_decay)
        print(
            f"== epoch {int(epoch)} done: train {np.mean(losses) if losses else float('nan'):.3f} "
            f"dev loss/char {dev_loss:.3f} dev greedy WER {dev_wer:.3f} lr {float(lr):.1e} "
            f"{'best' if improved else ''} ({(time.time() - t0) / 60:.1f} min)",
            flush=True,
        )
        np.savez(root / "last_weights.npz", **export_weights(net), **training_extras(net))
        epoch.assign_add(1)
        batch_in_epoch.assign(0)
        manager.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""DeepSpeech's acoustic network in TensorFlow 2, for training (dev only, runs in the TF env).

The layout and variable names are DeepSpeech's (``dictate.models.weights``): three dense
layers with ReLU clipped at 20, one LSTM (TF ``BlockLSTM``: kernel ``[n_x + n, 4n]`` for
``[x; h]``, gates i, c, f, o, forget bias 0), a fourth dense layer and a linear layer to the
29 classes (blank last). Inputs are windows of 19 MFCC frames (9 of context each side, zero
frames beyond the ends, as DeepSpeech's training and native client both pad).

Training normalises the raw MFCCs with a fixed per-coefficient mean and standard deviation;
:func:`export_weights` folds that into ``layer_1`` so the exported model takes raw features.
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np
import tensorflow as tf
from common import LSTM_SCOPE, N_CLASSES, N_CONTEXT, N_INPUT, RELU_CLIP, WINDOW, fold_normalization

__all__ = ["N_CONTEXT", "N_INPUT", "WINDOW", "DeepSpeechNet", "export_weights", "net_from_arrays"]


def _glorot(shape: tuple, rng: np.random.Generator) -> np.ndarray:
    limit = np.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


class DeepSpeechNet(tf.Module):
    """The DeepSpeech network with LSTM width ``n_hidden``."""

    def __init__(self, n_hidden: int, mean: np.ndarray, std: np.ndarray, seed: int = 0) -> None:
        super().__init__(name="deepspeech")
        rng = np.random.default_rng(seed)
        n = n_hidden
        n_in = WINDOW * N_INPUT
        self.n_hidden = n
        self.mean = tf.constant(mean.astype(np.float32))
        self.std = tf.constant(std.astype(np.float32))
        shapes = {
            "layer_1": (n_in, n),
            "layer_2": (n, n),
            "layer_3": (n, n),
            "layer_5": (n, n),
            "layer_6": (n, N_CLASSES),
        }
        self.dense_w = {k: tf.Variable(_glorot(s, rng), name=f"{k}_w") for k, s in shapes.items()}
        self.dense_b = {k: tf.Variable(np.zeros(s[1], np.float32), name=f"{k}_b") for k, s in shapes.items()}
        kernel = np.concatenate([_glorot((n, 4 * n), rng), _glorot((n, 4 * n), rng) * 0.5], axis=0)
        bias = np.zeros(4 * n, np.float32)
        bias[2 * n : 3 * n] = 1.0  # forget gate starts open (the graph's forget_bias stays 0)
        self.lstm_kernel = tf.Variable(kernel, name="lstm_kernel")
        self.lstm_bias = tf.Variable(bias, name="lstm_bias")

    def windows(self, feats: tf.Tensor) -> tf.Tensor:
        """``[B, T, 26]`` raw MFCCs → ``[B, T, 19*26]`` normalised context windows.

        Zero *raw* frames pad both ends, exactly what the exported model sees at inference.
        """
        padded = tf.pad(feats, [[0, 0], [N_CONTEXT, N_CONTEXT], [0, 0]])
        normed = (padded - self.mean) / self.std
        frames = tf.signal.frame(normed, WINDOW, 1, axis=1)  # [B, T, 19, 26]
        shape = tf.shape(frames)
        return tf.reshape(frames, [shape[0], shape[1], WINDOW * N_INPUT])

    def _dense(self, x: tf.Tensor, layer: str, relu: bool, dropout: float) -> tf.Tensor:
        y = tf.matmul(x, self.dense_w[layer]) + self.dense_b[layer]
        if relu:
            y = tf.minimum(tf.nn.relu(y), RELU_CLIP)
            if dropout > 0.0:
                y = tf.nn.dropout(y, rate=dropout)
        return y

    def logits(self, feats: tf.Tensor, dropout: float = 0.0) -> tf.Tensor:
        """Unnormalised class scores ``[B, T, 29]`` for ``[B, T, 26]`` raw features."""
        x = self.windows(feats)
        batch = tf.shape(x)[0]
        steps = tf.shape(x)[1]
        x = tf.reshape(x, [-1, WINDOW * N_INPUT])
        for layer in ("layer_1", "layer_2", "layer_3"):
            x = self._dense(x, layer, True, dropout)
        x = tf.transpose(tf.reshape(x, [batch, steps, self.n_hidden]), [1, 0, 2])  # time-major
        zeros = tf.zeros([batch, self.n_hidden])
        wzero = tf.zeros([self.n_hidden])
        _, _, _, _, _, _, h = tf.raw_ops.BlockLSTM(
            seq_len_max=tf.cast(steps, tf.int64),
            x=x,
            cs_prev=zeros,
            h_prev=zeros,
            w=self.lstm_kernel,
            wci=wzero,
            wcf=wzero,
            wco=wzero,
            b=self.lstm_bias,
            forget_bias=0.0,
            cell_clip=-1.0,
            use_peephole=False,
        )
        y = tf.reshape(tf.transpose(h, [1, 0, 2]), [-1, self.n_hidden])
        y = self._dense(y, "layer_5", True, dropout)
        y = self._dense(y, "layer_6", False, 0.0)
        return tf.reshape(y, [batch, steps, N_CLASSES])


def export_weights(
    net: DeepSpeechNet, mean: Optional[np.ndarray] = None, std: Optional[np.ndarray] = None
) -> Dict[str, np.ndarray]:
    """DeepSpeech-named numpy weights taking *raw* MFCC windows (normalisation folded in)."""
    w1, b1 = fold_normalization(
        net.dense_w["layer_1"].numpy(),
        net.dense_b["layer_1"].numpy(),
        net.mean.numpy() if mean is None else mean,
        net.std.numpy() if std is None else std,
        WINDOW,
    )
    out: Dict[str, np.ndarray] = {"layer_1/weights": w1, "layer_1/bias": b1}
    for layer in ("layer_2", "layer_3", "layer_5", "layer_6"):
        out[f"{layer}/weights"] = net.dense_w[layer].numpy()
        out[f"{layer}/bias"] = net.dense_b[layer].numpy()
    out[f"{LSTM_SCOPE}/kernel"] = net.lstm_kernel.numpy()
    out[f"{LSTM_SCOPE}/bias"] = net.lstm_bias.numpy()
    return out


def training_extras(net: DeepSpeechNet) -> Dict[str, np.ndarray]:
    """The unfolded ``layer_1`` and the normalisation, saved beside the exported weights so
    that export.py can check the frozen graph against this training model."""
    return {
        "train:mean": net.mean.numpy(),
        "train:std": net.std.numpy(),
        "train:layer_1/weights": net.dense_w["layer_1"].numpy(),
        "train:layer_1/bias": net.dense_b["layer_1"].numpy(),
    }


def net_from_arrays(arrays: Dict[str, np.ndarray]) -> DeepSpeechNet:
    """Rebuild the training model from a ``best_weights.npz`` (export + training extras)."""
    n = arrays[f"{LSTM_SCOPE}/bias"].shape[0] // 4
    net = DeepSpeechNet(n, arrays["train:mean"], arrays["train:std"])
    net.dense_w["layer_1"].assign(arrays["train:layer_1/weights"])
    net.dense_b["layer_1"].assign(arrays["train:layer_1/bias"])
    for layer in ("layer_2", "layer_3", "layer_5", "layer_6"):
        net.dense_w[layer].assign(arrays[f"{layer}/weights"])
        net.dense_b[layer].assign(arrays[f"{layer}/bias"])
    net.lstm_kernel.assign(arrays[f"{LSTM_SCOPE}/kernel"])
    net.lstm_bias.assign(arrays[f"{LSTM_SCOPE}/bias"])
    return net

"""The transformer block and positional encodings against direct references (the sheet's formula, complex
rotation, a block written with the per-head attention loop)."""

import numpy as np

from mlsheet_utils.algorithms.nn import attention
from mlsheet_utils.algorithms.nn import transformer as tf
from mlsheet_utils.tools.speed import SpeedPair


def _table_loops(max_len, d_model):
    """The sinusoidal table typed in from its formula, entry by entry."""
    pe = np.empty((max_len, d_model))
    for p in range(max_len):
        for j in range(d_model):
            angle = p / 10000 ** (2 * (j // 2) / d_model)
            pe[p, j] = np.sin(angle) if j % 2 == 0 else np.cos(angle)
    return pe


def table_args(n):
    """(max_len, d_model) = (n, 64)."""
    return n, 64


def _rope_complex(X):
    """RoPE as complex multiplication of the feature pairs by exp(i p omega)."""
    angles = np.arange(X.shape[-2])[:, None] * tf.frequencies(X.shape[-1])
    z = (X[..., 0::2] + 1j * X[..., 1::2]) * np.exp(1j * angles)
    return np.stack([z.real, z.imag], axis=-1).reshape(X.shape)


def rope_args(n):
    """Seeded (n, 64) queries."""
    return (np.random.default_rng(n).standard_normal((n, 64)),)


def _block_problem(n):
    g = np.random.default_rng(n)
    block = tf.EncoderBlock(64, 8, 256)
    return g.standard_normal((n, 64)), block.init_params(g), block


def block_args(n):
    """Seeded (X, params) of a post-norm block, d_model = 64, 8 heads, d_ff = 256, n positions."""
    X, params, _ = _block_problem(n)
    return X, params


def _layer_norm(z, p, eps=1e-5):
    mu, var = z.mean(-1, keepdims=True), z.var(-1, keepdims=True)
    return (z - mu) / np.sqrt(var + eps) * p["gamma"] + p["beta"]


def _block_loop(X, params):
    """The post-norm block written directly, attention one head at a time (the per-head loop)."""
    pa, pf = params
    W = pa["body"]
    h = _layer_norm(X + attention.multi_head_attention_loop(X, X, W["W_q"], W["W_k"], W["W_v"], W["W_o"], 8).output,
                    pa["norm"])
    f1, f2 = pf["body"][0], pf["body"][2]
    return _layer_norm(h + np.maximum(h @ f1["W"] + f1["b"], 0) @ f2["W"] + f2["b"], pf["norm"])


PAIRS = [
    SpeedPair("4.18.1", "sinusoidal table vs the formula entry by entry",
              tf.sinusoidal_encoding, _table_loops, table_args, small=40, large=2048),
    SpeedPair("4.18.1", "RoPE vs complex multiplication", tf.apply_rope, _rope_complex, rope_args,
              small=9, large=4096),
    SpeedPair("4.18", "encoder block forward vs per-head loop block",
              lambda X, p: tf.EncoderBlock(64, 8, 256).forward(X, p)[0], _block_loop, block_args,
              small=4, large=512),
]

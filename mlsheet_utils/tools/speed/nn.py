"""Neural-network pieces against direct references (SciPy's softmax, the per-head loop)."""

import numpy as np
from scipy.special import softmax as scipy_softmax

from mlsheet_utils.algorithms.nn import attention
from mlsheet_utils.tools.speed import SpeedPair


def _attention_scipy(Q, K, V):
    """One head written directly with scipy.special.softmax."""
    return scipy_softmax(Q @ K.T / np.sqrt(Q.shape[-1]), axis=-1) @ V


def attention_args(n):
    """Seeded (Q, K, V) for n positions, width 64."""
    g = np.random.default_rng(n)
    return tuple(g.standard_normal((n, 64)) for _ in range(3))


def mha_args(n):
    """Seeded inputs of self-attention over n positions, d_model = 64, 8 heads."""
    g = np.random.default_rng(n)
    X = g.standard_normal((n, 64))
    return (X, X, *(g.standard_normal((64, 64)) / 8 for _ in range(4)), 8)


PAIRS = [
    SpeedPair("4.18.2", "scaled dot-product attention vs scipy.special.softmax reference",
              lambda Q, K, V: attention.scaled_dot_product_attention(Q, K, V)[0], _attention_scipy,
              attention_args, small=6, large=2048),
    SpeedPair("4.18.2", "multi-head attention (reshape) vs per-head loop",
              lambda *a: attention.multi_head_attention(*a)[0],
              lambda *a: attention.multi_head_attention_loop(*a).output, mha_args, small=7, large=1024),
]

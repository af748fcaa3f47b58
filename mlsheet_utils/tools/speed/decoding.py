"""Speculative decoding: the vectorised acceptance rate and residual against a loop over the vocabulary."""

import numpy as np

from mlsheet_utils.algorithms import decoding
from mlsheet_utils.tools.speed import SpeedPair


def make_args(n):
    """A (n, n) target and draft bigram table, seeded."""
    g = np.random.default_rng(19)
    P, Q = g.random((n, n)) + 0.01, g.random((n, n)) + 0.01
    return P / P.sum(1, keepdims=True), Q / Q.sum(1, keepdims=True)


def _residual_loop(P, Q):
    out = np.zeros_like(P)
    for u in range(P.shape[0]):
        excess = [max(0.0, a - b) for a, b in zip(P[u], Q[u])]
        total = sum(excess)
        out[u] = [e / total if total else 0.0 for e in excess]
    return out


PAIRS = [
    SpeedPair("4.19", "speculative residual max(0, p - q) (vectorised vs loop)", decoding.residual, _residual_loop,
              make_args, small=6, large=400),
]

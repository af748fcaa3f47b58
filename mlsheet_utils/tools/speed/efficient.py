"""Parameter-efficient fine-tuning and pruning against SciPy and a full sort."""

import numpy as np
from scipy.linalg import svd

from mlsheet_utils.algorithms.nn import lora, pruning
from mlsheet_utils.tools.speed import SpeedPair


def make_update(n):
    """A seeded (n, n // 2) matrix and a rank of n // 8."""
    g = np.random.default_rng(426)
    return g.standard_normal((n, max(1, n // 2))), max(1, n // 8)


def _scipy_low_rank(M, r):
    U, s, Vt = svd(M, full_matrices=False)
    return (U[:, :r] * s[:r]) @ Vt[:r]


def make_weights(n):
    """Two seeded weight matrices, (n, n // 2) and (n // 2, 10), and a sparsity of 0.8."""
    g = np.random.default_rng(435)
    h = max(1, n // 2)
    return [g.standard_normal((n, h)), 0.3 * g.standard_normal((h, 10))], 0.8


def _sorted_masks(weights, s):
    flat = np.concatenate([np.abs(w).ravel() for w in weights])
    m = int(round(s * flat.size))
    if m == 0:
        return [np.ones(w.shape, dtype=bool) for w in weights]
    cut = np.sort(flat)[m - 1]
    return [np.abs(w) > cut for w in weights]


def _stack(masks):
    return np.concatenate([m.ravel() for m in masks])


PAIRS = [
    SpeedPair("4.26", "best rank-r update (truncated SVD) vs scipy.linalg.svd",
              lambda M, r: (lambda res: res.A @ res.B)(lora.best_low_rank(M, r)), _scipy_low_rank,
              make_update, small=48, large=1024),
    SpeedPair("4.35", "global magnitude masks vs a full-sort threshold",
              lambda ws, s: _stack(pruning.global_masks(ws, s)), lambda ws, s: _stack(_sorted_masks(ws, s)),
              make_weights, small=64, large=1024),
]

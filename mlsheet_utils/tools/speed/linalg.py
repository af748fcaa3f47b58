"""Linear algebra against NumPy, and one matrix operation of ML code against scikit-learn."""

import numpy as np
from sklearn.metrics.pairwise import cosine_similarity as sk_cosine_similarity

from mlsheet_utils.algorithms import linalg
from mlsheet_utils.tools.speed import SpeedPair


def make_tall_args(n):
    """A (2n, n) standard normal matrix (full column rank)."""
    return (np.random.default_rng(n).standard_normal((2 * n, n)),)


def make_square_args(n):
    """An (n, n) standard normal matrix scaled by 1/sqrt(n), so its determinant stays in range."""
    return (np.random.default_rng(n).standard_normal((n, n)) / np.sqrt(n),)


def make_low_rank_args(n):
    """An (n, n) matrix of rank n // 2, a product of two standard normal factors."""
    g = np.random.default_rng(n)
    return (g.standard_normal((n, n // 2)) @ g.standard_normal((n // 2, n)),)


def make_symmetric_args(n):
    """A symmetric (n, n) matrix with eigenvalues 2 and n - 1 values from 1 down to 0.1 (a gap of 2)."""
    g = np.random.default_rng(n)
    Q, _ = np.linalg.qr(g.standard_normal((n, n)))
    return ((Q * np.r_[2.0, np.linspace(1.0, 0.1, n - 1)]) @ Q.T,)


def make_embedding_args(n):
    """Two sets of n standard normal 64-dimensional vectors."""
    g = np.random.default_rng(n)
    return g.standard_normal((n, 64)), g.standard_normal((n, 64))


PAIRS = [
    SpeedPair("2.1", "modified Gram-Schmidt QR vs numpy.linalg.qr (|R|)",
              lambda M: np.abs(linalg.gram_schmidt(M)[1]), lambda M: np.abs(np.linalg.qr(M)[1]),
              make_tall_args, small=6, large=300),
    SpeedPair("2.2", "determinant by Gaussian elimination vs numpy.linalg.det", linalg.det_gauss, np.linalg.det,
              make_square_args, small=8, large=300),
    SpeedPair("2.3", "rank by Gaussian elimination vs numpy.linalg.matrix_rank",
              lambda A: linalg.rank_gauss(A, rtol=1e-10), np.linalg.matrix_rank,
              make_low_rank_args, small=30, large=400),
    SpeedPair("2.4", "power iteration (top eigenvalue) vs numpy.linalg.eigvalsh",
              lambda M: linalg.power_iteration(M).value, lambda M: np.linalg.eigvalsh(M)[-1],
              make_symmetric_args, small=6, large=800),
    SpeedPair("2.5", "singular values via eigh(A^T A) vs numpy.linalg.svd",
              lambda M: linalg.svd_via_eigh(M).s, lambda M: np.linalg.svd(M, compute_uv=False),
              make_tall_args, small=8, large=400),
    SpeedPair("2.9", "pairwise cosine similarity vs sklearn cosine_similarity", linalg.cosine_similarity,
              sk_cosine_similarity, make_embedding_args, small=20, large=3000),
]

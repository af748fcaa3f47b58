"""Matrix factorisations and PCA against SciPy, NumPy and scikit-learn."""

import warnings

import numpy as np
import scipy.linalg
from sklearn.decomposition import NMF, PCA

from mlsheet_utils.algorithms import decomposition as dec
from mlsheet_utils.tools.speed import SpeedPair


def make_square_args(n):
    """An (n, n) standard normal matrix."""
    return (np.random.default_rng(n).standard_normal((n, n)),)


def make_tall_args(n):
    """A (2n, n) standard normal matrix."""
    return (np.random.default_rng(n).standard_normal((2 * n, n)),)


def make_data_args(n):
    """n samples of 20 correlated features."""
    g = np.random.default_rng(n)
    return (g.standard_normal((n, 20)) @ g.standard_normal((20, 20)),)


def make_nmf_args(n):
    """A non-negative (n, 30) matrix and a seeded rank-5 start."""
    g = np.random.default_rng(n)
    X = np.abs(g.standard_normal((n, 5)) @ g.standard_normal((5, 30)))
    return X, np.abs(g.standard_normal((n, 5))), np.abs(g.standard_normal((5, 30)))


def _sk_nmf(X, W0, H0):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # a fixed number of iterations warns that it did not converge
        model = NMF(5, init="custom", solver="mu", max_iter=100, tol=0)
        W = model.fit_transform(X, W=W0.copy(), H=H0.copy())
    return W @ model.components_


PAIRS = [
    SpeedPair("3.6", "LU with partial pivoting vs scipy.linalg.lu (U)",
              lambda A: dec.lu(A).U, lambda A: scipy.linalg.lu(A)[2], make_square_args, small=30, large=400),
    SpeedPair("3.6", "Householder QR vs numpy.linalg.qr (R)",
              lambda A: dec.householder_qr(A).R, lambda A: np.linalg.qr(A)[1], make_tall_args, small=10,
              large=300),
    SpeedPair("3.6", "NMF multiplicative updates vs scikit-learn NMF(solver='mu') (WH)",
              lambda X, W0, H0: (lambda r: r.W @ r.H)(dec.nmf(X, 5, n_iter=100, init=(W0, H0))), _sk_nmf,
              make_nmf_args, small=100, large=5000),
    SpeedPair("3.7", "PCA by SVD vs scikit-learn PCA (components)",
              lambda X: dec.pca_fit(X, 5).components,
              lambda X: PCA(5, svd_solver="full").fit(X).components_, make_data_args, small=150, large=50_000),
]

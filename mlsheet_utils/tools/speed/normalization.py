"""Normalisation layers against direct references: the explicit Jacobian, scikit-learn's StandardScaler."""

import numpy as np
from sklearn.preprocessing import StandardScaler

from mlsheet_utils.algorithms.nn import layers
from mlsheet_utils.tools.speed import SpeedPair

WIDTH = 32


def backward_args(n):
    """Seeded (g, x_hat, inv_std) for n rows of WIDTH features, from ``layers.normalize``."""
    g = np.random.default_rng(n)
    out = layers.normalize(g.normal(1.0, 2.0, size=(n, WIDTH)), -1, 1e-5)
    return g.standard_normal((n, WIDTH)), out.x_hat, out.inv_std


def _backward_by_jacobian(g, x_hat, inv_std):
    """J^T g with J = (I - 11^T/H - x_hat x_hat^T/H) / s built explicitly for every row: O(H^2) per row."""
    H = x_hat.shape[-1]
    J = (np.eye(H) - 1.0 / H - x_hat[:, :, None] * x_hat[:, None, :] / H) * inv_std[:, :, None]
    return np.einsum("nij,ni->nj", J, g)


def batch_args(n):
    """A seeded batch of n examples with 16 features."""
    return (np.random.default_rng(n).normal(3.0, 2.0, size=(n, 16)),)


PAIRS = [
    SpeedPair("4.10", "layer-norm backward (projection formula) vs explicit Jacobian",
              lambda g, x_hat, inv_std: layers.normalize_backward(g, x_hat, inv_std), _backward_by_jacobian,
              backward_args, small=5, large=4096),
    SpeedPair("4.11", "batch-norm statistics (normalize over the batch) vs sklearn StandardScaler",
              lambda X: layers.normalize(X, 0, 1e-300).x_hat, lambda X: StandardScaler().fit_transform(X),
              batch_args, small=8, large=100_000),
]

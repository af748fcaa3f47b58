"""Seeded data generators shared by several notebooks.

Every generator takes a ``rng`` (an int or a :class:`numpy.random.Generator`) and returns the same data for
the same seed.
"""

from __future__ import annotations

import numpy as np

from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state


def blobs(n_per_cluster: int = 50, centers=((0.0, 0.0), (4.0, 0.0), (2.0, 3.5)), scale: float = 0.8,
          rng=0) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian clusters.

    Parameters
    ----------
    n_per_cluster : int >= 1
        Points drawn around each center.
    centers : array_like, shape (k, d)
    scale : float > 0
        Standard deviation of every coordinate.
    rng : int or numpy.random.Generator

    Returns
    -------
    X : ndarray, shape (k * n_per_cluster, d)
    y : ndarray of int, shape (k * n_per_cluster,), the index of the generating center
    """
    n = check_int(n_per_cluster, "n_per_cluster", low=1)
    centers = as_array(centers, "centers", ndim=2)
    scale = check_float(scale, "scale", low=0, low_open=True)
    rng = check_random_state(rng)
    k, d = centers.shape
    X = np.repeat(centers, n, axis=0) + scale * rng.standard_normal((k * n, d))
    y = np.repeat(np.arange(k), n)
    return X, y


def linear_data(n: int = 100, weights=(2.0, -1.0), bias: float = 0.5, noise: float = 0.3,
                rng=0) -> tuple[np.ndarray, np.ndarray]:
    """Regression data ``y = X w + b + noise * eps`` with ``X`` standard normal.

    Returns
    -------
    X : ndarray, shape (n, d)
    y : ndarray, shape (n,)
    """
    n = check_int(n, "n", low=1)
    w = as_array(weights, "weights", ndim=1)
    noise = check_float(noise, "noise", low=0)
    bias = check_float(bias, "bias")
    rng = check_random_state(rng)
    X = rng.standard_normal((n, w.size))
    return X, X @ w + float(bias) + noise * rng.standard_normal(n)

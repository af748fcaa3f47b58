"""Nearest-neighbour search and pairwise distances against scikit-learn and SciPy."""

import numpy as np
from scipy.spatial.distance import pdist
from sklearn.neighbors import KNeighborsClassifier

from mlsheet_utils.algorithms import dimensionality as dim
from mlsheet_utils.algorithms import neighbors as knn
from mlsheet_utils.tools.speed import SpeedPair


def make_args(n):
    """``n`` labelled training points in 2-D (two noisy classes) and ``n`` queries around them."""
    rng = np.random.default_rng(33)
    y = rng.integers(0, 2, n)
    X = rng.standard_normal((n, 2)) + np.c_[2.0 * y - 1.0, np.zeros(n)]
    return X, y, rng.uniform(-3, 3, (n, 2))


def make_points(n):
    """``n`` uniform points in 50 dimensions."""
    return (np.random.default_rng(38).random((n, 50)),)


PAIRS = [
    SpeedPair("3.3", "k-NN vote shares (k = 15, distance weights) vs scikit-learn KNeighborsClassifier",
              lambda X, y, Q: knn.KNeighborsClassifier(15, "distance").fit(X, y).predict_proba(Q),
              lambda X, y, Q: KNeighborsClassifier(15, weights="distance", algorithm="brute").fit(X, y)
              .predict_proba(Q),
              make_args, small=200, large=4000),
    SpeedPair("3.8", "pairwise distances vs scipy pdist",
              dim.pairwise_distances, pdist, make_points, small=200, large=2000),
]

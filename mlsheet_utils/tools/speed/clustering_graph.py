"""Graph- and density-based clustering against scikit-learn: spectral embedding and DBSCAN."""

import numpy as np
from sklearn.cluster import DBSCAN
from sklearn.datasets import make_moons
from sklearn.manifold import spectral_embedding

from mlsheet_utils.algorithms.clustering import dbscan, spectral
from mlsheet_utils.tools.speed import SpeedPair


def _moons_affinity(n):
    X, _ = make_moons(n_samples=n, noise=0.06, random_state=0)
    return (spectral.affinity_matrix(X, 0.1),)


def _moons_with_outliers(n):
    X, _ = make_moons(n_samples=n - n // 10, noise=0.06, random_state=0)
    outliers = np.random.default_rng(0).uniform([-1.2, -0.8], [2.2, 1.3], size=(n // 10, 2))
    return np.vstack([X, outliers]), 0.2, 5


PAIRS = [
    SpeedPair("3.23.4", "Shi-Malik spectral embedding (eigh) vs scikit-learn spectral_embedding (ARPACK)",
              lambda W: spectral.spectral_embedding(W, 2, "random_walk").vectors,
              lambda W: spectral_embedding(W, n_components=2, norm_laplacian=True, drop_first=False, random_state=0),
              _moons_affinity, small=150, large=1000),
    SpeedPair("3.23.5", "DBSCAN (dense eps-graph, BFS) vs scikit-learn DBSCAN (k-d tree)",
              lambda X, eps, m: dbscan.dbscan(X, eps, m).labels,
              lambda X, eps, m: DBSCAN(eps=eps, min_samples=m).fit(X).labels_,
              _moons_with_outliers, small=220, large=3000),
]

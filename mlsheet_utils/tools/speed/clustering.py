"""Clustering and mixtures against scikit-learn."""

from sklearn.cluster import KMeans

from mlsheet_utils import data
from mlsheet_utils.algorithms.clustering import kmeans as cluster
from mlsheet_utils.tools.speed import SpeedPair


def _blobs_and_start(n):
    X, _ = data.blobs(n_per_cluster=n // 3, rng=11)
    return X, cluster.kmeans_plus_plus(X, 3, rng=0)


PAIRS = [
    SpeedPair("3.23.1", "k-means (Lloyd) vs scikit-learn KMeans",
              lambda X, c0: cluster.kmeans(X, init=c0, max_iter=300).centroids,
              lambda X, c0: KMeans(3, init=c0, n_init=1, algorithm="lloyd", max_iter=300, tol=0)
              .fit(X).cluster_centers_,
              _blobs_and_start, small=180, large=30_000),
]

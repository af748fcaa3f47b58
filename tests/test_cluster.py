import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.cluster import KMeans

from mlsheet_utils import data
from mlsheet_utils.algorithms.clustering import kmeans as cluster


def test_kmeans_matches_sklearn_over_random_problems():
    """Gold-standard comparison (numpy-ml style) over randomly drawn shapes and k."""
    rng = np.random.default_rng(42)
    for _ in range(10):
        n, d = int(rng.integers(5, 80)), int(rng.integers(1, 5))
        k = int(rng.integers(1, min(n, 6) + 1))
        X = rng.standard_normal((n, d)) * rng.uniform(0.5, 3.0)
        init = cluster.kmeans_plus_plus(X, k, rng=rng)
        ours = cluster.kmeans(X, init=init, max_iter=500)
        ref = KMeans(k, init=init, n_init=1, algorithm="lloyd", max_iter=500, tol=0).fit(X)
        np.testing.assert_allclose(ours.centroids, ref.cluster_centers_, rtol=1e-9, atol=1e-10)
        assert ours.wcss == pytest.approx(ref.inertia_, rel=1e-9, abs=1e-12)
        assert np.all(np.diff(ours.history) <= 1e-9)


def test_squared_distances_matches_cdist():
    rng = np.random.default_rng(1)
    X, C = rng.standard_normal((30, 4)), rng.standard_normal((5, 4))
    np.testing.assert_allclose(cluster.squared_distances(X, C), cdist(X, C, "sqeuclidean"), atol=1e-12)


def test_k_equals_n_gives_zero_objective():
    X, _ = data.blobs(3, rng=0)
    res = cluster.kmeans(X, len(X), rng=0)
    assert res.wcss == pytest.approx(0.0, abs=1e-12)


def test_zero_iterations_returns_the_start():
    X, _ = data.blobs(5, rng=0)
    init = cluster.kmeans_plus_plus(X, 3, rng=1)
    res = cluster.kmeans(X, init=init, max_iter=0)
    np.testing.assert_array_equal(res.centroids, init)
    assert res.n_iter == 0 and len(res.history) == 1
    assert res.wcss == pytest.approx(cluster.squared_distances(X, init).min(1).sum())


def test_kmeans_plus_plus_seeded():
    X, _ = data.blobs(20, rng=0)
    np.testing.assert_array_equal(cluster.kmeans_plus_plus(X, 3, 5), cluster.kmeans_plus_plus(X, 3, 5))


@pytest.mark.parametrize("kwargs,match", [
    ({"k": 0}, "k must be >= 1"),
    ({"k": 100}, "k must be <= 9"),
    ({"k": 2, "init": np.zeros((3, 2))}, "disagrees"),
    ({"init": np.zeros((2, 3))}, "columns"),
    ({"k": 2, "max_iter": -1}, "max_iter"),
    ({}, "give k or init"),
])
def test_kmeans_validates(kwargs, match):
    X, _ = data.blobs(3, rng=0)
    with pytest.raises(ValueError, match=match):
        cluster.kmeans(X, **kwargs)


def test_kmeans_rejects_nan():
    X = np.array([[0.0, 1.0], [np.nan, 2.0]])
    with pytest.raises(ValueError, match="X contains NaN"):
        cluster.kmeans(X, 1)

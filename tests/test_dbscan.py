import numpy as np
import pytest
from sklearn.cluster import DBSCAN as SkDBSCAN
from sklearn.datasets import make_moons
from sklearn.neighbors import NearestNeighbors, radius_neighbors_graph

from mlsheet_utils.algorithms.clustering import dbscan


def _problems(seed, count):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n, d = int(rng.integers(1, 150)), int(rng.integers(1, 4))
        X = rng.standard_normal((n, d)) * rng.uniform(0.3, 2.0)
        yield X, float(rng.uniform(0.05, 1.0)), int(rng.integers(1, 10))


def test_dbscan_matches_sklearn_exactly_over_random_problems():
    """Core points and labels equal scikit-learn's exactly (same numbering, same border-point rule)."""
    for X, eps, m in _problems(0, 60):
        ours = dbscan.dbscan(X, eps, m)
        ref = SkDBSCAN(eps=eps, min_samples=m).fit(X)
        np.testing.assert_array_equal(np.flatnonzero(ours.core), ref.core_sample_indices_)
        np.testing.assert_array_equal(ours.labels, ref.labels_)


def test_estimator_matches_sklearn_on_moons_with_outliers():
    X, _ = make_moons(200, noise=0.07, random_state=3)
    X = np.vstack([X, np.random.default_rng(3).uniform(-1, 2, (20, 2))])
    for eps, m in [(0.1, 3), (0.2, 5), (0.3, 12)]:
        ours = dbscan.DBSCAN(eps, m).fit(X)
        ref = SkDBSCAN(eps=eps, min_samples=m).fit(X)
        np.testing.assert_array_equal(ours.labels_, ref.labels_)
        np.testing.assert_array_equal(ours.core_sample_indices_, ref.core_sample_indices_)
        np.testing.assert_array_equal(ours.components_, ref.components_)


def test_neighborhoods_match_radius_neighbors_graph():
    for X, eps, _ in _problems(1, 10):
        ref = radius_neighbors_graph(X, eps, include_self=True).toarray().astype(bool)
        np.testing.assert_array_equal(dbscan.neighborhoods(X, eps), ref)


def test_k_distance_matches_nearest_neighbors():
    rng = np.random.default_rng(2)
    for _ in range(5):
        X = rng.standard_normal((int(rng.integers(5, 60)), 2))
        k = int(rng.integers(1, len(X) + 1))
        dist, _ = NearestNeighbors(n_neighbors=k).fit(X).kneighbors(X)
        np.testing.assert_allclose(dbscan.k_distance(X, k), np.sort(dist[:, -1])[::-1], rtol=1e-12, atol=1e-12)


def test_contested_border_point_goes_to_the_first_cluster_like_sklearn():
    row_a = np.column_stack([np.arange(6) * 0.1, np.zeros(6)])
    row_b = np.column_stack([1.1 + np.arange(6) * 0.1, np.zeros(6)])
    X = np.vstack([row_a, [[0.8, 0.0]], row_b])
    for order in (np.arange(13), np.arange(13)[::-1]):
        ours = dbscan.dbscan(X[order], 0.35, 4)
        ref = SkDBSCAN(eps=0.35, min_samples=4).fit(X[order])
        np.testing.assert_array_equal(ours.labels, ref.labels_)
        assert ours.n_clusters == 2 and ours.border.sum() >= 1


def test_bad_inputs_raise_value_error():
    X = np.zeros((5, 2))
    with pytest.raises(ValueError, match="eps"):
        dbscan.dbscan(X, 0.0)
    with pytest.raises(ValueError, match="min_samples"):
        dbscan.dbscan(X, 0.5, 0)
    with pytest.raises(ValueError, match="X"):
        dbscan.dbscan(np.zeros(5), 0.5)
    with pytest.raises(ValueError, match="X"):
        dbscan.DBSCAN().fit([[np.nan, 0.0]])
    with pytest.raises(ValueError, match="k"):
        dbscan.k_distance(X, 6)

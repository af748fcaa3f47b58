"""mlsheet_utils.algorithms.clustering.evaluation against scikit-learn's metrics and SciPy over seeded random
labellings."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn import metrics
from sklearn.cluster import KMeans

from mlsheet_utils.algorithms.clustering import evaluation as ev


def random_labelling(seed):
    """Random data (n, d) and two labellings, the first with 2 <= k <= n - 1 clusters (some maybe singletons)."""
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(6, 90)), int(rng.integers(1, 5))
    k = int(rng.integers(2, min(7, n - 1) + 1))
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0)
    labels = rng.integers(0, k, n)
    labels[:2] = [0, 1]                                   # at least two clusters
    other = rng.choice(np.array(["a", "b", "c", "d"])[: int(rng.integers(1, 5))], n)
    return X, labels, other


@pytest.mark.parametrize("seed", range(10))
def test_silhouette_matches_sklearn(seed):
    X, labels, _ = random_labelling(seed)
    np.testing.assert_allclose(ev.silhouette_samples(X, labels), metrics.silhouette_samples(X, labels),
                               rtol=1e-9, atol=1e-12)
    D = cdist(X, X)
    np.testing.assert_allclose(ev.euclidean_distance_matrix(X), D, rtol=1e-12, atol=1e-14)
    assert ev.silhouette_score(D, labels, precomputed=True) == pytest.approx(
        metrics.silhouette_score(D, labels, metric="precomputed"), rel=1e-12, abs=1e-14)


def test_silhouette_of_a_singleton_is_zero():
    X = np.random.default_rng(0).normal(size=(9, 2))
    labels = np.array([0] * 5 + [1] * 3 + [2])
    assert ev.silhouette_samples(X, labels)[-1] == 0.0
    np.testing.assert_allclose(ev.silhouette_samples(X, labels), metrics.silhouette_samples(X, labels), atol=1e-12)


@pytest.mark.parametrize("seed", range(10))
def test_pair_counting_indices_match_sklearn(seed):
    _, labels, other = random_labelling(seed)
    assert ev.adjusted_rand_index(labels, other) == pytest.approx(metrics.adjusted_rand_score(labels, other),
                                                                  rel=1e-10, abs=1e-12)
    assert ev.rand_index(labels, other) == pytest.approx(metrics.rand_score(labels, other), rel=1e-12)
    np.testing.assert_array_equal(ev.contingency_matrix(labels, other),
                                  metrics.cluster.contingency_matrix(labels, other))


def test_ari_edge_cases_and_renaming():
    assert ev.adjusted_rand_index([0, 0, 0], [5, 5, 5]) == metrics.adjusted_rand_score([0, 0, 0], [5, 5, 5]) == 1.0
    assert ev.adjusted_rand_index([0, 1, 2], [2, 0, 1]) == 1.0
    assert ev.adjusted_rand_index([0, 0, 1, 1], ["x", "x", "y", "y"]) == pytest.approx(1.0)


def test_mean_ari_over_all_relabellings_is_zero():
    """Exact enumeration: the hypergeometric model behind the adjustment, for 6 points."""
    import itertools

    true, pred = np.array([0, 0, 0, 1, 1, 2]), np.array([0, 0, 1, 1, 2, 2])
    aris = [ev.adjusted_rand_index(true, pred[list(p)]) for p in itertools.permutations(range(6))]
    assert np.mean(aris) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_scatter_indices_match_sklearn(seed):
    X, labels, _ = random_labelling(seed)
    ss = ev.sum_of_squares(X, labels)
    assert ss.total == pytest.approx(((X - X.mean(0)) ** 2).sum(), rel=1e-12)
    assert ss.within + ss.between == pytest.approx(ss.total, rel=1e-10)
    assert ev.calinski_harabasz(X, labels) == pytest.approx(metrics.calinski_harabasz_score(X, labels), rel=1e-10)
    assert ev.davies_bouldin(X, labels) == pytest.approx(metrics.davies_bouldin_score(X, labels), rel=1e-10)


def test_within_is_kmeans_inertia():
    X = np.random.default_rng(3).normal(size=(60, 2))
    km = KMeans(3, n_init=1, random_state=0).fit(X)
    assert ev.sum_of_squares(X, km.labels_).within == pytest.approx(km.inertia_, rel=1e-10)


@pytest.mark.parametrize("call, match", [
    (lambda: ev.silhouette_score(np.zeros((5, 2)), [0] * 5), "between 2 and n - 1"),
    (lambda: ev.silhouette_score(np.zeros((3, 2)), [0, 1, 2]), "between 2 and n - 1"),
    (lambda: ev.silhouette_score(np.zeros((4, 2)), [0, 1]), "labels must be 1-dimensional with 4"),
    (lambda: ev.silhouette_score(np.ones((3, 3)), [0, 0, 1], precomputed=True), "zero diagonal"),
    (lambda: ev.silhouette_score(np.zeros(4), [0, 0, 1, 1]), "X must be 2-dimensional"),
    (lambda: ev.adjusted_rand_index([0, 1], [0, 1, 1]), "labels_pred must be 1-dimensional with 2"),
    (lambda: ev.rand_index([0], [0]), "at least 2 points"),
    (lambda: ev.calinski_harabasz(np.zeros((4, 2)), [0, 0, 0, 0]), "between 2 and n - 1"),
    (lambda: ev.davies_bouldin(np.full((4, 2), np.nan), [0, 0, 1, 1]), "NaN"),
])
def test_validation_messages(call, match):
    with pytest.raises(ValueError, match=match):
        call()

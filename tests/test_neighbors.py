import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.neighbors import KDTree, KNeighborsClassifier, KNeighborsRegressor, NearestNeighbors

from mlsheet_utils.algorithms import neighbors as knn


def _problems(seed, count=8):
    """Random problems (numpy-ml style): continuous data, so distances do not tie."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n, m, d = int(rng.integers(5, 120)), int(rng.integers(1, 60)), int(rng.integers(1, 9))
        k = int(rng.integers(1, n + 1))
        yield rng, rng.standard_normal((n, d)) * rng.uniform(0.1, 5.0), rng.standard_normal((m, d)), k


def _lowest_index_rule(D, k):
    """The k smallest entries of each row of D ordered by (value, column): an independent sort."""
    return np.array([np.lexsort((np.arange(D.shape[1]), row))[:k] for row in D])


def test_kneighbors_matches_sklearn_and_cdist():
    for _, X, Q, k in _problems(0):
        ours = knn.kneighbors(X, Q, k)
        ref_dist, ref_idx = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(X).kneighbors(Q)
        np.testing.assert_array_equal(ours.indices, ref_idx)
        np.testing.assert_allclose(ours.distances, np.sort(cdist(Q, X), axis=1)[:, :k], rtol=1e-12, atol=1e-14)


def test_leave_one_out_search_matches_sklearn():
    for _, X, _, k in _problems(1):
        k = min(k, len(X) - 1)
        ours = knn.kneighbors(X, None, k)
        np.testing.assert_array_equal(ours.indices, NearestNeighbors(n_neighbors=k).fit(X).kneighbors()[1])
        assert not np.any(ours.indices == np.arange(len(X))[:, None])


def test_distance_ties_go_to_the_lower_index():
    grid = np.array([[a, b] for a in range(6) for b in range(5)], dtype=float)
    queries = np.vstack([grid, grid[:12] + 0.5, [[2.5, 2.0], [-1.0, -1.0]]])
    D = cdist(queries, grid)
    for k in (1, 2, 3, 4, 7, len(grid)):
        expected = _lowest_index_rule(D, k)
        np.testing.assert_array_equal(knn.kneighbors(grid, queries, k).indices, expected)
        tree = knn.build_kdtree(grid, leaf_size=3)
        np.testing.assert_array_equal(knn.kdtree_query(tree, queries, k).indices, expected)
    D_self = cdist(grid, grid)
    np.fill_diagonal(D_self, np.inf)
    np.testing.assert_array_equal(knn.kneighbors(grid, None, 5).indices, _lowest_index_rule(D_self, 5))


def test_classifier_matches_sklearn():
    for rng, X, Q, k in _problems(2):
        y = rng.choice(np.array(["a", "b", "c"]), size=len(X))
        for weights in knn.WEIGHTS:
            ours = knn.KNeighborsClassifier(n_neighbors=k, weights=weights).fit(X, y)
            ref = KNeighborsClassifier(n_neighbors=k, weights=weights, algorithm="brute").fit(X, y)
            np.testing.assert_array_equal(ours.classes_, ref.classes_)
            np.testing.assert_allclose(ours.predict_proba(Q), ref.predict_proba(Q), rtol=1e-8, atol=1e-12)
            np.testing.assert_array_equal(ours.predict(Q), ref.predict(Q))


def test_split_votes_go_to_the_first_class():
    X = np.array([[0.0], [1.0], [3.0], [4.0]])
    y = np.array([1, 0, 1, 0])
    ours = knn.KNeighborsClassifier(n_neighbors=4).fit(X, y)
    ref = KNeighborsClassifier(n_neighbors=4).fit(X, y)
    np.testing.assert_array_equal(ours.predict([[2.0], [10.0]]), [0, 0])
    np.testing.assert_array_equal(ours.predict([[2.0], [10.0]]), ref.predict([[2.0], [10.0]]))


def test_distance_weights_take_the_label_of_an_exact_match():
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((40, 3)), rng.integers(0, 3, 40)
    for k in (1, 5, 40):
        model = knn.KNeighborsClassifier(n_neighbors=k, weights="distance").fit(X, y)
        np.testing.assert_array_equal(model.predict(X), y)
        np.testing.assert_array_equal(model.predict(X), KNeighborsClassifier(k, weights="distance").fit(X, y)
                                      .predict(X))


def test_regressor_matches_sklearn():
    for rng, X, Q, k in _problems(4):
        y = rng.standard_normal(len(X)) * 3 + 1
        for weights in knn.WEIGHTS:
            ours = knn.KNeighborsRegressor(n_neighbors=k, weights=weights).fit(X, y).predict(Q)
            ref = KNeighborsRegressor(n_neighbors=k, weights=weights, algorithm="brute").fit(X, y).predict(Q)
            np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-12)


def test_every_k_scores_match_sklearn_at_each_k():
    rng = np.random.default_rng(5)
    X, Q = rng.standard_normal((30, 2)), rng.standard_normal((25, 2))
    y = rng.integers(0, 2, 30)
    t = rng.standard_normal(30)
    nb = knn.kneighbors(X, Q, 30)
    for weights in knn.WEIGHTS:
        scores = knn.class_scores(y[nb.indices], nb.distances, 2, weights, every_k=True)
        means = knn.neighbor_average(t[nb.indices], nb.distances, weights, every_k=True)
        for k in (1, 2, 7, 30):
            ref = KNeighborsClassifier(n_neighbors=k, weights=weights, algorithm="brute").fit(X, y)
            np.testing.assert_allclose(scores[:, k - 1], ref.predict_proba(Q), rtol=1e-8, atol=1e-12)
            np.testing.assert_allclose(means[:, k - 1], KNeighborsRegressor(n_neighbors=k, weights=weights)
                                       .fit(X, t).predict(Q), rtol=1e-8, atol=1e-12)


def test_error_by_k_matches_sklearn():
    rng = np.random.default_rng(6)
    X, y = rng.standard_normal((60, 2)), rng.integers(0, 3, 60)
    X_te, y_te = rng.standard_normal((40, 2)), rng.integers(0, 3, 40)
    for weights in knn.WEIGHTS:
        loo = knn.error_by_k(X, y, 59, weights=weights)
        test = knn.error_by_k(X, y, 60, X_test=X_te, y_test=y_te, weights=weights)
        for k in (1, 2, 9, 59):
            ref = KNeighborsClassifier(n_neighbors=k, weights=weights).fit(X, y)
            assert loo[k - 1] == pytest.approx(np.mean(ref.predict(None) != y), abs=1e-15)
            assert test[k - 1] == pytest.approx(1 - ref.score(X_te, y_te), abs=1e-12)


def test_kdtree_is_exact_in_several_dimensions():
    rng = np.random.default_rng(7)
    for d in (1, 2, 3, 6):
        X, Q = rng.random((300, d)), rng.random((30, d))
        for leaf_size, k in ((1, 1), (8, 4), (50, 10), (400, 3)):
            found = knn.kdtree_query(knn.build_kdtree(X, leaf_size), Q, k)
            ref_dist, ref_idx = KDTree(X).query(Q, k=k)
            np.testing.assert_array_equal(found.indices, ref_idx)
            np.testing.assert_allclose(found.distances, ref_dist, rtol=1e-12)
            assert np.all(found.n_distances >= k) and np.all(found.n_distances <= len(X))


def test_kdtree_handles_duplicate_points():
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0]]), 20, axis=0)
    Q = np.array([[0.1, 0.0], [0.9, 1.0]])
    found = knn.kdtree_query(knn.build_kdtree(X, leaf_size=4), Q, 5)
    np.testing.assert_array_equal(found.indices, [[0, 1, 2, 3, 4], [20, 21, 22, 23, 24]])
    np.testing.assert_array_equal(found.indices, _lowest_index_rule(cdist(Q, X), 5))


@pytest.mark.parametrize("call,match", [
    (lambda X: knn.kneighbors(X, X, 0), "n_neighbors must be >= 1"),
    (lambda X: knn.kneighbors(X, X, 11), "n_neighbors must be <= 10"),
    (lambda X: knn.kneighbors(X, None, 10), "n_neighbors must be <= 9"),
    (lambda X: knn.kneighbors(X, X[:, :1], 2), "Q must have 2 columns"),
    (lambda X: knn.kneighbors(np.full((3, 2), np.nan), None, 1), "X contains NaN"),
    (lambda X: knn.kneighbors(X[0], None, 1), "X must be 2-dimensional"),
    (lambda X: knn.class_scores(np.zeros((2, 3), int), np.ones((2, 3)), 2, "cosine"), "weights must be one of"),
    (lambda X: knn.class_scores(np.full((2, 3), 2), np.ones((2, 3)), 2), r"labels must be integers in \[0, 1\]"),
    (lambda X: knn.class_scores(np.zeros((2, 3), int), -np.ones((2, 3)), 2), "distances must be non-negative"),
    (lambda X: knn.neighbor_average(np.zeros((2, 2)), np.ones((2, 3))), "targets must have the shape"),
    (lambda X: knn.error_by_k(X, np.zeros(9), 2), "y must have one label per row"),
    (lambda X: knn.error_by_k(X, np.zeros(10), 2, X_test=X), "give both X_test and y_test"),
    (lambda X: knn.error_by_k(X, np.zeros(10), 2, X_test=X, y_test=np.ones(10)), "labels that y does not have"),
    (lambda X: knn.KNeighborsClassifier(n_neighbors=11).fit(X, np.zeros(10)), "n_neighbors must be <= 10"),
    (lambda X: knn.KNeighborsRegressor(weights="gaussian").fit(X, np.zeros(10)), "weights must be one of"),
    (lambda X: knn.KNeighborsClassifier().fit(X, np.zeros(9)), r"y must have shape \(10,\)"),
    (lambda X: knn.KNeighborsClassifier().predict(X), "not fitted yet"),
    (lambda X: knn.build_kdtree(X, leaf_size=0), "leaf_size must be >= 1"),
    (lambda X: knn.kdtree_query(X, X, 1), "tree must be a KDTree"),
    (lambda X: knn.kdtree_query(knn.build_kdtree(X), X, 11), "n_neighbors must be <= 10"),
])
def test_bad_input_raises_value_error(call, match):
    X = np.random.default_rng(0).standard_normal((10, 2))
    with pytest.raises(ValueError, match=match):
        call(X)


def test_large_problems_are_searched_in_blocks():
    rng = np.random.default_rng(8)
    X, Q = rng.random((3000, 3)), rng.random((1000, 3))          # 3 million distances: several blocks
    np.testing.assert_array_equal(knn.kneighbors(X, Q, 7).indices,
                                  NearestNeighbors(n_neighbors=7).fit(X).kneighbors(Q)[1])
    np.testing.assert_array_equal(knn.kneighbors(X, None, 7).indices,
                                  NearestNeighbors(n_neighbors=7).fit(X).kneighbors()[1])

"""Resampling, weights and thresholds against scikit-learn, brute force and Bayes' rule."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from scipy.stats import norm
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.class_weight import compute_class_weight

from mlsheet_utils.algorithms import imbalance as imb


def _data(seed, n=300, prevalence=0.1, dim=2):
    return imb.gaussian_classes(n, prevalence, separation=1.5, dim=dim, rng=seed)


@pytest.mark.parametrize("seed,ratio", [(0, 1.0), (1, 0.5), (2, 0.3)])
def test_random_oversample_copies_minority_rows(seed, ratio):
    X, y = _data(seed)
    r = imb.random_oversample(X, y, ratio=ratio, rng=seed)
    np.testing.assert_array_equal(r.X, X[r.indices])
    np.testing.assert_array_equal(r.y, y[r.indices])
    np.testing.assert_array_equal(r.indices[: y.size], np.arange(y.size))
    assert np.all(y[r.indices[y.size:]] == 1)
    assert r.y.sum() == round(ratio * (y == 0).sum()) and (r.y == 0).sum() == (y == 0).sum()


@pytest.mark.parametrize("seed,ratio", [(0, 1.0), (3, 0.4)])
def test_random_undersample_keeps_a_subset(seed, ratio):
    X, y = _data(seed)
    r = imb.random_undersample(X, y, ratio=ratio, rng=seed)
    np.testing.assert_array_equal(r.X, X[r.indices])
    assert np.unique(r.indices).size == r.indices.size             # without replacement
    assert r.y.sum() == y.sum() and (r.y == 0).sum() == round(y.sum() / ratio)


def test_oversampling_equals_integer_weights_for_logistic_regression():
    X, y = _data(4)
    r = imb.random_oversample(X, y, rng=4)
    dup = LogisticRegression(C=10.0, tol=1e-12, max_iter=10_000).fit(r.X, r.y)
    weighted = LogisticRegression(C=10.0, tol=1e-12, max_iter=10_000).fit(
        X, y, sample_weight=np.bincount(r.indices, minlength=y.size))
    np.testing.assert_allclose(dup.coef_, weighted.coef_, rtol=1e-6)
    np.testing.assert_allclose(dup.intercept_, weighted.intercept_, rtol=1e-6)


@pytest.mark.parametrize("seed,k,dim", [(5, 5, 2), (6, 1, 3), (7, 3, 5)])
def test_smote_points_lie_on_segments_to_k_nearest_minority_neighbours(seed, k, dim):
    X, y = _data(seed, n=400, prevalence=0.08, dim=dim)
    res = imb.smote(X, y, k=k, ratio=0.5, rng=seed)
    n = y.size
    np.testing.assert_array_equal(res.X[:n], X)
    synth = res.X[n:]
    assert np.all(res.y[n:] == 1) and res.y[n:].size == round(0.5 * (y == 0).sum()) - y.sum()
    # brute force: each synthetic point lies on a segment from a minority point to one of its k neighbours
    Xm = X[y == 1]
    nn = NearestNeighbors(n_neighbors=k + 1).fit(Xm).kneighbors(Xm, return_distance=False)[:, 1:]
    best = np.full(len(synth), np.inf)
    for i in range(len(Xm)):
        for j in nn[i]:
            seg = Xm[j] - Xm[i]
            lam = np.clip((synth - Xm[i]) @ seg / (seg @ seg), 0, 1)
            best = np.minimum(best, np.linalg.norm(synth - (Xm[i] + lam[:, None] * seg), axis=1))
    assert best.max() < 1e-9
    # and the recorded base, neighbour and gap reproduce every point
    np.testing.assert_allclose(synth, X[res.base] + res.gap[:, None] * (X[res.neighbor] - X[res.base]), atol=1e-12)
    assert np.all((res.gap >= 0) & (res.gap < 1))
    d = cdist(X[res.base], Xm)
    rank = (d < np.linalg.norm(X[res.neighbor] - X[res.base], axis=1)[:, None]).sum(1)   # self counts once
    assert np.all(rank <= k)


def test_balanced_weights_match_sklearn():
    rng = np.random.default_rng(8)
    for _ in range(5):
        y = rng.choice([2, 5, 7, 11], size=int(rng.integers(10, 200)), p=[0.6, 0.25, 0.1, 0.05])
        w = imb.balanced_class_weights(y)
        np.testing.assert_array_equal(w.classes, np.unique(y))
        np.testing.assert_allclose(w.weights, compute_class_weight("balanced", classes=np.unique(y), y=y),
                                   rtol=1e-12)
        np.testing.assert_allclose(w.sample_weight(y).sum(), y.size, rtol=1e-12)


def test_prior_shift_is_bayes_rule():
    x = np.linspace(-3, 5, 41)
    f1, f0 = norm.pdf(x, 2.0, 1.0), norm.pdf(x, 0.0, 1.0)
    for pi_train, pi_true in [(0.5, 0.01), (0.3, 0.7), (0.02, 0.2)]:
        p_train = pi_train * f1 / (pi_train * f1 + (1 - pi_train) * f0)
        p_true = pi_true * f1 / (pi_true * f1 + (1 - pi_true) * f0)
        np.testing.assert_allclose(imb.prior_shift(p_train, train_prior=pi_train, true_prior=pi_true), p_true,
                                   rtol=1e-12)


def test_gaussian_posterior_is_bayes_rule():
    X, _ = _data(9, dim=3)
    u = np.ones(3) / np.sqrt(3)
    f1 = norm.pdf(X - 1.5 * u).prod(1)
    f0 = norm.pdf(X).prod(1)
    np.testing.assert_allclose(imb.gaussian_posterior(X, 0.1, separation=1.5), 0.1 * f1 / (0.1 * f1 + 0.9 * f0),
                               rtol=1e-10)


def test_cost_threshold_minimises_expected_cost():
    p = np.linspace(0, 1, 100_001)
    for c_fp, c_fn in [(1, 1), (1, 20), (5, 2)]:
        t = imb.cost_threshold(c_fp, c_fn)
        says_positive = (1 - p) * c_fp < p * c_fn
        away = ~np.isclose(p, t, rtol=0, atol=1e-9)          # at p = t both answers cost the same
        np.testing.assert_array_equal(says_positive[away], (p > t)[away])


def test_min_cost_threshold_by_enumeration():
    rng = np.random.default_rng(10)
    for _ in range(5):
        y = (rng.random(80) < 0.2).astype(int)
        s = np.round(rng.standard_normal(80) + y, 1)
        c_fp, c_fn = rng.uniform(0.5, 2), rng.uniform(1, 20)
        best = min(((c_fp * np.sum((s >= t) & (y == 0)) + c_fn * np.sum((s < t) & (y == 1)), -t)
                    for t in np.r_[np.inf, np.unique(s)]))
        got = imb.min_cost_threshold(y, s, cost_fp=c_fp, cost_fn=c_fn)
        assert got.cost == pytest.approx(best[0], rel=1e-12) and got.threshold == -best[1]


def test_gaussian_classes_counts_and_means():
    X, y = imb.gaussian_classes(20_000, 0.25, separation=2.0, dim=4, rng=11)
    assert y.sum() == 5000
    se = 1 / np.sqrt(5000)
    np.testing.assert_allclose(X[y == 1].mean(0), np.full(4, 1.0), atol=5 * se)     # 2 / sqrt(4) per coordinate
    np.testing.assert_allclose(X[y == 0].mean(0), 0, atol=5 * se)


@pytest.mark.parametrize("call,match", [
    (lambda: imb.random_oversample(np.zeros((3, 2)), [0, 1, 2]), "exactly two classes"),
    (lambda: imb.random_oversample(np.zeros((3, 2)), [0, 1]), "one entry per row"),
    (lambda: imb.random_oversample(*_data(0), ratio=0.01), "at least the current"),
    (lambda: imb.random_undersample(*_data(0), ratio=1.5), "ratio must be <= 1"),
    (lambda: imb.smote(*_data(0, n=40), k=4), "k must be <= 3"),
    (lambda: imb.random_oversample(*_data(0), rng=-1), "rng"),
    (lambda: imb.balanced_class_weights([]), "empty"),
    (lambda: imb.balanced_class_weights([0, 1]).sample_weight([2]), "without a weight"),
    (lambda: imb.cost_threshold(0, 1), "cost_fp"),
    (lambda: imb.prior_shift([0.5], train_prior=1.0, true_prior=0.1), "train_prior"),
    (lambda: imb.prior_shift([1.5], train_prior=0.5, true_prior=0.1), "p must lie"),
    (lambda: imb.min_cost_threshold([0, 1], [0.1, 0.2], cost_fp=1, cost_fn=-1), "cost_fn"),
    (lambda: imb.gaussian_classes(10, 0.01), "positives"),
    (lambda: imb.gaussian_posterior(np.zeros(3), 0.1), "X must be 2-dimensional"),
])
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()

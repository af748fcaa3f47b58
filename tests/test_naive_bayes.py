from fractions import Fraction

import numpy as np
import pytest
from scipy import stats
from sklearn import naive_bayes as sk_nb

from mlsheet_utils.algorithms import naive_bayes as nb


def test_gaussian_nb_matches_sklearn_over_random_problems():
    rng = np.random.default_rng(11)
    for _ in range(8):
        n, d, k = int(rng.integers(10, 80)), int(rng.integers(1, 6)), int(rng.integers(2, 5))
        y = np.r_[np.arange(k), rng.integers(0, k, n - k)]
        X = rng.standard_normal((n, d)) * rng.uniform(0.1, 5.0, d) + y[:, None] * rng.uniform(-1, 1, d)
        vs = float(10.0 ** rng.uniform(-9, -1))
        ours, ref = nb.GaussianNB(var_smoothing=vs).fit(X, y), sk_nb.GaussianNB(var_smoothing=vs).fit(X, y)
        np.testing.assert_allclose(ours.theta_, ref.theta_, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(ours.var_, ref.var_, rtol=1e-11)
        np.testing.assert_allclose(ours.class_prior_, ref.class_prior_, rtol=1e-14)
        Xn = rng.standard_normal((20, d)) * 3
        np.testing.assert_allclose(ours.predict_log_proba(Xn), ref.predict_log_proba(Xn), rtol=1e-9, atol=1e-10)
        np.testing.assert_array_equal(ours.predict(Xn), ref.predict(Xn))


def test_discrete_nb_match_sklearn_over_random_counts():
    rng = np.random.default_rng(5)
    for _ in range(8):
        n, V, k = int(rng.integers(10, 60)), int(rng.integers(2, 30)), int(rng.integers(2, 4))
        X = rng.poisson(rng.uniform(0.2, 2.0), (n, V))
        y = np.r_[np.arange(k), rng.integers(0, k, n - k)]
        alpha, fit_prior = float(rng.uniform(0.01, 2.0)), bool(rng.random() < 0.5)
        for ours, ref in ((nb.MultinomialNB(alpha=alpha, fit_prior=fit_prior),
                           sk_nb.MultinomialNB(alpha=alpha, fit_prior=fit_prior)),
                          (nb.BernoulliNB(alpha=alpha, fit_prior=fit_prior),
                           sk_nb.BernoulliNB(alpha=alpha, fit_prior=fit_prior))):
            ours.fit(X, y)
            ref.fit(X, y)
            np.testing.assert_allclose(ours.feature_log_prob_, ref.feature_log_prob_, rtol=1e-12)
            np.testing.assert_allclose(ours.class_log_prior_, ref.class_log_prior_, rtol=1e-12)
            np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=1e-9, atol=1e-12)
            np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


def test_given_class_prior_matches_sklearn():
    X = np.random.default_rng(0).poisson(1.0, (30, 6))
    y = np.arange(30) % 3
    prior = [0.2, 0.3, 0.5]
    ours = nb.MultinomialNB(class_prior=prior).fit(X, y)
    ref = sk_nb.MultinomialNB(class_prior=prior).fit(X, y)
    np.testing.assert_allclose(ours.predict_log_proba(X), ref.predict_log_proba(X), rtol=1e-10)


def test_bernoulli_posterior_equals_exact_bayes_rule():
    table = np.array([[1, 0, 1], [1, 1, 0], [0, 0, 1], [0, 1, 1], [1, 1, 1]])
    y = np.array([1, 1, 0, 0, 1])
    x = np.array([0, 1, 1])
    joint = {}
    for c in (0, 1):
        rows = table[y == c]
        p = [Fraction(int(rows[:, v].sum()) + 1, len(rows) + 2) for v in range(3)]
        joint[c] = Fraction(len(rows), len(y))
        for pv, on in zip(p, x):
            joint[c] *= pv if on else 1 - pv
    exact = joint[1] / (joint[0] + joint[1])
    ours = nb.BernoulliNB(alpha=1.0).fit(table, y).predict_proba(x[None])[0, 1]
    assert ours == pytest.approx(float(exact), rel=1e-13)


def test_gaussian_log_likelihood_matches_scipy():
    rng = np.random.default_rng(3)
    X, theta, var = rng.standard_normal((7, 3)), rng.standard_normal((2, 3)), rng.uniform(0.1, 3.0, (2, 3))
    ref = np.array([[stats.norm.logpdf(x, theta[c], np.sqrt(var[c])).sum() for c in range(2)] for x in X])
    np.testing.assert_allclose(nb.gaussian_log_likelihood(X, theta, var), ref, rtol=1e-13)


def test_lidstone_sums_to_one_and_laplace_is_add_one():
    counts = np.array([[3.0, 0.0, 1.0, 6.0]])
    p = np.exp(nb.lidstone_log_prob(counts, counts.sum(axis=1, keepdims=True), 0.5, 4))
    assert p.sum() == pytest.approx(1.0, rel=1e-14)
    np.testing.assert_allclose(np.exp(nb.lidstone_log_prob(counts, 10.0, 1.0, 4)), (counts + 1) / 14, rtol=1e-14)
    assert np.isneginf(nb.lidstone_log_prob(counts, 10.0, 0.0, 4)[0, 1])


def test_log_space_survives_long_documents():
    X = np.array([[5, 0, 1], [0, 4, 2], [4, 1, 0], [1, 5, 1]])
    y = np.array([0, 1, 0, 1])
    model = nb.MultinomialNB().fit(X, y)
    long_doc = 5000 * np.array([[3, 1, 1]])
    proba = model.predict_proba(long_doc)
    assert np.all(np.isfinite(proba)) and proba.sum() == pytest.approx(1.0) and model.predict(long_doc)[0] == 0


@pytest.mark.parametrize("call,match", [
    (lambda: nb.GaussianNB().fit(np.ones(3), [0, 1, 0]), "X must be 2-dimensional"),
    (lambda: nb.GaussianNB().fit(np.ones((3, 2)), [0, 1]), "one label per row"),
    (lambda: nb.GaussianNB(var_smoothing=-1.0).fit(np.eye(2), [0, 1]), "var_smoothing must be >= 0"),
    (lambda: nb.GaussianNB(priors=[0.5, 0.6]).fit(np.eye(2), [0, 1]), "priors must hold 2"),
    (lambda: nb.GaussianNB().predict(np.eye(2)), "not fitted"),
    (lambda: nb.MultinomialNB().fit([[1.0, -1.0], [0.0, 2.0]], [0, 1]), "non-negative counts"),
    (lambda: nb.MultinomialNB(alpha=0.0).fit(np.eye(2), [0, 1]), "alpha must be > 0"),
    (lambda: nb.MultinomialNB().fit(np.eye(2), [0, 1]).predict(np.ones((1, 3))), "3 columns"),
    (lambda: nb.BernoulliNB(binarize=None).fit([[0.0, 2.0], [1.0, 0.0]], [0, 1]), "only 0 and 1"),
    (lambda: nb.lidstone_log_prob([[-1.0]], [[1.0]], 1.0, 2), "non-negative"),
    (lambda: nb.lidstone_log_prob([[1.0]], [[1.0]], 1.0, 0), "n_values must be > 0"),
    (lambda: nb.gaussian_log_likelihood(np.ones((2, 2)), np.ones((2, 2)), np.zeros((2, 2))), "var must be positive"),
    (lambda: nb.gaussian_log_likelihood(np.ones((2, 3)), np.ones((2, 2)), np.ones((2, 2))), "need theta and var"),
])
def test_naive_bayes_validates(call, match):
    with pytest.raises(ValueError, match=match):
        call()

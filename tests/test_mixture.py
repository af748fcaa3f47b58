"""Tests of mlsheet_utils.mixture against scikit-learn and SciPy over seeded random problems."""

import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from mlsheet_utils.algorithms.clustering import mixture
from mlsheet_utils.algorithms.probability import divergences


def random_problem(seed):
    """A random mixture problem: data, k, and random starting parameters (weights, means, covariances)."""
    rng = np.random.default_rng(seed)
    k, d = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    n = int(rng.integers(40, 200))
    centers = rng.normal(0, 4, (k, d))
    X = centers[rng.integers(k, size=n)] + rng.normal(0, 1, (n, d))
    w = rng.dirichlet(np.ones(k))
    m = X[rng.choice(n, k, replace=False)]
    A = rng.normal(0, 0.5, (k, d, d))
    C = A @ np.swapaxes(A, 1, 2) + np.eye(d)
    return X, w, m, C


def sklearn_fit(X, w, m, C, max_iter, reg_covar=1e-6):
    gm = GaussianMixture(len(w), covariance_type="full", weights_init=w, means_init=m,
                         precisions_init=np.linalg.inv(C), max_iter=max_iter, tol=0.0, reg_covar=reg_covar)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return gm.fit(X)


@pytest.mark.parametrize("seed", range(12))
def test_em_matches_sklearn_from_same_start(seed):
    X, w, m, C = random_problem(seed)
    ours = mixture.gmm_em(X, weights=w, means=m, covariances=C, max_iter=25, tol=0.0)
    ref = sklearn_fit(X, w, m, C, 25)
    assert ours.n_iter == 25
    np.testing.assert_allclose(ours.weights, ref.weights_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(ours.means, ref.means_, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(ours.covariances, ref.covariances_, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(ours.log_likelihood / len(X), ref.score(X), rtol=1e-9)
    # sklearn's lower_bound_ is the mean log-likelihood before its last M step
    np.testing.assert_allclose(ours.history[-2] / len(X), ref.lower_bound_, rtol=1e-9)


@pytest.mark.parametrize("seed", range(12))
def test_log_likelihood_never_decreases(seed):
    X, w, m, C = random_problem(100 + seed)
    res = mixture.gmm_em(X, weights=w, means=m, covariances=C, max_iter=60, tol=0.0)
    steps = np.diff(res.history)
    assert np.all(steps >= -1e-9 * (1 + abs(res.history[-1])))


def test_densities_and_estep_match_scipy():
    X, w, m, C = random_problem(3)
    logp = mixture.log_gaussian_densities(X, m, C)
    ref = np.column_stack([stats.multivariate_normal(m[j], C[j]).logpdf(X).reshape(-1) for j in range(len(w))])
    np.testing.assert_allclose(logp, ref, rtol=1e-10, atol=1e-10)
    resp, ll = mixture.e_step(X, w, m, C)
    np.testing.assert_allclose(resp.sum(1), 1.0, rtol=1e-12)
    mix = np.exp(ref) @ w
    np.testing.assert_allclose(ll, np.log(mix).sum(), rtol=1e-10)


def test_kmeans_start_and_keep_params():
    X, w, _, _ = random_problem(5)
    res = mixture.gmm_em(X, len(w), max_iter=10, rng=1, keep_params=True)
    assert len(res.params) == len(res.history) == res.n_iter + 1
    assert res.history[-1] >= res.history[0]


@pytest.mark.parametrize("seed", range(6))
def test_bic_aic_match_sklearn(seed):
    X, w, m, C = random_problem(200 + seed)
    ours = mixture.gmm_em(X, weights=w, means=m, covariances=C, max_iter=30, tol=0.0)
    ref = sklearn_fit(X, w, m, C, 30)
    np.testing.assert_allclose(mixture.gmm_bic(X, ours), ref.bic(X), rtol=1e-9)
    np.testing.assert_allclose(mixture.gmm_aic(X, ours), ref.aic(X), rtol=1e-9)
    assert mixture.gmm_n_parameters(len(w), X.shape[1]) == ref._n_parameters()


@pytest.mark.parametrize("seed", range(8))
def test_kl_categorical_matches_scipy_entropy(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 8))
    p, q = rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k))
    p[0] = 0.0
    p /= p.sum()
    np.testing.assert_allclose(divergences.kl_categorical(p, q), stats.entropy(p, q), rtol=1e-12)
    b1, b2 = rng.uniform(0.01, 0.99, 2)
    np.testing.assert_allclose(divergences.kl_bernoulli(b1, b2), stats.entropy([b1, 1 - b1], [b2, 1 - b2]), rtol=1e-12)


def test_kl_categorical_conventions():
    assert divergences.kl_categorical([1.0, 0.0], [0.5, 0.5]) == pytest.approx(np.log(2))
    assert divergences.kl_categorical([0.5, 0.5], [1.0, 0.0]) == np.inf
    out = divergences.kl_categorical(np.full((3, 2), 0.5), np.full((3, 2), 0.5))
    np.testing.assert_array_equal(out, np.zeros(3))


@pytest.mark.parametrize("seed", range(5))
def test_kl_gaussians_closed_form_vs_monte_carlo(seed):
    rng = np.random.default_rng(seed)
    d = int(rng.integers(1, 4))
    m1, m2 = rng.normal(0, 1, d), rng.normal(0, 1, d)
    A1, A2 = rng.normal(0, 0.5, (2, d, d))
    S1, S2 = A1 @ A1.T + np.eye(d), A2 @ A2.T + np.eye(d)
    p, q = stats.multivariate_normal(m1, S1), stats.multivariate_normal(m2, S2)
    est, se = divergences.kl_monte_carlo(lambda n, r: p.rvs(n, random_state=r).reshape(n, d),
                                     p.logpdf, q.logpdf, 40_000, rng=seed)
    exact = divergences.kl_mvn(m1, S1, m2, S2)
    assert abs(est - exact) < 5 * se + 1e-12
    if d == 1:
        np.testing.assert_allclose(divergences.kl_gaussian(m1[0], np.sqrt(S1[0, 0]), m2[0], np.sqrt(S2[0, 0])),
                                   exact, rtol=1e-12)
    assert divergences.kl_mvn(m1, S1, m1, S1) == pytest.approx(0.0, abs=1e-12)


def test_kl_gaussian_broadcasts_and_is_asymmetric():
    out = divergences.kl_gaussian(0.0, np.array([0.5, 1.0, 2.0]), 0.0, 1.0)
    assert out.shape == (3,) and out[1] == 0.0
    assert divergences.kl_gaussian(0, 1, 1, 2) != pytest.approx(divergences.kl_gaussian(1, 2, 0, 1))


@pytest.mark.parametrize("call, match", [
    (lambda: divergences.kl_gaussian(0, -1, 0, 1), "sigma1"),
    (lambda: divergences.kl_gaussian(0, 1, 0, 0), "sigma2"),
    (lambda: divergences.kl_categorical([0.5, 0.6], [0.5, 0.5]), "p must"),
    (lambda: divergences.kl_categorical([0.5, 0.5], [0.5, 0.5, 0.0]), "same shape"),
    (lambda: divergences.kl_bernoulli(0.5, 1.5), "q must"),
    (lambda: divergences.kl_mvn([0, 0], np.eye(2), [0, 0], -np.eye(2)), "cov2"),
    (lambda: divergences.kl_mvn([0, 0], np.eye(2), [0], np.eye(2)), "mean2"),
    (lambda: divergences.kl_monte_carlo(None, np.log, np.log), "sample_p"),
    (lambda: mixture.gmm_em(np.zeros((5, 2))), "give k or means"),
    (lambda: mixture.gmm_em(np.zeros((5, 2)), 6), "k must be <= 5"),
    (lambda: mixture.gmm_em(np.zeros(5), 1), "X must be 2-dimensional"),
    (lambda: mixture.gmm_em(np.ones((5, 2)), means=np.zeros((2, 3))), "means must have shape"),
    (lambda: mixture.gmm_em(np.ones((5, 2)), means=np.zeros((2, 2)), weights=[0.9, 0.2]), "weights"),
    (lambda: mixture.gmm_em(np.ones((5, 2)), 1, tol=-1.0), "tol"),
    (lambda: mixture.gmm_em(np.ones((5, 2)), 1, reg_covar=-1.0), "reg_covar"),
    (lambda: mixture.e_step(np.ones((5, 1)), [1.0], [[0.0]], [[[0.0]]]), "positive definite"),
    (lambda: mixture.bic(-10.0, -1, 5), "n_params"),
    (lambda: mixture.bic(-10.0, 2, 0), "n must"),
    (lambda: mixture.aic(float("nan"), 2), "log_likelihood"),
])
def test_validation_messages(call, match):
    with pytest.raises(ValueError, match=match):
        call()

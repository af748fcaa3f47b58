"""mlsheet_utils.algorithms.clustering.mixture against scikit-learn, SciPy and NumPy over seeded random problems."""

import dataclasses
import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from mlsheet_utils import data
from mlsheet_utils.algorithms.clustering import mixture


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
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.n_iter = 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.params[0].weights = None


@pytest.mark.parametrize("seed", range(4))
def test_points_start_then_em_matches_sklearn(seed):
    X, w, _, _ = random_problem(300 + seed)
    k = len(w)
    res = mixture.gmm_em(X, k, init="points", rng=seed, max_iter=15, tol=0.0, keep_params=True)
    start = res.params[0]
    rows = [np.flatnonzero((X == m).all(axis=1)) for m in start.means]
    assert all(r.size for r in rows) and len({int(r[0]) for r in rows}) == k          # k distinct data points
    np.testing.assert_allclose(start.weights, np.full(k, 1 / k))
    np.testing.assert_allclose(start.covariances, np.repeat(np.cov(X.T, bias=True).reshape(1, X.shape[1], -1)
                                                            + 1e-6 * np.eye(X.shape[1]), k, 0), rtol=1e-12)
    ref = sklearn_fit(X, start.weights, start.means, start.covariances, 15)
    np.testing.assert_allclose(res.means, ref.means_, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(res.log_likelihood / len(X), ref.score(X), rtol=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_gmm_logpdf_matches_sklearn_score_samples(seed):
    X, w, m, C = random_problem(400 + seed)
    ref = sklearn_fit(X, w, m, C, 5)
    ours = mixture.gmm_logpdf(X, ref.weights_, ref.means_, ref.covariances_)
    np.testing.assert_allclose(ours, ref.score_samples(X), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_m_step_is_the_weighted_mean_and_covariance(seed):
    X, w, m, C = random_problem(500 + seed)
    resp = np.random.default_rng(seed).dirichlet(np.ones(len(w)), size=len(X))
    weights, means, covs = mixture.m_step(X, resp, reg_covar=1e-4)
    np.testing.assert_allclose(weights, resp.mean(0), rtol=1e-12)
    for j in range(len(w)):
        np.testing.assert_allclose(means[j], np.average(X, axis=0, weights=resp[:, j]), rtol=1e-10, atol=1e-12)
        ref_cov = np.cov(X.T, aweights=resp[:, j], bias=True).reshape(X.shape[1], -1) + 1e-4 * np.eye(X.shape[1])
        np.testing.assert_allclose(covs[j], ref_cov, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_em_lower_bound_is_loglik_minus_kl_to_the_posterior(seed):
    X, w, m, C = random_problem(600 + seed)
    ll = np.sum(np.log(np.column_stack([stats.multivariate_normal(m[j], C[j]).pdf(X) for j in range(len(w))]) @ w))
    post, _ = mixture.e_step(X, w, m, C)
    np.testing.assert_allclose(mixture.em_lower_bound(X, post, w, m, C), ll, rtol=1e-10)
    q = np.random.default_rng(seed).dirichlet(np.ones(len(w)), size=len(X))
    kl = stats.entropy(q, post, axis=1).sum()
    np.testing.assert_allclose(mixture.em_lower_bound(X, q, w, m, C), ll - kl, rtol=1e-9)


def test_gmm_criteria_scores_each_fit_like_sklearn_and_finds_three_blobs():
    X, _ = data.blobs(n_per_cluster=60, centers=[(0.0, 0.0), (6.0, 0.0), (0.0, 6.0)], scale=1.0, rng=3)
    crit = mixture.gmm_criteria(X, range(1, 6))
    assert list(crit.k) == [1, 2, 3, 4, 5] and len(crit.fits) == 5
    for K, fit, b, a in zip(crit.k, crit.fits, crit.bic, crit.aic):
        gm = GaussianMixture(int(K)).fit(X[: 5 * K])                       # fitted only to create its attributes
        gm.weights_, gm.means_, gm.covariances_ = fit.weights, fit.means, fit.covariances
        gm.precisions_cholesky_ = np.linalg.cholesky(np.linalg.inv(fit.covariances))
        np.testing.assert_allclose([b, a], [gm.bic(X), gm.aic(X)], rtol=1e-10)
        single = [mixture.gmm_em(X, int(K), rng=s, max_iter=60, tol=1e-3).log_likelihood for s in (0, 1)]
        assert fit.log_likelihood == pytest.approx(max(single), rel=1e-12)  # the better of the two starts
    assert crit.k[crit.bic.argmin()] == 3


@pytest.mark.parametrize("seed", range(6))
def test_bic_aic_match_sklearn(seed):
    X, w, m, C = random_problem(200 + seed)
    ours = mixture.gmm_em(X, weights=w, means=m, covariances=C, max_iter=30, tol=0.0)
    ref = sklearn_fit(X, w, m, C, 30)
    np.testing.assert_allclose(mixture.gmm_bic(X, ours), ref.bic(X), rtol=1e-9)
    np.testing.assert_allclose(mixture.gmm_aic(X, ours), ref.aic(X), rtol=1e-9)
    assert mixture.gmm_n_parameters(len(w), X.shape[1]) == ref._n_parameters()


def _compact_precisions(covs, covariance_type):
    """scikit-learn's precisions_init for covariances in its compact form."""
    return 1.0 / covs if covariance_type in ("diag", "spherical") else np.linalg.inv(covs)


@pytest.mark.parametrize("covariance_type", mixture.COVARIANCE_TYPES)
@pytest.mark.parametrize("seed", range(5))
def test_gmm_estimator_matches_sklearn_for_every_covariance_type(seed, covariance_type):
    X, w, m, C = random_problem(700 + seed)
    k, d = m.shape
    start = mixture.typed_covariances(mixture._constrain(C, np.ones(k), covariance_type), covariance_type)
    ours = mixture.GMM(k, covariance_type=covariance_type, tol=0.0, max_iter=20, weights_init=w, means_init=m,
                       covariances_init=start).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = GaussianMixture(k, covariance_type=covariance_type, tol=0.0, max_iter=20, weights_init=w,
                              means_init=m, precisions_init=_compact_precisions(start, covariance_type)).fit(X)
    np.testing.assert_allclose(ours.weights_, ref.weights_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(ours.means_, ref.means_, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(ours.covariances_, ref.covariances_, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.score_samples(X), ref.score_samples(X), rtol=1e-9, atol=1e-10)
    assert ours.n_parameters() == ref._n_parameters()
    assert ours.bic(X) == pytest.approx(ref.bic(X), rel=1e-9)
    assert ours.aic(X) == pytest.approx(ref.aic(X), rel=1e-9)


@pytest.mark.parametrize("covariance_type", mixture.COVARIANCE_TYPES)
def test_typed_m_step_maximises_q_against_scipy_optimize(covariance_type):
    """The constrained M step's covariance beats nearby covariances of the same type on Q (numerical check)."""
    X, w, m, C = random_problem(801)
    k, d = m.shape
    resp, _ = mixture.e_step(X, w, m, C)
    weights, means, covs = mixture.m_step(X, resp, reg_covar=0.0, covariance_type=covariance_type)

    def q(cv):
        return float(np.sum(resp * stats_logpdf(X, means, cv)))

    best = q(covs)
    g = np.random.default_rng(0)
    for _ in range(20):
        jitter = mixture.typed_covariances(covs, covariance_type)
        jitter = jitter * np.exp(0.05 * g.standard_normal(jitter.shape)) if covariance_type != "full" else (
            jitter + 0.02 * (lambda A: A @ np.swapaxes(A, -1, -2))(g.standard_normal(jitter.shape)))
        if covariance_type == "tied":
            jitter = (jitter + jitter.T) / 2 + 0.01 * np.eye(d)
        assert q(mixture.full_covariances(jitter, covariance_type, k, d)) <= best + 1e-9


def stats_logpdf(X, means, covs):
    return np.column_stack([stats.multivariate_normal(means[j], covs[j]).logpdf(X).reshape(-1)
                            for j in range(len(means))])


def test_gmm_n_init_keeps_the_best_start_and_kmeans_start_is_typed():
    X, _ = data.blobs(n_per_cluster=40, centers=[(0.0, 0.0), (5.0, 0.0), (0.0, 5.0), (5.0, 5.0)], rng=2)
    single = [mixture.GMM(4, n_init=1, rng=np.random.default_rng(s)).fit(X).log_likelihood_ for s in range(3)]
    multi = mixture.GMM(4, n_init=3, rng=0).fit(X)
    assert multi.log_likelihood_ >= min(single) - 1e-9
    for ct, shape in [("full", (4, 2, 2)), ("tied", (2, 2)), ("diag", (4, 2)), ("spherical", (4,))]:
        g = mixture.GMM(4, covariance_type=ct, rng=0).fit(X)
        assert g.covariances_.shape == shape
        assert np.all(np.diff(g.history_) >= -1e-9 * abs(g.history_[-1]))
        assert g.score(X) == pytest.approx(g.log_likelihood_ / len(X), rel=1e-12)


def test_full_and_typed_covariances_round_trip():
    g = np.random.default_rng(1)
    A = g.normal(size=(3, 2, 2))
    full = A @ np.swapaxes(A, 1, 2) + np.eye(2)
    np.testing.assert_array_equal(mixture.full_covariances(full, "full", 3, 2), full)
    tied = mixture.full_covariances(full[0], "tied", 3, 2)
    assert tied.shape == (3, 2, 2) and np.all(tied == full[0])
    v = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    np.testing.assert_array_equal(mixture.typed_covariances(mixture.full_covariances(v, "diag", 3, 2), "diag"), v)
    s = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(mixture.full_covariances(s, "spherical", 3, 2)[2], 3.0 * np.eye(2))


@pytest.mark.parametrize("seed", range(5))
def test_soft_kmeans_small_sigma_is_sklearn_kmeans(seed):
    from sklearn.cluster import KMeans

    X, _ = data.blobs(n_per_cluster=30, scale=0.7, rng=seed)
    init = X[np.random.default_rng(seed).choice(len(X), 3, replace=False)]
    ours = mixture.soft_kmeans(X, init, 1e-3, max_iter=300)
    ref = KMeans(3, init=init, n_init=1, algorithm="lloyd", max_iter=300, tol=0).fit(X)
    np.testing.assert_allclose(ours.centers, ref.cluster_centers_, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(ours.resp.argmax(1), ref.labels_)


def test_soft_kmeans_one_step_is_the_weighted_mean():
    X, _ = data.blobs(n_per_cluster=10, rng=0)
    init = X[:3]
    d2 = ((X[:, None] - init[None]) ** 2).sum(-1)
    r = np.exp(-d2 / 2) / np.exp(-d2 / 2).sum(1, keepdims=True)          # sigma = 1
    np.testing.assert_allclose(mixture.soft_kmeans(X, init, 1.0, max_iter=1).centers,
                               r.T @ X / r.sum(0)[:, None], rtol=1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda: mixture.gmm_em(np.zeros((5, 2))), "give k or means"),
    (lambda: mixture.gmm_em(np.zeros((5, 2)), 6), "k must be <= 5"),
    (lambda: mixture.gmm_em(np.zeros(5), 1), "X must be 2-dimensional"),
    (lambda: mixture.gmm_em(np.ones((5, 2)), means=np.zeros((2, 3))), "means must have shape"),
    (lambda: mixture.gmm_em(np.ones((5, 2)), means=np.zeros((2, 2)), weights=[0.9, 0.2]), "weights"),
    (lambda: mixture.gmm_em(np.ones((5, 2)), 1, tol=-1.0), "tol"),
    (lambda: mixture.gmm_em(np.ones((5, 2)), 1, reg_covar=-1.0), "reg_covar"),
    (lambda: mixture.e_step(np.ones((5, 1)), [1.0], [[0.0]], [[[0.0]]]), "positive definite"),
    (lambda: mixture.gmm_em(np.ones((5, 2)), 1, init="random"), "init must be one of"),
    (lambda: mixture.m_step(np.ones((5, 2)), -np.ones((5, 2))), "resp must be non-negative"),
    (lambda: mixture.em_lower_bound(np.ones((2, 1)), [[0.5, 0.6], [0.5, 0.5]], [0.5, 0.5], [[0.0], [1.0]],
                                    np.ones((2, 1, 1))), "rows summing to 1"),
    (lambda: mixture.gmm_logpdf(np.ones((5, 2)), [1.0], [[0.0, 0.0]], np.ones((1, 2, 3))), "covariances must have"),
    (lambda: mixture.gmm_criteria(np.ones((5, 2)), []), "ks must name"),
    (lambda: mixture.gmm_criteria(np.ones((5, 2)), [6]), "each of ks must be <= 5"),
    (lambda: mixture.gmm_criteria(np.ones((5, 2)), [1], starts=[-1]), "each of starts must be >= 0"),
    (lambda: mixture.bic(-10.0, -1, 5), "n_params"),
    (lambda: mixture.bic(-10.0, 2, 0), "n must"),
    (lambda: mixture.aic(float("nan"), 2), "log_likelihood"),
    (lambda: mixture.gmm_em(np.ones((5, 2)), 1, covariance_type="round"), "covariance_type must be one of"),
    (lambda: mixture.m_step(np.ones((5, 2)), np.ones((5, 1)), covariance_type="Full"), "covariance_type"),
    (lambda: mixture.gmm_n_parameters(2, 2, "block"), "covariance_type"),
    (lambda: mixture.full_covariances(np.ones((3, 2)), "diag", 2, 2), "must have shape \\(2, 2\\)"),
    (lambda: mixture.typed_covariances(np.ones((2, 2)), "tied"), "covariances must be 3-dimensional"),
    (lambda: mixture.GMM(6).fit(np.ones((5, 2))), "n_components must be <= 5"),
    (lambda: mixture.GMM(2, means_init=np.zeros((3, 2))).fit(np.ones((5, 2))), "means_init must have shape"),
    (lambda: mixture.GMM(2, n_init=0).fit(np.ones((5, 2))), "n_init must be >= 1"),
    (lambda: mixture.GMM(2).predict(np.ones((5, 2))), "not fitted"),
    (lambda: mixture.soft_kmeans(np.ones((5, 2)), np.zeros((2, 2)), 0.0), "sigma must be > 0"),
    (lambda: mixture.soft_kmeans(np.ones((5, 2)), np.zeros((2, 3)), 1.0), "init must have 2 columns"),
])
def test_validation_messages(call, match):
    with pytest.raises(ValueError, match=match):
        call()

"""Synthetic-data samplers against SciPy, scikit-learn, NumPy and closed-form moments."""

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import cdist
from scipy.special import ndtri
from sklearn.neighbors import KernelDensity

from mlsheet_utils.algorithms import synthesis as syn


def _data(seed, n=150, d=2):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ np.array([[1.0, 0.4], [0.0, 0.7]])[:d, :d] + np.arange(1, d + 1) * 5


@pytest.mark.parametrize("seed", [0, 1])
def test_kde_sample_moments_and_sklearn(seed):
    X = _data(seed)
    H = np.array([[0.09, 0.02], [0.02, 0.04]])
    n = 200_000
    s = syn.kde_sample(X, H, n, rng=seed)
    cov = np.cov(X.T, bias=True) + H
    np.testing.assert_allclose(s.X.mean(0), X.mean(0), atol=5 * np.sqrt(np.diag(cov).max() / n))
    np.testing.assert_allclose(np.cov(s.X.T, bias=True), cov, atol=5 * np.sqrt(2 / n) * np.abs(cov).max())
    Z = np.linalg.solve(np.linalg.cholesky(H), (s.X[:3000] - X[s.source[:3000]]).T).T
    assert min(stats.kstest(Z[:, j], "norm").pvalue for j in range(2)) > 1e-3
    ours = syn.kde_sample(X, 0.4, 4000, rng=seed).X
    ref = KernelDensity(bandwidth=0.4).fit(X).sample(4000, random_state=seed + 10)
    assert min(stats.ks_2samp(ours[:, j], ref[:, j]).pvalue for j in range(2)) > 1e-3
    boot = syn.kde_sample(X, 0.0, 50, rng=seed)
    np.testing.assert_array_equal(boot.X, X[boot.source])


@pytest.mark.parametrize("seed", [0, 1])
def test_gmm_sample_moments_and_components(seed):
    w = np.array([0.2, 0.5, 0.3])
    mu = np.array([[0.0, 0.0], [4.0, 1.0], [-2.0, 5.0]])
    cov = np.array([np.eye(2), [[2.0, 0.5], [0.5, 1.0]], [[0.5, -0.2], [-0.2, 0.3]]])
    n = 200_000
    s = syn.gmm_sample(w, mu, cov, n, rng=seed)
    mean = w @ mu
    total = np.einsum("k,kij->ij", w, cov + np.einsum("ki,kj->kij", mu, mu)) - np.outer(mean, mean)
    np.testing.assert_allclose(s.X.mean(0), mean, atol=5 * np.sqrt(np.diag(total).max() / n))
    np.testing.assert_allclose(np.cov(s.X.T), total, atol=5 * np.sqrt(2 / n) * np.abs(total).max() * 2)
    assert stats.chisquare(np.bincount(s.component, minlength=3), w * n).pvalue > 1e-3
    for k in range(3):
        member = s.X[s.component == k][:3000]
        assert stats.kstest(member[:, 0], stats.norm(mu[k, 0], np.sqrt(cov[k, 0, 0])).cdf).pvalue > 1e-3


@pytest.mark.parametrize("seed", [0, 3])
def test_copula_against_rankdata_quantile_and_spearman(seed):
    X = _data(seed, n=300)
    X[:, 1] = np.exp(X[:, 1] / 3)                         # a skewed marginal
    cop = syn.fit_gaussian_copula(X)
    scores = ndtri(stats.rankdata(X, axis=0, method="ordinal") / (len(X) + 1))
    np.testing.assert_allclose(cop.correlation, np.corrcoef(scores.T), rtol=1e-12, atol=1e-12)
    s = syn.copula_sample(cop, 20_000, rng=seed)
    ref = np.stack([np.quantile(X[:, j], s.u[:, j]) for j in range(2)], axis=1)
    np.testing.assert_allclose(s.X, ref, rtol=1e-12, atol=1e-12)
    rho = stats.spearmanr(s.X[:, 0], s.X[:, 1]).statistic
    assert abs(rho - 6 / np.pi * np.arcsin(cop.correlation[0, 1] / 2)) < 5 / np.sqrt(20_000)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mmd2_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(30, 3)), rng.normal(0.5, 1.0, size=(25, 3))
    g = 0.3
    kxx, kyy, kxy = (np.exp(-g * cdist(a, b, "sqeuclidean")) for a, b in ((X, X), (Y, Y), (X, Y)))
    ref = ((kxx.sum() - 30) / (30 * 29) + (kyy.sum() - 25) / (25 * 24) - 2 * kxy.mean())
    np.testing.assert_allclose(syn.mmd2(X, Y, g), ref, rtol=1e-10)


@pytest.mark.parametrize("call,match", [
    (lambda: syn.kde_sample(np.zeros((5, 2)), -0.1, 3), "bandwidth"),
    (lambda: syn.kde_sample(np.zeros((5, 2)), np.eye(3), 3), "bandwidth"),
    (lambda: syn.kde_sample(np.zeros((5, 2)), 0.1, -1), "n"),
    (lambda: syn.gmm_sample([0.5, 0.6], np.zeros((2, 1)), np.ones((2, 1, 1)), 3), "weights"),
    (lambda: syn.gmm_sample([1.0], np.zeros((1, 2)), -np.eye(2)[None], 3), "covariances"),
    (lambda: syn.fit_gaussian_copula(np.zeros((1, 2))), "X"),
    (lambda: syn.copula_sample("not a model", 3), "model"),
    (lambda: syn.mmd2(np.zeros((3, 2)), np.zeros((3, 3)), 1.0), "columns"),
    (lambda: syn.mmd2(np.zeros((3, 2)), np.zeros((3, 2)), 0.0), "gamma"),
    (lambda: syn.kde_sample(np.array([[np.nan, 1.0]]), 0.1, 3), "data"),
])
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()

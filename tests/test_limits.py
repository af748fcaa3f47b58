"""Limit-theorem helpers against independent references: prefix means by NumPy, exact laws from SciPy,
brute-force sums over covariance matrices, SciPy's IIR filter, direct autocorrelation sums."""

import numpy as np
import pytest
from scipy import integrate, signal, special, stats
from scipy.linalg import toeplitz

from mlsheet_utils.algorithms.probability import limits


def test_running_means_are_prefix_means():
    x = np.random.default_rng(0).normal(size=(3, 200))
    ref = np.array([[row[:k].mean() for k in range(1, 201)] for row in x])
    np.testing.assert_allclose(limits.running_means(x), ref, rtol=1e-12, atol=1e-15)
    assert limits.running_means([4.0]).tolist() == [4.0]


def test_standardized_sums_are_standardized_prefix_means():
    x = np.random.default_rng(1).exponential(2.0, size=(50, 30))
    z = limits.standardized_sums(x, 2.0, 2.0)
    k = np.arange(1, 31)
    ref = np.array([[(row[:m].mean() - 2.0) / (2.0 / np.sqrt(m)) for m in k] for row in x])
    np.testing.assert_allclose(z, ref, rtol=1e-11, atol=1e-12)
    # exponential terms: S_n ~ Gamma(n, scale 2); Z_n of many sums follows z -> F_Gamma(n mu + sigma sqrt(n) z)
    zn = limits.standardized_sums(np.random.default_rng(2).exponential(2.0, (20_000, 8)), 2.0, 2.0)[:, -1]
    assert stats.kstest(zn, lambda t: stats.gamma.cdf(16 + 2 * np.sqrt(8) * t, 8, scale=2.0)).pvalue > 1e-3


def test_exact_ks_binomial_against_a_fine_grid_supremum():
    for n, p in ((10, 0.1), (40, 0.5), (7, 0.8)):
        sd = np.sqrt(n * p * (1 - p))
        zk = (np.arange(n + 1) - n * p) / sd
        zz = np.linspace(zk[0] - 1.0, zk[-1] + 1.0, 200_001)
        brute = np.abs(stats.binom.cdf(np.floor(n * p + zz * sd + 1e-9), n, p) - special.ndtr(zz)).max()
        step = (zz[1] - zz[0]) * stats.norm.pdf(0.0)
        ours = limits.exact_ks_binomial(n, p)
        assert brute - 1e-12 <= ours <= brute + 1.01 * step


def test_spread_ratio_of_normal_and_cauchy_quantiles():
    p = np.array([0.025, 0.25, 0.75, 0.975])
    assert limits.spread_ratio(stats.norm.ppf(p, 3.0, 7.0)) == pytest.approx(2 * 1.959964 / (2 * 0.6744898),
                                                                              rel=1e-6)
    assert limits.spread_ratio(stats.cauchy.ppf(p)) == pytest.approx(np.tan(0.475 * np.pi), rel=1e-12)


def test_chebyshev_bound_is_attained_by_the_three_point_law():
    c, q = 1.5, 0.05
    three = stats.rv_discrete(values=([-c, 0.0, c], [q, 1 - 2 * q, q]))
    assert float(limits.chebyshev_bound(three.std(), 1, c)) == pytest.approx(2 * q, rel=1e-12)
    np.testing.assert_allclose(limits.chebyshev_bound([0.5, 3.0], [10, 1], [0.3, 0.1]), [0.5**2 / (10 * 0.09), 1.0])


def test_monte_carlo_is_the_sample_mean_and_its_standard_error():
    u = np.random.default_rng(9).random(1000)
    mc = limits.monte_carlo(lambda v: np.exp(-v ** 2), lambda g, m: g.random(m), 1000, 9)
    assert mc.estimate == pytest.approx(np.mean(np.exp(-u ** 2)), rel=1e-12)
    assert mc.std_error == pytest.approx(stats.sem(np.exp(-u ** 2)), rel=1e-12)
    big = limits.monte_carlo(lambda v: np.exp(-v ** 2), lambda g, m: g.random(m), 200_000, 1)
    ref = integrate.quad(lambda v: np.exp(-v ** 2), 0, 1)[0]
    assert abs(big.estimate - ref) < 4 * big.std_error


def test_ar1_is_scipy_lfilter():
    eps = np.random.default_rng(3).standard_normal((20, 100))
    for phi in (-0.5, 0.0, 0.8):
        ref = signal.lfilter([np.sqrt(1 - phi ** 2)], [1, -phi], eps[:, 1:], axis=1, zi=phi * eps[:, :1])[0]
        out = limits.ar1(eps, phi)
        np.testing.assert_array_equal(out[:, 0], eps[:, 0])
        np.testing.assert_allclose(out[:, 1:], ref, rtol=1e-10, atol=1e-12)


def test_var_mean_and_ess_against_the_toeplitz_sum():
    ns = np.array([1, 2, 5, 50, 300])
    for phi in (-0.7, 0.0, 0.5, 0.95):
        brute = np.array([toeplitz(phi ** np.arange(m)).sum() / m ** 2 for m in ns])
        np.testing.assert_allclose(limits.var_mean_ar1(ns, phi), brute, rtol=1e-11)
        np.testing.assert_allclose(limits.var_mean_ar1(ns, phi, 2.5), 2.5 * brute, rtol=1e-11)
        np.testing.assert_allclose(limits.ess_ar1(ns, phi), 1 / brute, rtol=1e-11)


def _ess_by_direct_sums(x):
    c = x - x.mean()
    acf = np.array([c[: x.size - k] @ c[k:] for k in range(x.size)]) / (c @ c)
    stop = np.argmax(acf[1:] <= 0) + 1 if np.any(acf[1:] <= 0) else x.size
    return x.size / (1 + 2 * acf[1:stop].sum())


def test_ess_estimate_against_direct_autocorrelation_sums():
    series = limits.ar1(np.random.default_rng(6).standard_normal((4, 400)), 0.6)
    ours = limits.ess_estimate(series)
    assert ours.shape == (4,)
    np.testing.assert_allclose(ours, [_ess_by_direct_sums(s) for s in series], rtol=1e-10)
    assert limits.ess_estimate(series[0]) == pytest.approx(ours[0], rel=1e-12)
    trend = np.arange(10.0)                    # no non-positive autocorrelation before the last lags: sums them all
    assert limits.ess_estimate(trend) == pytest.approx(_ess_by_direct_sums(trend), rel=1e-10)


@pytest.mark.parametrize("call,match", [
    (lambda: limits.running_means(np.zeros((2, 0))), "draws must not be empty"),
    (lambda: limits.standardized_sums([1.0, 2.0], 0.0, 0.0), "sigma must be > 0"),
    (lambda: limits.exact_ks_binomial(0, 0.5), "n must be >= 1"),
    (lambda: limits.exact_ks_binomial(5, 1.0), "p must be < 1"),
    (lambda: limits.spread_ratio([1.0, 2.0, 2.0, 3.0]), "q75 > q25"),
    (lambda: limits.chebyshev_bound(1.0, 0, 0.1), "n must be >= 1"),
    (lambda: limits.chebyshev_bound(1.0, 10, 0.0), "eps must be > 0"),
    (lambda: limits.monte_carlo(np.exp, lambda g, m: g.random(m), 1, 0), "n must be >= 2"),
    (lambda: limits.monte_carlo(np.exp, lambda g, m: g.random(m), 5, -1), "rng must be a non-negative int"),
    (lambda: limits.ar1(np.zeros((2, 3)), 1.0), "phi must be < 1"),
    (lambda: limits.var_mean_ar1(0, 0.5), "n must be integers >= 1"),
    (lambda: limits.ess_estimate(np.ones(10)), "constant series"),
    (lambda: limits.ess_estimate([1.0, 2.0]), "length n >= 3"),
])
def test_validation_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()

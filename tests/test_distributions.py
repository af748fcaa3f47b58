"""Log-densities against scipy.stats over random parameters, sampler moments against theory, validation."""

import numpy as np
import pytest
from scipy import stats

from mlsheet_utils.algorithms.probability import distributions as D

N_PARAMS = 15


def _close(ours, ref):
    ours, ref = np.asarray(ours, float), np.asarray(ref, float)
    assert np.array_equal(np.isneginf(ours), np.isneginf(ref))
    assert np.array_equal(np.isposinf(ours), np.isposinf(ref))
    fin = np.isfinite(ref)
    np.testing.assert_allclose(ours[fin], ref[fin], rtol=1e-10, atol=1e-10)


def test_discrete_logpmfs_match_scipy():
    rng = np.random.default_rng(0)
    for _ in range(N_PARAMS):
        p, lam, n = rng.uniform(0.01, 0.99), rng.uniform(0.05, 40.0), int(rng.integers(0, 40))
        k = np.arange(-2, 60, dtype=float)
        _close(D.bernoulli_logpmf(k, p), stats.bernoulli.logpmf(k, p))
        _close(D.binomial_logpmf(k, n, p), stats.binom.logpmf(k, n, p))
        _close(D.poisson_logpmf(k, lam), stats.poisson.logpmf(k, lam))
    assert np.isneginf(D.poisson_logpmf(1.5, 2.0)) and np.isneginf(D.binomial_logpmf(0.5, 3, 0.5))
    _close(D.bernoulli_logpmf([0, 1], 1.0), stats.bernoulli.logpmf([0, 1], 1.0))


def test_continuous_logpdfs_match_scipy():
    rng = np.random.default_rng(1)
    for _ in range(N_PARAMS):
        mu, var = rng.normal(0, 3), rng.uniform(0.01, 10.0)
        a, b, rate = rng.uniform(0.2, 30.0), rng.uniform(0.2, 30.0), rng.uniform(0.05, 5.0)
        lo = rng.normal()
        hi = lo + rng.uniform(0.1, 5.0)
        x = np.concatenate([rng.normal(mu, 3 * np.sqrt(var), 50), [-1.0, 0.0, 0.5, 1.0, 2.0]])
        u = np.concatenate([rng.random(50), [-0.1, 0.0, 1.0, 1.1]])
        _close(D.normal_logpdf(x, mu, var), stats.norm.logpdf(x, mu, np.sqrt(var)))
        _close(D.exponential_logpdf(x, rate), stats.expon.logpdf(x, scale=1 / rate))
        _close(D.gamma_logpdf(np.abs(x), a, rate), stats.gamma.logpdf(np.abs(x), a, scale=1 / rate))
        _close(D.gamma_logpdf(x, a, rate), stats.gamma.logpdf(x, a, scale=1 / rate))
        _close(D.beta_logpdf(u, a, b), stats.beta.logpdf(u, a, b))
        _close(D.uniform_logpdf(x, lo, hi), stats.uniform.logpdf(x, lo, hi - lo))


def _random_spd(rng, d):
    A = rng.normal(size=(d, d))
    return A @ A.T + 0.5 * np.eye(d)


def test_mvn_and_wishart_logpdfs_match_scipy():
    rng = np.random.default_rng(2)
    for _ in range(N_PARAMS):
        d = int(rng.integers(1, 5))
        mean, cov = rng.normal(size=d), _random_spd(rng, d)
        X = rng.normal(size=(20, d)) * 2
        _close(D.mvn_logpdf(X, mean, cov), stats.multivariate_normal.logpdf(X, mean, cov))
        assert D.mvn_logpdf(X[0], mean, cov) == pytest.approx(stats.multivariate_normal.logpdf(X[0], mean, cov))
        nu = d - 1 + rng.uniform(0.1, 10.0)
        W = np.stack([_random_spd(rng, d) for _ in range(5)])
        ref = np.array([stats.wishart.logpdf(w, nu, cov) for w in W])
        np.testing.assert_allclose(D.wishart_logpdf(W, cov, nu), ref, rtol=1e-10, atol=1e-10)
        assert D.wishart_logpdf(W[0], cov, nu) == pytest.approx(ref[0], rel=1e-10)


# (sampler, theoretical mean, variance, excess kurtosis) over seeded draws: the sample mean must fall within
# 5 standard errors of the mean; the sample variance within 5 standard errors, sd(s^2) ~ sigma^2 sqrt((k+2)/n).
CASES = [
    ("normal", lambda r, n: D.sample_normal(r, 1.5, 4.0, n), stats.norm(1.5, 2.0)),
    ("exponential", lambda r, n: D.sample_exponential(r, 2.5, n), stats.expon(scale=1 / 2.5)),
    ("poisson", lambda r, n: D.sample_poisson(r, 3.7, n), stats.poisson(3.7)),
    ("poisson large", lambda r, n: D.sample_poisson(r, 250.0, n), stats.poisson(250.0)),
    ("gamma", lambda r, n: D.sample_gamma(r, 2.5, 0.5, n), stats.gamma(2.5, scale=2.0)),
    ("gamma shape < 1", lambda r, n: D.sample_gamma(r, 0.4, 3.0, n), stats.gamma(0.4, scale=1 / 3.0)),
    ("beta", lambda r, n: D.sample_beta(r, 2.0, 5.0, n), stats.beta(2.0, 5.0)),
    ("beta U-shaped", lambda r, n: D.sample_beta(r, 0.3, 0.6, n), stats.beta(0.3, 0.6)),
    ("bernoulli", lambda r, n: D.sample_bernoulli(r, 0.3, n), stats.bernoulli(0.3)),
    ("binomial", lambda r, n: D.sample_binomial(r, 12, 0.4, n), stats.binom(12, 0.4)),
    ("uniform", lambda r, n: D.sample_uniform(r, -1.0, 3.0, n), stats.uniform(-1.0, 4.0)),
]


@pytest.mark.parametrize("name,draw,ref", CASES, ids=[c[0] for c in CASES])
def test_sampler_moments_and_ks(name, draw, ref):
    n = 40_000
    x = draw(np.random.default_rng(7), n)
    assert x.shape == (n,)
    mean, var, kurt = (float(v) for v in ref.stats(moments="mvk"))
    assert abs(x.mean() - mean) < 5 * np.sqrt(var / n), name
    assert abs(x.var() - var) < 5 * var * np.sqrt((kurt + 2) / n), name
    if isinstance(ref.dist, stats.rv_continuous):
        assert stats.kstest(x, ref.cdf).pvalue > 1e-3, name


def test_samplers_are_deterministic_and_shaped():
    for f in (lambda r: D.sample_normal(r, size=(3, 4)), lambda r: D.sample_poisson(r, 2.0, (3, 4)),
              lambda r: D.sample_gamma(r, 1.5, 1.0, (3, 4)), lambda r: D.sample_exponential(r, 1.0, (3, 4))):
        a, b = f(np.random.default_rng(5)), f(np.random.default_rng(5))
        assert a.shape == (3, 4)
        np.testing.assert_array_equal(a, b)
    assert D.sample_normal(np.random.default_rng(0), size=7).shape == (7,)         # odd count from pairs


def test_mvn_sampler_moments():
    rng = np.random.default_rng(3)
    mean, cov = np.array([1.0, -2.0, 0.5]), _random_spd(rng, 3)
    X = D.sample_mvn(rng, mean, cov, 50_000)
    assert X.shape == (50_000, 3)
    se = np.sqrt(np.diag(cov) / len(X))
    assert np.all(np.abs(X.mean(0) - mean) < 5 * se)
    np.testing.assert_allclose(np.cov(X.T), cov, atol=5 * np.sqrt(2 / len(X)) * np.abs(cov).max())


@pytest.mark.parametrize("call,match", [
    (lambda: D.normal_logpdf(0.0, 0.0, -1.0), "var must be > 0"),
    (lambda: D.bernoulli_logpmf(1, 1.5), "p must be <= 1"),
    (lambda: D.binomial_logpmf(1, -1, 0.5), "n must be >= 0"),
    (lambda: D.poisson_logpmf(1, 0.0), "lam must be > 0"),
    (lambda: D.gamma_logpdf(1.0, 0.0, 1.0), "shape must be > 0"),
    (lambda: D.gamma_logpdf(1.0, 1.0, -2.0), "rate must be > 0"),
    (lambda: D.beta_logpdf(0.5, 1.0, 0.0), "b must be > 0"),
    (lambda: D.uniform_logpdf(0.5, 1.0, 1.0), "high must be > low"),
    (lambda: D.mvn_logpdf([0, 0], [0, 0], [[1, 1], [1, 1]]), "cov must be positive definite"),
    (lambda: D.mvn_logpdf([0, 0], [0, 0], [[1, 2], [0, 1]]), "cov must be symmetric"),
    (lambda: D.mvn_logpdf([0, 0, 0], [0, 0], np.eye(2)), "x must have shape"),
    (lambda: D.wishart_logpdf(np.eye(2), np.eye(2), 0.5), "nu must be > 1"),
    (lambda: D.sample_normal("0", size=3), "rng must be a non-negative int seed or a numpy.random.Generator"),
    (lambda: D.sample_normal(-1, size=3), "rng must be a non-negative int seed"),
    (lambda: D.sample_poisson(np.random.default_rng(0), 5000.0), "lam must be <= 1000"),
    (lambda: D.sample_normal(np.random.default_rng(0), size=-1), "size must be >= 0"),
    (lambda: D.sample_mvn(np.random.default_rng(0), [0, 0], np.eye(3)), "cov must be 2 x 2"),
])
def test_validation_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# -- inverse transform of a pmf, moments, change of variables, compound models, mixtures ----------------------

def test_sample_discrete_is_scipy_ppf_of_the_same_uniforms():
    values, probs = np.array([-1.0, 0.0, 2.0, 5.0]), np.array([0.1, 0.4, 0.3, 0.2])
    ref = stats.rv_discrete(values=(values, probs))
    for seed in (0, 1, 2):
        u = np.random.default_rng(seed).random(5000)
        np.testing.assert_array_equal(D.sample_discrete(seed, values, probs, 5000), ref.ppf(u))
    draws = D.sample_discrete(3, [0.0, 1.0, 2.0], [0.0, 0.5, 0.5], 2000)
    assert set(np.unique(draws)) == {1.0, 2.0}                  # a value of probability 0 is never drawn


def test_discrete_moments_match_scipy():
    rng = np.random.default_rng(4)
    for _ in range(5):
        values = np.sort(rng.choice(50, size=6, replace=False)).astype(float) - 20
        probs = rng.dirichlet(np.ones(6))
        m = D.discrete_moments(values, probs)
        ref = stats.rv_discrete(values=(values, probs))
        assert m.mean == pytest.approx(ref.mean(), rel=1e-12, abs=1e-12)
        assert m.var == pytest.approx(ref.var(), rel=1e-12)


def test_pushforward_pdf_matches_scipy_transformed_laws():
    ys = np.linspace(0.05, 6.0, 120)
    mu, s = 0.3, 0.8
    np.testing.assert_allclose(D.pushforward_pdf(ys, lambda t: stats.norm.pdf(t, mu, s), [(np.log, lambda t: 1 / t)]),
                               stats.lognorm.pdf(ys, s=s, scale=np.exp(mu)), rtol=1e-12)
    two = [(np.sqrt, lambda t: 0.5 / np.sqrt(t)), (lambda t: -np.sqrt(t), lambda t: -0.5 / np.sqrt(t))]
    np.testing.assert_allclose(D.pushforward_pdf(ys, stats.norm.pdf, two), stats.chi2.pdf(ys, 1), rtol=1e-12)
    assert D.pushforward_pdf(np.array([-1.0]), stats.norm.pdf, two)[0] == 0.0      # no branch reaches y < 0


def test_poisson_process_counts_are_poisson():
    counts = D.poisson_process_counts(8, 2.0, 3.0, 20_000)
    assert counts.dtype == np.int64 and counts.shape == (20_000,)
    k = np.arange(counts.max() + 1)
    observed = np.bincount(counts, minlength=k.size)
    expected = stats.poisson.pmf(k, 6.0) * counts.size
    pooled = np.r_[observed[:14].astype(float), observed[14:].sum()]
    pooled_expected = np.r_[expected[:14], counts.size - expected[:14].sum()]
    assert stats.chisquare(pooled, pooled_expected).pvalue > 1e-3
    # a window far longer than one block of gaps still counts every arrival (mean 10 * 50 = 500)
    long = D.poisson_process_counts(9, 10.0, 50.0, 2000)
    assert abs(long.mean() - 500) < 5 * np.sqrt(500 / 2000)
    assert D.poisson_process_counts(0, 1.0, 0.0, 3).tolist() == [0, 0, 0]


def test_finite_law_by_enumeration():
    from fractions import Fraction
    from itertools import product

    dice = {w: Fraction(1, 36) for w in product(range(1, 7), repeat=2)}
    law = D.finite_law(lambda w: w[0] + w[1], dice)
    assert law == {s: Fraction(6 - abs(s - 7), 36) for s in range(2, 13)}
    assert D.finite_law(lambda w: 7, dice) == {7: 1}


def test_mixture_pdf_and_sampler_match_the_mixture_cdf():
    weights, parts = [0.3, 0.7], [stats.norm(-2.0, 0.5), stats.gamma(3.0)]
    x = np.linspace(-5, 12, 301)
    np.testing.assert_allclose(D.mixture_pdf(x, weights, parts),
                               0.3 * stats.norm.pdf(x, -2, 0.5) + 0.7 * stats.gamma.pdf(x, 3.0), rtol=1e-14)
    draws = D.sample_mixture(11, weights, parts, 20_000)
    assert draws.shape == (20_000,)
    mixture_cdf = lambda t: 0.3 * stats.norm.cdf(t, -2, 0.5) + 0.7 * stats.gamma.cdf(t, 3.0)  # noqa: E731
    assert stats.kstest(draws, mixture_cdf).pvalue > 1e-3
    np.testing.assert_array_equal(D.sample_mixture(5, weights, parts, 50), D.sample_mixture(5, weights, parts, 50))


@pytest.mark.parametrize("call,match", [
    (lambda: D.sample_discrete(0, [0, 1], [0.5, 0.6]), "probs must be non-negative and sum to 1"),
    (lambda: D.sample_discrete(0, [1, 0], [0.5, 0.5]), "values must be strictly increasing"),
    (lambda: D.discrete_moments([0, 1, 2], [0.5, 0.5]), "values and probs must be non-empty and of one length"),
    (lambda: D.pushforward_pdf([1.0], np.exp, []), "branches must list at least one"),
    (lambda: D.poisson_process_counts(0, -1.0, 1.0), "rate must be > 0"),
    (lambda: D.poisson_process_counts(0, 1.0, -1.0), "length must be >= 0"),
    (lambda: D.finite_law(lambda w: w, {1: 0.5, 2: 0.6}), "summing to 1"),
    (lambda: D.mixture_pdf([0.0], [0.5, 0.6], [stats.norm(), stats.norm()]), "weights must be"),
    (lambda: D.sample_mixture(0, [1.0], [stats.norm(), stats.norm()], 3), "one distribution per weight"),
])
def test_new_functions_name_the_bad_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()

"""mlsheet_utils.algorithms.probability.divergences against SciPy (entropy, quadrature, densities) on seeded inputs."""

import dataclasses

import numpy as np
import pytest
from scipy import integrate, stats

from mlsheet_utils.algorithms.probability import divergences


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
    est = divergences.kl_monte_carlo(lambda n, r: p.rvs(n, random_state=r).reshape(n, d), p.logpdf, q.logpdf,
                                     40_000, rng=seed)
    exact = divergences.kl_mvn(m1, S1, m2, S2)
    assert abs(est.value - exact) < 5 * est.standard_error + 1e-12
    if d == 1:
        np.testing.assert_allclose(divergences.kl_gaussian(m1[0], np.sqrt(S1[0, 0]), m2[0], np.sqrt(S2[0, 0])),
                                   exact, rtol=1e-12)
    assert divergences.kl_mvn(m1, S1, m1, S1) == pytest.approx(0.0, abs=1e-12)


def test_kl_monte_carlo_result_is_frozen():
    est = divergences.kl_monte_carlo(lambda n, r: r.standard_normal(n), stats.norm.logpdf,
                                     lambda x: stats.norm.logpdf(x, 1.0), 100, rng=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        est.value = 0.0


def test_kl_gaussian_broadcasts_and_is_asymmetric():
    out = divergences.kl_gaussian(0.0, np.array([0.5, 1.0, 2.0]), 0.0, 1.0)
    assert out.shape == (3,) and out[1] == 0.0
    assert divergences.kl_gaussian(0, 1, 1, 2) != pytest.approx(divergences.kl_gaussian(1, 2, 0, 1))


@pytest.mark.parametrize("seed", range(6))
def test_kl_grid_matches_quadrature(seed):
    rng = np.random.default_rng(seed)
    (m1, m2), (s1, s2) = rng.normal(0, 1, 2), rng.uniform(0.5, 1.5, 2)
    grid = np.linspace(-12, 12, 1201)
    log_p, log_q = stats.norm.logpdf(grid, m1, s1), stats.norm.logpdf(grid, m2, s2)
    exact = integrate.quad(lambda t: stats.norm.pdf(t, m1, s1) * (stats.norm.logpdf(t, m1, s1)
                                                                 - stats.norm.logpdf(t, m2, s2)), -12, 12,
                           epsabs=1e-13, epsrel=1e-12)[0]
    np.testing.assert_allclose(divergences.kl_grid(log_p, log_q, grid[1] - grid[0]), exact, rtol=1e-9)


def test_kl_grid_support_conventions():
    dx = 0.5
    log_p = np.array([-np.inf, 0.0, 0.0, -np.inf])            # p = 0 at the ends: those terms count as 0
    log_q = np.log([0.5, 0.5, 0.5, 0.5])
    assert divergences.kl_grid(log_p, log_q, dx) == pytest.approx(dx * 2 * np.log(2))
    assert divergences.kl_grid(log_q, log_p, dx) == np.inf      # q misses mass of p


@pytest.mark.parametrize("call, match", [
    (lambda: divergences.kl_gaussian(0, -1, 0, 1), "sigma1"),
    (lambda: divergences.kl_gaussian(0, 1, 0, 0), "sigma2"),
    (lambda: divergences.kl_categorical([0.5, 0.6], [0.5, 0.5]), "p must"),
    (lambda: divergences.kl_categorical([0.5, 0.5], [0.5, 0.5, 0.0]), "same shape"),
    (lambda: divergences.kl_bernoulli(0.5, 1.5), "q must"),
    (lambda: divergences.kl_mvn([0, 0], np.eye(2), [0, 0], -np.eye(2)), "cov2"),
    (lambda: divergences.kl_mvn([0, 0], np.eye(2), [0], np.eye(2)), "mean2"),
    (lambda: divergences.kl_monte_carlo(None, np.log, np.log), "sample_p"),
    (lambda: divergences.kl_grid([0.0, 0.0], [0.0], 0.1), "same shape"),
    (lambda: divergences.kl_grid([0.0, np.nan], [0.0, 0.0], 0.1), "log_p must be finite or -inf"),
    (lambda: divergences.kl_grid([0.0, 0.0], [0.0, 0.0], 0.0), "dx must be > 0"),
])
def test_validation_messages(call, match):
    with pytest.raises(ValueError, match=match):
        call()

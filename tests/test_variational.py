"""mlsheet_utils.algorithms.probability.variational against closed forms, SciPy quadrature, Gauss-Hermite rules
and finite differences, on seeded inputs."""

import dataclasses
import math

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from mlsheet_utils.algorithms.probability import variational

QUAD = {"epsabs": 1e-13, "epsrel": 1e-12, "limit": 200}


def random_spd(rng, d):
    A = rng.normal(0, 1, (d, d))
    return A @ A.T / d + 0.5 * np.eye(d)


def normal_mean_posterior(x, tau, sigma):
    """The exact conjugate posterior N(m, s^2) of the normal-mean model, and log p(x) from SciPy."""
    var = 1 / (1 / tau ** 2 + len(x) / sigma ** 2)
    log_ev = stats.multivariate_normal(np.zeros(len(x)), sigma ** 2 * np.eye(len(x)) + tau ** 2).logpdf(x)
    return var * x.sum() / sigma ** 2, np.sqrt(var), log_ev


# -- forward and reverse fits -------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(5))
def test_forward_fit_matches_the_moments_by_quadrature(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 4))
    w, mu, sd = rng.dirichlet(np.ones(k)), rng.normal(0, 2, k), rng.uniform(0.3, 1.5, k)
    fit = variational.forward_kl_fit(w, mu, sd)
    pdf = lambda t: stats.norm.pdf(t, mu, sd) @ w                          # noqa: E731
    mean = integrate.quad(lambda t: t * pdf(t), -30, 30, **QUAD)[0]
    var = integrate.quad(lambda t: (t - mean) ** 2 * pdf(t), -30, 30, **QUAD)[0]
    np.testing.assert_allclose([fit.mean, fit.sd], [mean, np.sqrt(var)], rtol=1e-9, atol=1e-12)


def test_reverse_fit_recovers_a_gaussian_target():
    grid = np.linspace(-10, 10, 801)
    fit = variational.reverse_kl_fit(grid, stats.norm.logpdf(grid, 1.3, 0.8), [(-2.0, 1.0), (0.0, 2.0)],
                                     xatol=1e-8, fatol=1e-14)
    np.testing.assert_allclose([fit.mean, fit.sd], [1.3, 0.8], atol=1e-6)


def test_reverse_fit_on_two_bumps_is_a_minimum_of_the_quadrature_objective():
    grid = np.linspace(-9, 9, 721)
    w, centres, sd = 0.3, np.array([-2.0, 2.0]), 0.7
    log_p = np.log(stats.norm.pdf(grid[:, None], centres, sd) @ [w, 1 - w])
    fit = variational.reverse_kl_fit(grid, log_p, [(-2.0, sd), (2.0, sd), (0.8, 2.0)])

    def npdf(t, m, s):                       # scalar normal density (fast inside quad)
        return math.exp(-0.5 * ((t - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))

    def reverse_kl(v):                       # KL(q || p) by adaptive quadrature, q = N(v[0], exp(v[1])^2)
        def integrand(t):
            q = npdf(t, v[0], math.exp(v[1]))
            return q * math.log(q / (w * npdf(t, centres[0], sd) + (1 - w) * npdf(t, centres[1], sd)))
        return integrate.quad(integrand, -9, 9, epsabs=1e-12, epsrel=1e-11)[0]

    ref = optimize.minimize(reverse_kl, [fit.mean, np.log(fit.sd)], method="Nelder-Mead",
                            options={"xatol": 1e-7, "fatol": 1e-13})
    np.testing.assert_allclose([fit.mean, fit.sd], [ref.x[0], np.exp(ref.x[1])], atol=3e-4)
    assert abs(fit.mean - 2.0) < 0.1                                      # it sits on the heavier bump


# -- mean field for a Gaussian target -------------------------------------------------------------------------

def gauss_hermite_kl(m, s, mu, Sigma, order=3):
    """E_q[log q - log p] by a tensor Gauss-Hermite rule with SciPy densities (exact: the integrand is quadratic)."""
    x, w = np.polynomial.hermite_e.hermegauss(order)
    d = len(m)
    nodes = np.stack(np.meshgrid(*[x] * d, indexing="ij"), -1).reshape(-1, d)
    weights = np.prod(np.stack(np.meshgrid(*[w] * d, indexing="ij"), -1).reshape(-1, d), axis=1)
    weights /= (2 * np.pi) ** (d / 2)
    z = m + s * nodes
    return weights @ (stats.multivariate_normal(m, np.diag(s ** 2)).logpdf(z)
                      - stats.multivariate_normal(mu, Sigma).logpdf(z))


@pytest.mark.parametrize("seed", range(5))
def test_mean_field_kl_matches_gauss_hermite_and_broadcasts(seed):
    rng = np.random.default_rng(seed)
    d = int(rng.integers(1, 4))
    mu, Sigma = rng.normal(0, 1, d), random_spd(rng, d)
    m, s = rng.normal(0, 1, (4, d)), rng.uniform(0.3, 1.5, (4, d))
    out = variational.mean_field_kl(m, s, mu, Sigma)
    assert out.shape == (4,)
    np.testing.assert_allclose(out, [gauss_hermite_kl(mi, si, mu, Sigma) for mi, si in zip(m, s)], rtol=1e-10)


@pytest.mark.parametrize("seed", range(5))
def test_cavi_reaches_the_closed_form_optimum(seed):
    rng = np.random.default_rng(seed)
    d = int(rng.integers(2, 5))
    mu, Sigma = rng.normal(0, 1, d), random_spd(rng, d)
    res = variational.cavi_gaussian(mu, Sigma, rng.normal(0, 3, d), n_sweeps=300)
    variances = 1 / np.diag(np.linalg.inv(Sigma))                       # 1 / Lambda_jj
    np.testing.assert_allclose(res.variances, variances, rtol=1e-12)
    np.testing.assert_allclose(res.means[-1], mu, atol=1e-8)
    assert res.means.shape == (301, d) and res.elbo.shape == (301,)
    assert np.all(np.diff(res.elbo) >= -1e-12)
    # at the optimum KL = (log det Sigma - sum_j log variance_j) / 2
    np.testing.assert_allclose(-res.elbo[-1], 0.5 * (np.linalg.slogdet(Sigma)[1] - np.log(variances).sum()),
                               rtol=1e-9)
    np.testing.assert_allclose(-res.elbo[3], gauss_hermite_kl(res.means[3], np.sqrt(variances), mu, Sigma),
                               rtol=1e-10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.elbo = None


# -- the normal-mean model ----------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(4))
def test_elbo_normal_mean_is_tight_at_the_posterior_and_its_gradient_matches(seed):
    rng = np.random.default_rng(seed)
    tau, sigma = rng.uniform(0.5, 3, 2)
    x = rng.normal(1.0, sigma, int(rng.integers(1, 12)))
    m_post, s_post, log_ev = normal_mean_posterior(x, tau, sigma)
    np.testing.assert_allclose(variational.elbo_normal_mean(x, m_post, s_post, tau=tau, sigma=sigma), log_ev,
                               rtol=1e-12)
    p = np.array([rng.normal(), rng.uniform(0.2, 2)])
    grad = variational.elbo_normal_mean_grad(x, *p, tau=tau, sigma=sigma)
    fd = optimize.approx_fprime(p, lambda v: variational.elbo_normal_mean(x, *v, tau=tau, sigma=sigma), 1e-7)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("seed", range(4))
def test_elbo_monte_carlo_is_log_evidence_minus_kl(seed):
    rng = np.random.default_rng(seed)
    tau, sigma = 2.0, 1.0
    x = rng.normal(1.5, sigma, 8)
    m_post, s_post, log_ev = normal_mean_posterior(x, tau, sigma)
    exact = variational.elbo_normal_mean_mc(x, m_post, s_post, tau=tau, sigma=sigma, rng=seed)
    np.testing.assert_allclose(exact.value, log_ev, rtol=1e-10)         # every term equals log p(x)
    m, s = 0.5, 0.6
    kl = integrate.quad(lambda t: stats.norm.pdf(t, m, s) * (stats.norm.logpdf(t, m, s)
                                                             - stats.norm.logpdf(t, m_post, s_post)), -15, 15,
                        **QUAD)[0]
    est = variational.elbo_normal_mean_mc(x, m, s, tau=tau, sigma=sigma, n_samples=20_000, rng=seed)
    assert abs(est.value - (log_ev - kl)) < 5 * est.standard_error


def test_reparam_vi_lands_on_the_posterior():
    rng = np.random.default_rng(3)
    x = rng.normal(1.2, 1.0, 10)
    m_post, s_post, _ = normal_mean_posterior(x, 2.0, 1.0)
    fits = [variational.reparam_vi_normal_mean(x, tau=2.0, sigma=1.0, rng=k) for k in range(6)]
    np.testing.assert_allclose([f.mean for f in fits], m_post, rtol=1e-9)   # antithetic pairs: no noise in d/dm
    sds = np.array([f.sd for f in fits])
    assert abs(sds.mean() - s_post) < 5 * sds.std(ddof=1) / np.sqrt(len(sds)) + 1e-3


@pytest.mark.parametrize("call, match", [
    (lambda: variational.forward_kl_fit([0.5, 0.6], [0.0, 1.0], [1.0, 1.0]), "sum to 1"),
    (lambda: variational.forward_kl_fit([1.0], [0.0], [0.0]), "sds must be > 0"),
    (lambda: variational.forward_kl_fit([1.0], [0.0, 1.0], [1.0]), "one shared shape"),
    (lambda: variational.reverse_kl_fit([0.0, 1.0, 3.0], [0.0, 0.0, 0.0], [(0.0, 1.0)]), "uniformly spaced"),
    (lambda: variational.reverse_kl_fit([0.0, 1.0, 2.0], [0.0, 0.0, 0.0], [(0.0, -1.0)]), "starts must be"),
    (lambda: variational.mean_field_kl([0.0], [1.0], [0.0, 0.0], np.eye(2)), "axis of length 2"),
    (lambda: variational.mean_field_kl([0.0, 0.0], [1.0, 0.0], [0.0, 0.0], np.eye(2)), "s must be > 0"),
    (lambda: variational.cavi_gaussian([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]], [0.0, 0.0]), "positive definite"),
    (lambda: variational.cavi_gaussian([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]], [0.0, 0.0]), "symmetric"),
    (lambda: variational.cavi_gaussian([0.0, 0.0], np.eye(2), [0.0], n_sweeps=3), "m0 must have shape"),
    (lambda: variational.cavi_gaussian([0.0, 0.0], np.eye(2), [0.0, 0.0], n_sweeps=-1), "n_sweeps must be >= 0"),
    (lambda: variational.elbo_normal_mean([1.0], 0.0, -1.0, tau=1.0, sigma=1.0), "s must be > 0"),
    (lambda: variational.elbo_normal_mean([], 0.0, 1.0, tau=1.0, sigma=1.0), "x must not be empty"),
    (lambda: variational.elbo_normal_mean_mc([1.0], 0.0, 1.0, tau=0.0, sigma=1.0), "tau must be > 0"),
    (lambda: variational.reparam_vi_normal_mean([1.0], tau=1.0, sigma=1.0, n_pairs=0), "n_pairs must be >= 1"),
])
def test_validation_messages(call, match):
    with pytest.raises(ValueError, match=match):
        call()

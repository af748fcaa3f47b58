"""Conjugate updates, grid posteriors, Newton's MLE, point estimates and intervals against SciPy, scikit-learn and
closed forms; bad arguments raise ValueError naming them."""

import numpy as np
import pytest
from scipy import optimize, stats
from sklearn.linear_model import Ridge

from mlsheet_utils.algorithms.probability import inference as inf


def _constant(gap, atol=1e-8):
    """``log(likelihood * prior) - log(posterior)`` must not depend on the parameter: a constant array."""
    gap = np.asarray(gap, float)
    assert np.all(np.isfinite(gap)) and np.ptp(gap) < atol, f"log-ratio varies by {np.ptp(gap):.3g}"


# -- conjugate updates: likelihood * prior is proportional to the claimed posterior (SciPy densities) ------

def test_beta_bernoulli_gamma_poisson_dirichlet_are_conjugate():
    rng = np.random.default_rng(0)
    for _ in range(5):
        a, b = rng.uniform(0.3, 5.0, 2)
        x = (rng.random(int(rng.integers(1, 40))) < rng.random()).astype(float)
        post = inf.beta_bernoulli(a, b, x)
        p = rng.uniform(0.01, 0.99, 50)
        lik = np.array([stats.bernoulli.logpmf(x, q).sum() for q in p])
        _constant(lik + stats.beta.logpdf(p, a, b) - stats.beta.logpdf(p, post.a, post.b))

        alpha, beta = rng.uniform(0.3, 5.0, 2)
        counts = rng.poisson(rng.uniform(0.5, 8.0), size=int(rng.integers(1, 30)))
        g = inf.gamma_poisson(alpha, beta, counts)
        lam = rng.uniform(0.1, 15.0, 50)
        lik = np.array([stats.poisson.logpmf(counts, q).sum() for q in lam])
        _constant(lik + stats.gamma.logpdf(lam, alpha, scale=1 / beta)
                  - stats.gamma.logpdf(lam, g.shape, scale=1 / g.rate))

        conc = rng.uniform(0.3, 3.0, 4)
        labels = rng.integers(0, 4, size=30)
        (conc_n,) = inf.dirichlet_categorical(conc, labels)
        pis = rng.dirichlet(np.ones(4), size=50)
        lik = np.log(pis) @ np.bincount(labels, minlength=4)
        _constant(lik + stats.dirichlet.logpdf(pis.T, conc) - stats.dirichlet.logpdf(pis.T, conc_n))


def test_normal_updates_are_conjugate():
    rng = np.random.default_rng(1)
    for _ in range(5):
        x = rng.normal(rng.normal(0, 2), rng.uniform(0.5, 2.0), size=int(rng.integers(1, 30)))
        mu0, tau0_sq, sigma_sq = rng.normal(), rng.uniform(0.2, 4.0), rng.uniform(0.2, 4.0)
        post = inf.normal_known_variance(mu0, tau0_sq, x, sigma_sq=sigma_sq)
        mu = rng.normal(0, 3, 50)
        lik = np.array([stats.norm.logpdf(x, m, np.sqrt(sigma_sq)).sum() for m in mu])
        _constant(lik + stats.norm.logpdf(mu, mu0, np.sqrt(tau0_sq))
                  - stats.norm.logpdf(mu, post.mean, np.sqrt(post.var)))

        m0, lam, alpha, beta = rng.normal(), *rng.uniform(0.3, 4.0, 3)
        nig = inf.normal_inverse_gamma(m0, lam, alpha, beta, x)
        mu, v = rng.normal(0, 3, 50), rng.uniform(0.1, 6.0, 50)

        lik = np.array([stats.norm.logpdf(x, m, np.sqrt(s)).sum() for m, s in zip(mu, v)])
        prior = stats.norm.logpdf(mu, m0, np.sqrt(v / lam)) + stats.invgamma.logpdf(v, alpha, scale=beta)
        posterior = stats.norm.logpdf(mu, nig.mu, np.sqrt(v / nig.lam)) + stats.invgamma.logpdf(v, nig.alpha,
                                                                                                 scale=nig.beta)
        _constant(lik + prior - posterior)


def test_wishart_updates_are_conjugate():
    rng = np.random.default_rng(2)
    for d in (1, 2, 3):
        A = rng.normal(size=(d, d))
        V, nu, mean = A @ A.T + np.eye(d), d + 1.5, rng.normal(size=d)
        X = rng.multivariate_normal(mean, np.eye(d) * 1.5, size=20)
        Lams = stats.wishart.rvs(df=d + 2, scale=np.eye(d), size=40, random_state=rng).reshape(40, d, d)
        lik = np.array([stats.multivariate_normal.logpdf(X, mean, np.linalg.inv(L)).sum() for L in Lams])
        W = inf.wishart_precision(V, nu, X, mean=mean)
        _constant(lik + stats.wishart.logpdf(Lams.T, nu, V) - stats.wishart.logpdf(Lams.T, W.df, W.scale), 1e-7)
        IW = inf.inverse_wishart_covariance(V, nu, X, mean=mean)
        Sig = np.linalg.inv(Lams)
        lik = np.array([stats.multivariate_normal.logpdf(X, mean, S).sum() for S in Sig])
        _constant(lik + stats.invwishart.logpdf(Sig.T, nu, V) - stats.invwishart.logpdf(Sig.T, IW.df, IW.scale), 1e-7)


def test_sequential_matches_the_closed_form_counts():
    x = np.array([1, 0, 1, 1, 0, 1, 1], float)
    post = inf.sequential(inf.beta_bernoulli, (2.0, 3.0), x)
    assert (post.a, post.b) == (2.0 + 5, 3.0 + 2)
    post = inf.sequential(inf.normal_known_variance, (0.0, 1.0), np.array([1.0, 2.0, 3.0]), sigma_sq=2.0)
    precision = 1.0 + 3 / 2.0                                # precisions add
    assert post.var == pytest.approx(1 / precision) and post.mean == pytest.approx((6.0 / 2.0) / precision)


# -- grid posteriors and log-likelihoods ------------------------------------------------------------------

def test_grid_posterior_normalises_like_scipy():
    g = np.linspace(-3.0, 4.0, 3001)
    dens = inf.grid_posterior(stats.norm.logpdf(g, 0.4, 0.5) + 123.0, g)
    np.testing.assert_allclose(dens, stats.norm.pdf(g, 0.4, 0.5), rtol=1e-8, atol=1e-12)
    g1, g2 = np.linspace(-4, 4, 401), np.linspace(0.0, 40.0, 2001)      # both far into the tails
    G1, G2 = np.meshgrid(g1, g2, indexing="ij")
    dens = inf.grid_posterior(stats.norm.logpdf(G1, 0.2, 0.7) + stats.gamma.logpdf(G2, 3.0, scale=1.0) - 50.0, g1, g2)
    np.testing.assert_allclose(dens, stats.norm.pdf(G1, 0.2, 0.7) * stats.gamma.pdf(G2, 3.0), rtol=1e-6, atol=1e-9)


def test_log_likelihoods_match_scipy():
    rng = np.random.default_rng(3)
    x01 = (rng.random(25) < 0.4).astype(float)
    p = np.linspace(0.0, 1.0, 11)
    ref = np.array([stats.bernoulli.logpmf(x01, q).sum() for q in p])
    np.testing.assert_allclose(inf.bernoulli_log_likelihood(p, x01), ref, rtol=1e-12)
    counts = rng.poisson(3.0, 20)
    lam = np.linspace(0.1, 9.0, 13)
    np.testing.assert_allclose(inf.poisson_log_likelihood(lam, counts),
                               [stats.poisson.logpmf(counts, q).sum() for q in lam], rtol=1e-12)
    x = rng.normal(1.0, 2.0, 30)
    mu, var = np.meshgrid(np.linspace(-2, 3, 7), np.linspace(0.5, 6, 5))
    ref = np.vectorize(lambda m, s: stats.norm.logpdf(x, m, np.sqrt(s)).sum())(mu, var)
    np.testing.assert_allclose(inf.normal_log_likelihood(mu, var, x), ref, rtol=1e-12)


# -- Newton and the MLE -----------------------------------------------------------------------------------

def test_newton_maximises_minus_rosenbrock():
    fun = lambda t: inf.Derivatives(-optimize.rosen(t), -optimize.rosen_der(t), -optimize.rosen_hess(t))  # noqa: E731
    for start in ([-1.2, 1.0], [2.0, -1.0], [0.0, 0.0]):
        res = inf.newton_maximize(fun, start, max_iter=200)
        np.testing.assert_allclose(res.theta, [1.0, 1.0], atol=1e-8)       # the minimum of rosen
        assert res.n_steps == len(res.path) - 1 and np.array_equal(res.path[0], start)


def test_log_likelihood_derivatives_match_scipy_and_finite_differences():
    rng = np.random.default_rng(4)
    x, counts = rng.normal(2.0, 1.5, 40), rng.poisson(3.5, 30)
    for theta in (np.array([1.0, 0.5]), np.array([2.5, -0.3])):
        d = inf.normal_log_likelihood_derivatives(theta, x)
        assert d.value == pytest.approx(stats.norm.logpdf(x, theta[0], np.exp(theta[1] / 2)).sum(), rel=1e-12)
        f = lambda t: inf.normal_log_likelihood_derivatives(t, x).value  # noqa: E731
        np.testing.assert_allclose(d.gradient, optimize.approx_fprime(theta, f, 1e-6), rtol=1e-5)
        for row in range(2):
            g = lambda t, r=row: inf.normal_log_likelihood_derivatives(t, x).gradient[r]  # noqa: E731
            np.testing.assert_allclose(d.hessian[row], optimize.approx_fprime(theta, g, 1e-6), rtol=1e-5)
    for eta in (0.3, 1.7):
        d = inf.poisson_log_likelihood_derivatives([eta], counts)
        assert d.value == pytest.approx(stats.poisson.logpmf(counts, np.exp(eta)).sum(), rel=1e-12)
        f = lambda t: inf.poisson_log_likelihood_derivatives(t, counts).value  # noqa: E731
        np.testing.assert_allclose(d.gradient, optimize.approx_fprime([eta], f, 1e-6), rtol=1e-5)
        assert d.hessian[0, 0] == pytest.approx(-counts.size * np.exp(eta))


def test_gaussian_mle_matches_scipy_norm_fit():
    rng = np.random.default_rng(5)
    for n in (2, 10, 500):
        x = rng.normal(rng.normal(0, 5), rng.uniform(0.1, 10.0), n)
        np.testing.assert_allclose(inf.gaussian_mle(x), stats.norm.fit(x), rtol=1e-9, atol=1e-12)


# -- point estimates -------------------------------------------------------------------------------------

@pytest.mark.parametrize("a, b", [(3.0, 5.0), (1.0, 4.0), (0.5, 1.0), (0.5, 4.0), (4.0, 1.0), (1.0, 0.5),
                                  (6.0, 0.3), (1.5, 1.5)])
def test_beta_mode_is_where_scipy_density_peaks(a, b):
    p = np.linspace(0.0, 1.0, 200_001)
    with np.errstate(divide="ignore"):
        peak = p[np.argmax(stats.beta.pdf(p, a, b))]
    assert inf.beta_mode(a, b) == pytest.approx(peak, abs=1e-5)


def test_beta_mode_undefined_for_flat_and_u_shaped():
    assert np.isnan(inf.beta_mode(1.0, 1.0)) and np.isnan(inf.beta_mode(0.5, 0.3))
    out = inf.beta_mode([3.0, 1.0, 0.5], [5.0, 1.0, 2.0])
    assert out.shape == (3,) and out[0] == pytest.approx(2 / 6) and np.isnan(out[1]) and out[2] == 0.0


def test_coin_estimates_match_scipy():
    for k, n, a, b in ((9, 12, 3.0, 3.0), (0, 5, 2.0, 7.0), (40, 40, 1.5, 1.5)):
        est = inf.coin_estimates(k, n, a, b)
        post = stats.beta(a + k, b + n - k)
        assert est.mle == k / n and est.mean == pytest.approx(post.mean(), rel=1e-12)
        num = optimize.minimize_scalar(lambda q, post=post: -post.logpdf(q), bounds=(1e-9, 1 - 1e-9),
                                       method="bounded", options={"xatol": 1e-12})
        assert est.map == pytest.approx(num.x, abs=1e-6)


def test_estimator_mse_matches_the_closed_forms():
    n, p, a, b, reps = 12, 0.3, 3.0, 4.0, 200_000
    mse = inf.estimator_mse(p, n, a, b, reps, rng=7)
    var = n * p * (1 - p)                                   # Var K
    exact_mle = p * (1 - p) / n
    exact_mean = ((a + n * p) / (a + b + n) - p) ** 2 + var / (a + b + n) ** 2
    exact_map = ((a - 1 + n * p) / (a + b + n - 2) - p) ** 2 + var / (a + b + n - 2) ** 2
    np.testing.assert_allclose([mse.mle, mse.map, mse.mean], [exact_mle, exact_map, exact_mean], rtol=0.03)


def test_ridge_map_is_sklearn_ridge_with_lambda_sigma2_over_tau2():
    rng = np.random.default_rng(8)
    X, y = rng.normal(size=(50, 6)), rng.normal(size=50)
    for sigma2, tau2 in ((0.5, 0.25), (1.0, 10.0), (3.0, 0.1)):
        ref = Ridge(alpha=sigma2 / tau2, fit_intercept=False, solver="cholesky").fit(X, y).coef_
        np.testing.assert_allclose(inf.ridge_map(X, y, sigma2, tau2), ref, rtol=1e-10, atol=1e-12)


# -- intervals and coverage ------------------------------------------------------------------------------

def test_intervals_match_scipy():
    n = 25
    ks = np.arange(n + 1)
    lo, hi = inf.credible_interval(ks, n, 0.5, 0.5, level=0.9)
    np.testing.assert_allclose(np.c_[lo, hi], [stats.beta(0.5 + k, 0.5 + n - k).interval(0.9) for k in ks], rtol=1e-10)
    lo, hi = inf.wilson_interval(ks, n)
    ref = [tuple(stats.binomtest(int(k), n).proportion_ci(method="wilson")) for k in ks]
    np.testing.assert_allclose(np.c_[lo, hi], ref, rtol=1e-10, atol=1e-12)
    inner = ks[1:-1]
    ph = inner / n
    ref = np.clip(stats.norm.interval(0.8, loc=ph, scale=np.sqrt(ph * (1 - ph) / n)), 0, 1)
    np.testing.assert_allclose(np.c_[inf.wald_interval(inner, n, level=0.8)], np.transpose(ref), rtol=1e-10)


def test_exact_and_simulated_coverage_against_binomial_laws():
    p = np.r_[0.0, np.linspace(0.01, 0.99, 37), 1.0]
    upto3 = lambda k, n: (np.where(k <= 3, 0.0, 2.0), np.where(k <= 3, 1.0, 2.0))   # noqa: E731 [0, 1] or empty
    even = lambda k, n: (np.where(k % 2 == 0, 0.0, 2.0), np.ones(np.shape(k)))     # noqa: E731
    np.testing.assert_allclose(inf.exact_coverage(upto3, 15, p), stats.binom.cdf(3, 15, p), rtol=1e-12)
    np.testing.assert_allclose(inf.exact_coverage(even, 15, p), (1 + (1 - 2 * p) ** 15) / 2, rtol=1e-10)
    reps, c = 40_000, stats.binom.cdf(3, 15, 0.2)
    sim = inf.simulated_coverage(upto3, 15, 0.2, reps, rng=3)
    assert abs(sim - c) < 5 * np.sqrt(c * (1 - c) / reps)


# -- validation -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, name", [
    (lambda: inf.beta_bernoulli(0.0, 1.0, [1, 0]), "a"),
    (lambda: inf.beta_bernoulli(1.0, 1.0, [1, 2]), "x"),
    (lambda: inf.gamma_poisson(1.0, -1.0, [1, 2]), "beta"),
    (lambda: inf.dirichlet_categorical([1.0, 1.0], [0, 2]), "x"),
    (lambda: inf.normal_known_variance(0.0, 1.0, [1.0], sigma_sq=0.0), "sigma_sq"),
    (lambda: inf.normal_inverse_gamma(0.0, 1.0, 1.0, 1.0, []), "x"),
    (lambda: inf.wishart_precision(np.eye(2), 0.5, np.ones((3, 2)), mean=np.zeros(2)), "nu"),
    (lambda: inf.inverse_wishart_covariance(-np.eye(2), 3.0, np.ones((3, 2)), mean=np.zeros(2)), "Psi"),
    (lambda: inf.sequential(inf.beta_bernoulli, (1.0, 1.0), []), "data"),
    (lambda: inf.grid_posterior(np.array([0.0, np.nan]), np.array([0.0, 1.0])), "log_unnormalised"),
    (lambda: inf.bernoulli_log_likelihood([1.5], [1, 0]), "p"),
    (lambda: inf.poisson_log_likelihood([1.0], [1.5]), "x"),
    (lambda: inf.normal_log_likelihood(0.0, -1.0, [1.0]), "var"),
    (lambda: inf.newton_maximize(lambda t: None, [0.0], tol=0.0), "tol"),
    (lambda: inf.normal_log_likelihood_derivatives([0.0], [1.0, 2.0]), "theta"),
    (lambda: inf.poisson_log_likelihood_derivatives([0.0], [-1.0]), "x"),
    (lambda: inf.gaussian_mle(np.full(4, 2.0)), "x"),
    (lambda: inf.beta_mode(0.0, 1.0), "a and b"),
    (lambda: inf.coin_estimates(5, 3), "k and n"),
    (lambda: inf.estimator_mse(1.5, 5, 1.0, 1.0, 10, rng=0), "p_true"),
    (lambda: inf.estimator_mse(0.5, 5, 1.0, 1.0, 10, rng=None), "rng"),
    (lambda: inf.ridge_map(np.ones((3, 2)), np.ones(3), 1.0, 0.0), "tau2"),
    (lambda: inf.wald_interval([0, 1], 0), "n"),
    (lambda: inf.wilson_interval([0, 1], 5, level=1.0), "level"),
    (lambda: inf.credible_interval([6], 5), "k"),
    (lambda: inf.exact_coverage(inf.wald_interval, 5, [1.2]), "p_grid"),
    (lambda: inf.simulated_coverage(inf.wald_interval, 5, 0.5, 0, rng=0), "reps"),
])
def test_bad_arguments_raise_value_error_naming_them(call, name):
    with pytest.raises(ValueError, match=name):
        call()

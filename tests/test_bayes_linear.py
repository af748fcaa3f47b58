"""mlsheet_utils.algorithms.bayes_linear against SciPy densities, scikit-learn and closed forms, on seeded data."""

import numpy as np
import pytest
from scipy import stats
from sklearn.linear_model import BayesianRidge, Ridge

from mlsheet_utils.algorithms import bayes_linear as bl

N_TRIALS = 12


def random_problem(rng):
    """A random design (n, d), targets from a random linear model with noise, and random precisions."""
    n, d = int(rng.integers(3, 40)), int(rng.integers(1, 6))
    Phi = rng.standard_normal((n, d)) * rng.uniform(0.3, 2, d)
    y = Phi @ rng.standard_normal(d) + rng.uniform(0.1, 1) * rng.standard_normal(n)
    return Phi, y, float(10 ** rng.uniform(-2, 1)), float(10 ** rng.uniform(-1, 2))


def test_posterior_is_bayes_rule_with_scipy_densities():
    rng = np.random.default_rng(0)
    for _ in range(N_TRIALS):
        Phi, y, lam, beta = random_problem(rng)
        n, d = Phi.shape
        post = bl.posterior(Phi, y, lam, beta)
        W = rng.standard_normal((6, d))
        log_prior = stats.multivariate_normal(np.zeros(d), np.eye(d) / lam).logpdf(W)
        log_lik = stats.norm.logpdf(y[None, :], W @ Phi.T, 1 / np.sqrt(beta)).sum(axis=1)
        evidence = stats.multivariate_normal(np.zeros(n), np.eye(n) / beta + Phi @ Phi.T / lam).logpdf(y)
        np.testing.assert_allclose(stats.multivariate_normal(post.mean, post.cov).logpdf(W),
                                   log_prior + log_lik - evidence, rtol=1e-9, atol=1e-8)
        np.testing.assert_allclose(bl.log_evidence(Phi, y, lam, beta), evidence, rtol=1e-10, atol=1e-10)


def test_posterior_mean_is_ridge_with_penalty_lambda_over_beta():
    rng = np.random.default_rng(1)
    for _ in range(N_TRIALS):
        Phi, y, lam, beta = random_problem(rng)
        ref = Ridge(alpha=lam / beta, fit_intercept=False, solver="svd").fit(Phi, y)
        np.testing.assert_allclose(bl.posterior(Phi, y, lam, beta).mean, ref.coef_, rtol=1e-8, atol=1e-10)


def test_predictive_matches_monte_carlo_of_the_integral():
    rng = np.random.default_rng(2)
    Phi, y, lam, beta = random_problem(rng)
    post = bl.posterior(Phi, y, lam, beta)
    Phi_new = rng.standard_normal((3, Phi.shape[1])) * 2
    pred = bl.predictive(post, Phi_new)
    draws = 200_000
    w = stats.multivariate_normal(post.mean, post.cov).rvs(draws, random_state=rng).reshape(draws, -1)
    ystar = w @ Phi_new.T + rng.standard_normal((draws, 3)) / np.sqrt(beta)
    se_mean = np.sqrt(pred.var / draws)
    assert np.all(np.abs(ystar.mean(0) - pred.mean) < 5 * se_mean)             # 5 standard errors
    se_var = pred.var * np.sqrt(2 / (draws - 1))                              # sd of a normal sample variance
    assert np.all(np.abs(ystar.var(0, ddof=1) - pred.var) < 5 * se_var)
    np.testing.assert_allclose(pred.var - pred.var_weights, 1 / beta, rtol=1e-12)


def test_sequential_updates_equal_the_batch_posterior_of_every_prefix():
    rng = np.random.default_rng(3)
    for _ in range(N_TRIALS):
        Phi, y, lam, beta = random_problem(rng)
        seq = bl.sequential_posteriors(Phi, y, lam, beta)
        np.testing.assert_allclose(seq.means[0], 0.0)
        np.testing.assert_allclose(seq.covs[0], np.eye(Phi.shape[1]) / lam, rtol=1e-14)
        for k in range(1, len(y) + 1):
            A = lam * np.eye(Phi.shape[1]) + beta * Phi[:k].T @ Phi[:k]
            m, S = np.linalg.solve(A, beta * Phi[:k].T @ y[:k]), np.linalg.inv(A)
            np.testing.assert_allclose(seq.means[k], m, rtol=1e-7, atol=1e-9)
            np.testing.assert_allclose(seq.covs[k], S, rtol=1e-7, atol=1e-10)


def _bayesian_ridge(Phi, y):
    return BayesianRidge(fit_intercept=False, alpha_1=0.0, alpha_2=0.0, lambda_1=0.0, lambda_2=0.0, tol=1e-12,
                         max_iter=100_000, compute_score=True).fit(Phi, y)


def test_evidence_maximisation_matches_bayesian_ridge():
    rng = np.random.default_rng(4)
    for _ in range(N_TRIALS):
        n, d = int(rng.integers(20, 80)), int(rng.integers(1, 6))
        Phi = rng.standard_normal((n, d))
        y = Phi @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n)
        eb = bl.evidence_maximisation(Phi, y)
        ref = _bayesian_ridge(Phi, y)
        assert eb.converged
        np.testing.assert_allclose([eb.prior_precision, eb.noise_precision], [ref.lambda_, ref.alpha_], rtol=1e-7)
        post = bl.posterior(Phi, y, ref.lambda_, ref.alpha_)
        np.testing.assert_allclose(post.mean, ref.coef_, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(post.cov, ref.sigma_, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(bl.log_evidence(Phi, y, ref.lambda_, ref.alpha_), ref.scores_[-1], rtol=1e-10)
        mean, std = ref.predict(Phi[:5], return_std=True)
        pred = bl.predictive(post, Phi[:5])
        np.testing.assert_allclose(pred.mean, mean, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(np.sqrt(pred.var), std, rtol=1e-9)


def test_evidence_maximisation_is_a_stationary_point_of_the_scipy_evidence():
    rng = np.random.default_rng(5)
    n, d = 30, 3
    Phi = rng.standard_normal((n, d))
    y = Phi @ [1.0, -0.5, 0.2] + 0.4 * rng.standard_normal(n)
    eb = bl.evidence_maximisation(Phi, y)

    def scipy_log_ev(log_lam, log_beta):
        cov = np.eye(n) / np.exp(log_beta) + Phi @ Phi.T / np.exp(log_lam)
        return stats.multivariate_normal(np.zeros(n), cov).logpdf(y)

    a, b, h = np.log(eb.prior_precision), np.log(eb.noise_precision), 1e-5
    grad = [(scipy_log_ev(a + h, b) - scipy_log_ev(a - h, b)) / (2 * h),
            (scipy_log_ev(a, b + h) - scipy_log_ev(a, b - h)) / (2 * h)]
    np.testing.assert_allclose(grad, 0.0, atol=1e-6)
    for da, db in [(0.3, 0), (-0.3, 0), (0, 0.3), (0, -0.3)]:                 # a maximum, not a saddle
        assert scipy_log_ev(a + da, b + db) < scipy_log_ev(a, b)
    assert 0 < eb.gamma < d and np.all(np.diff(eb.log_evidence) > -1e-9)


def test_gaussian_basis_matches_scaled_normal_densities():
    rng = np.random.default_rng(6)
    x, c, s = rng.uniform(-2, 2, 15), np.linspace(-1, 1, 4), 0.3
    ref = stats.norm.pdf(x[:, None], c[None, :], s) * s * np.sqrt(2 * np.pi)
    np.testing.assert_allclose(bl.gaussian_basis(x, c, s), np.column_stack([np.ones(15), ref]), rtol=1e-12)
    np.testing.assert_allclose(bl.gaussian_basis(x, c, s, bias=False), ref, rtol=1e-12)


def test_estimator_matches_bayesian_ridge_and_the_functions():
    rng = np.random.default_rng(7)
    Phi = rng.standard_normal((50, 4))
    y = Phi @ [0.5, 0.0, -1.0, 2.0] + 0.3 * rng.standard_normal(50)
    ours = bl.BayesianLinearRegression(fit_hyperparameters=True).fit(Phi, y)
    ref = _bayesian_ridge(Phi, y)
    np.testing.assert_allclose([ours.prior_precision_, ours.noise_precision_], [ref.lambda_, ref.alpha_], rtol=1e-7)
    Phi_new = rng.standard_normal((7, 4))
    for a, b in zip(ours.predict(Phi_new, return_std=True), ref.predict(Phi_new, return_std=True)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    fixed = bl.BayesianLinearRegression(prior_precision=2.0, noise_precision=10.0).fit(Phi, y)
    np.testing.assert_allclose(fixed.coef_, Ridge(alpha=0.2, fit_intercept=False).fit(Phi, y).coef_, rtol=1e-8)
    np.testing.assert_allclose(fixed.log_evidence_, bl.log_evidence(Phi, y, 2.0, 10.0), rtol=1e-14)


def test_validation_names_the_argument():
    Phi, y = np.ones((4, 2)), np.ones(4)
    with pytest.raises(ValueError, match="Phi must be 2-dimensional"):
        bl.posterior(np.ones(4), y, 1.0, 1.0)
    with pytest.raises(ValueError, match="y must have one entry per row"):
        bl.posterior(Phi, np.ones(3), 1.0, 1.0)
    with pytest.raises(ValueError, match="prior_precision must be > 0"):
        bl.posterior(Phi, y, 0.0, 1.0)
    with pytest.raises(ValueError, match="noise_precision must be > 0"):
        bl.log_evidence(Phi, y, 1.0, -2.0)
    with pytest.raises(ValueError, match="post must be a WeightPosterior"):
        bl.predictive((np.zeros(2), np.eye(2)), Phi)
    with pytest.raises(ValueError, match="Phi_new must have 2 columns"):
        bl.predictive(bl.posterior(Phi, y, 1.0, 1.0), np.ones((3, 5)))
    with pytest.raises(ValueError, match="width must be > 0"):
        bl.gaussian_basis(np.zeros(3), np.zeros(2), 0.0)
    with pytest.raises(ValueError, match="y is all zero"):
        bl.evidence_maximisation(Phi, np.zeros(4))
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        bl.evidence_maximisation(Phi, y, max_iter=0)
    with pytest.raises(ValueError, match="not fitted"):
        bl.BayesianLinearRegression().predict(Phi)

"""mlsheet_utils.algorithms.gaussian_process against scikit-learn, SciPy, finite differences and closed forms."""

import numpy as np
import pytest
from scipy import stats
from sklearn.gaussian_process import GaussianProcessRegressor as SkGPR
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

from mlsheet_utils.algorithms import bayes_linear as bl
from mlsheet_utils.algorithms import gaussian_process as gp
from mlsheet_utils.algorithms.calculus import numerical_gradient

N_TRIALS = 8


def random_problem(rng):
    n, d = int(rng.integers(3, 30)), int(rng.integers(1, 4))
    X = rng.uniform(-2, 2, (n, d))
    y = np.sin(X).sum(1) + 0.2 * rng.standard_normal(n)
    return X, y, rng.uniform(-2, 2, (7, d)), float(10 ** rng.uniform(-0.5, 0.5)), float(10 ** rng.uniform(-1, 1)), \
        float(10 ** rng.uniform(-3, -0.5))


def test_posterior_and_evidence_match_sklearn_and_scipy():
    rng = np.random.default_rng(0)
    for _ in range(N_TRIALS):
        X, y, Xs, ell, sf2, sn2 = random_problem(rng)
        ref = SkGPR(ConstantKernel(sf2, "fixed") * RBF(ell, "fixed"), alpha=sn2, optimizer=None).fit(X, y)
        mean, cov = ref.predict(Xs, return_cov=True)
        K = gp.squared_exponential(X, length_scale=ell, signal_variance=sf2)
        post = gp.gp_posterior(K, gp.squared_exponential(X, Xs, length_scale=ell, signal_variance=sf2),
                               gp.squared_exponential(Xs, length_scale=ell, signal_variance=sf2), y, sn2)
        np.testing.assert_allclose(post.mean, mean, rtol=1e-8, atol=1e-9)
        np.testing.assert_allclose(post.cov, cov, rtol=1e-7, atol=1e-8)
        np.testing.assert_allclose(post.log_marginal_likelihood, ref.log_marginal_likelihood_value_, rtol=1e-10)
        lml = stats.multivariate_normal(np.zeros(len(y)), K + sn2 * np.eye(len(y))).logpdf(y)
        np.testing.assert_allclose(gp.log_marginal_likelihood(K, y, sn2), lml, rtol=1e-10)
        est = gp.GaussianProcessRegressor(ell, sf2, sn2).fit(X, y)
        m2, s2 = est.predict(Xs, return_std=True)
        np.testing.assert_allclose(m2, mean, rtol=1e-8, atol=1e-9)
        np.testing.assert_allclose(s2, np.sqrt(np.clip(np.diag(cov), 0, None)), rtol=1e-6, atol=1e-7)


def test_gradient_matches_finite_differences_and_sklearn():
    rng = np.random.default_rng(1)
    for _ in range(N_TRIALS):
        X, y, _, ell, sf2, sn2 = random_problem(rng)
        theta = np.log([ell, sf2, sn2])
        value, grad = gp.se_log_marginal_likelihood(X, y, theta)
        fd = numerical_gradient(lambda t, X=X, y=y: gp.se_log_marginal_likelihood(X, y, t)[0], theta, eps=1e-6)
        np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-6)
        sk = SkGPR(ConstantKernel(sf2) * RBF(ell) + WhiteKernel(sn2), alpha=0.0, optimizer=None).fit(X, y)
        v_ref, g_ref = sk.log_marginal_likelihood(np.log([sf2, ell, sn2]), eval_gradient=True)
        np.testing.assert_allclose([value, *grad], [v_ref, *g_ref[[1, 0, 2]]], rtol=1e-8, atol=1e-9)


def test_fit_reaches_sklearns_optimum():
    rng = np.random.default_rng(2)
    X = rng.uniform(-3, 3, (40, 1))
    y = np.sin(2 * X[:, 0]) + 0.2 * rng.standard_normal(40)
    fit = gp.fit_se_hyperparameters(X, y, n_restarts=3, rng=0)
    b = (np.exp(-5.0), np.exp(5.0))
    sk = SkGPR(ConstantKernel(1.0, b) * RBF(1.0, b) + WhiteKernel(np.exp(-2.0), b), alpha=0.0,
               n_restarts_optimizer=3, random_state=0).fit(X, y)
    assert fit.log_marginal_likelihood >= sk.log_marginal_likelihood_value_ - 1e-7
    np.testing.assert_allclose([fit.signal_variance, fit.length_scale, fit.noise_variance],
                               np.exp(sk.kernel_.theta), rtol=1e-3)


def test_linear_kernel_gp_is_bayesian_linear_regression():
    rng = np.random.default_rng(3)
    for _ in range(N_TRIALS):
        n, d = int(rng.integers(3, 25)), int(rng.integers(1, 4))
        Phi, Phi_s = rng.standard_normal((n, d)), rng.standard_normal((5, d))
        y = Phi @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n)
        lam, beta = float(10 ** rng.uniform(-1, 1)), float(10 ** rng.uniform(0, 2))
        post = gp.gp_posterior(Phi @ Phi.T / lam, Phi @ Phi_s.T / lam, Phi_s @ Phi_s.T / lam, y, 1 / beta)
        ref = bl.predictive(bl.posterior(Phi, y, lam, beta), Phi_s)
        np.testing.assert_allclose(post.mean, ref.mean, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(np.diag(post.cov) + 1 / beta, ref.var, rtol=1e-8)
        np.testing.assert_allclose(post.log_marginal_likelihood, bl.log_evidence(Phi, y, lam, beta), rtol=1e-10)


def test_samples_have_the_right_moments():
    mean = np.array([1.0, -2.0, 0.5])
    A = np.array([[1.0, 0.3, 0.0], [0.2, 1.0, 0.5], [0.0, 0.1, 0.7]])
    cov = A @ A.T
    draws = gp.sample_gaussian(mean, cov, 20_000, rng=4)
    se = np.sqrt(np.diag(cov) / 20_000)
    assert np.all(np.abs(draws.mean(0) - mean) < 5 * se)
    assert np.all(np.abs(np.cov(draws.T) - cov) < 5 * np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / 20_000))
    np.testing.assert_array_equal(gp.sample_gaussian(mean, cov, 3, rng=9), gp.sample_gaussian(mean, cov, 3, rng=9))


def test_bad_input_raises():
    X, y = np.zeros((3, 1)), np.zeros(3)
    with pytest.raises(ValueError, match="length_scale"):
        gp.squared_exponential(X, length_scale=0.0)
    with pytest.raises(ValueError, match="noise_variance"):
        gp.log_marginal_likelihood(np.eye(3), y, -1.0)
    with pytest.raises(ValueError, match="K must be square"):
        gp.log_marginal_likelihood(np.ones((3, 2)), y, 0.1)
    with pytest.raises(ValueError, match="theta"):
        gp.se_log_marginal_likelihood(X, y, [0.0, 0.0])
    with pytest.raises(ValueError, match="not fitted"):
        gp.GaussianProcessRegressor().predict(X)
    with pytest.raises(ValueError, match="positive definite"):
        gp.log_marginal_likelihood(np.ones((3, 3)), y, 0.0)
    with pytest.raises(ValueError, match="rng"):
        gp.sample_gaussian(np.zeros(2), np.eye(2), rng=-1)

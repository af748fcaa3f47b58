"""mlsheet_utils.algorithms.bias_variance against SciPy, scikit-learn and brute-force simulation (numpy-ml style)."""

import numpy as np
import pytest
from scipy.special import eval_legendre
from sklearn.linear_model import Ridge
from sklearn.model_selection import learning_curve as sklearn_learning_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.tree import DecisionTreeRegressor

from mlsheet_utils.algorithms import bias_variance as bv


def scipy_legendre(x, degree):
    return np.column_stack([eval_legendre(k, x) for k in range(1, degree + 1)]) if degree else np.zeros((x.size, 0))


def random_problem(rng):
    n = int(rng.integers(6, 40))
    x = np.sort(rng.uniform(-1, 1, n))
    coefs = rng.normal(size=5)
    return x, np.polynomial.polynomial.polyval(x, coefs) + np.sin(3 * x)


def test_legendre_features_match_scipy():
    rng = np.random.default_rng(0)
    for degree in (0, 1, 2, 7, 15):
        x = rng.uniform(-1, 1, 30)
        np.testing.assert_allclose(bv.legendre_features(x, degree), scipy_legendre(x, degree), rtol=1e-12,
                                   atol=1e-13)
        assert bv.legendre_features(x[:, None], degree).shape == (30, degree)


def test_polynomial_ridge_matches_sklearn_ridge():
    rng = np.random.default_rng(1)
    for _ in range(15):
        x, f = random_problem(rng)
        y = f + rng.normal(size=x.size)
        degree = int(rng.integers(1, min(10, x.size - 2)))
        alpha = float(10 ** rng.uniform(-4, 2))
        x_new = rng.uniform(-1, 1, 25)
        ours = bv.PolynomialRidge(degree, alpha).fit(x, y).predict(x_new)
        ref = Ridge(alpha=alpha, solver="svd").fit(scipy_legendre(x, degree), y).predict(scipy_legendre(x_new, degree))
        np.testing.assert_allclose(ours, ref, rtol=1e-8, atol=1e-9)
    assert np.allclose(bv.PolynomialRidge(0, 1.0).fit(x, y).predict(x_new), y.mean())


def test_least_squares_is_basis_free():
    rng = np.random.default_rng(2)
    x = np.linspace(-1, 1, 25)
    y = np.cos(2 * x) + 0.1 * rng.normal(size=25)
    ours = bv.PolynomialRidge(6, 0.0).fit(x, y).predict(x)
    np.testing.assert_allclose(ours, np.polyval(np.polyfit(x, y, 6), x), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridge_smoother_reproduces_sklearn_predictions(fit_intercept):
    rng = np.random.default_rng(3)
    for _ in range(15):
        n, p = int(rng.integers(5, 30)), int(rng.integers(1, 6))
        X, X_new = rng.normal(size=(n, p)), rng.normal(size=(7, p))
        alpha = float(10 ** rng.uniform(-3, 2))
        S = bv.ridge_smoother(X, X_new, alpha, fit_intercept=fit_intercept)
        for y in rng.normal(size=(3, n)):
            ref = Ridge(alpha=alpha, fit_intercept=fit_intercept).fit(X, y).predict(X_new)
            np.testing.assert_allclose(S @ y, ref, rtol=1e-8, atol=1e-9)


def test_least_squares_smoother_is_a_projection_of_rank_p_plus_one():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(20, 4))
    S = bv.ridge_smoother(X, X, 0.0)
    np.testing.assert_allclose(S @ S, S, atol=1e-10)
    np.testing.assert_allclose(S, S.T, atol=1e-12)
    assert np.trace(S) == pytest.approx(5.0, abs=1e-10)
    assert np.allclose(bv.ridge_smoother(np.zeros((6, 0)), np.zeros((2, 0)), 1.0), 1 / 6)


def test_decomposition_matches_brute_force_simulation():
    """The closed form against 20000 simulated training sets pushed through the same smoother."""
    rng = np.random.default_rng(5)
    x, x_test = np.sort(rng.uniform(-1, 1, 18)), np.linspace(-1, 1, 15)
    f, f_test = np.sin(3 * x) + x**2, np.sin(3 * x_test) + x_test**2
    S = bv.ridge_smoother(bv.legendre_features(x, 3), bv.legendre_features(x_test, 3), 0.5)
    exact = bv.smoother_decomposition(S, f, f_test, 0.7)
    draws = (f + 0.7 * rng.normal(size=(20_000, x.size))) @ S.T
    bias, var = draws.mean(axis=0) - f_test, draws.var(axis=0)
    # 5 standard errors of a mean (the bias) and of a variance (sd 2 var^2 / R for normal draws)
    assert np.all(np.abs(bias - exact.bias) < 5 * np.sqrt(exact.pointwise_variance / 20_000))
    assert np.all(np.abs(var - exact.pointwise_variance) < 5 * exact.pointwise_variance * np.sqrt(2 / 20_000))
    assert exact.expected_error == pytest.approx(exact.bias2 + exact.variance + 0.49)


def test_mc_moments_match_repeated_monte_carlo():
    """Mean and spread of the Monte Carlo estimates against 1500 repetitions of the experiment."""
    rng = np.random.default_rng(6)
    x = np.linspace(-1, 1, 12)
    f = np.sin(3 * x)
    F = bv.legendre_features(x, 2)
    S = bv.ridge_smoother(F, F, 0.0)
    R, reps, sigma = 10, 1500, 0.5
    preds = (f + sigma * rng.normal(size=(reps, R, x.size))) @ S.T
    mean = preds.mean(axis=1)
    b2 = np.mean((mean - f) ** 2, axis=1)
    v = np.mean((preds - mean[:, None, :]) ** 2, axis=(1, 2))
    mom = bv.mc_moments(S, f, f, sigma, R)
    for sample, mu, sd in ((b2, mom.bias2_mean, mom.bias2_sd), (v, mom.variance_mean, mom.variance_sd)):
        assert abs(sample.mean() - mu) < 5 * sd / np.sqrt(reps)                  # 5 standard errors of the mean
        # the sample sd of 1500 skewed (chi-square-like) values has a relative standard error of about 3%
        # (sqrt((kurtosis - 1) / (4 * reps)) with kurtosis up to 7): within 8%
        assert sample.std(ddof=1) == pytest.approx(sd, rel=0.08)


def test_bias_variance_mc_agrees_with_the_same_draws_through_the_smoother():
    x = np.linspace(-1, 1, 15)
    f, x_test = np.sin(3 * x), np.linspace(-1, 1, 9)
    mc = bv.bias_variance_mc(bv.PolynomialRidge(4, 0.1), x, f, x_test, np.sin(3 * x_test), 0.4, n_sets=50, rng=11)
    g = np.random.default_rng(11)
    S = bv.ridge_smoother(bv.legendre_features(x, 4), bv.legendre_features(x_test, 4), 0.1)
    preds = (f + 0.4 * g.standard_normal((50, 15))) @ S.T
    test_noise = g.standard_normal((50, 9))
    np.testing.assert_allclose(mc.predictions, preds, rtol=1e-9, atol=1e-10)
    assert mc.variance == pytest.approx(np.var(preds, axis=0).mean(), rel=1e-9)
    assert mc.test_error == pytest.approx(np.mean((np.sin(3 * x_test) + 0.4 * test_noise - preds) ** 2), rel=1e-9)
    assert mc.error_vs_f == pytest.approx(mc.bias2 + mc.variance, rel=1e-12)


def test_bias_variance_mc_takes_a_sklearn_estimator():
    x = np.linspace(-1, 1, 20)[:, None]
    res = bv.bias_variance_mc(DecisionTreeRegressor(random_state=0), x, np.sin(3 * x[:, 0]), x, np.sin(3 * x[:, 0]),
                              0.3, n_sets=5, rng=0)
    # a fully grown tree interpolates its training set: the in-sample variance is the noise variance, up to sampling
    assert res.variance == pytest.approx(0.09 * (1 - 1 / 5), rel=0.5)


def test_learning_curve_matches_sklearn():
    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, 120)
    y = np.sin(3 * x) + 0.3 * rng.normal(size=120)
    sizes = [10, 25, 50, 80]
    ours = bv.learning_curve(bv.PolynomialRidge(5, 0.01), x[:80], y[:80], x[80:], y[80:], sizes)
    pipe = make_pipeline(FunctionTransformer(lambda Z: scipy_legendre(Z[:, 0], 5)), Ridge(alpha=0.01))
    split = [(np.arange(80), np.arange(80, 120))]
    got, tr, te = sklearn_learning_curve(pipe, x[:, None], y, train_sizes=sizes, cv=split,
                                         scoring="neg_mean_squared_error", shuffle=False)
    np.testing.assert_array_equal(got, ours.sizes)
    np.testing.assert_allclose(ours.train_mse, -tr[:, 0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.val_mse, -te[:, 0], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda: bv.legendre_features([[0.1, 0.2]], 2), "x must have shape"),
    (lambda: bv.legendre_features([0.1], -1), "degree"),
    (lambda: bv.PolynomialRidge(2, -1.0).fit([0.1, 0.2, 0.3], [1, 2, 3]), "alpha"),
    (lambda: bv.PolynomialRidge(2, 0.0).fit([0.1, 0.2], [1, 2, 3]), "one entry per input"),
    (lambda: bv.PolynomialRidge(2, 0.0).predict([0.1]), "not fitted"),
    (lambda: bv.ridge_smoother(np.ones((3, 2)), np.ones((2, 3)), 1.0), "X_eval must have 2 columns"),
    (lambda: bv.ridge_smoother(np.ones((3, 2)), np.ones((2, 2)), np.nan), "alpha"),
    (lambda: bv.smoother_decomposition(np.ones((2, 3)), [1, 2], [1, 2], 1.0), "S must have shape"),
    (lambda: bv.smoother_decomposition(np.ones((2, 2)), [1, 2], [1, 2], -1.0), "noise_sd"),
    (lambda: bv.mc_moments(np.ones((2, 2)), [1, 2], [1, 2], 1.0, 1), "n_sets"),
    (lambda: bv.bias_variance_mc(object(), [0.0, 1.0], [0, 1], [0.5], [0.5], 1.0), "fit"),
    (lambda: bv.bias_variance_mc(bv.PolynomialRidge(1), [0.0, 1.0], [0, 1, 2], [0.5], [0.5], 1.0), "f_train"),
    (lambda: bv.bias_variance_mc(bv.PolynomialRidge(1), [0.0, 1.0], [0, 1], [0.5], [0.5], 1.0, rng=-1), "rng"),
    (lambda: bv.learning_curve(bv.PolynomialRidge(1), [0.0, 1.0], [0, 1], [0.5], [0.5], [3]), "sizes"),
    (lambda: bv.learning_curve(bv.PolynomialRidge(1), [0.0, 1.0], [0, 1], [0.5], [0.5], [1.5]), "sizes"),
])
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()

"""mlsheet_utils.algorithms.linear against scikit-learn and closed forms over random seeded designs (numpy-ml style)."""

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, Ridge

from mlsheet_utils.algorithms import linear as regression

N_TRIALS = 25


def random_problem(rng, *, collinear=0.0):
    """A random design (n, p) with columns mixed towards one direction by ``collinear`` and a noisy response."""
    n = int(rng.integers(8, 60))
    p = int(rng.integers(1, min(7, n - 2)))
    Z = rng.standard_normal((n, p))
    X = (1 - collinear) * Z + collinear * Z[:, :1] + rng.uniform(-3, 3, size=p)
    X *= rng.uniform(0.1, 10, size=p)
    y = X @ rng.standard_normal(p) + rng.normal() + 0.5 * rng.standard_normal(n)
    return X, y


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("method", ["qr", "lstsq"])
def test_ols_matches_sklearn(fit_intercept, method):
    rng = np.random.default_rng(0)
    for _ in range(N_TRIALS):
        X, y = random_problem(rng, collinear=rng.uniform(0, 0.9))
        coef, b = regression.ols(X, y, fit_intercept=fit_intercept, method=method)
        ref = LinearRegression(fit_intercept=fit_intercept).fit(X, y)
        np.testing.assert_allclose(coef, ref.coef_, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(b, ref.intercept_, rtol=1e-7, atol=1e-8)


def test_ols_satisfies_normal_equations():
    rng = np.random.default_rng(1)
    for _ in range(N_TRIALS):
        X, y = random_problem(rng)
        coef, b = regression.ols(X, y)
        resid = y - b - X @ coef
        A = np.column_stack([np.ones(len(y)), X])
        np.testing.assert_allclose(A.T @ resid, 0, atol=1e-8 * np.abs(A).max() * np.abs(y).max() * len(y))


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridge_matches_sklearn_and_closed_form(fit_intercept):
    rng = np.random.default_rng(2)
    for _ in range(N_TRIALS):
        X, y = random_problem(rng, collinear=rng.uniform(0, 0.99))
        alpha = float(10 ** rng.uniform(-3, 3))
        coef, b = regression.ridge(X, y, alpha, fit_intercept=fit_intercept)
        ref = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="svd").fit(X, y)
        np.testing.assert_allclose(coef, ref.coef_, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(b, ref.intercept_, rtol=1e-7, atol=1e-8)
        Xc = X - X.mean(0) if fit_intercept else X
        yc = y - y.mean() if fit_intercept else y
        closed = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(X.shape[1]), Xc.T @ yc)
        np.testing.assert_allclose(coef, closed, rtol=1e-6, atol=1e-9)


def test_ridge_zero_penalty_is_ols_and_handles_rank_deficiency():
    rng = np.random.default_rng(3)
    X, y = random_problem(rng)
    np.testing.assert_allclose(regression.ridge(X, y, 0.0)[0], regression.ols(X, y)[0], rtol=1e-8)
    Xd = np.column_stack([X[:, 0], 2 * X[:, 0]])               # exactly collinear
    coef0 = regression.ridge(Xd, y, 0.0)[0]
    np.testing.assert_allclose(coef0, regression.ols(Xd, y, method="lstsq")[0], rtol=1e-8)
    with pytest.raises(ValueError, match="rank deficient"):
        regression.ols(Xd, y)
    assert np.all(np.isfinite(regression.ridge(Xd, y, 1.0)[0]))


def test_coef_covariance_matches_closed_form_and_simulation():
    rng = np.random.default_rng(4)
    for _ in range(N_TRIALS):
        X, _ = random_problem(rng, collinear=rng.uniform(0, 0.9))
        s2 = float(rng.uniform(0.1, 3))
        Xc = X - X.mean(0)
        np.testing.assert_allclose(regression.coef_covariance(X, s2), s2 * np.linalg.inv(Xc.T @ Xc),
                                   rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(regression.coef_covariance(X, s2, fit_intercept=False),
                                   s2 * np.linalg.inv(X.T @ X), rtol=1e-7, atol=1e-12)
    # Monte Carlo: the spread of refitted slopes matches the formula
    X = rng.standard_normal((40, 2)) @ np.array([[1.0, 0.9], [0.0, 0.4]])
    E = rng.standard_normal((4000, 40))
    Xc = X - X.mean(0)
    slopes = np.linalg.solve(Xc.T @ Xc, Xc.T @ E.T).T
    np.testing.assert_allclose(np.cov(slopes.T), regression.coef_covariance(X, 1.0), rtol=0.1, atol=0.01)


def test_vif_matches_inverse_correlation_and_two_column_formula():
    rng = np.random.default_rng(5)
    for _ in range(N_TRIALS):
        X, _ = random_problem(rng, collinear=rng.uniform(0, 0.95))
        if X.shape[1] < 2:
            X = np.column_stack([X, X[:, 0] + rng.standard_normal(len(X))])
        np.testing.assert_allclose(regression.vif(X), np.diag(np.linalg.inv(np.corrcoef(X.T))), rtol=1e-7)
    X = rng.standard_normal((50, 2))
    r = np.corrcoef(X.T)[0, 1]
    np.testing.assert_allclose(regression.vif(X), np.full(2, 1 / (1 - r**2)), rtol=1e-10)
    assert np.all(regression.vif(rng.standard_normal((30, 4))) >= 1)


def test_vif_of_exactly_collinear_column_is_infinite():
    rng = np.random.default_rng(6)
    Z = rng.standard_normal((30, 2))
    X = np.column_stack([Z, Z @ [1.0, -2.0]])
    assert np.all(np.isinf(regression.vif(X)))


def test_condition_number_matches_numpy():
    rng = np.random.default_rng(7)
    for _ in range(N_TRIALS):
        X, _ = random_problem(rng, collinear=rng.uniform(0, 0.99))
        np.testing.assert_allclose(regression.condition_number(X), np.linalg.cond(X), rtol=1e-9)
        Xs = X / np.linalg.norm(X, axis=0)
        np.testing.assert_allclose(regression.condition_number(X, scale_columns=True), np.linalg.cond(Xs),
                                   rtol=1e-9)
        np.testing.assert_allclose(regression.condition_number(X) ** 2, np.linalg.cond(X.T @ X), rtol=1e-4)
    assert regression.condition_number(np.column_stack([np.ones(5), 2 * np.ones(5)])) == np.inf


# -- two correlated predictors --------------------------------------------------------------------------------

def test_correlated_design_is_the_cholesky_factor_and_has_the_correlation():
    rng = np.random.default_rng(8)
    z1, z2 = rng.standard_normal((2, 3, 50_000))
    for rho in (-0.7, 0.0, 0.95):
        x1, x2 = regression.correlated_design(z1, z2, rho)
        L = np.linalg.cholesky([[1.0, rho], [rho, 1.0]])
        np.testing.assert_allclose(np.stack([x1, x2]), np.einsum("ij,j...->i...", L, np.stack([z1, z2])),
                                   rtol=1e-12, atol=1e-15)
        r = np.corrcoef(x1[0], x2[0])[0, 1]
        assert abs(r - rho) < 5 * (1 - rho ** 2) / np.sqrt(len(x1[0]))    # the sample correlation's sd


@pytest.mark.parametrize("lam", [0.0, 2.5])
def test_fit_two_predictors_matches_sklearn_per_data_set(lam):
    rng = np.random.default_rng(9)
    x1, x2, y = rng.standard_normal((3, 12, 20))
    y += 0.8 * x1 - 0.3 * x2
    ours = regression.fit_two_predictors(x1, x2, y, lam)
    model = LinearRegression() if lam == 0 else Ridge(alpha=lam)
    ref = np.array([model.fit(np.column_stack([a, b]), t).coef_ for a, b, t in zip(x1, x2, y)])
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-12)


def test_simulate_slopes_fits_the_data_sets_it_draws():
    ours = regression.simulate_slopes(0.6, n=15, reps=10, lam=1.5, sigma=0.5, beta=(2.0, -1.0), rng=11)
    z1, z2, eps = np.random.default_rng(11).standard_normal((3, 10, 15))
    x2 = 0.6 * z1 + np.sqrt(1 - 0.6 ** 2) * z2
    ref = np.array([Ridge(alpha=1.5).fit(np.column_stack([a, b]), 2 * a - b + 0.5 * e).coef_
                    for a, b, e in zip(z1, x2, eps)])
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_two_predictor_risk_matches_the_matrix_formulas(seed):
    rng = np.random.default_rng(seed)
    rho, n, lam, sigma = rng.uniform(-0.99, 0.99), int(rng.integers(5, 300)), rng.uniform(0, 50), rng.uniform(0.1, 3)
    beta = rng.normal(0, 2, 2)
    A = n * np.array([[1.0, rho], [rho, 1.0]])                       # X^T X of the fixed design
    M = np.linalg.inv(A + lam * np.eye(2))
    var_ridge = sigma ** 2 * (M @ A @ M)[0, 0]
    bias = ((M @ A - np.eye(2)) @ beta)[0]
    cov_ols = sigma ** 2 * np.linalg.inv(A)
    risk = regression.two_predictor_risk(rho, n, lam, sigma=sigma, beta=beta)
    np.testing.assert_allclose([risk.ols_rmse, risk.ridge_rmse, risk.sum_sd],
                               [np.sqrt(cov_ols[0, 0]), np.sqrt(var_ridge + bias ** 2), np.sqrt(cov_ols.sum())],
                               rtol=1e-10)


def test_two_predictor_risk_broadcasts():
    risk = regression.two_predictor_risk(np.linspace(0, 0.9, 5), 50, 10.0)
    assert risk.ols_rmse.shape == risk.ridge_rmse.shape == risk.sum_sd.shape == (5,)


def test_validation_names_the_argument():
    X, y = np.ones((5, 2)), np.ones(5)
    with pytest.raises(ValueError, match="X must be 2-dimensional"):
        regression.ols(np.ones(5), y)
    with pytest.raises(ValueError, match="y must have one entry per row"):
        regression.ols(X, np.ones(4))
    with pytest.raises(ValueError, match="y contains NaN"):
        regression.ols(X, np.array([1, 2, np.nan, 4, 5]))
    with pytest.raises(ValueError, match="method must be"):
        regression.ols(X, y, method="normal")
    with pytest.raises(ValueError, match="fewer rows"):
        regression.ols(np.eye(2, 3), np.ones(2))
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        regression.ridge(X, y, -1.0)
    with pytest.raises(ValueError, match="noise_var must be >= 0"):
        regression.coef_covariance(np.eye(3), -1.0)
    with pytest.raises(ValueError, match="rank deficient"):
        regression.coef_covariance(X, 1.0)
    with pytest.raises(ValueError, match="at least two columns"):
        regression.vif(np.ones((5, 1)))
    with pytest.raises(ValueError, match="column 1 is constant"):
        regression.vif(np.column_stack([np.arange(5.0), np.ones(5)]))
    with pytest.raises(ValueError, match="column 0 is zero"):
        regression.condition_number(np.column_stack([np.zeros(3), np.ones(3)]), scale_columns=True)
    with pytest.raises(ValueError, match="at least one row"):
        regression.condition_number(np.ones((0, 2)))
    with pytest.raises(ValueError, match="rho must be < 1"):
        regression.correlated_design(np.ones(3), np.ones(3), 1.0)
    with pytest.raises(ValueError, match="z1 and z2 must have the same shape"):
        regression.correlated_design(np.ones(3), np.ones(4), 0.5)
    with pytest.raises(ValueError, match="share one shape"):
        regression.fit_two_predictors(np.ones((2, 5)), np.ones((2, 5)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="lam must be >= 0"):
        regression.fit_two_predictors(np.ones((2, 5)), np.ones((2, 5)), np.ones((2, 5)), -1.0)
    with pytest.raises(ValueError, match="n must be >= 3"):
        regression.simulate_slopes(0.5, n=2)
    with pytest.raises(ValueError, match="beta must hold two slopes"):
        regression.simulate_slopes(0.5, beta=(1.0,))
    with pytest.raises(ValueError, match="rho must lie in"):
        regression.two_predictor_risk([0.5, 1.0], 10, 1.0)

"""mlsheet_utils.algorithms.linear against scikit-learn and closed forms over random seeded designs (numpy-ml style)."""

import functools

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
    with pytest.raises(ValueError, match="X must not be empty"):
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


# -- logistic regression --------------------------------------------------------------------------------------

def random_classification(rng):
    """A random design (n, d) with shifted, scaled columns and labels drawn from a logistic model."""
    n, d = int(rng.integers(30, 200)), int(rng.integers(1, 6))
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 3, d) + rng.uniform(-2, 2, d)
    z = X @ rng.standard_normal(d) + rng.normal()
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-z))).astype(float)
    y[:2] = [0.0, 1.0]                                      # both classes present
    return X, y


def sheet_bce(beta, X, y, C, fit_intercept=True):
    """The cross-entropy written from probabilities (scikit-learn's log_loss), plus the penalty on the slopes."""
    from sklearn.metrics import log_loss
    z = X @ beta[1:] + beta[0] if fit_intercept else X @ beta
    w = beta[1:] if fit_intercept else beta
    return log_loss(y, 1 / (1 + np.exp(-z)), labels=[0, 1]) + w @ w / (2 * C * len(y))


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_logistic_irls_matches_sklearn(fit_intercept):
    from sklearn.linear_model import LogisticRegression
    rng = np.random.default_rng(20)
    for _ in range(N_TRIALS):
        X, y = random_classification(rng)
        C = float(10 ** rng.uniform(-2, 2))
        ours = regression.logistic_irls(X, y, C=C, fit_intercept=fit_intercept, tol=1e-12)
        assert ours.converged
        ref = LogisticRegression(C=C, fit_intercept=fit_intercept, solver="newton-cholesky", tol=1e-12,
                                 max_iter=1000).fit(X, y)
        np.testing.assert_allclose(ours.coef, ref.coef_[0], rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(ours.intercept, ref.intercept_[0] if fit_intercept else 0.0, rtol=1e-8,
                                   atol=1e-10)
        lbfgs = LogisticRegression(C=C, fit_intercept=fit_intercept, tol=1e-10, max_iter=10_000).fit(X, y)
        np.testing.assert_allclose(ours.coef, lbfgs.coef_[0], rtol=1e-4, atol=1e-6)


def test_logistic_objective_matches_log_loss_and_finite_differences():
    from mlsheet_utils.algorithms.calculus import numerical_gradient, numerical_hessian
    rng = np.random.default_rng(21)
    for _ in range(10):
        X, y = random_classification(rng)
        C = float(10 ** rng.uniform(-1, 2))
        beta = 0.3 * rng.standard_normal(X.shape[1] + 1)
        obj = regression.logistic_objective(beta, X, y, C=C)
        f = functools.partial(sheet_bce, X=X, y=y, C=C)
        np.testing.assert_allclose(obj.value, f(beta), rtol=1e-12)
        np.testing.assert_allclose(obj.grad, numerical_gradient(f, beta), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(obj.hess, numerical_hessian(f, beta), rtol=1e-4, atol=1e-6)
        assert np.all(np.linalg.eigvalsh(obj.hess) > 0)


def test_logistic_objective_is_finite_where_the_probability_rounds_to_one():
    X, y = np.array([[40.0], [-1.0]]), np.array([0.0, 1.0])
    value = regression.logistic_objective(np.array([0.0, 1.0]), X, y).value
    np.testing.assert_allclose(value, (40.0 + np.log1p(np.exp(-40.0)) + np.log1p(np.e)) / 2, rtol=1e-14)


def test_irls_first_step_is_weighted_least_squares():
    rng = np.random.default_rng(22)
    for _ in range(10):
        X, y = random_classification(rng)
        A = np.column_stack([np.ones(len(y)), X])
        beta0 = 0.1 * rng.standard_normal(A.shape[1])
        p = 1 / (1 + np.exp(-A @ beta0))
        s = p * (1 - p)
        u = A @ beta0 + (y - p) / s                             # the working response
        wls = np.linalg.lstsq(np.sqrt(s)[:, None] * A, np.sqrt(s) * u, rcond=None)[0]
        one = regression.logistic_irls(X, y, C=np.inf, max_iter=1, beta0=beta0)   # near 0 the full step is taken
        np.testing.assert_allclose(one.path[1], wls, rtol=1e-8, atol=1e-10)


def test_irls_objective_decreases_and_converges_quadratically():
    rng = np.random.default_rng(23)
    X, y = random_classification(rng)
    fit = regression.logistic_irls(X, y, C=1.0, tol=1e-13)
    assert np.all(np.diff(fit.objective) <= 1e-15)
    g = fit.grad_norm
    big = g[:-1] > 1e-6                                        # away from round-off, once close: g' <= K g^2
    assert np.any(g[1:][big] < 10 * g[:-1][big] ** 2) and fit.n_iter <= 15


def test_separable_data_has_no_unpenalised_minimiser():
    rng = np.random.default_rng(24)
    X = rng.standard_normal((60, 2))
    y = (X @ [1.0, -2.0] > 0).astype(float)
    norms = [np.linalg.norm(regression.logistic_irls(X, y, C=np.inf, tol=tol, max_iter=500).coef)
             for tol in (1e-3, 1e-6, 1e-9)]
    assert norms[0] < norms[1] < norms[2]                      # the tolerance, not the data, sets the size
    penalised = [regression.logistic_irls(X, y, C=1.0, tol=tol).coef for tol in (1e-6, 1e-12)]
    np.testing.assert_allclose(penalised[0], penalised[1], rtol=1e-4)


@pytest.mark.parametrize("loss", ["log", "squared"])
def test_logistic_gd_steps_along_the_finite_difference_gradient(loss):
    from mlsheet_utils.algorithms.calculus import numerical_gradient
    rng = np.random.default_rng(25)
    X, y = random_classification(rng)
    beta0 = 0.5 * rng.standard_normal(X.shape[1] + 1)
    C, lr = 3.0, 0.7

    def J(b):
        p = 1 / (1 + np.exp(-(X @ b[1:] + b[0])))
        data = np.mean((p - y) ** 2) if loss == "squared" else sheet_bce(b, X, y, np.inf)
        return data + b[1:] @ b[1:] / (2 * C * len(y))

    run = regression.logistic_gd(X, y, lr=lr, n_iter=3, C=C, loss=loss, beta0=beta0)
    for k in range(3):
        np.testing.assert_allclose(run.path[k + 1], run.path[k] - lr * numerical_gradient(J, run.path[k]),
                                   rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(run.objective[k], J(run.path[k]), rtol=1e-12)


def test_logistic_gd_reaches_the_irls_optimum():
    rng = np.random.default_rng(26)
    X, y = random_classification(rng)
    X = (X - X.mean(0)) / X.std(0)
    newton = regression.logistic_irls(X, y, C=1.0)
    gd = regression.logistic_gd(X, y, lr=2.0, n_iter=5000, C=1.0)
    np.testing.assert_allclose(gd.path[-1], newton.path[-1], rtol=1e-6, atol=1e-8)


def test_logistic_estimator_matches_sklearn_predictions():
    from sklearn.linear_model import LogisticRegression
    rng = np.random.default_rng(27)
    X, y = random_classification(rng)
    ours = regression.LogisticRegression(C=0.5).fit(X, y)
    ref = LogisticRegression(C=0.5, solver="newton-cholesky", tol=1e-12).fit(X, y)
    Xt = rng.standard_normal((40, X.shape[1])) * 3
    np.testing.assert_allclose(ours.predict_proba(Xt), ref.predict_proba(Xt), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(ours.decision_function(Xt), ref.decision_function(Xt), rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(ours.predict(Xt), ref.predict(Xt))
    assert ours.converged_ and ours.n_iter_ >= 1


def test_logistic_validation_names_the_argument():
    X, y = np.ones((4, 2)), np.array([0.0, 1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="labels 0 and 1 only"):
        regression.logistic_irls(X, np.array([0.0, 2.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="needs both classes"):
        regression.logistic_irls(X, np.zeros(4))
    with pytest.raises(ValueError, match="C must be > 0"):
        regression.logistic_irls(X, y, C=0.0)
    with pytest.raises(ValueError, match="C must be a finite real number"):
        regression.logistic_irls(X, y, C=np.nan)
    with pytest.raises(ValueError, match="tol must be > 0"):
        regression.logistic_irls(X, y, tol=0.0)
    with pytest.raises(ValueError, match="beta0 must have shape"):
        regression.logistic_irls(X, y, beta0=np.zeros(2))
    with pytest.raises(ValueError, match="beta must have shape"):
        regression.logistic_objective(np.zeros(2), X, y)
    with pytest.raises(ValueError, match="loss must be"):
        regression.logistic_gd(X, y, lr=0.1, n_iter=2, loss="hinge")
    with pytest.raises(ValueError, match="lr must be > 0"):
        regression.logistic_gd(X, y, lr=0.0, n_iter=2)
    with pytest.raises(ValueError, match="not fitted"):
        regression.LogisticRegression().predict(X)
    with pytest.raises(ValueError, match="columns"):
        regression.LogisticRegression().fit(X, y).predict(np.ones((3, 5)))

"""mlsheet_utils.algorithms.regularization against scikit-learn, SciPy and optimality conditions (numpy-ml style)."""

import numpy as np
import pytest
import sklearn.linear_model as sklm
from scipy import optimize
from sklearn.model_selection import KFold

from mlsheet_utils.algorithms import regularization as reg

N_TRIALS = 12


def random_problem(rng, *, collinear=0.0):
    """A random design (n, p) with columns mixed towards the first by ``collinear``, shifted and scaled."""
    n = int(rng.integers(15, 80))
    p = int(rng.integers(1, 9))
    Z = rng.standard_normal((n, p))
    X = (1 - collinear) * Z + collinear * Z[:, :1] + rng.uniform(-2, 2, size=p)
    X *= rng.uniform(0.3, 3, size=p)
    w = rng.standard_normal(p) * (rng.random(p) < 0.6)
    return X, X @ w + rng.normal() + 0.5 * rng.standard_normal(n)


def test_soft_threshold_is_the_argmin_of_the_one_dimensional_lasso():
    rng = np.random.default_rng(0)
    z, t = rng.normal(scale=3, size=200), rng.uniform(0, 2, size=200)
    for zi, ti, w in zip(z, t, reg.soft_threshold(z, t)):
        ref = optimize.minimize_scalar(lambda v, zi=zi, ti=ti: 0.5 * (v - zi) ** 2 + ti * abs(v),
                                       bounds=(-10, 10), method="bounded", options={"xatol": 1e-10}).x
        assert w == pytest.approx(ref, abs=1e-6)
    assert np.all(reg.soft_threshold(z, t)[np.abs(z) <= t] == 0)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.7, 0.3, 0.0])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_coordinate_descent_matches_sklearn(l1_ratio, fit_intercept):
    rng = np.random.default_rng(1)
    for _ in range(N_TRIALS):
        X, y = random_problem(rng, collinear=rng.uniform(0, 0.8))
        top = np.abs((X - X.mean(0) * fit_intercept).T @ (y - y.mean() * fit_intercept)).max() / len(y)
        alpha = float(top * 10 ** rng.uniform(-3, 0))
        ours = reg.enet_coordinate_descent(X, y, alpha, l1_ratio, fit_intercept=fit_intercept, tol=1e-12,
                                           max_iter=200_000)
        ref = sklm.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept, tol=1e-12,
                              max_iter=200_000).fit(X, y)
        scale = 1 + np.abs(ref.coef_).max()
        np.testing.assert_allclose(ours.coef, ref.coef_, rtol=1e-6, atol=1e-6 * scale)
        assert ours.intercept == pytest.approx(ref.intercept_, rel=1e-6, abs=1e-6 * scale * (1 + np.abs(X).max()))
        assert ours.converged and ours.dual_gap >= -1e-9


def test_dual_gap_bounds_the_suboptimality():
    rng = np.random.default_rng(2)
    for _ in range(N_TRIALS):
        X, y = random_problem(rng, collinear=0.5)
        for l1_ratio in (1.0, 0.5):
            early = reg.enet_coordinate_descent(X, y, 0.05, l1_ratio, max_iter=2, tol=1e-15)
            best = sklm.ElasticNet(alpha=0.05, l1_ratio=l1_ratio, tol=1e-14, max_iter=200_000).fit(X, y)
            excess = (reg.enet_objective(X, y, early.coef, early.intercept, 0.05, l1_ratio)
                      - reg.enet_objective(X, y, best.coef_, best.intercept_, 0.05, l1_ratio))
            assert -1e-10 <= excess <= early.dual_gap + 1e-10


def test_objective_is_minimal_at_sklearns_solution():
    rng = np.random.default_rng(3)
    X, y = random_problem(rng)
    ref = sklm.ElasticNet(alpha=0.1, l1_ratio=0.6, tol=1e-14, max_iter=100_000).fit(X, y)
    at = reg.enet_objective(X, y, ref.coef_, ref.intercept_, 0.1, 0.6)
    for _ in range(50):
        step = rng.normal(scale=1e-3, size=X.shape[1])
        assert reg.enet_objective(X, y, ref.coef_ + step, ref.intercept_ + rng.normal(scale=1e-3), 0.1, 0.6) >= at


def test_estimators_match_sklearn():
    rng = np.random.default_rng(4)
    X, y = random_problem(rng)
    X_new = rng.normal(size=(5, X.shape[1]))
    for ours, ref in [(reg.Lasso(0.05, tol=1e-12), sklm.Lasso(0.05, tol=1e-12)),
                      (reg.ElasticNet(0.05, l1_ratio=0.3, tol=1e-12), sklm.ElasticNet(0.05, l1_ratio=0.3, tol=1e-12))]:
        np.testing.assert_allclose(ours.fit(X, y).predict(X_new), ref.fit(X, y).predict(X_new), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_path_matches_sklearn(l1_ratio):
    rng = np.random.default_rng(5)
    for _ in range(6):
        X, y = random_problem(rng, collinear=rng.uniform(0, 0.7))
        ours = reg.enet_path(X, y, l1_ratio=l1_ratio, n_alphas=15, eps=1e-2, tol=1e-12, max_iter=200_000)
        alphas, coefs, _ = sklm.enet_path(X - X.mean(0), y - y.mean(), l1_ratio=l1_ratio, alphas=15, eps=1e-2,
                                          tol=1e-12, max_iter=200_000)
        np.testing.assert_allclose(ours.alphas, alphas, rtol=1e-12)
        np.testing.assert_allclose(ours.coefs, coefs.T, rtol=1e-6, atol=1e-6 * (1 + np.abs(coefs).max()))
        assert ours.alphas[0] == pytest.approx(reg.alpha_max(X, y, l1_ratio), rel=1e-12)
        assert not np.any(ours.coefs[0])


def test_ridge_path_matches_sklearn_ridge_with_n_alpha():
    rng = np.random.default_rng(6)
    for _ in range(N_TRIALS):
        X, y = random_problem(rng, collinear=rng.uniform(0, 0.95))
        alphas = np.geomspace(10, 1e-3, 5)
        path = reg.ridge_path(X, y, alphas)
        for a, coef, b in zip(alphas, path.coefs, path.intercepts):
            ref = sklm.Ridge(alpha=len(y) * a).fit(X, y)
            np.testing.assert_allclose(coef, ref.coef_, rtol=1e-7, atol=1e-9)
            assert b == pytest.approx(ref.intercept_, rel=1e-7, abs=1e-8)


def test_cv_mse_path_matches_lasso_cv():
    rng = np.random.default_rng(7)
    X, y = random_problem(rng)
    X, y = np.vstack([X, X + 0.1 * rng.normal(size=X.shape)]), np.r_[y, y + 0.1 * rng.normal(size=y.size)]
    folds = list(KFold(4, shuffle=True, random_state=1).split(X))
    alphas = np.geomspace(reg.alpha_max(X, y), 1e-3 * reg.alpha_max(X, y), 12)
    ref = sklm.LassoCV(alphas=alphas, cv=folds, tol=1e-10, max_iter=100_000).fit(X, y)
    ours = reg.cv_mse_path(X, y, alphas, folds, tol=1e-10, max_iter=100_000)
    np.testing.assert_allclose(ours, ref.mse_path_, rtol=1e-7)


def test_project_l1_ball_satisfies_the_projection_kkt_conditions():
    """p solves min |u - v|^2/2 s.t. |u|_1 <= r iff v - p = theta * (a subgradient of |.|_1 at p), theta >= 0,
    and theta > 0 only when the budget binds; checked coordinate by coordinate."""
    rng = np.random.default_rng(8)
    for _ in range(40):
        v = rng.normal(scale=2, size=int(rng.integers(1, 12)))
        radius = float(rng.uniform(0, 1.5 * np.abs(v).sum()))
        proj = reg.project_l1_ball(v, radius)
        assert np.abs(proj).sum() <= radius * (1 + 1e-12) + 1e-12
        gap = v - proj
        on = proj != 0
        theta = np.abs(gap[on]).max() if on.any() else np.abs(v).max()
        np.testing.assert_allclose(gap[on], theta * np.sign(proj[on]), atol=1e-10)
        assert np.all(np.abs(v[~on]) <= theta + 1e-10)
        if theta > 1e-10:
            assert np.abs(proj).sum() == pytest.approx(radius, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("norm", ["l1", "l2"])
def test_constrained_form_equals_the_penalised_form(norm):
    rng = np.random.default_rng(9)
    for _ in range(5):
        p = int(rng.integers(2, 6))
        X = rng.normal(size=(60, p))
        y = X @ rng.normal(size=p) + rng.normal(size=60)
        if norm == "l1":
            pen = reg.enet_coordinate_descent(X, y, 0.2, tol=1e-14, max_iter=100_000)
            coef, b = pen.coef, pen.intercept
            budget = np.abs(coef).sum()
        else:
            path = reg.ridge_path(X, y, [0.2])
            coef, b = path.coefs[0], path.intercepts[0]
            budget = np.linalg.norm(coef)
        w, b2 = reg.norm_constrained_lsq(X, y, budget, norm=norm, n_iter=4000)
        np.testing.assert_allclose(w, coef, rtol=1e-7, atol=1e-8)
        assert b2 == pytest.approx(b, abs=1e-8)


@pytest.mark.parametrize("call, match", [
    (lambda: reg.soft_threshold([1.0, 2.0], -1.0), "t must be >= 0"),
    (lambda: reg.enet_coordinate_descent(np.ones((3, 2)), [1, 2], 1.0), "one entry per row"),
    (lambda: reg.enet_coordinate_descent(np.ones((3, 2)), [1, 2, 3], -1.0), "alpha"),
    (lambda: reg.enet_coordinate_descent(np.ones((3, 2)), [1, 2, 3], 1.0, 1.5), "l1_ratio"),
    (lambda: reg.enet_coordinate_descent(np.ones((3, 2)), [1, 2, 3], 1.0, tol=0.0), "tol"),
    (lambda: reg.enet_coordinate_descent(np.ones((3, 2)), [1, 2, 3], 1.0, coef_init=[1.0]), "coef_init"),
    (lambda: reg.enet_coordinate_descent([[np.nan, 1.0]], [1.0], 1.0), "X contains NaN"),
    (lambda: reg.enet_path(np.ones((3, 2)), [1, 2, 3], l1_ratio=0.0), "give alphas"),
    (lambda: reg.enet_path(np.ones((3, 2)), [1, 2, 3], alphas=[-1.0]), "alphas"),
    (lambda: reg.alpha_max(np.ones((3, 2)), [1, 2, 3], 0.0), "l1_ratio"),
    (lambda: reg.ridge_path(np.ones((3, 2)), [1, 2, 3], []), "alphas"),
    (lambda: reg.cv_mse_path(np.ones((4, 2)), [1, 2, 3, 4], [1.0], [([0], [1])]), "folds"),
    (lambda: reg.cv_mse_path(np.ones((4, 2)), [1, 2, 3, 4], [1.0], []), "folds"),
    (lambda: reg.project_l1_ball([1.0, 2.0], -0.5), "radius"),
    (lambda: reg.norm_constrained_lsq(np.ones((3, 2)), [1, 2, 3], 1.0, norm="linf"), "norm"),
    (lambda: reg.enet_objective(np.ones((3, 2)), [1, 2, 3], [1.0], 0.0, 1.0), "coef"),
    (lambda: reg.ElasticNet().predict(np.ones((2, 2))), "not fitted"),
])
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()

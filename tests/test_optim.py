"""mlsheet_utils.optim against SciPy over random seeded problems (numpy-ml style), and its validation."""

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, linprog, lsq_linear, minimize

from mlsheet_utils.algorithms import optim


def scipy_qp(Q, c, constraints, method="SLSQP", options=None):
    """scipy.optimize.minimize on 1/2 x^T Q x + c^T x from the origin."""
    return minimize(lambda x: 0.5 * x @ Q @ x + c @ x, np.zeros(len(c)), jac=lambda x: Q @ x + c,
                    method=method, constraints=constraints, options=options or {})


def random_spd(rng, n, cond=20.0):
    """A random symmetric positive definite matrix with eigenvalues in [1, cond]."""
    U, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (U * np.linspace(1.0, cond, n)) @ U.T


# -- equality-constrained QP -------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["SLSQP", "trust-constr"])
def test_eq_qp_matches_scipy_minimize(method):
    rng = np.random.default_rng(10)
    for _ in range(8):
        n = int(rng.integers(2, 7))
        m = int(rng.integers(1, n))
        Q, c = random_spd(rng, n), rng.standard_normal(n)
        A, b = rng.standard_normal((m, n)), rng.standard_normal(m)
        ours = optim.solve_eq_qp(Q, c, A, b)
        opts = {"ftol": 1e-12} if method == "SLSQP" else {"gtol": 1e-10, "xtol": 1e-12}
        ref = scipy_qp(Q, c, [LinearConstraint(A, b, b)], method, {"maxiter": 2000} | opts)
        np.testing.assert_allclose(ours.x, ref.x, rtol=1e-5, atol=1e-6)
        assert ours.objective == pytest.approx(ref.fun, rel=1e-7, abs=1e-8)
        # stationarity of the Lagrangian f + nu^T (A x - b)
        np.testing.assert_allclose(Q @ ours.x + c + A.T @ ours.multipliers, 0, atol=1e-9)
        np.testing.assert_allclose(A @ ours.x, b, atol=1e-10)


def test_eq_qp_multiplier_is_minus_sensitivity():
    """d p*/d b = -nu, checked by finite differences."""
    rng = np.random.default_rng(3)
    Q, c = random_spd(rng, 4), rng.standard_normal(4)
    A, b = rng.standard_normal((2, 4)), rng.standard_normal(2)
    nu = optim.solve_eq_qp(Q, c, A, b).multipliers
    eps = 1e-6
    for i in range(2):
        e = np.eye(2)[i] * eps
        up, down = optim.solve_eq_qp(Q, c, A, b + e), optim.solve_eq_qp(Q, c, A, b - e)
        dp = (up.objective - down.objective) / (2 * eps)
        assert dp == pytest.approx(-nu[i], rel=1e-5, abs=1e-7)


def test_eq_qp_min_norm_matches_lstsq():
    """Q = I, c = 0: the minimum-norm solution of an underdetermined system, A^+ b."""
    rng = np.random.default_rng(4)
    for _ in range(5):
        m, n = 2, int(rng.integers(3, 8))
        A, b = rng.standard_normal((m, n)), rng.standard_normal(m)
        x = optim.solve_eq_qp(np.eye(n), np.zeros(n), A, b).x
        np.testing.assert_allclose(x, np.linalg.lstsq(A, b, rcond=None)[0], atol=1e-10)


# -- inequality-constrained QP -----------------------------------------------------------------------------

def test_ineq_qp_matches_slsqp_over_random_problems():
    rng = np.random.default_rng(20)
    for _ in range(15):
        n = int(rng.integers(2, 5))
        m = int(rng.integers(1, 7))
        Q, c = random_spd(rng, n), 3 * rng.standard_normal(n)
        G = rng.standard_normal((m, n))
        h = G @ rng.standard_normal(n) + rng.uniform(0, 1, m)     # a strictly feasible point exists
        ours = optim.solve_ineq_qp(Q, c, G, h)
        ref = scipy_qp(Q, c, [LinearConstraint(G, -np.inf, h)], "SLSQP", {"ftol": 1e-13, "maxiter": 500})
        assert ref.success
        np.testing.assert_allclose(ours.x, ref.x, rtol=1e-5, atol=1e-6)
        mu = ours.multipliers
        assert np.all(mu >= 0)
        np.testing.assert_allclose(Q @ ours.x + c + G.T @ mu, 0, atol=1e-8)
        np.testing.assert_allclose(mu * (G @ ours.x - h), 0, atol=1e-8)     # complementary slackness


def test_ineq_qp_box_least_squares_matches_lsq_linear():
    """min ||M x - y||^2 on a box is a QP with Q = 2 M^T M, c = -2 M^T y, G = [I; -I]."""
    rng = np.random.default_rng(30)
    for _ in range(10):
        k, n = int(rng.integers(4, 10)), int(rng.integers(2, 4))
        M, y = rng.standard_normal((k, n)), 3 * rng.standard_normal(k)
        lo, hi = -rng.uniform(0.1, 1, n), rng.uniform(0.1, 1, n)
        G, h = np.vstack([np.eye(n), -np.eye(n)]), np.concatenate([hi, -lo])
        ours = optim.solve_ineq_qp(2 * M.T @ M, -2 * M.T @ y, G, h)
        ref = lsq_linear(M, y, bounds=(lo, hi), tol=1e-12)
        np.testing.assert_allclose(ours.x, ref.x, atol=1e-7)


def test_ineq_qp_multiplier_matches_linprog_dual_in_the_lp_limit():
    """A tiny proximal term turns an LP into a QP; its multipliers approach linprog's dual marginals."""
    c = np.array([-1.0, -2.0])
    G = np.array([[1.0, 1.0], [1.0, 3.0], [-1.0, 0.0], [0.0, -1.0]])
    h = np.array([4.0, 6.0, 0.0, 0.0])
    lp = linprog(c, A_ub=G, b_ub=h, bounds=[(None, None)] * 2, method="highs")
    ours = optim.solve_ineq_qp(1e-8 * np.eye(2) * 1e3, c, G, h)
    np.testing.assert_allclose(ours.x, lp.x, atol=1e-4)
    np.testing.assert_allclose(ours.multipliers, -lp.ineqlin.marginals, atol=1e-4)


def test_ineq_qp_inactive_constraint_has_zero_multiplier():
    # min (x - 0.5)^2 s.t. x <= 1: the unconstrained optimum is feasible
    res = optim.solve_ineq_qp([[2.0]], [-1.0], [[1.0]], [1.0])
    assert res.x[0] == pytest.approx(0.5) and res.multipliers[0] == 0 and res.active == ()
    # min (x - 3)^2 s.t. x <= 1: active, mu = 2 (3 - 1) = 4
    res = optim.solve_ineq_qp([[2.0]], [-6.0], [[1.0]], [1.0])
    assert res.x[0] == pytest.approx(1.0) and res.multipliers[0] == pytest.approx(4.0) and res.active == (0,)


# -- projections and projected gradient --------------------------------------------------------------------

def test_projected_gradient_reaches_the_qp_solution():
    rng = np.random.default_rng(40)
    for _ in range(5):
        Q, c = random_spd(rng, 2, cond=5.0), 4 * rng.standard_normal(2)
        a, beta = rng.standard_normal(2), float(rng.standard_normal())
        L = np.linalg.eigvalsh(Q).max()
        path = optim.projected_gradient(lambda x, Q=Q, c=c: Q @ x + c,
                                        lambda x, a=a, beta=beta: optim.project_halfspace(x, a, beta),
                                        np.zeros(2), step=1 / L, n_iter=2000)
        ref = optim.solve_ineq_qp(Q, c, a[None], np.array([beta]))
        np.testing.assert_allclose(path[-1], ref.x, atol=1e-7)


def test_projections_match_scipy_minimize():
    rng = np.random.default_rng(41)
    x, a, beta = 3 * rng.standard_normal(3), rng.standard_normal(3), -0.5
    ref = minimize(lambda z: np.sum((z - x) ** 2), np.zeros(3), method="SLSQP",
                   constraints=[{"type": "ineq", "fun": lambda z: beta - a @ z}], options={"ftol": 1e-14})
    np.testing.assert_allclose(optim.project_halfspace(x, a, beta), ref.x, atol=1e-6)
    ref = minimize(lambda z: np.sum((z - x) ** 2), np.zeros(3), method="L-BFGS-B",
                   bounds=Bounds(-np.ones(3), np.ones(3)))
    np.testing.assert_allclose(optim.project_box(x, -1, 1), ref.x, atol=1e-6)


def test_project_halfspace_keeps_feasible_points_and_is_vectorised():
    pts = np.array([[0.0, 0.0], [2.0, 2.0]])
    out = optim.project_halfspace(pts, [1.0, 1.0], 1.0)
    np.testing.assert_allclose(out, [[0.0, 0.0], [0.5, 0.5]])


# -- Lipschitz constants -----------------------------------------------------------------------------------

def test_spectral_norm_matches_numpy_over_random_shapes():
    rng = np.random.default_rng(50)
    for _ in range(10):
        W = rng.standard_normal((int(rng.integers(1, 9)), int(rng.integers(1, 9))))
        assert optim.spectral_norm(W, n_iter=500) == pytest.approx(np.linalg.norm(W, 2), rel=1e-8)
    assert optim.spectral_norm(np.zeros((3, 2))) == 0.0


def test_empirical_lipschitz_is_a_lower_bound_and_tight_for_linear_maps():
    rng = np.random.default_rng(60)
    W = rng.standard_normal((3, 2))
    est = optim.empirical_lipschitz(lambda X: X @ W.T, -1, 1, dim=2, n_pairs=20000, rng=1)
    true = np.linalg.norm(W, 2)
    assert est <= true * (1 + 1e-12)
    assert est == pytest.approx(true, rel=1e-2)
    # sigmoid: L = 1/4, attained at 0
    est = optim.empirical_lipschitz(lambda X: 1 / (1 + np.exp(-X[:, 0])), -3, 3, rng=0)
    assert 0.249 < est <= 0.25


def test_mlp_bound_dominates_the_empirical_constant():
    rng = np.random.default_rng(70)
    Ws = [rng.standard_normal((8, 2)), rng.standard_normal((8, 8)) / 3, rng.standard_normal((1, 8))]

    def mlp(X):
        H = X
        for W in Ws[:-1]:
            H = np.tanh(H @ W.T)
        return H @ Ws[-1].T

    bound = optim.lipschitz_bound_mlp(Ws)
    assert bound == pytest.approx(np.prod([np.linalg.norm(W, 2) for W in Ws]), rel=1e-8)
    assert optim.empirical_lipschitz(mlp, -2, 2, dim=2, rng=0) <= bound


# -- validation --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args,match", [
    ((np.eye(2), [1.0], [[1.0, 1.0]], [1.0]), "c must have shape"),
    ((np.ones((2, 3)), [1.0, 1.0], [[1.0, 1.0]], [1.0]), "Q must be square"),
    (([[1.0, 2.0], [0.0, 1.0]], [1.0, 1.0], [[1.0, 1.0]], [1.0]), "Q must be symmetric"),
    ((np.eye(2), [1.0, 1.0], [[1.0, 1.0, 1.0]], [1.0]), "A must have 2 columns"),
    ((np.eye(2), [1.0, 1.0], [[1.0, 1.0]], [1.0, 2.0]), "b must have shape"),
    ((np.eye(2), [1.0, 1.0], np.eye(3)[:, :2], [1.0, 2.0, 3.0]), "more rows"),
    ((np.eye(2), [1.0, 1.0], [[1.0, 1.0], [2.0, 2.0]], [1.0, 2.0]), "singular"),
    ((np.diag([1.0, -1.0]), [0.0, 0.0], [[1.0, 0.0]], [1.0]), "not positive definite on the null space"),
    ((np.eye(2), [np.nan, 1.0], [[1.0, 1.0]], [1.0]), "c contains NaN"),
])
def test_solve_eq_qp_validates(args, match):
    with pytest.raises(ValueError, match=match):
        optim.solve_eq_qp(*args)


@pytest.mark.parametrize("args,kwargs,match", [
    ((np.diag([1.0, 0.0]), [0.0, 0.0], [[1.0, 0.0]], [1.0]), {}, "Q must be positive definite"),
    ((np.eye(1), [0.0], [[1.0], [-1.0]], [-1.0, -1.0]), {}, "no feasible point"),
    ((np.eye(1), [0.0], np.ones((13, 1)), np.ones(13)), {}, "between 1 and 12"),
    ((np.eye(1), [0.0], [[1.0]], [1.0]), {"tol": 0.0}, "tol must be > 0"),
    ((np.eye(2), [0.0, 0.0], [[1.0, 0.0]], [1.0, 2.0]), {}, "h must have shape"),
])
def test_solve_ineq_qp_validates(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        optim.solve_ineq_qp(*args, **kwargs)


def test_projection_and_gradient_validation():
    with pytest.raises(ValueError, match="a must be nonzero"):
        optim.project_halfspace([1.0, 2.0], [0.0, 0.0], 1.0)
    with pytest.raises(ValueError, match="x has 2 coordinates but a has 3"):
        optim.project_halfspace([1.0, 2.0], [1.0, 0.0, 0.0], 1.0)
    with pytest.raises(ValueError, match="low must be <= high"):
        optim.project_box([0.0], 1.0, -1.0)
    with pytest.raises(ValueError, match="step must be > 0"):
        optim.projected_gradient(lambda x: x, lambda x: x, [1.0], step=0.0)
    with pytest.raises(ValueError, match="n_iter must be >= 1"):
        optim.projected_gradient(lambda x: x, lambda x: x, [1.0], step=0.1, n_iter=0)


def test_lipschitz_validation():
    with pytest.raises(ValueError, match="low must be < high"):
        optim.empirical_lipschitz(np.sin, 1.0, 1.0)
    with pytest.raises(ValueError, match="n_pairs must be >= 2"):
        optim.empirical_lipschitz(np.sin, 0.0, 1.0, n_pairs=1)
    with pytest.raises(ValueError, match="f must map"):
        optim.empirical_lipschitz(lambda X: X[:3], 0.0, 1.0)
    with pytest.raises(ValueError, match="W must be 2-dimensional"):
        optim.spectral_norm(np.ones(3))
    with pytest.raises(ValueError, match="do not chain"):
        optim.lipschitz_bound_mlp([np.ones((3, 2)), np.ones((1, 4))])
    with pytest.raises(ValueError, match="at least one matrix"):
        optim.lipschitz_bound_mlp([])
    with pytest.raises(ValueError, match="activation_lipschitz must be >= 0"):
        optim.lipschitz_bound_mlp([np.ones((2, 2))], activation_lipschitz=-1.0)


# -- unconstrained steps -----------------------------------------------------------------------------------

def test_newton_step_matches_scipy_solve_and_damping_tends_to_a_gradient_step():
    import scipy.linalg
    rng = np.random.default_rng(80)
    for _ in range(5):
        n = int(rng.integers(2, 6))
        H, g = random_spd(rng, n), rng.standard_normal(n)
        np.testing.assert_allclose(optim.newton_step(g, H), -scipy.linalg.solve(H, g), rtol=1e-10, atol=1e-12)
        mu = float(rng.uniform(0.1, 3.0))
        np.testing.assert_allclose(optim.newton_step(g, H, damping=mu),
                                   -scipy.linalg.solve(H + mu * np.eye(n), g), rtol=1e-10, atol=1e-12)
    # a huge damping turns it into -g / mu
    np.testing.assert_allclose(optim.newton_step(g, H, damping=1e9) * 1e9, -g, rtol=1e-6)


def test_newton_minimize_reaches_the_rosenbrock_minimum_like_trust_exact():
    from scipy.optimize import rosen, rosen_der, rosen_hess
    path = optim.newton_minimize(rosen_der, rosen_hess, [-1.2, 1.0])
    ref = minimize(rosen, [-1.2, 1.0], jac=rosen_der, hess=rosen_hess, method="trust-exact", tol=1e-12)
    np.testing.assert_allclose(path[-1], ref.x, atol=1e-8)
    assert path.shape[1] == 2 and len(path) <= 21


def test_gradient_descent_quadratic_matches_the_closed_form():
    """x_k - x* = (I - eta A)^k (x_0 - x*), with x* = A^{-1} b."""
    rng = np.random.default_rng(81)
    for _ in range(5):
        n = int(rng.integers(2, 5))
        A, b, x0 = random_spd(rng, n, cond=8.0), rng.standard_normal(n), rng.standard_normal(n)
        eta = float(rng.uniform(0.05, 1.9)) / np.linalg.eigvalsh(A).max()
        path = optim.gradient_descent_quadratic(A, x0, eta, 15, b=b)
        x_star = np.linalg.solve(A, b)
        M = np.eye(n) - eta * A
        closed = np.stack([x_star + np.linalg.matrix_power(M, k) @ (x0 - x_star) for k in range(16)])
        np.testing.assert_allclose(path, closed, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_quadratic_penalty_matches_a_generic_minimiser_and_tends_to_the_kkt_solution(seed):
    rng = np.random.default_rng(82 + seed)
    Q, c = random_spd(rng, 2, cond=5.0), 3 * rng.standard_normal(2)
    a, beta = rng.standard_normal(2), float(rng.standard_normal())
    rho = 10.0
    pen = optim.quadratic_penalty_qp(Q, c, a, beta, rho)
    ref = minimize(lambda z: 0.5 * z @ Q @ z + c @ z + rho / 2 * max(0.0, a @ z - beta) ** 2, np.zeros(2),
                   method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(pen.x, ref.x, atol=1e-6)
    # large rho: the constrained optimum of SLSQP, and rho * violation -> the multiplier of stationarity
    far = optim.quadratic_penalty_qp(Q, c, a, beta, 1e8)
    con = minimize(lambda z: 0.5 * z @ Q @ z + c @ z, np.zeros(2), jac=lambda z: Q @ z + c, method="SLSQP",
                   constraints=[{"type": "ineq", "fun": lambda z: beta - a @ z}], options={"ftol": 1e-14})
    np.testing.assert_allclose(far.x, con.x, atol=1e-6)
    mu_ref = float(-((Q @ con.x + c) @ a) / (a @ a)) if a @ con.x > beta - 1e-8 else 0.0
    assert far.multiplier == pytest.approx(max(mu_ref, 0.0), abs=1e-5)


def test_tanh_mlp_output_and_input_gradients_match_a_loop_and_scipy_jacobian():
    from scipy.differentiate import jacobian
    rng = np.random.default_rng(83)
    Ws = [rng.standard_normal((6, 2)), rng.standard_normal((6, 6)) / 2, rng.standard_normal((1, 6))]
    X = rng.uniform(-2, 2, (5, 2))
    loop = np.array([(Ws[2] @ np.tanh(Ws[1] @ np.tanh(Ws[0] @ x)))[0] for x in X])
    np.testing.assert_allclose(optim.tanh_mlp_output(X, Ws), loop, rtol=1e-13)

    def f_batch(v):               # scipy.differentiate's convention: v of shape (2, ...) -> (...)
        flat = v.reshape(2, -1).T
        h = np.tanh(np.tanh(flat @ Ws[0].T) @ Ws[1].T)
        return (h @ Ws[2].T)[:, 0].reshape(v.shape[1:])

    ref = np.stack([jacobian(f_batch, x).df for x in X])
    np.testing.assert_allclose(optim.tanh_mlp_input_gradients(X, Ws), ref, rtol=1e-8, atol=1e-10)


def test_unconstrained_and_mlp_validation():
    with pytest.raises(ValueError, match="H must have shape"):
        optim.newton_step([1.0, 2.0], np.eye(3))
    with pytest.raises(ValueError, match="damping must be >= 0"):
        optim.newton_step([1.0], [[1.0]], damping=-1.0)
    with pytest.raises(ValueError, match="singular"):
        optim.newton_step([1.0, 1.0], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="steps must be >= 1"):
        optim.newton_minimize(lambda x: x, lambda x: np.eye(1), [1.0], steps=0)
    with pytest.raises(ValueError, match="A must be symmetric"):
        optim.gradient_descent_quadratic([[1.0, 2.0], [0.0, 1.0]], [1.0, 1.0], 0.1, 3)
    with pytest.raises(ValueError, match="step must be > 0"):
        optim.gradient_descent_quadratic(np.eye(2), [1.0, 1.0], 0.0, 3)
    with pytest.raises(ValueError, match="x0 must have shape"):
        optim.gradient_descent_quadratic(np.eye(2), [1.0], 0.1, 3)
    with pytest.raises(ValueError, match="rho must be > 0"):
        optim.quadratic_penalty_qp(np.eye(2), [0.0, 0.0], [1.0, 0.0], 1.0, 0.0)
    with pytest.raises(ValueError, match="Q must be positive definite"):
        optim.quadratic_penalty_qp(np.diag([1.0, 0.0]), [0.0, 0.0], [1.0, 0.0], 1.0, 1.0)
    with pytest.raises(ValueError, match="one output row"):
        optim.tanh_mlp_output(np.ones((3, 2)), [np.ones((4, 2)), np.ones((2, 4))])
    with pytest.raises(ValueError, match="X must have 2 columns"):
        optim.tanh_mlp_input_gradients(np.ones((3, 3)), [np.ones((4, 2)), np.ones((1, 4))])

import numpy as np
import pytest
import sympy as sp

from mlsheet_utils.algorithms import calculus

X1, X2, X3 = sp.symbols("x1 x2 x3", real=True)
XS = (X1, X2, X3)

# Vector functions R^3 -> R^m and scalar functions R^3 -> R, written once in SymPy.
VECTOR_FUNCS = [
    sp.Matrix([sp.sin(X1) * X2, sp.exp(X2 - X3), X1 * X2 * X3]),
    sp.Matrix([X1 ** 2 + sp.cos(X3), sp.tanh(X1 + 2 * X2)]),
    sp.Matrix([X1 * sp.cos(X2), X1 * sp.sin(X2), X3]),
]
SCALAR_FUNCS = [
    (1 - X1) ** 2 + 100 * (X2 - X1 ** 2) ** 2 + X3 ** 2,
    sp.exp(X1 * X2) + sp.sin(X3) * X1,
    sp.log(1 + X1 ** 2 + X2 ** 2) - X2 * X3 ** 3,
]


def _lam(expr):
    g = sp.lambdify([XS], expr, "numpy")
    shape = np.shape(expr) or ()
    shape = shape[:1] if len(shape) == 2 and shape[1] == 1 else shape   # column vector -> (m,)
    return lambda x: np.asarray(g(np.asarray(x, dtype=float)), dtype=float).reshape(shape)


@pytest.mark.parametrize("k", range(len(VECTOR_FUNCS)))
def test_jacobian_matches_sympy_at_random_points(k):
    """Gold-standard comparison (numpy-ml style) over randomly drawn points."""
    expr = VECTOR_FUNCS[k]
    f, jac = _lam(expr), _lam(expr.jacobian(XS))
    rng = np.random.default_rng(100 + k)
    for _ in range(10):
        x = rng.uniform(-1.5, 1.5, size=3)
        np.testing.assert_allclose(calculus.numerical_jacobian(f, x), jac(x), rtol=1e-6, atol=1e-7)


def test_jacobian_vectorized_equals_loop():
    A = np.random.default_rng(0).standard_normal((4, 3))
    f_vec = lambda X: np.tanh(X @ A.T)  # noqa: E731  (k, 3) -> (k, 4)
    f_one = lambda x: np.tanh(A @ x)  # noqa: E731
    x = np.array([0.3, -0.2, 0.5])
    J_vec = calculus.numerical_jacobian(f_vec, x, vectorized=True)
    J_one = calculus.numerical_jacobian(f_one, x)
    assert J_vec.shape == (4, 3)
    np.testing.assert_allclose(J_vec, J_one, rtol=0, atol=1e-9)   # matmul rounding differs
    analytic = (1 - np.tanh(A @ x) ** 2)[:, None] * A
    np.testing.assert_allclose(J_vec, analytic, atol=1e-8)


def test_jacobian_of_linear_map_is_the_matrix_and_scalar_gives_gradient():
    A = np.random.default_rng(1).standard_normal((2, 5))
    x = np.random.default_rng(2).standard_normal(5)
    np.testing.assert_allclose(calculus.numerical_jacobian(lambda v: A @ v, x), A, atol=1e-9)
    g = calculus.numerical_jacobian(lambda v: float(v @ v), x)
    assert g.shape == (5,)
    np.testing.assert_allclose(g, 2 * x, atol=1e-8)


@pytest.mark.parametrize("k", range(len(SCALAR_FUNCS)))
def test_gradient_and_hessian_match_sympy(k):
    expr = SCALAR_FUNCS[k]
    f = _lam(expr)
    grad = _lam(sp.Matrix([sp.diff(expr, s) for s in XS]))
    hess = _lam(sp.hessian(expr, XS))
    rng = np.random.default_rng(200 + k)
    for _ in range(8):
        x = rng.uniform(-1.0, 1.0, size=3)
        H = hess(x)
        scale = 1 + np.abs(H).max()
        np.testing.assert_allclose(calculus.gradient(f, x), grad(x), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(calculus.numerical_hessian(f, x), H, atol=1e-5 * scale)
        np.testing.assert_allclose(calculus.numerical_hessian(f, x, grad=grad), H, atol=1e-7 * scale)


def test_hessian_is_symmetric_and_vectorized_agrees():
    f_vec = lambda X: np.sin(X[:, 0] * X[:, 1]) + X[:, 1] ** 3 * X[:, 2]  # noqa: E731
    f_one = lambda x: f_vec(x[None, :])[0]  # noqa: E731
    x = np.array([0.4, -0.7, 1.1])
    H_vec = calculus.numerical_hessian(f_vec, x, vectorized=True)
    H_one = calculus.numerical_hessian(f_one, x)
    np.testing.assert_array_equal(H_vec, H_vec.T)
    np.testing.assert_allclose(H_vec, H_one, atol=1e-12)


def test_jvp_and_hvp_match_full_matrices():
    expr = VECTOR_FUNCS[0]
    f, jac = _lam(expr), _lam(expr.jacobian(XS))
    s_expr = SCALAR_FUNCS[1]
    grad = _lam(sp.Matrix([sp.diff(s_expr, s) for s in XS]))
    hess = _lam(sp.hessian(s_expr, XS))
    rng = np.random.default_rng(3)
    x, v = rng.standard_normal(3), rng.standard_normal(3)
    np.testing.assert_allclose(calculus.jvp(f, x, v), jac(x) @ v, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(calculus.hvp(grad, x, v), hess(x) @ v, rtol=1e-6, atol=1e-8)


def test_central_difference_error_is_second_order():
    """Halving eps divides the truncation error by about 4 (the O(eps^2) term dominates)."""
    f = lambda x: np.array([np.exp(x[0]) * np.sin(x[1])])  # noqa: E731
    x = np.array([0.3, 0.8])
    exact = np.array([[np.exp(0.3) * np.sin(0.8), np.exp(0.3) * np.cos(0.8)]])
    errs = [np.abs(calculus.numerical_jacobian(f, x, eps=h) - exact).max() for h in (1e-2, 5e-3, 2.5e-3)]
    ratios = np.array(errs[:-1]) / np.array(errs[1:])
    np.testing.assert_allclose(ratios, 4.0, rtol=0.05)


def test_hessian_second_difference_error_is_second_order():
    f = lambda x: np.exp(x[0]) * np.sin(x[1])  # noqa: E731
    x = np.array([0.3, 0.8])
    e, s, c = np.exp(0.3), np.sin(0.8), np.cos(0.8)
    exact = np.array([[e * s, e * c], [e * c, -e * s]])
    errs = [np.abs(calculus.numerical_hessian(f, x, eps=h) - exact).max() for h in (4e-2, 2e-2, 1e-2)]
    ratios = np.array(errs[:-1]) / np.array(errs[1:])
    np.testing.assert_allclose(ratios, 4.0, rtol=0.05)


def test_taylor_sympy_and_callable_derivatives_agree():
    t = sp.Symbol("t")
    grid = np.linspace(-0.5, 0.5, 11)
    from_sympy = calculus.taylor_polynomial(sp.exp(t), 0.2, 6, grid)
    derivs = [np.exp] * 7
    from_callables = calculus.taylor_polynomial(derivs, 0.2, 6, grid)
    np.testing.assert_allclose(from_sympy, from_callables, rtol=1e-14)
    reference = float(sp.series(sp.exp(t), t, sp.Rational(1, 5), 7).removeO().subs(t, 0.5))
    assert from_sympy[-1] == pytest.approx(reference, rel=1e-13)


@pytest.mark.parametrize("order", [0, 1, 3, 6])
def test_taylor_error_within_lagrange_bound(order):
    """|sin x - T_K(x)| <= |x - a|^(K+1) / (K+1)!  since every derivative of sin is bounded by 1."""
    t = sp.Symbol("t")
    rng = np.random.default_rng(order)
    a = float(rng.uniform(-1, 1))
    grid = np.linspace(a - 2, a + 2, 41)
    err = np.abs(np.sin(grid) - calculus.taylor_polynomial(sp.sin(t), a, order, grid))
    bound = np.abs(grid - a) ** (order + 1) / sp.factorial(order + 1)
    assert np.all(err <= np.asarray(bound, dtype=float) + 1e-13)


def test_taylor_coefficients_of_log1p():
    t = sp.Symbol("t")
    c = calculus.taylor_coefficients(sp.log(1 + t), 0.0, 5)
    np.testing.assert_allclose(c, [0, 1, -1 / 2, 1 / 3, -1 / 4, 1 / 5], atol=1e-15)


@pytest.mark.parametrize("call,match", [
    (lambda: calculus.numerical_jacobian(np.sin, [0.0, 1.0], eps=0.0), "eps must be > 0"),
    (lambda: calculus.numerical_jacobian(np.sin, np.zeros((2, 2))), "x must be a scalar or 1-dimensional"),
    (lambda: calculus.numerical_jacobian(np.sin, []), "x must not be empty"),
    (lambda: calculus.numerical_jacobian(np.sin, [np.nan]), "x contains NaN"),
    (lambda: calculus.numerical_jacobian(np.log, [0.0]), "NaN or infinite values near x"),
    (lambda: calculus.numerical_jacobian(lambda X: 1.0, [0.0], vectorized=True), "declared vectorized"),
    (lambda: calculus.numerical_hessian(lambda x: x, [0.0, 1.0]), "f must return a scalar"),
    (lambda: calculus.numerical_hessian(np.sum, [0.0], grad=3), "grad must be callable"),
    (lambda: calculus.numerical_hessian(np.sum, [0.0, 1.0], grad=lambda x: x[:1]), "grad must return"),
    (lambda: calculus.jvp(np.sin, [0.0, 1.0], [1.0]), "v must have the shape of x"),
    (lambda: calculus.hvp(None, [0.0], [1.0]), "grad must be callable"),
    (lambda: calculus.gradient(3, [0.0]), "f must be callable"),
    (lambda: calculus.taylor_polynomial(sp.exp(sp.Symbol("t")), 0.0, -1, [0.0]), "order must be >= 0"),
    (lambda: calculus.taylor_polynomial(sp.exp(sp.Symbol("t")), np.inf, 2, [0.0]), "a must be a finite"),
    (lambda: calculus.taylor_polynomial([1.0, 1.0], 0.0, 3, [0.0]), "needs 4"),
    (lambda: calculus.taylor_polynomial("exp", 0.0, 1, [0.0]), "f must be a SymPy expression"),
    (lambda: calculus.taylor_polynomial(sp.log(sp.Symbol("t")), 0.0, 1, [0.0]), "not finite at a=0.0"),
    (lambda: calculus.taylor_polynomial(sp.Symbol("s") * sp.Symbol("t"), 0.0, 1, [0.0]), "pass symbol="),
])
def test_validation_messages_name_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# -- elementwise derivatives, polynomials, curvature, reverse mode by hand ---------------------------------

def test_central_difference_matches_scipy_derivative_and_closed_form():
    from scipy.differentiate import derivative
    rng = np.random.default_rng(7)
    x = rng.uniform(-3, 3, size=(4, 5))
    ours = calculus.central_difference(lambda t: np.sin(t ** 2), x)
    np.testing.assert_allclose(ours, 2 * x * np.cos(x ** 2), rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours, derivative(lambda t: np.sin(t ** 2), x).df, rtol=0, atol=1e-8)


def test_horner_matches_numpy_polyval():
    rng = np.random.default_rng(8)
    for degree in (0, 1, 4, 9):
        c, t = rng.standard_normal(degree + 1), rng.uniform(-2, 2, size=17)
        np.testing.assert_allclose(calculus.horner(c, t), np.polynomial.polynomial.polyval(t, c), rtol=1e-13,
                                   atol=1e-13)


@pytest.mark.parametrize("name", ["sin", "exp", "log1p", "sigmoid"])
def test_closed_form_taylor_coefficients_match_sympy_series(name):
    t = sp.Symbol("t")
    expr = {"sin": sp.sin(t), "exp": sp.exp(t), "log1p": sp.log(1 + t), "sigmoid": 1 / (1 + sp.exp(-t))}[name]
    rng = np.random.default_rng(9)
    for a in rng.uniform(-0.8, 0.8, size=3):
        series = sp.series(expr.subs(t, t + sp.Float(a, 30)), t, 0, 8).removeO()
        reference = [float(series.coeff(t, k)) for k in range(8)]
        np.testing.assert_allclose(calculus.taylor_coefficients_closed_form(name, float(a), 7), reference,
                                   rtol=1e-12, atol=1e-13)


def test_classify_critical_point_reads_the_inertia_of_a_known_spectrum():
    rng = np.random.default_rng(11)
    expected = {(3, 0, 0): "minimum", (0, 3, 0): "maximum", (2, 1, 0): "saddle", (1, 1, 1): "saddle",
                (2, 0, 1): "inconclusive", (0, 1, 2): "inconclusive"}
    for counts, kind in expected.items():
        U, _ = np.linalg.qr(rng.standard_normal((3, 3)))
        spectrum = np.r_[rng.uniform(0.5, 3, counts[0]), -rng.uniform(0.5, 3, counts[1]), np.zeros(counts[2])]
        cp = calculus.classify_critical_point((U * spectrum) @ U.T)
        assert cp.kind == kind and cp.inertia == counts


def test_dense_tanh_and_its_vjp_match_scipy_jacobians():
    from scipy.differentiate import jacobian
    rng = np.random.default_rng(13)
    m, n = 4, 3
    W, b, x, u = rng.standard_normal((m, n)), rng.standard_normal(m), rng.standard_normal(n), rng.standard_normal(m)
    X = rng.standard_normal((n, 6))
    np.testing.assert_allclose(calculus.dense_tanh(W, b, X), np.tanh(W @ X + b[:, None]), rtol=1e-14)
    vjp = calculus.dense_tanh_vjp(W, b, x, u)
    J_x = jacobian(lambda v: np.tanh(np.einsum("ij,j...->i...", W, v) + b.reshape(-1, *[1] * (v.ndim - 1))), x).df
    J_W = jacobian(lambda w: np.tanh(np.einsum("ij...,j->i...", w.reshape(m, n, *w.shape[1:]), x)
                                     + b.reshape(-1, *[1] * (w.ndim - 1))), W.ravel()).df
    J_b = jacobian(lambda c: np.tanh((W @ x).reshape(-1, *[1] * (c.ndim - 1)) + c), b).df
    np.testing.assert_allclose(vjp.dx, u @ J_x, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(vjp.dW, (u @ J_W).reshape(m, n), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(vjp.db, u @ J_b, rtol=1e-9, atol=1e-12)


def test_two_layer_loss_matches_sklearn_and_gradients_match_finite_differences():
    from scipy.optimize import approx_fprime
    from scipy.special import softmax
    from sklearn.metrics import log_loss
    rng = np.random.default_rng(14)
    X, labels = rng.standard_normal((20, 3)), rng.integers(0, 4, 20)
    Y = np.eye(4)[labels]
    W1, W2 = rng.standard_normal((5, 3)), rng.standard_normal((4, 5))
    out = calculus.two_layer_loss_and_grads(W1, W2, X, Y)
    assert out.loss == pytest.approx(log_loss(labels, softmax(np.tanh(X @ W1.T) @ W2.T, axis=1), labels=range(4)),
                                     rel=1e-12)
    def loss_of(w1, w2):
        return log_loss(labels, softmax(np.tanh(X @ w1.T) @ w2.T, axis=1), labels=range(4))
    g1 = approx_fprime(W1.ravel(), lambda w: loss_of(w.reshape(W1.shape), W2), 1e-7).reshape(W1.shape)
    g2 = approx_fprime(W2.ravel(), lambda w: loss_of(W1, w.reshape(W2.shape)), 1e-7).reshape(W2.shape)
    np.testing.assert_allclose(out.dW1, g1, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(out.dW2, g2, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("call,match", [
    (lambda: calculus.central_difference(np.sin, [0.0], h=0.0), "h must be > 0"),
    (lambda: calculus.central_difference(np.sum, [0.0, 1.0]), "f must act elementwise"),
    (lambda: calculus.central_difference("sin", [0.0]), "f must be callable"),
    (lambda: calculus.horner([], [0.0]), "coeffs must not be empty"),
    (lambda: calculus.taylor_coefficients_closed_form("cos", 0.0, 3), "name must be one of"),
    (lambda: calculus.taylor_coefficients_closed_form("log1p", -1.0, 3), "the expansion point a = -1.0"),
    (lambda: calculus.taylor_coefficients_closed_form("exp", 0.0, -1), "order must be >= 0"),
    (lambda: calculus.classify_critical_point([[1.0, 2.0], [0.0, 1.0]]), "H must be symmetric"),
    (lambda: calculus.classify_critical_point(np.ones((2, 3))), "H must be a non-empty square"),
    (lambda: calculus.dense_tanh(np.ones((2, 3)), np.ones(3), np.ones(3)), "b must have shape"),
    (lambda: calculus.dense_tanh(np.ones((2, 3)), np.ones(2), np.ones(2)), "x must have shape"),
    (lambda: calculus.dense_tanh_vjp(np.ones((2, 3)), np.ones(2), np.ones(3), np.ones(3)), "u must have shape"),
    (lambda: calculus.two_layer_loss_and_grads(np.ones((5, 3)), np.ones((4, 5)), np.ones((2, 3)), np.ones((2, 3))),
     "shapes do not chain"),
])
def test_new_helpers_validate_their_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()

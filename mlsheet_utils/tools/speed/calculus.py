"""Calculus, optimisation and convexity against SciPy and NumPy: derivatives, Taylor polynomials, QPs, norms."""

import numpy as np
from scipy.differentiate import derivative as scipy_derivative
from scipy.differentiate import hessian as scipy_hessian
from scipy.differentiate import jacobian as scipy_jacobian
from scipy.interpolate import approximate_taylor_polynomial
from scipy.optimize import LinearConstraint, minimize, rosen
from scipy.special import logsumexp as scipy_logsumexp

from mlsheet_utils.algorithms import calculus, convexity, optim
from mlsheet_utils.tools.speed import SpeedPair


def _layer_args(n):
    g = np.random.default_rng(n)
    return g.standard_normal((n, n)) / np.sqrt(n), g.standard_normal(n)


def _rosen_point(n):
    return (np.random.default_rng(n).uniform(-1, 1, n),)


def _offsets(n):
    return (np.linspace(-0.05, 0.05, n),)


def _grid(n):
    return (np.linspace(-3, 3, n),)


def _eq_qp(n):
    r = np.random.default_rng(n)
    M = r.standard_normal((n, n))
    m = max(n // 2, 1)
    return M @ M.T + n * np.eye(n), r.standard_normal(n), r.standard_normal((m, n)), r.standard_normal(m)


def _eq_qp_slsqp(Q, c, A, b):
    return minimize(lambda z: 0.5 * z @ Q @ z + c @ z, np.zeros(len(c)), jac=lambda z: Q @ z + c,
                    method="SLSQP", constraints=[LinearConstraint(A, b, b)], options={"ftol": 1e-12}).x


def _spiked(n):
    r = np.random.default_rng(n)                     # noise plus a rank-one spike: a clear spectral gap
    return (r.standard_normal((n, n)) / np.sqrt(n) + 3 * np.outer(r.standard_normal(n), r.standard_normal(n)) / n,)


def _scores(n):
    return (np.random.default_rng(n).normal(0, 5, (n, 64)),)


PAIRS = [
    SpeedPair("2.6", "Jacobian of tanh(Wx) by central differences vs scipy.differentiate.jacobian",
              lambda W, x: calculus.numerical_jacobian(lambda X: np.tanh(X @ W.T), x, vectorized=True),
              lambda W, x: scipy_jacobian(lambda X: np.tanh(np.einsum("ij,j...->i...", W, X)), x).df,
              _layer_args, small=3, large=200),
    SpeedPair("2.7", "Rosenbrock Hessian by second differences vs scipy.differentiate.hessian",
              lambda q: calculus.numerical_hessian(lambda P: rosen(P.T), q, vectorized=True),
              lambda q: scipy_hessian(rosen, q).ddf,
              _rosen_point, small=4, large=30),
    SpeedPair("2.8", "degree-4 Taylor polynomial of exp on a grid vs scipy approximate_taylor_polynomial",
              lambda t: calculus.horner(calculus.taylor_coefficients_closed_form("exp", 0.3, 4), t),
              lambda t: approximate_taylor_polynomial(np.exp, 0.3, 4, scale=0.1, order=10)(t),
              _offsets, small=7, large=1_000_000),
    SpeedPair("2.10", "central difference of sin(x^2) vs scipy.differentiate.derivative",
              lambda t: calculus.central_difference(lambda s: np.sin(s ** 2), t),
              lambda t: scipy_derivative(lambda s: np.sin(s ** 2), t).df,
              _grid, small=41, large=200_000),
    SpeedPair("2.11", "equality-constrained QP (KKT solve) vs scipy SLSQP",
              lambda *args: optim.solve_eq_qp(*args).x, _eq_qp_slsqp, _eq_qp, small=2, large=60),
    SpeedPair("2.12", "spectral norm (power iteration, 100 steps) vs numpy.linalg.norm(W, 2)",
              lambda W: optim.spectral_norm(W), lambda W: np.linalg.norm(W, 2), _spiked, small=30, large=600),
    SpeedPair("2.13", "log-sum-exp (max shift) vs scipy.special.logsumexp",
              lambda A: convexity.logsumexp(A, axis=1), lambda A: scipy_logsumexp(A, axis=1),
              _scores, small=50, large=50_000),
]

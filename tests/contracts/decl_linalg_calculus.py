"""Declarations: ``algorithms.linalg``, ``algorithms.calculus`` and ``algorithms.optim``."""

from __future__ import annotations

import numpy as np
import sympy as sp

from mlsheet_utils.algorithms import calculus as C
from mlsheet_utils.algorithms import linalg as L
from mlsheet_utils.algorithms import optim as O
from tests.contracts.kinds import (
    SPD,
    Array,
    Choice,
    Fixed,
    Flag,
    Func,
    Int,
    Layers,
    Optional,
    Positive,
    Real,
    Rng,
    Stochastic,
    Symmetric,
)
from tests.contracts.registry import declare, not_square, ordered

COVERS = ("mlsheet_utils.algorithms.linalg", "mlsheet_utils.algorithms.calculus", "mlsheet_utils.algorithms.optim")
# records: results the functions return (no reader builds one)
RECORDS = (L.PowerIterationResult, L.SVDResult, L.Summary2x2, L.LinearGrads, C.CriticalPoint, C.DenseVJP,
           C.TwoLayerGrads, O.QPResult, O.PenaltyResult)


def tall_and_well_conditioned(arg: str, limit: float = 1e6):
    """``where=``: ``arg`` has at least as many rows as columns and full column rank (condition number < limit)."""
    def where(a):
        A = a[arg]
        return A.shape[0] >= A.shape[1] and np.linalg.cond(A) < limit
    return where


MATRIX = Array(("m", "n"))
SMALL_TOL = Positive(draw=(1e-12, 1e-6))

# =============================================== linalg ====================================================
declare(L.gram_schmidt, A=MATRIX, classical=Flag(), rtol=Real(0.0, 1.0, low_open=True, high_open=True,
                                                                 draw=(1e-14, 1e-8)),
        where=tall_and_well_conditioned("A"))
declare(L.lstsq_qr, A=MATRIX, b=Array(("m",)), where=tall_and_well_conditioned("A"))
# a 0x0 matrix has determinant 1 (documented): empty is valid
declare(L.det_gauss, A=Array(("n", "n"), empty_ok=True), relations=[not_square("A")])
declare(L.slogdet_gauss, A=Array(("n", "n"), empty_ok=True), relations=[not_square("A")],
        finite=False)                                    # a singular matrix: logabsdet = -inf (documented)
# a matrix with no entries has no singular values and rank 0: empty is valid
declare(L.rank_tolerance, s=Array(("k",), low=0.0, empty_ok=True),
        shape=Fixed(lambda dims: (5, 5), wrong=[("None", None), ("a string", "seven"), ("one entry", (3,)),
                                                ("three entries", (3, 4, 5)), ("a negative size", (3, -1)),
                                                ("a fractional size", (2.5, 3))]))
declare(L.matrix_rank, A=Array(("m", "n"), empty_ok=True), tol=Optional(Real(0.0)))
declare(L.rank_gauss, A=Array(("m", "n"), empty_ok=True), rtol=Optional(Real(0.0)))
declare(L.power_iteration, A=Array(("n", "n")), x0=Optional(Array(("n",))), max_iter=Int(1, None, draw=(1, 100)),
        tol=Positive(), rng=Rng(), relations=[not_square("A"), ("x0", "the zero vector", lambda a: np.zeros(
            a["A"].shape[0]))],
        where=lambda a: a["x0"] is None or np.linalg.norm(a["x0"]) > 0)
declare(L.top_eigh, A=Symmetric("n", separated=True), k=Int(1, lambda dims: dims["n"]), tol=SMALL_TOL,
        max_iter=Int(1, None, draw=(5000, 10000)), rng=Rng())
declare(L.svd_via_eigh, A=MATRIX, where=tall_and_well_conditioned("A", 1e4))
declare(L.truncated_svd, A=MATRIX, k=Int(0, lambda dims: min(dims["m"], dims["n"])))
declare(L.low_rank_approx, A=MATRIX, k=Int(0, lambda dims: min(dims["m"], dims["n"])))
declare(L.describe_2x2, A=Array((2, 2)), relations=[("A", "3x3", lambda a: np.eye(3))])
# (..., 3) broadcast against each other: a batch of 1 broadcasts, so a disagreeing batch starts at 2
declare(L.cross, a=Array(("p", 3)), b=Array(("p", 3)), dims={"p": (2, 5)})
declare(L.cosine_similarity, A=Array(("p", "d")), B=Array(("q", "d")),
        where=lambda a: np.all(np.linalg.norm(a["A"], axis=1) > 0) and np.all(np.linalg.norm(a["B"], axis=1) > 0),
        relations=[("A", "a zero row", lambda a: np.zeros_like(a["A"])),
                   ("B", "a zero row", lambda a: np.zeros_like(a["B"]))])
declare(L.linear_forward, X=Array(("N", "n")), W=Array(("m", "n")), b=Array(("m",)))
declare(L.linear_backward, X=Array(("N", "n")), W=Array(("m", "n")), G=Array(("N", "m")))
declare(L.matmul_loops, X=Array(("N", "n")), W=Array(("m", "n")))


# =============================================== calculus ==================================================
def _vector_f(x):
    """A smooth map R^n -> R^2, finite everywhere."""
    return np.array([np.sin(x).sum(), np.tanh(x).prod()])


def _scalar_f(x):
    """A smooth scalar function, finite everywhere (also on a batch of points, one per row)."""
    x = np.asarray(x, dtype=float)
    return np.sin(x).sum(axis=-1) + 0.1 * (x ** 2).sum(axis=-1)


def _scalar_grad(x):
    return np.cos(x) + 0.2 * np.asarray(x, dtype=float)


STEP = Positive(draw=(1e-6, 1e-2))
SCALAR_F = Func(lambda dims: _scalar_f)
ANY_SHAPE_F = Func(lambda dims: lambda x: float(np.sum(np.sin(x))))
EXPR = Fixed(lambda dims: sp.sin(sp.Symbol("x")) + sp.exp(sp.Symbol("x") / 2),
             wrong=[("None", None), ("a string", "seven"), ("a NaN derivative", [float("nan")] * 10),
                    ("derivatives that are not numbers", ["x"] * 10)])
ORDER = Int(0, None, draw=(0, 6))
TOO_FEW = ("f", "too few derivatives for order", lambda a: [1.0] * a["order"])

declare(C.numerical_jacobian, f=Func(lambda dims: _vector_f), x=Array(("n",)), eps=STEP)
declare(C.gradient, f=ANY_SHAPE_F, x=Array(("n",), any_shape=True), eps=STEP)
declare(C.numerical_gradient, f=ANY_SHAPE_F, x=Array(("n",), any_shape=True), eps=STEP)
declare(C.jvp, f=Func(lambda dims: _vector_f), x=Array(("n",)), v=Array(("n",)), eps=STEP)
declare(C.numerical_hessian, f=SCALAR_F, x=Array(("n",)), eps=Positive(draw=(1e-4, 1e-2)), vectorized=Flag())
declare(C.hvp, grad=Func(lambda dims: _scalar_grad), x=Array(("n",)), v=Array(("n",)), eps=STEP)
declare(C.taylor_coefficients, f=EXPR, a=Real(), order=ORDER, relations=[TOO_FEW])
declare(C.taylor_polynomial, f=EXPR, a=Real(width=2.0), order=ORDER, x=Array(("m",), any_shape=True),
        relations=[TOO_FEW])
declare(C.central_difference, f=Func(lambda dims: np.sin), x=Array(("n",), any_shape=True), h=STEP)
declare(C.horner, coeffs=Array(("K",)), t=Array(("m",), any_shape=True))
# a > -1 for log1p (documented); order <= 8 keeps (1 + a)^-k finite right above the pole
declare(C.taylor_coefficients_closed_form, name=Choice(("sin", "exp", "log1p", "sigmoid")), a=Real(),
        order=Int(0, None, draw=(0, 8)), where=lambda a: a["name"] != "log1p" or a["a"] > -1)
declare(C.classify_critical_point, H=Symmetric("n"), tol=Real(0.0, draw=(0.0, 1e-6)))
# x: (n,) or (n, k, ...), a batch along trailing axes: an extra axis is not wrong
declare(C.dense_tanh, W=Array(("m", "n")), b=Array(("m",)), x=Array(("n",), any_shape=True))
declare(C.dense_tanh_vjp, W=Array(("m", "n")), b=Array(("m",)), x=Array(("n",)), u=Array(("m",)))
declare(C.two_layer_loss_and_grads, W1=Array(("h", "d")), W2=Array(("k", "h")), X=Array(("N", "d")),
        Y=Stochastic(("N", "k")))


# =============================================== optim =====================================================
def _cosh_grad(x):
    return np.sinh(x)


def _cosh_hess(x):
    return np.diag(np.cosh(x))


def _well_conditioned(a):
    K = a["H"] + a["damping"] * np.eye(a["g"].size)
    return np.linalg.cond(K) < 1e8


def _full_row_rank(a):
    A = a["A"]
    return A.shape[0] < A.shape[1] and np.linalg.svd(A, compute_uv=False).min() > 0.1


declare(O.newton_step, g=Array(("n",)), H=Array(("n", "n")), damping=Real(0.0), where=_well_conditioned,
        relations=[not_square("H")])
declare(O.newton_minimize, grad=Func(lambda dims: _cosh_grad), hess=Func(lambda dims: _cosh_hess),
        x0=Array(("n",)), steps=Int(1, None, draw=(1, 20)), tol=Positive())
# iterates may grow without bound for a large step: draws of step and n_iter keep them finite
declare(O.gradient_descent_quadratic, A=Symmetric("n"), x0=Array(("n",)), step=Positive(draw=(1e-3, 1.0)),
        n_iter=Int(0, None, draw=(0, 30)), b=Optional(Array(("n",))))
# Q positive definite on the null space of A: with m < n (m = n leaves no null space, and any Q is valid)
declare(O.solve_eq_qp, Q=SPD("n"), c=Array(("n",)), A=Array(("m", "n")), b=Array(("m",)), where=_full_row_rank)
# h >= 0 keeps x = 0 feasible (an empty feasible set is an error, documented)
declare(O.solve_ineq_qp, Q=SPD("n"), c=Array(("n",)), G=Array(("m", "n")), h=Array(("m",), draw=(0.0, 5.0)),
        tol=Positive(draw=(1e-10, 1e-6)))
declare(O.quadratic_penalty_qp, Q=SPD("n"), c=Array(("n",)), a=Array(("n",)), beta=Real(), rho=Positive())
# low/high may be -inf/+inf (an unbounded side); valid draws keep low <= high. A bound of size 1 broadcasts, so
# a disagreeing size starts at n = 2
declare(O.project_box, x=Array(("n",), any_shape=True), low=Array(("n",), allow_inf=True, draw=(-5.0, 0.0)),
        high=Array(("n",), allow_inf=True, draw=(0.0, 5.0)), dims={"n": (2, 5)},
        relations=[("low", "above high", lambda a: a["high"] + 1.0)])
declare(O.project_halfspace, x=Array(("k", "n")), a=Array(("n",)), beta=Real(), where=lambda a: a["a"] @ a["a"] > 0,
        relations=[("a", "the zero vector", lambda a: np.zeros_like(a["a"]))])
declare(O.projected_gradient, grad=Func(lambda dims: lambda x: x),
        project=Func(lambda dims: lambda x: np.clip(x, -1, 1)),
        x0=Array(("n",)), step=Positive(), n_iter=Int(1, None, draw=(1, 50)))
declare(O.empirical_lipschitz, f=Func(lambda dims: lambda X: np.sin(X).sum(axis=1)), low=Real(), high=Real(),
        dim=Int(1, None, draw=(1, 4)), n_pairs=Int(2, None, draw=(2, 200)),
        local_scale=Real(0.0, 1.0, low_open=True), rng=Rng(),
        where=lambda a: a["high"] - a["low"] > 1e-3, relations=ordered("low", "high"))
declare(O.spectral_norm, W=Array(("p", "n")), n_iter=Int(1, None, draw=(1, 100)), rng=Rng())
declare(O.lipschitz_bound_mlp, weights=Layers(3), activation_lipschitz=Real(0.0), n_iter=Int(1, None, draw=(1, 50)))
declare(O.tanh_mlp_output, X=Array(("N", "d")), weights=Layers("d", outputs=1))
declare(O.tanh_mlp_input_gradients, X=Array(("N", "d")), weights=Layers("d", outputs=1))

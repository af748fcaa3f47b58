r"""Optimisation: unconstrained steps, constrained quadratic programs, projections and Lipschitz constants.

Unconstrained:

- :func:`newton_step` and :func:`newton_minimize`: (damped) Newton steps from a gradient and a Hessian;
- :func:`gradient_descent_quadratic`: gradient descent on ``1/2 x^T A x - b^T x``, the model problem for step
  sizes.

Constrained:

- :func:`solve_eq_qp` solves ``min 1/2 x^T Q x + c^T x  s.t.  A x = b`` through its KKT linear system;
- :func:`solve_ineq_qp` solves a small strictly convex QP with inequality constraints ``G x <= h`` exactly,
  by enumerating active sets and keeping the one that satisfies all KKT conditions;
- :func:`quadratic_penalty_qp` replaces one constraint ``a^T x <= beta`` by a quadratic penalty, whose
  minimiser tends to the constrained one (and ``rho * violation`` to its multiplier) as ``rho`` grows;
- :func:`project_box`, :func:`project_halfspace` and :func:`projected_gradient` give the iterative
  alternative for simple feasible sets.

Lipschitz constants:

- :func:`empirical_lipschitz` is a sampled lower bound on a Lipschitz constant, :func:`spectral_norm` and
  :func:`lipschitz_bound_mlp` the matching upper bounds for linear maps and stacks of layers;
- :func:`tanh_mlp_output` and :func:`tanh_mlp_input_gradients` evaluate a scalar tanh network and its input
  gradients (whose largest norm is the network's local Lipschitz constant).

Sign convention (used everywhere here): the Lagrangian is

.. math:: \mathcal{L}(x, \nu, \mu) = f(x) + \nu^\top (A x - b) + \mu^\top (G x - h),
          \qquad \mu \ge 0,

so at a solution :math:`\nabla f(x) + A^\top \nu + G^\top \mu = 0` and :math:`\mu_i (G x - h)_i = 0`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from mlsheet_utils.validation import as_array, check_callable, check_float, check_int, check_random_state

__all__ = ["newton_step", "newton_minimize", "gradient_descent_quadratic", "QPResult", "solve_eq_qp",
           "solve_ineq_qp", "PenaltyResult", "quadratic_penalty_qp", "project_box", "project_halfspace",
           "projected_gradient", "empirical_lipschitz", "spectral_norm", "lipschitz_bound_mlp", "tanh_mlp_output",
           "tanh_mlp_input_gradients"]


# -- unconstrained steps -----------------------------------------------------------------------------------

def _newton_step(g: np.ndarray, H: np.ndarray, damping: float) -> np.ndarray:
    K = H + damping * np.eye(g.size)
    if not np.all(np.isfinite(K)) or np.linalg.cond(K) > 1e12:
        raise ValueError("H + damping I is (nearly) singular: the Newton step is undefined; add damping.")
    return -np.linalg.solve(K, g)


def newton_step(g, H, *, damping: float = 0.0) -> np.ndarray:
    r"""The (damped) Newton step: the minimiser of the local quadratic model when it has one.

    Minimising :math:`m(h) = f(x) + g^\top h + \tfrac12 h^\top (H + \mu I) h` sets
    :math:`\nabla m = g + (H + \mu I) h = 0`:

    .. math:: h = -(H + \mu I)^{-1} g .

    With :math:`\mu = 0` this is Newton's step (a descent direction only when :math:`H \succ 0`); a large
    :math:`\mu` turns it into a short gradient step :math:`-g/\mu` (Levenberg-Marquardt damping).

    Parameters
    ----------
    g : array_like, shape (n,)
        The gradient.
    H : array_like, shape (n, n)
        The Hessian.
    damping : float >= 0
        :math:`\mu`.

    Returns
    -------
    numpy.ndarray, shape (n,)

    Raises
    ------
    ValueError
        On bad shapes or values, or when :math:`H + \mu I` is (nearly) singular.
    """
    g = as_array(g, "g", ndim=1)
    H = as_array(H, "H", ndim=2)
    if H.shape != (g.size, g.size):
        raise ValueError(f"H must have shape ({g.size}, {g.size}) to match g, got {H.shape}")
    damping = check_float(damping, "damping", low=0)
    return _newton_step(g, H, damping)


def newton_minimize(grad: Callable[[np.ndarray], np.ndarray], hess: Callable[[np.ndarray], np.ndarray], x0,
                    *, steps: int = 20, tol: float = 1e-12) -> np.ndarray:
    r"""Pure Newton iterations :math:`x_{k+1} = x_k - H(x_k)^{-1}\nabla f(x_k)`; returns the iterates.

    Near a minimiser with :math:`H \succ 0` the error squares at every step (quadratic convergence); far from
    it the step can go uphill or overshoot, since nothing here damps it.

    Parameters
    ----------
    grad : callable, (n,) -> (n,)
    hess : callable, (n,) -> (n, n)
    x0 : array_like, shape (n,)
    steps : int >= 1
        The most iterations.
    tol : float > 0
        Stop once :math:`\lVert\nabla f(x_k)\rVert <` ``tol``.

    Returns
    -------
    numpy.ndarray, shape (k + 1, n)
        ``x0`` and every iterate, ``k <= steps``.
    """
    if not (callable(grad) and callable(hess)):
        raise ValueError("grad and hess must be callable")
    x = as_array(x0, "x0", ndim=1)
    steps = check_int(steps, "steps", low=1)
    tol = check_float(tol, "tol", low=0, low_open=True)
    xs = [x]
    for _ in range(steps):
        g = np.asarray(grad(xs[-1]), dtype=float).reshape(-1)
        if np.linalg.norm(g) < tol:
            break
        xs.append(xs[-1] + _newton_step(g, np.asarray(hess(xs[-1]), dtype=float), 0.0))
    return np.array(xs)


def gradient_descent_quadratic(A, x0, step: float, n_iter: int, *, b=None) -> np.ndarray:
    r"""Gradient descent on :math:`f(x) = \tfrac12 x^\top A x - b^\top x`; returns every iterate.

    .. math:: x_{k+1} = x_k - \eta\,(A x_k - b) = (I - \eta A)\,x_k + \eta b,
              \qquad x_k - x^\star = (I - \eta A)^k (x_0 - x^\star),

    so along the eigenvector of :math:`\lambda_i` the error is multiplied by :math:`1 - \eta\lambda_i` at every
    step: the iterates converge for every start exactly when :math:`0 < \eta < 2/\lambda_{\max}` (for a positive
    definite :math:`A`, whose :math:`\lambda_{\max}` is the Lipschitz constant :math:`L` of the gradient).

    Parameters
    ----------
    A : array_like, shape (n, n), symmetric
    x0 : array_like, shape (n,)
    step : float > 0
        :math:`\eta`.
    n_iter : int >= 0
    b : array_like, shape (n,), optional
        Zero when omitted.

    Returns
    -------
    numpy.ndarray, shape (n_iter + 1, n)
        ``x0`` and the iterates (they may grow without bound when the step is too large).
    """
    A = as_array(A, "A", ndim=2)
    n = A.shape[0]
    if A.shape != (n, n) or n == 0:
        raise ValueError(f"A must be a non-empty square matrix, got shape {A.shape}")
    if not np.allclose(A, A.T, rtol=1e-10, atol=1e-12):
        raise ValueError("A must be symmetric (the gradient of 1/2 x^T A x is (A + A^T) x / 2)")
    x = as_array(x0, "x0", ndim=1)
    if x.shape != (n,):
        raise ValueError(f"x0 must have shape ({n},) to match A, got {x.shape}")
    step = check_float(step, "step", low=0, low_open=True)
    n_iter = check_int(n_iter, "n_iter", low=0)
    shift = np.zeros(n) if b is None else step * as_array(b, "b", ndim=1)
    if shift.shape != (n,):
        raise ValueError(f"b must have shape ({n},) to match A, got {shift.shape}")
    M = np.eye(n) - step * A
    path = np.empty((n_iter + 1, n))
    path[0] = x
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(n_iter):
            path[k + 1] = M @ path[k] + shift
    return path


# -- constrained quadratic programs -----------------------------------------------------------------------

@dataclass(frozen=True)
class QPResult:
    """Solution of a quadratic program.

    Attributes
    ----------
    x : ndarray, shape (n,)
        The minimiser.
    multipliers : ndarray, shape (m,)
        Lagrange multipliers of the constraints, in the sign convention of the module docstring
        (``nu`` for equalities, ``mu >= 0`` for inequalities).
    active : tuple of int
        Indices of the constraints that hold with equality (all of them for an equality QP).
    objective : float
        ``1/2 x^T Q x + c^T x`` at ``x``.
    """

    x: np.ndarray
    multipliers: np.ndarray
    active: tuple
    objective: float


def _check_qp(Q, c, name_A: str, A, name_b: str, b):
    """Validate ``Q`` (n, n) symmetric, ``c`` (n,), ``A`` (m, n), ``b`` (m,); return float arrays."""
    Q = as_array(Q, "Q", ndim=2)
    n = Q.shape[0]
    if Q.shape != (n, n):
        raise ValueError(f"Q must be square, got shape {Q.shape}")
    if not np.allclose(Q, Q.T, rtol=1e-10, atol=1e-12):
        raise ValueError("Q must be symmetric (the quadratic form only sees (Q + Q^T)/2)")
    c = as_array(c, "c", ndim=1)
    if c.shape != (n,):
        raise ValueError(f"c must have shape ({n},) to match Q, got {c.shape}")
    A = as_array(A, name_A, ndim=2)
    if A.shape[1] != n:
        raise ValueError(f"{name_A} must have {n} columns to match Q, got shape {A.shape}")
    b = as_array(b, name_b, ndim=1)
    if b.shape != (A.shape[0],):
        raise ValueError(f"{name_b} must have shape ({A.shape[0]},) to match {name_A}, got {b.shape}")
    return Q, c, A, b


def _objective(Q, c, x) -> float:
    return float(0.5 * x @ Q @ x + c @ x)


def _kkt_solve(Q, c, A, b):
    """Solve ``[[Q, A^T], [A, 0]] [x; nu] = [-c; b]``; return (x, nu) or None when singular."""
    n, m = Q.shape[0], A.shape[0]
    K = np.block([[Q, A.T], [A, np.zeros((m, m))]])
    rhs = np.concatenate([-c, b])
    try:
        sol = np.linalg.solve(K, rhs)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(sol)) or np.linalg.cond(K) > 1e12:
        return None
    return sol[:n], sol[n:]


def solve_eq_qp(Q, c, A, b) -> QPResult:
    r"""Minimise ``1/2 x^T Q x + c^T x`` subject to ``A x = b`` by solving the KKT system.

    Stationarity of :math:`\mathcal{L} = \tfrac12 x^\top Q x + c^\top x + \nu^\top (A x - b)` and
    feasibility give one linear system,

    .. math::
        \begin{pmatrix} Q & A^\top \\ A & 0 \end{pmatrix}
        \begin{pmatrix} x \\ \nu \end{pmatrix} = \begin{pmatrix} -c \\ b \end{pmatrix}.

    It has a unique solution when ``A`` has full row rank and ``Q`` is positive definite on the null
    space of ``A``; the solution is then the minimiser. ``nu_i`` is the rate at which the optimal value
    *falls* as ``b_i`` grows: :math:`\partial p^\star / \partial b = -\nu`.

    Parameters
    ----------
    Q : array_like, shape (n, n), symmetric
    c : array_like, shape (n,)
    A : array_like, shape (m, n), full row rank, m <= n
    b : array_like, shape (m,)

    Returns
    -------
    QPResult
        ``x`` (n,), ``multipliers`` = ``nu`` (m,), ``active`` = all m constraints.

    Raises
    ------
    ValueError
        On bad shapes, NaN, a non-symmetric ``Q``, more constraints than unknowns, or a singular KKT
        matrix (dependent constraints, or ``Q`` not positive definite on the feasible directions).
    """
    Q, c, A, b = _check_qp(Q, c, "A", A, "b", b)
    n, m = Q.shape[0], A.shape[0]
    if m > n:
        raise ValueError(f"A has more rows ({m}) than unknowns ({n}); the constraints over-determine x")
    sol = _kkt_solve(Q, c, A, b)
    if sol is None:
        raise ValueError("the KKT matrix is singular: A must have full row rank and Q must be positive "
                         "definite on the null space of A")
    x, nu = sol
    Z = _null_space(A)
    if Z.shape[1] and np.linalg.eigvalsh(Z.T @ Q @ Z).min() <= 1e-12 * max(1.0, np.abs(Q).max()):
        raise ValueError("Q is not positive definite on the null space of A: the stationary point is "
                         "not a minimum")
    return QPResult(x, nu, tuple(range(m)), _objective(Q, c, x))


def _null_space(A: np.ndarray) -> np.ndarray:
    """Orthonormal basis (n, n - rank) of the null space of ``A`` (m, n) from the SVD."""
    n = A.shape[1]
    if A.shape[0] == 0:
        return np.eye(n)
    _, s, vt = np.linalg.svd(A)
    rank = int((s > 1e-12 * max(1.0, s.max())).sum())
    return vt[rank:].T


def solve_ineq_qp(Q, c, G, h, *, tol: float = 1e-9) -> QPResult:
    r"""Minimise ``1/2 x^T Q x + c^T x`` subject to ``G x <= h`` by enumerating active sets.

    For a strictly convex objective (``Q`` positive definite) the KKT conditions

    .. math::
        Q x + c + G^\top \mu = 0,\quad G x \le h,\quad \mu \ge 0,\quad \mu_i\,(G x - h)_i = 0

    are necessary and sufficient, and the minimiser is unique. For every subset ``S`` of at most ``n``
    constraints the function solves the equality QP with ``G_S x = h_S`` (``mu`` = 0 outside ``S``) and
    returns the first candidate that is primal feasible with ``mu_S >= 0``. The cost is
    :math:`O(2^m)` KKT solves, so this is a teaching solver for ``m <= 12`` constraints, not a
    production active-set method; it is exact, which makes it a good reference in small examples.

    Parameters
    ----------
    Q : array_like, shape (n, n), symmetric positive definite
    c : array_like, shape (n,)
    G : array_like, shape (m, n), 1 <= m <= 12
    h : array_like, shape (m,)
    tol : float > 0
        Tolerance on feasibility ``G x - h <= tol`` and on the sign ``mu >= -tol``.

    Returns
    -------
    QPResult
        ``multipliers`` = ``mu`` (m,), zero for inactive constraints (complementary slackness).

    Raises
    ------
    ValueError
        On bad shapes, NaN, ``Q`` not positive definite, too many constraints, or an empty feasible set.
    """
    Q, c, G, h = _check_qp(Q, c, "G", G, "h", h)
    tol = check_float(tol, "tol", low=0, low_open=True)
    n, m = Q.shape[0], G.shape[0]
    if not 1 <= m <= 12:
        raise ValueError(f"G must have between 1 and 12 rows for active-set enumeration, got {m}")
    if np.linalg.eigvalsh(Q).min() <= 1e-12 * max(1.0, np.abs(Q).max()):
        raise ValueError("Q must be positive definite (strictly convex objective)")
    scale = 1.0 + np.abs(h)
    for size in range(0, min(n, m) + 1):
        for S in itertools.combinations(range(m), size):
            S = list(S)
            sol = _kkt_solve(Q, c, G[S], h[S])
            if sol is None:
                continue
            x, mu_S = sol
            if np.all(G @ x - h <= tol * scale) and np.all(mu_S >= -tol):
                mu = np.zeros(m)
                mu[S] = np.maximum(mu_S, 0.0)
                active = tuple(int(i) for i in np.flatnonzero(np.abs(G @ x - h) <= tol * scale))
                return QPResult(x, mu, active, _objective(Q, c, x))
    raise ValueError("no feasible point: the constraints G x <= h cannot all hold")


@dataclass(frozen=True)
class PenaltyResult:
    """Minimiser of a penalised problem and the multiplier it estimates.

    Attributes
    ----------
    x : ndarray, shape (n,)
        The minimiser of the penalised objective (slightly infeasible when the constraint binds).
    multiplier : float
        ``rho * max(0, a^T x - beta)``, which tends to the KKT multiplier as ``rho`` grows.
    """

    x: np.ndarray
    multiplier: float


def quadratic_penalty_qp(Q, c, a, beta, rho) -> PenaltyResult:
    r"""Minimise :math:`\tfrac12 x^\top Q x + c^\top x + \tfrac\rho2 \max(0,\ a^\top x - \beta)^2` exactly.

    The penalty is zero on the feasible side, so if the unconstrained minimiser :math:`x_0 = -Q^{-1}c` is feasible
    it is the answer. Otherwise the penalty is active and stationarity reads
    :math:`Qx + c + \rho\,(a^\top x - \beta)\,a = 0`, the linear system

    .. math:: (Q + \rho\,a a^\top)\,x = -c + \rho\,\beta\,a .

    Comparing with the KKT condition :math:`Qx + c + \mu a = 0` shows that
    :math:`\hat\mu = \rho\,(a^\top x - \beta)` estimates the multiplier; the violation shrinks like
    :math:`1/\rho`.

    Parameters
    ----------
    Q : array_like, shape (n, n), symmetric positive definite
    c : array_like, shape (n,)
    a : array_like, shape (n,)
    beta : float
    rho : float > 0
        The penalty weight.

    Returns
    -------
    PenaltyResult
        ``x`` (n,) and the multiplier estimate.
    """
    Q, c, A, h = _check_qp(Q, c, "a", np.atleast_2d(as_array(a, "a", ndim=1)), "beta",
                           [check_float(beta, "beta")])
    rho = check_float(rho, "rho", low=0, low_open=True)
    if np.linalg.eigvalsh(Q).min() <= 1e-12 * max(1.0, np.abs(Q).max()):
        raise ValueError("Q must be positive definite (strictly convex objective)")
    a, beta = A[0], float(h[0])
    x = np.linalg.solve(Q, -c)
    if a @ x > beta:
        x = np.linalg.solve(Q + rho * np.outer(a, a), -c + rho * beta * a)
    return PenaltyResult(x, rho * max(0.0, float(a @ x - beta)))


def project_box(x, low, high) -> np.ndarray:
    """Euclidean projection onto the box ``low <= x <= high`` (elementwise clip).

    Parameters
    ----------
    x : array_like, shape (..., n)
    low, high : array_like broadcastable to the shape of ``x``, ``low <= high``; ``-inf`` / ``inf`` leave a side
        unbounded
    """
    x = as_array(x, "x")
    low, high = as_array(low, "low", finite=False), as_array(high, "high", finite=False)
    if np.any(np.isnan(low)) or np.any(np.isnan(high)):
        raise ValueError("low and high must not contain NaN")
    for name, bound in (("low", low), ("high", high)):
        try:
            fits = np.broadcast_shapes(bound.shape, x.shape) == x.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{name} must broadcast to the shape of x {x.shape}, got shape {bound.shape}")
    if np.any(low > high):
        raise ValueError("low must be <= high in every coordinate")
    return np.clip(x, low, high)


def project_halfspace(x, a, beta) -> np.ndarray:
    r"""Euclidean projection onto the half-space ``{z : a^T z <= beta}``.

    .. math:: P(x) = x - \frac{\max(0,\ a^\top x - \beta)}{\lVert a\rVert^2}\, a

    Parameters
    ----------
    x : array_like, shape (n,) or (k, n)
    a : array_like, shape (n,), nonzero
    beta : float
    """
    x = as_array(x, "x")
    if x.ndim not in (1, 2):
        raise ValueError(f"x must have shape (n,) or (k, n), got shape {x.shape}")
    a = as_array(a, "a", ndim=1)
    if x.shape[-1] != a.shape[0]:
        raise ValueError(f"x has {x.shape[-1]} coordinates but a has {a.shape[0]}")
    if not a @ a > 0:                    # also catches a normal so small that ||a||^2 underflows to 0
        raise ValueError("a must be nonzero (a zero normal does not define a half-space)")
    beta = check_float(beta, "beta")
    excess = np.maximum(0.0, x @ a - beta)
    return x - np.multiply.outer(excess, a) / (a @ a)


def projected_gradient(grad: Callable[[np.ndarray], np.ndarray], project: Callable[[np.ndarray], np.ndarray],
                       x0, *, step: float, n_iter: int = 500) -> np.ndarray:
    """Projected gradient descent ``x <- P(x - step * grad(x))``; returns the path, shape (n_iter + 1, n).

    For an L-smooth convex objective and a closed convex set, ``step <= 1/L`` converges to the constrained
    minimiser (and the fixed point ``x = P(x - t grad f(x))`` is exactly the KKT condition).

    Parameters
    ----------
    grad : callable (n,) -> (n,)
    project : callable (n,) -> (n,), the Euclidean projection onto the feasible set
    x0 : array_like, shape (n,)
    step : float > 0
    n_iter : int >= 1
    """
    grad, project = check_callable(grad, "grad"), check_callable(project, "project")
    x = as_array(x0, "x0", ndim=1).copy()
    step = check_float(step, "step", low=0, low_open=True)
    n_iter = check_int(n_iter, "n_iter", low=1)
    path = np.empty((n_iter + 1, x.size))
    path[0] = x = project(x)
    for k in range(1, n_iter + 1):
        x = project(x - step * np.asarray(grad(x), dtype=float))
        path[k] = x
    return path


# -- Lipschitz constants -----------------------------------------------------------------------------------

def empirical_lipschitz(f: Callable[[np.ndarray], np.ndarray], low, high, *, dim: int = 1,
                        n_pairs: int = 2000, local_scale: float = 1e-3, rng=0) -> float:
    r"""Largest observed slope ``||f(x) - f(y)|| / ||x - y||`` over random pairs in a box: a LOWER bound on L.

    .. math:: \hat L = \max_{(x, y)} \frac{\lVert f(x) - f(y)\rVert_2}{\lVert x - y\rVert_2} \le L

    Half of the pairs are drawn uniformly in ``[low, high]^dim``; the other half are close pairs
    ``y = x + local_scale * (high - low) * u`` with ``u`` uniform on the unit sphere, which probe the local
    slope (the gradient norm). Sampling can only under-estimate ``L``.

    Parameters
    ----------
    f : callable, array (k, dim) -> array (k,) or (k, p), vectorised over rows
    low, high : float, ``low < high``
    dim : int >= 1
    n_pairs : int >= 2
    local_scale : float in (0, 1]
    rng : int or numpy.random.Generator

    Returns
    -------
    float
    """
    f = check_callable(f, "f")
    low, high = check_float(low, "low"), check_float(high, "high")
    if not low < high:
        raise ValueError(f"low must be < high, got low={low}, high={high}")
    dim = check_int(dim, "dim", low=1)
    n_pairs = check_int(n_pairs, "n_pairs", low=2)
    local_scale = check_float(local_scale, "local_scale", low=0, high=1, low_open=True)
    rng = check_random_state(rng)
    k_far = n_pairs // 2
    k_near = n_pairs - k_far
    x = rng.uniform(low, high, (n_pairs, dim))
    y = np.empty_like(x)
    y[:k_far] = rng.uniform(low, high, (k_far, dim))
    u = rng.standard_normal((k_near, dim))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    y[k_far:] = x[k_far:] + local_scale * (high - low) * u
    fx, fy = np.asarray(f(x), dtype=float), np.asarray(f(y), dtype=float)
    if fx.shape[0] != n_pairs or fx.shape != fy.shape:
        raise ValueError(f"f must map an array of shape ({n_pairs}, {dim}) to one with {n_pairs} rows, "
                         f"got {fx.shape}")
    num = np.linalg.norm(fx.reshape(n_pairs, -1) - fy.reshape(n_pairs, -1), axis=1)
    den = np.linalg.norm(x - y, axis=1)
    keep = den > 0
    return float(np.max(num[keep] / den[keep]))


def spectral_norm(W, *, n_iter: int = 100, rng=0) -> float:
    r"""Largest singular value of ``W`` by power iteration on ``W^T W``: the Lipschitz constant of ``W x``.

    .. math:: \lVert W\rVert_2 = \max_{v \ne 0} \frac{\lVert W v\rVert_2}{\lVert v\rVert_2}
              = \sigma_{\max}(W), \qquad v \leftarrow \frac{W^\top W v}{\lVert W^\top W v\rVert}

    Converges at the rate :math:`(\sigma_2/\sigma_1)^{2k}`; spectral normalisation in GANs runs one step
    per training iteration and reuses ``v``.

    Parameters
    ----------
    W : array_like, shape (p, n)
    n_iter : int >= 1
    rng : int or numpy.random.Generator (start vector)
    """
    W = as_array(W, "W", ndim=2)
    if W.size == 0:
        raise ValueError(f"W must not be empty, got shape {W.shape}")
    n_iter = check_int(n_iter, "n_iter", low=1)
    v = check_random_state(rng).standard_normal(W.shape[1])
    v /= np.linalg.norm(v)
    sigma = 0.0
    for _ in range(n_iter):
        w = W @ v
        sigma = float(np.linalg.norm(w))
        if sigma == 0.0:
            return 0.0
        v = W.T @ w
        v /= np.linalg.norm(v)
    return float(np.linalg.norm(W @ v))


def lipschitz_bound_mlp(weights: Sequence, *, activation_lipschitz: float = 1.0, n_iter: int = 100) -> float:
    r"""Upper bound on the Lipschitz constant of ``x -> W_k s(... s(W_1 x))``: the product of layer norms.

    .. math:: L \le \prod_{i=1}^{k} \lVert W_i\rVert_2 \cdot \mathrm{Lip}(s)^{k-1}

    Biases do not change the constant. The bound is usually loose: it assumes every layer's worst
    direction lines up with the next one's.

    Parameters
    ----------
    weights : sequence of array_like, shapes (n_1, n_0), (n_2, n_1), ... (consecutive shapes must chain)
    activation_lipschitz : float >= 0, e.g. 1 for ReLU and tanh, 1/4 for the sigmoid
    n_iter : int, power-iteration steps per layer
    """
    weights = _check_layers(weights)
    s = check_float(activation_lipschitz, "activation_lipschitz", low=0)
    bound = s ** (len(weights) - 1)
    for W in weights:
        bound *= spectral_norm(W, n_iter=n_iter)
    return float(bound)


def _check_layers(weights: Sequence) -> list[np.ndarray]:
    """Validate a stack of weight matrices (n_1, n_0), (n_2, n_1), ...; return them as float arrays."""
    if weights is None or isinstance(weights, (str, bytes)) or not hasattr(weights, "__iter__"):
        raise ValueError(f"weights must be a sequence of 2-D weight matrices, got {type(weights).__name__} "
                         f"{weights!r:.60}")
    weights = [as_array(W, f"weights[{i}]", ndim=2) for i, W in enumerate(weights)]
    if not weights:
        raise ValueError("weights must contain at least one matrix")
    for i in range(1, len(weights)):
        if weights[i].shape[1] != weights[i - 1].shape[0]:
            raise ValueError(f"weights[{i}] has {weights[i].shape[1]} columns but weights[{i - 1}] has "
                             f"{weights[i - 1].shape[0]} rows; the layers do not chain")
    return weights


def _check_scalar_mlp(X, weights):
    weights = _check_layers(weights)
    if weights[-1].shape[0] != 1:
        raise ValueError(f"weights[-1] (the last layer) must have one output row, got shape {weights[-1].shape}")
    X = as_array(X, "X", ndim=2)
    if X.shape[1] != weights[0].shape[1]:
        raise ValueError(f"X must have {weights[0].shape[1]} columns to match weights[0], got shape {X.shape}")
    return X, weights


def tanh_mlp_output(X, weights: Sequence) -> np.ndarray:
    r"""Scalar output of a tanh network without biases, one input per row.

    .. math:: h_0 = x,\qquad h_i = \tanh(W_i h_{i-1})\ (i < k),\qquad f(x) = W_k h_{k-1} .

    Parameters
    ----------
    X : array_like, shape (n, d)
    weights : sequence of array_like, shapes (n_1, d), (n_2, n_1), ..., (1, n_{k-1})

    Returns
    -------
    numpy.ndarray, shape (n,)
    """
    X, weights = _check_scalar_mlp(X, weights)
    H = X
    for W in weights[:-1]:
        H = np.tanh(H @ W.T)
    return (H @ weights[-1].T)[:, 0]


def tanh_mlp_input_gradients(X, weights: Sequence) -> np.ndarray:
    r"""Gradient of :func:`tanh_mlp_output` with respect to each input, by the chain rule (reverse mode).

    .. math:: \nabla_x f = W_1^\top D_1 W_2^\top D_2 \cdots W_{k-1}^\top D_{k-1} W_k^\top,
              \qquad D_i = \operatorname{diag}(1 - h_i^2),

    so :math:`\lVert\nabla_x f\rVert \le \prod_i \lVert W_i\rVert_2` (each :math:`\lVert D_i\rVert_2 \le 1`): the
    largest gradient norm over a convex set is the network's Lipschitz constant there.

    Parameters
    ----------
    X : array_like, shape (n, d)
    weights : sequence of array_like, as in :func:`tanh_mlp_output`

    Returns
    -------
    numpy.ndarray, shape (n, d)
        Row ``i`` is :math:`\nabla_x f(X_i)`.
    """
    X, weights = _check_scalar_mlp(X, weights)
    H, derivs = X, []
    for W in weights[:-1]:
        H = np.tanh(H @ W.T)
        derivs.append(1 - H ** 2)                                   # tanh' at each layer, (n, width)
    G = np.broadcast_to(weights[-1], (H.shape[0], weights[-1].shape[1]))
    for W, D in zip(weights[-2::-1], derivs[::-1]):
        G = (G * D) @ W
    return np.array(G)

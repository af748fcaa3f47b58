"""Numerical calculus for checking derivations: Jacobians, gradients, Hessians and Taylor polynomials.

Every derivative here is a *central* difference, whose truncation error is :math:`O(\\varepsilon^2)`:
halving the step divides the error by about four, until floating-point round-off (of order
:math:`u/\\varepsilon` for first derivatives and :math:`u/\\varepsilon^2` for second derivatives, with
:math:`u \\approx 2.2\\times10^{-16}`) takes over. The default steps balance the two terms:
:math:`\\varepsilon \\approx u^{1/3} \\approx 6\\times10^{-6}` for first derivatives and
:math:`\\varepsilon \\approx u^{1/4} \\approx 10^{-4}` for second derivatives.

The pages check these helpers
against SymPy and :mod:`scipy.differentiate`.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
import sympy as sp

from mlsheet_utils.validation import as_array, check_float, check_int

__all__ = ["numerical_jacobian", "gradient", "jvp", "numerical_hessian", "hvp",
           "taylor_coefficients", "taylor_polynomial"]


def _point(x) -> np.ndarray:
    """A finite 1-D float point (a scalar becomes shape (1,))."""
    x = as_array(x, "x")
    if x.ndim == 0:
        x = x.reshape(1)
    if x.ndim != 1:
        raise ValueError(f"x must be a scalar or 1-dimensional, got shape {x.shape}")
    if x.size == 0:
        raise ValueError("x must have at least one coordinate, got an empty array")
    return x


def _evaluate(f: Callable, points: np.ndarray, vectorized: bool, name: str = "f") -> np.ndarray:
    """f at each row of ``points`` (shape (k, n)) -> array of shape (k, *out_shape)."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):   # reported below as ValueError
        return _evaluate_raw(f, points, vectorized, name)


def _evaluate_raw(f: Callable, points: np.ndarray, vectorized: bool, name: str) -> np.ndarray:
    if vectorized:
        out = np.asarray(f(points), dtype=float)
        if out.ndim == 0 or out.shape[0] != points.shape[0]:
            raise ValueError(f"{name} was declared vectorized but returned shape {out.shape} for "
                             f"{points.shape[0]} points; it must return one row per point")
        return out
    return np.stack([np.asarray(f(p), dtype=float) for p in points])


def numerical_jacobian(f: Callable, x, *, eps: float = 1e-6, vectorized: bool = False) -> np.ndarray:
    """Jacobian of a vector function by central differences.

    .. math::

        J_{ij} = \\frac{\\partial f_i}{\\partial x_j}(x)
        \\approx \\frac{f_i(x + \\varepsilon e_j) - f_i(x - \\varepsilon e_j)}{2\\varepsilon},
        \\qquad \\text{error} = \\frac{\\varepsilon^2}{6}\\,\\partial_j^3 f_i(\\xi) = O(\\varepsilon^2).

    All :math:`2n` perturbed points are built at once as the rows of :math:`x \\pm \\varepsilon I`; with
    ``vectorized=True`` they go through ``f`` in a single call.

    Parameters
    ----------
    f : callable
        ``f(x)`` with ``x`` of shape ``(n,)`` returns a scalar or an array of shape ``(m,)``.
        If ``vectorized``, ``f(X)`` with ``X`` of shape ``(k, n)`` returns shape ``(k,)`` or ``(k, m)``.
    x : array_like, shape (n,) or scalar
        The point.
    eps : float > 0
        The step.
    vectorized : bool
        Whether ``f`` evaluates a batch of points (one per row).

    Returns
    -------
    numpy.ndarray, shape (m, n)
        ``J[i, j] = d f_i / d x_j``. A scalar ``f`` gives shape ``(n,)`` (its gradient).
    """
    eps = check_float(eps, "eps", low=0, low_open=True)
    x = _point(x)
    steps = eps * np.eye(x.size)
    points = np.concatenate([x + steps, x - steps])                    # (2n, n)
    values = _evaluate(f, points, vectorized)                          # (2n, *m)
    if not np.all(np.isfinite(values)):
        raise ValueError("f returned NaN or infinite values near x; is x inside f's domain?")
    diff = (values[: x.size] - values[x.size:]) / (2 * eps)            # (n, *m): row j is d f / d x_j
    return np.moveaxis(diff, 0, -1)                                    # (*m, n)


def gradient(f: Callable, x, *, eps: float = 1e-6) -> np.ndarray:
    """Gradient of a scalar function by central differences (wraps :func:`checks.numerical_gradient`).

    .. math:: \\nabla f(x)_i \\approx \\frac{f(x+\\varepsilon e_i) - f(x-\\varepsilon e_i)}{2\\varepsilon}
              + O(\\varepsilon^2)

    Parameters
    ----------
    f : callable, ``f(x) -> float`` for ``x`` shaped like the point
    x : array_like, any shape
    eps : float > 0

    Returns
    -------
    numpy.ndarray shaped like ``x``
    """
    if not callable(f):
        raise ValueError(f"f must be callable, got {type(f).__name__}")
    return numerical_gradient(f, x, eps=eps)


def jvp(f: Callable, x, v, *, eps: float = 1e-6) -> np.ndarray:
    """Jacobian-vector product :math:`J(x)\\,v` from two evaluations of ``f``, without forming :math:`J`.

    .. math:: J(x)\\,v \\approx \\frac{f(x + \\varepsilon v) - f(x - \\varepsilon v)}{2\\varepsilon}
              + O(\\varepsilon^2 \\lVert v \\rVert^3)

    Parameters
    ----------
    f : callable, ``(n,) -> (m,)`` or scalar
    x, v : array_like, shape (n,)
    eps : float > 0

    Returns
    -------
    numpy.ndarray, shape (m,) (a scalar array for scalar ``f``: the directional derivative)
    """
    eps = check_float(eps, "eps", low=0, low_open=True)
    x = _point(x)
    v = as_array(v, "v")
    if v.reshape(-1).shape != x.shape or v.ndim > 1:
        raise ValueError(f"v must have the shape of x, {x.shape}, got {v.shape}")
    v = v.reshape(-1)
    up = np.asarray(f(x + eps * v), dtype=float)
    down = np.asarray(f(x - eps * v), dtype=float)
    return (up - down) / (2 * eps)


def numerical_hessian(f: Callable, x, *, eps: float = 1e-4, grad: Callable | None = None,
                      vectorized: bool = False) -> np.ndarray:
    """Hessian of a scalar function by central differences.

    Without ``grad``, second differences of ``f`` (the mixed stencil also gives the diagonal):

    .. math::

        H_{ij} \\approx \\frac{f(x+\\varepsilon e_i+\\varepsilon e_j) - f(x+\\varepsilon e_i-\\varepsilon e_j)
        - f(x-\\varepsilon e_i+\\varepsilon e_j) + f(x-\\varepsilon e_i-\\varepsilon e_j)}{4\\varepsilon^2}
        + O(\\varepsilon^2),

    which costs :math:`4n^2` evaluations, has round-off of order :math:`u|f|/\\varepsilon^2`, and is symmetric
    by construction. With an analytic ``grad``, the Jacobian of the gradient by central differences
    (:math:`2n` gradient calls, round-off :math:`u/\\varepsilon`), symmetrised as :math:`(H + H^\\top)/2`.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for ``x`` of shape ``(n,)``; with ``vectorized``, ``f(X)`` for ``X`` of shape
        ``(k, n)`` returns shape ``(k,)``.
    x : array_like, shape (n,) or scalar
    eps : float > 0
        The step; ``1e-4`` balances truncation and round-off for second differences.
    grad : callable, optional
        ``grad(x) -> (n,)``, the gradient of ``f``. Used instead of ``f`` when given.
    vectorized : bool
        Whether ``f`` (or ``grad``) evaluates a batch of points, one per row.

    Returns
    -------
    numpy.ndarray, shape (n, n), symmetric
    """
    eps = check_float(eps, "eps", low=0, low_open=True)
    x = _point(x)
    n = x.size
    if grad is not None:
        if not callable(grad):
            raise ValueError(f"grad must be callable, got {type(grad).__name__}")
        H = numerical_jacobian(grad, x, eps=eps, vectorized=vectorized)
        if H.shape != (n, n):
            raise ValueError(f"grad must return shape ({n},), got a Jacobian of shape {H.shape}")
        return (H + H.T) / 2
    E = eps * np.eye(n)
    ei, ej = E[:, None, :], E[None, :, :]                              # (n, 1, n) and (1, n, n)
    points = np.concatenate([x + ei + ej, x + ei - ej, x - ei + ej, x - ei - ej]).reshape(4 * n * n, n)
    values = _evaluate(f, points, vectorized)
    if values.shape != (4 * n * n,):
        raise ValueError(f"f must return a scalar, got values of shape {values.shape[1:]}")
    if not np.all(np.isfinite(values)):
        raise ValueError("f returned NaN or infinite values near x; is x inside f's domain?")
    pp, pm, mp, mm = values.reshape(4, n, n)
    H = (pp - pm - mp + mm) / (4 * eps ** 2)
    return (H + H.T) / 2


def hvp(grad: Callable, x, v, *, eps: float = 1e-6) -> np.ndarray:
    """Hessian-vector product :math:`H(x)\\,v` from two gradient calls, by central differences.

    .. math::

        H(x)\\,v \\approx \\frac{\\nabla f(x+\\varepsilon v) - \\nabla f(x-\\varepsilon v)}{2\\varepsilon}
        + O(\\varepsilon^2)

    Costs two gradients, :math:`O(n)` memory, instead of the :math:`O(n^2)` Hessian.

    Parameters
    ----------
    grad : callable, ``(n,) -> (n,)``
    x, v : array_like, shape (n,)
    eps : float > 0

    Returns
    -------
    numpy.ndarray, shape (n,)
    """
    if not callable(grad):
        raise ValueError(f"grad must be callable, got {type(grad).__name__}")
    return jvp(grad, x, v, eps=eps)


def taylor_coefficients(f, a: float, order: int, *, symbol: sp.Symbol | None = None) -> np.ndarray:
    """The coefficients :math:`c_k = f^{(k)}(a)/k!`, :math:`k = 0, \\dots, K`, of the Taylor polynomial.

    Parameters
    ----------
    f : sympy expression, or sequence of numbers / callables
        A SymPy expression in one variable (its derivatives are taken symbolically), or the derivatives
        themselves: ``f[k]`` is :math:`f^{(k)}` as a callable (evaluated at ``a``) or as the number
        :math:`f^{(k)}(a)`.
    a : float
        The expansion point.
    order : int >= 0
        The degree :math:`K`.
    symbol : sympy.Symbol, optional
        The variable of a SymPy expression (needed only when it has more than one free symbol).

    Returns
    -------
    numpy.ndarray, shape (order + 1,)
    """
    a = check_float(a, "a")
    order = check_int(order, "order", low=0)
    if isinstance(f, sp.Basic):
        free = sorted(f.free_symbols, key=str)
        if symbol is None:
            if len(free) > 1:
                raise ValueError(f"f has several free symbols {free}; pass symbol=")
            symbol = free[0] if free else sp.Symbol("x")
        derivs, d = [], f
        for _ in range(order + 1):
            value = d.subs(symbol, a).evalf()
            derivs.append(float(value) if value.is_real and value.is_finite else np.nan)
            d = sp.diff(d, symbol)
    elif isinstance(f, Sequence) and not isinstance(f, str):
        if len(f) < order + 1:
            raise ValueError(f"f holds {len(f)} derivatives; order {order} needs {order + 1}")
        derivs = [float(g(a)) if callable(g) else float(g) for g in f[: order + 1]]
    else:
        raise ValueError(f"f must be a SymPy expression or a sequence of derivatives, got {type(f).__name__}")
    if not np.all(np.isfinite(derivs)):
        raise ValueError(f"a derivative of f is not finite at a={a}; is a inside f's domain?")
    return np.array([dk / math.factorial(k) for k, dk in enumerate(derivs)])


def taylor_polynomial(f, a: float, order: int, x, *, symbol: sp.Symbol | None = None) -> np.ndarray:
    """Evaluate the degree-``order`` Taylor polynomial of ``f`` about ``a`` on the points ``x``.

    .. math::

        T_K(x) = \\sum_{k=0}^{K} \\frac{f^{(k)}(a)}{k!}(x-a)^k, \\qquad
        f(x) - T_K(x) = \\frac{f^{(K+1)}(\\xi)}{(K+1)!}(x-a)^{K+1}

    for some :math:`\\xi` between :math:`a` and :math:`x` (Lagrange's remainder, when :math:`f` is
    :math:`K+1` times differentiable there). Evaluated by Horner's rule.

    Parameters
    ----------
    f, a, order, symbol
        As in :func:`taylor_coefficients`.
    x : array_like, any shape
        The grid.

    Returns
    -------
    numpy.ndarray shaped like ``x``
    """
    coeffs = taylor_coefficients(f, a, order, symbol=symbol)
    t = as_array(x, "x") - float(a)
    out = np.full_like(t, coeffs[-1])
    for c in coeffs[-2::-1]:
        out = out * t + c
    return out


def numerical_gradient(f: Callable[[np.ndarray], float], x, *, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of a scalar function.

    .. math::
        \\frac{\\partial f}{\\partial x_i} \\approx
        \\frac{f(x + \\varepsilon e_i) - f(x - \\varepsilon e_i)}{2\\varepsilon}

    The truncation error is :math:`O(\\varepsilon^2)`.

    Parameters
    ----------
    f : callable taking an array shaped like ``x`` and returning a float
    x : array_like, any shape
    eps : float > 0

    Returns
    -------
    numpy.ndarray shaped like ``x``
    """
    eps = check_float(eps, "eps", low=0, low_open=True)
    x = as_array(x, "x").copy()
    grad = np.empty_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = float(f(x))
        flat[i] = old - eps
        down = float(f(x))
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return grad

r"""Calculus the pages check their derivations with: derivatives, Taylor polynomials, curvature and backprop.

Finite differences (every one *central*):

- :func:`numerical_jacobian`, :func:`gradient`, :func:`numerical_gradient`, :func:`jvp`: first derivatives of
  vector and scalar functions, and Jacobian-vector products;
- :func:`numerical_hessian`, :func:`hvp`: second derivatives and Hessian-vector products;
- :func:`central_difference`: the derivative of an elementwise function at many points at once.

A central difference has truncation error :math:`O(\varepsilon^2)`: halving the step divides the error by about
four, until floating-point round-off (of order :math:`u/\varepsilon` for first derivatives and
:math:`u/\varepsilon^2` for second derivatives, with :math:`u \approx 2.2\times10^{-16}`) takes over. The
default steps balance the two terms: :math:`\varepsilon \approx u^{1/3} \approx 6\times10^{-6}` for first
derivatives and :math:`\varepsilon \approx u^{1/4} \approx 10^{-4}` for second derivatives.

Taylor polynomials:

- :func:`taylor_coefficients`, :func:`taylor_polynomial`: from a SymPy expression (or given derivatives);
- :func:`taylor_coefficients_closed_form`: the coefficients of sin, exp, log1p and the sigmoid from closed-form
  derivatives; :func:`horner` evaluates a polynomial from its coefficients.

Curvature: :func:`classify_critical_point` reads the inertia of a Hessian (:class:`CriticalPoint`).

Derivative rules at work (reverse mode written out by hand):

- :func:`dense_tanh`, :func:`dense_tanh_vjp`: a dense tanh layer and its vector-Jacobian product
  (:class:`DenseVJP`);
- :func:`two_layer_loss_and_grads`: softmax cross-entropy of a two-layer tanh network and its gradients by the
  chain rule (:class:`TwoLayerGrads`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import sympy as sp
from scipy.special import expit, log_softmax

from mlsheet_utils.validation import as_array, check_callable, check_float, check_int, check_probabilities

__all__ = ["numerical_jacobian", "gradient", "numerical_gradient", "jvp", "numerical_hessian", "hvp",
           "central_difference", "taylor_coefficients", "taylor_polynomial", "taylor_coefficients_closed_form",
           "horner", "CriticalPoint", "classify_critical_point", "dense_tanh", "DenseVJP",
           "dense_tanh_vjp", "TwoLayerGrads", "two_layer_loss_and_grads"]


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
    r"""Jacobian of a vector function by central differences.

    .. math::

        J_{ij} = \frac{\partial f_i}{\partial x_j}(x)
        \approx \frac{f_i(x + \varepsilon e_j) - f_i(x - \varepsilon e_j)}{2\varepsilon},
        \qquad \text{error} = \frac{\varepsilon^2}{6}\,\partial_j^3 f_i(\xi) = O(\varepsilon^2).

    All :math:`2n` perturbed points are built at once as the rows of :math:`x \pm \varepsilon I`; with
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
    f = check_callable(f, "f")
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
    r"""Gradient of a scalar function by central differences (wraps :func:`checks.numerical_gradient`).

    .. math:: \nabla f(x)_i \approx \frac{f(x+\varepsilon e_i) - f(x-\varepsilon e_i)}{2\varepsilon}
              + O(\varepsilon^2)

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
    r"""Jacobian-vector product :math:`J(x)\,v` from two evaluations of ``f``, without forming :math:`J`.

    .. math:: J(x)\,v \approx \frac{f(x + \varepsilon v) - f(x - \varepsilon v)}{2\varepsilon}
              + O(\varepsilon^2 \lVert v \rVert^3)

    Parameters
    ----------
    f : callable, ``(n,) -> (m,)`` or scalar
    x, v : array_like, shape (n,)
    eps : float > 0

    Returns
    -------
    numpy.ndarray, shape (m,) (a scalar array for scalar ``f``: the directional derivative)
    """
    f = check_callable(f, "f")
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
    r"""Hessian of a scalar function by central differences.

    Without ``grad``, second differences of ``f`` (the mixed stencil also gives the diagonal):

    .. math::

        H_{ij} \approx \frac{f(x+\varepsilon e_i+\varepsilon e_j) - f(x+\varepsilon e_i-\varepsilon e_j)
        - f(x-\varepsilon e_i+\varepsilon e_j) + f(x-\varepsilon e_i-\varepsilon e_j)}{4\varepsilon^2}
        + O(\varepsilon^2),

    which costs :math:`4n^2` evaluations, has round-off of order :math:`u|f|/\varepsilon^2`, and is symmetric
    by construction. With an analytic ``grad``, the Jacobian of the gradient by central differences
    (:math:`2n` gradient calls, round-off :math:`u/\varepsilon`), symmetrised as :math:`(H + H^\top)/2`.

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
    f = check_callable(f, "f")
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
    r"""Hessian-vector product :math:`H(x)\,v` from two gradient calls, by central differences.

    .. math::

        H(x)\,v \approx \frac{\nabla f(x+\varepsilon v) - \nabla f(x-\varepsilon v)}{2\varepsilon}
        + O(\varepsilon^2)

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
    r"""The coefficients :math:`c_k = f^{(k)}(a)/k!`, :math:`k = 0, \dots, K`, of the Taylor polynomial.

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
        try:
            derivs = [float(g(a)) if callable(g) else float(g) for g in f[: order + 1]]
        except (TypeError, ValueError) as exc:
            raise ValueError(f"f must hold derivatives as numbers or callables returning numbers: {exc}") from None
    else:
        raise ValueError(f"f must be a SymPy expression or a sequence of derivatives, got {type(f).__name__}")
    if not np.all(np.isfinite(derivs)):
        raise ValueError(f"a derivative of f is not finite at a={a}; is a inside f's domain?")
    return np.array([dk / math.factorial(k) for k, dk in enumerate(derivs)])


def taylor_polynomial(f, a: float, order: int, x, *, symbol: sp.Symbol | None = None) -> np.ndarray:
    r"""Evaluate the degree-``order`` Taylor polynomial of ``f`` about ``a`` on the points ``x``.

    .. math::

        T_K(x) = \sum_{k=0}^{K} \frac{f^{(k)}(a)}{k!}(x-a)^k, \qquad
        f(x) - T_K(x) = \frac{f^{(K+1)}(\xi)}{(K+1)!}(x-a)^{K+1}

    for some :math:`\xi` between :math:`a` and :math:`x` (Lagrange's remainder, when :math:`f` is
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
    return _horner(coeffs, as_array(x, "x") - float(a))


def numerical_gradient(f: Callable[[np.ndarray], float], x, *, eps: float = 1e-6) -> np.ndarray:
    r"""Central-difference gradient of a scalar function.

    .. math::
        \frac{\partial f}{\partial x_i} \approx
        \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2\varepsilon}

    The truncation error is :math:`O(\varepsilon^2)`.

    Parameters
    ----------
    f : callable taking an array shaped like ``x`` and returning a float
    x : array_like, any shape
    eps : float > 0

    Returns
    -------
    numpy.ndarray shaped like ``x``
    """
    f = check_callable(f, "f")
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


def central_difference(f: Callable[[np.ndarray], np.ndarray], x, h: float = 1e-5) -> np.ndarray:
    r"""Derivative of an elementwise function at every point of ``x`` at once, by central differences.

    .. math:: f'(x) \approx \frac{f(x + h) - f(x - h)}{2h}, \qquad \text{error} = \frac{h^2}{6} f'''(\xi)
              + O\!\left(\frac{u\,|f|}{h}\right)

    (truncation plus round-off, :math:`u \approx 2.2\times10^{-16}`): the best ``h`` is near :math:`u^{1/3}`.

    Parameters
    ----------
    f : callable
        Applied elementwise: an array of any shape in, an array of the same shape out.
    x : array_like, any shape
        The points.
    h : float > 0
        The step.

    Returns
    -------
    numpy.ndarray shaped like ``x``
    """
    if not callable(f):
        raise ValueError(f"f must be callable, got {type(f).__name__}")
    x = as_array(x, "x")
    h = check_float(h, "h", low=0, low_open=True)
    out = (np.asarray(f(x + h), dtype=float) - np.asarray(f(x - h), dtype=float)) / (2 * h)
    if out.shape != x.shape:
        raise ValueError(f"f must act elementwise: x has shape {x.shape} but f(x) has shape {out.shape}")
    return out


# -- polynomials -------------------------------------------------------------------------------------------

def _horner(coeffs: np.ndarray, t: np.ndarray) -> np.ndarray:
    out = np.full_like(t, coeffs[-1])
    for c in coeffs[-2::-1]:
        out = out * t + c
    return out


def horner(coeffs, t) -> np.ndarray:
    r"""Evaluate :math:`p(t) = \sum_{k=0}^{K} c_k t^k` by Horner's rule, :math:`K` multiplications per point.

    .. math:: p(t) = c_0 + t\,\bigl(c_1 + t\,(c_2 + \dots + t\,(c_{K-1} + t\,c_K))\bigr)

    Parameters
    ----------
    coeffs : array_like, shape (K + 1,)
        Coefficients in increasing powers, :math:`c_0` first.
    t : array_like, any shape
        The points (for a Taylor polynomial about :math:`a`, the offsets :math:`x - a`).

    Returns
    -------
    numpy.ndarray shaped like ``t``
    """
    coeffs = as_array(coeffs, "coeffs", ndim=1)
    if coeffs.size == 0:
        raise ValueError("coeffs must hold at least one coefficient, got an empty array")
    return _horner(coeffs, as_array(t, "t"))


_CLOSED_FORMS = ("sin", "exp", "log1p", "sigmoid")


def taylor_coefficients_closed_form(name: str, a: float, order: int) -> np.ndarray:
    r"""Taylor coefficients :math:`c_k = f^{(k)}(a)/k!`, :math:`k = 0..K`, from closed-form derivatives.

    .. math::

        \sin^{(k)}(a) = \sin\!\left(a + \tfrac{k\pi}{2}\right), \qquad \exp^{(k)}(a) = e^a, \qquad
        \log^{(k)}(1 + a) = \frac{(-1)^{k+1}(k-1)!}{(1+a)^k}\ (k \ge 1),

    and for the sigmoid :math:`\sigma^{(k)} = P_k(\sigma)` with :math:`P_0(s) = s` and
    :math:`P_{k+1}(s) = P_k'(s)\,s(1-s)` (because :math:`\sigma' = \sigma(1-\sigma)`).

    Parameters
    ----------
    name : {"sin", "exp", "log1p", "sigmoid"}
    a : float
        The expansion point (``a > -1`` for ``"log1p"``).
    order : int >= 0
        The degree :math:`K`.

    Returns
    -------
    numpy.ndarray, shape (order + 1,)
    """
    if name not in _CLOSED_FORMS:
        raise ValueError(f"name must be one of {', '.join(_CLOSED_FORMS)}, got {name!r}")
    a = check_float(a, "a")
    order = check_int(order, "order", low=0)
    ks = np.arange(order + 1)
    fact = np.array([math.factorial(int(j)) for j in ks], dtype=float)
    if name == "sin":
        derivs = np.sin(a + ks * np.pi / 2)
    elif name == "exp":
        derivs = np.full(order + 1, np.exp(a))
    elif name == "log1p":
        if a <= -1:
            raise ValueError(f"log(1+x) is defined only for x > -1; the expansion point a = {a} is outside")
        derivs = np.empty(order + 1)
        derivs[0] = np.log1p(a)
        derivs[1:] = (-1.0) ** (ks[1:] + 1) * fact[:-1] / (1 + a) ** ks[1:]
    else:
        s = expit(a)
        poly = np.polynomial.Polynomial([0.0, 1.0])          # P_0(s) = s
        grow = np.polynomial.Polynomial([0.0, 1.0, -1.0])    # s (1 - s) = d s / d x
        derivs = np.empty(order + 1)
        for j in range(order + 1):
            derivs[j] = poly(s)
            poly = poly.deriv() * grow
    return derivs / fact


# -- curvature ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CriticalPoint:
    """The second-derivative test at a critical point.

    Attributes
    ----------
    kind : str
        ``"minimum"``, ``"maximum"``, ``"saddle"`` or ``"inconclusive"``.
    n_pos, n_neg, n_zero : int
        The inertia of the Hessian: how many eigenvalues are positive, negative, and zero (within the tolerance).
    """

    kind: str
    n_pos: int
    n_neg: int
    n_zero: int

    @property
    def inertia(self) -> tuple[int, int, int]:
        """``(n_pos, n_neg, n_zero)``."""
        return self.n_pos, self.n_neg, self.n_zero


def classify_critical_point(H, *, tol: float = 1e-8) -> CriticalPoint:
    r"""Classify a critical point from its symmetric Hessian by the signs of the eigenvalues.

    Where :math:`\nabla f(x^\star) = 0`,
    :math:`f(x^\star + h) = f(x^\star) + \tfrac12 h^\top H h + o(\lVert h\rVert^2)`: all
    :math:`\lambda_i > 0` gives a strict local minimum, all :math:`\lambda_i < 0` a maximum, both signs a
    saddle; a zero eigenvalue without a sign change leaves the test inconclusive (higher derivatives decide).

    Parameters
    ----------
    H : array_like, shape (n, n), symmetric
    tol : float >= 0
        Eigenvalues with :math:`|\lambda| \le` ``tol`` count as zero.

    Returns
    -------
    CriticalPoint
        The verdict and the inertia ``(n_pos, n_neg, n_zero)``.
    """
    H = as_array(H, "H", ndim=2)
    if H.shape[0] != H.shape[1] or H.size == 0:
        raise ValueError(f"H must be a non-empty square matrix, got shape {H.shape}")
    if not np.allclose(H, H.T, rtol=0, atol=1e-10 * (1 + np.abs(H).max())):
        raise ValueError("H must be symmetric (a Hessian of a twice continuously differentiable f is)")
    tol = check_float(tol, "tol", low=0)
    lam = np.linalg.eigvalsh(H)
    n = H.shape[0]
    n_pos, n_neg = int(np.sum(lam > tol)), int(np.sum(lam < -tol))
    if n_pos and n_neg:
        kind = "saddle"
    elif n_pos == n:
        kind = "minimum"
    elif n_neg == n:
        kind = "maximum"
    else:
        kind = "inconclusive"
    return CriticalPoint(kind, n_pos, n_neg, n - n_pos - n_neg)


# -- derivative rules at work: reverse mode by hand ------------------------------------------------------

def _check_dense(W, b, x):
    W = as_array(W, "W", ndim=2)
    m, n = W.shape
    b = as_array(b, "b", ndim=1)
    if b.shape != (m,):
        raise ValueError(f"b must have shape ({m},) to match W {W.shape}, got {b.shape}")
    x = as_array(x, "x")
    if x.ndim == 0 or x.shape[0] != n:
        raise ValueError(f"x must have shape ({n},) or ({n}, ...) to match W {W.shape}, got {x.shape}")
    return W, b, x


def _dense_tanh(W, b, x):
    return np.tanh(np.einsum("ij,j...->i...", W, x) + b.reshape(-1, *[1] * (x.ndim - 1)))


def dense_tanh(W, b, x) -> np.ndarray:
    r"""Forward pass of a dense tanh layer, :math:`y = \tanh(Wx + b)`.

    Parameters
    ----------
    W : array_like, shape (m, n)
    b : array_like, shape (m,)
    x : array_like, shape (n,) or (n, k, ...)
        One input, or a batch along the trailing axes (the convention of :func:`scipy.differentiate.jacobian`).

    Returns
    -------
    numpy.ndarray, shape (m,) or (m, k, ...)
    """
    return _dense_tanh(*_check_dense(W, b, x))


@dataclass(frozen=True)
class DenseVJP:
    r"""Gradients of a loss through :func:`dense_tanh`, given the upstream gradient ``u = dL/dy``.

    Attributes
    ----------
    dx : ndarray, shape (n,)
        :math:`\partial L/\partial x = W^\top \delta`.
    dW : ndarray, shape (m, n)
        :math:`\partial L/\partial W = \delta x^\top`.
    db : ndarray, shape (m,)
        :math:`\partial L/\partial b = \delta`, with :math:`\delta = u \odot (1 - y^2)`.
    """

    dx: np.ndarray
    dW: np.ndarray
    db: np.ndarray


def dense_tanh_vjp(W, b, x, u) -> DenseVJP:
    r"""Backward pass of :math:`y = \tanh(Wx + b)`: the vector-Jacobian product, without building the Jacobian.

    The Jacobian is :math:`J = \operatorname{diag}(1 - y^2)\,W` (shape (m, n)); reverse mode needs only
    :math:`u^\top J`:

    .. math:: \delta = u \odot (1 - y^2), \qquad \frac{\partial L}{\partial x} = W^\top\delta, \qquad
              \frac{\partial L}{\partial W} = \delta\,x^\top, \qquad \frac{\partial L}{\partial b} = \delta,

    in :math:`O(mn)`, the cost of the forward pass.

    Parameters
    ----------
    W : array_like, shape (m, n)
    b : array_like, shape (m,)
    x : array_like, shape (n,)
    u : array_like, shape (m,)
        The upstream gradient :math:`\partial L/\partial y`.

    Returns
    -------
    DenseVJP
        ``dx`` (n,), ``dW`` (m, n), ``db`` (m,).
    """
    W, b, x = _check_dense(W, b, x)
    if x.ndim != 1:
        raise ValueError(f"x must be a single input of shape ({W.shape[1]},), got {x.shape}")
    u = as_array(u, "u", ndim=1)
    if u.shape != b.shape:
        raise ValueError(f"u must have shape {b.shape} (one entry per output), got {u.shape}")
    delta = u * (1.0 - _dense_tanh(W, b, x) ** 2)
    return DenseVJP(W.T @ delta, np.outer(delta, x), delta)


@dataclass(frozen=True)
class TwoLayerGrads:
    """Loss and gradients of :func:`two_layer_loss_and_grads`.

    Attributes
    ----------
    loss : float
        Mean cross-entropy.
    dW1 : ndarray, shape (h, d)
    dW2 : ndarray, shape (k, h)
    """

    loss: float
    dW1: np.ndarray
    dW2: np.ndarray


def two_layer_loss_and_grads(W1, W2, X, Y) -> TwoLayerGrads:
    r"""Mean softmax cross-entropy of a two-layer tanh network and its gradients, by the chain rule.

    Forward, for inputs :math:`X` (n, d) and one-hot targets :math:`Y` (n, k):

    .. math:: A = X W_1^\top,\quad H = \tanh A,\quad Z = H W_2^\top,\quad
              L = -\frac1n \sum_{i,c} Y_{ic} \log \operatorname{softmax}(Z_i)_c .

    Backward, one local derivative per step (softmax and cross-entropy fuse to :math:`P - Y`):

    .. math:: \frac{\partial L}{\partial Z} = \frac{P - Y}{n},\quad
              \frac{\partial L}{\partial W_2} = \frac{\partial L}{\partial Z}^\top H,\quad
              \frac{\partial L}{\partial A} = \Bigl(\frac{\partial L}{\partial Z} W_2\Bigr) \odot (1 - H^2),\quad
              \frac{\partial L}{\partial W_1} = \frac{\partial L}{\partial A}^\top X .

    Parameters
    ----------
    W1 : array_like, shape (h, d)
    W2 : array_like, shape (k, h)
    X : array_like, shape (n, d)
    Y : array_like, shape (n, k), one-hot rows (any rows of probabilities, non-negative and summing to 1, work)

    Returns
    -------
    TwoLayerGrads
        ``loss`` (float), ``dW1`` (h, d), ``dW2`` (k, h).
    """
    W1, W2 = as_array(W1, "W1", ndim=2), as_array(W2, "W2", ndim=2)
    X, Y = as_array(X, "X", ndim=2), as_array(Y, "Y", ndim=2)
    if X.shape[1] != W1.shape[1] or W2.shape[1] != W1.shape[0] or Y.shape != (X.shape[0], W2.shape[0]):
        raise ValueError(f"shapes do not chain: W1 {W1.shape}, W2 {W2.shape}, X {X.shape}, Y {Y.shape}")
    Y = check_probabilities(Y, "Y")                  # rows of probabilities: non-negative, summing to 1
    H = np.tanh(X @ W1.T)
    Z = H @ W2.T
    log_p = log_softmax(Z, axis=1)
    loss = -np.mean(np.sum(Y * log_p, axis=1))
    dZ = (np.exp(log_p) - Y) / X.shape[0]            # softmax + cross-entropy: p - y
    dW2 = dZ.T @ H                                   # Z = H W2^T
    dA = (dZ @ W2) * (1 - H ** 2)                    # chain rule through tanh' = 1 - tanh^2
    return TwoLayerGrads(float(loss), dA.T @ X, dW2)

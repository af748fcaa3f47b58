"""Checks that end a derivation or an implementation: they assert, then print a short stable summary.

- :func:`check_identity` asserts that two SymPy expressions are equal and displays the identity as math;
- :func:`check_close` asserts that an implementation matches a reference within a tolerance;
- :func:`numerical_gradient` and :func:`check_gradient` compare an analytic gradient with central differences.

Printed differences are rounded up to a power of ten, so two runs on the same machine print the same text
even when the last bits of a floating-point sum differ.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import sympy as sp

from .validation import as_array, check_float


def _is_zero(expr) -> bool:
    """Decide whether a SymPy expression (or matrix) is identically zero."""
    if isinstance(expr, sp.MatrixBase):
        return all(_is_zero(e) for e in expr)
    expr = sp.sympify(expr)
    if expr == 0:
        return True
    for simplifier in (sp.simplify, lambda e: sp.simplify(sp.expand(sp.powsimp(e, force=False)))):
        if simplifier(expr) == 0:
            return True
    return bool(expr.equals(0))


def check_identity(lhs, rhs, label: str | None = None, *, show: bool = True) -> None:
    """Assert ``lhs == rhs`` symbolically and display it as ``label: lhs = rhs``.

    Parameters
    ----------
    lhs, rhs : sympy expressions, matrices, or numbers
    label : str, optional
        Plain text shown before the identity.
    show : bool
        Display the identity as math (``IPython.display.Math``) when true.

    Raises
    ------
    AssertionError
        If the difference does not simplify to zero.
    """
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    if isinstance(lhs, sp.MatrixBase) != isinstance(rhs, sp.MatrixBase):
        raise ValueError("check_identity: lhs and rhs must both be matrices or both be scalars")
    if isinstance(lhs, sp.MatrixBase) and lhs.shape != rhs.shape:
        raise ValueError(f"check_identity: shapes differ, lhs {lhs.shape} vs rhs {rhs.shape}")
    if not _is_zero(lhs - rhs):
        raise AssertionError(f"identity fails{f' ({label})' if label else ''}: "
                             f"{sp.sstr(lhs)} != {sp.sstr(rhs)}; difference {sp.sstr(sp.simplify(lhs - rhs))}")
    if show:
        show_math(f"{sp.latex(lhs)} = {sp.latex(rhs)}", label)


def show_math(latex: str, label: str | None = None) -> None:
    """Display a LaTeX string as math, with an optional plain-text label in front."""
    from IPython.display import Math, display

    prefix = rf"\text{{{label}:}}\quad " if label else ""
    display(Math(prefix + latex))


def ceil_pow10(x: float) -> str:
    """The smallest power of ten >= ``x`` as text (``'1e-12'``), or ``'0'`` for zero."""
    if x == 0:
        return "0"
    if not np.isfinite(x):
        return str(x)
    return f"1e{math.ceil(math.log10(x))}"


def check_close(name: str, ours, reference, *, rtol: float = 1e-7, atol: float = 0.0,
                quiet: bool = False) -> float:
    """Assert that ``ours`` matches ``reference`` elementwise and print a one-line summary.

    The test is NumPy's: ``|ours - reference| <= atol + rtol * |reference|`` for every element.

    Parameters
    ----------
    name : str
        What is compared, e.g. ``"k-means centroids vs scikit-learn"``.
    ours, reference : array_like of the same shape
    rtol, atol : float
        Relative and absolute tolerance, both >= 0.
    quiet : bool
        Do not print when true.

    Returns
    -------
    float
        The largest absolute difference.
    """
    rtol = check_float(rtol, "rtol", low=0)
    atol = check_float(atol, "atol", low=0)
    a = as_array(ours, "ours", finite=False)
    b = as_array(reference, "reference", finite=False)
    if a.shape != b.shape:
        raise ValueError(f"{name}: shapes differ, ours {a.shape} vs reference {b.shape}")
    if np.any(np.isnan(a) != np.isnan(b)):
        raise AssertionError(f"{name}: NaN in different places")
    diff = np.abs(np.where(np.isnan(a), 0.0, a - b))
    allowed = atol + rtol * np.abs(np.where(np.isnan(b), 0.0, b))
    worst = float(diff.max()) if diff.size else 0.0
    if np.any(diff > allowed):
        i = np.unravel_index(np.argmax(diff - allowed), diff.shape) if diff.ndim else ()
        raise AssertionError(f"{name}: max |diff| = {worst:.3g} exceeds the tolerance "
                             f"(rtol={rtol:g}, atol={atol:g}); worst at index {tuple(int(j) for j in i)}: "
                             f"ours={a[i]!r}, reference={b[i]!r}")
    if not quiet:
        print(f"OK {name}: max |diff| <= {ceil_pow10(worst)} (rtol={rtol:g}, atol={atol:g})")
    return worst


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


def check_gradient(name: str, f: Callable, grad: Callable, x, *, eps: float = 1e-6,
                   rtol: float = 1e-5, atol: float = 1e-8) -> float:
    """Assert that ``grad(x)`` matches the central-difference gradient of ``f`` at ``x``."""
    return check_close(f"{name} (analytic vs central differences, eps={eps:g})", grad(x),
                       numerical_gradient(f, x, eps=eps), rtol=rtol, atol=atol)


# -- speed pairs for `make bench` -------------------------------------------------------------------------

#: name -> SpeedPair, filled by :func:`register_speed` when a notebook runs; read by mlsheet_utils.bench.
SPEED_PAIRS: dict[str, "SpeedPair"] = {}


class SpeedPair:
    """An implementation and its reference, with a way to make inputs of a given size (for ``make bench``)."""

    def __init__(self, name, ours, reference, make_args, small, large, to_array):
        self.name, self.ours, self.reference = name, ours, reference
        self.make_args, self.small, self.large, self.to_array = make_args, small, large, to_array

    def __repr__(self) -> str:
        return f"SpeedPair({self.name!r}, small={self.small}, large={self.large})"


def register_speed(name: str, ours: Callable, reference: Callable, make_args: Callable[[int], tuple], *,
                   small: int, large: int, to_array: Callable | None = None) -> None:
    """Declare an implementation/reference pair that ``make bench`` times; prints nothing, computes nothing.

    Parameters
    ----------
    name : str
        Unique label, e.g. ``"k-means (Lloyd) vs sklearn KMeans"``.
    ours, reference : callable
        Both are called as ``f(*make_args(size))``.
    make_args : callable ``size -> tuple``
        Builds the (seeded, deterministic) arguments for a problem of the given size.
    small, large : int
        ``small`` is the size the notebook's check uses; ``large`` a bigger problem (a second or so at most).
    to_array : callable, optional
        Maps a result to an array so the largest difference can be reported (default ``numpy.asarray``).
    """
    if not isinstance(name, str) or not name:
        raise ValueError("register_speed: name must be a non-empty string")
    for label, f in (("ours", ours), ("reference", reference), ("make_args", make_args)):
        if not callable(f):
            raise ValueError(f"register_speed: {label} must be callable, got {type(f).__name__}")
    if not (isinstance(small, int) and isinstance(large, int) and 0 < small <= large):
        raise ValueError(f"register_speed: need 0 < small <= large, got small={small!r}, large={large!r}")
    SPEED_PAIRS[name] = SpeedPair(name, ours, reference, make_args, small, large, to_array or np.asarray)

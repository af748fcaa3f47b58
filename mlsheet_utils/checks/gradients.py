"""Gradient checks: central differences against an analytic gradient."""

from __future__ import annotations

from typing import Callable

from mlsheet_utils.algorithms.calculus import numerical_gradient
from mlsheet_utils.checks.numeric import _check_text, check_close
from mlsheet_utils.validation import as_array, check_callable, check_float


def check_gradient(name: str, f: Callable, grad: Callable, x, *, eps: float = 1e-6,
                   rtol: float = 1e-5, atol: float = 1e-8) -> None:
    """Assert that ``grad(x)`` matches the central-difference gradient of ``f`` at ``x``.

    ``name`` labels the printed line; ``f`` and ``grad`` are callables, ``x`` a finite array (any shape), ``eps`` >
    0, ``rtol`` and ``atol`` >= 0.
    """
    _check_text(name, "name")
    check_callable(f, "f")
    check_callable(grad, "grad")
    as_array(x, "x")
    eps = check_float(eps, "eps", low=0, low_open=True)
    check_close(f"{name} (analytic vs central differences, eps={eps:g})", grad(x),
                numerical_gradient(f, x, eps=eps), rtol=rtol, atol=atol)

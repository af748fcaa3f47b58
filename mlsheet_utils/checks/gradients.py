"""Gradient checks: central differences against an analytic gradient."""

from __future__ import annotations

from typing import Callable

from mlsheet_utils.algorithms.calculus import numerical_gradient
from mlsheet_utils.checks.numeric import check_close


def check_gradient(name: str, f: Callable, grad: Callable, x, *, eps: float = 1e-6,
                   rtol: float = 1e-5, atol: float = 1e-8) -> None:
    """Assert that ``grad(x)`` matches the central-difference gradient of ``f`` at ``x``."""
    check_close(f"{name} (analytic vs central differences, eps={eps:g})", grad(x),
                numerical_gradient(f, x, eps=eps), rtol=rtol, atol=atol)

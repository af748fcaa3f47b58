"""SymPy checks that end a derivation: assert an identity or a step, then show it as math."""

from __future__ import annotations

import sympy as sp


def _is_zero(expr) -> bool:
    """Decide whether a SymPy expression (or matrix) is identically zero."""
    if isinstance(expr, sp.MatrixBase):
        return all(_is_zero(e) for e in expr)
    expr = sp.sympify(expr)
    if expr == 0:
        return True
    for simplifier in (sp.simplify, lambda e: sp.simplify(sp.expand(sp.powsimp(e, force=False))),
                       lambda e: sp.simplify(sp.gammasimp(sp.expand_func(e)))):   # Beta, Gamma, binomials
        if simplifier(expr) == 0:
            return True
    return bool(expr.equals(0))


def _check_label(label) -> None:
    """A label is None or a string with its ``$`` paired (see :func:`label_latex`)."""
    if label is not None:
        label_latex(label)


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
    _check_label(label)
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    for name, value in (("lhs", lhs), ("rhs", rhs)):
        if value is None:
            raise ValueError(f"check_identity: {name} must be a SymPy expression, matrix or number, got None")
    if isinstance(lhs, sp.MatrixBase) != isinstance(rhs, sp.MatrixBase):
        raise ValueError("check_identity: lhs and rhs must both be matrices or both be scalars")
    if isinstance(lhs, sp.MatrixBase) and lhs.shape != rhs.shape:
        raise ValueError(f"check_identity: shapes differ, lhs {lhs.shape} vs rhs {rhs.shape}")
    # Unevaluated Integral/Sum/Subs/Derivative objects are displayed as written but compared evaluated:
    # simplify() on the unevaluated form is slow and often gives up.
    diff = lhs.doit() - rhs.doit()
    if not _is_zero(diff):
        raise AssertionError(f"identity fails{f' ({label})' if label else ''}: "
                             f"{sp.sstr(lhs)} != {sp.sstr(rhs)}; difference {sp.sstr(sp.simplify(diff))}")
    if show:
        show_math(f"{sp.latex(lhs)} = {sp.latex(rhs)}", label)


def check_step(start, expected, label: str | None = None, *, result=None, show: bool = True):
    """Carry out one derivation step with SymPy, assert its result, and display ``start = expected``.

    The displayed line is the starting expression and what SymPy made of it (in the expected, readable form,
    which the assertion has just shown equal), never a bare ``0 = 0``.

    Parameters
    ----------
    start : sympy expression or str
        The step's starting point: an unevaluated ``Integral``, ``Sum``, ``Limit``, ``Derivative``... (then
        ``result`` defaults to ``start.doit()``), or a LaTeX string (then ``result`` is required).
    expected : sympy expression
        What the result must equal (asserted symbolically, as :func:`check_identity` does).
    label : str, optional
        Plain text shown before the step.
    result : sympy expression, optional
        The result computed by the caller with SymPy (e.g. ``sp.solve(...)``), when it is not ``start.doit()``.

    Returns
    -------
    ``expected``, for the next step.
    """
    _check_label(label)
    if start is None or sp.sympify(expected) is None:
        raise ValueError(f"check_step: start and expected must be SymPy expressions, got start={start!r}, "
                         f"expected={expected!r}")
    if result is None:
        if isinstance(start, str):
            raise ValueError("check_step: a LaTeX start needs the result computed by SymPy (result=...)")
        result = sp.sympify(start).doit()
    if isinstance(sp.sympify(result), sp.MatrixBase) != isinstance(sp.sympify(expected), sp.MatrixBase):
        raise ValueError("check_step: expected and the result of start must both be matrices or both be scalars")
    check_identity(result, expected, label, show=False)
    if show:
        lhs = start if isinstance(start, str) else sp.latex(start)
        show_math(f"{lhs} = {sp.latex(sp.sympify(expected))}", label)
    return expected


def label_latex(label: str) -> str:
    r"""A derivation label as LaTeX: words as ``\text{...}``, the ``$...$`` parts as maths, then a colon.

    ``"Var of the mean, $\sigma^2/n$"`` becomes ``\text{Var of the mean, }{\sigma^2/n}\text{:}``, so a label
    typesets its symbols like the rest of the page; a label without ``$`` is ``\text{label:}``. An odd number of
    ``$`` is an error (a label half in maths).
    """
    if not isinstance(label, str):
        raise ValueError(f"label must be a string, got {label!r}")
    parts = label.split("$")
    if len(parts) % 2 == 0:
        raise ValueError(f"label {label!r} has an unmatched '$'")
    parts[-1] += ":"
    return "".join(f"{{{part}}}" if i % 2 else rf"\text{{{part}}}" for i, part in enumerate(parts) if part)


def show_math(latex: str, label: str | None = None) -> None:
    """Display a LaTeX string as math, with an optional label in front (see :func:`label_latex`)."""
    from IPython.display import Math, display

    if not isinstance(latex, str):
        raise ValueError(f"latex must be a string, got {latex!r}")
    prefix = label_latex(label) + r"\quad " if label else ""
    display(Math(prefix + latex))

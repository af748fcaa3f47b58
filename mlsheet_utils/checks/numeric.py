"""Checks that end a derivation or an implementation: they assert, then print a short stable summary.

- :func:`check_close` asserts that an implementation matches a reference within a tolerance;

What they print holds on every machine. OpenBLAS and NumPy choose CPU-specific kernels at run time, so the last
bits of a result differ between CPUs; a stored output must not depend on them. Hence:

- :func:`check_close` prints the largest difference as a share of what the tolerance allows: ``under 10%`` when
  it is that small (round-off against a sensible tolerance always is), else as a whole percentage;
- :func:`below`, :func:`above` and :func:`between` state a round-off-level number against a bound;
- :func:`sig` rounds a result to significant digits.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from mlsheet_utils.validation import as_array, check_float


def _check_text(value, name: str) -> str:
    """Check that ``value`` is a string (a label a check prints)."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {value!r}")
    return value


def sig(x: float, digits: int = 3) -> str:
    """``x`` rounded to ``digits`` significant digits, as text (``sig(0.125962516) == '0.126'``).

    Use it for every computed result a page prints: a result is deterministic to far more digits than this on
    every machine, so the text is portable; its raw ``repr`` is not.
    """
    x = check_float(x, "x")
    if not isinstance(digits, (int, np.integer)) or not 1 <= digits <= 15:
        raise ValueError(f"sig: digits must be an integer in [1, 15], got {digits!r}")
    return f"{x:.{int(digits)}g}"


def below(value: float, bound: float, what: str = "value") -> str:
    """Assert ``|value| <= bound`` and return ``'below 1e-13'``-style text naming the bound, not the value.

    For round-off-level numbers (an orthogonality loss, a residual), whose digits differ between CPUs: choose a
    bound from the analysis (e.g. ``n * eps * cond``) or with a wide margin, and print only that the number
    stays under it.
    """
    _check_text(what, "what")
    value = check_float(value, what)
    bound = check_float(bound, "bound", low=0, low_open=True)
    if not abs(value) <= bound:
        raise AssertionError(f"{what} = {value:.3g} is not below the bound {bound:.3g}")
    return f"below {_bound_text(bound)}"


def above(value: float, bound: float, what: str = "value") -> str:
    """Assert ``|value| >= bound`` and return ``'above 1e-6'``-style text: the counterpart of :func:`below`."""
    _check_text(what, "what")
    value = check_float(value, what)
    bound = check_float(bound, "bound", low=0, low_open=True)
    if not abs(value) >= bound:
        raise AssertionError(f"{what} = {value:.3g} is not above the bound {bound:.3g}")
    return f"above {_bound_text(bound)}"


def between(value: float, low: float, high: float, what: str = "value") -> str:
    """Assert ``low <= value <= high`` and return ``'between 1e-7 and 1e-4'``: for a location that round-off
    moves (the best finite-difference step, an iteration count near a threshold)."""
    _check_text(what, "what")
    value = check_float(value, what)
    low = check_float(low, "low")
    if not low < check_float(high, "high"):
        raise ValueError(f"between: low must be < high, got low={low}, high={high}")
    high = check_float(high, "high", low=low, low_open=True)
    if not low <= value <= high:
        raise AssertionError(f"{what} = {value:.3g} is not between {low:.3g} and {high:.3g}")
    return f"between {_bound_text(low)} and {_bound_text(high)}"


def _bound_text(bound: float) -> str:
    """``1e-13`` for a power of ten, else two significant digits (``3.2e-12``, ``0.05``)."""
    if bound <= 0:
        return f"{bound:.2g}"
    k = round(math.log10(bound))
    return f"1e{k}" if math.isclose(10.0 ** k, bound, rel_tol=1e-12) else f"{bound:.2g}"


def _diff_and_allowed(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> tuple[np.ndarray, np.ndarray]:
    """Elementwise ``|a - b|`` (NaNs in the same places count as equal) and NumPy's ``atol + rtol * |b|``."""
    diff = np.abs(np.where(np.isnan(a) & np.isnan(b), 0.0, a - b))
    return diff, atol + rtol * np.abs(np.where(np.isnan(b), 0.0, b))


def tolerance_used(ours, reference, *, rtol: float, atol: float) -> float:
    """The largest ``|ours - reference| / (atol + rtol * |reference|)``: 1 means the tolerance is just met.

    NaNs in the same places count as equal; where the allowance is 0, an exact match counts 0 and any difference
    counts ``inf``.

    ``ours`` and ``reference`` must have the same shape; ``rtol`` and ``atol`` are >= 0.
    """
    rtol = check_float(rtol, "rtol", low=0)
    atol = check_float(atol, "atol", low=0)
    a = as_array(ours, "ours", finite=False, empty=True)
    b = as_array(reference, "reference", finite=False, empty=True)
    if a.shape != b.shape:
        raise ValueError(f"ours and reference must have the same shape, got ours {a.shape} vs reference {b.shape}")
    diff, allowed = _diff_and_allowed(np.asarray(ours, dtype=float), np.asarray(reference, dtype=float), rtol, atol)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(allowed > 0, diff / np.where(allowed > 0, allowed, 1.0), np.where(diff > 0, np.inf, 0.0))
    return float(share.max()) if share.size else 0.0


def share_text(share: float) -> str:
    """How much of a tolerance is used, as portable text: ``'under 10%'``, ``'14%'``, ``'92%'``.

    Below 10% the digits would often be round-off, which differs between CPUs, so they are not printed: a
    tolerance that is meant to absorb round-off sits at least ten times above it. Above 10% the difference is a
    property of the method (truncation, sampling, a stopping rule), deterministic to far more than two
    significant digits, or else the tolerance is too tight to hold on every machine.

    ``share`` is a number >= 0 (``inf`` too: what :func:`tolerance_used` gives where the allowance is 0).
    """
    if isinstance(share, bool) or not isinstance(share, numbers.Real) or not share >= 0:
        raise ValueError(f"share must be a number >= 0 (inf allowed), got {share!r}")
    return "under 10%" if share < 0.1 else f"{100 * share:.0f}%"


def check_close(name: str, ours, reference, *, rtol: float = 1e-7, atol: float = 0.0,
                quiet: bool = False) -> None:
    """Assert that ``ours`` matches ``reference`` elementwise and print a one-line summary.

    The test is NumPy's: ``|ours - reference| <= atol + rtol * |reference|`` for every element. The summary gives
    the largest difference as a share of that allowance (:func:`share_text`), e.g.
    ``OK centroids vs scikit-learn: max |diff| is under 10% of the tolerance (rtol=1e-08, atol=0)``.

    Parameters
    ----------
    name : str
        What is compared, e.g. ``"k-means centroids vs scikit-learn"``.
    ours, reference : array_like of the same shape
    rtol, atol : float
        Relative and absolute tolerance, both >= 0.
    quiet : bool
        Do not print when true.

    Returns nothing, so a cell that ends with a check displays no raw float; :func:`tolerance_used` gives the
    share as a number.
    """
    _check_text(name, "name")
    rtol = check_float(rtol, "rtol", low=0)
    atol = check_float(atol, "atol", low=0)
    a = as_array(ours, "ours", finite=False)
    b = as_array(reference, "reference", finite=False)
    if a.shape != b.shape:
        raise ValueError(f"{name}: shapes differ, ours {a.shape} vs reference {b.shape}")
    if np.any(np.isnan(a) != np.isnan(b)):
        raise AssertionError(f"{name}: NaN in different places")
    diff, allowed = _diff_and_allowed(a, b, rtol, atol)
    worst = float(diff.max()) if diff.size else 0.0
    if np.any(diff > allowed):
        i = np.unravel_index(np.argmax(diff - allowed), diff.shape) if diff.ndim else ()
        raise AssertionError(f"{name}: max |diff| = {worst:.3g} exceeds the tolerance "
                             f"(rtol={rtol:g}, atol={atol:g}); worst at index {tuple(int(j) for j in i)}: "
                             f"ours={a[i]!r}, reference={b[i]!r}")
    if not quiet:
        share = share_text(tolerance_used(a, b, rtol=rtol, atol=atol))
        print(f"OK {name}: max |diff| is {share} of the tolerance (rtol={rtol:g}, atol={atol:g})")

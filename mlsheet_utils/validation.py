"""Argument validation in the scikit-learn manner: name the argument and the bad value."""

from __future__ import annotations

import numbers

import numpy as np


def as_array(x, name: str, *, ndim: int | None = None, finite: bool = True, dtype=float,
             empty: bool = False) -> np.ndarray:
    """Convert ``x`` to a NumPy array and check it.

    Parameters
    ----------
    x : array_like
        The value to convert.
    name : str
        The argument's name, used in the error message.
    ndim : int, optional
        Required number of dimensions.
    finite : bool
        Reject NaN and infinity when true.
    empty : bool
        Accept an array with no elements (a shape with a 0 in it). Off by default: an empty input is almost
        always a mistake upstream, and caught here it is named, instead of surfacing as a confusing message
        about another argument (``k must be <= 0``).

    Returns
    -------
    numpy.ndarray
    """
    if x is None:
        raise ValueError(f"{name} must be an array of numbers, got None")
    try:
        arr = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers, got a {type(x).__name__} that NumPy cannot "
                         f"convert to {np.dtype(dtype).name}: {exc}") from exc
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if not empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if finite and arr.size and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains NaN or infinite values ({bad} of {arr.size} entries)")
    return arr


def check_int(value, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Check that ``value`` is an integer in ``[low, high]`` and return it as ``int``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return int(value)


def check_float(value, name: str, *, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False) -> float:
    """Check that ``value`` is a finite real number in the given (open or closed) interval."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value}")
    return float(value)


def check_random_state(rng) -> np.random.Generator:
    """The book's one randomness convention: ``rng`` is a non-negative int seed or a ``numpy.random.Generator``.

    Like scikit-learn's ``check_random_state``: an int gives a fresh, seeded Generator (so the same seed gives the
    same draws), a Generator is used as it is (so a caller can thread one stream through several calls).
    ``None`` is refused: every random result in the book is reproducible.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (bool, np.bool_)) or not isinstance(rng, (int, np.integer)):
        raise ValueError(f"rng must be a non-negative int seed or a numpy.random.Generator, got {rng!r}")
    if rng < 0:
        raise ValueError(f"rng must be a non-negative int seed or a numpy.random.Generator, got {rng!r}")
    return np.random.default_rng(int(rng))


def check_callable(f, name: str):
    """Check that ``f`` can be called (a function, a frozen distribution's method, a lambda) and return it."""
    if not callable(f):
        raise ValueError(f"{name} must be callable, got {type(f).__name__} {f!r:.60}")
    return f


def check_probabilities(p, name: str, *, axis: int = -1, atol: float = 1e-9, ndim: int | None = None) -> np.ndarray:
    """Convert ``p`` and check that it holds probability vectors along ``axis``: finite, non-negative, summing
    to 1 within ``atol``. Returns the array."""
    arr = as_array(p, name, ndim=ndim)
    if np.any(arr < 0):
        raise ValueError(f"{name} must hold non-negative probabilities, got a minimum of {arr.min():.6g}")
    sums = arr.sum(axis=axis)
    if not np.allclose(sums, 1.0, rtol=0.0, atol=atol):
        worst = float(np.ravel(sums)[np.argmax(np.abs(np.ravel(sums) - 1.0))])
        raise ValueError(f"{name} must sum to 1 along axis {axis}, got a sum of {worst:.6g}")
    return arr


def check_bool(value, name: str) -> bool:
    """Check that ``value`` is ``True`` or ``False`` (a NumPy bool too; not 0, 1, None or a string)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_indices(x, name: str, *, low: int | None = 0, high: int | None = None, ndim: int | None = None,
                  empty: bool = False) -> np.ndarray:
    """Convert ``x`` to an integer array of indices (states, actions, item ids) in ``[low, high)`` and return it.

    Integer-valued floats are converted; an integer array comes back as it is. ``low=None`` and ``high=None``
    leave that end open; ``ndim`` and ``empty`` are :func:`as_array`'s.
    """
    values = as_array(x, name, ndim=ndim, empty=empty)
    if np.any(values != np.round(values)):
        raise ValueError(f"{name} must hold integers, got a fractional entry {values[values != np.round(values)][0]}")
    if values.size and ((low is not None and values.min() < low) or (high is not None and values.max() >= high)):
        span = f"in [{low}, {high - 1}]" if low is not None and high is not None else (
            f">= {low}" if low is not None else f"< {high}")
        raise ValueError(f"{name} must hold integers {span}, got values from {values.min():g} to {values.max():g}")
    arr = np.asarray(x)
    return arr if np.issubdtype(arr.dtype, np.integer) else values.astype(int)

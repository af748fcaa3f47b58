"""Argument kinds: how to draw a valid value of an argument, and which values are wrong for it.

A declaration (:func:`tests.contracts.registry.declare`) gives every argument of a public function a kind. The
property tests draw valid arguments from the kinds (with Hypothesis) and must get an answer; they replace one
argument at a time by a value its kind calls wrong and must get a ``ValueError`` that names that argument.

Shapes are written with symbols (``Array(("n", "d"))``): one draw picks every symbol's size once, so ``X`` of
shape (n, d) and ``y`` of shape (n,) agree. A wrong *shape* is one of the bad values: one more axis, an empty
array, and a size that breaks an agreement with another argument.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Sequence

import numpy as np
from hypothesis import strategies as st

#: The range every symbolic dimension is drawn from unless a declaration says otherwise.
DEFAULT_DIMS = (1, 5)

Bad = tuple[str, Any]          # (what is wrong, the value)


def _resolve(bound, dims: dict):
    if isinstance(bound, str):
        return dims[bound]
    if callable(bound):
        return bound(dims)
    return bound


class Kind:
    """Base class: ``valid(draw, dims)`` draws a valid value, ``bad(dims)`` lists wrong ones."""

    #: ``None`` is always wrong unless a kind accepts it.
    optional = False

    def valid(self, draw, dims: dict):
        raise NotImplementedError

    def bad(self, dims: dict) -> list[Bad]:
        out = [] if self.optional else [("None", None)]
        return out + [("a string", "seven")]

    def shape_symbols(self) -> set[str]:
        """The dimension symbols this kind reads (a shape, a size, a bound like ``Int(1, "n")``)."""
        names = ("shape", "size", "dim", "low", "high", "uses")
        out = set()
        for name in names:
            value = getattr(self, name, None)
            values = value if isinstance(value, tuple) else (value,)
            out |= {v for v in values if isinstance(v, str)}
        return out


@dataclasses.dataclass
class Real(Kind):
    """A finite real number in [low, high] (open ends when asked)."""

    low: float | str | None = None
    high: float | str | None = None
    low_open: bool = False
    high_open: bool = False
    width: float = 10.0        # how far valid draws go when a side is unbounded
    draw: tuple | None = None  # the range valid draws come from, when narrower than the valid range

    def _bounds(self, dims):
        lo, hi = _resolve(self.low, dims), _resolve(self.high, dims)
        a = lo if lo is not None else (hi - self.width if hi is not None else -self.width)
        b = hi if hi is not None else a + 2 * self.width
        return lo, hi, a, b

    def valid(self, draw, dims):
        # valid draws keep 1e-3 from an open end (the ends themselves are among the bad values): a shape
        # parameter of 5e-324 is valid on paper and only measures how lgamma behaves near its pole
        lo, hi, a, b = self._bounds(dims)
        a, b = (a + 1e-3 if self.low_open else a), (b - 1e-3 if self.high_open else b)
        if self.draw is not None:
            a, b = (_resolve(v, dims) for v in self.draw)
        return draw(st.floats(a, b, allow_nan=False, allow_infinity=False, allow_subnormal=False))

    def bad(self, dims):
        lo, hi, _, _ = self._bounds(dims)
        out = super().bad(dims) + [("NaN", math.nan), ("infinity", math.inf), ("minus infinity", -math.inf)]
        if lo is not None:
            out.append(("below the range", lo - 1.0 if lo == 0 or abs(lo) >= 1 else lo - abs(lo) - 1.0))
            if self.low_open:
                out.append(("at the open lower end", float(lo)))
        if hi is not None:
            out.append(("above the range", hi + 1.0))
            if self.high_open:
                out.append(("at the open upper end", float(hi)))
        return out


def Positive(**kw) -> Real:        # noqa: N802 - reads as a kind
    """A finite real > 0."""
    return Real(low=0.0, low_open=True, **kw)


@dataclasses.dataclass
class Int(Kind):
    """An integer in [low, high] (bounds may name a dimension: ``Int(1, "n")``)."""

    low: int | str | Callable | None = None
    high: int | str | Callable | None = None
    draw: tuple | None = None      # the range valid draws come from, when narrower than the valid range

    def valid(self, draw, dims):
        lo, hi = _resolve(self.low, dims), _resolve(self.high, dims)
        lo = lo if lo is not None else -5
        hi = hi if hi is not None else lo + 10
        if self.draw is not None:
            lo, hi = (_resolve(v, dims) for v in self.draw)
        return draw(st.integers(lo, hi))

    def bad(self, dims):
        lo, hi = _resolve(self.low, dims), _resolve(self.high, dims)
        out = super().bad(dims) + [("a fraction", 1.5), ("NaN", math.nan)]
        if lo is not None:
            out.append(("below the range", lo - 1))
        if hi is not None:
            out.append(("above the range", hi + 1))
        return out


@dataclasses.dataclass
class Choice(Kind):
    """One of a few options (strings, usually)."""

    options: Sequence

    def valid(self, draw, dims):
        return draw(st.sampled_from(list(self.options)))

    def bad(self, dims):
        return [("None", None), ("an unknown option", "no-such-option")]


@dataclasses.dataclass
class Rng(Kind):
    """The book's randomness convention: a non-negative int seed or a numpy Generator."""

    def valid(self, draw, dims):
        seed = draw(st.integers(0, 2**16))
        return seed if draw(st.booleans()) else np.random.default_rng(seed)

    def bad(self, dims):
        return [("None", None), ("a negative seed", -1), ("a fraction", 1.5), ("a string", "seed")]


@dataclasses.dataclass
class Array(Kind):
    """A float array of a symbolic shape with finite entries in [low, high]."""

    shape: tuple
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    integer: bool = False          # integer-valued entries (counts, labels, states)
    empty_ok: bool = False         # an empty array is a valid input (the maths has an answer)
    finite: bool = True            # NaN/inf entries are wrong
    allow_inf: bool = False        # +-inf entries are valid (a point outside a density's support)
    any_shape: bool = False        # documented as "any shape": an extra axis is not wrong
    width: float = 5.0
    draw: tuple | None = None      # the range valid entries are drawn from, when narrower than the valid range

    def _shape(self, dims):
        return tuple(_resolve(s, dims) for s in self.shape)

    def valid(self, draw, dims):
        shape = self._shape(dims)
        if self.low is not None:
            lo = self.low
        else:
            lo = self.high - 2 * self.width if self.high is not None else -self.width
        hi = self.high if self.high is not None else lo + 2 * self.width
        if self.draw is not None:
            lo, hi = self.draw
        size = int(np.prod(shape)) if shape else 1
        if self.integer:
            vals = draw(st.lists(st.integers(int(math.ceil(lo)), int(math.floor(hi))), min_size=size, max_size=size))
            return np.array(vals, dtype=int).reshape(shape)
        lo = lo + 1e-3 if self.low_open else lo
        vals = draw(st.lists(st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False),
                             min_size=size, max_size=size))
        return np.array(vals, dtype=float).reshape(shape)

    def bad(self, dims):
        shape = self._shape(dims)
        good = np.full(shape, self.low if self.low is not None and not self.low_open else
                       (self.low + 0.5 if self.low is not None else 0.0), dtype=float)
        if self.integer:
            good = good.astype(int)
        out = super().bad(dims)
        if self.finite and good.size:
            nan = good.astype(float).copy()
            nan.flat[0] = math.nan
            out.append(("a NaN entry", nan))
            if not self.allow_inf:
                inf = good.astype(float).copy()
                inf.flat[-1] = math.inf
                out.append(("an infinite entry", inf))
        if not self.any_shape:
            out.append(("one axis too many", good[..., None]))
        if shape and not self.empty_ok:
            out.append(("empty", np.zeros((0,) + shape[1:])))
        if self.low is not None and good.size:
            below = good.astype(float).copy()
            below.flat[0] = self.low - 1.0
            out.append(("an entry below the range", below))
        if self.high is not None and good.size:
            above = good.astype(float).copy()
            above.flat[0] = self.high + 1.0
            out.append(("an entry above the range", above))
        for axis, sym in enumerate(self.shape):
            if isinstance(sym, str) and sym in dims.get("_shared", ()):
                wrong = list(shape)
                wrong[axis] += 1
                out.append((f"a size that disagrees with another argument on {sym}", np.zeros(wrong, good.dtype)))
        return out


@dataclasses.dataclass
class ProbVector(Kind):
    """A probability vector of length ``size`` (non-negative, summing to 1)."""

    size: int | str
    any_shape: bool = False        # broadcasts along the last axis: an extra leading axis is not wrong

    def valid(self, draw, dims):
        n = _resolve(self.size, dims)
        w = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=n, max_size=n)))
        return w / w.sum()

    def bad(self, dims):
        n = _resolve(self.size, dims)
        half = np.full(n, 0.5 / n)
        neg = np.full(n, 1.0 / n)
        if n > 1:
            neg[0], neg[1] = -0.5, neg[1] + 0.5 + 1.0 / n
        else:
            neg = np.array([-1.0])
        nan = np.full(n, 1.0 / n)
        nan[0] = math.nan
        out = super().bad(dims) + [("summing to 0.5", half), ("a negative entry", neg), ("a NaN entry", nan)]
        if not self.any_shape:
            out.append(("one axis too many", np.full((1, n), 1.0 / n)))
        return out


@dataclasses.dataclass
class SPD(Kind):
    """A symmetric positive-definite matrix of size ``dim``."""

    dim: int | str

    def valid(self, draw, dims):
        d = _resolve(self.dim, dims)
        A = np.array(draw(st.lists(st.floats(-1, 1), min_size=d * d, max_size=d * d))).reshape(d, d)
        return A @ A.T + 0.5 * np.eye(d)

    def bad(self, dims):
        d = _resolve(self.dim, dims)
        nonsym = np.eye(d) * 2.0
        if d > 1:
            nonsym[0, 1] = 1.0
        negdef = -np.eye(d)
        nan = np.eye(d)
        nan[0, 0] = math.nan
        out = super().bad(dims) + [("negative definite", negdef), ("a NaN entry", nan),
                                   ("not square", np.ones((d, d + 1)))]
        if d > 1:
            out.append(("not symmetric", nonsym))
        return out


@dataclasses.dataclass
class Fixed(Kind):
    """A value the tests do not vary (a callable built for the call, an object, a flag)."""

    make: Callable[[dict], Any]
    wrong: Sequence[Bad] = ()
    uses: tuple[str, ...] = ()     # the dimension symbols ``make`` reads

    def valid(self, draw, dims):
        return self.make(dims)

    def bad(self, dims):
        return list(self.wrong)


@dataclasses.dataclass
class Func(Kind):
    """A callable argument; ``make(dims)`` builds a valid one."""

    make: Callable[[dict], Callable]
    uses: tuple[str, ...] = ()

    def valid(self, draw, dims):
        return self.make(dims)

    def bad(self, dims):
        return [("None", None), ("a number", 3.0)]

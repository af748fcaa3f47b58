"""Argument kinds: how to draw a valid value of an argument, and which values are wrong for it.

A declaration (:func:`tests.contracts.registry.declare`) gives every argument of a public function a kind. The
property tests draw valid arguments from the kinds (with Hypothesis) and must get an answer; they replace one
argument at a time by a value its kind calls wrong and must get a ``ValueError`` that names that argument.

Shapes are written with symbols (``Array(("n", "d"))``): one draw picks every symbol's size once, so ``X`` of
shape (n, d) and ``y`` of shape (n,) agree. A wrong *shape* is one of the bad values: one more axis, an empty
array, and a size that breaks an agreement with another argument.

The kinds, by section:

- numbers and options: :class:`Real` (:func:`Positive`, :class:`RealOrInf`), :class:`Int`, :class:`Choice`,
  :class:`Flag`, :class:`Rng`;
- wrappers and fixed values: :class:`Optional`, :class:`Either`, :class:`Fixed`, :class:`Func`;
- arrays: :class:`Array` (:class:`Gaussian`), :class:`IntArray` (counts, states, class labels: :func:`Labels`),
  :class:`Mask`, :class:`Spins`, :class:`Increasing`, :class:`Boxes`, and lists: :class:`IntList`, :class:`Layers`;
- probabilities: :class:`ProbVector` (:class:`DecreasingProbVector`), :class:`Stochastic` (rows summing to 1),
  :class:`JointTable` (a table summing to 1), :class:`Components` (PCA's ``n_components``);
- matrices: :class:`SPD`, :class:`SPDStack`, :class:`CompactCov`, :class:`Symmetric`, :class:`Graph`.

Kinds whose valid values are the package's own objects (an MDP, episodes, a tabular policy) are in
:mod:`tests.contracts.kinds_objects`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Sequence

import numpy as np
from hypothesis import strategies as st

#: The range every symbolic dimension is drawn from unless a declaration says otherwise.
DEFAULT_DIMS = (1, 5)

Bad = tuple[str, Any]

#: Valid draws round magnitudes below this to 0 where 0 is in range. Hypothesis likes 1e-245, whose square
#: underflows: a column of it is "dependent" to any norm-based test, which says nothing about the argument checks.
TINY = 1e-100


def _no_tiny(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    if lo <= 0.0 <= hi:
        values = np.where(np.abs(values) < TINY, 0.0, values)
    return values          # (what is wrong, the value)


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


# -- helpers shared by the kinds ------------------------------------------------------------------------------

def _replace(good: np.ndarray, value, at: int = 0, dtype=None) -> np.ndarray:
    """A copy of ``good`` (as ``dtype``) with its entry ``at`` (flat index) set to ``value``."""
    out = np.array(good, dtype=dtype or good.dtype)
    out.flat[at] = value
    return out


def _shape_errors(good: np.ndarray, *, any_shape: bool = False, empty_ok: bool = False) -> list[Bad]:
    """The wrong shapes of an array like ``good``: one axis too many (unless ``any_shape``) and, for an array with
    axes, empty (unless ``empty_ok``)."""
    out = [] if any_shape else [("one axis too many", good[..., None])]
    if good.ndim and not empty_ok:
        out.append(("empty", np.zeros((0,) + good.shape[1:], dtype=good.dtype)))
    return out


def _disagreements(symbols: Sequence, sizes: Sequence[int], dims: dict, make: Callable, loose=()) -> list[Bad]:
    """A wrong value for each axis whose symbol another argument shares (but not a ``loose`` one): ``make(sizes)``
    with that axis one longer."""
    shared = set(dims.get("_shared", ())) - set(loose)
    out = []
    for axis, sym in enumerate(symbols):
        if isinstance(sym, str) and sym in shared:
            wrong = list(sizes)
            wrong[axis] += 1
            out.append((f"a size that disagrees with another argument on {sym}", make(tuple(wrong))))
    return out


def _simplex_rows(draw, rows: int, cols: int) -> np.ndarray:
    """A (rows, cols) matrix whose rows are probability vectors, every entry >= 0.05 / cols."""
    w = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=rows * cols, max_size=rows * cols)))
    w = w.reshape(rows, cols)
    return w / w.sum(axis=1, keepdims=True)


def _spd_stack(draw, k: int, d: int) -> np.ndarray:
    """``k`` symmetric positive-definite (d, d) matrices, shape (k, d, d): A A^T + I / 2."""
    A = np.array(draw(st.lists(st.floats(-1, 1), min_size=k * d * d, max_size=k * d * d))).reshape(k, d, d)
    return A @ np.swapaxes(A, 1, 2) + 0.5 * np.eye(d)[None]


# == numbers and options =======================================================================================

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
        return float(_no_tiny(np.array(draw(st.floats(a, b, allow_nan=False, allow_infinity=False,
                                                      allow_subnormal=False))), a, b))

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
class RealOrInf(Real):
    """A real in [low, high] or ``+inf`` (documented as allowed): ``+inf`` is among the valid draws, not the bad
    values."""

    def valid(self, draw, dims):
        return math.inf if draw(st.booleans()) else super().valid(draw, dims)

    def bad(self, dims):
        return [(label, v) for label, v in super().bad(dims) if label != "infinity"]


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
class Flag(Kind):
    """A boolean switch read for its truth: valid draws are ``False`` and ``True``; no value is declared wrong.
    (A switch that must be a bool is ``Choice((True, False))``: None and a string are then wrong.)"""

    def valid(self, draw, dims):
        return draw(st.booleans())

    def bad(self, dims):
        return []


@dataclasses.dataclass
class Rng(Kind):
    """The book's randomness convention: a non-negative int seed or a numpy Generator."""

    def valid(self, draw, dims):
        seed = draw(st.integers(0, 2**16))
        return seed if draw(st.booleans()) else np.random.default_rng(seed)

    def bad(self, dims):
        return [("None", None), ("a negative seed", -1), ("a fraction", 1.5), ("a string", "seed")]


# == wrappers and fixed values =================================================================================

@dataclasses.dataclass
class Optional(Kind):
    """``inner`` or ``None`` (the argument's documented default): valid draws are ``None`` or a valid ``inner``
    value; the bad values are ``inner``'s but ``None``."""

    inner: Kind
    optional = True

    def valid(self, draw, dims):
        return None if draw(st.booleans()) else self.inner.valid(draw, dims)

    def bad(self, dims):
        return [(label, value) for label, value in self.inner.bad(dims) if value is not None]

    def shape_symbols(self):
        return self.inner.shape_symbols()


@dataclasses.dataclass
class Either(Kind):
    """A value of any of ``kinds`` (``q_init``: a number or an (S, A) table); the bad values are theirs
    (deduplicated by label)."""

    kinds: tuple

    def __init__(self, *kinds: Kind):
        self.kinds = kinds

    def valid(self, draw, dims):
        return draw(st.sampled_from(self.kinds)).valid(draw, dims)

    def bad(self, dims):
        out, seen = [], set()
        for kind in self.kinds:
            for label, value in kind.bad(dims):
                if label not in seen:
                    seen.add(label)
                    out.append((label, value))
        return out

    def shape_symbols(self):
        return set().union(*(k.shape_symbols() for k in self.kinds))


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


# == arrays ====================================================================================================

@dataclasses.dataclass
class Array(Kind):
    """A float array of a symbolic shape with finite entries in [low, high]."""

    shape: tuple
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    integer: bool = False          # integer-valued draws (a fraction is not wrong: see IntArray for that)
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
        return _no_tiny(np.array(vals, dtype=float), lo, hi).reshape(shape)

    def bad(self, dims):
        shape = self._shape(dims)
        good = np.full(shape, self.low if self.low is not None and not self.low_open else
                       (self.low + 0.5 if self.low is not None else 0.0), dtype=float)
        if self.integer:
            good = good.astype(int)
        out = super().bad(dims)
        if self.finite and good.size:
            out.append(("a NaN entry", _replace(good, math.nan, dtype=float)))
            if not self.allow_inf:
                out.append(("an infinite entry", _replace(good, math.inf, at=-1, dtype=float)))
        out += _shape_errors(good, any_shape=self.any_shape, empty_ok=self.empty_ok)
        if self.low is not None and good.size:
            out.append(("an entry below the range", _replace(good, self.low - 1.0, dtype=float)))
        if self.high is not None and good.size:
            out.append(("an entry above the range", _replace(good, self.high + 1.0, dtype=float)))
        return out + _disagreements(self.shape, shape, dims, lambda s: np.zeros(s, good.dtype))


@dataclasses.dataclass
class Gaussian(Array):
    """An array of standard normals from a drawn seed: almost surely generic (full rank, distinct entries, no
    zero pivot), for functions whose documented domain excludes degenerate matrices."""

    scale: float = 1.0

    def valid(self, draw, dims):
        seed = draw(st.integers(0, 2**16))
        return self.scale * np.random.default_rng(seed).standard_normal(self._shape(dims))


@dataclasses.dataclass
class IntArray(Kind):
    """An integer array of a symbolic shape with entries in [low, high] (counts, numbers of trials, states, class
    labels: see :func:`Labels`); the bounds may name a dimension or be callables of the dims (listed in ``uses``).

    Options for labels:

    - ``present``: classes that appear at least once in every column (so the draw needs that many rows);
    - ``n_classes=(lo, hi)``: a labelling with between lo and hi distinct labels (``hi`` None: one per entry), the
      labels ``low``, ``low + 1``, ... all present; a labelling with one label (when ``lo > 1``) and one with
      every entry its own label (when ``hi`` is below the size) are wrong;
    - ``names``: the labels are names, any hashable values: valid draws are ints or strings, and no entry is
      wrong for its value (NaN, infinite, fractional or out of range).

    Wrong: None, a string, a NaN, an infinite or a fractional entry, an entry out of range, one axis too many
    (unless ``any_shape``), an empty array (unless ``empty_ok``), a size that disagrees with another argument.
    """

    shape: tuple
    low: int | str | Callable | None = None
    high: int | str | Callable | None = None
    uses: tuple[str, ...] = ()
    any_shape: bool = False
    empty_ok: bool = False
    draw: tuple | None = None      # the range valid entries are drawn from, when narrower than the valid range
    present: tuple | None = None
    n_classes: tuple | None = None
    names: bool = False

    def _shape(self, dims):
        return tuple(_resolve(s, dims) for s in self.shape)

    def valid(self, draw, dims):
        shape = self._shape(dims)
        size = int(np.prod(shape)) if shape else 1
        lo, hi = _resolve(self.low, dims), _resolve(self.high, dims)
        lo = lo if lo is not None else (hi - 10 if hi is not None else -5)
        hi = hi if hi is not None else lo + 10
        if self.draw is not None:
            lo, hi = (_resolve(v, dims) for v in self.draw)
        present = tuple(self.present or ())
        if self.n_classes is not None:
            c_lo, c_hi = (_resolve(c, dims) for c in self.n_classes)
            c = draw(st.integers(c_lo, size if c_hi is None else c_hi))
            lo = _resolve(self.low, dims) or 0
            hi, present = lo + c - 1, tuple(range(lo, lo + c))
        if present:                    # each column: the present classes and others, shuffled
            rows, cols = shape[0], []
            others = st.lists(st.integers(lo, hi), min_size=rows - len(present), max_size=rows - len(present))
            for _ in range(size // rows):
                cols.append(draw(st.permutations(list(present) + draw(others))))
            codes = np.array(cols, dtype=int).T.reshape(shape)
        else:
            codes = np.array(draw(st.lists(st.integers(lo, hi), min_size=size, max_size=size)), dtype=int)
            codes = codes.reshape(shape)
        if self.names and draw(st.booleans()):
            return np.array([f"c{v}" for v in codes.ravel()]).reshape(shape)
        return codes

    def bad(self, dims) -> list[Bad]:
        shape = self._shape(dims)
        lo, hi = _resolve(self.low, dims), _resolve(self.high, dims)
        good = np.full(shape, lo if lo is not None else 0, dtype=int)
        out = super().bad(dims)
        if good.size and not self.names:
            out += [("a NaN entry", _replace(good, math.nan, dtype=float)),
                    ("an infinite entry", _replace(good, math.inf, dtype=float)),
                    ("a fractional entry", _replace(good, good.flat[0] + 0.5, dtype=float))]
            if lo is not None:
                out.append(("an entry below the range", _replace(good, lo - 1)))
            if hi is not None:
                out.append(("an entry above the range", _replace(good, hi + 1)))
        if self.n_classes is not None:
            c_lo, c_hi = (_resolve(c, dims) for c in self.n_classes)
            if c_lo > 1:
                out.append(("a single label", np.zeros(shape, dtype=int)))
            if c_hi is not None and c_hi < good.size:
                out.append(("every entry its own label", np.arange(good.size).reshape(shape)))
        out += _shape_errors(good, any_shape=self.any_shape, empty_ok=self.empty_ok)
        fill = good.flat[0] if good.size else 0
        return out + _disagreements(self.shape, shape, dims, lambda s: np.full(s, fill))


def Labels(shape: tuple, k: int | str | Callable | None = None, **kw) -> IntArray:   # noqa: N802 - reads as a kind
    """Class labels: an :class:`IntArray` with entries in 0..k-1, ``k`` an int, a dimension symbol (``Labels(("T",),
    "V")``: observed symbols of a V-letter alphabet) or a callable of the dims; ``k=None``: no range (with
    ``names=True``, any hashable labels). Other options (``present``, ``n_classes``, ...) as :class:`IntArray`'s."""
    if k is None:
        return IntArray(shape, **kw)
    high = k - 1 if isinstance(k, int) else (lambda dims: _resolve(k, dims) - 1)
    uses = tuple(kw.pop("uses", ())) + ((k,) if isinstance(k, str) else ())
    return IntArray(shape, 0, high, uses=uses, **kw)


@dataclasses.dataclass
class Mask(Kind):
    """A boolean array of a symbolic shape (event indicators over outcomes or samples)."""

    shape: tuple
    any_shape: bool = False        # documented as "any shape": an extra axis is not wrong
    empty_ok: bool = False         # an empty mask is a valid input

    def _shape(self, dims):
        return tuple(_resolve(s, dims) for s in self.shape)

    def valid(self, draw, dims):
        shape = self._shape(dims)
        size = int(np.prod(shape)) if shape else 1
        return np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)), dtype=bool).reshape(shape)

    def bad(self, dims):
        shape = self._shape(dims)
        good = np.ones(shape, dtype=bool)
        out = super().bad(dims) + [("integers, not booleans", good.astype(int)),
                                   ("floats, not booleans", good.astype(float))]
        out += _shape_errors(good, any_shape=self.any_shape, empty_ok=self.empty_ok)
        return out + _disagreements(self.shape, shape, dims, lambda s: np.ones(s, dtype=bool))


@dataclasses.dataclass
class Spins(Kind):
    """A float array of -1/+1 spins of a symbolic shape (Ising configurations)."""

    shape: tuple
    optional: bool = False         # None is a valid value (a default start drawn by the function)
    any_shape: bool = False        # documented as (..., rows, cols): an extra axis is not wrong

    def valid(self, draw, dims):
        shape = tuple(_resolve(s, dims) for s in self.shape)
        size = int(np.prod(shape)) if shape else 1
        vals = draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=size, max_size=size))
        return np.array(vals, dtype=float).reshape(shape)

    def bad(self, dims):
        shape = tuple(_resolve(s, dims) for s in self.shape)
        good = np.ones(shape)
        out = super().bad(dims) + [(label, _replace(good, value)) for label, value in (
            ("a 0 entry", 0.0), ("a 2 entry", 2.0), ("a NaN entry", math.nan), ("an infinite entry", math.inf))]
        out += _shape_errors(good, any_shape=self.any_shape)
        return out + _disagreements(self.shape, shape, dims, np.ones)


@dataclasses.dataclass
class Increasing(Kind):
    """A 1-D array of ``size`` finite values, strictly increasing (``strict``) or non-decreasing, starting at
    ``first`` (drawn in [-3, 3] when None), with steps drawn from ``steps``. Wrong: None, a string, a NaN or an
    infinite entry, decreasing values (unless ``decreasing_ok``: a monotone grid either way), a repeated value
    (when ``strict``), one axis too many, an empty array, a size that disagrees with another argument; below
    ``low`` when set."""

    size: int | str
    strict: bool = True
    first: float | None = None
    low: float | None = None
    steps: tuple = (0.1, 1.0)
    decreasing_ok: bool = False

    def valid(self, draw, dims):
        n = _resolve(self.size, dims)
        start = self.first if self.first is not None else draw(st.floats(-3.0, 3.0))
        steps = draw(st.lists(st.floats(*self.steps), min_size=n - 1, max_size=n - 1))
        return start + np.concatenate([[0.0], np.cumsum(steps)])

    def bad(self, dims) -> list[Bad]:
        n = _resolve(self.size, dims)
        base = (self.low if self.low is not None else 0.0) + np.arange(float(n))
        out = super().bad(dims) + [("a NaN entry", _replace(base, math.nan)),
                                   ("an infinite entry", _replace(base, math.inf, at=-1))]
        out += _shape_errors(base)
        if n > 1:
            if not self.decreasing_ok:
                out.append(("decreasing", base[::-1].copy()))
            if self.strict:
                out.append(("a repeated value", _replace(base, base[0], at=1)))
        if self.low is not None:
            out.append(("an entry below the range", _replace(base, self.low - 1.0)))
        return out + _disagreements((self.size,), (n,), dims, lambda s: (self.low or 0.0) + np.arange(float(s[0])))


@dataclasses.dataclass
class Boxes(Kind):
    """``rows`` axis-aligned boxes (x1, y1, x2, y2) with x2 >= x1, y2 >= y1 (zero-area boxes are valid)."""

    rows: int | str

    def valid(self, draw, dims):
        m = _resolve(self.rows, dims)
        vals = draw(st.lists(st.floats(0.0, 5.0, allow_nan=False, allow_subnormal=False),
                             min_size=4 * m, max_size=4 * m))
        v = np.array(vals, dtype=float).reshape(m, 4)
        return np.column_stack([v[:, 0], v[:, 1], v[:, 0] + v[:, 2], v[:, 1] + v[:, 3]])

    def bad(self, dims):
        m = _resolve(self.rows, dims)
        good = np.tile([0.0, 0.0, 1.0, 1.0], (m, 1))
        out = super().bad(dims) + [("a NaN entry", _replace(good, math.nan)),
                                   ("an infinite entry", _replace(good, math.inf, at=-1)),
                                   ("three columns", good[:, :3]), ("x2 < x1", _replace(good, 2.0))]
        out += _shape_errors(good)
        return out + _disagreements((self.rows,), (m,), dims, lambda s: np.tile(good[:1], (s[0], 1)))

    def shape_symbols(self):
        return {self.rows} if isinstance(self.rows, str) else set()


@dataclasses.dataclass
class IntList(Kind):
    """A non-empty list of integers in [low, high] (``high`` may name a dimension): candidate sizes, seeds."""

    low: int | str | Callable
    high: int | str | Callable | None = None
    max_size: int = 3

    def valid(self, draw, dims):
        lo, hi = _resolve(self.low, dims), _resolve(self.high, dims)
        hi = lo + 10 if hi is None else hi
        return draw(st.lists(st.integers(lo, hi), min_size=1, max_size=self.max_size))

    def bad(self, dims):
        lo, hi = _resolve(self.low, dims), _resolve(self.high, dims)
        out = super().bad(dims) + [("an empty list", []), ("a fraction inside", [lo, 1.5]), ("a number", 3.0),
                                   ("below the range inside", [lo - 1])]
        if hi is not None:
            out.append(("above the range inside", [hi + 1]))
        return out


@dataclasses.dataclass
class Layers(Kind):
    """A list of weight matrices (n_1, n_0), (n_2, n_1), ..., (n_k, n_{k-1}) that chain (an MLP's layers).

    ``inputs`` is n_0 (a dimension symbol or an int), ``outputs`` fixes n_k when given; ``depth`` and ``width``
    are the ranges of k and of the hidden widths drawn. Entries are drawn from [-2, 2]. Wrong: None, a string, no
    layers, layers that do not chain, a NaN entry, a layer with three axes, a last layer of the wrong width
    (when ``outputs`` is given), and a first layer that disagrees with another argument on ``inputs``.
    """

    inputs: int | str
    outputs: int | None = None
    depth: tuple = (1, 3)
    width: tuple = (1, 4)

    def shape_symbols(self):
        return {self.inputs} if isinstance(self.inputs, str) else set()

    def valid(self, draw, dims):
        n0 = _resolve(self.inputs, dims)
        depth = draw(st.integers(*self.depth))
        widths = [n0] + draw(st.lists(st.integers(*self.width), min_size=depth - 1, max_size=depth - 1))
        widths.append(self.outputs if self.outputs is not None else draw(st.integers(*self.width)))
        out = []
        for n_in, n_out in zip(widths[:-1], widths[1:]):
            vals = draw(st.lists(st.floats(-2, 2), min_size=n_in * n_out, max_size=n_in * n_out))
            out.append(np.array(vals, dtype=float).reshape(n_out, n_in))
        return out

    def bad(self, dims):
        n0 = _resolve(self.inputs, dims)
        last = self.outputs if self.outputs is not None else 2
        out = super().bad(dims) + [("no layers", []),
                                   ("layers that do not chain", [np.ones((3, n0)), np.ones((last, 4))]),
                                   ("a NaN entry", [_replace(np.ones((last, n0)), math.nan)]),
                                   ("a layer with three axes", [np.ones((last, n0, 1))])]
        if self.outputs is not None:
            out.append(("a last layer of the wrong width", [np.ones((self.outputs + 1, n0))]))
        return out + _disagreements((self.inputs,), (n0,), dims, lambda s: [np.ones((last, s[0]))])


# == probabilities =============================================================================================

@dataclasses.dataclass
class ProbVector(Kind):
    """A probability vector of length ``size`` (non-negative, summing to 1)."""

    size: int | str
    any_shape: bool = False        # broadcasts along the last axis: an extra leading axis is not wrong

    def valid(self, draw, dims):
        return _simplex_rows(draw, 1, _resolve(self.size, dims))[0]

    def bad(self, dims):
        n = _resolve(self.size, dims)
        half = np.full(n, 0.5 / n)
        neg = np.full(n, 1.0 / n)
        if n > 1:
            neg[0], neg[1] = -0.5, neg[1] + 0.5 + 1.0 / n
        else:
            neg = np.array([-1.0])
        out = super().bad(dims) + [("summing to 0.5", half), ("a negative entry", neg),
                                   ("a NaN entry", _replace(np.full(n, 1.0 / n), math.nan))]
        if not self.any_shape:
            out.append(("one axis too many", np.full((1, n), 1.0 / n)))
        return out


@dataclasses.dataclass
class DecreasingProbVector(ProbVector):
    """A probability vector in decreasing order (explained variance ratios); an increasing one is wrong."""

    def valid(self, draw, dims):
        return np.sort(super().valid(draw, dims))[::-1].copy()

    def bad(self, dims):
        n = _resolve(self.size, dims)
        out = super().bad(dims)
        if n > 1:
            inc = np.arange(1.0, n + 1.0)
            out.append(("increasing", inc / inc.sum()))
        return out


@dataclasses.dataclass
class Stochastic(Kind):
    """A matrix of shape ``shape = (rows, cols)`` whose rows are probability vectors (a transition matrix, an
    emission table, responsibilities, soft targets, topic-word tables).

    Valid draws have every entry >= 0.05 / cols (positive: every chain drawn is irreducible and aperiodic).
    ``loose``: shared symbols whose disagreement is not wrong (an emission table may have more symbols than the
    observations use). Wrong: None, a string, a NaN, an infinite or a negative entry, rows summing to 0.5, one axis
    too many or too few, an empty matrix, not square (when both symbols are the same), a size that disagrees with
    another argument (a square matrix: one more row and column).
    """

    shape: tuple
    loose: tuple = ()

    def valid(self, draw, dims):
        rows, cols = (_resolve(s, dims) for s in self.shape)
        return _simplex_rows(draw, rows, cols)

    def bad(self, dims):
        rows, cols = (_resolve(s, dims) for s in self.shape)
        good = np.full((rows, cols), 1.0 / cols)
        neg = good.copy()
        if cols > 1:
            neg[0, 0], neg[0, 1] = -0.5, neg[0, 1] + neg[0, 0] + 0.5
        else:
            neg[0, 0] = -1.0
        out = super().bad(dims) + [("a NaN entry", _replace(good, math.nan)),
                                   ("an infinite entry", _replace(good, math.inf, at=-1)),
                                   ("a negative entry", neg), ("rows summing to 0.5", good * 0.5),
                                   ("one axis too few", good[0])]
        out += _shape_errors(good)
        if self.shape[0] == self.shape[1]:
            out.append(("not square", np.full((rows, cols + 1), 1.0 / (cols + 1))))
            return out + _disagreements(self.shape[:1], (rows,), dims, lambda s: np.full((s[0], s[0]), 1.0 / s[0]),
                                        self.loose)
        return out + _disagreements(self.shape, (rows, cols), dims, lambda s: np.full(s, 1.0 / s[1]), self.loose)


@dataclasses.dataclass
class JointTable(Kind):
    """A joint probability table ``J[i, j] = P(X = i, Y = j)`` of shape ``shape`` (2 symbols): entries >= 0
    summing to 1. Valid draws have every entry > 0 (no marginal is 0)."""

    shape: tuple

    def _shape(self, dims):
        return tuple(_resolve(s, dims) for s in self.shape)

    def valid(self, draw, dims):
        shape = self._shape(dims)
        return _simplex_rows(draw, 1, int(np.prod(shape))).reshape(shape)

    def bad(self, dims):
        shape = self._shape(dims)
        good = np.full(shape, 1.0 / np.prod(shape))
        neg = good.copy()
        neg.flat[-1] += 0.5 + neg.flat[0]
        neg.flat[0] = -0.5           # still sums to 1
        if neg.size == 1:
            neg = np.array([[-1.0]])
        return super().bad(dims) + [
            ("a NaN entry", _replace(good, math.nan)), ("an infinite entry", _replace(good, math.inf, at=-1)),
            ("a negative entry", neg), ("summing to 0.5", good / 2), ("one axis too many", good[..., None]),
            ("one axis too few", good.ravel()), ("empty", np.zeros((0, shape[1]))),
        ]


@dataclasses.dataclass
class Components(Kind):
    """PCA's ``n_components``: ``None``, an int in [0, high], or a float in (0, 1)."""

    high: int | str | Callable[[dict], Any]

    def valid(self, draw, dims):
        which = draw(st.sampled_from(["none", "int", "float"]))
        if which == "none":
            return None
        if which == "int":
            return draw(st.integers(0, _resolve(self.high, dims)))
        return draw(st.floats(0.05, 0.95))

    def bad(self, dims):
        hi = _resolve(self.high, dims)
        return [("a string", "seven"), ("a negative int", -1), ("above the rank", hi + 1), ("a float above 1", 1.5),
                ("NaN", math.nan), ("infinity", math.inf), ("a negative float", -0.5)]


# == matrices ==================================================================================================

@dataclasses.dataclass
class SPD(Kind):
    """A symmetric positive-definite matrix of size ``dim``."""

    dim: int | str

    def valid(self, draw, dims):
        d = _resolve(self.dim, dims)
        A = np.array(draw(st.lists(st.floats(-1, 1), min_size=d * d, max_size=d * d))).reshape(d, d)
        return A @ A.T + 0.5 * np.eye(d)       # (not _spd_stack: A @ A.T is exactly symmetric)

    def bad(self, dims):
        d = _resolve(self.dim, dims)
        nonsym = np.eye(d) * 2.0
        if d > 1:
            nonsym[0, 1] = 1.0
        out = super().bad(dims) + [("negative definite", -np.eye(d)), ("a NaN entry", _replace(np.eye(d), math.nan)),
                                   ("not square", np.ones((d, d + 1)))]
        if d > 1:
            out.append(("not symmetric", nonsym))
        return out


@dataclasses.dataclass
class SPDStack(Kind):
    """``k`` symmetric positive-definite matrices, shape (k, d, d); ``structure=False`` when only the shape and
    finiteness are promised (a function that only reshapes)."""

    k: str
    dim: str
    structure: bool = True

    def shape_symbols(self):
        return {self.k, self.dim}

    def valid(self, draw, dims):
        return _spd_stack(draw, _resolve(self.k, dims), _resolve(self.dim, dims))

    def bad(self, dims):
        k, d = _resolve(self.k, dims), _resolve(self.dim, dims)
        eye = np.repeat(np.eye(d)[None], k, axis=0)
        out = super().bad(dims) + [("a NaN entry", _replace(eye, math.nan)), ("one axis too few", np.eye(d)),
                                   ("one axis too many", eye[..., None]), ("empty", np.zeros((0, d, d))),
                                   ("not square", np.ones((k, d, d + 1)))]
        if self.structure:
            out.append(("negative definite", -eye))
            if d > 1:
                out.append(("not symmetric", _replace(2.0 * eye, 1.0, at=1)))
        return out + _disagreements((self.k, self.dim), (k, d), dims,
                                    lambda s: np.repeat(np.eye(s[1])[None], s[0], axis=0))


COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


@dataclasses.dataclass
class CompactCov(Kind):
    """Covariances in the compact storage of the covariance type ``COVARIANCE_TYPES[dims[type_sym]]``: "full"
    (k, d, d), "tied" (d, d), "diag" (k, d), "spherical" (k,). Wrong: None, a string, a NaN entry, an axis too
    many, and one component too many (one dimension too many for "tied")."""

    type_sym: str
    k: str
    dim: str

    def shape_symbols(self):
        return {self.type_sym, self.k, self.dim}

    def _shape(self, dims, dk=0, dd=0):
        k, d = _resolve(self.k, dims) + dk, _resolve(self.dim, dims) + dd
        return {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[
            COVARIANCE_TYPES[dims[self.type_sym]]]

    def valid(self, draw, dims):
        ctype = COVARIANCE_TYPES[dims[self.type_sym]]
        k, d = _resolve(self.k, dims), _resolve(self.dim, dims)
        if ctype in ("full", "tied"):
            S = _spd_stack(draw, k if ctype == "full" else 1, d)
            return S if ctype == "full" else S[0]
        shape = self._shape(dims)
        size = int(np.prod(shape))
        return np.array(draw(st.lists(st.floats(0.1, 5.0), min_size=size, max_size=size))).reshape(shape)

    def bad(self, dims):
        good = np.ones(self._shape(dims))
        more = self._shape(dims, dk=1) if COVARIANCE_TYPES[dims[self.type_sym]] != "tied" else self._shape(dims, dd=1)
        return super().bad(dims) + [("a NaN entry", _replace(good, math.nan)), ("one axis too many", good[..., None]),
                                    ("one component too many", np.ones(more))]


@dataclasses.dataclass
class Symmetric(Kind):
    """A symmetric (``dim``, ``dim``) matrix with entries in [-``scale``, ``scale``].

    With ``separated=True`` the valid draws are :math:`Q \\operatorname{diag}(\\lambda) Q^\\top` with a random
    orthogonal :math:`Q` and eigenvalues of moduli 1, 2, ..., dim and random signs: no two eigenvalues share a
    modulus, so power iteration and deflation converge. Wrong: None, a string, a NaN or infinite entry, not
    square, not symmetric, an extra axis, empty, a size that disagrees with another argument.
    """

    dim: int | str
    separated: bool = False
    scale: float = 5.0

    def valid(self, draw, dims):
        d = _resolve(self.dim, dims)
        M = np.array(draw(st.lists(st.floats(-1, 1), min_size=d * d, max_size=d * d))).reshape(d, d)
        if not self.separated:
            return (M + M.T) * (self.scale / 2)
        Q, _ = np.linalg.qr(M)                        # orthogonal for any M (Householder)
        signs = np.array([1.0 if s else -1.0 for s in draw(st.lists(st.booleans(), min_size=d, max_size=d))])
        lam = signs * np.arange(1.0, d + 1.0)
        S = (Q * lam) @ Q.T
        return (S + S.T) / 2

    def bad(self, dims):
        d = _resolve(self.dim, dims)
        eye = np.eye(d)
        out = super().bad(dims) + [("a NaN entry", _replace(eye, math.nan)),
                                   ("an infinite entry", _replace(eye, math.inf, at=-1)),
                                   ("not square", np.ones((d, d + 1))), ("one axis too many", eye[..., None]),
                                   ("empty", np.zeros((0, 0)))]
        if d > 1:
            out.append(("not symmetric", _replace(2.0 * eye, 1.0, at=1)))
        return out + _disagreements((self.dim,), (d,), dims, lambda s: np.eye(s[0]))


@dataclasses.dataclass
class Graph(Kind):
    """A weighted undirected graph: a symmetric (n, n) matrix with entries in [0, 1], every degree > 0."""

    size: str

    def valid(self, draw, dims):
        n = _resolve(self.size, dims)
        A = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n * n, max_size=n * n))).reshape(n, n)
        W = (A + A.T) / 2
        if n == 1:
            return W + 0.5                                         # a self-loop: the only way to a positive degree
        np.fill_diagonal(W, 0.0)
        return W + 0.05 * (1 - np.eye(n))                            # every vertex linked to every other

    def bad(self, dims):
        n = _resolve(self.size, dims)
        good = np.ones((n, n))
        out = super().bad(dims) + [("a NaN entry", _replace(good, math.nan)),
                                   ("a negative entry", _replace(good, -1.0)), ("not square", np.ones((n, n + 1))),
                                   ("one axis too many", good[..., None]),
                                   ("empty", np.zeros((0, 0)))]
        if n > 1:
            out.append(("not symmetric", _replace(good, 2.0, at=1)))
        return out

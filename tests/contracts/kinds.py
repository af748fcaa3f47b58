"""Argument kinds: how to draw a valid value of an argument, and which values are wrong for it.

A declaration (:func:`tests.contracts.registry.declare`) gives every argument of a public function a kind. The
property tests draw valid arguments from the kinds (with Hypothesis) and must get an answer; they replace one
argument at a time by a value its kind calls wrong and must get a ``ValueError`` that names that argument.

Shapes are written with symbols (``Array(("n", "d"))``): one draw picks every symbol's size once, so ``X`` of
shape (n, d) and ``y`` of shape (n,) agree. A wrong *shape* is one of the bad values: one more axis, an empty
array, and a size that breaks an agreement with another argument.

The kinds, by section:

- numbers and options: :class:`Real` (:func:`Positive`, :class:`RealOrInf`), :class:`Int`, :class:`Choice`,
  :class:`Flag`, :class:`Rng`, :class:`Interval` (plot limits), :class:`MaxFeatures` (a tree's ``max_features``);
- text: :class:`Text` (a label, a name), :class:`Sentence` (a text of words), :class:`Texts` (a corpus);
- wrappers and fixed values: :class:`Optional`, :class:`Either`, :class:`Fixed`, :class:`Func`, :class:`Anything`;
- arrays: :class:`Array` (:class:`Gaussian`, :class:`SortedRows`, :class:`WithMissing`), :class:`IntArray` (counts,
  states, class labels: :func:`Labels`), :class:`Observations`, two-class labels (:class:`TwoLabels`,
  :class:`Signs`), :class:`Mask`, :class:`BinaryMask`, :class:`Spins` (:func:`BinaryStates`), :class:`Increasing`,
  :class:`Boxes`, :class:`IntBoxes`, :class:`Image`;
- lists, shapes and trees: :class:`IntList` (:func:`Widths`), :class:`IntSeq`, :class:`ItemSets`, :class:`Layers`,
  :class:`ArrayList`, :class:`MaskList`, :class:`Shape`, :class:`Tree` (dicts and lists of arrays: a model's
  parameters, its gradients);
- probabilities: :class:`ProbVector` (:class:`DecreasingProbVector`), :class:`Stochastic` (rows summing to 1),
  :class:`TransitionTensor` (an MDP's ``P[s, a, s']``), :class:`JointTable` (a table summing to 1),
  :class:`Components` (PCA's ``n_components``);
- matrices: :class:`SPD`, :class:`SPDStack`, :class:`CompactCov`, :class:`Symmetric` (Gram matrices too),
  :class:`Graph`, :class:`Affinities` (t-SNE's), :class:`SqDistances`.

Kinds whose valid values are the package's own objects (an MDP, episodes, a tic-tac-toe board, a batch of
transitions, a widget control) are in :mod:`tests.contracts.kinds_objects`; those of its neural networks (a stack's
layer parameters, attention masks, a Boltzmann machine's weights, autodiff operands) in
:mod:`tests.contracts.kinds_nn`.
"""

from __future__ import annotations

import copy
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


@dataclasses.dataclass
class Interval(Kind):
    """A pair ``(low, high)`` of finite reals with ``low < high`` (plot limits); valid draws in [-5, 5]."""

    def valid(self, draw, dims):
        lo = draw(st.floats(-5.0, 4.0))
        return (lo, lo + draw(st.floats(0.5, 5.0)))

    def bad(self, dims):
        return [("None", None), ("a string", "seven"), ("a number", 3.0), ("one number", (0.0,)),
                ("decreasing", (1.0, 0.0)), ("empty", (1.0, 1.0)), ("a NaN end", (0.0, math.nan)),
                ("an infinite end", (0.0, math.inf))]


@dataclasses.dataclass
class MaxFeatures(Kind):
    """A tree's ``max_features``: None, an int in [1, ``high``], a float in (0, 1] or ``"sqrt"``. ``high`` is a
    callable of the dims (the number of columns), so it shares no symbol: a wider X is still valid for it. Wrong: a
    string other than "sqrt", 0, an int above ``high``, a float above 1, 0.0, NaN, infinity, a negative float."""

    high: Callable[[dict], int]
    optional = True

    def valid(self, draw, dims):
        which = draw(st.sampled_from(["none", "int", "float", "sqrt"]))
        if which == "none":
            return None
        if which == "int":
            return draw(st.integers(1, _resolve(self.high, dims)))
        return draw(st.floats(0.05, 1.0)) if which == "float" else "sqrt"

    def bad(self, dims):
        return [("a string", "seven"), ("0", 0), ("above the columns", _resolve(self.high, dims) + 1),
                ("a float above 1", 1.5), ("0.0", 0.0), ("NaN", math.nan), ("infinity", math.inf),
                ("a negative float", -0.5)]


# == text ======================================================================================================

@dataclasses.dataclass
class Text(Kind):
    """A string (a label, a name, a description): valid draws from ``options``. Wrong: None (unless ``optional``: a
    label left out), a number, and ``extra`` (label, value) pairs."""

    options: tuple = ("x",)
    extra: tuple = ()
    optional: bool = False

    def valid(self, draw, dims):
        return draw(st.sampled_from(list(self.options)))

    def bad(self, dims):
        return ([] if self.optional else [("None", None)]) + [("a number", 3.0)] + list(self.extra)


WORDS = ("the", "cat", "sat", "on", "mat", "dog", "ran", "far", "sun", "is", "hot")


def _sentence(draw, min_words: int = 1) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=min_words, max_size=6))
    return " ".join(words) + draw(st.sampled_from([".", "!", "?", ""]))


@dataclasses.dataclass
class Sentence(Kind):
    """A text of words (a question, a text to tokenize or chunk); ``empty_ok``: the empty text too. Wrong: None, a
    number, a list of words, bytes."""

    empty_ok: bool = False

    def valid(self, draw, dims):
        if self.empty_ok and draw(st.booleans()):
            return draw(st.sampled_from(["", "   "]))
        return _sentence(draw, 2)

    def bad(self, dims):
        return [("None", None), ("a number", 3.0), ("a list of words", ["the", "cat"]), ("bytes", b"the cat")]


@dataclasses.dataclass
class Texts(Kind):
    """A list of ``size`` texts (a corpus, queries, passages), each with at least one token of two letters
    (``tokens``: a text without such tokens anywhere is wrong as well). Wrong: None, a single string, a number, an
    empty list, a non-string inside, a size that disagrees with another argument."""

    size: int | str
    tokens: bool = False

    def valid(self, draw, dims):
        return [_sentence(draw, 2) for _ in range(_resolve(self.size, dims))]

    def bad(self, dims):
        n = _resolve(self.size, dims)
        out = [("None", None), ("a single string", "the cat sat"), ("a number", 3.0), ("an empty list", []),
               ("a non-string inside", ["the cat"] * (n - 1) + [3.0])]
        if self.tokens:
            out.append(("no token of two letters", ["a b c !"] * n))
        return out + _disagreements((self.size,), (n,), dims, lambda s: ["the cat"] * s[0])


# == wrappers and fixed values =================================================================================

@dataclasses.dataclass
class Optional(Kind):
    """``inner`` or ``None`` (the argument's documented default): valid draws are ``None`` or a valid ``inner``
    value (any value: an array, a tuple of arrays of different shapes); the bad values are ``inner``'s but ``None``.
    A call that draws ``None`` has no sizes for another argument to disagree with, but the bad values of the
    argument itself keep its disagreements (:meth:`~tests.contracts.registry.Declaration.bad_values`)."""

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
    """A value the tests do not vary (a callable built for the call, an object, a flag, a shape), ``make(dims)``;
    its wrong values are ``wrong``, or ``wrong(dims)`` when they depend on the sizes."""

    make: Callable[[dict], Any]
    wrong: Sequence[Bad] | Callable[[dict], Sequence[Bad]] = ()
    uses: tuple[str, ...] = ()     # the dimension symbols ``make`` (and ``wrong``) read

    def valid(self, draw, dims):
        return self.make(dims)

    def bad(self, dims):
        return list(self.wrong(dims) if callable(self.wrong) else self.wrong)


@dataclasses.dataclass
class Func(Kind):
    """A callable argument; ``make(dims)`` builds a valid one."""

    make: Callable[[dict], Callable]
    uses: tuple[str, ...] = ()

    def valid(self, draw, dims):
        return self.make(dims)

    def bad(self, dims):
        return [("None", None), ("a number", 3.0)]


_ANY = (0.5, -2.0, 0.0, 3, True, "text", None, (1.0, 2), [0.25, 1], {"a": 1.5, "b": (2, False)})


@dataclasses.dataclass
class Anything(Kind):
    """An argument every value is valid for (what ``perturb`` or ``compare`` take): numbers, arrays, containers,
    strings, None; no value is wrong."""

    def valid(self, draw, dims):
        which = draw(st.integers(0, len(_ANY)))
        if which == len(_ANY):
            return np.array(draw(st.lists(st.floats(-5, 5), min_size=1, max_size=4)))
        return _ANY[which]

    def bad(self, dims):
        return []


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
class SortedRows(Array):
    """An :class:`Array` whose rows (last axis) are non-decreasing (neighbour distances, nearest first); a
    decreasing row is wrong as well."""

    def valid(self, draw, dims):
        return np.sort(super().valid(draw, dims), axis=-1)

    def bad(self, dims):
        out = super().bad(dims)
        shape = self._shape(dims)
        if shape and shape[-1] > 1:
            base = (self.low or 0.0) + np.broadcast_to(np.arange(float(shape[-1])), shape)
            out.append(("a decreasing row", base[..., ::-1].copy()))
        return out


@dataclasses.dataclass
class WithMissing(Array):
    """An :class:`Array` in which NaN marks a missing value: valid draws hold NaN entries (about one in five);
    infinite entries are wrong, NaN ones are not."""

    def valid(self, draw, dims):
        out = np.array(super().valid(draw, dims), dtype=float)
        holes = draw(st.lists(st.booleans(), min_size=out.size, max_size=out.size))
        keep = draw(st.integers(0, 4))                     # most draws have a few holes, some none
        return np.where(np.array(holes, dtype=bool).reshape(out.shape) & (keep > 0) & (np.arange(out.size)
                        .reshape(out.shape) % 5 == keep % 5), np.nan, out)

    def bad(self, dims):
        out = [(label, v) for label, v in Array.bad(dataclasses.replace(self, finite=False), dims)]
        good = np.zeros(self._shape(dims))
        if good.size:
            out.append(("an infinite entry", _replace(good, math.inf, at=-1)))
        return out


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
class Observations(Kind):
    """The observation of each of ``states`` states, shape (S,), ints in ``0 .. O-1`` with every one of the
    ``n_obs`` observations used by some state (aliased states; declare dims with O <= S). Wrong: None, a string, a
    NaN, a fractional or a negative entry, one axis too many, empty, a size that disagrees with another argument
    on S."""

    states: str = "S"
    n_obs: str = "O"

    @property
    def uses(self):
        return (self.states, self.n_obs)

    def valid(self, draw, dims):
        S, O = dims[self.states], dims[self.n_obs]
        O = min(O, S)
        rest = draw(st.lists(st.integers(0, O - 1), min_size=S - O, max_size=S - O))
        return np.array(draw(st.permutations(list(range(O)) + rest)), dtype=int)

    def bad(self, dims):
        S = dims[self.states]
        good = np.zeros(S, dtype=int)
        out = super().bad(dims) + [("a NaN entry", _replace(good, math.nan, dtype=float)),
                                   ("a fractional entry", _replace(good, 0.5, dtype=float)),
                                   ("a negative entry", _replace(good, -1))]
        out += _shape_errors(good)
        return out + _disagreements((self.states,), (S,), dims, lambda s: np.zeros(s, dtype=int))


#: The pairs of labels :class:`TwoLabels` draws: numbers, and with ``names`` strings too.
_NUMBER_PAIRS = ((0, 1), (1, 0), (-1, 1), (0.5, 2.0))
_NAME_PAIRS = ((0, 1), (-1, 1), (2.5, 0.5), ("no", "yes"))


@dataclasses.dataclass
class TwoLabels(Kind):
    """Labels of a binary problem, shape (``size``,): exactly two distinct values, both present (0/1, -1/1 or two
    other numbers; with ``names``, any sortable labels: strings too). Wrong: None, a string, a NaN entry, an
    infinite entry (unless ``names``: an infinite number is then a label like another), one class only, three
    classes (when the size allows), one axis too many, an empty array, a size that disagrees with another
    argument."""

    size: str
    names: bool = False

    def valid(self, draw, dims):
        n = _resolve(self.size, dims)
        a, b = draw(st.sampled_from(_NAME_PAIRS if self.names else _NUMBER_PAIRS))
        rest = draw(st.lists(st.booleans(), min_size=n - 2, max_size=n - 2))
        codes = np.array(draw(st.permutations([False, True] + rest)))
        return np.where(codes, b, a)

    def bad(self, dims):
        n = _resolve(self.size, dims)
        good = np.r_[0, np.ones(n - 1, dtype=int)]            # n >= 2: both classes present
        out = super().bad(dims) + [("a NaN entry", _replace(good, math.nan, dtype=float))]
        if not self.names:
            out.append(("an infinite entry", _replace(good, math.inf, at=-1, dtype=float)))
        out.append(("one class only", np.zeros(n, dtype=int)))
        if n >= 3:
            out.append(("three classes", np.arange(n) % 3))
        out += _shape_errors(good)
        return out + _disagreements((self.size,), (n,), dims, lambda s: np.r_[0, np.ones(s[0] - 1, dtype=int)])


@dataclasses.dataclass
class Signs(Kind):
    """Labels in {-1, +1}, shape (``size``,) (``both``: each present, so the draw needs ``size >= 2``). Wrong: None,
    a string, a NaN or an infinite entry, a 0 entry, 0/1 labels, one class only (when ``both``), one axis too many,
    an empty array, a size that disagrees with another argument."""

    size: str
    both: bool = True

    def valid(self, draw, dims):
        n = _resolve(self.size, dims)
        signs = draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n))
        if self.both:
            signs[:2] = [-1.0, 1.0]
            signs = draw(st.permutations(signs))
        return np.array(signs, dtype=float)

    def bad(self, dims):
        n = _resolve(self.size, dims)
        good = np.where(np.arange(n) % 2 == 0, -1.0, 1.0)
        out = super().bad(dims) + [("a NaN entry", _replace(good, math.nan)),
                                   ("an infinite entry", _replace(good, math.inf, at=-1)),
                                   ("a 0 entry", _replace(good, 0.0)), ("0/1 labels", (good > 0).astype(float))]
        if self.both:
            out.append(("one class only", np.ones(n)))
        out += _shape_errors(good)
        return out + _disagreements((self.size,), (n,), dims, lambda s: np.where(np.arange(s[0]) % 2, 1.0, -1.0))


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
class BinaryMask(Kind):
    """A binary mask of a symbolic shape (a segmentation): bool or 0/1 integers (both drawn). Wrong: None, a
    string, a 2 entry, a 0.5 entry, a NaN entry, one axis too few, empty, a size that disagrees with another
    argument."""

    shape: tuple

    def _shape(self, dims):
        return tuple(_resolve(s, dims) for s in self.shape)

    def valid(self, draw, dims):
        shape = self._shape(dims)
        size = int(np.prod(shape))
        m = np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)), dtype=bool).reshape(shape)
        return m if draw(st.booleans()) else m.astype(int)

    def bad(self, dims):
        shape = self._shape(dims)
        good = np.ones(shape, dtype=int)
        out = super().bad(dims) + [("a 2 entry", _replace(good, 2)), ("a 0.5 entry", _replace(good, 0.5, dtype=float)),
                                   ("a NaN entry", _replace(good, math.nan, dtype=float)),
                                   ("one axis too few", good.reshape(-1)),
                                   ("empty", np.zeros((0,) + shape[1:], dtype=int))]
        return out + _disagreements(self.shape, shape, dims, lambda s: np.ones(s, dtype=int))


@dataclasses.dataclass
class Spins(Kind):
    """A float array of a symbolic shape whose entries are the two ``values``: -1/+1 spins (Ising configurations),
    or 0/1 states of binary units (:func:`BinaryStates`). Wrong: None, a string, an entry half-way between the
    values, a 2 entry, a NaN and an infinite entry, one axis too many (unless ``any_shape``), empty, a size that
    disagrees with another argument."""

    shape: tuple
    optional: bool = False         # None is a valid value (a default start drawn by the function)
    any_shape: bool = False        # documented as (..., rows, cols): an extra axis is not wrong
    values: tuple = (-1.0, 1.0)

    def valid(self, draw, dims):
        shape = tuple(_resolve(s, dims) for s in self.shape)
        size = int(np.prod(shape)) if shape else 1
        vals = draw(st.lists(st.sampled_from(list(self.values)), min_size=size, max_size=size))
        return np.array(vals, dtype=float).reshape(shape)

    def bad(self, dims):
        shape = tuple(_resolve(s, dims) for s in self.shape)
        good = np.ones(shape)
        middle = sum(self.values) / 2
        out = super().bad(dims) + [(label, _replace(good, value)) for label, value in (
            (f"a {middle:g} entry", middle), ("a 2 entry", 2.0), ("a NaN entry", math.nan),
            ("an infinite entry", math.inf))]
        out += _shape_errors(good, any_shape=self.any_shape)
        return out + _disagreements(self.shape, shape, dims, np.ones)


def BinaryStates(shape: tuple, **kw) -> Spins:     # noqa: N802 - reads as a kind
    """States of binary units (a Boltzmann machine's), floats 0.0 and 1.0: :class:`Spins` with those values."""
    return Spins(shape, values=(0.0, 1.0), **kw)


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
    """``rows`` axis-aligned boxes (x1, y1, x2, y2) with x2 >= x1, y2 >= y1 (zero-area boxes are valid);
    ``empty_ok``: no boxes at all (shape (0, 4): nothing detected) is a valid set too."""

    rows: int | str
    empty_ok: bool = False

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
        out += _shape_errors(good, empty_ok=self.empty_ok)
        return out + _disagreements((self.rows,), (m,), dims, lambda s: np.tile(good[:1], (s[0], 1)))

    def shape_symbols(self):
        return {self.rows} if isinstance(self.rows, str) else set()


@dataclasses.dataclass
class IntBoxes(Kind):
    """``rows`` integer corner boxes (x1, y1, x2, y2), 0 <= x1 <= x2 <= size (``size`` a dimension symbol: the side
    of a raster), the same for y. Wrong: None, a string, a NaN, an infinite, a fractional or a negative coordinate,
    x2 < x1, three columns, one axis too many, a size that disagrees with another argument."""

    rows: int | str
    size: str = "L"

    def shape_symbols(self):
        return ({self.rows} if isinstance(self.rows, str) else set()) | {self.size}

    def valid(self, draw, dims):
        m, L = _resolve(self.rows, dims), dims[self.size]
        out = []
        for _ in range(m):
            x1, y1 = draw(st.integers(0, L)), draw(st.integers(0, L))
            out.append([x1, y1, draw(st.integers(x1, L)), draw(st.integers(y1, L))])
        return np.array(out, dtype=int).reshape(m, 4)

    def bad(self, dims):
        m = _resolve(self.rows, dims)
        good = np.tile([0, 0, 1, 1], (m, 1))
        out = super().bad(dims) + [("a NaN entry", _replace(good, math.nan, dtype=float)),
                                   ("an infinite entry", _replace(good, math.inf, at=-1, dtype=float)),
                                   ("a fractional entry", _replace(good, 0.5, at=2, dtype=float)),
                                   ("a negative entry", _replace(good, -1)),
                                   ("three columns", good[:, :3]), ("x2 < x1", _replace(good, 2))]
        out += _shape_errors(good, empty_ok=True)
        return out + _disagreements((self.rows,), (m,), dims, lambda s: np.tile(good[:1], (s[0], 1)))


@dataclasses.dataclass
class Image(Kind):
    """An RGB ``uint8`` image of shape (h, w, 3), ``shape`` naming the symbols of h and w. Wrong: None, a string,
    floats, one axis too few or too many, two channels, empty."""

    shape: tuple = ("h", "w")

    def valid(self, draw, dims):
        h, w = (dims[s] for s in self.shape)
        seed = draw(st.integers(0, 2**16))
        return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)

    def bad(self, dims):
        h, w = (dims[s] for s in self.shape)
        good = np.zeros((h, w, 3), dtype=np.uint8)
        return [("None", None), ("a string", "seven"), ("floats, not bytes", good.astype(float) + 0.5),
                ("one axis too few", good[..., 0]), ("two channels", good[..., :2]),
                ("one axis too many", good[..., None]), ("empty", np.zeros((0, w, 3), dtype=np.uint8))]


# == lists, shapes and trees ===================================================================================


@dataclasses.dataclass
class IntList(Kind):
    """A list of ``min_size`` .. ``max_size`` integers in [low, high] (``high`` may name a dimension): candidate
    sizes, seeds, layer widths (:func:`Widths`). Wrong: None, a string, a number, a fraction inside, an entry below
    (above) the range inside, and an empty list (unless ``min_size`` is 0)."""

    low: int | str | Callable
    high: int | str | Callable | None = None
    max_size: int = 3
    min_size: int = 1
    draw: tuple | None = None      # the range valid entries are drawn from, when narrower than the valid range

    def valid(self, draw, dims):
        lo, hi = _resolve(self.low, dims), _resolve(self.high, dims)
        hi = lo + 10 if hi is None else hi
        if self.draw is not None:
            lo, hi = (_resolve(v, dims) for v in self.draw)
        return draw(st.lists(st.integers(lo, hi), min_size=self.min_size, max_size=self.max_size))

    def bad(self, dims):
        lo, hi = _resolve(self.low, dims), _resolve(self.high, dims)
        out = super().bad(dims) + [("a fraction inside", [lo, 1.5]), ("a number", 3.0),
                                   ("below the range inside", [lo - 1])]
        if self.min_size > 0:
            out.append(("an empty list", []))
        if hi is not None:
            out.append(("above the range inside", [hi + 1]))
        return out


def Widths(min_size: int = 1, max_size: int = 2) -> IntList:     # noqa: N802 - reads as a kind
    """A sequence of layer widths (ints >= 1, drawn in 1..4): :class:`IntList` of ``min_size`` to ``max_size``
    entries (``min_size=0``: no hidden layer)."""
    return IntList(1, None, max_size=max_size, min_size=min_size, draw=(1, 4))


@dataclasses.dataclass
class IntSeq(Kind):
    """One int >= ``low`` per layer of a stack of ``length`` layers (a dimension symbol), drawn in ``draw``.
    Wrong: None, a string, a number, an empty list, a fraction inside, an entry below ``low`` inside, one entry
    too many (when another argument shares ``length``)."""

    length: str
    low: int = 1
    draw: tuple = (1, 4)

    def shape_symbols(self):
        return {self.length}

    def valid(self, draw, dims):
        n = _resolve(self.length, dims)
        return draw(st.lists(st.integers(*self.draw), min_size=n, max_size=n))

    def bad(self, dims):
        n = _resolve(self.length, dims)
        good = [self.low] * n
        out = super().bad(dims) + [("a number", 3.0), ("an empty list", []), ("a fraction inside", good[:-1] + [1.5]),
                                   ("below the range inside", good[:-1] + [self.low - 1])]
        return out + _disagreements((self.length,), (n,), dims, lambda s: [self.low] * s[0])


@dataclasses.dataclass
class ItemSets(Kind):
    """One set of int item ids in [0, ``high``] per query, ``size`` of them (the relevant items of a ranking).
    Wrong: None, a string, a number, a set holding a string or a fraction, a size that disagrees with another
    argument."""

    size: str
    high: int = 6

    def valid(self, draw, dims):
        n = _resolve(self.size, dims)
        return [set(draw(st.lists(st.integers(0, self.high), max_size=3))) for _ in range(n)]

    def bad(self, dims):
        n = _resolve(self.size, dims)
        out = [("None", None), ("a string", "seven"), ("a number", 3.0),
               ("a set holding a string", [{"seven"}] * n), ("a set holding a fraction", [{1.5}] * n)]
        return out + _disagreements((self.size,), (n,), dims, lambda s: [{0}] * s[0])


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


@dataclasses.dataclass
class ArrayList(Kind):
    """A non-empty list of float matrices with entries in [-2, 2].

    ``chain=True``: shapes (n_0, n_1), (n_1, n_2), ..., (n_{k-1}, n_k) with n_0 = ``inputs`` and n_k = ``outputs``
    when given (dimension symbols or ints), so consecutive matrices multiply (the package's ``x W`` layout, the
    transpose of :class:`Layers`); ``chain=False``: any 2-D shapes (each drawn from ``width``). Wrong: None, a
    string, an empty list, a NaN entry, a matrix with an empty axis; with ``chain``: matrices that do not chain, a
    matrix with three axes, and a first (last) matrix that disagrees with another argument on ``inputs``
    (``outputs``).
    """

    inputs: int | str | None = None
    outputs: int | str | None = None
    depth: tuple = (1, 3)
    width: tuple = (1, 4)
    chain: bool = True

    def shape_symbols(self):
        return {s for s in (self.inputs, self.outputs) if isinstance(s, str)}

    def _widths(self, draw, dims):
        depth = draw(st.integers(*self.depth))
        first = _resolve(self.inputs, dims) if self.inputs is not None else draw(st.integers(*self.width))
        last = _resolve(self.outputs, dims) if self.outputs is not None else draw(st.integers(*self.width))
        inner = draw(st.lists(st.integers(*self.width), min_size=depth - 1, max_size=depth - 1))
        return [first] + inner + [last]

    def valid(self, draw, dims):
        if self.chain:
            widths = self._widths(draw, dims)
            shapes = list(zip(widths[:-1], widths[1:]))
        else:
            depth = draw(st.integers(*self.depth))
            shapes = [tuple(draw(st.lists(st.integers(*self.width), min_size=2, max_size=2))) for _ in range(depth)]
        out = []
        for shape in shapes:
            size = int(np.prod(shape))
            vals = draw(st.lists(st.floats(-2, 2, allow_subnormal=False), min_size=size, max_size=size))
            out.append(np.array(vals, dtype=float).reshape(shape))
        return out

    def bad(self, dims):
        n0 = _resolve(self.inputs, dims) if self.inputs is not None else 2
        nk = _resolve(self.outputs, dims) if self.outputs is not None else 2
        nan = np.ones((n0, nk))
        nan.flat[0] = math.nan
        out = super().bad(dims) + [("an empty list", []), ("a NaN entry", [nan]),
                                   ("a matrix with an empty axis", [np.ones((n0, 0))])]
        if self.chain:
            out += [("matrices that do not chain", [np.ones((n0, 3)), np.ones((4, nk))]),
                    ("a matrix with three axes", [np.ones((n0, nk, 1))])]
            out += _disagreements((self.inputs, self.outputs), (n0, nk), dims,
                                  lambda s: [np.ones((s[0], nk))] if s[0] != n0 else [np.ones((n0, s[1]))])
        return out


@dataclasses.dataclass
class MaskList(Kind):
    """A list of boolean masks, mask ``i`` of shape ``shapes(dims)[i]`` (a list of shapes: one per weight matrix),
    each entry True with probability about 0.7. Wrong: None, a string, a float mask, a None mask and (unless
    ``structure=False``: any list of masks is valid) one mask too few and a mask of the wrong shape."""

    shapes: Callable[[dict], list]
    uses: tuple[str, ...] = ()
    structure: bool = True

    def valid(self, draw, dims):
        out = []
        for shape in self.shapes(dims):
            size = int(np.prod(shape))
            vals = draw(st.lists(st.sampled_from([True, True, False]), min_size=size, max_size=size))
            out.append(np.array(vals, dtype=bool).reshape(shape))
        return out

    def bad(self, dims):
        shapes = self.shapes(dims)
        good = [np.ones(s, dtype=bool) for s in shapes]
        first = shapes[0]
        out = super().bad(dims) + [("a float mask", [np.full(first, 0.5)] + good[1:]),
                                   ("a None mask", [None] + good[1:])]
        if self.structure:
            out += [("one mask too few", good[:-1]),
                    ("a mask of the wrong shape", [np.ones((first[0] + 1, first[1]), dtype=bool)] + good[1:])]
        return out


@dataclasses.dataclass
class Shape(Kind):
    """An array shape: a tuple of sizes >= 1.

    With ``sizes`` (dimension symbols, ints, or callables of the dims reading the symbols in ``uses``) the valid
    shape is that one, another argument's (a heatmap's (rows, columns), an image's (H, W)); without, a tuple of
    ``min_axes`` .. ``max_axes`` sizes drawn in 1..``high``, or a bare int when one axis is drawn (``nn.init``).

    Wrong: None, a string, a fraction, NaN, an empty tuple, a zero, a negative, a fractional and a NaN size (the
    last one); with two axes or more, too few axes (a tuple, and a bare int).
    """

    min_axes: int = 1
    max_axes: int = 3
    high: int = 4
    sizes: tuple | None = None
    uses: tuple[str, ...] = ()
    scalar_ok: bool = False        # ``()`` is a valid shape (NumPy's: one number), not a wrong one

    def shape_symbols(self):
        return {s for s in self.sizes or () if isinstance(s, str)} | set(self.uses)

    def valid(self, draw, dims):
        if self.sizes is not None:
            return tuple(_resolve(s, dims) for s in self.sizes)
        n_axes = draw(st.integers(self.min_axes, self.max_axes))
        sizes = draw(st.lists(st.integers(1, self.high), min_size=n_axes, max_size=n_axes))
        if n_axes == 1 and draw(st.booleans()):
            return sizes[0]
        return tuple(sizes)

    def bad(self, dims) -> list[Bad]:
        if self.sizes is not None:
            good = tuple(_resolve(s, dims) for s in self.sizes)
            axes, too_few, bare = len(good), good[:-1], good[0]
        else:
            axes, too_few, bare = self.min_axes, (3,) * (self.min_axes - 1), 3
            good = (2,) * max(self.min_axes, 1)
        head = good[:-1]
        empty = [] if self.scalar_ok else [("an empty tuple", ())]
        out = super().bad(dims) + [("a fraction", 1.5), ("NaN", math.nan)] + empty + [
            ("a zero size", head + (0,)), ("a negative size", head + (-1,)),
            ("a fractional size", head + (1.5,)), ("a NaN size", head + (math.nan,))]
        if axes >= 2:
            out += [("too few axes", too_few), ("a bare int (one axis)", bare)]
        return out


def _leaf_paths(tree, path=()):
    """The paths (keys and indices) to the leaves of ``tree``, depth first in its own order."""
    if isinstance(tree, dict):
        for key, sub in tree.items():
            yield from _leaf_paths(sub, path + (key,))
    elif isinstance(tree, (list, tuple)):
        for i, sub in enumerate(tree):
            yield from _leaf_paths(sub, path + (i,))
    else:
        yield path


def _get(tree, path):
    for key in path:
        tree = tree[key]
    return tree


def _set(tree, path, value):
    """A copy of ``tree`` (dicts, lists and tuples along ``path`` rebuilt) with the leaf at ``path`` set to
    ``value``."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(tree, dict):
        return {**tree, head: _set(tree[head], rest, value)}
    out = list(tree)
    out[head] = _set(tree[head], rest, value)
    return type(tree)(out) if isinstance(tree, tuple) else out


@dataclasses.dataclass
class Tree(Kind):
    """A tree of float arrays (a dict of arrays, a list of such dicts, nested: a layer's or a model's ``params``,
    an optimiser's ``grads``, BatchNorm's running statistics), built by ``make(dims)``, or with ``seeded`` by
    ``make(dims, seed)`` for a drawn seed (a model's ``init_params(seed)``); ``uses`` names the sizes it reads.

    Wrong (each a fresh copy of the tree): None, a string, a NaN and an infinite entry in the first non-empty array;
    with ``structure`` (the structure is fixed by another argument or the receiver; without it any tree of arrays
    is valid, as for gradients to clip): that array with one axis too many, a dict's first key missing, an extra
    key, a list's last entry missing.
    """

    make: Callable[..., Any]
    uses: tuple[str, ...] = ()
    structure: bool = True
    seeded: bool = False

    def _make(self, dims, seed=0):
        return self.make(dims, seed) if self.seeded else self.make(dims)

    def valid(self, draw, dims):
        return self._make(dims, draw(st.integers(0, 2**16))) if self.seeded else self._make(dims)

    def bad(self, dims) -> list[Bad]:
        good = self._make(dims)
        out = super().bad(dims)

        def changed(path, value):
            return _set(copy.deepcopy(good), path, value)

        path = next((p for p in _leaf_paths(good) if np.size(_get(good, p))), None)
        if path is not None:
            leaf = np.array(_get(good, path), dtype=float)
            for label, value in (("a NaN leaf", math.nan), ("an infinite leaf", math.inf)):
                bad = leaf.copy()
                bad.flat[0] = value
                out.append((label, changed(path, bad)))
            if self.structure:
                out.append(("a leaf with one axis too many", changed(path, leaf[..., None])))
        if self.structure:
            if isinstance(good, dict):
                if good:
                    first = next(iter(good))
                    out.append((f"the key {first!r} missing", {k: v for k, v in good.items() if k != first}))
                out.append(("an extra key", {**good, "extra": np.ones(1)}))
            elif isinstance(good, (list, tuple)) and good:
                out.append(("an entry missing", list(good)[:-1]))
        return out


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
class TransitionTensor(Kind):
    """An MDP's transition tensor ``P[s, a, s']``, shape (``states``, ``actions``, ``states``), whose last axis holds
    probability vectors; valid draws have every entry >= 0.05 / S. Wrong: None, a string, a NaN or a negative
    entry, rows summing to 0.5, one axis too few or too many, no actions, and one more state or action than another
    argument has."""

    states: str = "S"
    actions: str = "A"

    def shape_symbols(self):
        return {self.states, self.actions}

    def valid(self, draw, dims):
        S, A = _resolve(self.states, dims), _resolve(self.actions, dims)
        return _simplex_rows(draw, S * A, S).reshape(S, A, S)

    def bad(self, dims):
        S, A = _resolve(self.states, dims), _resolve(self.actions, dims)
        good = np.full((S, A, S), 1.0 / S)
        neg = good.copy()
        neg[0, 0, 0] = -1.0
        neg[0, 0, -1] += 1.0 + 1.0 / S if S > 1 else 0.0
        out = super().bad(dims) + [("a NaN entry", _replace(good, math.nan)), ("a negative entry", neg),
                                   ("rows summing to 0.5", good * 0.5), ("one axis too few", good[0]),
                                   ("one axis too many", good[..., None]), ("no actions", np.zeros((S, 0, S)))]
        return out + _disagreements((self.states, self.actions), (S, A), dims,
                                    lambda s: np.full((s[0], s[1], s[0]), 1.0 / s[0]))


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
    modulus, so power iteration and deflation converge. With ``gram=True`` they are Gram matrices
    :math:`A A^\\top` of an (n, r) :math:`A`, r in 1..3, entries in [-2, 2]: positive semi-definite, rank-deficient
    ones included (a kernel's Gram matrix; only symmetry is promised: SMO, as libsvm, also runs on an indefinite
    kernel). Wrong: None, a string, a NaN or infinite entry, not square, not symmetric, an extra axis, empty, a
    size that disagrees with another argument.
    """

    dim: int | str
    separated: bool = False
    scale: float = 5.0
    gram: bool = False

    def valid(self, draw, dims):
        d = _resolve(self.dim, dims)
        if self.gram:
            r = draw(st.integers(1, 3))
            A = np.array(draw(st.lists(st.floats(-2, 2), min_size=d * r, max_size=d * r))).reshape(d, r)
            return A @ A.T
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
    """A weighted undirected graph: a symmetric (n, n) matrix with entries in [0, 1], every degree > 0.

    With ``zero_diagonal`` (an adjacency matrix without self-loops, a graph network's ``A``) the diagonal is 0 (one
    vertex alone then has degree 0), a non-zero diagonal is wrong, and so is a size that disagrees with another
    argument."""

    size: str
    zero_diagonal: bool = False

    def valid(self, draw, dims):
        n = _resolve(self.size, dims)
        A = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n * n, max_size=n * n))).reshape(n, n)
        W = (A + A.T) / 2
        if n == 1 and not self.zero_diagonal:
            return W + 0.5                                         # a self-loop: the only way to a positive degree
        np.fill_diagonal(W, 0.0)
        return W + 0.05 * (1 - np.eye(n))                            # every vertex linked to every other

    def bad(self, dims):
        n = _resolve(self.size, dims)
        good = 1.0 - np.eye(n) if self.zero_diagonal else np.ones((n, n))
        out = super().bad(dims) + [("a NaN entry", _replace(good, math.nan, at=n * n - 1 if self.zero_diagonal else 0)),
                                   ("not square", np.ones((n, n + 1))),
                                   ("one axis too many", good[..., None]),
                                   ("empty", np.zeros((0, 0)))]
        if not self.zero_diagonal:
            out.insert(len(out) - 3, ("a negative entry", _replace(good, -1.0)))
        if n > 1:
            neg = good.copy()
            neg[0, 1] = neg[1, 0] = -1.0
            out += [("a negative entry", neg)] if self.zero_diagonal else []
            out.append(("not symmetric", _replace(good, 2.0, at=1)))
        if not self.zero_diagonal:
            return out
        return out + [("a non-zero diagonal", np.ones((n, n)))] + _disagreements(
            (self.size,), (n,), dims, lambda s: 1.0 - np.eye(s[0]))


def _points(draw, n: int, d: int = 2) -> np.ndarray:
    seed = draw(st.integers(0, 2**16))
    return np.random.default_rng(seed).standard_normal((n, d))


@dataclasses.dataclass
class SqDistances(Kind):
    """Squared Euclidean distances of ``size`` random points in the plane, shape (n, n). Wrong: None, a string,
    a NaN, an infinite or a negative entry, not square, one axis too many, empty."""

    size: str

    def valid(self, draw, dims):
        X = _points(draw, _resolve(self.size, dims))
        return ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)

    def bad(self, dims):
        n = _resolve(self.size, dims)
        good = np.ones((n, n)) - np.eye(n)
        return super().bad(dims) + [("a NaN entry", _replace(good, math.nan)),
                                    ("an infinite entry", _replace(good, math.inf, at=-1)),
                                    ("a negative entry", _replace(good, -1.0, at=min(1, n * n - 1))),
                                    ("not square", np.ones((n, n + 1))), ("one axis too many", good[..., None]),
                                    ("empty", np.zeros((0, n)))]


@dataclasses.dataclass
class Affinities(Kind):
    """t-SNE's joint affinities for ``size`` points, shape (n, n): symmetric, non-negative, zero diagonal, summing
    to 1 (valid draws: every off-diagonal entry positive). ``normalised``: summing to 0.5 is wrong. Wrong also:
    None, a string, a NaN, an infinite or a negative entry, not square, one axis too many, empty, a size that
    disagrees with another argument."""

    size: str
    normalised: bool = False

    def valid(self, draw, dims):
        n = _resolve(self.size, dims)
        w = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=n * n, max_size=n * n))).reshape(n, n)
        W = (w + w.T) * (1 - np.eye(n))
        return W / W.sum() if n > 1 else W

    def bad(self, dims):
        n = _resolve(self.size, dims)
        good = (np.ones((n, n)) - np.eye(n)) / max(n * (n - 1), 1)
        neg = good.copy()
        neg.flat[min(1, n * n - 1)] = -1.0
        out = super().bad(dims) + [("a NaN entry", _replace(good, math.nan)),
                                   ("an infinite entry", _replace(good, math.inf, at=-1)),
                                   ("a negative entry", neg), ("not square", np.ones((n, n + 1)) / (n * n + n)),
                                   ("one axis too many", good[..., None]), ("empty", np.zeros((0, n)))]
        if self.normalised and n > 1:
            out.append(("summing to 0.5", good / 2))
        return out + _disagreements((self.size,), (n,), dims,
                                    lambda s: (np.ones((s[0], s[0])) - np.eye(s[0])) / (s[0] * (s[0] - 1)))

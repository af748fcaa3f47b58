"""Argument kinds whose valid values are the package's neural-network structures (see :mod:`tests.contracts.kinds`
and :mod:`tests.contracts.kinds_objects`).

- :class:`Operand`         an autodiff operand: an array of an :class:`~tests.contracts.kinds.Array` kind, or a
  :class:`~mlsheet_utils.algorithms.nn.autodiff.Node` holding one;
- :class:`AttentionMask`   a boolean attention mask with at least one True per query row;
- :class:`BMWeights`       a Boltzmann machine's weights: symmetric with a zero diagonal;
- :class:`LinearParams`    ``[{"W": (d_0, d_1), "b": (d_1,)}, ...]``, dense layers that chain (autodiff's MLP);
- :class:`ActivationNames` one activation name (or None) per layer;
- :class:`PackedTargets`   teacher logits (n, k) with the integer label appended as a last column (distillation);
- :class:`EdgeList`        an undirected edge list of node ids, shape (m, 2), no self-loops (graph networks).

(A model's parameters as a tree of arrays are :class:`~tests.contracts.kinds.Tree`; layer widths
:func:`~tests.contracts.kinds.Widths` and :class:`~tests.contracts.kinds.IntSeq`; states of binary units
:func:`~tests.contracts.kinds.BinaryStates`.)
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import numpy as np
from hypothesis import strategies as st

from tests.contracts.kinds import Array, Kind, _disagreements, _replace, _resolve, _shape_errors


@dataclasses.dataclass
class Operand(Kind):
    """An operand of an autodiff operation: an array drawn from ``inner`` (an :class:`Array`), as it is or as a
    ``variable``/``constant`` Node. The bad values are ``inner``'s (raw arrays)."""

    inner: Array

    def valid(self, draw, dims):
        from mlsheet_utils.algorithms.nn import autodiff as AD

        value = self.inner.valid(draw, dims)
        which = draw(st.sampled_from(["array", "variable", "constant"]))
        return value if which == "array" else getattr(AD, which)(value)

    def bad(self, dims):
        return self.inner.bad(dims)

    def shape_symbols(self):
        return self.inner.shape_symbols()


@dataclasses.dataclass
class AttentionMask(Kind):
    """A boolean (n_q, n_k) mask, True where a query may attend to a key, every row with at least one True.
    Wrong: None, a string, integers or floats instead of booleans, a fully masked row, one axis too many, empty,
    a size that disagrees with another argument. ``optional=True``: None (no mask) is valid too, so it is not among
    the bad values; valid draws are always a mask, so that a size disagreeing with it is always wrong."""

    shape: tuple
    optional: bool = False

    def _shape(self, dims):
        return tuple(_resolve(s, dims) for s in self.shape)

    def valid(self, draw, dims):
        q, k = self._shape(dims)
        m = np.array(draw(st.lists(st.booleans(), min_size=q * k, max_size=q * k)), dtype=bool).reshape(q, k)
        cols = draw(st.lists(st.integers(0, k - 1), min_size=q, max_size=q))
        m[np.arange(q), cols] = True
        return m

    def bad(self, dims):
        q, k = self._shape(dims)
        good = np.ones((q, k), dtype=bool)
        masked = good.copy()
        masked[0] = False
        out = super().bad(dims) + [("integers, not booleans", good.astype(int)),
                                   ("floats, not booleans", good.astype(float)), ("a fully masked row", masked)]
        out += _shape_errors(good)
        return out + _disagreements(self.shape, (q, k), dims, lambda s: np.ones(s, dtype=bool))


@dataclasses.dataclass
class BMWeights(Kind):
    """Weights of a fully connected Boltzmann machine on ``size`` units: symmetric, zero diagonal, entries drawn
    in [-scale, scale]. Wrong: None, a string, a NaN entry, an infinite entry, not symmetric, a non-zero diagonal
    entry, not square, one axis too many, empty, a size that disagrees with another argument."""

    size: str
    scale: float = 2.0

    def valid(self, draw, dims):
        n = _resolve(self.size, dims)
        A = np.array(draw(st.lists(st.floats(-1, 1), min_size=n * n, max_size=n * n))).reshape(n, n)
        W = np.triu(A, 1) * self.scale
        return W + W.T

    def bad(self, dims):
        n = _resolve(self.size, dims)
        zero = np.zeros((n, n))
        out = super().bad(dims) + [("a NaN entry", _replace(zero, math.nan)),
                                   ("an infinite entry", _replace(zero, math.inf, at=-1)),
                                   ("a non-zero diagonal entry", _replace(zero, 1.0)),
                                   ("not square", np.zeros((n, n + 1))), ("one axis too many", zero[..., None]),
                                   ("empty", np.zeros((0, 0)))]
        if n > 1:
            out.append(("not symmetric", _replace(zero, 1.0, at=1)))
        return out + _disagreements((self.size,), (n,), dims, lambda s: np.zeros((s[0], s[0])))


@dataclasses.dataclass
class LinearParams(Kind):
    """Dense layers that chain, as :class:`~mlsheet_utils.algorithms.nn.layers.Linear` stores them: a list of
    ``depth`` dicts ``{"W": (d_{j-1}, d_j), "b": (d_j,)}`` (``"b"`` drawn present or not), ``d_0`` = ``inputs``;
    hidden widths drawn in ``width``, entries in [-1, 1]. Wrong: None, a string, no layers, layers that do not
    chain, a NaN entry, a W with three axes, a b of the wrong length, an unknown key, a dict without "W", not a
    dict, one layer too many (when another argument shares ``depth``), a first layer that disagrees on
    ``inputs``."""

    inputs: str
    depth: str
    width: tuple = (1, 3)

    def shape_symbols(self):
        return {self.inputs, self.depth}

    def valid(self, draw, dims):
        n0, depth = _resolve(self.inputs, dims), _resolve(self.depth, dims)
        widths = [n0] + draw(st.lists(st.integers(*self.width), min_size=depth, max_size=depth))
        out = []
        for a, b in zip(widths[:-1], widths[1:]):
            W = np.array(draw(st.lists(st.floats(-1, 1), min_size=a * b, max_size=a * b))).reshape(a, b)
            layer = {"W": W}
            if draw(st.booleans()):
                layer["b"] = np.array(draw(st.lists(st.floats(-1, 1), min_size=b, max_size=b)))
            out.append(layer)
        return out

    def _good(self, n0, depth):
        return [{"W": np.ones((n0 if j == 0 else 2, 2)), "b": np.zeros(2)} for j in range(depth)]

    def bad(self, dims):
        n0, depth = _resolve(self.inputs, dims), _resolve(self.depth, dims)
        good = self._good(n0, depth)

        def first(**layer):
            return [layer] + good[1:]

        out = super().bad(dims) + [
            ("no layers", []),
            ("a NaN entry", first(W=_replace(np.ones((n0, 2)), math.nan), b=np.zeros(2))),
            ("a W with three axes", first(W=np.ones((n0, 2, 1)))),
            ("a b of the wrong length", first(W=np.ones((n0, 2)), b=np.zeros(3))),
            ("an unknown key", first(W=np.ones((n0, 2)), c=np.zeros(2))),
            ("a dict without W", first(b=np.zeros(2))),
            ("not a dict", [np.ones((n0, 2))] + good[1:])]
        if depth > 1:
            out.append(("layers that do not chain", [good[0], {"W": np.ones((3, 2))}] + good[2:]))
        if self.depth in set(dims.get("_shared", ())):
            out.append(("one layer too many", good + [{"W": np.ones((2, 2))}]))
        if self.inputs in set(dims.get("_shared", ())):
            out.append((f"a size that disagrees with another argument on {self.inputs}",
                        first(W=np.ones((n0 + 1, 2)), b=np.zeros(2))))
        return out


@dataclasses.dataclass
class ActivationNames(Kind):
    """One activation per layer of a stack of ``depth`` layers: a name in ``options`` or None. Wrong: None, a
    string, an unknown name inside, one entry too many (when another argument shares ``depth``)."""

    depth: str
    options: Sequence = ()

    def shape_symbols(self):
        return {self.depth}

    def valid(self, draw, dims):
        n = _resolve(self.depth, dims)
        return draw(st.lists(st.sampled_from(list(self.options) + [None]), min_size=n, max_size=n))

    def bad(self, dims):
        n = _resolve(self.depth, dims)
        out = super().bad(dims) + [("an unknown name inside", [None] * (n - 1) + ["no-such-activation"])]
        if self.depth in set(dims.get("_shared", ())):
            out.append(("one entry too many", [None] * (n + 1)))
        return out


@dataclasses.dataclass
class PackedTargets(Kind):
    """Teacher logits (n, k) with one integer label in 0..k-1 per row appended: shape (n, k + 1). Wrong: None, a
    string, a NaN entry, one axis too many, empty, no label column (n, k), a fractional, a negative or a too large
    label, a size that disagrees with another argument on ``rows``."""

    rows: str
    classes: str

    def shape_symbols(self):
        return {self.rows, self.classes}

    def valid(self, draw, dims):
        n, k = _resolve(self.rows, dims), _resolve(self.classes, dims)
        logits = np.array(draw(st.lists(st.floats(-5.0, 5.0), min_size=n * k, max_size=n * k))).reshape(n, k)
        labels = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)), dtype=float)
        return np.hstack([logits, labels[:, None]])

    def bad(self, dims):
        n, k = _resolve(self.rows, dims), _resolve(self.classes, dims)
        good = np.zeros((n, k + 1))
        out = super().bad(dims) + [("a NaN entry", _replace(good, math.nan)), ("one axis too many", good[..., None]),
                                   ("empty", np.zeros((0, k + 1))), ("no label column", np.zeros((n, k))),
                                   ("a fractional label", _replace(good, 0.5, at=k)),
                                   ("a negative label", _replace(good, -1.0, at=k)),
                                   ("a label equal to k", _replace(good, float(k), at=k))]
        return out + _disagreements((self.rows,), (n,), dims, lambda s: np.zeros((s[0], k + 1)))


@dataclasses.dataclass
class EdgeList(Kind):
    """Undirected edges ``(u, v)`` between nodes ``0 .. nodes - 1``, ``u != v``, shape (m, 2) (m may be 0: a graph
    without edges). Wrong: None, a string, a NaN, a fractional or an out-of-range node id, a negative id, a
    self-loop, three columns, one axis too many."""

    nodes: str
    max_edges: int = 6

    def shape_symbols(self):
        return {self.nodes}

    def valid(self, draw, dims):
        n = _resolve(self.nodes, dims)
        if n < 2:
            return np.zeros((0, 2), dtype=int)
        pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(1, n - 1)), max_size=self.max_edges))
        return np.array([(u, (u + s) % n) for u, s in pairs], dtype=int).reshape(-1, 2)

    def bad(self, dims):
        n = _resolve(self.nodes, dims)
        good = np.array([[0, 1]])                      # (for one node, already out of range)
        return super().bad(dims) + [
            ("a NaN entry", _replace(good, math.nan, dtype=float)),
            ("a fractional entry", _replace(good, 0.5, dtype=float)),
            ("an id equal to the number of nodes", _replace(good, n, at=1)),
            ("a negative id", _replace(good, -1)), ("a self-loop", np.array([[0, 0]])),
            ("three columns", np.array([[0, 1, 0]])), ("one axis too many", good[..., None]),
        ]

r"""Reverse-mode automatic differentiation on a computation graph (micrograd style, on NumPy arrays).

A computation is built from :class:`Node` objects: every arithmetic operation makes a new node that remembers
its parents, its value, and a *vector-Jacobian product* (VJP) that turns the gradient arriving at the node,
:math:`\bar z = \partial L/\partial z`, into one contribution per parent, :math:`\bar x_i = \bar z\,\partial
z/\partial x_i` (the local chain rule). Backpropagation is then two steps:

- :func:`topological_order`: the nodes that lead to the output, each after all of its parents (a depth-first
  post-order), as a :class:`Graph` with the parents given by their positions;
- :func:`backward`: seed :math:`\bar L = 1`, visit the nodes in *reverse* order and add every node's
  contributions into its parents, so that each node is finished before it passes its gradient on. A node used
  by several others receives the **sum** of their contributions (the multivariate chain rule sums over paths).

Leaves: :func:`variable` (a parameter: its gradient is wanted) and :func:`constant` (data: no gradient, and no
work is spent on one). Operations (also reachable as operators and methods of :class:`Node`): :func:`add`,
:func:`sub`, :func:`mul`, :func:`matmul`, :func:`square`, :func:`tanh`, :func:`sigmoid`, :func:`relu`,
:func:`exp`, :func:`log`, :func:`softplus`, :func:`total` (sum of all entries), :func:`mean`.

Counting the work. Every node carries the floating-point operations of its forward computation and of each of
its parents' VJPs, so :func:`backward` reports both totals (:class:`Backprop`). Conventions: an addition or a
multiplication is one flop; an elementwise function (``tanh``, ``exp``, ``log``, ``sigmoid``, ``softplus``, a
ReLU's comparison) is one flop per entry; a matrix product of shapes ``(n, k) @ (k, m)`` is :math:`2nkm`. A
VJP counts the operations that form its contribution (:math:`\bar z B^\top` is :math:`2nmk`), the sum over a
broadcast axis, and one addition per entry whenever a second contribution is added into a node's gradient.
No contribution is computed, and none counted, for a parent that does not lead to a variable.

:func:`mlp_graph` builds a multilayer perceptron with the parameters of
:class:`~mlsheet_utils.algorithms.nn.layers.Linear` layers as such a graph.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from mlsheet_utils.validation import as_array

__all__ = ["Backprop", "Graph", "Node", "add", "backward", "constant", "exp", "log", "matmul", "mean", "mlp_graph",
           "mul", "relu", "sigmoid", "softplus", "square", "sub", "tanh", "topological_order", "total", "variable"]


@dataclass(frozen=True, eq=False, repr=False)
class Node:
    r"""One value of a computation and how to send a gradient back through it.

    Attributes
    ----------
    value : numpy.ndarray
        The forward value (float64, any shape; a scalar is 0-dimensional).
    parents : tuple of Node
        The inputs of the operation that made this node (empty for a leaf).
    op : str
        ``"variable"``, ``"constant"`` or the operation's name.
    vjp : callable ``vjp(g) -> tuple``, or None
        Given :math:`\bar z` (shaped like ``value``), the contribution for each parent (None for a parent that
        needs no gradient).
    flops : int
        Floating-point operations of the forward computation.
    vjp_flops : tuple of int
        Operations of each parent's contribution.
    requires_grad : bool
        Whether some variable leads to this node (only then does the backward pass visit it).
    name : str
        A label for tables.
    """

    value: np.ndarray
    parents: tuple = ()
    op: str = "variable"
    vjp: Callable | None = None
    flops: int = 0
    vjp_flops: tuple = ()
    requires_grad: bool = True
    name: str = ""

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return f"Node({self.op}{label}, shape {self.value.shape})"

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return sub(self, other)

    def __rsub__(self, other):
        return sub(other, self)

    def __mul__(self, other):
        return mul(self, other)

    def __rmul__(self, other):
        return mul(other, self)

    def __neg__(self):
        return mul(self, -1.0)

    def __matmul__(self, other):
        return matmul(self, other)

    def tanh(self):
        return tanh(self)

    def sigmoid(self):
        return sigmoid(self)

    def relu(self):
        return relu(self)

    def exp(self):
        return exp(self)

    def log(self):
        return log(self)

    def softplus(self):
        return softplus(self)

    def square(self):
        return square(self)

    def sum(self):
        return total(self)

    def mean(self):
        return mean(self)


def variable(value, name: str = "") -> Node:
    """A leaf whose gradient is wanted (a parameter)."""
    return Node(as_array(value, "value"), (), "variable", None, 0, (), True, str(name))


def constant(value, name: str = "") -> Node:
    """A leaf without gradient (data, targets): the backward pass spends no work on it."""
    return Node(as_array(value, "value"), (), "constant", None, 0, (), False, str(name))


def _node(x) -> Node:
    return x if isinstance(x, Node) else constant(x)


def _operand(x, name: str) -> None:
    """Check an operand given as an array (a Node was checked when it was made), naming the argument."""
    if not isinstance(x, Node):
        as_array(x, name)


def _broadcastable(a: Node, b: Node) -> None:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"a of shape {a.shape} and b of shape {b.shape} do not broadcast") from None


def _unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``g`` over the axes that broadcasting added or stretched, back to ``shape``."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g


def _reduce_flops(out_size: int, shape: tuple[int, ...]) -> int:
    """Additions that :func:`_unbroadcast` performs: summing ``out_size`` entries into ``prod(shape)``."""
    return out_size - math.prod(shape)


def _make(value, parents: tuple, op: str, vjp: Callable, flops: int, vjp_flops: tuple) -> Node:
    needs = tuple(p.requires_grad for p in parents)

    def guarded(g):
        return tuple(c if n else None for c, n in zip(vjp(g), needs))

    return Node(np.asarray(value, dtype=float), parents, op, guarded, int(flops),
                tuple(int(f) if n else 0 for f, n in zip(vjp_flops, needs)), any(needs))


def add(a, b) -> Node:
    r""":math:`z = a + b` (broadcasting); :math:`\bar a = \bar z`, :math:`\bar b = \bar z`, each summed back over
    broadcast axes."""
    _operand(a, "a")
    _operand(b, "b")
    a, b = _node(a), _node(b)
    _broadcastable(a, b)
    z = a.value + b.value
    return _make(z, (a, b), "add",
                 lambda g: (_unbroadcast(g, a.shape), _unbroadcast(g, b.shape)),
                 z.size, (_reduce_flops(z.size, a.shape), _reduce_flops(z.size, b.shape)))


def sub(a, b) -> Node:
    r""":math:`z = a - b`; :math:`\bar a = \bar z`, :math:`\bar b = -\bar z`."""
    _operand(a, "a")
    _operand(b, "b")
    a, b = _node(a), _node(b)
    _broadcastable(a, b)
    z = a.value - b.value
    return _make(z, (a, b), "sub",
                 lambda g: (_unbroadcast(g, a.shape), -_unbroadcast(g, b.shape)),
                 z.size, (_reduce_flops(z.size, a.shape), _reduce_flops(z.size, b.shape) + b.value.size))


def mul(a, b) -> Node:
    r""":math:`z = a \odot b`; :math:`\bar a = \bar z \odot b`, :math:`\bar b = \bar z \odot a`."""
    _operand(a, "a")
    _operand(b, "b")
    a, b = _node(a), _node(b)
    _broadcastable(a, b)
    z = a.value * b.value
    return _make(z, (a, b), "mul",
                 lambda g: (_unbroadcast(g * b.value, a.shape), _unbroadcast(g * a.value, b.shape)),
                 z.size, (z.size + _reduce_flops(z.size, a.shape), z.size + _reduce_flops(z.size, b.shape)))


def matmul(a, b) -> Node:
    r""":math:`Z = A B` for ``A`` (n, k) and ``B`` (k, m): :math:`\bar A = \bar Z B^\top`,
    :math:`\bar B = A^\top \bar Z`, each :math:`2nkm` flops, the cost of the forward product."""
    _operand(a, "a")
    _operand(b, "b")
    a, b = _node(a), _node(b)
    if a.value.ndim != 2 or b.value.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"matmul needs a of shape (n, k) and b of shape (k, m), got {a.shape} and {b.shape}")
    (n, k), m = a.shape, b.shape[1]
    cost = 2 * n * k * m
    return _make(a.value @ b.value, (a, b), "matmul",
                 lambda g: (g @ b.value.T, a.value.T @ g), cost, (cost, cost))


def _elementwise(x, op: str, y: np.ndarray, local: Callable, vjp_cost: int) -> Node:
    r"""A function applied entry by entry: :math:`\bar x = \bar z \odot f'(x)`, ``local(x, y) = f'(x)``."""
    return _make(y, (x,), op, lambda g: (g * local(x.value, y),), y.size, (vjp_cost * y.size,))


def square(x) -> Node:
    r""":math:`z = x^2`; :math:`\bar x = 2 x \bar z` (2 flops per entry)."""
    _operand(x, "x")
    x = _node(x)
    return _elementwise(x, "square", x.value * x.value, lambda v, y: 2.0 * v, 2)


def tanh(x) -> Node:
    r""":math:`z = \tanh x`; :math:`\bar x = \bar z\,(1 - z^2)` (3 flops per entry)."""
    _operand(x, "x")
    x = _node(x)
    return _elementwise(x, "tanh", np.tanh(x.value), lambda v, y: 1.0 - y * y, 3)


def sigmoid(x) -> Node:
    r""":math:`z = \sigma(x) = 1/(1+e^{-x})`; :math:`\bar x = \bar z\,z(1 - z)` (3 flops per entry).

    The local derivative :math:`z(1-z)` is at most :math:`1/4` (at :math:`x = 0`), which is why gradients
    shrink through stacked sigmoids."""
    _operand(x, "x")
    x = _node(x)
    v = x.value
    y = np.where(v >= 0, 1.0 / (1.0 + np.exp(-np.abs(v))), np.exp(-np.abs(v)) / (1.0 + np.exp(-np.abs(v))))
    return _elementwise(x, "sigmoid", y, lambda v, y: y * (1.0 - y), 3)


def relu(x) -> Node:
    r""":math:`z = \max(x, 0)`; :math:`\bar x = \bar z\,[x > 0]` (1 flop per entry)."""
    _operand(x, "x")
    x = _node(x)
    return _elementwise(x, "relu", np.maximum(x.value, 0.0), lambda v, y: (v > 0).astype(float), 1)


def exp(x) -> Node:
    r""":math:`z = e^x`; :math:`\bar x = \bar z\,z`."""
    _operand(x, "x")
    x = _node(x)
    return _elementwise(x, "exp", np.exp(x.value), lambda v, y: y, 1)


def log(x) -> Node:
    r""":math:`z = \log x`; :math:`\bar x = \bar z / x`."""
    _operand(x, "x")
    x = _node(x)
    if np.any(x.value <= 0):
        raise ValueError(f"x must have positive entries (log), got a minimum of {x.value.min():.6g}")
    return _elementwise(x, "log", np.log(x.value), lambda v, y: 1.0 / v, 1)


def softplus(x) -> Node:
    r""":math:`z = \log(1 + e^x)` (computed stably); :math:`\bar x = \bar z\,\sigma(x)` (2 flops per entry)."""
    _operand(x, "x")
    x = _node(x)
    v = x.value
    return _elementwise(x, "softplus", np.logaddexp(0.0, v), lambda v, y: np.exp(v - y), 2)


def total(x) -> Node:
    r""":math:`z = \sum_i x_i` (a scalar); :math:`\bar x_i = \bar z` (a broadcast, no arithmetic)."""
    _operand(x, "x")
    x = _node(x)
    return _make(np.sum(x.value), (x,), "sum", lambda g: (np.broadcast_to(g, x.shape).copy(),),
                 max(x.value.size - 1, 0), (0,))


def mean(x) -> Node:
    r""":math:`z = \frac1n \sum_i x_i`; :math:`\bar x_i = \bar z / n` (one division, then a broadcast)."""
    _operand(x, "x")
    x = _node(x)
    n = x.value.size
    if n == 0:
        raise ValueError("mean of an empty array is undefined")
    return _make(np.mean(x.value), (x,), "mean", lambda g: (np.broadcast_to(g / n, x.shape).copy(),), n, (1,))


# -- the two steps of backpropagation ------------------------------------------------------------------------

@dataclass(frozen=True)
class Graph:
    """The nodes that lead to an output, in topological order.

    Attributes
    ----------
    nodes : tuple of Node
        Every node after all of its parents; the output last.
    parents : tuple of tuple of int
        ``parents[i]`` are the positions in ``nodes`` of the parents of ``nodes[i]`` (all smaller than ``i``).
    """

    nodes: tuple
    parents: tuple


def topological_order(root: Node) -> Graph:
    """The nodes ``root`` depends on, each listed after its parents (iterative depth-first post-order).

    Parameters
    ----------
    root : Node

    Returns
    -------
    Graph
        ``nodes[-1]`` is ``root``; a node reached along several paths is listed once.
    """
    if not isinstance(root, Node):
        raise ValueError(f"root must be a Node, got {type(root).__name__}")
    position: dict[int, int] = {}
    nodes, parents = [], []
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in position:
            continue
        if expanded:                                   # every parent is placed: place the node
            position[id(node)] = len(nodes)
            nodes.append(node)
            parents.append(tuple(position[id(p)] for p in node.parents))
        else:
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(node.parents) if id(p) not in position)
    return Graph(tuple(nodes), tuple(parents))


@dataclass(frozen=True)
class Backprop:
    r"""Gradients of one output with respect to every node, and the work of each pass.

    Attributes
    ----------
    grads : dict of Node to numpy.ndarray
        :math:`\partial L/\partial x`, shaped like ``x.value``, for every node that requires a gradient
        (variables and intermediate results; constants are left out).
    forward_flops : int
        Operations of the forward computation of every node in the graph.
    backward_flops : int
        Operations of the backward sweep (the VJPs, the sums over broadcast axes, the accumulations).
    """

    grads: dict
    forward_flops: int
    backward_flops: int


def backward(root: Node, seed=None) -> Backprop:
    r"""Reverse-mode sweep: :math:`\bar x = \sum_{z \,\in\, \text{children}(x)} \text{VJP}_z(\bar z)`.

    The nodes are visited in reverse topological order, so every child of a node has passed its contribution
    before the node passes its own: one sweep gives the gradient with respect to every input.

    Parameters
    ----------
    root : Node
        The output :math:`L`; a scalar unless ``seed`` is given.
    seed : array_like, optional
        :math:`\bar L`, shaped like ``root.value`` (default 1 for a scalar root). With a seed :math:`r` the
        gradients are those of :math:`\sum L \odot r`: the vector-Jacobian product :math:`J^\top r`.

    Returns
    -------
    Backprop
    """
    graph = topological_order(root)
    if seed is None:
        if root.value.size != 1:
            raise ValueError(f"root must be a scalar (shape {root.value.shape}); pass seed= for a vector output")
        seed = np.ones_like(root.value)
    else:
        seed = as_array(seed, "seed")
        if seed.shape != root.value.shape:
            raise ValueError(f"seed must have the root's shape {root.value.shape}, got {seed.shape}")
    nodes, parents = graph.nodes, graph.parents
    grads: list = [None] * len(nodes)
    grads[-1] = seed
    flops = 0
    for i in reversed(range(len(nodes))):
        node, g = nodes[i], grads[i]
        if g is None or node.vjp is None:              # a leaf, or nothing flows through this node
            continue
        for j, contribution, cost in zip(parents[i], node.vjp(g), node.vjp_flops):
            if contribution is None:
                continue
            flops += cost
            if grads[j] is None:
                grads[j] = contribution
            else:                                      # a second path into node j: the chain rule sums
                grads[j] = grads[j] + contribution
                flops += contribution.size
    return Backprop({n: g for n, g in zip(nodes, grads) if n.requires_grad and g is not None},
                    sum(n.flops for n in nodes), flops)


_ACTIVATIONS = {"tanh": tanh, "sigmoid": sigmoid, "relu": relu, "softplus": softplus, None: None}


def mlp_graph(X, params, activations) -> tuple[Node, list[dict[str, Node]]]:
    r"""A multilayer perceptron as a graph: :math:`H_0 = X`, :math:`H_j = f_j(H_{j-1} W_j + b_j)`.

    Parameters
    ----------
    X : array_like, shape (n, d_0)
        The inputs, a :func:`constant` (no gradient).
    params : list of dict
        One ``{"W": (d_{j-1}, d_j), "b": (d_j,)}`` per layer (``"b"`` optional), as
        :class:`~mlsheet_utils.algorithms.nn.layers.Linear` stores them; each array becomes a :func:`variable`.
    activations : list of str or None
        One per layer: ``"tanh"``, ``"sigmoid"``, ``"relu"``, ``"softplus"`` or None (no activation).

    Returns
    -------
    (Node, list of dict of Node)
        The output node (shape (n, d_last)) and the weight nodes, shaped like ``params``.
    """
    X = as_array(X, "X", ndim=2)
    for arg, name in ((params, "params"), (activations, "activations")):
        if not isinstance(arg, (list, tuple)):
            raise ValueError(f"{name} must be a list with one entry per layer, got {type(arg).__name__}")
    params, activations = list(params), list(activations)
    if len(params) != len(activations) or not params:
        raise ValueError(f"params and activations must have one entry per layer, got {len(params)} and "
                         f"{len(activations)}")
    for j, f in enumerate(activations):
        if f not in _ACTIVATIONS:
            raise ValueError(f"activations[{j}] must be one of {sorted(k for k in _ACTIVATIONS if k)} or None, "
                             f"got {f!r}")
    h, nodes, width = constant(X, "X"), [], X.shape[1]
    for j, (p, f) in enumerate(zip(params, activations)):
        if not isinstance(p, dict) or "W" not in p or set(p) - {"W", "b"}:
            raise ValueError(f"params[{j}] must be a dict with 'W' (and optionally 'b')")
        for k, v in p.items():
            as_array(v, f"params[{j}][{k!r}]")
        if j == 0 and np.ndim(p["W"]) == 2 and np.shape(p["W"])[0] != width:
            raise ValueError(f"params[0]['W'] must have {width} rows, one per column of X, "
                             f"got shape {np.shape(p['W'])}")
        layer = {k: variable(v, f"{k}{j + 1}") for k, v in p.items()}
        if layer["W"].value.ndim != 2 or layer["W"].shape[0] != width:
            raise ValueError(f"params[{j}]['W'] must have shape ({width}, d), got {layer['W'].shape}")
        width = layer["W"].shape[1]
        if "b" in layer and layer["b"].shape != (width,):
            raise ValueError(f"params[{j}]['b'] must have shape ({width},), got {layer['b'].shape}")
        h = h @ layer["W"]
        if "b" in layer:
            h = h + layer["b"]
        if f is not None:
            h = _ACTIVATIONS[f](h)
        nodes.append(layer)
    return h, nodes

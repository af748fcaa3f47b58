r"""Graph convolutional networks (Kipf and Welling, 2017) by message passing over an edge list, in NumPy.

- :class:`Graph`                 an undirected graph as directed edge arrays ``src -> dst`` with one weight each;
- :func:`gcn_graph`              the edges of :math:`\hat A = \tilde D^{-1/2} (A + I) \tilde D^{-1/2}` (self-loops
  added, :math:`\tilde D = \mathrm{diag}((A + I)\mathbf 1)`) from an undirected edge list;
- :func:`normalized_adjacency`   the same operator as a dense matrix, built from
  :func:`~mlsheet_utils.algorithms.clustering.spectral.graph_laplacian` (:math:`\hat A = I - L_{sym}(A + I)`);
- :func:`propagate`              one round of messages, :math:`(\hat A H)_v = \sum_{(u \to v)} w_{uv} h_u`,
  summed with ``np.add.at``; its transpose sends the messages backwards (the gradient);
- :class:`GraphConv`             the layer :math:`Y = \hat A X W + b` (forward/backward pair of
  :mod:`~mlsheet_utils.algorithms.nn.layers`);
- :func:`train_node_classifier`  full-graph training with a loss on the labelled nodes only (semi-supervised),
  keeping the outputs of every step: a :class:`NodeTrajectory`;
- :func:`smoothing_profile`      how node features collapse under repeated propagation (over-smoothing): the
  distance to the dominant eigenvector's direction and the mean pairwise cosine similarity per depth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.clustering.spectral import graph_laplacian
from mlsheet_utils.algorithms.nn.layers import Layer, _features
from mlsheet_utils.algorithms.nn.losses import SoftmaxCrossEntropy
from mlsheet_utils.algorithms.nn.optimizers import Optimizer
from mlsheet_utils.validation import as_array, check_int, check_random_state

__all__ = ["Graph", "GraphConv", "NodeTrajectory", "SmoothingProfile", "gcn_graph", "normalized_adjacency",
           "propagate", "smoothing_profile", "train_node_classifier"]


@dataclass(frozen=True, eq=False)
class Graph:
    r"""Directed weighted edges ``src[e] -> dst[e]`` with weight ``weight[e]`` on ``n_nodes`` nodes.

    An undirected edge appears twice (once per direction); a self-loop once. As a matrix,
    :math:`\hat A_{vu} = \sum_{e: u \to v} w_e`.
    """

    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray
    n_nodes: int

    @property
    def n_edges(self) -> int:
        return int(self.src.size)


def _check_edges(edges, n_nodes) -> tuple[np.ndarray, int]:
    n_nodes = check_int(n_nodes, "n_nodes", low=1)
    E = np.asarray(edges)
    if E.size == 0:
        E = E.reshape(0, 2)
    if E.ndim != 2 or E.shape[1] != 2 or (E.size and not np.issubdtype(E.dtype, np.integer)):
        raise ValueError(f"edges must be an integer array of shape (m, 2), got shape {E.shape} and dtype {E.dtype}")
    if E.size and (E.min() < 0 or E.max() >= n_nodes):
        raise ValueError(f"edges must hold node ids in [0, n_nodes - 1] = [0, {n_nodes - 1}], got values in "
                         f"[{E.min()}, {E.max()}]")
    if E.size and np.any(E[:, 0] == E[:, 1]):
        raise ValueError("edges must not contain self-loops: gcn_graph adds one per node")
    return E.astype(np.intp), n_nodes


def gcn_graph(edges, n_nodes: int) -> Graph:
    r"""The message-passing graph of a GCN: both directions of every edge plus a self-loop per node, weighted
    :math:`w_{uv} = 1/\sqrt{\tilde d_u \tilde d_v}` with :math:`\tilde d_v = \deg(v) + 1`.

    Parameters
    ----------
    edges : array_like of int, shape (m, 2)
        Undirected edges ``(u, v)``, each listed once, no self-loops (duplicates are merged).
    n_nodes : int >= 1

    Returns
    -------
    Graph
        ``2 m' + n_nodes`` directed edges, ``m'`` the number of distinct undirected edges.
    """
    E, n = _check_edges(edges, n_nodes)
    E = np.unique(np.sort(E, axis=1), axis=0)
    loops = np.arange(n)
    src = np.concatenate([E[:, 0], E[:, 1], loops])
    dst = np.concatenate([E[:, 1], E[:, 0], loops])
    deg = np.bincount(dst, minlength=n).astype(float)                 # degree + 1 (the self-loop)
    weight = 1.0 / np.sqrt(deg[src] * deg[dst])
    return Graph(src, dst, weight, n)


def normalized_adjacency(A, self_loops: bool = True) -> np.ndarray:
    r"""Dense :math:`\tilde D^{-1/2} \tilde A \tilde D^{-1/2}` with :math:`\tilde A = A + I` (or :math:`A` when
    ``self_loops`` is False), as :math:`I - L_{sym}(\tilde A)`.

    Parameters
    ----------
    A : array_like, shape (n, n), symmetric, non-negative, zero diagonal
        Without ``self_loops`` every vertex needs an edge (a degree of 0 has no :math:`d^{-1/2}`).
    self_loops : bool

    Returns
    -------
    ndarray, shape (n, n); its eigenvalues lie in :math:`[-1, 1]`, and in :math:`(-1, 1]` with self-loops.
    """
    A = as_array(A, "A", ndim=2)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square, got shape {A.shape}")
    if np.any(np.diag(A) != 0):
        raise ValueError("A must have a zero diagonal (self-loops are added by self_loops=True)")
    if np.any(A < 0):
        raise ValueError(f"A must have non-negative weights, got a minimum of {A.min():g}")
    if not np.allclose(A, A.T, rtol=1e-12, atol=1e-14):
        raise ValueError("A must be symmetric (an undirected graph)")
    if not self_loops and np.any(A.sum(axis=1) <= 0):
        raise ValueError(f"A has a vertex of degree 0 (vertex {int(np.argmin(A.sum(axis=1)))}); with "
                         "self_loops=False every vertex needs an edge")
    A_t = A + np.eye(len(A)) if self_loops else A
    return np.eye(len(A)) - graph_laplacian(A_t, "symmetric")


def _propagate(H: np.ndarray, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((n,) + H.shape[1:])
    np.add.at(out, dst, weight[:, None] * H[src])
    return out


def propagate(graph: Graph, H) -> np.ndarray:
    r"""Sum the weighted messages arriving at each node: :math:`(\hat A H)_v = \sum_{e: u \to v} w_e h_u`.

    Parameters
    ----------
    graph : Graph
    H : array_like, shape (n_nodes, d)

    Returns
    -------
    ndarray, shape (n_nodes, d)
    """
    if not isinstance(graph, Graph):
        raise ValueError(f"graph must be a Graph, got {type(graph).__name__}")
    H = as_array(H, "H", ndim=2)
    if H.shape[0] != graph.n_nodes:
        raise ValueError(f"H must have one row per node ({graph.n_nodes}), got shape {H.shape}")
    return _propagate(H, graph.src, graph.dst, graph.weight, graph.n_nodes)


@dataclass(frozen=True, repr=False, eq=False)
class GraphConv(Layer):
    r"""Graph convolution :math:`Y = \hat A X W + b`: propagate, then a shared linear map.

    .. math::
        \frac{\partial L}{\partial W} = (\hat A X)^\top \frac{\partial L}{\partial Y}, \qquad
        \frac{\partial L}{\partial b} = \mathbf 1^\top \frac{\partial L}{\partial Y}, \qquad
        \frac{\partial L}{\partial X} = \hat A^\top \frac{\partial L}{\partial Y} W^\top,

    where :math:`\hat A^\top H` is :func:`propagate` with every edge reversed (the GCN's :math:`\hat A` is
    symmetric, but the layer does not rely on it).

    Parameters
    ----------
    graph : Graph
        ``x`` has shape ``(graph.n_nodes, n_in)``.
    n_in, n_out : int >= 1
    bias : bool
    """

    graph: Graph
    n_in: int
    n_out: int
    bias: bool = True

    def __post_init__(self):
        if not isinstance(self.graph, Graph):
            raise ValueError(f"graph must be a Graph, got {type(self.graph).__name__}")
        check_int(self.n_in, "n_in", low=1)
        check_int(self.n_out, "n_out", low=1)

    def param_shapes(self):
        return {"W": (self.n_in, self.n_out), **({"b": (self.n_out,)} if self.bias else {})}

    def init_params(self, rng=0):
        rng = check_random_state(rng)
        limit = np.sqrt(6.0 / (self.n_in + self.n_out))                # Glorot uniform, as Kipf and Welling
        params = {"W": rng.uniform(-limit, limit, (self.n_in, self.n_out))}
        if self.bias:
            params["b"] = np.zeros(self.n_out)
        return params

    def check_input(self, x):
        x = _features(as_array(x, "x", ndim=2), self.n_in, "n_in")
        if x.shape[0] != self.graph.n_nodes:
            raise ValueError(f"x must have one row per node ({self.graph.n_nodes}), got shape {x.shape}")
        return x

    def _forward(self, x, params, rng, training):
        g = self.graph
        ax = _propagate(x, g.src, g.dst, g.weight, g.n_nodes)
        y = ax @ params["W"]
        if self.bias:
            y = y + params["b"]
        return y, {"ax": ax, "W": params["W"]}

    def _backward(self, dy, cache):
        g = self.graph
        grads = {"W": cache["ax"].T @ dy}
        if self.bias:
            grads["b"] = dy.sum(axis=0)
        dx = _propagate(dy @ cache["W"].T, g.dst, g.src, g.weight, g.n_nodes)
        return dx, grads


@dataclass(frozen=True)
class NodeTrajectory:
    """Every step of :func:`train_node_classifier`.

    Attributes
    ----------
    loss : ndarray, shape (steps,)
        Cross-entropy on the labelled nodes before each update.
    outputs : ndarray, shape (steps + 1, n_nodes, n_classes)
        The model's logits for every node before each update and after the last one.
    accuracy : ndarray, shape (steps + 1,)
        Share of the *unlabelled* nodes whose arg-max logit is their label (all nodes if every one is labelled).
    params : the trained parameters
    """

    loss: np.ndarray
    outputs: np.ndarray
    accuracy: np.ndarray
    params: object


def train_node_classifier(model: Layer, params, X, labels, labelled, optimizer: Optimizer, *,
                          steps: int) -> NodeTrajectory:
    r"""Semi-supervised node classification: full-graph gradient steps on the labelled nodes' cross-entropy.

    Each step runs the model on every node, takes :math:`L = -\frac{1}{|S|}\sum_{v \in S} \log
    \mathrm{softmax}(z_v)_{y_v}` over the labelled set :math:`S`, back-propagates (the gradient is zero on the
    other rows, yet reaches their features through the propagation) and lets ``optimizer`` update. The graph
    cannot be cut into shuffled minibatches of rows, which is why :func:`~mlsheet_utils.algorithms.nn.train.fit`
    does not fit here.

    Parameters
    ----------
    model : Layer mapping ``(n_nodes, d)`` to logits ``(n_nodes, n_classes)`` (e.g. a ``Sequential`` of
        :class:`GraphConv` and activations)
    params : the model's parameters
    X : array_like, shape (n_nodes, d)
    labels : array_like of int, shape (n_nodes,), values in ``0 .. n_classes - 1``
        Used in the loss only at ``labelled``; the rest score the accuracy.
    labelled : array_like of int
        Indices of the labelled nodes (at least one).
    optimizer : Optimizer
    steps : int >= 1

    Returns
    -------
    NodeTrajectory
    """
    if not isinstance(model, Layer):
        raise ValueError(f"model must be a Layer, got {type(model).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be an Optimizer, got {type(optimizer).__name__}")
    steps = check_int(steps, "steps", low=1)
    try:
        model.check_input(X)
    except ValueError as exc:
        raise ValueError(f"X does not fit model: {exc}") from None
    X = model.check_input(X)
    params = model.check_params(params)
    labels = np.asarray(labels)
    if labels.shape != (len(X),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be {len(X)} integers (one per node), got shape {labels.shape}")
    S = np.unique(np.asarray(labelled))
    if S.size == 0 or not np.issubdtype(S.dtype, np.integer) or S.min() < 0 or S.max() >= len(X):
        raise ValueError(f"labelled must be a non-empty list of node ids in [0, {len(X) - 1}], got {labelled!r}")
    out, _ = model.forward(X, params)
    if labels.min() < 0 or labels.max() >= out.shape[-1]:
        raise ValueError(f"labels must lie in [0, {out.shape[-1] - 1}] (one class per output of model), got values "
                         f"in [{labels.min()}, {labels.max()}]")
    loss = SoftmaxCrossEntropy()
    loss.check(out[S], labels[S])
    rest = np.setdiff1d(np.arange(len(X)), S) if S.size < len(X) else np.arange(len(X))

    state = optimizer.init(params)
    losses, outputs = np.empty(steps), np.empty((steps + 1,) + out.shape)
    for t in range(steps):
        out, cache = model._forward(X, params, None, True)
        outputs[t] = out
        losses[t], lc = loss._forward(out[S], labels[S])
        dout = np.zeros_like(out)
        dout[S] = loss._backward(lc)
        _, grads = model._backward(dout, cache)
        params, state = optimizer._update(grads, state, params)
    outputs[steps] = model._forward(X, params, None, False)[0]
    accuracy = (outputs[:, rest].argmax(axis=-1) == labels[rest]).mean(axis=1)
    return NodeTrajectory(losses, outputs, accuracy, params)


@dataclass(frozen=True)
class SmoothingProfile:
    r"""Node features under :math:`H_k = \hat A^k X`, for :math:`k = 0, \dots, K`.

    Attributes
    ----------
    distance : ndarray, shape (K + 1,)
        :math:`\lVert H_k - u u^\top H_k \rVert_F / \lVert H_k \rVert_F`: the relative part of :math:`H_k` outside
        the dominant eigenvector :math:`u \propto \sqrt{\tilde d}` (zero once every column is a multiple of
        :math:`u`); shrinks like :math:`|\lambda_2|^k`.
    cosine : ndarray, shape (K + 1,)
        Mean cosine similarity over all pairs of distinct nodes' rows of :math:`H_k` (rows of norm zero skipped).
    lambda2 : float
        The second largest eigenvalue modulus of :math:`\hat A`.
    """

    distance: np.ndarray
    cosine: np.ndarray
    lambda2: float


def smoothing_profile(A_hat, X, depth: int) -> SmoothingProfile:
    r"""Repeated propagation :math:`H_{k+1} = \hat A H_k` without weights or non-linearities.

    Parameters
    ----------
    A_hat : array_like, shape (n, n), symmetric
        A normalised adjacency (e.g. :func:`normalized_adjacency`) of a connected graph.
    X : array_like, shape (n, d)
    depth : int >= 0
        The largest :math:`k`.

    Returns
    -------
    SmoothingProfile
    """
    A_hat = as_array(A_hat, "A_hat", ndim=2)
    X = as_array(X, "X", ndim=2)
    depth = check_int(depth, "depth", low=0)
    n = len(A_hat)
    if A_hat.shape != (n, n) or not np.allclose(A_hat, A_hat.T):
        raise ValueError(f"A_hat must be a symmetric square matrix, got shape {A_hat.shape}")
    if X.shape[0] != n:
        raise ValueError(f"X must have {n} rows (one per row of A_hat), got shape {X.shape}")
    lam, vec = np.linalg.eigh(A_hat)
    u = vec[:, -1]
    mods = np.sort(np.abs(lam))
    dist, cos = np.empty(depth + 1), np.empty(depth + 1)
    H = X
    off = ~np.eye(n, dtype=bool)
    for k in range(depth + 1):
        norm = np.linalg.norm(H)
        dist[k] = np.linalg.norm(H - np.outer(u, u @ H)) / norm if norm > 0 else 0.0
        r = np.linalg.norm(H, axis=1)
        keep = r > 0
        U = H[keep] / r[keep, None]
        C = U @ U.T
        cos[k] = C[off[np.ix_(keep, keep)]].mean() if keep.sum() > 1 else 1.0
        H = A_hat @ H
    return SmoothingProfile(dist, cos, float(mods[-2]) if n > 1 else 0.0)

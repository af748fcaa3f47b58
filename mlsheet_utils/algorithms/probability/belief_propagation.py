r"""Belief propagation (sum-product and max-product) on pairwise Markov random fields.

- :class:`PairwiseMRF` holds node potentials :math:`\psi_i` and edge potentials :math:`\psi_{ij}`;
  :func:`make_pairwise_mrf` validates one, :func:`pairwise_mrf_from_factors` builds one from the one- and
  two-variable :class:`~mlsheet_utils.algorithms.probability.graphical.Factor` tables of ``graphical``
  (for instance ``graphical.ising_factors``), and :func:`mrf_factors` goes back, so that
  ``graphical.enumerate_query`` and ``graphical.variable_elimination`` give exact answers to compare with;
- :func:`belief_propagation` runs synchronous (flooding) message passing, optionally damped, and returns the
  beliefs after every iteration;
- :func:`is_tree` tells whether the graph is a forest (where BP is exact).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from mlsheet_utils.algorithms.probability.graphical import Factor, make_factor
from mlsheet_utils.validation import as_array, check_float, check_int


@dataclass(frozen=True)
class PairwiseMRF:
    r"""A pairwise MRF :math:`p(x) \propto \prod_i \psi_i(x_i) \prod_{(i,j)} \psi_{ij}(x_i, x_j)`.

    ``unary`` has shape (n, K) (every node has K states); ``edges`` is a tuple of pairs ``(i, j)`` with
    ``i != j``; ``pairwise[e]`` has shape (K, K) and is indexed ``[x_i, x_j]`` for ``edges[e] = (i, j)``.
    Build one with :func:`make_pairwise_mrf` or the constructor, which checks its arguments (``unary`` (n, K)
    with K >= 2, ``edges`` integer pairs of distinct nodes in [0, n) at most once, kept as a tuple, ``pairwise``
    (len(edges), K, K), potentials finite and > 0).
    """

    unary: np.ndarray
    edges: tuple
    pairwise: np.ndarray

    def __post_init__(self):
        unary = as_array(self.unary, "unary", ndim=2)
        n, K = unary.shape
        if n < 1 or K < 2:
            raise ValueError(f"unary must have at least one node and two states, got shape {unary.shape}")
        edges = _check_edges(self.edges)
        seen = set()
        for i, j in edges:
            if not (0 <= i < n and 0 <= j < n) or i == j or frozenset((i, j)) in seen:
                raise ValueError(f"edges must join two distinct nodes in [0, {n}) at most once, got ({i}, {j})")
            seen.add(frozenset((i, j)))
        pairwise = as_array(self.pairwise, "pairwise", empty=not edges)
        if pairwise.shape != (len(edges), K, K):
            raise ValueError(f"pairwise must have shape ({len(edges)}, {K}, {K}) (one K x K table per edge, K = {K} "
                             f"states from unary's shape {unary.shape}), got {pairwise.shape}")
        for name, pot in (("unary", unary), ("pairwise", pairwise)):
            if np.any(pot <= 0):
                raise ValueError(f"{name} potentials must be strictly positive, got a minimum of {pot.min():.6g}")
        object.__setattr__(self, "unary", unary)
        object.__setattr__(self, "edges", edges)
        object.__setattr__(self, "pairwise", pairwise)


def make_pairwise_mrf(unary, edges, pairwise) -> PairwiseMRF:
    """A validated :class:`PairwiseMRF`.

    Parameters
    ----------
    unary : array_like, shape (n, K), entries > 0
    edges : sequence of (i, j) with 0 <= i, j < n, i != j, no pair repeated
    pairwise : array_like, shape (len(edges), K, K), entries > 0

    Returns
    -------
    PairwiseMRF
    """
    return PairwiseMRF(unary, edges, pairwise)          # the constructor checks


def _check_edges(edges) -> tuple:
    """``edges`` as a tuple of integer pairs; a ValueError naming ``edges`` otherwise."""
    if edges is None or isinstance(edges, str) or not hasattr(edges, "__iter__"):
        raise ValueError(f"edges must be a sequence of (i, j) pairs, got {edges!r:.60}")
    out = []
    for e in edges:
        pair = tuple(e) if hasattr(e, "__iter__") and not isinstance(e, str) else (e,)
        if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair):
            raise ValueError(f"edges must be a sequence of (i, j) pairs of integer node indices, got {e!r}")
        out.append((int(pair[0]), int(pair[1])))
    return tuple(out)


def _check_mrf(mrf) -> PairwiseMRF:
    if not isinstance(mrf, PairwiseMRF):
        raise ValueError(f"mrf must be a PairwiseMRF (see make_pairwise_mrf), got {type(mrf).__name__}")
    return mrf


def pairwise_mrf_from_factors(factors, variables=None) -> tuple[PairwiseMRF, list[str]]:
    """Collect one- and two-variable factors into a :class:`PairwiseMRF`.

    Factors on the same node or the same pair are multiplied together.

    Parameters
    ----------
    factors : list of Factor, each over one or two variables, all with the same number of states K
    variables : list of str, optional, the node order (default: order of first appearance)

    Returns
    -------
    (PairwiseMRF, list of str): the MRF and the variable name of each node.
    """
    if factors is None or isinstance(factors, (str, Factor)) or not hasattr(factors, "__iter__"):
        raise ValueError(f"factors must be a non-empty list of Factor over one or two variables, got {factors!r:.60}")
    factors = list(factors)
    if not factors or not all(isinstance(f, Factor) and 1 <= len(f.variables) <= 2 for f in factors):
        raise ValueError("factors must be a non-empty list of Factor over one or two variables")
    names = list(dict.fromkeys(v for f in factors for v in f.variables))
    if variables is None:
        variables = names
    else:
        if isinstance(variables, str) or not hasattr(variables, "__iter__"):
            raise ValueError(f"variables must be a list of the factors' variable names, got {variables!r}")
        variables = list(variables)
        if len(set(variables)) != len(variables) or set(variables) != set(names):
            raise ValueError(f"variables must list each of the factors' variables {sorted(names)} once, got "
                             f"{variables}")
    index = {v: k for k, v in enumerate(variables)}
    K = factors[0].table.shape[0]
    unary = np.ones((len(variables), K))
    pair_tables: dict = {}
    for f in factors:
        if any(c != K for c in f.table.shape):
            raise ValueError(f"factors must give every variable the same number of states ({K}, from the first "
                             f"factor), a factor over {f.variables} has shape {f.table.shape}")
        if len(f.variables) == 1:
            unary[index[f.variables[0]]] *= f.table
        else:
            i, j = index[f.variables[0]], index[f.variables[1]]
            key, table = ((i, j), f.table) if i < j else ((j, i), f.table.T)
            pair_tables[key] = pair_tables.get(key, np.ones((K, K))) * table
    edges = list(pair_tables)
    return make_pairwise_mrf(unary, edges, np.array([pair_tables[e] for e in edges]).reshape(-1, K, K)), variables


def mrf_factors(mrf: PairwiseMRF, names=None) -> list[Factor]:
    """The MRF as ``graphical`` factors: one per edge, then one per node; nodes are named ``x0, x1, ...``
    unless ``names`` gives one distinct non-empty string per node."""
    n = len(_check_mrf(mrf).unary)
    if names is None:
        names = [f"x{i}" for i in range(n)]
    else:
        if isinstance(names, str) or not hasattr(names, "__iter__"):
            raise ValueError(f"names must be a list of {n} node names, got {names!r}")
        names = list(names)
        if len(names) != n or len(set(names)) != n or not all(isinstance(v, str) and v for v in names):
            raise ValueError(f"names must be {n} distinct non-empty strings (one per node), got {names}")
    return ([make_factor((names[i], names[j]), t) for (i, j), t in zip(mrf.edges, mrf.pairwise)]
            + [make_factor((names[i],), u) for i, u in enumerate(mrf.unary)])


def is_tree(mrf: PairwiseMRF) -> bool:
    """True when the graph has no cycle (a forest), checked with union-find."""
    parent = list(range(len(_check_mrf(mrf).unary)))

    def root(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for i, j in mrf.edges:
        ri, rj = root(i), root(j)
        if ri == rj:
            return False
        parent[ri] = rj
    return True


@dataclass(frozen=True)
class BPResult:
    """Beliefs (n, K), their history (n_iters + 1, n, K), message change per iteration, convergence flag."""

    beliefs: np.ndarray
    history: np.ndarray
    residuals: np.ndarray
    converged: bool

    @property
    def map_state(self) -> np.ndarray:
        """The state maximising each node's (max-)belief, shape (n,)."""
        return np.argmax(self.beliefs, axis=1)


def belief_propagation(mrf: PairwiseMRF, n_iters: int = 50, *, mode: str = "sum", damping: float = 0.0,
                       tol: float = 1e-10) -> BPResult:
    r"""Synchronous belief propagation; every message is recomputed from the previous iteration's messages.

    .. math:: m_{i\to j}(x_j) \propto \bigoplus_{x_i} \psi_{ij}(x_i, x_j)\,\psi_i(x_i)
              \prod_{k \in \mathrm{ne}(i)\setminus j} m_{k\to i}(x_i), \qquad
              b_i(x_i) \propto \psi_i(x_i) \prod_{k \in \mathrm{ne}(i)} m_{k\to i}(x_i)

    with :math:`\bigoplus = \sum` (sum-product: marginals) or :math:`\max` (max-product: max-marginals, whose
    argmax is the MAP state when it is unique). Messages start uniform, are normalised to sum (sum-product) or
    peak (max-product) at one, and are kept in log space. With damping :math:`\alpha`, the new message is
    :math:`(1 - \alpha)\,m^{\text{new}} + \alpha\,m^{\text{old}}`. On a tree the beliefs are exact after as many
    iterations as the tree's diameter; on a graph with cycles they are an approximation, and may oscillate.

    Parameters
    ----------
    mrf : PairwiseMRF
    n_iters : int >= 0, the maximum number of iterations
    mode : "sum" or "max"
    damping : float in [0, 1)
    tol : float >= 0, stop once no message changes by more than ``tol`` (in probability)

    Returns
    -------
    BPResult, its history padded with the last beliefs after convergence.
    """
    if not isinstance(mrf, PairwiseMRF):
        raise ValueError(f"mrf must be a PairwiseMRF, got {type(mrf).__name__}")
    n_iters = check_int(n_iters, "n_iters", low=0)
    if mode not in ("sum", "max"):
        raise ValueError(f"mode must be 'sum' or 'max', got {mode!r}")
    damping = check_float(damping, "damping", low=0.0, high=1.0, high_open=True)
    tol = check_float(tol, "tol", low=0.0)
    n, K = mrf.unary.shape
    E = len(mrf.edges)
    pairs = np.array(mrf.edges, dtype=int).reshape(E, 2)
    src = np.concatenate([pairs[:, 0], pairs[:, 1]])
    dst = np.concatenate([pairs[:, 1], pairs[:, 0]])
    rev = np.concatenate([np.arange(E, 2 * E), np.arange(E)])
    log_pot = np.log(np.concatenate([mrf.pairwise, mrf.pairwise.transpose(0, 2, 1)]))   # [x_src, x_dst]
    log_unary = np.log(mrf.unary)
    reduce = logsumexp if mode == "sum" else np.max
    log_m = np.full((2 * E, K), -np.log(K) if mode == "sum" else 0.0)

    def beliefs(log_m):
        log_in = np.zeros((n, K))
        np.add.at(log_in, dst, log_m)
        log_b = log_unary + log_in
        return np.exp(log_b - logsumexp(log_b, axis=1, keepdims=True)), log_in

    b, log_in = beliefs(log_m)
    history, residuals, converged = [b], [], E == 0
    for _ in range(n_iters if E else 0):
        h = log_unary[src] + log_in[src] - log_m[rev]                  # (2E, K) over x_src
        new = reduce(h[:, :, None] + log_pot, axis=1)                   # (2E, K) over x_dst
        new -= reduce(new, axis=1, keepdims=True)
        if damping:
            new = np.logaddexp(np.log1p(-damping) + new, np.log(damping) + log_m)
        change = float(np.abs(np.exp(new) - np.exp(log_m)).max())
        log_m = new
        b, log_in = beliefs(log_m)
        history.append(b)
        residuals.append(change)
        if change <= tol:
            converged = True
            break
    history += [b] * (n_iters + 1 - len(history))
    return BPResult(b, np.array(history), np.array(residuals), converged)

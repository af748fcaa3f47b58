"""Small probabilistic graphical models: discrete factors, exact inference, Ising MRFs, Bayesian networks,
Gibbs samplers and collapsed Gibbs for LDA.

Everything here is meant for models small enough to check by brute force:

- :class:`Factor` is a table over named discrete variables; :func:`factor_product` multiplies tables with
  ``numpy.einsum``, :func:`marginalize` sums variables out, :func:`condition` fixes observed values;
- :func:`enumerate_query` does exact inference by building the whole joint table,
  :func:`variable_elimination` does the same by eliminating one variable at a time;
- :func:`ising_energy`, :func:`ising_exact` and :func:`ising_gibbs` cover the pairwise MRF on a grid;
- :func:`topological_order`, :func:`bn_factors` and :func:`ancestral_sample` cover Bayesian networks given as
  conditional probability tables (CPTs);
- :func:`gibbs_bivariate_normal` is the two-variable Gibbs sampler whose behaviour has closed forms;
- :func:`lda_generate` and :func:`lda_collapsed_gibbs` are latent Dirichlet allocation's generative process
  and its collapsed Gibbs sampler.
"""

from __future__ import annotations

import itertools
import numbers
import string
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from mlsheet_utils.algorithms.probability.divergences import hellinger
from mlsheet_utils.validation import (
    as_array,
    check_bool,
    check_float,
    check_int,
    check_probabilities,
    check_random_state,
)

# -- discrete factors ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Factor:
    """A non-negative table over named discrete variables.

    ``table[i_1, ..., i_m]`` is the value of the factor when ``variables[j]`` takes state ``i_j``; axis ``j`` has
    one entry per state of ``variables[j]``. Build one with :func:`make_factor` or the constructor, which checks its
    arguments: ``variables`` distinct non-empty strings (kept as a tuple), ``table`` a finite array >= 0 with one
    axis per variable (kept as a float array).
    """

    variables: tuple[str, ...]
    table: np.ndarray

    def __post_init__(self):
        variables = _names(self.variables, "variables")
        if not all(isinstance(v, str) and v for v in variables) or len(set(variables)) != len(variables):
            raise ValueError(f"variables must be distinct non-empty strings, got {variables!r}")
        table = as_array(self.table, "table")
        if table.ndim != len(variables):
            raise ValueError(f"table must have one axis per variable in variables ({len(variables)}: {variables!r}), "
                             f"got shape {table.shape}")
        if np.any(table < 0):
            raise ValueError("table must be non-negative")
        object.__setattr__(self, "variables", variables)
        object.__setattr__(self, "table", table)

    @property
    def cards(self) -> dict[str, int]:
        """Number of states of each variable."""
        return dict(zip(self.variables, self.table.shape))


def make_factor(variables, table) -> Factor:
    """A validated :class:`Factor`.

    Parameters
    ----------
    variables : sequence of str, distinct
    table : array_like, ndim = len(variables), finite and >= 0

    Returns
    -------
    Factor
    """
    return Factor(variables, table)          # the constructor checks


def _names(values, name: str) -> tuple:
    """``values`` (a sequence of names) as a tuple; a ValueError naming ``name`` when it is not a sequence."""
    if values is None or isinstance(values, (str, numbers.Number)) or not hasattr(values, "__iter__"):
        raise ValueError(f"{name} must be a sequence of variable names, got {values!r}")
    return tuple(values)


def _check_factor(factor, name: str = "factor") -> "Factor":
    if not isinstance(factor, Factor):
        raise ValueError(f"{name} must be a Factor (see make_factor), got {type(factor).__name__}")
    return factor


def _letters(variables) -> dict[str, str]:
    if len(variables) > len(string.ascii_letters):
        raise ValueError(f"factors: at most {len(string.ascii_letters)} distinct variables, got {len(variables)}")
    return dict(zip(variables, string.ascii_letters))


def factor_product(*factors: Factor) -> Factor:
    r"""The product of factors, over the union of their variables (in order of first appearance).

    .. math:: (\phi_1 \cdot \phi_2)(x_{A \cup B}) = \phi_1(x_A)\,\phi_2(x_B)

    computed by one ``numpy.einsum`` call, which broadcasts shared variables.
    """
    if not factors:
        raise ValueError("factors: need at least one factor")
    cards: dict[str, int] = {}
    for f in factors:
        if not isinstance(f, Factor):
            raise ValueError(f"factors must be Factor objects, got {type(f).__name__}")
        for v, c in f.cards.items():
            if cards.setdefault(v, c) != c:
                raise ValueError(f"factors disagree on the number of states of {v!r}: {cards[v]} vs {c}")
    letters = _letters(cards)
    spec = ",".join("".join(letters[v] for v in f.variables) for f in factors)
    out = "".join(letters[v] for v in cards)
    return Factor(tuple(cards), np.einsum(f"{spec}->{out}", *(f.table for f in factors)))


def marginalize(factor: Factor, variables) -> Factor:
    r"""Sum the listed variables out of ``factor``: :math:`\sum_{x_S} \phi(x)`."""
    _check_factor(factor)
    variables = [variables] if isinstance(variables, str) else list(_names(variables, "variables"))
    missing = [v for v in variables if v not in factor.variables]
    if missing:
        raise ValueError(f"variables {missing} are not in the factor's variables {factor.variables}")
    if len(set(variables)) != len(variables):
        raise ValueError(f"variables must not repeat a variable, got {variables}")
    axes = tuple(factor.variables.index(v) for v in variables)
    keep = tuple(v for v in factor.variables if v not in variables)
    return Factor(keep, factor.table.sum(axis=axes))


def condition(factor: Factor, evidence: dict) -> Factor:
    """Fix observed variables: keep the slice ``x_E = e`` and drop those axes (variables not in the factor are
    ignored).

    ``evidence`` is a dict variable -> state index (an int in ``[0, states - 1]``).
    """
    _check_factor(factor)
    if not isinstance(evidence, Mapping):
        raise ValueError(f"evidence must be a dict variable -> state, got {type(evidence).__name__}")
    index, keep = [], []
    for v, card in zip(factor.variables, factor.table.shape):
        if v in evidence:
            value = check_int(evidence[v], f"evidence[{v!r}]", low=0, high=card - 1)
            index.append(value)
        else:
            index.append(slice(None))
            keep.append(v)
    return Factor(tuple(keep), factor.table[tuple(index)])


def normalize(factor: Factor) -> Factor:
    """Divide by the total so the table sums to one."""
    total = _check_factor(factor).table.sum()
    if not total > 0:
        raise ValueError("factor sums to zero: the evidence has probability zero under the model")
    return Factor(factor.variables, factor.table / total)


def _query_result(factor: Factor, query) -> Factor:
    order = [factor.variables.index(v) for v in query]
    return normalize(Factor(tuple(query), np.transpose(factor.table, order)))


def _check_query(factors, query, evidence):
    if isinstance(factors, (str, Factor)) or not hasattr(factors, "__iter__") or not list(factors):
        raise ValueError(f"factors must be a non-empty list of Factor, got {factors!r:.60}")
    for f in factors:
        _check_factor(f, "factors")
    query = [query] if isinstance(query, str) else list(_names(query, "query"))
    if evidence is not None and not isinstance(evidence, Mapping):
        raise ValueError(f"evidence must be a dict variable -> state, got {type(evidence).__name__}")
    evidence = dict(evidence or {})
    names = {v for f in factors for v in f.variables}
    for v in query:
        if v not in names:
            raise ValueError(f"query variable {v!r} is not in the model")
        if v in evidence:
            raise ValueError(f"query variable {v!r} is also in the evidence")
    for v in evidence:
        if v not in names:
            raise ValueError(f"evidence variable {v!r} is not in the model")
    if len(set(query)) != len(query) or not query:
        raise ValueError(f"query must list distinct variables, got {query}")
    return query, evidence


def enumerate_query(factors, query, evidence=None) -> Factor:
    r"""Exact :math:`P(x_Q \mid x_E = e)` by building the whole joint table (exponential in the variables).

    .. math:: P(x_Q \mid e) = \frac{\sum_{x_{\text{rest}}} \prod_C \phi_C(x_Q, e, x_{\text{rest}})}
                                    {\sum_{x_Q, x_{\text{rest}}} \prod_C \phi_C(x_Q, e, x_{\text{rest}})}

    Parameters
    ----------
    factors : list of Factor
        The model: CPTs of a Bayesian network or potentials of an MRF (the product need not be normalised).
    query : str or list of str
    evidence : dict str -> int, optional

    Returns
    -------
    Factor over ``query`` (in that order), summing to one.
    """
    query, evidence = _check_query(factors, query, evidence)
    joint = condition(factor_product(*factors), evidence)
    rest = [v for v in joint.variables if v not in query]
    return _query_result(marginalize(joint, rest) if rest else joint, query)


def variable_elimination(factors, query, evidence=None, order=None) -> Factor:
    r"""Exact :math:`P(x_Q \mid x_E = e)` by summing out one variable at a time.

    For each hidden variable :math:`Y` in ``order``: multiply only the factors that mention :math:`Y`, sum
    :math:`Y` out, and put the new factor back. The cost is exponential in the largest intermediate factor
    (the induced width), not in the number of variables. The default order eliminates, at each step, the
    variable whose product would have the fewest entries (greedy min-size).

    Parameters
    ----------
    factors : list of Factor
    query : str or list of str
    evidence : dict str -> int, optional
    order : list of str, optional
        Elimination order; must list exactly the variables that are neither queried nor observed.

    Returns
    -------
    Factor over ``query`` (in that order), summing to one.
    """
    query, evidence = _check_query(factors, query, evidence)
    pool = [condition(f, evidence) for f in factors]
    cards = {v: c for f in pool for v, c in f.cards.items()}
    hidden = [v for v in cards if v not in query]
    if order is not None:
        order = list(_names(order, "order"))
        if sorted(order) != sorted(hidden):
            raise ValueError(f"order must list exactly the hidden variables {sorted(hidden)}, got {order}")

    def size(v):
        return int(np.prod([cards[u] for u in {u for f in pool if v in f.variables for u in f.variables}]))

    remaining = list(hidden)
    while remaining:
        v = order[len(hidden) - len(remaining)] if order is not None else min(remaining, key=size)
        remaining.remove(v)
        touching = [f for f in pool if v in f.variables]
        pool = [f for f in pool if v not in f.variables]
        pool.append(marginalize(factor_product(*touching), v))
    return _query_result(factor_product(*pool), query)


# -- Ising model: a pairwise MRF on a grid ------------------------------------------------------------------


def _grid_shape(shape):
    if shape is None or isinstance(shape, (str, numbers.Number)) or not hasattr(shape, "__len__") or len(shape) != 2:
        raise ValueError(f"shape must be (rows, cols), got {shape!r}")
    return check_int(shape[0], "shape[0]", low=1), check_int(shape[1], "shape[1]", low=1)


def ising_energy(x, J: float, h: float = 0.0) -> np.ndarray:
    r"""Energy of spin configurations on a grid with free boundaries.

    .. math:: E(x) = -J \sum_{\langle i, j\rangle} x_i x_j - h \sum_i x_i, \qquad x_i \in \{-1, +1\}

    the first sum running over horizontally and vertically adjacent sites. The distribution is
    :math:`p(x) = e^{-E(x)}/Z` (the temperature is folded into ``J`` and ``h``), a product of edge potentials
    :math:`e^{J x_i x_j}` and node potentials :math:`e^{h x_i}`.

    Parameters
    ----------
    x : array_like, shape (..., rows, cols), entries -1 or +1
    J, h : float, coupling and external field

    Returns
    -------
    ndarray, shape (...)
    """
    x = as_array(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must have shape (..., rows, cols), got {x.shape}")
    if not np.all(np.abs(x) == 1):
        raise ValueError("x must contain only -1 and +1")
    J, h = check_float(J, "J"), check_float(h, "h")
    pairs = (x[..., 1:, :] * x[..., :-1, :]).sum((-2, -1)) + (x[..., :, 1:] * x[..., :, :-1]).sum((-2, -1))
    return -J * pairs - h * x.sum((-2, -1))


def ising_states(shape) -> np.ndarray:
    """Every configuration of a ``rows x cols`` grid of +-1 spins, shape (2**n, rows, cols), n <= 16."""
    rows, cols = _grid_shape(shape)
    if rows * cols > 16:
        raise ValueError(f"shape {shape} has {rows * cols} sites; enumeration is limited to 16 (65536 states)")
    bits = np.array(list(itertools.product([-1, 1], repeat=rows * cols)), dtype=float)
    return bits.reshape(-1, rows, cols)


@dataclass
class IsingExact:
    """Brute-force results for a tiny Ising grid: the states, their probabilities, Z and P(x_i = +1)."""

    states: np.ndarray
    probs: np.ndarray
    Z: float
    marginals: np.ndarray


def ising_exact(shape, J: float, h: float = 0.0) -> IsingExact:
    r"""Partition function and node marginals by enumerating all :math:`2^n` states.

    .. math:: Z = \sum_x e^{-E(x)}, \qquad P(x_i = +1) = \sum_{x: x_i = +1} e^{-E(x)} / Z

    Parameters
    ----------
    shape : (rows, cols) with rows * cols <= 16
    J, h : float

    Returns
    -------
    IsingExact
    """
    states = ising_states(shape)
    log_w = -ising_energy(states, J, h)
    shift = log_w.max()
    w = np.exp(log_w - shift)
    Z = float(w.sum() * np.exp(shift))
    probs = w / w.sum()
    marginals = np.tensordot(probs, (states > 0).astype(float), axes=1)
    return IsingExact(states, probs, Z, marginals)


def ising_gibbs(shape, J: float, h: float = 0.0, n_sweeps: int = 100, rng=0, x0=None) -> np.ndarray:
    r"""Gibbs sampling of the Ising grid, updating the two colours of a checkerboard in turn.

    The full conditional of one spin depends only on its neighbours' sum :math:`s_i`:

    .. math:: P(x_i = +1 \mid x_{-i}) = \sigma\big(2 (J s_i + h)\big), \qquad \sigma(t) = 1/(1 + e^{-t}).

    Sites of one colour are never adjacent, so given the other colour they are independent and drawing them
    all at once is an exact block-Gibbs step.

    Parameters
    ----------
    shape : (rows, cols)
    J, h : float
    n_sweeps : int >= 1
        Number of full sweeps (both colours).
    rng : int or numpy.random.Generator
    x0 : array_like (rows, cols) of +-1, optional
        Start; default: independent fair coin flips.

    Returns
    -------
    ndarray of int8, shape (n_sweeps, rows, cols): the state after each sweep.
    """
    rows, cols = _grid_shape(shape)
    J, h = check_float(J, "J"), check_float(h, "h")
    n_sweeps = check_int(n_sweeps, "n_sweeps", low=1)
    rng = check_random_state(rng)
    if x0 is None:
        x = rng.choice(np.array([-1.0, 1.0]), size=(rows, cols))
    else:
        x = as_array(x0, "x0", ndim=2).copy()
        if x.shape != (rows, cols) or not np.all(np.abs(x) == 1):
            raise ValueError(f"x0 must be a {rows} x {cols} array of -1 and +1")
    colour = (np.add.outer(np.arange(rows), np.arange(cols)) % 2).astype(bool)
    masks = (~colour, colour)
    out = np.empty((n_sweeps, rows, cols), dtype=np.int8)
    u = rng.random((n_sweeps, 2, rows, cols))
    # A neighbour sum is an integer in [-4, 4]: look its conditional up instead of exponentiating every site.
    p_up_by_sum = 1.0 / (1.0 + np.exp(-2.0 * (J * np.arange(-4.0, 5.0) + h)))
    padded = np.zeros((rows + 2, cols + 2))                   # zero spins around the grid: free boundary
    for t in range(n_sweeps):
        for c, mask in enumerate(masks):
            padded[1:-1, 1:-1] = x
            s = padded[:-2, 1:-1] + padded[2:, 1:-1] + padded[1:-1, :-2] + padded[1:-1, 2:]
            p_up = p_up_by_sum[s.astype(np.intp) + 4]
            x = np.where(mask, np.where(u[t, c] < p_up, 1.0, -1.0), x)
        out[t] = x
    return out


def ising_factors(shape, J: float, h: float = 0.0) -> list[Factor]:
    r"""The Ising grid as a factor graph: edge potentials :math:`e^{J x_i x_j}`, node potentials :math:`e^{h x_i}`.

    Their product is the unnormalised joint :math:`e^{-E(x)}` of :func:`ising_energy`, so any exact inference
    routine over factors (:func:`variable_elimination`, :func:`enumerate_query`) answers Ising queries.

    Parameters
    ----------
    shape : (rows, cols)
    J, h : float

    Returns
    -------
    list of Factor: the edges first (vertical, then horizontal), then one factor per node. Variables are named
    ``"r,c"``; axis index 0 is spin -1 and index 1 is spin +1.
    """
    rows, cols = _grid_shape(shape)
    J, h = check_float(J, "J"), check_float(h, "h")
    spins = np.array([-1.0, 1.0])
    edge, node = np.exp(J * np.outer(spins, spins)), np.exp(h * spins)

    def name(r, c):
        return f"{r},{c}"

    edges = [(name(r, c), name(r + 1, c)) for r in range(rows - 1) for c in range(cols)]
    edges += [(name(r, c), name(r, c + 1)) for r in range(rows) for c in range(cols - 1)]
    return ([make_factor(e, edge) for e in edges]
            + [make_factor([name(r, c)], node) for r in range(rows) for c in range(cols)])


def ising_sweep_kernel(shape, J: float, h: float = 0.0) -> np.ndarray:
    r"""The exact transition matrix of one :func:`ising_gibbs` sweep over every state of a small grid.

    A sweep redraws the even sites (:math:`r + c` even) from their full conditionals, then the odd ones; each
    half keeps the other colour fixed, so the kernel is the product :math:`K = K_\text{even} K_\text{odd}`
    with :math:`K_b(x, y) = [x_{\bar b} = y_{\bar b}] \prod_{i \in b} P(y_i \mid x_{-i})`.

    Parameters
    ----------
    shape : (rows, cols), at most 12 sites (the matrix has :math:`4^{\text{sites}}` entries)
    J, h : float

    Returns
    -------
    ndarray (2**sites, 2**sites): rows are the current state, columns the next, states in the order of
    :func:`ising_states`; every row sums to 1.
    """
    rows, cols = _grid_shape(shape)
    if rows * cols > 12:
        raise ValueError(f"shape {shape} has {rows * cols} sites; the exact kernel is limited to 12")
    J, h = check_float(J, "J"), check_float(h, "h")
    states = ising_states((rows, cols)).reshape(-1, rows * cols).astype(float)
    rr, cc = np.divmod(np.arange(rows * cols), cols)
    adjacent = (np.abs(rr[:, None] - rr) + np.abs(cc[:, None] - cc)) == 1
    up = 1 / (1 + np.exp(-2 * (J * (states @ adjacent) + h)))                 # P(x_i = +1 | neighbours)
    p_to = np.where(states[None] > 0, up[:, None], 1 - up[:, None])           # (from, to, site)
    even = (rr + cc) % 2 == 0
    halves = [np.all(states[:, None, ~b] == states[None, :, ~b], axis=-1) * p_to[:, :, b].prod(-1)
              for b in (even, ~even)]
    return halves[0] @ halves[1]


def onsager_magnetisation(J: float) -> float:
    r"""Spontaneous magnetisation of the infinite square-lattice Ising model at :math:`h = 0` (Onsager, Yang).

    .. math:: m(J) = \big(1 - \sinh(2J)^{-4}\big)^{1/8} \ \text{for}\ J > J_c = \tfrac12 \ln(1 + \sqrt 2),
              \qquad m(J) = 0 \ \text{otherwise}.
    """
    J = check_float(J, "J")
    j_c = np.log(1 + np.sqrt(2)) / 2
    return float((1 - np.sinh(2 * J) ** -4) ** 0.125) if J > j_c else 0.0


def conditionally_independent(joint: Factor, x: str, y: str, given=(), *, atol: float = 1e-12) -> bool:
    r"""Whether :math:`x \perp y \mid \text{given}` holds in a joint distribution held as a :class:`Factor`.

    Sums out every other variable, then checks :math:`P(x, y, z) P(z) = P(x, z) P(y, z)` for every value
    :math:`z` of the conditioning variables (both sides vanish where :math:`P(z) = 0`, so a zero-probability
    condition is no evidence either way).

    Parameters
    ----------
    joint : Factor, a normalised joint table (entries sum to 1)
    x, y : str, distinct variables of ``joint``
    given : sequence of str, variables of ``joint`` other than ``x`` and ``y``
    atol : float >= 0, absolute tolerance of the comparison
    """
    if not isinstance(joint, Factor):
        raise ValueError(f"joint must be a Factor, got {type(joint).__name__}")
    given = _names(given, "given")
    for name, v in (("x", x), ("y", y), *(("given", g) for g in given)):
        if not isinstance(v, str) or v not in joint.variables:
            raise ValueError(f"{name} must name a variable of the joint {joint.variables}, got {v!r}")
    if x == y:
        raise ValueError(f"x and y must be distinct, got x={x!r}, y={y!r}")
    if x in given or y in given or len(set(given)) != len(given):
        raise ValueError(f"given must hold distinct variables other than x and y, got x={x!r}, y={y!r}, "
                         f"given={given!r}")
    atol = check_float(atol, "atol", low=0.0)
    if not np.isclose(joint.table.sum(), 1.0):
        raise ValueError(f"joint must be normalised, its entries sum to {joint.table.sum():.6g}")
    m = marginalize(joint, [v for v in joint.variables if v not in (x, y, *given)])
    t = np.moveaxis(m.table, [m.variables.index(x), m.variables.index(y)], [0, 1])
    t = t.reshape(t.shape[0], t.shape[1], -1)
    p_z = t.sum((0, 1))
    return bool(np.allclose(t * p_z, t.sum(1, keepdims=True) * t.sum(0, keepdims=True), rtol=0, atol=atol))


def d_separated(parents: dict, x: str, y: str, given=()) -> bool:
    r"""Whether ``x`` and ``y`` are d-separated by ``given`` in a DAG, by the moralised ancestral graph.

    Keep the ancestors of :math:`\{x, y\} \cup \text{given}`, marry the parents of every kept node, drop the
    directions, delete ``given``; ``x`` and ``y`` are d-separated exactly when no path then joins them.

    Parameters
    ----------
    parents : dict node -> tuple of parent nodes (a DAG: no directed cycle; every parent is a node)
    x, y : distinct nodes, not in ``given``
    given : iterable of nodes

    Returns
    -------
    bool
    """
    if not isinstance(parents, dict):
        raise ValueError(f"parents must be a dict node -> tuple of parents, got {type(parents).__name__}")
    for v, ps in parents.items():
        if isinstance(ps, str) or not hasattr(ps, "__iter__") or any(p not in parents for p in ps):
            raise ValueError(f"parents[{v!r}] must be a tuple of nodes of the graph, got {ps!r}")
    _check_acyclic(parents)
    given = set(_names(given, "given"))
    for name, v in (("x", x), ("y", y), *(("given", g) for g in given)):
        if v not in parents:
            raise ValueError(f"{name} must be a node of the graph, got {v!r}, which is not in the graph")
    if x == y:
        raise ValueError(f"x and y must be distinct, got {x!r} twice")
    if x in given or y in given:
        raise ValueError(f"given must not hold x or y, got x={x!r}, y={y!r}, given={sorted(given, key=str)}")
    keep, stack = set(), [x, y, *given]
    while stack:
        v = stack.pop()
        if v not in keep:
            keep.add(v)
            stack.extend(parents[v])
    adjacent = {v: set() for v in keep}
    for v in keep:
        for p in parents[v]:
            adjacent[v].add(p)
            adjacent[p].add(v)
        for p, q in itertools.combinations(parents[v], 2):
            adjacent[p].add(q)
            adjacent[q].add(p)
    seen, stack = {x}, [x]
    while stack:
        for u in adjacent[stack.pop()] - given - seen:
            seen.add(u)
            stack.append(u)
    return y not in seen


def _check_acyclic(parents: dict) -> None:
    """ValueError naming ``parents`` when the graph has a directed cycle (Kahn's algorithm)."""
    placed: set = set()
    while len(placed) < len(parents):
        ready = [v for v, ps in parents.items() if v not in placed and all(p in placed for p in ps)]
        if not ready:
            raise ValueError(f"parents must describe a DAG, got a directed cycle among "
                             f"{sorted(set(parents) - placed, key=str)}")
        placed.update(ready)


# -- Bayesian networks ---------------------------------------------------------------------------------------


def sprinkler_joint(c, s, r, w) -> dict:
    r"""The joint of the sprinkler network C -> S, C -> R, (S, R) -> W from its nine CPT numbers.

    :math:`P(c, s, r, w) = P(c) P(s \mid c) P(r \mid c) P(w \mid s, r)`, every variable binary. The numbers may be
    floats or SymPy symbols (the product is then symbolic).

    Parameters
    ----------
    c : P(C = 1)
    s, r : pairs, ``s[c] = P(S = 1 | C = c)``, ``r[c] = P(R = 1 | C = c)``
    w : 2 x 2 (nested sequence or matrix), ``w[s, r] = P(W = 1 | S = s, R = r)``

    Numbers must lie in [0, 1] (SymPy numbers are checked too and kept exact; SymPy symbols are not checked).

    Returns
    -------
    dict (c, s, r, w) -> probability, over all 16 states
    """
    c = _cpt_numbers(c, "c", ())
    s, r, w = _cpt_numbers(s, "s", (2,)), _cpt_numbers(r, "r", (2,)), _cpt_numbers(w, "w", (2, 2))

    def bernoulli(p, value):
        return p if value == 1 else 1 - p

    return {(C, S, R, W): bernoulli(c, C) * bernoulli(s[C], S) * bernoulli(r[C], R) * bernoulli(w[S, R], W)
            for C, S, R, W in itertools.product([0, 1], repeat=4)}


def _cpt_numbers(value, name: str, shape: tuple):
    """Check a block of :func:`sprinkler_joint`'s CPT numbers: ``shape`` entries in [0, 1], or SymPy symbols.

    Returns ``value`` itself for a scalar and an object array (indexable by ``[S, R]``, entries as given) otherwise.
    """
    try:
        arr = np.array(value, dtype=object)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numbers in [0, 1] of shape {shape}, got {value!r:.60}") from exc
    if value is None or arr.shape != shape:
        raise ValueError(f"{name} must be numbers in [0, 1] of shape {shape}, got {value!r:.60}")
    for entry in arr.flat:
        if getattr(entry, "free_symbols", None):            # a SymPy expression with symbols: kept symbolic
            continue
        try:
            number = float(entry) if not isinstance(entry, (str, bool)) else None
        except (TypeError, ValueError):
            number = None
        if number is None or not 0.0 <= number <= 1.0:         # also NaN
            raise ValueError(f"{name} must hold probabilities in [0, 1] (or SymPy symbols), got {entry!r}")
    return value if shape == () else arr


def table_probability(P: dict, names: str, **fixed):
    """Probability of an event in a joint held as a dict state -> probability: the sum over matching states.

    ``names`` spells the variables of a state in order (one letter each, e.g. ``"CSRW"``); ``fixed`` gives the
    event, e.g. ``table_probability(P, "CSRW", R=1, W=1)`` is :math:`P(R = 1, W = 1)`.
    """
    if not isinstance(P, dict) or not P:
        raise ValueError(f"P must be a non-empty dict state -> probability, got {type(P).__name__}")
    if not isinstance(names, str) or len(set(names)) != len(names):
        raise ValueError(f"names must be a string of distinct one-letter variable names, got {names!r}")
    for state in P:
        if not isinstance(state, tuple) or len(state) != len(names):
            raise ValueError(f"P's states must be tuples of {len(names)} values, one per letter of names "
                             f"{names!r}, got {state!r}")
    unknown = set(fixed) - set(names)
    if unknown:
        raise ValueError(f"unknown variable(s) {sorted(unknown)}; the states are ordered as {names!r}")
    index = {name: i for i, name in enumerate(names)}
    return sum(p for state, p in P.items() if all(state[index[k]] == v for k, v in fixed.items()))


def alarm_posteriors(p_b: float, p_e: float, false_alarm: float, hit_b: float = 0.95,
                     hit_e: float = 0.3) -> dict[str, list[float]]:
    r"""Explaining away in the burglar-alarm network B -> A <- E with a noisy-OR alarm.

    The alarm stays silent only if every active cause fails and no false alarm occurs:
    :math:`P(A = 0 \mid b, e) = (1 - f)(1 - h_B)^b (1 - h_E)^e`. Exact inference by enumeration.

    Returns
    -------
    dict ``"B"`` and ``"E"`` -> [prior, P(cause | alarm), P(cause | alarm, other cause)]
    """
    for name, v in (("p_b", p_b), ("p_e", p_e), ("false_alarm", false_alarm), ("hit_b", hit_b), ("hit_e", hit_e)):
        check_float(v, name, low=0.0, high=1.0)
    cpds = {"B": ((), [1 - p_b, p_b]), "E": ((), [1 - p_e, p_e])}
    b, e = np.meshgrid([0, 1], [0, 1], indexing="ij")
    on = 1 - (1 - false_alarm) * (1 - hit_b) ** b * (1 - hit_e) ** e
    cpds["A"] = (("B", "E"), np.stack([1 - on, on], -1))
    factors = bn_factors(cpds)
    out = {}
    for cause, other in (("B", "E"), ("E", "B")):
        out[cause] = [float(enumerate_query(factors, cause).table[1]),
                      float(enumerate_query(factors, cause, {"A": 1}).table[1]),
                      float(enumerate_query(factors, cause, {"A": 1, other: 1}).table[1])]
    return out


def _check_cpds(cpds: dict) -> dict:
    """Validate ``{child: (parents, table)}`` and return ``{child: (parents tuple, table array)}``."""
    if not isinstance(cpds, dict) or not cpds:
        raise ValueError("cpds must be a non-empty dict child -> (parents, table)")
    out = {}
    for child, spec in cpds.items():
        if not (isinstance(spec, tuple) and len(spec) == 2):
            raise ValueError(f"cpds[{child!r}] must be a (parents, table) pair")
        if spec[0] is None or not hasattr(spec[0], "__iter__"):
            raise ValueError(f"cpds[{child!r}] parents must be a tuple of node names, got {spec[0]!r}")
        parents, table = tuple(spec[0]), as_array(spec[1], f"cpds[{child!r}] table")
        for p in parents:
            if p not in cpds:
                raise ValueError(f"cpds[{child!r}]: parent {p!r} has no CPT of its own")
        if table.ndim != len(parents) + 1 or np.any(table < 0):
            raise ValueError(f"cpds[{child!r}] table must be non-negative with shape (*parent cards, child card), "
                             f"got {table.shape}")
        if not np.allclose(table.sum(-1), 1.0):
            raise ValueError(f"cpds[{child!r}] table: each row P({child} | parents) must sum to 1")
        out[child] = (parents, table)
    for child, (parents, table) in out.items():
        for axis, p in enumerate(parents):
            if table.shape[axis] != out[p][1].shape[-1]:
                raise ValueError(f"cpds[{child!r}]: axis {axis} has {table.shape[axis]} states but {p!r} has "
                                 f"{out[p][1].shape[-1]}")
    return out


def topological_order(cpds: dict) -> list[str]:
    """An order in which every node comes after its parents (Kahn's algorithm); ValueError on a directed cycle."""
    cpds = _check_cpds(cpds)
    order, placed = [], set()
    while len(order) < len(cpds):
        ready = [c for c, (ps, _) in cpds.items() if c not in placed and all(p in placed for p in ps)]
        if not ready:
            raise ValueError(f"cpds contain a directed cycle among {sorted(set(cpds) - placed)}")
        order.extend(ready)
        placed.update(ready)
    return order


def bn_factors(cpds: dict) -> list[Factor]:
    r"""The CPTs as factors over ``(*parents, child)``; their product is the joint
    :math:`P(x) = \prod_i P(x_i \mid \mathrm{pa}(x_i))`."""
    topological_order(cpds)  # validates and rejects cycles
    return [make_factor((*spec[0], child), spec[1]) for child, spec in cpds.items()]


def ancestral_sample(cpds: dict, n: int, rng=0) -> dict[str, np.ndarray]:
    r"""Draw ``n`` joint samples: visit nodes parents-first and draw each from its CPT row.

    Parameters
    ----------
    cpds : dict child -> (parents, table)
        ``table[p_1, ..., p_m, :]`` is :math:`P(\text{child} \mid \text{parents} = (p_1..p_m))`.
    n : int >= 1
    rng : int or numpy.random.Generator

    Returns
    -------
    dict variable -> ndarray of int, shape (n,)
    """
    order = topological_order(cpds)
    cpds = _check_cpds(cpds)
    n = check_int(n, "n", low=1)
    rng = check_random_state(rng)
    out: dict[str, np.ndarray] = {}
    for v in order:
        parents, table = cpds[v]
        rows = table[tuple(out[p] for p in parents)] if parents else np.broadcast_to(table, (n, table.shape[-1]))
        cum = np.cumsum(rows, axis=-1)
        u = rng.random(n)[:, None] * cum[:, -1:]
        out[v] = np.minimum((u >= cum).sum(-1), table.shape[-1] - 1)
    return out


# -- Gibbs sampling of a bivariate normal --------------------------------------------------------------------


# -- latent Dirichlet allocation -----------------------------------------------------------------------------


@dataclass
class LDACorpus:
    """A synthetic corpus: word ids (n_docs, doc_length), true topics z, mixtures theta (n_docs, K), topics phi."""

    docs: np.ndarray
    z: np.ndarray
    theta: np.ndarray
    phi: np.ndarray


def lda_generate(n_docs: int, doc_length: int, phi, alpha: float, rng=0) -> LDACorpus:
    r"""LDA's generative process with known topics.

    For each document :math:`d`: draw :math:`\theta_d \sim \mathrm{Dir}(\alpha\mathbf 1_K)`; for each of its
    words draw a topic :math:`z \sim \mathrm{Categorical}(\theta_d)`, then the word
    :math:`w \sim \mathrm{Categorical}(\phi_z)`.

    Parameters
    ----------
    n_docs, doc_length : int >= 1
    phi : array_like (K, V), rows are topic-word distributions (sum to 1)
    alpha : float > 0, symmetric Dirichlet concentration
    rng : int or numpy.random.Generator

    Returns
    -------
    LDACorpus
    """
    n_docs = check_int(n_docs, "n_docs", low=1)
    doc_length = check_int(doc_length, "doc_length", low=1)
    phi = as_array(phi, "phi", ndim=2)
    if np.any(phi < 0) or not np.allclose(phi.sum(1), 1):
        raise ValueError("phi rows must be probability vectors (non-negative, summing to 1)")
    alpha = check_float(alpha, "alpha", low=0, low_open=True)
    rng = check_random_state(rng)
    K, V = phi.shape
    theta = rng.dirichlet(np.full(K, alpha), size=n_docs)
    u = rng.random((n_docs, doc_length, 1))
    z = np.minimum((u > np.cumsum(theta, 1)[:, None, :]).sum(-1), K - 1)
    v = rng.random((n_docs, doc_length, 1))
    docs = np.minimum((v > np.cumsum(phi, 1)[z]).sum(-1), V - 1)
    return LDACorpus(docs, z, theta, phi)


def lda_counts(docs, z, n_topics: int, n_words: int):
    """Count matrices of an assignment: ``n_dk`` (D, K), ``n_kw`` (K, V) and ``n_k`` (K,)."""
    n_topics, n_words = check_int(n_topics, "n_topics", low=1), check_int(n_words, "n_words", low=1)
    docs, z = np.asarray(docs), np.asarray(z)
    for name, ids, n, n_name in (("docs", docs, n_words, "n_words"), ("z", z, n_topics, "n_topics")):
        if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer) or np.any((ids < 0) | (ids >= n)):
            raise ValueError(f"{name} must be a 2-d integer array of ids in [0, {n - 1}] ({n_name} = {n}), got "
                             f"{ids.dtype} shape {ids.shape}" + (f", ids {ids.min()}..{ids.max()}" if ids.size
                                                                 and np.issubdtype(ids.dtype, np.number) else ""))
    if z.shape != docs.shape:
        raise ValueError(f"z must have the shape of docs {docs.shape}, got {z.shape}")
    D = docs.shape[0]
    ndk = np.zeros((D, n_topics), dtype=np.int64)
    np.add.at(ndk, (np.repeat(np.arange(D), docs.shape[1]), z.ravel()), 1)
    nkw = np.zeros((n_topics, n_words), dtype=np.int64)
    np.add.at(nkw, (z.ravel(), docs.ravel()), 1)
    return ndk, nkw, nkw.sum(1)


def lda_log_joint(docs, z, n_topics: int, n_words: int, alpha: float, beta: float) -> float:
    r"""Collapsed LDA log joint :math:`\log p(z, w)` with :math:`\theta` and :math:`\phi` integrated out.

    Both integrals are Dirichlet-multinomial, so up to a constant that does not depend on :math:`z`

    .. math:: \log p(z, w) = \sum_d \Big[\sum_k \log\Gamma(n_{dk} + \alpha) - \log\Gamma(n_d + K\alpha)\Big]
              + \sum_k \Big[\sum_w \log\Gamma(n_{kw} + \beta) - \log\Gamma(n_k + V\beta)\Big].

    Ratios of it over one token's topic give the collapsed conditional of :func:`lda_conditional`.
    """
    alpha = check_float(alpha, "alpha", low=0.0, low_open=True)
    beta = check_float(beta, "beta", low=0.0, low_open=True)
    ndk, nkw, _ = lda_counts(docs, z, n_topics, n_words)
    doc_part = (gammaln(ndk + alpha).sum(1) - gammaln(ndk.sum(1) + n_topics * alpha)).sum()
    return float(doc_part + (gammaln(nkw + beta).sum(1) - gammaln(nkw.sum(1) + n_words * beta)).sum())


def lda_conditional(ndk_d, nkw_w, nk, alpha: float, beta: float, n_words: int) -> np.ndarray:
    r"""Collapsed full conditional of one token's topic, counts taken *without* that token.

    .. math:: p(z_i = k \mid z_{-i}, w) \propto (n_{dk}^{-i} + \alpha)
              \frac{n_{kw}^{-i} + \beta}{n_k^{-i} + V\beta}

    ``ndk_d``, ``nkw_w`` and ``nk`` are count vectors of one length K (>= 0). Returns the normalised vector of
    length K.
    """
    alpha = check_float(alpha, "alpha", low=0.0, low_open=True)
    beta = check_float(beta, "beta", low=0.0, low_open=True)
    n_words = check_int(n_words, "n_words", low=1)
    for name, counts in (("ndk_d", ndk_d), ("nkw_w", nkw_w), ("nk", nk)):
        counts = as_array(counts, name, ndim=1)
        if np.any(counts < 0):
            raise ValueError(f"{name} must hold counts >= 0")
        if counts.shape != np.shape(ndk_d):
            raise ValueError(f"{name} must have one count per topic like ndk_d {np.shape(ndk_d)}, got {counts.shape}")
    p = (np.asarray(ndk_d) + alpha) * (np.asarray(nkw_w) + beta) / (np.asarray(nk) + n_words * beta)
    return p / p.sum()


@dataclass
class LDAResult:
    """State of a collapsed Gibbs run: assignments z (D, N), counts, and point estimates phi (K, V),
    theta (D, K); ``trace`` (n_iter, D, N) holds z after every sweep when requested."""

    z: np.ndarray
    ndk: np.ndarray
    nkw: np.ndarray
    nk: np.ndarray
    alpha: float
    beta: float
    trace: np.ndarray | None = None

    @property
    def phi(self) -> np.ndarray:
        r"""Posterior-mean topics given z: :math:`(n_{kw} + \beta)/(n_k + V\beta)`."""
        V = self.nkw.shape[1]
        return (self.nkw + self.beta) / (self.nk[:, None] + V * self.beta)

    @property
    def theta(self) -> np.ndarray:
        r"""Posterior-mean mixtures given z: :math:`(n_{dk} + \alpha)/(N_d + K\alpha)`."""
        K = self.ndk.shape[1]
        return (self.ndk + self.alpha) / (self.ndk.sum(1, keepdims=True) + K * self.alpha)


def lda_collapsed_gibbs(docs, n_topics: int, n_words: int, alpha: float, beta: float, n_iter: int,
                        rng=0, keep_trace: bool = False) -> LDAResult:
    r"""Collapsed Gibbs sampling for LDA (Griffiths and Steyvers, 2004).

    :math:`\theta` and :math:`\phi` are integrated out (Dirichlet-multinomial conjugacy); only the topic of
    each token is sampled, token by token, from :func:`lda_conditional` with that token's counts removed.

    Parameters
    ----------
    docs : int array (D, N), word ids in [0, n_words)
    n_topics : int >= 1
    n_words : int >= 1, vocabulary size V
    alpha, beta : float > 0, symmetric Dirichlet concentrations of theta and phi
    n_iter : int >= 0, sweeps over all tokens
    rng : int or numpy.random.Generator
    keep_trace : bool
        Also return the assignments after every sweep (``LDAResult.trace``).

    Returns
    -------
    LDAResult
    """
    docs = np.asarray(docs)
    if docs.ndim != 2 or docs.size == 0 or not np.issubdtype(docs.dtype, np.integer):
        raise ValueError(f"docs must be a non-empty 2-D integer array (n_docs, doc_length), got {docs.shape}")
    K = check_int(n_topics, "n_topics", low=1)
    V = check_int(n_words, "n_words", low=1)
    if docs.min() < 0 or docs.max() >= V:
        raise ValueError(f"docs must hold word ids in [0, {V - 1}] (n_words = {V}), got {docs.min()}..{docs.max()}")
    alpha = check_float(alpha, "alpha", low=0, low_open=True)
    beta = check_float(beta, "beta", low=0, low_open=True)
    n_iter = check_int(n_iter, "n_iter", low=0)
    check_bool(keep_trace, "keep_trace")
    rng = check_random_state(rng)
    D, N = docs.shape
    z = rng.integers(K, size=(D, N))
    ndk, nkw, nk = lda_counts(docs, z, K, V)
    u = rng.random((n_iter, D, N)).tolist()
    # Plain Python lists: one token's update touches K numbers, and NumPy's per-call overhead on such tiny
    # arrays made the loop about ten times slower than list arithmetic.
    nd_l, nwk_l, nk_l, z_l, w_l = ndk.tolist(), nkw.T.tolist(), nk.tolist(), z.tolist(), docs.tolist()
    Vb, topics = V * beta, range(K)
    trace = np.empty((n_iter, D, N), dtype=np.int64) if keep_trace else None
    for t in range(n_iter):
        for d in range(D):
            nd, ud, zd, wd = nd_l[d], u[t][d], z_l[d], w_l[d]
            for i in range(N):
                k, nw = zd[i], nwk_l[wd[i]]
                nd[k] -= 1                         # remove token i from the counts
                nw[k] -= 1
                nk_l[k] -= 1
                total, cum = 0.0, []
                for j in topics:                   # unnormalised p(z_i = j | rest), cumulated
                    total += (nd[j] + alpha) * (nw[j] + beta) / (nk_l[j] + Vb)
                    cum.append(total)
                x, k = ud[i] * total, 0
                while k < K - 1 and cum[k] <= x:   # inverse-CDF draw
                    k += 1
                zd[i] = k                          # add it back with its new topic
                nd[k] += 1
                nw[k] += 1
                nk_l[k] += 1
        if keep_trace:
            trace[t] = z_l
    nkw = np.array(nwk_l, dtype=np.int64).T.copy()
    return LDAResult(np.array(z_l), np.array(nd_l, dtype=np.int64), nkw, np.array(nk_l, dtype=np.int64),
                     alpha, beta, trace)


def match_topics(estimated, true) -> tuple[np.ndarray, np.ndarray]:
    """Pair estimated topics with true ones (topics are only identified up to relabelling).

    Solves the assignment problem on the Hellinger distances (``scipy.optimize.linear_sum_assignment``).

    Parameters
    ----------
    estimated, true : array_like (K, V), rows are distributions

    Returns
    -------
    perm : int array (K,), ``estimated[perm[k]]`` is matched with ``true[k]``
    dist : array (K,), the matched Hellinger distances
    """
    from scipy.optimize import linear_sum_assignment

    est = check_probabilities(estimated, "estimated", ndim=2)
    tru = check_probabilities(true, "true", ndim=2)
    if est.shape != tru.shape:
        raise ValueError(f"estimated and true must have the same shape, got {est.shape} and {tru.shape}")
    cost = hellinger(tru[:, None, :], est[None, :, :])
    rows, cols = linear_sum_assignment(cost)
    perm = cols[np.argsort(rows)]
    return perm, cost[np.arange(len(perm)), perm]

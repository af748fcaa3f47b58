r"""Tabular reinforcement learning: finite MDPs, grid worlds, dynamic programming and TD control.

An :class:`MDP` holds everything as arrays, indexed by state ``s`` (``0..S-1``) and action ``a`` (``0..A-1``):

- ``P[s, a, s']`` the probability of moving to ``s'`` after taking ``a`` in ``s``, shape (S, A, S);
- ``R[s, a]`` the expected immediate reward :math:`\mathbb{E}[r_{t+1} \mid s_t = s, a_t = a]`, shape (S, A);
- ``terminal[s]`` whether ``s`` ends an episode, shape (S,);
- ``gamma`` the discount factor in :math:`[0, 1)`.

Terminal states are absorbing with zero reward (``P[t, :, t] = 1``, ``R[t, :] = 0``), so the dynamic-programming
functions need no special case (:math:`V(t) = 0 + \gamma V(t)` forces :math:`V(t) = 0`), while the sampling
functions end an episode on entering one and never bootstrap from it.

Models: :class:`MDP`, :func:`gridworld` (grid maps such as :data:`CLIFF` and :data:`ROOM`), :func:`corridor`,
:func:`from_gymnasium` (the transition table of a gymnasium toy-text environment).

Dynamic programming (exact, needs ``P`` and ``R``):
:func:`bellman_backup`, :func:`value_iteration`, :func:`policy_evaluation`, :func:`q_from_v`,
:func:`policy_iteration` (Howard's, with SciPy's dense solver; :func:`policy_iteration_trace` keeps every
round), :func:`value_iteration_history`, :func:`iterative_policy_evaluation`, :func:`discounted_occupancy`,
:func:`greedy_policy`,
:func:`epsilon_greedy_probs`, :func:`sarsa_fixed_point` (what SARSA converges to with a fixed epsilon);
:func:`contraction_ratios` measures how much :math:`T` shrinks distances and
:func:`expected_q_sweeps` iterates the expected update from given terminal values.

Learning from samples (needs only :func:`step`, a :class:`Transition`): :func:`q_learning`, :func:`sarsa`,
with the behaviour policy :func:`epsilon_greedy`; both return a :class:`TDResult`, optionally with the table
after every episode. :func:`greedy_path` and :func:`running_mean` summarise a learned table and a learning
curve.

Example
-------
>>> mdp = gridworld(CLIFF, gamma=0.9)
>>> Q_star, V_star = value_iteration(mdp)
>>> result = q_learning(mdp, alpha=0.5, epsilon=0.5, episodes=2000, rng=0)
>>> bool(np.abs(result.Q - Q_star)[~mdp.terminal].max() < 1e-2)
True
>>> bool(np.allclose(policy_evaluation(mdp, greedy_policy(result.Q)), V_star))
True
"""

from __future__ import annotations

import bisect
import operator
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg

from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

#: Grid actions, in index order, as (row step, column step): up, right, down, left.
MOVES = np.array([[-1, 0], [0, 1], [1, 0], [0, -1]])
#: Arrow glyphs of the grid actions, for captions and tables.
ARROWS = ("\u2191", "\u2192", "\u2193", "\u2190")

#: A 4 x 6 cliff walk: start ``S`` bottom left, goal ``G`` bottom right, pits ``P`` in between.
CLIFF = ("......",
         "......",
         "......",
         "SPPPPG")

#: A 4 x 4 open room with the goal in the far corner.
ROOM = ("S...",
        "....",
        "....",
        "...G")


@dataclass(frozen=True, eq=False)
class MDP:
    r"""A finite Markov decision process with episodes that end in absorbing terminal states.

    Parameters
    ----------
    P : array_like, shape (S, A, S)
        Transition probabilities; every ``P[s, a]`` sums to 1.
    R : array_like, shape (S, A)
        Expected immediate reward of taking ``a`` in ``s``.
    terminal : array_like of bool, shape (S,)
        Terminal states; each must be absorbing (``P[t, a, t] = 1``) with ``R[t, a] = 0``.
    gamma : float in [0, 1)
        Discount factor.
    start : int
        The non-terminal state every episode starts from.
    R_next : array_like, shape (S, A, S), optional
        The reward actually received on the transition ``(s, a, s')``, used by :func:`step` when given;
        it must average to ``R``: :math:`R(s, a) = \sum_{s'} P(s' \mid s, a)\, R_{next}(s, a, s')`.
    shape : (int, int), optional
        Grid shape (rows, columns) when the states are the cells of a grid, in row-major order.
    layout : tuple of str, optional
        The grid's map (one string per row), kept for plotting.
    """

    P: np.ndarray
    R: np.ndarray
    terminal: np.ndarray
    gamma: float
    start: int = 0
    R_next: np.ndarray | None = None
    shape: tuple[int, int] | None = None
    layout: tuple[str, ...] | None = None
    _cdf: list = field(init=False, repr=False)
    _rewards: list = field(init=False, repr=False)
    _done: list = field(init=False, repr=False)

    def __post_init__(self):
        P = as_array(self.P, "P", ndim=3)
        S, A, S2 = P.shape
        if S < 1 or A < 1 or S2 != S:
            raise ValueError(f"P must have shape (S, A, S) with S, A >= 1, got {P.shape}")
        if np.any(P < 0) or not np.allclose(P.sum(-1), 1.0, atol=1e-9):
            raise ValueError("P must hold probabilities: P[s, a, :] >= 0 and summing to 1 for every (s, a)")
        R = as_array(self.R, "R", ndim=2)
        if R.shape != (S, A):
            raise ValueError(f"R must have shape (S, A) = {(S, A)} like P's first two axes, got {R.shape}")
        terminal = np.asarray(self.terminal)
        if terminal.shape != (S,) or terminal.dtype != bool:
            raise ValueError(f"terminal must be a boolean array of shape ({S},), got {terminal.dtype} "
                             f"{terminal.shape}")
        t = np.flatnonzero(terminal)
        if t.size and not (np.allclose(P[t, :, t], 1.0) and np.all(R[t] == 0)):
            raise ValueError("terminal states must be absorbing with zero reward: P[t, a, t] = 1, R[t, a] = 0")
        gamma = check_float(self.gamma, "gamma", low=0.0, high=1.0, high_open=True)
        start = check_int(self.start, "start", low=0, high=S - 1)
        if terminal[start]:
            raise ValueError(f"start must be a non-terminal state, got terminal state {start}")
        R_next = self.R_next
        if R_next is not None:
            R_next = as_array(R_next, "R_next", ndim=3)
            if R_next.shape != P.shape:
                raise ValueError(f"R_next must have shape {P.shape} like P, got {R_next.shape}")
            if not np.allclose((P * R_next).sum(-1), R, atol=1e-9):
                raise ValueError("R_next must average to R: sum_s' P[s, a, s'] R_next[s, a, s'] = R[s, a]")
        if self.shape is not None and (not isinstance(self.shape, (tuple, list)) or len(self.shape) != 2 or not all(
                isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in self.shape)):
            raise ValueError(f"shape must be a pair (rows, columns) of positive ints, got {self.shape!r}")
        if self.shape is not None and int(np.prod(self.shape)) != S:
            raise ValueError(f"shape {self.shape} does not have {S} cells")
        cdf = np.cumsum(P, axis=-1)
        cdf[..., -1] = 1.0  # exact, so a uniform draw always lands in some state
        cdf = cdf.tolist()  # nested lists: bisect on a short list is ~10x faster than np.searchsorted
        # the reward of each transition and the terminal flags as plain lists too, for the sampling kernel
        rewards = (np.broadcast_to(R[:, :, None], P.shape) if R_next is None else R_next).tolist()
        for name, value in (("P", P), ("R", R), ("terminal", terminal), ("gamma", gamma), ("start", start),
                            ("R_next", R_next), ("_cdf", cdf), ("_rewards", rewards),
                            ("_done", terminal.tolist())):
            object.__setattr__(self, name, value)

    @property
    def n_states(self) -> int:
        return self.P.shape[0]

    @property
    def n_actions(self) -> int:
        return self.P.shape[1]

    def with_gamma(self, gamma: float) -> "MDP":
        """The same MDP with another discount factor."""
        return MDP(self.P, self.R, self.terminal, gamma, self.start, self.R_next, self.shape, self.layout)


def gridworld(layout=CLIFF, *, slip: float = 0.0, gamma: float = 0.9, step_reward: float = -1.0,
              goal_reward: float = 0.0, pit_reward: float = -100.0) -> MDP:
    """A grid world from a map: ``S`` start, ``G`` goal, ``P`` pit, ``.`` free cell.

    The agent moves up, right, down or left (actions 0-3, see :data:`MOVES`); a move off the grid leaves it
    where it is. With probability ``1 - slip`` it moves as intended, with probability ``slip / 2`` each it
    slips to one of the two perpendicular directions. Entering a goal or a pit ends the episode. The reward
    depends on the cell entered: ``goal_reward`` for a goal, ``pit_reward`` for a pit, ``step_reward``
    otherwise. States are the cells in row-major order, ``s = row * n_cols + col``.

    Parameters
    ----------
    layout : sequence of str
        Equal-length rows (a tuple or list of strings, not one string); exactly one ``S`` and at least one ``G``.
    slip : float in [0, 1]
    gamma : float in [0, 1)
    step_reward, goal_reward, pit_reward : float

    Returns
    -------
    MDP
        With ``shape`` and ``layout`` set, and ``R_next[s, a, s']`` the reward of entering ``s'``.
    """
    if isinstance(layout, str) or not hasattr(layout, "__iter__"):
        raise ValueError(f"layout must be a sequence of strings, one per row, got {type(layout).__name__} "
                         f"{layout!r:.60}")
    layout = tuple(layout)
    if not layout or not all(isinstance(r, str) and r for r in layout) or len({len(r) for r in layout}) != 1:
        raise ValueError("layout must be a non-empty sequence of non-empty strings of equal length")
    if set("".join(layout)) - set("SGP."):
        raise ValueError(f"layout may only contain 'S', 'G', 'P' and '.', got {sorted(set(''.join(layout)))}")
    cells = np.array([list(r) for r in layout])
    if (cells == "S").sum() != 1 or (cells == "G").sum() < 1:
        raise ValueError("layout needs exactly one start 'S' and at least one goal 'G'")
    slip = check_float(slip, "slip", low=0.0, high=1.0)
    for name, value in (("step_reward", step_reward), ("goal_reward", goal_reward), ("pit_reward", pit_reward)):
        check_float(value, name)
    n_rows, n_cols = cells.shape
    S, A = cells.size, len(MOVES)
    flat = cells.reshape(-1)
    terminal = (flat == "G") | (flat == "P")
    enter_reward = np.where(flat == "G", goal_reward, np.where(flat == "P", pit_reward, step_reward))

    rows, cols = np.divmod(np.arange(S), n_cols)
    dest = np.empty((S, A), dtype=int)  # where each intended move lands
    for a, (dr, dc) in enumerate(MOVES):
        r2, c2 = rows + dr, cols + dc
        inside = (r2 >= 0) & (r2 < n_rows) & (c2 >= 0) & (c2 < n_cols)
        dest[:, a] = np.where(inside, r2 * n_cols + c2, np.arange(S))
    P = np.zeros((S, A, S))
    s_idx = np.arange(S)
    for a in range(A):  # intended move, then the two perpendicular slips
        for b, prob in ((a, 1.0 - slip), ((a + 1) % A, slip / 2), ((a - 1) % A, slip / 2)):
            np.add.at(P, (s_idx, a, dest[:, b]), prob)
    R_next = np.broadcast_to(enter_reward, (S, A, S)).copy()
    t = np.flatnonzero(terminal)
    P[t] = 0.0
    P[t, :, t] = 1.0
    R_next[t] = 0.0
    R = (P * R_next).sum(-1)
    start = int(np.flatnonzero(flat == "S")[0])
    return MDP(P, R, terminal, gamma, start, R_next, (n_rows, n_cols), layout)


def corridor(gamma: float = 0.9, *, length: int = 6, left_reward: float = 1.0, right_reward: float = 10.0) -> MDP:
    r"""A corridor of ``length`` states with an exit at each end: a small reward near, a large one far.

    States ``0 .. length - 1``; both ends are terminal. Every episode starts in state 1, next to the left exit.
    Action 0 moves left, action 1 moves right, deterministically. Entering state 0 pays ``left_reward``,
    entering the last state pays ``right_reward``, every other move pays 0. Going right reaches the far exit in
    ``length - 2`` moves, so the optimal first move is right exactly when
    :math:`\gamma^{L - 3} r_R > r_L` with :math:`L` = ``length``, :math:`r_R` = ``right_reward``,
    :math:`r_L` = ``left_reward``.

    Parameters
    ----------
    gamma : float in [0, 1)
    length : int >= 3
    left_reward, right_reward : float

    Returns
    -------
    MDP
        With ``R_next[s, a, s']`` the reward of entering ``s'``.
    """
    S = check_int(length, "length", low=3)
    left_reward, right_reward = check_float(left_reward, "left_reward"), check_float(right_reward, "right_reward")
    P, R_next = np.zeros((S, 2, S)), np.zeros((S, 2, S))
    inner = np.arange(1, S - 1)
    P[inner, 0, inner - 1] = P[inner, 1, inner + 1] = 1.0
    P[[0, S - 1], :, [0, S - 1]] = 1.0
    R_next[1:S - 1, :, 0], R_next[1:S - 1, :, S - 1] = left_reward, right_reward
    terminal = np.isin(np.arange(S), [0, S - 1])
    return MDP(P, (P * R_next).sum(-1), terminal, gamma, start=1, R_next=R_next)



def from_gymnasium(env, gamma: float = 0.9, *, start: int | None = None) -> MDP:
    r"""The :class:`MDP` of a gymnasium toy-text environment, read from its transition table ``env.unwrapped.P``.

    Gymnasium lists, for every state ``s`` and action ``a``, the outcomes ``(prob, s', reward, terminated)``.
    A state entered with ``terminated`` true ends the episode, so it becomes an absorbing terminal state with
    zero reward; gymnasium's own rows for such states (never used, since the episode is over) are dropped.
    Outcomes that land in the same ``s'`` are merged, their rewards averaged with their probabilities. A state
    that ends the episode on some transitions must not be entered without ending it from any state an episode
    can reach (Taxi enters its drop-off states without ending only from states no episode starts in or reaches).

    Parameters
    ----------
    env : gymnasium.Env
        A toy-text environment with a transition table (FrozenLake, CliffWalking, Taxi), wrapped or not.
    gamma : float in [0, 1)
    start : int, optional
        The start state; by default the most likely state of the environment's initial distribution.

    Returns
    -------
    MDP
        With ``R_next[s, a, s']`` the reward of the transition; for FrozenLake and CliffWalking also the grid
        ``shape``.
    """
    inner = getattr(env, "unwrapped", env)
    table = getattr(inner, "P", None)
    if not isinstance(table, dict) or not table:
        raise ValueError(f"env must be a toy-text environment with a transition table env.unwrapped.P, "
                         f"got {type(env).__name__}")
    S = len(table)
    if set(table) != set(range(S)) or not all(isinstance(table[s], dict) and table[s] for s in range(S)):
        raise ValueError("env.unwrapped.P must map every state 0..S-1 to every action 0..A-1")
    A = len(table[0])
    if any(set(table[s]) != set(range(A)) for s in range(S)):
        raise ValueError("env.unwrapped.P must map every state 0..S-1 to every action 0..A-1")
    P, weighted = np.zeros((S, A, S)), np.zeros((S, A, S))
    ends, goes_on = np.zeros(S, bool), np.zeros((S, S), bool)  # goes_on[s, s']: s enters s' and play goes on
    for s in range(S):
        for a in range(A):
            for prob, s_next, reward, terminated in table[s][a]:
                P[s, a, int(s_next)] += prob
                weighted[s, a, int(s_next)] += prob * reward
                if prob > 0:
                    if terminated:
                        ends[int(s_next)] = True
                    else:
                        goes_on[s, int(s_next)] = True
    if not np.allclose(P[~ends].sum(-1), 1.0, atol=1e-9):   # the rows of ending states are replaced below
        raise ValueError("env.unwrapped.P must list outcome probabilities summing to 1 for every state and action")
    isd = np.asarray(getattr(inner, "initial_state_distrib", getattr(inner, "isd", np.eye(S)[0])), float)
    # states a real episode can visit: from the initial distribution, never leaving a state that ends one
    seen, frontier = isd > 0, np.flatnonzero(isd > 0)
    while frontier.size:
        nxt = (P[frontier].sum(1) > 0).any(0) & ~seen
        seen |= nxt
        frontier = np.flatnonzero(nxt & ~ends)  # an ending state is visited, not expanded
    clash = ends & goes_on[seen & ~ends].any(0)
    if np.any(clash):
        raise ValueError(f"env enters states {np.flatnonzero(clash).tolist()} both with and without ending the "
                         "episode, so they cannot be made terminal states")
    R_next = np.divide(weighted, P, out=np.zeros_like(P), where=P > 0)
    t = np.flatnonzero(ends)
    P[t], R_next[t] = 0.0, 0.0
    P[t, :, t] = 1.0
    if start is None:
        start = int(np.argmax(isd))
    shape = getattr(inner, "shape", None)
    if shape is None and hasattr(inner, "nrow"):
        shape = (int(inner.nrow), int(inner.ncol))
    shape = tuple(int(n) for n in shape) if shape is not None and int(np.prod(shape)) == S else None
    return MDP(P, (P * R_next).sum(-1), ends, gamma, start, R_next, shape)


# -- dynamic programming ------------------------------------------------------------------------------------

def bellman_backup(mdp: MDP, Q, gamma: float | None = None) -> np.ndarray:
    r"""The Bellman optimality operator applied to ``Q``.

    .. math:: (T Q)(s, a) = R(s, a) + \gamma \sum_{s'} P(s' \mid s, a) \max_{a'} Q(s', a')

    Terminal states contribute nothing (their row of ``Q`` is ignored), so ``T`` is a
    :math:`\gamma`-contraction in the max norm and :math:`Q^*` is its unique fixed point.

    Parameters
    ----------
    mdp : MDP
    Q : array_like, shape (S, A)
    gamma : float in [0, 1), optional
        Defaults to ``mdp.gamma``.

    Returns
    -------
    ndarray, shape (S, A)
    """
    if not isinstance(mdp, MDP):
        raise ValueError(f"mdp must be an MDP, got {type(mdp).__name__}")
    gamma = mdp.gamma if gamma is None else check_float(gamma, "gamma", low=0.0, high=1.0, high_open=True)
    Q = as_array(Q, "Q", ndim=2)
    if Q.shape != mdp.R.shape:
        raise ValueError(f"Q must have shape {mdp.R.shape}, got {Q.shape}")
    return _bellman_backup(mdp, Q, gamma)


def _bellman_backup(mdp: MDP, Q: np.ndarray, gamma: float) -> np.ndarray:
    """:func:`bellman_backup` without the checks: ``R + gamma * P @ V`` with ``V = max_a Q``, 0 at terminals."""
    V = np.where(mdp.terminal, 0.0, Q.max(axis=1))
    return mdp.R + gamma * mdp.P @ V


def value_iteration(mdp: MDP, tol: float = 1e-10, max_iter: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    r"""Optimal action values by iterating the Bellman optimality operator, :math:`Q_{k+1} = T Q_k`.

    Because :math:`T` is a :math:`\gamma`-contraction,
    :math:`\lVert Q_{k+1} - Q^*\rVert_\infty \le \frac{\gamma}{1-\gamma}\lVert Q_{k+1} - Q_k\rVert_\infty`;
    the loop stops once that bound is at most ``tol``.

    Parameters
    ----------
    mdp : MDP
    tol : float > 0
        Guaranteed max-norm distance of the result from :math:`Q^*`.
    max_iter : int >= 1

    Returns
    -------
    Q : ndarray, shape (S, A)
        :math:`Q^*(s, a)`, the expected discounted return of taking ``a`` in ``s`` and acting optimally after.
    V : ndarray, shape (S,)
        :math:`V^*(s) = \max_a Q^*(s, a)`, zero at terminal states.
    """
    if not isinstance(mdp, MDP):
        raise ValueError(f"mdp must be an MDP, got {type(mdp).__name__}")
    tol = check_float(tol, "tol", low=0.0, low_open=True)
    max_iter = check_int(max_iter, "max_iter", low=1)
    Q = np.zeros_like(mdp.R)
    for _ in range(max_iter):
        Q_new = _bellman_backup(mdp, Q, mdp.gamma)
        change = np.abs(Q_new - Q).max()
        Q = Q_new
        if mdp.gamma * change <= tol * (1.0 - mdp.gamma):
            return Q, np.where(mdp.terminal, 0.0, Q.max(axis=1))
    raise RuntimeError(f"value_iteration did not reach tol={tol:g} in max_iter={max_iter} iterations")


def _policy_matrix(mdp: MDP, policy) -> np.ndarray:
    """A policy as an (S, A) matrix of probabilities, from an (S,) action array or an (S, A) matrix."""
    if not isinstance(mdp, MDP):
        raise ValueError(f"mdp must be an MDP, got {type(mdp).__name__}")
    S, A = mdp.R.shape
    pi = np.asarray(policy)
    if pi.shape == (S,):
        if not np.issubdtype(pi.dtype, np.integer) or np.any((pi < 0) | (pi >= A)):
            raise ValueError(f"policy of shape ({S},) must hold integer actions in [0, {A - 1}]")
        return np.eye(A)[pi]
    pi = as_array(policy, "policy", ndim=2)
    if pi.shape != (S, A) or np.any(pi < 0) or not np.allclose(pi.sum(1), 1.0):
        raise ValueError(f"policy must be an ({S},) array of actions or an ({S}, {A}) matrix of probabilities "
                         f"with rows summing to 1, got shape {pi.shape}")
    return pi


def policy_evaluation(mdp: MDP, policy) -> np.ndarray:
    r"""The value of a fixed policy by one linear solve.

    With :math:`P_\pi(s, s') = \sum_a \pi(a \mid s) P(s' \mid s, a)` and
    :math:`r_\pi(s) = \sum_a \pi(a \mid s) R(s, a)`, the Bellman expectation equation
    :math:`v = r_\pi + \gamma P_\pi v` is linear, and :math:`I - \gamma P_\pi` is invertible for
    :math:`\gamma < 1`, so :math:`v_\pi = (I - \gamma P_\pi)^{-1} r_\pi`.

    Parameters
    ----------
    mdp : MDP
    policy : array_like, shape (S,) of int actions, or (S, A) of probabilities :math:`\pi(a \mid s)`

    Returns
    -------
    ndarray, shape (S,)
        :math:`v_\pi(s)`, zero at terminal states. Use :func:`q_from_v` for :math:`q_\pi`.
    """
    pi = _policy_matrix(mdp, policy)
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    r_pi = (pi * mdp.R).sum(1)
    return np.linalg.solve(np.eye(mdp.n_states) - mdp.gamma * P_pi, r_pi)


def q_from_v(mdp: MDP, V) -> np.ndarray:
    r"""One-step look-ahead, :math:`q(s, a) = R(s, a) + \gamma \sum_{s'} P(s' \mid s, a) V(s')`, shape (S, A)."""
    if not isinstance(mdp, MDP):
        raise ValueError(f"mdp must be an MDP, got {type(mdp).__name__}")
    V = as_array(V, "V", ndim=1)
    if V.shape != (mdp.n_states,):
        raise ValueError(f"V must have shape ({mdp.n_states},), got {V.shape}")
    return mdp.R + mdp.gamma * mdp.P @ V


def policy_iteration(mdp: MDP, max_iter: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    r"""Howard's policy iteration: evaluate the policy exactly, improve it greedily, repeat until it is stable.

    Evaluation solves :math:`(I - \gamma P_\pi)\, v = r_\pi` with ``scipy.linalg.solve`` (a dense LU
    factorisation); improvement takes :math:`\pi'(s) = \arg\max_a q_\pi(s, a)`, keeping :math:`\pi(s)` on
    ties so the loop cannot cycle between equally good actions. Each improvement can only raise
    :math:`v_\pi`, and there are finitely many deterministic policies, so it ends, in practice after a handful
    of rounds, at an optimal policy. An exact method that shares no code with :func:`value_iteration`, which
    makes it a reference for it. :func:`policy_iteration_trace` keeps every round.

    Parameters
    ----------
    mdp : MDP
    max_iter : int >= 1
        Limit on the number of improvement rounds.

    Returns
    -------
    policy : ndarray of int, shape (S,)
        An optimal deterministic policy.
    V : ndarray, shape (S,)
        Its value :math:`V^*`, zero at terminal states.
    """
    trace = policy_iteration_trace(mdp, max_iter)
    return trace.policies[-1], trace.values[-1]


@dataclass(frozen=True)
class PolicyIterationTrace:
    r"""Every round of :func:`policy_iteration`.

    Attributes
    ----------
    policies : ndarray of int, shape (n_rounds, S)
        The policy evaluated in each round, starting from "always action 0"; the last one is stable (optimal).
    values : ndarray, shape (n_rounds, S)
        Its exact value :math:`v_\pi` in each round; non-decreasing from round to round.
    """

    policies: np.ndarray
    values: np.ndarray

    @property
    def n_rounds(self) -> int:
        """How many policies were evaluated (the last evaluation confirms that the policy is stable)."""
        return len(self.policies)


def policy_iteration_trace(mdp: MDP, max_iter: int = 1000) -> PolicyIterationTrace:
    r"""Policy iteration (see :func:`policy_iteration`), keeping the policy and its value of every round.

    Parameters
    ----------
    mdp : MDP
    max_iter : int >= 1

    Returns
    -------
    PolicyIterationTrace
    """
    if not isinstance(mdp, MDP):
        raise ValueError(f"mdp must be an MDP, got {type(mdp).__name__}")
    max_iter = check_int(max_iter, "max_iter", low=1)
    idx = np.arange(mdp.n_states)
    pi = np.zeros(mdp.n_states, dtype=int)
    policies, values = [], []
    for _ in range(max_iter):
        v = scipy.linalg.solve(np.eye(mdp.n_states) - mdp.gamma * mdp.P[idx, pi], mdp.R[idx, pi])
        policies.append(pi)
        values.append(v)
        q = mdp.R + mdp.gamma * mdp.P @ v
        new = np.where(q[idx, pi] >= q.max(1) - 1e-12, pi, q.argmax(1))   # keep pi on ties: no cycling
        if np.array_equal(new, pi):
            return PolicyIterationTrace(np.array(policies), np.array(values))
        pi = new
    raise RuntimeError(f"policy_iteration did not settle in max_iter={max_iter} rounds")


def value_iteration_history(mdp: MDP, n_iter: int) -> np.ndarray:
    r"""The state values of the first ``n_iter`` value-iteration sweeps, starting from zero.

    :math:`Q_0 = 0`, :math:`Q_{k+1} = T Q_k` (:func:`bellman_backup`) and :math:`V_k(s) = \max_a Q_k(s, a)`
    (0 at terminal states), which is the same as iterating
    :math:`V_{k+1}(s) = \max_a [R(s, a) + \gamma \sum_{s'} P(s' \mid s, a) V_k(s')]` from :math:`V_0 = 0`.
    :math:`V_k` is the best expected discounted return over the next ``k`` steps, and
    :math:`\lVert V_k - V^*\rVert_\infty \le \gamma^k \lVert V^*\rVert_\infty`.

    Parameters
    ----------
    mdp : MDP
    n_iter : int >= 0

    Returns
    -------
    ndarray, shape (n_iter + 1, S)
        Row ``k`` is :math:`V_k`.
    """
    if not isinstance(mdp, MDP):
        raise ValueError(f"mdp must be an MDP, got {type(mdp).__name__}")
    n_iter = check_int(n_iter, "n_iter", low=0)
    out = np.zeros((n_iter + 1, mdp.n_states))
    Q = np.zeros_like(mdp.R)
    for k in range(1, n_iter + 1):
        Q = _bellman_backup(mdp, Q, mdp.gamma)
        out[k] = np.where(mdp.terminal, 0.0, Q.max(axis=1))
    return out


@dataclass(frozen=True)
class IterativeEvaluation:
    r"""The result of :func:`iterative_policy_evaluation`.

    Attributes
    ----------
    V : ndarray, shape (S,)
        The value of the policy, within ``tol`` in the max norm.
    n_iter : int
        Sweeps made.
    changes : ndarray, shape (n_iter,)
        :math:`\lVert V_{k+1} - V_k\rVert_\infty` of every sweep; shrinks at least by the factor :math:`\gamma`.
    """

    V: np.ndarray
    n_iter: int
    changes: np.ndarray


def iterative_policy_evaluation(mdp: MDP, policy, tol: float = 1e-10, max_iter: int = 100_000
                                ) -> IterativeEvaluation:
    r"""The value of a fixed policy by iterating the Bellman expectation operator from :math:`V_0 = 0`.

    .. math:: V_{k+1}(s) = \sum_a \pi(a \mid s) \Big[R(s, a) + \gamma \sum_{s'} P(s' \mid s, a)\, V_k(s')\Big]
              = r_\pi(s) + \gamma (P_\pi V_k)(s) ,

    a :math:`\gamma`-contraction whose fixed point is :math:`v_\pi` (:func:`policy_evaluation` solves for it
    directly). The loop stops when :math:`\frac{\gamma}{1-\gamma}\lVert V_{k+1} - V_k\rVert_\infty \le`
    ``tol``, which guarantees :math:`\lVert V_{k+1} - v_\pi\rVert_\infty \le` ``tol``.

    Parameters
    ----------
    mdp : MDP
    policy : array_like, shape (S,) of int actions, or (S, A) of probabilities
    tol : float > 0
    max_iter : int >= 1

    Returns
    -------
    IterativeEvaluation
    """
    if not isinstance(mdp, MDP):
        raise ValueError(f"mdp must be an MDP, got {type(mdp).__name__}")
    tol = check_float(tol, "tol", low=0.0, low_open=True)
    max_iter = check_int(max_iter, "max_iter", low=1)
    pi = _policy_matrix(mdp, policy)
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    r_pi = (pi * mdp.R).sum(1)
    V = np.zeros(mdp.n_states)
    changes = []
    for k in range(1, max_iter + 1):
        V_new = r_pi + mdp.gamma * P_pi @ V
        changes.append(np.abs(V_new - V).max())
        V = V_new
        if mdp.gamma * changes[-1] <= tol * (1.0 - mdp.gamma):
            return IterativeEvaluation(V, k, np.array(changes))
    raise RuntimeError(f"iterative_policy_evaluation did not reach tol={tol:g} in max_iter={max_iter} sweeps")


def discounted_occupancy(mdp: MDP, policy, mu0=None) -> np.ndarray:
    r"""The normalised discounted state-visitation distribution of a policy.

    .. math:: d_\pi(s) = (1 - \gamma) \sum_{t \ge 0} \gamma^t \Pr(s_t = s \mid s_0 \sim \mu_0, \pi),
              \qquad d_\pi^\top = (1 - \gamma)\, \mu_0^\top (I - \gamma P_\pi)^{-1} ,

    a probability vector with :math:`\sum_s d_\pi(s)\, r_\pi(s) = (1 - \gamma)\, \mu_0^\top v_\pi`: the value
    is the reward averaged over where the policy spends its discounted time. Terminal states absorb mass
    (they pay 0).

    Parameters
    ----------
    mdp : MDP
    policy : array_like, shape (S,) of int actions, or (S, A) of probabilities
    mu0 : array_like, shape (S,), optional
        Start distribution; defaults to all mass on ``mdp.start``.

    Returns
    -------
    ndarray, shape (S,)
    """
    if not isinstance(mdp, MDP):
        raise ValueError(f"mdp must be an MDP, got {type(mdp).__name__}")
    pi = _policy_matrix(mdp, policy)
    if mu0 is None:
        mu0 = np.eye(mdp.n_states)[mdp.start]
    mu0 = as_array(mu0, "mu0", ndim=1)
    if mu0.shape != (mdp.n_states,) or np.any(mu0 < 0) or not np.isclose(mu0.sum(), 1.0):
        raise ValueError(f"mu0 must be a probability vector of shape ({mdp.n_states},)")
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    return (1.0 - mdp.gamma) * np.linalg.solve((np.eye(mdp.n_states) - mdp.gamma * P_pi).T, mu0)


def contraction_ratios(mdp: MDP, n_pairs: int = 500, rng=0, *, scale: float = 10.0) -> np.ndarray:
    r"""How much the Bellman operator shrinks the distance between random pairs of tables.

    .. math:: \rho = \frac{\lVert T Q_1 - T Q_2 \rVert_\infty}{\lVert Q_1 - Q_2 \rVert_\infty}
              \le \gamma ,

    both norms over the non-terminal rows (terminal rows never enter :math:`T`), with the entries of
    :math:`Q_1, Q_2` drawn independently from :math:`N(0, \text{scale}^2)`.

    Parameters
    ----------
    mdp : MDP, with at least one non-terminal state
    n_pairs : int >= 1
    rng : int or numpy.random.Generator
    scale : float > 0

    Returns
    -------
    ndarray, shape (n_pairs,)
    """
    if not isinstance(mdp, MDP):
        raise ValueError(f"mdp must be an MDP, got {type(mdp).__name__}")
    n_pairs = check_int(n_pairs, "n_pairs", low=1)
    scale = check_float(scale, "scale", low=0.0, low_open=True)
    rng = check_random_state(rng)
    keep = ~mdp.terminal
    ratios = np.empty(n_pairs)
    for i in range(n_pairs):
        Q1, Q2 = rng.normal(0.0, scale, (2, *mdp.R.shape))
        num = np.abs(_bellman_backup(mdp, Q1, mdp.gamma) - _bellman_backup(mdp, Q2, mdp.gamma))[keep].max()
        ratios[i] = num / np.abs(Q1 - Q2)[keep].max()
    return ratios


def expected_q_sweeps(mdp: MDP, q_init: float, n_sweeps: int = 600, *, bootstrap_terminal: bool = False
                      ) -> np.ndarray:
    r"""The expected Q-learning update with step size 1, applied to every non-terminal pair at once.

    Starting from :math:`Q \equiv q_0`, each sweep sets, on the non-terminal rows,

    .. math:: Q(s, a) \leftarrow R(s, a) + \gamma \sum_{s'} P(s' \mid s, a)\, \max_{a'} Q(s', a'),

    while the terminal rows keep :math:`q_0`: no action is taken there, so Q-learning never updates them. With
    ``bootstrap_terminal=False`` a terminal :math:`s'` contributes 0 (the episode ends), and the sweeps
    converge to :math:`Q^*` whatever :math:`q_0` is (this is :func:`value_iteration`). With
    ``bootstrap_terminal=True`` the never-updated :math:`q_0` leaks into every target that can end the
    episode, and the fixed point is another table.

    Parameters
    ----------
    mdp : MDP
    q_init : float
        The initial value of every entry, kept on the terminal rows.
    n_sweeps : int >= 1
    bootstrap_terminal : bool

    Returns
    -------
    ndarray, shape (S, A)
    """
    if not isinstance(mdp, MDP):
        raise ValueError(f"mdp must be an MDP, got {type(mdp).__name__}")
    q_init = check_float(q_init, "q_init")
    n_sweeps = check_int(n_sweeps, "n_sweeps", low=1)
    Q = np.full(mdp.R.shape, q_init)
    for _ in range(n_sweeps):
        V_next = Q.max(1) if bootstrap_terminal else np.where(mdp.terminal, 0.0, Q.max(1))
        Q = np.where(mdp.terminal[:, None], Q, mdp.R + mdp.gamma * mdp.P @ V_next)
    return Q


def greedy_policy(Q) -> np.ndarray:
    r"""The greedy deterministic policy :math:`\pi(s) = \arg\max_a Q(s, a)` (lowest index on ties), shape (S,)."""
    return as_array(Q, "Q", ndim=2).argmax(axis=1)


def epsilon_greedy_probs(Q, epsilon: float) -> np.ndarray:
    r"""The epsilon-greedy policy of ``Q`` as an (S, A) probability matrix.

    :math:`\pi(a \mid s) = \varepsilon / A + (1 - \varepsilon)\,[a \in \mathcal{A}^*(s)] / |\mathcal{A}^*(s)|`,
    with :math:`\mathcal{A}^*(s)` the greedy actions, matching :func:`epsilon_greedy`'s random tie-break.
    """
    epsilon = check_float(epsilon, "epsilon", low=0.0, high=1.0)
    Q = as_array(Q, "Q", ndim=2)
    best = Q == Q.max(axis=1, keepdims=True)
    return epsilon / Q.shape[1] + (1.0 - epsilon) * best / best.sum(1, keepdims=True)


# -- sampling and learning --------------------------------------------------------------------------------

def _uniform_stream(rng: np.random.Generator, block: int = 256):
    """``(draw, sync)`` for a learner's inner loop.

    ``draw()`` returns the numbers that successive ``rng.random()`` calls would, generated ``block`` at a time (a
    call costs a fraction of a ``rng.random()`` call); ``sync()`` then puts ``rng`` exactly where that many single
    calls would have left it, so a Generator threaded through several calls sees one unbroken stream.
    """
    start = rng.bit_generator.state
    blocks = {"n": 0, "current": iter(())}

    def stream():
        while True:
            blocks["n"] += 1
            blocks["current"] = current = iter(rng.random(block).tolist())
            yield from current

    def sync():
        used = blocks["n"] * block - operator.length_hint(blocks["current"])
        rng.bit_generator.state = start
        for done in range(0, used, 1 << 16):
            rng.random(min(1 << 16, used - done))

    return stream().__next__, sync


def _epsilon_greedy(q: list, epsilon: float, draw) -> int:
    """:func:`epsilon_greedy` without the checks, on one row of Q as a list; ``draw()`` gives a uniform in [0, 1).

    A handful of actions: plain Python is faster than NumPy calls here.
    """
    if epsilon > 0.0 and draw() < epsilon:
        return int(draw() * len(q))                   # explore: any action, uniformly
    top = max(q)
    n_best = q.count(top)
    a = q.index(top)
    if n_best > 1:                                    # a tie: the k-th greedy action, k uniform in 0..n_best-1
        for _ in range(int(draw() * n_best)):
            a = q.index(top, a + 1)
    return a


def epsilon_greedy(Q, s: int, epsilon: float, rng) -> int:
    r"""Draw an action: uniformly at random with probability ``epsilon``, else a greedy one.

    .. math:: \pi(a \mid s) = \frac{\varepsilon}{|\mathcal{A}|}
              + (1 - \varepsilon)\, \frac{[a \in \mathcal{A}^*(s)]}{|\mathcal{A}^*(s)|}, \qquad
              \mathcal{A}^*(s) = \arg\max_a Q(s, a)

    (:func:`epsilon_greedy_probs` gives these probabilities). Ties among greedy actions are broken uniformly at
    random, so an untrained, all-equal ``Q`` gives a random walk, not "always action 0". The learners call the
    unchecked kernel ``_epsilon_greedy`` on every step.

    Parameters
    ----------
    Q : array_like, shape (S, A)
    s : int, the current state
    epsilon : float in [0, 1]
    rng : int or numpy.random.Generator
        One to three uniform draws per call; pass a Generator to draw a sequence of actions.

    Returns
    -------
    int, an action in ``0..A-1``
    """
    Q = as_array(Q, "Q", ndim=2)
    s = check_int(s, "s", low=0, high=Q.shape[0] - 1)
    epsilon = check_float(epsilon, "epsilon", low=0.0, high=1.0)
    return _epsilon_greedy(Q[s].tolist(), epsilon, check_random_state(rng).random)


@dataclass(frozen=True)
class Transition:
    """One sampled step of an MDP (see :func:`step`)."""

    next_state: int   #: the state reached, s'
    reward: float     #: the reward received on the way
    done: bool        #: whether s' is terminal (the episode has ended)


def _step(mdp: MDP, s: int, a: int, draw) -> tuple[int, float, bool]:
    """:func:`step` without the checks: ``(s', r, done)`` from one uniform ``draw()``."""
    s_next = bisect.bisect_right(mdp._cdf[s][a], draw())  # first s' with cdf > u, u ~ U[0, 1)
    return s_next, mdp._rewards[s][a][s_next], mdp._done[s_next]


def step(mdp: MDP, s: int, a: int, rng) -> Transition:
    r"""Sample one transition, :math:`s' \sim P(\cdot \mid s, a)`, by inverting the cumulative distribution.

    With :math:`F(j) = \sum_{s' \le j} P(s' \mid s, a)` and :math:`u \sim U[0, 1)`, the next state is the
    first :math:`j` with :math:`F(j) > u` (a binary search), so :math:`\Pr(s' = j) = F(j) - F(j - 1)`. The
    learners call the unchecked kernel ``_step`` on every step.

    Parameters
    ----------
    mdp : MDP
    s : int, a non-terminal state
    a : int, an action
    rng : int or numpy.random.Generator
        One uniform draw per call; pass a Generator to sample a sequence of steps.

    Returns
    -------
    Transition
        The next state, the reward (``R_next[s, a, s']`` when the MDP has it, else the expected reward
        ``R[s, a]``) and whether the next state is terminal.
    """
    if not isinstance(mdp, MDP):
        raise ValueError(f"mdp must be an MDP, got {type(mdp).__name__}")
    s = check_int(s, "s", low=0, high=mdp.n_states - 1)
    a = check_int(a, "a", low=0, high=mdp.n_actions - 1)
    if mdp.terminal[s]:
        raise ValueError(f"s = {s} is terminal: the episode has ended")
    return Transition(*_step(mdp, s, a, check_random_state(rng).random))


@dataclass(frozen=True)
class TDResult:
    r"""What :func:`q_learning` and :func:`sarsa` return.

    Attributes
    ----------
    Q : ndarray, shape (S, A)
        The learned action values after the last episode.
    returns : ndarray, shape (episodes,)
        Discounted return of each episode, :math:`\sum_t \gamma^t r_{t+1}`.
    lengths : ndarray of int, shape (episodes,)
        Steps taken in each episode.
    visits : ndarray of int, shape (S, A)
        How often each state-action pair was updated.
    Q_history : ndarray, shape (episodes + 1, S, A), or None
        With ``history=True``: ``Q_history[k]`` is the table after k episodes (``Q_history[0]`` the initial
        table, ``Q_history[-1]`` the final ``Q``).
    visits_history : ndarray of int, shape (episodes + 1, S, A), or None
        With ``history=True``: the visit counts after k episodes.
    """

    Q: np.ndarray
    returns: np.ndarray
    lengths: np.ndarray
    visits: np.ndarray
    Q_history: np.ndarray | None = None
    visits_history: np.ndarray | None = None


def _check_td_args(mdp, alpha, gamma, epsilon, episodes, max_steps, q_init, alpha_power):
    if not isinstance(mdp, MDP):
        raise ValueError(f"mdp must be an MDP, got {type(mdp).__name__}")
    alpha = check_float(alpha, "alpha", low=0.0, high=1.0, low_open=True)
    gamma = mdp.gamma if gamma is None else check_float(gamma, "gamma", low=0.0, high=1.0, high_open=True)
    epsilon = check_float(epsilon, "epsilon", low=0.0, high=1.0)
    episodes = check_int(episodes, "episodes", low=1)
    max_steps = check_int(max_steps, "max_steps", low=1)
    alpha_power = check_float(alpha_power, "alpha_power", low=0.0, high=1.0)
    q_init = as_array(q_init, "q_init")
    if q_init.shape not in ((), mdp.R.shape):
        raise ValueError(f"q_init must be a number or an array of shape {mdp.R.shape}, got shape {q_init.shape}")
    Q = np.array(np.broadcast_to(q_init, mdp.R.shape))  # a writable copy
    Q[mdp.terminal] = 0.0  # never updated: no action is taken in a terminal state
    return alpha, gamma, epsilon, episodes, max_steps, alpha_power, Q


def q_learning(mdp: MDP, alpha: float = 0.5, gamma: float | None = None, epsilon: float = 0.1,
               episodes: int = 500, rng=0, max_steps: int = 200, *, q_init=0.0,
               alpha_power: float = 0.0, history: bool = False, after_step=None) -> TDResult:
    r"""Tabular Q-learning: off-policy TD control (Watkins, 1989).

    Each episode starts in ``mdp.start``; actions come from the epsilon-greedy *behaviour* policy, and every
    transition :math:`(s, a, r, s')` updates

    .. math:: Q(s, a) \leftarrow Q(s, a) + \alpha_n \big[y - Q(s, a)\big], \qquad
              y = \begin{cases} r & s' \text{ terminal} \\
                                 r + \gamma \max_{a'} Q(s', a') & \text{otherwise,} \end{cases}

    so the *target* policy is greedy. The step size is :math:`\alpha_n = \alpha\, n(s, a)^{-\omega}` with
    :math:`n(s, a)` the visit count and :math:`\omega` = ``alpha_power``: :math:`\omega = 0` is a constant
    step; :math:`\omega \in (1/2, 1]` meets the Robbins-Monro conditions :math:`\sum_n \alpha_n = \infty`,
    :math:`\sum_n \alpha_n^2 < \infty` under which Q converges to :math:`Q^*` with probability 1 when every
    pair is visited infinitely often. An episode cut off after ``max_steps`` is truncated, not terminated:
    its last update still bootstraps. The table is kept as nested lists while learning (a few actions per
    state: plain Python beats NumPy calls on single entries).

    Parameters
    ----------
    mdp : MDP
    alpha : float in (0, 1]
        Step size (learning rate).
    gamma : float in [0, 1), optional
        Discount factor; defaults to ``mdp.gamma``.
    epsilon : float in [0, 1]
        Exploration rate of the behaviour policy; 0 is purely greedy (with random tie-breaks).
    episodes : int >= 1
    rng : int or numpy.random.Generator
    max_steps : int >= 1
        Step limit per episode.
    q_init : float or array_like of shape (S, A)
        Initial values of non-terminal states (terminal rows are fixed at 0).
    alpha_power : float in [0, 1]
        Decay exponent :math:`\omega` of the step size.
    history : bool
        Also keep the table and the visit counts before the first and after every episode (for replaying the
        learning).
    after_step : callable, optional
        ``after_step(q, s, a, r, s_next, done, draw)``, called after each real update with the table (nested
        lists, updated in place) and the run's uniform stream ``draw()``: Dyna-Q
        (:func:`mlsheet_utils.algorithms.model_based.dyna_q`) records its model and plans there.

    Returns
    -------
    TDResult
        Runs are identical for identical seeds, and the first k episodes of a run do not depend on
        ``episodes``.
    """
    alpha, gamma, epsilon, episodes, max_steps, alpha_power, Q = _check_td_args(
        mdp, alpha, gamma, epsilon, episodes, max_steps, q_init, alpha_power)
    if after_step is not None and not callable(after_step):
        raise ValueError(f"after_step must be callable or None, got {type(after_step).__name__}")
    draw, sync = _uniform_stream(check_random_state(rng))     # draw() is rng.random(), in blocks
    q, n = Q.tolist(), np.zeros(Q.shape, dtype=int).tolist()
    returns, lengths = np.zeros(episodes), np.zeros(episodes, dtype=int)
    q_hist = np.empty((episodes + 1, *Q.shape)) if history else None
    n_hist = np.empty((episodes + 1, *Q.shape), dtype=int) if history else None
    if history:
        q_hist[0], n_hist[0] = q, n
    for ep in range(episodes):
        s, G, discount, n_steps = mdp.start, 0.0, 1.0, 0
        for _ in range(max_steps):
            a = _epsilon_greedy(q[s], epsilon, draw)             # behaviour policy: explores
            s_next, r, done = _step(mdp, s, a, draw)
            target = r if done else r + gamma * max(q[s_next])  # target policy: greedy
            n[s][a] += 1
            step_size = alpha * n[s][a] ** -alpha_power if alpha_power else alpha
            q[s][a] += step_size * (target - q[s][a])
            if after_step is not None:
                after_step(q, s, a, r, s_next, done, draw)
            G += discount * r
            discount *= gamma
            n_steps += 1
            s = s_next
            if done:
                break
        returns[ep], lengths[ep] = G, n_steps
        if history:
            q_hist[ep + 1], n_hist[ep + 1] = q, n
    sync()
    return TDResult(np.array(q), returns, lengths, np.array(n), q_hist, n_hist)


def sarsa(mdp: MDP, alpha: float = 0.5, gamma: float | None = None, epsilon: float = 0.1,
          episodes: int = 500, rng=0, max_steps: int = 200, *, q_init=0.0,
          alpha_power: float = 0.0, history: bool = False) -> TDResult:
    r"""Tabular SARSA: on-policy TD control; same arguments and result as :func:`q_learning`.

    The target uses the action the epsilon-greedy policy actually takes next,
    :math:`y = r + \gamma Q(s', a')` with :math:`a' \sim \pi_\varepsilon(\cdot \mid s')` (just :math:`r` when
    :math:`s'` is terminal), so Q converges to the values of the epsilon-greedy policy it follows, not to
    :math:`Q^*` (unless :math:`\varepsilon \to 0`).
    """
    alpha, gamma, epsilon, episodes, max_steps, alpha_power, Q = _check_td_args(
        mdp, alpha, gamma, epsilon, episodes, max_steps, q_init, alpha_power)
    draw, sync = _uniform_stream(check_random_state(rng))     # draw() is rng.random(), in blocks
    q, n = Q.tolist(), np.zeros(Q.shape, dtype=int).tolist()
    returns, lengths = np.zeros(episodes), np.zeros(episodes, dtype=int)
    q_hist = np.empty((episodes + 1, *Q.shape)) if history else None
    n_hist = np.empty((episodes + 1, *Q.shape), dtype=int) if history else None
    if history:
        q_hist[0], n_hist[0] = q, n
    for ep in range(episodes):
        s, G, discount, n_steps = mdp.start, 0.0, 1.0, 0
        a = _epsilon_greedy(q[s], epsilon, draw)
        for _ in range(max_steps):
            s_next, r, done = _step(mdp, s, a, draw)
            a_next = None if done else _epsilon_greedy(q[s_next], epsilon, draw)
            target = r if done else r + gamma * q[s_next][a_next]  # the action taken next
            n[s][a] += 1
            step_size = alpha * n[s][a] ** -alpha_power if alpha_power else alpha
            q[s][a] += step_size * (target - q[s][a])
            G += discount * r
            discount *= gamma
            n_steps += 1
            s, a = s_next, a_next
            if done:
                break
        returns[ep], lengths[ep] = G, n_steps
        if history:
            q_hist[ep + 1], n_hist[ep + 1] = q, n
    sync()
    return TDResult(np.array(q), returns, lengths, np.array(n), q_hist, n_hist)


# -- reading a learned table --------------------------------------------------------------------------------

def greedy_path(mdp: MDP, Q) -> np.ndarray:
    r"""The states visited by following the greedy action and, after it, the most likely next state.

    From ``mdp.start``, repeat :math:`s \leftarrow \arg\max_{s'} P(s' \mid s, \arg\max_a Q(s, a))` until a
    terminal state is reached or a state comes round again (the path loops; the repeated state is the last
    entry). For deterministic moves this is exactly where the greedy policy goes.

    Parameters
    ----------
    mdp : MDP
    Q : array_like, shape (S, A)

    Returns
    -------
    ndarray of int, shape (length,)
        Starts with ``mdp.start``; ends in a terminal state, or in a repeat of an earlier entry.
    """
    if not isinstance(mdp, MDP):
        raise ValueError(f"mdp must be an MDP, got {type(mdp).__name__}")
    Q = as_array(Q, "Q", ndim=2)
    if Q.shape != mdp.R.shape:
        raise ValueError(f"Q must have shape {mdp.R.shape}, got {Q.shape}")
    nxt = mdp.P[np.arange(mdp.n_states), Q.argmax(1)].argmax(1)   # most likely successor of each state
    path, seen, s = [mdp.start], {mdp.start}, mdp.start
    while not mdp.terminal[s]:
        s = int(nxt[s])
        path.append(s)
        if s in seen:
            break
        seen.add(s)
    return np.array(path)


def running_mean(x, window: int = 10) -> np.ndarray:
    """Trailing mean of a learning curve: entry i is the mean of ``x[max(0, i - window + 1) : i + 1]``.

    Parameters
    ----------
    x : array_like, shape (n,)
    window : int >= 1

    Returns
    -------
    ndarray, shape (n,); the first ``window - 1`` entries average the fewer values available.
    """
    x = as_array(x, "x", ndim=1)
    window = check_int(window, "window", low=1)
    c = np.concatenate([[0.0], np.cumsum(x)])
    i = np.arange(1, len(x) + 1)
    return (c[1:] - c[np.maximum(i - window, 0)]) / np.minimum(i, window)


def sarsa_fixed_point(mdp: MDP, epsilon: float, max_iter: int = 1000) -> np.ndarray:
    r"""The action values SARSA settles on with a fixed exploration rate: the best epsilon-greedy policy's :math:`q`.

    SARSA's expected update vanishes where :math:`Q` is the value of the epsilon-greedy policy of :math:`Q`
    itself, :math:`Q = R + \gamma P\,\big(\sum_{a'} \pi_\varepsilon(a' \mid s'; Q)\, Q(s', a')\big)`. Policy
    iteration restricted to epsilon-greedy policies finds it: evaluate :math:`\pi_\varepsilon(Q_k)` exactly
    (:func:`policy_evaluation`, then :func:`q_from_v`), take :math:`Q_{k+1}` as its action values, and stop when
    the greedy actions no longer change. Each round improves the policy among the epsilon-soft ones, so it ends
    after finitely many rounds, at the optimal epsilon-soft policy (Sutton and Barto's on-policy control).

    Parameters
    ----------
    mdp : MDP
    epsilon : float in [0, 1]
        Exploration rate; 0 gives :math:`Q^*`, 1 the values of the uniformly random policy.
    max_iter : int >= 1
        Round limit; exceeding it raises ``ValueError``.

    Returns
    -------
    ndarray, shape (S, A)
        :math:`q_{\pi_\varepsilon}` with :math:`\pi_\varepsilon` epsilon-greedy with respect to it; zero at
        terminal states.
    """
    if not isinstance(mdp, MDP):
        raise ValueError(f"mdp must be an MDP, got {type(mdp).__name__}")
    epsilon = check_float(epsilon, "epsilon", low=0.0, high=1.0)
    max_iter = check_int(max_iter, "max_iter", low=1)
    Q, _ = value_iteration(mdp)
    greedy = Q == Q.max(1, keepdims=True)
    for _ in range(max_iter):
        Q = q_from_v(mdp, policy_evaluation(mdp, epsilon_greedy_probs(Q, epsilon)))
        new_greedy = np.isclose(Q, Q.max(1, keepdims=True), rtol=0, atol=1e-10)
        Q = np.where(new_greedy, Q.max(1, keepdims=True), Q)   # exact ties, so the tie-split stays stable
        if np.array_equal(new_greedy, greedy):
            return Q
        greedy = new_greedy
    raise ValueError(f"max_iter = {max_iter} rounds were not enough for the greedy actions to settle")

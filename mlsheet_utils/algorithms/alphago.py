r"""AlphaGo's search at tic-tac-toe scale: PUCT tree search guided by a policy prior and a value function.

Boards, moves and players follow :mod:`mlsheet_utils.algorithms.mcts`. The "networks" are tables over the
5478 reachable positions: the exact minimax answers blurred by Gaussian noise, standing in for a trained policy
and value network of chosen quality.

Functions
---------
oracle_networks(prior_noise, value_noise, temperature, rng)   noisy policy prior and value tables -> Networks
puct_scores(q, prior, visits, c_puct)                          Q + c P sqrt(N) / (1 + n) for the moves of one node
puct_search(board, nets, n_simulations, c_puct, lam, rng)      MCTS with PUCT selection and value/rollout leaves
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from mlsheet_utils.algorithms import mcts
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state


@dataclass(frozen=True)
class Networks:
    """Stand-ins for AlphaGo's two networks, as tables keyed by board.

    Attributes
    ----------
    prior : dict board -> ndarray, shape (9,)   move probabilities, zero on illegal squares, summing to 1
    value : dict board -> float                 predicted outcome in [-1, 1] for the player to move
    """

    prior: dict
    value: dict


@lru_cache(maxsize=1)
def _exact_tables() -> tuple:
    """``(board, moves, q, v)`` for every non-terminal reachable position, in sorted order: the legal moves, their
    exact values and the position's exact value, all for the player to move (the noise-free part of
    :func:`oracle_networks`, computed once)."""
    out = []
    for board in sorted(mcts.reachable_positions()):
        moves = list(mcts.legal_moves(board))
        if not moves:
            continue
        q = mcts.minimax_move_values(board)[moves]
        v = mcts.to_move(board) * mcts.minimax_value(board)
        out.append((board, moves, q, v))
    return tuple(out)


def oracle_networks(prior_noise=0.0, value_noise=0.0, temperature=0.5, rng=0) -> Networks:
    r"""Policy and value tables made from exact minimax answers plus noise.

    For every non-terminal reachable position with legal moves :math:`m` and exact move values
    :math:`q^*_m \in \{-1, 0, 1\}` for the player to move,

    .. math:: P(m) = \mathrm{softmax}_m\big((q^*_m + \sigma_p \varepsilon_m)/T\big), \qquad
              v = \mathrm{clip}\big(v^* + \sigma_v \eta, -1, 1\big),

    with :math:`\varepsilon_m, \eta` standard normal. ``prior_noise = value_noise = 0`` gives a perfect value
    function and a prior that favours every optimal move equally.

    Parameters
    ----------
    prior_noise, value_noise : float >= 0
    temperature : float > 0
    rng : int or numpy.random.Generator

    Returns
    -------
    Networks
    """
    prior_noise = check_float(prior_noise, "prior_noise", low=0.0)
    value_noise = check_float(value_noise, "value_noise", low=0.0)
    temperature = check_float(temperature, "temperature", low=0.0, low_open=True)
    rng = check_random_state(rng)
    prior, value = {}, {}
    for board, moves, q, v in _exact_tables():
        logits = (q + prior_noise * rng.standard_normal(len(moves))) / temperature
        p = np.zeros(9)
        p[moves] = np.exp(logits - logits.max())
        prior[board] = p / p.sum()
        value[board] = float(np.clip(v + value_noise * rng.standard_normal(), -1.0, 1.0))
    return Networks(prior=prior, value=value)


def _puct(q, prior, visits, c_puct):
    return q + c_puct * prior * np.sqrt(max(visits.sum(), 1.0)) / (1.0 + visits)


def puct_scores(q, prior, visits, c_puct):
    r"""The PUCT selection score of each move at one node.

    .. math:: U(s, a) = Q(s, a) + c_{\text{puct}}\, P(s, a)\, \frac{\sqrt{\max(N(s), 1)}}{1 + N(s, a)},
              \qquad N(s) = \sum_b N(s, b).

    (The max keeps the first visit of a fresh node on the move with the largest prior.)

    Parameters
    ----------
    q, prior, visits : arrays, shape (n_moves,)   mean value, prior probability and visit count of each move
    c_puct : float >= 0

    Returns
    -------
    ndarray, shape (n_moves,)
    """
    q = as_array(q, "q", ndim=1)
    prior = as_array(prior, "prior", ndim=1)
    visits = as_array(visits, "visits", ndim=1)
    if not q.shape == prior.shape == visits.shape:
        raise ValueError(f"q, prior and visits must have the same shape, got {q.shape}, {prior.shape}, {visits.shape}")
    if np.any(visits < 0) or np.any(prior < 0):
        raise ValueError("visits and prior must be non-negative")
    if np.any(prior > 1):
        raise ValueError(f"prior must hold probabilities in [0, 1], got a maximum of {prior.max():.6g}")
    return _puct(q, prior, visits, check_float(c_puct, "c_puct", low=0.0))


@dataclass(frozen=True)
class PUCTResult:
    """Statistics of the root after a PUCT search.

    Attributes
    ----------
    visits : ndarray, shape (9,)                  simulations through each move
    values : ndarray, shape (9,)                  mean backed-up value of each move for the player to move, in
                                                  [-1, 1]; nan if unvisited
    move : int                                    the most visited move
    history : ndarray, shape (n_simulations, 9)   root visit counts after each simulation
    """

    visits: np.ndarray
    values: np.ndarray
    move: int
    history: np.ndarray


def puct_search(board, nets, n_simulations, c_puct=1.5, lam=0.0, rng=0) -> PUCTResult:
    r"""AlphaGo-style Monte Carlo tree search from ``board``.

    Each simulation descends the tree by :func:`puct_scores` (ties to the lowest square), expands the first
    position not yet in the tree with the prior ``nets.prior`` as :math:`P`, and evaluates it as

    .. math:: V(s_L) = (1 - \lambda)\, v(s_L) + \lambda\, z_L,

    the value table mixed with the result :math:`z_L` of one uniformly random rollout (AlphaGo used
    :math:`\lambda = 1/2`; AlphaGo Zero :math:`\lambda = 0`). A finished game is scored exactly. The value is
    backed up along the path, each edge from the point of view of the player who made its move, and
    :math:`Q(s, a) = W(s, a) / N(s, a)` (0 while unvisited).

    Parameters
    ----------
    board : sequence of 9 ints in {-1, 0, 1}, not terminal
    nets : Networks
    n_simulations : int >= 1
    c_puct : float >= 0
    lam : float in [0, 1]
    rng : int or numpy.random.Generator   used only for rollouts (``lam > 0``)

    Returns
    -------
    PUCTResult
    """
    root = mcts._check_board(board)
    if not mcts.legal_moves(root):
        raise ValueError(f"board is terminal, no move to search: {board}")
    if not isinstance(nets, Networks):
        raise ValueError(f"nets must be a Networks table (see oracle_networks), got {type(nets).__name__}")
    n_simulations = check_int(n_simulations, "n_simulations", low=1)
    c_puct = check_float(c_puct, "c_puct", low=0.0)
    lam = check_float(lam, "lam", low=0.0, high=1.0)
    rng = check_random_state(rng)
    tree = {}                                        # node -> (visits, total value) per square
    history = np.zeros((n_simulations, 9))
    for sim in range(n_simulations):
        b, path = root, []
        while True:
            moves = mcts.legal_moves(b)
            if not moves:
                z_x = mcts.winner(b)                 # exact result, for X
                break
            if b not in tree:
                tree[b] = (np.zeros(9), np.zeros(9))
                v = nets.value[b]
                if lam > 0:
                    v = (1 - lam) * v + lam * mcts.to_move(b) * mcts._rollout(b, rng)
                z_x = mcts.to_move(b) * v            # the leaf value, for X
                break
            n, w = tree[b]
            idx = list(moves)
            q = np.divide(w[idx], n[idx], out=np.zeros(len(idx)), where=n[idx] > 0)
            m = idx[int(np.argmax(_puct(q, nets.prior[b][idx], n[idx], c_puct)))]
            p = mcts.to_move(b)
            path.append((b, m, p))
            b = mcts._play(b, m, p)
        for node, m, p in path:
            n, w = tree[node]
            n[m] += 1
            w[m] += p * z_x
        if root in tree:
            history[sim] = tree[root][0]
    n, w = tree[root]
    values = np.divide(w, n, out=np.full(9, np.nan), where=n > 0)
    return PUCTResult(visits=n.copy(), values=values, move=int(np.argmax(n)), history=history)

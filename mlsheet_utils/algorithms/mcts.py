r"""Tic-tac-toe solved exactly by minimax, and Monte Carlo tree search (UCT) on the same game.

A board is a tuple of 9 ints in row-major order: 1 for X, -1 for O, 0 for empty. X moves first, so the
player to move is X when both have played the same number of times.

Functions
---------
winner(board)                       1 or -1 for a completed line, 0 otherwise
to_move(board)                      1 (X) or -1 (O)
legal_moves(board)                  empty squares, or none once the game is over
reachable_positions()               every position reachable from the empty board (5478)
minimax_value(board)                exact game value for X (+1 win, 0 draw, -1 loss), memoised
minimax_move_values(board)          exact value of each legal move for the player to move
mcts(board, n_simulations, c, rng)  UCT search: selection, expansion, random rollout, backup
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from mlsheet_utils.algorithms.bandits import SQRT2, _ucb_score
from mlsheet_utils.validation import check_float, check_int, check_random_state

EMPTY = (0,) * 9
LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))
#: Every board with as many X as O or one more, each mapped to itself: a valid tuple is checked by one look-up.
_BOARDS = {b: b for b in itertools.product((-1, 0, 1), repeat=9) if sum(b) in (0, 1)}


def winner(board):
    """Return 1 if X has three in a line, -1 if O has, else 0.

    ``board``: 9 entries in {-1, 0, 1} with as many X as O or one more (as for every function here).
    """
    _check_board(board)
    for i, j, k in LINES:
        s = board[i] + board[j] + board[k]
        if s == 3 or s == -3:
            return s // 3
    return 0


def to_move(board):
    """The player to move: 1 (X) if the counts of X and O are equal, else -1 (O)."""
    _check_board(board)
    return 1 if sum(board) == 0 else -1


def legal_moves(board):
    """Indices of the empty squares, or an empty tuple if the game is won or the board is full."""
    _check_board(board)
    if winner(board):
        return ()
    return tuple(i for i in range(9) if board[i] == 0)


def _play(board, move, player):
    return board[:move] + (player,) + board[move + 1:]


def reachable_positions():
    """All positions reachable from the empty board by legal play (play stops at a win), as a set of tuples."""
    seen = {EMPTY}
    frontier = [EMPTY]
    while frontier:
        nxt = []
        for b in frontier:
            p = to_move(b)
            for m in legal_moves(b):
                child = _play(b, m, p)
                if child not in seen:
                    seen.add(child)
                    nxt.append(child)
        frontier = nxt
    return seen


def minimax_value(board):
    r"""Exact value of ``board`` for X under optimal play by both sides.

    .. math:: v(b) = \begin{cases} \text{winner}(b) & \text{terminal} \\
              \max_m v(b + m) & \text{X to move} \\ \min_m v(b + m) & \text{O to move} \end{cases}

    Memoised (:func:`_minimax_value`): each of the reachable positions is solved once.
    """
    return _minimax_value(_check_board(board))


@lru_cache(maxsize=None)
def _minimax_value(board: tuple) -> int:
    """The memoised recursion of :func:`minimax_value`, on a checked board (a tuple, so it can be a cache key)."""
    moves = legal_moves(board)
    if not moves:
        return winner(board)
    p = to_move(board)
    vals = [_minimax_value(_play(board, m, p)) for m in moves]
    return max(vals) if p == 1 else min(vals)


def _check_board(board):
    try:
        return _BOARDS[board]                  # a valid board given as a tuple (the hot path): nothing to convert
    except (KeyError, TypeError):              # not one, or unhashable (a list, an array): check it below
        pass
    try:
        entries = np.asarray(board, dtype=float)
    except (TypeError, ValueError):
        entries = None
    if isinstance(board, str) or entries is None or entries.shape != (9,) or not np.all(np.isin(entries, (-1, 0, 1))):
        raise ValueError(f"board must be 9 entries in {{-1, 0, 1}} with as many X as O or one more, got {board!r:.80}")
    b = tuple(int(x) for x in board) if len(board) == 9 else None
    if b is None or any(x not in (-1, 0, 1) for x in b) or sum(b) not in (0, 1):
        raise ValueError(f"board must be 9 entries in {{-1, 0, 1}} with as many X as O or one more, got {board}")
    return b


def minimax_move_values(board):
    """Exact value of each legal move for the player to move (+1 win, 0 draw, -1 loss).

    Returns
    -------
    ndarray, shape (9,)
        ``nan`` on illegal squares.
    """
    board = _check_board(board)
    p = to_move(board)
    out = np.full(9, np.nan)
    for m in legal_moves(board):
        out[m] = p * minimax_value(_play(board, m, p))
    return out


@dataclass(frozen=True)
class MCTSResult:
    """Statistics of the root's children after a search.

    Attributes
    ----------
    visits : ndarray, shape (9,)   simulations through each move (0 for illegal squares)
    values : ndarray, shape (9,)   mean reward of each move for the player to move, in [0, 1]; nan if unvisited
    move : int                     the most visited move
    """

    visits: np.ndarray
    values: np.ndarray
    move: int


def _rollout(board, rng):
    player = to_move(board)
    order = rng.permutation([i for i in range(9) if board[i] == 0])
    for m in order:
        if winner(board):
            break
        board = _play(board, int(m), player)
        player = -player
    return winner(board)


def mcts(board, n_simulations, c=SQRT2, rng=0):
    r"""Monte Carlo tree search with the UCT rule from ``board``.

    Each simulation has four phases:

    1. **selection**: from the root, while the node is in the tree, take the move maximising
       :math:`\bar X_j + c\sqrt{\ln N / n_j}` (:func:`~mlsheet_utils.algorithms.bandits.ucb_score`; unvisited
       moves first, ties at random), with :math:`\bar X_j` the mean reward of move :math:`j` for the player
       choosing it, :math:`n_j` its visits and :math:`N` the node's visits;
    2. **expansion**: the first position reached that is not yet in the tree is added to it;
    3. **simulation**: from there, uniformly random moves to the end of the game;
    4. **backup**: along the path, each move's visit count grows by one and its reward by 1 (win), 1/2 (draw)
       or 0 (loss) for the player who made it.

    Parameters
    ----------
    board : sequence of 9 ints in {-1, 0, 1}, not terminal
    n_simulations : int >= 1
    c : float >= 0
    rng : int or numpy.random.Generator   (default 0: a fixed seed, so every run is reproducible)

    Returns
    -------
    MCTSResult
    """
    root = _check_board(board)
    if not legal_moves(root):
        raise ValueError(f"board is terminal, no move to search: {board}")
    n_simulations = check_int(n_simulations, "n_simulations", low=1)
    c = check_float(c, "c", low=0.0)
    rng = check_random_state(rng)
    tree = {root: (np.zeros(9), np.zeros(9))}          # node -> (visits, total reward) per move
    for _ in range(n_simulations):
        b, path = root, []
        while True:
            moves = legal_moves(b)
            if not moves:
                result = winner(b)
                break
            if b not in tree:                          # expansion, then a random rollout
                tree[b] = (np.zeros(9), np.zeros(9))
                result = _rollout(b, rng)
                break
            n, w = tree[b]
            mean = np.divide(w, n, out=np.zeros(9), where=n > 0)
            score = np.full(9, -np.inf)
            idx = list(moves)
            score[idx] = _ucb_score(mean[idx], n[idx], n.sum(), c)
            best = np.flatnonzero(score == score.max())
            m = int(best[rng.integers(best.size)]) if best.size > 1 else int(best[0])
            p = to_move(b)
            path.append((b, m, p))
            b = _play(b, m, p)
        for node, m, p in path:                        # backup
            n, w = tree[node]
            n[m] += 1
            w[m] += 0.5 * (1 + p * result)
    n, w = tree[root]
    values = np.divide(w, n, out=np.full(9, np.nan), where=n > 0)
    return MCTSResult(visits=n.copy(), values=values, move=int(np.argmax(n)))

import numpy as np
import pytest

from mlsheet_utils.algorithms import mcts


def _negamax_plain(board, player):
    # independent exhaustive search, no memo, no shared code beyond the rules written out here
    lines = [(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6)]
    for a, b, c in lines:
        if board[a] != 0 and board[a] == board[b] == board[c]:
            return board[a] * player
    empty = [i for i in range(9) if board[i] == 0]
    if not empty:
        return 0
    best = -2
    for m in empty:
        nb = list(board)
        nb[m] = player
        best = max(best, -_negamax_plain(nb, -player))
    return best


def test_reachable_count_and_terminal_outcomes():
    pos = mcts.reachable_positions()
    assert len(pos) == 5478
    # published counts: 5478 positions, 958 of them finished
    assert sum(1 for b in pos if not mcts.legal_moves(b)) == 958


@pytest.mark.parametrize("seed", range(4))
def test_minimax_matches_plain_negamax_on_random_positions(seed):
    g = np.random.default_rng(seed)
    pos = sorted(b for b in mcts.reachable_positions() if mcts.legal_moves(b) and sum(x != 0 for x in b) >= 3)
    b = pos[g.integers(len(pos))]
    p = mcts.to_move(b)
    assert mcts.minimax_value(b) * p == _negamax_plain(list(b), p)
    vals = mcts.minimax_move_values(b)
    for m in mcts.legal_moves(b):
        nb = list(b)
        nb[m] = p
        assert vals[m] == -_negamax_plain(nb, -p)


def test_mcts_finds_an_immediate_win_and_counts_budget():
    res = mcts.mcts((1, 1, 0, -1, -1, 0, 0, 0, 0), 200, rng=0)
    assert res.move == 2 and res.visits.sum() == 200 and res.values[2] == 1.0


def test_mcts_blocks_a_threat():
    # O to move, X threatens 0-1-2: only square 2 avoids losing
    board = (1, 1, 0, 0, -1, 0, 0, 0, 0)
    exact = mcts.minimax_move_values(board)
    assert [m for m in mcts.legal_moves(board) if exact[m] == np.nanmax(exact)] == [2]
    assert mcts.mcts(board, 400, rng=1).move == 2


@pytest.mark.parametrize("board", [(1,) * 9, (1, 1, 0, 0, 0, 0, 0, 0, 0), (2,) + (0,) * 8, (0,) * 8])
def test_bad_boards_raise(board):
    with pytest.raises(ValueError):
        mcts.mcts(board, 10)


def test_bad_budget_raises():
    with pytest.raises(ValueError, match="n_simulations"):
        mcts.mcts((0,) * 9, 0)

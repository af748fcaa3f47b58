"""Tests of mlsheet_utils.algorithms.alphago against exact minimax (enumeration) and a plain formula loop."""

import math

import numpy as np
import pytest

from mlsheet_utils.algorithms import alphago, mcts


@pytest.fixture(scope="module")
def exact_nets():
    return alphago.oracle_networks(0.0, 0.0, rng=0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_puct_scores_match_a_plain_loop(seed):
    rng = np.random.default_rng(seed)
    q, p, n = rng.uniform(-1, 1, 5), rng.dirichlet(np.ones(5)), rng.integers(0, 9, 5).astype(float)
    c = rng.uniform(0.1, 3)
    loop = [q[j] + c * p[j] * math.sqrt(max(n.sum(), 1)) / (1 + n[j]) for j in range(5)]
    np.testing.assert_allclose(alphago.puct_scores(q, p, n, c), loop, rtol=1e-13)


def test_oracle_tables_match_minimax(exact_nets):
    for board in mcts.reachable_positions():
        if not mcts.legal_moves(board):
            continue
        assert exact_nets.value[board] == mcts.to_move(board) * mcts.minimax_value(board)
        mv = mcts.minimax_move_values(board)
        p = exact_nets.prior[board]
        assert math.isclose(p.sum(), 1.0, rel_tol=1e-12)
        assert mv[int(np.argmax(p))] == np.nanmax(mv)          # the exact prior's favourite is optimal


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_search_with_exact_tables_plays_minimax_moves(exact_nets, seed):
    rng = np.random.default_rng(seed)
    boards = sorted(b for b in mcts.reachable_positions() if mcts.legal_moves(b))
    for i in rng.choice(len(boards), 10, replace=False):
        b = boards[i]
        res = alphago.puct_search(b, exact_nets, 16)
        mv = mcts.minimax_move_values(b)
        assert mv[res.move] == np.nanmax(mv)
        assert res.visits.sum() == 15 and np.array_equal(res.history[-1], res.visits)


def test_one_visit_values_are_exact():
    flat = alphago.oracle_networks(0.0, 0.0, temperature=1e6, rng=0)
    board = (1, 0, 0, 0, -1, 0, 0, 0, 1)
    legal = list(mcts.legal_moves(board))
    res = alphago.puct_search(board, flat, 1 + len(legal), c_puct=50.0)
    np.testing.assert_array_equal(res.values[legal], mcts.minimax_move_values(board)[legal])


def test_bad_inputs(exact_nets):
    with pytest.raises(ValueError, match="c_puct"):
        alphago.puct_scores([0.0], [1.0], [0.0], -1.0)
    with pytest.raises(ValueError, match="lam"):
        alphago.puct_search(mcts.EMPTY, exact_nets, 4, lam=1.5)
    with pytest.raises(ValueError, match="terminal"):
        alphago.puct_search((1, 1, 1, -1, -1, 0, 0, 0, 0), exact_nets, 4)
    with pytest.raises(ValueError, match="nets"):
        alphago.puct_search(mcts.EMPTY, {}, 4)
    with pytest.raises(ValueError, match="prior_noise"):
        alphago.oracle_networks(-0.1)

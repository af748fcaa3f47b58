"""Tests of mlsheet_utils.algorithms.model_based against independent references."""

from collections import Counter

import numpy as np
import pytest
import scipy.stats

from mlsheet_utils.algorithms import model_based as mb
from mlsheet_utils.algorithms import rl


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sample_transitions_match_p_by_chi_square(seed):
    mdp = rl.gridworld(rl.ROOM, slip=0.3, gamma=0.9)
    n = 400
    batch = mb.sample_transitions(mdp, n, rng=seed)
    live = np.flatnonzero(~mdp.terminal)
    assert len(batch.s) == len(live) * mdp.n_actions * n
    p_values = []
    for s in live:
        for a in range(mdp.n_actions):
            nxt = batch.s_next[(batch.s == s) & (batch.a == a)]
            support = np.flatnonzero(mdp.P[s, a] > 0)
            assert np.isin(nxt, support).all()
            observed = np.array([(nxt == t).sum() for t in support])
            if len(support) > 1:
                p_values.append(scipy.stats.chisquare(observed, n * mdp.P[s, a, support]).pvalue)
    assert min(p_values) > 1e-5
    np.testing.assert_array_equal(batch.r, mdp.R_next[batch.s, batch.a, batch.s_next])
    np.testing.assert_array_equal(batch.done, mdp.terminal[batch.s_next])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mle_model_matches_counting_by_hand(seed):
    rng = np.random.default_rng(seed)
    S, A, n = 5, 3, 300
    s, a, s2 = rng.integers(0, S - 1, n), rng.integers(0, A, n), rng.integers(0, S, n)
    r = rng.normal(size=n)
    done = s2 == S - 1
    fit = mb.mle_model(mb.Transitions(s, a, r, s2, done), S, A, 0.9)
    triples, pairs = Counter(zip(s, a, s2)), Counter(zip(s, a))
    sums = Counter()
    for si, ai, ti, ri in zip(s, a, s2, r):
        sums[si, ai, ti] += ri
    for (si, ai), count in pairs.items():
        assert fit.counts[si, ai] == count
        for t in range(S):
            assert fit.mdp.P[si, ai, t] == pytest.approx(triples[si, ai, t] / count, abs=1e-12)
            if triples[si, ai, t]:
                assert fit.mdp.R_next[si, ai, t] == pytest.approx(sums[si, ai, t] / triples[si, ai, t], abs=1e-12)
    for si in range(S - 1):
        for ai in range(A):
            if (si, ai) not in pairs:
                assert fit.mdp.P[si, ai, si] == 1.0 and fit.mdp.R[si, ai] == 0.0
    assert fit.mdp.terminal.tolist() == [False] * (S - 1) + [bool(done.any())]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_simulation_bound_holds_for_exact_errors(seed):
    rng = np.random.default_rng(seed)
    S, A, gamma = 6, 2, 0.8
    P, P_hat = rng.dirichlet(np.ones(S), (S, A)), rng.dirichlet(np.ones(S), (S, A))
    R = rng.random((S, A))
    R_hat = np.clip(R + rng.normal(0, 0.1, (S, A)), 0, 1)
    true = rl.MDP(P, R, np.zeros(S, bool), gamma)
    model = rl.MDP(P_hat, R_hat, np.zeros(S, bool), gamma)
    eps_P, eps_R = np.abs(P - P_hat).sum(-1).max(), np.abs(R - R_hat).max()
    bound = mb.simulation_bound(eps_R, eps_P, gamma, 1.0)
    for _ in range(20):
        pi = rng.dirichlet(np.ones(A), S)
        # exact values by an independent solve: v = (I - gamma P_pi)^-1 r_pi
        v = [np.linalg.solve(np.eye(S) - gamma * np.einsum("sa,sat->st", pi, m.P), (pi * m.R).sum(1))
             for m in (true, model)]
        assert np.abs(v[0] - v[1]).max() <= bound


@pytest.mark.parametrize("seed", [0, 4, 9])
def test_dyna_q_without_planning_is_q_learning(seed):
    mdp = rl.gridworld(rl.ROOM, slip=0.2, gamma=0.9)
    ours = mb.dyna_q(mdp, 0.3, epsilon=0.2, episodes=60, n_planning=0, rng=seed)
    ref = rl.q_learning(mdp, 0.3, epsilon=0.2, episodes=60, rng=seed)
    np.testing.assert_array_equal(ours.Q, ref.Q)
    np.testing.assert_array_equal(ours.lengths, ref.lengths)


def test_dyna_q_with_planning_reaches_q_star_on_a_deterministic_world():
    mdp = rl.gridworld(rl.CLIFF, gamma=0.9)
    Q_star, _ = rl.value_iteration(mdp)
    run = mb.dyna_q(mdp, 1.0, epsilon=0.5, episodes=60, n_planning=30, rng=0)
    tried = run.visits > 0
    np.testing.assert_allclose(run.Q[tried & ~mdp.terminal[:, None]], Q_star[tried & ~mdp.terminal[:, None]],
                               atol=1e-6)


def test_bad_inputs_raise():
    mdp = rl.corridor()
    with pytest.raises(ValueError, match="n_per_pair"):
        mb.sample_transitions(mdp, 0)
    with pytest.raises(ValueError, match="mdp"):
        mb.sample_transitions("lake", 3)
    batch = mb.sample_transitions(mdp, 2)
    with pytest.raises(ValueError, match="transitions.s"):
        mb.mle_model(batch, 3, 2, 0.9)
    with pytest.raises(ValueError, match="eps_P"):
        mb.simulation_bound(0.1, 3.0, 0.9, 1.0)
    with pytest.raises(ValueError, match="gamma"):
        mb.simulation_bound(0.1, 0.1, 1.0, 1.0)
    with pytest.raises(ValueError, match="n_planning"):
        mb.dyna_q(mdp, n_planning=-1)

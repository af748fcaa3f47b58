import itertools

import numpy as np
import pytest

from mlsheet_utils.algorithms import rl


def random_mdp(rng, S, A, gamma):
    """A dense random MDP without terminal states (Dirichlet transition rows, normal rewards)."""
    P = rng.dirichlet(np.ones(S), size=(S, A))
    R = rng.normal(size=(S, A))
    return rl.MDP(P, R, np.zeros(S, dtype=bool), gamma)


# -- dynamic programming ------------------------------------------------------------------------------

def test_value_iteration_matches_linear_solve_of_its_greedy_policy():
    """Gold standard: Q* from value iteration equals q_pi of its greedy policy by np.linalg.solve."""
    rng = np.random.default_rng(0)
    mdps = [rl.gridworld(rl.CLIFF), rl.gridworld(rl.ROOM, slip=0.2, gamma=0.95)]
    mdps += [random_mdp(rng, int(rng.integers(2, 12)), int(rng.integers(1, 5)), float(rng.uniform(0, 0.98)))
             for _ in range(10)]
    for mdp in mdps:
        Q, V = rl.value_iteration(mdp, tol=1e-10)
        q_pi = rl.q_from_v(mdp, rl.policy_evaluation(mdp, rl.greedy_policy(Q)))
        np.testing.assert_allclose(Q, q_pi, atol=1e-8)
        np.testing.assert_allclose(V, Q.max(1) * ~mdp.terminal, atol=1e-12)


def test_value_iteration_beats_every_deterministic_policy():
    """Brute force over all A^S deterministic policies of small random MDPs: V* is their elementwise max."""
    rng = np.random.default_rng(1)
    for _ in range(5):
        mdp = random_mdp(rng, 3, 2, 0.9)
        _, V = rl.value_iteration(mdp)
        values = np.array([rl.policy_evaluation(mdp, np.array(pi)) for pi in itertools.product(range(2), repeat=3)])
        np.testing.assert_allclose(V, values.max(0), atol=1e-8)


def test_bellman_optimality_residual_is_zero():
    for mdp in (rl.gridworld(rl.CLIFF, gamma=0.99), rl.gridworld(rl.ROOM, slip=0.3)):
        Q, _ = rl.value_iteration(mdp, tol=1e-10)
        assert np.abs(rl.bellman_backup(mdp, Q) - Q).max() < 1e-9


def test_bellman_backup_is_a_gamma_contraction():
    rng = np.random.default_rng(2)
    mdp = random_mdp(rng, 6, 3, 0.8)
    for _ in range(200):
        Q1, Q2 = rng.normal(0, 5, (2, 6, 3))
        lhs = np.abs(rl.bellman_backup(mdp, Q1) - rl.bellman_backup(mdp, Q2)).max()
        assert lhs <= 0.8 * np.abs(Q1 - Q2).max() + 1e-12


def test_policy_evaluation_accepts_stochastic_policies():
    mdp = rl.gridworld(rl.ROOM, slip=0.1)
    uniform = np.full((mdp.n_states, mdp.n_actions), 0.25)
    v = rl.policy_evaluation(mdp, uniform)
    # the Bellman expectation equation holds
    np.testing.assert_allclose(v, (uniform * rl.q_from_v(mdp, v)).sum(1), atol=1e-10)
    assert np.all(v[mdp.terminal] == 0)


def test_epsilon_greedy_probs_rows_and_ties():
    Q = np.array([[1.0, 1.0, 0.0], [0.0, 2.0, 1.0]])
    pi = rl.epsilon_greedy_probs(Q, 0.3)
    np.testing.assert_allclose(pi.sum(1), 1.0)
    np.testing.assert_allclose(pi[0], [0.1 + 0.35, 0.1 + 0.35, 0.1])
    np.testing.assert_allclose(pi[1], [0.1, 0.8, 0.1])


# -- grid worlds and sampling -------------------------------------------------------------------------

def test_gridworld_structure():
    mdp = rl.gridworld(rl.CLIFF, slip=0.2)
    assert mdp.shape == (4, 6) and mdp.n_states == 24 and mdp.n_actions == 4
    assert mdp.start == 18 and mdp.terminal.sum() == 5
    np.testing.assert_allclose(mdp.P.sum(-1), 1.0)
    # from the top-left corner, "up" bounces off the wall (0.8) or slips left (wall, 0.1) / right (0.1)
    np.testing.assert_allclose(mdp.P[0, 0, [0, 1]], [0.9, 0.1])
    # from the start, "right" enters the first pit with probability 0.8
    assert mdp.P[18, 1, 19] == pytest.approx(0.8)
    assert mdp.R[18, 1] == pytest.approx(0.8 * -100 + 0.1 * -1 + 0.1 * -1)


def test_step_frequencies_match_P():
    mdp = rl.gridworld(rl.ROOM, slip=0.4)
    rng = np.random.default_rng(3)
    draws = np.array([rl.step(mdp, 5, 1, rng)[0] for _ in range(20_000)])
    freq = np.bincount(draws, minlength=mdp.n_states) / draws.size
    np.testing.assert_allclose(freq, mdp.P[5, 1], atol=0.015)


def test_epsilon_greedy_breaks_ties_uniformly_and_respects_epsilon():
    rng = np.random.default_rng(4)
    Q = np.array([[0.0, 1.0, 1.0, 0.0]])
    greedy = np.array([rl.epsilon_greedy(Q, 0, 0.0, rng) for _ in range(4000)])
    assert set(greedy) == {1, 2} and abs(np.mean(greedy == 1) - 0.5) < 0.05
    explore = np.array([rl.epsilon_greedy(Q, 0, 1.0, rng) for _ in range(4000)])
    np.testing.assert_allclose(np.bincount(explore, minlength=4) / 4000, 0.25, atol=0.03)
    mixed = np.array([rl.epsilon_greedy(Q, 0, 0.4, rng) for _ in range(8000)])
    np.testing.assert_allclose(np.bincount(mixed, minlength=4) / 8000, rl.epsilon_greedy_probs(Q, 0.4)[0],
                               atol=0.03)


# -- learning -----------------------------------------------------------------------------------------

def test_q_learning_converges_to_q_star_on_a_deterministic_mdp():
    mdp = rl.gridworld(rl.CLIFF, gamma=0.9)
    Q_star, V_star = rl.value_iteration(mdp)
    res = rl.q_learning(mdp, alpha=0.5, epsilon=1.0, episodes=1000, rng=0)  # random behaviour: off-policy
    live = ~mdp.terminal
    np.testing.assert_allclose(res.Q[live], Q_star[live], atol=1e-3)
    np.testing.assert_allclose(rl.policy_evaluation(mdp, rl.greedy_policy(res.Q)), V_star, atol=1e-9)
    assert np.all(res.Q[mdp.terminal] == 0)


def test_q_learning_with_robbins_monro_steps_on_a_stochastic_mdp():
    mdp = rl.gridworld(rl.ROOM, slip=0.2, gamma=0.9)
    Q_star, _ = rl.value_iteration(mdp)
    res = rl.q_learning(mdp, alpha=1.0, epsilon=0.5, episodes=1000, rng=1, alpha_power=0.8)
    assert np.abs(res.Q - Q_star)[~mdp.terminal].max() < 0.5


def test_sarsa_learns_a_good_policy_in_the_room():
    mdp = rl.gridworld(rl.ROOM, gamma=0.9)
    _, V_star = rl.value_iteration(mdp)
    res = rl.sarsa(mdp, alpha=0.5, epsilon=0.1, episodes=500, rng=0)
    np.testing.assert_allclose(rl.policy_evaluation(mdp, rl.greedy_policy(res.Q)), V_star, atol=1e-9)


def test_terminal_states_are_never_bootstrapped():
    mdp = rl.gridworld(rl.CLIFF, gamma=0.9)
    Q_star, _ = rl.value_iteration(mdp)
    res = rl.q_learning(mdp, alpha=0.5, epsilon=1.0, episodes=1000, rng=0, q_init=5.0)
    np.testing.assert_allclose(res.Q[~mdp.terminal], Q_star[~mdp.terminal], atol=1e-2)


@pytest.mark.parametrize("learner", [rl.q_learning, rl.sarsa])
def test_learning_is_deterministic_for_a_seed(learner):
    mdp = rl.gridworld(rl.CLIFF, slip=0.1)
    a = learner(mdp, episodes=50, rng=7)
    b = learner(mdp, episodes=50, rng=np.random.default_rng(7))
    c = learner(mdp, episodes=50, rng=8)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.Q, c.Q)


def test_returns_lengths_and_truncation():
    mdp = rl.gridworld(rl.CLIFF, gamma=0.5)
    res = rl.q_learning(mdp, episodes=30, max_steps=1, rng=0)
    assert res.returns.shape == (30,) and np.all(res.lengths == 1)
    assert res.visits.sum() == 30
    full = rl.q_learning(mdp, episodes=30, rng=0)
    assert np.all(full.returns <= 0) and np.all(full.returns >= -100)


# -- validation ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,match", [
    ({"alpha": 0.0}, "alpha"), ({"alpha": 1.5}, "alpha"),
    ({"gamma": 1.0}, "gamma"), ({"gamma": -0.1}, "gamma"),
    ({"epsilon": -0.1}, "epsilon"), ({"epsilon": 1.1}, "epsilon"),
    ({"episodes": 0}, "episodes"), ({"episodes": 2.5}, "episodes"),
    ({"max_steps": 0}, "max_steps"), ({"alpha_power": 2.0}, "alpha_power"),
    ({"q_init": np.nan}, "q_init"), ({"q_init": np.zeros(3)}, "q_init"),
])
@pytest.mark.parametrize("learner", [rl.q_learning, rl.sarsa])
def test_learners_validate(learner, kwargs, match):
    with pytest.raises(ValueError, match=match):
        learner(rl.gridworld(rl.ROOM), **kwargs)


def test_learner_rejects_non_mdp():
    with pytest.raises(ValueError, match="mdp must be an MDP"):
        rl.q_learning("grid")


def _room_arrays():
    mdp = rl.gridworld(rl.ROOM)
    return mdp.P.copy(), mdp.R.copy(), mdp.terminal.copy()


@pytest.mark.parametrize("change,match", [
    (lambda P, R, T, kw: P.__setitem__((0, 0, 0), 2.0), "P must hold probabilities"),
    (lambda P, R, T, kw: kw.update(R=R[:, :2]), "R must have shape"),
    (lambda P, R, T, kw: kw.update(terminal=T.astype(int)), "terminal must be a boolean"),
    (lambda P, R, T, kw: T.__setitem__(5, True), "absorbing"),
    (lambda P, R, T, kw: kw.update(gamma=1.0), "gamma"),
    (lambda P, R, T, kw: kw.update(start=15), "start must be a non-terminal"),
    (lambda P, R, T, kw: kw.update(start=99), "start"),
])
def test_mdp_validates(change, match):
    P, R, T = _room_arrays()
    kw = {}
    change(P, R, T, kw)
    args = {"P": P, "R": R, "terminal": T, "gamma": 0.9, **kw}
    with pytest.raises(ValueError, match=match):
        rl.MDP(**args)


@pytest.mark.parametrize("kwargs,match", [
    ({"layout": ()}, "layout"), ({"layout": ("S.", "G")}, "equal length"),
    ({"layout": ("S#G",)}, "may only contain"), ({"layout": ("..G",)}, "exactly one start"),
    ({"slip": 1.5}, "slip"), ({"gamma": 1.0}, "gamma"), ({"pit_reward": np.inf}, "pit_reward"),
])
def test_gridworld_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        rl.gridworld(**kwargs)


def test_other_validation():
    mdp = rl.gridworld(rl.ROOM)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="epsilon"):
        rl.epsilon_greedy(np.zeros((16, 4)), 0, 1.5, rng)
    with pytest.raises(ValueError, match="terminal"):
        rl.step(mdp, 15, 0, rng)
    with pytest.raises(ValueError, match="policy"):
        rl.policy_evaluation(mdp, np.full(16, 7))
    with pytest.raises(ValueError, match="policy"):
        rl.policy_evaluation(mdp, np.ones((16, 4)))
    with pytest.raises(ValueError, match="Q must have shape"):
        rl.bellman_backup(mdp, np.zeros((3, 4)))
    with pytest.raises(ValueError, match="tol"):
        rl.value_iteration(mdp, tol=0.0)
    with pytest.raises(RuntimeError, match="max_iter"):
        rl.value_iteration(mdp.with_gamma(0.99), tol=1e-12, max_iter=3)

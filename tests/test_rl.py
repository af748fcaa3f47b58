import dataclasses
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
    draws = np.array([rl.step(mdp, 5, 1, rng).next_state for _ in range(20_000)])
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
    for field in dataclasses.fields(a):
        np.testing.assert_array_equal(getattr(a, field.name), getattr(b, field.name))
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


# -- results, history and the random stream ----------------------------------------------------------------

def reference_q_learning(mdp, alpha, epsilon, episodes, rng, max_steps):
    """Gold standard: the textbook loop, one rng.random() per random choice, np.searchsorted for the next state."""
    Q = np.zeros(mdp.R.shape)
    cdf = np.cumsum(mdp.P, axis=-1)
    cdf[..., -1] = 1.0
    returns = []
    for _ in range(episodes):
        s, G, discount = mdp.start, 0.0, 1.0
        for _ in range(max_steps):
            if epsilon > 0 and rng.random() < epsilon:
                a = int(rng.random() * mdp.n_actions)
            else:
                best = np.flatnonzero(Q[s] == Q[s].max())
                a = int(best[0]) if len(best) == 1 else int(best[int(rng.random() * len(best))])
            s2 = int(np.searchsorted(cdf[s, a], rng.random(), side="right"))
            r, done = mdp.R_next[s, a, s2], mdp.terminal[s2]
            Q[s, a] += alpha * ((r if done else r + mdp.gamma * Q[s2].max()) - Q[s, a])
            G += discount * r
            discount *= mdp.gamma
            s = s2
            if done:
                break
        returns.append(G)
    return Q, np.array(returns)


@pytest.mark.parametrize("layout,slip,epsilon", [(rl.CLIFF, 0.0, 0.1), (rl.ROOM, 0.3, 0.5), (rl.CLIFF, 0.1, 1.0)])
def test_q_learning_matches_a_plain_reference_loop_and_leaves_the_generator_in_step(layout, slip, epsilon):
    mdp = rl.gridworld(layout, slip=slip, gamma=0.9)
    g_ours, g_ref = np.random.default_rng(11), np.random.default_rng(11)
    ours = rl.q_learning(mdp, 0.5, epsilon=epsilon, episodes=60, rng=g_ours, max_steps=40)
    Q_ref, returns_ref = reference_q_learning(mdp, 0.5, epsilon, 60, g_ref, 40)
    np.testing.assert_allclose(ours.Q, Q_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.returns, returns_ref, rtol=0, atol=1e-12)
    assert g_ours.random() == g_ref.random()      # the same number of draws was taken from the shared stream


def test_history_replays_the_run():
    mdp = rl.gridworld(rl.CLIFF, slip=0.1)
    full = rl.q_learning(mdp, episodes=40, rng=3, history=True)
    assert full.Q_history.shape == (41, *mdp.R.shape) and full.visits_history.shape == (41, *mdp.R.shape)
    np.testing.assert_array_equal(full.Q_history[0], np.zeros(mdp.R.shape))
    np.testing.assert_array_equal(full.Q_history[-1], full.Q)
    np.testing.assert_array_equal(full.visits_history[-1], full.visits)
    for k in (1, 17):                                    # the first k episodes do not depend on `episodes`
        short = rl.q_learning(mdp, episodes=k, rng=3)
        np.testing.assert_array_equal(full.Q_history[k], short.Q)
        np.testing.assert_array_equal(full.visits_history[k], short.visits)
    assert rl.q_learning(mdp, episodes=5, rng=3).Q_history is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        full.Q = None


def test_step_returns_a_transition_and_validates():
    mdp = rl.gridworld(rl.ROOM)
    t = rl.step(mdp, 0, 1, 0)                               # an int seed works like a fresh Generator
    assert t == rl.Transition(1, -1.0, False)
    assert rl.step(mdp, 14, 1, 0) == rl.Transition(15, 0.0, True)   # entering the goal
    for kwargs, match in [({"a": 4}, "a must be <= 3"), ({"s": 16}, "s must be <= 15"), ({"mdp": "grid"}, "mdp")]:
        args = {"mdp": mdp, "s": 0, "a": 1, "rng": 0, **kwargs}
        with pytest.raises(ValueError, match=match):
            rl.step(**args)


def test_epsilon_greedy_validates_and_accepts_a_seed():
    Q = np.array([[0.0, 3.0, 1.0]])
    assert rl.epsilon_greedy(Q, 0, 0.0, 0) == 1
    with pytest.raises(ValueError, match="s must be <= 0"):
        rl.epsilon_greedy(Q, 1, 0.1, 0)
    with pytest.raises(ValueError, match="Q must be 2-dimensional"):
        rl.epsilon_greedy(np.zeros(3), 0, 0.1, 0)
    with pytest.raises(ValueError, match="rng"):
        rl.epsilon_greedy(Q, 0, 0.1, None)


# -- policy iteration, corridor, sweeps, contraction ------------------------------------------------------

def test_policy_iteration_finds_the_best_deterministic_policy():
    """Gold standard: enumerate all A^S deterministic policies, each evaluated by a dense linear solve."""
    rng = np.random.default_rng(21)
    for _ in range(5):
        mdp = random_mdp(rng, 4, 2, float(rng.uniform(0.5, 0.95)))
        pi, V = rl.policy_iteration(mdp)
        idx = np.arange(4)
        values = np.array([np.linalg.solve(np.eye(4) - mdp.gamma * mdp.P[idx, list(p)], mdp.R[idx, list(p)])
                           for p in itertools.product(range(2), repeat=4)])
        np.testing.assert_allclose(V, values.max(0), atol=1e-9)
        np.testing.assert_allclose(V, values[int(np.ravel_multi_index(pi, (2,) * 4))], atol=1e-12)
    with pytest.raises(ValueError, match="max_iter"):
        rl.policy_iteration(rl.gridworld(rl.ROOM), max_iter=0)


@pytest.mark.parametrize("gamma", [0.4, 0.9])
def test_corridor_values_in_closed_form(gamma):
    mdp = rl.corridor(gamma)
    Q, _ = rl.value_iteration(mdp, tol=1e-12)
    # right from state s reaches the far exit (reward 10) after 5 - s moves; left from 1 exits at once (reward 1)
    for s in range(1, 5):
        assert Q[s, 1] == pytest.approx(10 * gamma ** (4 - s), abs=1e-10)
    assert Q[1, 0] == pytest.approx(1.0, abs=1e-10)
    assert (Q[1, 0] > Q[1, 1]) == (gamma ** 3 * 10 < 1)
    with pytest.raises(ValueError, match="length must be >= 3"):
        rl.corridor(length=2)


@pytest.mark.parametrize("bootstrap", [False, True])
def test_expected_q_sweeps_in_closed_form(bootstrap):
    gamma, c = 0.9, 5.0
    Q = rl.expected_q_sweeps(rl.corridor(gamma), c, 400, bootstrap_terminal=bootstrap)
    leak = gamma * c if bootstrap else 0.0           # the never-updated terminal value enters the targets
    assert Q[4, 1] == pytest.approx(10 + leak, abs=1e-9)
    assert Q[1, 0] == pytest.approx(1 + leak, abs=1e-9)
    assert Q[1, 1] == pytest.approx(gamma ** 3 * (10 + leak), abs=1e-9)
    np.testing.assert_array_equal(Q[[0, 5]], c)      # terminal rows keep their initial value
    with pytest.raises(ValueError, match="n_sweeps"):
        rl.expected_q_sweeps(rl.corridor(), 0.0, 0)


def test_contraction_ratios_reach_gamma_on_a_self_loop():
    # one state, one action, a self-loop: T Q1 - T Q2 = gamma (Q1 - Q2) exactly
    loop = rl.MDP(np.ones((1, 1, 1)), np.zeros((1, 1)), np.zeros(1, dtype=bool), 0.7)
    np.testing.assert_allclose(rl.contraction_ratios(loop, 50, 0), 0.7, rtol=1e-12)
    ratios = rl.contraction_ratios(rl.gridworld(rl.ROOM, slip=0.2), 200, 1)
    assert ratios.shape == (200,) and np.all(ratios <= 0.9 + 1e-12)
    with pytest.raises(ValueError, match="n_pairs"):
        rl.contraction_ratios(loop, 0)


# -- reading a learned table ----------------------------------------------------------------------------------

def test_greedy_path_on_the_cliff():
    mdp = rl.gridworld(rl.CLIFF)
    n_cols = 6
    Q = np.zeros(mdp.R.shape)                          # all ties: argmax picks "up" everywhere
    np.testing.assert_array_equal(rl.greedy_path(mdp, Q), [18, 12, 6, 0, 0])   # bumps into the top wall: a loop
    Q[18, 1] = 1.0                                     # right from the start: into the first pit
    np.testing.assert_array_equal(rl.greedy_path(mdp, Q), [18, 19])
    Q = np.zeros(mdp.R.shape)                          # the safe path: up, right along row 2, down into G
    Q[18, 0] = 1.0
    Q[12:17, 1] = 1.0
    Q[17, 2] = 1.0
    np.testing.assert_array_equal(rl.greedy_path(mdp, Q), [18, 12, 13, 14, 15, 16, 17, 23])
    assert "".join(mdp.layout)[23] == "G" and 23 == 3 * n_cols + 5
    with pytest.raises(ValueError, match="Q must have shape"):
        rl.greedy_path(mdp, np.zeros((3, 4)))


def test_running_mean_matches_a_plain_loop():
    x = np.random.default_rng(5).normal(size=37)
    for window in (1, 4, 10, 50):
        ref = [x[max(0, i - window + 1): i + 1].mean() for i in range(len(x))]
        np.testing.assert_allclose(rl.running_mean(x, window), ref, rtol=1e-12)
    with pytest.raises(ValueError, match="window must be >= 1"):
        rl.running_mean(x, 0)


# -- evaluation by iteration, value-iteration history, policy-iteration trace, occupancy -------------------

def test_iterative_policy_evaluation_matches_scipy_solve():
    """Reference: scipy.linalg.solve on (I - gamma P_pi) V = r_pi, built here by a loop over actions."""
    import scipy.linalg

    rng = np.random.default_rng(31)
    for _ in range(4):
        mdp = random_mdp(rng, 5, 3, float(rng.uniform(0.3, 0.95)))
        pi = rng.dirichlet(np.ones(3), size=5)
        P_pi = sum(pi[:, a, None] * mdp.P[:, a] for a in range(3))
        r_pi = sum(pi[:, a] * mdp.R[:, a] for a in range(3))
        ref = scipy.linalg.solve(np.eye(5) - mdp.gamma * P_pi, r_pi)
        ev = rl.iterative_policy_evaluation(mdp, pi, tol=1e-11)
        np.testing.assert_allclose(ev.V, ref, rtol=0, atol=1e-10)
        assert ev.n_iter == len(ev.changes)
        assert np.all(ev.changes[1:] <= mdp.gamma * ev.changes[:-1] + 1e-14)
    with pytest.raises(ValueError, match="tol"):
        rl.iterative_policy_evaluation(mdp, pi, tol=0.0)
    with pytest.raises(ValueError, match="policy"):
        rl.iterative_policy_evaluation(mdp, np.ones((5, 3)))


def test_value_iteration_history_is_the_finite_horizon_optimum():
    """Reference: brute force over all deterministic k-step action sequences (non-stationary policies)."""
    rng = np.random.default_rng(32)
    mdp = random_mdp(rng, 3, 2, 0.8)
    hist = rl.value_iteration_history(mdp, 3)
    np.testing.assert_array_equal(hist[0], 0.0)
    # V_k(s) = best expected k-step return; enumerate every policy that maps (step, state) to an action
    for k in (1, 2, 3):
        best = np.full(3, -np.inf)
        for plan in itertools.product(range(2), repeat=3 * k):
            acts = np.array(plan).reshape(k, 3)
            V = np.zeros(3)
            for t in reversed(range(k)):
                V = mdp.R[np.arange(3), acts[t]] + mdp.gamma * mdp.P[np.arange(3), acts[t]] @ V
            best = np.maximum(best, V)
        np.testing.assert_allclose(hist[k], best, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="n_iter"):
        rl.value_iteration_history(mdp, -1)


def test_policy_iteration_trace_improves_and_ends_at_the_optimum():
    """Reference: exhaustive enumeration of deterministic policies, each by np.linalg.solve."""
    rng = np.random.default_rng(33)
    mdp = random_mdp(rng, 4, 3, 0.9)
    trace = rl.policy_iteration_trace(mdp)
    idx = np.arange(4)
    values = np.array([np.linalg.solve(np.eye(4) - mdp.gamma * mdp.P[idx, list(p)], mdp.R[idx, list(p)])
                       for p in itertools.product(range(3), repeat=4)])
    np.testing.assert_allclose(trace.values[-1], values.max(0), atol=1e-9)
    for pol, v in zip(trace.policies, trace.values):
        np.testing.assert_allclose(v, np.linalg.solve(np.eye(4) - mdp.gamma * mdp.P[idx, pol], mdp.R[idx, pol]),
                                   atol=1e-10)
    assert np.all(np.diff(trace.values, axis=0) >= -1e-10) and trace.n_rounds == len(trace.policies)
    pi, V = rl.policy_iteration(mdp)
    np.testing.assert_array_equal(pi, trace.policies[-1])
    with pytest.raises(ValueError, match="mdp"):
        rl.policy_iteration_trace("not an mdp")


def test_discounted_occupancy_matches_the_power_series():
    """Reference: (1 - gamma) sum_t gamma^t mu0 P_pi^t, truncated where gamma^t < 1e-16."""
    rng = np.random.default_rng(34)
    mdp = random_mdp(rng, 5, 2, 0.7)
    pi = rng.dirichlet(np.ones(2), size=5)
    mu0 = rng.dirichlet(np.ones(5))
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    ref, row = np.zeros(5), mu0.copy()
    for t in range(120):
        ref += (1 - mdp.gamma) * mdp.gamma**t * row
        row = row @ P_pi
    d = rl.discounted_occupancy(mdp, pi, mu0)
    np.testing.assert_allclose(d, ref, rtol=0, atol=1e-13)
    assert np.isclose(d.sum(), 1.0)
    np.testing.assert_allclose(rl.discounted_occupancy(rl.gridworld(rl.ROOM), np.zeros(16, dtype=int)).sum(), 1.0)
    with pytest.raises(ValueError, match="mu0"):
        rl.discounted_occupancy(mdp, pi, np.ones(5))


# -- gymnasium's toy-text environments ------------------------------------------------------------------------

gym = pytest.importorskip("gymnasium")


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.99])
def test_from_gymnasium_values_in_closed_form(gamma):
    # non-slippery FrozenLake: the goal, 6 moves away, pays 1 on entry; CliffWalking: 13 moves at -1 each
    lake = rl.from_gymnasium(gym.make("FrozenLake-v1", is_slippery=False), gamma)
    assert lake.shape == (4, 4) and lake.start == 0 and lake.terminal.sum() == 5
    assert rl.value_iteration(lake)[1][0] == pytest.approx(gamma ** 5, rel=1e-9)
    cliff = rl.from_gymnasium(gym.make("CliffWalking-v1"), gamma)
    assert cliff.shape == (4, 12) and cliff.start == 36 and np.flatnonzero(cliff.terminal).tolist() == [47]
    assert rl.value_iteration(cliff)[1][36] == pytest.approx(-(1 - gamma ** 13) / (1 - gamma), rel=1e-9)


def test_from_gymnasium_matches_rollouts_of_the_environment_itself():
    # a fixed stochastic policy on slippery FrozenLake: Monte Carlo returns of gymnasium's own step() agree with
    # the exact value of the converted MDP within 4 standard errors
    env = gym.make("FrozenLake-v1")
    mdp = rl.from_gymnasium(env, 0.9)
    policy = np.full((16, 4), 0.25)
    policy[:, 1] = policy[:, 2] = 0.4
    policy[:, 0] = policy[:, 3] = 0.1
    v = rl.policy_evaluation(mdp, policy)[0]
    rng = np.random.default_rng(0)
    returns = []
    for _ in range(4000):
        s, _ = env.reset(seed=int(rng.integers(2**31)))
        g, disc, done = 0.0, 1.0, False
        while not done:
            s, r, term, trunc, _ = env.step(int(rng.choice(4, p=policy[s])))
            g, disc, done = g + disc * r, disc * 0.9, term or trunc
        returns.append(g)
    returns = np.asarray(returns)
    assert abs(returns.mean() - v) < 4 * returns.std() / np.sqrt(returns.size)
    assert v > 0.01  # the check compares something that is not zero


def test_from_gymnasium_taxi_and_rejections():
    taxi = rl.from_gymnasium(gym.make("Taxi-v4"), 0.95)
    assert taxi.n_states == 500 and taxi.n_actions == 6 and taxi.terminal.sum() == 4
    assert np.all(taxi.R_next[~taxi.terminal].max(-1) <= 20)
    with pytest.raises(ValueError, match="transition table"):
        rl.from_gymnasium(gym.make("CartPole-v1"))
    with pytest.raises(ValueError, match="transition table"):
        rl.from_gymnasium(None)
    with pytest.raises(ValueError, match="gamma"):
        rl.from_gymnasium(gym.make("FrozenLake-v1"), 1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sarsa_fixed_point_is_best_epsilon_greedy_q_by_enumeration(seed):
    # reference: every deterministic "greedy part" d, its epsilon-greedy policy's q by one linear solve over the
    # S*A state-action pairs, q = R + gamma P pi q; the optimal epsilon-soft policy dominates all of them
    g = np.random.default_rng(seed)
    S, A, gamma, eps = 3, 2, 0.8, 0.3
    P = g.dirichlet(np.ones(S), size=(S, A))
    R = g.normal(size=(S, A))
    mdp = rl.MDP(P, R, np.zeros(S, bool), gamma)
    qs = []
    for d in itertools.product(range(A), repeat=S):
        pi = np.full((S, A), eps / A)
        pi[np.arange(S), d] += 1 - eps
        M = np.einsum("sat,tb->satb", P, pi).reshape(S * A, S * A)   # (s, a) -> (s', a')
        qs.append(np.linalg.solve(np.eye(S * A) - gamma * M, R.reshape(-1)).reshape(S, A))
    best = np.max(qs, axis=0)
    assert any(np.allclose(q, best, atol=1e-10) for q in qs)          # one policy dominates all others
    np.testing.assert_allclose(rl.sarsa_fixed_point(mdp, eps), best, atol=1e-8)


def test_sarsa_fixed_point_rejects_bad_input():
    mdp = rl.corridor(0.9)
    with pytest.raises(ValueError, match="epsilon"):
        rl.sarsa_fixed_point(mdp, 1.5)
    with pytest.raises(ValueError, match="mdp"):
        rl.sarsa_fixed_point("cliff", 0.1)

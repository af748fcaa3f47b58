"""Advantage estimators against plain loops over their definitions, gradients against JAX, learners against exact
single updates and the exact value of the learned policy."""

import numpy as np
import pytest

from mlsheet_utils.algorithms import actor_critic as ac
from mlsheet_utils.algorithms import policy_gradient as pg
from mlsheet_utils.algorithms import rl


def _n_step_loop(r, v, d, last, gamma, n):
    T = len(r)
    v_ext = list(v) + [last]
    out = np.zeros(T)
    for t in range(T):
        g, k = 0.0, 0
        while True:
            g += gamma ** k * r[t + k]
            k += 1
            if d[t + k - 1]:
                break
            if k == n or t + k == T:
                g += gamma ** k * v_ext[t + k]
                break
        out[t] = g - v[t]
    return out


def _rollout(seed, T=9):
    g = np.random.default_rng(seed)
    return g.normal(size=T), g.normal(size=T), g.random(T) < 0.25, float(g.normal())


@pytest.mark.parametrize("seed", range(4))
def test_n_step_advantages_match_a_loop(seed):
    r, v, d, last = _rollout(seed)
    for n in (1, 2, 3, 20):
        np.testing.assert_allclose(ac.n_step_advantages(r, v, d, last, 0.9, n), _n_step_loop(r, v, d, last, 0.9, n),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_gae_is_the_lambda_weighted_average_of_n_step_advantages(seed):
    r, v, d, last = _rollout(seed)
    T, gamma = len(r), 0.9
    A = {n: _n_step_loop(r, v, d, last, gamma, n) for n in range(1, T + 1)}
    for lam in (0.0, 0.3, 0.95, 1.0):
        expected = np.zeros(T)
        for t in range(T):
            horizon = T - t           # A^(n) stops changing for n >= horizon (or at a terminal state)
            w = [(1 - lam) * lam ** (n - 1) for n in range(1, horizon)] + [lam ** (horizon - 1)]
            expected[t] = sum(wn * A[n][t] for wn, n in zip(w, range(1, horizon + 1)))
        np.testing.assert_allclose(ac.gae(r, v, d, last, gamma, lam), expected, rtol=1e-10, atol=1e-12)


def test_gae_columns_are_independent_rollouts():
    rolls = [_rollout(s) for s in range(3)]
    R, V, D = (np.stack([x[i] for x in rolls], 1) for i in range(3))
    last = np.array([x[3] for x in rolls])
    batched = ac.gae(R, V, D, last, 0.95, 0.8)
    for j, (r, v, d, lv) in enumerate(rolls):
        np.testing.assert_allclose(batched[:, j], ac.gae(r, v, d, lv, 0.95, 0.8), rtol=1e-13)


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def test_entropy_and_its_gradient_against_scipy_and_jax():
    import scipy.stats

    jax = _jax()
    theta = np.random.default_rng(0).normal(size=(5, 3)) * 2
    pi = pg.softmax_policy(theta)
    np.testing.assert_allclose(ac.policy_entropy(theta), scipy.stats.entropy(pi, axis=1), rtol=1e-12)
    ref = jax.grad(lambda t: -(jax.nn.softmax(t, 1) * jax.nn.log_softmax(t, 1)).sum())(theta)
    np.testing.assert_allclose(ac.entropy_gradient(theta), np.asarray(ref), rtol=1e-10, atol=1e-13)


def test_advantage_gradient_with_exact_weights_is_the_policy_gradient():
    jax = _jax()
    import jax.numpy as jnp

    mdp = rl.gridworld(rl.ROOM, slip=0.2, gamma=0.9)
    theta = np.random.default_rng(1).normal(size=(mdp.n_states, 4))
    pi = pg.softmax_policy(theta)
    v = rl.policy_evaluation(mdp, pi)
    q = rl.q_from_v(mdp, v)
    d = rl.discounted_occupancy(mdp, pi)
    s, a = np.divmod(np.arange(q.size), 4)
    P, R = jnp.asarray(mdp.P), jnp.asarray(mdp.R)

    def J(t):
        p = jax.nn.softmax(t, 1)
        P_pi = jnp.einsum("sa,sat->st", p, P)
        return jnp.linalg.solve(jnp.eye(mdp.n_states) - 0.9 * P_pi, (p * R).sum(1))[mdp.start]

    ref = np.asarray(jax.grad(J)(theta))
    for values in (q, q - v[:, None]):     # with and without the baseline
        w = (d[:, None] * pi * values / (1 - mdp.gamma)).ravel()
        np.testing.assert_allclose(ac.advantage_gradient(theta, s, a, w), ref, rtol=1e-8, atol=1e-11)


def test_single_updates_on_a_three_state_corridor():
    # from the start every action ends the episode: left pays 1, right pays 10
    mdp = rl.corridor(0.9, length=3)
    run = ac.one_step_actor_critic(mdp, alpha_actor=0.3, alpha_critic=0.2, episodes=1, rng=5)
    r = run.returns[0]
    a = int(r == 10.0)
    np.testing.assert_allclose(run.V[1], 0.2 * r, rtol=1e-14)
    np.testing.assert_allclose(run.theta[1], 0.3 * r * (np.eye(2)[a] - 0.5), rtol=1e-14)
    res = ac.a2c(mdp, n_envs=4, n_steps=1, alpha_actor=0.3, alpha_critic=0.2, entropy_coef=0.7, updates=1, rng=3)
    rets = res.episode_returns
    assert rets.size == 4 and set(rets) <= {1.0, 10.0}
    np.testing.assert_allclose(res.V[1], 0.2 * rets.mean(), rtol=1e-14)
    expected = 0.3 / 4 * sum(g * (np.eye(2)[int(g == 10.0)] - 0.5) for g in rets)
    np.testing.assert_allclose(res.theta[1], expected, rtol=1e-14)


def test_learners_improve_the_exact_objective():
    mdp = rl.gridworld(rl.ROOM, slip=0.1, gamma=0.9)
    v_star = rl.value_iteration(mdp)[1][mdp.start]
    j0 = pg.policy_objective(mdp, np.zeros((mdp.n_states, 4)))
    run = ac.one_step_actor_critic(mdp, 0.5, 0.5, 400, rng=0)
    res = ac.a2c(mdp, 8, 5, lam=0.95, alpha_actor=1.0, alpha_critic=0.5, updates=300, rng=0)
    for theta in (run.theta, res.theta):
        j = pg.policy_objective(mdp, theta)
        assert j - j0 > 0.9 * (v_star - j0)


def test_frozen_actor_critic_is_td0_evaluation():
    mdp = rl.gridworld(rl.ROOM, slip=0.2, gamma=0.9)
    run = ac.one_step_actor_critic(mdp, 0.0, 0.02, 3000, rng=1)
    v = rl.policy_evaluation(mdp, np.full((mdp.n_states, 4), 0.25))
    assert np.all(run.theta == 0)
    np.testing.assert_allclose(run.V, v, atol=0.1 * np.abs(v).max())


@pytest.mark.parametrize("call, match", [
    (lambda m: ac.gae(np.zeros((0,)), np.zeros(0)), "rewards"),
    (lambda m: ac.gae(np.zeros(3), np.zeros(2)), "values"),
    (lambda m: ac.gae(np.zeros(3), np.zeros(3), np.zeros(3)), "dones"),
    (lambda m: ac.gae(np.zeros(3), np.zeros(3), lam=1.5), "lam"),
    (lambda m: ac.n_step_advantages(np.zeros(3), np.zeros(3), n=0), "n"),
    (lambda m: ac.advantage_gradient(np.zeros((2, 2)), [0, 2], [0, 0], [1.0, 1.0]), "states"),
    (lambda m: ac.one_step_actor_critic(None), "mdp"),
    (lambda m: ac.one_step_actor_critic(m, alpha_critic=2.0), "alpha_critic"),
    (lambda m: ac.one_step_actor_critic(m, theta_init=np.zeros((2, 2))), "theta_init"),
    (lambda m: ac.a2c(m, n_envs=0), "n_envs"),
    (lambda m: ac.a2c(m, entropy_coef=-1.0), "entropy_coef"),
])
def test_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call(rl.gridworld(rl.ROOM))


def test_stack_episodes_then_gae_matches_each_episode_alone():
    mdp = rl.gridworld(rl.ROOM, slip=0.2, gamma=0.9)
    pi = np.full((mdp.n_states, 4), 0.25)
    eps = [pg.sample_episode(mdp, pi, s, max_steps=30) for s in range(5)]
    roll = ac.stack_episodes(eps)
    v = np.random.default_rng(0).normal(size=mdp.n_states)
    adv = ac.gae(roll.rewards, v[roll.states], roll.dones, 0.0, 0.9, 0.7)
    for j, e in enumerate(eps):
        n = len(e)
        np.testing.assert_array_equal(roll.states[:n, j], e.states)
        assert roll.mask[:, j].sum() == n and roll.dones[n - 1, j] == (not e.truncated)
        alone = ac.gae(e.rewards, v[e.states], np.arange(n) == n - 1 if not e.truncated else None,
                       v[e.states[-1]] * 0.0, 0.9, 0.7)
        if not e.truncated:
            np.testing.assert_allclose(adv[:n, j], alone, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="episodes"):
        ac.stack_episodes([])


def test_gae_bias_limits_and_sampled_mean():
    mdp = rl.gridworld(rl.ROOM, slip=0.2, gamma=0.9)
    pi = pg.softmax_policy(np.random.default_rng(3).normal(size=(mdp.n_states, 4)))
    v = rl.policy_evaluation(mdp, pi)
    e = np.where(mdp.terminal, 0.0, np.random.default_rng(4).normal(size=mdp.n_states))
    live = ~mdp.terminal
    np.testing.assert_allclose(ac.gae_bias(mdp, pi, v + e, 0.0)[live], (0.9 * mdp.P @ e - e[:, None])[live],
                               atol=1e-12)
    np.testing.assert_allclose(ac.gae_bias(mdp, pi, v + e, 1.0)[live], -np.broadcast_to(e[:, None], (16, 4))[live],
                               atol=1e-12)
    # the first step's estimate from sampled episodes, lambda = 0.6: mean within 5 standard errors
    rng = np.random.default_rng(0)
    firsts = {a: [] for a in range(4)}
    for _ in range(4000):
        ep = pg.sample_episode(mdp, pi, rng)
        firsts[int(ep.actions[0])].append(ac.gae(ep.rewards, (v + e)[ep.states], np.arange(len(ep)) == len(ep) - 1,
                                                 0.0, 0.9, 0.6)[0])
    A = rl.q_from_v(mdp, v) - v[:, None]
    b = ac.gae_bias(mdp, pi, v + e, 0.6)
    for a, xs in firsts.items():
        xs = np.array(xs)
        assert abs(xs.mean() - (A + b)[mdp.start, a]) < 5 * xs.std() / np.sqrt(xs.size)
    with pytest.raises(ValueError, match="V"):
        ac.gae_bias(mdp, pi, np.zeros(3), 0.5)


def test_n_step_bias_against_gae_bias_limits():
    mdp = rl.gridworld(rl.CLIFF, slip=0.1, gamma=0.9)
    pi = pg.softmax_policy(np.random.default_rng(5).normal(size=(mdp.n_states, 4)))
    V = np.random.default_rng(6).normal(size=mdp.n_states)
    live = ~mdp.terminal
    np.testing.assert_allclose(ac.n_step_bias(mdp, pi, V, 1)[live], ac.gae_bias(mdp, pi, V, 0.0)[live], atol=1e-12)
    np.testing.assert_allclose(ac.n_step_bias(mdp, pi, V, 400)[live], ac.gae_bias(mdp, pi, V, 1.0)[live], atol=1e-9)
    # two steps by hand: gamma^2 E[e(s_2) | s, a] - e(s)
    e = np.where(mdp.terminal, 0.0, V - rl.policy_evaluation(mdp, pi))
    two = np.zeros((mdp.n_states, 4))
    for s in range(mdp.n_states):
        for a in range(4):
            for s1 in range(mdp.n_states):
                if mdp.P[s, a, s1] and not mdp.terminal[s1]:
                    two[s, a] += mdp.P[s, a, s1] * sum(pi[s1, b] * mdp.P[s1, b] @ e for b in range(4))
    np.testing.assert_allclose(ac.n_step_bias(mdp, pi, V, 2)[live], (0.81 * two - e[:, None])[live], atol=1e-12)

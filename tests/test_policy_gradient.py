"""The exact policy gradient against JAX and finite differences; episodes and returns against plain loops."""

import numpy as np
import pytest

from mlsheet_utils.algorithms import policy_gradient as pg
from mlsheet_utils.algorithms import rl


def _jax_objective(mdp):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    P, R, gamma = jnp.asarray(mdp.P), jnp.asarray(mdp.R), mdp.gamma

    def J(theta):
        pi = jax.nn.softmax(theta, axis=1)
        P_pi = jnp.einsum("sa,sat->st", pi, P)
        v = jnp.linalg.solve(jnp.eye(P.shape[0]) - gamma * P_pi, (pi * R).sum(1))
        return v[mdp.start]

    return jax.value_and_grad(J)


@pytest.mark.parametrize("slip", [0.0, 0.3])
def test_exact_policy_gradient_matches_jax_grad(slip):
    mdp = rl.gridworld(rl.ROOM, slip=slip, gamma=0.9)
    theta = np.random.default_rng(1).normal(size=(mdp.n_states, mdp.n_actions))
    J, grad = pg.exact_policy_gradient(mdp, theta)
    J_ref, grad_ref = _jax_objective(mdp)(theta)
    assert J == pytest.approx(float(J_ref), rel=1e-12)
    np.testing.assert_allclose(grad, np.asarray(grad_ref), rtol=1e-9, atol=1e-12)
    assert np.abs(grad).max() > 1e-3  # not a comparison of zeros
    np.testing.assert_allclose(grad.sum(1), 0.0, atol=1e-12)
    assert J == pytest.approx(pg.policy_objective(mdp, theta), rel=1e-12)


def test_exact_policy_gradient_matches_finite_differences_on_the_corridor():
    mdp = rl.corridor(0.8)
    theta = np.array([[0.0, 0.0], [0.3, -0.2], [1.0, 0.5], [0.0, 0.4], [-0.5, 0.2], [0.0, 0.0]])
    _, grad = pg.exact_policy_gradient(mdp, theta)
    eps, fd = 1e-6, np.zeros_like(theta)
    for idx in np.ndindex(theta.shape):
        up, down = theta.copy(), theta.copy()
        up[idx] += eps
        down[idx] -= eps
        fd[idx] = (pg.policy_objective(mdp, up) - pg.policy_objective(mdp, down)) / (2 * eps)
    np.testing.assert_allclose(grad, fd, atol=1e-8)


def test_softmax_policy_and_score():
    theta = np.array([[1000.0, 0.0, -1000.0], [0.0, np.log(2.0), 0.0]])
    pi = pg.softmax_policy(theta)
    np.testing.assert_allclose(pi, [[1, 0, 0], [0.25, 0.5, 0.25]], atol=1e-15)
    score = pg.softmax_score(theta, 1, 1)
    np.testing.assert_allclose(score, [[0, 0, 0], [-0.25, 0.5, -0.25]], atol=1e-15)
    # the score is the gradient of log pi(a|s): central differences
    eps, fd = 1e-6, np.zeros_like(theta)
    for idx in np.ndindex(theta.shape):
        up, down = theta.copy(), theta.copy()
        up[idx] += eps
        down[idx] -= eps
        fd[idx] = (np.log(pg.softmax_policy(up)[1, 1]) - np.log(pg.softmax_policy(down)[1, 1])) / (2 * eps)
    np.testing.assert_allclose(score, fd, atol=1e-8)


def test_discounted_returns_match_a_plain_loop():
    rewards = np.random.default_rng(0).normal(size=50)
    for gamma in (0.0, 0.5, 0.99, 1.0):
        expected, g = np.zeros(50), 0.0
        for t in range(49, -1, -1):
            g = rewards[t] + gamma * g
            expected[t] = g
        np.testing.assert_allclose(pg.discounted_returns(rewards, gamma), expected, rtol=1e-12, atol=1e-12)
    assert pg.discounted_returns([], 0.9).shape == (0,)


def test_sampled_returns_average_to_the_exact_value():
    mdp = rl.gridworld(rl.ROOM, slip=0.2, gamma=0.9)
    theta = np.random.default_rng(2).normal(size=(mdp.n_states, mdp.n_actions))
    pi = pg.softmax_policy(theta)
    rng = np.random.default_rng(3)
    g0 = np.array([pg.discounted_returns(pg.sample_episode(mdp, pi, rng).rewards, 0.9)[0] for _ in range(3000)])
    v = rl.policy_evaluation(mdp, pi)[mdp.start]
    assert abs(g0.mean() - v) < 4 * g0.std() / np.sqrt(g0.size)
    assert abs(v) > 1.0


def test_sample_episode_structure_and_determinism():
    mdp = rl.gridworld(rl.CLIFF, gamma=0.9)
    pi = np.full((mdp.n_states, 4), 0.25)
    a, b = pg.sample_episode(mdp, pi, 7, max_steps=30), pg.sample_episode(mdp, pi, 7, max_steps=30)
    np.testing.assert_array_equal(a.states, b.states)
    assert len(a) == a.actions.size == a.rewards.size <= 30
    assert a.states[0] == mdp.start
    short = pg.sample_episode(mdp, np.eye(4)[np.zeros(mdp.n_states, int)], 0, max_steps=5)  # always up
    assert short.truncated and len(short) == 5 and np.all(short.rewards == -1)


@pytest.mark.parametrize("call, match", [
    (lambda m: pg.exact_policy_gradient(None, np.zeros((3, 2))), "mdp"),
    (lambda m: pg.exact_policy_gradient(m, np.zeros((3, 2))), "theta"),
    (lambda m: pg.policy_objective(m, np.full((m.n_states, 4), np.nan)), "theta"),
    (lambda m: pg.softmax_policy(np.zeros((0, 2))), "theta"),
    (lambda m: pg.softmax_score(np.zeros((2, 2)), 2, 0), "s"),
    (lambda m: pg.softmax_score(np.zeros((2, 2)), 0, -1), "a"),
    (lambda m: pg.sample_episode(m, np.full((m.n_states, 4), 0.3), 0), "policy"),
    (lambda m: pg.sample_episode(m, np.full((m.n_states, 4), 0.25), 0, max_steps=0), "max_steps"),
    (lambda m: pg.sample_episode(m, np.full((m.n_states, 4), 0.25), 0, start=23), "start"),
    (lambda m: pg.discounted_returns([1.0, np.inf], 0.9), "rewards"),
    (lambda m: pg.discounted_returns([1.0], 1.5), "gamma"),
])
def test_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call(rl.gridworld(rl.CLIFF))


# -- REINFORCE estimator and training loop ------------------------------------------------------------------

def _loop_estimate(theta, ep, gamma, baseline=None, reward_to_go=True, discount_score=True):
    """A plain double loop over steps and future rewards, built on softmax_score."""
    T, g = len(ep), np.zeros_like(theta)
    G0 = sum(gamma ** k * ep.rewards[k] for k in range(T))
    for t in range(T):
        b = 0.0 if baseline is None else baseline[ep.states[t] if reward_to_go else ep.states[0]]
        if reward_to_go:
            weight = sum(gamma ** (k - t) * ep.rewards[k] for k in range(t, T)) - b
            weight *= gamma ** t if discount_score else 1.0
        else:
            weight = G0 - b
        g += weight * pg.softmax_score(theta, ep.states[t], ep.actions[t])
    return g


@pytest.mark.parametrize("options", [{}, {"reward_to_go": False}, {"discount_score": False}, {"baseline": True}])
def test_reinforce_estimates_match_a_plain_loop(options):
    mdp = rl.gridworld(rl.ROOM, slip=0.2, gamma=0.9)
    rng = np.random.default_rng(5)
    theta = rng.normal(size=(mdp.n_states, mdp.n_actions))
    pi = pg.softmax_policy(theta)
    eps = [pg.sample_episode(mdp, pi, rng, max_steps=60) for _ in range(5)]
    if options.get("baseline"):
        options = {"baseline": rng.normal(size=mdp.n_states)}
    ours = pg.reinforce_estimates(theta, eps, 0.9, **options)
    ref = np.stack([_loop_estimate(theta, ep, 0.9, **options) for ep in eps])
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(pg.reinforce_gradient(theta, eps, 0.9, **options), ref.mean(0), rtol=1e-10,
                               atol=1e-10)


def test_reinforce_estimate_is_exact_in_expectation_on_a_bandit():
    P = np.zeros((2, 3, 2))
    P[:, :, 1] = 1.0
    bandit = rl.MDP(P, np.array([[1.0, -0.5, 2.0], [0.0, 0.0, 0.0]]), np.array([False, True]), gamma=0.9)
    theta = np.array([[0.3, -1.0, 0.2], [0.0, 0.0, 0.0]])
    pi = pg.softmax_policy(theta)[0]
    eps = [pg.Episode(np.array([0]), np.array([a]), np.array([bandit.R[0, a]]), False) for a in range(3)]
    _, exact = pg.exact_policy_gradient(bandit, theta)
    for baseline in (None, np.array([0.7, 0.0])):
        per = pg.reinforce_estimates(theta, eps, 0.9, baseline=baseline)
        np.testing.assert_allclose(np.einsum("a,asb->sb", pi, per), exact, atol=1e-14)


def test_reinforce_gradient_is_jax_grad_of_the_surrogate():
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    mdp = rl.corridor(0.8)
    rng = np.random.default_rng(9)
    theta = rng.normal(size=(mdp.n_states, 2))
    eps = [pg.sample_episode(mdp, pg.softmax_policy(theta), rng) for _ in range(8)]
    b = rng.normal(size=mdp.n_states)

    def surrogate(th):
        total = 0.0
        for ep in eps:
            w = 0.8 ** np.arange(len(ep)) * (pg.discounted_returns(ep.rewards, 0.8) - b[ep.states])
            total = total + jnp.sum(w * jax.nn.log_softmax(th, axis=1)[ep.states, ep.actions])
        return total / len(eps)

    np.testing.assert_allclose(pg.reinforce_gradient(theta, eps, 0.8, baseline=b),
                               np.asarray(jax.grad(surrogate)(theta)), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("baseline", ["none", "learned", "exact"])
def test_reinforce_training_run(baseline):
    mdp = rl.corridor(0.9)
    run = pg.reinforce(mdp, lr=0.5, n_iter=60, batch=5, baseline=baseline, rng=1)
    assert run.thetas.shape == (61, mdp.n_states, 2) and run.returns.shape == (60, 5)
    J_ref = [pg.policy_objective(mdp, th) for th in run.thetas]
    np.testing.assert_allclose(run.objective, J_ref, rtol=1e-12)
    _, V = rl.value_iteration(mdp)
    assert run.objective[-1] > 0.9 * V[mdp.start] > run.objective[0]
    steps = np.diff(run.thetas, axis=0) / 0.5                      # each step is lr times the batch estimate
    exact = np.stack([pg.exact_policy_gradient(mdp, th)[1] for th in run.thetas[:-1]])
    np.testing.assert_allclose(run.grad_sq_error, ((steps - exact) ** 2).sum((1, 2)), rtol=1e-8, atol=1e-12)
    # every update is lr times a sum of softmax scores: each row of a step sums to zero
    np.testing.assert_allclose((run.thetas[1] - run.thetas[0]).sum(1), 0.0, atol=1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda m: pg.reinforce_estimates(np.zeros((m.n_states, 4)), [], 0.9), "episodes"),
    (lambda m: pg.reinforce_estimates(np.zeros((m.n_states, 4)), [None], 0.9), "episodes"),
    (lambda m: pg.reinforce_estimates(np.zeros((m.n_states, 4)),
                                      [pg.sample_episode(m, np.full((m.n_states, 4), 0.25), 0)], 1.5), "gamma"),
    (lambda m: pg.reinforce_estimates(np.zeros((m.n_states, 4)),
                                      [pg.sample_episode(m, np.full((m.n_states, 4), 0.25), 0)], 0.9,
                                      baseline=np.zeros(3)), "baseline"),
    (lambda m: pg.reinforce(m, lr=0.0, n_iter=1, batch=1), "lr"),
    (lambda m: pg.reinforce(m, lr=0.1, n_iter=0, batch=1), "n_iter"),
    (lambda m: pg.reinforce(m, lr=0.1, n_iter=1, batch=0), "batch"),
    (lambda m: pg.reinforce(m, lr=0.1, n_iter=1, batch=1, baseline="mean"), "baseline"),
    (lambda m: pg.reinforce(m, lr=0.1, n_iter=1, batch=1, theta0=np.zeros((2, 2))), "theta"),
])
def test_reinforce_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call(rl.gridworld(rl.CLIFF))

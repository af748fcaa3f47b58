"""PPO's clipped surrogate and TRPO's natural step against JAX, SciPy, NumPy's solvers and exact enumeration."""

import numpy as np
import pytest
import scipy.stats

from mlsheet_utils.algorithms import policy_gradient as pg
from mlsheet_utils.algorithms import rl
from mlsheet_utils.algorithms import trust_region as tr


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax, jax.numpy


@pytest.fixture(scope="module")
def room():
    return rl.gridworld(rl.ROOM, slip=0.2, gamma=0.9)


def test_clipped_objective_and_derivative_against_jax_and_cases():
    jax, jnp = _jax()
    rng = np.random.default_rng(0)
    r, A = rng.uniform(0.2, 2.0, 300), rng.normal(size=300)
    for eps in (0.1, 0.3):
        f = lambda r_, a_, e=eps: jnp.minimum(r_ * a_, jnp.clip(r_, 1 - e, 1 + e) * a_)  # noqa: E731
        np.testing.assert_allclose(tr.clipped_objective(r, A, eps), np.asarray(jax.vmap(f)(r, A)), rtol=1e-14)
        np.testing.assert_allclose(tr.clipped_objective_grad(r, A, eps), np.asarray(jax.vmap(jax.grad(f))(r, A)),
                                   rtol=1e-14)
    # the cases written out: A > 0 flat above 1 + eps, A < 0 flat below 1 - eps
    assert tr.clipped_objective(1.5, 2.0, 0.2) == pytest.approx(2.4)
    assert tr.clipped_objective_grad(1.5, 2.0, 0.2) == 0 and tr.clipped_objective_grad(0.5, 2.0, 0.2) == 2.0
    assert tr.clipped_objective_grad(0.5, -1.0, 0.2) == 0 and tr.clipped_objective_grad(1.5, -1.0, 0.2) == -1.0


def test_clipped_surrogate_against_jax_and_minibatch_rescaling(room):
    jax, jnp = _jax()
    rng = np.random.default_rng(1)
    theta_old = rng.normal(size=(room.n_states, room.n_actions))
    batch = tr.rollout_batch(room, theta_old, 6, rng)
    theta = theta_old + 0.5 * rng.normal(size=theta_old.shape)
    for eps in (0.2, None):
        def L(th, eps=eps):
            r = jnp.exp(jax.nn.log_softmax(th, axis=1)[batch.states, batch.actions] - batch.log_prob_old)
            A = batch.advantages
            term = r * A if eps is None else jnp.minimum(r * A, jnp.clip(r, 1 - eps, 1 + eps) * A)
            return jnp.sum(batch.weights * term)

        value, grad = tr.clipped_surrogate(theta, batch, eps)
        ref_value, ref_grad = jax.value_and_grad(L)(theta)
        assert value == pytest.approx(float(ref_value), rel=1e-12)
        np.testing.assert_allclose(grad, np.asarray(ref_grad), rtol=1e-10, atol=1e-13)
    # minibatch estimates, weighted by their share of the batch, add up to the full gradient
    parts = np.array_split(rng.permutation(batch.states.size), 3)
    total = sum(len(p) / batch.states.size * tr.clipped_surrogate(theta, batch, 0.2, index=p)[1] for p in parts)
    np.testing.assert_allclose(total, tr.clipped_surrogate(theta, batch, 0.2)[1], rtol=1e-10, atol=1e-13)


def test_rollout_batch_fields(room):
    theta = np.random.default_rng(2).normal(size=(room.n_states, room.n_actions))
    batch = tr.rollout_batch(room, theta, 5, 3)
    pi = pg.softmax_policy(theta)
    np.testing.assert_allclose(np.exp(batch.log_prob_old), pi[batch.states, batch.actions], rtol=1e-12)
    # replay the same seed: the advantages are the returns-to-go minus the exact value
    rng, v, adv, w = np.random.default_rng(3), rl.policy_evaluation(room, pi), [], []
    for _ in range(5):
        ep = pg.sample_episode(room, pi, rng, max_steps=200)
        adv.append(pg.discounted_returns(ep.rewards, 0.9) - v[ep.states])
        w.append(0.9 ** np.arange(len(ep)) / 5)
    np.testing.assert_allclose(batch.advantages, np.concatenate(adv), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(batch.weights, np.concatenate(w), rtol=1e-12)


def test_exact_surrogate_against_jax_and_the_policy_gradient(room):
    jax, jnp = _jax()
    rng = np.random.default_rng(4)
    theta_old = rng.normal(size=(room.n_states, room.n_actions))
    pi_old = pg.softmax_policy(theta_old)
    v = rl.policy_evaluation(room, pi_old)
    A = rl.q_from_v(room, v) - v[:, None]
    d = rl.discounted_occupancy(room, pi_old)
    L = lambda th: v[room.start] + d @ (jax.nn.softmax(th, axis=1) * A).sum(1) / (1 - room.gamma)  # noqa: E731
    theta = theta_old + rng.normal(size=theta_old.shape)
    assert tr.surrogate_objective(room, theta_old, theta) == pytest.approx(float(L(theta)), rel=1e-12)
    np.testing.assert_allclose(tr.surrogate_gradient(room, theta_old, theta), np.asarray(jax.grad(L)(theta)),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(tr.surrogate_gradient(room, theta_old, theta_old),
                               pg.exact_policy_gradient(room, theta_old)[1], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(tr.advantages(room, theta_old), A, rtol=1e-12, atol=1e-12)


def test_fisher_kl_and_conjugate_gradient(room):
    jax, jnp = _jax()
    rng = np.random.default_rng(5)
    theta = rng.normal(size=(room.n_states, room.n_actions))
    pi = pg.softmax_policy(theta)
    d = np.where(room.terminal, 0.0, rl.discounted_occupancy(room, pi))
    w = d / d.sum()
    np.testing.assert_allclose(tr.state_weights(room, theta), w, rtol=1e-12)
    kl = lambda t: jnp.sum(w * jnp.sum(pi * (jnp.log(pi) - jax.nn.log_softmax(t.reshape(pi.shape), axis=1)), 1))  # noqa: E731
    F = tr.fisher_matrix(room, theta)
    np.testing.assert_allclose(F, np.asarray(jax.hessian(kl)(theta.ravel())), rtol=1e-10, atol=1e-14)
    u = rng.normal(size=pi.shape)
    np.testing.assert_allclose(tr.fisher_vector_product(room, theta, u).ravel(), F @ u.ravel(), rtol=1e-10,
                               atol=1e-14)
    new = theta + rng.normal(size=theta.shape)
    rows = scipy.stats.entropy(pi, pg.softmax_policy(new), axis=1)
    assert tr.mean_kl(room, theta, new) == pytest.approx(w @ rows, rel=1e-10)
    assert tr.max_kl(room, theta, new) == pytest.approx(rows[~room.terminal].max(), rel=1e-10)
    # singular F, b in its range: CG gives the minimum-norm solution
    g, x = tr.natural_gradient(room, theta)
    np.testing.assert_allclose(x.ravel(), np.linalg.lstsq(F, g.ravel(), rcond=None)[0], rtol=1e-7, atol=1e-9)
    # a plain SPD system against numpy.linalg.solve
    M = rng.normal(size=(8, 8))
    S, b = M @ M.T + 8 * np.eye(8), rng.normal(size=8)
    np.testing.assert_allclose(tr.conjugate_gradient(lambda z: S @ z, b), np.linalg.solve(S, b), rtol=1e-9)


def test_trpo_step_and_run(room):
    rng = np.random.default_rng(6)
    theta = rng.normal(size=(room.n_states, room.n_actions))
    F = tr.fisher_matrix(room, theta)
    _, g = pg.exact_policy_gradient(room, theta)
    x = (np.linalg.pinv(F) @ g.ravel()).reshape(g.shape)
    for delta in (1e-3, 0.1):
        step = tr.trpo_step(room, theta, delta)
        beta = np.sqrt(2 * delta / (g.ravel() @ x.ravel()))
        assert step.accepted and step.full_step == pytest.approx(beta, rel=1e-7)
        np.testing.assert_allclose(step.theta, theta + step.fraction * beta * x, rtol=1e-6, atol=1e-9)
        kl = tr.state_weights(room, theta) @ scipy.stats.entropy(pg.softmax_policy(theta),
                                                                 pg.softmax_policy(step.theta), axis=1)
        assert step.mean_kl == pytest.approx(kl, rel=1e-9) and kl <= delta and step.surrogate_gain > 0
    run = tr.trpo(room, np.zeros_like(theta), 0.05, 10)
    J = [pg.policy_objective(room, t) for t in run.thetas]
    np.testing.assert_allclose(run.objective, J, rtol=1e-12)
    assert np.all(np.diff(run.objective) > -1e-12) and run.objective[-1] > run.objective[0] + 3


def test_improvement_bound_holds_on_random_pairs():
    mdp = rl.corridor(0.8)
    rng = np.random.default_rng(7)
    for _ in range(200):
        old = 2 * rng.normal(size=(mdp.n_states, 2))
        new = old + rng.normal(size=old.shape)
        assert pg.policy_objective(mdp, new) >= tr.improvement_lower_bound(mdp, old, new) - 1e-12


def test_ppo_improves_and_reports_exact_objectives():
    mdp = rl.corridor(0.9)
    run = tr.ppo(mdp, np.zeros((mdp.n_states, 2)), epsilon=0.2, epochs=4, n_episodes=16, n_iter=10, rng=0)
    np.testing.assert_allclose(run.objective, [pg.policy_objective(mdp, t) for t in run.thetas], rtol=1e-12)
    assert run.objective[-1] > 6.5 > run.objective[0]          # right (10 after 4 steps) beats left (1 now)
    assert np.all(run.ratio_min > 0) and np.all(run.ratio_max >= run.ratio_min)


@pytest.mark.parametrize("call, match", [
    (lambda m: tr.clipped_objective([1.0], [1.0], 0.0), "epsilon"),
    (lambda m: tr.clipped_objective_grad([1.0], [np.nan], 0.2), "advantage"),
    (lambda m: tr.surrogate_objective(m, np.zeros((2, 2)), np.zeros((2, 2))), "theta_old"),
    (lambda m: tr.mean_kl(None, np.zeros((2, 2)), np.zeros((2, 2))), "mdp"),
    (lambda m: tr.rollout_batch(m, np.zeros((m.n_states, 4)), 0, 0), "n_episodes"),
    (lambda m: tr.ppo(m, np.zeros((m.n_states, 4)), lr=0.0), "lr"),
    (lambda m: tr.ppo_update(np.zeros((m.n_states, 4)), "batch"), "batch"),
    (lambda m: tr.trpo_step(m, np.zeros((m.n_states, 4)), -0.1), "delta"),
    (lambda m: tr.trpo(m, np.zeros((m.n_states, 4)), 0.01, backtrack=1.5), "backtrack"),
    (lambda m: tr.trpo(m, np.zeros((m.n_states, 4)), 0.01, damping=0.1), "unknown"),
    (lambda m: tr.fisher_vector_product(m, np.zeros((m.n_states, 4)), np.zeros((2, 2))), "v"),
    (lambda m: tr.conjugate_gradient(lambda z: z, [1.0], n_iter=0), "n_iter"),
])
def test_validation(call, match, room):
    with pytest.raises(ValueError, match=match):
        call(room)

import numpy as np
import pytest

from mlsheet_utils.algorithms import rl
from mlsheet_utils.algorithms.nn import dqn, layers, optimizers


def _mlp(d, h, A):
    return layers.Sequential(layers.Linear(d, h), layers.Activation("tanh"), layers.Linear(h, A))


def _batch(g, B, d, A):
    return dqn.Batch(g.normal(size=(B, d)), g.integers(0, A, B), g.normal(size=B), g.normal(size=(B, d)),
                     g.random(B) < 0.3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_td_targets_match_a_loop(seed):
    g = np.random.default_rng(seed)
    B, A, gamma = 7, 3, 0.9
    qt, qo, r, done = g.normal(size=(B, A)), g.normal(size=(B, A)), g.normal(size=B), g.random(B) < 0.4
    plain = [r[i] + (0.0 if done[i] else gamma * max(qt[i])) for i in range(B)]
    double = [r[i] + (0.0 if done[i] else gamma * qt[i][int(np.argmax(qo[i]))]) for i in range(B)]
    np.testing.assert_allclose(dqn.td_targets(qt, r, done, gamma), plain, rtol=1e-14)
    np.testing.assert_allclose(dqn.td_targets(qt, r, done, gamma, q_next_online=qo), double, rtol=1e-14)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("double", [False, True])
def test_dqn_loss_and_semi_gradient_match_jax(seed, double):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    g = np.random.default_rng(seed)
    d, h, A, B, gamma = 4, 5, 3, 6, 0.9
    net = _mlp(d, h, A)
    params, target = net.init_params(g), net.init_params(g)
    batch = _batch(g, B, d, A)

    def q_fn(p, x):
        return jnp.tanh(x @ p[0]["W"] + p[0]["b"]) @ p[2]["W"] + p[2]["b"]

    def loss(p):
        q = q_fn(p, batch.states)[jnp.arange(B), batch.actions]
        q_next_t = q_fn(target, batch.next_states)
        if double:
            a_star = jnp.argmax(q_fn(p, batch.next_states), axis=1)
            boot = q_next_t[jnp.arange(B), a_star]
        else:
            boot = q_next_t.max(1)
        y = jax.lax.stop_gradient(batch.rewards + gamma * jnp.where(batch.dones, 0.0, boot))
        return jnp.mean((q - y) ** 2)

    jp = [{k: jnp.asarray(v) for k, v in p.items()} for p in params]
    ref_val, ref_grads = jax.value_and_grad(loss)(jp)
    out = dqn.dqn_loss(net, params, target, batch, gamma, double=double)
    np.testing.assert_allclose(out.value, float(ref_val), rtol=1e-12)
    for ours, ref in zip(out.grads, ref_grads):
        for k in ours:
            np.testing.assert_allclose(ours[k], np.asarray(ref[k]), rtol=1e-10, atol=1e-12)


def test_replay_buffer_ring_and_uniform_sampling():
    buf = dqn.ReplayBuffer(4, 1)
    for i in range(6):
        buf.push([i], i % 2, float(i), [i + 1], i == 5)
    assert len(buf) == 4 and sorted(buf.states[:, 0]) == [2, 3, 4, 5]   # 0 and 1 overwritten
    n = 20_000
    batch = buf.sample(n, 0)
    freq = np.bincount(batch.states[:, 0].astype(int), minlength=6)[2:] / n
    assert np.all(np.abs(freq - 0.25) < 5 * np.sqrt(0.25 * 0.75 / n))
    assert np.all(batch.rewards == batch.states[:, 0]) and np.all(batch.next_states[:, 0] == batch.rewards + 1)


def test_train_dqn_learns_q_star_on_a_corridor():
    mdp = rl.corridor(0.9, length=5)
    Q_star, _ = rl.value_iteration(mdp)
    net = layers.Sequential(layers.Linear(5, 16), layers.Activation("relu"), layers.Linear(16, 2))
    run = dqn.train_dqn(mdp, np.eye(5), net, optimizers.Adam(0.01), n_steps=1500, buffer_size=500,
                        target_period=25, epsilon=0.5, rng=0)
    live = ~mdp.terminal
    assert np.abs(run.Q_history[-1] - Q_star)[live].max() < 0.2
    assert np.array_equal(run.checkpoints, np.arange(0, 1501, 50))


def test_bad_inputs_raise():
    net = _mlp(2, 3, 2)
    p = net.init_params(0)
    with pytest.raises(ValueError, match="capacity"):
        dqn.ReplayBuffer(0, 2)
    with pytest.raises(ValueError, match="empty"):
        dqn.ReplayBuffer(3, 2).sample(1, 0)
    with pytest.raises(ValueError, match="gamma"):
        dqn.td_targets(np.zeros((2, 2)), np.zeros(2), np.zeros(2, bool), 1.5)
    with pytest.raises(ValueError, match="rewards"):
        dqn.td_targets(np.zeros((2, 2)), np.zeros(3), np.zeros(2, bool), 0.9)
    with pytest.raises(ValueError, match="batch"):
        dqn.dqn_loss(net, p, p, "batch", 0.9)
    with pytest.raises(ValueError, match="buffer_size"):
        dqn.train_dqn(rl.corridor(0.9, length=4), np.eye(4), _mlp(4, 3, 2), optimizers.SGD(0.1), buffer_size=8,
                      batch_size=16)
    with pytest.raises(ValueError, match="features"):
        dqn.train_dqn(rl.corridor(0.9, length=4), np.eye(3), _mlp(3, 3, 2), optimizers.SGD(0.1))

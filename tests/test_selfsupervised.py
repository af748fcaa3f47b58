"""SimCLR and MoCo pieces against JAX/optax, collections.deque, closed forms and hand-written replays."""

import collections

import numpy as np
import pytest

from mlsheet_utils.algorithms import augmentation as aug
from mlsheet_utils.algorithms.nn import contrastive as cl
from mlsheet_utils.algorithms.nn import layers as nl
from mlsheet_utils.algorithms.nn import optimizers as opt
from mlsheet_utils.algorithms.nn import selfsupervised as ss

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
optax = pytest.importorskip("optax")
jax.config.update("jax_enable_x64", True)


def _nets(d_in=6):
    encoder = nl.Sequential(nl.Linear(d_in, 5), nl.Activation("tanh"), nl.Linear(5, 4))
    head = nl.Sequential(nl.Activation("sigmoid"), nl.Linear(4, 3))
    return encoder, head


def _jax_simclr(p, x1, x2, tau):
    h = jnp.tanh(jnp.vstack([x1, x2]) @ p["encoder"][0]["W"] + p["encoder"][0]["b"])
    h = h @ p["encoder"][2]["W"] + p["encoder"][2]["b"]
    z = jax.nn.sigmoid(h) @ p["head"][1]["W"] + p["head"][1]["b"]
    u = z / jnp.linalg.norm(z, axis=1, keepdims=True)
    n2 = u.shape[0]
    s = jnp.where(jnp.eye(n2, dtype=bool), -jnp.inf, u @ u.T / tau)
    labels = (jnp.arange(n2) + n2 // 2) % n2
    return optax.losses.softmax_cross_entropy_with_integer_labels(s, labels).mean()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_simclr_step_matches_jax(seed):
    g = np.random.default_rng(seed)
    encoder, head = _nets()
    params = {"encoder": encoder.init_params(seed), "head": head.init_params(seed + 10)}
    n, tau = 3 + seed, 0.2 + 0.4 * seed
    x1, x2 = g.standard_normal((n, 6)), g.standard_normal((n, 6))
    step = ss.simclr_step(encoder, head, params, x1, x2, tau)
    value, grads = jax.value_and_grad(_jax_simclr)(params, x1, x2, tau)
    np.testing.assert_allclose(step.loss, float(value), rtol=1e-12)
    for part in ("encoder", "head"):
        for mine, ref in zip(step.grads[part], grads[part]):
            for name in mine:
                np.testing.assert_allclose(mine[name], ref[name], rtol=1e-9, atol=1e-12)


def test_two_views_match_translate_and_noise():
    imgs = np.random.default_rng(0).random((5, 4, 4))
    v1, v2 = ss.two_views(imgs, rng=7, pad=2, noise=0.3)
    g = np.random.default_rng(7)
    for v in (v1, v2):
        shift = g.integers(-2, 3, size=(2, 5))
        ref = aug.translate(imgs, shift[0], shift[1]).reshape(5, -1)
        np.testing.assert_allclose(v, ref + 0.3 * g.standard_normal(ref.shape), rtol=1e-14, atol=1e-15)


def test_simclr_pretrain_replays_jax_and_sgd():
    encoder, head = _nets(16)
    params = {"encoder": encoder.init_params(0), "head": head.init_params(1)}
    imgs = np.random.default_rng(1).random((20, 4, 4))
    run = ss.simclr_pretrain(encoder, head, params, imgs, temperature=0.3, batch_size=5, steps=3,
                             optimizer=opt.SGD(0.5), rng=4)
    adam, g, p = opt.SGD(0.5), np.random.default_rng(4), params
    state, losses = adam.init(p), []
    for _ in range(3):
        idx = g.choice(20, 5, replace=False)
        x1, x2 = ss.two_views(imgs[idx], rng=g)
        value, grads = jax.value_and_grad(_jax_simclr)(p, x1, x2, 0.3)
        losses.append(float(value))
        p, state = adam.update(jax.tree_util.tree_map(np.asarray, grads), state, p)
    np.testing.assert_allclose(run.losses, losses, rtol=1e-10)
    np.testing.assert_allclose(run.params["head"][1]["W"], p["head"][1]["W"], rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("capacity", [1, 4, 9])
def test_queue_matches_deque(capacity):
    g = np.random.default_rng(capacity)
    q, ref, nxt = ss.queue_init(capacity, 2), collections.deque(maxlen=capacity), 0
    for size in (3, 1, 12, 2, 5):
        keys, ids = g.standard_normal((size, 2)), np.arange(nxt, nxt + size)
        q = ss.queue_push(q, keys, ids)
        ref.extend(zip(ids.tolist(), keys))
        nxt += size
        got_keys, got_ids = q.ordered()
        assert got_ids.tolist() == [i for i, _ in ref]
        np.testing.assert_array_equal(got_keys, np.array([k for _, k in ref]))


def test_ema_update_matches_unrolled_closed_form():
    g = np.random.default_rng(0)
    m, k0, qs = 0.8, g.standard_normal(4), g.standard_normal((6, 4))
    tree = [{"w": k0}]
    for q in qs:
        tree = ss.ema_update(tree, [{"w": q}], m)
    closed = m**6 * k0 + (1 - m) * sum(m ** (6 - s) * qs[s - 1] for s in range(1, 7))
    np.testing.assert_allclose(tree[0]["w"], closed, rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_moco_loss_matches_optax(seed):
    g = np.random.default_rng(seed)
    b, k, d, tau = 3, 5 + seed, 4, 0.07 + 0.1 * seed
    q, kp = g.standard_normal((b, d)), g.standard_normal((b, d))
    negs = cl.l2_normalize(g.standard_normal((k, d)))

    def ref(q):
        uq = q / jnp.linalg.norm(q, axis=1, keepdims=True)
        uk = kp / np.linalg.norm(kp, axis=1, keepdims=True)
        logits = jnp.hstack([(uq * uk).sum(1, keepdims=True), uq @ negs.T]) / tau
        return optax.losses.softmax_cross_entropy_with_integer_labels(logits, jnp.zeros(b, dtype=int)).mean()

    res = ss.moco_loss(q, kp, negs, tau)
    np.testing.assert_allclose(res.loss, float(ref(q)), rtol=1e-12)
    np.testing.assert_allclose(res.grad_q, jax.grad(ref)(q), rtol=1e-9, atol=1e-13)


def test_moco_train_key_encoder_is_the_unrolled_average():
    imgs = np.random.default_rng(2).random((30, 3, 3))
    run = ss.moco_train(imgs, dim=2, momentum=0.7, queue_size=8, batch_size=4, steps=5, rng=0)
    t = len(run.losses)
    closed = 0.7**t * run.key_weights[0] + 0.3 * sum(0.7 ** (t - s) * run.query_weights[s] for s in range(1, t + 1))
    np.testing.assert_allclose(run.key_weights[-1], closed, rtol=1e-10)
    np.testing.assert_allclose(run.query_weights[0], run.key_weights[0])
    assert run.queue.count == 8 and run.ages.max() == 1


def test_bad_inputs_raise():
    encoder, head = _nets()
    params = {"encoder": encoder.init_params(0), "head": head.init_params(0)}
    x = np.ones((3, 6))
    with pytest.raises(ValueError, match="temperature"):
        ss.simclr_step(encoder, head, params, x, x, 0.0)
    with pytest.raises(ValueError, match="params"):
        ss.simclr_step(encoder, head, {"encoder": params["encoder"]}, x, x)
    with pytest.raises(ValueError, match="images"):
        ss.two_views(np.ones((4, 4)))
    with pytest.raises(ValueError, match="momentum"):
        ss.ema_update(np.ones(2), np.ones(2), 1.5)
    with pytest.raises(ValueError, match="ids"):
        ss.queue_push(ss.queue_init(4, 2), np.ones((2, 2)), [0.5, 1.5])
    with pytest.raises(ValueError, match="negatives"):
        ss.moco_loss(np.ones((2, 3)), np.ones((2, 3)), np.ones((4, 2)))
    with pytest.raises(ValueError, match="batch_size"):
        ss.moco_train(np.ones((3, 2, 2)), batch_size=5)

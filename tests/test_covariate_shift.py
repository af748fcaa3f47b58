"""Shift tracking against a JAX replica of the network; the noise layer against finite differences."""

import numpy as np
import pytest

from mlsheet_utils.algorithms.nn import covariate_shift as ics

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jax.config.update("jax_enable_x64", True)


@pytest.mark.parametrize("seed", [0, 1])
def test_first_step_matches_jax(seed):
    g = np.random.default_rng(seed)
    X, y = g.standard_normal((30, 3)), g.integers(0, 2, 30)
    net = ics.mlp(3, (4, 5), 2)
    p0 = net.init_params(seed)
    lin = [p0[0], p0[2], p0[4]]
    lr = 0.2

    def loss(ps):
        h = jnp.asarray(X)
        for p in ps[:-1]:
            z = h @ p["W"] + p["b"]
            h = jnp.where(z > 0, z, 0.0)                        # ReLU'(0) = 0, as in the book (jnp.maximum: 1/2)
        logits = h @ ps[-1]["W"] + ps[-1]["b"]
        return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(30), y])

    tr = ics.track_training(net, p0, X, y, steps=2, learning_rate=lr, probe_steps=(1.0, 3.0), rng=0)
    grad = jax.grad(loss)(lin)
    step = [{k: p[k] - lr * gp[k] for k in p} for p, gp in zip(lin, grad)]
    np.testing.assert_allclose(tr.loss, [float(loss(lin)), float(loss(step))], rtol=1e-10)
    shift1 = jnp.linalg.norm(jax.grad(loss)(step[:1] + lin[1:])[1]["W"] - grad[1]["W"]) / jnp.linalg.norm(grad[1]["W"])
    np.testing.assert_allclose(tr.ics[0], [0.0, float(shift1)], rtol=1e-9, atol=1e-12)
    far = [{k: p[k] - 3 * lr * gp[k] for k in p} for p, gp in zip(lin, grad)]
    np.testing.assert_allclose(tr.loss_range[0], abs(float(loss(far)) - float(loss(step))), rtol=1e-9)
    z0 = np.asarray(X @ lin[0]["W"] + lin[0]["b"])
    np.testing.assert_allclose(tr.relu_input[0, 0], z0[:, 0], rtol=1e-12)
    np.testing.assert_allclose(tr.std[0, 0], z0.std(axis=0).mean(), rtol=1e-12)


def test_random_shift_gradient_by_finite_differences():
    layer = ics.RandomShift(3, 0.8)
    x = np.random.default_rng(0).standard_normal((4, 3))
    r = np.random.default_rng(1).standard_normal((4, 3))
    y, cache = layer.forward(x, {}, rng=np.random.default_rng(5))
    dx = layer.backward(r, cache)[0]
    eps, num = 1e-6, np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        up = layer.forward(x + e, {}, rng=np.random.default_rng(5))[0]
        down = layer.forward(x - e, {}, rng=np.random.default_rng(5))[0]
        num[idx] = np.sum(r * (up - down)) / (2 * eps)
    np.testing.assert_allclose(dx, num, rtol=1e-7, atol=1e-9)
    assert np.allclose(y.mean(axis=0) - x.mean(axis=0) * cache["s"], y[0] - x[0] * cache["s"])
    assert np.array_equal(layer.forward(x, {})[0], x)


def test_batch_norm_keeps_moments_fixed():
    g = np.random.default_rng(2)
    X, y = g.standard_normal((40, 2)), g.integers(0, 2, 40)
    net = ics.mlp(2, (6,), 2, batch_norm=True)
    tr = ics.track_training(net, net.init_params(0), X, y, steps=3, learning_rate=0.1, rng=0)
    np.testing.assert_allclose(tr.mean[0], 0.0, atol=1e-12)
    assert np.all(np.abs(tr.std[0] - 1) < 1e-3)


def test_bad_inputs():
    net = ics.mlp(2, (3,), 2)
    p = net.init_params(0)
    X, y = np.zeros((5, 2)), np.zeros(5, dtype=int)
    with pytest.raises(ValueError, match="hidden"):
        ics.mlp(2, (), 2)
    with pytest.raises(ValueError, match="noise"):
        ics.mlp(2, (3,), 2, noise=-1.0)
    with pytest.raises(ValueError, match="scale"):
        ics.RandomShift(3, -0.5)
    with pytest.raises(ValueError, match="y"):
        ics.track_training(net, p, X, np.zeros(5), steps=1, learning_rate=0.1)
    with pytest.raises(ValueError, match="learning_rate"):
        ics.track_training(net, p, X, y, steps=1, learning_rate=0.0)
    with pytest.raises(ValueError, match="probe_steps"):
        ics.track_training(net, p, X, y, steps=1, learning_rate=0.1, probe_steps=(-1.0,))
    with pytest.raises(ValueError, match="model"):
        ics.track_training(ics.RandomShift(2), p, X, y, steps=1, learning_rate=0.1)

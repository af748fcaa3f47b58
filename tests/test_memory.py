"""Gradient accumulation and checkpointing against JAX (jax.grad, jax.checkpoint) and brute-force counts."""

import math

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from jax.flatten_util import ravel_pytree  # noqa: E402

from mlsheet_utils.algorithms.nn import layers, losses, memory  # noqa: E402


def flat(tree):
    return np.asarray(ravel_pytree(jax.tree.map(jnp.asarray, tree))[0])


def mlp_problem(seed, n=20):
    rng = np.random.default_rng(seed)
    model = layers.Sequential(layers.Linear(3, 5), layers.Activation("tanh"), layers.Linear(5, 2))
    X, y = rng.standard_normal((n, 3)), rng.standard_normal((n, 2))
    return model, model.init_params(seed), X, y


def jax_mlp_mse(ps, x, t):
    z = jnp.tanh(x @ ps[0]["W"] + ps[0]["b"]) @ ps[2]["W"] + ps[2]["b"]
    return jnp.mean((z - t) ** 2)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("B", [1, 3, 4, 7, 20])
def test_size_weighted_accumulation_is_the_full_batch_gradient(seed, B):
    model, params, X, y = mlp_problem(seed)
    acc = memory.accumulate_gradients(model, params, losses.MeanSquaredError(), X, y, micro_batch_size=B)
    ref = flat(jax.grad(jax_mlp_mse)(jax.tree.map(jnp.asarray, params), X, y))
    np.testing.assert_allclose(flat(acc.grads), ref, rtol=1e-10, atol=1e-13)
    assert acc.sizes.tolist() == [min(B, 20 - s) for s in range(0, 20, B)]
    np.testing.assert_allclose(acc.loss, float(jax_mlp_mse(jax.tree.map(jnp.asarray, params), X, y)), rtol=1e-12)


@pytest.mark.parametrize("seed", range(2))
def test_count_and_plain_sum_weights_against_jax(seed):
    model, params, X, y = mlp_problem(seed)
    ps = jax.tree.map(jnp.asarray, params)
    mse = losses.MeanSquaredError()
    ref = flat(jax.grad(jax_mlp_mse)(ps, X, y))
    equal = memory.accumulate_gradients(model, params, mse, X, y, micro_batch_size=5, scaling="count")
    np.testing.assert_allclose(flat(equal.grads), ref, rtol=1e-10, atol=1e-13)
    plain = memory.accumulate_gradients(model, params, mse, X, y, micro_batch_size=5, scaling="none")
    np.testing.assert_allclose(flat(plain.grads), 4 * ref, rtol=1e-10, atol=1e-13)
    # unequal micro-batches (7, 7, 6): 1/N weights are the mean of the micro-batch gradients, not the batch gradient
    uneven = memory.accumulate_gradients(model, params, mse, X, y, micro_batch_size=7, scaling="count")
    micro = [flat(jax.grad(jax_mlp_mse)(ps, X[s:s + 7], y[s:s + 7])) for s in (0, 7, 14)]
    np.testing.assert_allclose(flat(uneven.grads), np.mean(micro, axis=0), rtol=1e-10, atol=1e-13)
    assert not np.allclose(flat(uneven.grads), ref, rtol=1e-6)


def test_batchnorm_accumulation_is_the_mean_of_micro_batch_gradients():
    rng = np.random.default_rng(4)
    model = layers.Sequential(layers.Linear(2, 4), layers.BatchNorm(4), layers.Linear(4, 1))
    params = model.init_params(1)
    X, y = rng.standard_normal((12, 2)), rng.standard_normal((12, 1))

    def f(ps, x, t):
        h = x @ ps[0]["W"] + ps[0]["b"]
        h = (h - h.mean(0)) / jnp.sqrt(h.var(0) + 1e-5) * ps[1]["gamma"] + ps[1]["beta"]
        return jnp.mean((h @ ps[2]["W"] + ps[2]["b"] - t) ** 2)

    ps = jax.tree.map(jnp.asarray, params)
    acc = memory.accumulate_gradients(model, params, losses.MeanSquaredError(), X, y, micro_batch_size=4)
    micro = np.mean([flat(jax.grad(f)(ps, X[s:s + 4], y[s:s + 4])) for s in (0, 4, 8)], axis=0)
    np.testing.assert_allclose(flat(acc.grads), micro, rtol=1e-9, atol=1e-12)
    assert not np.allclose(flat(acc.grads), flat(jax.grad(f)(ps, X, y)), rtol=1e-3)


def test_activation_floats_count_each_cached_array_once():
    model, params, X, y = mlp_problem(0)
    for B in (1, 4, 20):
        acc = memory.accumulate_gradients(model, params, losses.MeanSquaredError(), X, y, micro_batch_size=B)
        assert acc.activation_floats == B * (3 + 5 + 5)      # x of Linear 1; tanh's x and y (y shared with Linear 2)
        assert acc.buffer_floats == 3 * 5 + 5 + 5 * 2 + 2
    assert memory.cache_floats({"x": np.zeros((2, 3)), "W": params[0]["W"]}, params[0]) == 6


def chain_problem(seed, n_blocks, width=3):
    rng = np.random.default_rng(seed)
    model = layers.Sequential(*[layers.Sequential(layers.Linear(width, width), layers.Activation("tanh"))
                                for _ in range(n_blocks)])
    return model, model.init_params(seed), rng.standard_normal((2, width)), rng.standard_normal((2, width))


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("k", [1, 2, 3, 9])
def test_checkpointed_gradients_match_jax_checkpoint(seed, k):
    model, params, X, T = chain_problem(seed, 9)

    def run(h, ps):
        for p in ps:
            h = jnp.tanh(h @ p[0]["W"] + p[0]["b"])
        return h

    def loss(ps, x, t):
        h = x
        for s in range(0, 9, k):
            h = jax.checkpoint(run)(h, ps[s:s + k])
        return jnp.mean((h - t) ** 2)

    ours = memory.checkpointed_gradients(model, params, losses.MeanSquaredError(), X, T, every=k)
    g_x, g_p = jax.grad(loss, argnums=(1, 0))(jax.tree.map(jnp.asarray, params), X, T)
    np.testing.assert_allclose(flat(ours.grads), flat(g_p), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(ours.dx, np.asarray(g_x), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("n", [1, 5, 12, 17])
def test_checkpoint_counts_against_enumeration(n):
    model, params, X, T = chain_problem(0, n, width=2)
    for k in range(1, n + 1):
        lengths = [min(k, n - s) for s in range(0, n, k)]
        peak = max(s + length for s, length in enumerate(lengths))     # s checkpoints alive + one segment
        run = memory.checkpointed_gradients(model, params, losses.MeanSquaredError(), X, T, every=k)
        cost = memory.checkpoint_cost(n, k)
        assert run.peak_stored == cost.peak_stored == peak == run.trace.max()
        assert run.recomputed_evals == cost.recomputed == n - lengths[-1]
        assert cost.n_segments == len(lengths) and run.checkpoints.tolist() == list(range(0, n, k))[:-1]
        assert run.trace[-1] == 0


def test_sqrt_schedule_reaches_the_smallest_peak():
    for n in range(1, 300):
        k = memory.sqrt_schedule(n)
        best = min(n // j + j - 1 for j in range(1, n + 1))
        assert memory.checkpoint_cost(n, k).peak_stored == best == math.isqrt(4 * n + 1) - 1
        assert abs(k - math.sqrt(n)) <= 0.5


def test_dropout_masks_are_replayed():
    rng = np.random.default_rng(0)
    model = layers.Sequential(*[layers.Sequential(layers.Linear(3, 3), layers.Dropout(0.3)) for _ in range(6)])
    params = model.init_params(0)
    X, T = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    mse = losses.MeanSquaredError()
    out, cache = model.forward(X, params, rng=5)
    _, ref = model.backward(mse.backward(mse.forward(out, T)[1]), cache)
    same = memory.checkpointed_gradients(model, params, mse, X, T, every=2, rng=5)
    fresh = memory.checkpointed_gradients(model, params, mse, X, T, every=2, rng=5, preserve_rng_state=False)
    np.testing.assert_array_equal(flat(same.grads), flat(ref))
    assert not np.allclose(flat(fresh.grads), flat(ref))


def test_bad_inputs_raise():
    model, params, X, y = mlp_problem(0)
    mse = losses.MeanSquaredError()
    with pytest.raises(ValueError, match="micro_batch_size"):
        memory.accumulate_gradients(model, params, mse, X, y, micro_batch_size=0)
    with pytest.raises(ValueError, match="micro_batch_size"):
        memory.accumulate_gradients(model, params, mse, X, y, micro_batch_size=21)
    with pytest.raises(ValueError, match="scaling"):
        memory.accumulate_gradients(model, params, mse, X, y, micro_batch_size=2, scaling="mean")
    with pytest.raises(ValueError, match="same number of examples"):
        memory.accumulate_gradients(model, params, mse, X, y[:5], micro_batch_size=2)
    with pytest.raises(ValueError, match="Sequential"):
        memory.checkpointed_gradients(layers.Linear(3, 2), params[0], mse, X, y, every=1)
    with pytest.raises(ValueError, match="every"):
        memory.checkpointed_gradients(model, params, mse, X, y, every=4)
    with pytest.raises(ValueError, match="every"):
        memory.checkpoint_cost(5, 0)
    with pytest.raises(ValueError, match="n_layers"):
        memory.sqrt_schedule(0)

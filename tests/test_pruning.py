"""Magnitude pruning masks, masked layers and shrinking against brute-force sorts, loops and JAX."""

import math

import numpy as np
import pytest

from mlsheet_utils.algorithms.nn import layers, losses, optimizers, pruning


def _sort_mask(w, s):
    m = int(round(s * w.size))
    cut = np.sort(np.abs(w).ravel())[m - 1] if m else -np.inf
    return np.abs(w) > cut


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("s", [0.0, 0.1, 0.5, 0.77, 1.0])
def test_masks_match_sorting(seed, s):
    g = np.random.default_rng(seed)
    Ws = [g.standard_normal((6, 5)), 0.2 * g.standard_normal((5, 3))]
    np.testing.assert_array_equal(pruning.magnitude_mask(Ws[0], s), _sort_mask(Ws[0], s))
    for got, w in zip(pruning.layerwise_masks(Ws, s), Ws):
        np.testing.assert_array_equal(got, _sort_mask(w, s))
    flat = np.concatenate([np.abs(w).ravel() for w in Ws])
    m = int(round(s * flat.size))
    cut = np.sort(flat)[m - 1] if m else -np.inf
    for got, w in zip(pruning.global_masks(Ws, s), Ws):
        np.testing.assert_array_equal(got, np.abs(w) > cut)
    assert pruning.sparsity(pruning.global_masks(Ws, s)) == m / flat.size


def test_neuron_masks_loop():
    g = np.random.default_rng(4)
    Ws = [g.standard_normal((7, 6)), g.standard_normal((6, 4)), g.standard_normal((4, 2))]
    masks = pruning.neuron_masks(Ws, 0.5)
    for i in range(2):
        norms = [math.sqrt(sum(Ws[i][r, j] ** 2 for r in range(Ws[i].shape[0]))) for j in range(Ws[i].shape[1])]
        dead = set(sorted(range(len(norms)), key=norms.__getitem__)[:round(0.5 * len(norms))])
        for j in range(len(norms)):
            assert (not masks[i][:, j].any()) == (j in dead)
            assert (not masks[i + 1][j].any()) == (j in dead)
    assert masks[2][:, :].any(axis=0).all()                  # the output units stay


def test_masked_linear_and_shrink_match_dense():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    g = np.random.default_rng(5)
    W, b, x, dy = g.standard_normal((5, 4)), g.standard_normal(4), g.standard_normal((3, 5)), g.standard_normal((3, 4))
    mask = pruning.magnitude_mask(W, 0.5)
    layer = pruning.MaskedLinear(mask)
    y, cache = layer.forward(x, {"W": W, "b": b})
    dx, grads = layer.backward(dy, cache)
    y_ref, vjp = jax.vjp(lambda x_, W_, b_: x_ @ (W_ * mask) + b_, x, W, b)
    for ours, ref in zip((y, dx, grads["W"], grads["b"]), (y_ref, *vjp(dy))):
        np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)
    mlp = layers.Sequential(layers.Linear(5, 6), layers.Activation("relu"), layers.Linear(6, 3))
    params = mlp.init_params(1)
    masks = pruning.neuron_masks([params[0]["W"], params[2]["W"]], 0.5)
    small, small_params = pruning.shrink_network(mlp, params, masks)
    assert small.layers[0].n_out == 3 and small.layers[2].n_in == 3
    h = np.maximum(x @ (params[0]["W"] * masks[0]) + params[0]["b"], 0)
    np.testing.assert_allclose(small.forward(x, small_params)[0], h @ (params[2]["W"] * masks[1]) + params[2]["b"],
                               rtol=1e-12, atol=1e-12)


def test_rounds_and_imp_counts():
    for s, p in [(0.9, 0.2), (0.5, 0.5), (0.99, 0.3), (0.0, 0.4)]:
        k, alive = 0, 1.0
        while 1 - alive < s - 1e-12:
            alive, k = alive * (1 - p), k + 1
        assert pruning.rounds_to_sparsity(s, p) == k
    g = np.random.default_rng(0)
    X, y = g.standard_normal((40, 4)), g.integers(0, 3, 40)
    mlp = layers.Sequential(layers.Linear(4, 5), layers.Activation("relu"), layers.Linear(5, 3))
    run = pruning.iterative_magnitude_pruning(mlp, mlp.init_params(0), losses.SoftmaxCrossEntropy(),
                                              optimizers.Adam(learning_rate=0.01), X, y, X, y, rate=0.3, rounds=3,
                                              epochs=2, batch_size=16, rng=0)
    alive = [35]
    for _ in range(3):
        alive.append(alive[-1] - round(0.3 * alive[-1]))
    np.testing.assert_array_equal(run.sparsity, (35 - np.array(alive)) / 35)
    final = [p["W"] for p in run.params if "W" in p]
    assert all(not w[~m].any() for w, m in zip(final, run.masks[-1]))


@pytest.mark.parametrize("bad", [
    lambda: pruning.magnitude_mask(np.ones(3), 1.5),
    lambda: pruning.magnitude_mask(np.array([1.0, np.nan]), 0.5),
    lambda: pruning.global_masks([], 0.5),
    lambda: pruning.neuron_masks([np.ones((3, 4)), np.ones((3, 2))], 0.5),
    lambda: pruning.rounds_to_sparsity(0.9, 1.0),
    lambda: pruning.rounds_to_sparsity(1.0, 0.5),
    lambda: pruning.MaskedLinear(np.ones((2, 2))),
    lambda: pruning.apply_masks(layers.Sequential(layers.Linear(2, 2)), [{"W": np.ones((2, 2)), "b": np.ones(2)}],
                                [np.ones((3, 2), dtype=bool)]),
])
def test_bad_input(bad):
    with pytest.raises(ValueError):
        bad()


def test_ties_pruned_by_position():
    g = np.random.default_rng(7)
    for _ in range(50):
        w = g.integers(-2, 3, size=(3, 4)).astype(float)          # many equal magnitudes
        s = float(g.integers(0, 13)) / 12
        m = int(round(s * w.size))
        order = sorted(range(w.size), key=lambda i: (abs(w.ravel()[i]), i))[:m]
        expected = np.ones(w.size, dtype=bool)
        expected[order] = False
        np.testing.assert_array_equal(pruning.magnitude_mask(w, s), expected.reshape(w.shape))

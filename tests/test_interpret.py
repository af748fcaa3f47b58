"""Tests of mlsheet_utils.algorithms.interpret against independent references (enumeration, scikit-learn, JAX)."""

from itertools import permutations

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from mlsheet_utils.algorithms import interpret
from mlsheet_utils.algorithms.nn import layers


def _model(seed, d=4):
    W = np.random.default_rng(seed).standard_normal((d, d))
    return lambda Z: np.tanh(Z @ W).sum(axis=1) + Z[:, 0] * Z[:, -1]


@pytest.mark.parametrize("seed", range(3))
def test_shapley_values_match_the_permutation_average(seed):
    rng = np.random.default_rng(seed)
    f, x, b = _model(seed), rng.standard_normal(4), rng.standard_normal(4)
    ref = np.zeros(4)
    for order in permutations(range(4)):
        z = b.copy()
        for i in order:
            before = f(z[None])[0]
            z[i] = x[i]
            ref[i] += f(z[None])[0] - before
    np.testing.assert_allclose(interpret.shapley_values(f, x, b), ref / 24, rtol=1e-10, atol=1e-12)


def test_shapley_values_of_a_linear_model_are_w_times_the_offset():
    w, x, b = np.array([1.0, -2.0, 0.5]), np.array([0.3, 1.0, -2.0]), np.array([1.0, 0.0, 0.5])
    np.testing.assert_allclose(interpret.shapley_values(lambda Z: Z @ w, x, b), w * (x - b), rtol=1e-12)


@pytest.mark.parametrize("seed,alpha", [(0, 0.0), (1, 0.3), (2, 5.0)])
def test_lime_matches_weighted_ridge(seed, alpha):
    f, x = _model(seed), np.random.default_rng(seed).standard_normal(4)
    ex = interpret.lime(f, x, kernel_width=1.0, n_samples=200, scale=0.7, alpha=alpha, rng=seed)
    ref = Ridge(alpha=alpha, solver="cholesky").fit(ex.samples - x, ex.predictions, sample_weight=ex.weights)
    np.testing.assert_allclose(ex.coef, ref.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ex.intercept, ref.intercept_, rtol=1e-8)


def test_lime_recovers_a_linear_model_exactly():
    w = np.array([2.0, -1.0, 0.5])
    ex = interpret.lime(lambda Z: Z @ w + 3.0, np.ones(3), kernel_width=0.5, n_samples=50, rng=0)
    np.testing.assert_allclose(ex.coef, w, rtol=1e-10)


def _net(seed):
    net = layers.Sequential(layers.Linear(5, 6), layers.Activation("tanh"), layers.Linear(6, 3))
    return net, net.init_params(seed)


def _jax_grad(params, target):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    W1, b1, W2, b2 = (jnp.asarray(params[0]["W"]), jnp.asarray(params[0]["b"]), jnp.asarray(params[2]["W"]),
                      jnp.asarray(params[2]["b"]))
    return lambda X: np.asarray(jax.vmap(jax.grad(lambda v: (jnp.tanh(v @ W1 + b1) @ W2 + b2)[target]))(X))


@pytest.mark.parametrize("seed", range(2))
def test_gradient_methods_match_jax(seed):
    net, params = _net(seed)
    X = np.random.default_rng(seed).standard_normal((4, 5))
    grad = _jax_grad(params, 1)
    np.testing.assert_allclose(interpret.gradient_saliency(net, params, X, 1), grad(X), rtol=1e-10, atol=1e-12)
    t = (np.arange(8) + 0.5) / 8
    b = 0.3
    ig_ref = (X - b) * np.mean([grad(b + tk * (X - b)) for tk in t], axis=0)
    np.testing.assert_allclose(interpret.integrated_gradients(net, params, X, b, 1, steps=8), ig_ref, rtol=1e-10,
                               atol=1e-12)
    noise = 0.4 * np.random.default_rng(7).standard_normal((5, *X.shape))
    np.testing.assert_allclose(interpret.smoothgrad(net, params, X, 1, noise=0.4, n_samples=5, rng=7),
                               np.mean([grad(X + e) for e in noise], axis=0), rtol=1e-10, atol=1e-12)


def test_integrated_gradients_completeness():
    net, params = _net(3)
    x = np.random.default_rng(3).standard_normal(5)
    f = net.forward(np.vstack([x, np.zeros(5)]), params, training=False)[0][:, 2]
    assert abs(interpret.integrated_gradients(net, params, x, 0.0, 2, steps=400).sum() - (f[0] - f[1])) < 1e-5


def test_occlusion_matches_a_loop():
    f, x = _model(4, d=6), np.random.default_rng(4).standard_normal(6)
    ref = np.array([f(x[None])[0] - f(np.where(np.arange(6) == i, 0.0, x)[None])[0] for i in range(6)])
    np.testing.assert_allclose(interpret.occlusion(f, x), ref, rtol=1e-12)
    tiles = interpret.occlusion(f, x, shape=(2, 3), patch=2)      # tiles: columns {0, 1} and {2}
    z = x.reshape(2, 3).copy()
    z[:, :2] = 0
    assert np.isclose(tiles[0], f(x[None])[0] - f(z.reshape(1, 6))[0]) and tiles[0] == tiles[4]


def test_bad_inputs_raise_value_error():
    f = _model(0)
    with pytest.raises(ValueError, match="kernel_width"):
        interpret.lime(f, np.zeros(4), kernel_width=0.0)
    with pytest.raises(ValueError, match="n_samples"):
        interpret.lime(f, np.zeros(4), kernel_width=1.0, n_samples=1)
    with pytest.raises(ValueError, match="scale"):
        interpret.lime(f, np.zeros(4), kernel_width=1.0, scale=-1.0)
    with pytest.raises(ValueError, match="shape"):
        interpret.shapley_values(lambda Z: Z.sum(), np.zeros(3))
    with pytest.raises(ValueError, match="d <= 16"):
        interpret.shapley_values(lambda Z: Z.sum(axis=1), np.zeros(17))
    with pytest.raises(ValueError, match="shape"):
        interpret.occlusion(f, np.zeros(4), shape=(3, 3))
    net, params = _net(0)
    with pytest.raises(ValueError, match="target"):
        interpret.gradient_saliency(net, params, np.zeros(5), 3)
    with pytest.raises(ValueError, match="steps"):
        interpret.integrated_gradients(net, params, np.zeros(5), steps=0)
    with pytest.raises(ValueError, match="noise"):
        interpret.smoothgrad(net, params, np.zeros(5), noise=-0.1)

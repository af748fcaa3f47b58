"""Signal propagation and unit distances against JAX autodiff and SciPy."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from mlsheet_utils.algorithms.nn import init
from mlsheet_utils.algorithms.nn import propagation as prop

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

JAX_ACTS = {"tanh": jnp.tanh, "relu": jax.nn.relu, "sigmoid": jax.nn.sigmoid, "softplus": jax.nn.softplus}


def _jax_moments(X, Ws, G, f):
    def loss(Ws, eps):
        h = X
        for W, e in zip(Ws, eps):
            h = f(h @ W + e)
        return jnp.sum(h * G)
    zs, hs, h = [], [], X
    for W in Ws:
        zs.append(h @ W)
        h = f(zs[-1])
        hs.append(h)
    gW, gz = jax.grad(loss, argnums=(0, 1))(Ws, [jnp.zeros_like(z) for z in zs])
    return np.array([[float(jnp.mean(a ** 2)) for a in arrays] for arrays in (zs, hs, gz, gW)])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("activation", sorted(JAX_ACTS))
def test_moments_match_jax_autodiff(seed, activation):
    g = np.random.default_rng(seed)
    widths = [int(w) for w in g.integers(3, 12, size=g.integers(2, 6))]
    X = g.standard_normal((int(g.integers(2, 9)), widths[0]))
    Ws = [init.xavier_normal((a, b), g) for a, b in zip(widths[:-1], widths[1:])]
    G = g.standard_normal((X.shape[0], widths[-1]))
    ours = prop.signal_propagation(X, Ws, activation, dy=G)
    ref = _jax_moments(jnp.asarray(X), [jnp.asarray(W) for W in Ws], jnp.asarray(G), JAX_ACTS[activation])
    np.testing.assert_allclose(np.stack([ours.pre, ours.post, ours.grad, ours.weight_grad]), ref, rtol=1e-10)


def test_drawn_output_gradient_is_seeded_and_activations_kept():
    g = np.random.default_rng(3)
    X, Ws = g.standard_normal((4, 5)), [g.standard_normal((5, 5)) for _ in range(3)]
    a = prop.signal_propagation(X, Ws, "tanh", rng=7, keep=True)
    b = prop.signal_propagation(X, Ws, "tanh", rng=7)
    np.testing.assert_array_equal(a.grad, b.grad)
    assert b.activations is None and len(a.activations) == 3
    np.testing.assert_allclose(a.activations[-1], np.tanh(np.tanh(np.tanh(X @ Ws[0]) @ Ws[1]) @ Ws[2]), rtol=1e-14)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unit_distances_match_scipy(seed):
    g = np.random.default_rng(seed)
    W = g.standard_normal((int(g.integers(1, 10)), int(g.integers(1, 12))))
    np.testing.assert_allclose(prop.unit_distances(W), cdist(W.T, W.T), rtol=1e-12, atol=1e-14)
    tied = np.repeat(W[:, :1], 4, axis=1)
    assert np.all(prop.unit_distances(tied) == 0)


def test_bad_inputs_raise():
    X = np.ones((3, 4))
    with pytest.raises(ValueError, match="weights must be a non-empty sequence"):
        prop.signal_propagation(X, [], "tanh")
    with pytest.raises(ValueError, match=r"weights\[1\] must have 5 rows"):
        prop.signal_propagation(X, [np.ones((4, 5)), np.ones((4, 5))], "tanh")
    with pytest.raises(ValueError, match="activation must be one of"):
        prop.signal_propagation(X, [np.ones((4, 5))], "no_such_activation")
    with pytest.raises(ValueError, match="dy must have shape"):
        prop.signal_propagation(X, [np.ones((4, 5))], "relu", dy=np.ones((3, 4)))
    with pytest.raises(ValueError, match="W must"):
        prop.unit_distances(np.ones(3))

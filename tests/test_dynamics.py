"""Gradient dynamics against closed forms, JAX's Jacobians and scipy's quadrature."""

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy import integrate  # noqa: E402
from scipy.special import expit  # noqa: E402
from scipy.stats import norm  # noqa: E402

from mlsheet_utils.algorithms.nn import dynamics  # noqa: E402

JAX_ACT = {"linear": lambda z: z, "tanh": jnp.tanh, "relu": jax.nn.relu, "sigmoid": jax.nn.sigmoid,
           "softplus": jax.nn.softplus}
NP_ACT = {"tanh": np.tanh, "sigmoid": expit, "softplus": lambda z: np.logaddexp(0, z)}
NP_DER = {"tanh": lambda z: 1 - np.tanh(z) ** 2, "sigmoid": lambda z: expit(z) * expit(-z), "softplus": expit}


@pytest.mark.parametrize("seed", range(4))
def test_linearized_gd_closed_form(seed):
    g = np.random.default_rng(seed)
    d = int(g.integers(1, 6))
    lam = np.sort(g.uniform(-3, 5, d))
    Q, _ = np.linalg.qr(g.standard_normal((d, d)))
    eta = g.uniform(0.01, 1)
    out = dynamics.linearized_gd(Q @ np.diag(lam) @ Q.T, eta)
    np.testing.assert_allclose(out.multipliers, 1 - eta * lam, rtol=1e-10, atol=1e-12)
    assert np.isclose(out.spectral_radius, np.abs(1 - eta * lam).max(), rtol=1e-10)
    assert out.max_stable_lr == (pytest.approx(2 / lam[-1], rel=1e-10) if lam[0] > 0 else 0.0)


@pytest.mark.parametrize("activation,seed", [("tanh", 0), ("relu", 1), ("linear", 2), ("sigmoid", 3),
                                             ("softplus", 4)])
def test_jacobians_match_jax(activation, seed):
    model, params = dynamics.random_mlp(5, 7, activation, 1.2, seed, bias_std=0.3)
    x = np.random.default_rng(seed + 10).standard_normal(7)
    ours = dynamics.jacobians_through_depth(model, params, x)
    Ws = [p["W"] for p in params if "W" in p]
    bs = [p["b"] for p in params if "b" in p]

    def prefix(k):
        def f(h):
            for W, b in zip(Ws[:k], bs[:k]):
                h = JAX_ACT[activation](h @ W + b)
            return h
        return f

    ref = np.array([np.asarray(jax.jacfwd(prefix(k))(x)).T for k in range(6)])
    np.testing.assert_allclose(ours.jacobians, ref, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(ours.mean_sq, (ref**2).sum(axis=(1, 2)) / 7, rtol=1e-10)
    np.testing.assert_allclose(ours.singular_values, np.linalg.svd(ref, compute_uv=False), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "softplus"])
def test_mean_field_matches_quad(activation):
    sw, sb, q0 = 1.4, 0.3, 0.8
    mf = dynamics.mean_field(activation, sw, 6, bias_std=sb, q0=q0, n_quad=300)
    q, chis, qs = sw**2 * q0 + sb**2, [], []
    for _ in range(6):
        qs.append(q)
        E = lambda f, v: integrate.quad(lambda z: f(z) * norm.pdf(z, scale=np.sqrt(v)), -np.inf, np.inf,  # noqa: E731
                                        epsabs=1e-13)[0]
        chis.append(sw**2 * E(lambda z: NP_DER[activation](z) ** 2, q))
        q = sw**2 * E(lambda z: NP_ACT[activation](z) ** 2, q) + sb**2
    np.testing.assert_allclose(mf.q, qs, rtol=1e-9)
    np.testing.assert_allclose(mf.chi, chis, rtol=1e-9)
    np.testing.assert_allclose(mf.gain, np.concatenate([[1], np.cumprod(chis)]), rtol=1e-9)


def test_mean_field_closed_forms():
    relu = dynamics.mean_field("relu", 1.7, 4, q0=2.0)
    np.testing.assert_allclose(relu.chi, 1.7**2 / 2, rtol=1e-12)
    np.testing.assert_allclose(relu.q, 1.7**2 * 2.0 * (1.7**2 / 2) ** np.arange(4), rtol=1e-12)
    np.testing.assert_allclose(dynamics.mean_field("linear", 0.9, 5).gain, 0.81 ** np.arange(6), rtol=1e-12)


def test_orthogonal_weights():
    _, params = dynamics.random_mlp(3, 9, "tanh", 0.7, 0, orthogonal=True)
    for p in params:
        if "W" in p:
            np.testing.assert_allclose(p["W"].T @ p["W"], 0.49 * np.eye(9), atol=1e-12)


def test_bad_inputs():
    with pytest.raises(ValueError, match="hessian"):
        dynamics.linearized_gd([[1.0, 2.0], [0.0, 1.0]], 0.1)
    with pytest.raises(ValueError, match="learning_rate"):
        dynamics.linearized_gd(np.eye(2), 0.0)
    with pytest.raises(ValueError, match="activation"):
        dynamics.random_mlp(2, 3, "cosine", 1.0, 0)
    with pytest.raises(ValueError, match="n_quad"):
        dynamics.mean_field("tanh", 1.0, 3, n_quad=7)
    model, params = dynamics.random_mlp(2, 3, "tanh", 1.0, 0)
    with pytest.raises(ValueError, match="x"):
        dynamics.jacobians_through_depth(model, params, np.ones(4))

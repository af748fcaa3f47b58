"""InfoNCE, NT-Xent and the embedding diagnostics against JAX/optax and direct loops."""

import numpy as np
import pytest

from mlsheet_utils.algorithms.nn import contrastive as cl

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
optax = pytest.importorskip("optax")
jax.config.update("jax_enable_x64", True)


def _unit(a):
    return a / jnp.linalg.norm(a, axis=1, keepdims=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("normalize", [True, False])
def test_info_nce_matches_optax_and_jax_grad(seed, normalize):
    g = np.random.default_rng(seed)
    n, d, tau = 3 + seed * 2, 4, 0.1 + 0.3 * seed
    z1, z2 = g.standard_normal((n, d)), g.standard_normal((n, d))

    def ref(a, b):
        if normalize:
            a, b = _unit(a), _unit(b)
        return optax.losses.softmax_cross_entropy_with_integer_labels(a @ b.T / tau, jnp.arange(n)).mean()

    res = cl.info_nce(z1, z2, tau, normalize=normalize)
    g1, g2 = jax.grad(ref, argnums=(0, 1))(z1, z2)
    np.testing.assert_allclose(res.loss, float(ref(z1, z2)), rtol=1e-12)
    np.testing.assert_allclose(res.grad_z1, g1, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res.grad_z2, g2, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_nt_xent_matches_jax(seed):
    g = np.random.default_rng(seed)
    n, tau = 5, 0.5
    z1, z2 = g.standard_normal((n, 3)), g.standard_normal((n, 3))

    def ref(a, b):
        z = _unit(jnp.vstack([a, b]))
        s = jnp.where(jnp.eye(2 * n, dtype=bool), -jnp.inf, z @ z.T / tau)
        return optax.losses.softmax_cross_entropy_with_integer_labels(s, (jnp.arange(2 * n) + n) % (2 * n)).mean()

    res = cl.nt_xent(z1, z2, tau)
    g1, g2 = jax.grad(ref, argnums=(0, 1))(z1, z2)
    np.testing.assert_allclose(res.loss, float(ref(z1, z2)), rtol=1e-12)
    np.testing.assert_allclose(res.grad_z1, g1, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res.grad_z2, g2, rtol=1e-9, atol=1e-12)


def test_info_nce_logits_and_bound():
    s = np.random.default_rng(3).standard_normal((6, 6))
    res = cl.info_nce_logits(s)
    ref = optax.losses.softmax_cross_entropy_with_integer_labels(s, np.arange(6)).mean()
    np.testing.assert_allclose(res.loss, float(ref), rtol=1e-12)
    assert cl.info_nce_logits(np.zeros((7, 7))).loss == pytest.approx(np.log(7))
    assert cl.mi_lower_bound(np.log(7), 7) == pytest.approx(0.0)


def test_normalize_backward_matches_vjp():
    g = np.random.default_rng(4)
    z, up = g.standard_normal((4, 3)), g.standard_normal((4, 3))
    _, vjp = jax.vjp(_unit, z)
    np.testing.assert_allclose(cl.l2_normalize_backward(up, z), vjp(up)[0], rtol=1e-10, atol=1e-13)


def test_alignment_uniformity_and_weights_by_loops():
    g = np.random.default_rng(5)
    a, b = g.standard_normal((5, 3)), g.standard_normal((5, 3))
    ua, ub = [x / np.linalg.norm(x, axis=1, keepdims=True) for x in (a, b)]
    assert cl.alignment(a, b) == pytest.approx(np.mean([np.sum((ua[i] - ub[i]) ** 2) for i in range(5)]))
    pairs = [np.exp(-2 * np.sum((ua[i] - ua[j]) ** 2)) for i in range(5) for j in range(i + 1, 5)]
    assert cl.uniformity(a) == pytest.approx(np.log(np.mean(pairs)))
    s = np.array([0.3, -0.2, 0.9])
    np.testing.assert_allclose(cl.negative_weights(s, 0.5), np.exp(s / 0.5) / np.exp(s / 0.5).sum(), rtol=1e-12)


def test_gaussian_critic_is_the_log_density_ratio():
    from scipy.stats import norm
    x, y = cl.gaussian_pairs(4, 0.6, 1, rng=0)
    ref = norm.logpdf(y[None, :, 0], 0.6 * x[:, None, 0], np.sqrt(1 - 0.36)) - norm.logpdf(y[None, :, 0])
    np.testing.assert_allclose(cl.gaussian_critic_logits(x, y, 0.6), ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda: cl.info_nce(np.ones((3, 2)), np.ones((4, 2))), "z2"),
    (lambda: cl.info_nce(np.ones((3, 2)), np.ones((3, 2)), 0.0), "temperature"),
    (lambda: cl.info_nce(np.zeros((3, 2)), np.ones((3, 2))), "zero row"),
    (lambda: cl.info_nce_logits(np.ones((2, 3))), "logits"),
    (lambda: cl.uniformity(np.ones((1, 2))), "z"),
    (lambda: cl.negative_weights([], 1.0), "similarities"),
    (lambda: cl.gaussian_pairs(3, 1.0), "rho"),
    (lambda: cl.mi_lower_bound(-1.0, 3), "loss"),
])
def test_bad_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_gaussian_bound_estimate_by_hand():
    from scipy.special import logsumexp
    from scipy.stats import norm
    n, rho, reps = 5, 0.7, 3
    est = cl.gaussian_bound_estimate(n, rho, 1, reps, rng=9)
    g, vals = np.random.default_rng(9), []
    for _ in range(reps):
        x = g.standard_normal((n, 1))[:, 0]
        y = rho * x + np.sqrt(1 - rho**2) * g.standard_normal((n, 1))[:, 0]
        s = norm.logpdf(y[None, :], rho * x[:, None], np.sqrt(1 - rho**2)) - norm.logpdf(y[None, :])
        vals.append(np.log(n) + np.mean(np.diag(s) - logsumexp(s, axis=1)))
    assert est.mean == pytest.approx(np.mean(vals), rel=1e-12)
    assert est.se == pytest.approx(np.std(vals, ddof=1) / np.sqrt(reps), rel=1e-10)
    assert est.true_mi == pytest.approx(-0.5 * np.log(1 - rho**2))
    with pytest.raises(ValueError, match="n_batches"):
        cl.gaussian_bound_estimate(3, 0.5, n_batches=1)

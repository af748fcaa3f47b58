"""Autoencoders and VAEs against independent references: scikit-learn PCA, SciPy quadrature and densities, JAX."""

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA

from mlsheet_utils.algorithms.nn import autoencoder as ae
from mlsheet_utils.algorithms.nn import schedules
from mlsheet_utils.algorithms.nn.layers import Linear, Sequential
from mlsheet_utils.algorithms.nn.optimizers import Adam


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linear_autoencoder_spans_the_pca_subspace(seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((120, 4)) @ (rng.standard_normal((4, 4)) * np.array([3.0, 1.5, 0.3, 0.1])[:, None])
    X = (X - X.mean(axis=0)) / X.std()
    opt = schedules.Scheduled(Adam(), schedules.cosine_annealing(np.arange(2000), 0.05, 1e-4, 2000))
    fit = ae.fit_autoencoder(X, 2, activation=None, epochs=2000, batch_size=len(X), optimizer=opt, rng=seed)
    pca = PCA(2).fit(X)
    assert subspace_angles(fit.decoder_params[-1]["W"].T, pca.components_.T).max() < 1e-2
    pca_mse = np.mean((pca.inverse_transform(pca.transform(X)) - X) ** 2)
    assert pca_mse <= np.mean((fit.reconstruct(X) - X) ** 2) < pca_mse * (1 + 1e-2)


def test_estimator_wraps_the_fit():
    X = np.random.default_rng(0).standard_normal((40, 3))
    model = ae.Autoencoder(2, hidden=(4,), epochs=3, batch_size=10, rng=0).fit(X)
    assert model.transform(X).shape == (40, 2)
    np.testing.assert_allclose(model.predict(X), model.inverse_transform(model.transform(X)))
    assert model.loss_.shape == (3,)
    with pytest.raises(ValueError, match="not fitted"):
        ae.Autoencoder(2).transform(X)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kl_standard_normal_matches_quadrature(seed):
    rng = np.random.default_rng(seed)
    mu, log_var = rng.normal(size=3), rng.normal(size=3)
    ref = sum(integrate.quad(lambda t, m=m, s=s: stats.norm.pdf(t, m, s)
                             * (stats.norm.logpdf(t, m, s) - stats.norm.logpdf(t)), -40, 40)[0]
              for m, s in zip(mu, np.exp(log_var / 2)))
    np.testing.assert_allclose(ae.kl_standard_normal(mu, log_var), ref, rtol=1e-8)


def test_negative_elbo_terms_match_scipy_densities():
    rng = np.random.default_rng(3)
    x, x_hat = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    mu, log_var = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    nll, kl = ae.NegativeELBO(obs_var=0.4).terms(np.hstack([x_hat, mu, log_var]), x)
    np.testing.assert_allclose(nll, -stats.norm.logpdf(x, x_hat, np.sqrt(0.4)).sum(axis=1), rtol=1e-12)
    assert kl.shape == (5,) and np.all(kl >= 0)


@pytest.mark.parametrize("seed", [0, 1])
def test_vae_gradients_match_jax(seed):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    jax.config.update("jax_enable_x64", True)
    model = ae.VAE(ae.mlp((3, 5, 4)), ae.mlp((2, 5, 3)), n_latent=2)
    loss = ae.NegativeELBO(beta=1.3, obs_var=0.2)
    params = model.init_params(seed)
    X = np.random.default_rng(seed).normal(size=(7, 3))
    pred, cache = model.forward(X, params, rng=seed + 10)
    value, lc = loss.forward(pred, X)
    _, grads = model.backward(loss.backward(lc), cache)

    def f(p, e):
        h = jnp.tanh(X @ p["encoder"][0]["W"] + p["encoder"][0]["b"]) @ p["encoder"][2]["W"] + p["encoder"][2]["b"]
        m, lv = h[:, :2], h[:, 2:]
        z = m + jnp.exp(lv / 2) * e
        xh = jnp.tanh(z @ p["decoder"][0]["W"] + p["decoder"][0]["b"]) @ p["decoder"][2]["W"] + p["decoder"][2]["b"]
        nll = jnp.sum((X - xh) ** 2, axis=1) / 0.4 + 1.5 * jnp.log(2 * jnp.pi * 0.2)
        return jnp.mean(nll + 1.3 * 0.5 * jnp.sum(jnp.exp(lv) + m**2 - 1 - lv, axis=1))

    ref_value, ref_grads = jax.value_and_grad(f)(params, cache["eps"])
    np.testing.assert_allclose(value, float(ref_value), rtol=1e-10)
    for half in ("encoder", "decoder"):
        for ours, ref in zip(grads[half], ref_grads[half]):
            for k in ours:
                np.testing.assert_allclose(ours[k], np.asarray(ref[k]), rtol=1e-9, atol=1e-12)


def test_linear_vae_elbo_is_log_evidence_at_the_exact_posterior():
    W, b, s2 = np.array([[1.2, 0.5]]), np.array([0.1, -0.3]), 0.3
    x = np.array([[0.7, 0.2]])
    post_var = 1 / (1 + (W @ W.T)[0, 0] / s2)
    gain = post_var * W[0] / s2
    model = ae.VAE(Sequential(Linear(2, 2)), Sequential(Linear(1, 2)), n_latent=1)
    params = {"encoder": [{"W": np.column_stack([gain, [0, 0]]), "b": np.array([-gain @ b, np.log(post_var)])}],
              "decoder": [{"W": W, "b": b}]}
    n = 20000
    pred, _ = model.forward(np.repeat(x, n, axis=0), params, rng=0)
    nll, kl = ae.NegativeELBO(obs_var=s2).terms(pred, np.repeat(x, n, axis=0))
    draws = -(nll + kl)
    log_px = stats.multivariate_normal(b, W.T @ W + s2 * np.eye(2)).logpdf(x[0])
    assert abs(draws.mean() - log_px) < 5 * draws.std() / np.sqrt(n)


def test_fit_vae_lowers_the_loss():
    X = np.random.default_rng(1).normal(size=(60, 2))
    fit = ae.fit_vae(X, 1, hidden=(8,), epochs=30, batch_size=20, rng=0)
    mu, log_var = fit.encode(X)
    assert mu.shape == log_var.shape == (60, 1) and fit.decode(mu).shape == (60, 2)
    assert fit.loss[-1] < fit.loss[0]


def test_bad_inputs_raise():
    X = np.zeros((10, 3))
    with pytest.raises(ValueError, match="n_latent"):
        ae.fit_autoencoder(X, 0)
    with pytest.raises(ValueError, match="corruption"):
        ae.fit_autoencoder(X, 2, corruption=1.0)
    with pytest.raises(ValueError, match="log_var"):
        ae.kl_standard_normal(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="beta"):
        ae.NegativeELBO(beta=-1.0)
    with pytest.raises(ValueError, match="obs_var"):
        ae.NegativeELBO(obs_var=0.0)
    vae = ae.VAE(ae.mlp((3, 4)), ae.mlp((2, 3)), n_latent=2)
    with pytest.raises(ValueError, match="rng"):
        vae.forward(X, vae.init_params(0))
    with pytest.raises(ValueError, match="pred"):
        ae.NegativeELBO().forward(np.zeros((10, 4)), X)
    with pytest.raises(ValueError, match="sizes"):
        ae.mlp((3,))

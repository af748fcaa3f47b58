"""The VAE's negative ELBO gradient (forward and backward through the reparameterised draw) against jax.grad."""

import numpy as np

from mlsheet_utils.algorithms.nn import autoencoder as ae
from mlsheet_utils.tools.speed import SpeedPair

_MODEL = ae.VAE(ae.mlp((8, 32, 4)), ae.mlp((2, 32, 8)), n_latent=2)
_LOSS = ae.NegativeELBO(beta=1.0, obs_var=0.5)


def make_args(n):
    return _MODEL.init_params(425), np.random.default_rng(425).standard_normal((n, 8)), 7


def _ours(params, X, seed):
    """Gradient of the first encoder weight; ``seed`` draws epsilon (the VAE's only draw)."""
    pred, cache = _MODEL._forward(X, params, np.random.default_rng(seed), True)
    _, loss_cache = _LOSS._forward(pred, X)
    _, grads = _MODEL._backward(_LOSS._backward(loss_cache), cache)
    return grads["encoder"][0]["W"]


def _jax(params, X, seed):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    eps = np.random.default_rng(seed).standard_normal((len(X), 2))

    def loss(p):
        h = jnp.tanh(X @ p["encoder"][0]["W"] + p["encoder"][0]["b"]) @ p["encoder"][2]["W"] + p["encoder"][2]["b"]
        m, lv = h[:, :2], h[:, 2:]
        z = m + jnp.exp(lv / 2) * eps
        xh = jnp.tanh(z @ p["decoder"][0]["W"] + p["decoder"][0]["b"]) @ p["decoder"][2]["W"] + p["decoder"][2]["b"]
        nll = jnp.sum((X - xh) ** 2, axis=1) + 4 * jnp.log(jnp.pi)          # s^2 = 1/2, d = 8
        return jnp.mean(nll + 0.5 * jnp.sum(jnp.exp(lv) + m**2 - 1 - lv, axis=1))

    return np.asarray(jax.grad(loss)(params)["encoder"][0]["W"])


PAIRS = [
    SpeedPair("4.25", "VAE negative-ELBO gradient (8-32-4 / 2-32-8 MLPs) vs jax.grad", _ours, _jax, make_args,
              small=64, large=4096),
]

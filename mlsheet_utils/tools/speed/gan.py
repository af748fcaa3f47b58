"""GAN player gradients against jax.grad of the same MLPs and binary cross-entropy (optax)."""

import numpy as np

from mlsheet_utils.algorithms.nn import gan
from mlsheet_utils.tools.speed import SpeedPair

_DISC = gan.mlp(2, 1, 32)


def make_args(n):
    g = np.random.default_rng(429)
    return _DISC.init_params(g), g.standard_normal((n, 2)), g.standard_normal((n, 2)) + 1.0


def _flat(tree):
    if isinstance(tree, dict):
        return np.concatenate([_flat(tree[k]) for k in sorted(tree)] or [np.empty(0)])
    if isinstance(tree, (list, tuple)):
        return np.concatenate([_flat(t) for t in tree] or [np.empty(0)])
    return np.ravel(np.asarray(tree))


def _jax_discriminator_grads(params, x_real, x_fake):
    import jax
    import optax

    jax.config.update("jax_enable_x64", True)

    def net(p, x):
        for layer in p:
            x = x @ layer["W"] + layer["b"] if layer else jax.nn.leaky_relu(x, 0.01)
        return x

    def loss(p):
        return (optax.sigmoid_binary_cross_entropy(net(p, x_real), 1.0).mean()
                + optax.sigmoid_binary_cross_entropy(net(p, x_fake), 0.0).mean())

    return jax.grad(loss)(params)


PAIRS = [
    SpeedPair("4.29", "GAN discriminator gradients vs jax.grad of optax binary cross-entropy",
              lambda p, xr, xf: gan.discriminator_grads(_DISC, p, xr, xf).grads,
              _jax_discriminator_grads, make_args, small=64, large=8192, to_array=_flat),
]

"""Contrastive losses against optax (JAX) with the gradients."""

import numpy as np

from mlsheet_utils.algorithms.nn import contrastive as cl
from mlsheet_utils.tools.speed import SpeedPair


def make_args(n):
    g = np.random.default_rng(421)
    z1 = g.standard_normal((n, 32))
    return z1, z1 + 0.5 * g.standard_normal((n, 32))


def _optax_info_nce(z1, z2):
    import jax
    import jax.numpy as jnp
    import optax

    jax.config.update("jax_enable_x64", True)

    def loss(a, b):
        a = a / jnp.linalg.norm(a, axis=1, keepdims=True)
        b = b / jnp.linalg.norm(b, axis=1, keepdims=True)
        return optax.losses.softmax_cross_entropy_with_integer_labels(a @ b.T / 0.1, jnp.arange(a.shape[0])).mean()

    return jax.grad(loss, argnums=(0, 1))(z1, z2)


PAIRS = [
    SpeedPair("4.21", "InfoNCE loss and gradients vs jax.grad of optax cross-entropy",
              lambda z1, z2: cl.info_nce(z1, z2, 0.1).grad_z1,
              lambda z1, z2: _optax_info_nce(z1, z2)[0],
              make_args, small=16, large=2048),
]

"""MoCo's loss (K + 1 logits) and its query gradient against jax.grad of optax's cross-entropy."""

import numpy as np

from mlsheet_utils.algorithms.nn import contrastive as cl
from mlsheet_utils.algorithms.nn import selfsupervised as ss
from mlsheet_utils.tools.speed import SpeedPair

TEMPERATURE = 0.07


def make_args(n):
    """A batch of 32 queries, their keys, and a queue of ``n`` unit negatives in 64 dimensions."""
    g = np.random.default_rng(4214)
    q = g.standard_normal((32, 64))
    return q, q + 0.5 * g.standard_normal((32, 64)), cl.l2_normalize(g.standard_normal((n, 64)))


def _optax_moco_grad(q, k, negatives):
    import jax
    import jax.numpy as jnp
    import optax

    jax.config.update("jax_enable_x64", True)
    u_k = k / np.linalg.norm(k, axis=1, keepdims=True)

    def loss(q):
        u_q = q / jnp.linalg.norm(q, axis=1, keepdims=True)
        logits = jnp.hstack([(u_q * u_k).sum(1, keepdims=True), u_q @ negatives.T]) / TEMPERATURE
        return optax.losses.softmax_cross_entropy_with_integer_labels(logits, jnp.zeros(q.shape[0], dtype=int)).mean()

    return jax.grad(loss)(q)


PAIRS = [
    SpeedPair("4.21.4", "MoCo loss and query gradient vs jax.grad of optax cross-entropy",
              lambda q, k, negs: ss.moco_loss(q, k, negs, TEMPERATURE).grad_q,
              _optax_moco_grad, make_args, small=64, large=16384),
]

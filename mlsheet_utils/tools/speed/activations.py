"""Activations and their derivatives against jax.nn and jax.grad (float64, compiled once per shape)."""

import numpy as np

from mlsheet_utils.algorithms.nn import functional as F
from mlsheet_utils.tools.speed import SpeedPair


def activation_args(n):
    """A seeded vector of n standard normal inputs (scaled by 3, so both tails are visited)."""
    return (3.0 * np.random.default_rng(n).standard_normal(n),)


def _jax_pair(name):
    """Value and derivative of jax.nn.<name>, jitted; returned as one NumPy array [f(x), f'(x)]."""
    import jax

    jax.config.update("jax_enable_x64", True)
    f = getattr(jax.nn, name)
    both = jax.jit(lambda x: jax.numpy.concatenate([f(x), jax.vmap(jax.grad(f))(x)]))
    return lambda x: np.asarray(both(x))


def _ours_pair(f, df):
    return lambda x: np.concatenate([f(x), df(x)])


PAIRS = [
    SpeedPair("4.9", f"{label} and derivative vs jax.nn.{jax_name} + jax.grad", _ours_pair(f, df),
              _jax_pair(jax_name), activation_args, small=207, large=1_000_000)
    for label, f, df, jax_name in [
        ("ELU", F.elu, F.elu_derivative, "elu"),
        ("SELU", F.selu, F.selu_derivative, "selu"),
        ("Swish (SiLU)", F.swish, F.swish_derivative, "silu"),
        ("Mish", F.mish, F.mish_derivative, "mish"),
    ]
]

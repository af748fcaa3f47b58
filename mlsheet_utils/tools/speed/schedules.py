"""Learning-rate schedules evaluated over a whole run against optax (JAX, float64)."""

import numpy as np

from mlsheet_utils.algorithms.nn import schedules
from mlsheet_utils.tools.speed import SpeedPair


def steps_args(n):
    """The step counts ``0 .. n - 1`` of a run of ``n`` updates."""
    return (np.arange(n),)


def _optax_warmup_cosine(steps):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import optax

    total = len(steps)
    schedule = optax.warmup_cosine_decay_schedule(0.0, 0.1, total // 10, total, 1e-4)
    return np.asarray(jax.vmap(schedule)(jnp.asarray(steps, dtype=jnp.float64)))


PAIRS = [
    SpeedPair("4.13", "warm-up + cosine schedule vs optax.warmup_cosine_decay_schedule",
              lambda steps: schedules.warmup_cosine(steps, 0.1, len(steps) // 10, len(steps), end=1e-4),
              _optax_warmup_cosine, steps_args, small=400, large=1_000_000),
]

"""First-order optimisers along a whole trajectory against optax (JAX, float64)."""

import numpy as np

from mlsheet_utils.algorithms import optim_paths
from mlsheet_utils.algorithms.nn import optimizers
from mlsheet_utils.tools.speed import SpeedPair

_ROSENBROCK = optim_paths.landscape("rosenbrock")


def path_args(n):
    """A seeded start in the Rosenbrock box and the number of steps ``n``."""
    return np.random.default_rng(n).uniform([-2.0, -1.0], [2.0, 3.0]), n


def _ours(opt):
    return lambda x0, steps: optim_paths.run_optimizer(opt, lambda x, t: _ROSENBROCK.grad(x), x0, steps).params[-1]


def _optax(make):
    """The same run with an optax transformation (``make(optax)``), one jitted update per step."""
    def run(x0, steps):
        import jax

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
        import optax

        tx = make(optax)

        @jax.jit
        def step(p, state):
            g = jnp.stack([-2 * (1 - p[0]) - 400 * p[0] * (p[1] - p[0] ** 2), 200 * (p[1] - p[0] ** 2)])
            updates, state = tx.update(g, state, p)
            return optax.apply_updates(p, updates), state

        p = jnp.asarray(x0)
        state = tx.init(p)
        for _ in range(steps):
            p, state = step(p, state)
        return np.asarray(p)
    return run


PAIRS = [
    SpeedPair("4.3", "Adam path on Rosenbrock vs optax.adam",
              _ours(optimizers.Adam(0.01)), _optax(lambda optax: optax.adam(0.01)), path_args,
              small=60, large=2000),
    SpeedPair("4.14", "AdaGrad path on Rosenbrock vs optax.adagrad (eps inside, G0 = 0.1)",
              _ours(optimizers.AdaGrad(0.1, eps=1e-7, initial_accumulator=0.1, eps_inside_sqrt=True)),
              _optax(lambda optax: optax.adagrad(0.1, initial_accumulator_value=0.1, eps=1e-7)), path_args,
              small=80, large=2000),
]

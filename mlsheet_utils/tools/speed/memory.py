"""Memory-saving gradients against the plain backward pass they must reproduce."""

import numpy as np

from mlsheet_utils.algorithms.nn import layers, losses, memory
from mlsheet_utils.tools.speed import SpeedPair

_MSE = losses.MeanSquaredError()


def _flat(grads):
    """A tree of gradients (dicts and lists) as one vector, leaves in a fixed order."""
    if isinstance(grads, dict):
        return np.concatenate([_flat(grads[k]) for k in sorted(grads)]) if grads else np.zeros(0)
    if isinstance(grads, (list, tuple)):
        parts = [_flat(g) for g in grads]
        return np.concatenate(parts) if parts else np.zeros(0)
    return np.ravel(grads)


def _plain(model, params, X, y):
    out, cache = model.forward(X, params)
    return _flat(model.backward(_MSE.backward(_MSE.forward(out, y)[1]), cache)[1])


def accumulation_args(n):
    """A 2-16-16-1 tanh MLP, n seeded examples, micro-batches of a quarter of them."""
    g = np.random.default_rng(n)
    model = layers.Sequential(layers.Linear(2, 16), layers.Activation("tanh"), layers.Linear(16, 16),
                              layers.Activation("tanh"), layers.Linear(16, 1))
    return model, model.init_params(g), g.standard_normal((n, 2)), g.standard_normal((n, 1)), max(1, n // 4)


def checkpoint_args(n):
    """A chain of n Linear(8, 8) + tanh blocks on a batch of 4, and the sqrt(n) segment length."""
    g = np.random.default_rng(n)
    model = layers.Sequential(*[layers.Sequential(layers.Linear(8, 8), layers.Activation("tanh"))
                                for _ in range(n)])
    return model, model.init_params(g), g.standard_normal((4, 8)), g.standard_normal((4, 8)), memory.sqrt_schedule(n)


PAIRS = [
    SpeedPair("4.5", "accumulated gradient (4 micro-batches) vs one full-batch backward pass",
              lambda m, p, X, y, B: _flat(memory.accumulate_gradients(m, p, _MSE, X, y, micro_batch_size=B).grads),
              lambda m, p, X, y, B: _plain(m, p, X, y), accumulation_args, small=48, large=20_000),
    SpeedPair("4.6", "checkpointed backward (sqrt schedule) vs plain backward",
              lambda m, p, X, y, k: _flat(memory.checkpointed_gradients(m, p, _MSE, X, y, every=k).grads),
              lambda m, p, X, y, k: _plain(m, p, X, y), checkpoint_args, small=16, large=400),
]

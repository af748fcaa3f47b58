r"""A minimal training loop: shuffled minibatches, forward, loss, backward, optimiser step.

- :func:`minibatches`: one epoch's shuffled index batches;
- :func:`fit`: ``epochs`` passes over the data, returning the trained parameters and a :class:`History` of the
  per-epoch mean loss (and metric).

Everything random (the shuffling, the dropout masks) comes from one ``rng``, so a seed gives the same run.
The inputs are checked once, before the loop; inside it the layers', loss's and optimiser's unchecked
``_forward``/``_backward``/``_update`` run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from mlsheet_utils.algorithms.nn.layers import Layer
from mlsheet_utils.algorithms.nn.losses import Loss
from mlsheet_utils.algorithms.nn.optimizers import Optimizer
from mlsheet_utils.validation import check_int, check_random_state

__all__ = ["History", "fit", "minibatches"]


@dataclass(frozen=True)
class History:
    """Per-epoch record of a :func:`fit` run.

    Attributes
    ----------
    loss : numpy.ndarray, shape (epochs,)
        Mean training loss of each epoch, over its minibatches weighted by their sizes (measured during the
        epoch, with the parameters of the moment).
    metric : numpy.ndarray, shape (epochs,), or None
        The same mean of ``metric(pred, target)``, when a metric was given.
    """

    loss: np.ndarray
    metric: np.ndarray | None = None


def _minibatches(n: int, batch_size: int, rng: np.random.Generator, shuffle: bool) -> list[np.ndarray]:
    order = rng.permutation(n) if shuffle else np.arange(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def minibatches(n: int, batch_size: int, rng, *, shuffle: bool = True) -> list[np.ndarray]:
    """Index arrays covering ``0 .. n - 1`` once, in batches of ``batch_size`` (the last may be smaller).

    Parameters
    ----------
    n : int >= 1
        Number of examples.
    batch_size : int >= 1
    rng : int or numpy.random.Generator
        Draws the permutation.
    shuffle : bool
        Permute first (else the batches are in order).

    Returns
    -------
    list of numpy.ndarray of int
    """
    n = check_int(n, "n", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    return _minibatches(n, batch_size, check_random_state(rng), bool(shuffle))


def fit(model: Layer, params, loss: Loss, optimizer: Optimizer, X, y, *, epochs: int, batch_size: int, rng,
        metric: Callable | None = None):
    r"""Train ``model`` by minibatch gradient descent.

    For each epoch, for each shuffled minibatch :math:`B`:
    :math:`\hat y = f(X_B; \theta)`, :math:`\ell = L(\hat y, y_B)`, :math:`g = \nabla_\theta \ell` by the layers'
    backward passes, :math:`\theta \leftarrow \text{optimizer}(g, \theta)`.

    Parameters
    ----------
    model : Layer
        Usually a :class:`~mlsheet_utils.algorithms.nn.layers.Sequential`.
    params : the model's parameters (from ``model.init_params``)
    loss : Loss
    optimizer : Optimizer
    X : array_like, shape (n, ...)
        Inputs, examples on the first axis (integer ids for an embedding model).
    y : array_like, shape (n, ...)
        Targets, as ``loss`` expects them.
    epochs, batch_size : int >= 1
    rng : int or numpy.random.Generator
        Shuffling and dropout.
    metric : callable ``metric(pred, target) -> float``, optional
        Recorded per epoch like the loss (e.g. accuracy).

    Returns
    -------
    params
        The trained parameters (new arrays; the given ones are not modified).
    History
    """
    if not isinstance(model, Layer):
        raise ValueError(f"model must be a Layer, got {type(model).__name__}")
    if not isinstance(loss, Loss):
        raise ValueError(f"loss must be a Loss, got {type(loss).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be an Optimizer, got {type(optimizer).__name__}")
    if metric is not None and not callable(metric):
        raise ValueError(f"metric must be callable, got {type(metric).__name__}")
    epochs = check_int(epochs, "epochs", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    X = model.check_input(X)
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(f"X and y must have the same number of examples on their first axis, got shapes "
                         f"{X.shape} and {y.shape}")
    params = model.check_params(params)
    rng = check_random_state(rng)
    # one checked pass on a small batch, so a shape mismatch is reported here and not from inside the loop
    pred, _ = model.forward(X[:batch_size], params, rng=0)
    loss.forward(pred, y[:batch_size])

    state = optimizer.init(params)
    n = len(X)
    losses, metrics = np.empty(epochs), np.empty(epochs)
    for epoch in range(epochs):
        total = total_metric = 0.0
        for idx in _minibatches(n, batch_size, rng, True):
            pred, cache = model._forward(X[idx], params, rng, True)
            value, loss_cache = loss._forward(pred, y[idx])
            _, grads = model._backward(loss._backward(loss_cache), cache)
            params, state = optimizer._update(grads, state, params)
            total += value * len(idx)
            if metric is not None:
                total_metric += float(metric(pred, y[idx])) * len(idx)
        losses[epoch], metrics[epoch] = total / n, total_metric / n
    return params, History(losses, metrics if metric is not None else None)

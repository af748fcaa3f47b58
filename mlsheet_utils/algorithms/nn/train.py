r"""A minimal training loop: shuffled minibatches, forward, loss, backward, optimiser step.

- :func:`minibatches`: one epoch's shuffled index batches;
- :func:`fit`: ``epochs`` passes over the data, returning the trained parameters and a :class:`History` of the
  per-epoch mean loss (and metric);
- :func:`trajectory`: the same loop, keeping a snapshot of the parameters and the full-data loss every few
  updates (a :class:`Trajectory`), so batch (``batch_size = n``), minibatch and stochastic (``batch_size = 1``)
  gradient descent can be compared step by step; optional gradient clipping;
- :func:`clip_gradients`: clipping by value (each entry into :math:`[-c, c]`) or by global norm;
- :func:`per_example_gradients` and :func:`minibatch_noise`: the gradient of every example, flattened, and the
  exact mean squared error of a minibatch's average gradient (sampling without replacement).

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
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

__all__ = ["History", "Trajectory", "clip_gradients", "fit", "minibatch_noise", "minibatches",
           "per_example_gradients", "trajectory"]


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
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be an Optimizer, got {type(optimizer).__name__}")
    if metric is not None and not callable(metric):
        raise ValueError(f"metric must be callable, got {type(metric).__name__}")
    epochs = check_int(epochs, "epochs", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    X, y, params = _check_setup(model, params, loss, optimizer, X, y, batch_size)
    rng = check_random_state(rng)

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


def _check_setup(model, params, loss, optimizer, X, y, batch_size):
    """The checks :func:`fit`, :func:`trajectory` and :func:`per_example_gradients` share; returns the checked
    ``X``, ``y``, ``params``. One checked forward pass on a small batch reports a shape mismatch here, not from
    inside the training loop."""
    if not isinstance(model, Layer):
        raise ValueError(f"model must be a Layer, got {type(model).__name__}")
    if not isinstance(loss, Loss):
        raise ValueError(f"loss must be a Loss, got {type(loss).__name__}")
    if optimizer is not None and not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be an Optimizer, got {type(optimizer).__name__}")
    X = _checked_by(model.check_input, X, "X does not fit model")
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(f"X and y must have the same number of examples on their first axis, got shapes "
                         f"{X.shape} and {y.shape}")
    params = _checked_by(model.check_params, params, f"params do not fit model {model!r}")
    pred, _ = model.forward(X[:batch_size], params, rng=0)
    # every target, against copies of a real prediction row
    _checked_by(lambda t: loss.check(np.broadcast_to(pred[:1], (len(t),) + pred.shape[1:]), t), y,
                f"y does not fit loss {loss!r} (for the model's output)")
    loss.forward(pred, y[:batch_size])
    return X, y, params


def _checked_by(check: Callable, value, what: str):
    """``check(value)``, with a ``ValueError`` it raises reworded as ``"{what}: {its message}"``: ``what`` names
    the argument the check is about (a layer's ``check_input`` blames no argument by name)."""
    try:
        return check(value)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


# -- trees of arrays: flatten, norm, clip ---------------------------------------------------------------------

def _leaves(tree) -> list[np.ndarray]:
    """The arrays of a dict (sorted keys) / list tree, in a fixed order."""
    if isinstance(tree, dict):
        return [leaf for k in sorted(tree) for leaf in _leaves(tree[k])]
    if isinstance(tree, (list, tuple)):
        return [leaf for v in tree for leaf in _leaves(v)]
    return [np.asarray(tree)]


def _flatten(tree) -> np.ndarray:
    leaves = _leaves(tree)
    return np.concatenate([a.ravel() for a in leaves]) if leaves else np.zeros(0)


def _map(f, tree):
    if isinstance(tree, dict):
        return {k: _map(f, v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_map(f, v) for v in tree)
    return f(tree)


def _clip(grads, value: float | None, norm: float | None):
    if value is not None:
        grads = _map(lambda g: np.clip(g, -value, value), grads)
    if norm is not None:
        size = float(np.sqrt(sum(float(np.sum(g * g)) for g in _leaves(grads))))
        if size > norm:
            grads = _map(lambda g: g * (norm / size), grads)
    return grads


def clip_gradients(grads, *, value: float | None = None, norm: float | None = None):
    r"""Clip a tree of gradients by value, by global norm, or both (value first).

    .. math::
        \text{by value: } g_i \leftarrow \min(\max(g_i, -c), c), \qquad
        \text{by norm: } g \leftarrow g \cdot \min\Bigl(1, \frac{c}{\lVert g \rVert_2}\Bigr),

    the norm taken over every array of the tree together. Clipping by value changes the direction of
    :math:`g` as soon as one entry is clipped; clipping by norm only shortens it. (``optax.clip(c)`` and
    ``optax.clip_by_global_norm(c)`` compute the same.)

    Parameters
    ----------
    grads : array, dict of arrays, or list of dicts
    value, norm : float > 0, optional
        The thresholds :math:`c`; at least one must be given.

    Returns
    -------
    A tree shaped like ``grads`` (new arrays).
    """
    if value is None and norm is None:
        raise ValueError("clip_gradients needs value= or norm= (a positive threshold)")
    value = None if value is None else check_float(value, "value", low=0, low_open=True)
    norm = None if norm is None else check_float(norm, "norm", low=0, low_open=True)
    for leaf in _leaves(grads):
        as_array(leaf, "grads", empty=True)
        if not np.all(np.isfinite(np.asarray(leaf, dtype=float))):
            raise ValueError("grads contains NaN or infinite values")
    return _clip(_map(lambda g: np.asarray(g, dtype=float), grads), value, norm)


@dataclass(frozen=True)
class Trajectory:
    """Snapshots of a :func:`trajectory` run.

    Attributes
    ----------
    params : list
        The parameters at each snapshot; ``params[0]`` is the start.
    steps : numpy.ndarray of int, shape (n_snapshots,)
        Updates done at each snapshot.
    epochs : numpy.ndarray, shape (n_snapshots,)
        Examples used so far divided by ``n`` (passes over the data).
    loss : numpy.ndarray, shape (n_snapshots,)
        The loss on the whole data set at each snapshot (evaluation mode).
    batch_loss : numpy.ndarray, shape (n_updates,)
        The loss of each update's minibatch, before that update.
    """

    params: list
    steps: np.ndarray
    epochs: np.ndarray
    loss: np.ndarray
    batch_loss: np.ndarray


def trajectory(model: Layer, params, loss: Loss, optimizer: Optimizer, X, y, *, epochs: int, batch_size: int, rng,
               every: int = 1, clip_value: float | None = None, clip_norm: float | None = None) -> Trajectory:
    r"""Minibatch gradient descent, keeping the path: a snapshot every ``every`` updates.

    Each epoch shuffles the examples and cuts them into batches of ``batch_size`` (the last may be smaller);
    each batch :math:`B` gives one update with the gradient of its mean loss,

    .. math:: \hat g_B = \frac{1}{|B|}\sum_{i \in B} \nabla_\theta \ell_i(\theta), \qquad
              \theta \leftarrow \text{optimizer}(\hat g_B, \theta),

    so ``batch_size = n`` is batch gradient descent (one exact step per epoch), ``batch_size = 1`` stochastic
    gradient descent (``n`` noisy steps per epoch) and anything between minibatch gradient descent.

    Parameters
    ----------
    model, params, loss, optimizer, X, y, epochs, batch_size, rng
        As in :func:`fit`.
    every : int >= 1
        Snapshot interval in updates (the start and the end are always kept).
    clip_value, clip_norm : float > 0, optional
        Clip each minibatch gradient (see :func:`clip_gradients`) before the update.

    Returns
    -------
    Trajectory
        The full-data loss is evaluated at every snapshot, so keep ``every`` coarse on large data.
    """
    epochs = check_int(epochs, "epochs", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    every = check_int(every, "every", low=1)
    clip_value = None if clip_value is None else check_float(clip_value, "clip_value", low=0, low_open=True)
    clip_norm = None if clip_norm is None else check_float(clip_norm, "clip_norm", low=0, low_open=True)
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be an Optimizer, got {type(optimizer).__name__}")
    X, y, params = _check_setup(model, params, loss, optimizer, X, y, batch_size)
    rng = check_random_state(rng)
    n = len(X)

    def full_loss(p):
        with np.errstate(all="ignore"):
            value = loss._forward(model._forward(X, p, None, False)[0], y)[0]
        return value if np.isfinite(value) else np.inf

    state = optimizer.init(params)
    snaps, steps, seen, losses, batch_losses = [params], [0], [0], [full_loss(params)], []
    step = used = 0
    for _ in range(epochs):
        for idx in _minibatches(n, batch_size, rng, True):
            with np.errstate(all="ignore"):
                pred, cache = model._forward(X[idx], params, rng, True)
                value, loss_cache = loss._forward(pred, y[idx])
                _, grads = model._backward(loss._backward(loss_cache), cache)
                if clip_value is not None or clip_norm is not None:
                    grads = _clip(grads, clip_value, clip_norm)
                params, state = optimizer._update(grads, state, params)
            batch_losses.append(value)
            step, used = step + 1, used + len(idx)
            if step % every == 0:
                snaps.append(params)
                steps.append(step)
                seen.append(used)
                losses.append(full_loss(params))
    if steps[-1] != step:
        snaps.append(params)
        steps.append(step)
        seen.append(used)
        losses.append(full_loss(params))
    return Trajectory(snaps, np.array(steps), np.array(seen) / n, np.array(losses), np.array(batch_losses))


def per_example_gradients(model: Layer, params, loss: Loss, X, y) -> np.ndarray:
    r"""The gradient of every example's loss, flattened: row :math:`i` is :math:`\nabla_\theta \ell_i(\theta)`.

    For a loss that is a mean over examples, the mean of the rows is the full-batch gradient and the mean of
    any ``B`` rows is a minibatch gradient. The parameters are flattened array by array (a dict's keys sorted,
    a list in order), as in ``jax.flatten_util.ravel_pytree``.

    Parameters
    ----------
    model : Layer
    params : the model's parameters
    loss : Loss
    X, y : array_like, ``n`` examples on the first axis

    Returns
    -------
    numpy.ndarray, shape (n, n_params)
    """
    X, y, params = _check_setup(model, params, loss, None, X, y, 1)
    rows = []
    for i in range(len(X)):
        pred, cache = model._forward(X[i:i + 1], params, None, False)
        _, loss_cache = loss._forward(pred, y[i:i + 1])
        rows.append(_flatten(model._backward(loss._backward(loss_cache), cache)[1]))
    return np.array(rows)


def minibatch_noise(G, batch_size: int) -> float:
    r"""Exact mean squared error of a minibatch gradient drawn without replacement.

    With per-example gradients :math:`g_1, \dots, g_N` (rows of ``G``), their mean :math:`\bar g` and
    spread :math:`\sigma^2 = \frac1N \sum_i \lVert g_i - \bar g\rVert^2`, the average :math:`\hat g_B` of
    :math:`B` rows drawn uniformly without replacement has

    .. math:: \mathbb{E}\,\lVert \hat g_B - \bar g \rVert^2 = \frac{\sigma^2}{B}\,\frac{N - B}{N - 1},

    :math:`\sigma^2/B` for :math:`B \ll N` (with replacement it is exactly :math:`\sigma^2/B`), and 0 for the
    full batch.

    Parameters
    ----------
    G : array_like, shape (N, p), N >= 2
    batch_size : int in [1, N]

    Returns
    -------
    float
    """
    G = as_array(G, "G", ndim=2)
    if G.shape[0] < 2:
        raise ValueError(f"G needs at least 2 rows (examples), got {G.shape[0]}")
    N = G.shape[0]
    B = check_int(batch_size, "batch_size", low=1, high=N)
    sigma2 = float(np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1)))
    return sigma2 / B * (N - B) / (N - 1)

r"""Trading compute or batch size for memory: gradient accumulation and gradient checkpointing.

- :func:`accumulate_gradients`: the gradient of a batch computed micro-batch by micro-batch, each micro-batch's
  gradient added into one buffer with a chosen weight (by size, by count, or none); an :class:`Accumulation`
  with the gradients and the memory the backward pass held (floats in the layers' caches, at the peak);
- :func:`checkpointed_gradients`: backpropagation through a
  :class:`~mlsheet_utils.algorithms.nn.layers.Sequential` that keeps only the input of every ``every``-th
  layer in the forward pass and recomputes each segment's caches in the backward pass (replaying the random
  state, so dropout masks repeat); a :class:`Checkpointed` with the gradients and the counts (layer
  activations stored at the peak, layer evaluations and flops of the first forward and of the recomputation);
- :func:`checkpoint_cost`: the same counts in closed form (a :class:`CheckpointCost`);
- :func:`sqrt_schedule`: the segment length with the fewest stored activations, the one nearest
  :math:`\sqrt n` among ties;
- :func:`cache_floats`: the floats held by a forward cache, parameters and shared arrays counted once.

Both functions call the layers' and the loss's unchecked ``_forward``/``_backward`` (as the training loop does)
after one checked pass on the inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn import train
from mlsheet_utils.algorithms.nn.layers import Embedding, Layer, Linear, Sequential
from mlsheet_utils.algorithms.nn.losses import Loss
from mlsheet_utils.validation import check_int, check_random_state

__all__ = ["Accumulation", "CheckpointCost", "Checkpointed", "accumulate_gradients", "cache_floats",
           "checkpoint_cost", "checkpointed_gradients", "sqrt_schedule"]

SCALINGS = ("size", "count", "none")


# -- memory held by a cache ---------------------------------------------------------------------------------

def _arrays(tree, out: dict) -> None:
    if isinstance(tree, np.ndarray):
        out[id(tree)] = tree
    elif isinstance(tree, dict):
        for v in tree.values():
            _arrays(v, out)
    elif isinstance(tree, (list, tuple)):
        for v in tree:
            _arrays(v, out)


def cache_floats(cache, params=None) -> int:
    """Number of floats held by a forward ``cache``, each array once, the arrays of ``params`` left out.

    A layer's cache keeps what its backward pass needs (its input, a mask, normalised values); an array shared
    by two caches (the output of one layer is the input of the next) is counted once, and the weights a
    :class:`~mlsheet_utils.algorithms.nn.layers.Linear` cache refers to are parameters, not activations.

    Parameters
    ----------
    cache : dict, list, tuple or array
        What a layer's ``forward`` returned as its second value (any nesting).
    params : the layer's parameters, optional
        Arrays to leave out.

    Returns
    -------
    int
    """
    trees = (dict, list, tuple, np.ndarray)
    if not isinstance(cache, trees):
        raise ValueError(f"cache must be a dict, list, tuple or array (a forward cache), got {type(cache).__name__}")
    if params is not None and not isinstance(params, trees):
        raise ValueError(f"params must be a layer's parameters (a dict, list, tuple or array) or None, got "
                         f"{type(params).__name__}")
    held, skip = {}, {}
    _arrays(cache, held)
    _arrays(params, skip)
    return int(sum(a.size for k, a in held.items() if k not in skip))


# -- gradient accumulation ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Accumulation:
    r"""Result of :func:`accumulate_gradients`.

    Attributes
    ----------
    grads : tree shaped like ``params``
        The accumulated gradient :math:`\sum_j w_j g_j`.
    loss : float
        :math:`\sum_j w_j \ell_j`, the micro-batch losses with the same weights.
    sizes : numpy.ndarray of int, shape (N,)
        Examples in each micro-batch (the last may be smaller).
    weights : numpy.ndarray, shape (N,)
        :math:`w_j`: :math:`n_j/n`, :math:`1/N` or 1.
    activation_floats : int
        Peak over micro-batches of the floats the backward pass held (:func:`cache_floats`).
    buffer_floats : int
        Floats of the accumulation buffer (one per parameter).
    """

    grads: list
    loss: float
    sizes: np.ndarray
    weights: np.ndarray
    activation_floats: int
    buffer_floats: int


def _add_scaled(acc, tree, w):
    if isinstance(tree, dict):
        return {k: _add_scaled(None if acc is None else acc[k], v, w) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_add_scaled(None if acc is None else acc[i], v, w) for i, v in enumerate(tree))
    return w * tree if acc is None else acc + w * tree


def accumulate_gradients(model: Layer, params, loss: Loss, X, y, *, micro_batch_size: int, scaling: str = "size",
                         rng=None) -> Accumulation:
    r"""The gradient of a batch, computed one micro-batch at a time and added into one buffer.

    The batch of :math:`n` examples is cut, in order, into :math:`N = \lceil n/B \rceil` micro-batches of
    :math:`B` examples (the last has :math:`n - (N-1)B`). Each micro-batch :math:`j` gives the gradient
    :math:`g_j` of its own (mean) loss :math:`\ell_j`, and the buffer holds

    .. math:: G = \sum_{j=1}^{N} w_j\, g_j, \qquad
              w_j = \begin{cases} n_j / n & \text{scaling = "size"} \\ 1/N & \text{"count"} \\
              1 & \text{"none"} \end{cases}

    For a loss that is a mean of per-example terms and a model without cross-example coupling,
    ``"size"`` gives exactly the full-batch gradient :math:`\frac1n\sum_i \nabla\ell_i`; ``"count"`` too when
    every micro-batch has the same size; ``"none"`` (the plain sum) is :math:`N` times too large for equal
    sizes. With :class:`~mlsheet_utils.algorithms.nn.layers.BatchNorm` each micro-batch is normalised with its
    own statistics and no weighting recovers the full-batch gradient; dropout draws its masks in a different
    order, so the gradients agree only in distribution.

    Parameters
    ----------
    model : Layer
        Usually a :class:`~mlsheet_utils.algorithms.nn.layers.Sequential`; run in training mode.
    params : the model's parameters
    loss : Loss
        A mean over examples (all of :mod:`~mlsheet_utils.algorithms.nn.losses` are).
    X, y : array_like, ``n`` examples on the first axis
    micro_batch_size : int in [1, n]
        :math:`B`.
    scaling : {"size", "count", "none"}
    rng : int or numpy.random.Generator, optional
        Dropout masks (one stream through the micro-batches, in order); needed only with dropout.

    Returns
    -------
    Accumulation
    """
    if scaling not in SCALINGS:
        raise ValueError(f"scaling must be one of {SCALINGS}, got {scaling!r}")
    X, y, params = train._check_setup(model, params, loss, None, X, y, 1)
    n = len(X)
    B = check_int(micro_batch_size, "micro_batch_size", low=1, high=n)
    rng = None if rng is None else check_random_state(rng)
    starts = np.arange(0, n, B)
    sizes = np.minimum(starts + B, n) - starts
    N = len(sizes)
    weights = {"size": sizes / n, "count": np.full(N, 1.0 / N), "none": np.ones(N)}[scaling]
    grads, total, peak = None, 0.0, 0
    for s, m, w in zip(starts, sizes, weights):
        pred, cache = model._forward(X[s:s + m], params, rng, True)
        peak = max(peak, cache_floats(cache, params))
        value, loss_cache = loss._forward(pred, y[s:s + m])
        _, g = model._backward(loss._backward(loss_cache), cache)
        grads = _add_scaled(grads, g, w)
        total += w * value
    n_params = int(sum(a.size for a in train._leaves(params)))
    return Accumulation(grads, float(total), sizes, weights, peak, n_params)


# -- gradient checkpointing ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckpointCost:
    r"""Closed-form counts of :func:`checkpointed_gradients` (see :func:`checkpoint_cost`).

    Attributes
    ----------
    n_segments : int
        :math:`\lceil n/k \rceil`.
    peak_stored : int
        Layer activations held at once, at the peak: :math:`\lfloor n/k \rfloor + k - 1`.
    recomputed : int
        Layer evaluations repeated in the backward pass: :math:`n` minus the length of the last segment.
    """

    n_segments: int
    peak_stored: int
    recomputed: int


def _segments(n: int, k: int) -> list[tuple[int, int]]:
    return [(s, min(s + k, n)) for s in range(0, n, k)]


def checkpoint_cost(n_layers: int, every: int) -> CheckpointCost:
    r"""Stored activations and recomputed layers of segment-wise checkpointing, in closed form.

    A chain of :math:`n` layers cut into segments of :math:`k` layers (the last has
    :math:`n - (\lceil n/k\rceil - 1)k`). The forward pass keeps the input of every segment but the last (the
    checkpoints) and the caches of the last segment; the backward pass, segment by segment from the end,
    recomputes the segment's caches from its checkpoint (which the segment's first cache then holds) and
    backpropagates through them. While segment :math:`s` (from 0) is processed, :math:`s` checkpoints and its
    own caches are alive, so with :math:`q = \lfloor n/k \rfloor`

    .. math:: \text{peak} = \max_s \bigl(s + n_s\bigr) = q + k - 1, \qquad
              \text{recomputed} = n - n_{\text{last}},

    (one unit = one layer's activation). :math:`k = n` is plain backpropagation (peak :math:`n`, nothing
    recomputed), :math:`k = 1` stores as much and recomputes :math:`n - 1` layers; near
    :math:`k = \sqrt n` the peak is about :math:`2\sqrt n - 1` for one extra forward pass.

    Parameters
    ----------
    n_layers : int >= 1
    every : int in [1, n_layers]
        :math:`k`.

    Returns
    -------
    CheckpointCost
    """
    n = check_int(n_layers, "n_layers", low=1)
    k = check_int(every, "every", low=1, high=n)
    segs = _segments(n, k)
    return CheckpointCost(len(segs), n // k + k - 1, n - (segs[-1][1] - segs[-1][0]))


def sqrt_schedule(n_layers: int) -> int:
    r"""The segment length :math:`k` with the smallest peak :math:`\lfloor n/k\rfloor + k - 1`, the one nearest
    :math:`\sqrt n` among ties.

    The peak it reaches is :math:`\lfloor\sqrt{4n + 1}\rfloor - 1 \approx 2\sqrt n - 1` (for :math:`n = m^2`,
    :math:`k = m` and :math:`2m - 1`), against :math:`n` for plain backpropagation; :math:`k` is
    :math:`\sqrt n` rounded to the nearest integer.

    Parameters
    ----------
    n_layers : int >= 1

    Returns
    -------
    int in [1, n_layers]
    """
    n = check_int(n_layers, "n_layers", low=1)
    return min(range(1, n + 1), key=lambda k: (n // k + k - 1, abs(k - math.sqrt(n)), k))


def _flops(layer: Layer, shape: tuple) -> tuple[int, tuple]:
    """Approximate forward flops of ``layer`` on an input of ``shape``, and the output's shape."""
    if isinstance(layer, Sequential):
        total = 0
        for sub in layer.layers:
            f, shape = _flops(sub, shape)
            total += f
        return total, shape
    if isinstance(layer, Linear):
        out = shape[:-1] + (layer.n_out,)
        return 2 * math.prod(shape) * layer.n_out, out
    if isinstance(layer, Embedding):
        return 0, shape + (layer.dim,)
    return math.prod(shape), shape


@dataclass(frozen=True)
class Checkpointed:
    r"""Result of :func:`checkpointed_gradients`.

    Attributes
    ----------
    grads : list of dict
        :math:`\partial L/\partial\theta` for every layer, as ``Sequential.backward`` gives them.
    dx : numpy.ndarray
        :math:`\partial L/\partial x`, shaped like the input.
    loss : float
    checkpoints : numpy.ndarray of int
        The layers whose inputs the forward pass kept.
    peak_stored : int
        Layer activations (a checkpoint or a layer's cache) alive at once, at the peak, as counted while running.
    forward_evals, recomputed_evals : int
        Layer evaluations in the first forward pass (``n``) and in the backward pass's recomputation.
    forward_flops, recompute_flops : int
        The same, in approximate flops (2 per multiply-add of a ``Linear``, 1 per output element elsewhere).
    layer_flops : numpy.ndarray of int, shape (n,)
        The approximate flops of each layer's forward pass.
    trace : numpy.ndarray of int
        Activations alive after each layer evaluation or backward step, in order (the memory profile).
    """

    grads: list
    dx: np.ndarray
    loss: float
    checkpoints: np.ndarray
    peak_stored: int
    forward_evals: int
    recomputed_evals: int
    forward_flops: int
    recompute_flops: int
    layer_flops: np.ndarray
    trace: np.ndarray


def _replay(rng, state):
    """A Generator at a saved ``state`` (or None when there is no random stream)."""
    if rng is None:
        return None
    g = np.random.Generator(type(rng.bit_generator)())
    g.bit_generator.state = state
    return g


def checkpointed_gradients(model: Sequential, params, loss: Loss, X, y, *, every: int, rng=None,
                           preserve_rng_state: bool = True) -> Checkpointed:
    r"""Backpropagation that stores the input of every ``every``-th layer and recomputes the rest.

    The layers :math:`f_1, \dots, f_n` of ``model`` are cut into segments of :math:`k` = ``every`` layers. The
    forward pass keeps only each segment's input :math:`a_{sk}` (and, for the last segment, the caches, which
    the backward pass needs first). The backward pass takes the segments from the last: it reruns the
    segment's forward from its checkpoint, keeping the caches, then sends
    :math:`\partial L/\partial a_{(s+1)k}` back through them to :math:`\partial L/\partial a_{sk}`.
    Each recomputation repeats the same operations on the same numbers, so the gradients equal plain
    backpropagation's bit for bit; the counts follow :func:`checkpoint_cost`.

    A layer that draws (dropout) must draw the same mask again: the random state at each checkpoint is saved
    and replayed (``preserve_rng_state=True``, as ``torch.utils.checkpoint`` does); with ``False`` the
    recomputation draws fresh masks and the gradients are wrong.

    Parameters
    ----------
    model : Sequential
        :math:`n` layers; the unit of checkpointing is one of its layers (a layer may itself be a block).
    params : list of dict
    loss : Loss
    X, y : array_like
        Inputs and targets of one batch.
    every : int in [1, n]
        Segment length :math:`k`; :math:`k = n` is plain backpropagation.
    rng : int or numpy.random.Generator, optional
        Dropout masks; needed only with dropout.
    preserve_rng_state : bool

    Returns
    -------
    Checkpointed
    """
    if not isinstance(model, Sequential):
        raise ValueError(f"model must be a Sequential, got {type(model).__name__}")
    X, y, params = train._check_setup(model, params, loss, None, X, y, 1)
    layers = model.layers
    n = len(layers)
    k = check_int(every, "every", low=1, high=n)
    if rng is None:
        model.forward(X[:1], params, rng=None)          # a drawing layer (dropout) names the missing rng
    rng = None if rng is None else check_random_state(rng)
    segs = _segments(n, k)
    costs, shape = [], X.shape
    for layer in layers:
        f, shape = _flops(layer, shape)
        costs.append(f)

    live = peak = 0
    trace = []
    saved = []                                    # (checkpoint activation, random state) of every segment but the last
    x = X
    for s, e in segs[:-1]:
        saved.append((x, None if rng is None else rng.bit_generator.state))
        live += 1
        peak = max(peak, live)
        for i in range(s, e):                     # caches dropped at once
            x, _ = layers[i]._forward(x, params[i], rng, True)
            trace.append(live)
    s, e = segs[-1]
    caches = []
    for i in range(s, e):
        x, c = layers[i]._forward(x, params[i], rng, True)
        caches.append(c)
        live += 1
        peak = max(peak, live)
        trace.append(live)
    value, loss_cache = loss._forward(x, y)
    dy = loss._backward(loss_cache)

    grads = [None] * n
    recomputed = recompute_flops = 0
    for si in reversed(range(len(segs))):
        s, e = segs[si]
        if si < len(segs) - 1:
            a, state = saved.pop()
            live -= 1                             # handed over to the segment's first cache
            r = _replay(rng, state) if preserve_rng_state else rng
            caches = []
            for i in range(s, e):
                a, c = layers[i]._forward(a, params[i], r, True)
                caches.append(c)
                live += 1
                peak = max(peak, live)
                trace.append(live)
                recomputed += 1
                recompute_flops += costs[i]
        for i in reversed(range(s, e)):
            dy, grads[i] = layers[i]._backward(dy, caches[i - s])
            live -= 1
            trace.append(live)
        caches = []
    return Checkpointed(grads, dy, float(value), np.array([s for s, _ in segs[:-1]], dtype=int), peak, n,
                        recomputed, int(sum(costs)), recompute_flops, np.array(costs, dtype=np.int64),
                        np.array(trace, dtype=int))

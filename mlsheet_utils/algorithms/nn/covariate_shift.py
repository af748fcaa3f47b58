r"""Internal covariate shift, measured: how the inputs of hidden layers move while a network trains.

- :class:`RandomShift`   a layer adding a fresh random per-feature scale and offset at every call (noise that
  re-creates a shift after batch normalisation);
- :func:`mlp`            a ReLU network with optional ``BatchNorm`` (and ``RandomShift``) after each hidden Linear;
- :func:`track_training` full-batch gradient descent that records, at every step, the distribution of each
  hidden ReLU's input, the loss, how much a layer's gradient changes when the layers below are updated
  (the shift as seen by that layer), the gradient's change along the step, and the loss range along it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn import layers, losses, optimizers
from mlsheet_utils.algorithms.nn.train import _checked_by
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state


@dataclass(frozen=True, repr=False)
class RandomShift(layers.Layer):
    r"""Per-feature noise :math:`y = s \odot x + m`, with :math:`\log s_j \sim \mathcal N(0, (a/2)^2)` and
    :math:`m_j \sim \mathcal N(0, a^2)` drawn afresh at every forward pass from ``rng`` (identity without one).

    Backward: :math:`\partial L/\partial x = s \odot \partial L/\partial y`.

    Parameters
    ----------
    n_features : int >= 1
    scale : float >= 0
        :math:`a`.
    """

    n_features: int
    scale: float = 1.0

    def __post_init__(self):
        check_int(self.n_features, "n_features", low=1)
        check_float(self.scale, "scale", low=0)

    def _forward(self, x, params, rng, training):
        if rng is None or self.scale == 0:
            s, m = np.ones(self.n_features), np.zeros(self.n_features)
        else:
            rng = check_random_state(rng)                       # a seed from the public forward, else a Generator
            s = np.exp(0.5 * self.scale * rng.standard_normal(self.n_features))
            m = self.scale * rng.standard_normal(self.n_features)
        return s * x + m, {"s": s}

    def _backward(self, dy, cache):
        return dy * cache["s"], {}


def mlp(n_in: int, hidden, n_out: int, *, batch_norm: bool = False, noise: float = 0.0) -> layers.Sequential:
    """``Linear -> [BatchNorm -> [RandomShift]] -> ReLU`` per hidden width, then a ``Linear`` to ``n_out``.

    Parameters
    ----------
    n_in, n_out : int >= 1
    hidden : sequence of int >= 1
    batch_norm : bool
    noise : float >= 0
        Scale of a :class:`RandomShift` after each ``BatchNorm`` (ignored without batch norm; 0: none).
    """
    n_in, n_out = check_int(n_in, "n_in", low=1), check_int(n_out, "n_out", low=1)
    if isinstance(hidden, (str, bytes)) or not np.iterable(hidden):
        raise ValueError(f"hidden must be a sequence of ints, got {hidden!r}")
    hidden = [check_int(h, "hidden", low=1) for h in hidden]
    if not hidden:
        raise ValueError("hidden must hold at least one width")
    noise = check_float(noise, "noise", low=0)
    parts, width = [], n_in
    for h in hidden:
        parts.append(layers.Linear(width, h, weight_init="he_normal"))
        if batch_norm:
            parts.append(layers.BatchNorm(h))
            if noise > 0:
                parts.append(RandomShift(h, noise))
        parts.append(layers.Activation("relu"))
        width = h
    parts.append(layers.Linear(width, n_out))
    return layers.Sequential(*parts)


@dataclass(frozen=True)
class ShiftTrace:
    r"""What :func:`track_training` records, for steps ``t = 0 .. T - 1`` and hidden layers ``l = 0 .. L - 1``.

    Attributes
    ----------
    loss : ndarray, shape (T,)
        Training loss before step ``t``.
    relu_input : ndarray, shape (T, L, n)
        Input of hidden ReLU ``l`` for unit 0, every example.
    mean, std : ndarray, shape (T, L)
        Mean and standard deviation over examples of each ReLU input, averaged over the units.
    ics : ndarray, shape (T, L)
        :math:`\lVert G_l - G_l'\rVert / \lVert G_l\rVert`: the relative change of layer ``l``'s weight gradient
        when only the layers below it take their step (the shift that layer ``l`` sees).
    grad_change : ndarray, shape (T,)
        :math:`\lVert g(w - \eta g) - g(w)\rVert / \lVert g(w)\rVert` (how predictive the gradient is).
    loss_range : ndarray, shape (T,)
        :math:`\max_c L(w - c\eta g) - \min_c L(w - c\eta g)` over ``c`` in ``probe_steps``.
    """

    loss: np.ndarray
    relu_input: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    ics: np.ndarray
    grad_change: np.ndarray
    loss_range: np.ndarray


def _weight_indices(model: layers.Sequential) -> list[int]:
    return [i for i, lay in enumerate(model.layers) if isinstance(lay, layers.Linear)]


def _loss_and_grads(model, params, loss_fn, X, y, rng):
    out, cache = model._forward(X, params, rng, True)
    value, lcache = loss_fn.forward(out, y)
    grads = model._backward(loss_fn.backward(lcache), cache)[1]
    return value, grads, cache


def _flat(grads) -> np.ndarray:
    return np.concatenate([g.ravel() for d in grads for g in d.values()])


def _seed(rng) -> int:
    return int(rng.integers(2**32))


def track_training(model: layers.Sequential, params, X, y, *, steps: int, learning_rate: float,
                   probe_steps=(0.5, 1.0, 2.0, 4.0), rng=0) -> ShiftTrace:
    r"""Full-batch gradient descent :math:`w \leftarrow w - \eta\nabla L(w)` on softmax cross-entropy, measuring
    the shift of every hidden layer's input at every step.

    The ReLU inputs are read from the forward caches. For the shift seen by hidden layer :math:`l`
    (weights :math:`W_l`), the layers below it take their gradient step alone and :math:`W_l`'s gradient is
    recomputed (Santurkar et al.'s measure). A :class:`RandomShift` draws the same noise for every evaluation
    within one step (its seed is drawn from ``rng`` once per step).

    Parameters
    ----------
    model : Sequential
        From :func:`mlp`.
    params : list of dicts
    X : array, shape (n, d)
    y : array of int, shape (n,)
    steps : int >= 1
    learning_rate : float > 0
    probe_steps : sequence of float > 0
        Multiples of the step along the negative gradient at which the loss is evaluated.
    rng : int or Generator

    Returns
    -------
    ShiftTrace
    """
    if not isinstance(model, layers.Sequential):
        raise ValueError(f"model must be a Sequential (from mlp), got {type(model).__name__}")
    params = model.check_params(params)
    X = as_array(X, "X", ndim=2)
    y = np.asarray(y)
    if y.shape != (X.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must hold {X.shape[0]} integer labels, one per row of X, got shape {y.shape} and dtype "
                         f"{y.dtype}")
    _checked_by(model.check_input, X, "X does not fit the model's input")
    n_classes = getattr(model.layers[-1], "n_out", None)
    if n_classes is not None and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"y must hold labels in [0, {n_classes - 1}] (the model's {n_classes} outputs), got values "
                         f"in [{y.min()}, {y.max()}]")
    steps = check_int(steps, "steps", low=1)
    learning_rate = check_float(learning_rate, "learning_rate", low=0, low_open=True)
    probe = as_array(probe_steps, "probe_steps", ndim=1)
    if probe.size == 0 or probe.min() <= 0:
        raise ValueError(f"probe_steps must be positive multiples of the step, got {probe_steps!r}")
    rng = check_random_state(rng)
    loss_fn, opt = losses.SoftmaxCrossEntropy(), optimizers.SGD(learning_rate)
    state = opt.init(params)
    relus = [i for i, lay in enumerate(model.layers) if isinstance(lay, layers.Activation)]
    weights = _weight_indices(model)
    L = len(relus)
    rec = {k: np.empty((steps, L)) for k in ("mean", "std", "ics")}
    relu_in = np.empty((steps, L, X.shape[0]))
    loss_t, grad_change, loss_range = np.empty(steps), np.empty(steps), np.empty(steps)
    for t in range(steps):
        seed = _seed(rng)
        value, grads, cache = _loss_and_grads(model, params, loss_fn, X, y, np.random.default_rng(seed))
        loss_t[t] = value
        for l_, i in enumerate(relus):
            z = cache["caches"][i]["x"]
            relu_in[t, l_] = z[:, 0]
            rec["mean"][t, l_], rec["std"][t, l_] = z.mean(axis=0).mean(), z.std(axis=0).mean()
        for l_ in range(L):
            below = weights[l_]
            moved = [{k: v - learning_rate * grads[j][k] for k, v in p.items()} if j < below else p
                     for j, p in enumerate(params)]
            g_after = _loss_and_grads(model, moved, loss_fn, X, y, np.random.default_rng(seed))[1]
            g_l = grads[weights[l_]]["W"]
            rec["ics"][t, l_] = np.linalg.norm(g_after[weights[l_]]["W"] - g_l) / np.linalg.norm(g_l)
        new_params, state = opt.update(grads, state, params)
        g_flat = _flat(grads)
        g_next = _flat(_loss_and_grads(model, new_params, loss_fn, X, y, np.random.default_rng(seed))[1])
        grad_change[t] = np.linalg.norm(g_next - g_flat) / np.linalg.norm(g_flat)
        along = []
        for c in probe:
            moved = [{k: v - c * learning_rate * g[k] for k, v in p.items()} for p, g in zip(params, grads)]
            out = model._forward(X, moved, np.random.default_rng(seed), True)[0]
            along.append(loss_fn.forward(out, y)[0])
        loss_range[t] = max(along) - min(along)
        params = new_params
    return ShiftTrace(loss_t, relu_in, rec["mean"], rec["std"], rec["ics"], grad_change, loss_range)

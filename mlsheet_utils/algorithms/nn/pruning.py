r"""Magnitude pruning of dense networks: masks, masked training, structured shrinking, lottery tickets.

- :func:`magnitude_mask`: keep the largest :math:`|w|` of one array, pruning exactly
  :math:`\lfloor s\,n \rceil` entries (ties broken by position);
- :func:`global_masks` and :func:`layerwise_masks`: one threshold over every weight matrix, or the same
  sparsity in each;
- :func:`neuron_masks`: structured pruning, whole hidden units ranked by the norm of their incoming weights;
- :class:`MaskedLinear`: a ``Linear`` whose weight is multiplied by a fixed 0/1 mask, in the forward pass and in
  the gradient, so training keeps pruned weights at zero;
- :func:`masked_model` / :func:`apply_masks`: a ``Sequential`` of ``Linear`` layers turned masked, and plain
  parameters with the pruned weights zeroed;
- :func:`shrink_network`: the smaller dense network left by removing whole units (same outputs, fewer
  multiply-adds);
- :func:`sparsity`, :func:`rounds_to_sparsity`: the share of pruned weights, and the rounds of pruning a share
  :math:`p` each needed to reach a sparsity :math:`s`, :math:`\lceil \log(1-s)/\log(1-p) \rceil`;
- :func:`iterative_magnitude_pruning`: train, prune :math:`p` of the surviving weights, reset the survivors to
  their initial values (or draw new ones), repeat (a :class:`PruningRun`).

Only weight matrices (``W`` of ``Linear``) are pruned; biases stay. Shapes follow
:mod:`~mlsheet_utils.algorithms.nn.layers`: ``W`` is ``(n_in, n_out)``, a hidden unit is a column of the
weight into it and a row of the weight out of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn import train as _train
from mlsheet_utils.algorithms.nn.layers import Activation, Layer, Linear, Sequential
from mlsheet_utils.algorithms.nn.losses import Loss
from mlsheet_utils.algorithms.nn.optimizers import Optimizer
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

__all__ = ["MaskedLinear", "PruningRun", "apply_masks", "global_masks", "iterative_magnitude_pruning",
           "layerwise_masks", "magnitude_mask", "masked_model", "neuron_masks", "rounds_to_sparsity",
           "shrink_network", "sparsity"]


def _n_pruned(n: int, s: float) -> int:
    return int(round(s * n))


def _keep_largest(values: np.ndarray, n_prune: int) -> np.ndarray:
    """Boolean mask of ``values`` (1-D) with its ``n_prune`` smallest entries False (stable: earlier first)."""
    if n_prune == 0:
        return np.ones(values.size, dtype=bool)
    cut = np.partition(values, n_prune - 1)[n_prune - 1]       # the n_prune-th smallest value, in linear time
    keep = values > cut
    ties = np.flatnonzero(values == cut)
    keep[ties[n_prune - int(np.count_nonzero(values < cut)):]] = True   # prune only the first ties by position
    return keep


def magnitude_mask(w, sparsity: float) -> np.ndarray:
    r"""Unstructured magnitude pruning of one array.

    The :math:`m = \operatorname{round}(s\,n)` entries with the smallest :math:`|w|` are pruned (mask False);
    equal magnitudes are pruned in order of position (row-major), so exactly :math:`m` go.

    Parameters
    ----------
    w : array_like, any shape (n entries)
    sparsity : float in [0, 1]

    Returns
    -------
    numpy.ndarray of bool, shaped like ``w``
    """
    w = as_array(w, "w")
    sparsity = check_float(sparsity, "sparsity", low=0, high=1)
    return _keep_largest(np.abs(w).ravel(), _n_pruned(w.size, sparsity)).reshape(w.shape)


def _weights(weights, name="weights") -> list[np.ndarray]:
    if not isinstance(weights, (list, tuple)) or not weights:
        raise ValueError(f"{name} must be a non-empty list of arrays, got {type(weights).__name__}")
    return [as_array(w, f"{name}[{i}]") for i, w in enumerate(weights)]


def global_masks(weights, sparsity: float) -> list[np.ndarray]:
    r"""Global magnitude pruning: one threshold over all arrays together.

    The :math:`\operatorname{round}(s \sum_l n_l)` smallest magnitudes of the concatenation are pruned, so a
    layer with small weights loses more than its share.

    Parameters
    ----------
    weights : list of array_like
    sparsity : float in [0, 1]

    Returns
    -------
    list of numpy.ndarray of bool, one mask per array
    """
    weights = _weights(weights)
    sparsity = check_float(sparsity, "sparsity", low=0, high=1)
    flat = np.concatenate([np.abs(w).ravel() for w in weights])
    keep = _keep_largest(flat, _n_pruned(flat.size, sparsity))
    bounds = np.cumsum([0] + [w.size for w in weights])
    return [keep[a:b].reshape(w.shape) for a, b, w in zip(bounds[:-1], bounds[1:], weights)]


def layerwise_masks(weights, sparsity: float) -> list[np.ndarray]:
    """Layerwise magnitude pruning: :func:`magnitude_mask` with the same ``sparsity`` in every array."""
    weights = _weights(weights)
    sparsity = check_float(sparsity, "sparsity", low=0, high=1)
    return [_keep_largest(np.abs(w).ravel(), _n_pruned(w.size, sparsity)).reshape(w.shape) for w in weights]


def neuron_masks(weights, sparsity: float) -> list[np.ndarray]:
    r"""Structured pruning of hidden units by the L2 norm of their incoming weights.

    For every weight matrix but the last, the :math:`\operatorname{round}(s\,n_{\text{out}})` columns
    (units) with the smallest :math:`\lVert W_{:,j}\rVert_2` are removed: the column goes, and so does row
    :math:`j` of the next matrix (the unit's outgoing weights). The output layer keeps all its units.

    Parameters
    ----------
    weights : list of array_like, shapes (n_0, n_1), (n_1, n_2), ...
    sparsity : float in [0, 1]
        The share of each hidden layer's units removed.

    Returns
    -------
    list of numpy.ndarray of bool
        Element masks shaped like ``weights`` (whole columns and rows False).
    """
    weights = _weights(weights)
    sparsity = check_float(sparsity, "sparsity", low=0, high=1)
    for i, w in enumerate(weights):
        if w.ndim != 2:
            raise ValueError(f"weights[{i}] must be a 2-D weight matrix (n_in, n_out), got shape {w.shape}")
    for i in range(1, len(weights)):
        if weights[i].ndim != 2 or weights[i].shape[0] != weights[i - 1].shape[1]:
            raise ValueError(f"weights[{i}] must have {weights[i - 1].shape[1]} rows to follow weights[{i - 1}] "
                             f"{weights[i - 1].shape}, got {weights[i].shape}")
    masks = [np.ones(w.shape, dtype=bool) for w in weights]
    for i, w in enumerate(weights[:-1]):
        alive = _keep_largest(np.linalg.norm(w, axis=0), _n_pruned(w.shape[1], sparsity))
        masks[i][:, ~alive] = False
        masks[i + 1][~alive, :] = False
    return masks


def sparsity(masks) -> float:
    """The share of pruned entries over all masks: ``(pruned entries) / (all entries)``.

    ``masks`` is one boolean array or a non-empty list of them (True = kept), holding at least one entry.
    """
    if not isinstance(masks, (list, tuple)):
        masks = [masks]
    if not masks:
        raise ValueError("masks must hold at least one boolean array, got an empty list")
    for i, m in enumerate(masks):
        if m is None or np.asarray(m).dtype != bool:
            raise ValueError(f"masks[{i}] must be a boolean array (True = kept), got {type(m).__name__} "
                             f"{np.asarray(m).dtype if m is not None else ''}")
    if sum(np.size(m) for m in masks) == 0:
        raise ValueError("masks must hold at least one entry, got only empty arrays")
    masks = [np.asarray(m, dtype=bool) for m in masks]
    return sum(int((~m).sum()) for m in masks) / sum(m.size for m in masks)


def rounds_to_sparsity(target: float, rate: float) -> int:
    r"""Rounds of pruning a share ``rate`` :math:`p` of the survivors needed to reach sparsity ``target``
    :math:`s`: the survivors after :math:`k` rounds are :math:`(1-p)^k`, so
    :math:`k = \lceil \log(1-s) / \log(1-p) \rceil`."""
    target = check_float(target, "target", low=0, high=1, high_open=True)
    rate = check_float(rate, "rate", low=0, high=1, low_open=True, high_open=True)
    return int(math.ceil(math.log1p(-target) / math.log1p(-rate) - 1e-12))


@dataclass(frozen=True, eq=False, repr=False)
class MaskedLinear(Layer):
    r"""A dense layer with a fixed pruning mask :math:`M`:

    .. math::
        y = x (W \odot M) + b, \qquad \frac{\partial L}{\partial W} = \bigl(x^\top G\bigr) \odot M,

    with :math:`G = \partial L/\partial y`; pruned weights get no gradient, so any optimiser without weight
    decay keeps them where they are (zero, after :func:`apply_masks`). The maths is ``Linear``'s.

    Parameters
    ----------
    mask : array_like of bool, shape (n_in, n_out)
    bias : bool
    """

    mask: np.ndarray
    bias: bool = True

    def __post_init__(self):
        mask = np.asarray(self.mask)
        if mask.ndim != 2 or mask.dtype != bool:
            raise ValueError(f"mask must be a 2-D boolean array, got dtype {mask.dtype} and shape {mask.shape}")
        if mask.size == 0:
            raise ValueError(f"mask must have at least one input and one output, got shape {mask.shape}")
        object.__setattr__(self, "mask", mask)
        object.__setattr__(self, "_dense", Linear(mask.shape[0], mask.shape[1], bias=self.bias))

    def __repr__(self) -> str:
        return f"MaskedLinear({self.mask.shape[0]}, {self.mask.shape[1]}, kept={int(self.mask.sum())})"

    def param_shapes(self):
        return self._dense.param_shapes()

    def init_params(self, rng=0):
        params = self._dense.init_params(rng)
        params["W"] = params["W"] * self.mask
        return params

    def check_input(self, x):
        return self._dense.check_input(x)

    def _forward(self, x, params, rng, training):
        return self._dense._forward(x, {**params, "W": params["W"] * self.mask}, rng, training)

    def _backward(self, dy, cache):
        dx, grads = self._dense._backward(dy, cache)
        grads["W"] = grads["W"] * self.mask
        return dx, grads


def _linear_indices(model: Sequential) -> list[int]:
    if not isinstance(model, Sequential):
        raise ValueError(f"model must be a Sequential, got {type(model).__name__}")
    idx = []
    for i, layer in enumerate(model.layers):
        if isinstance(layer, (Linear, MaskedLinear)):
            idx.append(i)
        elif not isinstance(layer, Activation):
            raise ValueError(f"model must hold only Linear and Activation layers (what pruning handles), got {layer}")
    return idx


def _check_masks(model: Sequential, masks, idx: list[int]) -> None:
    """``masks``: a list of boolean arrays, one per dense layer of ``model`` (indices ``idx``), shaped like its W."""
    if not isinstance(masks, (list, tuple)) or len(masks) != len(idx):
        raise ValueError(f"masks must be a list of {len(idx)} arrays, one per dense layer, got {type(masks).__name__}"
                         + (f" of length {len(masks)}" if isinstance(masks, (list, tuple)) else ""))
    for pos, (i, m) in enumerate(zip(idx, masks)):
        shape = model.layers[i].param_shapes()["W"]
        if m is None or np.asarray(m).dtype != bool or np.shape(m) != shape:
            raise ValueError(f"masks[{pos}] must be a boolean array of shape {shape} (the weight of layer {i}), got "
                             f"{type(m).__name__} of dtype {np.asarray(m).dtype} and shape {np.shape(m)}")


def apply_masks(model: Sequential, params, masks) -> list[dict]:
    """Parameters of ``model`` with every weight matrix multiplied by its mask (one mask per dense layer, in
    order, boolean arrays shaped like the weights); biases and activations untouched."""
    _check_masks(model, masks, _linear_indices(model))
    params = model.check_params(params)
    idx = _linear_indices(model)
    if not isinstance(masks, (list, tuple)) or len(masks) != len(idx):
        raise ValueError(f"masks must be a list of {len(idx)} arrays, one per dense layer")
    out = [dict(p) for p in params]
    for i, m in zip(idx, masks):
        m = np.asarray(m, dtype=bool)
        if m.shape != out[i]["W"].shape:
            raise ValueError(f"mask for layer {i} must have shape {out[i]['W'].shape}, got {m.shape}")
        out[i]["W"] = out[i]["W"] * m
    return out


def masked_model(model: Sequential, masks) -> Sequential:
    """The same architecture with every dense layer a :class:`MaskedLinear` holding its mask (boolean, shaped like
    the layer's weight)."""
    idx = _linear_indices(model)
    _check_masks(model, masks, idx)
    if not isinstance(masks, (list, tuple)) or len(masks) != len(idx):
        raise ValueError(f"masks must be a list of {len(idx)} arrays, one per dense layer")
    layers = list(model.layers)
    for i, m in zip(idx, masks):
        layers[i] = MaskedLinear(np.asarray(m, dtype=bool), bias=layers[i].bias)
    return Sequential(*layers)


def shrink_network(model: Sequential, params, masks):
    """Remove the hidden units that :func:`neuron_masks` pruned: a smaller ``Sequential`` of ``Linear`` layers
    and its parameters, computing the same function as the masked network.

    ``masks`` are boolean arrays shaped like the weights; every hidden layer must keep at least one unit.

    Returns
    -------
    (Sequential, list of dict)
    """
    _check_masks(model, masks, _linear_indices(model))
    params = model.check_params(params)
    idx = _linear_indices(model)
    for pos in range(len(idx) - 1):
        if not np.asarray(masks[pos]).any():
            raise ValueError(f"masks[{pos}] prunes every unit of dense layer {pos}; shrink_network needs at least one")
    if not isinstance(masks, (list, tuple)) or len(masks) != len(idx):
        raise ValueError(f"masks must be a list of {len(idx)} arrays, one per dense layer")
    layers, new_params = list(model.layers), [dict(p) for p in params]
    rows = np.ones(params[idx[0]]["W"].shape[0], dtype=bool)
    for pos, i in enumerate(idx):
        m = np.asarray(masks[pos], dtype=bool)
        cols = m.any(axis=0) if pos < len(idx) - 1 else np.ones(m.shape[1], dtype=bool)
        W = params[i]["W"][np.ix_(rows, cols)] * m[np.ix_(rows, cols)]
        new_params[i] = {"W": W, **({"b": params[i]["b"][cols]} if "b" in params[i] else {})}
        layers[i] = Linear(W.shape[0], W.shape[1], bias="b" in params[i])
        rows = cols
    return Sequential(*layers), new_params


@dataclass(frozen=True)
class PruningRun:
    """The rounds of :func:`iterative_magnitude_pruning`.

    Attributes
    ----------
    sparsity : numpy.ndarray, shape (rounds + 1,)
        The sparsity trained at each round (0 first).
    accuracy : numpy.ndarray, shape (rounds + 1,)
        Accuracy on the evaluation data after training at that sparsity.
    masks : list of list of numpy.ndarray
        The masks of each round (all True first).
    params : list of dict
        The trained parameters of the last round.
    """

    sparsity: np.ndarray
    accuracy: np.ndarray
    masks: list
    params: list


def iterative_magnitude_pruning(model: Sequential, params0, loss: Loss, optimizer: Optimizer, X, y, X_eval,
                                y_eval, *, rate: float, rounds: int, epochs: int, batch_size: int, rng,
                                reset: str = "rewind") -> PruningRun:
    r"""Lottery-ticket search: train, prune, reset, repeat.

    Round 0 trains the dense network from ``params0``. Each later round prunes the share ``rate`` of the weights
    that survived (globally, by magnitude of the trained weights), resets the survivors, and trains the masked
    network again for ``epochs``. After round :math:`k` the sparsity is :math:`1 - (1-p)^k` (rounded to whole
    weights).

    Parameters
    ----------
    model : Sequential of Linear and Activation layers
    params0 : its initial parameters (the values a rewind returns to)
    loss, optimizer : Loss, Optimizer
    X, y : training data; X_eval, y_eval : data for the accuracy (integer labels, argmax of the output)
    rate : float in (0, 1)
        :math:`p`, the share of survivors pruned per round.
    rounds : int >= 0
    epochs, batch_size : int >= 1
    rng : int or numpy.random.Generator
        Shuffling, and the fresh weights of ``reset="reinit"``.
    reset : {"rewind", "reinit"}
        Survivors back to ``params0`` (the lottery-ticket reset) or to a new random draw (the control).

    Returns
    -------
    PruningRun
    """
    idx = _linear_indices(model)
    try:
        params0 = model.check_params(params0)
    except ValueError as exc:
        raise ValueError(f"params0 does not fit model: {exc}") from None
    rate = check_float(rate, "rate", low=0, high=1, low_open=True, high_open=True)
    rounds = check_int(rounds, "rounds", low=0)
    if reset not in ("rewind", "reinit"):
        raise ValueError(f"reset must be 'rewind' or 'reinit', got {reset!r}")
    try:
        model.check_input(X_eval)
    except ValueError as exc:
        raise ValueError(f"X_eval does not fit model: {exc}") from None
    X_eval, y_eval = model.check_input(X_eval), np.asarray(y_eval)
    if y_eval.shape != X_eval.shape[:-1] or not np.issubdtype(y_eval.dtype, np.integer):
        raise ValueError(f"y_eval must hold integer labels, one per row of X_eval (shape {X_eval.shape[:-1]}), got "
                         f"dtype {y_eval.dtype} and shape {y_eval.shape}")
    n_out = params0[idx[-1]]["W"].shape[1]
    if y_eval.min() < 0 or y_eval.max() >= n_out:
        raise ValueError(f"y_eval must hold labels in [0, {n_out - 1}] (the outputs of model), got values in "
                         f"[{y_eval.min()}, {y_eval.max()}]")
    rng = check_random_state(rng)
    masks = [np.ones(params0[i]["W"].shape, dtype=bool) for i in idx]
    start = params0
    sparsities, accuracies, all_masks = [], [], []
    trained = None
    for k in range(rounds + 1):
        if k > 0:
            weights = [np.where(m, trained[i]["W"], 0.0) for i, m in zip(idx, masks)]
            n_alive = sum(int(m.sum()) for m in masks)
            n_total = sum(m.size for m in masks)
            target = (n_total - n_alive + _n_pruned(n_alive, rate)) / n_total
            # the pruned weights are exact zeros, the smallest magnitudes, so they stay pruned first
            masks = global_masks(weights, target)
            start = params0 if reset == "rewind" else model.init_params(rng)
        net = masked_model(model, masks)
        trained, _ = _train.fit(net, apply_masks(model, start, masks), loss, optimizer, X, y, epochs=epochs,
                                batch_size=batch_size, rng=rng)
        pred, _ = net._forward(X_eval, trained, None, False)
        sparsities.append(sparsity(masks))
        accuracies.append(float(np.mean(pred.argmax(axis=-1) == y_eval)))
        all_masks.append([m.copy() for m in masks])
    return PruningRun(np.array(sparsities), np.array(accuracies), all_masks, trained)

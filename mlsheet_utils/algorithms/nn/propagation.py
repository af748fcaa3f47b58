r"""How signals and gradients pass through a network at initialisation.

- :func:`signal_propagation`: push a batch through a deep stack of bias-free dense layers, each followed by the
  same activation, and pull a random output gradient back; record, layer by layer, the mean square of the
  pre-activations, of the activations, of the gradients reaching the pre-activations and of the weight
  gradients (a :class:`Propagation`). Vanishing or exploding shows as a geometric trend in these numbers;
- :func:`unit_distances`: the pairwise distances between the hidden units of a layer (the columns of its
  weight matrix): all zero when the units are copies of each other, the symmetry that gradient descent cannot
  break.

The layers are those of :mod:`~mlsheet_utils.algorithms.nn.layers` (``Linear`` without bias, ``Activation``),
run through their unchecked forward and backward kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn import functional as F
from mlsheet_utils.algorithms.nn.layers import Activation, Linear
from mlsheet_utils.validation import as_array, check_random_state

__all__ = ["Propagation", "signal_propagation", "unit_distances"]


@dataclass(frozen=True)
class Propagation:
    r"""Per-layer second moments from :func:`signal_propagation` (index ``l`` is layer ``l + 1``).

    Attributes
    ----------
    pre : numpy.ndarray, shape (depth,)
        :math:`q_l = \overline{z_l^2}`, the mean square of the pre-activations :math:`z_l = h_{l-1} W_l` over
        the batch and the units (their variance, as they have mean zero over the weights).
    post : numpy.ndarray, shape (depth,)
        :math:`\overline{h_l^2}`, the mean square of the activations :math:`h_l = f(z_l)`.
    grad : numpy.ndarray, shape (depth,)
        :math:`\overline{(\partial L/\partial z_l)^2}`, the mean square of the gradient reaching layer
        :math:`l`'s pre-activations.
    weight_grad : numpy.ndarray, shape (depth,)
        :math:`\overline{(\partial L/\partial W_l)^2}`, the mean square of the weight gradients.
    activations : list of numpy.ndarray or None
        The activations :math:`h_l`, shape (batch, width), when asked for (``keep=True``).
    """

    pre: np.ndarray
    post: np.ndarray
    grad: np.ndarray
    weight_grad: np.ndarray
    activations: list | None = None


def signal_propagation(X, weights, activation: str, *, dy=None, rng=0, keep: bool = False) -> Propagation:
    r"""Forward and backward second moments through :math:`h_l = f(h_{l-1} W_l)`, :math:`h_0 = X`.

    The loss is :math:`L = \sum h_L \odot G` for an output gradient :math:`G` (``dy``, or standard normal
    entries drawn from ``rng``), so the backward pass starts from :math:`\partial L/\partial h_L = G` and runs

    .. math::
        \frac{\partial L}{\partial z_l} = f'(z_l) \odot \frac{\partial L}{\partial h_l}, \qquad
        \frac{\partial L}{\partial h_{l-1}} = \frac{\partial L}{\partial z_l} W_l^\top, \qquad
        \frac{\partial L}{\partial W_l} = h_{l-1}^\top \frac{\partial L}{\partial z_l}.

    With independent zero-mean weights of variance :math:`\sigma^2`, a layer multiplies the forward mean square
    by :math:`n_\text{in}\sigma^2\,\mathbb{E}[f(z)^2]/\mathbb{E}[z^2]` and the backward one by
    :math:`n_\text{out}\sigma^2\,\mathbb{E}[f'(z)^2]`; an initialisation is good when both stay near 1.

    Parameters
    ----------
    X : array_like, shape (batch, n_0)
    weights : sequence of array_like, shapes (n_{l-1}, n_l)
        One weight matrix per layer (at least one), consecutive shapes matching.
    activation : str
        A name of :data:`~mlsheet_utils.algorithms.nn.functional.ACTIVATIONS` (``"tanh"``, ``"relu"``,
        ``"sigmoid"``, ...), applied after every layer.
    dy : array_like, shape (batch, n_L), optional
        The output gradient :math:`G`; drawn from ``rng`` when omitted.
    rng : int or numpy.random.Generator
    keep : bool
        Also return every layer's activations.

    Returns
    -------
    Propagation
    """
    X = as_array(X, "X", ndim=2)
    if isinstance(weights, np.ndarray) or not hasattr(weights, "__len__") or len(weights) == 0:
        raise ValueError("weights must be a non-empty sequence of 2-D arrays, one per layer")
    Ws = [as_array(W, f"weights[{i}]", ndim=2) for i, W in enumerate(weights)]
    if Ws[0].shape[0] != X.shape[1]:
        raise ValueError(f"weights[0] must have as many rows as X has columns ({X.shape[1]}), got shape {Ws[0].shape}")
    width = X.shape[1]
    for i, W in enumerate(Ws):
        if W.shape[0] != width:
            raise ValueError(f"weights[{i}] must have {width} rows (the width before it), got shape {W.shape}")
        width = W.shape[1]
    if activation not in F.ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(F.ACTIVATIONS)}, got {activation!r}")
    check_random_state(rng)                          # checked even when dy is given: a bad seed is never silent
    if dy is None:
        dy = check_random_state(rng).standard_normal((X.shape[0], width))
    else:
        dy = as_array(dy, "dy", ndim=2)
        if dy.shape != (X.shape[0], width):
            raise ValueError(f"dy must have shape {(X.shape[0], width)} (the rows of X, the columns of the last of "
                             f"weights), got {dy.shape}")

    act = Activation(activation)
    linears = [Linear(W.shape[0], W.shape[1], bias=False) for W in Ws]
    depth = len(Ws)
    pre, post, grad, weight_grad = (np.empty(depth) for _ in range(4))
    caches, outputs = [], []
    h = X
    for i, (lin, W) in enumerate(zip(linears, Ws)):
        z, lin_cache = lin._forward(h, {"W": W}, None, True)
        h, act_cache = act._forward(z, {}, None, True)
        caches.append((lin_cache, act_cache))
        pre[i], post[i] = np.mean(z * z), np.mean(h * h)
        if keep:
            outputs.append(h)
    for i in reversed(range(depth)):
        lin_cache, act_cache = caches[i]
        dz, _ = act._backward(dy, act_cache)
        dy, grads = linears[i]._backward(dz, lin_cache)
        grad[i], weight_grad[i] = np.mean(dz * dz), np.mean(grads["W"] ** 2)
    return Propagation(pre, post, grad, weight_grad, outputs if keep else None)


def unit_distances(W) -> np.ndarray:
    r"""Euclidean distances between the hidden units of a layer, the columns of its weight matrix.

    .. math:: D_{jk} = \lVert W_{:,j} - W_{:,k} \rVert_2 = \sqrt{\lVert W_{:,j}\rVert^2 + \lVert W_{:,k}\rVert^2
              - 2\,W_{:,j}\cdot W_{:,k}}

    computed from the differences themselves (not the expansion), so two identical units are at distance
    exactly 0. Stack a bias under the weights (``np.vstack([W, b])``) to compare whole units.

    Parameters
    ----------
    W : array_like, shape (n_in, n_units)

    Returns
    -------
    numpy.ndarray, shape (n_units, n_units), symmetric with a zero diagonal
    """
    units = np.ascontiguousarray(as_array(W, "W", ndim=2).T)        # (n_units, n_in): one row per unit
    diff = units[:, None, :] - units[None, :, :]
    return np.sqrt(np.einsum("jki,jki->jk", diff, diff))

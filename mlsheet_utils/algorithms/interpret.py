r"""Explaining one prediction: Shapley values, LIME and input-gradient attributions.

- :func:`shapley_values`        exact Shapley values by enumerating every coalition, absent features set to a
  baseline;
- :func:`lime`                  LIME for tabular inputs: Gaussian perturbations, an exponential locality kernel and
  a kernel-weighted ridge surrogate (result :class:`LimeExplanation`);
- :func:`gradient_saliency`     :math:`\partial f_c/\partial x` of a network from :mod:`.nn.layers` by its backward
  pass;
- :func:`integrated_gradients`  path attributions along the straight line from a baseline (midpoint rule);
- :func:`smoothgrad`            the input gradient averaged over Gaussian-noised copies of the input;
- :func:`occlusion`             the drop of the output when a patch of the input is set to a baseline.

A *model function* ``f`` here is any callable taking an ``(m, d)`` array of inputs to ``(m,)`` outputs; the
gradient methods take a layer (``forward``/``backward``) with its ``params`` and a target output index instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from math import factorial

import numpy as np

from mlsheet_utils.algorithms.nn.layers import Layer
from mlsheet_utils.validation import as_array, check_callable, check_float, check_int, check_random_state

__all__ = ["LimeExplanation", "gradient_saliency", "integrated_gradients", "lime", "occlusion", "shapley_values",
           "smoothgrad"]


def _outputs(f, Z: np.ndarray) -> np.ndarray:
    y = np.asarray(f(Z), dtype=float)
    if y.shape != (Z.shape[0],):
        raise ValueError(f"f must map an (m, d) array to shape (m,), got {y.shape} for m = {Z.shape[0]}")
    return y


def _broadcast(value, name: str, shape: tuple) -> np.ndarray:
    """``value`` checked (finite numbers) and broadcast to ``shape``; a shape that does not broadcast names it."""
    arr = as_array(value, name)
    try:
        return np.broadcast_to(arr, shape)
    except ValueError:
        raise ValueError(f"{name} must be a number or an array broadcastable to shape {shape}, got shape "
                         f"{arr.shape}") from None


def _instance(x, baseline):
    x = as_array(x, "x", ndim=1)
    _broadcast(baseline, "baseline", x.shape)
    b = np.broadcast_to(as_array(baseline, "baseline"), x.shape).astype(float)
    return x, b


def shapley_values(f, x, baseline=0.0) -> np.ndarray:
    r"""Exact Shapley values of the features of one input.

    The game's value of a coalition :math:`S` is the model's output with the features in :math:`S` taken from
    ``x`` and the others from ``baseline``, :math:`v(S) = f(x_S, b_{\bar S})`. Then

    .. math::
        \phi_i = \sum_{S \subseteq N \setminus \{i\}} \frac{|S|!\,(d - |S| - 1)!}{d!}
        \bigl[v(S \cup \{i\}) - v(S)\bigr],

    computed from one batched call of ``f`` on all :math:`2^d` masked inputs. The values add up to
    :math:`f(x) - f(b)` (efficiency).

    Parameters
    ----------
    f : callable
        ``(m, d) -> (m,)``.
    x : array, shape (d,)
        The input to explain, ``1 <= d <= 16``.
    baseline : float or array, shape (d,)
        Values standing in for absent features.

    Returns
    -------
    phi : array, shape (d,)
    """
    check_callable(f, "f")
    if np.ndim(x) == 1 and np.size(x) > 16:
        raise ValueError(f"x has {np.size(x)} features: exact enumeration of 2^d coalitions needs d <= 16")
    x, b = _instance(x, baseline)
    d = x.size
    if d > 16:
        raise ValueError(f"x has {d} features: exact enumeration of 2^d coalitions needs d <= 16")
    masks = np.array(list(product((0, 1), repeat=d)), dtype=bool)          # (2^d, d)
    v = _outputs(f, np.where(masks, x, b))
    index = masks @ (1 << np.arange(d)[::-1])                               # row of each mask
    sizes = masks.sum(axis=1)
    weight = np.array([factorial(s) * factorial(d - s - 1) / factorial(d) if s < d else 0.0 for s in sizes])
    phi = np.empty(d)
    for i in range(d):
        without = ~masks[:, i]
        with_i = index[without] + (1 << (d - 1 - i))
        phi[i] = weight[without] @ (v[with_i] - v[without])
    return phi


@dataclass(frozen=True)
class LimeExplanation:
    r"""A local linear surrogate :math:`g(z) = a + w^\top (z - x)` fitted around ``x``.

    Attributes
    ----------
    coef : array, shape (d,)
        The surrogate's slopes :math:`w`.
    intercept : float
        :math:`a`, the surrogate's value at ``x``.
    samples : array, shape (n_samples, d)
        The perturbed inputs :math:`z`.
    weights : array, shape (n_samples,)
        Their kernel weights.
    predictions : array, shape (n_samples,)
        The model's outputs at the samples.
    """

    coef: np.ndarray
    intercept: float
    samples: np.ndarray
    weights: np.ndarray
    predictions: np.ndarray

    @property
    def effective_samples(self) -> float:
        r"""Kish's effective sample size :math:`(\sum \pi)^2 / \sum \pi^2`."""
        return float(self.weights.sum() ** 2 / (self.weights**2).sum())


def lime(f, x, *, kernel_width: float, n_samples: int = 500, scale=1.0, alpha: float = 0.0,
         rng=0) -> LimeExplanation:
    r"""LIME for a tabular input: a kernel-weighted ridge regression on perturbations around ``x``.

    Draw :math:`z_j = x + s \odot \varepsilon_j`, :math:`\varepsilon_j \sim \mathcal N(0, I)`, weight each by
    :math:`\pi_j = \exp(-\lVert (z_j - x)/s \rVert^2 / \sigma^2)` (``sigma = kernel_width``) and solve

    .. math::
        \min_{a, w} \sum_j \pi_j \bigl(f(z_j) - a - w^\top (z_j - x)\bigr)^2 + \alpha \lVert w \rVert^2 .

    With weighted means :math:`\bar u, \bar y` and centred :math:`U`, :math:`w = (U^\top \Pi U + \alpha I)^{-1}
    U^\top \Pi (y - \bar y)` and :math:`a = \bar y - w^\top \bar u` (scikit-learn's ``Ridge`` with
    ``sample_weight``, intercept not penalised).

    Parameters
    ----------
    f : callable
        ``(m, d) -> (m,)``.
    x : array, shape (d,)
    kernel_width : float > 0
        :math:`\sigma`, in units of ``scale``.
    n_samples : int >= 2
    scale : float or array, shape (d,), > 0
        Standard deviation of the perturbation of each feature.
    alpha : float >= 0
        Ridge penalty on :math:`w`.
    rng : int or numpy.random.Generator (default 0: a fixed seed, so every run is reproducible)

    Returns
    -------
    LimeExplanation
    """
    check_callable(f, "f")
    x = as_array(x, "x", ndim=1)
    kernel_width = check_float(kernel_width, "kernel_width", low=0, low_open=True)
    n_samples = check_int(n_samples, "n_samples", low=2)
    alpha = check_float(alpha, "alpha", low=0)
    _broadcast(scale, "scale", x.shape)
    s = np.broadcast_to(as_array(scale, "scale"), x.shape).astype(float)
    if np.any(s <= 0):
        raise ValueError(f"scale must be positive, got {scale!r}")
    eps = check_random_state(rng).standard_normal((n_samples, x.size))
    Z = x + eps * s
    y = _outputs(f, Z)
    pi = np.exp(-np.sum(eps**2, axis=1) / kernel_width**2)
    if not pi.sum() > 0:
        raise ValueError(f"kernel_width = {kernel_width} gives every sample zero weight: increase it")
    p = pi / pi.sum()
    U = Z - x
    u_bar, y_bar = p @ U, p @ y
    Uc, yc = U - u_bar, y - y_bar
    A = Uc.T @ (pi[:, None] * Uc) + alpha * np.eye(x.size)
    w = np.linalg.lstsq(A, Uc.T @ (pi * yc), rcond=None)[0]
    return LimeExplanation(coef=w, intercept=float(y_bar - w @ u_bar), samples=Z, weights=pi, predictions=y)


def _input_gradient(model, params, X: np.ndarray, target: int) -> np.ndarray:
    y, cache = model._forward(X, params, None, False)
    dy = np.zeros_like(y)
    dy[:, target] = 1.0
    return model._backward(dy, cache)[0]


def _check_model(model, params, x, target):
    if not isinstance(model, Layer):
        raise ValueError(f"model must be a Layer (with forward and backward), got {type(model).__name__}")
    X = as_array(x, "x")
    if X.ndim not in (1, 2):
        raise ValueError(f"x must have shape (d,) or (m, d), got shape {X.shape}")
    X2 = X.reshape(-1, X.shape[-1])
    params = model.check_params(params)
    y, _ = model.forward(X2[:1], params, training=False)
    if y.ndim != 2:
        raise ValueError(f"the model must output (m, k) scores, got shape {y.shape}")
    target = check_int(target, "target", low=0, high=y.shape[1] - 1)
    return X, X2, params, target


def gradient_saliency(model, params, x, target: int = 0) -> np.ndarray:
    r"""The gradient of one output of a network with respect to its input, by the backward pass.

    :math:`S(x) = \partial f_c(x)/\partial x`: one forward pass, then ``backward`` of the one-hot
    :math:`e_c` (signed; a saliency map shows :math:`|S|`).

    Parameters
    ----------
    model : Layer
        With ``forward(x, params) -> (y, cache)``, ``y`` of shape ``(m, k)``, and ``backward``.
    params : the model's parameters
    x : array, shape (d,) or (m, d)
    target : int in [0, k)
        The output :math:`c`.

    Returns
    -------
    array shaped like ``x``
    """
    X, X2, params, target = _check_model(model, params, x, target)
    return _input_gradient(model, params, X2, target).reshape(X.shape)


def integrated_gradients(model, params, x, baseline=0.0, target: int = 0, steps: int = 32) -> np.ndarray:
    r"""Integrated gradients along the straight path from ``baseline`` to ``x`` (midpoint rule).

    .. math::
        \mathrm{IG}_i(x) = (x_i - b_i) \int_0^1 \frac{\partial f_c}{\partial x_i}\bigl(b + t(x - b)\bigr)\,dt
        \approx \frac{x_i - b_i}{K} \sum_{k=0}^{K-1} \frac{\partial f_c}{\partial x_i}
        \Bigl(b + \tfrac{k + 1/2}{K}(x - b)\Bigr),

    so that :math:`\sum_i \mathrm{IG}_i \to f_c(x) - f_c(b)` (completeness) with an error of order
    :math:`K^{-2}`.

    Parameters
    ----------
    model, params, target : as :func:`gradient_saliency`
    x : array, shape (d,) or (m, d)
    baseline : float or array broadcastable to ``x``
    steps : int >= 1
        :math:`K`.

    Returns
    -------
    array shaped like ``x``
    """
    X, X2, params, target = _check_model(model, params, x, target)
    steps = check_int(steps, "steps", low=1)
    _broadcast(baseline, "baseline", X.shape)
    B = np.broadcast_to(as_array(baseline, "baseline"), X.shape).reshape(X2.shape)
    t = (np.arange(steps) + 0.5) / steps
    path = B[None] + t[:, None, None] * (X2 - B)[None]                     # (K, m, d)
    g = _input_gradient(model, params, path.reshape(-1, X2.shape[1]), target).reshape(path.shape)
    return ((X2 - B) * g.mean(axis=0)).reshape(X.shape)


def smoothgrad(model, params, x, target: int = 0, *, noise: float = 0.1, n_samples: int = 32,
               rng=0) -> np.ndarray:
    r"""SmoothGrad: the input gradient averaged over noisy copies of the input.

    .. math::
        \hat S(x) = \frac1n \sum_{j=1}^n \frac{\partial f_c}{\partial x}(x + \varepsilon_j), \qquad
        \varepsilon_j \sim \mathcal N(0, \sigma^2 I).

    Parameters
    ----------
    model, params, target : as :func:`gradient_saliency`
    x : array, shape (d,) or (m, d)
    noise : float >= 0
        :math:`\sigma` (0 gives the plain gradient).
    n_samples : int >= 1
    rng : int or numpy.random.Generator (default 0: a fixed seed, so every run is reproducible)

    Returns
    -------
    array shaped like ``x``
    """
    X, X2, params, target = _check_model(model, params, x, target)
    noise = check_float(noise, "noise", low=0)
    n_samples = check_int(n_samples, "n_samples", low=1)
    noisy = X2[None] + noise * check_random_state(rng).standard_normal((n_samples, *X2.shape))
    g = _input_gradient(model, params, noisy.reshape(-1, X2.shape[1]), target).reshape(noisy.shape)
    return g.mean(axis=0).reshape(X.shape)


def occlusion(f, x, baseline=0.0, *, shape=None, patch: int = 1) -> np.ndarray:
    r"""Occlusion sensitivity: how much the output drops when a square patch is set to the baseline.

    The input, seen as an image of ``shape`` (default one row), is cut into ``patch`` x ``patch`` tiles
    :math:`P`; every pixel of tile :math:`P` gets :math:`f(x) - f(x \text{ with } x_P = b_P)`. One batched call
    of ``f``.

    Parameters
    ----------
    f : callable
        ``(m, d) -> (m,)``.
    x : array, shape (d,)
    baseline : float or array, shape (d,)
    shape : (int, int), optional
        Rows and columns (integers >= 1) with ``rows * cols = d``.
    patch : int >= 1

    Returns
    -------
    array, shape (d,)
    """
    check_callable(f, "f")
    x, b = _instance(x, baseline)
    if shape is not None:
        if not isinstance(shape, (tuple, list)) or len(shape) != 2:
            raise ValueError(f"shape must be a pair (rows, cols), got {shape!r}")
        check_int(shape[0], "shape", low=1)
        check_int(shape[1], "shape", low=1)
    rows, cols = (1, x.size) if shape is None else (int(shape[0]), int(shape[1]))
    if rows * cols != x.size:
        raise ValueError(f"shape {shape} does not hold the {x.size} features of x")
    patch = check_int(patch, "patch", low=1, high=max(rows, cols))
    r, c = np.divmod(np.arange(x.size), cols)
    tile = (r // patch) * (-(-cols // patch)) + c // patch                 # tile id of each pixel
    n_tiles = tile.max() + 1
    masks = tile[None, :] == np.arange(n_tiles)[:, None]                   # (n_tiles, d)
    out = _outputs(f, np.vstack([x[None], np.where(masks, b, x)]))
    return (out[0] - out[1:])[tile]

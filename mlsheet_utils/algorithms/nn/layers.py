r"""Layers as pure forward/backward pairs (numpy-ml, micrograd style).

Every layer is a small frozen dataclass holding its hyperparameters, with

- ``init_params(rng) -> params``: a dict of arrays (empty for a layer without weights);
- ``forward(x, params, *, rng=None, training=True) -> (y, cache)``: the output and what the backward pass needs;
- ``backward(dy, cache) -> (dx, grads)``: given :math:`\partial L/\partial y`, the gradients
  :math:`\partial L/\partial x` and :math:`\partial L/\partial \theta` for every parameter, ``grads`` having the
  keys of ``params``.

Parameters are plain arrays passed in and out, never stored on the layer, so an optimiser or a gradient check
can hand the layer any values. Layers:

- :class:`Linear` (dense, ``y = x W + b``), :class:`Activation` (any function of
  :mod:`~mlsheet_utils.algorithms.nn.functional`), :class:`Dropout` (inverted dropout, mask from ``rng``);
- :class:`LayerNorm` (over the features of each example), :class:`RMSNorm` (the same without centring),
  :class:`BatchNorm` (over the batch, training mode; the running statistics are returned by
  :meth:`BatchNorm.update_running`, never mutated, and used by :meth:`BatchNorm.inference`), all three built on
  :func:`normalize` and :func:`normalize_backward` (standardise over given axes, and the gradient through it);
  :func:`batch_norm_trace` runs a stream of batches through a BatchNorm and records both of its modes;
- :class:`Embedding` (rows of a table picked by integer ids);
- :class:`Sequential` chains layers; its params are a list with one dict per layer;
- :class:`Residual` wraps a body and a normalisation as a pre-norm or post-norm residual block;
- :class:`Layer` is the base class: it validates at ``forward`` and ``backward`` and leaves the maths to the
  unchecked ``_forward`` and ``_backward``, which :class:`Sequential` and the training loop call.

Conventions: float64; features on the last axis, any leading axes are batch axes (``x`` of shape
``(..., n_features)``). A weight matrix is ``(n_in, n_out)``; JAX and PyTorch store ``(n_out, n_in)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn import functional as F
from mlsheet_utils.algorithms.nn import init
from mlsheet_utils.algorithms.nn._repr import compact_repr
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

__all__ = ["Activation", "BatchNorm", "Dropout", "Embedding", "Layer", "LayerNorm", "Linear", "Normalized", "RMSNorm",
           "Residual", "Sequential", "BatchNormTrace", "batch_norm_trace", "normalize", "normalize_backward"]


class Layer:
    """Base class: checks inputs at the public ``forward``/``backward``, runs the maths in ``_forward``/``_backward``.

    A subclass defines :meth:`param_shapes` (name -> shape), :meth:`init_params`, ``_forward(x, params, rng,
    training) -> (y, cache)`` and ``_backward(dy, cache) -> (dx, grads)``, and may refine :meth:`check_input`.
    """

    def __repr__(self) -> str:
        return compact_repr(self)

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Name -> shape of every parameter (empty for a layer without weights)."""
        return {}

    def init_params(self, rng=0) -> dict[str, np.ndarray]:
        """Initial parameters (a dict of float64 arrays shaped by :meth:`param_shapes`)."""
        check_random_state(rng)
        return {}

    def check_input(self, x) -> np.ndarray:
        """``x`` as a float array without NaN or infinity; subclasses add shape checks."""
        return as_array(x, "x")

    def check_params(self, params) -> dict[str, np.ndarray]:
        """``params`` as a dict with exactly the keys and shapes of :meth:`param_shapes`."""
        shapes = self.param_shapes()
        if not isinstance(params, dict):
            raise ValueError(f"params of {self} must be a dict, got {type(params).__name__}")
        if set(params) != set(shapes):
            raise ValueError(f"params of {self} must have the keys {sorted(shapes)}, got {sorted(params)}")
        out = {}
        for name, shape in shapes.items():
            out[name] = as_array(params[name], f"params[{name!r}]")
            if out[name].shape != shape:
                raise ValueError(f"params[{name!r}] of {self} must have shape {shape}, got {out[name].shape}")
        return out

    def forward(self, x, params, *, rng=None, training: bool = True):
        """Checked forward pass: ``(y, cache)``; ``rng`` is used by layers that draw (dropout)."""
        x, params = self.check_input(x), self.check_params(params)
        rng = None if rng is None else check_random_state(rng)
        y, cache = self._forward(x, params, rng, bool(training))
        cache["y_shape"] = y.shape
        return y, cache

    def backward(self, dy, cache):
        """Checked backward pass: ``(dx, grads)`` from ``dy`` shaped like the output of ``forward``."""
        if not isinstance(cache, dict) or "y_shape" not in cache:
            raise ValueError("cache must be the second value returned by this layer's forward")
        dy = as_array(dy, "dy")
        if dy.shape != cache["y_shape"]:
            raise ValueError(f"dy must have the output's shape {cache['y_shape']}, got {dy.shape}")
        return self._backward(dy, cache)

    def _forward(self, x, params, rng, training):
        raise NotImplementedError

    def _backward(self, dy, cache):
        raise NotImplementedError


def _features(x: np.ndarray, n: int, what: str = "n_features") -> np.ndarray:
    if x.ndim < 1 or x.shape[-1] != n:
        raise ValueError(f"x must have shape (..., {n}) ({what} = {n}), got shape {x.shape}")
    return x


def _sum_leading(a: np.ndarray) -> np.ndarray:
    """Sum over every axis but the last: (..., n) -> (n,)."""
    return a.reshape(-1, a.shape[-1]).sum(axis=0)


@dataclass(frozen=True, repr=False)
class Linear(Layer):
    r"""Dense layer :math:`y = x W + b`.

    .. math::
        \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} W^\top, \qquad
        \frac{\partial L}{\partial W} = x^\top \frac{\partial L}{\partial y}, \qquad
        \frac{\partial L}{\partial b} = \sum_{\text{rows}} \frac{\partial L}{\partial y},

    with the leading axes of ``x`` flattened into rows for the last two.

    Parameters
    ----------
    n_in, n_out : int >= 1
        Input and output features: ``x`` is ``(..., n_in)``, ``y`` is ``(..., n_out)``.
    bias : bool
        Add ``b`` (shape ``(n_out,)``).
    weight_init : str
        A name in :data:`~mlsheet_utils.algorithms.nn.init.INITIALIZERS` for ``W`` (shape ``(n_in, n_out)``);
        ``b`` starts at zero.
    """

    n_in: int
    n_out: int
    bias: bool = True
    weight_init: str = "xavier_uniform"

    def __post_init__(self):
        check_int(self.n_in, "n_in", low=1)
        check_int(self.n_out, "n_out", low=1)
        if self.weight_init not in init.INITIALIZERS:
            raise ValueError(f"weight_init must be one of {sorted(init.INITIALIZERS)}, got {self.weight_init!r}")

    def param_shapes(self):
        return {"W": (self.n_in, self.n_out), **({"b": (self.n_out,)} if self.bias else {})}

    def init_params(self, rng=0):
        params = {"W": init.INITIALIZERS[self.weight_init]((self.n_in, self.n_out), check_random_state(rng))}
        if self.bias:
            params["b"] = np.zeros(self.n_out)
        return params

    def check_input(self, x):
        return _features(as_array(x, "x"), self.n_in, "n_in")

    def _forward(self, x, params, rng, training):
        y = x @ params["W"]
        if self.bias:
            y = y + params["b"]
        return y, {"x": x, "W": params["W"]}

    def _backward(self, dy, cache):
        x, W = cache["x"], cache["W"]
        grads = {"W": x.reshape(-1, self.n_in).T @ dy.reshape(-1, self.n_out)}
        if self.bias:
            grads["b"] = _sum_leading(dy)
        return dy @ W.T, grads


@dataclass(frozen=True, repr=False)
class Activation(Layer):
    r"""An elementwise non-linearity :math:`y = f(x)`; backward :math:`\partial L/\partial x = f'(x) \odot
    \partial L/\partial y`.

    Parameters
    ----------
    name : str
        ``"relu"``, ``"leaky_relu"``, ``"sigmoid"``, ``"tanh"``, ``"gelu"`` (exact), ``"gelu_tanh"`` (the tanh
        approximation) or ``"softplus"`` (see :mod:`~mlsheet_utils.algorithms.nn.functional`).
    slope : float >= 0
        The negative slope of ``"leaky_relu"`` (ignored otherwise).
    """

    name: str
    slope: float = 0.01

    def __post_init__(self):
        if self.name not in F.ACTIVATIONS:
            raise ValueError(f"name must be one of {sorted(F.ACTIVATIONS)}, got {self.name!r}")
        check_float(self.slope, "slope", low=0)

    def check_input(self, x):
        return F._values(x)

    def _kernels(self):
        f, df = F.ACTIVATIONS[self.name]
        if self.name == "leaky_relu":
            return (lambda x: f(x, self.slope)), (lambda x, y: df(x, y, self.slope))
        return f, df

    def _forward(self, x, params, rng, training):
        y = self._kernels()[0](x)
        return y, {"x": x, "y": y}

    def _backward(self, dy, cache):
        return dy * self._kernels()[1](cache["x"], cache["y"]), {}


@dataclass(frozen=True, repr=False)
class Dropout(Layer):
    r"""Inverted dropout: in training, zero each entry with probability :math:`p` and scale the rest by
    :math:`1/(1-p)`, so :math:`\mathbb{E}[y] = x` and evaluation needs no rescaling.

    .. math:: y = \frac{m \odot x}{1 - p}, \quad m_i \sim \text{Bernoulli}(1 - p), \qquad
              \frac{\partial L}{\partial x} = \frac{m}{1 - p} \odot \frac{\partial L}{\partial y} .

    With ``training=False`` (or :math:`p = 0`) it is the identity. The mask is ``rng.random(x.shape) >= p``, so
    the same ``rng`` seed gives the same mask.

    Parameters
    ----------
    rate : float in [0, 1)
        :math:`p`, the probability of dropping an entry.
    """

    rate: float = 0.5

    def __post_init__(self):
        check_float(self.rate, "rate", low=0, high=1, high_open=True)

    def forward(self, x, params, *, rng=None, training: bool = True):
        if training and self.rate > 0 and rng is None:
            raise ValueError("Dropout in training mode needs rng (an int seed or a numpy.random.Generator)")
        return super().forward(x, params, rng=None if rng is None else check_random_state(rng),
                               training=training)

    def _forward(self, x, params, rng, training):
        if not training or self.rate == 0:
            return x, {"scale": None}
        scale = (rng.random(x.shape) >= self.rate) / (1.0 - self.rate)
        return x * scale, {"scale": scale}

    def _backward(self, dy, cache):
        return (dy if cache["scale"] is None else dy * cache["scale"]), {}


@dataclass(frozen=True)
class Normalized:
    r"""What :func:`normalize` computes, every array shaped like ``x`` or broadcastable to it (``keepdims``).

    Attributes
    ----------
    x_hat : ndarray
        The normalised values :math:`\hat x`.
    inv_std : ndarray
        :math:`1/\sqrt{\sigma^2 + \epsilon}` (without centring: :math:`1/\sqrt{\overline{x^2} + \epsilon}`).
    mean : ndarray
        :math:`\mu` (zeros without centring).
    var : ndarray
        The biased variance :math:`\sigma^2` (without centring: the mean square :math:`\overline{x^2}`).
    """

    x_hat: np.ndarray
    inv_std: np.ndarray
    mean: np.ndarray
    var: np.ndarray


def _axes(axis, ndim: int) -> tuple[int, ...]:
    axes = (axis,) if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool) else axis
    if not isinstance(axes, tuple) or not axes or not all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes):
        raise ValueError(f"axis must be an int or a non-empty tuple of ints, got {axis!r}")
    if any(not -ndim <= a < ndim for a in axes):
        raise ValueError(f"axis {axis!r} is out of range for an array with {ndim} dimension(s)")
    axes = tuple(sorted({int(a) % ndim for a in axes}))
    return axes


def normalize(x, axis=-1, eps: float = 1e-5, *, center: bool = True) -> Normalized:
    r"""Standardise ``x`` over ``axis``: the core of layer, batch and RMS normalisation.

    .. math::
        \mu = \frac{1}{H}\sum_{i} x_i, \quad \sigma^2 = \frac{1}{H}\sum_i (x_i - \mu)^2 \ (\text{biased}),
        \quad \hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}},

    the sums running over the :math:`H` entries that ``axis`` spans (the features of one example for layer
    normalisation, the batch for batch normalisation). With ``center=False`` there is no mean:
    :math:`\hat x_i = x_i / \sqrt{\overline{x^2} + \epsilon}` (RMS normalisation).

    Parameters
    ----------
    x : array_like, shape (...)
    axis : int or tuple of int
        The axes to normalise over.
    eps : float > 0
        Added to the variance inside the square root.
    center : bool
        Subtract the mean (True) or not (RMS normalisation).

    Returns
    -------
    Normalized
        ``x_hat`` shaped like ``x``; ``inv_std``, ``mean``, ``var`` with the reduced axes kept as size 1.
    """
    x = as_array(x, "x")
    if x.ndim == 0:
        raise ValueError("x must have at least one dimension, got a scalar")
    eps = check_float(eps, "eps", low=0, low_open=True)
    return Normalized(*_normalize(x, _axes(axis, x.ndim), eps, bool(center)))


def normalize_backward(g, x_hat, inv_std, axis=-1, *, center: bool = True) -> np.ndarray:
    r"""The gradient through :func:`normalize`: from :math:`g = \partial L/\partial \hat x` to
    :math:`\partial L/\partial x`.

    .. math::
        \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2+\epsilon}}\Bigl(g - \bar g - \hat x\,
        \overline{g \odot \hat x}\Bigr)
        = \frac{1}{H\sqrt{\sigma^2+\epsilon}}\Bigl(H g - \textstyle\sum g - \hat x \sum g\odot\hat x\Bigr),

    bars and sums over ``axis``; without centring the :math:`\bar g` term is absent. The first term passes
    :math:`g` on scaled by :math:`1/\sigma`; the second removes its mean (the output ignores a shift of the
    input, so the gradient sums to zero); the third removes its component along :math:`\hat x` (the output
    ignores a rescaling of the input, so the gradient is orthogonal to :math:`\hat x` when
    :math:`\epsilon = 0`).

    Parameters
    ----------
    g : array_like, shape (...)
        :math:`\partial L/\partial \hat x`, shaped like ``x_hat``.
    x_hat, inv_std : array_like
        From :func:`normalize` (``inv_std`` broadcastable to ``x_hat``).
    axis : int or tuple of int
        The axes :func:`normalize` used.
    center : bool
        As in :func:`normalize`.

    Returns
    -------
    ndarray, shaped like ``g``
    """
    g, x_hat, inv_std = as_array(g, "g"), as_array(x_hat, "x_hat"), as_array(inv_std, "inv_std")
    if g.shape != x_hat.shape:
        raise ValueError(f"g must have the shape of x_hat {x_hat.shape}, got {g.shape}")
    axes = _axes(axis, x_hat.ndim)
    try:
        np.broadcast_shapes(inv_std.shape, x_hat.shape)
    except ValueError:
        raise ValueError(f"inv_std of shape {inv_std.shape} does not broadcast to x_hat {x_hat.shape}") from None
    if np.broadcast_shapes(inv_std.shape, x_hat.shape) != x_hat.shape:
        raise ValueError(f"inv_std of shape {inv_std.shape} must broadcast to x_hat's shape {x_hat.shape}, not "
                         f"beyond it")
    return _normalize_backward(g, x_hat, inv_std, axes, bool(center))


def _normalize(x: np.ndarray, axes: tuple[int, ...], eps: float, center: bool = True):
    """``(x - mean) / sqrt(var + eps)`` over ``axes`` (biased variance): ``(x_hat, inv_std, mean, var)``."""
    if center:
        mean = x.mean(axis=axes, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    else:
        mean = np.zeros_like(x.mean(axis=axes, keepdims=True))
        var = (x**2).mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    return (x - mean) * inv_std, inv_std, mean, var


def _normalize_backward(dx_hat: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray, axes,
                        center: bool = True) -> np.ndarray:
    r""":math:`\partial L/\partial x = \frac{1}{\sigma}\bigl(g - \bar g - \hat x\,\overline{g \hat x}\bigr)`, the
    bars being means over ``axes`` and :math:`g = \partial L/\partial \hat x` (no :math:`\bar g` without
    centring)."""
    projected = dx_hat - x_hat * (dx_hat * x_hat).mean(axis=axes, keepdims=True)
    if center:
        projected = projected - dx_hat.mean(axis=axes, keepdims=True)
    return inv_std * projected


@dataclass(frozen=True, repr=False)
class LayerNorm(Layer):
    r"""Layer normalisation over the features of each example, then a learned scale and shift.

    .. math::
        \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \quad y = \gamma \odot \hat x + \beta, \qquad
        \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2+\epsilon}}\Bigl(g - \bar g - \hat x\,
        \overline{g \odot \hat x}\Bigr), \quad g = \gamma \odot \frac{\partial L}{\partial y},

    where :math:`\mu, \sigma^2` (biased) and the bars are means over the last axis of each example; the gradients
    of :math:`\gamma` and :math:`\beta` sum :math:`\hat x \odot \partial L/\partial y` and :math:`\partial
    L/\partial y` over the leading axes.

    Parameters
    ----------
    n_features : int >= 1
        Size of the last axis; ``gamma`` (ones) and ``beta`` (zeros) have this shape.
    eps : float > 0
    """

    n_features: int
    eps: float = 1e-5

    def __post_init__(self):
        check_int(self.n_features, "n_features", low=1)
        check_float(self.eps, "eps", low=0, low_open=True)

    def param_shapes(self):
        return {"gamma": (self.n_features,), "beta": (self.n_features,)}

    def init_params(self, rng=0):
        check_random_state(rng)
        return {"gamma": np.ones(self.n_features), "beta": np.zeros(self.n_features)}

    def check_input(self, x):
        return _features(as_array(x, "x"), self.n_features)

    def _forward(self, x, params, rng, training):
        x_hat, inv_std, _, _ = _normalize(x, (-1,), self.eps)
        return params["gamma"] * x_hat + params["beta"], {"x_hat": x_hat, "inv_std": inv_std,
                                                          "gamma": params["gamma"]}

    def _backward(self, dy, cache):
        x_hat = cache["x_hat"]
        dx = _normalize_backward(dy * cache["gamma"], x_hat, cache["inv_std"], (-1,))
        return dx, {"gamma": _sum_leading(dy * x_hat), "beta": _sum_leading(dy)}


@dataclass(frozen=True, repr=False)
class RMSNorm(Layer):
    r"""Root-mean-square normalisation over the features of each example (no centring, no shift).

    .. math::
        y = \gamma \odot \frac{x}{\sqrt{\overline{x^2} + \epsilon}}, \qquad
        \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\overline{x^2}+\epsilon}}\Bigl(g - \hat x\,
        \overline{g \odot \hat x}\Bigr), \quad g = \gamma \odot \frac{\partial L}{\partial y},

    the bars being means over the last axis. It keeps the rescaling of :class:`LayerNorm` (the output ignores
    the input's scale) and drops the mean: one reduction instead of two, and no :math:`\beta`. On inputs with
    zero mean over the features it is :class:`LayerNorm` without :math:`\beta`.

    Parameters
    ----------
    n_features : int >= 1
        Size of the last axis; ``gamma`` (ones) has this shape.
    eps : float > 0
    """

    n_features: int
    eps: float = 1e-5

    def __post_init__(self):
        check_int(self.n_features, "n_features", low=1)
        check_float(self.eps, "eps", low=0, low_open=True)

    def param_shapes(self):
        return {"gamma": (self.n_features,)}

    def init_params(self, rng=0):
        check_random_state(rng)
        return {"gamma": np.ones(self.n_features)}

    def check_input(self, x):
        return _features(as_array(x, "x"), self.n_features)

    def _forward(self, x, params, rng, training):
        x_hat, inv_std, _, _ = _normalize(x, (-1,), self.eps, center=False)
        return params["gamma"] * x_hat, {"x_hat": x_hat, "inv_std": inv_std, "gamma": params["gamma"]}

    def _backward(self, dy, cache):
        x_hat = cache["x_hat"]
        dx = _normalize_backward(dy * cache["gamma"], x_hat, cache["inv_std"], (-1,), center=False)
        return dx, {"gamma": _sum_leading(dy * x_hat)}


@dataclass(frozen=True, repr=False)
class BatchNorm(Layer):
    r"""Batch normalisation (training mode): each feature normalised over the batch, then scaled and shifted.

    The same formulas as :class:`LayerNorm` with the means taken over the batch (every axis but the last) instead
    of over the features. Because every output depends on the whole batch, the gradient of one example's
    input has the two correction terms :math:`\bar g` and :math:`\hat x\,\overline{g\hat x}`.

    The running statistics for evaluation are not kept on the layer: the forward cache holds the batch
    ``mean`` and ``var``, :meth:`update_running` returns new running statistics from them, and
    :meth:`inference` normalises with given running statistics.

    Parameters
    ----------
    n_features : int >= 1
    eps : float > 0
    momentum : float in (0, 1]
        Running update :math:`r \leftarrow (1 - m)\,r + m\,s` with the batch statistic :math:`s` (PyTorch's
        convention, unbiased variance; Keras and equinox write the same with their momentum :math:`= 1 - m`).
    """

    n_features: int
    eps: float = 1e-5
    momentum: float = 0.1

    def __post_init__(self):
        check_int(self.n_features, "n_features", low=1)
        check_float(self.eps, "eps", low=0, low_open=True)
        check_float(self.momentum, "momentum", low=0, high=1, low_open=True)

    def param_shapes(self):
        return {"gamma": (self.n_features,), "beta": (self.n_features,)}

    def init_params(self, rng=0):
        check_random_state(rng)
        return {"gamma": np.ones(self.n_features), "beta": np.zeros(self.n_features)}

    def init_running(self) -> dict[str, np.ndarray]:
        """Running statistics before any batch: ``{"mean": zeros, "var": ones}``."""
        return {"mean": np.zeros(self.n_features), "var": np.ones(self.n_features)}

    def check_input(self, x):
        x = _features(as_array(x, "x"), self.n_features)
        if x.ndim < 2:
            raise ValueError(f"x must have shape (batch, ..., {self.n_features}), got shape {x.shape}")
        return x

    def forward(self, x, params, *, rng=None, training: bool = True):
        if not training:
            raise ValueError("BatchNorm.forward is the training pass; evaluate with "
                             "BatchNorm.inference(x, params, running)")
        return super().forward(x, params, rng=rng, training=training)

    def _forward(self, x, params, rng, training):
        axes = tuple(range(x.ndim - 1))
        x_hat, inv_std, mean, var = _normalize(x, axes, self.eps)
        n = math.prod(x.shape[:-1])
        cache = {"x_hat": x_hat, "inv_std": inv_std, "gamma": params["gamma"], "mean": mean.reshape(-1),
                 "var": var.reshape(-1), "n": n}
        return params["gamma"] * x_hat + params["beta"], cache

    def _backward(self, dy, cache):
        x_hat = cache["x_hat"]
        axes = tuple(range(dy.ndim - 1))
        dx = _normalize_backward(dy * cache["gamma"], x_hat, cache["inv_std"], axes)
        return dx, {"gamma": _sum_leading(dy * x_hat), "beta": _sum_leading(dy)}

    def _check_running(self, running) -> None:
        """``running`` as :meth:`init_running` returns it: the keys "mean" and "var", each of shape
        ``(n_features,)``, finite, the variances >= 0."""
        if not isinstance(running, dict) or set(running) != {"mean", "var"}:
            got = sorted(map(str, running)) if isinstance(running, dict) else type(running).__name__
            raise ValueError(f"running must be a dict with the keys ['mean', 'var'] (see init_running), got {got}")
        for key in ("mean", "var"):
            stat = as_array(running[key], f"running[{key!r}]")
            if stat.shape != (self.n_features,):
                raise ValueError(f"running[{key!r}] must have shape ({self.n_features},), got {stat.shape}")
            if key == "var" and stat.min() < 0:
                raise ValueError(f"running['var'] must be >= 0 (a variance), got a minimum of {stat.min():g}")

    def update_running(self, running, cache) -> dict[str, np.ndarray]:
        r"""New running statistics :math:`(1-m)\,r + m\,s` from a forward cache (unbiased batch variance
        :math:`\frac{n}{n-1}\sigma^2`); ``running`` is not modified. ``running`` is shaped as :meth:`init_running`
        returns it (the keys ``"mean"`` and ``"var"``, each of shape ``(n_features,)``, the variances >= 0)."""
        self._check_running(running)
        if not isinstance(cache, dict) or not {"n", "mean", "var"} <= set(cache):
            raise ValueError("cache must be the second value returned by BatchNorm.forward")
        n = cache["n"]
        unbiased = cache["var"] * (n / (n - 1) if n > 1 else 1.0)
        m = self.momentum
        return {"mean": (1 - m) * as_array(running["mean"], "running['mean']") + m * cache["mean"],
                "var": (1 - m) * as_array(running["var"], "running['var']") + m * unbiased}

    def inference(self, x, params, running) -> np.ndarray:
        r"""Evaluation mode: :math:`y = \gamma (x - r_\mu) / \sqrt{r_{\sigma^2} + \epsilon} + \beta`
        (``running`` as in :meth:`update_running`)."""
        x = _features(as_array(x, "x"), self.n_features)
        params = self.check_params(params)
        self._check_running(running)
        mean, var = as_array(running["mean"], "running['mean']"), as_array(running["var"], "running['var']")
        return params["gamma"] * (x - mean) / np.sqrt(var + self.eps) + params["beta"]


@dataclass(frozen=True)
class BatchNormTrace:
    r"""What :func:`batch_norm_trace` records at every step, each array of shape ``(T, n_features)``.

    Attributes
    ----------
    batch_mean, batch_var : ndarray
        The batch statistics :math:`\mu_B` and the biased :math:`\sigma_B^2`.
    running_mean, running_var : ndarray
        The running statistics after the step's update.
    train_probe : ndarray
        The training-mode output for the probe when it takes the place of the batch's first example.
    eval_probe : ndarray
        The evaluation-mode output for the probe with the running statistics after the step.
    """

    batch_mean: np.ndarray
    batch_var: np.ndarray
    running_mean: np.ndarray
    running_var: np.ndarray
    train_probe: np.ndarray
    eval_probe: np.ndarray


def batch_norm_trace(layer: BatchNorm, params, batches, probe) -> BatchNormTrace:
    r"""Feed a stream of batches through a :class:`BatchNorm` in training mode and record what it does.

    At step :math:`t` the batch :math:`x^{(t)}` (shape ``(N, n_features)``) gives :math:`\mu_B, \sigma_B^2`,
    the running statistics are updated with :meth:`BatchNorm.update_running` (starting from
    :meth:`BatchNorm.init_running`), and the fixed ``probe`` is normalised twice: in training mode with the
    first example of the batch replaced by it, and in evaluation mode (:meth:`BatchNorm.inference`).

    Parameters
    ----------
    layer : BatchNorm
    params : dict
        ``gamma`` and ``beta``.
    batches : array_like, shape (T, N, n_features)
    probe : array_like, shape (n_features,)

    Returns
    -------
    BatchNormTrace
    """
    if not isinstance(layer, BatchNorm):
        raise ValueError(f"layer must be a BatchNorm, got {type(layer).__name__}")
    params = layer.check_params(params)
    batches = as_array(batches, "batches", ndim=3)
    if batches.shape[-1] != layer.n_features or batches.shape[0] < 1 or batches.shape[1] < 1:
        raise ValueError(f"batches must have shape (T, N, {layer.n_features}) with T, N >= 1, "
                         f"got {batches.shape}")
    probe = as_array(probe, "probe", ndim=1)
    if probe.shape != (layer.n_features,):
        raise ValueError(f"probe must have shape ({layer.n_features},), got {probe.shape}")
    running = layer.init_running()
    rows = []
    for xb in batches:
        _, cache = layer._forward(xb, params, None, True)
        running = layer.update_running(running, cache)
        y_probe = layer._forward(np.vstack([probe, xb[1:]]), params, None, True)[0][0]
        y_eval = params["gamma"] * (probe - running["mean"]) / np.sqrt(running["var"] + layer.eps) + params["beta"]
        rows.append((cache["mean"], cache["var"], running["mean"], running["var"], y_probe, y_eval))
    return BatchNormTrace(*(np.array(column) for column in zip(*rows)))


@dataclass(frozen=True, repr=False)
class Embedding(Layer):
    r"""A lookup table: integer ids ``x`` pick rows of ``W`` (shape ``(n_embeddings, dim)``), ``y = W[x]``.

    The same as a :class:`Linear` layer without bias applied to one-hot vectors, computed without them. The
    gradient adds :math:`\partial L/\partial y` into the picked rows (an id used twice gets both):
    :math:`\partial L/\partial W_v = \sum_{i: x_i = v} \partial L/\partial y_i`. Ids have no gradient, so
    ``backward`` returns ``dx = None``.

    Parameters
    ----------
    n_embeddings : int >= 1
        Vocabulary size; ids are in ``0 .. n_embeddings - 1``.
    dim : int >= 1
        Width of each embedding. ``W`` starts as :math:`\mathcal{N}(0, 1)` entries (as in PyTorch and equinox).
    """

    n_embeddings: int
    dim: int

    def __post_init__(self):
        check_int(self.n_embeddings, "n_embeddings", low=1)
        check_int(self.dim, "dim", low=1)

    def param_shapes(self):
        return {"W": (self.n_embeddings, self.dim)}

    def init_params(self, rng=0):
        return {"W": init.normal((self.n_embeddings, self.dim), check_random_state(rng))}

    def check_input(self, x):
        ids = np.asarray(x)
        if not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"x must hold integer ids, got dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.n_embeddings):
            raise ValueError(f"x must hold ids in [0, {self.n_embeddings - 1}], got values in "
                             f"[{ids.min()}, {ids.max()}]")
        return ids

    def _forward(self, x, params, rng, training):
        return params["W"][x], {"ids": x}

    def _backward(self, dy, cache):
        dW = np.zeros((self.n_embeddings, self.dim))
        np.add.at(dW, cache["ids"].reshape(-1), dy.reshape(-1, self.dim))
        return None, {"W": dW}


class Sequential(Layer):
    r"""Layers applied one after the other: :math:`y = f_k(\dots f_2(f_1(x)))`; backward runs them in reverse,
    each passing :math:`\partial L/\partial(\text{its input})` to the layer before.

    Parameters
    ----------
    *layers : Layer
        At least one. ``params`` is a list with one dict per layer (``[]``-indexed like ``layers``), and so are
        ``grads``. A drawing layer (:class:`Dropout`) gets the same ``rng`` stream, in order.
    """

    def __init__(self, *layers: Layer):
        if not layers:
            raise ValueError("Sequential needs at least one layer in layers, got none")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise ValueError(f"layers[{i}] must be a Layer, got {type(layer).__name__}")
        self.layers = tuple(layers)

    def __repr__(self) -> str:
        return f"Sequential({', '.join(map(repr, self.layers))})"

    def init_params(self, rng=0) -> list[dict[str, np.ndarray]]:
        rng = check_random_state(rng)
        return [layer.init_params(rng) for layer in self.layers]

    def check_params(self, params):
        if not isinstance(params, (list, tuple)) or len(params) != len(self.layers):
            raise ValueError(f"params of Sequential must be a list of {len(self.layers)} dicts, one per layer, "
                             f"got {type(params).__name__}"
                             + (f" of length {len(params)}" if isinstance(params, (list, tuple)) else ""))
        return [layer.check_params(p) for layer, p in zip(self.layers, params)]

    def check_input(self, x):
        return self.layers[0].check_input(x)

    def forward(self, x, params, *, rng=None, training: bool = True):
        """Checked: every layer checks its own input on the way, so a size mismatch names the layer."""
        params = self.check_params(params)
        rng = None if rng is None else check_random_state(rng)
        caches = []
        for i, (layer, p) in enumerate(zip(self.layers, params)):
            try:
                x, cache = layer.forward(x, p, rng=rng, training=training)
            except ValueError as exc:
                raise ValueError(f"layer {i} ({layer}): {exc}") from None
            caches.append(cache)
        return x, {"caches": caches, "y_shape": x.shape}

    def _forward(self, x, params, rng, training):
        rng = None if rng is None else check_random_state(rng)
        caches = []
        for layer, p in zip(self.layers, params):
            x, cache = layer._forward(x, p, rng, training)
            caches.append(cache)
        return x, {"caches": caches}

    def _backward(self, dy, cache):
        grads = [None] * len(self.layers)
        for i in reversed(range(len(self.layers))):
            dy, grads[i] = self.layers[i]._backward(dy, cache["caches"][i])
        return dy, grads


@dataclass(frozen=True, repr=False)
class Residual(Layer):
    r"""A residual block with a normalisation, in one of the two places a transformer puts it.

    .. math::
        \text{pre-norm:}\ y = x + f(N(x)), \qquad \text{post-norm:}\ y = N(x + f(x)),

    with :math:`f` the ``body`` (its output shaped like its input) and :math:`N` the ``norm`` layer. Backward,
    pre-norm: :math:`\partial L/\partial x = \partial L/\partial y + J_N^\top J_f^\top\, \partial L/\partial y`
    (the identity path carries the gradient past every block untouched); post-norm:
    :math:`\partial L/\partial x = (I + J_f)^\top J_N^\top\,\partial L/\partial y` (every block's normalisation
    sits on the path).

    Parameters
    ----------
    body : Layer
        :math:`f`, e.g. ``Sequential(Linear(d, h), Activation("relu"), Linear(h, d))``.
    norm : Layer
        :math:`N`, e.g. ``LayerNorm(d)`` or ``RMSNorm(d)``.
    placement : {"pre", "post"}

    ``params`` is ``{"body": <body's params>, "norm": <norm's params>}``, and so are ``grads``.
    """

    body: Layer
    norm: Layer
    placement: str = "pre"

    def __post_init__(self):
        for name in ("body", "norm"):
            if not isinstance(getattr(self, name), Layer):
                raise ValueError(f"{name} must be a Layer, got {type(getattr(self, name)).__name__}")
        if self.placement not in ("pre", "post"):
            raise ValueError(f"placement must be 'pre' or 'post', got {self.placement!r}")

    def init_params(self, rng=0):
        rng = check_random_state(rng)
        return {"body": self.body.init_params(rng), "norm": self.norm.init_params(rng)}

    def check_params(self, params):
        if not isinstance(params, dict) or set(params) != {"body", "norm"}:
            raise ValueError(f"params of {self} must be a dict with the keys ['body', 'norm'], got "
                             f"{sorted(params) if isinstance(params, dict) else type(params).__name__}")
        return {"body": self.body.check_params(params["body"]), "norm": self.norm.check_params(params["norm"])}

    def check_input(self, x):
        return self.norm.check_input(x)

    def _forward(self, x, params, rng, training):
        h, norm_cache = self.norm._forward(x, params["norm"], rng, training) if self.placement == "pre" else (x, None)
        u, body_cache = self.body._forward(h, params["body"], rng, training)
        if u.shape != x.shape:
            raise ValueError(f"body must keep the input's shape {x.shape}, got {u.shape}")
        if self.placement == "pre":
            return x + u, {"body": body_cache, "norm": norm_cache}
        y, norm_cache = self.norm._forward(x + u, params["norm"], rng, training)
        return y, {"body": body_cache, "norm": norm_cache}

    def _backward(self, dy, cache):
        if self.placement == "pre":
            dh, body_grads = self.body._backward(dy, cache["body"])
            dx_norm, norm_grads = self.norm._backward(dh, cache["norm"])
            dx = dy + dx_norm
        else:
            ds, norm_grads = self.norm._backward(dy, cache["norm"])
            dx_body, body_grads = self.body._backward(ds, cache["body"])
            dx = ds + dx_body
        return dx, {"body": body_grads, "norm": norm_grads}

r"""Recurrent layers unrolled over a sequence, with backpropagation through time (BPTT).

- :class:`SimpleRNN`  :math:`h_t = f(x_t W_x + h_{t-1} W_h + b)` (Elman network);
- :class:`LSTM`       long short-term memory, gates in the order ``i, f, g, o`` (as PyTorch and equinox);
- :class:`GRU`        gated recurrent unit, gates in the order ``r, z, n`` (as PyTorch and equinox);
- :class:`LastStep`   keeps the last time step of a sequence (a many-to-one read-out);
- :func:`bptt`        forward and backward pass at once, returning also the gradient that reaches every hidden
  state (a :class:`BPTTResult`);
- :func:`gradient_norms` :math:`\lVert \partial (u^\top h_T) / \partial h_t \rVert` for every :math:`t`: how a
  signal at the last step fades (or grows) on its way back;
- :func:`with_spectral_radius` rescales a square matrix to a given spectral radius;
- :func:`count_params` the number of weights of a layer.

Each layer is a :class:`~mlsheet_utils.algorithms.nn.layers.Layer`: ``forward(x, params) -> (H, cache)`` with
``x`` of shape ``(T, n_in)`` or ``(batch, T, n_in)`` and ``H`` the hidden states :math:`h_1 \dots h_T`, shape
``(T, n_hidden)`` or ``(batch, T, n_hidden)``; the initial state is zero. ``backward(dH, cache) -> (dx,
grads)`` takes :math:`\partial L/\partial h_t` for every output (zeros where the loss does not
look) and runs BPTT: walking back from :math:`t = T`, the gradient reaching :math:`h_t` is the direct one plus
the one carried from step :math:`t + 1`, and every step adds its share to the shared weights' gradients.

Weight layout (row vectors, ``x W``): ``W_x`` is ``(n_in, k H)``, ``W_h`` is ``(H, k H)``, ``b`` is ``(k H,)``,
with one block of ``H`` columns per gate (``k = 1, 4, 3``). equinox's ``weight_ih``, ``weight_hh`` are the
transposes. PyTorch keeps two biases ``b_ih`` and ``b_hh`` per gate; only their sum matters, except for the GRU's
candidate, where ``b_hn`` sits inside the reset product and is kept apart here (``b_hn``, like equinox's
``bias_n``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn import functional as F
from mlsheet_utils.algorithms.nn.layers import Layer
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

__all__ = ["BPTTResult", "GRU", "LSTM", "LastStep", "SimpleRNN", "bptt", "count_params", "gradient_norms",
           "with_spectral_radius"]


def _sig(a: np.ndarray) -> np.ndarray:
    return F._sigmoid(a)


class _Recurrent(Layer):
    """Shared unrolling: subclasses define ``n_gates``, ``n_states``, ``_step`` and ``_step_back``."""

    n_gates = 1
    n_states = 1

    def __post_init__(self):
        check_int(self.n_in, "n_in", low=1)
        check_int(self.n_hidden, "n_hidden", low=1)

    def param_shapes(self):
        k, H = self.n_gates, self.n_hidden
        return {"W_x": (self.n_in, k * H), "W_h": (H, k * H), "b": (k * H,)}

    def init_params(self, rng=0):
        r"""Weights uniform in :math:`\pm 1/\sqrt{H}` (PyTorch's and equinox's default), biases zero."""
        rng = check_random_state(rng)
        lim = 1.0 / math.sqrt(self.n_hidden)
        shapes = self.param_shapes()
        return {name: (rng.uniform(-lim, lim, shape) if name.startswith("W") else np.zeros(shape))
                for name, shape in shapes.items()}

    def check_input(self, x):
        x = as_array(x, "x")
        if x.ndim not in (2, 3) or x.shape[-1] != self.n_in or x.shape[-2] < 1:
            raise ValueError(f"x must have shape (T, {self.n_in}) or (batch, T, {self.n_in}) with T >= 1, "
                             f"got shape {x.shape}")
        return x

    def _forward(self, x, params, rng, training):
        x3 = x if x.ndim == 3 else x[None]
        B, T, _ = x3.shape
        state = tuple(np.zeros((B, self.n_hidden)) for _ in range(self.n_states))
        out = np.empty((B, T, self.n_hidden))
        steps = []
        for t in range(T):
            state, step_cache = self._step(x3[:, t], state, params)
            steps.append(step_cache)
            out[:, t] = state[0]
        cache = {"steps": steps, "params": params, "batched": x.ndim == 3, "n_in": self.n_in}
        return (out if x.ndim == 3 else out[0]), cache

    def _bptt(self, dy, cache, truncate=None):
        """BPTT: ``(dx, grads, dh)`` with ``dh[:, t]`` the total gradient reaching :math:`h_t`, t = 0..T; with
        ``truncate = k`` the carried gradient is dropped at every multiple of ``k`` steps (chunked BPTT)."""
        p, steps = cache["params"], cache["steps"]
        dy3 = dy if cache["batched"] else dy[None]
        B, T, H = dy3.shape
        grads = {name: np.zeros_like(value) for name, value in p.items()}
        dx = np.empty((B, T, cache["n_in"]))
        dh = np.empty((B, T + 1, H))
        dstate = tuple(np.zeros((B, H)) for _ in range(self.n_states))
        for t in reversed(range(T)):
            dstate = (dstate[0] + dy3[:, t],) + dstate[1:]
            dh[:, t + 1] = dstate[0]
            dstate, dx[:, t] = self._step_back(dstate, steps[t], p, grads)
            if truncate is not None and t % truncate == 0:
                dstate = tuple(np.zeros_like(d) for d in dstate)
        dh[:, 0] = dstate[0]
        if not cache["batched"]:
            dx, dh = dx[0], dh[0]
        return dx, grads, dh

    def _backward(self, dy, cache):
        dx, grads, _ = self._bptt(dy, cache)
        return dx, grads


@dataclass(frozen=True, repr=False)
class SimpleRNN(_Recurrent):
    r"""Elman recurrent layer :math:`h_t = f(a_t)`, :math:`a_t = x_t W_x + h_{t-1} W_h + b`, :math:`h_0 = 0`.

    Backward, for one step with :math:`\delta_t = \partial L/\partial h_t` (direct plus carried):

    .. math::
        \partial L/\partial a_t = \delta_t \odot f'(a_t), \quad
        \delta_{t-1} \mathrel{+}= (\partial L/\partial a_t)\, W_h^\top, \quad
        \partial L/\partial x_t = (\partial L/\partial a_t)\, W_x^\top,

    and :math:`W_x, W_h, b` collect :math:`x_t^\top (\partial L/\partial a_t)`,
    :math:`h_{t-1}^\top (\partial L/\partial a_t)` and :math:`\sum (\partial L/\partial a_t)` over every step.
    So :math:`\partial h_T/\partial h_t = \prod_{s=t+1}^{T} \operatorname{diag}(f'(a_s))\,W_h^\top` (column
    vectors): a product of :math:`T - t` Jacobians, which shrinks or grows geometrically with the spectral radius
    of :math:`W_h` (times the slope of :math:`f`).

    Parameters
    ----------
    n_in, n_hidden : int >= 1
    activation : str
        A name of :data:`~mlsheet_utils.algorithms.nn.functional.ACTIVATIONS` (``"tanh"`` by default).
    """

    n_in: int
    n_hidden: int
    activation: str = "tanh"

    def __post_init__(self):
        super().__post_init__()
        if self.activation not in F.ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(F.ACTIVATIONS)}, got {self.activation!r}")

    def _step(self, x_t, state, p):
        f = F.ACTIVATIONS[self.activation][0]
        h_prev = state[0]
        a = x_t @ p["W_x"] + h_prev @ p["W_h"] + p["b"]
        h = f(a)
        return (h,), (x_t, h_prev, a, h)

    def _step_back(self, dstate, step_cache, p, grads):
        df = F.ACTIVATIONS[self.activation][1]
        x_t, h_prev, a, h = step_cache
        da = dstate[0] * df(a, h)
        grads["W_x"] += x_t.T @ da
        grads["W_h"] += h_prev.T @ da
        grads["b"] += da.sum(axis=0)
        return (da @ p["W_h"].T,), da @ p["W_x"].T


@dataclass(frozen=True, repr=False)
class LSTM(_Recurrent):
    r"""Long short-term memory layer; gates :math:`i, f, g, o` are the four column blocks of
    :math:`z_t = x_t W_x + h_{t-1} W_h + b`:

    .. math::
        i_t = \sigma(z^i_t),\ f_t = \sigma(z^f_t),\ g_t = \tanh(z^g_t),\ o_t = \sigma(z^o_t), \qquad
        c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t),

    with :math:`h_0 = c_0 = 0`. Backward, given :math:`\partial L/\partial h_t` and the carried
    :math:`\partial L/\partial c_t`:

    .. math::
        \bar c_t = \frac{\partial L}{\partial c_t} + \frac{\partial L}{\partial h_t} \odot o_t \odot
        (1 - \tanh^2 c_t), \quad
        \frac{\partial L}{\partial c_{t-1}} = \bar c_t \odot f_t, \quad
        \frac{\partial L}{\partial o_t} = \frac{\partial L}{\partial h_t} \odot \tanh c_t, \quad
        \frac{\partial L}{\partial f_t} = \bar c_t \odot c_{t-1}, \ \dots

    The cell's own path multiplies the gradient by :math:`f_t` and nothing else (no weight matrix, no
    squashing slope), which is why a forget gate near 1 carries it far.

    Parameters
    ----------
    n_in, n_hidden : int >= 1
    forget_bias : float
        Initial value of the forget block of ``b`` (0 in PyTorch and equinox, 1 in Keras' ``unit_forget_bias``).
    """

    n_in: int
    n_hidden: int
    forget_bias: float = 0.0
    n_gates = 4
    n_states = 2

    def __post_init__(self):
        super().__post_init__()
        check_float(self.forget_bias, "forget_bias")

    def init_params(self, rng=0):
        params = super().init_params(rng)
        params["b"][self.n_hidden:2 * self.n_hidden] = self.forget_bias
        return params

    def _step(self, x_t, state, p):
        h_prev, c_prev = state
        H = self.n_hidden
        z = x_t @ p["W_x"] + h_prev @ p["W_h"] + p["b"]
        i, f, o = _sig(z[:, :H]), _sig(z[:, H:2 * H]), _sig(z[:, 3 * H:])
        g = np.tanh(z[:, 2 * H:3 * H])
        c = f * c_prev + i * g
        tc = np.tanh(c)
        h = o * tc
        return (h, c), (x_t, h_prev, c_prev, i, f, g, o, tc)

    def _step_back(self, dstate, step_cache, p, grads):
        dh, dc = dstate
        x_t, h_prev, c_prev, i, f, g, o, tc = step_cache
        dc = dc + dh * o * (1.0 - tc * tc)
        dz = np.concatenate([dc * g * i * (1.0 - i), dc * c_prev * f * (1.0 - f), dc * i * (1.0 - g * g),
                             dh * tc * o * (1.0 - o)], axis=1)
        grads["W_x"] += x_t.T @ dz
        grads["W_h"] += h_prev.T @ dz
        grads["b"] += dz.sum(axis=0)
        return (dz @ p["W_h"].T, dc * f), dz @ p["W_x"].T


@dataclass(frozen=True, repr=False)
class GRU(_Recurrent):
    r"""Gated recurrent unit; gates :math:`r, z` and candidate :math:`n` are the three column blocks:

    .. math::
        r_t = \sigma(x_t W^r_x + h_{t-1} W^r_h + b^r), \quad z_t = \sigma(x_t W^z_x + h_{t-1} W^z_h + b^z),

        n_t = \tanh\bigl(x_t W^n_x + b^n + r_t \odot (h_{t-1} W^n_h + b_{hn})\bigr), \qquad
        h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1},

    with :math:`h_0 = 0`. :math:`h_t` is a convex combination of the old state and the candidate, so with
    :math:`z_t \to 1` it copies :math:`h_{t-1}` and :math:`\partial h_t / \partial h_{t-1} \to I`. Backward, with
    :math:`\delta = \partial L/\partial h_t`: :math:`\partial L/\partial n_t = \delta \odot (1 - z_t)`,
    :math:`\partial L/\partial z_t = \delta \odot (h_{t-1} - n_t)`, the direct share
    :math:`\delta \odot z_t` to :math:`h_{t-1}`, then the chain rule through the reset product.

    Parameters
    ----------
    n_in, n_hidden : int >= 1
        ``params`` are ``W_x`` (n_in, 3H), ``W_h`` (H, 3H), ``b`` (3H,) and ``b_hn`` (H,), the hidden-side bias
        of the candidate, which the reset gate multiplies.
    """

    n_in: int
    n_hidden: int
    n_gates = 3

    def param_shapes(self):
        return {**super().param_shapes(), "b_hn": (self.n_hidden,)}

    def _step(self, x_t, state, p):
        h_prev = state[0]
        H = self.n_hidden
        gi = x_t @ p["W_x"] + p["b"]
        gh = h_prev @ p["W_h"]
        r = _sig(gi[:, :H] + gh[:, :H])
        z = _sig(gi[:, H:2 * H] + gh[:, H:2 * H])
        hn = gh[:, 2 * H:] + p["b_hn"]
        n = np.tanh(gi[:, 2 * H:] + r * hn)
        h = (1.0 - z) * n + z * h_prev
        return (h,), (x_t, h_prev, r, z, n, hn)

    def _step_back(self, dstate, step_cache, p, grads):
        dh = dstate[0]
        x_t, h_prev, r, z, n, hn = step_cache
        dan = dh * (1.0 - z) * (1.0 - n * n)
        dar = dan * hn * r * (1.0 - r)
        daz = dh * (h_prev - n) * z * (1.0 - z)
        dhn = dan * r
        dgi = np.concatenate([dar, daz, dan], axis=1)
        dgh = np.concatenate([dar, daz, dhn], axis=1)
        grads["W_x"] += x_t.T @ dgi
        grads["b"] += dgi.sum(axis=0)
        grads["W_h"] += h_prev.T @ dgh
        grads["b_hn"] += dhn.sum(axis=0)
        return (dh * z + dgh @ p["W_h"].T,), dgi @ p["W_x"].T


@dataclass(frozen=True, repr=False)
class LastStep(Layer):
    r"""The last time step of a sequence: ``(..., T, n) -> (..., n)``; backward puts :math:`\partial L/\partial y`
    at step :math:`T` and zeros elsewhere. Put after a recurrent layer for a many-to-one model."""

    def check_input(self, x):
        x = as_array(x, "x")
        if x.ndim < 2 or x.shape[-2] < 1:
            raise ValueError(f"x must have shape (..., T, n_features) with T >= 1, got shape {x.shape}")
        return x

    def _forward(self, x, params, rng, training):
        return x[..., -1, :], {"x_shape": x.shape}

    def _backward(self, dy, cache):
        dx = np.zeros(cache["x_shape"])
        dx[..., -1, :] = dy
        return dx, {}


def _check_recurrent(layer) -> None:
    if not isinstance(layer, _Recurrent):
        raise ValueError(f"layer must be a SimpleRNN, LSTM or GRU, got {type(layer).__name__}")


@dataclass(frozen=True)
class BPTTResult:
    r"""What :func:`bptt` returns.

    Attributes
    ----------
    outputs : numpy.ndarray, shape ([batch,] T, H)
        The hidden states :math:`h_1 \dots h_T`.
    dx : numpy.ndarray, shape of ``x``
        :math:`\partial L/\partial x_t` for every step.
    grads : dict of numpy.ndarray
        :math:`\partial L/\partial \theta`, the keys of ``params``.
    dh : numpy.ndarray, shape ([batch,] T + 1, H)
        ``dh[..., t, :]`` is the total gradient :math:`\partial L/\partial h_t` (direct and through later
        steps) for :math:`t = 0 \dots T`, :math:`h_0` being the initial state.
    """

    outputs: np.ndarray
    dx: np.ndarray
    grads: dict
    dh: np.ndarray


def bptt(layer, params, x, dy, *, truncate: int | None = None) -> BPTTResult:
    r"""Forward pass over ``x``, then backpropagation through time of ``dy`` (:math:`\partial L/\partial h_t`).

    The gradient of a shared weight is the sum over steps of each step's local contribution,

    .. math:: \frac{\partial L}{\partial W} = \sum_{t=1}^{T} \delta_t^\top\text{-weighted local term}, \qquad
              \delta_{t-1} = \frac{\partial L}{\partial h_{t-1}}\Big|_{\text{direct}} +
              \delta_t \frac{\partial h_t}{\partial h_{t-1}} .

    Parameters
    ----------
    layer : SimpleRNN, LSTM or GRU
    params : dict of arrays (``layer.param_shapes()``)
    x : array_like, shape (T, n_in) or (batch, T, n_in)
    dy : array_like, the output's shape
    truncate : int >= 1, optional
        Truncated BPTT in chunks of ``truncate`` steps (as detaching the state every ``k`` steps): the forward
        pass runs over the whole sequence, but the gradient carried back into :math:`h_t` from later steps is
        dropped when :math:`t` is a multiple of ``k`` (:math:`h_t` starts a chunk; its direct loss term stays),
        so no gradient crosses a chunk boundary and only ``k`` steps of activations need to be held at once.
        ``None``: full BPTT.

    Returns
    -------
    BPTTResult
        With ``truncate``, ``dh`` holds the truncated gradients.
    """
    _check_recurrent(layer)
    truncate = None if truncate is None else check_int(truncate, "truncate", low=1)
    out, cache = layer.forward(x, params)
    dy = as_array(dy, "dy")
    if dy.ndim == out.ndim and dy.shape[:-1] != out.shape[:-1]:
        raise ValueError(f"dy must have one row per step of x, shape {out.shape}, got {dy.shape}")
    if dy.shape != out.shape:
        raise ValueError(f"dy must have the output's shape {out.shape}, got {dy.shape}")
    dx, grads, dh = layer._bptt(dy, cache, truncate)
    return BPTTResult(out, dx, grads, dh)


def gradient_norms(layer, params, x, *, rng=0) -> np.ndarray:
    r"""How much of a gradient at the last step reaches each earlier hidden state.

    For a loss :math:`L = u^\top h_T` with a random unit vector :math:`u`, returns
    :math:`\lVert \partial L/\partial h_t \rVert_2 = \lVert (\partial h_T/\partial h_t)^\top u \rVert_2` for
    :math:`t = 0 \dots T` (the last entry is 1). Index :math:`T - t` is the time lag.

    Parameters
    ----------
    layer : SimpleRNN, LSTM or GRU
    params : dict of arrays
    x : array_like, shape (T, n_in) or (batch, T, n_in)
    rng : int or numpy.random.Generator
        Draws :math:`u` (one per sequence).

    Returns
    -------
    numpy.ndarray, shape ([batch,] T + 1)
    """
    _check_recurrent(layer)
    out, cache = layer.forward(x, params)
    u = check_random_state(rng).standard_normal(out.shape[:-2] + (layer.n_hidden,))
    u /= np.linalg.norm(u, axis=-1, keepdims=True)
    dy = np.zeros(out.shape)
    dy[..., -1, :] = u
    return np.linalg.norm(layer._bptt(dy, cache)[2], axis=-1)


def with_spectral_radius(W, rho: float) -> np.ndarray:
    r"""``W`` scaled so that its largest eigenvalue modulus is ``rho``: :math:`\rho\,W / \max_i |\lambda_i(W)|`.

    Parameters
    ----------
    W : array_like, shape (n, n), spectral radius > 0
    rho : float >= 0

    Returns
    -------
    numpy.ndarray, shape (n, n)
    """
    W = as_array(W, "W", ndim=2)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be square, got shape {W.shape}")
    rho = check_float(rho, "rho", low=0)
    current = float(np.max(np.abs(np.linalg.eigvals(W))))
    if current == 0:
        raise ValueError("W has spectral radius 0 (nilpotent or zero); it cannot be rescaled")
    return W * (rho / current)


def count_params(layer) -> int:
    r"""Number of weights of a layer: the sum of the sizes of :meth:`param_shapes`.

    For input size :math:`I` and hidden size :math:`H`: :class:`SimpleRNN` :math:`H(I + H) + H`,
    :class:`LSTM` :math:`4(H(I + H) + H)`, :class:`GRU` :math:`3(H(I + H) + H) + H`.
    """
    if not isinstance(layer, Layer):
        raise ValueError(f"layer must be a Layer, got {type(layer).__name__}")
    return int(sum(math.prod(shape) for shape in layer.param_shapes().values()))

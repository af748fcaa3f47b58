r"""The transformer encoder block and the positional encodings it needs.

- :func:`sinusoidal_encoding`: the fixed sine/cosine table :math:`PE \in \mathbb{R}^{L\times d}`;
- :func:`encoding_rotation`: the block-diagonal rotation :math:`R(k)` with :math:`PE_{p+k} = R(k)\,PE_p`;
- :func:`offset_similarity`: :math:`PE_p\cdot PE_{p+k}` as a function of the offset :math:`k` alone;
- :func:`apply_rope`: rotary position embedding of queries or keys (rotate each pair by :math:`p\,\omega_i`);
- :class:`LearnedPositions`: a learned table added to the input, as a layer (forward/backward pair);
- :class:`FeedForward`: the position-wise network ``Linear -> Activation -> Linear`` as a layer;
- :class:`EncoderBlock`: multi-head self-attention and the feed-forward network, each inside a
  :class:`~mlsheet_utils.algorithms.nn.layers.Residual` with a ``LayerNorm`` (post- or pre-norm);
- :func:`encoder_block_cost` (:class:`BlockCost`): parameters and multiply-adds of one block.

Conventions: float64 arrays; a sequence is ``(..., n, d_model)``; angular frequencies
:math:`\omega_i = \text{base}^{-2i/d}` for :math:`i = 0, \dots, \lceil d/2\rceil - 1`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn import functional as F
from mlsheet_utils.algorithms.nn import init
from mlsheet_utils.algorithms.nn.attention import MultiHeadAttention
from mlsheet_utils.algorithms.nn.layers import Activation, Layer, LayerNorm, Linear, Residual, Sequential, _features
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

__all__ = ["BlockCost", "EncoderBlock", "FeedForward", "LearnedPositions", "apply_rope", "encoder_block_cost",
           "encoding_rotation", "frequencies", "offset_similarity", "sinusoidal_encoding"]


def frequencies(d_model: int, base: float = 10000.0) -> np.ndarray:
    r"""Angular frequencies :math:`\omega_i = \text{base}^{-2i/d_{\text{model}}}`, :math:`i = 0..\lceil d/2\rceil-1`.

    Shape ``(ceil(d_model / 2),)``; wavelengths :math:`2\pi/\omega_i` run geometrically from :math:`2\pi` to
    just under :math:`2\pi\,\text{base}`.
    """
    d_model = check_int(d_model, "d_model", low=1)
    base = check_float(base, "base", low=1, low_open=True)
    return base ** (-2.0 * np.arange((d_model + 1) // 2) / d_model)


def sinusoidal_encoding(max_len: int, d_model: int, base: float = 10000.0) -> np.ndarray:
    r"""The sinusoidal table of "Attention is all you need".

    .. math::
        PE_{p,\,2i} = \sin(p\,\omega_i), \qquad PE_{p,\,2i+1} = \cos(p\,\omega_i), \qquad
        \omega_i = \text{base}^{-2i/d_{\text{model}}},

    for positions :math:`p = 0, \dots, \text{max\_len} - 1` (an odd ``d_model`` ends on a sine column).

    Returns
    -------
    ndarray, shape ``(max_len, d_model)``
    """
    max_len = check_int(max_len, "max_len", low=1)
    omega = frequencies(d_model, base)
    angles = np.arange(max_len)[:, None] * omega[None, :]
    pe = np.empty((max_len, d_model))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles[:, : d_model // 2])
    return pe


def encoding_rotation(k: float, d_model: int, base: float = 10000.0) -> np.ndarray:
    r"""The matrix :math:`R(k)` with :math:`PE_{p+k} = R(k)\,PE_p` for every position :math:`p`.

    Block diagonal, one :math:`2\times 2` block per frequency acting on :math:`(\sin, \cos)`:

    .. math::
        R_i(k) = \begin{pmatrix} \cos k\omega_i & \sin k\omega_i \\ -\sin k\omega_i & \cos k\omega_i
        \end{pmatrix}

    (a lone last sine column of an odd ``d_model`` has no partner and gets no block: its entry is 0).
    Shape ``(d_model, d_model)``; orthogonal when ``d_model`` is even.
    """
    k = check_float(k, "k")
    omega = frequencies(d_model, base)[: d_model // 2]
    c, s = np.cos(k * omega), np.sin(k * omega)
    R = np.zeros((d_model, d_model))
    idx = 2 * np.arange(d_model // 2)
    R[idx, idx], R[idx, idx + 1], R[idx + 1, idx], R[idx + 1, idx + 1] = c, s, -s, c
    return R


def offset_similarity(offsets, d_model: int, base: float = 10000.0) -> np.ndarray:
    r"""Dot product :math:`PE_p\cdot PE_{p+k} = \sum_i \cos(k\,\omega_i)` for each offset :math:`k`.

    It does not depend on :math:`p` (even ``d_model``; an odd one adds :math:`\sin(p\omega)\sin((p+k)\omega)`
    and is refused). Equals :math:`d_{\text{model}}/2` at :math:`k = 0` and is even in :math:`k`.

    Parameters
    ----------
    offsets : array_like of float, any shape
    d_model : even int >= 2

    Returns
    -------
    ndarray shaped like ``offsets``
    """
    d_model = check_int(d_model, "d_model", low=2)
    if d_model % 2:
        raise ValueError(f"d_model must be even for a position-free similarity, got {d_model}")
    k = as_array(offsets, "offsets")
    return np.cos(k[..., None] * frequencies(d_model, base)).sum(axis=-1)


def apply_rope(x, positions=None, base: float = 10000.0) -> np.ndarray:
    r"""Rotary position embedding: rotate each feature pair :math:`(x_{2i}, x_{2i+1})` by the angle
    :math:`p\,\omega_i` of its row's position.

    .. math::
        \begin{pmatrix} y_{2i} \\ y_{2i+1}\end{pmatrix} =
        \begin{pmatrix} \cos p\omega_i & -\sin p\omega_i \\ \sin p\omega_i & \cos p\omega_i\end{pmatrix}
        \begin{pmatrix} x_{2i} \\ x_{2i+1}\end{pmatrix},

    so :math:`\langle \mathrm{rope}(q, m), \mathrm{rope}(k, n)\rangle` depends on :math:`m - n` only.

    Parameters
    ----------
    x : array_like, shape ``(..., n, d)`` with ``d`` even
    positions : array_like of shape ``(n,)``, optional
        Default ``0 .. n-1``.

    Returns
    -------
    ndarray shaped like ``x``
    """
    x = as_array(x, "x")
    if x.ndim < 2 or x.shape[-1] % 2:
        raise ValueError(f"x must have shape (..., n, d) with d even, got shape {x.shape}")
    n, d = x.shape[-2:]
    pos = np.arange(n, dtype=float) if positions is None else as_array(positions, "positions")
    if pos.ndim == 1 and pos.shape != (n,):
        raise ValueError(f"positions must have one entry per row of x ({n}), got shape {pos.shape}")
    if pos.shape != (n,):
        raise ValueError(f"positions must have shape ({n},), got {pos.shape}")
    angles = pos[:, None] * frequencies(d, base)
    c, s = np.cos(angles), np.sin(angles)
    y = np.empty_like(x)
    y[..., 0::2] = c * x[..., 0::2] - s * x[..., 1::2]
    y[..., 1::2] = s * x[..., 0::2] + c * x[..., 1::2]
    return y


@dataclass(frozen=True, repr=False)
class LearnedPositions(Layer):
    r"""A learned position table added to the input: :math:`y_{\dots, p, :} = x_{\dots, p, :} + P_{p, :}`.

    Backward: :math:`\partial L/\partial x = \partial L/\partial y` and :math:`\partial L/\partial P_p` is
    :math:`\partial L/\partial y_{\dots,p,:}` summed over the leading axes (rows :math:`p \ge n` get 0).

    Parameters
    ----------
    max_len : int >= 1
        Rows of ``P`` (shape ``(max_len, d_model)``): a sequence longer than this has no encoding.
    d_model : int >= 1
    weight_init : str
        Initialiser of ``P`` (a name in :data:`~mlsheet_utils.algorithms.nn.init.INITIALIZERS`).
    """

    max_len: int
    d_model: int
    weight_init: str = "xavier_uniform"

    def __post_init__(self):
        check_int(self.max_len, "max_len", low=1)
        check_int(self.d_model, "d_model", low=1)
        if self.weight_init not in init.INITIALIZERS:
            raise ValueError(f"weight_init must be one of {sorted(init.INITIALIZERS)}, got {self.weight_init!r}")

    def param_shapes(self):
        return {"P": (self.max_len, self.d_model)}

    def init_params(self, rng=0):
        return {"P": init.INITIALIZERS[self.weight_init]((self.max_len, self.d_model), check_random_state(rng))}

    def check_input(self, x):
        x = _features(as_array(x, "x"), self.d_model, "d_model")
        if x.ndim < 2 or x.shape[-2] > self.max_len:
            raise ValueError(f"x must have shape (..., n, {self.d_model}) with n <= max_len = {self.max_len}, "
                             f"got shape {x.shape}")
        return x

    def _forward(self, x, params, rng, training):
        n = x.shape[-2]
        return x + params["P"][:n], {"n": n}

    def _backward(self, dy, cache):
        dP = np.zeros((self.max_len, self.d_model))
        dP[: cache["n"]] = dy.reshape(-1, cache["n"], self.d_model).sum(axis=0)
        return dy, {"P": dP}


class _Composite(Layer):
    """A layer that is a fixed arrangement of other layers (``self.net``), passes delegated to it."""

    @property
    def net(self) -> Layer:
        raise NotImplementedError

    def init_params(self, rng=0):
        return self.net.init_params(rng)

    def check_params(self, params):
        return self.net.check_params(params)

    def check_input(self, x):
        return self.net.check_input(x)

    def _forward(self, x, params, rng, training):
        return self.net._forward(x, params, rng, training)

    def _backward(self, dy, cache):
        return self.net._backward(dy, cache)


@dataclass(frozen=True, repr=False)
class FeedForward(_Composite):
    r"""The position-wise network :math:`\mathrm{FFN}(x) = f(x W_1 + b_1) W_2 + b_2`, applied to every row alone.

    ``Sequential(Linear(d_model, d_ff), Activation(activation), Linear(d_ff, d_model))``: ``W_1`` is
    ``(d_model, d_ff)``, ``W_2`` is ``(d_ff, d_model)``; ``params`` is ``[{W, b}, {}, {W, b}]``.
    """

    d_model: int
    d_ff: int
    activation: str = "relu"

    def __post_init__(self):
        check_int(self.d_model, "d_model", low=1)
        check_int(self.d_ff, "d_ff", low=1)
        if self.activation not in F.ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(F.ACTIVATIONS)}, got {self.activation!r}")
        Activation(self.activation)                        # validates the name

    @property
    def net(self) -> Sequential:
        return Sequential(Linear(self.d_model, self.d_ff), Activation(self.activation), Linear(self.d_ff, self.d_model))


@dataclass(frozen=True, repr=False)
class EncoderBlock(_Composite):
    r"""One transformer encoder block built from existing layers.

    .. math::
        \text{post-norm:}\ h = \mathrm{LN}_1(x + \mathrm{MHA}(x)),\ y = \mathrm{LN}_2(h + \mathrm{FFN}(h));
        \quad \text{pre-norm:}\ h = x + \mathrm{MHA}(\mathrm{LN}_1 x),\ y = h + \mathrm{FFN}(\mathrm{LN}_2 h).

    ``Sequential(Residual(MultiHeadAttention, LayerNorm), Residual(FeedForward, LayerNorm))``: ``x`` is
    ``(..., n, d_model)`` and so is ``y``; ``params`` is ``[{"body": attention, "norm": LN_1}, {"body": [W_1 b_1,
    {}, W_2 b_2], "norm": LN_2}]`` and backward returns ``grads`` of the same structure. The attention has no
    biases (:class:`~mlsheet_utils.algorithms.nn.attention.MultiHeadAttention`).

    Parameters
    ----------
    d_model, n_heads, d_ff : int >= 1
        Width, heads (dividing ``d_model``), hidden width of the feed-forward network.
    placement : {"post", "pre"}
    activation : str
        The feed-forward non-linearity (a name of :class:`~mlsheet_utils.algorithms.nn.layers.Activation`).
    causal : bool
        Mask the future in the attention (a decoder-style block without cross-attention).
    """

    d_model: int
    n_heads: int
    d_ff: int
    placement: str = "post"
    activation: str = "relu"
    causal: bool = False

    def __post_init__(self):
        if self.placement not in ("pre", "post"):
            raise ValueError(f"placement must be 'pre' or 'post', got {self.placement!r}")
        MultiHeadAttention(self.d_model, self.n_heads)    # validates d_model and n_heads
        FeedForward(self.d_model, self.d_ff, self.activation)

    @property
    def net(self) -> Sequential:
        attention = MultiHeadAttention(self.d_model, self.n_heads, causal=self.causal)
        return Sequential(Residual(attention, LayerNorm(self.d_model), self.placement),
                          Residual(FeedForward(self.d_model, self.d_ff, self.activation), LayerNorm(self.d_model),
                                   self.placement))


@dataclass(frozen=True)
class BlockCost:
    r"""Parameters and multiply-adds of one encoder block on a sequence of ``n`` positions.

    ``attention_params`` :math:`4d^2` (+ :math:`4d` with biases), ``ffn_params`` :math:`2 d d_{ff} + d_{ff} + d`,
    ``norm_params`` :math:`4d`; ``projection_madds`` :math:`4 n d^2` (Q, K, V, O), ``score_madds``
    :math:`2 n^2 d` (:math:`QK^\top` and :math:`AV`, all heads), ``ffn_madds`` :math:`2 n d d_{ff}`.
    FLOPs are twice the multiply-adds.
    """

    attention_params: int
    ffn_params: int
    norm_params: int
    projection_madds: int
    score_madds: int
    ffn_madds: int

    @property
    def n_params(self) -> int:
        return self.attention_params + self.ffn_params + self.norm_params

    @property
    def madds(self) -> int:
        return self.projection_madds + self.score_madds + self.ffn_madds

    @property
    def flops(self) -> int:
        return 2 * self.madds


def encoder_block_cost(d_model: int, d_ff: int, n: int = 1, attention_bias: bool = False) -> BlockCost:
    r"""Parameters and matrix-product multiply-adds of :class:`EncoderBlock` (``attention_bias=True``: the
    original transformer, whose four projections carry biases).

    Parameters
    ----------
    d_model, d_ff, n : int >= 1
        Model width, hidden width of the feed-forward network, sequence length.
    attention_bias : bool

    Returns
    -------
    BlockCost
    """
    d = check_int(d_model, "d_model", low=1)
    f, n = check_int(d_ff, "d_ff", low=1), check_int(n, "n", low=1)
    return BlockCost(4 * d * d + (4 * d if attention_bias else 0), 2 * d * f + f + d, 4 * d,
                     4 * n * d * d, 2 * n * n * d, 2 * n * d * f)

r"""Attention, forward and backward.

- :func:`causal_mask`: the boolean mask of decoder self-attention;
- :func:`scaled_dot_product_attention` and :func:`attention_grads`: one attention head, forward and backward;
- :func:`multi_head_attention`: ``h`` heads computed at once by reshaping, then the output projection;
- :func:`multi_head_attention_loop`: the same one head at a time on slices of the weights, counting the work
  (:class:`PerHeadAttention`): the textbook form, and a reference for the reshaped one;
- :class:`MultiHeadAttention`: multi-head self-attention as a layer (forward/backward pair, see
  :mod:`~mlsheet_utils.algorithms.nn.layers`), optionally causal;
- :func:`prefix_scores` and :func:`softmax_saturation` (:class:`SoftmaxSaturation`): how peaked attention rows
  get as the key width grows, with and without the :math:`1/\sqrt{d_k}` factor.

Conventions: arrays are float64; the last two axes are (sequence, feature) and any leading axes are batch axes
that broadcast as in :func:`numpy.matmul`. A boolean ``mask`` is ``True`` where a query *may* attend to a key
(the convention of ``torch.nn.functional.scaled_dot_product_attention``). The public functions check their
inputs once; the private ``_kernels`` they share (and the layer's passes) do not check again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import softmax as scipy_softmax

from mlsheet_utils.algorithms.nn import init
from mlsheet_utils.algorithms.nn.functional import _softmax, softmax, softmax_jacobian  # noqa: F401  (re-exported)
from mlsheet_utils.algorithms.nn.layers import Layer, _features
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state


def causal_mask(n_q: int, n_k: int | None = None) -> np.ndarray:
    """Boolean mask of shape ``(n_q, n_k)``, True where key ``j`` is not in the future of query ``i``.

    With ``n_k > n_q`` the queries are taken to be the *last* ``n_q`` positions (as when decoding with a cache
    of earlier keys), so query ``i`` may see keys ``0 .. i + n_k - n_q``.
    """
    n_q = check_int(n_q, "n_q", low=1)
    n_k = n_q if n_k is None else check_int(n_k, "n_k", low=n_q)
    return np.tril(np.ones((n_q, n_k), dtype=bool), k=n_k - n_q)


# -- checks, once per public call --------------------------------------------------------------------------

def _check_mask(mask, scores_shape: tuple) -> np.ndarray | None:
    """A boolean mask broadcast to ``scores_shape``, with at least one key per query row (or None)."""
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise ValueError(f"mask must be boolean (True = may attend), got dtype {mask.dtype}")
    try:
        full = np.broadcast_shapes(mask.shape, scores_shape)
    except ValueError:
        raise ValueError(f"mask of shape {mask.shape} does not broadcast to the scores' shape "
                         f"{scores_shape}") from None
    if full != scores_shape:
        raise ValueError(f"mask of shape {mask.shape} would enlarge the scores' shape {scores_shape} to {full}")
    mask = np.broadcast_to(mask, scores_shape)
    empty = ~mask.any(axis=-1)
    if empty.any():
        where = tuple(int(i) for i in np.argwhere(empty)[0])
        raise ValueError(f"mask leaves {int(empty.sum())} query row(s) with no key to attend to "
                         f"(first at index {where}); the softmax of an empty row is undefined")
    return mask


def _attention_inputs(Q, K, V, mask):
    """Validate the inputs of one attention head; return arrays, the broadcast mask (or None)."""
    Q, K, V = (as_array(a, name) for a, name in ((Q, "Q"), (K, "K"), (V, "V")))
    for a, name, dims in ((Q, "Q", "n_q, d_k"), (K, "K", "n_k, d_k"), (V, "V", "n_k, d_v")):
        if a.ndim < 2:
            raise ValueError(f"{name} must have shape (..., {dims}), got shape {a.shape}")
    if K.shape[-1] != Q.shape[-1]:
        raise ValueError(f"K must have d_k = {Q.shape[-1]} columns like Q, got shape {K.shape} "
                         f"(Q has shape {Q.shape})")
    if V.shape[-2] != K.shape[-2]:
        raise ValueError(f"V must have n_k = {K.shape[-2]} rows like K, got shape {V.shape} "
                         f"(K has shape {K.shape})")
    try:
        batch = np.broadcast_shapes(Q.shape[:-2], K.shape[:-2], V.shape[:-2])
    except ValueError:
        raise ValueError(f"the batch axes of Q {Q.shape}, K {K.shape} and V {V.shape} do not broadcast") from None
    if mask is not None and np.ndim(mask) >= 2 and (np.shape(mask)[-2] not in (1, Q.shape[-2])
                                                    or np.shape(mask)[-1] not in (1, K.shape[-2])):
        raise ValueError(f"mask of shape {np.shape(mask)} does not broadcast to (..., n_q, n_k) = (..., {Q.shape[-2]}, "
                         f"{K.shape[-2]}) for Q of shape {Q.shape} and K of shape {K.shape}")
    return Q, K, V, _check_mask(mask, batch + (Q.shape[-2], K.shape[-2]))


def _scale_factor(scale, d_k: int) -> float:
    """``scale=True`` -> 1/sqrt(d_k), ``False`` -> 1, a positive number -> itself."""
    if scale is True:
        return 1.0 / np.sqrt(d_k)
    if scale is False:
        return 1.0
    return check_float(scale, "scale", low=0, low_open=True)


def _mha_inputs(X_q, X_kv, W_q, W_k, W_v, W_o, n_heads, mask):
    """Validate the inputs of multi-head attention; return arrays, ``n_heads`` and the per-head mask (or None)."""
    X_q, X_kv = as_array(X_q, "X_q"), as_array(X_kv, "X_kv")
    for X, name, dims in ((X_q, "X_q", "n_q, d_model"), (X_kv, "X_kv", "n_k, d_kv")):
        if X.ndim < 2:
            raise ValueError(f"{name} must have shape (..., {dims}), got shape {X.shape}")
    W_q, W_k, W_v, W_o = (as_array(W, name, ndim=2)
                          for W, name in ((W_q, "W_q"), (W_k, "W_k"), (W_v, "W_v"), (W_o, "W_o")))
    n_heads = check_int(n_heads, "n_heads", low=1)
    for W, name, X, xname in ((W_q, "W_q", X_q, "X_q"), (W_k, "W_k", X_kv, "X_kv"), (W_v, "W_v", X_kv, "X_kv")):
        if W.shape[0] != X.shape[-1]:
            raise ValueError(f"{name} must have {X.shape[-1]} rows ({xname} has {X.shape[-1]} features), "
                             f"got shape {W.shape}")
    if W_k.shape[1] != W_q.shape[1]:
        raise ValueError(f"W_k must have {W_q.shape[1]} columns like W_q, got shape {W_k.shape}")
    for W, name in ((W_q, "W_q"), (W_v, "W_v")):
        if W.shape[1] % n_heads:
            raise ValueError(f"n_heads = {n_heads} must divide the {W.shape[1]} columns of {name} "
                             f"(shape {W.shape})")
    if W_o.shape[0] != W_v.shape[1]:
        raise ValueError(f"W_o must have {W_v.shape[1]} rows (h * d_v, the columns of W_v), "
                         f"got shape {W_o.shape}")
    try:
        batch = np.broadcast_shapes(X_q.shape[:-2], X_kv.shape[:-2])
    except ValueError:
        raise ValueError(f"the batch axes of X_q {X_q.shape} and X_kv {X_kv.shape} do not broadcast") from None
    if mask is not None:
        mask = np.asarray(mask)
        if mask.ndim < 2:
            raise ValueError(f"mask must have shape (..., n_q, n_k), got shape {mask.shape}")
        if mask.shape[-2] not in (1, X_q.shape[-2]) or mask.shape[-1] not in (1, X_kv.shape[-2]):
            raise ValueError(f"mask of shape {mask.shape} does not broadcast to (..., n_q, n_k) = "
                             f"(..., {X_q.shape[-2]}, {X_kv.shape[-2]}) for X_q of shape {X_q.shape} and X_kv of "
                             f"shape {X_kv.shape}")
        mask = _check_mask(mask[..., None, :, :],                   # the same mask for every head
                           batch + (n_heads, X_q.shape[-2], X_kv.shape[-2]))
    return X_q, X_kv, W_q, W_k, W_v, W_o, n_heads, mask


# -- kernels (no checks) ----------------------------------------------------------------------------------

def _attention(Q, K, V, mask, s: float):
    """``(A V, A)`` with ``A = softmax(s Q K^T)`` (masked scores -> -inf)."""
    scores = s * (Q @ np.swapaxes(K, -1, -2))
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    A = _softmax(scores, -1)
    return A @ V, A


def _attention_backward(G, Q, K, V, A, s: float):
    """``dQ, dK, dV`` of ``sum(G * attention(Q, K, V))`` (batch axes not yet summed back)."""
    dV = np.swapaxes(A, -1, -2) @ G
    dA = G @ np.swapaxes(V, -1, -2)
    dS = A * (dA - (A * dA).sum(axis=-1, keepdims=True))
    return s * dS @ K, s * np.swapaxes(dS, -1, -2) @ Q, dV


def _unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched, so it has ``shape``."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def _split_heads(X: np.ndarray, n_heads: int) -> np.ndarray:
    """(..., n, h * d) -> (..., h, n, d): a reshape and one swap of axes, no copy of the data per head."""
    *batch, n, width = X.shape
    return np.swapaxes(X.reshape(*batch, n, n_heads, width // n_heads), -2, -3)


def _merge_heads(X: np.ndarray) -> np.ndarray:
    """(..., h, n, d) -> (..., n, h * d), the inverse of :func:`_split_heads` (the "concat" of the heads)."""
    X = np.swapaxes(X, -2, -3)
    return X.reshape(*X.shape[:-2], X.shape[-2] * X.shape[-1])


def _multi_head(X_q, X_kv, W_q, W_k, W_v, W_o, n_heads: int, mask):
    """Multi-head attention; returns the output, the weights and what the backward pass needs."""
    Q = _split_heads(X_q @ W_q, n_heads)                   # (..., h, n_q, d_k)
    K = _split_heads(X_kv @ W_k, n_heads)                  # (..., h, n_k, d_k)
    V = _split_heads(X_kv @ W_v, n_heads)                  # (..., h, n_k, d_v)
    s = 1.0 / np.sqrt(Q.shape[-1])
    heads, A = _attention(Q, K, V, mask, s)
    merged = _merge_heads(heads)
    return merged @ W_o, A, {"Q": Q, "K": K, "V": V, "A": A, "s": s, "merged": merged}


# -- public functions -------------------------------------------------------------------------------------

def scaled_dot_product_attention(Q, K, V, mask=None, scale=True) -> tuple[np.ndarray, np.ndarray]:
    r"""One attention head: every query takes a softmax-weighted average of the values.

    .. math::
        S = s\,Q K^\top, \qquad A = \operatorname{softmax}_{\text{rows}}(S), \qquad
        \operatorname{Attention}(Q, K, V) = A V, \qquad s = 1/\sqrt{d_k}\ \text{by default.}

    Where ``mask`` is False the score is set to :math:`-\infty` before the softmax, so that key gets weight
    exactly 0. Each output row is a convex combination of the rows of ``V``.

    Parameters
    ----------
    Q : array_like, shape (..., n_q, d_k)
        Queries.
    K : array_like, shape (..., n_k, d_k)
        Keys.
    V : array_like, shape (..., n_k, d_v)
        Values. The batch axes ``...`` of ``Q``, ``K``, ``V`` broadcast against each other.
    mask : array_like of bool, broadcastable to (..., n_q, n_k), optional
        True where query ``i`` may attend to key ``j``. Every query row needs at least one True.
    scale : bool or float
        True: :math:`s = 1/\sqrt{d_k}`; False: :math:`s = 1`; a positive number: that :math:`s`.

    Returns
    -------
    output : numpy.ndarray, shape (..., n_q, d_v)
    weights : numpy.ndarray, shape (..., n_q, n_k)
        The attention matrix :math:`A`; every row sums to 1.

    Raises
    ------
    ValueError
        On mismatched shapes, non-finite inputs, a non-boolean mask, or a query row that is fully masked.
    """
    Q, K, V, mask = _attention_inputs(Q, K, V, mask)
    return _attention(Q, K, V, mask, _scale_factor(scale, Q.shape[-1]))


def attention_grads(Q, K, V, grad_output, mask=None, scale=True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Backward pass of :func:`scaled_dot_product_attention`: gradients of a loss w.r.t. Q, K and V.

    With :math:`G = \partial L / \partial O` for :math:`O = A V`, :math:`A = \operatorname{softmax}(S)`,
    :math:`S = s\,QK^\top`:

    .. math::
        \frac{\partial L}{\partial V} = A^\top G, \quad
        \frac{\partial L}{\partial A} = G V^\top, \quad
        \frac{\partial L}{\partial S} = A \odot \Big(\frac{\partial L}{\partial A}
            - \operatorname{rowsum}\big(A \odot \tfrac{\partial L}{\partial A}\big)\Big), \quad
        \frac{\partial L}{\partial Q} = s\,\frac{\partial L}{\partial S} K, \quad
        \frac{\partial L}{\partial K} = s\,\Big(\frac{\partial L}{\partial S}\Big)^{\!\top} Q .

    The third formula is the softmax Jacobian :math:`\operatorname{diag}(a) - a a^\top` applied row by row.

    Parameters
    ----------
    Q, K, V, mask, scale : as in :func:`scaled_dot_product_attention`
    grad_output : array_like, shape (..., n_q, d_v)
        :math:`G = \partial L / \partial O`, how the loss changes with each entry of the output.

    Returns
    -------
    dQ, dK, dV : numpy.ndarray shaped like ``Q``, ``K``, ``V``
    """
    Q, K, V, mask = _attention_inputs(Q, K, V, mask)
    s = _scale_factor(scale, Q.shape[-1])
    out, A = _attention(Q, K, V, mask, s)
    G = as_array(grad_output, "grad_output")
    if G.shape != out.shape:
        raise ValueError(f"grad_output must have the output's shape {out.shape} (the rows of Q, the columns of V), "
                         f"got shape {G.shape}")
    dQ, dK, dV = _attention_backward(G, Q, K, V, A, s)
    return _unbroadcast(dQ, Q.shape), _unbroadcast(dK, K.shape), _unbroadcast(dV, V.shape)


def multi_head_attention(X_q, X_kv, W_q, W_k, W_v, W_o, n_heads: int, mask=None,
                         ) -> tuple[np.ndarray, np.ndarray]:
    r"""Multi-head attention: ``h`` heads of width ``d_k`` on learned projections, concatenated, projected.

    .. math::
        \text{head}_i = \operatorname{Attention}(X_q W_i^Q,\ X_{kv} W_i^K,\ X_{kv} W_i^V), \qquad
        \text{output} = \operatorname{concat}(\text{head}_1, \dots, \text{head}_h)\, W^O .

    The per-head matrices are the column blocks of the full ones: :math:`W^Q = [W_1^Q \cdots W_h^Q]`, so
    :math:`X_q W^Q` is computed once and reshaped into ``h`` heads, and all heads go through one batched
    attention (no Python loop over heads). Self-attention is ``X_kv = X_q``; cross-attention takes ``X_kv``
    from another sequence (e.g. the encoder's output).

    Parameters
    ----------
    X_q : array_like, shape (..., n_q, d_model)
        The sequence whose positions ask (queries).
    X_kv : array_like, shape (..., n_k, d_kv)
        The sequence that is looked up (keys and values); ``d_kv = d_model`` in self-attention.
    W_q : array_like, shape (d_model, h * d_k)
    W_k : array_like, shape (d_kv, h * d_k)
    W_v : array_like, shape (d_kv, h * d_v)
    W_o : array_like, shape (h * d_v, d_out)
        Usually ``d_k = d_v = d_model / h`` and ``d_out = d_model``.
    n_heads : int >= 1
        ``h``; must divide the widths ``h * d_k`` and ``h * d_v``.
    mask : array_like of bool, broadcastable to (..., n_q, n_k), optional
        True where a query may attend to a key; the same mask is used by every head.

    Returns
    -------
    output : numpy.ndarray, shape (..., n_q, d_out)
    weights : numpy.ndarray, shape (..., h, n_q, n_k)
        Each head's attention matrix.

    Raises
    ------
    ValueError
        If a shape disagrees (the message names the argument and its shape) or ``n_heads`` does not divide
        the projection widths.
    """
    out, A, _ = _multi_head(*_mha_inputs(X_q, X_kv, W_q, W_k, W_v, W_o, n_heads, mask))
    return out, A


@dataclass(frozen=True)
class PerHeadAttention:
    """Result of :func:`multi_head_attention_loop`: the output and the work it took.

    Attributes
    ----------
    output : numpy.ndarray, shape (n_q, d_out)
    n_weights : int
        Entries of the weight matrices used (the slices of every head, and ``W_o``).
    multiply_adds : int
        Multiply-adds of every matrix product (projections, scores, weighted values, output projection).
    n_attention_weights : int
        Entries of the attention matrices, ``h * n_q * n_k``.
    """

    output: np.ndarray
    n_weights: int
    multiply_adds: int
    n_attention_weights: int


def multi_head_attention_loop(X_q, X_kv, W_q, W_k, W_v, W_o, n_heads: int, mask=None) -> PerHeadAttention:
    r"""Multi-head attention one head at a time, on column slices of the weights, counting the work.

    For head :math:`i` with :math:`W_i^Q = W^Q[:, i d_k:(i+1) d_k]` (and likewise :math:`W_i^K, W_i^V`):
    :math:`\text{head}_i = \operatorname{softmax}\bigl(X_q W_i^Q (X_{kv} W_i^K)^\top / \sqrt{d_k}\bigr)\,X_{kv}
    W_i^V`, then :math:`[\text{head}_1 \cdots \text{head}_h]\,W^O`. A product of an :math:`(a, b)` and a
    :math:`(b, c)` matrix counts :math:`abc` multiply-adds. The softmax is :func:`scipy.special.softmax`, so this
    is an independent reference for :func:`multi_head_attention` as well as the textbook form.

    Parameters
    ----------
    X_q, X_kv, W_q, W_k, W_v, W_o, n_heads, mask : as in :func:`multi_head_attention`, without batch axes
        (``X_q`` of shape ``(n_q, d_model)``, ``X_kv`` of shape ``(n_k, d_kv)``, ``mask`` of ``(n_q, n_k)``).

    Returns
    -------
    PerHeadAttention
    """
    X_q, X_kv, W_q, W_k, W_v, W_o, h, mask = _mha_inputs(X_q, X_kv, W_q, W_k, W_v, W_o, n_heads, mask)
    if X_q.ndim != 2 or X_kv.ndim != 2:
        raise ValueError(f"X_q and X_kv must be 2-dimensional here (no batch axes), got shapes {X_q.shape} "
                         f"and {X_kv.shape}")
    d_k, d_v = W_q.shape[1] // h, W_v.shape[1] // h
    madds = 0

    def matmul(A, B):
        nonlocal madds
        madds += A.shape[0] * A.shape[1] * B.shape[1]
        return A @ B

    heads, n_weights, n_attention = [], W_o.size, 0
    for i in range(h):
        qk, vo = slice(i * d_k, (i + 1) * d_k), slice(i * d_v, (i + 1) * d_v)
        Wq_i, Wk_i, Wv_i = W_q[:, qk], W_k[:, qk], W_v[:, vo]
        n_weights += Wq_i.size + Wk_i.size + Wv_i.size
        scores = matmul(matmul(X_q, Wq_i), matmul(X_kv, Wk_i).T) / np.sqrt(d_k)
        if mask is not None:
            scores = np.where(mask[0], scores, -np.inf)
        A = scipy_softmax(scores, axis=-1)
        n_attention += A.size
        heads.append(matmul(A, matmul(X_kv, Wv_i)))
    return PerHeadAttention(matmul(np.concatenate(heads, axis=1), W_o), n_weights, madds, n_attention)


@dataclass(frozen=True, repr=False)
class MultiHeadAttention(Layer):
    r"""Multi-head self-attention as a layer: :func:`multi_head_attention` with ``X_q = X_kv = x``.

    Parameters ``W_q``, ``W_k``, ``W_v``, ``W_o``, each ``(d_model, d_model)``, so ``d_k = d_v = d_model / h``.
    The backward pass runs the chain rule back through the output projection, the attention of each head
    (:func:`attention_grads`' formulas) and the three projections; ``x`` feeds all three, so its gradient is the
    sum :math:`\partial L/\partial x = \partial Q\, (W^Q)^\top + \partial K\, (W^K)^\top + \partial V\,
    (W^V)^\top` (heads merged).

    Parameters
    ----------
    d_model : int >= 1
        Features of ``x`` (shape ``(..., n, d_model)``) and of the output.
    n_heads : int >= 1
        Must divide ``d_model``.
    causal : bool
        Mask the future (:func:`causal_mask`), as in a decoder.
    weight_init : str
        Initialiser of the four matrices (a name in :data:`~mlsheet_utils.algorithms.nn.init.INITIALIZERS`).
    """

    d_model: int
    n_heads: int
    causal: bool = False
    weight_init: str = "xavier_uniform"

    def __post_init__(self):
        check_int(self.d_model, "d_model", low=1)
        check_int(self.n_heads, "n_heads", low=1)
        if self.d_model % self.n_heads:
            raise ValueError(f"n_heads = {self.n_heads} must divide d_model = {self.d_model}")
        if self.weight_init not in init.INITIALIZERS:
            raise ValueError(f"weight_init must be one of {sorted(init.INITIALIZERS)}, got {self.weight_init!r}")

    def param_shapes(self):
        return {name: (self.d_model, self.d_model) for name in ("W_q", "W_k", "W_v", "W_o")}

    def init_params(self, rng=0):
        rng = check_random_state(rng)
        return {name: init.INITIALIZERS[self.weight_init](shape, rng) for name, shape in self.param_shapes().items()}

    def check_input(self, x):
        x = _features(as_array(x, "x"), self.d_model, "d_model")
        if x.ndim < 2:
            raise ValueError(f"x must have shape (..., n, {self.d_model}), got shape {x.shape}")
        return x

    def _forward(self, x, params, rng, training):
        mask = causal_mask(x.shape[-2]) if self.causal else None
        out, _, cache = _multi_head(x, x, params["W_q"], params["W_k"], params["W_v"], params["W_o"],
                                    self.n_heads, mask)
        return out, {**cache, "x": x, "params": params}

    def _backward(self, dy, cache):
        x, p, d = cache["x"], cache["params"], self.d_model
        rows = x.reshape(-1, d)
        grads = {"W_o": cache["merged"].reshape(-1, d).T @ dy.reshape(-1, d)}
        dheads = _split_heads(dy @ p["W_o"].T, self.n_heads)
        dQ, dK, dV = (_merge_heads(g) for g in _attention_backward(dheads, cache["Q"], cache["K"], cache["V"],
                                                                   cache["A"], cache["s"]))
        dx = 0.0
        for name, g in (("W_q", dQ), ("W_k", dK), ("W_v", dV)):
            grads[name] = rows.T @ g.reshape(-1, d)
            dx = dx + g @ p[name].T
        return dx, {k: grads[k] for k in ("W_q", "W_k", "W_v", "W_o")}


def prefix_scores(Q, K, widths) -> np.ndarray:
    r"""Unscaled scores :math:`Q_{:, :d} K_{:, :d}^\top` for every width :math:`d` in ``widths``, in one pass.

    The scores of width :math:`d` are a running sum over feature blocks, so each block between two successive
    widths is multiplied once (``einsum`` per block; no multithreaded BLAS call for these small products).

    Parameters
    ----------
    Q : array_like, shape (n_q, d)
    K : array_like, shape (n_k, d)
    widths : sequence of int, strictly increasing, in ``1 .. d``

    Returns
    -------
    numpy.ndarray, shape (len(widths), n_q, n_k)
    """
    Q, K = as_array(Q, "Q", ndim=2), as_array(K, "K", ndim=2)
    if K.shape[1] != Q.shape[1]:
        raise ValueError(f"K must have {Q.shape[1]} columns like Q, got shape {K.shape}")
    widths = np.asarray(widths)
    if (widths.ndim != 1 or widths.size == 0 or not np.issubdtype(widths.dtype, np.integer)
            or widths[0] < 1 or widths[-1] > Q.shape[1] or np.any(np.diff(widths) <= 0)):
        raise ValueError(f"widths must be strictly increasing integers in [1, {Q.shape[1]}], got {widths!r}")
    edges = np.r_[0, widths]
    blocks = [np.einsum("qc,kc->qk", Q[:, a:b], K[:, a:b]) for a, b in zip(edges[:-1], edges[1:])]
    return np.cumsum(blocks, axis=0)


@dataclass(frozen=True)
class SoftmaxSaturation:
    r"""How peaked the rows of softmax(S) are (:func:`softmax_saturation`); the floats have S's batch shape.

    Attributes
    ----------
    weights : numpy.ndarray, shape (..., n_q, n_k)
        The softmax of each row.
    max_weight : float or numpy.ndarray, shape (...)
        Mean over the rows of the largest weight (1/n_k when uniform, 1 when one-hot).
    entropy : float or numpy.ndarray
        Mean row entropy as a share of its maximum :math:`\log n_k` (1 uniform, 0 one-hot).
    jacobian_norm : float or numpy.ndarray
        Median over the rows of :math:`\|\operatorname{diag}(p) - pp^\top\|_F`: the size of the gradient
        that reaches the scores (0 when one-hot).
    """

    weights: np.ndarray
    max_weight: float | np.ndarray
    entropy: float | np.ndarray
    jacobian_norm: float | np.ndarray


def softmax_saturation(S) -> SoftmaxSaturation:
    r"""Saturation of the row softmax of scores ``S``: largest weight, entropy and Jacobian size.

    The Frobenius norm of the softmax Jacobian has a closed form per row,

    .. math:: \|\operatorname{diag}(p) - pp^\top\|_F^2 = \textstyle\sum_i p_i^2 - 2\sum_i p_i^3
              + \bigl(\sum_i p_i^2\bigr)^2,

    so no :math:`n_k \times n_k` matrix is formed.

    Parameters
    ----------
    S : array_like, shape (..., n_q, n_k), n_k >= 2
        Scores (finite). Leading axes (e.g. one per key width) give arrays of statistics.

    Returns
    -------
    SoftmaxSaturation
    """
    S = as_array(S, "S")
    if S.ndim < 2 or S.shape[-1] < 2 or S.shape[-2] < 1:
        raise ValueError(f"S must have shape (..., n_q, n_k) with n_k >= 2, got shape {S.shape}")
    P = _softmax(S, -1)
    entropy = -(P * np.log(np.where(P > 0, P, 1.0))).sum(-1) / np.log(S.shape[-1])
    sq = (P**2).sum(-1)
    jac = np.sqrt(np.maximum(sq - 2 * (P**3).sum(-1) + sq**2, 0.0))
    return SoftmaxSaturation(P, P.max(-1).mean(-1)[()], entropy.mean(-1)[()], np.median(jac, axis=-1)[()])

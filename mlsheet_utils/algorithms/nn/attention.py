"""Attention, forward and backward.

- :func:`causal_mask`: the boolean mask of decoder self-attention;
- :func:`scaled_dot_product_attention` and :func:`attention_grads`: one attention head, forward and backward;
- :func:`multi_head_attention`: ``h`` heads computed at once by reshaping, then the output projection.

Conventions: arrays are float64; the last two axes are (sequence, feature) and any leading axes are batch axes
that broadcast as in :func:`numpy.matmul`. A boolean ``mask`` is ``True`` where a query *may* attend to a key
(the convention of ``torch.nn.functional.scaled_dot_product_attention``).
"""

from __future__ import annotations

import numpy as np

from mlsheet_utils.algorithms.nn.functional import softmax, softmax_jacobian  # noqa: F401  (re-exported)
from mlsheet_utils.validation import as_array, check_float, check_int


def causal_mask(n_q: int, n_k: int | None = None) -> np.ndarray:
    """Boolean mask of shape ``(n_q, n_k)``, True where key ``j`` is not in the future of query ``i``.

    With ``n_k > n_q`` the queries are taken to be the *last* ``n_q`` positions (as when decoding with a cache
    of earlier keys), so query ``i`` may see keys ``0 .. i + n_k - n_q``.
    """
    n_q = check_int(n_q, "n_q", low=1)
    n_k = n_q if n_k is None else check_int(n_k, "n_k", low=n_q)
    return np.tril(np.ones((n_q, n_k), dtype=bool), k=n_k - n_q)


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
    if mask is None:
        return Q, K, V, None
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise ValueError(f"mask must be boolean (True = may attend), got dtype {mask.dtype}")
    scores_shape = batch + (Q.shape[-2], K.shape[-2])
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
    return Q, K, V, mask


def _scale_factor(scale, d_k: int) -> float:
    """``scale=True`` -> 1/sqrt(d_k), ``False`` -> 1, a positive number -> itself."""
    if scale is True:
        return 1.0 / np.sqrt(d_k)
    if scale is False:
        return 1.0
    return check_float(scale, "scale", low=0, low_open=True)


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
    s = _scale_factor(scale, Q.shape[-1])
    scores = s * (Q @ np.swapaxes(K, -1, -2))
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = softmax(scores, axis=-1)
    return weights @ V, weights


def _unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched, so it has ``shape``."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


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
    Q, K, V, _ = _attention_inputs(Q, K, V, mask)
    out, A = scaled_dot_product_attention(Q, K, V, mask=mask, scale=scale)
    G = as_array(grad_output, "grad_output")
    if G.shape != out.shape:
        raise ValueError(f"grad_output must have the output's shape {out.shape}, got shape {G.shape}")
    s = _scale_factor(scale, Q.shape[-1])
    dV = np.swapaxes(A, -1, -2) @ G
    dA = G @ np.swapaxes(V, -1, -2)
    dS = A * (dA - (A * dA).sum(axis=-1, keepdims=True))
    dQ = s * dS @ K
    dK = s * np.swapaxes(dS, -1, -2) @ Q
    return _unbroadcast(dQ, Q.shape), _unbroadcast(dK, K.shape), _unbroadcast(dV, V.shape)


def _split_heads(X: np.ndarray, n_heads: int) -> np.ndarray:
    """(..., n, h * d) -> (..., h, n, d): a reshape and one swap of axes, no copy of the data per head."""
    *batch, n, width = X.shape
    return np.swapaxes(X.reshape(*batch, n, n_heads, width // n_heads), -2, -3)


def _merge_heads(X: np.ndarray) -> np.ndarray:
    """(..., h, n, d) -> (..., n, h * d), the inverse of :func:`_split_heads` (the "concat" of the heads)."""
    X = np.swapaxes(X, -2, -3)
    return X.reshape(*X.shape[:-2], X.shape[-2] * X.shape[-1])


def multi_head_attention(X_q, X_kv, W_q, W_k, W_v, W_o, n_heads: int, mask=None,
                         ) -> tuple[np.ndarray, np.ndarray]:
    r"""Multi-head attention: ``h`` heads of width ``d_k`` on learned projections, concatenated, projected.

    .. math::
        \text{head}_i = \operatorname{Attention}(X_q W_i^Q,\ X_{kv} W_i^K,\ X_{kv} W_i^V), \qquad
        \text{output} = \operatorname{concat}(\text{head}_1, \dots, \text{head}_h)\, W^O .

    The per-head matrices are the column blocks of the full ones: :math:`W^Q = [W_1^Q \cdots W_h^Q]`, so
    :math:`X_q W^Q` is computed once and reshaped into ``h`` heads, and all heads go through one batched
    :func:`scaled_dot_product_attention` (no Python loop over heads). Self-attention is ``X_kv = X_q``;
    cross-attention takes ``X_kv`` from another sequence (e.g. the encoder's output).

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
    if mask is not None:
        mask = np.asarray(mask)
        if mask.ndim < 2:
            raise ValueError(f"mask must have shape (..., n_q, n_k), got shape {mask.shape}")
        mask = mask[..., None, :, :]                       # the same mask for every head
    Q = _split_heads(X_q @ W_q, n_heads)                   # (..., h, n_q, d_k)
    K = _split_heads(X_kv @ W_k, n_heads)                  # (..., h, n_k, d_k)
    V = _split_heads(X_kv @ W_v, n_heads)                  # (..., h, n_k, d_v)
    heads, weights = scaled_dot_product_attention(Q, K, V, mask=mask)
    return _merge_heads(heads) @ W_o, weights

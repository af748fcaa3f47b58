r"""Sparse attention patterns (Longformer style) and what they cost.

- :func:`longformer_mask`: a sliding window of half-width ``w`` plus ``g`` global tokens (the first ``g``
  positions), bidirectional (an encoder) or causal (a decoder); ``window=None`` is full attention;
- :func:`encoder_decoder_mask`: the block mask of an encoder-decoder over the concatenated source and target
  (source self-attention, target-to-source cross-attention, causal target self-attention);
- :func:`sparse_attention`: one head of masked attention with such a mask, through
  :func:`~mlsheet_utils.algorithms.nn.attention.scaled_dot_product_attention`;
- :func:`attended_pairs`: the number of (query, key) pairs a pattern allows, in closed form, for many sequence
  lengths at once; :func:`attention_cost` (:class:`AttentionCost`) turns it into multiply-adds and a share of
  full attention;
- :func:`receptive_field`: which keys can reach which queries after ``L`` stacked layers of a pattern.

Conventions: a mask is boolean of shape ``(n_q, n_k)``, True where query ``i`` may attend to key ``j`` (as in
:mod:`~mlsheet_utils.algorithms.nn.attention`). Global tokens attend to every key and every query attends to them
(in a causal pattern, only to the earlier ones).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn import attention
from mlsheet_utils.validation import as_array, check_int

__all__ = ["AttentionCost", "attended_pairs", "attention_cost", "encoder_decoder_mask", "longformer_mask",
           "receptive_field", "sparse_attention"]


def _window(window, n: int | None = None):
    if window is None:
        return None
    return check_int(window, "window", low=0)


def _longformer(n: int, w: int | None, g: int, causal: bool) -> np.ndarray:
    i, j = np.ogrid[:n, :n]
    mask = np.ones((n, n), dtype=bool) if w is None else np.abs(i - j) <= w
    mask = mask | (i < g) | (j < g)
    return mask & (j <= i) if causal else mask


def longformer_mask(n: int, window: int | None, n_global: int = 0, *, causal: bool = False) -> np.ndarray:
    r"""Sliding-window attention plus global tokens, as a boolean ``(n, n)`` mask.

    .. math::
        M_{ij} = \bigl(|i - j| \le w\ \lor\ i < g\ \lor\ j < g\bigr)\ \land\ (j \le i \text{ if causal}).

    Parameters
    ----------
    n : int >= 1
        Sequence length.
    window : int >= 0 or None
        Half-width ``w`` of the band (each query sees ``w`` keys on each side and itself); None: no band limit
        (full attention, or plain causal attention).
    n_global : int in [0, n]
        ``g``: the first ``g`` positions (e.g. a [CLS] token) are global.
    causal : bool
        Decoder: also hide the future, :math:`j > i`.

    Returns
    -------
    numpy.ndarray of bool, shape (n, n)
    """
    n = check_int(n, "n", low=1)
    return _longformer(n, _window(window), check_int(n_global, "n_global", low=0, high=n), bool(causal))


def encoder_decoder_mask(n_src: int, n_tgt: int, window: int | None = None, n_global: int = 0) -> np.ndarray:
    r"""Who sees whom in an encoder-decoder, over the concatenation [source; target].

    Block rows are queries, block columns keys:

    .. math::
        M = \begin{pmatrix} M_{\text{enc}} & 0 \\ \mathbf{1} & M_{\text{dec}} \end{pmatrix},

    with :math:`M_{\text{enc}}` the bidirectional :func:`longformer_mask` of the source (encoder
    self-attention), :math:`\mathbf{1}` the cross-attention (every target position sees the whole encoded
    source) and :math:`M_{\text{dec}}` the causal :func:`longformer_mask` of the target (decoder
    self-attention). The source never sees the target.

    Parameters
    ----------
    n_src, n_tgt : int >= 1
    window, n_global : as in :func:`longformer_mask`, for both self-attentions (``n_global`` at most
        ``min(n_src, n_tgt)``)

    Returns
    -------
    numpy.ndarray of bool, shape (n_src + n_tgt, n_src + n_tgt)
    """
    n_src, n_tgt = check_int(n_src, "n_src", low=1), check_int(n_tgt, "n_tgt", low=1)
    w, g = _window(window), check_int(n_global, "n_global", low=0, high=min(n_src, n_tgt))
    mask = np.zeros((n_src + n_tgt, n_src + n_tgt), dtype=bool)
    mask[:n_src, :n_src] = _longformer(n_src, w, g, False)
    mask[n_src:, :n_src] = True
    mask[n_src:, n_src:] = _longformer(n_tgt, w, g, True)
    return mask


def sparse_attention(Q, K, V, window: int | None, n_global: int = 0, *, causal: bool = False):
    r"""Self-attention restricted to :func:`longformer_mask`: ``(output, weights)``.

    Exactly :func:`~mlsheet_utils.algorithms.nn.attention.scaled_dot_product_attention` with the mask, so a
    masked key gets weight 0. (This forms all :math:`n^2` scores and discards the masked ones; the saving of
    :func:`attention_cost` needs a kernel that computes only the band.)

    Parameters
    ----------
    Q, K : array_like, shape (..., n, d_k)
    V : array_like, shape (..., n, d_v)
    window, n_global, causal : as in :func:`longformer_mask`

    Returns
    -------
    output : numpy.ndarray, shape (..., n, d_v)
    weights : numpy.ndarray, shape (..., n, n)
    """
    Q = as_array(Q, "Q")
    if Q.ndim < 2:
        raise ValueError(f"Q must have shape (..., n, d_k), got shape {Q.shape}")
    n_k = np.shape(K)[-2] if np.ndim(K) >= 2 else None
    if n_k is not None and n_k != Q.shape[-2]:
        raise ValueError(f"K must have as many positions as Q ({Q.shape[-2]}, self-attention), got shape {np.shape(K)}")
    mask = longformer_mask(Q.shape[-2], window, n_global, causal=causal)
    return attention.scaled_dot_product_attention(Q, K, V, mask=mask)


def _band_pairs(m: np.ndarray, w, causal: bool) -> np.ndarray:
    """Allowed pairs of a band of half-width w over m positions (w None: no limit)."""
    full = m * (m + 1) // 2 if causal else m * m
    if w is None:
        return full
    band = m * (w + 1) - w * (w + 1) // 2 if causal else m * (2 * w + 1) - w * (w + 1)
    return np.where(w >= m - 1, full, band)


def _pairs(n: np.ndarray, w, g: int, causal: bool) -> np.ndarray:
    m = n - g                                                  # the positions that are not global
    if causal:
        return g * (g + 1) // 2 + m * g + _band_pairs(m, w, True)
    return g * n + m * g + _band_pairs(m, w, False)


def attended_pairs(n, window: int | None, n_global: int = 0, *, causal: bool = False) -> np.ndarray:
    r"""Number of True entries of :func:`longformer_mask`, in closed form, for every length in ``n``.

    With :math:`m = n - g` non-global positions and :math:`w < m`:

    .. math::
        \text{bidirectional: } 2gn - g^2 + m(2w + 1) - w(w + 1), \qquad
        \text{causal: } \tfrac{g(g+1)}{2} + mg + m(w + 1) - \tfrac{w(w+1)}{2};

    for :math:`w \ge m - 1` the band is full: :math:`m^2` (bidirectional) or :math:`m(m+1)/2` (causal) in place
    of its terms. So for fixed :math:`w` and :math:`g` the count grows like :math:`n(2w + 2g + 1)`, linearly,
    against :math:`n^2` (or :math:`n(n+1)/2`) for full attention.

    Parameters
    ----------
    n : int or array_like of int, each >= n_global and >= 1
    window, n_global, causal : as in :func:`longformer_mask`

    Returns
    -------
    numpy.ndarray of int, shaped like ``n``
    """
    n_arr = np.asarray(n)
    if not np.issubdtype(n_arr.dtype, np.integer) or np.any(n_arr < 1):
        raise ValueError(f"n must hold integers >= 1, got {n!r}")
    g = check_int(n_global, "n_global", low=0)
    if np.any(n_arr < g):
        raise ValueError(f"n_global = {g} must not exceed any length in n (smallest {int(n_arr.min())})")
    return np.asarray(_pairs(n_arr.astype(np.int64), _window(window), g, bool(causal)))


@dataclass(frozen=True)
class AttentionCost:
    r"""What a pattern costs against full attention (:func:`attention_cost`); arrays over the lengths ``n``.

    Attributes
    ----------
    n : numpy.ndarray of int
    pairs : numpy.ndarray of int
        Allowed (query, key) pairs of the pattern.
    full_pairs : numpy.ndarray of int
        Pairs of full attention (:math:`n^2`, or :math:`n(n+1)/2` when causal).
    multiply_adds : numpy.ndarray of int
        ``pairs * (d_k + d_v)``: the scores :math:`q \cdot k` and the weighted sum of values, for one head.
    share : numpy.ndarray of float
        ``pairs / full_pairs``.
    """

    n: np.ndarray
    pairs: np.ndarray
    full_pairs: np.ndarray
    multiply_adds: np.ndarray
    share: np.ndarray


def attention_cost(n, window: int | None, n_global: int = 0, *, causal: bool = False, d_k: int = 64,
                   d_v: int | None = None) -> AttentionCost:
    """Pairs and multiply-adds of one head of a :func:`longformer_mask` pattern, against full attention.

    Parameters
    ----------
    n, window, n_global, causal : as in :func:`attended_pairs`
    d_k, d_v : int >= 1
        Widths of queries/keys and of values (``d_v`` defaults to ``d_k``).

    Returns
    -------
    AttentionCost
    """
    d_k = check_int(d_k, "d_k", low=1)
    d_v = d_k if d_v is None else check_int(d_v, "d_v", low=1)
    pairs = attended_pairs(n, window, n_global, causal=causal)
    full = attended_pairs(n, None, 0, causal=causal)
    return AttentionCost(np.asarray(n), pairs, full, pairs * (d_k + d_v), pairs / full)


def receptive_field(mask, n_layers: int) -> np.ndarray:
    r"""Which inputs can influence which outputs after ``n_layers`` layers that all use ``mask``.

    Position ``j`` reaches position ``i`` through ``L`` layers when there is a path
    :math:`j = k_0 \to k_1 \to \dots \to k_L = i` with every step allowed, i.e. :math:`(M^L)_{ij} > 0`
    (boolean matrix power). A band of half-width ``w`` reaches ``L w`` positions away; one global token
    connects everything in two layers.

    Parameters
    ----------
    mask : array_like of bool, shape (n, n)
    n_layers : int >= 1

    Returns
    -------
    numpy.ndarray of bool, shape (n, n)
    """
    mask = np.asarray(mask)
    if mask.dtype != bool or mask.ndim != 2 or mask.shape[0] != mask.shape[1]:
        raise ValueError(f"mask must be a square boolean matrix, got dtype {mask.dtype} and shape {mask.shape}")
    n_layers = check_int(n_layers, "n_layers", low=1)
    step = mask.astype(np.int64)
    reach = step.copy()
    for _ in range(n_layers - 1):
        reach = np.minimum(reach @ step, 1)
    return reach > 0

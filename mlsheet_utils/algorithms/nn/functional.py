"""Elementwise and normalising functions of neural networks, with their derivatives.

Conventions: arrays are float64; functions act along ``axis`` (default the last) and broadcast over the others.
"""

from __future__ import annotations

import numpy as np

from mlsheet_utils.validation import as_array, check_int


def softmax(x, axis: int = -1) -> np.ndarray:
    r"""Numerically stable softmax along one axis.

    .. math:: \operatorname{softmax}(x)_i = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}}, \qquad m = \max_j x_j .

    Subtracting the maximum does not change the result (softmax is invariant to adding a constant to every
    entry) but keeps every exponent <= 0, so nothing overflows. Entries equal to ``-inf`` get weight 0.

    Parameters
    ----------
    x : array_like, any shape with at least one axis
        Scores (logits); NaN and ``+inf`` are rejected, ``-inf`` means "excluded".
    axis : int
        The axis that is normalised.

    Returns
    -------
    numpy.ndarray, same shape as ``x``
        Non-negative, summing to 1 along ``axis``.

    Raises
    ------
    ValueError
        If ``x`` contains NaN or ``+inf``, ``axis`` is out of range, or a slice along ``axis`` is all ``-inf``.
    """
    x = as_array(x, "x", finite=False)
    if x.ndim == 0:
        raise ValueError("x must have at least one axis, got a scalar")
    if np.isnan(x).any() or np.isposinf(x).any():
        raise ValueError("x contains NaN or +inf values")
    axis = check_int(axis, "axis", low=-x.ndim, high=x.ndim - 1)
    m = x.max(axis=axis, keepdims=True)
    if x.shape[axis] == 0 or np.isneginf(m).any():
        raise ValueError(f"x has a slice along axis {axis} with no finite entry; its softmax is undefined")
    e = np.exp(x - m)
    return e / e.sum(axis=axis, keepdims=True)


def softmax_jacobian(p) -> np.ndarray:
    r"""Jacobian of the softmax, written in terms of its output ``p = softmax(x)``.

    .. math:: \frac{\partial p_i}{\partial x_j} = p_i(\delta_{ij} - p_j), \qquad J = \operatorname{diag}(p) - p p^\top .

    Parameters
    ----------
    p : array_like, shape (..., n)
        Probability vectors along the last axis.

    Returns
    -------
    numpy.ndarray, shape (..., n, n)
    """
    p = as_array(p, "p")
    if p.ndim == 0:
        raise ValueError("p must have at least one axis, got a scalar")
    eye = np.eye(p.shape[-1])
    return p[..., :, None] * eye - p[..., :, None] * p[..., None, :]

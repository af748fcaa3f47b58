r"""Convex functions and Jensen's inequality: the gap it bounds, and the log-sum-exp it bounds.

For convex :math:`f` and any random variable :math:`X` with a mean, :math:`f(\mathbb{E}X) \le \mathbb{E}f(X)`
(reversed for concave :math:`f`).

- :func:`discrete_jensen`: both sides exactly, for a distribution on finitely many values (:class:`JensenPair`);
- :func:`jensen_gap`: the gap :math:`\mathbb{E}f(X) - f(\mathbb{E}X)` estimated from samples, with its
  delta-method standard error (:class:`JensenGapEstimate`);
- :func:`logsumexp`: :math:`\log\sum_i e^{x_i}` without overflow, which Jensen's inequality bounds by
  :math:`\bar x + \log n` below and :math:`\max_i x_i + \log n` above (re-exported by
  :mod:`mlsheet_utils.algorithms.nn.functional`, where its gradient is the softmax).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from mlsheet_utils.validation import as_array, check_callable, check_int

__all__ = ["JensenPair", "discrete_jensen", "JensenGapEstimate", "jensen_gap", "logsumexp"]


@dataclass(frozen=True)
class JensenPair:
    r"""The two sides of Jensen's inequality for one distribution.

    Attributes
    ----------
    f_of_mean : float
        :math:`f(\mathbb{E}X)`.
    mean_of_f : float
        :math:`\mathbb{E}f(X)`.
    """

    f_of_mean: float
    mean_of_f: float

    @property
    def gap(self) -> float:
        """``mean_of_f - f_of_mean``: non-negative for convex ``f``."""
        return self.mean_of_f - self.f_of_mean


def discrete_jensen(f: Callable[[np.ndarray], np.ndarray], values, probs) -> JensenPair:
    r"""Both sides of Jensen's inequality, exactly, for :math:`X` taking finitely many values.

    .. math:: f(\mathbb{E}X) = f\Bigl(\sum_k p_k x_k\Bigr) \;\le\; \sum_k p_k f(x_k) = \mathbb{E}f(X)
              \quad\text{for convex } f .

    With two values this is the definition of convexity: the chord lies above the graph.

    Parameters
    ----------
    f : callable, vectorised, array (k,) -> (k,)
    values : array_like, shape (k,)
        The values :math:`x_k`.
    probs : array_like, shape (k,)
        Their probabilities: non-negative, summing to 1.

    Returns
    -------
    JensenPair
        ``f_of_mean`` and ``mean_of_f`` (and their difference, ``gap``).
    """
    check_callable(f, "f")
    values, probs = as_array(values, "values", ndim=1), as_array(probs, "probs", ndim=1)
    if values.shape != probs.shape or values.size == 0:
        raise ValueError(f"values and probs must be non-empty and of the same length, got {values.shape}, "
                         f"{probs.shape}")
    if np.any(probs < 0) or not np.isclose(probs.sum(), 1.0):
        raise ValueError(f"probs must be non-negative and sum to 1 (a probability distribution), got {probs}")
    return JensenPair(float(np.asarray(f(np.array([probs @ values])), dtype=float)[0]),
                      float(probs @ np.asarray(f(values), dtype=float)))


@dataclass(frozen=True)
class JensenGapEstimate:
    r"""A Monte-Carlo estimate of the Jensen gap.

    Attributes
    ----------
    gap : float
        The plug-in estimate :math:`\overline{f(x)} - f(\bar x)`.
    se : float
        Its delta-method standard error.
    """

    gap: float
    se: float


def jensen_gap(f: Callable[[np.ndarray], np.ndarray], samples) -> JensenGapEstimate:
    r"""The Jensen gap :math:`\mathbb{E}f(X) - f(\mathbb{E}X)` from samples, with its standard error.

    The plug-in estimate is :math:`\hat g = \frac1n\sum_i f(x_i) - f(\bar x)`. Linearising
    :math:`f(\bar x) \approx f(\mu) + f'(\mu)(\bar x - \mu)` (the delta method) makes :math:`\hat g` a mean of
    :math:`f(x_i) - f'(\mu)\,x_i` up to a constant, so

    .. math:: \operatorname{se}(\hat g) \approx \frac{\operatorname{sd}\bigl(f(x_i) - s\,x_i\bigr)}{\sqrt n},
              \qquad s = \frac{f(\bar x + h) - f(\bar x - h)}{2h},\quad h = 10^{-5}(1 + |\bar x|).

    Parameters
    ----------
    f : callable, vectorised, array (n,) -> (n,)
    samples : array_like, shape (n,), n >= 2, finite

    Returns
    -------
    JensenGapEstimate
        ``gap`` and ``se``.
    """
    check_callable(f, "f")
    x = as_array(samples, "samples", ndim=1)
    if x.size < 2:
        raise ValueError(f"samples must hold at least 2 values, got {x.size}")
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):      # reported below as a ValueError
        fx = np.asarray(f(x), dtype=float)
    if fx.shape != x.shape or not np.all(np.isfinite(fx)):
        raise ValueError("f(samples) must be finite and shaped like samples: is X inside the domain of f?")
    m = x.mean()
    h = 1e-5 * (1 + abs(m))
    around = np.asarray(f(np.array([m - h, m, m + h])), dtype=float)
    slope = (around[2] - around[0]) / (2 * h)
    return JensenGapEstimate(float(fx.mean() - around[1]), float(np.std(fx - slope * x, ddof=1) / np.sqrt(x.size)))


def logsumexp(X, axis: int = -1) -> np.ndarray:
    r"""Log-sum-exp along one axis, without overflow: shift by the maximum first.

    .. math:: \mathrm{LSE}(x) = \log\sum_{i=1}^n e^{x_i} = m + \log\sum_{i=1}^n e^{x_i - m},
              \qquad m = \max_i x_i,

    and every exponent is then :math:`\le 0`. Jensen's inequality on the concave :math:`\log` gives
    :math:`\bar x + \log n \le \mathrm{LSE}(x)`, and :math:`\sum_i e^{x_i} \le n e^m` gives
    :math:`\mathrm{LSE}(x) \le m + \log n`.

    Parameters
    ----------
    X : array_like, any shape with at least one axis
        ``-inf`` entries count as :math:`e^{-\infty} = 0`; NaN is rejected.
    axis : int
        The axis summed over.

    Returns
    -------
    numpy.ndarray
        ``X`` with ``axis`` removed (a 0-d array for a 1-D ``X``).
    """
    X = as_array(X, "X", finite=False)
    if X.ndim == 0:
        raise ValueError("X must have at least one axis, got a scalar")
    if np.isnan(X).any():
        raise ValueError("X contains NaN values")
    axis = check_int(axis, "axis", low=-X.ndim, high=X.ndim - 1)
    m = np.max(X, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):                 # a slice of -inf only: log 0 = -inf, the right answer
        return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(X - m), axis=axis))

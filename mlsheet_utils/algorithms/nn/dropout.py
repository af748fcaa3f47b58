r"""What dropout does, beyond the layer itself (:class:`~mlsheet_utils.algorithms.nn.layers.Dropout`).

- :func:`mc_dropout_predict`: Monte-Carlo dropout, the model run many times in training mode (a fresh mask each
  time), giving a predictive mean and spread (a :class:`MCDropoutPrediction`);
- :func:`expected_dropout_loss`: the squared error of a linear model with inverted dropout on its inputs,
  averaged over every mask in closed form: least squares plus an adaptive L2 penalty;
- :func:`dropout_regression`: the weights that minimise that expected loss, a ridge regression with one penalty
  per feature.

Inverted dropout with rate :math:`p` keeps each entry with probability :math:`1 - p` and scales it by
:math:`1/(1-p)`: :math:`\tilde x_j = m_j x_j / (1 - p)`, :math:`m_j \sim \text{Bernoulli}(1 - p)`, so
:math:`\mathbb E[\tilde x_j] = x_j` and :math:`\operatorname{Var}[\tilde x_j] = \frac{p}{1-p} x_j^2`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn.layers import Layer
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

__all__ = ["MCDropoutPrediction", "dropout_regression", "expected_dropout_loss", "mc_dropout_predict"]


@dataclass(frozen=True)
class MCDropoutPrediction:
    """Predictions of a dropout network under ``n_samples`` random masks.

    Attributes
    ----------
    mean : numpy.ndarray, shape (n, ...)
        The average prediction over the masks (an estimate of the average over every mask).
    std : numpy.ndarray, shape (n, ...)
        Their standard deviation (``ddof=1``): the spread the masks cause, read as model uncertainty.
    samples : numpy.ndarray, shape (n_samples, n, ...)
        Every prediction.
    """

    mean: np.ndarray
    std: np.ndarray
    samples: np.ndarray


def mc_dropout_predict(model: Layer, params, X, *, n_samples: int = 100, rng) -> MCDropoutPrediction:
    r"""Monte-Carlo dropout: keep dropout on at prediction time and average over masks.

    .. math::
        \hat\mu(x) = \frac1S \sum_{s=1}^S f(x; \theta, m^{(s)}), \qquad
        \hat\sigma(x)^2 = \frac{1}{S-1}\sum_{s=1}^S \bigl(f(x; \theta, m^{(s)}) - \hat\mu(x)\bigr)^2,

    with independent masks :math:`m^{(s)}` (one per copy of every example). The :math:`S` copies go through the
    model in one forward pass, stacked on a new leading axis (the layers treat leading axes as batch axes).
    Gal and Ghahramani (2016) read :math:`\hat\sigma` as the uncertainty of an approximate Bayesian posterior;
    at the least, it is large where the sub-networks disagree.

    Parameters
    ----------
    model : Layer
        Usually a :class:`~mlsheet_utils.algorithms.nn.layers.Sequential` with ``Dropout`` layers.
    params : the model's parameters
    X : array_like, shape (n, n_features)
    n_samples : int >= 2
        :math:`S`.
    rng : int or numpy.random.Generator
        Draws the masks.

    Returns
    -------
    MCDropoutPrediction
    """
    if not isinstance(model, Layer):
        raise ValueError(f"model must be a Layer, got {type(model).__name__}")
    n_samples = check_int(n_samples, "n_samples", low=2)
    as_array(X, "X", ndim=2)
    try:
        model.check_input(X)
    except ValueError as exc:
        raise ValueError(f"X does not fit model: {exc}") from None
    X = model.check_input(X)
    params = model.check_params(params)
    rng = check_random_state(rng)
    stacked = np.broadcast_to(X, (n_samples,) + X.shape)
    samples, _ = model._forward(stacked, params, rng, True)
    return MCDropoutPrediction(samples.mean(axis=0), samples.std(axis=0, ddof=1), samples)


def _check_linear(X, y, rate):
    X = as_array(X, "X", ndim=2)
    y = as_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0] or X.shape[0] == 0:
        raise ValueError(f"y must have one entry per row of X ({X.shape[0]}), got shape {y.shape}")
    rate = check_float(rate, "rate", low=0, high=1, high_open=True)
    return X, y, rate


def expected_dropout_loss(X, y, w, rate: float) -> float:
    r"""Mean squared error of :math:`\hat y = \tilde x^\top w` averaged over every inverted-dropout mask.

    .. math::
        \frac1n \sum_i \mathbb E_m\Bigl(y_i - \sum_j \frac{m_{ij} x_{ij}}{1-p} w_j\Bigr)^2
        = \frac1n \|y - Xw\|^2 + \frac{p}{1-p}\,\frac1n \sum_j w_j^2 \sum_i x_{ij}^2 :

    the mean squared error of the full model plus an L2 penalty whose weight for :math:`w_j` grows with the
    energy :math:`\sum_i x_{ij}^2` of feature :math:`j` (the variance each kept input adds).

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
    w : array_like, shape (d,)
    rate : float in [0, 1)
        :math:`p`.

    Returns
    -------
    float
    """
    X, y, rate = _check_linear(X, y, rate)
    w = as_array(w, "w", ndim=1)
    if w.shape != (X.shape[1],):
        raise ValueError(f"w must have shape ({X.shape[1]},) (one weight per column of X), got {w.shape}")
    n = X.shape[0]
    fit = float(np.sum((y - X @ w) ** 2)) / n
    return fit + rate / (1.0 - rate) * float(np.sum(w * w * np.sum(X * X, axis=0))) / n


def dropout_regression(X, y, rate: float) -> np.ndarray:
    r"""The weights minimising :func:`expected_dropout_loss`: a ridge regression with a penalty per feature.

    Setting the gradient to zero,

    .. math:: \hat w = \bigl(X^\top X + \lambda \operatorname{diag}(X^\top X)\bigr)^{-1} X^\top y, \qquad
              \lambda = \frac{p}{1 - p},

    which is ordinary ridge with :math:`\lambda\,\|x_j\|^2` in place of a common penalty; for standardised
    features (:math:`\|x_j\|^2 = n`) it is ``Ridge(alpha = n p / (1 - p))`` without intercept.

    Parameters
    ----------
    X : array_like, shape (n, d)
        No feature may be identically zero when ``rate`` is 0 and ``X`` is rank-deficient.
    y : array_like, shape (n,)
    rate : float in [0, 1)

    Returns
    -------
    numpy.ndarray, shape (d,)
    """
    X, y, rate = _check_linear(X, y, rate)
    gram = X.T @ X
    return np.linalg.solve(gram + rate / (1.0 - rate) * np.diag(np.diag(gram)), X.T @ y)

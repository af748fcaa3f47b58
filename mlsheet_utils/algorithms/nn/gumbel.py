r"""Sampling a categorical through Gumbel noise, its softmax relaxation, and gradient estimators.

- :func:`gumbel_noise`: standard Gumbel draws by inverting the CDF, :math:`g = -\log(-\log u)`;
- :func:`gumbel_max_sample`: exact categorical samples, :math:`\arg\max_i (\theta_i + g_i)`;
- :func:`gumbel_softmax`: the relaxed sample :math:`y = \operatorname{softmax}((\theta + g)/\tau)`, its hard
  (one-hot) partner and the index (a :class:`RelaxedSample`);
- :func:`gumbel_softmax_vjp`: the pullback of :math:`\partial L/\partial y` to the logits;
- :func:`gradient_estimates`: the gradient of :math:`\mathbb E_{z \sim p}[f(z)]` for a quadratic loss, exactly (by
  enumeration) and by the relaxed, straight-through and score-function (REINFORCE) estimators
  (a :class:`GradientEstimates`).

The logits :math:`\theta` may be unnormalised: adding a constant to all of them changes nothing. Arrays are float64
with the categories on the last axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn import functional as F
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

__all__ = ["GradientEstimates", "RelaxedSample", "gradient_estimates", "gumbel_max_sample", "gumbel_noise",
           "gumbel_softmax", "gumbel_softmax_vjp"]


def _logits(logits) -> np.ndarray:
    logits = as_array(logits, "logits")
    if logits.ndim == 0 or logits.shape[-1] < 2:
        raise ValueError(f"logits must have at least 2 categories on the last axis, got shape {logits.shape}")
    return logits


def _shape(shape) -> tuple[int, ...]:
    if not np.isscalar(shape) and not isinstance(shape, (tuple, list, np.ndarray)):
        raise ValueError(f"shape must be an int or a tuple of ints, got {shape!r}")
    shape = (shape,) if np.isscalar(shape) else tuple(shape)
    return tuple(check_int(s, "shape", low=1) for s in shape)


def gumbel_noise(shape, rng=0) -> np.ndarray:
    r"""Standard Gumbel noise by inverse-CDF sampling.

    The CDF is :math:`F(g) = \exp(-e^{-g})`; solving :math:`F(g) = u` for a uniform :math:`u` gives

    .. math:: g = -\log(-\log u), \qquad u \sim \mathcal U(0, 1).

    Parameters
    ----------
    shape : int or tuple of int
    rng : int or numpy.random.Generator

    Returns
    -------
    numpy.ndarray of ``shape``
    """
    shape = _shape(shape)
    u = check_random_state(rng).uniform(np.finfo(float).tiny, 1.0, size=shape)   # u = 0 would give -inf
    return -np.log(-np.log(u))


def gumbel_max_sample(logits, n_samples: int, rng=0) -> np.ndarray:
    r"""Exact categorical draws with :math:`P(z = i) = \operatorname{softmax}(\theta)_i`, by the Gumbel-max trick.

    .. math:: z = \arg\max_i \,(\theta_i + g_i), \qquad g_i \sim \text{Gumbel}(0, 1) \text{ i.i.d.}

    Parameters
    ----------
    logits : array_like, shape (K,)
    n_samples : int >= 1
    rng : int or numpy.random.Generator

    Returns
    -------
    numpy.ndarray of int, shape (n_samples,), values in ``0 .. K-1``
    """
    logits = _logits(logits)
    if logits.ndim != 1:
        raise ValueError(f"logits must be one vector of shape (K,), got shape {logits.shape}")
    n_samples = check_int(n_samples, "n_samples", low=1)
    g = gumbel_noise((n_samples, logits.size), rng)
    return np.argmax(logits + g, axis=-1)


@dataclass(frozen=True)
class RelaxedSample:
    r"""A Gumbel-softmax draw.

    Attributes
    ----------
    soft : numpy.ndarray, shape (..., K)
        :math:`\operatorname{softmax}((\theta + g)/\tau)`, on the simplex.
    hard : numpy.ndarray, shape (..., K)
        The one-hot vector of :attr:`index` (what the straight-through estimator uses going forward).
    index : numpy.ndarray of int, shape (...)
        :math:`\arg\max_i (\theta_i + g_i)`, an exact categorical sample (it does not depend on :math:`\tau`).
    """

    soft: np.ndarray
    hard: np.ndarray
    index: np.ndarray


def gumbel_softmax(logits, tau: float, noise) -> RelaxedSample:
    r"""Relaxed (and hard) samples from the same Gumbel noise.

    .. math:: y_i = \frac{\exp((\theta_i + g_i)/\tau)}{\sum_j \exp((\theta_j + g_j)/\tau)}.

    As :math:`\tau \to 0` the soft sample tends to the one-hot vector of :math:`\arg\max_i(\theta_i + g_i)`;
    as :math:`\tau \to \infty` it tends to the uniform vector :math:`1/K`.

    Parameters
    ----------
    logits : array_like, shape (K,) or (..., K)
    tau : float > 0
        Temperature.
    noise : array_like, shape (..., K)
        Gumbel draws (:func:`gumbel_noise`), broadcast against ``logits``.

    Returns
    -------
    RelaxedSample
    """
    logits = _logits(logits)
    tau = check_float(tau, "tau", low=0, low_open=True)
    noise = as_array(noise, "noise")
    if noise.shape[-1:] != logits.shape[-1:]:
        raise ValueError(f"noise must have {logits.shape[-1]} categories on its last axis (as logits), got shape "
                         f"{noise.shape}")
    z = logits + noise
    index = np.argmax(z, axis=-1)
    hard = (np.arange(z.shape[-1]) == index[..., None]).astype(float)
    return RelaxedSample(soft=F._softmax(z / tau, -1), hard=hard, index=index)


def gumbel_softmax_vjp(soft, dy, tau: float) -> np.ndarray:
    r"""Pull :math:`\partial L/\partial y` back to the logits through the relaxed sample.

    The sample is :math:`y = \operatorname{softmax}((\theta + g)/\tau)`, with Jacobian and pullback

    .. math:: \frac{\partial y_i}{\partial \theta_j} = \frac{1}{\tau}\, y_i(\delta_{ij} - y_j)
              \quad\Longrightarrow\quad
              \frac{\partial L}{\partial \theta} = \frac{1}{\tau}\, y \odot \Bigl(\frac{\partial L}{\partial y}
              - \Bigl\langle \frac{\partial L}{\partial y}, y \Bigr\rangle\Bigr).

    Parameters
    ----------
    soft : array_like, shape (..., K)
        The relaxed sample :math:`y`.
    dy : array_like, shape (..., K)
    tau : float > 0

    Returns
    -------
    numpy.ndarray, shape (..., K)
    """
    soft, dy = as_array(soft, "soft"), as_array(dy, "dy")
    if soft.shape != dy.shape:
        raise ValueError(f"dy must have the shape of soft {soft.shape}, got {dy.shape}")
    tau = check_float(tau, "tau", low=0, low_open=True)
    return _vjp(soft, dy, tau)


def _vjp(y, dy, tau):
    return y * (dy - (dy * y).sum(axis=-1, keepdims=True)) / tau


@dataclass(frozen=True)
class GradientEstimates:
    r"""The gradient of :math:`J(\theta) = \mathbb E_{z \sim \operatorname{softmax}(\theta)}[f(e_z)]`, four ways.

    Attributes
    ----------
    exact : numpy.ndarray, shape (K,)
        By enumeration: :math:`p \odot (f - \langle p, f\rangle)` with :math:`f_i = f(e_i)`.
    relaxed, straight_through, reinforce : numpy.ndarray, shape (K,)
        Sample means of the three estimators over the draws.
    relaxed_se, straight_through_se, reinforce_se : numpy.ndarray, shape (K,)
        Their standard errors (sample standard deviation over :math:`\sqrt n`).
    """

    exact: np.ndarray
    relaxed: np.ndarray
    straight_through: np.ndarray
    reinforce: np.ndarray
    relaxed_se: np.ndarray
    straight_through_se: np.ndarray
    reinforce_se: np.ndarray


def gradient_estimates(logits, target, tau: float, noise) -> GradientEstimates:
    r"""Exact and estimated gradients of an expected quadratic loss of a categorical sample.

    The loss of a vector :math:`y` is :math:`f(y) = \lVert y - t\rVert^2` (so :math:`\nabla f(y) = 2(y - t)`), and the
    objective is its mean over one-hot samples, :math:`J(\theta) = \sum_i p_i f(e_i)`. Per draw :math:`g`, with
    :math:`y` the soft and :math:`h = e_z` the hard sample, and :math:`J_y^\top v` the pullback of
    :func:`gumbel_softmax_vjp`:

    - relaxed (pathwise): :math:`J_y^\top \nabla f(y)`, the exact gradient of the *relaxed* objective
      :math:`\mathbb E[f(y)]`, a biased estimate of :math:`\nabla J` for :math:`\tau > 0`;
    - straight-through: :math:`J_y^\top \nabla f(h)` (the forward pass uses the hard sample);
    - REINFORCE (score function): :math:`f(h)\,(h - p)`, unbiased since
      :math:`\nabla_\theta \log p_z = e_z - p`.

    Parameters
    ----------
    logits : array_like, shape (K,)
    target : array_like, shape (K,)
        The vector :math:`t` in the loss.
    tau : float > 0
    noise : array_like, shape (n, K)
        Gumbel draws, ``n >= 2``; the same draws feed all three estimators.

    Returns
    -------
    GradientEstimates
    """
    logits = _logits(logits)
    if logits.ndim != 1:
        raise ValueError(f"logits must be one vector of shape (K,), got shape {logits.shape}")
    k = logits.size
    target = as_array(target, "target", ndim=1)
    if target.size != k:
        raise ValueError(f"target must have {k} entries (one per entry of logits), got {target.size}")
    noise = as_array(noise, "noise", ndim=2)
    if noise.shape[1] != k or noise.shape[0] < 2:
        raise ValueError(f"noise must have shape (n >= 2, {k}) ({k} = the number of logits), got {noise.shape}")
    tau = check_float(tau, "tau", low=0, low_open=True)

    p = F._softmax(logits, -1)
    f_onehot = ((np.eye(k) - target) ** 2).sum(axis=1)                  # f(e_i)
    exact = p * (f_onehot - p @ f_onehot)

    z = logits + noise
    index = np.argmax(z, axis=1)
    hard = np.eye(k)[index]
    soft = F._softmax(z / tau, -1)
    per_draw = {"relaxed": _vjp(soft, 2 * (soft - target), tau),
                "straight_through": _vjp(soft, 2 * (hard - target), tau),
                "reinforce": f_onehot[index][:, None] * (hard - p)}
    n = noise.shape[0]
    means = {name: d.mean(axis=0) for name, d in per_draw.items()}
    ses = {f"{name}_se": d.std(axis=0, ddof=1) / np.sqrt(n) for name, d in per_draw.items()}
    return GradientEstimates(exact=exact, **means, **ses)

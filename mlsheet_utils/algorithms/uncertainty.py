r"""Uncertainty quantification: how sure a model is, split into its sources, and checked against held-out data.

Aleatoric and epistemic uncertainty, by the law of total variance over an ensemble of :math:`B` members, each a
Gaussian :math:`\mathcal N(\mu_b(x), \sigma_b^2)`:

.. math:: \operatorname{Var}(y \mid x) = \underbrace{\tfrac1B \textstyle\sum_b \sigma_b^2}_{\text{aleatoric}}
          + \underbrace{\tfrac1B \textstyle\sum_b \big(\mu_b(x) - \bar\mu(x)\big)^2}_{\text{epistemic}} .

- :func:`bootstrap_polynomial_ensemble`  least-squares polynomials fitted to bootstrap resamples (an
  :class:`EnsemblePrediction` with the mean and both parts of the variance);

Intervals with a guarantee, and their check on a test set:

- :func:`conformal_quantile`   the :math:`\lceil (n+1)\,\text{level} \rceil`-th smallest calibration score;
- :func:`split_conformal`      split-conformal prediction intervals around any point prediction, optionally scaled
  by a predicted spread (a :class:`ConformalInterval`);
- :func:`interval_coverage`    the share of test targets inside their intervals, with its binomial standard error
  (a :class:`Coverage`);

Calibration of class probabilities (the reliability diagram and the ECE are
:func:`mlsheet_utils.algorithms.metrics.calibration_bins`):

- :func:`fit_temperature`      temperature scaling: the :math:`T` minimising the held-out negative log-likelihood of
  :math:`\operatorname{softmax}(z / T)` (a :class:`TemperatureFit`).

Public functions validate their input once and raise ``ValueError`` naming the argument.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.bias_variance import legendre_features
from mlsheet_utils.algorithms.nn.functional import _log_softmax
from mlsheet_utils.algorithms.trees.ensemble import bootstrap_samples
from mlsheet_utils.validation import as_array, check_float, check_int

__all__ = ["ConformalInterval", "Coverage", "EnsemblePrediction", "TemperatureFit", "bootstrap_polynomial_ensemble",
           "conformal_quantile", "fit_temperature", "interval_coverage", "split_conformal"]


def _level(level) -> float:
    return check_float(level, "level", low=0, high=1, low_open=True, high_open=True)


def _same_length(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape, got {a.shape} and {b.shape}")


# -- ensembles --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EnsemblePrediction:
    r"""Predictions of ``B`` ensemble members at ``m`` inputs.

    Attributes
    ----------
    member_means : ndarray, shape (B, m), each member's prediction :math:`\mu_b(x)`
    member_noise_var : ndarray, shape (B,), each member's noise variance :math:`\sigma_b^2` (its residual
        sum of squares over :math:`n - p`, with :math:`p` coefficients)
    samples : ndarray of int, shape (B, n), the bootstrap rows each member was fitted to
    """

    member_means: np.ndarray
    member_noise_var: np.ndarray
    samples: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        r"""The ensemble's prediction :math:`\bar\mu(x)`, shape (m,)."""
        return self.member_means.mean(axis=0)

    @property
    def epistemic_var(self) -> np.ndarray:
        """The spread of the members' means (population variance over members), shape (m,)."""
        return self.member_means.var(axis=0)

    @property
    def aleatoric_var(self) -> np.ndarray:
        """The members' mean noise variance, the same at every input, shape (m,)."""
        return np.full(self.member_means.shape[1], self.member_noise_var.mean())

    @property
    def total_var(self) -> np.ndarray:
        """Aleatoric plus epistemic: the variance of the equal mixture of the members' Gaussians, shape (m,)."""
        return self.aleatoric_var + self.epistemic_var


def _polynomial_design(x: np.ndarray, degree: int) -> np.ndarray:
    r"""Columns :math:`1, P_1(x), \dots, P_d(x)` (Legendre polynomials, well conditioned on [-1, 1])."""
    return np.column_stack([np.ones_like(x), legendre_features(x, degree)]) if degree else np.ones((x.size, 1))


def bootstrap_polynomial_ensemble(x, y, x_eval, *, degree: int = 3, n_members: int = 50,
                                  rng=0) -> EnsemblePrediction:
    r"""Fit one least-squares polynomial of ``degree`` per bootstrap resample; predict at ``x_eval``.

    Member :math:`b` sees ``n`` rows drawn with replacement, fits
    :math:`\hat\beta_b = \arg\min \lVert y_b - \Phi_b\beta\rVert^2` on Legendre features, and estimates the noise
    by :math:`\sigma_b^2 = \mathrm{RSS}_b / (n - p)`. The spread of the members' curves is the epistemic part
    (it shrinks as ``n`` grows and widens where there are no data); the noise estimates are the aleatoric part.

    Parameters
    ----------
    x : array_like in [-1, 1], shape (n,)
    y : array_like, shape (n,)
    x_eval : array_like in [-1, 1], shape (m,)
    degree : int >= 0, with n > degree + 1
    n_members : int >= 2
    rng : int or numpy.random.Generator

    Returns
    -------
    EnsemblePrediction
    """
    x = as_array(x, "x", ndim=1)
    y = as_array(y, "y", ndim=1)
    x_eval = as_array(x_eval, "x_eval", ndim=1)
    _same_length(x, y, "x", "y")
    degree = check_int(degree, "degree", low=0)
    n_members = check_int(n_members, "n_members", low=2)
    p = degree + 1
    if x.size <= p:
        raise ValueError(f"a polynomial of degree {degree} needs more than {p} points, got {x.size}")
    for name, values in (("x", x), ("x_eval", x_eval)):
        if values.size and np.max(np.abs(values)) > 1:
            raise ValueError(f"{name} must lie in [-1, 1] (the Legendre features' range)")
    samples = bootstrap_samples(x.size, n_members, rng=rng)
    Phi, Phi_eval = _polynomial_design(x, degree), _polynomial_design(x_eval, degree)
    means, noise = np.empty((n_members, x_eval.size)), np.empty(n_members)
    for b, rows in enumerate(samples):
        coef = np.linalg.lstsq(Phi[rows], y[rows], rcond=None)[0]
        noise[b] = np.sum((y[rows] - Phi[rows] @ coef) ** 2) / (x.size - p)
        means[b] = Phi_eval @ coef
    return EnsemblePrediction(means, noise, samples)


# -- conformal intervals and coverage -----------------------------------------------------------------------------

def conformal_quantile(scores, level: float = 0.9) -> float:
    r"""The :math:`k`-th smallest of ``n`` calibration scores, :math:`k = \lceil (n + 1)\,\text{level}\rceil`.

    If the scores and a new score are exchangeable (and tie-free), the new score's rank among all
    :math:`n + 1` is uniform, so it is at most the :math:`k`-th smallest calibration score with probability
    :math:`k / (n + 1) \in [\text{level}, \text{level} + 1/(n+1))`. When :math:`k > n` no finite quantile
    guarantees the level and the answer is :math:`+\infty`.

    Parameters
    ----------
    scores : array_like, shape (n,), non-conformity scores (e.g. absolute residuals) of the calibration set
    level : float in (0, 1), the target coverage :math:`1 - \alpha`

    Returns
    -------
    float (``inf`` when the calibration set is too small for the level)
    """
    scores = as_array(scores, "scores", ndim=1)
    level = _level(level)
    if scores.size < 1:
        raise ValueError("scores must hold at least one calibration score")
    k = math.ceil((scores.size + 1) * level - 1e-12)       # guard against 0.9 * 20 = 18.000000000000004
    return float(np.inf) if k > scores.size else float(np.partition(scores, k - 1)[k - 1])


@dataclass(frozen=True)
class ConformalInterval:
    """Split-conformal intervals at ``m`` test inputs.

    Attributes
    ----------
    lower, upper : ndarray, shape (m,)
    quantile : float, :func:`conformal_quantile` of the calibration scores (a half-width, or a multiple of the
        predicted spread when the scores were scaled)
    """

    lower: np.ndarray
    upper: np.ndarray
    quantile: float


def split_conformal(pred_cal, y_cal, pred_test, *, level: float = 0.9, scale_cal=None,
                    scale_test=None) -> ConformalInterval:
    r"""Intervals :math:`\hat y \pm q\,s` that cover a new target with probability at least ``level``.

    The scores on a calibration set the model never saw are :math:`|y_i - \hat y_i| / s_i` (with :math:`s_i = 1`
    unless a predicted spread is given), and :math:`q` is their :func:`conformal_quantile`. The guarantee is
    marginal (averaged over test points) and needs only exchangeability, not a correct model.

    Parameters
    ----------
    pred_cal, y_cal : array_like, shape (n,), predictions and targets of the calibration set
    pred_test : array_like, shape (m,)
    level : float in (0, 1)
    scale_cal, scale_test : array_like > 0, shapes (n,) and (m,), optional: a predicted spread (both or neither)

    Returns
    -------
    ConformalInterval
    """
    pred_cal = as_array(pred_cal, "pred_cal", ndim=1)
    y_cal = as_array(y_cal, "y_cal", ndim=1)
    pred_test = as_array(pred_test, "pred_test", ndim=1)
    _same_length(pred_cal, y_cal, "pred_cal", "y_cal")
    if (scale_cal is None) != (scale_test is None):
        raise ValueError("give both scale_cal and scale_test, or neither")
    if scale_cal is None:
        s_cal, s_test = np.ones_like(pred_cal), np.ones_like(pred_test)
    else:
        s_cal = as_array(scale_cal, "scale_cal", ndim=1)
        s_test = as_array(scale_test, "scale_test", ndim=1)
        _same_length(s_cal, pred_cal, "scale_cal", "pred_cal")
        _same_length(s_test, pred_test, "scale_test", "pred_test")
        if np.any(s_cal <= 0) or np.any(s_test <= 0):
            raise ValueError("scale_cal and scale_test must be positive")
    q = conformal_quantile(np.abs(y_cal - pred_cal) / s_cal, level)
    return ConformalInterval(pred_test - q * s_test, pred_test + q * s_test, q)


@dataclass(frozen=True)
class Coverage:
    r"""How many test targets fell inside their intervals.

    Attributes
    ----------
    rate : float, the share inside
    se : float, the binomial standard error :math:`\sqrt{\text{level}(1 - \text{level}) / n}` of that share
        if the intervals had exactly the nominal coverage
    n_inside : int
    n : int
    level : float, the nominal coverage
    """

    rate: float
    se: float
    n_inside: int
    n: int
    level: float

    @property
    def z(self) -> float:
        """Standard errors between the observed and the nominal coverage: (rate - level) / se."""
        return (self.rate - self.level) / self.se


def interval_coverage(y, lower, upper, level: float = 0.95) -> Coverage:
    """Share of ``y`` inside ``[lower, upper]`` (all shape (m,)), against the nominal ``level``."""
    y = as_array(y, "y", ndim=1)
    lower = as_array(lower, "lower", ndim=1, finite=False)
    upper = as_array(upper, "upper", ndim=1, finite=False)
    _same_length(y, lower, "y", "lower")
    _same_length(y, upper, "y", "upper")
    if y.size < 1:
        raise ValueError("y must hold at least one test target")
    if np.any(np.isnan(lower)) or np.any(np.isnan(upper)) or np.any(lower > upper):
        raise ValueError("lower and upper must be numbers with lower <= upper")
    level = _level(level)
    inside = int(np.sum((lower <= y) & (y <= upper)))
    return Coverage(inside / y.size, math.sqrt(level * (1 - level) / y.size), inside, y.size, level)


# -- temperature scaling ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TemperatureFit:
    """Temperature scaling of a classifier's logits.

    Attributes
    ----------
    temperature : float, :math:`T` (> 1 softens over-confident probabilities)
    nll_before, nll_after : float, mean negative log-likelihood at :math:`T = 1` and at the optimum
    n_iter : int, Newton steps taken
    """

    temperature: float
    nll_before: float
    nll_after: float
    n_iter: int


def _nll_derivatives(beta: float, Z: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Mean NLL of softmax(beta Z), and its first and second derivatives in beta."""
    logp = _log_softmax(beta * Z, axis=1)
    p = np.exp(logp)
    z_true = Z[np.arange(y.size), y]
    ez = np.sum(p * Z, axis=1)
    nll = -np.mean(logp[np.arange(y.size), y])
    return float(nll), float(np.mean(ez - z_true)), float(np.mean(np.sum(p * Z**2, axis=1) - ez**2))


def fit_temperature(logits, y, *, tol: float = 1e-12, max_iter: int = 100) -> TemperatureFit:
    r"""The temperature :math:`T` minimising :math:`-\frac1n\sum_i \log \operatorname{softmax}(z_i / T)_{y_i}`.

    In the inverse temperature :math:`\beta = 1/T` the objective is convex: its derivative is
    :math:`\frac1n\sum_i (\mathbb E_{p_i}[z] - z_{i,y_i})` and its second derivative the mean variance of the
    logits under :math:`p_i`, both non-negative in the right places. So the derivative is increasing, its root is
    bracketed by doubling, and safeguarded Newton steps (bisection when a step leaves the bracket) find it.
    The argmax of every row is unchanged, so accuracy is too.

    Parameters
    ----------
    logits : array_like, shape (n, K), held-out logits (not those the model was trained on)
    y : array_like of int in [0, K), shape (n,)
    tol : float > 0, on the derivative
    max_iter : int >= 1

    Returns
    -------
    TemperatureFit

    Raises
    ------
    ValueError
        When the best :math:`\beta` is not positive (the logits are no better than uniform) or is unbounded (the
        logits rank every true class first by a margin: the NLL falls towards 0 as :math:`T \to 0`).
    """
    Z = as_array(logits, "logits", ndim=2)
    y_arr = as_array(y, "y", ndim=1)
    if y_arr.shape[0] != Z.shape[0]:
        raise ValueError(f"y must have one label per row of logits ({Z.shape[0]}), got {y_arr.shape[0]}")
    if y_arr.shape[0] != Z.shape[0] or Z.shape[0] < 1 or Z.shape[1] < 2:
        raise ValueError(f"logits must be (n, K >= 2) with one label per row, got {Z.shape} and {y_arr.shape}")
    if np.any(y_arr != np.round(y_arr)) or np.any(y_arr < 0) or np.any(y_arr >= Z.shape[1]):
        raise ValueError(f"y must hold class indices in [0, {Z.shape[1]})")
    y_idx = y_arr.astype(np.intp)
    tol = check_float(tol, "tol", low=0, low_open=True)
    max_iter = check_int(max_iter, "max_iter", low=1)
    if _nll_derivatives(0.0, Z, y_idx)[1] >= 0:
        raise ValueError("the logits are no better than a uniform guess: the best temperature is not positive")
    lo, hi = 0.0, 1.0
    while _nll_derivatives(hi, Z, y_idx)[1] < 0:
        lo, hi = hi, 2 * hi
        if hi > 1e8:
            raise ValueError("the NLL keeps falling as T -> 0 (every label is ranked first); no finite optimum")
    beta, n_iter = 0.5 * (lo + hi), 0
    while n_iter < max_iter:
        _, g, h = _nll_derivatives(beta, Z, y_idx)
        if abs(g) < tol:
            break
        n_iter += 1
        lo, hi = (beta, hi) if g < 0 else (lo, beta)
        step = beta - g / h if h > 0 else np.nan
        beta = step if lo < step < hi else 0.5 * (lo + hi)
    return TemperatureFit(1.0 / beta, _nll_derivatives(1.0, Z, y_idx)[0], _nll_derivatives(beta, Z, y_idx)[0],
                          n_iter)

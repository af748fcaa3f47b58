r"""Limit theorems by simulation, with the exact references they are checked against.

Sample means and the central limit theorem:

- :func:`running_means` (the mean of every prefix of a sequence), :func:`standardized_sums` (the CLT statistic
  :math:`Z_n` of every prefix);
- :func:`exact_ks_binomial` (the exact distance between the CDF of a standardised binomial and
  :math:`\Phi`), :func:`spread_ratio` (a tail-weight ratio of four quantiles, free of location and scale).

The law of large numbers and Monte Carlo:

- :func:`chebyshev_bound` (the weak law's bound on a deviation of the mean), :func:`monte_carlo` (an
  expectation estimated by a sample mean, with its standard error, as a :class:`MonteCarloResult`).

Dependent sequences, where "iid" fails:

- :func:`ar1` (stationary AR(1) paths from given innovations), :func:`var_mean_ar1` and :func:`ess_ar1` (the exact
  variance of their mean and the effective sample size), :func:`ess_estimate` (the effective sample size of
  observed series, from their sample autocorrelations).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import special, stats

from mlsheet_utils.validation import as_array, check_callable, check_float, check_int, check_random_state

# -- sample means and the CLT -------------------------------------------------------------------------------

def _sequences(draws, name: str = "draws") -> np.ndarray:
    x = as_array(draws, name)
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(f"{name} must have a non-empty last axis, got shape {x.shape}")
    return x


def running_means(draws) -> np.ndarray:
    r"""Running means along the last axis: :math:`\bar X_k = \frac1k (X_1 + \dots + X_k)` for every k.

    One cumulative sum, so all :math:`n` prefixes of many sequences cost :math:`O(n)` each.

    Parameters
    ----------
    draws : array_like, shape (..., n), n >= 1, finite

    Returns
    -------
    ndarray, shape (..., n): ``out[..., k]`` is the mean of the first ``k + 1`` draws.
    """
    x = _sequences(draws)
    return np.cumsum(x, axis=-1) / np.arange(1, x.shape[-1] + 1)


def standardized_sums(draws, mu: float, sigma: float) -> np.ndarray:
    r"""The CLT statistic of every prefix: :math:`Z_k = \frac{S_k - k\mu}{\sigma\sqrt k}
    = \frac{\bar X_k - \mu}{\sigma/\sqrt k}`, with :math:`S_k = X_1 + \dots + X_k`.

    :math:`Z_k` has mean 0 and variance 1 for every k when the draws are iid with mean :math:`\mu` and standard
    deviation :math:`\sigma`; the central limit theorem says its law tends to :math:`\mathcal N(0, 1)`.

    Parameters
    ----------
    draws : array_like, shape (..., n), n >= 1, finite
        Independent sequences of draws along the last axis (e.g. ``(reps, n)``).
    mu : float
        The mean of one draw.
    sigma : float > 0
        The standard deviation of one draw.

    Returns
    -------
    ndarray, shape (..., n): ``out[..., k - 1]`` is :math:`Z_k`; the last column is :math:`Z_n` of all n draws.
    """
    x = _sequences(draws)
    mu = check_float(mu, "mu")
    sigma = check_float(sigma, "sigma", low=0.0, low_open=True)
    k = np.arange(1, x.shape[-1] + 1)
    return (np.cumsum(x, axis=-1) - k * mu) / (sigma * np.sqrt(k))


def exact_ks_binomial(n: int, p: float) -> float:
    r"""Exact :math:`\sup_z |P(Z_n \le z) - \Phi(z)|` for a sum of n Bernoulli(p) terms, where
    :math:`Z_n = (S_n - np)/\sqrt{np(1-p)}` and :math:`S_n \sim \mathrm{Binomial}(n, p)`.

    The CDF of :math:`Z_n` is a step function that jumps at :math:`z_k = (k - np)/\sqrt{np(1-p)}`,
    :math:`k = 0, \dots, n`, while :math:`\Phi` increases: between two jumps the gap is largest at an end, so the
    supremum is the largest of :math:`|F(z_k) - \Phi(z_k)|` and :math:`|F(z_k^-) - \Phi(z_k)|` over the jumps.

    Parameters
    ----------
    n : int >= 1
    p : float in (0, 1)

    Returns
    -------
    float in [0, 1]
    """
    n = check_int(n, "n", low=1)
    p = check_float(p, "p", low=0.0, high=1.0, low_open=True, high_open=True)
    k = np.arange(n + 1)
    zk = (k - n * p) / np.sqrt(n * p * (1 - p))
    F = stats.binom.cdf(k, n, p)
    F_before = np.r_[0.0, F[:-1]]
    Phi = special.ndtr(zk)
    return float(max(np.abs(F - Phi).max(), np.abs(F_before - Phi).max()))


def spread_ratio(quantiles) -> float:
    r"""Tail weight of a distribution from four of its quantiles: :math:`\frac{q_{0.975} - q_{0.025}}
    {q_{0.75} - q_{0.25}}`, the central 95% range over the interquartile range.

    Any shift or rescaling of the variable cancels, so the ratio is one number for a whole location-scale family:
    about 2.91 for every normal and 12.7 for every Cauchy.

    Parameters
    ----------
    quantiles : array_like, shape (4,)
        :math:`(q_{0.025}, q_{0.25}, q_{0.75}, q_{0.975})`, non-decreasing, with :math:`q_{0.75} > q_{0.25}`.

    Returns
    -------
    float >= 1
    """
    q = as_array(quantiles, "quantiles", ndim=1)
    if q.shape != (4,) or np.any(np.diff(q) < 0) or not q[2] > q[1]:
        raise ValueError(f"quantiles must be 4 non-decreasing values (2.5%, 25%, 75%, 97.5%) with q75 > q25, "
                         f"got {quantiles!r}")
    return float((q[3] - q[0]) / (q[2] - q[1]))


# -- the law of large numbers and Monte Carlo -----------------------------------------------------------------

def chebyshev_bound(sigma, n, eps) -> np.ndarray:
    r"""Chebyshev's bound on a deviation of the mean of n iid draws with standard deviation :math:`\sigma`:

    .. math:: P(|\bar X_n - \mu| \ge \varepsilon) \le \min\Big(1, \frac{\sigma^2}{n\varepsilon^2}\Big).

    Parameters
    ----------
    sigma : float or array_like, >= 0
    n : float or array_like, >= 1
    eps : float or array_like, > 0
        Broadcast against each other.

    Returns
    -------
    ndarray of the broadcast shape, values in [0, 1]
    """
    sigma, n, eps = (as_array(v, name) for v, name in ((sigma, "sigma"), (n, "n"), (eps, "eps")))
    if np.any(sigma < 0):
        raise ValueError(f"sigma must be >= 0, got {sigma.min():g}")
    if np.any(n < 1):
        raise ValueError(f"n must be >= 1, got {n.min():g}")
    if np.any(eps <= 0):
        raise ValueError(f"eps must be > 0, got {eps.min():g}")
    try:
        np.broadcast_shapes(sigma.shape, n.shape, eps.shape)
    except ValueError:
        raise ValueError(f"sigma, n and eps must broadcast together, got shapes {sigma.shape}, {n.shape} and "
                         f"{eps.shape}") from None
    return np.minimum(1.0, sigma ** 2 / (n * eps ** 2))


@dataclass(frozen=True)
class MonteCarloResult:
    """A Monte-Carlo estimate of an expectation and its standard error."""

    estimate: float
    std_error: float


def monte_carlo(f: Callable, sampler: Callable, n: int, rng=0) -> MonteCarloResult:
    r"""Estimate :math:`\mathbb E f(X)` by the mean of :math:`f` over n draws of X.

    .. math:: \hat\mu = \frac1n\sum_{i=1}^n f(X_i),\qquad \widehat{\mathrm{se}} = \frac{s}{\sqrt n},\quad
              s^2 = \frac{1}{n-1}\sum_i \big(f(X_i) - \hat\mu\big)^2 .

    The law of large numbers makes :math:`\hat\mu` converge; the central limit theorem makes
    :math:`\hat\mu \pm 2\,\widehat{\mathrm{se}}` an approximate 95% interval.

    Parameters
    ----------
    f : callable
        Vectorised over the draws: ``f(draws)`` returns one value per draw, shape (n,).
    sampler : callable ``(rng, n) -> draws``
        n draws of X (first axis of length n).
    n : int >= 2
    rng : int or numpy.random.Generator

    Returns
    -------
    MonteCarloResult
    """
    f, sampler = check_callable(f, "f"), check_callable(sampler, "sampler")
    n = check_int(n, "n", low=2)
    rng = check_random_state(rng)
    values = np.asarray(f(sampler(rng, n)), dtype=float)
    if values.shape != (n,):
        raise ValueError(f"f must return one value per draw, shape ({n},), got {values.shape}")
    return MonteCarloResult(float(values.mean()), float(values.std(ddof=1) / np.sqrt(n)))


# -- dependent sequences ----------------------------------------------------------------------------------------

def _phi(phi) -> float:
    return check_float(phi, "phi", low=-1.0, high=1.0, low_open=True, high_open=True)


def ar1(eps, phi: float) -> np.ndarray:
    r"""Stationary AR(1) paths with unit variance, driven by the given innovations:

    .. math:: X_1 = \varepsilon_1,\qquad X_t = \phi X_{t-1} + \sqrt{1 - \phi^2}\,\varepsilon_t .

    With standard normal :math:`\varepsilon_t` every :math:`X_t` is :math:`\mathcal N(0, 1)` and
    :math:`\operatorname{Corr}(X_t, X_{t+k}) = \phi^k`; :math:`\phi = 0` gives iid draws. The recursion runs in
    time (sequential) and is vectorised over the paths.

    Parameters
    ----------
    eps : array_like, shape (reps, n), n >= 1
        Independent standard normal innovations, one row per path.
    phi : float in (-1, 1)

    Returns
    -------
    ndarray, shape (reps, n)
    """
    phi = _phi(phi)
    eps = as_array(eps, "eps", ndim=2)
    if eps.shape[1] < 1:
        raise ValueError(f"eps must have shape (reps, n) with n >= 1, got {eps.shape}")
    x = np.empty_like(eps)
    x[:, 0] = eps[:, 0]
    scale = np.sqrt(1 - phi ** 2)
    for t in range(1, eps.shape[1]):
        x[:, t] = phi * x[:, t - 1] + scale * eps[:, t]
    return x


def var_mean_ar1(n, phi: float, sigma2: float = 1.0) -> np.ndarray:
    r"""Exact variance of the mean of :math:`X_1, \dots, X_n` from a stationary AR(1) with variance
    :math:`\sigma^2`:

    .. math:: \operatorname{Var}\bar X_n = \frac{\sigma^2}{n^2}\Big(\frac{n(1+\phi)}{1-\phi}
              - \frac{2\phi(1-\phi^n)}{(1-\phi)^2}\Big)
              = \frac{\sigma^2}{n^2}\sum_{i,j=1}^n \phi^{|i-j|}.

    :math:`\phi = 0` gives the iid value :math:`\sigma^2/n`.

    Parameters
    ----------
    n : int or array_like of ints >= 1
    phi : float in (-1, 1)
    sigma2 : float > 0

    Returns
    -------
    ndarray shaped like ``n`` (0-d for a scalar)
    """
    phi = _phi(phi)
    sigma2 = check_float(sigma2, "sigma2", low=0.0, low_open=True)
    n = as_array(n, "n")
    if np.any(n < 1) or np.any(n != np.round(n)):
        raise ValueError(f"n must be integers >= 1, got {n!r}")
    return sigma2 / n ** 2 * (n * (1 + phi) / (1 - phi) - 2 * phi * (1 - phi ** n) / (1 - phi) ** 2)


def ess_ar1(n, phi: float) -> np.ndarray:
    r"""Effective sample size of n observations of a stationary AR(1): :math:`n_{\text{eff}} =
    \sigma^2/\operatorname{Var}\bar X_n` (:func:`var_mean_ar1`), which tends to :math:`n\frac{1-\phi}{1+\phi}`.

    Parameters
    ----------
    n : int or array_like of ints >= 1
    phi : float in (-1, 1)

    Returns
    -------
    ndarray shaped like ``n``
    """
    return 1.0 / var_mean_ar1(n, phi)


def ess_estimate(x) -> np.ndarray:
    r"""Effective sample size of observed series, from their sample autocorrelations:

    .. math:: \hat n_{\text{eff}} = \frac{n}{1 + 2\sum_{k=1}^{K-1} \hat\rho_k},\qquad
              \hat\rho_k = \frac{\sum_{t=1}^{n-k} (x_t - \bar x)(x_{t+k} - \bar x)}{\sum_{t=1}^n (x_t - \bar x)^2},

    where :math:`K` is the first lag with :math:`\hat\rho_K \le 0` (the sum stops there, as simple MCMC diagnostics
    do, because the noisy tail of the autocorrelations would swamp it). The autocovariances come from one FFT
    per series, zero-padded so that the circular correlation is the ordinary one.

    Parameters
    ----------
    x : array_like, shape (n,) or (reps, n), n >= 3, each series not constant

    Returns
    -------
    float for one series, ndarray of shape (reps,) for several.
    """
    arr = as_array(x, "x")
    if arr.ndim not in (1, 2) or arr.shape[-1] < 3:
        raise ValueError(f"x must be a series (n,) or series (reps, n) of length n >= 3, got shape {arr.shape}")
    X = np.atleast_2d(arr)
    if np.any(np.ptp(X, axis=1) == 0):
        raise ValueError("x has a constant series; its effective sample size is undefined")
    n = X.shape[1]
    c = X - X.mean(axis=1, keepdims=True)
    m = 1 << (2 * n - 1).bit_length()
    acov = np.fft.irfft(np.abs(np.fft.rfft(c, m, axis=1)) ** 2, m, axis=1)[:, :n]
    acf = acov / acov[:, :1]
    non_positive = acf[:, 1:] <= 0
    stop = np.where(non_positive.any(axis=1), np.argmax(non_positive, axis=1) + 1, n)    # first lag K with rho_K <= 0
    lags = np.arange(1, n)
    summed = np.where(lags[None, :] < stop[:, None], acf[:, 1:], 0.0).sum(axis=1)
    out = n / (1 + 2 * summed)
    return float(out[0]) if arr.ndim == 1 else out

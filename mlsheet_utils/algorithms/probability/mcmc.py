"""Markov chain Monte Carlo diagnostics and a textbook Gibbs sampler.

:func:`gibbs_bivariate_normal` (alternating exact conditionals), :func:`zigzag` (the path through coordinate
updates), :func:`autocorrelation` (of a chain, by lag).
"""

from __future__ import annotations

import numpy as np

from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state


def gibbs_bivariate_normal(rho: float, n_steps: int, rng=0, x0=(0.0, 0.0), mu=(0.0, 0.0),
                           sigma=(1.0, 1.0)) -> np.ndarray:
    """Systematic-scan Gibbs sampler for a bivariate normal with correlation ``rho``.

    Each step draws :math:`x_1` then :math:`x_2` from their full conditionals

    .. math:: x_1 \\mid x_2 \\sim \\mathcal N\\Big(\\mu_1 + \\rho\\frac{\\sigma_1}{\\sigma_2}(x_2 - \\mu_2),\\;
              \\sigma_1^2 (1 - \\rho^2)\\Big)

    (and symmetrically). For standardised variables each coordinate's chain is AR(1) with coefficient
    :math:`\\rho^2`, so the lag-:math:`k` autocorrelation is :math:`\\rho^{2k}`.

    Parameters
    ----------
    rho : float, -1 < rho < 1
    n_steps : int >= 1
    rng : int or numpy.random.Generator
    x0, mu, sigma : pairs of floats (start, means, standard deviations > 0)

    Returns
    -------
    ndarray, shape (n_steps + 1, 2): the start and the state after each full step.
    """
    rho = check_float(rho, "rho", low=-1, high=1, low_open=True, high_open=True)
    n_steps = check_int(n_steps, "n_steps", low=1)
    mu, sigma = as_array(mu, "mu", ndim=1), as_array(sigma, "sigma", ndim=1)
    x0 = as_array(x0, "x0", ndim=1)
    if mu.size != 2 or sigma.size != 2 or x0.size != 2 or np.any(sigma <= 0):
        raise ValueError("mu, x0 and sigma must be pairs, sigma positive")
    rng = check_random_state(rng)
    noise = rng.standard_normal((n_steps, 2)) * sigma * np.sqrt(1 - rho ** 2)
    out = np.empty((n_steps + 1, 2))
    out[0] = x0
    a, b = x0
    slope12, slope21 = rho * sigma[0] / sigma[1], rho * sigma[1] / sigma[0]
    for t in range(n_steps):
        a = mu[0] + slope12 * (b - mu[1]) + noise[t, 0]
        b = mu[1] + slope21 * (a - mu[0]) + noise[t, 1]
        out[t + 1] = a, b
    return out


def zigzag(samples) -> np.ndarray:
    """The path a Gibbs sampler traces, one coordinate at a time: (n+1, 2) states -> (2n+1, 2) points."""
    s = as_array(samples, "samples", ndim=2)
    path = np.empty((2 * len(s) - 1, 2))
    path[0::2] = s
    path[1::2, 0] = s[1:, 0]
    path[1::2, 1] = s[:-1, 1]
    return path


def autocorrelation(x, max_lag: int) -> np.ndarray:
    """Sample autocorrelation :math:`\\hat r_k` of a 1-D chain for lags 0..max_lag (FFT-free, exact sums)."""
    x = as_array(x, "x", ndim=1)
    max_lag = check_int(max_lag, "max_lag", low=0, high=max(len(x) - 1, 0))
    d = x - x.mean()
    var = d @ d
    if var == 0:
        raise ValueError("x is constant; its autocorrelation is undefined")
    return np.array([d[: len(d) - k] @ d[k:] / var for k in range(max_lag + 1)])

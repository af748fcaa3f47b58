"""Markov chain Monte Carlo: a textbook Gibbs sampler, its broken synchronous cousin, and chain diagnostics.

- :func:`gibbs_bivariate_normal` (alternating exact conditionals) and :func:`synchronous_bivariate_normal`
  (both coordinates from the old state: the wrong target); :func:`zigzag` (the path through coordinate updates);
- :func:`autocorrelation` (of a chain, by lag), :func:`var1_standard_errors` (exact standard errors of a
  Gaussian VAR(1) chain's sample mean and covariance);
- :func:`coordinate_kernel` (the exact Gibbs kernel of one coordinate on two binary variables) and
  :func:`total_variation` (distance to stationarity).
"""

from __future__ import annotations

import numpy as np

from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state


def gibbs_bivariate_normal(rho: float, n_steps: int, rng=0, x0=(0.0, 0.0), mu=(0.0, 0.0),
                           sigma=(1.0, 1.0)) -> np.ndarray:
    r"""Systematic-scan Gibbs sampler for a bivariate normal with correlation ``rho``.

    Each step draws :math:`x_1` then :math:`x_2` from their full conditionals

    .. math:: x_1 \mid x_2 \sim \mathcal N\Big(\mu_1 + \rho\frac{\sigma_1}{\sigma_2}(x_2 - \mu_2),\;
              \sigma_1^2 (1 - \rho^2)\Big)

    (and symmetrically). For standardised variables each coordinate's chain is AR(1) with coefficient
    :math:`\rho^2`, so the lag-:math:`k` autocorrelation is :math:`\rho^{2k}`.

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
    for name, pair in (("mu", mu), ("sigma", sigma), ("x0", x0)):
        if pair.shape != (2,):
            raise ValueError(f"{name} must be a pair, got shape {pair.shape}")
    if np.any(sigma <= 0):
        raise ValueError(f"sigma must be positive (standard deviations), got {sigma.tolist()}")
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
    if s.shape[1] != 2:
        raise ValueError(f"samples must have shape (n + 1, 2), got {s.shape}")
    path = np.empty((2 * len(s) - 1, 2))
    path[0::2] = s
    path[1::2, 0] = s[1:, 0]
    path[1::2, 1] = s[:-1, 1]
    return path


def autocorrelation(x, max_lag: int) -> np.ndarray:
    r"""Sample autocorrelation :math:`\hat r_k` of a 1-D chain for lags 0..max_lag (FFT-free, exact sums)."""
    x = as_array(x, "x", ndim=1)
    max_lag = check_int(max_lag, "max_lag", low=0, high=max(len(x) - 1, 0))
    d = x - x.mean()
    var = d @ d
    if var == 0:
        raise ValueError("x is constant; its autocorrelation is undefined")
    return np.array([d[: len(d) - k] @ d[k:] / var for k in range(max_lag + 1)])


def synchronous_bivariate_normal(rho: float, n_steps: int, rng=0, x0=(0.0, 0.0)) -> np.ndarray:
    r"""Both coordinates redrawn from their conditionals given the *old* state: a sampler that is wrong on purpose.

    For a standardised bivariate normal with correlation :math:`\rho`,

    .. math:: x_1' = \rho x_2 + \sqrt{1 - \rho^2}\,\varepsilon_1, \qquad
              x_2' = \rho x_1 + \sqrt{1 - \rho^2}\,\varepsilon_2,

    so each coordinate is an AR(1) with coefficient :math:`\rho` that ignores the other: the chain's stationary
    law has independent coordinates, not correlation :math:`\rho`.

    Parameters
    ----------
    rho : float in (-1, 1)
    n_steps : int >= 1
    rng : int or numpy.random.Generator
    x0 : pair, the start

    Returns
    -------
    ndarray (n_steps + 1, 2): the start, then the state after each step.
    """
    rho = check_float(rho, "rho", low=-1.0, high=1.0, low_open=True, high_open=True)
    n_steps = check_int(n_steps, "n_steps", low=1)
    x0 = as_array(x0, "x0", ndim=1)
    if x0.shape != (2,):
        raise ValueError(f"x0 must be a pair, got shape {x0.shape}")
    noise = check_random_state(rng).standard_normal((n_steps, 2)) * np.sqrt(1 - rho**2)
    out = np.empty((n_steps + 1, 2))
    out[0] = x0
    for t in range(n_steps):
        out[t + 1] = rho * out[t, ::-1] + noise[t]
    return out


def var1_standard_errors(A, cov, n: int, max_lag: int = 200) -> tuple[np.ndarray, np.ndarray]:
    r"""Standard errors of the sample mean and the sample covariance of ``n`` draws of a stationary Gaussian VAR(1).

    For :math:`x_t = A x_{t-1} + \text{noise}` with stationary covariance :math:`\Sigma`, the lag-:math:`k`
    covariance is :math:`\Gamma(k) = A^k \Sigma` (and :math:`\Gamma(-k) = \Gamma(k)^\top`), so

    .. math:: n\operatorname{Var}(\bar x_i) \to \sum_k \Gamma_{ii}(k), \qquad
              n\operatorname{Var}(\hat\Sigma_{ij}) \to
              \sum_k \Gamma_{ii}(k)\Gamma_{jj}(k) + \Gamma_{ij}(k)\Gamma_{ji}(k)

    (Bartlett's formula for Gaussian series), with the sums cut at :math:`|k| \le` ``max_lag``.

    Parameters
    ----------
    A : array_like (d, d), the transition matrix of a stationary chain: spectral radius < 1
    cov : array_like (d, d), the stationary covariance :math:`\Sigma`: symmetric positive semi-definite
    n : int >= 1, the number of draws
    max_lag : int >= 0

    Returns
    -------
    (se_mean (d,), se_cov (d, d))
    """
    A = as_array(A, "A", ndim=2)
    cov = as_array(cov, "cov", ndim=2)
    if A.shape[0] != A.shape[1] or cov.shape != A.shape:
        raise ValueError(f"A and cov must be square of the same shape, got {A.shape} and {cov.shape}")
    radius = float(np.max(np.abs(np.linalg.eigvals(A))))
    if radius >= 1:
        raise ValueError(f"A must have spectral radius < 1 (a stationary chain), got {radius:.6g}")
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=1e-12):
        raise ValueError("cov must be symmetric (a covariance matrix)")
    lowest = float(np.linalg.eigvalsh(cov).min())
    if lowest < -1e-10 * max(1.0, float(np.abs(cov).max())):
        raise ValueError(f"cov must be positive semi-definite (a covariance matrix), got an eigenvalue {lowest:.6g}")
    n = check_int(n, "n", low=1)
    max_lag = check_int(max_lag, "max_lag", low=0)
    lags = [np.linalg.matrix_power(A, k) @ cov for k in range(max_lag + 1)]
    gamma = np.array([G.T for G in lags[:0:-1]] + lags)             # lags -max_lag .. max_lag
    var_cov = np.einsum("kii,kjj->ij", gamma, gamma) + np.einsum("kij,kji->ij", gamma, gamma)
    return np.sqrt(np.einsum("kii->i", gamma) / n), np.sqrt(var_cov / n)


#: The four states of two binary variables, in the order the kernels use.
BINARY_PAIRS = ((0, 0), (0, 1), (1, 0), (1, 1))


def coordinate_kernel(p, coord: int) -> np.ndarray:
    r"""The 4 x 4 Gibbs kernel that redraws coordinate ``coord`` of two binary variables from its conditional.

    :math:`K[s, t] = p(t) / \sum_{u:\,u_{-c} = s_{-c}} p(u)` when :math:`t` agrees with :math:`s` off
    coordinate :math:`c`, else 0. A conditional with no mass keeps the state (the chain never visits it).

    Parameters
    ----------
    p : array_like (4,), probabilities of the states :data:`BINARY_PAIRS`, summing to 1
    coord : 0 or 1
    """
    p = as_array(p, "p", ndim=1)
    if p.shape != (4,) or np.any(p < 0) or not np.isclose(p.sum(), 1.0):
        raise ValueError(f"p must be 4 probabilities summing to 1, got {p.tolist()}")
    coord = check_int(coord, "coord", low=0, high=1)
    K = np.zeros((4, 4))
    for i, s in enumerate(BINARY_PAIRS):
        same = [j for j, t in enumerate(BINARY_PAIRS) if t[1 - coord] == s[1 - coord]]
        total = p[same].sum()
        for j in same:
            K[i, j] = p[j] / total if total > 0 else float(i == j)
    return K


def total_variation(p, q) -> float:
    r"""Total variation distance :math:`\tfrac12 \sum_x |p(x) - q(x)|` between two distributions on one set.

    ``p`` and ``q`` are arrays of one shape, each holding probabilities (>= 0) that sum to 1 over all entries.
    """
    p, q = as_array(p, "p"), as_array(q, "q")
    for name, arr in (("p", p), ("q", q)):
        if np.any(arr < 0) or not np.isclose(arr.sum(), 1.0, rtol=0.0, atol=1e-9):
            raise ValueError(f"{name} must hold probabilities >= 0 summing to 1, got a minimum of {arr.min():.6g} "
                             f"and a sum of {arr.sum():.6g}")
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}")
    return float(0.5 * np.abs(p - q).sum())

r"""Non-parametric density and distribution estimates: kernel density estimation and the empirical CDF.

- :func:`kde` and :func:`kde_log` evaluate a kernel density estimate in one or more dimensions, with a
  Gaussian, Epanechnikov or tophat kernel and a scalar bandwidth (or, for the Gaussian, a bandwidth matrix);
- :func:`scott_bandwidth` and :func:`silverman_bandwidth` are the normal-reference rules of thumb;
- :func:`loo_log_likelihood` and :func:`loo_bandwidth` choose a bandwidth by leave-one-out likelihood;
- :func:`ecdf` evaluates the empirical cumulative distribution function;
- :func:`kde_direct` is the 1-D estimate straight from its formula (no log space), :func:`kde_reflect` the
  reflection estimate for data bounded below, :func:`kde_moments_normal` the exact mean and spread of a Gaussian
  KDE of normal data (its bias and variance without simulation);
- :func:`cdf_from_pdf` integrates a gridded density (trapezoid rule), :func:`inverse_transform_sample` samples
  from a gridded CDF, :func:`ks_statistic` is the Kolmogorov-Smirnov distance of a sample to a CDF.

The estimate with kernel :math:`K` (a density on :math:`\mathbb R^d`) and bandwidth :math:`h > 0` is

.. math::
    \hat f_h(x) = \frac{1}{n h^d} \sum_{i=1}^n K\!\left(\frac{x - x_i}{h}\right),

and with a Gaussian kernel and a symmetric positive definite bandwidth matrix :math:`H` (a covariance)
:math:`\hat f_H(x) = \frac1n \sum_i \mathcal N(x \mid x_i, H)`. The conventions match
``sklearn.neighbors.KernelDensity`` (scalar ``bandwidth`` = :math:`h`) and ``scipy.stats.gaussian_kde``
(whose ``covariance`` is :math:`H`; its ``bw_method`` is a *factor* that multiplies the data's standard deviation).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, logsumexp

from mlsheet_utils.validation import as_array, check_bool, check_float, check_int, check_random_state

#: Kernels by name: each maps squared scaled distances ``u2 = ||x - x_i||^2 / h^2`` to ``log K`` (up to the
#: normalising constant returned by :func:`kernel_log_norm`).
KERNELS = ("gaussian", "epanechnikov", "tophat")

#: Second moment :math:`\\int u^2 K(u)\\,du` of each 1-D kernel (the kernel's variance).
KERNEL_VARIANCE = {"gaussian": 1.0, "epanechnikov": 0.2, "tophat": 1.0 / 3.0}

_CHUNK = 2_000_000  # elements of the (m, n) distance block evaluated at once


def _check_kernel(kernel: str) -> str:
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
    return kernel


def _as_data(data, name: str = "data") -> np.ndarray:
    """Data as an (n, d) array: a 1-D array is n points in one dimension."""
    arr = as_array(data, name)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 1-D (n,) or 2-D (n, d), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must contain at least one point, got shape {arr.shape}")
    return arr


def _as_points(x, d: int, name: str = "x") -> tuple[np.ndarray, tuple]:
    """Evaluation points as (m, d) plus the output shape (``x.shape`` in 1-D, ``x.shape[:-1]`` in d-D)."""
    arr = as_array(x, name)
    if d == 1 and (arr.ndim == 0 or arr.shape[-1:] != (1,) or arr.ndim == 1):
        return arr.reshape(-1, 1), arr.shape
    if arr.ndim == 0 or arr.shape[-1] != d:
        raise ValueError(f"{name} must have last dimension d = {d} to match data, got shape {arr.shape}")
    return arr.reshape(-1, d), arr.shape[:-1]


def kernel_log_norm(kernel: str, d: int = 1) -> float:
    r"""Log of the constant :math:`c_d` that makes the radial kernel a density on :math:`\mathbb R^d`.

    - gaussian: :math:`K(u) = (2\pi)^{-d/2} e^{-\|u\|^2/2}`;
    - tophat: :math:`K(u) = 1/V_d` on the unit ball, :math:`V_d = \pi^{d/2}/\Gamma(d/2 + 1)`;
    - epanechnikov: :math:`K(u) = \frac{d+2}{2V_d}(1 - \|u\|^2)` on the unit ball (3/4 in 1-D).

    ``d`` is the dimension, an int >= 1.
    """
    _check_kernel(kernel)
    d = check_int(d, "d", low=1)
    log_vd = 0.5 * d * math.log(math.pi) - gammaln(0.5 * d + 1)
    if kernel == "gaussian":
        return -0.5 * d * math.log(2 * math.pi)
    if kernel == "tophat":
        return -log_vd
    return math.log((d + 2) / 2) - log_vd


def _log_kernel(u2: np.ndarray, kernel: str) -> np.ndarray:
    """Unnormalised log K at squared scaled distances ``u2`` (``-inf`` outside a compact kernel's support)."""
    if kernel == "gaussian":
        return -0.5 * u2
    inside = u2 < 1.0
    if kernel == "tophat":
        return np.where(inside, 0.0, -np.inf)
    with np.errstate(divide="ignore"):
        return np.where(inside, np.log1p(-np.minimum(u2, 1.0)), -np.inf)


def _bandwidth(bandwidth, d: int, kernel: str):
    """Validate ``bandwidth``: a float h > 0, or (Gaussian only) a (d, d) SPD matrix. Returns (h, L or None)."""
    arr = np.asarray(bandwidth, dtype=float) if not isinstance(bandwidth, str) else None
    if arr is None:
        raise ValueError(f"bandwidth must be a positive number or a (d, d) matrix, got {bandwidth!r}")
    if arr.ndim == 0:
        h = float(arr)
        if not np.isfinite(h) or h <= 0:
            raise ValueError(f"bandwidth must be a finite number > 0, got {bandwidth!r}")
        return h, None
    if kernel != "gaussian":
        raise ValueError(f"a bandwidth matrix needs kernel='gaussian', got kernel={kernel!r}")
    H = as_array(arr, "bandwidth", ndim=2)
    if H.shape != (d, d) or not np.allclose(H, H.T):
        raise ValueError(f"bandwidth matrix must be symmetric with shape ({d}, {d}), got shape {H.shape}")
    try:
        L = np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        raise ValueError("bandwidth matrix must be positive definite") from None
    return 1.0, L


def kde_log(x, data, bandwidth, kernel: str = "gaussian") -> np.ndarray:
    r"""Log of the kernel density estimate at ``x`` (stable for tiny bandwidths, via log-sum-exp).

    .. math::
        \log \hat f(x) = \log \frac{c_d}{n h^d} + \log \sum_{i=1}^n \exp\big(\log k(\|x - x_i\|^2/h^2)\big)

    with :math:`k` the kernel's profile and :math:`c_d` from :func:`kernel_log_norm`. A bandwidth matrix
    :math:`H = LL^\top` whitens the differences, :math:`u = L^{-1}(x - x_i)`, and replaces :math:`h^d` by
    :math:`|H|^{1/2}`.

    Parameters
    ----------
    x : array_like, shape (m,) or any shape in 1-D; (..., d) in d dimensions
        Points at which to evaluate.
    data : array_like, shape (n,) or (n, d)
        The sample, n >= 1 finite points.
    bandwidth : float > 0, or array_like (d, d) symmetric positive definite (Gaussian kernel only)
    kernel : {"gaussian", "epanechnikov", "tophat"}

    Returns
    -------
    ndarray, shape ``x.shape`` (1-D) or ``x.shape[:-1]`` (d-D); ``-inf`` where a compact kernel puts no mass.
    """
    kernel = _check_kernel(kernel)
    X = _as_data(data)
    n, d = X.shape
    h, L = _bandwidth(bandwidth, d, kernel)
    P, out_shape = _as_points(x, d)
    if L is not None:                                   # whiten: u = L^{-1} (x - x_i)
        X = np.linalg.solve(L, X.T).T
        P = np.linalg.solve(L, P.T).T
        log_det_half = float(np.log(np.diag(L)).sum())
    else:
        X, P = X / h, P / h
        log_det_half = d * math.log(h)
    const = kernel_log_norm(kernel, d) - math.log(n) - log_det_half
    out = np.empty(P.shape[0])
    step = max(1, _CHUNK // (n * d))
    for start in range(0, P.shape[0], step):
        diff = P[start:start + step, None, :] - X[None, :, :]          # (chunk, n, d)
        u2 = np.einsum("mnd,mnd->mn", diff, diff)
        with np.errstate(divide="ignore"):
            out[start:start + step] = logsumexp(_log_kernel(u2, kernel), axis=1)
    return (out + const).reshape(out_shape)


def kde(x, data, bandwidth, kernel: str = "gaussian") -> np.ndarray:
    r"""Kernel density estimate :math:`\hat f_h(x) = \frac{1}{nh^d}\sum_i K((x - x_i)/h)` at ``x``.

    Same arguments and shapes as :func:`kde_log`; returns ``exp(kde_log(...))`` (non-negative, integrates to 1).
    """
    return np.exp(kde_log(x, data, bandwidth, kernel))


def _std_and_n(data) -> tuple[np.ndarray, int, int]:
    X = _as_data(data)
    n, d = X.shape
    if n < 2:
        raise ValueError(f"data must contain at least 2 points to estimate a spread, got {n}")
    return X, n, d


def scott_bandwidth(data):
    r"""Scott's rule: :math:`h = \hat\sigma\, n^{-1/(d+4)}` (as ``scipy.stats.gaussian_kde``'s default).

    Parameters
    ----------
    data : array_like, shape (n,) or (n, d), n >= 2

    Returns
    -------
    float h in 1-D (``sigma_hat`` the sample standard deviation, ddof = 1); in d dimensions the bandwidth
    *matrix* :math:`H = n^{-2/(d+4)}\hat\Sigma` (sample covariance), shape (d, d).
    """
    X, n, d = _std_and_n(data)
    factor = n ** (-1.0 / (d + 4))
    return _scaled_spread(X, factor)


def silverman_bandwidth(data, *, robust: bool = False):
    r"""Silverman's rules of thumb.

    ``robust=False``: the normal-reference rule :math:`h = (\tfrac{n(d+2)}{4})^{-1/(d+4)}\hat\sigma`, which in
    1-D is :math:`(4/(3n))^{1/5}\hat\sigma \approx 1.06\,\hat\sigma n^{-1/5}`, the bandwidth that minimises the
    asymptotic mean integrated squared error (AMISE) for a Gaussian kernel when the data are Gaussian
    (``scipy.stats.gaussian_kde(bw_method="silverman")``). In d dimensions returns the matrix factor^2 Sigma_hat.

    ``robust=True`` (1-D only): :math:`h = 0.9\,\min(\hat\sigma, \mathrm{IQR}/1.34)\,n^{-1/5}`, less
    oversmoothing for skewed or bimodal data (R's ``bw.nrd0``).
    """
    check_bool(robust, "robust")
    X, n, d = _std_and_n(data)
    if robust:
        if d != 1:
            raise ValueError(f"robust=True needs 1-D data, got d = {d}")
        x = X[:, 0]
        sigma = x.std(ddof=1)
        q75, q25 = np.percentile(x, [75, 25])
        spread = min(sigma, (q75 - q25) / 1.34) if q75 > q25 else sigma
        if spread <= 0:
            raise ValueError("data has zero spread: every point is equal, no bandwidth rule applies")
        return float(0.9 * spread * n ** (-0.2))
    factor = (n * (d + 2) / 4.0) ** (-1.0 / (d + 4))
    return _scaled_spread(X, factor)


def _scaled_spread(X: np.ndarray, factor: float):
    if X.shape[1] == 1:
        sigma = X[:, 0].std(ddof=1)
        if sigma <= 0:
            raise ValueError("data has zero spread: every point is equal, no bandwidth rule applies")
        return float(factor * sigma)
    return factor ** 2 * np.cov(X, rowvar=False)


def loo_log_likelihood(data, bandwidths, kernel: str = "gaussian") -> np.ndarray:
    r"""Mean leave-one-out log-likelihood of each bandwidth.

    .. math::
        \mathrm{CV}(h) = \frac1n \sum_{i=1}^n \log \hat f_{h,-i}(x_i),\qquad
        \hat f_{h,-i}(x_i) = \frac{1}{(n-1)h^d} \sum_{j \ne i} K\!\left(\frac{x_i - x_j}{h}\right)

    Each point is scored by the estimate built from the other n - 1, so the trivial maximiser
    :math:`h \to 0` of the in-sample likelihood (a spike on every point) is ruled out.

    Parameters
    ----------
    data : array_like, shape (n,) or (n, d), n >= 2
    bandwidths : float or array_like of floats > 0, shape (k,)
    kernel : {"gaussian", "epanechnikov", "tophat"}

    Returns
    -------
    ndarray, shape (k,) (or a float for a scalar ``bandwidths``). ``-inf`` when a compact kernel leaves some
    point without neighbours within h.
    """
    kernel = _check_kernel(kernel)
    X = _as_data(data)
    n, d = X.shape
    if n < 2:
        raise ValueError(f"data must contain at least 2 points for leave-one-out, got {n}")
    hs = as_array(bandwidths, "bandwidths")
    if hs.ndim > 1:
        raise ValueError(f"bandwidths must be a float or a 1-D array, got shape {hs.shape}")
    if hs.size == 0 or np.any(hs <= 0):
        raise ValueError(f"bandwidths must be non-empty and > 0, got {bandwidths!r}")
    diff = X[:, None, :] - X[None, :, :]
    d2 = np.einsum("ijd,ijd->ij", diff, diff)
    np.fill_diagonal(d2, np.inf)                                 # leave x_i out of its own estimate
    out = np.empty(hs.size)
    if kernel == "gaussian":
        # log sum_j exp(-d2_ij / 2h^2), shifted by each row's nearest neighbour so the largest term is exp(0)
        nearest = d2.min(axis=1, keepdims=True)
        excess = d2 - nearest                                    # >= 0, +inf on the diagonal
    for k, h in enumerate(hs.ravel()):
        if kernel == "gaussian":
            per_point = np.log(np.exp(excess / (-2.0 * h * h)).sum(axis=1)) - nearest[:, 0] / (2.0 * h * h)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                logk = _log_kernel(d2 / h ** 2, kernel)
            np.fill_diagonal(logk, -np.inf)
            with np.errstate(divide="ignore"):
                per_point = logsumexp(logk, axis=1)
        out[k] = per_point.mean() + kernel_log_norm(kernel, d) - math.log(n - 1) - d * math.log(h)
    return float(out[0]) if hs.ndim == 0 else out.reshape(hs.shape)


def loo_bandwidth(data, bandwidths=None, kernel: str = "gaussian") -> float:
    """The bandwidth (from a grid) with the largest leave-one-out log-likelihood.

    Parameters
    ----------
    data : array_like, shape (n,) or (n, d), n >= 2
    bandwidths : array_like of floats > 0, optional
        Candidates; default 80 values spaced logarithmically from Scott's 1-D h / 30 to 3 h
        (h from the mean per-coordinate standard deviation).
    kernel : {"gaussian", "epanechnikov", "tophat"}
    """
    X, n, d = _std_and_n(data)
    if bandwidths is None:
        sigma = float(X.std(axis=0, ddof=1).mean())
        if sigma <= 0:
            raise ValueError("data has zero spread: every point is equal, no bandwidth can be chosen")
        h0 = sigma * n ** (-1.0 / (d + 4))
        bandwidths = np.geomspace(h0 / 30, 3 * h0, 80)
    hs = as_array(bandwidths, "bandwidths", ndim=1)
    scores = loo_log_likelihood(X, hs, kernel)
    if not np.any(np.isfinite(scores)):
        raise ValueError("every candidate bandwidth leaves some point with zero density; try larger bandwidths")
    return float(hs[np.argmax(scores)])


def ecdf(x, data) -> np.ndarray:
    r"""Empirical CDF :math:`F_n(x) = \frac1n \#\{i : x_i \le x\}` of a 1-D sample, evaluated at ``x``.

    A right-continuous step function that jumps by 1/n at each data point (by k/n at a value repeated k
    times), 0 left of the smallest point and 1 from the largest on.

    Parameters
    ----------
    x : array_like, any shape
        Points at which to evaluate (may contain +/-inf, not NaN).
    data : array_like, shape (n,), n >= 1, finite

    Returns
    -------
    ndarray shaped like ``x``, values in {0, 1/n, ..., 1}.
    """
    sample = as_array(data, "data", ndim=1)
    if sample.size == 0:
        raise ValueError("data must contain at least one point")
    xs = as_array(x, "x", finite=False)
    if np.isnan(xs).any():
        raise ValueError("x contains NaN")
    return np.searchsorted(np.sort(sample), xs, side="right") / sample.size


# -- the estimator straight from its formula, and at an edge --------------------------------------------------

def _kernel_values(v: np.ndarray, kernel: str) -> np.ndarray:
    """The 1-D kernel :math:`K(v)` itself (not its log), for scaled differences ``v``."""
    if kernel == "gaussian":
        return np.exp(-0.5 * v * v) / math.sqrt(2 * math.pi)
    inside = np.abs(v) < 1
    if kernel == "tophat":
        return np.where(inside, 0.5, 0.0)
    return np.where(inside, 0.75 * (1 - v * v), 0.0)


def _scalar_bandwidth(h) -> float:
    if isinstance(h, (bool, np.bool_)) or not isinstance(h, numbers.Real) or not np.isfinite(h) or not h > 0:
        raise ValueError(f"h (the bandwidth) must be a finite number > 0, got {h!r}")
    return float(h)


def kde_direct(x, data, h, kernel: str = "gaussian") -> np.ndarray:
    r"""A 1-D kernel density estimate straight from its formula:
    :math:`\hat f_h(x_j) = \frac{1}{nh}\sum_{i=1}^n K\!\left(\frac{x_j - x_i}{h}\right)`.

    An (m, n) matrix of scaled differences by broadcasting, the kernel applied elementwise, a mean over the data
    axis, a division by h. It agrees with :func:`kde` wherever the terms do not underflow; far from every data
    point (more than about 38 bandwidths for the Gaussian) each :math:`e^{-u^2/2}` is 0 in floating point and
    the estimate is exactly 0, where :func:`kde_log` stays finite. Cheaper than the log-space sum.

    Parameters
    ----------
    x : array_like, shape (m,)
        Evaluation points.
    data : array_like, shape (n,), n >= 1
        The sample.
    h : float > 0
        Bandwidth.
    kernel : {"gaussian", "epanechnikov", "tophat"}

    Returns
    -------
    ndarray, shape (m,)
    """
    x, sample = as_array(x, "x", ndim=1), as_array(data, "data", ndim=1)
    if sample.size == 0:
        raise ValueError("data must contain at least one point")
    h = _scalar_bandwidth(h)
    kernel = _check_kernel(kernel)
    scaled = (x[:, None] - sample[None, :]) / h                     # (m, n)
    return _kernel_values(scaled, kernel).mean(axis=1) / h


def kde_reflect(x, data, h, lower: float = 0.0) -> np.ndarray:
    r"""Gaussian KDE for data on :math:`[a, \infty)` by reflection in the edge :math:`a`:

    .. math:: \tilde f(x) = \hat f_h(x) + \hat f_h(2a - x)\quad (x \ge a),\qquad \tilde f(x) = 0\quad (x < a).

    The mass a bump spills below the edge is folded back above it, so the estimate integrates to 1 over
    :math:`[a, \infty)` and at the edge tends to :math:`f(a)` instead of :math:`f(a)/2`; its bias there is of
    order h instead of order 1 (against :math:`h^2` in the interior).

    Parameters
    ----------
    x : array_like, shape (m,)
    data : array_like, shape (n,), n >= 1, every point >= lower
    h : float > 0
        Bandwidth of the Gaussian kernel.
    lower : float
        The edge of the support.

    Returns
    -------
    ndarray, shape (m,)
    """
    sample = as_array(data, "data", ndim=1)
    lower = check_float(lower, "lower")
    if sample.size and sample.min() < lower:
        raise ValueError(f"data must be >= lower = {lower}, got a minimum of {sample.min():.3g}")
    x = as_array(x, "x", ndim=1)
    h = _scalar_bandwidth(h)
    f = kde(x, sample, h) + kde(2 * lower - x, sample, h)
    return np.where(x >= lower, f, 0.0)


@dataclass(frozen=True)
class KDEMoments:
    """Mean and standard deviation of a kernel density estimate at given points, over samples."""

    mean: np.ndarray
    sd: np.ndarray


def kde_moments_normal(x, h, n: int) -> KDEMoments:
    r"""Exact mean and standard deviation of the Gaussian KDE :math:`\hat f_h(x)` from n iid
    :math:`\mathcal N(0, 1)` draws.

    With :math:`\varphi_v` the :math:`\mathcal N(0, v)` density, a Gaussian bump convolved with the data's
    density gives :math:`\mathbb E\,K_h(x - X) = \varphi_{1+h^2}(x)`, and since
    :math:`K_h(z)^2 = \varphi_{h^2/2}(z)/(2\sqrt\pi\,h)`,
    :math:`\mathbb E\,K_h(x - X)^2 = \varphi_{1+h^2/2}(x)/(2\sqrt\pi\,h)`. The estimate is the mean of n
    independent bumps, so

    .. math:: \mathbb E\hat f_h(x) = \varphi_{1+h^2}(x),\qquad
              \operatorname{sd}\hat f_h(x) = \sqrt{\big(\mathbb E K_h^2 - (\mathbb E K_h)^2\big)/n}.

    The bias is :math:`\varphi_{1+h^2}(x) - \varphi_1(x)`, for every n.

    Parameters
    ----------
    x : array_like, any shape
    h : float > 0
    n : int >= 1

    Returns
    -------
    KDEMoments with arrays shaped like ``x``
    """
    x = as_array(x, "x")
    h = _scalar_bandwidth(h)
    n = check_int(n, "n", low=1)

    def phi(v):
        return np.exp(-x * x / (2 * v)) / np.sqrt(2 * np.pi * v)

    mean_k, mean_k2 = phi(1 + h * h), phi(1 + h * h / 2) / (2 * math.sqrt(math.pi) * h)
    return KDEMoments(mean_k, np.sqrt((mean_k2 - mean_k ** 2) / n))


# -- from a density to its CDF and back, and the distance between CDFs ------------------------------------

def cdf_from_pdf(pdf_values, grid) -> np.ndarray:
    r"""CDF values on a grid from density values, by the cumulative trapezoid rule:

    .. math:: F_0 = 0,\qquad F_k = F_{k-1} + \tfrac12 (f_{k-1} + f_k)(x_k - x_{k-1}),

    which approximates :math:`\int_{x_0}^{x_k} f(t)\,dt` with an error :math:`O(\Delta^2)` for a smooth density
    and grid step :math:`\Delta`.

    Parameters
    ----------
    pdf_values : array_like, shape (m,), non-negative
        Density values at the grid points.
    grid : array_like, shape (m,), strictly increasing, m >= 2

    Returns
    -------
    ndarray, shape (m,): starts at 0; ends near 1 when the grid covers the mass.
    """
    f = as_array(pdf_values, "pdf_values", ndim=1)
    g = as_array(grid, "grid", ndim=1)
    if g.size < 2 or g.size != f.size:
        raise ValueError(f"grid must have >= 2 points and match pdf_values ({f.size}), got {g.size}")
    if np.any(np.diff(g) <= 0):
        raise ValueError("grid must be strictly increasing")
    if np.any(f < 0):
        raise ValueError("pdf_values must be non-negative")
    return np.concatenate([[0.0], np.cumsum((f[1:] + f[:-1]) * np.diff(g) / 2)])


def inverse_transform_sample(cdf_values, grid, size: int, rng=0) -> np.ndarray:
    r"""Draws :math:`X = F^{-1}(U)`, :math:`U \sim \mathrm{Uniform}(0, 1)`, with :math:`F` tabulated on a grid and
    linear between grid points.

    :math:`F` is rescaled to end at 1. A CDF that is linear between grid points is that of a piecewise-constant
    density, so the draws follow that histogram density exactly. Flat stretches of :math:`F` (no mass) have no
    inverse: only their first point is kept.

    Parameters
    ----------
    cdf_values : array_like, shape (m,), non-decreasing, from 0, positive at the end
    grid : array_like, shape (m,), strictly increasing
    size : int >= 0
    rng : int or numpy.random.Generator

    Returns
    -------
    ndarray, shape (size,)
    """
    F = as_array(cdf_values, "cdf_values", ndim=1)
    g = as_array(grid, "grid", ndim=1)
    if F.size != g.size or F.size < 2:
        raise ValueError(f"cdf_values and grid must have one length >= 2, got {F.size} and {g.size}")
    if np.any(np.diff(g) <= 0):
        raise ValueError("grid must be strictly increasing")
    if np.any(np.diff(F) < 0) or F[0] < 0 or not F[-1] > 0:
        raise ValueError("cdf_values must be non-negative, non-decreasing and positive at the end")
    size = check_int(size, "size", low=0)
    rng = check_random_state(rng)
    F = F / F[-1]
    keep = np.r_[True, np.diff(F) > 0]
    return np.interp(rng.random(size), F[keep], g[keep])


def ks_statistic(sample, cdf) -> float:
    r"""Kolmogorov-Smirnov distance between a sample's empirical CDF and a continuous CDF :math:`F`:

    .. math:: D_n = \sup_x |F_n(x) - F(x)| = \max_{i}\,\max\Big(\frac in - F(x_{(i)}),\;
              F(x_{(i)}) - \frac{i-1}{n}\Big),

    with :math:`x_{(1)} \le \dots \le x_{(n)}` the sorted sample: :math:`F_n` is flat between data points
    while :math:`F` rises, so the supremum is reached just before or at a jump of :math:`F_n`.

    Parameters
    ----------
    sample : array_like, shape (n,), n >= 1, finite
    cdf : callable
        The continuous CDF :math:`F`, vectorised.

    Returns
    -------
    float in [0, 1]
    """
    xs = np.sort(as_array(sample, "sample", ndim=1))
    if xs.size == 0:
        raise ValueError("sample must contain at least one point")
    if not callable(cdf):
        raise ValueError(f"cdf must be a callable CDF, got {type(cdf).__name__}")
    F = np.asarray(cdf(xs), dtype=float)
    i = np.arange(1, xs.size + 1)
    return float(max((i / xs.size - F).max(), (F - (i - 1) / xs.size).max()))

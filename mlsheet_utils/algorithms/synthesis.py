r"""Data synthesis: draw new rows from a distribution fitted to real data, and measure how alike the two are.

Samplers (each returns the draws with their provenance, so every draw can be traced to what made it):

- :func:`kde_sample`         from a Gaussian kernel density estimate: a data row picked uniformly, plus
  :math:`\mathcal N(0, H)` noise (``H = 0`` is the bootstrap); a :class:`KDESample`;
- :func:`gmm_sample`         ancestral sampling from a Gaussian mixture (fit one with
  :func:`mlsheet_utils.algorithms.clustering.mixture.gmm_em`); a :class:`GMMSample`;
- :func:`fit_gaussian_copula`, :func:`copula_sample`  the empirical marginals of every column tied together by
  the correlation of their normal scores (a :class:`GaussianCopula`; draws in a :class:`CopulaSample`).

SMOTE, which interpolates between minority neighbours, is :func:`mlsheet_utils.algorithms.imbalance.smote`.

Comparing real and synthetic data:

- :func:`mmd2`  the unbiased squared maximum mean discrepancy with a Gaussian kernel.

Public functions validate their input once and raise ``ValueError`` naming the argument.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state


def _rows(X, name: str, min_rows: int = 1) -> np.ndarray:
    """``X`` as an (n, d) float array (a 1-D array is n rows of one feature) with at least ``min_rows`` rows."""
    arr = as_array(X, name)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] < min_rows or arr.shape[1] < 1:
        raise ValueError(f"{name} must have shape (n, d) with n >= {min_rows}, got {np.shape(X)}")
    return arr


def _spd_factor(M: np.ndarray, name: str, allow_zero: bool = False) -> np.ndarray:
    r"""A factor :math:`L` with :math:`LL^\top = M` for a symmetric positive (semi)definite ``M``."""
    if not np.allclose(M, M.T, rtol=0, atol=1e-10 * max(1.0, np.abs(M).max())):
        raise ValueError(f"{name} must be symmetric")
    if allow_zero and not np.any(M):
        return np.zeros_like(M)
    try:
        return np.linalg.cholesky(M)
    except np.linalg.LinAlgError as err:
        raise ValueError(f"{name} must be positive definite") from err


# -- kernel density estimate ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class KDESample:
    r"""Draws from a Gaussian kernel density estimate.

    Attributes
    ----------
    X : ndarray, shape (m, d)
    source : ndarray of int, shape (m,)
        The data row each draw was centred on: ``X[i] = data[source[i]] + noise`` with noise
        :math:`\sim \mathcal N(0, H)`.
    """

    X: np.ndarray
    source: np.ndarray


def kde_sample(data, bandwidth, n: int, rng=0) -> KDESample:
    r"""Sample the Gaussian KDE :math:`\hat f(x) = \frac1N\sum_i \mathcal N(x \mid x_i, H)`: it is a mixture of
    :math:`N` equally weighted Gaussians, so pick a row uniformly and add its kernel's noise.

    Its moments follow: :math:`E[X] = \bar x` and :math:`\operatorname{Cov}[X] = S + H`, with
    :math:`S = \frac1N\sum_i (x_i - \bar x)(x_i - \bar x)^\top` the biased sample covariance: the estimate is
    wider than the data by the bandwidth. ``bandwidth = 0`` is the bootstrap (rows copied verbatim).

    Parameters
    ----------
    data : array_like, shape (N, d) or (N,)
    bandwidth : float >= 0 (then :math:`H = h^2 I`, scikit-learn's ``KernelDensity(bandwidth=h)``) or
        array_like, shape (d, d), symmetric positive definite: the kernel covariance :math:`H`
        (``scipy.stats.gaussian_kde(...).covariance``)
    n : int >= 0, the number of draws
    rng : int or numpy.random.Generator

    Returns
    -------
    KDESample
    """
    D = _rows(data, "data")
    N, d = D.shape
    if np.ndim(bandwidth) == 0:
        h = check_float(bandwidth, "bandwidth", low=0)
        L = h * np.eye(d)
    else:
        H = as_array(bandwidth, "bandwidth", ndim=2)
        if H.shape != (d, d):
            raise ValueError(f"bandwidth must be a scalar or a ({d}, {d}) matrix, got shape {H.shape}")
        L = _spd_factor(H, "bandwidth")
    n = check_int(n, "n", low=0)
    rng = check_random_state(rng)
    source = rng.integers(0, N, size=n)
    return KDESample(D[source] + rng.standard_normal((n, d)) @ L.T, source)


# -- Gaussian mixture ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GMMSample:
    """Draws from a Gaussian mixture.

    Attributes
    ----------
    X : ndarray, shape (n, d)
    component : ndarray of int, shape (n,): the component each draw came from
    """

    X: np.ndarray
    component: np.ndarray


def gmm_sample(weights, means, covariances, n: int, rng=0) -> GMMSample:
    r"""Ancestral sampling from :math:`\sum_k \pi_k \mathcal N(\mu_k, \Sigma_k)`: a component
    :math:`z \sim \mathrm{Categorical}(\pi)`, then :math:`x = \mu_z + L_z \varepsilon` with
    :math:`L_z L_z^\top = \Sigma_z` and :math:`\varepsilon \sim \mathcal N(0, I)`.

    The mixture's moments: :math:`E[X] = \sum_k \pi_k\mu_k` and
    :math:`\operatorname{Cov}[X] = \sum_k \pi_k\big(\Sigma_k + \mu_k\mu_k^\top\big) - E[X]E[X]^\top`.

    Parameters
    ----------
    weights : array_like, shape (k,), non-negative, summing to 1
    means : array_like, shape (k, d)
    covariances : array_like, shape (k, d, d), symmetric positive definite
    n : int >= 0
    rng : int or numpy.random.Generator

    Returns
    -------
    GMMSample
    """
    w = as_array(weights, "weights", ndim=1)
    mu = as_array(means, "means", ndim=2)
    cov = as_array(covariances, "covariances", ndim=3)
    k, d = mu.shape
    if w.shape != (k,) or np.any(w < 0) or not np.isclose(w.sum(), 1.0, rtol=0, atol=1e-9):
        raise ValueError(f"weights must be {k} non-negative numbers summing to 1 (one per row of means), got {w}")
    if cov.shape != (k, d, d):
        raise ValueError(f"covariances must have shape ({k}, {d}, {d}) to match means, got {cov.shape}")
    chol = np.stack([_spd_factor(c, "covariances") for c in cov])
    n = check_int(n, "n", low=0)
    rng = check_random_state(rng)
    cdf = np.cumsum(w)
    component = np.minimum(np.searchsorted(cdf / cdf[-1], rng.random(n), side="right"), k - 1)
    eps = rng.standard_normal((n, d))
    return GMMSample(mu[component] + np.einsum("nij,nj->ni", chol[component], eps), component)


# -- Gaussian copula -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GaussianCopula:
    """A Gaussian copula with empirical marginals, fitted by :func:`fit_gaussian_copula`.

    Attributes
    ----------
    columns : ndarray, shape (N, d): every column of the data, sorted (the empirical marginals)
    correlation : ndarray, shape (d, d): the correlation matrix of the normal scores
    """

    columns: np.ndarray
    correlation: np.ndarray


def fit_gaussian_copula(X) -> GaussianCopula:
    r"""Fit a Gaussian copula: map every column to normal scores :math:`z_{ij} = \Phi^{-1}(r_{ij} / (N + 1))`
    (:math:`r_{ij}` the rank of :math:`x_{ij}` in its column, ties by order) and take their correlation matrix.

    The marginals are kept as the data's own sorted columns, so the synthetic columns have the real
    distributions; only the dependence is modelled as Gaussian.

    Parameters
    ----------
    X : array_like, shape (N, d), N >= 2

    Returns
    -------
    GaussianCopula
    """
    X = _rows(X, "X", min_rows=2)
    N = X.shape[0]
    ranks = np.argsort(np.argsort(X, axis=0, kind="stable"), axis=0, kind="stable") + 1
    Z = ndtri(ranks / (N + 1))
    Zc = Z - Z.mean(axis=0)
    C = Zc.T @ Zc
    s = np.sqrt(np.diag(C))
    return GaussianCopula(np.sort(X, axis=0), C / np.outer(s, s))


@dataclass(frozen=True)
class CopulaSample:
    r"""Draws from a :class:`GaussianCopula`.

    Attributes
    ----------
    X : ndarray, shape (n, d): the synthetic rows
    u : ndarray, shape (n, d): their uniform scores :math:`\Phi(z)`, :math:`z \sim \mathcal N(0, R)`;
        ``X[:, j]`` is the empirical quantile of column ``j`` at ``u[:, j]`` (linear interpolation)
    """

    X: np.ndarray
    u: np.ndarray


def copula_sample(model: GaussianCopula, n: int, rng=0) -> CopulaSample:
    r"""Sample a Gaussian copula: :math:`z \sim \mathcal N(0, R)`, :math:`u = \Phi(z)`, then
    :math:`x_j = \hat F_j^{-1}(u_j)`, the empirical quantile of column :math:`j` (NumPy's default ``"linear"``
    rule: position :math:`u (N - 1)` in the sorted column, interpolated).

    Parameters
    ----------
    model : GaussianCopula
    n : int >= 0
    rng : int or numpy.random.Generator

    Returns
    -------
    CopulaSample
    """
    if not isinstance(model, GaussianCopula):
        raise ValueError(f"model must be a GaussianCopula, got {type(model).__name__}")
    n = check_int(n, "n", low=0)
    rng = check_random_state(rng)
    cols, R = model.columns, model.correlation
    N, d = cols.shape
    L = _spd_factor(R, "model.correlation")
    u = ndtr(rng.standard_normal((n, d)) @ L.T)
    pos = u * (N - 1)
    lo = np.minimum(np.floor(pos).astype(np.int64), N - 2)
    frac = pos - lo
    j = np.arange(d)
    return CopulaSample(cols[lo, j] + frac * (cols[lo + 1, j] - cols[lo, j]), u)


# -- comparing samples ---------------------------------------------------------------------------------------

def mmd2(X, Y, gamma: float) -> float:
    r"""The unbiased estimate of the squared maximum mean discrepancy with the kernel
    :math:`k(a, b) = \exp(-\gamma\lVert a - b\rVert^2)`,

    .. math:: \widehat{\mathrm{MMD}}^2 = \frac{\sum_{i \ne i'} k(x_i, x_{i'})}{m(m-1)}
              + \frac{\sum_{j \ne j'} k(y_j, y_{j'})}{n(n-1)} - \frac{2}{mn}\sum_{i, j} k(x_i, y_j).

    Its expectation is :math:`\lVert \mu_P - \mu_Q \rVert^2_{\mathcal H}`, zero exactly when the two
    distributions are equal (the Gaussian kernel is characteristic); the estimate itself can be slightly
    negative.

    Parameters
    ----------
    X : array_like, shape (m, d), m >= 2
    Y : array_like, shape (n, d), n >= 2
    gamma : float > 0

    Returns
    -------
    float
    """
    X = _rows(X, "X", min_rows=2)
    Y = _rows(Y, "Y", min_rows=2)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"X and Y must have the same number of columns, got {X.shape[1]} and {Y.shape[1]}")
    gamma = check_float(gamma, "gamma", low=0, low_open=True)
    m, n = X.shape[0], Y.shape[0]

    def gram(A, B):
        d2 = (A * A).sum(1)[:, None] - 2 * A @ B.T + (B * B).sum(1)[None, :]
        return np.exp(-gamma * np.maximum(d2, 0.0))

    kxx, kyy = gram(X, X), gram(Y, Y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
                 - 2 * gram(X, Y).mean())

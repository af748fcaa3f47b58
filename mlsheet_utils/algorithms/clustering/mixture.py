"""Gaussian mixtures fitted by EM, and information criteria (BIC, AIC).

- :func:`gmm_em` runs expectation maximisation for a mixture of full-covariance Gaussians, with
  responsibilities computed in log space and the log-likelihood recorded at every iteration;
- :func:`gmm_n_parameters`, :func:`bic`, :func:`aic` score a fitted mixture for model selection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp

from mlsheet_utils.algorithms.clustering.kmeans import kmeans
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

_LOG_2PI = float(np.log(2.0 * np.pi))


# -- Gaussian mixtures ------------------------------------------------------------------------------------

def _check_params(X: np.ndarray, weights, means, covariances):
    n, d = X.shape
    means = as_array(means, "means", ndim=2)
    k = means.shape[0]
    if means.shape[1] != d:
        raise ValueError(f"means must have shape (k, {d}) to match X, got {means.shape}")
    weights = as_array(weights, "weights", ndim=1)
    if weights.shape != (k,) or np.any(weights < 0) or not np.isclose(weights.sum(), 1.0, atol=1e-8):
        raise ValueError(f"weights must be {k} non-negative numbers summing to 1, got {weights}")
    covariances = as_array(covariances, "covariances", ndim=3)
    if covariances.shape != (k, d, d):
        raise ValueError(f"covariances must have shape ({k}, {d}, {d}), got {covariances.shape}")
    if not np.allclose(covariances, np.swapaxes(covariances, 1, 2), atol=1e-10):
        raise ValueError("covariances must be symmetric")
    return weights, means, covariances


def _cholesky(covariances: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.cholesky(covariances)
    except np.linalg.LinAlgError as exc:
        raise ValueError("covariances must be positive definite (a component collapsed; "
                         "raise reg_covar)") from exc


def log_gaussian_densities(X, means, covariances) -> np.ndarray:
    """Log densities of every point under every Gaussian component.

    .. math::
        \\log \\mathcal N(x_i \\mid \\mu_k, \\Sigma_k) = -\\tfrac12\\big(d\\log 2\\pi + \\log\\det\\Sigma_k
        + (x_i-\\mu_k)^\\top \\Sigma_k^{-1} (x_i-\\mu_k)\\big)

    computed with the Cholesky factor :math:`\\Sigma_k = L_k L_k^\\top` (a triangular solve, no inverse).

    Parameters
    ----------
    X : array_like, shape (n, d)
    means : array_like, shape (k, d)
    covariances : array_like, shape (k, d, d), symmetric positive definite

    Returns
    -------
    ndarray, shape (n, k)
    """
    X = as_array(X, "X", ndim=2)
    means = as_array(means, "means", ndim=2)
    covariances = as_array(covariances, "covariances", ndim=3)
    d = X.shape[1]
    if means.shape[1] != d or covariances.shape != (means.shape[0], d, d):
        raise ValueError(f"means (k, {d}) and covariances (k, {d}, {d}) must match X; got {means.shape} "
                         f"and {covariances.shape}")
    L = _cholesky(covariances)                                   # (k, d, d)
    diff = X[None, :, :] - means[:, None, :]                     # (k, n, d)
    z = np.linalg.solve(L, np.swapaxes(diff, 1, 2))              # (k, d, n): L^-1 (x - mu)
    maha = (z * z).sum(axis=1)                                   # (k, n)
    logdet = 2.0 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
    return (-0.5 * (d * _LOG_2PI + logdet[:, None] + maha)).T


def e_step(X, weights, means, covariances) -> tuple[np.ndarray, float]:
    """E step: responsibilities :math:`r_{ik} = p(z_i = k \\mid x_i, \\theta)` and the log-likelihood.

    .. math::
        \\log r_{ik} = \\log\\pi_k + \\log\\mathcal N(x_i\\mid\\mu_k,\\Sigma_k)
        - \\operatorname{logsumexp}_j\\big(\\log\\pi_j + \\log\\mathcal N(x_i\\mid\\mu_j,\\Sigma_j)\\big)

    Returns
    -------
    resp : ndarray, shape (n, k), rows sum to 1
    log_likelihood : float, :math:`\\sum_i \\log \\sum_k \\pi_k \\mathcal N(x_i\\mid\\mu_k,\\Sigma_k)`
    """
    X = as_array(X, "X", ndim=2)
    weights, means, covariances = _check_params(X, weights, means, covariances)
    with np.errstate(divide="ignore"):
        log_joint = np.log(weights)[None, :] + log_gaussian_densities(X, means, covariances)
    log_norm = logsumexp(log_joint, axis=1)
    return np.exp(log_joint - log_norm[:, None]), float(log_norm.sum())


def m_step(X, resp, reg_covar: float = 1e-6) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """M step: the parameters that maximise :math:`Q(\\theta\\mid\\theta^{(t)})` for fixed responsibilities.

    .. math::
        N_k = \\sum_i r_{ik},\\quad \\pi_k = \\frac{N_k}{n},\\quad \\mu_k = \\frac{1}{N_k}\\sum_i r_{ik} x_i,\\quad
        \\Sigma_k = \\frac{1}{N_k}\\sum_i r_{ik}(x_i-\\mu_k)(x_i-\\mu_k)^\\top + \\varepsilon I

    The floor :math:`\\varepsilon` = ``reg_covar`` keeps a component that sits on one point from collapsing to
    a singular covariance (infinite likelihood). A tiny constant is added to :math:`N_k` against 0/0.

    Returns
    -------
    weights (k,), means (k, d), covariances (k, d, d)
    """
    X = as_array(X, "X", ndim=2)
    resp = as_array(resp, "resp", ndim=2)
    if resp.shape[0] != X.shape[0] or np.any(resp < 0):
        raise ValueError(f"resp must be non-negative with {X.shape[0]} rows, got shape {resp.shape}")
    reg_covar = check_float(reg_covar, "reg_covar", low=0)
    nk = resp.sum(axis=0) + 10 * np.finfo(float).eps
    means = resp.T @ X / nk[:, None]
    diff = X[None, :, :] - means[:, None, :]                     # (k, n, d)
    covs = np.einsum("kn,kni,knj->kij", resp.T, diff, diff) / nk[:, None, None]
    covs += reg_covar * np.eye(X.shape[1])[None]
    return nk / nk.sum(), means, covs


@dataclass
class GMMResult:
    """Output of :func:`gmm_em`.

    ``history[t]`` is the log-likelihood of the parameters after ``t`` EM iterations (``history[0]`` is the
    start), so ``len(history) == n_iter + 1``. ``params`` holds ``(weights, means, covariances)`` per entry of
    ``history`` when ``keep_params=True``.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    resp: np.ndarray
    history: list[float]
    n_iter: int
    converged: bool
    params: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)

    @property
    def log_likelihood(self) -> float:
        return self.history[-1]


def gmm_em(X, k: int | None = None, *, weights=None, means=None, covariances=None, max_iter: int = 100,
           tol: float = 1e-8, reg_covar: float = 1e-6, rng=0, keep_params: bool = False) -> GMMResult:
    """Fit a Gaussian mixture with full covariances by expectation maximisation.

    Each iteration runs :func:`e_step` then :func:`m_step`. With ``reg_covar = 0`` the log-likelihood
    :math:`\\ell(\\theta) = \\sum_i \\log\\sum_k \\pi_k\\mathcal N(x_i\\mid\\mu_k,\\Sigma_k)` cannot decrease
    (the M step maximises a lower bound that touches :math:`\\ell` at the current parameters); the small floor
    changes that only at round-off level. EM stops at a stationary point, usually a *local* maximum that
    depends on the start.

    Parameters
    ----------
    X : array_like, shape (n, d)
    k : int, 1 <= k <= n; optional when ``means`` is given
    weights, means, covariances : array_like, optional
        Starting parameters, shapes (k,), (k, d), (k, d, d). Missing ones come from k-means (seeded with
        ``rng``): its centres as means, its cluster proportions as weights, its within-cluster covariances
        (plus ``reg_covar``) as covariances.
    max_iter : int >= 0
    tol : float >= 0
        Stop when the log-likelihood per point rises by less than ``tol`` (as scikit-learn does).
    reg_covar : float >= 0
        Added to every covariance's diagonal.
    rng : int or numpy.random.Generator
    keep_params : bool
        Store the parameters of every iteration in ``params`` (for plots).

    Returns
    -------
    GMMResult
    """
    X = as_array(X, "X", ndim=2)
    n, d = X.shape
    max_iter = check_int(max_iter, "max_iter", low=0)
    tol = check_float(tol, "tol", low=0)
    reg_covar = check_float(reg_covar, "reg_covar", low=0)
    if means is None:
        if k is None:
            raise ValueError("gmm_em: give k or means")
        k = check_int(k, "k", low=1, high=n)
        km = kmeans(X, k, rng=check_random_state(rng), max_iter=100)
        resp0 = np.eye(k)[km.labels]
        w0, _, c0 = m_step(X, resp0, reg_covar)
        means = km.centroids
        weights = w0 if weights is None else weights
        covariances = c0 if covariances is None else covariances
    else:
        means = as_array(means, "means", ndim=2)
        if k is not None and k != means.shape[0]:
            raise ValueError(f"k={k} disagrees with means, which has {means.shape[0]} rows")
        k = check_int(means.shape[0], "k", low=1, high=n)
        if weights is None:
            weights = np.full(k, 1.0 / k)
        if covariances is None:
            covariances = np.repeat(np.cov(X.T, bias=True).reshape(1, d, d) + reg_covar * np.eye(d), k, 0)
    weights, means, covariances = _check_params(X, weights, means, covariances)
    params = [(weights.copy(), means.copy(), covariances.copy())] if keep_params else []
    resp, ll = e_step(X, weights, means, covariances)
    history = [ll]
    converged, n_iter = False, 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (the count is returned)
        weights, means, covariances = m_step(X, resp, reg_covar)
        resp, ll = e_step(X, weights, means, covariances)
        history.append(ll)
        if keep_params:
            params.append((weights.copy(), means.copy(), covariances.copy()))
        if abs(history[-1] - history[-2]) / n < tol:
            converged = True
            break
    return GMMResult(weights, means, covariances, resp, history, n_iter, converged, params)


# -- KL divergences ---------------------------------------------------------------------------------------


# -- information criteria ---------------------------------------------------------------------------------

def gmm_n_parameters(k: int, d: int) -> int:
    """Free parameters of a full-covariance Gaussian mixture with ``k`` components in ``d`` dimensions.

    .. math:: \\underbrace{k d}_{\\text{means}} + \\underbrace{k\\,\\tfrac{d(d+1)}{2}}_{\\text{covariances}}
        + \\underbrace{k - 1}_{\\text{weights}}
    """
    k = check_int(k, "k", low=1)
    d = check_int(d, "d", low=1)
    return k * d + k * d * (d + 1) // 2 + k - 1


def bic(log_likelihood: float, n_params: int, n: int) -> float:
    """Bayesian information criterion :math:`k\\ln n - 2\\ln\\hat L` (lower is better).

    Parameters
    ----------
    log_likelihood : float, the maximised :math:`\\ln\\hat L` (natural log, summed over the data)
    n_params : int >= 0, free parameters :math:`k`
    n : int >= 1, number of data points
    """
    log_likelihood = check_float(log_likelihood, "log_likelihood")
    n_params = check_int(n_params, "n_params", low=0)
    n = check_int(n, "n", low=1)
    return n_params * float(np.log(n)) - 2.0 * log_likelihood


def aic(log_likelihood: float, n_params: int) -> float:
    """Akaike information criterion :math:`2k - 2\\ln\\hat L` (lower is better)."""
    log_likelihood = check_float(log_likelihood, "log_likelihood")
    n_params = check_int(n_params, "n_params", low=0)
    return 2.0 * n_params - 2.0 * log_likelihood


def gmm_bic(X, result: GMMResult) -> float:
    """BIC of a mixture fitted to ``X`` by :func:`gmm_em` (same value as scikit-learn's ``GaussianMixture.bic``)."""
    X = as_array(X, "X", ndim=2)
    _, ll = e_step(X, result.weights, result.means, result.covariances)
    return bic(ll, gmm_n_parameters(result.means.shape[0], X.shape[1]), X.shape[0])


def gmm_aic(X, result: GMMResult) -> float:
    """AIC of a mixture fitted to ``X`` by :func:`gmm_em`."""
    X = as_array(X, "X", ndim=2)
    _, ll = e_step(X, result.weights, result.means, result.covariances)
    return aic(ll, gmm_n_parameters(result.means.shape[0], X.shape[1]))

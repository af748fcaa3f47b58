"""Gaussian mixtures fitted by EM, KL divergences, and information criteria (BIC, AIC).

- :func:`gmm_em` runs expectation maximisation for a mixture of full-covariance Gaussians, with
  responsibilities computed in log space and the log-likelihood recorded at every iteration;
- :func:`kl_gaussian`, :func:`kl_mvn`, :func:`kl_categorical`, :func:`kl_bernoulli` give KL divergences in
  closed form, :func:`kl_monte_carlo` estimates one by sampling;
- :func:`gmm_n_parameters`, :func:`bic`, :func:`aic` score a fitted mixture for model selection.

Used by the notebooks on KL divergence (1.7), EM (1.8), BIC (1.18) and variational inference (1.21).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy.special import logsumexp

from .cluster import kmeans
from .data import rng_from
from .validation import as_array, check_float, check_int

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
           tol: float = 1e-8, reg_covar: float = 1e-6, seed=0, keep_params: bool = False) -> GMMResult:
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
        ``seed``): its centres as means, its cluster proportions as weights, its within-cluster covariances
        (plus ``reg_covar``) as covariances.
    max_iter : int >= 0
    tol : float >= 0
        Stop when the log-likelihood per point rises by less than ``tol`` (as scikit-learn does).
    reg_covar : float >= 0
        Added to every covariance's diagonal.
    seed : int or numpy.random.Generator
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
        km = kmeans(X, k, seed=rng_from(seed), max_iter=100)
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

def kl_gaussian(mu1, sigma1, mu2, sigma2):
    """KL divergence between univariate normals, :math:`D_{KL}(\\mathcal N(\\mu_1,\\sigma_1^2)\\,\\|\\,
    \\mathcal N(\\mu_2,\\sigma_2^2))`.

    .. math::
        \\log\\frac{\\sigma_2}{\\sigma_1} + \\frac{\\sigma_1^2 + (\\mu_1-\\mu_2)^2}{2\\sigma_2^2} - \\frac12

    Arguments broadcast; ``sigma1`` and ``sigma2`` are standard deviations (> 0). Returns nats.
    """
    mu1, mu2 = as_array(mu1, "mu1"), as_array(mu2, "mu2")
    s1, s2 = as_array(sigma1, "sigma1"), as_array(sigma2, "sigma2")
    for name, s in (("sigma1", s1), ("sigma2", s2)):
        if np.any(s <= 0):
            raise ValueError(f"{name} must be > 0 (a standard deviation), got {s}")
    out = np.log(s2 / s1) + (s1 ** 2 + (mu1 - mu2) ** 2) / (2 * s2 ** 2) - 0.5
    return float(out) if out.ndim == 0 else out


def kl_mvn(mean1, cov1, mean2, cov2) -> float:
    """KL divergence between multivariate normals :math:`D_{KL}(\\mathcal N(m_1,S_1)\\,\\|\\,\\mathcal N(m_2,S_2))`.

    .. math::
        \\tfrac12\\Big(\\operatorname{tr}(S_2^{-1}S_1) + (m_2-m_1)^\\top S_2^{-1}(m_2-m_1) - d
        + \\log\\frac{\\det S_2}{\\det S_1}\\Big)

    Parameters
    ----------
    mean1, mean2 : array_like, shape (d,)
    cov1, cov2 : array_like, shape (d, d), symmetric positive definite

    Returns
    -------
    float (nats)
    """
    m1, m2 = as_array(mean1, "mean1", ndim=1), as_array(mean2, "mean2", ndim=1)
    d = m1.size
    if m2.shape != (d,):
        raise ValueError(f"mean2 must have shape ({d},) like mean1, got {m2.shape}")
    S1, S2 = as_array(cov1, "cov1", ndim=2), as_array(cov2, "cov2", ndim=2)
    L = []
    for name, S in (("cov1", S1), ("cov2", S2)):
        if S.shape != (d, d):
            raise ValueError(f"{name} must have shape ({d}, {d}), got {S.shape}")
        try:
            L.append(np.linalg.cholesky(S))
        except np.linalg.LinAlgError as exc:
            raise ValueError(f"{name} must be symmetric positive definite") from exc
    L1, L2 = L
    A = np.linalg.solve(L2, L1)                                  # tr(S2^-1 S1) = ||L2^-1 L1||_F^2
    z = np.linalg.solve(L2, m2 - m1)
    logdet = 2.0 * (np.log(np.diag(L2)).sum() - np.log(np.diag(L1)).sum())
    return float(0.5 * ((A * A).sum() + z @ z - d + logdet))


def kl_categorical(p, q, axis: int = -1):
    """KL divergence between discrete distributions, :math:`\\sum_x p(x)\\log\\frac{p(x)}{q(x)}` (nats).

    Terms with :math:`p(x) = 0` count as 0 (the limit of :math:`t\\log t`); a term with :math:`p(x) > 0` and
    :math:`q(x) = 0` makes the divergence infinite. ``p`` and ``q`` must be non-negative and sum to 1 along
    ``axis``.
    """
    p, q = as_array(p, "p"), as_array(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}")
    for name, a in (("p", p), ("q", q)):
        if np.any(a < 0) or not np.allclose(a.sum(axis=axis), 1.0, atol=1e-9):
            raise ValueError(f"{name} must be non-negative and sum to 1 along axis {axis}")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0)
    out = terms.sum(axis=axis)
    return float(out) if np.ndim(out) == 0 else out


def kl_bernoulli(p, q):
    """KL divergence between Bernoulli distributions with success probabilities ``p`` and ``q`` (broadcast).

    .. math:: p\\log\\frac pq + (1-p)\\log\\frac{1-p}{1-q}
    """
    p, q = as_array(p, "p"), as_array(q, "q")
    for name, a in (("p", p), ("q", q)):
        if np.any((a < 0) | (a > 1)):
            raise ValueError(f"{name} must be a probability in [0, 1], got {a}")
    p, q = np.broadcast_arrays(p, q)
    return kl_categorical(np.stack([p, 1 - p], -1), np.stack([q, 1 - q], -1))


def kl_monte_carlo(sample_p: Callable, logpdf_p: Callable, logpdf_q: Callable, n_samples: int = 10_000,
                   seed=0) -> tuple[float, float]:
    """Monte Carlo estimate of :math:`D_{KL}(p\\|q) = \\mathbb E_{x\\sim p}[\\log p(x) - \\log q(x)]`.

    Parameters
    ----------
    sample_p : callable ``(n, rng) -> samples`` drawing ``n`` points from ``p``
    logpdf_p, logpdf_q : callable ``samples -> ndarray (n,)`` of log densities
    n_samples : int >= 2
    seed : int or numpy.random.Generator

    Returns
    -------
    estimate, standard_error : float
        The sample mean of the log ratio and its standard error :math:`s/\\sqrt n`.
    """
    n = check_int(n_samples, "n_samples", low=2)
    for name, f in (("sample_p", sample_p), ("logpdf_p", logpdf_p), ("logpdf_q", logpdf_q)):
        if not callable(f):
            raise ValueError(f"{name} must be callable, got {type(f).__name__}")
    x = sample_p(n, rng_from(seed))
    r = np.asarray(logpdf_p(x), dtype=float) - np.asarray(logpdf_q(x), dtype=float)
    if r.shape != (n,):
        raise ValueError(f"logpdf_p and logpdf_q must return shape ({n},), got {r.shape}")
    return float(r.mean()), float(r.std(ddof=1) / np.sqrt(n))


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

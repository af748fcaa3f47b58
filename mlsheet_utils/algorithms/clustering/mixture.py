"""Gaussian mixtures fitted by expectation maximisation (EM), and the information criteria that size them.

- :func:`log_gaussian_densities`  :math:`\\log\\mathcal N(x_i\\mid\\mu_k,\\Sigma_k)` for every point and component;
- :func:`gmm_logpdf`              the mixture's log density at every point;
- :func:`e_step`, :func:`m_step`  one E step (responsibilities and log-likelihood) and one M step (parameters);
- :func:`em_lower_bound`          the bound :math:`F(q,\\theta)` that the two steps raise in turn;
- :func:`gmm_em`                  the EM loop, returning a :class:`GMMResult` (and, on request, the
  :class:`GMMParams` of every iteration);
- :func:`gmm_n_parameters`, :func:`bic`, :func:`aic`, :func:`gmm_bic`, :func:`gmm_aic`  model selection;
- :func:`gmm_criteria`            one mixture fitted per candidate number of components, each scored
  (:class:`GMMCriteria`).

The public functions validate their arguments once; the EM loop runs on private kernels (``_e_step``,
``_m_step``) that do not check them again at every iteration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.clustering.kmeans import kmeans
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

_LOG_2PI = float(np.log(2.0 * np.pi))
_INITS = ("kmeans", "points")


# -- validation -------------------------------------------------------------------------------------------

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


def _check_resp(X: np.ndarray, resp) -> np.ndarray:
    resp = as_array(resp, "resp", ndim=2)
    if resp.shape[0] != X.shape[0] or np.any(resp < 0):
        raise ValueError(f"resp must be non-negative with {X.shape[0]} rows, got shape {resp.shape}")
    return resp


# -- kernels (no validation: called at every EM iteration) -----------------------------------------------

def _cholesky(covariances: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.cholesky(covariances)
    except np.linalg.LinAlgError as exc:
        raise ValueError("covariances must be positive definite (a component collapsed; "
                         "raise reg_covar)") from exc


def _log_densities(X: np.ndarray, means: np.ndarray, covariances: np.ndarray) -> np.ndarray:
    L = _cholesky(covariances)                                   # (k, d, d)
    L_inv_t = np.swapaxes(np.linalg.inv(L), 1, 2)                # (k, d, d): (L^-1)^T, as scikit-learn does
    z = X @ L_inv_t - means[:, None, :] @ L_inv_t                # (k, n, d): rows (L^-1 (x_i - mu_k))^T
    maha = (z * z).sum(axis=2)                                   # (k, n)
    logdet = 2.0 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
    return (-0.5 * (X.shape[1] * _LOG_2PI + logdet[:, None] + maha)).T


def _logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """``log(sum(exp(a), axis=1))`` with the row maximum taken out first (a row of -inf gives -inf)."""
    top = a.max(axis=1)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(a - top[:, None]).sum(axis=1)) + top


def _log_joint(X, weights, means, covariances) -> np.ndarray:
    with np.errstate(divide="ignore"):                           # a zero weight gives log 0 = -inf
        return np.log(weights)[None, :] + _log_densities(X, means, covariances)


def _e_step(X, weights, means, covariances) -> tuple[np.ndarray, float]:
    """:func:`e_step` on validated arguments (the kernel the EM loop calls)."""
    log_joint = _log_joint(X, weights, means, covariances)      # (n, k): log pi_k + log N(x_i | mu_k, Sigma_k)
    log_norm = _logsumexp_rows(log_joint)                        # (n,): log p(x_i)
    return np.exp(log_joint - log_norm[:, None]), float(log_norm.sum())


def _m_step(X: np.ndarray, resp: np.ndarray, reg_covar: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`m_step` on validated arguments (the kernel the EM loop calls)."""
    nk = resp.sum(axis=0) + 10 * np.finfo(float).eps            # (k,), guards 0/0 for an empty component
    means = resp.T @ X / nk[:, None]                             # (k, d)
    diff = X[None, :, :] - means[:, None, :]                     # (k, n, d)
    weighted = resp.T[:, :, None] * diff                         # (k, n, d)
    covs = np.swapaxes(weighted, 1, 2) @ diff / nk[:, None, None]
    covs += reg_covar * np.eye(X.shape[1])[None]
    return nk / nk.sum(), means, covs


# -- densities and the two steps ----------------------------------------------------------------------------

def log_gaussian_densities(X, means, covariances) -> np.ndarray:
    """Log densities of every point under every Gaussian component.

    .. math::
        \\log \\mathcal N(x_i \\mid \\mu_k, \\Sigma_k) = -\\tfrac12\\big(d\\log 2\\pi + \\log\\det\\Sigma_k
        + (x_i-\\mu_k)^\\top \\Sigma_k^{-1} (x_i-\\mu_k)\\big)

    computed with the Cholesky factor :math:`\\Sigma_k = L_k L_k^\\top`: the quadratic form is
    :math:`\\lVert L_k^{-1}(x_i-\\mu_k)\\rVert^2` and :math:`\\log\\det\\Sigma_k = 2\\sum_j \\log (L_k)_{jj}`
    (:math:`\\Sigma_k^{-1}` is never formed).

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
    return _log_densities(X, means, covariances)


def gmm_logpdf(X, weights, means, covariances) -> np.ndarray:
    """Log density of a Gaussian mixture at every point.

    .. math::
        \\log p(x_i) = \\operatorname{logsumexp}_k\\big(\\log\\pi_k + \\log\\mathcal N(x_i\\mid\\mu_k,\\Sigma_k)\\big)

    Parameters
    ----------
    X : array_like, shape (n, d)
    weights : array_like, shape (k,), non-negative, summing to 1
    means : array_like, shape (k, d)
    covariances : array_like, shape (k, d, d), symmetric positive definite

    Returns
    -------
    ndarray, shape (n,)
    """
    X = as_array(X, "X", ndim=2)
    weights, means, covariances = _check_params(X, weights, means, covariances)
    return _logsumexp_rows(_log_joint(X, weights, means, covariances))


def e_step(X, weights, means, covariances) -> tuple[np.ndarray, float]:
    """E step: responsibilities :math:`r_{ik} = p(z_i = k \\mid x_i, \\theta)` and the log-likelihood.

    .. math::
        \\log r_{ik} = \\log\\pi_k + \\log\\mathcal N(x_i\\mid\\mu_k,\\Sigma_k)
        - \\operatorname{logsumexp}_j\\big(\\log\\pi_j + \\log\\mathcal N(x_i\\mid\\mu_j,\\Sigma_j)\\big)

    Parameters
    ----------
    X : array_like, shape (n, d)
    weights : array_like, shape (k,); means : shape (k, d); covariances : shape (k, d, d)

    Returns
    -------
    resp : ndarray, shape (n, k), rows sum to 1
    log_likelihood : float, :math:`\\sum_i \\log \\sum_k \\pi_k \\mathcal N(x_i\\mid\\mu_k,\\Sigma_k)`
    """
    X = as_array(X, "X", ndim=2)
    weights, means, covariances = _check_params(X, weights, means, covariances)
    return _e_step(X, weights, means, covariances)


def m_step(X, resp, reg_covar: float = 1e-6) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """M step: the parameters that maximise :math:`Q(\\theta\\mid\\theta^{(t)})` for fixed responsibilities.

    .. math::
        N_k = \\sum_i r_{ik},\\quad \\pi_k = \\frac{N_k}{n},\\quad \\mu_k = \\frac{1}{N_k}\\sum_i r_{ik} x_i,\\quad
        \\Sigma_k = \\frac{1}{N_k}\\sum_i r_{ik}(x_i-\\mu_k)(x_i-\\mu_k)^\\top + \\varepsilon I

    The floor :math:`\\varepsilon` = ``reg_covar`` keeps a component that sits on one point from collapsing to
    a singular covariance (infinite likelihood). A tiny constant is added to :math:`N_k` against 0/0.

    Parameters
    ----------
    X : array_like, shape (n, d)
    resp : array_like, shape (n, k), non-negative
    reg_covar : float >= 0

    Returns
    -------
    weights (k,), means (k, d), covariances (k, d, d)
    """
    X = as_array(X, "X", ndim=2)
    resp = _check_resp(X, resp)
    reg_covar = check_float(reg_covar, "reg_covar", low=0)
    return _m_step(X, resp, reg_covar)


def em_lower_bound(X, resp, weights, means, covariances) -> float:
    """The lower bound EM raises: :math:`F(q,\\theta) = \\mathbb E_q[\\log p(x, z\\mid\\theta)] + H(q)`.

    .. math::
        F(q,\\theta) = \\sum_i\\sum_k r_{ik}\\big(\\log\\pi_k + \\log\\mathcal N(x_i\\mid\\mu_k,\\Sigma_k)\\big)
        - \\sum_i\\sum_k r_{ik}\\log r_{ik}

    with :math:`q(z_i = k) = r_{ik}` and :math:`0\\log 0 = 0`. For every :math:`q`,
    :math:`\\ell(\\theta) = F(q,\\theta) + D_{KL}(q\\,\\|\\,p(z\\mid x,\\theta)) \\ge F(q,\\theta)`, with equality
    when :math:`q` is the posterior (the responsibilities of :func:`e_step` at :math:`\\theta`).

    Parameters
    ----------
    X : array_like, shape (n, d)
    resp : array_like, shape (n, k), rows summing to 1
    weights, means, covariances : the parameters :math:`\\theta`, shapes (k,), (k, d), (k, d, d)

    Returns
    -------
    float
    """
    X = as_array(X, "X", ndim=2)
    weights, means, covariances = _check_params(X, weights, means, covariances)
    resp = _check_resp(X, resp)
    if resp.shape[1] != means.shape[0] or not np.allclose(resp.sum(axis=1), 1.0, atol=1e-8):
        raise ValueError(f"resp must have {means.shape[0]} columns and rows summing to 1, got shape {resp.shape}")
    log_joint = _log_joint(X, weights, means, covariances)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(resp > 0, resp * log_joint, 0.0).sum()
        entropy = -np.where(resp > 0, resp * np.log(resp), 0.0).sum()
    return float(expected + entropy)


# -- the EM loop --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GMMParams:
    """The parameters of a Gaussian mixture: weights (k,), means (k, d), covariances (k, d, d)."""

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray


@dataclass(frozen=True)
class GMMResult:
    """Output of :func:`gmm_em`.

    Attributes
    ----------
    weights (k,), means (k, d), covariances (k, d, d) : the fitted parameters
    resp : ndarray (n, k), the responsibilities at the fitted parameters
    history : ndarray (n_iter + 1,)
        ``history[t]`` is the log-likelihood after ``t`` EM iterations (``history[0]`` at the start).
    n_iter : int
    converged : bool
    params : tuple of GMMParams
        The parameters behind each entry of ``history`` when ``keep_params=True``, else empty.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    resp: np.ndarray
    history: np.ndarray
    n_iter: int
    converged: bool
    params: tuple[GMMParams, ...] = ()

    @property
    def log_likelihood(self) -> float:
        """The log-likelihood at the fitted parameters, ``history[-1]``."""
        return float(self.history[-1])


def _start(X: np.ndarray, k: int, init: str, rng: np.random.Generator, reg_covar: float):
    """Starting weights, means and covariances for ``k`` components (validated arguments)."""
    n, d = X.shape
    if init == "kmeans":
        km = kmeans(X, k, rng=rng, max_iter=100)
        weights, _, covariances = _m_step(X, np.eye(k)[km.labels], reg_covar)
        return weights, km.centroids, covariances
    means = X[rng.choice(n, k, replace=False)]
    cov = np.cov(X.T, bias=True).reshape(d, d) + reg_covar * np.eye(d)
    return np.full(k, 1.0 / k), means, np.repeat(cov[None], k, axis=0)


def _em_loop(X, weights, means, covariances, max_iter: int, tol: float, reg_covar: float,
             keep_params: bool) -> GMMResult:
    """The EM loop of :func:`gmm_em` on validated arguments: E step at the start, then M and E steps."""
    n = X.shape[0]
    params = [GMMParams(weights.copy(), means.copy(), covariances.copy())] if keep_params else []
    resp, ll = _e_step(X, weights, means, covariances)
    history = [ll]
    converged, n_iter = False, 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (the count is returned)
        weights, means, covariances = _m_step(X, resp, reg_covar)
        resp, ll = _e_step(X, weights, means, covariances)
        history.append(ll)
        if keep_params:
            params.append(GMMParams(weights.copy(), means.copy(), covariances.copy()))
        if abs(history[-1] - history[-2]) / n < tol:
            converged = True
            break
    return GMMResult(weights, means, covariances, resp, np.array(history), n_iter, converged, tuple(params))


def gmm_em(X, k: int | None = None, *, weights=None, means=None, covariances=None, init: str = "kmeans",
           max_iter: int = 100, tol: float = 1e-8, reg_covar: float = 1e-6, rng=0,
           keep_params: bool = False) -> GMMResult:
    """Fit a Gaussian mixture with full covariances by expectation maximisation.

    Each iteration runs an M step (:func:`m_step`) on the current responsibilities, then an E step
    (:func:`e_step`). With ``reg_covar = 0`` the log-likelihood
    :math:`\\ell(\\theta) = \\sum_i \\log\\sum_k \\pi_k\\mathcal N(x_i\\mid\\mu_k,\\Sigma_k)` cannot decrease
    (the M step maximises a lower bound that touches :math:`\\ell` at the current parameters); the small floor
    changes that only at round-off level. EM stops at a stationary point, usually a *local* maximum that
    depends on the start.

    Parameters
    ----------
    X : array_like, shape (n, d)
    k : int, 1 <= k <= n; optional when ``means`` is given
    weights, means, covariances : array_like, optional
        Starting parameters, shapes (k,), (k, d), (k, d, d). Without ``means`` the start comes from ``init``;
        with ``means`` but without the others, the weights are uniform and every covariance is the covariance
        of the whole data (plus ``reg_covar``).
    init : {"kmeans", "points"}
        How to start when ``means`` is not given. ``"kmeans"``: k-means (seeded with ``rng``) gives the means,
        its cluster proportions the weights, its within-cluster covariances (plus ``reg_covar``) the
        covariances. ``"points"``: ``k`` distinct data points drawn with ``rng`` are the means, the weights are
        uniform and every covariance is the covariance of the whole data (plus ``reg_covar``).
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
    if init not in _INITS:
        raise ValueError(f"init must be one of {_INITS}, got {init!r}")
    if means is None:
        if k is None:
            raise ValueError("gmm_em: give k or means")
        k = check_int(k, "k", low=1, high=n)
        w0, means, c0 = _start(X, k, init, check_random_state(rng), reg_covar)
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
    return _em_loop(X, weights, means, covariances, max_iter, tol, reg_covar, bool(keep_params))


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
    """Akaike information criterion :math:`2k - 2\\ln\\hat L` (lower is better).

    Parameters
    ----------
    log_likelihood : float, the maximised :math:`\\ln\\hat L`
    n_params : int >= 0, free parameters :math:`k`
    """
    log_likelihood = check_float(log_likelihood, "log_likelihood")
    n_params = check_int(n_params, "n_params", low=0)
    return 2.0 * n_params - 2.0 * log_likelihood


def _fitted_log_likelihood(X, result: GMMResult) -> tuple[np.ndarray, float]:
    X = as_array(X, "X", ndim=2)
    weights, means, covariances = _check_params(X, result.weights, result.means, result.covariances)
    _, ll = _e_step(X, weights, means, covariances)
    return X, ll


def gmm_bic(X, result: GMMResult) -> float:
    """BIC of a mixture fitted by :func:`gmm_em`, on data ``X`` of shape (n, d): :math:`k\\ln n - 2\\ln\\hat L`
    with :math:`k` from :func:`gmm_n_parameters` (the value of scikit-learn's ``GaussianMixture.bic``)."""
    X, ll = _fitted_log_likelihood(X, result)
    return bic(ll, gmm_n_parameters(result.means.shape[0], X.shape[1]), X.shape[0])


def gmm_aic(X, result: GMMResult) -> float:
    """AIC of a mixture fitted by :func:`gmm_em`, on data ``X`` of shape (n, d): :math:`2k - 2\\ln\\hat L`."""
    X, ll = _fitted_log_likelihood(X, result)
    return aic(ll, gmm_n_parameters(result.means.shape[0], X.shape[1]))


@dataclass(frozen=True)
class GMMCriteria:
    """Output of :func:`gmm_criteria`: one entry per candidate number of components.

    Attributes
    ----------
    k : ndarray of int (m,), the candidates
    log_likelihood : ndarray (m,), the maximised log-likelihood of each
    n_parameters : ndarray of int (m,)
    bic, aic : ndarray (m,)
    fits : tuple of m GMMResult
    """

    k: np.ndarray
    log_likelihood: np.ndarray
    n_parameters: np.ndarray
    bic: np.ndarray
    aic: np.ndarray
    fits: tuple[GMMResult, ...]


def gmm_criteria(X, ks=range(1, 7), *, starts=(0, 1), max_iter: int = 60, tol: float = 1e-3,
                 reg_covar: float = 1e-6) -> GMMCriteria:
    """Fit a full-covariance Gaussian mixture for each candidate number of components and score it.

    For each :math:`K` in ``ks``, EM runs from a k-means start for every seed in ``starts`` and the run with
    the highest log-likelihood is kept; then

    .. math:: \\mathrm{BIC}_K = p_K\\ln n - 2\\ln\\hat L_K, \\qquad \\mathrm{AIC}_K = 2p_K - 2\\ln\\hat L_K

    with :math:`p_K` = :func:`gmm_n_parameters` (K, d). The smallest value wins.

    Parameters
    ----------
    X : array_like, shape (n, d)
    ks : iterable of int, each in [1, n], not empty
    starts : iterable of int seeds (not empty), one k-means start each
    max_iter, tol, reg_covar : as in :func:`gmm_em`

    Returns
    -------
    GMMCriteria
    """
    X = as_array(X, "X", ndim=2)
    n, d = X.shape
    ks = [check_int(K, "each of ks", low=1, high=n) for K in ks]
    if not ks:
        raise ValueError("ks must name at least one number of components")
    starts = [check_int(s, "each of starts", low=0) for s in starts]
    if not starts:
        raise ValueError("starts must name at least one seed")
    max_iter = check_int(max_iter, "max_iter", low=0)
    tol = check_float(tol, "tol", low=0)
    reg_covar = check_float(reg_covar, "reg_covar", low=0)
    fits = []
    for K in ks:
        runs = [_em_loop(X, *_start(X, K, "kmeans", check_random_state(s), reg_covar), max_iter, tol, reg_covar,
                         False) for s in starts]
        fits.append(max(runs, key=lambda r: r.log_likelihood))
    loglik = np.array([f.log_likelihood for f in fits])
    n_par = np.array([gmm_n_parameters(K, d) for K in ks])
    return GMMCriteria(np.array(ks), loglik, n_par, n_par * np.log(n) - 2.0 * loglik, 2.0 * n_par - 2.0 * loglik,
                       tuple(fits))

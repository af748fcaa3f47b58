r"""Gaussian mixtures fitted by expectation maximisation (EM), and the information criteria that size them.

- :func:`log_gaussian_densities`  :math:`\log\mathcal N(x_i\mid\mu_k,\Sigma_k)` for every point and component;
- :func:`gmm_logpdf`              the mixture's log density at every point;
- :func:`e_step`, :func:`m_step`  one E step (responsibilities and log-likelihood) and one M step (parameters);
- :func:`em_lower_bound`          the bound :math:`F(q,\theta)` that the two steps raise in turn;
- :func:`gmm_em`                  the EM loop, returning a :class:`GMMResult` (and, on request, the
  :class:`GMMParams` of every iteration);
- :func:`gmm_n_parameters`, :func:`bic`, :func:`aic`, :func:`gmm_bic`, :func:`gmm_aic`  model selection;
- :func:`gmm_criteria`            one mixture fitted per candidate number of components, each scored
  (:class:`GMMCriteria`);
- :func:`full_covariances`, :func:`typed_covariances`  between the (k, d, d) matrices the kernels use and the
  compact storage of each covariance type (``"full"``, ``"tied"``, ``"diag"``, ``"spherical"``);
- :class:`GMM`                    the estimator in scikit-learn's shape (``fit``, ``predict``, ``predict_proba``,
  ``score_samples``, ``bic``), with the four covariance types and several starts;
- :func:`soft_kmeans`             EM with equal weights and one fixed covariance :math:`\sigma^2 I`: k-means in the
  limit :math:`\sigma\to 0`.

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
#: The covariance types, from the most to the least flexible (scikit-learn's names).
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


# -- validation -------------------------------------------------------------------------------------------

def _check_params(X: np.ndarray, weights, means, covariances):
    n, d = X.shape
    means = as_array(means, "means", ndim=2)
    k = means.shape[0]
    if means.shape[1] != d:
        raise ValueError(f"means must have shape (k, {d}) to match X, got {means.shape}")
    weights = as_array(weights, "weights", ndim=1)
    if weights.shape != (k,):
        raise ValueError(f"weights must have {k} entries, one per row of means, got shape {weights.shape}")
    if np.any(weights < 0) or not np.isclose(weights.sum(), 1.0, atol=1e-8):
        raise ValueError(f"weights must be {k} non-negative numbers summing to 1, got {weights}")
    covariances = as_array(covariances, "covariances", ndim=3)
    if covariances.shape != (k, d, d):
        raise ValueError(f"covariances must have shape ({k}, {d}, {d}) to match means and X, "
                         f"got {covariances.shape}")
    if not np.allclose(covariances, np.swapaxes(covariances, 1, 2), atol=1e-10):
        raise ValueError("covariances must be symmetric")
    return weights, means, covariances


def _iterable(values, name: str) -> list:
    """``values`` as a list, or a ValueError naming ``name`` when it cannot be iterated over."""
    try:
        return list(values)
    except TypeError:
        raise ValueError(f"{name} must be an iterable of ints, got {values!r}") from None


def _check_covariance_type(covariance_type) -> str:
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(f"covariance_type must be one of {COVARIANCE_TYPES}, got {covariance_type!r}")
    return covariance_type


def _check_resp(X: np.ndarray, resp) -> np.ndarray:
    resp = as_array(resp, "resp", ndim=2)
    if resp.shape[0] != X.shape[0]:
        raise ValueError(f"resp must have {X.shape[0]} rows, one per row of X, got shape {resp.shape}")
    if np.any(resp < 0):
        raise ValueError(f"resp must be non-negative, got a minimum of {resp.min():.6g}")
    sums = resp.sum(1)
    if not np.allclose(sums, 1.0, atol=1e-6):
        bad = int(np.argmax(np.abs(sums - 1.0)))
        raise ValueError(f"resp must have rows summing to 1 (each point's responsibilities are a distribution), "
                         f"got row {bad} summing to {sums[bad]:.6g}")
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


def _constrain(covs: np.ndarray, nk: np.ndarray, covariance_type: str) -> np.ndarray:
    r"""Project per-component covariances (k, d, d) onto a covariance type; the result is still (k, d, d).

    ``tied`` pools them weighted by the counts ``nk``, ``diag`` keeps the diagonals, ``spherical`` keeps
    :math:`\operatorname{tr}\Sigma_k / d` times the identity.
    """
    if covariance_type == "full":
        return covs
    d = covs.shape[1]
    if covariance_type == "tied":
        pooled = np.tensordot(nk, covs, axes=1) / nk.sum()      # (d, d)
        return np.repeat(pooled[None], covs.shape[0], axis=0)
    diag = np.diagonal(covs, axis1=1, axis2=2)                   # (k, d)
    if covariance_type == "spherical":
        diag = np.repeat(diag.mean(axis=1, keepdims=True), d, axis=1)
    return diag[:, :, None] * np.eye(d)[None]


def _m_step(X: np.ndarray, resp: np.ndarray, reg_covar: float,
            covariance_type: str = "full") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`m_step` on validated arguments (the kernel the EM loop calls)."""
    nk = resp.sum(axis=0) + 10 * np.finfo(float).eps            # (k,), guards 0/0 for an empty component
    means = resp.T @ X / nk[:, None]                             # (k, d)
    diff = X[None, :, :] - means[:, None, :]                     # (k, n, d)
    weighted = resp.T[:, :, None] * diff                         # (k, n, d)
    covs = np.swapaxes(weighted, 1, 2) @ diff / nk[:, None, None]
    covs = _constrain(covs, nk, covariance_type) + reg_covar * np.eye(X.shape[1])[None]
    return nk / nk.sum(), means, covs


# -- densities and the two steps ----------------------------------------------------------------------------

def log_gaussian_densities(X, means, covariances) -> np.ndarray:
    r"""Log densities of every point under every Gaussian component.

    .. math::
        \log \mathcal N(x_i \mid \mu_k, \Sigma_k) = -\tfrac12\big(d\log 2\pi + \log\det\Sigma_k
        + (x_i-\mu_k)^\top \Sigma_k^{-1} (x_i-\mu_k)\big)

    computed with the Cholesky factor :math:`\Sigma_k = L_k L_k^\top`: the quadratic form is
    :math:`\lVert L_k^{-1}(x_i-\mu_k)\rVert^2` and :math:`\log\det\Sigma_k = 2\sum_j \log (L_k)_{jj}`
    (:math:`\Sigma_k^{-1}` is never formed).

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
    if not np.allclose(covariances, np.swapaxes(covariances, 1, 2), atol=1e-10):
        raise ValueError("covariances must be symmetric")
    return _log_densities(X, means, covariances)


def gmm_logpdf(X, weights, means, covariances) -> np.ndarray:
    r"""Log density of a Gaussian mixture at every point.

    .. math::
        \log p(x_i) = \operatorname{logsumexp}_k\big(\log\pi_k + \log\mathcal N(x_i\mid\mu_k,\Sigma_k)\big)

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
    r"""E step: responsibilities :math:`r_{ik} = p(z_i = k \mid x_i, \theta)` and the log-likelihood.

    .. math::
        \log r_{ik} = \log\pi_k + \log\mathcal N(x_i\mid\mu_k,\Sigma_k)
        - \operatorname{logsumexp}_j\big(\log\pi_j + \log\mathcal N(x_i\mid\mu_j,\Sigma_j)\big)

    Parameters
    ----------
    X : array_like, shape (n, d)
    weights : array_like, shape (k,); means : shape (k, d); covariances : shape (k, d, d)

    Returns
    -------
    resp : ndarray, shape (n, k), rows sum to 1
    log_likelihood : float, :math:`\sum_i \log \sum_k \pi_k \mathcal N(x_i\mid\mu_k,\Sigma_k)`
    """
    X = as_array(X, "X", ndim=2)
    weights, means, covariances = _check_params(X, weights, means, covariances)
    return _e_step(X, weights, means, covariances)


def m_step(X, resp, reg_covar: float = 1e-6,
           covariance_type: str = "full") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""M step: the parameters that maximise :math:`Q(\theta\mid\theta^{(t)})` for fixed responsibilities.

    .. math::
        N_k = \sum_i r_{ik},\quad \pi_k = \frac{N_k}{n},\quad \mu_k = \frac{1}{N_k}\sum_i r_{ik} x_i,\quad
        S_k = \frac{1}{N_k}\sum_i r_{ik}(x_i-\mu_k)(x_i-\mu_k)^\top

    and the covariance that maximises :math:`Q` within the covariance type, plus the floor
    :math:`\varepsilon I`:

    - ``"full"``: :math:`\Sigma_k = S_k`;
    - ``"tied"`` (one :math:`\Sigma` shared): :math:`\Sigma = \sum_k \frac{N_k}{n} S_k`;
    - ``"diag"``: :math:`\Sigma_k = \operatorname{diag}(S_k)`, the per-coordinate weighted variances;
    - ``"spherical"`` (:math:`\sigma_k^2 I`): :math:`\sigma_k^2 = \operatorname{tr}(S_k)/d
      = \frac{1}{d N_k}\sum_i r_{ik}\lVert x_i-\mu_k\rVert^2`.

    The floor :math:`\varepsilon` = ``reg_covar`` keeps a component that sits on one point from collapsing to
    a singular covariance (infinite likelihood). A tiny constant is added to :math:`N_k` against 0/0.

    Parameters
    ----------
    X : array_like, shape (n, d)
    resp : array_like, shape (n, k), non-negative
    reg_covar : float >= 0
    covariance_type : {"full", "tied", "diag", "spherical"}

    Returns
    -------
    weights (k,), means (k, d), covariances (k, d, d) (every type expanded to full matrices; see
    :func:`typed_covariances` for scikit-learn's compact storage)
    """
    X = as_array(X, "X", ndim=2)
    resp = _check_resp(X, resp)
    reg_covar = check_float(reg_covar, "reg_covar", low=0)
    return _m_step(X, resp, reg_covar, _check_covariance_type(covariance_type))


def em_lower_bound(X, resp, weights, means, covariances) -> float:
    r"""The lower bound EM raises: :math:`F(q,\theta) = \mathbb E_q[\log p(x, z\mid\theta)] + H(q)`.

    .. math::
        F(q,\theta) = \sum_i\sum_k r_{ik}\big(\log\pi_k + \log\mathcal N(x_i\mid\mu_k,\Sigma_k)\big)
        - \sum_i\sum_k r_{ik}\log r_{ik}

    with :math:`q(z_i = k) = r_{ik}` and :math:`0\log 0 = 0`. For every :math:`q`,
    :math:`\ell(\theta) = F(q,\theta) + D_{KL}(q\,\|\,p(z\mid x,\theta)) \ge F(q,\theta)`, with equality
    when :math:`q` is the posterior (the responsibilities of :func:`e_step` at :math:`\theta`).

    Parameters
    ----------
    X : array_like, shape (n, d)
    resp : array_like, shape (n, k), rows summing to 1
    weights, means, covariances : the parameters :math:`\theta`, shapes (k,), (k, d), (k, d, d)

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
    covariance_type : str
        The constraint the covariances were fitted under (they are stored as full (k, d, d) matrices).
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    resp: np.ndarray
    history: np.ndarray
    n_iter: int
    converged: bool
    params: tuple[GMMParams, ...] = ()
    covariance_type: str = "full"

    @property
    def log_likelihood(self) -> float:
        """The log-likelihood at the fitted parameters, ``history[-1]``."""
        return float(self.history[-1])


def _start(X: np.ndarray, k: int, init: str, rng: np.random.Generator, reg_covar: float,
           covariance_type: str = "full"):
    """Starting weights, means and covariances for ``k`` components (validated arguments)."""
    n, d = X.shape
    if init == "kmeans":
        km = kmeans(X, k, rng=rng, max_iter=100)
        weights, _, covariances = _m_step(X, np.eye(k)[km.labels], reg_covar, covariance_type)
        return weights, km.centroids, covariances
    means = X[rng.choice(n, k, replace=False)]
    cov = _constrain(np.cov(X.T, bias=True).reshape(1, d, d), np.ones(1), covariance_type)[0]
    return np.full(k, 1.0 / k), means, np.repeat((cov + reg_covar * np.eye(d))[None], k, axis=0)


def _em_loop(X, weights, means, covariances, max_iter: int, tol: float, reg_covar: float,
             keep_params: bool, covariance_type: str = "full") -> GMMResult:
    """The EM loop of :func:`gmm_em` on validated arguments: E step at the start, then M and E steps."""
    n = X.shape[0]
    params = [GMMParams(weights.copy(), means.copy(), covariances.copy())] if keep_params else []
    resp, ll = _e_step(X, weights, means, covariances)
    history = [ll]
    converged, n_iter = False, 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (the count is returned)
        weights, means, covariances = _m_step(X, resp, reg_covar, covariance_type)
        resp, ll = _e_step(X, weights, means, covariances)
        history.append(ll)
        if keep_params:
            params.append(GMMParams(weights.copy(), means.copy(), covariances.copy()))
        if abs(history[-1] - history[-2]) / n < tol:
            converged = True
            break
    return GMMResult(weights, means, covariances, resp, np.array(history), n_iter, converged, tuple(params),
                     covariance_type)


def gmm_em(X, k: int | None = None, *, weights=None, means=None, covariances=None, init: str = "kmeans",
           max_iter: int = 100, tol: float = 1e-8, reg_covar: float = 1e-6, rng=0,
           keep_params: bool = False, covariance_type: str = "full") -> GMMResult:
    r"""Fit a Gaussian mixture by expectation maximisation (full covariances unless ``covariance_type`` says).

    Each iteration runs an M step (:func:`m_step`) on the current responsibilities, then an E step
    (:func:`e_step`). With ``reg_covar = 0`` the log-likelihood
    :math:`\ell(\theta) = \sum_i \log\sum_k \pi_k\mathcal N(x_i\mid\mu_k,\Sigma_k)` cannot decrease
    (the M step maximises a lower bound that touches :math:`\ell` at the current parameters); the small floor
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
    covariance_type : {"full", "tied", "diag", "spherical"}
        The constraint of every M step (:func:`m_step`) and of the k-means or ``"points"`` start; starting
        ``covariances`` given by the caller are used as they are (full (k, d, d) matrices).

    Returns
    -------
    GMMResult
    """
    X = as_array(X, "X", ndim=2)
    n, d = X.shape
    covariance_type = _check_covariance_type(covariance_type)
    max_iter = check_int(max_iter, "max_iter", low=0)
    tol = check_float(tol, "tol", low=0)
    reg_covar = check_float(reg_covar, "reg_covar", low=0)
    if init not in _INITS:
        raise ValueError(f"init must be one of {_INITS}, got {init!r}")
    if means is None:
        if k is None:
            raise ValueError("gmm_em: give k or means")
        k = check_int(k, "k", low=1, high=n)
        w0, means, c0 = _start(X, k, init, check_random_state(rng), reg_covar, covariance_type)
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
            cov = _constrain(np.cov(X.T, bias=True).reshape(1, d, d), np.ones(1), covariance_type)
            covariances = np.repeat(cov + reg_covar * np.eye(d), k, 0)
    weights, means, covariances = _check_params(X, weights, means, covariances)
    return _em_loop(X, weights, means, covariances, max_iter, tol, reg_covar, bool(keep_params), covariance_type)


# -- information criteria ---------------------------------------------------------------------------------

def gmm_n_parameters(k: int, d: int, covariance_type: str = "full") -> int:
    r"""Free parameters of a Gaussian mixture with ``k`` components in ``d`` dimensions.

    .. math:: \underbrace{k d}_{\text{means}} + \underbrace{c}_{\text{covariances}}
        + \underbrace{k - 1}_{\text{weights}}

    with :math:`c = k\,\tfrac{d(d+1)}{2}` (``"full"``), :math:`\tfrac{d(d+1)}{2}` (``"tied"``), :math:`k d`
    (``"diag"``) or :math:`k` (``"spherical"``).
    """
    k = check_int(k, "k", low=1)
    d = check_int(d, "d", low=1)
    covariance_type = _check_covariance_type(covariance_type)
    cov = {"full": k * d * (d + 1) // 2, "tied": d * (d + 1) // 2, "diag": k * d, "spherical": k}[covariance_type]
    return k * d + cov + k - 1


def bic(log_likelihood: float, n_params: int, n: int) -> float:
    r"""Bayesian information criterion :math:`k\ln n - 2\ln\hat L` (lower is better).

    Parameters
    ----------
    log_likelihood : float, the maximised :math:`\ln\hat L` (natural log, summed over the data)
    n_params : int >= 0, free parameters :math:`k`
    n : int >= 1, number of data points
    """
    log_likelihood = check_float(log_likelihood, "log_likelihood")
    n_params = check_int(n_params, "n_params", low=0)
    n = check_int(n, "n", low=1)
    return n_params * float(np.log(n)) - 2.0 * log_likelihood


def aic(log_likelihood: float, n_params: int) -> float:
    r"""Akaike information criterion :math:`2k - 2\ln\hat L` (lower is better).

    Parameters
    ----------
    log_likelihood : float, the maximised :math:`\ln\hat L`
    n_params : int >= 0, free parameters :math:`k`
    """
    log_likelihood = check_float(log_likelihood, "log_likelihood")
    n_params = check_int(n_params, "n_params", low=0)
    return 2.0 * n_params - 2.0 * log_likelihood


def _fitted_log_likelihood(X, result: GMMResult) -> tuple[np.ndarray, float]:
    if not isinstance(result, GMMResult):
        raise ValueError(f"result must be a GMMResult (the output of gmm_em), got {type(result).__name__}")
    X = as_array(X, "X", ndim=2)
    if X.shape[1] != result.means.shape[1]:
        raise ValueError(f"X must have {result.means.shape[1]} columns like the data result was fitted on, "
                         f"got shape {X.shape}")
    weights, means, covariances = _check_params(X, result.weights, result.means, result.covariances)
    _, ll = _e_step(X, weights, means, covariances)
    return X, ll


def gmm_bic(X, result: GMMResult) -> float:
    r"""BIC of a mixture fitted by :func:`gmm_em`, on data ``X`` of shape (n, d): :math:`k\ln n - 2\ln\hat L`
    with :math:`k` from :func:`gmm_n_parameters` for the fit's covariance type (the value of scikit-learn's
    ``GaussianMixture.bic``)."""
    X, ll = _fitted_log_likelihood(X, result)
    return bic(ll, gmm_n_parameters(result.means.shape[0], X.shape[1], result.covariance_type), X.shape[0])


def gmm_aic(X, result: GMMResult) -> float:
    r"""AIC of a mixture fitted by :func:`gmm_em`, on data ``X`` of shape (n, d): :math:`2k - 2\ln\hat L`."""
    X, ll = _fitted_log_likelihood(X, result)
    return aic(ll, gmm_n_parameters(result.means.shape[0], X.shape[1], result.covariance_type))


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
                 reg_covar: float = 1e-6, covariance_type: str = "full") -> GMMCriteria:
    r"""Fit a Gaussian mixture for each candidate number of components and score it.

    For each :math:`K` in ``ks``, EM runs from a k-means start for every seed in ``starts`` and the run with
    the highest log-likelihood is kept; then

    .. math:: \mathrm{BIC}_K = p_K\ln n - 2\ln\hat L_K, \qquad \mathrm{AIC}_K = 2p_K - 2\ln\hat L_K

    with :math:`p_K` = :func:`gmm_n_parameters` (K, d, covariance_type). The smallest value wins.

    Parameters
    ----------
    X : array_like, shape (n, d)
    ks : iterable of int, each in [1, n], not empty
    starts : iterable of int seeds (not empty), one k-means start each
    max_iter, tol, reg_covar, covariance_type : as in :func:`gmm_em`

    Returns
    -------
    GMMCriteria
    """
    X = as_array(X, "X", ndim=2)
    n, d = X.shape
    ks = [check_int(K, "each of ks", low=1, high=n) for K in _iterable(ks, "ks")]
    if not ks:
        raise ValueError("ks must name at least one number of components")
    starts = [check_int(s, "each of starts", low=0) for s in _iterable(starts, "starts")]
    if not starts:
        raise ValueError("starts must name at least one seed")
    max_iter = check_int(max_iter, "max_iter", low=0)
    tol = check_float(tol, "tol", low=0)
    reg_covar = check_float(reg_covar, "reg_covar", low=0)
    covariance_type = _check_covariance_type(covariance_type)
    fits = []
    for K in ks:
        runs = [_em_loop(X, *_start(X, K, "kmeans", check_random_state(s), reg_covar, covariance_type), max_iter,
                         tol, reg_covar, False, covariance_type) for s in starts]
        fits.append(max(runs, key=lambda r: r.log_likelihood))
    loglik = np.array([f.log_likelihood for f in fits])
    n_par = np.array([gmm_n_parameters(K, d, covariance_type) for K in ks])
    return GMMCriteria(np.array(ks), loglik, n_par, n_par * np.log(n) - 2.0 * loglik, 2.0 * n_par - 2.0 * loglik,
                       tuple(fits))


# -- covariance types and the estimator ---------------------------------------------------------------------

def full_covariances(covariances, covariance_type: str, k: int, d: int) -> np.ndarray:
    r"""Expand the compact covariances of a covariance type to ``k`` full (d, d) matrices.

    scikit-learn's storage: ``"full"`` (k, d, d); ``"tied"`` one (d, d) shared by every component; ``"diag"``
    (k, d), the variances :math:`\Sigma_k = \operatorname{diag}(v_k)`; ``"spherical"`` (k,), the variances
    :math:`\Sigma_k = \sigma_k^2 I_d`.

    Parameters
    ----------
    covariances : array_like, the compact form above
    covariance_type : {"full", "tied", "diag", "spherical"}
    k, d : int >= 1, the number of components and the dimension

    Returns
    -------
    ndarray, shape (k, d, d)
    """
    covariance_type = _check_covariance_type(covariance_type)
    k = check_int(k, "k", low=1)
    d = check_int(d, "d", low=1)
    ndim = {"full": 3, "tied": 2, "diag": 2, "spherical": 1}[covariance_type]
    return _expand(as_array(covariances, "covariances", ndim=ndim), covariance_type, k, d)


def _expand(cov: np.ndarray, covariance_type: str, k: int, d: int) -> np.ndarray:
    """:func:`full_covariances` on validated arguments (checks only the shape)."""
    shape = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[covariance_type]
    if cov.shape != shape:
        raise ValueError(f"covariances for covariance_type={covariance_type!r} with k={k} components in d={d} "
                         f"dimensions must have shape {shape}, got {cov.shape}")
    if covariance_type == "full":
        return cov
    if covariance_type == "tied":
        return np.repeat(cov[None], k, axis=0)
    if covariance_type == "diag":
        return cov[:, :, None] * np.eye(d)[None]
    return cov[:, None, None] * np.eye(d)[None]


def typed_covariances(covariances, covariance_type: str) -> np.ndarray:
    """The compact storage of ``k`` full covariance matrices (k, d, d) for a covariance type.

    ``"full"`` returns them as they are, ``"tied"`` the first (d, d) (all are equal under that type),
    ``"diag"`` the diagonals (k, d), ``"spherical"`` the first diagonal entries (k,): the inverse of
    :func:`full_covariances` on matrices of that type, and the shapes of scikit-learn's ``covariances_``.
    """
    covariance_type = _check_covariance_type(covariance_type)
    covs = as_array(covariances, "covariances", ndim=3)
    if covs.shape[1] != covs.shape[2]:
        raise ValueError(f"covariances must be square matrices, shape (k, d, d), got {covs.shape}")
    if covariance_type == "full":
        return covs
    if covariance_type == "tied":
        return covs[0]
    if covariance_type == "diag":
        return np.diagonal(covs, axis1=1, axis2=2).copy()
    return covs[:, 0, 0].copy()


@dataclass
class GMM:
    r"""A Gaussian mixture fitted by EM, in scikit-learn's shape (its ``GaussianMixture``).

    The model is :math:`p(x) = \sum_k \pi_k\,\mathcal N(x\mid\mu_k,\Sigma_k)`; ``fit`` runs EM
    (:func:`m_step` under ``covariance_type``, then the E step) from ``n_init`` starts and keeps the one with the
    highest log-likelihood.

    Parameters
    ----------
    n_components : int >= 1
    covariance_type : {"full", "tied", "diag", "spherical"}
    tol : float >= 0, stop when the mean log-likelihood rises by less than ``tol``
    reg_covar : float >= 0, added to every covariance's diagonal
    max_iter : int >= 0
    n_init : int >= 1, starts tried
    init : {"kmeans", "points"}, how a start is drawn (see :func:`gmm_em`), with ``rng``
    weights_init, means_init, covariances_init : array_like, optional
        A given start, shapes (k,), (k, d) and the compact form of the covariance type (see
        :func:`full_covariances`); with ``means_init`` the weights default to uniform and the covariances to
        the data's covariance under the type.
    rng : int or numpy.random.Generator

    Attributes
    ----------
    weights_ (k,), means_ (k, d), covariances_ (compact form of the type, as scikit-learn stores it)
    converged_ : bool, n_iter_ : int
    history_ : ndarray, the log-likelihood (summed over the data) after each iteration of the kept start
    log_likelihood_ : float, at the fitted parameters
    """

    n_components: int = 1
    covariance_type: str = "full"
    tol: float = 1e-3
    reg_covar: float = 1e-6
    max_iter: int = 100
    n_init: int = 1
    init: str = "kmeans"
    weights_init: object = None
    means_init: object = None
    covariances_init: object = None
    rng: object = 0

    def fit(self, X, y=None) -> "GMM":
        """Fit to ``X`` (n, d); ``y`` is ignored. Returns ``self``."""
        X = as_array(X, "X", ndim=2)
        n, d = X.shape
        k = check_int(self.n_components, "n_components", low=1, high=n)
        ctype = _check_covariance_type(self.covariance_type)
        tol = check_float(self.tol, "tol", low=0)
        reg_covar = check_float(self.reg_covar, "reg_covar", low=0)
        max_iter = check_int(self.max_iter, "max_iter", low=0)
        n_init = check_int(self.n_init, "n_init", low=1)
        if self.init not in _INITS:
            raise ValueError(f"init must be one of {_INITS}, got {self.init!r}")
        rng = check_random_state(self.rng)
        start = None
        if self.means_init is not None:
            means = as_array(self.means_init, "means_init", ndim=2)
            if means.shape != (k, d):
                raise ValueError(f"means_init must have shape ({k}, {d}), got {means.shape}")
            weights = np.full(k, 1.0 / k) if self.weights_init is None else self.weights_init
            if self.covariances_init is None:
                cov = _constrain(np.cov(X.T, bias=True).reshape(1, d, d), np.ones(1), ctype)
                covs = np.repeat(cov + reg_covar * np.eye(d), k, 0)
            else:
                ndim = {"full": 3, "tied": 2, "diag": 2, "spherical": 1}[ctype]
                covs = _expand(as_array(self.covariances_init, "covariances_init", ndim=ndim), ctype, k, d)
            start = _check_params(X, weights, means, covs)
        best = None
        for _ in range(n_init):
            params = start if start is not None else _start(X, k, self.init, rng, reg_covar, ctype)
            run = _em_loop(X, *params, max_iter, tol, reg_covar, False, ctype)
            if best is None or run.log_likelihood > best.log_likelihood:
                best = run
        self.weights_, self.means_ = best.weights, best.means
        self.covariances_ = typed_covariances(best.covariances, ctype)
        self.converged_, self.n_iter_ = best.converged, best.n_iter
        self.history_, self.log_likelihood_ = best.history, best.log_likelihood
        return self

    def _fitted(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not hasattr(self, "means_"):
            raise ValueError("this GMM is not fitted yet; call fit(X) first")
        k, d = self.means_.shape
        return self.weights_, self.means_, _expand(np.asarray(self.covariances_), self.covariance_type, k, d)

    def _check_X(self, X) -> np.ndarray:
        X = as_array(X, "X", ndim=2)
        if X.shape[1] != self.means_.shape[1]:
            raise ValueError(f"X must have {self.means_.shape[1]} columns like the fitted data, got {X.shape[1]}")
        return X

    def score_samples(self, X) -> np.ndarray:
        r""":math:`\log p(x_i)` for every row of ``X`` (n, d), shape (n,)."""
        w, m, c = self._fitted()
        X = self._check_X(X)
        return _logsumexp_rows(_log_joint(X, w, m, c))

    def score(self, X) -> float:
        """Mean log-likelihood per point of ``X`` (scikit-learn's ``score``)."""
        return float(self.score_samples(X).mean())

    def predict_proba(self, X) -> np.ndarray:
        r"""Responsibilities :math:`p(z=k\mid x_i)`, shape (n, k), rows summing to 1."""
        w, m, c = self._fitted()
        return _e_step(self._check_X(X), w, m, c)[0]

    def predict(self, X) -> np.ndarray:
        """The most responsible component of every row (hard assignment), shape (n,)."""
        return self.predict_proba(X).argmax(axis=1)

    def n_parameters(self) -> int:
        """Free parameters of the fitted model (:func:`gmm_n_parameters`)."""
        self._fitted()
        k, d = self.means_.shape
        return gmm_n_parameters(k, d, self.covariance_type)

    def bic(self, X) -> float:
        r""":math:`p\ln n - 2\ln\hat L` on ``X`` (lower is better)."""
        X = as_array(X, "X", ndim=2)
        return bic(float(self.score_samples(X).sum()), self.n_parameters(), X.shape[0])

    def aic(self, X) -> float:
        r""":math:`2p - 2\ln\hat L` on ``X`` (lower is better)."""
        return aic(float(self.score_samples(X).sum()), self.n_parameters())


# -- the hard-assignment limit ------------------------------------------------------------------------------

@dataclass(frozen=True)
class SoftKMeansResult:
    """Output of :func:`soft_kmeans`: centres (k, d), responsibilities (n, k), iterations run, converged."""

    centers: np.ndarray
    resp: np.ndarray
    n_iter: int
    converged: bool


def soft_kmeans(X, init, sigma: float, *, max_iter: int = 100, tol: float = 0.0) -> SoftKMeansResult:
    r"""EM for a mixture with equal weights and one fixed covariance :math:`\sigma^2 I`; only the means move.

    .. math::
        r_{ik} = \frac{\exp(-\lVert x_i-\mu_k\rVert^2 / 2\sigma^2)}
                      {\sum_j \exp(-\lVert x_i-\mu_j\rVert^2 / 2\sigma^2)},\qquad
        \mu_k \leftarrow \frac{\sum_i r_{ik} x_i}{\sum_i r_{ik}}

    As :math:`\sigma\to 0` each :math:`r_{ik}` tends to 1 for the nearest centre and 0 for the others, and the
    two steps become Lloyd's assignment and update: k-means is this algorithm's limit. A centre whose
    responsibilities all underflow to zero keeps its place (as an empty k-means cluster does).

    Parameters
    ----------
    X : array_like, shape (n, d)
    init : array_like, shape (k, d), the starting centres, 1 <= k <= n
    sigma : float > 0
    max_iter : int >= 0
    tol : float >= 0, stop when no centre moves farther than ``tol``

    Returns
    -------
    SoftKMeansResult
    """
    X = as_array(X, "X", ndim=2)
    C = as_array(init, "init", ndim=2).copy()
    if C.shape[1] != X.shape[1]:
        raise ValueError(f"init must have {X.shape[1]} columns like X, got shape {C.shape}")
    if C.shape[0] > X.shape[0]:
        raise ValueError(f"init must have at most {X.shape[0]} rows (k <= n, the rows of X), got {C.shape[0]}")
    k = C.shape[0]
    sigma = check_float(sigma, "sigma", low=0, low_open=True)
    max_iter = check_int(max_iter, "max_iter", low=0)
    tol = check_float(tol, "tol", low=0)
    weights, covs = np.full(k, 1.0 / k), np.repeat((sigma ** 2 * np.eye(X.shape[1]))[None], k, axis=0)
    resp, _ = _e_step(X, weights, C, covs)
    converged, n_iter = False, 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (the count is returned)
        nk = resp.sum(axis=0)
        new = np.where(nk[:, None] > 0, resp.T @ X / np.where(nk > 0, nk, 1.0)[:, None], C)
        shift = np.sqrt(((new - C) ** 2).sum(axis=1)).max()
        C = new
        resp, _ = _e_step(X, weights, C, covs)
        if shift <= tol:
            converged = True
            break
    return SoftKMeansResult(C, resp, n_iter, converged)

r"""Gaussian process regression: a Gaussian prior over functions, conditioned on noisy observations by Cholesky.

The model: :math:`f \sim \mathcal{GP}(0, k)` and :math:`y_i = f(x_i) + \varepsilon_i`,
:math:`\varepsilon_i \sim \mathcal N(0, \sigma_n^2)` independently. With :math:`K = k(X, X)` (n, n),
:math:`K_\star = k(X, X_\star)` (n, m) and :math:`K_{\star\star} = k(X_\star, X_\star)` (m, m), the posterior of
:math:`f(X_\star)` is Gaussian,

.. math::
    \mu_\star = K_\star^\top (K + \sigma_n^2 I)^{-1} y, \qquad
    \Sigma_\star = K_{\star\star} - K_\star^\top (K + \sigma_n^2 I)^{-1} K_\star ,

and the log marginal likelihood (the evidence of the hyperparameters) is

.. math:: \log p(y \mid X) = -\tfrac12 y^\top (K + \sigma_n^2 I)^{-1} y - \tfrac12 \log\lvert K + \sigma_n^2 I\rvert
          - \tfrac n2 \log 2\pi .

Gram-matrix level (any kernel, e.g. :func:`mlsheet_utils.algorithms.kernels.linear_kernel`):

- :func:`gp_posterior`              posterior mean and covariance at test inputs (a :class:`GPPosterior`);
- :func:`log_marginal_likelihood`   :math:`\log p(y \mid X)` from one Cholesky factorisation;
- :func:`sample_gaussian`           draws from :math:`\mathcal N(\mu, \Sigma)` (a prior or a posterior over a grid).

The squared-exponential (RBF) kernel with an amplitude:

- :func:`squared_exponential`       :math:`k(x, x') = \sigma_f^2 \exp(-\lVert x - x'\rVert^2 / (2\ell^2))`, built on
  :func:`mlsheet_utils.algorithms.kernels.rbf_kernel`;
- :func:`se_log_marginal_likelihood`  the evidence and its gradient in
  :math:`\theta = (\log\ell, \log\sigma_f^2, \log\sigma_n^2)`;
- :func:`fit_se_hyperparameters`    type-II maximum likelihood by L-BFGS-B from several starts (a :class:`SEFit`);
- :class:`GaussianProcessRegressor` the estimator in scikit-learn's shape (``fit``, ``predict`` with
  ``return_std`` / ``return_cov``, ``sample_y``).

Inputs are rows of ``X`` (n, d); public functions validate once and raise ``ValueError`` naming the argument.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize

from mlsheet_utils.algorithms import kernels
from mlsheet_utils.algorithms.clustering.kmeans import squared_distances
from mlsheet_utils.validation import as_array, check_bool, check_float, check_int, check_random_state

__all__ = ["GPPosterior", "GaussianProcessRegressor", "SEFit", "fit_se_hyperparameters", "gp_posterior",
           "log_marginal_likelihood", "sample_gaussian", "se_log_marginal_likelihood", "squared_exponential"]

LOG_2PI = float(np.log(2 * np.pi))


# -- Gram-matrix level ---------------------------------------------------------------------------------------

def _check_cov(M: np.ndarray, name: str) -> None:
    """A square covariance matrix ``M`` must be symmetric and positive semi-definite (both to round-off)."""
    scale = max(float(np.abs(M).max()), 1e-300)
    asym = float(np.abs(M - M.T).max())
    if asym > 1e-8 * scale:
        raise ValueError(f"{name} must be symmetric (a covariance), got a largest |{name} - {name}.T| of {asym:.3g}")
    low = float(np.linalg.eigvalsh((M + M.T) / 2).min())
    if low < -1e-8 * scale:
        raise ValueError(f"{name} must be positive semi-definite (a covariance), got an eigenvalue of {low:.3g}")


def _check_gram(K, y, noise_variance):
    """Validate a square Gram matrix ``K`` (n, n), targets ``y`` (n,) and a noise variance >= 0."""
    K = as_array(K, "K", ndim=2)
    y = as_array(y, "y", ndim=1)
    if K.shape[0] != K.shape[1]:
        raise ValueError(f"K must be square, got shape {K.shape}")
    if y.shape[0] != K.shape[0]:
        raise ValueError(f"y must have one entry per row of K ({K.shape[0]}), got {y.shape[0]}")
    _check_cov(K, "K")
    noise_variance = check_float(noise_variance, "noise_variance", low=0)
    return K, y, noise_variance


def _factor(K: np.ndarray, y: np.ndarray, noise_variance: float) -> tuple[np.ndarray, np.ndarray]:
    r"""Lower Cholesky factor ``L`` of :math:`K + \sigma_n^2 I` and :math:`\alpha = (K + \sigma_n^2 I)^{-1} y`."""
    Ky = K + noise_variance * np.eye(K.shape[0])
    try:
        L = np.linalg.cholesky(Ky)
    except np.linalg.LinAlgError as exc:
        raise ValueError("K + noise_variance * I is not positive definite; add noise or jitter") from exc
    alpha = scipy.linalg.cho_solve((L, True), y)
    return L, alpha


def _lml(L: np.ndarray, alpha: np.ndarray, y: np.ndarray) -> float:
    r""":math:`-\frac12 y^\top\alpha - \sum_i \log L_{ii} - \frac n2 \log 2\pi`."""
    return float(-0.5 * y @ alpha - np.log(np.diag(L)).sum() - 0.5 * y.size * LOG_2PI)


def log_marginal_likelihood(K, y, noise_variance: float) -> float:
    r"""Log marginal likelihood :math:`\log \mathcal N(y \mid 0, K + \sigma_n^2 I)`.

    With :math:`LL^\top = K + \sigma_n^2 I` and :math:`\alpha = L^{-\top}L^{-1}y`, the determinant is
    :math:`\prod_i L_{ii}^2`, so :math:`\log p(y) = -\frac12 y^\top\alpha - \sum_i \log L_{ii} - \frac n2\log 2\pi`
    (no inverse, no determinant of a large matrix).

    Parameters
    ----------
    K : array_like, shape (n, n), the prior covariance of :math:`f` at the training inputs (symmetric positive
        semi-definite)
    y : array_like, shape (n,)
    noise_variance : float >= 0, :math:`\sigma_n^2`

    Returns
    -------
    float
    """
    K, y, noise_variance = _check_gram(K, y, noise_variance)
    L, alpha = _factor(K, y, noise_variance)
    return _lml(L, alpha, y)


@dataclass(frozen=True)
class GPPosterior:
    r"""The posterior of :math:`f` at ``m`` test inputs.

    Attributes
    ----------
    mean : ndarray, shape (m,)
        :math:`K_\star^\top \alpha`.
    cov : ndarray, shape (m, m)
        :math:`K_{\star\star} - V^\top V` with :math:`V = L^{-1} K_\star`; the noise is not included (add
        :math:`\sigma_n^2` to the diagonal for a new observation :math:`y_\star`).
    log_marginal_likelihood : float
        :func:`log_marginal_likelihood` of the training data, from the same factorisation.
    """

    mean: np.ndarray
    cov: np.ndarray
    log_marginal_likelihood: float

    @property
    def std(self) -> np.ndarray:
        """Posterior standard deviation of :math:`f` at each test input, shape (m,)."""
        return np.sqrt(np.clip(np.diag(self.cov), 0.0, None))


def gp_posterior(K, K_cross, K_test, y, noise_variance: float) -> GPPosterior:
    r"""Condition a zero-mean GP on noisy observations: the posterior of :math:`f` at the test inputs.

    Cost: one Cholesky factorisation :math:`O(n^3)`, then :math:`O(n^2 m)` for :math:`V = L^{-1}K_\star`.

    Parameters
    ----------
    K : array_like, shape (n, n), :math:`k(X, X)`, symmetric positive semi-definite
    K_cross : array_like, shape (n, m), :math:`k(X, X_\star)`
    K_test : array_like, shape (m, m), :math:`k(X_\star, X_\star)`, symmetric positive semi-definite
    y : array_like, shape (n,)
    noise_variance : float >= 0

    Returns
    -------
    GPPosterior
    """
    K, y, noise_variance = _check_gram(K, y, noise_variance)
    K_cross = as_array(K_cross, "K_cross", ndim=2)
    K_test = as_array(K_test, "K_test", ndim=2)
    if K_cross.shape[0] != K.shape[0]:
        raise ValueError(f"K_cross must have {K.shape[0]} rows (one per training input), got {K_cross.shape[0]}")
    if K_test.shape != (K_cross.shape[1], K_cross.shape[1]):
        raise ValueError(f"K_test must have shape {(K_cross.shape[1],) * 2} (K_cross has {K_cross.shape[1]} "
                         f"columns), got {K_test.shape}")
    _check_cov(K_test, "K_test")
    return _posterior(K, K_cross, K_test, y, noise_variance)


def _posterior(K, K_cross, K_test, y, noise_variance) -> GPPosterior:
    L, alpha = _factor(K, y, noise_variance)
    V = scipy.linalg.solve_triangular(L, K_cross, lower=True)
    return GPPosterior(K_cross.T @ alpha, K_test - V.T @ V, _lml(L, alpha, y))


def sample_gaussian(mean, cov, n_samples: int = 1, *, rng=0, jitter: float = 1e-10) -> np.ndarray:
    r"""Draws :math:`\mu + Lz` with :math:`LL^\top = \Sigma + \epsilon I` and :math:`z \sim \mathcal N(0, I)`.

    A covariance over a fine grid is positive semi-definite but numerically singular; the jitter
    :math:`\epsilon` (relative to the largest diagonal entry) makes the Cholesky factorisation succeed and adds
    a variance far below anything a plot shows.

    Parameters
    ----------
    mean : array_like, shape (m,)
    cov : array_like, shape (m, m), symmetric positive semi-definite
    n_samples : int >= 1
    rng : int or numpy.random.Generator
    jitter : float >= 0

    Returns
    -------
    ndarray, shape (n_samples, m)
    """
    mean = as_array(mean, "mean", ndim=1)
    cov = as_array(cov, "cov", ndim=2)
    if cov.shape != (mean.size, mean.size):
        raise ValueError(f"cov must have shape {(mean.size, mean.size)} (mean has {mean.size} entries), "
                         f"got {cov.shape}")
    scale = max(float(np.abs(cov).max()), 1e-300)
    if np.abs(cov - cov.T).max() > 1e-8 * scale:
        raise ValueError(f"cov must be symmetric (a covariance), got a largest |cov - cov.T| of "
                         f"{np.abs(cov - cov.T).max():.3g}")
    n_samples = check_int(n_samples, "n_samples", low=1)
    jitter = check_float(jitter, "jitter", low=0)
    scale = max(float(np.max(np.diag(cov))), 1e-300) if mean.size else 1.0
    try:
        L = np.linalg.cholesky(cov + jitter * scale * np.eye(mean.size))
    except np.linalg.LinAlgError as exc:
        raise ValueError("cov is not positive semi-definite (even with jitter)") from exc
    z = check_random_state(rng).standard_normal((n_samples, mean.size))
    return mean + z @ L.T


# -- the squared-exponential kernel ----------------------------------------------------------------------------

def squared_exponential(X, Y=None, *, length_scale: float = 1.0, signal_variance: float = 1.0) -> np.ndarray:
    r"""Gram matrix of :math:`k(x, x') = \sigma_f^2 \exp\!\big(-\lVert x - x'\rVert^2 / (2\ell^2)\big)`.

    :func:`mlsheet_utils.algorithms.kernels.rbf_kernel` with :math:`\gamma = 1/(2\ell^2)`, times the signal
    variance :math:`\sigma_f^2` (the prior variance of :math:`f(x)` at every :math:`x`).

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (m, d), optional (default ``X``)
    length_scale : float > 0, :math:`\ell`
    signal_variance : float > 0, :math:`\sigma_f^2`

    Returns
    -------
    ndarray, shape (n, m)
    """
    length_scale = check_float(length_scale, "length_scale", low=0, low_open=True)
    signal_variance = check_float(signal_variance, "signal_variance", low=0, low_open=True)
    return signal_variance * kernels.rbf_kernel(X, Y, gamma=0.5 / length_scale**2)


def _check_xy(X, y):
    X = as_array(X, "X", ndim=2)
    y = as_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0] or X.shape[0] < 1:
        raise ValueError(f"y must have one entry per row of X ({X.shape[0]}), got {y.shape[0]}")
    return X, y


def _check_theta(theta) -> np.ndarray:
    theta = as_array(theta, "theta", ndim=1)
    if theta.size != 3:
        raise ValueError(f"theta must hold (log length_scale, log signal_variance, log noise_variance), "
                         f"got {theta.size} values")
    return theta


def _se_lml(D: np.ndarray, y: np.ndarray, theta: np.ndarray) -> tuple[float, np.ndarray]:
    """Value and gradient of the evidence for squared distances ``D`` (n, n) at ``theta`` (unvalidated)."""
    ell2, sf2, sn2 = np.exp(2 * theta[0]), np.exp(theta[1]), np.exp(theta[2])
    Kf = sf2 * np.exp(-0.5 * D / ell2)
    L, alpha = _factor(Kf, y, sn2)
    K_inv = scipy.linalg.cho_solve((L, True), np.eye(y.size))
    W = np.outer(alpha, alpha) - K_inv                      # d log p / dK = W / 2
    dK = (Kf * D / ell2, Kf)                                # dK / d log ell, dK / d log sf2
    grad = [0.5 * np.sum(W * d) for d in dK] + [0.5 * sn2 * np.trace(W)]   # dK / d log sn2 = sn2 * I
    return _lml(L, alpha, y), np.array(grad)


def se_log_marginal_likelihood(X, y, theta) -> tuple[float, np.ndarray]:
    r"""Evidence of the squared-exponential GP and its gradient in log hyperparameters.

    With :math:`K_y = K + \sigma_n^2 I`, :math:`\alpha = K_y^{-1}y` and :math:`W = \alpha\alpha^\top - K_y^{-1}`,

    .. math:: \frac{\partial \log p(y)}{\partial \theta_j} = \tfrac12 \operatorname{tr}\!\Big(W
              \frac{\partial K_y}{\partial \theta_j}\Big), \qquad
              \frac{\partial K_y}{\partial \log \ell} = K \odot \frac{D}{\ell^2},\quad
              \frac{\partial K_y}{\partial \log \sigma_f^2} = K,\quad
              \frac{\partial K_y}{\partial \log \sigma_n^2} = \sigma_n^2 I,

    where :math:`D_{ij} = \lVert x_i - x_j\rVert^2`. Working in logs keeps every hyperparameter positive and is
    scikit-learn's convention (``theta`` of its kernels).

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
    theta : array_like, shape (3,), :math:`(\log\ell, \log\sigma_f^2, \log\sigma_n^2)`

    Returns
    -------
    (value, gradient) : float and ndarray of shape (3,)
    """
    X, y = _check_xy(X, y)
    return _se_lml(squared_distances(X, X), y, _check_theta(theta))


@dataclass(frozen=True)
class SEFit:
    """Hyperparameters of a squared-exponential GP that maximise the evidence.

    Attributes
    ----------
    length_scale, signal_variance, noise_variance : float
    log_marginal_likelihood : float, the evidence at the optimum
    starts : ndarray, shape (r, 3), the starting points tried (log hyperparameters)
    ends : ndarray, shape (r, 3), where each start ended (log hyperparameters)
    finals : ndarray, shape (r,), the evidence each start reached
    """

    length_scale: float
    signal_variance: float
    noise_variance: float
    log_marginal_likelihood: float
    starts: np.ndarray
    ends: np.ndarray
    finals: np.ndarray


def fit_se_hyperparameters(X, y, *, theta0=(0.0, 0.0, -2.0), n_restarts: int = 0, bounds=((-5.0, 5.0),) * 3,
                           rng=0) -> SEFit:
    r"""Maximise :func:`se_log_marginal_likelihood` over :math:`\theta` (type-II maximum likelihood).

    L-BFGS-B on :math:`-\log p(y \mid \theta)` with the analytic gradient, from ``theta0`` and from
    ``n_restarts`` further starts drawn uniformly inside ``bounds`` (the evidence can have several local maxima:
    a wiggly fit with little noise against a smooth one with much noise). The best end point wins.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
    theta0 : array_like, shape (3,), the first start (log hyperparameters)
    n_restarts : int >= 0
    bounds : three (low, high) pairs of log hyperparameters
    rng : int or numpy.random.Generator, for the extra starts

    Returns
    -------
    SEFit
    """
    X, y = _check_xy(X, y)
    theta0 = as_array(theta0, "theta0", ndim=1)
    if theta0.size != 3:
        raise ValueError(f"theta0 must hold (log length_scale, log signal_variance, log noise_variance), "
                         f"got {theta0.size} values")
    theta0 = _check_theta(theta0)
    n_restarts = check_int(n_restarts, "n_restarts", low=0)
    bounds = as_array(bounds, "bounds", ndim=2)
    if bounds.shape != (3, 2) or np.any(bounds[:, 0] >= bounds[:, 1]):
        raise ValueError(f"bounds must be three (low, high) pairs with low < high, got {bounds.tolist()}")
    gen = check_random_state(rng)
    starts = np.vstack([np.clip(theta0, bounds[:, 0], bounds[:, 1]),
                        gen.uniform(bounds[:, 0], bounds[:, 1], size=(n_restarts, 3))])
    D = squared_distances(X, X)

    def objective(theta):
        value, grad = _se_lml(D, y, theta)
        return -value, -grad

    results = [scipy.optimize.minimize(objective, s, jac=True, method="L-BFGS-B", bounds=bounds,
                                       options={"gtol": 1e-10, "ftol": 1e-14, "maxiter": 500}) for s in starts]
    finals = np.array([-r.fun for r in results])
    ends = np.array([r.x for r in results])
    best = ends[int(np.argmax(finals))]
    return SEFit(float(np.exp(best[0])), float(np.exp(best[1])), float(np.exp(best[2])), float(finals.max()),
                 starts, ends, finals)


@dataclass
class GaussianProcessRegressor:
    r"""Zero-mean GP regression with the squared-exponential kernel, in scikit-learn's shape.

    Parameters
    ----------
    length_scale : float > 0, :math:`\ell`
    signal_variance : float > 0, :math:`\sigma_f^2`
    noise_variance : float > 0, :math:`\sigma_n^2` (scikit-learn's ``alpha``)
    optimize : bool
        Set the three hyperparameters by :func:`fit_se_hyperparameters`, starting from the given values.
    n_restarts : int >= 0, rng : int or Generator, for the optimiser's extra starts

    Attributes
    ----------
    X_train_ : ndarray, shape (n, d)
    L_ : ndarray, shape (n, n), lower Cholesky factor of :math:`K + \sigma_n^2 I`
    alpha_ : ndarray, shape (n,), :math:`(K + \sigma_n^2 I)^{-1} y`
    length_scale_, signal_variance_, noise_variance_ : float, the values used
    log_marginal_likelihood_ : float
    """

    length_scale: float = 1.0
    signal_variance: float = 1.0
    noise_variance: float = 1e-2
    optimize: bool = False
    n_restarts: int = 0
    rng: int = 0

    def fit(self, X, y) -> "GaussianProcessRegressor":
        r"""Factorise :math:`K + \sigma_n^2 I` for the training data ``X`` (n, d), ``y`` (n,); return ``self``."""
        X, y = _check_xy(X, y)
        ell = check_float(self.length_scale, "length_scale", low=0, low_open=True)
        sf2 = check_float(self.signal_variance, "signal_variance", low=0, low_open=True)
        sn2 = check_float(self.noise_variance, "noise_variance", low=0, low_open=True)
        check_bool(self.optimize, "optimize")
        check_int(self.n_restarts, "n_restarts", low=0)
        check_random_state(self.rng)                        # checked here; the optimiser draws from it
        if self.optimize:
            fitted = fit_se_hyperparameters(X, y, theta0=np.log([ell, sf2, sn2]), n_restarts=self.n_restarts,
                                            rng=self.rng)
            ell, sf2, sn2 = fitted.length_scale, fitted.signal_variance, fitted.noise_variance
        self.length_scale_, self.signal_variance_, self.noise_variance_ = ell, sf2, sn2
        self.X_train_ = X
        self.L_, self.alpha_ = _factor(sf2 * kernels.rbf_kernel(X, gamma=0.5 / ell**2), y, sn2)
        self.log_marginal_likelihood_ = _lml(self.L_, self.alpha_, y)
        return self

    def _kernel(self, A, B=None):
        return self.signal_variance_ * kernels.rbf_kernel(A, B, gamma=0.5 / self.length_scale_**2)

    def predict(self, X, return_std: bool = False, return_cov: bool = False):
        """Posterior mean of :math:`f` at the rows of ``X`` (m, d); with ``return_std`` or ``return_cov`` also its
        standard deviation (m,) or covariance (m, m), without the noise (as scikit-learn's ``predict``)."""
        if not hasattr(self, "alpha_"):
            raise ValueError("this GaussianProcessRegressor is not fitted yet; call fit(X, y) first")
        X = as_array(X, "X", ndim=2)
        check_bool(return_std, "return_std")
        check_bool(return_cov, "return_cov")
        K_cross = self._kernel(self.X_train_, X)
        mean = K_cross.T @ self.alpha_
        if not (return_std or return_cov):
            return mean
        V = scipy.linalg.solve_triangular(self.L_, K_cross, lower=True)
        if return_cov:
            return mean, self._kernel(X) - V.T @ V
        var = self.signal_variance_ - np.einsum("ij,ij->j", V, V)
        return mean, np.sqrt(np.clip(var, 0.0, None))

    def sample_y(self, X, n_samples: int = 1, rng=0) -> np.ndarray:
        """Functions drawn from the posterior at the rows of ``X`` (m, d), shape (n_samples, m)."""
        mean, cov = self.predict(X, return_cov=True)
        return sample_gaussian(mean, cov, n_samples, rng=rng)

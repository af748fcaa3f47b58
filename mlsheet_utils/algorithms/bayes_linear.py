r"""Bayesian linear regression: a Gaussian prior on the weights, a Gaussian likelihood, everything in closed form.

The model, for features :math:`\phi(x) \in \mathbb R^d` (the rows of a design :math:`\Phi`, shape (n, d)):

.. math::
    w \sim \mathcal N(0, \lambda^{-1} I), \qquad
    y_i \mid w \sim \mathcal N(\phi(x_i)^\top w,\ \beta^{-1}) \text{ independently.}

The prior precision :math:`\lambda` is ``prior_precision`` (Bishop's :math:`\alpha`, scikit-learn
``BayesianRidge``'s ``lambda_``); the noise precision :math:`\beta` is ``noise_precision`` (scikit-learn's
``alpha_``: the two libraries swap the Greek letters). A bias is a column of ones in :math:`\Phi`, with the same
prior as every other weight.

- :func:`gaussian_basis`          the design :math:`[1, e^{-(x-c_j)^2/(2s^2)}]` of Gaussian bumps on a line;
- :func:`posterior`               :math:`p(w \mid \Phi, y) = \mathcal N(m, S)` (a :class:`WeightPosterior`);
- :func:`predictive`              :math:`p(y_\star \mid x_\star, \Phi, y)`, mean and variance (a :class:`Predictive`);
- :func:`log_evidence`            :math:`\log p(y \mid \Phi, \lambda, \beta)`, the marginal likelihood;
- :func:`sequential_posteriors`   the posterior after each of the first :math:`k` points, by rank-one updates
  (a :class:`SequentialPosteriors`);
- :func:`evidence_maximisation`   empirical Bayes: MacKay's fixed point for :math:`\lambda` and :math:`\beta`
  (an :class:`EmpiricalBayes`);
- :class:`BayesianLinearRegression`  the estimator (``fit``, ``predict`` with ``return_std``).

Every public function validates its input and raises ``ValueError`` naming the bad argument.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from mlsheet_utils.validation import as_array, check_float, check_int

__all__ = ["BayesianLinearRegression", "EmpiricalBayes", "Predictive", "SequentialPosteriors", "WeightPosterior",
           "evidence_maximisation", "gaussian_basis", "log_evidence", "posterior", "predictive",
           "sequential_posteriors"]


def _problem(Phi, y) -> tuple[np.ndarray, np.ndarray]:
    Phi = as_array(Phi, "Phi", ndim=2)
    if Phi.shape[0] == 0 or Phi.shape[1] == 0:
        raise ValueError(f"Phi must have at least one row and one column, got shape {Phi.shape}")
    y = as_array(y, "y", ndim=1)
    if y.shape[0] != Phi.shape[0]:
        raise ValueError(f"y must have one entry per row of Phi ({Phi.shape[0]}), got {y.shape[0]}")
    return Phi, y


def _precisions(prior_precision, noise_precision) -> tuple[float, float]:
    return (check_float(prior_precision, "prior_precision", low=0, low_open=True),
            check_float(noise_precision, "noise_precision", low=0, low_open=True))


def gaussian_basis(x, centres, width: float, *, bias: bool = True) -> np.ndarray:
    r"""Gaussian basis functions of a scalar input: :math:`\phi_j(x) = \exp\!\big(-(x - c_j)^2 / (2s^2)\big)`.

    Parameters
    ----------
    x : array_like, shape (n,)
    centres : array_like, shape (k,), the :math:`c_j`
    width : float > 0, the common scale :math:`s`
    bias : bool
        Put a column of ones first.

    Returns
    -------
    ndarray, shape (n, k + 1) with a bias, else (n, k)
    """
    x = as_array(x, "x", ndim=1)
    centres = as_array(centres, "centres", ndim=1)
    width = check_float(width, "width", low=0, low_open=True)
    bumps = np.exp(-0.5 * ((x[:, None] - centres[None, :]) / width) ** 2)
    return np.column_stack([np.ones(len(x)), bumps]) if bias else bumps


@dataclass(frozen=True)
class WeightPosterior:
    r"""The Gaussian posterior :math:`\mathcal N(m, S)` over the weights, and the precisions it was computed with.

    Built by :func:`posterior`; built by hand (to feed :func:`predictive`), it checks that ``mean`` is a vector,
    ``cov`` a matching symmetric positive semi-definite matrix and both precisions are > 0.

    Attributes
    ----------
    mean : ndarray, shape (d,), :math:`m = \beta S \Phi^\top y`
    cov : ndarray, shape (d, d), :math:`S = (\lambda I + \beta\Phi^\top\Phi)^{-1}`
    prior_precision : float, :math:`\lambda`
    noise_precision : float, :math:`\beta`
    """

    mean: np.ndarray
    cov: np.ndarray
    prior_precision: float
    noise_precision: float

    def __post_init__(self):
        mean = as_array(self.mean, "mean", ndim=1)
        cov = as_array(self.cov, "cov", ndim=2)
        if cov.shape != (mean.size, mean.size):
            raise ValueError(f"cov must have shape ({mean.size}, {mean.size}) like mean, got {cov.shape}")
        scale = max(1.0, float(np.abs(cov).max()))
        if np.abs(cov - cov.T).max() > 1e-6 * scale or np.linalg.eigvalsh(cov).min() < -1e-10 * scale:
            raise ValueError("cov must be a symmetric positive semi-definite matrix (a covariance)")
        _precisions(self.prior_precision, self.noise_precision)
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "cov", cov)


def _posterior(Phi: np.ndarray, y: np.ndarray, lam: float, beta: float) -> tuple[np.ndarray, np.ndarray]:
    factor = scipy.linalg.cho_factor(lam * np.eye(Phi.shape[1]) + beta * Phi.T @ Phi)
    return beta * scipy.linalg.cho_solve(factor, Phi.T @ y), scipy.linalg.cho_solve(factor, np.eye(Phi.shape[1]))


def posterior(Phi, y, prior_precision: float, noise_precision: float) -> WeightPosterior:
    r"""The posterior over the weights, by completing the square in :math:`w`.

    :math:`\log p(w\mid\Phi, y) = -\frac\beta2\lVert y - \Phi w\rVert^2 - \frac\lambda2\lVert w\rVert^2 + \text{const}`
    is quadratic in :math:`w`, so the posterior is Gaussian with precision (minus the Hessian) and mean (the
    stationary point)

    .. math::
        S^{-1} = \lambda I + \beta\,\Phi^\top\Phi, \qquad m = \beta\, S\,\Phi^\top y
        = (\Phi^\top\Phi + \tfrac{\lambda}{\beta} I)^{-1}\Phi^\top y,

    the ridge estimate with penalty :math:`\lambda/\beta`. One Cholesky factorisation of :math:`S^{-1}` gives both.

    Parameters
    ----------
    Phi : array_like, shape (n, d), the design (features of the training inputs)
    y : array_like, shape (n,)
    prior_precision : float > 0, :math:`\lambda`
    noise_precision : float > 0, :math:`\beta`

    Returns
    -------
    WeightPosterior
    """
    Phi, y = _problem(Phi, y)
    lam, beta = _precisions(prior_precision, noise_precision)
    return WeightPosterior(*_posterior(Phi, y, lam, beta), lam, beta)


@dataclass(frozen=True)
class Predictive:
    r"""The posterior predictive :math:`\mathcal N(\text{mean}, \text{var})` of a new target at each input.

    Attributes
    ----------
    mean : ndarray, shape (m,), :math:`m^\top\phi(x_\star)`
    var : ndarray, shape (m,), :math:`\beta^{-1} + \phi(x_\star)^\top S\,\phi(x_\star)`
    var_weights : ndarray, shape (m,), the second term alone: the uncertainty about the weights (the noise
        :math:`\beta^{-1}` is the rest)
    """

    mean: np.ndarray
    var: np.ndarray
    var_weights: np.ndarray


def predictive(post: WeightPosterior, Phi_new) -> Predictive:
    r"""The posterior predictive distribution at new inputs.

    .. math::
        p(y_\star\mid x_\star, \Phi, y) = \int \mathcal N(y_\star\mid \phi_\star^\top w, \beta^{-1})\,
        \mathcal N(w\mid m, S)\,dw = \mathcal N\big(y_\star \mid m^\top\phi_\star,\
        \beta^{-1} + \phi_\star^\top S\,\phi_\star\big):

    :math:`y_\star = \phi_\star^\top w + \varepsilon` is a sum of two independent Gaussians, so the means and the
    variances add. The first variance term is the noise; the second, the uncertainty about :math:`w`, grows
    along the directions of feature space that the training data did not pin down.

    Parameters
    ----------
    post : WeightPosterior, from :func:`posterior`
    Phi_new : array_like, shape (m, d), the features of the new inputs

    Returns
    -------
    Predictive
    """
    if not isinstance(post, WeightPosterior):
        raise ValueError(f"post must be a WeightPosterior (from posterior), got {type(post).__name__}")
    Phi_new = as_array(Phi_new, "Phi_new", ndim=2)
    if Phi_new.shape[1] != post.mean.shape[0]:
        raise ValueError(f"Phi_new must have {post.mean.shape[0]} columns like the posterior, got {Phi_new.shape[1]}")
    var_w = np.einsum("ij,jk,ik->i", Phi_new, post.cov, Phi_new)
    return Predictive(Phi_new @ post.mean, 1.0 / post.noise_precision + var_w, var_w)


def log_evidence(Phi, y, prior_precision: float, noise_precision: float) -> float:
    r"""The log marginal likelihood :math:`\log p(y\mid\Phi,\lambda,\beta) = \log\int p(y\mid\Phi, w)\,p(w)\,dw`.

    Marginally :math:`y \sim \mathcal N(0,\ \beta^{-1} I + \lambda^{-1}\Phi\Phi^\top)`; in the weight space
    (an :math:`d\times d` problem instead of :math:`n\times n`), with :math:`A = S^{-1}` and :math:`m` from
    :func:`posterior`,

    .. math::
        \log p(y) = \frac d2\log\lambda + \frac n2\log\beta - E(m) - \frac12\log\lvert A\rvert - \frac n2\log 2\pi,
        \qquad E(m) = \frac\beta2\lVert y - \Phi m\rVert^2 + \frac\lambda2\lVert m\rVert^2 .

    Parameters
    ----------
    Phi : array_like, shape (n, d)
    y : array_like, shape (n,)
    prior_precision, noise_precision : float > 0

    Returns
    -------
    float
    """
    Phi, y = _problem(Phi, y)
    lam, beta = _precisions(prior_precision, noise_precision)
    return _log_evidence(Phi, y, lam, beta)


def _log_evidence(Phi: np.ndarray, y: np.ndarray, lam: float, beta: float) -> float:
    n, d = Phi.shape
    chol = scipy.linalg.cholesky(lam * np.eye(d) + beta * Phi.T @ Phi, lower=True)
    m = beta * scipy.linalg.cho_solve((chol, True), Phi.T @ y)
    energy = 0.5 * beta * np.sum((y - Phi @ m) ** 2) + 0.5 * lam * m @ m
    return float(0.5 * d * np.log(lam) + 0.5 * n * np.log(beta) - energy - np.sum(np.log(np.diag(chol)))
                 - 0.5 * n * np.log(2 * np.pi))


@dataclass(frozen=True)
class SequentialPosteriors:
    """Output of :func:`sequential_posteriors`: the posterior after 0, 1, ..., n points.

    Attributes
    ----------
    means : ndarray, shape (n + 1, d); ``means[k]`` is the posterior mean after the first ``k`` points
        (``means[0]`` is the prior mean, 0)
    covs : ndarray, shape (n + 1, d, d); ``covs[k]`` the posterior covariance after ``k`` points
    """

    means: np.ndarray
    covs: np.ndarray


def sequential_posteriors(Phi, y, prior_precision: float, noise_precision: float) -> SequentialPosteriors:
    r"""Bayesian updating one point at a time: each posterior is the prior for the next point.

    Adding the point :math:`(\phi, y)` to :math:`\mathcal N(m, S)` adds :math:`\beta\phi\phi^\top` to the precision;
    by the Sherman-Morrison formula, with :math:`u = S\phi` and :math:`c = 1 + \beta\,\phi^\top u`,

    .. math::
        S' = S - \frac{\beta}{c}\,u u^\top, \qquad m' = m + \frac{\beta}{c}\,u\,(y - \phi^\top m),

    a Kalman-filter update with a state that does not move: :math:`O(d^2)` per point and no matrix inverse.
    After all :math:`n` points it equals :func:`posterior` of the whole data set, whatever the order.

    Parameters
    ----------
    Phi : array_like, shape (n, d)
    y : array_like, shape (n,)
    prior_precision, noise_precision : float > 0

    Returns
    -------
    SequentialPosteriors
    """
    Phi, y = _problem(Phi, y)
    lam, beta = _precisions(prior_precision, noise_precision)
    n, d = Phi.shape
    means, covs = np.zeros((n + 1, d)), np.zeros((n + 1, d, d))
    covs[0] = np.eye(d) / lam
    for k in range(n):
        m, S, phi = means[k], covs[k], Phi[k]
        u = S @ phi
        gain = beta * u / (1.0 + beta * phi @ u)
        means[k + 1] = m + gain * (y[k] - phi @ m)
        covs[k + 1] = S - np.outer(gain, u)
    return SequentialPosteriors(means, covs)


@dataclass(frozen=True)
class EmpiricalBayes:
    r"""Output of :func:`evidence_maximisation`.

    Attributes
    ----------
    prior_precision : float, :math:`\hat\lambda`
    noise_precision : float, :math:`\hat\beta`
    gamma : float, the effective number of well-determined parameters :math:`\gamma`
    n_iter : int, fixed-point iterations taken
    converged : bool
    log_evidence : ndarray, shape (n_iter + 1,), the log evidence at the start and after each iteration
    """

    prior_precision: float
    noise_precision: float
    gamma: float
    n_iter: int
    converged: bool
    log_evidence: np.ndarray


def evidence_maximisation(Phi, y, *, prior_precision: float = 1.0, noise_precision: float | None = None,
                          tol: float = 1e-10, max_iter: int = 1000) -> EmpiricalBayes:
    r"""Type-II maximum likelihood: the :math:`\lambda` and :math:`\beta` that maximise :func:`log_evidence`.

    Setting the derivatives of the log evidence to zero gives MacKay's fixed-point equations. With
    :math:`\mu_j` the eigenvalues of :math:`\Phi^\top\Phi` and :math:`m` the posterior mean at the current values,

    .. math::
        \gamma = \sum_j \frac{\beta\mu_j}{\lambda + \beta\mu_j}, \qquad
        \lambda \leftarrow \frac{\gamma}{m^\top m}, \qquad
        \beta \leftarrow \frac{n - \gamma}{\lVert y - \Phi m\rVert^2} .

    :math:`\gamma \in [0, d]` counts the directions in which the data, not the prior, determine the weights.
    The iteration stops when both precisions change by a relative ``tol`` or less. scikit-learn's
    ``BayesianRidge`` runs the same updates, with Gamma hyperpriors whose parameters (``alpha_1``, ...) set to 0
    give exactly these.

    Parameters
    ----------
    Phi : array_like, shape (n, d)
    y : array_like, shape (n,), not all zero
    prior_precision : float > 0, the starting :math:`\lambda`
    noise_precision : float > 0, optional, the starting :math:`\beta` (default :math:`1/\operatorname{Var}(y)`,
        as scikit-learn)
    tol : float > 0
    max_iter : int >= 1

    Returns
    -------
    EmpiricalBayes
    """
    Phi, y = _problem(Phi, y)
    if not np.any(y):
        raise ValueError("y is all zero: the evidence grows without bound as the prior precision grows")
    if noise_precision is None:
        noise_precision = 1.0 / (float(np.var(y)) + np.finfo(float).eps)
    lam, beta = _precisions(prior_precision, noise_precision)
    tol = check_float(tol, "tol", low=0, low_open=True)
    max_iter = check_int(max_iter, "max_iter", low=1)
    n = Phi.shape[0]
    mu, V = np.linalg.eigh(Phi.T @ Phi)
    mu = np.clip(mu, 0.0, None)
    proj = V.T @ (Phi.T @ y)
    history, converged, gamma = [_log_evidence(Phi, y, lam, beta)], False, 0.0
    for _ in range(max_iter):
        m = V @ (beta * proj / (lam + beta * mu))
        gamma = float(np.sum(beta * mu / (lam + beta * mu)))
        mm, rss = float(m @ m), float(np.sum((y - Phi @ m) ** 2))
        if not (mm > 0 and rss > 0 and gamma > 0):
            break                              # no signal left (lambda -> inf) or a perfect fit (beta -> inf)
        lam_new, beta_new = gamma / mm, (n - gamma) / rss
        change = max(abs(lam_new / lam - 1.0), abs(beta_new / beta - 1.0))
        lam, beta = lam_new, beta_new
        history.append(_log_evidence(Phi, y, lam, beta))
        if change <= tol:
            converged = True
            break
    gamma = float(np.sum(beta * mu / (lam + beta * mu)))
    return EmpiricalBayes(lam, beta, gamma, len(history) - 1, converged, np.array(history))


@dataclass
class BayesianLinearRegression:
    r"""Bayesian linear regression on given features, in scikit-learn's shape.

    ``fit`` computes the posterior :math:`\mathcal N(m, S)` (:func:`posterior`); with ``fit_hyperparameters``
    it first sets :math:`\lambda` and :math:`\beta` by :func:`evidence_maximisation`, starting from the given
    values. No intercept is added: put a column of ones in the features for a bias.

    Parameters
    ----------
    prior_precision : float > 0, :math:`\lambda`
    noise_precision : float > 0, :math:`\beta`
    fit_hyperparameters : bool
    tol : float > 0, max_iter : int >= 1, for :func:`evidence_maximisation`

    Attributes
    ----------
    coef_ : ndarray, shape (d,), the posterior mean :math:`m`
    sigma_ : ndarray, shape (d, d), the posterior covariance :math:`S` (scikit-learn's name)
    prior_precision_, noise_precision_ : float, the values used
    log_evidence_ : float, :func:`log_evidence` at those values
    """

    prior_precision: float = 1.0
    noise_precision: float = 1.0
    fit_hyperparameters: bool = False
    tol: float = 1e-10
    max_iter: int = 1000

    def __post_init__(self):
        _precisions(self.prior_precision, self.noise_precision)
        check_float(self.tol, "tol", low=0, low_open=True)
        check_int(self.max_iter, "max_iter", low=1)

    def fit(self, Phi, y) -> "BayesianLinearRegression":
        """Fit to the design ``Phi`` (n, d) and targets ``y`` (n,); return ``self``."""
        lam, beta = self.prior_precision, self.noise_precision
        if self.fit_hyperparameters:
            eb = evidence_maximisation(Phi, y, prior_precision=lam, noise_precision=beta, tol=self.tol,
                                       max_iter=self.max_iter)
            lam, beta = eb.prior_precision, eb.noise_precision
        post = posterior(Phi, y, lam, beta)
        self.coef_, self.sigma_ = post.mean, post.cov
        self.prior_precision_, self.noise_precision_ = post.prior_precision, post.noise_precision
        self.log_evidence_ = log_evidence(Phi, y, lam, beta)
        return self

    def predict(self, Phi, return_std: bool = False):
        """The predictive mean at each row of ``Phi`` (m, d), and its standard deviation if ``return_std``."""
        if not hasattr(self, "coef_"):
            raise ValueError("this BayesianLinearRegression is not fitted yet; call fit(Phi, y) first")
        Phi = as_array(Phi, "Phi", ndim=2)
        if Phi.shape[1] != self.coef_.shape[0]:
            raise ValueError(f"Phi must have {self.coef_.shape[0]} columns like the training design, "
                             f"got {Phi.shape[1]}")
        pred = predictive(WeightPosterior(self.coef_, self.sigma_, self.prior_precision_, self.noise_precision_),
                          Phi)
        return (pred.mean, np.sqrt(pred.var)) if return_std else pred.mean

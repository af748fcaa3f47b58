r"""Bayesian updating and estimation from scratch: conjugate updates, grid posteriors, maximum likelihood by
Newton's method, point estimates of a proportion, and confidence and credible intervals.

Conjugate updates map the prior's hyperparameters and a batch of data to the posterior's. Each returns a frozen
dataclass that also unpacks like a tuple in field order (``a_n, b_n = beta_bernoulli(a, b, x)``), so that
:func:`sequential` can feed the posterior back in as the next prior:

- :func:`beta_bernoulli` -> :class:`BetaParams`, :func:`gamma_poisson` -> :class:`GammaParams`,
  :func:`dirichlet_categorical` -> :class:`DirichletParams`;
- :func:`normal_known_variance` -> :class:`NormalParams`, :func:`normal_inverse_gamma` -> :class:`NIGParams`;
- :func:`wishart_precision` and :func:`inverse_wishart_covariance` -> :class:`WishartParams`;
- :func:`sequential` updates one observation at a time through any of them.

Posteriors on a grid, for any prior:

- :func:`grid_posterior` normalises :math:`\exp(\text{log-likelihood} + \text{log-prior})` on a 1-D or 2-D grid;
- :func:`bernoulli_log_likelihood`, :func:`poisson_log_likelihood`, :func:`normal_log_likelihood`, vectorised over
  a grid of parameter values.

Maximum likelihood:

- :func:`newton_maximize` (Newton's method with backtracking) -> :class:`NewtonResult`;
- :func:`normal_log_likelihood_derivatives` (in :math:`(\mu, \log\sigma^2)`) and
  :func:`poisson_log_likelihood_derivatives` (in :math:`\log\lambda`) -> :class:`Derivatives`;
- :func:`gaussian_mle`, the normal MLE by Newton's method.

Point estimates and MAP:

- :func:`beta_mode`, the mode of a Beta density (NaN where it has none);
- :func:`coin_estimates`, the MLE, MAP and posterior mean of a proportion, and :func:`estimator_mse`, their mean
  squared errors by simulation -> :class:`ByEstimator`;
- :func:`ridge_map`, the MAP weights of linear regression under a Gaussian prior (ridge regression).

Intervals for a proportion: :func:`wald_interval`, :func:`wilson_interval`, :func:`credible_interval`, and their
coverage, exact (:func:`exact_coverage`, by enumerating the Binomial) or simulated (:func:`simulated_coverage`).

Every public function validates its arguments once and raises ``ValueError`` naming the argument. Loops run on
private kernels (:func:`gaussian_mle` iterates ``_normal_derivatives``, not the validating public function); only
:func:`sequential` calls a public update at every step, because checking that the public update composes with
itself is its purpose.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import special

from mlsheet_utils.algorithms import linear
from mlsheet_utils.algorithms.probability import distributions as dist
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

# -- validation helpers -----------------------------------------------------------------------------------


def _positive(value, name: str) -> float:
    return check_float(value, name, low=0.0, low_open=True)


def _labels(x, low, high, name: str = "x") -> np.ndarray:
    """``x`` as a 1-D array of integers in ``[low, high]`` (``high`` may be ``inf``)."""
    x = as_array(x, name, ndim=1)
    if np.any(x != np.round(x)) or np.any(x < low) or np.any(x > high):
        raise ValueError(f"{name} must contain integers in [{low}, {high}], got values from "
                         f"{x.min() if x.size else None} to {x.max() if x.size else None}")
    return x.astype(int)


def _observations(x, name: str = "x") -> np.ndarray:
    x = as_array(x, name, ndim=1)
    if x.size == 0:
        raise ValueError(f"{name} must contain at least one observation")
    return x


def _spd(M, name: str) -> np.ndarray:
    M = as_array(M, name, ndim=2)
    if M.shape[0] != M.shape[1] or M.shape[0] == 0 or not np.allclose(M, M.T):
        raise ValueError(f"{name} must be a symmetric square matrix, got shape {M.shape}")
    try:
        np.linalg.cholesky(M)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be positive definite") from None
    return M


def _broadcast(**arrays: np.ndarray) -> tuple[int, ...]:
    """The broadcast shape of named arrays, or a ``ValueError`` naming them and their shapes."""
    try:
        return np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{name} {a.shape}" for name, a in arrays.items())
        raise ValueError(f"{' and '.join(arrays)} must broadcast together, got shapes {shapes}") from None


def _scatter(X, mean, d: int) -> tuple[np.ndarray, int]:
    r"""Scatter matrix :math:`S = \sum_i (x_i - m)(x_i - m)^\top` of ``X`` (n, d) about ``mean`` (d,)."""
    X = as_array(X, "X", ndim=2)
    if X.shape[1] != d:
        raise ValueError(f"X must have {d} columns to match the scale matrix, got shape {X.shape}")
    mean = as_array(mean, "mean", ndim=1)
    if mean.size != d:
        raise ValueError(f"mean must have {d} entries, got {mean.size}")
    R = X - mean
    return R.T @ R, X.shape[0]


# -- conjugate updates ------------------------------------------------------------------------------------

class _Unpackable:
    """Iteration over a dataclass's fields in order, so a result unpacks like a tuple."""

    def __iter__(self):
        return iter([getattr(self, f.name) for f in dataclasses.fields(self)])


@dataclass(frozen=True, eq=False)
class BetaParams(_Unpackable):
    r"""Hyperparameters of :math:`\mathrm{Beta}(a, b)`."""

    a: float
    b: float


@dataclass(frozen=True, eq=False)
class GammaParams(_Unpackable):
    r"""Hyperparameters of :math:`\mathrm{Gamma}(\alpha, \beta)`, shape and **rate**."""

    shape: float
    rate: float


@dataclass(frozen=True, eq=False)
class DirichletParams(_Unpackable):
    r"""Concentrations of :math:`\mathrm{Dir}(\alpha_1, \dots, \alpha_K)`, shape (K,)."""

    alpha: np.ndarray


@dataclass(frozen=True, eq=False)
class NormalParams(_Unpackable):
    """Mean and variance of a normal distribution (of an unknown mean)."""

    mean: float
    var: float


@dataclass(frozen=True, eq=False)
class NIGParams(_Unpackable):
    r"""Normal-Inverse-Gamma :math:`\mathrm{NIG}(\mu_0, \lambda, \alpha, \beta)`:
    :math:`\sigma^2 \sim \mathrm{IG}(\alpha, \beta)` and :math:`\mu \mid \sigma^2 \sim
    \mathcal N(\mu_0, \sigma^2/\lambda)`."""

    mu: float
    lam: float
    alpha: float
    beta: float


@dataclass(frozen=True, eq=False)
class WishartParams(_Unpackable):
    """Scale matrix (d, d) and degrees of freedom of a Wishart or an inverse Wishart distribution."""

    scale: np.ndarray
    df: float


def beta_bernoulli(a: float, b: float, x) -> BetaParams:
    r"""Beta prior, Bernoulli data: :math:`\mathrm{Beta}(a, b) \to \mathrm{Beta}(a + k,\ b + n - k)`.

    Parameters
    ----------
    a, b : float > 0
        Prior pseudo-counts of ones and zeros.
    x : array_like, shape (n,), values in {0, 1}
        The observations; :math:`k = \sum_i x_i`.

    Returns
    -------
    BetaParams
    """
    a, b = _positive(a, "a"), _positive(b, "b")
    x = _labels(x, 0, 1)
    k = float(x.sum())
    return BetaParams(a + k, b + x.size - k)


def gamma_poisson(alpha: float, beta: float, x) -> GammaParams:
    r"""Gamma prior (shape, rate), Poisson counts: :math:`\mathrm{Gamma}(\alpha, \beta) \to
    \mathrm{Gamma}(\alpha + \sum_i x_i,\ \beta + n)`.

    Parameters
    ----------
    alpha, beta : float > 0
        Shape and **rate** of the prior on the Poisson mean.
    x : array_like, shape (n,), non-negative integers

    Returns
    -------
    GammaParams
    """
    alpha, beta = _positive(alpha, "alpha"), _positive(beta, "beta")
    x = _labels(x, 0, np.inf)
    return GammaParams(alpha + float(x.sum()), beta + x.size)


def dirichlet_categorical(alpha, x) -> DirichletParams:
    r"""Dirichlet prior, categorical labels: :math:`\mathrm{Dir}(\alpha) \to \mathrm{Dir}(\alpha + c)`, with
    :math:`c_j` the number of labels equal to :math:`j`.

    Parameters
    ----------
    alpha : array_like, shape (K,), K >= 2, entries > 0
    x : array_like, shape (n,), integers in {0, ..., K-1}

    Returns
    -------
    DirichletParams, concentrations of shape (K,)
    """
    alpha = as_array(alpha, "alpha", ndim=1)
    if alpha.size < 2 or np.any(alpha <= 0):
        raise ValueError(f"alpha must hold K >= 2 positive concentrations, got {alpha}")
    x = _labels(x, 0, alpha.size - 1)
    return DirichletParams(alpha + np.bincount(x, minlength=alpha.size))


def normal_known_variance(mu0: float, tau0_sq: float, x, *, sigma_sq: float) -> NormalParams:
    r"""Normal prior on the mean of normal data with known variance :math:`\sigma^2`.

    :math:`\mathcal N(\mu_0, \tau_0^2) \to \mathcal N(\mu_n, \tau_n^2)`: precisions add and the mean is
    precision-weighted,

    .. math:: \tau_n^{-2} = \tau_0^{-2} + n\sigma^{-2},\qquad
              \mu_n = \tau_n^2\big(\tau_0^{-2}\mu_0 + \sigma^{-2}\textstyle\sum_i x_i\big).

    Parameters
    ----------
    mu0 : float
    tau0_sq : float > 0, the prior variance of the mean
    x : array_like, shape (n,)
    sigma_sq : float > 0, the known variance of each observation

    Returns
    -------
    NormalParams (posterior mean and variance of the mean)
    """
    mu0 = check_float(mu0, "mu0")
    tau0_sq, sigma_sq = _positive(tau0_sq, "tau0_sq"), _positive(sigma_sq, "sigma_sq")
    x = as_array(x, "x", ndim=1)
    precision = 1.0 / tau0_sq + x.size / sigma_sq
    return NormalParams((mu0 / tau0_sq + x.sum() / sigma_sq) / precision, 1.0 / precision)


def normal_inverse_gamma(mu0: float, lam: float, alpha: float, beta: float, x) -> NIGParams:
    r"""Normal-Inverse-Gamma prior on the mean and variance of normal data.

    With :math:`\bar x` the sample mean and :math:`SS = \sum_i (x_i - \bar x)^2`:

    .. math:: \lambda_n = \lambda + n,\quad \mu_n = \frac{\lambda\mu_0 + n\bar x}{\lambda_n},\quad
              \alpha_n = \alpha + \frac n2,\quad
              \beta_n = \beta + \frac{SS}2 + \frac{\lambda n(\bar x - \mu_0)^2}{2\lambda_n}.

    Parameters
    ----------
    mu0 : float
    lam, alpha, beta : float > 0
    x : array_like, shape (n,), n >= 1

    Returns
    -------
    NIGParams
    """
    mu0 = check_float(mu0, "mu0")
    lam, alpha, beta = _positive(lam, "lam"), _positive(alpha, "alpha"), _positive(beta, "beta")
    x = _observations(x)
    n, xbar = x.size, x.mean()
    lam_n = lam + n
    beta_n = beta + 0.5 * ((x - xbar) ** 2).sum() + lam * n * (xbar - mu0) ** 2 / (2 * lam_n)
    return NIGParams((lam * mu0 + n * xbar) / lam_n, lam_n, alpha + n / 2, beta_n)


def wishart_precision(V, nu: float, X, *, mean) -> WishartParams:
    r"""Wishart prior on the **precision** :math:`\Lambda` of :math:`\mathcal N(m, \Lambda^{-1})` data, mean known.

    :math:`\mathcal W(V, \nu) \to \mathcal W\big((V^{-1} + S)^{-1},\ \nu + n\big)` with
    :math:`S = \sum_i (x_i - m)(x_i - m)^\top`.

    Parameters
    ----------
    V : array_like, shape (d, d), symmetric positive definite
    nu : float > d - 1
    X : array_like, shape (n, d)
    mean : array_like, shape (d,), the known mean

    Returns
    -------
    WishartParams
    """
    V = _spd(V, "V")
    nu = check_float(nu, "nu", low=V.shape[0] - 1, low_open=True)
    S, n = _scatter(X, mean, V.shape[0])
    return WishartParams(np.linalg.inv(np.linalg.inv(V) + S), nu + n)


def inverse_wishart_covariance(Psi, nu: float, X, *, mean) -> WishartParams:
    r"""Inverse-Wishart prior on the **covariance** :math:`\Sigma` of :math:`\mathcal N(m, \Sigma)` data, mean
    known: :math:`\mathcal W^{-1}(\Psi, \nu) \to \mathcal W^{-1}(\Psi + S,\ \nu + n)`, :math:`S` as in
    :func:`wishart_precision`.

    Parameters
    ----------
    Psi : array_like, shape (d, d), symmetric positive definite
    nu : float > d - 1
    X : array_like, shape (n, d)
    mean : array_like, shape (d,)

    Returns
    -------
    WishartParams
    """
    Psi = _spd(Psi, "Psi")
    nu = check_float(nu, "nu", low=Psi.shape[0] - 1, low_open=True)
    S, n = _scatter(X, mean, Psi.shape[0])
    return WishartParams(Psi + S, nu + n)


def sequential(update: Callable, prior, data, **fixed):
    r"""Update one observation at a time: ``post = update(*post, data[i:i+1], **fixed)`` for i = 0 .. n-1.

    For independent data the likelihood is a product and a conjugate update adds sufficient statistics, so the
    result equals the batch update ``update(*prior, data, **fixed)``. Each step is a full call of ``update``
    (validation included): what is checked is that the public update composes with itself.

    Parameters
    ----------
    update : callable, one of the conjugate updates of this module
    prior : iterable of hyperparameters, in the order ``update`` takes them (or a result of ``update``)
    data : array_like, shape (n,) or (n, d), n >= 1
    **fixed : keyword arguments passed to every call (``sigma_sq``, ``mean``)

    Returns
    -------
    What ``update`` returns, after the last observation.

    Raises
    ------
    ValueError
        Naming ``prior`` when it does not match ``update``'s hyperparameters, and naming ``prior`` or ``data`` (with
        the observation's index) when ``update`` rejects a step, with ``update``'s own message.
    """
    if not callable(update):
        raise ValueError(f"update must be callable, got {type(update).__name__}")
    if isinstance(prior, str) or not isinstance(prior, Iterable):
        raise ValueError(f"prior must be an iterable of hyperparameters, got {prior!r:.60}")
    data = as_array(data, "data")
    if data.ndim == 0 or len(data) == 0:
        raise ValueError(f"data must hold at least one observation, got shape {data.shape}")
    post = tuple(prior)
    try:
        inspect.signature(update).bind(*post, data[:1], **fixed)
    except TypeError as exc:
        raise ValueError(f"prior (and the keyword arguments) must match update's parameters, got {len(post)} "
                         f"hyperparameters: {exc}") from None
    except ValueError:                                   # no signature to check (a builtin): let the call decide
        pass
    for i in range(len(data)):
        try:
            result = update(*post, data[i:i + 1], **fixed)
        except ValueError as exc:
            blamed = "prior or data[0]" if i == 0 else f"data[{i}]"
            raise ValueError(f"update rejected {blamed}: {exc}") from exc
        post = tuple(result)
    return result


# -- posteriors on a grid ---------------------------------------------------------------------------------

def grid_posterior(log_unnormalised, *grids) -> np.ndarray:
    r"""Normalise a posterior given on a grid with the trapezoid rule.

    .. math:: p(\theta\mid D) \approx \frac{e^{l(\theta)}}{\int e^{l(\theta)}\,d\theta},\qquad
              l = \text{log-likelihood} + \text{log-prior}.

    The maximum of :math:`l` is subtracted before exponentiating, so nothing overflows. For two axes the integral
    is the trapezoid rule along each axis in turn.

    Parameters
    ----------
    log_unnormalised : array_like, shape (m1,) or (m1, m2)
        :math:`l` at the grid points (``indexing="ij"`` for two axes). ``-inf`` (zero density) is allowed, NaN
        and ``+inf`` are not: leave out grid points where a density is unbounded.
    *grids : 1-D increasing arrays, one per axis, of lengths m1 (and m2)

    Returns
    -------
    ndarray shaped like ``log_unnormalised``: the density at the grid points, integrating to 1.
    """
    log_u = as_array(log_unnormalised, "log_unnormalised", finite=False)
    if np.isnan(log_u).any() or np.isposinf(log_u).any():
        raise ValueError("log_unnormalised contains NaN or +inf: drop grid points where the density is unbounded")
    if log_u.ndim == 0 or len(grids) != log_u.ndim:
        raise ValueError(f"grids must give one grid per axis of log_unnormalised (shape {log_u.shape}), "
                         f"got {len(grids)} grids")
    axes = []
    for i, g in enumerate(grids):
        g = as_array(g, f"grids[{i}]", ndim=1)
        if g.size != log_u.shape[i] or g.size < 2 or np.any(np.diff(g) <= 0):
            raise ValueError(f"grids[{i}] must be increasing with one point per entry of log_unnormalised along "
                             f"axis {i} ({log_u.shape[i]}, at least 2), got {g.size} points")
        axes.append(g)
    if np.isneginf(log_u).all():
        raise ValueError("log_unnormalised is -inf everywhere: the data are impossible under this prior")
    density = np.exp(log_u - log_u.max())
    total = density
    for g in reversed(axes):
        total = np.trapezoid(total, g, axis=-1)
    return density / total


def bernoulli_log_likelihood(p, x) -> np.ndarray:
    r"""Bernoulli log-likelihood :math:`\sum_i \log p^{x_i}(1-p)^{1-x_i} = k\log p + (n-k)\log(1-p)` at each ``p``.

    Parameters
    ----------
    p : array_like, any shape, values in [0, 1]
    x : array_like, shape (n,), values in {0, 1}

    Returns
    -------
    ndarray shaped like ``p`` (``-inf`` where the data are impossible, e.g. a 1 at p = 0)
    """
    p = as_array(p, "p")
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"p must lie in [0, 1], got values from {p.min()} to {p.max()}")
    x = _labels(x, 0, 1)
    k = float(x.sum())
    return special.xlogy(k, p) + special.xlog1py(x.size - k, -p)


def poisson_log_likelihood(lam, x) -> np.ndarray:
    r"""Poisson log-likelihood :math:`\sum_i \log\frac{\lambda^{x_i}e^{-\lambda}}{x_i!}
    = s\log\lambda - n\lambda - \sum_i\log x_i!`, :math:`s = \sum_i x_i`, at each ``lam``.

    Parameters
    ----------
    lam : array_like, any shape, values >= 0
    x : array_like, shape (n,), non-negative integer counts

    Returns
    -------
    ndarray shaped like ``lam``
    """
    lam = as_array(lam, "lam")
    if np.any(lam < 0):
        raise ValueError(f"lam must be >= 0, got minimum {lam.min()}")
    x = _labels(x, 0, np.inf).astype(float)
    return special.xlogy(x.sum(), lam) - x.size * lam - special.gammaln(x + 1).sum()


def normal_log_likelihood(mu, var, x) -> np.ndarray:
    r"""Normal log-likelihood at each :math:`(\mu, \sigma^2)`, through the sample mean and the sum of squares:

    .. math:: \sum_i \log\mathcal N(x_i\mid\mu,\sigma^2) = -\frac n2\log(2\pi\sigma^2)
              - \frac{SS + n(\bar x - \mu)^2}{2\sigma^2},\qquad SS = \sum_i (x_i - \bar x)^2.

    Parameters
    ----------
    mu : array_like
    var : array_like, values > 0, broadcasting against ``mu`` (e.g. two arrays of a 2-D grid)
    x : array_like, shape (n,), n >= 1

    Returns
    -------
    ndarray of the broadcast shape of ``mu`` and ``var``
    """
    mu, var = as_array(mu, "mu"), as_array(var, "var")
    if np.any(var <= 0):
        raise ValueError(f"var must be > 0, got minimum {var.min()}")
    _broadcast(mu=mu, var=var)
    x = _observations(x)
    n, xbar = x.size, x.mean()
    ss = ((x - xbar) ** 2).sum()
    return -0.5 * n * np.log(2 * np.pi * var) - (ss + n * (xbar - mu) ** 2) / (2 * var)


# -- maximum likelihood by Newton's method ----------------------------------------------------------------

@dataclass(frozen=True)
class Derivatives:
    """A function's value, gradient (p,) and Hessian (p, p) at one point."""

    value: float
    gradient: np.ndarray
    hessian: np.ndarray


@dataclass(frozen=True)
class NewtonResult:
    """Output of :func:`newton_maximize`: the maximiser found (p,) and every iterate (steps + 1, p)."""

    theta: np.ndarray
    path: np.ndarray

    @property
    def n_steps(self) -> int:
        """Number of Newton steps taken."""
        return len(self.path) - 1


def newton_maximize(fun: Callable[[np.ndarray], Derivatives], theta0, *, tol: float = 1e-10,
                    max_iter: int = 100) -> NewtonResult:
    r"""Maximise a smooth function by Newton's method with backtracking.

    The step is :math:`d = -H^{-1}g` where the Hessian :math:`H` is negative definite (checked by a Cholesky
    factorisation of :math:`-H`), else the gradient :math:`d = g`; it is halved until :math:`f` is finite and
    does not decrease. Where the Newton direction does not ascend, or no step along it (down to 1e-12) does so
    before convergence (a nearly singular :math:`H` makes that direction huge and its sign a matter of
    rounding), the gradient is followed instead, and where neither ascends the loop stops.
    The loop stops after the step at which the Newton decrement :math:`g^\top d/2` was below ``tol`` (that step
    converges quadratically), or after ``max_iter`` steps.

    Parameters
    ----------
    fun : callable ``theta (p,) -> Derivatives``
        The function to maximise, with its gradient and Hessian.
    theta0 : array_like, shape (p,), the starting point
    tol : float > 0
    max_iter : int >= 1

    Returns
    -------
    NewtonResult
    """
    if not callable(fun):
        raise ValueError(f"fun must be callable, got {type(fun).__name__}")
    theta = as_array(theta0, "theta0", ndim=1).copy()
    tol = check_float(tol, "tol", low=0.0, low_open=True)
    max_iter = check_int(max_iter, "max_iter", low=1)
    path = [theta.copy()]
    current = fun(theta)
    for _ in range(max_iter):
        f, g, H = current.value, current.gradient, current.hessian
        try:
            np.linalg.cholesky(-H)                       # negative definite: the Newton direction ascends
            d = np.linalg.solve(-H, g)
        except np.linalg.LinAlgError:
            d = g
        decrement = g @ d / 2
        if decrement < 0:                                # rounding in a nearly singular H: d descends, use g
            d, decrement = g, g @ g / 2
        if decrement == 0:
            break
        trial, step = _backtrack(fun, theta, d, f)
        if not _ascends(trial, f) and (decrement >= tol or not np.isfinite(trial.value)):
            if d is g:                                   # not even the gradient ascends: stop here
                break
            d = g                                        # a nearly singular H made d huge: follow the gradient
            trial, step = _backtrack(fun, theta, d, f)
            if not _ascends(trial, f):
                break
        theta = theta + step * d
        current = trial
        path.append(theta.copy())
        if decrement < tol:
            break
    return NewtonResult(theta, np.array(path))


def _ascends(trial: Derivatives, f: float) -> bool:
    return bool(np.isfinite(trial.value) and trial.value >= f)


def _backtrack(fun, theta: np.ndarray, d: np.ndarray, f: float) -> tuple[Derivatives, float]:
    """Halve the step along ``d`` until ``fun`` is finite and does not decrease, or the step is below 1e-12."""
    step = 1.0
    while True:
        with np.errstate(over="ignore", invalid="ignore"):   # a non-finite trial value only halves the step
            trial = fun(theta + step * d)
        if _ascends(trial, f) or step < 1e-12:
            return trial, step
        step /= 2


def _normal_derivatives(theta: np.ndarray, x: np.ndarray) -> Derivatives:
    mu, eta = theta
    r = x - mu
    ss, sr, n, w = r @ r, r.sum(), x.size, np.exp(-eta)
    f = -0.5 * n * (np.log(2 * np.pi) + eta) - 0.5 * ss * w
    g = np.array([w * sr, -0.5 * n + 0.5 * ss * w])
    H = np.array([[-n * w, -w * sr], [-w * sr, -0.5 * ss * w]])
    return Derivatives(float(f), g, H)


def _poisson_derivatives(theta: np.ndarray, x: np.ndarray, log_factorials: float) -> Derivatives:
    eta = theta[0]
    s, n = x.sum(), x.size
    f = s * eta - n * np.exp(eta) - log_factorials
    return Derivatives(float(f), np.array([s - n * np.exp(eta)]), np.array([[-n * np.exp(eta)]]))


def _theta(theta, p: int, name: str = "theta") -> np.ndarray:
    theta = as_array(theta, name, ndim=1)
    if theta.size != p:
        raise ValueError(f"{name} must have {p} entries, got {theta.size}")
    return theta


def normal_log_likelihood_derivatives(theta, x) -> Derivatives:
    r"""Normal log-likelihood in :math:`\theta = (\mu, \eta)`, :math:`\eta = \log\sigma^2`, with its gradient and
    Hessian.

    With :math:`SS(\mu) = \sum_i (x_i - \mu)^2` and :math:`w = e^{-\eta}`:

    .. math:: l = -\tfrac n2(\log 2\pi + \eta) - \tfrac12 SS(\mu)\,w,\qquad
              \nabla l = \begin{pmatrix} w\sum_i(x_i - \mu) \\ -\tfrac n2 + \tfrac12 SS\,w \end{pmatrix},\qquad
              \nabla^2 l = \begin{pmatrix} -nw & -w\sum_i(x_i-\mu) \\ -w\sum_i(x_i-\mu) & -\tfrac12 SS\,w
              \end{pmatrix}.

    The log-variance removes the constraint :math:`\sigma^2 > 0`; by invariance the MLE is the same.

    Parameters
    ----------
    theta : array_like, shape (2,)
    x : array_like, shape (n,), n >= 1

    Returns
    -------
    Derivatives (value float, gradient (2,), Hessian (2, 2))
    """
    return _normal_derivatives(_theta(theta, 2), _observations(x))


def poisson_log_likelihood_derivatives(theta, x) -> Derivatives:
    r"""Poisson log-likelihood in :math:`\eta = \log\lambda`, with its gradient and Hessian:

    .. math:: l = s\eta - ne^\eta - \sum_i\log x_i!,\qquad l' = s - ne^\eta,\qquad l'' = -ne^\eta,
              \qquad s = \sum_i x_i.

    Parameters
    ----------
    theta : array_like, shape (1,)
    x : array_like, shape (n,), non-negative integer counts, n >= 1

    Returns
    -------
    Derivatives (value float, gradient (1,), Hessian (1, 1))
    """
    x = _labels(_observations(x), 0, np.inf).astype(float)
    return _poisson_derivatives(_theta(theta, 1), x, float(special.gammaln(x + 1).sum()))


def gaussian_mle(x, theta0=(0.0, 0.0)) -> tuple[float, float]:
    r"""Maximum-likelihood :math:`(\hat\mu, \hat\sigma)` of normal data by Newton's method in
    :math:`(\mu, \log\sigma^2)`.

    The answer is :math:`\hat\mu = \bar x` and :math:`\hat\sigma^2 = \frac1n\sum_i(x_i - \bar x)^2` (divisor
    :math:`n`); :math:`\hat\sigma` follows by invariance.

    Parameters
    ----------
    x : array_like, shape (n,), at least two distinct values (otherwise :math:`\hat\sigma = 0`: no maximum)
    theta0 : array_like, shape (2,), the start in :math:`(\mu, \log\sigma^2)`

    Returns
    -------
    (mu_hat, sigma_hat) : pair of float
    """
    x = as_array(x, "x", ndim=1)
    if x.size < 2 or np.ptp(x) == 0:
        raise ValueError("x must hold at least two distinct values (otherwise sigma_hat = 0: no maximum)")
    start = _theta(theta0, 2, "theta0")
    theta = newton_maximize(lambda t: _normal_derivatives(t, x), start).theta
    return float(theta[0]), float(np.exp(theta[1] / 2))


# -- point estimates and MAP ------------------------------------------------------------------------------

def beta_mode(a, b):
    r"""Mode of :math:`\mathrm{Beta}(a, b)` on [0, 1], NaN where there is none; vectorised.

    The density is :math:`\propto p^{a-1}(1-p)^{b-1}`:

    - :math:`a, b > 1`: the interior maximum :math:`\frac{a-1}{a+b-2}`;
    - :math:`a \le 1 \le b` (not both 1): the density decreases from :math:`p = 0` (or is unbounded there): 0;
    - :math:`b \le 1 \le a` (not both 1): likewise at :math:`p = 1`: 1;
    - :math:`a = b = 1` (flat, every point a mode) and :math:`a, b < 1` (unbounded at both ends, where
      :math:`\frac{a-1}{a+b-2}` is the density's minimum): NaN.

    Parameters
    ----------
    a, b : array_like, values > 0, broadcasting together

    Returns
    -------
    float, or ndarray of the broadcast shape
    """
    a, b = as_array(a, "a"), as_array(b, "b")
    if np.any(a <= 0) or np.any(b <= 0):
        raise ValueError(f"a and b must be > 0, got minima {a.min() if a.size else None} and "
                         f"{b.min() if b.size else None}")
    a, b = np.broadcast_arrays(a, b)
    flat = (a == 1) & (b == 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        interior = (a - 1) / (a + b - 2)
    out = np.select([(a > 1) & (b > 1), (a <= 1) & (b >= 1) & ~flat, (a >= 1) & (b <= 1) & ~flat],
                    [interior, 0.0, 1.0], default=np.nan)
    return out[()]


@dataclass(frozen=True)
class ByEstimator:
    """One value per estimator of a proportion: the MLE, the MAP (posterior mode) and the posterior mean."""

    mle: np.ndarray
    map: np.ndarray
    mean: np.ndarray


def _counts(k, n) -> tuple[np.ndarray, np.ndarray]:
    k, n = as_array(k, "k"), as_array(n, "n")
    for arr, name in ((k, "k"), (n, "n")):
        if np.any(arr < 0) or np.any(arr != np.round(arr)):
            raise ValueError(f"{name} must hold non-negative integers, got values from {arr.min():g} to "
                             f"{arr.max():g}")
    _broadcast(k=k, n=n)
    if np.any(k > n):
        raise ValueError("k and n must satisfy k <= n (heads <= flips), got k > n")
    return k, n


def coin_estimates(k, n, a: float = 1.0, b: float = 1.0) -> ByEstimator:
    r"""The three estimates of a coin's bias from :math:`k` heads in :math:`n` flips under a
    :math:`\mathrm{Beta}(a, b)` prior (posterior :math:`\mathrm{Beta}(a + k, b + n - k)`):

    - MLE :math:`k/n` (NaN where :math:`n = 0`);
    - MAP, the posterior mode :func:`beta_mode` :math:`(a + k, b + n - k)`, :math:`\frac{a+k-1}{a+b+n-2}` when
      both exceed 1 (NaN where the posterior has no mode);
    - posterior mean :math:`\frac{a+k}{a+b+n}`.

    Parameters
    ----------
    k, n : array_like of integers, broadcasting together, 0 <= k <= n
    a, b : float > 0

    Returns
    -------
    ByEstimator, each field a float or an array of the broadcast shape
    """
    k, n = _counts(k, n)
    a, b = _positive(a, "a"), _positive(b, "b")
    with np.errstate(invalid="ignore", divide="ignore"):
        mle = np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)
    return ByEstimator(mle[()], beta_mode(a + k, b + n - k), ((a + k) / (a + b + n))[()])


def estimator_mse(p_true: float, n: int, a: float, b: float, reps: int, rng) -> ByEstimator:
    r"""Mean squared error :math:`E[(\hat p - p)^2]` of the MLE, the MAP and the posterior mean, by simulation.

    Draws ``reps`` counts :math:`k \sim \mathrm{Binomial}(n, p)` and averages the squared errors of
    :func:`coin_estimates`; where the MAP is undefined (a U-shaped posterior) that draw is left out of its average.

    Parameters
    ----------
    p_true : float in [0, 1]
    n : int >= 1, flips per sample
    a, b : float > 0, the Beta prior
    reps : int >= 1, number of samples
    rng : int seed or numpy.random.Generator

    Returns
    -------
    ByEstimator of three floats
    """
    p_true = check_float(p_true, "p_true", low=0.0, high=1.0)
    n, reps = check_int(n, "n", low=1), check_int(reps, "reps", low=1)
    rng = check_random_state(rng)
    k = dist.sample_binomial(rng, n, p_true, reps).astype(float)
    est = coin_estimates(k, np.full(reps, float(n)), a, b)
    with np.errstate(invalid="ignore"):
        mse = [float(np.nanmean((e - p_true) ** 2)) for e in (est.mle, est.map, est.mean)]
    return ByEstimator(*mse)


def ridge_map(X, y, sigma2: float, tau2: float) -> np.ndarray:
    r"""MAP weights of :math:`y = Xw + \varepsilon`, :math:`\varepsilon \sim \mathcal N(0, \sigma^2 I)`, under the
    prior :math:`w \sim \mathcal N(0, \tau^2 I)`.

    The negative log-posterior is :math:`\frac1{2\sigma^2}\big(\lVert y - Xw\rVert^2 + \lambda\lVert w\rVert^2\big)`
    plus a constant, with :math:`\lambda = \sigma^2/\tau^2`: ridge regression without an intercept, solved by
    :func:`mlsheet_utils.algorithms.linear.ridge`, :math:`w = (X^\top X + \lambda I)^{-1}X^\top y`.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
    sigma2, tau2 : float > 0, the noise and the prior variance

    Returns
    -------
    ndarray, shape (d,)
    """
    lam = _positive(sigma2, "sigma2") / _positive(tau2, "tau2")
    return linear.ridge(X, y, lam, fit_intercept=False)[0]


# -- intervals for a proportion ---------------------------------------------------------------------------

def _binomial_counts(k, n) -> tuple[np.ndarray, int]:
    n = check_int(n, "n", low=1)
    k = as_array(k, "k")
    if np.any(k < 0) or np.any(k > n) or np.any(k != np.round(k)):
        raise ValueError(f"k must hold integers in [0, n] = [0, {n}], got values from {k.min():g} to {k.max():g}")
    return k, n


def _level(level) -> float:
    return check_float(level, "level", low=0.0, high=1.0, low_open=True, high_open=True)


def wald_interval(k, n: int, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    r"""Wald interval :math:`\hat p \mp z\sqrt{\hat p(1-\hat p)/n}`, :math:`\hat p = k/n`, clipped to [0, 1].

    :math:`z` is the standard normal quantile at :math:`(1 + \text{level})/2`.

    Parameters
    ----------
    k : array_like, integers in [0, n], any shape
    n : int >= 1
    level : float in (0, 1)

    Returns
    -------
    (lo, hi) : pair of arrays shaped like ``k``
    """
    k, n = _binomial_counts(k, n)
    z = special.ndtri(0.5 + _level(level) / 2)
    p_hat = k / n
    half = z * np.sqrt(p_hat * (1 - p_hat) / n)
    return np.clip(p_hat - half, 0, 1), np.clip(p_hat + half, 0, 1)


def wilson_interval(k, n: int, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    r"""Wilson score interval: the :math:`p` whose score test does not reject,

    .. math:: \frac{k + z^2/2}{n + z^2} \mp \frac{z\sqrt{n\hat p(1-\hat p) + z^2/4}}{n + z^2}.

    Parameters
    ----------
    k : array_like, integers in [0, n], any shape
    n : int >= 1
    level : float in (0, 1)

    Returns
    -------
    (lo, hi) : pair of arrays shaped like ``k``
    """
    k, n = _binomial_counts(k, n)
    z = special.ndtri(0.5 + _level(level) / 2)
    p_hat = k / n
    centre = (k + z**2 / 2) / (n + z**2)
    half = z * np.sqrt(n * p_hat * (1 - p_hat) + z**2 / 4) / (n + z**2)
    return centre - half, centre + half


def credible_interval(k, n: int, a: float = 1.0, b: float = 1.0, level: float = 0.95
                      ) -> tuple[np.ndarray, np.ndarray]:
    r"""Central credible interval of the :math:`\mathrm{Beta}(a + k, b + n - k)` posterior: its
    :math:`(1 \mp \text{level})/2` quantiles, through the inverse regularised incomplete Beta function.

    Parameters
    ----------
    k : array_like, integers in [0, n], any shape
    n : int >= 1
    a, b : float > 0, the Beta prior
    level : float in (0, 1)

    Returns
    -------
    (lo, hi) : pair of arrays shaped like ``k``
    """
    k, n = _binomial_counts(k, n)
    a, b = _positive(a, "a"), _positive(b, "b")
    tail = (1 - _level(level)) / 2
    return special.betaincinv(a + k, b + n - k, tail), special.betaincinv(a + k, b + n - k, 1 - tail)


def exact_coverage(interval: Callable, n: int, p_grid) -> np.ndarray:
    r"""Exact coverage of an interval procedure for a proportion at each true :math:`p`:

    .. math:: C(p) = \sum_{k=0}^n \binom nk p^k(1-p)^{n-k}\,\mathbb 1\big[\mathrm{lo}(k) \le p \le \mathrm{hi}(k)\big],

    with the Binomial probabilities computed in logs, :math:`\log\binom nk = \log\Gamma(n+1) - \log\Gamma(k+1)
    - \log\Gamma(n-k+1)`, for all :math:`k` and :math:`p` at once.

    Parameters
    ----------
    interval : callable ``(k (n+1,), n) -> (lo, hi)``
    n : int >= 1
    p_grid : array_like, shape (m,), values in [0, 1]

    Returns
    -------
    ndarray, shape (m,)
    """
    if not callable(interval):
        raise ValueError(f"interval must be callable, got {type(interval).__name__}")
    n = check_int(n, "n", low=1)
    p_grid = as_array(p_grid, "p_grid", ndim=1)
    if np.any((p_grid < 0) | (p_grid > 1)):
        raise ValueError("p_grid must lie in [0, 1]")
    ks = np.arange(n + 1)
    lo, hi = interval(ks, n)
    k = ks[:, None].astype(float)
    log_choose = special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
    pmf = np.exp(log_choose + special.xlogy(k, p_grid) + special.xlog1py(n - k, -p_grid))     # (n + 1, m)
    covers = (np.asarray(lo)[:, None] <= p_grid[None, :]) & (p_grid[None, :] <= np.asarray(hi)[:, None])
    return (pmf * covers).sum(axis=0)


def simulated_coverage(interval: Callable, n: int, p_true: float, reps: int, rng) -> float:
    r"""Share of ``reps`` simulated data sets, :math:`k \sim \mathrm{Binomial}(n, p)`, whose interval contains
    ``p_true``: a Monte Carlo estimate of :func:`exact_coverage`, with standard error
    :math:`\sqrt{C(1-C)/\text{reps}}`.

    Parameters
    ----------
    interval : callable ``(k (reps,), n) -> (lo, hi)``
    n : int >= 1
    p_true : float in [0, 1]
    reps : int >= 1
    rng : int seed or numpy.random.Generator

    Returns
    -------
    float
    """
    if not callable(interval):
        raise ValueError(f"interval must be callable, got {type(interval).__name__}")
    n, reps = check_int(n, "n", low=1), check_int(reps, "reps", low=1)
    p_true = check_float(p_true, "p_true", low=0.0, high=1.0)
    k = dist.sample_binomial(check_random_state(rng), n, p_true, reps)
    lo, hi = interval(k, n)
    return float(np.mean((lo <= p_true) & (p_true <= hi)))

"""Probability distributions written from their formulas: log-densities and samplers from scratch.

Log-densities (vectorised over ``x``; ``-inf`` outside the support, as in :mod:`scipy.stats`):

- :func:`bernoulli_logpmf`, :func:`binomial_logpmf`, :func:`poisson_logpmf`;
- :func:`normal_logpdf` (mean and **variance**), :func:`exponential_logpdf` (rate),
  :func:`gamma_logpdf` (shape and **rate**), :func:`beta_logpdf`, :func:`uniform_logpdf`;
- :func:`mvn_logpdf` (through a Cholesky factor) and :func:`wishart_logpdf`.

Samplers, each taking a :class:`numpy.random.Generator` that supplies only uniform numbers:

- :func:`sample_normal` (Box-Muller), :func:`sample_exponential` (inverse CDF),
  :func:`sample_poisson` (Knuth, in log space), :func:`sample_gamma` (Marsaglia-Tsang),
  :func:`sample_beta` (ratio of Gammas), :func:`sample_bernoulli`, :func:`sample_binomial`,
  :func:`sample_uniform`, :func:`sample_mvn` (Cholesky), :func:`sample_discrete` (inverse transform of a pmf).

Discrete moments, transformations and compound models:

- :func:`discrete_moments` (mean and variance of a pmf, as :class:`Moments`);
- :func:`pushforward_pdf` (the density of :math:`g(X)` by the change of variables, over every inverse branch);
- :func:`poisson_process_counts` (events in a window, counted from exponential gaps);
- :func:`finite_law` (the distribution of a random variable on a finite probability space, exact with fractions);
- :func:`mixture_pdf` and :func:`sample_mixture` (finite mixtures of any distributions with ``pdf`` and ``rvs``
  methods, such as frozen :mod:`scipy.stats` distributions: the sources of test data).

Gamma-function terms use :func:`scipy.special.gammaln` (``log Gamma``), never ``Gamma`` itself, which
overflows for arguments above about 171. Every function validates its parameters and raises ``ValueError``
naming the argument.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
from scipy import linalg as sla
from scipy import special

from mlsheet_utils.validation import as_array, check_callable, check_float, check_int, check_random_state

LOG_2PI = math.log(2.0 * math.pi)

#: Largest Poisson mean :func:`sample_poisson` accepts (Knuth's method costs about ``lam`` steps per draw).
MAX_POISSON_LAM = 1000.0


# -- validation helpers -----------------------------------------------------------------------------------

def _positive(value, name: str) -> float:
    return check_float(value, name, low=0.0, low_open=True)


def _probability(value, name: str = "p") -> float:
    return check_float(value, name, low=0.0, high=1.0)


def _size(size) -> tuple[int, ...]:
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (int(size),)
    try:
        shape = tuple(check_int(int(s) if isinstance(s, np.integer) else s, "size", low=0) for s in size)
    except TypeError as exc:
        raise ValueError(f"size must be a non-negative int or a tuple of them, got {size!r}") from exc
    return shape


def _spd_cholesky(M, name: str) -> np.ndarray:
    """Lower Cholesky factor of a symmetric positive definite matrix, or ValueError naming ``name``."""
    M = as_array(M, name, ndim=2)
    if M.shape[0] != M.shape[1] or M.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix, got shape {M.shape}")
    if not np.allclose(M, M.T, rtol=1e-10, atol=1e-12):
        raise ValueError(f"{name} must be symmetric")
    try:
        return np.linalg.cholesky(M)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be positive definite (a singular or indefinite matrix has no "
                         f"density)") from None


def _x(x, name: str = "x") -> np.ndarray:
    """A density's argument: infinities are allowed (points outside the support), NaN is not."""
    x = as_array(x, name, finite=False)
    if np.isnan(x).any():
        raise ValueError(f"{name} contains NaN, which is not a point of any support")
    return x


# -- discrete log-pmfs ------------------------------------------------------------------------------------

def _is_integer(k: np.ndarray) -> np.ndarray:
    return np.isfinite(k) & (k == np.round(k))


def bernoulli_logpmf(k, p: float) -> np.ndarray:
    r"""Log-pmf of a Bernoulli variable, :math:`\log f(k; p) = k\log p + (1 - k)\log(1 - p)`, :math:`k\in\{0,1\}`.

    Parameters
    ----------
    k : array_like, any shape
    p : float in [0, 1]
        Probability of a 1.

    Returns
    -------
    ndarray shaped like ``k``; ``-inf`` where ``k`` is not 0 or 1 (or has probability zero).
    """
    p = _probability(p)
    k = _x(k, "k")
    out = special.xlogy(k, p) + special.xlog1py(1.0 - k, -p)
    return np.where((k == 0) | (k == 1), out, -np.inf)


def binomial_logpmf(k, n: int, p: float) -> np.ndarray:
    r"""Log-pmf of the number of successes in ``n`` Bernoulli(``p``) trials.

    .. math:: \log\binom nk + k\log p + (n-k)\log(1-p),\qquad k = 0, 1, \dots, n,

    with :math:`\log\binom nk = \log\Gamma(n+1) - \log\Gamma(k+1) - \log\Gamma(n-k+1)`.

    Parameters
    ----------
    k : array_like, any shape
    n : int >= 0
    p : float in [0, 1]

    Returns
    -------
    ndarray shaped like ``k``; ``-inf`` outside ``{0, ..., n}``.
    """
    n = check_int(n, "n", low=0)
    p = _probability(p)
    k = _x(k, "k")
    ok = _is_integer(k) & (k >= 0) & (k <= n)
    kk = np.where(ok, k, 0.0)
    out = (special.gammaln(n + 1) - special.gammaln(kk + 1) - special.gammaln(n - kk + 1)
           + special.xlogy(kk, p) + special.xlog1py(n - kk, -p))
    return np.where(ok, out, -np.inf)


def poisson_logpmf(k, lam: float) -> np.ndarray:
    r"""Log-pmf of a Poisson count with mean ``lam``: :math:`k\log\lambda - \lambda - \log k!`, :math:`k\in\mathbb N`.

    ``lam`` is the expected number of events in the interval (rate times length), not a rate per unit time.

    Parameters
    ----------
    k : array_like, any shape
    lam : float > 0

    Returns
    -------
    ndarray shaped like ``k``; ``-inf`` for negative or non-integer ``k``.
    """
    lam = _positive(lam, "lam")
    k = _x(k, "k")
    ok = _is_integer(k) & (k >= 0)
    kk = np.where(ok, k, 0.0)
    return np.where(ok, special.xlogy(kk, lam) - lam - special.gammaln(kk + 1), -np.inf)


# -- continuous log-pdfs ----------------------------------------------------------------------------------

def normal_logpdf(x, mu: float = 0.0, var: float = 1.0) -> np.ndarray:
    r"""Log-density of :math:`\mathcal N(\mu, \sigma^2)` parameterised by the **variance**:

    .. math:: \log f(x\mid\mu,\sigma^2) = -\tfrac12\log(2\pi\sigma^2) - \frac{(x-\mu)^2}{2\sigma^2}.

    Parameters
    ----------
    x : array_like, any shape
    mu : float
    var : float > 0
        The variance :math:`\sigma^2` (``scipy.stats.norm`` takes the standard deviation instead).

    Returns
    -------
    ndarray shaped like ``x``
    """
    mu = check_float(mu, "mu")
    var = _positive(var, "var")
    x = _x(x)
    return -0.5 * (LOG_2PI + math.log(var)) - (x - mu) ** 2 / (2.0 * var)


def exponential_logpdf(x, rate: float) -> np.ndarray:
    r"""Log-density of the exponential distribution, :math:`\log\lambda - \lambda x` for :math:`x \ge 0`.

    Parameters
    ----------
    x : array_like, any shape
    rate : float > 0
        :math:`\lambda`; the mean is :math:`1/\lambda` (``scipy.stats.expon`` takes ``scale = 1/rate``).

    Returns
    -------
    ndarray shaped like ``x``; ``-inf`` for ``x < 0``.
    """
    rate = _positive(rate, "rate")
    x = _x(x)
    return np.where(x >= 0, math.log(rate) - rate * x, -np.inf)


def gamma_logpdf(x, shape: float, rate: float) -> np.ndarray:
    r"""Log-density of :math:`\mathrm{Gamma}(\alpha, \beta)` with shape :math:`\alpha` and **rate** :math:`\beta`:

    .. math:: \log f(x\mid\alpha,\beta) = \alpha\log\beta + (\alpha-1)\log x - \beta x - \log\Gamma(\alpha),
              \qquad x > 0.

    Parameters
    ----------
    x : array_like, any shape
    shape : float > 0
    rate : float > 0
        ``scipy.stats.gamma(shape, scale=1/rate)`` is the same distribution.

    Returns
    -------
    ndarray shaped like ``x``; ``-inf`` for ``x < 0``; at ``x = 0``: ``+inf`` if shape < 1, ``log rate`` if
    shape = 1, ``-inf`` if shape > 1.
    """
    shape = _positive(shape, "shape")
    rate = _positive(rate, "rate")
    x = _x(x)
    inside = (x >= 0) & (x < np.inf)                  # the density is 0 at +inf as well as below 0
    xx = np.where(inside, x, 1.0)
    out = shape * math.log(rate) + special.xlogy(shape - 1.0, xx) - rate * xx - special.gammaln(shape)
    return np.where(inside, out, -np.inf)


def beta_logpdf(x, a: float, b: float) -> np.ndarray:
    r"""Log-density of :math:`\mathrm{Beta}(a, b)` on :math:`[0, 1]`:

    .. math:: \log f(x\mid a,b) = (a-1)\log x + (b-1)\log(1-x) - \log B(a,b),\quad
              \log B(a,b) = \log\Gamma(a) + \log\Gamma(b) - \log\Gamma(a+b).

    Parameters
    ----------
    x : array_like, any shape
    a, b : float > 0

    Returns
    -------
    ndarray shaped like ``x``; ``-inf`` outside ``[0, 1]``.
    """
    a = _positive(a, "a")
    b = _positive(b, "b")
    x = _x(x)
    inside = (x >= 0) & (x <= 1)
    xx = np.where(inside, x, 0.5)
    log_beta = special.gammaln(a) + special.gammaln(b) - special.gammaln(a + b)
    out = special.xlogy(a - 1.0, xx) + special.xlog1py(b - 1.0, -xx) - log_beta
    return np.where(inside, out, -np.inf)


def uniform_logpdf(x, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    r"""Log-density of :math:`\mathcal U[\text{low}, \text{high}]`: :math:`-\log(\text{high} - \text{low})` inside.

    Returns
    -------
    ndarray shaped like ``x``; ``-inf`` outside ``[low, high]``.
    """
    low = check_float(low, "low")
    high = check_float(high, "high")
    if not high > low:
        raise ValueError(f"high must be > low, got low={low}, high={high}")
    x = _x(x)
    return np.where((x >= low) & (x <= high), -math.log(high - low), -np.inf)


def mvn_logpdf(x, mean, cov) -> np.ndarray:
    r"""Log-density of the :math:`d`-dimensional normal :math:`\mathcal N(\mu, \Sigma)`:

    .. math:: \log f(x) = -\tfrac12\big(d\log 2\pi + \log|\Sigma| + (x-\mu)^\top\Sigma^{-1}(x-\mu)\big).

    With :math:`\Sigma = LL^\top` (Cholesky), :math:`\log|\Sigma| = 2\sum_i \log L_{ii}` and the quadratic form
    is :math:`\lVert L^{-1}(x-\mu)\rVert^2`: one triangular solve, no inverse.

    Parameters
    ----------
    x : array_like, shape (d,) or (n, d)
    mean : array_like, shape (d,)
    cov : array_like, shape (d, d), symmetric positive definite

    Returns
    -------
    float for one point, ndarray of shape (n,) for n points.
    """
    mean = as_array(mean, "mean", ndim=1)
    L = _spd_cholesky(cov, "cov")
    d = mean.size
    if L.shape[0] != d:
        raise ValueError(f"cov must be {d} x {d} to match mean, got shape {L.shape}")
    x = as_array(x, "x")
    single = x.ndim == 1
    X = np.atleast_2d(x)
    if X.ndim != 2 or X.shape[1] != d:
        raise ValueError(f"x must have shape ({d},) or (n, {d}), got {x.shape}")
    Z = sla.solve_triangular(L, (X - mean).T, lower=True)          # (d, n)
    out = -0.5 * (d * LOG_2PI + 2.0 * np.log(np.diag(L)).sum() + (Z * Z).sum(axis=0))
    return float(out[0]) if single else out


def wishart_logpdf(X, V, nu: float) -> np.ndarray:
    r"""Log-density of the Wishart distribution :math:`\mathcal W(V, \nu)` over :math:`d\times d` SPD matrices:

    .. math:: \log f(X) = \tfrac{\nu-d-1}{2}\log|X| - \tfrac12\operatorname{tr}(V^{-1}X)
              - \tfrac{\nu d}{2}\log 2 - \tfrac{\nu}{2}\log|V| - \log\Gamma_d(\tfrac\nu2),

    where :math:`\Gamma_d` is the multivariate Gamma function. :math:`X = \sum_{i=1}^{\nu} z_i z_i^\top` with
    :math:`z_i \sim \mathcal N(0, V)` has this law for integer :math:`\nu \ge d`, and :math:`E[X] = \nu V`.

    Parameters
    ----------
    X : array_like, shape (d, d) or (m, d, d), symmetric positive definite
    V : array_like, shape (d, d), symmetric positive definite (the scale matrix)
    nu : float > d - 1 (degrees of freedom)

    Returns
    -------
    float for one matrix, ndarray of shape (m,) for a stack.
    """
    L = _spd_cholesky(V, "V")
    d = L.shape[0]
    nu = check_float(nu, "nu", low=d - 1, low_open=True)
    X = as_array(X, "X")
    single = X.ndim == 2
    Xs = X[None] if single else X
    if Xs.ndim != 3 or Xs.shape[1:] != (d, d):
        raise ValueError(f"X must have shape ({d}, {d}) or (m, {d}, {d}), got {X.shape}")
    if not np.allclose(Xs, np.swapaxes(Xs, 1, 2), rtol=1e-10, atol=1e-12):
        raise ValueError("X must be symmetric")
    try:                    # a positive determinant is not enough: -I in even dimension has det +1
        chol_x = np.linalg.cholesky(Xs)
    except np.linalg.LinAlgError:
        raise ValueError("X must be positive definite (it has no Cholesky factor)") from None
    logdet_x = 2.0 * np.log(np.diagonal(chol_x, axis1=1, axis2=2)).sum(axis=1)
    Vinv = sla.cho_solve((L, True), np.eye(d))
    trace = np.einsum("ij,mji->m", Vinv, Xs)
    logdet_v = 2.0 * np.log(np.diag(L)).sum()
    out = (0.5 * (nu - d - 1) * logdet_x - 0.5 * trace - 0.5 * nu * d * math.log(2.0)
           - 0.5 * nu * logdet_v - special.multigammaln(0.5 * nu, d))
    return float(out[0]) if single else out


# -- samplers from uniform numbers ------------------------------------------------------------------------

def sample_uniform(rng, low: float = 0.0, high: float = 1.0, size=1) -> np.ndarray:
    r"""Uniform draws on ``[low, high)``: :math:`\text{low} + (\text{high}-\text{low})\,U`, shape ``size``."""
    rng = check_random_state(rng)
    low, high = check_float(low, "low"), check_float(high, "high")
    if not high > low:
        raise ValueError(f"high must be > low, got low={low}, high={high}")
    return low + (high - low) * rng.random(_size(size))


def sample_normal(rng, mu: float = 0.0, var: float = 1.0, size=1) -> np.ndarray:
    r"""Normal draws by the Box-Muller transform.

    Two independent uniforms :math:`U_1 \in (0, 1]`, :math:`U_2 \in [0, 1)` give two independent standard
    normals :math:`R\cos\Theta` and :math:`R\sin\Theta` with :math:`R = \sqrt{-2\log U_1}` (so
    :math:`R^2 \sim \mathrm{Exp}(1/2)`, the law of a :math:`\chi^2_2`) and :math:`\Theta = 2\pi U_2`.
    The result is :math:`\mu + \sigma Z`.

    Parameters
    ----------
    rng : numpy.random.Generator
    mu : float
    var : float >= 0 (the variance; 0 gives the constant ``mu``)
    size : int or tuple of int

    Returns
    -------
    ndarray of shape ``size``
    """
    rng = check_random_state(rng)
    mu = check_float(mu, "mu")
    var = check_float(var, "var", low=0.0)
    shape = _size(size)
    n = math.prod(shape)
    m = (n + 1) // 2
    u1 = 1.0 - rng.random(m)                                    # in (0, 1]: log(u1) is finite
    u2 = rng.random(m)
    r = np.sqrt(-2.0 * np.log(u1))
    z = np.concatenate([r * np.cos(2 * np.pi * u2), r * np.sin(2 * np.pi * u2)])[:n]
    return mu + math.sqrt(var) * z.reshape(shape)


def sample_exponential(rng, rate: float, size=1) -> np.ndarray:
    r"""Exponential draws by inverting the CDF :math:`F(x) = 1 - e^{-\lambda x}`: :math:`X = -\log(1-U)/\lambda`.

    Parameters
    ----------
    rng : numpy.random.Generator
    rate : float > 0
    size : int or tuple of int

    Returns
    -------
    ndarray of shape ``size``, values >= 0
    """
    rng = check_random_state(rng)
    rate = _positive(rate, "rate")
    return -np.log1p(-rng.random(_size(size))) / rate


def sample_poisson(rng, lam: float, size=1) -> np.ndarray:
    r"""Poisson draws by Knuth's method: the number of uniforms whose running product stays above :math:`e^{-\lambda}`.

    Equivalently (and so it is computed, in log space, to avoid underflow for large :math:`\lambda`): the number
    of arrivals in :math:`[0, \lambda]` of a unit-rate Poisson process whose gaps are :math:`-\log U_i`. The
    loop runs about :math:`\lambda + 1` times, vectorised over the draws still running.

    Parameters
    ----------
    rng : numpy.random.Generator
    lam : float, 0 < lam <= MAX_POISSON_LAM
    size : int or tuple of int

    Returns
    -------
    ndarray of int64, shape ``size``
    """
    rng = check_random_state(rng)
    lam = check_float(lam, "lam", low=0.0, high=MAX_POISSON_LAM, low_open=True)
    shape = _size(size)
    n = math.prod(shape)
    counts = np.zeros(n, dtype=np.int64)
    log_prod = np.zeros(n)
    active = np.arange(n)
    while active.size:
        log_prod[active] += np.log(1.0 - rng.random(active.size))   # log of a uniform in (0, 1]
        still = log_prod[active] > -lam
        counts[active[still]] += 1
        active = active[still]
    return counts.reshape(shape)


def sample_gamma(rng, shape: float, rate: float, size=1) -> np.ndarray:
    r"""Gamma(shape, rate) draws by Marsaglia and Tsang's rejection method.

    For :math:`\alpha \ge 1`, with :math:`d = \alpha - 1/3`, :math:`c = 1/\sqrt{9d}`, a standard normal
    :math:`Z` (Box-Muller) and :math:`V = (1 + cZ)^3`, accept :math:`dV` when :math:`V > 0` and
    :math:`\log U < Z^2/2 + d - dV + d\log V`. For :math:`\alpha < 1` draw :math:`G \sim \mathrm{Gamma}(\alpha+1)`
    and return :math:`G\,U^{1/\alpha}`. Divide by the rate at the end.

    Parameters
    ----------
    rng : numpy.random.Generator
    shape : float > 0
    rate : float > 0
    size : int or tuple of int

    Returns
    -------
    ndarray of shape ``size``, values >= 0
    """
    rng = check_random_state(rng)
    alpha = _positive(shape, "shape")
    rate = _positive(rate, "rate")
    out_shape = _size(size)
    n = math.prod(out_shape)
    a = alpha if alpha >= 1 else alpha + 1.0
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    out = np.empty(n)
    todo = np.arange(n)
    while todo.size:
        z = sample_normal(rng, size=todo.size)
        v = (1.0 + c * z) ** 3
        u = 1.0 - rng.random(todo.size)
        with np.errstate(invalid="ignore", divide="ignore"):
            ok = (v > 0) & (np.log(u) < 0.5 * z * z + d - d * v + d * np.log(np.where(v > 0, v, 1.0)))
        out[todo[ok]] = d * v[ok]
        todo = todo[~ok]
    if alpha < 1:
        out *= (1.0 - rng.random(n)) ** (1.0 / alpha)
    return (out / rate).reshape(out_shape)


def sample_beta(rng, a: float, b: float, size=1) -> np.ndarray:
    r"""Beta(a, b) draws as :math:`X/(X+Y)` with independent :math:`X\sim\mathrm{Gamma}(a, 1)`,
    :math:`Y\sim\mathrm{Gamma}(b, 1)`.

    Returns
    -------
    ndarray of shape ``size``, values in [0, 1]
    """
    rng = check_random_state(rng)
    a, b = _positive(a, "a"), _positive(b, "b")
    x = sample_gamma(rng, a, 1.0, size)
    y = sample_gamma(rng, b, 1.0, size)
    total = x + y
    # For tiny a and b both gammas can underflow to 0; such a draw is an end point, picked with odds a : b.
    safe = np.where(total > 0, total, 1.0)
    return np.where(total > 0, x / safe, (rng.random(x.shape) < a / (a + b)).astype(float))


def sample_bernoulli(rng, p: float, size=1) -> np.ndarray:
    r"""Bernoulli(p) draws, :math:`\mathbb 1[U < p]`, as int64 of shape ``size``."""
    rng = check_random_state(rng)
    p = _probability(p)
    return (rng.random(_size(size)) < p).astype(np.int64)


def sample_binomial(rng, n: int, p: float, size=1) -> np.ndarray:
    r"""Binomial(n, p) draws as the number of successes in ``n`` Bernoulli trials (``n`` passes, n <= 10000)."""
    rng = check_random_state(rng)
    n = check_int(n, "n", low=0, high=10_000)
    p = _probability(p)
    shape = _size(size)
    counts = np.zeros(shape, dtype=np.int64)
    for _ in range(n):
        counts += rng.random(shape) < p
    return counts


def sample_mvn(rng, mean, cov, size: int = 1) -> np.ndarray:
    r"""Multivariate normal draws :math:`\mu + Lz` with :math:`\Sigma = LL^\top` (Cholesky) and
    :math:`z \sim \mathcal N(0, I)` from Box-Muller; then :math:`\operatorname{Cov}(Lz) = LL^\top = \Sigma`.

    Parameters
    ----------
    rng : numpy.random.Generator
    mean : array_like, shape (d,)
    cov : array_like, shape (d, d), symmetric positive definite
    size : int, number of draws n

    Returns
    -------
    ndarray of shape (n, d)
    """
    rng = check_random_state(rng)
    mean = as_array(mean, "mean", ndim=1)
    L = _spd_cholesky(cov, "cov")
    if L.shape[0] != mean.size:
        raise ValueError(f"cov must be {mean.size} x {mean.size} to match mean, got shape {L.shape}")
    n = check_int(int(size) if isinstance(size, np.integer) else size, "size", low=0)
    Z = sample_normal(rng, size=(n, mean.size))
    return mean + Z @ L.T


def sample_discrete(rng, values, probs, size=1) -> np.ndarray:
    r"""Inverse-transform draws from a discrete distribution: for each uniform :math:`U`, the first value whose
    cumulative probability reaches it,

    .. math:: F^{-1}(U) = \min\{x_j : F(x_j) \ge U\},\qquad F(x_j) = p_1 + \dots + p_j,

    found by a binary search (``searchsorted``) over the cumulative probabilities. Values of probability zero are
    dropped first, so none is ever drawn.

    Parameters
    ----------
    rng : int or numpy.random.Generator
    values : array_like, shape (k,), strictly increasing (the support)
    probs : array_like, shape (k,), non-negative, summing to 1
    size : int or tuple of int

    Returns
    -------
    ndarray of shape ``size``, entries from ``values``
    """
    rng = check_random_state(rng)
    values, probs = _pmf(values, probs)
    keep = probs > 0
    cdf = np.cumsum(probs[keep])
    cdf[-1] = 1.0                                   # guard against round-off below 1
    return values[keep][np.searchsorted(cdf, rng.random(_size(size)), side="left")]


def _pmf(values, probs) -> tuple[np.ndarray, np.ndarray]:
    values, probs = as_array(values, "values", ndim=1), as_array(probs, "probs", ndim=1)
    if values.shape != probs.shape or values.size == 0:
        raise ValueError(f"values and probs must be non-empty and of one length, got {values.size}, {probs.size}")
    if np.any(probs < 0) or not np.isclose(probs.sum(), 1.0, rtol=0.0, atol=1e-9):
        raise ValueError(f"probs must be non-negative and sum to 1, got sum {probs.sum():.6g}")
    if np.any(np.diff(values) <= 0):
        raise ValueError("values must be strictly increasing")
    return values, probs


@dataclass(frozen=True)
class Moments:
    """Mean and variance of a distribution."""

    mean: float
    var: float


def discrete_moments(values, probs) -> Moments:
    r"""Mean :math:`\mu = \sum_j x_j p_j` and variance :math:`\sum_j (x_j - \mu)^2 p_j` of a pmf.

    Parameters
    ----------
    values : array_like, shape (k,), strictly increasing
    probs : array_like, shape (k,), non-negative, summing to 1

    Returns
    -------
    Moments
    """
    values, probs = _pmf(values, probs)
    mean = float(values @ probs)
    return Moments(mean, float(((values - mean) ** 2) @ probs))


def pushforward_pdf(y, pdf_x: Callable, branches) -> np.ndarray:
    r"""Density of :math:`Y = g(X)` by the change of variables, summed over the inverse branches of :math:`g`:

    .. math:: f_Y(y) = \sum_k f_X\big(h_k(y)\big)\,\lvert h_k'(y)\rvert,

    where each :math:`h_k` inverts :math:`g` on a piece where it is strictly monotone (one branch for a one-to-one
    :math:`g`, two, :math:`\pm\sqrt y`, for :math:`g(x) = x^2`).

    Parameters
    ----------
    y : array_like, any shape
        Points at which to evaluate.
    pdf_x : callable
        The density of X, vectorised.
    branches : sequence of ``(h, dh)`` pairs of callables
        An inverse branch and its derivative. Where a branch does not reach ``y`` it may return NaN or an
        infinite value; that term counts as 0.

    Returns
    -------
    ndarray shaped like ``y``
    """
    y = _x(y, "y")
    check_callable(pdf_x, "pdf_x")
    branches = list(branches) if isinstance(branches, (list, tuple)) else None
    if not branches or not all(isinstance(b, tuple) and len(b) == 2 and all(callable(f) for f in b)
                               for b in branches):
        raise ValueError("branches must list at least one (inverse, derivative) pair of callables")
    out = np.zeros(y.shape)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for h, dh in branches:
            term = np.asarray(pdf_x(h(y)), dtype=float) * np.abs(dh(y))
            out += np.where(np.isfinite(term), term, 0.0)
    return out


# -- compound models --------------------------------------------------------------------------------------

def poisson_process_counts(rng, rate: float, length: float, size: int = 1) -> np.ndarray:
    r"""Event counts of a Poisson process with the given rate in the window :math:`[0, \text{length}]`, built
    from its gaps.

    The gaps :math:`G_1, G_2, \dots` between events are independent :math:`\mathrm{Exp}(\text{rate})`
    (inverse CDF, as in :func:`sample_exponential`); the count is the number of arrival times
    :math:`S_k = G_1 + \dots + G_k` with :math:`S_k \le \text{length}`, and its law is
    :math:`\mathrm{Poisson}(\text{rate} \times \text{length})`. Gaps are drawn in blocks of
    :math:`\lambda + 10\sqrt\lambda + 20` per window (:math:`\lambda` = rate x length), and another block for the
    rare window whose arrivals have not yet passed the end.

    Parameters
    ----------
    rng : int or numpy.random.Generator
    rate : float > 0
        Expected events per unit of time.
    length : float >= 0
        Length of the window.
    size : int >= 0
        Number of independent windows.

    Returns
    -------
    ndarray of int64, shape (size,)
    """
    rng = check_random_state(rng)
    rate = _positive(rate, "rate")
    length = check_float(length, "length", low=0.0)
    n = check_int(int(size) if isinstance(size, np.integer) else size, "size", low=0)
    lam = rate * length
    block = int(lam + 10 * math.sqrt(lam) + 20)
    counts = np.zeros(n, dtype=np.int64)
    last = np.zeros(n)                              # the latest arrival time drawn so far, per window
    todo = np.arange(n)
    while todo.size:
        arrivals = last[todo, None] + np.cumsum(-np.log1p(-rng.random((todo.size, block))) / rate, axis=1)
        counts[todo] += (arrivals <= length).sum(axis=1)
        last[todo] = arrivals[:, -1]
        todo = todo[arrivals[:, -1] <= length]
    return counts


def finite_law(rv: Callable, pmf: Mapping) -> dict:
    r"""The distribution of a random variable on a finite probability space:
    :math:`P(X = v) = \sum_{\omega:\,X(\omega) = v} P(\omega)`.

    Parameters
    ----------
    rv : callable
        The random variable, a function of an outcome; its values must be hashable.
    pmf : mapping of outcome -> probability
        Non-negative, summing to 1. :class:`fractions.Fraction` probabilities stay exact.

    Returns
    -------
    dict of value -> probability, in the order the values are first met; values of probability 0 are left out.
    """
    check_callable(rv, "rv")
    if not isinstance(pmf, Mapping) or not pmf:
        raise ValueError(f"pmf must be a non-empty mapping of outcome -> probability, got {pmf!r:.60}")
    probs = list(pmf.values())
    if any(p < 0 for p in probs) or abs(sum(probs) - 1) > 1e-9:
        raise ValueError(f"pmf must hold non-negative probabilities summing to 1, got sum {float(sum(probs)):.6g}")
    law: dict = {}
    for outcome, p in pmf.items():
        if p > 0:
            value = rv(outcome)
            law[value] = law.get(value, 0) + p
    return law


# -- mixtures ---------------------------------------------------------------------------------------------

def _mixture(weights, parts) -> tuple[np.ndarray, list]:
    w = as_array(weights, "weights", ndim=1)
    if w.size == 0 or np.any(w < 0) or not np.isclose(w.sum(), 1.0, rtol=0.0, atol=1e-9):
        raise ValueError(f"weights must be non-empty, non-negative and sum to 1, got {weights!r}")
    if not isinstance(parts, (list, tuple)):
        raise ValueError(f"parts must be a list of distributions, one per weight, got {type(parts).__name__}")
    parts = list(parts)
    if len(parts) != w.size:
        raise ValueError(f"parts must hold one distribution per weight ({w.size}), got {len(parts)}")
    return w, parts


def mixture_pdf(x, weights, parts) -> np.ndarray:
    r"""Density of a finite mixture, :math:`f(x) = \sum_{k=1}^K w_k f_k(x)`.

    Parameters
    ----------
    x : array_like, any shape
    weights : array_like, shape (K,), non-negative, summing to 1
    parts : sequence of K distributions with a vectorised ``pdf`` method (frozen :mod:`scipy.stats`
        distributions, for instance)

    Returns
    -------
    ndarray shaped like ``x``
    """
    w, parts = _mixture(weights, parts)
    x = _x(x)
    out = np.zeros(x.shape)
    for wk, part in zip(w, parts):
        out = out + wk * np.asarray(part.pdf(x), dtype=float)
    return out


def sample_mixture(rng, weights, parts, size: int = 1) -> np.ndarray:
    r"""Draws from a finite mixture: for each draw a component :math:`k` with probability :math:`w_k`
    (inverse transform of the weights, as :func:`sample_discrete`), then a draw from that component.

    Parameters
    ----------
    rng : int or numpy.random.Generator
    weights : array_like, shape (K,), non-negative, summing to 1
    parts : sequence of K distributions with an ``rvs(size=..., random_state=...)`` method (frozen
        :mod:`scipy.stats` distributions, for instance)
    size : int >= 0

    Returns
    -------
    ndarray, shape (size,)
    """
    rng = check_random_state(rng)
    w, parts = _mixture(weights, parts)
    n = check_int(int(size) if isinstance(size, np.integer) else size, "size", low=0)
    cdf = np.cumsum(w)
    cdf[-1] = 1.0
    component = np.searchsorted(cdf, rng.random(n), side="right")      # P(component = k) = w_k
    out = np.empty(n)
    for k, part in enumerate(parts):
        chosen = component == k
        out[chosen] = part.rvs(size=int(chosen.sum()), random_state=rng)
    return out

"""Divergences and distances between distributions, each in closed form where one exists.

- :func:`kl_gaussian`, :func:`kl_mvn`, :func:`kl_categorical`, :func:`kl_bernoulli`  closed forms;
- :func:`kl_grid`         KL between two densities tabulated on a uniform grid (a Riemann sum);
- :func:`kl_monte_carlo`  an estimate with its standard error (an :class:`MCEstimate`), for pairs without a
  closed form;
- :func:`hellinger`       the Hellinger distance between probability vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from mlsheet_utils.validation import as_array, check_float, check_int, check_probabilities, check_random_state


def kl_gaussian(mu1, sigma1, mu2, sigma2):
    r"""KL divergence between univariate normals, :math:`D_{KL}(\mathcal N(\mu_1,\sigma_1^2)\,\|\,
    \mathcal N(\mu_2,\sigma_2^2))`.

    .. math::
        \log\frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + (\mu_1-\mu_2)^2}{2\sigma_2^2} - \frac12

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
    r"""KL divergence between multivariate normals :math:`D_{KL}(\mathcal N(m_1,S_1)\,\|\,\mathcal N(m_2,S_2))`.

    .. math::
        \tfrac12\Big(\operatorname{tr}(S_2^{-1}S_1) + (m_2-m_1)^\top S_2^{-1}(m_2-m_1) - d
        + \log\frac{\det S_2}{\det S_1}\Big)

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
        if not np.allclose(S, S.T, rtol=1e-10, atol=1e-12):  # Cholesky would read one triangle only
            raise ValueError(f"{name} must be symmetric")
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
    r"""KL divergence between discrete distributions, :math:`\sum_x p(x)\log\frac{p(x)}{q(x)}` (nats).

    Terms with :math:`p(x) = 0` count as 0 (the limit of :math:`t\log t`); a term with :math:`p(x) > 0` and
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
    r"""KL divergence between Bernoulli distributions with success probabilities ``p`` and ``q`` (broadcast).

    .. math:: p\log\frac pq + (1-p)\log\frac{1-p}{1-q}
    """
    p, q = as_array(p, "p"), as_array(q, "q")
    for name, a in (("p", p), ("q", q)):
        if np.any((a < 0) | (a > 1)):
            raise ValueError(f"{name} must be a probability in [0, 1], got {a}")
    p, q = np.broadcast_arrays(p, q)
    return kl_categorical(np.stack([p, 1 - p], -1), np.stack([q, 1 - q], -1))


def kl_grid(log_p, log_q, dx: float) -> float:
    r"""KL divergence between two densities tabulated on the same uniform grid, by a Riemann sum.

    .. math:: D_{KL}(p\,\|\,q) \approx \sum_j p(x_j)\big(\log p(x_j) - \log q(x_j)\big)\,\Delta x

    For smooth densities that vanish at both ends of the grid the sum converges very fast (it is the trapezoidal
    rule there). Points where :math:`p = 0` (``log_p = -inf``) contribute 0; a point where :math:`p > 0` and
    :math:`q = 0` makes the divergence infinite.

    Parameters
    ----------
    log_p, log_q : array_like, shape (m,), log densities at the grid points (``-inf`` allowed, not NaN or +inf)
    dx : float > 0, the grid spacing

    Returns
    -------
    float (nats)
    """
    log_p = as_array(log_p, "log_p", ndim=1, finite=False)
    log_q = as_array(log_q, "log_q", ndim=1, finite=False)
    if log_q.shape != log_p.shape:
        raise ValueError(f"log_p and log_q must have the same shape, got {log_p.shape} and {log_q.shape}")
    for name, a in (("log_p", log_p), ("log_q", log_q)):
        if np.any(np.isnan(a) | (a == np.inf)):
            raise ValueError(f"{name} must be finite or -inf (a log density), got NaN or +inf")
    dx = check_float(dx, "dx", low=0, low_open=True)
    return _kl_grid(log_p, log_q, dx)


def _kl_grid(log_p: np.ndarray, log_q: np.ndarray, dx: float) -> float:
    """:func:`kl_grid` on validated arrays."""
    with np.errstate(invalid="ignore"):
        terms = np.where(np.isfinite(log_p), np.exp(log_p) * (log_p - log_q), 0.0)
    return float(terms.sum() * dx)


@dataclass(frozen=True)
class MCEstimate:
    r"""A Monte Carlo estimate: the sample mean ``value`` and its ``standard_error`` :math:`s/\sqrt n`."""

    value: float
    standard_error: float


def kl_monte_carlo(sample_p: Callable, logpdf_p: Callable, logpdf_q: Callable, n_samples: int = 10_000,
                   rng=0) -> MCEstimate:
    r"""Monte Carlo estimate of :math:`D_{KL}(p\|q) = \mathbb E_{x\sim p}[\log p(x) - \log q(x)]`.

    Parameters
    ----------
    sample_p : callable ``(n, rng) -> samples`` drawing ``n`` points from ``p``
    logpdf_p, logpdf_q : callable ``samples -> ndarray (n,)`` of log densities
    n_samples : int >= 2
    rng : int or numpy.random.Generator

    Returns
    -------
    MCEstimate
        The sample mean of the log ratio and its standard error :math:`s/\sqrt n`.
    """
    n = check_int(n_samples, "n_samples", low=2)
    for name, f in (("sample_p", sample_p), ("logpdf_p", logpdf_p), ("logpdf_q", logpdf_q)):
        if not callable(f):
            raise ValueError(f"{name} must be callable, got {type(f).__name__}")
    x = sample_p(n, check_random_state(rng))
    r = np.asarray(logpdf_p(x), dtype=float) - np.asarray(logpdf_q(x), dtype=float)
    if r.shape != (n,):
        raise ValueError(f"logpdf_p and logpdf_q must return shape ({n},), got {r.shape}")
    return MCEstimate(float(r.mean()), float(r.std(ddof=1) / np.sqrt(n)))


def hellinger(p, q) -> np.ndarray:
    r"""Hellinger distance between probability vectors along the last axis,
    :math:`\tfrac{1}{\sqrt 2}\lVert\sqrt p - \sqrt q\rVert_2 \in [0, 1]`; broadcasts."""
    p, q = check_probabilities(p, "p"), check_probabilities(q, "q")
    return np.sqrt(((np.sqrt(p) - np.sqrt(q)) ** 2).sum(-1) / 2)

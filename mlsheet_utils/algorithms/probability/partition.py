r"""The partition function of a periodic Ising chain (a ring of spins), by enumeration and by the transfer matrix.

The ring of ``n`` spins :math:`s_i \in \{-1, +1\}` with :math:`s_{n+1} = s_1` has energy
:math:`E(s) = -J\sum_i s_i s_{i+1} - h\sum_i s_i` and Boltzmann distribution :math:`p(s) = e^{-\beta E(s)}/Z`.
(The grid model with free boundaries is :func:`mlsheet_utils.algorithms.probability.graphical.ising_energy`.)

- :func:`ising_ring_energy`: :math:`E(s)` for a batch of configurations;
- :func:`ising_ring_log_z`: :math:`\log Z` by summing over all :math:`2^n` configurations (exact, exponential);
- :func:`ising_ring_log_z_transfer`: :math:`\log Z = \log(\lambda_+^n + \lambda_-^n)` from the eigenvalues of
  the :math:`2\times 2` transfer matrix (constant cost in ``n``);
- :func:`ising_ring_moments`: mean and covariance of the sufficient statistics
  :math:`f(s) = (\sum_i s_i s_{i+1}, \sum_i s_i)` (an :class:`IsingRingMoments`), whose scaled values are the
  gradient and Hessian of :math:`\log Z` in :math:`(J, h)`.

All of them work in log space, so low temperatures (large :math:`\beta`) do not overflow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from mlsheet_utils.algorithms.probability.graphical import ising_states
from mlsheet_utils.validation import as_array, check_float, check_int

#: Largest ring that the enumerating functions accept (the grid enumerator's limit: 65536 states).
MAX_SPINS = 16


def ising_ring_energy(states, J: float, h: float = 0.0) -> np.ndarray:
    r"""Energy of configurations of a periodic chain.

    .. math:: E(s) = -J \sum_{i=1}^{n} s_i s_{i+1} - h \sum_{i=1}^{n} s_i, \qquad s_{n+1} = s_1

    Parameters
    ----------
    states : array_like, shape (M, n), entries -1 or +1
    J, h : float, coupling and external field

    Returns
    -------
    ndarray, shape (M,)
    """
    states = as_array(states, "states", ndim=2)
    if not np.all(np.abs(states) == 1):
        raise ValueError("states must contain only -1 and +1")
    J, h = check_float(J, "J"), check_float(h, "h")
    pair, spin = _statistics(states).T
    return -J * pair - h * spin


def _statistics(states: np.ndarray) -> np.ndarray:
    """Sufficient statistics per configuration, shape (M, 2): sum_i s_i s_{i+1} (periodic) and sum_i s_i."""
    return np.column_stack([(states * np.roll(states, -1, axis=1)).sum(axis=1), states.sum(axis=1)])


def _ring_states(n: int) -> np.ndarray:
    n = check_int(n, "n", low=1, high=MAX_SPINS)
    return ising_states((1, n)).reshape(-1, n)


def _beta(beta) -> np.ndarray:
    beta = as_array(beta, "beta")
    if np.any(beta <= 0):
        raise ValueError(f"beta must be > 0, got {beta.min()}")
    return beta


def ising_ring_log_z(n: int, J: float, h: float = 0.0, beta=1.0) -> np.ndarray:
    r""":math:`\log Z` of a ring of ``n`` spins by enumerating all :math:`2^n` configurations.

    .. math:: \log Z(\beta) = \log \sum_{s \in \{\pm 1\}^n} e^{-\beta E(s)}

    computed with log-sum-exp (no overflow at large :math:`\beta`).

    Parameters
    ----------
    n : int, 1 <= n <= 16
    J, h : float
    beta : array_like of float > 0, any shape (inverse temperatures)

    Returns
    -------
    ndarray, the shape of ``beta``
    """
    beta = _beta(beta)
    return logsumexp(-np.multiply.outer(beta, ising_ring_energy(_ring_states(n), J, h)), axis=-1)


def ising_ring_log_z_transfer(n: int, J: float, h: float = 0.0, beta=1.0) -> np.ndarray:
    r""":math:`\log Z` of a ring of ``n`` spins from the transfer matrix, at constant cost in ``n``.

    With :math:`K = \beta J`, :math:`H = \beta h` and :math:`T_{ss'} = e^{K ss' + H(s+s')/2}`,
    :math:`Z = \operatorname{tr} T^n = \lambda_+^n + \lambda_-^n`, where

    .. math:: \lambda_\pm = e^K \cosh H \pm \sqrt{e^{2K} \sinh^2 H + e^{-2K}}

    are the eigenvalues of :math:`T`. :math:`T` is first divided by :math:`e^{|K| + |H|}` so that no exponential
    overflows, and :math:`\lambda_+ > |\lambda_-|` (Perron-Frobenius), so
    :math:`\log Z = n\log\lambda_+ + \operatorname{log1p}((\lambda_-/\lambda_+)^n)` is safe, except for an odd ring
    with :math:`\lambda_- < 0` (:math:`J < 0`, frustrated) at low temperature, where :math:`(\lambda_-/\lambda_+)^n`
    tends to :math:`-1`: there :math:`1 - \rho^n = -\operatorname{expm1}(n \operatorname{log1p}(-\delta))` with
    :math:`\delta = 1 - \rho = \operatorname{tr} T / \lambda_+` is used instead.

    Parameters
    ----------
    n : int >= 1
    J, h : float
    beta : array_like of float > 0, any shape

    Returns
    -------
    ndarray, the shape of ``beta``
    """
    n = check_int(n, "n", low=1)
    J, h = check_float(J, "J"), check_float(h, "h")
    beta = _beta(beta)
    K, H = beta * J, beta * h
    shift = np.abs(K) + np.abs(H)
    a, d, b = np.exp(K + H - shift), np.exp(K - H - shift), np.exp(-K - shift)   # T / e^shift
    mid, rad = (a + d) / 2, np.sqrt(((a - d) / 2) ** 2 + b**2)
    lp, lm = mid + rad, mid - rad
    # For lm < 0 and odd n (a frustrated ring, J < 0), 1 + (lm/lp)^n = 1 - rho^n cancels as rho = |lm|/lp -> 1
    # (low temperature); there 1 - rho^n = -expm1(n log1p(-delta)) with delta = 1 - rho = (lp + lm)/lp = (a + d)/lp,
    # which has no cancellation.
    frustrated = (lm < 0) & (n % 2 == 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = np.where(frustrated, np.log(-np.expm1(n * np.log1p(-np.minimum((a + d) / lp, 1.0)))),
                        np.log1p((lm / lp) ** n))
    return n * (np.log(lp) + shift) + tail


@dataclass(frozen=True)
class IsingRingMoments:
    r"""Mean (2,) and covariance (2, 2) of :math:`f(s) = (\sum_i s_i s_{i+1}, \sum_i s_i)` under the ring's
    Boltzmann distribution.

    Because :math:`\log Z = \log\sum_s e^{\beta(J f_1(s) + h f_2(s))}`, the gradient of :math:`\log Z` in
    :math:`(J, h)` is :math:`\beta\,` ``mean`` and its Hessian :math:`\beta^2\,` ``cov``.
    """

    mean: np.ndarray
    cov: np.ndarray


def ising_ring_moments(n: int, J: float, h: float = 0.0, beta: float = 1.0) -> IsingRingMoments:
    r"""Exact moments of the sufficient statistics of a ring of ``n`` spins, by enumeration.

    .. math:: E[f] = \sum_s p(s) f(s), \qquad \operatorname{Cov}[f] = \sum_s p(s)(f(s) - E f)(f(s) - E f)^\top,
              \qquad p(s) = e^{-\beta E(s) - \log Z}

    Parameters
    ----------
    n : int, 1 <= n <= 16
    J, h : float
    beta : float > 0

    Returns
    -------
    IsingRingMoments
    """
    states = _ring_states(n)
    beta = check_float(beta, "beta", low=0, low_open=True)
    logw = -beta * ising_ring_energy(states, J, h)
    w = np.exp(logw - logsumexp(logw))
    f = _statistics(states)
    mean = w @ f
    dev = f - mean
    return IsingRingMoments(mean, dev.T @ (w[:, None] * dev))

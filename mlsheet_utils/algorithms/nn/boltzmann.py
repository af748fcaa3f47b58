r"""Fully connected Boltzmann machines on binary units, small enough to enumerate every state.

- :func:`bm_energy` is the energy :math:`E(s) = -\tfrac12 s^\top W s - b^\top s` of states :math:`s \in \{0,1\}^N`;
- :func:`binary_states` lists all :math:`2^N` states, :func:`boltzmann_exact` the exact distribution
  :math:`p(s) \propto e^{-E(s)/T}` with its moments;
- :func:`unit_conditional` is :math:`p(s_i = 1 \mid s_{-i})`, :func:`bm_gibbs` a Gibbs sampler over many chains;
- :func:`bm_log_likelihood` and :func:`bm_gradient` are the exact mean log-likelihood and its gradient
  (data statistics minus model statistics);
- :func:`bm_fit` fits :math:`W, b` by exact gradient ascent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from mlsheet_utils.algorithms.nn.functional import logsumexp, sigmoid
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

MAX_UNITS = 16


def _check_params(W, b):
    W = as_array(W, "W", ndim=2)
    b = as_array(b, "b", ndim=1)
    n = b.size
    if W.shape != (n, n):
        raise ValueError(f"W must have shape ({n}, {n}) to match b, got {W.shape}")
    if not np.allclose(W, W.T):
        raise ValueError("W must be symmetric")
    if np.any(np.diag(W) != 0):
        raise ValueError("W must have a zero diagonal (no self-connections)")
    return W, b


def _check_states(S, n, name):
    S = as_array(S, name)
    if S.ndim < 1 or S.shape[-1] != n:
        raise ValueError(f"{name} must have shape (..., {n}), got {S.shape}")
    if not np.all((S == 0) | (S == 1)):
        raise ValueError(f"{name} must contain only 0 and 1")
    return S


def _energy(S, W, b):
    return -0.5 * np.einsum("...i,ij,...j->...", S, W, S) - S @ b


def bm_energy(S, W, b) -> np.ndarray:
    r"""Energy of binary states.

    .. math:: E(s) = -\tfrac12 \sum_{i \ne j} w_{ij} s_i s_j - \sum_i b_i s_i = -\tfrac12 s^\top W s - b^\top s

    The factor one half counts each unordered pair once, since :math:`W` is symmetric.

    Parameters
    ----------
    S : array_like, shape (..., N), entries 0 or 1
    W : array_like, shape (N, N), symmetric with zero diagonal
    b : array_like, shape (N,)

    Returns
    -------
    ndarray, shape (...)
    """
    W, b = _check_params(W, b)
    return _energy(_check_states(S, b.size, "S"), W, b)


def binary_states(n: int) -> np.ndarray:
    """Every state of ``n`` binary units, shape (2**n, n), in binary counting order (last unit fastest)."""
    n = check_int(n, "n", low=1, high=MAX_UNITS)
    return ((np.arange(2**n)[:, None] >> np.arange(n - 1, -1, -1)) & 1).astype(float)


@dataclass(frozen=True)
class BoltzmannExact:
    """Exact Boltzmann distribution: states (2^N, N), probs (2^N,), log_Z, means (N,), correlations (N, N)."""

    states: np.ndarray
    probs: np.ndarray
    log_Z: float
    means: np.ndarray
    correlations: np.ndarray


def _exact(W, b, temperature):
    states = binary_states(b.size)
    log_w = -_energy(states, W, b) / temperature
    log_Z = float(logsumexp(log_w))
    probs = np.exp(log_w - log_Z)
    return BoltzmannExact(states, probs, log_Z, probs @ states, states.T @ (probs[:, None] * states))


def boltzmann_exact(W, b, temperature: float = 1.0) -> BoltzmannExact:
    r"""The distribution :math:`p(s) = e^{-E(s)/T}/Z` by enumerating all :math:`2^N` states.

    .. math:: Z = \sum_s e^{-E(s)/T}, \qquad \langle s_i \rangle = \sum_s p(s) s_i,
              \qquad \langle s_i s_j \rangle = \sum_s p(s) s_i s_j

    Parameters
    ----------
    W : array_like, shape (N, N), symmetric, zero diagonal, N <= 16
    b : array_like, shape (N,)
    temperature : float > 0

    Returns
    -------
    BoltzmannExact
    """
    W, b = _check_params(W, b)
    if b.size > MAX_UNITS:
        raise ValueError(f"enumeration is limited to {MAX_UNITS} units, got {b.size}")
    return _exact(W, b, check_float(temperature, "temperature", low=0.0, low_open=True))


def unit_conditional(S, W, b, i: int, temperature: float = 1.0) -> np.ndarray:
    r"""Probability that unit ``i`` is on given all the others.

    .. math:: p(s_i = 1 \mid s_{-i}) = \sigma\!\Big(\frac{\sum_j w_{ij} s_j + b_i}{T}\Big)

    (the energy gap :math:`E(s_i{=}0) - E(s_i{=}1)` over :math:`T`; the current value of :math:`s_i` is ignored
    because :math:`w_{ii} = 0`).

    Parameters
    ----------
    S : array_like, shape (..., N), entries 0 or 1
    W, b : parameters as in :func:`bm_energy`
    i : int, unit index
    temperature : float > 0

    Returns
    -------
    ndarray, shape (...)
    """
    W, b = _check_params(W, b)
    S = _check_states(S, b.size, "S")
    i = check_int(i, "i", low=0, high=b.size - 1)
    T = check_float(temperature, "temperature", low=0.0, low_open=True)
    return sigmoid((S @ W[i] + b[i]) / T)


def bm_gibbs(W, b, n_sweeps: int, n_chains: int = 100, temperature: float = 1.0, rng=0) -> np.ndarray:
    r"""Sequential-scan Gibbs sampling, many independent chains at once.

    Each sweep visits units :math:`0, \dots, N-1` in turn and redraws :math:`s_i` from
    :func:`unit_conditional`. Chains start from independent fair coin flips.

    Parameters
    ----------
    W, b : parameters as in :func:`bm_energy`
    n_sweeps : int >= 1
    n_chains : int >= 1
    temperature : float > 0
    rng : int or numpy.random.Generator

    Returns
    -------
    ndarray, shape (n_sweeps, n_chains, N): the state of every chain after each sweep.
    """
    W, b = _check_params(W, b)
    n_sweeps = check_int(n_sweeps, "n_sweeps", low=1)
    n_chains = check_int(n_chains, "n_chains", low=1)
    T = check_float(temperature, "temperature", low=0.0, low_open=True)
    rng = check_random_state(rng)
    n = b.size
    s = (rng.random((n_chains, n)) < 0.5).astype(float)
    u = rng.random((n_sweeps, n, n_chains))
    out = np.empty((n_sweeps, n_chains, n))
    for t in range(n_sweeps):
        for i in range(n):
            s[:, i] = u[t, i] < expit((s @ W[i] + b[i]) / T)
        out[t] = s
    return out


def bm_log_likelihood(W, b, data) -> float:
    r"""Mean log-likelihood :math:`\frac1n \sum_k \log p(s^{(k)}) = -\overline{E(s)} - \log Z` at :math:`T = 1`.

    Parameters
    ----------
    W, b : parameters as in :func:`bm_energy`
    data : array_like, shape (n, N), entries 0 or 1

    Returns
    -------
    float
    """
    W, b = _check_params(W, b)
    data = _check_states(data, b.size, "data")
    if data.ndim != 2:
        raise ValueError(f"data must have shape (n, {b.size}), got shape {data.shape}")
    return float(-_energy(data, W, b).mean() - _exact(W, b, 1.0).log_Z)


@dataclass(frozen=True)
class BMGradient:
    """Gradient of the mean log-likelihood: dW (N, N) and db (N,), data statistics minus model statistics."""

    dW: np.ndarray
    db: np.ndarray


def _gradient(W, b, data_corr, data_mean):
    model = _exact(W, b, 1.0)
    dW = data_corr - model.correlations
    np.fill_diagonal(dW, 0.0)
    return BMGradient(dW, data_mean - model.means)


def bm_gradient(W, b, data) -> BMGradient:
    r"""Exact gradient of the mean log-likelihood.

    .. math:: \frac{\partial \bar\ell}{\partial w_{ij}} = \langle s_i s_j\rangle_{\text{data}}
              - \langle s_i s_j\rangle_{\text{model}}, \qquad
              \frac{\partial \bar\ell}{\partial b_i} = \langle s_i\rangle_{\text{data}}
              - \langle s_i\rangle_{\text{model}}

    ``dW[i, j]`` is the derivative with respect to the shared weight :math:`w_{ij} = w_{ji}` (diagonal zero).

    Parameters
    ----------
    W, b : parameters as in :func:`bm_energy`
    data : array_like, shape (n, N), entries 0 or 1

    Returns
    -------
    BMGradient
    """
    W, b = _check_params(W, b)
    data = _check_states(data, b.size, "data")
    if data.ndim != 2:
        raise ValueError(f"data must have shape (n, {b.size}), got shape {data.shape}")
    return _gradient(W, b, data.T @ data / len(data), data.mean(axis=0))


@dataclass(frozen=True)
class BMFit:
    """Fitted weights W (N, N) and biases b (N,), their paths (n_steps + 1, ...) and the log-likelihood path."""

    W: np.ndarray
    b: np.ndarray
    W_path: np.ndarray
    b_path: np.ndarray
    log_likelihood: np.ndarray


def bm_fit(data, learning_rate: float = 0.5, n_steps: int = 100) -> BMFit:
    r"""Fit a fully visible Boltzmann machine by exact gradient ascent on the mean log-likelihood.

    Starting from :math:`W = 0, b = 0`, each step adds ``learning_rate`` times :func:`bm_gradient`: the positive
    phase (data statistics, computed once) minus the negative phase (model statistics, by enumeration).

    .. math:: W \leftarrow W + \eta\,(\langle s s^\top\rangle_{\text{data}} - \langle s s^\top\rangle_{\text{model}}),
              \qquad b \leftarrow b + \eta\,(\langle s\rangle_{\text{data}} - \langle s\rangle_{\text{model}})

    Parameters
    ----------
    data : array_like, shape (n, N), entries 0 or 1, 1 <= N <= 16
    learning_rate : float > 0
    n_steps : int >= 1

    Returns
    -------
    BMFit, with ``log_likelihood`` of shape (n_steps + 1,) (before the first step and after each step).
    """
    lr = check_float(learning_rate, "learning_rate", low=0.0, low_open=True)
    n_steps = check_int(n_steps, "n_steps", low=1)
    data = as_array(data, "data", ndim=2)
    n = data.shape[1]
    if not 1 <= n <= MAX_UNITS:
        raise ValueError(f"data must have between 1 and {MAX_UNITS} columns, got {n}")
    data = _check_states(data, n, "data")
    corr, mean = data.T @ data / len(data), data.mean(axis=0)
    W, b = np.zeros((n, n)), np.zeros(n)
    Ws, bs, ll = [W], [b], []
    for step in range(n_steps + 1):
        model = _exact(W, b, 1.0)
        ll.append(float(-_energy(data, W, b).mean() - model.log_Z))
        if step == n_steps:
            break
        dW = corr - model.correlations
        np.fill_diagonal(dW, 0.0)
        W, b = W + lr * dW, b + lr * (mean - model.means)
        Ws.append(W)
        bs.append(b)
    return BMFit(W, b, np.array(Ws), np.array(bs), np.array(ll))

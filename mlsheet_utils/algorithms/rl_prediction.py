r"""Model-free prediction: state values of a fixed policy from sampled episodes, by Monte Carlo and by TD.

Every function here reads a list of :class:`~mlsheet_utils.algorithms.policy_gradient.Episode` objects
(played with :func:`~mlsheet_utils.algorithms.policy_gradient.sample_episode`): ``states[t]`` is
:math:`s_t` and ``rewards[t]`` is :math:`r_{t+1}`, the reward that follows the action taken in :math:`s_t`;
the state after the last step is terminal, worth 0. Every function refuses (``ValueError``) an episode that
was truncated, has no steps, leaves ``0..n_states-1`` or has a non-finite reward. The discount ``gamma`` is an
argument in :math:`[0, 1]` (an episodic task may be undiscounted), independent of the MDP that produced the
episodes.

- :func:`mc_prediction`        sample averages of returns, first-visit or every-visit, after every episode;
- :func:`constant_alpha_mc`    :math:`V(s) \leftarrow V(s) + \alpha\,(G_t - V(s))` at the end of each episode;
- :func:`off_policy_mc`        first-visit MC for a target policy from a behaviour policy's episodes, with ordinary
  or weighted importance sampling;
- :func:`td0_prediction`       :math:`V(s) \leftarrow V(s) + \alpha\,(r + \gamma V(s') - V(s))` after each step;
- :func:`td_lambda`            TD(:math:`\lambda`), backward view: eligibility traces, online or offline;
- :func:`lambda_return_offline` TD(:math:`\lambda`), forward view: steps towards the :math:`\lambda`-return;
- :func:`batch_td0`            TD(0) increments summed over a fixed batch and applied until they vanish;
- :func:`certainty_equivalence` the values of the maximum-likelihood Markov model fitted to the episodes;
- :func:`rms_error`            root-mean-square error of value tables against the true values.

The learners return a :class:`PredictionHistory` holding the table after 0, 1, ..., n episodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.signal

from mlsheet_utils.algorithms.policy_gradient import Episode
from mlsheet_utils.validation import as_array, check_float, check_int


@dataclass(frozen=True)
class PredictionHistory:
    """Value tables after each episode.

    Attributes
    ----------
    V : ndarray, shape (S,)
        The estimate after the last episode.
    V_history : ndarray, shape (n_episodes + 1, S)
        ``V_history[k]`` is the estimate after ``k`` episodes (row 0 is the initial table).
    counts : ndarray of int, shape (S,)
        How many returns (Monte Carlo) or updates (TD) each state received.
    """

    V: np.ndarray
    V_history: np.ndarray
    counts: np.ndarray


def _check_episodes(episodes, n_states) -> tuple[list, int]:
    n_states = check_int(n_states, "n_states", low=1)
    if isinstance(episodes, (Episode, str)) or not hasattr(episodes, "__iter__"):
        raise ValueError(f"episodes must be a sequence of Episode objects, got {type(episodes).__name__}")
    episodes = list(episodes)
    if not episodes:
        raise ValueError("episodes must hold at least one Episode, got none")
    for i, ep in enumerate(episodes):
        if not isinstance(ep, Episode):
            raise ValueError(f"episodes[{i}] must be an Episode, got {type(ep).__name__}")
        if ep.truncated:
            raise ValueError(f"episodes[{i}] was truncated before a terminal state: its return is unknown")
        if len(ep) == 0:
            raise ValueError(f"episodes[{i}] has no steps: every episode must take at least one action")
        if ep.states.min() < 0 or ep.states.max() >= n_states:
            raise ValueError(f"episodes[{i}] visits states {ep.states.min()}..{ep.states.max()}, outside "
                             f"[0, n_states - 1] = [0, {n_states - 1}]")
        if not np.all(np.isfinite(ep.rewards)):
            raise ValueError(f"episodes[{i}] has NaN or infinite rewards")
    return episodes, n_states


def _returns(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """Returns-to-go by the backward recursion G_t = r_{t+1} + gamma G_{t+1}, as a linear filter."""
    return scipy.signal.lfilter([1.0], [1.0, -gamma], rewards[::-1])[::-1]


def mc_prediction(episodes, n_states: int, gamma: float = 1.0, *, first_visit: bool = True,
                  v_init: float = 0.0) -> PredictionHistory:
    r"""Monte Carlo prediction: each state's value is the mean of the returns observed from it.

    The return from step :math:`t` is :math:`G_t = \sum_{k \ge 0} \gamma^k r_{t+k+1}`. First-visit MC keeps,
    per episode, only the return after the first time a state occurs; every-visit MC keeps the returns after all
    its occurrences. After :math:`k` episodes

    .. math:: V_k(s) = \frac{\sum_{\text{kept } t:\, s_t = s} G_t}{N_k(s)},

    with :math:`N_k(s)` the number of kept returns; a state never seen keeps ``v_init``.

    Parameters
    ----------
    episodes : sequence of Episode, each ending in a terminal state
    n_states : int, the number of states S
    gamma : float in [0, 1]
    first_visit : bool
    v_init : float, the estimate of a state with no return yet

    Returns
    -------
    PredictionHistory
        ``V_history`` of shape (n_episodes + 1, S); ``counts`` the number of returns per state.
    """
    episodes, S = _check_episodes(episodes, n_states)
    gamma = check_float(gamma, "gamma", low=0.0, high=1.0)
    v_init = check_float(v_init, "v_init")
    sums = np.zeros((len(episodes), S))
    counts = np.zeros((len(episodes), S))
    for k, ep in enumerate(episodes):
        G = _returns(ep.rewards, gamma)
        if first_visit:
            seen, first = np.unique(ep.states, return_index=True)
            sums[k, seen], counts[k, seen] = G[first], 1.0
        else:
            sums[k] = np.bincount(ep.states, weights=G, minlength=S)
            counts[k] = np.bincount(ep.states, minlength=S)
    total, n = np.cumsum(sums, axis=0), np.cumsum(counts, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        V_hist = np.where(n > 0, total / np.where(n > 0, n, 1.0), v_init)
    V_hist = np.vstack([np.full(S, v_init), V_hist])
    return PredictionHistory(V_hist[-1].copy(), V_hist, n[-1].astype(int))


def _check_policy(policy, name, S, A) -> np.ndarray:
    pi = as_array(policy, name, ndim=2)
    if pi.shape != (S, A) or np.any(pi < 0) or not np.allclose(pi.sum(1), 1.0):
        raise ValueError(f"{name} must be an (S, A) = {(S, A)} matrix of probabilities with rows summing to 1, "
                         f"got shape {pi.shape}")
    return pi


def off_policy_mc(episodes, n_states: int, target, behaviour, gamma: float = 1.0, *,
                  weighted: bool = True) -> PredictionHistory:
    r"""First-visit Monte Carlo for a target policy :math:`\pi` from episodes played by a behaviour policy :math:`b`.

    A return :math:`G_t` observed under :math:`b` is reweighted by the probability ratio of the rest of the
    episode, :math:`\rho_t = \prod_{k=t}^{T-1} \pi(a_k \mid s_k) / b(a_k \mid s_k)` (the transition
    probabilities cancel). Over the kept first visits of :math:`s`,

    .. math:: V_{\text{ordinary}}(s) = \frac{\sum \rho_t G_t}{N(s)}, \qquad
              V_{\text{weighted}}(s) = \frac{\sum \rho_t G_t}{\sum \rho_t}

    (0 while the denominator is 0). The ordinary estimate is unbiased but its variance can be huge (even
    infinite); the weighted one is biased for finite samples (one episode gives back its own return) but
    consistent, with much smaller variance.

    Parameters
    ----------
    episodes : sequence of Episode, played by ``behaviour``
    n_states : int
    target, behaviour : array_like, shape (S, A)
        Action probabilities; ``behaviour`` must be positive wherever ``target`` is (coverage).
    gamma : float in [0, 1]
    weighted : bool

    Returns
    -------
    PredictionHistory
        ``counts`` the number of first visits per state.
    """
    episodes, S = _check_episodes(episodes, n_states)
    gamma = check_float(gamma, "gamma", low=0.0, high=1.0)
    b = as_array(behaviour, "behaviour", ndim=2)
    pi = as_array(target, "target", ndim=2)
    if pi.shape[1] != b.shape[1]:
        raise ValueError(f"target and behaviour must have the same number of actions, got shapes {pi.shape} "
                         f"and {b.shape}")
    pi = _check_policy(pi, "target", S, b.shape[1])
    b = _check_policy(b, "behaviour", S, pi.shape[1])
    if np.any((pi > 0) & (b == 0)):
        raise ValueError("behaviour must give positive probability to every action the target policy can take")
    ratio = np.divide(pi, b, out=np.zeros_like(pi), where=b > 0)
    num = np.zeros((len(episodes), S))
    den = np.zeros((len(episodes), S))
    for k, ep in enumerate(episodes):
        if ep.actions.min() < 0 or ep.actions.max() >= pi.shape[1]:
            raise ValueError(f"episodes[{k}] takes an action outside [0, {pi.shape[1] - 1}]")
        rho = np.cumprod(ratio[ep.states, ep.actions][::-1])[::-1]
        seen, first = np.unique(ep.states, return_index=True)
        num[k, seen] = rho[first] * _returns(ep.rewards, gamma)[first]
        den[k, seen] = rho[first] if weighted else 1.0
    total, norm = np.cumsum(num, axis=0), np.cumsum(den, axis=0)
    V_hist = np.vstack([np.zeros(S), np.divide(total, norm, out=np.zeros_like(total), where=norm > 0)])
    visits = np.zeros(S, dtype=int)
    for ep in episodes:
        visits[np.unique(ep.states)] += 1
    return PredictionHistory(V_hist[-1].copy(), V_hist, visits)


def constant_alpha_mc(episodes, n_states: int, alpha: float, gamma: float = 1.0, *,
                      v_init: float = 0.0) -> PredictionHistory:
    r"""Every-visit Monte Carlo with a constant step: after each episode, for t = 0, 1, ..., T-1,

    .. math:: V(s_t) \leftarrow V(s_t) + \alpha\,\bigl(G_t - V(s_t)\bigr).

    A recency-weighted average of the returns: it tracks a drifting target but never settles for a fixed
    :math:`\alpha`.

    Parameters
    ----------
    episodes : sequence of Episode
    n_states : int
    alpha : float in (0, 1]
    gamma : float in [0, 1]
    v_init : float

    Returns
    -------
    PredictionHistory
    """
    episodes, S = _check_episodes(episodes, n_states)
    alpha = check_float(alpha, "alpha", low=0.0, high=1.0, low_open=True)
    gamma = check_float(gamma, "gamma", low=0.0, high=1.0)
    V = np.full(S, check_float(v_init, "v_init"))
    hist = np.empty((len(episodes) + 1, S))
    hist[0] = V
    counts = np.zeros(S, dtype=int)
    for k, ep in enumerate(episodes):
        v = V.tolist()
        for s, g in zip(ep.states.tolist(), _returns(ep.rewards, gamma).tolist()):
            v[s] += alpha * (g - v[s])
        V = np.array(v)
        counts += np.bincount(ep.states, minlength=S)
        hist[k + 1] = V
    return PredictionHistory(V, hist, counts)


def td0_prediction(episodes, n_states: int, alpha: float, gamma: float = 1.0, *,
                   v_init: float = 0.0) -> PredictionHistory:
    r"""Tabular TD(0): after every step :math:`(s_t, r_{t+1}, s_{t+1})`,

    .. math:: V(s_t) \leftarrow V(s_t) + \alpha\,\bigl(r_{t+1} + \gamma V(s_{t+1}) - V(s_t)\bigr),

    where the value of the terminal state after the last step is 0 (no bootstrap there).

    Parameters
    ----------
    episodes : sequence of Episode
    n_states : int
    alpha : float in (0, 1]
    gamma : float in [0, 1]
    v_init : float, the initial estimate of every non-terminal state

    Returns
    -------
    PredictionHistory
        ``counts`` the number of updates per state.
    """
    episodes, S = _check_episodes(episodes, n_states)
    alpha = check_float(alpha, "alpha", low=0.0, high=1.0, low_open=True)
    gamma = check_float(gamma, "gamma", low=0.0, high=1.0)
    v = [check_float(v_init, "v_init")] * S
    hist = np.empty((len(episodes) + 1, S))
    hist[0] = v
    counts = np.zeros(S, dtype=int)
    for k, ep in enumerate(episodes):
        states, rewards = ep.states.tolist(), ep.rewards.tolist()
        T = len(states)
        for t in range(T):
            s = states[t]
            target = rewards[t] + (gamma * v[states[t + 1]] if t + 1 < T else 0.0)
            v[s] += alpha * (target - v[s])
        counts += np.bincount(ep.states, minlength=S)
        hist[k + 1] = v
    return PredictionHistory(hist[-1].copy(), hist, counts)


def td_lambda(episodes, n_states: int, alpha: float, lam: float, gamma: float = 1.0, *, v_init: float = 0.0,
              offline: bool = False) -> PredictionHistory:
    r"""TD(:math:`\lambda`) with accumulating eligibility traces (the backward view).

    Each episode starts with :math:`e = 0`; at every step

    .. math:: e \leftarrow \gamma\lambda\, e, \quad e(s_t) \leftarrow e(s_t) + 1, \quad
              \delta_t = r_{t+1} + \gamma V(s_{t+1}) - V(s_t), \quad V \leftarrow V + \alpha\,\delta_t\, e,

    with :math:`V = 0` after the last step. Online, :math:`V` changes after every step; offline, the increments
    :math:`\alpha \delta_t e` are summed with :math:`V` frozen and applied when the episode ends, which makes the
    result equal to :func:`lambda_return_offline`. ``lam = 0`` online is TD(0).

    Parameters
    ----------
    episodes : sequence of Episode
    n_states : int
    alpha : float in (0, 1]
    lam : float in [0, 1], the trace decay :math:`\lambda`
    gamma : float in [0, 1]
    v_init : float
    offline : bool

    Returns
    -------
    PredictionHistory
    """
    episodes, S = _check_episodes(episodes, n_states)
    alpha = check_float(alpha, "alpha", low=0.0, high=1.0, low_open=True)
    lam = check_float(lam, "lam", low=0.0, high=1.0)
    gamma = check_float(gamma, "gamma", low=0.0, high=1.0)
    V = np.full(S + 1, check_float(v_init, "v_init"))
    V[S] = 0.0                                       # the terminal state after every episode's last step
    hist = np.empty((len(episodes) + 1, S))
    hist[0] = V[:S]
    counts = np.zeros(S, dtype=int)
    for k, ep in enumerate(episodes):
        states = np.append(ep.states, S)
        e = np.zeros(S + 1)
        delta_sum = np.zeros(S + 1)
        for t in range(len(ep)):
            s, s_next = states[t], states[t + 1]
            e *= gamma * lam
            e[s] += 1.0
            delta = ep.rewards[t] + gamma * V[s_next] - V[s]
            if offline:
                delta_sum += alpha * delta * e
            else:
                V += alpha * delta * e
                V[S] = 0.0
        if offline:
            V += delta_sum
            V[S] = 0.0
        counts += np.bincount(ep.states, minlength=S)
        hist[k + 1] = V[:S]
    return PredictionHistory(V[:S].copy(), hist, counts)


def lambda_return_offline(episodes, n_states: int, alpha: float, lam: float, gamma: float = 1.0, *,
                          v_init: float = 0.0) -> PredictionHistory:
    r"""The offline :math:`\lambda`-return algorithm (the forward view of TD(:math:`\lambda`)).

    With :math:`V` frozen during an episode, the :math:`\lambda`-return mixes the n-step returns
    :math:`G_t^{(n)} = r_{t+1} + \dots + \gamma^{n-1} r_{t+n} + \gamma^n V(s_{t+n})` with weights
    :math:`(1-\lambda)\lambda^{n-1}`, the full return taking the remaining weight; it obeys the backward recursion

    .. math:: G_t^\lambda = r_{t+1} + \gamma\bigl((1 - \lambda) V(s_{t+1}) + \lambda G_{t+1}^\lambda\bigr),
              \qquad G_{T-1}^\lambda = r_T .

    At the end of the episode every visited state moves by :math:`\alpha \sum_{t:\, s_t = s}
    (G_t^\lambda - V(s_t))`.

    Parameters
    ----------
    episodes : sequence of Episode
    n_states : int
    alpha : float in (0, 1]
    lam : float in [0, 1]
    gamma : float in [0, 1]
    v_init : float

    Returns
    -------
    PredictionHistory
    """
    episodes, S = _check_episodes(episodes, n_states)
    alpha = check_float(alpha, "alpha", low=0.0, high=1.0, low_open=True)
    lam = check_float(lam, "lam", low=0.0, high=1.0)
    gamma = check_float(gamma, "gamma", low=0.0, high=1.0)
    V = np.full(S + 1, check_float(v_init, "v_init"))
    V[S] = 0.0
    hist = np.empty((len(episodes) + 1, S))
    hist[0] = V[:S]
    counts = np.zeros(S, dtype=int)
    for k, ep in enumerate(episodes):
        v_next = V[np.append(ep.states[1:], S)]
        # G_t = (r_{t+1} + gamma (1 - lam) V(s_{t+1})) + gamma lam G_{t+1}: a linear filter run backwards
        G = scipy.signal.lfilter([1.0], [1.0, -gamma * lam], (ep.rewards + gamma * (1 - lam) * v_next)[::-1])[::-1]
        V[:S] += alpha * np.bincount(ep.states, weights=G - V[ep.states], minlength=S)
        counts += np.bincount(ep.states, minlength=S)
        hist[k + 1] = V[:S]
    return PredictionHistory(V[:S].copy(), hist, counts)


def _transitions(episodes, S):
    """All transitions of the batch as arrays: state, reward, next state (S stands for 'terminal')."""
    s = np.concatenate([ep.states for ep in episodes])
    r = np.concatenate([ep.rewards for ep in episodes])
    s_next = np.concatenate([np.append(ep.states[1:], S) for ep in episodes])
    return s, r, s_next


def batch_td0(episodes, n_states: int, gamma: float = 1.0, *, alpha: float | None = None, tol: float = 1e-12,
              max_iter: int = 1_000_000) -> np.ndarray:
    r"""Batch TD(0): sweep a fixed set of episodes, summing the TD increments, until they vanish.

    One sweep computes :math:`\Delta(s) = \sum_{t:\, s_t = s} \bigl(r_{t+1} + \gamma V(s_{t+1}) - V(s)\bigr)`
    over every transition of the batch, then sets :math:`V \leftarrow V + \alpha \Delta`. The fixed point
    :math:`\Delta = 0` is the value function of the empirical Markov model of the batch (compare
    :func:`certainty_equivalence`).

    Parameters
    ----------
    episodes : sequence of Episode
    n_states : int
    gamma : float in [0, 1]
    alpha : float, optional
        Step of a sweep; default :math:`1 / (2 \max_s N(s))` with :math:`N(s)` the visit counts, small enough for
        the sweeps to contract.
    tol : float > 0, stop when :math:`\max_s |\alpha \Delta(s)| <` ``tol``
    max_iter : int

    Returns
    -------
    ndarray, shape (S,)
        The batch TD estimate; 0 for states absent from the batch.
    """
    episodes, S = _check_episodes(episodes, n_states)
    gamma = check_float(gamma, "gamma", low=0.0, high=1.0)
    tol = check_float(tol, "tol", low=0.0, low_open=True)
    max_iter = check_int(max_iter, "max_iter", low=1)
    s, r, s_next = _transitions(episodes, S)
    n = np.bincount(s, minlength=S)
    alpha = 0.5 / n.max() if alpha is None else check_float(alpha, "alpha", low=0.0, low_open=True)
    V = np.zeros(S + 1)                       # the extra entry is the terminal state, kept at 0
    for _ in range(max_iter):
        step = alpha * np.bincount(s, weights=r + gamma * V[s_next] - V[s], minlength=S)
        V[:S] += step
        if np.abs(step).max() < tol:
            return V[:S]
    raise ValueError(f"batch TD(0) did not converge in max_iter = {max_iter} sweeps; lower alpha or raise max_iter")


def certainty_equivalence(episodes, n_states: int, gamma: float = 1.0) -> np.ndarray:
    r"""Values of the maximum-likelihood Markov reward process fitted to the episodes.

    Counting the batch's transitions gives :math:`\hat P(s' \mid s) = n(s, s') / n(s)` (with the terminal state
    as an extra column) and :math:`\hat r(s)`, the mean reward on leaving :math:`s`. The estimate solves
    :math:`(I - \gamma \hat P)\, V = \hat r` over the states that occur; absent states get 0.

    Parameters
    ----------
    episodes : sequence of Episode
    n_states : int
    gamma : float in [0, 1]

    Returns
    -------
    ndarray, shape (S,)
    """
    episodes, S = _check_episodes(episodes, n_states)
    gamma = check_float(gamma, "gamma", low=0.0, high=1.0)
    s, r, s_next = _transitions(episodes, S)
    n = np.bincount(s, minlength=S)
    seen = np.flatnonzero(n)
    counts = np.zeros((S, S + 1))
    np.add.at(counts, (s, s_next), 1.0)
    P_hat = counts[np.ix_(seen, seen)] / n[seen, None]
    r_hat = np.bincount(s, weights=r, minlength=S)[seen] / n[seen]
    V = np.zeros(S)
    V[seen] = np.linalg.solve(np.eye(seen.size) - gamma * P_hat, r_hat)
    return V


def rms_error(V, v_true, states=None) -> np.ndarray:
    r"""Root-mean-square error :math:`\sqrt{\tfrac{1}{|\mathcal S|} \sum_{s \in \mathcal S} (V(s) - v(s))^2}`.

    Parameters
    ----------
    V : array_like, shape (..., S), one value table or a stack of them
    v_true : array_like, shape (S,)
    states : array_like of int, shape (m,), optional
        The states averaged over (default all), non-empty, each in ``0..S-1``.

    Returns
    -------
    ndarray, shape (...)
    """
    V, v_true = as_array(V, "V"), as_array(v_true, "v_true", ndim=1)
    if V.ndim == 0 or V.shape[-1] != v_true.size:
        raise ValueError(f"V must end in an axis of size {v_true.size} like v_true, got shape {V.shape}")
    if states is None:
        idx = np.arange(v_true.size)
    else:
        idx = as_array(states, "states", ndim=1)
        if np.any(idx != np.round(idx)) or idx.min() < 0 or idx.max() >= v_true.size:
            raise ValueError(f"states must hold integer states in [0, {v_true.size - 1}] (the indices of v_true), "
                             f"got {idx.tolist()!r:.80}")
        idx = idx.astype(int)
    return np.sqrt(np.mean((V[..., idx] - v_true[idx]) ** 2, axis=-1))

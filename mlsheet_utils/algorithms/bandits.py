r"""Stochastic multi-armed bandits with Bernoulli arms, simulated for many seeded runs at once.

Functions
---------
ucb_score(means, counts, t, c)          optimistic index :math:`\hat Q(a) + c\sqrt{\ln t / N(a)}` (also used by UCT)
lai_robbins_constant(means)             :math:`\sum_{i:\Delta_i>0} \Delta_i / \mathrm{KL}(\mu_i, \mu^*)`, the
                                        Bernoulli KL from :mod:`~mlsheet_utils.algorithms.probability.divergences`
beta_posterior(successes, failures, ...)  conjugate Beta parameters after Bernoulli observations
run_bandit(means, horizon, policy, ...) epsilon-greedy / UCB / Thompson sampling, vectorised over runs
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.probability import divergences
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

POLICIES = ("epsilon-greedy", "ucb", "thompson")
#: The UCB1 exploration weight, from Hoeffding's bound with failure probability t^-4.
SQRT2 = float(np.sqrt(2.0))


def ucb_score(means, counts, t, c=SQRT2):
    r"""Upper confidence index of each arm.

    .. math:: U(a) = \hat Q(a) + c \sqrt{\frac{\ln t}{N(a)}}, \qquad U(a) = +\infty \text{ if } N(a) = 0.

    Parameters
    ----------
    means : array_like, shape (..., k)
        Empirical mean reward :math:`\hat Q(a)` of each arm (finite; ignored where ``counts`` is 0).
    counts : array_like, shape (..., k)
        Number of pulls :math:`N(a)`, >= 0.
    t : float or array_like broadcastable to ``(..., 1)``
        Total number of pulls so far, >= 0; below 1 it counts as 1 (no bonus yet).
    c : float >= 0
        Exploration weight; :math:`c = \sqrt 2` is UCB1.

    Returns
    -------
    ndarray, shape (..., k)
    """
    if np.shape(means) != np.shape(counts):
        raise ValueError(f"means and counts must have the same shape (..., k), got {np.shape(means)} and "
                         f"{np.shape(counts)}")
    as_array(means, "means")
    if np.any(as_array(counts, "counts") < 0):
        raise ValueError(f"counts must hold numbers of pulls >= 0, got a minimum of {np.min(counts)}")
    if np.any(as_array(t, "t") < 0):
        raise ValueError(f"t must be a number of pulls >= 0, got {t}")
    c = check_float(c, "c", low=0.0)
    return _ucb_score(means, counts, t, c)


def _ucb_score(means, counts, t, c):
    """:func:`ucb_score` without the checks, for the inner loops of :func:`run_bandit` and UCT (``mcts.mcts``)."""
    means = np.asarray(means, dtype=float)
    counts = np.asarray(counts, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        bonus = c * np.sqrt(np.log(np.maximum(t, 1.0)) / counts)
    return np.where(counts > 0, means + bonus, np.inf)


def lai_robbins_constant(means):
    r"""Constant of the Lai-Robbins lower bound for Bernoulli arms.

    Any consistent policy has :math:`\liminf_{T\to\infty} R_T / \ln T \ge \sum_{i:\Delta_i>0}
    \Delta_i / \mathrm{KL}(\mu_i, \mu^*)` with :math:`\Delta_i = \mu^* - \mu_i`.

    Parameters
    ----------
    means : array_like, shape (k,), values in (0, 1)

    Returns
    -------
    float
    """
    means = as_array(means, "means", ndim=1)
    if np.any((means <= 0) | (means >= 1)):
        raise ValueError(f"means must lie strictly between 0 and 1, got {means}")
    best = means.max()
    sub = means < best
    if not sub.any():                      # every arm is optimal: no regret to pay for
        return 0.0
    gaps = best - means[sub]
    return float(np.sum(gaps / divergences.kl_bernoulli(means[sub], best)))


def beta_posterior(successes, failures, a0=1.0, b0=1.0):
    r"""Beta posterior after Bernoulli observations under a Beta(a0, b0) prior.

    .. math:: p \mid s, f \sim \mathrm{Beta}(a_0 + s,\; b_0 + f)

    Parameters
    ----------
    successes, failures : array_like of non-negative counts, same shape
    a0, b0 : float > 0

    Returns
    -------
    (a, b) : pair of ndarrays of the input shape
    """
    s = as_array(successes, "successes")
    f = as_array(failures, "failures")
    if s.shape != f.shape:
        raise ValueError(f"successes and failures must have the same shape, got {s.shape} and {f.shape}")
    if np.any(s < 0) or np.any(f < 0):
        raise ValueError("successes and failures must be non-negative counts")
    check_float(a0, "a0", low=0.0, low_open=True)
    check_float(b0, "b0", low=0.0, low_open=True)
    return a0 + s, b0 + f


@dataclass(frozen=True)
class BanditRuns:
    r"""Result of :func:`run_bandit`.

    Attributes
    ----------
    arms : ndarray of int, shape (n_runs, horizon)
        Arm pulled at each step of each run.
    rewards : ndarray of float, shape (n_runs, horizon)
        The 0/1 reward received.
    regret : ndarray of float, shape (n_runs, horizon)
        Cumulative pseudo-regret :math:`\sum_{s \le t} (\mu^* - \mu_{a_s})`.
    """

    arms: np.ndarray
    rewards: np.ndarray
    regret: np.ndarray


def _argmax_random_ties(x, rng):
    top = x == x.max(axis=1, keepdims=True)
    return np.argmax(top * (1.0 + rng.random(x.shape)), axis=1)


def run_bandit(means, horizon, policy, n_runs=100, *, epsilon=0.1, c=SQRT2, a0=1.0, b0=1.0, rng=0):
    r"""Simulate a bandit policy on Bernoulli arms, ``n_runs`` independent runs in parallel.

    Policies (ties between equal values broken uniformly at random):

    - ``"epsilon-greedy"``: with probability :math:`\varepsilon` a uniform arm, else :math:`\arg\max_a \hat Q(a)`;
    - ``"ucb"``: :math:`\arg\max_a \hat Q(a) + c\sqrt{\ln t / N(a)}`, unpulled arms first (:func:`ucb_score`);
    - ``"thompson"``: draw :math:`\theta_a \sim \mathrm{Beta}(a_0 + S_a, b_0 + F_a)` (``S_a``, ``F_a`` the successes
      and failures seen), pull :math:`\arg\max_a \theta_a`.

    Parameters
    ----------
    means : array_like, shape (k,)
        Success probability of each arm, in [0, 1].
    horizon : int >= 1
    policy : {"epsilon-greedy", "ucb", "thompson"}
    n_runs : int >= 1
    epsilon : float in [0, 1]
    c : float >= 0
    a0, b0 : float or array_like of shape (k,), > 0
        Beta prior of each arm for Thompson sampling.
    rng : int or numpy.random.Generator   (default 0: a fixed seed, so every run is reproducible)

    Returns
    -------
    BanditRuns
    """
    means = as_array(means, "means", ndim=1)
    if means.size < 2 or np.any((means < 0) | (means > 1)):
        raise ValueError(f"means must hold at least 2 probabilities in [0, 1], got {means}")
    horizon = check_int(horizon, "horizon", low=1)
    n_runs = check_int(n_runs, "n_runs", low=1)
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}")
    epsilon = check_float(epsilon, "epsilon", low=0.0, high=1.0)
    c = check_float(c, "c", low=0.0)
    for name, prior in (("a0", a0), ("b0", b0)):
        if np.ndim(prior) > 1 or np.size(prior) not in (1, means.size):
            raise ValueError(f"{name} must be a number or an array of shape {means.shape} (one per arm of means), "
                             f"got shape {np.shape(prior)}")
    a0 = np.broadcast_to(as_array(a0, "a0"), means.shape)
    b0 = np.broadcast_to(as_array(b0, "b0"), means.shape)
    if np.any(a0 <= 0) or np.any(b0 <= 0):
        raise ValueError(f"a0 and b0 must be positive, got {a0} and {b0}")
    rng = check_random_state(rng)

    k = means.size
    counts = np.zeros((n_runs, k))
    wins = np.zeros((n_runs, k))
    arms = np.empty((n_runs, horizon), dtype=int)
    rewards = np.empty((n_runs, horizon))
    rows = np.arange(n_runs)
    for t in range(horizon):
        if policy == "epsilon-greedy":
            q = np.divide(wins, counts, out=np.zeros_like(wins), where=counts > 0)
            arm = _argmax_random_ties(q, rng)
            explore = rng.random(n_runs) < epsilon
            arm = np.where(explore, rng.integers(0, k, n_runs), arm)
        elif policy == "ucb":
            q = np.divide(wins, counts, out=np.zeros_like(wins), where=counts > 0)
            arm = _argmax_random_ties(_ucb_score(q, counts, t, c), rng)
        else:
            arm = _argmax_random_ties(rng.beta(a0 + wins, b0 + counts - wins), rng)
        r = (rng.random(n_runs) < means[arm]).astype(float)
        counts[rows, arm] += 1
        wins[rows, arm] += r
        arms[:, t] = arm
        rewards[:, t] = r
    regret = np.cumsum(means.max() - means[arms], axis=1)
    return BanditRuns(arms=arms, rewards=rewards, regret=regret)

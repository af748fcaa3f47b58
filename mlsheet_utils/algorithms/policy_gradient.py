r"""Tabular softmax policies and their gradients: the exact policy gradient of a small MDP and sampled episodes.

A tabular softmax policy has one logit per state and action, ``theta[s, a]``, and
:math:`\pi_\theta(a \mid s) = e^{\theta_{sa}} / \sum_b e^{\theta_{sb}}` (:func:`softmax_policy`). Its objective is
the value of the start state, :math:`J(\theta) = v_{\pi_\theta}(s_0)` (:func:`policy_objective`, one linear solve
of :func:`rl.policy_evaluation <mlsheet_utils.algorithms.rl.policy_evaluation>`), and the policy-gradient theorem
gives its gradient in closed form (:func:`exact_policy_gradient`):

.. math:: \frac{\partial J}{\partial \theta_{sa}} = \frac{1}{1 - \gamma}\, d_\pi(s)\, \pi(a \mid s)\,
          \bigl(q_\pi(s, a) - v_\pi(s)\bigr),

with :math:`d_\pi` the normalised discounted occupancy. That exact gradient is what a sampled estimator
(REINFORCE, actor-critic, PPO) is checked against. :func:`sample_episode` plays a policy to the end of an
episode (an :class:`Episode`), :func:`discounted_returns` turns its rewards into returns-to-go, and
:func:`softmax_score` is :math:`\nabla_\theta \log \pi_\theta(a \mid s)`.

Sampled gradients: :func:`reinforce_estimates` gives one score-function (REINFORCE) estimate per episode, with an
optional state baseline, returns-to-go or whole returns, and with or without the :math:`\gamma^t` step weight;
:func:`reinforce_gradient` is their batch mean; :func:`reinforce` trains a tabular softmax policy with them (no
baseline, a learned state-value table, or the exact :math:`v_\pi`) and records a :class:`ReinforceRun` with the
exact objective of every iterate and each estimate's squared distance to the exact gradient.

Example
-------
>>> from mlsheet_utils.algorithms import rl
>>> mdp = rl.gridworld(rl.ROOM, gamma=0.9)
>>> theta = np.zeros((mdp.n_states, mdp.n_actions))
>>> J, grad = exact_policy_gradient(mdp, theta)
>>> eps = 1e-6
>>> bumped = theta.copy(); bumped[mdp.start, 2] += eps
>>> bool(abs((policy_objective(mdp, bumped) - J) / eps - grad[mdp.start, 2]) < 1e-4)
True
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
import scipy.signal
import scipy.special

from mlsheet_utils.algorithms import rl
from mlsheet_utils.validation import as_array, check_bool, check_float, check_indices, check_int, check_random_state


def _check_mdp(mdp) -> rl.MDP:
    if not isinstance(mdp, rl.MDP):
        raise ValueError(f"mdp must be an rl.MDP, got {type(mdp).__name__}")
    return mdp


def _check_theta(mdp: rl.MDP, theta) -> np.ndarray:
    theta = as_array(theta, "theta", ndim=2)
    if theta.shape != (mdp.n_states, mdp.n_actions):
        raise ValueError(f"theta must have shape (S, A) = {(mdp.n_states, mdp.n_actions)}, got {theta.shape}")
    return theta


def softmax_policy(theta) -> np.ndarray:
    r"""The policy :math:`\pi(a \mid s) = \mathrm{softmax}(\theta_{s\cdot})_a`, row by row, shape (S, A).

    Computed with the maximum of each row subtracted, so logits of any size give probabilities, not NaN.
    """
    theta = as_array(theta, "theta", ndim=2)
    if theta.size == 0:
        raise ValueError(f"theta must have at least one state and one action, got shape {theta.shape}")
    return scipy.special.softmax(theta, axis=1)


def softmax_score(theta, s: int, a: int) -> np.ndarray:
    r""":math:`\nabla_\theta \log \pi_\theta(a \mid s)`: zero but for row ``s``, :math:`e_a - \pi(\cdot \mid s)`."""
    pi = softmax_policy(theta)
    s = check_int(s, "s", low=0, high=pi.shape[0] - 1)
    a = check_int(a, "a", low=0, high=pi.shape[1] - 1)
    score = np.zeros_like(pi)
    score[s] = -pi[s]
    score[s, a] += 1.0
    return score


def policy_objective(mdp: rl.MDP, theta) -> float:
    r""":math:`J(\theta) = v_{\pi_\theta}(s_0)`, the exact value of the softmax policy at ``mdp.start``."""
    mdp = _check_mdp(mdp)
    pi = softmax_policy(_check_theta(mdp, theta))
    return float(rl.policy_evaluation(mdp, pi)[mdp.start])


def exact_policy_gradient(mdp: rl.MDP, theta) -> tuple[float, np.ndarray]:
    r""":math:`J(\theta)` and :math:`\nabla_\theta J` by the policy-gradient theorem (two linear solves).

    Returns
    -------
    J : float
        The start state's value under :math:`\pi_\theta`.
    grad : ndarray, shape (S, A)
        :math:`\frac{1}{1-\gamma} d_\pi(s)\, \pi(a \mid s)\, (q_\pi(s, a) - v_\pi(s))`; each row sums to 0.
    """
    mdp = _check_mdp(mdp)
    pi = softmax_policy(_check_theta(mdp, theta))
    v = rl.policy_evaluation(mdp, pi)
    q = rl.q_from_v(mdp, v)
    d = rl.discounted_occupancy(mdp, pi)
    return float(v[mdp.start]), d[:, None] * pi * (q - v[:, None]) / (1.0 - mdp.gamma)



@dataclass(frozen=True)
class Episode:
    """One episode played by a policy (see :func:`sample_episode`).

    The constructor checks the arrays' types and lengths only: ``states`` and ``actions`` 1-d integer arrays,
    ``rewards`` a 1-d array of numbers, all of one length (0 too), ``truncated`` a bool. The functions that read
    an episode check its states and actions against their MDP and its rewards for NaN.
    """

    states: np.ndarray    #: s_0 .. s_{T-1}, the states an action was taken in, shape (T,)
    actions: np.ndarray   #: a_0 .. a_{T-1}, shape (T,)
    rewards: np.ndarray   #: r_1 .. r_T, the reward after each action, shape (T,)
    truncated: bool       #: True when max_steps ran out before a terminal state

    def __post_init__(self):
        states = check_indices(self.states, "states", low=None, ndim=1, empty=True)
        actions = check_indices(self.actions, "actions", low=None, ndim=1, empty=True)
        rewards = as_array(self.rewards, "rewards", ndim=1, finite=False, empty=True)
        if not states.size == actions.size == rewards.size:
            raise ValueError(f"states, actions and rewards must have one entry per step, got lengths {states.size}, "
                             f"{actions.size} and {rewards.size}")
        check_bool(self.truncated, "truncated")
        object.__setattr__(self, "states", states)
        object.__setattr__(self, "actions", actions)
        object.__setattr__(self, "rewards", rewards)

    def __len__(self) -> int:
        return int(self.states.size)


def sample_episode(mdp: rl.MDP, policy, rng, max_steps: int = 1000, start: int | None = None) -> Episode:
    r"""Play ``policy`` from ``start`` (default ``mdp.start``) until a terminal state or ``max_steps`` actions.

    Parameters
    ----------
    mdp : rl.MDP
    policy : array_like, shape (S, A)
        Action probabilities :math:`\pi(a \mid s)`, rows summing to 1 (e.g. :func:`softmax_policy`).
    rng : int or numpy.random.Generator
        Two uniform draws per step (the action, then the next state).
    max_steps : int >= 1
    start : int, optional
        A non-terminal state to start from.

    Returns
    -------
    Episode
    """
    mdp = _check_mdp(mdp)
    pi = as_array(policy, "policy", ndim=2)
    if pi.shape != (mdp.n_states, mdp.n_actions) or np.any(pi < 0) or not np.allclose(pi.sum(1), 1.0):
        raise ValueError(f"policy must be an (S, A) = {(mdp.n_states, mdp.n_actions)} matrix of probabilities "
                         f"with rows summing to 1, got shape {pi.shape}")
    max_steps = check_int(max_steps, "max_steps", low=1)
    s = mdp.start if start is None else check_int(start, "start", low=0, high=mdp.n_states - 1)
    if mdp.terminal[s]:
        raise ValueError(f"start must be a non-terminal state, got terminal state {s}")
    draw = check_random_state(rng).random
    cdf = np.cumsum(pi, axis=1)
    cdf[:, -1] = 1.0
    cdf = cdf.tolist()
    states, actions, rewards = [], [], []
    done = False
    while not done and len(states) < max_steps:
        a = bisect.bisect_right(cdf[s], draw())
        s_next, r, done = rl._step(mdp, s, a, draw)
        states.append(s)
        actions.append(a)
        rewards.append(r)
        s = s_next
    return Episode(np.array(states, dtype=int), np.array(actions, dtype=int), np.array(rewards, dtype=float),
                   not done)


def discounted_returns(rewards, gamma: float) -> np.ndarray:
    r"""Returns-to-go :math:`G_t = \sum_{k \ge 0} \gamma^k r_{t+k+1}` of one episode's rewards, shape (T,).

    One pass backwards, :math:`G_t = r_{t+1} + \gamma G_{t+1}`, as a linear filter.
    """
    rewards = as_array(rewards, "rewards", ndim=1, empty=True)
    gamma = check_float(gamma, "gamma", low=0.0, high=1.0)
    if rewards.size == 0:
        return rewards.copy()
    return scipy.signal.lfilter([1.0], [1.0, -gamma], rewards[::-1])[::-1].copy()


def _check_played(episodes, S: int, A: int) -> list:
    """``episodes`` as a non-empty list of non-empty Episodes whose states and actions index an (S, A) table
    ``theta`` and whose rewards are finite (a truncated episode is fine)."""
    if isinstance(episodes, (Episode, str)) or not hasattr(episodes, "__iter__"):
        raise ValueError(f"episodes must be a sequence of Episode objects, got {type(episodes).__name__}")
    episodes = list(episodes)
    for i, ep in enumerate(episodes):
        if not isinstance(ep, Episode):
            continue
        if len(ep) == 0:
            raise ValueError(f"episodes[{i}] has no steps: every episode must take at least one action")
        if ep.states.min() < 0 or ep.states.max() >= S or ep.actions.min() < 0 or ep.actions.max() >= A:
            raise ValueError(f"episodes[{i}] visits states {ep.states.min()}..{ep.states.max()} and takes actions "
                             f"{ep.actions.min()}..{ep.actions.max()}, outside theta's (S, A) = {(S, A)}")
        if not np.all(np.isfinite(ep.rewards)):
            raise ValueError(f"episodes[{i}] has NaN or infinite rewards")
    return episodes


def _returns(rewards: np.ndarray, gamma: float) -> np.ndarray:
    return scipy.signal.lfilter([1.0], [1.0, -gamma], rewards[::-1])[::-1]


def _episode_gradient(pi: np.ndarray, ep: Episode, gamma: float, baseline, reward_to_go: bool,
                      discount_score: bool) -> np.ndarray:
    G = _returns(ep.rewards, gamma)
    if reward_to_go:
        w = G - (0.0 if baseline is None else baseline[ep.states])
        if discount_score:
            w = w * gamma ** np.arange(G.size)
    else:
        w = np.full(G.size, G[0] - (0.0 if baseline is None else baseline[ep.states[0]]))
    grad = np.zeros_like(pi)
    np.add.at(grad, (ep.states, ep.actions), w)
    grad -= np.bincount(ep.states, weights=w, minlength=pi.shape[0])[:, None] * pi
    return grad


def reinforce_estimates(theta, episodes, gamma: float, *, baseline=None, reward_to_go: bool = True,
                        discount_score: bool = True) -> np.ndarray:
    r"""One score-function (REINFORCE) estimate of :math:`\nabla_\theta J` per episode, shape (N, S, A).

    For an episode :math:`s_0, a_0, r_1, \dots, s_{T-1}, a_{T-1}, r_T` played by :math:`\pi_\theta`,

    .. math:: \hat g = \sum_{t=0}^{T-1} \gamma^t\, \nabla_\theta \log \pi_\theta(a_t \mid s_t)\,
              \bigl(G_t - b(s_t)\bigr), \qquad \nabla_\theta \log \pi_\theta(a \mid s) = e_{s}(e_a - \pi(\cdot|s))^\top,

    whose expectation is the exact :math:`\nabla_\theta J` of :func:`exact_policy_gradient` for any baseline
    :math:`b` that does not depend on the action. Variants:

    - ``reward_to_go=False`` weighs every step by the whole return :math:`G_0 - b(s_0)` instead, with no
      :math:`\gamma^t` (also unbiased: rewards before :math:`t` average out against the score at :math:`t`);
    - ``discount_score=False`` drops the :math:`\gamma^t` factor of the reward-to-go form (the usual textbook
      shorthand; biased when :math:`\gamma < 1`).

    Parameters
    ----------
    theta : array_like, shape (S, A)
        Logits of the softmax policy that played the episodes.
    episodes : sequence of Episode
        Each from :func:`sample_episode` with :math:`\pi_\theta` (a truncated one too), with at least one step,
        states and actions indexing ``theta`` and finite rewards.
    gamma : float in [0, 1]
    baseline : array_like, shape (S,), optional
        :math:`b(s)`, e.g. the state values :math:`v_\pi`; ``None`` for none.
    reward_to_go, discount_score : bool

    Returns
    -------
    ndarray, shape (N, S, A)
        The mean over axis 0 is the batch estimate (:func:`reinforce_gradient`).
    """
    pi = softmax_policy(theta)
    gamma = check_float(gamma, "gamma", low=0.0, high=1.0)
    episodes = _check_played(episodes, *pi.shape)
    episodes = list(episodes)
    if not episodes or not all(isinstance(ep, Episode) for ep in episodes):
        raise ValueError("episodes must be a non-empty sequence of Episode objects")
    if baseline is not None:
        baseline = as_array(baseline, "baseline", ndim=1)
        if baseline.shape != (pi.shape[0],):
            raise ValueError(f"baseline must have shape ({pi.shape[0]},), got {baseline.shape}")
    return np.stack([_episode_gradient(pi, ep, gamma, baseline, bool(reward_to_go), bool(discount_score))
                     for ep in episodes])


def reinforce_gradient(theta, episodes, gamma: float, *, baseline=None, reward_to_go: bool = True,
                       discount_score: bool = True) -> np.ndarray:
    r"""The batch REINFORCE estimate :math:`\frac1N \sum_i \hat g_i`, shape (S, A) (see :func:`reinforce_estimates`)."""
    return reinforce_estimates(theta, episodes, gamma, baseline=baseline, reward_to_go=reward_to_go,
                               discount_score=discount_score).mean(axis=0)


@dataclass(frozen=True)
class ReinforceRun:
    """A REINFORCE training run (see :func:`reinforce`)."""

    thetas: np.ndarray        #: the logits before each update and after the last, shape (n_iter + 1, S, A)
    objective: np.ndarray     #: exact J of each iterate, shape (n_iter + 1,)
    returns: np.ndarray       #: sampled discounted returns G_0 of each batch, shape (n_iter, batch)
    grad_sq_error: np.ndarray  #: squared distance of each batch estimate to the exact gradient, shape (n_iter,)


def reinforce(mdp: rl.MDP, *, lr: float, n_iter: int, batch: int, baseline: str = "none",
              baseline_lr: float = 0.1, theta0=None, rng=0, max_steps: int = 200) -> ReinforceRun:
    r"""REINFORCE: gradient ascent on :math:`J(\theta)` with Monte Carlo estimates from the policy's own episodes.

    Each iteration plays ``batch`` episodes with :math:`\pi_\theta`, forms the reward-to-go estimate of
    :func:`reinforce_gradient` and steps :math:`\theta \leftarrow \theta + \alpha\, \hat g`.

    Parameters
    ----------
    mdp : rl.MDP
    lr : float > 0
        Step size :math:`\alpha`.
    n_iter, batch : int >= 1
    baseline : {"none", "learned", "exact"}
        ``"learned"``: a table :math:`b(s)` moved toward every observed return-to-go,
        :math:`b(s_t) \leftarrow b(s_t) + \beta (G_t - b(s_t))`, after the batch's estimate is formed (so it is
        independent of that batch and adds no bias); ``"exact"``: the current :math:`v_{\pi_\theta}` (an
        oracle, for comparison).
    baseline_lr : float in (0, 1]
        :math:`\beta`.
    theta0 : array_like, shape (S, A), optional
        Initial logits (default zeros: the uniform policy).
    rng : int or numpy.random.Generator
    max_steps : int
        Cap on an episode's length.

    Returns
    -------
    ReinforceRun
        With the exact objective and the exact gradient's distance to each estimate, for diagnosis.
    """
    mdp = _check_mdp(mdp)
    lr = check_float(lr, "lr", low=0.0, low_open=True)
    n_iter = check_int(n_iter, "n_iter", low=1)
    batch = check_int(batch, "batch", low=1)
    if baseline not in ("none", "learned", "exact"):
        raise ValueError(f"baseline must be 'none', 'learned' or 'exact', got {baseline!r}")
    baseline_lr = check_float(baseline_lr, "baseline_lr", low=0.0, high=1.0, low_open=True)
    if theta0 is not None and as_array(theta0, "theta0", ndim=2).shape != (mdp.n_states, mdp.n_actions):
        raise ValueError(f"theta0 must have shape (S, A) = {(mdp.n_states, mdp.n_actions)}, got {np.shape(theta0)}")
    theta = np.zeros((mdp.n_states, mdp.n_actions)) if theta0 is None else _check_theta(mdp, theta0).copy()
    max_steps = check_int(max_steps, "max_steps", low=1)
    rng = check_random_state(rng)
    table = np.zeros(mdp.n_states)
    thetas, objective, returns, sq_err = [theta.copy()], [], [], []
    for _ in range(n_iter):
        pi = softmax_policy(theta)
        J, exact = exact_policy_gradient(mdp, theta)
        objective.append(J)
        eps = [sample_episode(mdp, pi, rng, max_steps) for _ in range(batch)]
        b = {"none": None, "learned": table}.get(baseline)
        if baseline == "exact":
            b = rl.policy_evaluation(mdp, pi)
        g = np.mean([_episode_gradient(pi, ep, mdp.gamma, b, True, True) for ep in eps], axis=0)
        sq_err.append(float(((g - exact) ** 2).sum()))
        for ep in eps:
            G = _returns(ep.rewards, mdp.gamma)
            returns.append(G[0])
            if baseline == "learned":
                for s, g_t in zip(ep.states, G):
                    table[s] += baseline_lr * (g_t - table[s])
        theta = theta + lr * g
        thetas.append(theta.copy())
    objective.append(policy_objective(mdp, theta))
    return ReinforceRun(np.array(thetas), np.array(objective), np.array(returns).reshape(n_iter, batch),
                        np.array(sq_err))

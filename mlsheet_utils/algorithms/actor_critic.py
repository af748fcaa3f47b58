r"""Actor-critic learning with tabular softmax actors: advantage estimators, entropy, one-step AC and batched A2C.

The actor is a softmax table :math:`\pi_\theta(a \mid s)` (see
:func:`~mlsheet_utils.algorithms.policy_gradient.softmax_policy`); the critic is a table :math:`V(s)`. Every
estimator of the advantage :math:`A(s_t, a_t)` starts from the TD error

.. math:: \delta_t = r_{t+1} + \gamma\, (1 - d_{t+1})\, V(s_{t+1}) - V(s_t),

with :math:`d_{t+1} = 1` when :math:`s_{t+1}` ends the episode.

- :func:`n_step_advantages`  :math:`\sum_{k<n} \gamma^k r_{t+k+1} + \gamma^n V(s_{t+n}) - V(s_t)`, cut at the end
  of an episode or of the rollout;
- :func:`gae`                generalised advantage estimation, :math:`\hat A_t = \sum_k (\gamma\lambda)^k
  \delta_{t+k}`, one backward pass over a (T, N) rollout;
- :func:`gae_bias`           the exact bias :math:`\mathbb{E}[\hat A_t \mid s, a] - A^\pi(s, a)` of GAE over an
  endless rollout when the critic is wrong, and :func:`n_step_bias` the same for :func:`n_step_advantages`;
- :func:`advantage_gradient` :math:`\sum_i w_i \nabla_\theta \log \pi_\theta(a_i \mid s_i)` for a batch of
  visited pairs and weights (advantages, possibly times :math:`\gamma^t`);
- :func:`policy_entropy`, :func:`entropy_gradient` the entropy of each state's action distribution and the
  gradient of their sum;
- :func:`stack_episodes`     episodes of different lengths as one padded (T, N) :class:`Rollout`, the layout
  :func:`gae` and :func:`n_step_advantages` take;
- :func:`one_step_actor_critic` online actor-critic: TD(0) critic, actor stepped along :math:`\delta_t
  \nabla \log \pi`, after every transition (an :class:`ActorCriticResult`);
- :func:`a2c` synchronous advantage actor-critic: ``n_envs`` copies of the MDP stepped together for
  ``n_steps``, GAE advantages, one combined actor, critic and entropy step per rollout (an :class:`A2CResult`).

Example
-------
>>> from mlsheet_utils.algorithms import rl
>>> mdp = rl.gridworld(rl.ROOM, gamma=0.9)
>>> run = one_step_actor_critic(mdp, alpha_actor=0.5, alpha_critic=0.5, episodes=300, rng=0)
>>> bool(run.returns[-50:].mean() > run.returns[:50].mean())
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms import rl
from mlsheet_utils.algorithms.policy_gradient import softmax_policy
from mlsheet_utils.validation import as_array, check_float, check_indices, check_int, check_random_state


def _check_mdp(mdp) -> rl.MDP:
    if not isinstance(mdp, rl.MDP):
        raise ValueError(f"mdp must be an rl.MDP, got {type(mdp).__name__}")
    return mdp


@dataclass(frozen=True)
class Rollout:
    """N episodes padded to a common length T (see :func:`stack_episodes`); every array has shape (T, N)."""

    states: np.ndarray    #: s_t (0 after the episode has ended)
    actions: np.ndarray   #: a_t (0 after the end)
    rewards: np.ndarray   #: r_{t+1} (0 after the end)
    dones: np.ndarray     #: True at the last step of a finished episode, and after it
    mask: np.ndarray      #: True at the steps that happened


def stack_episodes(episodes) -> Rollout:
    r"""Stack episodes (objects with ``states``, ``actions``, ``rewards`` arrays, such as
    :class:`~mlsheet_utils.algorithms.policy_gradient.Episode`) as columns of a padded :class:`Rollout`.

    A truncated episode (attribute ``truncated`` true) is not marked done at its last step, so :func:`gae`
    bootstraps there from ``last_values``/the padding; a finished one is. Each episode must have at least one step,
    states and actions that are integers >= 0, one reward per step and finite rewards.
    """
    if isinstance(episodes, str) or not hasattr(episodes, "__iter__"):
        raise ValueError(f"episodes must be a sequence of episodes, got {type(episodes).__name__}")
    episodes = list(episodes)
    for i, e in enumerate(episodes):
        if not all(hasattr(e, field) for field in ("states", "actions", "rewards")):
            raise ValueError(f"episodes[{i}] must have states, actions and rewards arrays, got {type(e).__name__}")
        states = check_indices(e.states, f"episodes[{i}].states", ndim=1, empty=True)
        actions = check_indices(e.actions, f"episodes[{i}].actions", ndim=1, empty=True)
        rewards = as_array(e.rewards, f"episodes[{i}].rewards", ndim=1, empty=True)
        if not states.size == actions.size == rewards.size:
            raise ValueError(f"episodes[{i}] must have one action and one reward per state, got lengths "
                             f"{states.size}, {actions.size} and {rewards.size}")
    if not episodes or any(len(e.states) == 0 for e in episodes):
        raise ValueError("episodes must be a non-empty list of non-empty episodes")
    T, N = max(len(e.states) for e in episodes), len(episodes)
    states, actions = np.zeros((T, N), int), np.zeros((T, N), int)
    rewards, dones, mask = np.zeros((T, N)), np.ones((T, N), bool), np.zeros((T, N), bool)
    for j, e in enumerate(episodes):
        n = len(e.states)
        states[:n, j], actions[:n, j], rewards[:n, j], mask[:n, j] = e.states, e.actions, e.rewards, True
        dones[:n - 1, j] = False
        dones[n - 1, j] = not getattr(e, "truncated", False)
    return Rollout(states, actions, rewards, dones, mask)


def _rollout_arrays(rewards, values, dones, last_values):
    rewards = as_array(rewards, "rewards")
    if rewards.ndim not in (1, 2) or rewards.shape[0] == 0:
        raise ValueError(f"rewards must have shape (T,) or (T, N) with T >= 1, got {rewards.shape}")
    shape = rewards.shape
    if np.shape(values) != shape:
        raise ValueError(f"values must have the shape of rewards {shape}, got {np.shape(values)}")
    if dones is not None and np.shape(dones) != shape:
        raise ValueError(f"dones must be a boolean array shaped like rewards {shape}, got shape {np.shape(dones)}")
    if np.ndim(last_values) > 1:
        raise ValueError(f"last_values must be a number or a 1-d array (one value per column), got shape "
                         f"{np.shape(last_values)}")
    one_d = rewards.ndim == 1
    rewards = rewards.reshape(rewards.shape[0], -1)
    values = as_array(values, "values").reshape(rewards.shape[0], -1) if np.size(values) == rewards.size \
        else None
    if values is None:
        raise ValueError(f"values must have the shape of rewards {rewards.shape}, got {np.shape(values)}")
    dones = np.zeros(rewards.shape, bool) if dones is None else np.asarray(dones)
    if dones.size != rewards.size or dones.dtype != bool:
        raise ValueError(f"dones must be a boolean array shaped like rewards {rewards.shape}")
    dones = dones.reshape(rewards.shape)
    last_values = as_array(last_values, "last_values").reshape(-1)
    if last_values.size == 1:
        last_values = np.repeat(last_values, rewards.shape[1])
    if last_values.size != rewards.shape[1]:
        raise ValueError(f"last_values must hold one value per column ({rewards.shape[1]}), got "
                         f"{last_values.size}")
    return rewards, values, dones, last_values, one_d


def gae(rewards, values, dones=None, last_values=0.0, gamma: float = 0.99, lam: float = 0.95) -> np.ndarray:
    r"""Generalised advantage estimates of a rollout, by one backward pass.

    .. math:: \delta_t = r_{t+1} + \gamma (1 - d_{t+1}) V(s_{t+1}) - V(s_t), \qquad
              \hat A_t = \delta_t + \gamma \lambda (1 - d_{t+1}) \hat A_{t+1},

    with :math:`V(s_T)` = ``last_values`` (the bootstrap after the rollout) and :math:`\hat A_T = 0`.
    :math:`\lambda = 0` gives the TD error, :math:`\lambda = 1` the discounted return to the end of the
    episode or rollout minus :math:`V(s_t)`; in between, the :math:`(1-\lambda)\lambda^{n-1}`-weighted
    average of the :func:`n_step_advantages`.

    Parameters
    ----------
    rewards : array_like, shape (T,) or (T, N)
        :math:`r_{t+1}` of each step of N parallel rollouts.
    values : array_like, same shape
        :math:`V(s_t)`.
    dones : array_like of bool, same shape, optional
        :math:`d_{t+1}`: step t entered a terminal state (then nothing after it is counted for step t).
    last_values : float or array_like, shape (N,)
        :math:`V(s_T)`, the value of the state after the last step (ignored where the last step was done).
    gamma, lam : float in [0, 1]

    Returns
    -------
    ndarray, the shape of ``rewards``
        :math:`\hat A_t`; the critic's target (the :math:`\lambda`-return) is ``advantages + values``.
    """
    rewards, values, dones, last_values, one_d = _rollout_arrays(rewards, values, dones, last_values)
    gamma = check_float(gamma, "gamma", low=0.0, high=1.0)
    lam = check_float(lam, "lam", low=0.0, high=1.0)
    live = 1.0 - dones
    next_values = np.vstack([values[1:], last_values[None]])
    delta = rewards + gamma * live * next_values - values
    adv = np.zeros_like(delta)
    running = np.zeros(delta.shape[1])
    for t in range(delta.shape[0] - 1, -1, -1):
        running = delta[t] + gamma * lam * live[t] * running
        adv[t] = running
    return adv[:, 0] if one_d else adv


def n_step_advantages(rewards, values, dones=None, last_values=0.0, gamma: float = 0.99, n: int = 1) -> np.ndarray:
    r"""n-step advantage estimates of a rollout.

    .. math:: \hat A^{(n)}_t = \sum_{k=0}^{m-1} \gamma^k r_{t+k+1} + \gamma^m (1 - d_{t+m}) V(s_{t+m}) - V(s_t),

    with :math:`m = \min(n, T - t, \text{steps to the end of the episode})`: the sum stops at a terminal state
    (nothing is bootstrapped from it) or at the end of the rollout (bootstrapped from ``last_values``).
    ``n = 1`` is the TD error; ``n >= T`` the Monte-Carlo return minus :math:`V(s_t)`.

    Parameters
    ----------
    rewards, values, dones, last_values, gamma : as in :func:`gae`
    n : int >= 1

    Returns
    -------
    ndarray, the shape of ``rewards``
    """
    rewards, values, dones, last_values, one_d = _rollout_arrays(rewards, values, dones, last_values)
    gamma = check_float(gamma, "gamma", low=0.0, high=1.0)
    n = check_int(n, "n", low=1)
    T = rewards.shape[0]
    v_ext = np.vstack([values, last_values[None]])           # V(s_0) .. V(s_T)
    total = np.zeros_like(rewards)
    live = np.ones_like(rewards)                              # 1 while no terminal state has been entered
    discount = 1.0
    for k in range(min(n, T)):
        idx = np.arange(T) + k
        valid = idx < T
        r_k = np.where(valid[:, None], rewards[np.minimum(idx, T - 1)], 0.0)
        total += discount * live * r_k
        live = live * np.where(valid[:, None], 1.0 - dones[np.minimum(idx, T - 1)], 1.0)
        discount *= gamma
    # bootstrap from s_{t+m}, m = min(n, T - t), unless a terminal state came first
    m = np.minimum(n, T - np.arange(T))
    boot = v_ext[np.arange(T) + m] * gamma ** m[:, None]
    adv = total + live * boot - values
    return adv[:, 0] if one_d else adv


def gae_bias(mdp: rl.MDP, policy, V, lam: float) -> np.ndarray:
    r"""Exact bias of GAE(:math:`\lambda`) with critic ``V`` under ``policy``, for a rollout that runs to the episode's
    end: :math:`b(s, a) = \mathbb{E}[\hat A_t \mid s_t = s, a_t = a] - A^\pi(s, a)`, shape (S, A).

    With :math:`e = V - V^\pi` (0 at terminal states) the TD errors telescope:

    .. math:: b(s, a) = -e(s) + \gamma (1 - \lambda) \sum_{s'} P(s' \mid s, a)
              \bigl[(I - \gamma\lambda P_\pi)^{-1} e\bigr](s'),

    so :math:`\lambda = 0` gives :math:`\gamma\, \mathbb{E}[e(s')] - e(s)` and :math:`\lambda = 1` gives
    :math:`-e(s)`, the same for every action: a bias that depends on the state only cancels in the policy gradient,
    because :math:`\sum_a \pi(a \mid s) \nabla \log \pi(a \mid s) = 0`.

    Parameters
    ----------
    mdp : rl.MDP
    policy : array_like, shape (S, A) of probabilities, or (S,) of actions
    V : array_like, shape (S,)
        The critic (its terminal entries are ignored).
    lam : float in [0, 1]
    """
    mdp = _check_mdp(mdp)
    pi = rl._policy_matrix(mdp, policy)
    V = as_array(V, "V", ndim=1)
    if V.shape != (mdp.n_states,):
        raise ValueError(f"V must have shape ({mdp.n_states},), got {V.shape}")
    lam = check_float(lam, "lam", low=0.0, high=1.0)
    e = np.where(mdp.terminal, 0.0, V - rl.policy_evaluation(mdp, pi))
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    P_pi[mdp.terminal] = 0.0                                  # nothing follows a terminal state
    ahead = np.linalg.solve(np.eye(mdp.n_states) - mdp.gamma * lam * P_pi, e)
    return -e[:, None] + mdp.gamma * (1.0 - lam) * mdp.P @ ahead


def n_step_bias(mdp: rl.MDP, policy, V, n: int) -> np.ndarray:
    r"""Exact bias of the n-step advantage with critic ``V`` under ``policy`` (rollouts long enough), shape (S, A).

    .. math:: b(s, a) = \gamma^n \sum_{s'} P(s' \mid s, a)\, \bigl[P_\pi^{\,n-1} e\bigr](s') - e(s),
              \qquad e = V - V^\pi,

    with terminal states absorbing and worth 0, so an episode that ends within n steps adds no bias but
    :math:`-e(s)`.
    """
    mdp = _check_mdp(mdp)
    pi = rl._policy_matrix(mdp, policy)
    V = as_array(V, "V", ndim=1)
    if V.shape != (mdp.n_states,):
        raise ValueError(f"V must have shape ({mdp.n_states},), got {V.shape}")
    n = check_int(n, "n", low=1)
    e = np.where(mdp.terminal, 0.0, V - rl.policy_evaluation(mdp, pi))
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    P_pi[mdp.terminal] = 0.0
    ahead = np.linalg.matrix_power(P_pi, n - 1) @ e
    return -e[:, None] + mdp.gamma ** n * mdp.P @ ahead


def advantage_gradient(theta, states, actions, weights) -> np.ndarray:
    r""":math:`\sum_i w_i \nabla_\theta \log \pi_\theta(a_i \mid s_i)` for a tabular softmax actor, shape (S, A).

    The score of a softmax row is :math:`e_{a} - \pi(\cdot \mid s)` in row :math:`s` and zero elsewhere, so
    the sum adds :math:`w_i` at :math:`(s_i, a_i)` and subtracts :math:`w_i \pi(\cdot \mid s_i)` from row
    :math:`s_i`. With :math:`w_i = \gamma^{t_i} A(s_i, a_i)` summed over an episode it is an unbiased
    estimate of :math:`\nabla_\theta J` (the policy-gradient theorem).

    Parameters
    ----------
    theta : array_like, shape (S, A)
    states, actions : array_like of int, shape (B,)
    weights : array_like, shape (B,)

    Returns
    -------
    ndarray, shape (S, A); each row sums to 0.
    """
    pi = softmax_policy(theta)
    S, A = pi.shape
    states, actions = np.asarray(states), np.asarray(actions)
    weights = as_array(weights, "weights", ndim=1)
    for name, arr, hi in (("states", states, S), ("actions", actions, A)):
        if arr.shape != weights.shape or not np.issubdtype(arr.dtype, np.integer) or np.any((arr < 0) | (arr >= hi)):
            raise ValueError(f"{name} must be integers in [0, {hi - 1}] shaped like weights {weights.shape}")
    return _advantage_gradient(pi, states, actions, weights)


def _advantage_gradient(pi, states, actions, weights):
    S, A = pi.shape
    grad = np.bincount(states * A + actions, weights, minlength=S * A).reshape(S, A)
    per_state = np.bincount(states, weights, minlength=S)
    return grad - per_state[:, None] * pi


def policy_entropy(theta) -> np.ndarray:
    r""":math:`H(\pi(\cdot \mid s)) = -\sum_a \pi(a \mid s) \log \pi(a \mid s)` for every state, shape (S,)."""
    pi = softmax_policy(theta)
    return -(pi * np.log(np.where(pi > 0, pi, 1.0))).sum(1)


def entropy_gradient(theta) -> np.ndarray:
    r"""Gradient of :math:`\sum_s H(\pi_\theta(\cdot \mid s))` with respect to the logits, shape (S, A).

    .. math:: \frac{\partial H_s}{\partial \theta_{sa}} = -\pi(a \mid s)\,\bigl(\log \pi(a \mid s) + H_s\bigr),

    which vanishes at the uniform distribution (the entropy's maximum) and sums to 0 over each row.
    """
    pi = softmax_policy(theta)
    log_pi = np.log(np.where(pi > 0, pi, 1.0))
    H = -(pi * log_pi).sum(1, keepdims=True)
    return -pi * (log_pi + H)


@dataclass(frozen=True)
class ActorCriticResult:
    r"""What :func:`one_step_actor_critic` returns.

    Attributes
    ----------
    theta : ndarray, shape (S, A)
        The actor's logits after the last episode.
    V : ndarray, shape (S,)
        The critic after the last episode.
    returns : ndarray, shape (episodes,)
        Discounted return of each episode.
    lengths : ndarray of int, shape (episodes,)
    theta_history, V_history : ndarray, shape (episodes + 1, S, A) and (episodes + 1, S), or None
        With ``history=True``, the tables before the first and after every episode.
    """

    theta: np.ndarray
    V: np.ndarray
    returns: np.ndarray
    lengths: np.ndarray
    theta_history: np.ndarray | None = None
    V_history: np.ndarray | None = None


def one_step_actor_critic(mdp: rl.MDP, alpha_actor: float = 0.1, alpha_critic: float = 0.1,
                          episodes: int = 500, rng=0, max_steps: int = 200, *, theta_init=None,
                          v_init=0.0, discount_actor: bool = True, history: bool = False) -> ActorCriticResult:
    r"""One-step (online) actor-critic with a softmax table and a TD(0) critic.

    After every transition :math:`(s, a, r, s')` of an episode started in ``mdp.start``:

    .. math:: \delta = r + \gamma (1 - d') V(s') - V(s), \qquad V(s) \leftarrow V(s) + \alpha_w \delta, \qquad
              \theta_{s\cdot} \leftarrow \theta_{s\cdot} + \alpha_\theta\, I\, \delta\,
              \bigl(e_a - \pi_\theta(\cdot \mid s)\bigr),

    with :math:`I = \gamma^t` (the discount of the start-state objective; 1 when ``discount_actor`` is false,
    as most implementations do). The critic's TD error stands in for the advantage :math:`A(s, a)`. With
    ``alpha_actor = 0`` the actor is frozen and the critic is plain TD(0) evaluation of it.

    Parameters
    ----------
    mdp : rl.MDP
    alpha_actor : float >= 0
    alpha_critic : float in [0, 1]
    episodes : int >= 1
    rng : int or numpy.random.Generator
    max_steps : int >= 1
        Step limit per episode (a cut episode still bootstraps at its last step).
    theta_init : array_like, shape (S, A), optional
        Initial logits (default all zero: the uniform policy).
    v_init : float or array_like, shape (S,)
        Initial critic (terminal entries are set to 0).
    discount_actor : bool
    history : bool

    Returns
    -------
    ActorCriticResult
    """
    mdp = _check_mdp(mdp)
    alpha_actor = check_float(alpha_actor, "alpha_actor", low=0.0)
    alpha_critic = check_float(alpha_critic, "alpha_critic", low=0.0, high=1.0)
    episodes = check_int(episodes, "episodes", low=1)
    max_steps = check_int(max_steps, "max_steps", low=1)
    S, A = mdp.n_states, mdp.n_actions
    theta0 = np.zeros((S, A)) if theta_init is None else as_array(theta_init, "theta_init", ndim=2)
    if theta0.shape != (S, A):
        raise ValueError(f"theta_init must have shape {(S, A)}, got {theta0.shape}")
    if np.ndim(v_init) == 1 and np.size(v_init) not in (1, S):
        raise ValueError(f"v_init must be a number or an array of shape ({S},), got shape {np.shape(v_init)}")
    v0 = np.array(np.broadcast_to(as_array(v_init, "v_init"), (S,))) if np.ndim(v_init) <= 1 else None
    if v0 is None or v0.shape != (S,):
        raise ValueError(f"v_init must be a number or an array of shape ({S},)")
    v0[mdp.terminal] = 0.0
    draw = check_random_state(rng).random
    gamma = mdp.gamma
    theta, V = theta0.tolist(), v0.tolist()
    returns, lengths = np.zeros(episodes), np.zeros(episodes, dtype=int)
    th_hist = np.empty((episodes + 1, S, A)) if history else None
    v_hist = np.empty((episodes + 1, S)) if history else None
    if history:
        th_hist[0], v_hist[0] = theta, V
    for ep in range(episodes):
        s, G, discount, n_steps = mdp.start, 0.0, 1.0, 0
        for _ in range(max_steps):
            row = theta[s]
            top = max(row)
            w = [math.exp(x - top) for x in row]
            z = sum(w)
            pi = [x / z for x in w]
            u, a, acc = draw(), 0, pi[0]                       # sample a ~ pi(. | s)
            while u >= acc and a < A - 1:
                a += 1
                acc += pi[a]
            s_next, r, done = rl._step(mdp, s, a, draw)
            delta = r + (0.0 if done else gamma * V[s_next]) - V[s]
            V[s] += alpha_critic * delta
            step = alpha_actor * (discount if discount_actor else 1.0) * delta
            for b in range(A):                                 # theta_s += step * (e_a - pi)
                row[b] -= step * pi[b]
            row[a] += step
            G += discount * r
            discount *= gamma
            n_steps += 1
            s = s_next
            if done:
                break
        returns[ep], lengths[ep] = G, n_steps
        if history:
            th_hist[ep + 1], v_hist[ep + 1] = theta, V
    return ActorCriticResult(np.array(theta), np.array(V), returns, lengths, th_hist, v_hist)


@dataclass(frozen=True)
class A2CResult:
    r"""What :func:`a2c` returns.

    Attributes
    ----------
    theta : ndarray, shape (S, A)
        The actor's logits after the last update.
    V : ndarray, shape (S,)
        The critic after the last update.
    theta_history : ndarray, shape (updates + 1, S, A)
        The logits before the first and after every update.
    V_history : ndarray, shape (updates + 1, S)
    episode_returns : ndarray
        Discounted returns of the episodes completed during training, in the order they ended.
    """

    theta: np.ndarray
    V: np.ndarray
    theta_history: np.ndarray
    V_history: np.ndarray
    episode_returns: np.ndarray


def a2c(mdp: rl.MDP, n_envs: int = 8, n_steps: int = 5, lam: float = 1.0, alpha_actor: float = 0.5,
        alpha_critic: float = 0.5, entropy_coef: float = 0.0, updates: int = 200, rng=0) -> A2CResult:
    r"""Synchronous advantage actor-critic (A2C) with tabular actor and critic.

    ``n_envs`` copies of the MDP advance together (a finished copy restarts at ``mdp.start``). Each update
    collects ``n_steps`` transitions from every copy, a batch of :math:`B` = ``n_envs * n_steps``, computes the
    :func:`gae` advantages :math:`\hat A` bootstrapped from the critic, and takes one step on the combined
    objective (the policy term, the entropy bonus and the squared error of the critic):

    .. math:: \theta \leftarrow \theta + \alpha_\theta \Bigl[\tfrac{1}{B} \sum_i \hat A_i
              \nabla \log \pi_\theta(a_i \mid s_i) + \beta\, \nabla \textstyle\sum_s H(\pi_\theta(\cdot \mid s))
              \Bigr], \qquad
              V(s) \leftarrow V(s) + \alpha_w \frac{\sum_{i: s_i = s} (\hat A_i + V(s_i) - V(s))}{n(s)},

    i.e. each visited state's value moves a fraction :math:`\alpha_w` towards the mean :math:`\lambda`-return
    observed from it. The actor step has no :math:`\gamma^t` factor (as in practice).

    Parameters
    ----------
    mdp : rl.MDP
    n_envs, n_steps : int >= 1
    lam : float in [0, 1]
        GAE parameter (1: returns to the end of the rollout; 0: one-step TD errors).
    alpha_actor : float >= 0
    alpha_critic : float in [0, 1]
    entropy_coef : float >= 0
        :math:`\beta`.
    updates : int >= 1
    rng : int or numpy.random.Generator

    Returns
    -------
    A2CResult
    """
    mdp = _check_mdp(mdp)
    n_envs = check_int(n_envs, "n_envs", low=1)
    n_steps = check_int(n_steps, "n_steps", low=1)
    lam = check_float(lam, "lam", low=0.0, high=1.0)
    alpha_actor = check_float(alpha_actor, "alpha_actor", low=0.0)
    alpha_critic = check_float(alpha_critic, "alpha_critic", low=0.0, high=1.0)
    entropy_coef = check_float(entropy_coef, "entropy_coef", low=0.0)
    updates = check_int(updates, "updates", low=1)
    gen = check_random_state(rng)
    S, A = mdp.n_states, mdp.n_actions
    cdf_next = np.cumsum(mdp.P, axis=-1)
    cdf_next[..., -1] = 1.0
    reward_of = np.broadcast_to(mdp.R[:, :, None], mdp.P.shape) if mdp.R_next is None else mdp.R_next
    gamma = mdp.gamma
    theta, V = np.zeros((S, A)), np.zeros(S)
    th_hist, v_hist = np.empty((updates + 1, S, A)), np.empty((updates + 1, S))
    th_hist[0], v_hist[0] = theta, V
    s = np.full(n_envs, mdp.start)
    G, disc = np.zeros(n_envs), np.ones(n_envs)
    finished = []
    states, actions = np.empty((n_steps, n_envs), int), np.empty((n_steps, n_envs), int)
    rewards, dones = np.empty((n_steps, n_envs)), np.empty((n_steps, n_envs), bool)
    for k in range(updates):
        pi = softmax_policy(theta)
        cdf_pi = np.cumsum(pi, axis=1)
        cdf_pi[:, -1] = 1.0
        for t in range(n_steps):                     # every copy steps at once
            u = gen.random((2, n_envs))
            a = (u[0][:, None] >= cdf_pi[s]).sum(1)
            s_next = (u[1][:, None] >= cdf_next[s, a]).sum(1)
            r = reward_of[s, a, s_next]
            done = mdp.terminal[s_next]
            states[t], actions[t], rewards[t], dones[t] = s, a, r, done
            G += disc * r
            disc *= gamma
            if done.any():
                finished.extend(G[done].tolist())
                G[done], disc[done] = 0.0, 1.0
            s = np.where(done, mdp.start, s_next)
        adv = gae(rewards, V[states], dones, V[s], gamma, lam)
        flat_s, flat_a, flat_adv = states.ravel(), actions.ravel(), adv.ravel()
        grad = _advantage_gradient(pi, flat_s, flat_a, flat_adv) / flat_s.size
        if entropy_coef:
            grad = grad + entropy_coef * entropy_gradient(theta)
        counts = np.bincount(flat_s, minlength=S)
        err = np.bincount(flat_s, flat_adv, minlength=S)     # sum of (lambda-return - V(s)) per state
        V = V + alpha_critic * err / np.maximum(counts, 1)
        theta = theta + alpha_actor * grad
        th_hist[k + 1], v_hist[k + 1] = theta, V
    return A2CResult(theta, V, th_hist, v_hist, np.array(finished))

r"""Trust-region policy updates on tabular softmax policies: PPO's clipped surrogate and TRPO's natural step.

Both methods improve a policy :math:`\pi_\theta` (logits ``theta[s, a]``, see
:mod:`~mlsheet_utils.algorithms.policy_gradient`) through the *surrogate* built at the current policy
:math:`\pi = \pi_{\theta_{old}}`,

.. math:: L_\pi(\theta) = J(\pi) + \frac{1}{1-\gamma} \sum_s d_\pi(s) \sum_a \pi_\theta(a \mid s)\, A_\pi(s, a)
          = J(\pi) + \frac{1}{1-\gamma}\, \mathbb{E}_{s \sim d_\pi,\, a \sim \pi}\big[r_\theta(s, a) A_\pi(s, a)\big],

with :math:`r_\theta = \pi_\theta / \pi` the probability ratio. It matches :math:`J(\pi_\theta)` to first order
at :math:`\theta_{old}`; far from it the two part, which is why both methods keep the new policy close.

Exact quantities of a known MDP (linear solves):

- :func:`advantages`            :math:`A_\pi = q_\pi - v_\pi`, shape (S, A);
- :func:`surrogate_objective`   :math:`L_\pi(\theta)`; :func:`surrogate_gradient` its gradient in ``theta``;
- :func:`state_weights`         :math:`d_\pi` on the non-terminal states, renormalised (where KLs are averaged);
- :func:`mean_kl`, :func:`max_kl`  :math:`\mathbb{E}_{s}[\mathrm{KL}(\pi(\cdot|s) \,\|\, \pi_\theta(\cdot|s))]`
  and its max;
- :func:`improvement_lower_bound`  :math:`L_\pi(\theta) - C \max_s \mathrm{KL}`,
  :math:`C = 4 \varepsilon \gamma / (1-\gamma)^2`.

PPO (sampled): :func:`clipped_objective` and :func:`clipped_objective_grad` (per sample, in the ratio),
:func:`rollout_batch` (a :class:`RolloutBatch` of episodes), :func:`clipped_surrogate` (value and gradient in
``theta``), :func:`ppo_update` (the epochs on one batch, a :class:`PPOUpdate`) and :func:`ppo` (a
:class:`PPOResult`).

TRPO (exact): :func:`fisher_matrix`, :func:`fisher_vector_product`, :func:`conjugate_gradient`,
:func:`natural_gradient`, :func:`trpo_step` (a :class:`TRPOStep`) and :func:`trpo` (a :class:`TRPOResult`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.special

from mlsheet_utils.algorithms import policy_gradient as pg
from mlsheet_utils.algorithms import rl
from mlsheet_utils.validation import as_array, check_callable, check_float, check_indices, check_int, check_random_state


def _check(mdp, theta, name: str = "theta") -> np.ndarray:
    if not isinstance(mdp, rl.MDP):
        raise ValueError(f"mdp must be an rl.MDP, got {type(mdp).__name__}")
    theta = as_array(theta, name, ndim=2)
    if theta.shape != (mdp.n_states, mdp.n_actions):
        raise ValueError(f"{name} must have shape (S, A) = {(mdp.n_states, mdp.n_actions)}, got {theta.shape}")
    return theta


def _log_policy(theta: np.ndarray) -> np.ndarray:
    return theta - scipy.special.logsumexp(theta, axis=1, keepdims=True)


# ---------------------------------------------------------------- exact quantities of a known MDP


def advantages(mdp: rl.MDP, theta) -> np.ndarray:
    r"""The exact advantage :math:`A_\pi(s, a) = q_\pi(s, a) - v_\pi(s)` of the softmax policy, shape (S, A)."""
    pi = pg.softmax_policy(_check(mdp, theta))
    v = rl.policy_evaluation(mdp, pi)
    return rl.q_from_v(mdp, v) - v[:, None]


def _surrogate_parts(mdp: rl.MDP, theta_old: np.ndarray):
    pi_old = pg.softmax_policy(theta_old)
    v = rl.policy_evaluation(mdp, pi_old)
    A = rl.q_from_v(mdp, v) - v[:, None]
    d = rl.discounted_occupancy(mdp, pi_old)
    return float(v[mdp.start]), A, d


def surrogate_objective(mdp: rl.MDP, theta_old, theta) -> float:
    r""":math:`L_{\pi_{old}}(\theta) = J(\pi_{old}) + \frac{1}{1-\gamma}\sum_s d_{old}(s) \sum_a
    \pi_\theta(a \mid s) A_{old}(s, a)`, the local model of :math:`J(\pi_\theta)` built at ``theta_old``.

    Parameters
    ----------
    mdp : rl.MDP
    theta_old, theta : array_like, shape (S, A)
        Logits of the current policy (where the model is built) and of the candidate.
    """
    theta_old, theta = _check(mdp, theta_old, "theta_old"), _check(mdp, theta)
    J, A, d = _surrogate_parts(mdp, theta_old)
    return J + float(d @ (pg.softmax_policy(theta) * A).sum(1)) / (1.0 - mdp.gamma)


def surrogate_gradient(mdp: rl.MDP, theta_old, theta) -> np.ndarray:
    r"""Gradient of :func:`surrogate_objective` in ``theta``, shape (S, A):
    :math:`\frac{1}{1-\gamma} d_{old}(s)\, \pi_\theta(a|s) \big(A_{old}(s,a) - \sum_b \pi_\theta(b|s)
    A_{old}(s,b)\big)`.

    At ``theta = theta_old`` the inner sum is :math:`\sum_b \pi(b|s) A_\pi(s, b) = 0` and this is the
    policy gradient.
    """
    theta_old, theta = _check(mdp, theta_old, "theta_old"), _check(mdp, theta)
    _, A, d = _surrogate_parts(mdp, theta_old)
    pi = pg.softmax_policy(theta)
    return d[:, None] * pi * (A - (pi * A).sum(1, keepdims=True)) / (1.0 - mdp.gamma)


def state_weights(mdp: rl.MDP, theta) -> np.ndarray:
    r"""The discounted occupancy :math:`d_\pi` restricted to non-terminal states and renormalised, shape (S,).

    These are the states where the agent acts, so the states a sampled batch averages its KL over.
    """
    pi = pg.softmax_policy(_check(mdp, theta))
    return _state_weights(mdp, pi)


def _state_weights(mdp: rl.MDP, pi: np.ndarray) -> np.ndarray:
    d = np.where(mdp.terminal, 0.0, rl.discounted_occupancy(mdp, pi))
    return d / d.sum()


def _kl_rows(theta_old: np.ndarray, theta: np.ndarray) -> np.ndarray:
    log_old = _log_policy(theta_old)
    return (np.exp(log_old) * (log_old - _log_policy(theta))).sum(1)


def mean_kl(mdp: rl.MDP, theta_old, theta) -> float:
    r""":math:`\bar D = \sum_s w(s)\, \mathrm{KL}\big(\pi_{old}(\cdot|s) \,\|\, \pi_\theta(\cdot|s)\big)` with
    :math:`w` = :func:`state_weights` of the old policy: TRPO's constraint."""
    theta_old, theta = _check(mdp, theta_old, "theta_old"), _check(mdp, theta)
    return float(_state_weights(mdp, pg.softmax_policy(theta_old)) @ _kl_rows(theta_old, theta))


def max_kl(mdp: rl.MDP, theta_old, theta) -> float:
    r""":math:`\max_s \mathrm{KL}(\pi_{old}(\cdot|s) \,\|\, \pi_\theta(\cdot|s))` over non-terminal states."""
    theta_old, theta = _check(mdp, theta_old, "theta_old"), _check(mdp, theta)
    return float(_kl_rows(theta_old, theta)[~mdp.terminal].max())


def improvement_lower_bound(mdp: rl.MDP, theta_old, theta) -> float:
    r"""The monotonic-improvement bound :math:`J(\pi_\theta) \ge L_{\pi}(\theta) - C \max_s \mathrm{KL}(\pi \,\|\,
    \pi_\theta)` with :math:`C = 4 \varepsilon \gamma / (1-\gamma)^2` and
    :math:`\varepsilon = \max_{s,a} |A_\pi(s, a)|` (the right-hand side is returned)."""
    theta_old, theta = _check(mdp, theta_old, "theta_old"), _check(mdp, theta)
    J, A, d = _surrogate_parts(mdp, theta_old)
    L = J + float(d @ (pg.softmax_policy(theta) * A).sum(1)) / (1.0 - mdp.gamma)
    C = 4.0 * np.abs(A).max() * mdp.gamma / (1.0 - mdp.gamma) ** 2
    return L - C * float(_kl_rows(theta_old, theta)[~mdp.terminal].max())


# ---------------------------------------------------------------- PPO


def _check_ratio(ratio: np.ndarray, advantage: np.ndarray) -> None:
    if np.any(ratio < 0):
        raise ValueError(f"ratio must hold probability ratios >= 0, got a minimum of {ratio.min():.6g}")
    try:
        np.broadcast_shapes(ratio.shape, advantage.shape)
    except ValueError:
        raise ValueError(f"advantage must broadcast with ratio, got shapes {advantage.shape} and "
                         f"{ratio.shape}") from None


def clipped_objective(ratio, advantage, epsilon: float) -> np.ndarray:
    r"""PPO's per-sample objective :math:`\min\big(r A,\ \mathrm{clip}(r, 1-\epsilon, 1+\epsilon) A\big)`.

    Parameters
    ----------
    ratio : array_like, ratios :math:`r \ge 0`
    advantage : array_like, broadcastable with ``ratio``
    epsilon : float in (0, 1)

    Returns
    -------
    ndarray, the broadcast shape
    """
    ratio, advantage = as_array(ratio, "ratio"), as_array(advantage, "advantage")
    _check_ratio(ratio, advantage)
    epsilon = check_float(epsilon, "epsilon", low=0.0, high=1.0, low_open=True, high_open=True)
    return np.minimum(ratio * advantage, np.clip(ratio, 1.0 - epsilon, 1.0 + epsilon) * advantage)


def _active(ratio: np.ndarray, advantage: np.ndarray, epsilon: float) -> np.ndarray:
    # the unclipped term is the one the min picks (and it moves with r) unless r left the range on the side
    # the advantage pushes it to
    return np.where(advantage >= 0, ratio < 1.0 + epsilon, ratio > 1.0 - epsilon)


def clipped_objective_grad(ratio, advantage, epsilon: float) -> np.ndarray:
    r"""Derivative of :func:`clipped_objective` in the ratio: :math:`A` inside the active region, else 0.

    It is 0 where :math:`A > 0` and :math:`r > 1 + \epsilon`, or :math:`A < 0` and :math:`r < 1 - \epsilon`:
    there the clipped, constant term is the minimum.
    """
    ratio, advantage = as_array(ratio, "ratio"), as_array(advantage, "advantage")
    _check_ratio(ratio, advantage)
    epsilon = check_float(epsilon, "epsilon", low=0.0, high=1.0, low_open=True, high_open=True)
    ratio, advantage = np.broadcast_arrays(ratio, advantage)
    return np.where(_active(ratio, advantage, epsilon), advantage, 0.0)


@dataclass(frozen=True)
class RolloutBatch:
    r"""The samples of several episodes played by the old policy, flattened over time steps."""

    states: np.ndarray      #: s_t, shape (N,)
    actions: np.ndarray     #: a_t, shape (N,)
    advantages: np.ndarray  #: G_t - v_old(s_t), a one-episode estimate of A_old(s_t, a_t), shape (N,)
    weights: np.ndarray     #: gamma^t / n_episodes, so sums over samples estimate expectations over d_old, shape (N,)
    log_prob_old: np.ndarray  #: log pi_old(a_t | s_t), shape (N,)
    returns: np.ndarray     #: the discounted return G_0 of each episode, shape (n_episodes,)

    def __post_init__(self):
        # a batch a page builds (re-weighted, say) is checked: samples of one length N >= 1, states and actions
        # integers >= 0, finite advantages, weights >= 0, log-probabilities <= 0, finite returns
        fields = {"states": check_indices(self.states, "states", ndim=1),
                  "actions": check_indices(self.actions, "actions", ndim=1)}
        for name in ("advantages", "weights", "log_prob_old"):
            fields[name] = as_array(getattr(self, name), name, ndim=1)
        if len({x.size for x in fields.values()}) > 1:
            raise ValueError("states, actions, advantages, weights and log_prob_old must have one entry per sample, "
                             f"got lengths { {name: x.size for name, x in fields.items()} }")
        if np.any(fields["weights"] < 0):
            raise ValueError(f"weights must be >= 0, got a minimum of {fields['weights'].min():.6g}")
        if np.any(fields["log_prob_old"] > 1e-12):
            raise ValueError(f"log_prob_old must hold log-probabilities <= 0, got {fields['log_prob_old'].max():.6g}")
        fields["returns"] = as_array(self.returns, "returns", ndim=1)
        for name, x in fields.items():
            object.__setattr__(self, name, x)


def rollout_batch(mdp: rl.MDP, theta, n_episodes: int, rng, max_steps: int = 200) -> RolloutBatch:
    r"""Play ``n_episodes`` episodes of :math:`\pi_\theta` and return the samples PPO learns from.

    The advantage of each sample is the return-to-go minus the exact value, :math:`G_t - v_\pi(s_t)`: an
    unbiased estimate of :math:`A_\pi(s_t, a_t)` (the baseline is exact, so no critic is trained). Each sample
    is weighted by :math:`\gamma^t / n`, so :math:`\sum_i w_i f(s_i, a_i)` is unbiased for
    :math:`\frac{1}{1-\gamma}\mathbb{E}_{s \sim d_\pi, a \sim \pi}[f(s, a)]`.
    """
    theta = _check(mdp, theta)
    n_episodes = check_int(n_episodes, "n_episodes", low=1)
    max_steps = check_int(max_steps, "max_steps", low=1)
    return _rollout(mdp, theta, n_episodes, check_random_state(rng), max_steps)


def _rollout(mdp, theta, n_episodes, rng, max_steps) -> RolloutBatch:
    pi = pg.softmax_policy(theta)
    v = rl.policy_evaluation(mdp, pi)
    parts, returns = [], []
    for _ in range(n_episodes):
        ep = pg.sample_episode(mdp, pi, rng, max_steps=max_steps)
        G = pg.discounted_returns(ep.rewards, mdp.gamma)
        returns.append(G[0])
        parts.append((ep.states, ep.actions, G - v[ep.states], mdp.gamma ** np.arange(len(ep)) / n_episodes))
    s, a, adv, w = (np.concatenate(x) for x in zip(*parts))
    return RolloutBatch(s, a, adv, w, _log_policy(theta)[s, a], np.array(returns))


def _check_batch(batch, theta: np.ndarray, name: str) -> None:
    """``batch`` is a RolloutBatch whose states and actions index the logits ``theta``."""
    if not isinstance(batch, RolloutBatch):
        raise ValueError(f"batch must be a RolloutBatch, got {type(batch).__name__}")
    if batch.states.max() >= theta.shape[0] or batch.actions.max() >= theta.shape[1]:
        raise ValueError(f"batch visits states up to {batch.states.max()} and takes actions up to "
                         f"{batch.actions.max()}, outside {name}'s shape (S, A) = {theta.shape}")


def clipped_surrogate(theta, batch: RolloutBatch, epsilon: float | None,
                      index=None) -> tuple[float, np.ndarray]:
    r"""PPO's sampled objective :math:`\hat L(\theta) = \sum_i w_i \min(r_i A_i, \mathrm{clip}(r_i) A_i)` and its
    gradient in ``theta``, shape (S, A).

    With :math:`\partial r_i / \partial \theta = r_i \nabla_\theta \log \pi_\theta(a_i|s_i)` and the softmax score
    :math:`e_{a_i} - \pi_\theta(\cdot|s_i)` in row :math:`s_i`, the gradient is
    :math:`\sum_i w_i A_i\, \mathbb{1}[\text{active}_i]\, r_i\, (e_{a_i} - \pi_\theta(\cdot|s_i))`.
    ``epsilon=None`` drops the clip (the plain importance-weighted surrogate). ``index`` picks a minibatch (a
    non-empty 1-d array of sample indices in ``0..N-1``); its value and gradient are rescaled by
    ``N / len(index)`` so they estimate the full batch's. ``batch``'s states and actions must index ``theta``.
    """
    theta = as_array(theta, "theta", ndim=2)
    _check_batch(batch, theta, "theta")
    if epsilon is not None:
        epsilon = check_float(epsilon, "epsilon", low=0.0, high=1.0, low_open=True, high_open=True)
    if index is not None:
        index = check_indices(index, "index", ndim=1)
        if index.max() >= batch.states.size:
            raise ValueError(f"index must pick samples of the batch, below {batch.states.size}, got {index.max()}")
    idx = np.arange(batch.states.size) if index is None else as_array(index, "index", ndim=1, dtype=int)
    return _clipped_surrogate(theta, batch, epsilon, idx)


def _clipped_surrogate(theta, batch, epsilon, idx):
    s, a, adv = batch.states[idx], batch.actions[idx], batch.advantages[idx]
    w = batch.weights[idx] * (batch.states.size / idx.size)
    log_pi = _log_policy(theta)
    ratio = np.exp(log_pi[s, a] - batch.log_prob_old[idx])
    if epsilon is None:
        value, active = ratio * adv, np.ones(idx.size, dtype=bool)
    else:
        value = np.minimum(ratio * adv, np.clip(ratio, 1.0 - epsilon, 1.0 + epsilon) * adv)
        active = _active(ratio, adv, epsilon)
    coef = w * adv * active * ratio
    grad = np.zeros_like(theta)
    np.add.at(grad, (s, a), coef)
    grad -= np.exp(log_pi) * np.bincount(s, coef, minlength=theta.shape[0])[:, None]
    return float(w @ value), grad


@dataclass(frozen=True)
class PPOUpdate:
    """The epochs of one PPO iteration on one batch."""

    thetas: np.ndarray     #: logits before the first and after each epoch, shape (epochs + 1, S, A)
    ratios: np.ndarray     #: pi_theta / pi_old of every sample before the first and after each epoch, (epochs + 1, N)
    surrogate: np.ndarray  #: the batch's (clipped, if epsilon is given) surrogate at the same moments, (epochs + 1,)


def ppo_update(theta_old, batch: RolloutBatch, *, epsilon: float | None = 0.2, epochs: int = 4,
               minibatch_size: int = 16, lr: float = 0.5, rng=0) -> PPOUpdate:
    r"""PPO's inner loop: ``epochs`` passes over ``batch`` in shuffled minibatches, each a gradient-ascent step
    :math:`\theta \leftarrow \theta + \eta \nabla \hat L_{\text{minibatch}}` on :func:`clipped_surrogate`, the
    ratios always taken against ``theta_old``, the policy that played the batch.

    Parameters
    ----------
    theta_old : array_like, shape (S, A)
    batch : RolloutBatch
        Played by ``theta_old`` (:func:`rollout_batch`).
    epsilon : float in (0, 1) or None
        Clip range; None runs the unclipped surrogate.
    epochs, minibatch_size : int >= 1
    lr : float > 0
    rng : int or numpy.random.Generator
        Shuffles the samples at each epoch.

    Returns
    -------
    PPOUpdate
    """
    theta_old = as_array(theta_old, "theta_old", ndim=2)
    if not isinstance(batch, RolloutBatch):
        raise ValueError(f"batch must be a RolloutBatch, got {type(batch).__name__}")
    _check_batch(batch, theta_old, "theta_old")
    if epsilon is not None:
        epsilon = check_float(epsilon, "epsilon", low=0.0, high=1.0, low_open=True, high_open=True)
    epochs = check_int(epochs, "epochs", low=1)
    minibatch_size = check_int(minibatch_size, "minibatch_size", low=1)
    lr = check_float(lr, "lr", low=0.0, low_open=True)
    return _ppo_update(theta_old, batch, epsilon, epochs, minibatch_size, lr, check_random_state(rng))


def _ppo_update(theta_old, batch, epsilon, epochs, minibatch_size, lr, rng) -> PPOUpdate:
    theta, n, everything = theta_old.copy(), batch.states.size, np.arange(batch.states.size)
    thetas, ratios, values = [], [], []

    def record():
        thetas.append(theta)
        ratios.append(np.exp(_log_policy(theta)[batch.states, batch.actions] - batch.log_prob_old))
        values.append(_clipped_surrogate(theta, batch, epsilon, everything)[0])

    record()
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, minibatch_size):
            theta = theta + lr * _clipped_surrogate(theta, batch, epsilon, order[start:start + minibatch_size])[1]
        record()
    return PPOUpdate(np.array(thetas), np.array(ratios), np.array(values))


@dataclass(frozen=True)
class PPOResult:
    """A PPO run: the policy after each iteration and what its updates did to the probability ratios."""

    thetas: np.ndarray       #: logits before the first and after each iteration, shape (n_iter + 1, S, A)
    objective: np.ndarray    #: exact J of each of those policies, shape (n_iter + 1,)
    ratio_min: np.ndarray    #: smallest ratio pi_new / pi_old over the iteration's samples, shape (n_iter,)
    ratio_max: np.ndarray    #: largest such ratio, shape (n_iter,)
    mean_kl: np.ndarray      #: exact mean KL(old || new) of each iteration's update, shape (n_iter,)


def ppo(mdp: rl.MDP, theta0, *, epsilon: float | None = 0.2, epochs: int = 4, n_episodes: int = 16,
        minibatch_size: int = 16, lr: float = 0.5, n_iter: int = 20, rng=0, max_steps: int = 200) -> PPOResult:
    r"""Proximal policy optimisation of a tabular softmax policy.

    Each iteration plays ``n_episodes`` episodes with the current policy (:func:`rollout_batch`), then runs
    :func:`ppo_update` on them.

    Parameters
    ----------
    mdp : rl.MDP
    theta0 : array_like, shape (S, A)
    epsilon : float in (0, 1) or None
        Clip range; None runs the unclipped surrogate (for comparison).
    epochs, n_episodes, minibatch_size, n_iter : int >= 1
    lr : float > 0
    rng : int or numpy.random.Generator
    max_steps : int >= 1
        Cut-off of each episode.

    Returns
    -------
    PPOResult
    """
    theta = _check(mdp, theta0, "theta0").copy()
    if epsilon is not None:
        epsilon = check_float(epsilon, "epsilon", low=0.0, high=1.0, low_open=True, high_open=True)
    epochs, n_episodes = check_int(epochs, "epochs", low=1), check_int(n_episodes, "n_episodes", low=1)
    minibatch_size, n_iter = check_int(minibatch_size, "minibatch_size", low=1), check_int(n_iter, "n_iter", low=1)
    lr = check_float(lr, "lr", low=0.0, low_open=True)
    max_steps = check_int(max_steps, "max_steps", low=1)
    rng = check_random_state(rng)
    thetas, r_lo, r_hi, kls = [theta.copy()], [], [], []
    for _ in range(n_iter):
        theta_old = theta
        batch = _rollout(mdp, theta_old, n_episodes, rng, max_steps)
        update = _ppo_update(theta_old, batch, epsilon, epochs, minibatch_size, lr, rng)
        theta = update.thetas[-1]
        r_lo.append(update.ratios[-1].min())
        r_hi.append(update.ratios[-1].max())
        kls.append(float(_state_weights(mdp, pg.softmax_policy(theta_old)) @ _kl_rows(theta_old, theta)))
        thetas.append(theta.copy())
    thetas = np.array(thetas)
    J = np.array([rl.policy_evaluation(mdp, pg.softmax_policy(t))[mdp.start] for t in thetas])
    return PPOResult(thetas, J, np.array(r_lo), np.array(r_hi), np.array(kls))


# ---------------------------------------------------------------- TRPO


def fisher_matrix(mdp: rl.MDP, theta) -> np.ndarray:
    r"""The Fisher information of the policy averaged over states, shape (S*A, S*A), rows in ``theta.ravel()``
    order:

    .. math:: F = \sum_s w(s)\, \mathbb{E}_{a \sim \pi(\cdot|s)}\big[\nabla \log\pi(a|s) \nabla \log\pi(a|s)^\top\big],

    block diagonal with block :math:`w(s)\,(\mathrm{diag}\,\pi_s - \pi_s \pi_s^\top)`, :math:`w` =
    :func:`state_weights`. Singular: each block annihilates the all-ones vector (adding a constant to a state's
    logits leaves the policy unchanged), and states of weight 0 give zero blocks.
    """
    pi = pg.softmax_policy(_check(mdp, theta))
    w = _state_weights(mdp, pi)
    S, A = pi.shape
    F = np.zeros((S, A, S, A))
    blocks = w[:, None, None] * (np.einsum("sa,ab->sab", pi, np.eye(A)) - pi[:, :, None] * pi[:, None, :])
    F[np.arange(S), :, np.arange(S), :] = blocks
    return F.reshape(S * A, S * A)


def fisher_vector_product(mdp: rl.MDP, theta, v) -> np.ndarray:
    r""":math:`F v` without forming :math:`F`: row :math:`s` is :math:`w(s)\, \pi_s \odot (v_s - \pi_s^\top v_s)`,
    shape (S, A), ``v`` of shape (S, A)."""
    pi = pg.softmax_policy(_check(mdp, theta))
    v = as_array(v, "v", ndim=2)
    if v.shape != pi.shape:
        raise ValueError(f"v must have shape {pi.shape}, got {v.shape}")
    return _fvp(_state_weights(mdp, pi), pi, v)


def _fvp(w: np.ndarray, pi: np.ndarray, v: np.ndarray) -> np.ndarray:
    return w[:, None] * pi * (v - (pi * v).sum(1, keepdims=True))


def conjugate_gradient(matvec: Callable, b, n_iter: int = 100, tol: float = 1e-10) -> np.ndarray:
    r"""Solve :math:`F x = b` for a symmetric positive semi-definite :math:`F` given only ``matvec(x)`` = Fx.

    Started at :math:`x_0 = 0`, every iterate lies in the Krylov space of ``b``; for ``b`` in the range of a
    singular :math:`F` the iterates stay in that range and converge to the minimum-norm solution
    :math:`F^+ b`. Stops when :math:`\lVert r\rVert \le` ``tol`` :math:`\lVert b\rVert`, when a search direction
    has no curvature left (:math:`p^\top F p \le 0`, round-off outside the range), or after ``n_iter`` steps (in
    exact arithmetic, at most the number of distinct non-zero eigenvalues).

    Parameters
    ----------
    matvec : callable, array of b's shape -> array of b's shape
    b : array_like
    n_iter : int >= 1
    tol : float >= 0

    Returns
    -------
    ndarray, shape of ``b``
    """
    check_callable(matvec, "matvec")
    b = as_array(b, "b")
    n_iter, tol = check_int(n_iter, "n_iter", low=1), check_float(tol, "tol", low=0.0)
    x, r = np.zeros_like(b), b.copy()
    p, rr = r.copy(), float((r * r).sum())
    stop = tol ** 2 * rr
    for _ in range(n_iter):
        if rr <= stop or rr == 0.0:
            break
        Fp = matvec(p)
        curvature = float((p * Fp).sum())
        if curvature <= 0.0:
            break
        alpha = rr / curvature
        x += alpha * p
        r -= alpha * Fp
        rr_new = float((r * r).sum())
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x


def natural_gradient(mdp: rl.MDP, theta, n_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    r"""The policy gradient :math:`g` and the natural direction :math:`x = F^+ g` by :func:`conjugate_gradient`
    (a plain pair, both of shape (S, A))."""
    theta = _check(mdp, theta)
    n_iter = check_int(n_iter, "n_iter", low=1)
    pi = pg.softmax_policy(theta)
    _, g = pg.exact_policy_gradient(mdp, theta)
    w = _state_weights(mdp, pi)
    return g, conjugate_gradient(lambda v: _fvp(w, pi, v), g, n_iter)


@dataclass(frozen=True)
class TRPOStep:
    """One TRPO update: where it went and what the line search found."""

    theta: np.ndarray        #: the new logits (the old ones if no step was accepted), shape (S, A)
    full_step: float         #: beta = sqrt(2 delta / g^T F^+ g), the length along F^+ g before backtracking
    fraction: float          #: the accepted share of the full step (backtrack ** n_backtracks, or 0)
    mean_kl: float           #: exact mean KL(old || new) of the accepted step
    surrogate_gain: float    #: L_old(new) - J(old), the surrogate's predicted improvement
    n_backtracks: int        #: how many halvings the line search made
    accepted: bool


def trpo_step(mdp: rl.MDP, theta, delta: float, *, backtrack: float = 0.5, max_backtracks: int = 10,
              cg_iters: int = 100) -> TRPOStep:
    r"""One TRPO update of a tabular softmax policy, with exact gradients, Fisher products and KLs.

    The quadratic model :math:`\max_x g^\top x` s.t. :math:`\tfrac12 x^\top F x \le \delta` gives the step
    :math:`\beta F^+ g` with :math:`\beta = \sqrt{2\delta / g^\top F^+ g}`; the line search then tries
    :math:`\theta + b^k \beta F^+ g` for :math:`k = 0, 1, \dots` and keeps the first with exact mean KL
    :math:`\le \delta` and a positive surrogate gain.

    Parameters
    ----------
    mdp : rl.MDP
    theta : array_like, shape (S, A)
    delta : float > 0
        The trust region's radius in mean KL.
    backtrack : float in (0, 1)
    max_backtracks : int >= 0
    cg_iters : int >= 1

    Returns
    -------
    TRPOStep
    """
    theta = _check(mdp, theta)
    delta = check_float(delta, "delta", low=0.0, low_open=True)
    backtrack = check_float(backtrack, "backtrack", low=0.0, high=1.0, low_open=True, high_open=True)
    max_backtracks = check_int(max_backtracks, "max_backtracks", low=0)
    cg_iters = check_int(cg_iters, "cg_iters", low=1)
    return _trpo_step(mdp, theta, delta, backtrack, max_backtracks, cg_iters)


def _trpo_step(mdp, theta, delta, backtrack, max_backtracks, cg_iters) -> TRPOStep:
    pi = pg.softmax_policy(theta)
    w = _state_weights(mdp, pi)
    J, A, d = _surrogate_parts(mdp, theta)
    g = d[:, None] * pi * A / (1.0 - mdp.gamma)
    x = conjugate_gradient(lambda v: _fvp(w, pi, v), g, cg_iters)
    gFg = float((g * x).sum())
    if gFg <= 0.0:
        return TRPOStep(theta.copy(), 0.0, 0.0, 0.0, 0.0, 0, False)
    beta = np.sqrt(2.0 * delta / gFg)
    for k in range(max_backtracks + 1):
        frac = backtrack ** k
        new = theta + frac * beta * x
        kl = float(w @ _kl_rows(theta, new))
        gain = float(d @ (pg.softmax_policy(new) * A).sum(1)) / (1.0 - mdp.gamma)
        if kl <= delta and gain > 0.0:
            return TRPOStep(new, float(beta), frac, kl, gain, k, True)
    return TRPOStep(theta.copy(), float(beta), 0.0, 0.0, 0.0, max_backtracks, False)


@dataclass(frozen=True)
class TRPOResult:
    """A TRPO run with exact quantities."""

    thetas: np.ndarray        #: logits before the first and after each iteration, shape (n_iter + 1, S, A)
    objective: np.ndarray     #: exact J of each policy, shape (n_iter + 1,)
    mean_kl: np.ndarray       #: mean KL of each accepted step, shape (n_iter,)
    surrogate_gain: np.ndarray  #: the surrogate's predicted improvement of each step, shape (n_iter,)
    n_backtracks: np.ndarray  #: halvings of each line search, shape (n_iter,)


def trpo(mdp: rl.MDP, theta0, delta: float, n_iter: int = 20, **step_options) -> TRPOResult:
    r"""``n_iter`` successive :func:`trpo_step` updates from ``theta0`` (options are passed on)."""
    theta = _check(mdp, theta0, "theta0")
    delta = check_float(delta, "delta", low=0.0, low_open=True)
    n_iter = check_int(n_iter, "n_iter", low=1)
    backtrack = check_float(step_options.pop("backtrack", 0.5), "backtrack", low=0.0, high=1.0,
                            low_open=True, high_open=True)
    max_backtracks = check_int(step_options.pop("max_backtracks", 10), "max_backtracks", low=0)
    cg_iters = check_int(step_options.pop("cg_iters", 100), "cg_iters", low=1)
    if step_options:
        raise ValueError(f"unknown step options {sorted(step_options)}")
    thetas, kls, gains, backs = [theta.copy()], [], [], []
    for _ in range(n_iter):
        step = _trpo_step(mdp, thetas[-1], delta, backtrack, max_backtracks, cg_iters)
        thetas.append(step.theta)
        kls.append(step.mean_kl)
        gains.append(step.surrogate_gain)
        backs.append(step.n_backtracks)
    thetas = np.array(thetas)
    J = np.array([rl.policy_evaluation(mdp, pg.softmax_policy(t))[mdp.start] for t in thetas])
    return TRPOResult(thetas, J, np.array(kls), np.array(gains), np.array(backs, dtype=int))

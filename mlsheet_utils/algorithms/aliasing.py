r"""Policies that see observations, not states: where a stochastic policy beats every deterministic one.

When several states look the same (they share an observation), a policy can only depend on the observation,
:math:`\pi(a \mid s) = \mathrm{softmax}(\theta_{o(s)\cdot})_a` with one logit row per observation. Value-based
methods act greedily, hence deterministically, on such observations; a policy-gradient method can settle on a
stochastic policy.

- :func:`switched_corridor` the short corridor with switched actions: three states that look alike, the middle
  one with its moves reversed;
- :func:`observation_policy` the (S, A) policy of observation logits;
- :func:`observation_policy_gradient` :math:`J(\theta)` and :math:`\nabla_\theta J` for observation logits, by the
  chain rule through :func:`~mlsheet_utils.algorithms.policy_gradient.exact_policy_gradient`;
- :func:`gradient_ascent` exact policy-gradient ascent :math:`\theta \leftarrow \theta + \alpha \nabla J`, as a
  :class:`AscentTrace` (with ``obs = arange(S)`` the plain tabular softmax policy);
- :func:`best_deterministic` the best deterministic observation policy, by enumeration.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms import policy_gradient as pg
from mlsheet_utils.algorithms import rl
from mlsheet_utils.validation import as_array, check_float, check_int


def switched_corridor(gamma: float = 0.99) -> rl.MDP:
    r"""A four-cell corridor, start at the left, goal at the right, reward -1 per step.

    States 0, 1, 2 are non-terminal and 3 is the goal. Action 0 moves left, action 1 right (a move into the left
    wall stays put), except in state 1, where the two are swapped. All three non-terminal states share one
    observation, so an observation policy takes "right" with the same probability :math:`p` everywhere.

    Parameters
    ----------
    gamma : float in [0, 1)

    Returns
    -------
    rl.MDP
        4 states, 2 actions, start 0.
    """
    P = np.zeros((4, 2, 4))
    for s, (left, right) in enumerate([(0, 1), (2, 0), (1, 3)]):
        P[s, 0, left] = P[s, 1, right] = 1.0
    P[3, :, 3] = 1.0
    R = np.where(np.arange(4)[:, None] < 3, -1.0, 0.0) * np.ones((4, 2))
    return rl.MDP(P, R, np.arange(4) == 3, gamma, start=0)


def _check_obs(mdp, theta, obs, theta_name="theta"):
    if not isinstance(mdp, rl.MDP):
        raise ValueError(f"mdp must be an rl.MDP, got {type(mdp).__name__}")
    theta = as_array(theta, theta_name, ndim=2)
    obs = np.asarray(obs)
    if obs.shape != (mdp.n_states,) or not np.issubdtype(obs.dtype, np.integer) or obs.min() < 0:
        raise ValueError(f"obs must be an integer array of shape ({mdp.n_states},) with entries >= 0")
    if theta.shape != (int(obs.max()) + 1, mdp.n_actions):
        raise ValueError(f"{theta_name} must have shape (n_observations, A) = {(int(obs.max()) + 1, mdp.n_actions)} "
                         f"(n_observations = max(obs) + 1), got {theta.shape}")
    return theta, obs


def observation_policy(theta, obs) -> np.ndarray:
    r"""The (S, A) policy :math:`\pi(a \mid s) = \mathrm{softmax}(\theta_{o(s)})_a` of observation logits.

    Parameters
    ----------
    theta : array_like, shape (n_observations, A)
    obs : array_like of int, shape (S,)
        :math:`o(s)`, the observation of each state.
    """
    theta = as_array(theta, "theta", ndim=2)
    obs = np.asarray(obs)
    if obs.size == 0:
        raise ValueError(f"obs must not be empty (one observation per state), got shape {obs.shape}")
    if obs.ndim != 1 or not np.issubdtype(obs.dtype, np.integer) or obs.min() < 0 or obs.max() >= len(theta):
        raise ValueError(f"obs must be a 1-D integer array with entries in [0, {len(theta) - 1}]")
    return pg.softmax_policy(theta[obs])


def observation_policy_gradient(mdp: rl.MDP, theta, obs) -> tuple[float, np.ndarray]:
    r""":math:`J(\theta) = v_\pi(s_0)` and its gradient for a softmax policy over observation logits.

    The policy uses the state logits :math:`\phi_s = \theta_{o(s)}`, so by the chain rule

    .. math:: \frac{\partial J}{\partial \theta_{o a}} = \sum_{s:\, o(s) = o} \frac{\partial J}{\partial \phi_{s a}},

    the tabular policy gradient (:func:`pg.exact_policy_gradient`) summed over the states that share an
    observation.

    Parameters
    ----------
    mdp : rl.MDP
    theta : array_like, shape (n_observations, A)
    obs : array_like of int, shape (S,), every observation ``0 .. n_observations - 1`` used by some state

    Returns
    -------
    J : float
    grad : ndarray, shape (n_observations, A)
    """
    theta, obs = _check_obs(mdp, theta, obs)
    return _gradient(mdp, theta, obs)


def _gradient(mdp, theta, obs):
    J, g_states = pg.exact_policy_gradient(mdp, theta[obs])
    grad = np.zeros_like(theta)
    np.add.at(grad, obs, g_states)
    return J, grad


@dataclass(frozen=True)
class AscentTrace:
    """What :func:`gradient_ascent` returns."""

    thetas: np.ndarray      #: logits before each step and after the last, shape (n_iter + 1, n_observations, A)
    objective: np.ndarray   #: exact J of each iterate, shape (n_iter + 1,)


def gradient_ascent(mdp: rl.MDP, obs, *, lr: float, n_iter: int, theta0=None) -> AscentTrace:
    r"""Exact policy-gradient ascent on observation logits, :math:`\theta_{k+1} = \theta_k + \alpha \nabla J(\theta_k)`.

    Parameters
    ----------
    mdp : rl.MDP
    obs : array_like of int, shape (S,); ``np.arange(S)`` for the fully observed (tabular) policy
    lr : float > 0
    n_iter : int >= 1
    theta0 : array_like, shape (n_observations, A), optional
        Initial logits (default zeros: the uniform policy).

    Returns
    -------
    AscentTrace
    """
    obs = np.asarray(obs)
    n_obs = int(obs.max()) + 1 if obs.size and np.issubdtype(obs.dtype, np.integer) else 0
    theta = np.zeros((max(n_obs, 1), getattr(mdp, "n_actions", 1))) if theta0 is None else theta0
    theta, obs = _check_obs(mdp, theta, obs, "theta" if theta0 is None else "theta0")
    lr = check_float(lr, "lr", low=0.0, low_open=True)
    n_iter = check_int(n_iter, "n_iter", low=1)
    thetas, objective = [theta.copy()], []
    for _ in range(n_iter):
        J, grad = _gradient(mdp, theta, obs)
        objective.append(J)
        theta = theta + lr * grad
        thetas.append(theta.copy())
    objective.append(_gradient(mdp, theta, obs)[0])
    return AscentTrace(np.array(thetas), np.array(objective))


def best_deterministic(mdp: rl.MDP, obs) -> tuple[np.ndarray, float]:
    r"""The best deterministic observation policy by enumerating all :math:`A^{O}` of them.

    Returns
    -------
    (actions, value) : the action of each observation, shape (n_observations,), and its exact value at the start
    """
    if not isinstance(mdp, rl.MDP):
        raise ValueError(f"mdp must be an rl.MDP, got {type(mdp).__name__}")
    obs = np.asarray(obs)
    if obs.shape != (mdp.n_states,) or not np.issubdtype(obs.dtype, np.integer) or obs.min() < 0:
        raise ValueError(f"obs must be an integer array of shape ({mdp.n_states},) with entries >= 0")
    best, best_value = None, -np.inf
    for actions in itertools.product(range(mdp.n_actions), repeat=int(obs.max()) + 1):
        value = rl.policy_evaluation(mdp, np.array(actions)[obs])[mdp.start]
        if value > best_value:
            best, best_value = np.array(actions), float(value)
    return best, best_value

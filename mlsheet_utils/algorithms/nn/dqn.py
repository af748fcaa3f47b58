r"""Deep Q-learning in NumPy: a replay buffer, TD targets from a target network, the DQN loss and its training loop.

The Q-network is any :class:`~mlsheet_utils.algorithms.nn.layers.Layer` (usually a ``Sequential`` MLP) mapping
state features ``(B, d)`` to one value per action ``(B, A)``; its parameters are plain arrays, so the *target
network* is just a second copy of the parameters, refreshed every ``target_period`` gradient steps.

- :class:`ReplayBuffer`  a ring buffer of transitions :math:`(s, a, r, s', \text{done})` with uniform sampling;
  :class:`Batch` is one sample of it;
- :func:`td_targets`     :math:`y = r + \gamma (1 - \text{done}) \max_{a'} Q_{\theta^-}(s', a')`, and the double-DQN
  variant (online network picks :math:`a'`, target network values it);
- :func:`dqn_loss`       the mean squared TD error and its semi-gradient (the target held constant);
- :func:`train_dqn`      epsilon-greedy interaction with a finite :class:`~mlsheet_utils.algorithms.rl.MDP`,
  replay, target network and an optimiser from :mod:`~mlsheet_utils.algorithms.nn.optimizers`; the
  :class:`DQNRun` keeps the Q table (network outputs on every state's features) at regular checkpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms import rl
from mlsheet_utils.algorithms.nn.layers import Layer
from mlsheet_utils.algorithms.nn.optimizers import Optimizer, _tree_map
from mlsheet_utils.validation import as_array, check_bool, check_float, check_int, check_random_state

__all__ = ["Batch", "DQNLoss", "DQNRun", "ReplayBuffer", "dqn_loss", "td_targets", "train_dqn"]


@dataclass(frozen=True)
class Batch:
    """A minibatch of transitions (see :class:`ReplayBuffer`).

    Attributes
    ----------
    states : ndarray, shape (B, d)
    actions : ndarray of int, shape (B,)
    rewards : ndarray, shape (B,)
    next_states : ndarray, shape (B, d)
    dones : ndarray of bool, shape (B,)
        Whether ``next_states`` ended the episode (no bootstrap from it).
    """

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    next_states: np.ndarray
    dones: np.ndarray

    def __post_init__(self):
        states = as_array(self.states, "states", ndim=2)
        B = states.shape[0]
        actions = np.asarray(self.actions)
        if actions.shape != (B,) or not np.issubdtype(actions.dtype, np.integer) or np.any(actions < 0):
            raise ValueError(f"actions must be {B} non-negative integers (one per row of states), got "
                             f"{actions.dtype} {actions.shape}")
        if as_array(self.rewards, "rewards", ndim=1).shape != (B,):
            raise ValueError(f"rewards must have shape ({B},) (one per row of states), got {np.shape(self.rewards)}")
        if as_array(self.next_states, "next_states", ndim=2).shape != states.shape:
            raise ValueError(f"next_states must have the shape of states {states.shape}, got "
                             f"{np.shape(self.next_states)}")
        dones = np.asarray(self.dones)
        if dones.dtype != bool or dones.shape != (B,):
            raise ValueError(f"dones must be {B} booleans (one per row of states), got {dones.dtype} {dones.shape}")


class ReplayBuffer:
    """A fixed-capacity ring buffer of transitions; once full, each new transition overwrites the oldest.

    Parameters
    ----------
    capacity : int >= 1
        The most transitions kept. ``capacity`` equal to the batch size keeps only the latest transitions, which
        is online learning on correlated, consecutive data ("no replay").
    state_dim : int >= 1
        Length ``d`` of a state's feature vector.
    """

    def __init__(self, capacity: int, state_dim: int):
        self.capacity = check_int(capacity, "capacity", low=1)
        self.state_dim = check_int(state_dim, "state_dim", low=1)
        self.states = np.zeros((self.capacity, self.state_dim))
        self.next_states = np.zeros((self.capacity, self.state_dim))
        self.actions = np.zeros(self.capacity, dtype=int)
        self.rewards = np.zeros(self.capacity)
        self.dones = np.zeros(self.capacity, dtype=bool)
        self.n_pushed = 0

    def __len__(self) -> int:
        return min(self.n_pushed, self.capacity)

    def push(self, state, action: int, reward: float, next_state, done: bool) -> None:
        """Store one transition in slot ``n_pushed % capacity``: ``state`` and ``next_state`` of shape
        ``(state_dim,)``, ``action`` an int >= 0, ``reward`` a finite float, ``done`` a bool."""
        for name, value in (("state", state), ("next_state", next_state)):
            if as_array(value, name, ndim=1).shape != (self.state_dim,):
                raise ValueError(f"{name} must have shape ({self.state_dim},) (state_dim), got {np.shape(value)}")
        check_int(action, "action", low=0)
        check_float(reward, "reward")
        check_bool(done, "done")
        i = self.n_pushed % self.capacity
        self.states[i], self.actions[i], self.rewards[i] = state, action, reward
        self.next_states[i], self.dones[i] = next_state, done
        self.n_pushed += 1

    def sample(self, batch_size: int, rng) -> Batch:
        """``batch_size`` stored transitions drawn uniformly, with replacement."""
        batch_size = check_int(batch_size, "batch_size", low=1)
        if len(self) == 0:
            raise ValueError("the replay buffer is empty: push transitions before sampling")
        idx = check_random_state(rng).integers(0, len(self), batch_size)
        return Batch(self.states[idx], self.actions[idx], self.rewards[idx], self.next_states[idx],
                     self.dones[idx])


def td_targets(q_next_target, rewards, dones, gamma: float, *, q_next_online=None) -> np.ndarray:
    r"""TD targets for a batch, from the target network's values at the next states.

    DQN: :math:`y_i = r_i + \gamma (1 - d_i) \max_{a'} Q_{\theta^-}(s'_i, a')`.
    Double DQN (``q_next_online`` given): the online network chooses, the target network evaluates,
    :math:`y_i = r_i + \gamma (1 - d_i)\, Q_{\theta^-}(s'_i, \arg\max_{a'} Q_\theta(s'_i, a'))`, which removes
    the upward bias of taking a max over noisy estimates with the same noise.

    Parameters
    ----------
    q_next_target : array_like, shape (B, A)
    rewards : array_like, shape (B,)
    dones : array_like of bool, shape (B,)
    gamma : float in [0, 1]
    q_next_online : array_like, shape (B, A), optional

    Returns
    -------
    ndarray, shape (B,)
    """
    q_next_target = as_array(q_next_target, "q_next_target", ndim=2)
    B = q_next_target.shape[0]
    rewards = as_array(rewards, "rewards", ndim=1)
    if np.asarray(dones).dtype != bool:
        raise ValueError(f"dones must be an array of booleans, got dtype {np.asarray(dones).dtype}")
    dones = np.asarray(dones, dtype=bool)
    if rewards.shape != (B,) or dones.shape != (B,):
        raise ValueError(f"rewards and dones must have shape ({B},) (one per row of q_next_target), got "
                         f"{rewards.shape} and {dones.shape}")
    gamma = check_float(gamma, "gamma", low=0.0, high=1.0)
    if q_next_online is not None:
        q_next_online = as_array(q_next_online, "q_next_online", ndim=2)
        if q_next_online.shape != q_next_target.shape:
            raise ValueError(f"q_next_online must have the shape of q_next_target {q_next_target.shape}, got "
                             f"{q_next_online.shape}")
    return _td_targets(q_next_target, rewards, dones, gamma, q_next_online)


def _td_targets(q_next_target, rewards, dones, gamma, q_next_online=None):
    """:func:`td_targets` without the checks."""
    if q_next_online is None:
        bootstrap = q_next_target.max(1)                                   # the target network chooses and values
    else:
        bootstrap = q_next_target[np.arange(len(rewards)), q_next_online.argmax(1)]   # online chooses
    return rewards + gamma * np.where(dones, 0.0, bootstrap)


@dataclass(frozen=True)
class DQNLoss:
    r"""What :func:`dqn_loss` returns.

    Attributes
    ----------
    value : float
        :math:`L = \frac{1}{B} \sum_i (Q_\theta(s_i, a_i) - y_i)^2`.
    grads : list of dict
        The semi-gradient :math:`\frac{2}{B} \sum_i (Q_\theta(s_i, a_i) - y_i)\, \nabla_\theta Q_\theta(s_i, a_i)`,
        shaped like the parameters.
    td_errors : ndarray, shape (B,)
        :math:`Q_\theta(s_i, a_i) - y_i`.
    targets : ndarray, shape (B,)
        :math:`y_i`, computed without gradient.
    """

    value: float
    grads: list
    td_errors: np.ndarray
    targets: np.ndarray


def _dqn_loss(net: Layer, params, target_params, batch: Batch, gamma: float, double: bool) -> DQNLoss:
    q, cache = net._forward(batch.states, params, None, True)
    q_next_target, _ = net._forward(batch.next_states, target_params, None, False)
    q_next_online = net._forward(batch.next_states, params, None, False)[0] if double else None
    y = _td_targets(q_next_target, batch.rewards, batch.dones, gamma, q_next_online)   # a constant: no gradient
    rows = np.arange(len(q))
    delta = q[rows, batch.actions] - y
    dq = np.zeros_like(q)
    dq[rows, batch.actions] = 2.0 * delta / len(q)                          # dL/dQ(s_i, a_i); zero elsewhere
    _, grads = net._backward(dq, cache)
    return DQNLoss(float(np.mean(delta ** 2)), grads, delta, y)


def _named_params(net: Layer, params, name: str):
    """``net.check_params(params)`` with ``name`` in the message (the net's parameters under another name)."""
    try:
        return net.check_params(params)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def dqn_loss(net: Layer, params, target_params, batch: Batch, gamma: float, *, double: bool = False) -> DQNLoss:
    r"""The DQN loss on a batch and its semi-gradient with respect to the online parameters.

    .. math:: L(\theta) = \frac{1}{B} \sum_i \big(Q_\theta(s_i, a_i) - y_i\big)^2, \qquad
              \nabla_\theta L = \frac{2}{B} \sum_i \big(Q_\theta(s_i, a_i) - y_i\big) \nabla_\theta Q_\theta(s_i, a_i),

    with :math:`y_i` from :func:`td_targets` on the *target* parameters :math:`\theta^-` (and, for double DQN, the
    online network's choice of :math:`a'`). :math:`y` is treated as a constant (a stop-gradient): even when
    :math:`\theta^- = \theta`, no gradient flows through the bootstrap term.

    Parameters
    ----------
    net : Layer
        Maps ``(B, d)`` features to ``(B, A)`` action values.
    params, target_params : parameters of ``net``
    batch : Batch
    gamma : float in [0, 1]
    double : bool

    Returns
    -------
    DQNLoss
    """
    if not isinstance(net, Layer):
        raise ValueError(f"net must be a Layer, got {type(net).__name__}")
    if not isinstance(batch, Batch):
        raise ValueError(f"batch must be a Batch, got {type(batch).__name__}")
    params, target_params = net.check_params(params), _named_params(net, target_params, "target_params")
    gamma = check_float(gamma, "gamma", low=0.0, high=1.0)
    try:
        states = net.check_input(batch.states)
        q, _ = net.forward(states[:1], params, training=False)
    except ValueError as exc:
        raise ValueError(f"batch.states do not fit net: {exc}") from None
    B = states.shape[0]
    actions = np.asarray(batch.actions)
    if actions.shape != (B,) or not np.issubdtype(actions.dtype, np.integer):
        raise ValueError(f"batch.actions must be integers of shape ({B},), got {actions.dtype} {actions.shape}")
    if np.any(actions < 0) or np.any(actions >= q.shape[-1]):
        raise ValueError(f"batch.actions must lie in [0, {q.shape[-1] - 1}] (one per output of net), got values in "
                         f"[{actions.min()}, {actions.max()}]")
    return _dqn_loss(net, params, target_params, batch, gamma, bool(double))


@dataclass(frozen=True)
class DQNRun:
    r"""What :func:`train_dqn` returns.

    Attributes
    ----------
    params : list of dict
        The final online parameters.
    Q_history : ndarray, shape (n_checkpoints, S, A)
        The network's Q table, :math:`Q_\theta(\phi(s), a)` for every state, at steps ``checkpoints``
        (terminal rows set to 0: no action is taken there).
    checkpoints : ndarray of int, shape (n_checkpoints,)
        Environment steps at which ``Q_history`` was recorded (0 first).
    losses : ndarray, shape (n_steps,)
        The minibatch loss at each step (NaN before the buffer holds a batch).
    returns : ndarray, shape (n_episodes,)
        Discounted return of each finished episode.
    """

    params: list
    Q_history: np.ndarray
    checkpoints: np.ndarray
    losses: np.ndarray
    returns: np.ndarray


def train_dqn(mdp, features, net: Layer, optimizer: Optimizer, *, n_steps: int = 2000, buffer_size: int = 1000,
              batch_size: int = 32, target_period: int = 50, epsilon: float = 0.3, double: bool = False,
              max_episode_steps: int = 100, checkpoint_every: int = 50, rng=0) -> DQNRun:
    r"""Train a Q-network on a finite MDP with experience replay and a target network (Mnih et al., 2015).

    Every environment step: act epsilon-greedily on :math:`Q_\theta(\phi(s), \cdot)`, store
    :math:`(\phi(s), a, r, \phi(s'), \text{done})`, and once the buffer holds ``batch_size`` transitions take one
    optimiser step on :func:`dqn_loss` over a uniform minibatch; every ``target_period`` optimiser steps copy
    :math:`\theta^- \leftarrow \theta`. Episodes start at ``mdp.start`` and end at a terminal state or after
    ``max_episode_steps`` steps (a cut-off, not a terminal transition: it still bootstraps).

    Parameters
    ----------
    mdp : rl.MDP
    features : array_like, shape (S, d)
        :math:`\phi(s)`, the network's input for each state (one-hot rows give a tabular network).
    net : Layer
        ``(B, d) -> (B, A)``.
    optimizer : Optimizer
    n_steps : int >= 1
    buffer_size : int >= batch_size
    batch_size : int >= 1
    target_period : int >= 1
        1 means the target network is the online network of the previous step (no separate target).
    epsilon : float in [0, 1]
    double : bool
        Use the double-DQN target.
    max_episode_steps, checkpoint_every : int >= 1
    rng : int or numpy.random.Generator
        Seeds the initial weights, the actions and transitions, and the minibatches.

    Returns
    -------
    DQNRun
    """
    if not isinstance(mdp, rl.MDP):
        raise ValueError(f"mdp must be an rl.MDP, got {type(mdp).__name__}")
    features = as_array(features, "features", ndim=2)
    if features.shape[0] != mdp.n_states:
        raise ValueError(f"features must have one row per state ({mdp.n_states}), got {features.shape[0]}")
    if not isinstance(net, Layer):
        raise ValueError(f"net must be a Layer, got {type(net).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be an Optimizer, got {type(optimizer).__name__}")
    n_steps = check_int(n_steps, "n_steps", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    buffer_size = check_int(buffer_size, "buffer_size", low=batch_size)
    target_period = check_int(target_period, "target_period", low=1)
    epsilon = check_float(epsilon, "epsilon", low=0.0, high=1.0)
    max_episode_steps = check_int(max_episode_steps, "max_episode_steps", low=1)
    checkpoint_every = check_int(checkpoint_every, "checkpoint_every", low=1)
    rng = check_random_state(rng)

    params = net.init_params(rng)
    try:
        q_all, _ = net.forward(features, params)               # checks that net maps (S, d) to (S, A)
    except ValueError as exc:
        raise ValueError(f"net must accept the features {features.shape}: {exc}") from None
    if q_all.shape != mdp.R.shape:
        raise ValueError(f"net must map features {features.shape} to Q values {mdp.R.shape}, got {q_all.shape}")
    target = _tree_map(np.copy, params)
    state = optimizer.init(params)
    buffer = ReplayBuffer(buffer_size, features.shape[1])
    live = ~mdp.terminal[:, None]

    def table(p):
        return np.where(live, net._forward(features, p, None, False)[0], 0.0)

    history, checkpoints = [table(params)], [0]
    losses, returns = np.full(n_steps, np.nan), []
    s, G, discount, t_ep, n_updates = mdp.start, 0.0, 1.0, 0, 0
    for t in range(n_steps):
        q_s = net._forward(features[s:s + 1], params, None, False)[0][0]
        a = rl._epsilon_greedy(q_s.tolist(), epsilon, rng.random)
        s_next, r, done = rl._step(mdp, s, a, rng.random)
        buffer.push(features[s], a, r, features[s_next], done)
        G, discount, t_ep = G + discount * r, discount * mdp.gamma, t_ep + 1
        if len(buffer) >= batch_size:
            out = _dqn_loss(net, params, target, buffer.sample(batch_size, rng), mdp.gamma, double)
            params, state = optimizer._update(out.grads, state, params)
            losses[t] = out.value
            n_updates += 1
            if n_updates % target_period == 0:
                target = _tree_map(np.copy, params)
        if done or t_ep == max_episode_steps:
            if done:
                returns.append(G)
            s, G, discount, t_ep = mdp.start, 0.0, 1.0, 0
        else:
            s = s_next
        if (t + 1) % checkpoint_every == 0:
            history.append(table(params))
            checkpoints.append(t + 1)
    return DQNRun(params, np.array(history), np.array(checkpoints), losses, np.array(returns))

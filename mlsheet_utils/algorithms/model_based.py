r"""Model-based reinforcement learning on tabular MDPs: learn ``P`` and ``R`` from samples, then plan.

- :func:`sample_transitions` draws ``n`` transitions from every non-terminal state-action pair of an
  :class:`~mlsheet_utils.algorithms.rl.MDP` (a generative model), returned as :class:`Transitions`;
- :func:`mle_model` turns transitions into the maximum-likelihood model
  :math:`\hat P(s' \mid s, a) = N(s, a, s') / N(s, a)` with averaged rewards, a :class:`LearnedModel`;
- :func:`simulation_bound` is the simulation-lemma bound on how far a policy's value in a model with errors
  :math:`\varepsilon_R, \varepsilon_P` can be from its value in the true MDP;
- :func:`dyna_q` is Q-learning plus ``n_planning`` extra updates per real step replayed from the learned model
  (with ``n_planning = 0`` it draws exactly the same random numbers as
  :func:`~mlsheet_utils.algorithms.rl.q_learning` and returns the same table).

Planning on a learned model is :func:`~mlsheet_utils.algorithms.rl.value_iteration` applied to
``mle_model(...).mdp``; the planned policy's true worth is
:func:`~mlsheet_utils.algorithms.rl.policy_evaluation` on the true MDP.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms import rl
from mlsheet_utils.validation import as_array, check_float, check_indices, check_int, check_random_state


@dataclass(frozen=True)
class Transitions:
    """A batch of observed transitions ``(s, a, r, s', done)``, each field of shape (n,).

    The constructor checks the fields: ``s``, ``a``, ``s_next`` integers >= 0, ``r`` finite, ``done`` booleans, all
    1-d of one length (0 too: an empty batch).
    """

    s: np.ndarray          #: states the actions were taken in, int
    a: np.ndarray          #: actions taken, int
    r: np.ndarray          #: rewards received, float
    s_next: np.ndarray     #: states reached, int
    done: np.ndarray       #: whether the episode ended on entering ``s_next``, bool

    def __post_init__(self):
        fields = {name: check_indices(getattr(self, name), name, ndim=1, empty=True) for name in ("s", "a", "s_next")}
        fields["r"] = as_array(self.r, "r", ndim=1, empty=True)
        done = np.asarray(self.done)
        if done.ndim != 1 or done.dtype != bool:
            raise ValueError(f"done must be a 1-d boolean array, got {done.dtype} of shape {done.shape}")
        sizes = {name: x.size for name, x in fields.items()} | {"done": done.size}
        if len(set(sizes.values())) > 1:
            raise ValueError(f"s, a, r, s_next and done must have one entry per transition, got lengths {sizes}")
        for name, x in fields.items():
            object.__setattr__(self, name, x)
        object.__setattr__(self, "done", done)


def sample_transitions(mdp: rl.MDP, n_per_pair: int, rng=0) -> Transitions:
    r"""Draw ``n_per_pair`` independent transitions from every non-terminal pair :math:`(s, a)`.

    Each next state is drawn by inverting the cumulative distribution of :math:`P(\cdot \mid s, a)`:
    with :math:`u \sim U[0, 1)`, :math:`s'` is the number of cumulative probabilities :math:`F(j) \le u`.
    All draws at once, as an (pairs, n) array. The reward is ``R_next[s, a, s']`` when the MDP has it, else
    ``R[s, a]``.

    Parameters
    ----------
    mdp : rl.MDP
    n_per_pair : int >= 1
    rng : int or numpy.random.Generator

    Returns
    -------
    Transitions
        ``n_pairs * n_per_pair`` transitions, pair by pair (pairs in row-major order of ``(s, a)``).
    """
    if not isinstance(mdp, rl.MDP):
        raise ValueError(f"mdp must be an MDP, got {type(mdp).__name__}")
    n = check_int(n_per_pair, "n_per_pair", low=1)
    rng = check_random_state(rng)
    s, a = np.nonzero(~mdp.terminal[:, None] & np.ones(mdp.R.shape, bool))     # non-terminal pairs
    cdf = np.cumsum(mdp.P[s, a], axis=-1)                                      # (pairs, S)
    cdf[:, -1] = 1.0
    u = rng.random((len(s), n))
    s_next = (u[:, :, None] >= cdf[:, None, :]).sum(-1)                        # (pairs, n)
    rewards = mdp.R_next[s[:, None], a[:, None], s_next] if mdp.R_next is not None else \
        np.broadcast_to(mdp.R[s, a][:, None], s_next.shape)
    s, a = np.repeat(s, n), np.repeat(a, n)
    s_next = s_next.reshape(-1)
    return Transitions(s, a, np.asarray(rewards, float).reshape(-1), s_next, mdp.terminal[s_next])


@dataclass(frozen=True, eq=False)
class LearnedModel:
    r"""What :func:`mle_model` returns.

    Attributes
    ----------
    mdp : rl.MDP
        The maximum-likelihood model: :math:`\hat P`, :math:`\hat R`, terminal states = states seen ending
        an episode. A pair never tried stays where it is with reward 0.
    counts : ndarray of int, shape (S, A)
        :math:`N(s, a)`, how often each pair was tried.
    """

    mdp: rl.MDP
    counts: np.ndarray


def mle_model(transitions: Transitions, n_states: int, n_actions: int, gamma: float, start: int = 0
              ) -> LearnedModel:
    r"""The maximum-likelihood tabular model of a batch of transitions.

    .. math:: \hat P(s' \mid s, a) = \frac{N(s, a, s')}{N(s, a)}, \qquad
              \hat r(s, a, s') = \frac{1}{N(s, a, s')} \sum_{i:\, (s_i, a_i, s'_i) = (s, a, s')} r_i, \qquad
              \hat R(s, a) = \sum_{s'} \hat P(s' \mid s, a)\, \hat r(s, a, s')

    (the counts maximise the multinomial likelihood :math:`\prod_{s'} P(s' \mid s, a)^{N(s, a, s')}`). A state
    entered with ``done`` is made terminal (absorbing, reward 0). An untried pair gets a self-loop with
    reward 0.

    Parameters
    ----------
    transitions : Transitions
    n_states, n_actions : int >= 1
    gamma : float in [0, 1)
    start : int

    Returns
    -------
    LearnedModel
    """
    if not isinstance(transitions, Transitions):
        raise ValueError(f"transitions must be a Transitions, got {type(transitions).__name__}")
    S, A = check_int(n_states, "n_states", low=1), check_int(n_actions, "n_actions", low=1)
    s, a, s2 = (np.asarray(x) for x in (transitions.s, transitions.a, transitions.s_next))
    r = as_array(transitions.r, "transitions.r", ndim=1)
    done = np.asarray(transitions.done, bool)
    if not (s.shape == a.shape == s2.shape == r.shape == done.shape):
        raise ValueError("transitions fields must all have the same shape (n,)")
    for name, x, hi, bound in (("s", s, S, "n_states"), ("a", a, A, "n_actions"), ("s_next", s2, S, "n_states")):
        if x.size and x.max() >= hi:
            raise ValueError(f"transitions.{name} must hold indices below {bound} = {hi}, got {x.max()}")
    for name, x, hi in (("s", s, S), ("a", a, A), ("s_next", s2, S)):
        if x.size and (not np.issubdtype(x.dtype, np.integer) or x.min() < 0 or x.max() >= hi):
            raise ValueError(f"transitions.{name} must hold integers in [0, {hi - 1}]")
    flat = (s * A + a) * S + s2
    N3 = np.bincount(flat, minlength=S * A * S).reshape(S, A, S).astype(float)
    r_sum = np.bincount(flat, weights=r, minlength=S * A * S).reshape(S, A, S)
    counts = N3.sum(-1)
    terminal = np.zeros(S, bool)
    terminal[s2[done]] = True
    tried = counts > 0
    P = np.where(tried[..., None], N3 / np.where(tried, counts, 1.0)[..., None], np.eye(S)[:, None, :])
    R_next = np.divide(r_sum, N3, out=np.zeros_like(r_sum), where=N3 > 0)
    P[terminal], R_next[terminal] = 0.0, 0.0
    P[terminal, :, terminal] = 1.0
    model = rl.MDP(P, (P * R_next).sum(-1), terminal, gamma, start, R_next)
    return LearnedModel(model, counts.astype(int))


def simulation_bound(eps_R: float, eps_P: float, gamma: float, r_max: float) -> float:
    r"""The simulation-lemma bound on :math:`\lVert V^\pi_M - V^\pi_{\hat M}\rVert_\infty` for every policy.

    With :math:`\varepsilon_R = \max_{s,a} |R - \hat R|`,
    :math:`\varepsilon_P = \max_{s,a} \lVert P(\cdot \mid s, a) - \hat P(\cdot \mid s, a)\rVert_1` and rewards
    in :math:`[0, r_{\max}]` (so :math:`0 \le V \le r_{\max} / (1 - \gamma)`),

    .. math:: \lVert V^\pi_M - V^\pi_{\hat M}\rVert_\infty \le
              \frac{\varepsilon_R}{1 - \gamma} + \frac{\gamma\, \varepsilon_P\, r_{\max}}{2 (1 - \gamma)^2} ,

    the factor 1/2 because a difference of two distributions sums to zero, so only half the value range counts.
    """
    eps_R = check_float(eps_R, "eps_R", low=0.0)
    eps_P = check_float(eps_P, "eps_P", low=0.0, high=2.0)
    gamma = check_float(gamma, "gamma", low=0.0, high=1.0, high_open=True)
    r_max = check_float(r_max, "r_max", low=0.0)
    return eps_R / (1 - gamma) + gamma * eps_P * r_max / (2 * (1 - gamma) ** 2)


def dyna_q(mdp: rl.MDP, alpha: float = 0.5, epsilon: float = 0.1, episodes: int = 100, n_planning: int = 10,
           rng=0, max_steps: int = 200, *, history: bool = False) -> rl.TDResult:
    r"""Dyna-Q: Q-learning on real steps, plus ``n_planning`` Q-learning updates on transitions replayed from a
    learned model after each real step.

    Every real transition :math:`(s, a, r, s')` updates Q as :func:`rl.q_learning` does and is stored in the
    model (all outcomes of a pair, so replaying a uniformly chosen stored outcome samples the
    maximum-likelihood :math:`\hat P(\cdot \mid s, a)`). Each planning update picks a pair uniformly among those
    tried so far, replays one of its outcomes and applies the same update:

    .. math:: Q(s, a) \leftarrow Q(s, a) + \alpha \big[r + \gamma \max_{a'} Q(s', a')\,[s' \text{ not terminal}]
              - Q(s, a)\big].

    Parameters
    ----------
    mdp : rl.MDP
    alpha : float in (0, 1]
    epsilon : float in [0, 1]
    episodes : int >= 1
    n_planning : int >= 0
        Model updates per real step; 0 is plain Q-learning (same random stream, same result).
    rng : int or numpy.random.Generator
    max_steps : int >= 1
    history : bool
        Keep the table after every episode.

    Returns
    -------
    rl.TDResult
        ``visits`` counts real updates only.
    """
    n_planning = check_int(n_planning, "n_planning", low=0)
    seen, outcomes = [], {}                    # pairs tried, in order; (s, a) -> list of (s', r, done)

    def learn_and_plan(q, s, a, r, s_next, done, draw):
        if (s, a) not in outcomes:             # the model: every outcome seen for the pair
            seen.append((s, a))
            outcomes[s, a] = []
        outcomes[s, a].append((s_next, r, done))
        for _ in range(n_planning):            # replay the learned model
            ps, pa = seen[int(draw() * len(seen))]
            stored = outcomes[ps, pa]
            ps2, pr, pdone = stored[int(draw() * len(stored))]
            ptarget = pr if pdone else pr + mdp.gamma * max(q[ps2])
            q[ps][pa] += alpha * (ptarget - q[ps][pa])

    return rl.q_learning(mdp, alpha, None, epsilon, episodes, rng, max_steps, history=history,
                         after_step=learn_and_plan)

"""Argument kinds whose valid values are the package's own objects (see :mod:`tests.contracts.kinds`).

- :class:`Policy`       a tabular policy: (S,) integer actions or an (S, A) row-stochastic matrix;
- :class:`MDPKind`      a small random :class:`~mlsheet_utils.algorithms.rl.MDP` with S states and A actions;
- :class:`Episodes`     a list of finished :class:`~mlsheet_utils.algorithms.policy_gradient.Episode` objects.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from hypothesis import strategies as st

from tests.contracts.kinds import Kind, _replace, _simplex_rows


@dataclasses.dataclass
class _Tabular(Kind):
    """A kind over ``states`` and ``actions``, the dimension symbols of the numbers of states and actions."""

    states: str = "S"
    actions: str = "A"

    @property
    def uses(self):
        return (self.states, self.actions)

    def _sizes(self, dims) -> tuple[int, int]:
        return dims[self.states], dims[self.actions]


@dataclasses.dataclass
class Policy(_Tabular):
    """A tabular policy for S states and A actions: (S,) integer actions or an (S, A) matrix of probabilities."""

    def valid(self, draw, dims):
        S, A = self._sizes(dims)
        if draw(st.booleans()):
            return np.array(draw(st.lists(st.integers(0, A - 1), min_size=S, max_size=S)), dtype=int)
        return _simplex_rows(draw, S, A)

    def bad(self, dims):
        S, A = self._sizes(dims)
        acts = np.zeros(S, dtype=int)
        probs = np.full((S, A), 1.0 / A)
        negp = _replace(probs, -1.0)
        negp[0, -1] += 1.0 if A > 1 else 0.0
        out = super().bad(dims) + [
            ("an action equal to A", _replace(acts, A, at=-1)), ("a negative action", _replace(acts, -1)),
            ("fractional actions", np.full(S, 0.5)), ("rows summing to 0.5", probs * 0.5),
            ("a NaN probability", _replace(probs, math.nan)), ("a negative probability", negp),
            ("one axis too many", probs[..., None]), ("empty", np.zeros((0, A))),
            ("actions for S + 1 states", np.zeros(S + 1, dtype=int)),
            ("probabilities for S + 1 states", np.full((S + 1, A), 1.0 / A)),
            ("probabilities for A + 1 actions", np.full((S, A + 1), 1.0 / (A + 1)))]
        return out


class _NotAnMDP:
    """An object with the MDP's array attributes but not an MDP (duck typing is not accepted)."""

    def __init__(self, S, A):
        self.P, self.R = np.full((S, A, S), 1.0 / S), np.zeros((S, A))
        self.terminal, self.gamma, self.start = np.zeros(S, bool), 0.9, 0


@dataclasses.dataclass
class MDPKind(_Tabular):
    """A random finite MDP with ``S`` states and ``A`` actions (rl.MDP).

    Dense positive transition rows, rewards in [-5, 5], a random subset of the states other than ``start`` made
    terminal (absorbing, zero reward), sometimes a transition reward ``R_next``; gamma from ``gamma``.
    """

    gamma: tuple = (0.0, 0.95)

    def valid(self, draw, dims):
        from mlsheet_utils.algorithms import rl

        S, A = self._sizes(dims)
        P = _simplex_rows(draw, S * A, S).reshape(S, A, S)
        R_next = np.array(draw(st.lists(st.floats(-5.0, 5.0), min_size=S * A * S, max_size=S * A * S)))
        R_next = R_next.reshape(S, A, S)
        start = draw(st.integers(0, S - 1))
        terminal = np.array([s != start and draw(st.booleans()) for s in range(S)], dtype=bool)
        P[terminal] = 0.0
        for t in np.flatnonzero(terminal):
            P[t, :, t] = 1.0
        R_next[terminal] = 0.0
        R = (P * R_next).sum(-1)
        gamma = draw(st.floats(*self.gamma))
        with_next = draw(st.booleans())
        return rl.MDP(P, R, terminal, gamma, start, R_next if with_next else None)

    def bad(self, dims):
        S, A = self._sizes(dims)
        return super().bad(dims) + [("an array of transition probabilities", np.full((S, A, S), 1.0 / S)),
                                    ("an MDP look-alike", _NotAnMDP(S, A))]


@dataclasses.dataclass
class Episodes(_Tabular):
    """A list of 1..``n_episodes`` finished Episodes (policy_gradient.Episode) over states ``0..S-1`` and actions
    ``0..A-1``, each of 1..``length`` steps, rewards in [-5, 5].

    ``actions_checked``: the function reads the actions, so an episode taking an action outside ``0..A-1`` is bad.
    """

    n_episodes: tuple = (1, 4)
    length: tuple = (1, 6)
    actions_checked: bool = False

    @staticmethod
    def _episode(states, actions, rewards, truncated=False):
        from mlsheet_utils.algorithms.policy_gradient import Episode

        return Episode(np.asarray(states, dtype=int), np.asarray(actions, dtype=int),
                       np.asarray(rewards, dtype=float), truncated)

    def valid(self, draw, dims):
        S, A = self._sizes(dims)
        out = []
        for _ in range(draw(st.integers(*self.n_episodes))):
            T = draw(st.integers(*self.length))
            out.append(self._episode(draw(st.lists(st.integers(0, S - 1), min_size=T, max_size=T)),
                                     draw(st.lists(st.integers(0, A - 1), min_size=T, max_size=T)),
                                     draw(st.lists(st.floats(-5.0, 5.0), min_size=T, max_size=T))))
        return out

    def bad(self, dims):
        S, A = self._sizes(dims)
        ok = self._episode([0], [0], [1.0])
        out = super().bad(dims) + [
            ("an empty list", []), ("a list of numbers", [1.0, 2.0]), ("an Episode not in a list", ok),
            ("a truncated episode", [ok, self._episode([0], [0], [1.0], truncated=True)]),
            ("an episode with no steps", [self._episode([], [], [])]),
            ("a state equal to S", [ok, self._episode([0, S], [0, 0], [1.0, 1.0])]),
            ("a negative state", [self._episode([-1], [0], [1.0])]),
            ("a NaN reward", [self._episode([0], [0], [math.nan])])]
        if self.actions_checked:
            out += [("an action equal to A", [self._episode([0], [A], [1.0])]),
                    ("a negative action", [self._episode([0], [-1], [1.0])])]
        return out

"""Argument kinds whose valid values are the package's own objects (see :mod:`tests.contracts.kinds`; those of its
neural networks are in :mod:`tests.contracts.kinds_nn`).

- :class:`Policy`           a tabular policy: (S,) integer actions or an (S, A) row-stochastic matrix;
- :class:`MDPKind`          a small random :class:`~mlsheet_utils.algorithms.rl.MDP` with S states and A actions;
- :class:`Episodes`         a list of finished :class:`~mlsheet_utils.algorithms.policy_gradient.Episode` objects
  (``allowed``: some of its wrong values valid, such as truncated episodes);
- :class:`TransitionBatch`  a :class:`~mlsheet_utils.algorithms.model_based.Transitions` batch over S states and
  A actions (an MDP's transition tensor is :class:`~tests.contracts.kinds.TransitionTensor`);
- :class:`RolloutBatchKind` a :class:`~mlsheet_utils.algorithms.trust_region.RolloutBatch` over S states and
  A actions;
- :class:`Board`            a tic-tac-toe board reachable by legal play (``algorithms.mcts``);
- :class:`Control`          a widget control made by :mod:`mlsheet_utils.explore.controls`.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
from hypothesis import strategies as st

from tests.contracts.kinds import Kind, _replace, _simplex_rows

# -- tabular RL: policies, MDPs, episodes ----------------------------------------------------------------------


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
    ``allowed``: the labels of wrong values that are valid for this argument (a function that takes
    :func:`sample_episode`'s output accepts a truncated episode; one with no MDP cannot tell a state equal to S);
    with ``"a truncated episode"`` allowed, valid draws truncate some episodes too.
    """

    n_episodes: tuple = (1, 4)
    length: tuple = (1, 6)
    actions_checked: bool = False
    allowed: tuple = ()

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
        if "a truncated episode" in self.allowed:
            out = [dataclasses.replace(ep, truncated=draw(st.booleans())) for ep in out]
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
        return [(label, value) for label, value in out if label not in self.allowed]


# -- model-based RL and trust regions: batches of samples ------------------------------------------------------

@dataclasses.dataclass
class TransitionBatch(_Tabular):
    """A :class:`~mlsheet_utils.algorithms.model_based.Transitions` batch of ``n`` (1..``n_max``) transitions over
    states ``0..S-1`` and actions ``0..A-1``, rewards in [-5, 5], ``done`` random but never on entering state 0 (so
    state 0 can start an episode in the learned model).

    Wrong: None, a string, a tuple of the five arrays (not a Transitions), a look-alike object with the fields."""

    n_max: int = 8

    def valid(self, draw, dims):
        from mlsheet_utils.algorithms.model_based import Transitions

        S, A = self._sizes(dims)
        n = draw(st.integers(1, self.n_max))
        ints = lambda hi: np.array(draw(st.lists(st.integers(0, hi - 1), min_size=n, max_size=n)), dtype=int)  # noqa: E731
        s, a, s_next = ints(S), ints(A), ints(S)
        r = np.array(draw(st.lists(st.floats(-5.0, 5.0), min_size=n, max_size=n)), dtype=float)
        done = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool) & (s_next != 0)
        return Transitions(s, a, r, s_next, done)

    def bad(self, dims):
        one = (np.zeros(1, int), np.zeros(1, int), np.zeros(1), np.zeros(1, int), np.zeros(1, bool))

        class LookAlike:
            s, a, r, s_next, done = one

        return super().bad(dims) + [("a tuple of the arrays", one), ("a look-alike object", LookAlike())]


@dataclasses.dataclass
class RolloutBatchKind(Kind):
    """A :class:`~mlsheet_utils.algorithms.trust_region.RolloutBatch` of 1..``n_max`` samples over states
    ``0..S-1`` and actions ``0..A-1`` (read from the dims ``states``, ``actions``, drawn for the policy's logits;
    not shared, so the logits get no size disagreement from it): advantages in [-5, 5], weights in [0, 1],
    log-probabilities in [-3, 0], 1..3 episode returns.

    Wrong: None, a string, a look-alike object with the fields (not a RolloutBatch)."""

    states: str = "S"
    actions: str = "A"
    n_max: int = 6

    def valid(self, draw, dims):
        from mlsheet_utils.algorithms.trust_region import RolloutBatch

        S, A = dims[self.states], dims[self.actions]
        n, e = draw(st.integers(1, self.n_max)), draw(st.integers(1, 3))
        floats = lambda lo, hi, k=n: np.array(draw(st.lists(st.floats(lo, hi), min_size=k, max_size=k)))  # noqa: E731
        s = np.array(draw(st.lists(st.integers(0, S - 1), min_size=n, max_size=n)), dtype=int)
        a = np.array(draw(st.lists(st.integers(0, A - 1), min_size=n, max_size=n)), dtype=int)
        return RolloutBatch(s, a, floats(-5.0, 5.0), floats(0.0, 1.0), floats(-3.0, 0.0), floats(-5.0, 5.0, e))

    def bad(self, dims):
        class LookAlike:
            states, actions = np.zeros(1, int), np.zeros(1, int)
            advantages, weights, log_prob_old, returns = np.ones(1), np.ones(1), np.zeros(1), np.zeros(1)

        return super().bad(dims) + [("a look-alike object", LookAlike())]


# -- tic-tac-toe -----------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=2)
def _positions(playable: bool) -> tuple:
    from mlsheet_utils.algorithms import mcts

    return tuple(sorted(b for b in mcts.reachable_positions() if mcts.legal_moves(b) or not playable))


@dataclasses.dataclass
class Board(Kind):
    """A tic-tac-toe board reachable by legal play: a tuple of 9 ints in {-1, 0, 1}, X (1) first, so there are as
    many X as O or one more. ``playable``: a move is left (not won, not full); a finished game is then wrong.

    Wrong: None, a string, 8 entries, an entry 2, a fractional, a NaN entry, two more X than O, O first (more O
    than X), a nested board (one axis too many); with ``playable``, a won and a full board."""

    playable: bool = False

    def valid(self, draw, dims):
        return draw(st.sampled_from(_positions(self.playable)))

    def bad(self, dims):
        empty = (0,) * 9
        out = super().bad(dims) + [
            ("eight entries", empty[:8]), ("an entry 2", (2,) + empty[1:]), ("a fractional entry", (0.5,) + empty[1:]),
            ("a NaN entry", (math.nan,) + empty[1:]), ("two more X than O", (1, 1) + empty[2:]),
            ("O first", (-1,) + empty[1:]), ("one axis too many", tuple((x,) for x in empty))]
        if self.playable:
            out += [("a won game", (1, 1, 1, -1, -1, 0, 0, 0, 0)), ("a full board", (1, -1, 1, 1, -1, -1, -1, 1, 1))]
        return out


# -- widgets ---------------------------------------------------------------------------------------------------

def _controls():
    from mlsheet_utils.explore import controls as C

    return {"float": lambda: C.float_slider("a", 0.0, 1.0, 0.5), "int": lambda: C.int_slider("n", 0, 4, 2),
            "log": lambda: C.log_slider("lr", -2.0, 0.0, 0.1), "dropdown": lambda: C.dropdown("k", ["p", "q"]),
            "checkbox": lambda: C.checkbox("on"), "frames": lambda: C.frames("epoch", 5)}


@dataclasses.dataclass
class Control(Kind):
    """A control of :mod:`mlsheet_utils.explore.controls` (a fresh one per draw) of one of ``kinds``. With
    ``strict``, None, a number and a text box (a widget no sweep knows) are wrong; without, no value is (a function
    that answers "no controls attached" for anything)."""

    strict: bool = True
    kinds: tuple = ("float", "int", "log", "dropdown", "checkbox", "frames")

    def valid(self, draw, dims):
        return _controls()[draw(st.sampled_from(list(self.kinds)))]()

    def bad(self, dims):
        import ipywidgets as widgets

        return [("None", None), ("a number", 3.0), ("a text box", widgets.Text())] if self.strict else []

"""Declarations: ``algorithms.rl``, ``algorithms.rl_prediction`` and ``algorithms.markov``."""

from __future__ import annotations

import functools

import numpy as np

from mlsheet_utils.algorithms import markov as M
from mlsheet_utils.algorithms import rl
from mlsheet_utils.algorithms import rl_prediction as RP
from tests.contracts.kinds import (
    Array,
    Either,
    Fixed,
    Flag,
    Func,
    Int,
    IntArray,
    Labels,
    Optional,
    Positive,
    ProbVector,
    Real,
    Rng,
    Stochastic,
    TransitionTensor,
)
from tests.contracts.kinds_objects import Episodes, MDPKind, Policy
from tests.contracts.registry import declare, declare_method, not_square

COVERS = ("mlsheet_utils.algorithms.rl", "mlsheet_utils.algorithms.rl_prediction",
          "mlsheet_utils.algorithms.markov")
# records: results the functions return (no reader builds one)
RECORDS = (rl.PolicyIterationTrace, rl.IterativeEvaluation, rl.Transition, rl.TDResult, RP.PredictionHistory,
           M.StationaryResult, M.ForwardResult, M.ViterbiResult, M.BaumWelchResult, M.Enumeration)

GAMMA = Real(0.0, 1.0, high_open=True)            # an MDP's discount, in [0, 1)
EPISODIC_GAMMA = Real(0.0, 1.0)                   # rl_prediction: an episodic task may be undiscounted
PROB = Real(0.0, 1.0)
STEP = Real(0.0, 1.0, low_open=True)              # a step size alpha in (0, 1]
MDP_ = MDPKind()
DIMS = {"S": (1, 5), "A": (1, 4)}


# -- rl: models ----------------------------------------------------------------------------------------------

class _Table:
    """A stand-in for a toy-text environment: only the transition table ``P`` (and no initial distribution)."""

    def __init__(self, P):
        self.P = P


@functools.lru_cache(maxsize=1)
def _frozen_lake():
    import gymnasium

    return gymnasium.make("FrozenLake-v1")


LAYOUTS = (rl.CLIFF, rl.ROOM, ("SG",), ("S.P", ".PG"), ["S..", "..G"])
declare(rl.gridworld,
        layout=Fixed(lambda dims: LAYOUTS[dims["L"]], uses=("L",),
                     wrong=[("None", None), ("a number", 3.0), ("an empty tuple", ()), ("rows of unequal length",
                            ("S..", "G")), ("an unknown cell", ("S.X", "..G")), ("no start", ("...", "..G")),
                            ("two starts", ("S.S", "..G")), ("no goal", ("S..", "...")),
                            ("rows that are not strings", (1, 2))]),
        slip=PROB, gamma=GAMMA, step_reward=Real(), goal_reward=Real(), pit_reward=Real(),
        dims={"L": (0, len(LAYOUTS) - 1)})
declare(rl.corridor, gamma=GAMMA, length=Int(3, None, draw=(3, 8)), left_reward=Real(), right_reward=Real())
declare(rl.from_gymnasium,
        env=Fixed(lambda dims: _frozen_lake(),
                  wrong=[("None", None), ("a string", "FrozenLake-v1"), ("an object without a table", object()),
                         ("an empty table", _Table({})),
                         ("a table without state 0", _Table({1: {0: [(1.0, 1, 0.0, False)]}})),
                         ("a table whose outcome probabilities sum to 0.5",
                          _Table({0: {0: [(0.5, 1, 0.0, True)]}, 1: {0: [(1.0, 1, 0.0, True)]}}))]),
        gamma=GAMMA,
        start=Optional(Fixed(lambda dims: 0, wrong=[("negative", -1), ("above the states", 16), ("a fraction", 1.5),
                                               ("a string", "seven"), ("a terminal state (a hole)", 5)])))

# -- rl: dynamic programming ---------------------------------------------------------------------------------
VI_ITER = Int(1, None, draw=(5_000, 100_000))     # valid draws leave room to reach tol (gamma <= 0.95)
TOL = Positive(draw=(1e-10, 1e-3))
declare(rl.bellman_backup, mdp=MDP_, Q=Array(("S", "A")), gamma=Optional(GAMMA), dims=DIMS)
declare(rl.value_iteration, mdp=MDP_, tol=TOL, max_iter=VI_ITER, dims=DIMS)
declare(rl.policy_evaluation, mdp=MDP_, policy=Policy(), dims=DIMS)
declare(rl.q_from_v, mdp=MDP_, V=Array(("S",)), dims=DIMS)
declare(rl.policy_iteration, mdp=MDP_, max_iter=Int(1, None, draw=(100, 1000)), dims=DIMS)
declare(rl.policy_iteration_trace, mdp=MDP_, max_iter=Int(1, None, draw=(100, 1000)), dims=DIMS)
declare(rl.value_iteration_history, mdp=MDP_, n_iter=Int(0, None, draw=(0, 30)), dims=DIMS)
declare(rl.iterative_policy_evaluation, mdp=MDP_, policy=Policy(), tol=TOL, max_iter=VI_ITER, dims=DIMS)
declare(rl.discounted_occupancy, mdp=MDP_, policy=Policy(), mu0=Optional(ProbVector("S")), dims=DIMS)
declare(rl.contraction_ratios, mdp=MDP_, n_pairs=Int(1, None, draw=(1, 30)), rng=Rng(), scale=Positive(),
        dims=DIMS)
declare(rl.expected_q_sweeps, mdp=MDP_, q_init=Real(), n_sweeps=Int(1, None, draw=(1, 60)),
        bootstrap_terminal=Flag(), dims=DIMS)
declare(rl.greedy_policy, Q=Array(("S", "A")), dims=DIMS)
declare(rl.epsilon_greedy_probs, Q=Array(("S", "A")), epsilon=PROB, dims=DIMS)
declare(rl.sarsa_fixed_point, mdp=MDP_, epsilon=PROB, max_iter=Int(1, None, draw=(100, 1000)), dims=DIMS)


# -- rl: sampling and learning -------------------------------------------------------------------------------

def _terminal_or_outside(a):
    """A terminal state of the drawn MDP (the first one), or S when it has none."""
    t = np.flatnonzero(a["mdp"].terminal)
    return int(t[0]) if t.size else a["mdp"].n_states


STATE = Int(0, lambda dims: dims["S"] - 1)
declare(rl.epsilon_greedy, Q=Array(("S", "A")), s=STATE, epsilon=PROB, rng=Rng(), dims=DIMS)
declare(rl.step, mdp=MDP_, s=STATE, a=Int(0, lambda dims: dims["A"] - 1), rng=Rng(), dims=DIMS,
        where=lambda a: not a["mdp"].terminal[a["s"]],
        relations=[("s", "a terminal state", _terminal_or_outside)])
TD = dict(mdp=MDP_, alpha=STEP, gamma=Optional(GAMMA), epsilon=PROB, episodes=Int(1, None, draw=(1, 15)), rng=Rng(),
          max_steps=Int(1, None, draw=(1, 40)), q_init=Either(Real(), Array(("S", "A"))), alpha_power=PROB,
          history=Flag(), dims=DIMS)
declare(rl.q_learning, after_step=Optional(Func(lambda dims: lambda *args: None)), **TD)
declare(rl.sarsa, **TD)
declare(rl.greedy_path, mdp=MDP_, Q=Array(("S", "A")), dims=DIMS)
declare(rl.running_mean, x=Array(("n",)), window=Int(1, None, draw=(1, 8)))


# -- rl_prediction -------------------------------------------------------------------------------------------
# n_states: valid draws are exactly S (episodes visit states 0..S-1); fewer states than an episode visits is bad

def _max_state(a):
    return int(max(ep.states.max() for ep in a["episodes"]))


N_STATES = Int(1, None, draw=("S", "S"))
SMALL = [("n_states", "no larger than a visited state", _max_state)]
EPISODES = Episodes()
declare(RP.mc_prediction, episodes=EPISODES, n_states=N_STATES, gamma=EPISODIC_GAMMA, first_visit=Flag(),
        v_init=Real(), relations=SMALL, dims=DIMS)


def _uncovering(a):
    """A behaviour policy that never takes action 0, where the (positive) target policy does."""
    b = np.zeros_like(a["target"])
    if b.shape[1] > 1:
        b[:, 1:] = 1.0 / (b.shape[1] - 1)
    return b


declare(RP.off_policy_mc, episodes=Episodes(actions_checked=True), n_states=N_STATES,
        target=Stochastic(("S", "A")), behaviour=Stochastic(("S", "A")), gamma=EPISODIC_GAMMA, weighted=Flag(),
        relations=SMALL + [("behaviour", "zero where the target is positive", _uncovering)], dims=DIMS)
declare(RP.constant_alpha_mc, episodes=EPISODES, n_states=N_STATES, alpha=STEP, gamma=EPISODIC_GAMMA,
        v_init=Real(), relations=SMALL, dims=DIMS)
declare(RP.td0_prediction, episodes=EPISODES, n_states=N_STATES, alpha=STEP, gamma=EPISODIC_GAMMA,
        v_init=Real(), relations=SMALL, dims=DIMS)
declare(RP.td_lambda, episodes=EPISODES, n_states=N_STATES, alpha=STEP, lam=PROB, gamma=EPISODIC_GAMMA,
        v_init=Real(), offline=Flag(), relations=SMALL, dims=DIMS)
declare(RP.lambda_return_offline, episodes=EPISODES, n_states=N_STATES, alpha=STEP, lam=PROB,
        gamma=EPISODIC_GAMMA, v_init=Real(), relations=SMALL, dims=DIMS)
# alpha: any positive step is accepted, but only a small one contracts (the default 1 / (2 max N) does)
declare(RP.batch_td0, episodes=EPISODES, n_states=N_STATES, gamma=EPISODIC_GAMMA,
        alpha=Optional(Positive(draw=(0.005, 0.02))), tol=Positive(draw=(1e-12, 1e-6)),
        max_iter=Int(1, None, draw=(1_000_000, 1_000_000)), relations=SMALL, dims=DIMS)
declare(RP.certainty_equivalence, episodes=EPISODES, n_states=N_STATES, gamma=EPISODIC_GAMMA, relations=SMALL,
        dims=DIMS)
# V: "shape (..., S)", one table or a stack of them
declare(RP.rms_error, V=Array(("S",), any_shape=True), v_true=Array(("S",)), states=Optional(Labels(("m",), "S")))


# -- markov: chains ------------------------------------------------------------------------------------------
CHAIN = Stochastic(("k", "k"))
declare(M.check_transition_matrix, P=CHAIN)
declare(M.distribution_path, P=CHAIN, p0=ProbVector("k"), n_steps=Int(0, None, draw=(0, 10)))


def _disagreeing_with_p0(a):
    """A chain with one more state than ``p0`` has; without ``p0`` (valid: uniform start), a non-square matrix."""
    k = a["P"].shape[0]
    return np.full((k + 1, k + 1), 1.0 / (k + 1)) if a["p0"] is not None else np.full((k, k + 1), 1.0 / (k + 1))


# P may have any size when p0 is left out: its size disagreement is a relation with a given p0
declare(M.stationary_power, P=Stochastic(("k", "k"), loose=("k",)), p0=Optional(ProbVector("k")),
        tol=Real(0.0, None, draw=(1e-12, 1e-3)), max_iter=Int(1, None, draw=(1, 1000)),
        relations=[("P", "a size that disagrees with p0", _disagreeing_with_p0)])
declare(M.stationary_solve, P=CHAIN)
declare(M.simulate_chain, P=CHAIN, n_steps=Int(0, None, draw=(0, 20)), x0=Int(0, lambda dims: dims["k"] - 1),
        rng=Rng())
# a trajectory of states 0, 1, 2, ... (no number of states is given, so no upper bound)
declare(M.return_times, states=Array(("T",), low=0, integer=True, draw=(0, 4)), state=Int(0, None, draw=(0, 4)),
        dims={"T": (1, 12)})
declare(M.mean_hitting_times, P=CHAIN, target=Int(0, lambda dims: dims["k"] - 1))
declare(M.detailed_balance_gap, P=CHAIN, pi=ProbVector("k"))
NOT_SQUARE = [not_square("adjacency")]
declare(M.google_matrix, adjacency=Array(("n", "n"), low=0.0, draw=(0.0, 1.0)), damping=PROB, relations=NOT_SQUARE)
declare(M.pagerank, adjacency=Array(("n", "n"), low=0.0, draw=(0.0, 1.0)), damping=PROB,
        tol=Real(0.0, None, draw=(1e-12, 1e-3)), max_iter=Int(1, None, draw=(1, 1000)), relations=NOT_SQUARE)

# -- markov: hidden Markov models ----------------------------------------------------------------------------
HMM = dict(startprob=ProbVector("K"), transmat=Stochastic(("K", "K")),
           emissionprob=Stochastic(("K", "V"), loose=("V",)), obs=Labels(("T",), "V"))
for f in (M.forward, M.backward, M.posterior, M.viterbi, M.enumerate_paths):
    declare(f, **HMM)
declare(M.baum_welch, **HMM, n_iter=Int(1, None, draw=(1, 30)), tol=Real(0.0, None, draw=(0.0, 1e-3)))
declare(M.sample_hmm, startprob=ProbVector("K"), transmat=Stochastic(("K", "K")),
        emissionprob=Stochastic(("K", "V"), loose=("V",)), n_steps=Int(1, None, draw=(1, 10)), rng=Rng())


# == classes ===================================================================================================
# rl.MDP: valid draws have no terminal state (any start is then valid); a terminal state that is not absorbing
# (or, with one state, a terminal start) is a relation. R_next is left out of valid draws (it must average to R).
def _not_absorbing(a):
    S = a["P"].shape[0]
    terminal = np.zeros(S, dtype=bool)
    terminal[(a["start"] + 1) % S] = True
    return terminal


def _R_next_off(a):
    return np.broadcast_to(a["R"][:, :, None] + 1.0, a["P"].shape).copy()


declare(rl.MDP, P=TransitionTensor(), R=Array(("S", "A")),
        terminal=Fixed(lambda dims: np.zeros(dims["S"], dtype=bool), uses=("S",),
                       wrong=[("None", None), ("a string", "seven"), ("integers, not booleans", np.zeros(9, int))]),
        gamma=GAMMA, start=Int(0, lambda dims: dims["S"] - 1),
        R_next=Fixed(lambda dims: None, wrong=[("a string", "seven")]),
        shape=Fixed(lambda dims: None, wrong=[("a string", "seven"), ("three numbers", (1, 1, 1)),
                                              ("fractions", (0.5, 2.0))]),
        dims=DIMS,
        relations=[("terminal", "a terminal state that is not absorbing", _not_absorbing),
                   ("terminal", "one entry too many", lambda a: np.zeros(a["P"].shape[0] + 1, dtype=bool)),
                   ("R_next", "not averaging to R", _R_next_off),
                   ("R_next", "the shape of R", lambda a: a["R"].copy()),
                   ("R_next", "a NaN entry", lambda a: np.full(a["P"].shape, np.nan)),
                   ("shape", "one cell too many", lambda a: (a["P"].shape[0] + 1, 1))])
declare_method(rl.MDP, "with_gamma", make=lambda dims: rl.corridor(gamma=0.9), gamma=GAMMA)

# markov.CategoricalHMM: its settings are checked in ``fit`` (a fixed sequence of 3 symbols); each method gets a
# 2-state model fitted on a sequence over the drawn V symbols
OBS = np.array([0, 1, 2, 2, 1, 0, 0, 2])


def _hmm_init(dims):
    K, V = 2, dims["V"]
    return np.full(K, 1.0 / K), np.full((K, K), 1.0 / K), np.full((K, V), 1.0 / V)


def _hmm(dims):
    return M.CategoricalHMM(2, n_iter=3).fit(np.arange(12) % dims["V"], n_symbols=dims["V"])


declare(M.CategoricalHMM, n_components=Int(1, None, draw=(1, 3)), n_iter=Int(1, None, draw=(1, 5)),
        tol=Real(0.0, None, draw=(0.0, 1e-3)), rng=Rng(), then=lambda hmm, dims: hmm.fit(OBS))
# n_symbols: any int above the largest symbol of obs (valid draws: V..V+2); init: None or a (startprob, transmat,
# emissionprob) triple (the parts' own errors name startprob, transmat and emissionprob, as baum_welch's do)
# obs: symbols >= 0, with no upper bound when neither n_symbols nor init gives the alphabet (drawn below V)
declare_method(M.CategoricalHMM, "fit", make=lambda dims: M.CategoricalHMM(2, n_iter=3),
               obs=IntArray(("T",), 0, None, uses=("V",), draw=(0, lambda dims: dims["V"] - 1)),
               n_symbols=Optional(Int(1, None, draw=(lambda dims: dims["V"], lambda dims: dims["V"] + 2))),
               init=Optional(Fixed(_hmm_init, uses=("V",), wrong=[("a string", "seven"),
                                                                  ("a pair", (np.ones(2) / 2, np.eye(2)))])),
               relations=[("n_symbols", "not above the largest symbol", lambda a: int(np.max(a["obs"])))])
for _method in ("score", "predict_proba", "predict"):
    declare_method(M.CategoricalHMM, _method, make=_hmm, uses=("V",), obs=Labels(("T",), "V"))

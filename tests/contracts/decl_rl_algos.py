"""Declarations: ``algorithms.policy_gradient``, ``actor_critic``, ``trust_region``, ``model_based``, ``bandits``,
``mcts``, ``alphago`` and ``rlhf``."""

from __future__ import annotations

import functools

import numpy as np

from mlsheet_utils.algorithms import actor_critic as AC
from mlsheet_utils.algorithms import alphago as AG
from mlsheet_utils.algorithms import bandits as B
from mlsheet_utils.algorithms import mcts as MC
from mlsheet_utils.algorithms import model_based as MB
from mlsheet_utils.algorithms import policy_gradient as PG
from mlsheet_utils.algorithms import rlhf as H
from mlsheet_utils.algorithms import trust_region as TR
from tests.contracts.kinds import (
    Array,
    Choice,
    Either,
    Fixed,
    Flag,
    Func,
    Int,
    IntArray,
    Labels,
    Mask,
    Optional,
    Positive,
    ProbVector,
    Real,
    Rng,
    Stochastic,
)
from tests.contracts.kinds_objects import (
    Board,
    Episodes,
    MDPKind,
    Policy,
    RolloutBatchKind,
    TransitionBatch,
)
from tests.contracts.registry import declare, first_entry

COVERS = tuple(f"mlsheet_utils.algorithms.{m}" for m in (
    "policy_gradient", "actor_critic", "trust_region", "model_based", "bandits", "mcts", "alphago", "rlhf"))
# records: results the functions return (no page builds one). Episode, Transitions and RolloutBatch are built on
# pages, so their constructors are declared.
RECORDS = (PG.ReinforceRun, AC.Rollout, AC.ActorCriticResult, AC.A2CResult, TR.PPOUpdate, TR.PPOResult,
           TR.TRPOStep, TR.TRPOResult, MB.LearnedModel, B.BanditRuns, MC.MCTSResult, AG.Networks, AG.PUCTResult,
           H.Preferences, H.RewardModel, H.DPOFit)

MDP_ = MDPKind()
DIMS = {"S": (1, 4), "A": (1, 3)}
PROB = Real(0.0, 1.0)
UNIT_OPEN = Real(0.0, 1.0, low_open=True, high_open=True)      # a clip range, a backtracking factor: (0, 1)
NONNEG = Real(0.0, None)
THETA = Array(("S", "A"))
STATE = Int(0, lambda dims: dims["S"] - 1)
ACTION = Int(0, lambda dims: dims["A"] - 1)
STEPS = Int(1, None, draw=(1, 20))                             # max_steps of an episode
FEW = Int(1, None, draw=(1, 3))                                # iterations, episodes, batches: kept small


def _size(sym):
    """A size read from the dims by a callable: the argument does not share ``sym`` (no size disagreement)."""
    return lambda dims: dims[sym]


# the logits a batch of episodes was played with: (S, A) read by callables, so a larger table is not wrong (the
# episodes visit a subset of its states); a table too small for the episodes is a relation
THETA_FOR_EPISODES = Array((_size("S"), _size("A")))


def _max_visit(a, field):
    return int(max(getattr(ep, field).max() for ep in a["episodes"]))


SMALL_THETA = [("theta", "fewer states than the episodes visit",
                lambda a: np.zeros((_max_visit(a, "states"), a["theta"].shape[1]))),
               ("theta", "fewer actions than the episodes take",
                lambda a: np.zeros((a["theta"].shape[0], _max_visit(a, "actions"))))]


# == policy_gradient ===========================================================================================
declare(PG.softmax_policy, theta=THETA)
declare(PG.softmax_score, theta=THETA, s=STATE, a=ACTION)
declare(PG.policy_objective, mdp=MDP_, theta=THETA, dims=DIMS)
declare(PG.exact_policy_gradient, mdp=MDP_, theta=THETA, dims=DIMS)


def _terminal_or_outside(a):
    t = np.flatnonzero(a["mdp"].terminal)
    return int(t[0]) if t.size else a["mdp"].n_states


declare(PG.sample_episode, mdp=MDP_, policy=Stochastic(("S", "A")), rng=Rng(), max_steps=STEPS,
        start=Optional(STATE), dims=DIMS, where=lambda a: a["start"] is None or not a["mdp"].terminal[a["start"]],
        relations=[("start", "a terminal state", _terminal_or_outside)])
declare(PG.discounted_returns, rewards=Array(("T",), empty_ok=True), gamma=PROB)
# episodes from sample_episode: a truncated one is valid (max_steps ran out)
PLAYED = Episodes(actions_checked=True, allowed=("a truncated episode",))
REINFORCE = dict(theta=THETA_FOR_EPISODES, episodes=PLAYED, gamma=PROB,
                 baseline=Optional(Array((_size("S"),))), reward_to_go=Flag(), discount_score=Flag(), dims=DIMS,
                 relations=SMALL_THETA + [("baseline", "one entry per state plus one",
                                           lambda a: np.zeros(a["theta"].shape[0] + 1))])
declare(PG.reinforce_estimates, **REINFORCE)
declare(PG.reinforce_gradient, **REINFORCE)
declare(PG.reinforce, mdp=MDP_, lr=Positive(), n_iter=FEW, batch=FEW, baseline=Choice(("none", "learned", "exact")),
        baseline_lr=Real(0.0, 1.0, low_open=True), theta0=Optional(THETA), rng=Rng(), max_steps=STEPS, dims=DIMS)
# an Episode only holds arrays: the range of its states and actions is checked by the function that reads it
# against its MDP (Episodes' wrong values, a negative state or a NaN reward, are Episodes); an empty one is valid
declare(PG.Episode, states=IntArray(("T",), draw=(0, 4), empty_ok=True),
        actions=IntArray(("T",), draw=(0, 4), empty_ok=True), rewards=Array(("T",), finite=False, empty_ok=True),
        truncated=Choice((True, False)))


# == actor_critic ==============================================================================================
# stack_episodes knows no MDP: a state equal to S or an action equal to A is not wrong; a truncated episode is
# documented
declare(AC.stack_episodes, episodes=Episodes(actions_checked=True,
                                                 allowed=("a truncated episode", "a state equal to S",
                                                          "an action equal to A")), dims=DIMS)
ROLLOUT = dict(rewards=Array(("T", "N")), values=Array(("T", "N")), dones=Optional(Mask(("T", "N"))),
               last_values=Either(Real(), Array(("N",))), gamma=PROB, dims={"T": (1, 5), "N": (1, 3)})
declare(AC.gae, **ROLLOUT, lam=PROB)
declare(AC.n_step_advantages, **ROLLOUT, n=Int(1, None, draw=(1, 6)))
declare(AC.gae_bias, mdp=MDP_, policy=Policy(), V=Array(("S",)), lam=PROB, dims=DIMS)
declare(AC.n_step_bias, mdp=MDP_, policy=Policy(), V=Array(("S",)), n=Int(1, None, draw=(1, 6)), dims=DIMS)
# the visited pairs index the logits: a larger table is not wrong, so S and A are read by callables
declare(AC.advantage_gradient, theta=Array((_size("S"), _size("A"))), states=Labels(("B",), _size("S")),
        actions=Labels(("B",), _size("A")), weights=Array(("B",)), dims=DIMS)
declare(AC.policy_entropy, theta=THETA)
declare(AC.entropy_gradient, theta=THETA)
declare(AC.one_step_actor_critic, mdp=MDP_, alpha_actor=Real(0.0, None, draw=(0.0, 2.0)), alpha_critic=PROB,
        episodes=Int(1, None, draw=(1, 5)), rng=Rng(), max_steps=STEPS, theta_init=Optional(THETA),
        v_init=Either(Real(), Array(("S",))), discount_actor=Flag(), history=Flag(), dims=DIMS)
declare(AC.a2c, mdp=MDP_, n_envs=FEW, n_steps=Int(1, None, draw=(1, 4)), lam=PROB,
        alpha_actor=Real(0.0, None, draw=(0.0, 2.0)), alpha_critic=PROB, entropy_coef=Real(0.0, None, draw=(0.0, 1.0)),
        updates=Int(1, None, draw=(1, 5)), rng=Rng(), dims=DIMS)


# == trust_region ==============================================================================================
for f in (TR.advantages, TR.state_weights, TR.fisher_matrix):
    declare(f, mdp=MDP_, theta=THETA, dims=DIMS)
for f in (TR.surrogate_objective, TR.surrogate_gradient, TR.mean_kl, TR.max_kl, TR.improvement_lower_bound):
    declare(f, mdp=MDP_, theta_old=THETA, theta=THETA, dims=DIMS)
# ratios r >= 0 (a page plots r from 0), any shape; the advantage broadcasts with them (n >= 2: a size n + 1 then
# never broadcasts)
CLIP = dict(ratio=Array(("n",), low=0.0, any_shape=True), advantage=Array(("n",), any_shape=True), epsilon=UNIT_OPEN,
            dims={"n": (2, 5)})
declare(TR.clipped_objective, **CLIP)
declare(TR.clipped_objective_grad, **CLIP)
declare(TR.rollout_batch, mdp=MDP_, theta=THETA, n_episodes=FEW, rng=Rng(), max_steps=STEPS, dims=DIMS)


def _small_for_batch(arg):
    """The logits with one state fewer than the batch visits (empty if it visits state 0 only)."""
    return (arg, "fewer states than the batch visits",
            lambda a: np.zeros((int(a["batch"].states.max()), a[arg].shape[1])))


INDEX_WRONG = [("a string", "seven"), ("a fraction", np.array([0.5])), ("a NaN", np.array([np.nan])),
               ("a negative index", np.array([-1])), ("one axis too many", np.zeros((1, 1), dtype=int)),
               ("empty", np.zeros(0, dtype=int))]
declare(TR.clipped_surrogate, theta=THETA, batch=RolloutBatchKind(), epsilon=Optional(UNIT_OPEN),
        index=Optional(Fixed(lambda dims: np.array([0]), wrong=INDEX_WRONG)), dims=DIMS,
        relations=[_small_for_batch("theta"),
                   ("index", "an index past the batch", lambda a: np.array([a["batch"].states.size]))])
declare(TR.ppo_update, theta_old=THETA, batch=RolloutBatchKind(), epsilon=Optional(UNIT_OPEN), epochs=FEW,
        minibatch_size=Int(1, None, draw=(1, 8)), lr=Positive(), rng=Rng(), dims=DIMS,
        relations=[_small_for_batch("theta_old")])
declare(TR.ppo, mdp=MDP_, theta0=THETA, epsilon=Optional(UNIT_OPEN), epochs=FEW, n_episodes=FEW,
        minibatch_size=Int(1, None, draw=(1, 8)), lr=Positive(), n_iter=FEW, rng=Rng(), max_steps=STEPS, dims=DIMS)
declare(TR.fisher_vector_product, mdp=MDP_, theta=THETA, v=THETA, dims=DIMS)


def _spd_matvec(dims):
    d = dims["d"]
    M = np.eye(d) + 0.3 * np.ones((d, d)) / d
    return lambda x: M @ x


# b: any shape (matvec maps b's shape to itself); matvec does not share d with it: the function cannot tell a
# matrix of another size from b alone
declare(TR.conjugate_gradient, matvec=Func(_spd_matvec), b=Array(("d",), any_shape=True),
        n_iter=Int(1, None, draw=(1, 10)), tol=NONNEG)
declare(TR.natural_gradient, mdp=MDP_, theta=THETA, n_iter=Int(1, None, draw=(1, 20)), dims=DIMS)
declare(TR.trpo_step, mdp=MDP_, theta=THETA, delta=Positive(), backtrack=UNIT_OPEN,
        max_backtracks=Int(0, None, draw=(0, 5)), cg_iters=Int(1, None, draw=(1, 20)), dims=DIMS)
declare(TR.trpo, mdp=MDP_, theta0=THETA, delta=Positive(), n_iter=FEW, dims=DIMS)
# a batch a page re-weights: samples over states/actions (any non-negative ints: the policy's size is checked by
# the function that reads the batch), finite advantages, weights >= 0, log-probabilities <= 0
declare(TR.RolloutBatch, states=IntArray(("N",), 0, draw=(0, 4)), actions=IntArray(("N",), 0, draw=(0, 4)),
        advantages=Array(("N",)), weights=Array(("N",), low=0.0), log_prob_old=Array(("N",), high=0.0),
        returns=Array(("E",)))


# == model_based ===============================================================================================
declare(MB.sample_transitions, mdp=MDP_, n_per_pair=Int(1, None, draw=(1, 5)), rng=Rng(), dims=DIMS)


def _visited(a, field):
    return int(getattr(a["transitions"], field).max())


def _start_is_terminal(a):
    t = a["transitions"]
    return bool(np.any(t.done & (t.s_next == a["start"])))


def _a_terminal_start(a):
    t = a["transitions"]
    ended = t.s_next[t.done]
    return int(ended[0]) if ended.size else a["n_states"]


declare(MB.mle_model, transitions=TransitionBatch(), n_states=Int(1, None, draw=("S", lambda d: d["S"] + 2)),
        n_actions=Int(1, None, draw=("A", lambda d: d["A"] + 1)), gamma=Real(0.0, 1.0, high_open=True),
        start=Int(0, None, draw=(0, lambda d: d["S"] - 1)), dims=DIMS, where=lambda a: not _start_is_terminal(a),
        relations=[("start", "equal to n_states", lambda a: a["n_states"]),
                   ("start", "a state the transitions end in (terminal), or n_states", _a_terminal_start),
                   ("n_states", "no larger than a state visited",
                    lambda a: max(_visited(a, "s"), _visited(a, "s_next"))),
                   ("n_actions", "no larger than an action taken", lambda a: _visited(a, "a"))])
declare(MB.simulation_bound, eps_R=NONNEG, eps_P=Real(0.0, 2.0), gamma=Real(0.0, 1.0, high_open=True),
        r_max=NONNEG)
declare(MB.dyna_q, mdp=MDP_, alpha=Real(0.0, 1.0, low_open=True), epsilon=PROB, episodes=Int(1, None, draw=(1, 5)),
        n_planning=Int(0, None, draw=(0, 5)), rng=Rng(), max_steps=STEPS, history=Flag(), dims=DIMS)
# a batch built on a page from gymnasium steps: the field arrays of one length, indices >= 0, done booleans
declare(MB.Transitions, s=IntArray(("n",), 0, draw=(0, 4)), a=IntArray(("n",), 0, draw=(0, 4)), r=Array(("n",)),
        s_next=IntArray(("n",), 0, draw=(0, 4)), done=Mask(("n",)))


# == bandits ===================================================================================================
# any leading axes (..., k); U = +inf for an arm never pulled (documented), so the answer may be infinite
declare(B.ucb_score, means=Array(("k",), any_shape=True), counts=Array(("k",), low=0.0, integer=True, draw=(0, 6),
                                                                       any_shape=True),
        t=Real(0.0, None, draw=(0.0, 50.0)), c=NONNEG, finite=False)
OPEN_MEANS = Array(("k",), low=0.0, high=1.0, draw=(0.01, 0.99))
declare(B.lai_robbins_constant, means=OPEN_MEANS,
        relations=[first_entry("means", "a 0 entry", 0.0), first_entry("means", "a 1 entry", 1.0)])
COUNTS = Array(("n",), low=0.0, integer=True, draw=(0, 20), any_shape=True)
declare(B.beta_posterior, successes=COUNTS, failures=COUNTS, a0=Positive(), b0=Positive())
# a0, b0: a number or one per arm (k read by a callable: a longer means is not wrong when the priors are numbers)
PRIOR = Either(Positive(), Array((_size("k"),), low=0.0, low_open=True))
declare(B.run_bandit, means=Array(("k",), low=0.0, high=1.0), horizon=Int(1, None, draw=(1, 10)),
        policy=Choice(B.POLICIES), n_runs=Int(1, None, draw=(1, 5)), epsilon=PROB, c=NONNEG, a0=PRIOR, b0=PRIOR,
        rng=Rng(), dims={"k": (2, 5)},
        relations=[("means", "a single arm", lambda a: np.array([0.5])),
                   ("a0", "one entry per arm plus one", lambda a: np.ones(len(a["means"]) + 1)),
                   ("b0", "one entry per arm plus one", lambda a: np.ones(len(a["means"]) + 1))])


# == mcts ======================================================================================================
for f in (MC.winner, MC.to_move, MC.legal_moves):
    declare(f, board=Board())
declare(MC.reachable_positions)
declare(MC.minimax_value, board=Board())
declare(MC.minimax_move_values, board=Board(), finite=False)          # nan on the illegal squares (documented)
# values: nan for a move never visited (documented)
declare(MC.mcts, board=Board(playable=True), n_simulations=Int(1, None, draw=(1, 30)), c=NONNEG, rng=Rng(),
        finite=False)


# == alphago ===================================================================================================
declare(AG.oracle_networks, prior_noise=NONNEG, value_noise=NONNEG, temperature=Positive(), rng=Rng())


@functools.lru_cache(maxsize=1)
def _networks():
    return AG.oracle_networks(0.5, 0.3, 0.5, 0)


declare(AG.puct_scores, q=Array(("m",)), prior=Array(("m",), low=0.0, high=1.0),
        visits=Array(("m",), low=0.0, integer=True, draw=(0, 20)), c_puct=NONNEG)
declare(AG.puct_search, board=Board(playable=True),
        nets=Fixed(lambda dims: _networks(), wrong=[("None", None), ("a string", "seven"),
                                                    ("a dict of priors", {(0,) * 9: np.full(9, 1 / 9)})]),
        n_simulations=Int(1, None, draw=(1, 30)), c_puct=NONNEG, lam=PROB, rng=Rng(), finite=False)


# == rlhf ======================================================================================================
# responses are indexed into reward/logits; a longer reward vector only holds responses no pair shows
PAIRS = dict(first=Labels(("n",), _size("K")), second=Labels(("n",), _size("K")))
declare(H.sample_preferences, reward=Array(("K",)), **PAIRS, rng=Rng())
declare(H.bradley_terry_loss, w=Array(("p",)), phi_win=Array(("n", "p")), phi_lose=Array(("n", "p")), l2=NONNEG)
declare(H.fit_reward_model, phi_win=Array(("n", "p")), phi_lose=Array(("n", "p")), l2=Positive(),
        tol=Positive(draw=(1e-10, 1e-3)), max_iter=Int(1, None, draw=(1, 20)))
declare(H.kl_regularised_objective, policy=ProbVector("K"), reference=ProbVector("K"), reward=Array(("K",)),
        beta=Positive())
declare(H.kl_regularised_optimum, reference=ProbVector("K"), reward=Array(("K",)), beta=Positive())
WL = dict(winners=Labels(("n",), _size("K")), losers=Labels(("n",), _size("K")))

def _zero_first(a):
    """The reference with its first entry 0 and the rest renormalised (K >= 2), else a zero vector."""
    r = np.array(a["reference"], dtype=float)
    r[0] = 0.0
    return r / r.sum() if r.sum() > 0 else r


POSITIVE_REF = [("reference", "a zero entry", _zero_first)]
declare(H.dpo_loss, logits=Array(("K",)), reference=ProbVector("K"), **WL, beta=Positive(), relations=POSITIVE_REF)
declare(H.fit_dpo, reference=ProbVector("K"), **WL, beta=Positive(draw=(0.1, 5.0)), tol=Positive(draw=(1e-10, 1e-3)),
        max_iter=Int(1, None, draw=(1, 20)), relations=POSITIVE_REF)

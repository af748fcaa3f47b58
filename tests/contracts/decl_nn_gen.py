"""Declarations: ``algorithms.nn`` generative and training-side modules (diffusion, distillation, dqn, dropout,
dynamics, gan, graph, gumbel, hopfield, lora, masking, memory, moe)."""

from __future__ import annotations

import functools

import numpy as np

from mlsheet_utils.algorithms.nn import diffusion as DF
from mlsheet_utils.algorithms.nn import distillation as KD
from mlsheet_utils.algorithms.nn import dqn as DQ
from mlsheet_utils.algorithms.nn import dropout as DO
from mlsheet_utils.algorithms.nn import dynamics as DY
from mlsheet_utils.algorithms.nn import gan as GA
from mlsheet_utils.algorithms.nn import graph as GR
from mlsheet_utils.algorithms.nn import gumbel as GU
from mlsheet_utils.algorithms.nn import hopfield as HO
from mlsheet_utils.algorithms.nn import lora as LO
from mlsheet_utils.algorithms.nn import masking as MA
from mlsheet_utils.algorithms.nn import memory as ME
from mlsheet_utils.algorithms.nn import moe as MO
from mlsheet_utils.algorithms.nn.functional import ACTIVATIONS
from mlsheet_utils.algorithms.nn.layers import Activation, Dropout, Linear, Sequential
from mlsheet_utils.algorithms.nn.losses import MeanSquaredError
from mlsheet_utils.algorithms.nn.optimizers import SGD
from tests.contracts.kinds import (
    Array,
    Choice,
    Either,
    Fixed,
    Flag,
    Func,
    Gaussian,
    Graph,
    Int,
    IntArray,
    Labels,
    Mask,
    Optional,
    Positive,
    ProbVector,
    Real,
    Rng,
    Shape,
    SPDStack,
    Spins,
    Stochastic,
    Symmetric,
)
from tests.contracts.kinds_nn import EdgeList, PackedTargets
from tests.contracts.kinds_objects import MDPKind
from tests.contracts.registry import declare, declare_method, first_entry

COVERS = tuple(f"mlsheet_utils.algorithms.nn.{m}" for m in (
    "diffusion", "distillation", "dqn", "dropout", "dynamics", "gan", "graph", "gumbel", "hopfield", "lora",
    "masking", "memory", "moe"))

RECORDS = (DF.MixtureDenoiser, DF.ReverseProcess, KD.DistillationTerms, DQ.DQNLoss, DQ.DQNRun,
           DO.MCDropoutPrediction, DY.LinearizedStep, DY.DepthJacobians, DY.MeanField, GA.GeneratorLoss,
           GA.PlayerGrads, GA.GANRun, GA.ModeCoverage, GR.Graph, GR.NodeTrajectory, GR.SmoothingProfile,
           GU.RelaxedSample, GU.GradientEstimates, HO.HebbianTrajectory, HO.RecallResult, HO.CapacityPoint,
           LO.LowRank, MA.MaskedBatch, ME.Accumulation, ME.CheckpointCost, ME.Checkpointed, MO.Routing, MO.MoECost)

PROB = Real(0.0, 1.0)
SMALL = Int(1, None, draw=(1, 4))          # a size or a count, drawn small
STEPS = Int(1, None, draw=(1, 3))          # an iteration count, drawn small


def _dim(sym: str):
    """A shape entry of size ``dims[sym]`` that is not a shared symbol: an optional argument's axis, whose
    disagreement is declared as a relation (when the argument is None, the other arguments' sizes are free)."""
    return lambda dims: dims[sym]


def one_more(arg: str, label: str, shape) -> tuple:
    """A relation: ``arg`` replaced by zeros of ``shape(a)`` (one entry more than another argument calls for;
    the valid ``arg`` may be None)."""
    return (arg, label, lambda a: np.zeros(shape(a), dtype=int if arg in ("y", "labels") else float))


def _rng(dims, salt=0):
    return np.random.default_rng(sum(v * 31 ** i for i, v in enumerate(sorted(
        v for k, v in dims.items() if not k.startswith("_")))) + salt)


# -- fixtures: small networks and their parameters (the same for one draw of the sizes) ------------------------

def _mlp(n_in: int, n_out: int, width: int = 3, dropout: float | None = None) -> Sequential:
    layers = [Linear(n_in, width), Activation("tanh")]
    if dropout is not None:
        layers.append(Dropout(dropout))
    return Sequential(*layers, Linear(width, n_out))


PARAMS_WRONG = [("None", None), ("a string", "seven"), ("an empty list", []), ("a dict", {"W": np.ones(2)})]


def model_and_params(make_model, uses):
    """A ``Fixed`` model (built by ``make_model(dims)``) and ``Fixed`` parameters of it."""
    model = Fixed(make_model, wrong=[("None", None), ("a string", "seven")], uses=uses)
    params = Fixed(lambda dims: make_model(dims).init_params(0), wrong=PARAMS_WRONG, uses=uses)
    return model, params


def nan_weight(arg: str) -> tuple:
    """A relation: the parameter list ``arg`` with its first weight entry NaN."""
    def make(a):
        p = [dict(layer) for layer in a[arg]]
        W = np.array(p[0]["W"], dtype=float)
        W.flat[0] = np.nan
        p[0]["W"] = W
        return p
    return (arg, "a NaN weight", make)


# == diffusion ================================================================================================

BETAS = Array(("T",), low=0.0, high=1.0, low_open=True, draw=(0.01, 0.5))
ALPHA_BAR = Array(("T",), low=0.0, high=1.0, low_open=True, draw=(0.05, 1.0))
MIXTURE = dict(weights=ProbVector("k"), means=Array(("k", "d")), covs=SPDStack("k", "d"))
EPS_MODEL = Func(lambda dims: lambda x, t: 0.1 * x)

declare(DF.linear_betas, T=SMALL, beta_start=Real(0.0, 1.0, low_open=True, high_open=True, draw=(0.001, 0.5)),
        beta_end=Real(0.0, 1.0, high_open=True, draw=(0.5, 0.99)),
        relations=[("beta_end", "below beta_start", lambda a: a["beta_start"] / 2)])
declare(DF.cosine_betas, T=SMALL, s=Positive(draw=(0.001, 1.0)),
        max_beta=Real(0.0, 1.0, low_open=True, high_open=True))
declare(DF.alpha_bars, betas=BETAS,
        relations=[first_entry("betas", "an entry equal to 1", 1.0), first_entry("betas", "an entry equal to 0", 0.0)])
declare(DF.q_sample, x0=Array(("n", "d")), alpha_bar_t=Real(0.0, 1.0, low_open=True), noise=Array(("n", "d")))
declare(DF.forward_chain, x0=Array(("n", "d")), betas=Array(("T",), low=0.0, high=1.0),
        noises=Array(("T", "n", "d")))
declare(DF.sample_mixture, **MIXTURE, n=SMALL, rng=Rng())
declare(DF.noised_mixture, **MIXTURE, alpha_bar_t=PROB)
declare(DF.mixture_score, x=Array(("n", "d")), **MIXTURE, alpha_bar_t=PROB)
declare_method(DF.MixtureDenoiser, "create", make=lambda dims: None, **MIXTURE, alpha_bar=ALPHA_BAR,
               relations=[first_entry("alpha_bar", "an entry above 1", 1.5)])
# arrays broadcast: sizes from 2 up, so that one more row never broadcasts
declare(DF.guided_eps, eps_cond=Array(("n", "d"), any_shape=True), eps_uncond=Array(("n", "d"), any_shape=True),
        scale=Real(), dims={"n": (2, 4), "d": (2, 4)})
declare(DF.GuidedDenoiser, cond=EPS_MODEL, uncond=Func(lambda dims: lambda x, t: -0.1 * x), scale=Real())
declare(DF.ddpm_sample, eps_model=EPS_MODEL, betas=BETAS, n=SMALL, d=SMALL, rng=Rng(),
        n_frames=Int(2, None, draw=(2, 5)), relations=[first_entry("betas", "an entry equal to 1", 1.0)])
declare(DF.ddim_sample, eps_model=EPS_MODEL, alpha_bar=ALPHA_BAR, n=SMALL, d=SMALL,
        n_steps=Int(1, lambda dims: dims["T"], draw=(1, "T")), rng=Rng(),
        relations=[first_entry("alpha_bar", "an entry equal to 0", 0.0),
                   first_entry("alpha_bar", "an entry above 1", 1.5)])

# == distillation =============================================================================================

def _labels_below(cls: str):
    """Labels in 0 .. dims[cls] - 1 whose bound is a callable, so that the class count is not a shared axis: a
    logits array with one more column still holds those labels."""
    return lambda dims: dims[cls] - 1


LABELS_NK = IntArray(("n",), 0, _labels_below("k"))
declare(KD.soft_targets, logits=Array(("n", "k"), any_shape=True), temperature=Positive())
declare(KD.pack_targets, teacher_logits=Array(("n", "k")), labels=LABELS_NK)
declare(KD.distillation_terms, student_logits=Array(("n", "k")), teacher_logits=Array(("n", "k")), labels=LABELS_NK,
        temperature=Positive(), alpha=PROB, scale_soft=Flag())
declare(KD.DistillationLoss, temperature=Positive(), alpha=PROB, scale_soft=Flag())
declare_method(KD.DistillationLoss, "check", make=lambda dims: KD.DistillationLoss(2.0, 0.5),
               pred=Array(("n", "k")), target=PackedTargets("n", "k"))

# == dqn ======================================================================================================

BATCH_FIELDS = dict(states=Array(("B", "d")), actions=IntArray(("B",), 0, None, draw=(0, 2)), rewards=Array(("B",)),
                    next_states=Array(("B", "d")), dones=Mask(("B",)))


def _batch(dims, A=None):
    g = _rng(dims, 1)
    B, d = dims["B"], dims["d"]
    return DQ.Batch(g.normal(size=(B, d)), g.integers(0, A or dims["A"], B), g.normal(size=B), g.normal(size=(B, d)),
                    g.random(B) < 0.3)


def _qnet(dims):
    return _mlp(dims["d"], dims["A"])


def _buffer(dims):
    buf = DQ.ReplayBuffer(3, dims["d"])
    g = _rng(dims, 2)
    for _ in range(4):
        buf.push(g.normal(size=dims["d"]), int(g.integers(0, 2)), float(g.normal()), g.normal(size=dims["d"]),
                 bool(g.random() < 0.3))
    return buf


def _wider_batch(b):
    return DQ.Batch(np.hstack([b.states, b.states[:, :1]]), b.actions, b.rewards,
                    np.hstack([b.next_states, b.next_states[:, :1]]), b.dones)


def _batch_with_action(b, action):
    actions = b.actions.copy()
    actions[0] = action
    return DQ.Batch(b.states, actions, b.rewards, b.next_states, b.dones)


QNET, QPARAMS = model_and_params(_qnet, ("d", "A"))
declare(DQ.Batch, **BATCH_FIELDS)
declare(DQ.ReplayBuffer, capacity=SMALL, state_dim=SMALL)
declare_method(DQ.ReplayBuffer, "push", make=_buffer, uses=("d",), state=Array(("d",)),
               action=Int(0, None, draw=(0, 3)), reward=Real(), next_state=Array(("d",)),
               done=Choice((True, False)))
declare_method(DQ.ReplayBuffer, "sample", make=_buffer, uses=("d",), batch_size=SMALL, rng=Rng())
declare(DQ.td_targets, q_next_target=Array(("B", "A")), rewards=Array(("B",)), dones=Mask(("B",)), gamma=PROB,
        q_next_online=Optional(Array(("B", _dim("A")))),
        relations=[one_more("q_next_online", "one column more than q_next_target",
                                    lambda a: (a["q_next_target"].shape[0], a["q_next_target"].shape[1] + 1))])
declare(DQ.dqn_loss, net=QNET, params=QPARAMS, target_params=QPARAMS,
        batch=Fixed(_batch, uses=("B", "d", "A"), wrong=[("None", None), ("a string", "seven")]),
        gamma=PROB, double=Flag(),
        relations=[nan_weight("params"), nan_weight("target_params"),
                   ("batch", "states of another width", lambda a: _wider_batch(a["batch"])),
                   ("batch", "an action equal to the number of actions",
                    lambda a: _batch_with_action(a["batch"], a["params"][-1]["W"].shape[1]))])
declare(DQ.train_dqn, mdp=MDPKind(), features=Array(("S", "d")),
        net=Fixed(lambda dims: _mlp(dims["d"], dims["A"]), uses=("d", "A"),
                  wrong=[("None", None), ("a string", "seven")]),
        optimizer=Fixed(lambda dims: SGD(0.05), wrong=[("None", None), ("a string", "seven")]),
        n_steps=Int(1, None, draw=(1, 12)), buffer_size=Int(1, None, draw=(3, 6)), batch_size=Int(1, None, draw=(1, 3)),
        target_period=STEPS, epsilon=PROB, double=Flag(), max_episode_steps=Int(1, None, draw=(1, 5)),
        checkpoint_every=STEPS, rng=Rng(), dims={"S": (1, 4), "A": (1, 3)},
        relations=[("buffer_size", "below batch_size", lambda a: a["batch_size"] - 1),
                   ("net", "a net with one output too many", lambda a: _mlp(a["features"].shape[1],
                                                                            a["mdp"].n_actions + 1))],
        finite=False)                                    # losses are NaN until the buffer holds a batch

# == dropout ==================================================================================================

DROPNET, DROPPARAMS = model_and_params(lambda dims: _mlp(dims["d"], 2, dropout=0.5), ("d",))
declare(DO.mc_dropout_predict, model=DROPNET, params=DROPPARAMS, X=Array(("n", "d")),
        n_samples=Int(2, None, draw=(2, 8)), rng=Rng(), relations=[nan_weight("params")])
declare(DO.expected_dropout_loss, X=Array(("n", "d")), y=Array(("n",)), w=Array(("d",)),
        rate=Real(0.0, 1.0, high_open=True))
# rate 0 on a rank-deficient X is singular (documented): such draws are left out
declare(DO.dropout_regression, X=Gaussian(("n", "d")), y=Array(("n",)), rate=Real(0.0, 1.0, high_open=True),
        where=lambda a: a["rate"] > 0.01 or a["X"].shape[0] >= a["X"].shape[1])

# == dynamics =================================================================================================

declare(DY.linearized_gd, hessian=Symmetric("d", separated=True), learning_rate=Positive())
declare(DY.random_mlp, depth=STEPS, width=SMALL, activation=Choice(DY.DEPTH_ACTIVATIONS), weight_std=Positive(),
        rng=Rng(), bias_std=Real(0.0), orthogonal=Flag())


def _depth_model(dims):
    return DY.random_mlp(dims["L"], dims["w"], DY.DEPTH_ACTIVATIONS[dims["act"] % len(DY.DEPTH_ACTIVATIONS)], 1.0,
                         dims["L"] + dims["w"])


declare(DY.jacobians_through_depth,
        model=Fixed(lambda dims: _depth_model(dims)[0], uses=("L", "w", "act"),
                    wrong=[("None", None), ("a string", "seven"),
                           ("a Sequential with a Dropout layer", Sequential(Linear(2, 2), Dropout(0.5)))]),
        params=Fixed(lambda dims: _depth_model(dims)[1], uses=("L", "w", "act"), wrong=PARAMS_WRONG),
        x=Array(("w",)), dims={"L": (1, 3), "act": (0, 6)}, relations=[nan_weight("params")])
declare(DY.mean_field, activation=Choice(DY.DEPTH_ACTIVATIONS), weight_std=Positive(draw=(0.1, 3.0)),
        depth=Int(1, None, draw=(1, 5)), bias_std=Real(0.0, None, draw=(0.0, 2.0)),
        q0=Positive(draw=(0.01, 5.0)), n_quad=Int(2, 300, draw=(2, 24)),
        where=lambda a: a["n_quad"] % 2 == 0, relations=[("n_quad", "odd", lambda a: a["n_quad"] + 1)])

# == gan ======================================================================================================

def _conditioned(a, *codes) -> bool:
    """A valid GAN call: the codes are given exactly when the networks were built for them (dims["cond"] = 1)."""
    cond = a["disc"].layers[0].n_in != a["_d"]
    return all((a[c] is not None) == cond for c in codes)


declare(GA.optimal_discriminator, p_real=Array(("m",), low=0.0, any_shape=True),
        p_fake=Array(("m",), low=0.0, any_shape=True))
declare(GA.gan_value, d=Array(("m",), low=0.0, high=1.0, any_shape=True),
        p_real=ProbVector("m", any_shape=True), p_fake=ProbVector("m", any_shape=True),
        finite=False)                                    # -inf when a point of positive mass gets D = 0 or 1
declare(GA.generator_loss, logits=Array(("n",), any_shape=True), non_saturating=Flag())
# one_hot of no labels is the (0, n_classes) matrix: an empty labelling is valid
declare(GA.one_hot, labels=Labels(("n",), "k", empty_ok=True), n_classes=Int(1, None, draw=("k", "k")))
declare(GA.mlp, n_in=SMALL, n_out=SMALL, hidden=SMALL, depth=STEPS, activation=Choice(tuple(ACTIVATIONS)))


def _gan_nets(dims):
    """(generator, discriminator) for data of dimension d, latent size z and, when dims["cond"], codes of width
    c."""
    c = dims["c"] * dims["cond"]
    return GA.mlp(dims["z"] + c, dims["d"], 3, 1), GA.mlp(dims["d"] + c, 1, 3, 1)


GAN_DIMS = {"cond": (0, 1), "c": (1, 3), "z": (1, 3)}
NET_WRONG = [("None", None), ("a string", "seven")]
DISC = Fixed(lambda dims: _gan_nets(dims)[1], uses=("d", "c", "cond"), wrong=NET_WRONG)
D_PARAMS = Fixed(lambda dims: _gan_nets(dims)[1].init_params(1), uses=("d", "c", "cond"), wrong=PARAMS_WRONG)


def _code_width(a) -> int:
    """The width of the codes the discriminator was built for (1 for an unconditional one)."""
    d = a["x_real"].shape[1] if "x_real" in a else a["gen"].layers[-1].n_out
    return max(1, a["disc"].layers[0].n_in - d)


def _where_disc(a):
    return _conditioned({**a, "_d": a["x_real"].shape[1]}, "code_real", "code_fake")


def _where_gen(a):
    d = a["gen"].layers[-1].n_out
    return _conditioned({**a, "_d": d}, "code")


declare(GA.discriminator_grads, disc=DISC, d_params=D_PARAMS, x_real=Array(("n", "d")), x_fake=Array(("m", "d")),
        code_real=Optional(Array((_dim("n"), "c"))), code_fake=Optional(Array((_dim("m"), "c"))), dims=GAN_DIMS,
        where=_where_disc,
        relations=[nan_weight("d_params"),
                   one_more("code_real", "one row more than x_real", lambda a: (len(a["x_real"]) + 1, _code_width(a))),
                   one_more("code_fake", "one row more than x_fake", lambda a: (len(a["x_fake"]) + 1, _code_width(a)))])
declare(GA.generator_grads, gen=Fixed(lambda dims: _gan_nets(dims)[0], uses=("d", "c", "cond", "z"), wrong=NET_WRONG),
        disc=DISC, g_params=Fixed(lambda dims: _gan_nets(dims)[0].init_params(0), uses=("d", "c", "cond", "z"),
                                  wrong=PARAMS_WRONG),
        d_params=D_PARAMS, z=Array(("m", "z")), code=Optional(Array((_dim("m"), "c"))), non_saturating=Flag(),
        dims=GAN_DIMS, where=_where_gen, relations=[nan_weight("g_params"), nan_weight("d_params"),
                                                    one_more("code", "one row more than z",
                                                             lambda a: (len(a["z"]) + 1, _code_width(a)))])


def _where_train(a):
    y, k = a["y"], a["n_classes"]
    return (y is None) == (k == 0) and (y is None or int(y.max()) < k)


declare(GA.train_gan, X=Array(("n", "d")), y=Optional(Labels((_dim("n"),), "k")),
        n_classes=Int(0, None, draw=(0, "k")), latent_dim=STEPS, hidden=SMALL, non_saturating=Flag(), steps=STEPS,
        batch_size=SMALL, learning_rate=Positive(draw=(1e-4, 0.5)), snapshot_every=STEPS, rng=Rng(),
        dims={"k": (1, 3)}, where=_where_train, relations=[one_more("y", "one label more than X's rows",
                                                                                 lambda a: len(a["X"]) + 1)])


@functools.lru_cache(maxsize=64)
def _gan_run(d: int, k: int) -> GA.GANRun:
    """A tiny trained GAN on d-dimensional data with k classes (0: unconditional); 3 snapshots."""
    g = np.random.default_rng(d + 10 * k)
    X = g.normal(size=(8, d))
    y = g.integers(0, k, 8) if k else None
    return GA.train_gan(X, y, n_classes=k, latent_dim=2, hidden=3, steps=2, batch_size=4, snapshot_every=1, rng=0)


SNAPSHOT = Int(-3, 2)
declare_method(GA.GANRun, "sample", make=lambda dims: _gan_run(dims["d"], dims["k"]), uses=("d", "k"),
               n=Int(1, None, draw=("n", "n")), labels=Either(Int(0, _labels_below("k")), Labels(("n",), "k")),
               rng=Rng(), snapshot=SNAPSHOT, dims={"k": (1, 3)},
               relations=[("labels", "one label too many", lambda a: np.zeros(a["n"] + 1, dtype=int))])
declare_method(GA.GANRun, "discriminate", make=lambda dims: _gan_run(dims["d"], dims["k"]), uses=("d", "k"),
               X=Array(("n", "d")), labels=Labels(("n",), "k"), snapshot=SNAPSHOT, dims={"k": (1, 3)})
declare(GA.ring_centers, n_modes=Int(1, None, draw=(1, 8)), radius=Positive())
declare(GA.gaussian_mixture, n=SMALL, centers=Array(("K", "d")), std=Positive(), rng=Rng())
declare(GA.mode_coverage, samples=Array(("n", "d")), centers=Array(("K", "d")), radius=Positive(),
        min_share=Real(0.0, 1.0, low_open=True))

# == graph ====================================================================================================

def _gcn(dims, salt=0):
    """A GCN graph on dims["N"] nodes with a few random edges."""
    g = _rng(dims, salt)
    N = dims["N"]
    edges = [(u, (u + s) % N) for u, s in zip(g.integers(0, N, 4), g.integers(1, max(N, 2), 4))] if N > 1 else []
    return GR.gcn_graph(np.array(edges, dtype=int).reshape(-1, 2), N)


GRAPH = Fixed(_gcn, uses=("N",), wrong=[("None", None), ("a string", "seven"),
                                        ("an adjacency matrix", np.eye(2))])
declare(GR.gcn_graph, edges=EdgeList("N"), n_nodes=Int(1, None, draw=("N", "N")),
        relations=[("n_nodes", "at most the largest node id",
                    lambda a: int(a["edges"].max()) if a["edges"].size else 0)])
declare(GR.normalized_adjacency, A=Graph("n", zero_diagonal=True), self_loops=Flag(),
        where=lambda a: a["self_loops"] or a["A"].shape[0] > 1)      # an isolated vertex needs its self-loop
declare(GR.propagate, graph=GRAPH, H=Array(("N", "d")))
declare(GR.GraphConv, graph=GRAPH, n_in=SMALL, n_out=SMALL, bias=Flag())
declare_method(GR.GraphConv, "param_shapes", make=lambda dims: GR.GraphConv(_gcn(dims), 3, 2), uses=("N",))
declare_method(GR.GraphConv, "init_params", make=lambda dims: GR.GraphConv(_gcn(dims), 3, 2), uses=("N",),
               rng=Rng())
declare_method(GR.GraphConv, "check_input", make=lambda dims: GR.GraphConv(_gcn(dims), dims["i"], 2),
               uses=("N", "i"), x=Array(("N", "i")))


def _gcn_model(dims):
    g = _gcn(dims)
    return Sequential(GR.GraphConv(g, dims["d"], 3), Activation("tanh"), GR.GraphConv(g, 3, dims["C"]))


GCN_MODEL, GCN_PARAMS = model_and_params(_gcn_model, ("N", "d", "C"))
# labelled node ids: np.unique flattens them, so any shape of ids is read as a list
declare(GR.train_node_classifier, model=GCN_MODEL, params=GCN_PARAMS, X=Array(("N", "d")),
        labels=IntArray(("N",), 0, _labels_below("C")),
        labelled=IntArray(("L",), 0, lambda dims: dims["N"] - 1, any_shape=True),
        optimizer=Fixed(lambda dims: SGD(0.1), wrong=[("None", None), ("a string", "seven")]), steps=STEPS,
        dims={"C": (1, 3), "L": (1, 3)}, relations=[nan_weight("params")])
declare(GR.smoothing_profile, A_hat=Symmetric("n", scale=1.0), X=Array(("n", "d")), depth=Int(0, None, draw=(0, 4)))

# == gumbel ===================================================================================================

CATEGORIES = {"k": (2, 5)}
declare(GU.gumbel_noise, shape=Shape(scalar_ok=True), rng=Rng())
declare(GU.gumbel_max_sample, logits=Array(("k",)), n_samples=SMALL, rng=Rng(), dims=CATEGORIES)
declare(GU.gumbel_softmax, logits=Array(("k",)), tau=Positive(), noise=Array(("n", "k")), dims=CATEGORIES)
declare(GU.gumbel_softmax_vjp, soft=Array(("n", "k")), dy=Array(("n", "k")), tau=Positive(), dims=CATEGORIES)
declare(GU.gradient_estimates, logits=Array(("k",)), target=Array(("k",)), tau=Positive(), noise=Array(("n", "k")),
        dims={**CATEGORIES, "n": (2, 5)})

# == hopfield =================================================================================================

THETA = Optional(Array(("N",)))
declare(HO.hebbian_trajectory, X=Array(("n", "d"), draw=(-1.0, 1.0)), eta=Positive(draw=(1e-3, 0.01)),
        epochs=STEPS, rule=Choice(("oja", "plain")), w0=Optional(Array((_dim("d"),))), rng=Rng(),
        relations=[one_more("w0", "one entry more than X's columns", lambda a: a["X"].shape[1] + 1)])
declare(HO.hebbian_storage, patterns=Spins(("P", "N")), zero_diagonal=Flag())
declare(HO.hopfield_energy, W=Array(("N", "N")), states=Array(("m", "N")), theta=THETA)
declare(HO.hopfield_recall, W=Array(("N", "N")), states=Spins(("m", "N")), theta=THETA,
        max_sweeps=Int(1, None, draw=(1, 5)), track_energy=Flag(), rng=Rng())
declare(HO.all_states, n=Int(1, 20, draw=(1, 5)))
declare(HO.fixed_points, W=Array(("N", "N")), states=Spins(("m", "N")), theta=THETA)
declare(HO.recall_overlap, n_units=Int(2, None, draw=(2, 6)), n_patterns=STEPS, flip=Real(0.0, 0.5),
        n_trials=Int(2, None, draw=(2, 4)), rng=Rng())

# == lora =====================================================================================================

def _min_dk(dims):
    return min(dims["d"], dims["k"])


def _lora(dims):
    g = _rng(dims, 3)
    return LO.LoRALinear(g.normal(size=(dims["d"], dims["k"])), g.normal(size=dims["k"]), 1, 2.0)


def _lora_params_wrong():
    return [("None", None), ("a string", "seven"), ("an empty dict", {}), ("a list", [np.ones(2)])]


declare(LO.LoRALinear, W0=Array(("d", "k")), b0=Optional(Array((_dim("k"),))), rank=Int(1, _min_dk, draw=(1, _min_dk)),
        alpha=Positive(), a_std=Optional(Real(0.0)), relations=[one_more("b0", "one entry more than W0's columns",
                                                                               lambda a: a["W0"].shape[1] + 1)])
declare_method(LO.LoRALinear, "param_shapes", make=_lora, uses=("d", "k"))
declare_method(LO.LoRALinear, "init_params", make=_lora, uses=("d", "k"), rng=Rng())
# a layer reads any leading axes as batch axes: an extra axis is not wrong
declare_method(LO.LoRALinear, "check_input", make=_lora, uses=("d", "k"), x=Array(("n", "d"), any_shape=True))
declare(LO.merge_lora, layer=Fixed(_lora, uses=("d", "k"), wrong=[("None", None), ("a Linear", Linear(2, 2))]),
        params=Fixed(lambda dims: _lora(dims).init_params(0), uses=("d", "k"), wrong=_lora_params_wrong()),
        relations=[("params", "a NaN entry", lambda a: {**a["params"], "A": np.full_like(a["params"]["A"], np.nan)}),
                   ("params", "A of another shape", lambda a: {**a["params"], "A": a["params"]["A"][:, None]})])
declare(LO.lora_param_count, d=SMALL, k=SMALL, rank=SMALL)
PLAIN_MLP, PLAIN_PARAMS = model_and_params(lambda dims: _mlp(dims["d"], 2), ("d",))
def _with_dropout(a):
    """``a["model"]`` with its first activation replaced by a Dropout layer (no parameters either)."""
    layers = list(a["model"].layers)
    i = next(i for i, layer in enumerate(layers) if isinstance(layer, Activation))
    layers[i] = Dropout(0.5)
    return Sequential(*layers)


declare(LO.lora_model, model=PLAIN_MLP, params=PLAIN_PARAMS, rank=SMALL, alpha=Positive(), rng=Rng(),
        relations=[nan_weight("params"), ("model", "a Sequential with a Dropout layer", _with_dropout)])
LORA_MLP, LORA_PARAMS = model_and_params(lambda dims: LO.lora_model(_mlp(dims["d"], 2), _mlp(dims["d"], 2)
                                                                    .init_params(0), 1)[0], ("d",))


def _nan_A(a):
    p = [dict(layer) for layer in a["params"]]
    p[0]["A"] = np.full_like(p[0]["A"], np.nan)
    return p


declare(LO.merged_params, model=LORA_MLP, params=LORA_PARAMS, relations=[("params", "a NaN entry", _nan_A)])
declare(LO.best_low_rank, M=Array(("d", "k")), rank=Int(0, _min_dk, draw=(0, _min_dk)))

# == masking ==================================================================================================

VOCAB = {"V": (2, 6)}
declare(MA.bert_mask, tokens=IntArray(("b", "n"), 0, _labels_below("V"), any_shape=True),
        vocab_size=Int(2, None, draw=("V", "V")), mask_id=Int(0, None, draw=(0, "V")), rng=Rng(), rate=PROB,
        mask_share=Real(0.0, 1.0, draw=(0.0, 0.6)), random_share=Real(0.0, 1.0, draw=(0.0, 0.4)), dims=VOCAB,
        relations=[("random_share", "pushing mask_share + random_share above 1",
                    lambda a: 1.1 - a["mask_share"])])
declare(MA.MaskedLMLoss, reduction=Choice(("mean", "sum")), ignore_index=Int(None, None, draw=(-100, -1)))


def _all_ignored(arg):
    return (arg, "every label ignore_index", lambda a: np.full(np.shape(a[arg]), MA.IGNORE_INDEX))


declare_method(MA.MaskedLMLoss, "check", make=lambda dims: MA.MaskedLMLoss(), pred=Array(("n", "V")),
               target=IntArray(("n",), 0, _labels_below("V")), dims=VOCAB, relations=[_all_ignored("target")])


def _bow_params(dims):
    g = _rng(dims, 4)
    return {"E": g.normal(size=(dims["V"] + 1, 2)), "W": g.normal(size=(2, dims["V"])), "b": g.normal(size=dims["V"])}


BOW_PARAMS = Fixed(_bow_params, uses=("V",), wrong=[("None", None), ("a string", "seven"), ("an empty dict", {})])
BOW_RELATIONS = [("params", "a NaN entry in W", lambda a: {**a["params"], "W": np.full_like(a["params"]["W"], np.nan)}),
                 ("params", "W with a row too few", lambda a: {**a["params"], "W": a["params"]["W"][:1]}),
                 ("params", "no b", lambda a: {k: v for k, v in a["params"].items() if k != "b"})]
INPUTS = IntArray(("b", "n"), 0, lambda dims: dims["V"], any_shape=True)        # [MASK] = V included
BOW_DIMS = {**VOCAB, "n": (2, 5)}
declare(MA.bag_of_words_logits, params=BOW_PARAMS, inputs=INPUTS, dims=BOW_DIMS, relations=BOW_RELATIONS)
declare(MA.bag_of_words_grads, params=BOW_PARAMS, inputs=INPUTS, labels=IntArray(("b", "n"), 0, _labels_below("V")),
        loss=Optional(Fixed(lambda dims: MA.MaskedLMLoss(), wrong=[("a string", "seven"), ("a number", 3.0)])),
        dims=BOW_DIMS, relations=BOW_RELATIONS + [_all_ignored("labels")])

# == memory ===================================================================================================

def _mem_model(dims):
    return _mlp(dims["d"], 2)


def _cache(dims):
    model = _mem_model(dims)
    return model.forward(np.ones((2, dims["d"])), model.init_params(0))[1]


MEM_MODEL, MEM_PARAMS = model_and_params(_mem_model, ("d",))
LOSS = Fixed(lambda dims: MeanSquaredError(), wrong=[("None", None), ("a string", "seven")])
declare(ME.cache_floats, cache=Fixed(_cache, uses=("d",), wrong=[("None", None), ("a string", "seven"),
                                                                  ("a number", 3.0)]),
        params=Optional(Fixed(lambda dims: _mem_model(dims).init_params(0), uses=("d",),
                              wrong=[("a string", "seven"), ("a number", 3.0)])))
# X and y: "n examples on the first axis"; a layer reads any further leading axes as batch axes
declare(ME.accumulate_gradients, model=MEM_MODEL, params=MEM_PARAMS, loss=LOSS, X=Array(("n", "d"), any_shape=True),
        y=Array(("n", 2)), micro_batch_size=Int(1, lambda dims: dims["n"], draw=(1, "n")),
        scaling=Choice(ME.SCALINGS), rng=Optional(Rng()), relations=[nan_weight("params")])
declare(ME.checkpoint_cost, n_layers=Int(1, None, draw=("L", "L")), every=Int(1, lambda dims: dims["L"], draw=(1, "L")),
        dims={"L": (1, 8)})
declare(ME.sqrt_schedule, n_layers=Int(1, None, draw=(1, 30)))


def _deep(dims):
    return Sequential(*[Linear(dims["d"], dims["d"]) if i % 2 == 0 else Activation("tanh") for i in range(dims["L"])],
                      Dropout(0.3))


DEEP, DEEP_PARAMS = model_and_params(_deep, ("d", "L"))
declare(ME.checkpointed_gradients, model=DEEP, params=DEEP_PARAMS, loss=LOSS, X=Array(("n", "d"), any_shape=True),
        y=Array(("n", "d")), every=Int(1, lambda dims: dims["L"] + 1, draw=(1, lambda dims: dims["L"] + 1)),
        rng=Rng(), preserve_rng_state=Flag(), dims={"L": (1, 5)}, relations=[nan_weight("params")])

# == moe ======================================================================================================

def _experts(dims):
    return dims["E"]


K_OF_E = Int(1, _experts, draw=(1, "E"))
EXPERTS = {"E": (1, 4)}
declare(MO.expert_capacity, n_tokens=SMALL, n_experts=Int(1, None, draw=("E", "E")), k=K_OF_E,
        capacity_factor=Positive(), dims=EXPERTS)
declare(MO.route, logits=Array(("n", "E")), k=K_OF_E, capacity_factor=Optional(Positive()), temperature=Positive(),
        renormalize=Flag())
declare(MO.load_balancing_loss, probs=Stochastic(("n", "E")), experts=IntArray(("n", "k"), 0, _labels_below("E")))
declare(MO.MixtureOfExperts, n_in=SMALL, n_out=SMALL, n_experts=Int(1, None, draw=("E", "E")), k=K_OF_E,
        capacity_factor=Optional(Positive()), temperature=Positive(), renormalize=Flag(), dims=EXPERTS)


def _moe_layer(dims):
    return MO.MixtureOfExperts(dims.get("i", 3), 2, 3, k=2)


declare_method(MO.MixtureOfExperts, "param_shapes", make=_moe_layer)
declare_method(MO.MixtureOfExperts, "init_params", make=_moe_layer, rng=Rng())
declare_method(MO.MixtureOfExperts, "check_input", make=_moe_layer, uses=("i",), x=Array(("n", "i")))
declare(MO.moe_cost, n_in=SMALL, n_out=SMALL, n_experts=Int(1, None, draw=("E", "E")), k=K_OF_E, dims=EXPERTS)

"""Declarations: the nn modules on propagation, pruning, RBMs, recurrent layers, schedules, self-supervised
pre-training, sparse attention, the training loop, the transformer block, parameter tying and the ViT."""

from __future__ import annotations

import numpy as np

from mlsheet_utils.algorithms.nn import functional as F
from mlsheet_utils.algorithms.nn import init as I
from mlsheet_utils.algorithms.nn import propagation as PROP
from mlsheet_utils.algorithms.nn import pruning as PR
from mlsheet_utils.algorithms.nn import rbm as RBM
from mlsheet_utils.algorithms.nn import recurrent as REC
from mlsheet_utils.algorithms.nn import schedules as SCH
from mlsheet_utils.algorithms.nn import selfsupervised as SS
from mlsheet_utils.algorithms.nn import sparse_attention as SA
from mlsheet_utils.algorithms.nn import train as TR
from mlsheet_utils.algorithms.nn import transformer as TF
from mlsheet_utils.algorithms.nn import tying as TY
from mlsheet_utils.algorithms.nn import vit as VIT
from mlsheet_utils.algorithms.nn.layers import Activation, LayerNorm, Linear, Sequential
from mlsheet_utils.algorithms.nn.losses import MeanSquaredError, SoftmaxCrossEntropy
from mlsheet_utils.algorithms.nn.optimizers import SGD
from tests.contracts.kinds import (
    Array,
    ArrayList,
    Choice,
    Fixed,
    Flag,
    Func,
    Gaussian,
    Int,
    IntArray,
    IntList,
    Labels,
    Mask,
    MaskList,
    Optional,
    Positive,
    Real,
    Rng,
    Shape,
    Tree,
)
from tests.contracts.registry import declare, declare_method, not_square

_NN = "mlsheet_utils.algorithms.nn."
COVERS = tuple(_NN + m for m in ("propagation", "pruning", "rbm", "recurrent", "schedules", "selfsupervised",
                                 "sparse_attention", "train", "transformer", "tying", "vit"))

RECORDS = (PROP.Propagation, PR.PruningRun, RBM.RBMGradient, RBM.RBMStack, REC.BPTTResult, SCH.RangeTest,
           SS.SimCLRStep, SS.SimCLRRun, SS.KeyQueue, SS.MoCoLoss, SS.MoCoRun, SA.AttentionCost, TR.History,
           TR.Trajectory, TF.BlockCost, TY.TiedGradient, TY.TyingExperiment)

NOT_AN_OBJECT = [("None", None), ("a string", "seven"), ("a number", 3.0)]
ACTIVATIONS = tuple(sorted(F.ACTIVATIONS))
SMALL = Int(1, None, draw=(1, 4))


def up_to(sym):
    """A bound equal to the size ``sym``, as a callable (it does not tie the bound's argument to ``sym``)."""
    return lambda dims: dims[sym]


# == propagation ================================================================================================
# dy, when given, has one row per row of X (a callable shape: without dy, X may have any number of rows)
declare(PROP.signal_propagation, X=Array(("n", "d")), weights=ArrayList("d", "o"), activation=Choice(ACTIVATIONS),
        dy=Optional(Array((lambda dims: dims["n"], "o"))), rng=Rng(), keep=Flag(),
        relations=[("dy", "one row more than X", lambda a: np.zeros((a["X"].shape[0] + 1, a["weights"][-1].shape[1])))])
declare(PROP.unit_distances, W=Array(("d", "m")))

# == pruning ====================================================================================================
declare(PR.magnitude_mask, w=Array(("m",), any_shape=True), sparsity=Real(0.0, 1.0))
declare(PR.global_masks, weights=ArrayList(chain=False), sparsity=Real(0.0, 1.0))
declare(PR.layerwise_masks, weights=ArrayList(chain=False), sparsity=Real(0.0, 1.0))
declare(PR.neuron_masks, weights=ArrayList(), sparsity=Real(0.0, 1.0))
declare(PR.sparsity, masks=MaskList(lambda dims: [(dims["d"], dims["h"]), (dims["h"], dims["o"])],
                                    uses=("d", "h", "o"), structure=False))
declare(PR.rounds_to_sparsity, target=Real(0.0, 1.0, high_open=True),
        rate=Real(0.0, 1.0, low_open=True, high_open=True))


def _mlp(dims) -> Sequential:
    """Linear(d, h) -> tanh -> Linear(h, o)."""
    return Sequential(Linear(dims["d"], dims["h"]), Activation("tanh"), Linear(dims["h"], dims["o"]))


MLP = Fixed(_mlp, wrong=NOT_AN_OBJECT + [("a network with a LayerNorm", Sequential(LayerNorm(2)))],
            uses=("d", "h", "o"))
MLP_PARAMS = Tree(lambda dims, seed: _mlp(dims).init_params(seed), uses=("d", "h", "o"), seeded=True)
MLP_MASKS = MaskList(lambda dims: [(dims["d"], dims["h"]), (dims["h"], dims["o"])], uses=("d", "h", "o"))


def _alive(a) -> bool:
    """Every hidden unit of a mask list keeps at least one incoming weight (shrink_network's domain)."""
    return bool(a["masks"][0].any(axis=0).any())


declare(PR.apply_masks, model=MLP, params=MLP_PARAMS, masks=MLP_MASKS)
declare(PR.masked_model, model=MLP, masks=MLP_MASKS)
declare(PR.shrink_network, model=MLP, params=MLP_PARAMS, masks=MLP_MASKS, where=_alive,
        relations=[("masks", "every hidden unit pruned",
                    lambda a: [np.zeros_like(a["masks"][0]), np.zeros_like(a["masks"][1])])])
LOSS_CE = Fixed(lambda dims: SoftmaxCrossEntropy(), wrong=NOT_AN_OBJECT)
OPT = Fixed(lambda dims: SGD(0.1), wrong=NOT_AN_OBJECT)
declare(PR.iterative_magnitude_pruning, model=MLP, params0=MLP_PARAMS, loss=LOSS_CE, optimizer=OPT,
        X=Array(("n", "d"), draw=(-1.0, 1.0)), y=Labels(("n",), "o"), X_eval=Array(("m", "d")),
        y_eval=Labels(("m",), "o"), rate=Real(0.0, 1.0, low_open=True, high_open=True),
        rounds=Int(0, None, draw=(0, 2)), epochs=Int(1, None, draw=(1, 2)), batch_size=SMALL, rng=Rng(),
        reset=Choice(("rewind", "reinit")), dims={"d": (2, 4)})
declare(PR.MaskedLinear, mask=Mask(("i", "o")), bias=Flag())


def _masked(dims):
    mask = np.arange(dims["i"] * dims["o"]).reshape(dims["i"], dims["o"]) % 2 == 0
    return PR.MaskedLinear(mask)


declare_method(PR.MaskedLinear, "param_shapes", make=_masked, uses=("i", "o"))
declare_method(PR.MaskedLinear, "init_params", make=_masked, uses=("i", "o"), rng=Rng())
declare_method(PR.MaskedLinear, "check_input", make=_masked, uses=("i", "o"), x=Array(("n", "i")),
               dims={"i": (2, 4)})

# == rbm ========================================================================================================
V = Array(("n", "v"), low=0.0, high=1.0)
BINARY = Array(("n", "v"), low=0.0, high=1.0, integer=True)
W, A, B = Array(("v", "h"), draw=(-1.0, 1.0)), Array(("v",)), Array(("h",))
declare(RBM.rbm_energy, v=V, h=Array(("n", "h"), low=0.0, high=1.0), W=W, a=A, b=B)
declare(RBM.hidden_probs, v=V, W=W, b=B)
declare(RBM.visible_probs, h=Array(("n", "h"), low=0.0, high=1.0), W=W, a=A)
declare(RBM.free_energy, v=V, W=W, a=A, b=B)
declare(RBM.binary_states, n=Int(0, 22, draw=(0, 5)))
declare(RBM.log_partition, W=W, a=A, b=B)
declare(RBM.log_likelihood, X=V, W=W, a=A, b=B)
# weights: one per row of X when given (its own symbol-free shape: without weights, X may have any number of rows)
declare(RBM.exact_gradient, X=V, W=W, a=A, b=B,
        weights=Optional(Array((lambda dims: dims["n"],), low=0.0, draw=(0.1, 1.0))),
        relations=[("weights", "one entry more than X has rows", lambda a: np.ones(a["X"].shape[0] + 1)),
                   ("weights", "all zero", lambda a: np.zeros(a["X"].shape[0]))])
declare(RBM.gibbs_chain, v=V, W=W, a=A, b=B, k=Int(0, None, draw=(0, 3)), rng=Rng())
declare(RBM.cd_gradient, X=V, W=W, a=A, b=B, k=Int(1, None, draw=(1, 3)), rng=Rng())
declare(RBM.cd_expected_gradient, X=BINARY, W=W, a=A, b=B, k=Int(1, None, draw=(1, 3)))
RBM_SETTINGS = dict(k=Int(1, None, draw=(1, 2)), learning_rate=Positive(draw=(0.01, 1.0)),
                    n_epochs=Int(1, None, draw=(1, 2)), batch_size=SMALL, rng=Rng())
declare(RBM.greedy_pretrain, X=V, layer_sizes=IntList(1, None, max_size=2), **RBM_SETTINGS)


def _triple(v: str, h: str):
    """An RBM's ``(W, a, b)`` for ``v`` visible and ``h`` hidden units; wrong: not a triple, a NaN weight, a
    bias of the wrong length, and one unit too many on a side whose size another argument shares."""
    def make(dims):
        g = np.random.default_rng(dims[v] * 7 + dims[h])
        return g.uniform(-1, 1, (dims[v], dims[h])), g.uniform(-1, 1, dims[v]), g.uniform(-1, 1, dims[h])

    def wrong(dims):
        W0, a0, b0 = make(dims)
        nan = W0.copy()
        nan[0, 0] = np.nan
        return [("None", None), ("a string", "seven"), ("a pair", (W0, a0)), ("a NaN weight", (nan, a0, b0)),
                ("a visible bias one too long", (W0, np.zeros(dims[v] + 1), b0))] + [
            (label, value) for sym, label, value in (
                (v, "one visible unit too many", (np.zeros((dims[v] + 1, dims[h])), np.zeros(dims[v] + 1), b0)),
                (h, "one hidden unit too many", (np.zeros((dims[v], dims[h] + 1)), a0, np.zeros(dims[h] + 1))))
            if sym in dims.get("_shared", ())]

    return Fixed(make, wrong, uses=(v, h))


declare(RBM.dbn_bound, X=BINARY, bottom=_triple("v", "h"), top=_triple("h", "t"))
declare(RBM.RBM, n_hidden=SMALL, init_scale=Real(0.0, None, draw=(0.0, 1.0)), **RBM_SETTINGS,
        then=lambda rbm, dims: rbm.fit(np.eye(3)))


def _rbm(dims):
    return RBM.RBM(dims["h"], n_epochs=1, batch_size=2, rng=0).fit(np.eye(dims["v"]))


declare_method(RBM.RBM, "fit", make=lambda dims: RBM.RBM(dims["h"], n_epochs=1, batch_size=2, rng=0),
               uses=("h",), X=Array(("n", lambda dims: dims["v"]), low=0.0, high=1.0), init=Optional(_triple("v", "h")),
               dims={"v": (1, 5)},
               relations=[("init", "W with one row more than X has columns",
                           lambda a: (np.zeros((a["X"].shape[1] + 1, a["self"].n_hidden)),
                                      np.zeros(a["X"].shape[1] + 1), np.zeros(a["self"].n_hidden)))])
declare_method(RBM.RBM, "transform", make=_rbm, uses=("v", "h"), X=V)
declare_method(RBM.RBM, "reconstruct", make=_rbm, uses=("v", "h"), X=V)
declare(RBM.DBN, layer_sizes=IntList(1, None, max_size=2), **RBM_SETTINGS,
        then=lambda dbn, dims: dbn.fit(np.eye(3)))


def _dbn(dims):
    return RBM.DBN((3, 2), n_epochs=1, batch_size=2, rng=0).fit(np.eye(dims["v"]))


declare_method(RBM.DBN, "fit", make=lambda dims: RBM.DBN((3, 2), n_epochs=1, batch_size=2, rng=0), X=V)
declare_method(RBM.DBN, "transform", make=_dbn, uses=("v",), X=Array(("n", "v")),
               n_layers=Optional(Int(0, 2)))

# == recurrent ==================================================================================================
CELLS = (REC.SimpleRNN, REC.LSTM, REC.GRU)


def _cell(dims):
    return CELLS[dims["c"]](dims["d"], dims["h"])


CELL = Fixed(_cell, wrong=NOT_AN_OBJECT + [("a LastStep layer", REC.LastStep())], uses=("c", "d", "h"))
CELL_PARAMS = Tree(lambda dims, seed: _cell(dims).init_params(seed), uses=("c", "d", "h"), seeded=True)
SEQ = Array(("T", "d"))
REC_DIMS = {"c": (0, 2), "d": (2, 4), "h": (1, 3)}
declare(REC.bptt, layer=CELL, params=CELL_PARAMS, x=SEQ, dy=Array(("T", "h")),
        truncate=Optional(Int(1, None, draw=(1, 4))), dims=REC_DIMS)
declare(REC.gradient_norms, layer=CELL, params=CELL_PARAMS, x=SEQ, rng=Rng(), dims=REC_DIMS)
declare(REC.with_spectral_radius, W=Gaussian(("n", "n")), rho=Real(0.0, None),
        relations=[not_square("W"), ("W", "nilpotent (spectral radius 0)", lambda a: np.triu(np.ones_like(a["W"]), 1))])
declare(REC.count_params, layer=Fixed(_cell, wrong=NOT_AN_OBJECT, uses=("c", "d", "h")), dims=REC_DIMS)   # any Layer
declare(REC.SimpleRNN, n_in=SMALL, n_hidden=SMALL, activation=Choice(ACTIVATIONS))
declare(REC.LSTM, n_in=SMALL, n_hidden=SMALL, forget_bias=Real())
declare(REC.GRU, n_in=SMALL, n_hidden=SMALL)
declare(REC.LastStep)
declare_method(REC.LSTM, "init_params", make=lambda dims: REC.LSTM(dims["d"], dims["h"], forget_bias=1.0),
               uses=("d", "h"), rng=Rng())
declare_method(REC.GRU, "param_shapes", make=lambda dims: REC.GRU(dims["d"], dims["h"]), uses=("d", "h"))
declare_method(REC.LastStep, "check_input", make=lambda dims: REC.LastStep(),
               x=Array(("b", "T", "n"), any_shape=True))

# == schedules ==================================================================================================
STEP = Array(("m",), low=0.0, integer=True, draw=(0, 30), any_shape=True)
RATE = Real(0.0, None, draw=(0.0, 2.0))
declare(SCH.constant, step=STEP, lr=RATE)
declare(SCH.step_decay, step=STEP, lr0=RATE, gamma=Real(0.0, 1.0, low_open=True), step_size=Int(1, None, draw=(1, 8)))
declare(SCH.exponential_decay, step=STEP, lr0=RATE, decay_rate=Real(0.0, 1.0, low_open=True),
        decay_steps=Int(1, None, draw=(1, 8)))
LR_ORDER = [("lr_min", "above lr_max", lambda a: a["lr_max"] + 1.0),
            ("lr_max", "below lr_min", lambda a: a["lr_min"] / 2 if a["lr_min"] > 0 else -1.0)]
declare(SCH.cosine_annealing, step=STEP, lr_max=RATE, lr_min=RATE, period=Int(1, None, draw=(1, 8)), restart=Flag(),
        where=lambda a: a["lr_min"] <= a["lr_max"], relations=LR_ORDER)
declare(SCH.triangular, step=STEP, lr_min=RATE, lr_max=RATE, half_cycle=Int(1, None, draw=(1, 8)),
        where=lambda a: a["lr_min"] <= a["lr_max"], relations=LR_ORDER)
declare(SCH.linear_warmup, step=STEP, lr=RATE, warmup_steps=Int(1, None, draw=(1, 8)), init=RATE)
declare(SCH.warmup_cosine, step=STEP, peak=RATE, warmup_steps=Int(0, None, draw=(0, 8)),
        total_steps=Int(1, None, draw=(1, 20)), init=RATE, end=RATE,
        where=lambda a: a["total_steps"] > a["warmup_steps"],
        relations=[("total_steps", "equal to warmup_steps", lambda a: a["warmup_steps"]),
                   ("warmup_steps", "equal to total_steps", lambda a: a["total_steps"])])
declare(SCH.one_cycle, step=STEP, total_steps=Int(2, None, draw=(2, 40)), peak=RATE,
        pct_start=Real(0.0, 1.0, low_open=True, high_open=True), div_factor=Real(1.0, None, draw=(1.0, 30.0)),
        final_div_factor=Real(1.0, None, draw=(1.0, 1e4)),
        where=lambda a: 0 < int(a["pct_start"] * a["total_steps"]) < a["total_steps"],
        relations=[("pct_start", "too small for total_steps", lambda a: 0.5 / a["total_steps"])])
MSE = Fixed(lambda dims: MeanSquaredError(), wrong=NOT_AN_OBJECT)
X_NET, Y_NET = Array(("n", "d"), draw=(-1.0, 1.0)), Array(("n", "o"), draw=(-1.0, 1.0))
NET_DIMS = {"d": (2, 4)}
declare(SCH.lr_range_test, model=MLP, params=MLP_PARAMS, loss=MSE, X=X_NET, y=Y_NET,
        lr_min=Positive(draw=(1e-3, 0.01)), lr_max=Positive(draw=(0.02, 1.0)), steps=Int(3, None, draw=(3, 6)),
        batch_size=SMALL, rng=Rng(), optimizer=Optional(OPT), beta=Real(0.0, 1.0, high_open=True),
        blow_up_factor=Real(1.0, None, low_open=True, draw=(1.5, 10.0)), dims=NET_DIMS, finite=False,
        where=lambda a: a["lr_min"] < a["lr_max"],
        relations=[("lr_max", "equal to lr_min", lambda a: a["lr_min"]),
                   ("lr_min", "above lr_max", lambda a: a["lr_max"] + 1.0)])
declare(SCH.Scheduled, optimizer=OPT, learning_rates=Array(("m",), low=0.0, draw=(0.0, 1.0)))

# == selfsupervised =============================================================================================
IMAGES = Array(("n", "r", "s"))
PAD, NOISE = Int(0, None, draw=(0, 2)), Real(0.0, None, draw=(0.05, 1.0))
declare(SS.two_views, images=IMAGES, rng=Rng(), pad=PAD, noise=NOISE)


def _encoder(dims):
    return Linear(dims["d"], dims["e"])


def _head(dims):
    return Linear(dims["e"], dims["p"])


ENCODER = Fixed(_encoder, wrong=NOT_AN_OBJECT, uses=("d", "e"))
HEAD = Fixed(_head, wrong=NOT_AN_OBJECT, uses=("e", "p"))
NETS_PARAMS = Tree(lambda dims, seed: {"encoder": _encoder(dims).init_params(seed),
                                       "head": _head(dims).init_params(seed + 1)}, uses=("d", "e", "p"), seeded=True)
declare(SS.simclr_step, encoder=ENCODER, head=HEAD, params=NETS_PARAMS, x1=Gaussian(("N", "d")),
        x2=Gaussian(("N", "d")), temperature=Positive(draw=(0.05, 5.0)), dims={"d": (2, 4)})


def _img_encoder(dims):
    return Linear(dims["r"] * dims["s"], dims["e"])


declare(SS.simclr_pretrain, encoder=Fixed(_img_encoder, wrong=NOT_AN_OBJECT, uses=("r", "s", "e")), head=HEAD,
        params=Tree(lambda dims, seed: {"encoder": _img_encoder(dims).init_params(seed),
                                        "head": _head(dims).init_params(seed + 1)}, uses=("r", "s", "e", "p"),
                    seeded=True),
        images=Gaussian(("n", "r", "s")), temperature=Positive(draw=(0.05, 5.0)),
        batch_size=Int(2, up_to("n"), draw=(2, 2)), steps=Int(1, None, draw=(1, 3)), optimizer=Optional(OPT),
        rng=Rng(), pad=PAD, noise=NOISE, dims={"n": (2, 5)})
TREE = Tree(lambda dims, seed: {"W": np.random.default_rng(seed).normal(size=(dims["d"], dims["h"])),
                                "b": np.random.default_rng(seed + 1).normal(size=dims["h"])},
            uses=("d", "h"), seeded=True)
declare(SS.ema_update, key_params=TREE, query_params=TREE, momentum=Real(0.0, 1.0))
declare(SS.queue_init, capacity=Int(1, None, draw=(1, 8)), dim=Int(1, None, draw=(1, 5)))


def _queue(dims):
    q = SS.queue_init(dims["c"], dims["d"])
    return SS.queue_push(q, np.ones((dims["c"] // 2 + 1, dims["d"])), np.arange(dims["c"] // 2 + 1))


QUEUE = Fixed(_queue, wrong=NOT_AN_OBJECT, uses=("c", "d"))
declare(SS.queue_push, queue=QUEUE, keys=Array(("B", "d")), ids=IntArray(("B",), draw=(0, 50)))
declare_method(SS.KeyQueue, "ordered", make=_queue, uses=("c", "d"))
declare(SS.moco_loss, q=Gaussian(("B", "d")), k_pos=Gaussian(("B", "d")),
        negatives=Array(("K", "d"), empty_ok=True, draw=(-1.0, 1.0)), temperature=Positive(draw=(0.05, 5.0)),
        dims={"K": (0, 4)},
        relations=[("q", "a zero row", lambda a: np.zeros_like(a["q"])),
                   ("k_pos", "a zero row", lambda a: np.zeros_like(a["k_pos"]))])
declare(SS.moco_train, images=Gaussian(("n", "r", "s")), dim=Int(1, None, draw=(1, 4)), momentum=Real(0.0, 1.0),
        queue_size=Int(1, None, draw=(1, 8)), batch_size=Int(1, up_to("n"), draw=(1, 2)),
        steps=Int(1, None, draw=(1, 3)), temperature=Positive(draw=(0.05, 5.0)),
        learning_rate=Positive(draw=(0.01, 1.0)), rng=Rng(), pad=PAD, noise=NOISE, dims={"n": (2, 5)})

# == sparse_attention ===========================================================================================
WINDOW = Optional(Int(0, None, draw=(0, 4)))
G_ABOVE_N = ("n_global", "above n", lambda a: a["n"] + 1)
declare(SA.longformer_mask, n=Int(1, None, draw=(1, 8)), window=WINDOW, n_global=Int(0, None, draw=(0, 3)),
        causal=Flag(), where=lambda a: a["n_global"] <= a["n"], relations=[G_ABOVE_N])
declare(SA.encoder_decoder_mask, n_src=Int(1, None, draw=(1, 6)), n_tgt=Int(1, None, draw=(1, 6)), window=WINDOW,
        n_global=Int(0, None, draw=(0, 2)), where=lambda a: a["n_global"] <= min(a["n_src"], a["n_tgt"]),
        relations=[("n_global", "above n_src and n_tgt", lambda a: max(a["n_src"], a["n_tgt"]) + 1)])
declare(SA.sparse_attention, Q=Array(("n", "k"), any_shape=True), K=Array(("n", "k"), any_shape=True),
        V=Array(("n", "v"), any_shape=True), window=WINDOW,
        n_global=Int(0, up_to("n"), draw=(0, 1)), causal=Flag(), where=lambda a: a["n_global"] <= a["Q"].shape[0])
LENGTHS = IntArray(("m",), low=1, draw=(1, 30), any_shape=True, empty_ok=True)
G_ABOVE_LENGTH = ("n_global", "above the shortest n (negative when n is empty)",
                  lambda a: int(np.min(a["n"])) + 1 if np.size(a["n"]) else -1)
declare(SA.attended_pairs, n=LENGTHS, window=WINDOW, n_global=Int(0, None, draw=(0, 1)), causal=Flag(),
        relations=[G_ABOVE_LENGTH])
declare(SA.attention_cost, n=LENGTHS, window=WINDOW, n_global=Int(0, None, draw=(0, 1)), causal=Flag(),
        d_k=Int(1, None, draw=(1, 64)), d_v=Optional(Int(1, None, draw=(1, 64))), relations=[G_ABOVE_LENGTH])
declare(SA.receptive_field, mask=Mask(("n", "n")), n_layers=Int(1, None, draw=(1, 4)),
        relations=[("mask", "not square", lambda a: np.ones((a["mask"].shape[0], a["mask"].shape[0] + 1), bool))])

# == train ======================================================================================================
declare(TR.minibatches, n=Int(1, None, draw=(1, 20)), batch_size=Int(1, None, draw=(1, 8)), rng=Rng(), shuffle=Flag())
TRAIN = dict(model=MLP, params=MLP_PARAMS, loss=MSE, optimizer=OPT, X=X_NET, y=Y_NET,
             epochs=Int(1, None, draw=(1, 2)), batch_size=SMALL, rng=Rng(), dims=NET_DIMS)
declare(TR.fit, **TRAIN,
        metric=Optional(Func(lambda dims: lambda pred, target: float(np.mean((pred - target) ** 2)))))
declare(TR.clip_gradients,
        grads=Tree(lambda dims, seed: _mlp(dims).init_params(seed), uses=("d", "h", "o"), structure=False,
                   seeded=True),
        value=Optional(Positive()), norm=Optional(Positive()),
        where=lambda a: a["value"] is not None or a["norm"] is not None)
declare(TR.trajectory, **TRAIN, every=Int(1, None, draw=(1, 3)), clip_value=Optional(Positive()),
        clip_norm=Optional(Positive()))
declare(TR.per_example_gradients, model=MLP, params=MLP_PARAMS, loss=MSE, X=X_NET, y=Y_NET, dims=NET_DIMS)
declare(TR.minibatch_noise, G=Array(("N", "p")), batch_size=Int(1, up_to("N")), dims={"N": (2, 5)},
        relations=[("G", "a single row", lambda a: a["G"][:1])])

# == transformer ================================================================================================
BASE = Real(1.0, None, low_open=True, draw=(1.5, 1e4))
D_MODEL = Int(1, None, draw=(1, 12))
declare(TF.frequencies, d_model=D_MODEL, base=BASE)
declare(TF.sinusoidal_encoding, max_len=Int(1, None, draw=(1, 10)), d_model=D_MODEL, base=BASE)
declare(TF.encoding_rotation, k=Real(), d_model=D_MODEL, base=BASE)
declare(TF.offset_similarity, offsets=Array(("m",), any_shape=True), d_model=Int(2, None, draw=(2, 12)), base=BASE,
        where=lambda a: a["d_model"] % 2 == 0, relations=[("d_model", "odd", lambda a: a["d_model"] + 1)])
declare(TF.apply_rope, x=Array(("n", lambda dims: 2 * dims["e"])), positions=Optional(Array((lambda dims: dims["n"],))),
        base=BASE, dims={"e": (1, 3), "n": (1, 5)},
        relations=[("positions", "one more than the rows of x", lambda a: np.arange(a["x"].shape[0] + 1.0))])
declare(TF.encoder_block_cost, d_model=D_MODEL, d_ff=D_MODEL, n=Int(1, None, draw=(1, 50)), attention_bias=Flag())
declare(TF.LearnedPositions, max_len=SMALL, d_model=SMALL, weight_init=Choice(tuple(sorted(I.INITIALIZERS))))


def _positions(dims):
    return TF.LearnedPositions(dims["L"], dims["d"])


declare_method(TF.LearnedPositions, "param_shapes", make=_positions, uses=("L", "d"))
declare_method(TF.LearnedPositions, "init_params", make=_positions, uses=("L", "d"), rng=Rng())
declare_method(TF.LearnedPositions, "check_input", make=_positions, uses=("L", "d"), x=Array(("n", "d")),
               dims={"d": (2, 4)}, where=lambda a: a["x"].shape[0] <= a["self"].max_len,
               relations=[("x", "longer than max_len", lambda a: np.zeros((a["self"].max_len + 1, a["self"].d_model)))])
declare(TF.FeedForward, d_model=SMALL, d_ff=SMALL, activation=Choice(ACTIVATIONS))
declare(TF.EncoderBlock, d_model=Int(1, None, draw=(1, 8)), n_heads=Int(1, None, draw=(1, 4)), d_ff=SMALL,
        placement=Choice(("post", "pre")), activation=Choice(ACTIVATIONS), causal=Flag(),
        where=lambda a: a["d_model"] % a["n_heads"] == 0,
        relations=[("n_heads", "not dividing d_model", lambda a: a["d_model"] + 1)])

# == tying ======================================================================================================
declare(TY.rnn_tied_gradient, W_h=Array(("H", "H")), W_x=Array(("d", "H")), xs=Array(("T", "d")),
        R=Array(("T", "H")), h0=Optional(Array(("H",))), relations=[not_square("W_h")])
declare(TY.toeplitz_matrix, kernel=Array(("k",)), n=Int(up_to("k"), None, draw=(up_to("k"), lambda d: d["k"] + 5)))
declare(TY.untie_gradient, G=Array((lambda dims: dims["m"] + dims["k"] - 1, "m")), k=Int("k", "k"))
declare(TY.fit_tied, X=Array(("N", lambda dims: dims["m"] + dims["k"] - 1)), Y=Array(("N", "m")), k=Int("k", "k"))
declare(TY.fit_untied, X=Array(("N", "n")), Y=Array(("N", "m")))
declare(TY.tying_experiment, n_train=IntList(1, None), n=Int(1, None, draw=(1, 8)), k=Int(1, None, draw=(1, 8)),
        noise=Real(0.0, None, draw=(0.0, 1.0)), n_test=Int(1, None, draw=(1, 20)), rng=Rng(),
        where=lambda a: a["k"] <= a["n"], relations=[("k", "above n", lambda a: a["n"] + 1)])

# == vit ========================================================================================================


def _hw(dims):
    return dims["a"] * dims["p"], dims["b"] * dims["p"]


def _image_size():
    """``(H, W)`` from the dims (a whole number of patches of side p each way)."""
    return Shape(sizes=(lambda dims: _hw(dims)[0], lambda dims: _hw(dims)[1]), uses=("a", "b", "p"))


PATCH = Int(1, None, draw=("p", "p"))
VIT_DIMS = {"a": (1, 3), "b": (1, 3), "p": (1, 2)}
NOT_DIVIDING = ("patch", "not dividing the image", lambda a: 100)
declare(VIT.patchify, images=Array(("B", lambda d: d["a"] * d["p"], lambda d: d["b"] * d["p"], "C")), patch=PATCH,
        dims=VIT_DIMS, relations=[NOT_DIVIDING])


def _image_shape(dims):
    return _hw(dims) + (dims["C"],)


def _image_shape_wrong(dims):
    H, W = _hw(dims)
    return [("None", None), ("a string", "seven"), ("a zero side", (0, W, dims["C"])),
            ("no channels", (H, W, 0)), ("four entries", (H, W, dims["C"], 1)),
            ("one channel too many", (H, W, dims["C"] + 1))]


IMAGE_SHAPE = Fixed(_image_shape, _image_shape_wrong, uses=("a", "b", "p", "C"))
declare(VIT.unpatchify, patches=Array(("B", lambda d: d["a"] * d["b"], lambda d: d["p"] ** 2 * d["C"])),
        image_shape=IMAGE_SHAPE, patch=PATCH, dims=VIT_DIMS, relations=[NOT_DIVIDING])
VIT_SETTINGS = dict(channels=SMALL, d_model=Int(1, None, draw=(1, 8)), mlp_width=SMALL, n_classes=SMALL,
                    depth=Int(1, None, draw=(1, 2)))
declare(VIT.tiny_vit, image_size=_image_size(), patch=PATCH, n_heads=Int(1, None, draw=(1, 4)),
        pool=Choice(("cls", "mean")), **VIT_SETTINGS, dims=VIT_DIMS,
        where=lambda a: a["d_model"] % a["n_heads"] == 0,
        relations=[NOT_DIVIDING, ("n_heads", "not dividing d_model", lambda a: a["d_model"] + 1)])
declare(VIT.vit_param_count, image_size=_image_size(), patch=PATCH, **VIT_SETTINGS, dims=VIT_DIMS,
        relations=[NOT_DIVIDING])


def _vit(dims):
    return VIT.tiny_vit(_hw(dims), dims["p"], dims["C"], d_model=4, n_heads=2, mlp_width=4, n_classes=3)


declare(VIT.cls_attention, model=Fixed(_vit, wrong=NOT_AN_OBJECT + [("a model without attention",
                                                                       Sequential(Linear(2, 2)))],
                                       uses=("a", "b", "p", "C")),
        params=Tree(lambda dims, seed: _vit(dims).init_params(seed), uses=("a", "b", "p", "C"), seeded=True),
        images=Array(("B", lambda d: d["a"] * d["p"], lambda d: d["b"] * d["p"], "C")), dims={**VIT_DIMS, "C": (1, 2)})
declare(VIT.PatchEmbedding, image_size=_image_size(), patch=PATCH, channels=SMALL, d_model=SMALL, dims=VIT_DIMS,
        relations=[NOT_DIVIDING])


def _embedding(dims):
    return VIT.PatchEmbedding(_hw(dims), dims["p"], dims["C"], 3)


EMB = dict(make=_embedding, uses=("a", "b", "p", "C"), dims={**VIT_DIMS, "C": (1, 2)})
declare_method(VIT.PatchEmbedding, "param_shapes", **EMB)
declare_method(VIT.PatchEmbedding, "init_params", **EMB, rng=Rng())
declare_method(VIT.PatchEmbedding, "check_input", **EMB,
               x=Array(("B", lambda d: d["a"] * d["p"], lambda d: d["b"] * d["p"], "C")))
declare(VIT.ClassToken, n_tokens=SMALL, d_model=SMALL)


def _token(dims):
    return VIT.ClassToken(dims["N"], dims["d"])


declare_method(VIT.ClassToken, "param_shapes", make=_token, uses=("N", "d"))
declare_method(VIT.ClassToken, "init_params", make=_token, uses=("N", "d"), rng=Rng())
declare_method(VIT.ClassToken, "check_input", make=_token, uses=("N", "d"), x=Array(("B", "N", "d")))
declare(VIT.TokenPool, mode=Choice(("cls", "mean")))
declare_method(VIT.TokenPool, "check_input", make=lambda dims: VIT.TokenPool(), x=Array(("B", "N", "d")),
               dims={"N": (2, 5)}, relations=[("x", "no patch token", lambda a: a["x"][:, :1])])

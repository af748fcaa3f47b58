"""Declarations: the neural-network core, ``algorithms.nn``'s ``functional``, ``init``, ``layers``, ``losses``,
``optimizers`` and ``_repr``.

The base classes (:class:`~mlsheet_utils.algorithms.nn.layers.Layer`, ``Sequential``, ``Loss``, ``ElementwiseLoss``,
``Optimizer``) are declared here, their methods with a concrete subclass of these modules as receiver.
"""

from __future__ import annotations

import numpy as np

from mlsheet_utils.algorithms.nn import functional as F
from mlsheet_utils.algorithms.nn import init as I
from mlsheet_utils.algorithms.nn import layers as L
from mlsheet_utils.algorithms.nn import losses as LS
from mlsheet_utils.algorithms.nn import optimizers as O
from mlsheet_utils.algorithms.nn._repr import compact_repr
from tests.contracts.kinds import (
    Array,
    Choice,
    Either,
    Fixed,
    Flag,
    Int,
    IntArray,
    Labels,
    Optional,
    Positive,
    ProbVector,
    Real,
    Rng,
    Shape,
    Spins,
    Stochastic,
    Tree,
)
from tests.contracts.registry import declare, declare_method, first_entry, star

COVERS = ("mlsheet_utils.algorithms.nn.functional", "mlsheet_utils.algorithms.nn.init",
          "mlsheet_utils.algorithms.nn.layers", "mlsheet_utils.algorithms.nn.losses",
          "mlsheet_utils.algorithms.nn.optimizers", "mlsheet_utils.algorithms.nn._repr")

RECORDS = (L.Normalized, L.BatchNormTrace, O.OptimizerState)

SIZE = Int(1, None, draw=(1, 4))


def scalar(arg):
    """A relation: ``arg`` replaced by a scalar (the function needs at least one axis)."""
    return (arg, "a scalar", lambda a: 1.0)


# -- functional ---------------------------------------------------------------------------------------------
# elementwise: any shape, NaN refused, +-inf allowed (each activation has a limit there)
VALUES = Array(("n", "m"), any_shape=True, allow_inf=True)
for _f in (F.relu, F.relu_derivative, F.sigmoid, F.sigmoid_derivative, F.tanh, F.tanh_derivative, F.softplus,
           F.softplus_derivative, F.selu, F.selu_derivative, F.mish, F.mish_derivative, F.softsign,
           F.softsign_derivative, F.hard_sigmoid, F.hard_sigmoid_derivative, F.hard_tanh, F.hard_tanh_derivative):
    declare(_f, x=VALUES)
declare(F.leaky_relu, x=VALUES, slope=Real(0.0))
declare(F.leaky_relu_derivative, x=VALUES, slope=Real(0.0))
declare(F.elu, x=VALUES, alpha=Real(0.0))
declare(F.elu_derivative, x=VALUES, alpha=Real(0.0))
declare(F.swish, x=VALUES, beta=Real(0.0))
declare(F.swish_derivative, x=VALUES, beta=Real(0.0))
declare(F.gelu, x=VALUES, approximate=Flag())
declare(F.gelu_derivative, x=VALUES, approximate=Flag())

# normalising along an axis: any shape with an axis; -inf is "excluded" (valid), +inf and NaN are wrong, and so is
# a slice with no finite entry
SCORES = Array(("n", "m"), any_shape=True, allow_inf=True)
AXIS2 = Int(-2, 1)                       # an axis of the (n, m) scores
NORMALISING = [scalar("x"), first_entry("x", "a +inf entry", np.inf),
               ("x", "a slice of -inf only", lambda a: np.full(np.shape(a["x"]), -np.inf))]
declare(F.softmax, x=SCORES, axis=AXIS2, relations=NORMALISING)
declare(F.log_softmax, x=SCORES, axis=AXIS2, relations=NORMALISING)
declare(F.logsumexp, x=SCORES, axis=AXIS2, keepdims=Flag(), relations=NORMALISING)
# probability vectors along the last axis, any leading axes
declare(F.softmax_jacobian, p=ProbVector("k", any_shape=True), relations=[scalar("p")])

# -- init ---------------------------------------------------------------------------------------------------
GAIN = Positive(draw=(0.1, 3.0))
declare(I.fans, shape=Shape())
declare(I.zeros, shape=Shape())
declare(I.constant, shape=Shape(), value=Real())
declare(I.normal, shape=Shape(), rng=Rng(), std=Real(0.0, None, draw=(0.0, 3.0)))
for _f in (I.xavier_uniform, I.xavier_normal, I.he_uniform, I.he_normal, I.lecun_uniform, I.lecun_normal):
    declare(_f, shape=Shape(), rng=Rng(), gain=GAIN)
declare(I.variance_scaling, shape=Shape(), rng=Rng(), scale=Positive(draw=(0.1, 3.0)),
        mode=Choice(("fan_in", "fan_out", "fan_avg")), distribution=Choice(("normal", "truncated_normal", "uniform")))
declare(I.orthogonal, shape=Shape(min_axes=2), rng=Rng(), gain=GAIN)


# -- layers -------------------------------------------------------------------------------------------------
def linear(dims):
    return L.Linear(dims["d"], dims["h"])


def mlp(dims):
    return L.Sequential(L.Linear(dims["d"], dims["h"]), L.Activation("tanh"), L.Linear(dims["h"], dims["o"]))


def residual(dims):
    body = L.Sequential(L.Linear(dims["d"], dims["h"]), L.Activation("relu"), L.Linear(dims["h"], dims["d"]))
    return L.Residual(body, L.LayerNorm(dims["d"]))


def params_of(build, seed=0):
    """The ``params`` kind of the layer ``build(dims)``: its initial parameters."""
    return lambda dims: build(dims).init_params(seed)


def _x(dims, *syms):
    return np.random.default_rng(7).standard_normal(tuple(dims[s] for s in syms))


# constructors
declare(L.Layer)
declare(L.Linear, n_in=SIZE, n_out=SIZE, bias=Flag(), weight_init=Choice(sorted(I.INITIALIZERS)))
declare(L.Activation, name=Choice(sorted(F.ACTIVATIONS)), slope=Real(0.0))
declare(L.Dropout, rate=Real(0.0, 1.0, high_open=True))
declare(L.LayerNorm, n_features=SIZE, eps=Positive())
declare(L.RMSNorm, n_features=SIZE, eps=Positive())
declare(L.BatchNorm, n_features=SIZE, eps=Positive(), momentum=Real(0.0, 1.0, low_open=True))
declare(L.Embedding, n_embeddings=SIZE, dim=SIZE)


# Sequential(*layers) takes its layers positionally: the declaration passes them as one list
declare(star(L.Sequential, "layers"),
        layers=Fixed(lambda dims: mlp(dims).layers, uses=("d", "h", "o"),
                     wrong=[("None", None), ("no layers", []), ("a number among them", [L.Linear(2, 2), 3.0]),
                            ("a loss among them", [LS.MeanSquaredError()])]))
NOT_LAYERS = [("None", None), ("a number", 3.0), ("a loss", LS.MeanSquaredError())]
declare(L.Residual, body=Fixed(lambda dims: mlp({**dims, "o": dims["d"]}), uses=("d", "h"), wrong=NOT_LAYERS),
        norm=Fixed(lambda dims: L.LayerNorm(dims["d"]), uses=("d",), wrong=NOT_LAYERS),
        placement=Choice(("pre", "post")))

# methods of the base class Layer, with a concrete subclass that inherits them as receiver
X_ANY = Array(("n",), any_shape=True)
declare_method(L.Layer, "param_shapes", make=lambda dims: L.Activation("relu"))
declare_method(L.Layer, "init_params", make=lambda dims: L.Activation("relu"), rng=Rng())
declare_method(L.Layer, "check_input", make=lambda dims: L.Dropout(0.5), x=X_ANY)
declare_method(L.Layer, "check_params", make=linear, uses=("d", "h"), params=Tree(params_of(linear), ("d", "h")))
XD = Array(("n", "d"), any_shape=True)   # (..., n_features): an axis more is one more batch axis
declare_method(L.Layer, "forward", make=linear, uses=("d", "h"), x=XD, params=Tree(params_of(linear), ("d", "h")),
               rng=Optional(Rng()), training=Flag())
declare_method(L.Layer, "backward", make=linear, uses=("d", "h"), dy=Array(("n", "h")),
               cache=Fixed(lambda dims: linear(dims).forward(_x(dims, "n", "d"), linear(dims).init_params(0))[1],
                           uses=("n", "d", "h"),
                           wrong=[("None", None), ("an empty dict", {}), ("a string", "seven")]))

# Linear
declare_method(L.Linear, "param_shapes", make=linear, uses=("d", "h"))
declare_method(L.Linear, "init_params", make=linear, uses=("d", "h"), rng=Rng())
declare_method(L.Linear, "check_input", make=linear, uses=("d", "h"), x=XD, relations=[scalar("x")])
# Activation: any shape, +-inf allowed (as the functions of nn.functional)
declare_method(L.Activation, "check_input", make=lambda dims: L.Activation("tanh"), x=VALUES)
# Dropout: in training mode (the default) with rate > 0 it needs rng
declare_method(L.Dropout, "forward", make=lambda dims: L.Dropout(0.5), x=X_ANY,
               params=Tree(lambda dims: {}), rng=Rng())


# normalisation layers
def layer_norm(dims):
    return L.LayerNorm(dims["f"])


def rms_norm(dims):
    return L.RMSNorm(dims["f"])


def batch_norm(dims):
    return L.BatchNorm(dims["f"])


XF = Array(("n", "f"), any_shape=True)
for _cls, _make in ((L.LayerNorm, layer_norm), (L.RMSNorm, rms_norm), (L.BatchNorm, batch_norm)):
    declare_method(_cls, "param_shapes", make=_make, uses=("f",))
    declare_method(_cls, "init_params", make=_make, uses=("f",), rng=Rng())
declare_method(L.LayerNorm, "check_input", make=layer_norm, uses=("f",), x=XF, relations=[scalar("x")])
declare_method(L.RMSNorm, "check_input", make=rms_norm, uses=("f",), x=XF, relations=[scalar("x")])
declare_method(L.BatchNorm, "check_input", make=batch_norm, uses=("f",), x=XF,
               relations=[scalar("x"), ("x", "one axis too few (no batch axis)", lambda a: np.ones(a["x"].shape[-1]))])
declare_method(L.BatchNorm, "init_running", make=batch_norm, uses=("f",))
BN_PARAMS = Tree(params_of(batch_norm), ("f",))
declare_method(L.BatchNorm, "forward", make=batch_norm, uses=("f",), x=XF, params=BN_PARAMS, rng=Optional(Rng()),
               training=Fixed(lambda dims: True, wrong=[("False (forward is the training pass)", False)]),
               relations=[scalar("x"), ("x", "one axis too few (no batch axis)", lambda a: np.ones(a["x"].shape[-1]))])


def running(dims):
    return {"mean": np.linspace(-1.0, 1.0, dims["f"]), "var": np.linspace(0.5, 2.0, dims["f"])}


NEGATIVE_VAR = ("running", "a negative variance",
                lambda a: {**a["running"], "var": -np.ones(a["running"]["var"].shape)})
declare_method(L.BatchNorm, "update_running", make=batch_norm, uses=("f",), running=Tree(running, ("f",)),
               cache=Fixed(lambda dims: batch_norm(dims).forward(_x(dims, "n", "f"),
                                                                 batch_norm(dims).init_params())[1],
                           uses=("n", "f"), wrong=[("None", None), ("an empty dict", {}), ("a string", "seven")]),
               relations=[NEGATIVE_VAR])
declare_method(L.BatchNorm, "inference", make=batch_norm, uses=("f",), x=XF, params=BN_PARAMS,
               running=Tree(running, ("f",)), relations=[scalar("x"), NEGATIVE_VAR])
declare(L.batch_norm_trace, layer=Fixed(batch_norm, uses=("f",), wrong=[("None", None),
                                                                      ("a LayerNorm", L.LayerNorm(2))]),
        params=BN_PARAMS, batches=Array(("T", "N", "f")), probe=Array(("f",)))


# Embedding: integer ids of any shape in 0 .. n_embeddings - 1 (an empty batch of ids is looked up as empty)
def embedding(dims):
    return L.Embedding(dims["V"], dims["e"])


declare_method(L.Embedding, "param_shapes", make=embedding, uses=("V", "e"))
declare_method(L.Embedding, "init_params", make=embedding, uses=("V", "e"), rng=Rng())
declare_method(L.Embedding, "check_input", make=embedding, uses=("V", "e"),
               x=Labels(("n",), lambda dims: dims["V"], any_shape=True, empty_ok=True), dims={"V": (1, 5)})

# Sequential and Residual
MLP_PARAMS = Tree(params_of(mlp), ("d", "h", "o"))
declare_method(L.Sequential, "init_params", make=mlp, uses=("d", "h", "o"), rng=Rng())
declare_method(L.Sequential, "check_params", make=mlp, uses=("d", "h", "o"), params=MLP_PARAMS)
declare_method(L.Sequential, "check_input", make=mlp, uses=("d", "h", "o"), x=XD, relations=[scalar("x")])
declare_method(L.Sequential, "forward", make=mlp, uses=("d", "h", "o"), x=XD, params=MLP_PARAMS,
               rng=Optional(Rng()), training=Flag(), relations=[scalar("x")])
declare_method(L.Residual, "init_params", make=residual, uses=("d", "h"), rng=Rng())
declare_method(L.Residual, "check_params", make=residual, uses=("d", "h"),
               params=Tree(params_of(residual), ("d", "h")))
declare_method(L.Residual, "check_input", make=residual, uses=("d", "h"), x=XD, relations=[scalar("x")])

# normalize and its gradient: any shape with an axis; axis an int or a tuple of ints
AXES = Either(Int(-2, 1), Fixed(lambda dims: (0, 1)))
BAD_AXES = [("axis", "an empty tuple", lambda a: ()), ("axis", "a tuple with a fraction", lambda a: (0, 1.5)),
            ("axis", "a tuple with an axis out of range", lambda a: (0, 2))]
declare(L.normalize, x=Array(("n", "m"), any_shape=True), axis=AXES, eps=Positive(), center=Flag(),
        relations=[scalar("x")] + BAD_AXES)
declare(L.normalize_backward, g=Array(("n", "m")), x_hat=Array(("n", "m")),
        inv_std=Array(("n", 1), draw=(0.1, 3.0)), axis=AXES, center=Flag(),
        relations=BAD_AXES + [("inv_std", "a shape that broadcasts past x_hat's",
                               lambda a: np.ones(a["x_hat"].shape + (2,)))])

# -- losses -------------------------------------------------------------------------------------------------
PRED = Array(("n", "m"))
UNIT = Array(("n", "m"), low=0.0, high=1.0)
declare(LS.Loss)
declare(LS.ElementwiseLoss)
for _cls in (LS.MeanSquaredError, LS.BinaryCrossEntropyWithLogits, LS.MeanAbsoluteError, LS.CosineSimilarityLoss):
    declare(_cls)
declare(LS.SoftmaxCrossEntropy, label_smoothing=Real(0.0, 1.0))
declare(LS.Huber, delta=Positive())
declare(LS.Hinge, margin=Positive())
declare(LS.FocalLoss, gamma=Real(0.0, None, draw=(0.0, 5.0)), alpha=Optional(Real(0.0, 1.0)))
declare(LS.KLDivergence, reverse=Flag())
declare(LS.JensenShannonDivergence, weight=Real(0.0, 1.0, low_open=True, high_open=True))
declare(LS.PairwiseRankingHinge, margin=Positive())
declare(LS.DiceLoss, smooth=Real(0.0), squared=Flag())
declare(LS.ContrastiveLoss, margin=Positive())
declare(LS.TripletLoss, margin=Real(0.0), eps=Real(0.0))

MSE = lambda dims: LS.MeanSquaredError()            # noqa: E731
declare_method(LS.Loss, "check", make=MSE, pred=PRED, target=PRED)
declare_method(LS.Loss, "forward", make=MSE, pred=PRED, target=PRED)
BAD_CACHE = [("None", None), ("an empty dict", {}), ("a string", "seven")]
declare_method(LS.Loss, "backward", make=MSE,
               cache=Fixed(lambda dims: LS.MeanSquaredError().forward(_x(dims, "n", "m"), np.zeros((dims["n"],
                                                                                                   dims["m"])))[1],
                           uses=("n", "m"), wrong=BAD_CACHE))
declare_method(LS.ElementwiseLoss, "values", make=lambda dims: LS.Huber(1.0), pred=PRED, target=PRED)
declare_method(LS.ElementwiseLoss, "derivative", make=lambda dims: LS.Huber(1.0), pred=PRED, target=PRED)
declare_method(LS.BinaryCrossEntropyWithLogits, "check", make=lambda dims: LS.BinaryCrossEntropyWithLogits(),
               pred=PRED, target=UNIT)
declare_method(LS.FocalLoss, "check", make=lambda dims: LS.FocalLoss(2.0, 0.25), pred=PRED, target=UNIT)
declare_method(LS.Hinge, "check", make=lambda dims: LS.Hinge(), pred=PRED, target=Spins(("n", "m")))
# labels: the class count is pred's last axis (a label below it is valid whatever that axis is, so it is not a
# shared size)
declare_method(LS.SoftmaxCrossEntropy, "check", make=lambda dims: LS.SoftmaxCrossEntropy(0.1),
               pred=Array(("n", "k")), target=Labels(("n",), lambda dims: dims["k"]))
declare_method(LS.KLDivergence, "check", make=lambda dims: LS.KLDivergence(), pred=Array(("n", "k")),
               target=Stochastic(("n", "k")))
declare_method(LS.CosineSimilarityLoss, "check", make=lambda dims: LS.CosineSimilarityLoss(),
               pred=Array(("n", "m"), draw=(0.5, 2.0)), target=Array(("n", "m"), draw=(-2.0, -0.5)),
               relations=[("pred", "a zero row", lambda a: np.zeros_like(a["pred"])),
                          ("target", "a zero row", lambda a: np.zeros_like(a["target"]))])
declare_method(LS.PairwiseRankingHinge, "check", make=lambda dims: LS.PairwiseRankingHinge(),
               pred=Array(("n",)), target=Array(("n",)), dims={"n": (2, 5)},
               where=lambda a: np.ptp(a["target"]) > 0,
               relations=[("target", "all equal", lambda a: np.zeros_like(a["target"]))])
declare_method(LS.DiceLoss, "check", make=lambda dims: LS.DiceLoss(), pred=UNIT, target=UNIT,
               where=lambda a: (a["pred"] ** 2).sum() + (a["target"] ** 2).sum() > 0)
EMB = Array(("n", "e"))
declare_method(LS.ContrastiveLoss, "forward", make=lambda dims: LS.ContrastiveLoss(), x1=EMB, x2=EMB,
               y=IntArray(("n",), 0, 1))
declare_method(LS.ContrastiveLoss, "backward", make=lambda dims: LS.ContrastiveLoss(),
               cache=Fixed(lambda dims: LS.ContrastiveLoss().forward(_x(dims, "n", "e"), _x(dims, "n", "e") + 1.0,
                                                                     np.arange(dims["n"]) % 2)[1],
                           uses=("n", "e"), wrong=BAD_CACHE))
declare_method(LS.TripletLoss, "forward", make=lambda dims: LS.TripletLoss(), anchor=EMB, positive=EMB, negative=EMB)
declare_method(LS.TripletLoss, "backward", make=lambda dims: LS.TripletLoss(),
               cache=Fixed(lambda dims: LS.TripletLoss().forward(_x(dims, "n", "e"), np.zeros((dims["n"], dims["e"])),
                                                                 np.ones((dims["n"], dims["e"])))[1],
                           uses=("n", "e"), wrong=BAD_CACHE))
# labels of any shape in 0 .. n_classes - 1 (an empty array of labels gives an empty array of targets)
declare(LS.smooth_labels, labels=Labels(("n", "m"), lambda dims: dims["k"], any_shape=True, empty_ok=True),
        n_classes=Int(1, None, draw=("k", "k")), label_smoothing=Real(0.0, 1.0), dims={"k": (1, 4)},
        relations=[("n_classes", "not above every label", lambda a: int(np.max(a["labels"])))])


# -- optimizers ---------------------------------------------------------------------------------------------
def tree(dims):
    """Parameters of two layers: a list of dicts of arrays."""
    rng = np.random.default_rng(dims["d"])
    return [{"W": rng.standard_normal((dims["d"], dims["h"])), "b": np.zeros(dims["h"])},
            {"W": rng.standard_normal((dims["h"], 1))}]


LR = Positive(draw=(1e-3, 1.0))
UNIT_OPEN = Real(0.0, 1.0, high_open=True)
declare(O.Optimizer)
declare(O.SGD, learning_rate=LR, momentum=UNIT_OPEN, nesterov=Flag(),
        where=lambda a: a["momentum"] > 0 or not a["nesterov"],
        relations=[("momentum", "0 with nesterov (below the range without)",
                    lambda a: 0.0 if a["nesterov"] else -1.0)])
declare(O.AdaGrad, learning_rate=LR, eps=Positive(), initial_accumulator=Real(0.0), eps_inside_sqrt=Flag())
declare(O.RMSProp, learning_rate=LR, decay=UNIT_OPEN, eps=Positive(), eps_inside_sqrt=Flag())
declare(O.Adam, learning_rate=LR, b1=UNIT_OPEN, b2=UNIT_OPEN, eps=Positive())
declare(O.AdamW, learning_rate=LR, b1=UNIT_OPEN, b2=UNIT_OPEN, eps=Positive(), weight_decay=Real(0.0))
declare_method(O.Optimizer, "init", make=lambda dims: O.Adam(), params=Tree(tree, ("d", "h"), structure=False))
declare_method(O.Optimizer, "update", make=lambda dims: O.Adam(),
               grads=Tree(tree, ("d", "h")), params=Tree(tree, ("d", "h"), structure=False),
               state=Fixed(lambda dims: O.Adam().init(tree(dims)), uses=("d", "h"),
                           wrong=[("None", None), ("a string", "seven"),
                                  ("a state without slots", O.OptimizerState(0, {})),
                                  ("the state of other parameters", O.Adam().init([{"W": np.ones((7, 7))}]))]))

# -- _repr --------------------------------------------------------------------------------------------------
declare(compact_repr, obj=Fixed(lambda dims: L.Linear(3, 2, bias=False),
                                wrong=[("None", None), ("a number", 3.0), ("a dataclass, not an instance", L.Linear)]))

"""Declarations: the neural-network model modules ``algorithms.nn.attention``, ``autodiff``, ``autoencoder``,
``boltzmann``, ``contrastive``, ``conv`` and ``covariate_shift``.

Layers inherit ``forward``/``backward`` from :class:`~mlsheet_utils.algorithms.nn.layers.Layer` (declared with
the layers module); here are their constructors and the methods their own bodies define.
"""

from __future__ import annotations

import functools

import numpy as np

from mlsheet_utils.algorithms.nn import attention as AT
from mlsheet_utils.algorithms.nn import autodiff as AD
from mlsheet_utils.algorithms.nn import autoencoder as AE
from mlsheet_utils.algorithms.nn import boltzmann as BM
from mlsheet_utils.algorithms.nn import contrastive as CT
from mlsheet_utils.algorithms.nn import conv as CV
from mlsheet_utils.algorithms.nn import covariate_shift as CS
from mlsheet_utils.algorithms.nn import functional as F
from mlsheet_utils.algorithms.nn import init
from tests.contracts.kinds import (
    Array,
    BinaryMask,
    BinaryStates,
    Choice,
    Either,
    Fixed,
    Flag,
    Gaussian,
    Int,
    IntSeq,
    Labels,
    Optional,
    Positive,
    Real,
    Rng,
    Widths,
)
from tests.contracts.kinds_nn import (
    ActivationNames,
    AttentionMask,
    BMWeights,
    LinearParams,
    Operand,
)
from tests.contracts.registry import declare, declare_method, not_square

COVERS = ("mlsheet_utils.algorithms.nn.attention", "mlsheet_utils.algorithms.nn.autodiff",
          "mlsheet_utils.algorithms.nn.autoencoder", "mlsheet_utils.algorithms.nn.boltzmann",
          "mlsheet_utils.algorithms.nn.contrastive", "mlsheet_utils.algorithms.nn.conv",
          "mlsheet_utils.algorithms.nn.covariate_shift")

RECORDS = (AT.PerHeadAttention, AT.SoftmaxSaturation, AD.Node, AD.Graph, AD.Backprop, AE.AutoencoderFit,
           AE.VAEFit, BM.BoltzmannExact, BM.BMGradient, BM.BMFit, CT.ContrastiveResult, CT.BoundEstimate,
           CV.ReceptiveField, CV.MaskOverlap, CS.ShiftTrace)

SMALL = Int(1, None, draw=(1, 5))
INITS = Choice(sorted(init.INITIALIZERS))
ACTIVATION = Choice(sorted(F.ACTIVATIONS))


def _data(n: int, d: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, d))


# == attention ================================================================================================
declare(AT.causal_mask, n_q=SMALL, n_k=Optional(Int(1, None, draw=(1, 8))),
        where=lambda a: a["n_k"] is None or a["n_k"] >= a["n_q"],
        relations=[("n_k", "below n_q", lambda a: a["n_q"] - 1)])

# a mask is always drawn (None is valid and not wrong): a size that disagrees with it is then always wrong
MASK = AttentionMask(("q", "m"), optional=True)
# one head: Q (..., q, k), K (..., m, k), V (..., m, v); leading batch axes broadcast, so an extra axis is valid
SCALE = Either(Choice((True, False)), Positive())
QKV = dict(Q=Array(("q", "k"), any_shape=True), K=Array(("m", "k"), any_shape=True),
           V=Array(("m", "v"), any_shape=True), mask=MASK, scale=SCALE)
QM = {"q": (2, 5), "m": (2, 5)}                   # a mask of one row (or column) would broadcast to any size
declare(AT.scaled_dot_product_attention, **QKV, dims=QM)
declare(AT.attention_grads, **QKV, grad_output=Array(("q", "v")), dims=QM)


def _width(sym):
    return lambda dims: dims["h"] * dims[sym]


def _cols(arg):
    return lambda a: np.asarray(a[arg]).shape[1]


# multi-head: W_q (dm, h dk), W_k (dkv, h dk), W_v (dkv, h dv), W_o (h dv, do); n_heads = h
MHA_DIMS = {"h": (1, 3), "dk": (1, 2), "dv": (1, 2), **QM}
MHA_RELATIONS = [
    ("n_heads", "not dividing the widths", lambda a: _cols("W_q")(a) + 1),
    ("W_k", "a column too many", lambda a: np.zeros((np.shape(a["W_k"])[0], _cols("W_q")(a) + 1))),
    ("W_o", "a row too many", lambda a: np.zeros((_cols("W_v")(a) + 1, 2))),
]


def _mha(any_shape: bool) -> dict:
    return dict(X_q=Array(("q", "dm"), any_shape=any_shape), X_kv=Array(("m", "dkv"), any_shape=any_shape),
                W_q=Array(("dm", _width("dk"))), W_k=Array(("dkv", _width("dk"))), W_v=Array(("dkv", _width("dv"))),
                W_o=Array((_width("dv"), "do")), n_heads=Int(1, None, draw=("h", "h")),
                mask=MASK)


declare(AT.multi_head_attention, **_mha(True), dims=MHA_DIMS, relations=MHA_RELATIONS)
declare(AT.multi_head_attention_loop, **_mha(False), dims=MHA_DIMS, relations=MHA_RELATIONS)
declare(AT.prefix_scores, Q=Array(("q", "k")), K=Array(("m", "k")),
        widths=Fixed(lambda dims: list(range(1, dims["k"] + 1)), uses=("k",),
                     wrong=[("None", None), ("a string", "seven"), ("empty", []), ("zero", [0]),
                            ("decreasing", [2, 1]), ("fractions", [0.5]), ("past d", [99])]))
declare(AT.softmax_saturation, S=Array(("q", "m"), any_shape=True), dims={"m": (2, 5)},
        relations=[("S", "a single key", lambda a: np.zeros((2, 1)))])


def _mha_layer(dims):
    return AT.MultiHeadAttention(dims["h"] * dims["dk"], dims["h"])


declare(AT.MultiHeadAttention, d_model=Int(1, None, draw=(1, 6)), n_heads=Int(1, None, draw=(1, 3)), causal=Flag(),
        weight_init=INITS, where=lambda a: a["d_model"] % a["n_heads"] == 0,
        relations=[("n_heads", "not dividing d_model", lambda a: a["d_model"] + 1)])
declare_method(AT.MultiHeadAttention, "param_shapes", make=_mha_layer, uses=("h", "dk"), dims=MHA_DIMS)
declare_method(AT.MultiHeadAttention, "init_params", make=_mha_layer, uses=("h", "dk"), dims=MHA_DIMS, rng=Rng())
declare_method(AT.MultiHeadAttention, "check_input", make=lambda dims: AT.MultiHeadAttention(dims["d"], 1),
               uses=("d",), x=Array(("s", "d"), any_shape=True),
               relations=[("x", "one axis", lambda a: np.zeros(np.shape(a["x"])[-1]))])

# == autodiff =================================================================================================
ANY = Array(("n", "d"), any_shape=True)
declare(AD.variable, value=ANY)
declare(AD.constant, value=ANY)
# broadcasting: an extra axis may be valid; with n, d >= 2 a size one larger never broadcasts
for _f in (AD.add, AD.sub, AD.mul):
    declare(_f, a=Operand(Array(("n", "d"), any_shape=True)), b=Operand(Array(("n", "d"), any_shape=True)),
            dims={"n": (2, 4), "d": (2, 4)})
declare(AD.matmul, a=Operand(Array(("n", "k"))), b=Operand(Array(("k", "m"))))
for _f in (AD.square, AD.tanh, AD.sigmoid, AD.relu, AD.exp, AD.softplus, AD.total, AD.mean):
    declare(_f, x=Operand(ANY))
declare(AD.log, x=Operand(Array(("n", "d"), low=0.0, low_open=True, any_shape=True)),
        relations=[("x", "a zero entry", lambda a: np.zeros(3)), ("x", "a negative entry", lambda a: -np.ones(3))])


def _loss_node(dims):
    """A scalar root: sum(tanh(x W)) for a variable W."""
    W = AD.variable(np.linspace(-1.0, 1.0, dims["d"] * 2).reshape(dims["d"], 2))
    return AD.total(AD.tanh(AD.matmul(np.ones((3, dims["d"])), W)))


ROOT = Fixed(_loss_node, uses=("d",), wrong=[("None", None), ("a string", "seven"), ("an array", np.ones(3))])
declare(AD.topological_order, root=ROOT)
declare(AD.backward, root=ROOT, seed=Optional(Array(())))
ACT_NAMES = ("relu", "sigmoid", "softplus", "tanh")
declare(AD.mlp_graph, X=Array(("n", "d")), params=LinearParams("d", "L"), activations=ActivationNames("L", ACT_NAMES),
        dims={"L": (1, 3)})


def _node(dims):
    return AD.variable(np.linspace(0.5, 1.5, dims["n"]))


for _m in ("tanh", "sigmoid", "relu", "exp", "log", "softplus", "square", "sum", "mean"):
    declare_method(AD.Node, _m, make=_node, uses=("n",))

# == autoencoder ==============================================================================================
declare(AE.mlp, sizes=Widths(min_size=2, max_size=4), activation=Optional(ACTIVATION),
        relations=[("sizes", "a single size", lambda a: [3])])
EPOCHS, BATCH = Int(1, None, draw=(1, 3)), Int(1, None, draw=(1, 8))
LR = Positive(draw=(0.001, 0.1))
AE_ARGS = dict(n_latent=Int(1, None, draw=(1, 3)), hidden=Widths(min_size=0, max_size=2),
               activation=Optional(ACTIVATION), corruption=Real(0.0, 1.0, high_open=True, draw=(0.0, 0.5)),
               epochs=EPOCHS, batch_size=BATCH, learning_rate=LR, rng=Rng())
declare(AE.fit_autoencoder, X=Array(("n", "d")), **AE_ARGS)
declare(AE.kl_standard_normal, mu=Array(("n", "k")), log_var=Array(("n", "k")))


@functools.lru_cache(maxsize=16)
def _ae_fit(d: int, k: int) -> AE.AutoencoderFit:
    return AE.fit_autoencoder(_data(6, d), k, epochs=1)


declare(AE.Autoencoder, **AE_ARGS, then=lambda ae, dims: ae.fit(_data(6, dims.get("d", 2))))
declare_method(AE.AutoencoderFit, "encode", make=lambda dims: _ae_fit(dims["d"], 2), uses=("d",),
               X=Array(("n", "d")))
declare_method(AE.AutoencoderFit, "decode", make=lambda dims: _ae_fit(3, dims["k"]), uses=("k",),
               Z=Array(("n", "k")), dims={"k": (1, 3)})
declare_method(AE.AutoencoderFit, "reconstruct", make=lambda dims: _ae_fit(dims["d"], 2), uses=("d",),
               X=Array(("n", "d")))


def _ae(dims):
    return AE.Autoencoder(2, epochs=1).fit(_data(6, dims["d"]))


declare_method(AE.Autoencoder, "fit", make=lambda dims: AE.Autoencoder(1, epochs=1), X=Array(("n", "d")))
declare_method(AE.Autoencoder, "transform", make=_ae, uses=("d",), X=Array(("n", "d")))
declare_method(AE.Autoencoder, "inverse_transform", make=lambda dims: AE.Autoencoder(dims["k"], epochs=1).fit(
    _data(6, 3)), uses=("k",), Z=Array(("n", "k")), dims={"k": (1, 3)})
declare_method(AE.Autoencoder, "predict", make=_ae, uses=("d",), X=Array(("n", "d")))

LAYER_WRONG = [("None", None), ("a string", "seven"), ("a number", 3.0)]


def _vae(dims) -> AE.VAE:
    d, k = dims["d"], dims["k"]
    return AE.VAE(AE.mlp((d, 3, 2 * k)), AE.mlp((k, 3, d)), k)


VAE_DIMS = {"k": (1, 3)}
declare(AE.VAE, encoder=Fixed(lambda dims: AE.mlp((dims["d"], 2 * dims["k"])), uses=("d", "k"), wrong=LAYER_WRONG),
        decoder=Fixed(lambda dims: AE.mlp((dims["k"], dims["d"])), uses=("d", "k"), wrong=LAYER_WRONG),
        n_latent=Int(1, None, draw=("k", "k")), dims=VAE_DIMS)
declare_method(AE.VAE, "init_params", make=_vae, uses=("d", "k"), dims=VAE_DIMS, rng=Rng())
VAE_PARAMS = Fixed(lambda dims: _vae(dims).init_params(0), uses=("d", "k"),
                   wrong=[("None", None), ("a string", "seven"), ("an empty dict", {}),
                          ("parts that are not lists", {"encoder": 1.0, "decoder": 1.0})])
declare_method(AE.VAE, "check_params", make=_vae, uses=("d", "k"), dims=VAE_DIMS, params=VAE_PARAMS)
# a layer's leading axes are batch axes: an extra axis is valid
declare_method(AE.VAE, "check_input", make=_vae, uses=("d", "k"), dims=VAE_DIMS, x=Array(("n", "d"), any_shape=True))
declare_method(AE.VAE, "forward", make=_vae, uses=("d", "k"), dims=VAE_DIMS, x=Array(("n", "d"), any_shape=True),
               params=VAE_PARAMS,
               rng=Optional(Rng()), training=Flag(), where=lambda a: a["rng"] is not None or not a["training"])

declare(AE.NegativeELBO, beta=Real(0.0, None), obs_var=Positive())
PRED = Array(("n", lambda dims: dims["d"] + 2 * dims["k"]))
PRED_RELATIONS = [("pred", "an odd number of latent columns", lambda a: np.zeros((len(a["target"]),
                                                                                  np.shape(a["target"])[1] + 1))),
                  ("pred", "no latent columns", lambda a: np.zeros(np.shape(a["target"])))]
for _m in ("check", "terms"):
    declare_method(AE.NegativeELBO, _m, make=lambda dims: AE.NegativeELBO(), pred=PRED, target=Array(("n", "d")),
                   dims=VAE_DIMS, relations=PRED_RELATIONS)


@functools.lru_cache(maxsize=16)
def _vae_fit(d: int, k: int) -> AE.VAEFit:
    return AE.fit_vae(_data(6, d), k, hidden=(3,), epochs=1)


declare(AE.fit_vae, X=Array(("n", "d")), n_latent=Int(1, None, draw=(1, 3)), hidden=Widths(min_size=0, max_size=2),
        activation=Optional(ACTIVATION), beta=Real(0.0, None, draw=(0.0, 4.0)), obs_var=Positive(draw=(0.1, 4.0)),
        epochs=EPOCHS, batch_size=BATCH, learning_rate=LR, rng=Rng())
declare_method(AE.VAEFit, "encode", make=lambda dims: _vae_fit(dims["d"], 2), uses=("d",), X=Array(("n", "d")))
declare_method(AE.VAEFit, "decode", make=lambda dims: _vae_fit(3, dims["k"]), uses=("k",), Z=Array(("n", "k")),
               dims={"k": (1, 3)})

# == boltzmann ================================================================================================
WB = dict(W=BMWeights("N"), b=Array(("N",)))
TEMP = Positive(draw=(0.1, 10.0))
declare(BM.bm_energy, S=BinaryStates(("m", "N"), any_shape=True), **WB)
declare(BM.binary_states, n=Int(1, BM.MAX_UNITS, draw=(1, 5)))
declare(BM.boltzmann_exact, **WB, temperature=TEMP)
declare(BM.unit_conditional, S=BinaryStates(("m", "N"), any_shape=True), **WB, i=Int(0, lambda dims: dims["N"] - 1),
        temperature=TEMP)
declare(BM.bm_gibbs, **WB, n_sweeps=Int(1, None, draw=(1, 3)), n_chains=Int(1, None, draw=(1, 5)), temperature=TEMP,
        rng=Rng())
declare(BM.bm_log_likelihood, **WB, data=BinaryStates(("n", "N")))
declare(BM.bm_gradient, **WB, data=BinaryStates(("n", "N")))
declare(BM.bm_fit, data=BinaryStates(("n", "N")), learning_rate=Positive(draw=(0.01, 1.0)),
        n_steps=Int(1, None, draw=(1, 5)),
        relations=[("data", "more than 16 units", lambda a: np.zeros((1, BM.MAX_UNITS + 1)))])

# == contrastive ==============================================================================================
Z = Gaussian(("n", "d"))                         # almost surely no zero row


def zero_row(arg):
    return (arg, "a zero row", lambda a: np.zeros(np.shape(a[arg])))


TAU = Positive(draw=(0.05, 5.0))
declare(CT.l2_normalize, z=Z, relations=[zero_row("z")])
declare(CT.l2_normalize_backward, du=Array(("n", "d")), z=Z, relations=[zero_row("z")])
declare(CT.info_nce_logits, logits=Array(("n", "n")), relations=[not_square("logits")])
declare(CT.info_nce, z1=Z, z2=Gaussian(("n", "d")), temperature=TAU, normalize=Flag())
# the self-similarities on the diagonal of the logits are -inf (documented)
declare(CT.nt_xent, z1=Z, z2=Gaussian(("n", "d")), temperature=TAU, relations=[zero_row("z1"), zero_row("z2")],
        finite=False)
declare(CT.negative_weights, similarities=Array(("m",)), temperature=TAU)
declare(CT.alignment, z1=Z, z2=Gaussian(("n", "d")), alpha=Positive(draw=(0.1, 4.0)),
        relations=[zero_row("z1"), zero_row("z2")])
declare(CT.uniformity, z=Z, t=Positive(draw=(0.1, 10.0)), dims={"n": (2, 5)},
        relations=[zero_row("z"), ("z", "a single row", lambda a: np.ones((1, 2)))])
declare(CT.mi_lower_bound, loss=Real(0.0, None), n=Int(1, None, draw=(1, 100)))
RHO = Real(-1.0, 1.0, low_open=True, high_open=True)
declare(CT.gaussian_pairs, n=SMALL, rho=RHO, dim=SMALL, rng=Rng())
declare(CT.gaussian_critic_logits, x=Array(("n", "d")), y=Array(("n", "d")), rho=RHO)
declare(CT.gaussian_bound_estimate, n=SMALL, rho=RHO, dim=Int(1, None, draw=(1, 3)),
        n_batches=Int(2, None, draw=(2, 5)), rng=Rng())

# == conv =====================================================================================================
KS, STRIDE, DIL = Int(1, None, draw=(1, 4)), Int(1, None, draw=(1, 3)), Int(1, None, draw=(1, 2))
PAD = Int(0, None, draw=(0, 2))


def _span(a):
    return a["dilation"] * (a["kernel_size"] - 1) + 1


declare(CV.conv_output_size, n=Int(1, None, draw=(1, 12)), kernel_size=KS, stride=STRIDE, padding=PAD, dilation=DIL,
        where=lambda a: _span(a) <= a["n"] + 2 * a["padding"],
        relations=[("kernel_size", "longer than the padded input",
                    lambda a: a["n"] + 2 * a["padding"] + 1)])
declare(CV.conv_transpose_output_size, n=Int(1, None, draw=(1, 8)), kernel_size=KS, stride=STRIDE, padding=PAD,
        dilation=DIL, output_padding=Int(0, None, draw=(0, 2)),
        where=lambda a: a["output_padding"] < a["stride"]
        and (a["n"] - 1) * a["stride"] - 2 * a["padding"] + _span(a) + a["output_padding"] >= 1,
        relations=[("output_padding", "equal to stride", lambda a: a["stride"]),
                   ("padding", "cropping the whole output", lambda a: 100)])
declare(CV.conv_param_count, c_in=SMALL, c_out=SMALL, kernel_size=KS, bias=Flag())
declare(CV.receptive_field, kernel_sizes=IntSeq("L"), strides=Optional(IntSeq("L")),
        dilations=Optional(IntSeq("L")), dims={"L": (1, 4)},
        where=lambda a: a["strides"] is not None or a["dilations"] is not None)   # so a length can disagree

# images (N, H, W, C) with H, W large enough for a kernel of k (dilation dl): H = dl (k - 1) + h
CONV_DIMS = {"N": (1, 2), "C": (1, 2), "O": (1, 2), "k": (1, 3), "s": (1, 2), "p": (0, 1), "dl": (1, 2),
             "h": (1, 3), "w": (1, 3)}


def _side(axis):
    return lambda d: d["dl"] * (d["k"] - 1) + d[axis]


IMAGE = Array(("N", _side("h"), _side("w"), "C"))


def _geometry_kinds():
    return dict(kernel_size=Int(1, None, draw=("k", "k")), stride=Int(1, None, draw=("s", "s")),
                padding=Int(0, None, draw=("p", "p")), dilation=Int(1, None, draw=("dl", "dl")))


declare(CV.im2col, x=IMAGE, **_geometry_kinds(), dims=CONV_DIMS,
        relations=[("kernel_size", "longer than the padded input", lambda a: 99)])


def _out(axis):
    return lambda d: (_side(axis)(d) + 2 * d["p"] - d["dl"] * (d["k"] - 1) - 1) // d["s"] + 1


declare(CV.col2im, cols=Array(("N", _out("h"), _out("w"), "k", "k", "C")),
        shape=Fixed(lambda dims: (dims["N"], _side("h")(dims), _side("w")(dims), dims["C"]),
                    uses=("N", "C", "k", "h", "w", "dl"),
                    wrong=[("None", None), ("a number", 3.0), ("three entries", (1, 2, 3))]),
        **_geometry_kinds(), dims=CONV_DIMS)
# b may be None, so W's c_out disagreeing with b is not always wrong: b's size is tied to W by a relation instead
declare(CV.conv2d, x=IMAGE, W=Array(("k", "k", "C", "O")), b=Optional(Array((lambda dims: dims["O"],))),
        stride=Int(1, None, draw=("s", "s")), padding=Int(0, None, draw=("p", "p")),
        dilation=Int(1, None, draw=("dl", "dl")), dims=CONV_DIMS,
        relations=[("W", "not square", lambda a: np.zeros((1, 2) + np.shape(a["W"])[2:])),
                   ("b", "one entry per output channel too many", lambda a: np.zeros(np.shape(a["W"])[3] + 1))])
declare(CV.mask_overlap, pred=BinaryMask(("n", "h", "w")), truth=BinaryMask(("n", "h", "w")))
declare(CV.shapes_segmentation, n_images=Int(1, None, draw=(1, 3)), size=Int(8, None, draw=(8, 12)),
        noise=Real(0.0, None), rng=Rng(),
        radius=Fixed(lambda dims: (1.0, 3.0),
                     wrong=[("None", None), ("a string", "seven"), ("a number", 3.0), ("one entry", (1.0,)),
                            ("a zero radius", (0.0, 1.0)), ("lo above hi", (3.0, 1.0)),
                            ("hi past the middle", (1.0, 100.0)), ("NaN", (float("nan"), 1.0))]))

# layers
declare(CV.Conv2D, c_in=SMALL, c_out=SMALL, kernel_size=KS, stride=STRIDE, padding=PAD, dilation=DIL, bias=Flag(),
        weight_init=INITS)
declare(CV.ConvTranspose2D, c_in=SMALL, c_out=SMALL, kernel_size=KS, stride=STRIDE, padding=PAD, dilation=DIL,
        output_padding=Int(0, None, draw=(0, 2)), bias=Flag(), weight_init=INITS,
        where=lambda a: a["output_padding"] < a["stride"],
        relations=[("output_padding", "equal to stride", lambda a: a["stride"])])
declare(CV.Pool2D, kernel_size=KS, stride=Optional(STRIDE))
declare(CV.MaxPool2D, kernel_size=KS, stride=Optional(STRIDE))
declare(CV.AvgPool2D, kernel_size=KS, stride=Optional(STRIDE))
declare(CV.Upsample2D, factor=Int(1, None, draw=(1, 3)))
declare(CV.Flatten)
declare(CV.UNet, c_in=SMALL, n_out=SMALL, width=Int(1, None, draw=(1, 4)), skip=Flag())


def _conv(dims):
    return CV.Conv2D(dims["C"], dims["O"], dims["k"], stride=dims["s"], padding=dims["p"], dilation=dims["dl"])


def _convt(dims):
    return CV.ConvTranspose2D(dims["C"], dims["O"], dims["k"], stride=dims["s"], padding=dims["p"],
                              dilation=dims["dl"])


LAYER_USES = ("C", "O", "k", "s", "p", "dl")
for _cls, _make in ((CV.Conv2D, _conv), (CV.ConvTranspose2D, _convt)):
    declare_method(_cls, "param_shapes", make=_make, uses=LAYER_USES, dims=CONV_DIMS)
    declare_method(_cls, "init_params", make=_make, uses=LAYER_USES, dims=CONV_DIMS, rng=Rng())
    declare_method(_cls, "check_input", make=_make, uses=LAYER_USES, dims=CONV_DIMS, x=IMAGE,
                   where=lambda a: True if not isinstance(a["self"], CV.ConvTranspose2D) else _fits_t(a))


def _fits_t(a):
    try:
        a["self"].output_shape(np.shape(a["x"]))
    except ValueError:
        return False
    return True


declare_method(CV.ConvTranspose2D, "output_shape", make=_convt, uses=LAYER_USES, dims=CONV_DIMS,
               x_shape=Fixed(lambda dims: (dims["N"], dims["k"] + 2 * dims["p"], dims["k"] + 2 * dims["p"],
                                           dims["C"]), uses=("N", "k", "p", "C"),
                             wrong=[("None", None), ("a string", "seven"), ("a number", 3.0),
                                    ("three entries", (1, 2, 3)), ("a zero height", (1, 0, 2, 1)),
                                    ("a fractional width", (1, 2, 2.5, 1))]))
declare_method(CV.Pool2D, "check_input", make=lambda dims: CV.MaxPool2D(dims["k"], dims["s"]), uses=("k", "s"),
               x=Array(("N", lambda d: d["k"] + d["h"] - 1, lambda d: d["k"] + d["w"] - 1, "C")), dims=CONV_DIMS,
               relations=[("x", "smaller than the window", lambda a: np.zeros((1, a["self"].kernel_size - 1, 1, 1)))])
declare_method(CV.Upsample2D, "check_input", make=lambda dims: CV.Upsample2D(2), x=Array(("N", "h", "w", "C")),
               dims=CONV_DIMS)
declare_method(CV.Flatten, "check_input", make=lambda dims: CV.Flatten(), x=Array(("n", "m"), any_shape=True),
               relations=[("x", "one axis", lambda a: np.zeros(3))])


def _unet(dims):
    return CV.UNet(dims["C"], 1, 2)


declare_method(CV.UNet, "init_params", make=_unet, uses=("C",), rng=Rng())
declare_method(CV.UNet, "check_params", make=_unet, uses=("C",),
               params=Fixed(lambda dims: _unet(dims).init_params(0), uses=("C",),
                            wrong=[("None", None), ("a string", "seven"), ("an empty dict", {}),
                                   ("parts that are not dicts", {k: 1.0 for k in ("enc", "mid", "up", "dec",
                                                                                   "head")})]))
declare_method(CV.UNet, "check_input", make=_unet, uses=("C",),
               x=Array(("N", lambda d: 2 * d["h"], lambda d: 2 * d["w"], "C")), dims=CONV_DIMS,
               relations=[("x", "an odd height", lambda a: np.zeros((1, 3, 2, np.shape(a["x"])[-1])))])

# == covariate_shift ==========================================================================================
declare(CS.RandomShift, n_features=SMALL, scale=Real(0.0, None))
declare(CS.mlp, n_in=SMALL, hidden=Widths(), n_out=SMALL, batch_norm=Flag(), noise=Real(0.0, None, draw=(0.0, 2.0)))


def _cs_model(dims):
    return CS.mlp(dims["d"], [4], dims["K"])


declare(CS.track_training,
        model=Fixed(_cs_model, uses=("d", "K"), wrong=[("None", None), ("a string", "seven"),
                                                        ("a layer, not a Sequential", CV.Flatten())]),
        params=Fixed(lambda dims: _cs_model(dims).init_params(0), uses=("d", "K"),
                     wrong=[("None", None), ("a string", "seven"), ("an empty list", [])]),
        X=Gaussian(("n", "d")), y=Labels(("n",), "K"), steps=Int(1, None, draw=(1, 2)),
        learning_rate=Positive(draw=(0.01, 0.5)), probe_steps=Array(("p",), low=0.0, low_open=True, draw=(0.1, 4.0)),
        rng=Rng(), dims={"n": (3, 6), "K": (2, 3)})

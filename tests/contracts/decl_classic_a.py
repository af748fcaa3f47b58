"""Declarations: ``algorithms.aliasing``, ``augmentation``, ``bayes_linear``, ``bias_variance``, ``convexity``,
``decoding``, ``detection``, ``dimensionality``, ``embedding`` and ``feature_selection``."""

from __future__ import annotations

import numpy as np

from mlsheet_utils.algorithms import aliasing as AL
from mlsheet_utils.algorithms import augmentation as AU
from mlsheet_utils.algorithms import bayes_linear as BL
from mlsheet_utils.algorithms import bias_variance as BV
from mlsheet_utils.algorithms import convexity as CX
from mlsheet_utils.algorithms import decoding as DC
from mlsheet_utils.algorithms import detection as DT
from mlsheet_utils.algorithms import dimensionality as DM
from mlsheet_utils.algorithms import embedding as EM
from mlsheet_utils.algorithms import feature_selection as FS
from tests.contracts.kinds import (
    SPD,
    Affinities,
    Array,
    Boxes,
    Choice,
    Either,
    Fixed,
    Flag,
    Func,
    Gaussian,
    Int,
    IntArray,
    IntBoxes,
    IntList,
    Labels,
    Observations,
    Optional,
    Positive,
    ProbVector,
    Real,
    Rng,
    SqDistances,
    Stochastic,
)
from tests.contracts.kinds_objects import MDPKind
from tests.contracts.registry import declare, declare_method, ordered

COVERS = tuple(f"mlsheet_utils.algorithms.{m}" for m in (
    "aliasing", "augmentation", "bayes_linear", "bias_variance", "convexity", "decoding", "detection",
    "dimensionality", "embedding", "feature_selection"))

RECORDS = (AL.AscentTrace, AU.Cropped, AU.Cutout, AU.Mixup, AU.TimeWarp, BL.Predictive, BL.SequentialPosteriors,
           BL.EmpiricalBayes, BV.BiasVariance, BV.MonteCarloMoments, BV.BiasVarianceMC, BV.LearningCurve,
           CX.JensenPair, CX.JensenGapEstimate, DC.SpeculativeStep, DT.GridBoxes, DT.YoloOutput, DT.YoloLoss,
           DT.Scene, DM.DistanceSummary, EM.Conditionals, EM.TSNERun, FS.TestScores, FS.ForwardPath, FS.RFEResult,
           FS.LassoEntry)


def n_of(dims, sym="n"):
    """A bound or a shape equal to a drawn size, as a callable: it does not tie the symbol to the argument."""
    return dims[sym]


def rows(a, arg):
    return np.shape(a[arg])[0]


def single_row(arg, cols=2):
    """A relation: ``arg`` with one row (where at least two are needed)."""
    return (arg, "a single row", lambda a: np.zeros((1,) + np.shape(a[arg])[1:]))


# == aliasing ==================================================================================================
MDP_ = MDPKind()
OBS_DIMS = {"S": (2, 4), "O": (1, 2), "A": (1, 3)}
declare(AL.switched_corridor, gamma=Real(0.0, 1.0, high_open=True))
declare(AL.observation_policy, theta=Array(("O", "A")), obs=Labels(("S",), lambda dims: dims["O"]))
declare(AL.observation_policy_gradient, mdp=MDP_, theta=Array(("O", "A")), obs=Observations(), dims=OBS_DIMS,
        relations=[("obs", "an observation with no row of theta",
                    lambda a: np.r_[len(a["theta"]), np.asarray(a["obs"])[1:]])])
declare(AL.gradient_ascent, mdp=MDP_, obs=Observations(), lr=Positive(draw=(0.01, 5.0)),
        n_iter=Int(1, None, draw=(1, 3)), theta0=Optional(Array(("O", "A"))), dims=OBS_DIMS)
declare(AL.best_deterministic, mdp=MDP_, obs=IntArray(("S",), 0, None, draw=(0, 2)), dims={"A": (1, 3)})

# == augmentation ==============================================================================================
IMAGES = Array(("n", "h", "w"), draw=(0.0, 16.0))
# one shift for all images, or one per image (a callable shape: a scalar shift fits any number of images)
SHIFT = Either(Int(), IntArray((n_of,)))
declare(AU.flip, images=IMAGES, axis=Choice(AU.FLIP_AXES))
declare(AU.translate, images=IMAGES, dy=SHIFT, dx=SHIFT,
        relations=[(s, "one shift too many", lambda a: np.zeros(rows(a, "images") + 1, dtype=int))
                   for s in ("dy", "dx")])
declare(AU.random_crop, images=IMAGES, pad=Int(0, None, draw=(0, 3)), rng=Rng())
declare(AU.affine_matrix, angle=Real(draw=(-180.0, 180.0)), scale=Positive(draw=(0.2, 5.0)), shear=Real())
declare(AU.warp_affine, images=IMAGES, matrix=Array((2, 2), draw=(-2.0, 2.0)))
declare(AU.brightness_contrast, images=IMAGES, brightness=Real(), contrast=Real(0.0), low=Real(), high=Real(),
        where=lambda a: a["low"] < a["high"], relations=ordered("low", "high"))
declare(AU.gaussian_noise, images=Array(("n", "m"), any_shape=True), sigma=Real(0.0), rng=Rng())
declare(AU.cutout, images=IMAGES, size=Int(0, lambda dims: min(dims["h"], dims["w"])), rng=Rng())
declare(AU.mixup, X=Array(("n", "d"), any_shape=True), Y=Stochastic(("n", "K")), alpha=Positive(), rng=Rng())
declare(AU.time_warp, series=Array(("n", "T")), strength=Real(0.0, None, draw=(0.0, 2.0)),
        n_knots=Int(0, None, draw=(0, 5)), rng=Rng(), dims={"T": (2, 6)},
        relations=[("series", "a single time step", lambda a: np.zeros((2, 1)))])

# == bayes_linear ==============================================================================================
PHI = Array(("n", "d"))
PREC = Positive(draw=(0.05, 20.0))


def _posterior(dims):
    rng = np.random.default_rng(dims["d"])
    return BL.posterior(rng.normal(size=(5, dims["d"])), rng.normal(size=5), 1.0, 2.0)


declare(BL.gaussian_basis, x=Array(("n",)), centres=Array(("k",)), width=Positive(), bias=Flag())
declare(BL.posterior, Phi=PHI, y=Array(("n",)), prior_precision=PREC, noise_precision=PREC)
declare(BL.predictive, post=Fixed(_posterior, uses=("d",), wrong=[("None", None), ("a string", "seven"),
                                                                  ("a tuple (mean, cov)", (np.zeros(2), np.eye(2)))]),
        Phi_new=Array(("m", "d")))
declare(BL.log_evidence, Phi=PHI, y=Array(("n",)), prior_precision=PREC, noise_precision=PREC)
declare(BL.sequential_posteriors, Phi=PHI, y=Array(("n",)), prior_precision=PREC, noise_precision=PREC)
declare(BL.evidence_maximisation, Phi=PHI, y=Array(("n",)), prior_precision=PREC, noise_precision=Optional(PREC),
        tol=Positive(draw=(1e-6, 1.0)), max_iter=Int(1, None, draw=(1, 20)),
        # the default start 1/Var(y) is 1/eps for a constant y, where the Cholesky factorisations break down
        where=lambda a: np.any(a["y"]) and (a["noise_precision"] is not None or np.var(a["y"]) > 1e-3),
        relations=[("y", "all zero", lambda a: np.zeros_like(a["y"]))])
declare(BL.WeightPosterior, mean=Array(("d",)), cov=SPD("d"), prior_precision=PREC, noise_precision=PREC)


def _design(dims):
    rng = np.random.default_rng(dims.get("d", 2))
    Phi = rng.normal(size=(6, dims.get("d", 2)))
    return Phi, Phi @ np.ones(dims.get("d", 2)) + 0.3 * rng.normal(size=6)


declare(BL.BayesianLinearRegression, prior_precision=PREC, noise_precision=PREC, fit_hyperparameters=Flag(),
        tol=Positive(draw=(1e-6, 1.0)), max_iter=Int(1, None, draw=(1, 20)),
        then=lambda model, dims: model.fit(*_design(dims)))
declare_method(BL.BayesianLinearRegression, "fit", make=lambda dims: BL.BayesianLinearRegression(), Phi=PHI,
               y=Array(("n",)))
declare_method(BL.BayesianLinearRegression, "predict", make=lambda dims: BL.BayesianLinearRegression().fit(
    *_design(dims)), uses=("d",), Phi=Array(("m", "d")), return_std=Flag())

# == bias_variance =============================================================================================
# one input: shape (n,) or (n, 1), so an extra axis of length 1 is not wrong; two columns are
ONE_INPUT = Array(("n",), draw=(-1.0, 1.0), any_shape=True)


def two_columns(arg):
    return (arg, "two columns", lambda a: np.zeros((len(a[arg]), 2)))


declare(BV.legendre_features, x=ONE_INPUT, degree=Int(0, None, draw=(0, 6)), relations=[two_columns("x")])
declare(BV.PolynomialRidge, degree=Int(0, None, draw=(0, 5)), alpha=Real(0.0),
        then=lambda model, dims: model.fit(np.linspace(-1, 1, 6), np.arange(6.0)))
declare_method(BV.PolynomialRidge, "fit", make=lambda dims: BV.PolynomialRidge(2, 0.1), X=ONE_INPUT, y=Array(("n",)),
               relations=[two_columns("X")])
declare_method(BV.PolynomialRidge, "predict", make=lambda dims: BV.PolynomialRidge(2, 0.1).fit(
    np.linspace(-1, 1, 6), np.arange(6.0)), X=Array(("m",), draw=(-1.0, 1.0), any_shape=True),
    relations=[two_columns("X")])
declare(BV.ridge_smoother, X_train=Array(("n", "p")), X_eval=Array(("m", "p"), empty_ok=True), alpha=Real(0.0),
        fit_intercept=Flag(), dims={"p": (0, 4)})
SMOOTHER = dict(S=Array(("m", "n")), f_train=Array(("n",)), f_eval=Array(("m",)), noise_sd=Real(0.0))
declare(BV.smoother_decomposition, **SMOOTHER)
declare(BV.mc_moments, **SMOOTHER, n_sets=Int(2, None, draw=(2, 50)))
ESTIMATOR = Fixed(lambda dims: BV.PolynomialRidge(2, 0.1),
                  wrong=[("None", None), ("a number", 3.0), ("an object without fit", object())])
declare(BV.bias_variance_mc, estimator=ESTIMATOR, X_train=Array(("n",), draw=(-1, 1), any_shape=True),
        f_train=Array(("n",)), X_test=Array(("m",), draw=(-1, 1), any_shape=True), f_test=Array(("m",)),
        noise_sd=Real(0.0), n_sets=Int(2, None, draw=(2, 5)), rng=Rng())
declare(BV.learning_curve, estimator=ESTIMATOR, X_train=Array(("n",), draw=(-1, 1), any_shape=True),
        y_train=Array(("n",)), X_val=Array(("m",), draw=(-1, 1), any_shape=True), y_val=Array(("m",)),
        sizes=IntList(1, "n"))

# == convexity =================================================================================================
SQUARE = Func(lambda dims: np.square)
declare(CX.discrete_jensen, f=SQUARE, values=Array(("k",)), probs=ProbVector("k"))
declare(CX.jensen_gap, f=SQUARE, samples=Array(("n",)), dims={"n": (2, 6)},
        relations=[("samples", "a single value", lambda a: np.array([1.0]))])
# any shape with at least one axis; -inf entries are valid (e^-inf = 0), NaN is wrong
declare(CX.logsumexp, X=Array(("n", "m"), allow_inf=True, any_shape=True), axis=Int(-2, 1))

# == decoding ==================================================================================================
P_STACK = ProbVector("V", any_shape=True)          # (V,) or a stack (..., V)
declare(DC.greedy, p=P_STACK)
declare(DC.temperature, p=P_STACK, t=Real(1e-3, None, draw=(0.05, 5.0)))
declare(DC.top_k, p=P_STACK, k=Int(1, "V"))
declare(DC.top_p, p=P_STACK, top_p=Real(0.0, 1.0, low_open=True))
declare(DC.sample, p=P_STACK, rng=Rng())
OTHER_V = ("q", "a different vocabulary size", lambda a: np.full(np.shape(a["p"])[-1] + 1,
                                                                 1.0 / (np.shape(a["p"])[-1] + 1)))
declare(DC.acceptance_rate, p=P_STACK, q=P_STACK, relations=[OTHER_V])
declare(DC.residual, p=P_STACK, q=P_STACK, relations=[OTHER_V])
declare(DC.emitted_distribution, p=ProbVector("V"), q=ProbVector("V"), relations=[OTHER_V])
declare(DC.expected_tokens, alpha=Either(Real(0.0, 1.0), Array(("m",), low=0.0, high=1.0, any_shape=True)),
        gamma=Int(0, None, draw=(0, 6)))


def _next_token(dims, shift):
    """A next-token function over a V-letter vocabulary: a fixed table row chosen by the sequence length."""
    V = dims["V"]
    table = (np.ones((V, V)) + shift * np.eye(V)) / (V + shift)
    return lambda seq: table[len(seq) % V]


declare(DC.speculative_step, target=Func(lambda dims: _next_token(dims, 1.0), uses=("V",)),
        draft=Func(lambda dims: _next_token(dims, 3.0), uses=("V",)),
        context=IntArray(("c",), draw=(0, 3), empty_ok=True), gamma=Int(1, None, draw=(1, 4)), rng=Rng(),
        dims={"c": (0, 4)})
declare(DC.step_outcomes, target_table=Stochastic(("V", "V")), draft_table=Stochastic(("V", "V")),
        last=Int(0, lambda dims: dims["V"] - 1), gamma=Int(1, None, draw=(1, 2)), dims={"V": (1, 4)})
declare(DC.bigram_tables, tokens=Labels(("T",), "V"), vocabulary_size=Int(1, None, draw=("V", "V")),
        smoothing=Real(0.0, None, draw=(0.01, 3.0)), dims={"T": (2, 6)},
        relations=[("tokens", "a single token", lambda a: np.array([0])),
                   ("vocabulary_size", "not above the largest token", lambda a: int(np.max(a["tokens"])))])

# == detection =================================================================================================
declare(DT.box_iou, a=Boxes("n", empty_ok=True), b=Boxes("m", empty_ok=True))
declare(DT.pixel_iou, a=IntBoxes("n"), b=IntBoxes("m"), size=Int(1, None, draw=("L", lambda d: d["L"] + 2)),
        dims={"L": (1, 6)},
        relations=[("size", "below the largest coordinate",
                    lambda a: int(max(np.max(a["a"]), np.max(a["b"]))) - 1)])
declare(DT.encode_boxes, boxes=Boxes("n", empty_ok=True), grid_size=Int(1, None, draw=(1, 7)),
        image_size=Positive(draw=(8.0, 20.0)),
        relations=[("image_size", "not above every centre",
                    lambda a: float(np.max((a["boxes"][:, :2] + a["boxes"][:, 2:]) / 2)))])


def _grid(dims):
    return DT.encode_boxes(np.array([[10.0, 20.0, 30.0, 50.0], [60.0, 5.0, 90.0, 45.0]]), 7, 100.0)


declare(DT.decode_boxes, grid=Fixed(_grid, wrong=[("None", None), ("an array of boxes", np.zeros((2, 4)))]),
        grid_size=Int(1, None, draw=(1, 7)), image_size=Positive())
SCORED = dict(boxes=Boxes("n", empty_ok=True), scores=Array(("n",), empty_ok=True), iou_threshold=Real(0.0, 1.0),
              score_threshold=Real())
declare(DT.nms, **SCORED)
declare(DT.nms_loop, **SCORED)
declare(DT.yolo_output_size, grid_size=Int(1, None, draw=(1, 7)), n_boxes=Int(1, None, draw=(1, 3)),
        n_classes=Int(1, None, draw=(1, 20)))


def _yolo_size(dims):
    return dims["S"] ** 2 * (5 * dims["B"] + dims["C"])


YOLO_DIMS = {"S": (1, 3), "B": (1, 2), "C": (1, 3)}
YOLO_SETTINGS = dict(grid_size=Int(1, None, draw=("S", "S")), n_boxes=Int(1, None, draw=("B", "B")),
                     n_classes=Int(1, None, draw=("C", "C")))
# flat or (S, S, 5B + C): any shape holding the right number of values
YOLO_OUT = Array((_yolo_size,), draw=(0.0, 1.0), any_shape=True)
declare(DT.split_output, output=YOLO_OUT, **YOLO_SETTINGS, dims=YOLO_DIMS,
        relations=[("output", "one value too many", lambda a: np.zeros(np.size(a["output"]) + 1))])


def _diagonal_boxes(dims):
    """One true box per diagonal cell of the S x S grid over a 100 x 100 image."""
    cell = 100.0 / dims["S"]
    c = (np.arange(dims["S"]) + 0.5) * cell
    half = 0.4 * cell
    return np.column_stack([c - half, c - half, c + half, c + half])


def _two_in_a_cell(dims):
    b = _diagonal_boxes(dims)
    return np.vstack([b, b[:1]])


declare(DT.yolo_v1_loss, output=YOLO_OUT,
        boxes=Fixed(_diagonal_boxes, uses=("S",),
                    wrong=[("None", None), ("a string", "seven"), ("a NaN entry", np.full((1, 4), np.nan)),
                           ("three columns", np.ones((1, 3))), ("x2 < x1", np.array([[50.0, 1.0, 40.0, 2.0]])),
                           ("a centre outside the image", np.array([[150.0, 150.0, 160.0, 160.0]]))]),
        labels=Labels(("S",), "C"), image_size=Fixed(lambda dims: 100.0, wrong=[
            ("None", None), ("a string", "seven"), ("NaN", np.nan), ("zero", 0.0), ("negative", -1.0),
            ("infinity", np.inf)]),
        lambda_coord=Real(0.0, None, draw=(0.0, 10.0)), lambda_noobj=Real(0.0, None, draw=(0.0, 10.0)),
        **YOLO_SETTINGS, dims=YOLO_DIMS,
        relations=[("output", "a negative predicted width", lambda a: np.r_[0.5, 0.5, -1.0, np.ravel(a["output"])[3:]]),
                   ("boxes", "two centres in one cell", lambda a: _two_in_a_cell({"S": len(a["labels"])}))])
declare(DT.detection_scene, n_objects=Int(1, None, draw=(1, 4)), per_object=Int(1, None, draw=(1, 4)),
        n_false=Int(0, None, draw=(0, 3)), image_size=Positive(draw=(1.0, 200.0)),
        jitter=Real(0.0, None, draw=(0, 0.5)), rng=Rng())

# == dimensionality ============================================================================================
# dimensions and sizes: an int, or an array of them (broadcasting: any shape); a callable shape keeps a scalar
# and an array of any length compatible
N_ARR = {"n": (1, 4)}
DIMS_ = Either(Int(1, None, draw=(1, 30)), IntArray((n_of,), 1, None, draw=(1, 30), any_shape=True))
declare(DM.ball_volume, d=DIMS_, r=Either(Positive(), Array((n_of,), low=0.0, low_open=True, any_shape=True)),
        log=Flag(), dims=N_ARR)
declare(DM.ball_cube_ratio, d=DIMS_, log=Flag(), dims=N_ARR)
declare(DM.shell_fraction, d=DIMS_, eps=Either(Real(0.0, 0.5), Array((n_of,), low=0.0, high=0.5, any_shape=True)),
        shape=Choice(("cube", "ball")),
        relations=[("eps", "above the shape's range", lambda a: 0.75 if a["shape"] == "cube" else 1.5)], dims=N_ARR)
declare(DM.edge_length, fraction=Either(Real(0.0, 1.0, low_open=True),
                                        Array((n_of,), low=0.0, high=1.0, low_open=True, any_shape=True)), d=DIMS_,
        dims=N_ARR)
declare(DM.median_nn_distance, n=Either(Int(1, None, draw=(1, 1000)), IntArray((n_of,), 1, None, draw=(1, 1000),
                                                                             any_shape=True)), d=DIMS_, dims=N_ARR)
declare(DM.sample_ball, n=Int(1, None, draw=(1, 6)), d=Int(1, None, draw=(1, 6)), rng=Rng())
declare(DM.isometric_embedding, X=Array(("n", "p")),
        d=Int(lambda dims: dims["p"], None, draw=("p", lambda dims: dims["p"] + 3)), rng=Rng())
declare(DM.pairwise_distances, X=Array(("n", "d")), dims={"n": (2, 5)}, relations=[single_row("X")])
declare(DM.distance_summary, X=Gaussian(("n", "d")), dims={"n": (2, 5)},
        relations=[single_row("X"), ("X", "two identical rows", lambda a: np.vstack([a["X"][:1], a["X"][:1]]))])

# == embedding =================================================================================================
N2 = {"n": (2, 5)}
PERPLEXITY = Real(1.0, n_of, high_open=True)        # 1 <= perplexity < n
declare(EM.squared_euclidean, X=Array(("n", "d")))
declare(EM.conditional_probabilities, D2=SqDistances("n"), perplexity=PERPLEXITY, tol=Positive(draw=(1e-6, 1.0)),
        max_steps=Int(1, None, draw=(1, 50)), dims=N2,
        relations=[("D2", "a single point", lambda a: np.zeros((1, 1)))])
declare(EM.joint_probabilities, X=Array(("n", "d")), perplexity=PERPLEXITY, dims=N2, relations=[single_row("X")])
declare(EM.student_t_affinities, Y=Array(("n", "k")), dims=N2, relations=[single_row("Y")])
declare(EM.kl_divergence, P=Affinities("n"), Y=Array(("n", "k")), dims=N2)
declare(EM.kl_gradient, P=Affinities("n"), Y=Array(("n", "k")), dims=N2)
MOMENTUM = Fixed(lambda dims: (0.5, 0.8), wrong=[("None", None), ("a number", 0.5), ("one value", (0.5,)),
                                                ("three values", (0.5, 0.8, 0.9)), ("a NaN", (np.nan, 0.8)),
                                                ("one", (0.5, 1.0)), ("negative", (-0.1, 0.8))])
declare(EM.tsne_optimize, P=Affinities("n", normalised=True), Y0=Array(("n", "k")), n_iter=Int(0, None, draw=(0, 5)),
        learning_rate=Positive(draw=(1.0, 200.0)), early_exaggeration=Real(1.0, None, draw=(1.0, 12.0)),
        exaggeration_iter=Int(0, None, draw=(0, 5)), momentum=MOMENTUM, min_gain=Positive(draw=(1e-3, 1.0)),
        record_every=Int(0, None, draw=(0, 3)), dims=N2)


def _cloud(dims, n=6):
    return np.random.default_rng(dims.get("d", 2)).normal(size=(n, dims.get("d", 2)))


TSNE_SETTINGS = dict(n_components=Int(1, None, draw=(1, 3)), perplexity=Real(1.0, None, draw=(1.0, 5.0)),
                     n_iter=Int(0, None, draw=(0, 5)), learning_rate=Either(Positive(), Choice(("auto",))),
                     early_exaggeration=Real(1.0, None, draw=(1.0, 12.0)), exaggeration_iter=Int(0, None, draw=(0, 5)),
                     rng=Rng(), record_every=Int(0, None, draw=(0, 3)))
declare(EM.TSNE, **TSNE_SETTINGS, then=lambda model, dims: model.fit(_cloud(dims)))


def _small_tsne(dims):
    return EM.TSNE(perplexity=1.5, n_iter=3, exaggeration_iter=1)


for _method in ("fit", "fit_transform"):
    declare_method(EM.TSNE, _method, make=_small_tsne, X=Array(("n", "d")), init=Optional(Array((n_of, 2))),
                   dims=N2, relations=[single_row("X"),
                                       ("init", "one row too many", lambda a: np.zeros((rows(a, "X") + 1, 2)))])

# == feature_selection =========================================================================================
XF = Array(("n", "p"))
N3 = {"n": (3, 6)}
TWO_CLASSES_OR_MORE = Labels(("n",), n_classes=(2, None), names=True)
declare(FS.variance_threshold, X=XF, threshold=Real(0.0), dims=N3, relations=[single_row("X")])
declare(FS.pearson_scores, X=XF, y=Array(("n",)), dims=N3, relations=[single_row("X")])
declare(FS.drop_correlated, X=XF, threshold=Real(0.0, 1.0), dims=N3, relations=[single_row("X")])
# NaN where a feature's total is zero (chi2) / infinite where a feature is constant within every class (F)
declare(FS.chi2_scores, X=Array(("n", "p"), low=0.0), y=TWO_CLASSES_OR_MORE, dims=N3, finite=False)
declare(FS.anova_f, X=XF, y=Labels(("n",), n_classes=(2, lambda dims: dims["n"] - 1), names=True), dims=N3,
        finite=False)
declare(FS.mutual_info_discrete, X=Array(("n", "p"), integer=True, draw=(0, 3)), y=Labels(("n",), names=True),
        dims=N3)
# NaN scores are valid (they count as the smallest)
declare(FS.top_k_mask, scores=Array(("p",), finite=False), k=Int(0, lambda dims: dims["p"]))


def _classes(n):
    return np.arange(n) % 2


declare(FS.SelectKBest, score_func=Func(lambda dims: FS.anova_f), k=Int(0, 3),
        then=lambda sel, dims: sel.fit(_cloud({"d": 3}), _classes(6)))
declare_method(FS.SelectKBest, "fit", make=lambda dims: FS.SelectKBest(FS.anova_f, k=1), X=XF,
               y=Labels(("n",), n_classes=(2, lambda dims: dims["n"] - 1), names=True), dims=N3)
declare_method(FS.SelectKBest, "transform", make=lambda dims: FS.SelectKBest(FS.anova_f, k=1).fit(
    _cloud({"d": dims["p"]}), _classes(6)), uses=("p",), X=Array(("m", "p")))


class _NearestCentroid:
    """A tiny classifier for the wrapper methods: predict the class of the nearest class mean."""

    def fit(self, X, y):
        X = np.asarray(X, dtype=float).reshape(len(X), -1)
        self.classes_ = np.unique(y)
        self.means_ = np.array([X[y == c].mean(axis=0) for c in self.classes_])
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=float).reshape(len(X), -1)
        return self.classes_[np.argmin(((X[:, None, :] - self.means_[None]) ** 2).sum(-1), axis=1)]


class _LeastSquares:
    """A tiny regressor with ``coef_`` for :func:`rfe`."""

    def fit(self, X, y):
        self.coef_ = np.linalg.lstsq(np.asarray(X, dtype=float), np.asarray(y, dtype=float), rcond=None)[0]
        return self

    def predict(self, X):
        return np.asarray(X, dtype=float) @ self.coef_


def _folds(dims):
    """Two folds: the even rows and the odd rows, each held out once (every class in every training part when the
    labels alternate)."""
    idx = np.arange(dims["n"])
    return [(idx[idx % 2 == 1], idx[idx % 2 == 0]), (idx[idx % 2 == 0], idx[idx % 2 == 1])]


NOT_AN_ESTIMATOR = [("None", None), ("a number", 3.0), ("an object without fit", object())]
declare(FS.forward_selection, estimator=Fixed(lambda dims: _NearestCentroid(), wrong=NOT_AN_ESTIMATOR), X=XF,
        y=Fixed(lambda dims: _classes(dims["n"]), uses=("n",),
                wrong=[("None", None), ("a string", "seven"), ("one label too many", np.zeros(7, dtype=int))]),
        n_features=Int(1, lambda dims: dims["p"]), folds=Fixed(_folds, uses=("n",), wrong=[
            ("None", None), ("a number", 3.0), ("no folds", []), ("a fold that is not a pair", [(np.arange(2),)]),
            ("an index past the rows", [(np.array([0, 1]), np.array([99]))])]),
        dims={"n": (4, 6), "p": (1, 3)})
# y goes to the estimator unread (labels or targets): only its shape is rfe's to check
declare(FS.rfe, estimator=Fixed(lambda dims: _LeastSquares(), wrong=NOT_AN_ESTIMATOR), X=XF,
        y=Fixed(lambda dims: np.arange(dims["n"], dtype=float), uses=("n",),
                wrong=[("None", None), ("a string", "seven"), ("one axis too many", np.zeros((3, 1))),
                       ("one entry too many", np.zeros(7))]),
        n_features_to_select=Int(1, lambda dims: dims["p"]), step=Int(1, None, draw=(1, 3)), dims=N3)
declare(FS.lasso_entry_order, X=Gaussian(("n", "p")), y=Gaussian(("n",)), n_alphas=Int(2, None, draw=(2, 10)),
        eps=Real(0.0, 1.0, low_open=True, high_open=True, draw=(0.01, 0.5)), dims=N3, relations=[single_row("X")])

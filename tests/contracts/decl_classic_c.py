"""Declarations: ``algorithms.retrieval``, ``svm``, ``synthesis``, ``trees.boosting``, ``trees.ensemble``,
``trees.tree`` and ``uncertainty``."""

from __future__ import annotations

import numpy as np

from mlsheet_utils.algorithms import kernels as KE
from mlsheet_utils.algorithms import retrieval as RT
from mlsheet_utils.algorithms import svm as SV
from mlsheet_utils.algorithms import synthesis as SY
from mlsheet_utils.algorithms import uncertainty as UQ
from mlsheet_utils.algorithms.trees import boosting as BO
from mlsheet_utils.algorithms.trees import ensemble as EN
from mlsheet_utils.algorithms.trees import tree as TR
from tests.contracts.kinds import (
    SPD,
    Array,
    Choice,
    Either,
    Fixed,
    Flag,
    Func,
    Gaussian,
    Int,
    IntArray,
    IntList,
    ItemSets,
    Labels,
    MaxFeatures,
    Optional,
    Positive,
    ProbVector,
    Real,
    Rng,
    Sentence,
    Signs,
    SPDStack,
    Symmetric,
    Texts,
    TwoLabels,
    WithMissing,
)
from tests.contracts.registry import declare, declare_method

COVERS = tuple(f"mlsheet_utils.algorithms.{m}" for m in (
    "retrieval", "svm", "synthesis", "trees.boosting", "trees.ensemble", "trees.tree", "uncertainty"))

RECORDS = (RT.Chunks, RT.RankingMetrics, RT.Answer, RT.RagMarginal, SV.SMOResult, SY.KDESample, SY.GMMSample,
           SY.GaussianCopula, SY.CopulaSample, BO.LossTerms, BO.NewtonTree, BO.LevelSplits, EN.AdaBoostResult,
           TR.Split, TR.Tree, TR.PruningPath, UQ.EnsemblePrediction, UQ.ConformalInterval, UQ.Coverage,
           UQ.TemperatureFit)

FLAG = Choice((True, False))                     # a documented bool: None and a string are wrong
X = Array(("n", "d"))
XM = Array(("m", "d"))                           # a query with the receiver's d columns
NONNEG = Real(0.0, None, draw=(0.0, 3.0))
DEPTH = Int(0, None, draw=(0, 3))
LEAF = Int(1, None, draw=(1, 3))
NOT_OBJECTS = [("None", None), ("a number", 3.0), ("a string", "seven")]


def cols(dims) -> int:
    return dims["d"]


def _data(dims, n: int = 8, seed: int = 0) -> np.ndarray:
    """``n`` rows of ``dims["d"]`` distinct standard normal features (a fixed seed)."""
    return np.random.default_rng(seed).standard_normal((n, dims.get("d", 2)))


def _labels(Xd: np.ndarray, k: int = 2) -> np.ndarray:
    """Class indices 0..k-1 of the rows of ``Xd``, read from the last column (so every tree splits on it)."""
    return np.argsort(np.argsort(Xd[:, -1])) * k // Xd.shape[0]


# == retrieval =================================================================================================
declare(RT.tokenize, text=Sentence(empty_ok=True))
declare(RT.chunk_words, text=Sentence(empty_ok=True), size=Int(1, None, draw=(1, 5)), overlap=Int(0, None, draw=(0, 3)),
        where=lambda a: a["overlap"] < a["size"], relations=[("overlap", "equal to size", lambda a: a["size"])])
declare(RT.ranking_metrics, ranked=IntArray(("q", "depth"), draw=(0, 6)), relevant=ItemSets("q"),
        ks=IntList(1, lambda dims: dims["depth"]))
declare(RT.extractive_answer, question=Sentence(), passages=Texts("P"),
        retrieved=IntList(0, lambda dims: dims["P"] - 1),
        relations=[("passages", "fewer than the retrieved indices need",
                    lambda a: a["passages"][:max(a["retrieved"])])])
declare(RT.rag_marginal, scores=Array(("k",)), log_gen=Array(("k",), high=0.0), temperature=Positive())

declare(RT.TfidfRetriever, sublinear_tf=FLAG)
declare_method(RT.TfidfRetriever, "fit", make=lambda dims: RT.TfidfRetriever(), docs=Texts("D", tokens=True))


def _retriever(dims) -> RT.TfidfRetriever:
    docs = [" ".join(RT_WORDS[(i + j) % len(RT_WORDS)] for j in range(3)) for i in range(dims["D"])]
    return RT.TfidfRetriever().fit(docs)


RT_WORDS = ("the", "cat", "sat", "on", "mat", "dog", "ran", "far")
declare_method(RT.TfidfRetriever, "transform", make=_retriever, uses=("D",), texts=Texts("m"))
declare_method(RT.TfidfRetriever, "search", make=_retriever, uses=("D",), queries=Texts("m"),
               k=Int(1, lambda dims: dims["D"]))

# == svm =======================================================================================================
MAX_ITER = Int(1, None, draw=(1, 50))
TOL = Positive(draw=(1e-4, 1e-2))
C = Positive(draw=(0.1, 10.0))
declare(SV.smo, K=Symmetric("n", gram=True), y=Signs("n"), C=C, tol=TOL, max_iter=MAX_ITER, dims={"n": (2, 6)})
declare(SV.dual_objective, alpha=Array(("n",)), K=Array(("n", "n")), y=Signs("n", both=False))
declare(SV.hinge_loss, y=Signs("n", both=False), scores=Array(("n",)))
declare(SV.primal_objective, alpha=Array(("n",)), intercept=Real(), K=Array(("n", "n")), y=Signs("n", both=False),
        C=C)


def _svm_data(dims):
    Xd = _data(dims, 8)
    return Xd, np.where(_labels(Xd) > 0, "b", "a")


SVC_ARGS = dict(C=C, kernel=Choice(KE.KERNELS), gamma=Positive(draw=(0.1, 3.0)), degree=Int(1, None, draw=(1, 3)),
                coef0=Real(), tol=TOL, max_iter=MAX_ITER)
declare(SV.SoftMarginSVC, **SVC_ARGS, then=lambda svc, dims: svc.fit(*_svm_data(dims)), dims={"d": (1, 3)})
declare_method(SV.SoftMarginSVC, "fit", make=lambda dims: SV.SoftMarginSVC(max_iter=50), X=X,
               y=TwoLabels("n", names=True), dims={"n": (2, 6)})
FITTED_SVC = dict(make=lambda dims: SV.SoftMarginSVC(max_iter=200).fit(*_svm_data(dims)), uses=("d",))
declare_method(SV.SoftMarginSVC, "decision_function", **FITTED_SVC, X=XM)
declare_method(SV.SoftMarginSVC, "predict", **FITTED_SVC, X=XM)

# == synthesis =================================================================================================
# bandwidth: a number >= 0 or a (d, d) SPD matrix; its d is read through a callable so that data's own
# disagreement on d is generated (and the scalar case does not make it valid); a wrong-size matrix is a relation
BANDWIDTH = Either(Real(0.0, None, draw=(0.0, 3.0)), SPD(lambda dims: dims["d"]))
declare(SY.kde_sample, data=X, bandwidth=BANDWIDTH, n=Int(0, None, draw=(0, 5)), rng=Rng(),
        relations=[("bandwidth", "a (d + 1, d + 1) matrix", lambda a: np.eye(np.shape(a["data"])[1] + 1))])
declare(SY.gmm_sample, weights=ProbVector("k"), means=Array(("k", "d")), covariances=SPDStack("k", "d"),
        n=Int(0, None, draw=(0, 5)), rng=Rng(),
        relations=[("weights", "one component too many", lambda a: np.full(len(a["weights"]) + 1,
                                                                           1.0 / (len(a["weights"]) + 1)))])
ROWS2 = {"n": (2, 6), "m": (2, 6)}
declare(SY.fit_gaussian_copula, X=X, dims=ROWS2, relations=[("X", "a single row", lambda a: a["X"][:1])])


def _copula(dims):
    return SY.fit_gaussian_copula(_data(dims, 6))


declare(SY.copula_sample, model=Fixed(_copula, wrong=NOT_OBJECTS + [("a dict", {"columns": 1})], uses=("d",)),
        n=Int(0, None, draw=(0, 5)), rng=Rng())
declare(SY.mmd2, X=Array(("m", "d")), Y=Array(("n", "d")), gamma=Positive(), dims=ROWS2,
        relations=[("X", "a single row", lambda a: a["X"][:1]), ("Y", "a single row", lambda a: a["Y"][:1])])

# == trees.boosting ============================================================================================
VEC = dict(any_shape=True, empty_ok=True)        # vectorised: any shape (empty too), the same for every array
declare(BO.squared_error, y=Array(("n",)), margin=Array(("n",)))                 # documented as shape (n,)
declare(BO.logistic_loss, y=Array(("n",), low=0.0, high=1.0, integer=True), margin=Array(("n",)),
        relations=[("y", "a label 0.5", lambda a: np.full(np.shape(a["y"]), 0.5))])
GH = dict(G=Array(("n",), **VEC), H=Array(("n",), low=0.0, **VEC), reg_lambda=Real(0.0, None, draw=(0.1, 3.0)))
# H + reg_lambda must be positive (H = 0 with reg_lambda = 0 is a 0/0 leaf): valid draws keep reg_lambda >= 0.1
declare(BO.leaf_weight, **GH)
declare(BO.leaf_objective, **GH)
declare(BO.split_gain, G_left=Array(("n",), **VEC), H_left=Array(("n",), low=0.0, **VEC),
        G_right=Array(("n",), **VEC), H_right=Array(("n",), low=0.0, **VEC),
        reg_lambda=Real(0.0, None, draw=(0.1, 3.0)), gamma=NONNEG)
TREE_PARAMS = dict(max_depth=Int(1, None, draw=(1, 3)), learning_rate=Positive(draw=(0.05, 1.0)), reg_lambda=NONNEG,
                   gamma=NONNEG, min_child_weight=NONNEG)
MISSING_X = WithMissing(("n", "d"))
# NaN thresholds at the leaves are documented
declare(BO.grow_tree, X=MISSING_X, grad=Array(("n",)), hess=Array(("n",), low=0.0), **TREE_PARAMS, finite=False)


def _newton_tree(dims) -> BO.NewtonTree:
    Xd = _data(dims, 8)
    Xd[:, :-1] = 0.0                                 # constant columns: the tree splits on the last one only
    return BO.grow_tree(Xd, -np.where(Xd[:, -1] > 0, 1.0, -1.0), np.ones(8), max_depth=2, min_child_weight=0.0)


declare(BO.predict_tree, tree=Fixed(_newton_tree, wrong=NOT_OBJECTS, uses=("d",)),
        X=WithMissing(("m", cols)),
        relations=[("X", "too few columns for the tree", lambda a: np.zeros((2, np.shape(a["X"])[1] - 1)))])


def _boost_data(dims):
    Xd = _data(dims, 8)
    return Xd, _labels(Xd).astype(float)


declare(BO.BoostedTrees, objective=Choice(BO.OBJECTIVES), n_estimators=Int(0, None, draw=(0, 3)), **TREE_PARAMS,
        base_score=Optional(Real(draw=(0.1, 0.9))),
        relations=[("base_score", "0 for the logistic objective (NaN otherwise)",
                    lambda a: 0.0 if a["objective"] == "logistic" else float("nan"))],
        then=lambda bt, dims: bt.fit(*_boost_data(dims)), dims={"d": (1, 3)})
declare_method(BO.BoostedTrees, "fit", make=lambda dims: BO.BoostedTrees(n_estimators=2, max_depth=2),
               X=MISSING_X, y=Array(("n",)))
FITTED_BT = dict(make=lambda dims: BO.BoostedTrees(n_estimators=3, max_depth=2).fit(*_boost_data(dims)), uses=("d",))
LOGISTIC_BT = dict(make=lambda dims: BO.BoostedTrees("logistic", n_estimators=3, max_depth=2).fit(*_boost_data(dims)),
                   uses=("d",))
MISSING_XM = WithMissing(("m", "d"))
declare_method(BO.BoostedTrees, "staged_decision_function", **FITTED_BT, X=MISSING_XM)
declare_method(BO.BoostedTrees, "decision_function", **FITTED_BT, X=MISSING_XM)
declare_method(BO.BoostedTrees, "predict", **FITTED_BT, X=MISSING_XM)
declare_method(BO.BoostedTrees, "predict_proba", **LOGISTIC_BT, X=MISSING_XM)

# == trees.tree ================================================================================================
PROPORTIONS = ProbVector("K", any_shape=True)    # (..., K): any leading axes
declare(TR.gini, p=PROPORTIONS)
declare(TR.entropy, p=PROPORTIONS)
CRITERION = Choice(TR.CLASSIFICATION + TR.REGRESSION)
# targets: class indices for gini/entropy, reals for squared_error; what is wrong for the classification
# criteria only (a negative or fractional index) is a relation (NaN, wrong for every criterion, otherwise)
TARGETS = Array(("n",), integer=True, draw=(0, 2))


def _class_only(arg, label, value):
    def make(a):
        wrong = np.array(a[arg], dtype=float)
        wrong[0] = value if a["criterion"] in TR.CLASSIFICATION else np.nan
        return wrong
    return (arg, f"{label} for a classification criterion (NaN otherwise)", make)


CLASS_ONLY = [_class_only("y", "a negative index", -1.0), _class_only("y", "a fractional index", 0.5)]
declare(TR.node_statistics, y=TARGETS, sample_weight=Array(("n",), low=0.0), criterion=CRITERION,
        n_classes=Int(0, None, draw=(3, 4)),
        relations=CLASS_ONLY + [("n_classes", "max(y) (too few classes; -1 for regression)",
                                 lambda a: int(np.max(a["y"])) if a["criterion"] in TR.CLASSIFICATION else -1)])


# S: summed statistics of nodes of positive weight, (..., 3) for squared_error (W > 0 first)
declare(TR.weighted_impurity, S=Array(("r", 3), low=0.0, draw=(0.1, 5.0), any_shape=True), criterion=CRITERION,
        relations=[("S", "a node of weight 0", lambda a: np.zeros(np.shape(a["S"]))),
                   ("S", "two statistics for squared_error (NaN otherwise)",
                    lambda a: np.ones((2, 2)) if a["criterion"] in TR.REGRESSION else np.full((2, 3), np.nan))])
declare(TR.best_split, X=X, stats=Array(("n", "s")), loss=Func(lambda dims: lambda S: (S * S).sum(axis=-1)),
        min_samples_leaf=LEAF, features=Optional(IntArray(("f",), 0, lambda dims: dims["d"] - 1)),
        finite=False)                                     # margin is inf when there was one candidate (documented)
GROW = dict(criterion=CRITERION, max_depth=Optional(DEPTH), min_samples_split=Int(2, None, draw=(2, 4)),
            min_samples_leaf=LEAF, min_impurity_decrease=Real(0.0, None, draw=(0.0, 0.2)),
            max_features=MaxFeatures(cols), rng=Rng())
declare(TR.grow_tree, X=X, y=TARGETS, **GROW, sample_weight=Optional(Array(("n",), low=0.0, draw=(0.5, 2.0))),
        n_classes=Optional(Int(1, None, draw=(3, 4))),
        relations=CLASS_ONLY + [("sample_weight", "all zero", lambda a: np.zeros(len(a["y"]))),
                                ("n_classes", "max(y) (too few classes; 0 for regression)",
                                 lambda a: int(np.max(a["y"])) if a["criterion"] in TR.CLASSIFICATION else 0)],
        finite=False)                                     # the margin of a leaf is inf (documented)


def _tree(dims) -> TR.Tree:
    Xd = _data(dims, 8)
    return TR.grow_tree(Xd, _labels(Xd, 3))


TREE = Fixed(_tree, wrong=NOT_OBJECTS, uses=("d",))
declare(TR.apply_tree, tree=TREE, X=XM, max_depth=Optional(DEPTH))
declare(TR.tree_predict, tree=TREE, X=XM, max_depth=Optional(DEPTH))
declare(TR.pruning_path, tree=TREE)
declare(TR.prune, tree=TREE, ccp_alpha=Real(0.0, None, draw=(0.0, 0.3)), finite=False)   # leaves' margins: inf


def _tree_data(dims, k=2):
    Xd = _data(dims, 8)
    return Xd, _labels(Xd, k)


EST = dict(max_depth=Optional(DEPTH), min_samples_split=Int(2, None, draw=(2, 4)), min_samples_leaf=LEAF,
           min_impurity_decrease=Real(0.0, None, draw=(0.0, 0.2)), max_features=MaxFeatures(cols),
           ccp_alpha=Real(0.0, None, draw=(0.0, 0.3)), rng=Rng(), dims={"d": (1, 3)})
declare(TR.DecisionTreeClassifier, criterion=Choice(TR.CLASSIFICATION), **EST,
        then=lambda t, dims: t.fit(*_tree_data(dims)))
declare(TR.DecisionTreeRegressor, criterion=Choice(TR.REGRESSION), **EST,
        then=lambda t, dims: t.fit(_data(dims), _data(dims)[:, 0]))
WEIGHTS = Optional(Array(("n",), low=0.0, draw=(0.5, 2.0)))
declare_method(TR.DecisionTreeClassifier, "fit", make=lambda dims: TR.DecisionTreeClassifier(max_depth=3), X=X,
               y=Labels(("n",), names=True, draw=(0, 2)), sample_weight=WEIGHTS)
declare_method(TR.DecisionTreeRegressor, "fit", make=lambda dims: TR.DecisionTreeRegressor(max_depth=3), X=X,
               y=Array(("n",)), sample_weight=WEIGHTS)
FITTED_CLF = dict(make=lambda dims: TR.DecisionTreeClassifier().fit(*_tree_data(dims, 3)), uses=("d",))
declare_method(TR.DecisionTreeClassifier, "predict_proba", **FITTED_CLF, X=XM)
declare_method(TR.DecisionTreeClassifier, "predict", **FITTED_CLF, X=XM)
declare_method(TR.DecisionTreeRegressor, "predict", make=lambda dims: TR.DecisionTreeRegressor().fit(
    _data(dims), _data(dims)[:, -1]), uses=("d",), X=XM)

# == trees.ensemble ============================================================================================
declare(EN.bootstrap_samples, n_samples=Int(1, None, draw=(1, 6)), n_estimators=Int(1, None, draw=(1, 4)), rng=Rng())
CLASS_INDICES = IntArray(("n",), 0, draw=(0, 2))
SAMPLES = IntArray(("B", "s"), 0, lambda dims: dims["n"] - 1)
declare(EN.fit_trees, X=X, y=CLASS_INDICES, samples=SAMPLES, n_classes=Optional(Int(1, None, draw=(3, 4))),
        max_features=MaxFeatures(cols), criterion=Choice(TR.CLASSIFICATION), max_depth=Optional(DEPTH),
        min_samples_leaf=LEAF, rng=Rng(), dims={"B": (1, 3)},
        relations=[("n_classes", "max(y) (too few classes)", lambda a: int(np.max(a["y"])))],
        finite=False)                                     # the trees' leaves have margin inf (documented)


def _trees(dims) -> tuple:
    Xd = _data(dims, 8)
    return EN.fit_trees(Xd, _labels(Xd, 3), EN.bootstrap_samples(8, dims["B"], rng=0), max_depth=2)


TREES = Fixed(_trees, uses=("d", "B"), wrong=NOT_OBJECTS + [("an empty list", []), ("a list holding a number", [3.0])])
declare(EN.forest_proba, trees=TREES, X=XM, staged=Flag(), dims={"B": (1, 3)})
declare(EN.oob_proba, trees=TREES, samples=IntArray(("B", "s"), 0, lambda dims: dims["m"] - 1), X=XM,
        dims={"B": (1, 3)}, finite=False)                 # NaN for a row in every sample (documented)
declare(EN.adaboost_samme, X=Gaussian(("n", "d")), y=CLASS_INDICES, n_estimators=Int(1, None, draw=(1, 4)),
        max_depth=Int(1, None, draw=(1, 2)), learning_rate=Positive(draw=(0.1, 2.0)),
        n_classes=Optional(Int(2, None, draw=(3, 4))),
        relations=[("n_classes", "max(y) (too few classes)", lambda a: max(int(np.max(a["y"])), 1))],
        finite=False)                                     # the trees' leaves have margin inf (documented)


def _boosted(dims) -> EN.AdaBoostResult:
    Xd = _data(dims, 8)
    return EN.adaboost_samme(Xd, _labels(Xd, 3), 3, max_depth=2)


declare(EN.samme_scores, result=Fixed(_boosted, wrong=NOT_OBJECTS, uses=("d",)), X=XM, staged=Flag())

BAG = dict(criterion=Choice(TR.CLASSIFICATION), max_depth=Optional(DEPTH), min_samples_leaf=LEAF, rng=Rng(),
           dims={"d": (1, 3)}, then=lambda est, dims: est.fit(*_tree_data(dims)))
declare(EN.BaggingClassifier, n_estimators=Int(1, None, draw=(1, 3)), **BAG)
declare(EN.RandomForestClassifier, n_estimators=Int(1, None, draw=(1, 3)), max_features=MaxFeatures(cols), **BAG)
declare(EN.AdaBoostClassifier, n_estimators=Int(1, None, draw=(1, 3)), max_depth=Int(1, None, draw=(1, 2)),
        learning_rate=Positive(draw=(0.1, 2.0)), dims={"d": (1, 3)},
        then=lambda est, dims: est.fit(*_tree_data(dims)))
LABELS = Labels(("n",), names=True, draw=(0, 2))
declare_method(EN.BaggingClassifier, "fit", make=lambda dims: EN.BaggingClassifier(3, max_depth=2), X=X, y=LABELS)
declare_method(EN.BaggingClassifier, "predict_proba", make=lambda dims: EN.BaggingClassifier(3, max_depth=2).fit(
    *_tree_data(dims)), uses=("d",), X=XM)
declare_method(EN.AdaBoostClassifier, "fit", make=lambda dims: EN.AdaBoostClassifier(3, max_depth=2),
               X=Gaussian(("n", "d")), y=LABELS)
declare_method(EN.AdaBoostClassifier, "decision_function", make=lambda dims: EN.AdaBoostClassifier(3).fit(
    *_tree_data(dims)), uses=("d",), X=XM)

# == uncertainty ===============================================================================================
UNIT_X = dict(low=-1.0, high=1.0)
declare(UQ.bootstrap_polynomial_ensemble, x=Array(("n",), **UNIT_X), y=Array(("n",)), x_eval=Array(("m",), **UNIT_X),
        degree=Int(0, None, draw=(0, 3)), n_members=Int(2, None, draw=(2, 5)), rng=Rng(), dims={"n": (2, 7)},
        where=lambda a: len(a["x"]) > a["degree"] + 1,
        relations=[("degree", "too high for the points (n - 1)", lambda a: len(a["x"]) - 1)])
LEVEL = Real(0.0, 1.0, low_open=True, high_open=True)
declare(UQ.conformal_quantile, scores=Array(("n",)), level=LEVEL, finite=False)   # inf: too few scores (documented)
SCALE = dict(low=0.0, low_open=True)
declare(UQ.split_conformal, pred_cal=Array(("n",)), y_cal=Array(("n",)), pred_test=Array(("m",)), level=LEVEL,
        scale_cal=Optional(Array(("n",), **SCALE)), scale_test=Optional(Array((lambda dims: dims["m"],), **SCALE)),
        where=lambda a: (a["scale_cal"] is None) == (a["scale_test"] is None),
        relations=[("scale_test", "one entry more than pred_test", lambda a: np.ones(len(a["pred_test"]) + 1))],
        finite=False)                                     # inf half-widths: too few calibration scores (documented)
declare(UQ.interval_coverage, y=Array(("m",)), lower=Array(("m",), allow_inf=True, draw=(-5.0, 0.0)),
        upper=Array(("m",), allow_inf=True, draw=(0.0, 5.0)), level=LEVEL,
        relations=[("lower", "above upper", lambda a: np.asarray(a["upper"]) + 1.0)])


def _temperature_ok(a) -> bool:
    """Logits better than uniform (the NLL falls from beta = 0) that misrank some label (a finite optimum)."""
    Z, y = np.asarray(a["logits"]), np.asarray(a["y"])
    z_true = Z[np.arange(len(y)), y]
    return bool(np.mean(Z.mean(axis=1) - z_true) < -1e-3 and np.any(z_true < Z.max(axis=1) - 1e-3))


declare(UQ.fit_temperature, logits=Array(("n", "K")), y=Labels(("n",), lambda dims: dims["K"]),
        tol=Positive(draw=(1e-10, 1e-4)), max_iter=Int(1, None, draw=(1, 30)), dims={"n": (2, 6), "K": (2, 4)},
        where=_temperature_ok)

# -- methods of the private base classes, which the public estimators inherit (declared where they are defined,
# on a concrete receiver; the registry does not require them)
declare_method(TR._BaseTree, "apply", **FITTED_CLF, X=XM)
declare_method(TR._BaseTree, "get_params", make=lambda dims: TR.DecisionTreeRegressor(max_depth=2))
declare_method(TR._BaseTree, "cost_complexity_pruning_path", make=lambda dims: TR.DecisionTreeClassifier(), X=X,
               y=Labels(("n",), names=True, draw=(0, 2)), sample_weight=WEIGHTS)
declare_method(EN._Classifier, "predict", make=lambda dims: EN.BaggingClassifier(3, max_depth=2).fit(
    *_tree_data(dims)), uses=("d",), X=XM)

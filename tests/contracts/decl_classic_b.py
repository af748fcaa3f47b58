"""Declarations: ``algorithms.gaussian_process``, ``generative_metrics``, ``imbalance``, ``interpret``, ``kernels``,
``model_selection``, ``naive_bayes``, ``neighbors``, ``optim_paths`` and ``regularization``."""

from __future__ import annotations

import numpy as np

from mlsheet_utils.algorithms import gaussian_process as GP
from mlsheet_utils.algorithms import generative_metrics as GM
from mlsheet_utils.algorithms import imbalance as IM
from mlsheet_utils.algorithms import interpret as IN
from mlsheet_utils.algorithms import kernels as KE
from mlsheet_utils.algorithms import model_selection as MS
from mlsheet_utils.algorithms import naive_bayes as NB
from mlsheet_utils.algorithms import neighbors as NE
from mlsheet_utils.algorithms import optim_paths as OP
from mlsheet_utils.algorithms import regularization as RG
from mlsheet_utils.algorithms.nn import layers
from mlsheet_utils.algorithms.nn.optimizers import SGD, AdaGrad, Adam, RMSProp
from mlsheet_utils.algorithms.preprocessing import StandardScaler
from tests.contracts.kinds import (
    SPD,
    Array,
    Choice,
    Either,
    Fixed,
    Func,
    Int,
    IntArray,
    IntList,
    Labels,
    Optional,
    Positive,
    ProbVector,
    Real,
    Rng,
    SortedRows,
    Stochastic,
    TwoLabels,
)
from tests.contracts.registry import declare, declare_method, first_entry

COVERS = tuple(f"mlsheet_utils.algorithms.{m}" for m in (
    "gaussian_process", "generative_metrics", "imbalance", "interpret", "kernels", "model_selection", "naive_bayes",
    "neighbors", "optim_paths", "regularization"))

RECORDS = (GP.GPPosterior, GP.SEFit, GM.FIDCurve, GM.PrecisionRecall, IM.Resampled, IM.SmoteResult, IM.ClassWeights,
           IM.ThresholdChoice, IN.LimeExplanation, MS.CVLearningCurve, MS.GDCurve, MS.EarlyStop, NE.Neighbors,
           NE.TreeNeighbors, OP.OptimizerPath, OP.Landscape, OP.LogisticMinibatchOracle, RG.CDResult,
           RG.RegularizationPath)

FLAG = Choice((True, False))                     # a documented bool: None and a string are wrong
X = Array(("n", "d"))
Y_OPT = Optional(Array(("m", "d")))              # a query that must have d columns (the receiver's)
# an optional second matrix whose columns must match X's: d is not shared (X's disagreement is not wrong when it is
# None); one column too many is a relation
Y_LIKE_X = Optional(Array(("m", lambda dims: dims["d"])))


def wider(arg, like="X"):
    """A relation: ``arg`` with one column more than ``like``."""
    return (arg, f"one column more than {like}", lambda a: np.zeros((2, np.shape(a[like])[1] + 1)))



NONNEG = Real(0.0, None, draw=(0.0, 5.0))
UNIT = Real(0.0, 1.0)
OPEN_UNIT = Real(0.0, 1.0, low_open=True, high_open=True)
MAX_ITER = Int(1, None, draw=(1, 20))
TOL = Positive(draw=(1e-6, 1e-2))
NOT_PAIRS = [("None", None), ("a string", "seven"), ("a number", 3.0), ("an empty list", [])]


def rows(a, name="X"):
    return np.shape(a[name])[0]


# == kernels ===================================================================================================
PAIR = dict(X=X, Y=Y_LIKE_X, relations=[wider("Y")])
declare(KE.linear_kernel, **PAIR)
declare(KE.polynomial_kernel, **PAIR, degree=Int(1, None, draw=(1, 4)), coef0=Real(), gamma=Positive())
declare(KE.rbf_kernel, **PAIR, gamma=Positive())
declare(KE.kernel_matrix, **PAIR, kernel=Choice(KE.KERNELS), gamma=Positive(), degree=Int(1, None, draw=(1, 4)),
        coef0=Real())

# == gaussian_process ==========================================================================================
NOISE = Real(0.0, None, draw=(0.0, 5.0))
declare(GP.log_marginal_likelihood, K=SPD("n"), y=Array(("n",)), noise_variance=NOISE)
declare(GP.gp_posterior, K=SPD("n"), K_cross=Array(("n", "m")), K_test=SPD("m"), y=Array(("n",)),
        noise_variance=NOISE)
declare(GP.sample_gaussian, mean=Array(("m",)), cov=SPD("m"), n_samples=Int(1, None, draw=(1, 3)), rng=Rng(),
        jitter=Real(0.0, None, draw=(0.0, 1e-3)))
declare(GP.squared_exponential, **PAIR, length_scale=Positive(), signal_variance=Positive())
THETA = Array((3,), draw=(-3.0, 3.0))
declare(GP.se_log_marginal_likelihood, X=X, y=Array(("n",)), theta=THETA)
BOUNDS = Fixed(lambda dims: ((-3.0, 3.0),) * 3,
               wrong=[("None", None), ("a string", "seven"), ("two pairs", ((-3.0, 3.0),) * 2),
                      ("low above high", ((3.0, -3.0),) * 3), ("a NaN end", ((float("nan"), 3.0),) * 3)])
declare(GP.fit_se_hyperparameters, X=X, y=Array(("n",)), theta0=THETA, n_restarts=Int(0, None, draw=(0, 1)),
        bounds=BOUNDS, rng=Rng())


def _gp_data(dims):
    rng = np.random.default_rng(dims.get("d", 1))
    Xd = rng.uniform(-2.0, 2.0, (5, dims.get("d", 1)))
    return Xd, np.sin(Xd.sum(axis=1))


declare(GP.GaussianProcessRegressor, length_scale=Positive(), signal_variance=Positive(),
        noise_variance=Positive(draw=(1e-3, 1.0)), optimize=FLAG, n_restarts=Int(0, None, draw=(0, 1)), rng=Rng(),
        then=lambda gp, dims: gp.fit(*_gp_data(dims)))
declare_method(GP.GaussianProcessRegressor, "fit", make=lambda dims: GP.GaussianProcessRegressor(),
               X=X, y=Array(("n",)))
FITTED_GP = dict(make=lambda dims: GP.GaussianProcessRegressor().fit(*_gp_data(dims)), uses=("d",))
declare_method(GP.GaussianProcessRegressor, "predict", **FITTED_GP, X=Array(("m", "d")), return_std=FLAG,
               return_cov=FLAG)
declare_method(GP.GaussianProcessRegressor, "sample_y", **FITTED_GP, X=Array(("m", "d")),
               n_samples=Int(1, None, draw=(1, 3)), rng=Rng())

# == generative_metrics ========================================================================================
declare(GM.frechet_distance, mu1=Array(("d",)), cov1=SPD("d"), mu2=Array(("d",)), cov2=SPD("d"))
TWO_PLUS = {"n": (2, 6), "m": (2, 6)}
declare(GM.fid, X_real=Array(("n", "d")), X_gen=Array(("m", "d")), dims=TWO_PLUS)
declare(GM.fid_by_sample_size, mu1=Array(("d",)), cov1=SPD("d"), mu2=Array(("d",)), cov2=SPD("d"),
        sizes=IntArray(("s",), low=2, draw=(2, 4)), repeats=Int(2, None, draw=(2, 2)), rng=Rng(),
        dims={"s": (1, 2), "d": (1, 3)})
declare(GM.inception_score, probs=Stochastic(("n", "K")), eps=Positive(draw=(1e-12, 1e-6)))
declare(GM.knn_precision_recall, X_real=Array(("n", "d")), X_gen=Array(("m", "d")),
        k=Int(1, lambda dims: min(dims["n"], dims["m"]) - 1), dims=TWO_PLUS)

# == imbalance =================================================================================================


def _counts(a):
    _, counts = np.unique(a["y"], return_counts=True)
    return counts


def _current(a):
    counts = _counts(a)
    return counts.min() / counts.max()


RATIO = Real(0.0, 1.0, low_open=True)
RATIO_OK = dict(where=lambda a: a["ratio"] >= _current(a) - 1e-12,
                relations=[("ratio", "below the current minority/majority ratio", lambda a: _current(a) / 2)])
BIN = dict(X=X, y=TwoLabels("n"), dims={"n": (2, 7)})
declare(IM.random_oversample, **BIN, ratio=RATIO, rng=Rng(), **RATIO_OK)
declare(IM.random_undersample, **BIN, ratio=RATIO, rng=Rng(), **RATIO_OK)
declare(IM.smote, X=X, y=TwoLabels("n"), k=Int(1, None, draw=(1, 1)), ratio=RATIO, rng=Rng(), dims={"n": (4, 8)},
        where=lambda a: a["ratio"] >= _current(a) - 1e-12 and _counts(a).min() >= 2,
        relations=RATIO_OK["relations"] + [("k", "the number of minority points", lambda a: int(_counts(a).min()))])
declare(IM.balanced_class_weights, y=Array(("n",), integer=True, draw=(0, 3)))
declare_method(IM.ClassWeights, "sample_weight", make=lambda dims: IM.balanced_class_weights(np.arange(dims["k"])),
               uses=("k",), y=Labels(("m",), "k"))
declare(IM.cost_threshold, cost_fp=Positive(), cost_fn=Positive())
declare(IM.prior_shift, p=Array(("m",), low=0.0, high=1.0, any_shape=True), train_prior=OPEN_UNIT,
        true_prior=OPEN_UNIT)
declare(IM.min_cost_threshold, y_true=Labels(("n",), 2), scores=Array(("n",)), cost_fp=Positive(),
        cost_fn=Positive(), finite=False)                 # threshold inf: predict nothing positive (documented)
declare(IM.gaussian_classes, n=Int(2, None, draw=(2, 20)), prevalence=OPEN_UNIT, separation=NONNEG,
        dim=Int(1, None, draw=(1, 4)), rng=Rng(),
        where=lambda a: 1 <= round(a["prevalence"] * a["n"]) <= a["n"] - 1,
        relations=[("prevalence", "too small for n: no positive", lambda a: 0.1 / a["n"])])
declare(IM.gaussian_posterior, X=X, prevalence=OPEN_UNIT, separation=NONNEG)

# == interpret =================================================================================================


def _f(dims):
    return lambda Z: np.tanh(Z).sum(axis=1) + Z[:, 0] * Z[:, -1]


def longer(arg, like="x"):
    """A relation: ``arg`` one entry longer (last axis) than ``like``."""
    def make(a):
        shape = np.shape(a[like])
        return np.zeros(shape[:-1] + (shape[-1] + 1,))
    return (arg, f"one entry more than {like}", make)


F = Func(_f)
D_ARRAY = Array((lambda dims: dims["d"],))             # shape (d,) without sharing d (see longer())
declare(IN.shapley_values, f=F, x=Array(("d",)), baseline=Either(Real(), D_ARRAY),
        relations=[("x", "17 features", lambda a: np.zeros(17)), longer("baseline")], dims={"d": (1, 5)})
declare(IN.lime, f=F, x=Array(("d",)), kernel_width=Positive(draw=(0.5, 5.0)), n_samples=Int(2, None, draw=(2, 20)),
        scale=Either(Positive(), Array((lambda dims: dims["d"],), low=0.0, low_open=True)), alpha=NONNEG, rng=Rng(),
        relations=[longer("scale"), first_entry("scale", "a zero entry", 0.0)], dims={"d": (1, 5)})


def _net(dims):
    return layers.Sequential(layers.Linear(dims["d"], 3), layers.Activation("tanh"), layers.Linear(3, dims["k"]))


MODEL = Fixed(_net, uses=("d", "k"), wrong=[("None", None), ("a string", "seven"), ("a function", np.tanh)])
PARAMS = Fixed(lambda dims: _net(dims).init_params(0), uses=("d", "k"),
               wrong=[("None", None), ("a string", "seven"), ("no layers", []), ("a dict", {})])
NET = dict(model=MODEL, params=PARAMS, x=Array(("m", "d")), target=Int(0, lambda dims: dims["k"] - 1))
declare(IN.gradient_saliency, **NET)
MD_ARRAY = Array((lambda dims: dims["m"], lambda dims: dims["d"]))     # shape (m, d) without sharing m, d
declare(IN.integrated_gradients, **NET, baseline=Either(Real(), MD_ARRAY), steps=Int(1, None, draw=(1, 8)),
        relations=[longer("baseline"), ("baseline", "one row more than x", lambda a: np.zeros((len(a["x"]) + 1, 1)))])
declare(IN.smoothgrad, **NET, noise=Real(0.0, None, draw=(0.0, 1.0)), n_samples=Int(1, None, draw=(1, 4)), rng=Rng())
SIDE = {"r": (1, 3), "c": (1, 3)}


def _pixels(dims):
    return dims["r"] * dims["c"]


declare(IN.occlusion, f=F, x=Array((_pixels,)), baseline=Either(Real(), Array((_pixels,))),
        relations=[longer("baseline")],
        shape=Fixed(lambda dims: (dims["r"], dims["c"]), uses=("r", "c"),
                    wrong=[("a string", "seven"), ("one entry", (2,)), ("negative sides", (-1, -1)),
                           ("fractional sides", (1.5, 2.0)), ("not holding x", (1, 17)), ("a number", 3.0)]),
        patch=Int(1, lambda dims: max(dims["r"], dims["c"])), dims=SIDE)

# == model_selection ===========================================================================================
declare(MS.kfold_split, n_samples=Int(2, None, draw=("n", "n")), n_splits=Int(2, "n"), shuffle=FLAG, rng=Rng(),
        dims={"n": (2, 8)})


def _largest(a):
    return int(np.unique(a["y"], return_counts=True)[1].max())


declare(MS.stratified_kfold_split, y=Labels(("n",), n_classes=(1, 3), names=True), n_splits=Int(2, None, draw=(2, 3)),
        shuffle=FLAG, rng=Rng(), dims={"n": (4, 8)}, where=lambda a: a["n_splits"] <= _largest(a),
        relations=[("n_splits", "above the largest class", lambda a: _largest(a) + 1)])


class _Mean:
    """A tiny regressor: predicts the training mean."""

    def fit(self, X, y):
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


class _NoPredict:
    def fit(self, X, y):
        return self


ESTIMATOR = Fixed(lambda dims: _Mean(), wrong=[("None", None), ("a string", "seven"), ("no predict", _NoPredict())])


FOLDS = Fixed(lambda dims: MS.kfold_split(dims["n"], 2), uses=("n",),
              wrong=NOT_PAIRS + [("a single index array", [(np.arange(2),)]),
                                 ("an index past the rows", [(np.array([0, 1]), np.array([10**6]))]),
                                 ("a negative index", [(np.array([0, 1]), np.array([-1]))]),
                                 ("an empty test part", [(np.array([0, 1]), np.array([], dtype=int))])])
N4 = {"n": (4, 8)}
declare(MS.cross_val_scores, estimator=ESTIMATOR, X=Array(("n", "p")), y=Array(("n",)), folds=FOLDS,
        scoring=Choice(("accuracy", "neg_mean_squared_error")), dims=N4)
declare(MS.cv_learning_curve, estimator=ESTIMATOR, X=Array(("n", "p")), y=Array(("n",)),
        sizes=IntList(1, lambda dims: dims["n"] // 2), folds=FOLDS, dims=N4)


def _pipe():
    return MS.Pipeline([StandardScaler(), RG.ElasticNet(alpha=0.1, max_iter=50)])


def _xy(dims, n=6):
    rng = np.random.default_rng(dims.get("p", 2))
    Xd = rng.normal(size=(n, dims.get("p", 2)))
    return Xd, Xd.sum(axis=1) + 0.1 * rng.normal(size=n)


declare(MS.Pipeline, steps=Fixed(lambda dims: [StandardScaler(), _Mean()],
                                 wrong=[("None", None), ("a number", 3.0), ("an empty list", []),
                                        ("a step without transform", [_Mean(), _Mean()]),
                                        ("a last step without predict", [StandardScaler()])]),
        then=lambda pipe, dims: pipe.fit(*_xy(dims)))
declare_method(MS.Pipeline, "fit", make=lambda dims: _pipe(), X=Array(("n", "p")), y=Array(("n",)))
declare_method(MS.Pipeline, "predict", make=lambda dims: _pipe().fit(*_xy(dims)), uses=("p",), X=Array(("m", "p")))
declare(MS.gd_validation_curve, X_train=Array(("n", "p")), y_train=Array(("n",)), X_val=Array(("m", "p")),
        y_val=Array(("m",)), lr=Positive(draw=(1e-3, 0.5)), n_iter=Int(0, None, draw=(0, 10)))
declare(MS.early_stopping, val_losses=Array(("T",)), patience=Int(1, None, draw=(1, 5)), min_delta=NONNEG)

# == naive_bayes ===============================================================================================
declare(NB.lidstone_log_prob, counts=Array(("m",), low=0.0, draw=(0.0, 10.0), any_shape=True),
        totals=Array(("m",), low=0.0, draw=(0.0, 10.0), any_shape=True), alpha=Real(0.0, None, draw=(0.1, 5.0)),
        n_values=Positive(), dims={"m": (2, 5)})
declare(NB.gaussian_log_likelihood, X=X, theta=Array(("k", "d")), var=Array(("k", "d"), low=0.0, low_open=True,
                                                                               draw=(0.1, 5.0)))


def _nb_data(dims, kind="gaussian"):
    k, d = dims.get("k", 2), dims.get("d", 2)
    rng = np.random.default_rng(10 * k + d)
    y = np.repeat(np.arange(k), 3)
    if kind == "gaussian":
        return rng.normal(size=(3 * k, d)), y
    return rng.integers(0, 2 if kind == "bernoulli" else 4, size=(3 * k, d)).astype(float), y


PRIOR = Optional(ProbVector("k"))


def too_many_classes(arg):
    """A relation: priors for 13 classes (the fits here have at most 5)."""
    return (arg, "13 classes", lambda a: np.full(13, 1.0 / 13))


declare(NB.GaussianNB, priors=PRIOR, var_smoothing=Real(0.0, None, draw=(0.0, 1e-3)),
        relations=[too_many_classes("priors")], then=lambda nb, dims: nb.fit(*_nb_data(dims)))
declare_method(NB.GaussianNB, "fit", make=lambda dims: NB.GaussianNB(), X=X, y=Labels(("n",), names=True))
declare_method(NB.GaussianNB, "joint_log_likelihood", make=lambda dims: NB.GaussianNB().fit(*_nb_data(dims)),
               uses=("k", "d"), X=Array(("m", "d")))
COUNTS = Array(("n", "d"), low=0.0, integer=True, draw=(0, 5))
declare(NB.MultinomialNB, alpha=Positive(), fit_prior=FLAG, class_prior=PRIOR,
        relations=[too_many_classes("class_prior")], then=lambda nb, dims: nb.fit(*_nb_data(dims, "multinomial")))
declare_method(NB.MultinomialNB, "fit", make=lambda dims: NB.MultinomialNB(), X=COUNTS, y=Labels(("n",), names=True))
declare_method(NB.MultinomialNB, "joint_log_likelihood", uses=("k", "d"),
               make=lambda dims: NB.MultinomialNB().fit(*_nb_data(dims, "multinomial")),
               X=Array(("m", "d"), low=0.0, integer=True, draw=(0, 5)))
declare(NB.BernoulliNB, alpha=Positive(), binarize=Optional(Real(draw=(0.0, 0.9))), fit_prior=FLAG, class_prior=PRIOR,
        relations=[too_many_classes("class_prior")], then=lambda nb, dims: nb.fit(*_nb_data(dims, "bernoulli")))
declare_method(NB.BernoulliNB, "fit", make=lambda dims: NB.BernoulliNB(), X=X, y=Labels(("n",), names=True))
declare_method(NB.BernoulliNB, "joint_log_likelihood", uses=("k", "d"),
               make=lambda dims: NB.BernoulliNB().fit(*_nb_data(dims, "bernoulli")), X=Array(("m", "d")))

# == neighbors =================================================================================================
N2 = {"n": (2, 6)}
declare(NE.kneighbors, X=X, Q=Y_LIKE_X, n_neighbors=Int(1, None, draw=(1, lambda dims: dims["n"] - 1)), dims=N2,
        relations=[("n_neighbors", "above n (n - 1 without Q)", lambda a: rows(a) + (a["Q"] is not None)),
                   wider("Q")])
DIST = SortedRows(("m", "k"), low=0.0, draw=(0.0, 3.0))
declare(NE.class_scores, labels=Labels(("m", "k"), "C"), distances=DIST, n_classes=Int(1, None, draw=("C", "C")),
        weights=Choice(NE.WEIGHTS), every_k=FLAG)
declare(NE.neighbor_average, targets=Array(("m", "k")), distances=DIST, weights=Choice(NE.WEIGHTS), every_k=FLAG)


def _y_test_missing(a):
    return np.full(np.shape(a["X_test"])[0], "never-a-label" if np.asarray(a["y"]).dtype.kind == "U" else 7)


def _same_kind(a):
    if a["X_test"] is None or a["y_test"] is None:
        return (a["X_test"] is None) == (a["y_test"] is None)
    return np.isin(a["y_test"], a["y"]).all()


declare(NE.error_by_k, X=X, y=Labels(("n",), 2, present=(0, 1), names=True),
        k_max=Int(1, None, draw=(1, lambda dims: dims["n"] - 1)), X_test=Y_LIKE_X,
        y_test=Optional(Labels(("m",), 2, names=True)), weights=Choice(NE.WEIGHTS), dims=N2, where=_same_kind,
        relations=[("k_max", "above n (n - 1 leave-one-out)", lambda a: rows(a) + (a["X_test"] is not None)),
                   ("y_test", "a label y does not have",
                    lambda a: np.zeros(1, dtype=int) if a["X_test"] is None else _y_test_missing(a)),
                   wider("X_test")])


def _knn_data(dims, n=6):
    rng = np.random.default_rng(dims.get("d", 2))
    return rng.normal(size=(n, dims.get("d", 2))), np.arange(n) % 2


declare(NE.KNeighborsClassifier, n_neighbors=Int(1, 6, draw=(1, 3)), weights=Choice(NE.WEIGHTS),
        then=lambda knn, dims: knn.fit(*_knn_data(dims)))
declare(NE.KNeighborsRegressor, n_neighbors=Int(1, 6, draw=(1, 3)), weights=Choice(NE.WEIGHTS),
        then=lambda knn, dims: knn.fit(*_knn_data(dims)))
for _cls in (NE.KNeighborsClassifier, NE.KNeighborsRegressor):
    _y = Labels(("n",), names=True) if _cls is NE.KNeighborsClassifier else Array(("n",))
    declare_method(_cls, "fit", make=lambda dims, c=_cls: c(n_neighbors=1), X=X, y=_y)
    _fitted = dict(make=lambda dims, c=_cls: c(n_neighbors=2).fit(*_knn_data(dims)), uses=("d",))
    for _m in ("kneighbors", "predict") + (("predict_proba",) if _cls is NE.KNeighborsClassifier else ()):
        declare_method(_cls, _m, **_fitted, X=Y_OPT)
declare(NE.build_kdtree, X=X, leaf_size=Int(1, None, draw=(1, 4)), finite=False)      # threshold: NaN at a leaf


def _tree(dims):
    return NE.build_kdtree(np.random.default_rng(dims["n"]).normal(size=(dims["n"], dims["d"])), leaf_size=2)


declare(NE.kdtree_query, tree=Fixed(_tree, uses=("n", "d"), wrong=[("None", None), ("a string", "seven"),
                                                                    ("an array", np.zeros((3, 2)))]),
        Q=Array(("m", "d")), n_neighbors=Int(1, "n"))

def _field(name, wrong=()):
    return Fixed(lambda dims: getattr(_tree(dims), name), uses=("n", "d"),
                 wrong=[("None", None), ("a string", "seven"), ("one axis too many", np.zeros((2, 2, 2))),
                        *wrong])


def one_more(name):
    """A relation: the drawn per-node field ``name`` with one entry more than there are nodes."""
    return (name, "one entry more than there are nodes", lambda a: np.r_[a[name], 0])


_NODE_FIELDS = ("end", "feature", "left", "right")
declare(NE.KDTree, X=_field("X", [("a NaN entry", np.array([[np.nan]]))]), order=_field("order"),
        start=_field("start", [("a fraction", np.array([0.5]))]),
        **{name: _field(name, [("a fraction", np.array([0.5]))]) for name in _NODE_FIELDS},
        threshold=_field("threshold"), lower=_field("lower"), upper=_field("upper"),
        dims={"n": (2, 6), "d": (2, 4)}, finite=False,                              # threshold: NaN at a leaf
        relations=[one_more(name) for name in _NODE_FIELDS + ("threshold",)]
        + [("order", "not a permutation", lambda a: np.zeros(len(a["order"]), dtype=int)),
           ("lower", "one column more than X", lambda a: np.c_[a["lower"], a["lower"][:, :1]]),
           ("upper", "one column more than X", lambda a: np.c_[a["upper"], a["upper"][:, :1]])])

# == optim_paths ===============================================================================================
OPTIMIZERS = (lambda: SGD(0.1), lambda: AdaGrad(0.5), lambda: RMSProp(0.01), lambda: Adam(0.1))


def _opt(dims):
    return OPTIMIZERS[dims["o"]]()


def _path(dims):
    return OP.run_optimizer(_opt(dims), lambda x, t: x - 1.0, np.zeros(dims["d"]), 3)


OPT_WRONG = [("None", None), ("a string", "seven"), ("a class, not an instance", SGD)]
declare(OP.run_optimizer, optimizer=Fixed(_opt, uses=("o",), wrong=OPT_WRONG),
        grad=Func(lambda dims: lambda x, t: x - 1.0), x0=Array(("d",)), steps=Int(1, None, draw=(1, 5)),
        bound=Positive(), dims={"o": (0, 3)})
declare(OP.effective_learning_rates,
        optimizer=Fixed(_opt, uses=("o",), wrong=OPT_WRONG + [("SGD with momentum", SGD(0.1, momentum=0.9))]),
        path=Fixed(_path, uses=("o", "d"), wrong=[("None", None), ("a string", "seven"), ("a dict", {})]),
        dims={"o": (0, 3)},
        relations=[("optimizer", "not the optimiser of path",
                    lambda a: AdaGrad(0.5) if not isinstance(a["optimizer"], AdaGrad) else Adam(0.1))])
XY = Array(("m", 2), any_shape=True, draw=(-2.0, 3.0))
for _f2 in (OP.rosenbrock, OP.rosenbrock_grad, OP.quadratic, OP.quadratic_grad, OP.saddle, OP.saddle_grad):
    declare(_f2, xy=XY)
declare(OP.landscape, name=Choice(tuple(OP.LANDSCAPES)))
declare(OP.sparse_logistic_data, n=Int(2, None, draw=(2, 20)),
        frequencies=Array(("d",), low=0.0, high=1.0, low_open=True, draw=(0.05, 1.0)), weights=Array(("d",)),
        rng=Rng(), relations=[first_entry("frequencies", "a zero entry", 0.0)])
declare_method(OP.LogisticMinibatchOracle, "make", make=None, X=X, y=Labels(("n",), 2),
               batch_size=Int(1, None, draw=(1, 4)), steps=Int(1, None, draw=(1, 4)), rng=Rng(), l2=NONNEG)

# == regularization ============================================================================================
# t: a float or an array broadcastable to z; declared as an array (a float t makes no size of z wrong)
declare(RG.soft_threshold, z=Array(("m",), any_shape=True), t=Array(("m",), low=0.0, any_shape=True),
        dims={"m": (2, 5)})
DESIGN = dict(X=Array(("n", "p")), y=Array(("n",)))
ALPHA = Real(0.0, None, draw=(0.0, 5.0))
declare(RG.enet_objective, **DESIGN, coef=Array(("p",)), intercept=Real(), alpha=ALPHA, l1_ratio=UNIT)
declare(RG.enet_coordinate_descent, **DESIGN, alpha=ALPHA, l1_ratio=UNIT, fit_intercept=FLAG, max_iter=MAX_ITER,
        tol=TOL, coef_init=Optional(Array((lambda dims: dims["p"],))),
        relations=[("coef_init", "one entry more than X has columns", lambda a: np.zeros(np.shape(a["X"])[1] + 1))])
ENET = dict(alpha=ALPHA, fit_intercept=FLAG, max_iter=MAX_ITER, tol=TOL)
declare(RG.ElasticNet, **ENET, l1_ratio=UNIT, then=lambda m, dims: m.fit(*_xy(dims)))
declare(RG.Lasso, **ENET, then=lambda m, dims: m.fit(*_xy(dims)))
declare_method(RG.ElasticNet, "fit", make=lambda dims: RG.ElasticNet(0.1, max_iter=50), **DESIGN)
declare_method(RG.ElasticNet, "predict", make=lambda dims: RG.ElasticNet(0.1, max_iter=50).fit(*_xy(dims)),
               uses=("p",), X=Array(("m", "p")))
declare(RG.alpha_max, **DESIGN, l1_ratio=Real(0.0, 1.0, low_open=True), fit_intercept=FLAG)
ALPHAS = Array(("k",), low=0.0, draw=(0.0, 5.0))
declare(RG.enet_path, **DESIGN, l1_ratio=UNIT, alphas=Optional(ALPHAS), n_alphas=Int(1, None, draw=(1, 5)),
        eps=Real(0.0, 1.0, low_open=True, draw=(1e-3, 1.0)), fit_intercept=FLAG, max_iter=MAX_ITER, tol=TOL,
        where=lambda a: a["alphas"] is not None or a["l1_ratio"] > 0)
declare(RG.ridge_path, **DESIGN, alphas=ALPHAS, fit_intercept=FLAG)
declare(RG.cv_mse_path, **DESIGN, alphas=ALPHAS, folds=FOLDS, l1_ratio=UNIT, fit_intercept=FLAG, max_iter=MAX_ITER,
        tol=TOL, dims=N4)
declare(RG.project_l1_ball, v=Array(("p",)), radius=NONNEG)
declare(RG.norm_constrained_lsq, **DESIGN, radius=NONNEG, norm=Choice(("l1", "l2")), fit_intercept=FLAG,
        n_iter=Int(1, None, draw=(1, 50)))

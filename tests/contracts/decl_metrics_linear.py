"""Declarations: ``algorithms.metrics``, ``algorithms.linear``, ``algorithms.decomposition`` and
``algorithms.preprocessing``."""

from __future__ import annotations

import numpy as np

from mlsheet_utils.algorithms import decomposition as F
from mlsheet_utils.algorithms import linear as L
from mlsheet_utils.algorithms import metrics as M
from mlsheet_utils.algorithms import preprocessing as P
from tests.contracts.kinds import (
    SPD,
    Array,
    Boxes,
    Choice,
    Components,
    DecreasingProbVector,
    Fixed,
    Gaussian,
    Increasing,
    Int,
    IntArray,
    Labels,
    Optional,
    Positive,
    Real,
    RealOrInf,
    Rng,
)
from tests.contracts.registry import declare, declare_method, first_entry, not_square

COVERS = ("mlsheet_utils.algorithms.metrics", "mlsheet_utils.algorithms.linear",
          "mlsheet_utils.algorithms.decomposition", "mlsheet_utils.algorithms.preprocessing")
# records: results the functions return (no reader builds one); BinaryCounts.fbeta and ALSResult's methods are
# declared at the end
RECORDS = (M.BinaryCounts, M.ThresholdCounts, M.RocCurve, M.PrecisionRecallCurve, M.CalibrationBins,
           M.RegressionMetrics, M.DetectionMatch, L.TwoPredictorRisk, L.LogisticObjective, L.LogisticFit,
           F.LUResult, F.QRResult, F.PCAFit, F.NMFResult, F.ALSResult, P.ColumnScaling)

FLAG = Choice((True, False))
PROB = Real(0.0, 1.0)
OPEN_RHO = Real(-1.0, 1.0, low_open=True, high_open=True)


def binary(shape=("n",), present=(0, 1)):
    """0/1 labels; by default both classes appear (``present=(1,)``: a positive in every column)."""
    return Labels(shape, 2, present=present)


def any01(shape=("n",)):
    """0/1 labels, one class only allowed."""
    return Array(shape, low=0, high=1, integer=True)


def one_class(arg="y_true"):
    """Bad value for a function needing both classes: every label 0."""
    return (arg, "only one class", lambda a: np.zeros_like(a[arg]))


def pair(*wrong):
    """Bad values of a pair argument such as ``feature_range``."""
    return [("None", None), ("a string", "seven"), ("three numbers", (0.0, 1.0, 2.0)), *wrong]


# == metrics ===================================================================================================
TWO = {"n": (2, 6)}
declare(M.confusion_matrix, y_true=Array(("n",), integer=True, draw=(0, 3)),
        y_pred=Array(("n",), integer=True, draw=(0, 3)),
        labels=Optional(Fixed(lambda dims: np.arange(4.0), wrong=[("a string", "seven"),
                                                                  ("repeated", np.array([0.0, 0.0, 1, 2, 3])),
                                                                  ("empty", np.zeros(0)),
                                                                  ("one axis too many", np.arange(4.0)[:, None]),
                                                                  ("missing classes", np.array([7.0]))])))
declare(M.binary_counts, y_true=any01(), y_pred=any01())
declare(M.threshold_counts, y_true=any01(), scores=Array(("n",)))
# both curves start at the documented threshold +inf
declare(M.roc_curve, y_true=binary(), scores=Array(("n",)), dims=TWO, relations=[one_class()], finite=False)
declare(M.precision_recall_curve, y_true=binary(), scores=Array(("n",)), dims=TWO, relations=[one_class()],
        finite=False)
declare(M.trapezoid_area, x=Increasing("m", strict=False, decreasing_ok=True), y=Array(("m",)), dims={"m": (2, 6)},
        relations=[("x", "not monotone", lambda a: np.r_[0.0, 1.0, -1.0, np.zeros(len(a["x"]) - 3)]
                    if len(a["x"]) >= 3 else np.array([0.0, np.nan])),
                   ("x", "a single point", lambda a: np.zeros(1))])
declare(M.roc_auc_rank, y_true=binary(), scores=Array(("n",)), dims=TWO, relations=[one_class()])
declare(M.average_precision, y_true=binary(present=(1,)), scores=Array(("n",)),
        n_positives=Optional(Int(1, None, draw=(6, 9))),
        # no positive is wrong only without n_positives (detection: n_positives objects, none found, AP = 0)
        relations=[("y_true", "no positive (n_positives not given)",
                    lambda a: np.zeros_like(a["y_true"]) if a["n_positives"] is None else np.full(len(a["y_true"]), 2)),
                   ("n_positives", "fewer than the positives", lambda a: int(a["y_true"].sum()) - 1)])
declare(M.mean_average_precision, Y=binary(("n", "K"), present=(1,)), S=Array(("n", "K")),
        relations=[("Y", "a column with no positive", lambda a: np.zeros_like(a["Y"]))])
declare(M.log_loss, y_true=any01(), p=Array(("n",), low=0.0, high=1.0))
declare(M.brier_score, y_true=any01(), p=Array(("n",), low=0.0, high=1.0))
declare(M.calibration_bins, y_true=any01(), p=Array(("n",), low=0.0, high=1.0), n_bins=Int(1, None, draw=(1, 10)),
        finite=False)                                      # an empty bin's mean and frequency are NaN
declare(M.regression_metrics, y_true=Array(("n",)), y_pred=Array(("n",)),
        finite=False)                                      # r2 is NaN for a constant y_true
declare(M.box_iou, a=Boxes("n"), b=Boxes("m"))
declare(M.match_detections, boxes=Boxes("m"), scores=Array(("m",)), gt_boxes=Boxes("g"),
        iou_threshold=Real(0.0, 1.0, low_open=True))

# == linear ====================================================================================================
# a generic design with more rows than columns plus one: full column rank after centring (the QR routes)
FULL = {"n": (5, 8), "p": (1, 3)}
declare(L.ols, X=Gaussian(("n", "p")), y=Array(("n",)), fit_intercept=FLAG, method=Choice(("qr", "lstsq")),
        dims=FULL)
declare(L.ridge, X=Array(("n", "p")), y=Array(("n",)), alpha=Real(0.0, None, draw=(0.0, 10.0)), fit_intercept=FLAG)
declare(L.coef_covariance, X=Gaussian(("n", "p")), noise_var=Real(0.0, None, draw=(0.0, 10.0)), fit_intercept=FLAG,
        dims=FULL)
declare(L.vif, X=Gaussian(("n", "p")), dims={"n": (6, 8), "p": (2, 4)},
        relations=[("X", "a constant column", lambda a: np.column_stack([np.ones(len(a["X"])), a["X"][:, 1:]])),
                   ("X", "a single column", lambda a: a["X"][:, :1])])
declare(L.condition_number, X=Gaussian(("n", "p")), scale_columns=FLAG,
        finite=False)                                      # inf for a rank-deficient design (n < p)
declare(L.correlated_design, z1=Array(("n",), any_shape=True), z2=Array(("n",), any_shape=True), rho=OPEN_RHO)
declare(L.fit_two_predictors, x1=Gaussian(("r", "n")), x2=Gaussian(("r", "n")), y=Array(("r", "n")),
        lam=Real(0.0, None, draw=(0.0, 10.0)), dims={"n": (3, 6)},
        relations=[("x1", "two points per data set", lambda a: a["x1"][:, :2])],   # y has n columns: a mismatch
        where=lambda a: a["lam"] > 0 or not np.array_equal(a["x1"], a["x2"]))     # collinear OLS: NaN
BETA = Fixed(lambda dims: (1.0, -0.5), wrong=pair(("one number", (1.0,)), ("NaN", (np.nan, 1.0))))
declare(L.simulate_slopes, rho=OPEN_RHO, n=Int(3, None, draw=(3, 8)), reps=Int(2, None, draw=(2, 6)),
        lam=Real(0.0, None, draw=(0.0, 10.0)), sigma=Real(0.0, None, draw=(0.0, 3.0)), beta=BETA, rng=Rng())
declare(L.two_predictor_risk, rho=OPEN_RHO, n=Positive(draw=(1.0, 100.0)), lam=Real(0.0, None, draw=(0.0, 10.0)),
        sigma=Real(0.0, None, draw=(0.0, 3.0)), beta=BETA)
C_KIND = RealOrInf(0.0, None, low_open=True, draw=(0.01, 100.0))
declare(L.logistic_objective, beta=Array((lambda dims: dims["d"] + 1,)), X=Array(("n", "d")), y=binary(),
        C=C_KIND, dims=TWO,
        relations=[one_class("y"), ("beta", "the wrong length", lambda a: np.zeros(a["X"].shape[1] + 2))])
declare(L.logistic_irls, X=Array(("n", "d")), y=binary(), C=C_KIND, fit_intercept=FLAG,
        tol=Positive(draw=(1e-10, 1.0)), max_iter=Int(0, None, draw=(0, 20)), dims=TWO,
        beta0=Fixed(lambda dims: None, wrong=[("a string", "seven"), ("the wrong length", np.zeros(9)),
                                              ("a NaN entry", np.full(9, np.nan))]),
        relations=[one_class("y")])
declare(L.logistic_gd, X=Array(("n", "d")), y=binary(), lr=Positive(draw=(0.01, 1.0)),
        n_iter=Int(0, None, draw=(0, 20)), C=C_KIND, fit_intercept=FLAG, loss=Choice(("log", "squared")), dims=TWO,
        relations=[one_class("y")])

# == decomposition =============================================================================================


def _lu(dims):
    return F.lu(np.random.default_rng(dims["n"]).standard_normal((dims["n"], dims["n"])))


def _pca(rows, cols, k=None):
    return lambda dims: F.pca_fit(np.random.default_rng(1).standard_normal((rows, cols(dims))),
                                  None if k is None else k(dims))


declare(F.lu, A=Gaussian(("n", "n")), pivoting=FLAG, relations=[not_square("A")])
declare(F.lu_solve, factors=Fixed(_lu, uses=("n",), wrong=[("None", None), ("a string", "seven"),
                                                           ("a tuple", (np.eye(2), np.eye(2), np.eye(2)))]),
        b=Array(("n", "m")))
declare(F.cholesky, A=SPD("n"))
declare(F.householder_qr, A=Array(("m", "n")), mode=Choice(("reduced", "complete")))
declare(F.solve_least_squares, A=Gaussian(("m", "n")), b=Array(("m",)), method=Choice(("normal", "qr", "svd")),
        rcond=Optional(Real(0.0, None, draw=(0.0, 1e-3))), dims={"m": (4, 7), "n": (1, 3)})
declare(F.n_components_for_variance, explained_variance_ratio=DecreasingProbVector("r"),
        threshold=Real(0.0, 1.0, low_open=True, high_open=True))


def _pca_fit_ok(a):
    """``gram`` cannot keep a component beyond the rank of the centred data (documented ValueError)."""
    n, d = a["X"].shape
    k = a["n_components"]
    k = min(n, d) if k is None else k
    rank = min(n - 1, d) if a["center"] else min(n, d)
    return a["method"] != "gram" or not isinstance(k, int) or k <= rank


declare(F.pca_fit, X=Gaussian(("n", "d")), n_components=Components(lambda dims: min(dims["n"], dims["d"])),
        method=Choice(("svd", "eigh", "gram")), center=FLAG, dims={"n": (2, 6)}, where=_pca_fit_ok)
PCA_D = Fixed(_pca(7, lambda dims: dims["d"]), uses=("d",), wrong=[("None", None), ("a string", "seven")])
declare(F.pca_transform, fit=PCA_D, X=Array(("n", "d"), empty_ok=True), whiten=FLAG)
declare(F.pca_inverse_transform,
        fit=Fixed(_pca(7, lambda dims: dims["k"] + 1, lambda dims: dims["k"]), uses=("k",),
                  wrong=[("None", None), ("a string", "seven")]),
        Z=Array(("n", "k"), empty_ok=True), whiten=FLAG, dims={"k": (0, 3)})
declare(F.reconstruction_error, fit=PCA_D, X=Array(("n", "d")))


def _nmf_init(dims):
    return (np.full((dims["n"], dims["r"]), 0.5), np.full((dims["r"], dims["d"]), 0.5))


declare(F.nmf, X=Array(("n", "d"), low=0.0), k=Int(1, None, draw=("r", "r")), n_iter=Int(0, None, draw=(0, 10)),
        init=Optional(Fixed(_nmf_init, wrong=[("a string", "seven"), ("one factor", (np.ones(2),))])),
        rng=Rng(), dims={"r": (1, 3)},
        relations=[("init", "the wrong shapes", lambda a: (np.ones((9, 9)), np.ones((9, 9)))),
                   ("init", "a negative entry", lambda a: (-np.ones((a["X"].shape[0], a["k"])),
                                                           np.ones((a["k"], a["X"].shape[1])))),
                   ("init", "a NaN entry", lambda a: (np.full((a["X"].shape[0], a["k"]), np.nan),
                                                      np.ones((a["k"], a["X"].shape[1]))))])
declare(F.als, R=Array(("m", "n"), finite=False), k=Int(0, None, draw=("r", "r")), reg=Real(0.0, None,
                                                                                           draw=(0.05, 5.0)),
        n_iter=Int(1, None, draw=(1, 5)), biases=FLAG,
        init=Optional(Fixed(lambda dims: np.random.default_rng(0).standard_normal((dims["n"], dims["r"])),
                            wrong=[("a string", "seven"), ("the wrong shape", np.ones((9, 9)))])),
        rng=Rng(), dims={"r": (1, 3)},
        relations=[first_entry("R", "an infinite entry", np.inf),
                   ("R", "no observed entry", lambda a: np.full(a["R"].shape, np.nan))])

# == preprocessing =============================================================================================
declare(P.standard_scaling, X=Array(("n", "d")), with_mean=FLAG, with_std=FLAG,
        ddof=Int(0, lambda dims: dims["n"] - 1))
declare(P.minmax_scaling, X=Array(("n", "d")),
        feature_range=Fixed(lambda dims: (-1.0, 2.0), wrong=pair(("a > b", (1.0, 0.0)), ("a == b", (1.0, 1.0)),
                                                                  ("NaN", (np.nan, 1.0)))))
declare(P.robust_scaling, X=Array(("n", "d")), with_centering=FLAG, with_scaling=FLAG,
        quantile_range=Fixed(lambda dims: (10.0, 90.0), wrong=pair(("q_lo > q_hi", (75.0, 25.0)),
                                                                  ("above 100", (25.0, 101.0)),
                                                                  ("negative", (-1.0, 50.0)))))
declare(P.maxabs_scaling, X=Array(("n", "d")))
declare(P.row_normalize, X=Array(("n", "d")), norm=RealOrInf(1.0, None, draw=(1.0, 5.0)))


# == classes ===================================================================================================
# An estimator checks its settings in ``fit`` (scikit-learn's convention): its constructor's declaration goes on
# to ``fit`` on small fixed data; each method gets a fresh receiver (fitted on data with the drawn d columns).
def _data(dims, rows=8) -> np.ndarray:
    return np.random.default_rng(rows).standard_normal((rows, dims.get("d", 2)))


Y8 = np.array([0, 1, 0, 1, 1, 0, 0, 1])
declare_method(M.BinaryCounts, "fbeta", make=lambda dims: M.BinaryCounts(3, 1, 2, 4), beta=Positive())

declare(L.LogisticRegression, C=C_KIND, fit_intercept=FLAG, tol=Positive(draw=(1e-10, 1.0)),
        max_iter=Int(0, None, draw=(0, 20)),
        then=lambda lr, dims: lr.fit(_data(dims), Y8).predict_proba(_data(dims)))   # (the model holds C = inf)
declare_method(L.LogisticRegression, "fit", make=lambda dims: L.LogisticRegression(max_iter=5),
               X=Array(("n", "d")), y=binary(), dims=TWO, relations=[one_class("y")])
for _method in ("decision_function", "predict_proba", "predict"):
    declare_method(L.LogisticRegression, _method, make=lambda dims: L.LogisticRegression(max_iter=5).fit(_data(dims),
                                                                                                         Y8),
                   uses=("d",), X=Array(("n", "d")))

# the data fitted in ``then`` is (8, 2): n_components up to 2
declare(F.PCA, n_components=Components(2), method=Choice(("svd", "eigh", "gram")), whiten=FLAG, center=FLAG,
        then=lambda pca, dims: pca.fit(_data(dims)))
for _method in ("fit", "fit_transform"):
    declare_method(F.PCA, _method, make=lambda dims: F.PCA(), X=Gaussian(("n", "d")), dims={"n": (2, 6)})
declare_method(F.PCA, "transform", make=lambda dims: F.PCA(whiten=True).fit(_data(dims, 7)), uses=("d",),
               X=Array(("n", "d"), empty_ok=True))
declare_method(F.PCA, "inverse_transform",
               make=lambda dims: F.PCA(dims["k"], whiten=True).fit(_data({"d": dims["k"] + 1}, 7)), uses=("k",),
               Z=Array(("n", "k"), empty_ok=True), dims={"k": (0, 3)})


def _als(dims) -> F.ALSResult:
    R = np.random.default_rng(3).standard_normal((dims["m"], dims["p"]))
    return F.als(R, 2, n_iter=2, biases=True)


INDEX_DIMS = {"m": (1, 4), "p": (1, 4), "q": (0, 4)}
# paired index arrays of one shape (any shape; empty: no entries to predict)
declare_method(F.ALSResult, "predict", make=_als, uses=("m", "p"),
               users=IntArray(("q",), 0, lambda dims: dims["m"] - 1, any_shape=True, empty_ok=True),
               items=IntArray(("q",), 0, lambda dims: dims["p"] - 1, any_shape=True, empty_ok=True),
               dims=INDEX_DIMS)
declare_method(F.ALSResult, "matrix", make=_als, uses=("m", "p"), dims=INDEX_DIMS)

SCALED = dict(then=lambda sc, dims: sc.fit(_data(dims)))
declare(P.StandardScaler, with_mean=FLAG, with_std=FLAG, ddof=Int(0, 7, draw=(0, 3)), **SCALED)  # 8 rows fitted
declare(P.MinMaxScaler, feature_range=Fixed(lambda dims: (-1.0, 2.0), wrong=pair(("a > b", (1.0, 0.0)),
                                                                                 ("NaN", (np.nan, 1.0)))), **SCALED)
declare(P.RobustScaler, with_centering=FLAG, with_scaling=FLAG,
        quantile_range=Fixed(lambda dims: (10.0, 90.0), wrong=pair(("q_lo > q_hi", (75.0, 25.0)),
                                                                  ("above 100", (25.0, 101.0)))), **SCALED)
declare(P.MaxAbsScaler, **SCALED)
declare(P.Normalizer, norm=RealOrInf(1.0, None, draw=(1.0, 5.0)),       # (the model holds norm = inf)
        then=lambda nz, dims: nz.fit(_data(dims)).transform(_data(dims)))
# the scalers' shared methods are defined by their private base class: declared there, a StandardScaler receiving
for _method in ("fit", "fit_transform"):
    declare_method(P._ColumnScaler, _method, make=lambda dims: P.StandardScaler(), X=Array(("n", "d")))
declare_method(P._ColumnScaler, "transform", make=lambda dims: P.StandardScaler().fit(_data(dims)), uses=("d",),
               X=Array(("n", "d")))
declare_method(P._ColumnScaler, "inverse_transform", make=lambda dims: P.StandardScaler().fit(_data(dims)),
               uses=("d",), Z=Array(("n", "d")))
declare_method(P.Normalizer, "fit", make=lambda dims: P.Normalizer(), X=Array(("n", "d")))
declare_method(P.Normalizer, "transform", make=lambda dims: P.Normalizer().fit(_data(dims)), uses=("d",),
               X=Array(("n", "d")))

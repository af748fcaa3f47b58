"""Declarations: ``algorithms.clustering`` (kmeans, mixture, evaluation, som, dbscan, spectral)."""

from __future__ import annotations

import numpy as np

from mlsheet_utils.algorithms.clustering import dbscan as DB
from mlsheet_utils.algorithms.clustering import evaluation as EV
from mlsheet_utils.algorithms.clustering import kmeans as KM
from mlsheet_utils.algorithms.clustering import mixture as MX
from mlsheet_utils.algorithms.clustering import som as SOM
from mlsheet_utils.algorithms.clustering import spectral as SP
from tests.contracts.kinds import (
    COVARIANCE_TYPES,
    Array,
    Choice,
    CompactCov,
    Fixed,
    Graph,
    Int,
    IntList,
    Labels,
    Positive,
    ProbVector,
    Real,
    Rng,
    SPDStack,
    Stochastic,
)
from tests.contracts.registry import declare, declare_method

COVERS = ("mlsheet_utils.algorithms.clustering.kmeans", "mlsheet_utils.algorithms.clustering.mixture",
          "mlsheet_utils.algorithms.clustering.evaluation", "mlsheet_utils.algorithms.clustering.som",
          "mlsheet_utils.algorithms.clustering.dbscan", "mlsheet_utils.algorithms.clustering.spectral")
# records: results the functions return (no reader builds one)
RECORDS = (KM.KMeansResult, MX.GMMParams, MX.GMMResult, MX.GMMCriteria, MX.SoftKMeansResult, EV.SumOfSquares,
           SOM.SOMRun, DB.DBSCANResult, SP.SpectralEmbedding)

X = Array(("n", "d"))
MAX_ITER = Int(0, None, draw=(0, 10))
TOL = Real(0.0, None, draw=(0.0, 1.0))
REG = Real(0.0, None, draw=(1e-3, 1.0))     # reg_covar >= 0; draws keep a floor so no component collapses


def up_to_n(dims):
    """A bound equal to the number of rows, given as a callable so that it does not tie ``n`` to the bound's
    argument (a larger X would not make that argument wrong)."""
    return dims["n"]


def absent(*wrong):
    """An optional argument left at None in valid calls; its wrong values come from ``wrong`` and relations."""
    return Fixed(lambda dims: None, wrong=[("a string", "seven"), *wrong])


def rows(a, arg="X"):
    return a[arg].shape[0]


def cols(a, arg="X"):
    return a[arg].shape[1]


# -- kmeans ---------------------------------------------------------------------------------------------------
declare(KM.squared_distances, X=X, C=Array(("k", "d")))
declare(KM.kmeans_plus_plus, X=X, k=Int(1, up_to_n), rng=Rng())
declare(KM.kmeans, X=X, k=Int(1, up_to_n), init=absent(), max_iter=MAX_ITER, tol=TOL, rng=Rng(),
        relations=[("init", "a NaN entry", lambda a: np.full((a["k"], cols(a)), np.nan)),
                   ("init", "one column too many", lambda a: np.zeros((a["k"], cols(a) + 1))),
                   ("init", "one row more than k", lambda a: np.zeros((a["k"] + 1, cols(a)))),
                   ("init", "1-dimensional", lambda a: np.zeros(cols(a)))])

# -- mixture --------------------------------------------------------------------------------------------------
declare(MX.log_gaussian_densities, X=X, means=Array(("k", "d")), covariances=SPDStack("k", "d"))
THETA = dict(weights=ProbVector("k"), means=Array(("k", "d")), covariances=SPDStack("k", "d"))
declare(MX.gmm_logpdf, X=X, **THETA)
declare(MX.e_step, X=X, **THETA)
declare(MX.m_step, X=X, resp=Stochastic(("n", "k")), reg_covar=Real(0.0, None, draw=(0.0, 1.0)),
        covariance_type=Choice(COVARIANCE_TYPES))
declare(MX.em_lower_bound, X=X, resp=Stochastic(("n", "k")), **THETA)
declare(MX.gmm_em, X=X, k=Int(1, up_to_n), init=Choice(MX._INITS), max_iter=MAX_ITER, tol=TOL, reg_covar=REG,
        rng=Rng(), covariance_type=Choice(COVARIANCE_TYPES),
        weights=absent(), means=absent(), covariances=absent(),
        relations=[("weights", "summing to 0.5", lambda a: np.full(a["k"], 0.5 / a["k"])),
                   ("weights", "one entry too many", lambda a: np.full(a["k"] + 1, 1.0 / (a["k"] + 1))),
                   ("means", "a NaN entry", lambda a: np.full((a["k"], cols(a)), np.nan)),
                   ("means", "one column too many", lambda a: np.zeros((a["k"], cols(a) + 1))),
                   ("means", "one row more than k", lambda a: np.zeros((a["k"] + 1, cols(a)))),
                   ("covariances", "negative definite", lambda a: -np.repeat(np.eye(cols(a))[None], a["k"], 0)),
                   ("covariances", "one component too many",
                    lambda a: np.repeat(np.eye(cols(a))[None], a["k"] + 1, 0))])
declare(MX.gmm_n_parameters, k=Int(1, None, draw=(1, 6)), d=Int(1, None, draw=(1, 6)),
        covariance_type=Choice(COVARIANCE_TYPES))
declare(MX.bic, log_likelihood=Real(width=100.0), n_params=Int(0, None, draw=(0, 50)), n=Int(1, None, draw=(1, 500)))
declare(MX.aic, log_likelihood=Real(width=100.0), n_params=Int(0, None, draw=(0, 50)))


def _fit(dims):
    """A mixture fitted on fixed data in ``d`` dimensions, under the covariance type ``t``."""
    data = np.random.default_rng(0).normal(size=(8, dims["d"]))
    return MX.gmm_em(data, 2, max_iter=3, covariance_type=COVARIANCE_TYPES[dims["t"]])


RESULT = Fixed(_fit, wrong=[("None", None), ("a string", "seven"), ("a tuple", (1.0, 2.0))], uses=("d", "t"))
declare(MX.gmm_bic, X=X, result=RESULT, dims={"t": (0, 3)})
declare(MX.gmm_aic, X=X, result=RESULT, dims={"t": (0, 3)})
declare(MX.gmm_criteria, X=X, ks=IntList(1, up_to_n), starts=IntList(0, None, max_size=2), max_iter=MAX_ITER,
        tol=TOL, reg_covar=REG, covariance_type=Choice(COVARIANCE_TYPES))
INT_WRONG = [("None", None), ("a string", "seven"), ("a fraction", 1.5), ("NaN", float("nan")), ("zero", 0)]
declare(MX.full_covariances, covariances=CompactCov("t", "k", "d"),
        covariance_type=Fixed(lambda dims: COVARIANCE_TYPES[dims["t"]], uses=("t",),
                              wrong=[("None", None), ("an unknown option", "no-such-option")]),
        k=Fixed(lambda dims: dims["k"], wrong=INT_WRONG, uses=("k",)),
        d=Fixed(lambda dims: dims["d"], wrong=INT_WRONG, uses=("d",)), dims={"t": (0, 3)},
        # "tied" storage does not show k, nor "spherical" d: there a size of 0 stands in for the disagreement
        relations=[("k", "disagreeing with covariances", lambda a: 0 if a["covariance_type"] == "tied" else a["k"] + 1),
                   ("d", "disagreeing with covariances",
                    lambda a: 0 if a["covariance_type"] == "spherical" else a["d"] + 1)])
declare(MX.typed_covariances, covariances=SPDStack("k", "d", structure=False),
        covariance_type=Choice(COVARIANCE_TYPES))
declare(MX.soft_kmeans, X=X, init=Array(("k", "d")), sigma=Positive(), max_iter=MAX_ITER, tol=TOL,
        where=lambda a: rows(a, "init") <= rows(a),
        relations=[("init", "more rows than X", lambda a: np.zeros((rows(a) + 1, cols(a))))])

# -- evaluation -----------------------------------------------------------------------------------------------
# a labelling of the n points: labels are any hashable values (ints or strings drawn)
SOME = Labels(("n",), n_classes=(2, lambda dims: dims["n"] - 1), names=True)      # 2 <= k <= n - 1 clusters
ANY = Labels(("n",), n_classes=(1, None), names=True)                           # 1 <= k <= n clusters
N3 = {"n": (3, 6)}
declare(EV.euclidean_distance_matrix, X=X)
declare(EV.silhouette_samples, X=X, labels=SOME, dims=N3)
declare(EV.silhouette_score, X=X, labels=SOME, dims=N3)
declare(EV.sum_of_squares, X=X, labels=ANY)
declare(EV.calinski_harabasz, X=X, labels=SOME, dims=N3)
declare(EV.davies_bouldin, X=X, labels=SOME, dims=N3)
declare(EV.contingency_matrix, labels_true=ANY, labels_pred=ANY)
declare(EV.rand_index, labels_true=ANY, labels_pred=ANY, dims={"n": (2, 6)})
declare(EV.adjusted_rand_index, labels_true=ANY, labels_pred=ANY, dims={"n": (2, 6)})

# -- som ------------------------------------------------------------------------------------------------------
declare(SOM.grid_positions, n_rows=Int(1, None, draw=(1, 5)), n_cols=Int(1, None, draw=(1, 5)))
declare(SOM.som_schedule, t=Array(("m",), integer=True, low=0, draw=(0, 5), any_shape=True, empty_ok=True),
        n_iter=Int(1, None, draw=(6, 20)), eta0=Positive(), sigma0=Positive(),
        relations=[("t", "equal to n_iter", lambda a: np.full(3, a["n_iter"])),
                   ("t", "a fraction", lambda a: np.array([0.5])),
                   ("n_iter", "not above every t", lambda a: int(np.max(a["t"], initial=0)))])
W = Array(("m", "d"))
GRID = Array(("m", 2), integer=True, draw=(0, 4))    # positions on the map: any finite reals
declare(SOM.best_matching_units, X=X, W=W)
declare(SOM.som_train, X=X, W0=W, grid=GRID, n_iter=Int(1, None, draw=(1, 20)), eta0=Positive(), sigma0=Positive(),
        record_every=Int(0, None, draw=(0, 5)), order=absent(),
        relations=[("order", "an index past the rows of X", lambda a: np.full(a["n_iter"], rows(a))),
                   ("order", "a negative index", lambda a: np.full(a["n_iter"], -1)),
                   ("order", "one step too many", lambda a: np.zeros(a["n_iter"] + 1, dtype=int)),
                   ("order", "fractions", lambda a: np.full(a["n_iter"], 0.5))])
declare(SOM.quantization_error, X=X, W=W)
declare(SOM.topographic_error, X=X, W=W, grid=GRID, dims={"m": (2, 6)},
        relations=[("W", "a single unit", lambda a: np.zeros((1, cols(a))))])
declare(SOM.u_matrix, W=Array((lambda dims: dims["r"] * dims["c"], "d")), n_rows=Int("r", "r"), n_cols=Int("c", "c"),
        dims={"r": (1, 4), "c": (1, 4)},
        relations=[("W", "one row too many", lambda a: np.zeros((a["n_rows"] * a["n_cols"] + 1, 2)))])

# -- dbscan ---------------------------------------------------------------------------------------------------
declare(DB.neighborhoods, X=X, eps=Positive())
declare(DB.dbscan, X=X, eps=Positive(), min_samples=Int(1, None, draw=(1, 6)))
declare(DB.k_distance, X=X, k=Int(1, up_to_n))

# -- spectral -------------------------------------------------------------------------------------------------


def isolated(arg, kind):
    """A graph with an isolated vertex (degree 0) where the Laplacian normalizes; a negative weight otherwise."""
    def make(a):
        n = rows(a, "W")
        if a[kind] == "unnormalized":
            return -np.ones((n, n))
        W = np.ones((n, n))
        W[0, :] = W[:, 0] = 0.0
        return W
    return (arg, "an isolated vertex (a negative graph for the unnormalized kind)", make)


declare(SP.affinity_matrix, X=X, sigma=Positive())
declare(SP.graph_laplacian, W=Graph("n"), kind=Choice(SP.LAPLACIANS), relations=[isolated("W", "kind")])
declare(SP.spectral_embedding, W=Graph("n"), n_components=Int(1, up_to_n), laplacian=Choice(SP.LAPLACIANS),
        relations=[isolated("W", "laplacian")])


# -- classes: an estimator checks its settings in ``fit`` (scikit-learn's convention), so its constructor's
# declaration goes on to ``fit``; each method gets a receiver fitted on data with the drawn number of columns.
def _blobs(dims) -> np.ndarray:
    rng = np.random.default_rng(dims.get("n", 6))
    return np.r_[rng.normal(-2.0, 0.5, (6, dims.get("d", 2))), rng.normal(2.0, 0.5, (6, dims.get("d", 2)))]


declare(MX.GMM, n_components=Int(1, 12, draw=(1, 3)), covariance_type=Choice(COVARIANCE_TYPES), tol=TOL, reg_covar=REG,
        max_iter=MAX_ITER, n_init=Int(1, None, draw=(1, 2)), rng=Rng(),
        then=lambda gmm, dims: gmm.fit(_blobs(dims)))
declare_method(MX.GMM, "predict", make=lambda dims: MX.GMM(2, rng=0).fit(_blobs(dims)), uses=("d",),
               X=X)


def _gmm(dims) -> MX.GMM:
    return MX.GMM(2, rng=0).fit(_blobs(dims))


for _method in ("score_samples", "score", "predict_proba", "bic", "aic"):
    declare_method(MX.GMM, _method, make=_gmm, uses=("d",), X=X)
declare_method(MX.GMM, "n_parameters", make=_gmm)
# fit on the drawn X: a one-component model with few iterations (X of one row is valid for one component)
declare_method(MX.GMM, "fit", make=lambda dims: MX.GMM(1, max_iter=3, rng=0), X=X)

# -- som: a 2 x 2 map trained for a few steps ---------------------------------------------------------------------
declare(SOM.SelfOrganizingMap, n_rows=Int(1, None, draw=(1, 3)), n_cols=Int(1, None, draw=(1, 3)), sigma=Positive(),
        learning_rate=Positive(), n_iter=Int(1, None, draw=(1, 10)), rng=Rng(),
        record_every=Int(0, None, draw=(0, 3)),
        then=lambda som, dims: som.fit(_blobs(dims)))


def _som(dims) -> SOM.SelfOrganizingMap:
    return SOM.SelfOrganizingMap(2, 2, n_iter=10, rng=0).fit(_blobs(dims))


declare_method(SOM.SelfOrganizingMap, "fit", make=lambda dims: SOM.SelfOrganizingMap(2, 2, n_iter=5, rng=0),
               X=X, init=absent(("a NaN entry", np.full((4, 2), np.nan)),
                                           ("one axis too many", np.zeros((4, 2, 1))),
                                           ("one row too many", np.zeros((5, 2)))))
for _method in ("predict", "quantization_error", "topographic_error"):
    declare_method(SOM.SelfOrganizingMap, _method, make=_som, uses=("d",), X=X)
declare_method(SOM.SelfOrganizingMap, "u_matrix", make=_som)

# -- dbscan and spectral clustering ------------------------------------------------------------------------------
declare(DB.DBSCAN, eps=Positive(), min_samples=Int(1, None, draw=(1, 6)), then=lambda db, dims: db.fit(_blobs(dims)))
for _method in ("fit", "fit_predict"):
    declare_method(DB.DBSCAN, _method, make=lambda dims: DB.DBSCAN(eps=1.0, min_samples=2), X=X)
# n_clusters <= the 12 rows of the blobs fitted
declare(SP.SpectralClustering, n_clusters=Int(1, 12, draw=(1, 3)), sigma=Positive(draw=(0.5, 10.0)),
        laplacian=Choice(SP.LAPLACIANS), n_init=Int(1, None, draw=(1, 2)), rng=Rng(),
        then=lambda sc, dims: sc.fit(_blobs(dims)))
# X of two rows or more: one point is a graph without edges (one row is among X's wrong values)
for _method in ("fit", "fit_predict"):
    declare_method(SP.SpectralClustering, _method, make=lambda dims: SP.SpectralClustering(1, n_init=1), X=X,
                   dims={"n": (2, 6)}, relations=[("X", "a single row", lambda a: a["X"][:1])])

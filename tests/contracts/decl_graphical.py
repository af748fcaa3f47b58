"""Declarations: graphical models, MCMC, the Ising ring's partition function, belief propagation, power and
variational inference (``algorithms.probability.{graphical, mcmc, partition, belief_propagation, power,
variational}``)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from mlsheet_utils.algorithms.probability import belief_propagation as BP
from mlsheet_utils.algorithms.probability import graphical as G
from mlsheet_utils.algorithms.probability import mcmc as M
from mlsheet_utils.algorithms.probability import partition as P
from mlsheet_utils.algorithms.probability import power as W
from mlsheet_utils.algorithms.probability import variational as V
from tests.contracts.kinds import (
    SPD,
    Array,
    Choice,
    Fixed,
    Func,
    Int,
    Labels,
    Positive,
    ProbVector,
    Real,
    Rng,
    Spins,
    Stochastic,
)
from tests.contracts.registry import declare, first_entry, star

_PKG = "mlsheet_utils.algorithms.probability."
COVERS = tuple(_PKG + m for m in ("graphical", "mcmc", "partition", "belief_propagation", "power", "variational"))
# records: results the functions return (no reader builds one)
RECORDS = (G.IsingExact, G.LDACorpus, G.LDAResult, P.IsingRingMoments, BP.BPResult, W.ErrorRates, W.TwoSampleRates,
           W.ExactSize, V.GaussianFit, V.CAVIResult)

OPEN_UNIT = Real(0.0, 1.0, low_open=True, high_open=True)            # alpha, power, a target probability
OPEN_CORR = Real(-1.0, 1.0, low_open=True, high_open=True)           # a correlation in (-1, 1)
ALTERNATIVE = Choice(("two-sided", "greater", "less"))


# -- fixtures: a small Bayesian network (the sprinkler), a factor, an MRF -----------------------------------
def sprinkler_cpds(dims=None) -> dict:
    return {"C": ((), [0.5, 0.5]),
            "S": (("C",), [[0.5, 0.5], [0.9, 0.1]]),
            "R": (("C",), [[0.8, 0.2], [0.2, 0.8]]),
            "W": (("S", "R"), [[[1.0, 0.0], [0.1, 0.9]], [[0.1, 0.9], [0.01, 0.99]]])}


SPRINKLER_PARENTS = {"C": (), "S": ("C",), "R": ("C",), "W": ("S", "R")}
HALF = [0.5, 0.5]
BAD_CPDS = [("None", None), ("a string", "seven"), ("an empty dict", {}),
            ("a directed cycle", {"a": (("b",), [HALF, HALF]), "b": (("a",), [HALF, HALF])}),
            ("a row summing to 0.5", {"a": ((), [0.25, 0.25])}),
            ("a negative entry", {"a": ((), [-0.5, 1.5])}),
            ("a NaN entry", {"a": ((), [np.nan, 1.0])}),
            ("a parent with no CPT", {"a": (("z",), [HALF, HALF])}),
            ("parents None", {"a": (None, HALF)}),
            ("not a (parents, table) pair", {"a": HALF}),
            ("a table that disagrees with its parent's states", {"a": ((), HALF), "b": (("a",), [HALF] * 3)})]


def abc_factor(dims=None) -> G.Factor:
    return G.make_factor(("a", "b", "c"), np.arange(1.0, 13.0).reshape(2, 3, 2) / 78.0)


BAD_FACTOR = [("None", None), ("a string", "seven"), ("a table", np.ones((2, 2)))]


def chain_mrf(dims) -> BP.PairwiseMRF:
    n, K = dims["n"], dims["K"]
    rng = np.random.default_rng(n * 10 + K)
    return BP.make_pairwise_mrf(rng.uniform(0.5, 2.0, (n, K)), [(i, i + 1) for i in range(n - 1)],
                                rng.uniform(0.5, 2.0, (n - 1, K, K)))


BAD_MRF = [("None", None), ("a string", "seven"), ("a factor", G.make_factor(("a",), [1.0, 1.0]))]


def grid(dims):
    return dims["r"], dims["c"]


GRID = Fixed(grid, uses=("r", "c"), wrong=[("None", None), ("a string", "seven"), ("one entry", (2,)),
                                           ("a zero side", (0, 2)), ("a fraction", (1.5, 2))])
SMALL_GRID = Fixed(grid, uses=("r", "c"), wrong=GRID.wrong + [("17 sites", (1, 17))])   # enumerated: <= 16 sites
GRID_DIMS = {"r": (1, 3), "c": (1, 3)}

# ======================================== graphical ========================================================
# -- factors ------------------------------------------------------------------------------------------------
declare(G.make_factor,
        variables=Fixed(lambda dims: ("a", "b"), wrong=[("None", None), ("a duplicate", ("a", "a")),
                                                         ("not strings", (1, 2)), ("one too few", ("a",)),
                                                         ("an empty name", ("a", ""))]),
        table=Array(("p", "q"), low=0.0))
# the constructor checks what make_factor checks (a reader may build a Factor directly)
declare(G.Factor,
        variables=Fixed(lambda dims: ("a", "b"), wrong=[("None", None), ("a duplicate", ("a", "a")),
                                                         ("not strings", (1, 2)), ("one too few", ("a",)),
                                                         ("an empty name", ("a", ""))]),
        table=Array(("p", "q"), low=0.0))
declare(star(G.factor_product, "factors"),
        factors=Fixed(lambda dims: [abc_factor(), G.make_factor(("c", "d"), np.ones((2, 4)))],
                      wrong=[("no factors", []), ("a None factor", [None]), ("a string factor", ["seven"]),
                             ("disagreeing on a variable's states",
                              [abc_factor(), G.make_factor(("a",), np.ones(5))])]))
declare(G.marginalize, factor=Fixed(abc_factor, wrong=BAD_FACTOR),
        variables=Fixed(lambda dims: ["a", "c"], wrong=[("None", None), ("an unknown variable", ["z"]),
                                                         ("a repeated variable", ["a", "a"]), ("a number", 3)]))
declare(G.condition, factor=Fixed(abc_factor, wrong=BAD_FACTOR),
        evidence=Fixed(lambda dims: {"b": 2, "z": 0},      # variables not in the factor are ignored (docstring)
                       wrong=[("None", None), ("a string", "seven"), ("a state out of range", {"b": 3}),
                              ("a negative state", {"a": -1}), ("a fraction", {"a": 0.5})]))
declare(G.normalize, factor=Fixed(abc_factor, wrong=BAD_FACTOR + [("summing to zero",
                                                                   G.make_factor(("a",), [0.0, 0.0]))]))

# -- exact inference on the sprinkler network ----------------------------------------------------------------
FACTORS = Fixed(lambda dims: G.bn_factors(sprinkler_cpds()),
                wrong=[("None", None), ("an empty list", []), ("a string", "seven"), ("a None factor", [None]),
                       ("disagreeing on a variable's states",
                        G.bn_factors(sprinkler_cpds()) + [G.make_factor(("C",), [0.2, 0.3, 0.5])])])
QUERY = Choice(("C", "S", "R"))
EVIDENCE = Fixed(lambda dims: {"W": 1}, wrong=[("a string", "seven"), ("an unknown variable", {"Z": 0}),
                                               ("a state out of range", {"W": 2}), ("a fraction", {"W": 0.5}),
                                               ("a list", [1])])
QUERY_REL = [("query", "an observed variable", lambda a: "W"), ("query", "a repeated variable", lambda a: ["C", "C"]),
             ("query", "an empty list", lambda a: [])]
declare(G.enumerate_query, factors=FACTORS, query=QUERY, evidence=EVIDENCE, relations=QUERY_REL)
declare(G.variable_elimination, factors=FACTORS, query=QUERY, evidence=EVIDENCE,
        order=Fixed(lambda dims: None, wrong=[("a string", "seven"), ("a missing variable", ["C"]),
                                              ("a number", 3)]),
        relations=QUERY_REL)

# -- the Ising grid -------------------------------------------------------------------------------------------
declare(G.ising_energy, x=Spins(("m", "r", "c"), any_shape=True), J=Real(), h=Real(),
        relations=[("x", "one axis too few", lambda a: np.ones(3))])
declare(G.ising_states, shape=SMALL_GRID, dims=GRID_DIMS)
declare(G.ising_exact, shape=SMALL_GRID, J=Real(), h=Real(), dims=GRID_DIMS)
declare(G.ising_gibbs, shape=GRID, J=Real(), h=Real(), n_sweeps=Int(1, None, draw=(1, 10)), rng=Rng(),
        x0=Spins(("r", "c"), optional=True), dims=GRID_DIMS)
declare(G.ising_factors, shape=GRID, J=Real(), h=Real(), dims=GRID_DIMS)
declare(G.ising_sweep_kernel, shape=Fixed(grid, uses=("r", "c"), wrong=GRID.wrong + [("13 sites", (1, 13))]),
        J=Real(), h=Real(), dims={"r": (1, 2), "c": (1, 3)})             # a 2**sites square matrix: keep it small
declare(G.onsager_magnetisation, J=Real())

# -- independence -------------------------------------------------------------------------------------------
NODES = ("C", "S", "R", "W")
declare(G.conditionally_independent, joint=Fixed(abc_factor, wrong=BAD_FACTOR + [
            ("not normalised", G.make_factor(("a", "b", "c"), np.ones((2, 3, 2))))]),
        x=Choice(("a", "b", "c")), y=Choice(("a", "b", "c")),
        given=Fixed(lambda dims: (), wrong=[("None", None), ("an unknown variable", ("z",)), ("a number", 3)]),
        atol=Real(0.0, None, draw=(0.0, 1e-6)),
        where=lambda a: a["x"] != a["y"],
        relations=[("y", "equal to x", lambda a: a["x"]), ("given", "holding x", lambda a: (a["x"],)),
                   ("given", "a repeated variable",
                    lambda a: (({"a", "b", "c"} - {a["x"], a["y"]}).pop(),) * 2)])
declare(G.d_separated,
        parents=Fixed(lambda dims: dict(SPRINKLER_PARENTS),
                      wrong=[("None", None), ("a string", "seven"), ("a directed cycle",
                                                                     {"C": ("W",), "S": ("C",), "R": ("C",),
                                                                      "W": ("S", "R")}),
                             ("a parent that is not a node", {"C": ("Z",), "S": ("C",), "R": ("C",),
                                                              "W": ("S", "R")}),
                             ("parents None", {"C": None, "S": ("C",), "R": ("C",), "W": ("S", "R")})]),
        x=Choice(NODES), y=Choice(NODES),
        given=Fixed(lambda dims: (), wrong=[("None", None), ("an unknown node", ("Z",)), ("a number", 3)]),
        where=lambda a: a["x"] != a["y"],
        relations=[("y", "equal to x", lambda a: a["x"]), ("given", "holding x", lambda a: (a["x"],))])

# -- Bayesian networks ----------------------------------------------------------------------------------------
CPD_PROB = Real(0.0, 1.0)
declare(G.sprinkler_joint, c=CPD_PROB, s=Array((2,), low=0.0, high=1.0), r=Array((2,), low=0.0, high=1.0),
        w=Array((2, 2), low=0.0, high=1.0))
declare(G.table_probability,
        P=Fixed(lambda dims: G.sprinkler_joint(0.5, (0.5, 0.1), (0.2, 0.8), np.array([[0.0, 0.9], [0.9, 0.99]])),
                wrong=[("None", None), ("a string", "seven"), ("a list", [0.5, 0.5]),
                       ("states of another length", {(0, 1): 0.5, (1, 0): 0.5})]),
        names=Fixed(lambda dims: "CSRW", wrong=[("None", None), ("a number", 3), ("too short", "CSR"),
                                                ("a repeated letter", "CCRW")]))
ALARM = Real(0.0, 1.0, draw=(0.01, 0.99))   # [0, 1]; the ends make some conditionals undefined (probability 0)
declare(G.alarm_posteriors, p_b=ALARM, p_e=ALARM, false_alarm=ALARM, hit_b=ALARM, hit_e=ALARM)
declare(G.topological_order, cpds=Fixed(sprinkler_cpds, wrong=BAD_CPDS))
declare(G.bn_factors, cpds=Fixed(sprinkler_cpds, wrong=BAD_CPDS))
declare(G.ancestral_sample, cpds=Fixed(sprinkler_cpds, wrong=BAD_CPDS), n=Int(1, None, draw=(1, 50)), rng=Rng())

# -- latent Dirichlet allocation ------------------------------------------------------------------------------
declare(G.lda_generate, n_docs=Int(1, None, draw=(1, 5)), doc_length=Int(1, None, draw=(1, 8)),
        phi=Stochastic(("K", "V")), alpha=Positive(draw=(0.1, 5.0)), rng=Rng())
# n_topics >= 1 and n_words >= 1 may exceed the ids used; valid draws take them equal to K and V, so that an id
# equal to K (or V), the Labels kinds' bad value, is out of range
COUNT_ARGS = dict(docs=Labels(("D", "N"), "V"), z=Labels(("D", "N"), "K"),
                  n_topics=Int(1, None, draw=("K", "K")), n_words=Int(1, None, draw=("V", "V")))
COUNT_REL = [("n_topics", "equal to the largest topic in z", lambda a: int(a["z"].max())),
             ("n_words", "equal to the largest word id in docs", lambda a: int(a["docs"].max()))]
declare(G.lda_counts, **COUNT_ARGS, relations=COUNT_REL)
declare(G.lda_log_joint, **COUNT_ARGS, alpha=Positive(), beta=Positive(), relations=COUNT_REL)
COUNTS = Array(("K",), low=0.0, integer=True, draw=(0, 10))
declare(G.lda_conditional, ndk_d=COUNTS, nkw_w=COUNTS, nk=COUNTS, alpha=Positive(), beta=Positive(),
        n_words=Int(1, None, draw=(1, 20)))
declare(G.lda_collapsed_gibbs, docs=Labels(("D", "N"), "V"), n_topics=Int(1, None, draw=(1, 4)),
        n_words=Int(1, None, draw=("V", "V")), alpha=Positive(), beta=Positive(),
        n_iter=Int(0, None, draw=(0, 4)), rng=Rng(),
        keep_trace=Fixed(lambda dims: True, wrong=[("a string", "seven"), ("a number", 3.0)]),
        relations=[("n_words", "equal to the largest word id in docs", lambda a: int(a["docs"].max()))])
declare(G.match_topics, estimated=Stochastic(("K", "V")), true=Stochastic(("K", "V")))

# ======================================== mcmc =============================================================
PAIR = Array((2,))
declare(M.gibbs_bivariate_normal, rho=OPEN_CORR, n_steps=Int(1, None, draw=(1, 30)), rng=Rng(), x0=PAIR,
        mu=PAIR, sigma=Array((2,), low=0.0, low_open=True),
        relations=[("sigma", "a zero entry", lambda a: np.array([0.0, 1.0])),
                   ("x0", "three entries", lambda a: np.zeros(3)), ("mu", "three entries", lambda a: np.zeros(3)),
                   ("sigma", "three entries", lambda a: np.ones(3))])
declare(M.zigzag, samples=Array(("n", 2)), relations=[("samples", "three columns", lambda a: np.zeros((3, 3)))])
declare(M.autocorrelation, x=Array(("n",)), max_lag=Int(0, lambda dims: dims["n"] - 1), dims={"n": (2, 8)},
        where=lambda a: np.ptp(a["x"]) > 0, relations=[("x", "constant", lambda a: np.ones_like(a["x"]))])
declare(M.synchronous_bivariate_normal, rho=OPEN_CORR, n_steps=Int(1, None, draw=(1, 30)), rng=Rng(), x0=PAIR,
        relations=[("x0", "three entries", lambda a: np.zeros(3))])
declare(M.var1_standard_errors, A=Array(("d", "d"), draw=(-0.15, 0.15)), cov=SPD("d"),
        n=Int(1, None, draw=(1, 1000)), max_lag=Int(0, None, draw=(0, 50)),
        relations=[("A", "not stable (spectral radius 2)", lambda a: 2.0 * np.eye(len(a["A"])))])
declare(M.coordinate_kernel, p=ProbVector(4), coord=Int(0, 1))
declare(M.total_variation, p=ProbVector("k"), q=ProbVector("k"))

# ======================================== partition ========================================================
BETA = Array(("m",), low=0.0, low_open=True, any_shape=True, draw=(0.1, 3.0))   # any shape, > 0
declare(P.ising_ring_energy, states=Spins(("M", "n")), J=Real(), h=Real())
declare(P.ising_ring_log_z, n=Int(1, P.MAX_SPINS, draw=(1, 8)), J=Real(), h=Real(), beta=BETA)
declare(P.ising_ring_log_z_transfer, n=Int(1, None, draw=(1, 60)), J=Real(), h=Real(), beta=BETA)
declare(P.ising_ring_moments, n=Int(1, P.MAX_SPINS, draw=(1, 8)), J=Real(), h=Real(), beta=Positive(draw=(0.1, 3.0)))

# ======================================== belief_propagation ===============================================
MRF_DIMS = {"n": (2, 5), "K": (2, 4)}
declare(BP.make_pairwise_mrf, unary=Array(("n", "K"), low=0.0, low_open=True),
        edges=Fixed(lambda dims: [(i, i + 1) for i in range(dims["n"] - 1)],
                    wrong=[("None", None), ("a string", "seven"), ("a self-loop", [(0, 0)]),
                           ("a node out of range", [(0, 99)]), ("a repeated pair", [(0, 1), (1, 0)]),
                           ("a triple", [(0, 1, 2)]), ("a fractional node", [(0.5, 1)])]),
        pairwise=Array((lambda dims: dims["n"] - 1, "K", "K"), low=0.0, low_open=True),
        relations=[first_entry("unary", "a zero entry", 0.0), ("unary", "one state", lambda a: a["unary"][:, :1])],
        dims=MRF_DIMS)
# the constructor checks what make_pairwise_mrf checks
declare(BP.PairwiseMRF, unary=Array(("n", "K"), low=0.0, low_open=True),
        edges=Fixed(lambda dims: tuple((i, i + 1) for i in range(dims["n"] - 1)),
                    wrong=[("None", None), ("a string", "seven"), ("a self-loop", [(0, 0)]),
                           ("a node out of range", [(0, 99)]), ("a repeated pair", [(0, 1), (1, 0)]),
                           ("a triple", [(0, 1, 2)]), ("a fractional node", [(0.5, 1)])]),
        pairwise=Array((lambda dims: dims["n"] - 1, "K", "K"), low=0.0, low_open=True),
        relations=[first_entry("unary", "a zero entry", 0.0), ("unary", "one state", lambda a: a["unary"][:, :1])],
        dims=MRF_DIMS)
declare(BP.pairwise_mrf_from_factors,
        factors=Fixed(lambda dims: G.ising_factors((2, 2), 0.3, 0.1),
                      wrong=[("None", None), ("an empty list", []), ("a string", "seven"), ("a None factor", [None]),
                             ("a three-variable factor", [abc_factor()]),
                             ("factors with different numbers of states",
                              [G.make_factor(("a",), HALF), G.make_factor(("b",), [0.2, 0.3, 0.5])])]),
        variables=Fixed(lambda dims: None, wrong=[("a list missing a variable", ["0,0"]), ("a string", "seven"),
                                                  ("a repeated variable", ["0,0", "0,0", "0,1", "1,0", "1,1"])]))
declare(BP.mrf_factors, mrf=Fixed(chain_mrf, uses=("n", "K"), wrong=BAD_MRF),
        names=Fixed(lambda dims: None, wrong=[("too few names", ["a"]), ("a string", "seven"),
                                              ("repeated names", ["a"] * 5 + ["b"])]),
        dims=MRF_DIMS)
declare(BP.is_tree, mrf=Fixed(chain_mrf, uses=("n", "K"), wrong=BAD_MRF), dims=MRF_DIMS)
declare(BP.belief_propagation, mrf=Fixed(chain_mrf, uses=("n", "K"), wrong=BAD_MRF),
        n_iters=Int(0, None, draw=(0, 20)), mode=Choice(("sum", "max")), damping=Real(0.0, 1.0, high_open=True),
        tol=Real(0.0, None, draw=(0.0, 1e-3)), dims=MRF_DIMS)

# ======================================== power ============================================================
SIGMA = Positive(draw=(0.1, 5.0))
declare(W.z_power, effect=Real(), sigma=SIGMA, n=Int(1, None, draw=(1, 200)), alpha=OPEN_UNIT,
        alternative=ALTERNATIVE)


def _reachable(a) -> bool:
    e, alt = a["effect"], a["alternative"]
    return (abs(e) >= 0.1 and a["power"] > a["alpha"]
            and (alt == "two-sided" or (alt == "greater") == (e > 0)))


declare(W.z_sample_size, effect=Real(draw=(-3.0, 3.0)), sigma=SIGMA, power=OPEN_UNIT, alpha=OPEN_UNIT,
        alternative=ALTERNATIVE, where=_reachable,
        relations=[("effect", "zero", lambda a: 0.0), ("power", "equal to alpha", lambda a: a["alpha"])])
declare(W.z_error_rates, delta=Real(), sigma=SIGMA, n=Int(1, None, draw=(1, 20)), alpha=OPEN_UNIT,
        reps=Int(1, None, draw=(1, 50)), rng=Rng())
declare(W.z_type1_rate, sample=Func(lambda dims: lambda rng, shape: rng.normal(size=shape)),
        n=Int(1, None, draw=(1, 20)), mu0=Real(), sigma=SIGMA, alpha=OPEN_UNIT, reps=Int(1, None, draw=(1, 50)),
        rng=Rng(), alternative=ALTERNATIVE,
        relations=[("sample", "returning the wrong shape", lambda a: lambda rng, shape: np.zeros(3))])
declare(W.two_sample_type1_rates, n1=Int(2, None, draw=(2, 20)), n2=Int(2, None, draw=(2, 20)),
        sd_ratio=SIGMA, alpha=OPEN_UNIT, reps=Int(1, None, draw=(1, 50)), rng=Rng())
declare(W.two_sample_type1_exact, n1=Int(2, None, draw=(2, 60)), n2=Int(2, None, draw=(2, 60)),
        sd_ratio=SIGMA, alpha=OPEN_UNIT, nodes=Int(2, None, draw=(2, 80)))
declare(W.chi2_gof_exact_size, n=Int(1, None, draw=(1, 30)), p=ProbVector("k"), alpha=OPEN_UNIT,
        cap=Int(0, None, draw=(0, 6)), dims={"k": (2, 4)},
        relations=[("p", "one category", lambda a: np.array([1.0])),
                   ("p", "a zero entry", lambda a: np.eye(len(a["p"]))[0]),
                   ("cap", "too many outcomes", lambda a: 10**7)])

# ======================================== variational ======================================================
declare(V.forward_kl_fit, weights=ProbVector("k"), means=Array(("k",)), sds=Array(("k",), low=0.0, low_open=True),
        relations=[("sds", "a zero entry", lambda a: np.zeros(len(a["sds"])))])
GRID41 = np.linspace(-6.0, 6.0, 41)
declare(V.reverse_kl_fit,
        grid=Fixed(lambda dims: GRID41.copy(),
                   wrong=[("None", None), ("a string", "seven"), ("two points", np.array([0.0, 1.0])),
                          ("not increasing", GRID41[::-1].copy()), ("not uniform", GRID41 ** 3 / 36.0),
                          ("a NaN entry", np.where(np.arange(41) == 0, np.nan, GRID41)),
                          ("one axis too many", GRID41[:, None])]),
        log_p=Fixed(lambda dims: np.where(GRID41 < -5, -np.inf, stats.norm.logpdf(GRID41, 1.0, 1.5)),  # -inf allowed
                    wrong=[("None", None), ("a string", "seven"), ("a NaN entry", np.full(41, np.nan)),
                           ("a +inf entry", np.full(41, np.inf)), ("a different length", np.zeros(7)),
                           ("one axis too many", np.zeros((41, 1)))]),
        starts=Fixed(lambda dims: np.array([[0.0, 1.0], [2.0, 0.5]]),
                     wrong=[("None", None), ("a string", "seven"), ("a zero sd", np.array([[0.0, 0.0]])),
                            ("a negative sd", np.array([[0.0, -1.0]])), ("a NaN entry", np.array([[np.nan, 1.0]])),
                            ("three columns", np.ones((1, 3))), ("one axis too few", np.array([0.0, 1.0])),
                            ("empty", np.zeros((0, 2)))]),
        xatol=Positive(draw=(1e-4, 1e-2)), fatol=Positive(draw=(1e-8, 1e-4)))
SIGMA_D = SPD("d")
declare(V.mean_field_kl, m=Array(("d",), any_shape=True), s=Array(("d",), low=0.0, low_open=True, any_shape=True),
        mu=Array(("d",)), Sigma=SIGMA_D)
declare(V.cavi_gaussian, mu=Array(("d",)), Sigma=SIGMA_D, m0=Array(("d",)), n_sweeps=Int(0, None, draw=(0, 20)))
MODEL = dict(x=Array(("n",)), tau=Positive(), sigma=Positive())
declare(V.elbo_normal_mean, **MODEL, m=Real(), s=Positive())
declare(V.elbo_normal_mean_grad, **MODEL, m=Real(), s=Positive())
declare(V.elbo_normal_mean_mc, **MODEL, m=Real(), s=Positive(), n_samples=Int(2, None, draw=(2, 200)), rng=Rng())
declare(V.reparam_vi_normal_mean, x=Array(("n",)), tau=Positive(draw=(0.5, 5.0)), sigma=Positive(draw=(0.5, 5.0)),
        n_steps=Int(2, None, draw=(2, 60)), n_pairs=Int(1, None, draw=(1, 8)), lr=Positive(draw=(1e-3, 0.05)),
        rng=Rng())

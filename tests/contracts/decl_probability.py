"""Declarations: ``algorithms.probability.distributions`` and ``algorithms.probability.divergences``."""

from __future__ import annotations

import numpy as np
from scipy import stats

from mlsheet_utils.algorithms.probability import distributions as D
from mlsheet_utils.algorithms.probability import divergences as K
from tests.contracts.kinds import SPD, Array, Fixed, Func, Int, Positive, ProbVector, Real, Rng
from tests.contracts.registry import declare, ordered

COVERS = ("mlsheet_utils.algorithms.probability.distributions", "mlsheet_utils.algorithms.probability.divergences")
# records: results the functions return (no reader builds one)
RECORDS = (D.Moments, K.MCEstimate)

PROB = Real(0.0, 1.0)
INNER_PROB = Real(0.0, 1.0, draw=(0.01, 0.99))   # [0, 1] is valid; draws stay inside, where answers are finite
SIZE = Int(0, None, draw=(0, 6))
# evaluation points: any shape; +-inf is outside every support (log-density -inf), NaN is wrong


def points(low=-3.0, high=3.0, **kw):
    """Evaluation points: every real is valid; valid draws come from [low, high]."""
    return Array(("m",), allow_inf=True, any_shape=True, draw=(low, high), **kw)


# -- log-densities and log-pmfs: any real point (outside the support: -inf), a NaN point is wrong -------------
declare(D.bernoulli_logpmf, k=points(0, 1, integer=True), p=INNER_PROB)
declare(D.binomial_logpmf, k=points(0, 12, integer=True), n=Int(0, None, draw=(0, 12)), p=INNER_PROB,
        finite=False)                                     # k > n is outside the support: -inf
declare(D.poisson_logpmf, k=points(0, 10, integer=True), lam=Positive())
declare(D.normal_logpdf, x=points(), mu=Real(), var=Positive())
declare(D.exponential_logpdf, x=points(0.0, 5.0), rate=Positive())
declare(D.gamma_logpdf, x=points(0.01, 5.0), shape=Positive(), rate=Positive())
declare(D.beta_logpdf, x=points(0.05, 0.95), a=Positive(), b=Positive())
declare(D.uniform_logpdf, x=points(), low=Real(), high=Real(), where=lambda a: a["low"] < a["high"],
        relations=ordered("low", "high"), finite=False)   # outside [low, high]: -inf
declare(D.mvn_logpdf, x=Array(("n", "d")), mean=Array(("d",)), cov=SPD("d"))
declare(D.wishart_logpdf, X=SPD("d"), V=SPD("d"),
        nu=Real(lambda dims: dims["d"] - 1.0, low_open=True, draw=(lambda dims: dims["d"] + 0.5, 20.0)),
        dims={"d": (1, 4)})

# -- samplers ---------------------------------------------------------------------------------------------
declare(D.sample_uniform, rng=Rng(), low=Real(), high=Real(), size=SIZE, where=lambda a: a["low"] < a["high"],
        relations=ordered("low", "high"))
declare(D.sample_normal, rng=Rng(), mu=Real(), var=Real(0.0, None, draw=(0.0, 10.0)), size=SIZE)
declare(D.sample_exponential, rng=Rng(), rate=Positive(), size=SIZE)
declare(D.sample_poisson, rng=Rng(), lam=Real(0.0, D.MAX_POISSON_LAM, low_open=True, draw=(0.01, 50.0)), size=SIZE)
declare(D.sample_gamma, rng=Rng(), shape=Positive(), rate=Positive(), size=SIZE)
declare(D.sample_beta, rng=Rng(), a=Positive(), b=Positive(), size=SIZE)
declare(D.sample_bernoulli, rng=Rng(), p=PROB, size=SIZE)
declare(D.sample_binomial, rng=Rng(), n=Int(0, 10000, draw=(0, 50)), p=PROB, size=SIZE)
declare(D.sample_mvn, rng=Rng(), mean=Array(("d",)), cov=SPD("d"), size=SIZE)
declare(D.sample_discrete, rng=Rng(), values=Fixed(lambda dims: np.arange(dims["k"], dtype=float),
                                                    wrong=[("not increasing", np.array([1.0, 0.0]))], uses=("k",)),
        probs=ProbVector("k"), size=SIZE)
declare(D.poisson_process_counts, rng=Rng(), rate=Positive(), length=Real(0.0), size=SIZE)
declare(D.sample_mixture, rng=Rng(), weights=ProbVector("k"),
        parts=Fixed(lambda dims: [stats.norm(j, 1.0) for j in range(dims["k"])],
                    wrong=[("None", None)], uses=("k",)),
        size=SIZE)

# -- the rest -------------------------------------------------------------------------------------------------
declare(D.discrete_moments, values=Fixed(lambda dims: np.arange(dims["k"], dtype=float),
                                         wrong=[("not increasing", np.array([1.0, 0.0])), ("None", None)], uses=("k",)),
        probs=ProbVector("k"))
declare(D.pushforward_pdf, y=points(0.1, 4.0),
        pdf_x=Func(lambda dims: stats.norm.pdf),
        branches=Fixed(lambda dims: [(np.sqrt, lambda y: 0.5 / np.sqrt(y)),
                                     (lambda y: -np.sqrt(y), lambda y: -0.5 / np.sqrt(y))],
                       wrong=[("None", None), ("an empty list", []), ("not callables", [(1.0, 2.0)])]))
declare(D.finite_law, rv=Func(lambda dims: lambda w: w % 2),
        pmf=Fixed(lambda dims: {i: 1.0 / dims["k"] for i in range(dims["k"])}, uses=("k",),
                  wrong=[("None", None), ("summing to 0.5", {0: 0.25, 1: 0.25}), ("a negative entry",
                                                                                     {0: -0.5, 1: 1.5})]))
declare(D.mixture_pdf, x=points(), weights=ProbVector("k"),
        parts=Fixed(lambda dims: [stats.norm(j, 1.0) for j in range(dims["k"])], wrong=[("None", None)],
                    uses=("k",)))

# -- divergences -------------------------------------------------------------------------------------------
declare(K.kl_gaussian, mu1=Real(), sigma1=Positive(), mu2=Real(), sigma2=Positive())
declare(K.kl_mvn, mean1=Array(("d",)), cov1=SPD("d"), mean2=Array(("d",)), cov2=SPD("d"))
declare(K.kl_categorical, p=ProbVector("k", any_shape=True), q=ProbVector("k", any_shape=True))
declare(K.kl_bernoulli, p=INNER_PROB, q=INNER_PROB)
declare(K.kl_grid, log_p=Fixed(lambda dims: stats.norm.logpdf(np.linspace(-8, 8, 201)),
                               wrong=[("None", None), ("a NaN entry", np.full(201, np.nan))]),
        log_q=Fixed(lambda dims: stats.norm.logpdf(np.linspace(-8, 8, 201), 1.0, 2.0),
                    wrong=[("None", None), ("a different length", np.zeros(7))]),
        dx=Fixed(lambda dims: 16 / 200, wrong=[("None", None), ("zero", 0.0), ("negative", -0.1),
                                                ("NaN", float("nan"))]))
declare(K.kl_monte_carlo, sample_p=Func(lambda dims: lambda n, rng: rng.normal(size=n)),
        logpdf_p=Func(lambda dims: stats.norm.logpdf),
        logpdf_q=Func(lambda dims: lambda x: stats.norm.logpdf(x, 0.5, 1.5)),
        n_samples=Int(2, None, draw=(2, 200)), rng=Rng())
declare(K.hellinger, p=ProbVector("k", any_shape=True), q=ProbVector("k", any_shape=True))

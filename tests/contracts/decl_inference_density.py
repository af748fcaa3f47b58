"""Declarations: ``algorithms.probability.inference``, ``algorithms.probability.density`` and
``algorithms.probability.limits``."""

from __future__ import annotations

import numpy as np
from scipy import stats

from mlsheet_utils.algorithms.probability import density as KD
from mlsheet_utils.algorithms.probability import inference as I  # noqa: E741 - the module's short name
from mlsheet_utils.algorithms.probability import limits as L
from tests.contracts.kinds import (
    SPD,
    Array,
    Choice,
    Fixed,
    Func,
    Increasing,
    Int,
    IntArray,
    Labels,
    Positive,
    Real,
    Rng,
)
from tests.contracts.registry import declare, star

COVERS = ("mlsheet_utils.algorithms.probability.inference", "mlsheet_utils.algorithms.probability.density",
          "mlsheet_utils.algorithms.probability.limits")
# records: results the functions return (no reader builds one)
RECORDS = (I.BetaParams, I.GammaParams, I.DirichletParams, I.NormalParams, I.NIGParams, I.WishartParams,
           I.Derivatives, I.NewtonResult, I.ByEstimator, KD.KDEMoments, L.MonteCarloResult)

PROB = Real(0.0, 1.0)                              # [0, 1], ends included
OPEN_PROB = Real(0.0, 1.0, low_open=True, high_open=True)
BINARY = IntArray(("n",), 0, 1)                    # observations in {0, 1}
COUNTS = IntArray(("n",), 0, None, draw=(0, 10))   # non-negative integer counts


def anything(shape=("m",), **kw):
    """An array of any shape (broadcasting arguments): an extra axis is not wrong."""
    return Array(shape, any_shape=True, **kw)


def nu_above(sym: str) -> Real:
    """Degrees of freedom > d - 1 (a Wishart's)."""
    return Real(lambda dims: dims[sym] - 1.0, low_open=True, draw=(lambda dims: dims[sym] + 0.5, 20.0))


# == inference ==============================================================================================

# -- conjugate updates --------------------------------------------------------------------------------------
declare(I.beta_bernoulli, a=Positive(), b=Positive(), x=BINARY)
declare(I.gamma_poisson, alpha=Positive(), beta=Positive(), x=COUNTS)
declare(I.dirichlet_categorical, alpha=Array(("k",), low=0.0, low_open=True),
        x=Labels(("n",), "k"), dims={"k": (2, 5)},
        relations=[("alpha", "a single concentration", lambda a: np.ones(1))])
declare(I.normal_known_variance, mu0=Real(), tau0_sq=Positive(), x=Array(("n",)), sigma_sq=Positive())
declare(I.normal_inverse_gamma, mu0=Real(), lam=Positive(), alpha=Positive(), beta=Positive(), x=Array(("n",)))
declare(I.wishart_precision, V=SPD("d"), nu=nu_above("d"), X=Array(("n", "d")), mean=Array(("d",)),
        dims={"d": (1, 4)})
declare(I.inverse_wishart_covariance, Psi=SPD("d"), nu=nu_above("d"), X=Array(("n", "d")), mean=Array(("d",)),
        dims={"d": (1, 4)})
declare(I.sequential, update=Func(lambda dims: I.beta_bernoulli),
        prior=Fixed(lambda dims: (1.0, 1.0),
                    wrong=[("None", None), ("a number", 3.0), ("a string", "ab"),
                           ("too few hyperparameters", (1.0,)), ("a negative hyperparameter", (-1.0, 1.0))]),
        data=Array(("n",), low=0.0, high=1.0, integer=True))


# -- posteriors on a grid: ``grid_posterior(log_unnormalised, *grids)`` takes its grids positionally: the
# declaration passes them as one tuple ``grids``
declare(star(I.grid_posterior, "grids"), log_unnormalised=Array(("m",)),
        grids=Fixed(lambda dims: (np.linspace(0.0, 1.0, dims["m"]),), uses=("m",),
                    wrong=[("None", None), ("no grid", ()), ("two grids for one axis", (np.arange(9.0),) * 2),
                           ("a decreasing grid", (np.arange(9.0)[::-1],)), ("a grid of the wrong length",
                                                                            (np.arange(9.0),))]),
        dims={"m": (2, 6)})
declare(I.bernoulli_log_likelihood, p=anything(low=0.0, high=1.0, draw=(0.01, 0.99)), x=BINARY)
declare(I.poisson_log_likelihood, lam=anything(low=0.0, draw=(0.01, 10.0)), x=COUNTS)
declare(I.normal_log_likelihood, mu=anything(), var=anything(low=0.0, low_open=True), x=Array(("n",)),
        dims={"m": (2, 5)})              # m >= 2: a size m + 1 does not broadcast against m


# -- maximum likelihood ----------------------------------------------------------------------------------------
def _concave_quadratic(dims):
    return lambda t: I.Derivatives(float(-t @ t / 2), -t, -np.eye(t.size))


declare(I.newton_maximize, fun=Func(_concave_quadratic), theta0=Array(("p",)),
        tol=Positive(draw=(1e-12, 1.0)), max_iter=Int(1, None, draw=(1, 50)))
declare(I.normal_log_likelihood_derivatives, theta=Array((2,)), x=Array(("n",)),
        relations=[("theta", "3 entries", lambda a: np.zeros(3))])
declare(I.poisson_log_likelihood_derivatives, theta=Array((1,)), x=COUNTS,
        relations=[("theta", "2 entries", lambda a: np.zeros(2))])
declare(I.gaussian_mle, x=Array(("n",)), theta0=Array((2,), draw=(-3.0, 3.0)), dims={"n": (2, 6)},
        where=lambda a: np.ptp(a["x"]) > 1e-3,
        relations=[("x", "one value", lambda a: np.ones(1)), ("x", "constant", lambda a: np.ones(4)),
                   ("theta0", "3 entries", lambda a: np.zeros(3))])

# -- point estimates and MAP -------------------------------------------------------------------------------------
declare(I.beta_mode, a=anything(low=0.0, low_open=True), b=anything(low=0.0, low_open=True),
        dims={"m": (2, 5)}, finite=False)                # NaN where the Beta has no mode (documented)
# k <= n: n's entries are drawn from [10, 20], k's from [0, 10]
declare(I.coin_estimates, k=IntArray(("m",), 0, None, draw=(0, 10), any_shape=True),
        n=IntArray(("m",), 0, None, draw=(10, 20), any_shape=True), a=Positive(), b=Positive(),
        dims={"m": (2, 5)}, relations=[("k", "above n", lambda a: a["n"] + 1)])
declare(I.estimator_mse, p_true=PROB, n=Int(1, None, draw=(1, 30)), a=Positive(), b=Positive(),
        reps=Int(1, None, draw=(1, 50)), rng=Rng())
declare(I.ridge_map, X=Array(("n", "d")), y=Array(("n",)), sigma2=Positive(), tau2=Positive())

# -- intervals for a proportion: n is drawn as the dimension N, k's entries in [0, N] ---------------------------
K_COUNTS = IntArray(("m",), 0, "N", any_shape=True)
N_TRIALS = Int(1, None, draw=("N", "N"))
BELOW_K = [("n", "below the largest k", lambda a: int(a["k"].max()) - 1)]
declare(I.wald_interval, k=K_COUNTS, n=N_TRIALS, level=OPEN_PROB, dims={"N": (1, 20)}, relations=BELOW_K)
declare(I.wilson_interval, k=K_COUNTS, n=N_TRIALS, level=OPEN_PROB, dims={"N": (1, 20)}, relations=BELOW_K)
declare(I.credible_interval, k=K_COUNTS, n=N_TRIALS, a=Positive(), b=Positive(), level=OPEN_PROB,
        dims={"N": (1, 20)}, relations=BELOW_K)
declare(I.exact_coverage, interval=Func(lambda dims: I.wilson_interval), n=Int(1, None, draw=(1, 30)),
        p_grid=Array(("m",), low=0.0, high=1.0))
declare(I.simulated_coverage, interval=Func(lambda dims: I.wilson_interval), n=Int(1, None, draw=(1, 30)),
        p_true=PROB, reps=Int(1, None, draw=(1, 50)), rng=Rng())


# == density ================================================================================================

KERNEL = Choice(KD.KERNELS)

declare(KD.kernel_log_norm, kernel=KERNEL, d=Int(1, None, draw=(1, 10)))
# d >= 2: in one dimension every shape of x is valid (an extra axis, a last axis of d + 1 are not wrong there)
declare(KD.kde_log, x=Array(("m", "d")), data=Array(("n", "d")), bandwidth=Positive(),
        kernel=KERNEL, dims={"d": (2, 3)}, finite=False)  # -inf where a compact kernel puts no mass (documented)
declare(KD.kde, x=Array(("m", "d")), data=Array(("n", "d")), bandwidth=Positive(),
        kernel=KERNEL, dims={"d": (2, 3)})


def _spread(a) -> bool:
    return bool(np.ptp(a["data"], axis=0).min() > 1e-3)


SAMPLE = Array(("n", "d"))
SINGLE = [("data", "a single point", lambda a: np.ones((1, a["data"].shape[1])))]
declare(KD.scott_bandwidth, data=SAMPLE, dims={"n": (2, 6), "d": (1, 3)}, where=_spread,
        relations=SINGLE + [("data", "a constant 1-D sample", lambda a: np.ones(4))])
declare(KD.silverman_bandwidth, data=SAMPLE, robust=Choice((False, True)), dims={"n": (2, 6), "d": (1, 3)},
        where=lambda a: _spread(a) and (not a["robust"] or a["data"].shape[1] == 1),
        relations=SINGLE + [("data", "a constant 1-D sample", lambda a: np.ones(4))])
declare(KD.loo_log_likelihood, data=SAMPLE, bandwidths=Array(("k",), low=0.0, low_open=True), kernel=KERNEL,
        dims={"n": (2, 6), "d": (1, 3)}, finite=False,   # -inf where a compact kernel isolates a point (documented)
        relations=SINGLE)
# bandwidths wider than any two draws are apart: every kernel then gives every point a neighbour (finite scores)
_LOO_BANDWIDTHS = Array(("k",), low=0.0, low_open=True, draw=(20.0, 30.0))
_LOO_BANDWIDTHS.optional = True                      # None: the default grid
declare(KD.loo_bandwidth, data=SAMPLE, bandwidths=_LOO_BANDWIDTHS, kernel=KERNEL, dims={"n": (2, 6), "d": (1, 3)},
        relations=SINGLE)
declare(KD.ecdf, x=Array(("m",), allow_inf=True, any_shape=True), data=Array(("n",)))
declare(KD.kde_direct, x=Array(("m",)), data=Array(("n",)), h=Positive(), kernel=KERNEL)
declare(KD.kde_reflect, x=Array(("m",)), data=Array(("n",), draw=(0.0, 5.0)), h=Positive(),
        lower=Real(draw=(-3.0, 0.0)),
        relations=[("data", "below lower", lambda a: np.full(3, a["lower"] - 1.0)),
                   ("lower", "above the data", lambda a: float(a["data"].min()) + 1.0)])
declare(KD.kde_moments_normal, x=anything(), h=Positive(), n=Int(1, None, draw=(1, 100)))
declare(KD.cdf_from_pdf, pdf_values=Array(("m",), low=0.0), grid=Increasing("m"), dims={"m": (2, 6)},
        relations=[("grid", "a single point", lambda a: np.zeros(1))])
declare(KD.inverse_transform_sample, cdf_values=Increasing("m", strict=False, first=0.0, low=0.0), grid=Increasing("m"),
        size=Int(0, None, draw=(0, 6)), rng=Rng(), dims={"m": (2, 6)},
        relations=[("cdf_values", "zero everywhere", lambda a: np.zeros(a["grid"].size))])
declare(KD.ks_statistic, sample=Array(("n",)), cdf=Func(lambda dims: stats.norm.cdf))


# == limits =================================================================================================

SEQUENCES = Array(("n",), any_shape=True)              # shape (..., n): an extra axis is more sequences
declare(L.running_means, draws=SEQUENCES)
declare(L.standardized_sums, draws=SEQUENCES, mu=Real(), sigma=Positive())
declare(L.exact_ks_binomial, n=Int(1, None, draw=(1, 50)), p=OPEN_PROB)
declare(L.spread_ratio, quantiles=Increasing(4, strict=False),
        relations=[("quantiles", "3 values", lambda a: np.arange(3.0)),
                   ("quantiles", "q75 equal to q25", lambda a: np.array([0.0, 1.0, 1.0, 2.0]))])
declare(L.chebyshev_bound, sigma=anything(low=0.0), n=anything(low=1.0), eps=anything(low=0.0, low_open=True),
        dims={"m": (2, 5)})
declare(L.monte_carlo, f=Func(lambda dims: np.square), sampler=Func(lambda dims: lambda rng, n: rng.normal(size=n)),
        n=Int(2, None, draw=(2, 100)), rng=Rng())
PHI = Real(-1.0, 1.0, low_open=True, high_open=True)
declare(L.ar1, eps=Array(("r", "n")), phi=PHI)
N_OBS = IntArray(("m",), 1, None, draw=(1, 100), any_shape=True)
declare(L.var_mean_ar1, n=N_OBS, phi=PHI, sigma2=Positive())
declare(L.ess_ar1, n=N_OBS, phi=PHI)
declare(L.ess_estimate, x=Array(("r", "n")), dims={"n": (3, 8)},
        where=lambda a: bool(np.ptp(a["x"], axis=1).min() > 1e-3),
        relations=[("x", "too short", lambda a: np.arange(2.0)), ("x", "a constant series", lambda a: np.ones(5))])

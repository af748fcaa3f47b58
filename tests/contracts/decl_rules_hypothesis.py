"""Declarations: ``algorithms.probability.rules`` and ``algorithms.probability.hypothesis``."""

from __future__ import annotations

import numpy as np
from scipy import stats

from mlsheet_utils.algorithms.probability import hypothesis as H
from mlsheet_utils.algorithms.probability import rules as R
from tests.contracts.kinds import Array, Choice, Fixed, Int, JointTable, Mask, Positive, ProbVector, Real, Rng
from tests.contracts.registry import declare, first_entry

COVERS = ("mlsheet_utils.algorithms.probability.rules", "mlsheet_utils.algorithms.probability.hypothesis")
# records: results the functions return (no reader builds one)
RECORDS = (R.ProbabilityEstimate, R.MutualIndependence, R.VennLayout, R.ScreeningResult, R.Moments, H.TestResult,
           H.TwoSampleT, H.PermutationResult)

EVENT = Choice(sorted(R.DICE_EVENTS))
FLAG = Choice((True, False))
ALTERNATIVE = Choice(H.ALTERNATIVES)
ATOL = Real(0.0, None, draw=(0.0, 1e-6))
UNIT = Real(0.0, 1.0)                               # [0, 1], ends included
INNER_UNIT = Real(0.0, 1.0, draw=(0.01, 0.99))      # [0, 1] is valid; draws stay inside, where answers exist
JOINT = JointTable(("m", "n"))
FACES = Array(("m",), low=1, high=6, integer=True, any_shape=True)   # dice faces, "one shape" for a and b


def _varies(*names):
    """A valid draw whose named samples are not constant (a zero variance is a documented error)."""
    return lambda a: all(np.ptp(a[n]) > 1e-6 for n in names)


# == rules ===================================================================================================

# -- joint tables ---------------------------------------------------------------------------------------------
declare(R.check_joint, J=JOINT, atol=ATOL)
declare(R.marginals, J=JOINT)
declare(R.conditional, J=JOINT, given=Choice(("col", "row")))
declare(R.independence_gap, J=JOINT)
declare(R.dependent_table, px=ProbVector("m"), py=ProbVector("n"), strength=UNIT)

# -- events on two dice ----------------------------------------------------------------------------------------
declare(R.dice_space)
declare(R.event_mask, name=EVENT, a=FACES, b=FACES)
declare(R.exact_prob, mask=Mask((36,)), relations=[("mask", "35 outcomes", lambda a: a["mask"][:35])])
declare(R.roll_dice, n=Int(1, None, draw=(1, 50)), rng=Rng())
declare(R.roll_events, name_a=EVENT, name_b=EVENT, n=Int(1, None, draw=(1, 50)), rng=Rng())
declare(R.mc_prob, mask=Mask(("n",), any_shape=True))
declare(R.rule_estimates, mask_a=Mask(("n",)), mask_b=Mask(("n",)),
        finite=False)                                   # a conditional whose condition never occurred is NaN
declare(R.exact_rules, name_a=EVENT, name_b=EVENT,
        finite=False)                                   # (no named event is impossible, but the type says NaN)
declare(R.union_prob, masks=Mask(("k", "n")),
        relations=[("masks", "13 events", lambda a: np.ones((13, a["masks"].shape[1]), dtype=bool))])
declare(R.product_rule, mask_a=Mask(("n",), any_shape=True), mask_b=Mask(("n",), any_shape=True),
        where=lambda a: a["mask_b"].any(),              # B never occurring is a documented error
        relations=[("mask_b", "never true", lambda a: np.zeros_like(a["mask_b"]))])
declare(R.mutually_independent, masks=Mask(("k", "n")), atol=ATOL)
declare(R.circle_overlap_area, r1=Positive(), r2=Positive(), d=Array(("m",), low=0.0, any_shape=True, draw=(0.0, 25.0)))
declare(R.venn_layout, pa=Real(0.0, 1.0, low_open=True), pb=Real(0.0, 1.0, low_open=True),
        pab=Real(0.0, 1.0, draw=(0.0, 0.05)), where=lambda a: a["pab"] <= min(a["pa"], a["pb"]),
        relations=[("pab", "above min(pa, pb)", lambda a: min(a["pa"], a["pb"]) + 1e-3)])

# -- Bayes' rule --------------------------------------------------------------------------------------------------
declare(R.posterior, prior=ProbVector("K"), log_likelihood=Array(("N", "K"), allow_inf=True),
        relations=[first_entry("log_likelihood", "a +inf entry", np.inf),
                   ("log_likelihood", "a row of -inf",
                    lambda a: np.full(a["log_likelihood"].shape, -np.inf))])
declare(R.diagnostic_posterior, prevalence=Array(("m",), low=0.0, high=1.0, any_shape=True, draw=(0.01, 0.99)),
        sensitivity=INNER_UNIT, specificity=INNER_UNIT, positive=FLAG)
declare(R.simulate_test, n=Int(1, None, draw=(100, 300)), prevalence=Real(0.0, 1.0, draw=(0.2, 0.8)),
        sensitivity=Real(0.0, 1.0, draw=(0.5, 1.0)), specificity=UNIT, rng=Rng())

# -- the complement rule -------------------------------------------------------------------------------------------
declare(R.p_at_least_one, p=Array(("m",), low=0.0, high=1.0, any_shape=True),
        n=Array(("m",), low=0.0, any_shape=True, draw=(0.0, 20.0)),
        dims={"m": (2, 5)})                             # broadcastable: a size-1 axis against m is not wrong
declare(R.p_collision, n=Array(("m",), low=0, integer=True, any_shape=True, empty_ok=True, draw=(0, 30)),
        days=Int(1, None, draw=(1, 400)))
declare(R.simulate_collisions, n=Int(1, None, draw=(1, 30)), days=Int(1, None, draw=(1, 400)),
        trials=Int(1, None, draw=(1, 50)), rng=Rng())

# -- moments ----------------------------------------------------------------------------------------------------------
declare(R.pmf_moments, support=Array(("m",)), pmf=ProbVector("m"))
declare(R.welford_var, x=Array(("n",)), ddof=Int(0, None, draw=(0, 1)), where=lambda a: a["x"].size > a["ddof"],
        relations=[("ddof", "equal to the sample size", lambda a: a["x"].size)])


# == hypothesis ==============================================================================================

declare(H.tail_pvalue, statistic=Array(("m",), any_shape=True, allow_inf=True),   # +-inf: p-value 0 or 1
        dist=Fixed(lambda dims: stats.t(4.0),
                   wrong=[("None", None), ("a number", 3.0), ("a string", "norm")]),
        alternative=ALTERNATIVE)
declare(H.z_critical, alpha=Real(0.0, 1.0, low_open=True, high_open=True), alternative=ALTERNATIVE)
declare(H.z_test, x=Array(("n",)), mu0=Real(), sigma=Positive(), alternative=ALTERNATIVE)
declare(H.two_proportion_z, k1=Int(0, None, draw=(1, 5)), n1=Int(1, None, draw=(6, 50)),
        k2=Int(0, None, draw=(0, 5)), n2=Int(1, None, draw=(6, 50)), alternative=ALTERNATIVE,
        relations=[("k1", "above n1", lambda a: a["n1"] + 1), ("k2", "above n2", lambda a: a["n2"] + 1),
                   ("n1", "below k1", lambda a: a["k1"] - 1 if a["k1"] > 1 else 0)])
declare(H.t_test_1samp, x=Array(("n",)), mu0=Real(), alternative=ALTERNATIVE, dims={"n": (2, 5)},
        where=_varies("x"), relations=[("x", "one value", lambda a: a["x"][:1])])
declare(H.pooled_variance, x=Array(("n1",)), y=Array(("n2",)), dims={"n1": (2, 5)})
declare(H.welch_df, var1=Real(0.0, None), n1=Int(2, None, draw=(2, 50)), var2=Real(0.0, None),
        n2=Int(2, None, draw=(2, 50)), where=lambda a: a["var1"] + a["var2"] > 0)
declare(H.t_test_ind, x=Array(("n1",)), y=Array(("n2",)), equal_var=FLAG, alternative=ALTERNATIVE,
        dims={"n1": (2, 5), "n2": (2, 5)}, where=lambda a: np.ptp(a["x"]) + np.ptp(a["y"]) > 1e-6,
        relations=[("x", "one value", lambda a: a["x"][:1]), ("y", "one value", lambda a: a["y"][:1])])
declare(H.t_test_paired, x=Array(("n",)), y=Array(("n",)), alternative=ALTERNATIVE, dims={"n": (2, 5)},
        where=lambda a: np.ptp(a["x"] - a["y"]) > 1e-6,
        relations=[("x", "one value", lambda a: a["x"][:1]), ("y", "one value", lambda a: a["y"][:1])])
declare(H.two_sample_t_batch, x=Array(("r", "n1")), y=Array(("r", "n2")), dims={"n1": (2, 5), "n2": (2, 5)},
        finite=False,                                   # a row with zero variance in both groups: non-finite
        relations=[("x", "one column", lambda a: a["x"][:, :1]), ("y", "one column", lambda a: a["y"][:, :1])])
declare(H.chi2_statistic, observed=Array(("m",), any_shape=True),
        expected=Array(("m",), low=0.0, low_open=True, any_shape=True),
        relations=[first_entry("expected", "a zero cell", 0.0)])


def _spread(total, size):
    """``size`` equal cells summing to ``total``."""
    return np.full(size, total / size)


def _expected_like(f):
    """A bad ``expected`` built from the valid ``observed``."""
    return lambda a: f(np.asarray(a["observed"], dtype=float))


declare(H.chi2_gof, observed=Array(("k",), low=0.0, draw=(0.0, 20.0)), ddof=Int(0, lambda dims: dims["k"] - 2),
        expected=Fixed(lambda dims: None, wrong=[("a string", "seven")]),
        dims={"k": (2, 5)}, where=lambda a: a["observed"].sum() > 0,
        relations=[("observed", "one cell", lambda a: a["observed"][:1]),
                   ("observed", "all zero", lambda a: np.zeros_like(a["observed"])),
                   ("expected", "a NaN entry", _expected_like(lambda o: np.r_[np.nan, o[1:]])),
                   ("expected", "one axis too many", _expected_like(lambda o: np.full((1, o.size), o.mean()))),
                   ("expected", "a different length", _expected_like(lambda o: _spread(o.sum(), o.size + 1))),
                   ("expected", "another total", _expected_like(lambda o: np.full(o.size, o.mean() + 1.0))),
                   ("expected", "a zero cell", _expected_like(lambda o: np.r_[0.0, _spread(o.sum(), o.size - 1)])),
                   ("expected", "a negative cell",
                    _expected_like(lambda o: np.r_[-1.0, _spread(o.sum() + 1.0, o.size - 1)]))])

TABLE = Array(("r", "c"), low=0.0, draw=(0.0, 20.0))
TABLE_DIMS = {"r": (2, 5), "c": (2, 5)}


def _full_margins(a):
    t = a["table"]
    return bool(np.all(t.sum(0) > 0) and np.all(t.sum(1) > 0))


def _table_relations():
    return [("table", "one row", lambda a: a["table"][:1]), ("table", "one column", lambda a: a["table"][:, :1]),
            ("table", "an empty row", lambda a: np.r_[np.zeros((1, a["table"].shape[1])), a["table"]])]


declare(H.expected_counts, table=TABLE, dims=TABLE_DIMS, where=_full_margins, relations=_table_relations())
declare(H.chi2_independence, table=TABLE, dims=TABLE_DIMS, where=_full_margins, relations=_table_relations())
declare(H.g_test, table=TABLE, dims=TABLE_DIMS, where=_full_margins, relations=_table_relations())
declare(H.permutation_test_means, x=Array(("n1",)), y=Array(("n2",)), n_resamples=Int(1, None, draw=(1, 200)),
        exact=FLAG, alternative=ALTERNATIVE, rng=Rng())
declare(H.adjust_pvalues, p=Array(("m",), low=0.0, high=1.0), method=Choice(H.ADJUSTMENTS))

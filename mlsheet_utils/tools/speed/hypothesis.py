"""Hypothesis tests, power and error rates against SciPy."""

import numpy as np
from scipy import stats

from mlsheet_utils.algorithms.probability import hypothesis as ht
from mlsheet_utils.algorithms.probability import power as pw
from mlsheet_utils.tools.speed import SpeedPair

# the setting of the page's check: delta = 0.5, sigma = 2, n = 30, alpha = 0.05 one-sided
_DELTA, _SIGMA, _N, _ALPHA = 0.5, 2.0, 30, 0.05


def _z_power_ours(reps):
    return 1 - pw.z_error_rates(_DELTA, _SIGMA, _N, _ALPHA, reps, 0).type2


def _z_power_scipy(reps):
    gen = np.random.default_rng(0)

    def pvalue(x, axis=-1):
        return ht.tail_pvalue(x.mean(axis) * np.sqrt(x.shape[axis]) / _SIGMA, stats.norm, "greater")

    def rate(mean):
        return float(np.squeeze(stats.power(pvalue, lambda size: gen.normal(mean, _SIGMA, size), (_N,),
                                            significance=_ALPHA, n_resamples=reps).power))
    rate(0.0)                                      # the H0 draws come first, as in z_error_rates
    return rate(_DELTA)


def _reps_args(n):
    return (n,)


def _diff_means(a, b, axis=-1):
    return a.mean(axis) - b.mean(axis)


def _permutation_args(n):
    g = np.random.default_rng(n)
    return g.normal(0.3, 1, 30), g.normal(0, 1, 30), n


def _pvalues_args(n):
    return (np.random.default_rng(n).uniform(0, 1, n),)


def _ab_args(n):
    g = np.random.default_rng(n)
    return int(g.binomial(n, 0.11)), n, int(g.binomial(n, 0.10)), n


def _two_samples_args(n):
    g = np.random.default_rng(n)
    return g.normal(0, 1.5, n), g.normal(0.2, 1, n)


def _table_args(n):
    return (np.random.default_rng(n).integers(1, 100, size=(n, 8)),)


PAIRS = [
    SpeedPair("1.1", "Monte Carlo z-test power vs scipy.stats.power", _z_power_ours, _z_power_scipy, _reps_args,
              small=10_000, large=100_000),
    SpeedPair("1.24", "permutation test (difference in means) vs scipy.stats.permutation_test",
              lambda a, b, reps: ht.permutation_test_means(a, b, n_resamples=reps, rng=0).pvalue,
              lambda a, b, reps: stats.permutation_test((a, b), _diff_means, n_resamples=reps, rng=0).pvalue,
              _permutation_args, small=9999, large=20_000),
    SpeedPair("1.24", "Benjamini-Hochberg vs scipy.stats.false_discovery_control",
              lambda p: ht.adjust_pvalues(p, "bh"), lambda p: stats.false_discovery_control(p, method="bh"),
              _pvalues_args, small=25, large=1_000_000),
    SpeedPair("1.24.1", "two-proportion z-test vs scipy chi2_contingency",
              lambda k1, n1, k2, n2: ht.two_proportion_z(k1, n1, k2, n2).pvalue,
              lambda k1, n1, k2, n2: stats.chi2_contingency([[k1, n1 - k1], [k2, n2 - k2]], correction=False).pvalue,
              _ab_args, small=1000, large=1_000_000),
    SpeedPair("1.24.2", "Welch t-test vs scipy.stats.ttest_ind(equal_var=False)",
              lambda x, y: ht.t_test_ind(x, y, equal_var=False).pvalue,
              lambda x, y: stats.ttest_ind(x, y, equal_var=False).pvalue,
              _two_samples_args, small=20, large=1_000_000),
    SpeedPair("1.24.3", "chi-square independence vs scipy chi2_contingency",
              lambda t: ht.chi2_independence(t).statistic,
              lambda t: stats.chi2_contingency(t, correction=False).statistic,
              _table_args, small=5, large=100_000),
]

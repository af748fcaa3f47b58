import itertools

import numpy as np
import pytest
from scipy import stats

from mlsheet_utils.algorithms.probability import hypothesis as ht

ALTS = ["two-sided", "greater", "less"]


def _close(ours, ref):
    assert ours.statistic == pytest.approx(float(ref.statistic), rel=1e-10, abs=1e-12)
    assert ours.pvalue == pytest.approx(float(ref.pvalue), rel=1e-8, abs=1e-14)


def test_t_tests_match_scipy_over_random_samples():
    """Gold-standard comparison (numpy-ml style) over randomly drawn sizes, shifts and scales."""
    rng = np.random.default_rng(124)
    for _ in range(30):
        n1, n2 = (int(v) for v in rng.integers(2, 60, size=2))
        alt = ALTS[int(rng.integers(3))]
        x = rng.normal(rng.normal(), rng.uniform(0.2, 3), n1)
        y = rng.normal(rng.normal(), rng.uniform(0.2, 3), n2)
        mu0 = float(rng.normal())
        _close(ht.t_test_1samp(x, mu0, alt), stats.ttest_1samp(x, mu0, alternative=alt))
        for eq in (True, False):
            ours = ht.t_test_ind(x, y, equal_var=eq, alternative=alt)
            ref = stats.ttest_ind(x, y, equal_var=eq, alternative=alt)
            _close(ours, ref)
            assert ours.df == pytest.approx(float(ref.df), rel=1e-10)
        y2 = x + rng.normal(0.3, 1.0, n1)
        ours = ht.t_test_paired(x, y2, alt)
        _close(ours, stats.ttest_rel(x, y2, alternative=alt))
        assert ours.df == n1 - 1


def test_chi_square_tests_match_scipy_over_random_tables():
    rng = np.random.default_rng(243)
    for _ in range(30):
        k = int(rng.integers(2, 8))
        obs = rng.integers(0, 40, size=k).astype(float) + 1
        p = rng.dirichlet(np.ones(k))
        exp = p * obs.sum()
        ddof = int(rng.integers(0, k - 1))
        ours = ht.chi2_gof(obs, exp, ddof=ddof)
        ref = stats.chisquare(obs, exp, ddof=ddof)
        _close(ours, ref)
        _close(ht.chi2_gof(obs), stats.chisquare(obs))
        r, c = (int(v) for v in rng.integers(2, 6, size=2))
        table = rng.integers(1, 30, size=(r, c))
        ours = ht.chi2_independence(table)
        ref = stats.chi2_contingency(table, correction=False)
        _close(ours, ref)
        assert ours.df == ref.dof
        np.testing.assert_allclose(ours.expected, ref.expected_freq, rtol=1e-12)


def test_z_test_matches_closed_form_and_normal_tails():
    rng = np.random.default_rng(241)
    for alt in ALTS:
        x = rng.normal(0.3, 2.0, 25)
        res = ht.z_test(x, 0.0, 2.0, alt)
        z = x.mean() / (2.0 / 5.0)
        assert res.statistic == pytest.approx(z, rel=1e-12)
        ref = {"two-sided": 2 * stats.norm.sf(abs(z)), "greater": stats.norm.sf(z), "less": stats.norm.cdf(z)}
        assert res.pvalue == pytest.approx(ref[alt], rel=1e-12)
        assert res.df is None


def test_welch_df_bounds():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n1, n2 = (int(v) for v in rng.integers(2, 40, size=2))
        v1, v2 = rng.uniform(0.01, 10, size=2)
        df = ht.welch_df(float(v1), n1, float(v2), n2)
        assert min(n1, n2) - 1 - 1e-12 <= df <= n1 + n2 - 2 + 1e-12


def test_two_proportion_z_squared_is_the_2x2_chi_square():
    rng = np.random.default_rng(1241)
    for _ in range(20):
        n1, n2 = (int(v) for v in rng.integers(20, 3000, size=2))
        k1, k2 = int(rng.binomial(n1, 0.3)), int(rng.binomial(n2, 0.35))
        ref = stats.chi2_contingency([[k1, n1 - k1], [k2, n2 - k2]], correction=False)
        res = ht.two_proportion_z(k1, n1, k2, n2)
        assert res.statistic ** 2 == pytest.approx(ref.statistic, rel=1e-10)
        assert res.pvalue == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)
        # one-sided: half the two-sided p on the side of the observed difference
        z = np.sign(k1 / n1 - k2 / n2) * np.sqrt(ref.statistic)
        assert ht.two_proportion_z(k1, n1, k2, n2, "greater").pvalue == pytest.approx(stats.norm.sf(z), rel=1e-9)
        assert ht.two_proportion_z(k1, n1, k2, n2, "less").pvalue == pytest.approx(stats.norm.cdf(z), rel=1e-9)


def test_two_sample_t_batch_matches_ttest_ind_along_rows():
    rng = np.random.default_rng(1242)
    for n1, n2 in [(2, 2), (5, 25), (17, 9)]:
        x, y = rng.normal(0.3, 2.0, (50, n1)), rng.normal(0.0, 1.0, (50, n2))
        res = ht.two_sample_t_batch(x, y)
        pooled = stats.ttest_ind(x, y, axis=1)
        welch = stats.ttest_ind(x, y, axis=1, equal_var=False)
        np.testing.assert_allclose(res.t_pooled, pooled.statistic, rtol=1e-10)
        np.testing.assert_allclose(res.t_welch, welch.statistic, rtol=1e-10)
        assert res.df_pooled == n1 + n2 - 2
        np.testing.assert_allclose(res.df_welch, welch.df, rtol=1e-10)


def test_g_test_matches_scipy_log_likelihood_ratio():
    rng = np.random.default_rng(1243)
    for shape in [(2, 2), (2, 3), (4, 3)]:
        table = rng.integers(0, 30, size=shape)
        table[0, 0] = 0                                  # a zero cell: 0 ln 0 = 0
        table[:, 1] += 1
        table[1, :] += 1
        ours = ht.g_test(table)
        ref = stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")
        _close(ours, ref)
        assert ours.df == ref.dof


def test_permutation_test_means_exact_matches_scipy_and_random_is_close():
    rng = np.random.default_rng(124)

    def diff(a, b, axis=-1):
        return a.mean(axis) - b.mean(axis)

    for n1, n2 in [(2, 4), (5, 6), (6, 6)]:
        x, y = rng.normal(0.8, 1, n1), rng.normal(0.0, 1, n2)
        for alt in ALTS:
            ours = ht.permutation_test_means(x, y, exact=True, alternative=alt)
            ref = stats.permutation_test((x, y), diff, n_resamples=np.inf, alternative=alt)
            assert ours.pvalue == pytest.approx(ref.pvalue, rel=1e-12)
            assert ours.statistic == pytest.approx(ref.statistic, rel=1e-12)
            np.testing.assert_allclose(np.sort(ours.null), np.sort(ref.null_distribution), rtol=1e-12, atol=1e-12)
    x, y = rng.normal(0.4, 1, 30), rng.normal(0.0, 1, 30)
    ours = ht.permutation_test_means(x, y, n_resamples=9999, rng=3)
    ref = stats.permutation_test((x, y), diff, n_resamples=9999, rng=4)
    assert abs(ours.pvalue - ref.pvalue) < 5 * np.sqrt(0.5 / 9999)     # two Monte Carlo estimates
    again = ht.permutation_test_means(x, y, n_resamples=9999, rng=3)
    assert again.pvalue == ours.pvalue                                  # an int seed reproduces the draws


def _holm_by_closed_testing(p, level):
    """Holm's decisions by their definition: closed testing with Bonferroni local tests, every subset enumerated."""
    m = p.size
    subsets = [s for r in range(1, m + 1) for s in itertools.combinations(range(m), r)]
    return np.array([all(min(p[j] for j in s) <= level / len(s) for s in subsets if i in s) for i in range(m)])


def test_adjust_pvalues_against_scipy_closed_testing_and_closed_form():
    rng = np.random.default_rng(1240)
    for _ in range(10):
        p = rng.uniform(0, 0.2, int(rng.integers(1, 9))) ** 2
        np.testing.assert_allclose(ht.adjust_pvalues(p, "bh"), stats.false_discovery_control(p, method="bh"),
                                   rtol=1e-12)
        np.testing.assert_allclose(ht.adjust_pvalues(p, "bonferroni"), np.minimum(1, p.size * p), rtol=1e-15)
        holm = ht.adjust_pvalues(p, "holm")
        for level in (0.001, 0.01, 0.05):
            np.testing.assert_array_equal(holm <= level, _holm_by_closed_testing(p, level))


@pytest.mark.parametrize("call,match", [
    (lambda: ht.z_test([1.0, 2.0], 0.0, 0.0), "sigma must be > 0"),
    (lambda: ht.z_test([], 0.0, 1.0), "x must not be empty"),
    (lambda: ht.z_test([1.0], 0.0, 1.0, "bigger"), "alternative must be one of"),
    (lambda: ht.t_test_1samp([1.0], 0.0), "x needs at least 2"),
    (lambda: ht.t_test_1samp([2.0, 2.0], 0.0), "zero variance"),
    (lambda: ht.t_test_1samp([1.0, np.nan], 0.0), "x contains NaN"),
    (lambda: ht.t_test_ind([1.0, 2.0], [3.0]), "y needs at least 2"),
    (lambda: ht.t_test_paired([1.0, 2.0, 3.0], [1.0, 2.0]), "same length"),
    (lambda: ht.welch_df(1.0, 1, 1.0, 5), "n1 must be >= 2"),
    (lambda: ht.chi2_gof([5.0, -1.0]), "observed counts must be >= 0"),
    (lambda: ht.chi2_gof([5.0, 5.0], [3.0, 3.0]), "expected must sum"),
    (lambda: ht.chi2_gof([5.0, 5.0, 5.0], ddof=2), "ddof must be <= 1"),
    (lambda: ht.chi2_independence([[1, 2, 3]]), "at least 2 rows"),
    (lambda: ht.chi2_independence([[1, 0], [2, 0]]), "empty row or column"),
    (lambda: ht.chi2_independence([1, 2]), "table must be 2-dimensional"),
    (lambda: ht.two_proportion_z(11, 10, 3, 10), "k1 must be <= 10"),
    (lambda: ht.two_proportion_z(0, 10, 0, 10), "pooled rate is 0"),
    (lambda: ht.two_sample_t_batch(np.ones((3, 4)), np.ones((2, 4))), "same number of rows"),
    (lambda: ht.two_sample_t_batch(np.ones((3, 1)), np.ones((3, 4))), "at least 2 columns"),
    (lambda: ht.g_test([[1, 0], [2, 0]]), "empty row or column"),
    (lambda: ht.permutation_test_means([], [1.0]), "x must not be empty"),
    (lambda: ht.permutation_test_means([1.0], [2.0], n_resamples=0), "n_resamples must be >= 1"),
    (lambda: ht.permutation_test_means([1.0], [2.0], rng=None), "rng must be a non-negative int seed"),
    (lambda: ht.permutation_test_means(np.arange(20.0), np.arange(20.0), exact=True), "would enumerate"),
    (lambda: ht.permutation_test_means([1.0], [2.0], alternative="both"), "alternative must be one of"),
    (lambda: ht.adjust_pvalues([0.1, 1.2]), "values in \\[0, 1\\]"),
    (lambda: ht.adjust_pvalues([0.1, np.nan]), "p contains NaN"),
    (lambda: ht.adjust_pvalues([0.1], method="fdr"), "method must be one of"),
])
def test_validation_messages(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_permutation_test_counts_ties_when_the_observed_difference_is_zero():
    """Round-off scales with the data: with t = 0 the relabellings that tie with it must still count (a
    tolerance of 100 eps |t| is then 0 and dropped them: 1/6 instead of SciPy's 5/6)."""
    x, y = [0.1, 0.2], [0.2, 0.1]
    for alt in ALTS:
        ours = ht.permutation_test_means(x, y, exact=True, alternative=alt)
        ref = stats.permutation_test((x, y), lambda a, b: np.mean(a) - np.mean(b), n_resamples=np.inf,
                                     alternative=alt)
        assert ours.pvalue == pytest.approx(ref.pvalue, rel=1e-12)
    assert ht.permutation_test_means(x, y, exact=True, alternative="less").pvalue == pytest.approx(5 / 6)

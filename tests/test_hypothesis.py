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


def test_z_power_limits_and_sample_size():
    assert ht.z_power(0.0, 1.0, 30, 0.05, "two-sided") == pytest.approx(0.05, rel=1e-12)
    assert ht.z_power(0.0, 1.0, 30, 0.05, "greater") == pytest.approx(0.05, rel=1e-12)
    # textbook: delta/sigma = 0.5, alpha = 0.05 two-sided, power 0.8 -> n = 32
    n = ht.z_sample_size(0.5, 1.0, 0.8, 0.05, "two-sided")
    assert n == 32
    assert ht.z_power(0.5, 1.0, n) >= 0.8 > ht.z_power(0.5, 1.0, n - 1)
    for alt, eff in (("greater", 0.3), ("less", -0.3)):
        n = ht.z_sample_size(eff, 1.2, 0.9, 0.01, alt)
        assert ht.z_power(eff, 1.2, n, 0.01, alt) >= 0.9 > ht.z_power(eff, 1.2, n - 1, 0.01, alt)
    powers = ht.z_power(0.4, 1.0, np.arange(1, 50))
    assert np.all(np.diff(powers) > 0)


def test_z_power_matches_simulated_rejection_rate():
    rng = np.random.default_rng(7)
    n, delta, reps = 20, 0.5, 4000
    xbar = rng.normal(delta, 1 / np.sqrt(n), reps)
    rate = np.mean(np.abs(xbar * np.sqrt(n)) > ht.z_critical(0.05))
    assert rate == pytest.approx(ht.z_power(delta, 1.0, n), abs=0.025)


def test_welch_df_bounds():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n1, n2 = (int(v) for v in rng.integers(2, 40, size=2))
        v1, v2 = rng.uniform(0.01, 10, size=2)
        df = ht.welch_df(float(v1), n1, float(v2), n2)
        assert min(n1, n2) - 1 - 1e-12 <= df <= n1 + n2 - 2 + 1e-12


@pytest.mark.parametrize("call,match", [
    (lambda: ht.z_test([1.0, 2.0], 0.0, 0.0), "sigma must be > 0"),
    (lambda: ht.z_test([], 0.0, 1.0), "x needs at least 1"),
    (lambda: ht.z_test([1.0], 0.0, 1.0, "bigger"), "alternative must be one of"),
    (lambda: ht.z_power(0.5, 1.0, 0), "n must be >= 1"),
    (lambda: ht.z_power(0.5, 1.0, 10, alpha=1.5), "alpha must be < 1"),
    (lambda: ht.z_sample_size(0.0, 1.0), "never reaches power"),
    (lambda: ht.z_sample_size(-0.5, 1.0, alternative="greater"), "never reaches power"),
    (lambda: ht.z_sample_size(0.5, 1.0, power=0.01), "power must exceed alpha"),
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
])
def test_validation_messages(call, match):
    with pytest.raises(ValueError, match=match):
        call()

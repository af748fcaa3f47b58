import itertools

import numpy as np
import pytest
from scipy import integrate, special, stats

from mlsheet_utils.algorithms.probability import power as pw


def test_z_power_limits_and_sample_size():
    assert pw.z_power(0.0, 1.0, 30, 0.05, "two-sided") == pytest.approx(0.05, rel=1e-12)
    assert pw.z_power(0.0, 1.0, 30, 0.05, "greater") == pytest.approx(0.05, rel=1e-12)
    # textbook: delta/sigma = 0.5, alpha = 0.05 two-sided, power 0.8 -> n = 32
    n = pw.z_sample_size(0.5, 1.0, 0.8, 0.05, "two-sided")
    assert n == 32
    assert pw.z_power(0.5, 1.0, n) >= 0.8 > pw.z_power(0.5, 1.0, n - 1)
    for alt, eff in (("greater", 0.3), ("less", -0.3)):
        n = pw.z_sample_size(eff, 1.2, 0.9, 0.01, alt)
        assert pw.z_power(eff, 1.2, n, 0.01, alt) >= 0.9 > pw.z_power(eff, 1.2, n - 1, 0.01, alt)
    powers = pw.z_power(0.4, 1.0, np.arange(1, 50))
    assert np.all(np.diff(powers) > 0)


def test_z_power_matches_noncentral_chi_square_and_normal_tails():
    n = np.array([3, 20, 90])
    for delta, sigma in [(0.2, 1.0), (-0.7, 2.5)]:
        shift = delta * np.sqrt(n) / sigma
        z2 = stats.norm.isf(0.025)
        np.testing.assert_allclose(pw.z_power(delta, sigma, n), stats.ncx2.sf(z2 ** 2, 1, shift ** 2), rtol=1e-9)
        np.testing.assert_allclose(pw.z_power(delta, sigma, n, 0.05, "greater"),
                                   stats.norm.sf(stats.norm.isf(0.05), loc=shift), rtol=1e-12)
        np.testing.assert_allclose(pw.z_power(delta, sigma, n, 0.05, "less"),
                                   stats.norm.cdf(-stats.norm.isf(0.05), loc=shift), rtol=1e-12)


def test_z_power_matches_simulated_rejection_rate():
    rng = np.random.default_rng(7)
    n, delta, reps = 20, 0.5, 4000
    xbar = rng.normal(delta, 1 / np.sqrt(n), reps)
    rate = np.mean(np.abs(xbar * np.sqrt(n)) > stats.norm.isf(0.025))
    assert rate == pytest.approx(pw.z_power(delta, 1.0, n), abs=0.025)


def _scipy_power_rates(delta, sigma, n, alpha, reps, gen):
    """Rejection rate under H0 and non-rejection rate under H1 from scipy.stats.power, on the stream ``gen``."""
    def pvalue(x, axis=-1):
        return stats.norm.sf(x.mean(axis) * np.sqrt(x.shape[axis]) / sigma)

    def rate(mean):
        return float(np.squeeze(stats.power(pvalue, lambda size: gen.normal(mean, sigma, size), (n,),
                                            significance=alpha, n_resamples=reps).power))
    return rate(0.0), 1 - rate(delta)


def test_z_error_rates_count_what_scipy_power_counts_on_the_same_draws():
    for delta, sigma, n, alpha, reps, seed in [(0.5, 2.0, 30, 0.05, 3000, 7), (1.0, 1.0, 4, 0.01, 2000, 3)]:
        ours = pw.z_error_rates(delta, sigma, n, alpha, reps, seed)
        ref = _scipy_power_rates(delta, sigma, n, alpha, reps, np.random.default_rng(seed))
        assert (ours.type1, ours.type2) == pytest.approx(ref, rel=1e-12, abs=1e-15)
    gen = np.random.default_rng(11)
    ours = pw.z_error_rates(0.5, 1.0, 10, 0.05, 20_000, gen)
    beta = stats.norm.cdf(stats.norm.isf(0.05) - 0.5 * np.sqrt(10))
    assert abs(ours.type1 - 0.05) < 5 * np.sqrt(0.05 * 0.95 / 20_000)
    assert abs(ours.type2 - beta) < 5 * np.sqrt(beta * (1 - beta) / 20_000)


def test_z_type1_rate_is_the_share_of_scipy_pvalues_below_alpha():
    def sample(g, shape):
        return g.exponential(2.0, shape)

    for alt in ("two-sided", "greater", "less"):
        ours = pw.z_type1_rate(sample, 6, 2.0, 2.0, 0.1, 5000, 9, alternative=alt)
        x = sample(np.random.default_rng(9), (5000, 6))
        z = (x.mean(1) - 2.0) / (2.0 / np.sqrt(6))
        p = {"two-sided": 2 * stats.norm.sf(np.abs(z)), "greater": stats.norm.sf(z), "less": stats.norm.cdf(z)}[alt]
        assert ours == pytest.approx(np.mean(p <= 0.1), abs=1e-12)


def test_two_sample_type1_rates_count_what_ttest_ind_rejects():
    for n1, n2, ratio in [(6, 20, 2.5), (4, 4, 1.0)]:
        ours = pw.two_sample_type1_rates(n1, n2, ratio, 0.05, 3000, 7)
        g = np.random.default_rng(7)
        x, y = g.normal(0.0, ratio, (3000, n1)), g.normal(0.0, 1.0, (3000, n2))
        for value, eq in ((ours.pooled, True), (ours.welch, False)):
            assert value == pytest.approx(np.mean(stats.ttest_ind(x, y, axis=1, equal_var=eq).pvalue <= 0.05),
                                          abs=1e-12)


def _type1_by_dblquad(n1, n2, ratio, alpha):
    """The same expectation as two_sample_type1_exact, integrated by adaptive quadrature over the chi2 densities."""
    var_d = ratio ** 2 / n1 + 1 / n2

    def f1(v):
        return np.exp(special.xlogy((n1 - 1) / 2 - 1, v) - v / 2 - special.gammaln((n1 - 1) / 2)
                      - (n1 - 1) / 2 * np.log(2))

    def f2(v):
        return np.exp(special.xlogy((n2 - 1) / 2 - 1, v) - v / 2 - special.gammaln((n2 - 1) / 2)
                      - (n2 - 1) / 2 * np.log(2))

    def pieces(v2, v1):
        a, b = ratio ** 2 * v1 / ((n1 - 1) * n1), v2 / ((n2 - 1) * n2)
        return a, b, f1(v1) * f2(v2)

    def pooled(v2, v1):
        a, b, w = pieces(v2, v1)
        sp2 = (n1 * (n1 - 1) * a + n2 * (n2 - 1) * b) / (n1 + n2 - 2)
        c = -special.stdtrit(n1 + n2 - 2, alpha / 2)
        return w * 2 * special.ndtr(-c * np.sqrt(sp2 * (1 / n1 + 1 / n2) / var_d))

    def welch(v2, v1):
        a, b, w = pieces(v2, v1)
        nu = (a + b) ** 2 / (a ** 2 / (n1 - 1) + b ** 2 / (n2 - 1))
        return w * 2 * special.ndtr(special.stdtrit(nu, alpha / 2) * np.sqrt((a + b) / var_d))

    hi1, hi2 = stats.chi2.isf(1e-12, n1 - 1), stats.chi2.isf(1e-12, n2 - 1)
    return tuple(integrate.dblquad(f, 0, hi1, 0, hi2, epsabs=1e-10, epsrel=1e-8)[0] for f in (pooled, welch))


@pytest.mark.parametrize("n1,n2,ratio", [(6, 20, 2.5), (12, 9, 0.5)])
def test_two_sample_type1_exact_matches_adaptive_quadrature(n1, n2, ratio):
    ours = pw.two_sample_type1_exact(n1, n2, ratio, 0.05)
    ref = _type1_by_dblquad(n1, n2, ratio, 0.05)
    assert (ours.pooled, ours.welch) == pytest.approx(ref, rel=1e-6)


def test_two_sample_type1_exact_pooled_is_alpha_at_equal_variances():
    for n1, n2 in [(8, 8), (12, 12), (4, 30), (20, 7)]:
        assert pw.two_sample_type1_exact(n1, n2, 1.0, 0.05).pooled == pytest.approx(0.05, abs=1e-12)


def test_chi2_gof_exact_size_matches_brute_force_enumeration():
    for n, p in [(8, [0.5, 0.3, 0.2]), (12, [0.7, 0.1, 0.1, 0.1])]:
        p = np.array(p)
        size = 0.0
        for rest in itertools.product(range(n + 1), repeat=p.size - 1):
            if sum(rest) <= n:
                counts = np.array([n - sum(rest), *rest])
                if stats.chisquare(counts, n * p).pvalue <= 0.05:
                    size += stats.multinomial.pmf(counts, n, p)
        ours = pw.chi2_gof_exact_size(n, p, 0.05, cap=n)
        assert ours.size == pytest.approx(size, rel=1e-10)
        assert abs(ours.mass_left_out) < 1e-12
    capped = pw.chi2_gof_exact_size(25, [0.92, 0.02, 0.02, 0.02, 0.02], cap=3)
    assert capped.mass_left_out == pytest.approx(1 - stats.binom.cdf(3, 25, 0.02) ** 4, rel=1e-2)


@pytest.mark.parametrize("call,match", [
    (lambda: pw.z_power(0.5, 1.0, 0), "n must be >= 1"),
    (lambda: pw.z_power(0.5, 1.0, np.array([2, 0])), "n must hold integers >= 1"),
    (lambda: pw.z_power(0.5, 1.0, 10, alpha=1.5), "alpha must be < 1"),
    (lambda: pw.z_sample_size(0.0, 1.0), "never reaches power"),
    (lambda: pw.z_sample_size(-0.5, 1.0, alternative="greater"), "never reaches power"),
    (lambda: pw.z_sample_size(0.5, 1.0, power=0.01), "power must exceed alpha"),
    (lambda: pw.z_error_rates(0.5, 1.0, 10, 0.05, 0, 0), "reps must be >= 1"),
    (lambda: pw.z_error_rates(0.5, -1.0, 10, 0.05, 10, 0), "sigma must be > 0"),
    (lambda: pw.z_error_rates(0.5, 1.0, 10, 0.05, 10, None), "rng must be"),
    (lambda: pw.z_type1_rate(3.0, 10, 0.0, 1.0, 0.05, 10, 0), "sample must be a callable"),
    (lambda: pw.z_type1_rate(lambda g, s: g.normal(size=5), 10, 0.0, 1.0, 0.05, 10, 0), "returned shape"),
    (lambda: pw.two_sample_type1_rates(1, 5, 1.0, 0.05, 10, 0), "n1 must be >= 2"),
    (lambda: pw.two_sample_type1_exact(5, 5, 0.0, 0.05), "sd_ratio must be > 0"),
    (lambda: pw.chi2_gof_exact_size(10, [0.5, 0.6]), "summing to 1"),
    (lambda: pw.chi2_gof_exact_size(10, [0.2] * 5, cap=100), "would enumerate"),
])
def test_validation_messages(call, match):
    with pytest.raises(ValueError, match=match):
        call()

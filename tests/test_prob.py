"""Unit tests of mlsheet_utils.algorithms.probability.rules against exact enumeration, SymPy, SciPy, scikit-learn."""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from scipy import integrate, stats
from scipy.stats.contingency import expected_freq
from sklearn.naive_bayes import GaussianNB
from sympy.stats import Die, P

from mlsheet_utils.algorithms.probability import rules as prob


def test_marginals_and_conditional():
    J = np.array([[0.1, 0.2], [0.3, 0.4]])
    px, py = prob.marginals(J)
    np.testing.assert_allclose(px, [0.3, 0.7])
    np.testing.assert_allclose(py, [0.4, 0.6])
    C = prob.conditional(J, "col")
    np.testing.assert_allclose(C.sum(axis=0), 1.0)
    np.testing.assert_allclose(C * py, J)
    R = prob.conditional(J, "row")
    np.testing.assert_allclose(R.sum(axis=1), 1.0)


def test_independence_gap_matches_scipy_expected_freq():
    rng = np.random.default_rng(0)
    for _ in range(20):
        J = rng.random((3, 4))
        J /= J.sum()
        gap = np.abs(J - expected_freq(J)).max()
        assert prob.independence_gap(J) == pytest.approx(gap, abs=1e-15)
    assert prob.independence_gap(np.outer([0.2, 0.8], [0.5, 0.25, 0.25])) < 1e-15


@pytest.mark.parametrize("s", [0.0, 0.3, 1.0])
def test_dependent_table_keeps_marginals(s):
    px, py = np.array([0.2, 0.5, 0.3]), np.array([0.4, 0.4, 0.2])
    J = prob.dependent_table(px, py, s)
    np.testing.assert_allclose(J.sum(1), px)
    np.testing.assert_allclose(J.sum(0), py)
    assert (prob.independence_gap(J) < 1e-15) == (s == 0)


def test_dice_events_match_sympy():
    X, Y = Die("X", 6), Die("Y", 6)
    cases = {"sum = 7": sp.Eq(X + Y, 7), "sum > 7": X + Y > 7, "doubles": sp.Eq(X, Y),
             "max <= 3": (X <= 3) & (Y <= 3)}
    for name, cond in cases.items():
        exact = Fraction(int(prob.event_mask(name).sum()), 36)
        assert sp.Rational(exact.numerator, exact.denominator) == P(cond)
        assert prob.exact_prob(prob.event_mask(name)) == pytest.approx(float(P(cond)))


def test_mc_prob_is_seeded_and_close():
    a, b = prob.roll_dice(200_000, np.random.default_rng(1))
    est = prob.mc_prob(prob.event_mask("sum = 7", a, b))
    assert abs(est.p - 1 / 6) < 5 * est.se
    assert est.se == pytest.approx(math.sqrt(est.p * (1 - est.p) / 200_000))
    a2, b2 = prob.roll_dice(200_000, 1)                       # an int seed is the same stream
    assert np.array_equal(a, a2) and np.array_equal(b, b2)


def test_rule_quantities_match_sympy():
    X, Y = Die("X", 6), Die("Y", 6)
    ea, eb = X + Y > 7, sp.Eq(X, Y)
    pab = P(ea & eb)
    ref = [P(ea), P(eb), pab, P(ea | eb), pab / P(eb), pab / P(ea), 1 - P(ea)]
    np.testing.assert_allclose(prob.exact_rules("sum > 7", "doubles"), [float(v) for v in ref], rtol=1e-12)
    ma, mb = prob.roll_events("sum > 7", "doubles", 50, rng=3)
    a, b = prob.roll_dice(50, 3)
    assert np.array_equal(ma, a + b > 7) and np.array_equal(mb, a == b)


def test_union_and_product_rule_against_direct_counts():
    rng = np.random.default_rng(4)
    for k in (1, 2, 3, 6):
        masks = rng.random((k, 500)) < 0.3
        assert prob.union_prob(masks) == pytest.approx(masks.any(axis=0).mean(), abs=1e-12)
    ma, mb = rng.random(400) < 0.4, rng.random(400) < 0.5
    assert prob.product_rule(ma, mb) == pytest.approx((ma & mb).mean(), abs=1e-15)


def test_mutual_independence_by_enumeration():
    coins3 = np.array(list(itertools.product([0, 1], repeat=3))).T == 1     # three fair coins: independent
    ok = prob.mutually_independent(coins3)
    assert ok.independent and ok.failing == ()
    c = np.array(list(itertools.product([0, 1], repeat=2)))
    xor = np.array([c[:, 0] == 1, c[:, 1] == 1, c[:, 0] != c[:, 1]])       # pairwise, not mutually
    bad = prob.mutually_independent(xor)
    assert not bad.independent and bad.failing == ((0, 1, 2),)


def _lens_by_quadrature(r1, r2, d):
    """Overlap area of circles centred at (0, 0) and (d, 0), integrating the overlap of vertical chords."""
    def height(x):
        h1 = math.sqrt(max(r1**2 - x**2, 0.0))
        h2 = math.sqrt(max(r2**2 - (x - d) ** 2, 0.0))
        return 2 * min(h1, h2)
    lo, hi = max(-r1, d - r2), min(r1, d + r2)
    return integrate.quad(height, lo, hi, limit=200)[0] if hi > lo else 0.0


@pytest.mark.parametrize("r1, r2, d", [(0.3, 0.3, 0.2), (0.4, 0.2, 0.3), (0.25, 0.35, 0.5), (0.4, 0.1, 0.1),
                                       (0.2, 0.2, 0.5)])
def test_circle_overlap_area_matches_quadrature(r1, r2, d):
    assert prob.circle_overlap_area(r1, r2, d) == pytest.approx(_lens_by_quadrature(r1, r2, d), abs=1e-8)


def test_venn_layout_areas_are_the_probabilities():
    for pa, pb, pab in [(5 / 12, 1 / 6, 1 / 12), (0.5, 0.5, 0.25), (0.3, 0.2, 0.0), (0.4, 0.2, 0.2)]:
        v = prob.venn_layout(pa, pb, pab)
        assert math.pi * v.r_a**2 == pytest.approx(pa) and math.pi * v.r_b**2 == pytest.approx(pb)
        assert _lens_by_quadrature(v.r_a, v.r_b, v.distance) == pytest.approx(pab, abs=2e-4)


def test_posterior_matches_gaussian_nb():
    rng = np.random.default_rng(5)
    X = np.concatenate([rng.normal(-1, 1.0, (30, 2)), rng.normal(1.0, 0.5, (20, 2))])
    nb = GaussianNB().fit(X, np.repeat([0, 1], [30, 20]))
    ll = np.column_stack([stats.norm.logpdf(X, nb.theta_[k], np.sqrt(nb.var_[k])).sum(axis=1) for k in range(2)])
    np.testing.assert_allclose(prob.posterior(nb.class_prior_, ll), nb.predict_proba(X), rtol=1e-9, atol=1e-12)
    # an impossible hypothesis (log-likelihood -inf) gets posterior 0, and tiny likelihoods do not underflow
    post = prob.posterior([0.5, 0.5], [[-1000.0, -1001.0], [-np.inf, -3.0]])
    np.testing.assert_allclose(post, [[1 / (1 + math.exp(-1)), 1 / (1 + math.e)], [0.0, 1.0]], rtol=1e-12)


def test_diagnostic_posterior_matches_exact_fractions():
    for s, c, pi in [(Fraction(99, 100), Fraction(99, 100), Fraction(1, 1000)),
                     (Fraction(9, 10), Fraction(95, 100), Fraction(2, 100))]:
        pos = s * pi / (s * pi + (1 - c) * (1 - pi))
        neg = (1 - s) * pi / ((1 - s) * pi + c * (1 - pi))
        assert prob.diagnostic_posterior(float(pi), float(s), float(c)) == pytest.approx(float(pos), rel=1e-12)
        assert prob.diagnostic_posterior(float(pi), float(s), float(c), positive=False) == pytest.approx(
            float(neg), rel=1e-12)


def test_simulate_test_within_five_standard_errors():
    res = prob.simulate_test(200_000, 0.05, 0.8, 0.9, rng=6)
    exact = 0.8 * 0.05 / (0.8 * 0.05 + 0.1 * 0.95)
    assert abs(res.p_disease_given_positive - exact) < 5 * math.sqrt(exact * (1 - exact) / res.n_positive)
    assert prob.simulate_test(10_000, 0.3, 0.8, 1.0, rng=6).p_disease_given_positive == 1.0


def test_complement_rule_matches_scipy_and_exact_products():
    p, n = np.meshgrid([1e-12, 1e-3, 0.2, 0.9], [0, 1, 7, 300])
    np.testing.assert_allclose(prob.p_at_least_one(p, n), stats.binom.sf(0, n, p), rtol=1e-10, atol=1e-300)
    for m in (0, 1, 2, 10, 23, 60):
        exact = 1 - math.prod(Fraction(365 - k, 365) for k in range(m))
        assert float(prob.p_collision(m)) == pytest.approx(float(exact), rel=1e-12, abs=1e-15)
    assert prob.p_collision(366) == 1.0
    sim = prob.simulate_collisions(23, 365, 20_000, rng=7)
    exact23 = float(1 - math.prod(Fraction(365 - k, 365) for k in range(23)))
    assert abs(sim - exact23) < 5 * math.sqrt(exact23 * (1 - exact23) / 20_000)


def test_moments_match_scipy_and_numpy():
    k = np.arange(31)
    pmf = stats.binom.pmf(k, 30, 0.35)
    mom = prob.pmf_moments(k, pmf / pmf.sum())
    np.testing.assert_allclose([mom.mean, mom.var], stats.binom.stats(30, 0.35, moments="mv"), rtol=1e-12)
    x = np.random.default_rng(8).normal(1e6, 3.0, 1000)
    for ddof in (0, 1):
        assert prob.welford_var(x, ddof) == pytest.approx(np.var(x, ddof=ddof), rel=1e-10)


def test_validation_errors():
    with pytest.raises(ValueError, match="sum to 1"):
        prob.check_joint([[0.5, 0.6]])
    with pytest.raises(ValueError, match="negative"):
        prob.check_joint([[1.5, -0.5]])
    with pytest.raises(ValueError, match="probability 0"):
        prob.conditional([[0.5, 0.0], [0.5, 0.0]], "col")
    with pytest.raises(ValueError, match="given"):
        prob.conditional([[1.0]], "x")
    with pytest.raises(ValueError, match="strength"):
        prob.dependent_table([1.0], [1.0], 2.0)
    with pytest.raises(ValueError, match="name"):
        prob.event_mask("no such event")
    with pytest.raises(ValueError, match="both faces"):
        prob.event_mask("doubles", a=np.array([1, 2]))
    with pytest.raises(ValueError, match="rng"):
        prob.roll_dice(3, "seed")
    with pytest.raises(ValueError, match="boolean"):
        prob.rule_estimates([1, 0], [0, 1])
    with pytest.raises(ValueError, match="number of events"):
        prob.union_prob(np.ones((13, 4), dtype=bool))
    with pytest.raises(ValueError, match="P\\(B\\) = 0"):
        prob.product_rule(np.ones(4, dtype=bool), np.zeros(4, dtype=bool))
    with pytest.raises(ValueError, match="pab"):
        prob.venn_layout(0.2, 0.3, 0.25)
    with pytest.raises(ValueError, match="sum to 1"):
        prob.posterior([0.5, 0.6], [[0.0, 0.0]])
    with pytest.raises(ValueError, match="evidence = 0"):
        prob.posterior([1.0, 0.0], [[-np.inf, 0.0]])
    with pytest.raises(ValueError, match="sensitivity"):
        prob.diagnostic_posterior(0.1, 1.2, 0.9)
    with pytest.raises(ValueError, match="no positive"):
        prob.simulate_test(10, 0.0, 0.9, 1.0, rng=0)
    with pytest.raises(ValueError, match="p must lie"):
        prob.p_at_least_one(1.5, 3)
    with pytest.raises(ValueError, match="non-negative integers"):
        prob.p_collision(np.array([2.5]))
    with pytest.raises(ValueError, match="pmf"):
        prob.pmf_moments([0, 1], [0.5, 0.6])
    with pytest.raises(ValueError, match="ddof"):
        prob.welford_var([1.0], ddof=1)

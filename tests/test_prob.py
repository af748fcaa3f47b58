"""Unit tests of mlsheet_utils.prob against exact enumeration, SymPy and SciPy."""

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from scipy.stats.contingency import expected_freq
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
    p, se = prob.mc_prob(prob.event_mask("sum = 7", a, b))
    assert abs(p - 1 / 6) < 5 * se
    a2, b2 = prob.roll_dice(200_000, np.random.default_rng(1))
    assert np.array_equal(a, a2) and np.array_equal(b, b2)


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
    with pytest.raises(ValueError, match="rng"):
        prob.roll_dice(3, 0)

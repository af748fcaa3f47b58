"""mlsheet_utils.algorithms.convexity against SciPy and closed forms, and its validation."""

import numpy as np
import pytest
from scipy.special import logsumexp as scipy_logsumexp
from scipy.stats import rv_discrete

from mlsheet_utils.algorithms import convexity

FUNCS = {"square": np.square, "exp": np.exp, "abs": np.abs, "neg_log": lambda v: -np.log(v)}


@pytest.mark.parametrize("name", sorted(FUNCS))
@pytest.mark.parametrize("k", [1, 2, 5])
def test_discrete_jensen_matches_scipy_rv_discrete(name, k):
    f = FUNCS[name]
    rng = np.random.default_rng(10 * k + len(name))
    values = rng.uniform(0.1, 3.0, k)
    probs = rng.dirichlet(np.ones(k))
    law = rv_discrete(values=(np.arange(k), probs))          # integer support: index into the values
    pair = convexity.discrete_jensen(f, values, probs)
    mean = law.expect(lambda i: values[np.asarray(i, dtype=int)])
    assert pair.mean_of_f == pytest.approx(law.expect(lambda i: f(values[np.asarray(i, dtype=int)])), rel=1e-12)
    assert pair.f_of_mean == pytest.approx(float(f(np.array([mean]))[0]), rel=1e-12)
    assert pair.gap >= -1e-12                                  # all four are convex


def test_jensen_gap_matches_closed_forms_within_four_standard_errors():
    """Var X for x^2 and e^(mu + s^2/2) - e^mu for exp, under N(mu, s^2); the SEs against their known values."""
    rng = np.random.default_rng(5)
    mu, s, n = 0.3, 0.8, 100_000
    x = rng.normal(mu, s, n)
    sq = convexity.jensen_gap(np.square, x)
    assert abs(sq.gap - s ** 2) < 4 * np.sqrt(2 * s ** 4 / n)
    assert sq.se == pytest.approx(np.sqrt(2 * s ** 4 / n), rel=0.05)
    ex = convexity.jensen_gap(np.exp, x)
    se_known = np.sqrt((np.exp(2 * mu + s ** 2) * (np.exp(s ** 2) - 1) - 2 * s ** 2 * np.exp(2 * mu + s ** 2 / 2)
                        + s ** 2 * np.exp(2 * mu)) / n)
    assert abs(ex.gap - (np.exp(mu + s ** 2 / 2) - np.exp(mu))) < 4 * se_known
    assert ex.se == pytest.approx(se_known, rel=0.1)


def test_logsumexp_matches_scipy_over_random_shapes_axes_and_infinities():
    rng = np.random.default_rng(6)
    for _ in range(10):
        shape = tuple(int(v) for v in rng.integers(1, 6, size=int(rng.integers(1, 4))))
        X = rng.normal(0, 30, shape)
        X.flat[0] = -np.inf
        for axis in range(-len(shape), len(shape)):
            np.testing.assert_allclose(convexity.logsumexp(X, axis=axis), scipy_logsumexp(X, axis=axis),
                                       rtol=1e-13, atol=1e-12)
    assert convexity.logsumexp(np.array([1000.0, 1000.0])) == pytest.approx(1000 + np.log(2), rel=1e-15)
    assert convexity.logsumexp([-np.inf, -np.inf]) == -np.inf


@pytest.mark.parametrize("call,match", [
    (lambda: convexity.discrete_jensen(np.exp, [1.0, 2.0], [0.5, 0.6]), "sum to 1"),
    (lambda: convexity.discrete_jensen(np.exp, [1.0, 2.0], [1.5, -0.5]), "non-negative"),
    (lambda: convexity.discrete_jensen(np.exp, [1.0, 2.0], [1.0]), "same length"),
    (lambda: convexity.jensen_gap(np.exp, [1.0]), "at least 2 values"),
    (lambda: convexity.jensen_gap(np.log, [-1.0, 1.0]), "inside the domain"),
    (lambda: convexity.jensen_gap(np.exp, [np.nan, 1.0]), "samples contains NaN"),
    (lambda: convexity.logsumexp(np.array([1.0, np.nan])), "X contains NaN"),
    (lambda: convexity.logsumexp(3.0), "at least one axis"),
    (lambda: convexity.logsumexp(np.ones((2, 2)), axis=2), "axis must be <= 1"),
])
def test_validation_messages_name_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()

"""Bad arguments that used to pass silently or crash with a foreign exception (examples from issue #21)."""

import numpy as np
import pytest

from mlsheet_utils import questions, validation
from mlsheet_utils.algorithms import bias_variance, linalg, policy_gradient, rl
from mlsheet_utils.algorithms.clustering import kmeans, mixture
from mlsheet_utils.algorithms.probability import distributions, divergences, graphical, rules
from mlsheet_utils.explore import controls

NON_SYMMETRIC = np.array([[2.0, 1.0], [0.0, 2.0]])   # its lower triangle alone is a valid covariance


@pytest.mark.parametrize("call, match", [
    (lambda: divergences.kl_mvn([0, 0], NON_SYMMETRIC, [0, 0], np.eye(2)), "cov1 must be symmetric"),
    (lambda: mixture.log_gaussian_densities(np.zeros((3, 2)), np.zeros((1, 2)), NON_SYMMETRIC[None]),
     "covariances must be symmetric"),
    (lambda: distributions.wishart_logpdf(NON_SYMMETRIC, np.eye(2), 3.0), "X must be symmetric"),
    (lambda: mixture.m_step(np.zeros((5, 2)), np.zeros((5, 2))), "rows summing to 1"),
    (lambda: mixture.m_step(np.zeros((5, 2)), np.ones((5, 2))), "rows summing to 1"),
    (lambda: graphical.lda_conditional([1, 0], [1, 1], [3, 3], -1.0, 0.1, 4), "alpha"),
    (lambda: graphical.lda_conditional([1, 0], [1, 1], [3, 3], 0.5, 0.0, 4), "beta"),
    (lambda: graphical.lda_conditional([1, -1], [1, 1], [3, 3], 0.5, 0.1, 4), "ndk_d"),
    (lambda: graphical.lda_counts(np.array([[0, -1]]), np.array([[0, 1]]), 2, 4), "docs"),
    (lambda: graphical.lda_counts(np.array([[0, 3]]), np.array([[0, 2]]), 2, 4), "z"),
    (lambda: rl.policy_evaluation(None, np.zeros(16, int)), "mdp must be an MDP"),
    (lambda: rl.q_from_v(None, np.zeros(16)), "mdp must be an MDP"),
    (lambda: distributions.gamma_logpdf(np.nan, 2.0, 1.0), "NaN"),
    (lambda: distributions.normal_logpdf([0.0, np.nan], 0.0, 1.0), "NaN"),
    (lambda: rules.check_joint(np.array([[0.25, 0.25]]), atol=np.nan), "atol"),
    (lambda: controls.log_slider("x", -1, 1, 0.1, base=0), "base"),
    (lambda: controls.log_slider("x", -1, 1, 0.1, step=0), "step"),
    (lambda: controls.int_slider("n", 0, 10, 5, step=0), "step"),
    (lambda: questions.interview([("q", "a")], minimum=-1), "minimum"),
    # an empty input is named, not blamed on another argument ("k must be <= 0, got 2")
    (lambda: kmeans.kmeans(np.empty((0, 2)), 2), r"X must not be empty, got shape \(0, 2\)"),
    (lambda: kmeans.kmeans(np.zeros((5, 0)), 2), r"X must not be empty, got shape \(5, 0\)"),
    (lambda: mixture.gmm_em(np.empty((0, 2)), 2), "X must not be empty"),
    (lambda: linalg.truncated_svd(np.empty((0, 3)), 2), "A must not be empty"),
    # None is not "NaN or infinite values"
    (lambda: kmeans.kmeans(None, 2), "X must be an array of numbers, got None"),
    (lambda: validation.as_array([[1.0, "a"]], "x"), "x must be an array of numbers, got a list"),
    (lambda: validation.as_array([1.0, np.nan, np.inf], "x"), r"x contains NaN or infinite values \(2 of 3"),
])
def test_bad_argument_raises_a_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_special_values_stay_allowed():
    # a density is 0 far out: log-density -inf at +inf and outside the support, never NaN
    assert distributions.gamma_logpdf(np.inf, 2.0, 1.0) == -np.inf
    assert distributions.gamma_logpdf(-1.0, 2.0, 1.0) == -np.inf
    assert distributions.normal_logpdf(np.inf, 0.0, 1.0) == -np.inf
    # valid inputs still give the same answers
    assert distributions.gamma_logpdf(1.0, 2.0, 1.0) == pytest.approx(-1.0)
    resp = np.array([[1.0, 0.0], [0.3, 0.7], [0.0, 1.0]])
    weights, _, _ = mixture.m_step(np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]]), resp)
    np.testing.assert_allclose(weights, [1.3 / 3, 1.7 / 3])
    ndk, nkw, nk = graphical.lda_counts(np.array([[0, 3]]), np.array([[0, 1]]), 2, 4)
    assert nkw[1, 3] == 1 and nk.tolist() == [1, 1]
    p = graphical.lda_conditional([1, 0], [1, 1], [3, 3], 0.5, 0.1, 4)
    assert p.sum() == pytest.approx(1.0) and p[0] > p[1]
    # empty inputs where the maths gives an answer stay allowed
    assert linalg.det_gauss(np.empty((0, 0))) == 1.0
    assert linalg.matrix_rank(np.empty((0, 3))) == 0 and linalg.rank_gauss(np.empty((0, 3))) == 0
    assert policy_gradient.discounted_returns([], 0.9).shape == (0,)
    S = bias_variance.ridge_smoother(np.empty((4, 0)), np.empty((2, 0)), 1.0)     # intercept only: the mean
    np.testing.assert_allclose(S, np.full((2, 4), 0.25))


def test_callables_and_probability_vectors_are_named():
    with pytest.raises(ValueError, match="f must be callable, got NoneType None"):
        validation.check_callable(None, "f")
    assert validation.check_callable(len, "f") is len
    with pytest.raises(ValueError, match="p must sum to 1 along axis -1, got a sum of 0.5"):
        validation.check_probabilities([0.25, 0.25], "p")
    with pytest.raises(ValueError, match="p must hold non-negative probabilities, got a minimum of -0.5"):
        validation.check_probabilities([-0.5, 1.5], "p")
    with pytest.raises(ValueError, match=r"p contains NaN"):
        validation.check_probabilities([np.nan, 1.0], "p")
    np.testing.assert_array_equal(validation.check_probabilities([[0.5, 0.5], [1.0, 0.0]], "p"),
                                  [[0.5, 0.5], [1.0, 0.0]])


def test_the_contract_tests_found_these():
    """Found by tests/test_contracts.py: a negative-definite X with a positive determinant, and callables."""
    with pytest.raises(ValueError, match="X must be positive definite"):
        distributions.wishart_logpdf(-np.eye(2), np.eye(2), 3.0)           # det(-I) = +1
    with pytest.raises(ValueError, match="y contains NaN"):
        distributions.pushforward_pdf([np.nan], lambda x: x, [(np.sqrt, np.sqrt)])
    with pytest.raises(ValueError, match="pdf_x must be callable"):
        distributions.pushforward_pdf([1.0], None, [(np.sqrt, np.sqrt)])
    with pytest.raises(ValueError, match="rv must be callable"):
        distributions.finite_law(None, {0: 1.0})
    with pytest.raises(ValueError, match="parts must be a list"):
        distributions.mixture_pdf([0.0], [1.0], None)
    with pytest.raises(ValueError, match="p must sum to 1"):
        divergences.hellinger([0.25, 0.25], [0.5, 0.5])


def test_flags_must_be_true_or_false():
    for bad in (None, "yes", 1, 0.0):
        with pytest.raises(ValueError, match="flag must be True or False"):
            validation.check_bool(bad, "flag")
    assert validation.check_bool(np.True_, "flag") is True and validation.check_bool(False, "flag") is False

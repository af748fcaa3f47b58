"""Decoding rules and speculative decoding against independent references (loops, SciPy, enumeration)."""

from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats
from scipy.special import softmax

from mlsheet_utils.algorithms import decoding


def _rational(n, g):
    w = g.integers(1, 9, n)
    return [Fraction(int(v), int(w.sum())) for v in w]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_emitted_distribution_is_target_exactly(seed):
    g = np.random.default_rng(seed)
    p, q = _rational(5, g), _rational(5, g)
    # independent reference: sum over draft outcomes written directly as accept/reject probabilities
    excess = [max(Fraction(0), a - b) for a, b in zip(p, q)]
    law = [Fraction(0)] * 5
    for x in range(5):
        acc = min(Fraction(1), p[x] / q[x])
        law[x] += q[x] * acc
        for y in range(5):
            law[y] += q[x] * (1 - acc) * excess[y] / sum(excess)
    assert law == p
    assert list(decoding.emitted_distribution(p, q)) == p
    assert decoding.acceptance_rate(p, q) == sum(min(a, b) for a, b in zip(p, q))


@pytest.mark.parametrize("gamma", [1, 2, 3])
def test_step_outcomes_mean_length_closed_form(gamma):
    g = np.random.default_rng(gamma)
    p, q = _rational(4, g), _rational(4, g)
    P = np.array([p] * 4, dtype=object)
    Q = np.array([q] * 4, dtype=object)
    out = decoding.step_outcomes(P, Q, 0, gamma)
    alpha = sum(min(a, b) for a, b in zip(p, q))
    assert sum(out.values()) == 1
    assert sum(pr * len(s) for s, pr in out.items()) == sum(alpha**j for j in range(gamma + 1))
    assert np.isclose(decoding.expected_tokens(float(alpha), gamma), float(sum(alpha**j for j in range(gamma + 1))))


def test_speculative_step_monte_carlo():
    g = np.random.default_rng(5)
    P = softmax(g.normal(size=(4, 4)), axis=1)
    Q = softmax(g.normal(size=(4, 4)), axis=1)
    runs = [decoding.speculative_step(lambda s: P[s[-1]], lambda s: Q[s[-1]], (0,), 2, g) for _ in range(4000)]
    counts = np.bincount([r.tokens[0] for r in runs], minlength=4)
    assert stats.chisquare(counts, 4000 * P[0]).pvalue > 1e-4


def test_sampling_rules_against_loops():
    g = np.random.default_rng(7)
    logits = g.normal(size=(6, 7))
    p = softmax(logits, axis=1)
    assert np.array_equal(decoding.greedy(p), logits.argmax(1))
    np.testing.assert_allclose(decoding.temperature(p, 0.5), softmax(2 * logits, axis=1), rtol=1e-10)
    for row, k_row, p_row in zip(p, decoding.top_k(p, 3), decoding.top_p(p, 0.6)):
        order = np.argsort(-row)
        ref = np.zeros(7)
        ref[order[:3]] = row[order[:3]]
        np.testing.assert_allclose(k_row, ref / ref.sum(), rtol=1e-12)
        n_keep = int(np.searchsorted(np.cumsum(row[order]), 0.6) + 1)
        ref = np.zeros(7)
        ref[order[:n_keep]] = row[order[:n_keep]]
        np.testing.assert_allclose(p_row, ref / ref.sum(), rtol=1e-12)
    draws = decoding.sample(np.tile(p[0], (20000, 1)), 3)
    assert stats.chisquare(np.bincount(draws, minlength=7), 20000 * p[0]).pvalue > 1e-4


def test_bigram_tables_counts():
    t = np.array([0, 1, 2, 1, 0, 2, 2, 1])
    c = Counter(zip(t[:-1], t[1:]))
    ref = np.array([[c[(u, v)] + 1.0 for v in range(3)] for u in range(3)])
    np.testing.assert_allclose(decoding.bigram_tables(t, 3), ref / ref.sum(1, keepdims=True), rtol=1e-12)


def test_bad_inputs():
    with pytest.raises(ValueError, match="p must"):
        decoding.greedy([0.5, 0.6])
    with pytest.raises(ValueError, match="same shape"):
        decoding.acceptance_rate([0.5, 0.5], [1.0])
    with pytest.raises(ValueError, match="exactly 1"):
        decoding.emitted_distribution([Fraction(1, 2), Fraction(1, 3)], [Fraction(1, 2), Fraction(1, 2)])
    with pytest.raises(ValueError, match="k"):
        decoding.top_k([0.5, 0.5], 3)
    with pytest.raises(ValueError, match="alpha"):
        decoding.expected_tokens(1.5, 2)
    with pytest.raises(ValueError, match="gamma"):
        decoding.speculative_step(lambda s: [1.0], lambda s: [1.0], (0,), 0)
    with pytest.raises(ValueError, match="tokens"):
        decoding.bigram_tables([0, 5], 3)

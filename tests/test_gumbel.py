"""Gumbel noise, Gumbel-max sampling, the Gumbel-softmax relaxation and its gradient estimators."""

import numpy as np
import pytest
from scipy import special, stats

from mlsheet_utils.algorithms.nn import gumbel as gs


def _central_difference(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_noise_is_standard_gumbel(seed):
    g = gs.gumbel_noise(5000, rng=seed)
    assert stats.kstest(g, stats.gumbel_r.cdf).pvalue > 1e-3
    assert abs(g.mean() - np.euler_gamma) < 5 * np.pi / np.sqrt(6) / np.sqrt(g.size)   # 5 standard errors


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gumbel_max_frequencies_match_softmax(seed):
    logits = np.random.default_rng(seed).standard_normal(3 + seed)
    n = 20_000
    counts = np.bincount(gs.gumbel_max_sample(logits, n, rng=seed + 10), minlength=logits.size)
    assert stats.chisquare(counts, n * special.softmax(logits)).pvalue > 1e-3


@pytest.mark.parametrize("seed", [0, 1])
def test_relaxed_sample_and_its_pullback(seed):
    g = np.random.default_rng(seed)
    logits, tau = g.standard_normal(4), 0.3 + seed
    noise = gs.gumbel_noise((6, 4), rng=g)
    draw = gs.gumbel_softmax(logits, tau, noise)
    np.testing.assert_allclose(draw.soft, special.softmax((logits + noise) / tau, axis=1), rtol=1e-12)
    np.testing.assert_array_equal(draw.index, np.argmax(logits + noise, axis=1))
    np.testing.assert_array_equal(draw.hard.argmax(axis=1), draw.index)
    dy = g.standard_normal(4)
    row = noise[0]
    ref = _central_difference(lambda t: special.softmax((t + row) / tau) @ dy, logits.copy())
    np.testing.assert_allclose(gs.gumbel_softmax_vjp(draw.soft[0], dy, tau), ref, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("tau", [0.5, 2.0])
def test_gradient_estimates_against_finite_differences(tau):
    g = np.random.default_rng(3)
    logits, target = g.standard_normal(3), np.array([0.2, 0.7, 0.1])
    noise = gs.gumbel_noise((500, 3), rng=4)
    est = gs.gradient_estimates(logits, target, tau, noise)

    def expected(t):
        p = special.softmax(t)
        return sum(p[i] * ((np.eye(3)[i] - target) ** 2).sum() for i in range(3))

    def relaxed(t):
        return (((special.softmax((t + noise) / tau, axis=1) - target) ** 2).sum(axis=1)).mean()

    hard = np.eye(3)[np.argmax(logits + noise, axis=1)]

    def straight_through_surrogate(t):        # forward value of the soft sample, paired with the hard one's slope
        return (special.softmax((t + noise) / tau, axis=1) * 2 * (hard - target)).sum(axis=1).mean()

    np.testing.assert_allclose(est.exact, _central_difference(expected, logits.copy()), atol=1e-8)
    np.testing.assert_allclose(est.relaxed, _central_difference(relaxed, logits.copy()), atol=1e-8)
    np.testing.assert_allclose(est.straight_through, _central_difference(straight_through_surrogate, logits.copy()),
                               atol=1e-8)
    assert np.all(np.abs(est.reinforce - est.exact) < 5 * est.reinforce_se + 1e-12)       # unbiased: 5 SE


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="tau"):
        gs.gumbel_softmax([0.0, 1.0], 0.0, np.zeros(2))
    with pytest.raises(ValueError, match="logits"):
        gs.gumbel_max_sample([1.0], 10)
    with pytest.raises(ValueError, match="n_samples"):
        gs.gumbel_max_sample([0.0, 1.0], 0)
    with pytest.raises(ValueError, match="noise"):
        gs.gumbel_softmax([0.0, 1.0, 2.0], 1.0, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="noise"):
        gs.gradient_estimates([0.0, 1.0], [0.0, 1.0], 1.0, np.zeros((1, 2)))
    with pytest.raises(ValueError, match="shape"):
        gs.gumbel_noise((3, 0))

"""Unit tests of mlsheet_utils.algorithms.probability.partition against direct sums, NumPy and closed forms."""

import itertools
import math

import numpy as np
import pytest

from mlsheet_utils.algorithms.probability import partition


def _direct_log_z(n, J, h, beta):
    """log Z summed term by term in plain Python over every configuration of the ring."""
    terms = []
    for s in itertools.product([-1, 1], repeat=n):
        energy = -J * sum(s[i] * s[(i + 1) % n] for i in range(n)) - h * sum(s)
        terms.append(-beta * energy)
    m = max(terms)
    return m + math.log(sum(math.exp(t - m) for t in terms))


def test_energy_matches_a_loop():
    rng = np.random.default_rng(0)
    S = rng.choice([-1, 1], size=(20, 5))
    loop = [-0.7 * sum(s[i] * s[(i + 1) % 5] for i in range(5)) - 0.3 * s.sum() for s in S]
    np.testing.assert_allclose(partition.ising_ring_energy(S, 0.7, 0.3), loop, rtol=1e-14)


@pytest.mark.parametrize("n, J, h, beta", [(1, 1.0, 0.5, 1.0), (3, 1.0, 0.0, 0.7), (6, -0.7, 0.4, 2.0),
                                           (9, 1.3, -0.2, 0.05)])
def test_log_z_brute_and_transfer_match_a_direct_sum(n, J, h, beta):
    ref = _direct_log_z(n, J, h, beta)
    assert float(partition.ising_ring_log_z(n, J, h, beta)) == pytest.approx(ref, rel=1e-12)
    assert float(partition.ising_ring_log_z_transfer(n, J, h, beta)) == pytest.approx(ref, rel=1e-12)


def test_transfer_matches_matrix_power_and_stays_finite_when_cold():
    n, J, h = 40, 0.9, 0.1
    T = np.array([[math.exp(J * a * b + h * (a + b) / 2) for b in (-1, 1)] for a in (-1, 1)])
    assert float(partition.ising_ring_log_z_transfer(n, J, h)) == pytest.approx(
        math.log(np.trace(np.linalg.matrix_power(T, n))), rel=1e-12)
    betas = np.array([10.0, 100.0, 1000.0])
    lz = partition.ising_ring_log_z_transfer(12, 1.0, 0.2, betas)
    # cold limit: log Z -> -beta E_min + log(#ground states); all spins up, E_min = -12 - 12 * 0.2
    np.testing.assert_allclose(lz, betas * 14.4, rtol=1e-9)
    np.testing.assert_allclose(partition.ising_ring_log_z(12, 1.0, 0.2, betas), lz, rtol=1e-12)


@pytest.mark.parametrize("n, K", [(4, 0.3), (7, 0.8), (10, -0.5)])
def test_moments_at_zero_field_match_the_closed_form(n, K):
    # h = 0: Z = (2 cosh K)^n + (2 sinh K)^n, so E[sum s_i s_{i+1}] = n (t + t^(n-1)) / (1 + t^n), t = tanh K
    def mean_pair(k):
        t = math.tanh(k)
        return n * (t + t ** (n - 1)) / (1 + t**n)
    beta = 0.5
    m = partition.ising_ring_moments(n, K / beta, 0.0, beta)
    assert m.mean[0] == pytest.approx(mean_pair(K), rel=1e-12)
    assert m.mean[1] == pytest.approx(0.0, abs=1e-12)
    eps = 1e-5                                           # Var = d E / dK (the log-partition's second derivative)
    assert m.cov[0, 0] == pytest.approx((mean_pair(K + eps) - mean_pair(K - eps)) / (2 * eps), rel=1e-7)
    assert m.cov[0, 1] == pytest.approx(0.0, abs=1e-12)


def test_validation_errors():
    with pytest.raises(ValueError, match="-1 and \\+1"):
        partition.ising_ring_energy([[1, 0, -1]], 1.0)
    with pytest.raises(ValueError, match="n must be <= 16"):
        partition.ising_ring_log_z(17, 1.0)
    with pytest.raises(ValueError, match="beta must be > 0"):
        partition.ising_ring_log_z_transfer(5, 1.0, 0.0, [1.0, 0.0])
    with pytest.raises(ValueError, match="J must be a finite"):
        partition.ising_ring_moments(4, float("nan"))

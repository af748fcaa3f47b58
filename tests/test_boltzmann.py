"""Boltzmann machine functions against independent references: itertools enumeration, finite differences."""

import itertools

import numpy as np
import pytest

from mlsheet_utils.algorithms.nn import boltzmann as bm


def _params(seed, n):
    rng = np.random.default_rng(seed)
    W = rng.normal(0, 1, (n, n))
    W = np.triu(W, 1) + np.triu(W, 1).T
    return W, rng.normal(0, 0.5, n)


def _brute(W, b, T=1.0):
    states = np.array(list(itertools.product([0, 1], repeat=len(b))), dtype=float)
    energies = np.array([-sum(W[i, j] * s[i] * s[j] for i in range(len(b)) for j in range(i + 1, len(b)))
                         - b @ s for s in states])
    w = np.exp(-energies / T)
    return states, energies, w / w.sum(), np.log(w.sum())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_against_loops(seed):
    W, b = _params(seed, 5)
    states, energies, probs, log_Z = _brute(W, b, 1.7)
    ex = bm.boltzmann_exact(W, b, temperature=1.7)
    np.testing.assert_allclose(bm.bm_energy(states, W, b), energies, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ex.probs, probs, rtol=1e-12)
    np.testing.assert_allclose(ex.log_Z, log_Z, rtol=1e-12)
    np.testing.assert_allclose(ex.correlations, np.einsum("k,ki,kj->ij", probs, states, states), rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_conditional_is_ratio_of_joint_probabilities(seed):
    W, b = _params(seed, 4)
    states, _, probs, _ = _brute(W, b)
    for i in range(4):
        for s in states:
            on, off = s.copy(), s.copy()
            on[i], off[i] = 1, 0
            p_on = probs[int("".join(str(int(v)) for v in on), 2)]
            p_off = probs[int("".join(str(int(v)) for v in off), 2)]
            assert bm.unit_conditional(s, W, b, i) == pytest.approx(p_on / (p_on + p_off), rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_against_finite_differences(seed):
    W, b = _params(seed, 4)
    data = (np.random.default_rng(seed).random((30, 4)) < 0.5).astype(float)
    g = bm.bm_gradient(W, b, data)
    eps = 1e-6

    def ll(W_, b_):
        _, energies, _, log_Z = _brute(W_, b_)
        idx = [int("".join(str(int(v)) for v in s), 2) for s in data]
        return -energies[idx].mean() - log_Z

    for i, j in [(0, 1), (2, 3), (1, 3)]:
        E = np.zeros((4, 4))
        E[i, j] = E[j, i] = eps
        fd = (ll(W + E, b) - ll(W - E, b)) / (2 * eps)
        assert g.dW[i, j] == pytest.approx(fd, rel=1e-6, abs=1e-8)
    for i in range(4):
        e = np.eye(4)[i] * eps
        assert g.db[i] == pytest.approx((ll(W, b + e) - ll(W, b - e)) / (2 * eps), rel=1e-6, abs=1e-8)


def test_gibbs_matches_exact_means():
    W, b = _params(3, 5)
    _, _, probs, _ = _brute(W, b)
    states = np.array(list(itertools.product([0, 1], repeat=5)), dtype=float)
    samples = bm.bm_gibbs(W, b, 400, n_chains=100, rng=0)[50:].reshape(-1, 5)
    np.testing.assert_allclose(samples.mean(axis=0), probs @ states, atol=0.03)


def test_fit_reaches_moment_matching():
    data = (np.random.default_rng(0).random((40, 4)) < 0.3).astype(float)
    model = bm.bm_fit(data, learning_rate=1.0, n_steps=400)
    states, _, probs, _ = _brute(model.W, model.b)
    np.testing.assert_allclose(probs @ states, data.mean(axis=0), atol=1e-3)
    assert np.all(np.diff(model.log_likelihood) > -1e-12)


def test_bad_inputs():
    W, b = _params(0, 3)
    with pytest.raises(ValueError, match="symmetric"):
        bm.bm_energy(np.zeros(3), W + np.triu(np.ones((3, 3)), 1), b)
    with pytest.raises(ValueError, match="diagonal"):
        bm.boltzmann_exact(W + np.eye(3), b)
    with pytest.raises(ValueError, match="temperature"):
        bm.boltzmann_exact(W, b, temperature=0.0)
    with pytest.raises(ValueError, match="only 0 and 1"):
        bm.bm_energy(np.array([0.0, 2.0, 1.0]), W, b)
    with pytest.raises(ValueError, match="n_steps"):
        bm.bm_fit(np.zeros((3, 3)), n_steps=0)

"""Markov chains and HMMs against SciPy, networkx, hmmlearn and brute-force enumeration."""

import itertools

import networkx as nx
import numpy as np
import pytest
import scipy.linalg
from hmmlearn import hmm

from mlsheet_utils.algorithms import markov

SEEDS = [0, 1, 2]


def _random_chain(seed, k=4):
    g = np.random.default_rng(seed)
    return g.dirichlet(np.ones(k), size=k)


def _random_hmm(seed, k=3, v=4):
    g = np.random.default_rng(seed)
    return g.dirichlet(np.ones(k)), g.dirichlet(np.ones(k), size=k), g.dirichlet(np.ones(v), size=k)


def _hmmlearn(pi, A, B):
    ref = hmm.CategoricalHMM(n_components=A.shape[0], init_params="", params="")
    ref.n_features = B.shape[1]
    ref.startprob_, ref.transmat_, ref.emissionprob_ = pi, A, B
    return ref


def _log_joint(pi, A, B, x, z):
    return np.log(pi[z[0]] * B[z[0], x[0]]) + sum(np.log(A[z[t - 1], z[t]] * B[z[t], x[t]]) for t in range(1, len(z)))


@pytest.mark.parametrize("seed", SEEDS)
def test_stationary_matches_scipy_eig(seed):
    P = _random_chain(seed)
    w, vl = scipy.linalg.eig(P, left=True, right=False)
    v = np.real(vl[:, np.argmin(np.abs(w - 1))])
    pi = v / v.sum()
    np.testing.assert_allclose(markov.stationary_power(P).pi, pi, rtol=1e-9)
    np.testing.assert_allclose(markov.stationary_solve(P), pi, rtol=1e-10)


@pytest.mark.parametrize("seed", SEEDS)
def test_distribution_path_matches_matrix_power(seed):
    P = _random_chain(seed)
    p0 = np.random.default_rng(seed + 10).dirichlet(np.ones(4))
    path = markov.distribution_path(P, p0, 7)
    np.testing.assert_allclose(path, [p0 @ np.linalg.matrix_power(P, t) for t in range(8)], rtol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_hitting_times_give_kac(seed):
    P = _random_chain(seed)
    w, vl = scipy.linalg.eig(P, left=True, right=False)
    v = np.real(vl[:, np.argmin(np.abs(w - 1))])
    pi = v / v.sum()
    for i in range(4):
        np.testing.assert_allclose(1 + P[i] @ markov.mean_hitting_times(P, i), 1 / pi[i], rtol=1e-10)


def test_simulated_return_times_match_kac():
    P = _random_chain(3, k=3)
    pi = markov.stationary_solve(P)
    states = markov.simulate_chain(P, 30_000, rng=0)
    for i in range(3):
        gaps = markov.return_times(states, i)
        assert abs(gaps.mean() - 1 / pi[i]) < 5 * gaps.std(ddof=1) / np.sqrt(gaps.size)   # 5 standard errors


def test_detailed_balance_gap_closed_form():
    cycle = np.roll(np.eye(3), 1, axis=1)
    assert markov.detailed_balance_gap(cycle, np.full(3, 1 / 3)) == pytest.approx(1 / 3)
    two = np.array([[0.7, 0.3], [0.2, 0.8]])
    assert markov.detailed_balance_gap(two, [0.4, 0.6]) < 1e-15


@pytest.mark.parametrize("seed", SEEDS)
def test_pagerank_matches_networkx(seed):
    g = np.random.default_rng(seed)
    W = (g.random((6, 6)) < 0.35).astype(float)
    np.fill_diagonal(W, 0)
    ref = nx.pagerank(nx.from_numpy_array(W, create_using=nx.DiGraph), alpha=0.85, tol=1e-14, max_iter=1000)
    np.testing.assert_allclose(markov.pagerank(W, 0.85), [ref[i] for i in range(6)], rtol=1e-8)


@pytest.mark.parametrize("seed", SEEDS)
def test_hmm_inference_matches_hmmlearn(seed):
    pi, A, B = _random_hmm(seed)
    _, x = markov.sample_hmm(pi, A, B, 60, rng=seed)
    ref = _hmmlearn(pi, A, B)
    X = x[:, None]
    np.testing.assert_allclose(markov.forward(pi, A, B, x).log_likelihood, ref.score(X), rtol=1e-10)
    np.testing.assert_allclose(markov.posterior(pi, A, B, x), ref.predict_proba(X), atol=1e-9)
    logp, path = ref.decode(X, algorithm="viterbi")
    vit = markov.viterbi(pi, A, B, x)
    np.testing.assert_allclose(vit.log_prob, logp, rtol=1e-10)
    # random tables can have exactly tied best paths (the same factors in another order): compare probabilities
    np.testing.assert_allclose(_log_joint(pi, A, B, x, vit.path), _log_joint(pi, A, B, x, path), rtol=1e-10)


@pytest.mark.parametrize("seed", SEEDS)
def test_hmm_against_explicit_enumeration(seed):
    pi, A, B = _random_hmm(seed, k=2, v=3)
    x = np.random.default_rng(seed).integers(0, 3, size=6)
    joint = {}
    for z in itertools.product(range(2), repeat=6):      # independent brute force, written out here
        p = pi[z[0]] * B[z[0], x[0]]
        for t in range(1, 6):
            p *= A[z[t - 1], z[t]] * B[z[t], x[t]]
        joint[z] = p
    total = sum(joint.values())
    np.testing.assert_allclose(np.exp(markov.forward(pi, A, B, x).log_likelihood), total, rtol=1e-12)
    best = max(joint.values())
    assert joint[tuple(markov.viterbi(pi, A, B, x).path.tolist())] == pytest.approx(best, rel=1e-12)
    post0 = sum(p for z, p in joint.items() if z[2] == 0) / total
    assert markov.posterior(pi, A, B, x)[2, 0] == pytest.approx(post0, rel=1e-12)
    enum = markov.enumerate_paths(pi, A, B, x)
    assert enum.likelihood == pytest.approx(total, rel=1e-12)
    scaled = markov.forward(pi, A, B, x).alpha * markov.backward(pi, A, B, x)
    np.testing.assert_allclose(scaled, enum.posterior, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_baum_welch_matches_hmmlearn(seed):
    pi, A, B = _random_hmm(seed)
    _, x = markov.sample_hmm(pi, A, B, 200, rng=seed)
    init = _random_hmm(seed + 100)
    ours = markov.baum_welch(x, *init, n_iter=10, tol=0)
    ref = hmm.CategoricalHMM(n_components=3, init_params="", n_iter=10, tol=-np.inf)
    ref.n_features = 4
    ref.startprob_, ref.transmat_, ref.emissionprob_ = (p.copy() for p in init)
    ref.fit(x[:, None])
    np.testing.assert_allclose(ours.transmat, ref.transmat_, atol=1e-8)
    np.testing.assert_allclose(ours.emissionprob, ref.emissionprob_, atol=1e-8)
    np.testing.assert_allclose(ours.startprob, ref.startprob_, atol=1e-8)
    assert np.all(np.diff(ours.log_likelihoods) >= -1e-9)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="P"):
        markov.stationary_power([[0.5, 0.6], [0.5, 0.5]])
    with pytest.raises(ValueError, match="p0"):
        markov.distribution_path(np.eye(2), [0.3, 0.3], 3)
    with pytest.raises(ValueError, match="n_steps"):
        markov.simulate_chain(np.eye(2), -1)
    with pytest.raises(ValueError, match="damping"):
        markov.pagerank(np.ones((3, 3)), damping=1.5)
    pi, A, B = _random_hmm(0)
    with pytest.raises(ValueError, match="obs"):
        markov.forward(pi, A, B, np.array([0, 7]))
    with pytest.raises(ValueError, match="emissionprob"):
        markov.viterbi(pi, A, B[:2], np.array([0, 1]))
    with pytest.raises(ValueError, match="enumerate"):
        markov.enumerate_paths(pi, A, B, np.zeros(20, dtype=int))

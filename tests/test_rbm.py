"""Restricted Boltzmann machines against scikit-learn, brute-force enumeration and finite differences."""

import itertools

import numpy as np
import pytest
from scipy.special import expit, logsumexp
from sklearn.neural_network import BernoulliRBM

from mlsheet_utils.algorithms.nn import rbm


def _model(seed, n_v=5, n_h=3, scale=1.0):
    g = np.random.default_rng(seed)
    return scale * g.standard_normal((n_v, n_h)), g.standard_normal(n_v), g.standard_normal(n_h)


def _data(seed, n, n_v):
    return (np.random.default_rng(seed + 100).random((n, n_v)) < 0.4).astype(float)


def _brute_log_p(X, W, a, b):
    # log p(v) by summing exp(-E) over every joint state with plain loops
    n_v, n_h = W.shape
    states = [(np.array(v, float), np.array(h, float)) for v in itertools.product([0, 1], repeat=n_v)
              for h in itertools.product([0, 1], repeat=n_h)]
    log_z = logsumexp([a @ v + b @ h + v @ W @ h for v, h in states])
    return np.array([logsumexp([a @ x + b @ np.array(h, float) + x @ W @ np.array(h, float)
                                for h in itertools.product([0, 1], repeat=n_h)]) - log_z for x in X])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_free_energy_and_conditionals_match_sklearn(seed):
    W, a, b = _model(seed)
    X = _data(seed, 20, 5)
    sk = BernoulliRBM(n_components=3)
    sk.components_, sk.intercept_hidden_, sk.intercept_visible_ = W.T, b, a
    np.testing.assert_allclose(rbm.free_energy(X, W, a, b), sk._free_energy(X), rtol=1e-12)
    np.testing.assert_allclose(rbm.hidden_probs(X, W, b), sk._mean_hiddens(X), rtol=1e-12)
    np.testing.assert_allclose(rbm.visible_probs(X[:, :3], W, a), expit(X[:, :3] @ W.T + a), rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_log_likelihood_and_partition_by_enumeration(seed):
    W, a, b = _model(seed)
    X = _data(seed, 7, 5)
    np.testing.assert_allclose(rbm.log_likelihood(X, W, a, b), _brute_log_p(X, W, a, b).mean(), rtol=1e-10)
    np.testing.assert_allclose(rbm.log_partition(W, a, b), rbm.log_partition(W.T, b, a), rtol=1e-12)
    v, h = rbm.binary_states(5)[[3, 9]], rbm.binary_states(3)[[1, 6]]
    np.testing.assert_allclose(rbm.rbm_energy(v, h, W, a, b),
                               [-(a @ x) - (b @ y) - x @ W @ y for x, y in zip(v, h)], rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_gradient_matches_finite_differences(seed):
    W, a, b = _model(seed, 4, 3)
    X = _data(seed, 9, 4)
    g = rbm.exact_gradient(X, W, a, b)
    eps = 1e-5
    for pos, name in enumerate("Wab"):
        params = [W, a, b]
        fd = np.zeros_like(params[pos])
        for idx in np.ndindex(fd.shape):
            up, dn = [p.copy() for p in params], [p.copy() for p in params]
            up[pos][idx] += eps
            dn[pos][idx] -= eps
            fd[idx] = (_brute_log_p(X, *up).mean() - _brute_log_p(X, *dn).mean()) / (2 * eps)
        np.testing.assert_allclose(getattr(g, name), fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("k", [1, 3])
def test_cd_gradient_mean_matches_exact_expectation(k):
    W, a, b = _model(3, 4, 3, scale=1.5)
    X = _data(3, 6, 4)
    runs = np.array([rbm.cd_gradient(np.repeat(X, 100, axis=0), W, a, b, k=k, rng=s).W for s in range(30)])
    expected = rbm.cd_expected_gradient(X, W, a, b, k=k).W
    se = runs.std(axis=0, ddof=1) / np.sqrt(len(runs))
    assert np.all(np.abs(runs.mean(axis=0) - expected) < 5 * se + 1e-12)   # 5 standard errors


def test_cd_expected_gradient_tends_to_exact():
    W, a, b = _model(4, 4, 3)
    X = _data(4, 8, 4)
    np.testing.assert_allclose(rbm.cd_expected_gradient(X, W, a, b, k=200).W, rbm.exact_gradient(X, W, a, b).W,
                               rtol=1e-8, atol=1e-10)


def test_rbm_fit_raises_likelihood_and_dbn_layers_match_sklearn():
    X = _data(5, 200, 6)
    X[:100, :3] = 1.0                                   # structure for the model to learn
    model = rbm.RBM(4, k=1, learning_rate=0.1, n_epochs=10, rng=0).fit(X)
    assert rbm.log_likelihood(X, *model.history_[-1]) > rbm.log_likelihood(X, *model.history_[0]) + 0.2
    dbn = rbm.DBN((4, 2), n_epochs=2, rng=0).fit(X)
    out = X
    for W, a, b in zip(dbn.stack_.weights, dbn.stack_.visible_biases, dbn.stack_.hidden_biases):
        sk = BernoulliRBM(n_components=W.shape[1])
        sk.components_, sk.intercept_hidden_, sk.intercept_visible_ = W.T, b, a
        out = sk._mean_hiddens(out)
    np.testing.assert_allclose(dbn.transform(X), out, rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_dbn_bound_is_tight_at_transpose_and_below_exact(seed):
    W1, a1, b1 = _model(seed, 4, 3)
    X = _data(seed, 5, 4)
    tight = rbm.dbn_bound(X, (W1, a1, b1), (W1.T, b1, a1))
    np.testing.assert_allclose(tight, _brute_log_p(X, W1, a1, b1).mean(), rtol=1e-10)
    W2, a2, b2 = _model(seed + 7, 3, 2)
    H = rbm.binary_states(3)
    log_prior = np.array([logsumexp([a2 @ h + b2 @ np.array(t, float) + h @ W2 @ np.array(t, float)
                                     for t in itertools.product([0, 1], repeat=2)]) for h in H])
    log_prior -= logsumexp(log_prior)
    pv = expit(H @ W1.T + a1)
    log_p = [logsumexp(log_prior + np.sum(x * np.log(pv) + (1 - x) * np.log(1 - pv), axis=1)) for x in X]
    assert rbm.dbn_bound(X, (W1, a1, b1), (W2, a2, b2)) <= np.mean(log_p) + 1e-12


def test_bad_inputs_raise():
    W, a, b = _model(0)
    with pytest.raises(ValueError, match="a has"):
        rbm.free_energy(np.zeros((2, 5)), W, a[:3], b)
    with pytest.raises(ValueError, match="v must have 5 columns"):
        rbm.hidden_probs(np.zeros((2, 4)), W, b)
    with pytest.raises(ValueError, match="lie in"):
        rbm.free_energy(np.full((1, 5), 2.0), W, a, b)
    with pytest.raises(ValueError, match="k"):
        rbm.cd_gradient(np.zeros((2, 5)), W, a, b, k=0)
    with pytest.raises(ValueError, match="enumeration"):
        rbm.exact_gradient(np.zeros((1, 20)), np.zeros((20, 5)), np.zeros(20), np.zeros(5))
    with pytest.raises(ValueError, match="learning_rate"):
        rbm.RBM(3, learning_rate=0.0)
    with pytest.raises(ValueError, match="layer_sizes"):
        rbm.DBN(())


def test_gibbs_chain_one_sweep_matches_the_transition_by_enumeration():
    W, a, b = _model(6, 3, 2)
    V, H = rbm.binary_states(3), rbm.binary_states(2)
    start = V[5]
    ph, pv = expit(start @ W + b), expit(H @ W.T + a)
    p_h = np.prod(np.where(H == 1, ph, 1 - ph), axis=1)                         # p(h | start), loops-free
    p_end = np.array([sum(p_h[s] * np.prod(np.where(v == 1, pv[s], 1 - pv[s])) for s in range(4)) for v in V])
    n = 20_000
    ends = rbm.gibbs_chain(np.repeat(start[None], n, axis=0), W, a, b, k=1, rng=0)
    freq = np.bincount((ends @ [4, 2, 1]).astype(int), minlength=8) / n
    assert np.all(np.abs(freq - p_end) < 5 * np.sqrt(p_end * (1 - p_end) / n) + 1e-12)   # 5 standard errors
    np.testing.assert_array_equal(rbm.gibbs_chain(V, W, a, b, k=0, rng=0), V)

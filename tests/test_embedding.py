"""Exact t-SNE against scikit-learn's internals, SciPy and finite differences."""

import numpy as np
import pytest
from scipy.optimize import approx_fprime
from scipy.spatial.distance import pdist, squareform
from scipy.stats import cauchy
from sklearn.manifold import TSNE as SklearnTSNE
from sklearn.manifold import _t_sne, _utils, trustworthiness

from mlsheet_utils.algorithms import embedding as emb

CASES = [(0, 12, 3, 3.0), (1, 30, 5, 8.0), (2, 45, 2, 20.0)]   # seed, n, d, perplexity


def _data(seed, n, d):
    g = np.random.default_rng(seed)
    return g.standard_normal((n, d)), g.standard_normal((n, 2))


@pytest.mark.parametrize("seed,n,d,perp", CASES)
def test_conditionals_match_sklearn_binary_search(seed, n, d, perp):
    X, _ = _data(seed, n, d)
    D2 = squareform(pdist(X, "sqeuclidean")).astype(np.float32)
    ours = emb.conditional_probabilities(D2.astype(np.float64), perp)
    ref = _utils._binary_search_perplexity(D2, perp, 0)
    np.testing.assert_allclose(ours.P, ref, rtol=1e-9, atol=1e-15)
    assert np.all(np.abs(ours.entropy - np.log(perp)) <= 1e-5)
    np.testing.assert_allclose(ours.sigma, 1 / np.sqrt(2 * ours.beta))


@pytest.mark.parametrize("seed,n,d,perp", CASES)
def test_joint_matches_sklearn(seed, n, d, perp):
    X, _ = _data(seed, n, d)
    ref = squareform(_t_sne._joint_probabilities(squareform(pdist(X, "sqeuclidean")), perp, 0))
    np.testing.assert_allclose(emb.joint_probabilities(X, perp), ref, rtol=1e-5, atol=1e-12)


@pytest.mark.parametrize("seed,n,d,perp", CASES)
def test_kl_gradient_and_q_match_sklearn_and_scipy(seed, n, d, perp):
    X, Y = _data(seed, n, d)
    P = emb.joint_probabilities(X, perp)
    kl, grad = _t_sne._kl_divergence(Y.ravel().copy(), squareform(P, checks=False), 1, n, 2)
    np.testing.assert_allclose(emb.kl_divergence(P, Y), kl, rtol=1e-10)
    np.testing.assert_allclose(emb.kl_gradient(P, Y), grad.reshape(n, 2), rtol=1e-8, atol=1e-14)
    k = cauchy.pdf(pdist(Y)) * np.pi
    np.testing.assert_allclose(emb.student_t_affinities(Y), squareform(k / (2 * k.sum())), rtol=1e-10)
    fd = approx_fprime(Y.ravel(), lambda v: emb.kl_divergence(P, v.reshape(n, 2)), 1e-7)
    np.testing.assert_allclose(emb.kl_gradient(P, Y).ravel(), fd, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("seed,n,d,perp", CASES[1:])
def test_optimizer_matches_sklearn_gradient_descent(seed, n, d, perp):
    X, _ = _data(seed, n, d)
    P = emb.joint_probabilities(X, perp)
    Y0 = 1e-4 * np.random.default_rng(seed + 10).standard_normal((n, 2))
    ours = emb.tsne_optimize(P, Y0, n_iter=40, learning_rate=50.0, exaggeration_iter=8)
    Pc = squareform(P, checks=False)
    kw = dict(n_iter_check=50, learning_rate=50.0, kwargs={}, n_iter_without_progress=10 ** 9, min_grad_norm=0.0)
    p, _, it = _t_sne._gradient_descent(_t_sne._kl_divergence, Y0.ravel().copy(), 0, 8, momentum=0.5,
                                        args=[12.0 * Pc, 1, n, 2], **kw)
    p, _, _ = _t_sne._gradient_descent(_t_sne._kl_divergence, p, it + 1, 40, momentum=0.8, args=[Pc, 1, n, 2], **kw)
    np.testing.assert_allclose(ours.embedding, p.reshape(n, 2), rtol=1e-7, atol=1e-7 * np.abs(p).max())
    assert ours.kl_history.shape == (1,) and ours.snapshots.shape == (1, n, 2)
    np.testing.assert_allclose(ours.kl, _t_sne._kl_divergence(p.copy(), Pc, 1, n, 2)[0], rtol=1e-8)


def test_full_fit_agrees_with_sklearn_on_what_must_agree():
    g = np.random.default_rng(3)
    X = np.vstack([c + 0.5 * g.standard_normal((30, 5)) for c in (np.zeros(5), 4 * np.ones(5), -4 * np.ones(5))])
    Y0 = 1e-4 * g.standard_normal((90, 2))
    ours = emb.TSNE(perplexity=15.0, n_iter=400, record_every=100).fit(X, init=Y0)
    ref = SklearnTSNE(perplexity=15.0, method="exact", init=Y0, max_iter=400).fit(X)
    assert abs(ours.kl_divergence_ - ref.kl_divergence_) < 0.3 * ref.kl_divergence_
    assert trustworthiness(X, ours.embedding_, n_neighbors=5) > 0.95
    assert list(ours.run_.snapshot_iters) == [0, 100, 200, 300, 400]
    assert emb.TSNE(perplexity=15.0, n_iter=10, rng=1).fit_transform(X).shape == (90, 2)


def test_bad_inputs_raise():
    X, Y = _data(0, 10, 3)
    P = emb.joint_probabilities(X, 3.0)
    with pytest.raises(ValueError, match="perplexity"):
        emb.joint_probabilities(X, 10.0)
    with pytest.raises(ValueError, match="perplexity"):
        emb.conditional_probabilities(squareform(pdist(X)), 0.5)
    with pytest.raises(ValueError, match="D2"):
        emb.conditional_probabilities(-np.ones((4, 4)), 2.0)
    with pytest.raises(ValueError, match="P must have shape"):
        emb.kl_divergence(P[:5, :5], Y)
    with pytest.raises(ValueError, match="momentum"):
        emb.tsne_optimize(P, Y, momentum=(0.5, 1.0))
    with pytest.raises(ValueError, match="learning_rate"):
        emb.tsne_optimize(P, Y, learning_rate=0.0)
    with pytest.raises(ValueError, match="init"):
        emb.TSNE(perplexity=3.0).fit(X, init=np.zeros((10, 3)))
    with pytest.raises(ValueError, match="X"):
        emb.joint_probabilities(np.array([[np.nan, 1.0], [0.0, 1.0]]), 1.0)

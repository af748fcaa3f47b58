"""Fréchet distance, FID, Inception Score and k-NN precision/recall against SciPy and scikit-learn."""

import numpy as np
import pytest
from scipy.linalg import sqrtm
from scipy.stats import entropy
from sklearn.neighbors import NearestNeighbors

from mlsheet_utils.algorithms import generative_metrics as gm


def _sqrtm_fid(mu1, c1, mu2, c2):
    return np.sum((mu1 - mu2) ** 2) + np.trace(c1 + c2 - 2 * sqrtm(c1 @ c2).real)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_frechet_distance_matches_sqrtm(seed):
    g = np.random.default_rng(seed)
    d = 1 + seed * 2
    A, B = g.standard_normal((d, d)), g.standard_normal((d, d))
    c1, c2 = A @ A.T + 0.1 * np.eye(d), B @ B.T + 0.1 * np.eye(d)
    mu1, mu2 = g.standard_normal(d), g.standard_normal(d)
    np.testing.assert_allclose(gm.frechet_distance(mu1, c1, mu2, c2), _sqrtm_fid(mu1, c1, mu2, c2), rtol=1e-9)


def test_frechet_distance_1d_closed_form():
    assert gm.frechet_distance([1.0], [[4.0]], [-0.5], [[0.81]]) == pytest.approx(1.5**2 + 1.1**2, rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_fid_matches_numpy_moments(seed):
    g = np.random.default_rng(seed)
    X, Y = g.standard_normal((80, 3)), 1 + 2 * g.standard_normal((60, 3))
    ref = _sqrtm_fid(X.mean(0), np.cov(X.T), Y.mean(0), np.cov(Y.T))
    np.testing.assert_allclose(gm.fid(X, Y), ref, rtol=1e-9)


def test_fid_by_sample_size_mean_term_bias():
    # identical isotropic Gaussians: the exact distance is 0 and the sample FID is positive
    curve = gm.fid_by_sample_size(np.zeros(2), np.eye(2), np.zeros(2), np.eye(2), [30, 300], repeats=20, rng=0)
    assert abs(curve.exact) < 1e-12
    assert curve.mean[0] > curve.mean[1] > 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_inception_score_matches_scipy_entropy(seed):
    g = np.random.default_rng(seed)
    P = g.dirichlet(np.full(4, 0.5), size=30)
    ref = np.exp(np.mean([entropy(row, P.mean(0)) for row in P]))
    np.testing.assert_allclose(gm.inception_score(P), ref, rtol=1e-9)


def test_inception_score_bounds():
    assert gm.inception_score(np.eye(5)[np.arange(50) % 5]) == pytest.approx(5.0, rel=1e-9)
    assert gm.inception_score(np.full((7, 3), 1 / 3)) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("k", [1, 3])
def test_knn_precision_recall_matches_sklearn(k):
    g = np.random.default_rng(k)
    R, G = g.standard_normal((60, 2)), 0.5 + g.standard_normal((50, 2))
    rr = NearestNeighbors(n_neighbors=k + 1).fit(R).kneighbors(R)[0][:, -1]
    rg = NearestNeighbors(n_neighbors=k + 1).fit(G).kneighbors(G)[0][:, -1]
    D = np.linalg.norm(G[:, None] - R[None], axis=2)
    pr = gm.knn_precision_recall(R, G, k)
    assert pr.precision == pytest.approx(np.mean((D <= rr).any(1)))
    assert pr.recall == pytest.approx(np.mean((D.T <= rg).any(1)))


def test_bad_inputs():
    with pytest.raises(ValueError, match="mu2"):
        gm.frechet_distance([0.0, 0.0], np.eye(2), [0.0], np.eye(2))
    with pytest.raises(ValueError, match="cov1"):
        gm.frechet_distance([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]], [0.0, 0.0], np.eye(2))
    with pytest.raises(ValueError, match="X_gen"):
        gm.fid(np.zeros((5, 2)), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="probs"):
        gm.inception_score([[0.5, 0.6]])
    with pytest.raises(ValueError, match="k"):
        gm.knn_precision_recall(np.zeros((4, 2)), np.zeros((4, 2)), k=4)
    with pytest.raises(ValueError, match="sizes"):
        gm.fid_by_sample_size([0.0], [[1.0]], [0.0], [[1.0]], [1, 5])

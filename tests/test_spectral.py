import networkx as nx
import numpy as np
import pytest
import scipy.linalg
from scipy.sparse.csgraph import laplacian as csgraph_laplacian
from sklearn.cluster import SpectralClustering as SkSpectralClustering
from sklearn.datasets import make_blobs, make_moons
from sklearn.manifold import spectral_embedding as sk_spectral_embedding
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics.pairwise import rbf_kernel as sk_rbf_kernel

from mlsheet_utils.algorithms.clustering import spectral


def _random_graph(rng, n):
    W = rng.uniform(0.0, 1.0, (n, n)) * (rng.uniform(size=(n, n)) < 0.6)
    W = np.triu(W, 1)
    return W + W.T + np.diag(rng.uniform(0.1, 1.0, n))       # self-loops included: they count in the degree


def test_affinity_matches_sklearn_rbf_kernel():
    rng = np.random.default_rng(0)
    for _ in range(5):
        X = rng.standard_normal((int(rng.integers(2, 40)), int(rng.integers(1, 5))))
        sigma = float(rng.uniform(0.2, 3.0))
        ref = sk_rbf_kernel(X, gamma=1 / (2 * sigma**2))
        np.fill_diagonal(ref, 0.0)
        np.testing.assert_allclose(spectral.affinity_matrix(X, sigma), ref, rtol=1e-12, atol=1e-15)


def test_laplacians_match_networkx_over_random_weighted_graphs():
    rng = np.random.default_rng(1)
    for _ in range(8):
        W = _random_graph(rng, int(rng.integers(2, 25)))
        G = nx.from_numpy_array(W)
        np.testing.assert_allclose(spectral.graph_laplacian(W), nx.laplacian_matrix(G).toarray(), atol=1e-12)
        np.testing.assert_allclose(spectral.graph_laplacian(W, "symmetric"),
                                   nx.normalized_laplacian_matrix(G).toarray(), atol=1e-12)
        deg = W.sum(1)
        np.testing.assert_allclose(spectral.graph_laplacian(W, "random_walk"),
                                   nx.laplacian_matrix(G).toarray() / deg[:, None], atol=1e-12)


def test_laplacian_on_karate_club_and_scipy():
    A = nx.to_numpy_array(nx.karate_club_graph())
    np.testing.assert_allclose(spectral.graph_laplacian(A, "symmetric"), csgraph_laplacian(A, normed=True), atol=1e-12)


def test_zero_eigenvalues_count_components():
    rng = np.random.default_rng(2)
    for n_parts in (1, 2, 4):
        blocks = [_random_graph(rng, int(rng.integers(2, 6))) + 0.05 for _ in range(n_parts)]   # each connected
        W = scipy.linalg.block_diag(*blocks)
        W = (W + W.T) / 2
        emb = spectral.spectral_embedding(W, 1, "unnormalized")
        assert np.sum(emb.eigenvalues < 1e-9) == nx.number_connected_components(nx.from_numpy_array(W)) == n_parts


def test_random_walk_embedding_matches_sklearn_and_generalized_eigh():
    for seed in range(3):
        X, _ = make_moons(80, noise=0.05, random_state=seed)
        W = spectral.affinity_matrix(X, 0.15)
        ours = spectral.spectral_embedding(W, 3, "random_walk")
        ref = sk_spectral_embedding(W, n_components=3, norm_laplacian=True, drop_first=False, random_state=0)
        np.testing.assert_allclose(ours.vectors, ref, rtol=1e-7, atol=1e-9)
        L = spectral.graph_laplacian(W)
        vals = scipy.linalg.eigh(L, np.diag(W.sum(1)), eigvals_only=True)
        np.testing.assert_allclose(ours.eigenvalues, vals, atol=1e-10)


def test_unnormalized_eigenvalues_match_scipy():
    rng = np.random.default_rng(3)
    W = _random_graph(rng, 15)
    L = np.diag(W.sum(1)) - W
    np.testing.assert_allclose(spectral.spectral_embedding(W, 2, "unnormalized").eigenvalues,
                               scipy.linalg.eigvalsh(L), atol=1e-10)


@pytest.mark.parametrize("laplacian", spectral.LAPLACIANS)
def test_labels_match_sklearn_spectral_clustering(laplacian):
    for X, k, sigma in [(make_moons(120, noise=0.05, random_state=1)[0], 2, 0.1),
                        (make_blobs(90, centers=3, cluster_std=0.5, random_state=4)[0], 3, 1.0)]:
        ref = SkSpectralClustering(k, affinity="rbf", gamma=1 / (2 * sigma**2), random_state=0).fit(X)
        ours = spectral.SpectralClustering(k, sigma, laplacian, rng=0).fit(X)
        assert adjusted_rand_score(ref.labels_, ours.labels_) == 1.0


def test_bad_inputs_raise_value_error():
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="sigma"):
        spectral.affinity_matrix(X, 0.0)
    with pytest.raises(ValueError, match="symmetric"):
        spectral.graph_laplacian(np.array([[0.0, 1.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="non-negative"):
        spectral.graph_laplacian(np.array([[0.0, -1.0], [-1.0, 0.0]]))
    with pytest.raises(ValueError, match="kind"):
        spectral.graph_laplacian(np.eye(2), "fancy")
    with pytest.raises(ValueError, match="degree 0"):
        spectral.graph_laplacian(np.zeros((3, 3)), "symmetric")
    with pytest.raises(ValueError, match="n_components"):
        spectral.spectral_embedding(np.ones((3, 3)) - np.eye(3), 4)
    with pytest.raises(ValueError, match="n_clusters"):
        spectral.SpectralClustering(n_clusters=5).fit(X)
    with pytest.raises(ValueError, match="laplacian"):
        spectral.SpectralClustering(laplacian="nope").fit(X)
    with pytest.raises(ValueError, match="rng"):
        spectral.SpectralClustering(rng=-1).fit(np.random.default_rng(0).normal(size=(6, 2)))

r"""Spectral clustering: a similarity graph, its Laplacian, the Laplacian's first eigenvectors, k-means on their rows.

- :func:`affinity_matrix`     the fully connected RBF similarity graph
  :math:`W_{ij} = \exp(-\lVert x_i - x_j \rVert^2 / 2\sigma^2)` for :math:`i \ne j`, :math:`W_{ii} = 0`;
- :func:`graph_laplacian`     :math:`L = D - W` (``"unnormalized"``), :math:`L_{sym} = I - D^{-1/2} W D^{-1/2}`
  (``"symmetric"``) or :math:`L_{rw} = I - D^{-1} W` (``"random_walk"``), with :math:`D = \mathrm{diag}(W 1)`;
- :func:`spectral_embedding`  the eigenvectors of the ``k`` *smallest* eigenvalues as an (n, k) embedding, for
  each of the three Laplacians; returns :class:`SpectralEmbedding`;
- :class:`SpectralClustering`  the estimator: affinity, embedding, then k-means (the package's
  :func:`~mlsheet_utils.algorithms.clustering.kmeans.kmeans`, best of ``n_init`` k-means++ starts) on the rows.

The three ``laplacian`` choices are the three classic algorithms (von Luxburg, *A tutorial on spectral
clustering*, 2007): unnormalized (relaxed RatioCut), Shi-Malik (``"random_walk"``: the generalized problem
:math:`L v = \lambda D v`, relaxed normalized cut; scikit-learn's ``SpectralClustering``) and Ng-Jordan-Weiss
(``"symmetric"``: eigenvectors of :math:`L_{sym}` with rows scaled to unit length).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.clustering import kmeans as _kmeans
from mlsheet_utils.algorithms.kernels import rbf_kernel
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

LAPLACIANS = ("unnormalized", "symmetric", "random_walk")


def affinity_matrix(X, sigma: float = 1.0) -> np.ndarray:
    r"""Fully connected Gaussian similarity graph of the rows of ``X``, without self-loops.

    :math:`W_{ij} = \exp\left(-\lVert x_i - x_j \rVert^2 / (2\sigma^2)\right)` for :math:`i \ne j`
    (the RBF kernel with :math:`\gamma = 1/(2\sigma^2)`) and :math:`W_{ii} = 0`. A self-loop would not change
    :math:`L = D - W` (it adds :math:`W_{ii}` to :math:`D_{ii}` and to :math:`W_{ii}`), but it would change the
    degrees the normalized Laplacians divide by; scikit-learn drops it too.

    Parameters
    ----------
    X : array_like, shape (n, d)
    sigma : float > 0, the bandwidth

    Returns
    -------
    ndarray, shape (n, n), symmetric, entries in [0, 1), zero diagonal
    """
    sigma = check_float(sigma, "sigma", low=0, low_open=True)
    W = rbf_kernel(X, gamma=1.0 / (2.0 * sigma**2))
    np.fill_diagonal(W, 0.0)
    return W


def _check_graph(W) -> np.ndarray:
    W = as_array(W, "W", ndim=2)
    n = W.shape[0]
    if W.shape != (n, n) or n == 0:
        raise ValueError(f"W must be a non-empty square matrix, got shape {W.shape}")
    if np.any(W < 0):
        raise ValueError("W must have non-negative weights")
    if not np.allclose(W, W.T, rtol=1e-12, atol=1e-14):
        raise ValueError("W must be symmetric (an undirected graph)")
    return W


def _laplacian(W: np.ndarray, kind: str) -> np.ndarray:
    """:func:`graph_laplacian` without validation."""
    deg = W.sum(axis=1)
    if kind == "unnormalized":
        return np.diag(deg) - W
    if np.any(deg <= 0):
        i = int(np.argmin(deg))
        raise ValueError(f"W has a vertex of degree 0 (vertex {i}): a normalized Laplacian divides by the degree "
                         "(increase sigma or remove isolated points)")
    if kind == "symmetric":
        s = 1.0 / np.sqrt(deg)
        return np.eye(len(deg)) - s[:, None] * W * s[None, :]
    return np.eye(len(deg)) - W / deg[:, None]


def graph_laplacian(W, kind: str = "unnormalized") -> np.ndarray:
    r"""A Laplacian of the weighted undirected graph with adjacency ``W``.

    With degrees :math:`d_i = \sum_j W_{ij}` and :math:`D = \mathrm{diag}(d)`:

    - ``"unnormalized"``: :math:`L = D - W`, with :math:`f^\top L f = \tfrac12 \sum_{ij} W_{ij}(f_i - f_j)^2`;
    - ``"symmetric"``:    :math:`L_{sym} = D^{-1/2} L D^{-1/2} = I - D^{-1/2} W D^{-1/2}`;
    - ``"random_walk"``:  :math:`L_{rw} = D^{-1} L = I - D^{-1} W` (not symmetric; same eigenvalues as
      :math:`L_{sym}`).

    Self-loops count in the degrees (as in networkx); :func:`affinity_matrix` makes none.

    Parameters
    ----------
    W : array_like, shape (n, n), symmetric, non-negative
    kind : {"unnormalized", "symmetric", "random_walk"}

    Returns
    -------
    ndarray, shape (n, n)
    """
    if kind not in LAPLACIANS:
        raise ValueError(f"kind must be one of {LAPLACIANS}, got {kind!r}")
    return _laplacian(_check_graph(W), kind)


@dataclass(frozen=True)
class SpectralEmbedding:
    """Output of :func:`spectral_embedding`.

    Attributes
    ----------
    eigenvalues : ndarray, shape (n,)
        Every eigenvalue of :math:`L` (``"unnormalized"``) or of :math:`L_{sym}` (= those of :math:`L_{rw}`),
        ascending.
    vectors : ndarray, shape (n, k)
        The embedding: row ``i`` is the new representation of point ``i``.
    """

    eigenvalues: np.ndarray
    vectors: np.ndarray


def _embedding(W: np.ndarray, k: int, kind: str) -> SpectralEmbedding:
    """:func:`spectral_embedding` without validation."""
    L = _laplacian(W, "unnormalized" if kind == "unnormalized" else "symmetric")
    vals, vecs = np.linalg.eigh(L)                               # ascending eigenvalues, orthonormal vectors
    U = vecs[:, :k]                                              # the k SMALLEST eigenvalues
    if kind == "random_walk":                                    # L v = lambda D v  <=>  v = D^{-1/2} u
        U = U / np.sqrt(W.sum(axis=1))[:, None]
    elif kind == "symmetric":                                    # Ng-Jordan-Weiss: rows to unit length
        U = U / np.maximum(np.linalg.norm(U, axis=1, keepdims=True), np.finfo(float).tiny)
    big = np.argmax(np.abs(U), axis=0)                           # sign: largest |entry| of a column positive
    U = U * np.sign(U[big, np.arange(k)])
    return SpectralEmbedding(vals, U)


def spectral_embedding(W, n_components: int, laplacian: str = "random_walk") -> SpectralEmbedding:
    r"""Embed the vertices of the graph ``W`` with the eigenvectors of the ``n_components`` smallest eigenvalues.

    Minimising :math:`f^\top L f` over unit vectors orthogonal to the ones already found gives the eigenvectors
    of the smallest eigenvalues (Courant-Fischer): functions that are nearly constant on well-connected groups.
    On a graph with ``c`` connected components the eigenvalue 0 has multiplicity ``c`` and its eigenvectors span
    the components' indicator vectors.

    - ``"unnormalized"``: eigenvectors of :math:`L = D - W`;
    - ``"random_walk"``:  generalized eigenvectors of :math:`L v = \lambda D v`, computed as
      :math:`v = D^{-1/2} u` from the eigenvectors :math:`u` of :math:`L_{sym}`;
    - ``"symmetric"``:    eigenvectors of :math:`L_{sym}`, each row scaled to unit length.

    Each column's sign is fixed so that its entry of largest magnitude is positive (as scikit-learn does).

    Parameters
    ----------
    W : array_like, shape (n, n), symmetric, non-negative; every degree > 0 for the normalized kinds
    n_components : int, 1 <= n_components <= n
    laplacian : {"unnormalized", "symmetric", "random_walk"}

    Returns
    -------
    SpectralEmbedding
        ``eigenvalues`` (n,) ascending and ``vectors`` (n, n_components).
    """
    W = _check_graph(W)
    k = check_int(n_components, "n_components", low=1, high=W.shape[0])
    if laplacian not in LAPLACIANS:
        raise ValueError(f"laplacian must be one of {LAPLACIANS}, got {laplacian!r}")
    return _embedding(W, k, laplacian)


@dataclass(eq=False)
class SpectralClustering:
    """Spectral clustering in scikit-learn's shape: RBF graph, Laplacian eigenvectors, then k-means on their rows.

    ``fit(X)`` builds :func:`affinity_matrix` with bandwidth ``sigma``, takes the :func:`spectral_embedding` with
    ``n_clusters`` columns, and runs Lloyd's algorithm on its rows from ``n_init`` k-means++ starts drawn from
    ``rng``, keeping the lowest within-cluster sum of squares. With ``laplacian="random_walk"`` it is
    scikit-learn's ``SpectralClustering(affinity="rbf", gamma=1 / (2 * sigma**2))``.

    Parameters
    ----------
    n_clusters : int >= 1
    sigma : float > 0
    laplacian : {"unnormalized", "symmetric", "random_walk"}
    n_init : int >= 1
    rng : int or numpy.random.Generator

    Attributes
    ----------
    affinity_matrix_ : ndarray, shape (n, n)
    eigenvalues_ : ndarray, shape (n,), ascending
    embedding_ : ndarray, shape (n, n_clusters)
    labels_ : ndarray of int, shape (n,)
    """

    n_clusters: int = 2
    sigma: float = 1.0
    laplacian: str = "random_walk"
    n_init: int = 10
    rng: object = 0

    def fit(self, X, y=None) -> "SpectralClustering":
        """Cluster the rows of ``X`` (n, d); ``y`` is ignored. Returns ``self``."""
        X = as_array(X, "X", ndim=2)
        if X.shape[0] < 2:
            raise ValueError(f"X must have at least 2 rows (one point makes a graph without edges), got {X.shape[0]}")
        k = check_int(self.n_clusters, "n_clusters", low=1, high=X.shape[0])
        n_init = check_int(self.n_init, "n_init", low=1)
        if self.laplacian not in LAPLACIANS:
            raise ValueError(f"laplacian must be one of {LAPLACIANS}, got {self.laplacian!r}")
        gen = check_random_state(self.rng)
        W = affinity_matrix(X, self.sigma)
        emb = _embedding(W, k, self.laplacian)
        runs = [_kmeans.kmeans(emb.vectors, k, max_iter=300, rng=gen) for _ in range(n_init)]
        best = min(runs, key=lambda r: r.wcss)
        self.affinity_matrix_, self.eigenvalues_, self.embedding_ = W, emb.eigenvalues, emb.vectors
        self.labels_ = best.labels
        return self

    def fit_predict(self, X, y=None) -> np.ndarray:
        """``fit(X).labels_``, shape (n,)."""
        return self.fit(X).labels_

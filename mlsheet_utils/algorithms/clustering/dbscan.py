r"""DBSCAN: clusters as connected dense regions, with core, border and noise points.

- :func:`neighborhoods`  the :math:`\varepsilon`-neighbourhood graph, ``A[i, j] = ||x_i - x_j|| <= eps`` (each
  point is its own neighbour);
- :func:`dbscan`         core points, clusters grown breadth-first through core points, border points and noise;
  returns :class:`DBSCANResult`;
- :func:`k_distance`     every point's distance to its ``k``-th nearest neighbour (itself counted first), sorted in
  decreasing order: the k-distance plot used to choose ``eps``;
- :class:`DBSCAN`        the estimator in scikit-learn's shape (``labels_``, ``core_sample_indices_``,
  ``components_``).

Conventions (scikit-learn's and the original paper's, Ester et al. 1996):

- the neighbourhood is closed, :math:`N_\varepsilon(p) = \{q : \lVert p - q \rVert \le \varepsilon\}`, and
  contains :math:`p` itself; :math:`p` is a **core** point when :math:`|N_\varepsilon(p)| \ge` ``min_samples``;
- clusters are the connected components of the graph of core points joined when within :math:`\varepsilon`,
  numbered 0, 1, ... in the order of their lowest-index core point; a non-core point within :math:`\varepsilon` of
  a core point is a **border** point, and when several clusters reach it, it joins the lowest-numbered one (the
  cluster a scan in index order reaches first, as in scikit-learn); every other point is **noise**, label -1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.clustering.kmeans import _squared_distances
from mlsheet_utils.algorithms.neighbors import kneighbors
from mlsheet_utils.validation import as_array, check_float, check_int


def neighborhoods(X, eps: float) -> np.ndarray:
    r"""The closed :math:`\varepsilon`-neighbourhood graph of the rows of ``X``.

    ``A[i, j]`` is true when :math:`\lVert x_i - x_j \rVert \le \varepsilon` (squared distances from one
    matrix product, compared with :math:`\varepsilon^2`); the diagonal is true.

    Parameters
    ----------
    X : array_like, shape (n, d)
    eps : float > 0

    Returns
    -------
    ndarray of bool, shape (n, n), symmetric
    """
    X = as_array(X, "X", ndim=2)
    eps = check_float(eps, "eps", low=0, low_open=True)
    return _neighborhoods(X, eps)


def _neighborhoods(X: np.ndarray, eps: float) -> np.ndarray:
    A = _squared_distances(X, X) <= eps * eps
    np.fill_diagonal(A, True)
    return A


@dataclass(frozen=True)
class DBSCANResult:
    r"""Output of :func:`dbscan`.

    Attributes
    ----------
    labels : ndarray of int, shape (n,)
        Cluster of each point, 0, 1, ...; -1 for noise.
    core : ndarray of bool, shape (n,)
        Which points are core points.
    n_neighbors : ndarray of int, shape (n,)
        :math:`|N_\varepsilon(x_i)|`, the point itself included.
    """

    labels: np.ndarray
    core: np.ndarray
    n_neighbors: np.ndarray

    @property
    def n_clusters(self) -> int:
        return int(self.labels.max()) + 1 if self.labels.size else 0

    @property
    def border(self) -> np.ndarray:
        """Non-core points that belong to a cluster, shape (n,) bool."""
        return (self.labels >= 0) & ~self.core

    @property
    def noise(self) -> np.ndarray:
        """Points of no cluster, shape (n,) bool."""
        return self.labels < 0


def _dbscan(A: np.ndarray, min_samples: int) -> DBSCANResult:
    """:func:`dbscan` on a neighbourhood graph, without validation."""
    n = A.shape[0]
    counts = A.sum(axis=1)
    core = counts >= min_samples
    labels = np.full(n, -1)
    core_graph = A & core[None, :]                               # edges that lead to a core point
    cluster = 0
    for seed in np.flatnonzero(core):                            # lowest unlabelled core point starts a cluster
        if labels[seed] >= 0:
            continue
        frontier = np.zeros(n, dtype=bool)
        frontier[seed] = True
        labels[seed] = cluster
        while frontier.any():                                    # breadth-first, one level per pass
            reached = core_graph[frontier].any(axis=0) & (labels < 0)
            labels[reached] = cluster
            frontier = reached
        cluster += 1
    # border points: not core, within eps of a core point; the lowest-numbered cluster that reaches them
    border = ~core & (A & core[None, :]).any(axis=1)
    if border.any():
        core_labels = np.where(core, labels, n)                  # n is larger than any cluster number
        reach = np.where(A[border], core_labels[None, :], n)
        labels[border] = reach.min(axis=1)
    return DBSCANResult(labels, core, counts)


def dbscan(X, eps: float = 0.5, min_samples: int = 5) -> DBSCANResult:
    r"""Density-based clustering of the rows of ``X``.

    1. Count :math:`|N_\varepsilon(x_i)|` (the point itself included); a point with at least ``min_samples`` is
       a core point.
    2. Take the lowest-index core point not yet in a cluster, start a new cluster there, and add, level by level,
       every core point within :math:`\varepsilon` of a core point already in it (a breadth-first search of the
       core graph; one pass handles a whole level as a boolean matrix product). Repeat until every core point
       has a cluster.
    3. A non-core point within :math:`\varepsilon` of some core point is a border point of the lowest-numbered
       such cluster; the others are noise (-1).

    The result does not depend on the order of the points except for border points that two clusters reach;
    numbering clusters by their first core point and sending such points to the lowest number reproduces a
    scan in index order (scikit-learn's). Cost: :math:`O(n^2 d)` time and :math:`O(n^2)` memory for the
    neighbourhood graph.

    Parameters
    ----------
    X : array_like, shape (n, d)
    eps : float > 0, the neighbourhood radius
    min_samples : int >= 1, neighbours (the point included) that make a point a core point

    Returns
    -------
    DBSCANResult
    """
    X = as_array(X, "X", ndim=2)
    eps = check_float(eps, "eps", low=0, low_open=True)
    min_samples = check_int(min_samples, "min_samples", low=1)
    return _dbscan(_neighborhoods(X, eps), min_samples)


def k_distance(X, k: int) -> np.ndarray:
    """Distance of every point to its ``k``-th nearest neighbour, the point itself counted as the first, sorted
    in decreasing order.

    With ``k = min_samples`` a point is a core point exactly when its value is at most ``eps``, so the number of
    core points for a given ``eps`` is where the curve crosses ``eps``. In a plot of the sorted values a knee
    separates points in clusters (small values) from noise (the steep head); ``eps`` near the knee is the usual
    choice.

    Parameters
    ----------
    X : array_like, shape (n, d)
    k : int, 1 <= k <= n

    Returns
    -------
    ndarray, shape (n,), non-increasing (``k = 1`` gives zeros)
    """
    X = as_array(X, "X", ndim=2)
    k = check_int(k, "k", low=1, high=X.shape[0])
    if k == 1:
        return np.zeros(X.shape[0])
    d = kneighbors(X, None, k - 1).distances[:, -1]              # the (k-1)-th other point
    return np.sort(d)[::-1]


@dataclass(eq=False)
class DBSCAN:
    """DBSCAN in scikit-learn's shape (Euclidean distance, brute-force neighbourhoods).

    Parameters
    ----------
    eps : float > 0
    min_samples : int >= 1, the point itself included

    Attributes
    ----------
    labels_ : ndarray of int, shape (n,), -1 for noise
    core_sample_indices_ : ndarray of int, shape (n_core,), ascending
    components_ : ndarray, shape (n_core, d), the core points
    """

    eps: float = 0.5
    min_samples: int = 5

    def fit(self, X, y=None) -> "DBSCAN":
        """Cluster the rows of ``X`` (n, d); ``y`` is ignored. Returns ``self``."""
        X = as_array(X, "X", ndim=2)
        res = dbscan(X, self.eps, self.min_samples)
        self.labels_ = res.labels
        self.core_sample_indices_ = np.flatnonzero(res.core)
        self.components_ = X[res.core]
        return self

    def fit_predict(self, X, y=None) -> np.ndarray:
        """``fit(X).labels_``, shape (n,)."""
        return self.fit(X).labels_

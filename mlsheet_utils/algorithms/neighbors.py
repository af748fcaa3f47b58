r"""k-nearest neighbours: exact search, weighted votes and averages, the two estimators, and a k-d tree.

- :func:`kneighbors`            the ``k`` nearest training rows of every query by brute force (one matrix
  product for all squared distances); equal distances go to the lower training index; returns
  :class:`Neighbors`;
- :func:`class_scores`          weighted class votes of the neighbours (uniform or inverse-distance weights),
  normalised to sum to one: ``predict_proba``; optionally for every prefix ``k = 1, 2, ...`` at once;
- :func:`neighbor_average`      the weighted mean target of the neighbours (regression), optionally for every
  prefix;
- :func:`error_by_k`            misclassification rate for every ``k`` up to ``k_max`` from one search, on a
  test set or leave-one-out;
- :class:`KNeighborsClassifier`, :class:`KNeighborsRegressor`  estimators in scikit-learn's shape;
- :func:`build_kdtree`, :func:`kdtree_query`  exact search with a k-d tree that counts the distances it
  evaluates; returns :class:`KDTree` and :class:`TreeNeighbors`.

Conventions (the same for every function here):

- distances are Euclidean, :math:`d(p, q) = \lVert p - q \rVert_2`;
- **distance ties**: neighbours are ranked by distance, and among equal distances the lower training index
  comes first (so the set of ``k`` neighbours is unique); the brute-force ranking uses the squared distances of
  the expansion :math:`\lVert q\rVert^2 - 2 q^\top x + \lVert x\rVert^2`, which are exact for small
  integer coordinates;
- **vote ties**: the class with the lowest index (the first in sorted label order) wins;
- **inverse-distance weights** :math:`w_j = 1 / d_j`; a query at distance zero from some neighbours gives
  those neighbours weight one and all others weight zero (scikit-learn's rule).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.clustering.kmeans import squared_distances
from mlsheet_utils.validation import as_array, check_bool, check_int

WEIGHTS = ("uniform", "distance")
#: Entries of the query-by-training distance matrix computed at once (queries are processed in blocks).
_BLOCK = 2**20


@dataclass(frozen=True)
class Neighbors:
    """The ``k`` nearest training rows of each of ``m`` queries, nearest first.

    Attributes
    ----------
    distances : ndarray, shape (m, k)
        Euclidean distances, non-decreasing along each row.
    indices : ndarray of int, shape (m, k)
        Row numbers in the training matrix.
    """

    distances: np.ndarray
    indices: np.ndarray


def _k_smallest(D: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the ``k`` smallest entries of each row of ``D`` (m, n), ties to the lower index.

    Returns shape (m, k), in ascending column order within each row (not sorted by value).
    """
    m = D.shape[0]
    kth = np.partition(D, k - 1, axis=1)[:, k - 1:k]           # the k-th smallest value of each row
    take = D <= kth
    crowded = np.nonzero(take.sum(axis=1) > k)[0]              # rows with ties at the k-th value
    if crowded.size:
        Dc, kc = D[crowded], kth[crowded]
        tied = Dc == kc
        room = k - (Dc < kc).sum(axis=1, keepdims=True)        # how many of the tied values still fit
        take[crowded] = (Dc < kc) | (tied & (np.cumsum(tied, axis=1) <= room))   # lowest indices first
    return np.nonzero(take)[1].reshape(m, k)


def _order_rows(dist: np.ndarray) -> np.ndarray:
    """Column order of each row of ``dist`` by value, equal values by column. A fast unstable sort first; the
    rows that hold equal values are sorted again with a stable sort."""
    order = np.argsort(dist, axis=1)
    ranked = np.take_along_axis(dist, order, axis=1)
    tied_rows = np.nonzero((ranked[:, 1:] == ranked[:, :-1]).any(axis=1))[0]
    if tied_rows.size:
        order[tied_rows] = np.argsort(dist[tied_rows], axis=1, kind="stable")
    return order


def _exact_distances(Q: np.ndarray, X: np.ndarray, idx: np.ndarray | None = None) -> np.ndarray:
    r""":math:`\lVert q - x\rVert` summed one coordinate at a time, for every pair of rows of ``Q`` (m, d) and
    ``X`` (n, d), shape (m, n), or for the rows ``idx`` (m, k) chosen for each query, shape (m, k)."""
    total = np.zeros((Q.shape[0], X.shape[0] if idx is None else idx.shape[1]))
    for j in range(Q.shape[1]):
        diff = Q[:, j, None] - (X[None, :, j] if idx is None else X[:, j][idx])
        total += diff * diff
    return np.sqrt(total)


def _kneighbors_block(X: np.ndarray, Q: np.ndarray, k: int, self_offset: int | None) -> Neighbors:
    """Neighbours of a block of queries; ``self_offset`` is the training index of the first query when the
    queries are training points that must not count themselves."""
    if k == X.shape[0]:                                         # every point: no selection, sort them all
        dist = _exact_distances(Q, X)
        order = _order_rows(dist)                               # by distance, ties by index
        return Neighbors(np.take_along_axis(dist, order, axis=1), order)
    D = squared_distances(Q, X)                                 # (m, n) by one matrix product
    if self_offset is not None:                                 # a training point is not its own neighbour
        rows = np.arange(Q.shape[0])
        D[rows, self_offset + rows] = np.inf
    idx = _k_smallest(D, k)                                     # the set, in ascending index order
    dist = _exact_distances(Q, X, idx)                          # exact distances of the chosen rows
    order = _order_rows(dist)                                   # by distance, ties by index
    return Neighbors(np.take_along_axis(dist, order, axis=1), np.take_along_axis(idx, order, axis=1))


def _kneighbors(X: np.ndarray, Q: np.ndarray | None, k: int) -> Neighbors:
    """:func:`kneighbors` without validation, over blocks of queries (each block's distance matrix is small)."""
    self_query = Q is None
    Q = X if self_query else Q
    step = max(1, _BLOCK // X.shape[0])                         # queries per block
    blocks = [_kneighbors_block(X, Q[i:i + step], k, i if self_query else None) for i in range(0, Q.shape[0], step)]
    if len(blocks) == 1:
        return blocks[0]
    return Neighbors(np.vstack([b.distances for b in blocks]), np.vstack([b.indices for b in blocks]))


def kneighbors(X, Q=None, n_neighbors: int = 5) -> Neighbors:
    r"""The ``n_neighbors`` nearest rows of ``X`` to each row of ``Q``, by brute force.

    All :math:`m \times n` squared distances come from one matrix product,
    :math:`\lVert q\rVert^2 - 2\,q^\top x + \lVert x\rVert^2`, which costs :math:`O(mnd)`; the ``k``
    smallest of each row are found by a partition in :math:`O(mn)` and sorted. The distances returned are then
    recomputed directly as :math:`\lVert q - x\rVert` for the chosen rows, so an exact match has distance
    exactly zero. Equal distances go to the lower training index.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Training points.
    Q : array_like, shape (m, d), optional
        Queries. ``None`` queries the training points themselves, each without itself (leave-one-out); then
        ``n_neighbors <= n - 1``.
    n_neighbors : int, 1 <= n_neighbors <= n

    Returns
    -------
    Neighbors
        ``distances`` and ``indices``, shape (m, n_neighbors), nearest first.
    """
    X = as_array(X, "X", ndim=2)
    n = X.shape[0]
    if Q is not None:
        Q = as_array(Q, "Q", ndim=2)
        if Q.shape[1] != X.shape[1]:
            raise ValueError(f"Q must have {X.shape[1]} columns like X, got shape {Q.shape}")
    k = check_int(n_neighbors, "n_neighbors", low=1, high=n - 1 if Q is None else n)
    return _kneighbors(X, Q, k)


def _raw_weights(distances: np.ndarray, weights: str) -> np.ndarray:
    """Unnormalised weights, shape of ``distances``: ones, or ``1/d`` with the zero-distance rule."""
    if weights == "uniform":
        return np.ones_like(distances)
    zero = distances == 0
    with np.errstate(divide="ignore"):
        w = 1.0 / distances
    # neighbours at distance zero come first in every row, so this rule holds for every prefix of the row too
    return np.where(zero.any(axis=1, keepdims=True), zero.astype(float), w)


def _check_weights(weights) -> str:
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}, got {weights!r}")
    return weights


def _check_neighbour_arrays(values, distances, name: str):
    distances = as_array(distances, "distances", ndim=2)
    if distances.shape[1] == 0:
        raise ValueError("distances must have at least one column (one neighbour)")
    if np.any(distances < 0):
        raise ValueError("distances must be non-negative")
    if np.any(np.diff(distances, axis=1) < 0):
        raise ValueError("distances must be non-decreasing along each row (nearest neighbour first)")
    values = np.asarray(values)
    if values.shape != distances.shape:
        raise ValueError(f"{name} must have the shape of distances {distances.shape}, got {values.shape}")
    return values, distances


def class_scores(labels, distances, n_classes: int, weights: str = "uniform", *,
                 every_k: bool = False) -> np.ndarray:
    r"""Weighted votes of the neighbours for each class, as fractions of the total weight.

    .. math:: p_c(q) = \frac{\sum_{j=1}^{k} w_j\,[y_{(j)} = c]}{\sum_{j=1}^{k} w_j}, \qquad
              w_j = 1 \ \text{(uniform)} \quad\text{or}\quad w_j = 1 / d_{(j)} \ \text{(distance)},

    where :math:`y_{(j)}, d_{(j)}` are the label and distance of the :math:`j`-th nearest neighbour. A query at
    distance zero from some neighbours lets only those vote. The predicted class is the argmax, ties to the
    lowest class index.

    Parameters
    ----------
    labels : array_like of int, shape (m, k)
        Class index (``0 .. n_classes - 1``) of each query's neighbours, nearest first.
    distances : array_like, shape (m, k)
        Their distances, non-decreasing along each row.
    n_classes : int >= 1
    weights : {"uniform", "distance"}
    every_k : bool
        Return the scores of every prefix (the 1, 2, ..., k nearest neighbours) instead of the k-th only.

    Returns
    -------
    ndarray, shape (m, n_classes), or (m, k, n_classes) with ``every_k``
        Rows sum to one.
    """
    labels, distances = _check_neighbour_arrays(labels, distances, "labels")
    n_classes = check_int(n_classes, "n_classes", low=1)
    check_bool(every_k, "every_k")
    if not np.issubdtype(labels.dtype, np.integer) or (labels.size and (labels.min() < 0
                                                                       or labels.max() >= n_classes)):
        raise ValueError(f"labels must be integers in [0, {n_classes - 1}]")
    w = _raw_weights(distances, _check_weights(weights))
    votes = w[..., None] * (labels[..., None] == np.arange(n_classes))     # (m, k, C) one-hot, weighted
    if every_k:
        return np.cumsum(votes, axis=1) / np.cumsum(w, axis=1)[..., None]
    return votes.sum(axis=1) / w.sum(axis=1, keepdims=True)


def neighbor_average(targets, distances, weights: str = "uniform", *, every_k: bool = False) -> np.ndarray:
    r"""Weighted mean target of the neighbours: the k-NN regression prediction.

    .. math:: \hat f(q) = \frac{\sum_{j=1}^{k} w_j\, y_{(j)}}{\sum_{j=1}^{k} w_j}

    with the weights of :func:`class_scores` (a query at distance zero from some neighbours gets their mean).

    Parameters
    ----------
    targets : array_like, shape (m, k)
        Target of each query's neighbours, nearest first.
    distances : array_like, shape (m, k)
        Their distances, non-decreasing along each row.
    weights : {"uniform", "distance"}
    every_k : bool
        Return the prediction of every prefix, shape (m, k), instead of shape (m,).
    """
    targets, distances = _check_neighbour_arrays(targets, distances, "targets")
    targets = as_array(targets, "targets")
    check_bool(every_k, "every_k")
    w = _raw_weights(distances, _check_weights(weights))
    if every_k:
        return np.cumsum(w * targets, axis=1) / np.cumsum(w, axis=1)
    return (w * targets).sum(axis=1) / w.sum(axis=1)


def error_by_k(X, y, k_max: int, *, X_test=None, y_test=None, weights: str = "uniform") -> np.ndarray:
    """Misclassification rate of k-NN for every ``k = 1 .. k_max``, from a single neighbour search.

    The neighbours of each query are found once for ``k_max``; the prediction for a smaller ``k`` uses the
    first ``k`` of them (:func:`class_scores` with ``every_k``). Without a test set the rate is the
    leave-one-out error: each training point is classified by the others.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
        Labels of any sortable type.
    k_max : int, 1 <= k_max <= n (n - 1 for leave-one-out)
    X_test, y_test : array_like, shapes (m, d) and (m,), optional
    weights : {"uniform", "distance"}

    Returns
    -------
    ndarray, shape (k_max,)
        Entry ``k - 1`` is the error rate with ``k`` neighbours.
    """
    X = as_array(X, "X", ndim=2)
    if np.ndim(y) != 1:
        raise ValueError(f"y must be 1-dimensional with one label per row of X, got shape {np.shape(y)}")
    classes, y_idx = np.unique(np.asarray(y), return_inverse=True)
    if y_idx.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one label per row of X ({X.shape[0]}), got {y_idx.shape[0]}")
    _check_weights(weights)
    if (X_test is None) != (y_test is None):
        raise ValueError("give both X_test and y_test, or neither (leave-one-out)")
    check_int(k_max, "k_max", low=1, high=X.shape[0] - (1 if X_test is None else 0))
    if X_test is not None:
        X_test = as_array(X_test, "X_test", ndim=2)
        if X_test.shape[1] != X.shape[1]:
            raise ValueError(f"X_test must have {X.shape[1]} columns like X, got shape {X_test.shape}")
        if np.shape(y_test) != (X_test.shape[0],):
            raise ValueError(f"y_test must have one label per row of X_test ({X_test.shape[0]}), "
                             f"got shape {np.shape(y_test)}")
    if X_test is None:
        nb, truth = kneighbors(X, None, k_max), y_idx
    else:
        nb = kneighbors(X, X_test, k_max)
        y_test = np.asarray(y_test)
        if y_test.shape != (nb.indices.shape[0],):
            raise ValueError(f"y_test must have shape ({nb.indices.shape[0]},), got {y_test.shape}")
        if not np.isin(y_test, classes).all():
            raise ValueError("y_test holds labels that y does not have")
        truth = np.searchsorted(classes, y_test)
    scores = class_scores(y_idx[nb.indices], nb.distances, len(classes), weights, every_k=True)
    return (scores.argmax(axis=2) != truth[:, None]).mean(axis=0)


def _fit_inputs(estimator, X, y):
    X = as_array(X, "X", ndim=2)
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got {y.shape}")
    check_int(estimator.n_neighbors, "n_neighbors", low=1, high=X.shape[0])
    _check_weights(estimator.weights)
    return X, y


def _check_query(estimator, X) -> None:
    """The queries of a fitted estimator's ``kneighbors``: None, or (m, d) finite numbers with d its features."""
    if X is not None:
        X = as_array(X, "X", ndim=2)
        if X.shape[1] != estimator.n_features_in_:
            raise ValueError(f"X must have {estimator.n_features_in_} columns like the training set, got shape "
                             f"{X.shape}")


@dataclass(eq=False)
class KNeighborsClassifier:
    """k-nearest-neighbour classifier in scikit-learn's shape (brute-force Euclidean search).

    ``fit`` stores the training set; ``predict_proba`` is :func:`class_scores` of the :func:`kneighbors`;
    ``predict`` is its argmax, ties to the first class in sorted label order. ``X=None`` in ``kneighbors``,
    ``predict_proba`` and ``predict`` means the training points, each without itself (leave-one-out).

    Parameters
    ----------
    n_neighbors : int >= 1
    weights : {"uniform", "distance"}

    Attributes
    ----------
    classes_ : ndarray, shape (C,), the sorted labels
    X_ : ndarray, shape (n, d), y_ : ndarray of int, shape (n,), the training set (labels as class indices)
    n_features_in_ : int
    """

    n_neighbors: int = 5
    weights: str = "uniform"

    def fit(self, X, y) -> "KNeighborsClassifier":
        """Store the training set ``X`` (n, d) and labels ``y`` (n,); return ``self``."""
        X, y = _fit_inputs(self, X, y)
        self.classes_, self.y_ = np.unique(y, return_inverse=True)
        self.X_, self.n_features_in_ = X.copy(), X.shape[1]
        return self

    def kneighbors(self, X=None) -> Neighbors:
        """The ``n_neighbors`` nearest training points of each row of ``X`` (m, d)."""
        if not hasattr(self, "X_"):
            raise ValueError("this KNeighborsClassifier is not fitted yet; call fit(X, y) first")
        _check_query(self, X)
        return kneighbors(self.X_, X, self.n_neighbors)

    def predict_proba(self, X=None) -> np.ndarray:
        """Weighted vote shares of the classes, shape (m, C), columns in the order of ``classes_``."""
        nb = self.kneighbors(X)
        return class_scores(self.y_[nb.indices], nb.distances, len(self.classes_), self.weights)

    def predict(self, X=None) -> np.ndarray:
        """The class with the largest vote share, shape (m,); ties go to the first class of ``classes_``."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


@dataclass(eq=False)
class KNeighborsRegressor:
    """k-nearest-neighbour regression in scikit-learn's shape: the (weighted) mean target of the neighbours.

    Parameters
    ----------
    n_neighbors : int >= 1
    weights : {"uniform", "distance"}

    Attributes
    ----------
    X_ : ndarray, shape (n, d), y_ : ndarray, shape (n,), the training set
    n_features_in_ : int
    """

    n_neighbors: int = 5
    weights: str = "uniform"

    def fit(self, X, y) -> "KNeighborsRegressor":
        """Store the training set ``X`` (n, d) and real targets ``y`` (n,); return ``self``."""
        X, y = _fit_inputs(self, X, y)
        self.y_ = as_array(y, "y").copy()
        self.X_, self.n_features_in_ = X.copy(), X.shape[1]
        return self

    def kneighbors(self, X=None) -> Neighbors:
        """The ``n_neighbors`` nearest training points of each row of ``X`` (m, d)."""
        if not hasattr(self, "X_"):
            raise ValueError("this KNeighborsRegressor is not fitted yet; call fit(X, y) first")
        _check_query(self, X)
        return kneighbors(self.X_, X, self.n_neighbors)

    def predict(self, X=None) -> np.ndarray:
        """The weighted mean target of each row's neighbours, shape (m,)."""
        nb = self.kneighbors(X)
        return neighbor_average(self.y_[nb.indices], nb.distances, self.weights)


# -- a k-d tree ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class KDTree:
    """A k-d tree over the rows of ``X``, nodes in pre-order (node 0 is the root).

    Every node covers the rows ``order[start:end]``; an internal node splits them at ``threshold`` on
    coordinate ``feature`` (rows with ``x[feature] <= threshold`` go left); a leaf has ``left == right == -1``.
    ``lower`` and ``upper`` hold each node's bounding box, which the query uses to skip whole subtrees.
    ``threshold`` is NaN at a leaf (and ``feature`` -1).

    Built by :func:`build_kdtree`; built by hand, the fields are checked: ``X`` (n, d) finite, ``order`` a
    permutation of ``range(n)``, the per-node fields 1-D integer arrays of one length (``threshold`` floats),
    ``lower`` and ``upper`` of shape (nodes, d).
    """

    X: np.ndarray
    order: np.ndarray
    start: np.ndarray
    end: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def __post_init__(self):
        X = as_array(self.X, "X", ndim=2)
        order = as_array(self.order, "order", ndim=1)
        if not np.array_equal(np.sort(order), np.arange(X.shape[0])):
            raise ValueError(f"order must be a permutation of range({X.shape[0]}) (the rows of X)")
        nodes = as_array(self.start, "start", ndim=1).size
        for name in ("start", "end", "feature", "left", "right"):
            value = as_array(getattr(self, name), name, ndim=1)
            if value.size != nodes or np.any(value != np.round(value)):
                raise ValueError(f"{name} must hold one integer per node ({nodes}), got {value.tolist()[:5]}")
        threshold = as_array(self.threshold, "threshold", ndim=1, finite=False)
        if threshold.size != nodes:
            raise ValueError(f"threshold must hold one number per node ({nodes}), got {threshold.size}")
        for name in ("lower", "upper"):
            if as_array(getattr(self, name), name, ndim=2).shape != (nodes, X.shape[1]):
                raise ValueError(f"{name} must have shape ({nodes}, {X.shape[1]}), got {np.shape(getattr(self, name))}")


def build_kdtree(X, leaf_size: int = 16) -> KDTree:
    r"""Build a k-d tree: split each node at the median of its widest coordinate until it holds
    at most ``leaf_size`` rows.

    The median split keeps the depth at :math:`\lceil \log_2(n / \text{leaf\_size}) \rceil`, so building
    costs :math:`O(n \log n)` (one partition per level).

    Parameters
    ----------
    X : array_like, shape (n, d)
    leaf_size : int >= 1

    Returns
    -------
    KDTree
    """
    X = as_array(X, "X", ndim=2)
    if X.shape[0] == 0:
        raise ValueError("X must have at least one row")
    leaf_size = check_int(leaf_size, "leaf_size", low=1)
    order = np.arange(X.shape[0])
    nodes: list[list] = []                                   # start, end, feature, threshold, left, right
    stack = [(0, X.shape[0], -1, False)]                     # (start, end, parent, is right child)
    while stack:
        start, end, parent, is_right = stack.pop()
        node = len(nodes)
        nodes.append([start, end, -1, np.nan, -1, -1])
        if parent >= 0:
            nodes[parent][5 if is_right else 4] = node
        pts = X[order[start:end]]
        spread = pts.max(axis=0) - pts.min(axis=0)
        if end - start <= leaf_size or spread.max() == 0:
            continue
        f = int(np.argmax(spread))
        half = (end - start) // 2
        part = np.argpartition(pts[:, f], half - 1)
        order[start:end] = order[start:end][part]           # the half smallest first, on coordinate f
        threshold = float(X[order[start:end][:half], f].max())
        nodes[node][2:4] = [f, threshold]
        stack.append((start + half, end, node, True))        # pushed first: the left child is numbered next
        stack.append((start, start + half, node, False))
    cols = list(zip(*nodes))
    start, end = np.array(cols[0]), np.array(cols[1])
    lower = np.array([X[order[s:e]].min(axis=0) for s, e in zip(start, end)])
    upper = np.array([X[order[s:e]].max(axis=0) for s, e in zip(start, end)])
    return KDTree(X.copy(), order, start, end, np.array(cols[2]), np.array(cols[3], dtype=float),
                  np.array(cols[4]), np.array(cols[5]), lower, upper)


@dataclass(frozen=True)
class TreeNeighbors:
    """Result of :func:`kdtree_query`: the neighbours and how many distances the search evaluated.

    Attributes
    ----------
    distances, indices : ndarray, shape (m, k), as in :class:`Neighbors`
    n_distances : ndarray of int, shape (m,)
        Point-to-point distances computed for each query (brute force computes ``n`` of them).
    """

    distances: np.ndarray
    indices: np.ndarray
    n_distances: np.ndarray


def kdtree_query(tree: KDTree, Q, n_neighbors: int = 1) -> TreeNeighbors:
    r"""Exact k-nearest-neighbour search in a k-d tree (depth first, nearer child first, with pruning).

    A subtree is skipped when the distance from the query to its bounding box,
    :math:`\lVert \max(\text{lower} - q,\ 0,\ q - \text{upper}) \rVert`, is larger than the current
    ``k``-th best distance: no point inside can be closer. A leaf's points are compared all at once. The
    result equals brute force, ties to the lower index included; the work saved is what ``n_distances`` counts.

    Parameters
    ----------
    tree : KDTree
        From :func:`build_kdtree`.
    Q : array_like, shape (m, d)
    n_neighbors : int, 1 <= n_neighbors <= n

    Returns
    -------
    TreeNeighbors
    """
    if not isinstance(tree, KDTree):
        raise ValueError(f"tree must be a KDTree from build_kdtree, got {type(tree).__name__}")
    Q = as_array(Q, "Q", ndim=2)
    n, d = tree.X.shape
    if Q.shape[1] != d:
        raise ValueError(f"Q must have {d} columns like the tree's points, got shape {Q.shape}")
    k = check_int(n_neighbors, "n_neighbors", low=1, high=n)
    dist_out, idx_out = np.empty((Q.shape[0], k)), np.empty((Q.shape[0], k), dtype=int)
    counts = np.zeros(Q.shape[0], dtype=int)
    for i, q in enumerate(Q):
        best_d2, best_idx = np.full(k, np.inf), np.full(k, n)       # n sorts after every real index
        stack = [0]
        while stack:
            node = stack.pop()
            gap = np.maximum(np.maximum(tree.lower[node] - q, 0.0), q - tree.upper[node])
            if gap @ gap > best_d2[-1]:                             # the box is farther than the k-th best
                continue
            if tree.left[node] < 0:                                 # a leaf: compare all its points
                rows = tree.order[tree.start[node]:tree.end[node]]
                diff = tree.X[rows] - q
                counts[i] += len(rows)
                cand_d2 = np.concatenate([best_d2, np.einsum("ij,ij->i", diff, diff)])
                cand_idx = np.concatenate([best_idx, rows])
                keep = np.lexsort((cand_idx, cand_d2))[:k]          # by distance, then by index
                best_d2, best_idx = cand_d2[keep], cand_idx[keep]
                continue
            near, far = ((tree.left[node], tree.right[node]) if q[tree.feature[node]] <= tree.threshold[node]
                         else (tree.right[node], tree.left[node]))
            stack.extend([far, near])                               # the nearer child is searched first
        dist_out[i], idx_out[i] = np.sqrt(best_d2), best_idx
    return TreeNeighbors(dist_out, idx_out, counts)

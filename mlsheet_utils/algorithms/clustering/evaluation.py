"""Judging a clustering: internal indices (from the data and the labels) and external ones (against other labels).

Internal (no ground truth):

- :func:`euclidean_distance_matrix`  all pairwise distances, shape (n, n);
- :func:`silhouette_samples`, :func:`silhouette_score`  how much closer each point is to its own cluster than
  to the nearest other one;
- :func:`sum_of_squares`  the split of the total scatter into within- and between-cluster parts
  (:class:`SumOfSquares`); its ``within`` is the k-means objective (inertia) of any labelling;
- :func:`calinski_harabasz`  between- over within-cluster scatter, each per degree of freedom;
- :func:`davies_bouldin`  the mean, over clusters, of the worst ratio of spreads to centre distance.

External (two labellings, e.g. a clustering and known classes, or two runs):

- :func:`contingency_matrix`  counts of points in each pair of labels;
- :func:`rand_index`, :func:`adjusted_rand_index`  agreement over pairs of points, raw and corrected for chance.

Labels may be any 1-D array of hashable values (they are renumbered ``0 .. k-1`` by :func:`numpy.unique`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.validation import as_array


def _labels(labels, n: int, name: str = "labels", per: str = "row of X") -> tuple[np.ndarray, int]:
    """Validate a 1-D labelling of ``n`` points (one label ``per`` item of the reference argument); return it
    renumbered 0 .. k-1, and k."""
    arr = np.asarray(labels)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{name} must be 1-dimensional with {n} entries (one per {per}), got shape {arr.shape}")
    _, codes = np.unique(arr, return_inverse=True)
    codes = codes.reshape(-1)
    return codes, int(codes.max()) + 1 if n else 0


def _data_and_labels(X, labels, need_k: bool = True) -> tuple[np.ndarray, np.ndarray, int]:
    X = as_array(X, "X", ndim=2)
    codes, k = _labels(labels, X.shape[0])
    if need_k and not 2 <= k <= X.shape[0] - 1:
        raise ValueError(f"labels must form between 2 and n - 1 = {X.shape[0] - 1} clusters, got {k}")
    return X, codes, k


# -- distances and the silhouette ---------------------------------------------------------------------------

def euclidean_distance_matrix(X) -> np.ndarray:
    r"""All pairwise Euclidean distances :math:`D_{ij} = \lVert x_i - x_j\rVert`, shape (n, n).

    Computed from the differences (not from :math:`\lVert x\rVert^2 - 2x^\top y + \lVert y\rVert^2`), so
    small distances keep their relative accuracy and the diagonal is exactly zero; memory is
    :math:`O(n^2 d)`, meant for the book's small data sets.

    Parameters
    ----------
    X : array_like, shape (n, d)
    """
    X = as_array(X, "X", ndim=2)
    return _distances(X)


def _distances(X: np.ndarray) -> np.ndarray:
    diff = X[:, None, :] - X[None, :, :]                          # (n, n, d)
    return np.sqrt((diff * diff).sum(axis=2))


def silhouette_samples(X, labels, *, precomputed: bool = False) -> np.ndarray:
    r"""Silhouette of every point.

    .. math::
        a_i = \frac{1}{|C_{c_i}| - 1}\sum_{j \in C_{c_i}, j\ne i} D_{ij},\qquad
        b_i = \min_{c \ne c_i} \frac{1}{|C_c|}\sum_{j\in C_c} D_{ij},\qquad
        s_i = \frac{b_i - a_i}{\max(a_i, b_i)} \in [-1, 1]

    with :math:`s_i = 0` for a point alone in its cluster (scikit-learn's convention). Near 1: the point sits
    well inside its cluster; near 0: on a border; negative: closer on average to another cluster.
    All cluster sums come from one product :math:`D L` with the one-hot label matrix :math:`L` (n, k).

    Parameters
    ----------
    X : array_like, shape (n, d), or (n, n) distances when ``precomputed``
    labels : array_like, shape (n,), with 2 <= k <= n - 1 distinct values
    precomputed : bool
        ``X`` is already a symmetric distance matrix with a zero diagonal.

    Returns
    -------
    ndarray, shape (n,)
    """
    X, codes, k = _data_and_labels(X, labels)
    if precomputed:
        if X.shape[0] != X.shape[1] or np.any(X < 0) or np.any(np.diag(X) != 0):
            raise ValueError(f"a precomputed X must be a square, non-negative matrix with a zero diagonal, "
                             f"got shape {X.shape}")
        D = X
    else:
        D = _distances(X)
    n = D.shape[0]
    onehot = np.zeros((n, k))
    onehot[np.arange(n), codes] = 1.0
    counts = onehot.sum(axis=0)                                  # (k,)
    sums = D @ onehot                                            # (n, k): sum of distances to each cluster
    own = counts[codes]                                          # (n,)
    a = sums[np.arange(n), codes] / np.maximum(own - 1, 1)
    means = sums / counts[None, :]
    means[np.arange(n), codes] = np.inf
    b = means.min(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (b - a) / np.maximum(a, b)
    return np.where((own > 1) & np.isfinite(s), s, 0.0)


def silhouette_score(X, labels, *, precomputed: bool = False) -> float:
    r"""Mean silhouette :math:`\frac1n\sum_i s_i` of :func:`silhouette_samples` (higher is better)."""
    return float(silhouette_samples(X, labels, precomputed=precomputed).mean())


# -- scatter decomposition ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SumOfSquares:
    """Output of :func:`sum_of_squares`: ``total = within + between`` (scalars) and the cluster count ``k``."""

    total: float
    within: float
    between: float
    k: int


def sum_of_squares(X, labels) -> SumOfSquares:
    r"""Split the total scatter around the grand mean into within- and between-cluster parts.

    .. math::
        \underbrace{\sum_i \lVert x_i - \bar x\rVert^2}_{T}
        = \underbrace{\sum_c \sum_{i\in C_c} \lVert x_i - \mu_c\rVert^2}_{W}
        + \underbrace{\sum_c |C_c|\,\lVert \mu_c - \bar x\rVert^2}_{B}

    :math:`W` is the k-means objective (scikit-learn's ``inertia_``) of the labelling, whatever produced it.

    Parameters
    ----------
    X : array_like, shape (n, d)
    labels : array_like, shape (n,)

    Returns
    -------
    SumOfSquares
    """
    X, codes, k = _data_and_labels(X, labels, need_k=False)
    counts = np.bincount(codes, minlength=k).astype(float)
    centres = np.zeros((k, X.shape[1]))
    np.add.at(centres, codes, X)
    centres /= counts[:, None]
    grand = X.mean(axis=0)
    within = float(((X - centres[codes]) ** 2).sum())
    between = float((counts * ((centres - grand) ** 2).sum(axis=1)).sum())
    total = float(((X - grand) ** 2).sum())
    return SumOfSquares(total, within, between, k)


def calinski_harabasz(X, labels) -> float:
    r"""Calinski-Harabasz index (variance ratio criterion), higher is better.

    .. math:: \mathrm{CH} = \frac{B / (k - 1)}{W / (n - k)}

    with :math:`B, W` from :func:`sum_of_squares`; 1 when :math:`W = 0` (scikit-learn's convention).

    Parameters
    ----------
    X : array_like, shape (n, d)
    labels : array_like, shape (n,), with 2 <= k <= n - 1 distinct values
    """
    X, codes, k = _data_and_labels(X, labels)
    ss = sum_of_squares(X, codes)
    if ss.within == 0:
        return 1.0
    return ss.between * (X.shape[0] - k) / (ss.within * (k - 1))


def davies_bouldin(X, labels) -> float:
    r"""Davies-Bouldin index, lower is better.

    .. math::
        \mathrm{DB} = \frac1k\sum_{c} \max_{c'\ne c} \frac{s_c + s_{c'}}{\lVert\mu_c - \mu_{c'}\rVert},
        \qquad s_c = \frac{1}{|C_c|}\sum_{i\in C_c}\lVert x_i - \mu_c\rVert

    (0 when every spread is zero or every centre coincides, as scikit-learn returns).

    Parameters
    ----------
    X : array_like, shape (n, d)
    labels : array_like, shape (n,), with 2 <= k <= n - 1 distinct values
    """
    X, codes, k = _data_and_labels(X, labels)
    counts = np.bincount(codes, minlength=k).astype(float)
    centres = np.zeros((k, X.shape[1]))
    np.add.at(centres, codes, X)
    centres /= counts[:, None]
    spread = np.bincount(codes, weights=np.sqrt(((X - centres[codes]) ** 2).sum(axis=1)), minlength=k) / counts
    gaps = np.sqrt(((centres[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))   # (k, k)
    if np.allclose(spread, 0) or np.allclose(gaps, 0):
        return 0.0
    gaps[gaps == 0] = np.inf
    ratio = (spread[:, None] + spread[None, :]) / gaps
    np.fill_diagonal(ratio, -np.inf)
    return float(ratio.max(axis=1).mean())


# -- agreement between two labellings -------------------------------------------------------------------------

def contingency_matrix(labels_true, labels_pred) -> np.ndarray:
    """``M[i, j]`` = number of points with the i-th value of ``labels_true`` and the j-th of ``labels_pred``.

    Parameters
    ----------
    labels_true, labels_pred : array_like, shape (n,)

    Returns
    -------
    ndarray of int, shape (k_true, k_pred), values sorted as :func:`numpy.unique` sorts them
    """
    a = np.asarray(labels_true)
    if a.ndim != 1:
        raise ValueError(f"labels_true must be 1-dimensional, got shape {a.shape}")
    t, kt = _labels(a, a.shape[0], "labels_true")
    p, kp = _labels(labels_pred, a.shape[0], "labels_pred", "entry of labels_true")
    return np.bincount(t * kp + p, minlength=kt * kp).reshape(kt, kp)


def _pair_counts(labels_true, labels_pred) -> tuple[float, float, float, float]:
    """Pairs together in both, together in the true labels, together in the predicted ones, and all pairs."""
    M = contingency_matrix(labels_true, labels_pred).astype(float)
    n = M.sum()
    if n < 2:
        raise ValueError(f"labels_true and labels_pred must label at least 2 points (pair-counting indices), "
                         f"got {int(n)}")

    def comb2(x):
        return x * (x - 1) / 2

    return (float(comb2(M).sum()), float(comb2(M.sum(axis=1)).sum()), float(comb2(M.sum(axis=0)).sum()),
            float(comb2(n)))


def rand_index(labels_true, labels_pred) -> float:
    r"""Share of the :math:`\binom n2` pairs of points on which two labellings agree (both together or both
    apart).

    .. math:: \mathrm{RI} = \frac{\binom n2 + 2\sum_{ij}\binom{n_{ij}}2 - \sum_i\binom{a_i}2
        - \sum_j\binom{b_j}2}{\binom n2}

    with :math:`n_{ij}` the contingency counts and :math:`a_i, b_j` its row and column sums.

    Parameters
    ----------
    labels_true, labels_pred : array_like, shape (n,), n >= 2

    Returns
    -------
    float in [0, 1]
    """
    both, a, b, pairs = _pair_counts(labels_true, labels_pred)
    return (pairs + 2 * both - a - b) / pairs


def adjusted_rand_index(labels_true, labels_pred) -> float:
    r"""Adjusted Rand index: the Rand index corrected for chance (0 in expectation for random labels, 1 for
    identical partitions up to renaming).

    .. math::
        \mathrm{ARI} = \frac{\sum_{ij}\binom{n_{ij}}2 - E}{\tfrac12\big(\sum_i\binom{a_i}2
        + \sum_j\binom{b_j}2\big) - E},\qquad
        E = \frac{\sum_i\binom{a_i}2\sum_j\binom{b_j}2}{\binom n2}

    :math:`E` is the expected number of pairs together in both when one labelling is permuted at random with
    its cluster sizes kept (hypergeometric model). When the denominator is 0 (both labellings put every point
    in one cluster, or each in its own) the partitions are identical and the index is 1.

    Parameters
    ----------
    labels_true, labels_pred : array_like, shape (n,), n >= 2

    Returns
    -------
    float, at most 1 (it can be negative)
    """
    both, a, b, pairs = _pair_counts(labels_true, labels_pred)
    expected = a * b / pairs
    top = (a + b) / 2 - expected
    if top == 0:
        return 1.0
    return (both - expected) / top

"""k-means: :func:`squared_distances`, :func:`kmeans_plus_plus` seeding and Lloyd's algorithm :func:`kmeans`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state


def squared_distances(X, C) -> np.ndarray:
    """Squared Euclidean distances between rows, ``D[i, j] = ||X_i - C_j||^2``, shape (n, k).

    Uses ``||x||^2 - 2 x.c + ||c||^2``, clipped at zero against round-off.

    Parameters
    ----------
    X : array_like, shape (n, d)
    C : array_like, shape (k, d)
    """
    X = as_array(X, "X", ndim=2)
    C = as_array(C, "C", ndim=2)
    if C.shape[1] != X.shape[1]:
        raise ValueError(f"C must have {X.shape[1]} columns like X, got shape {C.shape}")
    return _squared_distances(X, C)


def _squared_distances(X: np.ndarray, C: np.ndarray) -> np.ndarray:
    """:func:`squared_distances` on validated arrays (the kernel Lloyd's loop calls)."""
    d = (X * X).sum(1)[:, None] - 2.0 * X @ C.T + (C * C).sum(1)[None, :]
    return np.maximum(d, 0.0)


def kmeans_plus_plus(X, k: int, rng=0) -> np.ndarray:
    """k-means++ seeding: each new center is drawn with probability proportional to D(x)^2.

    Parameters
    ----------
    X : array_like, shape (n, d)
    k : int, 1 <= k <= n
    rng : int or numpy.random.Generator

    Returns
    -------
    ndarray, shape (k, d)
    """
    X = as_array(X, "X", ndim=2)
    k = check_int(k, "k", low=1, high=X.shape[0])
    rng = check_random_state(rng)
    centers = [X[rng.integers(X.shape[0])]]
    d2 = _squared_distances(X, np.array(centers))[:, 0]
    for _ in range(1, k):
        total = d2.sum()
        idx = rng.integers(X.shape[0]) if total == 0 else rng.choice(X.shape[0], p=d2 / total)
        centers.append(X[idx])
        d2 = np.minimum(d2, _squared_distances(X, X[idx][None])[:, 0])
    return np.array(centers)


@dataclass(frozen=True)
class KMeansResult:
    """Output of :func:`kmeans`: centroids (k, d), labels (n,), WCSS objective per iteration."""

    centroids: np.ndarray
    labels: np.ndarray
    history: list[float]
    n_iter: int
    converged: bool

    @property
    def wcss(self) -> float:
        return self.history[-1]


def kmeans(X, k: int | None = None, *, init=None, max_iter: int = 100, tol: float = 0.0, rng=0) -> KMeansResult:
    r"""Lloyd's algorithm: alternate the assignment and the centroid-update steps.

    Minimises :math:`J = \sum_{i=1}^k \sum_{x \in C_i} \lVert x - \mu_i \rVert^2`. Each step cannot
    increase :math:`J`, so the loop stops at a fixed point (a local minimum), at the latest after
    ``max_iter`` iterations. Ties go to the lowest centroid index; an empty cluster keeps its old centroid.

    Parameters
    ----------
    X : array_like, shape (n, d)
    k : int, 1 <= k <= n; optional when ``init`` is given
    init : array_like, shape (k, d), optional
        Starting centroids; k-means++ with ``rng`` when omitted.
    max_iter : int >= 0
        0 returns the starting centres with their assignment.
    tol : float >= 0
        Stop when no centroid moves farther than ``tol``.
    rng : int or numpy.random.Generator

    Returns
    -------
    KMeansResult
    """
    X = as_array(X, "X", ndim=2)
    n = X.shape[0]
    if init is None:
        if k is None:
            raise ValueError("kmeans: give k or init")
        C = kmeans_plus_plus(X, k, rng)
    else:
        C = as_array(init, "init", ndim=2).copy()
        if C.shape[1] != X.shape[1]:
            raise ValueError(f"init must have {X.shape[1]} columns like X, got shape {C.shape}")
        if k is not None and k != C.shape[0]:
            raise ValueError(f"k={k} disagrees with init, which has {C.shape[0]} rows")
    k = check_int(C.shape[0], "k", low=1, high=n)
    max_iter = check_int(max_iter, "max_iter", low=0)
    tol = check_float(tol, "tol", low=0)
    history: list[float] = []
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (the count is returned)
        d2 = _squared_distances(X, C)
        labels = d2.argmin(1)
        history.append(float(d2[np.arange(n), labels].sum()))
        counts = np.bincount(labels, minlength=k)
        sums = np.zeros_like(C)
        np.add.at(sums, labels, X)
        new = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], C)
        shift = np.sqrt(((new - C) ** 2).sum(1)).max()
        C = new
        if shift <= tol:
            converged = True
            break
    d2 = _squared_distances(X, C)
    labels = d2.argmin(1)
    history.append(float(d2[np.arange(n), labels].sum()))
    return KMeansResult(C, labels, history, n_iter, converged)

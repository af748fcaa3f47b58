"""Practice exercises of chapter 3's clustering pages."""

from __future__ import annotations

import numpy as np

from mlsheet_utils.algorithms.clustering import kmeans as _kmeans
from mlsheet_utils.checks.practice import as_exercise


def _lloyd_loops(X, init, n_iter):
    """a loop over the definition (every point, every centre)"""
    C = [list(map(float, c)) for c in init]
    n, k = len(X), len(C)

    def assign():
        out = []
        for x in X:
            dists = [sum((xi - ci) ** 2 for xi, ci in zip(x, c)) for c in C]
            out.append(min(range(k), key=lambda j: (dists[j], j)))     # ties: the lowest index
        return out

    for _ in range(n_iter):
        labels = assign()
        for j in range(k):
            members = [X[i] for i in range(n) if labels[i] == j]
            if members:                                                   # an empty cluster keeps its centre
                C[j] = [sum(col) / len(members) for col in zip(*members)]
    return np.array(C), np.array(assign())


def _lloyd_inputs(rng, size):
    k = int(rng.integers(1, min(size, 4) + 1))
    X = rng.normal(size=(size + 1, 2)) + rng.integers(-3, 4, size=(size + 1, 2))
    init = X[rng.choice(len(X), size=k, replace=False)] + rng.normal(0, 0.1, size=(k, 2))
    return {"X": X, "init": init, "n_iter": int(rng.integers(1, 6))}


def _nearest(kwargs, out):
    C, labels = out
    d2 = ((np.asarray(kwargs["X"])[:, None, :] - np.asarray(C)[None]) ** 2).sum(-1)
    best = d2.min(1)
    mine = d2[np.arange(len(best)), np.asarray(labels, int)]
    assert np.all(mine <= best + 1e-9), "a point is not labelled with its nearest centre"


def _objective_not_above_start(kwargs, out):
    X, init = np.asarray(kwargs["X"]), np.asarray(kwargs["init"])
    start = ((X[:, None, :] - init[None]) ** 2).sum(-1).min(1).sum()
    C, labels = out
    end = ((X - np.asarray(C)[np.asarray(labels, int)]) ** 2).sum()
    assert end <= start + 1e-9, f"the objective rose from {start:.6g} to {end:.6g}"


@as_exercise(
    "3.23.1", reference=_lloyd_loops, inputs=_lloyd_inputs, difficulty=2,
    edge_cases={
        "k = 1: the centre is the mean": {"X": np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 3.0]]),
                                          "init": np.array([[5.0, 5.0]]), "n_iter": 1},
        "a centre nobody picks keeps its place": {"X": np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]),
                                                  "init": np.array([[0.0, 0.0], [50.0, 50.0]]), "n_iter": 3},
        "a point halfway goes to the lower index": {"X": np.array([[0.0, 0.0], [-2.0, 0.0], [2.0, 0.0]]),
                                                    "init": np.array([[-1.0, 0.0], [1.0, 0.0]]), "n_iter": 1},
        "n_iter = 0 returns the start": {"X": np.array([[0.0, 1.0], [3.0, 1.0]]),
                                         "init": np.array([[0.5, 0.5], [2.5, 0.5]]), "n_iter": 0},
    },
    properties={
        "every point is labelled with its nearest returned centre": _nearest,
        "the objective is no higher than at the start": _objective_not_above_start,
    },
    hints=("Each iteration has two steps: label every point with its nearest centre, then move every centre "
           "to the mean of its points. Compute all n×k squared distances at once with broadcasting.",
           "An empty cluster has no mean: keep its old centre (np.where on the counts). Return the labels "
           "of the final centres, so assign once more after the loop."),
    key_line="labels = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1).argmin(1)",
    shows=(_kmeans.squared_distances, _kmeans.kmeans),
)
def lloyd(X, init, n_iter):
    """Run ``n_iter`` iterations of Lloyd's algorithm from the centres ``init``.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    init : ndarray, shape (k, d), the starting centres
    n_iter : int >= 0

    Returns
    -------
    centres : ndarray (k, d)
        After ``n_iter`` assign-then-update steps; a centre with no points keeps its place.
    labels : ndarray (n,) of int
        Each point's nearest centre among ``centres`` (ties go to the lower index).
    """
    result = _kmeans.kmeans(X, init=init, max_iter=n_iter, tol=-0.0) if n_iter else None
    if result is None:
        C = np.asarray(init, float)
        return C, _kmeans.squared_distances(np.asarray(X, float), C).argmin(1)
    return result.centroids, result.labels

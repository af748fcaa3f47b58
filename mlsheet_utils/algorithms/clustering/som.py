r"""Self-organising maps (Kohonen): :func:`grid_positions`, the decay :func:`som_schedule`,
:func:`best_matching_units`, online training :func:`som_train`, the quality measures :func:`quantization_error`
and :func:`topographic_error`, the :func:`u_matrix`, and the estimator :class:`SelfOrganizingMap`.

A map has :math:`m = r \times c` units on a rectangular grid; unit :math:`j` sits at grid position
:math:`g_j = (\text{row}, \text{col})` and carries a weight vector :math:`w_j` in the input space
:math:`\mathbb{R}^d`. Weights are stored flat, shape (m, d), in row-major order of the grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state


def grid_positions(n_rows: int, n_cols: int) -> np.ndarray:
    r"""Grid coordinates :math:`g_j = (\text{row}, \text{col})` of the units in row-major order, shape (m, 2)."""
    n_rows = check_int(n_rows, "n_rows", low=1)
    n_cols = check_int(n_cols, "n_cols", low=1)
    r, c = np.divmod(np.arange(n_rows * n_cols), n_cols)
    return np.column_stack([r, c]).astype(float)


def som_schedule(t, n_iter: int, eta0: float, sigma0: float):
    r"""Learning rate and neighbourhood width at step ``t``: :math:`(\eta(t), \sigma(t))`.

    Both decay as :math:`a(t) = a_0 / (1 + 2t/T)` with :math:`T` = ``n_iter`` (MiniSom's ``asymptotic_decay``):
    they fall to a third of their start by the last step.

    Parameters
    ----------
    t : int or array_like of int, 0 <= t < n_iter
    n_iter : int >= 1
    eta0, sigma0 : float > 0

    Returns
    -------
    (eta, sigma) : two floats, or two arrays shaped like ``t``
    """
    n_iter = check_int(n_iter, "n_iter", low=1)
    eta0 = check_float(eta0, "eta0", low=0.0, low_open=True)
    sigma0 = check_float(sigma0, "sigma0", low=0.0, low_open=True)
    t = as_array(t, "t", empty=True)
    if np.any(t != np.round(t)) or np.any(t < 0) or np.any(t >= n_iter):
        bad = t[(t != np.round(t)) | (t < 0) | (t >= n_iter)].flat[0]
        raise ValueError(f"t must hold integer steps in [0, n_iter) = [0, {n_iter}), got {bad:g}")
    return _schedule(t, n_iter, eta0, sigma0)


def _schedule(t, n_iter, eta0, sigma0):
    f = 1.0 / (1.0 + t / (n_iter / 2.0))
    return eta0 * f, sigma0 * f


def _sq_dist(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    return np.maximum((X * X).sum(1)[:, None] - 2.0 * X @ W.T + (W * W).sum(1)[None, :], 0.0)


def best_matching_units(X, W) -> np.ndarray:
    r"""Index of the nearest unit for every row: :math:`\text{BMU}(x) = \arg\min_j \lVert x - w_j\rVert`.

    Parameters
    ----------
    X : array_like, shape (n, d)
    W : array_like, shape (m, d), unit weights (flat, row-major over the grid)

    Returns
    -------
    ndarray of int, shape (n,); ties go to the lowest index
    """
    X = as_array(X, "X", ndim=2)
    W = as_array(W, "W", ndim=2)
    if X.shape[1] != W.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features but W has {W.shape[1]}")
    return _sq_dist(X, W).argmin(1)


@dataclass(frozen=True)
class SOMRun:
    """Output of :func:`som_train`.

    Attributes
    ----------
    weights : ndarray, shape (m, d), the trained weights
    snapshots : ndarray, shape (s, m, d), the weights after each step in ``snapshot_iters``
    snapshot_iters : ndarray of int, shape (s,)
    """

    weights: np.ndarray
    snapshots: np.ndarray
    snapshot_iters: np.ndarray


def som_train(X, W0, grid, *, n_iter: int, eta0: float = 0.5, sigma0: float = 1.0, order=None,
              record_every: int = 0) -> SOMRun:
    r"""Online SOM training: one input per step, the winner and its grid neighbours pulled towards it.

    At step :math:`t` with input :math:`x = x_{o_t}` and winner :math:`i = \text{BMU}(x)`:

    .. math::
        h_{j,i}(t) = \exp\left(-\frac{\lVert g_j - g_i\rVert^2}{2\sigma(t)^2}\right), \qquad
        w_j \leftarrow w_j + \eta(t)\, h_{j,i}(t)\, (x - w_j) \quad \text{for every unit } j,

    with :math:`\eta(t), \sigma(t)` from :func:`som_schedule`. This is MiniSom's ``train`` with a Gaussian
    neighbourhood on a rectangular grid.

    Parameters
    ----------
    X : array_like, shape (n, d)
    W0 : array_like, shape (m, d), starting weights
    grid : array_like, shape (m, 2), unit positions (:func:`grid_positions`)
    n_iter : int >= 1, number of steps
    eta0, sigma0 : float > 0
    order : array_like of int, shape (n_iter,), optional
        The input used at each step; by default ``t mod n`` (the rows in turn).
    record_every : int >= 0
        Keep the weights at step 0, after every ``record_every`` steps and at the end; 0 keeps the end only.

    Returns
    -------
    SOMRun
    """
    X = as_array(X, "X", ndim=2)
    W = as_array(W0, "W0", ndim=2).copy()
    grid = as_array(grid, "grid", ndim=2)
    if W.shape[1] != X.shape[1]:
        raise ValueError(f"W0 has {W.shape[1]} features but X has {X.shape[1]}")
    if grid.shape != (W.shape[0], 2):
        raise ValueError(f"grid must have shape ({W.shape[0]}, 2) to match W0, got {grid.shape}")
    n_iter = check_int(n_iter, "n_iter", low=1)
    eta0 = check_float(eta0, "eta0", low=0.0, low_open=True)
    sigma0 = check_float(sigma0, "sigma0", low=0.0, low_open=True)
    record_every = check_int(record_every, "record_every", low=0)
    if order is None:
        order = np.arange(n_iter) % X.shape[0]
    else:
        order = np.asarray(order)
        if order.shape != (n_iter,) or not np.issubdtype(order.dtype, np.integer) \
                or order.min() < 0 or order.max() >= X.shape[0]:
            raise ValueError(f"order must hold {n_iter} row indices of X in [0, {X.shape[0]})")
    return _train(X, W, grid, n_iter, eta0, sigma0, order, record_every)


def _train(X, W, grid, n_iter, eta0, sigma0, order, record_every) -> SOMRun:
    eta, sigma = _schedule(np.arange(n_iter, dtype=float), n_iter, eta0, sigma0)
    coef = -0.5 / sigma ** 2                                          # h = exp(coef * ||g_j - g_i||^2)
    G2 = ((grid[:, None, :] - grid[None, :, :]) ** 2).sum(-1)        # squared grid distances, (m, m)
    snaps, iters = [W.copy()], [0]
    for t, x in enumerate(X[order]):
        diff = x - W                                                  # (m, d)
        i = np.einsum("ij,ij->i", diff, diff).argmin()                # the best-matching unit
        h = np.exp(G2[i] * coef[t])
        h *= eta[t]
        W += h[:, None] * diff
        if record_every and ((t + 1) % record_every == 0 or t + 1 == n_iter):
            snaps.append(W.copy())
            iters.append(t + 1)
    if not record_every:
        snaps, iters = [W.copy()], [n_iter]
    return SOMRun(weights=W, snapshots=np.array(snaps), snapshot_iters=np.array(iters))


def quantization_error(X, W) -> float:
    r"""Mean distance from each input to its best-matching unit, :math:`\frac1n\sum_i \lVert x_i -
    w_{\text{BMU}(x_i)}\rVert`.

    Parameters
    ----------
    X : array_like, shape (n, d)
    W : array_like, shape (m, d)
    """
    X = as_array(X, "X", ndim=2)
    W = as_array(W, "W", ndim=2)
    bmu = best_matching_units(X, W)
    return float(np.linalg.norm(X - W[bmu], axis=1).mean())


def topographic_error(X, W, grid) -> float:
    """Share of inputs whose best and second-best units are not neighbours on the grid.

    Neighbours are the 8 surrounding cells (Chebyshev distance 1), as in MiniSom's rectangular topology;
    0 means every input's two nearest units touch on the map.

    Parameters
    ----------
    X : array_like, shape (n, d)
    W : array_like, shape (m, d), m >= 2
    grid : array_like, shape (m, 2)
    """
    X = as_array(X, "X", ndim=2)
    W = as_array(W, "W", ndim=2)
    grid = as_array(grid, "grid", ndim=2)
    if X.shape[1] != W.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features but W has {W.shape[1]}")
    if W.shape[0] < 2:
        raise ValueError(f"W must have at least 2 rows: topographic_error needs a map of at least 2 units, "
                         f"got {W.shape[0]}")
    if grid.shape != (W.shape[0], 2):
        raise ValueError(f"grid must have shape ({W.shape[0]}, 2) to match W, got {grid.shape}")
    two = np.argsort(_sq_dist(X, W), axis=1, kind="stable")[:, :2]
    gap = np.abs(grid[two[:, 0]] - grid[two[:, 1]]).max(1)
    return float(np.mean(gap > 1.0))


def u_matrix(W, n_rows: int, n_cols: int) -> np.ndarray:
    r"""The unified distance matrix: each unit's mean weight distance to its (up to 8) grid neighbours.

    .. math:: U_{rc} = \operatorname{mean}_{(r', c') \in N_8(r, c)} \lVert w_{rc} - w_{r'c'}\rVert

    High values are borders between clusters, low values their interiors.

    Parameters
    ----------
    W : array_like, shape (n_rows * n_cols, d)
    n_rows, n_cols : int >= 1

    Returns
    -------
    ndarray, shape (n_rows, n_cols)
    """
    W = as_array(W, "W", ndim=2)
    n_rows = check_int(n_rows, "n_rows", low=1)
    n_cols = check_int(n_cols, "n_cols", low=1)
    if W.shape[0] != n_rows * n_cols:
        raise ValueError(f"W has {W.shape[0]} rows, not n_rows * n_cols = {n_rows * n_cols}")
    G = W.reshape(n_rows, n_cols, -1)
    total, count = np.zeros((n_rows, n_cols)), np.zeros((n_rows, n_cols))
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr == 0 and dc == 0:
                continue
            r0, r1 = max(0, -dr), n_rows - max(0, dr)
            c0, c1 = max(0, -dc), n_cols - max(0, dc)
            d = np.linalg.norm(G[r0:r1, c0:c1] - G[r0 + dr:r1 + dr, c0 + dc:c1 + dc], axis=-1)
            total[r0:r1, c0:c1] += d
            count[r0:r1, c0:c1] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


@dataclass
class SelfOrganizingMap:
    r"""A rectangular SOM in scikit-learn's shape: ``SelfOrganizingMap(8, 8).fit(X).predict(X)``.

    ``fit`` starts from ``init`` or from ``m`` distinct rows of ``X`` drawn with ``rng``, visits the inputs in a
    fresh random order each epoch (``shuffle=True``) or in turn, and runs :func:`som_train`.

    Parameters
    ----------
    n_rows, n_cols : int >= 1
    sigma : float > 0, the starting neighbourhood width in grid units
    learning_rate : float > 0, the starting :math:`\eta`
    n_iter : int >= 1, online steps
    shuffle : bool
    rng : int or numpy.random.Generator
    record_every : int >= 0, see :func:`som_train`

    Attributes
    ----------
    weights_ : ndarray, shape (n_rows * n_cols, d)
    grid_ : ndarray, shape (n_rows * n_cols, 2)
    run_ : SOMRun
    """

    n_rows: int = 8
    n_cols: int = 8
    sigma: float = 1.0
    learning_rate: float = 0.5
    n_iter: int = 1000
    shuffle: bool = True
    rng: int | np.random.Generator = 0
    record_every: int = 0

    def fit(self, X, y=None, init=None) -> "SelfOrganizingMap":
        """Train on ``X`` (n, d); ``init`` (m, d) replaces the random start. Returns ``self``."""
        X = as_array(X, "X", ndim=2)
        self.grid_ = grid_positions(self.n_rows, self.n_cols)
        m, n = len(self.grid_), X.shape[0]
        n_iter = check_int(self.n_iter, "n_iter", low=1)
        check_float(self.sigma, "sigma", low=0.0, low_open=True)
        check_float(self.learning_rate, "learning_rate", low=0.0, low_open=True)
        rng = check_random_state(self.rng)
        if init is None:
            W0 = X[rng.choice(n, m, replace=m > n)]
        else:
            W0 = as_array(init, "init", ndim=2)
            if W0.shape != (m, X.shape[1]):
                raise ValueError(f"init must have shape ({m}, {X.shape[1]}), got {W0.shape}")
        if self.shuffle:
            order = np.concatenate([rng.permutation(n) for _ in range(-(-n_iter // n))])[:n_iter]
        else:
            order = np.arange(n_iter) % n
        self.run_ = som_train(X, W0, self.grid_, n_iter=n_iter, eta0=self.learning_rate, sigma0=self.sigma,
                              order=order, record_every=self.record_every)
        self.weights_ = self.run_.weights
        return self

    def predict(self, X) -> np.ndarray:
        """Grid position (row, col) of each input's best-matching unit, shape (n, 2), int: the map's
        low-dimensional representation of ``X``."""
        if not hasattr(self, "weights_"):
            raise ValueError("this SelfOrganizingMap is not fitted yet; call fit(X) first")
        return self.grid_[best_matching_units(X, self.weights_)].astype(int)

    def quantization_error(self, X) -> float:
        """:func:`quantization_error` of ``X`` on the fitted map."""
        return quantization_error(X, self.weights_)

    def topographic_error(self, X) -> float:
        """:func:`topographic_error` of ``X`` on the fitted map."""
        return topographic_error(X, self.weights_, self.grid_)

    def u_matrix(self) -> np.ndarray:
        """:func:`u_matrix` of the fitted map, shape (n_rows, n_cols)."""
        return u_matrix(self.weights_, self.n_rows, self.n_cols)

r"""Kernels and their Gram matrices, for kernel machines (support vector machines, kernel ridge, kernel PCA).

A kernel :math:`k(x, z) = \langle \phi(x), \phi(z) \rangle` is an inner product in a feature space that is
never built; its Gram matrix :math:`K_{ij} = k(x_i, z_j)` is all a kernel method needs.

- :func:`linear_kernel`      :math:`k(x, z) = x^\top z`;
- :func:`polynomial_kernel`  :math:`k(x, z) = (\gamma\, x^\top z + c)^d` (scikit-learn's form; :math:`\gamma = 1`
  is the textbook :math:`(x^\top z + c)^d`);
- :func:`rbf_kernel`         :math:`k(x, z) = \exp(-\gamma \lVert x - z \rVert^2)`, the Gaussian kernel with
  :math:`\gamma = 1 / (2\sigma^2)`;
- :func:`kernel_matrix`      any of the three by name, as an estimator calls it.

Every function takes rows of ``X`` (n, d) and ``Y`` (m, d) (``Y`` defaults to ``X``) and returns the (n, m) Gram
matrix; a wrong shape, NaN or a bad parameter raises ``ValueError`` naming the argument.
"""

from __future__ import annotations

import numpy as np

from mlsheet_utils.algorithms.clustering.kmeans import squared_distances
from mlsheet_utils.validation import as_array, check_float, check_int

KERNELS = ("linear", "poly", "rbf")


def _pair(X, Y) -> tuple[np.ndarray, np.ndarray]:
    """``X`` (n, d) and ``Y`` (m, d) as finite float arrays with the same number of columns (``Y = X`` if None)."""
    X = as_array(X, "X", ndim=2)
    Y = X if Y is None else as_array(Y, "Y", ndim=2)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"X and Y must have the same number of columns, got {X.shape[1]} and {Y.shape[1]}")
    return X, Y


def linear_kernel(X, Y=None) -> np.ndarray:
    r"""Gram matrix of the linear kernel, :math:`K_{ij} = x_i^\top y_j`.

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (m, d), optional (default ``X``)

    Returns
    -------
    ndarray, shape (n, m)
    """
    X, Y = _pair(X, Y)
    return X @ Y.T


def polynomial_kernel(X, Y=None, *, degree: int = 3, coef0: float = 1.0, gamma: float = 1.0) -> np.ndarray:
    r"""Gram matrix of the polynomial kernel, :math:`K_{ij} = (\gamma\, x_i^\top y_j + c)^d`.

    For an integer :math:`d \ge 1`, :math:`\gamma > 0` and :math:`c \ge 0` it is the inner product of all
    monomials of degree at most :math:`d`, suitably weighted, so every Gram matrix is positive semi-definite; with
    :math:`c < 0` it need not be.

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (m, d), optional (default ``X``)
    degree : int >= 1
    coef0 : float, the constant :math:`c`
    gamma : float > 0, the scale of the inner product

    Returns
    -------
    ndarray, shape (n, m)
    """
    X, Y = _pair(X, Y)
    degree = check_int(degree, "degree", low=1)
    coef0 = check_float(coef0, "coef0")
    gamma = check_float(gamma, "gamma", low=0, low_open=True)
    return (gamma * (X @ Y.T) + coef0) ** degree


def rbf_kernel(X, Y=None, *, gamma: float = 1.0) -> np.ndarray:
    r"""Gram matrix of the Gaussian (RBF) kernel, :math:`K_{ij} = \exp(-\gamma \lVert x_i - y_j \rVert^2)`.

    With a bandwidth :math:`\sigma`, :math:`\gamma = 1 / (2\sigma^2)`. The squared distances come from one matrix
    product, :math:`\lVert x \rVert^2 - 2 x^\top y + \lVert y \rVert^2`, clipped at zero against round-off.

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (m, d), optional (default ``X``)
    gamma : float > 0

    Returns
    -------
    ndarray, shape (n, m), entries in (0, 1]
    """
    X, Y = _pair(X, Y)
    gamma = check_float(gamma, "gamma", low=0, low_open=True)
    return np.exp(-gamma * squared_distances(X, Y))


def kernel_matrix(X, Y=None, *, kernel: str = "rbf", gamma: float = 1.0, degree: int = 3,
                  coef0: float = 1.0) -> np.ndarray:
    """Gram matrix of the kernel named ``kernel`` (``"linear"``, ``"poly"`` or ``"rbf"``), shape (n, m).

    ``gamma`` is used by ``"poly"`` and ``"rbf"``, ``degree`` and ``coef0`` by ``"poly"`` only (as in
    scikit-learn's ``SVC``); all three are checked whatever the kernel (``gamma > 0``, ``degree >= 1`` an int,
    ``coef0`` finite).
    """
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
    check_float(gamma, "gamma", low=0, low_open=True)          # every setting is checked, used or not (SVC's rule)
    check_int(degree, "degree", low=1)
    check_float(coef0, "coef0")
    if kernel == "linear":
        return linear_kernel(X, Y)
    if kernel == "poly":
        return polynomial_kernel(X, Y, degree=degree, coef0=coef0, gamma=gamma)
    return rbf_kernel(X, Y, gamma=gamma)

"""Linear regression from scratch, and the diagnostics of collinearity.

- :func:`ols`                ordinary least squares through a thin QR factorisation (or ``numpy.linalg.lstsq``);
- :func:`ridge`              ridge regression through the SVD, the intercept left unpenalised;
- :func:`coef_covariance`    the sampling covariance :math:`\\sigma^2 (X^\\top X)^{-1}` of the OLS coefficients;
- :func:`vif`                variance inflation factors :math:`1 / (1 - R_j^2)`, one auxiliary regression each;
- :func:`condition_number`   :math:`\\sigma_{\\max} / \\sigma_{\\min}` of the design, optionally with unit-length
  columns (Belsley's scaling).

Every function validates its input like scikit-learn: a wrong shape, NaN or a bad parameter raises
``ValueError`` naming the argument.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from mlsheet_utils.validation import as_array, check_float

EPS = np.finfo(float).eps


def _design(X, y=None) -> tuple[np.ndarray, np.ndarray | None]:
    """``X`` as a finite 2-D float array with at least one row and column, and ``y`` as a matching vector."""
    X = as_array(X, "X", ndim=2)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    if y is None:
        return X, None
    y = as_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one entry per row of X ({X.shape[0]}), got {y.shape[0]}")
    return X, y


def _check_method(method: str) -> str:
    if method not in ("qr", "lstsq"):
        raise ValueError(f"method must be 'qr' or 'lstsq', got {method!r}")
    return method


def ols(X, y, *, fit_intercept: bool = True, method: str = "qr") -> tuple[np.ndarray, float]:
    """Ordinary least squares: :math:`\\hat\\beta = \\arg\\min_\\beta \\lVert y - b - X\\beta\\rVert^2`.

    With an intercept the columns of ``X`` and ``y`` are centred first (the intercept is then
    :math:`\\bar y - \\bar x^\\top \\hat\\beta`). ``method="qr"`` factorises the (centred) design
    :math:`X = QR` and solves the triangular system :math:`R\\hat\\beta = Q^\\top y`, which never forms
    :math:`X^\\top X` and so loses only :math:`\\kappa(X)` digits instead of :math:`\\kappa(X)^2`.
    ``method="lstsq"`` calls ``numpy.linalg.lstsq`` (SVD), which also returns the minimum-norm solution
    when the design is rank deficient.

    Parameters
    ----------
    X : array_like, shape (n, p)
    y : array_like, shape (n,)
    fit_intercept : bool
    method : {"qr", "lstsq"}

    Returns
    -------
    coef : ndarray, shape (p,)
    intercept : float (0.0 when ``fit_intercept`` is false)

    Raises
    ------
    ValueError
        For bad shapes or values, or (``method="qr"``) when the design is numerically rank deficient.
    """
    X, y = _design(X, y)
    method = _check_method(method)
    x_mean = X.mean(axis=0) if fit_intercept else np.zeros(X.shape[1])
    y_mean = float(y.mean()) if fit_intercept else 0.0
    Xc, yc = X - x_mean, y - y_mean
    if method == "lstsq":
        coef = np.linalg.lstsq(Xc, yc, rcond=None)[0]
    else:
        n, p = Xc.shape
        if n < p:
            raise ValueError(f"X has fewer rows ({n}) than columns ({p}); OLS is not unique, use method='lstsq' "
                             "or ridge")
        Q, R = np.linalg.qr(Xc, mode="reduced")
        d = np.abs(np.diag(R))
        if d.min() <= max(n, p) * EPS * max(d.max(), EPS):
            raise ValueError("X is numerically rank deficient (collinear columns); use method='lstsq' or ridge")
        coef = scipy.linalg.solve_triangular(R, Q.T @ yc)
    return coef, float(y_mean - x_mean @ coef)


def ridge(X, y, alpha: float, *, fit_intercept: bool = True) -> tuple[np.ndarray, float]:
    """Ridge regression: :math:`\\hat\\beta_\\lambda = (X^\\top X + \\lambda I)^{-1} X^\\top y`.

    With an intercept, ``X`` and ``y`` are centred first so that the intercept is not penalised (as
    scikit-learn does). The solution is computed from the thin SVD :math:`X = U S V^\\top` as
    :math:`\\hat\\beta_\\lambda = V\\,\\mathrm{diag}\\big(s_i / (s_i^2 + \\lambda)\\big) U^\\top y`: each direction
    is shrunk by :math:`s_i^2/(s_i^2+\\lambda)`, most where the design is weakest (small :math:`s_i`).

    Parameters
    ----------
    X : array_like, shape (n, p)
    y : array_like, shape (n,)
    alpha : float >= 0
        The penalty :math:`\\lambda`; 0 gives the minimum-norm least-squares solution.
    fit_intercept : bool

    Returns
    -------
    coef : ndarray, shape (p,)
    intercept : float
    """
    X, y = _design(X, y)
    alpha = check_float(alpha, "alpha", low=0)
    x_mean = X.mean(axis=0) if fit_intercept else np.zeros(X.shape[1])
    y_mean = float(y.mean()) if fit_intercept else 0.0
    U, s, Vt = np.linalg.svd(X - x_mean, full_matrices=False)
    if alpha == 0:
        keep = s > max(X.shape) * EPS * (s[0] if s.size else 0.0)
        shrink = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0)
    else:
        shrink = s / (s**2 + alpha)
    coef = Vt.T @ (shrink * (U.T @ (y - y_mean)))
    return coef, float(y_mean - x_mean @ coef)


def coef_covariance(X, noise_var: float, *, fit_intercept: bool = True) -> np.ndarray:
    """Sampling covariance of the OLS slopes, :math:`\\sigma^2 (X_c^\\top X_c)^{-1}`, for fixed ``X``.

    :math:`X_c` is ``X`` with centred columns when ``fit_intercept`` (the slopes of a model with an intercept),
    else ``X`` itself. Computed from the QR factor as :math:`\\sigma^2 R^{-1} R^{-\\top}`.

    Parameters
    ----------
    X : array_like, shape (n, p), full column rank
    noise_var : float >= 0
        The noise variance :math:`\\sigma^2`.
    fit_intercept : bool

    Returns
    -------
    ndarray, shape (p, p)
    """
    X, _ = _design(X)
    noise_var = check_float(noise_var, "noise_var", low=0)
    Xc = X - X.mean(axis=0) if fit_intercept else X
    R = np.linalg.qr(Xc, mode="r")
    d = np.abs(np.diag(R))
    if R.shape[0] < X.shape[1] or d.min() <= max(X.shape) * EPS * max(d.max(), EPS):
        raise ValueError("X is numerically rank deficient: X^T X is singular and the OLS covariance is infinite")
    Rinv = scipy.linalg.solve_triangular(R, np.eye(R.shape[0]))
    return noise_var * Rinv @ Rinv.T


def vif(X) -> np.ndarray:
    """Variance inflation factors, :math:`\\mathrm{VIF}_j = 1 / (1 - R_j^2)`.

    :math:`R_j^2` is the coefficient of determination of regressing column :math:`j` on all the other columns
    (with an intercept). :math:`\\mathrm{VIF}_j` is the factor by which collinearity multiplies the variance of
    :math:`\\hat\\beta_j` compared with a design whose columns are uncorrelated; it equals the
    :math:`j`-th diagonal entry of the inverse correlation matrix of ``X``. A column that is an exact linear
    combination of the others gets ``inf``.

    Parameters
    ----------
    X : array_like, shape (n, p), p >= 2, no constant column

    Returns
    -------
    ndarray, shape (p,), every entry >= 1
    """
    X, _ = _design(X)
    n, p = X.shape
    if p < 2:
        raise ValueError(f"X needs at least two columns for a VIF, got {p}")
    if n < 3:
        raise ValueError(f"X needs at least three rows, got {n}")
    Xc = X - X.mean(axis=0)
    ss = (Xc**2).sum(axis=0)
    if np.any(ss <= EPS * max(ss.max(), EPS) * n):
        j = int(np.argmin(ss))
        raise ValueError(f"X column {j} is constant; its VIF is undefined")
    out = np.empty(p)
    for j in range(p):
        others = np.delete(Xc, j, axis=1)
        coef = np.linalg.lstsq(others, Xc[:, j], rcond=None)[0]
        r2 = 1.0 - ((Xc[:, j] - others @ coef) ** 2).sum() / ss[j]
        out[j] = np.inf if r2 >= 1.0 - 1e3 * EPS else 1.0 / (1.0 - r2)
    return out


def condition_number(X, *, scale_columns: bool = False) -> float:
    """Condition number of the design, :math:`\\kappa(X) = \\sigma_{\\max}(X) / \\sigma_{\\min}(X)`.

    :math:`\\kappa(X^\\top X) = \\kappa(X)^2`, so forming the normal equations squares it. With
    ``scale_columns`` every column is first divided by its Euclidean norm (Belsley, Kuh and Welsch), which
    removes the effect of units; values above about 30 signal harmful collinearity.

    Parameters
    ----------
    X : array_like, shape (n, p)
    scale_columns : bool

    Returns
    -------
    float, ``inf`` for a rank-deficient design
    """
    X, _ = _design(X)
    if scale_columns:
        norms = np.linalg.norm(X, axis=0)
        if np.any(norms == 0):
            raise ValueError(f"X column {int(np.argmin(norms))} is zero; cannot scale it to unit length")
        X = X / norms
    s = np.linalg.svd(X, compute_uv=False)
    if s[-1] <= max(X.shape) * EPS * s[0] or X.shape[0] < X.shape[1]:
        return float("inf")
    return float(s[0] / s[-1])

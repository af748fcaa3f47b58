"""Linear regression from scratch, and the diagnostics of collinearity.

- :func:`ols`                ordinary least squares through a thin QR factorisation (or ``numpy.linalg.lstsq``);
- :func:`ridge`              ridge regression through the SVD, the intercept left unpenalised;
- :func:`coef_covariance`    the sampling covariance :math:`\\sigma^2 (X^\\top X)^{-1}` of the OLS coefficients;
- :func:`vif`                variance inflation factors :math:`1 / (1 - R_j^2)`, one auxiliary regression each;
- :func:`condition_number`   :math:`\\sigma_{\\max} / \\sigma_{\\min}` of the design, optionally with unit-length
  columns (Belsley's scaling).

Two correlated predictors, many data sets at once (the simulations of collinearity):

- :func:`correlated_design`   two predictors with a given population correlation, from independent normals;
- :func:`fit_two_predictors`  OLS or ridge slopes of every data set of a batch, by a 2x2 solve each;
- :func:`simulate_slopes`     draw data sets :math:`y = \\beta_1 x_1 + \\beta_2 x_2 + \\sigma\\varepsilon` and fit them;
- :func:`two_predictor_risk`  the fixed-design theory: RMSE of :math:`\\hat\\beta_1` for OLS and ridge, sd of
  :math:`\\hat\\beta_1 + \\hat\\beta_2` (a :class:`TwoPredictorRisk`).

Every function validates its input like scikit-learn: a wrong shape, NaN or a bad parameter raises
``ValueError`` naming the argument.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

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


# -- two correlated predictors --------------------------------------------------------------------------------

def _check_rho(rho) -> float:
    return check_float(rho, "rho", low=-1, high=1, low_open=True, high_open=True)


def _correlated_design(z1: np.ndarray, z2: np.ndarray, rho: float) -> tuple[np.ndarray, np.ndarray]:
    return z1, rho * z1 + np.sqrt(1 - rho ** 2) * z2


def correlated_design(z1, z2, rho: float) -> tuple[np.ndarray, np.ndarray]:
    """Two predictors with population correlation ``rho``, from independent standard normals.

    .. math:: x_1 = z_1, \\qquad x_2 = \\rho z_1 + \\sqrt{1-\\rho^2}\\, z_2

    (the Cholesky factor of :math:`\\begin{pmatrix}1&\\rho\\\\ \\rho&1\\end{pmatrix}` applied to
    :math:`(z_1, z_2)`), so both have unit variance and :math:`\\operatorname{Corr}(x_1, x_2) = \\rho`.

    Parameters
    ----------
    z1, z2 : array_like, the same shape (any), independent standard normals
    rho : float in (-1, 1)

    Returns
    -------
    x1, x2 : ndarray, the shape of ``z1``
    """
    z1, z2 = as_array(z1, "z1"), as_array(z2, "z2")
    if z1.shape != z2.shape:
        raise ValueError(f"z1 and z2 must have the same shape, got {z1.shape} and {z2.shape}")
    return _correlated_design(z1, z2, _check_rho(rho))


def _fit_two_predictors(x1: np.ndarray, x2: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    c1, c2, cy = (a - a.mean(axis=1, keepdims=True) for a in (x1, x2, y))
    s11, s22, s12 = (c1 * c1).sum(1) + lam, (c2 * c2).sum(1) + lam, (c1 * c2).sum(1)
    t1, t2 = (c1 * cy).sum(1), (c2 * cy).sum(1)
    det = s11 * s22 - s12 ** 2
    return np.column_stack([s22 * t1 - s12 * t2, s11 * t2 - s12 * t1]) / det[:, None]


def fit_two_predictors(x1, x2, y, lam: float = 0.0) -> np.ndarray:
    """Slopes of ``y`` on ``(x1, x2)`` with an intercept, for every row of a batch of data sets; ridge if
    ``lam`` > 0.

    With :math:`S_{ab} = \\sum_i (a_i - \\bar a)(b_i - \\bar b)` over one row, the slopes solve (Cramer's rule)

    .. math::
        \\begin{pmatrix} S_{11} + \\lambda & S_{12} \\\\ S_{12} & S_{22} + \\lambda \\end{pmatrix}
        \\begin{pmatrix}\\hat\\beta_1\\\\ \\hat\\beta_2\\end{pmatrix}
        = \\begin{pmatrix} S_{1y} \\\\ S_{2y} \\end{pmatrix}

    (the intercept is not penalised, as in :func:`ridge`).

    Parameters
    ----------
    x1, x2, y : array_like, shape (reps, n), one data set per row, n >= 2
    lam : float >= 0, the ridge penalty

    Returns
    -------
    ndarray, shape (reps, 2)
    """
    x1, x2, y = as_array(x1, "x1", ndim=2), as_array(x2, "x2", ndim=2), as_array(y, "y", ndim=2)
    if not x1.shape == x2.shape == y.shape:
        raise ValueError(f"x1, x2 and y must share one shape (reps, n), got {x1.shape}, {x2.shape}, {y.shape}")
    if x1.shape[1] < 2:
        raise ValueError(f"each data set needs at least two points, got n = {x1.shape[1]}")
    return _fit_two_predictors(x1, x2, y, check_float(lam, "lam", low=0))


def simulate_slopes(rho: float, *, n: int = 50, reps: int = 400, lam: float = 0.0, sigma: float = 1.0,
                    beta=(1.0, 1.0), rng=0) -> np.ndarray:
    """Fit ``reps`` simulated data sets :math:`y = \\beta_1 x_1 + \\beta_2 x_2 + \\sigma\\varepsilon` with
    predictors of correlation ``rho`` (:func:`correlated_design`, a fresh design for each data set).

    Draws ``z1, z2, eps`` as one standard-normal array of shape (3, reps, n) from ``rng``.

    Parameters
    ----------
    rho : float in (-1, 1)
    n : int >= 3, points per data set; reps : int >= 2, data sets
    lam : float >= 0, ridge penalty (0: OLS)
    sigma : float >= 0, noise standard deviation
    beta : (float, float), the true slopes
    rng : int or numpy.random.Generator

    Returns
    -------
    ndarray, shape (reps, 2): the fitted slopes of every data set
    """
    rho = _check_rho(rho)
    n, reps = check_int(n, "n", low=3), check_int(reps, "reps", low=2)
    lam = check_float(lam, "lam", low=0)
    sigma = check_float(sigma, "sigma", low=0)
    beta = as_array(beta, "beta", ndim=1)
    if beta.shape != (2,):
        raise ValueError(f"beta must hold two slopes, got shape {beta.shape}")
    z1, z2, eps = check_random_state(rng).standard_normal((3, reps, n))
    x1, x2 = _correlated_design(z1, z2, rho)
    return _fit_two_predictors(x1, x2, beta[0] * x1 + beta[1] * x2 + sigma * eps, lam)


@dataclass(frozen=True)
class TwoPredictorRisk:
    """Output of :func:`two_predictor_risk` (each field shaped like the broadcast inputs).

    Attributes
    ----------
    ols_rmse : root-mean-square error (= standard deviation) of the OLS :math:`\\hat\\beta_1`
    ridge_rmse : root-mean-square error of the ridge :math:`\\hat\\beta_1` (variance plus squared bias)
    sum_sd : standard deviation of the OLS :math:`\\hat\\beta_1 + \\hat\\beta_2`
    """

    ols_rmse: np.ndarray | float
    ridge_rmse: np.ndarray | float
    sum_sd: np.ndarray | float


def two_predictor_risk(rho, n, lam, *, sigma: float = 1.0, beta=(1.0, 1.0)) -> TwoPredictorRisk:
    """Fixed-design theory for two standardised predictors with sample correlation :math:`\\rho`.

    With :math:`X^\\top X = n\\begin{pmatrix}1&\\rho\\\\ \\rho&1\\end{pmatrix}`, eigenvalues
    :math:`d_1 = n(1+\\rho)` along :math:`v_1 = (1,1)/\\sqrt2` and :math:`d_2 = n(1-\\rho)` along
    :math:`v_2 = (1,-1)/\\sqrt2`, and ridge penalty :math:`\\lambda`:

    .. math::
        \\operatorname{Var}\\hat\\beta_1^{\\rm OLS} = \\frac{\\sigma^2}{n(1-\\rho^2)}, \\qquad
        \\operatorname{Var}(\\hat\\beta_1+\\hat\\beta_2)^{\\rm OLS} = \\frac{2\\sigma^2}{d_1},

        \\operatorname{Var}\\hat\\beta_{1,\\lambda} = \\frac{\\sigma^2}{2}\\Big(\\frac{d_1}{(d_1+\\lambda)^2}
        + \\frac{d_2}{(d_2+\\lambda)^2}\\Big), \\qquad
        \\operatorname{bias}\\,\\hat\\beta_{1,\\lambda} = -\\sum_k \\frac{\\lambda}{d_k+\\lambda}
        (v_k)_1\\, v_k^\\top\\beta

    Parameters
    ----------
    rho : float or array_like in (-1, 1)
    n : float or array_like > 0, the number of points
    lam : float or array_like >= 0
    sigma : float >= 0, noise standard deviation
    beta : (float, float), the true slopes

    Returns
    -------
    TwoPredictorRisk
    """
    rho, n, lam = as_array(rho, "rho"), as_array(n, "n"), as_array(lam, "lam")
    if np.any(np.abs(rho) >= 1):
        raise ValueError("rho must lie in (-1, 1)")
    if np.any(n <= 0):
        raise ValueError("n must be > 0")
    if np.any(lam < 0):
        raise ValueError("lam must be >= 0")
    sigma = check_float(sigma, "sigma", low=0)
    beta = as_array(beta, "beta", ndim=1)
    if beta.shape != (2,):
        raise ValueError(f"beta must hold two slopes, got shape {beta.shape}")
    d1, d2 = n * (1 + rho), n * (1 - rho)
    ols = sigma / np.sqrt(n * (1 - rho ** 2))
    var_ridge = sigma ** 2 / 2 * (d1 / (d1 + lam) ** 2 + d2 / (d2 + lam) ** 2)
    bias = -(lam / (d1 + lam) * (beta[0] + beta[1]) + lam / (d2 + lam) * (beta[0] - beta[1])) / 2
    out = (ols, np.sqrt(var_ridge + bias ** 2), sigma * np.sqrt(2 / d1))
    return TwoPredictorRisk(*(float(v) if np.ndim(v) == 0 else v for v in out))

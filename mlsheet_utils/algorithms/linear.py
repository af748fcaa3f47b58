r"""Linear and logistic regression from scratch, and the diagnostics of collinearity.

- :func:`ols`                ordinary least squares through a thin QR factorisation (or ``numpy.linalg.lstsq``);
- :func:`ridge`              ridge regression through the SVD, the intercept left unpenalised;
- :func:`coef_covariance`    the sampling covariance :math:`\sigma^2 (X^\top X)^{-1}` of the OLS coefficients;
- :func:`vif`                variance inflation factors :math:`1 / (1 - R_j^2)`, one auxiliary regression each;
- :func:`condition_number`   :math:`\sigma_{\max} / \sigma_{\min}` of the design, optionally with unit-length
  columns (Belsley's scaling).

Two correlated predictors, many data sets at once (the simulations of collinearity):

- :func:`correlated_design`   two predictors with a given population correlation, from independent normals;
- :func:`fit_two_predictors`  OLS or ridge slopes of every data set of a batch, by a 2x2 solve each;
- :func:`simulate_slopes`     draw data sets :math:`y = \beta_1 x_1 + \beta_2 x_2 + \sigma\varepsilon` and fit them;
- :func:`two_predictor_risk`  the fixed-design theory: RMSE of :math:`\hat\beta_1` for OLS and ridge, sd of
  :math:`\hat\beta_1 + \hat\beta_2` (a :class:`TwoPredictorRisk`).

Logistic regression, :math:`P(y=1\mid x) = \sigma(\beta_0 + w^\top x)`, with scikit-learn's L2 penalty:

- :func:`logistic_objective`  the penalised mean cross-entropy, its gradient and Hessian (a
  :class:`LogisticObjective`);
- :func:`logistic_irls`       Newton's method, i.e. iteratively reweighted least squares, with step halving;
- :func:`logistic_gd`         gradient descent, with the cross-entropy or the squared error as the loss;
- :class:`LogisticRegression` the estimator (``fit``, ``decision_function``, ``predict_proba``, ``predict``).

Every function validates its input like scikit-learn: a wrong shape, NaN or a bad parameter raises
``ValueError`` naming the argument.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.special

from mlsheet_utils.validation import as_array, check_bool, check_float, check_int, check_random_state

EPS = np.finfo(float).eps


_NO_Y = object()       # "no y" for _design (``y=None`` passed by a caller is a bad argument, not a missing one)


def _design(X, y=_NO_Y) -> tuple[np.ndarray, np.ndarray | None]:
    """``X`` as a finite 2-D float array with at least one row and column, and ``y`` as a matching vector."""
    X = as_array(X, "X", ndim=2)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    if y is _NO_Y:
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
    r"""Ordinary least squares: :math:`\hat\beta = \arg\min_\beta \lVert y - b - X\beta\rVert^2`.

    With an intercept the columns of ``X`` and ``y`` are centred first (the intercept is then
    :math:`\bar y - \bar x^\top \hat\beta`). ``method="qr"`` factorises the (centred) design
    :math:`X = QR` and solves the triangular system :math:`R\hat\beta = Q^\top y`, which never forms
    :math:`X^\top X` and so loses only :math:`\kappa(X)` digits instead of :math:`\kappa(X)^2`.
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
    fit_intercept = check_bool(fit_intercept, "fit_intercept")
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
    r"""Ridge regression: :math:`\hat\beta_\lambda = (X^\top X + \lambda I)^{-1} X^\top y`.

    With an intercept, ``X`` and ``y`` are centred first so that the intercept is not penalised (as
    scikit-learn does). The solution is computed from the thin SVD :math:`X = U S V^\top` as
    :math:`\hat\beta_\lambda = V\,\mathrm{diag}\big(s_i / (s_i^2 + \lambda)\big) U^\top y`: each direction
    is shrunk by :math:`s_i^2/(s_i^2+\lambda)`, most where the design is weakest (small :math:`s_i`).

    Parameters
    ----------
    X : array_like, shape (n, p)
    y : array_like, shape (n,)
    alpha : float >= 0
        The penalty :math:`\lambda`; 0 gives the minimum-norm least-squares solution.
    fit_intercept : bool

    Returns
    -------
    coef : ndarray, shape (p,)
    intercept : float
    """
    X, y = _design(X, y)
    alpha = check_float(alpha, "alpha", low=0)
    fit_intercept = check_bool(fit_intercept, "fit_intercept")
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
    r"""Sampling covariance of the OLS slopes, :math:`\sigma^2 (X_c^\top X_c)^{-1}`, for fixed ``X``.

    :math:`X_c` is ``X`` with centred columns when ``fit_intercept`` (the slopes of a model with an intercept),
    else ``X`` itself. Computed from the QR factor as :math:`\sigma^2 R^{-1} R^{-\top}`.

    Parameters
    ----------
    X : array_like, shape (n, p), full column rank
    noise_var : float >= 0
        The noise variance :math:`\sigma^2`.
    fit_intercept : bool

    Returns
    -------
    ndarray, shape (p, p)
    """
    X, _ = _design(X)
    noise_var = check_float(noise_var, "noise_var", low=0)
    fit_intercept = check_bool(fit_intercept, "fit_intercept")
    Xc = X - X.mean(axis=0) if fit_intercept else X
    R = np.linalg.qr(Xc, mode="r")
    d = np.abs(np.diag(R))
    if R.shape[0] < X.shape[1] or d.min() <= max(X.shape) * EPS * max(d.max(), EPS):
        raise ValueError("X is numerically rank deficient: X^T X is singular and the OLS covariance is infinite")
    Rinv = scipy.linalg.solve_triangular(R, np.eye(R.shape[0]))
    return noise_var * Rinv @ Rinv.T


def vif(X) -> np.ndarray:
    r"""Variance inflation factors, :math:`\mathrm{VIF}_j = 1 / (1 - R_j^2)`.

    :math:`R_j^2` is the coefficient of determination of regressing column :math:`j` on all the other columns
    (with an intercept). :math:`\mathrm{VIF}_j` is the factor by which collinearity multiplies the variance of
    :math:`\hat\beta_j` compared with a design whose columns are uncorrelated; it equals the
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
    r"""Condition number of the design, :math:`\kappa(X) = \sigma_{\max}(X) / \sigma_{\min}(X)`.

    :math:`\kappa(X^\top X) = \kappa(X)^2`, so forming the normal equations squares it. With
    ``scale_columns`` every column is first divided by its Euclidean norm (Belsley, Kuh and Welsch), which
    removes the effect of units; values above about 30 signal harmful collinearity.

    Parameters
    ----------
    X : array_like, shape (n, p)
    scale_columns : bool
        Requires every column of ``X`` to be non-zero.

    Returns
    -------
    float, ``inf`` for a rank-deficient design
    """
    X, _ = _design(X)
    if check_bool(scale_columns, "scale_columns"):
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
    r"""Two predictors with population correlation ``rho``, from independent standard normals.

    .. math:: x_1 = z_1, \qquad x_2 = \rho z_1 + \sqrt{1-\rho^2}\, z_2

    (the Cholesky factor of :math:`\begin{pmatrix}1&\rho\\ \rho&1\end{pmatrix}` applied to
    :math:`(z_1, z_2)`), so both have unit variance and :math:`\operatorname{Corr}(x_1, x_2) = \rho`.

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
    r"""Slopes of ``y`` on ``(x1, x2)`` with an intercept, for every row of a batch of data sets; ridge if
    ``lam`` > 0.

    With :math:`S_{ab} = \sum_i (a_i - \bar a)(b_i - \bar b)` over one row, the slopes solve (Cramer's rule)

    .. math::
        \begin{pmatrix} S_{11} + \lambda & S_{12} \\ S_{12} & S_{22} + \lambda \end{pmatrix}
        \begin{pmatrix}\hat\beta_1\\ \hat\beta_2\end{pmatrix}
        = \begin{pmatrix} S_{1y} \\ S_{2y} \end{pmatrix}

    (the intercept is not penalised, as in :func:`ridge`).

    Parameters
    ----------
    x1, x2, y : array_like, shape (reps, n), one data set per row, n >= 2 (n >= 3 when ``lam`` is 0: with two
        points the two slopes and the intercept are not determined)
    lam : float >= 0, the ridge penalty

    Returns
    -------
    ndarray, shape (reps, 2); NaN for a data set whose predictors are collinear when ``lam`` is 0
    """
    x1, x2, y = as_array(x1, "x1", ndim=2), as_array(x2, "x2", ndim=2), as_array(y, "y", ndim=2)
    if not x1.shape == x2.shape == y.shape:
        raise ValueError(f"x1, x2 and y must share one shape (reps, n), got {x1.shape}, {x2.shape}, {y.shape}")
    if x1.shape[1] < 2:
        raise ValueError(f"each data set needs at least two points, got n = {x1.shape[1]}")
    lam = check_float(lam, "lam", low=0)
    if lam == 0 and x1.shape[1] < 3:
        raise ValueError(f"with lam = 0 (OLS) each data set of x1, x2 and y needs at least three points, "
                         f"got n = {x1.shape[1]}")
    return _fit_two_predictors(x1, x2, y, lam)


def simulate_slopes(rho: float, *, n: int = 50, reps: int = 400, lam: float = 0.0, sigma: float = 1.0,
                    beta=(1.0, 1.0), rng=0) -> np.ndarray:
    r"""Fit ``reps`` simulated data sets :math:`y = \beta_1 x_1 + \beta_2 x_2 + \sigma\varepsilon` with
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
    r"""Output of :func:`two_predictor_risk` (each field shaped like the broadcast inputs).

    Attributes
    ----------
    ols_rmse : root-mean-square error (= standard deviation) of the OLS :math:`\hat\beta_1`
    ridge_rmse : root-mean-square error of the ridge :math:`\hat\beta_1` (variance plus squared bias)
    sum_sd : standard deviation of the OLS :math:`\hat\beta_1 + \hat\beta_2`
    """

    ols_rmse: np.ndarray | float
    ridge_rmse: np.ndarray | float
    sum_sd: np.ndarray | float


def two_predictor_risk(rho, n, lam, *, sigma: float = 1.0, beta=(1.0, 1.0)) -> TwoPredictorRisk:
    r"""Fixed-design theory for two standardised predictors with sample correlation :math:`\rho`.

    With :math:`X^\top X = n\begin{pmatrix}1&\rho\\ \rho&1\end{pmatrix}`, eigenvalues
    :math:`d_1 = n(1+\rho)` along :math:`v_1 = (1,1)/\sqrt2` and :math:`d_2 = n(1-\rho)` along
    :math:`v_2 = (1,-1)/\sqrt2`, and ridge penalty :math:`\lambda`:

    .. math::
        \operatorname{Var}\hat\beta_1^{\rm OLS} = \frac{\sigma^2}{n(1-\rho^2)}, \qquad
        \operatorname{Var}(\hat\beta_1+\hat\beta_2)^{\rm OLS} = \frac{2\sigma^2}{d_1},

        \operatorname{Var}\hat\beta_{1,\lambda} = \frac{\sigma^2}{2}\Big(\frac{d_1}{(d_1+\lambda)^2}
        + \frac{d_2}{(d_2+\lambda)^2}\Big), \qquad
        \operatorname{bias}\,\hat\beta_{1,\lambda} = -\sum_k \frac{\lambda}{d_k+\lambda}
        (v_k)_1\, v_k^\top\beta

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
        raise ValueError(f"rho must lie in (-1, 1), got values up to {np.abs(rho).max():.6g} in absolute value")
    if np.any(n <= 0):
        raise ValueError(f"n must be > 0, got a minimum of {n.min():.6g}")
    if np.any(lam < 0):
        raise ValueError(f"lam must be >= 0, got a minimum of {lam.min():.6g}")
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


# -- logistic regression --------------------------------------------------------------------------------------

def _check_C(C) -> float:
    """``C`` > 0, or ``inf`` for no penalty (scikit-learn's convention)."""
    if isinstance(C, (float, np.floating)) and np.isposinf(C):
        return float("inf")
    return check_float(C, "C", low=0, low_open=True)


def _logistic_problem(X, y, C, fit_intercept: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The design with a leading column of ones (if ``fit_intercept``), the 0/1 labels and the penalty weights.

    The penalty weight of every slope is :math:`1/(Cn)` and that of the intercept 0.
    """
    X, y = _design(X, y)
    if not np.all((y == 0) | (y == 1)):
        bad = np.unique(y[(y != 0) & (y != 1)])[:3]
        raise ValueError(f"y must hold the labels 0 and 1 only, got {bad.tolist()}")
    if y.min() == y.max():
        raise ValueError(f"y holds only the label {int(y[0])}; logistic regression needs both classes")
    C = _check_C(C)
    fit_intercept = check_bool(fit_intercept, "fit_intercept")
    n = X.shape[0]
    A = np.column_stack([np.ones(n), X]) if fit_intercept else X
    lam = np.full(A.shape[1], 0.0 if np.isinf(C) else 1.0 / (C * n))
    if fit_intercept:
        lam[0] = 0.0
    return A, y, lam


def _logistic_kernel(beta: np.ndarray, A: np.ndarray, y: np.ndarray, lam: np.ndarray, hess: bool = True):
    z = A @ beta
    value = float(np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * lam @ (beta * beta))
    grad = A.T @ (scipy.special.expit(z) - y) / len(y) + lam * beta
    if not hess:
        return value, grad, None
    s = scipy.special.expit(z) * scipy.special.expit(-z)          # p (1 - p), accurate in both tails
    return value, grad, (A.T * s) @ A / len(y) + np.diag(lam)


@dataclass(frozen=True)
class LogisticObjective:
    r"""Output of :func:`logistic_objective`.

    Attributes
    ----------
    value : float, the penalised mean cross-entropy :math:`J(\beta)`
    grad : ndarray, shape (p,), :math:`\nabla J`
    hess : ndarray, shape (p, p), :math:`\nabla^2 J`
    """

    value: float
    grad: np.ndarray
    hess: np.ndarray


def logistic_objective(beta, X, y, *, C: float = np.inf, fit_intercept: bool = True) -> LogisticObjective:
    r"""The objective of L2-penalised logistic regression, its gradient and its Hessian.

    With :math:`\tilde x_i = (1, x_i)` (or :math:`x_i` without an intercept), :math:`z_i = \tilde x_i^\top\beta`
    and :math:`p_i = \sigma(z_i)`:

    .. math::
        J(\beta) = \frac1n\sum_{i=1}^n \big[\log(1 + e^{z_i}) - y_i z_i\big]
                   + \frac{1}{2Cn}\lVert w\rVert^2, \qquad
        \nabla J = \frac1n \tilde X^\top (p - y) + \frac{1}{Cn}\,(0, w), \qquad
        \nabla^2 J = \frac1n \tilde X^\top S \tilde X + \frac{1}{Cn}\operatorname{diag}(0, 1, \dots, 1),

    where :math:`w` is :math:`\beta` without the intercept and :math:`S = \operatorname{diag}(p_i(1-p_i))`.
    The first term is the binary cross-entropy :math:`-\frac1n\sum[y_i\log p_i + (1-y_i)\log(1-p_i)]`,
    written through the logits so that no probability is rounded to 0 or 1 before its log is taken. This is
    scikit-learn's ``LogisticRegression`` objective (its ``C`` times :math:`n` times ours, the same minimiser);
    ``C=inf`` removes the penalty.

    Parameters
    ----------
    beta : array_like, shape (p,)
        :math:`(\beta_0, \beta_1, \dots, \beta_d)` with the intercept first (p = d + 1), or the d slopes
        when ``fit_intercept`` is false.
    X : array_like, shape (n, d)
    y : array_like, shape (n,), labels 0 and 1
    C : float > 0 or inf
        Inverse regularisation strength.
    fit_intercept : bool

    Returns
    -------
    LogisticObjective
    """
    A, y, lam = _logistic_problem(X, y, C, fit_intercept)
    beta = as_array(beta, "beta", ndim=1)
    if beta.shape != (A.shape[1],):
        raise ValueError(f"beta must have shape ({A.shape[1]},) for this X and fit_intercept, got {beta.shape}")
    return LogisticObjective(*_logistic_kernel(beta, A, y, lam))


@dataclass(frozen=True)
class LogisticFit:
    r"""Output of :func:`logistic_irls` and :func:`logistic_gd`: the last iterate and the whole run.

    Attributes
    ----------
    coef : ndarray, shape (d,), the slopes :math:`w`
    intercept : float, :math:`\beta_0` (0.0 without an intercept)
    n_iter : int, iterations taken
    converged : bool, whether :math:`\max_j |\partial J/\partial\beta_j|` fell to ``tol``
    path : ndarray, shape (n_iter + 1, p), every iterate :math:`\beta^{(t)}` (intercept first), the start included
    objective : ndarray, shape (n_iter + 1,), the objective at each iterate
    grad_norm : ndarray, shape (n_iter + 1,), :math:`\max_j |\partial J/\partial\beta_j|` at each iterate
    """

    coef: np.ndarray
    intercept: float
    n_iter: int
    converged: bool
    path: np.ndarray
    objective: np.ndarray
    grad_norm: np.ndarray


def _fit_result(path, values, gnorms, fit_intercept, converged) -> LogisticFit:
    path = np.array(path)
    beta = path[-1]
    return LogisticFit(beta[1:] if fit_intercept else beta, float(beta[0]) if fit_intercept else 0.0,
                       len(path) - 1, bool(converged), path, np.array(values), np.array(gnorms))


def _start(beta0, p: int) -> np.ndarray:
    if beta0 is None:
        return np.zeros(p)
    beta0 = as_array(beta0, "beta0", ndim=1)
    if beta0.shape != (p,):
        raise ValueError(f"beta0 must have shape ({p},), got {beta0.shape}")
    return beta0


def logistic_irls(X, y, *, C: float = 1.0, fit_intercept: bool = True, tol: float = 1e-10,
                  max_iter: int = 100, beta0=None) -> LogisticFit:
    r"""Logistic regression by Newton's method, which for this loss is iteratively reweighted least squares.

    Each iteration solves the Newton system :math:`\nabla^2 J\,\Delta = -\nabla J` (a Cholesky solve; see
    :func:`logistic_objective`) and moves to :math:`\beta + t\Delta`, halving :math:`t` from 1 until the
    objective falls enough (Armijo's condition, with an allowance for round-off in the objective); near the
    optimum the full step is taken and convergence is quadratic. The full step is a weighted least-squares fit,

    .. math::
        \beta^{\rm new} = (\tilde X^\top S \tilde X + n\Lambda)^{-1}\tilde X^\top S\,u, \qquad
        u = \tilde X\beta + S^{-1}(y - p),

    with weights :math:`S = \operatorname{diag}(p_i(1-p_i))`, working response :math:`u` and
    :math:`\Lambda = \operatorname{diag}(0, \tfrac{1}{Cn}, \dots)`: hence the name. The loop stops when
    :math:`\max_j|\partial J/\partial\beta_j| \le` ``tol`` (scikit-learn's ``lbfgs`` criterion, ``gtol``).

    On linearly separable data without a penalty (``C=inf``) the objective has no minimiser: it falls towards 0
    as the weights grow along a separating direction, and the gradient vanishes with it, so the run stops at
    weights whose size the tolerance decides, or when the Hessian becomes numerically singular
    (``converged`` is then false).

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,), labels 0 and 1
    C : float > 0 or inf
        Inverse regularisation strength (scikit-learn's ``C``).
    fit_intercept : bool
        Fit an unpenalised intercept.
    tol : float > 0
    max_iter : int >= 0
    beta0 : array_like, shape (p,), optional
        The start (zeros when omitted), intercept first.

    Returns
    -------
    LogisticFit
    """
    A, y, lam = _logistic_problem(X, y, C, fit_intercept)
    tol = check_float(tol, "tol", low=0, low_open=True)
    max_iter = check_int(max_iter, "max_iter", low=0)
    beta = _start(beta0, A.shape[1])
    path, values, gnorms, converged = [beta], [], [], False
    for it in range(max_iter + 1):
        value, grad, hess = _logistic_kernel(beta, A, y, lam)
        values.append(value)
        gnorms.append(float(np.max(np.abs(grad))))
        if gnorms[-1] <= tol:
            converged = True
            break
        if it == max_iter:
            break
        try:
            step = -scipy.linalg.cho_solve(scipy.linalg.cho_factor(hess), grad)
        except np.linalg.LinAlgError:          # S underflowed: separable data and no penalty
            break
        t, slope = 1.0, float(grad @ step)
        slack = 16 * EPS * abs(value)          # near the optimum the decrease is below round-off: take the step
        while _logistic_kernel(beta + t * step, A, y, lam, hess=False)[0] > value + 1e-4 * t * slope + slack:
            t *= 0.5
            if t < 1e-12:
                break
        if t < 1e-12:                          # no decrease possible at working precision
            break
        beta = beta + t * step
        path.append(beta)
    return _fit_result(path, values, gnorms, fit_intercept, converged)


def logistic_gd(X, y, *, lr: float, n_iter: int, C: float = np.inf, fit_intercept: bool = True,
                loss: str = "log", beta0=None) -> LogisticFit:
    r"""Gradient descent on a logistic model, with the cross-entropy or the squared error as its loss.

    :math:`\beta^{(t+1)} = \beta^{(t)} - \eta\,\nabla J(\beta^{(t)})` for ``n_iter`` steps, where :math:`J` is

    - ``loss="log"``: the penalised mean cross-entropy of :func:`logistic_objective`, whose gradient with respect
      to the logit :math:`z_i` is :math:`(p_i - y_i)/n`;
    - ``loss="squared"``: :math:`\frac1n\sum_i (p_i - y_i)^2` plus the same penalty, whose gradient with respect
      to :math:`z_i` is :math:`\frac2n (p_i - y_i)\,p_i(1 - p_i)`: it carries the factor :math:`p_i(1-p_i)`,
      which vanishes when a point is confidently misclassified.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,), labels 0 and 1
    lr : float > 0, the step size :math:`\eta`
    n_iter : int >= 0
    C : float > 0 or inf
    fit_intercept : bool
    loss : {"log", "squared"}
    beta0 : array_like, shape (p,), optional, intercept first

    Returns
    -------
    LogisticFit (``converged`` is false: gradient descent here runs its fixed number of steps)
    """
    A, y, lam = _logistic_problem(X, y, C, fit_intercept)
    lr = check_float(lr, "lr", low=0, low_open=True)
    n_iter = check_int(n_iter, "n_iter", low=0)
    if loss not in ("log", "squared"):
        raise ValueError(f"loss must be 'log' or 'squared', got {loss!r}")
    beta = _start(beta0, A.shape[1])
    n = len(y)
    path, values, gnorms = [beta], [], []
    for it in range(n_iter + 1):
        z = A @ beta
        p = scipy.special.expit(z)
        if loss == "log":
            value = np.mean(np.logaddexp(0.0, z) - y * z)
            dz = (p - y) / n
        else:
            value = np.mean((p - y) ** 2)
            dz = 2.0 * (p - y) * p * scipy.special.expit(-z) / n
        grad = A.T @ dz + lam * beta
        values.append(float(value + 0.5 * lam @ (beta * beta)))
        gnorms.append(float(np.max(np.abs(grad))))
        if it < n_iter:
            beta = beta - lr * grad
            path.append(beta)
    return _fit_result(path, values, gnorms, fit_intercept, False)


@dataclass
class LogisticRegression:
    r"""Binary logistic regression with an L2 penalty, in scikit-learn's shape (fitted by :func:`logistic_irls`).

    The model is :math:`P(y=1\mid x) = \sigma(\beta_0 + w^\top x)`; ``fit`` minimises the objective of
    :func:`logistic_objective`, which has the minimiser of scikit-learn's ``LogisticRegression(C=C)``.

    Parameters
    ----------
    C : float > 0 or inf
        Inverse regularisation strength; ``inf`` for the unpenalised maximum-likelihood fit.
    fit_intercept : bool
    tol : float > 0, the gradient tolerance of :func:`logistic_irls`
    max_iter : int >= 0

    Attributes
    ----------
    coef_ : ndarray, shape (d,) (scikit-learn's is (1, d))
    intercept_ : float
    n_iter_ : int
    converged_ : bool
    """

    C: float = 1.0
    fit_intercept: bool = True
    tol: float = 1e-10
    max_iter: int = 100

    def fit(self, X, y) -> "LogisticRegression":
        """Fit to ``X`` (n, d) and labels ``y`` (n,) in {0, 1}; return ``self``."""
        fit = logistic_irls(X, y, C=self.C, fit_intercept=self.fit_intercept, tol=self.tol,
                            max_iter=self.max_iter)
        self.coef_, self.intercept_ = fit.coef, fit.intercept
        self.n_iter_, self.converged_ = fit.n_iter, fit.converged
        return self

    def decision_function(self, X) -> np.ndarray:
        r"""The logit (log-odds) :math:`\beta_0 + w^\top x` of every row, shape (n,)."""
        if not hasattr(self, "coef_"):
            raise ValueError("this LogisticRegression is not fitted yet; call fit(X, y) first")
        X, _ = _design(X)
        if X.shape[1] != self.coef_.shape[0]:
            raise ValueError(f"X has {X.shape[1]} columns but the model was fitted on {self.coef_.shape[0]}")
        return X @ self.coef_ + self.intercept_

    def predict_proba(self, X) -> np.ndarray:
        r""":math:`(P(y=0\mid x), P(y=1\mid x))` for every row, shape (n, 2)."""
        z = self.decision_function(X)
        return np.column_stack([scipy.special.expit(-z), scipy.special.expit(z)])

    def predict(self, X) -> np.ndarray:
        """The more probable label (1 where the logit is positive), shape (n,), integers."""
        return (self.decision_function(X) > 0).astype(int)

r"""Penalised least squares: the lasso, the elastic net, ridge, their paths, and the penalties as constraints.

Everything uses scikit-learn's elastic-net scaling,

.. math:: P(w) = \frac{1}{2n}\lVert y - b - Xw\rVert^2 + \alpha\rho\,\lVert w\rVert_1
                 + \frac{\alpha(1-\rho)}{2}\lVert w\rVert_2^2 ,

with the intercept :math:`b` unpenalised (``l1_ratio`` :math:`=\rho`; :math:`\rho = 1` is the lasso, scikit-learn's
``Lasso(alpha)``; :math:`\rho = 0` is ridge, scikit-learn's ``Ridge(alpha=n*alpha)``). Multiplying by
:math:`2n` gives the form
:math:`\lVert y - Xw\rVert^2 + \lambda_1\lVert w\rVert_1 + \lambda_2\lVert w\rVert_2^2` with
:math:`\lambda_1 = 2n\alpha\rho` and :math:`\lambda_2 = n\alpha(1-\rho)`.

- :func:`soft_threshold`           :math:`S_t(z) = \operatorname{sign}(z)\max(|z| - t, 0)`, the one-dimensional lasso;
- :func:`enet_objective`           :math:`P(w)` itself;
- :func:`enet_coordinate_descent`  cyclic coordinate descent with soft-thresholding, stopped by the duality gap
  (a :class:`CDResult`);
- :class:`ElasticNet`, :class:`Lasso`  the estimators (``fit``, ``predict``);
- :func:`alpha_max`                the smallest :math:`\alpha` at which every coefficient is zero;
- :func:`enet_path`                coefficients over a decreasing grid of :math:`\alpha` with warm starts (a
  :class:`RegularizationPath`);
- :func:`ridge_path`               the ridge coefficients over a grid, in closed form through
  :func:`mlsheet_utils.algorithms.linear.ridge`;
- :func:`cv_mse_path`              K-fold validation error along a path, for choosing :math:`\alpha`;
- :func:`project_l1_ball`          Euclidean projection onto :math:`\{w : \lVert w\rVert_1 \le t\}` (sort-based);
- :func:`norm_constrained_lsq`     least squares subject to :math:`\lVert w\rVert_1 \le t` or
  :math:`\lVert w\rVert_2 \le t`, by projected gradient (:func:`mlsheet_utils.algorithms.optim.projected_gradient`).

Every public function validates its input once and raises ``ValueError`` naming the argument; loops call the
private kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms import linear, optim
from mlsheet_utils.validation import as_array, check_bool, check_float, check_int

__all__ = ["soft_threshold", "enet_objective", "CDResult", "enet_coordinate_descent", "ElasticNet", "Lasso",
           "alpha_max", "RegularizationPath", "enet_path", "ridge_path", "cv_mse_path", "project_l1_ball",
           "norm_constrained_lsq"]


# -- validation helpers -------------------------------------------------------------------------------------

def _design(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = as_array(X, "X", ndim=2)
    y = as_array(y, "y", ndim=1)
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    if y.size != X.shape[0]:
        raise ValueError(f"y must have one entry per row of X ({X.shape[0]}), got {y.size}")
    return X, y


def _centre(X: np.ndarray, y: np.ndarray, fit_intercept: bool):
    """Centred copies and the means (zeros without an intercept)."""
    if fit_intercept:
        x_mean, y_mean = X.mean(axis=0), float(y.mean())
    else:
        x_mean, y_mean = np.zeros(X.shape[1]), 0.0
    return X - x_mean, y - y_mean, x_mean, y_mean


def _check_alpha_ratio(alpha, l1_ratio) -> tuple[float, float]:
    return check_float(alpha, "alpha", low=0), check_float(l1_ratio, "l1_ratio", low=0, high=1)


# -- the one-dimensional problem ----------------------------------------------------------------------------

def soft_threshold(z, t) -> np.ndarray:
    r"""The soft-thresholding operator :math:`S_t(z) = \operatorname{sign}(z)\,\max(|z| - t,\ 0)`, elementwise.

    It solves the one-dimensional lasso :math:`\min_w \tfrac12 (w - z)^2 + t|w|`: the subgradient condition
    :math:`0 \in w - z + t\,\partial|w|` gives :math:`w = z - t` when :math:`z > t`, :math:`w = z + t` when
    :math:`z < -t`, and :math:`w = 0` for the whole interval :math:`|z| \le t` (where :math:`\partial|0| = [-1, 1]`).

    Parameters
    ----------
    z : array_like
    t : float or array_like broadcastable to ``z``, >= 0

    Returns
    -------
    ndarray, the shape of ``np.broadcast(z, t)``
    """
    z = as_array(z, "z")
    t = as_array(t, "t")
    if np.any(t < 0):
        raise ValueError("t must be >= 0")
    try:
        np.broadcast_shapes(z.shape, t.shape)
    except ValueError:
        raise ValueError(f"t must broadcast against z, got shapes {t.shape} and {z.shape}") from None
    return np.sign(z) * np.maximum(np.abs(z) - t, 0.0)


def enet_objective(X, y, coef, intercept: float, alpha: float, l1_ratio: float = 1.0) -> float:
    r"""The elastic-net objective :math:`P(w)` of the module docstring.

    .. math:: \frac{1}{2n}\lVert y - b - Xw\rVert^2 + \alpha\rho\lVert w\rVert_1
              + \frac{\alpha(1-\rho)}{2}\lVert w\rVert^2

    Parameters
    ----------
    X : array_like, shape (n, p) ; y : array_like, shape (n,)
    coef : array_like, shape (p,) ; intercept : float
    alpha : float >= 0 ; l1_ratio : float in [0, 1]
    """
    X, y = _design(X, y)
    w = as_array(coef, "coef", ndim=1)
    if w.size != X.shape[1]:
        raise ValueError(f"coef must have {X.shape[1]} entries (one per column of X), got {w.size}")
    b = check_float(intercept, "intercept")
    alpha, rho = _check_alpha_ratio(alpha, l1_ratio)
    r = y - b - X @ w
    return float(r @ r / (2 * y.size) + alpha * rho * np.abs(w).sum() + 0.5 * alpha * (1 - rho) * w @ w)


# -- coordinate descent -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CDResult:
    r"""A coordinate-descent fit of the elastic net.

    Attributes
    ----------
    coef : ndarray, shape (p,)
    intercept : float
    n_iter : int
        Sweeps over the coordinates.
    dual_gap : float
        Primal minus dual objective at the end (in the units of :math:`P`): :math:`P(w) - \min P` is at most this.
    converged : bool
        Whether the gap fell below ``tol * ||y - mean(y)||^2 / n`` within ``max_iter`` sweeps.
    """

    coef: np.ndarray
    intercept: float
    n_iter: int
    dual_gap: float
    converged: bool


def _gap(G, q, yy, w, g, a, b) -> float:
    """Duality gap of P in Gram form (centred data): G = X^T X/n, q = X^T y/n, yy = y^T y/n, g = G w.

    With b > 0 the dual point is the residual r itself,
    D(r) = r^T y/n - ||r||^2/(2n) - sum_j (|x_j^T r|/n - a)_+^2/(2b); with b = 0 (the lasso) it is the residual
    scaled into the dual feasible set {|x_j^T theta|/n <= a}.
    """
    rr = yy - 2 * q @ w + w @ g                       # ||r||^2 / n
    ry = yy - q @ w                                   # r^T y / n
    c = q - g                                         # X^T r / n
    l1 = np.abs(w).sum()
    if b > 0:
        excess = np.maximum(np.abs(c) - a, 0.0)
        return float(rr + a * l1 + 0.5 * b * (w @ w) - ry + excess @ excess / (2 * b))
    dual_norm = np.abs(c).max() if c.size else 0.0
    const = a / dual_norm if dual_norm > a else 1.0
    return float(0.5 * rr * (1 + const**2) + a * l1 - const * ry)


def _cd(G, q, yy, a, b, w, max_iter, tol):
    """Cyclic coordinate descent on centred Gram quantities from ``w`` (modified in place); unvalidated.

    Minimises 1/2 w^T G w - q^T w + a ||w||_1 + b/2 ||w||^2 (= P minus a constant). As scikit-learn does, the
    duality gap is evaluated only after a sweep whose largest step is below ``tol`` times the largest
    coefficient (or after the last sweep). Returns (w, sweeps, gap, converged).
    """
    p = w.size
    g = G @ w
    diag = np.diag(G).tolist()
    qs = q.tolist()
    stop = tol * yy
    gap = _gap(G, q, yy, w, g, a, b)
    if gap <= stop:
        return w, 0, gap, True
    for sweep in range(1, max_iter + 1):
        step_max = w_max = 0.0
        for j in range(p):
            den = diag[j] + b
            if den == 0.0:                            # a constant column: its coefficient stays 0
                continue
            old = float(w[j])
            z = qs[j] - float(g[j]) + diag[j] * old   # x_j^T (partial residual) / n
            new = (z - a) / den if z > a else ((z + a) / den if z < -a else 0.0)
            if new != old:
                g += G[:, j] * (new - old)
                w[j] = new
                step_max = max(step_max, abs(new - old))
            w_max = max(w_max, abs(new))
        if w_max == 0.0 or step_max <= tol * w_max or sweep == max_iter:
            gap = _gap(G, q, yy, w, g, a, b)
            if gap <= stop:
                return w, sweep, gap, True
    return w, max_iter, gap, False


def enet_coordinate_descent(X, y, alpha: float, l1_ratio: float = 1.0, *, fit_intercept: bool = True,
                            max_iter: int = 1000, tol: float = 1e-4, coef_init=None) -> CDResult:
    r"""Minimise the elastic-net objective :math:`P(w)` (module docstring) by cyclic coordinate descent.

    With the columns and :math:`y` centred (the intercept is then :math:`\bar y - \bar x^\top w`), and writing
    :math:`G = X^\top X/n`, :math:`q = X^\top y/n`, one coordinate step solves the one-dimensional problem
    exactly:

    .. math:: z_j = q_j - \sum_{k \ne j} G_{jk} w_k, \qquad
              w_j \leftarrow \frac{S_{\alpha\rho}(z_j)}{G_{jj} + \alpha(1-\rho)} ,

    where :math:`z_j` is the correlation of column :math:`j` with the partial residual that leaves it out and
    :math:`S` is :func:`soft_threshold`. Each step cannot raise :math:`P`; cycling through the coordinates
    converges because the non-smooth part is separable. After each sweep the duality gap (scikit-learn's dual
    point: the residual scaled into the dual feasible set) bounds :math:`P(w) - \min P`; the loop stops when it
    falls below ``tol`` times :math:`\lVert y - \bar y\rVert^2/n`, scikit-learn's criterion.

    Parameters
    ----------
    X : array_like, shape (n, p) ; y : array_like, shape (n,)
    alpha : float >= 0 ; l1_ratio : float in [0, 1]
    fit_intercept : bool
    max_iter : int >= 1
        Most sweeps.
    tol : float > 0
    coef_init : array_like, shape (p,), optional
        Warm start (zeros by default).

    Returns
    -------
    CDResult
    """
    X, y = _design(X, y)
    alpha, rho = _check_alpha_ratio(alpha, l1_ratio)
    max_iter = check_int(max_iter, "max_iter", low=1)
    tol = check_float(tol, "tol", low=0, low_open=True)
    w = np.zeros(X.shape[1]) if coef_init is None else as_array(coef_init, "coef_init", ndim=1).copy()
    if w.size != X.shape[1]:
        raise ValueError(f"coef_init must have {X.shape[1]} entries (one per column of X), got {w.size}")
    check_bool(fit_intercept, "fit_intercept")
    Xc, yc, x_mean, y_mean = _centre(X, y, fit_intercept)
    n = y.size
    w, sweeps, gap, ok = _cd(Xc.T @ Xc / n, Xc.T @ yc / n, float(yc @ yc) / n, alpha * rho, alpha * (1 - rho),
                             w, max_iter, tol)
    return CDResult(w, float(y_mean - x_mean @ w), sweeps, gap, ok)


class ElasticNet:
    r"""The elastic net, fitted by :func:`enet_coordinate_descent` (scikit-learn's ``ElasticNet`` parameters).

    Minimises :math:`\frac{1}{2n}\lVert y - b - Xw\rVert^2 + \alpha\rho\lVert w\rVert_1
    + \frac{\alpha(1-\rho)}{2}\lVert w\rVert^2`.

    Parameters
    ----------
    alpha : float >= 0
    l1_ratio : float in [0, 1]
    fit_intercept : bool
    max_iter : int >= 1
    tol : float > 0

    Attributes
    ----------
    coef_ : ndarray, shape (p,)
    intercept_ : float
    n_iter_ : int
    dual_gap_ : float
    """

    def __init__(self, alpha: float = 1.0, l1_ratio: float = 0.5, *, fit_intercept: bool = True,
                 max_iter: int = 1000, tol: float = 1e-4):
        self.alpha, self.l1_ratio = alpha, l1_ratio
        self.fit_intercept, self.max_iter, self.tol = fit_intercept, max_iter, tol

    def fit(self, X, y) -> "ElasticNet":
        """Fit on ``X`` (shape (n, p)) and ``y`` (shape (n,)); returns ``self``."""
        res = enet_coordinate_descent(X, y, self.alpha, self.l1_ratio, fit_intercept=self.fit_intercept,
                                      max_iter=self.max_iter, tol=self.tol)
        self.coef_, self.intercept_, self.n_iter_, self.dual_gap_ = res.coef, res.intercept, res.n_iter, res.dual_gap
        return self

    def predict(self, X) -> np.ndarray:
        """:math:`b + Xw`, shape (m,)."""
        if not hasattr(self, "coef_"):
            raise ValueError(f"{type(self).__name__} is not fitted yet: call fit(X, y) first")
        X = as_array(X, "X", ndim=2)
        if X.shape[1] != self.coef_.size:
            raise ValueError(f"X must have {self.coef_.size} columns, got {X.shape[1]}")
        return self.intercept_ + X @ self.coef_


class Lasso(ElasticNet):
    r"""The lasso, :math:`\frac{1}{2n}\lVert y - b - Xw\rVert^2 + \alpha\lVert w\rVert_1`: an
    :class:`ElasticNet` with ``l1_ratio=1`` (scikit-learn's ``Lasso(alpha)``)."""

    def __init__(self, alpha: float = 1.0, *, fit_intercept: bool = True, max_iter: int = 1000,
                 tol: float = 1e-4):
        super().__init__(alpha, 1.0, fit_intercept=fit_intercept, max_iter=max_iter, tol=tol)


# -- paths ----------------------------------------------------------------------------------------------------

def alpha_max(X, y, l1_ratio: float = 1.0, *, fit_intercept: bool = True) -> float:
    r"""The smallest :math:`\alpha` whose elastic-net solution is all zeros: :math:`\max_j |x_j^\top y|/(n\rho)`.

    At :math:`w = 0` the subgradient condition of coordinate :math:`j` reads :math:`|x_j^\top y|/n \le \alpha\rho`
    (centred data); it holds for every :math:`j` exactly when :math:`\alpha` reaches this value.

    Parameters
    ----------
    X : array_like, shape (n, p) ; y : array_like, shape (n,)
    l1_ratio : float in (0, 1]
    fit_intercept : bool
    """
    X, y = _design(X, y)
    rho = check_float(l1_ratio, "l1_ratio", low=0, high=1, low_open=True)
    check_bool(fit_intercept, "fit_intercept")
    Xc, yc, _, _ = _centre(X, y, fit_intercept)
    return float(np.abs(Xc.T @ yc).max() / (y.size * rho))


@dataclass(frozen=True)
class RegularizationPath:
    """Coefficients along a grid of penalties.

    Attributes
    ----------
    alphas : ndarray, shape (k,)
        As given, or decreasing from :func:`alpha_max`.
    coefs : ndarray, shape (k, p)
    intercepts : ndarray, shape (k,)
    n_iter : ndarray of int, shape (k,)
        Sweeps at each penalty (0 for the closed-form ridge path).
    """

    alphas: np.ndarray
    coefs: np.ndarray
    intercepts: np.ndarray
    n_iter: np.ndarray


def _alpha_grid(Xc, yc, rho, n_alphas, eps):
    top = np.abs(Xc.T @ yc).max() / (yc.size * rho)
    if top <= np.finfo(float).resolution:                 # y (centred) orthogonal to X: scikit-learn's grid
        return np.full(n_alphas, np.finfo(float).resolution)
    return np.geomspace(top, top * eps, n_alphas)


def _check_alphas(alphas) -> np.ndarray:
    alphas = as_array(alphas, "alphas", ndim=1)
    if alphas.size == 0 or np.any(alphas < 0):
        raise ValueError("alphas must be a non-empty 1-D array of non-negative penalties")
    return alphas


def enet_path(X, y, *, l1_ratio: float = 1.0, alphas=None, n_alphas: int = 100, eps: float = 1e-3,
              fit_intercept: bool = True, max_iter: int = 1000, tol: float = 1e-4) -> RegularizationPath:
    r"""The elastic-net (lasso for ``l1_ratio=1``) solutions along a grid of :math:`\alpha`, with warm starts.

    Without ``alphas`` the grid is scikit-learn's: ``n_alphas`` values spaced evenly on a log scale from
    :func:`alpha_max` (all coefficients zero) down to ``eps`` times it (when :func:`alpha_max` is 0, every
    coefficient is 0 at any penalty and the grid is ``n_alphas`` copies of the float resolution, as there). Each
    fit starts from the previous solution, which is close, so a whole path costs little more than a few fits. Give
    the grid in decreasing order for the warm starts to help.

    Parameters
    ----------
    X : array_like, shape (n, p) ; y : array_like, shape (n,)
    l1_ratio : float in [0, 1]; 0 needs ``alphas``
    alphas : array_like, shape (k,), optional
    n_alphas : int >= 1 ; eps : float in (0, 1]
    fit_intercept : bool ; max_iter : int >= 1 ; tol : float > 0

    Returns
    -------
    RegularizationPath
    """
    X, y = _design(X, y)
    rho = check_float(l1_ratio, "l1_ratio", low=0, high=1)
    max_iter = check_int(max_iter, "max_iter", low=1)
    tol = check_float(tol, "tol", low=0, low_open=True)
    check_int(n_alphas, "n_alphas", low=1)                # checked even when alphas is given
    check_float(eps, "eps", low=0, high=1, low_open=True)
    check_bool(fit_intercept, "fit_intercept")
    Xc, yc, x_mean, y_mean = _centre(X, y, fit_intercept)
    if alphas is None:
        if rho == 0:
            raise ValueError("l1_ratio=0 (pure ridge) has no alpha_max: give alphas")
        n_alphas = check_int(n_alphas, "n_alphas", low=1)
        eps = check_float(eps, "eps", low=0, high=1, low_open=True)
        alphas = _alpha_grid(Xc, yc, rho, n_alphas, eps)
    else:
        alphas = _check_alphas(alphas)
    return _path(Xc, yc, x_mean, y_mean, alphas, rho, max_iter, tol)


def _path(Xc, yc, x_mean, y_mean, alphas, rho, max_iter, tol) -> RegularizationPath:
    n, p = Xc.shape
    G, q, yy = Xc.T @ Xc / n, Xc.T @ yc / n, float(yc @ yc) / n
    coefs, sweeps = np.empty((alphas.size, p)), np.empty(alphas.size, dtype=int)
    w = np.zeros(p)
    for k, a in enumerate(alphas):
        w, sweeps[k], _, _ = _cd(G, q, yy, a * rho, a * (1 - rho), w, max_iter, tol)
        coefs[k] = w
    return RegularizationPath(alphas, coefs, y_mean - coefs @ x_mean, sweeps)


def ridge_path(X, y, alphas, *, fit_intercept: bool = True) -> RegularizationPath:
    r"""Ridge coefficients for each :math:`\alpha` in the elastic-net scaling
    :math:`\frac{1}{2n}\lVert y - b - Xw\rVert^2 + \frac{\alpha}{2}\lVert w\rVert^2`.

    Multiplying by :math:`2n` shows this is :func:`mlsheet_utils.algorithms.linear.ridge` (and scikit-learn's
    ``Ridge``) with penalty :math:`\lambda = n\alpha`, solved in closed form for each :math:`\alpha`: the same path
    as ``enet_path(l1_ratio=0)``, without iterations.

    Parameters
    ----------
    X : array_like, shape (n, p) ; y : array_like, shape (n,)
    alphas : array_like, shape (k,), >= 0
    fit_intercept : bool

    Returns
    -------
    RegularizationPath (``n_iter`` all zero)
    """
    X, y = _design(X, y)
    alphas = _check_alphas(alphas)
    fits = [linear.ridge(X, y, y.size * float(a), fit_intercept=fit_intercept) for a in alphas]
    return RegularizationPath(alphas, np.array([c for c, _ in fits]), np.array([b for _, b in fits]),
                              np.zeros(alphas.size, dtype=int))


def cv_mse_path(X, y, alphas, folds, *, l1_ratio: float = 1.0, fit_intercept: bool = True,
                max_iter: int = 1000, tol: float = 1e-4) -> np.ndarray:
    r"""Validation mean squared error of the elastic-net path on each fold: choose :math:`\alpha` by its mean.

    For each ``(train, test)`` pair the path over ``alphas`` is fitted on the training rows (centred on their own
    means) and scored on the held-out rows, as scikit-learn's ``LassoCV`` / ``ElasticNetCV`` do.

    Parameters
    ----------
    X : array_like, shape (n, p) ; y : array_like, shape (n,)
    alphas : array_like, shape (k,), >= 0 (decreasing, for the warm starts)
    folds : sequence of (train_indices, test_indices)
    l1_ratio, fit_intercept, max_iter, tol : as for :func:`enet_path`

    Returns
    -------
    ndarray, shape (k, n_folds): the mean squared error of every penalty on every fold
    """
    X, y = _design(X, y)
    alphas = _check_alphas(alphas)
    rho = check_float(l1_ratio, "l1_ratio", low=0, high=1)
    max_iter = check_int(max_iter, "max_iter", low=1)
    tol = check_float(tol, "tol", low=0, low_open=True)
    check_bool(fit_intercept, "fit_intercept")
    if not np.iterable(folds) or isinstance(folds, str):
        raise ValueError(f"folds must be a sequence of (train, test) pairs, got {type(folds).__name__} {folds!r:.40}")
    folds = list(folds)
    if not folds:
        raise ValueError("folds must hold at least one (train, test) pair")
    checked = []
    for i, pair in enumerate(folds):
        if len(pair) != 2:
            raise ValueError(f"folds[{i}] must be a (train, test) pair of index arrays")
        tr = np.asarray(pair[0], dtype=int)
        te = np.asarray(pair[1], dtype=int)
        if tr.size < 2 or te.size < 1 or tr.min() < 0 or te.min() < 0 or max(tr.max(), te.max()) >= y.size:
            raise ValueError(f"folds[{i}] must index rows of X: at least 2 training and 1 test row")
        checked.append((tr, te))
    out = np.empty((alphas.size, len(checked)))
    for i, (tr, te) in enumerate(checked):
        Xc, yc, x_mean, y_mean = _centre(X[tr], y[tr], fit_intercept)
        path = _path(Xc, yc, x_mean, y_mean, alphas, rho, max_iter, tol)
        resid = y[te][None, :] - path.intercepts[:, None] - path.coefs @ X[te].T
        out[:, i] = np.mean(resid**2, axis=1)
    return out


# -- penalties as constraints ---------------------------------------------------------------------------------

def _project_l1(v: np.ndarray, radius: float) -> np.ndarray:
    """Projection onto the L1 ball of ``radius`` (Duchi et al., 2008), unvalidated."""
    if np.abs(v).sum() <= radius:
        return v.copy()
    if radius == 0:
        return np.zeros_like(v)
    u = np.sort(np.abs(v))[::-1]
    cums = np.cumsum(u)
    k = np.arange(1, v.size + 1)
    rho = np.nonzero(u * k > cums - radius)[0][-1]
    theta = (cums[rho] - radius) / (rho + 1)
    return np.sign(v) * np.maximum(np.abs(v) - theta, 0.0)


def project_l1_ball(v, radius: float) -> np.ndarray:
    r"""Euclidean projection of ``v`` onto :math:`\{w : \lVert w\rVert_1 \le t\}`.

    Inside the ball :math:`v` is its own projection. Outside, the projection is a soft-threshold,
    :math:`S_\theta(v)`, with the one :math:`\theta > 0` that lands on the surface,
    :math:`\sum_i \max(|v_i| - \theta, 0) = t`. Sorting :math:`|v|` in decreasing order as :math:`u` finds it:
    :math:`\theta = (\sum_{i \le k} u_i - t)/k` for the largest :math:`k` with
    :math:`u_k > (\sum_{i \le k} u_i - t)/k` (Duchi, Shalev-Shwartz, Singer and Chandra, 2008). The same
    threshold that makes the lasso sparse makes the projection land on a face or corner of the ball.

    Parameters
    ----------
    v : array_like, shape (p,)
    radius : float >= 0
        :math:`t`.

    Returns
    -------
    ndarray, shape (p,)
    """
    v = as_array(v, "v", ndim=1)
    radius = check_float(radius, "radius", low=0)
    return _project_l1(v, radius)


def _project_l2(v: np.ndarray, radius: float) -> np.ndarray:
    norm = np.sqrt(v @ v)
    return v.copy() if norm <= radius else v * (radius / norm)


def norm_constrained_lsq(X, y, radius: float, *, norm: str = "l1", fit_intercept: bool = True,
                         n_iter: int = 2000) -> tuple[np.ndarray, float]:
    r"""Least squares with a norm budget: :math:`\min \frac{1}{2n}\lVert y - b - Xw\rVert^2` s.t.
    :math:`\lVert w\rVert \le t`.

    This is the constrained form of the lasso (``norm="l1"``) and of ridge (``norm="l2"``): for every penalty
    :math:`\alpha` there is a budget :math:`t` (the norm of the penalised solution) with the same minimiser, and the
    penalty is the Lagrange multiplier of the budget. Solved by projected gradient descent,
    :func:`mlsheet_utils.algorithms.optim.projected_gradient`, with step :math:`1/L`,
    :math:`L = \lVert X_c\rVert_2^2/n`, and the projection onto the L1 ball (:func:`project_l1_ball`) or the L2
    ball (a rescaling); the error contracts by about :math:`1 - \mu/L` per step, :math:`\mu` the smallest
    eigenvalue of :math:`X_c^\top X_c / n`.

    Parameters
    ----------
    X : array_like, shape (n, p) ; y : array_like, shape (n,)
    radius : float >= 0
    norm : {"l1", "l2"}
    fit_intercept : bool
    n_iter : int >= 1

    Returns
    -------
    coef : ndarray, shape (p,)
    intercept : float
    """
    X, y = _design(X, y)
    radius = check_float(radius, "radius", low=0)
    if norm not in ("l1", "l2"):
        raise ValueError(f"norm must be 'l1' or 'l2', got {norm!r}")
    n_iter = check_int(n_iter, "n_iter", low=1)
    check_bool(fit_intercept, "fit_intercept")
    Xc, yc, x_mean, y_mean = _centre(X, y, fit_intercept)
    n = y.size
    G, q = Xc.T @ Xc / n, Xc.T @ yc / n
    lipschitz = float(np.linalg.eigvalsh(G)[-1])
    if lipschitz == 0:
        w = np.zeros(X.shape[1])
    else:
        project = (lambda v: _project_l1(v, radius)) if norm == "l1" else (lambda v: _project_l2(v, radius))
        w = optim.projected_gradient(lambda v: G @ v - q, project, np.zeros(X.shape[1]), step=1.0 / lipschitz,
                                     n_iter=n_iter)[-1]
    return w, float(y_mean - x_mean @ w)

r"""The soft-margin support vector machine, solved in the dual by sequential minimal optimisation (SMO).

The primal problem, for labels :math:`y_i \in \{-1, +1\}` and a feature map :math:`\phi`, is

.. math:: \min_{w, b}\ \tfrac12 \lVert w \rVert^2
          + C \sum_i \max\bigl(0,\ 1 - y_i (w^\top \phi(x_i) + b)\bigr),

the hinge loss plus a margin term. Its dual depends on the data only through the Gram matrix
:math:`K_{ij} = \phi(x_i)^\top \phi(x_j)`:

.. math:: \max_\alpha\ \sum_i \alpha_i - \tfrac12 \sum_{ij} \alpha_i \alpha_j y_i y_j K_{ij}
          \quad \text{s.t.}\quad 0 \le \alpha_i \le C,\ \ \sum_i \alpha_i y_i = 0,

and the decision function is :math:`f(x) = \sum_i \alpha_i y_i k(x_i, x) + b`.

- :func:`smo`               the dual solved two coordinates at a time (libsvm's second-order working-set choice),
  with the intercept from the KKT conditions (a :class:`SMOResult`);
- :func:`dual_objective`    :math:`W(\alpha)` above;
- :func:`hinge_loss`        :math:`\max(0, 1 - y f)` per sample;
- :func:`primal_objective`  the primal at :math:`w = \sum_i \alpha_i y_i \phi(x_i)`; primal minus dual is the
  duality gap, zero at the optimum;
- :class:`SoftMarginSVC`    the estimator (``fit``, ``decision_function``, ``predict``) on any kernel of
  :mod:`mlsheet_utils.algorithms.kernels`.

Every public function validates its input like scikit-learn: a wrong shape, NaN or a bad parameter raises
``ValueError`` naming the argument.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms import kernels
from mlsheet_utils.validation import as_array, check_float, check_int

#: Curvature used when two points have a non-positive :math:`K_{ii} + K_{jj} - 2K_{ij}` (libsvm's ``TAU``).
TAU = 1e-12


@dataclass(frozen=True)
class SMOResult:
    r"""Output of :func:`smo`.

    Attributes
    ----------
    alpha : ndarray, shape (n,)
        The dual variables, each in :math:`[0, C]`, with :math:`\sum_i \alpha_i y_i = 0`.
    intercept : float
        :math:`b` of :math:`f(x) = \sum_i \alpha_i y_i k(x_i, x) + b`.
    n_iter : int
        Pairs updated.
    converged : bool
        Whether the largest KKT violation fell below ``tol`` before ``max_iter`` pairs.
    violation : float
        The final :math:`m(\alpha) - M(\alpha)` (see :func:`smo`); at most ``tol`` when converged.
    """

    alpha: np.ndarray
    intercept: float
    n_iter: int
    converged: bool
    violation: float


def _check_labels(y, n: int) -> np.ndarray:
    y = as_array(y, "y", ndim=1)
    if y.shape[0] != n:
        raise ValueError(f"y must have {n} entries (one per row of K), got {y.shape[0]}")
    _check_signs(y)
    if np.all(y == y[0]):
        raise ValueError("y must contain both classes, -1 and +1")
    return y


def _check_signs(y: np.ndarray) -> None:
    """Labels must be -1 or +1."""
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError(f"y must hold only -1 and +1, got values {np.unique(y)[:5].tolist()}")


def _check_symmetric(K: np.ndarray) -> None:
    if not np.allclose(K, K.T, rtol=0.0, atol=1e-10 * max(1.0, float(np.abs(K).max()))):
        raise ValueError(f"K must be symmetric (a Gram matrix), got a largest |K - K^T| of "
                         f"{np.abs(K - K.T).max():.3g}")


def _smo(K: np.ndarray, y: np.ndarray, C: float, tol: float, max_iter: int) -> SMOResult:
    """The SMO loop on validated input (see :func:`smo`)."""
    alpha = np.zeros(y.shape[0])
    score = y.copy()                 # s_t = -y_t grad_t = y_t - sum_j alpha_j y_j K_tj; alpha = 0 gives y
    diag = np.diag(K)
    curv = diag[:, None] + diag[None, :] - 2.0 * K          # K_ii + K_jj - 2 K_ij, the curvature along a pair
    curv = np.where(curv > 0, curv, TAU)
    pos = y > 0
    up, low = pos.copy(), ~pos       # I_up: y_t alpha_t can grow; I_low: it can shrink (here at alpha = 0)
    n_iter = 0
    while True:
        i = int(np.argmax(np.where(up, score, -np.inf)))
        m, M = score[i], np.min(np.where(low, score, np.inf))
        if m - M < tol or n_iter >= max_iter:
            break
        # second-order choice of j: the largest decrease of the objective, gap^2 / (2 curv), along the pair's line
        gap = m - score
        j = int(np.argmax(np.where(low & (gap > 0), gap * gap / curv[i], -1.0)))
        # alpha_i += y_i d, alpha_j -= y_j d keeps sum(alpha y) fixed; d is the exact 1-D minimiser, clipped
        room_i = C - alpha[i] if pos[i] else alpha[i]
        room_j = alpha[j] if pos[j] else C - alpha[j]
        d = min(gap[j] / curv[i, j], room_i, room_j)
        alpha[i] = (C if pos[i] else 0.0) if d == room_i else alpha[i] + y[i] * d
        alpha[j] = (0.0 if pos[j] else C) if d == room_j else alpha[j] - y[j] * d
        score -= d * (K[i] - K[j])   # K is symmetric: rows are columns
        for t in (i, j):
            up[t] = alpha[t] < C if pos[t] else alpha[t] > 0
            low[t] = alpha[t] > 0 if pos[t] else alpha[t] < C
        n_iter += 1
    # the intercept: y_t f(x_t) = 1 on a free support vector means b = s_t (averaged); with none free, any b
    # in [m, M] satisfies the KKT conditions and libsvm takes the middle
    free = (alpha > 0) & (alpha < C)
    intercept = float(score[free].mean()) if free.any() else float((m + M) / 2)
    return SMOResult(alpha=alpha, intercept=intercept, n_iter=n_iter, converged=bool(m - M < tol),
                     violation=float(m - M))


def smo(K, y, C: float = 1.0, *, tol: float = 1e-3, max_iter: int = 100_000) -> SMOResult:
    r"""Solve the soft-margin SVM dual by sequential minimal optimisation.

    Minimise :math:`f(\alpha) = \tfrac12 \alpha^\top Q \alpha - \mathbf 1^\top \alpha`,
    :math:`Q_{ij} = y_i y_j K_{ij}`, over :math:`0 \le \alpha_i \le C`, :math:`y^\top \alpha = 0`. With
    :math:`s_t = -y_t \nabla_t f`, :math:`I_{up}` the indices whose :math:`y_t \alpha_t` may grow and
    :math:`I_{low}` those whose :math:`y_t\alpha_t` may shrink, :math:`\alpha` is optimal exactly when
    :math:`m = \max_{I_{up}} s_t \le M = \min_{I_{low}} s_t` (the KKT conditions). Each step takes
    :math:`i = \arg\max_{I_{up}} s_t` and the :math:`j \in I_{low}` whose pair lowers :math:`f` most, then moves
    :math:`\alpha_i \mathrel{+}= y_i d`, :math:`\alpha_j \mathrel{-}= y_j d` with the exact minimiser
    :math:`d = (s_i - s_j) / (K_{ii} + K_{jj} - 2K_{ij})`, clipped to the box. It stops when
    :math:`m - M < \text{tol}`, as libsvm (and scikit-learn's ``SVC``) do. Since
    :math:`s_t = y_t - \sum_j \alpha_j y_j K_{tj}`, a free :math:`\alpha_t` (strictly inside the box, on the
    margin: :math:`y_t f(x_t) = 1`) gives :math:`b = s_t`; the intercept is their mean, or :math:`(m + M) / 2` when
    no :math:`\alpha_t` is free.

    Parameters
    ----------
    K : array_like, shape (n, n)
        Symmetric Gram matrix.
    y : array_like, shape (n,)
        Labels in {-1, +1}, both present.
    C : float > 0
        Box constraint: the price of a unit of hinge loss.
    tol : float > 0
        Stopping tolerance on the KKT violation :math:`m - M`.
    max_iter : int >= 1
        Most pair updates.

    Returns
    -------
    SMOResult
    """
    K = as_array(K, "K", ndim=2)
    if K.shape[0] != K.shape[1]:
        raise ValueError(f"K must be square, got shape {K.shape}")
    _check_symmetric(K)
    y = _check_labels(y, K.shape[0])
    C = check_float(C, "C", low=0, low_open=True)
    tol = check_float(tol, "tol", low=0, low_open=True)
    max_iter = check_int(max_iter, "max_iter", low=1)
    return _smo(K, y, C, tol, max_iter)


def dual_objective(alpha, K, y) -> float:
    r"""The dual objective :math:`W(\alpha) = \sum_i \alpha_i - \tfrac12 (\alpha \circ y)^\top K
    (\alpha \circ y)`, to be maximised.

    Parameters
    ----------
    alpha : array_like, shape (n,)
    K : array_like, shape (n, n)
    y : array_like, shape (n,), labels in {-1, +1}

    Returns
    -------
    float
    """
    K = as_array(K, "K", ndim=2)
    alpha = as_array(alpha, "alpha", ndim=1)
    y = as_array(y, "y", ndim=1)
    if not (K.shape[0] == K.shape[1] == alpha.shape[0] == y.shape[0]):
        raise ValueError(f"need K (n, n), alpha (n,) and y (n,), got {K.shape}, {alpha.shape}, {y.shape}")
    _check_signs(y)
    v = alpha * y
    return float(alpha.sum() - 0.5 * v @ K @ v)


def hinge_loss(y, scores) -> np.ndarray:
    r"""The hinge loss of every sample, :math:`\max(0,\ 1 - y_i f(x_i))`, shape (n,).

    It is zero for a point on the right side of its margin (:math:`y f \ge 1`) and grows linearly inside the
    margin and beyond the boundary.

    Parameters
    ----------
    y : array_like, shape (n,), labels in {-1, +1}
    scores : array_like, shape (n,), decision values :math:`f(x_i)`
    """
    y = as_array(y, "y", ndim=1)
    scores = as_array(scores, "scores", ndim=1)
    if y.shape != scores.shape:
        raise ValueError(f"y and scores must have the same shape, got {y.shape} and {scores.shape}")
    _check_signs(y)
    return np.maximum(0.0, 1.0 - y * scores)


def primal_objective(alpha, intercept: float, K, y, C: float) -> float:
    r"""The primal :math:`\tfrac12 \lVert w \rVert^2 + C \sum_i \max(0, 1 - y_i f(x_i))` at
    :math:`w = \sum_i \alpha_i y_i \phi(x_i)`, :math:`b` = ``intercept``.

    :math:`\lVert w \rVert^2 = (\alpha\circ y)^\top K (\alpha \circ y)` and :math:`f = K(\alpha\circ y) + b`.
    By weak duality it is at least :func:`dual_objective` for every feasible :math:`\alpha`; the two meet at
    the optimum.

    Parameters
    ----------
    alpha : array_like, shape (n,)
    intercept : float
    K : array_like, shape (n, n)
    y : array_like, shape (n,), labels in {-1, +1}
    C : float > 0

    Returns
    -------
    float
    """
    K = as_array(K, "K", ndim=2)
    alpha = as_array(alpha, "alpha", ndim=1)
    y = as_array(y, "y", ndim=1)
    if not (K.shape[0] == K.shape[1] == alpha.shape[0] == y.shape[0]):
        raise ValueError(f"need K (n, n), alpha (n,) and y (n,), got {K.shape}, {alpha.shape}, {y.shape}")
    _check_signs(y)
    intercept = check_float(intercept, "intercept")
    C = check_float(C, "C", low=0, low_open=True)
    v = alpha * y
    Kv = K @ v
    return float(0.5 * v @ Kv + C * hinge_loss(y, Kv + intercept).sum())


@dataclass
class SoftMarginSVC:
    r"""A two-class soft-margin SVM in scikit-learn's shape, fitted by :func:`smo` on a kernel's Gram matrix.

    Parameters
    ----------
    C : float > 0
        Price of the hinge loss (large C: few margin violations, a narrow margin).
    kernel : {"linear", "poly", "rbf"}
        See :func:`mlsheet_utils.algorithms.kernels.kernel_matrix`.
    gamma, degree, coef0 : kernel parameters (``gamma`` for "rbf" and "poly", the others for "poly").
    tol : float > 0
        Stopping tolerance of :func:`smo` (scikit-learn's default is 1e-3).
    max_iter : int >= 1

    Attributes
    ----------
    classes_ : ndarray, shape (2,)
        The sorted labels; ``classes_[1]`` is the class of a positive decision value.
    support_ : ndarray of int, shape (n_sv,)
        Indices of the training points with :math:`\alpha_i > 0`.
    support_vectors_ : ndarray, shape (n_sv, d)
    dual_coef_ : ndarray, shape (n_sv,)
        :math:`\alpha_i y_i` of the support vectors (scikit-learn's has shape (1, n_sv)).
    alpha_ : ndarray, shape (n,)
        Every dual variable, zeros included.
    intercept_ : float
    coef_ : ndarray, shape (d,)
        :math:`w = \sum_i \alpha_i y_i x_i`, for the linear kernel only.
    n_iter_ : int
    converged_ : bool
    """

    C: float = 1.0
    kernel: str = "rbf"
    gamma: float = 1.0
    degree: int = 3
    coef0: float = 1.0
    tol: float = 1e-3
    max_iter: int = 100_000

    def _gram(self, X, Y=None) -> np.ndarray:
        return kernels.kernel_matrix(X, Y, kernel=self.kernel, gamma=self.gamma, degree=self.degree,
                                     coef0=self.coef0)

    def fit(self, X, y) -> "SoftMarginSVC":
        """Fit to ``X`` (n, d) and ``y`` (n,) with exactly two distinct labels; return ``self``."""
        X = as_array(X, "X", ndim=2)
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must be 1-dimensional with one label per row of X ({X.shape[0]}), got {y.shape}")
        classes = np.unique(y)
        if classes.shape[0] != 2:
            raise ValueError(f"y must hold exactly two classes, got {classes.shape[0]}")
        signs = np.where(y == classes[1], 1.0, -1.0)
        res = smo(self._gram(X), signs, self.C, tol=self.tol, max_iter=self.max_iter)
        self.classes_, self.alpha_ = classes, res.alpha
        self.support_ = np.flatnonzero(res.alpha > 0)
        self.support_vectors_ = X[self.support_]
        self.dual_coef_ = (res.alpha * signs)[self.support_]
        self.intercept_, self.n_iter_, self.converged_ = res.intercept, res.n_iter, res.converged
        if self.kernel == "linear":
            self.coef_ = self.dual_coef_ @ self.support_vectors_
        return self

    def decision_function(self, X) -> np.ndarray:
        r""":math:`f(x) = \sum_{i \in SV} \alpha_i y_i k(x_i, x) + b` for every row of ``X``, shape (n,)."""
        if not hasattr(self, "support_"):
            raise ValueError("this SoftMarginSVC is not fitted yet; call fit(X, y) first")
        return self._gram(X, self.support_vectors_) @ self.dual_coef_ + self.intercept_

    def predict(self, X) -> np.ndarray:
        """``classes_[1]`` where the decision value is positive, else ``classes_[0]``, shape (n,)."""
        return self.classes_[(self.decision_function(X) > 0).astype(int)]

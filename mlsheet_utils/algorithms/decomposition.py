r"""Matrix factorisations: those that solve linear systems, and the low-rank ones that are learned from data.

Solving systems and least squares

- :func:`lu`, :func:`lu_solve`   :math:`PA = LU` by Gaussian elimination with partial pivoting (:class:`LUResult`),
  and the two triangular solves that use it;
- :func:`cholesky`             :math:`A = LL^\top` for a symmetric positive definite :math:`A`;
- :func:`householder_qr`       :math:`A = QR` by Householder reflections (:class:`QRResult`);
- :func:`solve_least_squares`  :math:`\min_x \lVert Ax - b\rVert_2` by the normal equations (Cholesky), by
  Householder QR, or by the SVD with small singular values cut off.

Principal component analysis

- :func:`pca_fit`              principal axes and variances from the eigendecomposition of the covariance, the SVD of
  the centred data, or the eigendecomposition of the Gram matrix (:class:`PCAFit`), with a deterministic sign;
- :func:`n_components_for_variance`  the fewest components whose explained variance exceeds a threshold;
- :func:`pca_transform`, :func:`pca_inverse_transform`   scores (optionally whitened) and reconstructions;
- :func:`reconstruction_error` the mean squared distance of the samples to their reconstructions;
- :class:`PCA`                 the same in scikit-learn's shape (``fit``, ``transform``, ``inverse_transform``).

Low-rank models learned from data

- :func:`nmf`                  non-negative matrix factorisation :math:`X \approx WH` by Lee and Seung's
  multiplicative updates (:class:`NMFResult`);
- :func:`als`                  a partly observed matrix (``NaN`` = missing) as :math:`\mu + PQ^\top` by alternating
  ridge regressions over the observed entries (:class:`ALSResult`), the classic recommender.

Every public function validates its input like scikit-learn: a wrong shape, NaN or a bad parameter raises
``ValueError`` naming the argument. Loops call private kernels, which do not validate again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.linalg import truncated_svd
from mlsheet_utils.validation import as_array, check_bool, check_float, check_indices, check_int, check_random_state

EPS = np.finfo(float).eps

#: What a zero denominator of a multiplicative update is replaced by (scikit-learn's choice, float32's epsilon).
NMF_GUARD = float(np.finfo(np.float32).eps)


def _matrix(A, name: str = "A", *, square: bool = False) -> np.ndarray:
    """``A`` as a finite 2-D float array (square if asked), else ``ValueError`` naming ``name``."""
    A = as_array(A, name, ndim=2)
    if square and A.shape[0] != A.shape[1]:
        raise ValueError(f"{name} must be square, got shape {A.shape}")
    return A



def _solve_triangular(T: np.ndarray, b: np.ndarray, *, lower: bool, unit_diagonal: bool = False) -> np.ndarray:
    """Forward (``lower``) or back substitution for ``T x = b``; ``b`` of shape (n,) or (n, m). Not validated."""
    n = T.shape[0]
    x = np.array(b, dtype=float)
    for i in (range(n) if lower else range(n - 1, -1, -1)):
        part = slice(0, i) if lower else slice(i + 1, n)
        x[i] -= T[i, part] @ x[part]
        if not unit_diagonal:
            x[i] /= T[i, i]
    return x


# -- LU ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LUResult:
    r"""Output of :func:`lu`: :math:`PA = LU`, stored as the row order ``perm`` (:math:`A[\text{perm}] = LU`).

    Attributes
    ----------
    perm : ndarray of int, shape (n,)
        Row ``i`` of :math:`LU` is row ``perm[i]`` of :math:`A`.
    L : ndarray, shape (n, n), unit lower triangular
    U : ndarray, shape (n, n), upper triangular
    """

    perm: np.ndarray
    L: np.ndarray
    U: np.ndarray

    @property
    def P(self) -> np.ndarray:
        """The permutation matrix with :math:`PA = LU` (``scipy.linalg.lu`` returns its transpose)."""
        return np.eye(len(self.perm))[self.perm]


def lu(A, *, pivoting: bool = True) -> LUResult:
    r"""LU factorisation by Gaussian elimination, with partial pivoting by default.

    Step :math:`k` subtracts multiples :math:`l_{ik} = u_{ik}/u_{kk}` of row :math:`k` from the rows below it,
    which zeroes column :math:`k` under the diagonal; the multipliers fill :math:`L`:

    .. math:: PA = LU, \qquad L \text{ unit lower triangular}, \quad U \text{ upper triangular}.

    With partial pivoting the row with the largest :math:`|u_{ik}|` (:math:`i \ge k`, the first on ties, as
    LAPACK) is swapped into place first, so every :math:`|l_{ik}| \le 1`. Without it, :math:`P = I` and a zero
    pivot stops the factorisation: :math:`\begin{pmatrix}0&1\\1&0\end{pmatrix}` has no LU factorisation, and a
    tiny pivot gives huge multipliers and a large error. Each step is one vectorised rank-1 update; the cost is
    :math:`\tfrac23 n^3` flops.

    Parameters
    ----------
    A : array_like, shape (n, n)
    pivoting : bool
        Swap rows (partial pivoting). A singular ``A`` still factorises with pivoting (``U`` has a zero on its
        diagonal).

    Returns
    -------
    LUResult

    Raises
    ------
    ValueError
        If ``A`` is not a finite square matrix, or, without pivoting, a zero pivot meets a non-zero entry below it.
    """
    A = _matrix(A, square=True)
    check_bool(pivoting, "pivoting")
    n = A.shape[0]
    U, L, perm = A.copy(), np.eye(n), np.arange(n)
    for k in range(n - 1):
        if pivoting:
            p = k + int(np.argmax(np.abs(U[k:, k])))
            if p != k:
                U[[k, p]] = U[[p, k]]
                L[[k, p], :k] = L[[p, k], :k]
                perm[[k, p]] = perm[[p, k]]
        if U[k, k] == 0.0:
            if np.any(U[k + 1:, k] != 0.0):        # only possible without pivoting
                raise ValueError(f"zero pivot at step {k} with non-zero entries below it: A has no LU "
                                 "factorisation without row exchanges (use pivoting=True)")
            continue                                # nothing to eliminate in this column
        L[k + 1:, k] = U[k + 1:, k] / U[k, k]
        U[k + 1:, k:] -= np.outer(L[k + 1:, k], U[k, k:])
        U[k + 1:, k] = 0.0                          # exactly zero, not round-off
    return LUResult(perm, L, U)


def lu_solve(factors: LUResult, b) -> np.ndarray:
    r"""Solve :math:`Ax = b` from :math:`PA = LU`: :math:`Ly = Pb` forwards, then :math:`Ux = y` backwards.

    Each triangular solve costs :math:`n^2` flops, so once :math:`A` is factorised (:math:`\tfrac23 n^3`) every
    further right-hand side is cheap.

    Parameters
    ----------
    factors : LUResult, from :func:`lu`
    b : array_like, shape (n,) or (n, m)

    Returns
    -------
    ndarray, the shape of ``b``

    Raises
    ------
    ValueError
        If ``b`` has the wrong number of rows, or :math:`U` has a zero on its diagonal (``A`` is singular).
    """
    if not isinstance(factors, LUResult):
        raise ValueError(f"factors must be the LUResult of lu(A), got {type(factors).__name__}")
    b = as_array(b, "b")
    n = factors.U.shape[0]
    if b.ndim not in (1, 2) or b.shape[0] != n:
        raise ValueError(f"b must have shape ({n},) or ({n}, m), got {b.shape}")
    if np.any(np.diag(factors.U) == 0.0):
        raise ValueError("A is singular: U has a zero on its diagonal")
    y = _solve_triangular(factors.L, b[factors.perm], lower=True, unit_diagonal=True)
    return _solve_triangular(factors.U, y, lower=False)


# -- Cholesky ---------------------------------------------------------------------------------------------------

def _cholesky(A: np.ndarray) -> np.ndarray:
    n = A.shape[0]
    S, L = A.copy(), np.zeros_like(A)
    for k in range(n):
        if not S[k, k] > 0.0:
            raise ValueError(f"A is not (numerically) positive definite: pivot {k} is {S[k, k]:.3g}, not > 0")
        L[k, k] = np.sqrt(S[k, k])
        L[k + 1:, k] = S[k + 1:, k] / L[k, k]
        S[k + 1:, k + 1:] -= np.outer(L[k + 1:, k], L[k + 1:, k])
    return L


def cholesky(A) -> np.ndarray:
    r"""Cholesky factorisation :math:`A = LL^\top` of a symmetric positive definite matrix.

    Column by column (the outer-product form),

    .. math:: l_{kk} = \sqrt{s_{kk}}, \qquad l_{ik} = s_{ik} / l_{kk}\ (i > k), \qquad
              S \leftarrow S - l_{:k}\, l_{:k}^\top \text{ on the trailing block},

    where :math:`S` starts as :math:`A`. It is symmetric Gaussian elimination without pivoting, stable because
    every pivot :math:`s_{kk}` of a positive definite matrix is positive; half the cost of LU, :math:`\tfrac13
    n^3` flops. A pivot :math:`\le 0` proves that :math:`A` is not positive definite (in floating point: not
    numerically).

    Parameters
    ----------
    A : array_like, shape (n, n), symmetric

    Returns
    -------
    L : ndarray, shape (n, n), lower triangular with a positive diagonal

    Raises
    ------
    ValueError
        If ``A`` is not square and symmetric, or a pivot is not positive.
    """
    A = _matrix(A, square=True)
    scale = np.abs(A).max() if A.size else 0.0
    if np.any(np.abs(A - A.T) > 1e-12 * scale):
        raise ValueError("A must be symmetric")
    return _cholesky(A)


# -- QR ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QRResult:
    r"""Output of :func:`householder_qr`: :math:`A = QR`.

    Attributes
    ----------
    Q : ndarray, shape (m, K) (``reduced``, :math:`K = \min(m, n)`) or (m, m) (``complete``), orthonormal columns
    R : ndarray, shape (K, n) or (m, n), upper triangular
    """

    Q: np.ndarray
    R: np.ndarray


def _householder(A: np.ndarray, complete: bool) -> QRResult:
    m, n = A.shape
    R, Q = A.copy(), np.eye(m)
    for k in range(min(m - 1, n)):
        x = R[k:, k]
        if not np.any(x[1:]):              # already zero below the diagonal: no reflection (as LAPACK)
            continue
        alpha = -np.copysign(np.linalg.norm(x), x[0])
        v = x.copy()
        v[0] -= alpha
        v /= np.linalg.norm(v)
        R[k:, k:] -= 2.0 * np.outer(v, v @ R[k:, k:])
        R[k + 1:, k] = 0.0
        Q[:, k:] -= 2.0 * np.outer(Q[:, k:] @ v, v)     # Q <- Q H_k
    K = m if complete else min(m, n)
    return QRResult(Q[:, :K], R[:K])


def householder_qr(A, *, mode: str = "reduced") -> QRResult:
    r"""QR factorisation by Householder reflections.

    For column :math:`k`, the reflection :math:`H_k = I - 2vv^\top` with :math:`v \propto x - \alpha e_1` maps
    the part :math:`x` of the column on and below the diagonal to :math:`\alpha e_1`, where
    :math:`\alpha = -\operatorname{sign}(x_1)\lVert x\rVert` (the sign that avoids cancellation in
    :math:`x_1 - \alpha`). Then

    .. math:: H_K \cdots H_2 H_1 A = R, \qquad Q = H_1 H_2 \cdots H_K .

    Every :math:`H_k` is symmetric and orthogonal, so :math:`Q` is orthogonal to working precision whatever the
    condition of :math:`A` (Gram-Schmidt's :math:`Q` is not). The signs match LAPACK (``numpy.linalg.qr``):
    :math:`r_{kk} = \alpha`, and a column already zero below the diagonal is left alone. Cost
    :math:`2mn^2 - \tfrac23 n^3` flops for :math:`R`, twice LU's for a square matrix.

    Parameters
    ----------
    A : array_like, shape (m, n)
    mode : {"reduced", "complete"}
        ``reduced``: :math:`Q` (m, K), :math:`R` (K, n) with :math:`K = \min(m, n)`; ``complete``: :math:`Q`
        (m, m), :math:`R` (m, n).

    Returns
    -------
    QRResult
    """
    A = _matrix(A)
    if mode not in ("reduced", "complete"):
        raise ValueError(f"mode must be 'reduced' or 'complete', got {mode!r}")
    return _householder(A, mode == "complete")


# -- least squares -------------------------------------------------------------------------------------------

def solve_least_squares(A, b, *, method: str = "qr", rcond: float | None = None) -> np.ndarray:
    r"""Least squares :math:`\hat x = \arg\min_x \lVert Ax - b\rVert_2` by one of three factorisations.

    - ``"normal"``: the normal equations :math:`A^\top A x = A^\top b`, solved with :func:`cholesky`. Cheapest
      (:math:`mn^2` flops for :math:`A^\top A`), but :math:`\kappa(A^\top A) = \kappa(A)^2`: the error grows
      like :math:`\varepsilon\,\kappa(A)^2`, no digit is left once :math:`\kappa(A) \gtrsim \varepsilon^{-1/2}
      \approx 10^8`, and a little beyond, the Cholesky factorisation of :math:`A^\top A` fails.
    - ``"qr"``: :math:`A = QR` (:func:`householder_qr`), then :math:`R x = Q^\top b`. Error
      :math:`\varepsilon\,\kappa(A)` plus :math:`\varepsilon\,\kappa(A)^2` times the relative residual: the
      square returns only when :math:`b` is far from the range of :math:`A`.
    - ``"svd"``: :math:`A = U\Sigma V^\top` (:func:`~mlsheet_utils.algorithms.linalg.truncated_svd`), then
      :math:`x = \sum_{\sigma_i > \text{rcond}\,\sigma_1} v_i\, u_i^\top b / \sigma_i`, the minimum-norm
      solution over the singular values kept: it also answers rank-deficient problems, where the other two
      fail.

    Parameters
    ----------
    A : array_like, shape (m, n), m >= n for ``normal`` and ``qr``
    b : array_like, shape (m,)
    method : {"normal", "qr", "svd"}
    rcond : float >= 0, optional
        For ``svd``: singular values at most ``rcond * sigma_1`` are dropped; default ``max(m, n) * eps`` (as
        ``numpy.linalg.lstsq``).

    Returns
    -------
    x : ndarray, shape (n,)

    Raises
    ------
    ValueError
        On bad shapes or method; for ``normal``, when :math:`A^\top A` is not numerically positive definite; for
        ``qr``, when :math:`|r_{jj}| \le \max(m, n)\,\varepsilon \max_i |r_{ii}|` (numerically rank-deficient
        :math:`A`).
    """
    A = _matrix(A)
    b = as_array(b, "b", ndim=1)
    m, n = A.shape
    if b.shape[0] != m:
        raise ValueError(f"b must have {m} entries (rows of A), got {b.shape[0]}")
    if method not in ("normal", "qr", "svd"):
        raise ValueError(f"method must be 'normal', 'qr' or 'svd', got {method!r}")
    if rcond is not None:
        rcond = check_float(rcond, "rcond", low=0)
    if method != "svd" and m < n:
        raise ValueError(f"method {method!r} needs at least as many rows as columns, got shape {A.shape}")
    if method == "normal":
        L = _cholesky(A.T @ A)
        return _solve_triangular(L.T, _solve_triangular(L, A.T @ b, lower=True), lower=False)
    if method == "qr":
        f = _householder(A, complete=False)
        d = np.abs(np.diag(f.R))
        if d.size and d.min() <= max(m, n) * EPS * d.max():
            raise ValueError("A is (numerically) rank-deficient: R has a diagonal entry at round-off level "
                             "(use method='svd')")
        return _solve_triangular(f.R, f.Q.T @ b, lower=False)
    rcond = max(m, n) * EPS if rcond is None else rcond
    svd = truncated_svd(A, min(m, n))
    keep = svd.s > rcond * svd.s[0] if svd.s.size else svd.s > 0
    return svd.Vt[keep].T @ ((svd.U[:, keep].T @ b) / svd.s[keep])


# -- PCA --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PCAFit:
    r"""Output of :func:`pca_fit`.

    Attributes
    ----------
    mean : ndarray, shape (d,)
        The mean subtracted before the fit (zeros when ``center=False``).
    components : ndarray, shape (k, d)
        Orthonormal principal axes :math:`v_1, \dots, v_k` as rows, by decreasing variance; the entry of largest
        modulus of each row is positive.
    explained_variance : ndarray, shape (k,)
        :math:`\lambda_j = \sigma_j^2 / (n - 1)`, the variance of the scores along :math:`v_j`.
    explained_variance_ratio : ndarray, shape (k,)
        :math:`\lambda_j / \sum_i \lambda_i`, the sum running over all components, kept or not.
    singular_values : ndarray, shape (k,)
        :math:`\sigma_j` of the centred data.
    """

    mean: np.ndarray
    components: np.ndarray
    explained_variance: np.ndarray
    explained_variance_ratio: np.ndarray
    singular_values: np.ndarray


_PCA_METHODS = ("svd", "eigh", "gram")


def _flip_signs(Vt: np.ndarray) -> np.ndarray:
    """Rows of ``Vt`` with signs chosen so that each row's entry of largest modulus (the first on ties) is > 0."""
    if Vt.size == 0:
        return Vt
    idx = np.argmax(np.abs(Vt), axis=1)
    signs = np.sign(Vt[np.arange(Vt.shape[0]), idx])
    return Vt * np.where(signs == 0, 1.0, signs)[:, None]


def n_components_for_variance(explained_variance_ratio, threshold: float) -> int:
    r"""The fewest leading components whose cumulative explained variance ratio exceeds ``threshold``.

    .. math:: k = \min\Big\{k : \sum_{j \le k} \frac{\lambda_j}{\sum_i \lambda_i} > t\Big\},

    strictly greater, as scikit-learn's ``PCA(n_components=t)``.

    Parameters
    ----------
    explained_variance_ratio : array_like, shape (r,)
        The ratios of *all* components, in decreasing order (they sum to 1).
    threshold : float in (0, 1)

    Returns
    -------
    int, between 1 and r
    """
    ratio = as_array(explained_variance_ratio, "explained_variance_ratio", ndim=1)
    if ratio.size == 0 or np.any(ratio < 0) or abs(ratio.sum() - 1.0) > 1e-6:
        raise ValueError(f"explained_variance_ratio must be non-negative and sum to 1 (give all components), got "
                         f"{ratio.size} entries summing to {ratio.sum():.6g} with a minimum of "
                         f"{ratio.min() if ratio.size else float('nan'):.6g}")
    if np.any(np.diff(ratio) > 1e-12):
        raise ValueError(f"explained_variance_ratio must be in decreasing order, got {ratio[:5].tolist()}")
    threshold = check_float(threshold, "threshold", low=0, high=1, low_open=True, high_open=True)
    return int(min(np.searchsorted(np.cumsum(ratio), threshold, side="right") + 1, ratio.size))


def pca_fit(X, n_components: int | float | None = None, *, method: str = "svd", center: bool = True) -> PCAFit:
    r"""Principal component analysis of the rows of ``X``.

    With the centred data :math:`X_c = X - \mathbf 1 \bar x^\top` (n, d), the sample covariance is
    :math:`C = X_c^\top X_c / (n-1)`. Its eigenvectors are the principal axes and its eigenvalues the variances
    along them. Three routes give them:

    - ``"svd"``: :math:`X_c = U\Sigma V^\top`, so :math:`C = V \frac{\Sigma^2}{n-1} V^\top`: axes :math:`V`,
      variances :math:`\sigma_j^2/(n-1)`. Accurate: works on :math:`X_c` itself.
    - ``"eigh"``: ``numpy.linalg.eigh`` of :math:`C` (d, d). Forming :math:`C` squares the condition number, so
      variances below about :math:`\varepsilon\,\lambda_1` are lost; cheap when :math:`n \gg d`.
    - ``"gram"``: ``eigh`` of :math:`G = X_c X_c^\top/(n-1)` (n, n), which has the same non-zero eigenvalues;
      its eigenvectors :math:`u_j` give the axes :math:`v_j = X_c^\top u_j / \sigma_j`. The route for
      :math:`d \gg n`.

    The sign of an axis is arbitrary; it is fixed so that the entry of largest modulus of each axis is positive
    (scikit-learn's convention), so the routes and scikit-learn return the same components.

    Parameters
    ----------
    X : array_like, shape (n, d), n >= 2
    n_components : int, float or None
        ``None``: all :math:`\min(n, d)`; an int ``k`` with :math:`0 \le k \le \min(n, d)` (0 keeps only the
        mean); a float in (0, 1): the fewest components whose explained variance ratio exceeds it
        (:func:`n_components_for_variance`).
    method : {"svd", "eigh", "gram"}
    center : bool
        Subtract the column means (PCA). ``False`` factorises :math:`X^\top X/(n-1)` instead: the "variances"
        are then second moments about the origin, and the first axis leans towards the mean.

    Returns
    -------
    PCAFit

    Raises
    ------
    ValueError
        On bad input; when ``X`` has no spread at all; for ``gram``, when a kept component's eigenvalue is at
        round-off level, :math:`\sigma_k \le \sqrt{\max(n, d)\,\varepsilon}\,\sigma_1` (its axis is undefined).
    """
    X = _matrix(X, "X")
    n, d = X.shape
    if n < 2 or d < 1:
        raise ValueError(f"X needs at least 2 rows and 1 column, got shape {X.shape}")
    if method not in _PCA_METHODS:
        raise ValueError(f"method must be one of {_PCA_METHODS}, got {method!r}")
    check_bool(center, "center")
    r = min(n, d)
    mean = X.mean(axis=0) if center else np.zeros(d)
    Xc = X - mean
    if method == "svd":
        _, s, Vt = np.linalg.svd(Xc, full_matrices=False)
        variance = s**2 / (n - 1)
    else:
        M = Xc.T @ Xc if method == "eigh" else Xc @ Xc.T
        w, vecs = np.linalg.eigh(M / (n - 1))                 # ascending
        variance = np.clip(w[::-1][:r], 0.0, None)
        s = np.sqrt(variance * (n - 1))
        vecs = vecs[:, ::-1][:, :r]
        Vt = vecs.T if method == "eigh" else None
    total = variance.sum()
    if total <= 0:
        raise ValueError("X has no spread: every centred entry is zero")
    ratio = variance / total
    if n_components is None:
        k = r
    elif isinstance(n_components, (float, np.floating)) and not float(n_components).is_integer():
        threshold = check_float(n_components, "n_components", low=0, high=1, low_open=True, high_open=True)
        k = n_components_for_variance(ratio, threshold)
    else:
        k = check_int(n_components, "n_components", low=0, high=r)
    if method == "gram":
        if k and s[k - 1] <= np.sqrt(max(n, d) * EPS) * s[0]:       # an eigenvalue of G at round-off level
            raise ValueError(f"component {k} has a zero singular value, so its axis is undefined; the centred "
                             f"data has rank below {k} (ask for fewer components)")
        Vt = (Xc.T @ vecs[:, :k] / s[:k]).T
    return PCAFit(mean, _flip_signs(Vt[:k]), variance[:k], ratio[:k], s[:k])


def _check_fit(fit, X, name: str) -> np.ndarray:
    if not isinstance(fit, PCAFit):
        raise ValueError(f"fit must be the PCAFit of pca_fit, got {type(fit).__name__}")
    return as_array(X, name, ndim=2, empty=True)   # k = 0 components is a valid (empty) code


def pca_transform(fit: PCAFit, X, *, whiten: bool = False) -> np.ndarray:
    r"""Scores :math:`Z = (X - \bar x) V_k^\top` (n, k), divided by :math:`\sqrt{\lambda_j}` if ``whiten``.

    Whitened scores of the training data have the identity as their sample covariance.

    Parameters
    ----------
    fit : PCAFit
    X : array_like, shape (n, d)
    whiten : bool

    Returns
    -------
    ndarray, shape (n, k)
    """
    X = _check_fit(fit, X, "X")
    whiten = check_bool(whiten, "whiten")
    if X.shape[1] != fit.mean.shape[0]:
        raise ValueError(f"X has {X.shape[1]} columns but the fit has {fit.mean.shape[0]} features")
    Z = (X - fit.mean) @ fit.components.T
    if whiten:
        if np.any(fit.explained_variance <= 0):
            raise ValueError("cannot whiten a component with zero variance")
        Z = Z / np.sqrt(fit.explained_variance)
    return Z


def pca_inverse_transform(fit: PCAFit, Z, *, whiten: bool = False) -> np.ndarray:
    r"""Reconstructions :math:`\hat X = Z V_k + \bar x` (n, d) from scores (whitened scores if ``whiten``).

    :math:`\hat x` is the orthogonal projection of :math:`x` onto the affine subspace through :math:`\bar x`
    spanned by the :math:`k` axes.

    Parameters
    ----------
    fit : PCAFit
    Z : array_like, shape (n, k)
    whiten : bool

    Returns
    -------
    ndarray, shape (n, d)
    """
    Z = _check_fit(fit, Z, "Z")
    whiten = check_bool(whiten, "whiten")
    k = fit.components.shape[0]
    if Z.shape[1] != k:
        raise ValueError(f"Z has {Z.shape[1]} columns but the fit has {k} components")
    if whiten:
        Z = Z * np.sqrt(fit.explained_variance)
    return Z @ fit.components + fit.mean


def reconstruction_error(fit: PCAFit, X) -> float:
    r"""Mean squared reconstruction error :math:`\frac1n \sum_i \lVert x_i - \hat x_i\rVert^2` of the rows of X.

    On the data the fit was computed from (centred), it equals :math:`\frac{n-1}{n}\sum_{j>k}\lambda_j`: the
    variance left out.

    Parameters
    ----------
    fit : PCAFit
    X : array_like, shape (n, d), n >= 1

    Returns
    -------
    float
    """
    X = _check_fit(fit, X, "X")
    if X.shape[0] == 0:
        raise ValueError(f"X must have at least one row (the error is a mean over rows), got shape {X.shape}")
    R = X - pca_inverse_transform(fit, pca_transform(fit, X))
    return float(np.mean(np.sum(R * R, axis=1)))


@dataclass
class PCA:
    """Principal component analysis in scikit-learn's shape (fitted by :func:`pca_fit`).

    Parameters
    ----------
    n_components : int, float in (0, 1) or None
        As in :func:`pca_fit`.
    method : {"svd", "eigh", "gram"}
    whiten : bool
        ``transform`` returns scores scaled to unit variance (and ``inverse_transform`` expects them).
    center : bool

    Attributes
    ----------
    mean_ : ndarray, shape (d,)
    components_ : ndarray, shape (k, d)
    explained_variance_, explained_variance_ratio_, singular_values_ : ndarray, shape (k,)
    n_components_ : int
    """

    n_components: int | float | None = None
    method: str = "svd"
    whiten: bool = False
    center: bool = True

    def fit(self, X, y=None) -> "PCA":
        """Fit the axes to ``X`` (n, d); ``y`` is ignored. Return ``self``."""
        check_bool(self.whiten, "whiten")
        self.fit_ = pca_fit(X, self.n_components, method=self.method, center=self.center)
        self.mean_, self.components_ = self.fit_.mean, self.fit_.components
        self.explained_variance_ = self.fit_.explained_variance
        self.explained_variance_ratio_ = self.fit_.explained_variance_ratio
        self.singular_values_ = self.fit_.singular_values
        self.n_components_ = self.components_.shape[0]
        return self

    def _fitted(self) -> PCAFit:
        if not hasattr(self, "fit_"):
            raise ValueError("this PCA is not fitted yet; call fit(X) first")
        return self.fit_

    def transform(self, X) -> np.ndarray:
        """Scores of the rows of ``X``, shape (n, k) (:func:`pca_transform`)."""
        return pca_transform(self._fitted(), X, whiten=self.whiten)

    def fit_transform(self, X, y=None) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z) -> np.ndarray:
        """Reconstructions from scores, shape (n, d) (:func:`pca_inverse_transform`)."""
        return pca_inverse_transform(self._fitted(), Z, whiten=self.whiten)


# -- NMF --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NMFResult:
    r"""Output of :func:`nmf`.

    Attributes
    ----------
    W : ndarray, shape (n, k), non-negative
    H : ndarray, shape (k, d), non-negative
    errors : ndarray, shape (n_iter + 1,)
        :math:`\lVert X - WH\rVert_F` at the start and after every iteration (scikit-learn's
        ``reconstruction_err_`` is the last); it never increases.
    """

    W: np.ndarray
    H: np.ndarray
    errors: np.ndarray


def nmf(X, k: int, *, n_iter: int = 200, init=None, rng=0) -> NMFResult:
    r"""Non-negative matrix factorisation :math:`X \approx WH` by Lee and Seung's multiplicative updates.

    Minimises :math:`\tfrac12\lVert X - WH\rVert_F^2` over :math:`W, H \ge 0` by alternating

    .. math:: W \leftarrow W \circ \frac{XH^\top}{WHH^\top}, \qquad
              H \leftarrow H \circ \frac{W^\top X}{W^\top W H}

    (elementwise). Each is a gradient step with the per-entry step size :math:`W/(WHH^\top)` (resp.
    :math:`H/(W^\top WH)`), which keeps every entry non-negative and never increases the objective. A zero
    denominator is replaced by :data:`NMF_GUARD`. The factorisation is not unique (:math:`WD, D^{-1}H` for any
    positive diagonal :math:`D` give the same product), and the updates find a local minimum that depends on the
    start.

    Parameters
    ----------
    X : array_like, shape (n, d), non-negative
    k : int >= 1, the number of components
    n_iter : int >= 0
    init : (W0, H0), optional
        Non-negative starting factors of shapes (n, k) and (k, d). Default: scikit-learn's ``"random"`` scheme,
        :math:`\sqrt{\bar X / k}\,|z|` with standard normal :math:`z` drawn from ``rng``.
    rng : int or numpy.random.Generator

    Returns
    -------
    NMFResult
    """
    X = _matrix(X, "X")
    if np.any(X < 0):
        raise ValueError("X must be non-negative")
    n, d = X.shape
    k = check_int(k, "k", low=1)
    n_iter = check_int(n_iter, "n_iter", low=0)
    g = check_random_state(rng)                 # checked even when init makes it unused
    if init is None:
        scale = np.sqrt(X.mean() / k)
        H = scale * np.abs(g.standard_normal((k, d)))
        W = scale * np.abs(g.standard_normal((n, k)))
    else:
        if not (isinstance(init, (tuple, list)) and len(init) == 2):
            raise ValueError("init must be a pair (W0, H0)")
        W, H = as_array(init[0], "init W0", ndim=2).copy(), as_array(init[1], "init H0", ndim=2).copy()
        if W.shape != (n, k) or H.shape != (k, d):
            raise ValueError(f"init must have shapes ({n}, {k}) and ({k}, {d}), got {W.shape} and {H.shape}")
        if np.any(W < 0) or np.any(H < 0):
            raise ValueError("init factors must be non-negative")
    errors = [np.linalg.norm(X - W @ H)]
    for _ in range(n_iter):
        den = W @ (H @ H.T)
        W *= (X @ H.T) / np.where(den == 0, NMF_GUARD, den)
        den = (W.T @ W) @ H
        H *= (W.T @ X) / np.where(den == 0, NMF_GUARD, den)
        errors.append(np.linalg.norm(X - W @ H))
    return NMFResult(W, H, np.array(errors))


# -- matrix factorisation with missing entries (ALS) -------------------------------------------------------------

@dataclass(frozen=True)
class ALSResult:
    r"""Output of :func:`als`: the model :math:`\hat r_{ui} = \mu + b_u + c_i + p_u^\top q_i`.

    Attributes
    ----------
    user_factors : ndarray, shape (m, k), the rows :math:`p_u`
    item_factors : ndarray, shape (n, k), the rows :math:`q_i`
    user_bias : ndarray, shape (m,), :math:`b_u` (zeros without biases)
    item_bias : ndarray, shape (n,), :math:`c_i` (zeros without biases)
    mean : float, :math:`\mu`, the mean of the observed entries
    objective : ndarray, shape (n_iter,)
        The penalised squared error over the observed entries after every sweep; it never increases.
    """

    user_factors: np.ndarray
    item_factors: np.ndarray
    user_bias: np.ndarray
    item_bias: np.ndarray
    mean: float
    objective: np.ndarray

    def predict(self, users, items) -> np.ndarray:
        r"""Predicted entries :math:`\mu + b_u + c_i + p_u^\top q_i` for paired index arrays ``users``, ``items``.

        ``users`` holds row indices in [0, m), ``items`` column indices in [0, n), both of one shape (any shape;
        empty arrays give an empty answer)."""
        users = check_indices(users, "users", high=self.user_factors.shape[0], empty=True)
        items = check_indices(items, "items", high=self.item_factors.shape[0], empty=True)
        if users.shape != items.shape:
            raise ValueError(f"users and items must be paired index arrays of one shape, got users {users.shape} "
                             f"and items {items.shape}")
        users, items = np.asarray(users, dtype=int), np.asarray(items, dtype=int)
        return (self.mean + self.user_bias[users] + self.item_bias[items]
                + np.sum(self.user_factors[users] * self.item_factors[items], axis=-1))

    def matrix(self) -> np.ndarray:
        """The whole predicted matrix, shape (m, n)."""
        return (self.mean + self.user_bias[:, None] + self.item_bias[None, :]
                + self.user_factors @ self.item_factors.T)



def _ridge_rows(T: np.ndarray, M: np.ndarray, F: np.ndarray, reg: float) -> np.ndarray:
    """Row u of the result solves (F^T diag(M[u]) F + reg I) x = F^T T[u], T zero where M is: one ridge per row."""
    k = F.shape[1]
    A = (M @ (F[:, :, None] * F[:, None, :]).reshape(len(F), k * k)).reshape(-1, k, k) + reg * np.eye(k)
    try:
        return np.linalg.solve(A, (T @ F)[..., None])[..., 0]
    except np.linalg.LinAlgError:
        raise ValueError("a row's normal equations are singular (fewer observed entries than unknowns, or "
                         "collinear factors): use reg > 0") from None


def _als_half(E: np.ndarray, M: np.ndarray, F: np.ndarray, other_bias: np.ndarray, reg: float,
              biases: bool) -> tuple[np.ndarray, np.ndarray]:
    """New factors (and biases) of the rows of E, the other side's factors F and biases held fixed."""
    if not biases:
        return _ridge_rows(E, M, F, reg), np.zeros(E.shape[0])
    X = _ridge_rows(M * (E - other_bias[None, :]), M, np.column_stack([F, np.ones(len(F))]), reg)
    return X[:, :-1], X[:, -1]


def als(R, k: int, *, reg: float = 0.1, n_iter: int = 20, biases: bool = True, init=None, rng=0) -> ALSResult:
    r"""Matrix factorisation of a partly observed matrix by alternating least squares.

    Fits :math:`\hat r_{ui} = \mu + b_u + c_i + p_u^\top q_i` to the observed set :math:`\Omega` (the non-NaN
    entries), with :math:`\mu` the mean of the observed entries:

    .. math:: \min \sum_{(u,i)\in\Omega} \big(r_{ui} - \hat r_{ui}\big)^2
              + \lambda\big(\lVert P\rVert_F^2 + \lVert Q\rVert_F^2 + \lVert b\rVert^2 + \lVert c\rVert^2\big).

    With the column side fixed the problem splits into one ridge regression per row :math:`u` over the columns
    it observes: the unknowns :math:`(p_u, b_u)`, the features :math:`(q_i, 1)`, the targets
    :math:`r_{ui} - \mu - c_i`,

    .. math:: \tilde p_u = \big(\tilde Q_{\Omega_u}^\top \tilde Q_{\Omega_u} + \lambda I\big)^{-1}
              \tilde Q_{\Omega_u}^\top (r_{u,\Omega_u} - \mu - c_{\Omega_u}),

    and likewise for every column with the rows fixed. A sweep updates all rows, then all columns, each step
    minimising exactly, so the objective never increases. A row with no observed entry gets :math:`p_u = 0`,
    :math:`b_u = 0` and is predicted by :math:`\mu + c_i` alone (the cold start). Missing entries are left out
    of the fit, not treated as zeros. Without biases the model is :math:`\mu + p_u^\top q_i`; fully observed and
    with :math:`\lambda = 0` it then converges to the best rank-k approximation of :math:`R - \mu`.

    Parameters
    ----------
    R : array_like, shape (m, n), ``NaN`` where unobserved
    k : int >= 0, the number of factors; 0 (with biases) fits the baseline :math:`\mu + b_u + c_i` alone
    reg : float >= 0, :math:`\lambda` (0 needs enough well-spread observations in every row and column)
    n_iter : int >= 1, sweeps
    biases : bool
        Fit the row and column offsets :math:`b_u, c_i`.
    init : ALSResult or array_like of shape (n, k), optional
        Where to start: a previous result continues that run (its column factors and biases); an array gives
        the column factors :math:`Q` (biases start at zero). Default: standard normal draws from ``rng``.
    rng : int or numpy.random.Generator

    Returns
    -------
    ALSResult
    """
    R = as_array(R, "R", ndim=2, finite=False)
    if np.any(np.isinf(R)):
        raise ValueError("R contains infinite values (use NaN for missing entries)")
    observed = ~np.isnan(R)
    if not observed.any():
        raise ValueError("R has no observed (non-NaN) entry")
    m, n = R.shape
    check_bool(biases, "biases")
    k = check_int(k, "k", low=0 if biases else 1)
    reg = check_float(reg, "reg", low=0)
    n_iter = check_int(n_iter, "n_iter", low=1)
    g = check_random_state(rng)                 # checked even when init makes it unused
    c = np.zeros(n)
    if init is None:
        Q = g.standard_normal((n, k))
    elif isinstance(init, ALSResult):
        Q, c = init.item_factors.copy(), init.item_bias.copy()
        if Q.shape != (n, k):
            raise ValueError(f"init has item factors of shape {Q.shape}, expected ({n}, {k})")
    else:
        Q = as_array(init, "init", ndim=2).copy()
        if Q.shape != (n, k):
            raise ValueError(f"init must have shape ({n}, {k}), got {Q.shape}")
    mean = float(R[observed].mean())
    M = observed.astype(float)
    E = np.where(observed, R - mean, 0.0)
    objective = []
    for _ in range(n_iter):
        P, b = _als_half(E, M, Q, c, reg, biases)
        Q, c = _als_half(E.T, M.T, P, b, reg, biases)
        resid = M * (E - b[:, None] - c[None, :] - P @ Q.T)
        objective.append(float(np.sum(resid**2)
                               + reg * (np.sum(P**2) + np.sum(Q**2) + np.sum(b**2) + np.sum(c**2))))
    return ALSResult(P, Q, b, c, mean, np.array(objective))

"""Linear-algebra algorithms written from scratch.

- :func:`gram_schmidt`       thin QR by modified (or classical) Gram-Schmidt;
- :func:`det_gauss`, :func:`slogdet_gauss`   determinant (and its log) by Gaussian elimination with partial
  pivoting;
- :func:`rank_tolerance`, :func:`matrix_rank`   numerical rank by counting singular values above a tolerance;
- :func:`power_iteration`    dominant eigenpair with the Rayleigh quotient and a convergence flag;
- :func:`truncated_svd`, :func:`low_rank_approx`   best rank-k approximation (Eckart-Young);

Every function validates its input like scikit-learn: a wrong shape, NaN or a bad parameter raises
``ValueError`` naming the argument.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

EPS = np.finfo(float).eps


def _matrix(A, name: str = "A", *, square: bool = False) -> np.ndarray:
    """``A`` as a finite 2-D float array (square if asked), else ``ValueError`` naming ``name``."""
    A = as_array(A, name, ndim=2)
    if square and A.shape[0] != A.shape[1]:
        raise ValueError(f"{name} must be square, got shape {A.shape}")
    return A


# -- orthogonalisation --------------------------------------------------------------------------------

def gram_schmidt(A, *, classical: bool = False, rtol: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    r"""Thin QR factorisation :math:`A = QR` by Gram-Schmidt orthogonalisation.

    Column :math:`k` of :math:`Q` is what is left of :math:`a_k` after removing its components along
    :math:`q_1, \dots, q_{k-1}`, scaled to unit length:

    .. math:: v_k = a_k - \sum_{j<k} (q_j^\top a_k)\, q_j, \qquad r_{kk} = \lVert v_k \rVert,
              \qquad q_k = v_k / r_{kk}, \qquad r_{jk} = q_j^\top a_k .

    The *modified* variant (default) subtracts each projection from all remaining columns as soon as
    :math:`q_j` is known, so later coefficients are computed from already-cleaned vectors; it loses
    orthogonality like :math:`\varepsilon\,\kappa(A)` instead of :math:`\varepsilon\,\kappa(A)^2`.
    Each step is one vectorised rank-1 update of the remaining columns.

    Parameters
    ----------
    A : array_like, shape (m, n), m >= n
        Columns to orthonormalise; they must be linearly independent.
    classical : bool
        Use classical Gram-Schmidt (all coefficients of column k from the original :math:`a_k`).
    rtol : float in (0, 1)
        A column whose remaining norm is at most ``rtol`` times its original norm counts as dependent.

    Returns
    -------
    Q : ndarray, shape (m, n), orthonormal columns (:math:`Q^\top Q = I_n`)
    R : ndarray, shape (n, n), upper triangular with positive diagonal

    Raises
    ------
    ValueError
        If ``A`` is not a finite 2-D array with m >= n, or its columns are (numerically) dependent.
    """
    A = _matrix(A)
    rtol = check_float(rtol, "rtol", low=0, high=1, low_open=True, high_open=True)
    m, n = A.shape
    if m < n:
        raise ValueError(f"A must have at least as many rows as columns, got shape {A.shape}")
    norms = np.linalg.norm(A, axis=0)
    V = A.copy()
    Q = np.zeros((m, n))
    R = np.zeros((n, n))
    for k in range(n):
        if classical:                        # coefficients from the original column a_k
            R[:k, k] = Q[:, :k].T @ A[:, k]
            V[:, k] = A[:, k] - Q[:, :k] @ R[:k, k]
        R[k, k] = np.linalg.norm(V[:, k])
        if R[k, k] <= rtol * norms[k] or norms[k] == 0:
            raise ValueError(f"A has linearly dependent columns: column {k} lies in the span of the "
                             f"columns before it (remaining norm {R[k, k]:.3g})")
        Q[:, k] = V[:, k] / R[k, k]
        if not classical:                    # modified: clean every later column now
            R[k, k + 1:] = Q[:, k] @ V[:, k + 1:]
            V[:, k + 1:] -= np.outer(Q[:, k], R[k, k + 1:])
    return Q, R


# -- determinant --------------------------------------------------------------------------------------

def _eliminate(A) -> tuple[np.ndarray, float]:
    """Gaussian elimination with partial pivoting: the diagonal of U (n,) and the sign of the row permutation.

    Stops early (the remaining diagonal entries are zero) when a pivot column is exactly zero.
    """
    U = _matrix(A, square=True).copy()
    n = U.shape[0]
    sign = 1.0
    for k in range(n):
        p = k + int(np.argmax(np.abs(U[k:, k])))
        if U[p, k] == 0.0:
            U[k, k] = 0.0
            return np.diag(U).copy(), sign
        if p != k:
            U[[k, p]] = U[[p, k]]
            sign = -sign
        mult = U[k + 1:, k] / U[k, k]
        U[k + 1:, k:] -= np.outer(mult, U[k, k:])
    return np.diag(U).copy(), sign


def det_gauss(A) -> float:
    r"""Determinant by Gaussian elimination with partial pivoting.

    Elimination turns :math:`A` into an upper-triangular :math:`U` with :math:`PA = LU`, :math:`L` unit
    lower triangular. Adding multiples of rows leaves the determinant unchanged and each row swap flips its
    sign, so

    .. math:: \det A = (-1)^{s} \prod_{i} u_{ii},

    where :math:`s` is the number of swaps. At step :math:`k` the row with the largest :math:`|a_{ik}|`
    (:math:`i \ge k`) becomes the pivot, which keeps every multiplier :math:`|l_{ik}| \le 1`.
    Cost :math:`\tfrac{2}{3} n^3`; each step is one vectorised rank-1 update.

    Parameters
    ----------
    A : array_like, shape (n, n)

    Returns
    -------
    float
        The determinant; exactly 0.0 when a pivot column is exactly zero. ``1.0`` for a 0x0 matrix.
        May overflow to ``inf`` or underflow to 0 for large ``n``: use :func:`slogdet_gauss` then.
    """
    diag, sign = _eliminate(A)
    return float(sign * np.prod(diag))


def slogdet_gauss(A) -> tuple[float, float]:
    r"""Sign and natural log of :math:`|\det A|`, from the same elimination as :func:`det_gauss`.

    .. math:: \log|\det A| = \sum_i \log |u_{ii}|, \qquad
              \operatorname{sign} = (-1)^{s} \prod_i \operatorname{sign}(u_{ii}),

    which neither overflows nor underflows (Gaussian log-likelihoods and normalizing flows need this).

    Parameters
    ----------
    A : array_like, shape (n, n)

    Returns
    -------
    sign : float, one of -1.0, 0.0, 1.0
    logabsdet : float, ``-inf`` when the determinant is zero
    """
    diag, sign = _eliminate(A)
    if np.any(diag == 0):
        return 0.0, -np.inf
    return float(sign * np.prod(np.sign(diag))), float(np.log(np.abs(diag)).sum())


# -- rank ---------------------------------------------------------------------------------------------

def rank_tolerance(s, shape) -> float:
    r"""The default numerical-rank threshold, as in ``numpy.linalg.matrix_rank``:

    .. math:: \tau = \sigma_{\max} \cdot \max(m, n) \cdot \varepsilon_{\text{machine}} .

    Parameters
    ----------
    s : array_like, shape (k,), singular values (>= 0)
    shape : tuple (m, n), the matrix's shape
    """
    s = as_array(s, "s", ndim=1)
    if len(shape) != 2:
        raise ValueError(f"shape must be (m, n), got {shape!r}")
    return float(s.max() * max(shape) * EPS) if s.size else 0.0


def matrix_rank(A, tol: float | None = None) -> int:
    r"""Numerical rank: the number of singular values above a tolerance,

    .. math:: \operatorname{rank}_\tau(A) = \#\{ i : \sigma_i(A) > \tau \}.

    In exact arithmetic the rank is the number of non-zero singular values; in floating point a matrix
    of rank :math:`r` has :math:`\min(m,n) - r` singular values of order :math:`\varepsilon \lVert A\rVert`
    instead of 0, so the answer depends on :math:`\tau`. The default is :func:`rank_tolerance`.

    Parameters
    ----------
    A : array_like, shape (m, n)
    tol : float >= 0, optional
        Absolute threshold :math:`\tau`.

    Returns
    -------
    int, between 0 and min(m, n)
    """
    A = _matrix(A)
    if A.size == 0:
        return 0
    s = np.linalg.svd(A, compute_uv=False)
    tau = rank_tolerance(s, A.shape) if tol is None else check_float(tol, "tol", low=0)
    return int(np.count_nonzero(s > tau))


# -- eigenvalues --------------------------------------------------------------------------------------

@dataclass
class PowerIterationResult:
    """Output of :func:`power_iteration`.

    ``value`` is the Rayleigh quotient of the last iterate, ``vector`` the unit iterate (n,),
    ``residuals[t]`` is :math:`\\lVert A x_t - \\lambda_t x_t \\rVert` after step t.
    """

    value: float
    vector: np.ndarray
    n_iter: int
    converged: bool
    residuals: list[float] = field(default_factory=list)


def power_iteration(A, x0=None, *, max_iter: int = 1000, tol: float = 1e-10, rng=0) -> PowerIterationResult:
    r"""Dominant eigenpair by power iteration with the Rayleigh quotient.

    .. math:: x_{t+1} = \frac{A x_t}{\lVert A x_t \rVert}, \qquad
              \lambda_t = \frac{x_t^\top A x_t}{x_t^\top x_t} .

    If :math:`|\lambda_1| > |\lambda_2| \ge \dots` and :math:`x_0` has a component along :math:`v_1`,
    the direction of :math:`x_t` converges to :math:`v_1` with error :math:`O(|\lambda_2/\lambda_1|^t)`
    (for symmetric :math:`A` the Rayleigh quotient converges twice as fast). The iteration stops when the
    residual :math:`\lVert A x_t - \lambda_t x_t\rVert \le \text{tol}\cdot\max(1, |\lambda_t|)`; a negative
    dominant eigenvalue makes :math:`x_t` flip sign, which the residual test ignores. When two
    eigenvalues share the largest modulus (e.g. a rotation, or :math:`\pm 1`) it does not converge and
    ``converged`` is False.

    Parameters
    ----------
    A : array_like, shape (n, n)
    x0 : array_like, shape (n,), optional
        Start vector; default a standard normal vector drawn from ``rng``.
    max_iter : int >= 1
    tol : float > 0
    rng : int or numpy.random.Generator

    Returns
    -------
    PowerIterationResult
    """
    A = _matrix(A, square=True)
    n = A.shape[0]
    if n == 0:
        raise ValueError("A must be at least 1x1, got shape (0, 0)")
    max_iter = check_int(max_iter, "max_iter", low=1)
    tol = check_float(tol, "tol", low=0, low_open=True)
    x = check_random_state(rng).standard_normal(n) if x0 is None else as_array(x0, "x0", ndim=1).copy()
    if x.shape != (n,):
        raise ValueError(f"x0 must have shape ({n},), got {x.shape}")
    norm = np.linalg.norm(x)
    if norm == 0:
        raise ValueError("x0 must not be the zero vector")
    x = x / norm
    lam, residuals = float(x @ A @ x), []
    for t in range(1, max_iter + 1):
        y = A @ x
        ny = np.linalg.norm(y)
        if ny == 0:                      # x is in the null space: eigenvalue 0, exactly
            return PowerIterationResult(0.0, x, t, True, residuals + [0.0])
        x = y / ny
        Ax = A @ x
        lam = float(x @ Ax)
        residuals.append(float(np.linalg.norm(Ax - lam * x)))
        if residuals[-1] <= tol * max(1.0, abs(lam)):
            return PowerIterationResult(lam, x, t, True, residuals)
    return PowerIterationResult(lam, x, max_iter, False, residuals)


# -- singular values ----------------------------------------------------------------------------------

def truncated_svd(A, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""The leading ``k`` singular triplets: :math:`U_k` (m, k), :math:`\sigma_{1..k}` (k,), :math:`V_k^\top` (k, n).

    Parameters
    ----------
    A : array_like, shape (m, n)
    k : int, 0 <= k <= min(m, n)
    """
    A = _matrix(A)
    k = check_int(k, "k", low=0, high=min(A.shape))
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return U[:, :k], s[:k], Vt[:k]


def low_rank_approx(A, k: int) -> np.ndarray:
    r"""Best rank-``k`` approximation of ``A`` (Eckart-Young-Mirsky): keep the ``k`` largest singular values.

    .. math:: A_k = \sum_{i=1}^{k} \sigma_i u_i v_i^\top = U_k \Sigma_k V_k^\top, \qquad
              \lVert A - A_k \rVert_2 = \sigma_{k+1}, \qquad
              \lVert A - A_k \rVert_F = \Big(\sum_{i>k} \sigma_i^2\Big)^{1/2},

    and no matrix of rank at most :math:`k` is closer in either norm.

    Parameters
    ----------
    A : array_like, shape (m, n)
    k : int, 0 <= k <= min(m, n)

    Returns
    -------
    ndarray, shape (m, n), of rank at most k
    """
    U, s, Vt = truncated_svd(A, k)
    return (U * s) @ Vt




#: Figure layout of the 2x2 explorer, for ``widgets.Explorer(..., **MATRIX_LAYOUT)``.



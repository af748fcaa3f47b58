r"""Linear-algebra algorithms written from scratch.

Orthogonality and least squares

- :func:`gram_schmidt`       thin QR by modified (or classical) Gram-Schmidt;
- :func:`lstsq_qr`           least squares through that QR, :math:`Rx = Q^\top b`;

Determinants and rank

- :func:`det_gauss`, :func:`slogdet_gauss`   determinant (and its log) by Gaussian elimination with partial
  pivoting;
- :func:`rank_tolerance`, :func:`matrix_rank`   numerical rank by counting singular values above a tolerance;
- :func:`rank_gauss`         rank as the number of elimination pivots (cheaper, and a poorer rank test);

Eigenvalues and singular values

- :func:`power_iteration`    dominant eigenpair with the Rayleigh quotient and a convergence flag
  (:class:`PowerIterationResult`);
- :func:`top_eigh`           the k largest-modulus eigenpairs of a symmetric matrix by power iteration and
  deflation;
- :func:`svd_via_eigh`       thin SVD from the eigenproblem of :math:`A^\top A` (:class:`SVDResult`);
- :func:`truncated_svd`, :func:`low_rank_approx`   best rank-k approximation (Eckart-Young);
- :func:`describe_2x2`       determinant, eigen- and singular decomposition of a 2x2 matrix
  (:class:`Summary2x2`);

Vector and matrix operations of ML code

- :func:`cross`              batched cross product of 3-vectors;
- :func:`cosine_similarity`  pairwise cosine similarities of two sets of vectors;
- :func:`linear_forward`, :func:`linear_backward`   a batched linear layer :math:`Y = XW^\top + b` and its
  gradients (:class:`LinearGrads`);
- :func:`matmul_loops`       :math:`XW^\top` by three explicit loops, for reading.

Every public function validates its input like scikit-learn: a wrong shape, NaN or a bad parameter raises
``ValueError`` naming the argument.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

EPS = np.finfo(float).eps


def _matrix(A, name: str = "A", *, square: bool = False, empty: bool = False) -> np.ndarray:
    """``A`` as a finite 2-D float array (square if asked; with no entries only if ``empty``), else ``ValueError``
    naming ``name``."""
    A = as_array(A, name, ndim=2, empty=empty)
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


def lstsq_qr(A, b) -> np.ndarray:
    r"""Least-squares solution of :math:`\min_x \lVert Ax - b\rVert_2` through :math:`A = QR`.

    With orthonormal columns in :math:`Q`, :math:`\lVert Ax - b\rVert^2 = \lVert Rx - Q^\top b\rVert^2 +
    \lVert (I - QQ^\top) b\rVert^2`, so the minimiser solves the triangular system

    .. math:: R x = z, \qquad z = Q^\top b .

    :math:`Q` comes from :func:`gram_schmidt` (modified). :math:`z` is computed the way modified Gram-Schmidt
    treats a column, one projection at a time from the running residual
    (:math:`z_k = q_k^\top r_{k-1}`, :math:`r_k = r_{k-1} - z_k q_k`, :math:`r_0 = b`), which keeps the error of
    order :math:`\varepsilon\,\kappa(A)` although the :math:`Q` of modified Gram-Schmidt is not orthogonal to
    working precision; the single product :math:`Q^\top b` would lose that.

    Parameters
    ----------
    A : array_like, shape (m, n), m >= n, linearly independent columns
    b : array_like, shape (m,)

    Returns
    -------
    x : ndarray, shape (n,)
    """
    A = _matrix(A)
    b = as_array(b, "b", ndim=1)
    if b.shape[0] != A.shape[0]:
        raise ValueError(f"b must have {A.shape[0]} entries (rows of A), got {b.shape[0]}")
    Q, R = gram_schmidt(A)
    n = A.shape[1]
    z, resid = np.empty(n), b.copy()
    for k in range(n):                   # z = Q^T b, one projection at a time
        z[k] = Q[:, k] @ resid
        resid -= z[k] * Q[:, k]
    return scipy.linalg.solve_triangular(R, z, lower=False)


# -- determinant --------------------------------------------------------------------------------------

def _eliminate(A) -> tuple[np.ndarray, float]:
    """Gaussian elimination with partial pivoting: the diagonal of U (n,) and the sign of the row permutation.

    Stops early (the remaining diagonal entries are zero) when a pivot column is exactly zero.
    """
    U = _matrix(A, square=True, empty=True).copy()     # the 0x0 matrix has det 1
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
    s : array_like, shape (k,), singular values (>= 0); empty for a matrix with no entries (rank 0)
    shape : tuple (m, n) of non-negative ints, the matrix's shape
    """
    s = as_array(s, "s", ndim=1, empty=True)       # a 0 x n matrix has no singular values
    if s.size and s.min() < 0:
        raise ValueError(f"s must hold singular values (>= 0), got a minimum of {s.min():.6g}")
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__") or len(shape) != 2:
        raise ValueError(f"shape must be a pair (m, n), got {shape!r}")
    shape = (check_int(shape[0], "shape[0]", low=0), check_int(shape[1], "shape[1]", low=0))
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
    A = _matrix(A, empty=True)                          # an empty matrix has rank 0
    if A.size == 0:
        return 0
    s = np.linalg.svd(A, compute_uv=False)
    tau = rank_tolerance(s, A.shape) if tol is None else check_float(tol, "tol", low=0)
    return int(np.count_nonzero(s > tau))


def rank_gauss(A, rtol: float | None = None) -> int:
    r"""Rank as the number of pivots of Gaussian elimination with partial pivoting.

    Column by column, the entry of largest modulus on or below the current row becomes the pivot if

    .. math:: |u_{kj}| > \tau = \text{rtol} \cdot \max_{ij} |a_{ij}|,

    and the rows below are cleared with it; a column without such an entry depends (numerically) on the columns
    before it and is skipped. The rank is the number of pivots found. Cheaper than the SVD, but a poor rank test:
    a matrix can be very close to singular with every pivot of order one.

    Parameters
    ----------
    A : array_like, shape (m, n)
    rtol : float >= 0, optional
        Relative pivot tolerance; default ``max(m, n) * eps``.

    Returns
    -------
    int, between 0 and min(m, n)
    """
    U = _matrix(A, empty=True).copy()                  # an empty matrix has rank 0
    m, n = U.shape
    rtol = max(m, n) * EPS if rtol is None else check_float(rtol, "rtol", low=0)
    if U.size == 0:
        return 0
    tau = rtol * np.abs(U).max()
    row = 0
    for col in range(n):
        if row == m:
            break
        p = row + int(np.argmax(np.abs(U[row:, col])))
        if abs(U[p, col]) <= tau:
            continue                                  # no usable pivot in this column
        U[[row, p]] = U[[p, row]]
        U[row + 1:, col:] -= np.outer(U[row + 1:, col] / U[row, col], U[row, col:])
        row += 1
    return row


# -- eigenvalues --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PowerIterationResult:
    r"""Output of :func:`power_iteration`.

    Attributes
    ----------
    value : float
        The Rayleigh quotient :math:`x_t^\top A x_t` of the last (unit) iterate.
    vector : ndarray, shape (n,)
        The last unit iterate :math:`x_t`.
    n_iter : int
        Steps taken.
    converged : bool
        Whether the residual test was met within ``max_iter`` steps.
    residuals : ndarray, shape (n_iter,)
        ``residuals[t - 1]`` is :math:`\lVert A x_t - \lambda_t x_t \rVert` after step t.
    """

    value: float
    vector: np.ndarray
    n_iter: int
    converged: bool
    residuals: np.ndarray


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
    x0 : array_like, shape (n,), nonzero, optional
        Start vector; default a standard normal vector drawn from ``rng``.
    max_iter : int >= 1
    tol : float > 0
    rng : int or numpy.random.Generator
        Checked even when ``x0`` is given (then it is not used).

    Returns
    -------
    PowerIterationResult
    """
    A = _matrix(A, square=True)
    n = A.shape[0]
    max_iter = check_int(max_iter, "max_iter", low=1)
    tol = check_float(tol, "tol", low=0, low_open=True)
    rng = check_random_state(rng)
    x = rng.standard_normal(n) if x0 is None else as_array(x0, "x0", ndim=1).copy()
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
            return PowerIterationResult(0.0, x, t, True, np.array(residuals + [0.0]))
        x = y / ny
        Ax = A @ x
        lam = float(x @ Ax)
        residuals.append(float(np.linalg.norm(Ax - lam * x)))
        if residuals[-1] <= tol * max(1.0, abs(lam)):
            return PowerIterationResult(lam, x, t, True, np.array(residuals))
    return PowerIterationResult(lam, x, max_iter, False, np.array(residuals))


def top_eigh(A, k: int, *, tol: float = 1e-12, max_iter: int = 10_000, rng=0) -> tuple[np.ndarray, np.ndarray]:
    r"""The ``k`` eigenpairs of largest modulus of a symmetric matrix, by power iteration and deflation.

    Power iteration (:func:`power_iteration`) finds the dominant pair :math:`(\lambda_1, q_1)`; Hotelling's
    deflation

    .. math:: A \leftarrow A - \lambda_1 q_1 q_1^\top

    moves :math:`\lambda_1` to 0 and leaves every other eigenpair of a symmetric :math:`A` in place (the
    eigenvectors are orthogonal), so the next run finds :math:`(\lambda_2, q_2)`, and so on.

    Parameters
    ----------
    A : array_like, shape (n, n), symmetric
    k : int, 1 <= k <= n
    tol, max_iter : passed to :func:`power_iteration` for every pair
    rng : int or numpy.random.Generator
        Start vectors of the power iterations.

    Returns
    -------
    values : ndarray, shape (k,), in order of decreasing modulus
    vectors : ndarray, shape (n, k), orthonormal columns

    Raises
    ------
    ValueError
        If ``A`` is not symmetric, or a power iteration does not converge (two eigenvalues of equal modulus
        and opposite sign, such as 1 and -1).
    """
    A = _matrix(A, square=True)
    if A.size == 0 or not np.allclose(A, A.T):
        raise ValueError(f"A must be a non-empty symmetric square matrix, got shape {A.shape}")
    k = check_int(k, "k", low=1, high=A.shape[0])
    rng = check_random_state(rng)
    B = A.copy()
    values, vectors = np.empty(k), np.empty((A.shape[0], k))
    for i in range(k):
        res = power_iteration(B, tol=tol, max_iter=max_iter, rng=rng)
        if not res.converged:
            raise ValueError(f"power iteration did not converge for pair {i + 1}: two eigenvalues share a modulus")
        values[i], vectors[:, i] = res.value, res.vector
        B = B - res.value * np.outer(res.vector, res.vector)
    return values, vectors


# -- singular values ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SVDResult:
    r"""A (thin or truncated) singular value decomposition :math:`A \approx U \operatorname{diag}(s) V^\top`.

    Attributes
    ----------
    U : ndarray, shape (m, k), orthonormal columns (left singular vectors)
    s : ndarray, shape (k,), singular values in decreasing order
    Vt : ndarray, shape (k, n), orthonormal rows (right singular vectors)
    """

    U: np.ndarray
    s: np.ndarray
    Vt: np.ndarray


def svd_via_eigh(A) -> SVDResult:
    r"""Thin SVD from the symmetric eigenproblem of the Gram matrix.

    .. math:: A^\top A = V \Sigma^2 V^\top, \qquad \sigma_i = \sqrt{\lambda_i(A^\top A)}, \qquad
              u_i = A v_i / \sigma_i ,

    so :math:`A V = U \Sigma` and :math:`A = U \Sigma V^\top`. Forming :math:`A^\top A` squares the condition
    number: singular values below about :math:`\sqrt{\varepsilon}\,\sigma_1` lose their accuracy (LAPACK's
    SVD works on :math:`A` itself and does not).

    Parameters
    ----------
    A : array_like, shape (m, n), with m >= n and full column rank (numerically, sigma_n > 0)

    Returns
    -------
    SVDResult
        ``U`` (m, n) orthonormal columns, ``s`` (n,) decreasing, ``Vt`` (n, n) orthogonal.
    """
    A = _matrix(A)
    m, n = A.shape
    if m < n or n == 0:
        raise ValueError(f"A must have at least as many rows as columns (use A.T), and one column, "
                         f"got shape {A.shape}")
    w, V = np.linalg.eigh(A.T @ A)                     # ascending eigenvalues of the Gram matrix
    order = np.argsort(w)[::-1]
    s, V = np.sqrt(np.clip(w[order], 0.0, None)), V[:, order]
    if s[-1] <= n * EPS * s[0]:
        raise ValueError("A is (numerically) rank-deficient: u_i = A v_i / sigma_i is undefined for sigma_i = 0")
    return SVDResult((A @ V) / s, s, V.T)


def truncated_svd(A, k: int) -> SVDResult:
    r"""The leading ``k`` singular triplets: :math:`U_k` (m, k), :math:`\sigma_{1..k}` (k,), :math:`V_k^\top` (k, n).

    Parameters
    ----------
    A : array_like, shape (m, n)
    k : int, 0 <= k <= min(m, n)

    Returns
    -------
    SVDResult
    """
    A = _matrix(A)
    k = check_int(k, "k", low=0, high=min(A.shape))
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return SVDResult(U[:, :k], s[:k], Vt[:k])


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
    svd = truncated_svd(A, k)
    return (svd.U * svd.s) @ svd.Vt


# -- 2x2 matrices ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Summary2x2:
    r"""What a 2x2 matrix :math:`A = \begin{pmatrix} a & b \\ c & d \end{pmatrix}` does to the plane.

    Attributes
    ----------
    det : float
        :math:`ad - bc`, the signed area of the image of the unit square.
    eigvals : ndarray of complex, shape (2,)
        Roots of :math:`\lambda^2 - (a + d)\lambda + (ad - bc)`.
    eigvecs : ndarray of complex, shape (2, 2)
        Unit eigenvectors in the columns, in the order of ``eigvals``.
    real : bool
        Whether both eigenvalues are real (the discriminant :math:`(a - d)^2 + 4bc \ge 0`).
    U : ndarray, shape (2, 2)
    s : ndarray, shape (2,), :math:`\sigma_1 \ge \sigma_2 \ge 0`
    Vt : ndarray, shape (2, 2)
        The SVD :math:`A = U \operatorname{diag}(s) V^\top`: the unit circle maps to the ellipse with semi-axes
        :math:`\sigma_i u_i`.
    """

    det: float
    eigvals: np.ndarray
    eigvecs: np.ndarray
    real: bool
    U: np.ndarray
    s: np.ndarray
    Vt: np.ndarray


def describe_2x2(A) -> Summary2x2:
    """Determinant, eigenvalues and eigenvectors, and SVD of a 2x2 matrix (see :class:`Summary2x2`).

    Parameters
    ----------
    A : array_like, shape (2, 2)

    Returns
    -------
    Summary2x2
    """
    A = _matrix(A, square=True)
    if A.shape != (2, 2):
        raise ValueError(f"A must be 2x2, got shape {A.shape}")
    lam, vec = np.linalg.eig(A)
    U, s, Vt = np.linalg.svd(A)
    return Summary2x2(float(A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0]), lam, vec,
                      bool(np.all(np.abs(lam.imag) <= 1e-12)), U, s, Vt)


# -- vector and matrix operations of ML code ------------------------------------------------------------

def cross(a, b) -> np.ndarray:
    r"""Cross product of 3-vectors, batched (and broadcast) over leading axes.

    .. math:: a \times b = (a_2 b_3 - a_3 b_2,\; a_3 b_1 - a_1 b_3,\; a_1 b_2 - a_2 b_1),

    the vector orthogonal to :math:`a` and :math:`b` with length :math:`\lVert a\rVert\lVert b\rVert\sin\theta`
    (the area of their parallelogram), oriented by the right-hand rule.

    Parameters
    ----------
    a, b : array_like, shape (..., 3), broadcastable against each other

    Returns
    -------
    ndarray, shape (broadcast of the leading axes, 3)
    """
    a, b = as_array(a, "a"), as_array(b, "b")
    for name, v in (("a", a), ("b", b)):
        if v.ndim == 0 or v.shape[-1] != 3:
            raise ValueError(f"{name} must have 3 components in its last axis, got shape {v.shape}")
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"a and b must broadcast against each other, got shapes {a.shape} and {b.shape}") from None
    a1, a2, a3 = np.moveaxis(a, -1, 0)
    b1, b2, b3 = np.moveaxis(b, -1, 0)
    return np.stack(np.broadcast_arrays(a2 * b3 - a3 * b2, a3 * b1 - a1 * b3, a1 * b2 - a2 * b1), axis=-1)


def cosine_similarity(A, B) -> np.ndarray:
    r"""Pairwise cosine similarities of the rows of ``A`` and ``B``.

    .. math:: S_{ij} = \frac{a_i^\top b_j}{\lVert a_i\rVert\,\lVert b_j\rVert} = \cos\theta_{ij} \in [-1, 1],

    computed as one matrix product of the row-normalised inputs.

    Parameters
    ----------
    A : array_like, shape (p, d) (or (d,) for one vector)
    B : array_like, shape (q, d) (or (d,))

    Returns
    -------
    ndarray, shape (p, q)

    Raises
    ------
    ValueError
        If the dimensions differ or a row is zero (its angle is undefined).
    """
    A, B = np.atleast_2d(as_array(A, "A")), np.atleast_2d(as_array(B, "B"))
    for name, M in (("A", A), ("B", B)):
        if M.ndim != 2:
            raise ValueError(f"{name} must be 1- or 2-dimensional, got shape {M.shape}")
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"A and B need the same number of columns, got {A.shape} and {B.shape}")
    norms_A, norms_B = np.linalg.norm(A, axis=1, keepdims=True), np.linalg.norm(B, axis=1, keepdims=True)
    for name, norms in (("A", norms_A), ("B", norms_B)):
        if np.any(norms == 0):
            raise ValueError(f"{name} contains a zero row: its cosine similarity is undefined")
    return (A / norms_A) @ (B / norms_B).T


def linear_forward(X, W, b) -> np.ndarray:
    r"""A linear layer on a batch: :math:`Y = X W^\top + \mathbf{1} b^\top`, i.e. :math:`y_i = W x_i + b`.

    Parameters
    ----------
    X : array_like, shape (B, n), one input per row
    W : array_like, shape (m, n)
    b : array_like, shape (m,), broadcast over the rows

    Returns
    -------
    Y : ndarray, shape (B, m)
    """
    X, W, b = as_array(X, "X", ndim=2), as_array(W, "W", ndim=2), as_array(b, "b", ndim=1)
    if X.shape[1] != W.shape[1]:
        raise ValueError(f"X (B, n) and W (m, n) must share n, got X {X.shape}, W {W.shape}")
    if b.shape != (W.shape[0],):
        raise ValueError(f"b must have shape ({W.shape[0]},), one entry per row of W {W.shape}, got {b.shape}")
    return X @ W.T + b


@dataclass(frozen=True)
class LinearGrads:
    """Gradients of a loss through :func:`linear_forward` (see :func:`linear_backward`).

    Attributes
    ----------
    dX : ndarray, shape (B, n), like ``X``
    dW : ndarray, shape (m, n), like ``W``
    db : ndarray, shape (m,), like ``b``
    """

    dX: np.ndarray
    dW: np.ndarray
    db: np.ndarray


def linear_backward(X, W, G) -> LinearGrads:
    r"""Gradients of a scalar loss :math:`L` through :math:`Y = XW^\top + \mathbf{1}b^\top`, given
    :math:`G = \partial L / \partial Y`:

    .. math:: \frac{\partial L}{\partial X} = G W, \qquad \frac{\partial L}{\partial W} = G^\top X, \qquad
              \frac{\partial L}{\partial b} = G^\top \mathbf{1} \;(\text{the sum of } G \text{ over the batch}),

    each the shape of the variable it differentiates by.

    Parameters
    ----------
    X : array_like, shape (B, n)
    W : array_like, shape (m, n)
    G : array_like, shape (B, m)

    Returns
    -------
    LinearGrads
    """
    X, W, G = as_array(X, "X", ndim=2), as_array(W, "W", ndim=2), as_array(G, "G", ndim=2)
    if X.shape[1] != W.shape[1]:
        raise ValueError(f"X (B, n) and W (m, n) must share n, got X {X.shape}, W {W.shape}")
    if G.shape != (X.shape[0], W.shape[0]):
        raise ValueError(f"G must have shape (B, m) = {(X.shape[0], W.shape[0])} from X {X.shape} and W {W.shape}, "
                         f"got {G.shape}")
    return LinearGrads(G @ W, G.T @ X, G.sum(axis=0))


def matmul_loops(X, W) -> np.ndarray:
    r""":math:`XW^\top` by three explicit loops, :math:`(XW^\top)_{ij} = \sum_k x_{ik} w_{jk}` (for reading, not
    for use: each multiply-add is one interpreted Python step).

    Parameters
    ----------
    X : array_like, shape (B, n)
    W : array_like, shape (m, n)

    Returns
    -------
    ndarray, shape (B, m)
    """
    X, W = as_array(X, "X", ndim=2), as_array(W, "W", ndim=2)
    if X.shape[1] != W.shape[1]:
        raise ValueError(f"X (B, n) and W (m, n) must share n, got X {X.shape}, W {W.shape}")
    out = np.zeros((X.shape[0], W.shape[0]))
    for i in range(X.shape[0]):
        for j in range(W.shape[0]):
            for k in range(X.shape[1]):
                out[i, j] += X[i, k] * W[j, k]
    return out

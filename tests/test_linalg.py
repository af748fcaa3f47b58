"""mlsheet_utils.algorithms.linalg against numpy.linalg / scipy.linalg / scikit-learn over random shapes (numpy-ml
style), plus edge cases; and the 2x2 matrix explorer."""

import dataclasses

import numpy as np
import pytest
import scipy.linalg
from sklearn.metrics.pairwise import cosine_similarity as sk_cosine_similarity

from mlsheet_utils import explore as widgets
from mlsheet_utils.algorithms import linalg
from mlsheet_utils.explore import matrix

N_TRIALS = 25


def random_shape(rng, low=1, high=12, tall=False):
    m, n = (int(v) for v in rng.integers(low, high, size=2))
    return (max(m, n), min(m, n)) if tall else (m, n)


# -- Gram-Schmidt -------------------------------------------------------------------------------------

@pytest.mark.parametrize("classical", [False, True])
def test_gram_schmidt_matches_numpy_qr(classical):
    rng = np.random.default_rng(0)
    for _ in range(N_TRIALS):
        m, n = random_shape(rng, tall=True)
        A = rng.standard_normal((m, n)) * rng.uniform(0.1, 10)
        Q, R = linalg.gram_schmidt(A, classical=classical)
        Qr, Rr = np.linalg.qr(A)
        signs = np.sign(np.diag(Rr))                     # numpy's R may have negative diagonal entries
        np.testing.assert_allclose(Q, Qr * signs, atol=1e-9)
        np.testing.assert_allclose(R, Rr * signs[:, None], atol=1e-9 * np.abs(A).max())
        np.testing.assert_allclose(Q.T @ Q, np.eye(n), atol=1e-10)
        np.testing.assert_allclose(Q @ R, A, atol=1e-12 * np.abs(A).max() * m)
        assert np.all(np.diag(R) > 0) and np.allclose(np.tril(R, -1), 0)


def test_modified_gram_schmidt_is_more_orthogonal_than_classical():
    rng = np.random.default_rng(1)
    U, _ = np.linalg.qr(rng.standard_normal((40, 12)))
    V, _ = np.linalg.qr(rng.standard_normal((12, 12)))
    A = (U * np.logspace(0, -7, 12)) @ V.T                     # condition number 1e7
    loss = {c: np.linalg.norm(linalg.gram_schmidt(A, classical=c)[0].T @ linalg.gram_schmidt(A, classical=c)[0]
                              - np.eye(12)) for c in (False, True)}
    assert loss[False] < 1e-7 < loss[True]


def test_gram_schmidt_rejects_dependent_and_wide_and_nan():
    with pytest.raises(ValueError, match="linearly dependent.*column 2"):
        linalg.gram_schmidt(np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 2.0]]))
    with pytest.raises(ValueError, match="linearly dependent.*column 0"):
        linalg.gram_schmidt(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="at least as many rows"):
        linalg.gram_schmidt(np.ones((2, 3)))
    with pytest.raises(ValueError, match="A contains NaN"):
        linalg.gram_schmidt(np.array([[1.0], [np.nan]]))
    with pytest.raises(ValueError, match="A must be 2-dimensional"):
        linalg.gram_schmidt(np.ones(3))
    with pytest.raises(ValueError, match="rtol must be"):
        linalg.gram_schmidt(np.eye(2), rtol=0)


# -- determinant --------------------------------------------------------------------------------------

def test_det_gauss_matches_numpy_and_scipy():
    rng = np.random.default_rng(2)
    for _ in range(N_TRIALS):
        n = int(rng.integers(1, 15))
        A = rng.standard_normal((n, n)) * rng.uniform(0.2, 3)
        ours = linalg.det_gauss(A)
        assert ours == pytest.approx(np.linalg.det(A), rel=1e-9, abs=1e-12)
        assert ours == pytest.approx(scipy.linalg.det(A), rel=1e-9, abs=1e-12)


def test_slogdet_gauss_matches_numpy_without_overflow():
    rng = np.random.default_rng(8)
    for _ in range(N_TRIALS):
        n = int(rng.integers(1, 30))
        A = rng.standard_normal((n, n)) * rng.uniform(0.01, 100)
        sign, logdet = linalg.slogdet_gauss(A)
        ref_sign, ref_logdet = np.linalg.slogdet(A)
        assert sign == ref_sign and logdet == pytest.approx(ref_logdet, rel=1e-10, abs=1e-10)
    big = 10.0 * rng.standard_normal((200, 200))
    with np.errstate(over="ignore"):
        assert np.isinf(linalg.det_gauss(big)) and np.isinf(np.linalg.det(big))  # det overflows ...
    assert linalg.slogdet_gauss(big)[1] == pytest.approx(np.linalg.slogdet(big)[1], rel=1e-10)   # ... log does not
    assert linalg.slogdet_gauss(np.ones((3, 3))) == (0.0, -np.inf)


def test_det_gauss_sign_of_swaps_and_special_cases():
    P = np.eye(4)[[1, 0, 3, 2]]                       # two swaps: det +1
    assert linalg.det_gauss(P) == 1.0
    assert linalg.det_gauss(np.eye(3)[[1, 0, 2]]) == -1.0
    assert linalg.det_gauss(np.array([[0.0, 2.0], [3.0, 0.0]])) == pytest.approx(-6.0)
    assert linalg.det_gauss(np.array([[1.0, 2.0], [2.0, 4.0]])) == pytest.approx(0.0, abs=1e-15)
    assert linalg.det_gauss(np.zeros((3, 3))) == 0.0
    assert linalg.det_gauss(np.zeros((0, 0))) == 1.0 == np.linalg.det(np.zeros((0, 0)))


def test_det_gauss_validates():
    with pytest.raises(ValueError, match="A must be square"):
        linalg.det_gauss(np.ones((2, 3)))
    with pytest.raises(ValueError, match="A contains NaN"):
        linalg.det_gauss(np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="A must be square"):
        linalg.slogdet_gauss(np.ones((3, 1)))


# -- rank ---------------------------------------------------------------------------------------------

def test_matrix_rank_matches_numpy_on_low_rank_products():
    rng = np.random.default_rng(3)
    for _ in range(N_TRIALS):
        m, n = random_shape(rng, 1, 20)
        r = int(rng.integers(0, min(m, n) + 1))
        A = rng.standard_normal((m, r)) @ rng.standard_normal((r, n))
        assert linalg.matrix_rank(A) == np.linalg.matrix_rank(A) == r
        tol = float(rng.uniform(0, 2))
        assert linalg.matrix_rank(A, tol=tol) == np.linalg.matrix_rank(A, tol=tol)


def test_rank_tolerance_is_numpy_default():
    A = np.random.default_rng(4).standard_normal((7, 3))
    s = np.linalg.svd(A, compute_uv=False)
    assert linalg.rank_tolerance(s, A.shape) == s.max() * 7 * np.finfo(float).eps
    assert linalg.rank_tolerance(np.array([]), (0, 3)) == 0.0


def test_matrix_rank_edge_cases():
    assert linalg.matrix_rank(np.zeros((3, 4))) == 0
    assert linalg.matrix_rank(np.zeros((0, 4))) == 0
    assert linalg.matrix_rank(np.diag([1.0, 1e-20])) == 1          # tiny singular value below tolerance
    assert linalg.matrix_rank(np.diag([1.0, 1e-20]), tol=0) == 2
    with pytest.raises(ValueError, match="tol must be >= 0"):
        linalg.matrix_rank(np.eye(2), tol=-1.0)
    with pytest.raises(ValueError, match="A contains NaN"):
        linalg.matrix_rank(np.array([[np.nan]]))


# -- power iteration ----------------------------------------------------------------------------------

def test_power_iteration_matches_eigh_on_symmetric_matrices():
    rng = np.random.default_rng(5)
    for _ in range(N_TRIALS):
        n = int(rng.integers(1, 12))
        Qm, _ = np.linalg.qr(rng.standard_normal((n, n)))
        lam = rng.uniform(-1, 1, n)
        lam[0] = rng.choice([-1.0, 1.0]) * rng.uniform(2, 3)            # a clearly dominant eigenvalue
        A = (Qm * lam) @ Qm.T
        res = linalg.power_iteration(A, rng=rng, max_iter=5000, tol=1e-12)
        w, V = scipy.linalg.eigh(A)
        i = np.argmax(np.abs(w))
        assert res.converged
        assert res.value == pytest.approx(w[i], rel=1e-9, abs=1e-12)
        assert abs(res.vector @ V[:, i]) == pytest.approx(1.0, abs=1e-8)


def test_power_iteration_negative_dominant_and_nonsymmetric():
    A = np.array([[-3.0, 0.0], [0.0, 1.0]])
    res = linalg.power_iteration(A, x0=[1.0, 1.0])
    assert res.converged and res.value == pytest.approx(-3.0)
    B = np.array([[2.0, 1.0], [0.0, 1.0]])                           # eigenvalues 2, 1; not symmetric
    res = linalg.power_iteration(B, rng=0)
    assert res.converged and res.value == pytest.approx(2.0, rel=1e-9)
    assert np.linalg.norm(B @ res.vector - 2.0 * res.vector) < 1e-8


def test_power_iteration_reports_non_convergence_and_exact_null_vector():
    rot = np.array([[0.0, -1.0], [1.0, 0.0]])                         # eigenvalues +-i: same modulus
    res = linalg.power_iteration(rot, rng=0, max_iter=50)
    assert not res.converged and res.n_iter == 50 and res.residuals.shape == (50,)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.value = 1.0
    res = linalg.power_iteration(np.array([[0.0, 1.0], [0.0, 0.0]]), x0=[1.0, 0.0])
    assert res.converged and res.value == 0.0


@pytest.mark.parametrize("kwargs,match", [
    ({"A": np.ones((2, 3))}, "A must be square"),
    ({"A": np.zeros((0, 0))}, "A must not be empty"),
    ({"A": np.eye(2), "x0": [1.0, 0.0, 0.0]}, r"x0 must have shape \(2,\)"),
    ({"A": np.eye(2), "x0": [0.0, 0.0]}, "x0 must not be the zero vector"),
    ({"A": np.eye(2), "max_iter": 0}, "max_iter must be >= 1"),
    ({"A": np.eye(2), "tol": 0.0}, "tol must be > 0"),
    ({"A": np.array([[np.nan, 0.0], [0.0, 1.0]])}, "A contains NaN"),
])
def test_power_iteration_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        linalg.power_iteration(**kwargs)


# -- low-rank approximation ---------------------------------------------------------------------------

def test_low_rank_approx_error_is_eckart_young():
    rng = np.random.default_rng(6)
    for _ in range(N_TRIALS):
        m, n = random_shape(rng, 1, 15)
        A = rng.standard_normal((m, n))
        k = int(rng.integers(0, min(m, n) + 1))
        Ak = linalg.low_rank_approx(A, k)
        s = scipy.linalg.svdvals(A)
        assert Ak.shape == A.shape
        assert np.linalg.matrix_rank(Ak) == min(k, np.count_nonzero(s > 1e-12))
        assert np.linalg.norm(A - Ak) == pytest.approx(np.sqrt((s[k:] ** 2).sum()), abs=1e-10)
        assert np.linalg.norm(A - Ak, 2) == pytest.approx(s[k] if k < len(s) else 0.0, abs=1e-10)


def test_low_rank_approx_full_rank_and_zero_and_validation():
    A = np.random.default_rng(7).standard_normal((4, 6))
    np.testing.assert_allclose(linalg.low_rank_approx(A, 4), A, atol=1e-12)
    np.testing.assert_array_equal(linalg.low_rank_approx(A, 0), np.zeros_like(A))
    svd = linalg.truncated_svd(A, 2)
    assert svd.U.shape == (4, 2) and svd.s.shape == (2,) and svd.Vt.shape == (2, 6)
    np.testing.assert_allclose(svd.s, scipy.linalg.svdvals(A)[:2], rtol=1e-12)
    with pytest.raises(ValueError, match="k must be <= 4"):
        linalg.low_rank_approx(A, 5)
    with pytest.raises(ValueError, match="k must be an integer"):
        linalg.low_rank_approx(A, 1.5)
    with pytest.raises(ValueError, match="A contains NaN"):
        linalg.low_rank_approx(np.full((2, 2), np.nan), 1)


# -- least squares by QR ---------------------------------------------------------------------------------

def test_lstsq_qr_matches_numpy_lstsq():
    rng = np.random.default_rng(9)
    for _ in range(N_TRIALS):
        m, n = random_shape(rng, 1, 15, tall=True)
        A, b = rng.standard_normal((m, n)), rng.standard_normal(m)
        np.testing.assert_allclose(linalg.lstsq_qr(A, b), np.linalg.lstsq(A, b, rcond=None)[0],
                                   rtol=1e-9, atol=1e-10)


def test_lstsq_qr_keeps_accuracy_where_q_transpose_b_loses_it():
    rng = np.random.default_rng(10)
    U, _ = np.linalg.qr(rng.standard_normal((60, 10)))
    V, _ = np.linalg.qr(rng.standard_normal((10, 10)))
    A = (U * np.logspace(0, -6, 10)) @ V.T                         # condition number 1e6
    x = np.ones(10)
    assert np.linalg.norm(linalg.lstsq_qr(A, A @ x) - x) < 1e-8     # eps * kappa, not eps * kappa^2
    with pytest.raises(ValueError, match="b must have 60 entries"):
        linalg.lstsq_qr(A, np.ones(59))
    with pytest.raises(ValueError, match="linearly dependent"):
        linalg.lstsq_qr(np.ones((4, 2)), np.ones(4))


# -- rank by elimination --------------------------------------------------------------------------------------

def test_rank_gauss_matches_numpy_on_low_rank_products():
    rng = np.random.default_rng(12)
    for _ in range(N_TRIALS):
        m, n = random_shape(rng, 1, 20)
        r = int(rng.integers(0, min(m, n) + 1))
        A = rng.standard_normal((m, r)) @ rng.standard_normal((r, n))
        assert linalg.rank_gauss(A, rtol=1e-10) == np.linalg.matrix_rank(A) == r
    assert linalg.rank_gauss(np.zeros((0, 3))) == 0 and linalg.rank_gauss(np.zeros((2, 3))) == 0


def test_rank_gauss_misses_a_near_dependence_the_svd_sees():
    tri = np.eye(60) - np.triu(np.ones((60, 60)), 1)               # every pivot is 1, sigma_min ~ 1e-18
    assert linalg.rank_gauss(tri) == 60 and np.linalg.matrix_rank(tri) < 60
    with pytest.raises(ValueError, match="rtol must be >= 0"):
        linalg.rank_gauss(np.eye(2), rtol=-1.0)


# -- eigenpairs by deflation, SVD via eigh ---------------------------------------------------------------------

def test_top_eigh_matches_scipy_eigh():
    rng = np.random.default_rng(13)
    for _ in range(10):
        n = int(rng.integers(2, 9))
        Qm, _ = np.linalg.qr(rng.standard_normal((n, n)))
        lam = np.sign(rng.standard_normal(n)) * np.sort(rng.uniform(0.5, 5.0, n))[::-1] * 1.5 ** -np.arange(n)
        A = (Qm * lam) @ Qm.T
        k = int(rng.integers(1, n + 1))
        values, vectors = linalg.top_eigh(A, k, rng=rng)
        w, V = scipy.linalg.eigh(A)
        order = np.argsort(-np.abs(w))[:k]
        np.testing.assert_allclose(values, w[order], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(np.abs(np.sum(vectors * V[:, order], axis=0)), 1.0, atol=1e-6)


@pytest.mark.parametrize("A,k,match", [
    (np.array([[1.0, 2.0], [0.0, 1.0]]), 1, "symmetric"),
    (np.eye(3), 4, "k must be <= 3"),
    (np.diag([1.0, -1.0]), 1, "did not converge"),                 # equal modulus, opposite sign
])
def test_top_eigh_validates(A, k, match):
    with pytest.raises(ValueError, match=match):
        linalg.top_eigh(A, k)


def test_svd_via_eigh_matches_scipy_svd():
    rng = np.random.default_rng(14)
    for _ in range(N_TRIALS):
        m, n = random_shape(rng, 1, 15, tall=True)
        A = rng.standard_normal((m, n))
        ours = linalg.svd_via_eigh(A)
        U, s, Vt = scipy.linalg.svd(A, full_matrices=False)
        signs = np.sign(np.sum(ours.Vt * Vt, axis=1))
        np.testing.assert_allclose(ours.s, s, rtol=1e-9)
        np.testing.assert_allclose(ours.Vt * signs[:, None], Vt, atol=1e-6)
        np.testing.assert_allclose(ours.U * signs, U, atol=1e-6)


def test_svd_via_eigh_validates():
    with pytest.raises(ValueError, match="rank-deficient"):
        linalg.svd_via_eigh(np.ones((4, 2)))
    with pytest.raises(ValueError, match="at least as many rows"):
        linalg.svd_via_eigh(np.ones((2, 3)))


def test_describe_2x2_in_closed_form():
    rng = np.random.default_rng(15)
    for _ in range(N_TRIALS):
        (a, b), (c, d) = A = rng.uniform(-2, 2, (2, 2))
        info = linalg.describe_2x2(A)
        assert info.det == pytest.approx(a * d - b * c, abs=1e-14)
        disc = (a - d) ** 2 + 4 * b * c                        # roots of lambda^2 - (a + d) lambda + ad - bc
        roots = ((a + d) + np.array([1, -1]) * np.sqrt(complex(disc))) / 2
        np.testing.assert_allclose(np.sort_complex(info.eigvals), np.sort_complex(roots), atol=1e-10)
        assert info.real == (disc >= 0)
        np.testing.assert_allclose(info.s, scipy.linalg.svdvals(A), rtol=1e-12)


# -- vector and matrix operations -------------------------------------------------------------------------------

def test_cross_matches_numpy_with_broadcasting():
    rng = np.random.default_rng(16)
    U, V = rng.standard_normal((7, 3)), rng.standard_normal((7, 3))
    np.testing.assert_allclose(linalg.cross(U, V), np.cross(U, V), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(linalg.cross(U[:, None], V[None, :4]), np.cross(U[:, None], V[None, :4]),
                               rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="b must have 3 components"):
        linalg.cross(np.ones(3), np.ones(4))


def test_cosine_similarity_matches_scikit_learn():
    rng = np.random.default_rng(17)
    A, B = rng.standard_normal((9, 5)), rng.standard_normal((4, 5))
    np.testing.assert_allclose(linalg.cosine_similarity(A, B), sk_cosine_similarity(A, B), rtol=1e-12, atol=1e-14)
    assert linalg.cosine_similarity(A[0], B).shape == (1, 4)
    with pytest.raises(ValueError, match="B contains a zero row"):
        linalg.cosine_similarity(A, np.zeros((1, 5)))
    with pytest.raises(ValueError, match="same number of columns"):
        linalg.cosine_similarity(A, B[:, :3])


def test_linear_layer_gradients_match_central_differences():
    rng = np.random.default_rng(18)
    X, W, b, G = rng.standard_normal((5, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3), \
        rng.standard_normal((5, 3))
    np.testing.assert_allclose(linalg.linear_forward(X, W, b), np.einsum("bi,mi->bm", X, W) + b, rtol=1e-12)
    grads = linalg.linear_backward(X, W, G)
    h = 1e-6
    for name, arr, grad in (("X", X, grads.dX), ("W", W, grads.dW), ("b", b, grads.db)):
        numeric = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):                  # L = sum(G * Y) is linear: central differences are exact
            plus, minus = arr.copy(), arr.copy()
            plus[idx] += h
            minus[idx] -= h
            args = {"X": X, "W": W, "b": b}
            loss = [np.sum(G * linalg.linear_forward(**{**args, name: v})) for v in (plus, minus)]
            numeric[idx] = (loss[0] - loss[1]) / (2 * h)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8, err_msg=name)
    with pytest.raises(ValueError, match="G must have shape"):
        linalg.linear_backward(X, W, G[:, :2])
    with pytest.raises(ValueError, match="b must have shape"):
        linalg.linear_forward(X, W, np.ones(4))


def test_matmul_loops_matches_matmul():
    rng = np.random.default_rng(19)
    X, W = rng.standard_normal((4, 6)), rng.standard_normal((3, 6))
    np.testing.assert_allclose(linalg.matmul_loops(X, W), X @ W.T, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="must share n"):
        linalg.matmul_loops(X, W[:, :5])


# -- the 2x2 explorer ---------------------------------------------------------------------------------

@pytest.mark.parametrize("overlay", ["det", "eig", "svd", "all"])
def test_matrix_explorer_sweeps_without_errors(overlay):
    ex = matrix.matrix_explorer(overlay=overlay)
    records = ex.sweep()
    assert not any(r.unexpected for r in records)


def test_matrix_explorer_captions():
    ex = matrix.matrix_explorer(overlay="all")
    ex.set(a=0.0, b=-1.0, c=1.0, d=0.0)
    assert "complex eigenvalues" in ex.caption and "no real eigenvectors" in ex.caption
    ex.set(a=1.0, b=2.0, c=0.5, d=1.0)
    assert "det = ad - bc = +0.00" in ex.caption and "condition number infinite" in ex.caption
    ex.set(a=1.0, b=0.0, c=0.0, d=-1.0)
    assert "orientation flipped" in ex.caption
    ex.set(a=2.0, b=1.0, c=-2.0, d=0.0, symmetric=True)                # c is replaced by b
    assert "[1.00, 0.00]]" in ex.caption and "complex" not in ex.caption
    with pytest.raises(ValueError, match="overlay must be one of"):
        matrix.matrix_explorer(overlay="trace")
    with pytest.raises(ValueError, match="value must be 4 numbers"):
        matrix.matrix_explorer(value=(3, 0, 0, 1))
    with pytest.raises(ValueError, match="A must be 2x2"):
        linalg.describe_2x2(np.eye(3))
    assert isinstance(ex, widgets.Explorer)


def test_matrix_explorer_axes_stay_fixed_and_hold_the_widest_picture():
    ex = matrix.matrix_explorer(overlay="all")
    limits = [ax.get_xlim() + ax.get_ylim() for ax in ex.fig.axes]
    ex.set(a=2.0, b=2.0, c=2.0, d=2.0)             # the widest setting: A = 2 * ones, sigma_1 = 4, corner (4, 4)
    assert [ax.get_xlim() + ax.get_ylim() for ax in ex.fig.axes] == limits
    picture = ex.result()
    assert picture.summary.s[0] == pytest.approx(4.0) and np.abs(picture.square).max() == pytest.approx(4.0)
    assert all(lo <= -4.0 and hi >= 4.0 for lim in limits for lo, hi in (lim[:2], lim[2:]))
    misses = ex.cache_misses
    ex.set(overlay="eig")                           # a display option: no new computation
    assert ex.cache_misses == misses

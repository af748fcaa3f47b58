"""mlsheet_utils.algorithms.decomposition against SciPy, NumPy and scikit-learn over seeded random problems
(numpy-ml style), closed forms (Eckart-Young, ridge regression), and bad input."""

import warnings

import numpy as np
import pytest
import scipy.linalg
from sklearn.decomposition import NMF
from sklearn.decomposition import PCA as SkPCA
from sklearn.linear_model import Ridge

from mlsheet_utils.algorithms import decomposition as dec

N_TRIALS = 12


# -- LU, Cholesky, QR, least squares ---------------------------------------------------------------------------

def test_lu_matches_scipy_over_random_matrices():
    rng = np.random.default_rng(0)
    for _ in range(N_TRIALS):
        n = int(rng.integers(1, 15))
        A = rng.standard_normal((n, n)) * rng.uniform(0.1, 10)
        f = dec.lu(A)
        P, L, U = scipy.linalg.lu(A)                       # A = P L U, so our P (P A = L U) is P.T
        np.testing.assert_array_equal(f.P, P.T)
        np.testing.assert_allclose(f.L, L, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(f.U, U, rtol=1e-10, atol=1e-12 * np.abs(A).max())
        b = rng.standard_normal((n, 3))
        np.testing.assert_allclose(dec.lu_solve(f, b), scipy.linalg.solve(A, b), rtol=1e-8, atol=1e-10)


def test_lu_of_a_singular_matrix_with_pivoting():
    A = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    f = dec.lu(A)
    np.testing.assert_allclose(f.P @ A, f.L @ f.U, atol=1e-14)
    assert np.isclose(np.prod(np.diag(f.U)), 0.0)
    with pytest.raises(ValueError, match="singular"):
        dec.lu_solve(f, np.ones(3))


def test_lu_without_pivoting_fails_on_the_swap_matrix():
    with pytest.raises(ValueError, match="zero pivot"):
        dec.lu(np.array([[0.0, 1.0], [1.0, 0.0]]), pivoting=False)
    A = np.array([[2.0, 1.0], [4.0, 3.0]])                # no swap needed: the unpivoted factors are exact
    f = dec.lu(A, pivoting=False)
    np.testing.assert_array_equal(f.perm, [0, 1])
    np.testing.assert_allclose(f.L @ f.U, A, atol=1e-15)


def test_cholesky_matches_numpy():
    rng = np.random.default_rng(1)
    for _ in range(N_TRIALS):
        n = int(rng.integers(1, 12))
        B = rng.standard_normal((n + 3, n))
        A = B.T @ B + 0.1 * np.eye(n)
        np.testing.assert_allclose(dec.cholesky(A), np.linalg.cholesky(A), rtol=1e-10, atol=1e-12)


def test_cholesky_rejects_indefinite_and_asymmetric():
    with pytest.raises(ValueError, match="positive definite"):
        dec.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="symmetric"):
        dec.cholesky(np.array([[1.0, 0.5], [0.0, 1.0]]))


@pytest.mark.parametrize("mode", ["reduced", "complete"])
def test_householder_qr_matches_numpy_signs_included(mode):
    rng = np.random.default_rng(2)
    for _ in range(N_TRIALS):
        m, n = (int(v) for v in rng.integers(1, 12, size=2))
        A = rng.standard_normal((m, n))
        f = dec.householder_qr(A, mode=mode)
        Q, R = np.linalg.qr(A, mode=mode)
        np.testing.assert_allclose(f.Q, Q, atol=1e-12)
        np.testing.assert_allclose(f.R, R, atol=1e-12)


@pytest.mark.parametrize("method", ["normal", "qr", "svd"])
def test_least_squares_matches_numpy_lstsq(method):
    rng = np.random.default_rng(3)
    for _ in range(N_TRIALS):
        n = int(rng.integers(1, 8))
        m = n + int(rng.integers(0, 20))
        A, b = rng.standard_normal((m, n)), rng.standard_normal(m)
        ref = np.linalg.lstsq(A, b, rcond=None)[0]
        np.testing.assert_allclose(dec.solve_least_squares(A, b, method=method), ref, rtol=1e-7, atol=1e-9)


def test_least_squares_svd_gives_the_minimum_norm_solution_when_rank_deficient():
    rng = np.random.default_rng(4)
    A = rng.standard_normal((20, 3)) @ rng.standard_normal((3, 6))       # rank 3, six columns
    b = rng.standard_normal(20)
    np.testing.assert_allclose(dec.solve_least_squares(A, b, method="svd"), np.linalg.pinv(A) @ b, atol=1e-10)


@pytest.mark.parametrize("call,match", [
    (lambda: dec.lu(np.ones((2, 3))), "square"),
    (lambda: dec.lu([[1.0, np.nan], [0.0, 1.0]]), "NaN"),
    (lambda: dec.lu(np.eye(2), pivoting="yes"), "pivoting"),
    (lambda: dec.lu_solve(np.eye(2), np.ones(2)), "LUResult"),
    (lambda: dec.lu_solve(dec.lu(np.eye(2)), np.ones(3)), "shape"),
    (lambda: dec.householder_qr(np.eye(2), mode="economic"), "mode"),
    (lambda: dec.solve_least_squares(np.ones((2, 3)), np.ones(2), method="qr"), "rows"),
    (lambda: dec.solve_least_squares(np.eye(3), np.ones(2)), "entries"),
    (lambda: dec.solve_least_squares(np.eye(3), np.ones(3), method="lu"), "method"),
    (lambda: dec.solve_least_squares(np.ones((4, 2)), np.ones(4), method="qr"), "rank-deficient"),
])
def test_factorisations_validate(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# -- PCA ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["svd", "eigh", "gram"])
def test_pca_matches_sklearn_over_random_data(method):
    rng = np.random.default_rng(5)
    for _ in range(N_TRIALS):
        n, d = int(rng.integers(5, 60)), int(rng.integers(1, 8))
        X = rng.standard_normal((n, d)) @ rng.standard_normal((d, d)) + rng.normal(0, 5, d)
        k = int(rng.integers(1, min(n, d) + 1))
        ours = dec.pca_fit(X, k, method=method)
        ref = SkPCA(k, svd_solver="full").fit(X)
        tol = 1e-7 if method == "svd" else 1e-5            # the eigh routes square the condition number
        np.testing.assert_allclose(ours.components, ref.components_, atol=tol)
        np.testing.assert_allclose(ours.explained_variance, ref.explained_variance_, rtol=1e-9,
                                   atol=1e-12 * ref.explained_variance_[0])
        np.testing.assert_allclose(ours.explained_variance_ratio, ref.explained_variance_ratio_, atol=1e-12)
        np.testing.assert_allclose(ours.singular_values, ref.singular_values_, rtol=1e-9,
                                   atol=1e-9 * ref.singular_values_[0])
        np.testing.assert_allclose(dec.pca_transform(ours, X), ref.transform(X), atol=tol * 100)


@pytest.mark.parametrize("whiten", [False, True])
def test_pca_estimator_transform_and_inverse_match_sklearn(whiten):
    rng = np.random.default_rng(6)
    X = rng.standard_normal((80, 5)) @ rng.standard_normal((5, 5))
    ours = dec.PCA(3, whiten=whiten).fit(X)
    ref = SkPCA(3, whiten=whiten, svd_solver="full").fit(X)
    Z = ours.transform(X)
    np.testing.assert_allclose(Z, ref.transform(X), atol=1e-10)
    np.testing.assert_allclose(ours.inverse_transform(Z), ref.inverse_transform(ref.transform(X)), atol=1e-10)
    if whiten:
        np.testing.assert_allclose(np.cov(Z.T), np.eye(3), atol=1e-10)


def test_pca_n_components_by_variance_matches_sklearn():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((100, 10)) * np.logspace(0, -1.5, 10)
    for t in (0.5, 0.8, 0.9, 0.99):
        assert dec.pca_fit(X, t).components.shape[0] == SkPCA(t, svd_solver="full").fit(X).n_components_


def test_reconstruction_error_is_the_variance_left_out():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((40, 6)) @ rng.standard_normal((6, 6))
    n = len(X)
    full = dec.pca_fit(X)
    for k in range(7):
        err = dec.reconstruction_error(dec.pca_fit(X, k), X)
        assert err == pytest.approx((n - 1) / n * full.explained_variance[k:].sum(), rel=1e-9, abs=1e-12)


def test_pca_gram_route_for_wide_data_matches_sklearn():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((20, 300))
    ours = dec.pca_fit(X, 19, method="gram")              # centred rank is n - 1 = 19
    ref = SkPCA(19, svd_solver="full").fit(X)
    np.testing.assert_allclose(ours.components, ref.components_, atol=1e-9)
    with pytest.raises(ValueError, match="zero singular value"):
        dec.pca_fit(X, 20, method="gram")


@pytest.mark.parametrize("call,match", [
    (lambda: dec.pca_fit(np.ones(5)), "2-dimensional"),
    (lambda: dec.pca_fit(np.ones((1, 3))), "at least 2 rows"),
    (lambda: dec.pca_fit(np.ones((5, 3))), "no spread"),
    (lambda: dec.pca_fit(np.eye(4), 5), "n_components must be <= 4"),
    (lambda: dec.pca_fit(np.eye(4), -1), "n_components must be >= 0"),
    (lambda: dec.pca_fit(np.eye(4), method="power"), "method"),
    (lambda: dec.pca_fit(np.eye(4), center="yes"), "center"),
    (lambda: dec.pca_transform(dec.pca_fit(np.eye(4)), np.ones((2, 3))), "columns"),
    (lambda: dec.pca_inverse_transform(dec.pca_fit(np.eye(4), 2), np.ones((2, 3))), "components"),
    (lambda: dec.pca_transform("fit", np.ones((2, 3))), "PCAFit"),
    (lambda: dec.n_components_for_variance([0.5, 0.2], 0.5), "sum to 1"),
    (lambda: dec.n_components_for_variance([0.5, 0.5], 1.0), "threshold"),
    (lambda: dec.PCA().transform(np.eye(2)), "not fitted"),
])
def test_pca_validates(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# -- NMF ---------------------------------------------------------------------------------------------------------

def test_nmf_matches_sklearn_multiplicative_updates_from_the_same_start():
    rng = np.random.default_rng(10)
    for _ in range(4):
        n, d, k = int(rng.integers(5, 30)), int(rng.integers(5, 30)), int(rng.integers(1, 5))
        X = np.abs(rng.standard_normal((n, d)))
        W0, H0 = np.abs(rng.standard_normal((n, k))), np.abs(rng.standard_normal((k, d)))
        ours = dec.nmf(X, k, n_iter=50, init=(W0, H0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")                   # it warns that 50 iterations did not converge
            ref = NMF(k, init="custom", solver="mu", max_iter=50, tol=0)
            W = ref.fit_transform(X, W=W0.copy(), H=H0.copy())
        np.testing.assert_allclose(ours.W, W, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(ours.H, ref.components_, rtol=1e-8, atol=1e-12)
        assert ours.errors[-1] == pytest.approx(ref.reconstruction_err_, rel=1e-10)
        assert np.all(np.diff(ours.errors) <= 1e-12 * ours.errors[0])     # Lee-Seung: never increases


@pytest.mark.parametrize("call,match", [
    (lambda: dec.nmf(-np.ones((3, 3)), 1), "non-negative"),
    (lambda: dec.nmf(np.ones((3, 3)), 0), "k must be >= 1"),
    (lambda: dec.nmf(np.ones((3, 3)), 1, init=(np.ones((3, 2)), np.ones((2, 3)))), "shapes"),
    (lambda: dec.nmf(np.ones((3, 3)), 1, init=(-np.ones((3, 1)), np.ones((1, 3)))), "non-negative"),
    (lambda: dec.nmf(np.ones((3, 3)), 1, rng=-1), "rng"),
])
def test_nmf_validates(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# -- ALS ---------------------------------------------------------------------------------------------------------

def _partly_observed(rng, m=30, n=20, k=2, frac=0.5):
    R = 3 + rng.standard_normal((m, k)) @ rng.standard_normal((k, n)) + 0.3 * rng.standard_normal((m, n))
    return R, np.where(rng.random((m, n)) < frac, R, np.nan)


@pytest.mark.parametrize("biases", [False, True])
def test_als_half_steps_are_ridge_regressions(biases):
    rng = np.random.default_rng(11)
    R, Rm = _partly_observed(rng)
    obs = ~np.isnan(Rm)
    Q0 = rng.standard_normal((R.shape[1], 2))
    res = dec.als(Rm, 2, reg=0.7, n_iter=1, init=Q0, biases=biases)
    mu = np.nanmean(Rm)
    for u in range(R.shape[0]):                  # rows: features (q_i, 1), targets r - mu (item biases start at 0)
        F = np.column_stack([Q0, np.ones(len(Q0))]) if biases else Q0
        coef = Ridge(alpha=0.7, fit_intercept=False).fit(F[obs[u]], R[u, obs[u]] - mu).coef_
        np.testing.assert_allclose(coef[:2], res.user_factors[u], atol=1e-10)
        if biases:
            assert coef[2] == pytest.approx(res.user_bias[u], abs=1e-10)
    P, b = res.user_factors, res.user_bias
    for i in range(R.shape[1]):
        F = np.column_stack([P, np.ones(len(P))]) if biases else P
        coef = Ridge(alpha=0.7, fit_intercept=False).fit(F[obs[:, i]], R[obs[:, i], i] - mu - b[obs[:, i]]).coef_
        np.testing.assert_allclose(coef[:2], res.item_factors[i], atol=1e-10)


def test_als_fully_observed_without_penalty_reaches_eckart_young():
    rng = np.random.default_rng(12)
    R, _ = _partly_observed(rng)
    res = dec.als(R, 2, reg=0.0, n_iter=100, biases=False, rng=0)
    U, s, Vt = np.linalg.svd(R - R.mean(), full_matrices=False)
    np.testing.assert_allclose(res.matrix(), R.mean() + (U[:, :2] * s[:2]) @ Vt[:2], atol=1e-8)
    assert np.all(np.diff(res.objective) <= 1e-9 * res.objective[0])


def test_als_continues_a_run_and_handles_cold_rows():
    rng = np.random.default_rng(13)
    _, Rm = _partly_observed(rng)
    Rm[0] = np.nan                                          # a row with no observation at all
    whole = dec.als(Rm, 2, reg=0.5, n_iter=6, rng=3)
    part = dec.als(Rm, 2, reg=0.5, n_iter=2, rng=3)
    rest = dec.als(Rm, 2, reg=0.5, n_iter=4, init=part)
    np.testing.assert_allclose(rest.matrix(), whole.matrix(), atol=1e-12)
    np.testing.assert_allclose(whole.user_factors[0], 0.0, atol=1e-15)
    np.testing.assert_allclose(whole.matrix()[0], whole.mean + whole.item_bias, atol=1e-12)
    np.testing.assert_allclose(whole.predict([1, 2], [3, 4]), whole.matrix()[[1, 2], [3, 4]], atol=1e-12)


@pytest.mark.parametrize("call,match", [
    (lambda: dec.als(np.full((3, 3), np.nan), 1), "no observed"),
    (lambda: dec.als(np.array([[1.0, np.inf]]), 1), "infinite"),
    (lambda: dec.als(np.ones((3, 3)), 0, biases=False), "k must be >= 1"),
    (lambda: dec.als(np.ones((3, 3)), 1, reg=-1.0), "reg"),
    (lambda: dec.als(np.ones((3, 3)), 1, n_iter=0), "n_iter"),
    (lambda: dec.als(np.ones((3, 3)), 1, init=np.ones((2, 1))), "init"),
    (lambda: dec.als(np.ones((3, 3)), 1, biases=1), "biases"),
    (lambda: dec.als(np.ones((3, 3)), 3, reg=0.0, biases=False, init=np.ones((3, 3))), "singular"),
])
def test_als_validates(call, match):
    with pytest.raises(ValueError, match=match):
        call()

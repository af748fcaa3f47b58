import numpy as np
import pytest
from sklearn.metrics import pairwise

from mlsheet_utils.algorithms import kernels


def test_kernels_match_sklearn_over_random_inputs():
    """Gold-standard comparison over randomly drawn shapes and parameters."""
    rng = np.random.default_rng(7)
    for _ in range(10):
        n, m, d = (int(v) for v in rng.integers(1, 30, size=3))
        X, Y = rng.standard_normal((n, d)) * rng.uniform(0.2, 3.0), rng.standard_normal((m, d))
        gamma, coef0, degree = rng.uniform(0.05, 2.0), rng.uniform(0.0, 2.0), int(rng.integers(1, 5))
        np.testing.assert_allclose(kernels.linear_kernel(X, Y), pairwise.linear_kernel(X, Y), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(kernels.polynomial_kernel(X, Y, degree=degree, coef0=coef0, gamma=gamma),
                                   pairwise.polynomial_kernel(X, Y, degree=degree, coef0=coef0, gamma=gamma),
                                   rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose(kernels.rbf_kernel(X, Y, gamma=gamma), pairwise.rbf_kernel(X, Y, gamma=gamma),
                                   rtol=1e-10, atol=1e-14)
        for name in kernels.KERNELS:
            ref = pairwise.pairwise_kernels(X, Y, metric=name, **({} if name == "linear" else {"gamma": gamma}),
                                            **({"degree": degree, "coef0": coef0} if name == "poly" else {}))
            np.testing.assert_allclose(kernels.kernel_matrix(X, Y, kernel=name, gamma=gamma, degree=degree,
                                                             coef0=coef0), ref, rtol=1e-10, atol=1e-12)


def test_gram_matrices_are_symmetric_psd():
    X = np.random.default_rng(0).standard_normal((25, 3))
    for K in (kernels.linear_kernel(X), kernels.polynomial_kernel(X, degree=3), kernels.rbf_kernel(X, gamma=0.5)):
        np.testing.assert_allclose(K, K.T, atol=1e-12)
        assert np.linalg.eigvalsh(K).min() > -1e-8 * np.abs(K).max()
    np.testing.assert_allclose(np.diag(kernels.rbf_kernel(X)), 1.0)


def test_rbf_gamma_is_one_over_two_sigma_squared():
    x, z, sigma = np.array([[0.3, -1.0]]), np.array([[1.1, 0.4]]), 0.7
    expected = np.exp(-np.sum((x - z) ** 2) / (2 * sigma**2))
    assert kernels.rbf_kernel(x, z, gamma=1 / (2 * sigma**2))[0, 0] == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("call,match", [
    (lambda: kernels.linear_kernel(np.ones(3)), "X must be 2-dimensional"),
    (lambda: kernels.linear_kernel(np.ones((2, 3)), np.ones((2, 2))), "same number of columns"),
    (lambda: kernels.rbf_kernel(np.ones((2, 2)), gamma=0.0), "gamma must be > 0"),
    (lambda: kernels.rbf_kernel([[np.nan, 1.0]]), "NaN"),
    (lambda: kernels.polynomial_kernel(np.ones((2, 2)), degree=0), "degree must be >= 1"),
    (lambda: kernels.polynomial_kernel(np.ones((2, 2)), degree=2.5), "degree must be an integer"),
    (lambda: kernels.kernel_matrix(np.ones((2, 2)), kernel="sigmoid"), "kernel must be one of"),
])
def test_kernels_validate(call, match):
    with pytest.raises(ValueError, match=match):
        call()

"""mlsheet_utils.algorithms.probability.mcmc against closed forms and SciPy."""

import numpy as np
import pytest
from scipy import signal

from mlsheet_utils.algorithms.probability import mcmc


def test_synchronous_sampler_is_two_independent_ar1_chains():
    rho, n = 0.6, 300
    path = mcmc.synchronous_bivariate_normal(rho, n, rng=4, x0=(1.0, -1.0))
    e = np.random.default_rng(4).standard_normal((n, 2)) * np.sqrt(1 - rho**2)
    even = np.arange(n) % 2 == 0
    p = signal.lfilter([1.0], [1.0, -rho], np.where(even, e[:, 1], e[:, 0]), zi=[rho * 1.0])[0]
    q = signal.lfilter([1.0], [1.0, -rho], np.where(even, e[:, 0], e[:, 1]), zi=[rho * -1.0])[0]
    np.testing.assert_allclose(path[1:], np.column_stack([np.where(even, q, p), np.where(even, p, q)]),
                               rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="rho"):
        mcmc.synchronous_bivariate_normal(1.0, 5)


def test_var1_standard_errors_reduce_to_iid_formulas():
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    se_mean, se_cov = mcmc.var1_standard_errors(np.zeros((2, 2)), cov, 400)
    np.testing.assert_allclose(se_mean, np.sqrt(np.diag(cov) / 400), rtol=1e-14)
    expected = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / 400)   # Var of a Gaussian sample cov
    np.testing.assert_allclose(se_cov, expected, rtol=1e-14)
    se_ar, _ = mcmc.var1_standard_errors(np.array([[0.5]]), np.array([[1.0]]), 100, max_lag=400)
    assert se_ar[0] == pytest.approx(np.sqrt((1 + 0.5) / (1 - 0.5) / 100), rel=1e-10)   # AR(1) long-run variance


def test_coordinate_kernel_is_stochastic_and_reversible():
    p = np.array([0.1, 0.2, 0.3, 0.4])
    for coord in (0, 1):
        K = mcmc.coordinate_kernel(p, coord)
        np.testing.assert_allclose(K.sum(1), 1.0, rtol=1e-14)
        np.testing.assert_allclose(p @ K, p, rtol=1e-14)
        D = np.diag(p) @ K
        np.testing.assert_allclose(D, D.T, rtol=1e-14)
    assert mcmc.coordinate_kernel([1.0, 0, 0, 0], 1)[2, 2] == 1.0        # a conditional with no mass stays put
    with pytest.raises(ValueError, match="4 probabilities"):
        mcmc.coordinate_kernel([0.5, 0.5], 0)


def test_total_variation():
    assert mcmc.total_variation([0.5, 0.5, 0.0], [0.0, 0.5, 0.5]) == pytest.approx(0.5)
    assert mcmc.total_variation([1.0, 0.0], [1.0, 0.0]) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        mcmc.total_variation([1.0], [0.5, 0.5])

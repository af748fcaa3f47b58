"""Tied gradients against JAX autodiff; the Toeplitz map and the fits against SciPy and scikit-learn."""

import numpy as np
import pytest
from scipy.linalg import toeplitz
from scipy.signal import correlate
from sklearn.linear_model import LinearRegression

from mlsheet_utils.algorithms.nn import tying

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jax.config.update("jax_enable_x64", True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rnn_tied_gradient_matches_jax(seed):
    g = np.random.default_rng(seed)
    T, H, d = 3 + seed, 2 + seed, 2
    W_h, W_x = g.normal(0, 0.5, (H, H)), g.standard_normal((d, H))
    xs, R, h0 = g.standard_normal((T, d)), g.standard_normal((T, H)), g.standard_normal(H)

    def loss(W_steps):
        h, total = jnp.asarray(h0), 0.0
        for t in range(T):
            h = jnp.tanh(h @ W_steps[t] + xs[t] @ W_x)
            total = total + jnp.dot(R[t], h)
        return total

    ours = tying.rnn_tied_gradient(W_h, W_x, xs, R, h0)
    copies = np.asarray(jax.grad(loss)(jnp.asarray(np.stack([W_h] * T))))
    tied = np.asarray(jax.grad(lambda W: loss(jnp.stack([W] * T)))(jnp.asarray(W_h)))
    np.testing.assert_allclose(ours.per_step, copies, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.total, tied, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.loss, float(loss(jnp.stack([W_h] * T))), rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_toeplitz_and_untie_against_scipy_and_jax(seed):
    g = np.random.default_rng(seed)
    n, k = 7 + seed, 1 + 2 * seed
    w, X = g.standard_normal(k), g.standard_normal((4, n))
    M = tying.toeplitz_matrix(w, n)
    M_ref = toeplitz(np.r_[w, np.zeros(n - k)], np.r_[w[0], np.zeros(n - k)])
    np.testing.assert_allclose(M, M_ref, rtol=0, atol=0)
    np.testing.assert_allclose(X @ M, np.stack([correlate(x, w, mode="valid") for x in X]), rtol=1e-12, atol=1e-12)
    R = g.standard_normal((4, n - k + 1))
    win = np.lib.stride_tricks.sliding_window_view(X, k, axis=1)
    ref = jax.grad(lambda w_: jnp.sum(R * (jnp.asarray(win) @ w_)))(jnp.asarray(w))
    np.testing.assert_allclose(tying.untie_gradient(X.T @ R, k), ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_fits_against_sklearn_and_pinv(seed):
    g = np.random.default_rng(seed)
    n, k = 9, 3
    X = g.standard_normal((5, n))
    Y = g.standard_normal((5, n - k + 1))
    win = np.lib.stride_tricks.sliding_window_view(X, k, axis=1).reshape(-1, k)
    sk = LinearRegression(fit_intercept=False).fit(win, Y.reshape(-1)).coef_
    np.testing.assert_allclose(tying.fit_tied(X, Y, k), sk, rtol=1e-9)
    np.testing.assert_allclose(tying.fit_untied(X, Y), np.linalg.pinv(X) @ Y, rtol=1e-8, atol=1e-10)


def test_experiment_tied_beats_untied_with_few_signals():
    e = tying.tying_experiment([2, 4], n=16, k=3, noise=0.1, rng=1)
    assert e.tied_params == 3 and e.untied_params == 16 * 14
    assert np.all(e.tied_mse < e.untied_mse) and np.all(e.tied_mse < 2 * 0.1**2)


def test_bad_inputs():
    with pytest.raises(ValueError, match="W_h"):
        tying.rnn_tied_gradient(np.ones((2, 3)), np.ones((1, 2)), np.ones((3, 1)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="R"):
        tying.rnn_tied_gradient(np.eye(2), np.ones((1, 2)), np.ones((3, 1)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="n"):
        tying.toeplitz_matrix(np.ones(4), 3)
    with pytest.raises(ValueError, match="G"):
        tying.untie_gradient(np.ones((5, 5)), 2)
    with pytest.raises(ValueError, match="k"):
        tying.fit_tied(np.ones((2, 4)), np.ones((2, 1)), 5)
    with pytest.raises(ValueError, match="n_train"):
        tying.tying_experiment([0, 3])
    with pytest.raises(ValueError, match="noise"):
        tying.tying_experiment([3], noise=-1.0)

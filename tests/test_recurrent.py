"""Recurrent layers of mlsheet_utils.algorithms.nn.recurrent against equinox cells (LSTM, GRU) and a JAX Elman
scan, with the same weights, over seeded random shapes; BPTT against jax.vjp; bad inputs.

The references are unrolled with ``jax.lax.scan``; weight layouts are mapped as in the module docstring
(``weight_ih = W_x.T``, ``weight_hh = W_h.T``, ``bias = b``, GRU ``bias_n = b_hn``).
"""

import jax

jax.config.update("jax_enable_x64", True)

import equinox as eqx  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mlsheet_utils.algorithms.nn import recurrent as rec  # noqa: E402

RTOL, ATOL = 1e-10, 1e-12


def _scan(cell, x, init, out):
    def run(xs):
        return jax.lax.scan(lambda s, xt: (cell(xt, s), out(cell(xt, s))), init, xs)[1]
    return jax.vmap(run)(x)


def jax_layer(layer, n_in, H):
    key = jax.random.key(0)
    if isinstance(layer, rec.LSTM):
        def f(x, p):
            cell = eqx.tree_at(lambda m: (m.weight_ih, m.weight_hh, m.bias), eqx.nn.LSTMCell(n_in, H, key=key),
                               (p["W_x"].T, p["W_h"].T, p["b"]))
            return _scan(cell, x, (jnp.zeros(H), jnp.zeros(H)), lambda s: s[0])
    elif isinstance(layer, rec.GRU):
        def f(x, p):
            cell = eqx.tree_at(lambda m: (m.weight_ih, m.weight_hh, m.bias, m.bias_n),
                               eqx.nn.GRUCell(n_in, H, key=key), (p["W_x"].T, p["W_h"].T, p["b"], p["b_hn"]))
            return _scan(cell, x, jnp.zeros(H), lambda s: s)
    else:
        def f(x, p):
            cell = lambda xt, h: jnp.tanh(xt @ p["W_x"] + h @ p["W_h"] + p["b"])  # noqa: E731
            return _scan(cell, x, jnp.zeros(H), lambda s: s)
    return f


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_forward_and_bptt_match_jax(kind):
    rng = np.random.default_rng({"rnn": 0, "lstm": 1, "gru": 2}[kind])
    for _ in range(3):
        n_in, H, T, B = (int(v) for v in rng.integers(1, 5, size=4))
        layer = {"rnn": rec.SimpleRNN, "lstm": rec.LSTM, "gru": rec.GRU}[kind](n_in, H)
        params = {k: rng.standard_normal(v) for k, v in layer.param_shapes().items()}
        x = rng.standard_normal((B, T, n_in))
        y, cache = layer.forward(x, params)
        r = rng.standard_normal(y.shape)
        dx, grads = layer.backward(r, cache)
        f = jax_layer(layer, n_in, H)
        y_ref, pull = jax.vjp(f, jnp.asarray(x), {k: jnp.asarray(v) for k, v in params.items()})
        dx_ref, g_ref = pull(jnp.asarray(r))
        np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(dx, dx_ref, rtol=RTOL, atol=ATOL)
        for k in params:
            np.testing.assert_allclose(grads[k], g_ref[k], rtol=RTOL, atol=ATOL, err_msg=k)
        y1, _ = layer.forward(x[0], params)                  # unbatched input gives the first row
        np.testing.assert_allclose(y1, y[0], rtol=RTOL, atol=ATOL)


def test_gradient_norms_match_jax_jacobian():
    rng = np.random.default_rng(3)
    layer = rec.LSTM(2, 3)
    params = {k: rng.standard_normal(v) for k, v in layer.param_shapes().items()}
    x = rng.standard_normal((6, 2))
    norms = rec.gradient_norms(layer, params, x, rng=5)
    u = np.random.default_rng(5).standard_normal(3)
    u /= np.linalg.norm(u)
    f = jax_layer(layer, 2, 3)
    # d(u . h_T)/dx_t = (dh_T/dh_t) applied through x_t; compare the lag-0 and the dh chain via dx:
    g = jax.grad(lambda xx: jnp.dot(f(xx[None], params)[0, -1], u))(jnp.asarray(x))
    res = rec.bptt(layer, params, x, np.vstack([np.zeros((5, 3)), u]))
    np.testing.assert_allclose(res.dx, g, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(norms, np.linalg.norm(res.dh, axis=-1), rtol=RTOL)
    assert norms.shape == (7,) and np.isclose(norms[-1], 1.0)


def test_count_params_matches_equinox_leaves():
    key = jax.random.key(0)
    for n_in, H in [(3, 5), (1, 8)]:
        leaves = lambda m: sum(a.size for a in jax.tree.leaves(eqx.filter(m, eqx.is_array)))  # noqa: E731
        assert rec.count_params(rec.LSTM(n_in, H)) == leaves(eqx.nn.LSTMCell(n_in, H, key=key))
        assert rec.count_params(rec.GRU(n_in, H)) == leaves(eqx.nn.GRUCell(n_in, H, key=key))
        assert rec.count_params(rec.SimpleRNN(n_in, H)) == H * (n_in + H) + H


def test_spectral_radius_and_last_step():
    W = rec.with_spectral_radius(np.random.default_rng(0).standard_normal((5, 5)), 0.7)
    assert np.isclose(np.abs(np.linalg.eigvals(W)).max(), 0.7)
    y, cache = rec.LastStep().forward(np.arange(12.0).reshape(2, 3, 2), {})
    np.testing.assert_array_equal(y, [[4, 5], [10, 11]])
    dx, _ = rec.LastStep().backward(np.ones((2, 2)), cache)
    assert dx.sum() == 4 and np.all(dx[:, -1] == 1)


def test_forget_bias_init():
    p = rec.LSTM(2, 3, forget_bias=1.5).init_params(0)
    np.testing.assert_array_equal(p["b"], np.r_[np.zeros(3), 1.5 * np.ones(3), np.zeros(6)])


def test_bad_inputs_raise():
    layer = rec.GRU(2, 3)
    params = layer.init_params(0)
    with pytest.raises(ValueError, match="x must have shape"):
        layer.forward(np.zeros((4, 3)), params)
    with pytest.raises(ValueError, match="x must have shape"):
        layer.forward(np.zeros(4), params)
    with pytest.raises(ValueError, match="b_hn"):
        layer.forward(np.zeros((4, 2)), {k: v for k, v in params.items() if k != "b_hn"})
    with pytest.raises(ValueError, match="n_hidden"):
        rec.LSTM(2, 0)
    with pytest.raises(ValueError, match="activation"):
        rec.SimpleRNN(2, 3, activation="swish")
    with pytest.raises(ValueError, match="dy must have"):
        rec.bptt(layer, params, np.zeros((4, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="layer must be"):
        rec.gradient_norms(rec.LastStep(), {}, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="square"):
        rec.with_spectral_radius(np.ones((2, 3)), 1.0)
    with pytest.raises(ValueError, match="spectral radius 0"):
        rec.with_spectral_radius(np.zeros((2, 2)), 1.0)

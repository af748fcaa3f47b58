"""Layers and the training loop of mlsheet_utils.algorithms.nn against JAX and optax, initialisers against SciPy,
over seeded random shapes.

Each layer's forward pass is compared with a JAX function written here from the formula, and its backward
pass with ``jax.vjp`` of that function for the same random output cotangent (numpy-ml style: a gold framework,
the same weights, several drawn shapes).
"""

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import pytest  # noqa: E402

from mlsheet_utils.algorithms.nn import attention, init, losses, optimizers, train  # noqa: E402
from mlsheet_utils.algorithms.nn import layers as L  # noqa: E402

RTOL, ATOL = 1e-10, 1e-12


def random_shape(rng, n_features, max_batch_axes=2):
    return tuple(int(s) for s in rng.integers(1, 5, size=rng.integers(1, max_batch_axes + 1))) + (n_features,)


def assert_matches_jax(layer, params, x, reference, rng, *, forward_kwargs=None):
    """Forward output and every gradient of backward(r) against reference's output and jax.vjp (jitted: one
    compilation per shape instead of one per operation)."""
    y, cache = layer.forward(x, params, **(forward_kwargs or {}))
    r = rng.standard_normal(y.shape)
    dx, grads = layer.backward(r, cache)
    jparams = {k: jnp.asarray(v) for k, v in params.items()}
    if np.issubdtype(np.asarray(x).dtype, np.integer):
        def vjp(x, p, r):
            y, pull = jax.vjp(lambda p: reference(x, p), p)
            return y, None, pull(r)[0]
    else:
        def vjp(x, p, r):
            y, pull = jax.vjp(reference, x, p)
            return (y, *pull(r))
    y_ref, dx_ref, g_ref = jax.jit(vjp)(jnp.asarray(x), jparams, jnp.asarray(r))
    if dx_ref is None:
        assert dx is None
    else:
        np.testing.assert_allclose(dx, dx_ref, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=ATOL)
    assert set(grads) == set(params)
    for k in params:
        assert grads[k].shape == params[k].shape
        np.testing.assert_allclose(grads[k], g_ref[k], rtol=RTOL, atol=ATOL, err_msg=k)


def test_linear_matches_jax_over_random_shapes():
    rng = np.random.default_rng(0)
    for _ in range(4):
        n_in, n_out = (int(v) for v in rng.integers(1, 7, size=2))
        bias = bool(rng.integers(2))
        layer = L.Linear(n_in, n_out, bias=bias)
        params = {k: rng.standard_normal(v) for k, v in layer.param_shapes().items()}
        ref = (lambda x, p: x @ p["W"] + p["b"]) if bias else (lambda x, p: x @ p["W"])
        assert_matches_jax(layer, params, rng.standard_normal(random_shape(rng, n_in)), ref, rng)


@pytest.mark.parametrize("name,ref", [
    ("relu", jax.nn.relu), ("leaky_relu", lambda x: jax.nn.leaky_relu(x, 0.2)), ("sigmoid", jax.nn.sigmoid),
    ("tanh", jnp.tanh), ("gelu", lambda x: jax.nn.gelu(x, approximate=False)),
    ("gelu_tanh", lambda x: jax.nn.gelu(x, approximate=True)), ("softplus", jax.nn.softplus),
])
def test_activation_layer_matches_jax(name, ref):
    rng = np.random.default_rng(1)
    layer = L.Activation(name, slope=0.2)
    for _ in range(2):
        x = rng.normal(0, 3, size=random_shape(rng, int(rng.integers(1, 6))))
        assert_matches_jax(layer, {}, x, lambda x, p: ref(x), rng)


def test_dropout_matches_its_formula_and_keeps_the_mean():
    rng = np.random.default_rng(2)
    layer = L.Dropout(0.3)
    x = rng.standard_normal((4, 5))
    y, cache = layer.forward(x, {}, rng=7)
    mask = np.random.default_rng(7).random(x.shape) >= 0.3          # the documented mask rule
    assert_matches_jax(layer, {}, x, lambda x, p: x * mask / 0.7, rng, forward_kwargs={"rng": 7})
    np.testing.assert_allclose(y, np.where(mask, x / 0.7, 0.0), rtol=1e-15)
    np.testing.assert_array_equal(layer.forward(x, {}, training=False)[0], x)
    big = np.ones((200, 500))
    kept = layer.forward(big, {}, rng=3)[0]
    assert abs(kept.mean() - 1) < 5 * np.sqrt(0.3 / 0.7 / big.size)   # E[y] = x, within 5 standard errors
    assert abs((kept == 0).mean() - 0.3) < 5 * np.sqrt(0.3 * 0.7 / big.size)


def jax_normalize(x, axes, eps):
    mean = jnp.mean(x, axis=axes, keepdims=True)
    var = jnp.var(x, axis=axes, keepdims=True)
    return (x - mean) / jnp.sqrt(var + eps)


def test_layer_norm_matches_jax_over_random_shapes():
    rng = np.random.default_rng(3)
    for _ in range(3):
        n = int(rng.integers(2, 7))
        layer = L.LayerNorm(n, eps=float(rng.choice([1e-5, 1e-3])))
        params = {"gamma": rng.standard_normal(n), "beta": rng.standard_normal(n)}
        assert_matches_jax(layer, params, rng.normal(1, 2, random_shape(rng, n)),
                           lambda x, p, eps=layer.eps: p["gamma"] * jax_normalize(x, -1, eps) + p["beta"], rng)


def test_batch_norm_matches_jax_over_random_shapes():
    rng = np.random.default_rng(4)
    for _ in range(3):
        n = int(rng.integers(1, 6))
        layer = L.BatchNorm(n)
        params = {"gamma": rng.standard_normal(n), "beta": rng.standard_normal(n)}
        shape = (int(rng.integers(2, 9)),) + random_shape(rng, n, max_batch_axes=1)[1:]
        shape = shape if len(shape) >= 2 else shape + (n,)
        x = rng.normal(-1, 3, shape)
        axes = tuple(range(x.ndim - 1))
        assert_matches_jax(layer, params, x,
                           lambda x, p, axes=axes: p["gamma"] * jax_normalize(x, axes, 1e-5) + p["beta"], rng)


def test_batch_norm_running_statistics_follow_the_momentum_rule_and_are_not_mutated():
    rng = np.random.default_rng(5)
    layer = L.BatchNorm(3, momentum=0.2)
    params = layer.init_params()
    running = layer.init_running()
    before = {k: v.copy() for k, v in running.items()}
    for _ in range(3):
        x = rng.normal(2, 3, (10, 3))
        _, cache = layer.forward(x, params)
        new = layer.update_running(running, cache)
        np.testing.assert_allclose(new["mean"], 0.8 * running["mean"] + 0.2 * x.mean(0), rtol=1e-13)
        np.testing.assert_allclose(new["var"], 0.8 * running["var"] + 0.2 * x.var(0, ddof=1), rtol=1e-13)
        running = new
    np.testing.assert_array_equal(layer.init_running()["mean"], before["mean"])
    x = rng.standard_normal((4, 3))
    np.testing.assert_allclose(layer.inference(x, params, running),
                               (x - running["mean"]) / np.sqrt(running["var"] + 1e-5), rtol=1e-13)


def test_embedding_matches_jax_and_adds_repeated_ids():
    rng = np.random.default_rng(6)
    for _ in range(3):
        V, d = (int(v) for v in rng.integers(1, 8, size=2))
        layer = L.Embedding(V, d)
        params = {"W": rng.standard_normal((V, d))}
        ids = rng.integers(0, V, size=tuple(int(s) for s in rng.integers(1, 5, size=2)))
        assert_matches_jax(layer, params, ids, lambda x, p: p["W"][x], rng)
    layer = L.Embedding(3, 2)
    _, cache = layer.forward(np.array([1, 1, 2]), {"W": np.zeros((3, 2))})
    _, grads = layer.backward(np.array([[1.0, 2.0], [10.0, 20.0], [5.0, 5.0]]), cache)
    np.testing.assert_array_equal(grads["W"], [[0, 0], [11, 22], [5, 5]])


def jax_mha(x, p, h, causal):
    """Multi-head self-attention written head by head in JAX."""
    n, d = x.shape[-2], x.shape[-1]
    dk = d // h
    heads = []
    for i in range(h):
        cols = slice(i * dk, (i + 1) * dk)
        q, k, v = x @ p["W_q"][:, cols], x @ p["W_k"][:, cols], x @ p["W_v"][:, cols]
        s = q @ jnp.swapaxes(k, -1, -2) / jnp.sqrt(dk)
        if causal:
            s = jnp.where(jnp.tril(jnp.ones((n, n), dtype=bool)), s, -jnp.inf)
        heads.append(jax.nn.softmax(s, axis=-1) @ v)
    return jnp.concatenate(heads, axis=-1) @ p["W_o"]


def test_multi_head_attention_layer_matches_jax():
    rng = np.random.default_rng(7)
    for _ in range(3):
        h = int(rng.integers(1, 4))
        d = h * int(rng.integers(1, 4))
        causal = bool(rng.integers(2))
        layer = attention.MultiHeadAttention(d, h, causal=causal)
        params = layer.init_params(rng)
        x = rng.standard_normal(random_shape(rng, d, 1)[:-1] + (int(rng.integers(1, 5)), d))
        assert_matches_jax(layer, params, x, lambda x, p, h=h, causal=causal: jax_mha(x, p, h, causal), rng)
    with pytest.raises(ValueError, match="n_heads = 3 must divide d_model = 8"):
        attention.MultiHeadAttention(8, 3)


def test_sequential_chains_forward_and_backward_like_jax():
    rng = np.random.default_rng(8)
    model = L.Sequential(L.Linear(3, 5), L.Activation("tanh"), L.LayerNorm(5), L.Linear(5, 2, bias=False))
    params = model.init_params(0)
    x = rng.standard_normal((4, 3))

    def ref(x, p):
        h = jnp.tanh(x @ p[0]["W"] + p[0]["b"])
        h = p[2]["gamma"] * jax_normalize(h, -1, 1e-5) + p[2]["beta"]
        return h @ p[3]["W"]

    y, cache = model.forward(x, params)
    r = rng.standard_normal(y.shape)
    dx, grads = model.backward(r, cache)

    @jax.jit
    def vjp(x, p, r):
        y, pull = jax.vjp(ref, x, p)
        return (y, *pull(r))

    y_ref, dx_ref, g_ref = vjp(jnp.asarray(x), [{k: jnp.asarray(v) for k, v in p.items()} for p in params],
                               jnp.asarray(r))
    np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dx, dx_ref, rtol=RTOL, atol=ATOL)
    for g, gr in zip(grads, g_ref):
        assert set(g) == set(gr)
        for k in g:
            np.testing.assert_allclose(g[k], gr[k], rtol=RTOL, atol=ATOL)


def test_layers_do_not_modify_their_inputs():
    rng = np.random.default_rng(9)
    model = L.Sequential(L.Linear(3, 4), L.Activation("relu"), L.Dropout(0.5), L.BatchNorm(4))
    params = model.init_params(1)
    copies = [{k: v.copy() for k, v in p.items()} for p in params]
    x = rng.standard_normal((5, 3))
    x0 = x.copy()
    y, cache = model.forward(x, params, rng=2)
    model.backward(np.ones_like(y), cache)
    np.testing.assert_array_equal(x, x0)
    for p, c in zip(params, copies):
        for k in p:
            np.testing.assert_array_equal(p[k], c[k])


@pytest.mark.parametrize("make,kwargs,match", [
    (lambda: L.Linear(3, 2), {"x": np.ones((4, 2))}, r"x must have shape \(\.\.\., 3\) \(n_in = 3\)"),
    (lambda: L.Linear(3, 2), {"params": {"W": np.ones((3, 2))}}, r"must have the keys \['W', 'b'\]"),
    (lambda: L.Linear(3, 2), {"params": {"W": np.ones((2, 3)), "b": np.ones(2)}}, r"params\['W'\].*\(3, 2\)"),
    (lambda: L.Linear(3, 2), {"x": np.full((1, 3), np.nan)}, "x contains NaN"),
    (lambda: L.Dropout(0.5), {"x": np.ones((2, 2))}, "Dropout in training mode needs rng"),
    (lambda: L.BatchNorm(2), {"x": np.ones(2)}, r"x must have shape \(batch, \.\.\., 2\)"),
    (lambda: L.Embedding(3, 2), {"x": np.array([0, 3])}, r"ids in \[0, 2\]"),
    (lambda: L.Embedding(3, 2), {"x": np.array([0.0, 1.0])}, "integer ids"),
])
def test_layers_validate_their_inputs(make, kwargs, match):
    layer = make()
    args = {"x": np.ones((2, 3)), "params": layer.init_params(0), **kwargs}
    with pytest.raises(ValueError, match=match):
        layer.forward(args["x"], args["params"])


@pytest.mark.parametrize("make,match", [
    (lambda: L.Linear(0, 2), "n_in must be >= 1"),
    (lambda: L.Linear(2, 2, weight_init="glorot"), "weight_init must be one of"),
    (lambda: L.Activation("not_an_activation"), "name must be one of"),
    (lambda: L.Dropout(1.0), "rate must be < 1"),
    (lambda: L.LayerNorm(3, eps=0.0), "eps must be > 0"),
    (lambda: L.BatchNorm(3, momentum=0.0), "momentum must be > 0"),
    (lambda: L.Sequential(), "at least one layer"),
])
def test_layers_validate_hyperparameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_backward_checks_dy_and_sequential_names_the_failing_layer():
    layer = L.Linear(3, 2)
    _, cache = layer.forward(np.ones((4, 3)), layer.init_params())
    with pytest.raises(ValueError, match=r"dy must have the output's shape \(4, 2\)"):
        layer.backward(np.ones((4, 3)), cache)
    model = L.Sequential(L.Linear(3, 4), L.Linear(5, 2))
    with pytest.raises(ValueError, match=r"layer 1 \(Linear\(5, 2\)\): x must have shape"):
        model.forward(np.ones((2, 3)), [model.layers[0].init_params(), model.layers[1].init_params()])
    with pytest.raises(ValueError, match="list of 2 dicts"):
        model.forward(np.ones((2, 3)), [{}])


# -- initialisers ------------------------------------------------------------------------------------------

INIT_SHAPE = (3, 3, 40, 50)                                        # a 3x3 convolution kernel: fans x 9
INIT_CASES = {                                       # ours, the distribution, its variance(fan_in, fan_out)
    "xavier_uniform": (init.xavier_uniform, "uniform", lambda i, o: 2 / (i + o)),
    "xavier_normal": (init.xavier_normal, "norm", lambda i, o: 2 / (i + o)),
    "he_uniform": (init.he_uniform, "uniform", lambda i, o: 2 / i),
    "he_normal": (init.he_normal, "norm", lambda i, o: 2 / i),
}


@pytest.mark.parametrize("name", INIT_CASES)
def test_initialisers_draw_the_stated_distribution(name):
    # the variances are those of jax.nn.initializers (glorot_*: 1 x fan_avg, he_*: 2 x fan_in, receptive field
    # included); the draws must pass a Kolmogorov-Smirnov test against scipy.stats with those parameters
    from scipy import stats
    ours, family, variance = INIT_CASES[name]
    w = ours(INIT_SHAPE, 0)
    fan_in, fan_out = init.fans(INIT_SHAPE)
    assert (fan_in, fan_out) == (9 * 40, 9 * 50)
    v = variance(fan_in, fan_out)
    a = np.sqrt(3 * v)
    args = (-a, 2 * a) if family == "uniform" else (0.0, np.sqrt(v))
    assert w.shape == INIT_SHAPE and w.dtype == np.float64
    assert stats.kstest(w.ravel(), family, args=args).pvalue > 1e-3
    assert stats.kstest(w.ravel(), family, args=(args[0] * 1.1, args[1] * 1.1)).pvalue < 1e-6   # the test has power
    if family == "uniform":
        assert np.abs(w).max() <= a


def test_initialisers_are_seeded_and_validate():
    np.testing.assert_array_equal(init.he_normal((4, 3), 5), init.he_normal((4, 3), 5))
    assert not np.array_equal(init.he_normal((4, 3), 5), init.he_normal((4, 3), 6))
    assert init.fans((3, 3, 16, 32)) == (144, 288) and init.fans((7,)) == (7, 7)
    np.testing.assert_array_equal(init.zeros((2, 2)), 0.0)
    np.testing.assert_allclose(init.normal((200, 200), 1, std=0.1).std(), 0.1, rtol=0.02)
    with pytest.raises(ValueError, match="shape must be a non-empty tuple of positive ints"):
        init.xavier_uniform((3, 0), 0)
    with pytest.raises(ValueError, match="gain must be > 0"):
        init.he_uniform((3, 2), 0, gain=0.0)
    with pytest.raises(ValueError, match="rng must be"):
        init.normal((2,), None)


# -- the training loop -----------------------------------------------------------------------------------

def test_fit_matches_a_jax_optax_loop_with_the_same_batches():
    rng = np.random.default_rng(10)
    X = rng.standard_normal((30, 3))
    y = rng.integers(0, 3, size=30)
    model = L.Sequential(L.Linear(3, 8), L.Activation("tanh"), L.Linear(8, 3))
    params0 = model.init_params(1)
    opt = optimizers.Adam(0.05)
    params, hist = train.fit(model, params0, losses.SoftmaxCrossEntropy(), opt, X, y, epochs=4, batch_size=8,
                             rng=123, metric=lambda p, t: float((p.argmax(-1) == t).mean()))

    def loss(p, xb, yb):
        h = jnp.tanh(xb @ p[0]["W"] + p[0]["b"])
        logits = h @ p[2]["W"] + p[2]["b"]
        return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

    tx = optax.adam(0.05)

    @jax.jit
    def step(p, state, xb, yb):
        value, g = jax.value_and_grad(loss)(p, xb, yb)
        updates, state = tx.update(g, state, p)
        return optax.apply_updates(p, updates), state, value

    p = [{k: jnp.asarray(v) for k, v in q.items()} for q in params0]
    state, order_rng, epoch_losses = tx.init(p), np.random.default_rng(123), []
    for _ in range(4):
        order, total = order_rng.permutation(30), 0.0
        for i in range(0, 30, 8):
            idx = order[i:i + 8]
            p, state, value = step(p, state, X[idx], y[idx])
            total += float(value) * len(idx)
        epoch_losses.append(total / 30)
    for ours, theirs in zip(params, p):
        for k in ours:
            np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(hist.loss, epoch_losses, rtol=1e-10)
    assert hist.metric.shape == (4,) and np.all((0 <= hist.metric) & (hist.metric <= 1))


def test_fit_is_deterministic_learns_and_leaves_params_alone():
    rng = np.random.default_rng(11)
    X = rng.standard_normal((64, 2))
    y = (X @ np.array([[1.5], [-2.0]]) + 0.5) + 0.01 * rng.standard_normal((64, 1))
    model = L.Sequential(L.Linear(2, 16), L.Activation("relu"), L.Dropout(0.1), L.Linear(16, 1))
    params0 = model.init_params(0)
    copy0 = [{k: v.copy() for k, v in p.items()} for p in params0]
    run = lambda seed: train.fit(model, params0, losses.MeanSquaredError(), optimizers.SGD(0.05, 0.9), X, y,  # noqa: E731
                                 epochs=30, batch_size=16, rng=seed)
    (p1, h1), (p2, h2), (p3, _) = run(5), run(5), run(6)
    np.testing.assert_array_equal(h1.loss, h2.loss)
    np.testing.assert_array_equal(p1[0]["W"], p2[0]["W"])
    assert not np.array_equal(p1[0]["W"], p3[0]["W"])
    assert h1.loss[-1] < 0.05 * h1.loss[0] and h1.metric is None
    for p, c in zip(params0, copy0):
        for k in p:
            np.testing.assert_array_equal(p[k], c[k])


def test_minibatches_cover_every_index_once():
    batches = train.minibatches(10, 4, rng=0)
    assert [len(b) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(10))
    np.testing.assert_array_equal(np.concatenate(train.minibatches(5, 2, 0, shuffle=False)), np.arange(5))


@pytest.mark.parametrize("change,match", [
    ({"epochs": 0}, "epochs must be >= 1"),
    ({"batch_size": 0}, "batch_size must be >= 1"),
    ({"y": np.zeros(3, dtype=int)}, "same number of examples"),
    ({"X": np.ones((6, 4))}, r"x must have shape \(\.\.\., 3\)"),
    ({"loss": "mse"}, "loss must be a Loss"),
    ({"optimizer": optimizers.SGD}, "optimizer must be an Optimizer"),
    ({"rng": None}, "rng must be"),
])
def test_fit_validates(change, match):
    model = L.Sequential(L.Linear(3, 2))
    args = {"model": model, "params": model.init_params(), "loss": losses.SoftmaxCrossEntropy(),
            "optimizer": optimizers.SGD(0.1), "X": np.ones((6, 3)), "y": np.zeros(6, dtype=int), "epochs": 1,
            "batch_size": 2, "rng": 0, **change}
    with pytest.raises(ValueError, match=match):
        train.fit(**args)


# -- normalisation: the shared kernels, RMSNorm, residual blocks ---------------------------------------------

def jax_rms(x, axes, eps):
    return x / jnp.sqrt(jnp.mean(x**2, axis=axes, keepdims=True) + eps)


@pytest.mark.parametrize("axis,center", [(-1, True), (0, True), ((0, 1), True), (-1, False), ((1, 2), False)])
def test_normalize_and_its_backward_match_jax(axis, center):
    rng = np.random.default_rng(12)
    for _ in range(3):
        x = rng.normal(1.0, 2.0, size=tuple(int(s) for s in rng.integers(2, 5, size=3)))
        eps = float(rng.choice([1e-5, 1e-2]))
        out = L.normalize(x, axis, eps, center=center)
        kernel = jax_normalize if center else jax_rms
        ref = lambda x, eps=eps, kernel=kernel: kernel(x, axis, eps)  # noqa: E731
        y_ref, pull = jax.vjp(ref, jnp.asarray(x))
        np.testing.assert_allclose(out.x_hat, y_ref, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(out.x_hat, (x - out.mean) * out.inv_std, rtol=RTOL, atol=ATOL)
        g = rng.standard_normal(x.shape)
        np.testing.assert_allclose(L.normalize_backward(g, out.x_hat, out.inv_std, axis, center=center),
                                   pull(jnp.asarray(g))[0], rtol=1e-9, atol=1e-11)


def test_rms_norm_matches_jax_over_random_shapes():
    rng = np.random.default_rng(13)
    for _ in range(3):
        n = int(rng.integers(1, 7))
        layer = L.RMSNorm(n, eps=float(rng.choice([1e-5, 1e-3])))
        params = {"gamma": rng.standard_normal(n)}
        assert_matches_jax(layer, params, rng.normal(1, 2, random_shape(rng, n)),
                           lambda x, p, eps=layer.eps: p["gamma"] * jax_rms(x, -1, eps), rng)


@pytest.mark.parametrize("placement", ["pre", "post"])
def test_residual_block_matches_jax(placement):
    rng = np.random.default_rng(14)
    body = L.Sequential(L.Linear(4, 6), L.Activation("tanh"), L.Linear(6, 4))
    block = L.Residual(body, L.LayerNorm(4), placement)
    params = block.init_params(1)
    params["norm"] = {"gamma": rng.normal(1, 0.3, 4), "beta": rng.normal(0, 0.3, 4)}
    x = rng.standard_normal((3, 2, 4))

    def ref(x, p):
        f = lambda h: jnp.tanh(h @ p["body"][0]["W"] + p["body"][0]["b"]) @ p["body"][2]["W"] + p["body"][2]["b"]  # noqa: E731
        n = lambda h: p["norm"]["gamma"] * jax_normalize(h, -1, 1e-5) + p["norm"]["beta"]  # noqa: E731
        return x + f(n(x)) if placement == "pre" else n(x + f(x))

    y, cache = block.forward(x, params)
    r = rng.standard_normal(y.shape)
    dx, grads = block.backward(r, cache)
    jp = {"body": [{k: jnp.asarray(v) for k, v in q.items()} for q in params["body"]],
          "norm": {k: jnp.asarray(v) for k, v in params["norm"].items()}}
    y_ref, pull = jax.vjp(ref, jnp.asarray(x), jp)
    dx_ref, g_ref = pull(jnp.asarray(r))
    np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dx, dx_ref, rtol=RTOL, atol=ATOL)
    for k in ("gamma", "beta"):
        np.testing.assert_allclose(grads["norm"][k], g_ref["norm"][k], rtol=RTOL, atol=ATOL)
    for mine, theirs in zip(grads["body"], g_ref["body"]):
        for k in mine:
            np.testing.assert_allclose(mine[k], theirs[k], rtol=RTOL, atol=ATOL)


def test_batch_norm_running_state_matches_equinox_once_aligned():
    import equinox as eqx

    rng = np.random.default_rng(15)
    m, n, T = 0.2, 6, 4
    layer = L.BatchNorm(3, momentum=m)
    running = layer.init_running()
    model, state = eqx.nn.make_with_state(eqx.nn.BatchNorm)(3, "batch", momentum=1 - m, mode="batch")
    step = jax.vmap(model, axis_name="batch", in_axes=(0, None), out_axes=(0, None))
    for _ in range(T):
        x = rng.normal(-2, 3, (n, 3))
        y, cache = layer.forward(x, layer.init_params())
        running = layer.update_running(running, cache)
        y_eqx, state = step(jnp.asarray(x), state)
        np.testing.assert_allclose(y, y_eqx, rtol=RTOL, atol=ATOL)
    mean, var = (np.asarray(a) for a in state.get(model.batch_state_index))
    start = (1 - m) ** T                    # equinox averages the biased variance; both start from (0, 1)
    np.testing.assert_allclose(running["mean"], mean, rtol=1e-12)
    np.testing.assert_allclose(running["var"] - start, (var - start) * n / (n - 1), rtol=1e-12)


@pytest.mark.parametrize("call,match", [
    (lambda: L.normalize(np.ones((2, 3)), 2), "axis 2 is out of range"),
    (lambda: L.normalize(np.ones((2, 3)), (0, "a")), "axis must be an int or a non-empty tuple"),
    (lambda: L.normalize(np.ones((2, 3)), -1, 0.0), "eps must be > 0"),
    (lambda: L.normalize(3.0), "at least one dimension"),
    (lambda: L.normalize(np.array([1.0, np.nan])), "x contains NaN"),
    (lambda: L.normalize_backward(np.ones((2, 3)), np.ones((3, 2)), np.ones((3, 1))), "g must have the shape"),
    (lambda: L.normalize_backward(np.ones((2, 3)), np.ones((2, 3)), np.ones((3, 1))), "does not broadcast"),
    (lambda: L.RMSNorm(0), "n_features must be >= 1"),
    (lambda: L.Residual(L.Linear(3, 3), L.LayerNorm(3), "middle"), "placement must be 'pre' or 'post'"),
    (lambda: L.Residual("linear", L.LayerNorm(3)), "body must be a Layer"),
    (lambda: L.Residual(L.Linear(3, 3), L.LayerNorm(3)).forward(np.ones((2, 3)), {"body": {}}),
     r"keys \['body', 'norm'\]"),
    (lambda: L.Residual(L.Linear(3, 2), L.LayerNorm(3)).forward(
        np.ones((2, 3)), L.Residual(L.Linear(3, 2), L.LayerNorm(3)).init_params()), "body must keep"),
])
def test_normalisation_pieces_validate(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_batch_norm_trace_follows_the_closed_form_average():
    rng = np.random.default_rng(16)
    m, T = 0.3, 6
    layer = L.BatchNorm(2, momentum=m)
    params = {"gamma": np.array([2.0, 0.5]), "beta": np.array([0.1, -1.0])}
    batches, probe = rng.normal(1.0, 2.0, (T, 5, 2)), np.array([0.5, 3.0])
    tr = L.batch_norm_trace(layer, params, batches, probe)
    w = m * (1 - m) ** np.arange(T - 1, -1, -1)                  # EMA weights of the T batches
    mean = w @ batches.mean(axis=1)
    var = (1 - m) ** T + w @ batches.var(axis=1, ddof=1)
    np.testing.assert_allclose(tr.running_mean[-1], mean, rtol=1e-12)
    np.testing.assert_allclose(tr.running_var[-1], var, rtol=1e-12)
    np.testing.assert_allclose(tr.eval_probe[-1], params["gamma"] * (probe - mean) / np.sqrt(var + 1e-5)
                               + params["beta"], rtol=1e-12)
    first = np.vstack([probe, batches[0, 1:]])
    expected = params["gamma"] * (probe - first.mean(0)) / np.sqrt(first.var(0) + 1e-5) + params["beta"]
    np.testing.assert_allclose(tr.train_probe[0], expected, rtol=1e-12)
    assert tr.batch_mean.shape == (T, 2)
    with pytest.raises(ValueError, match=r"batches must have shape \(T, N, 2\)"):
        L.batch_norm_trace(layer, params, np.ones((3, 4, 3)), probe)
    with pytest.raises(ValueError, match="layer must be a BatchNorm"):
        L.batch_norm_trace(L.LayerNorm(2), params, batches, probe)

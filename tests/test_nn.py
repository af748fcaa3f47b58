"""Functional pieces, losses and attention of mlsheet_utils.algorithms.nn against gold references (SciPy, JAX,
optax) over randomly drawn shapes (numpy-ml style)."""

import numpy as np
import pytest
from scipy.special import softmax as scipy_softmax

from mlsheet_utils import checks
from mlsheet_utils.algorithms.nn import attention as nn
from mlsheet_utils.algorithms.nn import functional as F
from mlsheet_utils.algorithms.nn import losses as L


def reference_attention(Q, K, V, mask=None, scale=True):
    """Attention written directly with scipy.special.softmax (masked scores set to -inf)."""
    s = 1 / np.sqrt(Q.shape[-1]) if scale is True else (1.0 if scale is False else scale)
    scores = s * np.einsum("...id,...jd->...ij", Q, K)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    A = scipy_softmax(scores, axis=-1)
    return np.einsum("...ij,...jd->...id", A, V), A


def loop_multi_head(X_q, X_kv, W_q, W_k, W_v, W_o, h, mask=None):
    """Gold reference: an explicit loop over heads on 2-D slices of the weights, then concatenation."""
    d_k, d_v = W_q.shape[1] // h, W_v.shape[1] // h
    heads = []
    for i in range(h):
        q = X_q @ W_q[:, i * d_k:(i + 1) * d_k]
        k = X_kv @ W_k[:, i * d_k:(i + 1) * d_k]
        v = X_kv @ W_v[:, i * d_v:(i + 1) * d_v]
        heads.append(reference_attention(q, k, v, mask)[0])
    return np.concatenate(heads, axis=-1) @ W_o


def random_batch(rng):
    return tuple(int(b) for b in rng.integers(1, 4, size=rng.integers(0, 3)))


def test_softmax_matches_scipy_over_random_shapes_and_axes():
    rng = np.random.default_rng(0)
    for _ in range(20):
        shape = tuple(int(s) for s in rng.integers(1, 6, size=rng.integers(1, 4)))
        axis = int(rng.integers(-len(shape), len(shape)))
        x = rng.normal(0, rng.uniform(0.1, 30), size=shape)
        np.testing.assert_allclose(nn.softmax(x, axis), scipy_softmax(x, axis=axis), rtol=1e-12, atol=1e-15)


def test_softmax_is_stable_and_shift_invariant():
    x = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -1002.0]])
    p = nn.softmax(x)
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(p[0], nn.softmax(x[0] - 1000.0), rtol=1e-14)
    rng = np.random.default_rng(1)
    y = rng.standard_normal((4, 7))
    c = rng.normal(0, 50, size=(4, 1))
    np.testing.assert_allclose(nn.softmax(y + c), nn.softmax(y), rtol=1e-12)


def test_softmax_neg_inf_gets_zero_weight():
    p = nn.softmax(np.array([0.0, -np.inf, 0.0]))
    np.testing.assert_array_equal(p, [0.5, 0.0, 0.5])


@pytest.mark.parametrize("x,axis,match", [
    (np.array([-np.inf, -np.inf]), -1, "no finite entry"),
    (np.array([0.0, np.nan]), -1, "NaN or \\+inf"),
    (np.array([0.0, np.inf]), -1, "NaN or \\+inf"),
    (np.ones((2, 3)), 2, "axis must be <= 1"),
    (np.float64(1.0), -1, "at least one axis"),
])
def test_softmax_validates(x, axis, match):
    with pytest.raises(ValueError, match=match):
        nn.softmax(x, axis)


def test_softmax_jacobian_matches_finite_differences():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(5)
    J = nn.softmax_jacobian(nn.softmax(x))
    for i in range(5):
        checks.check_gradient(f"d p_{i} / dx", lambda z, i=i: nn.softmax(z)[i], lambda z, i=i: J[i], x,
                              rtol=1e-6, atol=1e-10)
    batch = nn.softmax_jacobian(nn.softmax(rng.standard_normal((3, 4))))
    assert batch.shape == (3, 4, 4)
    np.testing.assert_allclose(batch.sum(-1), 0.0, atol=1e-15)   # rows of J sum to 0: sum_i p_i is constant


def test_attention_matches_scipy_reference_over_random_shapes():
    rng = np.random.default_rng(3)
    for _ in range(25):
        n_q, n_k, d_k, d_v = (int(v) for v in rng.integers(1, 9, size=4))
        batch = random_batch(rng)
        Q = rng.standard_normal(batch + (n_q, d_k))
        K = rng.standard_normal(batch[1:] + (n_k, d_k))            # fewer batch axes: broadcasts
        V = rng.standard_normal((1,) * len(batch) + (n_k, d_v))    # size-1 batch axes: broadcast
        scale = [True, False, float(rng.uniform(0.1, 2.0))][int(rng.integers(3))]
        mask = rng.random(batch + (n_q, n_k)) < 0.6
        mask[..., 0] = True                                        # every row keeps a key
        for m in (None, mask):
            out, A = nn.scaled_dot_product_attention(Q, K, V, mask=m, scale=scale)
            ref_out, ref_A = reference_attention(Q, K, V, m, scale)
            np.testing.assert_allclose(out, ref_out, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(A, ref_A, rtol=1e-10, atol=1e-14)
            assert out.shape == batch + (n_q, d_v) and A.shape == batch + (n_q, n_k)
            np.testing.assert_allclose(A.sum(-1), 1.0, rtol=1e-12)
            assert np.all(A >= 0)


def test_masked_keys_get_zero_weight_and_equal_dropping_them():
    rng = np.random.default_rng(4)
    Q, K, V = rng.standard_normal((3, 4)), rng.standard_normal((6, 4)), rng.standard_normal((6, 2))
    keep = np.array([True, False, True, True, False, True])
    out, A = nn.scaled_dot_product_attention(Q, K, V, mask=keep)   # a 1-D mask broadcasts over queries
    assert np.all(A[:, ~keep] == 0)
    dropped, _ = nn.scaled_dot_product_attention(Q, K[keep], V[keep])
    np.testing.assert_allclose(out, dropped, rtol=1e-12)


def test_causal_mask_hides_the_future():
    rng = np.random.default_rng(5)
    n, d = 6, 3
    X = rng.standard_normal((n, d))
    out, A = nn.scaled_dot_product_attention(X, X, X, mask=nn.causal_mask(n))
    assert np.all(np.triu(A, 1) == 0)
    X2 = X.copy()
    X2[4:] = rng.standard_normal((2, d))                           # change only the last two positions
    out2, _ = nn.scaled_dot_product_attention(X2, X2, X2, mask=nn.causal_mask(n))
    np.testing.assert_allclose(out2[:4], out[:4], rtol=1e-14)
    assert not np.allclose(out2[4:], out[4:])


def test_causal_mask_shapes():
    np.testing.assert_array_equal(nn.causal_mask(2, 3), [[True, True, False], [True, True, True]])
    assert nn.causal_mask(4).sum() == 4 * 5 // 2
    with pytest.raises(ValueError, match="n_k must be >= 3"):
        nn.causal_mask(3, 2)


def test_attention_is_invariant_to_shifting_all_scores_of_a_row():
    # adding c to every score of query i: Q_i -> Q_i + c * u with K u = 1 (K has a constant column here)
    rng = np.random.default_rng(6)
    Q, K, V = rng.standard_normal((4, 3)), rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    K[:, 0] = 1.0
    shifted = Q.copy()
    shifted[:, 0] += rng.normal(0, 40, size=4)
    np.testing.assert_allclose(nn.scaled_dot_product_attention(shifted, K, V)[0],
                               nn.scaled_dot_product_attention(Q, K, V)[0], rtol=1e-10, atol=1e-12)


def test_attention_output_is_a_convex_combination_of_values():
    rng = np.random.default_rng(7)
    Q, K, V = (rng.normal(0, 30, (8, 16)) for _ in range(3))        # huge, unscaled scores: one-hot rows
    out, A = nn.scaled_dot_product_attention(Q, K, V, scale=False)
    assert np.all(np.isfinite(out))
    assert np.all(out <= V.max(0) + 1e-9) and np.all(out >= V.min(0) - 1e-9)


@pytest.mark.parametrize("wrt", [0, 1, 2])
def test_attention_grads_match_finite_differences(wrt):
    rng = np.random.default_rng(10 + wrt)
    Q = rng.standard_normal((2, 3, 4))
    K = rng.standard_normal((5, 4))                                  # broadcast over Q's batch axis
    V = rng.standard_normal((2, 5, 3))
    G = rng.standard_normal((2, 3, 3))
    mask = rng.random((2, 3, 5)) < 0.7
    mask[..., 2] = True
    args = [Q, K, V]

    def loss(x):
        a = list(args)
        a[wrt] = x
        return float((nn.scaled_dot_product_attention(*a, mask=mask)[0] * G).sum())

    def grad(x):
        a = list(args)
        a[wrt] = x
        return nn.attention_grads(*a, G, mask=mask)[wrt]

    checks.check_gradient(f"attention gradient w.r.t. {'QKV'[wrt]}", loss, grad, args[wrt], rtol=1e-6,
                          atol=1e-9)


def test_multi_head_matches_per_head_loop_over_random_shapes():
    rng = np.random.default_rng(8)
    for _ in range(20):
        h = int(rng.integers(1, 5))
        d_model, d_kv, d_out = (int(v) for v in rng.integers(1, 9, size=3))
        d_k, d_v = (int(v) for v in rng.integers(1, 5, size=2))
        n_q, n_k = (int(v) for v in rng.integers(1, 7, size=2))
        batch = random_batch(rng)
        X_q = rng.standard_normal(batch + (n_q, d_model))
        X_kv = rng.standard_normal(batch + (n_k, d_kv))
        W = [rng.standard_normal(s) for s in ((d_model, h * d_k), (d_kv, h * d_k), (d_kv, h * d_v),
                                               (h * d_v, d_out))]
        mask = rng.random((n_q, n_k)) < 0.5
        mask[:, -1] = True
        for m in (None, mask):
            out, A = nn.multi_head_attention(X_q, X_kv, *W, h, mask=m)
            np.testing.assert_allclose(out, loop_multi_head(X_q, X_kv, *W, h, m), rtol=1e-10, atol=1e-12)
            assert out.shape == batch + (n_q, d_out) and A.shape == batch + (h, n_q, n_k)


def test_one_head_is_plain_attention_on_projections():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((5, 4))
    W_q, W_k, W_v, W_o = (rng.standard_normal((4, 4)) for _ in range(4))
    out, A = nn.multi_head_attention(X, X, W_q, W_k, W_v, W_o, 1)
    ref, ref_A = nn.scaled_dot_product_attention(X @ W_q, X @ W_k, X @ W_v)
    np.testing.assert_allclose(out, ref @ W_o, rtol=1e-12)
    np.testing.assert_allclose(A[0], ref_A, rtol=1e-12)


@pytest.mark.parametrize("kwargs,match", [
    ({"Q": np.ones(3)}, r"Q must have shape \(\.\.\., n_q, d_k\), got shape \(3,\)"),
    ({"K": np.ones((5, 3))}, r"K must have d_k = 4 columns like Q, got shape \(5, 3\)"),
    ({"V": np.ones((4, 2))}, r"V must have n_k = 5 rows like K, got shape \(4, 2\)"),
    ({"Q": np.ones((2, 3, 4)), "K": np.ones((3, 5, 4))}, "batch axes"),
    ({"mask": np.ones((3, 5))}, "mask must be boolean"),
    ({"mask": np.ones((4, 5), dtype=bool)}, r"mask of shape \(4, 5\) does not broadcast"),
    ({"mask": np.ones((2, 3, 5), dtype=bool)}, "would enlarge"),
    ({"mask": np.array([[True] * 5, [False] * 5, [True] * 5])}, r"1 query row\(s\) with no key"),
    ({"Q": np.full((3, 4), np.nan)}, "Q contains NaN"),
    ({"scale": -1.0}, "scale must be > 0"),
])
def test_attention_validates(kwargs, match):
    args = {"Q": np.ones((3, 4)), "K": np.ones((5, 4)), "V": np.ones((5, 2)), **kwargs}
    with pytest.raises(ValueError, match=match):
        nn.scaled_dot_product_attention(**args)


def test_attention_grads_validates_grad_output():
    with pytest.raises(ValueError, match=r"grad_output must have the output's shape \(3, 2\)"):
        nn.attention_grads(np.ones((3, 4)), np.ones((5, 4)), np.ones((5, 2)), np.ones((3, 3)))


@pytest.mark.parametrize("change,match", [
    ({"X_q": np.ones(8)}, r"X_q must have shape \(\.\.\., n_q, d_model\), got shape \(8,\)"),
    ({"W_q": np.ones((7, 8))}, r"W_q must have 8 rows \(X_q has 8 features\), got shape \(7, 8\)"),
    ({"W_k": np.ones((5, 8))}, r"W_k must have 6 rows \(X_kv has 6 features\), got shape \(5, 8\)"),
    ({"W_k": np.ones((6, 4))}, r"W_k must have 8 columns like W_q, got shape \(6, 4\)"),
    ({"W_v": np.ones((6, 3))}, r"n_heads = 2 must divide the 3 columns of W_v"),
    ({"W_o": np.ones((4, 8))}, r"W_o must have 6 rows"),
    ({"W_o": np.ones(6)}, r"W_o must be 2-dimensional, got shape \(6,\)"),
    ({"n_heads": 3}, r"n_heads = 3 must divide the 8 columns of W_q"),
    ({"n_heads": 0}, "n_heads must be >= 1"),
    ({"mask": np.ones(5, dtype=bool)}, r"mask must have shape \(\.\.\., n_q, n_k\)"),
])
def test_multi_head_validates(change, match):
    args = {"X_q": np.ones((4, 8)), "X_kv": np.ones((5, 6)), "W_q": np.ones((8, 8)), "W_k": np.ones((6, 8)),
            "W_v": np.ones((6, 6)), "W_o": np.ones((6, 8)), "n_heads": 2, **change}
    with pytest.raises(ValueError, match=match):
        nn.multi_head_attention(**args)


def test_attention_ignores_the_order_of_key_value_pairs():
    # attention has no notion of position: permuting keys and values together changes nothing
    rng = np.random.default_rng(11)
    Q, K, V = rng.standard_normal((3, 4)), rng.standard_normal((6, 4)), rng.standard_normal((6, 2))
    perm = rng.permutation(6)
    np.testing.assert_allclose(nn.scaled_dot_product_attention(Q, K[perm], V[perm])[0],
                               nn.scaled_dot_product_attention(Q, K, V)[0], rtol=1e-12)


# -- functional: activations and normalisations against JAX and SciPy -----------------------------------

def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


ACTIVATION_CASES = ["relu", "leaky_relu", "sigmoid", "tanh", "gelu", "gelu_tanh", "softplus"]


def _jax_activation(jax, name):
    return {"relu": jax.nn.relu, "leaky_relu": lambda x: jax.nn.leaky_relu(x, 0.05), "sigmoid": jax.nn.sigmoid,
            "tanh": jax.numpy.tanh, "gelu": lambda x: jax.nn.gelu(x, approximate=False),
            "gelu_tanh": lambda x: jax.nn.gelu(x, approximate=True), "softplus": jax.nn.softplus}[name]


def _ours_activation(name):
    if name == "leaky_relu":
        return (lambda x: F.leaky_relu(x, 0.05)), (lambda x: F.leaky_relu_derivative(x, 0.05))
    if name.startswith("gelu"):
        approx = name == "gelu_tanh"
        return (lambda x: F.gelu(x, approximate=approx)), (lambda x: F.gelu_derivative(x, approximate=approx))
    return getattr(F, name), getattr(F, f"{name}_derivative")


@pytest.mark.parametrize("name", ACTIVATION_CASES)
def test_activations_and_derivatives_match_jax(name):
    jax = _jax()
    rng = np.random.default_rng(20)
    x = np.concatenate([rng.normal(0, 3, 50), [-800.0, -30.0, -1e-3, 1e-3, 30.0, 800.0]])   # and far tails
    f, df = _ours_activation(name)
    ref = _jax_activation(jax, name)
    value, grad = jax.jit(lambda x: (ref(x), jax.vmap(jax.grad(ref))(x)))(x)
    # atol: in the left tail JAX computes 1 + tanh u and 1 - tanh^2 u, which cancel (absolute errors of a few
    # 1e-14 where the true values are ~1e-15); ours does not, see the 50-digit test below
    np.testing.assert_allclose(f(x), value, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(df(x), grad, rtol=1e-12, atol=1e-13)
    assert f(x.reshape(7, 8)).shape == (7, 8) and np.all(np.isfinite(f(x)))


def test_activation_tails_match_50_digit_arithmetic():
    import mpmath as mp
    mp.mp.dps = 50
    c = mp.sqrt(2 / mp.pi)
    exact = {
        "gelu": lambda t: t * mp.erfc(-t / mp.sqrt(2)) / 2,
        "gelu_tanh": lambda t: t / 2 * (1 + mp.tanh(c * (t + mp.mpf("0.044715") * t**3))),
        "sigmoid": lambda t: 1 / (1 + mp.exp(-t)),
        "softplus": lambda t: mp.log(1 + mp.exp(t)),
        "tanh": mp.tanh,
    }
    for name, g in exact.items():
        f, df = _ours_activation(name)
        for t in (-30.0, -7.165, -3.0, 0.5, 20.0):
            np.testing.assert_allclose(f(np.array(t)), float(g(mp.mpf(t))), rtol=1e-12, err_msg=f"{name}({t})")
            np.testing.assert_allclose(df(np.array(t)), float(mp.diff(g, mp.mpf(t))), rtol=1e-12,
                                       err_msg=f"{name}'({t})")


def test_gelu_tanh_approximation_is_close_to_exact():
    x = np.linspace(-6, 6, 2001)
    assert np.abs(F.gelu(x, approximate=True) - F.gelu(x)).max() < 5e-4
    from scipy.stats import norm
    np.testing.assert_allclose(F.gelu(x), x * norm.cdf(x), rtol=1e-13, atol=1e-300)


def test_logsumexp_and_log_softmax_match_scipy():
    from scipy.special import log_softmax as scipy_log_softmax
    from scipy.special import logsumexp as scipy_logsumexp
    rng = np.random.default_rng(21)
    for _ in range(10):
        shape = tuple(int(s) for s in rng.integers(1, 6, size=rng.integers(1, 4)))
        axis = int(rng.integers(-len(shape), len(shape)))
        x = rng.normal(0, rng.uniform(0.1, 300), size=shape)
        np.testing.assert_allclose(F.logsumexp(x, axis), scipy_logsumexp(x, axis=axis), rtol=1e-13)
        np.testing.assert_allclose(F.logsumexp(x, axis, keepdims=True),
                                   scipy_logsumexp(x, axis=axis, keepdims=True), rtol=1e-13)
        np.testing.assert_allclose(F.log_softmax(x, axis), scipy_log_softmax(x, axis=axis), rtol=1e-12,
                                   atol=1e-12)
    assert np.isfinite(F.log_softmax(np.array([0.0, -1e4]))).all()          # where softmax underflows to 0
    np.testing.assert_array_equal(F.log_softmax(np.array([0.0, -np.inf])), [0.0, -np.inf])


@pytest.mark.parametrize("f,x,match", [
    (F.relu, [1.0, np.nan], "x contains NaN"),
    (lambda x: F.leaky_relu(x, slope=-0.1), [1.0], "slope must be >= 0"),
    (F.logsumexp, [np.inf, 0.0], r"NaN or \+inf"),
    (F.log_softmax, [-np.inf, -np.inf], "no finite entry"),
])
def test_functional_validates(f, x, match):
    with pytest.raises(ValueError, match=match):
        f(np.asarray(x))


def test_activations_accept_infinities_as_limits():
    x = np.array([-np.inf, np.inf])
    np.testing.assert_array_equal(F.sigmoid(x), [0.0, 1.0])
    np.testing.assert_array_equal(F.relu(x), [0.0, np.inf])
    np.testing.assert_array_equal(F.tanh(x), [-1.0, 1.0])


# -- losses against optax and jax.grad --------------------------------------------------------------------

def _loss_cases(jax, optax, rng):
    jnp = jax.numpy
    shape = tuple(int(s) for s in rng.integers(1, 6, size=2))
    n, k = (int(v) for v in rng.integers(1, 7, size=2))
    eps = float(rng.uniform(0, 0.3))
    logits = rng.normal(0, 4, (n, k + 1))
    labels = rng.integers(0, k + 1, size=n)
    return [
        (L.MeanSquaredError(), rng.standard_normal(shape), rng.standard_normal(shape),
         lambda p, t: jnp.mean(optax.squared_error(p, t))),
        (L.BinaryCrossEntropyWithLogits(), rng.normal(0, 5, shape), rng.uniform(0, 1, shape),
         lambda p, t: jnp.mean(optax.sigmoid_binary_cross_entropy(p, t))),
        (L.SoftmaxCrossEntropy(), logits, labels,
         lambda p, t: jnp.mean(optax.softmax_cross_entropy_with_integer_labels(p, t))),
        (L.SoftmaxCrossEntropy(label_smoothing=eps), logits, labels,
         lambda p, t: jnp.mean(optax.softmax_cross_entropy(p, optax.smooth_labels(jax.nn.one_hot(t, k + 1), eps)))),
    ]


def test_losses_and_gradients_match_optax_over_random_shapes():
    jax = _jax()
    import optax
    rng = np.random.default_rng(22)
    for _ in range(2):
        for loss, pred, target, ref in _loss_cases(jax, optax, rng):
            value, cache = loss.forward(pred, target)
            ref_value, ref_grad = jax.jit(jax.value_and_grad(ref))(pred, target)
            np.testing.assert_allclose(value, ref_value, rtol=1e-12, err_msg=repr(loss))
            np.testing.assert_allclose(loss.backward(cache), ref_grad, rtol=1e-10, atol=1e-14, err_msg=repr(loss))


def test_cross_entropies_are_stable_for_huge_logits():
    value, cache = L.SoftmaxCrossEntropy().forward(np.array([[1000.0, -1000.0]]), np.array([1]))
    np.testing.assert_allclose(value, 2000.0, rtol=1e-14)
    np.testing.assert_allclose(L.SoftmaxCrossEntropy().backward(cache), [[1.0, -1.0]], rtol=1e-14)
    value, _ = L.BinaryCrossEntropyWithLogits().forward(np.array([-800.0, 800.0]), np.array([1.0, 0.0]))
    np.testing.assert_allclose(value, 800.0, rtol=1e-14)


@pytest.mark.parametrize("loss,pred,target,match", [
    (L.MeanSquaredError(), np.ones(3), np.ones(4), r"target must have pred's shape \(3,\)"),
    (L.BinaryCrossEntropyWithLogits(), np.ones(2), np.array([0.0, 1.5]), r"target must be in \[0, 1\]"),
    (L.SoftmaxCrossEntropy(), np.ones((2, 3)), np.array([0, 3]), r"labels in \[0, 2\]"),
    (L.SoftmaxCrossEntropy(), np.ones((2, 3)), np.array([0.0, 1.0]), "integer labels"),
    (L.SoftmaxCrossEntropy(), np.ones((2, 3)), np.array([[0, 1]]), r"target must have shape \(2,\)"),
    (L.MeanSquaredError(), np.array([np.nan]), np.zeros(1), "pred contains NaN"),
])
def test_losses_validate(loss, pred, target, match):
    with pytest.raises(ValueError, match=match):
        loss.forward(pred, target)
    with pytest.raises(ValueError, match="label_smoothing must be <= 1"):
        L.SoftmaxCrossEntropy(label_smoothing=1.5)


# -- attention: the per-head loop, saturation statistics, the kernels' shared checks -----------------------

def test_multi_head_loop_matches_reshape_and_counts_the_work():
    rng = np.random.default_rng(23)
    for _ in range(5):
        h = int(rng.integers(1, 5))
        d_model, d_kv, d_out = (int(v) for v in rng.integers(1, 9, size=3))
        d_k, d_v = (int(v) for v in rng.integers(1, 5, size=2))
        n_q, n_k = (int(v) for v in rng.integers(1, 7, size=2))
        X_q, X_kv = rng.standard_normal((n_q, d_model)), rng.standard_normal((n_k, d_kv))
        W = [rng.standard_normal(s) for s in ((d_model, h * d_k), (d_kv, h * d_k), (d_kv, h * d_v),
                                               (h * d_v, d_out))]
        mask = rng.random((n_q, n_k)) < 0.5
        mask[:, 0] = True
        res = nn.multi_head_attention_loop(X_q, X_kv, *W, h, mask=mask)
        np.testing.assert_allclose(res.output, loop_multi_head(X_q, X_kv, *W, h, mask), rtol=1e-10, atol=1e-12)
        assert res.n_weights == sum(w.size for w in W)
        assert res.n_attention_weights == h * n_q * n_k
        # projections, scores, weighted values, output projection: closed form
        expected = (n_q * d_model * h * d_k + n_k * d_kv * h * (d_k + d_v) + h * n_q * n_k * (d_k + d_v)
                    + n_q * h * d_v * d_out)
        assert res.multiply_adds == expected
    with pytest.raises(ValueError, match="must be 2-dimensional here"):
        nn.multi_head_attention_loop(np.ones((2, 3, 4)), np.ones((2, 3, 4)), *(np.ones((4, 4)),) * 4, 2)


def test_prefix_scores_are_the_products_of_the_first_columns():
    rng = np.random.default_rng(24)
    Q, K = rng.standard_normal((5, 16)), rng.standard_normal((7, 16))
    widths = [1, 2, 5, 16]
    S = nn.prefix_scores(Q, K, widths)
    for i, d in enumerate(widths):
        np.testing.assert_allclose(S[i], Q[:, :d] @ K[:, :d].T, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="widths must be strictly increasing integers"):
        nn.prefix_scores(Q, K, [2, 2])
    with pytest.raises(ValueError, match="K must have 16 columns"):
        nn.prefix_scores(Q, K[:, :3], [1])


def test_softmax_saturation_matches_direct_computation():
    rng = np.random.default_rng(25)
    S = rng.normal(0, 3, (3, 6, 5))                                   # three score matrices at once
    sat = nn.softmax_saturation(S)
    P = scipy_softmax(S, axis=-1)
    np.testing.assert_allclose(sat.weights, P, rtol=1e-13)
    np.testing.assert_allclose(sat.max_weight, P.max(-1).mean(-1), rtol=1e-13)
    from scipy.stats import entropy
    np.testing.assert_allclose(sat.entropy, entropy(P, axis=-1).mean(-1) / np.log(5), rtol=1e-12)
    jac_norm = np.linalg.norm(nn.softmax_jacobian(P), axis=(-2, -1))
    np.testing.assert_allclose(sat.jacobian_norm, np.median(jac_norm, axis=-1), rtol=1e-10)
    one = nn.softmax_saturation(S[0])
    assert isinstance(one.max_weight, float) and one.max_weight == pytest.approx(sat.max_weight[0], rel=1e-14)
    uniform = nn.softmax_saturation(np.zeros((2, 4)))
    assert uniform.max_weight == pytest.approx(0.25) and uniform.entropy == pytest.approx(1.0)
    with pytest.raises(ValueError, match="n_k >= 2"):
        nn.softmax_saturation(np.zeros((3, 1)))

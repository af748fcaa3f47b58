"""Unit tests of mlsheet_utils.nn against gold references over randomly drawn shapes (numpy-ml style)."""

import numpy as np
import pytest
from scipy.special import softmax as scipy_softmax

from mlsheet_utils import checks
from mlsheet_utils.algorithms.nn import attention as nn


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

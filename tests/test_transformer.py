"""Positional encodings and the encoder block against independent references."""

import numpy as np
import pytest
from scipy.linalg import expm

from mlsheet_utils.algorithms.nn import attention
from mlsheet_utils.algorithms.nn import transformer as tf
from mlsheet_utils.checks.layers import check_layer
from mlsheet_utils.tools.speed.transformer import _block_loop, _rope_complex, _table_loops


@pytest.mark.parametrize("max_len,d_model", [(1, 2), (30, 8), (17, 7), (50, 64)])
def test_table_matches_formula(max_len, d_model):
    np.testing.assert_allclose(tf.sinusoidal_encoding(max_len, d_model), _table_loops(max_len, d_model),
                               rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("k", [1, 3.5, -4, 20])
def test_rotation_is_matrix_exponential_and_shifts_rows(k):
    d = 12
    G = np.zeros((d, d))
    for j, o in enumerate(10000.0 ** (-2 * np.arange(d // 2) / d)):
        G[2 * j, 2 * j + 1], G[2 * j + 1, 2 * j] = o, -o
    R = tf.encoding_rotation(k, d)
    np.testing.assert_allclose(R, expm(k * G), rtol=1e-10, atol=1e-12)
    if float(k).is_integer() and k > 0:
        pe = tf.sinusoidal_encoding(60, d)
        np.testing.assert_allclose(pe[int(k):], pe[: -int(k)] @ R.T, atol=1e-12)


def test_offset_similarity_is_gram_diagonal():
    pe = tf.sinusoidal_encoding(25, 10)
    gram = pe @ pe.T
    for k in range(25):
        np.testing.assert_allclose(np.diagonal(gram, offset=k), tf.offset_similarity(k, 10), atol=1e-12)
    np.testing.assert_allclose(tf.offset_similarity([-3, 3], 10), [gram[0, 3]] * 2, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rope_complex_and_relative(seed):
    g = np.random.default_rng(seed)
    X = g.standard_normal((3, 7, 8))
    np.testing.assert_allclose(tf.apply_rope(X), _rope_complex(X), atol=1e-13)
    q, k = g.standard_normal((1, 8)), g.standard_normal((1, 8))
    s1 = tf.apply_rope(q, [5.0]) @ tf.apply_rope(k, [2.0]).T
    s2 = tf.apply_rope(q, [105.0]) @ tf.apply_rope(k, [102.0]).T
    np.testing.assert_allclose(s1, s2, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_block_forward_matches_direct_version(seed):
    g = np.random.default_rng(seed)
    block = tf.EncoderBlock(64, 8, 256)
    params = block.init_params(g)
    X = g.standard_normal((6, 64))
    np.testing.assert_allclose(block.forward(X, params)[0], _block_loop(X, params), atol=1e-12)


@pytest.mark.parametrize("placement,causal", [("post", False), ("pre", True)])
def test_block_gradients_finite_differences(placement, causal):
    block = tf.EncoderBlock(4, 2, 6, placement=placement, causal=causal)
    check_layer(block, block.init_params(3), np.random.default_rng(4).standard_normal((2, 3, 4)),
                reference=False, rtol=1e-5, atol=1e-7)


def test_learned_positions_gradients():
    layer = tf.LearnedPositions(5, 3)
    check_layer(layer, layer.init_params(1), np.random.default_rng(2).standard_normal((2, 4, 3)),
                reference=False)


def _count(tree):
    if isinstance(tree, dict):
        return sum(_count(v) for v in tree.values())
    if isinstance(tree, (list, tuple)):
        return sum(_count(v) for v in tree)
    return int(np.size(tree))


@pytest.mark.parametrize("d,h,f,n", [(8, 2, 16, 3), (32, 4, 128, 10), (24, 3, 40, 7)])
def test_cost_against_counted_arrays_and_products(d, h, f, n):
    cost = tf.encoder_block_cost(d, f, n)
    assert cost.n_params == _count(tf.EncoderBlock(d, h, f).init_params(0))
    g = np.random.default_rng(0)
    X = g.standard_normal((n, d))
    loop = attention.multi_head_attention_loop(X, X, *(g.standard_normal((d, d)) for _ in range(4)), h)
    assert cost.projection_madds + cost.score_madds == loop.multiply_adds
    assert cost.ffn_madds == 2 * n * d * f and cost.flops == 2 * cost.madds
    assert tf.encoder_block_cost(512, 2048, attention_bias=True).n_params == 3_152_384


def test_bad_inputs():
    with pytest.raises(ValueError, match="max_len"):
        tf.sinusoidal_encoding(0, 4)
    with pytest.raises(ValueError, match="d_model"):
        tf.offset_similarity(3, 5)
    with pytest.raises(ValueError, match="d even"):
        tf.apply_rope(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="positions"):
        tf.apply_rope(np.zeros((3, 4)), [0, 1])
    with pytest.raises(ValueError, match="max_len"):
        tf.LearnedPositions(4, 2).forward(np.zeros((5, 2)), {"P": np.zeros((4, 2))})
    with pytest.raises(ValueError, match="placement"):
        tf.EncoderBlock(8, 2, 16, placement="middle")
    with pytest.raises(ValueError, match="divide"):
        tf.EncoderBlock(8, 3, 16)
    with pytest.raises(ValueError, match="d_ff"):
        tf.encoder_block_cost(8, 0)
    with pytest.raises(ValueError, match="base"):
        tf.frequencies(4, base=1.0)

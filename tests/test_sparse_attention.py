"""Sparse (Longformer-style) masks and counts against definitions written entry by entry."""

import numpy as np
import pytest
from scipy.special import softmax

from mlsheet_utils.algorithms.nn import sparse_attention as sa


def loop_mask(n, w, g, causal):
    M = np.zeros((n, n), dtype=bool)
    for i in range(n):
        for j in range(n):
            M[i, j] = ((w is None or abs(i - j) <= w) or i < g or j < g) and (j <= i or not causal)
    return M


@pytest.mark.parametrize("causal", [False, True])
def test_masks_and_counts_match_the_definition(causal):
    for n in range(1, 12):
        for w in (None, 0, 1, 2, 5, 15):
            for g in range(0, min(n, 3) + 1):
                ref = loop_mask(n, w, g, causal)
                assert np.array_equal(sa.longformer_mask(n, w, g, causal=causal), ref)
                assert sa.attended_pairs(n, w, g, causal=causal) == ref.sum()


def test_counts_vectorised_over_lengths():
    ns = np.arange(5, 40)
    want = [loop_mask(int(n), 3, 2, False).sum() for n in ns]
    np.testing.assert_array_equal(sa.attended_pairs(ns, 3, 2), want)
    cost = sa.attention_cost(ns, 3, 2, d_k=8, d_v=4)
    np.testing.assert_array_equal(cost.multiply_adds, np.array(want) * 12)
    np.testing.assert_allclose(cost.share, np.array(want) / ns**2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sparse_attention_against_scipy(seed):
    rng = np.random.default_rng(seed)
    Q, K, V = rng.standard_normal((3, 10, 4))
    for w, g, causal in ((1, 0, False), (2, 1, False), (3, 2, True), (9, 0, False)):
        scores = np.where(loop_mask(10, w, g, causal), Q @ K.T / 2.0, -np.inf)
        out, A = sa.sparse_attention(Q, K, V, w, g, causal=causal)
        np.testing.assert_allclose(out, softmax(scores, axis=-1) @ V, rtol=1e-12, atol=1e-14)
    full = softmax(Q @ K.T / 2.0, axis=-1) @ V
    np.testing.assert_allclose(sa.sparse_attention(Q, K, V, 9)[0], full, rtol=1e-12, atol=1e-14)


def test_encoder_decoder_blocks():
    M = sa.encoder_decoder_mask(4, 3, window=1)
    assert np.array_equal(M[:4, :4], loop_mask(4, 1, 0, False))
    assert M[4:, :4].all() and not M[:4, 4:].any()
    assert np.array_equal(M[4:, 4:], loop_mask(3, 1, 0, True))


def test_receptive_field_by_paths():
    M = loop_mask(20, 2, 0, False)
    reach = np.linalg.matrix_power(M.astype(int), 3) > 0
    assert np.array_equal(sa.receptive_field(M, 3), reach)
    assert sa.receptive_field(loop_mask(20, 1, 1, False), 2).all()


def test_bad_inputs():
    with pytest.raises(ValueError, match="window"):
        sa.longformer_mask(5, -1)
    with pytest.raises(ValueError, match="n_global"):
        sa.longformer_mask(5, 1, 6)
    with pytest.raises(ValueError, match="n must hold"):
        sa.attended_pairs([3.5], 1)
    with pytest.raises(ValueError, match="n_global"):
        sa.attended_pairs([2, 5], 1, 3)
    with pytest.raises(ValueError, match="mask"):
        sa.receptive_field(np.ones((3, 3)), 2)

"""BERT masking and the masked-LM loss against independent references (SciPy statistics, JAX autodiff)."""

import numpy as np
import pytest
from scipy import stats

from mlsheet_utils.algorithms.nn import masking


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bert_mask_shares_and_consistency(seed):
    g = np.random.default_rng(seed)
    tokens = g.integers(0, 20, (300, 40))
    b = masking.bert_mask(tokens, 20, 20, g)
    expected = np.array([0.85, 0.12, 0.015, 0.015])
    assert stats.chisquare(np.bincount(b.action.ravel(), minlength=4), tokens.size * expected).pvalue > 1e-4
    a = b.action
    assert np.all(b.inputs[a == masking.MASKED] == 20)
    assert np.all(b.inputs[(a == 0) | (a == 3)] == tokens[(a == 0) | (a == 3)])
    assert np.all(np.where(a > 0, tokens, masking.IGNORE_INDEX) == b.labels)


def _jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax, jax.numpy


@pytest.mark.parametrize("seed", [0, 1])
def test_loss_and_toy_model_gradients_against_jax(seed):
    jax, jnp = _jax()
    g = np.random.default_rng(seed)
    b = masking.bert_mask(g.integers(0, 10, (3, 7)), 10, 10, g, rate=0.4)
    scored = b.labels != masking.IGNORE_INDEX
    if not scored.any():
        pytest.skip("no scored position")
    p = {"E": g.normal(size=(11, 4)), "W": g.normal(size=(4, 10)), "b": g.normal(size=10)}

    def ref(params):
        h = params["E"][b.inputs]
        c = (h.sum(-2, keepdims=True) - h) / (b.inputs.shape[-1] - 1)
        logp = jax.nn.log_softmax(c @ params["W"] + params["b"], axis=-1)
        picked = jnp.take_along_axis(logp, jnp.where(scored, b.labels, 0)[..., None], axis=-1)[..., 0]
        return -jnp.sum(jnp.where(scored, picked, 0.0)) / scored.sum()

    value, grads = masking.bag_of_words_grads(p, b.inputs, b.labels)
    rv, rg = jax.value_and_grad(ref)({k: jnp.asarray(v) for k, v in p.items()})
    np.testing.assert_allclose(value, float(rv), rtol=1e-12)
    for k in ("E", "W", "b"):
        np.testing.assert_allclose(grads[k], np.asarray(rg[k]), rtol=1e-9, atol=1e-13)


def test_sum_reduction_is_count_times_mean():
    g = np.random.default_rng(3)
    z = g.normal(size=(2, 5, 6))
    labels = np.where(g.random((2, 5)) < 0.5, g.integers(0, 6, (2, 5)), -100)
    labels[0, 0] = 2
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    ref = -sum(logp[i, j, labels[i, j]] for i, j in zip(*np.nonzero(labels != -100)))
    np.testing.assert_allclose(masking.MaskedLMLoss("sum").forward(z, labels)[0], ref, rtol=1e-12)
    np.testing.assert_allclose(masking.MaskedLMLoss().forward(z, labels)[0], ref / (labels != -100).sum(), rtol=1e-12)


def test_bad_inputs():
    with pytest.raises(ValueError, match="tokens"):
        masking.bert_mask([0, 5], 3, 3)
    with pytest.raises(ValueError, match="mask_share"):
        masking.bert_mask([0, 1], 3, 3, mask_share=0.95, random_share=0.1)
    with pytest.raises(ValueError, match="no position"):
        masking.MaskedLMLoss().forward(np.zeros((3, 4)), np.full(3, -100))
    with pytest.raises(ValueError, match="reduction"):
        masking.MaskedLMLoss("max")
    with pytest.raises(ValueError, match="inputs"):
        masking.bag_of_words_logits({"E": np.zeros((3, 2)), "W": np.zeros((2, 3)), "b": np.zeros(3)}, [1])

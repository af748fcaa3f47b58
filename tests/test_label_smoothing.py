"""Label smoothing: ``smooth_labels`` and the smoothed ``SoftmaxCrossEntropy`` against Optax (float64) and the
closed-form optimum of the smoothed loss."""

import numpy as np
import pytest

from mlsheet_utils.algorithms.nn import losses

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
jax.config.update("jax_enable_x64", True)


@pytest.mark.parametrize("seed", range(4))
def test_smooth_labels_and_loss_match_optax(seed):
    rng = np.random.default_rng(seed)
    n, k = rng.integers(1, 8), rng.integers(2, 12)
    eps = float(rng.uniform(0, 1))
    logits, labels = rng.normal(scale=4.0, size=(n, k)), rng.integers(0, k, size=n)
    q_ref = np.asarray(optax.smooth_labels(jax.nn.one_hot(labels, k, dtype=jax.numpy.float64), eps))
    np.testing.assert_allclose(losses.smooth_labels(labels, k, eps), q_ref, rtol=1e-12)

    def ref(z):
        return optax.softmax_cross_entropy(z, q_ref).mean()

    loss = losses.SoftmaxCrossEntropy(label_smoothing=eps)
    value, cache = loss.forward(logits, labels)
    np.testing.assert_allclose(value, float(ref(logits)), rtol=1e-12)
    np.testing.assert_allclose(loss.backward(cache), np.asarray(jax.grad(ref)(logits)), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("k, eps", [(2, 0.05), (10, 0.1), (50, 0.5), (7, 1.0)])
def test_minimum_is_at_the_closed_form_gap(k, eps):
    # logits (gap, 0, ..., 0): the loss is smallest at gap* = log((1 - eps + eps/K) / (eps/K))
    gap_star = np.log((1 - eps + eps / k) / (eps / k))
    loss = losses.SoftmaxCrossEntropy(label_smoothing=eps)

    def at(gap):
        row = np.zeros((1, k))
        row[0, 0] = gap
        return loss.forward(row, np.array([0]))

    value, cache = at(gap_star)
    np.testing.assert_allclose(loss.backward(cache), 0.0, atol=1e-14)
    assert value < min(at(gap_star - 0.1)[0], at(gap_star + 0.1)[0])
    q = np.r_[1 - eps + eps / k, np.full(k - 1, eps / k)]
    entropy = -np.sum(q * np.log(q))
    np.testing.assert_allclose(value, entropy, rtol=1e-12)


@pytest.mark.parametrize("labels, n_classes, eps, match", [
    (np.array([0, 3]), 3, 0.1, r"labels must be in \[0, 2\]"),
    (np.array([0.0, 1.0]), 3, 0.1, "labels must hold integers"),
    (np.array([0, 1]), 0, 0.1, "n_classes"),
    (np.array([0, 1]), 3, 1.5, "label_smoothing"),
    (np.array([0, 1]), 3, -0.1, "label_smoothing"),
])
def test_smooth_labels_rejects_bad_input(labels, n_classes, eps, match):
    with pytest.raises(ValueError, match=match):
        losses.smooth_labels(labels, n_classes, eps)

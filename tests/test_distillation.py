"""Knowledge distillation loss against JAX/optax and SciPy, and its input checks."""

import numpy as np
import pytest
from scipy.special import softmax as scipy_softmax

from mlsheet_utils.algorithms.nn import distillation as kd
from mlsheet_utils.algorithms.nn import layers, optimizers, train

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
jax.config.update("jax_enable_x64", True)


def _reference(z, v, y, t, a, scaled):
    soft = optax.kl_divergence(jax.nn.log_softmax(z / t), jax.nn.softmax(v / t)).mean()
    hard = optax.softmax_cross_entropy_with_integer_labels(z, y).mean()
    return a * (t**2 if scaled else 1.0) * soft + (1 - a) * hard


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("scaled", [True, False])
def test_loss_and_gradient_match_jax(seed, scaled):
    g = np.random.default_rng(seed)
    n, k = 3 + seed, 4 + seed
    z, v = g.normal(0, 2, (n, k)), g.normal(0, 3, (n, k))
    y = g.integers(0, k, n)
    t, a = 0.5 + 3 * seed, 0.2 + 0.3 * seed
    res = kd.distillation_terms(z, v, y, temperature=t, alpha=a, scale_soft=scaled)
    value, grad = jax.value_and_grad(_reference)(z, v, y, t, a, scaled)
    np.testing.assert_allclose(res.total, float(value), rtol=1e-11)
    np.testing.assert_allclose(res.grad, np.asarray(grad), rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(res.hard, float(optax.softmax_cross_entropy_with_integer_labels(z, y).mean()),
                               rtol=1e-11)


def test_soft_targets_match_scipy():
    v = np.random.default_rng(3).normal(0, 4, (5, 7))
    for t in (0.3, 1.0, 6.0):
        np.testing.assert_allclose(kd.soft_targets(v, t), scipy_softmax(v / t, axis=-1), rtol=1e-12, atol=1e-15)


def test_fit_with_distillation_loss_reduces_it():
    g = np.random.default_rng(4)
    X = g.standard_normal((40, 3))
    teacher_logits = X @ g.standard_normal((3, 4))
    y = teacher_logits.argmax(1)
    model = layers.Sequential(layers.Linear(3, 4))
    loss = kd.DistillationLoss(3.0, 0.7)
    target = kd.pack_targets(teacher_logits, y)
    params, history = train.fit(model, model.init_params(0), loss, optimizers.Adam(0.05), X, target, epochs=40,
                                batch_size=10, rng=0)
    assert history.loss[-1] < 0.5 * history.loss[0]


def test_bad_inputs_raise():
    z = np.zeros((2, 3))
    with pytest.raises(ValueError, match="temperature"):
        kd.DistillationLoss(0.0, 0.5)
    with pytest.raises(ValueError, match="alpha"):
        kd.DistillationLoss(2.0, 1.5)
    with pytest.raises(ValueError, match="temperature"):
        kd.soft_targets(z, -1.0)
    with pytest.raises(ValueError, match="labels"):
        kd.pack_targets(z, np.array([0, 3]))
    with pytest.raises(ValueError, match="labels"):
        kd.pack_targets(z, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="target"):
        kd.DistillationLoss(2.0, 0.5).forward(z, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="integer labels"):
        kd.DistillationLoss(2.0, 0.5).forward(z, np.hstack([z, [[0.5], [1.0]]]))

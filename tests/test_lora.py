"""LoRA layer, merging and the truncated SVD against JAX autodiff, SciPy and direct formulas."""

import numpy as np
import pytest
from scipy.linalg import svd

from mlsheet_utils.algorithms.nn import layers, lora

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jax.config.update("jax_enable_x64", True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_forward_and_gradients_match_jax(seed):
    g = np.random.default_rng(seed)
    d, k, r, alpha = 4 + seed, 3 + seed, 1 + seed, 0.5 + seed
    W0, b0 = g.standard_normal((d, k)), g.standard_normal(k)
    layer = lora.LoRALinear(W0, b0, r, alpha)
    A, B = g.standard_normal((d, r)), g.standard_normal((r, k))
    x, dy = g.standard_normal((2, 3, d)), g.standard_normal((2, 3, k))

    def ref(x_, A_, B_):
        return x_ @ (W0 + alpha / r * A_ @ B_) + b0

    y, cache = layer.forward(x, {"A": A, "B": B})
    y_ref, vjp = jax.vjp(ref, x, A, B)
    dx_ref, dA_ref, dB_ref = vjp(dy)
    dx, grads = layer.backward(dy, cache)
    np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grads["A"], dA_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grads["B"], dB_ref, rtol=1e-12, atol=1e-12)


def test_zero_start_and_merge():
    g = np.random.default_rng(3)
    W0, b0 = g.standard_normal((6, 4)), g.standard_normal(4)
    layer = lora.LoRALinear(W0, b0, 2, alpha=4.0)
    p = layer.init_params(1)
    x = g.standard_normal((5, 6))
    assert np.array_equal(p["B"], np.zeros((2, 4)))
    np.testing.assert_array_equal(layer.forward(x, p)[0], x @ W0 + b0)
    p = {"A": g.standard_normal((6, 2)), "B": g.standard_normal((2, 4))}
    np.testing.assert_allclose(lora.merge_lora(layer, p), W0 + 2.0 * p["A"] @ p["B"], rtol=1e-13)
    mlp = layers.Sequential(layers.Linear(6, 4), layers.Activation("tanh"), layers.Linear(4, 3))
    base = mlp.init_params(0)
    adapted, start = lora.lora_model(mlp, base, rank=2, alpha=2.0, rng=0)
    trained = [{"A": g.standard_normal(q["A"].shape), "B": g.standard_normal(q["B"].shape)} if q else q
               for q in start]
    h = np.tanh(x @ (base[0]["W"] + trained[0]["A"] @ trained[0]["B"]) + base[0]["b"])
    expected = h @ (base[2]["W"] + trained[2]["A"] @ trained[2]["B"]) + base[2]["b"]
    np.testing.assert_allclose(adapted.forward(x, trained)[0], expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mlp.forward(x, lora.merged_params(adapted, trained))[0], expected, rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_best_low_rank_matches_scipy(seed):
    g = np.random.default_rng(seed)
    M = g.standard_normal((7, 5))
    U, s, Vt = svd(M, full_matrices=False)
    for r in range(0, 6):
        res = lora.best_low_rank(M, r)
        np.testing.assert_allclose(res.A @ res.B, (U[:, :r] * s[:r]) @ Vt[:r], atol=1e-12)
        np.testing.assert_allclose(res.error, np.linalg.norm(M - (U[:, :r] * s[:r]) @ Vt[:r]), rtol=1e-10,
                                   atol=1e-12)
        # no other rank-r product of random factors does better (Eckart-Young)
        other = g.standard_normal((7, r)) @ g.standard_normal((r, 5)) if r else np.zeros((7, 5))
        assert np.linalg.norm(M - other) >= res.error - 1e-12


def test_param_count():
    assert lora.lora_param_count(4096, 4096, 8) == 8 * 4096 * 2
    layer = lora.LoRALinear(np.zeros((10, 3)), None, 3)
    assert sum(np.prod(s) for s in layer.param_shapes().values()) == 10 * 3 + 3 * 3


@pytest.mark.parametrize("bad", [
    lambda: lora.LoRALinear(np.ones((4, 3)), None, 0),
    lambda: lora.LoRALinear(np.ones((4, 3)), None, 4),
    lambda: lora.LoRALinear(np.ones((4, 3)), np.ones(4), 1),
    lambda: lora.LoRALinear(np.ones((4, 3)), None, 1, alpha=0.0),
    lambda: lora.LoRALinear(np.ones(4), None, 1),
    lambda: lora.lora_param_count(0, 3, 1),
    lambda: lora.best_low_rank(np.ones((3, 2)), 3),
    lambda: lora.merge_lora(layers.Linear(3, 2), {}),
    lambda: lora.LoRALinear(np.ones((4, 3)), None, 1).forward(np.ones((2, 5)), {"A": np.ones((4, 1)),
                                                                                 "B": np.ones((1, 3))}),
])
def test_bad_input(bad):
    with pytest.raises(ValueError):
        bad()

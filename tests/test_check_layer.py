"""checks.layers: check_layer passes on correct layers and fails on wrong ones; check_optimizer_step likewise."""

import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pytest

from mlsheet_utils.algorithms.nn import attention, optimizers
from mlsheet_utils.algorithms.nn import layers as L
from mlsheet_utils.checks.layers import check_layer, check_optimizer_step


def test_importing_the_package_and_the_check_does_not_import_jax():
    code = ("import sys, mlsheet_utils, mlsheet_utils.checks, mlsheet_utils.algorithms.nn.layers, "
            "mlsheet_utils.algorithms.nn.attention, mlsheet_utils.algorithms.nn.train, mlsheet_utils.checks.layers; "
            "assert 'jax' not in sys.modules, 'jax was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("layer,x", [
    (L.Linear(4, 3), np.linspace(-1, 1, 20).reshape(5, 4)),
    (L.Sequential(L.Linear(3, 4), L.Activation("gelu"), L.Dropout(0.3), L.BatchNorm(4), L.Linear(4, 2)),
     np.linspace(-2, 2, 18).reshape(6, 3)),
    (L.Embedding(5, 3), np.array([[0, 4, 4], [2, 1, 0]])),
    (attention.MultiHeadAttention(4, 2, causal=True), np.linspace(-1, 1, 24).reshape(2, 3, 4)),
])
def test_check_layer_passes_on_correct_layers_and_prints_two_lines(layer, x, capsys):
    check_layer(layer, layer.init_params(1), x)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"OK {layer!r}: ") and "vs central differences (eps=1e-06)" in lines[0]
    assert "vs jax.vjp of" in lines[1] and lines[1].endswith("(rtol=1e-06, atol=1e-08)")
    assert all("max |diff| is under 10% of the tolerance" in line for line in lines)


@dataclass(frozen=True, repr=False)
class NudgedLinear(L.Linear):
    """A wrong backward: dW off by 0.1%, the size of a make-mutate mutant."""

    def _backward(self, dy, cache):
        dx, grads = super()._backward(dy, cache)
        return dx, {**grads, "W": grads["W"] * 1.001}


@dataclass(frozen=True, repr=False)
class UntransposedLinear(L.Linear):
    """A classic bug: dx = dy W instead of dy W^T (the shapes agree for a square W)."""

    def _backward(self, dy, cache):
        _, grads = super()._backward(dy, cache)
        return dy @ cache["W"], grads


@dataclass(frozen=True, repr=False)
class HalfLayerNorm(L.LayerNorm):
    """A LayerNorm backward missing the x_hat * mean(g * x_hat) term."""

    def _backward(self, dy, cache):
        g, inv_std = dy * cache["gamma"], cache["inv_std"]
        dx = inv_std * (g - g.mean(axis=-1, keepdims=True))
        return dx, {"gamma": (dy * cache["x_hat"]).reshape(-1, self.n_features).sum(0),
                    "beta": dy.reshape(-1, self.n_features).sum(0)}


@pytest.mark.parametrize("layer,x,part", [
    (NudgedLinear(3, 2), np.linspace(-1, 1, 12).reshape(4, 3), "W"),
    (UntransposedLinear(3, 3), np.linspace(-1, 1, 12).reshape(4, 3), "dx"),
    (HalfLayerNorm(4), np.linspace(-1, 2, 12).reshape(3, 4), "dx"),
])
@pytest.mark.parametrize("reference", [False, None])
def test_check_layer_fails_on_a_wrong_backward(layer, x, part, reference):
    # finite differences alone catch it, and so does JAX (the comparison with JAX runs after them, so here with
    # reference=None it is the finite differences that fail first; the next test isolates JAX)
    params = layer.init_params(0)
    if isinstance(layer, L.LayerNorm):
        params = {"gamma": np.array([1.0, 2.0, 0.5, -1.0]), "beta": np.zeros(4)}
    with pytest.raises(AssertionError, match=rf": {part} vs central differences.*exceeds the tolerance"):
        check_layer(layer, params, x, reference=reference)


@dataclass(frozen=True, repr=False)
class DoubleBiasLinear(L.Linear):
    """Forward x W + 2b with the matching backward: consistent with itself, so finite differences pass, but it
    is not a dense layer."""

    def _forward(self, x, params, rng, training):
        y, cache = super()._forward(x, params, rng, training)
        return y + params["b"], cache

    def _backward(self, dy, cache):
        dx, grads = super()._backward(dy, cache)
        return dx, {**grads, "b": 2 * grads["b"]}


def test_check_layer_jax_reference_catches_what_finite_differences_cannot():
    layer, x = DoubleBiasLinear(3, 2), np.linspace(-1, 1, 12).reshape(4, 3)
    params = {"W": np.ones((3, 2)), "b": np.array([0.5, -1.0])}
    check_layer(layer, params, x, reference=False)                    # self-consistent
    with pytest.raises(AssertionError, match=r": y vs jax.vjp of equinox.nn.Linear"):
        check_layer(layer, params, x)


def test_check_layer_accepts_a_forward_backward_pair_with_a_jax_reference(capsys):
    import jax.numpy as jnp

    def forward(x, params):
        y = np.sin(x) * params["a"]
        return y, {"x": x, "a": params["a"]}

    def backward(dy, cache):
        return dy * np.cos(cache["x"]) * cache["a"], {"a": (dy * np.sin(cache["x"])).sum(0)}

    x, params = np.linspace(0, 2, 6).reshape(3, 2), {"a": np.array([1.5, -0.5])}
    check_layer((forward, backward), params, x, reference=lambda x, p: jnp.sin(x) * p["a"], name="sine")
    out = capsys.readouterr().out
    assert "OK sine: dx, a vs central differences" in out and "vs jax.vjp of the given JAX reference" in out
    with pytest.raises(AssertionError, match="sine: y vs jax.vjp of the given JAX reference"):
        check_layer((forward, backward), params, x, reference=lambda x, p: jnp.sin(x) * p["a"] * 1.01,
                    name="sine")
    with pytest.raises(ValueError, match="needs reference="):
        check_layer((forward, backward), params, x)


def test_check_layer_rejects_grads_with_other_keys():
    class NoBias(L.Linear):
        def _backward(self, dy, cache):
            dx, grads = super()._backward(dy, cache)
            return dx, {"W": grads["W"]}

    layer = NoBias(2, 2)
    with pytest.raises(AssertionError, match=r"grads have the arrays \['W'\], params have \['W', 'b'\]"):
        check_layer(layer, layer.init_params(), np.ones((3, 2)), reference=False)


@pytest.mark.parametrize("opt", [optimizers.SGD(0.1, 0.9, nesterov=True), optimizers.RMSProp(0.01),
                                 optimizers.AdaGrad(0.1, initial_accumulator=0.1, eps_inside_sqrt=True),
                                 optimizers.AdamW(0.01, weight_decay=0.1)])
def test_check_optimizer_step_passes_against_optax(opt, capsys):
    check_optimizer_step(opt, {"W": np.ones((2, 3)), "b": np.zeros(3)}, steps=3)
    assert capsys.readouterr().out.startswith(f"OK {opt!r}, 3 steps vs optax.")


@dataclass(frozen=True, repr=False)
class EpsInsideAdam(optimizers.Adam):
    """Adam with epsilon moved inside the square root: a different optimiser from optax.adam."""

    def _direction(self, grads, state):
        slots, _ = super()._direction(grads, state)
        t = state.step + 1
        c1, c2 = 1 - self.b1**t, 1 - self.b2**t
        d = optimizers._tree_map(lambda m, v: (m / c1) / np.sqrt(v / c2 + self.eps), slots["m"], slots["v"])
        return slots, d


def test_check_optimizer_step_fails_on_the_other_epsilon_convention():
    with pytest.raises(AssertionError, match="steps vs optax.adam"):
        check_optimizer_step(EpsInsideAdam(0.1, eps=1e-3), {"w": np.ones(4)}, steps=2)
    with pytest.raises(ValueError, match="optax.adagrad adds eps inside"):
        check_optimizer_step(optimizers.AdaGrad(0.1), {"w": np.ones(2)})


@pytest.mark.parametrize("name", ["elu", "selu", "silu", "mish", "softsign", "hard_sigmoid", "hard_tanh"])
def test_every_activation_has_a_jax_reference(name):
    """Each activation the layers accept is checked against its jax.nn twin (values and vector-Jacobian products);
    inputs avoid the kinks of the piecewise ones, where derivatives are a convention."""
    layer = L.Activation(name)
    x = np.random.default_rng(0).uniform(-2.5, 2.5, size=(4, 5))
    x[np.abs(np.abs(x) - 1) < 0.05] += 0.1                      # away from hard_tanh's kinks at +-1
    check_layer(layer, {}, x)                                    # raises AssertionError on any mismatch

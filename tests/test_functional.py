"""The activations of mlsheet_utils.algorithms.nn.functional that tests/test_nn.py does not cover (ELU, SELU,
Swish/SiLU, Mish, softsign, hard sigmoid, hard tanh) against gold references: jax.nn and jax.grad in float64,
50-digit arithmetic in the tails, SciPy quadrature for the SELU constants."""

import math

import numpy as np
import pytest

from mlsheet_utils.algorithms.nn import functional as F
from mlsheet_utils.algorithms.nn import layers


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def _cases(jax):
    """name -> (ours, our derivative, JAX reference)."""
    nn = jax.nn
    return {
        "elu": (F.elu, F.elu_derivative, nn.elu),
        "elu alpha=0.3": (lambda x: F.elu(x, 0.3), lambda x: F.elu_derivative(x, 0.3), lambda x: nn.elu(x, 0.3)),
        "elu alpha=2.5": (lambda x: F.elu(x, 2.5), lambda x: F.elu_derivative(x, 2.5), lambda x: nn.elu(x, 2.5)),
        "selu": (F.selu, F.selu_derivative, nn.selu),
        "silu": (F.swish, F.swish_derivative, nn.silu),
        "swish beta=1.7": (lambda x: F.swish(x, 1.7), lambda x: F.swish_derivative(x, 1.7),
                           lambda x: x * nn.sigmoid(1.7 * x)),
        "swish beta=0": (lambda x: F.swish(x, 0.0), lambda x: F.swish_derivative(x, 0.0), lambda x: x / 2),
        "mish": (F.mish, F.mish_derivative, nn.mish),
        "softsign": (F.softsign, F.softsign_derivative, nn.soft_sign),
        "hard_sigmoid": (F.hard_sigmoid, F.hard_sigmoid_derivative, nn.hard_sigmoid),
        "hard_tanh": (F.hard_tanh, F.hard_tanh_derivative, nn.hard_tanh),
    }


CASES = ["elu", "elu alpha=0.3", "elu alpha=2.5", "selu", "silu", "swish beta=1.7", "swish beta=0", "mish",
         "softsign", "hard_sigmoid", "hard_tanh"]


@pytest.mark.parametrize("name", CASES)
def test_new_activations_and_derivatives_match_jax(name):
    jax = _jax()
    f, df, ref = _cases(jax)[name]
    for seed in range(3):
        rng = np.random.default_rng(90 + seed)
        # random points, far tails, and the kinks of the piecewise functions (where JAX's subgradient is the rule)
        x = np.concatenate([rng.normal(0, rng.uniform(0.5, 5), 60),
                            [-800.0, -30.0, -3.0, -1.0, -1e-3, 0.0, 1e-3, 1.0, 3.0, 30.0, 800.0]])
        value, grad = jax.jit(lambda x: (ref(x), jax.vmap(jax.grad(ref))(x)))(x)
        # atol: JAX's ELU derivative loses ~1e-17 absolute in the far left tail (true value ~1e-14); ours does not
        np.testing.assert_allclose(f(x), value, rtol=1e-12, atol=1e-13, err_msg=name)
        np.testing.assert_allclose(df(x), grad, rtol=1e-12, atol=1e-13, err_msg=name)
    x = x[:66].reshape(6, 11)
    assert f(x).shape == (6, 11) and df(x).shape == (6, 11)


def test_new_activation_tails_match_50_digit_arithmetic():
    import mpmath as mp
    mp.mp.dps = 50
    exact = {
        "elu": (F.elu, F.elu_derivative, lambda t: t if t > 0 else mp.expm1(t)),
        "swish": (F.swish, F.swish_derivative, lambda t: t / (1 + mp.exp(-t))),
        "mish": (F.mish, F.mish_derivative, lambda t: t * mp.tanh(mp.log(1 + mp.exp(t)))),
        "softsign": (F.softsign, F.softsign_derivative, lambda t: t / (1 + abs(t))),
    }
    for name, (f, df, g) in exact.items():
        for t in (-40.0, -12.5, -2.0, -0.3, 0.7, 15.0):
            np.testing.assert_allclose(f(np.array(t)), float(g(mp.mpf(t))), rtol=1e-13, err_msg=f"{name}({t})")
            np.testing.assert_allclose(df(np.array(t)), float(mp.diff(g, mp.mpf(t))), rtol=1e-12,
                                       err_msg=f"{name}'({t})")


def test_selu_constants_give_mean_zero_and_unit_variance_by_quadrature():
    from scipy import integrate, optimize, stats

    def moment(alpha, k):              # E[elu_alpha(z)^k] for z ~ N(0, 1), by quadrature (no closed form used)
        neg = integrate.quad(lambda z: (alpha * math.expm1(z)) ** k * stats.norm.pdf(z), -np.inf, 0,
                             epsabs=1e-14, epsrel=1e-13)[0]
        pos = integrate.quad(lambda z: z**k * stats.norm.pdf(z), 0, np.inf, epsabs=1e-14, epsrel=1e-13)[0]
        return neg + pos

    alpha = optimize.brentq(lambda a: moment(a, 1), 1.0, 3.0, xtol=1e-14)
    scale = 1 / math.sqrt(moment(alpha, 2))
    np.testing.assert_allclose([F.SELU_ALPHA, F.SELU_SCALE], [alpha, scale], rtol=1e-10)
    # and the function itself, by the trapezoid rule on a grid with a node at the kink: error ~ h^2 = 1e-6 at most
    z = np.linspace(-9, 9, 20001)
    w = stats.norm.pdf(z)
    np.testing.assert_allclose(np.trapezoid(F.selu(z) * w, z), 0, atol=1e-6)
    np.testing.assert_allclose(np.trapezoid(F.selu(z) ** 2 * w, z), 1, atol=1e-6)


@pytest.mark.parametrize("name", ["elu", "selu", "silu", "mish", "softsign", "hard_sigmoid", "hard_tanh"])
def test_activation_layer_accepts_the_new_names_and_matches_jax_vjp(name):
    jax = _jax()
    ref = {"elu": jax.nn.elu, "selu": jax.nn.selu, "silu": jax.nn.silu, "mish": jax.nn.mish,
           "softsign": jax.nn.soft_sign, "hard_sigmoid": jax.nn.hard_sigmoid, "hard_tanh": jax.nn.hard_tanh}[name]
    rng = np.random.default_rng(7)
    x, dy = rng.normal(0, 2.5, (4, 6)), rng.standard_normal((4, 6))
    layer = layers.Activation(name)
    y, cache = layer.forward(x, {})
    dx, grads = layer.backward(dy, cache)
    y_ref, vjp = jax.vjp(ref, x)
    np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dx, vjp(dy)[0], rtol=1e-12, atol=1e-14)
    assert grads == {}


def test_new_activations_take_the_limits_at_infinity():
    x = np.array([-np.inf, np.inf])
    np.testing.assert_array_equal(F.elu(x, 0.5), [-0.5, np.inf])
    np.testing.assert_array_equal(F.selu(x), [-F.SELU_SCALE * F.SELU_ALPHA, np.inf])
    np.testing.assert_array_equal(F.swish(x), [0.0, np.inf])
    np.testing.assert_array_equal(F.swish_derivative(x), [0.0, 1.0])
    np.testing.assert_array_equal(F.mish(x), [0.0, np.inf])
    np.testing.assert_array_equal(F.mish_derivative(x), [0.0, 1.0])
    np.testing.assert_array_equal(F.softsign(x), [-1.0, 1.0])
    np.testing.assert_array_equal(F.hard_sigmoid(x), [0.0, 1.0])
    np.testing.assert_array_equal(F.hard_tanh(x), [-1.0, 1.0])


@pytest.mark.parametrize("f,kwargs,match", [
    (F.elu, {"alpha": -0.5}, "alpha must be >= 0"),
    (F.elu_derivative, {"alpha": np.nan}, "alpha"),
    (F.swish, {"beta": -1.0}, "beta must be >= 0"),
    (F.swish_derivative, {"beta": -1.0}, "beta must be >= 0"),
    (F.mish, {}, "x contains NaN"),
    (F.selu_derivative, {}, "x contains NaN"),
    (F.softsign, {}, "x contains NaN"),
    (F.hard_sigmoid, {}, "x contains NaN"),
    (F.hard_tanh_derivative, {}, "x contains NaN"),
])
def test_new_activations_validate(f, kwargs, match):
    x = np.array([1.0, np.nan]) if not kwargs else np.array([1.0])
    with pytest.raises(ValueError, match=match):
        f(x, **kwargs)


def test_activation_layer_rejects_unknown_name_listing_the_new_ones():
    with pytest.raises(ValueError, match="mish"):
        layers.Activation("swish")        # Swish is registered as "silu", its name in PyTorch and JAX

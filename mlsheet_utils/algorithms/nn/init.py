r"""Weight initialisers: each draws an array of a given shape from a seeded generator.

- :func:`fans`: the fan-in and fan-out of a weight shape;
- :func:`zeros`, :func:`normal`: constants and plain Gaussian weights;
- :func:`xavier_uniform`, :func:`xavier_normal` (Glorot): variance :math:`2 / (\text{fan}_\text{in} +
  \text{fan}_\text{out})`, which keeps activations and gradients at the same scale through tanh-like layers;
- :func:`he_uniform`, :func:`he_normal` (Kaiming): variance :math:`2 / \text{fan}_\text{in}`, which makes up for
  ReLU zeroing half of its inputs;
- :data:`INITIALIZERS`: name -> function, for the layers' ``weight_init`` argument.

Weight layout: ``(..., fan_in, fan_out)``, as the layers use it (``y = x @ W``); leading axes are a receptive
field (a convolution kernel) and multiply both fans, as in ``jax.nn.initializers``. A uniform draw on
:math:`[-a, a]` has variance :math:`a^2/3`, so the uniform variants use :math:`a = \sqrt{3\,\mathrm{Var}}`.
The normal variants draw a plain Gaussian, as PyTorch's ``*_normal_`` do; ``jax.nn.initializers.he_normal``
and ``glorot_normal`` draw a truncated Gaussian rescaled to the same variance.

Every function takes ``rng``, an int seed or a ``numpy.random.Generator`` (see
:func:`mlsheet_utils.validation.check_random_state`), and returns float64.
"""

from __future__ import annotations

import math

import numpy as np

from mlsheet_utils.validation import check_float, check_random_state

__all__ = ["INITIALIZERS", "fans", "he_normal", "he_uniform", "normal", "xavier_normal", "xavier_uniform", "zeros"]


def _shape(shape) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise ValueError(f"shape must be an int or a tuple of ints, got {shape!r}") from None
    if not shape or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in shape):
        raise ValueError(f"shape must be a non-empty tuple of positive ints, got {shape!r}")
    return tuple(int(s) for s in shape)


def fans(shape) -> tuple[int, int]:
    r"""``(fan_in, fan_out)`` of a weight of shape ``(..., fan_in, fan_out)``.

    Leading axes (a convolution's receptive field) multiply both; a 1-D shape ``(n,)`` has both fans ``n``.
    """
    shape = _shape(shape)
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def zeros(shape, rng=None) -> np.ndarray:
    """All zeros (biases; ``rng`` is accepted for a uniform signature and ignored)."""
    return np.zeros(_shape(shape))


def normal(shape, rng, std: float = 1.0) -> np.ndarray:
    r"""Independent :math:`\mathcal{N}(0, \text{std}^2)` entries (embeddings, or a chosen scale)."""
    std = check_float(std, "std", low=0)
    return std * check_random_state(rng).standard_normal(_shape(shape))


def _uniform(shape, rng, variance: float) -> np.ndarray:
    bound = math.sqrt(3.0 * variance)
    return check_random_state(rng).uniform(-bound, bound, size=shape)


def xavier_uniform(shape, rng, gain: float = 1.0) -> np.ndarray:
    r"""Glorot uniform: :math:`U[-a, a]` with :math:`a = \text{gain}\sqrt{6 / (\text{fan}_\text{in} +
    \text{fan}_\text{out})}`, i.e. variance :math:`\text{gain}^2 \cdot 2 / (\text{fan}_\text{in} +
    \text{fan}_\text{out})`.

    Parameters
    ----------
    shape : int or tuple of int, ``(..., fan_in, fan_out)``
    rng : int or numpy.random.Generator
    gain : float > 0
        Scale for the non-linearity that follows (1 for tanh or linear, :math:`\sqrt2` for ReLU).

    Returns
    -------
    numpy.ndarray of the given shape
    """
    gain = check_float(gain, "gain", low=0, low_open=True)
    fan_in, fan_out = fans(shape)
    return _uniform(_shape(shape), rng, gain**2 * 2.0 / (fan_in + fan_out))


def xavier_normal(shape, rng, gain: float = 1.0) -> np.ndarray:
    r"""Glorot normal: :math:`\mathcal{N}(0, \text{gain}^2 \cdot 2 / (\text{fan}_\text{in} +
    \text{fan}_\text{out}))` (arguments as :func:`xavier_uniform`)."""
    gain = check_float(gain, "gain", low=0, low_open=True)
    fan_in, fan_out = fans(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return std * check_random_state(rng).standard_normal(_shape(shape))


def he_uniform(shape, rng, gain: float = math.sqrt(2.0)) -> np.ndarray:
    r"""He (Kaiming) uniform, fan-in mode: :math:`U[-a, a]` with :math:`a = \text{gain}\sqrt{3/\text{fan}_\text{in}}`,
    i.e. variance :math:`2 / \text{fan}_\text{in}` for the default ReLU gain :math:`\sqrt2`.

    Parameters
    ----------
    shape : int or tuple of int, ``(..., fan_in, fan_out)``
    rng : int or numpy.random.Generator
    gain : float > 0

    Returns
    -------
    numpy.ndarray of the given shape
    """
    gain = check_float(gain, "gain", low=0, low_open=True)
    fan_in, _ = fans(shape)
    return _uniform(_shape(shape), rng, gain**2 / fan_in)


def he_normal(shape, rng, gain: float = math.sqrt(2.0)) -> np.ndarray:
    r"""He (Kaiming) normal, fan-in mode: :math:`\mathcal{N}(0, \text{gain}^2 / \text{fan}_\text{in})`
    (arguments as :func:`he_uniform`)."""
    gain = check_float(gain, "gain", low=0, low_open=True)
    fan_in, _ = fans(shape)
    return gain / math.sqrt(fan_in) * check_random_state(rng).standard_normal(_shape(shape))


#: name -> initialiser ``f(shape, rng)``, for the layers' ``weight_init`` argument.
INITIALIZERS = {"zeros": zeros, "normal": normal, "xavier_uniform": xavier_uniform,
                "xavier_normal": xavier_normal, "he_uniform": he_uniform, "he_normal": he_normal}

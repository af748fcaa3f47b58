r"""Weight initialisers: each draws an array of a given shape from a seeded generator.

- :func:`fans`: the fan-in and fan-out of a weight shape;
- :func:`zeros`, :func:`constant`, :func:`normal`: constants and plain Gaussian weights;
- :func:`xavier_uniform`, :func:`xavier_normal` (Glorot): variance :math:`2 / (\text{fan}_\text{in} +
  \text{fan}_\text{out})`, which keeps activations and gradients at the same scale through tanh-like layers;
- :func:`he_uniform`, :func:`he_normal` (Kaiming): variance :math:`2 / \text{fan}_\text{in}`, which makes up for
  ReLU zeroing half of its inputs;
- :func:`lecun_uniform`, :func:`lecun_normal`: variance :math:`1 / \text{fan}_\text{in}`, which keeps the
  variance of a linear (or SELU) layer's output equal to that of its input;
- :func:`variance_scaling`: the rule behind all of these, :math:`\mathrm{Var}(W) = \text{scale} / n` with
  :math:`n` the fan-in, the fan-out or their average, drawn uniform, normal or truncated normal (as
  ``jax.nn.initializers.variance_scaling``); :data:`TRUNCATED_NORMAL_STD`, the standard deviation of a standard
  normal truncated to :math:`[-2, 2]`;
- :func:`orthogonal`: a uniformly (Haar) distributed matrix with orthonormal rows or columns, times a gain;
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
from scipy.special import ndtr, ndtri

from mlsheet_utils.validation import check_float, check_random_state

__all__ = ["INITIALIZERS", "TRUNCATED_NORMAL_STD", "constant", "fans", "he_normal", "he_uniform", "lecun_normal",
           "lecun_uniform", "normal", "orthogonal", "variance_scaling", "xavier_normal", "xavier_uniform", "zeros"]


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


def constant(shape, rng=None, value: float = 0.0) -> np.ndarray:
    """Every entry equal to ``value`` (``rng`` is accepted for a uniform signature and ignored).

    With more than one hidden unit this is the initialisation that never trains them apart: units that start
    equal receive equal gradients.
    """
    return np.full(_shape(shape), check_float(value, "value"))


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


def lecun_uniform(shape, rng, gain: float = 1.0) -> np.ndarray:
    r"""LeCun uniform: :math:`U[-a, a]` with :math:`a = \text{gain}\sqrt{3/\text{fan}_\text{in}}`, i.e. variance
    :math:`\text{gain}^2 / \text{fan}_\text{in}` (arguments as :func:`he_uniform`)."""
    gain = check_float(gain, "gain", low=0, low_open=True)
    fan_in, _ = fans(shape)
    return _uniform(_shape(shape), rng, gain**2 / fan_in)


def lecun_normal(shape, rng, gain: float = 1.0) -> np.ndarray:
    r"""LeCun normal: :math:`\mathcal{N}(0, \text{gain}^2 / \text{fan}_\text{in})`, a plain Gaussian
    (``jax.nn.initializers.lecun_normal`` draws a truncated one of the same variance; see
    :func:`variance_scaling`)."""
    gain = check_float(gain, "gain", low=0, low_open=True)
    fan_in, _ = fans(shape)
    return gain / math.sqrt(fan_in) * check_random_state(rng).standard_normal(_shape(shape))


def _truncated_normal_std(c: float) -> float:
    """Standard deviation of a standard normal truncated to ``[-c, c]``: ``sqrt(1 - 2 c phi(c) / (2 Phi(c) - 1))``."""
    phi = math.exp(-c * c / 2) / math.sqrt(2 * math.pi)
    return math.sqrt(1.0 - 2.0 * c * phi / math.erf(c / math.sqrt(2)))


#: Standard deviation of a standard normal truncated to [-2, 2] (about 0.8796), by which a truncated draw is
#: divided so that its variance is the one asked for.
TRUNCATED_NORMAL_STD = _truncated_normal_std(2.0)

_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("normal", "truncated_normal", "uniform")


def variance_scaling(shape, rng, scale: float = 1.0, mode: str = "fan_in",
                     distribution: str = "normal") -> np.ndarray:
    r"""Weights of variance :math:`\text{scale} / n`, the rule behind LeCun, Glorot and He.

    .. math:: \mathrm{Var}(W_{ij}) = \frac{\text{scale}}{n}, \qquad n = \text{fan}_\text{in},\;
              \text{fan}_\text{out} \text{ or } \tfrac12(\text{fan}_\text{in} + \text{fan}_\text{out}).

    LeCun is ``(1, "fan_in")``, Glorot ``(1, "fan_avg")``, He ``(2, "fan_in")``. The draw is

    - ``"normal"``: :math:`\mathcal{N}(0, \text{scale}/n)`;
    - ``"truncated_normal"``: a standard normal truncated to :math:`[-2, 2]` (inverse-CDF sampling), divided by
      its standard deviation :data:`TRUNCATED_NORMAL_STD` and times :math:`\sqrt{\text{scale}/n}`, as
      ``jax.nn.initializers.variance_scaling`` (whose ``lecun_normal``, ``glorot_normal`` and ``he_normal`` use
      it): the same variance, no entry beyond :math:`2 / 0.88 \approx 2.27` standard deviations;
    - ``"uniform"``: :math:`U[-a, a]`, :math:`a = \sqrt{3\,\text{scale}/n}`.

    Parameters
    ----------
    shape : int or tuple of int, ``(..., fan_in, fan_out)``
    rng : int or numpy.random.Generator
    scale : float > 0
    mode : {"fan_in", "fan_out", "fan_avg"}
    distribution : {"normal", "truncated_normal", "uniform"}

    Returns
    -------
    numpy.ndarray of the given shape, float64
    """
    scale = check_float(scale, "scale", low=0, low_open=True)
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    if distribution not in _DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {_DISTRIBUTIONS}, got {distribution!r}")
    shape = _shape(shape)
    fan_in, fan_out = fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    variance = scale / n
    rng = check_random_state(rng)
    if distribution == "uniform":
        return _uniform(shape, rng, variance)
    if distribution == "normal":
        return math.sqrt(variance) * rng.standard_normal(shape)
    lo, hi = ndtr(-2.0), ndtr(2.0)                 # inverse CDF of N(0, 1) on the central part [-2, 2]
    draw = ndtri(lo + (hi - lo) * rng.random(shape))
    return math.sqrt(variance) / TRUNCATED_NORMAL_STD * draw


def orthogonal(shape, rng, gain: float = 1.0) -> np.ndarray:
    r"""A uniformly distributed (Haar) orthogonal matrix, times ``gain``.

    The weight is viewed as a matrix with ``shape[-1]`` columns and the product of the other axes as rows. For
    a Gaussian matrix :math:`A` (the taller of that matrix and its transpose) with :math:`A = QR`, the matrix
    :math:`Q\,\mathrm{diag}(\mathrm{sign}(R_{ii}))` is Haar distributed (Mezzadri, 2007): without the sign fix
    it would depend on the QR routine's conventions. The result has orthonormal columns when there are at least
    as many rows as columns, else orthonormal rows, so every singular value equals ``gain``: a linear layer with
    a square orthogonal weight preserves the norm of every input exactly, not only on average.

    Parameters
    ----------
    shape : tuple of int, at least 2-D, ``(..., fan_in, fan_out)``
    rng : int or numpy.random.Generator
    gain : float > 0

    Returns
    -------
    numpy.ndarray of the given shape
    """
    gain = check_float(gain, "gain", low=0, low_open=True)
    shape = _shape(shape)
    if len(shape) < 2:
        raise ValueError(f"shape must have at least 2 axes for an orthogonal matrix, got {shape!r}")
    n_cols = shape[-1]
    n_rows = math.prod(shape) // n_cols
    big, small = max(n_rows, n_cols), min(n_rows, n_cols)
    A = check_random_state(rng).standard_normal((big, small))
    Q, R = np.linalg.qr(A)
    Q = Q * np.where(np.diag(R) < 0, -1.0, 1.0)
    if n_rows < n_cols:
        Q = Q.T
    return gain * Q.reshape(shape)


#: name -> initialiser ``f(shape, rng)``, for the layers' ``weight_init`` argument.
INITIALIZERS = {"zeros": zeros, "normal": normal, "xavier_uniform": xavier_uniform,
                "xavier_normal": xavier_normal, "he_uniform": he_uniform, "he_normal": he_normal,
                "lecun_uniform": lecun_uniform, "lecun_normal": lecun_normal, "orthogonal": orthogonal}

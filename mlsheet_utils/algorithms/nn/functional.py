r"""Elementwise and normalising functions of neural networks, with their derivatives.

- :func:`softmax`, :func:`log_softmax`, :func:`logsumexp`, :func:`softmax_jacobian`: normalising along an axis;
- activations and their derivatives :math:`\sigma'(x)`: :func:`relu`, :func:`leaky_relu`, :func:`sigmoid`,
  :func:`tanh`, :func:`gelu` (exact, or the tanh approximation), :func:`softplus`, :func:`elu`, :func:`selu`
  (with its constants :data:`SELU_ALPHA`, :data:`SELU_SCALE`), :func:`swish` (SiLU at :math:`\beta = 1`),
  :func:`mish`, :func:`softsign`, :func:`hard_sigmoid`, :func:`hard_tanh`, each with a ``*_derivative``
  partner; :data:`ACTIVATIONS` maps a name to its unchecked kernels (used by the layers).

Conventions: arrays are float64; functions act along ``axis`` (default the last) and broadcast over the others.
The public functions check their input once (NaN is refused; ``-inf`` and ``+inf`` are allowed where the function
has a limit there); the private ``_kernels`` assume checked input, so a layer or a training loop that calls them
many times does not pay the checks again.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erfc

from mlsheet_utils.validation import as_array, check_float, check_int, check_probabilities

__all__ = ["ACTIVATIONS", "SELU_ALPHA", "SELU_SCALE", "elu", "elu_derivative", "gelu", "gelu_derivative",
           "hard_sigmoid", "hard_sigmoid_derivative", "hard_tanh", "hard_tanh_derivative", "leaky_relu",
           "leaky_relu_derivative", "log_softmax", "logsumexp", "mish", "mish_derivative", "relu",
           "relu_derivative", "selu", "selu_derivative", "sigmoid", "sigmoid_derivative", "softmax",
           "softmax_jacobian", "softplus", "softplus_derivative", "softsign", "softsign_derivative", "swish",
           "swish_derivative", "tanh", "tanh_derivative"]


# -- input checks, once per public call ------------------------------------------------------------------

def _values(x, name: str = "x") -> np.ndarray:
    """A float array without NaN (infinities allowed: the activations have limits there)."""
    x = as_array(x, name, finite=False)
    if np.isnan(x).any():
        raise ValueError(f"{name} contains NaN values")
    return x


def _scores(x, axis, what: str = "its softmax is undefined") -> tuple[np.ndarray, int]:
    """Check the input of a normalisation along ``axis``: NaN and ``+inf`` refused, a finite entry per slice."""
    x = as_array(x, "x", finite=False)
    if x.ndim == 0:
        raise ValueError("x must have at least one axis, got a scalar")
    if np.isnan(x).any() or np.isposinf(x).any():
        raise ValueError("x contains NaN or +inf values")
    axis = check_int(axis, "axis", low=-x.ndim, high=x.ndim - 1)
    if x.shape[axis] == 0 or np.isneginf(x.max(axis=axis)).any():
        raise ValueError(f"x has a slice along axis {axis} with no finite entry; {what}")
    return x, axis


# -- normalising functions -------------------------------------------------------------------------------

def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Unchecked kernel of :func:`softmax` (every slice along ``axis`` has a finite entry)."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax(x, axis: int = -1) -> np.ndarray:
    r"""Numerically stable softmax along one axis.

    .. math:: \operatorname{softmax}(x)_i = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}}, \qquad m = \max_j x_j .

    Subtracting the maximum does not change the result (softmax is invariant to adding a constant to every
    entry) but keeps every exponent <= 0, so nothing overflows. Entries equal to ``-inf`` get weight 0.

    Parameters
    ----------
    x : array_like, any shape with at least one axis
        Scores (logits); NaN and ``+inf`` are rejected, ``-inf`` means "excluded".
    axis : int
        The axis that is normalised.

    Returns
    -------
    numpy.ndarray, same shape as ``x``
        Non-negative, summing to 1 along ``axis``.

    Raises
    ------
    ValueError
        If ``x`` contains NaN or ``+inf``, ``axis`` is out of range, or a slice along ``axis`` is all ``-inf``.
    """
    x, axis = _scores(x, axis)
    return _softmax(x, axis)


def _logsumexp(x: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """Unchecked kernel of :func:`logsumexp`."""
    m = x.max(axis=axis, keepdims=True)
    out = m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def logsumexp(x, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    r"""Stable :math:`\log \sum_j e^{x_j}` along one axis (the log of softmax's denominator).

    .. math:: \operatorname{logsumexp}(x) = m + \log \sum_j e^{x_j - m}, \qquad m = \max_j x_j ,
              \qquad \frac{\partial}{\partial x_i} \operatorname{logsumexp}(x) = \operatorname{softmax}(x)_i .

    Every exponent is :math:`\le 0`, so nothing overflows, and the largest term is :math:`e^0 = 1`, so the sum
    cannot underflow to 0 either.

    Parameters
    ----------
    x : array_like, at least one axis
        NaN and ``+inf`` are rejected; ``-inf`` entries contribute nothing (each slice needs a finite entry).
    axis : int
    keepdims : bool
        Keep ``axis`` with length 1 (so the result broadcasts against ``x``).

    Returns
    -------
    numpy.ndarray
        ``x``'s shape without ``axis`` (or with it of length 1 when ``keepdims``).
    """
    x, axis = _scores(x, axis, "its log-sum-exp would be -inf")
    return _logsumexp(x, axis, keepdims=bool(keepdims))


def _log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Unchecked kernel of :func:`log_softmax`."""
    return x - _logsumexp(x, axis, keepdims=True)


def log_softmax(x, axis: int = -1) -> np.ndarray:
    r"""Log of the softmax, computed without forming the softmax: :math:`x_i - \operatorname{logsumexp}(x)`.

    Accurate where the softmax itself underflows to 0 (its log would be ``-inf``); the cross-entropy uses it.
    Its derivative is :math:`\partial (\log p_i) / \partial x_j = \delta_{ij} - p_j`.

    Parameters
    ----------
    x : array_like, at least one axis
    axis : int

    Returns
    -------
    numpy.ndarray, same shape as ``x``
        At most 0; ``exp`` of it sums to 1 along ``axis``.
    """
    x, axis = _scores(x, axis, "its log-softmax is undefined")
    return _log_softmax(x, axis)


def softmax_jacobian(p) -> np.ndarray:
    r"""Jacobian of the softmax, written in terms of its output ``p = softmax(x)``.

    .. math:: \frac{\partial p_i}{\partial x_j} = p_i(\delta_{ij} - p_j), \qquad J = \operatorname{diag}(p) - p p^\top .

    Parameters
    ----------
    p : array_like, shape (..., n)
        Probability vectors along the last axis (non-negative, summing to 1; anything else is refused).

    Returns
    -------
    numpy.ndarray, shape (..., n, n)
    """
    p = as_array(p, "p")
    if p.ndim == 0:
        raise ValueError("p must have at least one axis, got a scalar")
    p = check_probabilities(p, "p")
    eye = np.eye(p.shape[-1])
    return p[..., :, None] * eye - p[..., :, None] * p[..., None, :]


# -- activations: unchecked kernels, value and derivative (x is the input, y = f(x) the output) --------------

def _relu(x):
    return np.maximum(x, 0.0)


def _relu_derivative(x, y=None):
    return (x > 0).astype(float)


def _leaky_relu(x, slope=0.01):
    return np.where(x > 0, x, slope * x)


def _leaky_relu_derivative(x, y=None, slope=0.01):
    return np.where(x > 0, 1.0, slope)


def _sigmoid(x):
    # 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) for x < 0: no exponent is ever positive
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def _sigmoid_derivative(x, y=None):
    # sigma (1 - sigma) = sigma(x) sigma(-x) = e / (1 + e)^2 with e = exp(-|x|): no cancellation in 1 - sigma
    e = np.exp(-np.abs(x))
    return e / (1.0 + e) ** 2


def _tanh(x):
    return np.tanh(x)


def _tanh_derivative(x, y=None):
    # 1 - tanh^2 = 1 / cosh^2 = 4 e / (1 + e)^2 with e = exp(-2|x|): no cancellation where tanh is near +-1
    e = np.exp(-2.0 * np.abs(x))
    return 4.0 * e / (1.0 + e) ** 2


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _gelu(x):
    # x * Phi(x) with Phi(x) = erfc(-x / sqrt 2) / 2: no cancellation in the left tail, unlike 1 + erf(x / sqrt 2)
    return 0.5 * x * erfc(-x / math.sqrt(2.0))


def _gelu_derivative(x, y=None):
    return 0.5 * erfc(-x / math.sqrt(2.0)) + x * np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _gelu_tanh_inner(x):
    """u = sqrt(2/pi) (x + 0.044715 x^3) and du/dx."""
    return _SQRT_2_OVER_PI * (x + 0.044715 * x**3), _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x * x)


def _gelu_tanh(x):
    # (1 + tanh u) / 2 = sigmoid(2u): the same value, without cancellation for very negative u
    return x * _sigmoid(2.0 * _gelu_tanh_inner(x)[0])


def _gelu_tanh_derivative(x, y=None):
    u, du = _gelu_tanh_inner(x)
    return _sigmoid(2.0 * u) + 2.0 * x * _sigmoid_derivative(2.0 * u) * du


def _softplus(x):
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large x, no cancellation for very negative x
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _softplus_derivative(x, y=None):
    return _sigmoid(x)


def _times_decaying(x, g):
    # x * g where g decays exponentially as |x| -> inf: the product's limit there is 0, not inf * 0 = NaN
    with np.errstate(invalid="ignore"):
        p = x * g
    return np.where(np.isnan(p), 0.0, p)


def _elu(x, alpha=1.0):
    # alpha (e^x - 1) through expm1: no cancellation for small |x|; min(x, 0) keeps e^x from overflowing
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def _elu_derivative(x, y=None, alpha=1.0):
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))


#: The constants of SELU (Klambauer et al., 2017): the unique :math:`(\alpha, \lambda)` for which a standard
#: normal input gives an output of mean 0 and variance 1.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _selu(x):
    return SELU_SCALE * _elu(x, SELU_ALPHA)


def _selu_derivative(x, y=None):
    return SELU_SCALE * _elu_derivative(x, alpha=SELU_ALPHA)


def _swish(x, beta=1.0):
    return _times_decaying(x, _sigmoid(beta * x))


def _swish_derivative(x, y=None, beta=1.0):
    # d/dx [x s(bx)] = s(bx) + bx s'(bx); the second term -> 0 at both infinities
    u = beta * x
    return _sigmoid(u) + _times_decaying(u, _sigmoid_derivative(u))


def _mish(x):
    return _times_decaying(x, np.tanh(_softplus(x)))


def _mish_derivative(x, y=None):
    # tanh(sp(x)) + x sech^2(sp(x)) sigmoid(x), with sech^2 computed without cancellation
    sp_x = _softplus(x)
    return np.tanh(sp_x) + _times_decaying(x, _tanh_derivative(sp_x) * _sigmoid(x))


def _softsign(x):
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(x), np.sign(x), x / (1.0 + np.abs(x)))


def _softsign_derivative(x, y=None):
    return 1.0 / (1.0 + np.abs(x)) ** 2


def _hard_sigmoid(x):
    return np.clip(x / 6.0 + 0.5, 0.0, 1.0)


def _hard_sigmoid_derivative(x, y=None):
    return np.where((x > -3.0) & (x < 3.0), 1.0 / 6.0, 0.0)


def _hard_tanh(x):
    return np.clip(x, -1.0, 1.0)


def _hard_tanh_derivative(x, y=None):
    return np.where(np.abs(x) <= 1.0, 1.0, 0.0)


#: name -> (kernel, derivative kernel) for the :class:`~mlsheet_utils.algorithms.nn.layers.Activation` layer;
#: the kernels take checked float arrays, the derivative ``(x, y)`` with ``y`` the kernel's output. Kernels with
#: a parameter (leaky ReLU's slope, ELU's alpha, Swish's beta) take it last, with the default of the public
#: function; ``"silu"`` is :func:`swish` with beta = 1 (the name PyTorch and JAX give it).
ACTIVATIONS = {
    "relu": (_relu, _relu_derivative),
    "leaky_relu": (_leaky_relu, _leaky_relu_derivative),
    "sigmoid": (_sigmoid, _sigmoid_derivative),
    "tanh": (_tanh, _tanh_derivative),
    "gelu": (_gelu, _gelu_derivative),
    "gelu_tanh": (_gelu_tanh, _gelu_tanh_derivative),
    "softplus": (_softplus, _softplus_derivative),
    "elu": (_elu, _elu_derivative),
    "selu": (_selu, _selu_derivative),
    "silu": (_swish, _swish_derivative),
    "mish": (_mish, _mish_derivative),
    "softsign": (_softsign, _softsign_derivative),
    "hard_sigmoid": (_hard_sigmoid, _hard_sigmoid_derivative),
    "hard_tanh": (_hard_tanh, _hard_tanh_derivative),
}


def relu(x) -> np.ndarray:
    r"""Rectified linear unit :math:`\max(x, 0)`; derivative :math:`\mathbb{1}[x > 0]` (0 at 0, as in JAX).

    Parameters
    ----------
    x : array_like, any shape (NaN refused)

    Returns
    -------
    numpy.ndarray, same shape as ``x``
    """
    return _relu(_values(x))


def relu_derivative(x) -> np.ndarray:
    r""":math:`\mathrm{relu}'(x) = \mathbb{1}[x > 0]`, shaped like ``x`` (the subgradient 0 is taken at 0)."""
    return _relu_derivative(_values(x))


def leaky_relu(x, slope: float = 0.01) -> np.ndarray:
    r"""Leaky ReLU :math:`x` for :math:`x > 0`, :math:`a x` otherwise; derivative 1 or :math:`a`.

    Parameters
    ----------
    x : array_like, any shape (NaN refused)
    slope : float >= 0
        :math:`a`, the slope for negative inputs (0.01 as in ``jax.nn.leaky_relu`` and PyTorch).

    Returns
    -------
    numpy.ndarray, same shape as ``x``
    """
    return _leaky_relu(_values(x), check_float(slope, "slope", low=0))


def leaky_relu_derivative(x, slope: float = 0.01) -> np.ndarray:
    r""":math:`1` where :math:`x > 0`, else ``slope``; shaped like ``x``."""
    return _leaky_relu_derivative(_values(x), slope=check_float(slope, "slope", low=0))


def sigmoid(x) -> np.ndarray:
    r"""Logistic sigmoid :math:`\sigma(x) = 1 / (1 + e^{-x})`, evaluated without overflow for any ``x``.

    Derivative :math:`\sigma'(x) = \sigma(x)(1 - \sigma(x)) = \sigma(x)\sigma(-x)`, at most 1/4 (at 0),
    computed in the second form, which keeps its relative accuracy in the tails.

    Parameters
    ----------
    x : array_like, any shape (NaN refused; :math:`\pm\infty` give 1 and 0)

    Returns
    -------
    numpy.ndarray, same shape as ``x``, in [0, 1]
    """
    return _sigmoid(_values(x))


def sigmoid_derivative(x) -> np.ndarray:
    r""":math:`\sigma'(x) = \sigma(x)\,(1 - \sigma(x))`, shaped like ``x``."""
    return _sigmoid_derivative(_values(x))


def tanh(x) -> np.ndarray:
    r"""Hyperbolic tangent :math:`\tanh x = 2\sigma(2x) - 1`; derivative :math:`1 - \tanh^2 x = 1/\cosh^2 x`
    (computed in the second form).

    Parameters
    ----------
    x : array_like, any shape (NaN refused)

    Returns
    -------
    numpy.ndarray, same shape as ``x``, in [-1, 1]
    """
    return _tanh(_values(x))


def tanh_derivative(x) -> np.ndarray:
    r""":math:`\tanh'(x) = 1 - \tanh^2 x`, shaped like ``x``."""
    return _tanh_derivative(_values(x))


def gelu(x, approximate: bool = False) -> np.ndarray:
    r"""Gaussian error linear unit :math:`x\,\Phi(x)`, exact or with the tanh approximation.

    .. math::
        \mathrm{GELU}(x) = x\,\Phi(x) = \tfrac{x}{2}\operatorname{erfc}(-x/\sqrt2), \qquad
        \mathrm{GELU}'(x) = \Phi(x) + x\,\varphi(x),

        \mathrm{GELU}_{\tanh}(x) = \tfrac{x}{2}\Bigl(1 + \tanh\bigl(\sqrt{2/\pi}\,(x + 0.044715\,x^3)\bigr)\Bigr).

    The approximation differs from the exact form by less than about 5e-4; it is evaluated as
    :math:`x\,\sigma(2u)`, the same as :math:`\tfrac{x}{2}(1 + \tanh u)` without cancellation for very
    negative :math:`u`. PyTorch's ``gelu`` is exact by default; ``jax.nn.gelu`` approximates by default
    (``approximate=True``).

    Parameters
    ----------
    x : array_like, any shape (NaN refused)
    approximate : bool
        Use the tanh approximation (GPT-2, BERT) instead of ``erf``.

    Returns
    -------
    numpy.ndarray, same shape as ``x``
    """
    x = _values(x)
    return _gelu_tanh(x) if approximate else _gelu(x)


def gelu_derivative(x, approximate: bool = False) -> np.ndarray:
    r""":math:`\Phi(x) + x\varphi(x)` (or the derivative of the tanh approximation), shaped like ``x``."""
    x = _values(x)
    return _gelu_tanh_derivative(x) if approximate else _gelu_derivative(x)


def softplus(x) -> np.ndarray:
    r"""Softplus :math:`\log(1 + e^x)`, a smooth ReLU, computed as :math:`\max(x, 0) + \log(1 + e^{-|x|})`.

    Its derivative is the sigmoid: :math:`\operatorname{softplus}'(x) = \sigma(x)`.

    Parameters
    ----------
    x : array_like, any shape (NaN refused)

    Returns
    -------
    numpy.ndarray, same shape as ``x``, positive
    """
    return _softplus(_values(x))


def softplus_derivative(x) -> np.ndarray:
    r""":math:`\operatorname{softplus}'(x) = \sigma(x)`, shaped like ``x``."""
    return _softplus_derivative(_values(x))


def elu(x, alpha: float = 1.0) -> np.ndarray:
    r"""Exponential linear unit: :math:`x` for :math:`x > 0`, :math:`\alpha(e^x - 1)` otherwise.

    .. math:: \mathrm{ELU}'(x) = \begin{cases} 1, & x > 0 \\ \alpha e^x, & x \le 0 \end{cases}

    It tends to :math:`-\alpha` as :math:`x \to -\infty` (a soft floor, so negative inputs still pass a
    gradient :math:`\alpha e^x > 0`). The derivative is continuous at 0 only for :math:`\alpha = 1`.

    Parameters
    ----------
    x : array_like, any shape (NaN refused; :math:`-\infty` gives :math:`-\alpha`)
    alpha : float >= 0
        The depth of the negative floor (1 in JAX and PyTorch; 0 gives ReLU).

    Returns
    -------
    numpy.ndarray, same shape as ``x``, in :math:`(-\alpha, \infty)`
    """
    return _elu(_values(x), check_float(alpha, "alpha", low=0))


def elu_derivative(x, alpha: float = 1.0) -> np.ndarray:
    r""":math:`1` where :math:`x > 0`, else :math:`\alpha e^x` (the left derivative, :math:`\alpha`, at 0)."""
    return _elu_derivative(_values(x), alpha=check_float(alpha, "alpha", low=0))


def selu(x) -> np.ndarray:
    r"""Scaled ELU :math:`\lambda\,\mathrm{ELU}_\alpha(x)` with :data:`SELU_SCALE` :math:`\lambda \approx 1.0507`
    and :data:`SELU_ALPHA` :math:`\alpha \approx 1.6733`.

    The two constants solve :math:`\mathbb{E}[\mathrm{SELU}(z)] = 0`, :math:`\mathbb{E}[\mathrm{SELU}(z)^2] = 1`
    for :math:`z \sim \mathcal{N}(0, 1)`: with weights of variance :math:`1/n_{in}` the pre-activations of the
    next layer are again near :math:`\mathcal{N}(0, 1)`, a fixed point of the layer-to-layer map
    ("self-normalising"). Derivative :math:`\lambda` for :math:`x > 0`, :math:`\lambda\alpha e^x` otherwise.

    Parameters
    ----------
    x : array_like, any shape (NaN refused)

    Returns
    -------
    numpy.ndarray, same shape as ``x``, in :math:`(-\lambda\alpha, \infty)`
    """
    return _selu(_values(x))


def selu_derivative(x) -> np.ndarray:
    r""":math:`\lambda` where :math:`x > 0`, else :math:`\lambda\alpha e^x`; shaped like ``x``."""
    return _selu_derivative(_values(x))


def swish(x, beta: float = 1.0) -> np.ndarray:
    r"""Swish :math:`x\,\sigma(\beta x) = x / (1 + e^{-\beta x})`; at :math:`\beta = 1` it is SiLU.

    .. math:: \mathrm{Swish}'(x) = \sigma(\beta x) + \beta x\,\sigma(\beta x)\bigl(1 - \sigma(\beta x)\bigr)

    :math:`\beta = 0` gives the line :math:`x/2`, :math:`\beta \to \infty` tends to ReLU; for every
    :math:`\beta > 0` the function dips below zero, to its minimum at :math:`x = u^*/\beta` with
    :math:`u^* \approx -1.278` (so it is not monotone).

    Parameters
    ----------
    x : array_like, any shape (NaN refused; the limits 0 at :math:`-\infty` for :math:`\beta > 0`)
    beta : float >= 0

    Returns
    -------
    numpy.ndarray, same shape as ``x``
    """
    return _swish(_values(x), check_float(beta, "beta", low=0))


def swish_derivative(x, beta: float = 1.0) -> np.ndarray:
    r""":math:`\sigma(\beta x) + \beta x\,\sigma'(\beta x)`, shaped like ``x``."""
    return _swish_derivative(_values(x), beta=check_float(beta, "beta", low=0))


def mish(x) -> np.ndarray:
    r"""Mish :math:`x \tanh(\operatorname{softplus}(x))`, smooth and non-monotone like Swish.

    .. math:: \mathrm{Mish}'(x) = \tanh(s) + x\,(1 - \tanh^2 s)\,\sigma(x), \qquad s = \log(1 + e^x) .

    Parameters
    ----------
    x : array_like, any shape (NaN refused)

    Returns
    -------
    numpy.ndarray, same shape as ``x``
    """
    return _mish(_values(x))


def mish_derivative(x) -> np.ndarray:
    r""":math:`\tanh(s) + x\,\operatorname{sech}^2(s)\,\sigma(x)` with :math:`s = \operatorname{softplus}(x)`."""
    return _mish_derivative(_values(x))


def softsign(x) -> np.ndarray:
    r"""Softsign :math:`x / (1 + |x|)`, in :math:`(-1, 1)` like tanh but approached polynomially.

    Derivative :math:`1 / (1 + |x|)^2`: its tails decay like :math:`1/x^2`, not :math:`e^{-2|x|}` as tanh's do.

    Parameters
    ----------
    x : array_like, any shape (NaN refused; :math:`\pm\infty` give :math:`\pm 1`)

    Returns
    -------
    numpy.ndarray, same shape as ``x``
    """
    return _softsign(_values(x))


def softsign_derivative(x) -> np.ndarray:
    r""":math:`1 / (1 + |x|)^2`, shaped like ``x``."""
    return _softsign_derivative(_values(x))


def hard_sigmoid(x) -> np.ndarray:
    r"""Piecewise-linear sigmoid :math:`\min(\max(x/6 + 1/2, 0), 1) = \mathrm{ReLU6}(x + 3)/6`.

    The convention of ``jax.nn.hard_sigmoid`` and PyTorch (slope 1/6 on :math:`(-3, 3)`, so it crosses 1/2 at 0
    like :math:`\sigma`). Derivative 1/6 inside, 0 outside and at the kinks :math:`\pm 3` (as JAX).

    Parameters
    ----------
    x : array_like, any shape (NaN refused)

    Returns
    -------
    numpy.ndarray, same shape as ``x``, in [0, 1]
    """
    return _hard_sigmoid(_values(x))


def hard_sigmoid_derivative(x) -> np.ndarray:
    r""":math:`1/6` on :math:`(-3, 3)`, 0 elsewhere; shaped like ``x``."""
    return _hard_sigmoid_derivative(_values(x))


def hard_tanh(x) -> np.ndarray:
    r"""Piecewise-linear tanh :math:`\min(\max(x, -1), 1)`; derivative 1 on :math:`[-1, 1]` (as JAX), else 0.

    Parameters
    ----------
    x : array_like, any shape (NaN refused)

    Returns
    -------
    numpy.ndarray, same shape as ``x``, in [-1, 1]
    """
    return _hard_tanh(_values(x))


def hard_tanh_derivative(x) -> np.ndarray:
    r""":math:`1` where :math:`|x| \le 1`, else 0; shaped like ``x``."""
    return _hard_tanh_derivative(_values(x))

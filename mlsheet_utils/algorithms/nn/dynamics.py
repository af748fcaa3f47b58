r"""Gradient dynamics: critical points, and how a gradient's size changes on its way through a deep network.

- :func:`linearized_gd`: one gradient-descent step linearised at a critical point (a :class:`LinearizedStep`): the
  multiplier :math:`1 - \eta\lambda_i` of each curvature direction and the largest stable step (the
  second-derivative test itself is :func:`mlsheet_utils.algorithms.calculus.classify_critical_point`);
- :func:`random_mlp`: a deep stack of ``Linear`` (+ activation) layers of one width with Gaussian
  :math:`\mathcal{N}(0, \sigma_w^2/n)` or scaled orthogonal weights, the setting of the signal-propagation theory;
- :func:`jacobians_through_depth`: the input-output Jacobian of every prefix of such a stack at one input, and
  its singular values (a :class:`DepthJacobians`);
- :func:`mean_field`: the infinitely wide prediction (a :class:`MeanField`): the pre-activation variance
  :math:`q_l` from layer to layer, the per-layer gain :math:`\chi_l = \sigma_w^2\,\mathbb{E}[\phi'(z_l)^2]` of the
  squared gradient norm, and its running product.

Row-vector convention, as the layers: :math:`h_l = \phi(z_l)`, :math:`z_l = h_{l-1} W_l + b_l`, so the Jacobian of
:math:`h_k` with respect to :math:`h_0` acts on the right, :math:`dh_k = dh_0\, J_k`,
:math:`J_k = W_1 D_1 W_2 D_2 \cdots W_k D_k` with :math:`D_l = \operatorname{diag}\phi'(z_l)`, and backpropagation
sends a cotangent :math:`\delta_k` to :math:`\delta_0 = \delta_k J_k^\top`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn import functional as F
from mlsheet_utils.algorithms.nn.layers import Activation, Linear, Sequential
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

__all__ = ["DepthJacobians", "LinearizedStep", "MeanField", "jacobians_through_depth", "linearized_gd", "mean_field",
           "random_mlp"]

#: Activations the depth tools accept: ``"linear"`` (no non-linearity) and the elementwise ones of ``functional``.
DEPTH_ACTIVATIONS = ("linear", "relu", "tanh", "sigmoid", "leaky_relu", "gelu", "softplus")


@dataclass(frozen=True)
class LinearizedStep:
    r"""Gradient descent linearised at a critical point, :math:`e_{t+1} = (I - \eta H)\, e_t`.

    Attributes
    ----------
    multipliers : numpy.ndarray, shape (d,)
        :math:`1 - \eta\lambda_i` for the Hessian's eigenvalues :math:`\lambda_i` in ascending order: the factor
        by which one step multiplies the error along each eigenvector.
    spectral_radius : float
        :math:`\max_i |1 - \eta\lambda_i|`; below 1 the point attracts gradient descent, above 1 it repels it.
    max_stable_lr : float
        :math:`2/\lambda_{\max}` when every :math:`\lambda_i > 0` (the point attracts exactly the steps
        :math:`0 < \eta < 2/\lambda_{\max}`), else 0: no step makes a maximum or a saddle attracting.
    """

    multipliers: np.ndarray
    spectral_radius: float
    max_stable_lr: float


def linearized_gd(hessian, learning_rate: float) -> LinearizedStep:
    r"""The multipliers of one gradient-descent step near a critical point :math:`w^\star`.

    With :math:`\nabla L(w^\star) = 0`, :math:`\nabla L(w^\star + e) = H e + O(\lVert e\rVert^2)`, so
    :math:`w \leftarrow w - \eta\nabla L(w)` gives :math:`e_{t+1} = (I - \eta H) e_t`. Along the eigenvector of
    :math:`\lambda_i` the error is multiplied by :math:`1 - \eta\lambda_i`: it shrinks iff
    :math:`0 < \eta\lambda_i < 2`, flips sign when :math:`\eta\lambda_i > 1`, and grows along every
    :math:`\lambda_i < 0` whatever the step (gradient flow, :math:`\eta \to 0`, is the case :math:`e^{-\lambda_i t}`).

    Parameters
    ----------
    hessian : array_like, shape (d, d), symmetric
    learning_rate : float > 0

    Returns
    -------
    LinearizedStep
    """
    H = as_array(hessian, "hessian", ndim=2)
    if H.shape[0] != H.shape[1] or H.size == 0:
        raise ValueError(f"hessian must be a non-empty square matrix, got shape {H.shape}")
    if not np.allclose(H, H.T, rtol=0, atol=1e-10 * (1 + np.abs(H).max())):
        raise ValueError("hessian must be symmetric")
    eta = check_float(learning_rate, "learning_rate", low=0, low_open=True)
    lam = np.linalg.eigvalsh(H)
    mult = 1.0 - eta * lam
    return LinearizedStep(mult, float(np.abs(mult).max()), 2.0 / float(lam[-1]) if lam[0] > 0 else 0.0)


def _orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-random orthogonal matrix: QR of a Gaussian matrix with the signs of R's diagonal moved into Q."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def random_mlp(depth: int, width: int, activation: str, weight_std: float, rng, *, bias_std: float = 0.0,
               orthogonal: bool = False):
    r"""A stack of ``depth`` blocks ``Linear(width, width)`` + activation, with the weights of the theory.

    Gaussian: :math:`W_{ij} \sim \mathcal{N}(0, \sigma_w^2/n)` (so :math:`\sigma_w^2 = 1` is Xavier/LeCun for a
    square layer and :math:`\sigma_w^2 = 2` is He); orthogonal: :math:`W = \sigma_w Q` with :math:`Q` Haar-random,
    all singular values exactly :math:`\sigma_w`. Biases :math:`\mathcal{N}(0, \sigma_b^2)`.

    Parameters
    ----------
    depth, width : int >= 1
    activation : str
        One of :data:`DEPTH_ACTIVATIONS`; ``"linear"`` leaves the activation out.
    weight_std : float > 0
        :math:`\sigma_w`.
    rng : int or numpy.random.Generator
    bias_std : float >= 0
        :math:`\sigma_b`.
    orthogonal : bool

    Returns
    -------
    (Sequential, list of dict)
        The model and its parameters.
    """
    depth = check_int(depth, "depth", low=1)
    width = check_int(width, "width", low=1)
    if activation not in DEPTH_ACTIVATIONS:
        raise ValueError(f"activation must be one of {DEPTH_ACTIVATIONS}, got {activation!r}")
    sw = check_float(weight_std, "weight_std", low=0, low_open=True)
    sb = check_float(bias_std, "bias_std", low=0)
    rng = check_random_state(rng)
    blocks, params = [], []
    for _ in range(depth):
        W = sw * _orthogonal(width, rng) if orthogonal else sw / math.sqrt(width) * rng.standard_normal((width, width))
        blocks.append(Linear(width, width))
        params.append({"W": W, "b": sb * rng.standard_normal(width)})
        if activation != "linear":
            blocks.append(Activation(activation))
            params.append({})
    return Sequential(*blocks), params


@dataclass(frozen=True)
class DepthJacobians:
    r"""The Jacobians :math:`J_k = \partial h_k / \partial h_0` of every prefix of a stack, at one input.

    Attributes
    ----------
    jacobians : numpy.ndarray, shape (depth + 1, n_in, n_k)
        ``jacobians[k]`` is :math:`J_k` (row convention, :math:`dh_k = dh_0 J_k`); ``jacobians[0]`` is the
        identity. All blocks must have the same width for the stacked array.
    singular_values : numpy.ndarray, shape (depth + 1, min(n_in, n_k))
        Of each :math:`J_k`, descending.
    mean_sq : numpy.ndarray, shape (depth + 1,)
        :math:`\lVert J_k\rVert_F^2 / n_{in}`, the mean squared singular value: the factor by which
        backpropagation through the first :math:`k` blocks multiplies the squared norm of a cotangent
        :math:`\delta_k` of random direction, on average over directions.
    """

    jacobians: np.ndarray
    singular_values: np.ndarray
    mean_sq: np.ndarray


def jacobians_through_depth(model: Sequential, params, x) -> DepthJacobians:
    r"""Forward-mode accumulation of :math:`J_k = W_1 D_1 \cdots W_k D_k` after every block of ``model``.

    A block ends before each ``Linear`` layer but the first, and at the end. A ``Linear`` layer multiplies the
    running product on the right by :math:`W`; an ``Activation`` multiplies its columns by :math:`\phi'(z)` (read
    off the layer's own backward pass with a cotangent of ones).

    Parameters
    ----------
    model : Sequential of Linear and Activation layers
    params : its parameters
    x : array_like, shape (n_in,)
        One input.

    Returns
    -------
    DepthJacobians
    """
    if not isinstance(model, Sequential):
        raise ValueError(f"model must be a Sequential, got {type(model).__name__}")
    for i, layer in enumerate(model.layers):
        if not isinstance(layer, (Linear, Activation)):
            raise ValueError(f"model's layer {i} must be Linear or Activation, got {type(layer).__name__}")
    params = model.check_params(params)
    x = as_array(x, "x", ndim=1)
    model.layers[0].check_input(x)
    h, J = x, np.eye(x.shape[0])
    out = [J]
    for i, (layer, p) in enumerate(zip(model.layers, params)):
        if isinstance(layer, Linear) and i > 0:
            out.append(J)
        h, cache = layer._forward(h, p, None, False)
        if isinstance(layer, Linear):
            J = J @ p["W"]
        else:
            J = J * layer._backward(np.ones_like(h), cache)[0]
    out.append(J)
    if len({j.shape for j in out}) != 1:
        raise ValueError("every block must keep the width of the input (a stack of square layers)")
    jac = np.array(out)
    sv = np.linalg.svd(jac, compute_uv=False)
    return DepthJacobians(jac, sv, np.sum(jac**2, axis=(1, 2)) / x.shape[0])


@dataclass(frozen=True)
class MeanField:
    r"""The wide-network prediction of :func:`mean_field`.

    Attributes
    ----------
    q : numpy.ndarray, shape (depth,)
        :math:`q_l = \mathbb{E}[z_l^2]`, the variance of a pre-activation of block :math:`l = 1 \dots` depth.
    chi : numpy.ndarray, shape (depth,)
        :math:`\chi_l = \sigma_w^2\,\mathbb{E}[\phi'(z_l)^2]`, the factor of the squared gradient norm through block
        :math:`l`.
    gain : numpy.ndarray, shape (depth + 1,)
        :math:`\prod_{l \le k} \chi_l` (``gain[0] = 1``), the prediction of ``DepthJacobians.mean_sq``.
    """

    q: np.ndarray
    chi: np.ndarray
    gain: np.ndarray


def _activation_pair(activation: str):
    if activation == "linear":
        return (lambda z: z), (lambda z: np.ones_like(z))
    f, df = F.ACTIVATIONS[activation]
    if activation == "leaky_relu":
        return (lambda z: f(z, 0.01)), (lambda z: df(z, f(z, 0.01), 0.01))
    return f, (lambda z: df(z, f(z)))


def mean_field(activation: str, weight_std: float, depth: int, *, bias_std: float = 0.0, q0: float = 1.0,
               n_quad: int = 128) -> MeanField:
    r"""Signal propagation in an infinitely wide :func:`random_mlp` (Gaussian weights).

    With :math:`W_{ij} \sim \mathcal{N}(0, \sigma_w^2/n)` and :math:`b_i \sim \mathcal{N}(0, \sigma_b^2)`, each
    pre-activation is Gaussian with variance

    .. math:: q_1 = \sigma_w^2 q_0 + \sigma_b^2, \qquad
              q_{l+1} = \sigma_w^2\, \mathbb{E}_{z \sim \mathcal{N}(0, q_l)}\bigl[\phi(z)^2\bigr] + \sigma_b^2,

    (:math:`q_0 = \lVert h_0\rVert^2/n`), and backpropagation through block :math:`l` multiplies the expected
    squared norm of the cotangent by :math:`\chi_l = \sigma_w^2\,\mathbb{E}[\phi'(z_l)^2]`. Expectations by
    Gauss-Hermite quadrature with ``n_quad`` nodes (even, so ReLU's kink at 0 falls between nodes and its
    moments :math:`q/2` and :math:`1/2` come out exact).

    Parameters
    ----------
    activation : str
        One of :data:`DEPTH_ACTIVATIONS`.
    weight_std : float > 0
    depth : int >= 1
    bias_std : float >= 0
    q0 : float > 0
        Mean square of the input's entries.
    n_quad : int, even, in [2, 300] (NumPy's Gauss-Hermite weights underflow beyond)

    Returns
    -------
    MeanField
    """
    if activation not in DEPTH_ACTIVATIONS:
        raise ValueError(f"activation must be one of {DEPTH_ACTIVATIONS}, got {activation!r}")
    sw = check_float(weight_std, "weight_std", low=0, low_open=True)
    depth = check_int(depth, "depth", low=1)
    sb = check_float(bias_std, "bias_std", low=0)
    q0 = check_float(q0, "q0", low=0, low_open=True)
    n_quad = check_int(n_quad, "n_quad", low=2, high=300)
    if n_quad % 2:
        raise ValueError(f"n_quad must be even, got {n_quad}")
    nodes, weights = np.polynomial.hermite_e.hermegauss(n_quad)
    weights = weights / weights.sum()                        # expectations under N(0, 1)
    f, df = _activation_pair(activation)
    q, chi = np.empty(depth), np.empty(depth)
    q_l = sw**2 * q0 + sb**2
    for l in range(depth):
        z = math.sqrt(q_l) * nodes
        q[l], chi[l] = q_l, sw**2 * float(weights @ df(z) ** 2)
        q_l = sw**2 * float(weights @ f(z) ** 2) + sb**2
    return MeanField(q, chi, np.concatenate([[1.0], np.cumprod(chi)]))

r"""A vision transformer (ViT) from the pieces of :mod:`~mlsheet_utils.algorithms.nn.layers` and attention.

- :func:`patchify` and :func:`unpatchify`: images ``(B, H, W, C)`` to rows of flattened ``P x P`` patches
  ``(B, N, P*P*C)`` with ``N = HW / P^2``, and back (a permutation of the pixels, so each is the other's
  adjoint and inverse);
- :class:`PatchEmbedding`: patchify, then a shared linear map to ``d_model`` (a stride-``P`` convolution);
- :class:`ClassToken`: prepend a learnable [CLS] vector and add learnable positional embeddings;
- :class:`TokenPool`: the [CLS] token's final state (or the mean of the patch tokens) for the classifier head;
- :func:`tiny_vit`: the whole model as a :class:`~mlsheet_utils.algorithms.nn.layers.Sequential` of these,
  pre-norm :class:`~mlsheet_utils.algorithms.nn.layers.Residual` blocks of
  :class:`~mlsheet_utils.algorithms.nn.attention.MultiHeadAttention` and a two-layer GELU MLP, a final
  :class:`~mlsheet_utils.algorithms.nn.layers.LayerNorm` and a linear head;
- :func:`vit_param_count` (closed form) and :func:`cls_attention` (the [CLS] row of every layer's attention).

Conventions: float64, channels last; layers are forward/backward pairs as in
:mod:`~mlsheet_utils.algorithms.nn.layers`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn.attention import MultiHeadAttention
from mlsheet_utils.algorithms.nn.layers import Activation, Layer, LayerNorm, Linear, Residual, Sequential, _features
from mlsheet_utils.validation import as_array, check_int, check_random_state

__all__ = ["ClassToken", "PatchEmbedding", "TokenPool", "cls_attention", "patchify", "tiny_vit", "unpatchify",
           "vit_param_count"]


def _patchify(images: np.ndarray, p: int) -> np.ndarray:
    B, H, W, C = images.shape
    x = images.reshape(B, H // p, p, W // p, p, C).transpose(0, 1, 3, 2, 4, 5)
    return x.reshape(B, (H // p) * (W // p), p * p * C)


def _unpatchify(patches: np.ndarray, H: int, W: int, p: int) -> np.ndarray:
    B, _, D = patches.shape
    C = D // (p * p)
    x = patches.reshape(B, H // p, W // p, p, p, C).transpose(0, 1, 3, 2, 4, 5)
    return x.reshape(B, H, W, C)


def _check_patch(H: int, W: int, patch) -> int:
    p = check_int(patch, "patch", low=1)
    if H % p or W % p:
        raise ValueError(f"patch = {p} must divide the image height {H} and width {W}")
    return p


def _check_image_size(image_size) -> None:
    """``image_size`` must be a pair ``(H, W)`` of ints >= 1."""
    if not isinstance(image_size, (tuple, list, np.ndarray)) or len(image_size) != 2:
        raise ValueError(f"image_size must be a pair (H, W) of ints >= 1, got {image_size!r}")
    for v in image_size:
        check_int(v, "image_size", low=1)


def patchify(images, patch: int) -> np.ndarray:
    r"""Cut images into non-overlapping ``P x P`` patches, each flattened, in row-major patch order.

    Patch :math:`(r, c)` of image :math:`b` becomes row :math:`r\,W/P + c` of ``out[b]``, holding the pixels
    ``images[b, rP:(r+1)P, cP:(c+1)P, :]`` flattened in (row, column, channel) order.

    Parameters
    ----------
    images : array_like, shape (B, H, W, C) or (B, H, W) (one channel)
    patch : int >= 1, dividing H and W

    Returns
    -------
    numpy.ndarray, shape (B, N, P*P*C) with N = (H/P)(W/P)
    """
    images = as_array(images, "images")
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(f"images must have shape (B, H, W) or (B, H, W, C), got shape {images.shape}")
    return _patchify(images, _check_patch(images.shape[1], images.shape[2], patch))


def unpatchify(patches, image_shape, patch: int) -> np.ndarray:
    r"""Put flattened patches back into images: the inverse of :func:`patchify`, and its adjoint.

    Patchify only moves pixels, so it is a permutation matrix :math:`\Pi` and
    :math:`\Pi^\top = \Pi^{-1}`: the backward pass of patchify is unpatchify of the gradient.

    Parameters
    ----------
    patches : array_like, shape (B, N, P*P*C)
    image_shape : (H, W) or (H, W, C)
    patch : int

    Returns
    -------
    numpy.ndarray, shape (B, H, W, C)
    """
    patches = as_array(patches, "patches", ndim=3)
    if not isinstance(image_shape, (tuple, list, np.ndarray)) or len(image_shape) not in (2, 3):
        raise ValueError(f"image_shape must be (H, W) or (H, W, C), got {image_shape!r}")
    for v in image_shape:
        check_int(v, "image_shape", low=1)
    H, W = (check_int(v, "image_shape", low=1) for v in tuple(image_shape)[:2])
    C = tuple(image_shape)[2] if len(image_shape) == 3 else 1
    p = _check_patch(H, W, patch)
    if patches.shape[1:] != ((H // p) * (W // p), p * p * C):
        raise ValueError(f"patches must have shape (B, {(H // p) * (W // p)}, {p * p * C}) for image_shape "
                         f"({H}, {W}, {C}) and patch {p}, got shape {patches.shape}")
    return _unpatchify(patches, H, W, p)


@dataclass(frozen=True, repr=False)
class PatchEmbedding(Layer):
    r"""Patchify, then one linear map shared by all patches: :math:`z_k = \operatorname{vec}(x_k) E + b`.

    Backward: the patch rows get :math:`\partial L/\partial z\,E^\top` (as :class:`Linear`), and the image
    gradient is :func:`unpatchify` of that.

    Parameters
    ----------
    image_size : (H, W)
    patch : int, dividing H and W
    channels : int >= 1
    d_model : int >= 1

    ``params``: ``W`` of shape ``(P*P*C, d_model)`` and ``b`` of shape ``(d_model,)``; input ``(B, H, W, C)``,
    output ``(B, N, d_model)``.
    """

    image_size: tuple
    patch: int
    channels: int
    d_model: int

    def __post_init__(self):
        _check_image_size(self.image_size)
        H, W = (check_int(v, "image_size", low=1) for v in self.image_size)
        _check_patch(H, W, self.patch)
        check_int(self.channels, "channels", low=1)
        check_int(self.d_model, "d_model", low=1)

    @property
    def n_patches(self) -> int:
        return (self.image_size[0] // self.patch) * (self.image_size[1] // self.patch)

    @property
    def linear(self) -> Linear:
        return Linear(self.patch * self.patch * self.channels, self.d_model)

    def param_shapes(self):
        return self.linear.param_shapes()

    def init_params(self, rng=0):
        return self.linear.init_params(rng)

    def check_input(self, x):
        x = as_array(x, "x")
        want = (*self.image_size, self.channels)
        if x.ndim != 4 or x.shape[1:] != want:
            raise ValueError(f"x must have shape (B, {want[0]}, {want[1]}, {want[2]}), got shape {x.shape}")
        return x

    def _forward(self, x, params, rng, training):
        z, cache = self.linear._forward(_patchify(x, self.patch), params, rng, training)
        return z, {"linear": cache}

    def _backward(self, dy, cache):
        dpatches, grads = self.linear._backward(dy, cache["linear"])
        return _unpatchify(dpatches, *self.image_size, self.patch), grads


@dataclass(frozen=True, repr=False)
class ClassToken(Layer):
    r"""Prepend a learnable [CLS] vector to every sequence and add learnable positional embeddings.

    .. math::
        Z = [\,c;\ z_1;\ \dots;\ z_N\,] + E_{\text{pos}}, \qquad
        \frac{\partial L}{\partial c} = \sum_b G_{b,0}, \quad
        \frac{\partial L}{\partial E_{\text{pos}}} = \sum_b G_b, \quad
        \frac{\partial L}{\partial z_k} = G_{b,k},

    with :math:`G = \partial L/\partial Z`.

    Parameters
    ----------
    n_tokens : int >= 1
        ``N``, the patch tokens per image.
    d_model : int >= 1

    ``params``: ``cls`` ``(d_model,)`` and ``pos`` ``(N + 1, d_model)``, both normal with standard deviation
    0.02; input ``(B, N, d_model)``, output ``(B, N + 1, d_model)``.
    """

    n_tokens: int
    d_model: int

    def __post_init__(self):
        check_int(self.n_tokens, "n_tokens", low=1)
        check_int(self.d_model, "d_model", low=1)

    def param_shapes(self):
        return {"cls": (self.d_model,), "pos": (self.n_tokens + 1, self.d_model)}

    def init_params(self, rng=0):
        rng = check_random_state(rng)
        return {name: 0.02 * rng.standard_normal(shape) for name, shape in self.param_shapes().items()}

    def check_input(self, x):
        x = _features(as_array(x, "x"), self.d_model, "d_model")
        if x.ndim != 3 or x.shape[1] != self.n_tokens:
            raise ValueError(f"x must have shape (B, {self.n_tokens}, {self.d_model}), got shape {x.shape}")
        return x

    def _forward(self, x, params, rng, training):
        cls = np.broadcast_to(params["cls"], (x.shape[0], 1, self.d_model))
        return np.concatenate([cls, x], axis=1) + params["pos"], {}

    def _backward(self, dy, cache):
        return dy[:, 1:], {"cls": dy[:, 0].sum(axis=0), "pos": dy.sum(axis=0)}


@dataclass(frozen=True, repr=False)
class TokenPool(Layer):
    r"""One vector per sequence for the classifier: the [CLS] token's state, or the mean of the patch tokens.

    ``mode="cls"``: :math:`h = Z_{0}`, so the gradient goes to token 0 only; ``mode="mean"``:
    :math:`h = \frac{1}{N}\sum_{k \ge 1} Z_k`, each patch token gets :math:`G/N` (token 0 gets nothing).
    Input ``(B, N + 1, d)``, output ``(B, d)``.
    """

    mode: str = "cls"

    def __post_init__(self):
        if self.mode not in ("cls", "mean"):
            raise ValueError(f"mode must be 'cls' or 'mean', got {self.mode!r}")

    def check_input(self, x):
        x = as_array(x, "x")
        if x.ndim != 3 or x.shape[1] < 2:
            raise ValueError(f"x must have shape (B, n_tokens + 1, d) with at least one patch token, got {x.shape}")
        return x

    def _forward(self, x, params, rng, training):
        y = x[:, 0] if self.mode == "cls" else x[:, 1:].mean(axis=1)
        return y, {"shape": x.shape}

    def _backward(self, dy, cache):
        dx = np.zeros(cache["shape"])
        if self.mode == "cls":
            dx[:, 0] = dy
        else:
            dx[:, 1:] = dy[:, None, :] / (cache["shape"][1] - 1)
        return dx, {}


def tiny_vit(image_size=(8, 8), patch: int = 2, channels: int = 1, d_model: int = 16, n_heads: int = 2,
             depth: int = 1, mlp_width: int = 32, n_classes: int = 10, pool: str = "cls") -> Sequential:
    r"""A small ViT: patch embedding, [CLS] and positions, ``depth`` pre-norm encoder blocks, norm, head.

    .. math::
        Z_0 = [c;\ x_1 E;\ \dots;\ x_N E] + E_{\text{pos}}, \quad
        Z' = Z + \operatorname{MHA}(\operatorname{LN}(Z)), \quad
        Z_{\ell+1} = Z' + \operatorname{MLP}(\operatorname{LN}(Z')), \quad
        \text{logits} = \operatorname{LN}(Z_{\text{depth}})_0\, W_{\text{head}} + b,

    with :math:`\operatorname{MLP}(u) = \operatorname{GELU}(u W_1 + b_1) W_2 + b_2`.

    Parameters
    ----------
    image_size : (H, W)
    patch : int, dividing H and W
    channels, d_model, n_heads, depth, mlp_width, n_classes : int >= 1 (``n_heads`` divides ``d_model``)
    pool : {"cls", "mean"}
        See :class:`TokenPool`.

    Returns
    -------
    Sequential
        Input ``(B, H, W, C)``, output logits ``(B, n_classes)``; its layer ``2 + 2l`` is the attention block of
        encoder layer ``l``.
    """
    _check_image_size(image_size)
    depth = check_int(depth, "depth", low=1)
    mlp_width = check_int(mlp_width, "mlp_width", low=1)
    n_classes = check_int(n_classes, "n_classes", low=1)
    if pool not in ("cls", "mean"):
        raise ValueError(f"pool must be 'cls' or 'mean', got {pool!r}")
    embed = PatchEmbedding(tuple(image_size), patch, channels, d_model)
    blocks = []
    for _ in range(depth):
        blocks.append(Residual(MultiHeadAttention(d_model, n_heads), LayerNorm(d_model)))
        blocks.append(Residual(Sequential(Linear(d_model, mlp_width), Activation("gelu"),
                                          Linear(mlp_width, d_model)), LayerNorm(d_model)))
    return Sequential(embed, ClassToken(embed.n_patches, d_model), *blocks, LayerNorm(d_model), TokenPool(pool),
                      Linear(d_model, n_classes))


def vit_param_count(image_size=(8, 8), patch: int = 2, channels: int = 1, d_model: int = 16, depth: int = 1,
                    mlp_width: int = 32, n_classes: int = 10) -> int:
    r"""Number of parameters of :func:`tiny_vit`, in closed form (the heads do not change it).

    .. math::
        (P^2 C + 1) d + (N + 2) d + L\,(4d^2 + 2dm + m + 5d) + 2d + (d + 1) K,

    for the patch embedding, the [CLS] vector and :math:`N + 1` positions, :math:`L` blocks (four attention
    matrices, two LayerNorms, the MLP), the final LayerNorm and the head, with :math:`N = HW/P^2`.
    """
    _check_image_size(image_size)
    H, W = (check_int(v, "image_size", low=1) for v in image_size)
    p = _check_patch(H, W, patch)
    C, d, L, m, K = (check_int(v, name, low=1) for v, name in ((channels, "channels"), (d_model, "d_model"),
                                                                 (depth, "depth"), (mlp_width, "mlp_width"),
                                                                 (n_classes, "n_classes")))
    N = (H // p) * (W // p)
    return (p * p * C + 1) * d + (N + 2) * d + L * (4 * d * d + 2 * d * m + m + 5 * d) + 2 * d + (d + 1) * K


def cls_attention(model: Sequential, params, images) -> np.ndarray:
    """Attention weights of the [CLS] query over the patch tokens, for every image, layer and head.

    Parameters
    ----------
    model : Sequential from :func:`tiny_vit`
    params : its parameters
    images : array_like, shape (B, H, W, C)

    Returns
    -------
    numpy.ndarray, shape (B, depth, n_heads, N)
        Row 0 of each attention matrix without its first entry (the [CLS] key), so a row sums to at most 1.
    """
    if not isinstance(model, Sequential):
        raise ValueError(f"model must be a Sequential from tiny_vit, got {type(model).__name__}")
    try:
        model.check_params(params)
    except ValueError as exc:
        raise ValueError(f"params do not fit model: {exc}") from None
    try:
        model.check_input(images)
    except ValueError as exc:
        raise ValueError(f"images do not fit model: {exc}") from None
    _, cache = model.forward(images, params, training=False)
    blocks = [c for layer, c in zip(model.layers, cache["caches"])
              if isinstance(layer, Residual) and isinstance(layer.body, MultiHeadAttention)]
    if not blocks:
        raise ValueError("model must contain Residual(MultiHeadAttention) blocks, as tiny_vit builds")
    return np.stack([c["body"]["A"][:, :, 0, 1:] for c in blocks], axis=1)

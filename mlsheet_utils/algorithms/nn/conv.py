r"""Convolutional layers as forward/backward pairs, and the arithmetic of their shapes.

Shapes and counts:

- :func:`conv_output_size`: :math:`\lfloor (n + 2p - d(k-1) - 1)/s \rfloor + 1` (with :math:`d = 1`:
  :math:`\lfloor (n + 2p - k)/s \rfloor + 1`); :func:`conv_transpose_output_size`: its inverse,
  :math:`(n-1)s - 2p + d(k-1) + 1 + a`;
- :func:`conv_param_count`: :math:`(k_h k_w c_\text{in} + 1)\,c_\text{out}` weights and biases;
- :func:`receptive_field`: the receptive field and the jump (stride in input pixels) after each layer of a
  stack, as a :class:`ReceptiveField`;
- :func:`im2col` (every sliding window as a row, built from a strided view) and :func:`col2im` (its adjoint: the
  rows added back into the image);
- :func:`conv2d`: the convolution layer's arithmetic as a function (cross-correlation, as in every deep-learning
  library).

Layers (subclasses of :class:`~mlsheet_utils.algorithms.nn.layers.Layer`: ``forward(x, params) -> (y, cache)``,
``backward(dy, cache) -> (dx, grads)``):

- :class:`Conv2D`, :class:`ConvTranspose2D` (the adjoint of a convolution: every input pixel stamps a scaled
  copy of the kernel into the output);
- :class:`Pool2D` (the window geometry) with :class:`MaxPool2D` and :class:`AvgPool2D`, :class:`Upsample2D` (nearest
  neighbour), :class:`Flatten`;
- :class:`UNet`: a U-Net with one level down and one up, the skip connection concatenating encoder and
  decoder channels (or left out, for comparison).

Segmentation helpers: :func:`mask_overlap` (IoU, Dice and pixel accuracy of binary masks, a :class:`MaskOverlap`)
and :func:`shapes_segmentation` (noisy images of disks and squares with their masks).

Conventions: channels last, ``x`` of shape ``(batch, height, width, channels)`` (NHWC); a kernel ``W`` of
shape ``(k_h, k_w, c_in, c_out)`` (HWIO), so ``W[a, b]`` is a ``(c_in, c_out)`` matrix like a
:class:`~mlsheet_utils.algorithms.nn.layers.Linear` weight. equinox and PyTorch put channels first:
``x_eqx = x.transpose(0, 3, 1, 2)``, ``Conv2d.weight = W.transpose(3, 2, 0, 1)`` (out, in, k_h, k_w) and the bias
as ``b.reshape(-1, 1, 1)``. Square kernels, strides, paddings and dilations (one int each).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn import init
from mlsheet_utils.algorithms.nn.functional import _relu
from mlsheet_utils.algorithms.nn.layers import Layer
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

__all__ = ["AvgPool2D", "Conv2D", "ConvTranspose2D", "Flatten", "MaskOverlap", "MaxPool2D", "Pool2D", "ReceptiveField",
           "UNet", "Upsample2D", "col2im", "conv2d", "conv_output_size", "conv_param_count",
           "conv_transpose_output_size", "im2col", "mask_overlap", "receptive_field", "shapes_segmentation"]


# -- shape arithmetic -----------------------------------------------------------------------------------------

def conv_output_size(n: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    r"""Output length of a convolution or pooling along one axis.

    .. math:: n_\text{out} = \left\lfloor \frac{n + 2p - d(k - 1) - 1}{s} \right\rfloor + 1,

    which for :math:`d = 1` is :math:`\lfloor (n + 2p - k)/s \rfloor + 1`: the dilated kernel spans
    :math:`d(k-1) + 1` pixels, and the window starts at :math:`0, s, 2s, \dots` inside the padded input.

    Parameters
    ----------
    n : int >= 1
        Input length (height or width).
    kernel_size, stride, dilation : int >= 1
    padding : int >= 0
        Zeros added on each side.

    Returns
    -------
    int >= 1

    Raises
    ------
    ValueError
        When the dilated kernel is longer than the padded input (no window fits).
    """
    n, k = check_int(n, "n", low=1), check_int(kernel_size, "kernel_size", low=1)
    s, p = check_int(stride, "stride", low=1), check_int(padding, "padding", low=0)
    d = check_int(dilation, "dilation", low=1)
    span = d * (k - 1) + 1
    if span > n + 2 * p:
        raise ValueError(f"the kernel spans {span} pixels (kernel_size={k}, dilation={d}) but the padded input "
                         f"has only {n + 2 * p} (n={n}, padding={p}): no window fits")
    return (n + 2 * p - span) // s + 1


def conv_transpose_output_size(n: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1,
                               output_padding: int = 0) -> int:
    r"""Output length of a transposed convolution along one axis.

    .. math:: n_\text{out} = (n - 1)\,s - 2p + d(k - 1) + 1 + a,

    the largest input length that a convolution with the same ``kernel_size``, ``stride``, ``padding`` and
    ``dilation`` maps to ``n`` is this with :math:`a = s - 1`; ``output_padding`` :math:`a \in [0, s)` picks
    one of the :math:`s` lengths that all map to ``n``.

    Parameters
    ----------
    n, kernel_size, stride, dilation : int >= 1
    padding : int >= 0
    output_padding : int in [0, stride)

    Returns
    -------
    int >= 1
    """
    n, k = check_int(n, "n", low=1), check_int(kernel_size, "kernel_size", low=1)
    s, p = check_int(stride, "stride", low=1), check_int(padding, "padding", low=0)
    d = check_int(dilation, "dilation", low=1)
    a = check_int(output_padding, "output_padding", low=0, high=s - 1)
    out = (n - 1) * s - 2 * p + d * (k - 1) + 1 + a
    if out < 1:
        raise ValueError(f"padding={p} crops away the whole output of length {out + 2 * p}")
    return out


def conv_param_count(c_in: int, c_out: int, kernel_size: int, bias: bool = True) -> int:
    r"""Learned numbers in a 2-D convolution: :math:`(k^2 c_\text{in} + 1)\,c_\text{out}` (without bias
    :math:`k^2 c_\text{in} c_\text{out}`), whatever the size of the image (weight sharing)."""
    c_in, c_out = check_int(c_in, "c_in", low=1), check_int(c_out, "c_out", low=1)
    k = check_int(kernel_size, "kernel_size", low=1)
    return (k * k * c_in + int(bool(bias))) * c_out


@dataclass(frozen=True)
class ReceptiveField:
    """Receptive field of every layer of a stack, from :func:`receptive_field`.

    Attributes
    ----------
    size : numpy.ndarray of int, shape (n_layers,)
        Input pixels (along one axis) that one output unit of layer ``l`` sees.
    jump : numpy.ndarray of int, shape (n_layers,)
        Distance in input pixels between neighbouring units of layer ``l`` (the product of the strides so far).
    """

    size: np.ndarray
    jump: np.ndarray


def receptive_field(kernel_sizes, strides=None, dilations=None) -> ReceptiveField:
    r"""Receptive field of a stack of convolutions and poolings, along one axis.

    .. math::
        r_0 = 1,\ j_0 = 1, \qquad r_l = r_{l-1} + d_l (k_l - 1)\, j_{l-1}, \qquad j_l = j_{l-1}\, s_l,

    so :math:`L` stride-1 :math:`3 \times 3` convolutions see :math:`2L + 1` pixels, and a stride multiplies the
    growth of every later layer.

    Parameters
    ----------
    kernel_sizes : sequence of int >= 1
        One per layer (a pooling layer is a kernel too).
    strides, dilations : sequence of int >= 1, optional
        Same length (default all 1).

    Returns
    -------
    ReceptiveField
    """
    for seq, name in ((kernel_sizes, "kernel_sizes"), (strides, "strides"), (dilations, "dilations")):
        if (seq is not None or name == "kernel_sizes") and (isinstance(seq, (str, bytes)) or not np.iterable(seq)):
            raise ValueError(f"{name} must be a sequence of ints, one per layer, got {seq!r}")
    ks = [check_int(k, "kernel_sizes[i]", low=1) for k in kernel_sizes]
    if not ks:
        raise ValueError("kernel_sizes must name at least one layer")
    ss = [1] * len(ks) if strides is None else [check_int(s, "strides[i]", low=1) for s in strides]
    ds = [1] * len(ks) if dilations is None else [check_int(d, "dilations[i]", low=1) for d in dilations]
    if len(ss) != len(ks) or len(ds) != len(ks):
        raise ValueError(f"strides and dilations must have one entry per layer ({len(ks)} in kernel_sizes), "
                         f"got {len(ss)} and {len(ds)}")
    size, jump, sizes, jumps = 1, 1, [], []
    for k, s, d in zip(ks, ss, ds):
        size += d * (k - 1) * jump
        jump *= s
        sizes.append(size)
        jumps.append(jump)
    return ReceptiveField(np.array(sizes), np.array(jumps))


# -- im2col / col2im -------------------------------------------------------------------------------------------

def _windows(xp: np.ndarray, k: int, s: int, d: int, h_out: int, w_out: int) -> np.ndarray:
    """Strided view ``(N, h_out, w_out, k, k, C)`` of the windows of a padded NHWC array (no copy)."""
    n, _, _, c = xp.shape
    sn, sh, sw, sc = xp.strides
    return np.lib.stride_tricks.as_strided(xp, (n, h_out, w_out, k, k, c),
                                           (sn, sh * s, sw * s, sh * d, sw * d, sc), writeable=False)


def _pad(x: np.ndarray, p: int, value: float = 0.0) -> np.ndarray:
    return x if p == 0 else np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)), constant_values=value)


def _im2col(x, k, s, p, d):
    h_out = (x.shape[1] + 2 * p - d * (k - 1) - 1) // s + 1
    w_out = (x.shape[2] + 2 * p - d * (k - 1) - 1) // s + 1
    return _windows(_pad(x, p), k, s, d, h_out, w_out)


def _col2im(cols, shape, k, s, p, d):
    """Add every window of ``cols`` (N, h_out, w_out, k, k, C) back at its place in a zero image of ``shape``."""
    n, h, w, c = shape
    h_out, w_out = cols.shape[1:3]
    out = np.zeros((n, h + 2 * p, w + 2 * p, c))        # every window lies inside the padded image
    for a in range(k):                                  # k * k vectorised slices, not a loop over pixels
        for b in range(k):
            out[:, a * d:a * d + s * (h_out - 1) + 1:s, b * d:b * d + s * (w_out - 1) + 1:s] += cols[:, :, :, a, b]
    return out[:, p:p + h, p:p + w]


def _check_image(x, name: str = "x", channels: int | None = None) -> np.ndarray:
    x = as_array(x, name)
    if x.ndim != 4 or (channels is not None and x.shape[-1] != channels):
        want = f"(batch, height, width, {channels})" if channels is not None else "(batch, height, width, channels)"
        raise ValueError(f"{name} must have shape {want}, got shape {x.shape}")
    return x


def _geometry(kernel_size, stride, padding, dilation) -> tuple[int, int, int, int]:
    return (check_int(kernel_size, "kernel_size", low=1), check_int(stride, "stride", low=1),
            check_int(padding, "padding", low=0), check_int(dilation, "dilation", low=1))


def im2col(x, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> np.ndarray:
    r"""Every window a convolution sees, one row per output pixel.

    Row :math:`(n, i, j)` holds :math:`x_p[n,\ i s + a d,\ j s + b d,\ c]` for
    :math:`a, b = 0 \dots k-1` and every channel :math:`c` (the padded input :math:`x_p`), so a convolution is
    one matrix product of this ``(N h_out w_out, k^2 C)`` matrix with the kernel reshaped to ``(k^2 C, c_out)``.
    The windows are read from a strided view of the padded input (``numpy.lib.stride_tricks.as_strided``);
    only the final reshape copies.

    Parameters
    ----------
    x : array_like, shape (N, H, W, C)
    kernel_size, stride, dilation : int >= 1
    padding : int >= 0

    Returns
    -------
    numpy.ndarray, shape (N, h_out, w_out, k, k, C)
        Reshape to ``(-1, k * k * C)`` for the matrix form; :func:`conv_output_size` gives ``h_out``, ``w_out``.
    """
    x = _check_image(x)
    k, s, p, d = _geometry(kernel_size, stride, padding, dilation)
    for axis in (1, 2):                                 # raises if no window fits
        conv_output_size(x.shape[axis], k, s, p, d)
    return np.ascontiguousarray(_im2col(x, k, s, p, d))


def col2im(cols, shape, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> np.ndarray:
    r"""The adjoint of :func:`im2col`: add each window back where it came from, then drop the padding.

    A pixel that several windows share receives the sum of their entries, so
    :math:`\langle \mathrm{im2col}(x), C\rangle = \langle x, \mathrm{col2im}(C)\rangle` for every ``x`` and
    ``C``. This is the input gradient of a convolution and the forward pass of a transposed convolution.

    Parameters
    ----------
    cols : array_like, shape (N, h_out, w_out, k, k, C)
    shape : tuple (N, H, W, C)
        The shape of the image the windows came from.
    kernel_size, stride, padding, dilation : int
        As given to :func:`im2col`.

    Returns
    -------
    numpy.ndarray, shape ``shape``
    """
    cols = as_array(cols, "cols")
    k, s, p, d = _geometry(kernel_size, stride, padding, dilation)
    if isinstance(shape, (str, bytes)) or not np.iterable(shape):
        raise ValueError(f"shape must be a tuple (N, H, W, C), got {shape!r}")
    shape = tuple(shape)
    if len(shape) != 4 or cols.ndim != 6:
        raise ValueError(f"shape must be (N, H, W, C) and cols 6-D, got shape={shape}, cols.shape={cols.shape}")
    expected = (shape[0], conv_output_size(shape[1], k, s, p, d), conv_output_size(shape[2], k, s, p, d),
                k, k, shape[3])
    if cols.shape != expected:
        raise ValueError(f"cols must have shape {expected} for an image of shape {shape}, got {cols.shape}")
    return _col2im(cols, shape, k, s, p, d)


def conv2d(x, W, b=None, stride: int = 1, padding: int = 0, dilation: int = 1) -> np.ndarray:
    r"""2-D convolution as deep learning defines it (a cross-correlation: the kernel is not flipped).

    .. math::
        y[n, i, j, o] = b_o + \sum_{a, b, c} x_p[n,\ i s + a d,\ j s + b d,\ c]\; W[a, b, c, o],

    computed as ``im2col(x) @ W.reshape(-1, c_out)``.

    Parameters
    ----------
    x : array_like, shape (N, H, W, c_in)
    W : array_like, shape (k, k, c_in, c_out)
    b : array_like, shape (c_out,), optional
    stride, dilation : int >= 1
    padding : int >= 0

    Returns
    -------
    numpy.ndarray, shape (N, h_out, w_out, c_out)
    """
    W = as_array(W, "W")
    if W.ndim != 4 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W must have shape (k, k, c_in, c_out), got shape {W.shape}")
    x = as_array(x, "x")
    if x.ndim == 4 and x.shape[-1] != W.shape[2]:
        raise ValueError(f"W must have c_in = {x.shape[-1]} input channels, the last axis of x (shape {x.shape}), "
                         f"got shape {W.shape}")
    x = _check_image(x, channels=W.shape[2])
    k, s, p, d = _geometry(W.shape[0], stride, padding, dilation)
    for axis in (1, 2):
        conv_output_size(x.shape[axis], k, s, p, d)
    y = _conv(x, W, k, s, p, d)
    if b is not None:
        b = as_array(b, "b", ndim=1)
        if b.shape != (W.shape[3],):
            raise ValueError(f"b must have shape ({W.shape[3]},), one entry per output channel of W (shape "
                             f"{W.shape}), got {b.shape}")
        y = y + b
    return y


def _conv(x, W, k, s, p, d):
    cols = _im2col(x, k, s, p, d)
    n, h_out, w_out = cols.shape[:3]
    return (cols.reshape(n * h_out * w_out, -1) @ W.reshape(-1, W.shape[3])).reshape(n, h_out, w_out, -1)


# -- layers ----------------------------------------------------------------------------------------------------

def _check_geometry(layer) -> None:
    check_int(layer.kernel_size, "kernel_size", low=1)
    check_int(layer.stride, "stride", low=1)
    check_int(getattr(layer, "padding", 0), "padding", low=0)
    check_int(getattr(layer, "dilation", 1), "dilation", low=1)


def _check_fits(x, layer, k, s, p, d=1) -> None:
    for axis, name in ((1, "height"), (2, "width")):
        try:
            conv_output_size(x.shape[axis], k, s, p, d)
        except ValueError as exc:
            raise ValueError(f"{layer}: x's {name} {x.shape[axis]} is too small: {exc}") from None


@dataclass(frozen=True, repr=False)
class Conv2D(Layer):
    r"""2-D convolution layer, :math:`y = \operatorname{conv}(x, W) + b` (see :func:`conv2d`).

    Backward, with :math:`X` the im2col matrix of the input and :math:`G` the output gradient as a matrix
    ``(N h_out w_out, c_out)``:

    .. math::
        \frac{\partial L}{\partial W} = X^\top G, \qquad \frac{\partial L}{\partial b} = \sum_\text{rows} G,
        \qquad \frac{\partial L}{\partial x} = \operatorname{col2im}(G\, W^\top),

    the same three formulas as a :class:`~mlsheet_utils.algorithms.nn.layers.Linear` layer applied to every
    window, the windows' input gradients added back where they overlap.

    Parameters
    ----------
    c_in, c_out : int >= 1
        Input and output channels.
    kernel_size : int >= 1
    stride, dilation : int >= 1
    padding : int >= 0
        Zeros on each side (``kernel_size // 2`` keeps the size of an odd kernel at stride 1: "same").
    bias : bool
    weight_init : str
        A name in :data:`~mlsheet_utils.algorithms.nn.init.INITIALIZERS`; the fans count the window
        (:math:`k^2 c_\text{in}` in, :math:`k^2 c_\text{out}` out).
    """

    c_in: int
    c_out: int
    kernel_size: int = 3
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    bias: bool = True
    weight_init: str = "he_uniform"

    def __post_init__(self):
        check_int(self.c_in, "c_in", low=1)
        check_int(self.c_out, "c_out", low=1)
        _check_geometry(self)
        if self.weight_init not in init.INITIALIZERS:
            raise ValueError(f"weight_init must be one of {sorted(init.INITIALIZERS)}, got {self.weight_init!r}")

    def param_shapes(self):
        k = self.kernel_size
        return {"W": (k, k, self.c_in, self.c_out), **({"b": (self.c_out,)} if self.bias else {})}

    def init_params(self, rng=0):
        params = {"W": init.INITIALIZERS[self.weight_init](self.param_shapes()["W"], check_random_state(rng))}
        if self.bias:
            params["b"] = np.zeros(self.c_out)
        return params

    def check_input(self, x):
        x = _check_image(x, channels=self.c_in)
        _check_fits(x, self, self.kernel_size, self.stride, self.padding, self.dilation)
        return x

    def _forward(self, x, params, rng, training):
        k, s, p, d = self.kernel_size, self.stride, self.padding, self.dilation
        cols = _im2col(x, k, s, p, d)
        n, h_out, w_out = cols.shape[:3]
        X = cols.reshape(n * h_out * w_out, -1)
        W = params["W"].reshape(-1, self.c_out)
        y = (X @ W).reshape(n, h_out, w_out, self.c_out)
        if self.bias:
            y = y + params["b"]
        return y, {"X": X, "W": params["W"], "x_shape": x.shape}

    def _backward(self, dy, cache):
        k, s, p, d = self.kernel_size, self.stride, self.padding, self.dilation
        G = dy.reshape(-1, self.c_out)
        grads = {"W": (cache["X"].T @ G).reshape(cache["W"].shape)}
        if self.bias:
            grads["b"] = G.sum(axis=0)
        dcols = (G @ cache["W"].reshape(-1, self.c_out).T).reshape(*dy.shape[:3], k, k, self.c_in)
        return _col2im(dcols, cache["x_shape"], k, s, p, d), grads


@dataclass(frozen=True, repr=False)
class ConvTranspose2D(Layer):
    r"""Transposed convolution: each input pixel adds a copy of the kernel, scaled by its value, into the output.

    .. math::
        y_\text{full}[n,\ i s + a d,\ j s + b d,\ o] \mathrel{+}= \sum_c x[n, i, j, c]\, W[a, b, c, o],
        \qquad y = y_\text{full}[p : p + h_\text{out},\ p : p + w_\text{out}] + b,

    with :math:`h_\text{out}` from :func:`conv_transpose_output_size`. It is the adjoint (the input gradient) of
    a :class:`Conv2D` with the same geometry and kernel ``W.transpose(0, 1, 3, 2)``, so it maps a
    :math:`\lfloor n/s \rfloor` map back to :math:`n`. Where the stamps overlap unevenly (``kernel_size`` not a
    multiple of ``stride``) the output gets a checkerboard of more and fewer contributions.

    Backward: :math:`\partial L/\partial x` is the convolution of :math:`\partial L/\partial y` with the same
    kernel, and :math:`\partial L/\partial W[a,b] = \sum x^\top\, \text{window}_{a,b}(\partial L/\partial y)`.

    Parameters
    ----------
    c_in, c_out : int >= 1
    kernel_size, stride, dilation : int >= 1
    padding : int >= 0
        Rows and columns cropped from each side of the full output.
    output_padding : int in [0, stride)
        Extra rows and columns at the bottom and right (zeros plus bias), to reach an odd size.
    bias : bool
    weight_init : str
    """

    c_in: int
    c_out: int
    kernel_size: int = 2
    stride: int = 2
    padding: int = 0
    dilation: int = 1
    output_padding: int = 0
    bias: bool = True
    weight_init: str = "he_uniform"

    def __post_init__(self):
        check_int(self.c_in, "c_in", low=1)
        check_int(self.c_out, "c_out", low=1)
        _check_geometry(self)
        check_int(self.output_padding, "output_padding", low=0, high=self.stride - 1)
        if self.weight_init not in init.INITIALIZERS:
            raise ValueError(f"weight_init must be one of {sorted(init.INITIALIZERS)}, got {self.weight_init!r}")

    def param_shapes(self):
        k = self.kernel_size
        return {"W": (k, k, self.c_in, self.c_out), **({"b": (self.c_out,)} if self.bias else {})}

    def init_params(self, rng=0):
        params = {"W": init.INITIALIZERS[self.weight_init](self.param_shapes()["W"], check_random_state(rng))}
        if self.bias:
            params["b"] = np.zeros(self.c_out)
        return params

    def output_shape(self, x_shape) -> tuple[int, int, int, int]:
        """``(N, h_out, w_out, c_out)`` for an input of shape ``(N, H, W, c_in)``."""
        if not isinstance(x_shape, (tuple, list)) or len(x_shape) != 4:
            raise ValueError(f"x_shape must be a shape (N, H, W, c_in), got {x_shape!r}")
        for size in x_shape:
            check_int(size, "x_shape", low=1)
        k, s, p, d, a = self.kernel_size, self.stride, self.padding, self.dilation, self.output_padding
        return (x_shape[0], conv_transpose_output_size(x_shape[1], k, s, p, d, a),
                conv_transpose_output_size(x_shape[2], k, s, p, d, a), self.c_out)

    def check_input(self, x):
        x = _check_image(x, channels=self.c_in)
        try:
            self.output_shape(x.shape)
        except ValueError as exc:
            raise ValueError(f"{self}: {exc}") from None
        return x

    def _full_shape(self, x_shape):
        """The shape (with padding, before the crop) as the conv this layer is the adjoint of sees it."""
        k, s, p, d, a = self.kernel_size, self.stride, self.padding, self.dilation, self.output_padding
        h = (x_shape[1] - 1) * s - 2 * p + d * (k - 1) + 1 + a
        w = (x_shape[2] - 1) * s - 2 * p + d * (k - 1) + 1 + a
        return (x_shape[0], h, w, self.c_out)

    def _forward(self, x, params, rng, training):
        k, s, p, d = self.kernel_size, self.stride, self.padding, self.dilation
        n, h, w, _ = x.shape
        stamps = (x.reshape(-1, self.c_in) @ params["W"].transpose(2, 0, 1, 3).reshape(self.c_in, -1))
        out_shape = self._full_shape(x.shape)
        y = _col2im(stamps.reshape(n, h, w, k, k, self.c_out), out_shape, k, s, p, d)
        if self.bias:
            y = y + params["b"]
        return y, {"x": x, "W": params["W"]}

    def _backward(self, dy, cache):
        k, s, p, d = self.kernel_size, self.stride, self.padding, self.dilation
        x, W = cache["x"], cache["W"]
        n, h, w, _ = x.shape
        win = _windows(_pad(dy, p), k, s, d, h, w)           # dy padded back to the full output
        D = win.reshape(n * h * w, k * k * self.c_out)                     # the windows of dy, one per input pixel
        Wm = W.transpose(2, 0, 1, 3).reshape(self.c_in, -1)               # (c_in, k k c_out)
        grads = {"W": (x.reshape(-1, self.c_in).T @ D).reshape(self.c_in, k, k, self.c_out).transpose(1, 2, 0, 3)}
        if self.bias:
            grads["b"] = dy.reshape(-1, self.c_out).sum(axis=0)
        return (D @ Wm.T).reshape(n, h, w, self.c_in), grads


@dataclass(frozen=True, repr=False)
class Pool2D(Layer):
    """The window geometry pooling layers share: ``k x k`` windows every ``stride`` pixels, no padding, no
    parameters. Subclasses define what a window reduces to.

    Parameters
    ----------
    kernel_size : int >= 1
    stride : int >= 1, optional
        Default ``kernel_size`` (non-overlapping windows). No padding: every window lies inside the input.
    """

    kernel_size: int = 2
    stride: int | None = None

    def __post_init__(self):
        if self.stride is None:
            object.__setattr__(self, "stride", self.kernel_size)
        _check_geometry(self)

    def check_input(self, x):
        x = _check_image(x)
        _check_fits(x, self, self.kernel_size, self.stride, 0)
        return x


@dataclass(frozen=True, repr=False)
class MaxPool2D(Pool2D):
    r"""Max pooling: the largest value of each ``k x k`` window, per channel.

    .. math:: y[n, i, j, c] = \max_{a, b < k} x[n,\ i s + a,\ j s + b,\ c], \qquad
              \frac{\partial L}{\partial x} = \text{the output gradient routed to each window's argmax}.

    A window's gradient goes to its first largest entry only (ties in row-major order); overlapping windows
    (``stride < kernel_size``) add their gradients. Geometry and validation: :class:`Pool2D`.
    """

    def _forward(self, x, params, rng, training):
        k, s = self.kernel_size, self.stride
        win = _im2col(x, k, s, 0, 1)
        n, h_out, w_out = win.shape[:3]
        flat = win.reshape(n, h_out, w_out, k * k, x.shape[3])
        arg = flat.argmax(axis=3)
        y = np.take_along_axis(flat, arg[:, :, :, None], axis=3)[:, :, :, 0]
        return y, {"arg": arg, "x_shape": x.shape}

    def _backward(self, dy, cache):
        k, s = self.kernel_size, self.stride
        arg = cache["arg"]
        dcols = np.zeros(arg.shape[:3] + (k * k, arg.shape[3]))
        np.put_along_axis(dcols, arg[:, :, :, None], dy[:, :, :, None], axis=3)
        dcols = dcols.reshape(*arg.shape[:3], k, k, arg.shape[3])
        return _col2im(dcols, cache["x_shape"], k, s, 0, 1), {}


@dataclass(frozen=True, repr=False)
class AvgPool2D(Pool2D):
    r"""Average pooling: the mean of each ``k x k`` window, per channel; backward spreads
    :math:`\partial L/\partial y / k^2` over the window. Geometry and validation: :class:`Pool2D`.
    """

    def _forward(self, x, params, rng, training):
        return _im2col(x, self.kernel_size, self.stride, 0, 1).mean(axis=(3, 4)), {"x_shape": x.shape}

    def _backward(self, dy, cache):
        k = self.kernel_size
        dcols = np.broadcast_to((dy / (k * k))[:, :, :, None, None, :], dy.shape[:3] + (k, k, dy.shape[3]))
        return _col2im(dcols, cache["x_shape"], k, self.stride, 0, 1), {}


@dataclass(frozen=True, repr=False)
class Upsample2D(Layer):
    r"""Nearest-neighbour upsampling by an integer ``factor``: every pixel becomes a ``factor x factor`` block;
    backward sums the gradient over each block. Followed by a :class:`Conv2D`, it upsamples without the uneven
    overlaps of a :class:`ConvTranspose2D`."""

    factor: int = 2

    def __post_init__(self):
        check_int(self.factor, "factor", low=1)

    def check_input(self, x):
        return _check_image(x)

    def _forward(self, x, params, rng, training):
        f = self.factor
        return np.repeat(np.repeat(x, f, axis=1), f, axis=2), {}

    def _backward(self, dy, cache):
        n, h, w, c = dy.shape
        f = self.factor
        return dy.reshape(n, h // f, f, w // f, f, c).sum(axis=(2, 4)), {}


@dataclass(frozen=True, repr=False)
class Flatten(Layer):
    """``(N, H, W, C) -> (N, H W C)`` (row-major, channels fastest), so a dense layer can follow; backward reshapes
    back."""

    def check_input(self, x):
        x = as_array(x, "x")
        if x.ndim < 2:
            raise ValueError(f"x must have a batch axis and at least one more, got shape {x.shape}")
        return x

    def _forward(self, x, params, rng, training):
        return x.reshape(x.shape[0], -1), {"x_shape": x.shape}

    def _backward(self, dy, cache):
        return dy.reshape(cache["x_shape"]), {}


# -- a small U-Net ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class UNet(Layer):
    r"""A U-Net with one level down and one up, for inputs of even height and width.

    .. code-block:: text

        x (H, W, c_in) -- enc: conv3x3 + ReLU --> e (H, W, f) ----------- skip (copy) ----------+
                                                   | maxpool 2x2                                  |
                                                   v                                              v
                         mid: conv3x3 + ReLU --> m (H/2, W/2, 2f) -- up: transposed conv 2x2, stride 2 --> u (H, W, f)
                                                                                                  |
                      concat [e, u] (H, W, 2f) -- dec: conv3x3 + ReLU --> (H, W, f) -- head: conv1x1 --> logits

    Every 3x3 convolution is padded by 1 ("same"). With ``skip=False`` the decoder sees only ``u`` (``f``
    channels): everything must pass through the half-resolution bottleneck. Backward runs the pieces in reverse;
    the concatenation splits the gradient by channel, and the encoder output ``e`` adds the gradients of its two
    uses (the skip and the pooling path).

    Parameters
    ----------
    c_in : int >= 1
    n_out : int >= 1
        Output channels (1 logit per pixel for a binary mask).
    width : int >= 1
        :math:`f`, the channels of the first level (doubled at the bottom).
    skip : bool
        Concatenate the encoder features into the decoder.

    ``params`` is a dict with one dict per convolution: ``enc``, ``mid``, ``up``, ``dec``, ``head``.
    """

    c_in: int = 1
    n_out: int = 1
    width: int = 4
    skip: bool = True

    def __post_init__(self):
        check_int(self.c_in, "c_in", low=1)
        check_int(self.n_out, "n_out", low=1)
        check_int(self.width, "width", low=1)

    @property
    def parts(self) -> dict[str, Layer]:
        """The five convolutions, by name."""
        f = self.width
        return {"enc": Conv2D(self.c_in, f, 3, padding=1), "mid": Conv2D(f, 2 * f, 3, padding=1),
                "up": ConvTranspose2D(2 * f, f, 2, stride=2),
                "dec": Conv2D(2 * f if self.skip else f, f, 3, padding=1),
                "head": Conv2D(f, self.n_out, 1, weight_init="xavier_uniform")}

    def init_params(self, rng=0):
        rng = check_random_state(rng)
        return {name: layer.init_params(rng) for name, layer in self.parts.items()}

    def check_params(self, params):
        parts = self.parts
        if not isinstance(params, dict) or set(params) != set(parts):
            raise ValueError(f"params of {self} must be a dict with the keys {sorted(parts)}, got "
                             f"{sorted(params) if isinstance(params, dict) else type(params).__name__}")
        return {name: layer.check_params(params[name]) for name, layer in parts.items()}

    def check_input(self, x):
        x = _check_image(x, channels=self.c_in)
        if x.shape[1] % 2 or x.shape[2] % 2:
            raise ValueError(f"x must have even height and width (one 2x2 pooling), got shape {x.shape}")
        return x

    def _forward(self, x, params, rng, training):
        P, pool = self.parts, MaxPool2D(2)
        c = {}
        e_lin, c["enc"] = P["enc"]._forward(x, params["enc"], rng, training)
        e = _relu(e_lin)
        pooled, c["pool"] = pool._forward(e, {}, rng, training)
        m_lin, c["mid"] = P["mid"]._forward(pooled, params["mid"], rng, training)
        m = _relu(m_lin)
        u, c["up"] = P["up"]._forward(m, params["up"], rng, training)
        z = np.concatenate([e, u], axis=-1) if self.skip else u
        d_lin, c["dec"] = P["dec"]._forward(z, params["dec"], rng, training)
        d = _relu(d_lin)
        y, c["head"] = P["head"]._forward(d, params["head"], rng, training)
        c.update(e_on=e_lin > 0, m_on=m_lin > 0, d_on=d_lin > 0)
        return y, c

    def _backward(self, dy, cache):
        P, pool, f = self.parts, MaxPool2D(2), self.width
        g = {}
        dd, g["head"] = P["head"]._backward(dy, cache["head"])
        dz, g["dec"] = P["dec"]._backward(dd * cache["d_on"], cache["dec"])
        de_skip, du = (dz[..., :f], dz[..., f:]) if self.skip else (0.0, dz)
        dm, g["up"] = P["up"]._backward(du, cache["up"])
        dpooled, g["mid"] = P["mid"]._backward(dm * cache["m_on"], cache["mid"])
        de, _ = pool._backward(dpooled, cache["pool"])
        dx, g["enc"] = P["enc"]._backward((de + de_skip) * cache["e_on"], cache["enc"])
        return dx, g


# -- segmentation: data and scores ---------------------------------------------------------------------------

@dataclass(frozen=True)
class MaskOverlap:
    r"""Agreement of predicted and true binary masks, from :func:`mask_overlap` (one value per image).

    Attributes
    ----------
    iou : numpy.ndarray, shape (n_images,)
        :math:`|P \cap G| / |P \cup G|` (1 when both masks are empty).
    dice : numpy.ndarray, shape (n_images,)
        :math:`2|P \cap G| / (|P| + |G|)` (1 when both masks are empty).
    accuracy : numpy.ndarray, shape (n_images,)
        The share of pixels labelled correctly.
    """

    iou: np.ndarray
    dice: np.ndarray
    accuracy: np.ndarray


def mask_overlap(pred, truth) -> MaskOverlap:
    r"""IoU, Dice and pixel accuracy of binary masks, image by image.

    .. math::
        \mathrm{IoU} = \frac{|P \cap G|}{|P \cup G|}, \qquad
        \mathrm{Dice} = \frac{2|P \cap G|}{|P| + |G|} = \frac{2\,\mathrm{IoU}}{1 + \mathrm{IoU}},

    with the convention 1 for an empty prediction of an empty mask (0/0).

    Parameters
    ----------
    pred, truth : array_like of bool or {0, 1}, shape (n_images, ...) (same shape)

    Returns
    -------
    MaskOverlap
    """
    pred, truth = np.asarray(pred), np.asarray(truth)
    if pred.shape != truth.shape or pred.ndim < 2:
        raise ValueError(f"pred and truth must have the same shape (n_images, ...), got {pred.shape} and "
                         f"{truth.shape}")
    for name, a in (("pred", pred), ("truth", truth)):
        if not (a.dtype == bool or np.isin(a, (0, 1)).all()):
            raise ValueError(f"{name} must be a binary mask (bool or 0/1)")
    P, G = pred.astype(bool).reshape(len(pred), -1), truth.astype(bool).reshape(len(truth), -1)
    inter, union = (P & G).sum(1), (P | G).sum(1)
    sizes = P.sum(1) + G.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
        dice = np.where(sizes > 0, 2 * inter / np.maximum(sizes, 1), 1.0)
    return MaskOverlap(iou, dice, (P == G).mean(1))


def shapes_segmentation(n_images: int, size: int = 16, *, noise: float = 0.5, radius=(2.0, 5.0), rng=0):
    r"""Noisy grey images, each holding one disk or one square, and the mask of that shape.

    Each image is 0 outside the shape and 1 inside, plus independent :math:`\mathcal{N}(0, \text{noise}^2)`
    pixel noise. A shape's centre is uniform in the image (kept one radius from the border), its radius (half
    side for a square) uniform in ``radius``; disks and squares alternate.

    Parameters
    ----------
    n_images : int >= 1
    size : int >= 8
        Height and width.
    noise : float >= 0
    radius : (float, float)
        Smallest and largest radius, ``0 < lo <= hi < size / 2``.
    rng : int or numpy.random.Generator

    Returns
    -------
    (images, masks) : numpy.ndarray, shapes (n_images, size, size, 1), float64 and bool
    """
    n_images = check_int(n_images, "n_images", low=1)
    size = check_int(size, "size", low=8)
    noise = check_float(noise, "noise", low=0)
    if isinstance(radius, (str, bytes)) or not np.iterable(radius) or len(radius) != 2:
        raise ValueError(f"radius must be a pair (lo, hi), got {radius!r}")
    lo, hi = (check_float(r, "radius", low=0, low_open=True) for r in radius)
    if not lo <= hi < size / 2:
        raise ValueError(f"radius must satisfy 0 < lo <= hi < size / 2 = {size / 2}, got {radius}")
    rng = check_random_state(rng)
    r = rng.uniform(lo, hi, n_images)
    centre = rng.uniform(r[:, None], size - 1 - r[:, None], (n_images, 2))
    yy, xx = np.mgrid[:size, :size]
    dy, dx = yy[None] - centre[:, 0, None, None], xx[None] - centre[:, 1, None, None]
    disk = dy**2 + dx**2 <= r[:, None, None] ** 2
    square = np.maximum(np.abs(dy), np.abs(dx)) <= r[:, None, None]
    masks = np.where((np.arange(n_images) % 2 == 0)[:, None, None], disk, square)
    images = masks + noise * rng.standard_normal(masks.shape)
    return images[..., None], masks[..., None]

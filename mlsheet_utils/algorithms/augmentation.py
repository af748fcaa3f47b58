r"""Data augmentation: label-preserving transformations of training inputs (images, series, feature vectors).

Images are greyscale arrays of shape ``(n, h, w)`` (a single ``(h, w)`` image is also accepted and returned as a
batch of one). Pixel coordinates are ``(row, column)``; the centre of an image is ``((h - 1) / 2, (w - 1) / 2)``.

Geometry:

- :func:`flip`               mirror images left-right or upside down;
- :func:`translate`          shift by whole pixels, filling with zeros (padding then cropping);
- :func:`random_crop`        pad by ``pad`` zeros, cut a window of the original size at a random offset
  (a :class:`Cropped`);
- :func:`affine_matrix`      the 2x2 matrix of a rotation, a scaling and a shear about the centre;
- :func:`warp_affine`        resample images under such a matrix with bilinear interpolation and zero padding
  (rotation, scaling and shearing are all this one map).

Intensity and occlusion:

- :func:`brightness_contrast`  :math:`x' = \operatorname{clip}(c\,(x - \bar x) + \bar x + b)`;
- :func:`gaussian_noise`       :math:`x' = x + \sigma\varepsilon`, :math:`\varepsilon \sim \mathcal N(0, I)`;
- :func:`cutout`               zero a random square of every image (a :class:`Cutout`).

Between samples and along time:

- :func:`mixup`      convex combinations of pairs of inputs and of their one-hot labels, weights from
  :math:`\mathrm{Beta}(\alpha, \alpha)` (a :class:`Mixup`);
- :func:`time_warp`  read a 1-D series at smoothly stretched and compressed times (a :class:`TimeWarp`).

Public functions validate their input once and raise ``ValueError`` naming the argument.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.validation import as_array, check_float, check_int, check_probabilities, check_random_state

FLIP_AXES = ("horizontal", "vertical")


def _as_images(images) -> np.ndarray:
    """``images`` as a float array of shape (n, h, w); one (h, w) image becomes a batch of one."""
    arr = as_array(images, "images")
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or min(arr.shape[1:]) < 1:
        raise ValueError(f"images must have shape (n, h, w) or (h, w), got {np.shape(images)}")
    return arr


# -- geometry ------------------------------------------------------------------------------------------------

def flip(images, axis: str = "horizontal") -> np.ndarray:
    """Mirror images: ``"horizontal"`` reverses the columns (left-right), ``"vertical"`` the rows.

    Both are permutations of the pixels, so flipping twice gives the images back exactly, and flipping both ways
    is a rotation by 180 degrees.

    Parameters
    ----------
    images : array_like, shape (n, h, w) or (h, w)
    axis : {"horizontal", "vertical"}

    Returns
    -------
    ndarray, shape (n, h, w)
    """
    X = _as_images(images)
    if axis not in FLIP_AXES:
        raise ValueError(f"axis must be one of {FLIP_AXES}, got {axis!r}")
    return X[:, :, ::-1].copy() if axis == "horizontal" else X[:, ::-1, :].copy()


def _translate(X: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """Kernel of :func:`translate`: image ``i`` moved down by ``dy[i]`` and right by ``dx[i]`` pixels."""
    n, h, w = X.shape
    rows = np.arange(h)[None, :] - dy[:, None]                 # (n, h): the source row of each output row
    cols = np.arange(w)[None, :] - dx[:, None]
    inside = ((rows >= 0) & (rows < h))[:, :, None] & ((cols >= 0) & (cols < w))[:, None, :]
    out = X[np.arange(n)[:, None, None], np.clip(rows, 0, h - 1)[:, :, None], np.clip(cols, 0, w - 1)[:, None, :]]
    return np.where(inside, out, 0.0)


def translate(images, dy, dx) -> np.ndarray:
    r"""Shift images by whole pixels, down by ``dy`` and right by ``dx``, filling the uncovered pixels with 0.

    It is what padding by :math:`p` zeros on every side and cropping an :math:`h \times w` window at offset
    :math:`(p - d_y, p - d_x)` produce:
    :math:`x'_{r,c} = x_{r - d_y,\, c - d_x}` inside the image, 0 elsewhere.

    Parameters
    ----------
    images : array_like, shape (n, h, w) or (h, w)
    dy, dx : int or array_like of int, shape (n,)
        One shift for all images or one per image; negative values move up or left.

    Returns
    -------
    ndarray, shape (n, h, w)
    """
    X = _as_images(images)
    shifts = []
    for name, d in (("dy", dy), ("dx", dx)):
        if np.ndim(d) == 1 and np.size(d) != X.shape[0]:
            raise ValueError(f"{name} must be an integer or one integer per image ({X.shape[0]}), got {np.size(d)}")
        d = np.broadcast_to(as_array(d, name), (X.shape[0],)) if np.ndim(d) <= 1 else None
        if d is None or np.any(d != np.round(d)):
            raise ValueError(f"{name} must be an integer or one integer per image")
        shifts.append(d.astype(np.int64))
    return _translate(X, *shifts)


@dataclass(frozen=True)
class Cropped:
    """The output of :func:`random_crop`.

    Attributes
    ----------
    images : ndarray, shape (n, h, w)
    offsets : ndarray of int, shape (n, 2)
        Top-left corner ``(row, column)`` of each window in the padded image, each in ``[0, 2 pad]``; the image
        moved by ``(pad - row, pad - column)``.
    """

    images: np.ndarray
    offsets: np.ndarray


def random_crop(images, pad: int, rng=0) -> Cropped:
    """Pad-and-crop: surround each image with ``pad`` zeros, then cut an ``h x w`` window at a uniform random
    offset in ``{0, ..., 2 pad}^2``.

    The window at offset :math:`(o_y, o_x)` is the image translated by :math:`(p - o_y, p - o_x)`
    (see :func:`translate`), so every shift of at most ``pad`` pixels in each direction is equally likely.

    Parameters
    ----------
    images : array_like, shape (n, h, w) or (h, w)
    pad : int >= 0
    rng : int or numpy.random.Generator

    Returns
    -------
    Cropped
    """
    X = _as_images(images)
    pad = check_int(pad, "pad", low=0)
    rng = check_random_state(rng)
    offsets = rng.integers(0, 2 * pad + 1, size=(X.shape[0], 2))
    return Cropped(_translate(X, pad - offsets[:, 0], pad - offsets[:, 1]), offsets)


def affine_matrix(angle: float = 0.0, scale: float = 1.0, shear: float = 0.0) -> np.ndarray:
    r"""The 2x2 map :math:`A` from an output pixel's offset to the input offset it reads, in (row, column)
    coordinates about the image centre, for a counter-clockwise rotation by ``angle`` degrees, a zoom by
    ``scale`` and a horizontal shear ``shear``.

    The forward map (input to output) is :math:`F = R_\theta\, S\, H` with
    :math:`S = sI`, :math:`H = \begin{pmatrix}1 & 0\\ -k & 1\end{pmatrix}` (column moves by :math:`-k` times
    the row, the top of the image leans right) and, in (row, column) order with rows pointing down,
    :math:`R_\theta = \begin{pmatrix}\cos\theta & -\sin\theta\\ \sin\theta & \cos\theta\end{pmatrix}`;
    resampling needs its inverse,

    .. math:: A = F^{-1} = H^{-1} S^{-1} R_\theta^\top,\qquad
              H^{-1} = \begin{pmatrix}1 & 0\\ k & 1\end{pmatrix}.

    ``scale > 1`` enlarges the content (and crops it), ``scale < 1`` shrinks it (and pads with zeros).

    Parameters
    ----------
    angle : float, degrees
    scale : float > 0
    shear : float

    Returns
    -------
    ndarray, shape (2, 2)
    """
    angle = check_float(angle, "angle")
    scale = check_float(scale, "scale", low=0, low_open=True)
    shear = check_float(shear, "shear")
    t = np.deg2rad(angle)
    rot_t = np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])     # R_theta transposed
    return np.array([[1.0, 0.0], [shear, 1.0]]) @ rot_t / scale


def _bilinear(X: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Bilinear reads of every image at fractional (rows, cols) of shape (h, w), zeros outside the image."""
    n, h, w = X.shape
    padded = np.zeros((n, h + 2, w + 2))
    padded[:, 1:-1, 1:-1] = X
    r0, c0 = np.floor(rows), np.floor(cols)
    fr, fc = rows - r0, cols - c0
    out = np.zeros((n, h, w))
    for dr, dc, weight in ((0, 0, (1 - fr) * (1 - fc)), (0, 1, (1 - fr) * fc), (1, 0, fr * (1 - fc)),
                           (1, 1, fr * fc)):
        r, c = r0 + dr, c0 + dc
        inside = (r >= -1) & (r <= h) & (c >= -1) & (c <= w)      # the zero border belongs to the padded image
        ri = np.clip(r, -1, h).astype(np.int64) + 1
        ci = np.clip(c, -1, w).astype(np.int64) + 1
        out += np.where(inside, weight, 0.0) * padded[:, ri, ci]
    return out


def warp_affine(images, matrix) -> np.ndarray:
    r"""Resample images under a linear map about the centre: output pixel :math:`p` takes the bilinear
    interpolation of the input at :math:`A (p - c) + c`, with zeros outside the image.

    With :math:`(r, c) = (r_0 + f_r, c_0 + f_c)`, :math:`0 \le f < 1`,

    .. math:: x'(p) = (1-f_r)(1-f_c)\,x_{r_0 c_0} + (1-f_r)f_c\,x_{r_0, c_0+1} + f_r(1-f_c)\,x_{r_0+1, c_0}
              + f_r f_c\,x_{r_0+1, c_0+1},

    where pixels outside the image are 0 (so content fades into the border instead of stopping at it).
    This is ``scipy.ndimage.affine_transform(x, A, offset=c - A c, order=1, mode="grid-constant")``.

    Parameters
    ----------
    images : array_like, shape (n, h, w) or (h, w)
    matrix : array_like, shape (2, 2), e.g. from :func:`affine_matrix`

    Returns
    -------
    ndarray, shape (n, h, w)
    """
    X = _as_images(images)
    A = as_array(matrix, "matrix", ndim=2)
    if A.shape != (2, 2):
        raise ValueError(f"matrix must have shape (2, 2), got {A.shape}")
    n, h, w = X.shape
    centre = np.array([(h - 1) / 2, (w - 1) / 2])
    grid = np.stack(np.meshgrid(np.arange(h), np.arange(w), indexing="ij")) - centre[:, None, None]
    src = np.tensordot(A, grid, axes=1) + centre[:, None, None]              # (2, h, w)
    return _bilinear(X, src[0], src[1])


# -- intensity and occlusion ---------------------------------------------------------------------------------

def brightness_contrast(images, brightness: float = 0.0, contrast: float = 1.0, *, low: float = 0.0,
                        high: float = 16.0) -> np.ndarray:
    r"""Change each image's contrast about its own mean, add a brightness offset, clip to the pixel range.

    .. math:: x' = \operatorname{clip}_{[\ell, u]}\big(c\,(x - \bar x) + \bar x + b\big),

    so before clipping the mean moves by :math:`b` and the standard deviation is multiplied by :math:`c`.

    Parameters
    ----------
    images : array_like, shape (n, h, w) or (h, w)
    brightness : float, the offset :math:`b`
    contrast : float >= 0, the factor :math:`c`
    low, high : float, low < high, the valid pixel range (0 and 16 for scikit-learn's digits)

    Returns
    -------
    ndarray, shape (n, h, w)
    """
    X = _as_images(images)
    brightness = check_float(brightness, "brightness")
    contrast = check_float(contrast, "contrast", low=0)
    low = check_float(low, "low")
    if check_float(high, "high") <= low:
        raise ValueError(f"low must be below high, got low = {low} and high = {high}")
    high = check_float(high, "high", low=low, low_open=True)
    mean = X.mean(axis=(1, 2), keepdims=True)
    return np.clip(contrast * (X - mean) + mean + brightness, low, high)


def gaussian_noise(images, sigma: float, rng=0) -> np.ndarray:
    r"""Add independent Gaussian noise to every entry: :math:`x' = x + \sigma\varepsilon`,
    :math:`\varepsilon \sim \mathcal N(0, I)`; no clipping, so the noise stays exactly Gaussian.

    Parameters
    ----------
    images : array_like, any shape with at least one dimension (images, feature rows, series)
    sigma : float >= 0
    rng : int or numpy.random.Generator

    Returns
    -------
    ndarray, the shape of ``images``
    """
    X = as_array(images, "images")
    sigma = check_float(sigma, "sigma", low=0)
    rng = check_random_state(rng)
    return X + sigma * rng.standard_normal(X.shape)


@dataclass(frozen=True)
class Cutout:
    """The output of :func:`cutout`.

    Attributes
    ----------
    images : ndarray, shape (n, h, w)
    corners : ndarray of int, shape (n, 2)
        Top-left pixel ``(row, column)`` of each zeroed ``size x size`` square (inside the image).
    """

    images: np.ndarray
    corners: np.ndarray


def cutout(images, size: int, rng=0) -> Cutout:
    """Cutout: set a ``size x size`` square at a uniform random position inside each image to zero.

    Parameters
    ----------
    images : array_like, shape (n, h, w) or (h, w)
    size : int, 0 <= size <= min(h, w)
    rng : int or numpy.random.Generator

    Returns
    -------
    Cutout
    """
    X = _as_images(images)
    n, h, w = X.shape
    size = check_int(size, "size", low=0, high=min(h, w))
    rng = check_random_state(rng)
    corners = np.stack([rng.integers(0, h - size + 1, n), rng.integers(0, w - size + 1, n)], axis=1)
    r, c = np.arange(h), np.arange(w)
    in_rows = (r[None, :] >= corners[:, :1]) & (r[None, :] < corners[:, :1] + size)        # (n, h)
    in_cols = (c[None, :] >= corners[:, 1:]) & (c[None, :] < corners[:, 1:] + size)        # (n, w)
    return Cutout(np.where(in_rows[:, :, None] & in_cols[:, None, :], 0.0, X), corners)


# -- between samples and along time --------------------------------------------------------------------------

@dataclass(frozen=True)
class Mixup:
    r"""The output of :func:`mixup`.

    Attributes
    ----------
    X : ndarray, the shape of the input ``X``
    Y : ndarray, shape (n, K): soft labels
    lam : ndarray, shape (n,): the weight :math:`\lambda_i` of sample ``i``
    partner : ndarray of int, shape (n,): the sample ``j`` it was mixed with
    """

    X: np.ndarray
    Y: np.ndarray
    lam: np.ndarray
    partner: np.ndarray


def mixup(X, Y, alpha: float, rng=0) -> Mixup:
    r"""Mixup (Zhang et al., 2018): mix every sample with a random partner, inputs and labels alike,

    .. math:: \tilde x_i = \lambda_i x_i + (1 - \lambda_i) x_{\pi(i)},\qquad
              \tilde y_i = \lambda_i y_i + (1 - \lambda_i) y_{\pi(i)},\qquad
              \lambda_i \sim \mathrm{Beta}(\alpha, \alpha),

    with :math:`\pi` a random permutation. Small :math:`\alpha` puts :math:`\lambda` near 0 or 1 (little
    mixing); :math:`\alpha = 1` makes it uniform.

    Parameters
    ----------
    X : array_like, shape (n, ...): inputs (feature rows or images)
    Y : array_like, shape (n, K): one-hot (or soft) labels, each row non-negative and summing to 1
    alpha : float > 0
    rng : int or numpy.random.Generator

    Returns
    -------
    Mixup
    """
    X = as_array(X, "X")
    Y = as_array(Y, "Y", ndim=2)
    if X.ndim < 1 or X.shape[0] != Y.shape[0] or X.shape[0] < 1:
        raise ValueError(f"X and Y must hold the same positive number of rows, got {X.shape} and {Y.shape}")
    alpha = check_float(alpha, "alpha", low=0, low_open=True)
    check_probabilities(Y, "Y")
    rng = check_random_state(rng)
    n = X.shape[0]
    lam = rng.beta(alpha, alpha, size=n)
    partner = rng.permutation(n)
    lx = lam.reshape((n,) + (1,) * (X.ndim - 1))
    return Mixup(lx * X + (1 - lx) * X[partner], lam[:, None] * Y + (1 - lam[:, None]) * Y[partner], lam, partner)


@dataclass(frozen=True)
class TimeWarp:
    """The output of :func:`time_warp`.

    Attributes
    ----------
    series : ndarray, shape (T,) or (n, T): the warped series
    times : ndarray, shape (T,) or (n, T): the time, in samples, at which each output sample reads the input;
        increasing, from 0 to T - 1
    """

    series: np.ndarray
    times: np.ndarray


def time_warp(series, strength: float, n_knots: int = 4, rng=0) -> TimeWarp:
    r"""Time warping: read a series at a random, increasing, piecewise-linear time map :math:`\tau(t)` of
    :math:`[0, T-1]` onto itself, interpolating linearly between samples, :math:`x'(t) = x(\tau(t))`.

    The map's slope on each of ``n_knots + 1`` equal pieces is :math:`e^{s z_k}` with
    :math:`z_k \sim \mathcal N(0, 1)`, rescaled so the pieces still cover :math:`[0, T-1]`: slopes above 1
    speed the series up there, below 1 slow it down, and the end points stay put.

    Parameters
    ----------
    series : array_like, shape (T,) or (n, T), T >= 2
    strength : float >= 0, the spread :math:`s` of the log-slopes (0 gives the series back)
    n_knots : int >= 0, interior knots of the time map
    rng : int or numpy.random.Generator

    Returns
    -------
    TimeWarp
    """
    x = as_array(series, "series")
    if x.ndim not in (1, 2) or x.shape[-1] < 2:
        raise ValueError(f"series must have shape (T,) or (n, T) with T >= 2, got {x.shape}")
    strength = check_float(strength, "strength", low=0)
    n_knots = check_int(n_knots, "n_knots", low=0)
    rng = check_random_state(rng)
    X = x.reshape(-1, x.shape[-1])
    n, T = X.shape
    slopes = np.exp(strength * rng.standard_normal((n, n_knots + 1)))
    steps = slopes / slopes.sum(axis=1, keepdims=True) * (T - 1)              # time covered by each piece
    knots_out = np.linspace(0.0, T - 1.0, n_knots + 2)
    knots_in = np.concatenate([np.zeros((n, 1)), np.cumsum(steps, axis=1)], axis=1)
    knots_in[:, -1] = T - 1.0                                                   # exact end point
    t = np.arange(T, dtype=float)
    times = np.stack([np.interp(t, knots_out, k) for k in knots_in])
    warped = np.stack([np.interp(tau, t, row) for tau, row in zip(times, X)])
    return TimeWarp(warped.reshape(x.shape), times.reshape(x.shape))

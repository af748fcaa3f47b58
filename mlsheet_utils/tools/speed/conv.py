"""Convolutions against SciPy and JAX: im2col + one matrix product, and the transposed convolution."""

import numpy as np
from scipy.signal import correlate2d

from mlsheet_utils.algorithms.nn import conv
from mlsheet_utils.tools.speed import SpeedPair


def conv_args(n):
    """Seeded (x, W) for a 3x3 convolution of n images of 16 x 16 x 4 channels to 8 channels."""
    g = np.random.default_rng(n)
    return g.standard_normal((n, 16, 16, 4)), g.standard_normal((3, 3, 4, 8))


def _scipy_conv(x, W):
    """One scipy.signal.correlate2d per image, input and output channel, summed over input channels."""
    return np.stack([np.stack([sum(correlate2d(img[:, :, c], W[:, :, c, o], mode="valid") for c in range(W.shape[2]))
                               for o in range(W.shape[3])], axis=-1) for img in x])


def _jax_conv(x, W):
    import jax

    jax.config.update("jax_enable_x64", True)
    return np.asarray(jax.lax.conv_general_dilated(x, W, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")))


def transpose_args(n):
    """Seeded (x, W) for a 2x2 stride-2 transposed convolution of n maps of 8 x 8 x 8 channels to 4."""
    g = np.random.default_rng(n)
    return g.standard_normal((n, 8, 8, 8)), g.standard_normal((2, 2, 8, 4))


def _ours_transpose(x, W):
    layer = conv.ConvTranspose2D(8, 4, 2, stride=2, bias=False)
    return layer.forward(x, {"W": W})[0]


def _jax_transpose(x, W):
    """The input gradient of the 4 -> 8 channel convolution with kernel W.transpose(0, 1, 3, 2) (jax.vjp)."""
    import jax

    jax.config.update("jax_enable_x64", True)
    shape = (x.shape[0], 16, 16, 4)
    _, pull = jax.vjp(lambda z: jax.lax.conv_general_dilated(z, W.transpose(0, 1, 3, 2), (2, 2), "VALID",
                                                             dimension_numbers=("NHWC", "HWIO", "NHWC")),
                      np.zeros(shape))
    return np.asarray(pull(x)[0])


PAIRS = [
    SpeedPair("4.22", "conv2d (im2col) vs scipy correlate2d per channel", lambda x, W: conv.conv2d(x, W), _scipy_conv,
              conv_args, small=2, large=64),
    SpeedPair("4.22", "conv2d (im2col) vs jax.lax.conv_general_dilated", lambda x, W: conv.conv2d(x, W), _jax_conv,
              conv_args, small=2, large=256),
    SpeedPair("4.23", "transposed convolution (col2im) vs jax.vjp of a convolution", _ours_transpose, _jax_transpose,
              transpose_args, small=2, large=256),
]

"""Vision-transformer pieces against JAX: the patch embedding as a stride-P convolution."""

import numpy as np

from mlsheet_utils.algorithms.nn import vit
from mlsheet_utils.tools.speed import SpeedPair


def embed_args(n):
    """Seeded (x, W, b) for a 4x4 patch embedding of n images of 32 x 32 x 3 channels to 64 features."""
    g = np.random.default_rng(n)
    return g.standard_normal((n, 32, 32, 3)), g.standard_normal((48, 64)), g.standard_normal(64)


def _ours_embed(x, W, b):
    layer = vit.PatchEmbedding((32, 32), 4, 3, 64)
    return layer.forward(x, {"W": W, "b": b})[0]


def _jax_embed(x, W, b):
    """jax.lax.conv_general_dilated with a 4x4 kernel and stride 4, flattened to (n, 64 patches, 64)."""
    import jax

    jax.config.update("jax_enable_x64", True)
    y = jax.lax.conv_general_dilated(x, W.reshape(4, 4, 3, 64), (4, 4), "VALID",
                                     dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return np.asarray(y).reshape(x.shape[0], 64, 64) + b


PAIRS = [
    SpeedPair("4.20", "ViT patch embedding (patchify + matmul) vs JAX stride-4 convolution",
              _ours_embed, _jax_embed, embed_args, small=4, large=256),
]

"""Augmentation and synthesis against SciPy and scikit-learn."""

import numpy as np
import scipy.ndimage as ndi
from sklearn.datasets import load_digits

from mlsheet_utils.algorithms import augmentation as aug
from mlsheet_utils.tools.speed import SpeedPair

_ANGLE = 12.5


def _digits(n):
    images = load_digits().images
    return (images[np.arange(n) % len(images)],)


PAIRS = [
    SpeedPair("3.16", "rotation (bilinear, batch) vs scipy.ndimage.rotate per image",
              lambda X: aug.warp_affine(X, aug.affine_matrix(_ANGLE)),
              lambda X: np.stack([ndi.rotate(x, _ANGLE, reshape=False, order=1, mode="grid-constant") for x in X]),
              _digits, small=60, large=20_000),
    SpeedPair("3.16", "translation (batch) vs scipy.ndimage.shift",
              lambda X: aug.translate(X, 1, -2),
              lambda X: ndi.shift(X, (0, 1, -2), order=0, mode="constant", cval=0.0),
              _digits, small=60, large=20_000),
]

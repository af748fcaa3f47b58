"""Generative-model metrics against their SciPy formulations."""

import numpy as np
from scipy.linalg import sqrtm

from mlsheet_utils.algorithms import generative_metrics as gm
from mlsheet_utils.tools.speed import SpeedPair


def make_args(d):
    g = np.random.default_rng(430)
    A, B = g.standard_normal((d, d)), g.standard_normal((d, d))
    return g.standard_normal(d), A @ A.T + 0.1 * np.eye(d), g.standard_normal(d), B @ B.T + 0.1 * np.eye(d)


def _sqrtm_fid(mu1, c1, mu2, c2):
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(c1 + c2 - 2 * sqrtm(c1 @ c2).real))


PAIRS = [
    SpeedPair("4.30", "Fréchet distance (eigh) vs scipy.linalg.sqrtm of the product", gm.frechet_distance,
              _sqrtm_fid, make_args, small=6, large=512),
]

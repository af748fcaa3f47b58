"""Restricted Boltzmann machines against scikit-learn's BernoulliRBM."""

import numpy as np
from sklearn.neural_network import BernoulliRBM

from mlsheet_utils.algorithms.nn import rbm
from mlsheet_utils.tools.speed import SpeedPair


def _free_energy_args(n):
    g = np.random.default_rng(41)
    W, a, b = g.standard_normal((64, 32)), g.standard_normal(64), g.standard_normal(32)
    sk = BernoulliRBM(n_components=32)
    sk.components_, sk.intercept_hidden_, sk.intercept_visible_ = W.T, b, a
    return (g.random((n, 64)) < 0.5).astype(float), W, a, b, sk


PAIRS = [
    SpeedPair("4.41", "RBM free energy vs scikit-learn BernoulliRBM._free_energy",
              lambda X, W, a, b, sk: rbm.free_energy(X, W, a, b),
              lambda X, W, a, b, sk: sk._free_energy(X),
              _free_energy_args, small=12, large=20_000),
]

"""Explanations against references: LIME's surrogate against scikit-learn's weighted ``Ridge``."""

import numpy as np
from sklearn.linear_model import Ridge

from mlsheet_utils.algorithms import interpret
from mlsheet_utils.tools.speed import SpeedPair

_W = np.random.default_rng(3).standard_normal((8, 8))


def _model(Z):
    return np.tanh(Z @ _W).sum(axis=1)


def make_args(n):
    """A point in 8 dimensions, a non-linear model and the number of perturbations ``n``."""
    return np.random.default_rng(0).standard_normal(8), n


def _lime_sklearn(x, n):
    # the same sampling and kernel as interpret.lime, the surrogate fitted by scikit-learn
    eps = np.random.default_rng(0).standard_normal((n, x.size))
    pi = np.exp(-np.sum(eps**2, axis=1))
    return Ridge(alpha=1.0, solver="cholesky").fit(eps, _model(x + eps), sample_weight=pi).coef_


PAIRS = [
    SpeedPair("4.44", "LIME surrogate vs scikit-learn Ridge(sample_weight)",
              lambda x, n: interpret.lime(_model, x, kernel_width=1.0, n_samples=n, alpha=1.0, rng=0).coef,
              _lime_sklearn, make_args, small=300, large=50_000),
]

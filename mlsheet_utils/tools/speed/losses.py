"""Losses and dropout against their references: scikit-learn's metrics, SciPy, a direct enumeration."""

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.special import softmax
from sklearn.linear_model import Ridge
from sklearn.metrics import hinge_loss

from mlsheet_utils.algorithms.nn import dropout, losses
from mlsheet_utils.tools.speed import SpeedPair


def hinge_args(n):
    """Seeded scores and labels -1/+1 for n examples."""
    g = np.random.default_rng(n)
    return g.standard_normal(n), g.choice([-1.0, 1.0], n)


def jsd_args(n):
    """Seeded logits and target distributions for n examples of 10 classes."""
    g = np.random.default_rng(n)
    return g.standard_normal((n, 10)), g.dirichlet(np.ones(10), n)


def ridge_args(n):
    """Standardised features (n x 20), targets, and a dropout rate of 0.3."""
    g = np.random.default_rng(n)
    X = g.standard_normal((n, 20))
    X = (X - X.mean(0)) / X.std(0)
    return X, X @ g.standard_normal(20) + g.standard_normal(n), 0.3


def _scipy_jsd(z, P):
    return np.mean(jensenshannon(P, softmax(z, axis=1), axis=1) ** 2)


PAIRS = [
    SpeedPair("4.8", "hinge loss vs sklearn.metrics.hinge_loss",
              lambda f, y: losses.Hinge().forward(f, y)[0], lambda f, y: hinge_loss(y, f), hinge_args,
              small=50, large=1_000_000),
    SpeedPair("4.8", "Jensen-Shannon divergence vs scipy.spatial.distance.jensenshannon squared",
              lambda z, P: losses.JensenShannonDivergence().forward(z, P)[0], _scipy_jsd, jsd_args,
              small=20, large=200_000),
    SpeedPair("4.12", "dropout regression (closed form) vs sklearn Ridge(alpha = n p / (1 - p))",
              dropout.dropout_regression,
              lambda X, y, p: Ridge(alpha=len(X) * p / (1 - p), fit_intercept=False).fit(X, y).coef_,
              ridge_args, small=50, large=200_000),
]

"""Bayesian updating and estimation against SciPy and scikit-learn: grid posteriors, Newton's MLE, ridge as MAP,
credible intervals."""

import numpy as np
from scipy import stats
from sklearn.linear_model import Ridge

from mlsheet_utils.algorithms.probability import distributions as dist
from mlsheet_utils.algorithms.probability import inference
from mlsheet_utils.tools.speed import SpeedPair


def _grid_and_flips(n):
    """A grid of ``n`` values of p and 100 seeded coin flips."""
    flips = (np.random.default_rng(0).random(100) < 0.3).astype(float)
    return np.linspace(0.0, 1.0, n), flips


def _normal_sample(n):
    return (dist.sample_normal(np.random.default_rng(0), 2.0, 2.25, n),)


def _regression(n):
    """A seeded design with 20 columns and a noisy linear response."""
    g = np.random.default_rng(0)
    X = g.normal(size=(n, 20))
    return X, X @ g.normal(size=20) + g.normal(size=n)


def _all_counts(n):
    """Every possible count of heads in ``n`` flips."""
    return np.arange(n + 1), n


PAIRS = [
    SpeedPair("1.3", "Beta posterior on a grid vs scipy.stats.beta.pdf",
              lambda g, x: inference.grid_posterior(inference.bernoulli_log_likelihood(g, x)
                                                    + stats.beta.logpdf(g, 2.0, 3.0), g),
              lambda g, x: stats.beta.pdf(g, *inference.beta_bernoulli(2.0, 3.0, x)),
              _grid_and_flips, small=2001, large=1_000_001),
    SpeedPair("1.4", "Gaussian MLE by Newton vs scipy.stats.norm.fit",
              lambda x: np.array(inference.gaussian_mle(x)), lambda x: np.array(stats.norm.fit(x)),
              _normal_sample, small=40, large=1_000_000),
    SpeedPair("1.5", "ridge MAP (SVD) vs sklearn Ridge",
              lambda X, y: inference.ridge_map(X, y, 0.5, 0.25),
              lambda X, y: Ridge(alpha=2.0, fit_intercept=False, solver="cholesky").fit(X, y).coef_,
              _regression, small=30, large=200_000),
    SpeedPair("1.11", "Jeffreys credible intervals (betaincinv) vs scipy.stats.beta(...).interval per k",
              lambda k, n: np.c_[inference.credible_interval(k, n, 0.5, 0.5)],
              lambda k, n: np.array([stats.beta(0.5 + kk, 0.5 + n - kk).interval(0.95) for kk in k]),
              _all_counts, small=30, large=2000),
]

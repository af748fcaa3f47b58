"""Distributions, densities and limit theorems against SciPy and scikit-learn."""

import numpy as np
from scipy import signal, special, stats
from sklearn.neighbors import KernelDensity

from mlsheet_utils.algorithms.probability import density, limits
from mlsheet_utils.algorithms.probability import distributions as dist
from mlsheet_utils.tools.speed import SpeedPair

_MEAN3 = np.array([1.0, -1.0, 0.5])
_COV3 = np.array([[2.0, 0.3, -0.4], [0.3, 1.0, 0.2], [-0.4, 0.2, 1.5]])
_VALUES, _PROBS = np.array([-1.0, 0.0, 2.0, 5.0]), np.array([0.1, 0.4, 0.3, 0.2])
_RV_DISCRETE = stats.rv_discrete(values=(_VALUES, _PROBS))
_CORR2 = [[1.0, 0.8], [0.8, 1.0]]


def mvn_args(n):
    """n points in 3 dimensions, with a fixed mean and covariance."""
    return np.random.default_rng(0).normal(size=(n, 3)), _MEAN3, _COV3


def grid_args(n):
    """n evaluation points on [0.01, 20] (inside the support: both sides finite)."""
    return (np.linspace(0.01, 20.0, n),)


def kde_grid_args(n):
    """512 evaluation points and a sample of n points from a two-component normal mixture."""
    sample = dist.sample_mixture(0, [0.6, 0.4], [stats.norm(-1.5, 0.6), stats.norm(1.6, 1.0)], n)
    return np.linspace(-5.0, 6.0, 512), sample


def normal_grid_args(n):
    """n points on [-8, 8]."""
    return (np.linspace(-8.0, 8.0, n),)


def normal_sample_args(n):
    """n standard normal draws."""
    return (np.random.default_rng(0).standard_normal(n),)


def seed_and_size_args(n):
    """A seed and a sample size: the same seed replays the same uniforms for both sides."""
    return 0, n


def innovations_args(n):
    """n paths of 200 standard normal innovations."""
    return (np.random.default_rng(n).standard_normal((n, 200)),)


def kde_2d_args(n):
    """n correlated 2-D normal points and 500 query points."""
    g = np.random.default_rng(0)
    return g.multivariate_normal([0.0, 0.0], _CORR2, size=n), g.uniform(-2, 2, (500, 2))


def _uniforms(seed, n):
    return np.random.default_rng(seed).random(n)


PAIRS = [
    SpeedPair("1.2", "MVN log-density (Cholesky) vs scipy.stats.multivariate_normal.logpdf", dist.mvn_logpdf,
              stats.multivariate_normal.logpdf, mvn_args, small=200, large=1_000_000),
    SpeedPair("1.2", "Gamma log-density vs scipy.stats.gamma.logpdf", lambda x: dist.gamma_logpdf(x, 2.5, 0.7),
              lambda x: stats.gamma.logpdf(x, 2.5, scale=1 / 0.7), grid_args, small=301, large=1_000_000),
    SpeedPair("1.6", "Gaussian KDE on a grid vs sklearn KernelDensity", lambda g, d: density.kde(g, d, 0.3),
              lambda g, d: np.exp(KernelDensity(bandwidth=0.3).fit(d[:, None]).score_samples(g[:, None])),
              kde_grid_args, small=200, large=20_000),
    SpeedPair("1.12", "cumulative trapezoid CDF of N(0,1) vs scipy norm.cdf",
              lambda g: density.cdf_from_pdf(stats.norm.pdf(g), g), stats.norm.cdf, normal_grid_args,
              small=4001, large=2_000_000),
    SpeedPair("1.13", "KS distance to N(0,1) vs scipy.stats.kstest", lambda z: density.ks_statistic(z, special.ndtr),
              lambda z: stats.kstest(z, "norm").statistic, normal_sample_args, small=4000, large=1_000_000),
    SpeedPair("1.14", "running means (cumsum) vs numpy mean of every prefix", limits.running_means,
              lambda d: np.array([d[:m].mean() for m in range(1, d.size + 1)]), normal_sample_args,
              small=500, large=20_000),
    SpeedPair("1.15", "exponential inverse transform vs scipy expon.ppf",
              lambda seed, n: dist.sample_exponential(seed, 2.0, n),
              lambda seed, n: stats.expon.ppf(_uniforms(seed, n), scale=0.5), seed_and_size_args,
              small=20_000, large=2_000_000),
    SpeedPair("1.15", "discrete inverse transform vs scipy rv_discrete.ppf",
              lambda seed, n: dist.sample_discrete(seed, _VALUES, _PROBS, n),
              lambda seed, n: _RV_DISCRETE.ppf(_uniforms(seed, n)), seed_and_size_args,
              small=20_000, large=2_000_000),
    SpeedPair("1.16", "AR(1) simulation (time loop) vs scipy lfilter", lambda e: limits.ar1(e, 0.8)[:, 1:],
              lambda e: signal.lfilter([0.6], [1, -0.8], e[:, 1:], axis=1, zi=0.8 * e[:, :1])[0],
              innovations_args, small=4000, large=20_000),
    SpeedPair("1.17", "2-D Gaussian KDE, Scott bandwidth matrix vs scipy gaussian_kde",
              lambda X, Q: density.kde(Q, X, density.scott_bandwidth(X)), lambda X, Q: stats.gaussian_kde(X.T)(Q.T),
              kde_2d_args, small=150, large=20_000),
]

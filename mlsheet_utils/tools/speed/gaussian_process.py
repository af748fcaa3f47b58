"""Gaussian process regression and split-conformal intervals against scikit-learn and NumPy."""

import numpy as np
from sklearn.gaussian_process import GaussianProcessRegressor as SkGPR
from sklearn.gaussian_process.kernels import RBF, ConstantKernel

from mlsheet_utils.algorithms import gaussian_process as gp
from mlsheet_utils.algorithms import uncertainty as unc
from mlsheet_utils.tools.speed import SpeedPair

ELL, SF2, SN2 = 0.8, 1.0, 0.04


def make_args(n):
    """``n`` noisy training points of a sine on [-3, 3] and 200 test inputs (seeded)."""
    rng = np.random.default_rng(22)
    X = rng.uniform(-3, 3, (n, 1))
    return X, np.sin(2 * X[:, 0]) + 0.2 * rng.standard_normal(n), np.linspace(-3, 3, 200)[:, None]


def _ours(X, y, Xs):
    return gp.GaussianProcessRegressor(ELL, SF2, SN2).fit(X, y).predict(Xs, return_std=True)


def _sklearn(X, y, Xs):
    return SkGPR(ConstantKernel(SF2, "fixed") * RBF(ELL, "fixed"), alpha=SN2, optimizer=None).fit(X, y).predict(
        Xs, return_std=True)


def make_scores(n):
    """``n`` seeded calibration scores."""
    return (np.abs(np.random.default_rng(21).standard_normal(n)),)


PAIRS = [
    SpeedPair("3.22", "GP posterior mean and sd (Cholesky) vs scikit-learn GaussianProcessRegressor",
              _ours, _sklearn, make_args, small=60, large=2000, to_array=lambda r: np.concatenate(r)),
    SpeedPair("3.21", "conformal quantile (partition) vs numpy.quantile inverted_cdf",
              lambda s: unc.conformal_quantile(s, 0.9),
              lambda s: np.quantile(s, np.ceil((s.size + 1) * 0.9) / s.size, method="inverted_cdf"),
              make_scores, small=200, large=1_000_000),
]

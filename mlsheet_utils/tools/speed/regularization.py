"""The lasso and the elastic net (coordinate descent) against scikit-learn."""

import numpy as np
import sklearn.linear_model as sklm

from mlsheet_utils.algorithms import regularization as reg
from mlsheet_utils.tools.speed import SpeedPair


def make_args(n):
    """``n`` rows of 10 standardised, pairwise-correlated (0.5) features; 4 true coefficients are zero."""
    g = np.random.default_rng(0)
    C = 0.5 * np.ones((10, 10)) + 0.5 * np.eye(10)
    X = g.standard_normal((n, 10)) @ np.linalg.cholesky(C).T
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    w = np.array([3.0, -2.0, 0.0, 1.5, 0.0, 0.0, 1.0, -1.0, 0.0, 0.5])
    return X, X @ w + g.standard_normal(n)


def _path_args(n):
    X, y = make_args(n)
    return X - X.mean(axis=0), y - y.mean(), np.geomspace(1.0, 1e-3, 30)


PAIRS = [
    SpeedPair("3.14", "lasso by coordinate descent vs sklearn Lasso",
              lambda X, y: reg.enet_coordinate_descent(X, y, 0.05, tol=1e-10, max_iter=100_000).coef,
              lambda X, y: sklm.Lasso(alpha=0.05, tol=1e-10, max_iter=100_000).fit(X, y).coef_,
              make_args, small=442, large=100_000),
    SpeedPair("3.14", "elastic net (l1_ratio 0.5) vs sklearn ElasticNet",
              lambda X, y: reg.enet_coordinate_descent(X, y, 0.05, 0.5, tol=1e-10, max_iter=100_000).coef,
              lambda X, y: sklm.ElasticNet(alpha=0.05, l1_ratio=0.5, tol=1e-10, max_iter=100_000).fit(X, y).coef_,
              make_args, small=442, large=100_000),
    SpeedPair("3.14", "lasso path (30 alphas, warm starts) vs sklearn lasso_path",
              lambda X, y, a: reg.enet_path(X, y, alphas=a, tol=1e-8, max_iter=100_000).coefs,
              lambda X, y, a: sklm.lasso_path(X, y, alphas=a, tol=1e-8, max_iter=100_000)[1].T,
              _path_args, small=442, large=100_000),
]

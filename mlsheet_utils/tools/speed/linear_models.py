"""Logistic regression and Bayesian linear regression against scikit-learn."""

import numpy as np
from sklearn.linear_model import BayesianRidge, LogisticRegression

from mlsheet_utils.algorithms import bayes_linear, linear
from mlsheet_utils.tools.speed import SpeedPair


def _classification_args(n):
    """``n`` points in 10 standardised dimensions with labels from a logistic model (overlapping classes)."""
    g = np.random.default_rng(0)
    X = g.standard_normal((n, 10))
    y = (g.uniform(size=n) < 1 / (1 + np.exp(-(X @ np.linspace(-1, 1, 10) + 0.3)))).astype(float)
    return X, y


def _regression_args(n):
    """``n`` points in 20 dimensions with a linear signal and noise of standard deviation 0.5."""
    g = np.random.default_rng(0)
    X = g.standard_normal((n, 20))
    return X, X @ g.standard_normal(20) + 0.5 * g.standard_normal(n)


PAIRS = [
    SpeedPair("3.9", "logistic regression (IRLS) vs sklearn LogisticRegression (lbfgs)",
              lambda X, y: linear.logistic_irls(X, y, C=1.0, tol=1e-8).coef,
              lambda X, y: LogisticRegression(C=1.0, tol=1e-8, max_iter=10_000).fit(X, y).coef_[0],
              _classification_args, small=569, large=100_000),
    SpeedPair("3.10", "evidence maximisation vs sklearn BayesianRidge",
              lambda X, y: bayes_linear.BayesianLinearRegression(fit_hyperparameters=True, tol=1e-8)
              .fit(X, y).coef_,
              lambda X, y: BayesianRidge(fit_intercept=False, alpha_1=0.0, alpha_2=0.0, lambda_1=0.0, lambda_2=0.0,
                                         tol=1e-8).fit(X, y).coef_,
              _regression_args, small=25, large=100_000),
]

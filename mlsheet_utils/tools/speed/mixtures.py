"""Divergences, mixtures, variational inference and linear regression against SciPy and scikit-learn."""

import warnings

import numpy as np
from scipy import optimize, stats
from sklearn import metrics
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.mixture import GaussianMixture

from mlsheet_utils import data
from mlsheet_utils.algorithms import linear
from mlsheet_utils.algorithms.clustering import evaluation, mixture
from mlsheet_utils.algorithms.probability import divergences, variational
from mlsheet_utils.tools.speed import SpeedPair

_EM_MEANS = np.array([[0.0, 0.0], [4.0, 1.0], [1.0, 4.0]])
_EM_START = dict(weights=np.full(3, 1 / 3), covariances=np.repeat(np.eye(2)[None], 3, 0))


def _categorical_args(n):
    """``n`` pairs of probability vectors over 10 outcomes, shape (n, 10) each."""
    g = np.random.default_rng(0)
    return g.dirichlet(np.ones(10), size=n), g.dirichlet(np.ones(10), size=n)


def _em_args(n):
    """``n`` points around three centres and the first three points as starting means."""
    g = np.random.default_rng(0)
    X = _EM_MEANS[g.integers(3, size=n)] + g.standard_normal((n, 2))
    return X, X[:3].copy()


def _sklearn_em(X, m0):
    gm = GaussianMixture(3, means_init=m0, weights_init=_EM_START["weights"], max_iter=40, tol=0.0,
                         precisions_init=np.linalg.inv(_EM_START["covariances"]))
    with warnings.catch_warnings():               # tol=0: both run exactly 40 iterations
        warnings.simplefilter("ignore", ConvergenceWarning)
        return gm.fit(X).means_


def _bic_args(n):
    """Three round clusters on a circle of radius 3, a mixture fitted to them, and the same mixture in
    scikit-learn."""
    angles = 2 * np.pi * np.arange(3) / 3
    X, _ = data.blobs(n_per_cluster=n // 3, centers=3.0 * np.column_stack([np.cos(angles), np.sin(angles)]),
                      scale=1.0, rng=0)
    fit = mixture.gmm_em(X, 3, rng=0, max_iter=20)
    gm = GaussianMixture(3, random_state=0).fit(X[:30])       # fitted only to create its attributes
    gm.weights_, gm.means_, gm.covariances_ = fit.weights, fit.means, fit.covariances
    gm.precisions_cholesky_ = np.linalg.cholesky(np.linalg.inv(fit.covariances))
    return X, fit, gm


def _diag_args(n):
    """``n`` points around three centres, the first three as starting means, unit starting variances."""
    X, m0 = _em_args(n)
    return X, m0, np.ones((3, 2))


def _our_diag_gmm(X, m0, v0):
    return mixture.GMM(3, covariance_type="diag", tol=0.0, max_iter=40, weights_init=_EM_START["weights"],
                       means_init=m0, covariances_init=v0).fit(X).covariances_


def _sklearn_diag_gmm(X, m0, v0):
    gm = GaussianMixture(3, covariance_type="diag", means_init=m0, weights_init=_EM_START["weights"],
                         precisions_init=1.0 / v0, max_iter=40, tol=0.0)
    with warnings.catch_warnings():               # tol=0: both run exactly 40 iterations
        warnings.simplefilter("ignore", ConvergenceWarning)
        return gm.fit(X).covariances_


def _labelled_args(n):
    """``n`` points around three centres, labelled by their centre."""
    g = np.random.default_rng(1)
    labels = g.integers(3, size=n)
    return _EM_MEANS[labels] + g.standard_normal((n, 2)), labels


def _two_labellings(n):
    """Two random labellings of ``n`` points into 5 and 7 clusters."""
    g = np.random.default_rng(2)
    return g.integers(5, size=n), g.integers(7, size=n)


def _regression_args(n):
    """A standard-normal design (n, 8) and a noisy response."""
    g = np.random.default_rng(n)
    X = g.standard_normal((n, 8))
    return X, X @ np.arange(8.0) + g.standard_normal(n)


def _gaussian_target_args(d):
    """A random mean (d,) and a well-conditioned covariance (d, d)."""
    g = np.random.default_rng(0)
    A = g.standard_normal((d, d))
    return g.standard_normal(d), A @ A.T / d + np.eye(d)


def _mean_field_bfgs(mu, Sigma):
    """The mean-field optimum's means by BFGS on -ELBO = KL over all diagonal Gaussians."""
    d = len(mu)
    res = optimize.minimize(lambda p: variational.mean_field_kl(p[:d], np.exp(p[d:]), mu, Sigma), np.zeros(2 * d),
                            method="BFGS", options={"gtol": 1e-8})
    return res.x[:d]


PAIRS = [
    SpeedPair("1.7", "discrete KL (batched) vs scipy.stats.entropy", divergences.kl_categorical,
              lambda p, q: stats.entropy(p, q, axis=1), _categorical_args, small=5, large=200_000),
    SpeedPair("1.8", "GMM EM (full covariances, 40 iterations) vs scikit-learn GaussianMixture",
              lambda X, m0: mixture.gmm_em(X, means=m0, max_iter=40, tol=0.0, **_EM_START).means,
              _sklearn_em, _em_args, small=300, large=20_000),
    SpeedPair("1.18", "GMM BIC vs GaussianMixture.bic", lambda X, fit, gm: mixture.gmm_bic(X, fit),
              lambda X, fit, gm: gm.bic(X), _bic_args, small=180, large=300_000),
    SpeedPair("3.23.2", "GMM, diagonal covariances (40 iterations) vs scikit-learn GaussianMixture",
              _our_diag_gmm, _sklearn_diag_gmm, _diag_args, small=300, large=20_000),
    SpeedPair("3.23", "silhouette score vs sklearn.metrics.silhouette_score", evaluation.silhouette_score,
              metrics.silhouette_score, _labelled_args, small=300, large=3_000),
    SpeedPair("3.23", "adjusted Rand index vs sklearn.metrics.adjusted_rand_score", evaluation.adjusted_rand_index,
              metrics.adjusted_rand_score, _two_labellings, small=300, large=1_000_000),
    SpeedPair("1.19", "OLS via QR vs sklearn LinearRegression", lambda X, y: linear.ols(X, y)[0],
              lambda X, y: LinearRegression().fit(X, y).coef_, _regression_args, small=60, large=200_000),
    SpeedPair("1.19", "ridge via SVD vs sklearn Ridge", lambda X, y: linear.ridge(X, y, 3.0)[0],
              lambda X, y: Ridge(alpha=3.0).fit(X, y).coef_, _regression_args, small=60, large=200_000),
    SpeedPair("1.21", "mean-field means: CAVI vs scipy.optimize.minimize (BFGS)",
              lambda mu, Sigma: variational.cavi_gaussian(mu, Sigma, np.zeros(len(mu)), n_sweeps=50).means[-1],
              _mean_field_bfgs, _gaussian_target_args, small=2, large=20),
]

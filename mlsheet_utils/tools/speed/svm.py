"""Kernel machines against scikit-learn: SMO against libsvm, and a Gram matrix against ``pairwise``."""

import numpy as np
from sklearn.datasets import make_moons
from sklearn.metrics.pairwise import rbf_kernel as sk_rbf_kernel
from sklearn.svm import SVC

from mlsheet_utils.algorithms import kernels, svm
from mlsheet_utils.tools.speed import SpeedPair


def make_args(n):
    """Standardised two-moons data with ``n`` points and 0/1 labels."""
    X, y = make_moons(n, noise=0.25, random_state=5)
    return (X - X.mean(0)) / X.std(0), y


def _points(n):
    return (np.random.default_rng(0).standard_normal((n, 5)),)


PAIRS = [
    SpeedPair("3.5", "SMO soft-margin SVM (RBF) vs scikit-learn SVC",
              lambda X, y: svm.SoftMarginSVC(C=10.0, kernel="rbf", gamma=1.0).fit(X, y).decision_function(X),
              lambda X, y: SVC(C=10.0, kernel="rbf", gamma=1.0).fit(X, y).decision_function(X),
              make_args, small=120, large=1000),
    SpeedPair("3.5", "RBF Gram matrix vs sklearn rbf_kernel",
              lambda X: kernels.rbf_kernel(X, gamma=0.5), lambda X: sk_rbf_kernel(X, gamma=0.5),
              _points, small=120, large=3000),
]

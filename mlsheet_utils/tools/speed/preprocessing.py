"""Feature scalers against scikit-learn's preprocessing estimators."""

import numpy as np
from sklearn import preprocessing as skp

from mlsheet_utils.algorithms import preprocessing as prep
from mlsheet_utils.tools.speed import SpeedPair


def make_args(n):
    """A training and a test block of 13 columns with very different scales, seeded."""
    g = np.random.default_rng(20)
    scales = np.geomspace(0.1, 1000.0, 13)
    return g.standard_normal((n, 13)) * scales, g.standard_normal((n, 13)) * scales


PAIRS = [
    SpeedPair("3.20", "standard scaler fit/transform vs scikit-learn StandardScaler",
              lambda A, B: prep.StandardScaler().fit(A).transform(B),
              lambda A, B: skp.StandardScaler().fit(A).transform(B), make_args, small=124, large=200_000),
    SpeedPair("3.20", "robust scaler fit/transform vs scikit-learn RobustScaler",
              lambda A, B: prep.RobustScaler().fit(A).transform(B),
              lambda A, B: skp.RobustScaler().fit(A).transform(B), make_args, small=124, large=200_000),
]

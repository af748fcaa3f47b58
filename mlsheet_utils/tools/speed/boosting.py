"""Newton-boosted trees against XGBoost's exact method."""

import numpy as np
import xgboost as xgb

from mlsheet_utils.algorithms.trees import boosting
from mlsheet_utils.tools.speed import SpeedPair

#: The settings of the page's 20-round check; XGBoost's gamma is twice the gain formula's.
_SETTINGS = dict(n_estimators=20, max_depth=3, learning_rate=0.5, reg_lambda=1.0, min_child_weight=1.0)


def make_args(n):
    """A seeded regression problem: two float32-exact features, ``y = sin(2 x1) + x2^2 / 2 + noise``."""
    rng = np.random.default_rng(312)
    X = rng.uniform(-2, 2, size=(n, 2)).astype(np.float32).astype(float)
    y = np.sin(2 * X[:, 0]) + 0.5 * X[:, 1] ** 2 + 0.3 * rng.normal(size=n)
    return X, y


def _ours(X, y):
    model = boosting.BoostedTrees(gamma=0.1, base_score=float(y.mean()), **_SETTINGS)
    return model.fit(X, y).decision_function(X)


def _xgboost(X, y):
    model = xgb.XGBRegressor(tree_method="exact", gamma=0.2, base_score=float(y.mean()), n_jobs=1, **_SETTINGS)
    return model.fit(X, y).predict(X, output_margin=True).astype(float)


PAIRS = [
    SpeedPair("3.12", "Newton-boosted trees (20 rounds, depth 3) vs XGBoost exact", _ours, _xgboost, make_args,
              small=120, large=10_000),
]

"""Classification metrics against scikit-learn."""

import numpy as np
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from mlsheet_utils.algorithms import imbalance, metrics
from mlsheet_utils.tools.speed import SpeedPair


def make_args(n):
    """Binormal scores with 10% positives, rounded to 3 decimals so that some of them tie."""
    X, y = imbalance.gaussian_classes(n, 0.1, separation=1.5, dim=1, rng=13)
    return y, np.round(X[:, 0], 3)


def _probability_args(n):
    """The exact posterior probabilities of the same classes: calibrated scores in (0, 1)."""
    X, y = imbalance.gaussian_classes(n, 0.1, separation=1.5, dim=1, rng=13)
    return y, imbalance.gaussian_posterior(X, 0.1, separation=1.5)


def _roc_points(y, s):
    roc = metrics.roc_curve(y, s)
    return np.column_stack([roc.fpr, roc.tpr])


def _reliability(y, p):
    bins = metrics.calibration_bins(y, p, n_bins=10)
    full = bins.counts > 0
    return np.column_stack([bins.fraction_positive[full], bins.mean_predicted[full]])


PAIRS = [
    SpeedPair("3.13", "ROC-AUC by ranks vs sklearn roc_auc_score", metrics.roc_auc_rank, skm.roc_auc_score,
              make_args, small=4000, large=1_000_000),
    SpeedPair("3.13", "ROC curve vs sklearn roc_curve", _roc_points,
              lambda y, s: np.column_stack(skm.roc_curve(y, s, drop_intermediate=False)[:2]),
              make_args, small=4000, large=1_000_000),
    SpeedPair("3.13", "average precision vs sklearn average_precision_score", metrics.average_precision,
              skm.average_precision_score, make_args, small=4000, large=1_000_000),
    SpeedPair("3.13", "reliability diagram vs sklearn calibration_curve", _reliability,
              lambda y, p: np.column_stack(calibration_curve(y, p, n_bins=10)),
              _probability_args, small=4000, large=1_000_000),
]

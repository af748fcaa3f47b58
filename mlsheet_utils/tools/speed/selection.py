"""Model selection and feature selection against scikit-learn."""

import numpy as np
from sklearn import feature_selection as skfs
from sklearn.model_selection import StratifiedKFold

from mlsheet_utils.algorithms import feature_selection as fs
from mlsheet_utils.algorithms import model_selection as ms
from mlsheet_utils.tools.speed import SpeedPair


def make_labels(n):
    return (np.random.default_rng(11).integers(0, 3, n),)


def make_classes(n):
    g = np.random.default_rng(12)
    y = g.integers(0, 3, n)
    return g.poisson(3.0, size=(n, 20)).astype(float) + y[:, None], y


def _folds_as_array(folds):
    return np.concatenate([te for _, te in folds])


PAIRS = [
    SpeedPair("3.18", "stratified 5-fold split vs scikit-learn StratifiedKFold",
              lambda y: _folds_as_array(ms.stratified_kfold_split(y, 5)),
              lambda y: _folds_as_array(list(StratifiedKFold(5).split(np.zeros(y.size), y))),
              make_labels, small=57, large=200_000),
    SpeedPair("3.19", "ANOVA F vs scikit-learn f_classif",
              lambda X, y: fs.anova_f(X, y).statistic, lambda X, y: skfs.f_classif(X, y)[0],
              make_classes, small=178, large=100_000),
    SpeedPair("3.19", "chi-squared scores vs scikit-learn chi2",
              lambda X, y: fs.chi2_scores(X, y).statistic, lambda X, y: skfs.chi2(X, y)[0],
              make_classes, small=1797, large=100_000),
]

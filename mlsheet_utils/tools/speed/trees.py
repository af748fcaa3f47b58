"""Decision trees and tree ensembles against scikit-learn."""

import numpy as np
from sklearn.datasets import make_moons
from sklearn.ensemble import AdaBoostClassifier
from sklearn.tree import DecisionTreeClassifier

from mlsheet_utils.algorithms.trees import ensemble as ens
from mlsheet_utils.algorithms.trees import tree as cart
from mlsheet_utils.tools.speed import SpeedPair


def make_args(n):
    """Two noisy moons of ``n`` points, rounded to float32 as scikit-learn's trees store them."""
    X, y = make_moons(n, noise=0.3, random_state=11)
    return X.astype(np.float32).astype(float), y


def _bagging_args(n):
    X, y = make_args(n)
    return X, y, ens.bootstrap_samples(n, 25, rng=0)


def _sk_bagging(X, y, samples):
    """scikit-learn's soft vote over its trees fitted to the same bootstrap samples (counts as weights, as its
    ``BaggingClassifier`` does)."""
    trees = [DecisionTreeClassifier(max_depth=3, min_samples_leaf=5, random_state=0)
             .fit(X, y, sample_weight=np.bincount(s, minlength=len(y))) for s in samples]
    return np.mean([t.predict_proba(X) for t in trees], axis=0)


PAIRS = [
    SpeedPair("3.4", "CART tree (Gini, min_samples_leaf=4) vs scikit-learn DecisionTreeClassifier",
              lambda X, y: cart.tree_predict(cart.grow_tree(X, y, min_samples_leaf=4), X),
              lambda X, y: DecisionTreeClassifier(min_samples_leaf=4, random_state=0).fit(X, y).predict_proba(X),
              make_args, small=400, large=5_000),
    SpeedPair("3.11", "25 bagged depth-3 trees vs scikit-learn trees on the same bootstrap samples",
              lambda X, y, s: ens.forest_proba(ens.fit_trees(X, y, s, max_depth=3, min_samples_leaf=5), X),
              _sk_bagging, _bagging_args, small=300, large=5_000),
    SpeedPair("3.11", "AdaBoost (SAMME, 40 stumps) vs scikit-learn AdaBoostClassifier",
              lambda X, y: ens.samme_scores(ens.adaboost_samme(X, y, 40), X)[:, 1],
              lambda X, y: AdaBoostClassifier(DecisionTreeClassifier(max_depth=1), n_estimators=40, random_state=0)
              .fit(X, y).decision_function(X) / 2,
              make_args, small=300, large=5_000),
]

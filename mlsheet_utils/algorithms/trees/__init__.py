"""Decision trees and their ensembles.

- :mod:`.tree`      CART: Gini, entropy and squared-error impurity, the exhaustive split search
  (:func:`~.tree.best_split`, reusable with any additive statistics and node loss), depth-first growth with
  scikit-learn's stopping rules, routing rows (optionally stopping at a depth), minimal cost-complexity pruning,
  and the estimators ``DecisionTreeClassifier`` / ``DecisionTreeRegressor``;
- :mod:`.ensemble`  bagging (bootstrap samples, soft vote, out-of-bag estimates), random forests (bagging plus a
  fresh random subset of features at every split) and AdaBoost (SAMME), with their estimators;
- :mod:`.boosting`  gradient boosting with second-order (Newton) trees as XGBoost defines them, ``BoostedTrees``.
"""

"""Ensembles of CART trees: bagging, random forests and AdaBoost (SAMME).

- :func:`bootstrap_samples`   ``B`` bootstrap samples of row indices (``n`` draws with replacement each);
- :func:`fit_trees`           one tree per bootstrap sample, the sample's counts as row weights; with
  ``max_features`` a random forest (a fresh random subset of features at every split);
- :func:`forest_proba`        the soft vote: the mean of the trees' class proportions (staged: after 1, 2, ...
  trees);
- :func:`oob_proba`           the out-of-bag estimate: each row voted on only by the trees that never saw it;
- :func:`adaboost_samme`      discrete AdaBoost for ``K`` classes (SAMME) with shallow trees, returns
  :class:`AdaBoostResult` (the learners, their weights and errors, and every round's row weights);
- :func:`samme_scores`        the weighted vote of the boosted learners (staged: after 1, 2, ... rounds);
- :class:`BaggingClassifier`, :class:`RandomForestClassifier`, :class:`AdaBoostClassifier`  estimators in
  scikit-learn's shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.trees import tree as cart
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state


def bootstrap_samples(n_samples: int, n_estimators: int, rng=0) -> np.ndarray:
    """Row indices of ``n_estimators`` bootstrap samples, each ``n_samples`` draws with replacement.

    A given row is missed by one sample with probability ``(1 - 1/n)^n -> 1/e``: about 36.8% of the rows are
    out of bag for each tree.

    Returns
    -------
    ndarray of int, shape (n_estimators, n_samples)
    """
    n_samples = check_int(n_samples, "n_samples", low=1)
    n_estimators = check_int(n_estimators, "n_estimators", low=1)
    return check_random_state(rng).integers(0, n_samples, size=(n_estimators, n_samples))


def _check_xy(X, y):
    """Validate a design matrix and class indices ``0 .. K - 1``; return them and ``K``."""
    X = as_array(X, "X", ndim=2)
    y = as_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0] or X.shape[0] < 1:
        raise ValueError(f"y must have one entry per row of X ({X.shape[0]}), got {y.shape[0]}")
    if np.any(y < 0) or np.any(y != np.round(y)):
        raise ValueError("y must hold class indices 0, 1, ..., K - 1")
    y = y.astype(np.intp)
    return X, y, int(y.max()) + 1


def fit_trees(X, y, samples, *, n_classes: int | None = None, max_features=None, criterion: str = "gini",
              max_depth: int | None = None, min_samples_leaf: int = 1, rng=0) -> tuple[cart.Tree, ...]:
    """Fit one classification tree per bootstrap sample.

    Tree ``b`` sees row ``i`` with weight ``c_bi``, the number of times ``i`` was drawn into sample ``b`` (the
    same tree as fitting on the repeated rows; rows never drawn are left out). With ``max_features=None`` this
    is bagging; with ``max_features="sqrt"`` (or an int, or a fraction) every split looks at a fresh random
    subset of features, which is a random forest.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like of int, shape (n,)
        Class indices ``0 .. K - 1``.
    samples : array_like of int, shape (B, m)
        Row indices of each bootstrap sample (:func:`bootstrap_samples`).
    n_classes : int, optional
        ``K`` (default ``max(y) + 1``).
    max_features, criterion, max_depth, min_samples_leaf
        As in :func:`mlsheet_utils.algorithms.trees.tree.grow_tree`.
    rng : int or numpy.random.Generator
        Draws the feature subsets.

    Returns
    -------
    tuple of B :class:`~mlsheet_utils.algorithms.trees.tree.Tree`
    """
    X, y, k = _check_xy(X, y)
    n_classes = k if n_classes is None else check_int(n_classes, "n_classes", low=k)
    samples = np.asarray(samples)
    if (samples.ndim != 2 or samples.size == 0 or not np.issubdtype(samples.dtype, np.integer)
            or samples.min() < 0 or samples.max() >= X.shape[0]):
        raise ValueError(f"samples must be a 2-D array of row indices below {X.shape[0]}, got shape {samples.shape}")
    if criterion not in cart.CLASSIFICATION:
        raise ValueError(f"criterion must be one of {cart.CLASSIFICATION}, got {criterion!r}")
    max_depth = np.iinfo(np.intp).max if max_depth is None else check_int(max_depth, "max_depth", low=0)
    min_samples_leaf = check_int(min_samples_leaf, "min_samples_leaf", low=1)
    n_draw = cart._check_max_features(max_features, X.shape[1])
    rng = check_random_state(rng)
    return tuple(cart._grow_tree(X, y, np.bincount(rows, minlength=X.shape[0]).astype(float),
                                 criterion=criterion, n_classes=n_classes, max_depth=max_depth,
                                 min_samples_split=2, min_samples_leaf=min_samples_leaf,
                                 min_impurity_decrease=0.0, n_draw=n_draw, rng=rng)
                 for rows in samples)


def _tree_votes(trees, X) -> np.ndarray:
    """Class proportions of every tree at every row, shape (B, n, K)."""
    return np.stack([t.value[cart._apply(t, X)] for t in trees])


def _check_trees(trees, X):
    if trees is None or isinstance(trees, (str, bytes)) or not hasattr(trees, "__iter__"):
        raise ValueError(f"trees must be a non-empty sequence of Tree, got {type(trees).__name__}")
    trees = tuple(trees)
    if not trees or not all(isinstance(t, cart.Tree) for t in trees):
        raise ValueError("trees must be a non-empty sequence of Tree")
    X = as_array(X, "X", ndim=2)
    if X.shape[1] != trees[0].n_features:
        raise ValueError(f"X must have {trees[0].n_features} columns, got {X.shape[1]}")
    return trees, X


def forest_proba(trees, X, *, staged: bool = False) -> np.ndarray:
    r"""The soft vote of an ensemble: the average of the trees' class proportions.

    .. math:: \hat p(k \mid x) = \frac{1}{B} \sum_{b=1}^{B} p_b(k \mid x)

    Parameters
    ----------
    trees : sequence of Tree
    X : array_like, shape (n, d)
    staged : bool
        Return the vote of the first ``1, 2, ..., B`` trees.

    Returns
    -------
    ndarray, shape (n, K), or (B, n, K) when staged
    """
    trees, X = _check_trees(trees, X)
    votes = _tree_votes(trees, X)
    if not staged:
        return votes.mean(axis=0)
    return np.cumsum(votes, axis=0) / np.arange(1, len(trees) + 1)[:, None, None]


def oob_proba(trees, samples, X) -> np.ndarray:
    """Out-of-bag class proportions: row ``i`` averaged over the trees whose sample did not contain it.

    Each row is scored only by trees that never saw it, so comparing it with ``y`` estimates the test error
    without a held-out set. A row that was in every sample gets NaN.

    Parameters
    ----------
    trees : sequence of B Tree
    samples : array_like of int in [0, n), shape (B, m)
        The bootstrap samples the trees were fitted on, in the same order.
    X : array_like, shape (n, d)
        The training rows.

    Returns
    -------
    ndarray, shape (n, K)
    """
    trees, X = _check_trees(trees, X)
    samples = np.asarray(samples)
    if samples.ndim != 2 or samples.shape[0] != len(trees):
        raise ValueError(f"samples must have one row per tree ({len(trees)}), got shape {samples.shape}")
    if (not np.issubdtype(samples.dtype, np.integer) or samples.min(initial=0) < 0
            or samples.max(initial=0) >= X.shape[0]):
        raise ValueError(f"samples must hold row indices of X in [0, {X.shape[0] - 1}]")
    out_of_bag = np.ones((len(trees), X.shape[0]), dtype=bool)
    out_of_bag[np.arange(len(trees))[:, None], samples] = False
    votes = _tree_votes(trees, X) * out_of_bag[:, :, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return votes.sum(axis=0) / out_of_bag.sum(axis=0)[:, None]


@dataclass(frozen=True)
class AdaBoostResult:
    """A boosted ensemble.

    Attributes
    ----------
    trees : tuple of Tree
        The weak learners, in the order they were fitted (``T`` of them; fewer than asked when boosting
        stopped early).
    alphas : ndarray, shape (T,)
        Their weights in the vote.
    errors : ndarray, shape (T,)
        Their weighted training errors, each under the weights it was fitted with.
    weights : ndarray, shape (T, n)
        The row weights each learner was fitted with (summing to one).
    n_classes : int
    """

    trees: tuple
    alphas: np.ndarray
    errors: np.ndarray
    weights: np.ndarray
    n_classes: int


def adaboost_samme(X, y, n_estimators: int = 50, *, max_depth: int = 1, learning_rate: float = 1.0,
                   n_classes: int | None = None) -> AdaBoostResult:
    r"""Discrete AdaBoost for ``K`` classes (SAMME, Zhu et al. 2009) with depth-limited trees.

    Start from equal weights ``w_i = 1/n``. In round ``t`` fit a tree ``h_t`` to the weighted rows, take its
    weighted error ``e_t = sum_i w_i [h_t(x_i) != y_i]`` and its vote weight

    .. math:: \alpha_t = \eta\Big(\log\frac{1 - e_t}{e_t} + \log(K - 1)\Big),

    then multiply the weight of every misclassified row by ``exp(alpha_t)`` and renormalise: with ``eta = 1``
    the learner just fitted has error exactly ``(K - 1)/K`` (chance) under the new weights, so the next one must
    find something new. The ensemble predicts ``argmax_k sum_t alpha_t [h_t(x) = k]``. As in scikit-learn,
    weights are kept at least machine epsilon; a learner with ``e_t = 0`` ends boosting with ``alpha = 1``, one
    no better than chance (``e_t >= 1 - 1/K``) ends it without being kept.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like of int, shape (n,)
        Class indices ``0 .. K - 1``.
    n_estimators : int >= 1
    max_depth : int >= 1
        Depth of each tree (1: decision stumps).
    learning_rate : float > 0
        ``eta``, shrinks every ``alpha``.
    n_classes : int, optional

    Returns
    -------
    AdaBoostResult
    """
    X, y, k = _check_xy(X, y)
    n_classes = max(k, 2) if n_classes is None else check_int(n_classes, "n_classes", low=max(k, 2))
    n_estimators = check_int(n_estimators, "n_estimators", low=1)
    max_depth = check_int(max_depth, "max_depth", low=1)
    eta = check_float(learning_rate, "learning_rate", low=0.0, low_open=True)
    w = np.full(X.shape[0], 1.0 / X.shape[0])
    trees, alphas, errors, weights = [], [], [], []
    eps = np.finfo(float).eps
    for _ in range(n_estimators):
        w = np.maximum(w, eps)
        tree = cart._grow_tree(X, y, w, criterion="gini", n_classes=n_classes, max_depth=max_depth,
                               min_samples_split=2, min_samples_leaf=1, min_impurity_decrease=0.0,
                               n_draw=X.shape[1], rng=None)
        miss = np.argmax(tree.value[cart._apply(tree, X)], axis=1) != y
        error = float(np.average(miss, weights=w))
        if error >= 1.0 - 1.0 / n_classes:
            if not trees:
                raise ValueError(f"the first weak learner is no better than chance (error {error:.3g}); "
                                 "use deeper trees")
            break
        trees.append(tree)
        errors.append(error)
        weights.append(w)
        if error <= 0:
            alphas.append(1.0)
            break
        alpha = eta * (np.log((1.0 - error) / error) + np.log(n_classes - 1.0))
        alphas.append(alpha)
        w = w * np.exp(alpha * miss)
        w = w / w.sum()
    return AdaBoostResult(tuple(trees), np.array(alphas), np.array(errors), np.array(weights), n_classes)


def samme_scores(result: AdaBoostResult, X, *, staged: bool = False) -> np.ndarray:
    r"""The boosted vote, normalised as scikit-learn's ``decision_function`` for ``K`` classes.

    .. math:: s_k(x) = \frac{\sum_t \alpha_t \big([h_t(x) = k] - \frac{1}{K-1}[h_t(x) \ne k]\big)}
                             {\sum_t \alpha_t}

    The predicted class is ``argmax_k s_k(x)``, the class with the largest total ``alpha`` of votes.

    Parameters
    ----------
    result : AdaBoostResult
    X : array_like, shape (n, d)
    staged : bool
        Return the scores after ``1, 2, ..., T`` rounds.

    Returns
    -------
    ndarray, shape (n, K), or (T, n, K) when staged
    """
    if not isinstance(result, AdaBoostResult):
        raise ValueError(f"result must be an AdaBoostResult, got {type(result).__name__}")
    trees, X = _check_trees(result.trees, X)
    K = result.n_classes
    hits = np.argmax(_tree_votes(trees, X), axis=2)[:, :, None] == np.arange(K)     # (T, n, K)
    votes = result.alphas[:, None, None] * np.where(hits, 1.0, -1.0 / (K - 1))
    if not staged:
        return votes.sum(axis=0) / result.alphas.sum()
    return np.cumsum(votes, axis=0) / np.cumsum(result.alphas)[:, None, None]


class _Classifier:
    """Label encoding shared by the estimators: ``classes_`` and indices ``0 .. K - 1``."""

    def _encode(self, y):
        self.classes_, y_index = np.unique(np.asarray(y), return_inverse=True)
        return y_index

    def predict(self, X) -> np.ndarray:
        """The class with the largest vote, shape (n,)."""
        return self.classes_[np.argmax(self._votes(X), axis=1)]


class BaggingClassifier(_Classifier):
    """Bagged classification trees: bootstrap samples, one tree each, a soft vote.

    After ``fit``: ``estimators_`` (Trees), ``estimators_samples_`` (their bootstrap rows, shape (B, n)),
    ``classes_``, and ``oob_decision_function_`` (:func:`oob_proba`).
    """

    max_features = None

    def __init__(self, n_estimators=10, *, criterion="gini", max_depth=None, min_samples_leaf=1, rng=0):
        self.n_estimators, self.criterion, self.max_depth = n_estimators, criterion, max_depth
        self.min_samples_leaf, self.rng = min_samples_leaf, rng

    def fit(self, X, y):
        """Draw the samples, fit the trees and the out-of-bag vote; returns ``self``."""
        y_index = self._encode(y)
        rng = check_random_state(self.rng)
        X = as_array(X, "X", ndim=2)
        self.estimators_samples_ = bootstrap_samples(X.shape[0], self.n_estimators, rng)
        self.estimators_ = fit_trees(X, y_index, self.estimators_samples_, n_classes=len(self.classes_),
                                     max_features=self.max_features, criterion=self.criterion,
                                     max_depth=self.max_depth, min_samples_leaf=self.min_samples_leaf, rng=rng)
        self.oob_decision_function_ = oob_proba(self.estimators_, self.estimators_samples_, X)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """The soft vote, shape (n, K)."""
        return forest_proba(self.estimators_, X)

    _votes = predict_proba


class RandomForestClassifier(BaggingClassifier):
    """A random forest: bagging whose trees search a fresh random subset of ``max_features`` features at every
    split (default ``"sqrt"``: ``floor(sqrt(d))`` of them), which decorrelates the trees."""

    def __init__(self, n_estimators=100, *, max_features="sqrt", criterion="gini", max_depth=None,
                 min_samples_leaf=1, rng=0):
        super().__init__(n_estimators, criterion=criterion, max_depth=max_depth,
                         min_samples_leaf=min_samples_leaf, rng=rng)
        self.max_features = max_features


class AdaBoostClassifier(_Classifier):
    """AdaBoost (SAMME) with trees of depth ``max_depth`` (stumps by default), fitted by :func:`adaboost_samme`.

    After ``fit``: ``boost_`` (the :class:`AdaBoostResult`), ``estimators_``, ``estimator_weights_``,
    ``estimator_errors_``, ``classes_``.
    """

    def __init__(self, n_estimators=50, *, max_depth=1, learning_rate=1.0):
        self.n_estimators, self.max_depth, self.learning_rate = n_estimators, max_depth, learning_rate

    def fit(self, X, y):
        """Boost on ``(X, y)``; returns ``self``."""
        y_index = self._encode(y)
        self.boost_ = adaboost_samme(X, y_index, self.n_estimators, max_depth=self.max_depth,
                                     learning_rate=self.learning_rate, n_classes=max(len(self.classes_), 2))
        self.estimators_ = self.boost_.trees
        self.estimator_weights_, self.estimator_errors_ = self.boost_.alphas, self.boost_.errors
        return self

    def decision_function(self, X) -> np.ndarray:
        """:func:`samme_scores`, shape (n, K)."""
        return samme_scores(self.boost_, X)

    _votes = decision_function

"""CART decision trees: impurities, the exhaustive split search, growing, routing and cost-complexity pruning.

- :func:`gini`, :func:`entropy`        impurity of class-proportion vectors, ``1 - sum p^2`` and
  ``-sum p log2 p``;
- :func:`node_statistics`              the additive per-sample statistics of a criterion (weighted one-hot
  labels, or ``w, w y, w y^2``);
- :func:`weighted_impurity`            a node's loss ``W * impurity`` computed from its summed statistics;
- :func:`best_split`                   the best (feature, threshold) over every feature and every midpoint
  between consecutive distinct values, for any additive statistic and node loss (a boosting tree passes its
  gradient statistics and its own loss); returns a :class:`Split`;
- :func:`grow_tree`                    depth-first recursive partitioning with scikit-learn's stopping rules,
  returns a :class:`Tree` (flat arrays, nodes numbered in pre-order);
- :func:`apply_tree`, :func:`tree_predict`  route rows to the node they reach (optionally stopping at a depth)
  and read that node's value;
- :func:`pruning_path`, :func:`prune`  minimal cost-complexity (weakest-link) pruning;
- :class:`DecisionTreeClassifier`, :class:`DecisionTreeRegressor`  estimators in scikit-learn's shape.

Conventions follow scikit-learn's ``tree_`` arrays: a leaf has ``children_left == children_right == -1``,
``feature == -2`` and ``threshold == -2.0``; a row goes left when ``x[feature] <= threshold``; every node
(internal or not) stores its value, so a tree cut at any depth can still predict.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from functools import partial

import numpy as np

from mlsheet_utils.validation import as_array, check_float, check_int, check_probabilities, check_random_state

CLASSIFICATION = ("gini", "entropy")
REGRESSION = ("squared_error",)
#: A node whose impurity is at most this is treated as pure (round-off, as in scikit-learn).
PURE = float(np.finfo(float).eps)
LEAF, UNDEFINED = -1, -2


def gini(p: np.ndarray) -> np.ndarray:
    r"""Gini impurity of class proportions: the chance that two labels drawn with replacement differ.

    .. math:: G(p) = 1 - \sum_k p_k^2 = \sum_{k \ne l} p_k p_l

    Parameters
    ----------
    p : ndarray, shape (..., K)
        Proportions along the last axis (each row sums to one).

    Returns
    -------
    ndarray, shape (...)
    """
    return _gini(_check_proportions(p))


def _check_proportions(p) -> np.ndarray:
    p = check_probabilities(p, "p")
    if p.ndim < 1:
        raise ValueError(f"p must have at least one axis (the classes), got shape {p.shape}")
    return p


def _gini(p: np.ndarray) -> np.ndarray:
    """Unvalidated kernel of :func:`gini` (the split search calls it for every candidate)."""
    p = np.asarray(p, dtype=float)
    return 1.0 - (p * p).sum(axis=-1)


def entropy(p: np.ndarray) -> np.ndarray:
    r"""Shannon entropy of class proportions in bits, with ``0 log 0 = 0``.

    .. math:: H(p) = -\sum_k p_k \log_2 p_k

    Parameters
    ----------
    p : ndarray, shape (..., K)
        Proportions along the last axis (each row sums to one).

    Returns
    -------
    ndarray, shape (...)
    """
    return _entropy(_check_proportions(p))


def _entropy(p: np.ndarray) -> np.ndarray:
    """Unvalidated kernel of :func:`entropy`."""
    p = np.asarray(p, dtype=float)
    return -(p * np.log2(np.where(p > 0, p, 1.0))).sum(axis=-1)       # a zero p contributes 0 * log2(1)


def node_statistics(y: np.ndarray, sample_weight: np.ndarray, criterion: str, n_classes: int = 0) -> np.ndarray:
    """Per-sample statistics whose sums over a node determine its value and impurity.

    Classification (``gini``, ``entropy``): ``s_i = w_i e_{y_i}``, so a node's sum is its weighted class counts
    ``c_k``. Regression (``squared_error``): ``s_i = (w_i, w_i y_i, w_i y_i^2)``.

    Parameters
    ----------
    y : ndarray, shape (n,)
        Class indices ``0 .. n_classes - 1``, or real targets.
    sample_weight : ndarray, shape (n,), non-negative
    criterion : {"gini", "entropy", "squared_error"}
    n_classes : int >= 0
        Number of classes (classification only: then >= 1 and above every index in ``y``).

    Returns
    -------
    ndarray, shape (n, n_classes) or (n, 3)
    """
    if criterion not in CLASSIFICATION + REGRESSION:
        raise ValueError(f"criterion must be one of {CLASSIFICATION + REGRESSION}, got {criterion!r}")
    y = as_array(y, "y", ndim=1)
    sample_weight = as_array(sample_weight, "sample_weight", ndim=1)
    if sample_weight.shape != y.shape:
        raise ValueError(f"sample_weight must have one entry per entry of y ({y.shape[0]}), got {sample_weight.shape}")
    if np.any(sample_weight < 0):
        raise ValueError(f"sample_weight must be non-negative, got a minimum of {sample_weight.min():.6g}")
    n_classes = check_int(n_classes, "n_classes", low=1 if criterion in CLASSIFICATION else 0)
    if criterion in CLASSIFICATION and (np.any(y < 0) or np.any(y != np.round(y)) or np.any(y >= n_classes)):
        raise ValueError(f"y must hold class indices 0 .. n_classes - 1 = {n_classes - 1} for a classification "
                         f"criterion, got values in [{y.min():.6g}, {y.max():.6g}]")
    if criterion in CLASSIFICATION:
        stats = np.zeros((y.shape[0], n_classes))
        stats[np.arange(y.shape[0]), y.astype(np.intp)] = sample_weight
        return stats
    return np.column_stack([sample_weight, sample_weight * y, sample_weight * y * y])


def weighted_impurity(S: np.ndarray, criterion: str) -> np.ndarray:
    """A node's loss: its total weight times its impurity, from its summed statistics.

    With weighted class counts ``c`` and ``W = sum_k c_k``: ``W G(c / W)`` (Gini) or ``W H(c / W)`` (entropy).
    With regression sums ``(W, sum w y, sum w y^2)``: ``W Var = sum w y^2 - (sum w y)^2 / W``, the sum of
    squared errors around the node's mean. A split minimises the sum of its children's losses.

    Parameters
    ----------
    S : ndarray, shape (..., m)
        Summed :func:`node_statistics` of one or many nodes (every node of positive weight; m = 3 for
        ``squared_error``, non-negative counts for the classification criteria).
    criterion : {"gini", "entropy", "squared_error"}

    Returns
    -------
    ndarray, shape (...)
    """
    if criterion not in CLASSIFICATION + REGRESSION:
        raise ValueError(f"criterion must be one of {CLASSIFICATION + REGRESSION}, got {criterion!r}")
    S = as_array(S, "S")
    if S.ndim < 1 or (criterion in REGRESSION and S.shape[-1] != 3):
        raise ValueError(f"S must have shape (..., m) (m = 3 for {REGRESSION}), got {S.shape}")
    if criterion in CLASSIFICATION and np.any(S < 0):
        raise ValueError(f"S must hold non-negative weighted class counts, got a minimum of {S.min():.6g}")
    if np.any((S[..., 0] if criterion in REGRESSION else S.sum(axis=-1)) <= 0):
        raise ValueError("S must hold the statistics of nodes of positive weight, got a node of weight <= 0")
    return _weighted_impurity(S, criterion)


def _weighted_impurity(S: np.ndarray, criterion: str) -> np.ndarray:
    """Unvalidated kernel of :func:`weighted_impurity` (the split search calls it for every node)."""
    if criterion in REGRESSION:
        return S[..., 2] - S[..., 1] * S[..., 1] / S[..., 0]
    W = S.sum(axis=-1)
    p = S / W[..., None]
    return W * (_gini(p) if criterion == "gini" else _entropy(p))


def _node_value(S: np.ndarray, criterion: str) -> np.ndarray:
    """Class proportions ``c / W`` or the weighted mean ``sum w y / W`` of one node, shape (K,) or (1,)."""
    if criterion in REGRESSION:
        return np.array([S[1] / S[0]])
    return S / S.sum()


@dataclass(frozen=True)
class Split:
    """The best split of a node.

    Attributes
    ----------
    feature : int
        Column that is split.
    threshold : float
        Rows with ``x[feature] <= threshold`` go left: the midpoint of two consecutive distinct values.
    n_left : int
        Rows sent left.
    loss : float
        Sum of the children's losses, ``L(left) + L(right)``.
    gain : float
        Parent's loss minus ``loss``; divided by the root's weight it is scikit-learn's impurity decrease.
    margin : float
        Runner-up candidate's ``loss`` minus the winner's (``inf`` when there was one candidate). A margin
        at round-off level is a tie: which split wins then depends on the order the features are visited.
    """

    feature: int
    threshold: float
    n_left: int
    loss: float
    gain: float
    margin: float


def _best_split(X: np.ndarray, stats: np.ndarray, loss, min_samples_leaf: int = 1,
                features: np.ndarray | None = None) -> Split | None:
    """Unvalidated kernel of :func:`best_split` (called once per node while a tree grows)."""
    n = X.shape[0]
    if n < 2 * min_samples_leaf or n < 2:
        return None
    features = np.arange(X.shape[1]) if features is None else features
    Xf = X[:, features]                                                  # (n, f)
    order = np.argsort(Xf, axis=0, kind="stable")
    xs = Xf[order, np.arange(Xf.shape[1])]                               # each column sorted
    cum = np.cumsum(stats[order], axis=0)                                # (n, f, m) prefix sums
    left, total = cum[:-1], cum[-1]                                      # left child = first i + 1 rows
    children = loss(np.stack([left, total - left])).sum(axis=0)          # (n - 1, f): L(left) + L(right)
    ok = xs[1:] > xs[:-1]                                                # a gap between two distinct values
    ok[:min_samples_leaf - 1] = False                                    # too few rows on the left
    ok[n - min_samples_leaf:] = False                                    # ... or on the right
    if not ok.any():
        return None
    flat = np.where(ok, children, np.inf).T.ravel()                      # feature-major: first feature wins ties
    best = int(np.argmin(flat))
    j, i = divmod(best, n - 1)
    runner_up = np.partition(flat, 1)[1] if flat.size > 1 else np.inf
    lo, hi = xs[i, j], xs[i + 1, j]
    threshold = lo / 2.0 + hi / 2.0
    if threshold >= hi:                                                  # adjacent floats: keep the partition
        threshold = lo
    parent = float(loss(total[j]))
    return Split(int(features[j]), float(threshold), i + 1, float(flat[best]), parent - float(flat[best]),
                 float(runner_up - flat[best]))


def best_split(X, stats, loss, *, min_samples_leaf: int = 1, features=None) -> Split | None:
    r"""The split of one node that minimises the sum of its children's losses.

    Every feature is sorted; every position between two consecutive distinct values is a candidate whose
    children's statistics are prefix sums, so all candidates of all features cost one ``argsort`` and one
    ``cumsum``:

    .. math::
        (j^*, t^*) = \arg\min_{j,\ t} \; L\Big(\sum_{x_{ij} \le t} s_i\Big)
                                          + L\Big(\sum_{x_{ij} > t} s_i\Big)

    where ``L`` maps summed statistics to a node's loss. For CART, ``s`` are :func:`node_statistics` and
    ``L`` is :func:`weighted_impurity`; a gradient-boosting tree passes ``s_i = (g_i, h_i)`` and its own ``L``.
    Ties go to the earlier feature in ``features``, then to the smaller threshold.

    Parameters
    ----------
    X : array_like, shape (n, d)
    stats : array_like, shape (n, m)
        Additive per-sample statistics.
    loss : callable
        ``loss(S)`` maps sums of shape (..., m) to losses of shape (...), vectorised.
    min_samples_leaf : int >= 1
        Fewest rows a child may have.
    features : array_like of int, optional
        Columns to search, in the order that breaks ties (default all, in order).

    Returns
    -------
    Split, or None when no candidate exists (fewer than ``2 * min_samples_leaf`` rows, or constant features).
    """
    X = as_array(X, "X", ndim=2)
    stats = as_array(stats, "stats")
    if stats.ndim != 2 or stats.shape[0] != X.shape[0]:
        raise ValueError(f"stats must have shape (n, m) with n = {X.shape[0]} rows (those of X), got {stats.shape}")
    if not callable(loss):
        raise ValueError(f"loss must be callable, got {loss!r}")
    min_samples_leaf = check_int(min_samples_leaf, "min_samples_leaf", low=1)
    if features is not None:
        features = np.asarray(features)
        if (features.ndim != 1 or features.size == 0 or not np.issubdtype(features.dtype, np.integer)
                or features.min() < 0 or features.max() >= X.shape[1]):
            raise ValueError(f"features must be a non-empty 1-D array of column indices < {X.shape[1]}, "
                             f"got {features!r}")
    return _best_split(X, stats, loss, min_samples_leaf, features)


@dataclass(frozen=True)
class Tree:
    """A fitted tree as flat arrays, nodes numbered in pre-order (a node, its left subtree, its right subtree).

    Attributes
    ----------
    children_left, children_right : ndarray of int, shape (n_nodes,)
        Child node ids, ``-1`` at leaves.
    feature : ndarray of int, shape (n_nodes,)
        Split feature, ``-2`` at leaves.
    threshold : ndarray, shape (n_nodes,)
        Split threshold, ``-2.0`` at leaves.
    value : ndarray, shape (n_nodes, K) or (n_nodes, 1)
        Weighted class proportions, or the weighted mean target, of every node.
    impurity : ndarray, shape (n_nodes,)
        Gini, entropy (bits) or variance of every node.
    n_node_samples : ndarray of int, shape (n_nodes,)
        Rows (of positive weight) reaching each node.
    weighted_n_node_samples : ndarray, shape (n_nodes,)
        Their total weight.
    depth : ndarray of int, shape (n_nodes,)
        Depth of each node (the root has depth 0).
    gain, margin : ndarray, shape (n_nodes,)
        The split's :attr:`Split.gain` and :attr:`Split.margin` (0 and ``inf`` at leaves).
    n_features : int
    criterion : str
    """

    children_left: np.ndarray
    children_right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    value: np.ndarray
    impurity: np.ndarray
    n_node_samples: np.ndarray
    weighted_n_node_samples: np.ndarray
    depth: np.ndarray
    gain: np.ndarray
    margin: np.ndarray
    n_features: int
    criterion: str

    @property
    def n_nodes(self) -> int:
        return int(self.children_left.shape[0])

    @property
    def is_leaf(self) -> np.ndarray:
        return self.children_left == LEAF

    @property
    def n_leaves(self) -> int:
        return int(np.sum(self.is_leaf))

    @property
    def max_depth(self) -> int:
        return int(self.depth.max())


def _check_max_features(max_features, d: int) -> int:
    """Number of features drawn at each node: None -> d, int k, float fraction, or ``"sqrt"``."""
    if max_features is None:
        return d
    if isinstance(max_features, str):
        if max_features != "sqrt":
            raise ValueError(f"max_features must be None, an int, a float in (0, 1] or 'sqrt', got {max_features!r}")
        return max(1, int(np.sqrt(d)))
    if isinstance(max_features, numbers.Integral) and not isinstance(max_features, bool):
        return check_int(max_features, "max_features", low=1, high=d)
    fraction = check_float(max_features, "max_features", low=0.0, high=1.0, low_open=True)
    return max(1, int(fraction * d))


def _grow_tree(X, y, sample_weight, *, criterion, n_classes, max_depth, min_samples_split, min_samples_leaf,
               min_impurity_decrease, n_draw, rng) -> Tree:
    """Unvalidated kernel of :func:`grow_tree`; ensembles call it once per tree."""
    keep = sample_weight > 0                                    # rows of zero weight take no part, as in sklearn
    X, y, sample_weight = X[keep], y[keep], sample_weight[keep]
    stats = node_statistics(y, sample_weight, criterion, n_classes)
    loss = partial(_weighted_impurity, criterion=criterion)
    d = X.shape[1]
    nodes: list[list] = []                                      # [left, right, feature, threshold, ...]
    values: list[np.ndarray] = []
    root_weight = float(sample_weight.sum())

    def grow(rows: np.ndarray, depth: int) -> int:
        node = len(nodes)
        S = stats[rows].sum(axis=0)
        W = float(sample_weight[rows].sum())
        impurity = float(loss(S)) / W
        nodes.append([LEAF, LEAF, UNDEFINED, float(UNDEFINED), impurity, rows.size, W, depth, 0.0, np.inf])
        values.append(_node_value(S, criterion))
        if (depth >= max_depth or rows.size < min_samples_split or rows.size < 2 * min_samples_leaf
                or impurity <= PURE):
            return node
        if n_draw < d:                                          # random forest: a fresh subset at every node
            order = rng.permutation(d)
            split = _best_split(X[rows], stats[rows], loss, min_samples_leaf, order[:n_draw])
            if split is None:                                   # keep drawing until some feature can split
                split = _best_split(X[rows], stats[rows], loss, min_samples_leaf, order[n_draw:])
        else:
            split = _best_split(X[rows], stats[rows], loss, min_samples_leaf)
        if split is None or split.gain / root_weight + PURE < min_impurity_decrease:
            return node
        go_left = X[rows, split.feature] <= split.threshold
        nodes[node][2:4] = [split.feature, split.threshold]
        nodes[node][8:10] = [split.gain, split.margin]
        nodes[node][0] = grow(rows[go_left], depth + 1)
        nodes[node][1] = grow(rows[~go_left], depth + 1)
        return node

    grow(np.arange(X.shape[0]), 0)
    cols = list(zip(*nodes))
    as_int = partial(np.array, dtype=np.intp)
    return Tree(as_int(cols[0]), as_int(cols[1]), as_int(cols[2]), np.array(cols[3]), np.array(values),
                np.array(cols[4]), as_int(cols[5]), np.array(cols[6]), as_int(cols[7]), np.array(cols[8]),
                np.array(cols[9]), d, criterion)


def _check_fit_inputs(X, y, sample_weight, criterion, n_classes):
    """Validate ``X, y, sample_weight, criterion`` once; return arrays, the class count (0 for regression)."""
    X = as_array(X, "X", ndim=2)
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    if criterion not in CLASSIFICATION + REGRESSION:
        raise ValueError(f"criterion must be one of {CLASSIFICATION + REGRESSION}, got {criterion!r}")
    y = as_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one entry per row of X ({X.shape[0]}), got {y.shape[0]}")
    if criterion in CLASSIFICATION:
        if np.any(y < 0) or np.any(y != np.round(y)):
            raise ValueError("y must hold class indices 0, 1, ..., K - 1 for a classification criterion")
        y = y.astype(np.intp)
        n_classes = int(y.max()) + 1 if n_classes is None else check_int(n_classes, "n_classes", low=1)
        if y.max() >= n_classes:
            raise ValueError(f"y has class index {y.max()} but n_classes is {n_classes}")
    else:
        if n_classes is not None:                               # unused by a regression tree, but still an int
            check_int(n_classes, "n_classes", low=1)
        n_classes = 0
    if sample_weight is None:
        sample_weight = np.ones(X.shape[0])
    else:
        sample_weight = as_array(sample_weight, "sample_weight", ndim=1)
        if sample_weight.shape[0] != X.shape[0] or np.any(sample_weight < 0) or not np.any(sample_weight > 0):
            raise ValueError("sample_weight must be non-negative, one per row of X, with a positive total")
    return X, y, sample_weight, n_classes


def grow_tree(X, y, *, criterion: str = "gini", max_depth: int | None = None, min_samples_split: int = 2,
              min_samples_leaf: int = 1, min_impurity_decrease: float = 0.0, max_features=None,
              sample_weight=None, n_classes: int | None = None, rng=0) -> Tree:
    r"""Grow a CART tree depth first: split every node by :func:`best_split` until a stopping rule holds.

    A node becomes a leaf when its depth reaches ``max_depth``, it has fewer than ``min_samples_split`` rows
    or fewer than ``2 * min_samples_leaf``, it is pure (impurity at round-off level), no feature can be
    split, or the best split's weighted impurity decrease

    .. math:: \frac{W_t}{W}\Big(i(t) - \frac{W_L}{W_t} i(L) - \frac{W_R}{W_t} i(R)\Big)

    is below ``min_impurity_decrease``. These are scikit-learn's rules; a split whose decrease is zero is still
    made when ``min_impurity_decrease`` is 0.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
        Class indices ``0 .. K - 1`` (``gini``, ``entropy``) or real targets (``squared_error``).
    criterion : {"gini", "entropy", "squared_error"}
    max_depth : int >= 0, optional
        Depth limit (None: grow until the other rules stop).
    min_samples_split : int >= 2
    min_samples_leaf : int >= 1
    min_impurity_decrease : float >= 0
    max_features : None, int, float in (0, 1] or "sqrt"
        Features drawn at random, without replacement, at every node (a random forest); None searches all.
        If none of the drawn features can split, the remaining ones are searched.
    sample_weight : array_like, shape (n,), optional
        Non-negative weights (bootstrap counts, boosting weights); rows of weight 0 are left out.
    n_classes : int, optional
        Number of classes (default ``max(y) + 1``), so a tree fitted on a sample missing a class keeps
        its column.
    rng : int or numpy.random.Generator
        Draws the feature subsets (unused when ``max_features`` is None).

    Returns
    -------
    Tree
    """
    X, y, sample_weight, n_classes = _check_fit_inputs(X, y, sample_weight, criterion, n_classes)
    max_depth = np.iinfo(np.intp).max if max_depth is None else check_int(max_depth, "max_depth", low=0)
    return _grow_tree(X, y, sample_weight, criterion=criterion, n_classes=n_classes, max_depth=max_depth,
                      min_samples_split=check_int(min_samples_split, "min_samples_split", low=2),
                      min_samples_leaf=check_int(min_samples_leaf, "min_samples_leaf", low=1),
                      min_impurity_decrease=check_float(min_impurity_decrease, "min_impurity_decrease", low=0),
                      n_draw=_check_max_features(max_features, X.shape[1]), rng=check_random_state(rng))


def _apply(tree: Tree, X: np.ndarray, max_depth: int | None = None) -> np.ndarray:
    """Unvalidated kernel of :func:`apply_tree`."""
    node = np.zeros(X.shape[0], dtype=np.intp)
    rows = np.arange(X.shape[0])
    levels = tree.max_depth if max_depth is None else min(max_depth, tree.max_depth)
    for _ in range(levels):                                     # one level per pass, all rows at once
        inner = tree.children_left[node] != LEAF
        go_left = X[rows, np.where(inner, tree.feature[node], 0)] <= tree.threshold[node]
        node = np.where(inner, np.where(go_left, tree.children_left[node], tree.children_right[node]), node)
    return node


def apply_tree(tree: Tree, X, max_depth: int | None = None) -> np.ndarray:
    """The node each row of ``X`` reaches: its leaf, or the node where it stands after ``max_depth`` steps.

    Stopping at depth ``k`` gives exactly the tree grown with ``max_depth=k`` (the greedy choice at a node does
    not depend on the depth limit), so one fully grown tree serves every depth.

    Parameters
    ----------
    tree : Tree
    X : array_like, shape (n, d)
    max_depth : int >= 0, optional

    Returns
    -------
    ndarray of int, shape (n,)
    """
    if not isinstance(tree, Tree):
        raise ValueError(f"tree must be a Tree, got {type(tree).__name__}")
    X = as_array(X, "X", ndim=2)
    if X.shape[1] != tree.n_features:
        raise ValueError(f"X must have {tree.n_features} columns, got {X.shape[1]}")
    if max_depth is not None:
        max_depth = check_int(max_depth, "max_depth", low=0)
    return _apply(tree, X, max_depth)


def tree_predict(tree: Tree, X, max_depth: int | None = None) -> np.ndarray:
    """The value of the node each row reaches: class proportions (n, K) or means (n,).

    Parameters
    ----------
    tree : Tree
    X : array_like, shape (n, d)
    max_depth : int >= 0, optional
        Predict with the tree cut at this depth.

    Returns
    -------
    ndarray, shape (n, K) for a classification tree, (n,) for a regression tree
    """
    if not isinstance(tree, Tree):
        raise ValueError(f"tree must be a Tree, got {type(tree).__name__}")
    values = tree.value[apply_tree(tree, X, max_depth)]
    return values[:, 0] if tree.criterion in REGRESSION else values


@dataclass(frozen=True)
class PruningPath:
    """The weakest-link pruning sequence of a tree.

    Attributes
    ----------
    ccp_alphas : ndarray, shape (s + 1,)
        0, then the effective alpha of each pruning step (non-decreasing).
    impurities : ndarray, shape (s + 1,)
        Total leaf impurity ``R(T) = sum_leaves W_t i(t) / W`` after each step.
    pruned : ndarray of int, shape (s,)
        The node collapsed into a leaf at each step.
    """

    ccp_alphas: np.ndarray
    impurities: np.ndarray
    pruned: np.ndarray


def _subtree_end(tree: Tree) -> np.ndarray:
    """One past the last node of each node's subtree (pre-order keeps a subtree contiguous)."""
    size = np.ones(tree.n_nodes, dtype=np.intp)
    for i in range(tree.n_nodes - 1, -1, -1):                   # children come after their parent
        if tree.children_left[i] != LEAF:
            size[i] += size[tree.children_left[i]] + size[tree.children_right[i]]
    return np.arange(tree.n_nodes) + size


def _weakest_links(tree: Tree, ccp_alpha: float):
    """Collapse weakest links while their alpha is <= ``ccp_alpha``; return the path and the final masks."""
    end = _subtree_end(tree)
    start = np.arange(tree.n_nodes)
    r_node = tree.weighted_n_node_samples * tree.impurity / tree.weighted_n_node_samples[0]
    leaf, alive = tree.is_leaf.copy(), np.ones(tree.n_nodes, dtype=bool)
    alphas, risks, pruned = [0.0], [float(r_node[leaf].sum())], []
    while not leaf[0]:
        in_tree = leaf & alive
        r_cum = np.concatenate([[0.0], np.cumsum(np.where(in_tree, r_node, 0.0))])
        n_cum = np.concatenate([[0], np.cumsum(in_tree)])
        r_branch, n_leaves = r_cum[end] - r_cum[start], n_cum[end] - n_cum[start]
        candidate = alive & ~leaf
        alpha = np.where(candidate, (r_node - r_branch) / np.maximum(n_leaves - 1, 1), np.inf)
        t = int(np.argmin(alpha))                               # the weakest link; ties: the lowest node id
        if alpha[t] > ccp_alpha:
            break
        alive[t + 1:end[t]] = False
        leaf[t] = True
        alphas.append(float(alpha[t]))
        risks.append(float(r_node[leaf & alive].sum()))
        pruned.append(t)
    return PruningPath(np.array(alphas), np.array(risks), np.array(pruned, dtype=np.intp)), leaf, alive


def pruning_path(tree: Tree) -> PruningPath:
    r"""Minimal cost-complexity pruning, all the way to the root.

    With the risk of a node ``R(t) = W_t i(t) / W`` and of a subtree ``R(T_t) = sum`` over its leaves, the
    cost of a tree is ``R_alpha(T) = R(T) + alpha |leaves(T)|``. Collapsing the subtree of ``t`` into a leaf
    pays off as soon as

    .. math:: \alpha \ge g(t) = \frac{R(t) - R(T_t)}{|\mathrm{leaves}(T_t)| - 1},

    so the weakest link (smallest ``g``) is collapsed first, ``g`` is recomputed, and so on. The trees along
    the way are the optimal subtrees for every ``alpha`` (Breiman et al.).

    Parameters
    ----------
    tree : Tree

    Returns
    -------
    PruningPath
    """
    if not isinstance(tree, Tree):
        raise ValueError(f"tree must be a Tree, got {type(tree).__name__}")
    return _weakest_links(tree, np.inf)[0]


def prune(tree: Tree, ccp_alpha: float) -> Tree:
    """The subtree left after collapsing every weakest link whose alpha is at most ``ccp_alpha``.

    Surviving nodes keep their pre-order, so the result is numbered as a tree grown directly.

    Parameters
    ----------
    tree : Tree
    ccp_alpha : float >= 0

    Returns
    -------
    Tree
    """
    if not isinstance(tree, Tree):
        raise ValueError(f"tree must be a Tree, got {type(tree).__name__}")
    ccp_alpha = check_float(ccp_alpha, "ccp_alpha", low=0.0)
    _, leaf, alive = _weakest_links(tree, ccp_alpha)
    new_id = np.cumsum(alive) - 1
    keep = np.flatnonzero(alive)
    inner = ~leaf[keep]
    remap = partial(np.where, inner)
    return Tree(remap(new_id[tree.children_left[keep]], LEAF), remap(new_id[tree.children_right[keep]], LEAF),
                remap(tree.feature[keep], UNDEFINED), remap(tree.threshold[keep], float(UNDEFINED)),
                tree.value[keep], tree.impurity[keep], tree.n_node_samples[keep],
                tree.weighted_n_node_samples[keep], tree.depth[keep], remap(tree.gain[keep], 0.0),
                remap(tree.margin[keep], np.inf), tree.n_features, tree.criterion)


class _BaseTree:
    """Shared fit logic of the two estimators."""

    def __init__(self, criterion, max_depth=None, min_samples_split=2, min_samples_leaf=1,
                 min_impurity_decrease=0.0, max_features=None, ccp_alpha=0.0, rng=0):
        self.criterion, self.max_depth = criterion, max_depth
        self.min_samples_split, self.min_samples_leaf = min_samples_split, min_samples_leaf
        self.min_impurity_decrease, self.max_features = min_impurity_decrease, max_features
        self.ccp_alpha, self.rng = ccp_alpha, rng

    def _grow(self, X, y, sample_weight, n_classes):
        check_float(self.ccp_alpha, "ccp_alpha", low=0.0)
        tree = grow_tree(X, y, criterion=self.criterion, max_depth=self.max_depth,
                         min_samples_split=self.min_samples_split, min_samples_leaf=self.min_samples_leaf,
                         min_impurity_decrease=self.min_impurity_decrease, max_features=self.max_features,
                         sample_weight=sample_weight, n_classes=n_classes, rng=self.rng)
        self.tree_ = prune(tree, self.ccp_alpha) if self.ccp_alpha > 0 else tree
        self.n_features_in_ = tree.n_features
        return self

    def apply(self, X) -> np.ndarray:
        """The leaf each row of ``X`` reaches, shape (n,)."""
        return apply_tree(self.tree_, X)

    def get_params(self) -> dict:
        """The hyperparameters, by name (as ``__init__`` takes them)."""
        return {name: getattr(self, name) for name in ("criterion", "max_depth", "min_samples_split",
                                                       "min_samples_leaf", "min_impurity_decrease",
                                                       "max_features", "ccp_alpha", "rng")}

    def cost_complexity_pruning_path(self, X, y, sample_weight=None) -> PruningPath:
        """The pruning path of the tree grown on ``(X, y)`` without pruning."""
        unpruned = type(self)(**{**self.get_params(), "ccp_alpha": 0.0})
        return pruning_path(unpruned.fit(X, y, sample_weight).tree_)


class DecisionTreeClassifier(_BaseTree):
    """A CART classification tree (Gini or entropy), fitted by :func:`grow_tree`, optionally pruned.

    Parameters are those of :func:`grow_tree`, plus ``ccp_alpha`` (:func:`prune` after growing).
    After ``fit``: ``classes_`` (the sorted labels), ``tree_`` (a :class:`Tree`), ``n_features_in_``.
    """

    def __init__(self, criterion="gini", max_depth=None, min_samples_split=2, min_samples_leaf=1,
                 min_impurity_decrease=0.0, max_features=None, ccp_alpha=0.0, rng=0):
        super().__init__(criterion, max_depth, min_samples_split, min_samples_leaf, min_impurity_decrease,
                         max_features, ccp_alpha, rng)

    def fit(self, X, y, sample_weight=None):
        """Grow (and prune) the tree on labels ``y`` of any sortable type; returns ``self``."""
        if self.criterion not in CLASSIFICATION:
            raise ValueError(f"criterion must be one of {CLASSIFICATION}, got {self.criterion!r}")
        self.classes_, y_index = np.unique(np.asarray(y), return_inverse=True)
        return self._grow(X, y_index, sample_weight, len(self.classes_))

    def predict_proba(self, X) -> np.ndarray:
        """Class proportions of the leaf each row reaches, shape (n, K)."""
        return tree_predict(self.tree_, X)

    def predict(self, X) -> np.ndarray:
        """The most frequent (by weight) class of each row's leaf; ties go to the first class."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class DecisionTreeRegressor(_BaseTree):
    """A CART regression tree (squared error): every leaf predicts the mean target of its rows.

    Parameters are those of :func:`grow_tree`, plus ``ccp_alpha``. After ``fit``: ``tree_``, ``n_features_in_``.
    """

    def __init__(self, criterion="squared_error", max_depth=None, min_samples_split=2, min_samples_leaf=1,
                 min_impurity_decrease=0.0, max_features=None, ccp_alpha=0.0, rng=0):
        super().__init__(criterion, max_depth, min_samples_split, min_samples_leaf, min_impurity_decrease,
                         max_features, ccp_alpha, rng)

    def fit(self, X, y, sample_weight=None):
        """Grow (and prune) the tree on real targets ``y``; returns ``self``."""
        if self.criterion not in REGRESSION:
            raise ValueError(f"criterion must be one of {REGRESSION}, got {self.criterion!r}")
        return self._grow(X, y, sample_weight, None)

    def predict(self, X) -> np.ndarray:
        """Mean target of the leaf each row reaches, shape (n,)."""
        return tree_predict(self.tree_, X)

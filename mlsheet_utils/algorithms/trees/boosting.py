r"""Gradient boosting with second-order (Newton) trees, as XGBoost defines them.

Round ``t`` adds a regression tree ``f_t`` to the margin ``F = F_0 + eta (f_1 + ... + f_{t-1})``. With the loss
expanded to second order around ``F``, a tree whose leaf ``j`` holds the rows ``I_j`` has the objective

.. math:: \sum_j \Big[ G_j w_j + \tfrac12 (H_j + \lambda) w_j^2 \Big] + \gamma T,
          \qquad G_j = \sum_{i \in I_j} g_i,\ H_j = \sum_{i \in I_j} h_i,

where ``g_i, h_i`` are the first and second derivatives of the loss in the margin and ``T`` counts the leaves.

- :func:`squared_error`, :func:`logistic_loss`  per-row loss, gradient and Hessian in the margin
  (:class:`LossTerms`);
- :func:`leaf_weight`      the optimal leaf value ``-G / (H + lambda)``;
- :func:`leaf_objective`   the objective at that value, ``-G^2 / (2 (H + lambda))``;
- :func:`split_gain`       what a split saves: ``1/2 [G_L^2/(H_L+lambda) + G_R^2/(H_R+lambda) - G^2/(H+lambda)]
  - gamma``;
- :func:`grow_tree`        one Newton tree on the rows' ``(g, h)``: the exact greedy search (every feature, every
  cut between consecutive distinct values: the candidates of CART's
  :func:`~mlsheet_utils.algorithms.trees.tree.best_split`, scored by :func:`split_gain`), run for all nodes of a
  level at once as XGBoost scans its pre-sorted columns, with a depth limit and ``min_child_weight``; then
  bottom-up pruning of the splits whose gain is below ``gamma``. A missing value (NaN) follows a default
  direction that each split learns, as in XGBoost's sparsity-aware search. Returns a :class:`NewtonTree`;
- :func:`predict_tree`     route rows to their leaves and read the (shrunk) leaf values;
- :class:`BoostedTrees`    the estimator (squared error or logistic loss): ``fit``, ``decision_function``,
  ``staged_decision_function``, ``predict``, ``predict_proba``.

XGBoost reports (and compares with its ``gamma``) the gain *without* the factor 1/2: its
``gamma=2 * g`` is this module's ``gamma=g``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.validation import as_array, check_float, check_int

OBJECTIVES = ("squared_error", "logistic")
LEAF = -1
#: Smallest gain a split needs: XGBoost's ``kRtEps = 1e-6`` on its gain without the 1/2, so that round-off
#: (a gain of 1e-16 where the exact one is 0) never grows a tree.
MIN_SPLIT_GAIN = 0.5e-6


def _check_targets(y, margin) -> tuple[np.ndarray, np.ndarray]:
    """``y`` and ``margin`` as finite 1-D float arrays of one length."""
    y, margin = as_array(y, "y", ndim=1), as_array(margin, "margin", ndim=1)
    if margin.shape != y.shape:
        raise ValueError(f"margin must have one entry per entry of y ({y.shape[0]}), got {margin.shape[0]}")
    return y, margin


def _check_sums(reg_lambda, **sums) -> float:
    """Validate gradient and Hessian sums (any shape, empty too, the same for all; the ``H`` ones non-negative,
    with ``H + reg_lambda > 0``) and ``reg_lambda >= 0``; return ``reg_lambda``."""
    reg_lambda = check_float(reg_lambda, "reg_lambda", low=0)
    shape, first = None, None
    for name, value in sums.items():
        arr = as_array(value, name, empty=True)             # vectorised: no candidate, no gain
        if shape is not None and arr.shape != shape:
            raise ValueError(f"{name} must have the shape of {first}, {shape}, got {arr.shape}")
        shape, first = arr.shape, first or name
        if name.startswith("H") and np.any(arr < 0):
            raise ValueError(f"{name} must be non-negative (a sum of Hessians), got a minimum of {arr.min():.6g}")
        if name.startswith("H") and np.any(arr + reg_lambda <= 0):
            raise ValueError(f"{name} + reg_lambda must be positive, got {name} = 0 with reg_lambda = 0")
    return reg_lambda


@dataclass(frozen=True)
class LossTerms:
    """A loss and its first two derivatives in the margin ``F``, one entry per row.

    Attributes
    ----------
    loss, grad, hess : ndarray, shape (n,)
        ``l(y_i, F_i)``, ``g_i = dl/dF`` and ``h_i = d^2 l / dF^2``.
    """

    loss: np.ndarray
    grad: np.ndarray
    hess: np.ndarray


def squared_error(y: np.ndarray, margin: np.ndarray) -> LossTerms:
    """Half the squared error, ``l = (F - y)^2 / 2``: ``g = F - y`` and ``h = 1``.

    The second-order expansion is exact, so a Newton tree is a least-squares tree fitted to the residuals
    ``y - F`` (shrunk by ``lambda``).

    Parameters
    ----------
    y, margin : ndarray, shape (n,), finite

    Returns
    -------
    LossTerms
    """
    y, margin = _check_targets(y, margin)
    r = margin - y
    return LossTerms(0.5 * r * r, r, np.ones_like(r))


def logistic_loss(y: np.ndarray, margin: np.ndarray) -> LossTerms:
    r"""Log loss of labels ``y`` in {0, 1} against the margin (log-odds) ``F``, with ``p = sigma(F)``:

    .. math:: l = \log(1 + e^F) - y F, \qquad g = p - y, \qquad h = p (1 - p).

    ``log(1 + e^F)`` is computed as ``logaddexp(0, F)``, which does not overflow.

    Parameters
    ----------
    y : ndarray, shape (n,), values 0 or 1
    margin : ndarray, shape (n,), finite

    Returns
    -------
    LossTerms
    """
    y, margin = _check_targets(y, margin)
    if not np.all((y == 0) | (y == 1)):
        raise ValueError(f"y must hold labels 0 and 1, got values {np.unique(y)[:5].tolist()}")
    p = 0.5 * (1.0 + np.tanh(0.5 * margin))            # sigma(F) without overflow
    return LossTerms(np.logaddexp(0.0, margin) - y * margin, p - y, p * (1.0 - p))


def leaf_weight(G, H, reg_lambda):
    """The leaf value that minimises ``G w + (H + lambda) w^2 / 2``: ``w* = -G / (H + lambda)``.

    With ``lambda = 0`` it is one Newton step, ``-G/H``; ``lambda > 0`` shrinks it towards 0, most for
    leaves with little curvature ``H``. Vectorised.

    Parameters
    ----------
    G, H : float or ndarray, of one shape, finite
        Sums of the gradients and Hessians (``H >= 0``) of the leaf's rows.
    reg_lambda : float >= 0, with ``H + reg_lambda > 0``

    Returns
    -------
    float or ndarray, the shape of ``G``
    """
    _check_sums(reg_lambda, G=G, H=H)
    return -G / (H + reg_lambda)


def leaf_objective(G, H, reg_lambda):
    """The second-order objective of a leaf at its optimal value: ``-G^2 / (2 (H + lambda))``.

    XGBoost's "structure score" of a leaf (the lower, the better). Vectorised.

    Parameters
    ----------
    G, H : float or ndarray, of one shape, finite (``H >= 0``)
    reg_lambda : float >= 0, with ``H + reg_lambda > 0``

    Returns
    -------
    float or ndarray
    """
    _check_sums(reg_lambda, G=G, H=H)
    return _leaf_objective(G, H, reg_lambda)


def _leaf_objective(G, H, reg_lambda):
    """Unvalidated kernel of :func:`leaf_objective`."""
    return -0.5 * G * G / (H + reg_lambda)


def split_gain(G_left, H_left, G_right, H_right, reg_lambda, gamma=0.0):
    r"""The drop of the objective when a leaf is split in two, one more leaf costing ``gamma``:

    .. math:: \frac12 \Big[\frac{G_L^2}{H_L + \lambda} + \frac{G_R^2}{H_R + \lambda}
              - \frac{(G_L + G_R)^2}{H_L + H_R + \lambda}\Big] - \gamma

    Vectorised.

    Parameters
    ----------
    G_left, H_left, G_right, H_right : float or ndarray, of one shape, finite
        Gradient and Hessian sums (``H >= 0``) of the two children.
    reg_lambda : float >= 0, with ``H_left + reg_lambda > 0`` and ``H_right + reg_lambda > 0``
    gamma : float >= 0

    Returns
    -------
    float or ndarray
    """
    _check_sums(reg_lambda, G_left=G_left, H_left=H_left, G_right=G_right, H_right=H_right)
    check_float(gamma, "gamma", low=0)
    return _split_gain(G_left, H_left, G_right, H_right, reg_lambda, gamma)


def _split_gain(G_left, H_left, G_right, H_right, reg_lambda, gamma=0.0):
    """Unvalidated kernel of :func:`split_gain` (the search evaluates it for every candidate)."""
    parent = _leaf_objective(G_left + G_right, H_left + H_right, reg_lambda)
    return parent - _leaf_objective(G_left, H_left, reg_lambda) - _leaf_objective(G_right, H_right, reg_lambda) - gamma


@dataclass(frozen=True)
class NewtonTree:
    """One boosted regression tree as flat arrays, nodes numbered level by level (a node's children are next to
    each other), as XGBoost numbers them.

    A row goes left when ``x[feature] <= threshold`` (thresholds are midpoints between consecutive training
    values, so XGBoost's ``<`` sends every training row the same way), or when it misses that feature and the
    node's ``default_left`` is set.

    Attributes
    ----------
    feature : ndarray of int, shape (n_nodes,)
        Split column, ``-1`` at leaves.
    threshold : ndarray, shape (n_nodes,)
        Split value, NaN at leaves.
    left, right : ndarray of int, shape (n_nodes,)
        Child node ids, ``-1`` at leaves.
    default_left : ndarray of bool, shape (n_nodes,)
        Where a row missing the split feature goes (learned where the training data had missing values).
    value : ndarray, shape (n_nodes,)
        ``learning_rate * w*`` of every node (a leaf adds it to the margin).
    gain : ndarray, shape (n_nodes,)
        :func:`split_gain` of the node's split without ``gamma`` (0 at leaves).
    sum_grad, sum_hess : ndarray, shape (n_nodes,)
        ``G`` and ``H`` of each node's rows (``sum_hess`` is XGBoost's "cover").
    depth : ndarray of int, shape (n_nodes,)
    """

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    default_left: np.ndarray
    value: np.ndarray
    gain: np.ndarray
    sum_grad: np.ndarray
    sum_hess: np.ndarray
    depth: np.ndarray

    @property
    def n_leaves(self) -> int:
        return int(np.sum(self.feature == LEAF))


@dataclass(frozen=True)
class LevelSplits:
    """The best split of each open node of one level (arrays of shape (k,), one entry per node).

    ``gain`` is :func:`split_gain` without ``gamma`` (``-inf`` where no split is allowed); the left child holds
    the rows with ``x[feature] <= threshold``, and the rows missing that feature if ``default_left``; its sums are
    ``G_left, H_left``; ``G, H`` are the node's own.
    """

    gain: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    default_left: np.ndarray
    G_left: np.ndarray
    H_left: np.ndarray
    G: np.ndarray
    H: np.ndarray


def _level_splits(X, order, S, node, k, reg_lambda, min_child_weight, sparse) -> LevelSplits:
    """Exact greedy search for all ``k`` open nodes of a level at once (XGBoost's column-wise scan).

    ``order`` (n, d) sorts the rows of each column by value, NaN last (computed once per fit); ``S`` (n, 2) holds
    each row's ``(g, h)``; ``node`` (n,) is each row's open-node index ``0 .. k-1``, or ``-1`` for rows in
    finished leaves; ``sparse`` (d,) flags the columns with a missing value somewhere in the training data. A
    stable sort by node keeps the value order inside each node, so one prefix sum per column gives the sums left
    of every cut of every node. A cut lies between two distinct present values; both children need
    ``H >= min_child_weight``.

    Missing values (XGBoost's sparsity-aware search): the rows missing a feature, with sums ``M``, join the left
    child ("backward", ``default_left``) or the right one ("forward"); a further candidate puts them alone on
    one side. Dense columns only try ``default_left``. Ties go to the lower feature; within a feature, XGBoost's
    scan order decides: forward cuts by increasing value, the forward all-present cut, backward cuts by
    decreasing value, the backward all-present cut.
    """
    key = node[order]
    cols = np.arange(order.shape[1])
    o = order[np.argsort(key, axis=0, kind="stable"), cols]  # rows by node, by value inside a node
    o = o[np.count_nonzero(key[:, 0] < 0):]                 # drop the rows of finished leaves (sorted first)
    m, d = o.shape
    seg = node[o[:, 0]]                                     # the node of every position (the same in each column)
    count = np.bincount(seg, minlength=k)
    end = np.cumsum(count) - 1                              # last position of each node
    start = end - count + 1                                 # first position of each node
    xs = X[o, cols]
    So = S[o]                                               # (m, d, 2): (g, h) in node-then-value order
    C = np.cumsum(So, axis=0)
    before = C[start] - So[start]                           # (k, d, 2): sums of the nodes before
    total = C[end] - before                                 # (k, d, 2): each node's (G, H)
    L = C - before[seg]                                     # present rows up to this position
    ok = np.zeros((m, d), dtype=bool)
    ok[:-1] = xs[1:] > xs[:-1]                              # a cut between two distinct present values ...
    ok[end] = False                                         # ... of the same node
    # Candidates by kind, as (left sums, right sums, allowed): 0 cuts with the missing rows on the right
    # (forward), 1 present | missing, 2 cuts with the missing rows on the left (backward), 3 missing | present.
    # Kinds 0 and 2 have one candidate per position, kinds 1 and 3 one per node.
    if sparse.any():
        present = ~np.isnan(xs)
        last = start[:, None] + np.add.reduceat(present, start, axis=0, dtype=np.intp) - 1   # last present row
        P = np.where((last >= start[:, None])[..., None], C[last, cols] - before, 0.0)   # present rows' sums
        M = total - P                                       # missing rows' sums (0 in a dense column)
        kinds = {0: (L, total[seg] - L, ok & sparse), 1: (P, M, np.broadcast_to(sparse, (k, d))),
                 2: (L + M[seg], P[seg] - L, ok), 3: (M, P, np.ones((k, d), dtype=bool))}
    else:                                                   # no missing value: XGBoost's backward scan only
        kinds = {2: (L, total[seg] - L, ok)}
    gains, top = {}, np.full(k, -np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        for kind, (left, right, allowed) in kinds.items():
            H_min = np.minimum(left[..., 1], right[..., 1])
            allowed = allowed & (H_min >= min_child_weight) & (H_min > 0)
            gains[kind] = np.where(allowed, _split_gain(left[..., 0], left[..., 1], right[..., 0], right[..., 1],
                                                       reg_lambda), -np.inf)
            best_here = gains[kind].max(axis=1)
            top = np.maximum(top, np.maximum.reduceat(best_here, start) if kind % 2 == 0 else best_here)
    # Candidates within round-off (1e-9 relative) of a node's best gain tie (two cuts that separate the same
    # rows have equal gains in exact arithmetic); the lowest scan code among them wins: feature j, then
    # forward cut r -> r, forward all-present -> m, backward cut r -> 2m - r, backward all-present -> 2m + 1.
    floor = top - 1e-9 * np.abs(top)
    stride, pos = 2 * m + 2, np.arange(m)[:, None]
    offset = {0: pos, 1: m, 2: 2 * m - pos, 3: 2 * m + 1}
    best = np.full(k, np.inf)
    for kind, gain in gains.items():
        per_node = kind % 2 == 0
        code = np.where(gain >= (floor[seg] if per_node else floor)[:, None], cols * stride + offset[kind], np.inf)
        best = np.minimum(best, np.minimum.reduceat(code.min(axis=1), start) if per_node else code.min(axis=1))
    j, c = np.divmod(np.where(np.isfinite(best), best, 0).astype(np.intp), stride)
    kind = (c >= m).astype(np.intp) + (c > m) + (c > 2 * m)  # 0, 1, 2, 3 as the code ranges above
    nodes = np.arange(k)
    r = np.maximum(np.minimum(np.where(kind == 2, 2 * m - c, c), m - 2), 0)   # the cut's position (kinds 0, 2)
    lo, hi = xs[r, j], xs[np.minimum(r + 1, m - 1), j]
    threshold = lo / 2.0 + hi / 2.0
    threshold = np.where(threshold < hi, threshold, lo)     # adjacent floats: keep the partition
    gain, left = np.full(k, -np.inf), np.zeros((k, 2))
    for kd, (left_sums, _, _) in kinds.items():
        sel = kind == kd
        at = (r if kd % 2 == 0 else nodes)[sel]
        gain[sel], left[sel] = gains[kd][at, j[sel]], left_sums[at, j[sel]]
        if kd % 2 == 1:                                     # present vs missing: a threshold beyond every value
            v = xs[last[at, j[sel]], j[sel]] if kd == 1 else xs[start[sel], j[sel]]
            threshold[sel] = v + (np.abs(v) + 1e-6) if kd == 1 else v - (np.abs(v) + 1e-6)
    return LevelSplits(gain, j, threshold, kind >= 2, left[:, 0], left[:, 1], total[:, 0, 0], total[:, 0, 1])


def _grow_tree(X, order, g, h, max_depth, learning_rate, reg_lambda, gamma, min_child_weight) -> NewtonTree:
    """Unvalidated kernel of :func:`grow_tree`; ``order`` is ``argsort(X, axis=0)`` (NaN last). Nodes are
    numbered level by level, a node's two children next to each other."""
    n = X.shape[0]
    size = 2 * n - 1                                        # a binary tree with at most n leaves
    feat, left, right, depth = np.full((4, size), LEAF)
    thr, gain, G, H = np.zeros((4, size))
    thr[:] = np.nan
    missing = np.isnan(X)
    sparse = missing.any(axis=0)                            # columns with a missing value somewhere
    default_left = np.ones(size, dtype=bool)
    S = np.column_stack([g, h])
    G[0], H[0] = S.sum(axis=0)
    node_of = np.zeros(n, dtype=np.intp)                    # the node each row has reached
    local = np.zeros(size, dtype=np.intp)                   # a node's index among the open nodes of its level
    depth[0], frontier, count = 0, np.array([0]), 1
    for level in range(max_depth):
        local[frontier] = np.arange(frontier.size)
        best = _level_splits(X, order, S, np.where(depth[node_of] == level, local[node_of], -1), frontier.size,
                             reg_lambda, min_child_weight, sparse)
        grow = best.gain > MIN_SPLIT_GAIN
        if not grow.any():
            break
        parents = frontier[grow]
        lc = count + 2 * np.arange(parents.size)            # left children; the right ones are lc + 1
        feat[parents], thr[parents], gain[parents] = best.feature[grow], best.threshold[grow], best.gain[grow]
        default_left[parents] = best.default_left[grow]
        left[parents], right[parents] = lc, lc + 1
        G[lc], H[lc] = best.G_left[grow], best.H_left[grow]
        G[lc + 1], H[lc + 1] = best.G[grow] - G[lc], best.H[grow] - H[lc]
        depth[lc] = depth[lc + 1] = level + 1
        at, rows = node_of, np.arange(n)
        split = feat[at] != LEAF                            # rows whose node was just split move down
        go_left = np.where(missing[rows, feat[at]], default_left[at], X[rows, feat[at]] <= thr[at])
        node_of = np.where(split, np.where(go_left, left[at], right[at]), at)
        frontier, count = np.arange(count, count + 2 * parents.size), count + 2 * parents.size
    feat, left, right, thr, gain = feat[:count], left[:count], right[:count], thr[:count], gain[:count]
    G, H, depth, default_left = G[:count], H[:count], depth[:count], default_left[:count]
    ok = (H >= min_child_weight) & (H > 0)                 # XGBoost: too little Hessian, weight 0 (the root)
    value = learning_rate * np.where(ok, leaf_weight(G, np.where(ok, H, 1.0), reg_lambda), 0.0)
    if gamma <= MIN_SPLIT_GAIN:                             # every split gains more than gamma: nothing to prune
        return NewtonTree(feat, thr, left, right, default_left, value, gain, G, H, depth)
    # Prune bottom-up: a split whose children are both leaves and whose gain is below gamma is undone, one
    # level at a time from the deepest, so a parent is judged after its children.
    removed = np.zeros(count, dtype=bool)
    for level in range(int(depth.max()) - 1, -1, -1):
        internal = np.flatnonzero((depth == level) & (feat != LEAF))
        cut = internal[(feat[left[internal]] == LEAF) & (feat[right[internal]] == LEAF) & (gain[internal] < gamma)]
        removed[left[cut]] = removed[right[cut]] = True
        feat[cut], left[cut], right[cut], thr[cut], gain[cut] = LEAF, LEAF, LEAF, np.nan, 0.0
    keep = ~removed
    new_id = np.cumsum(keep) - 1
    internal = feat[keep] != LEAF
    return NewtonTree(feat[keep], thr[keep], np.where(internal, new_id[left[keep]], LEAF),
                      np.where(internal, new_id[right[keep]], LEAF), default_left[keep], value[keep], gain[keep],
                      G[keep], H[keep], depth[keep])


def _check_features(X) -> np.ndarray:
    """``X`` as a 2-D float array; NaN marks a missing value, infinity is refused."""
    X = as_array(X, "X", ndim=2, finite=False)
    if np.isinf(X).any():
        raise ValueError("X contains infinite values (use NaN for a missing value)")
    return X


def _check_tree_params(max_depth, learning_rate, reg_lambda, gamma, min_child_weight):
    return (check_int(max_depth, "max_depth", low=1),
            check_float(learning_rate, "learning_rate", low=0, low_open=True),
            check_float(reg_lambda, "reg_lambda", low=0),
            check_float(gamma, "gamma", low=0),
            check_float(min_child_weight, "min_child_weight", low=0))


def grow_tree(X, grad, hess, *, max_depth: int = 6, learning_rate: float = 0.3, reg_lambda: float = 1.0,
              gamma: float = 0.0, min_child_weight: float = 1.0) -> NewtonTree:
    """Grow one Newton tree on the rows' gradients and Hessians, as XGBoost's exact method does.

    1. Level by level from the root, split every node whose depth is below ``max_depth``: the split is the
       best over every feature and every midpoint between consecutive distinct values, scored by
       :func:`split_gain` (the exact greedy search); both children must have a Hessian sum of at least
       ``min_child_weight``, and the gain must exceed :data:`MIN_SPLIT_GAIN`. Ties go to the lower feature,
       then the lower threshold. Rows missing a feature (NaN) go to the side that gains more, which the node
       stores as ``default_left``.
    2. Prune bottom-up: a split whose children are leaves and whose :func:`split_gain` is below ``gamma`` is
       removed, repeatedly. A weak split above strong ones survives (post-pruning, not early stopping).
    3. Every node gets ``learning_rate * leaf_weight(G, H, reg_lambda)`` (0 when ``H < min_child_weight``).

    Parameters
    ----------
    X : array_like, shape (n, d)
        NaN marks a missing value.
    grad, hess : array_like, shape (n,)
        ``g_i`` and ``h_i >= 0`` at the current margin.
    max_depth : int >= 1
    learning_rate : float > 0
        Shrinkage ``eta`` applied to the leaf values.
    reg_lambda : float >= 0
        L2 penalty on the leaf values.
    gamma : float >= 0
        Cost of one more leaf, in the units of :func:`split_gain` (XGBoost's ``gamma`` is twice this).
    min_child_weight : float >= 0
        Smallest Hessian sum a child may have.

    Returns
    -------
    NewtonTree
    """
    X = _check_features(X)
    grad, hess = as_array(grad, "grad", ndim=1), as_array(hess, "hess", ndim=1)
    if X.shape[0] < 1 or grad.shape != (X.shape[0],) or hess.shape != (X.shape[0],):
        raise ValueError(f"grad and hess must have one entry per row of X ({X.shape[0]} rows), "
                         f"got shapes {grad.shape} and {hess.shape}")
    if np.any(hess < 0):
        raise ValueError("hess must be non-negative (a convex loss)")
    params = _check_tree_params(max_depth, learning_rate, reg_lambda, gamma, min_child_weight)
    return _grow_tree(X, np.argsort(X, axis=0, kind="stable"), grad, hess, *params)


def _predict_tree(tree: NewtonTree, X: np.ndarray) -> np.ndarray:
    """Unvalidated kernel of :func:`predict_tree`."""
    node = np.zeros(X.shape[0], dtype=np.intp)
    rows = np.arange(X.shape[0])
    for _ in range(int(tree.depth.max())):                  # one level per pass, all rows at once
        f = tree.feature[node]
        x = X[rows, np.maximum(f, 0)]
        go_left = np.where(np.isnan(x), tree.default_left[node], x <= tree.threshold[node])
        node = np.where(f == LEAF, node, np.where(go_left, tree.left[node], tree.right[node]))
    return tree.value[node]


def predict_tree(tree: NewtonTree, X) -> np.ndarray:
    """The value of the leaf each row of ``X`` reaches (left when ``x[feature] <= threshold``; a missing
    value goes left where the node's ``default_left`` is set).

    Parameters
    ----------
    tree : NewtonTree
    X : array_like, shape (m, d)
        NaN marks a missing value.

    Returns
    -------
    ndarray, shape (m,)
    """
    if not isinstance(tree, NewtonTree):
        raise ValueError(f"tree must be a NewtonTree, got {type(tree).__name__}")
    X = _check_features(X)
    used = tree.feature[tree.feature != LEAF]
    if used.size and X.shape[1] <= used.max():
        raise ValueError(f"X has {X.shape[1]} columns but the tree splits on column {used.max()}")
    return _predict_tree(tree, X)


def _loss_terms(objective: str, y: np.ndarray, margin: np.ndarray) -> LossTerms:
    return squared_error(y, margin) if objective == "squared_error" else logistic_loss(y, margin)


@dataclass(eq=False)
class BoostedTrees:
    """Newton-boosted trees in scikit-learn's shape, with XGBoost's hyperparameters and defaults.

    ``fit`` starts from the constant margin ``F_0`` (``base_score``) and adds ``n_estimators`` trees, each
    grown by :func:`grow_tree` on the gradients and Hessians at the current margin:
    ``F_t(x) = F_{t-1}(x) + eta f_t(x)``.

    Parameters
    ----------
    objective : {"squared_error", "logistic"}
        Half squared error (regression) or log loss of labels 0/1 (classification).
    n_estimators : int >= 0
    learning_rate : float > 0
        Shrinkage ``eta``.
    max_depth : int >= 1
    reg_lambda : float >= 0
    gamma : float >= 0
        Cost of a leaf in :func:`split_gain`'s units (half XGBoost's ``gamma``).
    min_child_weight : float >= 0
    base_score : float, optional
        Starting prediction, in the target's units (a probability for ``"logistic"``). By default the best
        constant: the mean of ``y``, or the log-odds of the mean label.

    Attributes
    ----------
    base_margin_ : float
        ``F_0`` (for ``"logistic"``, the log-odds of ``base_score``).
    trees_ : tuple of NewtonTree
    n_features_in_ : int
    """

    objective: str = "squared_error"
    n_estimators: int = 100
    learning_rate: float = 0.3
    max_depth: int = 6
    reg_lambda: float = 1.0
    gamma: float = 0.0
    min_child_weight: float = 1.0
    base_score: float | None = None

    def fit(self, X, y) -> BoostedTrees:
        """Fit the trees; returns ``self``. ``X`` has shape (n, d), NaN for a missing value; ``y`` (n,), labels
        0/1 for ``"logistic"``."""
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {self.objective!r}")
        X, y = _check_features(X), as_array(y, "y", ndim=1)
        if X.shape[0] < 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must have one entry per row of X ({X.shape[0]}), got {y.shape[0]}")
        logistic = self.objective == "logistic"
        if logistic and not np.all((y == 0) | (y == 1)):
            raise ValueError("y must hold labels 0 and 1 for the logistic objective")
        n_estimators = check_int(self.n_estimators, "n_estimators", low=0)
        params = _check_tree_params(self.max_depth, self.learning_rate, self.reg_lambda, self.gamma,
                                    self.min_child_weight)
        if self.base_score is None:
            base = float(np.clip(y.mean(), 1e-12, 1 - 1e-12)) if logistic else float(y.mean())
        elif logistic:
            base = check_float(self.base_score, "base_score", low=0, high=1, low_open=True, high_open=True)
        else:
            base = check_float(self.base_score, "base_score")
        self.base_margin_ = float(np.log(base / (1 - base))) if logistic else base
        margin = np.full(X.shape[0], self.base_margin_)
        order = np.argsort(X, axis=0, kind="stable")          # XGBoost's pre-sorted columns: once per fit
        trees = []
        for _ in range(n_estimators):
            terms = _loss_terms(self.objective, y, margin)
            tree = _grow_tree(X, order, terms.grad, terms.hess, *params)
            margin = margin + _predict_tree(tree, X)
            trees.append(tree)
        self.trees_ = tuple(trees)
        self.n_features_in_ = X.shape[1]
        return self

    def _check_X(self, X) -> np.ndarray:
        if not hasattr(self, "trees_"):
            raise ValueError("this BoostedTrees is not fitted yet: call fit(X, y) first")
        X = _check_features(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X must have {self.n_features_in_} columns like the training data, got {X.shape[1]}")
        return X

    def staged_decision_function(self, X) -> np.ndarray:
        """The margin after 0, 1, ..., ``n_estimators`` trees, shape (n_estimators + 1, m)."""
        X = self._check_X(X)
        steps = [np.full(X.shape[0], self.base_margin_)] + [_predict_tree(t, X) for t in self.trees_]
        return np.cumsum(np.array(steps), axis=0)

    def decision_function(self, X) -> np.ndarray:
        """The margin ``F(x)``, shape (m,): the prediction for ``"squared_error"``, the log-odds for
        ``"logistic"``."""
        X = self._check_X(X)
        return self.base_margin_ + sum((_predict_tree(t, X) for t in self.trees_), np.zeros(X.shape[0]))

    def predict(self, X) -> np.ndarray:
        """Predicted values (``"squared_error"``) or labels 0/1 (``"logistic"``, margin > 0), shape (m,)."""
        F = self.decision_function(X)
        return (F > 0).astype(int) if self.objective == "logistic" else F

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``[1 - p, p]`` with ``p = sigma(F)``, shape (m, 2) (``"logistic"`` only)."""
        if self.objective != "logistic":
            raise ValueError("predict_proba needs objective='logistic'")
        p = 0.5 * (1.0 + np.tanh(0.5 * self.decision_function(X)))
        return np.column_stack([1.0 - p, p])

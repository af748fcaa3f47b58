"""CART trees against independent references: exhaustive enumeration, SciPy and scikit-learn's trees."""

from functools import partial

import numpy as np
import pytest
from scipy import stats
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from mlsheet_utils.algorithms.trees import tree as cart

SEEDS = [0, 1, 2, 3]


def _float32(a):
    """scikit-learn's trees store features in float32: give both implementations the same numbers."""
    return np.asarray(a, dtype=np.float32).astype(float)


def _data(seed, n=120, d=3, k=2, regression=False):
    r = np.random.default_rng(seed)
    X = _float32(r.normal(size=(n, d)))
    if regression:
        return X, X[:, 0] ** 2 - X[:, 1] + 0.3 * r.normal(size=n)
    return X, ((X[:, 0] + 0.5 * X[:, 1] ** 2 + 0.5 * r.normal(size=n)) > 0.3).astype(int) + (
        (X[:, 2] > 1.0).astype(int) if k == 3 else 0)


def _compare(ours, sk_tree, node_loss):
    """Walk both trees from the root. Where our split wins by a margin the two must agree exactly; at a tie
    (scikit-learn breaks it by its random feature order) its split must be as good as ours. Returns the
    number of nodes compared."""
    ref = sk_tree.tree_
    stack, seen = [(0, 0)], 0
    while stack:
        a, b = stack.pop()
        seen += 1
        np.testing.assert_allclose(ours.value[a], ref.value[b].ravel(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(ours.impurity[a], ref.impurity[b], rtol=1e-9, atol=1e-12)
        assert ours.n_node_samples[a] == ref.n_node_samples[b]
        leaf_a, leaf_b = ours.children_left[a] == -1, ref.children_left[b] == -1
        assert leaf_a == leaf_b, f"node {a}: leaf in one tree only"
        if leaf_a:
            continue
        if ours.margin[a] > 1e-9 * max(1.0, abs(ours.gain[a])):
            assert (ours.feature[a], ours.threshold[a]) == (ref.feature[b], ref.threshold[b])
        else:                                  # a tie: scikit-learn's split must reach the same children's loss
            wl, wr = (ref.weighted_n_node_samples[c] for c in (ref.children_left[b], ref.children_right[b]))
            il, ir = (ref.impurity[c] for c in (ref.children_left[b], ref.children_right[b]))
            np.testing.assert_allclose(wl * il + wr * ir, node_loss(ours, a), rtol=1e-9, atol=1e-9)
            continue
        stack += [(ours.children_left[a], ref.children_left[b]), (ours.children_right[a], ref.children_right[b])]
    return seen


def _children_loss(tree, node):
    cl, cr = tree.children_left[node], tree.children_right[node]
    return (tree.weighted_n_node_samples[cl] * tree.impurity[cl] + tree.weighted_n_node_samples[cr] * tree.impurity[cr])


# -- impurities ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_impurities_match_scipy_and_sklearn(seed):
    r = np.random.default_rng(seed)
    counts = r.integers(0, 20, size=(6, 4)).astype(float)
    counts[:, 0] += 1
    p = counts / counts.sum(1, keepdims=True)
    np.testing.assert_allclose(cart.entropy(p), stats.entropy(p, base=2, axis=1), rtol=1e-13)
    # Gini: the chance that two labels drawn with replacement differ, by enumeration over pairs of classes
    pairs = sum(p[:, i] * p[:, j] for i in range(4) for j in range(4) if i != j)
    np.testing.assert_allclose(cart.gini(p), pairs, rtol=1e-13)
    X = np.arange(counts[0].sum())[:, None]
    y = np.repeat(np.arange(4), counts[0].astype(int))
    root = DecisionTreeClassifier(max_depth=1).fit(X, y).tree_.impurity[0]
    np.testing.assert_allclose(cart.gini(p[0]), root, rtol=1e-13)


def test_weighted_impurity_regression_is_the_sum_of_squared_errors():
    r = np.random.default_rng(5)
    y, w = r.normal(size=30), r.uniform(0.5, 2.0, size=30)
    S = cart.node_statistics(y, w, "squared_error").sum(0)
    mean = np.average(y, weights=w)
    np.testing.assert_allclose(cart.weighted_impurity(S, "squared_error"), np.sum(w * (y - mean) ** 2), rtol=1e-10)


# -- the split search ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("criterion", ["gini", "entropy", "squared_error"])
def test_best_split_matches_exhaustive_enumeration(seed, criterion):
    regression = criterion == "squared_error"
    X, y = _data(seed, n=40, regression=regression)
    X = np.round(X, 1)                                  # repeated values: thresholds only between distinct ones
    w = np.random.default_rng(seed).uniform(0.5, 1.5, size=len(y))
    stats_ = cart.node_statistics(y, w, criterion, 0 if regression else 2)
    found = cart.best_split(X, stats_, partial(cart.weighted_impurity, criterion=criterion), min_samples_leaf=3)
    best = (np.inf, None, None)
    for j in range(X.shape[1]):
        values = np.unique(X[:, j])
        for lo, hi in zip(values[:-1], values[1:]):
            left = X[:, j] <= (lo + hi) / 2
            if min(left.sum(), (~left).sum()) < 3:
                continue
            if regression:
                loss = sum(np.sum(w[m] * (y[m] - np.average(y[m], weights=w[m])) ** 2) for m in (left, ~left))
            else:
                loss = 0.0
                for m in (left, ~left):
                    q = np.bincount(y[m], weights=w[m], minlength=2) / w[m].sum()
                    loss += w[m].sum() * (1 - np.sum(q**2) if criterion == "gini" else stats.entropy(q, base=2))
            if loss < best[0] - 1e-12:
                best = (loss, j, (lo + hi) / 2)
    assert (found.feature, found.threshold) == best[1:]
    np.testing.assert_allclose(found.loss, best[0], rtol=1e-10)


def test_best_split_without_candidates_is_none():
    X = np.ones((6, 2))
    assert cart.best_split(X, np.ones((6, 1)), lambda S: S[..., 0]) is None


# -- whole trees against scikit-learn -----------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("criterion,min_leaf,depth", [("gini", 1, None), ("entropy", 3, None), ("gini", 5, 4)])
def test_classification_tree_matches_sklearn(seed, criterion, min_leaf, depth):
    X, y = _data(seed, k=3)
    ours = cart.grow_tree(X, y, criterion=criterion, min_samples_leaf=min_leaf, max_depth=depth)
    ref = DecisionTreeClassifier(criterion=criterion, min_samples_leaf=min_leaf, max_depth=depth,
                                 random_state=seed).fit(X, y)
    assert _compare(ours, ref, _children_loss) > 1


@pytest.mark.parametrize("seed", SEEDS)
def test_regression_tree_matches_sklearn_exactly(seed):
    X, y = _data(seed, n=150, regression=True)
    ours = cart.grow_tree(X, y, criterion="squared_error", min_samples_leaf=4)
    ref = DecisionTreeRegressor(min_samples_leaf=4, random_state=seed).fit(X, y)
    assert np.all(ours.margin[~ours.is_leaf] > 1e-9)
    for field in ("children_left", "children_right", "feature", "threshold", "n_node_samples"):
        assert np.array_equal(getattr(ours, field), getattr(ref.tree_, field)), field
    X_new = _float32(np.random.default_rng(seed + 50).normal(size=(200, 3)))
    np.testing.assert_allclose(cart.tree_predict(ours, X_new), ref.predict(X_new), rtol=1e-12)
    for k in (1, 2, 4):                                  # the full tree cut at depth k is the tree grown to depth k
        cut = DecisionTreeRegressor(min_samples_leaf=4, max_depth=k, random_state=seed).fit(X, y)
        np.testing.assert_allclose(cart.tree_predict(ours, X_new, max_depth=k), cut.predict(X_new), rtol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_sample_weights_match_sklearn(seed):
    X, y = _data(seed)
    w = np.random.default_rng(seed).integers(0, 4, size=len(y)).astype(float)   # zeros leave rows out
    ours = cart.grow_tree(X, y, sample_weight=w, min_samples_leaf=2)
    ref = DecisionTreeClassifier(min_samples_leaf=2, random_state=seed).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.weighted_n_node_samples[0], w.sum())
    assert _compare(ours, ref, _children_loss) > 1


@pytest.mark.parametrize("seed", SEEDS)
def test_pruning_path_and_pruned_trees_match_sklearn(seed):
    X, y = _data(seed, n=150, regression=True)
    ours = cart.grow_tree(X, y, criterion="squared_error", min_samples_leaf=4)
    ref = DecisionTreeRegressor(min_samples_leaf=4, random_state=seed)
    path, ref_path = cart.pruning_path(ours), ref.cost_complexity_pruning_path(X, y)
    np.testing.assert_allclose(path.ccp_alphas, ref_path.ccp_alphas, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(path.impurities, ref_path.impurities, rtol=1e-10)
    steps = np.unique(path.ccp_alphas)
    for alpha in (steps[:-1] + steps[1:])[::3] / 2:
        pruned = cart.prune(ours, alpha)
        ref_tree = DecisionTreeRegressor(min_samples_leaf=4, ccp_alpha=alpha, random_state=seed).fit(X, y).tree_
        assert np.array_equal(pruned.children_left, ref_tree.children_left)
        assert np.array_equal(pruned.threshold, ref_tree.threshold)
        np.testing.assert_allclose(pruned.value[:, 0], ref_tree.value[:, 0, 0], rtol=1e-12)


def test_estimators_match_sklearn_with_string_labels():
    X, y = _data(7, k=3)
    labels = np.array(["ant", "bee", "cat"])[y]
    X_new = _float32(np.random.default_rng(8).normal(size=(100, 3)))
    ours = cart.DecisionTreeClassifier(min_samples_leaf=6, ccp_alpha=0.01).fit(X, labels)
    ref = DecisionTreeClassifier(min_samples_leaf=6, ccp_alpha=0.01, random_state=0).fit(X, labels)
    assert np.all(ours.tree_.margin[~ours.tree_.is_leaf] > 1e-9)
    assert np.array_equal(ours.predict(X_new), ref.predict(X_new))
    np.testing.assert_allclose(ours.predict_proba(X_new), ref.predict_proba(X_new), rtol=1e-12)
    reg = cart.DecisionTreeRegressor(max_depth=3).fit(X, X[:, 0] * 2.0)
    np.testing.assert_allclose(reg.predict(X_new), DecisionTreeRegressor(max_depth=3).fit(X, X[:, 0] * 2.0)
                               .predict(X_new), rtol=1e-12)


def test_random_feature_subsets_use_every_feature_and_are_seeded():
    X, y = _data(3, d=4)
    a = cart.grow_tree(X, y, max_features="sqrt", rng=1)
    b = cart.grow_tree(X, y, max_features="sqrt", rng=1)
    assert np.array_equal(a.feature, b.feature) and np.array_equal(a.threshold, b.threshold)
    roots = {int(cart.grow_tree(X, y, max_features=1, max_depth=1, rng=s).feature[0]) for s in range(40)}
    assert roots == {0, 1, 2, 3}                        # one random feature at the root: each one turns up


# -- bad input ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,match", [
    ({"criterion": "mae"}, "criterion"),
    ({"min_samples_leaf": 0}, "min_samples_leaf"),
    ({"min_samples_split": 1}, "min_samples_split"),
    ({"max_depth": -1}, "max_depth"),
    ({"max_features": "log2"}, "max_features"),
    ({"max_features": 9}, "max_features"),
    ({"min_impurity_decrease": -0.1}, "min_impurity_decrease"),
    ({"sample_weight": -np.ones(5)}, "sample_weight"),
    ({"n_classes": 1}, "n_classes"),
])
def test_grow_tree_rejects_bad_arguments(kwargs, match):
    X, y = np.arange(10.0).reshape(5, 2), np.array([0, 1, 0, 1, 1])
    with pytest.raises(ValueError, match=match):
        cart.grow_tree(X, y, **kwargs)


def test_bad_data_and_calls_raise_value_error():
    X, y = np.arange(10.0).reshape(5, 2), np.array([0, 1, 0, 1, 1])
    with pytest.raises(ValueError, match="X"):
        cart.grow_tree(X[:, 0], y)
    with pytest.raises(ValueError, match="y"):
        cart.grow_tree(X, y[:4])
    with pytest.raises(ValueError, match="class indices"):
        cart.grow_tree(X, y + 0.5)
    with pytest.raises(ValueError, match="NaN"):
        cart.grow_tree(np.where(X > 8, np.nan, X), y)
    tree = cart.grow_tree(X, y)
    with pytest.raises(ValueError, match="columns"):
        cart.apply_tree(tree, np.ones((3, 3)))
    with pytest.raises(ValueError, match="ccp_alpha"):
        cart.prune(tree, -1.0)
    with pytest.raises(ValueError, match="stats"):
        cart.best_split(X, np.ones((4, 2)), lambda S: S[..., 0])
    with pytest.raises(ValueError, match="features"):
        cart.best_split(X, np.ones((5, 2)), lambda S: S[..., 0], features=[2])
    with pytest.raises(ValueError, match="criterion"):
        cart.DecisionTreeClassifier(criterion="squared_error").fit(X, y)

"""Newton-boosted trees against XGBoost's exact method, scikit-learn and closed forms."""

import json

import numpy as np
import pytest
import xgboost as xgb
from scipy.optimize import minimize_scalar
from sklearn.metrics import log_loss
from sklearn.tree import DecisionTreeRegressor

from mlsheet_utils.algorithms.trees import boosting


def _float32(a):
    """Values float32 holds exactly, so XGBoost (which stores features as float32) sees the same numbers."""
    return np.asarray(a, dtype=np.float32).astype(float)


def _problem(rng, logistic):
    n, d = int(rng.integers(20, 150)), int(rng.integers(1, 4))
    X = _float32(rng.normal(size=(n, d)))
    if logistic:
        y = (X[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(float)
    else:
        y = np.sin(2 * X[:, 0]) + 0.3 * rng.normal(size=n)
    return X, y


def _xgb_levels(booster, k=0):
    """Tree ``k`` of an XGBoost model as columns (feature, threshold, leaf, gain, cover, missing-goes-left), level
    by level."""
    queue, rows = [json.loads(booster.get_dump(with_stats=True, dump_format="json")[k])], []
    while queue:
        node = queue.pop(0)
        kids = {c["nodeid"]: c for c in node.get("children", [])}
        queue += [kids[node["yes"]], kids[node["no"]]] if kids else []
        rows.append((int(node["split"][1:]) if kids else -1, node.get("split_condition", np.nan),
                     node.get("leaf", np.nan), node.get("gain", 0.0), node["cover"],
                     bool(kids) and node["missing"] == node["yes"]))
    return [np.array(c) for c in zip(*rows)]


@pytest.mark.parametrize("seed", range(8))
def test_boosting_matches_xgboost_exact_over_random_problems(seed):
    """Gold-standard comparison (numpy-ml style): random shapes, both losses, random hyperparameters."""
    rng = np.random.default_rng(seed)
    logistic = seed % 2 == 1
    X, y = _problem(rng, logistic)
    params = dict(n_estimators=int(rng.integers(1, 12)), learning_rate=float(rng.choice([0.1, 0.5, 1.0])),
                  max_depth=int(rng.integers(1, 5)), reg_lambda=float(rng.choice([0.0, 1.0, 3.0])),
                  min_child_weight=float(rng.choice([0.0, 1.0, 3.0])))
    gamma = float(rng.choice([0.0, 0.1, 0.5]))
    base = 0.5 if logistic else 0.2
    ours = boosting.BoostedTrees("logistic" if logistic else "squared_error", gamma=gamma, base_score=base,
                                 **params).fit(X, y)
    Reference = xgb.XGBClassifier if logistic else xgb.XGBRegressor
    ref = Reference(tree_method="exact", gamma=2 * gamma, base_score=base, n_jobs=1, **params).fit(X, y)
    for k, tree in enumerate(ours.trees_):
        feature, threshold, leaf, gain, cover, _ = _xgb_levels(ref.get_booster(), k)
        np.testing.assert_array_equal(tree.feature, feature)
        inner = feature >= 0
        np.testing.assert_allclose(tree.threshold[inner], threshold[inner], rtol=1e-6)
        np.testing.assert_allclose(tree.value[~inner], leaf[~inner], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(2 * tree.gain[inner], gain[inner], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(tree.sum_hess, cover, rtol=1e-5)
    X_new = _float32(rng.normal(size=(100, X.shape[1])))
    np.testing.assert_allclose(ours.decision_function(X_new), ref.predict(X_new, output_margin=True),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("seed", range(6))
def test_missing_values_follow_xgboosts_default_directions(seed):
    """NaN in the features: every split's learned default direction and the margins match XGBoost's."""
    rng = np.random.default_rng(50 + seed)
    logistic = seed % 2 == 1
    X, y = _problem(rng, logistic)
    for j in range(X.shape[1]):
        X[rng.random(len(X)) < rng.choice([0.0, 0.1, 0.4]), j] = np.nan
    if not logistic:
        y = y + 2.0 * np.isnan(X[:, 0])                    # missingness that carries information
    params = dict(n_estimators=4, learning_rate=0.5, max_depth=int(rng.integers(1, 5)), reg_lambda=1.0,
                  min_child_weight=float(rng.choice([0.0, 1.0])))
    base = 0.5 if logistic else 0.0
    ours = boosting.BoostedTrees("logistic" if logistic else "squared_error", base_score=base,
                                 **params).fit(X, y)
    Reference = xgb.XGBClassifier if logistic else xgb.XGBRegressor
    ref = Reference(tree_method="exact", base_score=base, n_jobs=1, **params).fit(X, y)
    for k, tree in enumerate(ours.trees_):
        feature, threshold, _, _, _, missing_left = _xgb_levels(ref.get_booster(), k)
        np.testing.assert_array_equal(tree.feature, feature)
        inner = feature >= 0
        np.testing.assert_array_equal(tree.default_left[inner], missing_left[inner])
        np.testing.assert_allclose(tree.threshold[inner], threshold[inner], rtol=1e-6)
    X_new = _float32(rng.normal(size=(100, X.shape[1])))
    X_new[rng.random(X_new.shape) < 0.3] = np.nan
    np.testing.assert_allclose(ours.decision_function(np.vstack([X, X_new])),
                               ref.predict(np.vstack([X, X_new]), output_margin=True), rtol=1e-5, atol=1e-5)


def test_staged_margins_match_xgboost_iteration_range():
    rng = np.random.default_rng(11)
    X, y = _problem(rng, logistic=True)
    params = dict(n_estimators=6, learning_rate=0.5, max_depth=3)
    ours = boosting.BoostedTrees("logistic", base_score=0.3, **params).fit(X, y)
    ref = xgb.XGBClassifier(tree_method="exact", base_score=0.3, n_jobs=1, **params).fit(X, y)
    staged = ours.staged_decision_function(X)
    assert staged.shape == (7, len(X))
    np.testing.assert_allclose(staged[0], np.log(0.3 / 0.7), rtol=1e-12)
    for k in range(1, 7):
        np.testing.assert_allclose(staged[k], ref.predict(X, output_margin=True, iteration_range=(0, k)),
                                   rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_tree_at_lambda_zero_is_weighted_least_squares(seed):
    """With lambda = 0 a Newton tree is scikit-learn's least-squares tree on -g/h with sample weights h."""
    rng = np.random.default_rng(100 + seed)
    X, y = _problem(rng, logistic=True)
    terms = boosting.logistic_loss(y, rng.normal(size=len(y)))
    tree = boosting.grow_tree(X, terms.grad, terms.hess, max_depth=3, learning_rate=1.0, reg_lambda=0.0,
                              min_child_weight=0.0)
    ref = DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, -terms.grad / terms.hess,
                                                                 sample_weight=terms.hess)
    # On the training rows: where several features cut a small node the same way (a tie), scikit-learn picks one
    # at random and this module the lowest, which moves new points but not the rows themselves.
    assert tree.n_leaves == ref.get_n_leaves()
    np.testing.assert_allclose(boosting.predict_tree(tree, X), ref.predict(X), rtol=1e-9, atol=1e-12)


def test_losses_match_finite_differences_and_sklearn():
    rng = np.random.default_rng(3)
    F = rng.normal(scale=3, size=50)
    y_bin, y_real = (rng.random(50) < 0.4).astype(float), rng.normal(size=50)
    for loss, y in [(boosting.logistic_loss, y_bin), (boosting.squared_error, y_real)]:
        terms, e1, e2 = loss(y, F), 1e-5, 1e-3
        g_fd = (loss(y, F + e1).loss - loss(y, F - e1).loss) / (2 * e1)
        h_fd = (loss(y, F + e2).loss - 2 * terms.loss + loss(y, F - e2).loss) / e2**2
        np.testing.assert_allclose(terms.grad, g_fd, rtol=1e-7, atol=1e-8)
        np.testing.assert_allclose(terms.hess, h_fd, rtol=1e-6, atol=1e-6)
    assert boosting.logistic_loss(y_bin, F).loss.mean() == pytest.approx(log_loss(y_bin, 1 / (1 + np.exp(-F))),
                                                                          rel=1e-10)
    big = boosting.logistic_loss(np.array([0.0, 1.0]), np.array([800.0, -800.0]))   # no overflow
    np.testing.assert_allclose(big.loss, [800.0, 800.0])
    np.testing.assert_allclose(big.hess, [0.0, 0.0], atol=1e-300)


def test_leaf_weight_and_gain_against_numerical_minimisation():
    """The leaf value and score minimise G w + (H + lambda) w^2 / 2; the gain is a difference of scores."""
    rng = np.random.default_rng(5)
    for _ in range(5):
        GL, GR = rng.normal(scale=4, size=2)
        HL, HR = rng.uniform(0.5, 10, size=2)
        lam, gamma = rng.uniform(0, 3), rng.uniform(0, 1)

        def best(G, H, lam=lam):
            return minimize_scalar(lambda w: G * w + 0.5 * (H + lam) * w * w)

        left, right, parent = best(GL, HL), best(GR, HR), best(GL + GR, HL + HR)
        assert boosting.leaf_weight(GL, HL, lam) == pytest.approx(left.x, rel=1e-6)
        assert boosting.leaf_objective(GL, HL, lam) == pytest.approx(left.fun, rel=1e-9)
        assert boosting.split_gain(GL, HL, GR, HR, lam, gamma) == pytest.approx(
            parent.fun - left.fun - right.fun - gamma, rel=1e-7, abs=1e-9)


def test_gamma_prunes_after_growing():
    """XOR: a worthless first split survives a gamma it does not meet, because its children exceed it."""
    X = np.repeat([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]], 10, axis=0)
    y = X[:, 0] * X[:, 1] + 0.1 * np.random.default_rng(0).normal(size=40)
    terms = boosting.squared_error(y, np.zeros(40))
    kept = boosting.grow_tree(X, terms.grad, terms.hess, max_depth=2, learning_rate=1.0, gamma=1.0)
    assert kept.n_leaves == 4 and kept.gain[0] < 1.0
    gone = boosting.grow_tree(X, terms.grad, terms.hess, max_depth=2, learning_rate=1.0, gamma=100.0)
    assert gone.n_leaves == 1 and gone.feature.tolist() == [-1]
    assert gone.value[0] == pytest.approx(-terms.grad.sum() / (40 + 1.0))


def test_min_child_weight_blocks_light_children_and_zeroes_a_light_root():
    X = np.arange(6.0)[:, None]
    g, h = np.array([-1.0, -1.0, -1.0, 1.0, 1.0, 1.0]), np.full(6, 0.5)
    assert boosting.grow_tree(X, g, h, max_depth=1, min_child_weight=1.0).threshold[0] == 2.5
    assert boosting.grow_tree(X, g, h, max_depth=1, min_child_weight=1.6).n_leaves == 1
    assert boosting.grow_tree(X, g, h, max_depth=1, min_child_weight=5.0).value[0] == 0.0   # H = 3 < 5


def test_bad_inputs_raise_value_errors():
    X, y = np.zeros((4, 2)), np.array([0.0, 1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="objective"):
        boosting.BoostedTrees("hinge").fit(X, y)
    with pytest.raises(ValueError, match="labels 0 and 1"):
        boosting.BoostedTrees("logistic").fit(X, y + 0.5)
    with pytest.raises(ValueError, match="infinite"):
        boosting.BoostedTrees().fit(np.full((4, 2), np.inf), y)
    with pytest.raises(ValueError, match="y contains NaN"):
        boosting.BoostedTrees().fit(X, np.full(4, np.nan))
    with pytest.raises(ValueError, match="one entry per row"):
        boosting.BoostedTrees().fit(X, y[:3])
    for bad in [dict(max_depth=0), dict(learning_rate=0.0), dict(reg_lambda=-1.0), dict(gamma=-0.1),
                dict(min_child_weight=-1.0), dict(n_estimators=-1), dict(base_score=float("nan"))]:
        with pytest.raises(ValueError, match=next(iter(bad))):
            boosting.BoostedTrees(**bad).fit(X, y)
    with pytest.raises(ValueError, match="base_score"):
        boosting.BoostedTrees("logistic", base_score=1.0).fit(X, y)
    with pytest.raises(ValueError, match="not fitted"):
        boosting.BoostedTrees().predict(X)
    model = boosting.BoostedTrees(n_estimators=2).fit(X, y)
    with pytest.raises(ValueError, match="2 columns"):
        model.predict(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="objective='logistic'"):
        model.predict_proba(X)
    with pytest.raises(ValueError, match="hess must be non-negative"):
        boosting.grow_tree(X, y, -np.ones(4))
    with pytest.raises(ValueError, match="one entry per row"):
        boosting.grow_tree(X, y, np.ones(3))
    with pytest.raises(ValueError, match="NewtonTree"):
        boosting.predict_tree("tree", X)
    tree = boosting.grow_tree(np.column_stack([np.zeros(4), np.arange(4.0)]), y - 0.5, np.ones(4), max_depth=1)
    with pytest.raises(ValueError, match="splits on column"):
        boosting.predict_tree(tree, np.zeros((2, 1)))

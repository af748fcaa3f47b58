"""Bagging, random forests and AdaBoost against scikit-learn's ensembles."""

import numpy as np
import pytest
from sklearn.ensemble import AdaBoostClassifier, BaggingClassifier, RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier
from test_trees import _children_loss, _compare

from mlsheet_utils.algorithms.trees import ensemble as ens

SEEDS = [0, 1, 2]


def _data(seed, n=200, d=4, k=2):
    r = np.random.default_rng(seed)
    X = r.normal(size=(n, d)).astype(np.float32).astype(float)      # scikit-learn's trees work in float32
    score = X[:, 0] + np.sin(2 * X[:, 1]) + 0.4 * r.normal(size=n)
    y = (score > 0).astype(int) if k == 2 else np.digitize(score, [-0.6, 0.6])
    return X, y


def _sk_bagging(seed, k):
    X, y = _data(seed, k=k)
    bag = BaggingClassifier(DecisionTreeClassifier(max_depth=3, min_samples_leaf=5), n_estimators=15,
                            oob_score=True, random_state=seed).fit(X, y)
    return X, y, bag, np.array(bag.estimators_samples_)


@pytest.mark.parametrize("seed,k", [(3, 2), (1, 3)])
def test_bagging_matches_sklearn_on_its_bootstrap_samples(seed, k):
    X, y, bag, samples = _sk_bagging(seed, k)
    trees = ens.fit_trees(X, y, samples, max_depth=3, min_samples_leaf=5, n_classes=k)
    assert min(t.margin[~t.is_leaf].min() for t in trees) > 1e-9          # no ties: every split is determined
    X_new = _data(seed + 100, n=300)[0]
    np.testing.assert_allclose(ens.forest_proba(trees, X_new), bag.predict_proba(X_new), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ens.oob_proba(trees, samples, X), bag.oob_decision_function_, rtol=1e-12,
                               atol=1e-15)
    staged = ens.forest_proba(trees, X_new, staged=True)
    np.testing.assert_allclose(staged[4], np.mean([e.predict_proba(X_new) for e in bag.estimators_[:5]], axis=0),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("seed", SEEDS)
def test_bagged_trees_match_sklearn_tree_by_tree(seed):
    """With ties allowed: below a tied split the trees may differ, but scikit-learn's split is as good as ours."""
    X, y, bag, samples = _sk_bagging(seed, 3)
    trees = ens.fit_trees(X, y, samples, max_depth=3, min_samples_leaf=5, n_classes=3)
    for tree, est in zip(trees, bag.estimators_):
        assert _compare(tree, est, _children_loss) > 1


@pytest.mark.parametrize("seed", [0, 1, 3])           # boosting runs without a tied split (asserted)
@pytest.mark.parametrize("k,depth", [(2, 1), (3, 1), (2, 2)])
def test_adaboost_matches_sklearn(seed, k, depth):
    X, y = _data(seed, k=k)
    ours = ens.adaboost_samme(X, y, 30, max_depth=depth, learning_rate=0.7)
    ref = AdaBoostClassifier(DecisionTreeClassifier(max_depth=depth), n_estimators=30, learning_rate=0.7,
                             random_state=seed).fit(X, y)
    assert all(t.margin[~t.is_leaf].min() > 1e-9 for t in ours.trees)
    np.testing.assert_allclose(ours.alphas, ref.estimator_weights_, rtol=1e-9)
    np.testing.assert_allclose(ours.errors, ref.estimator_errors_, rtol=1e-9)
    X_new = _data(seed + 100, n=300)[0]
    scores = ens.samme_scores(ours, X_new, staged=True)
    ref_scores = np.array(list(ref.staged_decision_function(X_new)))
    if k == 2:
        scores = scores[..., 1] - scores[..., 0]
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-9, atol=1e-12)
    est = ens.AdaBoostClassifier(30, max_depth=depth, learning_rate=0.7).fit(X, np.array(list("abc"))[y])
    assert np.array_equal(est.predict(X_new), np.array(list("abc"))[ref.predict(X_new)])


def test_adaboost_stops_at_a_perfect_learner_like_sklearn():
    X = np.arange(20.0)[:, None]
    y = (X[:, 0] > 9).astype(int)
    ours = ens.adaboost_samme(X, y, 10)
    ref = AdaBoostClassifier(DecisionTreeClassifier(max_depth=1), n_estimators=10).fit(X, y)
    assert len(ours.trees) == len(ref.estimators_) == 1 and ours.alphas[0] == ref.estimator_weights_[0] == 1.0


def test_random_forest_agrees_with_sklearn_in_distribution():
    X, y = _data(4, n=150)
    X_new = _data(5, n=60)[0]
    n_trees = 200
    ours = ens.fit_trees(X, y, ens.bootstrap_samples(len(y), n_trees, rng=1), max_features="sqrt", rng=2)
    ref = RandomForestClassifier(n_trees, max_features="sqrt", random_state=0).fit(X, y)
    p_ours = np.array([t.value[ens.cart._apply(t, X_new)][:, 1] for t in ours])
    p_ref = np.array([t.predict_proba(X_new)[:, 1] for t in ref.estimators_])
    se = np.sqrt(p_ours.var(0, ddof=1) / n_trees + p_ref.var(0, ddof=1) / n_trees)
    varied = se > 0
    z = (p_ours.mean(0) - p_ref.mean(0))[varied] / se[varied]
    assert np.mean(z**2) < 2.0 and np.abs(z).max() < 4.5              # the mean tree agrees within its noise


def test_bootstrap_samples_miss_about_one_row_in_e():
    n, b = 500, 400
    samples = ens.bootstrap_samples(n, b, rng=3)
    assert samples.shape == (b, n) and samples.min() >= 0 and samples.max() < n
    missed = np.array([n - len(np.unique(s)) for s in samples]) / n
    expected = (1 - 1 / n) ** n
    assert abs(missed.mean() - expected) < 4 * missed.std(ddof=1) / np.sqrt(b)
    assert np.array_equal(samples, ens.bootstrap_samples(n, b, rng=3))


def test_estimators_fit_and_predict():
    X, y = _data(6)
    labels = np.where(y == 1, "yes", "no")
    forest = ens.RandomForestClassifier(n_estimators=20, rng=0).fit(X, labels)
    bagging = ens.BaggingClassifier(n_estimators=20, rng=0).fit(X, labels)
    for model in (forest, bagging):
        assert set(model.predict(X)) <= {"yes", "no"} and np.mean(model.predict(X) == labels) > 0.9
        assert np.all(np.isfinite(model.oob_decision_function_))
    assert not np.array_equal(forest.predict_proba(X), bagging.predict_proba(X))


# -- bad input ----------------------------------------------------------------------------------------------

def test_bad_input_raises_value_error():
    X, y = _data(0, n=20)
    trees = ens.fit_trees(X, y, ens.bootstrap_samples(20, 3, rng=0))
    with pytest.raises(ValueError, match="samples"):
        ens.fit_trees(X, y, np.array([[0, 1, 25]]))
    with pytest.raises(ValueError, match="class indices"):
        ens.fit_trees(X, y + 0.5, ens.bootstrap_samples(20, 3))
    with pytest.raises(ValueError, match="criterion"):
        ens.fit_trees(X, y, ens.bootstrap_samples(20, 3), criterion="squared_error")
    with pytest.raises(ValueError, match="n_estimators"):
        ens.adaboost_samme(X, y, 0)
    with pytest.raises(ValueError, match="learning_rate"):
        ens.adaboost_samme(X, y, 5, learning_rate=0.0)
    with pytest.raises(ValueError, match="result"):
        ens.samme_scores(trees, X)
    with pytest.raises(ValueError, match="samples"):
        ens.oob_proba(trees, np.zeros((2, 20), dtype=int), X)
    with pytest.raises(ValueError, match="columns"):
        ens.forest_proba(trees, X[:, :2])
    with pytest.raises(ValueError, match="trees"):
        ens.forest_proba([], X)
    with pytest.raises(ValueError, match="rng"):
        ens.bootstrap_samples(20, 3, rng=None)
    with pytest.raises(ValueError, match="no better than chance"):
        ens.adaboost_samme(np.zeros((4, 1)), np.array([0, 1, 0, 1]), 3)

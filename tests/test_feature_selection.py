"""mlsheet_utils.algorithms.feature_selection against scikit-learn, SciPy and exact definitions."""

import numpy as np
import pytest
from scipy import stats
from sklearn import feature_selection as skfs
from sklearn.linear_model import LinearRegression, lars_path
from sklearn.metrics import mutual_info_score
from sklearn.neighbors import KNeighborsClassifier

from mlsheet_utils.algorithms import feature_selection as fs
from mlsheet_utils.algorithms import model_selection as ms


def test_filters_match_sklearn():
    rng = np.random.default_rng(0)
    for _ in range(10):
        n, p, k = int(rng.integers(20, 80)), int(rng.integers(1, 8)), int(rng.integers(2, 5))
        y = rng.integers(0, k, n)
        y[:k] = np.arange(k)
        X = rng.poisson(rng.uniform(0.5, 5, p), size=(n, p)).astype(float) + y[:, None] * rng.uniform(0, 1, p)
        chi_o, chi_r = fs.chi2_scores(X, y), skfs.chi2(X, y)
        np.testing.assert_allclose(chi_o.statistic, chi_r[0], rtol=1e-10)
        np.testing.assert_allclose(chi_o.pvalue, chi_r[1], rtol=1e-8, atol=1e-300)
        f_o = fs.anova_f(X, y)
        np.testing.assert_allclose(f_o.statistic, skfs.f_classif(X, y)[0], rtol=1e-10)
        np.testing.assert_allclose(f_o.statistic[0], stats.f_oneway(*(X[y == c, 0] for c in range(k))).statistic,
                                   rtol=1e-10)
        np.testing.assert_allclose(fs.pearson_scores(X, y.astype(float)), skfs.r_regression(X, y), rtol=1e-10,
                                   atol=1e-14)
        t = float(rng.uniform(0, 3))
        assert np.array_equal(fs.variance_threshold(X, t), skfs.VarianceThreshold(t).fit(X).get_support())
        kk = int(rng.integers(0, p + 1))
        assert np.array_equal(fs.top_k_mask(f_o.statistic, kk),
                              skfs.SelectKBest(skfs.f_classif, k=kk).fit(X, y).get_support())


def test_mutual_info_is_the_plug_in_estimate():
    rng = np.random.default_rng(1)
    for _ in range(10):
        X = rng.integers(0, int(rng.integers(2, 6)), size=(60, 4))
        y = (X[:, 0] + rng.integers(0, 2, 60)) % 3
        ours = fs.mutual_info_discrete(X, y)
        np.testing.assert_allclose(ours, [mutual_info_score(X[:, j], y) for j in range(4)], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(ours, skfs.mutual_info_classif(X, y, discrete_features=True), rtol=1e-10,
                                   atol=1e-14)


def test_drop_correlated_properties():
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(100, 3))
    X = np.column_stack([Z, Z[:, 0] + 0.05 * rng.normal(size=100), Z[:, 1] * 2 + 0.01 * rng.normal(size=100)])
    keep = fs.drop_correlated(X, 0.9)
    assert keep.tolist() == [True, True, True, False, False]


def test_wrappers_match_sklearn():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 6))
    y = (X[:, 1] + 0.5 * X[:, 4] + 0.3 * rng.normal(size=60) > 0).astype(int)
    folds = ms.stratified_kfold_split(y, 3)
    path = fs.forward_selection(KNeighborsClassifier(3), X, y, 2, folds)
    sfs = skfs.SequentialFeatureSelector(KNeighborsClassifier(3), n_features_to_select=2, cv=folds).fit(X, y)
    assert set(path.order.tolist()) == set(np.flatnonzero(sfs.get_support()).tolist())
    yr = X @ rng.normal(size=6) + rng.normal(size=60)
    ours = fs.rfe(LinearRegression(), X, yr, 2, step=2)
    ref = skfs.RFE(LinearRegression(), n_features_to_select=2, step=2).fit(X, yr)
    assert np.array_equal(ours.ranking, ref.ranking_) and np.array_equal(ours.support, ref.support_)


def test_lasso_entry_against_lars():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(80, 5))
    X = (X - X.mean(0)) / X.std(0)
    y = X @ np.array([3.0, -2.0, 1.0, 0.5, 0.0]) + rng.normal(size=80)
    y -= y.mean()
    entry = fs.lasso_entry_order(X, y, n_alphas=150, eps=1e-3)
    alphas, _, coefs = lars_path(X, y, method="lasso")
    exact = alphas[(coefs != 0).argmax(axis=1) - 1]
    step = 1e-3 ** (1 / 149)
    inside = exact > 1e-3 * exact.max()
    assert np.all(entry.entry_alpha <= exact * (1 + 1e-9))
    assert np.all(entry.entry_alpha[inside] > exact[inside] * step)


@pytest.mark.parametrize("call", [
    lambda: fs.variance_threshold(np.zeros((3, 2)), -1.0),
    lambda: fs.chi2_scores(-np.ones((4, 2)), [0, 1, 0, 1]),
    lambda: fs.anova_f(np.zeros((4, 2)), [0, 0, 0, 0]),
    lambda: fs.top_k_mask([1.0, 2.0], 3),
    lambda: fs.drop_correlated(np.zeros((3, 2)), 1.5),
    lambda: fs.rfe(object(), np.zeros((4, 2)), np.zeros(4)),
    lambda: fs.forward_selection(KNeighborsClassifier(1), np.zeros((4, 2)), np.zeros(4), 3, [([0, 1], [2, 3])]),
    lambda: fs.lasso_entry_order(np.zeros((4, 2)), np.zeros(4), n_alphas=1),
    lambda: fs.SelectKBest(None, 1).fit(np.zeros((3, 2)), np.zeros(3)),
])
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()

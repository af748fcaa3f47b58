"""Feature scalers against scikit-learn's preprocessing estimators on seeded random inputs."""

import numpy as np
import pytest
from sklearn import preprocessing as skp

from mlsheet_utils.algorithms import preprocessing as prep


def _data(seed, n=40, d=6):
    g = np.random.default_rng(seed)
    A = g.standard_normal((n, d)) * np.geomspace(0.01, 100.0, d) + g.normal(0, 10, d)
    A[:, 0] = 3.5                                        # a constant column
    B = g.standard_normal((n // 2, d)) * 50.0
    return A, B


CASES = [
    (lambda: prep.StandardScaler(), lambda: skp.StandardScaler()),
    (lambda: prep.StandardScaler(with_mean=False), lambda: skp.StandardScaler(with_mean=False)),
    (lambda: prep.MinMaxScaler(), lambda: skp.MinMaxScaler()),
    (lambda: prep.MinMaxScaler(feature_range=(-2.0, 5.0)), lambda: skp.MinMaxScaler(feature_range=(-2.0, 5.0))),
    (lambda: prep.RobustScaler(), lambda: skp.RobustScaler()),
    (lambda: prep.RobustScaler(quantile_range=(5.0, 60.0)), lambda: skp.RobustScaler(quantile_range=(5.0, 60.0))),
    (lambda: prep.RobustScaler(with_centering=False), lambda: skp.RobustScaler(with_centering=False)),
    (lambda: prep.MaxAbsScaler(), lambda: skp.MaxAbsScaler()),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_column_scalers_match_sklearn(seed, case):
    A, B = _data(seed)
    ours, ref = CASES[case][0]().fit(A), CASES[case][1]().fit(A)
    Z = ours.transform(B)
    np.testing.assert_allclose(Z, ref.transform(B), rtol=1e-11, atol=1e-10)
    np.testing.assert_allclose(ours.inverse_transform(Z), B, rtol=1e-11, atol=1e-10)
    np.testing.assert_allclose(ours.fit_transform(A), ref.transform(A), rtol=1e-11, atol=1e-10)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("p, name", [(1, "l1"), (2, "l2"), (np.inf, "max")])
def test_normalizer_matches_sklearn(seed, p, name):
    A, B = _data(seed)
    B[0] = 0.0                                           # a zero row stays zero
    np.testing.assert_allclose(prep.Normalizer(norm=p).fit(A).transform(B),
                               skp.Normalizer(norm=name).transform(B), rtol=1e-12, atol=1e-15)


def test_general_p_norm_against_numpy():
    X = np.random.default_rng(4).standard_normal((7, 5))
    Z = prep.row_normalize(X, 3.0)
    np.testing.assert_allclose(np.linalg.norm(Z, ord=3, axis=1), 1.0, rtol=1e-12)


def test_zero_scale_columns_are_flagged():
    X = np.column_stack([np.full(8, 2.0), np.r_[np.zeros(7), 2.0], np.arange(8.0)])
    assert prep.standard_scaling(X).degenerate.tolist() == [True, False, False]
    assert prep.robust_scaling(X).degenerate.tolist() == [True, True, False]
    assert np.all(prep.MinMaxScaler().fit_transform(X)[:, 0] == 0.0)


def test_standard_ddof_matches_numpy_std():
    X = np.random.default_rng(5).standard_normal((9, 3))
    np.testing.assert_allclose(prep.standard_scaling(X, ddof=1).scale, X.std(axis=0, ddof=1), rtol=1e-13)


@pytest.mark.parametrize("call, word", [
    (lambda: prep.StandardScaler().fit(np.ones(5)), "X"),
    (lambda: prep.StandardScaler().fit(np.array([[1.0, np.nan]])), "X"),
    (lambda: prep.MinMaxScaler(feature_range=(1.0, 1.0)).fit(np.ones((3, 2))), "feature_range"),
    (lambda: prep.RobustScaler(quantile_range=(80.0, 20.0)).fit(np.ones((3, 2))), "quantile_range"),
    (lambda: prep.standard_scaling(np.ones((3, 2)), ddof=3), "ddof"),
    (lambda: prep.row_normalize(np.ones((3, 2)), 0.5), "norm"),
    (lambda: prep.StandardScaler().transform(np.ones((3, 2))), "fit"),
    (lambda: prep.StandardScaler().fit(np.ones((3, 2))).transform(np.ones((3, 3))), "columns"),
])
def test_bad_input_raises(call, word):
    with pytest.raises(ValueError, match=word):
        call()

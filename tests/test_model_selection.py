"""mlsheet_utils.algorithms.model_selection against scikit-learn and closed forms (numpy-ml style)."""

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score, learning_curve

from mlsheet_utils.algorithms import model_selection as ms


def _same(ours, ref):
    ref = list(ref)
    return len(ours) == len(ref) and all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
                                         for a, b in zip(ours, ref))


def test_kfold_matches_sklearn():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = int(rng.integers(2, 60))
        k = int(rng.integers(2, n + 1))
        assert _same(ms.kfold_split(n, k), KFold(k).split(np.zeros(n)))


def test_stratified_kfold_matches_sklearn():
    rng = np.random.default_rng(1)
    for _ in range(20):
        n = int(rng.integers(10, 80))
        y = rng.choice(["a", "b", "c"], size=n, p=[0.6, 0.3, 0.1])
        k = int(rng.integers(2, 6))
        if k > np.unique(y, return_counts=True)[1].max():
            continue
        with pytest.warns(UserWarning) if np.unique(y, return_counts=True)[1].min() < k else _nothing():
            ref = list(StratifiedKFold(k).split(np.zeros(n), y))
        assert _same(ms.stratified_kfold_split(y, k), ref)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False


def test_shuffled_folds_partition_and_stratify():
    y = np.r_[np.zeros(37, int), np.ones(11, int)]
    for rng in range(5):
        for split in (ms.kfold_split(y.size, 4, shuffle=True, rng=rng),
                      ms.stratified_kfold_split(y, 4, shuffle=True, rng=rng)):
            assert np.array_equal(np.sort(np.concatenate([te for _, te in split])), np.arange(y.size))
        counts = np.array([np.bincount(y[te], minlength=2) for _, te in split])
        assert np.all(np.abs(counts - np.bincount(y) / 4) < 1)


def test_cross_val_scores_and_learning_curve_match_sklearn():
    rng = np.random.default_rng(2)
    for _ in range(5):
        X = rng.normal(size=(40, 3))
        y = X @ rng.normal(size=3) + rng.normal(size=40)
        folds = ms.kfold_split(40, 5, shuffle=True, rng=int(rng.integers(100)))
        np.testing.assert_allclose(ms.cross_val_scores(Ridge(0.5), X, y, folds, scoring="neg_mean_squared_error"),
                                   cross_val_score(Ridge(0.5), X, y, cv=folds, scoring="neg_mean_squared_error"),
                                   rtol=1e-12)
        lc = ms.cv_learning_curve(Ridge(0.5), X, y, [5, 20, 32], folds)
        _, tr, va = learning_curve(Ridge(0.5), X, y, train_sizes=[5, 20, 32], cv=folds,
                                   scoring="neg_mean_squared_error")
        np.testing.assert_allclose(lc.train_mse, -tr, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(lc.val_mse, -va, rtol=1e-10)


def test_gd_curve_matches_closed_form():
    rng = np.random.default_rng(3)
    X, Xv = rng.normal(size=(30, 4)), rng.normal(size=(10, 4))
    y, yv = rng.normal(size=30), rng.normal(size=10)
    lr, T = 0.3, 50
    got = ms.gd_validation_curve(X, y, Xv, yv, lr=lr, n_iter=T)
    Xc = X - X.mean(0)
    lam, V = np.linalg.eigh(Xc.T @ Xc / 30)
    b = Xc.T @ (y - y.mean()) / 30
    t = np.arange(T + 1)[:, None]
    closed = ((1 - (1 - lr * lam) ** t) / lam * (V.T @ b)) @ V.T
    np.testing.assert_allclose(got.coefs, closed, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got.val_mse[-1], np.mean((yv - got.intercepts[-1] - Xv @ closed[-1]) ** 2), rtol=1e-9)


def test_early_stopping_against_brute_force():
    rng = np.random.default_rng(4)
    for _ in range(100):
        v = rng.normal(size=int(rng.integers(1, 40))).cumsum()
        patience, delta = int(rng.integers(1, 6)), float(rng.uniform(0, 0.5))
        best, best_t, stop, stopped = v[0], 0, v.size - 1, False
        for t in range(1, v.size):                      # the rule written as "epochs since the best"
            if v[t] < best - delta:
                best, best_t = v[t], t
            elif t - best_t >= patience:
                stop, stopped = t, True
                break
        got = ms.early_stopping(v, patience, min_delta=delta)
        assert (got.best_epoch, got.stop_epoch, got.stopped) == (best_t, stop, stopped)


def test_pipeline_fits_transformers_on_training_rows_only():
    class Recorder:
        def fit(self, X, y):
            self.n_ = len(X)
            return self

        def transform(self, X):
            return X

    rec = Recorder()
    folds = ms.kfold_split(20, 4)
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20.0)
    ms.cross_val_scores(ms.Pipeline([rec, Ridge(1.0)]), X, y, folds, scoring="neg_mean_squared_error")
    assert rec.n_ == 15


@pytest.mark.parametrize("call", [
    lambda: ms.kfold_split(5, 6),
    lambda: ms.kfold_split(5, 1),
    lambda: ms.stratified_kfold_split([0, 0, 1, 1], 3),
    lambda: ms.cross_val_scores(object(), np.zeros((4, 1)), np.zeros(4), ms.kfold_split(4, 2)),
    lambda: ms.cross_val_scores(Ridge(), np.zeros((4, 1)), np.zeros(4), [([0, 1], [9])]),
    lambda: ms.cross_val_scores(Ridge(), np.zeros((4, 1)), np.zeros(4), ms.kfold_split(4, 2), scoring="f1"),
    lambda: ms.early_stopping([], 2),
    lambda: ms.early_stopping([1.0, 2.0], 0),
    lambda: ms.gd_validation_curve(np.zeros((3, 2)), np.zeros(3), np.zeros((2, 2)), np.zeros(2), lr=0.0, n_iter=3),
    lambda: ms.Pipeline([]).fit(np.zeros((3, 1)), np.zeros(3)),
])
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()

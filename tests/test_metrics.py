"""Metrics against scikit-learn, SciPy and exact enumeration over seeded random problems (numpy-ml style)."""

import itertools

import numpy as np
import pytest
from scipy.spatial.distance import euclidean
from scipy.stats import mannwhitneyu
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from mlsheet_utils.algorithms import metrics


def _problems(seed, count=15):
    """Random binary problems with ties in the scores (scores rounded to 0-2 decimals)."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n = int(rng.integers(4, 250))
        y = (rng.random(n) < rng.uniform(0.05, 0.7)).astype(int)
        y[:2] = [1, 0]
        s = np.round(rng.standard_normal(n) + rng.uniform(0, 2) * y, int(rng.integers(0, 3)))
        yield y, s


def test_curves_match_sklearn():
    for y, s in _problems(0):
        roc = metrics.roc_curve(y, s)
        fpr, tpr, thr = skm.roc_curve(y, s, drop_intermediate=False)
        np.testing.assert_allclose(roc.fpr, fpr, rtol=1e-12)
        np.testing.assert_allclose(roc.tpr, tpr, rtol=1e-12)
        np.testing.assert_array_equal(roc.thresholds, thr)
        pr = metrics.precision_recall_curve(y, s)
        prec, rec, t = skm.precision_recall_curve(y, s)
        np.testing.assert_allclose(pr.precision, prec[::-1], rtol=1e-12)
        np.testing.assert_allclose(pr.recall, rec[::-1], rtol=1e-12)
        np.testing.assert_array_equal(pr.thresholds[1:], t[::-1])


def test_threshold_counts_by_enumeration():
    for y, s in _problems(1, 8):
        c = metrics.threshold_counts(y, s)
        np.testing.assert_array_equal(c.thresholds, np.unique(s)[::-1])
        for t, tp, fp in zip(c.thresholds, c.tp, c.fp):
            assert tp == np.sum((s >= t) & (y == 1)) and fp == np.sum((s >= t) & (y == 0))
        assert (c.n_pos, c.n_neg) == (y.sum(), (1 - y).sum())


def test_auc_two_ways_vs_sklearn_and_mannwhitneyu():
    for y, s in _problems(2):
        ref = skm.roc_auc_score(y, s)
        roc = metrics.roc_curve(y, s)
        assert metrics.trapezoid_area(roc.fpr, roc.tpr) == pytest.approx(ref, rel=1e-12)
        assert metrics.roc_auc_rank(y, s) == pytest.approx(ref, rel=1e-12)
        u = mannwhitneyu(s[y == 1], s[y == 0]).statistic
        assert metrics.roc_auc_rank(y, s) == pytest.approx(u / (y.sum() * (1 - y).sum()), rel=1e-12)


def test_auc_is_the_pairwise_win_rate():
    y, s = next(_problems(3))
    pos, neg = s[y == 1], s[y == 0]
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a, b in itertools.product(pos, neg))
    assert metrics.roc_auc_rank(y, s) == pytest.approx(wins / (pos.size * neg.size), rel=1e-12)


def test_trapezoid_area_vs_numpy():
    rng = np.random.default_rng(4)
    x, y = np.sort(rng.random(20)), rng.random(20)
    assert metrics.trapezoid_area(x, y) == pytest.approx(np.trapezoid(y, x), rel=1e-12)
    assert metrics.trapezoid_area(x[::-1], y[::-1]) == pytest.approx(-np.trapezoid(y, x), rel=1e-12)


def test_average_precision_vs_sklearn():
    for y, s in _problems(5):
        assert metrics.average_precision(y, s) == pytest.approx(skm.average_precision_score(y, s), rel=1e-12)
    rng = np.random.default_rng(6)
    Y = (rng.random((60, 5)) < 0.3).astype(int)
    Y[0] = 1
    S = rng.standard_normal((60, 5)) + Y
    assert metrics.mean_average_precision(Y, S) == pytest.approx(
        skm.average_precision_score(Y, S, average="macro"), rel=1e-12)


def test_average_precision_with_missed_positives_scales_recall():
    # two detections, both correct, out of four objects: recall reaches 1/2, AP = 1/2
    assert metrics.average_precision([1, 1], [0.9, 0.8], n_positives=4) == pytest.approx(0.5)


def test_counts_and_rates_vs_sklearn():
    rng = np.random.default_rng(7)
    for y, s in _problems(7):
        yp = (s > rng.normal()).astype(int)
        c = metrics.binary_counts(y, yp)
        np.testing.assert_array_equal([[c.tn, c.fp], [c.fn, c.tp]], skm.confusion_matrix(y, yp, labels=[0, 1]))
        ours = [c.precision, c.recall, c.fbeta(1.0), c.fbeta(0.5), c.fbeta(3.0), c.accuracy, c.balanced_accuracy]
        ref = [skm.precision_score(y, yp, zero_division=np.nan), skm.recall_score(y, yp),
               skm.f1_score(y, yp, zero_division=np.nan), skm.fbeta_score(y, yp, beta=0.5, zero_division=np.nan),
               skm.fbeta_score(y, yp, beta=3.0, zero_division=np.nan), skm.accuracy_score(y, yp),
               skm.balanced_accuracy_score(y, yp)]
        np.testing.assert_allclose(ours, ref, rtol=1e-12, equal_nan=True)


def test_confusion_matrix_multiclass_vs_sklearn():
    rng = np.random.default_rng(8)
    yt, yp = rng.integers(0, 4, 200) * 3, rng.integers(0, 4, 200) * 3
    np.testing.assert_array_equal(metrics.confusion_matrix(yt, yp), skm.confusion_matrix(yt, yp))
    labels = [9, 0, 6, 3]
    np.testing.assert_array_equal(metrics.confusion_matrix(yt, yp, labels),
                                  skm.confusion_matrix(yt, yp, labels=labels))


def test_probability_scores_vs_sklearn():
    rng = np.random.default_rng(9)
    for y, s in _problems(9):
        p = 1 / (1 + np.exp(-rng.uniform(0.5, 3) * s))
        assert metrics.log_loss(y, p) == pytest.approx(skm.log_loss(y, p), rel=1e-12)
        assert metrics.brier_score(y, p) == pytest.approx(skm.brier_score_loss(y, p), rel=1e-12)
        bins = metrics.calibration_bins(y, p, n_bins=8)
        true, pred = calibration_curve(y, p, n_bins=8)
        full = bins.counts > 0
        np.testing.assert_allclose(bins.fraction_positive[full], true, rtol=1e-12)
        np.testing.assert_allclose(bins.mean_predicted[full], pred, rtol=1e-12)
        assert bins.counts.sum() == y.size
        assert bins.ece == pytest.approx(np.sum(bins.counts[full] * np.abs(true - pred)) / y.size, rel=1e-12)


def test_log_loss_clips_like_sklearn():
    assert metrics.log_loss([1, 0], [0.0, 1.0]) == pytest.approx(skm.log_loss([1, 0], [0.0, 1.0]), rel=1e-12)


def test_regression_metrics_vs_sklearn_and_scipy():
    rng = np.random.default_rng(10)
    for _ in range(5):
        n = int(rng.integers(2, 100))
        y, f = rng.standard_normal(n), rng.standard_normal(n)
        r = metrics.regression_metrics(y, f)
        np.testing.assert_allclose([r.mse, r.rmse, r.mae, r.r2, r.euclidean],
                                   [skm.mean_squared_error(y, f), skm.root_mean_squared_error(y, f),
                                    skm.mean_absolute_error(y, f), skm.r2_score(y, f), euclidean(y, f)], rtol=1e-12)


def test_box_iou_by_counting_pixels():
    rng = np.random.default_rng(11)
    lo = rng.integers(0, 12, (6, 2))
    a = np.c_[lo, lo + rng.integers(1, 8, (6, 2))]
    lo = rng.integers(0, 12, (5, 2))
    b = np.c_[lo, lo + rng.integers(1, 8, (5, 2))]

    def mask(box):
        m = np.zeros((24, 24), dtype=bool)
        m[box[1]:box[3], box[0]:box[2]] = True
        return m

    ref = np.array([[(mask(p) & mask(q)).sum() / (mask(p) | mask(q)).sum() for q in b] for p in a])
    np.testing.assert_allclose(metrics.box_iou(a, b), ref, rtol=1e-12)


def test_match_detections_greedy_by_score():
    gt = [[0, 0, 10, 10], [20, 20, 30, 30]]
    boxes = [[1, 1, 10, 10], [0, 0, 10, 9], [50, 50, 60, 60], [21, 21, 30, 30]]
    scores = [0.6, 0.9, 0.8, 0.3]
    m = metrics.match_detections(boxes, scores, gt, iou_threshold=0.5)
    np.testing.assert_array_equal(m.order, [1, 2, 0, 3])
    # 0.9 takes object 0, 0.8 overlaps nothing, 0.6 duplicates object 0, 0.3 finds object 1
    np.testing.assert_array_equal(m.true_positive, [True, False, False, True])
    np.testing.assert_array_equal(m.matched_gt, [0, -1, -1, 1])
    ap = metrics.average_precision(m.true_positive.astype(int), np.sort(scores)[::-1], n_positives=m.n_gt)
    assert ap == pytest.approx(0.5 * 1.0 + 0.5 * 0.5)


@pytest.mark.parametrize("call,match", [
    (lambda: metrics.roc_curve([0, 0, 0], [1, 2, 3]), "both classes"),
    (lambda: metrics.roc_curve([0, 2, 1], [1, 2, 3]), "only 0 and 1"),
    (lambda: metrics.roc_curve([0, 1], [1, 2, 3]), "scores must have"),
    (lambda: metrics.roc_auc_rank([0, 1], [np.nan, 1.0]), "scores contains NaN"),
    (lambda: metrics.average_precision([0, 0], [1, 2]), "no positive"),
    (lambda: metrics.average_precision([1, 1], [1, 2], n_positives=1), "n_positives"),
    (lambda: metrics.log_loss([0, 1], [0.5, 1.5]), "p must lie in"),
    (lambda: metrics.calibration_bins([0, 1], [0.5, 0.5], n_bins=0), "n_bins"),
    (lambda: metrics.trapezoid_area([0, 2, 1], [1, 1, 1]), "monotone"),
    (lambda: metrics.confusion_matrix([0, 1], [0, 2], labels=[0, 1]), "not in labels"),
    (lambda: metrics.binary_counts([0, 1], [0, 1, 1]), "y_pred must have"),
    (lambda: metrics.BinaryCounts(1, 1, 1, 1).fbeta(0.0), "beta"),
    (lambda: metrics.box_iou([[0, 0, -1, 1]], [[0, 0, 1, 1]]), "x2 >= x1"),
    (lambda: metrics.match_detections([[0, 0, 1, 1]], [0.5], [[0, 0, 1, 1]], iou_threshold=0), "iou_threshold"),
    (lambda: metrics.mean_average_precision([[1, 0], [0, 0]], [[1, 2], [3, 4]]), "columns \\[1\\]"),
    (lambda: metrics.regression_metrics([], []), "y_true must not be empty"),
])
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()

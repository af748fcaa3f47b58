r"""Performance metrics from scratch: counts, curves, areas, probability scores, regression and boxes.

A binary problem has labels ``y_true`` in {0, 1} (1 is the positive class) and real-valued ``scores``; a sample
is predicted positive when its score is at least the threshold (scikit-learn's convention).

Counts at one or at every threshold

- :func:`confusion_matrix`        ``C[i, j]`` = samples of true class ``i`` predicted ``j``;
- :func:`binary_counts`           a :class:`BinaryCounts` (TP, FP, FN, TN) with precision, recall, FPR, F-beta;
- :func:`threshold_counts`        TP and FP at every distinct score used as a threshold (one sort);

Curves and areas

- :func:`roc_curve`               FPR and TPR at every threshold (a :class:`RocCurve`);
- :func:`precision_recall_curve`  precision and recall at every threshold (a :class:`PrecisionRecallCurve`);
- :func:`trapezoid_area`          the area under a piecewise-linear curve;
- :func:`roc_auc_rank`            ROC-AUC as the Mann-Whitney statistic :math:`U / (n_1 n_0)`, with mid-ranks;
- :func:`average_precision`       :math:`\mathrm{AP} = \sum_n (R_n - R_{n-1}) P_n`;
- :func:`mean_average_precision`  the mean of the per-column AP of a label matrix;

Probabilities

- :func:`log_loss`, :func:`brier_score`   two proper scoring rules;
- :func:`calibration_bins`        observed frequency against mean predicted probability per bin, and the ECE;

Regression and detection

- :func:`regression_metrics`      MSE, RMSE, MAE, :math:`R^2` and the Euclidean distance of the residual;
- :func:`box_iou`                 intersection over union of axis-aligned boxes, every pair;
- :func:`match_detections`        greedy matching of scored detections to ground-truth boxes at an IoU threshold.

Public functions validate their input once and raise ``ValueError`` naming the argument.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.validation import as_array, check_float, check_int

EPS = np.finfo(float).eps


# -- validation ------------------------------------------------------------------------------------------------

def _labels01(y_true, name: str = "y_true") -> np.ndarray:
    """``y_true`` as a 1-D int array of zeros and ones."""
    y = as_array(y_true, name, ndim=1)
    if y.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all((y == 0) | (y == 1)):
        bad = np.unique(y[(y != 0) & (y != 1)])[:3]
        raise ValueError(f"{name} must hold only 0 and 1 (1 = positive), got values such as {bad.tolist()}")
    return y.astype(np.int64)


def _binary_scored(y_true, scores, *, both_classes: bool = True) -> tuple[np.ndarray, np.ndarray]:
    y = _labels01(y_true)
    s = as_array(scores, "scores", ndim=1)
    if s.shape != y.shape:
        raise ValueError(f"scores must have one entry per label of y_true ({y.size}), got {s.size}")
    if both_classes and (y.min() == y.max()):
        raise ValueError(f"y_true must contain both classes, got only {int(y[0])}s")
    return y, s


def _probabilities(p, n: int) -> np.ndarray:
    p = as_array(p, "p", ndim=1)
    if p.size != n:
        raise ValueError(f"p must have one entry per label of y_true ({n}), got {p.size}")
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"p must lie in [0, 1], got values from {p.min():.3g} to {p.max():.3g}")
    return p


# -- counts ----------------------------------------------------------------------------------------------------

def confusion_matrix(y_true, y_pred, labels=None) -> np.ndarray:
    """Confusion matrix ``C[i, j]`` = number of samples of true class ``labels[i]`` predicted ``labels[j]``.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (n,)
        Class labels (numbers).
    labels : array_like, shape (K,), optional
        The classes, in the order of the rows and columns; default: the sorted union of both arrays.

    Returns
    -------
    ndarray of int, shape (K, K); the diagonal holds the correct predictions, ``C.sum() == n``.
    """
    yt = as_array(y_true, "y_true", ndim=1)
    yp = as_array(y_pred, "y_pred", ndim=1)
    if yt.shape != yp.shape:
        raise ValueError(f"y_pred must have one entry per label of y_true ({yt.size}), got {yp.size}")
    labels = np.unique(np.concatenate([yt, yp])) if labels is None else as_array(labels, "labels", ndim=1)
    if labels.size == 0 or np.unique(labels).size != labels.size:
        raise ValueError(f"labels must be non-empty and distinct, got {labels.tolist()}")
    order = np.argsort(labels)
    sorted_labels = labels[order]
    idx = []
    for name, v in (("y_true", yt), ("y_pred", yp)):
        pos = np.clip(np.searchsorted(sorted_labels, v), 0, labels.size - 1)
        if not np.all(sorted_labels[pos] == v):
            raise ValueError(f"{name} holds values that are not in labels: {np.setdiff1d(v, labels)[:3].tolist()}")
        idx.append(order[pos])
    k = labels.size
    return np.bincount(idx[0] * k + idx[1], minlength=k * k).reshape(k, k)


@dataclass(frozen=True)
class BinaryCounts:
    """The four cells of a binary confusion matrix and the rates built from them.

    Attributes
    ----------
    tp, fp, fn, tn : int
        True positives, false positives, false negatives, true negatives.

    A rate whose denominator is zero (precision with no predicted positive, recall with no positive) is NaN.
    """

    tp: int
    fp: int
    fn: int
    tn: int

    @staticmethod
    def _ratio(num: float, den: float) -> float:
        return float(num) / den if den > 0 else float("nan")

    @property
    def precision(self) -> float:
        """:math:`TP / (TP + FP)`: the share of predicted positives that are positive."""
        return self._ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        """:math:`TP / (TP + FN)`, the true-positive rate (TPR, sensitivity)."""
        return self._ratio(self.tp, self.tp + self.fn)

    @property
    def fpr(self) -> float:
        """:math:`FP / (FP + TN)`, the false-positive rate (1 - specificity)."""
        return self._ratio(self.fp, self.fp + self.tn)

    @property
    def accuracy(self) -> float:
        """:math:`(TP + TN) / n`."""
        return self._ratio(self.tp + self.tn, self.tp + self.fp + self.fn + self.tn)

    @property
    def balanced_accuracy(self) -> float:
        """The mean of the two class-wise recalls, :math:`(TPR + TNR) / 2`."""
        return 0.5 * (self.recall + 1.0 - self.fpr)

    def fbeta(self, beta: float = 1.0) -> float:
        r""":math:`F_\beta = (1+\beta^2) TP / ((1+\beta^2) TP + \beta^2 FN + FP)`, the weighted harmonic mean of
        precision and recall (recall counts :math:`\beta` times as much); :math:`F_1 = 2TP / (2TP + FP + FN)`."""
        b2 = check_float(beta, "beta", low=0, low_open=True) ** 2
        return self._ratio((1 + b2) * self.tp, (1 + b2) * self.tp + b2 * self.fn + self.fp)


def binary_counts(y_true, y_pred) -> BinaryCounts:
    """Count TP, FP, FN and TN of binary predictions.

    Parameters
    ----------
    y_true, y_pred : array_like of 0/1 (or bool), shape (n,)

    Returns
    -------
    BinaryCounts
    """
    y = _labels01(y_true)
    p = _labels01(y_pred, "y_pred")
    if p.shape != y.shape:
        raise ValueError(f"y_pred must have one entry per label of y_true ({y.size}), got {p.size}")
    tp = int(np.sum(y & p))
    fp = int(np.sum(p)) - tp
    fn = int(np.sum(y)) - tp
    return BinaryCounts(tp, fp, fn, y.size - tp - fp - fn)


@dataclass(frozen=True)
class ThresholdCounts:
    """True and false positives when every distinct score is used as the threshold.

    Attributes
    ----------
    thresholds : ndarray, shape (m,)
        The distinct scores, in decreasing order.
    tp, fp : ndarray of int, shape (m,)
        Samples with score >= ``thresholds[i]`` that are positive / negative (non-decreasing).
    n_pos, n_neg : int
        Positives and negatives in all.
    """

    thresholds: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    n_pos: int
    n_neg: int


def _threshold_counts(y: np.ndarray, s: np.ndarray) -> ThresholdCounts:
    order = np.argsort(-s, kind="mergesort")
    s_sorted = s[order]
    last = np.r_[np.flatnonzero(np.diff(s_sorted) != 0), s.size - 1]   # last sample of each distinct score
    tp = np.cumsum(y[order])[last]
    n_pos = int(y.sum())
    return ThresholdCounts(s_sorted[last], tp, last + 1 - tp, n_pos, y.size - n_pos)


def threshold_counts(y_true, scores) -> ThresholdCounts:
    r"""TP and FP at every distinct score used as a threshold, from one sort: :math:`O(n \log n)`.

    Sorting the scores in decreasing order, the predicted positives at threshold :math:`t` are a prefix of the
    sorted samples, so :math:`TP(t)` is a cumulative sum of the sorted labels taken at the last sample of each
    group of tied scores (a tie is crossed all at once), and :math:`FP(t) = \#\{s \ge t\} - TP(t)`.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
    scores : array_like, shape (n,)

    Returns
    -------
    ThresholdCounts
    """
    y, s = _binary_scored(y_true, scores, both_classes=False)
    return _threshold_counts(y, s)


# -- curves and areas --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RocCurve:
    """The ROC curve: ``fpr[i]``, ``tpr[i]`` when predicting positive for scores >= ``thresholds[i]``.

    The first point is (0, 0) at threshold ``+inf`` (nothing predicted positive); the last is (1, 1).
    """

    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray


def roc_curve(y_true, scores) -> RocCurve:
    """ROC curve by a threshold sweep: :math:`FPR = FP/(FP+TN)` on x, :math:`TPR = TP/(TP+FN)` on y.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,), with both classes
    scores : array_like, shape (n,)

    Returns
    -------
    RocCurve with arrays of shape (m + 1,), m the number of distinct scores.
    """
    y, s = _binary_scored(y_true, scores)
    c = _threshold_counts(y, s)
    return RocCurve(np.r_[0.0, c.fp / c.n_neg], np.r_[0.0, c.tp / c.n_pos], np.r_[np.inf, c.thresholds])


@dataclass(frozen=True)
class PrecisionRecallCurve:
    """Precision and recall at each threshold, thresholds decreasing (recall non-decreasing).

    The first point, at threshold ``+inf``, is the convention recall 0, precision 1 (no prediction, no error).
    """

    precision: np.ndarray
    recall: np.ndarray
    thresholds: np.ndarray


def precision_recall_curve(y_true, scores) -> PrecisionRecallCurve:
    """Precision :math:`TP/(TP+FP)` against recall :math:`TP/(TP+FN)` at every distinct score as threshold.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,), with both classes
    scores : array_like, shape (n,)

    Returns
    -------
    PrecisionRecallCurve with arrays of shape (m + 1,), m the number of distinct scores.
    """
    y, s = _binary_scored(y_true, scores)
    c = _threshold_counts(y, s)
    return PrecisionRecallCurve(np.r_[1.0, c.tp / (c.tp + c.fp)], np.r_[0.0, c.tp / c.n_pos],
                                np.r_[np.inf, c.thresholds])


def trapezoid_area(x, y) -> float:
    r"""Area under the polygonal line through ``(x[i], y[i])``: :math:`\sum_i (x_{i+1}-x_i)(y_{i+1}+y_i)/2`.

    Parameters
    ----------
    x : array_like, shape (m,), monotone (non-decreasing or non-increasing), m >= 2
    y : array_like, shape (m,)

    Returns
    -------
    float, positive for increasing ``x`` and non-negative ``y``.
    """
    x = as_array(x, "x", ndim=1)
    y = as_array(y, "y", ndim=1)
    if x.size != y.size or x.size < 2:
        raise ValueError(f"x and y need the same length >= 2, got {x.size} and {y.size}")
    dx = np.diff(x)
    if not (np.all(dx >= 0) or np.all(dx <= 0)):
        raise ValueError("x must be monotone (sorted increasing or decreasing)")
    return float(np.sum(dx * (y[1:] + y[:-1])) / 2.0)


def roc_auc_rank(y_true, scores) -> float:
    r"""ROC-AUC as the Mann-Whitney statistic: :math:`\mathrm{AUC} = U / (n_1 n_0)`,
    :math:`U = R_1 - n_1(n_1+1)/2`.

    :math:`R_1` is the sum of the ranks of the positives among all scores (1 = smallest), tied scores sharing
    the mean of their ranks. Then :math:`U` counts the (positive, negative) pairs in which the positive scores
    higher, a tie counting one half, so :math:`\mathrm{AUC} = P(S_+ > S_-) + \tfrac12 P(S_+ = S_-)`.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,), with both classes
    scores : array_like, shape (n,)

    Returns
    -------
    float in [0, 1]
    """
    y, s = _binary_scored(y_true, scores)
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    start = np.cumsum(counts) - counts                  # 0-based position of each group of ties
    ranks = (start + (counts + 1) / 2.0)[inverse]       # mid-rank, 1-based
    n1 = int(y.sum())
    n0 = y.size - n1
    u = ranks[y == 1].sum() - n1 * (n1 + 1) / 2.0
    return float(u / (n1 * n0))


def average_precision(y_true, scores, *, n_positives: int | None = None) -> float:
    r"""Average precision :math:`\mathrm{AP} = \sum_n (R_n - R_{n-1})\,P_n` over the thresholds, decreasing.

    Each recall step is weighted by the precision reached at its end: the area under the precision-recall
    curve drawn as a staircase (no linear interpolation, which would be optimistic). A random ranking has
    expected AP close to the prevalence.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
    scores : array_like, shape (n,)
    n_positives : int, optional
        The recall denominator; default ``y_true.sum()``. Object detection passes the number of ground-truth
        objects, some of which no detection found (their recall is never reached).

    Returns
    -------
    float in [0, 1]
    """
    y, s = _binary_scored(y_true, scores, both_classes=False)
    n_pos = int(y.sum()) if n_positives is None else check_int(n_positives, "n_positives", low=max(1, int(y.sum())))
    if n_pos == 0:
        raise ValueError("y_true has no positive: average precision is undefined")
    c = _threshold_counts(y, s)
    precision = c.tp / (c.tp + c.fp)
    recall = c.tp / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def mean_average_precision(Y, S) -> float:
    """mAP: the mean over columns (classes, queries) of :func:`average_precision`.

    Parameters
    ----------
    Y : array_like of 0/1, shape (n, K); every column needs a positive
    S : array_like, shape (n, K), scores

    Returns
    -------
    float
    """
    Y = as_array(Y, "Y", ndim=2)
    S = as_array(S, "S", ndim=2)
    if Y.shape != S.shape:
        raise ValueError(f"S must have the shape of Y {Y.shape}, got {S.shape}")
    _labels01(Y.ravel(), "Y")
    if np.any(Y.sum(0) == 0):
        raise ValueError(f"every column of Y needs a positive; columns {np.flatnonzero(Y.sum(0) == 0).tolist()} "
                         f"have none")
    aps = []
    for k in range(Y.shape[1]):
        y = Y[:, k].astype(np.int64)
        c = _threshold_counts(y, S[:, k])
        aps.append(np.sum(np.diff(np.r_[0.0, c.tp / c.n_pos]) * c.tp / (c.tp + c.fp)))
    return float(np.mean(aps))


# -- probabilities -----------------------------------------------------------------------------------------------

def log_loss(y_true, p) -> float:
    r"""Mean negative log-likelihood of Bernoulli predictions,
    :math:`-\frac1n\sum_i [y_i \log p_i + (1-y_i)\log(1-p_i)]`.

    Probabilities are clipped to :math:`[\epsilon, 1-\epsilon]` (machine epsilon, as scikit-learn does), so a
    certain and wrong prediction costs :math:`-\log\epsilon \approx 36` instead of infinity.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
    p : array_like in [0, 1], shape (n,), the predicted probability of class 1

    Returns
    -------
    float >= 0
    """
    y = _labels01(y_true)
    p = np.clip(_probabilities(p, y.size), EPS, 1 - EPS)
    return float(-np.mean(np.where(y == 1, np.log(p), np.log1p(-p))))


def brier_score(y_true, p) -> float:
    r"""Brier score, the mean squared error of the probabilities: :math:`\frac1n\sum_i (p_i - y_i)^2`.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
    p : array_like in [0, 1], shape (n,)

    Returns
    -------
    float in [0, 1]
    """
    y = _labels01(y_true)
    p = _probabilities(p, y.size)
    return float(np.mean((p - y) ** 2))


@dataclass(frozen=True)
class CalibrationBins:
    r"""A reliability diagram's numbers.

    Attributes
    ----------
    edges : ndarray, shape (B + 1,)
        Bin ``b`` holds ``edges[b] < p <= edges[b + 1]`` (the first bin also holds ``p = 0``).
    counts : ndarray of int, shape (B,)
    mean_predicted : ndarray, shape (B,)
        Mean predicted probability in each bin (NaN for an empty bin).
    fraction_positive : ndarray, shape (B,)
        Observed frequency of class 1 in each bin (NaN for an empty bin).
    ece : float
        Expected calibration error :math:`\sum_b \frac{n_b}{n}\,|\bar y_b - \bar p_b|`.
    """

    edges: np.ndarray
    counts: np.ndarray
    mean_predicted: np.ndarray
    fraction_positive: np.ndarray
    ece: float


def calibration_bins(y_true, p, n_bins: int = 10) -> CalibrationBins:
    r"""Bin the predicted probabilities into ``n_bins`` equal-width bins of [0, 1] and compare each bin's mean
    prediction with its observed frequency of positives.

    A calibrated model has :math:`P(y = 1 \mid p) = p`, so each bin's points lie near the diagonal; the ECE
    averages the gaps, weighted by the bins' sizes.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
    p : array_like in [0, 1], shape (n,)
    n_bins : int >= 1

    Returns
    -------
    CalibrationBins
    """
    y = _labels01(y_true)
    p = _probabilities(p, y.size)
    n_bins = check_int(n_bins, "n_bins", low=1)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(edges[1:-1], p, side="left")
    counts = np.bincount(ids, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(ids, weights=p, minlength=n_bins) / counts
        frac = np.bincount(ids, weights=y, minlength=n_bins) / counts
    full = counts > 0
    ece = float(np.sum(counts[full] * np.abs(frac[full] - mean_p[full])) / y.size)
    return CalibrationBins(edges, counts, mean_p, frac, ece)


# -- regression and detection ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RegressionMetrics:
    r"""Errors of real-valued predictions.

    Attributes
    ----------
    mse : float      :math:`\frac1n\sum_i (y_i - \hat y_i)^2`
    rmse : float     :math:`\sqrt{\mathrm{MSE}}`, in the units of ``y``
    mae : float      :math:`\frac1n\sum_i |y_i - \hat y_i|`
    r2 : float       :math:`1 - \sum_i (y_i-\hat y_i)^2 / \sum_i (y_i - \bar y)^2` (NaN for a constant ``y``)
    euclidean : float  :math:`\lVert y - \hat y\rVert_2 = \sqrt{n}\,\mathrm{RMSE}`
    """

    mse: float
    rmse: float
    mae: float
    r2: float
    euclidean: float


def regression_metrics(y_true, y_pred) -> RegressionMetrics:
    """MSE, RMSE, MAE, :math:`R^2` and the Euclidean distance between targets and predictions.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (n,), n >= 1

    Returns
    -------
    RegressionMetrics
    """
    y = as_array(y_true, "y_true", ndim=1)
    f = as_array(y_pred, "y_pred", ndim=1)
    if y.size == 0 or f.shape != y.shape:
        raise ValueError(f"y_pred must have one entry per target of y_true ({y.size} >= 1), got {f.size}")
    r = y - f
    sse = float(r @ r)
    sst = float(np.sum((y - y.mean()) ** 2))
    return RegressionMetrics(sse / y.size, float(np.sqrt(sse / y.size)), float(np.mean(np.abs(r))),
                             1.0 - sse / sst if sst > 0 else float("nan"), float(np.sqrt(sse)))


def _boxes(b, name: str) -> np.ndarray:
    b = as_array(b, name, ndim=2)
    if b.shape[1] != 4:
        raise ValueError(f"{name} must have 4 columns (x1, y1, x2, y2), got shape {b.shape}")
    if np.any(b[:, 2] < b[:, 0]) or np.any(b[:, 3] < b[:, 1]):
        raise ValueError(f"{name}: every box needs x2 >= x1 and y2 >= y1")
    return b


def _box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    w = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    h = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = w * h
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def box_iou(a, b) -> np.ndarray:
    r"""Intersection over union of every pair of axis-aligned boxes,
    :math:`|A \cap B| / (|A| + |B| - |A \cap B|)`.

    Parameters
    ----------
    a : array_like, shape (n, 4), rows (x1, y1, x2, y2) with x2 >= x1, y2 >= y1
    b : array_like, shape (m, 4)

    Returns
    -------
    ndarray, shape (n, m), in [0, 1] (0 for two boxes of zero area)
    """
    return _box_iou(_boxes(a, "a"), _boxes(b, "b"))


@dataclass(frozen=True)
class DetectionMatch:
    """Detections sorted by decreasing score, each a true or a false positive.

    Attributes
    ----------
    order : ndarray of int, shape (m,)
        Indices of the detections, by decreasing score.
    true_positive : ndarray of bool, shape (m,)
        Whether the detection ``order[i]`` matched a ground-truth box not matched before.
    matched_gt : ndarray of int, shape (m,)
        The ground-truth box it matched, -1 for a false positive.
    n_gt : int
        Ground-truth boxes in all (the recall denominator).
    """

    order: np.ndarray
    true_positive: np.ndarray
    matched_gt: np.ndarray
    n_gt: int


def match_detections(boxes, scores, gt_boxes, iou_threshold: float = 0.5) -> DetectionMatch:
    """Match detections to ground truth greedily, highest score first (the COCO rule).

    A detection is a true positive when its best-overlapping ground-truth box among those not yet matched has
    IoU >= ``iou_threshold``; that box is then taken. Otherwise (no overlap, or a duplicate of an object already
    found) it is a false positive. AP follows from :func:`average_precision` with ``n_positives = n_gt``.

    Parameters
    ----------
    boxes : array_like, shape (m, 4); scores : array_like, shape (m,)
    gt_boxes : array_like, shape (g, 4), g >= 1
    iou_threshold : float in (0, 1]

    Returns
    -------
    DetectionMatch
    """
    boxes = _boxes(boxes, "boxes")
    gt = _boxes(gt_boxes, "gt_boxes")
    s = as_array(scores, "scores", ndim=1)
    if s.size != boxes.shape[0]:
        raise ValueError(f"scores must have one entry per row of boxes ({boxes.shape[0]}), got {s.size}")
    if gt.shape[0] == 0:
        raise ValueError("gt_boxes must hold at least one box")
    thr = check_float(iou_threshold, "iou_threshold", low=0, high=1, low_open=True)
    order = np.argsort(-s, kind="mergesort")
    iou = _box_iou(boxes[order], gt)
    taken = np.zeros(gt.shape[0], dtype=bool)
    matched = np.full(order.size, -1)
    for i in range(order.size):                        # sequential: each match removes a ground-truth box
        free = np.where(taken, -1.0, iou[i])
        j = int(np.argmax(free))
        if free[j] >= thr:
            taken[j], matched[i] = True, j
    return DetectionMatch(order, matched >= 0, matched, gt.shape[0])

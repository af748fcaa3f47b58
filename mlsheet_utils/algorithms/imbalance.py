r"""Learning from imbalanced classes: change the data, weight the loss, or move the threshold.

Resampling a binary data set (the minority is the less frequent of the two labels; ``ratio`` is the wanted
minority/majority ratio after resampling):

- :func:`random_oversample`    draw minority rows again, with replacement (a :class:`Resampled`);
- :func:`random_undersample`   keep a random subset of the majority rows (a :class:`Resampled`);
- :func:`smote`                add synthetic minority points on segments to minority nearest neighbours
  (a :class:`SmoteResult`);

Weights, thresholds and probabilities:

- :func:`balanced_class_weights`  :math:`w_c = n / (K n_c)`, scikit-learn's ``class_weight="balanced"``
  (a :class:`ClassWeights`, whose :meth:`ClassWeights.sample_weight` gives one weight per sample);
- :func:`cost_threshold`        the Bayes threshold :math:`c_{FP} / (c_{FP} + c_{FN})` for calibrated probabilities;
- :func:`min_cost_threshold`    the score threshold with the least total cost on labelled data
  (a :class:`ThresholdChoice`);
- :func:`prior_shift`           move probabilities learned at one class prior to another (undo resampling or
  class weights);

A problem whose answer is known, to check them against:

- :func:`gaussian_classes`      two Gaussian classes with a chosen prevalence;
- :func:`gaussian_posterior`    their exact :math:`P(y = 1 \mid x)`.

Public functions validate their input once and raise ``ValueError`` naming the argument.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from mlsheet_utils.algorithms import metrics
from mlsheet_utils.algorithms.clustering.kmeans import squared_distances
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state


def _binary_data(X, y) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``X`` (n, d), ``y`` (n,) with two labels; the indices of the minority and of the majority rows."""
    X = as_array(X, "X", ndim=2)
    as_array(y, "y", ndim=1)                       # numeric, finite, 1-D; the labels keep their dtype
    y = np.asarray(y)
    if y.size != X.shape[0]:
        raise ValueError(f"y must have one entry per row of X ({X.shape[0]}), got {y.size}")
    labels, counts = np.unique(y, return_counts=True)
    if labels.size != 2:
        raise ValueError(f"y must hold exactly two classes, got {labels.size}: {labels[:5].tolist()}")
    minority = labels[np.argmin(counts)] if counts[0] != counts[1] else labels[1]
    return X, y, np.flatnonzero(y == minority), np.flatnonzero(y != minority)


def _check_ratio(ratio, current: float) -> float:
    ratio = check_float(ratio, "ratio", low=0, high=1, low_open=True)
    if ratio < current - 1e-12:
        raise ValueError(f"ratio must be at least the current minority/majority ratio {current:.3g}, got {ratio}")
    return ratio


@dataclass(frozen=True)
class Resampled:
    """A resampled data set.

    Attributes
    ----------
    X : ndarray, shape (m, d)
    y : ndarray, shape (m,)
    indices : ndarray of int, shape (m,)
        The row of the original data each row copies: ``X == X_original[indices]``.
    """

    X: np.ndarray
    y: np.ndarray
    indices: np.ndarray


def random_oversample(X, y, *, ratio: float = 1.0, rng=0) -> Resampled:
    r"""Random oversampling: add minority rows drawn with replacement until
    :math:`n_{\min} = \mathrm{round}(\text{ratio}\cdot n_{\max})`.

    For a loss that is a sum over samples, a row drawn :math:`m` times counts exactly as that row with weight
    :math:`m`: oversampling is class weighting with random integer weights.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,), two classes
    ratio : float in (0, 1], at least the current minority/majority ratio
    rng : int or numpy.random.Generator

    Returns
    -------
    Resampled: the original rows first, then the added copies.
    """
    X, y, idx_min, idx_maj = _binary_data(X, y)
    ratio = _check_ratio(ratio, idx_min.size / idx_maj.size)
    rng = check_random_state(rng)
    n_add = max(0, int(round(ratio * idx_maj.size)) - idx_min.size)
    indices = np.r_[np.arange(y.size), rng.choice(idx_min, size=n_add, replace=True)]
    return Resampled(X[indices], y[indices], indices)


def random_undersample(X, y, *, ratio: float = 1.0, rng=0) -> Resampled:
    r"""Random undersampling: keep every minority row and a random subset of
    :math:`\mathrm{round}(n_{\min} / \text{ratio})` majority rows, drawn without replacement.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,), two classes
    ratio : float in (0, 1], at least the current minority/majority ratio
    rng : int or numpy.random.Generator

    Returns
    -------
    Resampled: the kept rows in their original order.
    """
    X, y, idx_min, idx_maj = _binary_data(X, y)
    ratio = _check_ratio(ratio, idx_min.size / idx_maj.size)
    rng = check_random_state(rng)
    n_keep = min(idx_maj.size, int(round(idx_min.size / ratio)))
    indices = np.sort(np.r_[idx_min, rng.choice(idx_maj, size=n_keep, replace=False)])
    return Resampled(X[indices], y[indices], indices)


@dataclass(frozen=True)
class SmoteResult:
    """SMOTE's output: the original data followed by the synthetic minority points.

    Attributes
    ----------
    X : ndarray, shape (n + s, d)
    y : ndarray, shape (n + s,)
    base, neighbor : ndarray of int, shape (s,)
        Rows of the original ``X`` each synthetic point was made from.
    gap : ndarray, shape (s,)
        Its position on the segment: ``X[n + i] = X[base[i]] + gap[i] * (X[neighbor[i]] - X[base[i]])``.
    """

    X: np.ndarray
    y: np.ndarray
    base: np.ndarray
    neighbor: np.ndarray
    gap: np.ndarray


def smote(X, y, *, k: int = 5, ratio: float = 1.0, rng=0) -> SmoteResult:
    r"""SMOTE (Chawla et al., 2002): synthesise minority points by interpolation between minority neighbours.

    Each synthetic point picks a minority point :math:`x_i` uniformly at random, one of its :math:`k` nearest
    minority neighbours :math:`x_j` (Euclidean, itself excluded) uniformly at random, and a gap
    :math:`\lambda \sim U[0, 1)`, and returns :math:`x_i + \lambda (x_j - x_i)`: a point on the segment
    between two minority points. Points are added until
    :math:`n_{\min} = \mathrm{round}(\text{ratio}\cdot n_{\max})`.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,), two classes
    k : int, 1 <= k < number of minority points
    ratio : float in (0, 1], at least the current minority/majority ratio
    rng : int or numpy.random.Generator

    Returns
    -------
    SmoteResult
    """
    X, y, idx_min, idx_maj = _binary_data(X, y)
    k = check_int(k, "k", low=1, high=idx_min.size - 1)
    ratio = _check_ratio(ratio, idx_min.size / idx_maj.size)
    rng = check_random_state(rng)
    Xm = X[idx_min]
    d2 = squared_distances(Xm, Xm)
    np.fill_diagonal(d2, np.inf)                                  # a point is not its own neighbour
    neighbours = np.argsort(d2, axis=1, kind="stable")[:, :k]     # (n_min, k)
    n_new = max(0, int(round(ratio * idx_maj.size)) - idx_min.size)
    base = rng.integers(idx_min.size, size=n_new)
    other = neighbours[base, rng.integers(k, size=n_new)]
    gap = rng.random(n_new)
    X_new = Xm[base] + gap[:, None] * (Xm[other] - Xm[base])
    return SmoteResult(np.vstack([X, X_new]), np.r_[y, np.full(n_new, y[idx_min[0]])],
                       idx_min[base], idx_min[other], gap)


@dataclass(frozen=True)
class ClassWeights:
    """One weight per class.

    Attributes
    ----------
    classes : ndarray, shape (K,), sorted
    weights : ndarray, shape (K,)
    """

    classes: np.ndarray
    weights: np.ndarray

    def sample_weight(self, y) -> np.ndarray:
        """The weight of each sample's class, shape (n,)."""
        y = as_array(y, "y", ndim=1)
        pos = np.clip(np.searchsorted(self.classes, y), 0, self.classes.size - 1)
        if not np.all(self.classes[pos] == y):
            raise ValueError(f"y holds classes without a weight: {np.setdiff1d(y, self.classes)[:3].tolist()}")
        return self.weights[pos]


def balanced_class_weights(y) -> ClassWeights:
    r"""Weights :math:`w_c = n / (K\,n_c)` for :math:`K` classes of sizes :math:`n_c`.

    Every class then carries the same total weight :math:`n_c w_c = n / K`, and the weights average to one over
    the samples (:math:`\sum_c n_c w_c = n`), so the loss keeps its scale.

    Parameters
    ----------
    y : array_like, shape (n,)

    Returns
    -------
    ClassWeights
    """
    y = as_array(y, "y", ndim=1)
    if y.size == 0:
        raise ValueError("y must not be empty")
    classes, counts = np.unique(y, return_counts=True)
    return ClassWeights(classes, y.size / (classes.size * counts))


def cost_threshold(cost_fp: float, cost_fn: float) -> float:
    r"""The probability threshold that minimises the expected cost: :math:`t^* = c_{FP} / (c_{FP} + c_{FN})`.

    Predicting positive costs :math:`(1 - p)\,c_{FP}` in expectation, predicting negative :math:`p\,c_{FN}`;
    the first is smaller exactly when :math:`p > t^*`. It assumes :math:`p = P(y = 1 \mid x)` (calibrated).

    Parameters
    ----------
    cost_fp, cost_fn : float > 0
        The cost of a false positive and of a false negative (correct answers cost nothing).

    Returns
    -------
    float in (0, 1)
    """
    cost_fp = check_float(cost_fp, "cost_fp", low=0, low_open=True)
    cost_fn = check_float(cost_fn, "cost_fn", low=0, low_open=True)
    return cost_fp / (cost_fp + cost_fn)


def prior_shift(p, *, train_prior: float, true_prior: float) -> np.ndarray:
    r"""Re-weight probabilities learned at class prior :math:`\pi'` (e.g. after resampling to 50/50) to the
    true prior :math:`\pi`.

    The class-conditional densities are unchanged, so only the prior odds in Bayes' rule move:

    .. math:: \operatorname{logit} p = \operatorname{logit} p' + \operatorname{logit} \pi
              - \operatorname{logit} \pi', \qquad
              p = \frac{(\pi/\pi')\,p'}{(\pi/\pi')\,p' + ((1-\pi)/(1-\pi'))\,(1-p')}.

    Parameters
    ----------
    p : array_like in [0, 1], any shape: the probabilities under the training prior
    train_prior, true_prior : float in (0, 1)

    Returns
    -------
    ndarray, the shape of ``p``
    """
    p = as_array(p, "p")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p must lie in [0, 1]")
    a = check_float(true_prior, "true_prior", low=0, high=1, low_open=True, high_open=True)
    b = check_float(train_prior, "train_prior", low=0, high=1, low_open=True, high_open=True)
    up, down = a / b, (1 - a) / (1 - b)
    return up * p / (up * p + down * (1 - p))


@dataclass(frozen=True)
class ThresholdChoice:
    r"""The threshold of :func:`min_cost_threshold`.

    Attributes
    ----------
    threshold : float
        Predict positive for scores >= threshold (``inf``: predict nothing positive).
    cost : float
        Total cost :math:`c_{FP}\,FP + c_{FN}\,FN` on the data at that threshold.
    """

    threshold: float
    cost: float


def min_cost_threshold(y_true, scores, *, cost_fp: float, cost_fn: float) -> ThresholdChoice:
    r"""Threshold moving on labelled (validation) data: the score threshold with the least total cost
    :math:`c_{FP}\,FP(t) + c_{FN}\,FN(t)`, over every distinct score and ``+inf``.

    It needs no calibrated probabilities, only a ranking; ties in cost go to the highest threshold.

    Parameters
    ----------
    y_true : array_like of 0/1, shape (n,)
    scores : array_like, shape (n,)
    cost_fp, cost_fn : float > 0

    Returns
    -------
    ThresholdChoice
    """
    cost_fp = check_float(cost_fp, "cost_fp", low=0, low_open=True)
    cost_fn = check_float(cost_fn, "cost_fn", low=0, low_open=True)
    c = metrics.threshold_counts(y_true, scores)
    cost = np.r_[cost_fn * c.n_pos, cost_fp * c.fp + cost_fn * (c.n_pos - c.tp)]
    best = int(np.argmin(cost))
    return ThresholdChoice(float(np.r_[np.inf, c.thresholds][best]), float(cost[best]))


def gaussian_classes(n: int, prevalence: float, *, separation: float = 2.0, dim: int = 2,
                     rng=0) -> tuple[np.ndarray, np.ndarray]:
    r"""Two Gaussian classes: :math:`x \mid y=0 \sim N(0, I)`, :math:`x \mid y=1 \sim N(\delta u, I)`,
    :math:`u = (1, \dots, 1)/\sqrt{d}`, with exactly :math:`\mathrm{round}(\pi n)` positives, shuffled.

    Parameters
    ----------
    n : int >= 2
    prevalence : float in (0, 1), the share :math:`\pi` of class 1
    separation : float >= 0, the distance :math:`\delta` between the class means
    dim : int >= 1
    rng : int or numpy.random.Generator

    Returns
    -------
    X : ndarray, shape (n, dim)
    y : ndarray of int, shape (n,)
    """
    n = check_int(n, "n", low=2)
    prevalence = check_float(prevalence, "prevalence", low=0, high=1, low_open=True, high_open=True)
    separation = check_float(separation, "separation", low=0)
    dim = check_int(dim, "dim", low=1)
    rng = check_random_state(rng)
    n1 = int(round(prevalence * n))
    if not 1 <= n1 <= n - 1:
        raise ValueError(f"prevalence {prevalence:g} of n = {n} gives {n1} positives; need between 1 and {n - 1}")
    X = rng.standard_normal((n, dim))
    X[:n1] += separation / np.sqrt(dim)
    y = np.r_[np.ones(n1, dtype=np.int64), np.zeros(n - n1, dtype=np.int64)]
    order = rng.permutation(n)
    return X[order], y[order]


def gaussian_posterior(X, prevalence: float, *, separation: float = 2.0) -> np.ndarray:
    r"""The exact :math:`P(y = 1 \mid x)` of :func:`gaussian_classes`: a logistic function of :math:`u^\top x`,

    .. math:: \operatorname{logit} P(y=1 \mid x) = \log\frac{\pi}{1-\pi} + \delta\,u^\top x - \delta^2/2.

    Parameters
    ----------
    X : array_like, shape (n, d)
    prevalence : float in (0, 1)
    separation : float >= 0

    Returns
    -------
    ndarray, shape (n,)
    """
    X = as_array(X, "X", ndim=2)
    prevalence = check_float(prevalence, "prevalence", low=0, high=1, low_open=True, high_open=True)
    separation = check_float(separation, "separation", low=0)
    z = X.sum(1) / np.sqrt(X.shape[1])
    return expit(np.log(prevalence / (1 - prevalence)) + separation * z - separation ** 2 / 2)

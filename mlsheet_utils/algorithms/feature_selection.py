"""Choosing a subset of the columns: filters, wrappers and an embedded (L1) ranking.

Filters score each feature on its own, from the data and the labels, before any model is fitted:

- :func:`variance_threshold`    keep columns whose variance exceeds a threshold (scikit-learn's
  ``VarianceThreshold``);
- :func:`pearson_scores`        correlation of each column with a numeric target (``r_regression``);
- :func:`drop_correlated`       drop a column when it is too correlated with one already kept (redundancy);
- :func:`chi2_scores`           the chi-squared statistic of non-negative (count) features against the classes
  (``chi2``), a :class:`TestScores`;
- :func:`anova_f`               the one-way ANOVA F statistic of each column across the classes (``f_classif``),
  a :class:`TestScores`;
- :func:`mutual_info_discrete`  the plug-in mutual information :math:`I(X_j; Y)` of discrete columns, in nats;
- :func:`top_k_mask`            the ``k`` highest scores as a boolean mask; :class:`SelectKBest` wraps a filter
  as a transformer (``fit``, ``transform``) that a :class:`~mlsheet_utils.algorithms.model_selection.Pipeline`
  can refit inside each fold.

Wrappers search over subsets with a model in the loop:

- :func:`forward_selection`  greedy: add the feature whose addition gives the best cross-validated score
  (``SequentialFeatureSelector``), a :class:`ForwardPath`;
- :func:`rfe`                recursive feature elimination: refit, drop the features with the smallest
  coefficients, repeat (``RFE``), an :class:`RFEResult`.

Embedded:

- :func:`lasso_entry_order`  the order in which features leave zero along the lasso path
  (:func:`mlsheet_utils.algorithms.regularization.enet_path`), a :class:`LassoEntry`.

Every public function validates its input once and raises ``ValueError`` naming the argument.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.stats

from mlsheet_utils.algorithms import model_selection, regularization
from mlsheet_utils.validation import as_array, check_float, check_int

__all__ = ["variance_threshold", "pearson_scores", "drop_correlated", "TestScores", "chi2_scores", "anova_f",
           "mutual_info_discrete", "top_k_mask", "SelectKBest", "ForwardPath",
           "forward_selection", "RFEResult", "rfe", "LassoEntry", "lasso_entry_order"]


def _X(X) -> np.ndarray:
    X = as_array(X, "X", ndim=2)
    if X.shape[0] < 2 or X.shape[1] < 1:
        raise ValueError(f"X must have at least 2 rows and 1 column, got shape {X.shape}")
    return X


def _Xy(X, y, *, numeric_y: bool = False) -> tuple[np.ndarray, np.ndarray]:
    X = _X(X)
    y = as_array(y, "y", ndim=1) if numeric_y else np.asarray(y)
    if y.ndim != 1 or y.size != X.shape[0]:
        raise ValueError(f"y must be 1-D with one entry per row of X ({X.shape[0]}), got shape {y.shape}")
    return X, y


def _classes(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Class codes 0..K-1 and the one-hot matrix, shape (n, K); at least two classes."""
    classes, code = np.unique(y, return_inverse=True)
    if classes.size < 2:
        raise ValueError(f"y must hold at least two classes, got {classes.size}")
    return code, np.eye(classes.size)[code]


# -- filters --------------------------------------------------------------------------------------------------

def variance_threshold(X, threshold: float = 0.0) -> np.ndarray:
    r"""Mask of the columns whose (population) variance is above ``threshold``.

    .. math:: \operatorname{keep}_j = \Big[\tfrac1n\sum_i (x_{ij} - \bar x_j)^2 > t\Big]

    With :math:`t = 0` it drops constant columns, which no model can use. It ignores the labels, so it can
    only remove what is useless for every task; variances depend on units, so compare them only between
    columns on one scale (0/1 indicators, counts).

    Parameters
    ----------
    X : array_like, shape (n, p)
    threshold : float >= 0

    Returns
    -------
    ndarray of bool, shape (p,)
    """
    X = _X(X)
    t = check_float(threshold, "threshold", low=0)
    var = X.var(axis=0)
    if t == 0:                                   # a constant column can show round-off variance: use its range
        var = np.minimum(var, np.ptp(X, axis=0))
    return var > t


def pearson_scores(X, y) -> np.ndarray:
    r"""Pearson correlation of every column with ``y``.

    .. math:: r_j = \frac{\sum_i (x_{ij} - \bar x_j)(y_i - \bar y)}
                          {\sqrt{\sum_i (x_{ij} - \bar x_j)^2}\sqrt{\sum_i (y_i - \bar y)^2}}

    It sees linear dependence only: :math:`y = x^2` with :math:`x` symmetric about zero has :math:`r = 0`.
    A constant column gets 0.

    Parameters
    ----------
    X : array_like, shape (n, p) ; y : array_like, shape (n,)

    Returns
    -------
    ndarray, shape (p,), in [-1, 1]
    """
    X, y = _Xy(X, y, numeric_y=True)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    den = np.sqrt((Xc**2).sum(axis=0) * (yc @ yc))
    return np.divide(Xc.T @ yc, den, out=np.zeros(X.shape[1]), where=den > 0)


def drop_correlated(X, threshold: float = 0.9) -> np.ndarray:
    r"""Mask of columns kept by a greedy redundancy filter: a column goes when it is too correlated with a kept one.

    Columns are visited in order; column :math:`j` is kept when :math:`|r_{jk}| \le t` for every column
    :math:`k < j` already kept. The result has no kept pair above :math:`t`, and every dropped column has a kept
    partner above it (so little information is lost when the pair is nearly collinear). The order decides which
    of a pair survives: put the columns you prefer first.

    Parameters
    ----------
    X : array_like, shape (n, p)
    threshold : float in [0, 1]

    Returns
    -------
    ndarray of bool, shape (p,)
    """
    X = _X(X)
    t = check_float(threshold, "threshold", low=0, high=1)
    Xc = X - X.mean(axis=0)
    norms = np.sqrt((Xc**2).sum(axis=0))
    Z = np.divide(Xc, norms, out=np.zeros_like(Xc), where=norms > 0)
    R = np.abs(Z.T @ Z)
    keep = np.zeros(X.shape[1], dtype=bool)
    for j in range(X.shape[1]):
        keep[j] = not np.any(R[j, keep] > t)
    return keep


@dataclass(frozen=True)
class TestScores:
    """A test statistic per feature and its p-value.

    Attributes
    ----------
    statistic : ndarray, shape (p,)
    pvalue : ndarray, shape (p,)
    """

    statistic: np.ndarray
    pvalue: np.ndarray


def chi2_scores(X, y) -> TestScores:
    r"""Chi-squared statistic of each non-negative feature against the classes (scikit-learn's ``chi2``).

    Treat feature :math:`j` as counts spread over the classes: the observed total in class :math:`c` is
    :math:`O_{cj} = \sum_{i: y_i = c} x_{ij}`; if the feature ignored the class, the class would receive its
    share of the feature's total, :math:`E_{cj} = \pi_c \sum_i x_{ij}` with :math:`\pi_c` the class frequency.

    .. math:: \chi^2_j = \sum_c \frac{(O_{cj} - E_{cj})^2}{E_{cj}}, \qquad
              p_j = P\big(\chi^2_{K-1} \ge \chi^2_j\big)

    For a 0/1 feature this is Pearson's test on the 2 x K table without its "feature absent" row, so it is not
    the full contingency-table test.

    Parameters
    ----------
    X : array_like, shape (n, p), non-negative (counts, frequencies, indicators)
    y : array_like, shape (n,), at least two classes

    Returns
    -------
    TestScores (NaN where a feature's total is zero)
    """
    X, y = _Xy(X, y)
    if np.any(X < 0):
        raise ValueError("X must be non-negative for the chi-squared test (counts or frequencies)")
    _, Y = _classes(y)
    observed = Y.T @ X                                        # (K, p)
    expected = np.outer(Y.mean(axis=0), X.sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = ((observed - expected) ** 2 / expected).sum(axis=0)
    return TestScores(stat, scipy.stats.chi2.sf(stat, Y.shape[1] - 1))


def anova_f(X, y) -> TestScores:
    r"""One-way ANOVA F statistic of each feature across the classes (scikit-learn's ``f_classif``).

    With :math:`K` classes of sizes :math:`n_c` and means :math:`\bar x_{cj}`,

    .. math:: F_j = \frac{\sum_c n_c(\bar x_{cj} - \bar x_j)^2 / (K - 1)}
                          {\sum_c\sum_{i \in c}(x_{ij} - \bar x_{cj})^2 / (n - K)},
              \qquad p_j = P\big(F_{K-1,\,n-K} \ge F_j\big):

    between-class over within-class variance. It sees differences in class means only. For two classes
    :math:`F = t^2` (the pooled two-sample t test) and :math:`F = (n-2)\,r^2/(1-r^2)` with :math:`r` the
    correlation of the feature with the 0/1 label, so ranking by :math:`F` is ranking by :math:`|r|`.

    Parameters
    ----------
    X : array_like, shape (n, p) ; y : array_like, shape (n,), with n greater than the number of classes

    Returns
    -------
    TestScores (infinite where a feature is constant within every class but not overall)
    """
    X, y = _Xy(X, y)
    code, Y = _classes(y)
    n, k = y.size, Y.shape[1]
    if n <= k:
        raise ValueError(f"y must hold more samples ({n}) than classes ({k})")
    counts = Y.sum(axis=0)
    means = (Y.T @ X) / counts[:, None]                      # (K, p)
    between = counts @ (means - X.mean(axis=0)) ** 2
    within = ((X - means[code]) ** 2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = (between / (k - 1)) / (within / (n - k))
    return TestScores(f, scipy.stats.f.sf(f, k - 1, n - k))


def _codes(X: np.ndarray) -> list[np.ndarray]:
    return [np.unique(col, return_inverse=True)[1] for col in X.T]


def mutual_info_discrete(X, y) -> np.ndarray:
    r"""Plug-in mutual information between each discrete column and the labels, in nats.

    .. math:: \hat I(X_j; Y) = \sum_{a, c} \hat p(a, c) \log\frac{\hat p(a, c)}{\hat p(a)\,\hat p(c)}

    with :math:`\hat p` the frequencies in the data. It is zero exactly when the table of counts is a product
    (the empirical distributions are independent) and it sees any dependence, not only a shift in the mean; it is
    biased upwards, by about :math:`(|A|-1)(|C|-1)/(2n)` for a column with :math:`|A|` values, so columns with
    many distinct values look informative on small samples.

    Parameters
    ----------
    X : array_like, shape (n, p)
        Discrete values (integers, or any values compared for equality).
    y : array_like, shape (n,)

    Returns
    -------
    ndarray, shape (p,), >= 0
    """
    X, y = _Xy(X, y)
    code_y = np.unique(y, return_inverse=True)[1]
    n = y.size
    out = np.empty(X.shape[1])
    for j, code_x in enumerate(_codes(X)):
        table = np.zeros((code_x.max() + 1, code_y.max() + 1))
        np.add.at(table, (code_x, code_y), 1.0)
        p = table / n
        outer = p.sum(axis=1, keepdims=True) * p.sum(axis=0, keepdims=True)
        nz = p > 0
        out[j] = max(float(np.sum(p[nz] * np.log(p[nz] / outer[nz]))), 0.0)
    return out


def top_k_mask(scores, k: int) -> np.ndarray:
    """Boolean mask of the ``k`` largest scores (ties broken towards the later column, as scikit-learn's
    ``SelectKBest``); NaN scores count as the smallest.

    Parameters
    ----------
    scores : array_like, shape (p,)
    k : int in [0, p]

    Returns
    -------
    ndarray of bool, shape (p,)
    """
    s = as_array(scores, "scores", ndim=1, finite=False)
    k = check_int(k, "k", low=0, high=s.size)
    mask = np.zeros(s.size, dtype=bool)
    if k:
        mask[np.argsort(np.where(np.isnan(s), -np.inf, s), kind="stable")[-k:]] = True
    return mask


class SelectKBest:
    """Keep the ``k`` columns a filter scores highest; fitted on training data, applied to any data.

    Parameters
    ----------
    score_func : callable ``(X, y) -> scores``
        Returns an array of shape (p,) or a :class:`TestScores` (its ``statistic`` is used), e.g.
        :func:`anova_f`, :func:`pearson_scores` (wrap it in ``abs``), :func:`mutual_info_discrete`.
    k : int >= 0

    Attributes
    ----------
    scores_ : ndarray, shape (p,)
    support_ : ndarray of bool, shape (p,)
    """

    def __init__(self, score_func, k: int = 10):
        self.score_func, self.k = score_func, k

    def fit(self, X, y) -> "SelectKBest":
        """Score the columns of ``X`` (shape (n, p)) against ``y`` and keep the top ``k``; returns ``self``."""
        if not callable(self.score_func):
            raise ValueError(f"score_func must be callable, got {type(self.score_func).__name__}")
        X = _X(X)
        scores = self.score_func(X, y)
        self.scores_ = np.asarray(getattr(scores, "statistic", scores), dtype=float)
        self.support_ = top_k_mask(self.scores_, self.k)
        return self

    def transform(self, X) -> np.ndarray:
        """The kept columns of ``X``, shape (m, k)."""
        if not hasattr(self, "support_"):
            raise ValueError("SelectKBest is not fitted yet: call fit(X, y) first")
        X = as_array(X, "X", ndim=2)
        if X.shape[1] != self.support_.size:
            raise ValueError(f"X must have {self.support_.size} columns, got {X.shape[1]}")
        return X[:, self.support_]


# -- wrappers -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ForwardPath:
    """Greedy forward selection, step by step.

    Attributes
    ----------
    order : ndarray of int, shape (m,)
        The feature added at each step.
    scores : ndarray, shape (m,)
        The mean cross-validated score after each addition.
    """

    order: np.ndarray
    scores: np.ndarray


def forward_selection(estimator, X, y, n_features: int, folds, *, scoring="accuracy") -> ForwardPath:
    r"""Add features one at a time, each time the one whose addition gives the best mean CV score.

    Step :math:`s` tries every unused feature :math:`j` with the :math:`s - 1` already chosen (columns in their
    original order, as scikit-learn's ``SequentialFeatureSelector(direction="forward")``), scores it by
    :func:`~mlsheet_utils.algorithms.model_selection.cross_val_scores`, and keeps the best (the first one on a
    tie). It costs :math:`O(p\,m)` cross-validations for :math:`m` steps, can miss features that help only in
    pairs (XOR), and its scores are optimistic for the subset it ends with: the search saw those folds.

    Parameters
    ----------
    estimator : object with ``fit`` and ``predict``
    X : array_like, shape (n, p) ; y : array_like, shape (n,)
    n_features : int in [1, p]
        Steps to take.
    folds : sequence of ``(train, test)`` index pairs
    scoring : as for :func:`~mlsheet_utils.algorithms.model_selection.cross_val_scores`

    Returns
    -------
    ForwardPath
    """
    X, y = _Xy(X, y)
    m = check_int(n_features, "n_features", low=1, high=X.shape[1])
    if isinstance(folds, str) or not hasattr(folds, "__iter__"):
        raise ValueError(f"folds must be a sequence of (train, test) index pairs, got {folds!r}")
    folds = list(folds)
    model_selection.cross_val_scores(estimator, X[:, :1], y, folds, scoring=scoring)   # validates once
    chosen = np.zeros(X.shape[1], dtype=bool)
    order, best_scores = [], []
    for _ in range(m):
        trial = {}
        for j in np.flatnonzero(~chosen):
            mask = chosen.copy()
            mask[j] = True
            trial[int(j)] = float(np.mean(model_selection.cross_val_scores(estimator, X[:, mask], y, folds,
                                                                           scoring=scoring)))
        j_best = max(trial, key=trial.get)
        chosen[j_best] = True
        order.append(j_best)
        best_scores.append(trial[j_best])
    return ForwardPath(np.array(order), np.array(best_scores))


@dataclass(frozen=True)
class RFEResult:
    """Recursive feature elimination.

    Attributes
    ----------
    support : ndarray of bool, shape (p,)
        The ``n_features_to_select`` survivors.
    ranking : ndarray of int, shape (p,)
        1 for a survivor, 2 for the last features eliminated, and so on (scikit-learn's ``ranking_``).
    """

    support: np.ndarray
    ranking: np.ndarray


def _importances(estimator) -> np.ndarray:
    if hasattr(estimator, "coef_"):
        coef = np.asarray(estimator.coef_, dtype=float)
        return np.abs(coef) if coef.ndim == 1 else np.abs(coef).sum(axis=0)
    if hasattr(estimator, "feature_importances_"):
        return np.asarray(estimator.feature_importances_, dtype=float)
    raise ValueError(f"the fitted {type(estimator).__name__} has neither coef_ nor feature_importances_")


def rfe(estimator, X, y, n_features_to_select: int = 1, *, step: int = 1) -> RFEResult:
    """Recursive feature elimination: fit, drop the ``step`` least important features, refit, until few are left.

    Importance is :math:`|w_j|` from ``coef_`` (summed over classes when ``coef_`` is 2-D) or
    ``feature_importances_``; with coefficients it is only meaningful on standardised features. Each round
    refits on the survivors, so a feature whose coefficient was small only because a correlated partner carried
    the signal gets a second chance once the partner is gone; a one-shot ranking by the first fit's
    coefficients does not. ``n_features_to_select = 1`` ranks every feature (the elimination order reversed).

    Parameters
    ----------
    estimator : object with ``fit(X, y)`` that sets ``coef_`` or ``feature_importances_``
    X : array_like, shape (n, p) ; y : array_like, shape (n,)
    n_features_to_select : int in [1, p]
    step : int >= 1
        Features removed per round (the last round removes fewer if needed).

    Returns
    -------
    RFEResult
    """
    X, y = _Xy(X, y)
    if not callable(getattr(estimator, "fit", None)):
        raise ValueError(f"estimator must have a fit(X, y) method, got {type(estimator).__name__}")
    p = X.shape[1]
    keep_n = check_int(n_features_to_select, "n_features_to_select", low=1, high=p)
    step = check_int(step, "step", low=1)
    support = np.ones(p, dtype=bool)
    ranking = np.ones(p, dtype=int)
    while support.sum() > keep_n:
        features = np.flatnonzero(support)
        importance = _importances(estimator.fit(X[:, features], y))
        drop = features[np.argsort(importance, kind="stable")[: min(step, features.size - keep_n)]]
        support[drop] = False
        ranking[~support] += 1
    return RFEResult(support, ranking)


# -- embedded -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LassoEntry:
    """When each feature first becomes non-zero along a decreasing lasso path.

    Attributes
    ----------
    order : ndarray of int, shape (m,)
        Features that enter anywhere on the path, earliest (largest penalty) first.
    entry_alpha : ndarray, shape (p,)
        The largest grid penalty at which the feature is non-zero (0 if it never is).
    """

    order: np.ndarray
    entry_alpha: np.ndarray


def lasso_entry_order(X, y, *, n_alphas: int = 200, eps: float = 1e-3) -> LassoEntry:
    r"""Rank features by how early they leave zero on the lasso path: the embedded (L1) selection.

    The lasso at penalty :math:`\alpha` keeps feature :math:`j` at zero while :math:`|x_j^\top r|/n \le \alpha`
    (:math:`r` the current residual); lowering :math:`\alpha` from
    :func:`~mlsheet_utils.algorithms.regularization.alpha_max` lets the features in one by one, most useful
    first, and the model at any :math:`\alpha` is fitted and selected in one go. Computed on
    :func:`~mlsheet_utils.algorithms.regularization.enet_path` over ``n_alphas`` penalties down to ``eps``
    times the largest; two features entering between the same two grid points keep their column order.
    Standardise the columns first: the penalty compares coefficients.

    Parameters
    ----------
    X : array_like, shape (n, p) ; y : array_like, shape (n,)
    n_alphas : int >= 2 ; eps : float in (0, 1)

    Returns
    -------
    LassoEntry
    """
    X, y = _Xy(X, y, numeric_y=True)
    n_alphas = check_int(n_alphas, "n_alphas", low=2)
    eps = check_float(eps, "eps", low=0, high=1, low_open=True, high_open=True)
    path = regularization.enet_path(X, y, n_alphas=n_alphas, eps=eps, tol=1e-6, max_iter=10_000)
    active = path.coefs != 0                                            # (n_alphas, p)
    entered = active.any(axis=0)
    first = np.where(entered, active.argmax(axis=0), n_alphas)
    entry_alpha = np.where(entered, path.alphas[np.minimum(first, n_alphas - 1)], 0.0)
    order = np.array([j for j in np.argsort(first, kind="stable") if entered[j]], dtype=int)
    return LassoEntry(order, entry_alpha)

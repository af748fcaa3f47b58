r"""Estimating how a model does on data it has not seen: splits, cross-validation, learning curves, early stopping.

Splits (lists of ``(train_indices, test_indices)`` pairs, the form scikit-learn's ``cv=`` accepts):

- :func:`kfold_split`             :math:`K` contiguous folds of sizes :math:`\lceil n/K\rceil` or
  :math:`\lfloor n/K\rfloor`, optionally after a seeded shuffle (scikit-learn's ``KFold``);
- :func:`stratified_kfold_split`  folds that keep every class's share (scikit-learn's ``StratifiedKFold``).

Scores:

- :func:`cross_val_scores`   fit on each training part, score on the held-out part (``cross_val_score``);
- :func:`cv_learning_curve`  training and validation error against the training-set size, on every fold, built
  on :func:`mlsheet_utils.algorithms.bias_variance.learning_curve` (a :class:`CVLearningCurve`);
- :class:`Pipeline`          transformers then an estimator, fitted as one, so that whatever the transformers
  learn (a scaling, a feature selection) is learned from the training part of each fold only.

Early stopping of gradient descent on least squares:

- :func:`gd_validation_curve`  the iterates of gradient descent from zero and their training and validation
  errors (a :class:`GDCurve`), through :func:`mlsheet_utils.algorithms.optim.gradient_descent_quadratic`;
- :func:`early_stopping`       the patience rule on a validation curve: stop after ``patience`` epochs without an
  improvement larger than ``min_delta``, keep the best epoch (an :class:`EarlyStop`).

Every public function validates its input once and raises ``ValueError`` naming the argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from mlsheet_utils.algorithms import bias_variance, optim
from mlsheet_utils.validation import as_array, check_bool, check_float, check_int, check_random_state

__all__ = ["kfold_split", "stratified_kfold_split", "cross_val_scores", "CVLearningCurve", "cv_learning_curve",
           "Pipeline", "GDCurve", "gd_validation_curve", "EarlyStop", "early_stopping"]


# -- splits -------------------------------------------------------------------------------------------------

def _check_splits(n_splits, n_samples: int) -> int:
    n_splits = check_int(n_splits, "n_splits", low=2)
    if n_splits > n_samples:
        raise ValueError(f"n_splits={n_splits} cannot exceed the number of samples ({n_samples})")
    return n_splits


def _pairs(fold_of: np.ndarray, n_splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(train, test)`` index pairs from the fold number of every sample (indices sorted increasingly)."""
    return [(np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)) for k in range(n_splits)]


def kfold_split(n_samples: int, n_splits: int = 5, *, shuffle: bool = False,
                rng=0) -> list[tuple[np.ndarray, np.ndarray]]:
    r"""Split ``range(n_samples)`` into ``n_splits`` test folds; each fold's complement is its training part.

    The samples (in order, or permuted by ``rng`` when ``shuffle``) are cut into consecutive blocks: the first
    :math:`n \bmod K` folds hold :math:`\lfloor n/K\rfloor + 1` samples, the others :math:`\lfloor n/K\rfloor`,
    so every sample is tested exactly once and fold sizes differ by at most one (scikit-learn's ``KFold``;
    its shuffled folds use another generator, so only the unshuffled ones coincide).

    Parameters
    ----------
    n_samples : int >= 2
    n_splits : int in [2, n_samples]
    shuffle : bool
    rng : int seed or numpy.random.Generator
        Used only when ``shuffle`` (checked always).

    Returns
    -------
    list of ``n_splits`` pairs ``(train, test)`` of int arrays, each sorted increasingly
    """
    n = check_int(n_samples, "n_samples", low=2)
    k = _check_splits(n_splits, n)
    check_bool(shuffle, "shuffle")
    check_random_state(rng)                                 # checked even when unused
    order = check_random_state(rng).permutation(n) if shuffle else np.arange(n)
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    fold_of = np.empty(n, dtype=int)
    fold_of[order] = np.repeat(np.arange(k), sizes)
    return _pairs(fold_of, k)


def stratified_kfold_split(y, n_splits: int = 5, *, shuffle: bool = False,
                           rng=0) -> list[tuple[np.ndarray, np.ndarray]]:
    r"""K folds in which every class keeps (to within one sample) its share of the whole data set.

    The allocation is scikit-learn's ``StratifiedKFold``: sort the labels (classes numbered in order of first
    appearance) and deal them round-robin to the folds; fold :math:`k` then receives
    :math:`a_{kc} = \#\{i \equiv k \pmod K : \text{the } i\text{-th sorted label is } c\}` samples of class
    :math:`c`, which differ across folds by at most one. Within a class the samples go, in data order (or
    shuffled by ``rng``), to fold 0 first, then fold 1, and so on. Without stratification a rare class can be
    missing from a fold altogether; with it, each fold's class frequencies match the data's.

    Parameters
    ----------
    y : array_like, shape (n,)
        Class labels (any values that ``numpy.unique`` can sort).
    n_splits : int >= 2, at most the size of the largest class
    shuffle : bool
    rng : int seed or numpy.random.Generator
        Used only when ``shuffle``.

    Returns
    -------
    list of ``n_splits`` pairs ``(train, test)`` of int arrays, each sorted increasingly
    """
    y = np.asarray(y)
    if y.ndim != 1 or y.size < 2:
        raise ValueError(f"y must be a 1-D array of at least 2 labels, got shape {y.shape}")
    k = _check_splits(n_splits, y.size)
    check_bool(shuffle, "shuffle")
    _, first, inverse = np.unique(y, return_index=True, return_inverse=True)
    code = np.argsort(np.argsort(first))[inverse]          # classes numbered in order of first appearance
    counts = np.bincount(code)
    if k > counts.max():
        raise ValueError(f"n_splits={k} is greater than the number of members in every class of y "
                         f"(largest class: {counts.max()})")
    sorted_codes = np.sort(code)
    allocation = np.array([np.bincount(sorted_codes[i::k], minlength=counts.size) for i in range(k)])
    gen = check_random_state(rng)
    fold_of = np.empty(y.size, dtype=int)
    for c in range(counts.size):
        folds_c = np.repeat(np.arange(k), allocation[:, c])
        if shuffle:
            gen.shuffle(folds_c)
        fold_of[code == c] = folds_c
    return _pairs(fold_of, k)


# -- cross-validated scores ---------------------------------------------------------------------------------

def _accuracy(y_true, y_pred) -> float:
    return float(np.mean(y_true == y_pred))


def _neg_mse(y_true, y_pred) -> float:
    return -float(np.mean((y_true - y_pred) ** 2))


_SCORERS = {"accuracy": _accuracy, "neg_mean_squared_error": _neg_mse}


def _check_estimator(estimator) -> None:
    if not (callable(getattr(estimator, "fit", None)) and callable(getattr(estimator, "predict", None))):
        raise ValueError(f"estimator must have fit(X, y) and predict(X) methods, got {type(estimator).__name__}")


def _check_scoring(scoring) -> Callable:
    if callable(scoring):
        return scoring
    if scoring not in _SCORERS:
        raise ValueError(f"scoring must be one of {sorted(_SCORERS)} or a callable(y_true, y_pred), got {scoring!r}")
    return _SCORERS[scoring]


def _check_folds(folds, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    if not np.iterable(folds) or isinstance(folds, str):
        raise ValueError(f"folds must be a sequence of (train, test) pairs, got {type(folds).__name__} {folds!r:.40}")
    folds = list(folds)
    if not folds:
        raise ValueError("folds must hold at least one (train, test) pair")
    checked = []
    for i, pair in enumerate(folds):
        if len(pair) != 2:
            raise ValueError(f"folds[{i}] must be a (train, test) pair of index arrays")
        tr, te = (np.asarray(part, dtype=int).ravel() for part in pair)
        if tr.size < 1 or te.size < 1 or min(tr.min(), te.min()) < 0 or max(tr.max(), te.max()) >= n:
            raise ValueError(f"folds[{i}] must hold at least one training and one test index in [0, {n})")
        checked.append((tr, te))
    return checked


def _xy(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = as_array(X, "X")
    if X.ndim not in (1, 2) or X.shape[0] < 2:
        raise ValueError(f"X must be 1-D or 2-D with at least 2 rows, got shape {X.shape}")
    y = np.asarray(y)
    if y.ndim != 1 or y.size != X.shape[0]:
        raise ValueError(f"y must be 1-D with one entry per row of X ({X.shape[0]}), got shape {y.shape}")
    if y.dtype.kind in "fc" and not np.all(np.isfinite(y)):
        raise ValueError(f"y contains NaN or infinite values ({int(np.sum(~np.isfinite(y)))} of {y.size} entries)")
    return X, y


def cross_val_scores(estimator, X, y, folds, *, scoring="accuracy") -> np.ndarray:
    r"""The score of ``estimator`` on each held-out fold after fitting it on the rest.

    .. math:: s_k = \operatorname{score}\big(y_{T_k},\ \hat f_{-k}(X_{T_k})\big), \qquad
              \hat f_{-k} = \text{fit on } \{1..n\} \setminus T_k ,

    and :math:`\bar s = \frac1K\sum_k s_k` estimates the score of the model fitted on all :math:`n` rows
    (slightly pessimistically: each fit saw only :math:`(K-1)/K` of them). Everything the estimator learns,
    including any preprocessing inside a :class:`Pipeline`, is learned from the training part alone; that is
    what makes the estimate honest.

    Parameters
    ----------
    estimator : object with ``fit(X, y)`` (returning the fitted estimator) and ``predict(X)``
        Refitted on each fold; ``fit`` must replace whatever an earlier fit learned.
    X : array_like, shape (n, p) or (n,)
    y : array_like, shape (n,), without NaN or infinity
    folds : sequence of ``(train_indices, test_indices)``, e.g. from :func:`kfold_split`
    scoring : ``"accuracy"``, ``"neg_mean_squared_error"`` or callable ``(y_true, y_pred) -> float``
        Higher is better, as in scikit-learn.

    Returns
    -------
    ndarray, shape (n_folds,)
    """
    _check_estimator(estimator)
    X, y = _xy(X, y)
    score = _check_scoring(scoring)
    folds = _check_folds(folds, y.size)
    out = np.empty(len(folds))
    for k, (tr, te) in enumerate(folds):
        fitted = estimator.fit(X[tr], y[tr])
        out[k] = score(y[te], fitted.predict(X[te]))
    return out


@dataclass(frozen=True)
class CVLearningCurve:
    """Training and validation mean squared error against the training-set size, fold by fold.

    Attributes
    ----------
    sizes : ndarray of int, shape (m,)
    train_mse : ndarray, shape (m, n_folds)
        Error on the rows each fit saw.
    val_mse : ndarray, shape (m, n_folds)
        Error on the fold's held-out rows.
    """

    sizes: np.ndarray
    train_mse: np.ndarray
    val_mse: np.ndarray


def cv_learning_curve(estimator, X, y, sizes, folds) -> CVLearningCurve:
    """Learning curves on every fold: fit on the first ``s`` training rows of the fold, for each ``s``.

    For fold :math:`k` with training rows :math:`R_k` (in the order the fold lists them) and held-out rows
    :math:`T_k`, the estimator is fitted on :math:`R_k[:s]` and scored on :math:`R_k[:s]` and on :math:`T_k`
    (scikit-learn's ``learning_curve`` with ``shuffle=False`` and absolute sizes). Averaging over folds removes
    most of the noise of one split. A wide gap that narrows as :math:`s` grows says more data will help; two
    curves meeting high up say it will not (the model is too simple).

    Parameters
    ----------
    estimator : object with ``fit(X, y)`` and ``predict(X)``
    X : array_like, shape (n, p) or (n,) ; y : array_like, shape (n,)
    sizes : sequence of int, each between 1 and the smallest training part
    folds : sequence of ``(train_indices, test_indices)``

    Returns
    -------
    CVLearningCurve
    """
    _check_estimator(estimator)
    X, y = _xy(X, y)
    y = as_array(y, "y", ndim=1)
    folds = _check_folds(folds, y.size)
    smallest = min(tr.size for tr, _ in folds)
    sizes = np.array([check_int(s, "sizes", low=1, high=smallest) for s in np.atleast_1d(sizes).tolist()],
                     dtype=int)
    if sizes.size == 0:
        raise ValueError("sizes must name at least one training-set size")
    curves = [bias_variance.learning_curve(estimator, X[tr], y[tr], X[te], y[te], sizes) for tr, te in folds]
    return CVLearningCurve(sizes, np.column_stack([c.train_mse for c in curves]),
                           np.column_stack([c.val_mse for c in curves]))


class Pipeline:
    """Transformers followed by an estimator, fitted together: ``Pipeline([scaler, selector, model])``.

    ``fit(X, y)`` fits each transformer on the output of the previous one (``fit(Z, y)`` then ``transform(Z)``)
    and the last step on the result; ``predict(X)`` applies the fitted transformers and the last step's
    ``predict``. Passed to :func:`cross_val_scores`, every step is refitted on each training part, so nothing
    learned from a held-out fold (its means, its correlations with the labels) reaches the model scored on it.

    Parameters
    ----------
    steps : sequence of objects
        All but the last have ``fit(X, y)`` and ``transform(X)``; the last has ``fit(X, y)`` and ``predict(X)``.

    Attributes
    ----------
    steps_ : list
        The fitted steps (the same objects as ``steps``).
    """

    def __init__(self, steps):
        if not np.iterable(steps) or isinstance(steps, str):
            raise ValueError(f"steps must be a list of steps, got {type(steps).__name__} {steps!r:.40}")
        self.steps = list(steps)

    def fit(self, X, y) -> "Pipeline":
        """Fit every step in turn on ``X`` (shape (n, p)) and ``y`` (shape (n,)); returns ``self``."""
        if not self.steps:
            raise ValueError("steps must hold at least one step")
        for i, step in enumerate(self.steps[:-1]):
            if not (callable(getattr(step, "fit", None)) and callable(getattr(step, "transform", None))):
                raise ValueError(f"steps[{i}] must have fit(X, y) and transform(X), got {type(step).__name__}")
        last = self.steps[-1]
        if not (callable(getattr(last, "fit", None)) and callable(getattr(last, "predict", None))):
            raise ValueError(f"steps[-1] (the estimator) must have fit(X, y) and predict(X), got {type(last).__name__}")
        _check_estimator(self.steps[-1])
        Z = X
        for step in self.steps[:-1]:
            Z = step.fit(Z, y).transform(Z)
        self.steps[-1].fit(Z, y)
        self.steps_ = self.steps
        return self

    def predict(self, X) -> np.ndarray:
        """The last step's prediction for ``X`` after the fitted transformers."""
        if not hasattr(self, "steps_"):
            raise ValueError("Pipeline is not fitted yet: call fit(X, y) first")
        Z = X
        for step in self.steps_[:-1]:
            Z = step.transform(Z)
        return self.steps_[-1].predict(Z)


# -- early stopping -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GDCurve:
    r"""Gradient descent on least squares, every iterate and its errors.

    Attributes
    ----------
    coefs : ndarray, shape (n_iter + 1, p)
        :math:`w_0 = 0, w_1, \dots`
    intercepts : ndarray, shape (n_iter + 1,)
        :math:`\bar y - \bar x^\top w_t` (training means).
    train_mse, val_mse : ndarray, shape (n_iter + 1,)
    """

    coefs: np.ndarray
    intercepts: np.ndarray
    train_mse: np.ndarray
    val_mse: np.ndarray


def gd_validation_curve(X_train, y_train, X_val, y_val, *, lr: float, n_iter: int) -> GDCurve:
    r"""Run gradient descent on the training least-squares loss from zero; record both errors at every step.

    With centred training data :math:`X_c, y_c` the loss :math:`\frac{1}{2n}\lVert y_c - X_c w\rVert^2` is the
    quadratic :math:`\tfrac12 w^\top A w - b^\top w` (plus a constant) with :math:`A = X_c^\top X_c/n`,
    :math:`b = X_c^\top y_c/n`, and each step is :math:`w_{t+1} = w_t - \eta(Aw_t - b)`
    (:func:`mlsheet_utils.algorithms.optim.gradient_descent_quadratic`). In the eigenbasis of :math:`A`
    (eigenvalues :math:`\lambda_i`) the iterate is the least-squares solution filtered by
    :math:`1 - (1 - \eta\lambda_i)^t`: directions of large :math:`\lambda_i` are fitted first, weak (noisy) ones
    last, which is why stopping early acts like a ridge penalty of about :math:`1/(\eta t)`.

    Parameters
    ----------
    X_train : array_like, shape (n, p) ; y_train : array_like, shape (n,)
    X_val : array_like, shape (m, p) ; y_val : array_like, shape (m,)
    lr : float > 0
        :math:`\eta`; the iterates converge when :math:`\eta < 2/\lambda_{\max}(A)`.
    n_iter : int >= 0

    Returns
    -------
    GDCurve
    """
    X_train, X_val = as_array(X_train, "X_train", ndim=2), as_array(X_val, "X_val", ndim=2)
    y_train, y_val = as_array(y_train, "y_train", ndim=1), as_array(y_val, "y_val", ndim=1)
    if X_train.shape[0] < 1 or y_train.size != X_train.shape[0]:
        raise ValueError(f"y_train must have one entry per row of X_train ({X_train.shape[0]}), got {y_train.size}")
    if y_val.size < 1 or y_val.size != X_val.shape[0] or X_val.shape[1] != X_train.shape[1]:
        raise ValueError(f"X_val must have {X_train.shape[1]} columns (as X_train) and y_val one entry per row "
                         f"(at least one), "
                         f"got shapes {X_val.shape} and {y_val.shape}")
    lr = check_float(lr, "lr", low=0, low_open=True)
    n_iter = check_int(n_iter, "n_iter", low=0)
    x_mean, y_mean = X_train.mean(axis=0), float(y_train.mean())
    Xc, yc = X_train - x_mean, y_train - y_mean
    n = y_train.size
    coefs = optim.gradient_descent_quadratic(Xc.T @ Xc / n, np.zeros(X_train.shape[1]), lr, n_iter,
                                             b=Xc.T @ yc / n)
    intercepts = y_mean - coefs @ x_mean
    with np.errstate(over="ignore", invalid="ignore"):
        train_mse = np.mean((y_train[None, :] - intercepts[:, None] - coefs @ X_train.T) ** 2, axis=1)
        val_mse = np.mean((y_val[None, :] - intercepts[:, None] - coefs @ X_val.T) ** 2, axis=1)
    return GDCurve(coefs, intercepts, train_mse, val_mse)


@dataclass(frozen=True)
class EarlyStop:
    """Where the patience rule stops a run.

    Attributes
    ----------
    best_epoch : int
        The epoch with the best validation loss seen before stopping (the weights to keep).
    stop_epoch : int
        The epoch at which training stops: ``patience`` epochs after the last improvement, or the last epoch.
    best_value : float
        The validation loss at ``best_epoch``.
    stopped : bool
        Whether the rule fired before the curve ran out.
    """

    best_epoch: int
    stop_epoch: int
    best_value: float
    stopped: bool


def early_stopping(val_losses, patience: int, *, min_delta: float = 0.0) -> EarlyStop:
    """The patience rule of early stopping, read off a validation-loss curve.

    Walk the epochs keeping the best loss so far. An epoch *improves* when its loss is below the best by more
    than ``min_delta``; it then becomes the best and the counter resets. Otherwise the counter grows, and when
    it reaches ``patience`` training stops. The model kept is the best epoch's, not the last one's (Keras'
    ``EarlyStopping(restore_best_weights=True)``). Large patience survives the bumps of a noisy curve at the
    cost of more epochs; ``patience`` at least the curve's length finds its minimum.

    Parameters
    ----------
    val_losses : array_like, shape (T,), T >= 1
        Validation loss after epochs ``0, ..., T - 1``.
    patience : int >= 1
    min_delta : float >= 0

    Returns
    -------
    EarlyStop
    """
    v = as_array(val_losses, "val_losses", ndim=1)
    if v.size == 0:
        raise ValueError("val_losses must hold at least one epoch")
    patience = check_int(patience, "patience", low=1)
    min_delta = check_float(min_delta, "min_delta", low=0)
    best, best_epoch, waited = float(v[0]), 0, 0
    for t in range(1, v.size):
        if v[t] < best - min_delta:
            best, best_epoch, waited = float(v[t]), t, 0
        else:
            waited += 1
            if waited >= patience:
                return EarlyStop(best_epoch, t, best, True)
    return EarlyStop(best_epoch, v.size - 1, best, False)

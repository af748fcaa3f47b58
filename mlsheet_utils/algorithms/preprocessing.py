r"""Feature scaling as fit/transform estimators, fitted on training data only.

Every column scaler is a per-column affine map :math:`x' = (x - c_j) / s_j` whose centre :math:`c_j` and
scale :math:`s_j` are learned from the training rows; ``inverse_transform`` is :math:`x = s_j x' + c_j`.
A column whose scale would be zero (a constant column, or a zero inter-quartile range) gets :math:`s_j = 1`,
as scikit-learn does, so it maps to a constant instead of dividing by zero; the mask is kept in ``degenerate_``.

Functions (the statistics)
    standard_scaling   centre the mean, scale by the standard deviation (``ddof`` 0 by default)
    minmax_scaling     map the training range :math:`[\min, \max]` onto ``feature_range``
    robust_scaling     centre the median, scale by an inter-quantile range (the IQR by default)
    maxabs_scaling     scale by :math:`\max |x|`, no centring (keeps zeros and signs)
    row_normalize      divide every row by its :math:`p`-norm

Estimators
    StandardScaler, MinMaxScaler, RobustScaler, MaxAbsScaler  ``fit`` / ``transform`` / ``inverse_transform``
    Normalizer                                               row-wise, stateless, no inverse
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.validation import as_array, check_bool, check_float, check_int

__all__ = ["ColumnScaling", "standard_scaling", "minmax_scaling", "robust_scaling", "maxabs_scaling",
           "row_normalize", "StandardScaler", "MinMaxScaler", "RobustScaler", "MaxAbsScaler", "Normalizer"]


@dataclass(frozen=True)
class ColumnScaling:
    """The learned per-column affine map :math:`x' = (x - c) / s`.

    Attributes
    ----------
    center : ndarray, shape (d,)
        :math:`c`.
    scale : ndarray, shape (d,)
        :math:`s > 0` (1 where the statistic was zero).
    degenerate : ndarray of bool, shape (d,)
        Columns whose statistic was zero and whose scale was set to 1.
    """

    center: np.ndarray
    scale: np.ndarray
    degenerate: np.ndarray


def _check_X(X, name: str = "X") -> np.ndarray:
    X = as_array(X, name, ndim=2)
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"{name} must have at least one row and one column, got shape {X.shape}")
    return X



def _check_pair(value, name: str, what: str) -> tuple:
    if not isinstance(value, (tuple, list, np.ndarray)) or len(value) != 2:
        raise ValueError(f"{name} must be a pair {what}, got {value!r}")
    return tuple(value)


def _safe(center: np.ndarray, stat: np.ndarray) -> ColumnScaling:
    """Wrap ``center`` and a scale statistic, replacing a zero statistic by 1."""
    degenerate = stat == 0
    return ColumnScaling(center, np.where(degenerate, 1.0, stat), degenerate)


def standard_scaling(X, *, with_mean: bool = True, with_std: bool = True, ddof: int = 0) -> ColumnScaling:
    r"""Standardisation statistics: :math:`c_j = \bar x_j`, :math:`s_j = \sigma_j`.

    .. math:: \bar x_j = \frac1n\sum_i x_{ij}, \qquad
              \sigma_j^2 = \frac{1}{n - \mathrm{ddof}}\sum_i (x_{ij} - \bar x_j)^2 ,

    so that the transformed training column has mean 0 and variance 1 (with the same ``ddof``). A constant
    column (all values equal, so :math:`\sigma_j = 0` exactly) gets :math:`s_j = 1` and maps to 0.

    Parameters
    ----------
    X : array_like, shape (n, d)
    with_mean, with_std : bool
        Centre (else :math:`c = 0`) and scale (else :math:`s = 1`).
    ddof : int in [0, n - 1]
        Delta degrees of freedom of the variance (scikit-learn uses 0).

    Returns
    -------
    ColumnScaling
    """
    X = _check_X(X)
    with_mean, with_std = check_bool(with_mean, "with_mean"), check_bool(with_std, "with_std")
    ddof = check_int(ddof, "ddof", low=0, high=X.shape[0] - 1)
    mean = X.mean(axis=0)
    center = mean if with_mean else np.zeros(X.shape[1])
    if not with_std:
        return ColumnScaling(center, np.ones(X.shape[1]), np.zeros(X.shape[1], dtype=bool))
    constant = np.ptp(X, axis=0) == 0
    sd = np.sqrt(((X - mean) ** 2).sum(axis=0) / (X.shape[0] - ddof))
    return _safe(center, np.where(constant, 0.0, sd))


def minmax_scaling(X, feature_range=(0.0, 1.0)) -> ColumnScaling:
    r"""Min-max statistics: the training range :math:`[m_j, M_j]` maps onto ``feature_range`` :math:`[a, b]`.

    .. math:: x' = a + (b - a)\,\frac{x - m_j}{M_j - m_j} = \frac{x - c_j}{s_j}, \qquad
              s_j = \frac{M_j - m_j}{b - a},\quad c_j = m_j - a\,s_j .

    A constant column (:math:`M_j = m_j`) uses a range of 1 and maps to :math:`a`. New data outside the training
    range lands outside :math:`[a, b]`.

    Parameters
    ----------
    X : array_like, shape (n, d)
    feature_range : (float, float), a < b

    Returns
    -------
    ColumnScaling
    """
    X = _check_X(X)
    feature_range = _check_pair(feature_range, "feature_range", "(a, b)")
    a = check_float(feature_range[0], "feature_range[0]")
    b = check_float(feature_range[1], "feature_range[1]")
    if not a < b:
        raise ValueError(f"feature_range must have a < b, got {feature_range!r}")
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = hi - lo
    degenerate = span == 0
    scale = np.where(degenerate, 1.0, span) / (b - a)
    return ColumnScaling(lo - a * scale, scale, degenerate)


def robust_scaling(X, *, with_centering: bool = True, with_scaling: bool = True,
                   quantile_range=(25.0, 75.0)) -> ColumnScaling:
    r"""Robust statistics: :math:`c_j` the median, :math:`s_j = Q_j(q_{hi}) - Q_j(q_{lo})` (the IQR by default).

    Quantiles use linear interpolation between order statistics (NumPy's default). A few outliers move
    neither statistic, so the bulk of the column keeps its spread; the outliers stay far out. A zero range
    (more than half the values tied, for the IQR) gets :math:`s_j = 1`.

    Parameters
    ----------
    X : array_like, shape (n, d)
    with_centering, with_scaling : bool
    quantile_range : (float, float), 0 <= q_lo < q_hi <= 100, in percent

    Returns
    -------
    ColumnScaling
    """
    X = _check_X(X)
    with_centering = check_bool(with_centering, "with_centering")
    with_scaling = check_bool(with_scaling, "with_scaling")
    quantile_range = _check_pair(quantile_range, "quantile_range", "(q_lo, q_hi)")
    q_lo = check_float(quantile_range[0], "quantile_range[0]", low=0, high=100)
    q_hi = check_float(quantile_range[1], "quantile_range[1]", low=0, high=100)
    if not q_lo < q_hi:
        raise ValueError(f"quantile_range must have q_lo < q_hi, got {quantile_range!r}")
    d = X.shape[1]
    center = np.median(X, axis=0) if with_centering else np.zeros(d)
    if not with_scaling:
        return ColumnScaling(center, np.ones(d), np.zeros(d, dtype=bool))
    q = np.percentile(X, [q_lo, q_hi], axis=0)
    return _safe(center, q[1] - q[0])


def maxabs_scaling(X) -> ColumnScaling:
    r"""Max-abs statistics: :math:`c_j = 0`, :math:`s_j = \max_i |x_{ij}|`, mapping the column into
    :math:`[-1, 1]` without shifting it (zeros stay zero, so sparse data stays sparse). An all-zero column keeps
    :math:`s_j = 1`.

    Parameters
    ----------
    X : array_like, shape (n, d)

    Returns
    -------
    ColumnScaling
    """
    X = _check_X(X)
    return _safe(np.zeros(X.shape[1]), np.abs(X).max(axis=0))


def row_normalize(X, norm: float = 2.0) -> np.ndarray:
    r"""Divide every row by its :math:`p`-norm: :math:`x_i' = x_i / \lVert x_i \rVert_p`.

    :math:`\lVert x\rVert_p = (\sum_j |x_j|^p)^{1/p}`, :math:`p = \infty` giving :math:`\max_j |x_j|`. A row of
    zeros stays zero. This acts on samples, not features: it makes every sample a direction (cosine geometry
    for ``norm=2``) and forgets its length, so it has no inverse.

    Parameters
    ----------
    X : array_like, shape (n, d)
    norm : float >= 1 or ``numpy.inf``
        :math:`p` (1, 2 and ``inf`` are scikit-learn's ``"l1"``, ``"l2"`` and ``"max"``).

    Returns
    -------
    ndarray, shape (n, d)
    """
    X = _check_X(X)
    if isinstance(norm, bool) or not isinstance(norm, (int, float, np.floating, np.integer)) or not norm >= 1:
        raise ValueError(f"norm must be a number >= 1 or numpy.inf, got {norm!r}")
    return _row_normalize(X, float(norm))


def _check_norm(norm) -> None:
    if isinstance(norm, bool) or not isinstance(norm, (int, float, np.floating, np.integer)) or not norm >= 1:
        raise ValueError(f"norm must be a number >= 1 or numpy.inf, got {norm!r}")


def _row_normalize(X: np.ndarray, p: float) -> np.ndarray:
    if p == np.inf:
        norms = np.abs(X).max(axis=1)
    elif p == 1.0:
        norms = np.abs(X).sum(axis=1)
    elif p == 2.0:
        norms = np.sqrt((X * X).sum(axis=1))
    else:
        norms = (np.abs(X) ** p).sum(axis=1) ** (1.0 / p)
    return X / np.where(norms == 0, 1.0, norms)[:, None]


class _ColumnScaler:
    """The shared part of the column scalers: ``transform`` and ``inverse_transform`` of a fitted affine map.

    A subclass's ``_statistics(X)`` returns the :class:`ColumnScaling`; ``fit`` stores ``center_``, ``scale_``,
    ``degenerate_`` and ``n_features_in_`` from the training rows only.
    """

    def fit(self, X, y=None):
        """Learn the statistics from the training rows ``X`` (n, d); ``y`` is ignored. Return ``self``."""
        stats = self._statistics(_check_X(X))
        self.center_, self.scale_, self.degenerate_ = stats.center, stats.scale, stats.degenerate
        self.n_features_in_ = self.center_.shape[0]
        return self

    def _checked(self, X, name: str) -> np.ndarray:
        if not hasattr(self, "scale_"):
            raise ValueError(f"{type(self).__name__} is not fitted yet; call fit(X_train) first")
        X = _check_X(X, name)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"{name} has {X.shape[1]} columns; the scaler was fitted on {self.n_features_in_}")
        return X

    def transform(self, X) -> np.ndarray:
        """:math:`(X - c) / s`, shape (m, d), with the statistics of the training rows."""
        return (self._checked(X, "X") - self.center_) / self.scale_

    def fit_transform(self, X, y=None) -> np.ndarray:
        """``fit(X).transform(X)``: only for the training rows."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z) -> np.ndarray:
        """:math:`Z s + c`, back to the original units, shape (m, d)."""
        return self._checked(Z, "Z") * self.scale_ + self.center_


@dataclass(eq=False)
class StandardScaler(_ColumnScaler):
    """Standardisation, :func:`standard_scaling`: mean 0 and variance 1 on the training rows."""

    with_mean: bool = True
    with_std: bool = True
    ddof: int = 0

    def _statistics(self, X):
        return standard_scaling(X, with_mean=self.with_mean, with_std=self.with_std, ddof=self.ddof)


@dataclass(eq=False)
class MinMaxScaler(_ColumnScaler):
    """Min-max scaling, :func:`minmax_scaling`: the training range onto ``feature_range``."""

    feature_range: tuple = (0.0, 1.0)

    def _statistics(self, X):
        return minmax_scaling(X, self.feature_range)


@dataclass(eq=False)
class RobustScaler(_ColumnScaler):
    """Median and inter-quantile range, :func:`robust_scaling`."""

    with_centering: bool = True
    with_scaling: bool = True
    quantile_range: tuple = (25.0, 75.0)

    def _statistics(self, X):
        return robust_scaling(X, with_centering=self.with_centering, with_scaling=self.with_scaling,
                              quantile_range=self.quantile_range)


@dataclass(eq=False)
class MaxAbsScaler(_ColumnScaler):
    """Division by the largest absolute value, :func:`maxabs_scaling` (no hyperparameters)."""

    def _statistics(self, X):
        return maxabs_scaling(X)


@dataclass(eq=False)
class Normalizer:
    """Row normalisation, :func:`row_normalize`. Stateless: ``fit`` only records the number of columns.

    There is no ``inverse_transform``: the row norms are discarded.
    """

    norm: float = 2.0

    def fit(self, X, y=None) -> "Normalizer":
        """Record the number of columns of ``X`` (n, d) and check ``norm``; return ``self``."""
        _check_norm(self.norm)
        self.n_features_in_ = _check_X(X).shape[1]
        return self

    def transform(self, X) -> np.ndarray:
        """Every row of ``X`` (m, d) divided by its ``norm``-norm."""
        X = _check_X(X)
        if X.shape[1] != getattr(self, "n_features_in_", X.shape[1]):
            raise ValueError(f"X has {X.shape[1]} columns; the normalizer was fitted on {self.n_features_in_}")
        return row_normalize(X, self.norm)

r"""Bias and variance of a regression learner: exactly for linear smoothers, by Monte Carlo for any learner.

The model of the data is :math:`y = f(x) + \varepsilon` with :math:`\mathbb{E}\varepsilon = 0`,
:math:`\operatorname{Var}\varepsilon = \sigma^2`, the training inputs fixed and the noise drawn afresh for every
training set. At a test input :math:`x_0` the expected squared error of a learner :math:`\hat f` splits as

.. math:: \mathbb{E}\big[(y_0 - \hat f(x_0))^2\big]
          = \underbrace{\big(\mathbb{E}\hat f(x_0) - f(x_0)\big)^2}_{\text{bias}^2}
          + \underbrace{\operatorname{Var}\hat f(x_0)}_{\text{variance}} + \underbrace{\sigma^2}_{\text{noise}},

and every quantity below is that split averaged over the test inputs.

The polynomial learner:

- :func:`legendre_features`  Legendre polynomials :math:`P_1, \dots, P_d` of inputs in :math:`[-1, 1]`, by
  Bonnet's recurrence;
- :class:`PolynomialRidge`   the estimator (``fit``, ``predict``): those features, an unpenalised intercept and
  a ridge penalty :math:`\lambda` (solved by :func:`mlsheet_utils.algorithms.linear.ridge`).

Exact results for a linear smoother :math:`\hat y(X_{\text{eval}}) = S y`:

- :func:`ridge_smoother`          the matrix :math:`S` of ridge regression with an unpenalised intercept;
- :func:`smoother_decomposition`  bias, variance, noise and expected error from :math:`S` (a
  :class:`BiasVariance`): bias :math:`= S f - f_{\text{eval}}`,
  variance :math:`= \sigma^2 \operatorname{diag}(SS^\top)`;
- :func:`mc_moments`              mean and standard deviation of the Monte Carlo estimates of
  :func:`bias_variance_mc` for a linear smoother with Gaussian noise (a :class:`MonteCarloMoments`).

Any learner with ``fit(X, y)`` and ``predict(X)``:

- :func:`bias_variance_mc`  fit it on many noisy training sets and measure the split (a :class:`BiasVarianceMC`);
- :func:`learning_curve`    training and validation error as the training set grows (a :class:`LearningCurve`).

Every public function validates its input once and raises ``ValueError`` naming the argument.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms import linear
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

EPS = np.finfo(float).eps

__all__ = ["legendre_features", "PolynomialRidge", "ridge_smoother", "BiasVariance", "smoother_decomposition",
           "MonteCarloMoments", "mc_moments", "BiasVarianceMC", "bias_variance_mc", "LearningCurve",
           "learning_curve"]


def _inputs(x, name: str) -> np.ndarray:
    """One input variable as a vector: accepts shape (n,) or (n, 1)."""
    x = as_array(x, name)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise ValueError(f"{name} must have shape (n,) or (n, 1), got {x.shape}")
    return x


def _legendre(x: np.ndarray, degree: int) -> np.ndarray:
    """Columns P_1(x), ..., P_degree(x), shape (n, degree): Bonnet's recurrence, unvalidated."""
    out = np.empty((x.size, degree))
    prev, cur = np.ones_like(x), x.copy()
    for k in range(1, degree + 1):
        out[:, k - 1] = cur
        prev, cur = cur, ((2 * k + 1) * x * cur - k * prev) / (k + 1)
    return out


def legendre_features(x, degree: int) -> np.ndarray:
    r"""Legendre polynomials :math:`P_1(x), \dots, P_d(x)` of one input, without the constant :math:`P_0 = 1`.

    Bonnet's recurrence :math:`(k+1) P_{k+1}(x) = (2k+1)\,x\,P_k(x) - k\,P_{k-1}(x)`, from
    :math:`P_0 = 1, P_1 = x`. On :math:`[-1, 1]` the columns are orthogonal under the uniform weight and bounded
    by one, so a design of degree 15 is well conditioned where the monomials :math:`x, \dots, x^{15}` are not.
    The features span the same functions as the monomials, so least squares (:math:`\lambda = 0`) fits the
    same polynomial in either basis; a ridge penalty on these coefficients is a different penalty.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, 1)
        Inputs, meant to lie in :math:`[-1, 1]`.
    degree : int >= 0

    Returns
    -------
    ndarray, shape (n, degree)
    """
    x = _inputs(x, "x")
    degree = check_int(degree, "degree", low=0)
    return _legendre(x, degree)


class PolynomialRidge:
    r"""Polynomial regression of one input with a ridge penalty: the book's learner of adjustable complexity.

    Fits :math:`\hat f(x) = b + \sum_{k=1}^{d} w_k P_k(x)` (Legendre polynomials, :func:`legendre_features`)
    by minimising :math:`\sum_i (y_i - \hat f(x_i))^2 + \lambda \lVert w\rVert^2`, the intercept :math:`b`
    unpenalised, with :func:`mlsheet_utils.algorithms.linear.ridge` (scikit-learn's ``Ridge`` scaling: no
    :math:`1/n` in front of the squared error). ``degree=0`` fits the mean of ``y``; ``alpha=0`` is least
    squares (the minimum-norm solution when the degree reaches the number of points).

    Parameters
    ----------
    degree : int >= 0
    alpha : float >= 0
        The penalty :math:`\lambda`.

    Attributes
    ----------
    coef_ : ndarray, shape (degree,)
    intercept_ : float
    """

    def __init__(self, degree: int = 3, alpha: float = 0.0):
        self.degree = degree
        self.alpha = alpha

    def fit(self, X, y) -> "PolynomialRidge":
        """Fit on inputs ``X`` (shape (n,) or (n, 1)) and targets ``y`` (shape (n,)); returns ``self``."""
        x = _inputs(X, "X")
        y = as_array(y, "y", ndim=1)
        if y.size != x.size:
            raise ValueError(f"y must have one entry per input of X ({x.size}), got {y.size}")
        if x.size == 0:
            raise ValueError("X must hold at least one input")
        degree = check_int(self.degree, "degree", low=0)
        alpha = check_float(self.alpha, "alpha", low=0)
        if degree == 0:
            self.coef_, self.intercept_ = np.zeros(0), float(y.mean())
        else:
            self.coef_, self.intercept_ = linear.ridge(_legendre(x, degree), y, alpha)
        return self

    def predict(self, X) -> np.ndarray:
        r"""Predictions :math:`b + \sum_k w_k P_k(x)`, shape (m,), for inputs of shape (m,) or (m, 1)."""
        if not hasattr(self, "coef_"):
            raise ValueError("PolynomialRidge is not fitted yet: call fit(X, y) first")
        x = _inputs(X, "X")
        return self.intercept_ + _legendre(x, self.coef_.size) @ self.coef_


def ridge_smoother(X_train, X_eval, alpha: float, *, fit_intercept: bool = True) -> np.ndarray:
    r"""The linear map from training targets to ridge predictions: :math:`\hat y(X_{\text{eval}}) = S\,y`.

    Ridge regression is linear in :math:`y`. With the training columns centred, :math:`X_c = X - \mathbf 1\bar x^\top
    = U D V^\top` (thin SVD) and an unpenalised intercept,

    .. math:: S = \tfrac1n \mathbf 1 \mathbf 1^\top
              + (X_{\text{eval}} - \mathbf 1 \bar x^\top)\, V\,
                \operatorname{diag}\!\Big(\frac{d_i}{d_i^2 + \lambda}\Big) U^\top .

    On the training inputs themselves it is :math:`S = \tfrac1n\mathbf 1\mathbf 1^\top + U\operatorname{diag}(
    d_i^2/(d_i^2+\lambda))U^\top`: each singular direction is shrunk by :math:`d_i^2/(d_i^2+\lambda)`, and
    :math:`\operatorname{tr} S` (the effective degrees of freedom) falls from :math:`1 + \operatorname{rank} X_c`
    at :math:`\lambda = 0` towards 1. At :math:`\lambda = 0` directions with :math:`d_i` at round-off level are
    dropped (the minimum-norm least-squares fit, as :func:`mlsheet_utils.algorithms.linear.ridge` does).

    Parameters
    ----------
    X_train : array_like, shape (n, p), p may be 0 (intercept only)
    X_eval : array_like, shape (m, p)
    alpha : float >= 0
        :math:`\lambda`, in scikit-learn's ``Ridge`` scaling.
    fit_intercept : bool

    Returns
    -------
    S : ndarray, shape (m, n)
    """
    X = as_array(X_train, "X_train", ndim=2, empty=True)    # no features: the intercept-only smoother
    Xe = as_array(X_eval, "X_eval", ndim=2, empty=True)
    if X.shape[0] == 0:
        raise ValueError("X_train must have at least one row")
    if Xe.shape[1] != X.shape[1]:
        raise ValueError(f"X_eval must have {X.shape[1]} columns like X_train, got {Xe.shape[1]}")
    alpha = check_float(alpha, "alpha", low=0)
    n = X.shape[0]
    mean = X.mean(axis=0) if fit_intercept else np.zeros(X.shape[1])
    base = np.full((Xe.shape[0], n), 1.0 / n) if fit_intercept else np.zeros((Xe.shape[0], n))
    if X.shape[1] == 0:
        return base
    U, d, Vt = np.linalg.svd(X - mean, full_matrices=False)
    if alpha == 0:
        keep = d > max(X.shape) * EPS * (d[0] if d.size else 0.0)
        shrink = np.where(keep, 1.0 / np.where(keep, d, 1.0), 0.0)
    else:
        shrink = d / (d**2 + alpha)
    return base + ((Xe - mean) @ Vt.T * shrink) @ U.T


@dataclass(frozen=True)
class BiasVariance:
    r"""The exact split of the expected squared error of a linear smoother, averaged over the evaluation points.

    Attributes
    ----------
    bias2 : float
        :math:`\frac1m\sum_j (\mathbb{E}\hat y_j - f_j)^2`.
    variance : float
        :math:`\frac1m\sum_j \operatorname{Var}\hat y_j = \frac{\sigma^2}{m}\operatorname{tr}(SS^\top)`.
    noise : float
        :math:`\sigma^2`.
    expected_error : float
        ``bias2 + variance + noise``: the expected squared error against a fresh noisy target.
    bias : ndarray, shape (m,)
        :math:`Sf_{\text{train}} - f_{\text{eval}}`, point by point.
    pointwise_variance : ndarray, shape (m,)
        :math:`\sigma^2\sum_i S_{ji}^2`, point by point.
    """

    bias2: float
    variance: float
    noise: float
    expected_error: float
    bias: np.ndarray
    pointwise_variance: np.ndarray


def _smoother_args(S, f_train, f_eval, noise_sd):
    S = as_array(S, "S", ndim=2)
    f_train = as_array(f_train, "f_train", ndim=1)
    f_eval = as_array(f_eval, "f_eval", ndim=1)
    if S.shape != (f_eval.size, f_train.size):
        raise ValueError(f"S must have shape (len(f_eval), len(f_train)) = ({f_eval.size}, {f_train.size}), "
                         f"got {S.shape}")
    if S.size == 0:
        raise ValueError("S must not be empty")
    return S, f_train, f_eval, check_float(noise_sd, "noise_sd", low=0)


def smoother_decomposition(S, f_train, f_eval, noise_sd: float) -> BiasVariance:
    r"""Bias, variance and noise of the linear smoother :math:`\hat y = S y` when :math:`y = f + \sigma\varepsilon`.

    Linearity gives everything in closed form: :math:`\mathbb{E}\hat y = S f_{\text{train}}`, so the bias is
    :math:`(S f_{\text{train}} - f_{\text{eval}})`, and :math:`\operatorname{Cov}\hat y = \sigma^2 S S^\top`,
    so the average variance is :math:`\sigma^2 \operatorname{tr}(SS^\top)/m`. Evaluated on the training inputs
    (``f_eval = f_train``, :math:`S` square) this is :math:`(S - I) f` and
    :math:`\sigma^2\operatorname{tr}(SS^\top)/n`;
    for least squares with :math:`p` columns and an intercept, :math:`S` is a projection of rank :math:`p + 1` and
    the variance is :math:`\sigma^2 (p+1)/n`.

    Parameters
    ----------
    S : array_like, shape (m, n)
        Predictions at the evaluation points are ``S @ y`` (e.g. :func:`ridge_smoother`).
    f_train : array_like, shape (n,)
        The noiseless function at the training inputs.
    f_eval : array_like, shape (m,)
        The noiseless function at the evaluation inputs.
    noise_sd : float >= 0
        :math:`\sigma`.

    Returns
    -------
    BiasVariance
    """
    S, f_train, f_eval, sigma = _smoother_args(S, f_train, f_eval, noise_sd)
    bias = S @ f_train - f_eval
    pointwise = sigma**2 * np.einsum("ji,ji->j", S, S)
    bias2, variance = float(np.mean(bias**2)), float(np.mean(pointwise))
    return BiasVariance(bias2, variance, sigma**2, bias2 + variance + sigma**2, bias, pointwise)


@dataclass(frozen=True)
class MonteCarloMoments:
    r"""Mean and standard deviation of the estimates :func:`bias_variance_mc` returns, for a linear smoother.

    Attributes
    ----------
    bias2_mean, bias2_sd : float
        Of the plug-in :math:`\widehat{\text{bias}^2}`, whose mean exceeds the true bias\ :sup:`2` by
        variance / ``n_sets`` (the mean prediction is itself noisy).
    variance_mean, variance_sd : float
        Of :math:`\widehat{\text{variance}}` (divisor ``n_sets``), whose mean is
        :math:`(1 - 1/R)` times the true variance.
    """

    bias2_mean: float
    bias2_sd: float
    variance_mean: float
    variance_sd: float


def mc_moments(S, f_train, f_eval, noise_sd: float, n_sets: int) -> MonteCarloMoments:
    r"""Sampling distribution of the Monte Carlo bias and variance estimates of a linear smoother.

    With Gaussian noise the :math:`R` predictions are :math:`\hat y_r = b + f_{\text{eval}} + z_r`,
    :math:`z_r \sim \mathcal N(0, \Sigma)`, :math:`\Sigma = \sigma^2 S S^\top` (shape (m, m)), and both
    estimates are Gaussian quadratic forms (:math:`\operatorname{Var}(z^\top A z) = 2\operatorname{tr}((A\Sigma)^2)
    + 4\mu^\top A\Sigma A\mu`):

    .. math:: \widehat{\text{bias}^2} = \tfrac1m\lVert b + \bar z\rVert^2:\quad
              \text{mean } \tfrac1m\big(\lVert b\rVert^2 + \operatorname{tr}\Sigma/R\big),\quad
              \text{variance } \tfrac{1}{m^2}\big(2\operatorname{tr}(\Sigma^2)/R^2 + 4 b^\top\Sigma b/R\big);

    .. math:: \widehat{\text{variance}} = \tfrac{1}{mR}\sum_r\lVert z_r - \bar z\rVert^2:\quad
              \text{mean } \tfrac{R-1}{mR}\operatorname{tr}\Sigma,\quad
              \text{variance } \tfrac{2(R-1)}{m^2R^2}\operatorname{tr}(\Sigma^2).

    These are the standard errors a Monte Carlo check is judged by.

    Parameters
    ----------
    S, f_train, f_eval, noise_sd : as for :func:`smoother_decomposition`
    n_sets : int >= 2
        :math:`R`, the number of training sets.

    Returns
    -------
    MonteCarloMoments
    """
    S, f_train, f_eval, sigma = _smoother_args(S, f_train, f_eval, noise_sd)
    R = check_int(n_sets, "n_sets", low=2)
    m = S.shape[0]
    bias = S @ f_train - f_eval
    cov = sigma**2 * S @ S.T
    tr, tr2 = float(np.trace(cov)), float(np.sum(cov * cov))
    bias_form = float(bias @ cov @ bias)
    return MonteCarloMoments(
        bias2_mean=(bias @ bias + tr / R) / m,
        bias2_sd=np.sqrt(2 * tr2 / R**2 + 4 * bias_form / R) / m,
        variance_mean=(R - 1) / (m * R) * tr,
        variance_sd=np.sqrt(2 * (R - 1) * tr2) / (m * R))


@dataclass(frozen=True)
class BiasVarianceMC:
    r"""A Monte Carlo split of the expected squared error over ``R`` noisy training sets.

    Attributes
    ----------
    bias2 : float
        :math:`\frac1m\sum_j(\bar y_j - f_j)^2` with :math:`\bar y_j` the mean prediction over the sets.
    variance : float
        :math:`\frac{1}{mR}\sum_{r,j}(\hat y_{rj} - \bar y_j)^2`.
    noise : float
        :math:`\sigma^2`.
    error_vs_f : float
        :math:`\frac{1}{mR}\sum_{r,j}(\hat y_{rj} - f_j)^2`, equal to ``bias2 + variance`` up to round-off.
    test_error : float
        :math:`\frac{1}{mR}\sum_{r,j}(y^{\text{test}}_{rj} - \hat y_{rj})^2` against fresh noisy targets: its
        expectation is bias\ :sup:`2` + variance + noise.
    mean_prediction : ndarray, shape (m,)
    predictions : ndarray, shape (R, m)
    """

    bias2: float
    variance: float
    noise: float
    error_vs_f: float
    test_error: float
    mean_prediction: np.ndarray
    predictions: np.ndarray


def bias_variance_mc(estimator, X_train, f_train, X_test, f_test, noise_sd: float, *, n_sets: int = 200,
                     rng=0) -> BiasVarianceMC:
    r"""Estimate bias\ :sup:`2`, variance and noise of any learner by refitting it on ``n_sets`` training sets.

    Training set :math:`r` keeps the inputs ``X_train`` and draws new targets
    :math:`y_r = f_{\text{train}} + \sigma\varepsilon_r`; the learner is fitted to it and predicts at
    ``X_test``. All normal draws are made up front, in this order: the training noise, shape
    ``(n_sets, n)``, then the test noise, shape ``(n_sets, m)``; so the same ``rng`` reproduces them.

    The plug-in estimates are biased by the finite number of sets: :math:`\mathbb{E}\,\widehat{\text{bias}^2}
    = \text{bias}^2 + \text{variance}/R` and :math:`\mathbb{E}\,\widehat{\text{variance}} = (1 - 1/R)\,
    \text{variance}` (:func:`mc_moments` gives their spread for a linear smoother).

    Parameters
    ----------
    estimator : object with ``fit(X, y)`` (returning the fitted estimator) and ``predict(X)``
        Refitted in place for every set (a scikit-learn estimator works).
    X_train : array_like, shape (n, ...) ; f_train : array_like, shape (n,)
    X_test : array_like, shape (m, ...) ; f_test : array_like, shape (m,)
    noise_sd : float >= 0
    n_sets : int >= 2
    rng : int or numpy.random.Generator

    Returns
    -------
    BiasVarianceMC
    """
    if not (callable(getattr(estimator, "fit", None)) and callable(getattr(estimator, "predict", None))):
        raise ValueError(f"estimator must have fit(X, y) and predict(X) methods, got {type(estimator).__name__}")
    X_train, X_test = as_array(X_train, "X_train"), as_array(X_test, "X_test")
    f_train = as_array(f_train, "f_train", ndim=1)
    f_test = as_array(f_test, "f_test", ndim=1)
    if X_train.ndim == 0 or X_train.shape[0] != f_train.size:
        raise ValueError(f"f_train must have one entry per row of X_train, got {f_train.size}")
    if X_test.ndim == 0 or X_test.shape[0] != f_test.size:
        raise ValueError(f"f_test must have one entry per row of X_test, got {f_test.size}")
    sigma = check_float(noise_sd, "noise_sd", low=0)
    R = check_int(n_sets, "n_sets", low=2)
    rng = check_random_state(rng)
    train_noise = rng.standard_normal((R, f_train.size))
    test_noise = rng.standard_normal((R, f_test.size))
    preds = np.empty((R, f_test.size))
    for r in range(R):
        preds[r] = estimator.fit(X_train, f_train + sigma * train_noise[r]).predict(X_test)
    mean = preds.mean(axis=0)
    bias2 = float(np.mean((mean - f_test) ** 2))
    variance = float(np.mean((preds - mean) ** 2))
    error_vs_f = float(np.mean((preds - f_test) ** 2))
    test_error = float(np.mean((f_test + sigma * test_noise - preds) ** 2))
    return BiasVarianceMC(bias2, variance, sigma**2, error_vs_f, test_error, mean, preds)


@dataclass(frozen=True)
class LearningCurve:
    """Training and validation mean squared error after fitting on the first ``n`` training rows.

    Attributes
    ----------
    sizes : ndarray of int, shape (k,)
    train_mse : ndarray, shape (k,)
        Error on the rows the learner was fitted to.
    val_mse : ndarray, shape (k,)
        Error on the held-out validation set.
    """

    sizes: np.ndarray
    train_mse: np.ndarray
    val_mse: np.ndarray


def learning_curve(estimator, X_train, y_train, X_val, y_val, sizes) -> LearningCurve:
    """Fit on the first ``n`` training rows for each ``n`` in ``sizes``; record training and validation MSE.

    The diagnosis it supports: a high-bias learner has training and validation error close together and both
    high (more data will not help; a richer model will); a high-variance learner has a wide gap that closes as
    ``n`` grows (more data, a penalty or a simpler model help). Shuffle the training rows first if their order
    means something.

    Parameters
    ----------
    estimator : object with ``fit(X, y)`` and ``predict(X)``
    X_train : array_like, shape (N, ...) ; y_train : array_like, shape (N,)
    X_val : array_like, shape (M, ...) ; y_val : array_like, shape (M,)
    sizes : sequence of int in [1, N]

    Returns
    -------
    LearningCurve
    """
    if not (callable(getattr(estimator, "fit", None)) and callable(getattr(estimator, "predict", None))):
        raise ValueError(f"estimator must have fit(X, y) and predict(X) methods, got {type(estimator).__name__}")
    X_train, X_val = as_array(X_train, "X_train"), as_array(X_val, "X_val")
    y_train, y_val = as_array(y_train, "y_train", ndim=1), as_array(y_val, "y_val", ndim=1)
    if X_train.ndim == 0 or X_train.shape[0] != y_train.size:
        raise ValueError(f"y_train must have one entry per row of X_train, got {y_train.size}")
    if X_val.ndim == 0 or X_val.shape[0] != y_val.size or y_val.size == 0:
        raise ValueError(f"y_val must have one entry per row of X_val (at least one), got {y_val.size}")
    sizes = np.array([check_int(s, "sizes", low=1, high=y_train.size)
                      for s in np.atleast_1d(sizes).tolist()], dtype=int)
    if sizes.size == 0:
        raise ValueError("sizes must name at least one training-set size")
    train_mse, val_mse = np.empty(sizes.size), np.empty(sizes.size)
    for k, n in enumerate(sizes):
        fitted = estimator.fit(X_train[:n], y_train[:n])
        train_mse[k] = np.mean((fitted.predict(X_train[:n]) - y_train[:n]) ** 2)
        val_mse[k] = np.mean((fitted.predict(X_val) - y_val) ** 2)
    return LearningCurve(sizes, train_mse, val_mse)

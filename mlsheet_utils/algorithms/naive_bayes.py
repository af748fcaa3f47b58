r"""Naive Bayes classifiers: Gaussian, multinomial and Bernoulli, computed in log space.

Naive Bayes assumes the features are independent given the class, so the class-conditional density factorises
and Bayes' rule gives

.. math:: \log P(c \mid x) = \log P(c) + \sum_j \log p(x_j \mid c) - \log \sum_{c'} P(c')
          \prod_j p(x_j \mid c').

Every estimator computes the joint log-likelihood :math:`\log P(c) + \sum_j \log p(x_j \mid c)` and normalises
it with log-sum-exp, so a product of thousands of small probabilities never underflows.

- :func:`lidstone_log_prob`        the smoothed estimate :math:`\log \frac{n + \alpha}{N + \alpha V}` of a
  categorical probability from counts (:math:`\alpha = 1`: Laplace smoothing);
- :func:`gaussian_log_likelihood`  :math:`\sum_j \log \mathcal N(x_j; \mu_{cj}, \sigma^2_{cj})` for every row
  and class;
- :class:`GaussianNB`, :class:`MultinomialNB`, :class:`BernoulliNB`  the estimators, in scikit-learn's shape
  (``fit``, ``predict``, ``predict_proba``, ``predict_log_proba``, ``joint_log_likelihood``) and with its fitted
  attribute names.

Every entry point validates its input like scikit-learn: a wrong shape, NaN, negative counts or a bad parameter
raises ``ValueError`` naming the argument.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.special

from mlsheet_utils.validation import as_array, check_bool, check_float


def lidstone_log_prob(counts, totals, alpha: float, n_values: int) -> np.ndarray:
    r"""Log of the smoothed (Lidstone) estimate of a categorical probability,
    :math:`\log \hat p = \log \frac{n + \alpha}{N + \alpha V}`.

    ``counts`` holds how often each value was seen, ``totals`` the number of observations ``N`` it is out of
    (broadcast against ``counts``), and :math:`V` is the number of values the variable can take, so that the
    :math:`V` estimates of one variable sum to one. :math:`\alpha = 1` is Laplace's add-one rule, the posterior
    mean under a uniform Dirichlet prior; :math:`\alpha = 0` is the maximum-likelihood estimate
    (:math:`\log 0 = -\infty` for an unseen value).

    Parameters
    ----------
    counts : array_like of non-negative floats, any shape
    totals : array_like of non-negative floats, broadcastable to ``counts``
    alpha : float >= 0
    n_values : int or float > 0, the number of values :math:`V`

    Returns
    -------
    ndarray, the broadcast shape of ``counts`` and ``totals``
    """
    counts = as_array(counts, "counts")
    totals = as_array(totals, "totals")
    if np.any(counts < 0) or np.any(totals < 0):
        raise ValueError("counts and totals must be non-negative")
    try:
        np.broadcast_shapes(counts.shape, totals.shape)
    except ValueError:
        raise ValueError(f"totals must broadcast against counts, got shapes {totals.shape} and "
                         f"{counts.shape}") from None
    alpha = check_float(alpha, "alpha", low=0)
    n_values = check_float(n_values, "n_values", low=0, low_open=True)
    with np.errstate(divide="ignore"):
        return np.log(counts + alpha) - np.log(totals + alpha * n_values)


def gaussian_log_likelihood(X, theta, var) -> np.ndarray:
    r"""Class-conditional log densities under independent Gaussian features,
    :math:`\log p(x \mid c) = -\tfrac12 \sum_j \bigl[\log(2\pi\sigma^2_{cj}) + (x_j - \mu_{cj})^2 /
    \sigma^2_{cj}\bigr]`.

    Parameters
    ----------
    X : array_like, shape (n, d)
    theta : array_like, shape (k, d), the means :math:`\mu_{cj}`
    var : array_like, shape (k, d), the variances :math:`\sigma^2_{cj} > 0`

    Returns
    -------
    ndarray, shape (n, k)
    """
    X = as_array(X, "X", ndim=2)
    theta = as_array(theta, "theta", ndim=2)
    var = as_array(var, "var", ndim=2)
    if theta.shape[1] != X.shape[1]:
        raise ValueError(f"need theta and var of shape (k, {X.shape[1]}): X has {X.shape[1]} columns, theta has "
                         f"{theta.shape[1]}")
    if theta.shape != var.shape or theta.shape[1] != X.shape[1]:
        raise ValueError(f"need theta and var of shape (k, {X.shape[1]}), got {theta.shape} and {var.shape}")
    if np.any(var <= 0):
        raise ValueError("var must be positive")
    norm = -0.5 * np.log(2.0 * np.pi * var).sum(axis=1)                        # (k,)
    return norm - 0.5 * (((X[:, None, :] - theta[None]) ** 2) / var[None]).sum(axis=2)


def _check_Xy(X, y) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``X`` (n, d), the sorted classes, the class index of every row and the one-hot matrix (n, k)."""
    X = as_array(X, "X", ndim=2)
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"y must be 1-dimensional with one label per row of X ({X.shape[0]}), got {y.shape}")
    if X.shape[0] == 0:
        raise ValueError("X must have at least one row")
    classes, index = np.unique(y, return_inverse=True)
    return X, classes, index, np.eye(classes.shape[0])[index]


def _class_log_prior(class_count: np.ndarray, fit_prior: bool, class_prior, name: str = "class_prior") -> np.ndarray:
    """Log class priors: given ones (the argument ``name``), the class frequencies (``fit_prior``), or uniform."""
    k = class_count.shape[0]
    if class_prior is not None:
        prior = as_array(class_prior, name, ndim=1)
        if prior.shape[0] != k or np.any(prior < 0) or not np.isclose(prior.sum(), 1.0):
            raise ValueError(f"{name} must hold {k} non-negative numbers summing to 1, got {prior.tolist()}")
        with np.errstate(divide="ignore"):
            return np.log(prior)
    if fit_prior:
        return np.log(class_count) - np.log(class_count.sum())
    return np.full(k, -np.log(k))


class _NaiveBayes:
    """What the three models share: Bayes' rule in log space on top of ``joint_log_likelihood``."""

    def _fitted(self) -> None:
        if not hasattr(self, "classes_"):
            raise ValueError(f"this {type(self).__name__} is not fitted yet; call fit(X, y) first")

    def predict_log_proba(self, X) -> np.ndarray:
        r""":math:`\log P(c \mid x)`, shape (n, k): the joint log-likelihood minus its log-sum-exp over classes."""
        jll = self.joint_log_likelihood(X)
        return jll - scipy.special.logsumexp(jll, axis=1, keepdims=True)

    def predict_proba(self, X) -> np.ndarray:
        r""":math:`P(c \mid x)`, shape (n, k); rows sum to one."""
        return np.exp(self.predict_log_proba(X))

    def predict(self, X) -> np.ndarray:
        r"""The class of largest :math:`\log P(c) + \sum_j \log p(x_j \mid c)`, shape (n,)."""
        jll = self.joint_log_likelihood(X)
        return self.classes_[np.argmax(jll, axis=1)]


@dataclass
class GaussianNB(_NaiveBayes):
    r"""Naive Bayes with a Gaussian density per feature and class.

    Parameters
    ----------
    priors : array_like, shape (k,), optional
        Class priors; by default the class frequencies.
    var_smoothing : float >= 0
        :math:`\varepsilon = ` ``var_smoothing`` times the largest feature variance is added to every variance
        (scikit-learn's rule), so a constant feature does not give a zero variance.

    Attributes
    ----------
    classes_, class_count_, class_prior_ : ndarray, shape (k,)
    theta_, var_ : ndarray, shape (k, d), per-class means and (smoothed, maximum-likelihood) variances
    epsilon_ : float
    """

    priors: object = None
    var_smoothing: float = 1e-9

    def fit(self, X, y) -> "GaussianNB":
        """Fit to ``X`` (n, d) and labels ``y`` (n,); return ``self``."""
        X, classes, index, onehot = _check_Xy(X, y)
        var_smoothing = check_float(self.var_smoothing, "var_smoothing", low=0)
        count = onehot.sum(axis=0)
        theta = (onehot.T @ X) / count[:, None]
        var = (onehot.T @ (X - theta[index]) ** 2) / count[:, None]       # maximum likelihood: divide by n_c
        self.epsilon_ = var_smoothing * float(np.var(X, axis=0).max())
        self.classes_, self.class_count_ = classes, count
        self.class_prior_ = np.exp(_class_log_prior(count, True, self.priors, "priors"))
        self.theta_, self.var_ = theta, var + self.epsilon_
        return self

    def joint_log_likelihood(self, X) -> np.ndarray:
        r""":math:`\log P(c) + \log p(x \mid c)` for every row and class, shape (n, k)."""
        self._fitted()
        with np.errstate(divide="ignore"):
            return np.log(self.class_prior_) + gaussian_log_likelihood(X, self.theta_, self.var_)


@dataclass
class MultinomialNB(_NaiveBayes):
    r"""Naive Bayes for counts (a bag of words): :math:`p(x \mid c) \propto \prod_v \theta_{cv}^{x_v}`.

    :math:`\hat\theta_{cv} = (N_{cv} + \alpha) / (N_c + \alpha V)` with :math:`N_{cv}` the total count of
    feature :math:`v` in class :math:`c`, :math:`N_c = \sum_v N_{cv}` and :math:`V` the number of features
    (:func:`lidstone_log_prob`). The multinomial coefficient is the same for every class and cancels.

    Parameters
    ----------
    alpha : float > 0
        Additive smoothing (1: Laplace). As it goes to 0 the estimate of a word never seen in a class goes to
        zero, and one occurrence of that word then rules the class out.
    fit_prior : bool
        Learn the class priors from the class frequencies; otherwise uniform.
    class_prior : array_like, shape (k,), optional
        Given priors (override ``fit_prior``).

    Attributes
    ----------
    classes_, class_count_, class_log_prior_ : ndarray, shape (k,)
    feature_count_, feature_log_prob_ : ndarray, shape (k, V)
    """

    alpha: float = 1.0
    fit_prior: bool = True
    class_prior: object = None

    def fit(self, X, y) -> "MultinomialNB":
        """Fit to counts ``X`` (n, V), non-negative, and labels ``y`` (n,); return ``self``."""
        X, classes, _, onehot = _check_Xy(X, y)
        if np.any(X < 0):
            raise ValueError("X must hold non-negative counts")
        alpha = check_float(self.alpha, "alpha", low=0, low_open=True)
        check_bool(self.fit_prior, "fit_prior")
        self.classes_, self.class_count_ = classes, onehot.sum(axis=0)
        self.feature_count_ = onehot.T @ X
        self.feature_log_prob_ = lidstone_log_prob(self.feature_count_, self.feature_count_.sum(axis=1, keepdims=True),
                                                   alpha, X.shape[1])
        self.class_log_prior_ = _class_log_prior(self.class_count_, self.fit_prior, self.class_prior)
        return self

    def joint_log_likelihood(self, X) -> np.ndarray:
        r""":math:`\log P(c) + \sum_v x_v \log \hat\theta_{cv}` for every row and class, shape (n, k); ``X`` holds
        non-negative counts."""
        self._fitted()
        X = as_array(X, "X", ndim=2)
        if np.any(X < 0):
            raise ValueError("X must hold non-negative counts")
        if X.shape[1] != self.feature_log_prob_.shape[1]:
            raise ValueError(f"X has {X.shape[1]} columns but the model was fitted on "
                             f"{self.feature_log_prob_.shape[1]}")
        return X @ self.feature_log_prob_.T + self.class_log_prior_


@dataclass
class BernoulliNB(_NaiveBayes):
    r"""Naive Bayes for binary features (a word present or absent):
    :math:`p(x \mid c) = \prod_v p_{cv}^{x_v} (1 - p_{cv})^{1 - x_v}`.

    :math:`\hat p_{cv} = (D_{cv} + \alpha) / (D_c + 2\alpha)`, with :math:`D_{cv}` the number of class-:math:`c`
    rows where feature :math:`v` is on and :math:`D_c` the number of class-:math:`c` rows: each feature has two
    values. Unlike the multinomial model, an absent feature is evidence too.

    Parameters
    ----------
    alpha : float > 0
    binarize : float or None
        Threshold: a feature is on where it exceeds it (None: ``X`` is already 0/1).
    fit_prior : bool
    class_prior : array_like, shape (k,), optional

    Attributes
    ----------
    classes_, class_count_, class_log_prior_ : ndarray, shape (k,)
    feature_count_, feature_log_prob_ : ndarray, shape (k, V), :math:`D_{cv}` and :math:`\log \hat p_{cv}`
    feature_log_prob_off_ : ndarray, shape (k, V), :math:`\log(1 - \hat p_{cv})`, smoothed the same way
    """

    alpha: float = 1.0
    binarize: float | None = 0.0
    fit_prior: bool = True
    class_prior: object = None

    def _binary(self, X) -> np.ndarray:
        X = as_array(X, "X", ndim=2)
        if self.binarize is None:
            if not np.all(np.isin(X, (0.0, 1.0))):
                raise ValueError("X must hold only 0 and 1 when binarize is None")
            return X
        return (X > check_float(self.binarize, "binarize")).astype(float)

    def fit(self, X, y) -> "BernoulliNB":
        """Fit to ``X`` (n, V) and labels ``y`` (n,); return ``self``."""
        X, classes, _, onehot = _check_Xy(X, y)
        X = self._binary(X)
        alpha = check_float(self.alpha, "alpha", low=0, low_open=True)
        check_bool(self.fit_prior, "fit_prior")
        self.classes_, self.class_count_ = classes, onehot.sum(axis=0)
        self.feature_count_ = onehot.T @ X
        totals = self.class_count_[:, None]
        self.feature_log_prob_ = lidstone_log_prob(self.feature_count_, totals, alpha, 2)
        self.feature_log_prob_off_ = lidstone_log_prob(totals - self.feature_count_, totals, alpha, 2)
        self.class_log_prior_ = _class_log_prior(self.class_count_, self.fit_prior, self.class_prior)
        return self

    def joint_log_likelihood(self, X) -> np.ndarray:
        r""":math:`\log P(c) + \sum_v [x_v \log \hat p_{cv} + (1 - x_v) \log(1 - \hat p_{cv})]`, shape (n, k)."""
        self._fitted()
        X = self._binary(X)
        if X.shape[1] != self.feature_log_prob_.shape[1]:
            raise ValueError(f"X has {X.shape[1]} columns but the model was fitted on "
                             f"{self.feature_log_prob_.shape[1]}")
        return (X @ (self.feature_log_prob_ - self.feature_log_prob_off_).T + self.feature_log_prob_off_.sum(axis=1)
                + self.class_log_prior_)

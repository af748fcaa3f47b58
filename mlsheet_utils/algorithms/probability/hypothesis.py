"""Classical hypothesis tests from scratch, a permutation test and multiple-testing adjustments.

- :func:`tail_pvalue`, :func:`z_critical`   p-values and critical values of a symmetric reference law;
- :func:`z_test`, :func:`two_proportion_z`  one-sample z-test (known sigma), pooled two-proportion z-test;
- :func:`t_test_1samp`, :func:`t_test_ind`, :func:`t_test_paired`, with :func:`pooled_variance` and
  :func:`welch_df`; :func:`two_sample_t_batch` gives the pooled and Welch statistics of many experiments at once;
- :func:`chi2_statistic`, :func:`chi2_gof`, :func:`expected_counts`, :func:`chi2_independence`, :func:`g_test`;
- :func:`permutation_test_means` (random or exact relabellings), :func:`adjust_pvalues` (Bonferroni, Holm,
  Benjamini-Hochberg).

Every statistic is computed here with NumPy; only the tail areas of the reference distributions come from
:mod:`scipy.stats` (``norm``, ``t``, ``chi2``). Each closed-form test returns a :class:`TestResult` with the
statistic, the p-value and the degrees of freedom, so a notebook can compare it with ``scipy.stats.ttest_ind``
and friends. Power, sample sizes and error rates are in :mod:`.power`.

The ``alternative`` argument follows SciPy: ``"two-sided"``, ``"greater"`` (the parameter is larger than under
:math:`H_0`) or ``"less"``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from mlsheet_utils.validation import as_array, check_bool, check_float, check_int, check_random_state

ALTERNATIVES = ("two-sided", "greater", "less")


@dataclass(frozen=True)
class TestResult:
    """The outcome of a test: statistic, p-value, degrees of freedom (``None`` for a z-test)."""

    __test__ = False  # not a pytest test class

    statistic: float
    pvalue: float
    df: float | None = None
    expected: np.ndarray | None = None


def _check_alternative(alternative: str) -> str:
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")
    return alternative


def _check_alpha(alpha) -> float:
    return check_float(alpha, "alpha", low=0, high=1, low_open=True, high_open=True)



def _sample(x, name: str, min_size: int) -> np.ndarray:
    x = as_array(x, name, ndim=1)
    if x.size < min_size:
        raise ValueError(f"{name} needs at least {min_size} observations, got {x.size}")
    return x


def tail_pvalue(statistic, dist, alternative: str = "two-sided"):
    r"""P-value of ``statistic`` under a distribution symmetric about 0 (``scipy.stats.norm`` or ``t(df)``).

    .. math::
        p = \begin{cases} 2\,P(T \ge |t|) & \text{two-sided} \\ P(T \ge t) & \text{greater}
        \\ P(T \le t) & \text{less} \end{cases}

    Parameters
    ----------
    statistic : float or ndarray, any shape, not empty; +-inf is allowed (a p-value of 0 or 1), NaN is not
    dist : frozen or unfrozen scipy.stats distribution with ``sf`` and ``cdf``
    alternative : {"two-sided", "greater", "less"}
    """
    _check_alternative(alternative)
    statistic = as_array(statistic, "statistic", finite=False)
    if np.isnan(statistic).any():
        raise ValueError(f"statistic contains NaN ({np.count_nonzero(np.isnan(statistic))} of {statistic.size} "
                         "entries)")
    if not (callable(getattr(dist, "sf", None)) and callable(getattr(dist, "cdf", None))):
        raise ValueError(f"dist must be a scipy.stats distribution with sf and cdf methods, got "
                         f"{type(dist).__name__} {dist!r:.60}")
    if alternative == "greater":
        p = dist.sf(statistic)
    elif alternative == "less":
        p = dist.cdf(statistic)
    else:
        p = np.minimum(2.0 * dist.sf(np.abs(statistic)), 1.0)
    return p if p.ndim else float(p)


def z_critical(alpha: float, alternative: str = "two-sided") -> float:
    r"""Critical value :math:`z^*` of a z-test at level ``alpha``: :math:`z_{1-\alpha/2}` two-sided,
    :math:`z_{1-\alpha}` for ``"greater"`` and :math:`-z_{1-\alpha}` for ``"less"``."""
    alpha = _check_alpha(alpha)
    _check_alternative(alternative)
    if alternative == "two-sided":
        return float(stats.norm.isf(alpha / 2))
    z = float(stats.norm.isf(alpha))
    return z if alternative == "greater" else -z


def z_test(x, mu0: float, sigma: float, alternative: str = "two-sided") -> TestResult:
    r"""One-sample z-test of :math:`H_0: \mu = \mu_0` with the population standard deviation known.

    .. math:: Z = \frac{\bar x - \mu_0}{\sigma / \sqrt n} \sim \mathcal N(0, 1) \text{ under } H_0

    Parameters
    ----------
    x : array_like, shape (n,), n >= 1
    mu0 : float, the mean under the null hypothesis
    sigma : float > 0, the known population standard deviation
    alternative : {"two-sided", "greater", "less"}

    Returns
    -------
    TestResult with ``df=None``
    """
    x = _sample(x, "x", 1)
    mu0 = check_float(mu0, "mu0")
    sigma = check_float(sigma, "sigma", low=0, low_open=True)
    z = (x.mean() - mu0) / (sigma / math.sqrt(x.size))
    return TestResult(float(z), tail_pvalue(z, stats.norm, alternative))


def two_proportion_z(k1: int, n1: int, k2: int, n2: int, alternative: str = "two-sided") -> TestResult:
    r"""Pooled two-proportion z-test of :math:`H_0: p_1 = p_2` (the A/B test of conversion rates).

    .. math:: Z = \frac{k_1/n_1 - k_2/n_2}{\sqrt{\hat p(1 - \hat p)(1/n_1 + 1/n_2)}},\qquad
              \hat p = \frac{k_1 + k_2}{n_1 + n_2},

    approximately :math:`\mathcal N(0, 1)` under :math:`H_0`; the standard deviation is fixed by the pooled rate
    because a Bernoulli variance is a function of its mean. :math:`Z^2` is Pearson's chi-square of the 2x2 table
    (without continuity correction).

    Parameters
    ----------
    k1, k2 : int, successes, 0 <= k <= n
    n1, n2 : int >= 1, trials
    alternative : {"two-sided", "greater", "less"} (``"greater"``: rate 1 larger)

    Returns
    -------
    TestResult with ``df=None``

    Raises
    ------
    ValueError
        If ``k1 + k2`` is 0 or ``n1 + n2`` (the pooled rate is 0 or 1 and the standard error 0).
    """
    n1, n2 = check_int(n1, "n1", low=1), check_int(n2, "n2", low=1)
    k1, k2 = check_int(k1, "k1", low=0), check_int(k2, "k2", low=0)
    for k, n, kname, nname in ((k1, n1, "k1", "n1"), (k2, n2, "k2", "n2")):
        if k > n:
            raise ValueError(f"{kname} must be <= {n} (the trials {nname}), got {k}")
    _check_alternative(alternative)
    p = (k1 + k2) / (n1 + n2)
    if p in (0.0, 1.0):
        raise ValueError(f"k1 + k2 = {k1 + k2} of n1 + n2 = {n1 + n2}: the pooled rate is {p:g}, so the standard "
                         "error is 0 and the z-test is undefined")
    z = (k1 / n1 - k2 / n2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return TestResult(float(z), tail_pvalue(z, stats.norm, alternative))


def t_test_1samp(x, mu0: float = 0.0, alternative: str = "two-sided") -> TestResult:
    r"""One-sample t-test of :math:`H_0: \mu = \mu_0` with the standard deviation estimated.

    .. math:: T = \frac{\bar x - \mu_0}{s / \sqrt n},\quad s^2 = \frac{1}{n-1}\sum_i (x_i - \bar x)^2,
              \quad T \sim t_{n-1} \text{ under } H_0

    Parameters
    ----------
    x : array_like, shape (n,), n >= 2
    mu0 : float
    alternative : {"two-sided", "greater", "less"}
    """
    x = _sample(x, "x", 2)
    mu0 = check_float(mu0, "mu0")
    _check_alternative(alternative)
    n = x.size
    s = x.std(ddof=1)
    if s == 0:
        raise ValueError("x has zero variance; the t statistic is undefined")
    t = (x.mean() - mu0) / (s / math.sqrt(n))
    return TestResult(float(t), tail_pvalue(t, stats.t(n - 1), alternative), float(n - 1))


def pooled_variance(x, y) -> float:
    r"""Pooled variance :math:`s_p^2 = \frac{(n_1-1)s_1^2 + (n_2-1)s_2^2}{n_1 + n_2 - 2}` (unbiased when the
    two populations share one variance).

    Parameters
    ----------
    x, y : array_like, shapes (n1,), (n2,), n1, n2 >= 1 and n1 + n2 >= 3
    """
    x, y = _sample(x, "x", 1), _sample(y, "y", 1)
    if x.size + y.size < 3:
        raise ValueError(f"x and y need at least 3 observations together, got {x.size + y.size}")
    ss = ((x - x.mean()) ** 2).sum() + ((y - y.mean()) ** 2).sum()
    return float(ss / (x.size + y.size - 2))


def welch_df(var1: float, n1: int, var2: float, n2: int) -> float:
    r"""Welch-Satterthwaite degrees of freedom for the difference of two means.

    .. math:: \nu = \frac{\left(\frac{s_1^2}{n_1} + \frac{s_2^2}{n_2}\right)^2}
              {\frac{(s_1^2/n_1)^2}{n_1 - 1} + \frac{(s_2^2/n_2)^2}{n_2 - 1}}

    It lies between :math:`\min(n_1, n_2) - 1` and :math:`n_1 + n_2 - 2`. The terms are scaled by the larger
    of :math:`s_1^2/n_1` and :math:`s_2^2/n_2` (the ratio is unchanged), so tiny variances do not underflow.

    Parameters
    ----------
    var1, var2 : float >= 0, not both 0
    n1, n2 : int >= 2
    """
    var1 = check_float(var1, "var1", low=0)
    var2 = check_float(var2, "var2", low=0)
    n1, n2 = check_int(n1, "n1", low=2), check_int(n2, "n2", low=2)
    a, b = var1 / n1, var2 / n2
    if a + b == 0:
        raise ValueError("var1 and var2 are both zero; the Welch degrees of freedom are undefined")
    scale = max(a, b)
    a, b = a / scale, b / scale
    return float((a + b) ** 2 / (a ** 2 / (n1 - 1) + b ** 2 / (n2 - 1)))


def t_test_ind(x, y, equal_var: bool = True, alternative: str = "two-sided") -> TestResult:
    r"""Two-sample t-test of :math:`H_0: \mu_1 = \mu_2` for independent samples.

    Pooled (Student, ``equal_var=True``):
    :math:`T = \frac{\bar x - \bar y}{s_p\sqrt{1/n_1 + 1/n_2}}`, :math:`\nu = n_1 + n_2 - 2`.
    Welch (``equal_var=False``): :math:`T = \frac{\bar x - \bar y}{\sqrt{s_1^2/n_1 + s_2^2/n_2}}` with the
    Welch-Satterthwaite :math:`\nu` (:func:`welch_df`).

    Parameters
    ----------
    x : array_like, shape (n1,), n1 >= 2
    y : array_like, shape (n2,), n2 >= 2
    equal_var : bool
    alternative : {"two-sided", "greater", "less"} (``"greater"``: mean of x larger)
    """
    x, y = _sample(x, "x", 2), _sample(y, "y", 2)
    equal_var = check_bool(equal_var, "equal_var")
    _check_alternative(alternative)
    n1, n2 = x.size, y.size
    if equal_var:
        se = math.sqrt(pooled_variance(x, y) * (1 / n1 + 1 / n2))
        df = float(n1 + n2 - 2)
    else:
        v1, v2 = x.var(ddof=1), y.var(ddof=1)
        se = math.sqrt(v1 / n1 + v2 / n2)
        df = welch_df(float(v1), n1, float(v2), n2) if se > 0 else float("nan")
    if se == 0:
        raise ValueError("x and y both have zero variance; the t statistic is undefined")
    t = (x.mean() - y.mean()) / se
    return TestResult(float(t), tail_pvalue(t, stats.t(df), alternative), df)


def t_test_paired(x, y, alternative: str = "two-sided") -> TestResult:
    r"""Paired t-test: a one-sample t-test of the differences :math:`d_i = x_i - y_i` against 0,
    with :math:`\nu = n - 1`.

    Parameters
    ----------
    x, y : array_like, shape (n,), n >= 2, paired element by element
    """
    x, y = _sample(x, "x", 2), _sample(y, "y", 2)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length for a paired test, got {x.size} and {y.size}")
    return t_test_1samp(x - y, 0.0, alternative)


@dataclass(frozen=True)
class TwoSampleT:
    """Pooled and Welch t statistics of many two-sample experiments, with their degrees of freedom.

    Attributes
    ----------
    t_pooled : ndarray, shape (reps,)
    df_pooled : int, :math:`n_1 + n_2 - 2` (the same for every experiment)
    t_welch : ndarray, shape (reps,)
    df_welch : ndarray, shape (reps,), Welch-Satterthwaite degrees of freedom
    """

    t_pooled: np.ndarray
    df_pooled: int
    t_welch: np.ndarray
    df_welch: np.ndarray


def two_sample_t_batch(x, y) -> TwoSampleT:
    r"""Pooled and Welch two-sample t statistics for each row of ``x`` against the same row of ``y``.

    Row :math:`r` is one experiment: :math:`T_{\text{pooled}} = (\bar x - \bar y) / (s_p\sqrt{1/n_1 + 1/n_2})`
    with :math:`\nu = n_1 + n_2 - 2`, and :math:`T_{\text{Welch}} = (\bar x - \bar y) / \sqrt{s_1^2/n_1 +
    s_2^2/n_2}` with the Welch-Satterthwaite :math:`\nu` (see :func:`t_test_ind` and :func:`welch_df`), all
    rows at once. A row with zero variance in both groups gives a non-finite statistic rather than an error.

    Parameters
    ----------
    x : array_like, shape (reps, n1), n1 >= 2
    y : array_like, shape (reps, n2), n2 >= 2, the same number of rows

    Returns
    -------
    TwoSampleT
    """
    x, y = as_array(x, "x", ndim=2), as_array(y, "y", ndim=2)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same number of rows, got {x.shape[0]} and {y.shape[0]}")
    if min(x.shape[1], y.shape[1]) < 2:
        raise ValueError(f"x and y need at least 2 columns each, got shapes {x.shape} and {y.shape}")
    k1, k2 = x.shape[1], y.shape[1]
    v1, v2 = x.var(1, ddof=1), y.var(1, ddof=1)
    diff = x.mean(1) - y.mean(1)
    sp2 = ((k1 - 1) * v1 + (k2 - 1) * v2) / (k1 + k2 - 2)
    t_pooled = diff / np.sqrt(sp2 * (1 / k1 + 1 / k2))
    a, b = v1 / k1, v2 / k2
    t_welch = diff / np.sqrt(a + b)
    df_welch = (a + b) ** 2 / (a ** 2 / (k1 - 1) + b ** 2 / (k2 - 1))
    return TwoSampleT(t_pooled, k1 + k2 - 2, t_welch, df_welch)


def chi2_statistic(observed, expected) -> float:
    r"""Pearson's statistic :math:`\chi^2 = \sum (O - E)^2 / E` over all cells (any shape)."""
    observed = as_array(observed, "observed")
    expected = as_array(expected, "expected")
    if observed.shape != expected.shape:
        raise ValueError(f"observed and expected must have the same shape, got {observed.shape} and "
                         f"{expected.shape}")
    if np.any(expected <= 0):
        raise ValueError(f"expected counts must all be > 0, got a minimum of {expected.min():g}")
    return float(((observed - expected) ** 2 / expected).sum())


def chi2_gof(observed, expected=None, ddof: int = 0) -> TestResult:
    r"""Chi-square goodness-of-fit test of observed counts against expected counts.

    .. math:: \chi^2 = \sum_{j=1}^{k} \frac{(O_j - E_j)^2}{E_j} \sim \chi^2_{k - 1 - \text{ddof}}

    asymptotically under :math:`H_0` (``ddof`` = number of parameters estimated from the data).

    Parameters
    ----------
    observed : array_like, shape (k,), counts >= 0 with a positive total, k >= 2
    expected : array_like, shape (k,), > 0, same total as ``observed``; default uniform
    ddof : int >= 0, with k - 1 - ddof >= 1
    """
    observed = _sample(observed, "observed", 2)
    if np.any(observed < 0):
        raise ValueError("observed counts must be >= 0")
    total = observed.sum()
    if total == 0:
        raise ValueError("observed counts are all 0; the test needs a positive total")
    if expected is None:
        expected = np.full(observed.shape, total / observed.size)
    expected = as_array(expected, "expected", ndim=1)
    if not np.isclose(expected.sum(), total, rtol=1e-8):
        raise ValueError(f"expected must sum to the observed total {total:g}, got {expected.sum():g}")
    ddof = check_int(ddof, "ddof", low=0, high=observed.size - 2)
    stat = chi2_statistic(observed, expected)
    df = observed.size - 1 - ddof
    return TestResult(stat, float(stats.chi2.sf(stat, df)), float(df), expected)


def expected_counts(table) -> np.ndarray:
    r"""Expected counts under independence, :math:`E_{ij} = R_i C_j / N` (row total times column total over N).

    Parameters
    ----------
    table : array_like, shape (r, c), counts >= 0, no empty row or column
    """
    table = as_array(table, "table", ndim=2)
    if min(table.shape) < 2:
        raise ValueError(f"table needs at least 2 rows and 2 columns, got shape {table.shape}")
    if np.any(table < 0):
        raise ValueError("table counts must be >= 0")
    rows, cols = table.sum(1), table.sum(0)
    if np.any(rows == 0) or np.any(cols == 0):
        raise ValueError("table has an empty row or column; expected counts would be 0")
    return np.outer(rows, cols) / table.sum()


def chi2_independence(table) -> TestResult:
    r"""Pearson's chi-square test of independence for an r x c contingency table (no continuity correction).

    .. math:: \chi^2 = \sum_{i,j}\frac{(O_{ij} - E_{ij})^2}{E_{ij}},\quad E_{ij} = \frac{R_i C_j}{N},
              \quad \nu = (r - 1)(c - 1)

    Returns
    -------
    TestResult with ``expected`` holding the (r, c) expected counts
    """
    expected = expected_counts(table)
    stat = chi2_statistic(np.asarray(table, dtype=float), expected)
    df = (expected.shape[0] - 1) * (expected.shape[1] - 1)
    return TestResult(stat, float(stats.chi2.sf(stat, df)), float(df), expected)


def g_test(table) -> TestResult:
    r"""Likelihood-ratio (G) test of independence for an r x c contingency table.

    .. math:: G = 2\sum_{i,j} O_{ij}\ln\frac{O_{ij}}{E_{ij}},\quad E_{ij} = \frac{R_i C_j}{N},
              \quad \nu = (r - 1)(c - 1),

    with :math:`0 \ln 0 = 0`. :math:`G = 2N\hat I(X; Y)`, twice the sample size times the plug-in mutual
    information (in nats), and Pearson's :math:`\chi^2` is its second-order approximation.

    Parameters
    ----------
    table : array_like, shape (r, c), counts >= 0, no empty row or column

    Returns
    -------
    TestResult with ``expected`` holding the (r, c) expected counts
    """
    expected = expected_counts(table)                     # validates the table
    obs = np.asarray(table, dtype=float)
    ratio = np.where(obs > 0, obs / expected, 1.0)        # cells with O = 0 contribute 0
    stat = float(2 * np.sum(obs * np.log(ratio)))
    df = (obs.shape[0] - 1) * (obs.shape[1] - 1)
    return TestResult(stat, float(stats.chi2.sf(stat, df)), float(df), expected)


#: Largest number of splits :func:`permutation_test_means` enumerates with ``exact=True``.
MAX_EXACT_SPLITS = 2_000_000


@dataclass(frozen=True)
class PermutationResult:
    r"""A permutation test's observed statistic, p-value and null distribution.

    Attributes
    ----------
    statistic : float, :math:`\bar x - \bar y` for the observed labelling
    pvalue : float
    null : ndarray, shape (n_splits,) or (n_resamples,), the statistic under each relabelling
    """

    statistic: float
    pvalue: float
    null: np.ndarray


def permutation_test_means(x, y, *, n_resamples: int = 9999, exact: bool = False, alternative: str = "two-sided",
                           rng=0) -> PermutationResult:
    r"""Permutation test of :math:`H_0`: "the group labels are exchangeable", with :math:`T = \bar x - \bar y`.

    Under :math:`H_0` every split of the pooled :math:`n = n_1 + n_2` values into groups of sizes :math:`n_1`
    and :math:`n_2` is equally likely. The null distribution is :math:`T` over all :math:`\binom{n}{n_1}`
    splits (``exact``) or over ``n_resamples`` random relabellings, held as one integer array of shape
    ``(n_resamples, n1 + n2)`` whose first ``n1`` columns index group x. Each split costs one sum, since
    :math:`\bar x' - \bar y' = S'/n_1 - (S - S')/n_2` with :math:`S'` the sum of the new group x and :math:`S`
    the total.

    .. math::
        p_{\ge} = \frac{\#\{T' \ge t\} + a}{B + a}, \quad p_{\le} = \frac{\#\{T' \le t\} + a}{B + a},
        \quad p_{\text{two-sided}} = \min(1, 2\min(p_{\ge}, p_{\le})),

    with :math:`a = 1` for random relabellings (the observed labelling counts as one of them) and :math:`a = 0`
    when all :math:`B` splits are enumerated (SciPy's ``permutation_test`` conventions). Ties within
    :math:`100\,\varepsilon\max(|t|, \max_i |z_i|)` (round-off scales with the data :math:`z`) count as at
    least as extreme.

    Parameters
    ----------
    x, y : array_like, shapes (n1,), (n2,), at least one value each
    n_resamples : int >= 1, random relabellings when ``exact`` is False (checked either way)
    exact : bool, enumerate every split (at most :data:`MAX_EXACT_SPLITS` of them)
    alternative : {"two-sided", "greater", "less"} (``"greater"``: mean of x larger)
    rng : int or numpy.random.Generator, used when ``exact`` is False (checked either way)

    Returns
    -------
    PermutationResult
    """
    x, y = _sample(x, "x", 1), _sample(y, "y", 1)
    _check_alternative(alternative)
    exact = check_bool(exact, "exact")
    n_resamples = check_int(n_resamples, "n_resamples", low=1)
    gen = check_random_state(rng)
    pooled, n1 = np.concatenate([x, y]), x.size
    total, n = pooled.sum(), pooled.size
    if exact:
        n_splits = math.comb(n, n1)
        if n_splits > MAX_EXACT_SPLITS:
            raise ValueError(f"exact=True would enumerate {n_splits} splits (more than {MAX_EXACT_SPLITS}); "
                             "use random relabellings")
        idx = np.array(list(itertools.combinations(range(n), n1)))          # (C(n, n1), n1)
    else:
        idx = gen.permuted(np.tile(np.arange(n), (n_resamples, 1)), axis=1)[:, :n1]
    sum_x = pooled[idx].sum(1)
    null = sum_x / n1 - (total - sum_x) / (n - n1)
    observed = x.sum() / n1 - (total - x.sum()) / (n - n1)            # the same formula as the null's
    # equal in theory, different in the last bits: round-off scales with the data, not with |observed|, which
    # may be 0 (x = [0.1, 0.2], y = [0.2, 0.1] must count the tying relabellings)
    tol = 100 * np.finfo(float).eps * max(abs(observed), float(np.abs(pooled).max()))
    add = 0 if exact else 1
    greater = (np.count_nonzero(null >= observed - tol) + add) / (null.size + add)
    less = (np.count_nonzero(null <= observed + tol) + add) / (null.size + add)
    p = {"greater": greater, "less": less, "two-sided": min(1.0, 2 * min(greater, less))}[alternative]
    return PermutationResult(float(observed), float(p), null)


ADJUSTMENTS = ("bonferroni", "holm", "bh")


def adjust_pvalues(p, method: str = "bh") -> np.ndarray:
    r"""Multiple-testing adjusted p-values: reject hypothesis :math:`i` at level :math:`\alpha` when
    ``adjusted[i] <= alpha``.

    With :math:`p_{(1)} \le \dots \le p_{(m)}` the sorted p-values,

    .. math::
        \text{bonferroni: } q_i = \min(1, m p_i) \qquad \text{(family-wise error rate)}

        \text{holm: } q_{(k)} = \min\bigl(1, \max_{j \le k} (m - j + 1) p_{(j)}\bigr)
        \qquad \text{(FWER, never less powerful than Bonferroni)}

        \text{bh: } q_{(k)} = \min\bigl(1, \min_{j \ge k} m p_{(j)} / j\bigr)
        \qquad \text{(false discovery rate, Benjamini-Hochberg)}

    Each is a sort, a cumulative extreme and an unsort.

    Parameters
    ----------
    p : array_like, shape (m,), m >= 1, values in [0, 1]
    method : {"bonferroni", "holm", "bh"}

    Returns
    -------
    ndarray, shape (m,), in the input order
    """
    p = as_array(p, "p", ndim=1)
    if p.size == 0 or np.any((p < 0) | (p > 1)):
        raise ValueError(f"p must be a non-empty 1-d array of values in [0, 1], got values in "
                         f"[{p.min():g}, {p.max():g}]")
    if method not in ADJUSTMENTS:
        raise ValueError(f"method must be one of {ADJUSTMENTS}, got {method!r}")
    m, order = p.size, np.argsort(p, kind="stable")
    ps, k = p[order], np.arange(1, p.size + 1)
    if method == "bonferroni":
        return np.minimum(1.0, m * p)
    if method == "holm":
        q = np.maximum.accumulate((m - k + 1) * ps)
    else:
        q = np.minimum.accumulate((m * ps / k)[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out

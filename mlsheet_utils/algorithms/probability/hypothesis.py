"""Classical hypothesis tests from scratch: z, t (one-sample, two-sample pooled and Welch, paired), chi-square.

Every statistic is computed here with NumPy; only the tail areas of the reference distributions come from
:mod:`scipy.stats` (``norm``, ``t``, ``chi2``). Each test returns a :class:`TestResult` with the statistic,
the p-value and the degrees of freedom, so a notebook can compare it with ``scipy.stats.ttest_ind`` and friends.

The ``alternative`` argument follows SciPy: ``"two-sided"``, ``"greater"`` (the parameter is larger than under
:math:`H_0`) or ``"less"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from mlsheet_utils.validation import as_array, check_float, check_int

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
    statistic : float or ndarray
    dist : frozen or unfrozen scipy.stats distribution with ``sf`` and ``cdf``
    alternative : {"two-sided", "greater", "less"}
    """
    _check_alternative(alternative)
    statistic = np.asarray(statistic, dtype=float)
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


def z_power(effect: float, sigma: float, n, alpha: float = 0.05, alternative: str = "two-sided"):
    r"""Power :math:`1 - \beta` of a one-sample z-test when the true mean is :math:`\mu_0 + \delta`.

    With :math:`d = \delta\sqrt n / \sigma` (the mean of :math:`Z` under :math:`H_1`),

    .. math::
        1 - \beta = \begin{cases}
        \Phi(d - z_{1-\alpha}) & \text{greater} \\
        \Phi(-d - z_{1-\alpha}) & \text{less} \\
        \Phi(d - z_{1-\alpha/2}) + \Phi(-d - z_{1-\alpha/2}) & \text{two-sided.}
        \end{cases}

    Parameters
    ----------
    effect : float, :math:`\delta = \mu_1 - \mu_0` (any sign; 0 gives power = alpha)
    sigma : float > 0
    n : int >= 1 or integer ndarray (vectorised over n)
    alpha : float in (0, 1)
    alternative : {"two-sided", "greater", "less"}

    Returns
    -------
    float, or ndarray shaped like ``n``
    """
    effect = check_float(effect, "effect")
    sigma = check_float(sigma, "sigma", low=0, low_open=True)
    n_arr = np.asarray(n)
    if n_arr.ndim == 0:
        check_int(n, "n", low=1)
    elif not (np.issubdtype(n_arr.dtype, np.integer) and np.all(n_arr >= 1)):
        raise ValueError("n must hold integers >= 1")
    zc = z_critical(alpha, alternative)
    d = effect * np.sqrt(n_arr) / sigma
    if alternative == "greater":
        power = stats.norm.cdf(d - zc)
    elif alternative == "less":
        power = stats.norm.cdf(zc - d)
    else:
        power = stats.norm.cdf(d - zc) + stats.norm.cdf(-d - zc)
    return power if np.ndim(power) else float(power)


def z_sample_size(effect: float, sigma: float, power: float = 0.8, alpha: float = 0.05,
                  alternative: str = "two-sided") -> int:
    r"""Smallest :math:`n` whose z-test reaches the target ``power`` against the mean shift ``effect``.

    Starts from the closed form :math:`n = \left(\frac{(z_{1-\alpha'} + z_{1-\beta})\,\sigma}{\delta}\right)^2`
    rounded up, with :math:`\alpha' = \alpha` one-sided and :math:`\alpha/2` two-sided (which ignores the far
    tail), then steps down while :func:`z_power` still reaches the target.

    Raises
    ------
    ValueError
        If ``effect`` is 0 or points away from a one-sided alternative (no n reaches the power), or if
        ``power <= alpha``.
    """
    effect = check_float(effect, "effect")
    sigma = check_float(sigma, "sigma", low=0, low_open=True)
    power = check_float(power, "power", low=0, high=1, low_open=True, high_open=True)
    alpha = _check_alpha(alpha)
    _check_alternative(alternative)
    if power <= alpha:
        raise ValueError(f"power must exceed alpha (n = 1 already has power >= alpha), got power={power}")
    if effect == 0 or (alternative == "greater" and effect < 0) or (alternative == "less" and effect > 0):
        raise ValueError(f"effect={effect} never reaches power {power} for alternative {alternative!r}")
    z_a = stats.norm.isf(alpha / 2 if alternative == "two-sided" else alpha)
    n = max(1, math.ceil(((z_a + stats.norm.isf(1 - power)) * sigma / abs(effect)) ** 2 - 1e-9))
    while n > 1 and z_power(effect, sigma, n - 1, alpha, alternative) >= power:
        n -= 1
    return n


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
    two populations share one variance)."""
    x, y = _sample(x, "x", 1), _sample(y, "y", 1)
    if x.size + y.size < 3:
        raise ValueError(f"x and y need at least 3 observations together, got {x.size + y.size}")
    ss = ((x - x.mean()) ** 2).sum() + ((y - y.mean()) ** 2).sum()
    return float(ss / (x.size + y.size - 2))


def welch_df(var1: float, n1: int, var2: float, n2: int) -> float:
    r"""Welch-Satterthwaite degrees of freedom for the difference of two means.

    .. math:: \nu = \frac{\left(\frac{s_1^2}{n_1} + \frac{s_2^2}{n_2}\right)^2}
              {\frac{(s_1^2/n_1)^2}{n_1 - 1} + \frac{(s_2^2/n_2)^2}{n_2 - 1}}

    It lies between :math:`\min(n_1, n_2) - 1` and :math:`n_1 + n_2 - 2`.
    """
    var1 = check_float(var1, "var1", low=0)
    var2 = check_float(var2, "var2", low=0)
    n1, n2 = check_int(n1, "n1", low=2), check_int(n2, "n2", low=2)
    a, b = var1 / n1, var2 / n2
    if a + b == 0:
        raise ValueError("var1 and var2 are both zero; the Welch degrees of freedom are undefined")
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


def chi2_statistic(observed, expected) -> float:
    r"""Pearson's statistic :math:`\chi^2 = \sum (O - E)^2 / E` over all cells (any shape)."""
    observed = as_array(observed, "observed")
    expected = as_array(expected, "expected")
    if observed.shape != expected.shape:
        raise ValueError(f"observed and expected must have the same shape, got {observed.shape} and "
                         f"{expected.shape}")
    if np.any(expected <= 0):
        raise ValueError("expected counts must all be > 0")
    return float(((observed - expected) ** 2 / expected).sum())


def chi2_gof(observed, expected=None, ddof: int = 0) -> TestResult:
    r"""Chi-square goodness-of-fit test of observed counts against expected counts.

    .. math:: \chi^2 = \sum_{j=1}^{k} \frac{(O_j - E_j)^2}{E_j} \sim \chi^2_{k - 1 - \text{ddof}}

    asymptotically under :math:`H_0` (``ddof`` = number of parameters estimated from the data).

    Parameters
    ----------
    observed : array_like, shape (k,), counts >= 0, k >= 2
    expected : array_like, shape (k,), > 0, same total as ``observed``; default uniform
    ddof : int >= 0, with k - 1 - ddof >= 1
    """
    observed = _sample(observed, "observed", 2)
    if np.any(observed < 0):
        raise ValueError("observed counts must be >= 0")
    total = observed.sum()
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

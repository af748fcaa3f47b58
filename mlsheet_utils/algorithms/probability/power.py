"""Power, sample size and error rates of the classical tests: closed forms, simulations and exact values.

- :func:`z_power`, :func:`z_sample_size`     power of the one-sample z-test and the smallest n reaching a target;
- :func:`z_error_rates`                     Monte Carlo Type I and Type II error rates of the one-sided z-test;
- :func:`z_type1_rate`                      simulated Type I error of the z-test for any data distribution;
- :func:`two_sample_type1_rates`            simulated Type I error of the pooled and Welch t-tests;
- :func:`two_sample_type1_exact`            the same rates exactly, by Gauss-Laguerre quadrature;
- :func:`chi2_gof_exact_size`               exact size of the chi-square goodness-of-fit test, by enumeration.

The tests themselves (statistics, p-values, critical values) are in :mod:`.hypothesis`. Every simulation takes
its randomness as ``rng``, an int seed or a ``numpy.random.Generator``, and draws all experiments as one array.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import special, stats

from mlsheet_utils.algorithms.probability import hypothesis as ht
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state


def _check_n(n) -> np.ndarray:
    n_arr = np.asarray(n)
    if n_arr.ndim == 0:
        check_int(n, "n", low=1)
    elif not (np.issubdtype(n_arr.dtype, np.integer) and np.all(n_arr >= 1)):
        raise ValueError("n must hold integers >= 1")
    return n_arr


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
    n_arr = _check_n(n)
    zc = ht.z_critical(alpha, alternative)
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
    ht.z_critical(alpha, alternative)                     # validates alpha and alternative
    if power <= alpha:
        raise ValueError(f"power must exceed alpha (n = 1 already has power >= alpha), got power={power}")
    if effect == 0 or (alternative == "greater" and effect < 0) or (alternative == "less" and effect > 0):
        raise ValueError(f"effect={effect} never reaches power {power} for alternative {alternative!r}")
    z_a = stats.norm.isf(alpha / 2 if alternative == "two-sided" else alpha)
    n = max(1, math.ceil(((z_a + stats.norm.isf(1 - power)) * sigma / abs(effect)) ** 2 - 1e-9))
    while n > 1 and z_power(effect, sigma, n - 1, alpha, alternative) >= power:
        n -= 1
    return n


@dataclass(frozen=True)
class ErrorRates:
    r"""Simulated error rates of a test: the share of rejections under :math:`H_0` and of non-rejections under
    :math:`H_1`.

    Attributes
    ----------
    type1 : float, estimate of :math:`\alpha = P(\text{reject} \mid H_0)`
    type2 : float, estimate of :math:`\beta = P(\text{keep} \mid H_1)`; the power is ``1 - type2``
    """

    type1: float
    type2: float


def z_error_rates(delta: float, sigma: float, n: int, alpha: float, reps: int, rng) -> ErrorRates:
    r"""Monte Carlo Type I and Type II error rates of the one-sided z-test of :math:`\mu = 0` against
    :math:`\mu = \delta > 0`.

    Draws ``reps`` samples of size ``n`` under each hypothesis (arrays of shape ``(reps, n)``, first under
    :math:`H_0`, then under :math:`H_1`), computes :math:`Z = \bar x\sqrt n/\sigma` for each and rejects when
    :math:`Z > z_{1-\alpha}`:

    .. math:: \hat\alpha = \frac{1}{R}\sum_r [Z_r^{(0)} > z_{1-\alpha}], \qquad
              \hat\beta = \frac{1}{R}\sum_r [Z_r^{(1)} \le z_{1-\alpha}].

    Parameters
    ----------
    delta : float, the mean under :math:`H_1`
    sigma : float > 0, the known standard deviation
    n : int >= 1, observations per experiment
    alpha : float in (0, 1)
    reps : int >= 1, experiments under each hypothesis
    rng : int or numpy.random.Generator

    Returns
    -------
    ErrorRates
    """
    delta = check_float(delta, "delta")
    sigma = check_float(sigma, "sigma", low=0, low_open=True)
    n, reps = check_int(n, "n", low=1), check_int(reps, "reps", low=1)
    crit = ht.z_critical(alpha, "greater")
    gen = check_random_state(rng)
    z0 = gen.normal(0.0, sigma, (reps, n)).mean(1) * np.sqrt(n) / sigma
    z1 = gen.normal(delta, sigma, (reps, n)).mean(1) * np.sqrt(n) / sigma
    return ErrorRates(float(np.mean(z0 > crit)), float(np.mean(z1 <= crit)))


def z_type1_rate(sample: Callable, n: int, mu0: float, sigma: float, alpha: float, reps: int, rng,
                 alternative: str = "two-sided") -> float:
    r"""Share of ``reps`` z-tests (known ``sigma``) that reject :math:`H_0: \mu = \mu_0` on data from ``sample``.

    When ``sample`` draws data whose true mean is ``mu0`` the share estimates the real Type I error, which is
    ``alpha`` exactly for normal data and only approximately (central limit theorem) for other distributions.
    All experiments are one ``(reps, n)`` array; :math:`Z = (\bar x - \mu_0)/(\sigma/\sqrt n)` rejects when
    :math:`|Z| > z_{1-\alpha/2}` (two-sided), :math:`Z > z_{1-\alpha}` (greater) or :math:`Z < -z_{1-\alpha}`
    (less).

    Parameters
    ----------
    sample : callable ``sample(rng, shape) -> ndarray of that shape``
    n : int >= 1, observations per experiment
    mu0 : float, the hypothesised mean
    sigma : float > 0, the standard deviation the test assumes
    alpha : float in (0, 1)
    reps : int >= 1
    rng : int or numpy.random.Generator, passed to ``sample``
    alternative : {"two-sided", "greater", "less"}

    Returns
    -------
    float in [0, 1]
    """
    if not callable(sample):
        raise ValueError(f"sample must be a callable sample(rng, shape), got {type(sample).__name__}")
    n, reps = check_int(n, "n", low=1), check_int(reps, "reps", low=1)
    mu0 = check_float(mu0, "mu0")
    sigma = check_float(sigma, "sigma", low=0, low_open=True)
    crit = ht.z_critical(alpha, alternative)
    x = np.asarray(sample(check_random_state(rng), (reps, n)), dtype=float)           # (reps, n)
    if x.shape != (reps, n):
        raise ValueError(f"sample(rng, {(reps, n)}) returned shape {x.shape}")
    z = (x.mean(1) - mu0) / (sigma / np.sqrt(n))
    if alternative == "greater":
        return float(np.mean(z > crit))
    if alternative == "less":
        return float(np.mean(z < crit))
    return float(np.mean(np.abs(z) > crit))


@dataclass(frozen=True)
class TwoSampleRates:
    """Rejection rates of the pooled (Student) and Welch two-sample t-tests."""

    pooled: float
    welch: float


def _two_sample_args(n1, n2, sd_ratio, alpha):
    n1, n2 = check_int(n1, "n1", low=2), check_int(n2, "n2", low=2)
    sd_ratio = check_float(sd_ratio, "sd_ratio", low=0, low_open=True)
    alpha = check_float(alpha, "alpha", low=0, high=1, low_open=True, high_open=True)
    return n1, n2, sd_ratio, alpha


def two_sample_type1_rates(n1: int, n2: int, sd_ratio: float, alpha: float, reps: int, rng) -> TwoSampleRates:
    r"""Simulated Type I error of the pooled and Welch t-tests (two-sided) for normal groups with equal means.

    Group 1 is :math:`\mathcal N(0, r^2)` with :math:`r` = ``sd_ratio``, group 2 is :math:`\mathcal N(0, 1)`;
    ``reps`` experiments are drawn as a ``(reps, n1)`` and then a ``(reps, n2)`` array, and each test rejects
    when its p-value :math:`2P(T_\nu > |t|)` is at most ``alpha`` (see :func:`.hypothesis.two_sample_t_batch`).

    Parameters
    ----------
    n1, n2 : int >= 2, group sizes
    sd_ratio : float > 0, :math:`\sigma_1 / \sigma_2`
    alpha : float in (0, 1)
    reps : int >= 1
    rng : int or numpy.random.Generator

    Returns
    -------
    TwoSampleRates
    """
    n1, n2, sd_ratio, alpha = _two_sample_args(n1, n2, sd_ratio, alpha)
    reps = check_int(reps, "reps", low=1)
    gen = check_random_state(rng)
    x = gen.normal(0.0, sd_ratio, (reps, n1))
    y = gen.normal(0.0, 1.0, (reps, n2))
    res = ht.two_sample_t_batch(x, y)
    return TwoSampleRates(float(np.mean(2 * stats.t.sf(np.abs(res.t_pooled), res.df_pooled) <= alpha)),
                          float(np.mean(2 * stats.t.sf(np.abs(res.t_welch), res.df_welch) <= alpha)))


def two_sample_type1_exact(n1: int, n2: int, sd_ratio: float, alpha: float, nodes: int = 80) -> TwoSampleRates:
    r"""Exact Type I error of the pooled and Welch t-tests (two-sided) for normal groups with equal means.

    With :math:`\sigma_2 = 1`, :math:`\sigma_1 = r` and :math:`V_i = (n_i - 1)s_i^2/\sigma_i^2 \sim
    \chi^2_{n_i - 1}`, the difference in means is :math:`\mathcal N(0, v_d)`, :math:`v_d = r^2/n_1 + 1/n_2`, and
    independent of :math:`(V_1, V_2)`. A test with estimated standard error :math:`\widehat{se}(V_1, V_2)` and
    critical value :math:`c` therefore rejects with conditional probability
    :math:`2\Phi\bigl(-c\,\widehat{se}/\sqrt{v_d}\bigr)`, and the rate is its expectation over :math:`V_1, V_2`:

    .. math:: P(\text{reject}) = E_{V_1, V_2}\Bigl[2\Phi\Bigl(-c(V_1, V_2)\,
              \frac{\widehat{se}(V_1, V_2)}{\sqrt{v_d}}\Bigr)\Bigr],

    a two-dimensional integral done by the tensor product of two generalised Gauss-Laguerre rules
    (:math:`E f(V) = \sum_j w_j f(2x_j)/\Gamma(k/2)` for :math:`V \sim \chi^2_k`). For the pooled test
    :math:`c = t_{n_1+n_2-2, 1-\alpha/2}`; for Welch's, :math:`c` is the t quantile at the Welch-Satterthwaite
    :math:`\nu(V_1, V_2)`. With 80 nodes the rule is accurate to rounding once both groups have about eight
    observations; for smaller groups the integrand's kink at :math:`V = 0` slows it down (an error near
    :math:`10^{-6}` for two groups of three).

    Parameters
    ----------
    n1, n2 : int >= 2
    sd_ratio : float > 0, :math:`\sigma_1 / \sigma_2`
    alpha : float in (0, 1)
    nodes : int >= 2, quadrature nodes per dimension

    Returns
    -------
    TwoSampleRates
    """
    n1, n2, sd_ratio, alpha = _two_sample_args(n1, n2, sd_ratio, alpha)
    nodes = check_int(nodes, "nodes", low=2)

    def rule(k):                                  # E f(V), V ~ chi2(k): sum_j w_j f(2 x_j) / Gamma(k / 2)
        x_, w_ = special.roots_genlaguerre(nodes, k / 2 - 1)
        return 2 * x_, w_ / special.gamma(k / 2)

    (v1, w1), (v2, w2) = rule(n1 - 1), rule(n2 - 1)
    V1, V2 = np.meshgrid(v1, v2, indexing="ij")
    weight = np.outer(w1, w2)
    a, b = sd_ratio ** 2 * V1 / ((n1 - 1) * n1), V2 / ((n2 - 1) * n2)      # s1^2 / n1, s2^2 / n2
    var_d = sd_ratio ** 2 / n1 + 1 / n2
    sp2 = (n1 * (n1 - 1) * a + n2 * (n2 - 1) * b) / (n1 + n2 - 2)
    pooled = 2 * stats.norm.sf(stats.t.isf(alpha / 2, n1 + n2 - 2) * np.sqrt(sp2 * (1 / n1 + 1 / n2) / var_d))
    nu = (a + b) ** 2 / (a ** 2 / (n1 - 1) + b ** 2 / (n2 - 1))
    welch = 2 * stats.norm.sf(stats.t.isf(alpha / 2, nu) * np.sqrt((a + b) / var_d))
    return TwoSampleRates(float((weight * pooled).sum()), float((weight * welch).sum()))


@dataclass(frozen=True)
class ExactSize:
    """The exact rejection probability of a test under :math:`H_0`, and the probability left out of the sum."""

    size: float
    mass_left_out: float


#: Largest number of outcomes :func:`chi2_gof_exact_size` enumerates.
MAX_OUTCOMES = 5_000_000


def chi2_gof_exact_size(n: int, p, alpha: float = 0.05, cap: int = 12) -> ExactSize:
    r"""Exact size of Pearson's goodness-of-fit test (reference :math:`\chi^2_{k-1}`) under multinomial counts.

    Sums the multinomial probability

    .. math:: P(O = o) = \frac{n!}{\prod_j o_j!}\prod_j p_j^{o_j}

    over every outcome whose statistic :math:`\sum_j (o_j - np_j)^2/(np_j)` has a p-value at most ``alpha``.
    The counts :math:`o_2, \dots, o_k` each run over :math:`0, \dots,` ``cap`` and :math:`o_1` is fixed by the
    total, so the sum is exact up to the probability of a count above ``cap`` in categories 2 to k, which is
    returned as :attr:`ExactSize.mass_left_out` (put the common category first and the rare ones after it).

    Parameters
    ----------
    n : int >= 1, total count
    p : array_like, shape (k,), k >= 2, probabilities > 0 summing to 1
    alpha : float in (0, 1)
    cap : int >= 0, largest count enumerated in categories 2 to k (``(cap + 1)**(k - 1)`` outcomes, at most
        :data:`MAX_OUTCOMES`)

    Returns
    -------
    ExactSize
    """
    n = check_int(n, "n", low=1)
    p = as_array(p, "p", ndim=1)
    if p.size < 2 or np.any(p <= 0) or not np.isclose(p.sum(), 1.0, rtol=0, atol=1e-12):
        raise ValueError(f"p must hold at least 2 probabilities > 0 summing to 1, got {p.tolist()}")
    alpha = check_float(alpha, "alpha", low=0, high=1, low_open=True, high_open=True)
    cap = check_int(cap, "cap", low=0)
    if (cap + 1) ** (p.size - 1) > MAX_OUTCOMES:
        raise ValueError(f"cap={cap} with {p.size} categories would enumerate {(cap + 1) ** (p.size - 1)} outcomes "
                         f"(more than {MAX_OUTCOMES})")
    k = p.size
    grid = np.stack(np.meshgrid(*[np.arange(cap + 1)] * (k - 1), indexing="ij"), -1).reshape(-1, k - 1)
    counts = np.column_stack([n - grid.sum(1), grid])
    counts = counts[counts[:, 0] >= 0]
    pmf = np.exp(special.gammaln(n + 1) - special.gammaln(counts + 1).sum(1) + (counts * np.log(p)).sum(1))
    stat = ((counts - n * p) ** 2 / (n * p)).sum(1)
    return ExactSize(float(pmf[stats.chi2.sf(stat, k - 1) <= alpha].sum()), float(1 - pmf.sum()))

"""Practice exercises of chapter 1's first pages (1.1 to 1.16: probability)."""

from __future__ import annotations

import math

import numpy as np

from mlsheet_utils.algorithms.clustering import mixture as _mix
from mlsheet_utils.algorithms.probability import density as _dens
from mlsheet_utils.algorithms.probability import distributions as _dist
from mlsheet_utils.algorithms.probability import divergences as _div
from mlsheet_utils.algorithms.probability import graphical as _gm
from mlsheet_utils.algorithms.probability import hypothesis as _ht
from mlsheet_utils.algorithms.probability import inference as _inf
from mlsheet_utils.algorithms.probability import limits as _lim
from mlsheet_utils.algorithms.probability import partition as _part
from mlsheet_utils.algorithms.probability import power as _pw
from mlsheet_utils.algorithms.probability import rules as _rules
from mlsheet_utils.checks.practice import as_exercise
from mlsheet_utils.practice._support import Replay

_ALTERNATIVES = ("two-sided", "greater", "less")


# -- 1.1 Type 1 and Type 2 error: the power of the z-test ----------------------------------------------------

def _ztest_power_region(effect, sigma, n, alpha, alternative):
    """the rejection region's probability under scipy.stats.norm(effect, sigma / sqrt n)"""
    from scipy import stats

    se = sigma / np.sqrt(np.asarray(n, float))
    xbar = stats.norm(loc=effect, scale=se)                  # the sampling law of xbar - mu0 under H1
    if alternative == "greater":
        return xbar.sf(stats.norm.ppf(1 - alpha) * se)
    if alternative == "less":
        return xbar.cdf(stats.norm.ppf(alpha) * se)
    c = stats.norm.ppf(1 - alpha / 2) * se
    return xbar.sf(c) + xbar.cdf(-c)


def _ztest_power_inputs(rng, size):
    return {"effect": float(rng.normal(0, 0.6)), "sigma": float(rng.uniform(0.5, 3.0)),
            "n": np.sort(rng.integers(1, 10 * size + 2, size=size)), "alpha": float(rng.choice([0.01, 0.05, 0.1])),
            "alternative": str(rng.choice(_ALTERNATIVES))}


def _power_in_range(kwargs, out):
    out = np.asarray(out, float)
    assert np.all((out >= 0) & (out <= 1)), "a power outside [0, 1]"
    if kwargs["alternative"] == "two-sided":
        assert np.all(out >= kwargs["alpha"] - 1e-12), "a two-sided power below alpha"


def _power_grows_with_n(kwargs, out):
    a, d = kwargs["alternative"], kwargs["effect"]
    if a == "two-sided" or (a == "greater" and d >= 0) or (a == "less" and d <= 0):
        out = np.asarray(out, float)
        assert np.all(np.diff(out) >= -1e-12), "power fell as n grew (the effect points the tested way)"


@as_exercise(
    "1.1", reference=_ztest_power_region, inputs=_ztest_power_inputs, difficulty=1,
    edge_cases={
        "no effect: the power is alpha (two-sided)": {"effect": 0.0, "sigma": 1.0, "n": np.array([1, 10, 100]),
                                                      "alpha": 0.05, "alternative": "two-sided"},
        "no effect: the power is alpha (one-sided)": {"effect": 0.0, "sigma": 2.0, "n": np.array([4]),
                                                      "alpha": 0.1, "alternative": "less"},
        "an effect the wrong way: power below alpha": {"effect": -0.5, "sigma": 1.0, "n": np.array([1, 9]),
                                                       "alpha": 0.05, "alternative": "greater"},
        "a small effect two-sided: both tails count": {"effect": 0.05, "sigma": 1.0, "n": np.array([1, 2, 3]),
                                                       "alpha": 0.2, "alternative": "two-sided"},
    },
    properties={
        "a power is in [0, 1], and two-sided at least alpha": _power_in_range,
        "power does not fall as n grows when the effect points the tested way": _power_grows_with_n,
    },
    hints=(r"Under \(H_1\) the statistic \(Z = \bar x\sqrt n/\sigma\) is normal with variance 1 and mean "
           r"\(d = \delta\sqrt n/\sigma\). The power is the probability that it lands in the rejection region.",
           r"Two-sided, the region has two tails \(|Z| > z_{1-\alpha/2}\): add both, even the far one. "
           r"<code>scipy.stats.norm.cdf</code> and <code>norm.isf</code> do the rest."),
    key_line="power = stats.norm.cdf(d - zc) + stats.norm.cdf(-d - zc)   # two-sided, zc = norm.isf(alpha / 2)",
    shows=(_ht.z_critical, _pw.z_power),
)
def ztest_power(effect, sigma, n, alpha, alternative):
    """Power of the one-sample z-test of ``H0: mu = mu0`` when the true mean is ``mu0 + effect``.

    The test knows ``sigma`` and rejects at level ``alpha`` with ``Z = (xbar - mu0) sqrt(n) / sigma``:
    ``Z > z_{1-alpha}`` ("greater"), ``Z < -z_{1-alpha}`` ("less") or ``|Z| > z_{1-alpha/2}`` ("two-sided").

    Parameters
    ----------
    effect : float, the true mean minus ``mu0`` (any sign; 0 means H0 holds)
    sigma : float > 0, the known standard deviation
    n : ndarray of int >= 1, shape (m,), sample sizes
    alpha : float in (0, 1)
    alternative : str, one of "two-sided", "greater", "less"

    Returns
    -------
    ndarray, shape (m,): the probability of rejecting H0 for each sample size (both tails count two-sided).
    """
    return np.asarray(_pw.z_power(effect, sigma, np.asarray(n), alpha, alternative), dtype=float)


# -- 1.2 Probability distributions: the multivariate normal log-density --------------------------------------

def _mvn_logdens_scipy(X, mean, cov):
    """scipy.stats.multivariate_normal.logpdf"""
    from scipy import stats

    return np.atleast_1d(stats.multivariate_normal(mean, cov).logpdf(X)).reshape(len(X))


def _spd(rng, d):
    A = rng.normal(size=(d, d))
    return A @ A.T + 0.5 * np.eye(d)


def _mvn_logdens_inputs(rng, size):
    d = int(rng.integers(1, 5))
    mean = rng.normal(0, 2, size=d)
    cov = _spd(rng, d)
    return {"X": mean + rng.normal(0, 1.5, size=(size, d)), "mean": mean, "cov": cov}


def _mvn_peak(kwargs, out):
    d = len(kwargs["mean"])
    top = -0.5 * (d * math.log(2 * math.pi) + np.linalg.slogdet(kwargs["cov"])[1])
    out = np.asarray(out, float)
    assert np.all(out <= top + 1e-9), f"a log-density above {top:.6g}, its value at the mean"


@as_exercise(
    "1.2", reference=_mvn_logdens_scipy, inputs=_mvn_logdens_inputs, difficulty=2,
    edge_cases={
        "at the mean with identity covariance: -d/2 log(2 pi)": {
            "X": np.zeros((1, 3)), "mean": np.zeros(3), "cov": np.eye(3)},
        "d = 1 is the univariate normal": {
            "X": np.array([[-1.0], [0.0], [2.5]]), "mean": np.array([0.5]), "cov": np.array([[4.0]])},
        "a diagonal covariance: a sum of independent terms": {
            "X": np.array([[1.0, -1.0], [0.0, 3.0]]), "mean": np.array([0.0, 1.0]),
            "cov": np.diag([0.25, 9.0])},
        "correlated, far from the mean": {
            "X": np.array([[6.0, -6.0]]), "mean": np.zeros(2), "cov": np.array([[1.0, 0.9], [0.9, 1.0]])},
    },
    properties={"no point has a higher log-density than the mean": _mvn_peak},
    hints=(r"Factor \(\Sigma = LL^\top\) (Cholesky). Then \(\log|\Sigma| = 2\sum_i \log L_{ii}\) and the "
           r"quadratic form \((x-\mu)^\top\Sigma^{-1}(x-\mu)\) is \(\lVert z\rVert^2\) with \(Lz = x-\mu\).",
           "Solve all points at once: one triangular solve on the (d, n) matrix of centred points, never an "
           "explicit inverse."),
    key_line="Z = scipy.linalg.solve_triangular(L, (X - mean).T, lower=True)   # L = np.linalg.cholesky(cov)",
    shows=(_dist.mvn_logpdf,),
)
def mvn_log_density(X, mean, cov):
    """Log-density of the multivariate normal N(mean, cov) at each row of ``X``.

    Parameters
    ----------
    X : ndarray, shape (n, d), the points
    mean : ndarray, shape (d,)
    cov : ndarray, shape (d, d), symmetric positive definite

    Returns
    -------
    ndarray, shape (n,): ``log N(x_i; mean, cov)`` for every row (natural log, normalising constant included).
    """
    return np.asarray(_dist.mvn_logpdf(np.asarray(X, float), mean, cov), float).reshape(len(X))


# -- 1.3 Common conjugate priors: the Normal-Inverse-Gamma update --------------------------------------------

def _nig_by_natural_sums(mu0, lam, alpha, beta, x):
    """completing the square on the raw sums of the log posterior"""
    x = [float(v) for v in x]
    n = len(x)
    a = lam + n                                      # coefficient of mu^2 / (2 sigma^2)
    b = lam * mu0 + sum(x)                           # coefficient of mu / sigma^2
    c = lam * mu0 ** 2 + 2 * beta + sum(v * v for v in x)
    return b / a, a, alpha + n / 2, (c - b * b / a) / 2


def _nig_inputs(rng, size):
    return {"mu0": float(rng.normal(0, 2)), "lam": float(rng.uniform(0.2, 5)), "alpha": float(rng.uniform(0.5, 4)),
            "beta": float(rng.uniform(0.5, 4)), "x": rng.normal(rng.normal(0, 2), rng.uniform(0.5, 2), size=size)}


def _nig_mean_between(kwargs, out):
    mu_n = out[0]
    lo, hi = sorted((kwargs["mu0"], float(np.mean(kwargs["x"]))))
    assert lo - 1e-9 <= mu_n <= hi + 1e-9, "the posterior mean is not between the prior mean and the sample mean"


def _nig_counts(kwargs, out):
    n = len(kwargs["x"])
    assert abs(out[1] - (kwargs["lam"] + n)) < 1e-9, "lambda_n is not lambda + n"
    assert abs(out[2] - (kwargs["alpha"] + n / 2)) < 1e-9, "alpha_n is not alpha + n/2"
    assert out[3] >= kwargs["beta"] - 1e-9, "beta_n is below the prior beta (it only gains squared errors)"


@as_exercise(
    "1.3", reference=_nig_by_natural_sums, inputs=_nig_inputs, difficulty=2,
    edge_cases={
        "one observation: no spread, only the distance to mu0": {
            "mu0": 0.0, "lam": 1.0, "alpha": 2.0, "beta": 1.0, "x": np.array([2.0])},
        "data centred on mu0: beta gains half the sum of squares": {
            "mu0": 1.0, "lam": 3.0, "alpha": 1.0, "beta": 0.5, "x": np.array([0.0, 2.0, 1.0])},
        "a weak prior: the mean follows the data": {
            "mu0": 100.0, "lam": 1e-6, "alpha": 1.0, "beta": 1.0, "x": np.array([-1.0, 1.0, 3.0])},
    },
    properties={
        "the posterior mean lies between mu0 and the sample mean": _nig_mean_between,
        "lambda and alpha count the data; beta only grows": _nig_counts,
    },
    hints=(r"The prior acts like \(\lambda\) pseudo-observations at \(\mu_0\): \(\lambda_n = \lambda + n\) and "
           r"\(\mu_n\) is the count-weighted average of \(\mu_0\) and \(\bar x\); \(\alpha\) gains half an "
           r"observation per point.",
           r"\(\beta\) gains half the squared deviations about \(\bar x\) plus a term for the gap between "
           r"\(\bar x\) and \(\mu_0\): \(\frac{\lambda n(\bar x-\mu_0)^2}{2\lambda_n}\)."),
    key_line="beta_n = beta + 0.5 * ((x - xbar) ** 2).sum() + lam * n * (xbar - mu0) ** 2 / (2 * (lam + n))",
    shows=(_inf.normal_inverse_gamma,),
)
def nig_update(mu0, lam, alpha, beta, x):
    """Posterior of the Normal-Inverse-Gamma prior after normal observations ``x`` (mean and variance unknown).

    The prior is ``sigma^2 ~ InvGamma(alpha, beta)`` and ``mu | sigma^2 ~ N(mu0, sigma^2 / lam)``; each
    ``x_i ~ N(mu, sigma^2)``. The posterior has the same form.

    Parameters
    ----------
    mu0 : float, the prior mean of mu
    lam, alpha, beta : float > 0, the prior's pseudo-count, shape and scale
    x : ndarray, shape (n,), n >= 1

    Returns
    -------
    tuple of four floats: ``(mu_n, lam_n, alpha_n, beta_n)``.
    """
    post = _inf.normal_inverse_gamma(mu0, lam, alpha, beta, x)
    return tuple(float(v) for v in post)


# -- 1.4 Maximum likelihood: the normal log-likelihood's gradient and Hessian for Newton's method ------------

_SYMBOLIC: dict = {}


def _normal_loglik_sympy(theta, x):
    """sympy's derivatives of one observation's term, summed"""
    if "normal" not in _SYMBOLIC:
        import sympy as sp

        mu, eta, xi = sp.symbols("mu eta xi", real=True)
        term = -(sp.log(2 * sp.pi) + eta) / 2 - (xi - mu) ** 2 * sp.exp(-eta) / 2
        th = (mu, eta)
        _SYMBOLIC["normal"] = sp.lambdify(
            (mu, eta, xi), [term, *[sp.diff(term, a) for a in th], *[sp.diff(term, a, b) for a in th for b in th]],
            "math")
    f = _SYMBOLIC["normal"]
    parts = np.array([f(float(theta[0]), float(theta[1]), float(v)) for v in x]).sum(0)
    return float(parts[0]), parts[1:3], parts[3:].reshape(2, 2)


def _normal_loglik_inputs(rng, size):
    x = rng.normal(rng.normal(0, 2), rng.uniform(0.5, 2), size=size)
    return {"theta": np.array([rng.normal(0, 2), rng.uniform(-1.5, 1.5)]), "x": x}


def _hessian_symmetric(kwargs, out):
    H = np.asarray(out[2], float)
    assert H.shape == (2, 2) and np.allclose(H, H.T, rtol=1e-12, atol=1e-12), "the Hessian is not symmetric"


def _concave_in_mu(kwargs, out):
    H = np.asarray(out[2], float)
    want = -len(kwargs["x"]) * math.exp(-kwargs["theta"][1])
    assert abs(H[0, 0] - want) <= 1e-9 * abs(want), "d2l/dmu2 is not -n / sigma^2"


@as_exercise(
    "1.4", reference=_normal_loglik_sympy, inputs=_normal_loglik_inputs, difficulty=2,
    edge_cases={
        "at the MLE (xbar, log of the 1/n variance) the gradient is 0": {
            "theta": np.array([1.0, math.log(2.0 / 3.0)]), "x": np.array([0.0, 1.0, 2.0])},
        "one observation at the mean": {"theta": np.array([0.5, 0.0]), "x": np.array([0.5])},
        "sigma = 1 far from the data": {"theta": np.array([-3.0, 0.0]), "x": np.array([2.0, 4.0])},
    },
    properties={
        "the Hessian is symmetric": _hessian_symmetric,
        "d2l/dmu2 = -n / sigma^2 (concave in mu)": _concave_in_mu,
    },
    hints=(r"Write \(w = e^{-\eta} = 1/\sigma^2\) and \(SS = \sum_i (x_i-\mu)^2\). Then "
           r"\(l = -\frac n2(\log 2\pi + \eta) - \frac12 SS\,w\), and \(\partial w/\partial\eta = -w\).",
           r"Every entry depends on the data only through \(n\), \(\sum_i(x_i-\mu)\) and \(SS\): compute "
           r"those once. The mixed derivative appears twice in the Hessian."),
    key_line="g = np.array([w * sr, -0.5 * n + 0.5 * ss * w])   # w = exp(-eta), sr = (x - mu).sum(), ss = r @ r",
    shows=(_inf._normal_derivatives, _inf.newton_maximize),
)
def normal_loglik_derivatives(theta, x):
    """Normal log-likelihood in ``theta = (mu, eta)`` with ``eta = log(sigma^2)``, its gradient and Hessian.

    These are what Newton's method needs to find the MLE; the log-variance makes the problem unconstrained.

    Parameters
    ----------
    theta : ndarray, shape (2,): ``(mu, eta)``
    x : ndarray, shape (n,), n >= 1, the observations

    Returns
    -------
    value : float, ``sum_i log N(x_i; mu, exp(eta))``
    gradient : ndarray, shape (2,), the derivatives in ``mu`` and ``eta``
    hessian : ndarray, shape (2, 2)
    """
    d = _inf.normal_log_likelihood_derivatives(theta, x)
    return d.value, d.gradient, d.hessian


# -- 1.5 Bayesian inference and MAP: the MLE, MAP and posterior mean of a coin -------------------------------

def _coin_by_scipy(k, n, a, b):
    """scipy.stats.beta: the posterior's largest density among its ends and its stationary point"""
    from scipy import stats

    mle, mode, mean = [], [], []
    for kk, nn in zip(np.asarray(k, float).ravel(), np.asarray(n, float).ravel()):
        aa, bb = a + kk, b + nn - kk
        mle.append(kk / nn if nn > 0 else math.nan)
        mean.append(float(stats.beta.mean(aa, bb)))
        cands = [0.0, 1.0]
        if aa + bb != 2 and 0 < (aa - 1) / (aa + bb - 2) < 1:
            cands.append((aa - 1) / (aa + bb - 2))             # where the log-density's derivative vanishes
        dens = stats.beta.pdf(cands, aa, bb).tolist()
        top = max(dens)
        winners = [c for c, v in zip(cands, dens) if v == top]
        mode.append(winners[0] if len(winners) == 1 else math.nan)   # a tie (flat, or infinite at both ends)
    shape = np.shape(k)
    return tuple(np.array(v).reshape(shape) for v in (mle, mode, mean))


def _coin_inputs(rng, size):
    n = rng.integers(0, 3 * size + 1, size=size)
    k = rng.integers(0, n + 1)
    return {"k": k, "n": n, "a": float(rng.choice([0.5, 1.0, 2.0, rng.uniform(0.3, 5)])),
            "b": float(rng.choice([0.5, 1.0, 3.0, rng.uniform(0.3, 5)]))}


def _coin_mean_shrinks(kwargs, out):
    k, n = np.asarray(kwargs["k"], float), np.asarray(kwargs["n"], float)
    prior = kwargs["a"] / (kwargs["a"] + kwargs["b"])
    mean = np.asarray(out[2], float)
    has = n > 0
    lo, hi = np.minimum(prior, k[has] / n[has]), np.maximum(prior, k[has] / n[has])
    assert np.all((mean[has] >= lo - 1e-12) & (mean[has] <= hi + 1e-12)), \
        "a posterior mean is not between the prior mean and the MLE"


def _coin_map_in_unit(kwargs, out):
    m = np.asarray(out[1], float)
    assert np.all(np.isnan(m) | ((m >= 0) & (m <= 1))), "a MAP estimate outside [0, 1]"


@as_exercise(
    "1.5", reference=_coin_by_scipy, inputs=_coin_inputs, difficulty=2,
    edge_cases={
        "no flips: MLE undefined (NaN), MAP and mean are the prior's": {
            "k": np.array([0]), "n": np.array([0]), "a": 2.0, "b": 4.0},
        "a flat prior: the MAP equals the MLE": {"k": np.array([0, 3, 5]), "n": np.array([5, 5, 5]),
                                                 "a": 1.0, "b": 1.0},
        "a U-shaped posterior has no mode (NaN)": {"k": np.array([0]), "n": np.array([0]), "a": 0.5, "b": 0.5},
        "all heads under a Beta(2, 0.5) prior: the mode is at 1": {"k": np.array([4]), "n": np.array([4]),
                                                                   "a": 2.0, "b": 0.5},
    },
    properties={
        "the posterior mean lies between the prior mean and the MLE": _coin_mean_shrinks,
        "a MAP estimate is in [0, 1] or NaN": _coin_map_in_unit,
    },
    hints=(r"The posterior is \(\mathrm{Beta}(a+k,\, b+n-k)\). Its mean is \(\frac{a+k}{a+b+n}\); its mode is "
           r"\(\frac{a+k-1}{a+b+n-2}\) only when both parameters exceed 1.",
           "Otherwise look at the ends: a first parameter at most 1 (and the second at least 1) puts the peak at 0, "
           "the mirror case at 1; a flat posterior or one unbounded at both ends has no single mode (NaN)."),
    key_line="out = np.select([(a > 1) & (b > 1), (a <= 1) & (b >= 1) & ~flat, (a >= 1) & (b <= 1) & ~flat], "
             "[interior, 0.0, 1.0], default=np.nan)",
    shows=(_inf.beta_mode, _inf.coin_estimates),
)
def coin_point_estimates(k, n, a, b):
    """The MLE, the MAP and the posterior mean of a coin's heads probability under a Beta(a, b) prior.

    Parameters
    ----------
    k : ndarray of int, shape (m,), heads (0 <= k <= n)
    n : ndarray of int, shape (m,), flips (may be 0)
    a, b : float > 0, the prior's parameters

    Returns
    -------
    mle : ndarray (m,), ``k / n``; NaN where ``n = 0``
    map : ndarray (m,), the mode of the posterior Beta(a + k, b + n - k) on [0, 1] (0 or 1 when the density
        peaks at an end); NaN when there is no single mode (a flat posterior, or one unbounded at both ends)
    mean : ndarray (m,), the posterior mean
    """
    est = _inf.coin_estimates(np.asarray(k, float), np.asarray(n, float), a, b)
    return tuple(np.asarray(v, float).reshape(np.shape(k)) for v in (est.mle, est.map, est.mean))


# -- 1.6 Kernel density estimation ---------------------------------------------------------------------------

_KDE_KERNELS = ("gaussian", "epanechnikov", "tophat")
_KERNEL_PEAK = {"gaussian": 1 / math.sqrt(2 * math.pi), "epanechnikov": 0.75, "tophat": 0.5}


def _kde_loops(x, data, h, kernel):
    """a loop over the definition (every point, every datum)"""
    def K(u):
        if kernel == "gaussian":
            return math.exp(-u * u / 2) / math.sqrt(2 * math.pi)
        if abs(u) >= 1:
            return 0.0
        return 0.5 if kernel == "tophat" else 0.75 * (1 - u * u)

    return np.array([sum(K((xj - xi) / h) for xi in data) / (len(data) * h) for xj in x])


def _kde_inputs(rng, size):
    data = rng.normal(0, 1.5, size=size)
    return {"x": np.sort(rng.uniform(-5, 5, size=2 * size - 1)), "data": data, "h": float(rng.uniform(0.2, 1.5)),
            "kernel": str(rng.choice(_KDE_KERNELS))}


def _kde_bounded(kwargs, out):
    out = np.asarray(out, float)
    top = _KERNEL_PEAK[kwargs["kernel"]] / kwargs["h"]
    assert np.all(out >= 0), "a negative density"
    assert np.all(out <= top * (1 + 1e-12)), f"a density above K(0)/h = {top:.6g} (an average cannot beat its peak)"


@as_exercise(
    "1.6", reference=_kde_loops, inputs=_kde_inputs, difficulty=1,
    edge_cases={
        "one data point: the kernel itself, scaled by 1/h": {
            "x": np.array([-1.0, 0.0, 0.5, 2.0]), "data": np.array([0.0]), "h": 0.5, "kernel": "gaussian"},
        "Epanechnikov at the datum is 0.75 / h": {
            "x": np.array([1.0, 1.25, 3.0]), "data": np.array([1.0]), "h": 0.5, "kernel": "epanechnikov"},
        "top-hat: a point exactly h away is outside": {
            "x": np.array([0.0, 1.0, 1.5]), "data": np.array([0.5, 0.5, 2.0]), "h": 0.5, "kernel": "tophat"},
    },
    properties={"non-negative and at most K(0)/h": _kde_bounded},
    hints=(r"\(\hat f(x) = \frac{1}{nh}\sum_i K\big(\frac{x - x_i}{h}\big)\): build the (m, n) matrix of scaled "
           r"differences with broadcasting, apply the kernel, average over the data axis, divide by \(h\).",
           r"The kernels are densities in \(u\): \(\frac{1}{\sqrt{2\pi}}e^{-u^2/2}\), "
           r"\(\frac34(1-u^2)\) and \(\frac12\), the last two only for \(|u| < 1\)."),
    key_line="u = (x[:, None] - data[None, :]) / h;  f = K(u).mean(axis=1) / h",
    shows=(_dens._kernel_values, _dens.kde_direct),
)
def kde_eval(x, data, h, kernel):
    """A 1-D kernel density estimate with bandwidth ``h``, evaluated at the points ``x``.

    Parameters
    ----------
    x : ndarray, shape (m,), where to evaluate
    data : ndarray, shape (n,), n >= 1, the sample
    h : float > 0, the bandwidth
    kernel : str, "gaussian" (the standard normal density), "epanechnikov" (``0.75 (1 - u^2)``) or "tophat"
        (``0.5``); the last two are 0 unless ``|u| < 1`` (a point exactly ``h`` away is outside)

    Returns
    -------
    ndarray, shape (m,): the estimated density at each point.
    """
    return _dens.kde_direct(x, data, h, kernel)


# -- 1.7 KL divergence: between discrete distributions -------------------------------------------------------

def _kl_rel_entr(p, q):
    """scipy.special.rel_entr, summed over each row"""
    from scipy import special

    return special.rel_entr(np.asarray(p, float), np.asarray(q, float)).sum(axis=-1)


def _kl_inputs(rng, size):
    k = int(rng.integers(2, 7))
    p = rng.dirichlet(np.full(k, rng.uniform(0.3, 3)), size=size)
    q = rng.dirichlet(np.full(k, rng.uniform(0.5, 3)), size=size)
    if rng.random() < 0.5:                           # some zeros in p: their terms are 0
        p = np.where(rng.random(p.shape) < 0.25, 0.0, p)
        p[np.arange(size), rng.integers(0, k, size)] += 0.1
        p /= p.sum(1, keepdims=True)
    return {"p": p, "q": q}


def _kl_nonneg(kwargs, out):
    assert np.all(np.asarray(out, float) >= -1e-12), "a negative KL divergence (Gibbs' inequality says >= 0)"


@as_exercise(
    "1.7", reference=_kl_rel_entr, inputs=_kl_inputs, difficulty=1,
    edge_cases={
        "identical distributions: 0": {"p": np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]]),
                                       "q": np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])},
        "p = 0 terms count as 0, even where q = 0": {"p": np.array([[0.0, 0.5, 0.5]]),
                                                     "q": np.array([[0.0, 0.25, 0.75]])},
        "q = 0 where p > 0: infinite": {"p": np.array([[0.5, 0.5, 0.0]]), "q": np.array([[1.0, 0.0, 0.0]])},
        "one-hot p: minus the log of q there": {"p": np.array([[0.0, 1.0]]), "q": np.array([[0.9, 0.1]])},
    },
    properties={"non-negative (Gibbs' inequality)": _kl_nonneg},
    hints=(r"\(D_{KL}(p\,\|\,q) = \sum_x p(x)\log\frac{p(x)}{q(x)}\), row by row.",
           r"Mind the conventions: a term with \(p(x) = 0\) is 0 (the limit of \(t\log t\)), even when "
           r"\(q(x) = 0\); a term with \(p(x) > 0\) and \(q(x) = 0\) is \(+\infty\). <code>np.where</code> inside "
           r"<code>np.errstate</code> keeps the warnings away."),
    key_line="terms = np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0)",
    shows=(_div.kl_categorical,),
)
def discrete_kl(p, q):
    """KL divergence ``D(p || q)`` in nats between discrete distributions, one pair per row.

    Parameters
    ----------
    p, q : ndarray, shape (m, k), non-negative, each row summing to 1

    Returns
    -------
    ndarray, shape (m,): ``sum_x p log(p / q)`` per row; a term with ``p = 0`` counts 0, and a row with
    ``p > 0`` where ``q = 0`` gives ``inf``.
    """
    return np.asarray(_div.kl_categorical(p, q, axis=-1), float).reshape(len(p))


# -- 1.8 Expectation maximisation: one EM step of a Gaussian mixture -----------------------------------------

def _em_step_loops(X, weights, means, covs):
    """scipy.stats.multivariate_normal densities and a loop over the components"""
    from scipy import stats

    X = np.asarray(X, float)
    n, k = len(X), len(weights)
    joint = np.stack([weights[j] * np.atleast_1d(stats.multivariate_normal(means[j], covs[j]).pdf(X)).reshape(n)
                      for j in range(k)], axis=1)
    loglik = float(sum(math.log(row.sum()) for row in joint))
    resp = joint / joint.sum(1, keepdims=True)
    new_w, new_m, new_c = [], [], []
    for j in range(k):
        nj = resp[:, j].sum()
        mu = sum(resp[i, j] * X[i] for i in range(n)) / nj
        cov = sum(resp[i, j] * np.outer(X[i] - mu, X[i] - mu) for i in range(n)) / nj
        new_w.append(nj / n)
        new_m.append(mu)
        new_c.append(cov)
    return np.array(new_w), np.array(new_m), np.array(new_c), loglik


def _em_inputs(rng, size):
    d, k = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    centres = rng.normal(0, 2.5, size=(k, d))
    n = 4 + 2 * size
    X = centres[rng.integers(0, k, n)] + rng.normal(size=(n, d))
    covs = np.array([_spd(rng, d) for _ in range(k)])
    return {"X": X, "weights": rng.dirichlet(np.full(k, 3.0)), "means": X[rng.choice(n, k, replace=False)]
            + rng.normal(0, 0.3, size=(k, d)), "covs": covs}


def _em_valid_params(kwargs, out):
    w, _, covs, _ = out
    assert abs(float(np.sum(w)) - 1) < 1e-9 and np.all(np.asarray(w) >= 0), "the new weights are not a distribution"
    covs = np.asarray(covs, float)
    assert np.allclose(covs, np.swapaxes(covs, 1, 2), atol=1e-10), "a new covariance is not symmetric"
    assert np.all(np.linalg.eigvalsh(covs) >= -1e-9), "a new covariance has a negative eigenvalue"


def _em_climbs(kwargs, out):
    w, m, covs, before = out
    covs = np.asarray(covs, float)
    if np.linalg.eigvalsh(covs).min() < 1e-8:
        return                                               # a (near-)singular component: the bound is +inf
    X, d = np.asarray(kwargs["X"], float), covs.shape[1]
    logs = []
    for j in range(len(w)):
        L = np.linalg.cholesky(covs[j])
        z = np.linalg.solve(L, (X - m[j]).T)
        logs.append(math.log(w[j]) - 0.5 * (d * math.log(2 * math.pi) + 2 * np.log(np.diag(L)).sum()
                                             + (z * z).sum(0)))
    top = np.max(logs, axis=0)
    after = float((top + np.log(np.exp(np.array(logs) - top).sum(0))).sum())
    assert after >= before - 1e-8 * (1 + abs(before)), \
        f"the log-likelihood fell from {before:.6g} to {after:.6g} after the step"


@as_exercise(
    "1.8", reference=_em_step_loops, inputs=_em_inputs, difficulty=3,
    edge_cases={
        "k = 1: the sample mean and the 1/n covariance": {
            "X": np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 3.0]]), "weights": np.array([1.0]),
            "means": np.array([[5.0, 5.0]]), "covs": np.eye(2)[None]},
        "two identical components split every point evenly": {
            "X": np.array([[-1.0], [0.5], [3.0]]), "weights": np.array([0.5, 0.5]),
            "means": np.array([[0.0], [0.0]]), "covs": np.array([[[1.0]], [[1.0]]])},
        "far-apart clusters: responsibilities are 0 or 1": {
            "X": np.array([[-20.0], [-21.0], [20.0], [22.0]]), "weights": np.array([0.3, 0.7]),
            "means": np.array([[-10.0], [10.0]]), "covs": np.array([[[4.0]], [[4.0]]])},
    },
    properties={
        "weights sum to 1; covariances symmetric and PSD": _em_valid_params,
        "the step does not lower the log-likelihood": _em_climbs,
    },
    hints=(r"E step: \(r_{ik} \propto \pi_k\,\mathcal N(x_i\mid\mu_k,\Sigma_k)\), normalised over \(k\); do it "
           r"in log space with a log-sum-exp over each row, and that row's log-sum-exp summed over \(i\) is the "
           r"log-likelihood.",
           r"M step with \(N_k = \sum_i r_{ik}\): \(\pi_k = N_k/n\), \(\mu_k = \frac{1}{N_k}\sum_i r_{ik}x_i\), and "
           r"\(\Sigma_k\) the \(r\)-weighted scatter about the <em>new</em> mean, divided by \(N_k\)."),
    key_line="resp = np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True))",
    shows=(_mix._e_step, _mix._m_step),
)
def em_gmm_step(X, weights, means, covs):
    """One EM iteration (E step, then M step) for a Gaussian mixture with full covariances.

    Parameters
    ----------
    X : ndarray, shape (n, d), the data
    weights : ndarray, shape (k,), the current mixing weights (positive, sum 1)
    means : ndarray, shape (k, d), the current means
    covs : ndarray, shape (k, d, d), the current covariances (symmetric positive definite)

    Returns
    -------
    weights : ndarray (k,), means : ndarray (k, d), covs : ndarray (k, d, d)
        The M step's parameters (maximum likelihood for the responsibilities, covariances divided by ``N_k``,
        no regularisation added).
    log_likelihood : float
        ``sum_i log sum_k weights_k N(x_i | means_k, covs_k)`` at the *input* parameters.
    """
    resp, loglik = _mix.e_step(X, weights, means, covs)
    new_w, new_m, new_c = _mix.m_step(X, resp, reg_covar=0.0)
    return new_w, new_m, new_c, loglik


# -- 1.9 Markov random fields: the Ising grid's partition function and marginals by enumeration -------------

def _ising_loops(shape, J, h):
    """a loop over every configuration and every edge"""
    import itertools

    rows, cols = shape
    sites = [(r, c) for r in range(rows) for c in range(cols)]
    edges = [((r, c), (r + 1, c)) for r in range(rows - 1) for c in range(cols)]
    edges += [((r, c), (r, c + 1)) for r in range(rows) for c in range(cols - 1)]
    Z, up = 0.0, {s: 0.0 for s in sites}
    for spins in itertools.product((-1, 1), repeat=len(sites)):
        x = dict(zip(sites, spins))
        w = math.exp(J * sum(x[a] * x[b] for a, b in edges) + h * sum(spins))
        Z += w
        for s in sites:
            if x[s] == 1:
                up[s] += w
    return Z, np.array([[up[(r, c)] / Z for c in range(cols)] for r in range(rows)])


def _ising_inputs(rng, size):
    rows = 2 if size % 2 == 0 and rng.random() < 0.6 else 1
    return {"shape": (rows, size // rows), "J": float(rng.uniform(-0.8, 0.8)), "h": float(rng.uniform(-0.6, 0.6))}


def _ising_marginals_sane(kwargs, out):
    m = np.asarray(out[1], float)
    assert m.shape == tuple(kwargs["shape"]), f"marginals of shape {m.shape}, expected {tuple(kwargs['shape'])}"
    assert np.all((m > 0) & (m < 1)), "a marginal outside (0, 1)"
    if kwargs["J"] >= 0 and kwargs["h"] != 0:          # ferromagnetic: every spin leans with the field (GKS)
        assert np.all((m > 0.5) == (kwargs["h"] > 0)), "a spin leans against the field although J >= 0"


def _ising_z_bounds(kwargs, out):
    rows, cols = kwargs["shape"]
    n, n_edges = rows * cols, rows * (cols - 1) + cols * (rows - 1)
    top = math.exp(abs(kwargs["J"]) * n_edges + abs(kwargs["h"]) * n)
    assert 0 < out[0] <= 2 ** n * top * (1 + 1e-12), "Z is not between 0 and 2^n times the largest weight"


@as_exercise(
    "1.9", reference=_ising_loops, inputs=_ising_inputs, difficulty=2, sizes=(1, 2, 3, 4, 6, 8),
    edge_cases={
        "one site: Z = 2 cosh h, P(up) = sigmoid(2h)": {"shape": (1, 1), "J": 0.7, "h": 0.4},
        "no coupling and no field: Z = 2^n, every marginal 1/2": {"shape": (2, 2), "J": 0.0, "h": 0.0},
        "no field: every marginal is 1/2 by symmetry": {"shape": (2, 3), "J": -0.9, "h": 0.0},
        "a strong field pins every spin up": {"shape": (1, 3), "J": 0.2, "h": 6.0},
    },
    properties={
        "marginals in (0, 1), leaning with the field when J >= 0": _ising_marginals_sane,
        "Z lies between 0 and 2^n times the largest weight": _ising_z_bounds,
    },
    hints=(r"There are only \(2^n\) configurations: list them all (<code>itertools.product</code>), reshape each "
           r"to the grid, and score it with \(J\sum_{\langle ij\rangle} x_ix_j + h\sum_i x_i\); neighbour products "
           r"are <code>x[1:, :] * x[:-1, :]</code> and <code>x[:, 1:] * x[:, :-1]</code>.",
           r"\(Z\) is the sum of the exponentiated scores; \(P(x_i = +1)\) is the weight of the configurations with "
           r"\(x_i = +1\) over \(Z\), i.e. the probabilities contracted with the indicator \(x > 0\)."),
    key_line="probs = w / w.sum();  marginals = np.tensordot(probs, (states > 0).astype(float), axes=1)",
    shows=(_gm.ising_states, _gm.ising_energy, _gm.ising_exact),
)
def ising_brute_force(shape, J, h):
    """Partition function and node marginals of an Ising grid, by enumerating every configuration.

    Spins ``x_i`` in {-1, +1} sit on a ``rows x cols`` grid with free boundaries (no wrap-around); each site
    touches its horizontal and vertical neighbours. The distribution is
    ``p(x) = exp(J sum_{neighbours i,j} x_i x_j + h sum_i x_i) / Z``.

    Parameters
    ----------
    shape : tuple (rows, cols), at most 8 sites here
    J : float, the coupling (> 0 favours equal neighbours)
    h : float, the external field (> 0 favours +1)

    Returns
    -------
    Z : float, the partition function
    marginals : ndarray, shape (rows, cols), ``P(x_i = +1)`` at every site
    """
    exact = _gm.ising_exact(tuple(shape), J, h)
    return exact.Z, np.asarray(exact.marginals, float).reshape(tuple(shape))


# -- 1.10 Probability math rules: every rule's quantity from event indicators --------------------------------

def _rules_loop(mask_a, mask_b):
    """a loop over the samples, counting"""
    n = na = nb = nab = n_or = 0
    for a, b in zip(mask_a.tolist(), mask_b.tolist()):
        n += 1
        na += a
        nb += b
        nab += a and b
        n_or += a or b
    return (na / n, nb / n, nab / n, n_or / n, nab / nb if nb else math.nan, nab / na if na else math.nan,
            (n - na) / n)


def _rules_inputs(rng, size):
    n = 3 * size
    pa, pb = rng.uniform(0.1, 0.9, size=2)
    a = rng.random(n) < pa
    b = np.where(rng.random(n) < rng.uniform(0, 0.7), a, rng.random(n) < pb)    # some dependence
    return {"mask_a": a, "mask_b": b}


def _rules_add_up(kwargs, out):
    pa, pb, pab, p_or, pa_b, pb_a, p_not = (float(v) for v in out)
    assert abs(p_or - (pa + pb - pab)) < 1e-12, "P(A or B) != P(A) + P(B) - P(A and B)"
    assert abs(p_not - (1 - pa)) < 1e-12, "P(not A) != 1 - P(A)"
    if pb > 0:
        assert abs(pa_b * pb - pab) < 1e-12, "P(A|B) P(B) != P(A and B)"
    if pa > 0:
        assert abs(pb_a * pa - pab) < 1e-12, "P(B|A) P(A) != P(A and B)"


@as_exercise(
    "1.10", reference=_rules_loop, inputs=_rules_inputs, difficulty=1,
    edge_cases={
        "B never happens: P(A|B) is undefined (NaN)": {"mask_a": np.array([True, False, True]),
                                                       "mask_b": np.array([False, False, False])},
        "A = B: P(A|B) = 1": {"mask_a": np.array([True, False, True, False]),
                              "mask_b": np.array([True, False, True, False])},
        "one sample in both events": {"mask_a": np.array([True]), "mask_b": np.array([True])},
    },
    properties={"addition, product and complement rules hold among the outputs": _rules_add_up},
    hints=(r"Count \(n_A\), \(n_B\), \(n_{A\cap B}\) (<code>np.count_nonzero(a &amp; b)</code>) and "
           r"\(n_{A\cup B}\); every quantity is a ratio of these counts.",
           r"A conditional divides by the count of its condition: \(P(A\mid B) = n_{AB}/n_B\), "
           r"undefined (NaN) when \(n_B = 0\)."),
    key_line="p_a_given_b = nab / nb if nb else np.nan",
    shows=(_rules.rule_estimates,),
)
def rule_frequencies(mask_a, mask_b):
    """Relative frequencies of two events and of their combinations, from indicators over the same samples.

    Parameters
    ----------
    mask_a, mask_b : ndarray of bool, shape (n,), n >= 1: whether each sample is in A, in B

    Returns
    -------
    tuple of 7 floats, in this order: P(A), P(B), P(A and B), P(A or B), P(A | B), P(B | A), P(not A).
    A conditional whose condition never occurs is NaN.
    """
    return tuple(float(v) for v in _rules.rule_estimates(mask_a, mask_b))


# -- 1.10.1 Independence: mutual independence of several events ----------------------------------------------

def _independence_fractions(masks):
    """exact fractions over every sub-family, with itertools.combinations"""
    import itertools
    from fractions import Fraction

    rows = [list(map(bool, r)) for r in np.asarray(masks).tolist()]
    n = len(rows[0])
    p = [Fraction(sum(r), n) for r in rows]
    failing = []
    for size in range(2, len(rows) + 1):
        for S in itertools.combinations(range(len(rows)), size):
            joint = Fraction(sum(all(rows[i][w] for i in S) for w in range(n)), n)
            prod = Fraction(1)
            for i in S:
                prod *= p[i]
            if joint != prod:
                failing.append(S)
    return not failing, tuple(failing)


def _independence_inputs(rng, size):
    dims = [int(d) for d in rng.integers(2, 4, size=2 + (size > 4))]       # outcomes: a grid of 2 or 3 coordinates
    grid = np.array(np.meshgrid(*[np.arange(d) for d in dims], indexing="ij")).reshape(len(dims), -1)
    k = 2 + (size > 2) + (size > 8)
    product_mode = rng.random() < 0.5                          # one coordinate per event: often independent
    masks = []
    for i in range(k):
        kind = 0 if product_mode else rng.integers(0, 3)
        if kind == 0:                                          # depends on one coordinate only
            c = i % len(dims) if product_mode else int(rng.integers(0, len(dims)))
            masks.append(np.isin(grid[c], rng.choice(dims[c], size=int(rng.integers(1, dims[c])), replace=False)))
        elif kind == 1:                                        # a parity of two coordinates
            c1, c2 = rng.choice(len(dims), size=2, replace=False)
            masks.append((grid[c1] + grid[c2]) % 2 == 0)
        else:                                                  # an arbitrary event
            masks.append(rng.random(grid.shape[1]) < 0.5)
    return {"masks": np.array(masks)}


def _independence_consistent(kwargs, out):
    independent, failing = out
    assert bool(independent) == (len(failing) == 0), "the verdict disagrees with the list of failing sub-families"
    k = len(kwargs["masks"])
    for S in failing:
        S = tuple(int(i) for i in S)
        assert len(S) >= 2 and list(S) == sorted(set(S)) and S[-1] < k, \
            f"{S} is not a sub-family of two or more distinct events in increasing order"


def _compare_failing(expected, obtained):
    try:
        independent, failing = obtained
        failing = tuple(tuple(int(i) for i in S) for S in failing)
    except (TypeError, ValueError):
        return "expected a pair (independent, failing) with failing a tuple of index tuples"
    if bool(independent) != expected[0]:
        return f"independent: expected {expected[0]}, got {bool(independent)}"
    missing = [S for S in expected[1] if S not in failing]
    extra = [S for S in failing if S not in expected[1]]
    if missing or extra:
        return f"failing sub-families: missing {missing}, wrongly listed {extra}"
    if failing != expected[1]:
        return f"failing sub-families in the wrong order: expected {expected[1]}, got {failing}"
    return None


_XOR = np.array([[a, b, c] for a in (0, 1) for b in (0, 1) for c in (0, 1)])


@as_exercise(
    "1.10.1", reference=_independence_fractions, inputs=_independence_inputs, difficulty=2,
    compare=_compare_failing,
    edge_cases={
        "two fair coins and 'they agree': pairwise but not mutually independent": {
            "masks": np.array([[True, True, False, False], [True, False, True, False],
                               [True, False, False, True]])},
        "coordinates of a product space are independent": {
            "masks": np.array([_XOR[:, 0] == 1, _XOR[:, 1] == 1, _XOR[:, 2] == 0])},
        "the sure event is independent of anything": {
            "masks": np.array([[True, True, True], [True, False, False]])},
        "a single event: nothing to check": {"masks": np.array([[True, False, True, True]])},
    },
    properties={"the verdict matches the list, and each entry is a sub-family": _independence_consistent},
    hints=(r"Mutual independence needs the product rule \(P(\bigcap_{i\in S}A_i) = \prod_{i\in S}P(A_i)\) for "
           r"<em>every</em> sub-family \(S\) of two or more events, not only the pairs: "
           r"<code>itertools.combinations(range(k), r)</code> for r = 2..k.",
           r"Outcomes are equally likely, so a probability is the mean of a mask; the joint event of \(S\) is "
           r"<code>np.logical_and.reduce(masks[list(S)])</code>. Compare with a tiny tolerance (1e-12)."),
    key_line="if abs(masks[list(S)].all(axis=0).mean() - np.prod(p[list(S)])) > 1e-12: failing.append(S)",
    shows=(_rules.mutually_independent,),
)
def failing_subfamilies(masks):
    """Check the mutual independence of k events over n equally likely outcomes.

    Parameters
    ----------
    masks : ndarray of bool, shape (k, n): row i marks the outcomes in event A_i

    Returns
    -------
    independent : bool, True when every sub-family of two or more events satisfies the product rule
    failing : tuple of tuples of int, the sub-families (index tuples in increasing order, as
        ``itertools.combinations`` lists them: by size, then lexicographically) whose product rule fails
        (tolerance 1e-12)
    """
    verdict = _rules.mutually_independent(masks)
    return verdict.independent, tuple(tuple(int(i) for i in S) for S in verdict.failing)


# -- 1.10.2 Set rules: the probability of a union by inclusion-exclusion ------------------------------------

def _union_direct(masks):
    """the share of outcomes in at least one event (masks.any)"""
    return float(np.asarray(masks).any(axis=0).mean())


def _union_inputs(rng, size):
    k = int(rng.integers(1, min(2 + size // 2, 6) + 1))
    n = 4 * size + 4
    return {"masks": rng.random((k, n)) < rng.uniform(0.05, 0.6, size=(k, 1))}


def _union_boole(kwargs, out):
    p = np.asarray(kwargs["masks"]).mean(axis=1)
    assert p.max() - 1e-12 <= out <= min(1.0, p.sum()) + 1e-12, \
        "the union is not between the largest P(A_i) and min(1, sum of P(A_i)) (Boole's inequality)"


@as_exercise(
    "1.10.2", reference=_union_direct, inputs=_union_inputs, difficulty=2,
    edge_cases={
        "one event: its own probability": {"masks": np.array([[True, False, False, True]])},
        "disjoint events: the probabilities add": {
            "masks": np.array([[True, False, False, False], [False, True, False, False],
                               [False, False, False, True]])},
        "three copies of one event: no double counting": {"masks": np.array([[True, True, False, False]] * 3)},
        "an empty event changes nothing": {"masks": np.array([[False, False, False], [False, True, True]])},
    },
    properties={"between max P(A_i) and min(1, sum P(A_i))": _union_boole},
    hints=(r"Sum over every non-empty subset \(S\) of the events: \((-1)^{|S|+1}\,P\big(\bigcap_{i\in S}A_i\big)\). "
           r"Odd-sized intersections are added, even-sized ones subtracted.",
           r"<code>itertools.combinations(range(k), r)</code> lists the subsets of size r; the probability of an "
           r"intersection is the mean of <code>np.logical_and.reduce(masks[list(S)], axis=0)</code>."),
    key_line="total += (-1) ** (r + 1) * np.logical_and.reduce(masks[list(S)], axis=0).mean()",
    shows=(_rules.union_prob,),
)
def inclusion_exclusion(masks):
    """P(A_1 or ... or A_k) over equally likely outcomes, by the inclusion-exclusion formula.

    (The direct answer ``masks.any(axis=0).mean()`` is what the formula must reproduce: sum over subsets
    of events instead.)

    Parameters
    ----------
    masks : ndarray of bool, shape (k, n), 1 <= k <= 12: row i marks the outcomes in event A_i

    Returns
    -------
    float, the probability of the union.
    """
    return float(_rules.union_prob(masks))


# -- 1.10.3 Bayes' rule: posteriors over hypotheses from log-likelihoods -------------------------------------

def _posterior_mpmath(prior, log_likelihood):
    """mpmath at 50 digits, straight from Bayes' rule (no log-space tricks)"""
    import mpmath

    with mpmath.workdps(50):
        out = []
        for row in np.asarray(log_likelihood, float).tolist():
            joint = [mpmath.exp(mpmath.mpf(ll)) * mpmath.mpf(float(p)) for ll, p in zip(row, prior)]
            evidence = mpmath.fsum(joint)
            out.append([float(j / evidence) for j in joint])
    return np.array(out)


def _posterior_inputs(rng, size):
    K = 1 if size == 1 else int(rng.integers(2, 6))
    prior = rng.dirichlet(np.ones(K))
    if K > 2 and rng.random() < 0.3:
        prior[0] = 0.0                                          # a hypothesis ruled out a priori
        prior /= prior.sum()
    scale = rng.choice([1.0, 30.0, 800.0])                      # 800: the likelihoods underflow in linear space
    ll = -scale * rng.random((size, K)) - rng.uniform(0, 5) - rng.choice([0.0, 900.0])   # 900: all underflow
    return {"prior": prior, "log_likelihood": ll}


def _posterior_rows(kwargs, out):
    out = np.asarray(out, float)
    assert np.all(np.isfinite(out)), "a posterior probability is NaN or infinite"
    assert np.all(out >= 0), "a negative posterior probability"
    assert np.allclose(out.sum(axis=1), 1.0, rtol=0, atol=1e-12), "a row of the posterior does not sum to 1"
    zero = np.asarray(kwargs["prior"]) == 0
    assert np.all(out[:, zero] == 0), "a hypothesis with prior 0 got posterior mass"


@as_exercise(
    "1.10.3", reference=_posterior_mpmath, inputs=_posterior_inputs, difficulty=2,
    edge_cases={
        "log-likelihoods near -1000: no underflow to 0/0": {
            "prior": np.array([0.5, 0.5]), "log_likelihood": np.array([[-1000.0, -1001.0], [-1500.0, -1500.0]])},
        "an observation impossible under one hypothesis (-inf)": {
            "prior": np.array([0.2, 0.3, 0.5]), "log_likelihood": np.array([[-np.inf, -1.0, -2.0]])},
        "equal likelihoods: the posterior is the prior": {
            "prior": np.array([0.1, 0.6, 0.3]), "log_likelihood": np.array([[-4.0, -4.0, -4.0]])},
        "a hypothesis with prior 0 stays at 0": {
            "prior": np.array([0.0, 1.0]), "log_likelihood": np.array([[0.0, -50.0]])},
    },
    properties={"rows are distributions; prior-0 hypotheses keep 0": _posterior_rows},
    hints=(r"Bayes' rule row by row: \(P(h_k\mid x) \propto p(x\mid h_k)\,\pi_k\). In log space that is a softmax "
           r"of \(\log p(x\mid h_k) + \log\pi_k\) over \(k\).",
           r"Subtract each row's maximum before exponentiating, or \(e^{-1000}\) underflows to 0 and you divide "
           r"0 by 0. \(\log 0 = -\infty\) is fine (silence the warning with <code>np.errstate</code>): "
           r"\(e^{-\infty} = 0\)."),
    key_line="z = ll + np.log(prior);  post = np.exp(z - z.max(1, keepdims=True));  post /= post.sum(1, keepdims=True)",
    shows=(_rules.posterior,),
)
def posterior_from_loglik(prior, log_likelihood):
    """Posterior probabilities of K hypotheses after each of N observations (each on its own, from the prior).

    Parameters
    ----------
    prior : ndarray, shape (K,), non-negative, sums to 1 (a zero rules a hypothesis out)
    log_likelihood : ndarray, shape (N, K), ``log p(x_n | h_k)``; ``-inf`` where the observation is impossible
        under that hypothesis; values may be very negative (e.g. -1000)

    Returns
    -------
    ndarray, shape (N, K): ``P(h_k | x_n)``; every row sums to 1.
    """
    return _rules.posterior(prior, log_likelihood)


# -- 1.10.4 The partition function: log Z of an Ising ring by the transfer matrix ----------------------------

def _ring_log_z_enumerate(n, J, h, beta):
    """enumeration of all 2^n states (mpmath's exact matrix power beyond 16 spins)"""
    beta = np.asarray(beta, float)
    if n <= 16:
        from scipy.special import logsumexp

        s = ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1) * 2.0 - 1.0       # (2^n, n)
        energy = -J * (s * np.roll(s, 1, axis=1)).sum(1) - h * s.sum(1)
        return np.array([logsumexp(-b * energy) for b in beta.ravel()]).reshape(beta.shape)
    import mpmath

    out = []
    with mpmath.workdps(40):
        for b in beta.ravel():
            K, H = mpmath.mpf(float(b)) * J, mpmath.mpf(float(b)) * h
            T = mpmath.matrix([[mpmath.exp(K + H), mpmath.exp(-K)], [mpmath.exp(-K), mpmath.exp(K - H)]])
            P = T ** n
            out.append(float(mpmath.log(P[0, 0] + P[1, 1])))
    return np.array(out).reshape(beta.shape)


def _ring_inputs(rng, size):
    return {"n": size, "J": float(rng.uniform(-1.5, 1.5)), "h": float(rng.uniform(-1, 1)),
            "beta": np.sort(rng.uniform(0.1, 3.0, size=max(1, size // 2)))}


def _ring_bounds(kwargs, out):
    n, J, h = kwargs["n"], kwargs["J"], kwargs["h"]
    beta = np.asarray(kwargs["beta"], float)
    out = np.asarray(out, float)
    assert np.all(np.isfinite(out)), "log Z is not finite"
    top = n * math.log(2) + beta * n * (abs(J) + abs(h))     # 2^n states, none heavier than this
    low = beta * n * (J + abs(h))                            # the log-weight of every spin along the field
    assert np.all(out <= top + 1e-9), "log Z above n log 2 + beta n (|J| + |h|)"
    assert np.all(out >= low - 1e-9), "log Z below the log-weight of the all-aligned configuration"


@as_exercise(
    "1.10.4", reference=_ring_log_z_enumerate, inputs=_ring_inputs, difficulty=3,
    edge_cases={
        "no coupling: n log(2 cosh(beta h))": {"n": 5, "J": 0.0, "h": 0.7, "beta": np.array([0.5, 2.0])},
        "one spin couples with itself: log(e^(K+H) + e^(K-H))": {"n": 1, "J": 0.8, "h": 0.3,
                                                                   "beta": np.array([1.0])},
        "500 spins at low temperature: no overflow": {"n": 500, "J": 1.0, "h": 0.2, "beta": np.array([5.0])},
        "an antiferromagnetic ring of odd length": {"n": 7, "J": -1.0, "h": 0.0, "beta": np.array([0.3, 3.0])},
    },
    properties={"log Z lies between the aligned state's log-weight and n log 2 + beta n (|J| + |h|)":
                _ring_bounds},
    hints=(r"Write \(Z = \sum_s \prod_i T_{s_i s_{i+1}}\) with the 2×2 matrix "
           r"\(T_{ss'} = e^{K ss' + H(s+s')/2}\), \(K = \beta J\), \(H = \beta h\). Around a ring the sum is "
           r"\(\operatorname{tr} T^n = \lambda_+^n + \lambda_-^n\) with \(T\)'s two eigenvalues.",
           r"For large \(n\beta\) the powers overflow: divide \(T\) by \(e^{|K|+|H|}\) first and use "
           r"\(\log Z = n\log\lambda_+ + \log(1 + (\lambda_-/\lambda_+)^n)\) (<code>np.log1p</code>)."),
    key_line="return n * (np.log(lp) + shift) + np.log1p((lm / lp) ** n)",
    shows=(_part.ising_ring_log_z_transfer,),
)
def ring_log_partition(n, J, h, beta):
    """log Z of a periodic Ising chain (a ring) of ``n`` spins, without enumerating the 2^n states.

    ``E(s) = -J sum_i s_i s_{i+1} - h sum_i s_i`` with ``s_{n+1} = s_1`` (so one spin couples with itself, and
    two spins share two bonds), and ``Z(beta) = sum_s exp(-beta E(s))``.

    Parameters
    ----------
    n : int >= 1, the number of spins (hundreds must work: no overflow)
    J, h : float, coupling and field
    beta : ndarray of float > 0, shape (m,), inverse temperatures

    Returns
    -------
    ndarray, shape (m,): ``log Z`` at each ``beta``.
    """
    return _part.ising_ring_log_z_transfer(n, J, h, np.asarray(beta, float))


# -- 1.10.5 The complement rule: the birthday problem ---------------------------------------------------------

def _birthday_fractions(n, days):
    """exact fractions: one minus the product of (days - k) / days"""
    from fractions import Fraction

    out = []
    for m in np.asarray(n).ravel().tolist():
        none = Fraction(1)
        for k in range(m):
            none *= Fraction(max(days - k, 0), days)
        out.append(float(1 - none))
    return np.array(out).reshape(np.shape(n))


def _birthday_inputs(rng, size):
    days = int(rng.choice([int(rng.integers(1, 30)), 365, int(rng.integers(30, 400))]))
    return {"n": np.sort(rng.integers(0, days + 6, size=size)), "days": days}


def _birthday_monotone(kwargs, out):
    out = np.asarray(out, float)
    assert np.all((out >= 0) & (out <= 1)), "a probability outside [0, 1]"
    order = np.argsort(np.asarray(kwargs["n"]), kind="stable")
    assert np.all(np.diff(out[order]) >= -1e-15), "more people made a shared birthday less likely"


@as_exercise(
    "1.10.5", reference=_birthday_fractions, inputs=_birthday_inputs, difficulty=1,
    edge_cases={
        "nobody or one person: no collision": {"n": np.array([0, 1]), "days": 365},
        "23 people and 365 days: just over one half": {"n": np.array([22, 23]), "days": 365},
        "more people than days: certain (pigeonhole)": {"n": np.array([366, 400]), "days": 365},
        "two people, one day": {"n": np.array([2]), "days": 1},
    },
    properties={"in [0, 1] and non-decreasing in n": _birthday_monotone},
    hints=(r"Count the complement: all \(n\) birthdays distinct has probability "
           r"\(\prod_{k=0}^{n-1}\frac{\text{days}-k}{\text{days}}\); the answer is one minus that.",
           r"Multiply in log space (<code>np.cumsum(np.log1p(-k / days))</code>) so every \(n\) up to "
           r"<code>days</code> comes from one cumulative sum; past <code>days</code> the answer is 1."),
    key_line="log_none = np.concatenate([[0.0], np.cumsum(np.log1p(-np.arange(days) / days))])",
    shows=(_rules.p_collision,),
)
def shared_birthday(n, days):
    """P(at least two of ``n`` people share a birthday), birthdays independent and uniform over ``days`` days.

    Parameters
    ----------
    n : ndarray of int >= 0, shape (m,), group sizes
    days : int >= 1

    Returns
    -------
    ndarray, shape (m,): the probability for each group size (0 for n <= 1, 1 for n > days).
    """
    return np.asarray(_rules.p_collision(np.asarray(n), days), float)


# -- 1.10.6 Variance rules: Welford's one-pass variance ------------------------------------------------------

def _variance_statistics(x, ddof):
    """Python's statistics.pvariance / variance (exact rational arithmetic)"""
    import statistics

    values = np.asarray(x, float).tolist()
    return float(statistics.pvariance(values) if ddof == 0 else statistics.variance(values))


def _variance_inputs(rng, size):
    ddof = int(rng.integers(0, 2))
    offset = float(rng.choice([0.0, 1e3, 1e6])) * rng.choice([-1, 1])     # 1e6: E[x^2] - mean^2 cancels
    return {"x": offset + rng.normal(0, rng.uniform(0.5, 3), size=size + ddof), "ddof": ddof}


def _variance_shift_invariant(kwargs, out):
    x = np.asarray(kwargs["x"], float)
    if abs(x.mean()) < 1e4:
        return
    two_pass = float(((x - x.mean()) ** 2).sum() / (x.size - kwargs["ddof"]))
    assert abs(out - two_pass) <= 1e-6 * two_pass + 1e-12, \
        f"far from the two-pass value {two_pass:.6g} on data far from 0 (cancellation?)"


@as_exercise(
    "1.10.6", reference=_variance_statistics, inputs=_variance_inputs, difficulty=2,
    edge_cases={
        "one value, ddof = 0: variance 0": {"x": np.array([3.5]), "ddof": 0},
        "two values, ddof = 1: half the squared gap": {"x": np.array([1.0, 4.0]), "ddof": 1},
        "constant data: exactly 0": {"x": np.full(5, 0.1), "ddof": 1},
        "data near a million: no cancellation": {"x": 1e6 + np.array([0.1, -0.2, 0.3, 0.05]), "ddof": 0},
    },
    properties={"agrees with the two-pass variance on data far from 0": _variance_shift_invariant},
    hints=(r"Keep the running mean \(M\) and the running sum of squared deviations \(S\). For each new value, "
           r"the gap to the old mean updates both: \(M \mathrel{+}= (x-M)/k\), then \(S\) gains the gap to the "
           r"old mean times the gap to the new one.",
           r"Divide \(S\) by \(n - \text{ddof}\) at the end. Never use \(E[x^2] - \bar x^2\): for data near "
           r"\(10^6\) both terms are about \(10^{12}\) and their difference loses most digits."),
    key_line="d = v - mean;  mean += d / k;  s += d * (v - mean)",
    shows=(_rules.welford_var,),
)
def streaming_variance(x, ddof):
    """The variance of ``x`` in one pass over the values (Welford's update), without E[x^2] - mean^2.

    Parameters
    ----------
    x : ndarray, shape (n,), with n > ddof
    ddof : int, 0 (divide by n, the population variance) or 1 (divide by n - 1, the sample variance)

    Returns
    -------
    float, the sum of squared deviations from the mean divided by ``n - ddof``.
    """
    return float(_rules.welford_var(x, ddof))


# -- 1.11 Frequentist vs Bayesian: the Wilson score interval --------------------------------------------------

def _wilson_roots(k, n, level):
    """the two roots of the score test's quadratic in p (np.roots)"""
    from scipy import stats

    z2 = stats.norm.ppf((1 + level) / 2) ** 2
    lo, hi = [], []
    for kk in np.asarray(k, float).ravel():
        # (k/n - p)^2 = z^2 p (1 - p) / n  <=>  (n + z^2) p^2 - (2k + z^2) p + k^2 / n = 0
        r = np.sort(np.roots([n + z2, -(2 * kk + z2), kk * kk / n]).real)
        lo.append(r[0])
        hi.append(r[1])
    return np.array(lo).reshape(np.shape(k)), np.array(hi).reshape(np.shape(k))


def _wilson_inputs(rng, size):
    n = int(rng.integers(1, 8 * size + 2))
    return {"k": np.sort(rng.integers(0, n + 1, size=size)), "n": n,
            "level": float(rng.choice([0.8, 0.9, 0.95, 0.99, rng.uniform(0.5, 0.999)]))}


def _wilson_brackets(kwargs, out):
    lo, hi = (np.asarray(v, float) for v in out)
    p_hat = np.asarray(kwargs["k"], float) / kwargs["n"]
    assert np.all(lo >= -1e-12) and np.all(hi <= 1 + 1e-12), "an end outside [0, 1]"
    assert np.all(lo <= p_hat + 1e-12) and np.all(p_hat <= hi + 1e-12), "an interval misses k / n"


@as_exercise(
    "1.11", reference=_wilson_roots, inputs=_wilson_inputs, difficulty=2,
    edge_cases={
        "no successes: the lower end is 0, the upper is not": {"k": np.array([0]), "n": 10, "level": 0.95},
        "all successes: the upper end is 1": {"k": np.array([20]), "n": 20, "level": 0.95},
        "mirror counts give mirror intervals": {"k": np.array([3, 9]), "n": 12, "level": 0.9},
        "one trial": {"k": np.array([0, 1]), "n": 1, "level": 0.95},
    },
    properties={"inside [0, 1] and containing k / n": _wilson_brackets},
    hints=(r"The interval collects every \(p\) the score test keeps: \(|\hat p - p| \le z\sqrt{p(1-p)/n}\), with "
           r"\(z\) the normal quantile at \((1+\text{level})/2\). The standard error uses \(p\), not \(\hat p\).",
           r"Squaring gives a quadratic in \(p\); its two roots are "
           r"\(\frac{k + z^2/2}{n + z^2} \mp \frac{z\sqrt{n\hat p(1-\hat p) + z^2/4}}{n + z^2}\)."),
    key_line="half = z * np.sqrt(n * p_hat * (1 - p_hat) + z**2 / 4) / (n + z**2)",
    shows=(_inf.wilson_interval,),
)
def wilson_bounds(k, n, level):
    """The Wilson score interval for a binomial proportion, for each count of successes in ``k``.

    Parameters
    ----------
    k : ndarray of int, shape (m,), successes (0 <= k <= n)
    n : int >= 1, trials
    level : float in (0, 1), the confidence level (0.95 for a 95% interval)

    Returns
    -------
    lo, hi : ndarray, shape (m,) each, the interval's ends.
    """
    lo, hi = _inf.wilson_interval(np.asarray(k), n, level)
    return np.asarray(lo, float).reshape(np.shape(k)), np.asarray(hi, float).reshape(np.shape(k))


# -- 1.12 CDF vs PDF: the Kolmogorov-Smirnov distance between a sample and a CDF -----------------------------

class _NamedCDF:
    """A continuous CDF that prints as its name (the input shown in a failing check)."""

    def __init__(self, name: str, loc: float = 0.0, scale: float = 1.0):
        self.name, self.loc, self.scale = name, float(loc), float(scale)

    def __call__(self, x):
        from scipy import stats

        return getattr(stats, self.name).cdf(x, loc=self.loc, scale=self.scale)

    def ppf(self, q):
        from scipy import stats

        return getattr(stats, self.name).ppf(q, loc=self.loc, scale=self.scale)

    def __repr__(self):
        return f"{self.name}(loc={self.loc:g}, scale={self.scale:g}).cdf"

    def __eq__(self, other):                 # a deep copy is the same CDF (the engine checks inputs unchanged)
        return isinstance(other, _NamedCDF) and (self.name, self.loc, self.scale) == (other.name, other.loc,
                                                                                      other.scale)

    def __hash__(self):
        return hash((self.name, self.loc, self.scale))


def _ks_scipy(sample, cdf):
    """scipy.stats.kstest"""
    from scipy import stats

    return float(stats.kstest(np.asarray(sample, float), cdf).statistic)


def _ks_inputs(rng, size):
    name = str(rng.choice(["norm", "expon", "logistic"]))
    true = _NamedCDF(name, rng.normal(0, 1), rng.uniform(0.5, 2))
    tested = true if rng.random() < 0.5 else _NamedCDF(name, true.loc + rng.normal(0, 0.7), true.scale)
    u = rng.random(size)
    return {"sample": rng.permutation(true.ppf(u)), "cdf": tested}


def _ks_range(kwargs, out):
    n = len(kwargs["sample"])
    assert 1 / (2 * n) - 1e-12 <= out <= 1 + 1e-12, \
        f"D = {out:.6g} is outside [1/(2n), 1]: no step function gets closer than 1/(2n) to a continuous CDF"


@as_exercise(
    "1.12", reference=_ks_scipy, inputs=_ks_inputs, difficulty=2,
    edge_cases={
        "one point at the median: D = 1/2": {"sample": np.array([0.0]), "cdf": _NamedCDF("norm")},
        "points at the quantiles (i - 1/2)/n: D = 1/(2n)": {
            "sample": _NamedCDF("expon").ppf((np.arange(1, 5) - 0.5) / 4)[::-1].copy(), "cdf": _NamedCDF("expon")},
        "every point far right of the mass: D near 1": {"sample": np.array([8.0, 9.0, 10.0]),
                                                         "cdf": _NamedCDF("norm")},
        "tied values": {"sample": np.array([0.5, 0.5, -1.0, 0.5]), "cdf": _NamedCDF("logistic")},
    },
    properties={"1/(2n) <= D <= 1": _ks_range},
    hints=(r"Sort the sample. The empirical CDF is flat between points while \(F\) rises, so the largest gap "
           r"sits right at a jump: compare \(F(x_{(i)})\) with both \(\frac{i}{n}\) (after the jump) and "
           r"\(\frac{i-1}{n}\) (just before it).",
           r"\(D = \max_i \max\big(\frac in - F(x_{(i)}),\ F(x_{(i)}) - \frac{i-1}{n}\big)\), with \(i\) from 1."),
    key_line="D = max((i / n - F).max(), (F - (i - 1) / n).max())   # F = cdf(np.sort(sample)), i = 1..n",
    shows=(_dens.ks_statistic,),
)
def ks_distance(sample, cdf):
    """The Kolmogorov-Smirnov distance ``sup_x |F_n(x) - F(x)|`` between a sample's empirical CDF and ``cdf``.

    Parameters
    ----------
    sample : ndarray, shape (n,), n >= 1, in any order (ties allowed)
    cdf : callable, a continuous CDF ``F``, vectorised (``cdf(array) -> array``)

    Returns
    -------
    float in [0, 1].
    """
    return _dens.ks_statistic(sample, cdf)


# -- 1.13 The central limit theorem: the exact distance of a standardised binomial from the normal -----------

def _clt_gap_loop(n, p):
    """a loop over the jumps with math.comb and math.erf"""
    sd = math.sqrt(n * p * (1 - p))
    below, worst = 0.0, 0.0
    for k in range(n + 1):
        z = (k - n * p) / sd
        phi = 0.5 * (1 + math.erf(z / math.sqrt(2)))
        at = below + math.comb(n, k) * p ** k * (1 - p) ** (n - k)
        worst = max(worst, abs(below - phi), abs(at - phi))     # just before the jump, and at it
        below = at
    return worst


def _clt_inputs(rng, size):
    return {"n": int(rng.integers(size, 5 * size + 1)), "p": float(rng.uniform(0.02, 0.98))}


def _clt_grid_below(kwargs, out):
    from scipy import special, stats

    n, p = kwargs["n"], kwargs["p"]
    sd = math.sqrt(n * p * (1 - p))
    z = np.linspace(-6, 6, 2001)
    gap = np.abs(stats.binom.cdf(np.floor(n * p + z * sd + 1e-9), n, p) - special.ndtr(z)).max()
    assert gap <= out + 1e-9, f"a grid point has a gap {gap:.6g} above the claimed supremum {out:.6g}"


@as_exercise(
    "1.13", reference=_clt_gap_loop, inputs=_clt_inputs, difficulty=3,
    edge_cases={
        "one fair coin: the gap is Phi(1) - 1/2": {"n": 1, "p": 0.5},
        "a skewed coin, n = 2": {"n": 2, "p": 0.1},
        "40 fair coins: a small gap": {"n": 40, "p": 0.5},
    },
    properties={"no point of a fine grid has a larger gap": _clt_grid_below},
    hints=(r"\(Z_n = (S_n - np)/\sqrt{np(1-p)}\) takes the values \(z_k = (k-np)/\sqrt{np(1-p)}\); its CDF "
           r"is a staircase with a step of \(P(S_n = k)\) at each \(z_k\), while \(\Phi\) rises smoothly.",
           r"Between two steps the gap is largest at an end, so check every step twice: the CDF just before "
           r"it (the previous value) and at it, both against \(\Phi(z_k)\)."),
    key_line="D = max(np.abs(F - Phi).max(), np.abs(np.r_[0.0, F[:-1]] - Phi).max())",
    shows=(_lim.exact_ks_binomial,),
)
def binomial_normal_gap(n, p):
    """``sup_z |P(Z_n <= z) - Phi(z)|`` exactly, for the standardised binomial sum the CLT is about.

    ``Z_n = (S_n - n p) / sqrt(n p (1 - p))`` with ``S_n ~ Binomial(n, p)``; ``Phi`` is the standard normal CDF.

    Parameters
    ----------
    n : int >= 1, the number of Bernoulli(p) terms
    p : float in (0, 1)

    Returns
    -------
    float in [0, 1]: the Kolmogorov distance between the law of ``Z_n`` and N(0, 1).
    """
    return float(_lim.exact_ks_binomial(n, p))



# -- 1.14 The law of large numbers: the running mean of every prefix ----------------------------------------

def _prefix_means_loop(draws):
    """a loop over each sequence, summing as it goes"""
    out = []
    for row in np.asarray(draws, float).tolist():
        total, means = 0.0, []
        for k, v in enumerate(row, 1):
            total += v
            means.append(total / k)
        out.append(means)
    return np.array(out).reshape(np.shape(draws))


def _prefix_inputs(rng, size):
    reps = 1 if size == 1 else int(rng.integers(1, 4))
    return {"draws": rng.exponential(rng.uniform(0.5, 3), size=(reps, size)) * rng.choice([-1, 1])}


def _prefix_ends(kwargs, out):
    x, out = np.asarray(kwargs["draws"], float), np.asarray(out, float)
    assert out.shape == x.shape, f"shape {out.shape}, expected {x.shape}"
    assert np.allclose(out[:, 0], x[:, 0], rtol=1e-12, atol=0), "the first running mean is not the first draw"
    assert np.allclose(out[:, -1], x.mean(axis=1), rtol=1e-10, atol=1e-12), "the last running mean is not the mean"
    lo, hi = np.minimum.accumulate(x, axis=1), np.maximum.accumulate(x, axis=1)
    assert np.all((out >= lo - 1e-12) & (out <= hi + 1e-12)), "a running mean outside its prefix's range"


@as_exercise(
    "1.14", reference=_prefix_means_loop, inputs=_prefix_inputs, difficulty=1,
    edge_cases={
        "one draw: the draw itself": {"draws": np.array([[2.5]])},
        "constant draws: a constant running mean": {"draws": np.full((2, 4), -0.75)},
        "alternating +1, -1: 1, 0, 1/3, 0, ...": {"draws": np.array([[1.0, -1.0, 1.0, -1.0, 1.0]])},
    },
    properties={"first = first draw, last = the mean, each inside its prefix's range": _prefix_ends},
    hints=(r"The running mean after \(k\) draws is \(S_k / k\) with \(S_k\) the running sum: one "
           r"<code>np.cumsum</code> along the last axis gives every \(S_k\).",
           r"Divide by <code>np.arange(1, n + 1)</code>, which broadcasts over the rows. No Python loop needed."),
    key_line="np.cumsum(x, axis=-1) / np.arange(1, x.shape[-1] + 1)",
    shows=(_lim.running_means,),
)
def prefix_means(draws):
    """The running mean of every prefix of each sequence: the quantity the law of large numbers is about.

    Parameters
    ----------
    draws : ndarray, shape (reps, n), n >= 1: independent sequences along the rows

    Returns
    -------
    ndarray, shape (reps, n): ``out[r, k]`` is the mean of ``draws[r, :k + 1]``.
    """
    return _lim.running_means(draws)


# -- 1.15 Random variables: inverse-transform sampling of a discrete variable ---------------------------------

def _discrete_walk(u, values, probs):
    """a walk along the cumulative probabilities for each uniform"""
    out = []
    kept = [(x, p) for x, p in zip(values.tolist(), probs.tolist()) if p > 0]
    for v in np.asarray(u, float).tolist():
        acc, pick = 0.0, kept[-1][0]
        for x, p in kept:
            acc += p
            if acc >= v:
                pick = x
                break
        out.append(pick)
    return np.array(out)


def _discrete_inputs(rng, size):
    k = int(rng.integers(1, 7))
    probs = rng.dirichlet(np.ones(k))
    if k > 2 and rng.random() < 0.4:
        probs[rng.integers(0, k)] = 0.0                       # a value that can never come out
        probs /= probs.sum()
    values = np.cumsum(rng.uniform(0.5, 3, size=k)) - 2
    return {"u": rng.random(size), "values": values, "probs": probs}


def _discrete_support(kwargs, out):
    out = np.asarray(out, float)
    possible = np.asarray(kwargs["values"])[np.asarray(kwargs["probs"]) > 0]
    assert np.all(np.isin(out, possible)), "a draw that is not a value of positive probability"
    order = np.argsort(np.asarray(kwargs["u"]), kind="stable")
    assert np.all(np.diff(out[order]) >= 0), "a larger uniform gave a smaller value (F^-1 must not decrease)"


@as_exercise(
    "1.15", reference=_discrete_walk, inputs=_discrete_inputs, difficulty=1,
    edge_cases={
        "a uniform exactly at F(x_j) gives x_j": {"u": np.array([0.25, 0.5, 0.75]),
                                                  "values": np.array([1.0, 2.0, 3.0]),
                                                  "probs": np.array([0.25, 0.25, 0.5])},
        "a value of probability 0 never comes out, even for u = 0": {
            "u": np.array([0.0, 0.3, 0.7]), "values": np.array([-1.0, 0.0, 1.0]), "probs": np.array([0.0, 0.6, 0.4])},
        "one value: every draw is it": {"u": np.array([0.01, 0.99]), "values": np.array([7.0]),
                                        "probs": np.array([1.0])},
    },
    properties={"draws are possible values, non-decreasing in u": _discrete_support},
    hints=(r"Inverse transform: the draw for \(U\) is the first value whose cumulative probability "
           r"\(F(x_j) = p_1 + \dots + p_j\) reaches \(U\).",
           r"<code>np.searchsorted(np.cumsum(probs), u, side='left')</code> finds that index for every \(U\) at once. "
           r"Drop zero-probability values first, and set the last cumulative value to exactly 1 against round-off."),
    key_line="values[keep][np.searchsorted(cdf, u, side='left')]",
    shows=(_dist.sample_discrete,),
)
def discrete_inverse_cdf(u, values, probs):
    """Turn uniforms into draws of a discrete random variable by inverting its CDF.

    Parameters
    ----------
    u : ndarray, shape (m,), uniforms in [0, 1)
    values : ndarray, shape (k,), strictly increasing, the support
    probs : ndarray, shape (k,), non-negative, summing to 1

    Returns
    -------
    ndarray, shape (m,): for each ``u``, the first value ``x_j`` of positive probability with
    ``p_1 + ... + p_j >= u`` (a ``u`` exactly at a cumulative probability gives that value).
    """
    return _dist.sample_discrete(Replay(random=[np.asarray(u, float)]), values, probs, size=len(u))


# -- 1.16 IID: the effective sample size of a correlated series -----------------------------------------------

def _ess_loops(x):
    """a loop over lags with each autocorrelation summed from its definition"""
    out = []
    for row in np.asarray(x, float).tolist():
        n = len(row)
        mean = sum(row) / n
        c = [v - mean for v in row]
        c0 = sum(v * v for v in c)
        total = 0.0
        for k in range(1, n):
            rho = sum(c[t] * c[t + k] for t in range(n - k)) / c0
            if rho <= 0:
                break
            total += rho
        out.append(n / (1 + 2 * total))
    return np.array(out)


def _ess_inputs(rng, size):
    reps, n = (1 if size == 1 else int(rng.integers(1, 4))), 3 + 2 * size
    phi = float(rng.uniform(-0.6, 0.95))
    eps = rng.normal(size=(reps, n))
    x = np.empty_like(eps)
    x[:, 0] = eps[:, 0]
    for t in range(1, n):
        x[:, t] = phi * x[:, t - 1] + math.sqrt(1 - phi * phi) * eps[:, t]
    return {"x": x + rng.normal(0, 3)}


def _ess_range(kwargs, out):
    n = np.shape(kwargs["x"])[1]
    out = np.asarray(out, float)
    assert np.all(out > 0) and np.all(out <= n * (1 + 1e-12)), \
        "an effective sample size outside (0, n] (only positive autocorrelations are summed)"


@as_exercise(
    "1.16", reference=_ess_loops, inputs=_ess_inputs, difficulty=3,
    edge_cases={
        "alternating signs: rho_1 < 0 stops at once, ESS = n": {"x": np.array([[1.0, -1.0, 1.2, -0.8, 1.0, -1.1]])},
        "a slow ramp: ESS far below n": {"x": np.arange(12.0)[None] + np.array([[0.3, -0.2, 0.1] * 4])},
        "the shortest series, n = 3": {"x": np.array([[0.0, 1.0, 3.0]])},
    },
    properties={"0 < ESS <= n": _ess_range},
    hints=(r"Centre each series, then \(\hat\rho_k = \sum_t c_t c_{t+k} / \sum_t c_t^2\). The effective size is "
           r"\(n / (1 + 2\sum_{k=1}^{K-1}\hat\rho_k)\), where \(K\) is the first lag with \(\hat\rho_K \le 0\) "
           r"(sum to lag \(n-1\) if there is none).",
           r"All lags at once: the autocovariances are the inverse FFT of \(|\mathrm{FFT}(c)|^2\), zero-padded to at "
           r"least \(2n-1\) so the circular correlation does not wrap around."),
    key_line="acov = np.fft.irfft(np.abs(np.fft.rfft(c, m, axis=1)) ** 2, m, axis=1)[:, :n]   # m >= 2n - 1",
    shows=(_lim.ess_estimate,),
)
def effective_sample_size(x):
    """Effective sample size of each series from its sample autocorrelations, truncated at the first lag <= 0.

    Parameters
    ----------
    x : ndarray, shape (reps, n), n >= 3, one (non-constant) series per row

    Returns
    -------
    ndarray, shape (reps,): ``n / (1 + 2 (rho_1 + ... + rho_{K-1}))`` with ``rho_k`` the lag-k sample
    autocorrelation (about the series' own mean, divided by the lag-0 sum of squares) and ``K`` the first lag
    with ``rho_K <= 0`` (or ``n`` when there is none).
    """
    return np.atleast_1d(np.asarray(_lim.ess_estimate(np.asarray(x, float)), float)).reshape(len(x))

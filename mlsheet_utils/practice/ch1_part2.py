"""Practice exercises of chapter 1's later pages (1.17 to 1.24.3) and chapter 2's first pages (2.1 to 2.11)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import scipy.linalg
from scipy import signal, special, stats
from sklearn.metrics.pairwise import cosine_similarity as _sk_cosine

from mlsheet_utils.algorithms import calculus as _calculus
from mlsheet_utils.algorithms import linalg as _linalg
from mlsheet_utils.algorithms import linear as _linear
from mlsheet_utils.algorithms import optim as _optim
from mlsheet_utils.algorithms.clustering import mixture as _mixture
from mlsheet_utils.algorithms.nn import functional as _functional
from mlsheet_utils.algorithms.probability import density as _density
from mlsheet_utils.algorithms.probability import graphical as _graphical
from mlsheet_utils.algorithms.probability import hypothesis as _hypothesis
from mlsheet_utils.algorithms.probability import mcmc as _mcmc
from mlsheet_utils.algorithms.probability import variational as _variational
from mlsheet_utils.checks.practice import as_exercise
from mlsheet_utils.practice._support import Replay, complex_step_gradient

# -- 1.17 KDE: leave-one-out log-likelihood of a bandwidth ---------------------------------------------------

def _loo_ref(data, h):
    """a loop over the definition, with a log-sum-exp per point"""
    x = [float(v) for v in data]
    n = len(x)
    log_norm = math.log(math.sqrt(2 * math.pi) * h)
    total = 0.0
    for i in range(n):
        logs = [-((x[i] - x[j]) ** 2) / (2 * h * h) - log_norm for j in range(n) if j != i]
        top = max(logs)
        total += top + math.log(sum(math.exp(v - top) for v in logs)) - math.log(n - 1)
    return total / n


def _loo_inputs(rng, size):
    n = size + 1
    data = rng.normal(0.0, rng.uniform(0.5, 3.0), n) + rng.integers(-5, 6)
    return {"data": data, "h": float(rng.uniform(0.2, 2.0))}


def _loo_below_peak(kwargs, out):
    peak = -math.log(math.sqrt(2 * math.pi) * kwargs["h"])
    assert out <= peak + 1e-12, f"{out:.6g} is above the log of the kernel's peak, {peak:.6g}"


def _loo_finite(kwargs, out):
    assert np.isfinite(out), f"got {out}: a tiny kernel value underflowed (shift before you exponentiate)"


@as_exercise(
    "1.17", reference=_loo_ref, inputs=_loo_inputs, difficulty=2,
    edge_cases={
        "n = 2: the log of one kernel value": {"data": np.array([0.0, 1.0]), "h": 0.5},
        "two equal points score the kernel's peak": {"data": np.array([3.0, 3.0]), "h": 0.7},
        "a far outlier stays finite (no underflow to -inf)": {"data": np.array([0.0, 0.2, 60.0]), "h": 0.1},
    },
    properties={
        "no higher than the log of the kernel's peak": _loo_below_peak,
        "finite": _loo_finite,
    },
    hints=(r"Score each point \(x_i\) by the density built from the other \(n-1\) points: "
           r"\(\log \frac{1}{n-1}\sum_{j\ne i} \mathcal N(x_i; x_j, h^2)\), then average over \(i\).",
           "Put +inf on the diagonal of the squared-distance matrix so a point never scores itself, and subtract "
           "each row's smallest distance before exponentiating so a lonely point does not underflow to log 0."),
    key_line="np.fill_diagonal(d2, np.inf)",
    shows=(_density.loo_log_likelihood,),
)
def kde_loo_loglik(data, h):
    """Mean leave-one-out log-likelihood of a 1-D Gaussian kernel density estimate with bandwidth ``h``.

    Parameters
    ----------
    data : ndarray, shape (n,), n >= 2
    h : float > 0, the standard deviation of the Gaussian kernel

    Returns
    -------
    float
        The mean over i of log f_{-i}(x_i), where f_{-i} is the KDE of the n - 1 other points
        (the average of their n - 1 Gaussian kernels, each with its own normalising constant).
        It must stay finite even when one point is far from all the others.
    """
    return float(_density.loo_log_likelihood(data, h))


# -- 1.18 BIC of a Gaussian mixture ---------------------------------------------------------------------------

def _gmm_bic_ref(X, weights, means, covariances):
    """scipy.stats.multivariate_normal and a count of the free parameters"""
    X = np.asarray(X, float)
    n, d = X.shape
    k = len(weights)
    logs = [math.log(w) + stats.multivariate_normal(m, c).logpdf(X).reshape(n)
            for w, m, c in zip(weights, means, covariances)]
    loglik = special.logsumexp(np.stack(logs), axis=0).sum()
    n_free = k * d + k * d * (d + 1) // 2 + (k - 1)
    return float(n_free * math.log(n) - 2 * loglik)


def _spd(rng, d):
    A = rng.normal(size=(d, d))
    return A @ A.T / d + np.eye(d) * rng.uniform(0.3, 1.0)


def _gmm_bic_inputs(rng, size):
    d = int(rng.integers(1, 4))
    k = int(rng.integers(1, 4))
    n = size + 2
    return {"X": rng.normal(0, 2, size=(n, d)),
            "weights": rng.dirichlet(np.ones(k) * 2),
            "means": rng.normal(0, 2, size=(k, d)),
            "covariances": np.stack([_spd(rng, d) for _ in range(k)])}


def _bic_finite(kwargs, out):
    assert np.isfinite(out), f"got {out}: a point far from every component made a density underflow to 0"


@as_exercise(
    "1.18", reference=_gmm_bic_ref, inputs=_gmm_bic_inputs, difficulty=2,
    edge_cases={
        "one component, one dimension: 2 parameters": {
            "X": np.array([[0.0], [1.0], [-1.0]]), "weights": np.array([1.0]), "means": np.array([[0.0]]),
            "covariances": np.array([[[1.0]]])},
        "a point far from every component stays finite": {
            "X": np.array([[0.0, 0.0], [40.0, 40.0]]), "weights": np.array([0.5, 0.5]),
            "means": np.array([[0.0, 0.0], [1.0, 1.0]]), "covariances": np.stack([np.eye(2) * 0.1] * 2)},
        "k = 3 components in 2-D: 17 parameters": {
            "X": np.array([[0.0, 0.0], [1.0, 2.0], [-1.0, 0.5], [2.0, -1.0]]),
            "weights": np.array([0.2, 0.3, 0.5]), "means": np.array([[0.0, 0.0], [1.0, 1.0], [-1.0, 0.0]]),
            "covariances": np.stack([np.eye(2), np.diag([2.0, 0.5]), np.array([[1.0, 0.5], [0.5, 1.0]])])},
    },
    properties={"finite": _bic_finite},
    hints=(r"Free parameters of a full-covariance mixture: \(kd\) means, \(k\,d(d+1)/2\) covariance entries "
           r"(each matrix is symmetric) and \(k-1\) weights (they sum to 1).",
           r"The log-likelihood is \(\sum_i \log\sum_k \pi_k \mathcal N(x_i;\mu_k,\Sigma_k)\); do the inner sum "
           "as a log-sum-exp of the log densities so a far point does not give log 0."),
    key_line="return p * np.log(n) - 2.0 * loglik",
    shows=(_mixture.gmm_n_parameters, _mixture.bic, _mixture.gmm_logpdf),
)
def gmm_bic_value(X, weights, means, covariances):
    """Bayesian information criterion of a full-covariance Gaussian mixture on the data ``X``.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    weights : ndarray, shape (k,), positive, summing to 1
    means : ndarray, shape (k, d)
    covariances : ndarray, shape (k, d, d), symmetric positive definite

    Returns
    -------
    float
        p ln n - 2 ln L, where ln L is the mixture's log-likelihood summed over the n rows of ``X`` (natural
        log) and p counts the free parameters: means, the distinct entries of each covariance matrix, and the
        weights less one (they are tied by summing to 1).
    """
    n, d = np.shape(X)
    loglik = float(_mixture.gmm_logpdf(X, weights, means, covariances).sum())
    return _mixture.bic(loglik, _mixture.gmm_n_parameters(len(weights), d), n)


# -- 1.19 Collinearity: variance inflation factors ------------------------------------------------------------

def _vif_ref(X):
    """the diagonal of the inverse correlation matrix"""
    X = np.asarray(X, float)
    return np.diag(np.linalg.inv(np.corrcoef(X.T))).copy()


def _vif_inputs(rng, size):
    n = size + 6
    p = int(rng.integers(2, 5))
    Z = rng.normal(size=(n, p))
    mix = np.eye(p) + np.triu(rng.uniform(-0.8, 0.8, size=(p, p)), 1)
    X = Z @ mix * rng.uniform(0.5, 3.0, p) + rng.uniform(-10, 10, p)
    return {"X": X}


def _vif_at_least_one(kwargs, out):
    out = np.asarray(out, float)
    assert np.all(out >= 1 - 1e-9), f"a VIF is below 1: {out.min():.6g}"



@as_exercise(
    "1.19", reference=_vif_ref, inputs=_vif_inputs, difficulty=2,
    edge_cases={
        "two columns: both 1 / (1 - r^2)": {"X": np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0], [4.0, 3.0]])},
        "uncorrelated centred columns: all 1": {"X": np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0],
                                                               [-1.0, -1.0]])},
        "a column far from zero: the intercept matters": {
            "X": np.array([[100.0, 1.0, 0.0], [101.0, 0.0, 1.0], [102.0, 2.0, 1.0], [99.0, 1.0, 3.0],
                           [100.5, 3.0, 2.0]])},
    },
    properties={"every VIF is at least 1": _vif_at_least_one},
    hints=(r"Regress column \(j\) on all the other columns <em>with an intercept</em>, take that fit's "
           r"\(R_j^2\), and return \(1/(1-R_j^2)\).",
           "Centring every column first is the same as fitting an intercept; then np.linalg.lstsq on the other "
           "columns gives the fit."),
    key_line="r2 = 1.0 - ((Xc[:, j] - others @ coef) ** 2).sum() / (Xc[:, j] ** 2).sum()",
    shows=(_linear.vif,),
)
def variance_inflation(X):
    """Variance inflation factor of every column of a design matrix.

    Parameters
    ----------
    X : ndarray, shape (n, p), p >= 2, n > p, no constant column, no column an exact combination of others

    Returns
    -------
    ndarray, shape (p,)
        VIF_j = 1 / (1 - R_j^2), with R_j^2 the coefficient of determination of the least-squares fit of
        column j on the other columns plus an intercept.
    """
    return _linear.vif(X)


# -- 1.20 Bayesian networks: d-separation ---------------------------------------------------------------------

def _dsep_paths(parents, x, y, given):
    """every undirected path, blocked or not by the collider rules"""
    given = set(given)
    children = {v: [c for c, ps in parents.items() if v in ps] for v in parents}

    def descendants(v):
        out, stack = set(), [v]
        while stack:
            for c in children[stack.pop()]:
                if c not in out:
                    out.add(c)
                    stack.append(c)
        return out

    def active(path):
        for a, b, c in zip(path, path[1:], path[2:]):
            collider = a in parents[b] and c in parents[b]
            if collider and not ({b} | descendants(b)) & given:
                return False
            if not collider and b in given:
                return False
        return True

    def walk(path):
        end = path[-1]
        if end == y:
            return active(path)
        nbrs = list(parents[end]) + children[end]
        return any(walk(path + [v]) for v in nbrs if v not in path)

    return not walk([x])


def _dsep_inputs(rng, size):
    m = min(3 + size // 3, 8)
    names = [chr(ord("A") + i) for i in rng.permutation(m)]
    parents = {}
    for i, v in enumerate(names):
        earlier = [u for u in names[:i] if rng.random() < 0.45]
        parents[v] = tuple(earlier[:3])
    keys = list(parents)
    rng.shuffle(keys)
    parents = {k: parents[k] for k in keys}
    x, y = rng.choice(names, 2, replace=False)
    others = [v for v in names if v not in (x, y)]
    given = tuple(v for v in others if rng.random() < 0.35)
    return {"parents": parents, "x": str(x), "y": str(y), "given": given}


def _dsep_adjacent(kwargs, out):
    p, x, y = kwargs["parents"], kwargs["x"], kwargs["y"]
    if x in p[y] or y in p[x]:
        assert out is False or out == 0, "an edge joins x and y, so nothing can separate them"


def _dsep_no_common_ancestor(kwargs, out):
    p = kwargs["parents"]

    def up(v):
        seen, stack = {v}, [v]
        while stack:
            for u in p[stack.pop()]:
                if u not in seen:
                    seen.add(u)
                    stack.append(u)
        return seen

    if not kwargs["given"] and not up(kwargs["x"]) & up(kwargs["y"]):
        assert out is True or out == 1, "with no evidence, nodes that share no ancestor are d-separated"


@as_exercise(
    "1.20", reference=_dsep_paths, inputs=_dsep_inputs, difficulty=3,
    edge_cases={
        "a chain is blocked by observing its middle": {"parents": {"A": (), "B": ("A",), "C": ("B",)},
                                                       "x": "A", "y": "C", "given": ("B",)},
        "an unobserved collider blocks": {"parents": {"A": (), "B": (), "C": ("A", "B")},
                                          "x": "A", "y": "B", "given": ()},
        "observing a collider's child opens the path": {
            "parents": {"A": (), "B": (), "C": ("A", "B"), "D": ("C",)}, "x": "A", "y": "B", "given": ("D",)},
        "a common cause links its children": {"parents": {"A": (), "B": ("A",), "C": ("A",)},
                                              "x": "B", "y": "C", "given": ()},
    },
    properties={
        "adjacent nodes are never separated": _dsep_adjacent,
        "no evidence and no common ancestor: separated": _dsep_no_common_ancestor,
    },
    hints=("One route avoids path-by-path rules: keep only x, y, the evidence and their ancestors; join every "
           "pair of parents that share a child; forget the arrow directions; delete the evidence nodes.",
           "Then x and y are d-separated exactly when a graph search from x can no longer reach y."),
    key_line="for p, q in itertools.combinations(parents[v], 2): adjacent[p].add(q); adjacent[q].add(p)",
    shows=(_graphical.d_separated,),
)
def dsep_query(parents, x, y, given):
    """Whether nodes ``x`` and ``y`` of a DAG are d-separated by the observed set ``given``.

    Parameters
    ----------
    parents : dict
        node name -> tuple of its parents' names; every node is a key and the graph has no cycle.
    x, y : str, two distinct nodes, neither in ``given``
    given : tuple of str, the observed nodes (may be empty)

    Returns
    -------
    bool
        True when every undirected path between x and y is blocked given ``given`` (so x and y are
        conditionally independent in every distribution that factorises over the DAG), else False.
    """
    return bool(_graphical.d_separated(parents, x, y, given))


# -- 1.21 Variational inference: CAVI for a Gaussian target ---------------------------------------------------

def _cavi_gauss_seidel(mu, Sigma, m0, n_sweeps):
    """gauss-seidel sweeps on Lambda (m - mu) = 0, each a scipy triangular solve"""
    mu, m = np.asarray(mu, float), np.asarray(m0, float).copy()
    Lam = np.linalg.inv(np.asarray(Sigma, float))
    lower, upper = np.tril(Lam), np.triu(Lam, 1)
    for _ in range(n_sweeps):
        m = mu + scipy.linalg.solve_triangular(lower, -upper @ (m - mu), lower=True)
    return m, 1.0 / np.diag(Lam)


def _cavi_inputs(rng, size):
    d = int(rng.integers(1, min(2 + size // 3, 5) + 1))
    return {"mu": rng.normal(0, 2, d), "Sigma": _spd(rng, d), "m0": rng.normal(0, 3, d),
            "n_sweeps": int(rng.integers(0, 6))}


def _cavi_var_below_marginal(kwargs, out):
    var = np.asarray(out[1], float)
    marg = np.diag(np.asarray(kwargs["Sigma"], float))
    assert np.all(var <= marg * (1 + 1e-9)), "a mean-field variance exceeds the true marginal variance"


def _cavi_closer(kwargs, out):
    Lam = np.linalg.inv(np.asarray(kwargs["Sigma"], float))
    mu = np.asarray(kwargs["mu"], float)

    def gap(m):
        e = np.asarray(m, float) - mu
        return e @ Lam @ e

    before, after = gap(kwargs["m0"]), gap(out[0])
    assert after <= before * (1 + 1e-9) + 1e-12, f"the ELBO fell: (m - mu)' Lambda (m - mu) rose from " \
                                                   f"{before:.6g} to {after:.6g}"


@as_exercise(
    "1.21", reference=_cavi_gauss_seidel, inputs=_cavi_inputs, difficulty=2,
    edge_cases={
        "n_sweeps = 0 keeps m0": {"mu": np.array([1.0, -1.0]), "Sigma": np.array([[1.0, 0.5], [0.5, 2.0]]),
                                  "m0": np.array([3.0, 3.0]), "n_sweeps": 0},
        "a diagonal target is solved in one sweep": {"mu": np.array([1.0, 2.0, 3.0]),
                                                     "Sigma": np.diag([1.0, 4.0, 0.25]),
                                                     "m0": np.zeros(3), "n_sweeps": 1},
        "strong correlation converges slowly": {"mu": np.array([0.0, 0.0]),
                                                "Sigma": np.array([[1.0, 0.95], [0.95, 1.0]]),
                                                "m0": np.array([2.0, -2.0]), "n_sweeps": 3},
    },
    properties={
        "variances never exceed the true marginal variances": _cavi_var_below_marginal,
        "the ELBO does not fall": _cavi_closer,
    },
    hints=(r"With \(\Lambda = \Sigma^{-1}\), the best Gaussian factor for \(z_j\) given the others' means has "
           r"variance \(1/\Lambda_{jj}\) and mean \(\mu_j - \frac{1}{\Lambda_{jj}}\sum_{k\ne j}\Lambda_{jk}"
           r"(m_k-\mu_k)\).",
           "Update the coordinates one at a time inside a sweep, each using the newest values of the others "
           "(not the values from the start of the sweep)."),
    key_line="m[j] = mu[j] - var[j] * (Lam[j] @ (m - mu) - Lam[j, j] * (m[j] - mu[j]))",
    shows=(_variational.cavi_gaussian,),
)
def cavi_gaussian_means(mu, Sigma, m0, n_sweeps):
    """Mean-field coordinate ascent (CAVI) for q(z) = prod_j N(m_j, v_j) fitted to the target N(mu, Sigma).

    Parameters
    ----------
    mu : ndarray, shape (d,)
    Sigma : ndarray, shape (d, d), symmetric positive definite
    m0 : ndarray, shape (d,), the starting means
    n_sweeps : int >= 0, passes over the coordinates j = 0, ..., d - 1, in that order

    Returns
    -------
    means : ndarray, shape (d,), the factor means after ``n_sweeps`` sweeps (``m0`` when it is 0)
    variances : ndarray, shape (d,), the optimal factor variances (they do not depend on the means)
    """
    result = _variational.cavi_gaussian(mu, Sigma, m0, n_sweeps)
    return result.means[-1], result.variances


# -- 1.22 Gibbs sampling: a bivariate normal, with the noise given ---------------------------------------------

def _gibbs_lfilter(rho, noise, x0, mu, sigma):
    """scipy.signal.lfilter: the chain as an AR(1) filter of the same draws"""
    noise, x0 = np.asarray(noise, float), np.asarray(x0, float)
    mu, sigma = np.asarray(mu, float), np.asarray(sigma, float)
    e = noise * sigma * np.sqrt(1 - rho ** 2)
    b12, b21 = rho * sigma[0] / sigma[1], rho * sigma[1] / sigma[0]
    phi = b12 * b21
    b = signal.lfilter([1.0], [1.0, -phi], b21 * e[:, 0] + e[:, 1], zi=[phi * (x0[1] - mu[1])])[0]
    a = b12 * np.r_[x0[1] - mu[1], b[:-1]] + e[:, 0]
    return np.vstack([x0, np.column_stack([a, b]) + mu])


def _gibbs_inputs(rng, size):
    return {"rho": float(rng.uniform(-0.95, 0.95)), "noise": rng.standard_normal((size, 2)),
            "x0": rng.normal(0, 4, 2), "mu": rng.normal(0, 2, 2), "sigma": rng.uniform(0.3, 3.0, 2)}


def _gibbs_starts_at_x0(kwargs, out):
    out = np.asarray(out, float)
    assert out.shape == (len(kwargs["noise"]) + 1, 2), f"expected shape ({len(kwargs['noise']) + 1}, 2), " \
                                                         f"got {out.shape}"
    assert np.allclose(out[0], kwargs["x0"]), "the first row should be the start x0"


@as_exercise(
    "1.22", reference=_gibbs_lfilter, inputs=_gibbs_inputs, difficulty=1,
    edge_cases={
        "rho = 0: each step is mu + sigma * noise": {
            "rho": 0.0, "noise": np.array([[1.0, -1.0], [0.5, 2.0]]), "x0": np.array([9.0, 9.0]),
            "mu": np.array([1.0, 2.0]), "sigma": np.array([2.0, 0.5])},
        "zero noise: each coordinate moves to its conditional mean": {
            "rho": 0.8, "noise": np.zeros((3, 2)), "x0": np.array([4.0, -4.0]), "mu": np.zeros(2),
            "sigma": np.ones(2)},
        "one step, unequal scales": {"rho": -0.5, "noise": np.array([[0.3, -0.7]]), "x0": np.array([0.0, 1.0]),
                                     "mu": np.array([0.0, 0.0]), "sigma": np.array([1.0, 4.0])},
    },
    properties={"starts at x0, one row per step after it": _gibbs_starts_at_x0},
    hints=(r"Given \(x_2\), \(x_1\) is normal with mean \(\mu_1 + \rho\frac{\sigma_1}{\sigma_2}(x_2-\mu_2)\) and "
           r"standard deviation \(\sigma_1\sqrt{1-\rho^2}\); swap the indices for \(x_2\) given \(x_1\).",
           "Draw x1 first, then draw x2 from its conditional given the x1 you just drew, not the old one."),
    key_line="b = mu[1] + slope21 * (a - mu[0]) + noise[t, 1]",
    shows=(_mcmc.gibbs_bivariate_normal,),
)
def gibbs_bvn_chain(rho, noise, x0, mu, sigma):
    """Systematic-scan Gibbs sampler for a bivariate normal, driven by the given standard-normal draws.

    Parameters
    ----------
    rho : float in (-1, 1), the correlation
    noise : ndarray, shape (n_steps, 2), n_steps >= 1, standard normal draws: ``noise[t, 0]`` drives the draw of
        x1 at step t and ``noise[t, 1]`` the draw of x2 (scale each by its conditional standard deviation)
    x0 : ndarray, shape (2,), the start
    mu : ndarray, shape (2,), the means
    sigma : ndarray, shape (2,), the standard deviations, > 0

    Returns
    -------
    ndarray, shape (n_steps + 1, 2)
        Row 0 is ``x0``; row t + 1 is the state after step t, which redraws x1 given x2 and then x2 given the
        new x1.
    """
    noise = np.asarray(noise, float)
    return _mcmc.gibbs_bivariate_normal(rho, len(noise), rng=Replay(standard_normal=[noise]), x0=x0, mu=mu, sigma=sigma)


# -- 1.23 LDA: the collapsed Gibbs conditional of one token --------------------------------------------------

def _lda_joint_ratios(docs, z, d, i, alpha, beta, n_topics, n_words):
    """ratios of the collapsed log joint (scipy.special.gammaln) over the token's K topics"""
    docs, z = np.asarray(docs), np.asarray(z)
    logs = []
    for k in range(n_topics):
        zk = z.copy()
        zk[d, i] = k
        total = 0.0
        for row_z in zk:
            counts = np.bincount(row_z, minlength=n_topics)
            total += special.gammaln(counts + alpha).sum() - special.gammaln(counts.sum() + n_topics * alpha)
        for t in range(n_topics):
            counts = np.bincount(docs[zk == t], minlength=n_words)
            total += special.gammaln(counts + beta).sum() - special.gammaln(counts.sum() + n_words * beta)
        logs.append(total)
    logs = np.array(logs)
    return np.exp(logs - special.logsumexp(logs))


def _lda_inputs(rng, size):
    K = int(rng.integers(2, 5))
    V = int(rng.integers(2, 7))
    D = int(rng.integers(1, 4))
    N = size + 1
    return {"docs": rng.integers(0, V, size=(D, N)), "z": rng.integers(0, K, size=(D, N)),
            "d": int(rng.integers(0, D)), "i": int(rng.integers(0, N)), "alpha": float(rng.uniform(0.1, 2.0)),
            "beta": float(rng.uniform(0.05, 1.0)), "n_topics": K, "n_words": V}


def _lda_is_distribution(kwargs, out):
    p = np.asarray(out, float)
    assert p.shape == (kwargs["n_topics"],), f"expected shape ({kwargs['n_topics']},), got {p.shape}"
    assert np.all(p > 0), "every topic has positive probability (alpha, beta > 0)"
    assert abs(p.sum() - 1) < 1e-9, f"the probabilities sum to {p.sum():.6g}, not 1"


@as_exercise(
    "1.23", reference=_lda_joint_ratios, inputs=_lda_inputs, difficulty=2,
    edge_cases={
        "a one-token corpus: every topic equally likely": {
            "docs": np.array([[0]]), "z": np.array([[1]]), "d": 0, "i": 0, "alpha": 0.5, "beta": 0.1,
            "n_topics": 3, "n_words": 4},
        "a word seen only under topic 0 pulls toward it": {
            "docs": np.array([[2, 2, 2, 0]]), "z": np.array([[0, 0, 1, 1]]), "d": 0, "i": 3, "alpha": 0.1,
            "beta": 0.01, "n_topics": 2, "n_words": 3},
        "two documents share the word counts, not the topic counts": {
            "docs": np.array([[0, 1], [0, 1]]), "z": np.array([[0, 0], [1, 1]]), "d": 1, "i": 0,
            "alpha": 1.0, "beta": 0.5, "n_topics": 2, "n_words": 2},
    },
    properties={"a probability vector over the topics": _lda_is_distribution},
    hints=(r"Take the token out of the counts first. Then \(p(z=k) \propto (n_{dk}+\alpha)\,"
           r"\frac{n_{kw}+\beta}{n_k+V\beta}\), with \(w\) the token's word; normalise at the end.",
           "Three counts are needed: topic counts of document d, counts of word w under each topic, and the total "
           "tokens under each topic (over every document)."),
    key_line="p = (ndk[d] + alpha) * (nkw[:, w] + beta) / (nk + n_words * beta)",
    shows=(_graphical.lda_counts, _graphical.lda_conditional),
)
def lda_token_conditional(docs, z, d, i, alpha, beta, n_topics, n_words):
    """Collapsed Gibbs full conditional of the topic of token i of document d in LDA.

    Parameters
    ----------
    docs : ndarray of int, shape (D, N), word ids in [0, n_words)
    z : ndarray of int, shape (D, N), the current topic of every token, in [0, n_topics)
    d, i : int, the token's document and position
    alpha, beta : float > 0, the symmetric Dirichlet priors on topics per document and on words per topic
    n_topics, n_words : int, K and V

    Returns
    -------
    ndarray, shape (n_topics,)
        p(z[d, i] = k | all other topics, all words), with theta and phi integrated out: counts are taken over
        every token except (d, i) itself. Sums to 1.
    """
    ndk, nkw, nk = _graphical.lda_counts(docs, z, n_topics, n_words)
    w, k_now = docs[d][i], z[d][i]
    ndk[d, k_now] -= 1
    nkw[k_now, w] -= 1
    nk[k_now] -= 1
    return _graphical.lda_conditional(ndk[d], nkw[:, w], nk, alpha, beta, n_words)


# -- 1.24 Hypothesis testing: the exact permutation test of a difference in means ------------------------------

def _perm_ref(x, y, alternative):
    """scipy.stats.permutation_test with every split"""
    res = stats.permutation_test((np.asarray(x, float), np.asarray(y, float)),
                                 lambda a, b, axis=-1: a.mean(axis) - b.mean(axis), n_resamples=np.inf,
                                 alternative=alternative, permutation_type="independent")
    return float(res.pvalue)


def _perm_inputs(rng, size):
    cap = 2 + min(size, 12) // 4                      # at most 5 per group: C(10, 5) = 252 splits
    n1, n2 = int(rng.integers(2, cap + 1)), int(rng.integers(2, cap + 1))
    shift = rng.normal(0, 1)
    return {"x": rng.normal(shift, 1, n1), "y": rng.normal(0, 1, n2),
            "alternative": str(rng.choice(["two-sided", "greater", "less"]))}


def _perm_in_range(kwargs, out):
    n1, n2 = len(kwargs["x"]), len(kwargs["y"])
    floor = 1 / math.comb(n1 + n2, n1)
    assert floor - 1e-12 <= out <= 1 + 1e-12, f"p = {out:.6g} is outside [1/C(n, n1), 1] = [{floor:.6g}, 1]: " \
                                               "the observed split is one of the splits"


@as_exercise(
    "1.24", reference=_perm_ref, inputs=_perm_inputs, difficulty=2,
    edge_cases={
        "two values each, the largest difference: two-sided p = 2/6": {
            "x": np.array([3.0, 4.0]), "y": np.array([1.0, 2.0]), "alternative": "two-sided"},
        "the most extreme split: p = 1 / C(6, 3)": {"x": np.array([10.0, 11.0, 12.0]),
                                                    "y": np.array([1.0, 2.0, 3.0]), "alternative": "greater"},
        "splits tied with the observed difference count as extreme": {
            "x": np.array([0.3, 0.6, 0.3]), "y": np.array([0.6, 0.3, 0.6]), "alternative": "less"},
    },
    properties={"between 1 / (number of splits) and 1": _perm_in_range},
    hints=(r"Under the null the labels are exchangeable: pool the \(n_1+n_2\) values and compute "
           r"\(\bar x' - \bar y'\) for every way to choose which \(n_1\) of them form group x "
           "(itertools.combinations). The observed split is one of them.",
           r"One-sided p: the share of splits at least as extreme as the observed difference (count near-equal "
           "values, up to rounding, as ties that do count). Two-sided: twice the smaller one-sided p, capped "
           "at 1."),
    key_line="null = sum_x / n1 - (total - sum_x) / (n - n1)",
    shows=(_hypothesis.permutation_test_means,),
)
def perm_test_pvalue(x, y, alternative):
    """Exact permutation p-value for the difference of means of two independent samples.

    Parameters
    ----------
    x : ndarray, shape (n1,), n1 >= 2
    y : ndarray, shape (n2,), n2 >= 2
    alternative : {"two-sided", "greater", "less"}; "greater" means mean(x) > mean(y)

    Returns
    -------
    float
        With t = mean(x) - mean(y) and T' the same statistic over all C(n1 + n2, n1) ways to relabel the pooled
        values: "greater" P(T' >= t), "less" P(T' <= t), "two-sided" min(1, 2 min of the two). Splits whose
        statistic equals t up to rounding error count as at least as extreme.
    """
    return _hypothesis.permutation_test_means(x, y, exact=True, alternative=alternative).pvalue


# -- 1.24.1 Z-test: the pooled two-proportion z-test (an A/B test) ---------------------------------------------

def _two_prop_ref(k1, n1, k2, n2):
    """scipy.stats.chi2_contingency on the 2 x 2 table (z squared is its statistic)"""
    res = stats.chi2_contingency([[k1, n1 - k1], [k2, n2 - k2]], correction=False)
    sign = np.sign(k1 / n1 - k2 / n2)
    return float(sign * math.sqrt(res.statistic)), float(res.pvalue)


def _two_prop_inputs(rng, size):
    n1, n2 = (int(v) for v in rng.integers(3, 25 * size + 10, 2))
    while True:
        k1, k2 = int(rng.binomial(n1, rng.uniform(0.05, 0.95))), int(rng.binomial(n2, rng.uniform(0.05, 0.95)))
        if 0 < k1 + k2 < n1 + n2:
            return {"k1": k1, "n1": n1, "k2": k2, "n2": n2}


def _two_prop_sign(kwargs, out):
    z, p = out
    diff = kwargs["k1"] / kwargs["n1"] - kwargs["k2"] / kwargs["n2"]
    assert z * diff >= 0, "z should have the sign of rate 1 minus rate 2"
    assert 0 <= p <= 1 + 1e-12, f"p = {p:.6g} is not a probability"


@as_exercise(
    "1.24.1", reference=_two_prop_ref, inputs=_two_prop_inputs, difficulty=1,
    edge_cases={
        "equal rates: z = 0, p = 1": {"k1": 10, "n1": 50, "k2": 20, "n2": 100},
        "no successes in group 1 (the pooled rate is still positive)": {"k1": 0, "n1": 20, "k2": 6, "n2": 30},
        "a large A/B test: 132/1000 against 104/1000": {"k1": 132, "n1": 1000, "k2": 104, "n2": 1000},
    },
    properties={"z has the sign of the rate difference, p in [0, 1]": _two_prop_sign},
    hints=(r"Under \(H_0\) both groups share one rate, estimated by pooling: \(\hat p = (k_1+k_2)/(n_1+n_2)\). "
           r"The standard error of \(\hat p_1 - \hat p_2\) is \(\sqrt{\hat p(1-\hat p)(1/n_1+1/n_2)}\).",
           r"Two-sided p-value: \(2\,P(Z \ge |z|)\), e.g. with scipy.stats.norm.sf."),
    key_line="z = (k1 / n1 - k2 / n2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))",
    shows=(_hypothesis.two_proportion_z, _hypothesis.tail_pvalue),
)
def two_prop_ztest(k1, n1, k2, n2):
    """Pooled two-proportion z-test of H0: the two success rates are equal (two-sided).

    Parameters
    ----------
    k1, n1 : int, successes and trials of group 1 (0 <= k1 <= n1, n1 >= 1)
    k2, n2 : int, the same for group 2; the pooled rate (k1 + k2) / (n1 + n2) is strictly between 0 and 1

    Returns
    -------
    z : float, (rate 1 - rate 2) divided by its standard error under H0 (which uses the pooled rate)
    p : float, the two-sided p-value from the standard normal
    """
    res = _hypothesis.two_proportion_z(k1, n1, k2, n2)
    return res.statistic, res.pvalue


# -- 1.24.2 T-test: Welch's two-sample t-test -----------------------------------------------------------------

def _welch_ref(x, y, alternative):
    """scipy.stats.ttest_ind with equal_var=False"""
    res = stats.ttest_ind(np.asarray(x, float), np.asarray(y, float), equal_var=False, alternative=alternative)
    return float(res.statistic), float(res.df), float(res.pvalue)


def _welch_inputs(rng, size):
    n1, n2 = int(rng.integers(2, size + 4)), int(rng.integers(2, size + 4))
    return {"x": rng.normal(rng.normal(0, 1), rng.uniform(0.3, 3.0), n1),
            "y": rng.normal(0, rng.uniform(0.3, 3.0), n2),
            "alternative": str(rng.choice(["two-sided", "greater", "less"]))}


def _welch_df_range(kwargs, out):
    _, df, p = out
    n1, n2 = len(kwargs["x"]), len(kwargs["y"])
    lo, hi = min(n1, n2) - 1, n1 + n2 - 2
    assert lo - 1e-9 <= df <= hi + 1e-9, f"Welch's df {df:.6g} is outside [min(n1, n2) - 1, n1 + n2 - 2] = " \
                                         f"[{lo}, {hi}]"
    assert 0 <= p <= 1 + 1e-12, f"p = {p:.6g} is not a probability"


@as_exercise(
    "1.24.2", reference=_welch_ref, inputs=_welch_inputs, difficulty=2,
    edge_cases={
        "equal variances and sizes: df = 2n - 2": {"x": np.array([1.0, 2.0, 3.0]), "y": np.array([2.0, 3.0, 4.0]),
                                                   "alternative": "two-sided"},
        "one group far noisier: df near n - 1 of that group": {
            "x": np.array([0.0, 10.0, -10.0, 5.0]), "y": np.array([1.0, 1.1, 0.9, 1.0, 1.05, 0.95]),
            "alternative": "less"},
        "n1 = n2 = 2": {"x": np.array([1.0, 3.0]), "y": np.array([0.0, 0.5]), "alternative": "greater"},
    },
    properties={"df between min(n1, n2) - 1 and n1 + n2 - 2, p in [0, 1]": _welch_df_range},
    hints=(r"Each mean's variance is estimated separately: \(se = \sqrt{s_1^2/n_1 + s_2^2/n_2}\) with sample "
           r"variances (ddof = 1); \(t = (\bar x - \bar y)/se\).",
           r"Welch-Satterthwaite: \(\nu = (a+b)^2 / \big(a^2/(n_1-1) + b^2/(n_2-1)\big)\) with "
           r"\(a = s_1^2/n_1,\ b = s_2^2/n_2\); the p-value comes from scipy.stats.t(\(\nu\))."),
    key_line="df = (a + b) ** 2 / (a ** 2 / (n1 - 1) + b ** 2 / (n2 - 1))",
    shows=(_hypothesis.t_test_ind, _hypothesis.welch_df, _hypothesis.tail_pvalue),
)
def welch_ttest(x, y, alternative):
    """Welch's two-sample t-test of H0: the two population means are equal (variances not assumed equal).

    Parameters
    ----------
    x : ndarray, shape (n1,), n1 >= 2
    y : ndarray, shape (n2,), n2 >= 2, not both samples constant
    alternative : {"two-sided", "greater", "less"}; "greater" means mean(x) > mean(y)

    Returns
    -------
    t : float, the difference of sample means over its unpooled standard error
    df : float, the Welch-Satterthwaite degrees of freedom
    p : float, the p-value from Student's t with ``df`` degrees of freedom for ``alternative``
    """
    res = _hypothesis.t_test_ind(x, y, equal_var=False, alternative=alternative)
    return res.statistic, res.df, res.pvalue


# -- 1.24.3 Chi-square test of independence -------------------------------------------------------------------

def _chi2_ref(table):
    """scipy.stats.chi2_contingency without continuity correction"""
    res = stats.chi2_contingency(np.asarray(table), correction=False)
    return float(res.statistic), float(res.dof), float(res.pvalue), np.asarray(res.expected_freq, float)


def _chi2_inputs(rng, size):
    r, c = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    probs = rng.dirichlet(np.ones(r * c) * 2)
    while True:
        table = rng.multinomial(10 * size + 20, probs).reshape(r, c)
        if np.all(table.sum(0) > 0) and np.all(table.sum(1) > 0):
            return {"table": table}


def _chi2_margins(kwargs, out):
    table = np.asarray(kwargs["table"], float)
    E = np.asarray(out[3], float)
    assert np.allclose(E.sum(1), table.sum(1)) and np.allclose(E.sum(0), table.sum(0)), \
        "the expected counts should keep the table's row and column totals"
    assert out[0] >= -1e-12, "the statistic is a sum of squares over positive counts: it cannot be negative"


@as_exercise(
    "1.24.3", reference=_chi2_ref, inputs=_chi2_inputs, difficulty=1,
    edge_cases={
        "an exactly independent table: statistic 0, p = 1": {"table": np.array([[10, 20], [30, 60]])},
        "a 2 x 2 table: no continuity correction": {"table": np.array([[132, 868], [104, 896]])},
        "a zero cell": {"table": np.array([[12, 0, 7], [5, 9, 11]])},
    },
    properties={"expected counts keep the margins; statistic >= 0": _chi2_margins},
    hints=(r"Under independence each cell expects (row total)(column total)/N counts; "
           r"\(\chi^2=\sum (O-E)^2/E\) over all cells.",
           r"An \(r\times c\) table has \((r-1)(c-1)\) degrees of freedom; p = scipy.stats.chi2.sf(stat, df)."),
    key_line="expected = np.outer(table.sum(1), table.sum(0)) / table.sum()",
    shows=(_hypothesis.expected_counts, _hypothesis.chi2_independence),
)
def chi2_indep_test(table):
    """Pearson's chi-square test of independence of the rows and columns of a contingency table.

    Parameters
    ----------
    table : ndarray of int, shape (r, c), r, c >= 2, counts >= 0, no empty row or column

    Returns
    -------
    statistic : float, Pearson's chi-square (no continuity correction, even for 2 x 2 tables)
    df : float, the degrees of freedom
    p : float, the upper-tail probability of the chi-square distribution with ``df`` degrees of freedom
    expected : ndarray, shape (r, c), the expected counts under independence
    """
    res = _hypothesis.chi2_independence(table)
    return res.statistic, res.df, res.pvalue, res.expected


# -- 2.1 Orthogonality: Gram-Schmidt QR -----------------------------------------------------------------------

def _qr_numpy(A):
    """numpy.linalg.qr with the signs made so that R has a positive diagonal"""
    Q, R = np.linalg.qr(np.asarray(A, float), mode="reduced")
    signs = np.where(np.diag(R) < 0, -1.0, 1.0)
    return Q * signs, R * signs[:, None]


def _qr_inputs(rng, size):
    n = int(rng.integers(1, min(size, 5) + 1))
    m = n + int(rng.integers(0, 4))
    return {"A": rng.normal(size=(m, n)) + np.eye(m, n) * rng.uniform(0, 2)}


def _qr_props(kwargs, out):
    A = np.asarray(kwargs["A"], float)
    Q, R = (np.asarray(v, float) for v in out)
    n = A.shape[1]
    assert np.allclose(Q.T @ Q, np.eye(n), atol=1e-10), "the columns of Q are not orthonormal"
    assert np.allclose(np.tril(R, -1), 0) and np.all(np.diag(R) > 0), \
        "R should be upper triangular with a positive diagonal"
    assert np.allclose(Q @ R, A, atol=1e-10), "Q R does not give back A"


@as_exercise(
    "2.1", reference=_qr_numpy, inputs=_qr_inputs, difficulty=2,
    edge_cases={
        "one column: q = a / |a|": {"A": np.array([[3.0], [4.0]])},
        "orthogonal columns of different lengths: R is diagonal": {
            "A": np.array([[2.0, 0.0], [0.0, -3.0], [0.0, 0.0]])},
        "a square matrix": {"A": np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])},
    },
    properties={"Q has orthonormal columns, R is upper triangular with r_kk > 0, QR = A": _qr_props},
    hints=(r"Column by column: remove from \(a_k\) its components along the \(q_j\) already built, then "
           r"normalise; the removed coefficients \(q_j^\top a_k\) fill column \(k\) of \(R\) above the "
           r"diagonal, and the norm before normalising is \(r_{kk}\).",
           "The modified variant is more stable: as soon as q_k is known, subtract its projection from every "
           "later column, so later coefficients come from already-cleaned vectors."),
    key_line="V[:, k + 1:] -= np.outer(Q[:, k], Q[:, k] @ V[:, k + 1:])",
    shows=(_linalg.gram_schmidt,),
)
def gram_schmidt_qr(A):
    """Thin QR factorisation of A by (modified) Gram-Schmidt.

    Parameters
    ----------
    A : ndarray, shape (m, n), m >= n, linearly independent columns

    Returns
    -------
    Q : ndarray, shape (m, n), orthonormal columns spanning the same nested subspaces as A's columns
    R : ndarray, shape (n, n), upper triangular with a positive diagonal, and A = Q R
    """
    return _linalg.gram_schmidt(A)


# -- 2.2 Determinant by Gaussian elimination ------------------------------------------------------------------

def _det_leibniz(A):
    """the leibniz formula: a sum over every permutation"""
    A = np.asarray(A, float)
    n = A.shape[0]
    total = 0.0
    for perm in itertools.permutations(range(n)):
        inversions = sum(perm[i] > perm[j] for i in range(n) for j in range(i + 1, n))
        term = -1.0 if inversions % 2 else 1.0
        for i, j in enumerate(perm):
            term *= A[i, j]
        total += term
    return total


def _det_inputs(rng, size):
    n = int(rng.integers(1, min(2 + size // 3, 6) + 1))
    return {"A": rng.normal(size=(n, n))}


def _det_hadamard(kwargs, out):
    A = np.asarray(kwargs["A"], float)
    bound = np.prod(np.linalg.norm(A, axis=0))
    assert abs(out) <= bound * (1 + 1e-9) + 1e-12, f"|det| = {abs(out):.6g} exceeds the product of the column " \
                                                   f"lengths, {bound:.6g} (Hadamard's inequality)"


@as_exercise(
    "2.2", reference=_det_leibniz, inputs=_det_inputs, difficulty=2,
    edge_cases={
        "a zero first pivot needs a row swap: det = -1": {"A": np.array([[0.0, 1.0], [1.0, 0.0]])},
        "a zero column: det = 0": {"A": np.array([[1.0, 0.0, 2.0], [3.0, 0.0, 4.0], [5.0, 0.0, 6.0]])},
        "1 x 1": {"A": np.array([[-2.5]])},
        "triangular: the product of the diagonal": {"A": np.array([[2.0, 5.0, 1.0], [0.0, 3.0, 7.0],
                                                                   [0.0, 0.0, -0.5]])},
    },
    properties={"|det| is at most the product of the column lengths": _det_hadamard},
    hints=("Reduce A to an upper-triangular U by subtracting multiples of the pivot row from the rows below: "
           "that leaves the determinant unchanged. det A is then the product of U's diagonal.",
           "Pick as pivot the row with the largest |entry| in the column (partial pivoting); every row swap flips "
           "the sign. A column that is zero from the pivot down means det = 0."),
    key_line="U[k + 1:, k:] -= np.outer(U[k + 1:, k] / U[k, k], U[k, k:])",
    shows=(_linalg._eliminate, _linalg.det_gauss),
)
def det_by_elimination(A):
    """Determinant of a square matrix by Gaussian elimination with partial pivoting.

    Parameters
    ----------
    A : ndarray, shape (n, n), n >= 1

    Returns
    -------
    float, det(A) (0.0 for a singular matrix whose pivot column is exactly zero)
    """
    return _linalg.det_gauss(A)


# -- 2.3 Rank: the numerical rank from the singular values ----------------------------------------------------

def _rank_ref(A):
    """numpy.linalg.matrix_rank"""
    return int(np.linalg.matrix_rank(np.asarray(A, float)))


def _rank_inputs(rng, size):
    m, n = int(rng.integers(1, min(size, 6) + 2)), int(rng.integers(1, min(size, 6) + 2))
    r = int(rng.integers(0, min(m, n) + 1))
    return {"A": rng.normal(size=(m, r)) @ rng.normal(size=(r, n))}


def _rank_range(kwargs, out):
    m, n = np.shape(kwargs["A"])
    assert isinstance(out, (int, np.integer)), f"the rank is an int, got {type(out).__name__}"
    assert 0 <= out <= min(m, n), f"rank {out} is outside [0, min(m, n)] = [0, {min(m, n)}]"


@as_exercise(
    "2.3", reference=_rank_ref, inputs=_rank_inputs, difficulty=1,
    edge_cases={
        "the zero matrix: rank 0": {"A": np.zeros((3, 2))},
        "an outer product: rank 1": {"A": np.outer([1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0])},
        "a column equal to the sum of two others (rounding leaves ~1e-16, not 0)": {
            "A": np.array([[0.1, 0.2, 0.3], [0.7, 0.4, 1.1], [0.3, 0.3, 0.6], [0.9, 0.1, 1.0]])},
    },
    properties={"an int between 0 and min(m, n)": _rank_range},
    hints=("Count the singular values that are not zero; in floating point, 'zero' means below a tolerance, not "
           "exactly 0.",
           r"The usual tolerance is \(\sigma_{\max}\cdot\max(m, n)\cdot\varepsilon\) with "
           r"\(\varepsilon\) = np.finfo(float).eps."),
    key_line="return int(np.count_nonzero(s > s.max() * max(A.shape) * np.finfo(float).eps))",
    shows=(_linalg.rank_tolerance, _linalg.matrix_rank),
)
def numerical_rank(A):
    """Numerical rank of a matrix: how many singular values exceed a tolerance.

    Parameters
    ----------
    A : ndarray, shape (m, n), m, n >= 1

    Returns
    -------
    int
        The number of singular values greater than sigma_max * max(m, n) * machine epsilon (0 for the zero
        matrix).
    """
    return _linalg.matrix_rank(A)


# -- 2.4 Eigenvalues: power iteration -------------------------------------------------------------------------

def _power_closed(A, x0, n_iter):
    """the closed form: the direction of A^t x0 (numpy.linalg.matrix_power) and its rayleigh quotient"""
    A = np.asarray(A, float)
    x = np.linalg.matrix_power(A, n_iter) @ np.asarray(x0, float)
    x = x / np.linalg.norm(x)
    return float(x @ A @ x), x


def _power_inputs(rng, size):
    n = int(rng.integers(2, min(2 + size // 2, 6) + 1))
    Q = np.linalg.qr(rng.normal(size=(n, n)))[0]
    vals = rng.uniform(0.2, 1.0, n) * rng.choice([-1.0, 1.0], n)
    vals[0] = 1.5 * rng.choice([-1.0, 1.0])                               # one dominant eigenvalue
    return {"A": (Q * vals) @ Q.T, "x0": rng.normal(size=n), "n_iter": int(rng.integers(1, 3 * size + 2))}


def _power_props(kwargs, out):
    lam, x = out
    A = np.asarray(kwargs["A"], float)
    assert abs(np.linalg.norm(x) - 1) < 1e-9, f"x should have length 1, got {np.linalg.norm(x):.6g}"
    assert abs(lam) <= np.linalg.norm(A, 2) * (1 + 1e-9), "|lambda| exceeds the spectral norm of A"


@as_exercise(
    "2.4", reference=_power_closed, inputs=_power_inputs, difficulty=1,
    edge_cases={
        "a diagonal matrix pulls x toward e_1": {"A": np.diag([3.0, 1.0, 0.5]), "x0": np.array([1.0, 1.0, 1.0]),
                                                 "n_iter": 5},
        "a start that is already an eigenvector stays put": {"A": np.array([[2.0, 1.0], [1.0, 2.0]]),
                                                             "x0": np.array([2.0, 2.0]), "n_iter": 3},
        "a negative dominant eigenvalue flips x every step": {"A": np.diag([-2.0, 0.5]),
                                                              "x0": np.array([1.0, 1.0]), "n_iter": 3},
    },
    properties={"x has length 1 and |lambda| is at most the spectral norm": _power_props},
    hints=("Normalise the start, then repeat: multiply by A and divide by the length of the result. "
           "Normalising each step keeps the numbers from overflowing or underflowing.",
           r"Estimate the eigenvalue with the Rayleigh quotient \(x^\top A x\) of the unit vector \(x\)."),
    key_line="x = A @ x; x = x / np.linalg.norm(x)",
    shows=(_linalg.power_iteration,),
)
def power_iter(A, x0, n_iter):
    """Power iteration for the dominant eigenpair of a symmetric matrix, for a fixed number of steps.

    Parameters
    ----------
    A : ndarray, shape (n, n), symmetric
    x0 : ndarray, shape (n,), non-zero start
    n_iter : int >= 1, the number of multiplications by A

    Returns
    -------
    lam : float, the Rayleigh quotient x' A x of the final x
    x : ndarray, shape (n,), the unit vector in the direction of A^n_iter x0
    """
    res = _linalg.power_iteration(A, x0, max_iter=n_iter, tol=1e-300)
    return res.value, res.vector


# -- 2.5 Singular values: the best rank-k approximation -------------------------------------------------------

def _low_rank_ref(A, k):
    """scipy.linalg.svd with the gesvd driver, k terms kept"""
    U, s, Vt = scipy.linalg.svd(np.asarray(A, float), full_matrices=False, lapack_driver="gesvd")
    return (U[:, :k] * s[:k]) @ Vt[:k]


def _low_rank_inputs(rng, size):
    m, n = int(rng.integers(1, min(size, 6) + 2)), int(rng.integers(1, min(size, 6) + 2))
    return {"A": rng.normal(size=(m, n)), "k": int(rng.integers(0, min(m, n) + 1))}


def _low_rank_error(kwargs, out):
    A, k = np.asarray(kwargs["A"], float), kwargs["k"]
    s = np.linalg.svd(A, compute_uv=False)
    out = np.asarray(out, float)
    assert np.linalg.matrix_rank(out) <= k, f"the approximation has rank {np.linalg.matrix_rank(out)} > k = {k}"
    err, best = np.linalg.norm(A - out), math.sqrt((s[k:] ** 2).sum())
    assert abs(err - best) <= 1e-9 * max(1.0, best), f"||A - A_k||_F = {err:.6g}, but the best possible is " \
                                                      f"{best:.6g}"


@as_exercise(
    "2.5", reference=_low_rank_ref, inputs=_low_rank_inputs, difficulty=1,
    edge_cases={
        "k = 0: the zero matrix": {"A": np.array([[1.0, 2.0], [3.0, 4.0]]), "k": 0},
        "k = min(m, n): A itself": {"A": np.array([[1.0, 2.0, 0.0], [3.0, 4.0, 1.0]]), "k": 2},
        "a rank-1 matrix is its own rank-1 approximation": {"A": np.outer([1.0, -2.0, 3.0], [2.0, 1.0]), "k": 1},
    },
    properties={"rank at most k and Frobenius error sqrt(sum of the dropped sigma^2)": _low_rank_error},
    hints=("Take the SVD A = U S V' and keep only the k largest singular values and their singular vectors "
           "(Eckart-Young: nothing of rank k is closer).",
           "Scale the kept columns of U by their singular values with broadcasting rather than building a "
           "diagonal matrix."),
    key_line="A_k = (U[:, :k] * s[:k]) @ Vt[:k]",
    shows=(_linalg.low_rank_approx,),
)
def best_rank_k(A, k):
    """Best rank-k approximation of A in the spectral and Frobenius norms.

    Parameters
    ----------
    A : ndarray, shape (m, n)
    k : int, 0 <= k <= min(m, n)

    Returns
    -------
    ndarray, shape (m, n), the sum of the k leading terms sigma_i u_i v_i' of the SVD (zeros for k = 0)
    """
    return _linalg.low_rank_approx(A, k)


# -- 2.6 Jacobian: the backward pass (vector-Jacobian product) of a tanh layer ---------------------------------

def _tanh_vjp_full(W, b, x, u):
    """u^T J with the full jacobians written out entry by entry"""
    W, b, x, u = (np.asarray(v, float) for v in (W, b, x, u))
    m, n = W.shape
    y = np.tanh(W @ x + b)
    J_x = np.zeros((m, n))
    J_W = np.zeros((m, m, n))                  # dy_i / dW_kl
    J_b = np.zeros((m, m))
    for i in range(m):
        slope = 1.0 - y[i] ** 2
        J_b[i, i] = slope
        for j in range(n):
            J_x[i, j] = slope * W[i, j]
            J_W[i, i, j] = slope * x[j]
    return u @ J_x, np.einsum("i,ikl->kl", u, J_W), u @ J_b


def _tanh_vjp_inputs(rng, size):
    m, n = int(rng.integers(1, min(size, 6) + 1)), int(rng.integers(1, min(size, 6) + 1))
    return {"W": rng.normal(0, 1 / math.sqrt(n), (m, n)), "b": rng.normal(0, 0.5, m), "x": rng.normal(size=n),
            "u": rng.normal(size=m)}


def _tanh_vjp_shapes(kwargs, out):
    m, n = np.shape(kwargs["W"])
    shapes = tuple(np.shape(v) for v in out)
    assert shapes == ((n,), (m, n), (m,)), f"expected shapes ({n},), ({m}, {n}), ({m},); got {shapes}"


@as_exercise(
    "2.6", reference=_tanh_vjp_full, inputs=_tanh_vjp_inputs, difficulty=2,
    edge_cases={
        "u = 0: every gradient is 0": {"W": np.array([[1.0, -1.0]]), "b": np.array([0.5]), "x": np.array([1.0, 2.0]),
                                       "u": np.array([0.0])},
        "a saturated unit passes almost nothing back": {"W": np.array([[10.0, 0.0], [0.1, 0.2]]),
                                                        "b": np.array([5.0, 0.0]), "x": np.array([1.0, 1.0]),
                                                        "u": np.array([1.0, 1.0])},
        "more outputs than inputs": {"W": np.array([[1.0], [-2.0], [0.5]]), "b": np.zeros(3), "x": np.array([0.3]),
                                     "u": np.array([1.0, 2.0, -1.0])},
    },
    properties={"dx, dW, db have the shapes of x, W, b": _tanh_vjp_shapes},
    hints=(r"The Jacobian of \(y=\tanh(Wx+b)\) in \(x\) is \(\mathrm{diag}(1-y^2)\,W\). Never build it: "
           r"first form \(\delta = u \odot (1-y^2)\), the gradient at the pre-activation.",
           r"Then \(\partial L/\partial x = W^\top\delta\), \(\partial L/\partial W = \delta x^\top\) (an outer "
           r"product), \(\partial L/\partial b = \delta\)."),
    key_line="delta = u * (1.0 - np.tanh(W @ x + b) ** 2)",
    shows=(_calculus.dense_tanh_vjp,),
)
def tanh_layer_vjp(W, b, x, u):
    """Backward pass of y = tanh(W x + b): the vector-Jacobian products for an upstream gradient u = dL/dy.

    Parameters
    ----------
    W : ndarray, shape (m, n)
    b : ndarray, shape (m,)
    x : ndarray, shape (n,)
    u : ndarray, shape (m,), dL/dy

    Returns
    -------
    dx : ndarray, shape (n,), dL/dx
    dW : ndarray, shape (m, n), dL/dW
    db : ndarray, shape (m,), dL/db
    """
    res = _calculus.dense_tanh_vjp(W, b, x, u)
    return res.dx, res.dW, res.db


# -- 2.7 Hessian: second central differences ------------------------------------------------------------------

class _Cubic:
    """f(x) = x'Ax/2 + b'x + sum_i c_i x_i^3, with its exact Hessian A + diag(6 c x) (A symmetric)."""

    def __init__(self, A, b, c):
        self.A, self.b, self.c = (np.asarray(v, float) for v in (A, b, c))

    def __call__(self, x):
        x = np.asarray(x, float)
        return float(0.5 * x @ self.A @ x + self.b @ x + (self.c * x ** 3).sum())

    def hessian(self, x):
        return self.A + np.diag(6.0 * self.c * np.asarray(x, float))

    def __repr__(self):
        return f"cubic(A={self.A.round(3).tolist()}, b={self.b.round(3).tolist()}, c={self.c.round(3).tolist()})"

    def __deepcopy__(self, memo):
        return _Cubic(self.A.copy(), self.b.copy(), self.c.copy())

    def __eq__(self, other):
        return isinstance(other, _Cubic) and all(np.array_equal(p, q) for p, q in
                                                  zip((self.A, self.b, self.c), (other.A, other.b, other.c)))

    __hash__ = None


def _hess_exact(f, x, eps):
    """the exact hessian of the cubic, A + diag(6 c x)"""
    return f.hessian(x)


def _hess_inputs(rng, size):
    n = int(rng.integers(1, min(size, 5) + 1))
    B = rng.normal(size=(n, n))
    return {"f": _Cubic((B + B.T) / 2, rng.normal(size=n), rng.normal(size=n)), "x": rng.normal(size=n),
            "eps": 1e-3}


def _hess_symmetric(kwargs, out):
    H = np.asarray(out, float)
    n = np.size(kwargs["x"])
    assert H.shape == (n, n), f"expected shape ({n}, {n}), got {H.shape}"
    assert np.allclose(H, H.T, rtol=0, atol=1e-12), "the Hessian should be exactly symmetric"


@as_exercise(
    "2.7", reference=_hess_exact, inputs=_hess_inputs, difficulty=2,
    # second differences of a cubic have no truncation error, only rounding of order 1e-16 |f| / eps^2 ~ 1e-10
    rtol=1e-6, atol=1e-6,
    edge_cases={
        "one variable: f'' = 6 c x": {"f": _Cubic(np.zeros((1, 1)), np.zeros(1), np.array([1.0])),
                                      "x": np.array([2.0]), "eps": 1e-3},
        "a pure quadratic: H = A everywhere": {
            "f": _Cubic(np.array([[2.0, 1.0], [1.0, -3.0]]), np.array([1.0, 1.0]), np.zeros(2)),
            "x": np.array([5.0, -7.0]), "eps": 1e-3},
        "a mixed term only: off-diagonal entries": {
            "f": _Cubic(np.array([[0.0, 1.5], [1.5, 0.0]]), np.zeros(2), np.zeros(2)), "x": np.zeros(2),
            "eps": 1e-3},
    },
    properties={"square and symmetric": _hess_symmetric},
    hints=(r"Mixed second difference: \(H_{ij} \approx \frac{f(x+\epsilon e_i+\epsilon e_j) - f(x+\epsilon e_i"
           r"-\epsilon e_j) - f(x-\epsilon e_i+\epsilon e_j) + f(x-\epsilon e_i-\epsilon e_j)}{4\epsilon^2}\); "
           "for i = j it reduces to a second difference with step 2 eps.",
           "Average H with its transpose at the end, so rounding cannot leave it slightly asymmetric."),
    key_line="H[i, j] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * eps ** 2)",
    shows=(_calculus.numerical_hessian,),
)
def fd_hessian(f, x, eps):
    """Hessian of a scalar function by second-order central differences.

    Parameters
    ----------
    f : callable, f(x) -> float for x of shape (n,)
    x : ndarray, shape (n,), the point
    eps : float > 0, the step along each coordinate

    Returns
    -------
    ndarray, shape (n, n), symmetric: entry (i, j) is the four-point central estimate of d^2 f / dx_i dx_j
    """
    return _calculus.numerical_hessian(f, x, eps=eps)


# -- 2.8 Taylor series: coefficients from closed-form derivatives ---------------------------------------------

def _taylor_series(name, a, order):
    """power-series algebra in h (the known series of exp, sin, cos, log and a series reciprocal)"""
    K = order + 1
    fact = [math.factorial(k) for k in range(K)]
    if name == "exp":                                     # e^(a + h) = e^a sum h^k / k!
        return np.array([math.exp(a) / fact[k] for k in range(K)])
    if name == "sin":                                     # sin a cos h + cos a sin h
        cos_h = [(-1) ** (k // 2) / fact[k] if k % 2 == 0 else 0.0 for k in range(K)]
        sin_h = [(-1) ** (k // 2) / fact[k] if k % 2 == 1 else 0.0 for k in range(K)]
        return np.array([math.sin(a) * cc + math.cos(a) * ss for cc, ss in zip(cos_h, sin_h)])
    if name == "log1p":                                   # log(1 + a) + log(1 + h / (1 + a))
        return np.array([math.log1p(a)] + [(-1) ** (k + 1) / (k * (1 + a) ** k) for k in range(1, K)])
    # sigmoid: 1 / D(h) with D(h) = 1 + e^-a e^-h, inverted term by term
    D = [(1.0 if k == 0 else 0.0) + math.exp(-a) * (-1) ** k / fact[k] for k in range(K)]
    inv = [1.0 / D[0]]
    for k in range(1, K):
        inv.append(-sum(D[j] * inv[k - j] for j in range(1, k + 1)) / D[0])
    return np.array(inv)


def _taylor_inputs(rng, size):
    name = str(rng.choice(["sin", "exp", "log1p", "sigmoid"]))
    a = float(rng.uniform(-0.5, 2.0) if name == "log1p" else rng.uniform(-2.0, 2.0))
    return {"name": name, "a": a, "order": int(rng.integers(0, min(size, 6) + 1))}


def _taylor_first(kwargs, out):
    f = {"sin": math.sin, "exp": math.exp, "log1p": math.log1p,
         "sigmoid": lambda v: 1 / (1 + math.exp(-v))}[kwargs["name"]]
    c = np.asarray(out, float)
    assert c.shape == (kwargs["order"] + 1,), f"expected {kwargs['order'] + 1} coefficients, got shape {c.shape}"
    assert math.isclose(c[0], f(kwargs["a"]), rel_tol=1e-12, abs_tol=1e-15), "c_0 should be f(a)"


@as_exercise(
    "2.8", reference=_taylor_series, inputs=_taylor_inputs, difficulty=3,
    edge_cases={
        "order 0: just f(a)": {"name": "exp", "a": 1.0, "order": 0},
        "sin about 0: 0, 1, 0, -1/6, 0, 1/120": {"name": "sin", "a": 0.0, "order": 5},
        "log(1 + t) about 0: alternating 1/k": {"name": "log1p", "a": 0.0, "order": 4},
        "sigmoid about 0: 1/2, 1/4, 0, -1/48": {"name": "sigmoid", "a": 0.0, "order": 3},
    },
    properties={"order + 1 coefficients, the first is f(a)": _taylor_first},
    hints=(r"\(c_k = f^{(k)}(a)/k!\). The derivatives have closed forms: \(\sin^{(k)}(a) = \sin(a + k\pi/2)\), "
           r"\(\exp^{(k)} = \exp\), \(\frac{d^k}{dt^k}\log(1+t) = (-1)^{k+1}(k-1)!/(1+t)^k\) for \(k \ge 1\).",
           r"For the sigmoid use \(\sigma' = \sigma(1-\sigma)\): every derivative is a polynomial \(P_k\) in "
           r"\(s=\sigma(a)\), with \(P_0(s)=s\) and \(P_{k+1}(s) = P_k'(s)\,s(1-s)\) "
           "(numpy.polynomial.Polynomial has deriv)."),
    key_line="poly = poly.deriv() * np.polynomial.Polynomial([0.0, 1.0, -1.0])",
    shows=(_calculus.taylor_coefficients_closed_form,),
)
def taylor_coeffs(name, a, order):
    """Taylor coefficients c_k = f^(k)(a) / k!, k = 0..order, of a named function about the point a.

    Parameters
    ----------
    name : {"sin", "exp", "log1p", "sigmoid"}; "log1p" is log(1 + t), "sigmoid" is 1 / (1 + exp(-t))
    a : float, the expansion point (a > -1 for "log1p")
    order : int >= 0

    Returns
    -------
    ndarray, shape (order + 1,), so that f(a + h) is about sum_k c_k h^k
    """
    return _calculus.taylor_coefficients_closed_form(name, a, order)


# -- 2.9 Matrix operations: pairwise cosine similarity --------------------------------------------------------

def _cos_ref(A, B):
    """sklearn.metrics.pairwise.cosine_similarity"""
    return _sk_cosine(np.asarray(A, float), np.asarray(B, float))


def _cos_inputs(rng, size):
    d = int(rng.integers(1, min(size, 8) + 2))
    p, q = int(rng.integers(1, size + 2)), int(rng.integers(1, size + 2))
    return {"A": rng.normal(size=(p, d)) * rng.uniform(0.1, 10), "B": rng.normal(size=(q, d))}


def _cos_bounds(kwargs, out):
    S = np.asarray(out, float)
    shape = (len(kwargs["A"]), len(kwargs["B"]))
    assert S.shape == shape, f"expected shape {shape}, got {S.shape}"
    assert np.all(np.abs(S) <= 1 + 1e-12), "a cosine is outside [-1, 1]"


@as_exercise(
    "2.9", reference=_cos_ref, inputs=_cos_inputs, difficulty=1,
    edge_cases={
        "parallel, opposite and orthogonal rows: 1, -1, 0": {"A": np.array([[1.0, 0.0]]),
                                                            "B": np.array([[3.0, 0.0], [-2.0, 0.0], [0.0, 5.0]])},
        "scaling a row does not change its cosines": {"A": np.array([[1.0, 2.0, 2.0], [100.0, 200.0, 200.0]]),
                                                      "B": np.array([[2.0, 1.0, -2.0]])},
        "one dimension: only the signs matter": {"A": np.array([[-3.0], [0.5]]), "B": np.array([[2.0], [-7.0]])},
    },
    properties={"shape (p, q), entries in [-1, 1]": _cos_bounds},
    hints=("Normalise every row of A and of B to unit length first (keepdims=True so the division broadcasts).",
           "Then all p x q cosines are one matrix product of the normalised rows."),
    key_line="S = (A / np.linalg.norm(A, axis=1, keepdims=True)) @ (B / np.linalg.norm(B, axis=1, keepdims=True)).T",
    shows=(_linalg.cosine_similarity,),
)
def pairwise_cosine(A, B):
    """Cosine similarity of every row of A with every row of B.

    Parameters
    ----------
    A : ndarray, shape (p, d), no zero row
    B : ndarray, shape (q, d), no zero row

    Returns
    -------
    ndarray, shape (p, q): entry (i, j) is a_i . b_j / (|a_i| |b_j|)
    """
    return _linalg.cosine_similarity(A, B)


# -- 2.10 Derivative rules: the Jacobian of the softmax -------------------------------------------------------

def _softmax_complex_step(z):
    """complex-step differentiation of the softmax, one column per logit"""
    def soft(v):
        e = np.exp(v - v.real.max())
        return e / e.sum()

    return complex_step_gradient(soft, z)                   # column j: d softmax / d z_j


def _softmax_jac_inputs(rng, size):
    n = int(rng.integers(1, min(size, 8) + 2))
    return {"z": rng.normal(0, 2, n) + rng.uniform(-5, 5)}


def _softmax_jac_props(kwargs, out):
    J = np.asarray(out, float)
    assert np.allclose(J, J.T, atol=1e-12), "the softmax Jacobian should be symmetric"
    assert np.allclose(J.sum(0), 0, atol=1e-12), "each column should sum to 0 (the outputs always sum to 1)"


@as_exercise(
    "2.10", reference=_softmax_complex_step, inputs=_softmax_jac_inputs, difficulty=2,
    edge_cases={
        "one logit: the Jacobian is [[0]]": {"z": np.array([3.0])},
        "equal logits: (I - 1/n) / n": {"z": np.zeros(4)},
        "huge logits do not overflow": {"z": np.array([1000.0, 999.0, 998.0])},
    },
    properties={"symmetric, columns sum to 0": _softmax_jac_props},
    hints=(r"With \(p = \mathrm{softmax}(z)\): \(\partial p_i/\partial z_j = p_i(\delta_{ij} - p_j)\), i.e. "
           r"\(J = \mathrm{diag}(p) - pp^\top\).",
           "Compute p stably first: subtract max(z) before exponentiating."),
    key_line="J = np.diag(p) - np.outer(p, p)",
    shows=(_functional.softmax, _functional.softmax_jacobian),
)
def softmax_jac(z):
    """Jacobian of the softmax at the logits z.

    Parameters
    ----------
    z : ndarray, shape (n,), any real values (possibly large)

    Returns
    -------
    ndarray, shape (n, n): entry (i, j) is d softmax(z)_i / d z_j
    """
    return _functional.softmax_jacobian(_functional.softmax(z))


# -- 2.11 Optimisation with constraints: an equality-constrained QP by its KKT system --------------------------

def _eq_qp_nullspace(Q, c, A, b):
    """the null-space method (scipy.linalg.null_space), multipliers by least squares"""
    Q, c, A, b = (np.asarray(v, float) for v in (Q, c, A, b))
    x_p = np.linalg.lstsq(A, b, rcond=None)[0]                   # one feasible point
    Z = scipy.linalg.null_space(A)
    if Z.shape[1]:
        y = np.linalg.solve(Z.T @ Q @ Z, -Z.T @ (Q @ x_p + c))
        x = x_p + Z @ y
    else:
        x = x_p
    nu = np.linalg.lstsq(A.T, -(Q @ x + c), rcond=None)[0]        # stationarity: Q x + c + A' nu = 0
    return x, nu


def _eq_qp_inputs(rng, size):
    n = int(rng.integers(1, min(size, 6) + 1))
    m = int(rng.integers(1, n + 1))
    return {"Q": _spd(rng, n), "c": rng.normal(size=n), "A": rng.normal(size=(m, n)), "b": rng.normal(size=m)}


def _eq_qp_kkt(kwargs, out):
    Q, c, A, b = (np.asarray(kwargs[k], float) for k in ("Q", "c", "A", "b"))
    x, nu = (np.asarray(v, float) for v in out)
    assert np.allclose(A @ x, b, atol=1e-9), "x violates A x = b"
    assert np.allclose(Q @ x + c + A.T @ nu, 0, atol=1e-8), "stationarity fails: Q x + c + A' nu is not 0"


@as_exercise(
    "2.11", reference=_eq_qp_nullspace, inputs=_eq_qp_inputs, difficulty=2,
    edge_cases={
        "as many constraints as unknowns: x = A^-1 b": {"Q": np.eye(2), "c": np.zeros(2),
                                                        "A": np.array([[1.0, 1.0], [1.0, -1.0]]),
                                                        "b": np.array([2.0, 0.0])},
        "the closest point on a line: x = (1/2, 1/2)": {"Q": 2 * np.eye(2), "c": np.zeros(2),
                                                        "A": np.array([[1.0, 1.0]]), "b": np.array([1.0])},
        "an inactive-looking constraint still gets a multiplier": {
            "Q": np.diag([1.0, 2.0, 3.0]), "c": np.array([-1.0, 0.0, 0.0]), "A": np.array([[0.0, 0.0, 1.0]]),
            "b": np.array([0.0])},
    },
    properties={"feasible and stationary (the KKT conditions)": _eq_qp_kkt},
    hints=(r"At the optimum of \(\tfrac12 x^\top Qx + c^\top x\) with \(Ax=b\) the Lagrangian "
           r"\(\tfrac12 x^\top Qx + c^\top x + \nu^\top(Ax-b)\) is stationary: \(Qx + c + A^\top\nu = 0\).",
           "Stack stationarity and feasibility into one (n + m) square linear system in (x, nu) and solve it "
           "once."),
    key_line="np.linalg.solve(np.block([[Q, A.T], [A, np.zeros((m, m))]]), np.r_[-c, b])",
    shows=(_optim.solve_eq_qp,),
)
def eq_qp_kkt(Q, c, A, b):
    """Minimise x'Qx/2 + c'x subject to A x = b by solving the KKT system.

    Parameters
    ----------
    Q : ndarray, shape (n, n), symmetric positive definite
    c : ndarray, shape (n,)
    A : ndarray, shape (m, n), m <= n, full row rank
    b : ndarray, shape (m,)

    Returns
    -------
    x : ndarray, shape (n,), the minimiser
    nu : ndarray, shape (m,), the Lagrange multipliers, with the sign convention Q x + c + A' nu = 0
    """
    res = _optim.solve_eq_qp(Q, c, A, b)
    return res.x, res.multipliers

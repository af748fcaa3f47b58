"""Practice exercises of chapter 3's later pages (scaling to SOMs) and chapter 4's first pages (backprop to dropout)."""

from __future__ import annotations

import itertools
import math
import statistics
from fractions import Fraction

import numpy as np

from mlsheet_utils.algorithms import embedding as _emb
from mlsheet_utils.algorithms import gaussian_process as _gp
from mlsheet_utils.algorithms import preprocessing as _prep
from mlsheet_utils.algorithms import uncertainty as _unc
from mlsheet_utils.algorithms.clustering import dbscan as _dbscan
from mlsheet_utils.algorithms.clustering import evaluation as _ev
from mlsheet_utils.algorithms.clustering import mixture as _mix
from mlsheet_utils.algorithms.clustering import som as _som
from mlsheet_utils.algorithms.clustering import spectral as _spectral
from mlsheet_utils.algorithms.nn import dynamics as _dyn
from mlsheet_utils.algorithms.nn import functional as _F
from mlsheet_utils.algorithms.nn import init as _init
from mlsheet_utils.algorithms.nn import layers as _layers
from mlsheet_utils.algorithms.nn import losses as _losses
from mlsheet_utils.algorithms.nn import memory as _memory
from mlsheet_utils.algorithms.nn import optimizers as _optim
from mlsheet_utils.algorithms.nn import propagation as _prop
from mlsheet_utils.algorithms.nn import train as _train
from mlsheet_utils.checks.practice import as_exercise, compare
from mlsheet_utils.practice._support import Replay, complex_step_gradient, complex_step_gradients

# -- 3.20 feature scaling ---------------------------------------------------------------------------------------

def _standardize_loops(X_train, X_test):
    """python's statistics.fmean and pstdev, column by column"""
    cols = list(zip(*np.asarray(X_train, float).tolist()))
    mu = [statistics.fmean(c) for c in cols]
    sd = [statistics.pstdev(c) if max(c) > min(c) else 1.0 for c in cols]
    def scale(X):
        return np.array([[(x - m) / s for x, m, s in zip(row, mu, sd)] for row in np.asarray(X, float).tolist()])
    return scale(X_train), scale(X_test).reshape(len(X_test), len(mu))


def _standardize_inputs(rng, size):
    d = int(rng.integers(1, 5))
    n = size + 1
    loc, spread = rng.normal(0, 5, d), rng.uniform(0.2, 4.0, d)
    X_train = loc + spread * rng.normal(size=(n, d))
    X_test = loc + spread * rng.normal(size=(int(rng.integers(1, size + 2)), d))
    if d > 1 and rng.random() < 0.3:                    # now and then a constant column
        X_train[:, 0] = X_train[0, 0]
    return {"X_train": X_train, "X_test": X_test}


def _train_standardized(kwargs, out):
    X = np.asarray(kwargs["X_train"])
    Z = np.asarray(out[0])
    varying = np.ptp(X, axis=0) > 0
    assert np.allclose(Z.mean(0), 0, atol=1e-9), "a scaled training column does not have mean 0"
    assert np.allclose(Z.var(0)[varying], 1, rtol=1e-9), "a varying training column does not have variance 1"


def _affine_per_column(kwargs, out):
    """Every output column is one increasing affine map of its input column, the same for train and test."""
    X = np.vstack([kwargs["X_train"], kwargs["X_test"]])
    Z = np.vstack([out[0], out[1]])
    for j in range(X.shape[1]):
        if np.ptp(X[:, j]) == 0:
            continue
        a, b = np.polyfit(X[:, j], Z[:, j], 1)
        assert a > 0 and np.allclose(a * X[:, j] + b, Z[:, j], rtol=1e-9, atol=1e-9), \
            f"column {j}: train and test are not mapped by the same increasing affine map"


@as_exercise(
    "3.20", reference=_standardize_loops, inputs=_standardize_inputs, difficulty=1,
    edge_cases={
        "a constant column maps to 0 (no division by zero)": {
            "X_train": np.array([[1.0, 3.0], [2.0, 3.0], [4.0, 3.0]]), "X_test": np.array([[0.0, 5.0]])},
        "one training row: every column is constant": {
            "X_train": np.array([[2.0, -1.0, 0.5]]), "X_test": np.array([[3.0, 1.0, 0.5], [2.0, -1.0, 0.0]])},
        "test rows outside the training range are not clipped": {
            "X_train": np.array([[0.0], [2.0]]), "X_test": np.array([[10.0], [-10.0]])},
    },
    properties={
        "training columns get mean 0 and (population) variance 1": _train_standardized,
        "train and test go through the same per-column affine map": _affine_per_column,
    },
    hints=("Learn one mean and one standard deviation per column from the <em>training</em> rows only, then "
           "apply \\( (x - \\mu_j)/\\sigma_j \\) to both sets. The standard deviation divides by \\(n\\), "
           "not \\(n-1\\).",
           "A column with zero spread would divide by zero: use a scale of 1 there, so it maps to 0."),
    key_line="sd = np.where(X_train.std(0) == 0, 1.0, X_train.std(0))",
    shows=(_prep.standard_scaling,),
)
def standardize_train_test(X_train, X_test):
    """Standardise both sets with statistics learned from the training rows only.

    Parameters
    ----------
    X_train : ndarray, shape (n, d)
    X_test : ndarray, shape (m, d)

    Returns
    -------
    Z_train : ndarray (n, d)
    Z_test : ndarray (m, d)
        ``(X - mean) / sd`` with the per-column mean and population standard deviation (divide by n) of
        ``X_train``. A column that is constant in ``X_train`` uses sd = 1 (so its training values map to 0).
    """
    s = _prep.standard_scaling(X_train)
    return (np.asarray(X_train, float) - s.center) / s.scale, (np.asarray(X_test, float) - s.center) / s.scale


# -- 3.21 uncertainty quantification ------------------------------------------------------------------------------

def _conformal_sorted(pred_cal, y_cal, pred_test, level):
    """numpy's inverted-cdf quantile at an exact rank k = ceil((n + 1) level)"""
    scores = np.abs(np.asarray(y_cal, float) - np.asarray(pred_cal, float))
    n = scores.size
    k = math.ceil((n + 1) * Fraction(repr(float(level))))    # exact rational arithmetic, no round-off
    q = np.inf if k > n else float(np.quantile(scores, k / n, method="inverted_cdf"))
    pred_test = np.asarray(pred_test, float)
    return pred_test - q, pred_test + q


def _conformal_inputs(rng, size):
    n = int(rng.integers(1, 4 * size + 2))
    level = float(rng.choice([0.5, 0.8, 0.9, 0.95])) if rng.random() < 0.5 else float(rng.uniform(0.05, 0.95))
    pred_cal = rng.normal(size=n)
    return {"pred_cal": pred_cal, "y_cal": pred_cal + rng.normal(0, rng.uniform(0.1, 2), n),
            "pred_test": rng.normal(size=int(rng.integers(1, size + 2))), "level": level}


def _calibration_covered(kwargs, out):
    lo, hi = out
    half = (np.asarray(hi) - np.asarray(lo)) / 2
    assert np.allclose(half, half[0], rtol=1e-12, atol=0) and np.all(half >= 0), \
        "the half-widths are not one common non-negative number"
    scores = np.abs(np.asarray(kwargs["y_cal"]) - np.asarray(kwargs["pred_cal"]))
    covered = np.mean(scores <= half[0] * (1 + 1e-12))
    assert covered >= kwargs["level"] - 1e-12, \
        f"the half-width covers only {covered:.3g} of the calibration residuals, less than the level"


@as_exercise(
    "3.21", reference=_conformal_sorted, inputs=_conformal_inputs, difficulty=2,
    edge_cases={
        "level too high for n (k > n): infinite intervals": {
            "pred_cal": np.array([0.0, 1.0, 2.0]), "y_cal": np.array([0.5, 1.0, 4.0]),
            "pred_test": np.array([0.0, 10.0]), "level": 0.8},
        "(n + 1) level is an integer despite round-off (25 * 0.28 = 7): k = 7": {
            "pred_cal": np.zeros(24), "y_cal": np.arange(1.0, 25.0), "pred_test": np.array([0.0]),
            "level": 0.28},
        "tied scores: the k-th smallest is the tied value": {
            "pred_cal": np.zeros(5), "y_cal": np.array([1.0, -1.0, 1.0, 3.0, 0.5]),
            "pred_test": np.array([2.0]), "level": 0.5},
    },
    properties={
        "one common half-width covering at least the level of the calibration residuals": _calibration_covered,
    },
    hints=("The score of a calibration point is its absolute residual \\(|y_i - \\hat y_i|\\). The half-width "
           "is the \\(k\\)-th smallest score with \\(k = \\lceil (n+1)\\,\\text{level} \\rceil\\) (not the "
           "plain level-quantile: the extra 1 accounts for the new point).",
           "When \\(k > n\\) no calibration score is large enough: return infinite intervals. Guard the "
           "ceiling against round-off, e.g. subtract 1e-12 before <code>math.ceil</code>."),
    key_line="q = np.sort(np.abs(y_cal - pred_cal))[k - 1]",
    shows=(_unc.conformal_quantile, _unc.split_conformal),
)
def conformal_interval(pred_cal, y_cal, pred_test, level):
    """Split-conformal prediction intervals from a held-out calibration set.

    Parameters
    ----------
    pred_cal, y_cal : ndarray, shape (n,), n >= 1
        The model's predictions and the true targets on the calibration set.
    pred_test : ndarray, shape (m,), predictions at the test inputs
    level : float in (0, 1), the target coverage

    Returns
    -------
    lower, upper : ndarray (m,)
        ``pred_test -/+ q`` where q is the k-th smallest absolute calibration residual,
        k = ceil((n + 1) * level) computed without round-off (25 * 0.28 is 7, not 7.000000000000001);
        q = inf when k > n.
    """
    c = _unc.split_conformal(pred_cal, y_cal, pred_test, level=level)
    return c.lower, c.upper


# -- 3.22 Gaussian processes --------------------------------------------------------------------------------------

def _gp_precision(X_train, y_train, X_test, length_scale, signal_variance, noise_variance):
    """the joint gaussian of (f(x*), y) conditioned through its inverse covariance"""
    def k(a, b):
        return signal_variance * math.exp(-sum((ai - bi) ** 2 for ai, bi in zip(a, b)) / (2 * length_scale ** 2))

    X = np.asarray(X_train, float).tolist()
    mean, sd = [], []
    for x in np.asarray(X_test, float).tolist():
        pts = [x] + X
        S = np.array([[k(a, b) for b in pts] for a in pts]) + noise_variance * np.diag([0.0] + [1.0] * len(X))
        P = np.linalg.inv(S)                 # f* | y ~ N(-P[0, 1:] y / P[0, 0], 1 / P[0, 0])
        mean.append(-P[0, 1:] @ np.asarray(y_train, float) / P[0, 0])
        sd.append(math.sqrt(1 / P[0, 0]))
    return np.array(mean), np.array(sd)


def _gp_inputs(rng, size):
    d = int(rng.integers(1, 3))
    return {"X_train": rng.uniform(-3, 3, (size, d)), "y_train": rng.normal(size=size),
            "X_test": rng.uniform(-3, 3, (int(rng.integers(1, size + 2)), d)),
            "length_scale": float(rng.uniform(0.5, 2.0)), "signal_variance": float(rng.uniform(0.5, 2.0)),
            "noise_variance": float(rng.uniform(0.05, 0.5))}


def _sd_below_prior(kwargs, out):
    sd = np.asarray(out[1])
    assert np.all(sd >= 0), "a posterior standard deviation is negative"
    assert np.all(sd <= np.sqrt(kwargs["signal_variance"]) * (1 + 1e-9)), \
        "a posterior standard deviation exceeds the prior's sqrt(signal_variance)"


@as_exercise(
    "3.22", reference=_gp_precision, inputs=_gp_inputs, difficulty=2,
    # the reference inverts a full matrix, the book solves with a Cholesky factor: round-off ~1e-12
    edge_cases={
        "a test point far from the data gets the prior: mean 0, sd sqrt(signal_variance)": {
            "X_train": np.array([[0.0], [1.0]]), "y_train": np.array([1.0, -1.0]), "X_test": np.array([[60.0]]),
            "length_scale": 1.0, "signal_variance": 2.0, "noise_variance": 0.1},
        "one training point: mean k/(k+s2) y at the same input": {
            "X_train": np.array([[0.5, 0.5]]), "y_train": np.array([2.0]), "X_test": np.array([[0.5, 0.5]]),
            "length_scale": 1.0, "signal_variance": 1.0, "noise_variance": 1.0},
        "duplicate training inputs (noise keeps the system solvable)": {
            "X_train": np.array([[0.0], [0.0], [1.0]]), "y_train": np.array([1.0, 0.0, 2.0]),
            "X_test": np.array([[0.0], [0.5]]), "length_scale": 0.7, "signal_variance": 1.5,
            "noise_variance": 0.2},
    },
    properties={"0 <= posterior sd <= prior sd": _sd_below_prior},
    hints=("With \\(K = k(X, X) + \\sigma_n^2 I\\) and \\(K_\\star = k(X, X_\\star)\\): the mean is "
           "\\(K_\\star^\\top K^{-1} y\\) and the variance is \\(k(x_\\star, x_\\star) - "
           "K_\\star^\\top K^{-1} K_\\star\\) (diagonal only).",
           "Factor \\(K = LL^\\top\\) once; with \\(V = L^{-1}K_\\star\\) the variance is the prior variance minus "
           "the column sums of \\(V^2\\)."),
    key_line="V = scipy.linalg.solve_triangular(L, K_cross, lower=True); var = signal_variance - (V ** 2).sum(0)",
    shows=(_gp.squared_exponential, _gp.gp_posterior, _gp._posterior, _gp._factor),
)
def gp_predict(X_train, y_train, X_test, length_scale, signal_variance, noise_variance):
    """Posterior mean and standard deviation of f at test inputs under a zero-mean GP prior.

    The kernel is squared-exponential: k(x, x') = signal_variance * exp(-|x - x'|^2 / (2 length_scale^2)),
    and the targets are y = f(X_train) + Gaussian noise of variance ``noise_variance``.

    Parameters
    ----------
    X_train : ndarray, shape (n, d)
    y_train : ndarray, shape (n,)
    X_test : ndarray, shape (m, d)
    length_scale, signal_variance, noise_variance : float > 0

    Returns
    -------
    mean : ndarray (m,)
    sd : ndarray (m,), the posterior standard deviation of f (without the noise)
    """
    k = dict(length_scale=length_scale, signal_variance=signal_variance)
    post = _gp.gp_posterior(_gp.squared_exponential(X_train, **k), _gp.squared_exponential(X_train, X_test, **k),
                            _gp.squared_exponential(X_test, **k), y_train, noise_variance)
    return post.mean, post.std


# -- 3.23 clustering (evaluation) ---------------------------------------------------------------------------------

def _silhouette_loops(X, labels):
    """a loop over the definition (every pair of points)"""
    X = np.asarray(X, float).tolist()
    labels = list(np.asarray(labels).tolist())
    names = sorted(set(labels))
    out = []
    for i, x in enumerate(X):
        def mean_dist(c, i=i, x=x):
            ds = [math.dist(x, y) for j, y in enumerate(X) if labels[j] == c and j != i]
            return sum(ds) / len(ds)
        if labels.count(labels[i]) == 1:
            out.append(0.0)                               # alone in its cluster
            continue
        a = mean_dist(labels[i])
        b = min(mean_dist(c) for c in names if c != labels[i])
        out.append(0.0 if max(a, b) == 0 else (b - a) / max(a, b))
    return np.array(out), sum(out) / len(out)


def _silhouette_inputs(rng, size):
    n = size + 2
    k = int(rng.integers(2, min(n - 1, 4) + 1))
    lab = np.concatenate([np.arange(k), rng.integers(0, k, n - k)])
    rng.shuffle(lab)
    names = rng.choice(np.arange(-1, 9), size=k, replace=False)       # any integer names, e.g. -1 for noise
    d = int(rng.integers(1, 4))
    X = rng.normal(size=(n, d)) + 3 * rng.normal(size=(k, d))[lab]
    return {"X": X, "labels": names[lab]}


def _in_range(kwargs, out):
    s = np.asarray(out[0])
    assert abs(out[1] - s.mean()) < 1e-12, "the score is not the mean of the silhouettes"
    assert s.shape == (len(kwargs["X"]),), "one silhouette per point"
    assert np.all((s >= -1 - 1e-12) & (s <= 1 + 1e-12)), "a silhouette lies outside [-1, 1]"


@as_exercise(
    "3.23", reference=_silhouette_loops, inputs=_silhouette_inputs, difficulty=2,
    edge_cases={
        "a point alone in its cluster scores 0": {
            "X": np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0]]), "labels": np.array([0, 0, 1])},
        "labels need not be 0..k-1 (here 7 and -1)": {
            "X": np.array([[0.0], [1.0], [4.0], [6.0]]), "labels": np.array([7, 7, -1, -1])},
        "two clusters on top of each other: a = b, silhouette 0": {
            "X": np.array([[0.0], [0.0], [0.0], [0.0]]), "labels": np.array([0, 1, 0, 1])},
    },
    properties={
        "one value per point, all in [-1, 1], and the score is their mean": _in_range,
    },
    hints=("For point \\(i\\): \\(a_i\\) is its mean distance to the <em>other</em> members of its own cluster "
           "(divide by \\(|C|-1\\)), \\(b_i\\) the smallest mean distance to the members of another cluster, and "
           "\\(s_i = (b_i - a_i)/\\max(a_i, b_i)\\).",
           "Build the \\(n\\times n\\) distance matrix once and a one-hot label matrix \\(L\\); \\(DL\\) holds every "
           "point's sum of distances to every cluster. Singletons get 0, and so does \\(a_i = b_i = 0\\)."),
    key_line="s = (b - a) / np.maximum(a, b)",
    shows=(_ev.silhouette_samples, _ev.silhouette_score),
)
def silhouette_values(X, labels):
    """The silhouette of every point of a clustering.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    labels : ndarray of int, shape (n,), with between 2 and n - 1 distinct values (any integers)

    Returns
    -------
    s : ndarray (n,)
        s_i = (b_i - a_i) / max(a_i, b_i), with a_i the mean Euclidean distance from point i to the other points of
        its cluster and b_i the smallest mean distance to the points of another cluster. A point alone in its
        cluster gets 0, and so does a point with a_i = b_i = 0.
    score : float, the mean of s (the silhouette score of the clustering)
    """
    s = _ev.silhouette_samples(X, labels)
    return s, _ev.silhouette_score(X, labels)


# -- 3.23.2 Gaussian mixture models -------------------------------------------------------------------------------

def _em_loops(X, weights, means, covariances, covariance_type, reg_covar):
    """a loop over points and components with the gaussian density formula"""
    X = np.asarray(X, float)
    n, d = X.shape
    k = len(weights)
    R = np.zeros((n, k))
    for i in range(n):
        for j in range(k):
            diff = X[i] - means[j]
            S = np.asarray(covariances[j], float)
            R[i, j] = weights[j] * math.exp(-0.5 * diff @ np.linalg.solve(S, diff)) / math.sqrt(
                (2 * math.pi) ** d * np.linalg.det(S))
        R[i] /= R[i].sum()
    new_w, new_m, S = [], [], []
    for j in range(k):
        Nj = R[:, j].sum()
        mu = sum(R[i, j] * X[i] for i in range(n)) / Nj
        S.append(sum(R[i, j] * np.outer(X[i] - mu, X[i] - mu) for i in range(n)) / Nj)
        new_w.append(Nj / n)
        new_m.append(mu)
    if covariance_type == "tied":
        pooled = sum(w * s for w, s in zip(new_w, S))
        S = [pooled] * k
    elif covariance_type == "diag":
        S = [np.diag(np.diag(s)) for s in S]
    elif covariance_type == "spherical":
        S = [np.trace(s) / d * np.eye(d) for s in S]
    return np.array(new_w), np.array(new_m), np.array([s + reg_covar * np.eye(d) for s in S])


def _gmm_inputs(rng, size):
    n = size + 3
    d = int(rng.integers(1, 3))
    k = int(rng.integers(1, 4))
    X = rng.normal(size=(n, d)) + 2.5 * rng.normal(size=(k, d))[rng.integers(0, k, n)]
    A = rng.normal(size=(k, d, d))
    covs = A @ np.swapaxes(A, 1, 2) + np.eye(d)[None]
    return {"X": X, "weights": rng.dirichlet(np.full(k, 3.0)), "means": X[rng.choice(n, k, replace=False)]
            + rng.normal(0, 0.3, (k, d)), "covariances": covs,
            "covariance_type": str(rng.choice(["full", "tied", "diag", "spherical"])),
            "reg_covar": float(rng.uniform(1e-3, 1e-1))}


def _log_lik(X, w, m, C):
    X = np.asarray(X, float)
    diff = X[None] - np.asarray(m)[:, None]                                 # (k, n, d)
    maha = np.einsum("knd,kde,kne->kn", diff, np.linalg.inv(C), diff)
    logdens = -0.5 * (maha + np.linalg.slogdet(C)[1][:, None] + X.shape[1] * math.log(2 * math.pi))
    return float(np.log((np.asarray(w)[:, None] * np.exp(logdens)).sum(0)).sum())


def _valid_params(kwargs, out):
    w, m, C = (np.asarray(a, float) for a in out)
    assert abs(w.sum() - 1) < 1e-9 and np.all(w >= 0), "the weights are not a probability vector"
    assert np.allclose(C, np.swapaxes(C, 1, 2), atol=1e-12), "a covariance is not symmetric"
    assert np.all(np.linalg.eigvalsh(C) > 0), "a covariance is not positive definite"


def _likelihood_up(kwargs, out):
    before = _log_lik(kwargs["X"], kwargs["weights"], kwargs["means"], kwargs["covariances"])
    after = _log_lik(kwargs["X"], *out)
    # the reg_covar floor moves the M step slightly off the maximiser of Q: allow that much
    slack = 1e-9 * abs(before) + kwargs["reg_covar"] * len(kwargs["X"])
    assert after >= before - slack, f"the log-likelihood fell from {before:.6g} to {after:.6g}"


@as_exercise(
    "3.23.2", reference=_em_loops, inputs=_gmm_inputs, difficulty=3,
    edge_cases={
        "k = 1: the sample mean and the population covariance (+ reg)": {
            "X": np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 3.0], [1.0, 1.0]]), "weights": np.array([1.0]),
            "means": np.array([[5.0, 5.0]]), "covariances": np.array([[[1.0, 0.0], [0.0, 1.0]]]),
            "covariance_type": "full", "reg_covar": 1e-6},
        "two identical components stay identical with weight 1/2 each": {
            "X": np.array([[0.0], [1.0], [3.0]]), "weights": np.array([0.5, 0.5]), "means": np.array([[1.0], [1.0]]),
            "covariances": np.array([[[2.0]], [[2.0]]]), "covariance_type": "spherical", "reg_covar": 0.01},
        "tied: every component gets the same pooled covariance": {
            "X": np.array([[0.0, 0.0], [0.5, 1.0], [6.0, 5.0], [7.0, 5.5], [6.5, 4.0]]),
            "weights": np.array([0.4, 0.6]), "means": np.array([[0.0, 1.0], [6.0, 5.0]]),
            "covariances": np.array([np.eye(2), np.eye(2)]), "covariance_type": "tied", "reg_covar": 1e-3},
    },
    properties={
        "weights sum to 1, covariances symmetric positive definite": _valid_params,
        "the log-likelihood does not fall": _likelihood_up,
    },
    hints=("E step: \\(r_{ik} \\propto \\pi_k\\,\\mathcal N(x_i\\mid\\mu_k,\\Sigma_k)\\), normalised over \\(k\\) "
           "(in logs, with log-sum-exp). M step: \\(N_k = \\sum_i r_{ik}\\), \\(\\pi_k = N_k/n\\), \\(\\mu_k\\) "
           "the \\(r\\)-weighted mean, \\(S_k\\) the \\(r\\)-weighted scatter about the <em>new</em> mean over "
           "\\(N_k\\).",
           "Then constrain: tied pools \\(\\sum_k (N_k/n) S_k\\), diag keeps \\(\\operatorname{diag} S_k\\), "
           "spherical keeps \\(\\operatorname{tr}(S_k)/d\\cdot I\\); finally add reg_covar to the diagonal."),
    key_line="covs = np.einsum('nk,knd,kne->kde', resp, diff, diff) / nk[:, None, None]   # diff = X - means[:, None]",
    shows=(_mix.e_step, _mix._e_step, _mix.m_step, _mix._m_step, _mix._constrain),
)
def gmm_em_step(X, weights, means, covariances, covariance_type, reg_covar):
    """One EM iteration (E step, then M step) of a Gaussian mixture.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    weights : ndarray (k,), means : ndarray (k, d), covariances : ndarray (k, d, d), the current parameters
    covariance_type : "full", "tied" (one shared matrix), "diag" or "spherical" (a multiple of I)
    reg_covar : float >= 0, added to every covariance's diagonal after the M step

    Returns
    -------
    weights (k,), means (k, d), covariances (k, d, d)
        The M step's maximisers given the E step's responsibilities at the current parameters, every covariance
        returned as a full (d, d) matrix whatever its type.
    """
    resp, _ = _mix.e_step(X, weights, means, covariances)
    return _mix.m_step(X, resp, reg_covar, covariance_type)


# -- 3.23.3 t-SNE -------------------------------------------------------------------------------------------------

def _tsne_loops(P, Y):
    """a loop over pairs with the student-t kernel"""
    P, Y = np.asarray(P, float), np.asarray(Y, float)
    n = len(Y)
    w = [[0.0 if i == j else 1 / (1 + float(np.sum((Y[i] - Y[j]) ** 2))) for j in range(n)] for i in range(n)]
    Z = sum(map(sum, w))
    kl, grad = 0.0, np.zeros_like(Y)
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            q = w[i][j] / Z
            if P[i, j] > 0:
                kl += P[i, j] * math.log(P[i, j] / q)
            grad[i] += 4 * (P[i, j] - q) * w[i][j] * (Y[i] - Y[j])
    return kl, grad


def _tsne_inputs(rng, size):
    n = size + 1
    A = rng.uniform(0.05, 1.0, (n, n)) * (rng.random((n, n)) < 0.8)
    A = A + A.T
    np.fill_diagonal(A, 0.0)
    if A.sum() == 0:
        A = 1.0 - np.eye(n)
    return {"P": A / A.sum(), "Y": rng.normal(0, rng.uniform(0.3, 2.0), (n, int(rng.integers(1, 4))))}


def _grad_sums_to_zero(kwargs, out):
    g = np.asarray(out[1])
    assert np.allclose(g.sum(0), 0, atol=1e-10 * (1 + np.abs(g).sum())), \
        "the gradients do not sum to zero (moving every point together cannot change the KL)"


def _kl_nonnegative(kwargs, out):
    assert out[0] >= -1e-12, f"KL(P || Q) = {out[0]:.6g} is negative"


def _grad_matches_kl(kwargs, out):
    P, Y = np.asarray(kwargs["P"], float), np.asarray(kwargs["Y"], float)
    i, h = (0, 0), 1e-6
    up, down = Y.copy(), Y.copy()
    up[i] += h
    down[i] -= h
    fd = (_tsne_loops(P, up)[0] - _tsne_loops(P, down)[0]) / (2 * h)
    assert abs(fd - out[1][i]) <= 1e-5 * (1 + abs(fd)), \
        f"the gradient's first entry {out[1][i]:.6g} is not the KL's slope {fd:.6g} (central difference)"


@as_exercise(
    "3.23.3", reference=_tsne_loops, inputs=_tsne_inputs, difficulty=2,
    edge_cases={
        "two points: P = Q, so KL = 0 and the gradient is 0": {
            "P": np.array([[0.0, 0.5], [0.5, 0.0]]), "Y": np.array([[0.0, 0.0], [3.0, 4.0]])},
        "all points at one place: Q is uniform, the gradient is 0": {
            "P": np.array([[0.0, 0.3, 0.1], [0.3, 0.0, 0.1], [0.1, 0.1, 0.0]]), "Y": np.zeros((3, 2))},
        "zero affinities add nothing to the KL": {
            "P": np.array([[0.0, 0.5, 0.0], [0.5, 0.0, 0.0], [0.0, 0.0, 0.0]]),
            "Y": np.array([[0.0], [1.0], [2.0]])},
    },
    properties={
        "KL >= 0": _kl_nonnegative,
        "the gradients sum to zero": _grad_sums_to_zero,
        "the gradient is the slope of the KL (central difference)": _grad_matches_kl,
    },
    hints=("Kernel \\(w_{ij} = (1 + \\lVert y_i - y_j\\rVert^2)^{-1}\\) with \\(w_{ii} = 0\\); "
           "\\(q_{ij} = w_{ij}/\\sum_{k\\ne l} w_{kl}\\) (one normaliser over all pairs). "
           "The KL sums \\(p_{ij}\\log(p_{ij}/q_{ij})\\) over pairs with \\(p_{ij} > 0\\).",
           "The gradient is \\(4\\sum_j (p_{ij} - q_{ij})\\,w_{ij}\\,(y_i - y_j)\\); with \\(M = (P - Q)\\odot W\\) "
           "that is <code>4 * (M.sum(1)[:, None] * Y - M @ Y)</code>."),
    key_line="grad = 4.0 * (M.sum(1)[:, None] * Y - M @ Y)   # M = (P - Q) * W",
    shows=(_emb._student_t, _emb._kl, _emb._grad),
)
def tsne_kl_grad(P, Y):
    """The t-SNE objective KL(P || Q) and its gradient with respect to the embedding.

    Parameters
    ----------
    P : ndarray, shape (n, n), symmetric joint input affinities, zero diagonal, summing to 1
    Y : ndarray, shape (n, k), the embedding, n >= 2

    Returns
    -------
    kl : float
        sum over i != j of p_ij log(p_ij / q_ij) (pairs with p_ij = 0 contribute 0), where q_ij is the
        Student-t (one degree of freedom) kernel (1 + |y_i - y_j|^2)^-1 normalised over all pairs i != j.
    grad : ndarray (n, k), d kl / d Y
    """
    return _emb.kl_divergence(P, Y), _emb.kl_gradient(P, Y)


# -- 3.23.4 spectral clustering -----------------------------------------------------------------------------------

def _shi_malik_scipy(W, k):
    """scipy.linalg.eigh(L, D), the generalized eigenproblem"""
    import scipy.linalg

    W = np.asarray(W, float)
    D = np.diag(W.sum(1))
    vals, vecs = scipy.linalg.eigh(D - W, D)
    return vals[:k], vecs[:, :k]


def _spectral_inputs(rng, size):
    n = size + 2
    X = rng.normal(size=(n, 2)) + 2 * rng.normal(size=(2, 2))[rng.integers(0, 2, n)]
    W = np.exp(-((X[:, None] - X[None]) ** 2).sum(-1) / (2 * rng.uniform(0.8, 2.0) ** 2))
    np.fill_diagonal(W, 0.0)
    return {"W": W, "k": int(rng.integers(1, min(n, 4) + 1))}


def _same_subspaces(expected, obtained):
    """Eigenvalues equal; vectors equal up to sign (and rotation inside a repeated eigenvalue), via V V^T."""
    try:
        vals, V = (np.asarray(a, float) for a in obtained)
    except (TypeError, ValueError):
        return "expected a pair (eigenvalues, vectors)"
    why = compare(expected[0], vals, rtol=1e-7, atol=1e-9)
    if why is not None:
        return f"eigenvalues: {why}"
    if V.shape != expected[1].shape:
        return f"vectors have shape {V.shape}, expected {expected[1].shape}"
    why = compare(expected[1] @ expected[1].T, V @ V.T, rtol=1e-6, atol=1e-9)
    return None if why is None else f"vectors span another subspace or are scaled otherwise (V V^T {why})"


def _d_orthonormal(kwargs, out):
    W = np.asarray(kwargs["W"], float)
    vals, V = (np.asarray(a, float) for a in out)
    D = np.diag(W.sum(1))
    assert np.allclose(V.T @ D @ V, np.eye(V.shape[1]), atol=1e-8), "the vectors are not D-orthonormal (V^T D V != I)"
    assert np.allclose((D - W) @ V, D @ V * vals, atol=1e-8), "L v = lambda D v fails for a column"


@as_exercise(
    "3.23.4", reference=_shi_malik_scipy, inputs=_spectral_inputs, difficulty=3,
    compare=_same_subspaces,
    edge_cases={
        "k = 1: the constant vector 1 / sqrt(sum of degrees), eigenvalue 0": {
            "W": np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 0.5], [2.0, 0.5, 0.0]]), "k": 1},
        "two components: eigenvalue 0 twice, vectors spanning the indicators": {
            "W": np.array([[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 2.0],
                           [0.0, 0.0, 2.0, 0.0]]), "k": 2},
        "a path of 3 nodes, all eigenvalues (0, 1, 2)": {
            "W": np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]), "k": 3},
    },
    properties={"D-orthonormal generalized eigenvectors: L v = lambda D v, V^T D V = I": _d_orthonormal},
    hints=("With degrees \\(D = \\operatorname{diag}(W\\mathbf 1)\\) and \\(L = D - W\\), solve "
           "\\(L v = \\lambda D v\\) through the symmetric matrix \\(L_{sym} = D^{-1/2} L D^{-1/2}\\): its "
           "eigenvectors \\(u\\) give \\(v = D^{-1/2} u\\) with the same eigenvalues.",
           "<code>np.linalg.eigh</code> returns eigenvalues in ascending order with orthonormal \\(u\\), so "
           "\\(v = D^{-1/2}u\\) is automatically \\(D\\)-orthonormal. Keep the first \\(k\\) columns."),
    key_line="vals, U = np.linalg.eigh(L_sym); V = U[:, :k] / np.sqrt(deg)[:, None]",
    shows=(_spectral.graph_laplacian, _spectral._embedding),
)
def shi_malik_embedding(W, k):
    """The k smallest generalized eigenpairs of L v = lambda D v (Shi-Malik, the random-walk Laplacian).

    Parameters
    ----------
    W : ndarray, shape (n, n), symmetric, non-negative, zero diagonal, every degree W.sum(1) > 0
    k : int, 1 <= k <= n

    Returns
    -------
    eigenvalues : ndarray (k,), ascending
    vectors : ndarray (n, k)
        Column j solves (D - W) v = eigenvalues[j] D v with D = diag(W.sum(1)), normalised so that
        V^T D V = I (any sign; any basis of a repeated eigenvalue's eigenspace).
    """
    emb = _spectral.spectral_embedding(W, k, "random_walk")
    return emb.eigenvalues[:k], emb.vectors


# -- 3.23.5 DBSCAN ------------------------------------------------------------------------------------------------

def _dbscan_loops(X, eps, min_samples):
    """a loop over the definition (queue expansion from each unlabelled core point)"""
    X = np.asarray(X, float).tolist()
    n = len(X)
    nbrs = [[j for j in range(n) if math.dist(X[i], X[j]) <= eps] for i in range(n)]
    core = [len(nb) >= min_samples for nb in nbrs]
    labels = [-1] * n
    c = 0
    for s in range(n):
        if not core[s] or labels[s] != -1:
            continue
        labels[s], queue = c, [s]
        while queue:
            i = queue.pop()
            for j in nbrs[i]:
                if core[j] and labels[j] == -1:
                    labels[j] = c
                    queue.append(j)
        c += 1
    for i in range(n):
        if not core[i]:
            reach = [labels[j] for j in nbrs[i] if core[j]]
            labels[i] = min(reach) if reach else -1
    return np.array(labels, dtype=int), np.array(core, dtype=bool)


def _dbscan_inputs(rng, size):
    n = 2 * size + 1
    centres = rng.uniform(-10, 10, (int(rng.integers(1, 4)), 2))
    # integer coordinates and eps: distances equal to eps are exact, so "<= eps" has one answer
    X = np.round(centres[rng.integers(0, len(centres), n)] + rng.normal(0, 2.0, (n, 2)))
    return {"X": X, "eps": float(rng.choice([1.0, 1.5, 2.0, 3.0])), "min_samples": int(rng.integers(1, 6))}


def _core_rule(kwargs, out):
    labels, core = np.asarray(out[0]), np.asarray(out[1], bool)
    X = np.asarray(kwargs["X"], float)
    counts = (np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1)) <= kwargs["eps"]).sum(1)
    assert np.array_equal(core, counts >= kwargs["min_samples"]), \
        "the core points are not those with at least min_samples points (themselves included) within eps"
    assert np.all(labels[core] >= 0), "a core point is labelled noise"


def _numbered_in_order(kwargs, out):
    labels, core = np.asarray(out[0]), np.asarray(out[1], bool)
    c = int(labels.max()) + 1 if labels.size else 0
    assert sorted(set(labels[labels >= 0].tolist())) == list(range(c)), "the cluster numbers are not 0, 1, ..., c - 1"
    firsts = [int(np.flatnonzero((labels == j) & core)[0]) for j in range(c)]
    assert firsts == sorted(firsts), "clusters are not numbered in the order of their lowest-index core point"


@as_exercise(
    "3.23.5", reference=_dbscan_loops, inputs=_dbscan_inputs, difficulty=2,
    edge_cases={
        "a point exactly eps away is a neighbour": {
            "X": np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]), "eps": 1.0, "min_samples": 2},
        "a border point within eps of two clusters joins the lower-numbered one": {
            "X": np.array([[1.25], [0.0], [0.1], [0.2], [0.3], [2.2], [2.3], [2.4], [2.5]]), "eps": 1.0,
            "min_samples": 4},
        "min_samples above n: everything is noise": {
            "X": np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1]]), "eps": 1.0, "min_samples": 4},
        "min_samples = 1: every point is core; isolated points are clusters of one": {
            "X": np.array([[0.0], [10.0], [0.4], [20.0]]), "eps": 0.5, "min_samples": 1},
    },
    properties={
        "core = at least min_samples points within eps (itself included); core points are never noise": _core_rule,
        "clusters numbered 0, 1, ... in the order of their lowest-index core point": _numbered_in_order,
    },
    hints=("Count every point's neighbours within \\(\\varepsilon\\) (itself included, distance "
           "\\(\\le\\varepsilon\\)); core points have at least min_samples. Walk the core points in index "
           "order: an unlabelled one starts a new cluster, grown by a breadth-first search that only passes "
           "<em>through</em> core points.",
           "Afterwards a non-core point within \\(\\varepsilon\\) of a core point takes the smallest cluster "
           "number among those core neighbours; the rest are noise, -1."),
    key_line="labels[border] = np.where(A[border] & core, labels, n).min(axis=1)",
    shows=(_dbscan._neighborhoods, _dbscan._dbscan),
)
def dbscan_labels(X, eps, min_samples):
    """DBSCAN: cluster labels and core points.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    eps : float > 0, the neighbourhood radius (distance <= eps counts)
    min_samples : int >= 1, neighbours (the point itself included) a core point needs

    Returns
    -------
    labels : ndarray (n,) of int
        Clusters 0, 1, ... numbered in the order of their lowest-index core point; -1 for noise. A non-core point
        within eps of core points of several clusters joins the lowest-numbered one.
    core : ndarray (n,) of bool
    """
    r = _dbscan.dbscan(X, eps, min_samples)
    return r.labels, r.core


# -- 3.23.6 self-organising maps ----------------------------------------------------------------------------------

def _som_loops(X, W0, grid, order, eta0, sigma0):
    """a loop over steps and units"""
    W = [list(map(float, w)) for w in W0]
    T = len(order)
    for t, row in enumerate(order):
        x = list(map(float, X[row]))
        eta, sigma = eta0 / (1 + 2 * t / T), sigma0 / (1 + 2 * t / T)
        d2 = [sum((a - b) ** 2 for a, b in zip(x, w)) for w in W]
        win = min(range(len(W)), key=lambda j: (d2[j], j))
        for j, w in enumerate(W):
            g2 = sum((a - b) ** 2 for a, b in zip(grid[j], grid[win]))
            h = eta * math.exp(-g2 / (2 * sigma ** 2))
            W[j] = [wk + h * (xk - wk) for wk, xk in zip(w, x)]
    qe = sum(min(math.dist(x, w) for w in W) for x in np.asarray(X, float).tolist()) / len(X)
    return np.array(W), qe


def _som_inputs(rng, size):
    rows, cols = int(rng.integers(1, 4)), int(rng.integers(2, 4))
    r, c = np.divmod(np.arange(rows * cols), cols)
    X = rng.uniform(0, 1, (size + 2, int(rng.integers(1, 4))))
    return {"X": X, "W0": rng.uniform(0, 1, (rows * cols, X.shape[1])),
            "grid": np.column_stack([r, c]).astype(float), "order": rng.integers(0, len(X), size + 1),
            "eta0": float(rng.uniform(0.1, 0.9)), "sigma0": float(rng.uniform(0.5, 2.0))}


def _stays_in_hull(kwargs, out):
    X, W0 = np.asarray(kwargs["X"]), np.asarray(kwargs["W0"])
    lo, hi = np.minimum(X.min(0), W0.min(0)), np.maximum(X.max(0), W0.max(0))
    W = np.asarray(out[0])
    assert np.all((W >= lo - 1e-12) & (W <= hi + 1e-12)), \
        "a unit left the box of the inputs and starting weights (a step moved it past its target)"


@as_exercise(
    "3.23.6", reference=_som_loops, inputs=_som_inputs, difficulty=2,
    edge_cases={
        "one step, eta0 = 1: the winner lands on the input": {
            "X": np.array([[1.0, 1.0]]), "W0": np.array([[0.0, 0.0], [5.0, 5.0]]),
            "grid": np.array([[0.0, 0.0], [0.0, 1.0]]), "order": np.array([0]), "eta0": 1.0, "sigma0": 0.5},
        "an input halfway between two units: the lower index wins": {
            "X": np.array([[0.5]]), "W0": np.array([[0.0], [1.0], [3.0]]),
            "grid": np.array([[0.0, 0.0], [0.0, 1.0], [0.0, 2.0]]), "order": np.array([0, 0]), "eta0": 0.5,
            "sigma0": 1.0},
        "a 1 x 1 map: the single unit does a running average": {
            "X": np.array([[0.0], [4.0]]), "W0": np.array([[2.0]]), "grid": np.array([[0.0, 0.0]]),
            "order": np.array([0, 1, 0]), "eta0": 0.5, "sigma0": 1.0},
    },
    properties={"units stay inside the box of inputs and starting weights": _stays_in_hull},
    hints=("At step \\(t\\) (of \\(T\\)) both rates decay as \\(a_0/(1 + 2t/T)\\). Find the winner "
           "\\(i = \\arg\\min_j \\lVert x - w_j\\rVert\\) (lowest index on ties), then move <em>every</em> unit "
           "towards \\(x\\) by \\(\\eta\\,h_j\\) with \\(h_j = \\exp(-\\lVert g_j - g_i\\rVert^2/2\\sigma^2)\\).",
           "Precompute the squared grid distances between all units once; each step then needs one row of them."),
    key_line="W += eta[t] * np.exp(-G2[i] / (2 * sigma[t] ** 2))[:, None] * (x - W)",
    shows=(_som._schedule, _som._train, _som.quantization_error),
)
def som_steps(X, W0, grid, order, eta0, sigma0):
    """Online training of a self-organising map, one input per step.

    Parameters
    ----------
    X : ndarray, shape (n, d), inputs
    W0 : ndarray, shape (m, d), the starting unit weights (not modified)
    grid : ndarray, shape (m, 2), each unit's position on the map
    order : ndarray of int, shape (T,), the row of X used at each step t = 0, ..., T - 1
    eta0, sigma0 : float > 0, starting learning rate and neighbourhood width

    Returns
    -------
    W : ndarray (m, d)
        The weights after T steps. At step t: eta = eta0 / (1 + 2t/T), sigma = sigma0 / (1 + 2t/T); the winner i
        is the unit nearest to x = X[order[t]] (lowest index on ties); every unit j moves
        w_j += eta * exp(-|g_j - g_i|^2 / (2 sigma^2)) * (x - w_j).
    qe : float, the quantisation error of the trained map: the mean distance from each row of X to its nearest
        unit.
    """
    W = _som.som_train(X, W0, grid, n_iter=len(order), eta0=eta0, sigma0=sigma0, order=order).weights
    return W, _som.quantization_error(X, W)


# -- 4.1 backpropagation ------------------------------------------------------------------------------------------

def _mlp_loss(X, Y, W1, b1, W2, b2):
    H = np.tanh(X @ W1 + b1)
    return np.mean((H @ W2 + b2 - Y) ** 2)


def _mlp_complex_step(X, Y, W1, b1, W2, b2):
    """complex-step differentiation of the loss (exact to round-off)"""
    params = [np.asarray(p, float) for p in (W1, b1, W2, b2)]
    grads = complex_step_gradients(lambda *bumped: _mlp_loss(X, Y, *bumped), params)
    return (float(_mlp_loss(X, Y, *params)), *grads)


def _mlp_inputs(rng, size):
    n, d, hdim, o = size, int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 3))
    return {"X": rng.normal(size=(n, d)), "Y": rng.normal(size=(n, o)),
            "W1": rng.normal(0, 1 / np.sqrt(d), (d, hdim)), "b1": rng.normal(0, 0.5, hdim),
            "W2": rng.normal(0, 1 / np.sqrt(hdim), (hdim, o)), "b2": rng.normal(0, 0.5, o)}


def _descent_direction(kwargs, out):
    loss, *grads = out
    step = 1e-5
    moved = [np.asarray(kwargs[k], float) - step * np.asarray(g) for k, g in zip(("W1", "b1", "W2", "b2"), grads)]
    sq = sum(float(np.sum(np.asarray(g) ** 2)) for g in grads)
    after = _mlp_loss(kwargs["X"], kwargs["Y"], *moved)
    assert after <= loss - 0.5 * step * sq + 1e-15, \
        "a small step against the returned gradient does not lower the loss as the gradient predicts"


def _grad_shapes(kwargs, out):
    _, _, db1, dW2, db2 = out
    assert np.shape(db2) == np.shape(kwargs["b2"]) and np.shape(dW2) == np.shape(kwargs["W2"]) \
        and np.shape(db1) == np.shape(kwargs["b1"]), "a gradient does not have its parameter's shape"


@as_exercise(
    "4.1", reference=_mlp_complex_step, inputs=_mlp_inputs, difficulty=2,
    edge_cases={
        "a perfect fit: loss 0 and every gradient 0": {
            "X": np.array([[1.0], [2.0]]), "Y": np.array([[0.5], [0.5]]), "W1": np.array([[0.0]]),
            "b1": np.array([0.0]), "W2": np.array([[1.0]]), "b2": np.array([0.5])},
        "one example, one hidden unit": {
            "X": np.array([[0.3, -1.0]]), "Y": np.array([[2.0]]), "W1": np.array([[1.0], [0.5]]),
            "b1": np.array([0.1]), "W2": np.array([[2.0]]), "b2": np.array([-0.3])},
        "saturated hidden units pass almost no gradient to W1": {
            "X": np.array([[1.0], [-1.0]]), "Y": np.array([[0.0], [1.0]]), "W1": np.array([[30.0, -30.0]]),
            "b1": np.array([0.0, 0.0]), "W2": np.array([[1.0], [1.0]]), "b2": np.array([0.0])},
    },
    properties={
        "each gradient has its parameter's shape": _grad_shapes,
        "a small step against the gradient lowers the loss": _descent_direction,
    },
    hints=("Forward: keep \\(H = \\tanh(XW_1 + b_1)\\) and the output \\(P = HW_2 + b_2\\). The loss averages over "
           "<em>every entry</em> of \\(P\\), so \\(\\partial L/\\partial P = 2(P - Y)/(n\\,o)\\).",
           "Backward through a linear layer: \\(dW = x^\\top dy\\), \\(db\\) = the column sums of \\(dy\\), "
           "\\(dx = dy\\,W^\\top\\); through tanh multiply by \\(1 - H^2\\)."),
    key_line="dZ1 = (dP @ W2.T) * (1 - H ** 2)",
    shows=(_layers.Linear._backward, _layers.Sequential._backward, _losses.MeanSquaredError._backward),
)
def mlp_backprop(X, Y, W1, b1, W2, b2):
    """Loss and gradients of a one-hidden-layer tanh network under the mean squared error.

    The network is P = tanh(X W1 + b1) W2 + b2 and the loss L = mean over all n * o entries of (P - Y)^2.

    Parameters
    ----------
    X : ndarray (n, d), Y : ndarray (n, o)
    W1 : ndarray (d, h), b1 : ndarray (h,), W2 : ndarray (h, o), b2 : ndarray (o,)

    Returns
    -------
    loss : float
    dW1, db1, dW2, db2 : ndarrays shaped like W1, b1, W2, b2, the gradients of the loss
    """
    net = _layers.Sequential(_layers.Linear(W1.shape[0], W1.shape[1]), _layers.Activation("tanh"),
                             _layers.Linear(W2.shape[0], W2.shape[1]))
    params = [{"W": W1, "b": b1}, {}, {"W": W2, "b": b2}]
    mse = _losses.MeanSquaredError()
    pred, cache = net.forward(X, params)
    loss, loss_cache = mse.forward(pred, Y)
    _, grads = net.backward(mse.backward(loss_cache), cache)
    return loss, grads[0]["W"], grads[0]["b"], grads[2]["W"], grads[2]["b"]


# -- 4.2 gradient descent variants --------------------------------------------------------------------------------

def _noise_enumerated(G, batch_size):
    """exact enumeration of every batch drawn without replacement"""
    G = np.asarray(G, float)
    full = G.mean(0)
    errs = [float(np.sum((G[list(s)].mean(0) - full) ** 2)) for s in itertools.combinations(range(len(G)),
                                                                                             batch_size)]
    return sum(errs) / len(errs)


def _noise_inputs(rng, size):
    N = min(size, 9) + 1
    return {"G": rng.normal(size=(N, int(rng.integers(1, 4)))) * rng.uniform(0.5, 3),
            "batch_size": int(rng.integers(1, N + 1))}


def _noise_falls(kwargs, out):
    G, B = np.asarray(kwargs["G"], float), kwargs["batch_size"]
    sigma2 = np.mean(np.sum((G - G.mean(0)) ** 2, axis=1))
    assert -1e-12 <= out <= sigma2 / B * (1 + 1e-9) + 1e-12, \
        f"{out:.6g} is outside [0, sigma^2 / B] (sampling without replacement is never worse than with)"


@as_exercise(
    "4.2", reference=_noise_enumerated, inputs=_noise_inputs, difficulty=2,
    sizes=(1, 2, 3, 4, 6, 8, 9),
    edge_cases={
        "the full batch has no noise": {"G": np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 0.0]]), "batch_size": 3},
        "identical per-example gradients: no noise at any B": {"G": np.ones((4, 2)), "batch_size": 1},
        "B = 1 gives the spread sigma^2 itself": {"G": np.array([[0.0], [2.0]]), "batch_size": 1},
    },
    properties={"between 0 and the with-replacement value sigma^2 / B": _noise_falls},
    hints=("Let \\(\\sigma^2 = \\frac1N\\sum_i\\lVert g_i - \\bar g\\rVert^2\\) (divide by \\(N\\)). With "
           "replacement the mean of \\(B\\) draws would have error \\(\\sigma^2/B\\).",
           "Without replacement the draws are negatively correlated: multiply by the finite-population "
           "correction \\((N - B)/(N - 1)\\), which makes the full batch exact."),
    key_line="return sigma2 / B * (N - B) / (N - 1)",
    shows=(_train.minibatch_noise,),
)
def minibatch_gradient_noise(G, batch_size):
    """Expected squared error of a minibatch gradient drawn without replacement.

    Parameters
    ----------
    G : ndarray, shape (N, p), N >= 2: row i is example i's gradient
    batch_size : int B in [1, N]

    Returns
    -------
    float
        E || mean of B distinct rows chosen uniformly at random - mean of all rows ||^2.
    """
    return _train.minibatch_noise(G, batch_size)


# -- 4.3 optimizers -----------------------------------------------------------------------------------------------

def _adam_loops(theta0, grads, lr, b1, b2, eps):
    """a loop over steps and coordinates (the update as written)"""
    theta = [float(t) for t in theta0]
    m, v = [0.0] * len(theta), [0.0] * len(theta)
    for t, g in enumerate(np.asarray(grads, float).tolist(), start=1):
        for i, gi in enumerate(g):
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            theta[i] -= lr * (m[i] / (1 - b1 ** t)) / (math.sqrt(v[i] / (1 - b2 ** t)) + eps)
    return np.array(theta), np.array(m), np.array(v)


def _adam_inputs(rng, size):
    p = int(rng.integers(1, 5))
    return {"theta0": rng.normal(size=p), "grads": rng.normal(size=(size, p)) * 10.0 ** rng.integers(-3, 2, p),
            "lr": float(rng.uniform(0.001, 0.1)), "b1": float(rng.choice([0.0, 0.5, 0.9])),
            "b2": float(rng.choice([0.9, 0.99, 0.999])), "eps": float(rng.choice([1e-8, 1e-3]))}


def _moments_bounded(kwargs, out):
    _, m, v = (np.asarray(a) for a in out)
    G = np.asarray(kwargs["grads"], float)
    top = np.abs(G).max(0) if len(G) else np.zeros_like(m)
    assert np.all(v >= 0), "a second-moment estimate is negative"
    assert np.all(np.abs(m) <= top * (1 + 1e-12)), "a first-moment estimate exceeds the largest |gradient| seen"


@as_exercise(
    "4.3", reference=_adam_loops, inputs=_adam_inputs, difficulty=2,
    edge_cases={
        "no steps: theta0 and zero moments": {
            "theta0": np.array([1.0, -2.0]), "grads": np.zeros((0, 2)), "lr": 0.1, "b1": 0.9, "b2": 0.999,
            "eps": 1e-8},
        "the first step moves every coordinate by about lr, whatever the gradient's scale": {
            "theta0": np.array([0.0, 0.0, 0.0]), "grads": np.array([[1e-3, -5.0, 200.0]]), "lr": 0.01,
            "b1": 0.9, "b2": 0.999, "eps": 1e-8},
        "zero gradients do not move theta": {
            "theta0": np.array([3.0]), "grads": np.zeros((3, 1)), "lr": 0.1, "b1": 0.9, "b2": 0.999, "eps": 1e-8},
    },
    properties={"v >= 0 and |m| <= the largest |gradient|": _moments_bounded},
    hints=("Keep two running averages, \\(m \\leftarrow \\beta_1 m + (1-\\beta_1)g\\) and "
           "\\(v \\leftarrow \\beta_2 v + (1-\\beta_2)g^2\\), both starting at 0.",
           "Before stepping, undo the pull towards 0: divide by \\(1-\\beta_1^t\\) and \\(1-\\beta_2^t\\) with "
           "\\(t\\) counted from 1. \\(\\epsilon\\) goes <em>outside</em> the square root."),
    key_line="theta -= lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)",
    shows=(_optim.Adam._direction, _optim.Adam._update),
)
def adam_steps(theta0, grads, lr, b1, b2, eps):
    """Run Adam for T steps with a given sequence of gradients.

    Parameters
    ----------
    theta0 : ndarray (p,), the starting parameters
    grads : ndarray (T, p), T >= 0: the gradient used at step t = 1, ..., T
    lr : float > 0; b1, b2 : float in [0, 1); eps : float > 0

    Returns
    -------
    theta : ndarray (p,), the parameters after T steps
    m, v : ndarray (p,), the (uncorrected) first and second moment estimates after T steps
        Bias correction divides by 1 - b^t with t counted from 1; eps is added to sqrt(v_hat).
    """
    opt = _optim.Adam(lr, b1=b1, b2=b2, eps=eps)
    theta = np.asarray(theta0, float)
    state = opt.init(theta)
    for g in np.asarray(grads, float):
        theta, state = opt.update(g, state, theta)
    return theta, state.slots["m"], state.slots["v"]


# -- 4.4 gradient dynamics ----------------------------------------------------------------------------------------

def _jac_complex_step(x, Ws, bs):
    """complex-step differentiation of each prefix of the stack"""
    x = np.asarray(x, float)

    def prefix(z, k):
        for W, b in zip(Ws[:k], bs[:k]):
            z = np.tanh(z @ W + b)
        return z

    # row j of J_k: d h_k / d x_j (the transpose of complex_step_gradient's d out_i / d x_j layout)
    J = np.array([complex_step_gradient(lambda z, k=k: prefix(z, k), x).T for k in range(len(Ws) + 1)])
    return J, (J ** 2).sum(axis=(1, 2)) / x.size


def _jac_inputs(rng, size):
    n, L = int(rng.integers(1, 5)), min(size, 6)
    sw = rng.uniform(0.5, 2.0)
    return {"x": rng.normal(size=n), "Ws": rng.normal(0, sw / np.sqrt(n), (L, n, n)),
            "bs": rng.normal(0, 0.3, (L, n))}


def _starts_at_identity(kwargs, out):
    J, ms = (np.asarray(a) for a in out)
    n = len(kwargs["x"])
    assert np.allclose(J[0], np.eye(n), atol=1e-12), "J_0 (no layers yet) is not the identity"
    assert np.allclose(ms, (J ** 2).sum(axis=(1, 2)) / n, rtol=1e-10, atol=1e-14), \
        "mean_sq is not ||J_k||_F^2 / n"


@as_exercise(
    "4.4", reference=_jac_complex_step, inputs=_jac_inputs, difficulty=2,
    edge_cases={
        "zero weights: the Jacobian vanishes after the first layer": {
            "x": np.array([1.0, -1.0]), "Ws": np.zeros((2, 2, 2)), "bs": np.array([[0.5, 0.0], [0.0, 0.0]])},
        "at the origin with no biases, tanh'(0) = 1: J_k is the product of the weights": {
            "x": np.zeros(2), "Ws": np.array([[[1.0, 2.0], [0.0, 1.0]], [[0.5, 0.0], [1.0, -1.0]]]),
            "bs": np.zeros((2, 2))},
        "saturated units: J shrinks towards 0": {
            "x": np.array([3.0]), "Ws": np.array([[[10.0]]]), "bs": np.array([[5.0]])},
    },
    properties={"J_0 = I and mean_sq = ||J_k||_F^2 / n": _starts_at_identity},
    hints=("In the row convention \\(h_k = \\tanh(h_{k-1}W_k + b_k)\\), the Jacobian \\(J_k = \\partial h_k / "
           "\\partial x\\) (rows: inputs, columns: outputs) follows \\(J_k = J_{k-1} W_k D_k\\) with "
           "\\(D_k = \\operatorname{diag}(1 - h_k^2)\\).",
           "Multiplying by a diagonal matrix on the right scales the columns: <code>J * (1 - h ** 2)</code>. "
           "Run the forward pass and the Jacobian product together, starting from \\(J_0 = I\\)."),
    key_line="h = np.tanh(h @ W + b); J = (J @ W) * (1 - h ** 2)",
    shows=(_dyn.jacobians_through_depth,),
)
def tanh_stack_jacobians(x, Ws, bs):
    """Input-output Jacobians after every layer of a square tanh network, at one input.

    The network is h_0 = x, h_k = tanh(h_{k-1} W_k + b_k) for k = 1, ..., L (row vectors).

    Parameters
    ----------
    x : ndarray (n,)
    Ws : ndarray (L, n, n); bs : ndarray (L, n), L >= 1

    Returns
    -------
    J : ndarray (L + 1, n, n)
        J[k][i, j] = d h_k[j] / d x[i]  (so J[0] = I and J[k] = J[k-1] @ W_k @ diag(tanh'))
    mean_sq : ndarray (L + 1,), the mean squared singular value ||J[k]||_F^2 / n
    """
    n = len(x)
    layers, params = [], []
    for W, b in zip(Ws, bs):
        layers += [_layers.Linear(n, n), _layers.Activation("tanh")]
        params += [{"W": W, "b": b}, {}]
    r = _dyn.jacobians_through_depth(_layers.Sequential(*layers), params, x)
    return r.jacobians, r.mean_sq


# -- 4.5 gradient accumulation ------------------------------------------------------------------------------------

def _accumulate_loops(X, Y, W, b, micro_batch_size, scaling):
    """a loop over micro-batches with the closed-form gradient of each"""
    X, Y, W, b = (np.asarray(a, float) for a in (X, Y, W, b))
    n = len(X)
    chunks = [(s, min(s + micro_batch_size, n)) for s in range(0, n, micro_batch_size)]
    loss, dW, db = 0.0, np.zeros_like(W), np.zeros_like(b)
    for s, e in chunks:
        w = {"size": (e - s) / n, "count": 1 / len(chunks), "none": 1.0}[scaling]
        R = X[s:e] @ W + b - Y[s:e]
        loss += w * float(np.mean(R ** 2))
        dW += w * 2 * X[s:e].T @ R / R.size
        db += w * 2 * R.sum(0) / R.size
    return loss, dW, db


def _accumulate_inputs(rng, size):
    n, d, o = size + 1, int(rng.integers(1, 4)), int(rng.integers(1, 3))
    return {"X": rng.normal(size=(n, d)), "Y": rng.normal(size=(n, o)), "W": rng.normal(size=(d, o)),
            "b": rng.normal(size=o), "micro_batch_size": int(rng.integers(1, n + 1)),
            "scaling": str(rng.choice(["size", "count", "none"]))}


def _size_is_full_batch(kwargs, out):
    if kwargs["scaling"] != "size":
        return
    full = _accumulate_loops(kwargs["X"], kwargs["Y"], kwargs["W"], kwargs["b"], len(kwargs["X"]), "size")
    assert all(np.allclose(a, f, rtol=1e-9, atol=1e-12) for a, f in zip(out, full)), \
        "size-weighted accumulation differs from the full-batch loss and gradient"


@as_exercise(
    "4.5", reference=_accumulate_loops, inputs=_accumulate_inputs, difficulty=2,
    edge_cases={
        "one micro-batch (B = n) is the full batch for every scaling": {
            "X": np.array([[1.0], [2.0], [3.0]]), "Y": np.array([[1.0], [0.0], [2.0]]), "W": np.array([[0.5]]),
            "b": np.array([0.1]), "micro_batch_size": 3, "scaling": "none"},
        "a short last micro-batch: 'count' over-weights it": {
            "X": np.array([[1.0], [2.0], [3.0]]), "Y": np.array([[1.0], [0.0], [2.0]]), "W": np.array([[0.5]]),
            "b": np.array([0.1]), "micro_batch_size": 2, "scaling": "count"},
        "'none' with equal micro-batches is N times the full batch": {
            "X": np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, -1.0]]),
            "Y": np.array([[1.0], [0.0], [2.0], [0.5]]), "W": np.array([[0.5], [-0.5]]), "b": np.array([0.0]),
            "micro_batch_size": 1, "scaling": "none"},
    },
    properties={"'size' weighting reproduces the full-batch loss and gradient": _size_is_full_batch},
    hints=("Cut the rows, in order, into micro-batches of micro_batch_size (the last may be shorter). For each, "
           "compute the mean-squared-error loss and its gradient as if it were the whole batch, then add them "
           "into one buffer with weight \\(w_j\\).",
           "\\(w_j = n_j/n\\) for 'size' (exactly the full-batch gradient), \\(1/N\\) for 'count' and 1 for "
           "'none'. The MSE averages over every entry of the micro-batch's residual matrix."),
    key_line="dW += w_j * 2 * Xj.T @ (Xj @ W + b - Yj) / (n_j * o)",
    shows=(_memory.accumulate_gradients,),
)
def accumulated_linear_grad(X, Y, W, b, micro_batch_size, scaling):
    """Loss and gradient of a linear model's MSE, accumulated over micro-batches.

    Parameters
    ----------
    X : ndarray (n, d), Y : ndarray (n, o); W : ndarray (d, o), b : ndarray (o,): predictions X W + b
    micro_batch_size : int B in [1, n]: rows [0, B), [B, 2B), ... (the last micro-batch may be shorter)
    scaling : "size" (weight n_j / n), "count" (weight 1 / N for N micro-batches) or "none" (weight 1)

    Returns
    -------
    loss : float, the weighted sum of the micro-batches' mean squared errors (mean over all entries)
    dW, db : ndarrays like W and b, the weighted sum of the micro-batches' gradients
    """
    acc = _memory.accumulate_gradients(_layers.Linear(W.shape[0], W.shape[1]), {"W": W, "b": b},
                                       _losses.MeanSquaredError(), X, Y, micro_batch_size=micro_batch_size,
                                       scaling=scaling)
    return acc.loss, acc.grads["W"], acc.grads["b"]


# -- 4.6 gradient checkpointing -----------------------------------------------------------------------------------

def _checkpoint_simulated(n_layers, every):
    """a simulation of the forward and backward passes, counting stored activations"""
    segments = [list(range(s, min(s + every, n_layers))) for s in range(0, n_layers, every)]
    last = len(segments) - 1
    alive, peak, recomputed = set(), 0, 0
    for s, seg in enumerate(segments):                   # forward: checkpoints, then the last segment's caches
        if s < last:
            alive.add(("checkpoint", s))
        else:
            for layer in seg:
                alive.add(("cache", layer))
                peak = max(peak, len(alive))
    for s in range(last, -1, -1):                        # backward, segment by segment from the end
        if s < last:
            alive.discard(("checkpoint", s))             # the checkpoint becomes the segment's first cache
            for layer in segments[s]:
                alive.add(("cache", layer))
                recomputed += 1
                peak = max(peak, len(alive))
        for layer in segments[s]:
            alive.discard(("cache", layer))
    return len(segments), peak, recomputed


def _checkpoint_inputs(rng, size):
    n = int(rng.integers(1, 4 * size + 2))
    return {"n_layers": n, "every": int(rng.integers(1, n + 1))}


def _never_worse(kwargs, out):
    n = kwargs["n_layers"]
    _, peak, recomputed = out
    assert 1 <= peak <= n, f"a peak of {peak} is outside [1, n = {n}]"
    assert 0 <= recomputed < n, f"{recomputed} recomputed layers is outside [0, n - 1]"


@as_exercise(
    "4.6", reference=_checkpoint_simulated, inputs=_checkpoint_inputs, difficulty=2,
    edge_cases={
        "every = n is plain backprop: peak n, nothing recomputed": {"n_layers": 7, "every": 7},
        "every = 1: peak n, n - 1 layers recomputed": {"n_layers": 5, "every": 1},
        "n = 16, every = 4: peak 2 sqrt(n) - 1 = 7": {"n_layers": 16, "every": 4},
        "a short last segment (n = 10, every = 4)": {"n_layers": 10, "every": 4},
    },
    properties={"never more stored than plain backprop, fewer than n recomputed": _never_worse},
    hints=("Cut the chain into \\(\\lceil n/k\\rceil\\) segments of \\(k\\) layers. The forward pass keeps only each "
           "segment's input (not the last's) and the caches of the last segment. Going backwards, segment "
           "\\(s\\) (from 0) is recomputed from its checkpoint while the \\(s\\) earlier checkpoints are still held.",
           "So the memory while segment \\(s\\) runs is \\(s + n_s\\): the maximum is "
           "\\(\\lfloor n/k\\rfloor + k - 1\\). Every segment but the last is recomputed once."),
    key_line="peak, recomputed = n // k + k - 1, n - n_last",
    shows=(_memory.checkpoint_cost, _memory._segments),
)
def checkpoint_memory(n_layers, every):
    """Cost of segment-wise gradient checkpointing on a chain of layers, in layer activations.

    Parameters
    ----------
    n_layers : int n >= 1
    every : int k in [1, n], the segment length (the last segment holds what is left)

    Returns
    -------
    n_segments : int, ceil(n / k)
    peak_stored : int
        The most activations held at once. The forward pass keeps the input of every segment but the last and all
        caches of the last segment; the backward pass handles segments from the last to the first, recomputing
        each one's caches (its first cache is its checkpoint) from its checkpoint and freeing them when done.
    recomputed : int, the layer evaluations repeated in the backward pass
    """
    c = _memory.checkpoint_cost(n_layers, every)
    return c.n_segments, c.peak_stored, c.recomputed


# -- 4.6.1 the symmetry problem -----------------------------------------------------------------------------------

def _units_cdist(W):
    """scipy.spatial.distance.cdist between columns, and a set of distinct columns"""
    from scipy.spatial.distance import cdist

    W = np.asarray(W, float)
    return cdist(W.T, W.T), len({tuple(col) for col in W.T.tolist()})


def _units_inputs(rng, size):
    n_in, n_units = int(rng.integers(1, 4)), size + 1
    W = rng.normal(size=(n_in, n_units))
    if rng.random() < 0.5:                                  # some units copies of others, as after a symmetric start
        W[:, rng.integers(0, n_units, n_units // 2)] = W[:, [0]]
    return {"W": W}


def _metric(kwargs, out):
    D = np.asarray(out[0])
    assert np.allclose(D, D.T, atol=0) and np.all(np.diag(D) == 0), "D is not symmetric with a zero diagonal"
    assert np.all(D[:, :, None] <= D[:, None, :] + D.T[None, :, :] + 1e-12), "D breaks the triangle inequality"


@as_exercise(
    "4.6.1", reference=_units_cdist, inputs=_units_inputs, difficulty=1,
    edge_cases={
        "a constant start: every unit identical, distances exactly 0, one group": {"W": np.full((3, 4), 0.5)},
        "one unit": {"W": np.array([[1.0], [2.0]])},
        "nearly equal units are at a tiny, non-zero distance": {"W": np.array([[1.0, 1.0 + 1e-9], [2.0, 2.0]])},
        "close units far from the origin (the |a|^2 + |b|^2 - 2ab expansion cancels)": {
            "W": np.array([[1e4, 1e4 + 1e-3, 1e4], [3e4, 3e4, 3e4 - 2e-3]])},
    },
    properties={"D is a metric: symmetric, zero diagonal, triangle inequality": _metric},
    hints=("A hidden unit is a <em>column</em> of \\(W\\) (its incoming weights). Broadcast the units against each "
           "other: <code>U[:, None, :] - U[None, :, :]</code> with <code>U = W.T</code>.",
           "Take the square root of the summed squared differences, not \\(\\lVert a\\rVert^2 + \\lVert b\\rVert^2 - "
           "2a\\cdot b\\): that expansion leaves round-off where two identical units should be at exactly 0. "
           "Count distinct units with <code>np.unique(W.T, axis=0)</code>."),
    key_line="D = np.sqrt(((W.T[:, None, :] - W.T[None, :, :]) ** 2).sum(-1))",
    shows=(_prop.unit_distances,),
)
def hidden_unit_distances(W):
    """How far apart the hidden units of a layer are, and how many distinct units there are.

    Parameters
    ----------
    W : ndarray (n_in, n_units): column j holds unit j's incoming weights

    Returns
    -------
    D : ndarray (n_units, n_units), D[j, k] = Euclidean distance between columns j and k (exactly 0 for equal
        columns)
    n_distinct : int, the number of different columns (units that symmetry has not merged)
    """
    return _prop.unit_distances(W), len(np.unique(np.asarray(W).T, axis=0))


# -- 4.7 weight initialisation ------------------------------------------------------------------------------------

def _init_integrated(shape, scale, mode, distribution):
    """numerical integration of each density (Simpson's rule) for the truncated normal's spread"""
    shape = tuple(shape)
    receptive = 1
    for s in shape[:-2]:
        receptive *= s
    fan_in, fan_out = (shape[0], shape[0]) if len(shape) == 1 else (shape[-2] * receptive, shape[-1] * receptive)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    sd = math.sqrt(scale / n)
    if distribution == "normal":
        return sd, math.inf
    if distribution == "uniform":
        return sd, math.sqrt(3) * sd                     # Var U[-a, a] = a^2 / 3
    z = np.linspace(-2.0, 2.0, 4001)                     # Var of N(0, 1) restricted to [-2, 2], by Simpson's rule
    w = np.ones_like(z)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    dens = np.exp(-z * z / 2)
    var_tn = float((w * z * z * dens).sum() / (w * dens).sum())
    return sd, 2.0 * sd / math.sqrt(var_tn)


def _init_inputs(rng, size):
    ndim = int(rng.integers(1, 5))
    shape = tuple(int(s) for s in rng.integers(1, 3 * size + 2, ndim))
    return {"shape": shape, "scale": float(rng.choice([1.0, 2.0, rng.uniform(0.1, 3.0)])),
            "mode": str(rng.choice(["fan_in", "fan_out", "fan_avg"])),
            "distribution": str(rng.choice(["normal", "truncated_normal", "uniform"]))}


def _bound_vs_sd(kwargs, out):
    sd, bound = out
    ratio = {"normal": math.inf, "uniform": math.sqrt(3), "truncated_normal": 2 / 0.8796256610342398}
    want = ratio[kwargs["distribution"]]
    assert sd > 0, "the standard deviation is not positive"
    assert (math.isinf(want) and math.isinf(bound)) or abs(bound / sd - want) < 1e-9 * want, \
        f"bound / sd = {bound / sd:.6g}, expected {want:.6g} for {kwargs['distribution']}"


@as_exercise(
    "4.7", reference=_init_integrated, inputs=_init_inputs, difficulty=2,
    rtol=1e-9,          # Simpson's rule on 4001 points gets the truncated normal's variance to ~1e-14
    edge_cases={
        "He normal on a 256 x 128 layer: sd sqrt(2/256)": {
            "shape": (256, 128), "scale": 2.0, "mode": "fan_in", "distribution": "normal"},
        "Glorot uniform on 3 x 5: bound sqrt(6 / (3 + 5))": {
            "shape": (3, 5), "scale": 1.0, "mode": "fan_avg", "distribution": "uniform"},
        "a 3 x 3 convolution 16 -> 32: fans multiplied by the 9 taps": {
            "shape": (3, 3, 16, 32), "scale": 1.0, "mode": "fan_out", "distribution": "truncated_normal"},
        "a bias-like 1-D shape: both fans are its length": {
            "shape": (10,), "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"},
    },
    properties={"bound / sd is infinite, sqrt(3) or 2 / 0.8796 by distribution": _bound_vs_sd},
    hints=("The target variance is scale / n, with n the fan-in, the fan-out or their mean. For a shape "
           "\\((\\dots, n_{in}, n_{out})\\) the leading axes (a kernel's taps) multiply both fans; a 1-D shape "
           "\\((n,)\\) has both fans \\(n\\).",
           "Uniform on \\([-a, a]\\) has variance \\(a^2/3\\). A standard normal truncated to \\([-2, 2]\\) has "
           "standard deviation about 0.8796, so its draws are divided by that before scaling; the bound is then "
           "\\(2\\sigma/0.8796\\)."),
    key_line="sd = math.sqrt(scale / n); bound = {'normal': math.inf, 'uniform': math.sqrt(3) * sd, "
             "'truncated_normal': 2 * sd / TRUNCATED_NORMAL_STD}[distribution]",
    shows=(_init.fans, _init._truncated_normal_std, _init.variance_scaling),
)
def variance_scaling_spread(shape, scale, mode, distribution):
    """Standard deviation and largest possible |entry| of a variance-scaling initialiser.

    Parameters
    ----------
    shape : tuple of int, (..., fan_in, fan_out) (leading axes multiply both fans; a 1-D (n,) has both fans n)
    scale : float > 0 (1 for LeCun and Glorot, 2 for He)
    mode : "fan_in", "fan_out" or "fan_avg" (the mean of the two): the n in Var(W) = scale / n
    distribution : "normal", "truncated_normal" (a standard normal cut at +-2, rescaled to the target variance)
        or "uniform"

    Returns
    -------
    sd : float, the standard deviation of each entry
    bound : float, the largest |entry| the distribution can give (math.inf for the normal)
    """
    fan_in, fan_out = _init.fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    sd = math.sqrt(scale / n)
    bound = {"normal": math.inf, "uniform": math.sqrt(3.0) * sd,
             "truncated_normal": 2.0 * sd / _init.TRUNCATED_NORMAL_STD}[distribution]
    return sd, bound


# -- 4.8 loss functions -------------------------------------------------------------------------------------------

def _focal_scalar(z, t, gamma, alpha):
    p = 1 / (1 + np.exp(-z))
    ce = np.log(1 + np.exp(z)) - t * z
    w = 1.0 if alpha is None else alpha * t + (1 - alpha) * (1 - t)
    return w * (1 - (p * t + (1 - p) * (1 - t))) ** gamma * ce


def _focal_complex_step(z, t, gamma, alpha):
    """the definition entry by entry, differentiated by complex step"""
    z, t = np.asarray(z, float), np.asarray(t, float)
    vals = np.array([_focal_scalar(zi, ti, gamma, alpha) for zi, ti in zip(z.ravel(), t.ravel())])
    grad = complex_step_gradient(lambda zc: _focal_scalar(zc, t, gamma, alpha).sum(), z)
    return float(vals.mean()), grad / z.size


def _focal_inputs(rng, size):
    shape = (size, int(rng.integers(1, 3)))
    t = rng.integers(0, 2, shape).astype(float)
    if rng.random() < 0.3:
        t = rng.uniform(0, 1, shape)                      # soft targets
    return {"z": rng.normal(0, 2.5, shape), "t": t, "gamma": float(rng.choice([0.0, 0.5, 1.0, 2.0, 3.0])),
            "alpha": None if rng.random() < 0.4 else float(rng.uniform(0.1, 0.9))}


def _focal_below_ce(kwargs, out):
    z, t = np.asarray(kwargs["z"], float), np.asarray(kwargs["t"], float)
    ce = np.mean(np.logaddexp(0, z) - t * z)
    w = 1.0 if kwargs["alpha"] is None else max(kwargs["alpha"], 1 - kwargs["alpha"])
    assert 0 <= out[0] <= w * ce + 1e-12, "the focal loss is negative or above the (weighted) cross-entropy"


@as_exercise(
    "4.8", reference=_focal_complex_step, inputs=_focal_inputs, difficulty=2,
    edge_cases={
        "gamma = 0, alpha None: plain binary cross-entropy": {
            "z": np.array([[0.0], [2.0], [-1.0]]), "t": np.array([[1.0], [0.0], [0.0]]), "gamma": 0.0,
            "alpha": None},
        "a confident correct example contributes almost nothing": {
            "z": np.array([[9.0]]), "t": np.array([[1.0]]), "gamma": 2.0, "alpha": None},
        "alpha weights positives by alpha, negatives by 1 - alpha": {
            "z": np.array([[0.5, -0.5]]), "t": np.array([[1.0, 0.0]]), "gamma": 1.0, "alpha": 0.25},
    },
    properties={"0 <= focal loss <= weighted cross-entropy": _focal_below_ce},
    hints=("With \\(p = \\sigma(z)\\) and \\(p_t = pt + (1-p)(1-t)\\), each entry's loss is "
           "\\(\\alpha_t(1-p_t)^\\gamma\\,\\text{ce}\\) with \\(\\text{ce} = \\operatorname{softplus}(z) - tz\\) "
           "(stable, unlike \\(-\\log p_t\\)). Average over all entries.",
           "Differentiate the product: \\(\\partial\\text{ce}/\\partial z = p - t\\) and "
           "\\(\\partial(1-p_t)/\\partial z = -(2t-1)\\,p(1-p)\\). Divide the per-entry derivative by the number of "
           "entries."),
    key_line="d = w * ((1 - pt) ** gamma * (p - t) - gamma * (1 - pt) ** (gamma - 1) * (2*t - 1) * p * (1 - p) * ce)",
    shows=(_losses.FocalLoss._values, _losses.FocalLoss._derivative),
)
def focal_loss_grad(z, t, gamma, alpha):
    """Mean binary focal loss from logits, and its gradient.

    Parameters
    ----------
    z : ndarray, logits (any shape); t : ndarray like z, targets in [0, 1]
    gamma : float >= 0, the focusing exponent
    alpha : float in [0, 1] (weight of the positive class; negatives get 1 - alpha) or None (both weighted 1)

    Returns
    -------
    loss : float, the mean over entries of alpha_t (1 - p_t)^gamma ce, with p = sigmoid(z),
        p_t = p t + (1 - p)(1 - t), alpha_t = alpha t + (1 - alpha)(1 - t), ce = softplus(z) - t z
    grad : ndarray like z, d loss / d z
    """
    fl = _losses.FocalLoss(gamma=gamma, alpha=alpha)
    loss, cache = fl.forward(z, t)
    return loss, fl.backward(cache)


# -- 4.9 activation functions -------------------------------------------------------------------------------------

def _mish_mpmath(x):
    """mpmath at 40 digits (value, and derivative by mpmath.diff)"""
    import mpmath

    with mpmath.workdps(40):
        def f(v):
            return v * mpmath.tanh(mpmath.log1p(mpmath.exp(v)))
        vals = [float(f(mpmath.mpf(float(v)))) for v in np.ravel(x)]
        ders = [float(mpmath.diff(f, mpmath.mpf(float(v)))) for v in np.ravel(x)]
    shape = np.shape(x)
    return np.array(vals).reshape(shape), np.array(ders).reshape(shape)


def _mish_inputs(rng, size):
    x = rng.normal(0, 3, size)
    if size > 2:
        x[0] = rng.choice([-1, 1]) * rng.uniform(30, 700)        # far out: exp(x) would overflow or vanish
    return {"x": x}


def _mish_shape(kwargs, out):
    y, dy = (np.asarray(a) for a in out)
    x = np.asarray(kwargs["x"])
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dy)), "a value or derivative is not finite"
    assert np.all(y >= -0.30885) and np.all(y <= np.maximum(x, 0) + 1e-12), \
        "mish left its range [-0.3088..., max(x, 0)]"


@as_exercise(
    "4.9", reference=_mish_mpmath, inputs=_mish_inputs, difficulty=2, atol=1e-300,
    edge_cases={
        "x = 0: value 0, derivative tanh(log 2) = 0.6": {"x": np.array([0.0])},
        "moderately negative x: tiny values, right to 7 digits (log1p, not log(1 + .))": {
            "x": np.array([-20.0, -30.0, -35.0])},
        "large positive x: mish(x) = x, slope 1 (no overflow in exp)": {"x": np.array([50.0, 800.0])},
        "large negative x: value and slope decay to 0, not NaN": {"x": np.array([-50.0, -800.0])},
    },
    properties={"finite, and between the minimum -0.3088... and max(x, 0)": _mish_shape},
    hints=("\\(\\operatorname{mish}(x) = x\\tanh(s)\\) with \\(s = \\operatorname{softplus}(x) = \\log(1+e^x)\\); "
           "its derivative is \\(\\tanh s + x\\,(1-\\tanh^2 s)\\,\\sigma(x)\\) since \\(s' = \\sigma(x)\\).",
           "Compute softplus as \\(\\max(x,0) + \\log(1 + e^{-|x|})\\) so it never overflows. For very negative "
           "\\(x\\), \\(x\\cdot\\tanh(s)\\) is \\(x\\) times a number that underflows to 0: make sure "
           "\\(\\infty\\cdot 0\\) cannot appear."),
    key_line="s = np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))); y = x * np.tanh(s)",
    shows=(_F._softplus, _F._times_decaying, _F._mish, _F._mish_derivative),
)
def mish_and_grad(x):
    """Mish, x tanh(softplus(x)), and its derivative, elementwise and without overflow.

    Parameters
    ----------
    x : ndarray, any shape (values may be large: +-800)

    Returns
    -------
    y : ndarray like x, mish(x)
    dy : ndarray like x, d mish / dx
    """
    return _F.mish(x), _F.mish_derivative(x)


# -- 4.10 layer normalisation -------------------------------------------------------------------------------------

def _layernorm_complex_step(x, gamma, beta, dy, eps):
    """the definition row by row, differentiated by complex step through sum(y * dy)"""
    def forward(x, gamma, beta):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * gamma + beta

    x, gamma, beta, dy = (np.asarray(a, float) for a in (x, gamma, beta, dy))
    grads = complex_step_gradients(lambda *args: np.sum(forward(*args) * dy), [x, gamma, beta])
    return (forward(x, gamma, beta), *grads)


def _layernorm_inputs(rng, size):
    n, d = size, int(rng.integers(2, 6))
    return {"x": rng.normal(rng.normal(0, 3), rng.uniform(0.5, 3), (n, d)), "gamma": rng.normal(1, 0.5, d),
            "beta": rng.normal(0, 1, d), "dy": rng.normal(size=(n, d)), "eps": float(rng.choice([1e-5, 1e-2, 1.0]))}


def _dx_rows_sum_to_zero(kwargs, out):
    dx = np.asarray(out[1])
    assert np.allclose(dx.sum(-1), 0, atol=1e-10 * (1 + np.abs(dx).sum())), \
        "a row of dx does not sum to 0 (shifting a row cannot change its normalised output)"


@as_exercise(
    "4.10", reference=_layernorm_complex_step, inputs=_layernorm_inputs, difficulty=3,
    edge_cases={
        "a constant row: x_hat = 0, so y = beta": {
            "x": np.array([[2.0, 2.0, 2.0]]), "gamma": np.array([1.0, 2.0, 3.0]), "beta": np.array([0.5, 0.0, -1.0]),
            "dy": np.array([[1.0, -1.0, 0.5]]), "eps": 1e-5},
        "dy = 0: every gradient is 0": {
            "x": np.array([[1.0, 2.0], [0.0, -3.0]]), "gamma": np.array([1.0, 1.0]), "beta": np.array([0.0, 0.0]),
            "dy": np.zeros((2, 2)), "eps": 1e-5},
        "a single row: dgamma and dbeta still sum over rows": {
            "x": np.array([[1.0, 4.0, -2.0, 0.5]]), "gamma": np.array([0.5, 1.0, 1.5, 2.0]),
            "beta": np.array([0.0, 1.0, 0.0, 1.0]), "dy": np.array([[0.3, -0.2, 1.0, 0.0]]), "eps": 0.1},
    },
    properties={"each row of dx sums to 0": _dx_rows_sum_to_zero},
    hints=("Per row: \\(\\mu\\), the <em>biased</em> variance \\(\\sigma^2\\), "
           "\\(\\hat x = (x-\\mu)/\\sqrt{\\sigma^2 + \\epsilon}\\), \\(y = \\gamma\\hat x + \\beta\\). "
           "Then \\(d\\beta = \\sum_{rows} dy\\), "
           "\\(d\\gamma = \\sum_{rows} dy\\,\\hat x\\).",
           "With \\(g = \\gamma\\, dy\\): \\(dx = (g - \\bar g - \\hat x\\,\\overline{g\\hat x})/\\sqrt{\\sigma^2+"
           "\\epsilon}\\), the bars being means over the row."),
    key_line="dx = inv_std * (g - g.mean(-1, keepdims=True) - x_hat * (g * x_hat).mean(-1, keepdims=True))",
    shows=(_layers.normalize, _layers.normalize_backward),
)
def layernorm_fwd_bwd(x, gamma, beta, dy, eps):
    """Layer normalisation over the last axis: the output and the gradients of sum(y * dy).

    Parameters
    ----------
    x : ndarray (n, d); gamma, beta : ndarray (d,)
    dy : ndarray (n, d), the upstream gradient dL/dy
    eps : float > 0, added to the (biased, divide-by-d) variance inside the square root

    Returns
    -------
    y : ndarray (n, d), gamma * (x - mean) / sqrt(var + eps) + beta, per row
    dx : ndarray (n, d); dgamma, dbeta : ndarray (d,)
    """
    norm = _layers.normalize(x, axis=-1, eps=eps)
    dx = _layers.normalize_backward(dy * gamma, norm.x_hat, norm.inv_std, axis=-1)
    return gamma * norm.x_hat + beta, dx, (dy * norm.x_hat).sum(0), dy.sum(0)


# -- 4.11 batch normalisation -------------------------------------------------------------------------------------

def _batchnorm_statistics(x, gamma, beta, running_mean, running_var, momentum, eps):
    """python's statistics module, column by column"""
    cols = list(zip(*np.asarray(x, float).tolist()))
    y_cols, means, vars_ = [], [], []
    for j, c in enumerate(cols):
        mu, var = statistics.fmean(c), statistics.pvariance(c)
        y_cols.append([gamma[j] * (v - mu) / math.sqrt(var + eps) + beta[j] for v in c])
        means.append((1 - momentum) * running_mean[j] + momentum * mu)
        unbiased = statistics.variance(c) if len(c) > 1 else 0.0
        vars_.append((1 - momentum) * running_var[j] + momentum * unbiased)
    return np.array(y_cols).T, np.array(means), np.array(vars_)


def _batchnorm_inputs(rng, size):
    n, d = size, int(rng.integers(1, 5))
    return {"x": rng.normal(rng.normal(0, 3, d), rng.uniform(0.5, 3, d), (n, d)), "gamma": rng.normal(1, 0.5, d),
            "beta": rng.normal(0, 1, d), "running_mean": rng.normal(0, 1, d), "running_var": rng.uniform(0.5, 2, d),
            "momentum": float(rng.choice([0.1, 0.01, 1.0, rng.uniform(0.05, 0.5)])),
            "eps": float(rng.choice([1e-5, 1e-3]))}


def _batch_standardised(kwargs, out):
    y = np.asarray(out[0])
    g, b = np.asarray(kwargs["gamma"]), np.asarray(kwargs["beta"])
    z = (y - b) / g
    assert np.allclose(z.mean(0), 0, atol=1e-9), "(y - beta) / gamma does not have batch mean 0"


@as_exercise(
    "4.11", reference=_batchnorm_statistics, inputs=_batchnorm_inputs, difficulty=2,
    edge_cases={
        "a batch of one: x_hat = 0, y = beta, the running variance decays": {
            "x": np.array([[3.0, -1.0]]), "gamma": np.array([2.0, 1.0]), "beta": np.array([0.5, -0.5]),
            "running_mean": np.array([0.0, 0.0]), "running_var": np.array([1.0, 1.0]), "momentum": 0.1,
            "eps": 1e-5},
        "momentum 1: the running statistics become the batch's (variance unbiased)": {
            "x": np.array([[0.0], [2.0], [4.0]]), "gamma": np.array([1.0]), "beta": np.array([0.0]),
            "running_mean": np.array([10.0]), "running_var": np.array([10.0]), "momentum": 1.0, "eps": 1e-5},
    },
    properties={"the normalised batch has mean 0 in every feature": _batch_standardised},
    hints=("Statistics run down the <em>batch</em> (axis 0), one mean and one biased variance per feature; "
           "normalise with \\(\\sqrt{\\sigma^2+\\epsilon}\\), then scale by \\(\\gamma\\) and shift by \\(\\beta\\).",
           "The running averages move a fraction <code>momentum</code> towards the batch statistics, and the "
           "variance stored there is the unbiased one, \\(\\sigma^2\\,n/(n-1)\\) (just \\(\\sigma^2 = 0\\) when "
           "\\(n = 1\\))."),
    key_line="running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)",
    shows=(_layers.BatchNorm._forward, _layers.BatchNorm.update_running),
)
def batchnorm_train_step(x, gamma, beta, running_mean, running_var, momentum, eps):
    """One training-mode batch-normalisation step: the output and the updated running statistics.

    Parameters
    ----------
    x : ndarray (n, d), a batch; gamma, beta : ndarray (d,)
    running_mean, running_var : ndarray (d,), the running statistics before this step (not modified)
    momentum : float in (0, 1], the weight of this batch in the running averages (PyTorch's convention)
    eps : float > 0, added to the batch's biased variance inside the square root

    Returns
    -------
    y : ndarray (n, d), gamma * (x - batch mean) / sqrt(batch variance + eps) + beta
    new_mean, new_var : ndarray (d,), (1 - momentum) * running + momentum * batch statistic, where the batch
        variance stored is the unbiased one (n / (n - 1) times the biased; 0 for n = 1)
    """
    bn = _layers.BatchNorm(x.shape[1], eps=eps, momentum=momentum)
    y, cache = bn.forward(x, {"gamma": gamma, "beta": beta})
    running = bn.update_running({"mean": running_mean, "var": running_var}, cache)
    return y, running["mean"], running["var"]


# -- 4.12 dropout -------------------------------------------------------------------------------------------------

def _dropout_loops(x, u, rate, dy):
    """a loop over entries"""
    x, u, dy = (np.asarray(a, float) for a in (x, u, dy))
    y, dx = np.zeros_like(x), np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        if u[idx] >= rate:                                    # kept with probability 1 - rate
            y[idx] = x[idx] / (1 - rate)
            dx[idx] = dy[idx] / (1 - rate)
    return y, dx


def _dropout_inputs(rng, size):
    shape = (size, int(rng.integers(1, 5)))
    return {"x": rng.normal(size=shape), "u": rng.random(shape), "rate": float(rng.choice([0.0, 0.1, 0.5, 0.9])),
            "dy": rng.normal(size=shape)}


def _kept_or_zero(kwargs, out):
    y = np.asarray(out[0])
    x, rate = np.asarray(kwargs["x"]), kwargs["rate"]
    ok = np.isclose(y, 0, atol=0) | np.isclose(y, x / (1 - rate), rtol=1e-12, atol=0)
    assert np.all(ok), "an output entry is neither 0 nor x / (1 - rate)"


@as_exercise(
    "4.12", reference=_dropout_loops, inputs=_dropout_inputs, difficulty=1,
    edge_cases={
        "rate 0: the identity": {"x": np.array([[1.0, -2.0]]), "u": np.array([[0.0, 0.5]]), "rate": 0.0,
                                 "dy": np.array([[3.0, 4.0]])},
        "u exactly equal to the rate is kept": {"x": np.array([[2.0, 2.0]]), "u": np.array([[0.5, 0.4999]]),
                                                "rate": 0.5, "dy": np.array([[1.0, 1.0]])},
    },
    properties={"every output is 0 or x / (1 - rate)": _kept_or_zero},
    hints=("Keep an entry when its uniform is at least the rate, and scale the kept entries by \\(1/(1-p)\\) so "
           "the expected output equals the input (then evaluation needs no change).",
           "The backward pass applies the same mask and the same scale to the upstream gradient."),
    key_line="scale = (u >= rate) / (1.0 - rate); y, dx = x * scale, dy * scale",
    shows=(_layers.Dropout._forward, _layers.Dropout._backward),
)
def inverted_dropout(x, u, rate, dy):
    """Inverted dropout in training mode, forward and backward, with the randomness given.

    Parameters
    ----------
    x : ndarray, any shape
    u : ndarray like x, uniforms in [0, 1): entry i is kept when u[i] >= rate
    rate : float in [0, 1), the probability of dropping an entry
    dy : ndarray like x, the upstream gradient

    Returns
    -------
    y : ndarray like x, the kept entries divided by (1 - rate), the others 0
    dx : ndarray like x, the gradient with respect to x
    """
    layer = _layers.Dropout(rate)
    y, cache = layer._forward(np.asarray(x, float), {}, Replay(random=[np.asarray(u, float)]), True)
    return y, layer._backward(np.asarray(dy, float), cache)[0]

"""Practice exercises of chapter 2's last pages and chapter 3's first pages (2.12 to 3.19).

Note on array outputs: the engine's stub test compares each size-1 answer with ``(None, None)``, which is
ambiguous for a bare NumPy array with more than one entry. Exercises that return a bare array therefore draw
one-entry answers at size 1 (tuples of arrays are not affected).

Book functions that draw from ``rng`` get the exercise's explicit random inputs through
:class:`~mlsheet_utils.practice._support.Replay`.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np

from mlsheet_utils.algorithms import augmentation as _aug
from mlsheet_utils.algorithms import bayes_linear as _bl
from mlsheet_utils.algorithms import bias_variance as _bv
from mlsheet_utils.algorithms import convexity as _convexity
from mlsheet_utils.algorithms import decomposition as _dec
from mlsheet_utils.algorithms import dimensionality as _dim
from mlsheet_utils.algorithms import feature_selection as _fs
from mlsheet_utils.algorithms import imbalance as _imb
from mlsheet_utils.algorithms import linear as _linear
from mlsheet_utils.algorithms import metrics as _metrics
from mlsheet_utils.algorithms import model_selection as _ms
from mlsheet_utils.algorithms import naive_bayes as _nb
from mlsheet_utils.algorithms import neighbors as _knn
from mlsheet_utils.algorithms import optim as _optim
from mlsheet_utils.algorithms import regularization as _reg
from mlsheet_utils.algorithms import svm as _svm
from mlsheet_utils.algorithms import synthesis as _syn
from mlsheet_utils.algorithms.nn import losses as _losses
from mlsheet_utils.algorithms.trees import boosting as _boosting
from mlsheet_utils.algorithms.trees import ensemble as _ens
from mlsheet_utils.algorithms.trees import tree as _cart
from mlsheet_utils.checks.practice import as_exercise, compare
from mlsheet_utils.practice._support import Replay, complex_step_gradient

# -- 2.12 Lipschitz continuity: the spectral norm by power iteration -----------------------------------------

def _power_norm_closed_form(W, v0, n_iter):
    """a closed form through numpy.linalg.svd"""
    W, v0 = np.asarray(W, float), np.asarray(v0, float)
    _, s, Vt = np.linalg.svd(W)                         # Vt: (n, n); s: min(p, n) singular values
    s = np.r_[s, np.zeros(W.shape[1] - s.size)]
    if s[0] == 0.0:
        return 0.0
    c = Vt @ (v0 / np.linalg.norm(v0))                  # the start in the right singular basis
    # n_iter steps multiply coordinate i by s_i^(2 n_iter); scale by s_max^(2 n_iter) to stay finite
    coef = (s / s[0]) ** (2 * n_iter) * c
    if not np.any(coef):
        return 0.0
    coef /= np.linalg.norm(coef)
    return float(np.sqrt(np.sum((s * coef) ** 2)))


def _power_norm_inputs(rng, size):
    p, n = (int(v) for v in rng.integers(1, size + 2, size=2))
    return {"W": rng.normal(size=(p, n)), "v0": rng.normal(size=n), "n_iter": int(rng.integers(1, 9))}


def _power_norm_bounds(kwargs, out):
    W, v0 = np.asarray(kwargs["W"]), np.asarray(kwargs["v0"])
    top = np.linalg.norm(W, 2)
    start = np.linalg.norm(W @ v0) / np.linalg.norm(v0)
    assert float(out) <= top * (1 + 1e-9) + 1e-12, f"{float(out):.6g} is above the spectral norm {top:.6g}"
    assert float(out) >= start * (1 - 1e-9) - 1e-12, (
        f"{float(out):.6g} is below the start's stretch ||W v0|| / ||v0|| = {start:.6g}: power iteration never "
        "loses ground")


@as_exercise(
    "2.12", reference=_power_norm_closed_form, inputs=_power_norm_inputs, difficulty=2,
    edge_cases={
        "a diagonal matrix started on its top axis: the top entry at once": {
            "W": np.diag([3.0, 1.0]), "v0": np.array([2.0, 0.0]), "n_iter": 1},
        "a start orthogonal to the top direction stays there: the second singular value": {
            "W": np.diag([3.0, 1.0]), "v0": np.array([0.0, 1.0]), "n_iter": 5},
        "a start in the null space: 0": {"W": np.array([[1.0, 0.0]]), "v0": np.array([0.0, 1.0]), "n_iter": 3},
        "a single column: its length": {"W": np.array([[3.0], [4.0]]), "v0": np.array([-1.0]), "n_iter": 2},
    },
    properties={"between the start's stretch ||W v0|| / ||v0|| and ||W||_2": _power_norm_bounds},
    hints=(r"The top right-singular vector of \(W\) is the top eigenvector of \(W^\top W\): repeat "
           r"\(v \leftarrow W^\top W v\) and renormalise, and the stretch \(\lVert W v\rVert\) climbs to "
           r"\(\sigma_{\max}\).",
           "Never form W^T W: apply W, then W.T. If W v is exactly zero you have found the null space: return 0."),
    key_line="v = W.T @ (W @ v); v /= np.linalg.norm(v)",
    shows=(_optim.spectral_norm,),
)
def power_spectral_norm(W, v0, n_iter):
    """Estimate the spectral norm ``||W||_2`` (the Lipschitz constant of ``x -> W x``) by power iteration.

    Parameters
    ----------
    W : ndarray, shape (p, n)
    v0 : ndarray, shape (n,), the nonzero start vector (normalise it first)
    n_iter : int >= 1, the number of updates ``v <- W^T W v / ||W^T W v||``

    Returns
    -------
    float
        ``||W v||`` for the unit vector ``v`` after the ``n_iter`` updates; 0.0 if ``W v`` becomes exactly
        zero on the way (``v0`` in the null space).
    """
    return _optim.spectral_norm(W, n_iter=n_iter, rng=Replay(standard_normal=[np.asarray(v0, float)]))


# -- 2.13 Jensen's inequality: log-sum-exp without overflow ---------------------------------------------------

def _lse_scipy(X, axis):
    """scipy.special.logsumexp"""
    from scipy.special import logsumexp
    return logsumexp(np.asarray(X, float), axis=axis)


def _lse_inputs(rng, size):
    ndim = int(rng.integers(1, 4))
    shape = tuple(int(v) for v in rng.integers(1, size + 1, size=ndim))    # size 1: one entry (see the note)
    X = rng.normal(size=shape) * 10.0 ** rng.uniform(0, 3)          # up to ~1000: exp overflows without a shift
    if rng.random() < 0.3:
        X[rng.random(shape) < 0.2] = -np.inf                           # e^-inf = 0 entries
    return {"X": X, "axis": int(rng.integers(-ndim, ndim))}


def _lse_jensen_bounds(kwargs, out):
    X, axis = np.asarray(kwargs["X"]), kwargs["axis"]
    n = X.shape[axis]
    top = X.max(axis=axis) + np.log(n)
    out = np.asarray(out, float)
    slack = np.where(np.isfinite(top), 1e-9 * (1 + np.abs(np.where(np.isfinite(top), top, 0.0))), 0.0)
    assert np.all(out <= top + slack), "above max + log n: a term was counted more than once"
    finite = np.all(np.isfinite(X), axis=axis)
    low = X.mean(axis=axis) + np.log(n)                                # Jensen on the concave log
    assert np.all(out[finite] >= low[finite] - 1e-9 * (1 + np.abs(low[finite]))), "below mean + log n (Jensen)"


@as_exercise(
    "2.13", reference=_lse_scipy, inputs=_lse_inputs, difficulty=1,
    edge_cases={
        "entries near 1000 do not overflow": {"X": np.array([1000.0, 1000.0, 999.0]), "axis": 0},
        "entries near -1000 do not underflow to -inf": {"X": np.array([[-1000.0, -1001.0]]), "axis": 1},
        "a row of -inf gives -inf, next to a finite row": {"X": np.array([[-np.inf, -np.inf], [0.0, 0.0]]),
                                                           "axis": 1},
        "one entry: itself": {"X": np.array([[2.5], [-7.0]]), "axis": -1},
    },
    properties={"between mean + log n and max + log n along the axis": _lse_jensen_bounds},
    hints=(r"\(\log\sum_i e^{x_i} = m + \log\sum_i e^{x_i - m}\) for any \(m\); with \(m = \max_i x_i\) every "
           "exponent is at most 0, so nothing overflows and the largest term is exactly 1.",
           "Keep the reduced axis (keepdims=True) while you shift, and replace a maximum of -inf by 0 so that "
           "-inf - (-inf) never produces NaN."),
    key_line="m = X.max(axis=axis, keepdims=True); out = m.squeeze(axis) + np.log(np.exp(X - m).sum(axis=axis))",
    shows=(_convexity.logsumexp,),
)
def stable_logsumexp(X, axis):
    """``log(sum(exp(X), axis=axis))`` computed without overflow or underflow.

    Parameters
    ----------
    X : ndarray, any shape with at least one axis; entries may be ``-inf`` (they contribute ``e^-inf = 0``)
    axis : int, the axis summed over (negative values count from the end)

    Returns
    -------
    ndarray (or NumPy scalar for a 1-D ``X``)
        ``X``'s shape with ``axis`` removed; a slice that is all ``-inf`` gives ``-inf``.
    """
    return _convexity.logsumexp(X, axis=axis)


# -- 3.1 Imbalanced data: SMOTE -------------------------------------------------------------------------------

def _smote_loops(X_min, k, base, pick, gap):
    """a loop over the definition (every pair of minority points)"""
    X_min = [list(map(float, row)) for row in np.asarray(X_min)]
    out = []
    for b, j, g in zip(base, pick, gap):
        x = X_min[int(b)]
        dist = [(sum((u - v) ** 2 for u, v in zip(x, X_min[i])), i) for i in range(len(X_min)) if i != int(b)]
        nb = X_min[sorted(dist)[int(j)][1]]                # k nearest, ties to the lower index; pick-th of them
        out.append([u + float(g) * (v - u) for u, v in zip(x, nb)])
    return np.array(out).reshape(len(out), len(X_min[0]))


def _smote_inputs(rng, size):
    m = int(rng.integers(2, size + 3))
    d = int(rng.integers(1, min(size, 3) + 1))
    n_new = int(rng.integers(1, size + 1))
    k = int(rng.integers(1, m))
    return {"X_min": rng.normal(size=(m, d)), "k": k, "base": rng.integers(m, size=n_new),
            "pick": rng.integers(k, size=n_new), "gap": rng.random(n_new)}


def _smote_within_reach(kwargs, out):
    X, k = np.asarray(kwargs["X_min"], float), kwargs["k"]
    base, gap = np.asarray(kwargs["base"]), np.asarray(kwargs["gap"])
    d = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    kth = np.sort(d, axis=1)[:, k - 1]                      # distance to each point's k-th nearest neighbour
    step = np.linalg.norm(np.asarray(out, float) - X[base], axis=1)
    bad = step > gap * kth[base] * (1 + 1e-9) + 1e-12
    assert not bad.any(), (f"new point {int(np.argmax(bad))} is farther from its base than gap x (distance to "
                           "the base's k-th nearest neighbour)")


@as_exercise(
    "3.1", reference=_smote_loops, inputs=_smote_inputs, difficulty=2,
    edge_cases={
        "k = 1, gap 0.5: midpoints to the nearest neighbour": {
            "X_min": np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0]]), "k": 1,
            "base": np.array([0, 2]), "pick": np.array([0, 0]), "gap": np.array([0.5, 0.5])},
        "gap 0 gives the base point itself": {"X_min": np.array([[1.0], [4.0], [9.0]]), "k": 2,
                                              "base": np.array([1]), "pick": np.array([1]), "gap": np.array([0.0])},
        "two neighbours at the same distance: the lower index comes first": {
            "X_min": np.array([[0.0, 0.0], [1.0, 0.0], [-1.0, 0.0]]), "k": 2,
            "base": np.array([0, 0]), "pick": np.array([0, 1]), "gap": np.array([0.25, 0.25])},
        "a duplicate point is a neighbour at distance 0": {
            "X_min": np.array([[2.0, 2.0], [2.0, 2.0], [3.0, 2.0]]), "k": 1,
            "base": np.array([0, 2]), "pick": np.array([0, 0]), "gap": np.array([0.9, 0.5])},
    },
    properties={"each new point is within gap x (its base's k-th neighbour distance) of its base":
                _smote_within_reach},
    hints=("Compute all minority-to-minority squared distances at once, set the diagonal to infinity so a point "
           "is not its own neighbour, and sort each row (stable, so equal distances keep index order).",
           r"Then the j-th new point is \(x_b + \lambda\,(x_n - x_b)\) with \(b\) = base[j], \(n\) its "
           r"pick[j]-th neighbour and \(\lambda\) = gap[j]: all rows in one vectorised line."),
    key_line="X_min[base] + gap[:, None] * (X_min[neighbours[base, pick]] - X_min[base])",
    shows=(_imb.smote,),
)
def smote_points(X_min, k, base, pick, gap):
    """SMOTE's synthetic points, given the random choices.

    Parameters
    ----------
    X_min : ndarray, shape (m, d), the minority points (m >= 2)
    k : int, 1 <= k < m, the number of nearest minority neighbours (Euclidean; a point is not its own
        neighbour; equal distances are ordered by the lower index)
    base : ndarray of int, shape (n_new,), the row of ``X_min`` each new point starts from
    pick : ndarray of int, shape (n_new,), values in [0, k): which of the base's k neighbours (0 = nearest)
    gap : ndarray, shape (n_new,), values in [0, 1): how far along the segment from base to neighbour

    Returns
    -------
    ndarray, shape (n_new, d), the synthetic points ``x_base + gap * (x_neighbour - x_base)``
    """
    X_min, base = np.asarray(X_min, float), np.asarray(base, int)
    m, n_new = len(X_min), len(base)
    X = np.vstack([X_min, np.zeros((m + n_new, X_min.shape[1]))])   # a majority class with m + n_new rows
    y = np.r_[np.ones(m), np.zeros(m + n_new)]
    res = _imb.smote(X, y, k=k, ratio=1.0,
                     rng=Replay(integers=[base, np.asarray(pick, int)], random=[np.asarray(gap, float)]))
    return res.X[len(y):]


# -- 3.2 Bias-variance trade-off: the exact decomposition of ridge regression --------------------------------

def _ridge_bv_lstsq(X_train, X_eval, alpha, f_train, f_eval, noise_sd):
    """ridge as least squares on augmented rows (numpy.linalg.lstsq)"""
    n, p = X_train.shape
    # ridge = least squares on [1 X; 0 sqrt(alpha) I] against [y; 0]: the intercept column gets no penalty row
    A = np.vstack([np.c_[np.ones(n), X_train], np.c_[np.zeros((p, 1)), np.sqrt(alpha) * np.eye(p)]])
    Y = np.vstack([np.column_stack([f_train, np.eye(n)]), np.zeros((p, n + 1))])   # column j + 1: the fit to e_j
    coef = np.linalg.lstsq(A, Y, rcond=None)[0]
    pred = np.c_[np.ones(len(X_eval)), X_eval] @ coef
    bias2 = float(np.mean((pred[:, 0] - f_eval) ** 2))
    variance = float(noise_sd ** 2 * np.mean(np.sum(pred[:, 1:] ** 2, axis=1)))
    return bias2, variance, bias2 + variance + noise_sd ** 2


def _ridge_bv_inputs(rng, size):
    p = int(rng.integers(1, 4))
    n = p + 1 + int(rng.integers(1, size + 2))
    m = int(rng.integers(1, size + 2))
    return {"X_train": rng.normal(size=(n, p)), "X_eval": rng.normal(size=(m, p)),
            "alpha": float(rng.choice([0.0, 10 ** rng.uniform(-2, 1)])),
            "f_train": rng.normal(size=n), "f_eval": rng.normal(size=m), "noise_sd": float(rng.uniform(0.1, 2))}


def _ridge_bv_sum(kwargs, out):
    bias2, variance, error = out
    assert bias2 >= 0 and variance >= 0, f"bias^2 = {bias2:.6g} and variance = {variance:.6g} must be >= 0"
    total = bias2 + variance + kwargs["noise_sd"] ** 2
    assert np.isclose(error, total, rtol=1e-9), (
        f"the error {error:.6g} is not bias^2 + variance + noise^2 = {total:.6g}")


_X4 = np.array([[-1.5], [-0.5], [0.5], [1.5]])

@as_exercise(
    "3.2", reference=_ridge_bv_lstsq, inputs=_ridge_bv_inputs, difficulty=3,
    edge_cases={
        "least squares on its own inputs: variance = noise^2 (p + 1) / n, no bias for a line": {
            "X_train": _X4, "X_eval": _X4, "alpha": 0.0, "f_train": 2 * _X4[:, 0] + 1, "f_eval": 2 * _X4[:, 0] + 1,
            "noise_sd": 1.0},
        "huge alpha: the prediction is the mean of the training targets": {
            "X_train": _X4, "X_eval": np.array([[10.0]]), "alpha": 1e12, "f_train": np.array([1.0, 2.0, 3.0, 6.0]),
            "f_eval": np.array([0.0]), "noise_sd": 2.0},
        "no noise: only bias": {"X_train": _X4, "X_eval": np.array([[0.0], [3.0]]), "alpha": 1.0,
                                "f_train": _X4[:, 0] ** 2, "f_eval": np.array([0.0, 9.0]), "noise_sd": 0.0},
    },
    properties={"bias^2, variance >= 0 and error = bias^2 + variance + noise^2": _ridge_bv_sum},
    hints=(r"Ridge predictions are linear in the targets: \(\hat y_{\text{eval}} = S y\). Then "
           r"\(\mathbb E\hat y = S f_{\text{train}}\) (bias \(S f_{\text{train}} - f_{\text{eval}}\)) and "
           r"\(\operatorname{Cov}\hat y = \sigma^2 S S^\top\) (variance: \(\sigma^2\) times the squared row sums).",
           r"Build \(S\) with an unpenalised intercept: centre the columns by the training mean, "
           r"\(S = \tfrac1n \mathbf 1\mathbf 1^\top + (X_e - \bar x)(X_c^\top X_c + \lambda I)^{-1} X_c^\top\)."),
    key_line="S = 1 / n + (X_eval - mu) @ np.linalg.solve(Xc.T @ Xc + alpha * np.eye(p), Xc.T)",
    shows=(_bv.ridge_smoother, _bv.smoother_decomposition),
)
def ridge_bias_variance(X_train, X_eval, alpha, f_train, f_eval, noise_sd):
    """Exact squared bias, variance and expected test error of ridge regression at a fixed training design.

    The training targets are ``y = f_train + noise_sd * eps`` with ``eps`` standard normal; the model is ridge
    regression with an unpenalised intercept (scikit-learn's ``Ridge(alpha)``; plain least squares at
    ``alpha = 0``), evaluated at the rows of ``X_eval``, whose noiseless targets are ``f_eval``.

    Parameters
    ----------
    X_train : ndarray, shape (n, p); X_eval : ndarray, shape (m, p)
    alpha : float >= 0
    f_train : ndarray, shape (n,); f_eval : ndarray, shape (m,)
    noise_sd : float >= 0

    Returns
    -------
    (bias2, variance, error) : tuple of floats
        Averages over the m evaluation points of the squared bias and of the variance of the prediction, and
        the expected squared error on a fresh noisy target, ``bias2 + variance + noise_sd**2``.
    """
    S = _bv.ridge_smoother(X_train, X_eval, alpha)
    d = _bv.smoother_decomposition(S, f_train, f_eval, noise_sd)
    return d.bias2, d.variance, d.expected_error


# -- 3.3 k-nearest neighbours: the vote shares -------------------------------------------------------------------

def _knn_loops(X, y, Q, k, n_classes, weights):
    """a loop over the definition (sort every training point by distance)"""
    out = []
    for q in np.asarray(Q, float):
        dist = sorted((float(np.sqrt(sum((a - b) ** 2 for a, b in zip(q, x)))), i) for i, x in enumerate(X))[:k]
        if weights == "uniform":
            w = [1.0] * k
        elif any(d == 0 for d, _ in dist):                 # exact matches: only they vote
            w = [1.0 if d == 0 else 0.0 for d, _ in dist]
        else:
            w = [1 / d for d, _ in dist]
        row = [0.0] * n_classes
        for wj, (_, i) in zip(w, dist):
            row[int(y[i])] += wj
        out.append([r / sum(w) for r in row])
    return np.array(out)


def _knn_inputs(rng, size):
    n, d = int(rng.integers(1, size + 3)), int(rng.integers(1, 4))
    n_classes = int(rng.integers(1, min(size, 3) + 1))
    return {"X": rng.normal(size=(n, d)), "y": rng.integers(n_classes, size=n),
            "Q": rng.normal(size=(int(rng.integers(1, size + 1)), d)), "k": int(rng.integers(1, n + 1)),
            "n_classes": n_classes, "weights": str(rng.choice(["uniform", "distance"]))}


def _knn_shares(kwargs, out):
    P = np.asarray(out, float)
    assert np.all(P >= 0), "a vote share is negative"
    assert np.allclose(P.sum(axis=1), 1.0, rtol=1e-12, atol=1e-12), "the shares of a query do not sum to 1"
    if kwargs["weights"] == "uniform":
        votes = P * kwargs["k"]
        assert np.allclose(votes, np.round(votes), atol=1e-9), "uniform shares must be multiples of 1/k"


_LINE = np.array([[0.0], [1.0], [2.0], [3.0]])

@as_exercise(
    "3.3", reference=_knn_loops, inputs=_knn_inputs, difficulty=2,
    edge_cases={
        "a tie at the k-th distance: the lower training index gets in": {
            "X": np.array([[-1.0], [1.0], [5.0]]), "y": np.array([0, 1, 1]), "Q": np.array([[0.0]]), "k": 1,
            "n_classes": 2, "weights": "uniform"},
        "k = n: the class frequencies": {"X": _LINE, "y": np.array([0, 0, 2, 1]), "Q": np.array([[9.0], [-4.0]]),
                                         "k": 4, "n_classes": 3, "weights": "uniform"},
        "distance weights, query on a training point: only it votes": {
            "X": _LINE, "y": np.array([0, 1, 1, 1]), "Q": np.array([[0.0], [0.5]]), "k": 3, "n_classes": 2,
            "weights": "distance"},
        "a class with no training points gets share 0": {
            "X": _LINE, "y": np.array([0, 0, 2, 2]), "Q": np.array([[1.4]]), "k": 3, "n_classes": 3,
            "weights": "distance"},
    },
    properties={"shares are >= 0, sum to 1, and are multiples of 1/k with uniform weights": _knn_shares},
    hints=(r"All query-to-training distances at once: \(\lVert q\rVert^2 - 2q^\top x + \lVert x\rVert^2\), or "
           "broadcasting. A stable argsort of each row gives the neighbours, equal distances in index order.",
           r"The share of class \(c\) is \(\sum_j w_j [y_j = c] / \sum_j w_j\) over the \(k\) neighbours: a one-hot "
           r"(m, k, C) array weighted and summed over k. With distance weights \(w_j = 1/d_j\), unless some "
           "neighbour is at distance 0: then those neighbours get weight 1 and the others 0."),
    key_line="votes = (w[..., None] * (y[idx][..., None] == np.arange(n_classes))).sum(1) / w.sum(1, keepdims=True)",
    shows=(_knn.kneighbors, _knn.class_scores, _knn._raw_weights),
)
def knn_vote_shares(X, y, Q, k, n_classes, weights):
    """The k-nearest-neighbour vote share of every class at every query (brute force, Euclidean).

    Parameters
    ----------
    X : ndarray, shape (n, d), the training points; y : ndarray of int, shape (n,), labels in 0 .. n_classes-1
    Q : ndarray, shape (m, d), the queries
    k : int, 1 <= k <= n; equal distances are ordered by the lower training index
    n_classes : int >= 1
    weights : "uniform" (every neighbour weighs 1) or "distance" (weight 1/d; if any of a query's k neighbours
        is at distance exactly 0, those neighbours weigh 1 and the rest 0)

    Returns
    -------
    ndarray, shape (m, n_classes): each class's share of the neighbours' total weight (rows sum to 1)
    """
    nb = _knn.kneighbors(X, Q, k)
    return _knn.class_scores(np.asarray(y)[nb.indices], nb.distances, n_classes, weights)


# -- 3.4 Decision trees: the best Gini split -------------------------------------------------------------------

class _SplitAnswer(tuple):
    """``(feature, threshold, gain)``, plus ``tied``: the other (feature, threshold) with exactly the same loss
    and a different partition, which rounding may legitimately prefer."""

    tied: tuple = ()


def _gini_split_exact(X, y, n_classes):
    """exact rational arithmetic over every candidate (fractions.Fraction)"""
    X, y = np.asarray(X, float), [int(v) for v in y]
    n = len(y)

    def loss(rows):                                      # n_node * Gini = n_node - sum_k c_k^2 / n_node
        counts = [0] * n_classes
        for r in rows:
            counts[y[r]] += 1
        return Fraction(len(rows)) - Fraction(sum(c * c for c in counts), len(rows))

    cands = []                                           # (loss, feature, threshold, left rows)
    for j in range(X.shape[1]):
        values = sorted(set(X[:, j].tolist()))
        for lo, hi in zip(values[:-1], values[1:]):
            t = lo / 2.0 + hi / 2.0
            t = lo if t >= hi else t
            left = frozenset(r for r in range(n) if X[r, j] <= t)
            cands.append((loss(left) + loss(set(range(n)) - left), j, t, left))
    if not cands:
        return None
    best = min(cands, key=lambda c: (c[0], c[1], c[2]))
    out = _SplitAnswer((best[1], best[2], float(loss(range(n)) - best[0])))
    out.tied = tuple((c[1], c[2]) for c in cands if c[0] == best[0] and c[3] != best[3])
    return out


def _gini_split_compare(expected, obtained):
    if expected is None or obtained is None:
        return compare(expected, obtained)
    why = compare(tuple(expected), obtained)
    if why is None or not isinstance(obtained, (tuple, list)) or len(obtained) != 3:
        return why
    if (obtained[0], obtained[1]) in expected.tied and compare(expected[2], obtained[2]) is None:
        return None                                      # an exact tie with another partition: either is right
    return why


def _gini_split_inputs(rng, size):
    n, d = int(rng.integers(2, size + 3)), int(rng.integers(1, 4))
    X = rng.normal(size=(n, d))
    if rng.random() < 0.5:
        X = np.round(X * 2) / 2                          # repeated values: fewer candidates, some ties
    return {"X": X, "y": rng.integers(0, 3, size=n), "n_classes": 3}


def _gini_split_gain(kwargs, out):
    if out is None:
        X = np.asarray(kwargs["X"])
        assert np.all(X == X[0]), "None, but some feature takes two values: a split exists"
        return
    j, t, gain = out
    X, y = np.asarray(kwargs["X"]), np.asarray(kwargs["y"])
    left = X[:, int(j)] <= t
    assert 0 < left.sum() < len(y), f"x{int(j)} <= {t:.6g} leaves a child empty"
    assert gain >= -1e-12, f"the gain {gain:.6g} is negative: the parent is never worse than the best split"


@as_exercise(
    "3.4", reference=_gini_split_exact, inputs=_gini_split_inputs, difficulty=2, compare=_gini_split_compare,
    edge_cases={
        "a pure node still splits, with gain 0": {"X": np.array([[1.0], [2.0], [3.0]]), "y": np.array([1, 1, 1]),
                                                  "n_classes": 2},
        "every feature constant: None": {"X": np.array([[1.0, 5.0], [1.0, 5.0]]), "y": np.array([0, 1]),
                                         "n_classes": 2},
        "two identical columns: the first feature wins": {
            "X": np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]), "y": np.array([0, 0, 1, 1]),
            "n_classes": 2},
        "repeated values: the threshold sits between distinct values": {
            "X": np.array([[1.0], [1.0], [2.0], [4.0]]), "y": np.array([0, 0, 1, 1]), "n_classes": 2},
    },
    properties={"the split leaves both children non-empty and its gain is >= 0": _gini_split_gain},
    hints=("Sort each feature once; the left child of the cut after the i-th sorted row holds the first i rows, "
           "so its class counts are a cumulative sum of one-hot labels, and the right child's are total minus left.",
           r"A node with \(n\) rows and counts \(c_k\) costs \(n\,G = n - \sum_k c_k^2 / n\). Only cut between "
           "two different values, at their midpoint; keep the first minimum, feature by feature."),
    key_line="left = np.cumsum(onehot[order], axis=0)[:-1]; children = cost(left) + cost(total - left)",
    shows=(_cart._gini, _cart._weighted_impurity, _cart.best_split, _cart._best_split),
)
def best_gini_split(X, y, n_classes):
    """The CART split of one node: the feature and threshold minimising the children's Gini cost.

    Candidates are ``x_j <= t`` with ``t`` halfway between two consecutive distinct values of feature ``j``.
    A node's cost is ``n_node * Gini``, with ``Gini = 1 - sum_k p_k^2``; the best split minimises
    ``cost(left) + cost(right)``. Ties go to the lower feature index, then to the smaller threshold (two
    different partitions with exactly equal cost are both accepted: rounding may separate them).

    Parameters
    ----------
    X : ndarray, shape (n, d); y : ndarray of int, shape (n,), labels in 0 .. n_classes - 1
    n_classes : int >= 1

    Returns
    -------
    (feature, threshold, gain) : (int, float, float), or None when every feature is constant
        ``gain = cost(parent) - cost(left) - cost(right)``.
    """
    stats = _cart.node_statistics(np.asarray(y), np.ones(len(y)), "gini", n_classes)
    split = _cart.best_split(X, stats, lambda S: _cart.weighted_impurity(S, "gini"))
    return None if split is None else (split.feature, split.threshold, split.gain)


# -- 3.5 Support vector machines: the kernel primal objective ----------------------------------------------

def _svm_primal_loops(alpha, b, K, y, C):
    """a loop over the definition (double sum for ||w||^2, one decision value per point)"""
    n = len(y)
    ww = sum(alpha[i] * alpha[j] * y[i] * y[j] * K[i, j] for i in range(n) for j in range(n))
    hinge = 0.0
    for i in range(n):
        f_i = sum(alpha[j] * y[j] * K[j, i] for j in range(n)) + b
        hinge += max(0.0, 1.0 - y[i] * f_i)
    return float(0.5 * ww + C * hinge)


def _svm_feasible_alpha(rng, y, C):
    """alpha in [0, C] with sum(alpha * y) = 0: shrink the heavier class's alphas."""
    alpha = rng.uniform(0, C, size=len(y)) * (rng.random(len(y)) < 0.7)
    pos, neg = alpha[y > 0].sum(), alpha[y < 0].sum()
    if pos > neg:
        alpha[y > 0] *= neg / pos
    elif neg > 0:
        alpha[y < 0] *= pos / neg
    return alpha


def _svm_inputs(rng, size):
    n = int(rng.integers(2, size + 3))
    X = rng.normal(size=(n, int(rng.integers(1, 4))))
    sq = ((X[:, None] - X[None]) ** 2).sum(-1)
    K = X @ X.T if rng.random() < 0.5 else np.exp(-rng.uniform(0.2, 2) * sq)       # linear or RBF Gram
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    C = float(10 ** rng.uniform(-1, 1))
    return {"alpha": _svm_feasible_alpha(rng, y, C), "b": float(rng.normal()), "K": K, "y": y, "C": C}


def _svm_weak_duality(kwargs, out):
    a, K, y = (np.asarray(kwargs[k], float) for k in ("alpha", "K", "y"))
    if not (np.all((a >= 0) & (a <= kwargs["C"])) and abs(a @ y) < 1e-9):
        return                                           # weak duality needs a feasible alpha
    v = a * y
    dual = a.sum() - 0.5 * v @ K @ v
    assert out >= dual - 1e-9 * (1 + abs(dual)), f"primal {out:.6g} is below the dual {dual:.6g}"


_K3 = np.array([[1.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 1.0]])

@as_exercise(
    "3.5", reference=_svm_primal_loops, inputs=_svm_inputs, difficulty=1,
    edge_cases={
        "alpha = 0: w = 0, every point pays max(0, 1 - y b)": {
            "alpha": np.zeros(3), "b": 0.5, "K": _K3, "y": np.array([1.0, -1.0, -1.0]), "C": 2.0},
        "points on their margin pay no hinge": {
            "alpha": np.array([0.5, 0.5]), "b": 0.0, "K": np.array([[1.0, -1.0], [-1.0, 1.0]]),
            "y": np.array([1.0, -1.0]), "C": 1.0},
        "C scales only the hinge part": {
            "alpha": np.array([0.1, 0.1, 0.0]), "b": -0.3, "K": _K3, "y": np.array([1.0, 1.0, -1.0]), "C": 100.0},
    },
    properties={"at least the dual objective sum(alpha) - w.w / 2 (weak duality)": _svm_weak_duality},
    hints=(r"Write \(v = \alpha \circ y\). Then \(w = \sum_i v_i \phi(x_i)\), so \(\lVert w\rVert^2 = v^\top K v\) "
           r"and the decision values are \(f = K v + b\): the feature map is never needed.",
           r"The objective is \(\tfrac12 \lVert w\rVert^2 + C\sum_i \max(0, 1 - y_i f_i)\): a sum over points, "
           "not a mean."),
    key_line="v = alpha * y; Kv = K @ v; return 0.5 * v @ Kv + C * np.maximum(0, 1 - y * (Kv + b)).sum()",
    shows=(_svm.hinge_loss, _svm.primal_objective),
)
def kernel_svm_primal(alpha, b, K, y, C):
    """The soft-margin SVM primal objective at the classifier given by dual coefficients.

    The classifier is ``f(x) = sum_i alpha_i y_i k(x_i, x) + b``, so ``w = sum_i alpha_i y_i phi(x_i)``.

    Parameters
    ----------
    alpha : ndarray, shape (n,), the dual coefficients
    b : float, the intercept
    K : ndarray, shape (n, n), the Gram matrix ``k(x_i, x_j)`` of the training points
    y : ndarray, shape (n,), labels in {-1, +1}
    C : float > 0

    Returns
    -------
    float
        ``||w||^2 / 2 + C * sum_i max(0, 1 - y_i f(x_i))``.
    """
    return _svm.primal_objective(alpha, b, K, y, C)


# -- 3.6 Matrix factorizations: LU with partial pivoting ---------------------------------------------------

def _lu_scipy(A):
    """scipy.linalg.lu"""
    import scipy.linalg
    P, L, U = scipy.linalg.lu(np.asarray(A, float))      # A = P L U, so A[perm] = L U with perm = P.argmax(0)
    return P.argmax(axis=0), L, U


def _lu_inputs(rng, size):
    n = int(rng.integers(1, min(size, 8) + 1))
    A = rng.normal(size=(n, n))
    if n > 2 and rng.random() < 0.3:
        A[:, int(rng.integers(n))] *= 1e-3                 # a badly scaled column: pivoting matters
    return {"A": A}


def _lu_valid(kwargs, out):
    A = np.asarray(kwargs["A"], float)
    perm, L, U = (np.asarray(v) for v in out)
    assert sorted(perm.tolist()) == list(range(len(A))), f"perm {perm.tolist()} is not a permutation"
    assert np.allclose(np.tril(L, -1) + np.eye(len(A)), L) and np.allclose(np.triu(U), U), \
        "L must be unit lower triangular and U upper triangular"
    assert np.all(np.abs(L) <= 1 + 1e-12), "a multiplier exceeds 1 in modulus: the pivot was not the largest"
    assert np.allclose(A[perm], L @ U, rtol=1e-10, atol=1e-12 * (1 + np.abs(A).max())), "A[perm] != L @ U"


@as_exercise(
    "3.6", reference=_lu_scipy, inputs=_lu_inputs, difficulty=2,
    edge_cases={
        "a zero in the corner: swap rows first": {"A": np.array([[0.0, 1.0], [1.0, 0.0]])},
        "equal pivot candidates: the first row stays": {"A": np.array([[1.0, 2.0], [-1.0, 3.0]])},
        "a zero column: nothing to eliminate, U has a zero pivot": {
            "A": np.array([[0.0, 1.0, 2.0], [0.0, 3.0, 1.0], [0.0, 2.0, 5.0]])},
        "1 x 1": {"A": np.array([[-4.0]])},
    },
    properties={"A[perm] = L U, L unit lower triangular with |entries| <= 1, U upper triangular": _lu_valid},
    hints=("At step k, find the row at or below k with the largest |U[i, k]| (the first one on ties), swap it "
           "into row k in U, in the permutation, and in the columns of L already filled (the first k).",
           r"Then the multipliers \(l_{ik} = u_{ik}/u_{kk}\) go under the diagonal of L, and one outer product "
           "removes them from the rows below: a rank-1 update. Skip the step if the whole column is zero."),
    key_line="U[k + 1:, k:] -= np.outer(L[k + 1:, k], U[k, k:])",
    shows=(_dec.lu,),
)
def lu_partial_pivot(A):
    """LU factorisation with partial pivoting (Gaussian elimination).

    Parameters
    ----------
    A : ndarray, shape (n, n)

    Returns
    -------
    (perm, L, U)
        ``perm`` ndarray of int (n,), a permutation with ``A[perm] = L @ U``; ``L`` unit lower triangular with
        multipliers of modulus <= 1; ``U`` upper triangular. At each step the pivot is the entry of largest
        modulus in the column at or below the diagonal (the first one on ties); a column that is already zero
        there is skipped.
    """
    res = _dec.lu(A)
    return res.perm, res.L, res.U


# -- 3.7 Principal component analysis: axes and variances ------------------------------------------------------

def _pca_eigh(X, k):
    """numpy.linalg.eigh of numpy.cov"""
    X = np.asarray(X, float)
    C = np.atleast_2d(np.cov(X, rowvar=False))
    w, V = np.linalg.eigh(C)
    order = np.argsort(w)[::-1][:k]
    comps = V[:, order].T
    idx = np.abs(comps).argmax(axis=1)
    comps = comps * np.sign(comps[np.arange(len(comps)), idx])[:, None]
    return comps.reshape(k, X.shape[1]), w[order]


def _pca_inputs(rng, size):
    d = int(rng.integers(1, min(size, 5) + 1))
    n = int(rng.integers(2, size + 4))
    while True:                                           # distinct leading variances: axes well defined
        X = rng.normal(size=(n, d)) * rng.uniform(0.2, 3, size=d) @ np.linalg.qr(rng.normal(size=(d, d)))[0]
        X += rng.normal(size=d) * 5                       # a mean far from 0: centring matters
        lam = np.sort(np.linalg.svd(X - X.mean(0), compute_uv=False))[::-1]
        k = int(rng.integers(0, min(n - 1, d) + 1))
        gaps = np.abs(np.diff(lam[:min(k + 1, len(lam))])) if k else np.ones(1)
        if gaps.size == 0 or gaps.min() > 1e-2 * lam[0]:
            return {"X": X, "k": k}


def _pca_orthonormal(kwargs, out):
    V, lam = (np.asarray(v, float) for v in out)
    assert np.allclose(V @ V.T, np.eye(len(V)), atol=1e-9), "the axes are not orthonormal"
    assert np.all(np.diff(lam) <= 1e-12 * (1 + abs(lam).max(initial=0))), "variances are not in decreasing order"
    X = np.asarray(kwargs["X"], float)
    scores = (X - X.mean(0)) @ V.T
    assert np.allclose(scores.var(axis=0, ddof=1), lam, rtol=1e-8, atol=1e-12), \
        "the variance of the scores along an axis is not its explained variance"


@as_exercise(
    "3.7", reference=_pca_eigh, inputs=_pca_inputs, difficulty=2,
    edge_cases={
        "points on a line: one axis with all the variance": {
            "X": np.array([[0.0, 0.0], [1.0, 2.0], [2.0, 4.0], [3.0, 6.0]]), "k": 2},
        "the largest entry negative: the axis is flipped": {
            "X": np.array([[0.0, 5.0], [1.0, -5.0], [-1.0, 3.0], [0.5, -3.0]]), "k": 1},
        "k = 0: no axes": {"X": np.array([[1.0, 2.0], [3.0, 1.0], [0.0, 0.0]]), "k": 0},
        "n = 2: one axis, along the difference": {"X": np.array([[1.0, 1.0, 0.0], [3.0, 0.0, 0.0]]), "k": 1},
    },
    properties={"orthonormal axes, decreasing variances, equal to the variance of the scores": _pca_orthonormal},
    hints=(r"Centre the columns, then take the SVD \(X_c = U\Sigma V^\top\): the rows of \(V^\top\) are the axes "
           r"and \(\sigma_j^2/(n-1)\) the variances (the covariance is \(X_c^\top X_c/(n-1)\)).",
           "Each axis has two signs: flip a row when its entry of largest modulus is negative."),
    key_line="_, s, Vt = np.linalg.svd(X - X.mean(0), full_matrices=False); var = s ** 2 / (len(X) - 1)",
    shows=(_dec.pca_fit,),
)
def pca_axes(X, k):
    """The first ``k`` principal axes of the rows of ``X`` and the variance along each.

    Parameters
    ----------
    X : ndarray, shape (n, d), n >= 2
    k : int, 0 <= k <= min(n, d)

    Returns
    -------
    (components, variances)
        ``components`` (k, d): orthonormal rows, by decreasing variance, each with its entry of largest
        modulus positive; ``variances`` (k,): the sample variance (divided by n - 1) of the centred data along
        each axis.
    """
    fit = _dec.pca_fit(X, n_components=k)
    return fit.components, fit.explained_variance


# -- 3.8 Curse of dimensionality: the volume of a ball, in logs ------------------------------------------------

def _log_ball_recurrence(d, r):
    """the recurrence V_d = 2 pi V_(d-2) / d, summed in logs"""
    d = np.asarray(d, int)
    top = int(d.max()) if d.size else 0
    table = np.zeros(top + 1)                              # table[k] = log V_k(1); V_0 = 1, V_1 = 2
    if top >= 1:
        table[1] = np.log(2.0)
    for start in (0, 1):                                    # even and odd dimensions, each a running sum
        ks = np.arange(start + 2, top + 1, 2)
        table[ks] = table[start] + np.cumsum(np.log(2 * np.pi / ks))
    return table[d] + d * np.log(np.asarray(r, float))


def _log_ball_inputs(rng, size):
    d = np.round(10 ** rng.uniform(0, 3.7, size=size)).astype(int)
    r = float(rng.uniform(0.2, 3)) if rng.random() < 0.5 else rng.uniform(0.2, 3, size=size)
    return {"d": d, "r": r}


def _log_ball_bounds(kwargs, out):
    out = np.asarray(out, float)
    assert np.all(np.isfinite(out)), "not finite: the volume under- or overflowed before the log"
    unit = out - np.asarray(kwargs["d"]) * np.log(np.asarray(kwargs["r"], float))
    peak = np.log(8 * np.pi ** 2 / 15)                      # V_5(1), the largest unit ball
    assert np.all(unit <= peak + 1e-9), "a unit ball has volume above V_5(1) = 8 pi^2 / 15"


@as_exercise(
    "3.8", reference=_log_ball_recurrence, inputs=_log_ball_inputs, difficulty=1,
    edge_cases={
        "d = 1, 2, 3: a segment 2r, a disc pi r^2, a sphere's 4/3 pi r^3": {"d": np.array([1, 2, 3]), "r": 2.0},
        "d = 10000: finite, hugely negative": {"d": np.array([10_000]), "r": 1.0},
        "a radius per dimension, broadcast": {"d": np.array([4, 4]), "r": np.array([0.5, 2.0])},
    },
    properties={"finite, and no unit ball beats d = 5": _log_ball_bounds},
    hints=(r"\(V_d(r) = \pi^{d/2} r^d / \Gamma(d/2 + 1)\). The Gamma function overflows past \(d \approx 340\) and "
           "the volume underflows to 0 soon after: work with logarithms throughout.",
           "scipy.special.gammaln gives log Gamma without overflow; everything else is a sum of logs."),
    key_line="return d / 2 * np.log(np.pi) + d * np.log(r) - gammaln(d / 2 + 1)",
    shows=(_dim.ball_volume,),
)
def log_ball_volume(d, r):
    """The natural logarithm of the volume of the ball of radius ``r`` in ``d`` dimensions.

    Parameters
    ----------
    d : ndarray of int >= 1, the dimensions (up to 10^4 and more: no overflow or underflow)
    r : float or ndarray > 0, broadcast against ``d``

    Returns
    -------
    ndarray, the broadcast shape of ``d`` and ``r``: ``log(pi^(d/2) r^d / Gamma(d/2 + 1))``
    """
    return _dim.ball_volume(d, r, log=True)


# -- 3.9 Logistic regression: the penalised loss and its gradient ---------------------------------------------

def _softplus_any(z):
    """log(1 + e^z) for real or complex z (real parts of any size), analytic in z."""
    z = np.asarray(z)
    out = np.empty_like(z)
    pos = z.real > 0
    out[pos] = z[pos] + np.log1p(np.exp(-z[pos]))
    out[~pos] = np.log1p(np.exp(z[~pos]))
    return out


def _logistic_complex_step(beta, X, y, C):
    """complex-step differentiation of the loss written from its definition"""
    X, y = np.asarray(X, float), np.asarray(y, float)
    A = np.c_[np.ones(len(y)), X]
    lam = 0.0 if np.isinf(C) else 1.0 / (C * len(y))

    def J(b):
        z = A @ b
        return np.mean(_softplus_any(z) - y * z) + lam / 2 * (b[1:] @ b[1:])

    return float(J(beta.astype(complex)).real), complex_step_gradient(J, beta)


def _logistic_inputs(rng, size):
    n, d = int(rng.integers(2, size + 3)), int(rng.integers(1, 4))
    y = rng.permutation(np.r_[0, 1, rng.integers(0, 2, size=n - 2)])          # both classes, as the book asks
    return {"beta": rng.normal(size=d + 1) * 2, "X": rng.normal(size=(n, d)), "y": y,
            "C": float(rng.choice([np.inf, 10 ** rng.uniform(-1, 1)]))}


def _logistic_intercept_grad(kwargs, out):
    value, grad = out
    X, y, b = np.asarray(kwargs["X"], float), np.asarray(kwargs["y"], float), np.asarray(kwargs["beta"])
    z = b[0] + X @ b[1:]
    p = np.exp(-np.logaddexp(0, -z))
    assert np.isclose(grad[0], np.mean(p - y), rtol=1e-9, atol=1e-12), \
        f"the intercept's gradient {grad[0]:.6g} is not mean(p - y) = {np.mean(p - y):.6g}: it must not be penalised"
    assert value >= 0, "the loss is negative"


@as_exercise(
    "3.9", reference=_logistic_complex_step, inputs=_logistic_inputs, difficulty=2,
    edge_cases={
        "beta = 0: the loss is log 2": {"beta": np.zeros(3), "X": np.array([[1.0, 2.0], [-1.0, 0.5]]),
                                        "y": np.array([1, 0]), "C": 1.0},
        "logits of +-800: finite loss, no log(0)": {"beta": np.array([0.0, 400.0]),
                                                    "X": np.array([[2.0], [-2.0], [2.0]]), "y": np.array([1, 1, 0]),
                                                    "C": np.inf},
        "C = inf: no penalty even on large weights": {"beta": np.array([1.0, -5.0, 5.0]),
                                                      "X": np.array([[0.1, 0.2], [0.3, -0.1]]),
                                                      "y": np.array([0, 1]), "C": np.inf},
    },
    properties={"the intercept's gradient is mean(p - y), and the loss is >= 0": _logistic_intercept_grad},
    hints=(r"Write the loss through the logits \(z = \beta_0 + X w\): \(\log(1 + e^{z}) - y z\) per point "
           r"(np.logaddexp(0, z)), never \(\log p\) of a rounded probability.",
           r"The gradient is \(\tilde X^\top (p - y)/n\) plus \(w/(Cn)\) on the slopes only; compute "
           r"\(p = \sigma(z)\) stably too."),
    key_line="grad = A.T @ (p - y) / n + np.r_[0.0, w] / (C * n)",
    shows=(_linear.logistic_objective,),
)
def logistic_loss_grad(beta, X, y, C):
    """The L2-penalised logistic regression loss and its gradient.

    With ``z_i = beta[0] + X[i] @ beta[1:]``, ``p_i = sigmoid(z_i)`` and the slopes ``w = beta[1:]``::

        J = mean(log(1 + exp(z_i)) - y_i z_i) + ||w||^2 / (2 C n)

    (the binary cross-entropy plus a penalty that leaves the intercept alone).

    Parameters
    ----------
    beta : ndarray, shape (d + 1,), the intercept first
    X : ndarray, shape (n, d); y : ndarray of 0/1, shape (n,), holding both labels
    C : float > 0, or inf for no penalty

    Returns
    -------
    (value, grad) : (float, ndarray of shape (d + 1,)), finite even for logits in the hundreds
    """
    obj = _linear.logistic_objective(beta, X, y, C=C)
    return obj.value, obj.grad


# -- 3.10 Bayesian linear regression: posterior and predictive -------------------------------------------------

def _blr_conditioning(Phi, y, lam, beta, Phi_new):
    """Gaussian conditioning on y in observation space (an n x n solve)"""
    Phi, Phi_new = np.asarray(Phi, float), np.asarray(Phi_new, float)
    prior = np.eye(Phi.shape[1]) / lam                     # Cov w
    cross = prior @ Phi.T                                   # Cov(w, y)
    marg = Phi @ prior @ Phi.T + np.eye(len(y)) / beta      # Cov y
    gain = np.linalg.solve(marg, cross.T).T                 # Cov(w, y) Cov(y)^-1
    mean = gain @ y
    cov = prior - gain @ cross.T
    return mean, cov, Phi_new @ mean, np.array([f @ cov @ f for f in Phi_new]) + 1 / beta


def _blr_inputs(rng, size):
    n, d, m = int(rng.integers(1, size + 2)), int(rng.integers(1, 4)), int(rng.integers(1, size + 1))
    return {"Phi": rng.normal(size=(n, d)), "y": rng.normal(size=n), "lam": float(10 ** rng.uniform(-1, 1)),
            "beta": float(10 ** rng.uniform(-1, 1.5)), "Phi_new": rng.normal(size=(m, d)) * 2}


def _blr_shrinks(kwargs, out):
    mean, cov, _, var = (np.asarray(v, float) for v in out)
    lam, beta = kwargs["lam"], kwargs["beta"]
    assert np.allclose(cov, cov.T, rtol=1e-10, atol=1e-14), "the posterior covariance is not symmetric"
    ev = np.linalg.eigvalsh(cov)
    assert ev.min() > 0 and ev.max() <= 1 / lam * (1 + 1e-9), \
        "the posterior covariance must be positive definite and no wider than the prior's I / lam"
    assert np.all(var >= 1 / beta * (1 - 1e-12)), "a predictive variance is below the noise variance 1 / beta"


@as_exercise(
    "3.10", reference=_blr_conditioning, inputs=_blr_inputs, difficulty=2,
    edge_cases={
        "one point, one feature: scalar formulas": {"Phi": np.array([[2.0]]), "y": np.array([1.0]), "lam": 1.0,
                                                    "beta": 4.0, "Phi_new": np.array([[1.0], [0.0]])},
        "a feature the data never see keeps its prior": {
            "Phi": np.array([[1.0, 0.0], [2.0, 0.0]]), "y": np.array([1.0, 2.0]), "lam": 0.5, "beta": 10.0,
            "Phi_new": np.array([[0.0, 1.0]])},
        "very precise data: the mean approaches least squares": {
            "Phi": np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]), "y": np.array([1.0, 3.0, 5.0]), "lam": 1e-3,
            "beta": 1e4, "Phi_new": np.array([[1.0, 3.0]])},
    },
    properties={"covariance symmetric, positive, inside the prior's; predictive variance >= 1 / beta": _blr_shrinks},
    hints=(r"The log posterior is quadratic in \(w\): its precision is \(S^{-1} = \lambda I + \beta\Phi^\top\Phi\) "
           r"and its mean \(m = \beta S \Phi^\top y\). Factorise \(S^{-1}\) once (Cholesky) and solve.",
           r"A new point's prediction \(\phi^\top w + \varepsilon\) is a sum of independent Gaussians: mean "
           r"\(\phi^\top m\), variance \(1/\beta + \phi^\top S \phi\) (np.einsum for all rows at once)."),
    key_line="S = np.linalg.inv(lam * np.eye(d) + beta * Phi.T @ Phi); m = beta * S @ Phi.T @ y",
    shows=(_bl.posterior, _bl._posterior, _bl.predictive),
)
def blr_posterior_predictive(Phi, y, lam, beta, Phi_new):
    """Bayesian linear regression with prior ``w ~ N(0, I / lam)`` and noise ``y | w ~ N(Phi w, I / beta)``.

    Parameters
    ----------
    Phi : ndarray, shape (n, d), the training features; y : ndarray, shape (n,)
    lam : float > 0, the prior precision; beta : float > 0, the noise precision
    Phi_new : ndarray, shape (m, d), the features of new inputs

    Returns
    -------
    (mean, cov, pred_mean, pred_var)
        The posterior of ``w``: ``mean`` (d,) and ``cov`` (d, d); the predictive distribution of a new noisy
        target at each row of ``Phi_new``: ``pred_mean`` (m,) and ``pred_var`` (m,) (noise included).
    """
    post = _bl.posterior(Phi, y, lam, beta)
    pred = _bl.predictive(post, Phi_new)
    return post.mean, post.cov, pred.mean, pred.var


# -- 3.11 Ensemble methods: the out-of-bag vote of a bagged ensemble -----------------------------------------

def _chain_tree(values):
    """A book Tree on X = [[0], [1], ..., [n-1]] whose leaf for row i holds values[i] (a chain of splits)."""
    n, K = values.shape
    nodes = 2 * n - 1
    left, right = np.full(nodes, _cart.LEAF), np.full(nodes, _cart.LEAF)
    feature, threshold = np.full(nodes, _cart.UNDEFINED), np.full(nodes, float(_cart.UNDEFINED))
    value, depth = np.zeros((nodes, K)), np.zeros(nodes, int)
    for i in range(n - 1):                                  # inner node 2i: x <= i + 0.5 goes to the leaf of row i
        left[2 * i], right[2 * i], feature[2 * i], threshold[2 * i] = 2 * i + 1, 2 * i + 2, 0, i + 0.5
        value[2 * i + 1], depth[2 * i], depth[2 * i + 1] = values[i], i, i + 1
    value[nodes - 1], depth[nodes - 1] = values[n - 1], n - 1
    zeros = np.zeros(nodes)
    return _cart.Tree(left, right, feature, threshold, value, zeros, np.ones(nodes, int), zeros + 1, depth, zeros,
                      zeros, 1, "gini")


def _oob_loops(votes, samples):
    """a loop over the definition (each row, the trees that never drew it)"""
    B, n, K = votes.shape
    out = np.full((n, K), np.nan)
    for i in range(n):
        unseen = [b for b in range(B) if i not in set(samples[b].tolist())]
        if unseen:
            out[i] = [math.fsum(votes[b, i, k] for b in unseen) / len(unseen) for k in range(K)]
    return out


def _oob_inputs(rng, size):
    B, n, K = int(rng.integers(1, size + 2)), int(rng.integers(1, size + 2)), int(rng.integers(1, 4))
    if size == 1:
        n = K = 1                                            # one entry (see the note on array outputs)
    votes = rng.dirichlet(np.ones(K), size=(B, n))           # each tree's class proportions at each row
    if rng.random() < 0.5:
        votes = np.eye(K)[votes.argmax(-1)]                  # fully grown trees: one-hot votes
    return {"votes": votes, "samples": rng.integers(0, n, size=(B, n))}


def _oob_rows(kwargs, out):
    P = np.asarray(out, float)
    samples = np.asarray(kwargs["samples"])
    seen_by_all = np.array([all(i in set(s.tolist()) for s in samples) for i in range(P.shape[0])])
    assert np.all(np.isnan(P[seen_by_all])), "a row every tree drew must be NaN: no tree can vote on it"
    ok = P[~seen_by_all]
    assert not np.isnan(ok).any() and np.allclose(ok.sum(axis=1), 1, atol=1e-12), \
        "an out-of-bag row must be a probability vector"


@as_exercise(
    "3.11", reference=_oob_loops, inputs=_oob_inputs, difficulty=1,
    edge_cases={
        "a row drawn by every tree: NaN": {"votes": np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.5, 0.5], [1.0, 0.0]]]),
                                           "samples": np.array([[0, 0], [0, 1]])},
        "a row drawn twice by a tree is still in-bag for it": {
            "votes": np.array([[[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]]]),
            "samples": np.array([[2, 2, 2], [0, 0, 1]])},
        "one tree: its own votes where it did not look": {"votes": np.array([[[0.2, 0.8], [0.6, 0.4]]]),
                                                          "samples": np.array([[1, 1]])},
    },
    properties={"NaN exactly where every tree drew the row; probability vectors elsewhere": _oob_rows},
    hints=("Build a (B, n) boolean mask of which rows each tree did NOT draw: start from all True and set "
           "mask[b, samples[b]] = False with fancy indexing (repeats are harmless).",
           "Weight the votes by the mask, sum over trees, and divide by how many trees each row was out of bag "
           "for; 0 / 0 gives NaN, silence the warning with np.errstate."),
    key_line="oob = np.ones((B, n), bool); oob[np.arange(B)[:, None], samples] = False",
    shows=(_ens.oob_proba,),
)
def oob_vote(votes, samples):
    """Out-of-bag class proportions of a bagged ensemble.

    Parameters
    ----------
    votes : ndarray, shape (B, n, K), tree b's class proportions at training row i
    samples : ndarray of int, shape (B, m), the bootstrap sample (row indices, with repeats) tree b was fitted on

    Returns
    -------
    ndarray, shape (n, K)
        Row i averaged over the trees whose sample does not contain i; a row of NaN where every tree drew i.
    """
    votes = np.asarray(votes, float)
    n = votes.shape[1]
    trees = [_chain_tree(v) for v in votes]                 # book trees that return these votes on X = 0..n-1
    return _ens.oob_proba(trees, samples, np.arange(n, dtype=float)[:, None])


# -- 3.12 XGBoost: the gain of every cut of one feature ------------------------------------------------------

def _xgb_gains_loops(x, g, h, reg_lambda, gamma):
    """a loop over the definition (the sums of each side, cut by cut)"""
    values = sorted(set(float(v) for v in x))
    thresholds, gains = [], []
    for lo, hi in zip(values[:-1], values[1:]):
        t = lo / 2 + hi / 2
        t = lo if t >= hi else t
        GL = sum(gi for xi, gi in zip(x, g) if xi <= t)
        HL = sum(hi_ for xi, hi_ in zip(x, h) if xi <= t)
        GR = sum(gi for xi, gi in zip(x, g) if xi > t)
        HR = sum(hi_ for xi, hi_ in zip(x, h) if xi > t)
        score = GL ** 2 / (HL + reg_lambda) + GR ** 2 / (HR + reg_lambda) - (GL + GR) ** 2 / (HL + HR + reg_lambda)
        thresholds.append(t)
        gains.append(score / 2 - gamma)
    return np.array(thresholds), np.array(gains)


def _xgb_gains_inputs(rng, size):
    n = int(rng.integers(2, size + 3))
    x = rng.normal(size=n)
    if rng.random() < 0.4:
        x = np.round(x)                                      # repeated values
    return {"x": x, "g": rng.normal(size=n), "h": rng.uniform(0.05, 1, size=n),
            "reg_lambda": float(rng.choice([0.0, rng.uniform(0.1, 3)])), "gamma": float(rng.uniform(0, 0.5))}


def _xgb_gain_floor(kwargs, out):
    thresholds, gains = (np.asarray(v, float) for v in out)
    assert np.all(np.diff(thresholds) > 0), "the thresholds must increase"
    if kwargs["reg_lambda"] == 0:                           # (with lambda > 0 a split can cost more than it saves)
        bad = gains + kwargs["gamma"] < -1e-12 * (1 + np.abs(gains))
        assert not bad.any(), (f"cut {int(np.argmax(bad))} has gain + gamma < 0: with lambda = 0 a split never "
                               "raises the second-order objective (Cauchy-Schwarz)")


@as_exercise(
    "3.12", reference=_xgb_gains_loops, inputs=_xgb_gains_inputs, difficulty=2,
    edge_cases={
        "one distinct value: no cut": {"x": np.array([2.0, 2.0, 2.0]), "g": np.array([1.0, -1.0, 0.5]),
                                       "h": np.ones(3), "reg_lambda": 1.0, "gamma": 0.0},
        "gradients that cancel on each side: gain -gamma": {
            "x": np.array([0.0, 0.0, 1.0, 1.0]), "g": np.array([1.0, -1.0, 2.0, -2.0]), "h": np.ones(4),
            "reg_lambda": 1.0, "gamma": 0.25},
        "unsorted x with repeats": {"x": np.array([3.0, 1.0, 3.0, 2.0, 1.0]),
                                    "g": np.array([1.0, -2.0, 1.5, 0.0, -1.0]),
                                    "h": np.array([0.5, 1.0, 0.5, 2.0, 1.0]), "reg_lambda": 0.0, "gamma": 0.1},
    },
    properties={"thresholds increase; with lambda = 0, gain + gamma >= 0 at every cut": _xgb_gain_floor},
    hints=(r"A leaf with gradient sum \(G\) and Hessian sum \(H\) scores \(-G^2/(2(H+\lambda))\) at its best "
           r"weight \(-G/(H+\lambda)\); a cut's gain is the parent's score minus its children's, minus \(\gamma\).",
           "Sort x once: the left sums of every cut are prefix sums (np.cumsum) of g and h in that order; keep only "
           "positions where the next sorted value is larger, and cut halfway between the two."),
    key_line="gain = 0.5 * (GL**2 / (HL + lam) + GR**2 / (HR + lam) - G**2 / (H + lam)) - gamma",
)
def xgb_cut_gains(x, g, h, reg_lambda, gamma):
    """XGBoost's gain for every cut of one feature (exact greedy search, no missing values).

    Parameters
    ----------
    x : ndarray, shape (n,), the feature (any order, repeats allowed)
    g, h : ndarray, shape (n,), each row's gradient and Hessian (h > 0)
    reg_lambda : float >= 0, the L2 penalty on leaf weights; gamma : float >= 0, the cost of one more leaf

    Returns
    -------
    (thresholds, gains) : two ndarrays of shape (c,)
        One entry per pair of consecutive distinct values of ``x``, by increasing value: the threshold halfway
        between them (rows with ``x <= threshold`` go left) and the gain
        ``(GL^2/(HL+lambda) + GR^2/(HR+lambda) - (GL+GR)^2/(HL+HR+lambda)) / 2 - gamma``.
    """
    order = np.argsort(x, kind="stable")
    xs, GL, HL = np.asarray(x, float)[order], np.cumsum(g[order]), np.cumsum(h[order])
    cut = np.flatnonzero(xs[1:] > xs[:-1])                   # left child = sorted rows 0 .. cut
    lo, hi = xs[cut], xs[cut + 1]
    thresholds = np.where(lo / 2 + hi / 2 < hi, lo / 2 + hi / 2, lo)
    gains = _boosting.split_gain(GL[cut], HL[cut], GL[-1] - GL[cut], HL[-1] - HL[cut], reg_lambda, gamma)
    return thresholds, gains


# -- 3.13 Performance metrics: ROC-AUC from ranks -------------------------------------------------------------

def _auc_pairs(y, scores):
    """a loop over every (positive, negative) pair"""
    pos = [s for s, t in zip(scores, y) if t == 1]
    neg = [s for s, t in zip(scores, y) if t == 0]
    wins = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg)
    return wins / (len(pos) * len(neg))


def _auc_inputs(rng, size):
    n = int(rng.integers(2, 2 * size + 3))
    y = rng.permutation(np.r_[0, 1, rng.integers(0, 2, size=n - 2)])
    scores = rng.normal(size=n) + y * rng.uniform(0, 2)
    if rng.random() < 0.5:
        scores = np.round(scores, 1)                         # ties between and within the classes
    return {"y": y, "scores": scores}


def _auc_half_units(kwargs, out):
    y = np.asarray(kwargs["y"])
    pairs = (y == 1).sum() * (y == 0).sum()
    assert 0 <= out <= 1, f"AUC {out:.6g} outside [0, 1]"
    assert abs(2 * out * pairs - round(2 * out * pairs)) < 1e-9, \
        "AUC x (number of pairs) must be a multiple of 1/2: whole wins and half ties"


@as_exercise(
    "3.13", reference=_auc_pairs, inputs=_auc_inputs, difficulty=2,
    edge_cases={
        "every score equal: 0.5": {"y": np.array([0, 1, 1, 0]), "scores": np.array([3.0, 3.0, 3.0, 3.0])},
        "positives all on top: 1": {"y": np.array([1, 0, 1, 0]), "scores": np.array([0.9, 0.1, 0.8, 0.2])},
        "positives all at the bottom: 0": {"y": np.array([1, 0, 1, 0]), "scores": np.array([-1.0, 2.0, -3.0, 0.0])},
        "one tie across the classes counts half": {"y": np.array([1, 0, 0]), "scores": np.array([0.5, 0.5, 0.1])},
    },
    properties={"in [0, 1], and a multiple of 1/2 per (positive, negative) pair": _auc_half_units},
    hints=(r"AUC is the chance that a random positive outscores a random negative, ties counting one half. "
           r"Rank all scores (1 = smallest); the positives' rank sum minus \(n_1(n_1+1)/2\) counts those wins.",
           "Tied scores share the mean of their ranks: np.unique with return_inverse and return_counts gives each "
           "group's first position and size."),
    key_line="u = ranks[y == 1].sum() - n1 * (n1 + 1) / 2; auc = u / (n1 * n0)",
    shows=(_metrics.roc_auc_rank,),
)
def rank_auc(y, scores):
    """ROC-AUC without drawing the curve: the Mann-Whitney U statistic over n1 * n0.

    Parameters
    ----------
    y : ndarray of 0/1, shape (n,), with both classes present
    scores : ndarray, shape (n,), higher = more positive; ties allowed

    Returns
    -------
    float
        The fraction of (positive, negative) pairs in which the positive scores higher, a tie counting 1/2.
        O(n log n): sort or rank, do not loop over pairs.
    """
    return _metrics.roc_auc_rank(y, scores)


# -- 3.14 Regularization: the elastic net by coordinate descent ----------------------------------------------

def _enet_centred(X, y, alpha, l1_ratio):
    X, y = np.asarray(X, float), np.asarray(y, float)
    Xc, yc = X - X.mean(0), y - y.mean()
    n = len(y)
    return Xc.T @ Xc / n, Xc.T @ yc / n, alpha * l1_ratio, alpha * (1 - l1_ratio)


def _enet_enumeration(X, y, alpha, l1_ratio):
    """exact enumeration of the sign patterns (KKT conditions solved on each)"""
    G, q, a1, b = _enet_centred(X, y, alpha, l1_ratio)
    p = len(q)
    for signs in itertools.product((0, 1, -1), repeat=p):      # 0: the coefficient is exactly zero
        s = np.array(signs, float)
        on = s != 0
        w = np.zeros(p)
        if on.any():
            w[on] = np.linalg.solve(G[np.ix_(on, on)] + b * np.eye(on.sum()), q[on] - a1 * s[on])
        if np.any(np.sign(w[on]) != s[on]):
            continue
        if np.all(np.abs(q[~on] - G[~on] @ w) <= a1 * (1 + 1e-12)):
            X, y = np.asarray(X, float), np.asarray(y, float)
            return w, float(y.mean() - X.mean(0) @ w)
    raise AssertionError("no sign pattern satisfies the KKT conditions")   # pragma: no cover


def _enet_inputs(rng, size):
    p = int(rng.integers(1, min(size, 4) + 1))
    n = p + 1 + int(rng.integers(1, size + 2))
    X = rng.normal(size=(n, p)) + rng.normal(size=p)
    y = X @ (rng.normal(size=p) * rng.integers(0, 2, size=p)) + rng.normal(size=n) + 3.0
    l1_ratio = float(rng.choice([1.0, rng.uniform(0.2, 0.9)]))
    G, q, _, _ = _enet_centred(X, y, 1.0, 1.0)
    alpha_max = np.abs(q).max() / l1_ratio                    # the smallest alpha with every coefficient 0
    return {"X": X, "y": y, "alpha": float(alpha_max * rng.uniform(0.02, 1.1)), "l1_ratio": l1_ratio}


def _enet_kkt(kwargs, out):
    coef, intercept = out
    coef = np.asarray(coef, float)
    G, q, a1, b = _enet_centred(kwargs["X"], kwargs["y"], kwargs["alpha"], kwargs["l1_ratio"])
    corr = q - G @ coef - b * coef                            # minus the gradient of the smooth part
    scale = 1e-6 * (1 + np.abs(q).max())
    on = coef != 0
    assert np.all(np.abs(corr[on] - a1 * np.sign(coef[on])) <= scale), "a non-zero coefficient is not stationary"
    assert np.all(np.abs(corr[~on]) <= a1 + scale), "a zero coefficient should move: |correlation| > alpha * l1_ratio"
    X, y = np.asarray(kwargs["X"], float), np.asarray(kwargs["y"], float)
    assert np.isclose(intercept, y.mean() - X.mean(0) @ coef, rtol=1e-9, atol=1e-9), \
        "the intercept must make the residuals average 0 (it is not penalised)"


@as_exercise(
    "3.14", reference=_enet_enumeration, inputs=_enet_inputs, difficulty=3,
    rtol=1e-6, atol=1e-8,           # a reader's iterative solver stops at some tolerance; 0.1% errors still fail
    edge_cases={
        "alpha at alpha_max: every coefficient 0, intercept mean(y)": {
            "X": np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0], [1.0, 3.0]]), "y": np.array([1.0, 2.0, 4.0, 5.0]),
            "alpha": 2.5, "l1_ratio": 1.0},
        "orthogonal centred columns: the lasso is a soft threshold": {
            "X": np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]]),
            "y": np.array([3.0, 1.0, -1.0, 0.2]), "alpha": 0.5, "l1_ratio": 1.0},
        "l1_ratio = 0: ridge, nothing exactly zero": {
            "X": np.array([[0.0], [1.0], [2.0], [3.0]]), "y": np.array([0.0, 1.0, 1.0, 3.0]), "alpha": 0.5,
            "l1_ratio": 0.0},
    },
    properties={"the KKT conditions hold and the intercept centres the residuals": _enet_kkt},
    hints=(r"Centre X and y (the intercept is \(\bar y - \bar x^\top w\), unpenalised). Holding the other "
           r"coordinates fixed, the objective in \(w_j\) is a parabola plus \(\alpha\rho|w_j|\): its minimiser is a "
           r"soft-threshold, \(w_j = S_{\alpha\rho}(z_j) / (\lVert x_j\rVert^2/n + \alpha(1-\rho))\).",
           r"\(z_j = x_j^\top r_{(j)}/n\) with \(r_{(j)}\) the residual without feature \(j\). Sweep the "
           "coordinates in order until no coefficient moves by more than a tiny tolerance (1e-13 of the largest)."),
    key_line="w[j] = np.sign(z) * max(abs(z) - alpha * l1_ratio, 0) / (G[j, j] + alpha * (1 - l1_ratio))",
    shows=(_reg.soft_threshold, _reg.enet_coordinate_descent, _reg._cd),
)
def enet_cd(X, y, alpha, l1_ratio):
    """The elastic-net fit (scikit-learn's ``ElasticNet`` objective) by cyclic coordinate descent.

    Minimise over ``w`` and an unpenalised intercept ``b``::

        ||y - b - X w||^2 / (2 n) + alpha * l1_ratio * ||w||_1 + alpha * (1 - l1_ratio) / 2 * ||w||^2

    Parameters
    ----------
    X : ndarray, shape (n, p), full column rank; y : ndarray, shape (n,)
    alpha : float >= 0; l1_ratio : float in [0, 1] (1: the lasso, 0: ridge)

    Returns
    -------
    (coef, intercept) : (ndarray of shape (p,), float)
        The minimiser, to about 1e-9 (iterate to convergence); coefficients the L1 penalty zeroes are exactly 0.
    """
    fit = _reg.enet_coordinate_descent(X, y, alpha, l1_ratio, tol=1e-15, max_iter=100_000)
    return fit.coef, fit.intercept


# -- 3.15 Naive Bayes: multinomial, with Laplace/Lidstone smoothing -------------------------------------------

def _mnb_loops(X, y, X_new, alpha):
    """a loop over the definition (math.log and math.fsum)"""
    classes = sorted(set(np.asarray(y).tolist()))
    V = len(X[0])
    logp = []
    for c in classes:
        rows = [x for x, t in zip(X, y) if t == c]
        counts = [math.fsum(r[v] for r in rows) for v in range(V)]
        total = math.fsum(counts)
        theta = [math.log((counts[v] + alpha) / (total + alpha * V)) for v in range(V)]
        logp.append((math.log(len(rows) / len(y)), theta))
    out = []
    for x in X_new:
        joint = [prior + math.fsum(float(x[v]) * th[v] for v in range(V)) for prior, th in logp]
        top = max(joint)
        norm = top + math.log(math.fsum(math.exp(j - top) for j in joint))
        out.append([j - norm for j in joint])
    return np.array(out)


def _mnb_inputs(rng, size):
    n, V, k = int(rng.integers(2, size + 3)), int(rng.integers(1, 6)), int(rng.integers(1, min(size, 3) + 1))
    y = rng.permutation(np.r_[np.arange(k), rng.integers(0, k, size=max(n - k, 0))])
    X = rng.poisson(rng.uniform(0.2, 3, size=(k, V))[y]).astype(float)
    X_new = rng.poisson(1.5, size=(int(rng.integers(1, size + 1)), V)).astype(float)
    return {"X": X, "y": y, "X_new": X_new, "alpha": float(rng.choice([1.0, 10 ** rng.uniform(-2, 0.5)]))}


def _mnb_normalised(kwargs, out):
    L = np.asarray(out, float)
    assert np.all(np.isfinite(L)) and np.all(L <= 1e-12), "log-probabilities must be finite and <= 0"
    m = L.max(axis=1, keepdims=True)
    total = (m + np.log(np.exp(L - m).sum(axis=1, keepdims=True)))[:, 0]
    assert np.allclose(total, 0, atol=1e-9), "the class probabilities of a row do not sum to 1"


@as_exercise(
    "3.15", reference=_mnb_loops, inputs=_mnb_inputs, difficulty=2,
    edge_cases={
        "an empty document: the prior": {"X": np.array([[2.0, 0.0], [0.0, 3.0], [1.0, 1.0]]),
                                         "y": np.array([0, 1, 1]), "X_new": np.array([[0.0, 0.0]]), "alpha": 1.0},
        "a word unseen in a class, tiny alpha: that class nearly ruled out": {
            "X": np.array([[3.0, 0.0], [0.0, 2.0]]), "y": np.array([0, 1]), "X_new": np.array([[0.0, 1.0]]),
            "alpha": 1e-6},
        "a 5000-word document: no underflow": {"X": np.array([[5.0, 1.0, 0.0], [1.0, 1.0, 4.0]]),
                                              "y": np.array([0, 1]), "X_new": np.array([[2000.0, 1000.0, 2000.0]]),
                                              "alpha": 1.0},
        "one class (label 7): log-probability 0": {"X": np.array([[1.0, 2.0], [0.0, 1.0]]), "y": np.array([7, 7]),
                                     "X_new": np.array([[4.0, 0.0]]), "alpha": 0.5},
    },
    properties={"finite log-probabilities whose probabilities sum to 1 per row": _mnb_normalised},
    hints=(r"Fit: per class \(c\), add up the counts of each word, \(N_{cv}\), and smooth: "
           r"\(\log\theta_{cv} = \log(N_{cv} + \alpha) - \log(N_c + \alpha V)\); the log-prior is the log of the "
           "class frequency.",
           r"Predict in log space: the joint \(\log P(c) + \sum_v x_v \log\theta_{cv}\) is one matrix product; "
           "subtract each row's log-sum-exp (shift by its maximum) to normalise."),
    key_line="jll = X_new @ log_theta.T + log_prior; out = jll - logsumexp(jll, axis=1, keepdims=True)",
    shows=(_nb.lidstone_log_prob, _nb.MultinomialNB, _nb._NaiveBayes.predict_log_proba),
)
def multinomial_nb_log_proba(X, y, X_new, alpha):
    """Fit a multinomial naive Bayes model and return the log posterior of each class for new documents.

    Parameters
    ----------
    X : ndarray, shape (n, V), word counts of the training documents; y : ndarray, shape (n,), their labels
    X_new : ndarray, shape (m, V), word counts of new documents
    alpha : float > 0, the additive smoothing of the word probabilities (1: Laplace)

    Returns
    -------
    ndarray, shape (m, k)
        ``log P(class | document)`` with the classes in sorted order (``np.unique(y)``), the class priors being
        the training class frequencies and ``P(word | class) = (N_cv + alpha) / (N_c + alpha V)``.
    """
    return _nb.MultinomialNB(alpha=alpha).fit(X, y).predict_log_proba(X_new)


# -- 3.16 Data augmentation: an affine warp with bilinear interpolation ----------------------------------------

def _warp_ndimage(images, A):
    """scipy.ndimage.affine_transform (order 1, zeros outside)"""
    import scipy.ndimage as ndi
    images, A = np.asarray(images, float), np.asarray(A, float)
    c = (np.array(images.shape[1:]) - 1) / 2
    return np.stack([ndi.affine_transform(img, A, offset=c - A @ c, order=1, mode="grid-constant")
                     for img in images])


def _warp_inputs(rng, size):
    h, w = (int(v) for v in rng.integers(1, min(size, 6) + 2, size=2))
    n = int(rng.integers(1, 3))
    if size == 1:
        n = h = w = 1                                        # one pixel (see the note on array outputs)
    t = rng.uniform(-np.pi, np.pi)
    A = np.array([[1.0, 0.0], [rng.uniform(-0.5, 0.5), 1.0]]) @ np.array([[np.cos(t), np.sin(t)],
                                                                           [-np.sin(t), np.cos(t)]])
    return {"images": rng.uniform(0, 16, size=(n, h, w)), "A": A / rng.uniform(0.6, 1.6)}


def _warp_convex(kwargs, out):
    X = np.asarray(kwargs["images"], float)
    out = np.asarray(out, float)
    assert out.shape == X.shape, f"shape {out.shape}, expected {X.shape}"
    lo = np.minimum(X.min(axis=(1, 2)), 0)[:, None, None]
    hi = np.maximum(X.max(axis=(1, 2)), 0)[:, None, None]
    assert np.all((out >= lo - 1e-9) & (out <= hi + 1e-9)), \
        "a pixel outside the range of its image's pixels and 0: bilinear weights must be >= 0 and sum to 1"


_IMG = np.arange(16.0).reshape(1, 4, 4)

@as_exercise(
    "3.16", reference=_warp_ndimage, inputs=_warp_inputs, difficulty=3,
    edge_cases={
        "the identity leaves the image unchanged": {"images": _IMG, "A": np.eye(2)},
        "a quarter turn of a square image is np.rot90": {"images": _IMG, "A": np.array([[0.0, 1.0], [-1.0, 0.0]])},
        "A = 0: every pixel reads the centre, the mean of the middle four": {"images": _IMG, "A": np.zeros((2, 2))},
        "zoom out by 2: the border reads outside, zeros blend in": {"images": _IMG, "A": 2 * np.eye(2)},
    },
    properties={"every pixel lies between min(0, image) and max(0, image)": _warp_convex},
    hints=(r"For each output pixel \(p\) (row, column) compute the source point \(A(p - c) + c\), with "
           r"\(c\) the image centre \(((h-1)/2, (w-1)/2)\): a meshgrid of all pixels, one tensordot.",
           r"Split the source into its floor \((r_0, c_0)\) and fractions \((f_r, f_c)\); blend the four neighbours "
           r"with weights \((1-f_r)(1-f_c), (1-f_r)f_c, f_r(1-f_c), f_r f_c\), a neighbour outside the image "
           "counting as 0."),
    key_line="src = np.tensordot(A, grid - centre[:, None, None], axes=1) + centre[:, None, None]",
    shows=(_aug.warp_affine,),
)
def bilinear_warp(images, A):
    """Warp images by a linear map about their centre, with bilinear interpolation and zeros outside.

    Output pixel ``p = (row, col)`` takes the value of the input at ``A @ (p - c) + c``, where
    ``c = ((h - 1) / 2, (w - 1) / 2)``: the bilinear blend of the four surrounding pixels, any of them outside
    the image counting as 0.

    Parameters
    ----------
    images : ndarray, shape (n, h, w)
    A : ndarray, shape (2, 2), the map from an output offset to the input offset it reads (row, col order)

    Returns
    -------
    ndarray, shape (n, h, w)
    """
    return _aug.warp_affine(images, A)


# -- 3.17 Data synthesis: the unbiased MMD^2 between real and synthetic samples --------------------------------

def _mmd2_loops(X, Y, gamma):
    """a loop over every pair (math.exp)"""
    def k(a, b):
        return math.exp(-gamma * sum((u - v) ** 2 for u, v in zip(a, b)))

    m, n = len(X), len(Y)
    xx = math.fsum(k(X[i], X[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = math.fsum(k(Y[i], Y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = math.fsum(k(a, b) for a in X for b in Y) / (m * n)
    return xx + yy - 2 * xy


def _mmd2_inputs(rng, size):
    d = int(rng.integers(1, 4))
    m, n = int(rng.integers(2, size + 3)), int(rng.integers(2, size + 3))
    return {"X": rng.normal(size=(m, d)), "Y": rng.normal(size=(n, d)) * rng.uniform(0.5, 2) + rng.uniform(0, 2),
            "gamma": float(10 ** rng.uniform(-1, 0.7))}


def _mmd2_bounds(kwargs, out):
    assert -2 - 1e-12 <= out <= 2 + 1e-12, f"{out:.6g} is outside [-2, 2], impossible for a kernel bounded by 1"


@as_exercise(
    "3.17", reference=_mmd2_loops, inputs=_mmd2_inputs, difficulty=2,
    edge_cases={
        "the same sample twice: slightly negative, k - 1 for two points": {
            "X": np.array([[0.0], [1.0]]), "Y": np.array([[0.0], [1.0]]), "gamma": 1.0},
        "clouds far apart, tight kernels: close to 2": {
            "X": np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1]]), "Y": np.array([[50.0, 50.0], [50.0, 50.1]]),
            "gamma": 2.0},
        "duplicated rows inside a sample count as different pairs": {
            "X": np.array([[1.0], [1.0], [2.0]]), "Y": np.array([[1.0], [3.0]]), "gamma": 0.5},
    },
    properties={"between -2 and 2": _mmd2_bounds},
    hints=(r"Three Gram matrices of \(k(a, b) = e^{-\gamma\lVert a - b\rVert^2}\): within X, within Y, across. "
           r"Squared distances for all pairs at once: \(\lVert a\rVert^2 - 2a^\top b + \lVert b\rVert^2\), "
           "clipped at 0.",
           r"Unbiased: the within-sample averages leave out the diagonal (\(i = i'\)), so divide their "
           r"off-diagonal sums by \(m(m-1)\) and \(n(n-1)\); the cross term averages all \(mn\) pairs."),
    key_line="(Kxx.sum() - np.trace(Kxx)) / (m * (m - 1)) + (Kyy.sum() - np.trace(Kyy)) / (n * (n - 1)) - 2 * Kxy.mean()",  # noqa: E501
    shows=(_syn.mmd2,),
)
def unbiased_mmd2(X, Y, gamma):
    """The unbiased estimate of the squared maximum mean discrepancy between two samples (Gaussian kernel).

    Parameters
    ----------
    X : ndarray, shape (m, d), m >= 2, e.g. the real data; Y : ndarray, shape (n, d), n >= 2, e.g. synthetic data
    gamma : float > 0, the kernel is ``k(a, b) = exp(-gamma * ||a - b||^2)``

    Returns
    -------
    float
        ``mean_{i != i'} k(x_i, x_i') + mean_{j != j'} k(y_j, y_j') - 2 mean_{i, j} k(x_i, y_j)`` (it can be
        slightly negative).
    """
    return _syn.mmd2(X, Y, gamma)


# -- 3.18 Overfitting prevention: early stopping with patience ------------------------------------------------

def _early_stop_records(val_losses, patience, min_delta):
    """the record epochs of the curve and the gaps between them"""
    v = [float(x) for x in val_losses]
    records, best = [0], v[0]
    for t in range(1, len(v)):
        if v[t] < best - min_delta:
            records.append(t)
            best = v[t]
    for r, nxt in zip(records, records[1:] + [None]):
        end = len(v) if nxt is None else nxt
        if end - r > patience:                         # patience epochs after r without a new record
            return r, r + patience, v[r], True
    return records[-1], len(v) - 1, v[records[-1]], False


def _early_stop_inputs(rng, size):
    T = int(rng.integers(1, 4 * size + 2))
    t = np.arange(T)
    curve = 1 / (1 + 0.3 * t) + rng.uniform(0, 0.02) * t + rng.normal(0, 0.03, size=T)   # falls, then rises
    if rng.random() < 0.3:
        curve = np.round(curve, 2)                     # plateaus: equal losses are not improvements
    return {"val_losses": curve, "patience": int(rng.integers(1, 6)),
            "min_delta": float(rng.choice([0.0, rng.uniform(0, 0.03)]))}


def _early_stop_consistent(kwargs, out):
    best_epoch, stop_epoch, best_loss, stopped = out
    v = np.asarray(kwargs["val_losses"], float)
    assert 0 <= best_epoch <= stop_epoch < len(v), "epochs out of order or out of range"
    assert best_loss == v[best_epoch], "best_loss is not the loss at best_epoch"
    if stopped:
        assert stop_epoch - best_epoch == kwargs["patience"], "training stopped before patience ran out"
    if kwargs["min_delta"] == 0:
        assert best_loss == v[:stop_epoch + 1].min(), "with min_delta = 0 the best is the minimum seen"


@as_exercise(
    "3.18", reference=_early_stop_records, inputs=_early_stop_inputs, difficulty=1,
    edge_cases={
        "a plateau is not an improvement: patience 1 stops at once": {
            "val_losses": np.array([1.0, 0.5, 0.5, 0.4]), "patience": 1, "min_delta": 0.0},
        "always improving: never stops, the last epoch is best": {
            "val_losses": np.array([3.0, 2.0, 1.0]), "patience": 1, "min_delta": 0.0},
        "min_delta ignores a small gain": {"val_losses": np.array([1.0, 0.99, 0.98, 0.5, 0.6, 0.7]), "patience": 2,
                                           "min_delta": 0.05},
        "one epoch": {"val_losses": np.array([0.7]), "patience": 3, "min_delta": 0.0},
    },
    properties={"best_epoch <= stop_epoch, the best loss is at best_epoch, patience respected": _early_stop_consistent},
    hints=("Walk the epochs once, keeping the best loss so far, its epoch, and a counter of epochs since it.",
           "An epoch improves only if its loss is below best - min_delta (strictly): then it becomes the best and "
           "the counter resets; otherwise the counter grows, and stop when it reaches patience."),
    key_line="if v[t] < best - min_delta: best, best_epoch, waited = v[t], t, 0",
    shows=(_ms.early_stopping,),
)
def early_stop(val_losses, patience, min_delta):
    """Early stopping with patience, applied to a validation-loss curve.

    Parameters
    ----------
    val_losses : ndarray, shape (T,), T >= 1, the validation loss after epochs 0 .. T-1
    patience : int >= 1, how many epochs without improvement to tolerate
    min_delta : float >= 0, an epoch improves only if its loss is below the best so far minus min_delta

    Returns
    -------
    (best_epoch, stop_epoch, best_loss, stopped) : (int, int, float, bool)
        The epoch whose model is kept (the last improvement) and its loss; the epoch at which training stops
        (patience epochs after the best), or T - 1 with ``stopped = False`` if patience never runs out.
    """
    res = _ms.early_stopping(val_losses, patience, min_delta=min_delta)
    return res.best_epoch, res.stop_epoch, res.best_value, res.stopped


# -- 3.18.1 Label smoothing: the smoothed softmax cross-entropy and its gradient -------------------------------

def _smoothed_xent_complex_step(logits, labels, eps):
    """complex-step differentiation of the loss written from its definition"""
    Z = np.asarray(logits, float)
    n, K = Z.shape
    q = np.full((n, K), eps / K)
    q[np.arange(n), labels] += 1 - eps

    def L(Zc):
        m = Zc.real.max(axis=1, keepdims=True)                # shift by the real maximum: analytic, no overflow
        log_soft = Zc - m - np.log(np.exp(Zc - m).sum(axis=1, keepdims=True))
        return -(q * log_soft).sum() / n

    return float(L(Z.astype(complex)).real), complex_step_gradient(L, Z)


def _smoothed_xent_inputs(rng, size):
    n, K = int(rng.integers(1, size + 1)), int(rng.integers(1, 6))
    return {"logits": rng.normal(scale=rng.uniform(0.5, 5), size=(n, K)), "labels": rng.integers(0, K, size=n),
            "eps": float(rng.choice([0.0, 1.0, rng.uniform(0, 0.5)]))}


def _smoothed_xent_grad_rows(kwargs, out):
    value, grad = out
    grad = np.asarray(grad, float)
    assert np.allclose(grad.sum(axis=1), 0, atol=1e-12), "each row of the gradient must sum to 0 (softmax - q)"
    assert value >= -1e-12, "the loss is negative"


@as_exercise(
    "3.18.1", reference=_smoothed_xent_complex_step, inputs=_smoothed_xent_inputs, difficulty=2,
    edge_cases={
        "eps = 0: plain cross-entropy": {"logits": np.array([[2.0, 0.0, -1.0]]), "labels": np.array([0]),
                                         "eps": 0.0},
        "eps = 1: cross-entropy with the uniform distribution": {"logits": np.array([[1.0, 2.0], [0.0, 0.0]]),
                                                                 "labels": np.array([1, 0]), "eps": 1.0},
        "logits of 1000: no overflow": {"logits": np.array([[1000.0, 0.0, -1000.0]]), "labels": np.array([2]),
                                        "eps": 0.1},
        "one class: loss 0, gradient 0": {"logits": np.array([[3.0], [-2.0]]), "labels": np.array([0, 0]),
                                          "eps": 0.2},
    },
    properties={"each gradient row sums to 0 and the loss is >= 0": _smoothed_xent_grad_rows},
    hints=(r"The targets are \(q = (1-\varepsilon)\,\mathrm{onehot}(y) + \varepsilon/K\) (the true class gets "
           r"\(\varepsilon/K\) too). The loss is \(-\frac1N\sum_n\sum_k q_{nk}\log\mathrm{softmax}(z_n)_k\), with "
           "log-softmax computed as z - max - log(sum(exp(z - max))).",
           r"The gradient needs no chain rule through the log: \((\mathrm{softmax}(z) - q)/N\)."),
    key_line="grad = (np.exp(log_soft) - q) / n",
    shows=(_losses.smooth_labels, _losses.SoftmaxCrossEntropy),
)
def smoothed_xent(logits, labels, eps):
    """Softmax cross-entropy with label smoothing, averaged over the examples, and its gradient.

    Parameters
    ----------
    logits : ndarray, shape (n, K)
    labels : ndarray of int, shape (n,), values in 0 .. K-1
    eps : float in [0, 1], the smoothing: the target is ``(1 - eps) * onehot(label) + eps / K`` (every class,
        the true one included, gets ``eps / K``)

    Returns
    -------
    (loss, grad) : (float, ndarray of shape (n, K))
        The mean over the n examples of ``-sum_k q_k log softmax(z)_k``, and its gradient with respect to the
        logits; finite for logits of any size.
    """
    loss = _losses.SoftmaxCrossEntropy(label_smoothing=eps)
    value, cache = loss.forward(logits, labels)
    return value, loss.backward(cache)


# -- 3.19 Feature selection: the ANOVA F score of every feature ------------------------------------------------

def _anova_scipy(X, y):
    """scipy.stats.f_oneway, feature by feature"""
    from scipy import stats
    X, y = np.asarray(X, float), np.asarray(y)
    res = [stats.f_oneway(*(X[y == c, j] for c in np.unique(y))) for j in range(X.shape[1])]
    return np.array([r.statistic for r in res]), np.array([r.pvalue for r in res])


def _anova_inputs(rng, size):
    k, d = int(rng.integers(2, 4)), int(rng.integers(1, 5))
    y = rng.permutation(np.r_[np.repeat(np.arange(k), 2), rng.integers(0, k, size=size)])   # >= 2 per class
    shift = rng.normal(size=(k, d)) * rng.uniform(0, 2, size=d)       # some features informative, some barely
    return {"X": rng.normal(size=(len(y), d)) + shift[y], "y": y}


def _anova_monotone(kwargs, out):
    F, p = (np.asarray(v, float) for v in out)
    assert np.all(F >= 0) and np.all((p >= 0) & (p <= 1)), "F must be >= 0 and p in [0, 1]"
    order = np.argsort(F)
    assert np.all(np.diff(p[order]) <= 1e-12), "a larger F must have a smaller p-value (same degrees of freedom)"


@as_exercise(
    "3.19", reference=_anova_scipy, inputs=_anova_inputs, difficulty=2,
    edge_cases={
        "two classes: F is the squared pooled t statistic": {"X": np.array([[1.0], [2.0], [4.0], [6.0]]),
                                                             "y": np.array([0, 0, 1, 1])},
        "a feature with equal class means: F = 0, p = 1": {
            "X": np.array([[1.0, 0.0], [3.0, 1.0], [0.0, 2.0], [4.0, 3.0]]), "y": np.array([0, 0, 1, 1])},
        "unequal class sizes, labels not 0..K-1": {"X": np.array([[0.0], [1.0], [1.5], [5.0], [6.0], [9.0], [8.0]]),
                                                   "y": np.array([4, 4, 4, 9, 9, 2, 2])},
    },
    properties={"F >= 0, p in [0, 1], and p falls as F rises": _anova_monotone},
    hints=(r"Per feature: between-class variance \(\sum_c n_c(\bar x_c - \bar x)^2/(K-1)\) over within-class "
           r"variance \(\sum_c\sum_{i\in c}(x_i - \bar x_c)^2/(n-K)\). A one-hot matrix of the labels gives all "
           "class means of all features in one product.",
           r"The p-value is the upper tail of the F distribution with \((K-1, n-K)\) degrees of freedom: "
           "scipy.stats.f.sf."),
    key_line="F = (counts @ (means - X.mean(0)) ** 2 / (K - 1)) / (((X - means[code]) ** 2).sum(0) / (n - K))",
    shows=(_fs.anova_f,),
)
def anova_f_scores(X, y):
    """One-way ANOVA F statistic and p-value of every feature across the classes (a filter for selection).

    Parameters
    ----------
    X : ndarray, shape (n, d)
    y : ndarray, shape (n,), class labels (any integers); K >= 2 classes, each with some within-class spread

    Returns
    -------
    (F, p) : two ndarrays of shape (d,)
        Between-class mean square over within-class mean square, and ``P(F_{K-1, n-K} >= F)``.
    """
    res = _fs.anova_f(X, y)
    return res.statistic, res.pvalue

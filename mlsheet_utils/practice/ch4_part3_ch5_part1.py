"""Practice exercises of chapter 4's later pages (4.28 to 4.47) and chapter 5's first pages (5.1, 5.2)."""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import special as _sps
from scipy.spatial.distance import jensenshannon as _jensenshannon
from sklearn.feature_extraction.text import TfidfTransformer as _TfidfTransformer

from mlsheet_utils.algorithms import detection as _det
from mlsheet_utils.algorithms import generative_metrics as _gm
from mlsheet_utils.algorithms import interpret as _interp
from mlsheet_utils.algorithms import model_based as _mb
from mlsheet_utils.algorithms import retrieval as _rt
from mlsheet_utils.algorithms.nn import boltzmann as _bm
from mlsheet_utils.algorithms.nn import diffusion as _diff
from mlsheet_utils.algorithms.nn import distillation as _kd
from mlsheet_utils.algorithms.nn import gan as _gan
from mlsheet_utils.algorithms.nn import graph as _gnn
from mlsheet_utils.algorithms.nn import hopfield as _hf
from mlsheet_utils.algorithms.nn import moe as _moe
from mlsheet_utils.algorithms.nn import pruning as _pruning
from mlsheet_utils.algorithms.nn import rbm as _rbm
from mlsheet_utils.algorithms.nn import tying as _tying
from mlsheet_utils.algorithms.probability import belief_propagation as _bp
from mlsheet_utils.checks.practice import as_exercise
from mlsheet_utils.practice._support import Replay, complex_step_gradient

# -- 4.28 YOLO: greedy non-maximum suppression ------------------------------------------------------------------

def _nms_loops(boxes, scores, iou_threshold):
    """a loop over pairs with a scalar iou"""
    def iou(a, b):
        iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        inter = iw * ih
        union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
        return inter / union if union > 0 else 0.0

    todo = sorted(range(len(scores)), key=lambda i: (-float(scores[i]), i))
    kept = []
    while todo:
        best = todo.pop(0)
        kept.append(best)
        todo = [j for j in todo if iou(boxes[best], boxes[j]) <= iou_threshold]
    return np.array(kept, dtype=int)


def _nms_inputs(rng, size):
    n_obj = int(rng.integers(1, 4))
    centres = rng.uniform(10, 90, size=(n_obj, 2))
    which = rng.integers(0, n_obj, size=size)
    c = centres[which] + rng.normal(0, 4, size=(size, 2))
    half = rng.uniform(4, 12, size=(size, 2))
    boxes = np.hstack([c - half, c + half])
    return {"boxes": boxes, "scores": rng.uniform(0, 1, size),
            "iou_threshold": float(rng.choice([0.0, 0.2, 0.4, 0.5, 0.7, 1.0]))}


def _nms_no_kept_pair_overlaps(kwargs, out):
    b = np.asarray(kwargs["boxes"])
    kept = np.asarray(out, int)
    if len(kept) > 1:
        iou = _det.box_iou(b[kept], b[kept])
        np.fill_diagonal(iou, 0.0)
        assert iou.max() <= kwargs["iou_threshold"] + 1e-12, \
            f"two kept boxes overlap with IoU {iou.max():.4g} > {kwargs['iou_threshold']}"


def _nms_best_kept_first(kwargs, out):
    s = np.asarray(kwargs["scores"])
    kept = np.asarray(out, int)
    if len(s):
        assert len(kept) and kept[0] == int(np.argmax(s)), "the best-scoring box must be kept, first"
    assert np.all(np.diff(s[kept]) <= 0), "kept boxes must come by decreasing score"


@as_exercise(
    "4.28", reference=_nms_loops, inputs=_nms_inputs, difficulty=2,
    edge_cases={
        "equal scores: the lower index wins": {
            "boxes": np.array([[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 11.0, 11.0], [50.0, 50.0, 60.0, 60.0]]),
            "scores": np.array([0.8, 0.8, 0.8]), "iou_threshold": 0.5},
        "IoU equal to the threshold is kept (only > suppresses)": {
            "boxes": np.array([[0.0, 0.0, 4.0, 1.0], [1.0, 0.0, 4.0, 1.0]]),      # IoU = 3/4 exactly
            "scores": np.array([0.9, 0.6]), "iou_threshold": 0.75},
        "threshold 0: any overlap suppresses, touching boxes survive": {
            "boxes": np.array([[0.0, 0.0, 2.0, 2.0], [2.0, 0.0, 4.0, 2.0], [1.0, 1.0, 3.0, 3.0]]),
            "scores": np.array([0.5, 0.4, 0.9]), "iou_threshold": 0.0},
        "one box: it is kept": {"boxes": np.array([[3.0, 4.0, 5.0, 9.0]]), "scores": np.array([0.1]),
                                "iou_threshold": 0.5},
    },
    properties={
        "no two kept boxes overlap more than the threshold": _nms_no_kept_pair_overlaps,
        "the best box is kept first; kept scores decrease": _nms_best_kept_first,
    },
    hints=("Sort the boxes by score, highest first (a stable sort keeps equal scores in index order). Walk down "
           "the list: keep the first box still alive and kill every later box whose IoU with it exceeds the "
           "threshold.",
           "The IoU of two boxes is the intersection area \\( [\\min(x_2,x_2')-\\max(x_1,x_1')]_+ "
           "[\\min(y_2,y_2')-\\max(y_1,y_1')]_+ \\) over the sum of the two areas minus that intersection. "
           "Compute the whole matrix once with broadcasting."),
    key_line="alive[i + 1:] &= iou[i, i + 1:] <= iou_threshold",
    shows=(_det.box_iou, _det.nms),
)
def greedy_nms(boxes, scores, iou_threshold):
    """Greedy non-maximum suppression of detection boxes.

    Parameters
    ----------
    boxes : ndarray, shape (n, 4), corners ``(x1, y1, x2, y2)`` with ``x1 < x2``, ``y1 < y2``
    scores : ndarray, shape (n,), confidence of each box
    iou_threshold : float in [0, 1]; a box is suppressed when its IoU with a kept box is *greater* than this

    Returns
    -------
    ndarray of int, the indices of the kept boxes, highest score first (equal scores: lower index first).
    """
    return _det.nms(boxes, scores, iou_threshold)


# -- 4.29 GANs: the generator's loss and its gradient --------------------------------------------------------------

def _gen_loss_closed(logits, non_saturating):
    """a closed form with scipy.special.log_expit"""
    a = np.asarray(logits, float)
    n = a.size
    if non_saturating:
        return -_sps.log_expit(a).sum() / n, -_sps.expit(-a) / n
    return _sps.log_expit(-a).sum() / n, -_sps.expit(a) / n


def _gen_loss_inputs(rng, size):
    shape = (size,) if rng.uniform() < 0.5 else (size, int(rng.integers(1, 4)))
    return {"logits": rng.normal(0, 3, size=shape), "non_saturating": bool(rng.integers(0, 2))}


def _gen_loss_grad_sign(kwargs, out):
    _, grad = out
    assert np.all(np.asarray(grad) <= 0), "raising a logit (fooling D more) must never raise the loss"


def _gen_loss_grad_is_slope(kwargs, out):
    a = np.asarray(kwargs["logits"], float)
    value, grad = out
    h = 1e-6
    step = np.zeros_like(a)
    step.flat[0] = h
    ns = kwargs["non_saturating"]
    up = _gen_loss_closed(a + step, ns)[0]
    down = _gen_loss_closed(a - step, ns)[0]
    slope = (up - down) / (2 * h)
    assert abs(slope - np.asarray(grad).flat[0]) <= 1e-5 * (1 + abs(slope)), \
        f"the gradient's first entry {np.asarray(grad).flat[0]:.6g} is not the loss's slope {slope:.6g}"


@as_exercise(
    "4.29", reference=_gen_loss_closed, inputs=_gen_loss_inputs, difficulty=2,
    edge_cases={
        "D rejects every fake (logit -40): the saturating gradient vanishes": {
            "logits": np.array([-40.0, -40.0]), "non_saturating": False},
        "D rejects every fake (logit -40): the non-saturating gradient is -1/n": {
            "logits": np.array([-40.0, -40.0]), "non_saturating": True},
        "huge logits stay finite": {"logits": np.array([-800.0, 0.0, 800.0]), "non_saturating": True},
        "D undecided (logit 0): loss log 2 or -log 2": {"logits": np.zeros(4), "non_saturating": False},
    },
    properties={
        "the gradient is never positive": _gen_loss_grad_sign,
        "the gradient is the loss's numerical slope": _gen_loss_grad_is_slope,
    },
    hints=("With \\( D = \\sigma(a) \\), the saturating loss is the mean of \\( \\log(1-\\sigma(a)) = "
           "\\log\\sigma(-a) \\) and the non-saturating one the mean of \\( -\\log\\sigma(a) \\). "
           "Evaluate \\( \\log\\sigma \\) stably: \\( -\\log(1+e^{-a}) \\) with np.logaddexp.",
           "Differentiate: \\( \\frac{d}{da}\\log\\sigma(a) = 1-\\sigma(a) \\) and "
           "\\( \\frac{d}{da}\\log\\sigma(-a) = -\\sigma(a) \\); divide by the number of logits."),
    key_line="value, grad = np.mean(np.logaddexp(0, -a)), -(1 - sigmoid(a)) / a.size   # non-saturating",
    shows=(_gan.generator_loss, _gan._generator_loss),
)
def gan_generator_loss(logits, non_saturating):
    """The generator's loss from the discriminator's logits on a batch of fakes, and its gradient.

    Parameters
    ----------
    logits : ndarray, any shape, the discriminator's logits ``a`` on generated samples (``D = sigmoid(a)``)
    non_saturating : bool; ``False``: the minimax loss ``mean(log(1 - D))``; ``True``: ``-mean(log D)``

    Returns
    -------
    (value, grad): the loss (float) and its gradient with respect to ``logits`` (same shape). Stay finite for
    logits of any size.
    """
    res = _gan.generator_loss(logits, non_saturating=non_saturating)
    return res.value, res.grad_logits


# -- 4.30 Evaluation metrics for GANs: the Fréchet distance of two Gaussians ---------------------------------------

def _frechet_eigvals(mu1, cov1, mu2, cov2):
    """the eigenvalues of the non-symmetric cov1 @ cov2 (numpy.linalg.eigvals)"""
    lam = np.linalg.eigvals(np.asarray(cov1) @ np.asarray(cov2))      # real and >= 0 up to round-off
    trace_root = np.sqrt(np.clip(lam.real, 0.0, None)).sum()
    d = np.asarray(mu1) - np.asarray(mu2)
    return float(d @ d + np.trace(cov1) + np.trace(cov2) - 2 * trace_root)


def _spd(rng, d):
    A = rng.normal(size=(d, d))
    return A @ A.T / d + 0.2 * np.eye(d)


def _frechet_inputs(rng, size):
    d = int(rng.integers(1, min(size, 6) + 1))
    return {"mu1": rng.normal(size=d), "cov1": _spd(rng, d), "mu2": rng.normal(size=d), "cov2": _spd(rng, d)}


def _frechet_nonneg(kwargs, out):
    assert out >= -1e-9, f"a squared distance cannot be negative, got {out:.6g}"


def _frechet_symmetric(kwargs, out):
    swap = _frechet_eigvals(kwargs["mu2"], kwargs["cov2"], kwargs["mu1"], kwargs["cov1"])
    assert abs(out - swap) <= 1e-8 * (1 + abs(swap)), f"d(P, Q) = {out:.8g} but d(Q, P) = {swap:.8g}"


@as_exercise(
    "4.30", reference=_frechet_eigvals, inputs=_frechet_inputs, difficulty=2,
    edge_cases={
        "the same Gaussian: 0": {"mu1": np.array([1.0, -2.0]), "cov1": np.array([[2.0, 0.5], [0.5, 1.0]]),
                                 "mu2": np.array([1.0, -2.0]), "cov2": np.array([[2.0, 0.5], [0.5, 1.0]])},
        "equal covariances: the squared mean gap": {"mu1": np.zeros(3), "cov1": np.eye(3),
                                                    "mu2": np.array([3.0, 4.0, 0.0]), "cov2": np.eye(3)},
        "a singular covariance (a point mass)": {"mu1": np.zeros(2), "cov1": np.zeros((2, 2)),
                                                "mu2": np.zeros(2), "cov2": np.diag([4.0, 9.0])},
        "d = 1: (mu1 - mu2)^2 + (s1 - s2)^2": {"mu1": np.array([0.5]), "cov1": np.array([[4.0]]),
                                              "mu2": np.array([-0.5]), "cov2": np.array([[1.0]])},
    },
    properties={
        "non-negative": _frechet_nonneg,
        "symmetric in the two Gaussians": _frechet_symmetric,
    },
    # eigenvalues of a non-symmetric product lose a few digits against the symmetric eigen route
    rtol=1e-6, atol=1e-8,
    hints=("The distance is \\( \\lVert\\mu_1-\\mu_2\\rVert^2 + \\mathrm{tr}\\,\\Sigma_1 + \\mathrm{tr}\\,\\Sigma_2 "
           "- 2\\,\\mathrm{tr}(\\Sigma_1^{1/2}\\Sigma_2\\Sigma_1^{1/2})^{1/2} \\).",
           "Take square roots of symmetric PSD matrices with np.linalg.eigh (clip tiny negative eigenvalues to 0); "
           "the trace of a matrix square root is the sum of the square roots of its eigenvalues."),
    key_line="trace_root = np.sqrt(np.clip(np.linalg.eigvalsh(root1 @ cov2 @ root1), 0, None)).sum()",
    shows=(_gm._psd_sqrt, _gm._frechet),
)
def frechet_gaussians(mu1, cov1, mu2, cov2):
    """The squared Fréchet (2-Wasserstein) distance between N(mu1, cov1) and N(mu2, cov2), as in FID.

    Parameters
    ----------
    mu1, mu2 : ndarray, shape (d,)
    cov1, cov2 : ndarray, shape (d, d), symmetric positive semi-definite (possibly singular)

    Returns
    -------
    float, the squared distance.
    """
    return _gm.frechet_distance(mu1, cov1, mu2, cov2)


# -- 4.31 Conditional GANs: the value of the game at the optimal discriminator -----------------------------------

def _cgan_value_jsd(p_joint, q_joint):
    """-log 4 + 2 jsd with scipy.spatial.distance.jensenshannon"""
    p, q = np.ravel(p_joint), np.ravel(q_joint)
    return float(-np.log(4) + 2 * _jensenshannon(p, q) ** 2)


def _cgan_inputs(rng, size):
    shape = (int(rng.integers(1, 4)), size + 1)                    # (classes y, points x)
    p = rng.dirichlet(np.ones(np.prod(shape))).reshape(shape)
    q = rng.dirichlet(np.ones(np.prod(shape))).reshape(shape)
    if size > 2:                                                    # some points that only one side can reach
        p.flat[rng.integers(0, p.size)] = 0.0
        q.flat[rng.integers(0, q.size)] = 0.0
        p, q = p / p.sum(), q / q.sum()
    return {"p_joint": p, "q_joint": q}


def _cgan_bounds(kwargs, out):
    assert -np.log(4) - 1e-12 <= out <= 1e-12, f"V(D*, G) must lie in [-log 4, 0], got {out:.6g}"


@as_exercise(
    "4.31", reference=_cgan_value_jsd, inputs=_cgan_inputs, difficulty=2,
    edge_cases={
        "the generator matches the data: -log 4": {"p_joint": np.array([[0.25, 0.25], [0.1, 0.4]]),
                                                    "q_joint": np.array([[0.25, 0.25], [0.1, 0.4]])},
        "disjoint supports: 0": {"p_joint": np.array([[0.5, 0.0], [0.5, 0.0]]),
                                 "q_joint": np.array([[0.0, 0.3], [0.0, 0.7]])},
        "one class, one point: -log 4": {"p_joint": np.array([[1.0]]), "q_joint": np.array([[1.0]])},
    },
    properties={"between -log 4 and 0": _cgan_bounds},
    hints=("For a fixed generator the best discriminator is \\( D^*(x,y) = p(x,y)/(p(x,y)+q(x,y)) \\), "
           "pointwise on the joint table (1/2 where both vanish).",
           "Plug it into \\( V = \\sum p\\log D + \\sum q \\log(1-D) \\), skipping the cells of zero mass "
           "(\\( 0\\log 0 = 0 \\))."),
    key_line="d = np.divide(p, p + q, out=np.full(p.shape, 0.5), where=p + q > 0)",
    shows=(_gan.optimal_discriminator, _gan.gan_value),
)
def cgan_optimal_value(p_joint, q_joint):
    """The conditional-GAN value V(D*, G) when the discriminator is the best one for this generator.

    Parameters
    ----------
    p_joint : ndarray, shape (n_classes, n_points), the data's joint probabilities p(x, y) (sum 1)
    q_joint : ndarray, same shape, the generator's joint q(x, y) = p(y) q(x | y) (sum 1)

    Returns
    -------
    float, ``sum p log D* + sum q log(1 - D*)`` with ``D* = p / (p + q)`` and ``0 log 0 = 0``.
    """
    return _gan.gan_value(_gan.optimal_discriminator(p_joint, q_joint), p_joint, q_joint)


# -- 4.32 Knowledge distillation: the soft-plus-hard loss and its gradient -----------------------------------------

def _distill_closed(student_logits, teacher_logits, labels, temperature, alpha):
    """scipy.special.log_softmax and the closed-form gradient"""
    z, v, y, t = np.asarray(student_logits, float), np.asarray(teacher_logits, float), np.asarray(labels), temperature
    n = len(z)
    log_q, log_p = _sps.log_softmax(z / t, axis=1), _sps.log_softmax(v / t, axis=1)
    p, q = np.exp(log_p), np.exp(log_q)
    kl = np.sum(p * (log_p - log_q)) / n
    log_s = _sps.log_softmax(z, axis=1)
    ce = -log_s[np.arange(n), y].sum() / n
    value = alpha * t**2 * kl + (1 - alpha) * ce
    grad = alpha * t * (q - p) / n + (1 - alpha) * (np.exp(log_s) - np.eye(z.shape[1])[y]) / n
    return value, grad


def _distill_inputs(rng, size):
    k = int(rng.integers(2, 6))
    return {"student_logits": rng.normal(0, 2, size=(size, k)), "teacher_logits": rng.normal(0, 3, size=(size, k)),
            "labels": rng.integers(0, k, size=size), "temperature": float(rng.choice([0.5, 1.0, 2.0, 4.0])),
            "alpha": float(rng.choice([0.0, 0.3, 0.7, 1.0]))}


def _distill_grad_rows_sum_zero(kwargs, out):
    rows = np.asarray(out[1]).sum(axis=1)
    assert np.allclose(rows, 0.0, atol=1e-12), \
        f"adding a constant to a row of logits changes no softmax, so each gradient row must sum to 0: {rows}"


def _distill_nonneg(kwargs, out):
    assert out[0] >= -1e-12, f"KL and cross-entropy are non-negative, the loss is {out[0]:.6g}"


@as_exercise(
    "4.32", reference=_distill_closed, inputs=_distill_inputs, difficulty=2,
    edge_cases={
        "student equals teacher, alpha = 1: loss 0, gradient 0": {
            "student_logits": np.array([[1.0, 2.0, -1.0]]), "teacher_logits": np.array([[1.0, 2.0, -1.0]]),
            "labels": np.array([0]), "temperature": 3.0, "alpha": 1.0},
        "alpha = 0: plain cross-entropy with the labels": {
            "student_logits": np.array([[0.0, 0.0], [2.0, -2.0]]), "teacher_logits": np.array([[5.0, -5.0],
                                                                                               [0.0, 9.0]]),
            "labels": np.array([1, 0]), "temperature": 2.0, "alpha": 0.0},
        "large logits at a low temperature stay finite": {
            "student_logits": np.array([[300.0, -300.0, 0.0]]), "teacher_logits": np.array([[-300.0, 300.0, 0.0]]),
            "labels": np.array([2]), "temperature": 0.5, "alpha": 0.5},
    },
    properties={
        "each gradient row sums to 0": _distill_grad_rows_sum_zero,
        "the loss is non-negative": _distill_nonneg,
    },
    hints=("Soft term: the mean over rows of \\( \\mathrm{KL}(p\\,\\|\\,q) \\) with \\( p = \\mathrm{softmax}(v/T) "
           "\\), \\( q = \\mathrm{softmax}(z/T) \\), times \\( T^2 \\). Hard term: the mean cross-entropy of "
           "\\( \\mathrm{softmax}(z) \\) (at temperature 1) with the labels. Use log-softmax with the row maximum "
           "subtracted.",
           "The gradient of the KL term in \\( z \\) is \\( (q - p)/(T N) \\), so with the \\( T^2 \\) factor it "
           "is \\( T(q-p)/N \\); the cross-entropy's is \\( (\\mathrm{softmax}(z) - \\text{one-hot})/N \\)."),
    key_line="grad = alpha * T * (q - p) / N + (1 - alpha) * (softmax(z) - onehot(y)) / N",
    shows=(_kd.soft_targets, _kd.DistillationLoss),
)
def distill_loss(student_logits, teacher_logits, labels, temperature, alpha):
    """Hinton's distillation loss on a batch, and its gradient with respect to the student's logits.

    Parameters
    ----------
    student_logits, teacher_logits : ndarray, shape (N, K)
    labels : ndarray of int, shape (N,), the true classes
    temperature : float > 0, the T that softens both distributions in the soft term
    alpha : float in [0, 1], the weight of the soft term

    Returns
    -------
    (value, grad): ``alpha * T**2 * mean_n KL(softmax(v_n/T) || softmax(z_n/T)) + (1 - alpha) * mean_n
    -log softmax(z_n)[y_n]`` (a float) and its gradient in ``student_logits`` (shape (N, K)).
    """
    res = _kd.distillation_terms(student_logits, teacher_logits, labels, temperature=temperature, alpha=alpha)
    return res.total, res.grad


# -- 4.33 Mixture of experts: top-k routing with expert capacity -------------------------------------------------

def _route_loops(logits, k, capacity):
    """a loop over tokens and ranks"""
    n, e = len(logits), len(logits[0])
    experts, weights = [], []
    for row in logits:
        m = max(row)
        p = [math.exp(x - m) for x in row]
        total = sum(p)
        p = [x / total for x in p]
        top = sorted(range(e), key=lambda j: (-row[j], j))[:k]
        experts.append(top)
        chosen = sum(p[j] for j in top)
        weights.append([p[j] / chosen for j in top])
    kept = [[False] * k for _ in range(n)]
    used = [0] * e
    for r in range(k):                      # every token's first choice, then every second choice, ...
        for t in range(n):
            j = experts[t][r]
            if used[j] < capacity:
                used[j] += 1
                kept[t][r] = True
    return np.array(experts, dtype=int), np.array(weights), np.array(kept)


def _route_inputs(rng, size):
    e = int(rng.integers(2, 6))
    k = int(rng.integers(1, e + 1))
    return {"logits": rng.normal(0, 1.5, size=(size, e)), "k": k,
            "capacity": int(rng.integers(1, max(2, 2 * size * k // e) + 1))}


def _route_weights_sum(kwargs, out):
    s = np.asarray(out[1]).sum(axis=1)
    assert np.allclose(s, 1.0, rtol=0, atol=1e-12), f"each token's k weights must sum to 1, got {s}"


def _route_capacity(kwargs, out):
    experts, _, kept = (np.asarray(x) for x in out)
    load = np.bincount(experts[kept.astype(bool)].astype(int), minlength=len(kwargs["logits"][0]))
    assert load.max(initial=0) <= kwargs["capacity"], f"an expert processes {load.max()} > capacity tokens"


@as_exercise(
    "4.33", reference=_route_loops, inputs=_route_inputs, difficulty=3,
    edge_cases={
        "equal logits: the lower-index experts win": {"logits": np.zeros((2, 4)), "k": 2, "capacity": 4},
        "k = 1: weight 1, the first tokens fill the slot": {"logits": np.array([[2.0, 0.0], [3.0, 1.0],
                                                                                 [0.0, 1.0]]),
                                                            "k": 1, "capacity": 1},
        "first choices are served before second choices": {"logits": np.array([[1.0, 0.0], [0.0, 1.0]]), "k": 2,
                                                            "capacity": 1},
        "k = E and room for all: every assignment kept": {"logits": np.array([[0.3, -1.0, 2.0]]), "k": 3,
                                                           "capacity": 1},
    },
    properties={
        "each token's weights sum to 1": _route_weights_sum,
        "no expert exceeds its capacity": _route_capacity,
    },
    hints=("Softmax each row, then take the \\( k \\) largest probabilities per row (a stable argsort of the "
           "negated row keeps ties in index order) and divide them by their sum.",
           "Capacity is handed out rank by rank: all tokens' first choices in token order, then all second "
           "choices. A running count per expert (np.cumsum over a one-hot of the choices in that order) tells "
           "whether a slot is left."),
    key_line="experts = np.argsort(-probs, axis=1, kind='stable')[:, :k]",
    shows=(_moe._route,),
)
def topk_route(logits, k, capacity):
    """Top-k routing of tokens to experts, each expert taking at most ``capacity`` assignments.

    Parameters
    ----------
    logits : ndarray, shape (n, E), the router's scores for every token and expert
    k : int, 1 <= k <= E, experts per token
    capacity : int >= 1, slots per expert

    Returns
    -------
    experts : ndarray of int, shape (n, k), each token's chosen experts, most probable first (ties: lower index)
    weights : ndarray, shape (n, k), the chosen softmax probabilities rescaled to sum to 1 per token
    kept : ndarray of bool, shape (n, k), whether the assignment got a slot; slots go first to every token's
        first choice in token order, then to the second choices, and so on.
    """
    n, e = np.shape(logits)
    res = _moe.route(logits, k, capacity_factor=capacity * e / (k * n))   # gives exactly `capacity` slots
    return res.experts, res.weights, res.kept


# -- 4.34 Stable diffusion: deterministic DDIM sampling --------------------------------------------------------

def _gauss_eps(x, ab, mu, sigma):
    return np.sqrt(1 - ab) * (x - np.sqrt(ab) * mu) / (ab * sigma**2 + 1 - ab)


def _ddim_loop(x_T, alpha_bar, n_steps, mu, sigma):
    """a loop over the update equations"""
    T = len(alpha_bar)
    steps = sorted({int(round(T - 1 - i * (T - 1) / (n_steps - 1))) for i in range(n_steps)} if n_steps > 1
                   else {T - 1}, reverse=True)
    x = np.array(x_T, float)
    for i, t in enumerate(steps):
        a, a_next = alpha_bar[t], (alpha_bar[steps[i + 1]] if i + 1 < len(steps) else 1.0)
        eps = math.sqrt(1 - a) * (x - math.sqrt(a) * np.asarray(mu)) / (a * sigma**2 + 1 - a)
        x = math.sqrt(a_next) * (x - math.sqrt(1 - a) * eps) / math.sqrt(a) + math.sqrt(1 - a_next) * eps
    return x


def _ddim_inputs(rng, size):
    T = int(rng.integers(1, 3 * size + 2))
    betas = np.sort(rng.uniform(1e-3, 0.3, T))
    d = int(rng.integers(1, 4)) if size > 1 else 1      # size 1: a single number (the engine's stub test)
    return {"x_T": rng.normal(size=(size, d)), "alpha_bar": np.cumprod(1 - betas),
            "n_steps": int(rng.integers(1, T + 1)), "mu": rng.normal(size=d),
            "sigma": float(rng.uniform(0.1, 2.0))}


def _ddim_affine(kwargs, out):
    # every step is affine with one slope for all entries and fixes the path x_t = sqrt(ab_t) mu: so the output
    # minus mu is a positive multiple of x_T - sqrt(ab_T) mu
    u = np.asarray(kwargs["x_T"]) - np.sqrt(kwargs["alpha_bar"][-1]) * np.asarray(kwargs["mu"])
    w = np.asarray(out) - np.asarray(kwargs["mu"])
    c = (u * w).sum() / max((u * u).sum(), 1e-300)
    assert c >= 0 and np.allclose(w, c * u, rtol=1e-7, atol=1e-9), \
        "the samples are not mu + c (x_T - sqrt(alpha_bar_T) mu) for one c >= 0"


@as_exercise(
    "4.34", reference=_ddim_loop, inputs=_ddim_inputs, difficulty=3,
    edge_cases={
        "sigma = 0: every sample lands on mu": {"x_T": np.array([[1.0, -2.0], [0.5, 3.0]]),
                                                "alpha_bar": np.array([0.9, 0.5, 0.1]), "n_steps": 3,
                                                "mu": np.array([2.0, -1.0]), "sigma": 0.0},
        "one step: straight to the predicted x0": {"x_T": np.array([[2.0]]), "alpha_bar": np.array([0.8, 0.25]),
                                                   "n_steps": 1, "mu": np.array([0.0]), "sigma": 1.0},
        "n_steps = T: every step visited": {"x_T": np.array([[0.3, -0.7]]),
                                            "alpha_bar": np.array([0.99, 0.9, 0.7, 0.4, 0.2]), "n_steps": 5,
                                            "mu": np.array([1.0, 1.0]), "sigma": 0.5},
    },
    properties={"the samples are mu plus a scaled x_T": _ddim_affine},
    hints=("Given the noise prediction \\( \\hat\\varepsilon \\) at step \\( t \\), first estimate the clean "
           "data \\( \\hat x_0 = (x_t - \\sqrt{1-\\bar\\alpha_t}\\,\\hat\\varepsilon)/\\sqrt{\\bar\\alpha_t} \\), "
           "then re-noise it to the next kept step with the same \\( \\hat\\varepsilon \\), no fresh noise.",
           "After the last kept step use \\( \\bar\\alpha = 1 \\), so the final update returns \\( \\hat x_0 \\)."),
    key_line="x = np.sqrt(a_next) * x0_hat + np.sqrt(1 - a_next) * eps",
    shows=(_diff.ddim_sample,),
)
def ddim_gaussian(x_T, alpha_bar, n_steps, mu, sigma):
    """Deterministic DDIM sampling (eta = 0) with the exact noise predictor of Gaussian data N(mu, sigma^2 I).

    Parameters
    ----------
    x_T : ndarray, shape (n, d), the starting noise
    alpha_bar : ndarray, shape (T,), the cumulative products ``alpha_bar[t]`` for 0-based steps t = 0 .. T-1
    n_steps : int, 1 <= n_steps <= T; the steps visited are
        ``np.unique(np.round(np.linspace(T - 1, 0, n_steps)).astype(int))`` in decreasing order
    mu : ndarray, shape (d,); sigma : float >= 0, the data distribution

    The noise prediction at step t is ``eps(x, t) = sqrt(1 - ab) (x - sqrt(ab) mu) / (ab sigma^2 + 1 - ab)``
    with ``ab = alpha_bar[t]``; after the last visited step use ``alpha_bar = 1``.

    Returns
    -------
    ndarray, shape (n, d), the samples after the last step.
    """
    mu = np.asarray(mu, float)
    run = _diff.ddim_sample(lambda x, t: _gauss_eps(x, alpha_bar[t], mu, sigma), alpha_bar, len(x_T),
                            np.shape(x_T)[1], n_steps, rng=Replay(standard_normal=[np.asarray(x_T, float)]))
    return run.x[-1]


# -- 4.35 Network pruning: global magnitude pruning ----------------------------------------------------------------

def _global_prune_loop(weights, sparsity):
    """a sort of every (magnitude, layer, position) triple"""
    entries = sorted((abs(float(x)), layer, pos) for layer, w in enumerate(weights)
                     for pos, x in enumerate(np.ravel(w)))
    n_prune = round(sparsity * len(entries))
    masks = [np.ones(np.size(w), dtype=bool) for w in weights]
    for _, layer, pos in entries[:n_prune]:
        masks[layer][pos] = False
    return [m.reshape(np.shape(w)) for m, w in zip(masks, weights)]


def _global_prune_inputs(rng, size):
    n_layers = int(rng.integers(1, 4))
    weights = []
    for _ in range(n_layers):
        shape = (int(rng.integers(1, size + 2)), int(rng.integers(1, 4)))
        weights.append(rng.normal(0, rng.uniform(0.2, 2.0), size=shape))
    return {"weights": weights, "sparsity": float(rng.choice([0.0, 0.1, 0.25, 0.5, 0.8, 1.0, rng.uniform()]))}


def _global_prune_count(kwargs, out):
    n = sum(np.size(w) for w in kwargs["weights"])
    pruned = sum(int(np.size(m) - np.count_nonzero(m)) for m in out)
    assert pruned == round(kwargs["sparsity"] * n), f"pruned {pruned} weights, expected round(s n) = " \
                                                    f"{round(kwargs['sparsity'] * n)}"


def _global_prune_threshold(kwargs, out):
    kept = [abs(x) for w, m in zip(kwargs["weights"], out) for x in np.asarray(w)[np.asarray(m, bool)]]
    gone = [abs(x) for w, m in zip(kwargs["weights"], out) for x in np.asarray(w)[~np.asarray(m, bool)]]
    if kept and gone:
        assert min(kept) >= max(gone), f"a kept weight |w| = {min(kept):.4g} is smaller than a pruned one " \
                                       f"{max(gone):.4g}"


@as_exercise(
    "4.35", reference=_global_prune_loop, inputs=_global_prune_inputs, difficulty=2,
    edge_cases={
        "a layer of small weights loses more than its share": {
            "weights": [np.array([[0.01, -0.02], [0.03, 0.04]]), np.array([[1.0, -2.0, 3.0]])], "sparsity": 0.5},
        "equal magnitudes: earlier layer, then earlier position, pruned first": {
            "weights": [np.array([[1.0, -1.0]]), np.array([[-1.0], [1.0]])], "sparsity": 0.5},
        "sparsity 0 keeps all, and a single weight": {"weights": [np.array([[-3.0]])], "sparsity": 0.0},
        "sparsity 1 prunes all": {"weights": [np.array([[2.0, 0.0]]), np.array([[1.0]])], "sparsity": 1.0},
    },
    properties={
        "exactly round(s n) weights are pruned": _global_prune_count,
        "no kept weight is smaller than a pruned one": _global_prune_threshold,
    },
    hints=("Flatten the magnitudes of every layer into one vector, so one threshold serves the whole network; "
           "the number to prune is \\( \\mathrm{round}(s\\,n) \\) of the \\( n \\) weights in total.",
           "A stable argsort of that vector puts equal magnitudes in (layer, position) order; mark the first "
           "\\( m \\) indices False and cut the vector back into the layers' shapes with the cumulative sizes."),
    key_line="keep[np.argsort(np.abs(flat), kind='stable')[:n_prune]] = False",
    shows=(_pruning._keep_largest, _pruning.global_masks),
)
def global_magnitude_prune(weights, sparsity):
    """Global magnitude pruning: one magnitude threshold across every layer.

    Parameters
    ----------
    weights : list of ndarray (any shapes), the network's weight matrices
    sparsity : float in [0, 1], the share of all weights to remove

    Returns
    -------
    list of bool ndarray, one mask per layer shaped like it (False = pruned). Exactly ``round(sparsity * n)``
    weights are pruned (Python's ``round``; ``n`` the total count), those of smallest ``|w|``; among equal
    magnitudes the earlier layer, then the earlier position in row-major order, goes first.
    """
    return _pruning.global_masks(weights, sparsity)


# -- 4.36 Graph neural networks: one graph-convolution layer ---------------------------------------------------

def _gcn_loop(A, H, W):
    """a loop over each node's neighbours"""
    n = len(A)
    deg = [1 + sum(1 for u in range(n) if A[v][u]) for v in range(n)]          # + 1: the self-loop
    HW = np.asarray(H) @ np.asarray(W)
    out = np.zeros((n, HW.shape[1]))
    for v in range(n):
        for u in range(n):
            if u == v or A[v][u]:
                out[v] += HW[u] / math.sqrt(deg[u] * deg[v])
    return out


def _gcn_inputs(rng, size):
    n = size
    upper = np.triu(rng.uniform(size=(n, n)) < rng.uniform(0.2, 0.7), 1)
    A = (upper | upper.T).astype(float)
    f_in, f_out = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    if size == 1:
        f_out = 1                                          # size 1: a single number (the engine's stub test)
    return {"A": A, "H": rng.normal(size=(n, f_in)), "W": rng.normal(size=(f_in, f_out))}


def _gcn_sqrt_degree_sum(kwargs, out):
    # s = sqrt(degree + 1) satisfies s^T A_hat = s^T, so the s-weighted column sums of H W are kept
    A = np.asarray(kwargs["A"])
    s = np.sqrt(A.sum(1) + 1)
    HW = np.asarray(kwargs["H"]) @ np.asarray(kwargs["W"])
    before, after = s @ HW, s @ np.asarray(out)
    assert np.allclose(after, before, rtol=1e-9, atol=1e-9), \
        f"sum_v sqrt(d_v + 1) out_v = {after} should equal the same sum over H W, {before}"


def _gcn_one_hop(kwargs, out):
    A = np.asarray(kwargs["A"])
    HW = np.asarray(kwargs["H"]) @ np.asarray(kwargs["W"])
    for v in range(len(A)):
        if A[v].sum() == 0:
            assert np.allclose(np.asarray(out)[v], HW[v], rtol=1e-9, atol=1e-12), \
                f"node {v} has no neighbours, so its output must be its own row of H W"


@as_exercise(
    "4.36", reference=_gcn_loop, inputs=_gcn_inputs, difficulty=1,
    edge_cases={
        "no edges: each node keeps its own features": {"A": np.zeros((3, 3)), "H": np.array([[1.0], [2.0], [-1.0]]),
                                                       "W": np.array([[2.0, -1.0]])},
        "a star: the hub averages with weights 1/sqrt(d_u d_v)": {
            "A": np.array([[0.0, 1, 1, 1], [1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]]),
            "H": np.array([[1.0], [0.0], [2.0], [4.0]]), "W": np.array([[1.0]])},
        "one node": {"A": np.zeros((1, 1)), "H": np.array([[3.0, 1.0]]), "W": np.array([[1.0], [2.0]])},
    },
    properties={
        "sqrt(degree + 1)-weighted column sums are kept": _gcn_sqrt_degree_sum,
        "an isolated node's output is its own H W row": _gcn_one_hop,
    },
    hints=("Add a self-loop to every node: \\( \\tilde A = A + I \\), with degrees \\( \\tilde d_v = "
           "\\sum_u \\tilde A_{vu} \\). Scale entry \\( (v, u) \\) by \\( 1/\\sqrt{\\tilde d_v \\tilde d_u} \\).",
           "Then it is two matrix products: \\( \\hat A H W \\). Scaling rows and columns by a vector is "
           "broadcasting, no diagonal matrices needed."),
    key_line="A_hat = A_t / np.sqrt(np.outer(d, d))",
    shows=(_gnn.normalized_adjacency, _gnn.gcn_graph, _gnn._propagate),
)
def gcn_layer(A, H, W):
    """One graph-convolution (Kipf & Welling) layer without its activation: ``D~^-1/2 (A + I) D~^-1/2 H W``.

    Parameters
    ----------
    A : ndarray, shape (n, n), a symmetric 0/1 adjacency matrix with a zero diagonal
    H : ndarray, shape (n, f_in), node features
    W : ndarray, shape (f_in, f_out), the layer's weights

    Returns
    -------
    ndarray, shape (n, f_out); ``D~`` is the diagonal of the degrees of ``A + I`` (degree + 1).
    """
    return _gnn.normalized_adjacency(A) @ H @ W


# -- 4.37 Retrieval-augmented generation: TF-IDF document vectors ---------------------------------------------

def _tfidf_sklearn(counts, sublinear_tf):
    """sklearn.feature_extraction.text.TfidfTransformer"""
    return _TfidfTransformer(norm="l2", smooth_idf=True, sublinear_tf=sublinear_tf).fit_transform(
        np.asarray(counts)).toarray()


def _tfidf_inputs(rng, size):
    n_terms = int(rng.integers(1, size + 3))
    C = rng.integers(0, 4, size=(size, n_terms)) * (rng.uniform(size=(size, n_terms)) < 0.6)
    C[rng.integers(0, size, n_terms), np.arange(n_terms)] += 1            # every term is in some document
    if size == 1:
        C = C[:, :1]                                       # size 1: a single number (the engine's stub test)
    return {"counts": C.astype(int), "sublinear_tf": bool(rng.integers(0, 2))}


def _tfidf_unit_rows(kwargs, out):
    norms = np.linalg.norm(np.asarray(out), axis=1)
    empty = np.asarray(kwargs["counts"]).sum(1) == 0
    assert np.allclose(norms[~empty], 1.0, rtol=0, atol=1e-12), f"rows must have unit length, got {norms}"
    assert np.all(norms[empty] == 0), "a document without terms must get a zero row"


@as_exercise(
    "4.37", reference=_tfidf_sklearn, inputs=_tfidf_inputs, difficulty=2,
    edge_cases={
        "a term in every document is weighted least (idf 1)": {"counts": np.array([[1, 1], [1, 0], [1, 0]]),
                                                               "sublinear_tf": False},
        "an empty document gives a zero row": {"counts": np.array([[0, 0, 0], [2, 0, 1], [0, 5, 0]]),
                                               "sublinear_tf": True},
        "sublinear tf: counts 1 and 7 weigh 1 and 1 + ln 7": {
            "counts": np.array([[1, 7], [0, 1]]), "sublinear_tf": True},
    },
    properties={"unit rows, zero for an empty document": _tfidf_unit_rows},
    hints=("The smoothed idf of a term is \\( \\ln\\frac{1+n}{1+\\mathrm{df}} + 1 \\), with \\( \\mathrm{df} \\) "
           "the number of documents holding it; the term frequency is the raw count, or \\( 1 + \\ln c \\) for "
           "\\( c > 0 \\) when sublinear.",
           "Multiply tf by idf column-wise, then divide each row by its Euclidean norm, leaving all-zero rows as "
           "they are."),
    key_line="idf = np.log((1 + n_docs) / (1 + (counts > 0).sum(axis=0))) + 1",
    shows=(_rt.TfidfRetriever.fit, _rt.TfidfRetriever._weigh),
)
def tfidf_rows(counts, sublinear_tf):
    """Unit TF-IDF vectors of a corpus from its term counts (scikit-learn's smoothed idf, L2 norm).

    Parameters
    ----------
    counts : ndarray of int, shape (n_docs, n_terms), how often each term occurs in each document (every
        term occurs somewhere)
    sublinear_tf : bool, use ``1 + ln(count)`` instead of the raw count (0 stays 0)

    Returns
    -------
    ndarray, shape (n_docs, n_terms): ``tf * (ln((1 + n_docs) / (1 + df)) + 1)``, each row divided by its
    Euclidean norm (a document with no terms stays a zero row).
    """
    words = [f"w{j:04d}" for j in range(np.shape(counts)[1])]            # sorted like the columns
    docs = [" ".join(w for j, c in enumerate(row) for w in [words[j]] * int(c)) or "" for row in counts]
    return _rt.TfidfRetriever(sublinear_tf=bool(sublinear_tf)).fit(docs).doc_vectors_


# -- 4.38 Hebbian learning: Oja's rule ---------------------------------------------------------------------------

def _oja_loop(X, w0, eta, epochs):
    """a loop over samples with python floats"""
    w = [float(x) for x in w0]
    for _ in range(epochs):
        for x in X:
            y = sum(wi * xi for wi, xi in zip(w, x))
            w = [wi + eta * y * (xi - y * wi) for wi, xi in zip(w, x)]
    return np.array(w)


def _oja_inputs(rng, size):
    d = int(rng.integers(1, 4)) if size > 1 else 1         # size 1: a single number (the engine's stub test)
    w0 = rng.normal(size=d)
    return {"X": rng.normal(size=(size, d)) * rng.uniform(0.3, 1.5, d), "w0": w0 / np.linalg.norm(w0),
            "eta": float(rng.uniform(0.01, 0.2)), "epochs": int(rng.integers(1, 4))}


def _oja_norm_bounded(kwargs, out):
    norm = float(np.linalg.norm(out))
    assert np.isfinite(norm) and norm < 2.0, f"Oja's decay should keep |w| near 1 for small steps, got {norm:.4g}"


@as_exercise(
    "4.38", reference=_oja_loop, inputs=_oja_inputs, difficulty=1,
    edge_cases={
        "a sample orthogonal to w leaves it unchanged": {"X": np.array([[0.0, 3.0]]), "w0": np.array([1.0, 0.0]),
                                                         "eta": 0.1, "epochs": 2},
        "a unit w along a unit sample is a fixed point": {"X": np.array([[0.6, 0.8]]), "w0": np.array([0.6, 0.8]),
                                                          "eta": 0.5, "epochs": 3},
        "samples are used in order, epoch after epoch": {"X": np.array([[1.0, 0.0], [0.0, 2.0]]),
                                                         "w0": np.array([0.5, 0.5]), "eta": 0.1, "epochs": 2},
    },
    properties={"|w| stays bounded (no blow-up)": _oja_norm_bounded},
    hints=("For each sample in turn compute the unit's output \\( y = w^\\top x \\) with the current weights, "
           "then update at once; the next sample sees the new \\( w \\).",
           "Oja's rule is Hebb's \\( \\eta\\,y\\,x \\) minus a decay \\( \\eta\\,y^2 w \\) that keeps the "
           "norm near 1."),
    key_line="w = w + eta * y * (x - y * w)",
    shows=(_hf.hebbian_trajectory,),
)
def oja_rule(X, w0, eta, epochs):
    """Train one linear unit y = w·x with Oja's Hebbian rule, one sample at a time.

    Parameters
    ----------
    X : ndarray, shape (n, d), the samples, visited in row order in every epoch
    w0 : ndarray, shape (d,), the starting weights
    eta : float > 0, the learning rate
    epochs : int >= 1, passes over ``X``

    Returns
    -------
    ndarray, shape (d,), the weights after ``epochs * n`` updates.
    """
    return _hf.hebbian_trajectory(X, eta, epochs, rule="oja", w0=w0).weights[-1]


# -- 4.39 Hopfield networks: asynchronous recall -------------------------------------------------------------------

def _hopfield_loop(W, state, orders):
    """a loop over units with integer fields"""
    s = [int(x) for x in state]
    for order in orders:
        for i in order:
            field = sum(W[i][j] * s[j] for j in range(len(s)))
            if field > 0:
                s[i] = 1
            elif field < 0:
                s[i] = -1
    return np.array(s, dtype=float)


def _hopfield_inputs(rng, size):
    n = size
    P = int(rng.integers(1, 4))
    xi = rng.choice([-1.0, 1.0], size=(P, n))
    W = xi.T @ xi
    np.fill_diagonal(W, 0.0)
    state = xi[0] * np.where(rng.uniform(size=n) < 0.25, -1.0, 1.0)       # a corrupted first pattern
    return {"W": W, "state": state, "orders": np.array([rng.permutation(n) for _ in range(int(rng.integers(1, 4)))])}


def _hopfield_energy_down(kwargs, out):
    W, s0 = np.asarray(kwargs["W"]), np.asarray(kwargs["state"])
    e0, e1 = -0.5 * s0 @ W @ s0, -0.5 * np.asarray(out) @ W @ np.asarray(out)
    assert e1 <= e0 + 1e-9, f"the energy rose from {e0:.6g} to {e1:.6g}"


def _hopfield_binary(kwargs, out):
    assert np.all(np.isin(np.asarray(out), (-1.0, 1.0))), "every unit must end at -1 or +1"


@as_exercise(
    "4.39", reference=_hopfield_loop, inputs=_hopfield_inputs, difficulty=2,
    edge_cases={
        "a stored pattern is a fixed point": {"W": np.array([[0.0, 1, -1], [1, 0, -1], [-1, -1, 0]]),
                                              "state": np.array([1.0, 1.0, -1.0]), "orders": np.array([[2, 0, 1]])},
        "a zero field keeps the unit's value": {"W": np.array([[0.0, 1, -1], [1, 0, 0], [-1, 0, 0]]),
                                                "state": np.array([-1.0, 1.0, 1.0]), "orders": np.array([[0, 1, 2]])},
        "the order matters: updates are sequential": {"W": np.array([[0.0, -1], [-1, 0]]),
                                                      "state": np.array([1.0, 1.0]), "orders": np.array([[1, 0]])},
    },
    properties={
        "the energy does not rise": _hopfield_energy_down,
        "states stay in {-1, +1}": _hopfield_binary,
    },
    hints=("Visit the units one at a time in the given order and set each to the sign of its field "
           "\\( h_i = \\sum_j W_{ij} s_j \\), computed from the current state (including updates made earlier "
           "in the same sweep).",
           "A field of exactly zero leaves the unit as it is."),
    key_line="s[i] = 1.0 if h > 0 else (-1.0 if h < 0 else s[i])",
    shows=(_hf.hopfield_recall,),
)
def hopfield_sweeps(W, state, orders):
    """Asynchronous Hopfield dynamics: update one unit at a time, in given orders.

    Parameters
    ----------
    W : ndarray, shape (N, N), symmetric weights with a zero diagonal (integers here)
    state : ndarray, shape (N,), the start, entries -1 or +1
    orders : ndarray of int, shape (n_sweeps, N), each row a permutation of 0 .. N-1: the units visited in
        each sweep

    Returns
    -------
    ndarray, shape (N,), the state after all sweeps; unit i becomes ``sign(sum_j W[i, j] s[j])`` from the
    current state, and keeps its value when that sum is 0.
    """
    res = _hf.hopfield_recall(W, state, max_sweeps=len(orders), track_energy=False,
                              rng=Replay(permutation=np.asarray(orders, int)))
    return res.states[0]


# -- 4.40 Boltzmann machines: exact moments by enumeration --------------------------------------------------------

def _bm_loop(W, b, temperature):
    """a loop over every state with itertools.product"""
    n = len(b)
    weights, states = [], []
    for s in itertools.product((0, 1), repeat=n):
        e = -sum(b[i] * s[i] for i in range(n)) - sum(W[i][j] * s[i] * s[j] for i in range(n)
                                                       for j in range(i + 1, n))
        weights.append(-e / temperature)
        states.append(s)
    m = max(weights)
    z = sum(math.exp(w - m) for w in weights)
    p = [math.exp(w - m) / z for w in weights]
    means = [sum(pk * s[i] for pk, s in zip(p, states)) for i in range(n)]
    corr = [[sum(pk * s[i] * s[j] for pk, s in zip(p, states)) for j in range(n)] for i in range(n)]
    return m + math.log(z), np.array(means), np.array(corr)


def _bm_inputs(rng, size):
    n = int(rng.integers(1, min(size, 6) + 1))
    A = rng.normal(0, 1, size=(n, n))
    W = np.triu(A, 1) + np.triu(A, 1).T
    return {"W": W, "b": rng.normal(0, 1, size=n), "temperature": float(rng.choice([0.5, 1.0, 2.0]))}


def _bm_corr_diag(kwargs, out):
    _, means, corr = out
    assert np.allclose(np.diag(corr), means, rtol=1e-9, atol=1e-12), \
        "for 0/1 units <s_i s_i> = <s_i>: the diagonal of the correlations must equal the means"
    assert np.allclose(corr, np.asarray(corr).T, rtol=1e-12, atol=1e-14), "the correlations must be symmetric"


@as_exercise(
    "4.40", reference=_bm_loop, inputs=_bm_inputs, difficulty=2,
    edge_cases={
        "no couplings, no biases: log Z = N log 2, means 1/2": {"W": np.zeros((3, 3)), "b": np.zeros(3),
                                                                "temperature": 1.0},
        "one unit: the mean is sigmoid(b / T)": {"W": np.zeros((1, 1)), "b": np.array([1.5]), "temperature": 0.5},
        "strong biases do not overflow": {"W": np.array([[0.0, 30.0], [30.0, 0.0]]), "b": np.array([400.0, -400.0]),
                                          "temperature": 1.0},
    },
    properties={"diagonal of the correlations = means, symmetric": _bm_corr_diag},
    hints=("List all \\( 2^N \\) binary states as rows of a matrix, compute every energy \\( E(s) = "
           "-\\tfrac12 s^\\top W s - b^\\top s \\) at once, and weight state \\( s \\) by \\( e^{-E(s)/T} \\).",
           "Work in logs: \\( \\log Z \\) is a log-sum-exp, and the probabilities are "
           "\\( e^{-E/T - \\log Z} \\); means and correlations are probability-weighted sums over the rows."),
    key_line="log_w = -energies / T;  log_Z = logsumexp(log_w);  p = np.exp(log_w - log_Z)",
    shows=(_bm._exact,),
)
def bm_moments(W, b, temperature):
    """The exact log-partition function and moments of a small Boltzmann machine of 0/1 units.

    Parameters
    ----------
    W : ndarray, shape (N, N), symmetric with a zero diagonal; b : ndarray, shape (N,)
    temperature : float > 0

    The distribution is ``p(s) ∝ exp(-E(s) / T)`` with ``E(s) = -1/2 s^T W s - b^T s`` over s in {0, 1}^N.

    Returns
    -------
    (log_Z, means, correlations): a float, ``<s_i>`` of shape (N,), ``<s_i s_j>`` of shape (N, N).
    """
    res = _bm.boltzmann_exact(W, b, temperature)
    return res.log_Z, res.means, res.correlations


# -- 4.41 Restricted Boltzmann machines: the free energy -----------------------------------------------------------

def _rbm_free_enum(v, W, a, b):
    """a sum over every hidden state (scipy.special.logsumexp)"""
    n_h = np.shape(W)[1]
    H = np.array(list(itertools.product((0.0, 1.0), repeat=n_h)))            # (2^n_h, n_h)
    out = []
    for row in np.asarray(v, float):
        neg_e = row @ a + H @ b + H @ (row @ W)                                  # -E(v, h) for every h
        out.append(-_sps.logsumexp(neg_e))
    return np.array(out)


def _rbm_inputs(rng, size):
    n_v, n_h = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    return {"v": (rng.uniform(size=(size, n_v)) < 0.5).astype(float), "W": rng.normal(0, 1, size=(n_v, n_h)),
            "a": rng.normal(0, 1, size=n_v), "b": rng.normal(0, 1, size=n_h)}


def _rbm_free_below_energy(kwargs, out):
    # F(v) = -log sum_h e^{-E(v,h)} is below every E(v, h), in particular h = 0: E = -a.v
    e0 = -np.asarray(kwargs["v"]) @ np.asarray(kwargs["a"])
    assert np.all(np.asarray(out) <= e0 + 1e-12), "F(v) must lie below E(v, h = 0) = -a.v"


@as_exercise(
    "4.41", reference=_rbm_free_enum, inputs=_rbm_inputs, difficulty=2,
    edge_cases={
        "W = 0, b = 0: F = -a.v - n_h log 2": {"v": np.array([[1.0, 0.0], [1.0, 1.0]]), "W": np.zeros((2, 3)),
                                               "a": np.array([0.5, -1.0]), "b": np.zeros(3)},
        "large inputs to the hidden units do not overflow": {
            "v": np.array([[1.0, 1.0]]), "W": np.array([[400.0], [400.0]]), "a": np.zeros(2),
            "b": np.array([100.0])},
        "v = 0: F = -sum softplus(b)": {"v": np.zeros((1, 2)), "W": np.ones((2, 2)), "a": np.ones(2),
                                        "b": np.array([0.0, 2.0])},
    },
    properties={"F(v) is below E(v, h = 0)": _rbm_free_below_energy},
    hints=("Summing \\( e^{-E(v,h)} \\) over all hidden vectors factorises: each hidden unit contributes "
           "\\( 1 + e^{b_j + v^\\top W_{:,j}} \\).",
           "So \\( F(v) = -a^\\top v - \\sum_j \\log(1 + e^{b_j + (vW)_j}) \\); use np.logaddexp(0, x) for a "
           "softplus that cannot overflow."),
    key_line="F = -v @ a - np.logaddexp(0.0, v @ W + b).sum(axis=1)",
    shows=(_rbm.free_energy,),
)
def rbm_free_energy(v, W, a, b):
    """The free energy F(v) = -log sum_h exp(-E(v, h)) of binary visible vectors in an RBM.

    Parameters
    ----------
    v : ndarray, shape (n, n_v), rows of 0/1 visible states
    W : ndarray, shape (n_v, n_h); a : ndarray (n_v,), visible biases; b : ndarray (n_h,), hidden biases

    The energy is ``E(v, h) = -a.v - b.h - v^T W h`` with 0/1 hidden units.

    Returns
    -------
    ndarray, shape (n,).
    """
    return _rbm.free_energy(v, W, a, b)


# -- 4.42 Belief propagation: exact marginals on a tree ------------------------------------------------------------

def _tree_marginals_enum(unary, edges, pairwise):
    """an enumeration of every joint state"""
    n, K = np.shape(unary)
    total = np.zeros((n, K))
    for xs in itertools.product(range(K), repeat=n):
        w = math.prod(unary[i][xs[i]] for i in range(n))
        w *= math.prod(pairwise[e][xs[i]][xs[j]] for e, (i, j) in enumerate(edges))
        for i in range(n):
            total[i, xs[i]] += w
    return list(total / total.sum(axis=1, keepdims=True))


def _tree_inputs(rng, size):
    n = int(rng.integers(2, min(size, 5) + 2))
    K = int(rng.integers(2, 4))
    edges = []
    for i in range(1, n):
        j = int(rng.integers(0, i))                                     # a random tree: i joins an earlier node
        edges.append((i, j) if rng.uniform() < 0.5 else (j, i))
    order = rng.permutation(len(edges))
    return {"unary": rng.uniform(0.2, 2.0, size=(n, K)), "edges": np.array(edges, dtype=int).reshape(-1, 2)[order],
            "pairwise": rng.uniform(0.2, 2.0, size=(len(edges), K, K))}


def _tree_rows_sum(kwargs, out):
    out = np.array([np.asarray(row, float) for row in out])
    assert np.all(out >= 0) and np.allclose(out.sum(axis=1), 1.0, rtol=0, atol=1e-12), \
        "every node's marginal must be a probability vector"


@as_exercise(
    "4.42", reference=_tree_marginals_enum, inputs=_tree_inputs, difficulty=3,
    edge_cases={
        "a constant pairwise potential: the normalised unaries": {
            "unary": np.array([[1.0, 3.0], [2.0, 2.0], [5.0, 1.0]]), "edges": np.array([[0, 1], [2, 1]]),
            "pairwise": np.full((2, 2, 2), 0.7)},
        "an asymmetric potential read as [x_i, x_j] for edge (i, j)": {
            "unary": np.ones((2, 2)), "edges": np.array([[1, 0]]), "pairwise": np.array([[[1.0, 5.0], [1.0, 1.0]]])},
        "a chain of four: evidence at one end reaches the other": {
            "unary": np.array([[9.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]),
            "edges": np.array([[0, 1], [1, 2], [2, 3]]),
            "pairwise": np.tile(np.array([[4.0, 1.0], [1.0, 4.0]]), (3, 1, 1))},
    },
    properties={"each row is a probability vector": _tree_rows_sum},
    hints=("A message from \\( i \\) to \\( j \\) sums over \\( x_i \\): the pairwise potential times "
           "\\( i \\)'s unary times every message into \\( i \\) except the one from \\( j \\). Start from uniform "
           "messages and recompute all of them together; on a tree they stop changing after as many rounds as "
           "the longest path.",
           "A node's marginal is its unary times all incoming messages, normalised. Normalise messages each "
           "round (or work in logs) so nothing underflows."),
    key_line="m_new[i, j] = (pairwise_ij.T @ (unary[i] * prod_of_messages_into_i_except_from_j)); m_new /= m_new.sum()",
    shows=(_bp.belief_propagation,),
)
def tree_marginals(unary, edges, pairwise):
    """Exact single-node marginals of a tree-structured pairwise Markov random field, by sum-product.

    Parameters
    ----------
    unary : ndarray, shape (n, K), positive node potentials psi_i(x_i)
    edges : ndarray of int, shape (n - 1, 2), the tree's edges (i, j), each once (n >= 2)
    pairwise : ndarray, shape (n - 1, K, K), positive; ``pairwise[e][a, b]`` is psi(x_i = a, x_j = b) for
        ``edges[e] = (i, j)``

    The joint is ``p(x) ∝ prod_i psi_i(x_i) prod_e psi_e(x_i, x_j)``.

    Returns
    -------
    list of n ndarrays of shape (K,), item i the marginal p(x_i).
    """
    n = len(unary)
    mrf = _bp.make_pairwise_mrf(unary, [tuple(e) for e in edges], pairwise)
    return list(_bp.belief_propagation(mrf, n_iters=n + 1, tol=0.0).beliefs)


# -- 4.43 Deep belief networks: the variational lower bound --------------------------------------------------------

def _dbn_bound_enum(X, W1, a1, b1, W2, a2, b2):
    """an enumeration of every hidden and top state"""
    def sig(t):
        return 1.0 / (1.0 + math.exp(-t))

    n_v, n_h = np.shape(W1)
    n_t = np.shape(W2)[1]
    Hs = list(itertools.product((0, 1), repeat=n_h))
    Ts = list(itertools.product((0, 1), repeat=n_t))

    def unnorm(h, t):                                   # exp(-E2(h, t)) of the top RBM (h visible, t hidden)
        e = sum(a2[j] * h[j] for j in range(n_h)) + sum(b2[k] * t[k] for k in range(n_t))
        e += sum(h[j] * W2[j][k] * t[k] for j in range(n_h) for k in range(n_t))
        return math.exp(e)

    Z2 = sum(unnorm(h, t) for h in Hs for t in Ts)
    total = 0.0
    for v in X:
        for h in Hs:
            q = math.prod(sig(b1[j] + sum(v[i] * W1[i][j] for i in range(n_v))) if h[j] else
                          1 - sig(b1[j] + sum(v[i] * W1[i][j] for i in range(n_v))) for j in range(n_h))
            log_prior = math.log(sum(unnorm(h, t) for t in Ts) / Z2)
            pv = [sig(a1[i] + sum(W1[i][j] * h[j] for j in range(n_h))) for i in range(n_v)]
            log_lik = sum(math.log(pv[i] if v[i] else 1 - pv[i]) for i in range(n_v))
            total += q * (log_prior + log_lik - math.log(q))
    return total / len(X)


def _dbn_inputs(rng, size):
    n_v, n_h, n_t = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 3))
    return {"X": (rng.uniform(size=(min(size, 6), n_v)) < 0.5).astype(float),
            "W1": rng.normal(0, 1, (n_v, n_h)), "a1": rng.normal(0, 1, n_v), "b1": rng.normal(0, 1, n_h),
            "W2": rng.normal(0, 1, (n_h, n_t)), "a2": rng.normal(0, 1, n_h), "b2": rng.normal(0, 1, n_t)}


def _dbn_bound_nonpos(kwargs, out):
    assert out <= 1e-12, f"a lower bound on the log-probability of binary data cannot be positive, got {out:.6g}"


@as_exercise(
    "4.43", reference=_dbn_bound_enum, inputs=_dbn_inputs, difficulty=3,
    edge_cases={
        "all parameters zero: the bound is exact, -n_v log 2": {
            "X": np.array([[1.0, 0.0, 1.0]]), "W1": np.zeros((3, 2)), "a1": np.zeros(3), "b1": np.zeros(2),
            "W2": np.zeros((2, 1)), "a2": np.zeros(2), "b2": np.zeros(1)},
        "one unit per layer": {"X": np.array([[1.0], [0.0]]), "W1": np.array([[2.0]]), "a1": np.array([-1.0]),
                               "b1": np.array([0.5]), "W2": np.array([[-1.5]]), "a2": np.array([0.3]),
                               "b2": np.array([1.0])},
    },
    properties={"the bound is not positive": _dbn_bound_nonpos},
    hints=("Enumerate the \\( 2^{n_h} \\) middle-layer states. For each: \\( q(h\\mid v) \\) is a product of "
           "sigmoids of \\( b_1 + vW_1 \\); \\( \\log p(v\\mid h) \\) a sum of Bernoulli log-likelihoods with "
           "means \\( \\sigma(a_1 + W_1 h) \\); \\( \\log p(h) \\) is the top RBM's visible marginal.",
           "\\( \\log p(h) = -F_2(h) - \\log Z_2 \\) with the top RBM's free energy "
           "\\( F_2(h) = -a_2^\\top h - \\sum_k \\mathrm{softplus}(b_{2k} + (hW_2)_k) \\) and "
           "\\( \\log Z_2 \\) a log-sum-exp of \\( -F_2 \\) over all \\( h \\). Average "
           "\\( \\sum_h q\\,[\\log p(h) + \\log p(v\\mid h) - \\log q] \\) over the rows."),
    key_line="bound = np.sum(q * (log_prior[None, :] + log_lik - log_q), axis=1).mean()",
    shows=(_rbm.dbn_bound,),
)
def dbn_elbo(X, W1, a1, b1, W2, a2, b2):
    """The variational lower bound on the mean log p(v) of a two-layer deep belief network.

    Parameters
    ----------
    X : ndarray, shape (n, n_v), binary data rows
    W1 (n_v, n_h), a1 (n_v,), b1 (n_h,) : the bottom RBM (visible biases a1, hidden biases b1)
    W2 (n_h, n_t), a2 (n_h,), b2 (n_t,) : the top RBM, whose visible layer is the bottom's hidden layer

    The model is ``p(v, h) = p(h) p(v | h)``: ``p(h)`` the top RBM's marginal of its visible units,
    ``p(v_i = 1 | h) = sigmoid(a1_i + (W1 h)_i)``; the posterior is approximated by the bottom RBM's
    ``q(h_j = 1 | v) = sigmoid(b1_j + (v W1)_j)``. RBM energies are ``E(v, h) = -a.v - b.h - v^T W h``.

    Returns
    -------
    float, the mean over rows of ``sum_h q(h | v) [log p(h) + log p(v | h) - log q(h | v)]``.
    """
    return _rbm.dbn_bound(X, (W1, a1, b1), (W2, a2, b2))


# -- 4.44 Model-agnostic explanations: exact Shapley values --------------------------------------------------------

def _poly_model(w, Q, c):
    return lambda Z: Z @ w + np.einsum("mi,ij,mj->m", Z, Q, Z) + c * np.prod(Z, axis=1)


def _shapley_perms(w, Q, c, x, baseline):
    """an average over all orderings (itertools.permutations)"""
    d = len(x)

    def f(z):
        return (sum(w[i] * z[i] for i in range(d)) + sum(Q[i][j] * z[i] * z[j] for i in range(d) for j in range(d))
                + c * math.prod(z))

    phi = [0.0] * d
    perms = list(itertools.permutations(range(d)))
    for order in perms:
        z = [float(b) for b in baseline]
        before = f(z)
        for i in order:
            z[i] = float(x[i])
            after = f(z)
            phi[i] += (after - before) / len(perms)
            before = after
    return np.array(phi)


def _shapley_inputs(rng, size):
    d = int(rng.integers(1, min(size, 5) + 1))
    return {"w": rng.normal(size=d), "Q": rng.normal(0, 0.7, size=(d, d)), "c": float(rng.normal()),
            "x": rng.normal(size=d),
            "baseline": rng.normal(0, 0.5, size=d)}


def _shapley_efficiency(kwargs, out):
    f = _poly_model(np.asarray(kwargs["w"]), np.asarray(kwargs["Q"]), kwargs["c"])
    gap = float(f(np.asarray(kwargs["x"])[None])[0] - f(np.asarray(kwargs["baseline"])[None])[0])
    assert abs(np.sum(out) - gap) <= 1e-9 * (1 + abs(gap)), \
        f"the values must add up to f(x) - f(baseline) = {gap:.6g}, they add up to {np.sum(out):.6g}"


@as_exercise(
    "4.44", reference=_shapley_perms, inputs=_shapley_inputs, difficulty=3,
    edge_cases={
        "a linear model: w_i (x_i - b_i)": {"w": np.array([2.0, -1.0, 0.5]), "Q": np.zeros((3, 3)), "c": 0.0,
                                            "x": np.array([1.0, 2.0, 3.0]), "baseline": np.zeros(3)},
        "a feature equal to its baseline gets 0": {"w": np.array([1.0, 1.0]),
                                                   "Q": np.array([[0.0, 3.0], [0.0, 1.0]]), "c": 2.0,
                                                   "x": np.array([2.0, 0.5]), "baseline": np.array([0.0, 0.5])},
        "a pairwise interaction is split equally": {"w": np.zeros(2), "Q": np.array([[0.0, 1.0], [0.0, 0.0]]),
                                                    "c": 0.0, "x": np.array([2.0, 3.0]), "baseline": np.zeros(2)},
        "a three-way product: a third each (not a quarter)": {"w": np.zeros(3), "Q": np.zeros((3, 3)), "c": 1.0,
                                                              "x": np.ones(3), "baseline": np.zeros(3)},
        "one feature: all of f(x) - f(b)": {"w": np.array([1.5]), "Q": np.array([[2.0]]), "c": 0.5,
                                            "x": np.array([1.0]), "baseline": np.array([-1.0])},
    },
    properties={"efficiency: the values add up to f(x) - f(baseline)": _shapley_efficiency},
    hints=("Evaluate the model on all \\( 2^d \\) inputs that take each feature from \\( x \\) (in the "
           "coalition) or from the baseline (outside it), in one batch.",
           "Feature \\( i \\)'s value is \\( \\sum_{S \\not\\ni i} \\frac{|S|!(d-|S|-1)!}{d!}"
           "[v(S\\cup\\{i\\}) - v(S)] \\); index coalitions by bitmask so \\( S\\cup\\{i\\} \\) is a lookup."),
    key_line="phi[i] = weight[without] @ (v[with_i] - v[without])",
    shows=(_interp.shapley_values,),
)
def shapley_poly(w, Q, c, x, baseline):
    """Exact Shapley values of the features of one input, for the model f(z) = w·z + z^T Q z + c prod(z).

    Parameters
    ----------
    w : ndarray, shape (d,); Q : ndarray, shape (d, d) (not necessarily symmetric); c : float
    x : ndarray, shape (d,), the input to explain
    baseline : ndarray, shape (d,), the values an absent feature takes

    A coalition S is worth ``v(S) = f(z)`` with ``z_i = x_i`` for i in S and ``z_i = baseline_i`` otherwise.

    Returns
    -------
    ndarray, shape (d,), each feature's Shapley value.
    """
    return _interp.shapley_values(_poly_model(np.asarray(w), np.asarray(Q), c), x, baseline)


# -- 4.47 Parameter tying: backpropagation through time for a shared recurrent matrix ------------------------------

def _rnn_loss(W_h, W_x, xs, R):
    h = np.zeros(len(W_h), dtype=W_h.dtype)
    loss = 0.0
    for t in range(len(xs)):
        h = np.tanh(h @ W_h + xs[t] @ W_x)
        loss = loss + np.sum(R[t] * h)
    return loss


def _rnn_complex_step(W_h, W_x, xs, R):
    """the complex-step derivative of the forward pass"""
    W_h = np.asarray(W_h, float)
    return float(_rnn_loss(W_h, W_x, xs, R)), complex_step_gradient(lambda W: _rnn_loss(W, W_x, xs, R), W_h)


def _rnn_inputs(rng, size):
    H, d, T = int(rng.integers(1, 4)), int(rng.integers(1, 3)), int(rng.integers(1, size + 2))
    return {"W_h": rng.normal(0, 0.6, (H, H)), "W_x": rng.normal(0, 0.8, (d, H)), "xs": rng.normal(size=(T, d)),
            "R": rng.normal(size=(T, H))}


def _rnn_zero_upstream(kwargs, out):
    loss, grad = out
    if not np.any(np.asarray(kwargs["R"])):
        assert loss == 0 and not np.any(grad), "with R = 0 the loss and its gradient must be 0"


@as_exercise(
    "4.47", reference=_rnn_complex_step, inputs=_rnn_inputs, difficulty=3,
    edge_cases={
        "one step: h0 = 0, so W_h gets no gradient": {"W_h": np.array([[0.5, -0.2], [0.1, 0.3]]),
                                                      "W_x": np.array([[1.0, -1.0]]), "xs": np.array([[0.7]]),
                                                      "R": np.array([[1.0, 2.0]])},
        "the loss only at the last step still reaches the first copy": {
            "W_h": np.array([[0.9]]), "W_x": np.array([[1.0]]), "xs": np.array([[1.0], [0.0], [0.0]]),
            "R": np.array([[0.0], [0.0], [1.0]])},
        "R = 0: nothing to learn": {"W_h": np.array([[0.2]]), "W_x": np.array([[1.0]]), "xs": np.array([[1.0], [2.0]]),
                                    "R": np.zeros((2, 1))},
    },
    properties={"no upstream gradient, no gradient": _rnn_zero_upstream},
    hints=("Run the recurrence forward and keep every state \\( h_0 = 0, h_1, \\dots, h_T \\). Going backwards, "
           "the gradient at the pre-activation of step \\( t \\) is \\( \\delta_t = (R_t + \\delta_{t+1} "
           "W_h^\\top) \\odot (1 - h_t^2) \\), with nothing coming from beyond \\( T \\).",
           "Each use of the shared matrix contributes \\( h_{t-1}^\\top \\delta_t \\); the tied gradient is the "
           "sum of these outer products over all steps."),
    key_line="grad += np.outer(h[t], delta);  carry = delta @ W_h.T",
    shows=(_tying.rnn_tied_gradient,),
)
def rnn_tied_grad(W_h, W_x, xs, R):
    """The loss and the gradient of the shared recurrent matrix of h_t = tanh(h_{t-1} W_h + x_t W_x).

    Parameters
    ----------
    W_h : ndarray, shape (H, H); W_x : ndarray, shape (d, H)
    xs : ndarray, shape (T, d), the inputs x_1 .. x_T; the state starts at h_0 = 0
    R : ndarray, shape (T, H); the loss is ``L = sum_t R_t · h_t``

    Returns
    -------
    (loss, grad): ``L`` (a float) and ``dL/dW_h`` (shape (H, H)), summed over every step that uses ``W_h``.
    """
    res = _tying.rnn_tied_gradient(W_h, W_x, xs, R)
    return res.loss, res.total


# -- 5.1 Model-based RL: the maximum-likelihood tabular model ------------------------------------------------------

def _mle_loops(s, a, r, s_next, done, n_states, n_actions):
    """a loop over transitions with counters"""
    count, visits, reward = {}, {}, {}
    terminal = {int(s2) for s2, d in zip(s_next, done) if d}
    for si, ai, ri, s2 in zip(s, a, r, s_next):
        key = (int(si), int(ai))
        visits[key] = visits.get(key, 0) + 1
        count[key + (int(s2),)] = count.get(key + (int(s2),), 0) + 1
        reward[key] = reward.get(key, 0.0) + float(ri)
    P = np.zeros((n_states, n_actions, n_states))
    R = np.zeros((n_states, n_actions))
    for x in range(n_states):
        for u in range(n_actions):
            if x in terminal or (x, u) not in visits:
                P[x, u, x] = 1.0                         # absorbing, or never tried: stay put, reward 0
                continue
            for y in range(n_states):
                P[x, u, y] = count.get((x, u, y), 0) / visits[(x, u)]
            R[x, u] = reward[(x, u)] / visits[(x, u)]
    return P, R


def _mle_inputs(rng, size):
    S, A = int(rng.integers(1, 5)), int(rng.integers(1, 3))
    n = size * 2
    s = rng.integers(0, S, n)
    s_next = rng.integers(0, S, n)
    done = (rng.uniform(size=n) < 0.15) & (s_next != 0)         # state 0 is the start: never terminal
    return {"s": s, "a": rng.integers(0, A, n), "r": np.round(rng.normal(size=n), 3), "s_next": s_next,
            "done": done, "n_states": S, "n_actions": A}


def _mle_rows_stochastic(kwargs, out):
    P = np.asarray(out[0])
    assert np.all(P >= 0) and np.allclose(P.sum(-1), 1.0, rtol=0, atol=1e-12), \
        "every P(. | s, a) must be a probability vector"


@as_exercise(
    "5.1", reference=_mle_loops, inputs=_mle_inputs, difficulty=2,
    edge_cases={
        "an untried pair stays put with reward 0": {"s": np.array([0]), "a": np.array([0]), "r": np.array([1.0]),
                                                    "s_next": np.array([1]), "done": np.array([False]),
                                                    "n_states": 2, "n_actions": 2},
        "a state entered with done is absorbing": {"s": np.array([0, 1]), "a": np.array([0, 0]),
                                                   "r": np.array([1.0, 5.0]), "s_next": np.array([1, 0]),
                                                   "done": np.array([True, False]), "n_states": 2, "n_actions": 1},
        "counts become frequencies, rewards average": {"s": np.array([0, 0, 0, 0]), "a": np.array([0, 0, 0, 0]),
                                                       "r": np.array([1.0, 2.0, 3.0, 6.0]),
                                                       "s_next": np.array([0, 1, 1, 1]),
                                                       "done": np.zeros(4, bool), "n_states": 2, "n_actions": 1},
    },
    properties={"each P(. | s, a) sums to 1": _mle_rows_stochastic},
    hints=("Count \\( N(s,a,s') \\) with np.add.at or np.bincount on a flattened index, and divide by "
           "\\( N(s,a) = \\sum_{s'} N(s,a,s') \\) where it is positive.",
           "\\( \\hat R(s,a) \\) is the mean reward over the tries of \\( (s,a) \\). Then overwrite: untried pairs "
           "and every action of a terminal state get a self-loop and reward 0."),
    key_line="P = N3 / np.where(counts > 0, counts, 1)[..., None]",
    shows=(_mb.mle_model,),
)
def mle_tabular_model(s, a, r, s_next, done, n_states, n_actions):
    """The maximum-likelihood transition and reward model of a batch of observed transitions.

    Parameters
    ----------
    s, a, s_next : ndarray of int, shape (n,), state, action and next state of each transition
    r : ndarray, shape (n,), the rewards; done : ndarray of bool, shape (n,), the episode ended on entering s_next
        (never true for s_next = 0, the start state)
    n_states, n_actions : int

    Returns
    -------
    (P, R): ``P[s, a, s']`` the observed frequency of s' after (s, a), shape (S, A, S); ``R[s, a]`` the mean
    observed reward of (s, a), shape (S, A). A pair never tried, and every action of a state some transition
    entered with ``done``, stays in its state with probability 1 and reward 0.
    """
    tr = _mb.Transitions(s, a, r, s_next, done)
    mdp = _mb.mle_model(tr, n_states, n_actions, gamma=0.9).mdp
    return mdp.P, mdp.R

"""Practice exercises of chapter 4's contrastive-learning pages (4.21 to 4.21.4)."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import log_softmax

from mlsheet_utils.algorithms.nn import contrastive as _cl
from mlsheet_utils.algorithms.nn import masking as _masking
from mlsheet_utils.algorithms.nn import selfsupervised as _ss
from mlsheet_utils.checks.practice import as_exercise
from mlsheet_utils.practice._support import Replay, complex_step_gradient

# -- 4.21 Contrastive learning: InfoNCE of two views and its gradients ----------------------------------------

def _complex_step_infonce(z1, z2, tau):
    """complex-step derivatives of the definition"""
    z1, z2 = np.asarray(z1, float), np.asarray(z2, float)

    def loss(a, b):                      # a, b: (P, n, d) complex; the definition, batched over P perturbations
        ua = a / np.sqrt((a * a).sum(-1, keepdims=True))
        ub = b / np.sqrt((b * b).sum(-1, keepdims=True))
        S = np.einsum("pid,pkd->pik", ua, ub) / tau
        diag = np.einsum("pii->pi", S)
        return (np.log(np.exp(S).sum(-1)) - diag).mean(-1)

    g1 = complex_step_gradient(lambda a: loss(a, np.broadcast_to(z2.astype(complex), a.shape)), z1, batched=True)
    g2 = complex_step_gradient(lambda b: loss(np.broadcast_to(z1.astype(complex), b.shape), b), z2, batched=True)
    value = float(loss(z1[None].astype(complex), z2[None].astype(complex)).real[0])
    return value, g1, g2


def _rows(rng, n, d):
    z = rng.normal(size=(n, d))
    return z / np.linalg.norm(z, axis=1, keepdims=True) * rng.uniform(0.5, 2.0, size=(n, 1))


def _infonce_inputs(rng, size):
    n, d = size + 1, int(rng.integers(2, 6))
    z1 = _rows(rng, n, d)
    z2 = z1 + rng.uniform(0.1, 1.0) * rng.normal(size=(n, d))
    return {"z1": z1, "z2": z2, "tau": float(rng.uniform(0.1, 1.0))}


def _scale_free(kwargs, out):
    _, g1, g2 = out
    for z, g, name in ((kwargs["z1"], g1, "z1"), (kwargs["z2"], g2, "z2")):
        along = np.abs((np.asarray(z) * np.asarray(g)).sum(1)).max()
        assert along < 1e-8, (f"dL/d{name} has a component {along:.3g} along its own row: rescaling a row "
                              "cannot change a cosine similarity, so that component must be 0")


def _loss_non_negative(kwargs, out):
    assert out[0] >= -1e-12, f"the loss {out[0]:.6g} is negative: a cross-entropy never is"


@as_exercise(
    "4.21", reference=_complex_step_infonce, inputs=_infonce_inputs, difficulty=3,
    edge_cases={
        "N = 1: no negatives, loss and gradients 0": {"z1": np.array([[1.0, 2.0]]), "z2": np.array([[3.0, -1.0]]),
                                                      "tau": 0.5},
        "collapse (every row equal): loss log N, gradients 0": {"z1": np.tile([1.0, 0.5, -1.0], (4, 1)),
                                                                "z2": np.tile([1.0, 0.5, -1.0], (4, 1)), "tau": 0.2},
        "orthogonal views of lengths 1, 2, 3 at tau = 0.1": {"z1": np.diag([1.0, 2.0, 3.0]),
                                                              "z2": np.diag([3.0, 1.0, 2.0]), "tau": 0.1},
    },
    properties={
        "each gradient row is orthogonal to its embedding (cosine ignores length)": _scale_free,
        "the loss is non-negative": _loss_non_negative,
    },
    hints=(r"Normalise the rows, \(u = z/\|z\|\), form \(S = U_1U_2^\top/\tau\) and take the mean cross-entropy "
           r"of each row with the diagonal as its label. The gradient with respect to \(S\) is "
           r"\(G = (\mathrm{softmax}(S) - I)/N\), so \(\partial L/\partial U_1 = GU_2/\tau\) and "
           r"\(\partial L/\partial U_2 = G^\top U_1/\tau\).",
           r"Go back through the normalisation: remove the part of \(g\) along \(u\), then divide by the "
           r"length, \((g - u\,(u\cdot g))/\|z\|\). Subtract the row maximum before exponentiating."),
    key_line="G = (P - np.eye(n)) / n;  dU1, dU2 = G @ U2 / tau, G.T @ U1 / tau",
    shows=(_cl._info_nce, _cl._cross_entropy_rows, _cl._l2_normalize_backward),
)
def infonce_two_views(z1, z2, tau):
    """InfoNCE of two views with cosine similarity, and its gradients with respect to both views.

    Row ``i`` of ``z1`` is the anchor, row ``i`` of ``z2`` its positive, and every other row of ``z2`` a negative:
    with ``u = z / ||z||`` row by row and ``S = U1 @ U2.T / tau``, the loss is the mean over the ``N`` rows of
    ``-log softmax(S[i])[i]``.

    Parameters
    ----------
    z1, z2 : ndarray, shape (N, dim), N >= 1, no zero rows
    tau : float > 0, the temperature

    Returns
    -------
    loss : float
    grad_z1, grad_z2 : ndarray, shape (N, dim)
        dloss/dz1 and dloss/dz2 (through the normalisation).
    """
    res = _cl.info_nce(z1, z2, tau)
    return res.loss, res.grad_z1, res.grad_z2


# -- 4.21.1 InfoNCE: the loss of a score matrix and the mutual-information bound ------------------------------

def _scipy_infonce_scores(scores):
    """scipy.special.log_softmax"""
    S = np.asarray(scores, float)
    n = S.shape[0]
    log_p = log_softmax(S, axis=1)
    loss = -float(np.trace(log_p)) / n
    return loss, (np.exp(log_p) - np.eye(n)) / n, float(np.log(n) - loss)


def _scores_inputs(rng, size):
    n = size
    S = rng.normal(scale=rng.uniform(0.5, 3.0), size=(n, n)) + rng.uniform(0.0, 3.0) * np.eye(n)
    return {"scores": S + rng.uniform(-5, 5)}


def _bound_at_most_log_n(kwargs, out):
    loss, _, bound = out
    n = np.shape(kwargs["scores"])[0]
    assert abs(bound - (np.log(n) - loss)) < 1e-9, f"the bound {bound:.6g} is not log N - loss"
    assert bound <= np.log(n) + 1e-12, f"the bound {bound:.6g} exceeds log N = {np.log(n):.6g}"


def _grad_rows_sum_to_zero(kwargs, out):
    grad = np.asarray(out[1])
    worst = np.abs(grad.sum(1)).max()
    assert worst < 1e-12, f"a row of the gradient sums to {worst:.3g}, not 0 (softmax minus one-hot sums to 0)"
    off = grad[~np.eye(len(grad), dtype=bool)]
    assert off.size == 0 or off.min() >= 0, "a negative's gradient is negative: the loss should push it down"


@as_exercise(
    "4.21.1", reference=_scipy_infonce_scores, inputs=_scores_inputs, difficulty=2,
    edge_cases={
        "equal scores: loss log N, bound 0": {"scores": np.zeros((4, 4))},
        "N = 1: loss 0, bound 0": {"scores": np.array([[2.5]])},
        "scores of 800: no overflow": {"scores": np.array([[800.0, 801.0], [0.0, 0.0]])},
    },
    properties={
        "the bound is log N - loss and never above log N": _bound_at_most_log_n,
        "gradient rows sum to 0, negatives' entries >= 0": _grad_rows_sum_to_zero,
    },
    hints=(r"This is softmax cross-entropy over each row with label \(i\) for row \(i\): "
           r"\(\ell_i = \log\sum_k e^{s_{ik}} - s_{ii}\). Subtract each row's maximum before exponentiating.",
           r"The gradient of the mean is \((P - I)/N\), with \(P\) the row-wise softmax; the bound is "
           r"\(\log N - L\)."),
    key_line="log_p = S - S.max(1, keepdims=True); log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))",
    shows=(_cl.info_nce_logits, _cl._cross_entropy_rows, _cl.mi_lower_bound),
)
def infonce_scores(scores):
    """InfoNCE of a square score matrix whose diagonal holds the positives, its gradient, and the MI bound.

    Row ``i`` is anchor ``i`` scored against ``N`` candidates; candidate ``i`` is its positive, the others are
    negatives. The loss is the mean over rows of ``-log softmax(scores[i])[i]``.

    Parameters
    ----------
    scores : ndarray, shape (N, N), N >= 1 (any real scores: similarities over a temperature, or a critic)

    Returns
    -------
    loss : float
    grad : ndarray, shape (N, N), dloss/dscores
    bound : float, the lower bound on the mutual information ``log N - loss``
    """
    res = _cl.info_nce_logits(scores)
    return res.loss, res.grad_logits, _cl.mi_lower_bound(res.loss, len(res.logits))


# -- 4.21.2 Masked LM: BERT's 80/10/10 corruption ---------------------------------------------------------------

def _bert_loop(tokens, u_chosen, u_action, random_tokens, mask_id, rate, mask_share, random_share):
    """a loop over the positions"""
    flat = np.asarray(tokens).ravel().tolist()
    uc, ua = np.ravel(u_chosen).tolist(), np.ravel(u_action).tolist()
    rt = np.ravel(random_tokens).tolist()
    inputs, labels = [], []
    for t, c, a, r in zip(flat, uc, ua, rt):
        if not c < rate:
            inputs.append(t)
            labels.append(-100)
            continue
        labels.append(t)
        if a < mask_share:
            inputs.append(mask_id)
        elif a < mask_share + random_share:
            inputs.append(r)
        else:
            inputs.append(t)
    shape = np.shape(tokens)
    return np.array(inputs).reshape(shape), np.array(labels).reshape(shape)


def _bert_inputs(rng, size):
    vocab = int(rng.integers(2, 20))
    shape = (int(rng.integers(1, 4)), size)
    mask_share = float(rng.uniform(0.3, 0.9))
    return {"tokens": rng.integers(0, vocab, shape), "u_chosen": rng.random(shape), "u_action": rng.random(shape),
            "random_tokens": rng.integers(0, vocab, shape), "mask_id": vocab,
            "rate": float(rng.uniform(0.2, 0.8)), "mask_share": mask_share,
            "random_share": float(rng.uniform(0, 1 - mask_share))}


def _bert_case(tokens, u_chosen, u_action, random_tokens, mask_id=9, rate=0.15, mask_share=0.8, random_share=0.1):
    return {"tokens": np.array(tokens), "u_chosen": np.array(u_chosen, float), "u_action": np.array(u_action, float),
            "random_tokens": np.array(random_tokens), "mask_id": mask_id, "rate": rate, "mask_share": mask_share,
            "random_share": random_share}


def _labels_are_originals(kwargs, out):
    inputs, labels = (np.asarray(o) for o in out)
    tokens = np.asarray(kwargs["tokens"])
    assert inputs.shape == labels.shape == tokens.shape, "inputs and labels must have the tokens' shape"
    scored = labels != -100
    assert np.all(labels[scored] == tokens[scored]), "a scored label is not the original token"
    assert np.all(inputs[~scored] == tokens[~scored]), "a position that was not chosen was changed"


@as_exercise(
    "4.21.2", reference=_bert_loop, inputs=_bert_inputs, difficulty=1,
    edge_cases={
        "rate = 0: nothing chosen, every label -100": _bert_case([[3, 1, 4, 1]], [[0.0, 0.1, 0.5, 0.9]],
                                                                 [[0.1, 0.5, 0.85, 0.95]], [[2, 2, 2, 2]], rate=0.0),
        "u_chosen equal to the rate is not chosen": _bert_case([[3, 1, 4]], [[0.15, 0.1499, 0.9]], [[0.5, 0.5, 0.5]],
                                                               [[0, 0, 0]]),
        "one of each: [MASK], random, kept": _bert_case([[5, 6, 7, 8]], [[0.01, 0.02, 0.03, 0.5]],
                                                        [[0.3, 0.85, 0.95, 0.3]], [[1, 2, 3, 4]]),
        "a random draw equal to the original is still scored": _bert_case([[4, 4]], [[0.0, 0.9]], [[0.8, 0.8]],
                                                                          [[4, 4]]),
    },
    properties={"labels are the original tokens or -100; unchosen inputs unchanged": _labels_are_originals},
    hints=(r"Three nested choices, each a comparison with a uniform: chosen when \(u_\text{chosen} <\) rate; then "
           r"[MASK] when \(u_\text{action} <\) mask_share, a random token when \(u_\text{action} <\) mask_share "
           r"+ random_share, else the token stays.",
           "Build the answer with np.where over the whole array. The label is the original token at every chosen "
           "position, whatever happened to its input, and -100 elsewhere."),
    key_line="inputs = np.where(masked, mask_id, np.where(randomised, random_tokens, tokens))",
    shows=(_masking.bert_mask,),
)
def bert_corrupt(tokens, u_chosen, u_action, random_tokens, mask_id, rate=0.15, mask_share=0.8, random_share=0.1):
    """BERT's masked-LM corruption, with its randomness given as arrays.

    A position is chosen when ``u_chosen < rate``. A chosen position's input becomes ``mask_id`` when
    ``u_action < mask_share``, ``random_tokens`` at that position when ``u_action < mask_share + random_share``,
    and stays the original token otherwise (all comparisons strict).

    Parameters
    ----------
    tokens : int ndarray, shape (B, n), ids in 0 .. V - 1
    u_chosen, u_action : float ndarray, shape (B, n), uniforms in [0, 1)
    random_tokens : int ndarray, shape (B, n), the replacement ids (used only where a random token is drawn)
    mask_id : int, the id of [MASK]
    rate, mask_share, random_share : floats in [0, 1], mask_share + random_share <= 1

    Returns
    -------
    inputs : int ndarray (B, n), the corrupted tokens the model sees
    labels : int ndarray (B, n), the original token at chosen positions, -100 elsewhere
    """
    t = np.asarray(tokens)
    vocab = int(max(t.max(), np.max(random_tokens))) + 1
    rng = Replay(random=[np.asarray(u_chosen, float), np.asarray(u_action, float)], integers=[random_tokens])
    batch = _masking.bert_mask(t, max(vocab, 2), mask_id, rng,
                               rate=rate, mask_share=mask_share, random_share=random_share)
    return batch.inputs, batch.labels


# -- 4.21.3 SimCLR: the NT-Xent loss ---------------------------------------------------------------------------

def _nt_xent_loop(z1, z2, tau):
    """a loop over the definition"""
    rows = [list(map(float, r)) for r in np.vstack([z1, z2])]
    n2 = len(rows)
    n = n2 // 2

    def cos(a, b):
        return sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))

    total = 0.0
    for a in range(n2):
        partner = (a + n) % n2
        den = sum(math.exp(cos(rows[a], rows[k]) / tau) for k in range(n2) if k != a)
        total -= math.log(math.exp(cos(rows[a], rows[partner]) / tau) / den)
    return total / n2


def _nt_xent_inputs(rng, size):
    n, d = size, int(rng.integers(2, 6))
    z1 = _rows(rng, n, d)
    z2 = z1 + rng.uniform(0.1, 1.5) * rng.normal(size=(n, d))
    return {"z1": z1, "z2": z2, "tau": float(rng.uniform(0.1, 1.0))}


def _nt_xent_range(kwargs, out):
    n2, tau = 2 * len(kwargs["z1"]), kwargs["tau"]
    top = np.log(1 + (n2 - 2) * np.exp(2 / tau))          # every negative at cosine 1, the positive at -1
    assert -1e-12 <= out <= top + 1e-9, (f"the loss {out:.6g} is outside [0, log(1 + (2N - 2) e^(2/tau))] = "
                                         f"[0, {top:.6g}]")


@as_exercise(
    "4.21.3", reference=_nt_xent_loop, inputs=_nt_xent_inputs, difficulty=2,
    edge_cases={
        "N = 1: the partner is the only candidate, loss 0": {"z1": np.array([[1.0, 0.0]]),
                                                              "z2": np.array([[0.0, 2.0]]), "tau": 0.5},
        "collapse: loss log(2N - 1)": {"z1": np.tile([0.6, -0.8], (3, 1)), "z2": np.tile([1.2, -1.6], (3, 1)),
                                       "tau": 0.3},
        "perfect, orthogonal pairs at tau = 0.05": {"z1": np.eye(3), "z2": 2 * np.eye(3), "tau": 0.05},
    },
    properties={"0 <= loss <= log(1 + (2N - 2) e^(2/tau))": _nt_xent_range},
    hints=(r"Stack both views into \(2N\) rows, normalise them and take all cosines over \(\tau\). Row \(a\)'s "
           r"positive is row \(a + N\) (mod \(2N\)); every other row except itself is a negative.",
           r"Set the diagonal to \(-\infty\) before the softmax, so an embedding never competes with itself, "
           r"then average the \(2N\) cross-entropies."),
    key_line="S = U @ U.T / tau; np.fill_diagonal(S, -np.inf); labels = (np.arange(2 * n) + n) % (2 * n)",
    shows=(_cl._nt_xent, _cl._cross_entropy_rows),
)
def nt_xent_loss(z1, z2, tau):
    """SimCLR's NT-Xent loss over the 2N embeddings of a batch's two views.

    Stack ``z = [z1; z2]`` (2N rows) and use cosine similarity over the temperature. Row ``a`` is an anchor
    whose positive is the other view of the same example (row ``a + N`` modulo ``2N``); the other ``2N - 2``
    rows are its negatives, and the anchor itself is left out. The loss is the mean over the ``2N`` anchors of
    ``-log(exp(sim(a, positive) / tau) / sum over k != a of exp(sim(a, k) / tau))``.

    Parameters
    ----------
    z1, z2 : ndarray, shape (N, dim), N >= 1, no zero rows; row i of each is a view of example i
    tau : float > 0

    Returns
    -------
    float, the loss
    """
    return _cl.nt_xent(z1, z2, tau).loss


# -- 4.21.4 MoCo: the loss of queries against their keys and a queue of negatives ------------------------------

def _moco_loop(q, k_pos, negatives, tau):
    """a loop over the queries"""
    def unit(v):
        length = math.sqrt(sum(x * x for x in v))
        return [x / length for x in v]

    def dot(a, b):
        return sum(x * y for x, y in zip(a, b))

    negs = [list(map(float, r)) for r in negatives]
    logits, total = [], 0.0
    for qb, kb in zip(np.asarray(q, float).tolist(), np.asarray(k_pos, float).tolist()):
        uq = unit(qb)
        row = [dot(uq, unit(kb)) / tau] + [dot(uq, n) / tau for n in negs]
        top = max(row)
        total += top + math.log(sum(math.exp(s - top) for s in row)) - row[0]
        logits.append(row)
    return np.array(logits), total / len(logits)


def _moco_inputs(rng, size):
    b, k, d = size, int(rng.integers(1, 2 * size + 2)), int(rng.integers(2, 7))
    q = _rows(rng, b, d)
    negatives = rng.normal(size=(k, d))
    return {"q": q, "k_pos": q + rng.uniform(0.1, 1.5) * rng.normal(size=(b, d)),
            "negatives": negatives / np.linalg.norm(negatives, axis=1, keepdims=True),
            "tau": float(rng.uniform(0.05, 1.0))}


def _moco_cross_entropy(kwargs, out):
    logits, loss = np.asarray(out[0], float), out[1]
    b, k = np.shape(kwargs["q"])[0], np.shape(kwargs["negatives"])[0]
    assert logits.shape == (b, k + 1), f"logits have shape {logits.shape}, expected (B, K + 1) = {(b, k + 1)}"
    assert np.abs(logits).max() <= 1 / kwargs["tau"] + 1e-9, "a logit exceeds 1/tau: some vector is not unit length"
    assert loss >= -1e-12, f"the loss {loss:.6g} is negative: is the positive missing from the denominator?"


@as_exercise(
    "4.21.4", reference=_moco_loop, inputs=_moco_inputs, difficulty=2,
    edge_cases={
        "K = 1 and the negative equals the key: loss log 2": {"q": np.array([[1.0, 0.0]]),
                                                              "k_pos": np.array([[2.0, 0.0]]),
                                                              "negatives": np.array([[1.0, 0.0]]), "tau": 0.1},
        "a query orthogonal to every negative": {"q": np.array([[0.0, 3.0, 0.0]]),
                                                 "k_pos": np.array([[0.0, 1.0, 0.0]]),
                                                 "negatives": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),
                                                 "tau": 0.5},
        "tau = 0.001: logits of 1000 without overflow": {"q": np.array([[1.0, 1.0], [3.0, -1.0]]),
                                                         "k_pos": np.array([[2.0, 2.0], [1.0, 3.0]]),
                                                         "negatives": np.array([[0.6, 0.8], [0.8, -0.6]]),
                                                         "tau": 0.001},
    },
    properties={"logits have shape (B, K + 1), lie in [-1/tau, 1/tau], and the loss is >= 0": _moco_cross_entropy},
    hints=(r"Normalise the queries and their keys. Each query has \(K + 1\) logits: its cosine with its own key "
           r"first, then its dot products with the \(K\) queued negatives, all over \(\tau\).",
           "The loss is softmax cross-entropy with label 0 for every row (the positive sits in column 0); "
           "subtract each row's maximum before exponentiating."),
    key_line="logits = np.hstack([(u_q * u_k).sum(1, keepdims=True), u_q @ negatives.T]) / tau",
    shows=(_ss._moco_loss, _cl._cross_entropy_rows),
)
def moco_logits_loss(q, k_pos, negatives, tau):
    """MoCo's contrastive loss: every query against its own key and a queue of K negative keys.

    Query ``b``'s logits are ``[u_q[b] . u_k[b], u_q[b] . negatives[0], ..., u_q[b] . negatives[K-1]] / tau`` with
    ``u = x / ||x||`` for the queries and keys; the negatives are unit vectors already and are used as given.
    The loss is the mean over the queries of the softmax cross-entropy with label 0 (the positive's column).

    Parameters
    ----------
    q, k_pos : ndarray, shape (B, dim), B >= 1, no zero rows: queries and their positive keys
    negatives : ndarray, shape (K, dim), K >= 1, unit rows: the queue
    tau : float > 0

    Returns
    -------
    logits : ndarray, shape (B, K + 1), column 0 the positive
    loss : float
    """
    res = _ss.moco_loss(q, k_pos, negatives, tau)
    return res.logits, res.loss

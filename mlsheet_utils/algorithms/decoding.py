r"""Decoding from a language model's next-token distribution, and speculative decoding.

Next-token rules (one distribution ``p`` over a vocabulary of size ``V``, or a stack ``(..., V)``):

- :func:`greedy`             the most likely token;
- :func:`temperature`        ``softmax(log p / T)``, i.e. :math:`p_v^{1/T} / \sum_u p_u^{1/T}`;
- :func:`top_k`              keep the ``k`` most likely tokens and renormalise;
- :func:`top_p`              keep the smallest set of most likely tokens whose mass reaches ``top_p`` (nucleus);
- :func:`sample`             draw one token per row.

Speculative decoding (a cheap draft ``q`` proposes, the target ``p`` verifies):

- :func:`acceptance_rate`      :math:`\alpha = \sum_v \min(p_v, q_v)`, the chance a drafted token is kept;
- :func:`residual`             :math:`\operatorname{norm}(\max(0, p - q))`, what a rejection samples from;
- :func:`emitted_distribution` the law of the token one draft-and-verify round emits, summed over every draft
  outcome; equals ``p``;
- :func:`expected_tokens`      :math:`(1 - \alpha^{\gamma + 1}) / (1 - \alpha)` tokens per target call;
- :func:`speculative_step`     one round with ``gamma`` drafted tokens from next-token *functions*;
- :func:`step_outcomes`        every outcome of :func:`speculative_step` with its probability (enumeration);
- :func:`bigram_tables`        a smoothed bigram model of a token sequence, as a next-token table.

Distributions given as sequences of :class:`fractions.Fraction` stay exact (object arrays) in
:func:`acceptance_rate`, :func:`residual`, :func:`emitted_distribution` and :func:`step_outcomes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import numpy as np

from mlsheet_utils.algorithms.nn import functional as F
from mlsheet_utils.validation import as_array, check_callable, check_float, check_int, check_random_state

__all__ = ["greedy", "temperature", "top_k", "top_p", "sample", "acceptance_rate", "residual",
           "emitted_distribution", "expected_tokens", "speculative_step", "SpeculativeStep", "step_outcomes",
           "bigram_tables"]


def _distribution(p, name: str) -> np.ndarray:
    """A probability vector (or stack, last axis) as floats, or as exact Fractions if it holds any."""
    raw = p if isinstance(p, np.ndarray) else np.asarray(p, dtype=object)
    if raw.dtype == object and any(isinstance(v, Fraction) for v in raw.ravel()):
        arr = np.asarray([Fraction(v) for v in raw.ravel()], dtype=object)
        arr = arr.reshape(np.shape(p))
        if arr.ndim < 1 or arr.shape[-1] < 1 or any(v < 0 for v in arr.ravel()):
            raise ValueError(f"{name} must be a non-negative vector of probabilities")
        if any(s != 1 for s in np.atleast_1d(arr.sum(-1)).ravel()):
            raise ValueError(f"{name} must sum to exactly 1 along its last axis")
        return arr
    arr = as_array(p, name)
    if arr.ndim < 1 or arr.shape[-1] < 1:
        raise ValueError(f"{name} must have shape (..., vocabulary), got shape {arr.shape}")
    if np.any(arr < 0) or not np.allclose(arr.sum(-1), 1.0, rtol=0, atol=1e-9):
        raise ValueError(f"{name} must be non-negative and sum to 1 along its last axis")
    return arr


def greedy(p) -> np.ndarray:
    """The most likely token of each row: ``argmax(p, axis=-1)``, shape ``p.shape[:-1]``."""
    return np.argmax(_distribution(p, "p"), axis=-1)


def temperature(p, t: float) -> np.ndarray:
    r"""Rescale a distribution by a temperature: :math:`p_v^{1/T} / \sum_u p_u^{1/T}` (``softmax(log p / T)``).

    ``T < 1`` sharpens towards :func:`greedy`, ``T > 1`` flattens towards uniform; zero-probability tokens stay
    at zero. ``p`` has shape ``(..., V)``; so does the result.
    """
    p = _distribution(p, "p").astype(float)
    t = check_float(t, "t", low=1e-3)
    with np.errstate(divide="ignore"):
        return F.softmax(np.log(p) / t)


def top_k(p, k: int) -> np.ndarray:
    """Keep the ``k`` most likely tokens of each row (ties broken by index), zero the rest, renormalise."""
    p = _distribution(p, "p").astype(float)
    k = check_int(k, "k", low=1, high=p.shape[-1])
    order = np.argsort(-p, axis=-1, kind="stable")
    keep = np.zeros(p.shape, dtype=bool)
    np.put_along_axis(keep, order[..., :k], True, axis=-1)
    kept = np.where(keep, p, 0.0)
    return kept / kept.sum(-1, keepdims=True)


def top_p(p, top_p: float) -> np.ndarray:
    r"""Nucleus filtering: keep the smallest prefix of the tokens sorted by probability whose mass reaches
    ``top_p`` (a token is kept if the mass *before* it is below ``top_p``), zero the rest, renormalise."""
    p = _distribution(p, "p").astype(float)
    top_p = check_float(top_p, "top_p", low=1e-9, high=1.0)
    order = np.argsort(-p, axis=-1, kind="stable")
    sorted_p = np.take_along_axis(p, order, axis=-1)
    before = np.cumsum(sorted_p, axis=-1) - sorted_p
    keep = np.zeros(p.shape, dtype=bool)
    np.put_along_axis(keep, order, before < top_p, axis=-1)
    kept = np.where(keep, p, 0.0)
    return kept / kept.sum(-1, keepdims=True)


def _sample(p: np.ndarray, g: np.random.Generator) -> np.ndarray:
    """Unchecked kernel of :func:`sample`: inverse-CDF draws, one per row."""
    u = g.random(p.shape[:-1] + (1,))
    cdf = np.cumsum(p, axis=-1)
    return np.minimum((u >= cdf).sum(-1), p.shape[-1] - 1)


def sample(p, rng=0) -> np.ndarray:
    """Draw one token from each row of ``p`` (shape ``(..., V)``) by the inverse CDF; result shape ``p.shape[:-1]``."""
    return _sample(_distribution(p, "p").astype(float), check_random_state(rng))


def _pair(p, q):
    p, q = _distribution(p, "p"), _distribution(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}")
    if p.dtype == object or q.dtype == object:
        p, q = (np.asarray([Fraction(v) for v in a.ravel()], dtype=object).reshape(a.shape) for a in (p, q))
    return p, q


def acceptance_rate(p, q):
    r"""Chance that one token drafted from ``q`` survives verification by ``p``.

    .. math:: \alpha = \sum_v q_v \min\Bigl(1, \frac{p_v}{q_v}\Bigr) = \sum_v \min(p_v, q_v)
        = 1 - \operatorname{TV}(p, q).

    ``p``, ``q`` of shape ``(..., V)``; the result has shape ``(...)`` (a Fraction for exact 1-D input).
    """
    p, q = _pair(p, q)
    return np.minimum(p, q).sum(-1)


def _residual(p, q):
    """Unchecked kernel of :func:`residual` (rows with p == q give zeros)."""
    diff = np.maximum(p - q, 0 * p)
    total = diff.sum(-1, keepdims=True)
    safe = np.where(total == 0, 1 + 0 * total, total)
    return diff / safe


def residual(p, q):
    r"""The distribution a rejection samples from: :math:`r = \max(0, p - q) / \sum_v \max(0, p_v - q_v)`.

    Its normaliser is :math:`1 - \alpha`. Where ``p == q`` nothing is ever rejected and the row is all zeros.
    """
    return _residual(*_pair(p, q))


def emitted_distribution(p, q):
    r"""The law of the token one draft-then-verify round emits, summed over every draft outcome ``x ~ q``:

    .. math:: P(y) = \sum_x q_x \Bigl[\min\bigl(1, \tfrac{p_x}{q_x}\bigr)\,\delta_{xy}
        + \Bigl(1 - \min\bigl(1, \tfrac{p_x}{q_x}\bigr)\Bigr) r_y\Bigr]
        = \min(p_y, q_y) + (1 - \alpha)\, r_y,

    with :math:`r` the :func:`residual`. The enumeration over ``x`` is carried out term by term (not the closed
    form), so it can be compared with ``p``. Exact for Fractions. ``p``, ``q``: ``(V,)``; result ``(V,)``.
    """
    p, q = _pair(p, q)
    if p.ndim != 1:
        raise ValueError(f"p and q must be 1-dimensional, got shape {p.shape}")
    r = _residual(p, q)
    out = 0 * p
    for x in range(p.shape[0]):
        if q[x] == 0:
            continue
        keep = min(1 + 0 * p[x], p[x] / q[x])
        out = out + q[x] * (keep * (np.arange(p.shape[0]) == x) + (1 - keep) * r)
    return out


def expected_tokens(alpha, gamma: int):
    r"""Expected tokens emitted per target call with ``gamma`` drafted tokens and i.i.d. acceptance ``alpha``:

    .. math:: \mathbb{E}[N] = \sum_{j=0}^{\gamma} \alpha^j = \frac{1 - \alpha^{\gamma + 1}}{1 - \alpha}
        \quad (\gamma + 1 \text{ at } \alpha = 1),

    i.e. the accepted prefix (truncated geometric, mean :math:`\mathbb{E}[N] - 1`) plus the one token the target
    always adds. ``alpha`` a float in [0, 1] or an array of them.
    """
    gamma = check_int(gamma, "gamma", low=0)
    a = as_array(alpha, "alpha")
    if np.any((a < 0) | (a > 1)):
        raise ValueError(f"alpha must lie in [0, 1], got values in [{a.min()}, {a.max()}]")
    ratio = (1 - a ** (gamma + 1)) / np.where(a == 1, 1.0, 1 - a)
    return np.where(a == 1, gamma + 1.0, ratio)


@dataclass(frozen=True)
class SpeculativeStep:
    """One round of speculative decoding.

    Attributes
    ----------
    tokens : tuple of int
        The tokens emitted this round: the accepted drafts, then one token from the target (a correction from the
        residual after a rejection, or a bonus token after ``gamma`` acceptances). Length ``1 .. gamma + 1``.
    drafted : tuple of int
        The ``gamma`` tokens the draft proposed.
    n_accepted : int
        How many drafted tokens were kept (``len(tokens) - 1``).
    """

    tokens: tuple
    drafted: tuple
    n_accepted: int


def speculative_step(target: Callable, draft: Callable, context, gamma: int, rng=0) -> SpeculativeStep:
    r"""One draft-and-verify round (Leviathan et al.; Chen et al.).

    1. The draft proposes :math:`x_1, \dots, x_\gamma` autoregressively, :math:`x_j \sim q(\cdot \mid c, x_{<j})`.
    2. The target scores all :math:`\gamma + 1` prefixes (one parallel call): :math:`p(\cdot \mid c, x_{<j})`.
    3. For :math:`j = 1, \dots, \gamma`: keep :math:`x_j` with probability :math:`\min(1, p(x_j)/q(x_j))`; at the
       first rejection emit a token from :math:`\operatorname{norm}(\max(0, p - q))` and stop.
    4. If all are kept, emit one more token from :math:`p(\cdot \mid c, x_{1:\gamma})`.

    Parameters
    ----------
    target, draft : callable ``tuple of int -> (V,) probabilities``
        Next-token distributions given the whole sequence so far.
    context : sequence of int, possibly empty
    gamma : int >= 1
        Number of drafted tokens.
    rng : int or numpy.random.Generator, optional

    Returns
    -------
    SpeculativeStep
    """
    check_callable(target, "target")
    check_callable(draft, "draft")
    ctx = as_array(context, "context", empty=True)
    if ctx.ndim != 1 or np.any(ctx != np.round(ctx)):
        raise ValueError(f"context must be a 1-D sequence of int tokens, got shape {ctx.shape}")
    gamma = check_int(gamma, "gamma", low=1)
    g = check_random_state(rng)
    seq = tuple(int(t) for t in context)
    drafted, qs = [], []
    for _ in range(gamma):
        q = np.asarray(draft(seq + tuple(drafted)), dtype=float)
        drafted.append(int(_sample(q, g)))
        qs.append(q)
    ps = [np.asarray(target(seq + tuple(drafted[:j])), dtype=float) for j in range(gamma + 1)]
    for j, x in enumerate(drafted):
        if g.random() * qs[j][x] >= ps[j][x]:                      # reject: u >= p/q, written without a division
            fix = int(_sample(_residual(ps[j], qs[j]), g))
            return SpeculativeStep(tuple(drafted[:j]) + (fix,), tuple(drafted), j)
    bonus = int(_sample(ps[gamma], g))
    return SpeculativeStep(tuple(drafted) + (bonus,), tuple(drafted), gamma)


def step_outcomes(target_table, draft_table, last: int, gamma: int) -> dict:
    r"""Every outcome of :func:`speculative_step` for Markov (bigram) models, with its exact probability.

    Enumerates all :math:`V^\gamma` drafts and, for each, the accept/reject branches: the probability of an
    emitted sequence :math:`y` is a sum over drafts of
    :math:`\prod_{j<m} q_j(x_j) a_j \cdot q_m(x_m)(1 - a_m)\, r_m(y_{m})`
    (rejection at position :math:`m`) or :math:`\prod_j q_j(x_j) a_j \cdot p_\gamma(y_{\gamma})` (all kept), with
    :math:`a_j = \min(1, p_j(x_j)/q_j(x_j))`.

    Parameters
    ----------
    target_table, draft_table : (V, V) arrays, row ``u`` the next-token distribution after token ``u``
        Floats, or Fractions for an exact result.
    last : int
        The last token of the context.
    gamma : int >= 1

    Returns
    -------
    dict mapping tuple of emitted tokens -> probability
    """
    P0, Q0 = _distribution(target_table, "target_table"), _distribution(draft_table, "draft_table")
    if P0.ndim != 2 or P0.shape[0] != P0.shape[1]:
        raise ValueError(f"target_table must be a square (V, V) table, got shape {P0.shape}")
    if Q0.shape != P0.shape:
        raise ValueError(f"draft_table must have the shape of target_table {P0.shape}, got {Q0.shape}")
    P, Q = _pair(target_table, draft_table)
    if P.ndim != 2 or P.shape[0] != P.shape[1]:
        raise ValueError(f"target_table must be a square (V, V) table, got shape {P.shape}")
    gamma = check_int(gamma, "gamma", low=1)
    last = check_int(last, "last", low=0, high=P.shape[0] - 1)
    out: dict = {}

    def add(key, prob):
        out[key] = out.get(key, 0 * prob) + prob

    def walk(prev, prefix, prob):
        p, q = P[prev], Q[prev]
        if len(prefix) == gamma:
            for y in range(P.shape[0]):
                if p[y] != 0:
                    add(prefix + (y,), prob * p[y])
            return
        r = _residual(p, q)
        for x in range(P.shape[0]):
            if q[x] == 0:
                continue
            keep = min(1 + 0 * p[x], p[x] / q[x])
            if keep != 0:
                walk(x, prefix + (x,), prob * q[x] * keep)
            if keep != 1:
                for y in range(P.shape[0]):
                    if r[y] != 0:
                        add(prefix + (y,), prob * q[x] * (1 - keep) * r[y])

    walk(last, (), 1 + 0 * P[0, 0])
    return out


def bigram_tables(tokens, vocabulary_size: int, smoothing: float = 1.0) -> np.ndarray:
    r"""A bigram next-token table with add-``smoothing`` counts: row ``u`` is
    :math:`(c_{uv} + s) / (\sum_w c_{uw} + V s)`, with :math:`c_{uv}` the count of ``u`` followed by ``v``.

    ``tokens``: 1-D ints in ``0 .. V-1``; result ``(V, V)``, rows summing to 1.
    """
    V = check_int(vocabulary_size, "vocabulary_size", low=1)
    s = check_float(smoothing, "smoothing", low=0)
    t = np.asarray(tokens)
    if t.ndim == 1 and t.size and np.issubdtype(t.dtype, np.integer) and t.min() >= 0 and t.max() >= V:
        raise ValueError(f"tokens must be below vocabulary_size = {V}, got a token {t.max()}")
    if t.ndim != 1 or t.size < 2 or not np.issubdtype(t.dtype, np.integer) or t.min() < 0 or t.max() >= V:
        raise ValueError(f"tokens must be a 1-D sequence of at least 2 ints in [0, {V - 1}]")
    counts = np.zeros((V, V))
    np.add.at(counts, (t[:-1], t[1:]), 1.0)
    counts += s
    rows = counts.sum(1, keepdims=True)
    if np.any(rows == 0):
        raise ValueError("with smoothing = 0 every token must be followed by something in tokens")
    return counts / rows

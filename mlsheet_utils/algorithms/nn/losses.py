r"""Losses as forward/backward pairs, like the layers: ``forward(pred, target) -> (value, cache)`` and
``backward(cache) -> dpred`` (:math:`\partial L/\partial\,\text{pred}`, shaped like ``pred``).

Regression and binary classification (means over every entry):

- :class:`MeanSquaredError`: :math:`\frac1n \sum (p - t)^2`;
- :class:`MeanAbsoluteError`: :math:`\frac1n \sum |p - t|`;
- :class:`Huber`: quadratic within :math:`\delta` of the target, linear beyond;
- :class:`BinaryCrossEntropyWithLogits`: the cross-entropy of a sigmoid, computed from the logits;
- :class:`Hinge`: :math:`\max(0, 1 - t p)` for labels :math:`t = \pm 1`;
- :class:`FocalLoss`: the binary cross-entropy down-weighted by :math:`(1 - p_t)^\gamma`, optionally class-weighted;

distributions (means over the examples, the class axis last):

- :class:`SoftmaxCrossEntropy`: against integer labels, with optional label smoothing (:func:`smooth_labels`:
  :math:`(1-\varepsilon)\,\text{onehot}(y) + \varepsilon/K`);
- :class:`KLDivergence` and :class:`JensenShannonDivergence`: a target distribution against the softmax of the
  logits;
- :class:`CosineSimilarityLoss`: :math:`1 - \cos(p_n, t_n)` per row;

sets and pairs:

- :class:`PairwiseRankingHinge`: :math:`\max(0, m - (s_i - s_j))` over the pairs whose targets order them;
- :class:`DiceLoss`: one minus the (soft) Dice overlap of a predicted and a true mask;
- :class:`ContrastiveLoss` (pairs of embeddings and a same/different label) and :class:`TripletLoss` (anchor,
  positive, negative): metric-learning losses whose ``forward`` takes the embeddings and whose ``backward``
  returns a gradient for each.

Each value is a mean (over every entry, over the examples, or over the pairs), so the gradient carries the
:math:`1/n`. Working from logits instead of probabilities is both more accurate (no :math:`\log 0`) and simpler:
the gradient of each cross-entropy is "prediction minus target". :class:`Loss` is the base class: it validates at
``forward`` and leaves the maths to the unchecked ``_forward``/``_backward`` that the training loop calls;
:class:`ElementwiseLoss` adds ``values`` and ``derivative``, the loss and its derivative entry by entry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import xlogy

from mlsheet_utils.algorithms.nn._repr import compact_repr
from mlsheet_utils.algorithms.nn.functional import _log_softmax, _sigmoid, _softmax, _softplus
from mlsheet_utils.validation import as_array, check_float, check_int

__all__ = ["BinaryCrossEntropyWithLogits", "ContrastiveLoss", "CosineSimilarityLoss", "DiceLoss", "ElementwiseLoss",
           "FocalLoss", "Hinge", "Huber", "JensenShannonDivergence", "KLDivergence", "Loss", "MeanAbsoluteError",
           "MeanSquaredError", "PairwiseRankingHinge", "SoftmaxCrossEntropy", "TripletLoss", "smooth_labels"]


class Loss:
    """Base class: ``forward`` checks ``pred`` and ``target`` once, ``_forward``/``_backward`` compute."""

    def __repr__(self) -> str:
        return compact_repr(self)

    def check(self, pred, target) -> tuple[np.ndarray, np.ndarray]:
        """``pred`` and ``target`` as checked arrays (same shape by default)."""
        pred, target = as_array(pred, "pred"), as_array(target, "target")
        if target.shape != pred.shape:
            raise ValueError(f"target must have pred's shape {pred.shape}, got shape {target.shape}")
        if pred.size == 0:
            raise ValueError("pred is empty; a mean over no entries is undefined")
        return pred, target

    def forward(self, pred, target) -> tuple[float, dict]:
        """Checked: ``(value, cache)``."""
        return self._forward(*self.check(pred, target))

    def backward(self, cache) -> np.ndarray:
        r""":math:`\partial L / \partial\,\text{pred}` from the cache of :meth:`forward`."""
        if not isinstance(cache, dict):
            raise ValueError("cache must be the second value returned by this loss's forward")
        try:
            return self._backward(cache)
        except KeyError as exc:
            raise ValueError(f"cache must be the second value returned by this loss's forward (it has no key "
                             f"{exc})") from None

    def _forward(self, pred, target):
        raise NotImplementedError

    def _backward(self, cache):
        raise NotImplementedError


@dataclass(frozen=True, repr=False)
class MeanSquaredError(Loss):
    r"""Mean squared error over every entry.

    .. math:: L = \frac1n \sum_i (p_i - t_i)^2, \qquad \frac{\partial L}{\partial p_i} = \frac{2}{n}(p_i - t_i).

    ``pred`` and ``target`` have the same shape (any); ``n`` is their size. (``optax.l2_loss`` is half of
    each squared error, ``optax.squared_error`` the squared error itself, neither averaged.)
    """

    def _forward(self, pred, target):
        diff = pred - target
        return float(np.mean(diff * diff)), {"diff": diff}

    def _backward(self, cache):
        return 2.0 * cache["diff"] / cache["diff"].size


@dataclass(frozen=True, repr=False)
class BinaryCrossEntropyWithLogits(Loss):
    r"""Binary cross-entropy of :math:`\sigma(z)` against targets :math:`t \in [0, 1]`, from the logits :math:`z`.

    .. math::
        L = \frac1n \sum_i -\bigl[t_i \log\sigma(z_i) + (1 - t_i)\log(1 - \sigma(z_i))\bigr]
          = \frac1n \sum_i \bigl[\operatorname{softplus}(z_i) - t_i z_i\bigr], \qquad
        \frac{\partial L}{\partial z_i} = \frac{\sigma(z_i) - t_i}{n}.

    The softplus form never takes the log of a probability that rounded to 0. ``pred`` holds logits and
    ``target`` probabilities (0/1 labels or soft targets) of the same shape.
    """

    def check(self, pred, target):
        pred, target = super().check(pred, target)
        if target.min() < 0 or target.max() > 1:
            raise ValueError(f"target must be in [0, 1], got values in [{target.min():g}, {target.max():g}]")
        return pred, target

    def _forward(self, pred, target):
        value = float(np.mean(_softplus(pred) - target * pred))
        return value, {"pred": pred, "target": target}

    def _backward(self, cache):
        return (_sigmoid(cache["pred"]) - cache["target"]) / cache["pred"].size


@dataclass(frozen=True, repr=False)
class SoftmaxCrossEntropy(Loss):
    r"""Cross-entropy of a softmax over the last axis against integer labels, averaged over the examples.

    With :math:`K` classes, smoothing :math:`\varepsilon` and the target distribution
    :math:`q = (1-\varepsilon)\,\text{onehot}(y) + \varepsilon / K`:

    .. math::
        L = \frac1N \sum_{n} -\sum_k q_{nk} \log \operatorname{softmax}(z_n)_k, \qquad
        \frac{\partial L}{\partial z_{nk}} = \frac{\operatorname{softmax}(z_n)_k - q_{nk}}{N}.

    ``label_smoothing`` follows ``optax.smooth_labels`` and PyTorch's ``label_smoothing`` (the
    :math:`\varepsilon/K` goes to every class, the true one included).

    Parameters
    ----------
    label_smoothing : float in [0, 1]

    Notes
    -----
    ``pred`` has shape ``(..., K)`` (logits) and ``target`` shape ``(...)`` with integer labels in
    ``0 .. K - 1``; :math:`N` is the number of examples (the size of ``target``).
    """

    label_smoothing: float = 0.0

    def __post_init__(self):
        check_float(self.label_smoothing, "label_smoothing", low=0, high=1)

    def check(self, pred, target):
        pred = as_array(pred, "pred")
        labels = np.asarray(target)
        if pred.ndim < 1 or pred.shape[-1] < 1:
            raise ValueError(f"pred must have shape (..., n_classes), got shape {pred.shape}")
        if not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"target must hold integer labels, got dtype {labels.dtype}")
        if labels.shape != pred.shape[:-1]:
            raise ValueError(f"target must have shape {pred.shape[:-1]} (pred's without the class axis), "
                             f"got shape {labels.shape}")
        if labels.size == 0:
            raise ValueError("target is empty; a mean over no examples is undefined")
        k = pred.shape[-1]
        if labels.min() < 0 or labels.max() >= k:
            raise ValueError(f"target must hold labels in [0, {k - 1}], got values in "
                             f"[{labels.min()}, {labels.max()}]")
        return pred, labels

    def _forward(self, pred, target):
        q = _smooth_labels(target, pred.shape[-1], self.label_smoothing)
        value = float(-(q * _log_softmax(pred, -1)).sum() / target.size)
        return value, {"pred": pred, "q": q, "n": target.size}

    def _backward(self, cache):
        return (_softmax(cache["pred"], -1) - cache["q"]) / cache["n"]


def _smooth_labels(labels: np.ndarray, n_classes: int, label_smoothing: float) -> np.ndarray:
    """Unchecked kernel of :func:`smooth_labels`."""
    q = np.full(labels.shape + (n_classes,), label_smoothing / n_classes)
    np.put_along_axis(q, labels[..., None], 1.0 - label_smoothing + label_smoothing / n_classes, axis=-1)
    return q


def smooth_labels(labels, n_classes: int, label_smoothing: float) -> np.ndarray:
    r"""Smoothed one-hot targets: every class gets :math:`\varepsilon/K`, the true class the rest.

    .. math::
        q_k = (1 - \varepsilon)\,\mathbb{1}[k = y] + \frac{\varepsilon}{K}, \qquad
        q_y = 1 - \varepsilon + \frac{\varepsilon}{K}, \qquad \sum_k q_k = 1 .

    The same as ``optax.smooth_labels(one_hot(y), eps)``; :class:`SoftmaxCrossEntropy` uses these targets.

    Parameters
    ----------
    labels : array_like of int, any shape
        Class labels in ``0 .. n_classes - 1``.
    n_classes : int >= 1
        :math:`K`.
    label_smoothing : float in [0, 1]
        :math:`\varepsilon`; 0 gives the one-hot targets, 1 the uniform distribution.

    Returns
    -------
    numpy.ndarray, shape ``labels.shape + (n_classes,)``
        Probability vectors along the last axis.
    """
    labels = np.asarray(labels)
    n_classes = check_int(n_classes, "n_classes", low=1)
    label_smoothing = check_float(label_smoothing, "label_smoothing", low=0, high=1)
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must hold integers, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must be in [0, {n_classes - 1}] (n_classes = {n_classes}), got values in "
                         f"[{labels.min()}, {labels.max()}]")
    return _smooth_labels(labels, n_classes, label_smoothing)


# -- losses of each entry, averaged ------------------------------------------------------------------------

class ElementwiseLoss(Loss):
    r"""Base class of a mean over entries, :math:`L = \frac1n \sum_i \ell(p_i, t_i)`.

    A subclass defines ``_values(pred, target) -> (ell, cache)`` (the per-entry losses) and ``_derivative(cache)``
    (:math:`\partial \ell / \partial p_i` per entry); the mean and its gradient :math:`\frac1n\,\partial\ell/
    \partial p_i` follow. :meth:`values` and :meth:`derivative` give the checked per-entry curves (what a plot of
    a loss against the residual or the margin shows).
    """

    def _values(self, pred, target):
        raise NotImplementedError

    def _derivative(self, cache):
        raise NotImplementedError

    def _forward(self, pred, target):
        ell, cache = self._values(pred, target)
        cache["n"] = ell.size
        return float(np.mean(ell)), cache

    def _backward(self, cache):
        return self._derivative(cache) / cache["n"]

    def values(self, pred, target) -> np.ndarray:
        r"""Checked: :math:`\ell(p_i, t_i)` for every entry, shaped like ``pred``."""
        return self._values(*self.check(pred, target))[0]

    def derivative(self, pred, target) -> np.ndarray:
        r"""Checked: :math:`\partial\ell(p_i, t_i)/\partial p_i` for every entry, shaped like ``pred``."""
        return self._derivative(self._values(*self.check(pred, target))[1])


@dataclass(frozen=True, repr=False)
class MeanAbsoluteError(ElementwiseLoss):
    r"""Mean absolute error (L1 loss) over every entry.

    .. math:: \ell = |p - t|, \qquad \frac{\partial \ell}{\partial p} = \operatorname{sign}(p - t)

    (0 at :math:`p = t`, a subgradient). The negative log-likelihood of a Laplace model of the targets; its
    minimiser over a constant prediction is the median.
    """

    def _values(self, pred, target):
        diff = pred - target
        return np.abs(diff), {"diff": diff}

    def _derivative(self, cache):
        return np.sign(cache["diff"])


@dataclass(frozen=True, repr=False)
class Huber(ElementwiseLoss):
    r"""Huber loss: the squared error within :math:`\delta` of the target, the absolute error beyond.

    .. math::
        \ell = \begin{cases} \tfrac12 r^2 & |r| \le \delta \\ \delta |r| - \tfrac12 \delta^2 & |r| > \delta
        \end{cases}, \quad r = p - t, \qquad \frac{\partial \ell}{\partial p} = \operatorname{clip}(r, -\delta,
        \delta).

    The two pieces meet with equal value and slope at :math:`|r| = \delta`, so the gradient is continuous and
    bounded by :math:`\delta`: an outlier pulls no harder than any other point beyond :math:`\delta`. The same as
    ``optax.huber_loss(pred, target, delta=delta)`` averaged.

    Parameters
    ----------
    delta : float > 0
    """

    delta: float = 1.0

    def __post_init__(self):
        check_float(self.delta, "delta", low=0, low_open=True)

    def _values(self, pred, target):
        r = pred - target
        a = np.abs(r)
        d = self.delta
        return np.where(a <= d, 0.5 * r * r, d * a - 0.5 * d * d), {"r": r}

    def _derivative(self, cache):
        return np.clip(cache["r"], -self.delta, self.delta)


@dataclass(frozen=True, repr=False)
class Hinge(ElementwiseLoss):
    r"""Hinge loss of scores :math:`p` against labels :math:`t \in \{-1, +1\}`.

    .. math:: \ell = \max(0, m - t p), \qquad \frac{\partial \ell}{\partial p} = -t\,\mathbb{1}[t p < m].

    Zero once an example is on the right side with margin :math:`t p \ge m` (:math:`m = 1` in the usual
    statement, where the scale of the scores sets the margin); the loss of a linear SVM (with an L2 penalty on the
    weights). With :math:`m = 1` the same as ``optax.hinge_loss`` averaged and as ``sklearn.metrics.hinge_loss``.

    Parameters
    ----------
    margin : float > 0
    """

    margin: float = 1.0

    def __post_init__(self):
        check_float(self.margin, "margin", low=0, low_open=True)

    def check(self, pred, target):
        pred, target = super().check(pred, target)
        if not np.all(np.abs(target) == 1):
            raise ValueError(f"target must hold labels -1 and +1, got values {np.unique(target)[:5]}")
        return pred, target

    def _values(self, pred, target):
        margin = target * pred
        return np.maximum(0.0, self.margin - margin), {"margin": margin, "target": target}

    def _derivative(self, cache):
        return np.where(cache["margin"] < self.margin, -cache["target"], 0.0)


@dataclass(frozen=True, repr=False)
class FocalLoss(ElementwiseLoss):
    r"""Binary focal loss from logits :math:`z` against targets :math:`t \in [0, 1]`.

    With :math:`p = \sigma(z)`, :math:`p_t = p t + (1 - p)(1 - t)` (the probability given to the true class),
    the binary cross-entropy :math:`\text{ce} = \operatorname{softplus}(z) - t z = -\log p_t` (for 0/1 labels) and
    the class weight :math:`\alpha_t = \alpha t + (1 - \alpha)(1 - t)` (1 when ``alpha`` is None):

    .. math::
        \ell = \alpha_t (1 - p_t)^\gamma\, \text{ce}, \qquad
        \frac{\partial \ell}{\partial z} = \alpha_t\Bigl[(1 - p_t)^\gamma (p - t)
        - \gamma (1 - p_t)^{\gamma - 1}\,(2t - 1)\,p(1 - p)\,\text{ce}\Bigr].

    :math:`\gamma = 0` gives the (weighted) cross-entropy; larger :math:`\gamma` shrinks the loss of examples
    that are already well classified (:math:`p_t \to 1`). The same as ``optax.sigmoid_focal_loss`` averaged.

    Parameters
    ----------
    gamma : float >= 0
        The focusing exponent :math:`\gamma`.
    alpha : float in [0, 1] or None
        Weight of the positive class (the negatives get :math:`1 - \alpha`); None weights both by 1.
    """

    gamma: float = 2.0
    alpha: float | None = None

    def __post_init__(self):
        check_float(self.gamma, "gamma", low=0)
        if self.alpha is not None:
            check_float(self.alpha, "alpha", low=0, high=1)

    def check(self, pred, target):
        pred, target = super().check(pred, target)
        if target.min() < 0 or target.max() > 1:
            raise ValueError(f"target must be in [0, 1], got values in [{target.min():g}, {target.max():g}]")
        return pred, target

    def _values(self, pred, target):
        p = _sigmoid(pred)
        ce = _softplus(pred) - target * pred
        one_minus = 1.0 - (p * target + (1.0 - p) * (1.0 - target))
        weight = 1.0 if self.alpha is None else self.alpha * target + (1.0 - self.alpha) * (1.0 - target)
        ell = weight * one_minus ** self.gamma * ce
        return ell, {"p": p, "ce": ce, "one_minus": one_minus, "weight": weight, "target": target}

    def _derivative(self, c):
        p, t, om, g = c["p"], c["target"], c["one_minus"], self.gamma
        with np.errstate(divide="ignore", invalid="ignore"):
            # gamma (1 - p_t)^(gamma - 1), taken as its limit 0 where 1 - p_t = 0 (gamma > 0)
            slope = np.where(om > 0, g * om ** g / np.where(om > 0, om, 1.0), 0.0) if g > 0 else np.zeros_like(p)
        return c["weight"] * (om ** g * (p - t) - slope * (2.0 * t - 1.0) * p * (1.0 - p) * c["ce"])


# -- distributions over the last axis ----------------------------------------------------------------------

class _DistributionLoss(Loss):
    """Logits ``pred`` of shape ``(..., K)`` against target distributions of the same shape."""

    def check(self, pred, target):
        pred, target = super().check(pred, target)
        if pred.ndim < 1:
            raise ValueError("pred must have a class axis (shape (..., n_classes)), got a scalar")
        if target.min() < 0 or not np.allclose(target.sum(axis=-1), 1.0, rtol=0, atol=1e-9):
            raise ValueError("target must hold probability vectors along the last axis (non-negative, summing "
                             "to 1)")
        return pred, target


@dataclass(frozen=True, repr=False)
class KLDivergence(_DistributionLoss):
    r"""Kullback-Leibler divergence between targets :math:`P` and :math:`Q = \operatorname{softmax}(z)`, averaged
    over the examples: :math:`D_{KL}(P \| Q)` (forward) or, with ``reverse=True``, :math:`D_{KL}(Q \| P)`.

    .. math::
        L = \frac1N \sum_n \sum_k P_{nk} \log\frac{P_{nk}}{Q_{nk}}, \qquad
        \frac{\partial L}{\partial z_{nk}} = \frac{Q_{nk} - P_{nk}}{N}

    (:math:`0 \log 0 = 0`). The forward divergence differs from the cross-entropy :math:`-\sum P \log Q` by the
    entropy of :math:`P`, a constant in :math:`z`, so the two have the same gradient; it is the same as
    ``optax.kl_divergence(log_softmax(z), P)`` averaged. The reverse divergence
    :math:`\sum_k Q_k \log(Q_k/P_k)` has the gradient :math:`Q \odot (g - \langle Q, g \rangle)/N` with
    :math:`g = \log(Q/P)` and needs :math:`P > 0` everywhere (it is infinite otherwise).

    Parameters
    ----------
    reverse : bool
    """

    reverse: bool = False

    def check(self, pred, target):
        pred, target = super().check(pred, target)
        if self.reverse and target.min() <= 0:
            raise ValueError("target must be > 0 everywhere for the reverse KL divergence (it is infinite "
                             "where P = 0 < Q)")
        return pred, target

    def _forward(self, pred, target):
        log_q = _log_softmax(pred, -1)
        q = np.exp(log_q)
        n = target.size // target.shape[-1]
        if self.reverse:
            g = log_q - np.log(target)
            return float((q * g).sum() / n), {"q": q, "g": g, "n": n}
        value = float((xlogy(target, target) - target * log_q).sum() / n)
        return value, {"q": q, "target": target, "n": n}

    def _backward(self, cache):
        q = cache["q"]
        if self.reverse:
            g = cache["g"]
            return q * (g - (q * g).sum(axis=-1, keepdims=True)) / cache["n"]
        return (q - cache["target"]) / cache["n"]


@dataclass(frozen=True, repr=False)
class JensenShannonDivergence(_DistributionLoss):
    r"""Jensen-Shannon divergence of targets :math:`P` and :math:`Q = \operatorname{softmax}(z)`, averaged over
    the examples.

    With the mixture weight :math:`\pi` (``weight``, :math:`\frac12` in the usual definition) and
    :math:`M = \pi P + (1 - \pi) Q`,

    .. math::
        \text{JSD}_\pi = \pi\, D_{KL}(P \| M) + (1 - \pi)\, D_{KL}(Q \| M), \qquad
        \frac{\partial\,\text{JSD}_\pi}{\partial Q_k} = (1 - \pi) \log\frac{Q_k}{M_k},

    chained through the softmax: :math:`\partial L/\partial z = Q \odot (g - \langle Q, g\rangle) / N` with
    :math:`g = (1 - \pi)\log(Q/M)`. At most the entropy of :math:`(\pi, 1 - \pi)`, :math:`\log 2` for
    :math:`\pi = \frac12` (reached by disjoint supports), and then symmetric; its square root is
    ``scipy.spatial.distance.jensenshannon``.

    Parameters
    ----------
    weight : float in (0, 1)
    """

    weight: float = 0.5

    def __post_init__(self):
        check_float(self.weight, "weight", low=0, high=1, low_open=True, high_open=True)

    def _forward(self, pred, target):
        w = self.weight
        q = _softmax(pred, -1)
        m = w * target + (1.0 - w) * q
        n = target.size // target.shape[-1]
        value = (w * (xlogy(target, target) - xlogy(target, m)) + (1.0 - w) * (xlogy(q, q) - xlogy(q, m))).sum() / n
        return float(value), {"q": q, "m": m, "n": n}

    def _backward(self, cache):
        q = cache["q"]
        g = (1.0 - self.weight) * (np.log(q) - np.log(cache["m"]))
        return q * (g - (q * g).sum(axis=-1, keepdims=True)) / cache["n"]


@dataclass(frozen=True, repr=False)
class CosineSimilarityLoss(Loss):
    r"""One minus the cosine similarity of each prediction row with its target row, averaged over the rows.

    .. math::
        L = \frac1N \sum_n \bigl(1 - \cos(p_n, t_n)\bigr), \quad \cos(u, v) = \frac{u\cdot v}{\|u\|\,\|v\|},
        \qquad \frac{\partial L}{\partial p_n} = -\frac1N\Bigl(\frac{t_n}{\|p_n\|\,\|t_n\|}
        - \cos(p_n, t_n)\,\frac{p_n}{\|p_n\|^2}\Bigr).

    The gradient is orthogonal to :math:`p_n`: the loss ignores the length of a prediction. ``pred`` and
    ``target`` have shape ``(..., D)`` with no zero row. The same as ``optax.cosine_distance`` averaged.
    """

    def check(self, pred, target):
        pred, target = super().check(pred, target)
        if pred.ndim < 1:
            raise ValueError("pred must have a feature axis (shape (..., D)), got a scalar")
        for name, a in (("pred", pred), ("target", target)):
            if np.any(np.linalg.norm(a, axis=-1) == 0):
                raise ValueError(f"{name} has a zero row; its cosine similarity is undefined")
        return pred, target

    def _forward(self, pred, target):
        np_, nt = np.linalg.norm(pred, axis=-1, keepdims=True), np.linalg.norm(target, axis=-1, keepdims=True)
        cos = (pred * target).sum(axis=-1, keepdims=True) / (np_ * nt)
        n = cos.size
        return float(np.mean(1.0 - cos)), {"pred": pred, "target": target, "np": np_, "nt": nt, "cos": cos, "n": n}

    def _backward(self, c):
        return -(c["target"] / (c["np"] * c["nt"]) - c["cos"] * c["pred"] / c["np"] ** 2) / c["n"]


# -- pairs and sets ----------------------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class PairwiseRankingHinge(Loss):
    r"""Hinge loss on every ordered pair: scores ``pred`` should rank an item above another whose target is lower.

    With :math:`\mathcal P = \{(i, j): t_i > t_j\}`,

    .. math::
        L = \frac{1}{|\mathcal P|} \sum_{(i, j) \in \mathcal P} \max\bigl(0, m - (s_i - s_j)\bigr), \qquad
        \frac{\partial L}{\partial s_i} = \frac{1}{|\mathcal P|}\Bigl(\sum_{j} a_{ji} - \sum_{j} a_{ij}\Bigr),

    :math:`a_{ij} = \mathbb 1[(i, j) \in \mathcal P,\ s_i - s_j < m]` marking the pairs inside the margin.

    Parameters
    ----------
    margin : float > 0
        :math:`m` (1 in the usual statement).

    Notes
    -----
    ``pred`` and ``target`` have shape ``(n,)``; at least two targets must differ. The pairs are all
    :math:`O(n^2)` of them, built as an ``(n, n)`` table.
    """

    margin: float = 1.0

    def __post_init__(self):
        check_float(self.margin, "margin", low=0, low_open=True)

    def check(self, pred, target):
        pred, target = super().check(pred, target)
        if pred.ndim != 1:
            raise ValueError(f"pred must be 1-dimensional (one score per item), got shape {pred.shape}")
        if np.all(target == target[0]):
            raise ValueError("target must hold at least two different values, or there is no pair to rank")
        return pred, target

    def _forward(self, pred, target):
        pairs = target[:, None] > target[None, :]
        slack = self.margin - (pred[:, None] - pred[None, :])
        active = pairs & (slack > 0)
        n_pairs = int(pairs.sum())
        return float(np.where(active, slack, 0.0).sum() / n_pairs), {"active": active, "n_pairs": n_pairs}

    def _backward(self, cache):
        a = cache["active"]
        return (a.sum(axis=0) - a.sum(axis=1)) / cache["n_pairs"]


@dataclass(frozen=True, repr=False)
class DiceLoss(Loss):
    r"""Soft Dice loss of predicted probabilities :math:`p` against a target mask :math:`g` (every entry).

    .. math::
        L = 1 - \frac{2\sum_i p_i g_i + s}{\sum_i p_i^k + \sum_i g_i^k + s}, \qquad
        \frac{\partial L}{\partial p_i} = -\frac{2 g_i B - k\,p_i^{k-1} A}{B^2},

    with :math:`A` and :math:`B` the numerator and denominator, :math:`k = 2` (``squared=True``, the squares of
    the V-Net paper) or :math:`k = 1` (sums, as ``optax.dice_loss``; for 0/1 masks only :math:`\sum p` changes),
    and the smoothing :math:`s \ge 0`, which keeps :math:`L` defined when both masks are empty.

    Parameters
    ----------
    smooth : float >= 0
    squared : bool

    Notes
    -----
    ``pred`` (probabilities in [0, 1]) and ``target`` (in [0, 1]) have the same shape; the sums run over every
    entry (one mask). The value is undefined when the denominator is 0.
    """

    smooth: float = 0.0
    squared: bool = True

    def __post_init__(self):
        check_float(self.smooth, "smooth", low=0)

    def check(self, pred, target):
        pred, target = super().check(pred, target)
        for name, a in (("pred", pred), ("target", target)):
            if a.min() < 0 or a.max() > 1:
                raise ValueError(f"{name} must be in [0, 1], got values in [{a.min():g}, {a.max():g}]")
        k = 2 if self.squared else 1
        if (pred ** k).sum() + (target ** k).sum() + self.smooth == 0:
            raise ValueError("pred and target are both empty masks and smooth = 0: the Dice ratio is 0/0")
        return pred, target

    def _forward(self, pred, target):
        k = 2 if self.squared else 1
        A = 2.0 * (pred * target).sum() + self.smooth
        B = (pred ** k).sum() + (target ** k).sum() + self.smooth
        return float(1.0 - A / B), {"pred": pred, "target": target, "A": A, "B": B, "k": k}

    def _backward(self, c):
        dB = c["k"] * c["pred"] ** (c["k"] - 1)
        return -(2.0 * c["target"] * c["B"] - dB * c["A"]) / c["B"] ** 2


def _distances(diff: np.ndarray, eps: float) -> np.ndarray:
    r"""Euclidean length of each row, :math:`\sqrt{\sum_d \text{diff}^2 + \varepsilon}`."""
    return np.sqrt((diff * diff).sum(axis=-1) + eps)


def _unit(diff: np.ndarray, dist: np.ndarray) -> np.ndarray:
    r""":math:`\partial d/\partial x_1 = \text{diff}/d`, taken as 0 where :math:`d = 0` (a subgradient)."""
    safe = np.where(dist > 0, dist, 1.0)
    return np.where(dist[..., None] > 0, diff / safe[..., None], 0.0)


def _check_embeddings(*arrays_names):
    out = [as_array(a, name) for a, name in arrays_names]
    first, name0 = out[0], arrays_names[0][1]
    if first.ndim != 2 or first.shape[0] == 0:
        raise ValueError(f"{name0} must have shape (n, dim) with n >= 1, got shape {first.shape}")
    for a, (_, name) in zip(out[1:], arrays_names[1:]):
        if a.shape != first.shape:
            raise ValueError(f"{name} must have {name0}'s shape {first.shape}, got shape {a.shape}")
    return out


@dataclass(frozen=True, repr=False)
class ContrastiveLoss:
    r"""Contrastive loss of pairs of embeddings :math:`(x_i, x'_i)` labelled similar (:math:`y_i = 1`) or not.

    With :math:`d_i = \|x_i - x'_i\|_2`,

    .. math::
        L = \frac1n \sum_i \tfrac12\Bigl(y_i d_i^2 + (1 - y_i) \max(0, m - d_i)^2\Bigr), \qquad
        \frac{\partial L}{\partial x_i} = \frac1n\Bigl(y_i d_i - (1 - y_i)\max(0, m - d_i)\Bigr)
        \frac{x_i - x'_i}{d_i} = -\frac{\partial L}{\partial x'_i}.

    Similar pairs are pulled together; dissimilar pairs are pushed apart until they are :math:`m` away, and then
    left alone. (At :math:`d_i = 0` the unit vector is taken as 0.)

    ``forward(x1, x2, y) -> (value, cache)``, ``backward(cache) -> (dx1, dx2)``; ``x1``, ``x2`` of shape
    ``(n, dim)``, ``y`` of shape ``(n,)`` with values 0 and 1.

    Parameters
    ----------
    margin : float > 0
    """

    margin: float = 1.0

    def __post_init__(self):
        check_float(self.margin, "margin", low=0, low_open=True)

    def __repr__(self) -> str:
        return compact_repr(self)

    def forward(self, x1, x2, y) -> tuple[float, dict]:
        """Checked: ``(value, cache)``."""
        x1, x2 = _check_embeddings((x1, "x1"), (x2, "x2"))
        y = as_array(y, "y")
        if y.shape != (x1.shape[0],) or not np.all((y == 0) | (y == 1)):
            raise ValueError(f"y must have shape ({x1.shape[0]},) and hold 0 (dissimilar) or 1 (similar)")
        return self._forward(x1, x2, y)

    def _forward(self, x1, x2, y):
        diff = x1 - x2
        d = _distances(diff, 0.0)
        gap = np.maximum(0.0, self.margin - d)
        value = float(np.mean(0.5 * (y * d * d + (1.0 - y) * gap * gap)))
        return value, {"diff": diff, "d": d, "gap": gap, "y": y}

    def backward(self, cache) -> tuple[np.ndarray, np.ndarray]:
        """``(dL/dx1, dL/dx2)`` from the cache of :meth:`forward`."""
        if not isinstance(cache, dict) or "gap" not in cache:
            raise ValueError("cache must be the second value returned by this loss's forward")
        return self._backward(cache)

    def _backward(self, c):
        coef = (c["y"] * c["d"] - (1.0 - c["y"]) * c["gap"]) / c["d"].size
        dx1 = coef[:, None] * _unit(c["diff"], c["d"])
        return dx1, -dx1


@dataclass(frozen=True, repr=False)
class TripletLoss:
    r"""Triplet loss of anchors :math:`a_i`, positives :math:`p_i` (same identity) and negatives :math:`n_i`.

    With :math:`d(u, v) = \sqrt{\|u - v\|_2^2 + \varepsilon}`,

    .. math::
        L = \frac1n \sum_i \max\bigl(0, d(a_i, p_i) - d(a_i, n_i) + \alpha\bigr), \qquad
        \frac{\partial L}{\partial p_i} = -\frac{h_i}{n}\,\frac{a_i - p_i}{d(a_i, p_i)}, \quad
        \frac{\partial L}{\partial n_i} = \frac{h_i}{n}\,\frac{a_i - n_i}{d(a_i, n_i)},

    :math:`h_i = \mathbb 1[\text{triplet } i \text{ violates the margin}]`, and
    :math:`\partial L/\partial a_i = -(\partial L/\partial p_i + \partial L/\partial n_i)`. A triplet stops
    contributing once the negative is :math:`\alpha` farther from the anchor than the positive. ``eps`` as in
    ``optax.triplet_margin_loss``, which computes the same per triplet.

    ``forward(anchor, positive, negative) -> (value, cache)``, ``backward(cache) -> (d_anchor, d_positive,
    d_negative)``, all of shape ``(n, dim)``.

    Parameters
    ----------
    margin : float >= 0
        :math:`\alpha`.
    eps : float >= 0
    """

    margin: float = 1.0
    eps: float = 0.0

    def __post_init__(self):
        check_float(self.margin, "margin", low=0)
        check_float(self.eps, "eps", low=0)

    def __repr__(self) -> str:
        return compact_repr(self)

    def forward(self, anchor, positive, negative) -> tuple[float, dict]:
        """Checked: ``(value, cache)``."""
        return self._forward(*_check_embeddings((anchor, "anchor"), (positive, "positive"), (negative, "negative")))

    def _forward(self, anchor, positive, negative):
        dp_, dn_ = anchor - positive, anchor - negative
        d_pos, d_neg = _distances(dp_, self.eps), _distances(dn_, self.eps)
        slack = d_pos - d_neg + self.margin
        return float(np.mean(np.maximum(0.0, slack))), {"dp": dp_, "dn": dn_, "d_pos": d_pos, "d_neg": d_neg,
                                                         "hot": slack > 0}

    def backward(self, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(dL/danchor, dL/dpositive, dL/dnegative)`` from the cache of :meth:`forward`."""
        if not isinstance(cache, dict) or "hot" not in cache:
            raise ValueError("cache must be the second value returned by this loss's forward")
        return self._backward(cache)

    def _backward(self, c):
        h = c["hot"][:, None] / c["hot"].size
        d_pos = -h * _unit(c["dp"], c["d_pos"])
        d_neg = h * _unit(c["dn"], c["d_neg"])
        return -(d_pos + d_neg), d_pos, d_neg

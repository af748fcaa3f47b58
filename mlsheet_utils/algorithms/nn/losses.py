r"""Losses as forward/backward pairs, like the layers: ``forward(pred, target) -> (value, cache)`` and
``backward(cache) -> dpred`` (:math:`\partial L/\partial\,\text{pred}`, shaped like ``pred``).

- :class:`MeanSquaredError`: :math:`\frac1n \sum (p - t)^2` over every entry;
- :class:`BinaryCrossEntropyWithLogits`: the cross-entropy of a sigmoid, computed from the logits;
- :class:`SoftmaxCrossEntropy`: the cross-entropy of a softmax against integer labels, with optional label
  smoothing;
- :func:`smooth_labels`: the smoothed target distribution that loss uses, :math:`(1-\varepsilon)\,\text{onehot}(y)
  + \varepsilon/K`.

Each value is a mean (over every entry, or over the examples for the softmax cross-entropy), so the gradient
carries the :math:`1/n`. Working from logits instead of probabilities is both more accurate (no
:math:`\log 0`) and simpler: the gradient is "prediction minus target" in each case. :class:`Loss` is the base
class: it validates at ``forward`` and leaves the maths to the unchecked ``_forward``/``_backward`` that the
training loop calls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn._repr import compact_repr
from mlsheet_utils.algorithms.nn.functional import _log_softmax, _sigmoid, _softmax, _softplus
from mlsheet_utils.validation import as_array, check_float, check_int

__all__ = ["BinaryCrossEntropyWithLogits", "Loss", "MeanSquaredError", "SoftmaxCrossEntropy", "smooth_labels"]


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
        return self._backward(cache)

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
        raise ValueError(f"labels must be in [0, {n_classes - 1}], got values in [{labels.min()}, {labels.max()}]")
    return _smooth_labels(labels, n_classes, label_smoothing)

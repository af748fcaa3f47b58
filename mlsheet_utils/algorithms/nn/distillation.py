r"""Knowledge distillation: a student fitted to a teacher's softened outputs as well as to the labels.

- :func:`soft_targets`: the teacher's distribution at temperature :math:`T`, :math:`p = \operatorname{softmax}(v/T)`;
- :func:`pack_targets`: one target array holding the teacher's logits and the integer label of each example, the
  form :class:`DistillationLoss` (and so :func:`~mlsheet_utils.algorithms.nn.train.fit`) takes;
- :class:`DistillationLoss`: :math:`\alpha\,T^2\,\mathrm{KL}(p_T \,\|\, q_T) + (1-\alpha)\,\mathrm{CE}(z, y)` as a
  loss with ``forward``/``backward``, built on :class:`~mlsheet_utils.algorithms.nn.losses.KLDivergence` and
  :class:`~mlsheet_utils.algorithms.nn.losses.SoftmaxCrossEntropy`;
- :func:`distillation_terms`: the two terms, the total and the gradient for one batch, as a
  :class:`DistillationTerms`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn.functional import _softmax, softmax
from mlsheet_utils.algorithms.nn.losses import KLDivergence, Loss, SoftmaxCrossEntropy
from mlsheet_utils.validation import as_array, check_float

__all__ = ["DistillationLoss", "DistillationTerms", "distillation_terms", "pack_targets", "soft_targets"]

_KL = KLDivergence()
_CE = SoftmaxCrossEntropy()


def soft_targets(logits, temperature: float) -> np.ndarray:
    r"""The softened distribution :math:`p_i = e^{v_i/T} / \sum_j e^{v_j/T}` over the last axis.

    Parameters
    ----------
    logits : array_like, shape (..., K)
    temperature : float > 0
        :math:`T = 1` is the ordinary softmax; larger :math:`T` flattens it towards uniform, smaller sharpens it
        towards the arg-max.

    Returns
    -------
    numpy.ndarray, shape (..., K)
    """
    temperature = check_float(temperature, "temperature", low=0, low_open=True)
    return softmax(as_array(logits, "logits") / temperature, axis=-1)


def pack_targets(teacher_logits, labels) -> np.ndarray:
    """Teacher logits and labels side by side: shape ``(n, K + 1)``, the label in the last column.

    Parameters
    ----------
    teacher_logits : array_like, shape (n, K)
    labels : array_like of int, shape (n,), values in ``0 .. K - 1``

    Returns
    -------
    numpy.ndarray, shape (n, K + 1)
    """
    v = as_array(teacher_logits, "teacher_logits", ndim=2)
    y = np.asarray(labels)
    if not np.issubdtype(y.dtype, np.integer) or y.shape != (len(v),):
        raise ValueError(f"labels must be {len(v)} integers (one per row of teacher_logits), got dtype {y.dtype} "
                         f"and shape {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= v.shape[1]):
        raise ValueError(f"labels must lie in [0, {v.shape[1] - 1}], got values in [{y.min()}, {y.max()}]")
    return np.hstack([v, y[:, None].astype(float)])


@dataclass(frozen=True, repr=False)
class DistillationLoss(Loss):
    r"""The distillation objective on student logits :math:`z`, teacher logits :math:`v` and labels :math:`y`.

    .. math::
        L = \alpha\, s\, \frac1N \sum_n \mathrm{KL}\bigl(\operatorname{softmax}(v_n/T) \,\|\,
            \operatorname{softmax}(z_n/T)\bigr) + (1 - \alpha)\, \frac1N \sum_n -\log \operatorname{softmax}(z_n)_{y_n},

    with :math:`s = T^2` (``scale_soft=True``, as Hinton et al.) or :math:`s = 1`. Writing :math:`q = \operatorname
    {softmax}(z/T)` and :math:`p = \operatorname{softmax}(v/T)`, the gradient is

    .. math::
        \frac{\partial L}{\partial z_{nk}} = \frac{\alpha s}{T} \frac{q_{nk} - p_{nk}}{N}
            + (1 - \alpha) \frac{\operatorname{softmax}(z_n)_k - [k = y_n]}{N},

    so the factor :math:`T^2` keeps the soft term's gradient of order :math:`1/T \cdot T^2 \cdot 1/T = 1` as
    :math:`T` grows (its raw size falls like :math:`1/T^2`).

    Parameters
    ----------
    temperature : float > 0
    alpha : float in [0, 1]
        Weight of the soft (teacher) term.
    scale_soft : bool
        Multiply the soft term by :math:`T^2`.

    Notes
    -----
    ``pred`` has shape ``(N, K)`` (student logits); ``target`` shape ``(N, K + 1)``, from :func:`pack_targets`.
    """

    temperature: float = 1.0
    alpha: float = 0.5
    scale_soft: bool = True

    def __post_init__(self):
        check_float(self.temperature, "temperature", low=0, low_open=True)
        check_float(self.alpha, "alpha", low=0, high=1)

    def check(self, pred, target):
        pred, target = as_array(pred, "pred", ndim=2), as_array(target, "target", ndim=2)
        if target.shape != (pred.shape[0], pred.shape[1] + 1) or pred.size == 0:
            raise ValueError(f"target must have shape {(pred.shape[0], pred.shape[1] + 1)} (teacher logits and a "
                             f"label per row of pred, see pack_targets), got shape {target.shape}")
        labels = target[:, -1]
        if np.any(labels != np.round(labels)) or labels.min() < 0 or labels.max() >= pred.shape[1]:
            raise ValueError(f"the last column of target must hold integer labels in [0, {pred.shape[1] - 1}]")
        return pred, target

    def _forward(self, pred, target):
        t = float(self.temperature)
        p = _softmax(target[:, :-1] / t, -1)
        soft, soft_cache = _KL._forward(pred / t, p)
        hard, hard_cache = _CE._forward(pred, target[:, -1].astype(int))
        weight = self.alpha * (t * t if self.scale_soft else 1.0)
        value = weight * soft + (1.0 - self.alpha) * hard
        return value, {"soft": soft, "hard": hard, "weight": weight, "t": t, "soft_cache": soft_cache,
                       "hard_cache": hard_cache}

    def _backward(self, cache):
        return (cache["weight"] / cache["t"] * _KL._backward(cache["soft_cache"])
                + (1.0 - self.alpha) * _CE._backward(cache["hard_cache"]))


@dataclass(frozen=True)
class DistillationTerms:
    """The parts of a :class:`DistillationLoss` on one batch.

    Attributes
    ----------
    soft : float
        The mean KL divergence between the softened teacher and student (before any weight).
    hard : float
        The mean cross-entropy with the labels at temperature 1.
    total : float
        The weighted sum the loss returns.
    grad : numpy.ndarray, shape (N, K)
        Its gradient with respect to the student logits.
    """

    soft: float
    hard: float
    total: float
    grad: np.ndarray


def distillation_terms(student_logits, teacher_logits, labels, *, temperature: float, alpha: float,
                       scale_soft: bool = True) -> DistillationTerms:
    """Evaluate :class:`DistillationLoss` once and keep both terms and the gradient.

    Parameters
    ----------
    student_logits, teacher_logits : array_like, shape (N, K)
    labels : array_like of int, shape (N,)
    temperature, alpha, scale_soft : as in :class:`DistillationLoss`

    Returns
    -------
    DistillationTerms
    """
    loss = DistillationLoss(temperature, alpha, bool(scale_soft))
    student = as_array(student_logits, "student_logits", ndim=2)
    teacher = as_array(teacher_logits, "teacher_logits", ndim=2)
    if teacher.shape != student.shape:
        raise ValueError(f"teacher_logits must have the shape of student_logits {student.shape}, got {teacher.shape}")
    value, cache = loss.forward(student_logits, pack_targets(teacher_logits, labels))
    return DistillationTerms(cache["soft"], cache["hard"], value, loss._backward(cache))

r"""Masked language modelling: BERT's corruption of the input and the loss on the chosen positions.

- :func:`bert_mask`        choose each position with probability ``rate`` (15%); of the chosen, replace 80% by
  ``[MASK]``, 10% by a uniformly random token, keep 10%; returns a :class:`MaskedBatch`;
- :class:`MaskedLMLoss`    cross-entropy of the softmax over the vocabulary, only on positions whose label is not
  ``ignore_index``, averaged (or summed) over them: ``forward(logits, labels) -> (value, cache)``,
  ``backward(cache) -> dlogits``;
- :func:`bag_of_words_logits` and :func:`bag_of_words_grads` a toy masked-LM: each position predicts its token
  from the mean embedding of the *other* positions of the corrupted input, through an output matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn.functional import _log_softmax, _softmax
from mlsheet_utils.algorithms.nn.losses import Loss
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

__all__ = ["MaskedBatch", "bert_mask", "MaskedLMLoss", "bag_of_words_logits", "bag_of_words_grads",
           "IGNORE_INDEX", "KEPT", "MASKED", "RANDOM", "UNCHOSEN"]

IGNORE_INDEX = -100
UNCHOSEN, MASKED, RANDOM, KEPT = 0, 1, 2, 3


@dataclass(frozen=True)
class MaskedBatch:
    """The corrupted input and the targets of masked language modelling.

    Attributes
    ----------
    inputs : (..., n) int array
        The corrupted tokens the model sees.
    labels : (..., n) int array
        The original token at chosen positions, ``IGNORE_INDEX`` (-100) elsewhere.
    action : (..., n) int array
        What happened at each position: ``UNCHOSEN`` 0, ``MASKED`` 1, ``RANDOM`` 2 (replaced by a uniform token,
        which may by chance be the original), ``KEPT`` 3.
    """

    inputs: np.ndarray
    labels: np.ndarray
    action: np.ndarray


def bert_mask(tokens, vocab_size: int, mask_id: int, rng=0, *, rate: float = 0.15, mask_share: float = 0.8,
              random_share: float = 0.1) -> MaskedBatch:
    r"""BERT-style corruption, position by position (as Hugging Face's MLM collator):

    each position is chosen with probability ``rate``; a chosen position becomes ``mask_id`` with probability
    ``mask_share``, a token drawn uniformly from ``0 .. vocab_size - 1`` with probability ``random_share``, and is
    left unchanged otherwise. Per position:
    :math:`P(\text{[MASK]}) = 0.15 \cdot 0.8 = 0.12`, :math:`P(\text{random}) = P(\text{kept}) = 0.015`.

    Parameters
    ----------
    tokens : (..., n) int array
        Token ids in ``0 .. vocab_size - 1``.
    vocab_size : int >= 2
    mask_id : int
        The id of ``[MASK]`` (it may lie outside the vocabulary random tokens are drawn from).
    rng : int or numpy.random.Generator
        Default 0: a fixed seed, so every run is reproducible.
    rate, mask_share, random_share : floats in [0, 1], ``mask_share + random_share <= 1``

    Returns
    -------
    MaskedBatch
    """
    t = np.asarray(tokens)
    vocab_size = check_int(vocab_size, "vocab_size", low=2)
    if t.ndim < 1 or t.size == 0 or not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"tokens must be a non-empty integer array, got dtype {t.dtype} and shape {t.shape}")
    if t.min() < 0 or t.max() >= vocab_size:
        raise ValueError(f"tokens must lie in [0, {vocab_size - 1}], got values in [{t.min()}, {t.max()}]")
    mask_id = check_int(mask_id, "mask_id", low=0)
    rate = check_float(rate, "rate", low=0, high=1)
    mask_share = check_float(mask_share, "mask_share", low=0, high=1)
    random_share = check_float(random_share, "random_share", low=0, high=1)
    if mask_share + random_share > 1:
        raise ValueError(f"mask_share + random_share must be at most 1, got {mask_share + random_share}")
    g = check_random_state(rng)
    chosen = g.random(t.shape) < rate
    u = g.random(t.shape)
    action = np.where(~chosen, UNCHOSEN,
                      np.where(u < mask_share, MASKED, np.where(u < mask_share + random_share, RANDOM, KEPT)))
    random_tokens = g.integers(0, vocab_size, t.shape)
    inputs = np.where(action == MASKED, mask_id, np.where(action == RANDOM, random_tokens, t))
    labels = np.where(chosen, t, IGNORE_INDEX)
    return MaskedBatch(inputs, labels, action)


@dataclass(frozen=True, repr=False)
class MaskedLMLoss(Loss):
    r"""Cross-entropy on the chosen positions only.

    With logits :math:`z_i \in \mathbb{R}^V` and the set :math:`\mathcal{M}` of positions whose label
    :math:`y_i \ne` ``ignore_index``:

    .. math::
        L = \frac{1}{|\mathcal{M}|} \sum_{i \in \mathcal{M}} -\log \operatorname{softmax}(z_i)_{y_i},
        \qquad \frac{\partial L}{\partial z_i} = \frac{\operatorname{softmax}(z_i) - e_{y_i}}{|\mathcal{M}|}
        \ (i \in \mathcal{M}), \quad 0 \text{ elsewhere}.

    ``reduction="sum"`` drops the :math:`1/|\mathcal{M}|`. ``pred``: logits ``(..., n, V)``; ``target``: integer
    labels ``(..., n)``, ``ignore_index`` where no prediction is scored.
    """

    reduction: str = "mean"
    ignore_index: int = IGNORE_INDEX

    def __post_init__(self):
        if self.reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean' or 'sum', got {self.reduction!r}")
        check_int(self.ignore_index, "ignore_index")

    def check(self, pred, target):
        pred = as_array(pred, "pred")
        labels = np.asarray(target)
        if pred.ndim < 2:
            raise ValueError(f"pred must have shape (..., n, vocab), got shape {pred.shape}")
        if not np.issubdtype(labels.dtype, np.integer) or labels.shape != pred.shape[:-1]:
            raise ValueError(f"target must hold integer labels of shape {pred.shape[:-1]} (pred's shape without its "
                             f"last axis), got {labels.dtype} {labels.shape}")
        scored = labels != self.ignore_index
        if not scored.any():
            raise ValueError("target scores no position (every label is ignore_index); the loss is undefined")
        if labels[scored].min() < 0 or labels[scored].max() >= pred.shape[-1]:
            raise ValueError(f"target labels must lie in [0, {pred.shape[-1] - 1}] or equal {self.ignore_index}")
        return pred, labels

    def _forward(self, pred, target):
        scored = target != self.ignore_index
        logp = _log_softmax(pred[scored], -1)
        nll = -logp[np.arange(logp.shape[0]), target[scored]]
        n = nll.size if self.reduction == "mean" else 1
        return float(nll.sum() / n), {"pred": pred, "target": target, "scored": scored, "n": n}

    def _backward(self, cache):
        scored, target = cache["scored"], cache["target"]
        grad = np.zeros_like(cache["pred"])
        g = _softmax(cache["pred"][scored], -1)
        g[np.arange(g.shape[0]), target[scored]] -= 1.0
        grad[scored] = g / cache["n"]
        return grad


def _context(E: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """Mean embedding of the other positions: ``(sum_j E[x_j] - E[x_i]) / (n - 1)``, shape ``(..., n, d)``."""
    h = E[inputs]
    return (h.sum(-2, keepdims=True) - h) / (inputs.shape[-1] - 1)


def bag_of_words_logits(params: dict, inputs) -> np.ndarray:
    r"""A toy masked-LM: :math:`z_i = c_i W + b` with :math:`c_i = \frac{1}{n-1}\sum_{j \ne i} E_{x_j}`.

    Parameters
    ----------
    params : dict
        ``"E"`` ``(V_in, d)`` input embeddings (``[MASK]`` included), ``"W"`` ``(d, V)``, ``"b"`` ``(V,)``.
    inputs : (..., n) int array, n >= 2

    Returns
    -------
    (..., n, V) logits
    """
    inputs = np.asarray(inputs)
    if inputs.ndim < 1 or inputs.shape[-1] < 2 or not np.issubdtype(inputs.dtype, np.integer):
        raise ValueError(f"inputs must be integer ids of shape (..., n) with n >= 2, got {inputs.shape}")
    if inputs.size == 0:
        raise ValueError(f"inputs must not be empty, got shape {inputs.shape}")
    if not isinstance(params, dict) or set(params) != {"E", "W", "b"}:
        raise ValueError(f"params must be a dict with the keys 'E', 'W' and 'b', got "
                         f"{sorted(params) if isinstance(params, dict) else type(params).__name__}")
    E = as_array(params["E"], "params['E']", ndim=2)
    W, b = as_array(params["W"], "params['W']", ndim=2), as_array(params["b"], "params['b']", ndim=1)
    if W.shape[0] != E.shape[1] or b.shape != (W.shape[1],):
        raise ValueError(f"params['W'] must have shape (d, V) = ({E.shape[1]}, V) and params['b'] shape (V,), got "
                         f"{W.shape} and {b.shape}")
    if inputs.min() < 0 or inputs.max() >= E.shape[0]:
        raise ValueError(f"inputs must lie in [0, {E.shape[0] - 1}]")
    return _context(E, inputs) @ params["W"] + params["b"]


def bag_of_words_grads(params: dict, inputs, labels, loss: MaskedLMLoss | None = None) -> tuple[float, dict]:
    r"""Loss and gradients of the toy model under :class:`MaskedLMLoss`.

    With :math:`G = \partial L/\partial z` (``(..., n, V)``): :math:`\partial L/\partial b = \sum_i G_i`,
    :math:`\partial L/\partial W = \sum_i c_i^\top G_i`, and, with :math:`D_i = G_i W^\top` the gradient at
    :math:`c_i`, every position :math:`j \ne i` receives :math:`D_i/(n-1)` in row :math:`x_j` of :math:`E`:
    :math:`\partial L/\partial E_v = \sum_{j: x_j = v} \frac{(\sum_i D_i) - D_j}{n-1}`.

    Parameters
    ----------
    params, inputs : as in :func:`bag_of_words_logits`
    labels : (..., n) int array
        The shape of ``inputs``; a token in ``0 .. V - 1``, or ``ignore_index`` where no prediction is scored (at
        least one position is scored).
    loss : MaskedLMLoss, optional
        ``MaskedLMLoss()`` when omitted.

    Returns
    -------
    (loss value, {"E": (V_in, d), "W": (d, V), "b": (V,)})
    """
    loss = MaskedLMLoss() if loss is None else loss
    if not isinstance(loss, MaskedLMLoss):
        raise ValueError(f"loss must be a MaskedLMLoss, got {type(loss).__name__}")
    inputs = np.asarray(inputs)
    z = bag_of_words_logits(params, inputs)
    try:
        loss.check(z, labels)
    except ValueError as exc:
        raise ValueError(f"labels do not fit inputs and the vocabulary of params['W']: {exc}") from None
    value, cache = loss.forward(z, labels)
    G = loss.backward(cache)
    E, W = np.asarray(params["E"], dtype=float), np.asarray(params["W"], dtype=float)
    c = _context(E, inputs)
    D = G @ W.T
    per_token = (D.sum(-2, keepdims=True) - D) / (inputs.shape[-1] - 1)
    dE = np.zeros_like(E)
    np.add.at(dE, inputs.reshape(-1), per_token.reshape(-1, E.shape[1]))
    dW = c.reshape(-1, c.shape[-1]).T @ G.reshape(-1, G.shape[-1])
    db = G.reshape(-1, G.shape[-1]).sum(0)
    return value, {"E": dE, "W": dW, "b": db}

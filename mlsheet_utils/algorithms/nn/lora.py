r"""Low-rank adaptation (LoRA) of dense layers: a frozen weight plus a trainable rank-``r`` update.

- :class:`LoRALinear`: the layer :math:`y = x (W_0 + \tfrac{\alpha}{r} A B) + b_0` with :math:`W_0, b_0` frozen
  (held by the layer) and only :math:`A` (d, r) and :math:`B` (r, k) as parameters; :math:`B` starts at zero;
- :func:`merge_lora`: the single dense weight :math:`W_0 + \tfrac{\alpha}{r} A B` used at inference;
- :func:`lora_param_count`: trainable entries :math:`r(d + k)` against the full :math:`dk`;
- :func:`lora_model`: every ``Linear`` of a trained ``Sequential`` wrapped as a :class:`LoRALinear` (the rest
  kept), and :func:`merged_params` back to plain ``Linear`` parameters;
- :func:`best_low_rank`: the truncated SVD, the closest rank-``r`` matrix in Frobenius norm (Eckart-Young), with
  its error :math:`\sqrt{\sum_{i > r} \sigma_i^2}`.

Shapes follow :mod:`~mlsheet_utils.algorithms.nn.layers`: a weight is ``(n_in, n_out) = (d, k)``, ``y = x W``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mlsheet_utils.algorithms.nn.layers import Activation, Layer, Linear, Sequential, _features
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

__all__ = ["LoRALinear", "LowRank", "best_low_rank", "lora_model", "lora_param_count", "merge_lora",
           "merged_params"]


@dataclass(frozen=True, eq=False, repr=False)
class LoRALinear(Layer):
    r"""A dense layer with a frozen weight and a trainable low-rank correction.

    .. math::
        y = x W_0 + b_0 + s\,(x A) B, \qquad s = \frac{\alpha}{r},

    .. math::
        \frac{\partial L}{\partial B} = s\,(x A)^\top G, \qquad
        \frac{\partial L}{\partial A} = s\,x^\top G B^\top, \qquad
        \frac{\partial L}{\partial x} = G W_0^\top + s\,G B^\top A^\top,

    with :math:`G = \partial L/\partial y` and the leading axes of ``x`` flattened into rows. :math:`W_0` and
    :math:`b_0` get no gradient: they are fields of the layer, not parameters.

    Parameters
    ----------
    W0 : array_like, shape (d, k)
        The pre-trained weight (frozen).
    b0 : array_like, shape (k,), or None
        The pre-trained bias (frozen), or no bias.
    rank : int, 1 <= rank <= min(d, k)
        :math:`r`.
    alpha : float > 0
        The scale numerator: the update is multiplied by :math:`\alpha / r`, so changing ``r`` at a fixed
        ``alpha`` keeps the size of the first steps comparable.
    a_std : float >= 0, optional
        Standard deviation of the Gaussian start of ``A`` (default :math:`1/\sqrt d`). ``B`` starts at zero, so
        the adapted layer starts as exactly the pre-trained one.
    """

    W0: np.ndarray
    b0: np.ndarray | None
    rank: int
    alpha: float = 1.0
    a_std: float | None = None
    d: int = field(init=False)
    k: int = field(init=False)

    def __post_init__(self):
        W0 = as_array(self.W0, "W0", ndim=2)
        d, k = W0.shape
        object.__setattr__(self, "W0", W0)
        object.__setattr__(self, "d", d)
        object.__setattr__(self, "k", k)
        if self.b0 is not None:
            b0 = as_array(self.b0, "b0", ndim=1)
            if b0.shape != (k,):
                raise ValueError(f"b0 must have shape ({k},) to match W0 {W0.shape}, got {b0.shape}")
            object.__setattr__(self, "b0", b0)
        check_int(self.rank, "rank", low=1, high=min(d, k))
        check_float(self.alpha, "alpha", low=0, low_open=True)
        if self.a_std is not None:
            check_float(self.a_std, "a_std", low=0)

    def __repr__(self) -> str:
        return f"LoRALinear(d={self.d}, k={self.k}, rank={self.rank}, alpha={self.alpha:g})"

    @property
    def scale(self) -> float:
        r""":math:`s = \alpha / r`."""
        return self.alpha / self.rank

    def param_shapes(self):
        return {"A": (self.d, self.rank), "B": (self.rank, self.k)}

    def init_params(self, rng=0):
        std = 1 / np.sqrt(self.d) if self.a_std is None else self.a_std
        return {"A": std * check_random_state(rng).standard_normal((self.d, self.rank)),
                "B": np.zeros((self.rank, self.k))}

    def check_input(self, x):
        return _features(as_array(x, "x"), self.d, "d")

    def _forward(self, x, params, rng, training):
        A, B = params["A"], params["B"]
        xa = x @ A
        y = x @ self.W0 + self.scale * (xa @ B)
        if self.b0 is not None:
            y = y + self.b0
        return y, {"x": x, "xa": xa, "A": A, "B": B}

    def _backward(self, dy, cache):
        s, x, xa, A, B = self.scale, cache["x"], cache["xa"], cache["A"], cache["B"]
        g = dy.reshape(-1, self.k)
        gb = dy @ B.T                                            # (..., r)
        grads = {"A": s * (x.reshape(-1, self.d).T @ gb.reshape(-1, self.rank)),
                 "B": s * (xa.reshape(-1, self.rank).T @ g)}
        return dy @ self.W0.T + s * (gb @ A.T), grads


def merge_lora(layer: LoRALinear, params) -> np.ndarray:
    r"""The merged weight :math:`W = W_0 + \tfrac{\alpha}{r} A B`, shape (d, k).

    A plain ``Linear`` with this weight and the bias ``b0`` computes the same outputs as the adapted layer, with
    one matrix product instead of three.
    """
    if not isinstance(layer, LoRALinear):
        raise ValueError(f"layer must be a LoRALinear, got {type(layer).__name__}")
    params = layer.check_params(params)
    return layer.W0 + layer.scale * (params["A"] @ params["B"])


def lora_param_count(d: int, k: int, rank: int) -> int:
    r"""Trainable entries of a rank-``r`` adapter of a ``(d, k)`` weight: :math:`r(d + k)` (the full weight has
    :math:`dk`; the adapter is smaller exactly when :math:`r < dk/(d + k)`)."""
    d, k = check_int(d, "d", low=1), check_int(k, "k", low=1)
    return check_int(rank, "rank", low=1) * (d + k)


def lora_model(model: Sequential, params, rank: int, alpha: float = 1.0, *, rng=0):
    """Wrap every ``Linear`` of a trained ``Sequential`` as a :class:`LoRALinear` with its weights frozen.

    Parameters
    ----------
    model : Sequential
        Of ``Linear`` and ``Activation`` layers.
    params : list of dict
        Its trained parameters (become the frozen ``W0``, ``b0``).
    rank : int >= 1
        The same rank for every layer (capped at each layer's ``min(d, k)``).
    alpha : float > 0
    rng : int or numpy.random.Generator
        Draws every ``A``.

    Returns
    -------
    (Sequential, list of dict)
        The adapted model and its starting parameters (``{}`` for an activation).
    """
    if not isinstance(model, Sequential):
        raise ValueError(f"model must be a Sequential, got {type(model).__name__}")
    params = model.check_params(params)
    rank = check_int(rank, "rank", low=1)
    rng = check_random_state(rng)
    layers = []
    for layer, p in zip(model.layers, params):
        if isinstance(layer, Linear):
            layers.append(LoRALinear(p["W"], p.get("b"), min(rank, layer.n_in, layer.n_out), alpha))
        elif isinstance(layer, Activation):
            layers.append(layer)
        else:
            raise ValueError(f"model must hold only Linear and Activation layers (lora_model wraps the Linear "
                             f"ones), got {layer}")
    adapted = Sequential(*layers)
    return adapted, adapted.init_params(rng)


def merged_params(model: Sequential, params) -> list[dict]:
    """Plain ``Linear`` parameters ``{"W", "b"}`` (merged weights) for every :class:`LoRALinear` of ``model``;
    the result runs in the original ``Sequential`` of ``Linear`` layers."""
    if not isinstance(model, Sequential):
        raise ValueError(f"model must be a Sequential, got {type(model).__name__}")
    params = model.check_params(params)
    out = []
    for layer, p in zip(model.layers, params):
        if isinstance(layer, LoRALinear):
            merged = {"W": layer.W0 + layer.scale * (p["A"] @ p["B"])}
            if layer.b0 is not None:
                merged["b"] = layer.b0.copy()
            out.append(merged)
        else:
            out.append(dict(p))
    return out


@dataclass(frozen=True)
class LowRank:
    r"""The best rank-``r`` approximation of a matrix.

    Attributes
    ----------
    A : numpy.ndarray, shape (d, r)
        :math:`U_r \Sigma_r` (left factor).
    B : numpy.ndarray, shape (r, k)
        :math:`V_r^\top` (right factor), so the approximation is ``A @ B``.
    singular_values : numpy.ndarray, shape (min(d, k),)
        All singular values, largest first.
    error : float
        :math:`\lVert M - AB\rVert_F = \sqrt{\sum_{i > r} \sigma_i^2}`.
    """

    A: np.ndarray
    B: np.ndarray
    singular_values: np.ndarray
    error: float


def best_low_rank(M, rank: int) -> LowRank:
    r"""Truncated SVD: :math:`M_r = U_r \Sigma_r V_r^\top`, the minimiser of :math:`\lVert M - X\rVert_F` over
    matrices of rank at most ``r`` (Eckart-Young), split into the factors a LoRA adapter would hold.

    Parameters
    ----------
    M : array_like, shape (d, k)
    rank : int, 0 <= rank <= min(d, k)

    Returns
    -------
    LowRank
    """
    M = as_array(M, "M", ndim=2)
    rank = check_int(rank, "rank", low=0, high=min(M.shape))
    U, s, Vt = np.linalg.svd(M, full_matrices=False)
    tail = s[rank:]
    return LowRank(U[:, :rank] * s[:rank], Vt[:rank], s, float(np.sqrt(np.sum(tail * tail))))

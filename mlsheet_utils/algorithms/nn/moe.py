r"""A sparse mixture-of-experts layer: softmax router, top-k routing, expert capacity, load balance.

- :func:`route`: router probabilities, the top-:math:`k` experts of every token with their combine weights
  (renormalised over the chosen experts or not), and which assignments fit in each expert's capacity
  (a :class:`Routing`, with the loads and the dropped count);
- :func:`expert_capacity`: :math:`\lceil c \cdot k n / E\rceil` slots per expert for a capacity factor :math:`c`;
- :func:`load_balancing_loss`: the auxiliary loss :math:`E \sum_i f_i P_i` (Switch Transformer style);
- :class:`MixtureOfExperts`: the layer (forward and backward), each expert a :class:`~.layers.Linear` that runs only
  on the tokens routed to it, the router a bias-free :class:`~.layers.Linear`;
- :func:`moe_cost`: parameters and multiply-adds per token of the sparse layer and of a dense one with all experts
  (a :class:`MoECost`).

Tokens are the rows of ``x`` (shape ``(n, n_in)``), experts are numbered ``0 .. E-1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn import functional as F
from mlsheet_utils.algorithms.nn.layers import Layer, Linear
from mlsheet_utils.validation import as_array, check_float, check_int, check_probabilities, check_random_state

__all__ = ["MixtureOfExperts", "MoECost", "Routing", "expert_capacity", "load_balancing_loss", "moe_cost", "route"]


def expert_capacity(n_tokens: int, n_experts: int, k: int, capacity_factor: float) -> int:
    r"""Slots per expert: :math:`C = \lceil c \cdot k\, n / E \rceil` (at least 1).

    With perfectly even routing each expert receives :math:`k n / E` assignments; the capacity factor
    :math:`c` is the head-room above that. An assignment beyond an expert's :math:`C` slots is dropped.

    Parameters
    ----------
    n_tokens, n_experts, k : int >= 1
    capacity_factor : float > 0

    Returns
    -------
    int
    """
    n_tokens = check_int(n_tokens, "n_tokens", low=1)
    n_experts = check_int(n_experts, "n_experts", low=1)
    k = check_int(k, "k", low=1, high=n_experts)
    capacity_factor = check_float(capacity_factor, "capacity_factor", low=0, low_open=True)
    return _capacity(n_tokens, n_experts, k, capacity_factor)


def _capacity(n, e, k, c):
    return max(1, math.ceil(c * k * n / e - 1e-9))          # the margin keeps an exact integer from rounding up


@dataclass(frozen=True)
class Routing:
    r"""Where every token goes.

    Attributes
    ----------
    probs : numpy.ndarray, shape (n, E)
        Router probabilities :math:`p = \operatorname{softmax}(\text{logits}/T)`.
    experts : numpy.ndarray of int, shape (n, k)
        Chosen experts, most probable first (ties to the lower index).
    weights : numpy.ndarray, shape (n, k)
        Combine weights: :math:`p_{te} / \sum_{e' \in \text{top-}k} p_{te'}` when renormalised, else :math:`p_{te}`.
    kept : numpy.ndarray of bool, shape (n, k)
        Whether the assignment fits in its expert's capacity (all true without a capacity).
    capacity : int
        Slots per expert (``n * k`` when there is no limit).
    requested, load : numpy.ndarray of int, shape (E,)
        Assignments sent to each expert, and those it processes (within capacity).
    n_dropped : int
        Assignments that did not fit.
    """

    probs: np.ndarray
    experts: np.ndarray
    weights: np.ndarray
    kept: np.ndarray
    capacity: int
    requested: np.ndarray
    load: np.ndarray
    n_dropped: int


def route(logits, k: int, *, capacity_factor: float | None = None, temperature: float = 1.0,
          renormalize: bool = True) -> Routing:
    r"""Top-:math:`k` routing with optional expert capacity.

    .. math:: p_t = \operatorname{softmax}(z_t / T), \qquad S_t = \text{top-}k(p_t), \qquad
              w_{te} = \frac{p_{te}}{\sum_{e' \in S_t} p_{te'}} \ (e \in S_t).

    Capacity is filled first by every token's first choice (in token order), then by the second choices, and so
    on (as GShard does), so a token loses its lower-ranked experts first.

    Parameters
    ----------
    logits : array_like, shape (n, E)
        Router scores, one row per token.
    k : int, 1 <= k <= E
    capacity_factor : float > 0, optional
        Slots per expert are :func:`expert_capacity` ``(n, E, k, capacity_factor)``; ``None`` means no limit.
    temperature : float > 0
        Divides the logits before the softmax (small: peaked router; large: near uniform).
    renormalize : bool
        Rescale the chosen probabilities to sum to 1 per token.

    Returns
    -------
    Routing
    """
    logits = as_array(logits, "logits", ndim=2)
    n, e = logits.shape
    k = check_int(k, "k", low=1, high=e)
    temperature = check_float(temperature, "temperature", low=0, low_open=True)
    if capacity_factor is not None:
        capacity_factor = check_float(capacity_factor, "capacity_factor", low=0, low_open=True)
    return _route(logits, k, capacity_factor, temperature, bool(renormalize))


def _route(logits, k, capacity_factor, temperature, renormalize) -> Routing:
    n, e = logits.shape
    probs = F._softmax(logits / temperature, -1)
    experts = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    chosen = np.take_along_axis(probs, experts, axis=1)
    weights = chosen / chosen.sum(axis=1, keepdims=True) if renormalize else chosen
    capacity = n * k if capacity_factor is None else _capacity(n, e, k, capacity_factor)
    onehot = experts.T[:, :, None] == np.arange(e)                     # (k, n, E): rank-major priority order
    position = np.cumsum(onehot.reshape(k * n, e), axis=0).reshape(k, n, e) - 1
    kept = (np.where(onehot, position, 0).sum(axis=2) < capacity).T   # (n, k)
    requested = np.bincount(experts.ravel(), minlength=e)
    load = np.bincount(experts[kept], minlength=e)
    return Routing(probs=probs, experts=experts, weights=weights, kept=kept, capacity=int(capacity),
                   requested=requested, load=load, n_dropped=int((~kept).sum()))


def load_balancing_loss(probs, experts) -> float:
    r"""Auxiliary load-balancing loss :math:`L_{\text{aux}} = E \sum_{i=1}^{E} f_i P_i`.

    :math:`f_i` is the share of the :math:`n k` assignments that go to expert :math:`i` (a count: no gradient) and
    :math:`P_i = \frac1n \sum_t p_{ti}` the mean router probability (differentiable). Under uniform routing
    (:math:`f_i = P_i = 1/E`) it equals 1.

    Parameters
    ----------
    probs : array_like, shape (n, E)
        Router probabilities (rows summing to 1).
    experts : array_like of int, shape (n, k)
        Chosen experts.

    Returns
    -------
    float
    """
    probs = as_array(probs, "probs", ndim=2)
    check_probabilities(probs, "probs", atol=1e-6)
    experts = np.asarray(experts)
    if experts.ndim != 2 or experts.shape[0] != probs.shape[0] or not np.issubdtype(experts.dtype, np.integer):
        raise ValueError(f"experts must be integers of shape ({probs.shape[0]}, k) (one row per row of probs), got "
                         f"{experts.dtype} {experts.shape}")
    e = probs.shape[1]
    if experts.min() < 0 or experts.max() >= e:
        raise ValueError(f"experts must lie in 0 .. {e - 1}, got {experts.min()} .. {experts.max()}")
    f = np.bincount(experts.ravel(), minlength=e) / experts.size
    return float(e * f @ probs.mean(axis=0))


@dataclass(frozen=True, repr=False)
class MixtureOfExperts(Layer):
    r"""Sparse mixture of linear experts, :math:`y_t = \sum_{e \in S_t,\ \text{kept}} w_{te}\,(x_t W_e + b_e)`.

    The router is :math:`z_t = x_t W_g` (no bias), routed by :func:`route`. Backward, with
    :math:`h_{te} = x_t W_e + b_e` and :math:`g_{te} = \langle \partial L/\partial y_t, h_{te}\rangle` for kept
    assignments (0 for dropped ones):

    .. math::
        \frac{\partial L}{\partial W_e} = \sum_{t} w_{te}\, x_t^\top \frac{\partial L}{\partial y_t}, \qquad
        \frac{\partial L}{\partial z_{te}} = \frac{1}{T}\, w_{te}\Bigl(g_{te} - \sum_{e' \in S_t} w_{te'} g_{te'}\Bigr)
        \ \text{(renormalised, } e \in S_t\text{)},

    and :math:`\frac1T p_t \odot (\bar g_t - \langle p_t, \bar g_t\rangle)` without renormalisation (:math:`\bar g`
    is :math:`g` scattered to all :math:`E` experts). The routing choice itself is piecewise constant: no gradient.

    Parameters
    ----------
    n_in, n_out, n_experts : int >= 1
    k : int, 1 <= k <= n_experts
    capacity_factor : float > 0 or None
    temperature : float > 0
    renormalize : bool
    """

    n_in: int
    n_out: int
    n_experts: int
    k: int = 2
    capacity_factor: float | None = None
    temperature: float = 1.0
    renormalize: bool = True

    def __post_init__(self):
        check_int(self.n_in, "n_in", low=1)
        check_int(self.n_out, "n_out", low=1)
        check_int(self.n_experts, "n_experts", low=1)
        check_int(self.k, "k", low=1, high=self.n_experts)
        check_float(self.temperature, "temperature", low=0, low_open=True)
        if self.capacity_factor is not None:
            check_float(self.capacity_factor, "capacity_factor", low=0, low_open=True)

    @property
    def _gate(self) -> Linear:
        return Linear(self.n_in, self.n_experts, bias=False)

    @property
    def _expert(self) -> Linear:
        return Linear(self.n_in, self.n_out)

    def param_shapes(self):
        return {"W_gate": (self.n_in, self.n_experts), "W": (self.n_experts, self.n_in, self.n_out),
                "b": (self.n_experts, self.n_out)}

    def init_params(self, rng=0):
        rng = check_random_state(rng)
        experts = [self._expert.init_params(rng) for _ in range(self.n_experts)]
        return {"W_gate": self._gate.init_params(rng)["W"], "W": np.stack([p["W"] for p in experts]),
                "b": np.stack([p["b"] for p in experts])}

    def check_input(self, x):
        x = as_array(x, "x", ndim=2)
        if x.shape[1] != self.n_in:
            raise ValueError(f"x must have n_in = {self.n_in} columns, got {x.shape[1]}")
        return x

    def _forward(self, x, params, rng, training):
        logits, _ = self._gate._forward(x, {"W": params["W_gate"]}, None, training)
        r = _route(logits, self.k, self.capacity_factor, self.temperature, self.renormalize)
        y = np.zeros((x.shape[0], self.n_out))
        parts = []
        for e in range(self.n_experts):                              # each expert sees only its own tokens
            tok, slot = np.nonzero((r.experts == e) & r.kept)
            h, cache_e = self._expert._forward(x[tok], {"W": params["W"][e], "b": params["b"][e]}, None, training)
            np.add.at(y, tok, r.weights[tok, slot, None] * h)
            parts.append((tok, slot, h, cache_e))
        return y, {"x": x, "W_gate": params["W_gate"], "W": params["W"], "routing": r, "parts": parts}

    def _backward(self, dy, cache):
        x, r = cache["x"], cache["routing"]
        dx = np.zeros_like(x)
        grads = {"W": np.zeros_like(cache["W"]), "b": np.zeros((self.n_experts, self.n_out))}
        g = np.zeros(r.weights.shape)                                # <dL/dy_t, h_te> per kept assignment
        for e, (tok, slot, h, cache_e) in enumerate(cache["parts"]):
            dh = r.weights[tok, slot, None] * dy[tok]
            dx_e, grads_e = self._expert._backward(dh, cache_e)
            np.add.at(dx, tok, dx_e)
            grads["W"][e], grads["b"][e] = grads_e["W"], grads_e["b"]
            g[tok, slot] = np.einsum("ij,ij->i", dy[tok], h)
        if self.renormalize:
            dz_chosen = r.weights * (g - (r.weights * g).sum(axis=1, keepdims=True))
            dz = np.zeros(r.probs.shape)
            np.put_along_axis(dz, r.experts, dz_chosen, axis=1)
        else:
            g_full = np.zeros(r.probs.shape)
            np.put_along_axis(g_full, r.experts, g, axis=1)
            dz = r.probs * (g_full - (r.probs * g_full).sum(axis=1, keepdims=True))
        dz = dz / self.temperature
        grads["W_gate"] = x.T @ dz
        return dx + dz @ cache["W_gate"].T, grads


@dataclass(frozen=True)
class MoECost:
    """Sizes of a mixture-of-experts layer and of the dense layer that runs every expert.

    Attributes
    ----------
    params : int
        Weights of the layer (router and all experts).
    active_params : int
        Weights one token touches (router and its ``k`` experts).
    sparse_macs, dense_macs : int
        Multiply-adds per token: router plus ``k`` experts, and router plus all ``E`` experts.
    """

    params: int
    active_params: int
    sparse_macs: int
    dense_macs: int


def moe_cost(n_in: int, n_out: int, n_experts: int, k: int) -> MoECost:
    r"""Parameter and multiply-add counts of :class:`MixtureOfExperts` per token.

    Router :math:`d_{in} E` weights; each expert :math:`d_{in} d_{out} + d_{out}`. A token costs
    :math:`d_{in} E + k\, d_{in} d_{out}` multiply-adds sparse and :math:`d_{in} E + E\, d_{in} d_{out}` dense.

    Parameters
    ----------
    n_in, n_out, n_experts : int >= 1
    k : int, 1 <= k <= n_experts

    Returns
    -------
    MoECost
    """
    n_in, n_out = check_int(n_in, "n_in", low=1), check_int(n_out, "n_out", low=1)
    n_experts = check_int(n_experts, "n_experts", low=1)
    k = check_int(k, "k", low=1, high=n_experts)
    router, expert = n_in * n_experts, n_in * n_out + n_out
    return MoECost(params=router + n_experts * expert, active_params=router + k * expert,
                   sparse_macs=router + k * n_in * n_out, dense_macs=router + n_experts * n_in * n_out)

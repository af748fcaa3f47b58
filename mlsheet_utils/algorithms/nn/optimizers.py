r"""First-order optimisers as pure functions of (gradients, state, parameters).

Each optimiser is a frozen dataclass of hyperparameters with

- ``init(params) -> state``: an :class:`OptimizerState` (step 0, the slots at their starting values);
- ``update(grads, state, params) -> (new_params, new_state)``: one step; nothing is modified in place.

``params`` and ``grads`` are trees of arrays: a dict of arrays (one layer) or a list of such dicts
(:class:`~mlsheet_utils.algorithms.nn.layers.Sequential`), with the same structure.

- :class:`SGD`: plain, with momentum, or with Nesterov momentum;
- :class:`AdaGrad`: per-coordinate steps that shrink with the sum of all past squared gradients;
- :class:`RMSProp`: the same with an exponential moving average, so steps do not shrink for ever;
- :class:`Adam`: moving averages of the gradient and of its square, both bias-corrected;
- :class:`AdamW`: Adam with decoupled weight decay.

Where epsilon sits. The adaptive methods divide by a root of accumulated squares :math:`v`, guarded by
:math:`\epsilon` either outside, :math:`g / (\sqrt{v} + \epsilon)`, or inside, :math:`g / \sqrt{v + \epsilon}`.
Inside, the divisor never falls below :math:`\sqrt\epsilon` instead of :math:`\epsilon`, so the same value
matters far more (:math:`\sqrt{10^{-8}} = 10^{-4}`). Defaults here, and the optax counterpart:

- AdaGrad: outside here (``eps_inside_sqrt=False``, as in the paper and PyTorch); ``optax.adagrad`` puts it
  inside, always, and starts its accumulator at 0.1 (``initial_accumulator`` here, 0 by default);
- RMSProp: outside here (as PyTorch); ``optax.rmsprop`` inside by default (``eps_in_sqrt=True``); both offer
  either;
- Adam, AdamW: outside, as ``optax.adam``'s ``eps`` (its ``eps_root`` is a second one, inside, 0 by default).

SGD with momentum follows optax and PyTorch: :math:`m \leftarrow \mu m + g`, step :math:`\eta m` (or
:math:`\eta (g + \mu m)` with Nesterov). AdamW's decay :math:`\lambda` defaults to PyTorch's 0.01 (optax: 1e-4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from mlsheet_utils.algorithms.nn._repr import compact_repr
from mlsheet_utils.validation import as_array, check_float

__all__ = ["AdaGrad", "Adam", "AdamW", "Optimizer", "OptimizerState", "RMSProp", "SGD"]


# -- trees: a dict of arrays, or a list/tuple of such dicts -----------------------------------------------

def _tree_map(f: Callable, tree, *others):
    """Apply ``f`` to the arrays of ``tree`` and the matching arrays of ``others`` (same structure)."""
    if isinstance(tree, dict):
        return {k: _tree_map(f, v, *(o[k] for o in others)) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_tree_map(f, v, *(o[i] for o in others)) for i, v in enumerate(tree))
    return f(tree, *others)


def _check_tree(tree, like, name: str, path: str = ""):
    """``tree`` as float arrays, with the structure and shapes of ``like`` (ValueError naming the leaf)."""
    where = path or "the top level"
    if isinstance(like, dict):
        if not isinstance(tree, dict) or set(tree) != set(like):
            keys = sorted(tree) if isinstance(tree, dict) else type(tree).__name__
            raise ValueError(f"{name} must have the keys {sorted(like)} at {where}, got {keys}")
        return {k: _check_tree(tree[k], like[k], name, f"{path}[{k!r}]") for k in like}
    if isinstance(like, (list, tuple)):
        if not isinstance(tree, (list, tuple)) or len(tree) != len(like):
            raise ValueError(f"{name} must be a list of length {len(like)} at {where}, got {type(tree).__name__}")
        return type(like)(_check_tree(t, l, name, f"{path}[{i}]") for i, (t, l) in enumerate(zip(tree, like)))
    arr = as_array(tree, f"{name}{path}")
    if arr.shape != np.shape(like):
        raise ValueError(f"{name}{path} must have shape {np.shape(like)}, got {arr.shape}")
    return arr


@dataclass(frozen=True)
class OptimizerState:
    """The step count and the optimiser's slots (each a tree shaped like the parameters).

    Attributes
    ----------
    step : int
        Updates done so far.
    slots : dict of str to tree
        E.g. ``{"m": ..., "v": ...}`` for Adam; empty for plain SGD.
    """

    step: int
    slots: dict[str, Any]


class Optimizer:
    """Base class: ``update`` checks the trees once, ``_update`` computes (the training loop calls it)."""

    def __repr__(self) -> str:
        return compact_repr(self)

    def _slots(self, params) -> dict[str, Any]:
        return {}

    def init(self, params) -> OptimizerState:
        """Step 0 with the slots at their starting values, shaped like ``params``."""
        params = _check_tree(params, params, "params")
        return OptimizerState(0, self._slots(params))

    def update(self, grads, state: OptimizerState, params):
        """One step: ``(new_params, new_state)``; ``grads`` must have the structure and shapes of ``params``."""
        params = _check_tree(params, params, "params")
        grads = _check_tree(grads, params, "grads")
        if not isinstance(state, OptimizerState):
            raise ValueError(f"state must come from this optimiser's init, got {type(state).__name__}")
        if set(state.slots) != set(self._slots(params)):
            raise ValueError(f"state has slots {sorted(state.slots)}, this optimiser keeps "
                             f"{sorted(self._slots(params))}")
        for key, slot in state.slots.items():
            _check_tree(slot, params, f"state.slots[{key!r}]")
        return self._update(grads, state, params)

    def _update(self, grads, state, params):
        raise NotImplementedError


def _lr(value) -> float:
    return check_float(value, "learning_rate", low=0, low_open=True)


def _zeros_like(tree):
    return _tree_map(np.zeros_like, tree)


@dataclass(frozen=True, repr=False)
class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum.

    .. math::
        m_t = \mu\, m_{t-1} + g_t, \qquad
        \theta_t = \theta_{t-1} - \eta \begin{cases} m_t & \text{(heavy ball)} \\
                                                     g_t + \mu\, m_t & \text{(Nesterov)} \end{cases}

    With :math:`\mu = 0` this is :math:`\theta_t = \theta_{t-1} - \eta g_t`. Matches ``optax.sgd(eta,
    momentum=mu, nesterov=...)`` and ``torch.optim.SGD`` (no dampening).

    Parameters
    ----------
    learning_rate : float > 0
    momentum : float in [0, 1)
    nesterov : bool
        Requires ``momentum > 0``.
    """

    learning_rate: float = 0.01
    momentum: float = 0.0
    nesterov: bool = False

    def __post_init__(self):
        _lr(self.learning_rate)
        check_float(self.momentum, "momentum", low=0, high=1, high_open=True)
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0, got momentum = 0")

    def _slots(self, params):
        return {"m": _zeros_like(params)} if self.momentum > 0 else {}

    def _update(self, grads, state, params):
        lr, mu = self.learning_rate, self.momentum
        if mu == 0:
            return _tree_map(lambda p, g: p - lr * g, params, grads), OptimizerState(state.step + 1, {})
        m = _tree_map(lambda m, g: mu * m + g, state.slots["m"], grads)
        if self.nesterov:
            new = _tree_map(lambda p, g, m: p - lr * (g + mu * m), params, grads, m)
        else:
            new = _tree_map(lambda p, m: p - lr * m, params, m)
        return new, OptimizerState(state.step + 1, {"m": m})


@dataclass(frozen=True, repr=False)
class AdaGrad(Optimizer):
    r"""AdaGrad: each coordinate's step is divided by the root of the sum of its past squared gradients.

    .. math::
        G_t = G_{t-1} + g_t^2, \qquad
        \theta_t = \theta_{t-1} - \eta \frac{g_t}{\sqrt{G_t} + \epsilon}
        \quad\Bigl(\text{or } \eta \frac{g_t}{\sqrt{G_t + \epsilon}} \text{ with } \texttt{eps\_inside\_sqrt}\Bigr).

    Rarely updated coordinates keep large steps; every step shrinks like :math:`1/\sqrt t`. ``optax.adagrad``
    is the inside form with ``initial_accumulator_value=0.1``: set ``eps_inside_sqrt=True`` and
    ``initial_accumulator=0.1`` to match it.

    Parameters
    ----------
    learning_rate : float > 0
    eps : float > 0
    initial_accumulator : float >= 0
        :math:`G_0` (every coordinate).
    eps_inside_sqrt : bool
    """

    learning_rate: float = 0.01
    eps: float = 1e-10
    initial_accumulator: float = 0.0
    eps_inside_sqrt: bool = False

    def __post_init__(self):
        _lr(self.learning_rate)
        check_float(self.eps, "eps", low=0, low_open=True)
        check_float(self.initial_accumulator, "initial_accumulator", low=0)

    def _slots(self, params):
        return {"G": _tree_map(lambda p: np.full_like(p, self.initial_accumulator), params)}

    def _update(self, grads, state, params):
        G = _tree_map(lambda G, g: G + g * g, state.slots["G"], grads)
        new = _tree_map(lambda p, g, G: p - self.learning_rate * g * _inv_root(G, self.eps, self.eps_inside_sqrt),
                        params, grads, G)
        return new, OptimizerState(state.step + 1, {"G": G})


def _inv_root(v: np.ndarray, eps: float, inside: bool) -> np.ndarray:
    r""":math:`1/\sqrt{v + \epsilon}` (inside) or :math:`1/(\sqrt v + \epsilon)` (outside)."""
    return 1.0 / np.sqrt(v + eps) if inside else 1.0 / (np.sqrt(v) + eps)


@dataclass(frozen=True, repr=False)
class RMSProp(Optimizer):
    r"""RMSProp: divide by the root of an exponential moving average of squared gradients.

    .. math::
        v_t = \rho\, v_{t-1} + (1 - \rho)\, g_t^2, \qquad
        \theta_t = \theta_{t-1} - \eta \frac{g_t}{\sqrt{v_t} + \epsilon}
        \quad\Bigl(\text{or } \eta \frac{g_t}{\sqrt{v_t + \epsilon}} \text{ with } \texttt{eps\_inside\_sqrt}\Bigr),
        \qquad v_0 = 0 .

    ``optax.rmsprop(eta, decay=rho, eps=eps, eps_in_sqrt=...)`` is the same (its default puts epsilon inside);
    PyTorch's ``RMSprop`` puts it outside with :math:`\rho = 0.99`.

    Parameters
    ----------
    learning_rate : float > 0
    decay : float in [0, 1)
        :math:`\rho`.
    eps : float > 0
    eps_inside_sqrt : bool
    """

    learning_rate: float = 0.001
    decay: float = 0.9
    eps: float = 1e-8
    eps_inside_sqrt: bool = False

    def __post_init__(self):
        _lr(self.learning_rate)
        check_float(self.decay, "decay", low=0, high=1, high_open=True)
        check_float(self.eps, "eps", low=0, low_open=True)

    def _slots(self, params):
        return {"v": _zeros_like(params)}

    def _update(self, grads, state, params):
        rho = self.decay
        v = _tree_map(lambda v, g: rho * v + (1 - rho) * g * g, state.slots["v"], grads)
        new = _tree_map(lambda p, g, v: p - self.learning_rate * g * _inv_root(v, self.eps, self.eps_inside_sqrt),
                        params, grads, v)
        return new, OptimizerState(state.step + 1, {"v": v})


@dataclass(frozen=True, repr=False)
class Adam(Optimizer):
    r"""Adam: moving averages of the gradient and of its square, bias-corrected.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \quad
        \hat m_t = \frac{m_t}{1-\beta_1^t}, \quad \hat v_t = \frac{v_t}{1-\beta_2^t}, \quad
        \theta_t = \theta_{t-1} - \eta \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon} .

    The bias correction undoes the pull of :math:`m_0 = v_0 = 0` towards zero in the first steps; the first step
    moves every coordinate by about :math:`\eta`. Matches ``optax.adam(eta, b1, b2, eps)`` (``eps_root=0``).

    Parameters
    ----------
    learning_rate : float > 0
    b1, b2 : float in [0, 1)
    eps : float > 0
    """

    learning_rate: float = 0.001
    b1: float = 0.9
    b2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self):
        _lr(self.learning_rate)
        check_float(self.b1, "b1", low=0, high=1, high_open=True)
        check_float(self.b2, "b2", low=0, high=1, high_open=True)
        check_float(self.eps, "eps", low=0, low_open=True)

    def _slots(self, params):
        return {"m": _zeros_like(params), "v": _zeros_like(params)}

    def _direction(self, grads, state):
        r"""New slots and the step direction :math:`\hat m / (\sqrt{\hat v} + \epsilon)`."""
        b1, b2, t = self.b1, self.b2, state.step + 1
        m = _tree_map(lambda m, g: b1 * m + (1 - b1) * g, state.slots["m"], grads)
        v = _tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, state.slots["v"], grads)
        c1, c2 = 1 - b1**t, 1 - b2**t
        direction = _tree_map(lambda m, v: (m / c1) / (np.sqrt(v / c2) + self.eps), m, v)
        return {"m": m, "v": v}, direction

    def _update(self, grads, state, params):
        slots, d = self._direction(grads, state)
        new = _tree_map(lambda p, d: p - self.learning_rate * d, params, d)
        return new, OptimizerState(state.step + 1, slots)


@dataclass(frozen=True, repr=False)
class AdamW(Adam):
    r"""Adam with decoupled weight decay: the decay is added to the step, not to the gradient.

    .. math:: \theta_t = \theta_{t-1} - \eta\Bigl(\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}
              + \lambda\,\theta_{t-1}\Bigr)

    (Adam on :math:`L + \frac\lambda2\|\theta\|^2` would instead put :math:`\lambda\theta` into :math:`g`, where
    the division by :math:`\sqrt{\hat v}` shrinks it unevenly.) Matches ``optax.adamw(eta, b1, b2, eps,
    weight_decay=lambda)`` and ``torch.optim.AdamW``; every parameter is decayed.

    Parameters
    ----------
    learning_rate, b1, b2, eps : as :class:`Adam`
    weight_decay : float >= 0
        :math:`\lambda` (PyTorch's default 0.01; optax's is 1e-4).
    """

    weight_decay: float = 0.01

    def __post_init__(self):
        super().__post_init__()
        check_float(self.weight_decay, "weight_decay", low=0)

    def _update(self, grads, state, params):
        slots, d = self._direction(grads, state)
        lr, wd = self.learning_rate, self.weight_decay
        new = _tree_map(lambda p, d: p - lr * (d + wd * p), params, d)
        return new, OptimizerState(state.step + 1, slots)

r"""Trajectories of first-order optimisers on small problems, step by step.

The optimisers are those of :mod:`mlsheet_utils.algorithms.nn.optimizers`; this module runs them on a problem
given by its gradient and records everything a plot or a check needs.

- :func:`run_optimizer`            ``steps`` updates from ``x0`` with a gradient oracle ``grad(x, t)``; an
  :class:`OptimizerPath` (iterates, gradients, the optimiser's slots after each step, divergence);
- :func:`effective_learning_rates` the per-coordinate factor each step multiplies its direction by
  (:math:`\eta` for SGD, :math:`\eta/(\sqrt{G_t}+\epsilon)` for AdaGrad, ...), from a path;

two-dimensional test landscapes on the common box :math:`[-2, 2] \times [-1, 3]` (a :class:`Landscape` each, in
:data:`LANDSCAPES`, looked up with :func:`landscape`; each takes finite points ``xy`` of shape (..., 2), not empty):

- :func:`rosenbrock`, :func:`rosenbrock_grad`   :math:`(1-x)^2 + 100\,(y-x^2)^2`, a curved narrow valley;
- :func:`quadratic`, :func:`quadratic_grad`     :math:`\tfrac12\bigl((x-1)^2 + \kappa (y-1)^2\bigr)`,
  :math:`\kappa = 20`: condition number 20;
- :func:`saddle`, :func:`saddle_grad`           :math:`\tfrac12 x^2 + \tfrac14 (y-1)^4 - \tfrac12 (y-1)^2`:
  a saddle at :math:`(0, 1)` between minima at :math:`(0, 0)` and :math:`(0, 2)`;

and a sparse logistic regression:

- :func:`sparse_logistic_data`       0/1 features present with given frequencies, labels from a logistic model;
- :class:`LogisticMinibatchOracle`   seeded minibatch gradients of the mean cross-entropy, ``oracle(w, t)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from mlsheet_utils.algorithms.linear import _logistic_kernel
from mlsheet_utils.algorithms.nn.optimizers import SGD, AdaGrad, Adam, Optimizer, RMSProp
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

__all__ = ["LANDSCAPES", "Landscape", "LogisticMinibatchOracle", "OptimizerPath", "effective_learning_rates",
           "landscape", "quadratic", "quadratic_grad", "rosenbrock", "rosenbrock_grad", "run_optimizer", "saddle",
           "saddle_grad", "sparse_logistic_data"]


# -- running an optimiser ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OptimizerPath:
    """A run of :func:`run_optimizer`.

    Attributes
    ----------
    params : numpy.ndarray, shape (k + 1, d)
        ``x0`` and the iterate after each of the ``k`` steps taken.
    grads : numpy.ndarray, shape (k, d)
        The gradient each step used (at ``params[t]``).
    slots : dict of str to numpy.ndarray, shape (k, d)
        The optimiser's state after each step (``"G"`` for AdaGrad, ``"m"``/``"v"`` for Adam, ...).
    diverged : bool
        The run stopped early: an iterate left the ball of radius ``bound`` or stopped being finite (it is the
        last row of ``params``).
    """

    params: np.ndarray
    grads: np.ndarray
    slots: dict
    diverged: bool


def run_optimizer(optimizer: Optimizer, grad: Callable, x0, steps: int, *, bound: float = 1e6) -> OptimizerPath:
    r"""Run ``optimizer`` for ``steps`` updates on the problem whose gradient oracle is ``grad``.

    .. math:: g_t = \texttt{grad}(x_t, t), \qquad (x_{t+1}, s_{t+1}) = \texttt{optimizer.update}(g_t, s_t, x_t),
              \qquad t = 0, \dots, \texttt{steps} - 1,

    with :math:`s_0` = ``optimizer.init(x0)``. The step index lets a stochastic oracle pick its minibatch, so a
    seeded oracle gives the same path every time. The run stops early, with ``diverged=True``, once an iterate
    is not finite or :math:`\lVert x_t\rVert_\infty >` ``bound``.

    Parameters
    ----------
    optimizer : Optimizer
        Any optimiser of :mod:`mlsheet_utils.algorithms.nn.optimizers`.
    grad : callable ``(x, t) -> g``
        ``x`` and ``g`` of shape (d,).
    x0 : array_like, shape (d,)
    steps : int >= 1
    bound : float > 0

    Returns
    -------
    OptimizerPath
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be an Optimizer, got {type(optimizer).__name__}")
    if not callable(grad):
        raise ValueError("grad must be callable as grad(x, t)")
    x = as_array(x0, "x0", ndim=1)
    steps = check_int(steps, "steps", low=1)
    bound = check_float(bound, "bound", low=0, low_open=True)
    g0 = np.asarray(grad(x, 0), dtype=float)
    if g0.shape != x.shape:
        raise ValueError(f"grad(x0, 0) must have the shape of x0, {x.shape}, got {g0.shape}")
    params, state = {"x": x}, optimizer.init({"x": x})
    xs, gs, slots = [x], [], {name: [] for name in state.slots}
    diverged = False
    for t in range(steps):
        g = g0 if t == 0 else np.asarray(grad(params["x"], t), dtype=float)
        params, state = optimizer._update({"x": g}, state, params)
        xs.append(params["x"])
        gs.append(g)
        for name, value in state.slots.items():
            slots[name].append(value["x"])
        if not (np.all(np.isfinite(params["x"])) and np.max(np.abs(params["x"])) <= bound):
            diverged = True
            break
    d = x.size
    return OptimizerPath(np.array(xs), np.array(gs).reshape(-1, d),
                         {k: np.array(v).reshape(-1, d) for k, v in slots.items()}, diverged)


def effective_learning_rates(optimizer: Optimizer, path: OptimizerPath) -> np.ndarray:
    r"""The per-coordinate rate each step of ``path`` multiplied its direction by.

    - :class:`SGD` without momentum: :math:`\eta` (direction :math:`g_t`);
    - :class:`AdaGrad`: :math:`\eta / (\sqrt{G_t} + \epsilon)` (or :math:`\eta/\sqrt{G_t + \epsilon}`), direction
      :math:`g_t`;
    - :class:`RMSProp`: :math:`\eta / (\sqrt{v_t} + \epsilon)` (or inside), direction :math:`g_t`;
    - :class:`Adam` (and AdamW): :math:`\eta / \bigl((1 - \beta_1^t)(\sqrt{\hat v_t} + \epsilon)\bigr)`, direction
      :math:`m_t` (so the step is :math:`\eta\,\hat m_t / (\sqrt{\hat v_t} + \epsilon)`).

    Parameters
    ----------
    optimizer : SGD (no momentum), AdaGrad, RMSProp or Adam
        The optimiser that made ``path`` (for AdaGrad, RMSProp and Adam, a path without their accumulator is
        refused; SGD's rate does not depend on the path).
    path : OptimizerPath

    Returns
    -------
    numpy.ndarray, shape (k, d)
        Row ``t`` is the rate of step ``t + 1``.
    """
    if not isinstance(path, OptimizerPath):
        raise ValueError(f"path must be an OptimizerPath, got {type(path).__name__}")
    k, d = path.grads.shape
    if isinstance(optimizer, (AdaGrad, RMSProp, Adam)):
        slot = "G" if isinstance(optimizer, AdaGrad) else "v"
        if slot not in path.slots:
            raise ValueError(f"path has no slot {slot!r}: it was not made by optimizer {optimizer!r}")
    if isinstance(optimizer, SGD) and optimizer.momentum == 0:
        return np.full((k, d), optimizer.learning_rate)
    if isinstance(optimizer, (AdaGrad, RMSProp)):
        acc = path.slots["G" if isinstance(optimizer, AdaGrad) else "v"]
        root = np.sqrt(acc + optimizer.eps) if optimizer.eps_inside_sqrt else np.sqrt(acc) + optimizer.eps
        return optimizer.learning_rate / root
    if isinstance(optimizer, Adam):
        t = np.arange(1, k + 1)[:, None]
        v_hat = path.slots["v"] / (1 - optimizer.b2**t)
        return optimizer.learning_rate / ((1 - optimizer.b1**t) * (np.sqrt(v_hat) + optimizer.eps))
    raise ValueError(f"effective_learning_rates: no per-coordinate rate for optimizer {optimizer!r} "
                     "(SGD with momentum has none: its step is not a multiple of one direction)")


# -- two-dimensional landscapes ------------------------------------------------------------------------------

def _xy(xy) -> tuple[np.ndarray, np.ndarray]:
    xy = as_array(xy, "xy")
    xy = np.asarray(xy, dtype=float)
    if xy.shape[-1:] != (2,):
        raise ValueError(f"xy must have a last axis of length 2, got shape {xy.shape}")
    return xy[..., 0], xy[..., 1]


def rosenbrock(xy) -> np.ndarray:
    r""":math:`f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2`; ``xy`` of shape (..., 2), result of shape (...)."""
    x, y = _xy(xy)
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosenbrock_grad(xy) -> np.ndarray:
    r""":math:`\nabla f = \bigl(-2(1-x) - 400\,x\,(y - x^2),\; 200\,(y - x^2)\bigr)`, shape (..., 2)."""
    x, y = _xy(xy)
    return np.stack([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)], axis=-1)


_KAPPA = 20.0


def quadratic(xy) -> np.ndarray:
    r""":math:`f = \tfrac12\bigl((x-1)^2 + \kappa\,(y-1)^2\bigr)` with :math:`\kappa = 20`; shape (..., 2) -> (...)."""
    x, y = _xy(xy)
    return 0.5 * ((x - 1) ** 2 + _KAPPA * (y - 1) ** 2)


def quadratic_grad(xy) -> np.ndarray:
    r""":math:`\nabla f = \bigl(x - 1,\; \kappa\,(y - 1)\bigr)`, shape (..., 2): Hessian eigenvalues 1 and 20."""
    x, y = _xy(xy)
    return np.stack([x - 1, _KAPPA * (y - 1)], axis=-1)


def saddle(xy) -> np.ndarray:
    r""":math:`f = \tfrac12 x^2 + \tfrac14 (y-1)^4 - \tfrac12 (y-1)^2`; shape (..., 2) -> (...); minimum -1/4."""
    x, y = _xy(xy)
    u = y - 1
    return 0.5 * x**2 + 0.25 * u**4 - 0.5 * u**2


def saddle_grad(xy) -> np.ndarray:
    r""":math:`\nabla f = \bigl(x,\; (y-1)^3 - (y-1)\bigr)`, shape (..., 2): zero at the saddle (0, 1)."""
    x, y = _xy(xy)
    u = y - 1
    return np.stack([x, u**3 - u], axis=-1)


@dataclass(frozen=True)
class Landscape:
    """A two-dimensional test function, its gradient, a start and its lowest value.

    Attributes
    ----------
    name : str
    value, grad : callable, (..., 2) -> (...) and (..., 2) -> (..., 2)
    start : tuple of float
        Where the optimisers start.
    minimum : tuple of float
        A global minimiser.
    f_min : float
        The lowest value.
    xlim, ylim : tuple of float
        The box to show.
    """

    name: str
    value: Callable
    grad: Callable
    start: tuple
    minimum: tuple
    f_min: float
    xlim: tuple = (-2.0, 2.0)
    ylim: tuple = (-1.0, 3.0)


LANDSCAPES = {
    "rosenbrock": Landscape("Rosenbrock", rosenbrock, rosenbrock_grad, (-1.2, 1.0), (1.0, 1.0), 0.0),
    "quadratic": Landscape("ill-conditioned quadratic", quadratic, quadratic_grad, (-1.5, 2.5), (1.0, 1.0), 0.0),
    "saddle": Landscape("saddle", saddle, saddle_grad, (-1.8, 1.01), (0.0, 2.0), -0.25),
}


def landscape(name: str) -> Landscape:
    """The :class:`Landscape` called ``name``: ``"rosenbrock"``, ``"quadratic"`` or ``"saddle"``."""
    if name not in LANDSCAPES:
        raise ValueError(f"landscape must be one of {sorted(LANDSCAPES)}, got name={name!r}")
    return LANDSCAPES[name]


# -- sparse logistic regression ------------------------------------------------------------------------------

def sparse_logistic_data(n: int, frequencies, weights, rng) -> tuple[np.ndarray, np.ndarray]:
    r"""Binary features present with given frequencies and labels from a logistic model.

    .. math:: X_{ij} \sim \text{Bernoulli}(f_j), \qquad y_i \sim \text{Bernoulli}\bigl(\sigma(x_i^\top w)\bigr).

    A frequency of 1 gives an always-present feature (an intercept).

    Parameters
    ----------
    n : int >= 2
    frequencies : array_like, shape (d,), in (0, 1]
    weights : array_like, shape (d,)
        The true :math:`w`.
    rng : int or numpy.random.Generator

    Returns
    -------
    X : numpy.ndarray, shape (n, d), entries 0 and 1
    y : numpy.ndarray, shape (n,), entries 0 and 1
    """
    n = check_int(n, "n", low=2)
    freq = as_array(frequencies, "frequencies", ndim=1)
    if np.any(freq <= 0) or np.any(freq > 1):
        raise ValueError(f"frequencies must lie in (0, 1], got {freq.tolist()}")
    w = as_array(weights, "weights", ndim=1)
    if w.shape != freq.shape:
        raise ValueError(f"weights must have shape {freq.shape} like frequencies, got {w.shape}")
    gen = check_random_state(rng)
    X = (gen.random((n, freq.size)) < freq).astype(float)
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return X, (gen.random(n) < p).astype(float)


@dataclass(frozen=True)
class LogisticMinibatchOracle:
    r"""Minibatch gradients of the mean cross-entropy of a logistic model without intercept, with an L2 term.

    Step :math:`t` uses the rows ``batches[t]`` (drawn with replacement, fixed in advance):

    .. math:: g_t(w) = \frac{1}{|B_t|} \sum_{i \in B_t} \bigl(\sigma(x_i^\top w) - y_i\bigr)\, x_i + \lambda w .

    A feature absent from every row of :math:`B_t` gets the gradient :math:`\lambda w_j` only (0 without the
    penalty): a sparse feature gives a sparse gradient. Build it with :meth:`make`; call it as ``oracle(w, t)``.

    Attributes
    ----------
    X : numpy.ndarray, shape (n, d)
    y : numpy.ndarray, shape (n,)
    batches : numpy.ndarray of int, shape (steps, batch_size)
    l2 : float
        :math:`\lambda`.
    """

    X: np.ndarray
    y: np.ndarray
    batches: np.ndarray
    l2: float = 0.0

    @classmethod
    def make(cls, X, y, *, batch_size: int, steps: int, rng, l2: float = 0.0) -> "LogisticMinibatchOracle":
        """Check the data and draw ``steps`` minibatches of ``batch_size`` rows (with replacement) from ``rng``."""
        X = as_array(X, "X", ndim=2)
        y = as_array(y, "y", ndim=1)
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got {y.shape}")
        if not np.all((y == 0) | (y == 1)):
            raise ValueError("y must hold the labels 0 and 1 only")
        batch_size = check_int(batch_size, "batch_size", low=1)
        steps = check_int(steps, "steps", low=1)
        l2 = check_float(l2, "l2", low=0)
        batches = check_random_state(rng).integers(0, X.shape[0], size=(steps, batch_size))
        return cls(X, y, batches, l2)

    def __call__(self, w, t: int) -> np.ndarray:
        rows = self.batches[t]
        lam = np.full(self.X.shape[1], self.l2)
        return _logistic_kernel(np.asarray(w, dtype=float), self.X[rows], self.y[rows], lam, hess=False)[1]

r"""Learning-rate schedules, training with one, and the learning-rate range test.

Every schedule is a vectorised function of the step count ``step`` (an int or an array of them, from 0) that
returns :math:`\eta_t` as floats of the same shape; the conventions are optax's, so each has an optax twin:

- :func:`constant`            :math:`\eta_t = \eta` (``optax.constant_schedule``);
- :func:`step_decay`          :math:`\eta_0\,\gamma^{\lfloor t/T \rfloor}` (``optax.exponential_decay(...,
  staircase=True)``);
- :func:`exponential_decay`   :math:`\eta_0\,\gamma^{t/T}` (``optax.exponential_decay``);
- :func:`cosine_annealing`    :math:`\eta_{\min} + \tfrac12(\eta_{\max}-\eta_{\min})(1+\cos(\pi t/T))` for
  :math:`t \le T`, then held at :math:`\eta_{\min}` (``optax.cosine_decay_schedule``) or, with
  ``restart=True``, restarted every :math:`T` steps (SGDR's warm restarts, ``optax.sgdr_schedule``);
- :func:`triangular`          Smith's cyclical schedule, linear up and down between two bounds;
- :func:`linear_warmup`       linear from ``init`` to :math:`\eta` over the warm-up, then constant
  (``optax.linear_schedule``);
- :func:`warmup_cosine`       linear warm-up then cosine decay (``optax.warmup_cosine_decay_schedule``);
- :func:`one_cycle`           up from :math:`\eta/d` to :math:`\eta` and down to :math:`\eta/(d f)` with cosine
  phases (``optax.cosine_onecycle_schedule``).

Training with a schedule:

- :class:`Scheduled`: an optimiser wrapper that takes step :math:`t` of the wrapped optimiser with the
  learning rate ``learning_rates[t]`` (usable by :func:`~mlsheet_utils.algorithms.nn.train.trajectory` and
  :func:`~mlsheet_utils.algorithms.nn.train.fit`);
- :func:`lr_range_test`: train briefly while the learning rate grows geometrically, record the minibatch loss
  (a :class:`RangeTest`), and read off where it falls fastest and where it blows up.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn import train
from mlsheet_utils.algorithms.nn.layers import Layer
from mlsheet_utils.algorithms.nn.losses import Loss
from mlsheet_utils.algorithms.nn.optimizers import SGD, Optimizer
from mlsheet_utils.validation import as_array, check_float, check_int

__all__ = ["RangeTest", "Scheduled", "constant", "cosine_annealing", "exponential_decay", "linear_warmup",
           "lr_range_test", "one_cycle", "step_decay", "triangular", "warmup_cosine"]


def _steps(step) -> np.ndarray:
    t = as_array(step, "step")
    if np.any(t < 0):
        raise ValueError(f"step must be >= 0, got a minimum of {t.min():g}")
    return t


def _rate(value, name: str) -> float:
    return check_float(value, name, low=0)


def constant(step, lr: float) -> np.ndarray:
    r"""A fixed learning rate, :math:`\eta_t = \eta` for every step.

    Parameters
    ----------
    step : int or array_like of int >= 0
    lr : float >= 0

    Returns
    -------
    numpy.ndarray shaped like ``step``
    """
    t = _steps(step)
    return np.full(t.shape, _rate(lr, "lr"))


def step_decay(step, lr0: float, gamma: float, step_size: int) -> np.ndarray:
    r"""Step decay: :math:`\eta_t = \eta_0\,\gamma^{\lfloor t/T \rfloor}`, multiplied by :math:`\gamma` every
    :math:`T` steps (or epochs, if ``step`` counts epochs).

    Parameters
    ----------
    step : int or array_like >= 0
    lr0 : float >= 0
    gamma : float in (0, 1]
    step_size : int >= 1
        :math:`T`.

    Returns
    -------
    numpy.ndarray shaped like ``step``
    """
    t = _steps(step)
    lr0 = _rate(lr0, "lr0")
    gamma = check_float(gamma, "gamma", low=0, high=1, low_open=True)
    T = check_int(step_size, "step_size", low=1)
    return lr0 * gamma ** np.floor(t / T)


def exponential_decay(step, lr0: float, decay_rate: float, decay_steps: int) -> np.ndarray:
    r"""Smooth exponential decay: :math:`\eta_t = \eta_0\,\gamma^{t/T} = \eta_0\, e^{-t \ln(1/\gamma)/T}`, a factor
    :math:`\gamma` per :math:`T` steps.

    Parameters
    ----------
    step : int or array_like >= 0
    lr0 : float >= 0
    decay_rate : float in (0, 1]
        :math:`\gamma`.
    decay_steps : int >= 1
        :math:`T`.

    Returns
    -------
    numpy.ndarray shaped like ``step``
    """
    t = _steps(step)
    lr0 = _rate(lr0, "lr0")
    gamma = check_float(decay_rate, "decay_rate", low=0, high=1, low_open=True)
    T = check_int(decay_steps, "decay_steps", low=1)
    return lr0 * gamma ** (t / T)


def _cosine(t: np.ndarray, lr_max: float, lr_min: float, period: float) -> np.ndarray:
    return lr_min + 0.5 * (lr_max - lr_min) * (1.0 + np.cos(np.pi * t / period))


def cosine_annealing(step, lr_max: float, lr_min: float, period: int, *, restart: bool = False) -> np.ndarray:
    r"""Cosine annealing from :math:`\eta_{\max}` to :math:`\eta_{\min}` over :math:`T` steps.

    .. math:: \eta_t = \eta_{\min} + \tfrac12(\eta_{\max}-\eta_{\min})\Bigl(1 + \cos\frac{\pi\, t_{cur}}{T}\Bigr),

    with :math:`t_{cur} = \min(t, T)` (held at :math:`\eta_{\min}` after :math:`T`) or, with ``restart=True``,
    :math:`t_{cur} = t \bmod T` (a warm restart to :math:`\eta_{\max}` every :math:`T` steps, SGDR with a fixed
    period).

    Parameters
    ----------
    step : int or array_like >= 0
    lr_max, lr_min : float, 0 <= lr_min <= lr_max
    period : int >= 1
        :math:`T`.
    restart : bool

    Returns
    -------
    numpy.ndarray shaped like ``step``
    """
    t = _steps(step)
    lr_max, lr_min = _rate(lr_max, "lr_max"), _rate(lr_min, "lr_min")
    if lr_min > lr_max:
        raise ValueError(f"lr_min must be <= lr_max, got lr_min = {lr_min} > lr_max = {lr_max}")
    T = check_int(period, "period", low=1)
    return _cosine(np.mod(t, T) if restart else np.minimum(t, T), lr_max, lr_min, T)


def triangular(step, lr_min: float, lr_max: float, half_cycle: int) -> np.ndarray:
    r"""Smith's triangular cyclical schedule: linear from :math:`\eta_{\min}` up to :math:`\eta_{\max}` in
    :math:`s` steps, back down in :math:`s` steps, and again (period :math:`2s`).

    .. math:: \eta_t = \eta_{\min} + (\eta_{\max}-\eta_{\min})\Bigl(1 - \Bigl|\frac{t \bmod 2s}{s} - 1\Bigr|\Bigr).

    Parameters
    ----------
    step : int or array_like >= 0
    lr_min, lr_max : float, 0 <= lr_min <= lr_max
    half_cycle : int >= 1
        :math:`s` (Smith's ``stepsize``).

    Returns
    -------
    numpy.ndarray shaped like ``step``
    """
    t = _steps(step)
    lr_max, lr_min = _rate(lr_max, "lr_max"), _rate(lr_min, "lr_min")
    if lr_min > lr_max:
        raise ValueError(f"lr_min must be <= lr_max, got lr_min = {lr_min} > lr_max = {lr_max}")
    s = check_int(half_cycle, "half_cycle", low=1)
    return lr_min + (lr_max - lr_min) * (1.0 - np.abs(np.mod(t, 2 * s) / s - 1.0))


def linear_warmup(step, lr: float, warmup_steps: int, *, init: float = 0.0) -> np.ndarray:
    r"""Linear warm-up: :math:`\eta_t = \eta_{init} + (\eta - \eta_{init})\,t/W` for :math:`t < W`, then
    :math:`\eta`.

    Parameters
    ----------
    step : int or array_like >= 0
    lr : float >= 0
    warmup_steps : int >= 1
        :math:`W`.
    init : float >= 0

    Returns
    -------
    numpy.ndarray shaped like ``step``
    """
    t = _steps(step)
    lr, init = _rate(lr, "lr"), _rate(init, "init")
    W = check_int(warmup_steps, "warmup_steps", low=1)
    return init + (lr - init) * np.minimum(t, W) / W


def warmup_cosine(step, peak: float, warmup_steps: int, total_steps: int, *, init: float = 0.0,
                  end: float = 0.0) -> np.ndarray:
    r"""Linear warm-up from ``init`` to ``peak`` over :math:`W` steps, then cosine decay to ``end`` at step
    :math:`N` (``total_steps``, warm-up included), then ``end``.

    .. math:: \eta_t = \begin{cases} \eta_{init} + (\eta_{peak}-\eta_{init})\, t/W & t < W \\
              \eta_{end} + \tfrac12(\eta_{peak}-\eta_{end})\bigl(1+\cos\frac{\pi (t-W)}{N-W}\bigr) & W \le t \le N
              \end{cases}

    Parameters
    ----------
    step : int or array_like >= 0
    peak : float >= 0
    warmup_steps : int >= 0
        :math:`W` (0: no warm-up).
    total_steps : int > warmup_steps
        :math:`N`.
    init, end : float >= 0

    Returns
    -------
    numpy.ndarray shaped like ``step``
    """
    t = _steps(step)
    peak, init, end = _rate(peak, "peak"), _rate(init, "init"), _rate(end, "end")
    W = check_int(warmup_steps, "warmup_steps", low=0)
    if check_int(total_steps, "total_steps", low=1) <= W:
        raise ValueError(f"total_steps must be > warmup_steps, got total_steps = {total_steps} and warmup_steps = {W}")
    N = check_int(total_steps, "total_steps", low=W + 1)
    warm = init + (peak - init) * t / max(W, 1)
    decay = _cosine(np.clip(t - W, 0, N - W), peak, end, N - W)
    return np.where(t < W, warm, decay)


def one_cycle(step, total_steps: int, peak: float, *, pct_start: float = 0.3, div_factor: float = 25.0,
              final_div_factor: float = 1e4) -> np.ndarray:
    r"""The one-cycle policy (cosine form): from :math:`\eta/d` up to :math:`\eta` over the first
    ``pct_start`` of the :math:`N` steps, then down to :math:`\eta/(d f)`, both phases half cosines.

    .. math:: \eta_t = a + (b - a)\,\frac{1 - \cos(\pi p)}{2}, \qquad p = \text{progress through the phase},

    with :math:`(a, b) = (\eta/d, \eta)` in the first phase, :math:`(\eta, \eta/(d f))` in the second, and the
    last value held after :math:`N`. The first phase ends at step :math:`\lfloor \text{pct\_start}\cdot N\rfloor`.

    Parameters
    ----------
    step : int or array_like >= 0
    total_steps : int >= 2
    peak : float >= 0
    pct_start : float in (0, 1)
    div_factor, final_div_factor : float >= 1
        :math:`d` and :math:`f`.

    Returns
    -------
    numpy.ndarray shaped like ``step``
    """
    t = _steps(step)
    N = check_int(total_steps, "total_steps", low=2)
    peak = _rate(peak, "peak")
    pct = check_float(pct_start, "pct_start", low=0, high=1, low_open=True, high_open=True)
    d = check_float(div_factor, "div_factor", low=1)
    f = check_float(final_div_factor, "final_div_factor", low=1)
    up = int(pct * N)
    if not 0 < up < N:
        raise ValueError(f"pct_start * total_steps must fall strictly inside the run, got {pct} * {N}")
    start, final = peak / d, peak / (d * f)
    p_up = np.clip(t / up, 0, 1)
    p_down = np.clip((t - up) / (N - up), 0, 1)
    rise = start + (peak - start) * (1 - np.cos(np.pi * p_up)) / 2
    fall = peak + (final - peak) * (1 - np.cos(np.pi * p_down)) / 2
    return np.where(t < up, rise, fall)


@dataclass(frozen=True, eq=False)
class Scheduled(Optimizer):
    r"""Run ``optimizer`` with a learning rate that changes every step: update :math:`t` (from 0) uses
    :math:`\eta_t` = ``learning_rates[t]`` (the last value once the array runs out), everything else as the
    wrapped optimiser (its state, momentum, moment estimates). The same as handing optax a schedule.

    Parameters
    ----------
    optimizer : Optimizer
        Any optimiser with a ``learning_rate`` field (its own value is ignored).
    learning_rates : array_like, shape (n_steps,)
        Non-negative, e.g. ``cosine_annealing(np.arange(n_steps), ...)``.
    """

    optimizer: Optimizer
    learning_rates: np.ndarray

    def __post_init__(self):
        if not isinstance(self.optimizer, Optimizer) or not hasattr(self.optimizer, "learning_rate"):
            raise ValueError(f"optimizer must be an Optimizer with a learning_rate, got {self.optimizer!r}")
        lrs = as_array(self.learning_rates, "learning_rates", ndim=1)
        if lrs.size == 0 or np.any(lrs < 0):
            raise ValueError("learning_rates must be a non-empty array of values >= 0")
        object.__setattr__(self, "learning_rates", lrs)

    def __repr__(self) -> str:
        return f"Scheduled({self.optimizer!r}, {len(self.learning_rates)} learning rates)"

    def _slots(self, params):
        return self.optimizer._slots(params)

    def _update(self, grads, state, params):
        inner = copy.copy(self.optimizer)              # a copy with this step's rate, skipping the > 0 check
        object.__setattr__(inner, "learning_rate", float(self.learning_rates[min(state.step,
                                                                                  len(self.learning_rates) - 1)]))
        return inner._update(grads, state, params)


@dataclass(frozen=True)
class RangeTest:
    r"""The record of :func:`lr_range_test`.

    Attributes
    ----------
    learning_rates : numpy.ndarray, shape (steps,)
        The rate of each update, :math:`\eta_{\min}(\eta_{\max}/\eta_{\min})^{k/(K-1)}`.
    loss : numpy.ndarray, shape (steps,)
        The minibatch loss before each update (``inf`` once it overflowed).
    smoothed : numpy.ndarray, shape (steps,)
        Its bias-corrected exponential moving average (factor ``beta``).
    steepest : float
        The rate where the smoothed loss falls fastest per unit of :math:`\log\eta` (before the blow-up): a
        usual choice for a constant rate or a cycle's peak.
    blow_up : float
        The first rate at which the smoothed loss exceeds ``blow_up_factor`` times its lowest value so far
        (``inf`` if it never does).
    """

    learning_rates: np.ndarray
    loss: np.ndarray
    smoothed: np.ndarray
    steepest: float
    blow_up: float


def lr_range_test(model: Layer, params, loss: Loss, X, y, *, lr_min: float, lr_max: float, steps: int,
                  batch_size: int, rng, optimizer: Optimizer | None = None, beta: float = 0.9,
                  blow_up_factor: float = 4.0) -> RangeTest:
    r"""The learning-rate range test (Smith, 2017): one short run whose rate grows geometrically.

    Update :math:`k = 0 \dots K-1` uses :math:`\eta_k = \eta_{\min}\,(\eta_{\max}/\eta_{\min})^{k/(K-1)}`; the
    loss of each minibatch is smoothed by :math:`s_k = \beta s_{k-1} + (1-\beta)\ell_k`, divided by
    :math:`1 - \beta^{k+1}`. Too small a rate barely moves the loss, a good one makes it fall fastest, too large a
    one makes it explode; the test reports the rate of steepest descent of :math:`s` against
    :math:`\log\eta` up to the blow-up, and the blow-up itself.

    Parameters
    ----------
    model, params, loss, X, y, batch_size, rng
        As in :func:`~mlsheet_utils.algorithms.nn.train.trajectory` (minibatches reshuffled every epoch).
    lr_min, lr_max : float, 0 < lr_min < lr_max
    steps : int >= 3
        :math:`K`, the number of updates.
    optimizer : Optimizer, optional
        The optimiser whose rate is swept (plain SGD by default).
    beta : float in [0, 1)
    blow_up_factor : float > 1

    Returns
    -------
    RangeTest
    """
    lr_min = check_float(lr_min, "lr_min", low=0, low_open=True)
    if check_float(lr_max, "lr_max", low=0, low_open=True) <= lr_min:
        raise ValueError(f"lr_max must be > lr_min, got lr_max = {lr_max} and lr_min = {lr_min}")
    lr_max = check_float(lr_max, "lr_max", low=lr_min, low_open=True)
    steps = check_int(steps, "steps", low=3)
    batch_size = check_int(batch_size, "batch_size", low=1)
    train._check_setup(model, params, loss, optimizer, X, y, batch_size)
    beta = check_float(beta, "beta", low=0, high=1, high_open=True)
    blow_up_factor = check_float(blow_up_factor, "blow_up_factor", low=1, low_open=True)
    lrs = lr_min * (lr_max / lr_min) ** (np.arange(steps) / (steps - 1))
    opt = Scheduled(optimizer if optimizer is not None else SGD(1.0), lrs)
    n = len(np.asarray(X))
    epochs = -(-steps * batch_size // max(n, 1)) if n else 1
    run = train.trajectory(model, params, loss, opt, X, y, epochs=max(epochs, 1), batch_size=batch_size, rng=rng,
                           every=steps)
    ell = np.asarray(run.batch_loss[:steps], dtype=float)
    ell = np.where(np.isfinite(ell), ell, np.inf)
    smoothed, avg = np.empty(steps), 0.0
    for k in range(steps):
        avg = beta * avg + (1 - beta) * ell[k]
        smoothed[k] = avg / (1 - beta ** (k + 1))
    best = np.minimum.accumulate(smoothed)
    over = np.flatnonzero(smoothed > blow_up_factor * best)
    stop = int(over[0]) if over.size else steps
    slope = np.gradient(smoothed[:max(stop, 2)], np.log(lrs[:max(stop, 2)]))
    return RangeTest(lrs, ell, smoothed, float(lrs[int(np.argmin(slope))]),
                     float(lrs[stop]) if over.size else float("inf"))

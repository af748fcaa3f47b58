r"""Hebbian learning rules and binary Hopfield networks.

- :func:`hebbian_trajectory`: one pass per epoch of the plain rule :math:`\Delta w = \eta\, y\, x` or Oja's rule
  :math:`\Delta w = \eta\, y\,(x - y\, w)` over the rows of ``X``, with :math:`y = w^\top x` (a
  :class:`HebbianTrajectory`);
- :func:`hebbian_storage`: the outer-product weights :math:`W = \frac1N \sum_p \xi^p \xi^{p\top}`, diagonal zeroed
  by default;
- :func:`hopfield_energy`: :math:`E(s) = -\tfrac12 s^\top W s + \theta^\top s` for one state or a batch of states;
- :func:`hopfield_recall`: asynchronous updates :math:`s_i \leftarrow \operatorname{sign}(h_i - \theta_i)` of a
  batch of states until nothing changes, with the energy after every single-unit update (a
  :class:`RecallResult`);
- :func:`all_states`: the :math:`2^N` states in :math:`\{-1, +1\}^N`;
- :func:`fixed_points`: which states no single-unit update changes;
- :func:`recall_overlap`: how well stored patterns are recalled from corrupted copies, averaged over random
  pattern sets (a :class:`CapacityPoint`).

States are float arrays of :math:`\pm 1` with the units on the last axis. When the local field equals the
threshold the unit keeps its value (so :math:`\operatorname{sign}(0)` never produces a zero state); "equals" allows
for round-off (:data:`TIE_TOL` times the largest absolute row sum of ``W``), so that a tie that is exact in
arithmetic is treated as a tie whatever order the floating-point sums run in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

__all__ = ["TIE_TOL", "CapacityPoint", "HebbianTrajectory", "RecallResult", "all_states", "fixed_points",
           "hebbian_storage", "hebbian_trajectory", "hopfield_energy", "hopfield_recall", "recall_overlap"]


#: Relative size of a field difference treated as an exact tie (see the module docstring).
TIE_TOL = 1e-9


@dataclass(frozen=True)
class HebbianTrajectory:
    """Weights of a single linear unit after every presented sample.

    Attributes
    ----------
    weights : ndarray, shape (n_steps + 1, d)
        Row 0 is the start; row t the weights after t samples.
    norms : ndarray, shape (n_steps + 1,)
        Euclidean norm of every row of ``weights``.
    """

    weights: np.ndarray
    norms: np.ndarray


def hebbian_trajectory(X, eta, epochs=1, *, rule="oja", w0=None, rng=0) -> HebbianTrajectory:
    r"""Train one linear unit :math:`y = w^\top x` with a Hebbian rule, sample by sample.

    .. math::
        \text{plain: } w \leftarrow w + \eta\, y\, x, \qquad
        \text{Oja: } w \leftarrow w + \eta\, y\,(x - y\, w).

    The plain rule follows :math:`\mathbb E[\Delta w] = \eta\, C w` (with :math:`C = \mathbb E[x x^\top]`), so its
    norm grows without bound; Oja's decay term keeps :math:`\lVert w\rVert` near 1 and its stable fixed points
    are the unit eigenvectors of the largest eigenvalue of :math:`C`. Once the norm overflows the plain rule's
    remaining rows are ``inf``/``nan`` (that is the blow-up being shown).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Samples (centre them first for principal components).
    eta : float
        Learning rate, > 0.
    epochs : int
        Passes over ``X`` (in the given order each time).
    rule : {"oja", "plain"}
    w0 : array_like, shape (d,), optional
        Start; a random unit vector drawn from ``rng`` when omitted.
    rng : int or numpy.random.Generator

    Returns
    -------
    HebbianTrajectory
    """
    X = as_array(X, "X", ndim=2)
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    eta = check_float(eta, "eta", low=0.0, low_open=True)
    epochs = check_int(epochs, "epochs", low=1)
    rng = check_random_state(rng)
    if rule not in ("oja", "plain"):
        raise ValueError(f"rule must be 'oja' or 'plain', got {rule!r}")
    d = X.shape[1]
    if w0 is None:
        w = check_random_state(rng).standard_normal(d)
        w /= np.linalg.norm(w)
    else:
        w = as_array(w0, "w0", ndim=1).copy()
        if w.shape != (d,):
            raise ValueError(f"w0 must have shape ({d},) (one weight per column of X), got {w.shape}")
    data = np.tile(X, (epochs, 1))
    out = np.empty((data.shape[0] + 1, d))
    out[0] = w
    oja = rule == "oja"
    with np.errstate(over="ignore", invalid="ignore"):
        for t, x in enumerate(data):
            y = w @ x
            w = w + eta * y * (x - y * w) if oja else w + eta * y * x
            out[t + 1] = w
        norms = np.sqrt((out**2).sum(axis=1))
    return HebbianTrajectory(out, norms)


def hebbian_storage(patterns, *, zero_diagonal=True) -> np.ndarray:
    r"""Outer-product (Hebbian) weights for binary patterns.

    .. math:: W = \frac1N \sum_{p=1}^{P} \xi^p \xi^{p\top}, \qquad W_{ii} = 0 \text{ when } \texttt{zero\_diagonal}.

    Parameters
    ----------
    patterns : array_like, shape (P, N)
        Entries in {-1, +1}.
    zero_diagonal : bool
        Remove the self-couplings :math:`W_{ii} = P/N`.

    Returns
    -------
    ndarray, shape (N, N), symmetric
    """
    xi = _states(patterns, "patterns", ndim=2)
    W = xi.T @ xi / xi.shape[1]
    if zero_diagonal:
        np.fill_diagonal(W, 0.0)
    return W


def hopfield_energy(W, states, theta=None) -> np.ndarray | float:
    r"""Energy :math:`E(s) = -\tfrac12 \sum_{ij} W_{ij} s_i s_j + \sum_i \theta_i s_i`.

    Parameters
    ----------
    W : array_like, shape (N, N)
    states : array_like, shape (N,) or (m, N)
    theta : array_like, shape (N,), optional
        Thresholds (zero when omitted).

    Returns
    -------
    float or ndarray, shape (m,)
    """
    W, theta = _weights(W, theta)
    s = as_array(states, "states")
    if s.ndim not in (1, 2) or s.shape[-1] != W.shape[0]:
        raise ValueError(f"states must have shape ({W.shape[0]},) or (m, {W.shape[0]}), got {s.shape}")
    e = -0.5 * np.einsum("...i,ij,...j->...", s, W, s) + s @ theta
    return float(e) if s.ndim == 1 else e


@dataclass(frozen=True)
class RecallResult:
    """Outcome of asynchronous recall for a batch of starting states.

    Attributes
    ----------
    states : ndarray, shape (m, N)
        Final states.
    energies : ndarray, shape (m, n_updates + 1)
        Energy at the start and after every single-unit update (N per sweep), or only at the start and the
        end when the recall ran without ``track_energy``.
    n_sweeps : int
        Sweeps run, the last of which changed nothing when ``converged``.
    converged : bool
        Whether every state stopped changing within ``max_sweeps``.
    """

    states: np.ndarray
    energies: np.ndarray
    n_sweeps: int
    converged: bool


def hopfield_recall(W, states, theta=None, *, max_sweeps=50, track_energy=True, rng=0) -> RecallResult:
    r"""Asynchronous Hopfield dynamics on a batch of states.

    Each sweep visits the units in a fresh random order; unit :math:`i` takes

    .. math:: s_i \leftarrow \operatorname{sign}\Bigl(\sum_j W_{ij} s_j - \theta_i\Bigr),

    keeping its value when the argument is zero (up to round-off). The same order is used for every state of the batch.
    With symmetric ``W`` and non-negative diagonal no update raises :func:`hopfield_energy`.

    Parameters
    ----------
    W : array_like, shape (N, N)
    states : array_like, shape (N,) or (m, N)
        Starting states in {-1, +1}.
    theta : array_like, shape (N,), optional
    max_sweeps : int
    track_energy : bool
        Record the energy after every update (otherwise only at the start and the end).
    rng : int or numpy.random.Generator
        Draws the visiting orders.

    Returns
    -------
    RecallResult
    """
    W, theta = _weights(W, theta)
    s = _states(states, "states", ndim=None)
    if s.ndim > 2:
        raise ValueError(f"states must have shape (N,) or (m, N), got {s.shape}")
    s = np.atleast_2d(s).copy()
    if s.shape[1] != W.shape[0]:
        raise ValueError(f"states must have {W.shape[0]} units on the last axis, got shape {s.shape}")
    max_sweeps = check_int(max_sweeps, "max_sweeps", low=1)
    gen = check_random_state(rng)
    n = W.shape[0]
    tol = _tie_tol(W)
    energies = [_energy(W, theta, s)]
    converged = False
    sweeps = 0
    while sweeps < max_sweeps:
        sweeps += 1
        changed = False
        for i in gen.permutation(n):
            field = s @ W[:, i] - theta[i]
            new = np.where(field > tol, 1.0, np.where(field < -tol, -1.0, s[:, i]))
            if np.any(new != s[:, i]):
                changed = True
            s[:, i] = new
            if track_energy:
                energies.append(_energy(W, theta, s))
        if not changed:
            converged = True
            break
    if not track_energy:
        energies.append(_energy(W, theta, s))
    return RecallResult(s, np.stack(energies, axis=1), sweeps, converged)


def all_states(n) -> np.ndarray:
    """Every state of ``n`` binary units, shape (2**n, n), entries in {-1, +1} (binary counting order)."""
    n = check_int(n, "n", low=1, high=20)
    bits = (np.arange(2**n)[:, None] >> np.arange(n - 1, -1, -1)) & 1
    return 2.0 * bits - 1.0


def fixed_points(W, states, theta=None) -> np.ndarray:
    r"""Whether each state is left unchanged by every single-unit update.

    A state is fixed when :math:`s_i (h_i - \theta_i) \ge 0` for every unit, with :math:`h = W s`
    (a zero argument, up to round-off, keeps the unit, as in :func:`hopfield_recall`).

    Parameters
    ----------
    W : array_like, shape (N, N)
    states : array_like, shape (m, N)
    theta : array_like, shape (N,), optional

    Returns
    -------
    ndarray of bool, shape (m,)
    """
    W, theta = _weights(W, theta)
    s = _states(states, "states", ndim=2)
    if s.shape[1] != W.shape[0]:
        raise ValueError(f"states must have {W.shape[0]} units on the last axis, got shape {s.shape}")
    return np.all(s * (s @ W.T - theta) >= -_tie_tol(W), axis=1)


@dataclass(frozen=True)
class CapacityPoint:
    r"""Recall quality at one load, averaged over random pattern sets.

    Attributes
    ----------
    overlap : float
        Mean final overlap :math:`m = \frac1N \xi^\top s` with the pattern the recall started near.
    overlap_se : float
        Standard error of ``overlap`` over the trials.
    perfect : float
        Fraction of recalls ending exactly on the stored pattern.
    perfect_se : float
        Its standard error.
    """

    overlap: float
    overlap_se: float
    perfect: float
    perfect_se: float


def recall_overlap(n_units, n_patterns, *, flip=0.0, n_trials=20, rng=0) -> CapacityPoint:
    r"""Store ``n_patterns`` random patterns in ``n_units`` units and recall each from a corrupted copy.

    Every trial draws new patterns uniformly from :math:`\{-1, +1\}^N`, stores them with
    :func:`hebbian_storage`, flips a fraction ``flip`` of the units of every pattern (chosen at random) and runs
    :func:`hopfield_recall`. The overlap :math:`m = \xi^\top s / N` is 1 for perfect recall.

    Parameters
    ----------
    n_units : int
    n_patterns : int
    flip : float in [0, 0.5]
    n_trials : int
    rng : int or numpy.random.Generator

    Returns
    -------
    CapacityPoint
    """
    n = check_int(n_units, "n_units", low=2)
    p = check_int(n_patterns, "n_patterns", low=1)
    flip = check_float(flip, "flip", low=0.0, high=0.5)
    n_trials = check_int(n_trials, "n_trials", low=2)
    gen = check_random_state(rng)
    k = int(round(flip * n))
    overlaps, perfect = [], []
    for _ in range(n_trials):
        xi = gen.choice([-1.0, 1.0], size=(p, n))
        W = hebbian_storage(xi)
        start = xi.copy()
        if k:
            idx = np.argsort(gen.random((p, n)), axis=1)[:, :k]
            np.put_along_axis(start, idx, -np.take_along_axis(start, idx, axis=1), axis=1)
        final = hopfield_recall(W, start, track_energy=False, rng=gen).states
        m = (final * xi).mean(axis=1)
        overlaps.extend(m)
        perfect.extend(m == 1.0)
    overlaps, perfect = np.asarray(overlaps), np.asarray(perfect, dtype=float)
    # patterns of one trial share W, so the standard error is taken over trial means
    by_trial_m = overlaps.reshape(n_trials, p).mean(axis=1)
    by_trial_p = perfect.reshape(n_trials, p).mean(axis=1)
    root = np.sqrt(n_trials)
    return CapacityPoint(float(by_trial_m.mean()), float(by_trial_m.std(ddof=1) / root),
                         float(by_trial_p.mean()), float(by_trial_p.std(ddof=1) / root))


def _tie_tol(W):
    return TIE_TOL * max(1.0, float(np.abs(W).sum(axis=1).max()))


def _energy(W, theta, s):
    return -0.5 * np.einsum("mi,ij,mj->m", s, W, s) + s @ theta


def _weights(W, theta):
    W = as_array(W, "W", ndim=2)
    if W.shape[0] != W.shape[1] or W.shape[0] < 1:
        raise ValueError(f"W must be a non-empty square matrix, got shape {W.shape}")
    if theta is None:
        theta = np.zeros(W.shape[0])
    else:
        theta = as_array(theta, "theta", ndim=1)
        if theta.shape != (W.shape[0],):
            raise ValueError(f"theta must have shape ({W.shape[0]},), got {theta.shape}")
    return W, theta


def _states(states, name, ndim):
    s = as_array(states, name, ndim=ndim)
    if s.size == 0 or not np.all(np.abs(s) == 1):
        raise ValueError(f"{name} must be a non-empty array with entries in {{-1, +1}}")
    return s

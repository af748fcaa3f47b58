"""Finite probability spaces: joint tables, events on two dice, and seeded Monte Carlo estimates.

Everything is exact enumeration over a small
sample space, so every number can be checked against SymPy's exact probabilities.

- :func:`check_joint`, :func:`marginals`, :func:`conditional`, :func:`independence_gap`: a joint table
  :math:`J_{ij} = P(X = i, Y = j)` and what follows from it;
- :func:`dependent_table`: a family of joint tables with fixed marginals whose dependence is dialled by one number;
- :data:`DICE_EVENTS`, :func:`dice_space`, :func:`event_mask`, :func:`exact_prob`: named events on two fair dice;
- :func:`roll_dice`, :func:`mc_prob`: Monte Carlo estimates from seeded rolls.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from mlsheet_utils.validation import as_array, check_float, check_int


def check_joint(J, name: str = "J", *, atol: float = 1e-9) -> np.ndarray:
    """Validate a joint probability table.

    Parameters
    ----------
    J : array_like, shape (m, n)
        ``J[i, j] = P(X = i, Y = j)``; entries >= 0 that sum to 1.
    name : str
        Argument name used in error messages.

    Returns
    -------
    numpy.ndarray, shape (m, n), float
    """
    J = as_array(J, name, ndim=2)
    if J.size == 0:
        raise ValueError(f"{name} must not be empty")
    if np.any(J < -atol):
        raise ValueError(f"{name} has a negative entry ({J.min():.3g})")
    if abs(J.sum() - 1.0) > atol * J.size + 1e-12:
        raise ValueError(f"{name} must sum to 1, got {J.sum():.6g}")
    return np.clip(J, 0.0, None)


def marginals(J) -> tuple[np.ndarray, np.ndarray]:
    """Row and column marginals of a joint table.

    .. math:: P(X = i) = \\sum_j J_{ij}, \\qquad P(Y = j) = \\sum_i J_{ij}

    Returns
    -------
    px : ndarray, shape (m,)
    py : ndarray, shape (n,)
    """
    J = check_joint(J)
    return J.sum(axis=1), J.sum(axis=0)


def conditional(J, given: str = "col") -> np.ndarray:
    """Conditional table from a joint table (the product rule solved for the conditional).

    ``given="col"`` returns ``C[i, j] = P(X = i | Y = j) = J[i, j] / P(Y = j)`` (columns sum to 1);
    ``given="row"`` returns ``C[i, j] = P(Y = j | X = i) = J[i, j] / P(X = i)`` (rows sum to 1).

    Raises
    ------
    ValueError
        If ``given`` is unknown or a conditioning event has probability 0 (the conditional is undefined).
    """
    J = check_joint(J)
    if given not in ("col", "row"):
        raise ValueError(f"given must be 'col' or 'row', got {given!r}")
    px, py = J.sum(axis=1), J.sum(axis=0)
    denom = py[None, :] if given == "col" else px[:, None]
    if np.any(denom == 0):
        raise ValueError("a conditioning event has probability 0, so P(. | it) is undefined")
    return J / denom


def independence_gap(J) -> float:
    """Largest deviation of a joint table from the product of its marginals.

    .. math:: \\max_{i,j} \\lvert J_{ij} - P(X = i)\\,P(Y = j) \\rvert

    It is 0 exactly when X and Y are independent (every cell factorises, not just one).
    """
    px, py = marginals(J)
    return float(np.abs(check_joint(J) - np.outer(px, py)).max())


def dependent_table(px, py, strength: float) -> np.ndarray:
    """Joint table with marginals ``px``, ``py`` that mixes independence and maximal co-monotone dependence.

    .. math:: J(s) = (1 - s)\\, p_X p_Y^\\top + s\\, M, \\qquad s \\in [0, 1]

    where ``M`` is the north-west-corner coupling (the joint with the same marginals that puts as much mass
    as possible on matching ranks). Both terms have marginals ``px`` and ``py``, so every ``J(s)`` does too;
    ``s = 0`` is independent.

    Parameters
    ----------
    px : array_like, shape (m,)   probabilities summing to 1
    py : array_like, shape (n,)   probabilities summing to 1
    strength : float in [0, 1]

    Returns
    -------
    ndarray, shape (m, n)
    """
    px = as_array(px, "px", ndim=1)
    py = as_array(py, "py", ndim=1)
    for name, v in (("px", px), ("py", py)):
        if np.any(v < 0) or abs(v.sum() - 1) > 1e-9:
            raise ValueError(f"{name} must be non-negative and sum to 1")
    s = check_float(strength, "strength", low=0, high=1)
    M = np.zeros((px.size, py.size))
    rx, ry = px.copy(), py.copy()
    i = j = 0
    while i < px.size and j < py.size:          # north-west-corner rule: at most m + n - 1 steps
        m = min(rx[i], ry[j])
        M[i, j] += m
        rx[i] -= m
        ry[j] -= m
        if rx[i] <= 1e-15:
            i += 1
        else:
            j += 1
    return (1 - s) * np.outer(px, py) + s * M


# -- two fair dice --------------------------------------------------------------------------------------

#: Named events on two dice, as functions of the two faces (arrays of ints in 1..6).
DICE_EVENTS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "first die even": lambda a, b: a % 2 == 0,
    "second die even": lambda a, b: b % 2 == 0,
    "sum is even": lambda a, b: (a + b) % 2 == 0,
    "sum = 7": lambda a, b: a + b == 7,
    "sum = 8": lambda a, b: a + b == 8,
    "sum > 7": lambda a, b: a + b > 7,
    "sum <= 4": lambda a, b: a + b <= 4,
    "doubles": lambda a, b: a == b,
    "first die = 6": lambda a, b: a == 6,
    "at least one 6": lambda a, b: (a == 6) | (b == 6),
    "max <= 3": lambda a, b: np.maximum(a, b) <= 3,
}


def dice_space() -> tuple[np.ndarray, np.ndarray]:
    """The 36 equally likely outcomes of two fair dice as two int arrays of shape (36,)."""
    a, b = np.meshgrid(np.arange(1, 7), np.arange(1, 7), indexing="ij")
    return a.ravel(), b.ravel()


def event_mask(name: str, a: np.ndarray | None = None, b: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask of event ``name`` (a key of :data:`DICE_EVENTS`) on faces ``a``, ``b``.

    Without ``a`` and ``b`` the mask is over the 36 outcomes of :func:`dice_space`.
    """
    if name not in DICE_EVENTS:
        raise ValueError(f"name must be one of {sorted(DICE_EVENTS)}, got {name!r}")
    if a is None or b is None:
        a, b = dice_space()
    return np.asarray(DICE_EVENTS[name](a, b), dtype=bool)


def exact_prob(mask) -> float:
    """P(event) on the uniform 36-outcome space: the number of outcomes in the mask over 36."""
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (36,):
        raise ValueError(f"mask must have shape (36,), got {mask.shape}")
    return float(mask.mean())


def roll_dice(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` seeded rolls of two fair dice: two int arrays of shape (n,) with values 1..6."""
    n = check_int(n, "n", low=1)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    rolls = rng.integers(1, 7, size=(2, n))
    return rolls[0], rolls[1]


def mc_prob(mask) -> tuple[float, float]:
    """Monte Carlo estimate of P(event) from a boolean mask over samples, and its standard error.

    .. math:: \\hat p = \\frac1n \\sum_k 1[\\omega_k \\in A], \\qquad
              \\mathrm{se} = \\sqrt{\\hat p (1 - \\hat p) / n}
    """
    mask = np.asarray(mask, dtype=bool).ravel()
    if mask.size == 0:
        raise ValueError("mask must hold at least one sample")
    p = float(mask.mean())
    return p, float(np.sqrt(p * (1 - p) / mask.size))

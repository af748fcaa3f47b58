r"""Finite probability spaces and the rules that hold on them: joint tables, events, Bayes' rule, complements, moments.

Everything is exact enumeration over a small sample space or counting over seeded samples, so every number can
be checked against SymPy's exact probabilities or SciPy's distributions.

Joint tables :math:`J_{ij} = P(X = i, Y = j)`

- :func:`check_joint`, :func:`marginals`, :func:`conditional`, :func:`independence_gap`: a table and what follows
  from it;
- :func:`dependent_table`: tables with fixed marginals whose dependence is dialled by one number.

Events as boolean masks (over equally likely outcomes, or over samples)

- :data:`DICE_EVENTS`, :func:`dice_space`, :func:`event_mask`, :func:`exact_prob`: named events on two fair dice;
- :func:`roll_dice`, :func:`roll_events`, :func:`mc_prob` (a :class:`ProbabilityEstimate`): Monte Carlo;
- :data:`RULE_QUANTITIES`, :func:`rule_estimates`, :func:`exact_rules`: every rule's quantities from two masks;
- :func:`union_prob` (inclusion-exclusion), :func:`product_rule`, :func:`mutually_independent`
  (a :class:`MutualIndependence`);
- :func:`circle_overlap_area`, :func:`venn_layout` (a :class:`VennLayout`): two circles whose areas and overlap
  are the probabilities of two events and of their intersection.

Bayes' rule

- :func:`posterior`: posterior over hypotheses from a prior and log-likelihoods;
- :func:`diagnostic_posterior`: :math:`P(D \mid \text{test result})` from sensitivity, specificity, prevalence;
- :func:`simulate_test`: the same by simulating a population (a :class:`ScreeningResult`).

The complement rule

- :func:`p_at_least_one`: :math:`1 - (1 - p)^n` without cancellation;
- :func:`p_collision`, :func:`simulate_collisions`: the birthday problem, exactly and by simulation.

Moments

- :func:`pmf_moments`: mean and variance of a pmf (a :class:`Moments`);
- :func:`welford_var`: one-pass (streaming) variance.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from mlsheet_utils.algorithms.nn.functional import softmax
from mlsheet_utils.validation import as_array, check_bool, check_float, check_int, check_random_state


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
    atol = check_float(atol, "atol", low=0.0)
    J = as_array(J, name, ndim=2)
    if J.size == 0:
        raise ValueError(f"{name} must not be empty")
    if np.any(J < -atol):
        raise ValueError(f"{name} has a negative entry ({J.min():.3g})")
    if abs(J.sum() - 1.0) > atol * J.size + 1e-12:
        raise ValueError(f"{name} must sum to 1, got {J.sum():.6g}")
    return np.clip(J, 0.0, None)


def marginals(J) -> tuple[np.ndarray, np.ndarray]:
    r"""Row and column marginals of a joint table.

    .. math:: P(X = i) = \sum_j J_{ij}, \qquad P(Y = j) = \sum_i J_{ij}

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
        raise ValueError(f"J has a {'column' if given == 'col' else 'row'} of zeros: a conditioning event has "
                         "probability 0, so P(. | it) is undefined")
    return J / denom


def independence_gap(J) -> float:
    r"""Largest deviation of a joint table from the product of its marginals.

    .. math:: \max_{i,j} \lvert J_{ij} - P(X = i)\,P(Y = j) \rvert

    It is 0 exactly when X and Y are independent (every cell factorises, not just one).

    Parameters
    ----------
    J : array_like, shape (m, n), a joint table

    Returns
    -------
    float
    """
    J = check_joint(J)
    return float(np.abs(J - np.outer(J.sum(axis=1), J.sum(axis=0))).max())


def dependent_table(px, py, strength: float) -> np.ndarray:
    r"""Joint table with marginals ``px``, ``py`` that mixes independence and maximal co-monotone dependence.

    .. math:: J(s) = (1 - s)\, p_X p_Y^\top + s\, M, \qquad s \in [0, 1]

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
        if v.size == 0 or np.any(v < 0) or abs(v.sum() - 1) > 1e-9:
            raise ValueError(f"{name} must be non-empty, non-negative and sum to 1, got {v}")
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


# -- events on two fair dice ----------------------------------------------------------------------------

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


def event_mask(name: str, a=None, b=None) -> np.ndarray:
    """Boolean mask of event ``name`` (a key of :data:`DICE_EVENTS`) on faces ``a``, ``b``.

    Parameters
    ----------
    name : str
        The event.
    a, b : array_like of int in 1..6, one shape (any, not empty), optional
        The faces of the first and second die; without them the mask is over the 36 outcomes of
        :func:`dice_space`.

    Returns
    -------
    ndarray of bool, the shape of ``a``
    """
    _check_event(name, "name")
    if (a is None) != (b is None):
        raise ValueError("give both faces a and b, or neither (the 36 outcomes)")
    if a is None:
        a, b = dice_space()
    a, b = _faces(a, "a"), _faces(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    return np.asarray(DICE_EVENTS[name](a, b), dtype=bool)


def _check_event(name, arg: str) -> str:
    """Check that ``name`` (the argument ``arg``) is a key of :data:`DICE_EVENTS`."""
    if not isinstance(name, str) or name not in DICE_EVENTS:
        raise ValueError(f"{arg} must be one of {sorted(DICE_EVENTS)}, got {name!r}")
    return name


def _faces(x, name: str) -> np.ndarray:
    """Dice faces: a non-empty array of whole numbers in 1..6, returned as ints."""
    x = as_array(x, name)
    if np.any((x < 1) | (x > 6) | (x != np.round(x))):
        bad = x[(x < 1) | (x > 6) | (x != np.round(x))]
        raise ValueError(f"{name} must hold dice faces (whole numbers 1..6), got {bad.ravel()[0]:g}")
    return x.astype(int)


def exact_prob(mask) -> float:
    """P(event) on the uniform 36-outcome space: the number of outcomes in the mask over 36."""
    mask = _mask(mask, "mask")
    if mask.shape != (36,):
        raise ValueError(f"mask must have shape (36,), got {mask.shape}")
    return float(mask.mean())


def roll_dice(n: int, rng=0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` seeded rolls of two fair dice: two int arrays of shape (n,) with values 1..6.

    ``rng`` is an int seed or a ``numpy.random.Generator`` (which the rolls advance).
    """
    n = check_int(n, "n", low=1)
    rolls = check_random_state(rng).integers(1, 7, size=(2, n))
    return rolls[0], rolls[1]


def roll_events(name_a: str, name_b: str, n: int, rng=0) -> tuple[np.ndarray, np.ndarray]:
    """Masks of two named dice events over the same ``n`` seeded rolls: two bool arrays of shape (n,)."""
    _check_event(name_a, "name_a")
    _check_event(name_b, "name_b")
    a, b = roll_dice(n, rng)
    return event_mask(name_a, a, b), event_mask(name_b, a, b)


@dataclass(frozen=True)
class ProbabilityEstimate:
    """A Monte Carlo probability ``p`` and its standard error ``se``."""

    p: float
    se: float


def mc_prob(mask) -> ProbabilityEstimate:
    r"""Monte Carlo estimate of P(event) from a boolean mask over samples, and its standard error.

    .. math:: \hat p = \frac1n \sum_k 1[\omega_k \in A], \qquad
              \mathrm{se} = \sqrt{\hat p (1 - \hat p) / n}

    Parameters
    ----------
    mask : array_like of bool, any shape with n >= 1 entries

    Returns
    -------
    ProbabilityEstimate
    """
    mask = _mask(mask, "mask").ravel()
    if mask.size == 0:
        raise ValueError("mask must hold at least one sample")
    p = float(mask.mean())
    return ProbabilityEstimate(p, float(np.sqrt(p * (1 - p) / mask.size)))


def _mask(m, name: str) -> np.ndarray:
    m = np.asarray(m)
    if m.dtype != bool:
        raise ValueError(f"{name} must be a boolean array, got dtype {m.dtype}")
    return m


def _masks(masks, name: str = "masks") -> np.ndarray:
    masks = _mask(masks, name)
    if masks.ndim != 2 or masks.shape[0] == 0 or masks.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D boolean array (events x outcomes), got shape "
                         f"{masks.shape}")
    return masks


#: What :func:`rule_estimates` returns, in order.
RULE_QUANTITIES = ("P(A)", "P(B)", "P(A and B)", "P(A or B)", "P(A|B)", "P(B|A)", "P(not A)")


def rule_estimates(mask_a, mask_b) -> np.ndarray:
    r"""Frequencies of every rule's quantities from boolean event masks over the same samples.

    With :math:`n_A, n_B, n_{AB}` the counts of samples in :math:`A`, :math:`B`, :math:`A\cap B`:
    :math:`P(A) = n_A/n`, :math:`P(A\mid B) = n_{AB}/n_B`, :math:`P(A^c) = 1 - n_A/n`, and so on.
    Over the 36 equally likely outcomes of two dice the frequencies are the exact probabilities.

    Parameters
    ----------
    mask_a, mask_b : array_like of bool, shape (n,)   event indicators per sample

    Returns
    -------
    ndarray, shape (7,), in the order of :data:`RULE_QUANTITIES`; a conditional whose condition never occurred
    is NaN
    """
    mask_a, mask_b = _mask(mask_a, "mask_a"), _mask(mask_b, "mask_b")
    if mask_a.shape != mask_b.shape or mask_a.ndim != 1 or mask_a.size == 0:
        raise ValueError(f"mask_a and mask_b must be non-empty 1-D arrays of one shape, got {mask_a.shape}, "
                         f"{mask_b.shape}")
    na, nb = np.count_nonzero(mask_a), np.count_nonzero(mask_b)
    nab, n = np.count_nonzero(mask_a & mask_b), mask_a.size
    return np.array([na / n, nb / n, nab / n, np.count_nonzero(mask_a | mask_b) / n,
                     nab / nb if nb else np.nan, nab / na if na else np.nan, 1 - na / n])


def exact_rules(name_a: str, name_b: str) -> np.ndarray:
    """The quantities of :func:`rule_estimates` exactly, by enumerating the 36 outcomes of two dice; shape (7,)."""
    _check_event(name_a, "name_a")
    _check_event(name_b, "name_b")
    return rule_estimates(event_mask(name_a), event_mask(name_b))


def union_prob(masks) -> float:
    r"""P(A_1 or ... or A_k) by inclusion-exclusion.

    .. math:: P\Big(\bigcup_{i=1}^k A_i\Big) = \sum_{\emptyset \ne S \subseteq \{1..k\}} (-1)^{|S|+1}\,
              P\Big(\bigcap_{i\in S} A_i\Big)

    with each probability the fraction of columns where every event in :math:`S` holds. It visits all
    :math:`2^k - 1` subsets, so it is for small ``k``; the direct answer is ``masks.any(axis=0).mean()``.

    Parameters
    ----------
    masks : array_like of bool, shape (k, n)   row i marks the outcomes (or samples) in A_i; 1 <= k <= 12

    Returns
    -------
    float
    """
    masks = _masks(masks)
    k = masks.shape[0]
    if k > 12:
        raise ValueError(f"masks must have at most 12 rows (the number of events must be <= 12), got {k}")
    total = 0.0
    for r in range(1, k + 1):
        sign = (-1) ** (r + 1)
        for S in itertools.combinations(range(k), r):
            total += sign * np.logical_and.reduce(masks[list(S)], axis=0).mean()
    return total


def product_rule(mask_a, mask_b) -> float:
    r"""P(A|B) P(B) from masks, the conditional being the fraction of B-outcomes that are also in A.

    .. math:: P(A\cap B) = P(A\mid B)\,P(B), \qquad P(A\mid B) = \frac{n_{AB}}{n_B}

    Parameters
    ----------
    mask_a, mask_b : array_like of bool, one shape

    Returns
    -------
    float

    Raises
    ------
    ValueError
        When B never occurs (P(A|B) is then undefined).
    """
    mask_a, mask_b = _mask(mask_a, "mask_a"), _mask(mask_b, "mask_b")
    if mask_a.shape != mask_b.shape:
        raise ValueError(f"mask_a and mask_b must have the same shape, got {mask_a.shape} and {mask_b.shape}")
    if not mask_b.any():
        raise ValueError("mask_b is empty: P(B) = 0, so P(A|B) is undefined")
    return float((mask_a & mask_b).sum() / mask_b.sum() * mask_b.mean())


@dataclass(frozen=True)
class MutualIndependence:
    """Verdict of :func:`mutually_independent` and the sub-families (tuples of event indices) that fail."""

    independent: bool
    failing: tuple[tuple[int, ...], ...]


def mutually_independent(masks, *, atol: float = 1e-12) -> MutualIndependence:
    r"""Test mutual independence of events given as boolean masks over equally likely outcomes.

    Checks the product rule of every sub-family,

    .. math:: P\Big(\bigcap_{i\in S} A_i\Big) = \prod_{i\in S} P(A_i) \quad\text{for all } |S| \ge 2,

    :math:`2^k - k - 1` conditions for ``k`` events; pairwise independence checks only the pairs.

    Parameters
    ----------
    masks : array_like of bool, shape (k, n)   row i marks the outcomes in event A_i
    atol : float                                tolerance on each product rule

    Returns
    -------
    MutualIndependence
    """
    masks = _masks(masks)
    atol = check_float(atol, "atol", low=0)
    p = masks.mean(axis=1)
    failing = []
    for r in range(2, masks.shape[0] + 1):
        for S in itertools.combinations(range(masks.shape[0]), r):
            joint = np.logical_and.reduce(masks[list(S)], axis=0).mean()
            if abs(joint - np.prod(p[list(S)])) > atol:
                failing.append(S)
    return MutualIndependence(not failing, tuple(failing))


def circle_overlap_area(r1: float, r2: float, d) -> np.ndarray:
    r"""Area of the intersection (the lens) of two circles with radii ``r1``, ``r2`` at centre distance ``d``.

    For :math:`|r_1 - r_2| < d < r_1 + r_2`,

    .. math:: A = r_1^2 \arccos\frac{d^2 + r_1^2 - r_2^2}{2 d r_1}
              + r_2^2 \arccos\frac{d^2 + r_2^2 - r_1^2}{2 d r_2}
              - \tfrac12\sqrt{(-d + r_1 + r_2)(d + r_1 - r_2)(d - r_1 + r_2)(d + r_1 + r_2)};

    it is :math:`\pi \min(r_1, r_2)^2` when one circle lies inside the other and 0 when they are apart.

    Parameters
    ----------
    r1, r2 : float > 0
    d : array_like of float >= 0, any shape

    Returns
    -------
    ndarray, the shape of ``d``
    """
    r1, r2 = check_float(r1, "r1", low=0, low_open=True), check_float(r2, "r2", low=0, low_open=True)
    d = as_array(d, "d")
    if np.any(d < 0):
        raise ValueError(f"d must be >= 0, got {d.min()}")
    rmin, rmax = min(r1, r2), max(r1, r2)
    out = np.zeros_like(d)
    inside = d <= rmax - rmin
    out[inside] = np.pi * rmin**2
    mid = ~inside & (d < r1 + r2)
    dm = d[mid]
    t1 = r1**2 * np.arccos(np.clip((dm**2 + r1**2 - r2**2) / (2 * dm * r1), -1, 1))
    t2 = r2**2 * np.arccos(np.clip((dm**2 + r2**2 - r1**2) / (2 * dm * r2), -1, 1))
    t3 = 0.5 * np.sqrt(np.clip((-dm + r1 + r2) * (dm + r1 - r2) * (dm - r1 + r2) * (dm + r1 + r2), 0, None))
    out[mid] = t1 + t2 - t3
    return out


@dataclass(frozen=True)
class VennLayout:
    """Two circles of areas P(A) and P(B) whose overlap has area P(A and B): radii and centre distance."""

    r_a: float
    r_b: float
    distance: float


def venn_layout(pa: float, pb: float, pab: float) -> VennLayout:
    r"""Radii :math:`r = \sqrt{P/\pi}` and the centre distance at which the lens has area ``pab``.

    The lens area (:func:`circle_overlap_area`) decreases in the distance, from :math:`\pi\min(r_a, r_b)^2`
    to 0, so the distance is found by interpolating it on a grid of 2001 distances.

    Parameters
    ----------
    pa, pb : float in (0, 1]
    pab : float in [0, min(pa, pb)]

    Returns
    -------
    VennLayout
    """
    pa = check_float(pa, "pa", low=0, high=1, low_open=True)
    pb = check_float(pb, "pb", low=0, high=1, low_open=True)
    pab = check_float(pab, "pab", low=0, high=min(pa, pb))
    r1, r2 = np.sqrt(pa / np.pi), np.sqrt(pb / np.pi)
    grid = np.linspace(0, r1 + r2, 2001)
    areas = circle_overlap_area(r1, r2, grid)
    return VennLayout(float(r1), float(r2), float(np.interp(pab, areas[::-1], grid[::-1])))


# -- Bayes' rule -------------------------------------------------------------------------------------------

def posterior(prior, log_likelihood) -> np.ndarray:
    r"""Posterior over K hypotheses for N observations.

    .. math:: P(h_k \mid x_n) = \frac{p(x_n \mid h_k)\,\pi_k}{\sum_j p(x_n \mid h_j)\,\pi_j}
              = \operatorname{softmax}_k\big(\log p(x_n \mid h_k) + \log \pi_k\big)

    computed in log space (the softmax subtracts the row maximum), so tiny likelihoods do not underflow.

    Parameters
    ----------
    prior : array_like, shape (K,)              non-negative, sums to 1
    log_likelihood : array_like, shape (N, K)   log p(x_n | h_k); -inf for an impossible observation

    Returns
    -------
    ndarray, shape (N, K), rows sum to 1
    """
    prior = as_array(prior, "prior", ndim=1)
    if prior.size == 0 or np.any(prior < 0) or not np.isclose(prior.sum(), 1.0):
        raise ValueError(f"prior must be non-empty, non-negative and sum to 1, got sum {prior.sum():.4g}")
    ll = as_array(log_likelihood, "log_likelihood", ndim=2, finite=False)
    if np.isnan(ll).any() or np.isposinf(ll).any():
        raise ValueError("log_likelihood contains NaN or +inf")
    if ll.shape[1] != prior.size:
        raise ValueError(f"log_likelihood must have {prior.size} columns, got shape {ll.shape}")
    with np.errstate(divide="ignore"):
        z = ll + np.log(prior)
    if np.isneginf(z).all(axis=1).any():
        row = int(np.flatnonzero(np.isneginf(z).all(axis=1))[0])
        raise ValueError(f"row {row} of log_likelihood is -inf for every hypothesis with prior > 0: that "
                         "observation has zero probability under every hypothesis (evidence = 0)")
    return softmax(z, axis=1)


def diagnostic_posterior(prevalence, sensitivity: float, specificity: float, positive: bool = True) -> np.ndarray:
    r"""P(disease | test result) by Bayes' rule, for a test of given sensitivity and specificity.

    With :math:`s = P(+\mid D)`, :math:`c = P(-\mid D^c)` and prevalence :math:`\pi = P(D)`:

    .. math:: P(D\mid +) = \frac{s\pi}{s\pi + (1-c)(1-\pi)}, \qquad
              P(D\mid -) = \frac{(1-s)\pi}{(1-s)\pi + c(1-\pi)}

    Parameters
    ----------
    prevalence : array_like of float in [0, 1], any shape
    sensitivity, specificity : float in [0, 1]
    positive : bool
        True for :math:`P(D\mid +)`, False for :math:`P(D\mid -)`.

    Returns
    -------
    ndarray, the shape of ``prevalence``

    Raises
    ------
    ValueError
        If the result has probability 0 at some prevalence (the posterior is then undefined).
    """
    pi = as_array(prevalence, "prevalence")
    if np.any((pi < 0) | (pi > 1)):
        raise ValueError(f"prevalence must lie in [0, 1], got values in [{pi.min():g}, {pi.max():g}]")
    s = check_float(sensitivity, "sensitivity", low=0, high=1)
    c = check_float(specificity, "specificity", low=0, high=1)
    check_bool(positive, "positive")
    sick, healthy = (s * pi, (1 - c) * (1 - pi)) if positive else ((1 - s) * pi, c * (1 - pi))
    evidence = sick + healthy
    if np.any(evidence == 0):
        raise ValueError(f"P({'+' if positive else '-'}) = 0 at some prevalence: the posterior is undefined")
    return sick / evidence


@dataclass(frozen=True)
class ScreeningResult:
    """A simulated screening: the fraction of the positives who are sick, and the number of positives."""

    p_disease_given_positive: float
    n_positive: int


def simulate_test(n: int, prevalence: float, sensitivity: float, specificity: float, rng=0) -> ScreeningResult:
    """Empirical P(disease | positive) in a simulated population of ``n`` people.

    Each person is sick with probability ``prevalence``; a sick person tests positive with probability
    ``sensitivity``, a healthy one with probability ``1 - specificity``.

    Parameters
    ----------
    n : int >= 1
    prevalence, sensitivity, specificity : float in [0, 1]
    rng : int or numpy.random.Generator

    Returns
    -------
    ScreeningResult

    Raises
    ------
    ValueError
        If nobody tests positive (increase ``n``).
    """
    n = check_int(n, "n", low=1)
    prevalence = check_float(prevalence, "prevalence", low=0, high=1)
    sensitivity = check_float(sensitivity, "sensitivity", low=0, high=1)
    specificity = check_float(specificity, "specificity", low=0, high=1)
    rng = check_random_state(rng)
    sick = rng.random(n) < prevalence
    positive = np.where(sick, rng.random(n) < sensitivity, rng.random(n) > specificity)
    if not positive.any():
        raise ValueError("no positive tests in the simulated population; increase n")
    return ScreeningResult(float(sick[positive].mean()), int(positive.sum()))


# -- the complement rule -----------------------------------------------------------------------------------

def p_at_least_one(p, n) -> np.ndarray:
    r"""P(at least one success in ``n`` independent trials of success probability ``p``), by the complement.

    .. math:: 1 - (1 - p)^n = -\operatorname{expm1}\big(n \operatorname{log1p}(-p)\big)

    The right-hand form keeps full precision when ``p`` is tiny, where :math:`1 - (1-p)^n` loses digits to
    cancellation.

    Parameters
    ----------
    p : array_like of float in [0, 1]
    n : array_like of float >= 0, broadcastable with ``p``

    Returns
    -------
    ndarray, the broadcast shape; 0 where ``n = 0`` (no trial, no success), also at ``p = 1``
    """
    p = as_array(p, "p")
    n = as_array(n, "n")
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"p must lie in [0, 1], got values in [{p.min():g}, {p.max():g}]")
    if np.any(n < 0):
        raise ValueError(f"n must be >= 0, got a minimum of {n.min():g}")
    try:
        np.broadcast_shapes(p.shape, n.shape)
    except ValueError:
        raise ValueError(f"p and n must be broadcastable, got shapes {p.shape} and {n.shape}") from None
    with np.errstate(divide="ignore", invalid="ignore"):
        log_none = n * np.log1p(-p)                   # NaN only for n = 0 at p = 1 (0 * -inf): no trial, 0
    return -np.expm1(np.nan_to_num(log_none, nan=0.0, posinf=np.inf, neginf=-np.inf))


def p_collision(n, days: int = 365) -> np.ndarray:
    r"""P(at least two of ``n`` people share a birthday), birthdays uniform over ``days`` days.

    .. math:: 1 - \prod_{k=0}^{n-1} \frac{\text{days} - k}{\text{days}}

    through a cumulative sum of logs: 0 for :math:`n \le 1`, 1 for :math:`n > \text{days}` (pigeonhole).

    Parameters
    ----------
    n : array_like of int >= 0, any shape (an empty ``n`` gives an empty answer)
    days : int >= 1

    Returns
    -------
    ndarray, the shape of ``n``
    """
    days = check_int(days, "days", low=1)
    n = np.asarray(n)
    if n.size == 0:
        return np.zeros(n.shape)
    if not np.issubdtype(n.dtype, np.integer):
        raise ValueError(f"n must hold non-negative integers, got dtype {n.dtype}")
    if n.min() < 0:
        raise ValueError(f"n must hold non-negative integers, got a minimum of {n.min()}")
    k = np.arange(days)
    log_none = np.concatenate([[0.0], np.cumsum(np.log1p(-k / days))])   # log P(no collision among m)
    return np.where(n > days, 1.0, -np.expm1(log_none[np.minimum(n, days)]))


def simulate_collisions(n: int, days: int, trials: int, rng=0) -> float:
    """Fraction of ``trials`` simulated groups of ``n`` people in which two share a birthday.

    Parameters
    ----------
    n, days, trials : int >= 1
    rng : int or numpy.random.Generator

    Returns
    -------
    float in [0, 1]
    """
    n, days, trials = check_int(n, "n", low=1), check_int(days, "days", low=1), check_int(trials, "trials", low=1)
    b = np.sort(check_random_state(rng).integers(0, days, size=(trials, n)), axis=1)
    return float((np.diff(b, axis=1) == 0).any(axis=1).mean())


# -- moments -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Moments:
    """Mean and variance of a distribution."""

    mean: float
    var: float


def pmf_moments(support, pmf) -> Moments:
    r"""Mean and variance of a discrete distribution.

    .. math:: \mu = \sum_x x\,p(x), \qquad \operatorname{Var} = \sum_x (x - \mu)^2\,p(x)

    The variance is computed centred, never as :math:`E[X^2] - \mu^2` (no cancellation).

    Parameters
    ----------
    support, pmf : array_like, shape (m,)   pmf >= 0 and sums to 1

    Returns
    -------
    Moments
    """
    x, w = as_array(support, "support", ndim=1), as_array(pmf, "pmf", ndim=1)
    if x.shape != w.shape:
        raise ValueError(f"support and pmf must have the same shape, got {x.shape} and {w.shape}")
    if np.any(w < 0) or not np.isclose(w.sum(), 1.0):
        raise ValueError(f"pmf must be non-negative and sum to 1, got sum {w.sum():.6g}")
    m = w @ x
    return Moments(float(m), float(w @ (x - m) ** 2))


def welford_var(x, ddof: int = 0) -> float:
    r"""Streaming variance (Welford): update the mean and the sum of squared deviations one value at a time.

    .. math:: M_k = M_{k-1} + \frac{x_k - M_{k-1}}{k}, \qquad S_k = S_{k-1} + (x_k - M_{k-1})(x_k - M_k),
              \qquad \operatorname{Var} = \frac{S_n}{n - \text{ddof}}

    One pass and constant memory, and no :math:`E[X^2] - \mu^2` cancellation.

    Parameters
    ----------
    x : array_like, shape (n,)
    ddof : int >= 0, with n > ddof

    Returns
    -------
    float
    """
    x = as_array(x, "x", ndim=1)
    ddof = check_int(ddof, "ddof", low=0)
    if x.size <= ddof:
        raise ValueError(f"x must have more than ddof={ddof} values, got {x.size}")
    mean, s = 0.0, 0.0
    for k, v in enumerate(x.tolist(), 1):
        d = v - mean
        mean += d / k
        s += d * (v - mean)
    return s / (x.size - ddof)

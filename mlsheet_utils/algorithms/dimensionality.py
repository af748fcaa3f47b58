r"""The geometry behind the curse of dimensionality: volumes, shells, edge lengths and concentrating distances.

- :func:`ball_volume`          volume of the d-ball of radius r, :math:`\pi^{d/2} r^d / \Gamma(d/2 + 1)`;
- :func:`ball_cube_ratio`      share of the cube :math:`[-1, 1]^d` taken by its inscribed unit ball;
- :func:`shell_fraction`       share of the unit cube (or unit ball) within ``eps`` of its boundary;
- :func:`edge_length`          edge of the sub-cube that holds a given share of uniform data in the unit cube;
- :func:`median_nn_distance`   median distance from the centre of the unit ball to the nearest of ``n``
  uniform points in it;
- :func:`sample_ball`          uniform points in the unit ball;
- :func:`isometric_embedding`  the same points placed in a higher-dimensional space by an orthonormal map;
- :func:`pairwise_distances`   all :math:`n(n-1)/2` distances between rows (condensed, as SciPy's ``pdist``);
- :func:`distance_summary`     mean, spread, extremes and relative contrast of a set of points' pairwise
  distances; returns :class:`DistanceSummary`.

Dimensions ``d`` may be arrays (the closed forms broadcast). The volumes go through ``gammaln``, and can be
returned as logarithms, which stay finite for any ``d``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from mlsheet_utils.algorithms.clustering.kmeans import squared_distances
from mlsheet_utils.validation import as_array, check_int, check_random_state


def _dims(d) -> np.ndarray:
    d = as_array(d, "d")
    if np.any(d < 1) or np.any(d != np.round(d)):
        raise ValueError(f"d must hold integers >= 1, got {d}")
    return d


def _fraction(value, name: str) -> np.ndarray:
    value = as_array(value, name)
    if np.any(value <= 0) or np.any(value > 1):
        raise ValueError(f"{name} must lie in (0, 1], got {value}")
    return value


def ball_volume(d, r=1.0, *, log: bool = False) -> np.ndarray:
    r"""Volume of the ball of radius ``r`` in :math:`\mathbb R^d` (its natural logarithm with ``log=True``).

    .. math:: V_d(r) = \frac{\pi^{d/2}}{\Gamma(d/2 + 1)}\, r^d

    computed as ``exp(d/2 log(pi) + d log(r) - gammaln(d/2 + 1))``. It peaks at ``d = 5`` for ``r = 1`` and
    falls faster than any exponential afterwards; the volume underflows to 0 for ``d`` in the hundreds, its
    logarithm never does.

    Parameters
    ----------
    d : int or array_like of int >= 1
    r : float or array_like, > 0
    log : bool
        Return :math:`\ln V_d(r)`.

    Returns
    -------
    ndarray, the broadcast shape of ``d`` and ``r``
    """
    d = _dims(d)
    r = as_array(r, "r")
    if np.any(r <= 0):
        raise ValueError(f"r must be positive, got {r}")
    log_volume = d / 2 * np.log(np.pi) + d * np.log(r) - gammaln(d / 2 + 1)
    return log_volume if log else np.exp(log_volume)


def ball_cube_ratio(d, *, log: bool = False) -> np.ndarray:
    r"""Share of the cube :math:`[-1, 1]^d` inside the unit ball it encloses, :math:`V_d(1) / 2^d` (its natural
    logarithm with ``log=True``).

    It is 1 for ``d = 1``, :math:`\pi/4` for ``d = 2`` and tends to 0: almost all of a high-dimensional cube
    lies in its corners, farther than 1 from the centre.
    """
    d = _dims(d)
    log_ratio = d / 2 * np.log(np.pi) - gammaln(d / 2 + 1) - d * np.log(2.0)
    return log_ratio if log else np.exp(log_ratio)


def shell_fraction(d, eps, shape: str = "cube") -> np.ndarray:
    r"""Share of the volume within ``eps`` of the boundary.

    - ``"cube"``: the unit cube :math:`[0, 1]^d` minus the inner cube of side :math:`1 - 2\varepsilon`,
      :math:`1 - (1 - 2\varepsilon)^d`, for :math:`0 \le \varepsilon \le 1/2`;
    - ``"ball"``: the unit ball minus the ball of radius :math:`1 - \varepsilon`,
      :math:`1 - (1 - \varepsilon)^d`, for :math:`0 \le \varepsilon \le 1`.

    Both tend to 1 as ``d`` grows for any fixed :math:`\varepsilon > 0`: the volume moves to the surface.
    """
    d = _dims(d)
    if shape not in ("cube", "ball"):
        raise ValueError(f"shape must be 'cube' or 'ball', got {shape!r}")
    eps = as_array(eps, "eps")
    high = 0.5 if shape == "cube" else 1.0
    if np.any(eps < 0) or np.any(eps > high):
        raise ValueError(f"eps must lie in [0, {high}] for the {shape}, got {eps}")
    inner = 1.0 - 2.0 * eps if shape == "cube" else 1.0 - eps
    return 1.0 - inner ** d


def edge_length(fraction, d) -> np.ndarray:
    """Edge of the cube inside :math:`[0, 1]^d` that holds a share ``fraction`` of uniform data.

    .. math:: e_d(r) = r^{1/d}

    A neighbourhood that holds 1% of the data has edge 0.01 in one dimension, 0.63 in ten and 0.95 in a
    hundred: "local" stops being local.
    """
    fraction = _fraction(fraction, "fraction")
    d = _dims(d)
    return fraction ** (1.0 / d)


def median_nn_distance(n, d) -> np.ndarray:
    r"""Median distance from the centre of the unit ball to the nearest of ``n`` uniform points in the ball.

    A uniform point has :math:`P(\lVert x\rVert \le r) = r^d`, so the nearest of ``n`` independent ones is
    farther than ``r`` with probability :math:`(1 - r^d)^n`; setting that to 1/2 gives

    .. math:: m(n, d) = \left(1 - 2^{-1/n}\right)^{1/d}.

    Parameters
    ----------
    n : int or array_like of int >= 1
    d : int or array_like of int >= 1
    """
    n = as_array(n, "n")
    if np.any(n < 1) or np.any(n != np.round(n)):
        raise ValueError(f"n must hold integers >= 1, got {n}")
    d = _dims(d)
    return (-np.expm1(-np.log(2.0) / n)) ** (1.0 / d)


def sample_ball(n: int, d: int, rng=0) -> np.ndarray:
    r"""``n`` points drawn uniformly from the unit ball in :math:`\mathbb R^d`, shape (n, d).

    A standard normal vector gives a uniform direction; the radius :math:`U^{1/d}` has the ball's radial law
    :math:`P(R \le r) = r^d`.
    """
    n = check_int(n, "n", low=1)
    d = check_int(d, "d", low=1)
    rng = check_random_state(rng)
    z = rng.standard_normal((n, d))
    radius = rng.random(n) ** (1.0 / d)
    return z / np.linalg.norm(z, axis=1, keepdims=True) * radius[:, None]


def isometric_embedding(X, d: int, rng=0) -> np.ndarray:
    r"""Place the rows of ``X`` (n, p) in :math:`\mathbb R^d`, ``d >= p``, by a random map with orthonormal rows.

    :math:`x \mapsto x A` with :math:`A A^\top = I_p` keeps every distance: the points keep their
    intrinsic dimension ``p`` whatever ``d`` is. ``A`` is the transposed Q factor of a Gaussian (d, p)
    matrix.

    Returns
    -------
    ndarray, shape (n, d)
    """
    X = as_array(X, "X", ndim=2)
    d = check_int(d, "d", low=X.shape[1])
    rng = check_random_state(rng)
    q, _ = np.linalg.qr(rng.standard_normal((d, X.shape[1])))
    return X @ q.T


def pairwise_distances(X) -> np.ndarray:
    r"""The Euclidean distances between all pairs of rows, ``i < j`` in row-major order (SciPy's ``pdist``).

    Squared distances come from one matrix product (:math:`\lVert x\rVert^2 - 2x^\top y + \lVert y
    \rVert^2`), clipped at zero against round-off.

    Parameters
    ----------
    X : array_like, shape (n, d), n >= 2

    Returns
    -------
    ndarray, shape (n (n - 1) / 2,)
    """
    X = as_array(X, "X", ndim=2)
    if X.shape[0] < 2:
        raise ValueError(f"X needs at least 2 rows, got {X.shape[0]}")
    i, j = np.triu_indices(X.shape[0], k=1)
    return np.sqrt(squared_distances(X, X)[i, j])


@dataclass(frozen=True)
class DistanceSummary:
    r"""How spread out the pairwise distances of a point set are.

    Attributes
    ----------
    mean, std : float
        Mean and (population) standard deviation of the distances.
    min, max : float
        The nearest and the farthest pair.
    contrast : float
        The relative contrast :math:`(D_{\max} - D_{\min}) / D_{\min}`; it tends to 0 when distances
        concentrate.
    """

    mean: float
    std: float
    min: float
    max: float
    contrast: float


def distance_summary(X) -> DistanceSummary:
    """Summarise the pairwise distances of the rows of ``X`` (n, d); see :class:`DistanceSummary`.

    Raises ``ValueError`` when two rows coincide (the relative contrast is then infinite).
    """
    dist = pairwise_distances(X)
    lo, hi = float(dist.min()), float(dist.max())
    if lo == 0:
        raise ValueError("X has two identical rows: the relative contrast is infinite")
    return DistanceSummary(float(dist.mean()), float(dist.std()), lo, hi, (hi - lo) / lo)

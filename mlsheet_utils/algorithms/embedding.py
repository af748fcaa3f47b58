r"""t-SNE, exact: :func:`conditional_probabilities` (a binary search for each point's Gaussian width that
matches the perplexity), :func:`joint_probabilities` (the symmetrised :math:`P`), :func:`student_t_affinities`
(the heavy-tailed :math:`Q`), :func:`kl_divergence` and its gradient :func:`kl_gradient`, the optimiser
:func:`tsne_optimize` (early exaggeration, momentum, per-coordinate gains) and the estimator :class:`TSNE`.

Notation: :math:`n` points :math:`x_i \in \mathbb{R}^d` are embedded as :math:`y_i \in \mathbb{R}^k`
(usually :math:`k = 2`); :math:`P` and :math:`Q` are :math:`n \times n` with a zero diagonal and sum to one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

#: The floor applied to probabilities before a logarithm (as scikit-learn does).
EPS = np.finfo(np.float64).eps


def squared_euclidean(X: np.ndarray) -> np.ndarray:
    """All squared distances between the rows of ``X`` (n, d): ``D[i, j] = ||x_i - x_j||^2``, shape (n, n).

    Uses ``||x||^2 + ||x'||^2 - 2 x.x'``, clipped at zero, with an exact zero diagonal.
    """
    X = as_array(X, "X", ndim=2)
    sq = (X * X).sum(1)
    D = np.maximum(sq[:, None] + sq[None, :] - 2.0 * X @ X.T, 0.0)
    np.fill_diagonal(D, 0.0)
    return D


@dataclass(frozen=True)
class Conditionals:
    r"""Output of :func:`conditional_probabilities`.

    Attributes
    ----------
    P : ndarray, shape (n, n)
        Row :math:`i` is :math:`p_{j|i}`; each row sums to one, the diagonal is zero.
    beta : ndarray, shape (n,)
        The precisions :math:`\beta_i = 1 / (2\sigma_i^2)` found by the search.
    entropy : ndarray, shape (n,)
        :math:`H(P_i)` in nats; :math:`e^{H(P_i)}` is the perplexity reached.
    """

    P: np.ndarray
    beta: np.ndarray
    entropy: np.ndarray

    @property
    def sigma(self) -> np.ndarray:
        r"""The Gaussian widths :math:`\sigma_i = (2\beta_i)^{-1/2}`, shape (n,)."""
        return 1.0 / np.sqrt(2.0 * self.beta)


def _rows(D2: np.ndarray, beta: np.ndarray):
    """Conditional rows for precisions ``beta``: ``P`` (m, n) normalised, entropies (m,) in nats."""
    P = np.exp(-D2 * beta[:, None])
    P[D2 < 0] = 0.0                                   # the diagonal, flagged by the caller with -1
    s = P.sum(1)
    s = np.where(s == 0.0, 1e-8, s)
    P /= s[:, None]
    H = np.log(s) + beta * (np.where(D2 < 0, 0.0, D2) * P).sum(1)
    return P, H


def conditional_probabilities(D2, perplexity: float, *, tol: float = 1e-5, max_steps: int = 100) -> Conditionals:
    r"""Gaussian conditionals whose perplexity matches ``perplexity``, by bisection on each precision.

    .. math::
        p_{j|i} = \frac{\exp(-\beta_i \lVert x_i - x_j\rVert^2)}{\sum_{k \ne i}
        \exp(-\beta_i \lVert x_i - x_k\rVert^2)}, \qquad
        H(P_i) = -\sum_j p_{j|i} \log p_{j|i} = \log \mathrm{Perp},

    with :math:`\beta_i = 1/(2\sigma_i^2)`. :math:`H` falls as :math:`\beta_i` grows, so each row starts at
    :math:`\beta_i = 1`, doubles or halves it until the target is bracketed, then bisects, stopping when
    :math:`|H - \log \mathrm{Perp}| \le` ``tol`` or after ``max_steps`` steps (scikit-learn's rule, done on
    all rows at once).

    Parameters
    ----------
    D2 : array_like, shape (n, n)
        Squared distances (symmetric, non-negative; the diagonal is ignored).
    perplexity : float, 1 <= perplexity < n
    tol : float > 0, tolerance on the entropy in nats
    max_steps : int >= 1

    Returns
    -------
    Conditionals
    """
    D2 = as_array(D2, "D2", ndim=2)
    n = D2.shape[0]
    if D2.shape != (n, n) or n < 2:
        raise ValueError(f"D2 must be a square matrix of at least 2 x 2, got shape {D2.shape}")
    if np.any(D2 < 0):
        raise ValueError("D2 must hold squared distances, which are >= 0; found a negative entry")
    perplexity = check_float(perplexity, "perplexity", low=1.0)
    if perplexity >= n:
        raise ValueError(f"perplexity must be below the number of points n = {n}, got {perplexity}")
    tol = check_float(tol, "tol", low=0.0, low_open=True)
    max_steps = check_int(max_steps, "max_steps", low=1)
    return _conditionals(D2, perplexity, tol, max_steps)


def _conditionals(D2: np.ndarray, perplexity: float, tol: float, max_steps: int) -> Conditionals:
    n = D2.shape[0]
    D = D2.copy()
    np.fill_diagonal(D, -1.0)                         # marks the diagonal for _rows
    target = np.log(perplexity)
    beta, lo, hi = np.ones(n), np.full(n, -np.inf), np.full(n, np.inf)
    P, H = np.zeros((n, n)), np.zeros(n)
    todo = np.arange(n)
    for _ in range(max_steps):
        P[todo], H[todo] = _rows(D[todo], beta[todo])
        diff = H[todo] - target
        keep = np.abs(diff) > tol
        todo, diff = todo[keep], diff[keep]
        if todo.size == 0:
            break
        up = diff > 0                                 # entropy too high: narrower Gaussian, larger beta
        b, l, h = beta[todo], lo[todo], hi[todo]
        l = np.where(up, b, l)
        h = np.where(up, h, b)
        b = np.where(up, np.where(np.isinf(h), b * 2.0, (b + h) / 2.0),
                     np.where(np.isinf(l), b / 2.0, (b + l) / 2.0))
        beta[todo], lo[todo], hi[todo] = b, l, h
    return Conditionals(P=P, beta=beta, entropy=H)


def joint_probabilities(X, perplexity: float = 30.0) -> np.ndarray:
    r"""The symmetric input affinities of t-SNE, shape (n, n).

    .. math::
        p_{ij} = \frac{p_{j|i} + p_{i|j}}{2n}, \qquad \sum_{i \ne j} p_{ij} = 1,
        \qquad \sum_j p_{ij} \ge \frac{1}{2n},

    with :math:`p_{j|i}` from :func:`conditional_probabilities` on the squared Euclidean distances of ``X``.
    Off-diagonal entries are floored at machine epsilon (as in scikit-learn); the diagonal is zero.

    Parameters
    ----------
    X : array_like, shape (n, d)
    perplexity : float, 1 <= perplexity < n

    Returns
    -------
    ndarray, shape (n, n)
    """
    X = as_array(X, "X", ndim=2)
    if X.shape[0] < 2:
        raise ValueError(f"X needs at least 2 rows, got {X.shape[0]}")
    perplexity = check_float(perplexity, "perplexity", low=1.0)
    if perplexity >= X.shape[0]:
        raise ValueError(f"perplexity must be below the number of points n = {X.shape[0]}, got {perplexity}")
    return _joint(_conditionals(squared_euclidean(X), perplexity, 1e-5, 100).P)


def _joint(Pc: np.ndarray) -> np.ndarray:
    P = Pc + Pc.T
    P = np.maximum(P / max(P.sum(), EPS), EPS)
    np.fill_diagonal(P, 0.0)
    return P


def _student_t(Y: np.ndarray):
    """Kernel ``W = (1 + ||y_i - y_j||^2)^-1`` (zero diagonal) and ``Q = max(W / sum W, eps)``."""
    W = 1.0 / (1.0 + squared_euclidean(Y))
    np.fill_diagonal(W, 0.0)
    Q = np.maximum(W / W.sum(), EPS)
    np.fill_diagonal(Q, 0.0)
    return W, Q


def student_t_affinities(Y) -> np.ndarray:
    r"""The output affinities of t-SNE, a Student-t (Cauchy) kernel, shape (n, n).

    .. math::
        q_{ij} = \frac{(1 + \lVert y_i - y_j\rVert^2)^{-1}}{\sum_{k \ne l} (1 + \lVert y_k - y_l\rVert^2)^{-1}}

    Parameters
    ----------
    Y : array_like, shape (n, k), n >= 2

    Returns
    -------
    ndarray, shape (n, n), zero diagonal, summing to one (entries floored at machine epsilon)
    """
    Y = as_array(Y, "Y", ndim=2)
    if Y.shape[0] < 2:
        raise ValueError(f"Y needs at least 2 rows, got {Y.shape[0]}")
    return _student_t(Y)[1]


def _check_pair(P, Y):
    P = as_array(P, "P", ndim=2)
    Y = as_array(Y, "Y", ndim=2)
    n = Y.shape[0]
    if P.shape != (n, n):
        raise ValueError(f"P must have shape ({n}, {n}) to match Y, got {P.shape}")
    if np.any(P < 0):
        raise ValueError("P must be non-negative")
    return P, Y


def _kl(P: np.ndarray, Q: np.ndarray) -> float:
    Qd = Q.copy()
    np.fill_diagonal(Qd, 1.0)                         # the diagonal is left out of the sum below
    T = P * np.log(np.maximum(P, EPS) / Qd)
    return float(T.sum() - np.trace(T))


def _grad(P: np.ndarray, Y: np.ndarray, W: np.ndarray, Q: np.ndarray) -> np.ndarray:
    M = (P - Q) * W
    return 4.0 * (M.sum(1)[:, None] * Y - M @ Y)


def kl_divergence(P, Y) -> float:
    r"""The t-SNE objective :math:`C = KL(P \| Q) = \sum_{i \ne j} p_{ij} \log (p_{ij} / q_{ij})`.

    Parameters
    ----------
    P : array_like, shape (n, n), joint input affinities (:func:`joint_probabilities`)
    Y : array_like, shape (n, k), the embedding

    Returns
    -------
    float, in nats
    """
    P, Y = _check_pair(P, Y)
    return _kl(P, _student_t(Y)[1])


def kl_gradient(P, Y) -> np.ndarray:
    r"""Gradient of :func:`kl_divergence` with respect to the embedding, shape (n, k).

    .. math::
        \frac{\partial C}{\partial y_i} = 4 \sum_j (p_{ij} - q_{ij})\,(y_i - y_j)\,
        (1 + \lVert y_i - y_j\rVert^2)^{-1}

    Parameters
    ----------
    P : array_like, shape (n, n)
    Y : array_like, shape (n, k)

    Returns
    -------
    ndarray, shape (n, k)
    """
    P, Y = _check_pair(P, Y)
    W, Q = _student_t(Y)
    return _grad(P, Y, W, Q)


@dataclass(frozen=True)
class TSNERun:
    r"""Output of :func:`tsne_optimize`.

    Attributes
    ----------
    embedding : ndarray, shape (n, k), the final :math:`Y`
    kl : float, :math:`KL(P \| Q)` of the final embedding (with the true, unexaggerated :math:`P`)
    snapshots : ndarray, shape (s, n, k), :math:`Y` after the iterations in ``snapshot_iters``
    snapshot_iters : ndarray, shape (s,), int
    kl_history : ndarray, shape (s,), the KL of each snapshot
    """

    embedding: np.ndarray
    kl: float
    snapshots: np.ndarray
    snapshot_iters: np.ndarray
    kl_history: np.ndarray


def tsne_optimize(P, Y0, *, n_iter: int = 1000, learning_rate: float = 200.0, early_exaggeration: float = 12.0,
                  exaggeration_iter: int = 250, momentum: tuple[float, float] = (0.5, 0.8), min_gain: float = 0.01,
                  record_every: int = 0) -> TSNERun:
    r"""Gradient descent on :func:`kl_divergence`, in two stages as in scikit-learn's exact t-SNE.

    Every step, with :math:`g` the gradient for the current (possibly exaggerated) :math:`P`:

    .. math::
        \text{gain} \leftarrow \begin{cases}\text{gain} + 0.2 & \text{if } \operatorname{sign} g \ne
        \operatorname{sign} u \\ 0.8\,\text{gain} & \text{otherwise}\end{cases}, \quad
        u \leftarrow \mu\,u - \eta\,\max(\text{gain}, \text{min\_gain})\,g, \quad Y \leftarrow Y + u.

    Stage 1 (``exaggeration_iter`` steps) uses :math:`\alpha P` with :math:`\alpha` = ``early_exaggeration``
    and momentum ``momentum[0]``; stage 2 the true :math:`P` and ``momentum[1]``. The update :math:`u` and the
    gains restart at the stage change. Every step is taken (no early stop).

    Parameters
    ----------
    P : array_like, shape (n, n), joint affinities summing to one
    Y0 : array_like, shape (n, k), the starting embedding
    n_iter : int >= 0, total steps of both stages
    learning_rate : float > 0
    early_exaggeration : float >= 1
    exaggeration_iter : int >= 0
    momentum : (float, float) in [0, 1)
    min_gain : float > 0
    record_every : int >= 0
        Keep :math:`Y` and its KL at step 0, after every ``record_every`` steps and at the end; 0 keeps the end
        only.

    Returns
    -------
    TSNERun
    """
    Y0 = as_array(Y0, "Y0", ndim=2)
    if np.shape(P) != (Y0.shape[0], Y0.shape[0]):
        raise ValueError(f"P must have shape ({Y0.shape[0]}, {Y0.shape[0]}) to match Y0, got {np.shape(P)}")
    P, Y = _check_pair(P, Y0)
    if not np.isclose(P.sum(), 1.0, rtol=0.0, atol=1e-6):
        raise ValueError(f"P must sum to one (joint affinities), got a sum of {P.sum():.6g}")
    n_iter = check_int(n_iter, "n_iter", low=0)
    learning_rate = check_float(learning_rate, "learning_rate", low=0.0, low_open=True)
    early_exaggeration = check_float(early_exaggeration, "early_exaggeration", low=1.0)
    exaggeration_iter = check_int(exaggeration_iter, "exaggeration_iter", low=0)
    if isinstance(momentum, str) or not hasattr(momentum, "__len__"):
        raise ValueError(f"momentum must be a pair (stage 1, stage 2), got {momentum!r}")
    if len(momentum) != 2:
        raise ValueError(f"momentum must be a pair (stage 1, stage 2), got {momentum!r}")
    mom = [check_float(m, "momentum", low=0.0, high=1.0, high_open=True) for m in momentum]
    min_gain = check_float(min_gain, "min_gain", low=0.0, low_open=True)
    record_every = check_int(record_every, "record_every", low=0)
    return _optimize(P, Y.copy(), n_iter, learning_rate, early_exaggeration, exaggeration_iter, mom, min_gain,
                     record_every)


def _optimize(P, Y, n_iter, learning_rate, alpha, n_exag, mom, min_gain, record_every) -> TSNERun:
    update, gains = np.zeros_like(Y), np.ones_like(Y)
    P_exag = alpha * P
    snaps, snap_iters = ([Y.copy()], [0]) if record_every else ([], [])
    for it in range(n_iter):
        stage1 = it < n_exag
        if it == n_exag and it > 0:                   # the stage change restarts the update and the gains
            update, gains = np.zeros_like(Y), np.ones_like(Y)
        W, Q = _student_t(Y)
        g = _grad(P_exag if stage1 else P, Y, W, Q)
        inc = update * g < 0.0
        gains = np.where(inc, gains + 0.2, gains * 0.8)
        np.clip(gains, min_gain, np.inf, out=gains)
        update = (mom[0] if stage1 else mom[1]) * update - learning_rate * (gains * g)
        Y = Y + update
        if record_every and (it + 1) % record_every == 0 and it + 1 < n_iter:
            snaps.append(Y.copy())
            snap_iters.append(it + 1)
    if not snap_iters or snap_iters[-1] != n_iter:
        snaps.append(Y.copy())
        snap_iters.append(n_iter)
    kl = np.array([_kl(P, _student_t(Z)[1]) for Z in snaps])
    return TSNERun(embedding=Y, kl=float(kl[-1]), snapshots=np.array(snaps), snapshot_iters=np.array(snap_iters),
                   kl_history=kl)


@dataclass
class TSNE:
    r"""Exact t-SNE in scikit-learn's shape: ``TSNE(perplexity=30).fit(X).embedding_``.

    ``fit`` builds :math:`P` with :func:`joint_probabilities`, starts from
    :math:`y_i \sim \mathcal{N}(0, 10^{-8} I)` drawn with ``rng`` (or from ``init``), and runs
    :func:`tsne_optimize`. ``learning_rate="auto"`` is :math:`\max(n / (4\alpha), 50)` (scikit-learn's rule).

    Parameters
    ----------
    n_components : int >= 1
    perplexity : float, 1 <= perplexity < n
    n_iter : int >= 0
    learning_rate : float > 0 or "auto"
    early_exaggeration : float >= 1
    exaggeration_iter : int >= 0
    rng : int or numpy.random.Generator
    record_every : int >= 0, see :func:`tsne_optimize`

    Attributes
    ----------
    embedding_ : ndarray, shape (n, n_components)
    kl_divergence_ : float
    P_ : ndarray, shape (n, n)
    run_ : TSNERun
    """

    n_components: int = 2
    perplexity: float = 30.0
    n_iter: int = 1000
    learning_rate: float | str = "auto"
    early_exaggeration: float = 12.0
    exaggeration_iter: int = 250
    rng: int | np.random.Generator = 0
    record_every: int = 0

    def __post_init__(self):
        check_int(self.n_components, "n_components", low=1)
        check_float(self.perplexity, "perplexity", low=1.0)
        check_int(self.n_iter, "n_iter", low=0)
        if not (isinstance(self.learning_rate, str) and self.learning_rate == "auto"):
            check_float(self.learning_rate, "learning_rate", low=0.0, low_open=True)
        check_float(self.early_exaggeration, "early_exaggeration", low=1.0)
        check_int(self.exaggeration_iter, "exaggeration_iter", low=0)
        check_random_state(self.rng)
        check_int(self.record_every, "record_every", low=0)

    def fit(self, X, y=None, init=None) -> "TSNE":
        """Embed ``X`` (n, d); ``init`` (n, n_components) replaces the random start. Returns ``self``."""
        X = as_array(X, "X", ndim=2)
        k = check_int(self.n_components, "n_components", low=1)
        n = X.shape[0]
        if self.learning_rate == "auto":
            lr = max(n / self.early_exaggeration / 4.0, 50.0)
        else:
            lr = self.learning_rate
        self.P_ = joint_probabilities(X, self.perplexity)
        if init is None:
            Y0 = 1e-4 * check_random_state(self.rng).standard_normal((n, k))
        else:
            Y0 = as_array(init, "init", ndim=2)
            if Y0.shape != (n, k):
                raise ValueError(f"init must have shape ({n}, {k}), got {Y0.shape}")
        self.run_ = tsne_optimize(self.P_, Y0, n_iter=self.n_iter, learning_rate=lr,
                                  early_exaggeration=self.early_exaggeration,
                                  exaggeration_iter=self.exaggeration_iter, record_every=self.record_every)
        self.embedding_, self.kl_divergence_ = self.run_.embedding, self.run_.kl
        return self

    def fit_transform(self, X, y=None, init=None) -> np.ndarray:
        """``fit(X)`` and return the embedding, shape (n, n_components)."""
        return self.fit(X, y, init).embedding_

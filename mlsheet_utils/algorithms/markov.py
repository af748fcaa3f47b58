r"""Finite Markov chains and hidden Markov models with categorical emissions.

Markov chains (a row-stochastic matrix ``P[i, j] = P(X_{t+1} = j | X_t = i)``):

- :func:`check_transition_matrix`  validate a square row-stochastic matrix;
- :func:`distribution_path`       the distributions :math:`p_0 P^t` for t = 0..n;
- :func:`stationary_power`        the stationary distribution by power iteration;
- :func:`stationary_solve`        the stationary distribution by one linear solve;
- :func:`simulate_chain`          one sampled trajectory;
- :func:`return_times`            the gaps between successive visits of a state in a trajectory;
- :func:`mean_hitting_times`      expected steps to reach a target state, by a linear solve;
- :func:`detailed_balance_gap`    the largest violation of :math:`\pi_i P_{ij} = \pi_j P_{ji}`;
- :func:`google_matrix`, :func:`pagerank`  PageRank as the stationary law of a damped random surfer.

Hidden Markov models (start ``pi[k]``, transitions ``A[k, l]``, emissions ``B[k, v] = P(x = v | z = k)``):

- :func:`forward`           the scaled forward pass and the log-likelihood;
- :func:`backward`          the scaled backward pass;
- :func:`posterior`         the marginals :math:`P(z_t = k \mid x_{1:T})`;
- :func:`viterbi`           the most probable hidden path, in log space;
- :func:`baum_welch`        EM for the three parameter tables;
- :func:`enumerate_paths`   brute force over all :math:`K^T` hidden paths (a reference for short sequences);
- :func:`sample_hmm`        one sampled hidden path and its observations;
- :class:`CategoricalHMM`   the pieces above as an estimator (``fit``, ``score``, ``predict``, ``predict_proba``).
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass

import numpy as np

from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

# ----------------------------------------------------------------------------------------------- Markov chains


def check_transition_matrix(P, name: str = "P") -> np.ndarray:
    """Return ``P`` as a float array after checking it is square, non-negative, with rows summing to 1.

    Parameters
    ----------
    P : array_like, shape (k, k)
    name : str
        The argument's name in the error message.

    Returns
    -------
    numpy.ndarray, shape (k, k)
    """
    P = as_array(P, name, ndim=2)
    if P.shape[0] != P.shape[1] or P.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix, got shape {P.shape}")
    if (P < 0).any():
        raise ValueError(f"{name} has negative entries (smallest {P.min():.3g})")
    rows = P.sum(axis=1)
    if not np.allclose(rows, 1.0, atol=1e-9):
        raise ValueError(f"every row of {name} must sum to 1, got row sums {np.round(rows, 6).tolist()}")
    return P


def _check_distribution(p, name: str, k: int, like: str = "P") -> np.ndarray:
    """``p`` as a probability vector over the ``k`` states of the matrix argument ``like``."""
    p = as_array(p, name, ndim=1)
    if p.shape != (k,):
        raise ValueError(f"{name} must have length {k} like {like} ({k} states), got length {p.size}")
    if (p < 0).any() or not np.isclose(p.sum(), 1.0, atol=1e-9):
        raise ValueError(f"{name} must be a probability vector of length {k}, got {np.round(p, 6).tolist()}")
    return p


def distribution_path(P, p0, n_steps: int) -> np.ndarray:
    r"""Distributions of :math:`X_0, \dots, X_n`: :math:`p_t = p_{t-1} P = p_0 P^t`.

    Parameters
    ----------
    P : array_like, shape (k, k)
        Row-stochastic transition matrix.
    p0 : array_like, shape (k,)
        Distribution of the start state.
    n_steps : int
        Number of steps n >= 0.

    Returns
    -------
    numpy.ndarray, shape (n + 1, k)
        Row t is the distribution after t steps.
    """
    P = check_transition_matrix(P)
    p = _check_distribution(p0, "p0", P.shape[0])
    n_steps = check_int(n_steps, "n_steps", low=0)
    out = np.empty((n_steps + 1, P.shape[0]))
    out[0] = p
    for t in range(1, n_steps + 1):
        out[t] = out[t - 1] @ P          # a row vector times P: one step forward
    return out


@dataclass(frozen=True)
class StationaryResult:
    """Power iteration's answer: ``pi`` (shape (k,)), the steps taken and whether the change fell below ``tol``."""

    pi: np.ndarray
    n_iter: int
    converged: bool


def stationary_power(P, p0=None, tol: float = 1e-12, max_iter: int = 100_000) -> StationaryResult:
    r"""Stationary distribution :math:`\pi = \pi P` by power iteration :math:`p \leftarrow p P`.

    Stops when :math:`\lVert pP - p\rVert_1 < \mathrm{tol}`. The error shrinks like :math:`|\lambda_2|^t`
    (the second-largest eigenvalue modulus), so a periodic chain (:math:`|\lambda_2| = 1`) never converges and
    a reducible one converges to a limit that depends on ``p0``.

    Parameters
    ----------
    P : array_like, shape (k, k)
    p0 : array_like, shape (k,), optional
        Start distribution (uniform by default).
    tol : float >= 0
    max_iter : int >= 1

    Returns
    -------
    StationaryResult
    """
    P = check_transition_matrix(P)
    k = P.shape[0]
    p = np.full(k, 1.0 / k) if p0 is None else _check_distribution(p0, "p0", k)
    tol = check_float(tol, "tol", low=0.0)
    max_iter = check_int(max_iter, "max_iter", low=1)
    for it in range(1, max_iter + 1):
        nxt = p @ P
        if np.abs(nxt - p).sum() < tol:
            return StationaryResult(nxt, it, True)
        p = nxt
    return StationaryResult(p, max_iter, False)


def stationary_solve(P) -> np.ndarray:
    r"""Stationary distribution from the linear system :math:`\pi (P - I) = 0`, :math:`\sum_i \pi_i = 1`.

    One equation of :math:`(P - I)^\top \pi^\top = 0` is redundant; it is replaced by the normalisation. The
    solution is unique exactly when the chain has one closed communicating class (otherwise the matrix is
    singular and ``numpy.linalg.LinAlgError`` is raised).

    Parameters
    ----------
    P : array_like, shape (k, k)

    Returns
    -------
    numpy.ndarray, shape (k,)
    """
    P = check_transition_matrix(P)
    k = P.shape[0]
    M = P.T - np.eye(k)
    M[-1] = 1.0                          # replace the last balance equation by sum(pi) = 1
    rhs = np.zeros(k)
    rhs[-1] = 1.0
    return np.linalg.solve(M, rhs)


def simulate_chain(P, n_steps: int, x0: int = 0, rng=0) -> np.ndarray:
    r"""Sample :math:`X_0 = x_0, X_1, \dots, X_n` by inverting each row's cumulative distribution.

    Parameters
    ----------
    P : array_like, shape (k, k)
    n_steps : int
    x0 : int
        Start state.
    rng : int or numpy.random.Generator

    Returns
    -------
    numpy.ndarray of int, shape (n_steps + 1,)
    """
    P = check_transition_matrix(P)
    n_steps = check_int(n_steps, "n_steps", low=0)
    x0 = check_int(x0, "x0", low=0, high=P.shape[0] - 1)
    rng = check_random_state(rng)
    cdf = np.cumsum(P, axis=1)
    cdf[:, -1] = 1.0                     # guard against rows summing to 1 - eps
    rows = cdf.tolist()                  # plain lists: bisect on a short list beats a NumPy call per step
    states = [x0]
    s = x0
    for u in rng.random(n_steps).tolist():
        s = bisect.bisect_right(rows[s], u)      # first j with u < F_s(j): a draw from row s
        states.append(s)
    return np.array(states, dtype=int)


def return_times(states, state: int) -> np.ndarray:
    """Gaps between successive visits of ``state`` in a trajectory (shape (visits - 1,)).

    Parameters
    ----------
    states : array_like of int, shape (n,)
        A non-empty trajectory of states ``0, 1, 2, ...`` (as :func:`simulate_chain` returns).
    state : int >= 0

    Returns
    -------
    numpy.ndarray of int, shape (visits - 1,)
        Empty when ``state`` occurs at most once.
    """
    x = as_array(states, "states", ndim=1)
    if np.any(x != np.round(x)) or x.min() < 0:
        raise ValueError(f"states must hold non-negative integer states, got {x.tolist()!r:.80}")
    state = check_int(state, "state", low=0)
    visits = np.flatnonzero(x == state)
    return np.diff(visits)


def mean_hitting_times(P, target: int) -> np.ndarray:
    r"""Expected steps to first reach ``target`` from each state.

    First-step analysis: :math:`h_i = 1 + \sum_{j} P_{ij} h_j` for :math:`i \ne \mathrm{target}`,
    :math:`h_{\mathrm{target}} = 0`.

    Solved as one linear system over the other states. The mean *return* time of ``target`` is
    :math:`1 + \sum_j P_{\mathrm{target}, j} h_j`, which equals :math:`1/\pi_{\mathrm{target}}` (Kac).

    Parameters
    ----------
    P : array_like, shape (k, k)
    target : int

    Returns
    -------
    numpy.ndarray, shape (k,)
        ``h[target] = 0``.
    """
    P = check_transition_matrix(P)
    k = P.shape[0]
    target = check_int(target, "target", low=0, high=k - 1)
    rest = np.arange(k) != target
    Q = P[np.ix_(rest, rest)]
    h = np.zeros(k)
    h[rest] = np.linalg.solve(np.eye(k - 1) - Q, np.ones(k - 1))
    return h


def detailed_balance_gap(P, pi) -> float:
    r"""Largest :math:`|\pi_i P_{ij} - \pi_j P_{ji}|`.

    Zero exactly when the chain is reversible with respect to ``pi``.
    """
    P = check_transition_matrix(P)
    pi = _check_distribution(pi, "pi", P.shape[0])
    flow = pi[:, None] * P               # flow[i, j] = probability mass moving i -> j per step
    return float(np.abs(flow - flow.T).max())


def google_matrix(adjacency, damping: float = 0.85) -> np.ndarray:
    r"""The random surfer's transition matrix :math:`G = d\,S + (1 - d)\,\mathbf{1}\mathbf{1}^\top / n`.

    ``S`` follows a uniformly chosen out-link (row-normalised ``adjacency``); a page with no out-links
    (dangling) jumps uniformly. With :math:`d < 1` every entry of ``G`` is positive, so the chain is
    irreducible and aperiodic and its stationary distribution (the PageRank) is unique.

    Parameters
    ----------
    adjacency : array_like, shape (n, n)
        ``adjacency[i, j] > 0`` is a link from page i to page j (its weight).
    damping : float in [0, 1]

    Returns
    -------
    numpy.ndarray, shape (n, n)
    """
    W = as_array(adjacency, "adjacency", ndim=2)
    if W.shape[0] != W.shape[1] or (W < 0).any():
        raise ValueError(f"adjacency must be a square non-negative matrix, got shape {W.shape}")
    damping = check_float(damping, "damping", low=0.0, high=1.0)
    n = W.shape[0]
    out = W.sum(axis=1, keepdims=True)
    S = np.where(out > 0, W / np.where(out > 0, out, 1.0), 1.0 / n)
    return damping * S + (1.0 - damping) / n


def pagerank(adjacency, damping: float = 0.85, tol: float = 1e-12, max_iter: int = 10_000) -> np.ndarray:
    """PageRank: the stationary distribution of :func:`google_matrix` by power iteration (shape (n,))."""
    G = google_matrix(adjacency, damping)
    return stationary_power(G, tol=tol, max_iter=max_iter).pi


# ---------------------------------------------------------------------------------------- hidden Markov models


_NO_OBS = object()


def _check_hmm(startprob, transmat, emissionprob, obs=_NO_OBS):
    A = check_transition_matrix(transmat, "transmat")
    k = A.shape[0]
    pi = _check_distribution(startprob, "startprob", k, like="transmat")
    B = as_array(emissionprob, "emissionprob", ndim=2)
    if B.shape[0] != k:
        raise ValueError(f"emissionprob must have {k} rows like transmat ({k} hidden states), got shape {B.shape}")
    if (B < 0).any() or not np.allclose(B.sum(axis=1), 1.0, atol=1e-9):
        raise ValueError(f"emissionprob must be row-stochastic with {k} rows, got shape {B.shape}")
    if obs is _NO_OBS:
        return pi, A, B
    x = np.asarray(obs)
    if x.ndim != 1 or x.size == 0 or not np.issubdtype(x.dtype, np.integer):
        raise ValueError(f"obs must be a non-empty 1-D array of integer symbols, got {x!r}")
    if x.min() < 0 or x.max() >= B.shape[1]:
        raise ValueError(f"obs symbols must lie in 0..{B.shape[1] - 1}, got range {x.min()}..{x.max()}")
    return pi, A, B, x


@dataclass(frozen=True)
class ForwardResult:
    r"""Scaled forward pass.

    ``alpha[t, k]`` is :math:`P(z_t = k \mid x_{1:t})` (each row sums to 1), ``scale[t]`` is
    :math:`c_t = P(x_t \mid x_{1:t-1})`, so the unscaled :math:`\alpha_t(k) = P(x_{1:t}, z_t = k)` is
    ``alpha[t, k] * prod(scale[:t + 1])`` and ``log_likelihood`` :math:`= \sum_t \log c_t = \log P(x_{1:T})`.
    """

    alpha: np.ndarray
    scale: np.ndarray
    log_likelihood: float


def _forward(pi, A, B, x) -> ForwardResult:
    T, K = x.size, A.shape[0]
    alpha = np.empty((T, K))
    scale = np.empty(T)
    a = pi * B[:, x[0]]                                  # alpha_1(z) = P(z_1) P(x_1 | z_1)
    for t in range(T):
        if t > 0:
            a = (alpha[t - 1] @ A) * B[:, x[t]]          # sum_z' alpha_{t-1}(z') P(z | z') P(x_t | z)
        scale[t] = a.sum()
        alpha[t] = a / scale[t]
    return ForwardResult(alpha, scale, float(np.log(scale).sum()))


def forward(startprob, transmat, emissionprob, obs) -> ForwardResult:
    r"""Forward algorithm, rescaled at every step so nothing underflows.

    Recursion :math:`\alpha_1(z) = \pi_z B_{z, x_1}`,
    :math:`\alpha_t(z) = \big[\sum_{z'} \alpha_{t-1}(z') A_{z' z}\big] B_{z, x_t}`; after each step the vector
    is divided by its sum :math:`c_t`, and :math:`\log P(x_{1:T}) = \sum_t \log c_t`.

    Parameters
    ----------
    startprob : array_like, shape (K,)
    transmat : array_like, shape (K, K)
    emissionprob : array_like, shape (K, V)
    obs : array_like of int, shape (T,)

    Returns
    -------
    ForwardResult
    """
    return _forward(*_check_hmm(startprob, transmat, emissionprob, obs))


def _backward(A, B, x, scale) -> np.ndarray:
    T, K = x.size, A.shape[0]
    beta = np.empty((T, K))
    beta[-1] = 1.0
    for t in range(T - 2, -1, -1):
        beta[t] = A @ (B[:, x[t + 1]] * beta[t + 1]) / scale[t + 1]   # sum_z' A[z, z'] B[z', x_{t+1}] beta_{t+1}(z')
    return beta


def backward(startprob, transmat, emissionprob, obs) -> np.ndarray:
    r"""Scaled backward pass :math:`\hat\beta_t(z) = P(x_{t+1:T} \mid z_t = z) / \prod_{s > t} c_s`.

    Recursion :math:`\beta_T = 1`, :math:`\beta_t(z) = \sum_{z'} A_{z z'} B_{z', x_{t+1}} \beta_{t+1}(z')`,
    divided at each step by the forward scale :math:`c_{t+1}`, so that ``alpha * beta`` is the posterior.

    Returns
    -------
    numpy.ndarray, shape (T, K)
    """
    pi, A, B, x = _check_hmm(startprob, transmat, emissionprob, obs)
    return _backward(A, B, x, _forward(pi, A, B, x).scale)


def posterior(startprob, transmat, emissionprob, obs) -> np.ndarray:
    r"""Posterior marginals :math:`\gamma_t(z) = P(z_t = z \mid x_{1:T}) = \hat\alpha_t(z)\,\hat\beta_t(z)`.

    Returns
    -------
    numpy.ndarray, shape (T, K)
    """
    pi, A, B, x = _check_hmm(startprob, transmat, emissionprob, obs)
    fw = _forward(pi, A, B, x)
    return fw.alpha * _backward(A, B, x, fw.scale)


@dataclass(frozen=True)
class ViterbiResult:
    r"""The most probable hidden path (shape (T,)) and its joint log-probability :math:`\log P(x, z^*)`."""

    path: np.ndarray
    log_prob: float


def viterbi(startprob, transmat, emissionprob, obs) -> ViterbiResult:
    r"""Viterbi: :math:`\arg\max_z P(z_{1:T}, x_{1:T})` by dynamic programming in log space.

    :math:`\delta_1(z) = \log \pi_z + \log B_{z, x_1}`,
    :math:`\delta_t(z) = \max_{z'} [\delta_{t-1}(z') + \log A_{z' z}] + \log B_{z, x_t}`, remembering the
    maximising :math:`z'`, then backtracking from :math:`\arg\max_z \delta_T(z)`. Ties go to the lowest index.

    Returns
    -------
    ViterbiResult
    """
    pi, A, B, x = _check_hmm(startprob, transmat, emissionprob, obs)
    with np.errstate(divide="ignore"):
        lpi, lA, lB = np.log(pi), np.log(A), np.log(B)
    T, K = x.size, A.shape[0]
    back = np.zeros((T, K), dtype=int)
    delta = lpi + lB[:, x[0]]
    for t in range(1, T):
        cand = delta[:, None] + lA                        # cand[z', z]
        back[t] = cand.argmax(axis=0)
        delta = cand[back[t], np.arange(K)] + lB[:, x[t]]
    path = np.empty(T, dtype=int)
    path[-1] = int(delta.argmax())
    for t in range(T - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return ViterbiResult(path, float(delta.max()))


@dataclass(frozen=True)
class BaumWelchResult:
    """Parameters after EM and the log-likelihood before each update (non-decreasing, shape (n_iter,))."""

    startprob: np.ndarray
    transmat: np.ndarray
    emissionprob: np.ndarray
    log_likelihoods: np.ndarray


def _baum_welch_step(pi, A, B, x):
    fw = _forward(pi, A, B, x)
    beta = _backward(A, B, x, fw.scale)
    gamma = fw.alpha * beta                                        # P(z_t | x), shape (T, K)
    # xi[t, i, j] = P(z_t = i, z_{t+1} = j | x), summed over t
    xi = (fw.alpha[:-1, :, None] * A[None] * (B[:, x[1:]].T * beta[1:])[:, None, :]
          / fw.scale[1:, None, None]).sum(axis=0)
    new_pi = gamma[0]
    counts = np.zeros_like(B)
    np.add.at(counts.T, x, gamma)                                  # expected emissions of each symbol
    return new_pi, _normalise_rows(xi, A), _normalise_rows(counts, B), fw.log_likelihood


def _normalise_rows(counts, old):
    """Rows of expected counts as probabilities; a row with no expected count (0 / 0) keeps its ``old`` row."""
    total = counts.sum(axis=1, keepdims=True)
    return np.where(total > 0, counts / np.where(total > 0, total, 1.0), old)


def baum_welch(obs, startprob, transmat, emissionprob, n_iter: int = 100, tol: float = 1e-8) -> BaumWelchResult:
    r"""Baum-Welch (EM) for a categorical HMM from a starting guess.

    E step: posteriors :math:`\gamma_t(i)` and pair posteriors
    :math:`\xi_t(i, j) \propto \alpha_t(i) A_{ij} B_{j, x_{t+1}} \beta_{t+1}(j)`.
    M step: :math:`\pi = \gamma_1`, :math:`A_{ij} = \sum_t \xi_t(i,j) / \sum_t \sum_j \xi_t(i,j)`,
    :math:`B_{iv} = \sum_{t: x_t = v} \gamma_t(i) / \sum_t \gamma_t(i)`; a row whose denominator is 0 keeps its
    previous values (a state with posterior 0 before the last step, for ``A``, or at every step, for ``B``; every
    row of ``A`` when T = 1). Each step cannot lower the likelihood. Stops after ``n_iter`` updates or when the
    log-likelihood gains less than ``tol``.

    Parameters
    ----------
    obs : array_like of int, shape (T,)
    startprob, transmat, emissionprob : array_like
        The starting guess, shapes (K,), (K, K), (K, V).
    n_iter : int >= 1
    tol : float >= 0

    Returns
    -------
    BaumWelchResult
    """
    pi, A, B, x = _check_hmm(startprob, transmat, emissionprob, obs)
    n_iter = check_int(n_iter, "n_iter", low=1)
    tol = check_float(tol, "tol", low=0.0)
    lls = []
    for _ in range(n_iter):
        pi, A, B, ll = _baum_welch_step(pi, A, B, x)
        if lls and ll - lls[-1] < tol:
            lls.append(ll)
            break
        lls.append(ll)
    return BaumWelchResult(pi, A, B, np.array(lls))


@dataclass(frozen=True)
class Enumeration:
    """Brute force over every hidden path.

    Fields: the likelihood, the posterior marginals (T, K), the best path (T,) and its joint probability.
    """

    likelihood: float
    posterior: np.ndarray
    best_path: np.ndarray
    best_prob: float


def enumerate_paths(startprob, transmat, emissionprob, obs) -> Enumeration:
    r"""Sum and maximise the joint probability over all :math:`K^T` hidden paths.

    :math:`P(z, x) = \pi_{z_1} B_{z_1 x_1} \prod_{t \ge 2} A_{z_{t-1} z_t} B_{z_t x_t}`.

    Exponential in T: a reference for short sequences only (refuses :math:`K^T > 10^6`).
    """
    pi, A, B, x = _check_hmm(startprob, transmat, emissionprob, obs)
    T, K = x.size, A.shape[0]
    if K ** T > 1_000_000:
        raise ValueError(f"enumerate_paths: K^T = {K}^{T} paths is too many to enumerate")
    paths = np.array(list(itertools.product(range(K), repeat=T)))           # (K^T, T)
    joint = pi[paths[:, 0]] * B[paths[:, 0], x[0]]
    for t in range(1, T):
        joint = joint * A[paths[:, t - 1], paths[:, t]] * B[paths[:, t], x[t]]
    total = joint.sum()
    post = np.stack([np.bincount(paths[:, t], weights=joint, minlength=K) for t in range(T)]) / total
    best = int(joint.argmax())
    return Enumeration(float(total), post, paths[best], float(joint[best]))


def sample_hmm(startprob, transmat, emissionprob, n_steps: int, rng=0) -> tuple[np.ndarray, np.ndarray]:
    """Sample a hidden path and its observations, both shape (n_steps,): the pair ``(states, obs)``."""
    pi, A, B = _check_hmm(startprob, transmat, emissionprob)
    n_steps = check_int(n_steps, "n_steps", low=1)
    rng = check_random_state(rng)
    u = rng.random((n_steps, 2))
    cdf_A, cdf_B = np.cumsum(A, axis=1), np.cumsum(B, axis=1)
    z = np.empty(n_steps, dtype=int)
    z[0] = min(int(np.searchsorted(np.cumsum(pi), u[0, 0], side="right")), A.shape[0] - 1)
    for t in range(1, n_steps):
        z[t] = min(int(np.searchsorted(cdf_A[z[t - 1]], u[t, 0], side="right")), A.shape[0] - 1)
    obs = np.array([min(int(np.searchsorted(cdf_B[s], v, side="right")), B.shape[1] - 1)
                    for s, v in zip(z, u[:, 1])])
    return z, obs


class CategoricalHMM:
    """A categorical HMM as an estimator, named like ``hmmlearn.hmm.CategoricalHMM``.

    Parameters
    ----------
    n_components : int
        Number of hidden states K.
    n_iter, tol : int, float
        Baum-Welch budget and stopping rule.
    rng : int or numpy.random.Generator
        Draws the starting guess (Dirichlet rows) when ``fit`` is not given one.

    Attributes
    ----------
    startprob_, transmat_, emissionprob_ : numpy.ndarray
        Shapes (K,), (K, K), (K, V) after ``fit``.
    log_likelihoods_ : numpy.ndarray
        The EM trace.
    """

    def __init__(self, n_components: int = 2, n_iter: int = 100, tol: float = 1e-8, rng=0):
        self.n_components, self.n_iter, self.tol, self.rng = n_components, n_iter, tol, rng

    def fit(self, obs, n_symbols: int | None = None, init=None) -> CategoricalHMM:
        """Fit by Baum-Welch from ``init = (startprob, transmat, emissionprob)`` or a random guess.

        ``obs`` is a non-empty 1-D array of integer symbols >= 0; ``n_symbols`` (default: the largest symbol + 1)
        must exceed every symbol of ``obs``."""
        k = check_int(self.n_components, "n_components", low=1)
        x = np.asarray(obs)
        if x.ndim != 1 or x.size == 0 or not np.issubdtype(x.dtype, np.integer) or x.min() < 0:
            raise ValueError(f"obs must be a non-empty 1-D array of integer symbols >= 0, got {x!r:.80}")
        if init is not None and (isinstance(init, str) or not hasattr(init, "__len__") or len(init) != 3):
            raise ValueError(f"init must be a triple (startprob, transmat, emissionprob), got {init!r:.80}")
        if n_symbols is not None and check_int(n_symbols, "n_symbols", low=1) <= x.max():   # even when unused
            raise ValueError(f"n_symbols must exceed every symbol of obs (the largest is {x.max()}), got {n_symbols}")
        if init is None:
            v = int(x.max()) + 1 if n_symbols is None else check_int(n_symbols, "n_symbols", low=1)
            g = check_random_state(self.rng)
            init = (g.dirichlet(np.ones(k)), g.dirichlet(np.ones(k), size=k), g.dirichlet(np.ones(v), size=k))
        res = baum_welch(x, *init, n_iter=self.n_iter, tol=self.tol)
        self.startprob_, self.transmat_, self.emissionprob_ = res.startprob, res.transmat, res.emissionprob
        self.log_likelihoods_ = res.log_likelihoods
        return self

    def _params(self):
        return self.startprob_, self.transmat_, self.emissionprob_

    def score(self, obs) -> float:
        r"""Log-likelihood :math:`\log P(x_{1:T})`."""
        return forward(*self._params(), obs).log_likelihood

    def predict_proba(self, obs) -> np.ndarray:
        """Posterior marginals, shape (T, K)."""
        return posterior(*self._params(), obs)

    def predict(self, obs) -> np.ndarray:
        """The Viterbi path, shape (T,)."""
        return viterbi(*self._params(), obs).path

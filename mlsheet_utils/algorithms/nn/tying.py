r"""Parameter tying: one array used in several places, its gradient the sum over the places.

- :func:`rnn_tied_gradient`   a tanh RNN whose recurrent matrix is one array reused at every step: the gradient
  of each step's copy and their sum (backpropagation through time);
- :func:`toeplitz_matrix`     a 1-D valid cross-correlation written as a dense matrix with tied diagonals;
- :func:`untie_gradient`      the gradient of the tied kernel from the gradient of that dense matrix (diagonal sums);
- :func:`fit_tied`, :func:`fit_untied`  least-squares fits of a signal-to-signal map with a shared kernel or with
  a free dense matrix;
- :func:`tying_experiment`    test error and parameter count of both fits for a given number of training signals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state


@dataclass(frozen=True)
class TiedGradient:
    r"""Gradient of a tied recurrent matrix.

    Attributes
    ----------
    hidden : ndarray, shape (T + 1, H)
        :math:`h_0, \dots, h_T`.
    per_step : ndarray, shape (T, H, H)
        ``per_step[t]`` is the gradient of the copy of :math:`W_h` used at step ``t + 1``.
    total : ndarray, shape (H, H)
        The gradient of the shared :math:`W_h`: ``per_step.sum(0)``.
    loss : float
    """

    hidden: np.ndarray
    per_step: np.ndarray
    total: np.ndarray
    loss: float


def rnn_tied_gradient(W_h, W_x, xs, R, h0=None) -> TiedGradient:
    r"""Backpropagation through time for :math:`h_t = \tanh(h_{t-1} W_h + x_t W_x)`, :math:`t = 1..T`.

    The loss is linear in the states, :math:`L = \sum_t \langle R_t, h_t\rangle` (any upstream gradient). With
    :math:`\delta_t = \partial L/\partial a_t` for the pre-activation :math:`a_t`,

    .. math::
        \delta_T = R_T \odot (1 - h_T^2),\qquad
        \delta_t = (R_t + \delta_{t+1} W_h^\top) \odot (1 - h_t^2),\qquad
        \frac{\partial L}{\partial W_h^{(t)}} = h_{t-1}^\top \delta_t,

    and the gradient of the tied :math:`W_h` is :math:`\sum_t h_{t-1}^\top \delta_t`.

    Parameters
    ----------
    W_h : array, shape (H, H)
    W_x : array, shape (d, H)
    xs : array, shape (T, d)
    R : array, shape (T, H)
        :math:`\partial L/\partial h_t` from outside the recurrence.
    h0 : array, shape (H,), optional
        Zeros by default.
    """
    W_h = as_array(W_h, "W_h", ndim=2)
    H = W_h.shape[0]
    if W_h.shape != (H, H):
        raise ValueError(f"W_h must be square, got shape {W_h.shape}")
    W_x = as_array(W_x, "W_x", ndim=2)
    xs = as_array(xs, "xs", ndim=2)
    R = as_array(R, "R", ndim=2)
    if xs.shape[1] != W_x.shape[0]:
        raise ValueError(f"xs must have {W_x.shape[0]} columns (the rows of W_x), got shape {xs.shape}")
    if R.shape[0] != xs.shape[0]:
        raise ValueError(f"R must have one row per step of xs ({xs.shape[0]}), got shape {R.shape}")
    if W_x.shape[1] != H or xs.shape[1] != W_x.shape[0]:
        raise ValueError(f"W_x must have shape ({xs.shape[1]}, {H}), got {W_x.shape}")
    if R.shape != (xs.shape[0], H):
        raise ValueError(f"R must have shape {(xs.shape[0], H)}, got {R.shape}")
    if xs.shape[0] < 1:
        raise ValueError("xs must hold at least one step")
    h0 = np.zeros(H) if h0 is None else as_array(h0, "h0", ndim=1)
    if h0.shape != (H,):
        raise ValueError(f"h0 must have shape ({H},) (the size of W_h), got {h0.shape}")
    T = xs.shape[0]
    h = np.empty((T + 1, H))
    h[0] = h0
    for t in range(T):
        h[t + 1] = np.tanh(h[t] @ W_h + xs[t] @ W_x)
    per_step = np.empty((T, H, H))
    carry = np.zeros(H)
    for t in range(T - 1, -1, -1):
        delta = (R[t] + carry) * (1 - h[t + 1] ** 2)
        per_step[t] = np.outer(h[t], delta)
        carry = delta @ W_h.T
    return TiedGradient(h, per_step, per_step.sum(axis=0), float(np.sum(R * h[1:])))


def toeplitz_matrix(kernel, n: int) -> np.ndarray:
    r"""The valid cross-correlation with ``kernel`` as a matrix: :math:`y = x M`, :math:`M_{i+j,\,i} = w_j`.

    Column ``i`` holds the kernel at rows ``i .. i + k - 1``: :math:`k` numbers fill the :math:`n(n-k+1)`
    entries, every diagonal tied to one kernel entry.

    Parameters
    ----------
    kernel : array, shape (k,)
    n : int >= k
        Input length.

    Returns
    -------
    M : ndarray, shape (n, n - k + 1)
    """
    kernel = as_array(kernel, "kernel", ndim=1)
    k = kernel.size
    n = check_int(n, "n", low=max(k, 1))
    m = n - k + 1
    M = np.zeros((n, m))
    cols = np.arange(m)
    for j in range(k):
        M[cols + j, cols] = kernel[j]
    return M


def untie_gradient(G, k: int) -> np.ndarray:
    r"""Gradient of the kernel from the gradient ``G`` of the dense matrix :func:`toeplitz_matrix` builds:
    :math:`\partial L/\partial w_j = \sum_i G_{i+j,\,i}` (the sum over every place :math:`w_j` sits).

    Parameters
    ----------
    G : array, shape (n, n - k + 1)
    k : int >= 1

    Returns
    -------
    ndarray, shape (k,)
    """
    G = as_array(G, "G", ndim=2)
    k = check_int(k, "k", low=1)
    n, m = G.shape
    if m != n - k + 1:
        raise ValueError(f"G must have shape (n, n - k + 1) = ({n}, {n - k + 1}), got {G.shape}")
    return np.array([np.trace(G, offset=-j) for j in range(k)])


def _windows(X: np.ndarray, k: int) -> np.ndarray:
    # (N, n) -> (N, n - k + 1, k): every length-k window of every signal
    return np.lib.stride_tricks.sliding_window_view(X, k, axis=1)


def fit_tied(X, Y, k: int) -> np.ndarray:
    r"""Least-squares kernel of :math:`Y \approx X M(w)`: :math:`k` unknowns, every window of every signal an
    equation, :math:`\min_w \sum_{s,i} (Y_{si} - \sum_j X_{s,i+j} w_j)^2`.

    Parameters
    ----------
    X : array, shape (N, n)
    Y : array, shape (N, n - k + 1)
    k : int in [1, n]

    Returns
    -------
    w : ndarray, shape (k,)
    """
    X = as_array(X, "X", ndim=2)
    k = check_int(k, "k", low=1, high=X.shape[1])
    Y = as_array(Y, "Y", ndim=2)
    if Y.shape != (X.shape[0], X.shape[1] - k + 1):
        raise ValueError(f"Y must have shape (rows of X, n - k + 1) = {(X.shape[0], X.shape[1] - k + 1)} for X of "
                         f"shape {X.shape} and k = {k}, got {Y.shape}")
    A = _windows(X, k).reshape(-1, k)
    return np.linalg.lstsq(A, Y.reshape(-1), rcond=None)[0]


def fit_untied(X, Y) -> np.ndarray:
    r"""Minimum-norm least-squares dense matrix of :math:`Y \approx X W` (:math:`n(n-k+1)` unknowns):
    :math:`W = X^+ Y`.

    Parameters
    ----------
    X : array, shape (N, n)
    Y : array, shape (N, m)

    Returns
    -------
    W : ndarray, shape (n, m)
    """
    X = as_array(X, "X", ndim=2)
    Y = as_array(Y, "Y", ndim=2)
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y must have {X.shape[0]} rows, one per row of X, got {Y.shape[0]}")
    return np.linalg.lstsq(X, Y, rcond=None)[0]


@dataclass(frozen=True)
class TyingExperiment:
    """Test mean squared errors and parameter counts of the tied and untied fits.

    Attributes
    ----------
    n_train : ndarray of int, shape (S,)
    tied_mse, untied_mse : ndarray, shape (S,)
        Test error per output value; the noise floor is ``noise ** 2``.
    tied_params, untied_params : int
        :math:`k` and :math:`n (n - k + 1)`.
    """

    n_train: np.ndarray
    tied_mse: np.ndarray
    untied_mse: np.ndarray
    tied_params: int
    untied_params: int


def tying_experiment(n_train, n: int = 24, k: int = 5, noise: float = 0.1, n_test: int = 200,
                     rng=0) -> TyingExperiment:
    r"""Fit :math:`y = x M(w^\star) + \varepsilon` (random kernel, white-noise signals, Gaussian noise of standard
    deviation ``noise``) from the first ``s`` training signals for each ``s`` in ``n_train``, tied and untied,
    and measure the error on ``n_test`` fresh signals.

    Parameters
    ----------
    n_train : sequence of int >= 1
    n, k : int, 1 <= k <= n
    noise : float >= 0
    n_test : int >= 1
    rng : int or Generator
    """
    sizes = np.asarray(n_train)
    if sizes.ndim != 1 or sizes.size == 0 or not np.issubdtype(sizes.dtype, np.integer) or sizes.min() < 1:
        raise ValueError(f"n_train must be a non-empty sequence of integers >= 1, got {n_train!r}")
    n = check_int(n, "n", low=1)
    k = check_int(k, "k", low=1, high=n)
    noise = check_float(noise, "noise", low=0)
    n_test = check_int(n_test, "n_test", low=1)
    rng = check_random_state(rng)
    w_star = rng.standard_normal(k) / np.sqrt(k)
    M = toeplitz_matrix(w_star, n)
    X = rng.standard_normal((int(sizes.max()) + n_test, n))
    Y = X @ M + noise * rng.standard_normal((X.shape[0], n - k + 1))
    X_test, Y_test = X[-n_test:], Y[-n_test:]
    tied, untied = [], []
    for s in sizes:
        Xs, Ys = X[:s], Y[:s]
        w = fit_tied(Xs, Ys, k)
        tied.append(np.mean((X_test @ toeplitz_matrix(w, n) - Y_test) ** 2))
        untied.append(np.mean((X_test @ fit_untied(Xs, Ys) - Y_test) ** 2))
    return TyingExperiment(sizes, np.array(tied), np.array(untied), k, n * (n - k + 1))

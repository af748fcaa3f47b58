r"""Contrastive objectives over a batch of embedding pairs: InfoNCE, NT-Xent, and what they measure.

- :func:`l2_normalize` and :func:`l2_normalize_backward`: rows scaled to unit length (cosine similarity is the
  dot product of unit rows) and the gradient through that scaling;
- :func:`info_nce_logits`: the InfoNCE loss of a score matrix whose diagonal holds the positives (cross-entropy
  with labels ``arange(n)``), and its gradient ``(softmax - one_hot) / n``;
- :func:`info_nce`: InfoNCE of two views ``z1``, ``z2`` with cosine (or dot-product) similarity and a temperature,
  with the gradients with respect to both views;
- :func:`nt_xent`: the symmetric 2N-row variant (each embedding against the other 2N - 1), with its gradients;
- :func:`negative_weights`: how the gradient of one anchor splits over its negatives at a temperature;
- :func:`alignment` and :func:`uniformity`: the two properties a contrastive loss trades off (Wang and Isola);
- :func:`mi_lower_bound`: :math:`\log N - L`, the InfoNCE lower bound on mutual information;
- :func:`gaussian_pairs` and :func:`gaussian_critic_logits`: correlated Gaussian pairs with a known mutual
  information and the optimal (density-ratio) critic for them; :func:`gaussian_bound_estimate` the Monte Carlo
  mean and standard error of :math:`\log N - L` over independent batches of them.

The margin-based pair and triplet losses are :class:`~mlsheet_utils.algorithms.nn.losses.ContrastiveLoss` and
:class:`~mlsheet_utils.algorithms.nn.losses.TripletLoss`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn import functional as F
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

__all__ = ["BoundEstimate", "ContrastiveResult", "alignment", "gaussian_bound_estimate", "gaussian_critic_logits",
           "gaussian_pairs", "info_nce", "info_nce_logits", "l2_normalize", "l2_normalize_backward", "mi_lower_bound",
           "negative_weights", "nt_xent", "uniformity"]


@dataclass(frozen=True)
class ContrastiveResult:
    r"""A contrastive loss with what it was computed from and its gradients.

    Attributes
    ----------
    loss : float
        The mean loss over the anchors.
    logits : ndarray, shape (n_rows, n_cols)
        Similarities divided by the temperature (masked entries are ``-inf``).
    probs : ndarray, shape (n_rows, n_cols)
        Row-wise softmax of ``logits``.
    grad_logits : ndarray, shape (n_rows, n_cols)
        :math:`\partial L/\partial \text{logits} = (\text{probs} - \text{one\_hot})/n_{\text{rows}}`.
    grad_z1, grad_z2 : ndarray, shape (n, dim)
        :math:`\partial L/\partial z_1` and :math:`\partial L/\partial z_2` (None for :func:`info_nce_logits`).
    """

    loss: float
    logits: np.ndarray
    probs: np.ndarray
    grad_logits: np.ndarray
    grad_z1: np.ndarray | None = None
    grad_z2: np.ndarray | None = None


def _check_pair(z1, z2):
    z1, z2 = as_array(z1, "z1"), as_array(z2, "z2")
    if z1.ndim != 2 or z1.shape[0] < 1 or z1.shape[1] < 1:
        raise ValueError(f"z1 must have shape (n, dim) with n, dim >= 1, got shape {z1.shape}")
    if z2.shape != z1.shape:
        raise ValueError(f"z2 must have z1's shape {z1.shape}, got shape {z2.shape}")
    return z1, z2


def _l2_normalize(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    norms = np.sqrt((z * z).sum(axis=-1, keepdims=True))
    return z / norms, norms


def l2_normalize(z) -> np.ndarray:
    r"""Rows scaled to unit Euclidean length, :math:`u = z / \|z\|_2`.

    Parameters
    ----------
    z : array_like, shape (n, dim)
        No row may be zero (its direction is undefined).

    Returns
    -------
    numpy.ndarray, shape (n, dim)
    """
    z = as_array(z, "z")
    if z.ndim != 2:
        raise ValueError(f"z must have shape (n, dim), got shape {z.shape}")
    if np.any((z * z).sum(axis=1) == 0):
        raise ValueError("z has a zero row: its direction, and so its cosine similarity, is undefined")
    return _l2_normalize(z)[0]


def _l2_normalize_backward(du: np.ndarray, u: np.ndarray, norms: np.ndarray) -> np.ndarray:
    return (du - u * (u * du).sum(axis=-1, keepdims=True)) / norms


def l2_normalize_backward(du, z) -> np.ndarray:
    r"""Gradient through :func:`l2_normalize`: :math:`\partial L/\partial z = (I - u u^\top)\,g / \|z\|`.

    The Jacobian of :math:`u = z/\|z\|` is :math:`(I - u u^\top)/\|z\|`: the part of the upstream gradient
    :math:`g = \partial L/\partial u` along :math:`u` is removed (scaling :math:`z` does not move :math:`u`)
    and the rest is divided by the length.

    Parameters
    ----------
    du : array_like, shape (n, dim)
        :math:`\partial L/\partial u`.
    z : array_like, shape (n, dim)
        The rows that were normalised.

    Returns
    -------
    numpy.ndarray, shape (n, dim)
    """
    u = l2_normalize(z)
    du = as_array(du, "du")
    if du.shape != u.shape:
        raise ValueError(f"du must have z's shape {u.shape}, got shape {du.shape}")
    return _l2_normalize_backward(du, u, _l2_normalize(as_array(z, "z"))[1])


def _cross_entropy_rows(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    n = logits.shape[0]
    log_p = F._log_softmax(logits, axis=-1)
    probs = np.exp(log_p)
    loss = -float(log_p[np.arange(n), labels].mean())
    grad = probs.copy()
    grad[np.arange(n), labels] -= 1.0
    return loss, probs, grad / n


def info_nce_logits(logits) -> ContrastiveResult:
    r"""InfoNCE of a square score matrix whose diagonal entries are the positives.

    .. math::
        L = -\frac1N \sum_{i=1}^N \log \frac{e^{s_{ii}}}{\sum_{k=1}^N e^{s_{ik}}}, \qquad
        \frac{\partial L}{\partial s_{ik}} = \frac{p_{ik} - \mathbb 1[k = i]}{N},

    the mean softmax cross-entropy with labels ``arange(N)``: every other column is a negative.

    Parameters
    ----------
    logits : array_like, shape (N, N)
        Scores :math:`s_{ik}` (similarity over temperature, or any critic).

    Returns
    -------
    ContrastiveResult
        ``grad_z1`` and ``grad_z2`` are None.
    """
    logits = as_array(logits, "logits")
    if logits.ndim != 2 or logits.shape[0] != logits.shape[1] or logits.shape[0] < 1:
        raise ValueError(f"logits must be a square (N, N) matrix with N >= 1, got shape {logits.shape}")
    loss, probs, grad = _cross_entropy_rows(logits, np.arange(logits.shape[0]))
    return ContrastiveResult(loss, logits, probs, grad)


def _info_nce(z1, z2, tau, normalize):
    if normalize:
        u1, n1 = _l2_normalize(z1)
        u2, n2 = _l2_normalize(z2)
    else:
        u1, u2 = z1, z2
    logits = u1 @ u2.T / tau
    loss, probs, g = _cross_entropy_rows(logits, np.arange(z1.shape[0]))
    du1, du2 = g @ u2 / tau, g.T @ u1 / tau
    if normalize:
        du1, du2 = _l2_normalize_backward(du1, u1, n1), _l2_normalize_backward(du2, u2, n2)
    return ContrastiveResult(loss, logits, probs, g, du1, du2)


def _check_common(z1, z2, temperature, normalize):
    z1, z2 = _check_pair(z1, z2)
    tau = check_float(temperature, "temperature", low=0, low_open=True)
    if normalize and (np.any((z1 * z1).sum(1) == 0) or np.any((z2 * z2).sum(1) == 0)):
        raise ValueError("z1 or z2 has a zero row: its cosine similarity is undefined")
    return z1, z2, tau


def info_nce(z1, z2, temperature: float = 0.1, *, normalize: bool = True) -> ContrastiveResult:
    r"""InfoNCE of two views: row :math:`i` of ``z1`` against every row of ``z2``, the positive being row :math:`i`.

    With :math:`u = z/\|z\|` (cosine similarity; the raw rows when ``normalize=False``) and temperature
    :math:`\tau`,

    .. math::
        S = U_1 U_2^\top/\tau,\quad L = -\frac1N\sum_i \log \operatorname{softmax}(S_{i\cdot})_i,\quad
        G = \frac{P - I}{N},\quad
        \frac{\partial L}{\partial U_1} = \frac{G U_2}{\tau},\quad
        \frac{\partial L}{\partial U_2} = \frac{G^\top U_1}{\tau},

    then through the normalisation (:func:`l2_normalize_backward`).

    Parameters
    ----------
    z1, z2 : array_like, shape (N, dim)
        Embeddings of two views; row :math:`i` of each comes from the same example.
    temperature : float > 0
    normalize : bool
        Cosine similarity (True) or plain dot product.

    Returns
    -------
    ContrastiveResult
        ``logits`` and ``probs`` of shape (N, N), ``grad_z1`` and ``grad_z2`` of shape (N, dim).
    """
    z1, z2, tau = _check_common(z1, z2, temperature, normalize)
    return _info_nce(z1, z2, tau, bool(normalize))


def nt_xent(z1, z2, temperature: float = 0.5) -> ContrastiveResult:
    r"""NT-Xent: InfoNCE over the 2N embeddings of both views, each against the other 2N - 1.

    Stack :math:`Z = [Z_1; Z_2]`, normalise the rows, :math:`S = U U^\top/\tau` with the diagonal (self-similarity)
    set to :math:`-\infty`; row :math:`a` has the positive :math:`a \pm N`. The loss is the mean of the 2N
    cross-entropies, :math:`G = (P - Y)/(2N)`, and :math:`\partial L/\partial U = (G + G^\top) U/\tau`.

    Parameters
    ----------
    z1, z2 : array_like, shape (N, dim), N >= 1
    temperature : float > 0

    Returns
    -------
    ContrastiveResult
        ``logits`` and ``probs`` of shape (2N, 2N); ``grad_z1``, ``grad_z2`` of shape (N, dim).
    """
    z1, z2, tau = _check_common(z1, z2, temperature, True)
    return _nt_xent(z1, z2, tau)


def _nt_xent(z1: np.ndarray, z2: np.ndarray, tau: float) -> ContrastiveResult:
    """:func:`nt_xent` without the input checks (for training loops)."""
    n = z1.shape[0]
    u, norms = _l2_normalize(np.vstack([z1, z2]))
    logits = u @ u.T / tau
    np.fill_diagonal(logits, -np.inf)
    labels = (np.arange(2 * n) + n) % (2 * n)
    loss, probs, g = _cross_entropy_rows(logits, labels)
    dz = _l2_normalize_backward((g + g.T) @ u / tau, u, norms)
    return ContrastiveResult(loss, logits, probs, g, dz[:n], dz[n:])


def negative_weights(similarities, temperature) -> np.ndarray:
    r"""How the gradient of one anchor's loss splits over its negatives.

    For an anchor with positive similarity :math:`s_+` and negative similarities :math:`s_k`, the loss pushes
    negative :math:`k` with force :math:`p_k/\tau`, :math:`p_k = e^{s_k/\tau}/\sum_m e^{s_m/\tau}` (all terms,
    positive included). Returned normalised over the negatives, :math:`w_k = e^{s_k/\tau}/\sum_{m\ne +}
    e^{s_m/\tau}`: as :math:`\tau \to 0` the weight goes to the hardest (most similar) negative, as
    :math:`\tau\to\infty` it spreads evenly.

    Parameters
    ----------
    similarities : array_like, shape (n_negatives,)
    temperature : float > 0

    Returns
    -------
    numpy.ndarray, shape (n_negatives,), summing to 1
    """
    s = as_array(similarities, "similarities")
    if s.ndim != 1 or s.size == 0:
        raise ValueError(f"similarities must be a non-empty 1-D array, got shape {s.shape}")
    tau = check_float(temperature, "temperature", low=0, low_open=True)
    return F._softmax(s / tau)


def alignment(z1, z2, alpha: float = 2.0) -> float:
    r"""Alignment of positive pairs, :math:`\frac1N\sum_i \|u_{1i} - u_{2i}\|^\alpha` on unit rows (lower is better).

    Parameters
    ----------
    z1, z2 : array_like, shape (N, dim)
    alpha : float > 0

    Returns
    -------
    float
    """
    z1, z2 = _check_pair(z1, z2)
    for name, z in (("z1", z1), ("z2", z2)):
        if np.any((z * z).sum(axis=1) == 0):
            raise ValueError(f"{name} has a zero row: its direction, and so its cosine similarity, is undefined")
    alpha = check_float(alpha, "alpha", low=0, low_open=True)
    d = np.sqrt(((l2_normalize(z1) - l2_normalize(z2)) ** 2).sum(axis=1))
    return float(np.mean(d ** alpha))


def uniformity(z, t: float = 2.0) -> float:
    r"""Uniformity on the sphere, :math:`\log \frac{2}{N(N-1)}\sum_{i<j} e^{-t\|u_i - u_j\|^2}` (lower is better).

    Parameters
    ----------
    z : array_like, shape (N, dim), N >= 2
    t : float > 0

    Returns
    -------
    float
        At most 0 (all rows equal: collapse).
    """
    z = as_array(z, "z")
    if z.ndim != 2 or z.shape[0] < 2:
        raise ValueError(f"z must have shape (N, dim) with N >= 2, got shape {z.shape}")
    t = check_float(t, "t", low=0, low_open=True)
    u = l2_normalize(z)
    sq = np.maximum(2.0 - 2.0 * (u @ u.T), 0.0)
    iu = np.triu_indices(z.shape[0], 1)
    return float(F._logsumexp(-t * sq[iu]) - np.log(iu[0].size))


def mi_lower_bound(loss, n) -> float:
    r"""The InfoNCE bound :math:`I(X;Y) \ge \log N - L` (expected loss, N candidates per anchor).

    Parameters
    ----------
    loss : float
        InfoNCE loss (nats).
    n : int >= 1
        Batch size (candidates per anchor, positive included).

    Returns
    -------
    float
        :math:`\log N - L`, never more than :math:`\log N`.
    """
    loss = check_float(loss, "loss", low=0)
    n = check_int(n, "n", low=1)
    return float(np.log(n) - loss)


def gaussian_pairs(n, rho, dim: int = 1, rng=0) -> tuple[np.ndarray, np.ndarray]:
    r"""Pairs :math:`(x, y)`, each coordinate standard normal with correlation :math:`\rho`.

    :math:`y = \rho x + \sqrt{1-\rho^2}\,\varepsilon`; the mutual information is
    :math:`I(X;Y) = -\tfrac{d}{2}\log(1-\rho^2)` nats.

    Parameters
    ----------
    n : int >= 1
    rho : float in (-1, 1)
    dim : int >= 1
    rng : int or numpy.random.Generator
        Default 0: a fixed seed, so every run is reproducible.

    Returns
    -------
    (x, y) : two arrays of shape (n, dim)
    """
    n, dim = check_int(n, "n", low=1), check_int(dim, "dim", low=1)
    rho = check_float(rho, "rho", low=-1, high=1, low_open=True, high_open=True)
    g = check_random_state(rng)
    x = g.standard_normal((n, dim))
    return x, rho * x + np.sqrt(1.0 - rho * rho) * g.standard_normal((n, dim))


def gaussian_critic_logits(x, y, rho) -> np.ndarray:
    r"""The optimal critic :math:`s_{ik} = \log p(y_k\mid x_i) - \log p(y_k)` for :func:`gaussian_pairs`.

    .. math::
        s_{ik} = -\frac{\|y_k - \rho x_i\|^2}{2(1-\rho^2)} + \frac{\|y_k\|^2}{2} - \frac d2 \log(1-\rho^2).

    Parameters
    ----------
    x, y : array_like, shape (N, dim)
    rho : float in (-1, 1)

    Returns
    -------
    numpy.ndarray, shape (N, N)
    """
    x, y = as_array(x, "x"), as_array(y, "y")
    if x.ndim != 2:
        raise ValueError(f"x must have shape (N, dim), got shape {x.shape}")
    if y.shape != x.shape:
        raise ValueError(f"y must have x's shape {x.shape}, got shape {y.shape}")
    x, y = _check_pair(x, y)
    rho = check_float(rho, "rho", low=-1, high=1, low_open=True, high_open=True)
    v = 1.0 - rho * rho
    sq = ((y[None, :, :] - rho * x[:, None, :]) ** 2).sum(-1)
    return -sq / (2 * v) + 0.5 * (y * y).sum(-1)[None, :] - 0.5 * x.shape[1] * np.log(v)


@dataclass(frozen=True)
class BoundEstimate:
    r"""Monte Carlo estimate of the InfoNCE bound on :func:`gaussian_pairs`.

    Attributes
    ----------
    mean, se : float
        Mean of :math:`\log N - L` over the batches and its standard error.
    true_mi : float
        :math:`-\tfrac d2 \log(1-\rho^2)`, the mutual information it bounds.
    """

    mean: float
    se: float
    true_mi: float


def gaussian_bound_estimate(n, rho, dim: int = 1, n_batches: int = 200, rng=0) -> BoundEstimate:
    r"""Mean and standard error of :math:`\log N - L` with the optimal critic, over independent batches.

    Each batch holds ``n`` pairs from :func:`gaussian_pairs`; its score matrix is
    :func:`gaussian_critic_logits` and its loss :func:`info_nce_logits`.

    Parameters
    ----------
    n : int >= 1
        Batch size.
    rho : float in (-1, 1)
    dim : int >= 1
    n_batches : int >= 2
    rng : int or numpy.random.Generator
        Default 0: a fixed seed, so every run is reproducible.

    Returns
    -------
    BoundEstimate
    """
    n, dim = check_int(n, "n", low=1), check_int(dim, "dim", low=1)
    n_batches = check_int(n_batches, "n_batches", low=2)
    rho = check_float(rho, "rho", low=-1, high=1, low_open=True, high_open=True)
    g = check_random_state(rng)
    vals = np.empty(n_batches)
    for b in range(n_batches):
        x, y = gaussian_pairs(n, rho, dim, rng=g)
        vals[b] = np.log(n) - info_nce_logits(gaussian_critic_logits(x, y, rho)).loss
    return BoundEstimate(float(vals.mean()), float(vals.std(ddof=1) / np.sqrt(n_batches)),
                         float(-0.5 * dim * np.log(1.0 - rho * rho)))

r"""Scores for generative models that compare a generator's samples with real data.

- :func:`frechet_distance`      the Fréchet (2-Wasserstein) distance between two Gaussians,
  :math:`\lVert\mu_1-\mu_2\rVert^2 + \operatorname{tr}\bigl(\Sigma_1+\Sigma_2-2(\Sigma_1\Sigma_2)^{1/2}\bigr)`,
  with the trace of the square root taken from one symmetric eigen-decomposition;
- :func:`fid`                   the same distance between the Gaussians fitted to two feature samples (FID when the
  features come from an Inception network);
- :func:`fid_by_sample_size`    the mean and spread of the sample FID over seeded repeats, for several sizes
  (a :class:`FIDCurve`), to show its small-sample bias;
- :func:`inception_score`       :math:`\exp\bigl(\mathbb E_x D_{KL}(p(y\mid x)\,\|\,p(y))\bigr)` from a matrix of
  class probabilities;
- :func:`knn_precision_recall`  precision and recall of a generator through k-nearest-neighbour balls around
  each set (a :class:`PrecisionRecall`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state


def _psd_sqrt(A: np.ndarray) -> np.ndarray:
    # symmetric square root of a symmetric positive semi-definite matrix; tiny negative eigenvalues are clipped
    w, V = np.linalg.eigh(A)
    return (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T


def _frechet(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    root1 = _psd_sqrt(cov1)
    middle = root1 @ cov2 @ root1
    trace_root = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0.0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * trace_root)


def _moments(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return X.mean(axis=0), np.atleast_2d(np.cov(X, rowvar=False))


def frechet_distance(mu1, cov1, mu2, cov2) -> float:
    r"""Fréchet distance between :math:`\mathcal N(\mu_1,\Sigma_1)` and :math:`\mathcal N(\mu_2,\Sigma_2)`.

    .. math::
        d^2 = \lVert\mu_1-\mu_2\rVert^2 + \operatorname{tr}\Sigma_1 + \operatorname{tr}\Sigma_2
              - 2\operatorname{tr}\bigl(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}\bigr)^{1/2}

    The product :math:`\Sigma_1\Sigma_2` is not symmetric, but it is similar to the symmetric PSD matrix
    :math:`\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}`, so both have the same eigenvalues and the trace of the square
    root is the sum of the square roots of that matrix's eigenvalues. This is the squared 2-Wasserstein distance
    between the two Gaussians.

    Parameters
    ----------
    mu1, mu2 : array_like, shape (d,)
    cov1, cov2 : array_like, shape (d, d), symmetric positive semi-definite

    Returns
    -------
    float, the squared distance (>= 0 up to round-off).
    """
    mu1, mu2 = as_array(mu1, "mu1", ndim=1), as_array(mu2, "mu2", ndim=1)
    cov1, cov2 = as_array(cov1, "cov1", ndim=2), as_array(cov2, "cov2", ndim=2)
    d = mu1.shape[0]
    if mu2.shape != (d,):
        raise ValueError(f"mu2 must have shape ({d},) like mu1, got {mu2.shape}")
    for name, cov in (("cov1", cov1), ("cov2", cov2)):
        if cov.shape != (d, d):
            raise ValueError(f"{name} must have shape ({d}, {d}), got {cov.shape}")
        if not np.allclose(cov, cov.T, rtol=1e-10, atol=1e-12):
            raise ValueError(f"{name} must be symmetric")
        low = float(np.linalg.eigvalsh(cov).min())
        if low < -1e-8 * max(float(np.abs(cov).max()), 1e-300):
            raise ValueError(f"{name} must be positive semi-definite, got an eigenvalue of {low:.3g}")
    return _frechet(mu1, cov1, mu2, cov2)


def fid(X_real, X_gen) -> float:
    r"""Fréchet distance between the Gaussians fitted to two samples of feature vectors.

    Means are sample means and covariances the unbiased sample covariances (``ddof=1``); then
    :func:`frechet_distance`. With Inception-v3 pool features this is FID.

    Parameters
    ----------
    X_real : array_like, shape (n_real, d)
    X_gen : array_like, shape (n_gen, d)

    Returns
    -------
    float
    """
    X_real, X_gen = as_array(X_real, "X_real", ndim=2), as_array(X_gen, "X_gen", ndim=2)
    if X_real.shape[0] < 2 or X_gen.shape[0] < 2:
        raise ValueError(f"X_real and X_gen need at least 2 rows each, got {X_real.shape[0]} and {X_gen.shape[0]}")
    if X_real.shape[1] != X_gen.shape[1]:
        raise ValueError(f"X_real and X_gen must have the same number of columns, got {X_real.shape[1]} and "
                         f"{X_gen.shape[1]}")
    return _frechet(*_moments(X_real), *_moments(X_gen))


@dataclass(frozen=True)
class FIDCurve:
    """Sample FID between two Gaussians over seeded repeats, per sample size.

    Attributes
    ----------
    sizes : ndarray, shape (m,), the sample sizes n (both samples have n rows)
    mean : ndarray, shape (m,), the mean sample FID over the repeats
    se : ndarray, shape (m,), its standard error
    exact : float, the Fréchet distance between the two true Gaussians
    """

    sizes: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    exact: float


def fid_by_sample_size(mu1, cov1, mu2, cov2, sizes, repeats: int = 20, rng=0) -> FIDCurve:
    r"""Draw ``n`` points from each Gaussian, compute :func:`fid`, repeat, for each ``n`` in ``sizes``.

    The sample FID is biased upward: even for identical Gaussians its mean is positive and shrinks like
    :math:`1/n`, because the sample covariances are noisy and the square-root term is concave.

    Parameters
    ----------
    mu1, mu2 : array_like, shape (d,)
    cov1, cov2 : array_like, shape (d, d)
    sizes : array_like of int, each >= 2
    repeats : int >= 2
    rng : int or numpy.random.Generator

    Returns
    -------
    FIDCurve
    """
    exact = frechet_distance(mu1, cov1, mu2, cov2)
    mu1, mu2, cov1, cov2 = (np.asarray(a, dtype=float) for a in (mu1, mu2, cov1, cov2))
    sizes = np.asarray(sizes)
    if sizes.ndim != 1 or sizes.size == 0 or not np.issubdtype(sizes.dtype, np.integer) or sizes.min() < 2:
        raise ValueError(f"sizes must be a non-empty 1-D array of integers >= 2, got {sizes!r}")
    repeats = check_int(repeats, "repeats", low=2)
    gen = check_random_state(rng)
    L1, L2 = _psd_sqrt(cov1), _psd_sqrt(cov2)
    d = mu1.shape[0]
    values = np.empty((sizes.size, repeats))
    for i, n in enumerate(sizes):
        for r in range(repeats):
            A = mu1 + gen.standard_normal((int(n), d)) @ L1
            B = mu2 + gen.standard_normal((int(n), d)) @ L2
            values[i, r] = _frechet(*_moments(A), *_moments(B))
    return FIDCurve(sizes, values.mean(axis=1), values.std(axis=1, ddof=1) / np.sqrt(repeats), exact)


def inception_score(probs, eps: float = 1e-12) -> float:
    r"""Inception Score of a generator from the classifier's probabilities on its samples.

    .. math::
        \mathrm{IS} = \exp\Bigl(\frac1n\sum_{i=1}^n \sum_y p(y\mid x_i)
                      \log\frac{p(y\mid x_i)}{p(y)}\Bigr),\qquad p(y) = \frac1n\sum_i p(y\mid x_i)

    It lies in :math:`[1, K]`: 1 when every sample gets the same class distribution, :math:`K` when every
    sample is classified with certainty and the classes are used equally.

    Parameters
    ----------
    probs : array_like, shape (n, K), rows are probability vectors
    eps : float > 0, added inside the logarithms (so that 0 log 0 = 0)

    Returns
    -------
    float
    """
    P = as_array(probs, "probs", ndim=2)
    eps = check_float(eps, "eps", low=0, low_open=True)
    if np.any(P < 0) or not np.allclose(P.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("probs must have non-negative rows that sum to 1")
    marginal = P.mean(axis=0)
    kl = np.sum(P * (np.log(P + eps) - np.log(marginal + eps)), axis=1)
    return float(np.exp(kl.mean()))


@dataclass(frozen=True)
class PrecisionRecall:
    """k-NN precision and recall of generated samples.

    Attributes
    ----------
    precision : float, share of generated points inside some real point's k-NN ball (quality)
    recall : float, share of real points inside some generated point's k-NN ball (coverage)
    """

    precision: float
    recall: float


def _knn_radius(X: np.ndarray, k: int) -> np.ndarray:
    # distance from each row to its k-th nearest other row
    sq = np.sum(X**2, axis=1)
    D2 = np.maximum(sq[:, None] + sq[None, :] - 2 * X @ X.T, 0.0)
    return np.sqrt(np.sort(D2, axis=1)[:, k])        # column 0 is the point itself


def _share_covered(Q: np.ndarray, X: np.ndarray, radii: np.ndarray) -> float:
    D2 = np.maximum(np.sum(Q**2, axis=1)[:, None] + np.sum(X**2, axis=1)[None, :] - 2 * Q @ X.T, 0.0)
    return float(np.mean(np.any(D2 <= radii[None, :] ** 2, axis=1)))


def knn_precision_recall(X_real, X_gen, k: int = 3) -> PrecisionRecall:
    r"""Precision and recall of a generator (Kynkäänniemi et al. 2019).

    Each set's manifold is approximated by the union of balls centred on its points with radius the distance to
    the point's k-th nearest neighbour in the same set. Precision is the share of generated points inside the
    real manifold, recall the share of real points inside the generated manifold.

    Parameters
    ----------
    X_real : array_like, shape (n_real, d)
    X_gen : array_like, shape (n_gen, d)
    k : int, 1 <= k < min(n_real, n_gen)

    Returns
    -------
    PrecisionRecall
    """
    X_real, X_gen = as_array(X_real, "X_real", ndim=2), as_array(X_gen, "X_gen", ndim=2)
    if X_real.shape[1] != X_gen.shape[1]:
        raise ValueError(f"X_real and X_gen must have the same number of columns, got {X_real.shape[1]} and "
                         f"{X_gen.shape[1]}")
    k = check_int(k, "k", low=1, high=min(len(X_real), len(X_gen)) - 1)
    precision = _share_covered(X_gen, X_real, _knn_radius(X_real, k))
    recall = _share_covered(X_real, X_gen, _knn_radius(X_gen, k))
    return PrecisionRecall(precision, recall)

r"""Variational inference: approximate a distribution :math:`p` by the closest member :math:`q` of a tractable family.

Fitting a Gaussian by either direction of KL:

- :func:`forward_kl_fit`   :math:`\arg\min_q D_{KL}(p\|q)` over Gaussians, for a 1-D Gaussian mixture :math:`p`
  (moment matching);
- :func:`reverse_kl_fit`   :math:`\arg\min_q D_{KL}(q\|p)` over Gaussians, for a density tabulated on a grid
  (Nelder-Mead from several starts); both return a :class:`GaussianFit`.

Mean field for a Gaussian target :math:`\mathcal N(\mu, \Sigma)`:

- :func:`mean_field_kl`    :math:`D_{KL}(q\|p)` for a factorised Gaussian :math:`q` (= minus the ELBO);
- :func:`cavi_gaussian`    coordinate ascent (CAVI) on the factors, with the ELBO after every sweep
  (:class:`CAVIResult`).

The conjugate normal-mean model :math:`z\sim\mathcal N(0,\tau^2)`, :math:`x_i\mid z\sim\mathcal N(z,\sigma^2)`
with :math:`q(z) = \mathcal N(m, s^2)`:

- :func:`elbo_normal_mean`, :func:`elbo_normal_mean_grad`  the ELBO in closed form and its gradient in
  :math:`(m, s)`;
- :func:`elbo_normal_mean_mc`     a reparameterised Monte Carlo estimate of the ELBO (an
  :class:`~mlsheet_utils.algorithms.probability.divergences.MCEstimate`);
- :func:`reparam_vi_normal_mean`  stochastic gradient ascent on the ELBO with reparameterised, antithetic draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from mlsheet_utils.algorithms.probability.divergences import MCEstimate, _kl_grid, kl_gaussian
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

_LOG_2PI = float(np.log(2.0 * np.pi))


# -- fitting a Gaussian by forward or reverse KL -----------------------------------------------------------

@dataclass(frozen=True)
class GaussianFit:
    r"""A univariate Gaussian :math:`\mathcal N(\text{mean}, \text{sd}^2)` fitted to a target."""

    mean: float
    sd: float


def forward_kl_fit(weights, means, sds) -> GaussianFit:
    r"""The Gaussian closest to a 1-D Gaussian mixture in forward KL, :math:`\arg\min_q D_{KL}(p\|q)`.

    For a Gaussian :math:`q`, :math:`D_{KL}(p\|q) = -H(p) - \mathbb E_p[\log q]` is minimised by matching the
    mean and variance of :math:`p = \sum_k w_k\mathcal N(\mu_k, \sigma_k^2)`:

    .. math::
        m = \sum_k w_k\mu_k, \qquad s^2 = \sum_k w_k\big(\sigma_k^2 + (\mu_k - m)^2\big)

    Parameters
    ----------
    weights : array_like, shape (k,), non-negative, summing to 1
    means : array_like, shape (k,)
    sds : array_like, shape (k,), > 0 (standard deviations)

    Returns
    -------
    GaussianFit
    """
    w = as_array(weights, "weights", ndim=1)
    mu = as_array(means, "means", ndim=1)
    sd = as_array(sds, "sds", ndim=1)
    if not (w.shape == mu.shape == sd.shape) or w.size == 0:
        raise ValueError(f"weights, means and sds must have one shared shape (k,), got {w.shape}, {mu.shape}, "
                         f"{sd.shape}")
    if np.any(w < 0) or not np.isclose(w.sum(), 1.0, atol=1e-9):
        raise ValueError(f"weights must be non-negative and sum to 1, got {w}")
    if np.any(sd <= 0):
        raise ValueError(f"sds must be > 0, got {sd}")
    mean = float(w @ mu)
    return GaussianFit(mean, float(np.sqrt(w @ (sd ** 2 + (mu - mean) ** 2))))


def _reverse_kl_objective(params: np.ndarray, grid: np.ndarray, log_p: np.ndarray, dx: float) -> float:
    r""":math:`D_{KL}(q\|p)` on the grid for :math:`q = \mathcal N(m, e^{2\log s})`, ``params = (m, log s)``."""
    m, log_s = params
    log_q = -0.5 * ((grid - m) / np.exp(log_s)) ** 2 - log_s - 0.5 * _LOG_2PI
    return _kl_grid(log_q, log_p, dx)


def reverse_kl_fit(grid, log_p, starts, *, xatol: float = 1e-4, fatol: float = 1e-8) -> GaussianFit:
    r"""The Gaussian closest to a tabulated density in reverse KL, :math:`\arg\min_q D_{KL}(q\|p)`.

    .. math::
        D_{KL}(q\|p) \approx \sum_j q(x_j)\big(\log q(x_j) - \log p(x_j)\big)\,\Delta x,
        \qquad q = \mathcal N(m, s^2)

    minimised over :math:`(m, \log s)` by Nelder-Mead from each start; the best end point is returned. The
    objective is not convex (for a multimodal :math:`p` each mode is a local minimum), hence several starts.

    Parameters
    ----------
    grid : array_like, shape (g,), uniformly spaced and increasing, wide enough to hold :math:`q`
    log_p : array_like, shape (g,), the target's log density on the grid (``-inf`` allowed)
    starts : array_like, shape (r, 2), starting ``(mean, sd)`` pairs, sd > 0
    xatol, fatol : float > 0, Nelder-Mead's tolerances on the parameters and on the objective

    Returns
    -------
    GaussianFit
    """
    grid = as_array(grid, "grid", ndim=1)
    log_p = as_array(log_p, "log_p", ndim=1, finite=False)
    if grid.size < 3 or log_p.shape != grid.shape:
        raise ValueError(f"grid needs >= 3 points and log_p its shape; got {grid.shape} and {log_p.shape}")
    steps = np.diff(grid)
    if np.any(steps <= 0) or not np.allclose(steps, steps[0], rtol=1e-9, atol=0.0):
        raise ValueError("grid must be increasing and uniformly spaced")
    if np.any(np.isnan(log_p) | (log_p == np.inf)):
        raise ValueError("log_p must be finite or -inf (a log density), got NaN or +inf")
    starts = as_array(starts, "starts", ndim=2)
    if starts.shape[0] < 1 or starts.shape[1] != 2 or np.any(starts[:, 1] <= 0):
        raise ValueError(f"starts must be (mean, sd) rows with sd > 0, got {starts.tolist()}")
    xatol = check_float(xatol, "xatol", low=0, low_open=True)
    fatol = check_float(fatol, "fatol", low=0, low_open=True)
    dx = float(steps[0])
    fits = [optimize.minimize(_reverse_kl_objective, [m0, np.log(s0)], args=(grid, log_p, dx),
                              method="Nelder-Mead", options={"xatol": xatol, "fatol": fatol})
            for m0, s0 in starts]
    best = min(fits, key=lambda f: f.fun)
    return GaussianFit(float(best.x[0]), float(np.exp(best.x[1])))


# -- mean field for a Gaussian target -----------------------------------------------------------------------

def _check_target(mu, Sigma) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mu = as_array(mu, "mu", ndim=1)
    Sigma = as_array(Sigma, "Sigma", ndim=2)
    d = mu.size
    if d == 0 or Sigma.shape != (d, d):
        raise ValueError(f"Sigma must have shape ({d}, {d}) to match mu, got {Sigma.shape}")
    if not np.allclose(Sigma, Sigma.T, rtol=1e-12, atol=1e-12):
        raise ValueError("Sigma must be symmetric")
    try:
        L = np.linalg.cholesky(Sigma)
    except np.linalg.LinAlgError as exc:
        raise ValueError("Sigma must be positive definite") from exc
    return mu, Sigma, L


def _mean_field_kl(m: np.ndarray, s: np.ndarray, mu: np.ndarray, Lam: np.ndarray, logdet_Sigma: float):
    r""":func:`mean_field_kl` on validated arrays, with :math:`\Lambda = \Sigma^{-1}` and
    :math:`\log\det\Sigma` given."""
    dm = m - mu                                                              # (..., d)
    quad = np.einsum("...i,ij,...j->...", dm, Lam, dm)
    trace = (np.diag(Lam) * s ** 2).sum(axis=-1)
    return 0.5 * (trace + quad - mu.size + logdet_Sigma - 2.0 * np.log(s).sum(axis=-1))


def mean_field_kl(m, s, mu, Sigma):
    r"""KL divergence from a factorised Gaussian to a Gaussian target, :math:`D_{KL}(q\|p)`.

    With :math:`q = \prod_j\mathcal N(m_j, s_j^2)`, :math:`p = \mathcal N(\mu, \Sigma)` and
    :math:`\Lambda = \Sigma^{-1}`:

    .. math::
        D_{KL}(q\|p) = \tfrac12\Big(\sum_j\Lambda_{jj}s_j^2 + (m-\mu)^\top\Lambda(m-\mu) - d
        + \log\det\Sigma - \sum_j\log s_j^2\Big)

    For a normalised target the ELBO of :math:`q` is minus this.

    Parameters
    ----------
    m : array_like, shape (..., d), the factor means
    s : array_like, shape (..., d), the factor standard deviations (> 0); ``m`` and ``s`` broadcast
    mu : array_like, shape (d,)
    Sigma : array_like, shape (d, d), symmetric positive definite

    Returns
    -------
    float, or ndarray of the broadcast leading shape of ``m`` and ``s``
    """
    mu, Sigma, L = _check_target(mu, Sigma)
    m, s = as_array(m, "m"), as_array(s, "s")
    d = mu.size
    if m.ndim == 0 or s.ndim == 0 or m.shape[-1] != d or s.shape[-1] != d:
        raise ValueError(f"m and s must end in an axis of length {d}, got shapes {m.shape} and {s.shape}")
    if np.any(s <= 0):
        raise ValueError("s must be > 0 (standard deviations)")
    L_inv = np.linalg.inv(L)
    out = _mean_field_kl(m, s, mu, L_inv.T @ L_inv, 2.0 * float(np.log(np.diag(L)).sum()))
    return float(out) if np.ndim(out) == 0 else out


@dataclass(frozen=True)
class CAVIResult:
    r"""Output of :func:`cavi_gaussian`.

    Attributes
    ----------
    means : ndarray (n_sweeps + 1, d), the factor means after each sweep (row 0 = the start)
    variances : ndarray (d,), the factor variances :math:`1/\Lambda_{jj}`
    elbo : ndarray (n_sweeps + 1,), the ELBO (= minus the KL to the target) after each sweep
    """

    means: np.ndarray
    variances: np.ndarray
    elbo: np.ndarray


def cavi_gaussian(mu, Sigma, m0, n_sweeps: int = 20) -> CAVIResult:
    r"""Mean-field coordinate ascent (CAVI) for a Gaussian target :math:`\mathcal N(\mu, \Sigma)`.

    With :math:`q(z) = \prod_j\mathcal N(m_j, 1/\Lambda_{jj})` and :math:`\Lambda = \Sigma^{-1}`, the optimal
    factor :math:`\log q_j^* = \mathbb E_{q_{-j}}[\log p(z)] + \text{const}` gives the update, in turn for
    :math:`j = 1, \dots, d`,

    .. math:: m_j \leftarrow \mu_j - \frac{1}{\Lambda_{jj}}\sum_{k\ne j}\Lambda_{jk}(m_k - \mu_k)

    and the variances :math:`1/\Lambda_{jj}` from the first update on. Each update maximises the ELBO over one
    factor, so the ELBO never falls; the means converge to :math:`\mu`.

    Parameters
    ----------
    mu : array_like, shape (d,)
    Sigma : array_like, shape (d, d), symmetric positive definite
    m0 : array_like, shape (d,), the starting means
    n_sweeps : int >= 0, full passes over the coordinates

    Returns
    -------
    CAVIResult
    """
    mu, Sigma, L = _check_target(mu, Sigma)
    m = as_array(m0, "m0", ndim=1).copy()
    if m.shape != mu.shape:
        raise ValueError(f"m0 must have shape {mu.shape} like mu, got {m.shape}")
    n_sweeps = check_int(n_sweeps, "n_sweeps", low=0)
    L_inv = np.linalg.inv(L)
    Lam = L_inv.T @ L_inv
    var = 1.0 / np.diag(Lam)
    means = [m.copy()]
    for _ in range(n_sweeps):
        for j in range(mu.size):
            m[j] = mu[j] - var[j] * (Lam[j] @ (m - mu) - Lam[j, j] * (m[j] - mu[j]))
        means.append(m.copy())
    means = np.array(means)
    kl = _mean_field_kl(means, np.sqrt(var), mu, Lam, 2.0 * float(np.log(np.diag(L)).sum()))
    return CAVIResult(means, var, -kl)


# -- the conjugate normal-mean model ------------------------------------------------------------------------

def _check_model(x, tau, sigma) -> tuple[np.ndarray, float, float]:
    x = as_array(x, "x", ndim=1)
    if x.size == 0:
        raise ValueError("x must hold at least one observation")
    tau = check_float(tau, "tau", low=0, low_open=True)
    sigma = check_float(sigma, "sigma", low=0, low_open=True)
    return x, tau, sigma


def elbo_normal_mean(x, m: float, s: float, *, tau: float, sigma: float) -> float:
    r"""The ELBO of :math:`q = \mathcal N(m, s^2)` in the model :math:`z\sim\mathcal N(0,\tau^2)`,
    :math:`x_i\mid z\sim\mathcal N(z,\sigma^2)`, in closed form.

    .. math::
        \mathcal L(m, s) = \mathbb E_q[\log p(x\mid z)] - D_{KL}\big(q\,\|\,\mathcal N(0,\tau^2)\big)
        = -\frac n2\log(2\pi\sigma^2) - \frac{\sum_i (x_i - m)^2 + n s^2}{2\sigma^2}
        - D_{KL}\big(\mathcal N(m, s^2)\,\|\,\mathcal N(0,\tau^2)\big)

    It is maximal, and equal to :math:`\log p(x)`, at the exact posterior
    :math:`s^{-2} = \tau^{-2} + n\sigma^{-2}`, :math:`m = s^2\sum_i x_i/\sigma^2`.

    Parameters
    ----------
    x : array_like, shape (n,), the observations
    m : float; s : float > 0, the mean and standard deviation of q
    tau, sigma : float > 0, the prior and noise standard deviations

    Returns
    -------
    float
    """
    x, tau, sigma = _check_model(x, tau, sigma)
    m = check_float(m, "m")
    s = check_float(s, "s", low=0, low_open=True)
    n = x.size
    expected_loglik = -0.5 * n * np.log(2 * np.pi * sigma ** 2) - (np.sum((x - m) ** 2) + n * s ** 2) / (2 * sigma ** 2)
    return float(expected_loglik - kl_gaussian(m, s, 0.0, tau))


def elbo_normal_mean_grad(x, m: float, s: float, *, tau: float, sigma: float) -> np.ndarray:
    r"""Gradient of :func:`elbo_normal_mean` with respect to :math:`(m, s)`.

    .. math::
        \frac{\partial\mathcal L}{\partial m} = \frac{\sum_i x_i - n m}{\sigma^2} - \frac{m}{\tau^2},
        \qquad
        \frac{\partial\mathcal L}{\partial s} = -\frac{n s}{\sigma^2} + \frac1s - \frac{s}{\tau^2}

    Returns
    -------
    ndarray, shape (2,)
    """
    x, tau, sigma = _check_model(x, tau, sigma)
    m = check_float(m, "m")
    s = check_float(s, "s", low=0, low_open=True)
    n = x.size
    return np.array([(x.sum() - n * m) / sigma ** 2 - m / tau ** 2, -n * s / sigma ** 2 + 1 / s - s / tau ** 2])


def elbo_normal_mean_mc(x, m: float, s: float, *, tau: float, sigma: float, n_samples: int = 2000,
                        rng=0) -> MCEstimate:
    r"""Reparameterised Monte Carlo estimate of the ELBO of :math:`q = \mathcal N(m, s^2)` in the normal-mean
    model.

    .. math::
        \mathcal L(q) = \mathbb E_q\big[\log p(x\mid z) + \log p(z) - \log q(z)\big]
        \approx \frac1S\sum_{t=1}^S \big(\log p(x\mid z_t) + \log p(z_t) - \log q(z_t)\big),
        \quad z_t = m + s\varepsilon_t,\ \varepsilon_t\sim\mathcal N(0, 1)

    At the exact posterior every term equals :math:`\log p(x)`, so the estimate is exact there.

    Parameters
    ----------
    x : array_like, shape (n,), the observations
    m : float; s : float > 0, the mean and standard deviation of q
    tau, sigma : float > 0, the prior and noise standard deviations
    n_samples : int >= 2, the number S of draws
    rng : int or numpy.random.Generator

    Returns
    -------
    MCEstimate
        The sample mean of the S terms and its standard error.
    """
    x, tau, sigma = _check_model(x, tau, sigma)
    m = check_float(m, "m")
    s = check_float(s, "s", low=0, low_open=True)
    n_samples = check_int(n_samples, "n_samples", low=2)
    eps = check_random_state(rng).standard_normal(n_samples)
    z = m + s * eps                                                                 # (S,)
    log_lik = (-0.5 * x.size * np.log(2 * np.pi * sigma ** 2)
               - ((x[None, :] - z[:, None]) ** 2).sum(axis=1) / (2 * sigma ** 2))  # (S,)
    log_prior = -0.5 * np.log(2 * np.pi * tau ** 2) - z ** 2 / (2 * tau ** 2)
    log_q = -0.5 * np.log(2 * np.pi * s ** 2) - eps ** 2 / 2
    terms = log_lik + log_prior - log_q
    return MCEstimate(float(terms.mean()), float(terms.std(ddof=1) / np.sqrt(n_samples)))


def reparam_vi_normal_mean(x, *, tau: float, sigma: float, n_steps: int = 600, n_pairs: int = 64,
                           lr: float = 0.05, rng=0) -> GaussianFit:
    r"""Stochastic gradient ascent on the ELBO of :math:`q = \mathcal N(m, s^2)` in the normal-mean model.

    Each step draws ``n_pairs`` antithetic pairs :math:`\pm\varepsilon`, sets :math:`z = m + s\varepsilon` and
    follows the reparameterised gradients

    .. math::
        \frac{\partial\mathcal L}{\partial m} \approx \overline{g(z)}, \qquad
        \frac{\partial\mathcal L}{\partial\log s} \approx s\,\overline{g(z)\,\varepsilon} + 1,
        \qquad g(z) = \partial_z\log p(x, z) = \frac{\sum_i (x_i - z)}{\sigma^2} - \frac{z}{\tau^2}

    (the :math:`+1` is the gradient of the entropy :math:`\log s`) with the step
    :math:`\text{lr}/\sqrt{1 + t/100}`. :math:`\log s` is optimised, so :math:`s` stays positive; the iterates
    of the second half are averaged (Polyak averaging).

    Parameters
    ----------
    x : array_like, shape (n,), the observations
    tau, sigma : float > 0, the prior and noise standard deviations
    n_steps : int >= 2; n_pairs : int >= 1; lr : float > 0
    rng : int or numpy.random.Generator

    Returns
    -------
    GaussianFit
        The averaged variational mean and standard deviation.
    """
    x, tau, sigma = _check_model(x, tau, sigma)
    n_steps = check_int(n_steps, "n_steps", low=2)
    n_pairs = check_int(n_pairs, "n_pairs", low=1)
    lr = check_float(lr, "lr", low=0, low_open=True)
    gen = check_random_state(rng)
    m, log_s, n, sx = 0.0, 0.0, x.size, float(x.sum())
    half = n_steps // 2
    tail = np.empty((n_steps - half, 2))
    for t in range(n_steps):
        e = gen.standard_normal(n_pairs)
        eps = np.concatenate([e, -e])
        s = np.exp(log_s)
        z = m + s * eps
        grad_z = (sx - n * z) / sigma ** 2 - z / tau ** 2
        step = lr / np.sqrt(1 + t / 100)
        m += step * grad_z.mean()
        log_s += step * (s * (grad_z * eps).mean() + 1.0)             # d/dlog s = s * d/ds
        if t >= half:
            tail[t - half] = m, log_s
    m_avg, log_s_avg = tail.mean(axis=0)
    return GaussianFit(float(m_avg), float(np.exp(log_s_avg)))

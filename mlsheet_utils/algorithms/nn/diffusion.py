r"""Denoising diffusion on data whose noise predictor is known in closed form.

Forward process and schedules (index ``t = 0 .. T-1`` stands for diffusion step :math:`t+1`):

- :func:`linear_betas`, :func:`cosine_betas`   noise schedules :math:`\beta_t` (DDPM's linear one; Nichol and
  Dhariwal's cosine one);
- :func:`alpha_bars`     :math:`\bar\alpha_t = \prod_{s\le t}(1-\beta_s)`;
- :func:`q_sample`       the closed form :math:`x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon`;
- :func:`forward_chain`  the same process one step at a time, :math:`x_t = \sqrt{1-\beta_t}\,x_{t-1} +
  \sqrt{\beta_t}\,\varepsilon_t`, from given noises.

Exact denoisers for Gaussian-mixture data (every noised marginal is again a mixture):

- :func:`sample_mixture`      draws from the clean mixture :math:`x_0`;
- :func:`noised_mixture`      the components of :math:`q(x_t)`;
- :func:`mixture_score`       :math:`\nabla_x \log q(x_t)` in closed form;
- :class:`MixtureDenoiser`    the exact noise predictor :math:`\varepsilon^*(x_t, t) = -\sqrt{1-\bar\alpha_t}\,
  \nabla\log q(x_t)`, validated once and called inside the samplers;
- :func:`guided_eps`, :class:`GuidedDenoiser`  classifier-free guidance (both through ``_guide``),
  :math:`\varepsilon_u + s(\varepsilon_c - \varepsilon_u)`.

Samplers (both return a :class:`ReverseProcess`, snapshots of the samples along the way):

- :func:`ddpm_sample`   ancestral sampling with the posterior variance :math:`\tilde\beta_t`;
- :func:`ddim_sample`   the deterministic DDIM update on a subsequence of steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from mlsheet_utils.validation import as_array, check_callable, check_float, check_int, check_random_state


def linear_betas(T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    r"""DDPM's linear schedule: :math:`\beta_t` evenly spaced from ``beta_start`` to ``beta_end``, shape (T,).

    The defaults are the ones used with :math:`T = 1000`; for fewer steps scale both ends by ``1000 / T``.
    """
    T = check_int(T, "T", low=1)
    beta_start = check_float(beta_start, "beta_start", low=0.0, high=1.0, low_open=True, high_open=True)
    beta_end = check_float(beta_end, "beta_end", low=beta_start, high=1.0, high_open=True)
    return np.linspace(beta_start, beta_end, T)


def cosine_betas(T: int, s: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    r"""The cosine schedule, defined through :math:`\bar\alpha`, shape (T,).

    .. math::
        \bar\alpha(t) = \frac{f(t)}{f(0)},\quad f(t) = \cos^2\Bigl(\frac{t/T + s}{1+s}\cdot\frac\pi2\Bigr),\qquad
        \beta_t = \min\Bigl(1 - \frac{\bar\alpha(t)}{\bar\alpha(t-1)},\ \text{max\_beta}\Bigr)
    """
    T = check_int(T, "T", low=1)
    s = check_float(s, "s", low=0.0, low_open=True)
    max_beta = check_float(max_beta, "max_beta", low=0.0, high=1.0, low_open=True, high_open=True)
    f = np.cos((np.arange(T + 1) / T + s) / (1 + s) * np.pi / 2) ** 2
    return np.minimum(1 - f[1:] / f[:-1], max_beta)


def alpha_bars(betas) -> np.ndarray:
    r""":math:`\bar\alpha_t = \prod_{s=1}^{t}(1-\beta_s)` for every step, shape (T,) from ``betas`` of shape (T,)."""
    betas = as_array(betas, "betas", ndim=1)
    if betas.size == 0 or np.any(betas <= 0) or np.any(betas >= 1):
        raise ValueError("betas must be a non-empty array of values in (0, 1)")
    return np.cumprod(1.0 - betas)


def q_sample(x0, alpha_bar_t: float, noise) -> np.ndarray:
    r"""Noise clean data to step :math:`t` in one go: :math:`\sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,
    \varepsilon`.

    Parameters
    ----------
    x0 : array_like, shape (n, d)
    alpha_bar_t : float in (0, 1]
    noise : array_like, shape (n, d), standard normal draws :math:`\varepsilon`

    Returns
    -------
    ndarray, shape (n, d)
    """
    x0, noise = as_array(x0, "x0"), as_array(noise, "noise")
    if x0.shape != noise.shape:
        raise ValueError(f"noise must have the shape of x0 {x0.shape}, got {noise.shape}")
    a = check_float(alpha_bar_t, "alpha_bar_t", low=0.0, high=1.0, low_open=True)
    return np.sqrt(a) * x0 + np.sqrt(1 - a) * noise


def forward_chain(x0, betas, noises) -> np.ndarray:
    r"""Run the forward process step by step: :math:`x_t = \sqrt{1-\beta_t}\,x_{t-1} + \sqrt{\beta_t}\,
    \varepsilon_t`.

    Parameters
    ----------
    x0 : array_like, shape (n, d)
    betas : array_like, shape (T,), values in [0, 1]
    noises : array_like, shape (T, n, d), the standard normal draws of each step

    Returns
    -------
    ndarray, shape (T + 1, n, d): :math:`x_0, x_1, \dots, x_T`
    """
    x0 = as_array(x0, "x0", ndim=2)
    betas = as_array(betas, "betas", ndim=1)
    noises = as_array(noises, "noises", ndim=3)
    if np.any(betas < 0) or np.any(betas > 1):
        raise ValueError(f"betas must lie in [0, 1], got values in [{betas.min():g}, {betas.max():g}]")
    if noises.shape != (betas.size, *x0.shape):
        raise ValueError(f"noises must have shape (len(betas), *x0.shape) = {(betas.size, *x0.shape)}, got "
                         f"{noises.shape}")
    out = np.empty((betas.size + 1, *x0.shape))
    out[0] = x0
    for t, b in enumerate(betas):
        out[t + 1] = np.sqrt(1 - b) * out[t] + np.sqrt(b) * noises[t]
    return out


def _check_mixture(weights, means, covs):
    w = as_array(weights, "weights", ndim=1)
    m = as_array(means, "means", ndim=2)
    c = as_array(covs, "covs", ndim=3)
    k, d = m.shape
    if w.shape != (k,) or np.any(w < 0) or not np.isclose(w.sum(), 1.0):
        raise ValueError(f"weights must be {k} non-negative numbers summing to 1 (one per row of means), got {w}")
    if c.shape != (k, d, d):
        raise ValueError(f"covs must have shape {(k, d, d)} (one (d, d) matrix per row of means {m.shape}), got "
                         f"{c.shape}")
    if not np.allclose(c, np.swapaxes(c, 1, 2), rtol=1e-10, atol=1e-12):
        raise ValueError("covs must be symmetric")
    if np.any(np.linalg.eigvalsh(c) <= 0):
        raise ValueError("covs must be symmetric positive definite")
    return w, m, c


def sample_mixture(weights, means, covs, n: int, rng=0) -> np.ndarray:
    r"""Draw ``n`` points from :math:`\sum_k \pi_k \mathcal N(\mu_k, \Sigma_k)`, shape (n, d).

    A component index is drawn for each point, then :math:`\mu_k + L_k z` with :math:`L_k L_k^\top = \Sigma_k`
    (Cholesky) and :math:`z \sim \mathcal N(0, I)`.
    """
    w, m, c = _check_mixture(weights, means, covs)
    n = check_int(n, "n", low=1)
    gen = check_random_state(rng)
    k = gen.choice(len(w), size=n, p=w / w.sum())
    return m[k] + np.einsum("nij,nj->ni", np.linalg.cholesky(c)[k], gen.standard_normal((n, m.shape[1])))


def _noised(means: np.ndarray, covs: np.ndarray, a: float) -> tuple[np.ndarray, np.ndarray]:
    d = means.shape[1]
    return np.sqrt(a) * means, a * covs + (1 - a) * np.eye(d)


def noised_mixture(weights, means, covs, alpha_bar_t: float) -> tuple[np.ndarray, np.ndarray]:
    r"""Components of :math:`q(x_t)` when :math:`x_0 \sim \sum_k \pi_k \mathcal N(\mu_k, \Sigma_k)`.

    Since :math:`x_t` is an affine map of :math:`x_0` plus independent Gaussian noise, each component stays
    Gaussian, with the same weight:

    .. math::
        q(x_t) = \sum_k \pi_k\,\mathcal N\bigl(\sqrt{\bar\alpha_t}\,\mu_k,\ \bar\alpha_t\Sigma_k +
        (1-\bar\alpha_t) I\bigr)

    Returns the pair ``(means_t, covs_t)`` of shapes (K, d) and (K, d, d).
    """
    _, m, c = _check_mixture(weights, means, covs)
    a = check_float(alpha_bar_t, "alpha_bar_t", low=0.0, high=1.0)
    return _noised(m, c, a)


def _score(x: np.ndarray, log_w: np.ndarray, means: np.ndarray, covs: np.ndarray) -> np.ndarray:
    # gradient of log sum_k w_k N(x; m_k, C_k): sum_k r_k(x) C_k^{-1} (m_k - x)
    prec = np.linalg.inv(covs)                                   # (K, d, d)
    diff = means[None, :, :] - x[:, None, :]                     # (n, K, d)
    pd = np.einsum("kij,nkj->nki", prec, diff)                   # (n, K, d)
    _, logdet = np.linalg.slogdet(covs)
    logits = log_w - 0.5 * logdet - 0.5 * np.einsum("nki,nki->nk", diff, pd)
    logits -= logits.max(axis=1, keepdims=True)
    r = np.exp(logits)
    r /= r.sum(axis=1, keepdims=True)
    return np.einsum("nk,nki->ni", r, pd)


def mixture_score(x, weights, means, covs, alpha_bar_t: float = 1.0) -> np.ndarray:
    r"""Score :math:`\nabla_x\log q(x_t)` of the noised mixture at the points ``x``, shape (n, d).

    .. math::
        \nabla_x \log q(x) = \sum_k r_k(x)\,C_k^{-1}(m_k - x),\qquad
        r_k(x) = \frac{\pi_k\mathcal N(x; m_k, C_k)}{\sum_j \pi_j\mathcal N(x; m_j, C_j)}

    with :math:`m_k, C_k` from :func:`noised_mixture` (``alpha_bar_t = 1`` gives the data's own score).
    """
    w, m, c = _check_mixture(weights, means, covs)
    x = as_array(x, "x", ndim=2)
    if x.shape[1] != m.shape[1]:
        raise ValueError(f"x must have {m.shape[1]} columns, got {x.shape[1]}")
    a = check_float(alpha_bar_t, "alpha_bar_t", low=0.0, high=1.0)
    with np.errstate(divide="ignore"):
        log_w = np.log(w)
    return _score(x, log_w, *_noised(m, c, a))


@dataclass(frozen=True)
class MixtureDenoiser:
    r"""The exact noise predictor of Gaussian-mixture data under a schedule.

    ``denoiser(x, t)`` returns :math:`\varepsilon^*(x, t) = \mathbb E[\varepsilon \mid x_t = x] =
    -\sqrt{1-\bar\alpha_t}\,\nabla\log q(x_t)`, shape (n, d), for step index ``t`` (0-based) of
    ``alpha_bar``. Build it with :meth:`create`, which validates once.

    Attributes
    ----------
    log_weights : ndarray, shape (K,)
    means : ndarray, shape (K, d)
    covs : ndarray, shape (K, d, d)
    alpha_bar : ndarray, shape (T,)
    """

    log_weights: np.ndarray
    means: np.ndarray
    covs: np.ndarray
    alpha_bar: np.ndarray

    @classmethod
    def create(cls, weights, means, covs, alpha_bar) -> MixtureDenoiser:
        w, m, c = _check_mixture(weights, means, covs)
        ab = as_array(alpha_bar, "alpha_bar", ndim=1)
        if np.any(ab <= 0) or np.any(ab > 1):
            raise ValueError("alpha_bar must lie in (0, 1]")
        with np.errstate(divide="ignore"):
            return cls(np.log(w), m, c, ab)

    def __call__(self, x: np.ndarray, t: int) -> np.ndarray:
        a = self.alpha_bar[t]
        return -np.sqrt(1 - a) * _score(x, self.log_weights, *_noised(self.means, self.covs, a))


def guided_eps(eps_cond, eps_uncond, scale: float) -> np.ndarray:
    r"""Classifier-free guidance: :math:`\tilde\varepsilon = \varepsilon_u + s\,(\varepsilon_c - \varepsilon_u)`.

    ``scale = 0`` is the unconditional model, ``1`` the conditional one, larger values push further along the
    direction that raises :math:`\log p(c \mid x_t)`. Arrays broadcast; returns their common shape.
    """
    scale = check_float(scale, "scale")
    eps_cond, eps_uncond = as_array(eps_cond, "eps_cond"), as_array(eps_uncond, "eps_uncond")
    try:
        np.broadcast_shapes(eps_cond.shape, eps_uncond.shape)
    except ValueError:
        raise ValueError(f"eps_cond and eps_uncond must broadcast together, got shapes {eps_cond.shape} and "
                         f"{eps_uncond.shape}") from None
    return _guide(np.asarray(eps_cond, dtype=float), np.asarray(eps_uncond, dtype=float), scale)


def _guide(eps_cond: np.ndarray, eps_uncond: np.ndarray, scale: float) -> np.ndarray:
    return eps_uncond + scale * (eps_cond - eps_uncond)


@dataclass(frozen=True)
class GuidedDenoiser:
    """Classifier-free guidance of two noise predictors with the same schedule: ``guided(x, t)``."""

    cond: Callable
    uncond: Callable
    scale: float

    def __post_init__(self):
        check_callable(self.cond, "cond")
        check_callable(self.uncond, "uncond")
        check_float(self.scale, "scale")

    def __call__(self, x: np.ndarray, t: int) -> np.ndarray:
        return _guide(self.cond(x, t), self.uncond(x, t), self.scale)


@dataclass(frozen=True)
class ReverseProcess:
    """Snapshots of a reverse (denoising) run.

    Attributes
    ----------
    steps : ndarray, shape (m,), the diffusion step of each snapshot (T first, 0 last: the samples)
    x : ndarray, shape (m, n, d)
    """

    steps: np.ndarray
    x: np.ndarray

    @property
    def samples(self) -> np.ndarray:
        """The final samples, shape (n, d)."""
        return self.x[-1]


def _keep_steps(T: int, n_frames: int) -> np.ndarray:
    return np.unique(np.round(np.linspace(T, 0, n_frames)).astype(int))[::-1]


def ddpm_sample(eps_model: Callable, betas, n: int, d: int, rng=0, n_frames: int = 2) -> ReverseProcess:
    r"""Ancestral (DDPM) sampling from :math:`x_T \sim \mathcal N(0, I)`.

    .. math::
        x_{t-1} = \frac{1}{\sqrt{\alpha_t}}\Bigl(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,
        \hat\varepsilon(x_t, t)\Bigr) + \tilde\sigma_t z,\qquad
        \tilde\sigma_t^2 = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\beta_t,\ z\sim\mathcal N(0, I)

    (no noise on the last step, where :math:`\bar\alpha_0 = 1`).

    Parameters
    ----------
    eps_model : callable ``(x, t) -> eps``, x of shape (n, d), t the 0-based step index
    betas : array_like, shape (T,)
    n, d : int, number of samples and dimension
    rng : int or numpy.random.Generator
    n_frames : int >= 2, snapshots kept, evenly spaced in steps from T to 0

    Returns
    -------
    ReverseProcess
    """
    eps_model = check_callable(eps_model, "eps_model")
    betas = as_array(betas, "betas", ndim=1)
    ab = alpha_bars(betas)
    n, d = check_int(n, "n", low=1), check_int(d, "d", low=1)
    T = betas.size
    keep = _keep_steps(T, check_int(n_frames, "n_frames", low=2))
    gen = check_random_state(rng)
    ab_prev = np.concatenate([[1.0], ab[:-1]])
    sigma = np.sqrt((1 - ab_prev) / (1 - ab) * betas)
    x = gen.standard_normal((n, d))
    frames = [x.copy()] if keep[0] == T else []
    for t in range(T - 1, -1, -1):
        eps = eps_model(x, t)
        x = (x - betas[t] / np.sqrt(1 - ab[t]) * eps) / np.sqrt(1 - betas[t])
        if t > 0:
            x = x + sigma[t] * gen.standard_normal((n, d))
        if t in keep:
            frames.append(x.copy())
    return ReverseProcess(keep, np.array(frames))


def ddim_sample(eps_model: Callable, alpha_bar, n: int, d: int, n_steps: int, rng=0) -> ReverseProcess:
    r"""Deterministic DDIM sampling (:math:`\eta = 0`) on ``n_steps`` evenly spaced steps.

    .. math::
        \hat x_0 = \frac{x_t - \sqrt{1-\bar\alpha_t}\,\hat\varepsilon}{\sqrt{\bar\alpha_t}},\qquad
        x_{t'} = \sqrt{\bar\alpha_{t'}}\,\hat x_0 + \sqrt{1-\bar\alpha_{t'}}\,\hat\varepsilon

    for consecutive kept steps :math:`t > t'` (with :math:`\bar\alpha = 1` after the last one). Only
    :math:`x_T` is random. Every step is kept as a snapshot.

    Parameters
    ----------
    eps_model : callable ``(x, t) -> eps``, t the 0-based step index into ``alpha_bar``
    alpha_bar : array_like, shape (T,), values in (0, 1]
    n, d : int
    n_steps : int, 1 <= n_steps <= T
    rng : int or numpy.random.Generator, for :math:`x_T`

    Returns
    -------
    ReverseProcess with ``n_steps + 1`` snapshots
    """
    eps_model = check_callable(eps_model, "eps_model")
    ab = as_array(alpha_bar, "alpha_bar", ndim=1)
    if np.any(ab <= 0) or np.any(ab > 1):
        raise ValueError(f"alpha_bar must lie in (0, 1], got values in [{ab.min():g}, {ab.max():g}]")
    n, d = check_int(n, "n", low=1), check_int(d, "d", low=1)
    T = ab.size
    n_steps = check_int(n_steps, "n_steps", low=1, high=T)
    idx = np.unique(np.round(np.linspace(T - 1, 0, n_steps)).astype(int))[::-1]    # 0-based, descending
    x = check_random_state(rng).standard_normal((n, d))
    frames = [x.copy()]
    for i, t in enumerate(idx):
        a_next = ab[idx[i + 1]] if i + 1 < idx.size else 1.0
        eps = eps_model(x, t)
        x0_hat = (x - np.sqrt(1 - ab[t]) * eps) / np.sqrt(ab[t])
        x = np.sqrt(a_next) * x0_hat + np.sqrt(1 - a_next) * eps
        frames.append(x.copy())
    return ReverseProcess(np.concatenate([idx + 1, [0]]), np.array(frames))

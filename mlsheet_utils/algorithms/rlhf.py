r"""Learning from pairwise preferences: a Bradley-Terry reward model, the KL-regularised optimal policy, and DPO.

Everything lives on a finite set of ``K`` candidate responses to one prompt, so expectations are exact sums and
a policy is a probability vector of shape ``(K,)``.

Functions
---------
sample_preferences(reward, first, second, rng)           Bradley-Terry coin flips for given response pairs
bradley_terry_loss(w, phi_win, phi_lose, l2)              mean -log sigma(r_w - r_l), linear reward; gradient
fit_reward_model(phi_win, phi_lose, l2, tol)              Newton's method on that loss -> RewardModel
kl_regularised_objective(policy, reference, reward, beta) E_pi[r] - beta KL(pi || pi_ref)
kl_regularised_optimum(reference, reward, beta)           the maximiser pi* = pi_ref exp(r / beta) / Z
dpo_loss(logits, reference, winners, losers, beta)        DPO's loss of a softmax policy, and its gradient
fit_dpo(reference, winners, losers, beta)                 Newton's method on the DPO loss -> DPOFit
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_expit, logsumexp

from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state


def _probability_vector(p, name):
    p = as_array(p, name, ndim=1)
    if np.any(p < 0) or not np.isclose(p.sum(), 1.0, rtol=0, atol=1e-9):
        raise ValueError(f"{name} must be a probability vector (non-negative, summing to 1), got {p}")
    return p


def _pair_indices(first, second, n, names=("first", "second")):
    out = []
    for arr, name in zip((first, second), names):
        a = np.asarray(arr)
        if a.ndim != 1 or not np.issubdtype(a.dtype, np.integer) or a.size == 0:
            raise ValueError(f"{name} must be a non-empty 1-d array of response indices, got {arr!r}")
        if a.min() < 0 or a.max() >= n:
            raise ValueError(f"{name} must index responses 0..{n - 1}, got values in [{a.min()}, {a.max()}]")
        out.append(a)
    if out[0].shape != out[1].shape:
        raise ValueError(f"{names[0]} and {names[1]} must have the same length, got {out[0].size} and {out[1].size}")
    return out


@dataclass(frozen=True)
class Preferences:
    """Labelled comparisons of two responses.

    Attributes
    ----------
    winners, losers : ndarray of int, shape (n_pairs,)   index of the preferred and of the other response
    """

    winners: np.ndarray
    losers: np.ndarray


def sample_preferences(reward, first, second, rng=0) -> Preferences:
    r"""Label each pair ``(first[i], second[i])`` by a Bradley-Terry annotator with latent reward ``reward``.

    .. math:: P(y_a \succ y_b) = \frac{e^{r_a}}{e^{r_a} + e^{r_b}} = \sigma(r_a - r_b)

    Parameters
    ----------
    reward : array, shape (K,)             latent reward of each response
    first, second : int arrays, shape (n,) the two responses shown in each comparison
    rng : int or numpy.random.Generator   (default 0: a fixed seed, so every run is reproducible)

    Returns
    -------
    Preferences
    """
    reward = as_array(reward, "reward", ndim=1)
    first, second = _pair_indices(first, second, reward.size)
    rng = check_random_state(rng)
    first_wins = rng.random(first.size) < expit(reward[first] - reward[second])
    return Preferences(winners=np.where(first_wins, first, second), losers=np.where(first_wins, second, first))


def _bt_loss(w, d, l2):
    margin = d @ w
    value = -np.mean(log_expit(margin)) + 0.5 * l2 * w @ w
    grad = -d.T @ expit(-margin) / d.shape[0] + l2 * w
    return value, grad


def bradley_terry_loss(w, phi_win, phi_lose, l2=0.0):
    r"""Negative log-likelihood of a linear Bradley-Terry reward model, with an optional ridge term.

    With :math:`r(y) = w^\top \phi(y)` and :math:`d_i = \phi(y_{w,i}) - \phi(y_{l,i})`,

    .. math:: \mathcal L(w) = -\frac1n \sum_i \log \sigma(w^\top d_i) + \frac{\lambda}{2}\lVert w\rVert^2,
              \qquad \nabla \mathcal L = -\frac1n \sum_i \sigma(-w^\top d_i)\, d_i + \lambda w.

    Parameters
    ----------
    w : array, shape (p,)
    phi_win, phi_lose : arrays, shape (n, p)   features of the preferred and of the other response
    l2 : float >= 0                           ridge strength :math:`\lambda`

    Returns
    -------
    (float, ndarray of shape (p,))            the loss and its gradient
    """
    phi_win = as_array(phi_win, "phi_win", ndim=2)
    phi_lose = as_array(phi_lose, "phi_lose", ndim=2)
    if phi_win.shape != phi_lose.shape:
        raise ValueError(f"phi_win and phi_lose must have the same shape, got {phi_win.shape} and {phi_lose.shape}")
    w = as_array(w, "w", ndim=1)
    if w.size != phi_win.shape[1]:
        raise ValueError(f"w must have {phi_win.shape[1]} entries (one per feature), got {w.size}")
    l2 = check_float(l2, "l2", low=0.0)
    return _bt_loss(w, phi_win - phi_lose, l2)


@dataclass(frozen=True)
class RewardModel:
    r"""A fitted linear reward :math:`r(y) = w^\top \phi(y)`.

    Attributes
    ----------
    coef : ndarray, shape (p,)   the weights w
    loss : float                 the training loss at ``coef``
    n_iter : int                 Newton steps taken
    """

    coef: np.ndarray
    loss: float
    n_iter: int


def fit_reward_model(phi_win, phi_lose, l2=1e-3, tol=1e-10, max_iter=100) -> RewardModel:
    r"""Fit a linear Bradley-Terry reward model by Newton's method.

    The Hessian of the loss of :func:`bradley_terry_loss` is
    :math:`\frac1n \sum_i \sigma(m_i)\sigma(-m_i)\, d_i d_i^\top + \lambda I` with :math:`m_i = w^\top d_i`;
    the loss is convex, and strictly so for :math:`\lambda > 0`. This is logistic regression without intercept
    on the difference features :math:`d_i` with every label 1.

    Parameters
    ----------
    phi_win, phi_lose : arrays, shape (n, p)
    l2 : float > 0
    tol : float > 0     stop when the largest gradient entry is below it
    max_iter : int >= 1

    Returns
    -------
    RewardModel
    """
    phi_win = as_array(phi_win, "phi_win", ndim=2)
    phi_lose = as_array(phi_lose, "phi_lose", ndim=2)
    if phi_win.shape != phi_lose.shape:
        raise ValueError(f"phi_win and phi_lose must have the same shape, got {phi_win.shape} and {phi_lose.shape}")
    l2 = check_float(l2, "l2", low=0.0, low_open=True)
    tol = check_float(tol, "tol", low=0.0, low_open=True)
    max_iter = check_int(max_iter, "max_iter", low=1)
    d = phi_win - phi_lose
    n, p = d.shape
    w = np.zeros(p)
    it = 0
    while it < max_iter:
        it += 1
        value, grad = _bt_loss(w, d, l2)
        s = expit(d @ w)
        hess = (d * (s * (1 - s))[:, None]).T @ d / n + l2 * np.eye(p)
        w = w - np.linalg.solve(hess, grad)
        if np.max(np.abs(grad)) < tol:
            break
    value, _ = _bt_loss(w, d, l2)
    return RewardModel(coef=w, loss=float(value), n_iter=it)


def kl_regularised_objective(policy, reference, reward, beta):
    r"""The RLHF objective of a policy over ``K`` responses.

    .. math:: J(\pi) = \sum_y \pi(y) r(y) - \beta \sum_y \pi(y) \log\frac{\pi(y)}{\pi_{\text{ref}}(y)}

    Parameters
    ----------
    policy, reference : probability vectors, shape (K,)
    reward : array, shape (K,)
    beta : float > 0

    Returns
    -------
    float   (``-inf`` if the policy puts mass where the reference has none)
    """
    policy = _probability_vector(policy, "policy")
    reference = _probability_vector(reference, "reference")
    reward = as_array(reward, "reward", ndim=1)
    if not policy.size == reference.size == reward.size:
        raise ValueError(f"policy, reference and reward must have one entry per response, got sizes "
                         f"{policy.size}, {reference.size}, {reward.size}")
    beta = check_float(beta, "beta", low=0.0, low_open=True)
    on = policy > 0
    if np.any(reference[on] == 0):
        return -np.inf
    kl = np.sum(policy[on] * (np.log(policy[on]) - np.log(reference[on])))
    return float(policy @ reward - beta * kl)


def kl_regularised_optimum(reference, reward, beta):
    r"""The policy that maximises :func:`kl_regularised_objective`: a Gibbs reweighting of the reference.

    .. math:: \pi^*(y) = \frac{\pi_{\text{ref}}(y)\, e^{r(y)/\beta}}{\sum_{y'} \pi_{\text{ref}}(y')\, e^{r(y')/\beta}}

    computed in log space, so a small :math:`\beta` does not overflow.

    Parameters
    ----------
    reference : probability vector, shape (K,)
    reward : array, shape (K,)
    beta : float > 0

    Returns
    -------
    ndarray, shape (K,)
    """
    reference = _probability_vector(reference, "reference")
    reward = as_array(reward, "reward", ndim=1)
    if reward.size != reference.size:
        raise ValueError(f"reward must have {reference.size} entries, got {reward.size}")
    beta = check_float(beta, "beta", low=0.0, low_open=True)
    with np.errstate(divide="ignore"):
        logits = np.log(reference) + reward / beta
    return np.exp(logits - logsumexp(logits))


def _dpo(theta, log_ref, win, lose, beta, n):
    log_pi = theta - logsumexp(theta)
    implicit = beta * (log_pi - log_ref)             # implicit reward beta log(pi / pi_ref), shape (K,)
    margin = implicit[win] - implicit[lose]
    value = -np.mean(log_expit(margin))
    g_pair = -expit(-margin) * beta / n              # d value / d margin, per pair
    g_logpi = np.bincount(win, g_pair, minlength=theta.size) - np.bincount(lose, g_pair, minlength=theta.size)
    pi = np.exp(log_pi)
    grad = g_logpi - pi * g_logpi.sum()              # chain rule through log-softmax
    return value, grad


def dpo_loss(logits, reference, winners, losers, beta):
    r"""DPO's loss for a softmax policy :math:`\pi = \mathrm{softmax}(\theta)` over ``K`` responses.

    .. math:: \mathcal L(\theta) = -\frac1n \sum_i \log\sigma\big(\hat r(y_{w,i}) - \hat r(y_{l,i})\big),
              \qquad \hat r(y) = \beta \log\frac{\pi_\theta(y)}{\pi_{\text{ref}}(y)},

    the Bradley-Terry loss with the implicit reward :math:`\hat r`.

    Parameters
    ----------
    logits : array, shape (K,)
    reference : probability vector, shape (K,), all entries positive
    winners, losers : int arrays, shape (n,)
    beta : float > 0

    Returns
    -------
    (float, ndarray of shape (K,))   the loss and its gradient with respect to the logits
    """
    logits = as_array(logits, "logits", ndim=1)
    reference = _probability_vector(reference, "reference")
    if reference.size != logits.size:
        raise ValueError(f"logits and reference must have one entry per response, got sizes {logits.size} and "
                         f"{reference.size}")
    if reference.size != logits.size or np.any(reference == 0):
        raise ValueError(f"reference must have {logits.size} positive entries, got {reference}")
    winners, losers = _pair_indices(winners, losers, logits.size, ("winners", "losers"))
    beta = check_float(beta, "beta", low=0.0, low_open=True)
    return _dpo(logits, np.log(reference), winners, losers, beta, winners.size)


@dataclass(frozen=True)
class DPOFit:
    """A policy fitted by DPO.

    Attributes
    ----------
    policy : ndarray, shape (K,)   the fitted softmax policy
    loss : float                   the DPO loss there
    n_iter : int                   Newton steps taken
    """

    policy: np.ndarray
    loss: float
    n_iter: int


def _dpo_hessian(theta, log_ref, win, lose, beta, n):
    k = theta.size
    log_pi = theta - logsumexp(theta)
    pi = np.exp(log_pi)
    s = expit(beta * ((log_pi - log_ref)[win] - (log_pi - log_ref)[lose]))
    d = np.zeros((n, k))
    d[np.arange(n), win] += 1.0
    d[np.arange(n), lose] -= 1.0
    g_u = -beta * d.T @ (1.0 - s) / n                 # gradient with respect to log pi
    h_u = beta**2 * (d * (s * (1.0 - s))[:, None]).T @ d / n
    jac = np.eye(k) - pi[None, :]                      # d log pi / d theta
    return jac.T @ h_u @ jac - g_u.sum() * (np.diag(pi) - np.outer(pi, pi))


def fit_dpo(reference, winners, losers, beta, tol=1e-10, max_iter=100) -> DPOFit:
    r"""Minimise :func:`dpo_loss` over the logits by damped Newton steps.

    Starts at :math:`\pi = \pi_{\text{ref}}`. With :math:`u = \log\pi_\theta`, the Hessian in the logits is
    :math:`J^\top H_u J - (\mathbf 1^\top g_u)(\mathrm{diag}\,\pi - \pi\pi^\top)`
    with :math:`J = I - \mathbf 1\pi^\top` and :math:`g_u, H_u` the gradient and Hessian of the Bradley-Terry
    loss in :math:`u`. It is singular along :math:`\mathbf 1` (a constant added to every logit changes
    nothing), so the step is a least-squares solve; a backtracking line search keeps every step a descent.
    The log-policy is fixed up to that constant only if every response takes part in some pair.

    Parameters
    ----------
    reference : probability vector, shape (K,), all entries positive
    winners, losers : int arrays, shape (n,)
    beta : float > 0
    tol : float > 0        stop when the largest gradient entry is below it
    max_iter : int >= 1

    Returns
    -------
    DPOFit
    """
    reference = _probability_vector(reference, "reference")
    if np.any(reference == 0):
        raise ValueError(f"reference must be positive everywhere, got {reference}")
    winners, losers = _pair_indices(winners, losers, reference.size, ("winners", "losers"))
    beta = check_float(beta, "beta", low=0.0, low_open=True)
    tol = check_float(tol, "tol", low=0.0, low_open=True)
    max_iter = check_int(max_iter, "max_iter", low=1)
    log_ref = np.log(reference)
    theta = log_ref.copy()
    args = (log_ref, winners, losers, beta, winners.size)
    value, grad = _dpo(theta, *args)
    it = 0
    while it < max_iter and np.max(np.abs(grad)) >= tol:
        it += 1
        direction = -np.linalg.lstsq(_dpo_hessian(theta, *args), grad, rcond=None)[0]
        if grad @ direction >= 0:                     # not a descent direction: fall back to the gradient
            direction = -grad
        step = 1.0
        while True:
            trial = theta + step * direction
            v_trial, g_trial = _dpo(trial, *args)
            if v_trial <= value + 1e-4 * step * grad @ direction or step < 1e-12:
                break
            step /= 2.0
        theta, value, grad = trial, v_trial, g_trial
    policy = np.exp(theta - logsumexp(theta))
    return DPOFit(policy=policy, loss=float(value), n_iter=it)

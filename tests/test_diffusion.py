"""Diffusion schedules, forward process, exact mixture predictor and samplers against closed forms and SciPy."""

import numpy as np
import pytest
from scipy import stats

from mlsheet_utils.algorithms.nn import diffusion as diff

W = np.array([0.6, 0.4])
MEANS = np.array([[-1.5, 0.5], [1.0, -1.0]])
COVS = np.array([[[0.3, 0.1], [0.1, 0.4]], 0.25 * np.eye(2)])


def _log_q(x, a, weights=W):
    return np.log(sum(w * stats.multivariate_normal(np.sqrt(a) * m, a * c + (1 - a) * np.eye(2)).pdf(x)
                      for w, m, c in zip(weights, MEANS, COVS)))


def test_alpha_bars_is_a_cumulative_product():
    b = diff.linear_betas(100, 1e-3, 0.05)
    np.testing.assert_allclose(b, np.linspace(1e-3, 0.05, 100), rtol=1e-14)
    np.testing.assert_allclose(diff.alpha_bars(b)[[0, 49, 99]], [np.prod(1 - b[: t + 1]) for t in (0, 49, 99)],
                               rtol=1e-12)


def test_cosine_schedule_matches_its_definition():
    T, s = 50, 0.008
    f = np.cos((np.arange(T + 1) / T + s) / (1 + s) * np.pi / 2) ** 2
    np.testing.assert_allclose(diff.alpha_bars(diff.cosine_betas(T, s))[:45], f[1:46] / f[0], rtol=1e-10)


@pytest.mark.parametrize("seed", [0, 1])
def test_forward_chain_agrees_with_closed_form(seed):
    g = np.random.default_rng(seed)
    betas = diff.linear_betas(20, 0.01, 0.2)
    ab = diff.alpha_bars(betas)
    x0, noises = g.standard_normal((7, 3)), g.standard_normal((20, 7, 3))
    chain = diff.forward_chain(x0, betas, noises)
    coef = np.sqrt(ab[-1] / ab * betas)
    eps = np.einsum("s,snd->nd", coef, noises) / np.sqrt(1 - ab[-1])
    np.testing.assert_allclose(diff.q_sample(x0, ab[-1], eps), chain[-1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("a", [1.0, 0.7, 0.05])
def test_mixture_score_matches_finite_differences(a):
    x, h = np.random.default_rng(3).uniform(-2, 2, (5, 2)), 1e-5
    fd = np.stack([(_log_q(x + h * e, a) - _log_q(x - h * e, a)) / (2 * h) for e in np.eye(2)], axis=1)
    np.testing.assert_allclose(diff.mixture_score(x, W, MEANS, COVS, a), fd, rtol=1e-6, atol=1e-8)


def test_noised_mixture_moments():
    m_t, c_t = diff.noised_mixture(W, MEANS, COVS, 0.4)
    np.testing.assert_allclose(m_t, np.sqrt(0.4) * MEANS, rtol=1e-14)
    np.testing.assert_allclose(c_t, 0.4 * COVS + 0.6 * np.eye(2), rtol=1e-14)


def test_one_step_samplers_return_the_posterior_mean():
    a = 0.4
    x_t = np.random.default_rng(4).standard_normal((6, 2))
    resp = np.array([w * stats.multivariate_normal(np.sqrt(a) * m, a * c + (1 - a) * np.eye(2)).pdf(x_t)
                     for w, m, c in zip(W, MEANS, COVS)])
    resp /= resp.sum(axis=0)
    means = np.array([m + np.sqrt(a) * (c @ np.linalg.solve(a * c + (1 - a) * np.eye(2), (x_t - np.sqrt(a) * m).T)).T
                      for m, c in zip(MEANS, COVS)])
    ref = np.einsum("kn,knd->nd", resp, means)
    den = diff.MixtureDenoiser.create(W, MEANS, COVS, [a])
    np.testing.assert_allclose(diff.ddim_sample(den, [a], 6, 2, 1, rng=4).samples, ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(diff.ddpm_sample(den, [1 - a], 6, 2, rng=4).samples, ref, rtol=1e-9, atol=1e-12)


def test_guidance_is_score_plus_classifier_gradient():
    a, s, h = 0.5, 2.0, 1e-5
    x = np.random.default_rng(5).uniform(-2, 2, (4, 2))
    e_u = -np.sqrt(1 - a) * diff.mixture_score(x, W, MEANS, COVS, a)
    e_c = -np.sqrt(1 - a) * diff.mixture_score(x, [1.0, 0.0], MEANS, COVS, a)

    def log_post(p):
        return np.log(W[0]) + _log_q(p, a, [1.0, 0.0]) - _log_q(p, a)

    grad_u = np.stack([(_log_q(x + h * e, a) - _log_q(x - h * e, a)) / (2 * h) for e in np.eye(2)], axis=1)
    grad_c = np.stack([(log_post(x + h * e) - log_post(x - h * e)) / (2 * h) for e in np.eye(2)], axis=1)
    np.testing.assert_allclose(diff.guided_eps(e_c, e_u, s), -np.sqrt(1 - a) * (grad_u + s * grad_c),
                               rtol=1e-6, atol=1e-8)


def test_ddpm_recovers_a_gaussian():
    # one component: the samples' mean and variance within 5 standard errors of the data's
    betas = diff.linear_betas(200, 1e-4 * 5, 0.02 * 5)
    den = diff.MixtureDenoiser.create([1.0], [[1.0, -2.0]], [np.diag([0.5, 2.0])], diff.alpha_bars(betas))
    x = diff.ddpm_sample(den, betas, 4000, 2, rng=0).samples
    assert np.all(np.abs(x.mean(0) - [1.0, -2.0]) < 5 * np.sqrt(np.array([0.5, 2.0]) / 4000))
    assert np.all(np.abs(x.var(0, ddof=1) - [0.5, 2.0]) < 5 * np.array([0.5, 2.0]) * np.sqrt(2 / 3999))


def test_bad_inputs():
    with pytest.raises(ValueError, match="T"):
        diff.linear_betas(0)
    with pytest.raises(ValueError, match="betas"):
        diff.alpha_bars([0.1, 1.5])
    with pytest.raises(ValueError, match="noise"):
        diff.q_sample(np.zeros((2, 2)), 0.5, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="weights"):
        diff.noised_mixture([0.5, 0.6], MEANS, COVS, 0.5)
    with pytest.raises(ValueError, match="covs"):
        diff.mixture_score(np.zeros((1, 2)), W, MEANS, -COVS)
    with pytest.raises(ValueError, match="n_steps"):
        diff.ddim_sample(lambda x, t: x, [0.5, 0.2], 3, 2, 5)

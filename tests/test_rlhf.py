"""Tests of mlsheet_utils.algorithms.rlhf against independent references (SciPy, scikit-learn, closed forms)."""

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit, log_expit, softmax
from scipy.stats import entropy
from sklearn.linear_model import LogisticRegression

from mlsheet_utils.algorithms import rlhf


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bradley_terry_loss_matches_scipy_and_finite_differences(seed):
    rng = np.random.default_rng(seed)
    a, b, w = rng.normal(size=(30, 3)), rng.normal(size=(30, 3)), rng.normal(size=3)
    value, grad = rlhf.bradley_terry_loss(w, a, b, l2=0.3)
    assert np.isclose(value, -np.mean(log_expit((a - b) @ w)) + 0.15 * w @ w, rtol=1e-12)
    eps = 1e-6
    fd = [(rlhf.bradley_terry_loss(w + eps * e, a, b, 0.3)[0] - rlhf.bradley_terry_loss(w - eps * e, a, b, 0.3)[0])
          / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reward_model_matches_sklearn_logistic_regression(seed):
    rng = np.random.default_rng(seed)
    phi = rng.normal(size=(8, 3))
    first, second = rng.integers(8, size=(2, 300))
    prefs = rlhf.sample_preferences(phi @ np.array([1.0, -0.5, 0.3]), first, second, rng)
    l2 = 0.01
    fit = rlhf.fit_reward_model(phi[prefs.winners], phi[prefs.losers], l2=l2)
    sk = LogisticRegression(C=1 / (2 * l2 * 300), fit_intercept=False, tol=1e-12, max_iter=10_000)
    d = phi[prefs.winners] - phi[prefs.losers]
    sk.fit(np.vstack([d, -d]), np.r_[np.ones(300), np.zeros(300)])    # both orders: twice the loss, C halved
    np.testing.assert_allclose(fit.coef, sk.coef_[0], rtol=1e-5, atol=1e-8)


def test_sample_preferences_rate():
    r = np.array([0.8, 0.0])
    p = rlhf.sample_preferences(r, np.zeros(40_000, int), np.ones(40_000, int), rng=0)
    assert abs(np.mean(p.winners == 0) - expit(0.8)) < 4 * np.sqrt(0.25 / 40_000)


@pytest.mark.parametrize("beta", [3.0, 1.0, 0.4])
def test_kl_optimum_maximises_objective(beta):
    rng = np.random.default_rng(5)
    ref, reward = rng.dirichlet(np.ones(6)), rng.normal(size=6)
    closed = rlhf.kl_regularised_optimum(ref, reward, beta)
    res = minimize(lambda t: -(softmax(t) @ reward - beta * entropy(softmax(t), ref)), np.log(ref), method="BFGS",
                   options={"gtol": 1e-11})
    np.testing.assert_allclose(closed, softmax(res.x), rtol=1e-4, atol=1e-7)
    assert np.isclose(rlhf.kl_regularised_objective(closed, ref, reward, beta),
                      beta * np.log(ref @ np.exp(reward / beta)), rtol=1e-12)


def test_dpo_matches_optimum_of_tabular_reward():
    rng = np.random.default_rng(3)
    reward, ref = rng.normal(size=5), rng.dirichlet(np.ones(5) * 3)
    pairs = np.array([(i, j) for i in range(5) for j in range(i + 1, 5)] * 30).T
    prefs = rlhf.sample_preferences(reward, pairs[0], pairs[1], rng)
    onehot = np.eye(5)
    d = onehot[prefs.winners] - onehot[prefs.losers]
    tab = LogisticRegression(C=np.inf, fit_intercept=False, tol=1e-12, max_iter=10_000)
    tab.fit(np.vstack([d, -d]), np.r_[np.ones(len(d)), np.zeros(len(d))])
    fit = rlhf.fit_dpo(ref, prefs.winners, prefs.losers, 0.5)
    np.testing.assert_allclose(fit.policy, rlhf.kl_regularised_optimum(ref, tab.coef_[0], 0.5), rtol=1e-5,
                               atol=1e-9)
    value, grad = rlhf.dpo_loss(np.log(ref), ref, prefs.winners, prefs.losers, 0.5)
    assert np.isclose(value, np.log(2), rtol=1e-12)                  # pi = pi_ref: every implicit gap is 0
    eps, theta = 1e-6, np.log(ref)
    fd = [(rlhf.dpo_loss(theta + eps * e, ref, prefs.winners, prefs.losers, 0.5)[0]
           - rlhf.dpo_loss(theta - eps * e, ref, prefs.winners, prefs.losers, 0.5)[0]) / (2 * eps) for e in onehot]
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-10)


def test_bad_inputs():
    with pytest.raises(ValueError, match="beta"):
        rlhf.kl_regularised_optimum([0.5, 0.5], [1.0, 0.0], 0.0)
    with pytest.raises(ValueError, match="reference"):
        rlhf.kl_regularised_optimum([0.5, 0.6], [1.0, 0.0], 1.0)
    with pytest.raises(ValueError, match="phi_win and phi_lose"):
        rlhf.bradley_terry_loss([1.0], np.ones((3, 1)), np.ones((2, 1)))
    with pytest.raises(ValueError, match="winners"):
        rlhf.fit_dpo([0.5, 0.5], [0, 2], [1, 0], 1.0)
    with pytest.raises(ValueError, match="l2"):
        rlhf.fit_reward_model(np.ones((3, 1)), np.zeros((3, 1)), l2=0.0)

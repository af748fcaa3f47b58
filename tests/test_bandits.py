import numpy as np
import pytest
import scipy.stats

from mlsheet_utils.algorithms import bandits


def test_beta_posterior_matches_conjugate_update_on_a_grid():
    a, b = bandits.beta_posterior(3, 5, 2.0, 1.0)
    grid = np.linspace(0.01, 0.99, 99)
    unnorm = scipy.stats.beta(2.0, 1.0).pdf(grid) * grid ** 3 * (1 - grid) ** 5
    ratio = unnorm / scipy.stats.beta(a, b).pdf(grid)
    assert np.allclose(ratio, ratio[0], rtol=1e-10)


def test_ucb_score_formula_and_unpulled_arms():
    s = bandits.ucb_score([0.2, 0.5, 0.0], [4, 9, 0], 13, c=1.5)
    assert np.isclose(s[0], 0.2 + 1.5 * np.sqrt(np.log(13) / 4))
    assert np.isclose(s[1], 0.5 + 1.5 * np.sqrt(np.log(13) / 9))
    assert s[2] == np.inf


def test_regret_is_cumulative_gap_and_epsilon_one_is_uniform():
    means = np.array([0.7, 0.2, 0.4])
    run = bandits.run_bandit(means, 400, "epsilon-greedy", 300, epsilon=1.0, rng=0)
    assert np.allclose(run.regret, np.cumsum(0.7 - means[run.arms], axis=1))
    freq = np.bincount(run.arms.ravel(), minlength=3) / run.arms.size
    assert np.allclose(freq, 1 / 3, atol=5 * np.sqrt(2 / 9 / run.arms.size))
    # a chi-square test on the rewards of arm 0
    assert abs(run.rewards[run.arms == 0].mean() - 0.7) < 5 * np.sqrt(0.21 / (run.arms == 0).sum())


@pytest.mark.parametrize("policy", ["ucb", "thompson"])
def test_good_policies_find_the_best_arm(policy):
    run = bandits.run_bandit([0.3, 0.8], 500, policy, 50, rng=1)
    assert (run.arms[:, -100:] == 1).mean() > 0.9


def test_lai_robbins_two_arms_closed_form():
    p, q = 0.6, 0.5
    kl = p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))
    kl_qp = q * np.log(q / p) + (1 - q) * np.log((1 - q) / (1 - p))
    assert np.isclose(bandits.lai_robbins_constant([q, p]), 0.1 / kl_qp)
    assert kl > 0


@pytest.mark.parametrize("kwargs", [dict(means=[0.5], horizon=10, policy="ucb"),
                                    dict(means=[0.5, 1.5], horizon=10, policy="ucb"),
                                    dict(means=[0.5, 0.4], horizon=0, policy="ucb"),
                                    dict(means=[0.5, 0.4], horizon=10, policy="greedy"),
                                    dict(means=[0.5, 0.4], horizon=10, policy="ucb", epsilon=2.0)])
def test_bad_inputs_raise(kwargs):
    with pytest.raises(ValueError):
        bandits.run_bandit(**kwargs)
    with pytest.raises(ValueError, match="failures"):
        bandits.beta_posterior(1, -1)

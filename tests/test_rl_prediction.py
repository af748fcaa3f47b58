import numpy as np
import pytest
from sklearn.metrics import mean_squared_error

from mlsheet_utils.algorithms import policy_gradient as pg
from mlsheet_utils.algorithms import rl
from mlsheet_utils.algorithms import rl_prediction as rp


def random_episodes(rng, S, n):
    """Episodes with random states (repeats likely) and random rewards, all ending in a terminal state."""
    return [pg.Episode(rng.integers(0, S, size=T), np.zeros(T, dtype=int), rng.normal(size=T), False)
            for T in rng.integers(1, 9, size=n)]


def brute_force_mc(episodes, S, gamma, first_visit):
    """Gold reference: every return written out as sum_k gamma^k r_{t+k+1}, averaged with plain lists."""
    returns = [[] for _ in range(S)]
    for ep in episodes:
        seen = set()
        for t, s in enumerate(ep.states.tolist()):
            if first_visit and s in seen:
                continue
            seen.add(s)
            returns[s].append(sum(gamma ** k * r for k, r in enumerate(ep.rewards[t:].tolist())))
    return np.array([np.mean(g) if g else 0.0 for g in returns])


def random_walk_episodes(n, rng):
    """The five-state random walk as a corridor of seven cells, played from the middle; true values k/6."""
    walk = rl.corridor(0.9, length=7, left_reward=0.0, right_reward=1.0)
    return [pg.sample_episode(walk, np.full((7, 2), 0.5), rng, start=3) for _ in range(n)]


@pytest.mark.parametrize("first_visit", [True, False])
def test_mc_prediction_matches_brute_force_returns(first_visit):
    rng = np.random.default_rng(0)
    for _ in range(5):
        S, gamma = int(rng.integers(2, 6)), float(rng.uniform(0, 1))
        eps = random_episodes(rng, S, int(rng.integers(1, 12)))
        res = rp.mc_prediction(eps, S, gamma, first_visit=first_visit)
        np.testing.assert_allclose(res.V, brute_force_mc(eps, S, gamma, first_visit), rtol=1e-12, atol=1e-12)
        for k in (1, len(eps)):          # the history row after k episodes is the estimate from the first k
            np.testing.assert_allclose(res.V_history[k], brute_force_mc(eps[:k], S, gamma, first_visit),
                                       rtol=1e-12, atol=1e-12)


def test_constant_alpha_mc_with_alpha_one_keeps_the_last_return():
    rng = np.random.default_rng(1)
    eps = random_episodes(rng, 4, 6)
    V = rp.constant_alpha_mc(eps, 4, 1.0, 0.8).V
    last = {}
    for ep in eps:
        for t, s in enumerate(ep.states.tolist()):
            last[s] = sum(0.8 ** k * r for k, r in enumerate(ep.rewards[t:].tolist()))
    np.testing.assert_allclose([V[s] for s in last], list(last.values()), rtol=1e-12)


def test_td0_one_step_by_hand():
    # states 0 -> 1 -> terminal, rewards 2 and 5, gamma 0.5, alpha 0.5, from V = 1
    ep = pg.Episode(np.array([0, 1]), np.zeros(2, dtype=int), np.array([2.0, 5.0]), False)
    V = rp.td0_prediction([ep], 2, 0.5, 0.5, v_init=1.0).V
    v0 = 1 + 0.5 * (2 + 0.5 * 1 - 1)        # uses the old V(1) = 1
    v1 = 1 + 0.5 * (5 - 1)                  # terminal next state: no bootstrap
    np.testing.assert_allclose(V, [v0, v1], rtol=1e-15)


def test_td0_and_mc_reach_the_random_walk_values():
    eps = random_walk_episodes(3000, np.random.default_rng(2))
    true = np.arange(1, 6) / 6
    td = rp.td0_prediction(eps, 7, 0.01, v_init=0.5).V[1:6]
    mc = rp.mc_prediction(eps, 7).V[1:6]
    np.testing.assert_allclose(td, true, atol=0.06)
    np.testing.assert_allclose(mc, true, atol=0.04)


def test_batch_td_is_certainty_equivalence_and_ab_example():
    a_b = [pg.Episode(np.array([0, 1]), np.zeros(2, dtype=int), np.array([0.0, 0.0]), False)]
    a_b += [pg.Episode(np.array([1]), np.zeros(1, dtype=int), np.array([r]), False) for r in [1.0] * 6 + [0.0]]
    np.testing.assert_allclose(rp.batch_td0(a_b, 2), [0.75, 0.75], atol=1e-9)
    np.testing.assert_allclose(rp.certainty_equivalence(a_b, 2), [0.75, 0.75], atol=1e-12)
    np.testing.assert_allclose(rp.mc_prediction(a_b, 2, first_visit=False).V, [0.0, 0.75], atol=1e-12)
    rng = np.random.default_rng(3)
    for _ in range(4):
        eps = random_episodes(rng, 4, 10)
        gamma = float(rng.uniform(0, 0.9))
        np.testing.assert_allclose(rp.batch_td0(eps, 4, gamma), rp.certainty_equivalence(eps, 4, gamma), atol=1e-8)


def test_rms_error_matches_scikit_learn():
    rng = np.random.default_rng(4)
    V, v = rng.normal(size=(3, 6)), rng.normal(size=6)
    ref = [np.sqrt(mean_squared_error(v, row)) for row in V]
    np.testing.assert_allclose(rp.rms_error(V, v), ref, rtol=1e-12)


def test_bad_inputs_raise():
    ep = pg.Episode(np.array([0]), np.zeros(1, dtype=int), np.array([1.0]), False)
    cut = pg.Episode(np.array([0]), np.zeros(1, dtype=int), np.array([1.0]), True)
    with pytest.raises(ValueError, match="truncated"):
        rp.mc_prediction([cut], 1)
    with pytest.raises(ValueError, match="alpha"):
        rp.td0_prediction([ep], 1, 0.0)
    with pytest.raises(ValueError, match="gamma"):
        rp.constant_alpha_mc([ep], 1, 0.5, 1.5)
    with pytest.raises(ValueError, match="episodes"):
        rp.mc_prediction([], 1)
    with pytest.raises(ValueError, match="states"):
        rp.certainty_equivalence([pg.Episode(np.array([3]), np.zeros(1, dtype=int), np.array([1.0]), False)], 2)
    with pytest.raises(ValueError, match="v_true"):
        rp.rms_error(np.zeros(3), np.zeros(4))


def brute_force_lambda_return(ep, V, S, gamma, lam):
    """Gold reference: the lambda-return as the weighted sum of explicit n-step returns."""
    states, r = ep.states.tolist() + [S], ep.rewards.tolist()
    T, V = len(r), list(V) + [0.0]
    out = []
    for t in range(T):
        n_step = [sum(gamma ** j * r[t + j] for j in range(n)) + gamma ** n * V[states[t + n]]
                  for n in range(1, T - t + 1)]
        weights = [(1 - lam) * lam ** (n - 1) for n in range(1, T - t)] + [lam ** (T - t - 1)]
        out.append(sum(w * g for w, g in zip(weights, n_step)))
    return out


def test_lambda_return_offline_matches_explicit_n_step_mixture():
    rng = np.random.default_rng(5)
    for _ in range(4):
        S, gamma, lam, alpha = 4, float(rng.uniform(0.5, 1)), float(rng.uniform(0, 1)), 0.3
        eps = random_episodes(rng, S, 3)
        V = np.full(S, 0.2)
        for ep in eps:                      # replay the offline algorithm episode by episode with the gold returns
            G = brute_force_lambda_return(ep, V, S, gamma, lam)
            V = V + alpha * np.bincount(ep.states, weights=np.array(G) - V[ep.states], minlength=S)
        np.testing.assert_allclose(rp.lambda_return_offline(eps, S, alpha, lam, gamma, v_init=0.2).V, V,
                                   rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(rp.td_lambda(eps, S, alpha, lam, gamma, v_init=0.2, offline=True).V, V,
                                   rtol=1e-10, atol=1e-12)


def test_online_td_lambda_zero_is_td0_and_lam_is_checked():
    eps = random_walk_episodes(50, np.random.default_rng(6))
    np.testing.assert_allclose(rp.td_lambda(eps, 7, 0.2, 0.0, 0.9).V, rp.td0_prediction(eps, 7, 0.2, 0.9).V,
                               rtol=1e-13, atol=1e-15)
    with pytest.raises(ValueError, match="lam"):
        rp.td_lambda(eps, 7, 0.2, 1.5)
    with pytest.raises(ValueError, match="lam"):
        rp.lambda_return_offline(eps, 7, 0.2, -0.1)


def brute_force_off_policy(episodes, S, pi, b, gamma, weighted):
    """Gold reference: first-visit importance-sampling averages written out with plain loops."""
    num, den = [0.0] * S, [0.0] * S
    for ep in episodes:
        st, ac, rw = ep.states.tolist(), ep.actions.tolist(), ep.rewards.tolist()
        seen = set()
        for t, s in enumerate(st):
            if s in seen:
                continue
            seen.add(s)
            rho = float(np.prod([pi[st[k], ac[k]] / b[st[k], ac[k]] for k in range(t, len(st))]))
            G = sum(gamma ** k * r for k, r in enumerate(rw[t:]))
            num[s] += rho * G
            den[s] += rho if weighted else 1.0
    return np.array([n / d if d > 0 else 0.0 for n, d in zip(num, den)])


@pytest.mark.parametrize("weighted", [False, True])
def test_off_policy_mc_matches_brute_force(weighted):
    rng = np.random.default_rng(7)
    for _ in range(4):
        S, A = 4, 3
        b = rng.dirichlet(np.ones(A), size=S)
        pi = rng.dirichlet(np.ones(A), size=S)
        eps = [pg.Episode(rng.integers(0, S, size=T), rng.integers(0, A, size=T), rng.normal(size=T), False)
               for T in rng.integers(1, 7, size=6)]
        gamma = float(rng.uniform(0.3, 1.0))
        np.testing.assert_allclose(rp.off_policy_mc(eps, S, pi, b, gamma, weighted=weighted).V,
                                   brute_force_off_policy(eps, S, pi, b, gamma, weighted), rtol=1e-10, atol=1e-12)


def test_off_policy_mc_needs_coverage():
    ep = pg.Episode(np.array([0]), np.array([0]), np.array([1.0]), False)
    with pytest.raises(ValueError, match="behaviour"):
        rp.off_policy_mc([ep], 1, np.array([[0.5, 0.5]]), np.array([[1.0, 0.0]]))

"""Tests of mlsheet_utils.algorithms.aliasing against independent references."""

import numpy as np
import pytest

from mlsheet_utils.algorithms import aliasing as al
from mlsheet_utils.algorithms import rl


def _objective(mdp, theta, obs):
    # independent: expand the logits, softmax by hand, solve (I - gamma P_pi) v = r_pi with numpy
    logits = theta[obs]
    pi = np.exp(logits - logits.max(1, keepdims=True))
    pi /= pi.sum(1, keepdims=True)
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    return np.linalg.solve(np.eye(mdp.n_states) - mdp.gamma * P_pi, (pi * mdp.R).sum(1))[mdp.start]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_observation_gradient_matches_finite_differences(seed):
    rng = np.random.default_rng(seed)
    mdp = rl.gridworld(rl.ROOM, gamma=0.9, slip=0.2)
    obs = rng.integers(0, 3, mdp.n_states)
    obs[:3] = [0, 1, 2]                                   # every observation used
    theta = rng.normal(size=(3, 4))
    J, grad = al.observation_policy_gradient(mdp, theta, obs)
    assert J == pytest.approx(_objective(mdp, theta, obs), abs=1e-10)
    h, fd = 1e-6, np.zeros_like(theta)
    for idx in np.ndindex(theta.shape):
        up, down = theta.copy(), theta.copy()
        up[idx] += h
        down[idx] -= h
        fd[idx] = (_objective(mdp, up, obs) - _objective(mdp, down, obs)) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-7)


def test_corridor_optimum_matches_closed_form_and_ascent():
    # gamma close to 1: the maximiser approaches 2 - sqrt(2) (the undiscounted optimum)
    mdp = al.switched_corridor(0.999999)
    obs = np.zeros(4, int)
    ps = np.linspace(0.4, 0.8, 4001)
    J = [_objective(mdp, np.log(np.array([[1 - p, p]])), obs) for p in ps]
    assert ps[int(np.argmax(J))] == pytest.approx(2 - np.sqrt(2), abs=2e-4)
    assert max(J) == pytest.approx(-6 - 4 * np.sqrt(2), abs=1e-3)
    trace = al.gradient_ascent(mdp, obs, lr=0.05, n_iter=300)
    p_end = al.observation_policy(trace.thetas[-1], obs)[0, 1]
    assert p_end == pytest.approx(2 - np.sqrt(2), abs=1e-4)
    assert np.all(np.diff(trace.objective) > -1e-9)          # a small step never goes down here


def test_best_deterministic_by_brute_force():
    mdp = rl.gridworld(rl.ROOM, gamma=0.9)
    obs = np.arange(mdp.n_states) % 2
    actions, value = al.best_deterministic(mdp, obs)
    values = {}
    for a0 in range(4):
        for a1 in range(4):
            pi = np.where(obs == 0, a0, a1)
            values[a0, a1] = \
                np.linalg.solve(np.eye(mdp.n_states) - mdp.gamma * mdp.P[np.arange(mdp.n_states), pi],
                                mdp.R[np.arange(mdp.n_states), pi])[mdp.start]
    assert value == pytest.approx(max(values.values()), abs=1e-10)
    assert values[tuple(actions)] == pytest.approx(value, abs=1e-10)
    corridor = al.switched_corridor(0.9)
    assert al.best_deterministic(corridor, np.zeros(4, int))[1] == pytest.approx(-10.0)


def test_tabular_ascent_reaches_value_iteration():
    mdp = rl.gridworld(rl.ROOM, gamma=0.8)
    _, V = rl.value_iteration(mdp)
    trace = al.gradient_ascent(mdp, np.arange(mdp.n_states), lr=20.0, n_iter=300)
    assert trace.objective[-1] == pytest.approx(V[mdp.start], abs=5e-3)


def test_bad_inputs_raise():
    mdp = al.switched_corridor()
    with pytest.raises(ValueError, match="theta"):
        al.observation_policy_gradient(mdp, np.zeros((2, 2)), np.zeros(4, int))
    with pytest.raises(ValueError, match="obs"):
        al.observation_policy_gradient(mdp, np.zeros((1, 2)), np.zeros(3, int))
    with pytest.raises(ValueError, match="lr"):
        al.gradient_ascent(mdp, np.zeros(4, int), lr=0.0, n_iter=3)
    with pytest.raises(ValueError, match="n_iter"):
        al.gradient_ascent(mdp, np.zeros(4, int), lr=0.1, n_iter=0)
    with pytest.raises(ValueError, match="gamma"):
        al.switched_corridor(1.0)
    with pytest.raises(ValueError, match="obs"):
        al.observation_policy(np.zeros((1, 2)), np.array([0, 1]))

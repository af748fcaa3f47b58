"""Hebbian rules and Hopfield networks against independent references (loops, enumeration, eigh, binomial)."""

import itertools

import numpy as np
import pytest
from scipy import stats

from mlsheet_utils.algorithms.nn import hopfield as hf


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_storage_and_energy_against_loops(seed):
    gen = np.random.default_rng(seed)
    xi = gen.choice([-1.0, 1.0], size=(3, 7))
    W = hf.hebbian_storage(xi)
    ref = np.zeros((7, 7))
    for p in range(3):
        for i in range(7):
            for j in range(7):
                if i != j:
                    ref[i, j] += xi[p, i] * xi[p, j] / 7
    np.testing.assert_allclose(W, ref, atol=1e-15)
    theta = gen.normal(size=7)
    s = gen.choice([-1.0, 1.0], size=(5, 7))
    e_ref = [-0.5 * sum(W[i, j] * r[i] * r[j] for i in range(7) for j in range(7)) + r @ theta for r in s]
    np.testing.assert_allclose(hf.hopfield_energy(W, s, theta), e_ref, rtol=1e-12, atol=1e-12)


def test_all_states_is_the_cartesian_product():
    np.testing.assert_array_equal(hf.all_states(5), np.array(list(itertools.product([-1.0, 1.0], repeat=5))))


@pytest.mark.parametrize("seed", [0, 3])
def test_fixed_points_are_local_energy_minima_and_recall_descends(seed):
    gen = np.random.default_rng(seed)
    xi = gen.choice([-1.0, 1.0], size=(2, 8))
    W = hf.hebbian_storage(xi)
    S = hf.all_states(8)
    E = hf.hopfield_energy(W, S)
    local_min = np.array([all(E[k ^ (1 << b)] >= E[k] - 1e-12 for b in range(8)) for k in range(len(S))])
    np.testing.assert_array_equal(hf.fixed_points(W, S), local_min)
    run = hf.hopfield_recall(W, S, rng=seed)
    assert run.converged and np.diff(run.energies, axis=1).max() <= 1e-12
    assert hf.fixed_points(W, run.states).all() and hf.fixed_points(W, np.vstack([xi, -xi])).all()


def test_unstable_bit_rate_matches_the_binomial_tail():
    gen = np.random.default_rng(5)
    n, p, rates = 40, 7, []
    for _ in range(300):
        xi = gen.choice([-1.0, 1.0], size=(p, n))
        rates.append((xi * (xi @ hf.hebbian_storage(xi)) < -1e-9).mean())     # exact ties keep the unit
    m = (p - 1) * (n - 1)
    exact = stats.binom.cdf((m - n) // 2, m, 0.5)
    assert abs(np.mean(rates) - exact) < 3 * np.std(rates, ddof=1) / np.sqrt(len(rates))


def test_recall_overlap_at_low_load_is_perfect():
    c = hf.recall_overlap(60, 2, flip=0.1, n_trials=3, rng=0)
    assert (c.overlap, c.perfect, c.overlap_se) == (1.0, 1.0, 0.0)


@pytest.mark.parametrize("seed", [0, 1])
def test_oja_converges_to_the_top_eigenvector(seed):
    gen = np.random.default_rng(seed)
    X = gen.multivariate_normal([0, 0, 0], [[3, 1, 0], [1, 2, 0.5], [0, 0.5, 1]], 800)
    X -= X.mean(axis=0)
    w = hf.hebbian_trajectory(X, 0.0005, 20, rng=seed).weights[-1]
    top = np.linalg.eigh(X.T @ X / len(X))[1][:, -1]
    angle = np.degrees(np.arccos(min(1.0, abs(w @ top) / np.linalg.norm(w))))
    assert angle < 2.5 and abs(np.linalg.norm(w) - 1) < 0.01


def test_hebbian_steps_against_the_formula():
    X = np.array([[1.0, 2.0], [-0.5, 0.3]])
    w0 = np.array([0.2, -0.1])
    for rule in ("plain", "oja"):
        w, ref = hf.hebbian_trajectory(X, 0.1, 1, rule=rule, w0=w0).weights, [w0]
        for x in X:
            y = ref[-1] @ x
            ref.append(ref[-1] + 0.1 * y * (x - y * ref[-1] if rule == "oja" else x))
        np.testing.assert_allclose(w, ref, rtol=1e-14)


@pytest.mark.parametrize("call, match", [
    (lambda: hf.hebbian_storage([[1.0, 0.5]]), "patterns"),
    (lambda: hf.hopfield_energy(np.eye(3), [1.0, 1.0]), "states"),
    (lambda: hf.hopfield_recall(np.ones((2, 3)), [1.0, 1.0]), "W"),
    (lambda: hf.hopfield_recall(np.eye(2), [1.0, 1.0], theta=[0.0]), "theta"),
    (lambda: hf.all_states(0), "n"),
    (lambda: hf.recall_overlap(10, 2, flip=0.7), "flip"),
    (lambda: hf.hebbian_trajectory(np.ones((3, 2)), -1.0), "eta"),
    (lambda: hf.hebbian_trajectory(np.ones((3, 2)), 0.1, rule="bcm"), "rule"),
    (lambda: hf.hebbian_trajectory(np.ones((3, 2)), 0.1, w0=[1.0, 2.0, 3.0]), "w0"),
])
def test_bad_inputs_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()

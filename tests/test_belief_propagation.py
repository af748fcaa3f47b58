"""Belief propagation against brute-force enumeration written here with itertools."""

import itertools

import numpy as np
import pytest

from mlsheet_utils.algorithms.probability import belief_propagation as bp
from mlsheet_utils.algorithms.probability import graphical


def _random_mrf(seed, edges, n, K=2):
    rng = np.random.default_rng(seed)
    return bp.make_pairwise_mrf(rng.uniform(0.3, 2.0, (n, K)), edges,
                                np.exp(rng.normal(0, 1, (len(edges), K, K))))


def _joint(mrf):
    n, K = mrf.unary.shape
    states = np.array(list(itertools.product(range(K), repeat=n)))
    w = np.prod(mrf.unary[np.arange(n), states], axis=1)
    for (i, j), t in zip(mrf.edges, mrf.pairwise):
        w = w * t[states[:, i], states[:, j]]
    return states, w / w.sum()


TREE = [(0, 1), (1, 2), (1, 3), (3, 4), (3, 5)]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("K", [2, 3])
def test_sum_product_exact_on_trees(seed, K):
    mrf = _random_mrf(seed, TREE, 6, K)
    states, p = _joint(mrf)
    exact = np.array([[p[states[:, i] == k].sum() for k in range(K)] for i in range(6)])
    res = bp.belief_propagation(mrf, 20)
    assert res.converged
    np.testing.assert_allclose(res.beliefs, exact, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_max_product_map_on_trees(seed):
    mrf = _random_mrf(seed, TREE, 6, 3)
    states, p = _joint(mrf)
    assert np.array_equal(bp.belief_propagation(mrf, 20, mode="max").map_state, states[np.argmax(p)])


def test_loopy_is_approximate_and_ising_conversion():
    names = [f"{r},{c}" for r in range(3) for c in range(3)]
    mrf, _ = bp.pairwise_mrf_from_factors(graphical.ising_factors((3, 3), 0.5, 0.2), names)
    assert not bp.is_tree(mrf) and len(mrf.edges) == 12
    states, p = _joint(mrf)
    exact = np.array([p[states[:, i] == 1].sum() for i in range(9)])
    np.testing.assert_allclose(exact, graphical.ising_exact((3, 3), 0.5, 0.2).marginals.ravel(), rtol=1e-12)
    err = np.abs(bp.belief_propagation(mrf, 200).beliefs[:, 1] - exact).max()
    assert 1e-3 < err < 0.2


def test_bad_inputs():
    with pytest.raises(ValueError, match="edges"):
        bp.make_pairwise_mrf(np.ones((2, 2)), [(0, 0)], np.ones((1, 2, 2)))
    with pytest.raises(ValueError, match="pairwise"):
        bp.make_pairwise_mrf(np.ones((2, 2)), [(0, 1)], np.ones((1, 3, 2)))
    with pytest.raises(ValueError, match="positive"):
        bp.make_pairwise_mrf(np.ones((2, 2)), [(0, 1)], np.zeros((1, 2, 2)))
    mrf = _random_mrf(0, [(0, 1)], 2)
    with pytest.raises(ValueError, match="mode"):
        bp.belief_propagation(mrf, mode="min")
    with pytest.raises(ValueError, match="damping"):
        bp.belief_propagation(mrf, damping=1.0)

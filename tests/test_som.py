"""Self-organising maps against MiniSom and SciPy."""

import numpy as np
import pytest
from minisom import MiniSom
from scipy.spatial.distance import cdist

from mlsheet_utils.algorithms.clustering import som

CASES = [(0, 3, 4, 2, 1.0, 0.5, 300), (1, 5, 5, 3, 2.0, 0.3, 800), (2, 6, 3, 4, 0.6, 0.9, 500)]


def _setup(seed, r, c, d):
    g = np.random.default_rng(seed)
    X = g.uniform(-1, 1, (120, d))
    return X, X[g.choice(120, r * c, replace=False)], g


def _minisom(W0, r, c, sigma, eta):
    ref = MiniSom(r, c, W0.shape[1], sigma=sigma, learning_rate=eta, random_seed=0)
    ref._weights = W0.reshape(r, c, -1).copy()
    return ref


@pytest.mark.parametrize("seed,r,c,d,sigma,eta,steps", CASES)
def test_training_matches_minisom(seed, r, c, d, sigma, eta, steps):
    X, W0, g = _setup(seed, r, c, d)
    ref = _minisom(W0, r, c, sigma, eta)
    ref.train(X, steps, random_order=False)
    ours = som.SelfOrganizingMap(r, c, sigma=sigma, learning_rate=eta, n_iter=steps, shuffle=False).fit(X, init=W0)
    np.testing.assert_allclose(ours.weights_, ref.get_weights().reshape(-1, d), rtol=1e-10, atol=1e-12)

    order = g.integers(0, len(X), steps)
    ref2 = _minisom(W0, r, c, sigma, eta)
    for t, k in enumerate(order):
        ref2.update(X[k], ref2.winner(X[k]), t, steps)
    run = som.som_train(X, W0, som.grid_positions(r, c), n_iter=steps, eta0=eta, sigma0=sigma, order=order,
                        record_every=100)
    np.testing.assert_allclose(run.weights, ref2.get_weights().reshape(-1, d), rtol=1e-10, atol=1e-12)
    assert run.snapshot_iters[0] == 0 and run.snapshot_iters[-1] == steps
    np.testing.assert_array_equal(run.snapshots[-1], run.weights)


@pytest.mark.parametrize("seed,r,c,d,sigma,eta,steps", CASES)
def test_measures_match_minisom(seed, r, c, d, sigma, eta, steps):
    X, W0, _ = _setup(seed, r, c, d)
    ref = _minisom(W0, r, c, 0.3, eta)                     # a narrow neighbourhood: a folded map
    ref.train(X, steps, random_order=False)
    W = ref.get_weights().reshape(-1, d)
    grid = som.grid_positions(r, c)
    np.testing.assert_array_equal(som.best_matching_units(X, W), cdist(X, W).argmin(1))
    np.testing.assert_allclose(som.quantization_error(X, W), ref.quantization_error(X), rtol=1e-12)
    np.testing.assert_allclose(som.topographic_error(X, W, grid), ref.topographic_error(X), rtol=1e-12)
    U = som.u_matrix(W, r, c)
    np.testing.assert_allclose(U / U.max(), ref.distance_map(scaling="mean"), rtol=1e-12, atol=1e-15)
    t = np.arange(steps)
    eta_t, sigma_t = som.som_schedule(t, steps, eta, sigma)
    np.testing.assert_allclose(eta_t, ref._asymptotic_decay(eta, t, steps), rtol=1e-12)
    np.testing.assert_allclose(sigma_t, ref._asymptotic_decay(sigma, t, steps), rtol=1e-12)
    xx, yy = ref.get_euclidean_coordinates()
    np.testing.assert_array_equal(grid, np.column_stack([xx.ravel(), yy.ravel()]))


def test_estimator_predicts_grid_positions():
    X, W0, _ = _setup(4, 4, 4, 3)
    model = som.SelfOrganizingMap(4, 4, sigma=1.5, n_iter=600, rng=0).fit(X)
    pos = model.predict(X)
    bmu = cdist(X, model.weights_).argmin(1)
    np.testing.assert_array_equal(pos, np.column_stack(np.divmod(bmu, 4)))
    assert model.u_matrix().shape == (4, 4)
    assert 0.0 <= model.topographic_error(X) <= 1.0 and model.quantization_error(X) > 0


def test_bad_inputs_raise():
    X, W0, _ = _setup(0, 2, 2, 2)
    grid = som.grid_positions(2, 2)
    with pytest.raises(ValueError, match="n_rows"):
        som.grid_positions(0, 3)
    with pytest.raises(ValueError, match="sigma0"):
        som.som_train(X, W0, grid, n_iter=10, sigma0=0.0)
    with pytest.raises(ValueError, match="W0 has"):
        som.som_train(X, W0[:, :1], grid, n_iter=10)
    with pytest.raises(ValueError, match="order"):
        som.som_train(X, W0, grid, n_iter=10, order=np.arange(9))
    with pytest.raises(ValueError, match="grid"):
        som.topographic_error(X, W0, grid[:3])
    with pytest.raises(ValueError, match="at least 2 units"):
        som.topographic_error(X, W0[:1], grid[:1])
    with pytest.raises(ValueError, match="n_rows \\* n_cols"):
        som.u_matrix(W0, 3, 3)
    with pytest.raises(ValueError, match="not fitted"):
        som.SelfOrganizingMap(2, 2).predict(X)
    with pytest.raises(ValueError, match="init"):
        som.SelfOrganizingMap(2, 2).fit(X, init=np.zeros((3, 2)))

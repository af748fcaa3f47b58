"""Training trajectories, per-example gradients, minibatch noise and clipping against independent references."""

import itertools

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import pytest  # noqa: E402
from sklearn.linear_model import LinearRegression  # noqa: E402

from mlsheet_utils.algorithms.nn import layers, losses, optimizers, train  # noqa: E402


def least_squares(seed, n=24):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    y = X @ rng.standard_normal((2, 1)) + 0.1 * rng.standard_normal((n, 1))
    return X, y, {"W": rng.standard_normal((2, 1))}


@pytest.mark.parametrize("seed", range(3))
def test_full_batch_trajectory_is_gradient_descent_and_reaches_least_squares(seed):
    X, y, p0 = least_squares(seed)
    lr, n = 0.1, len(X)
    run = train.trajectory(layers.Linear(2, 1, bias=False), p0, losses.MeanSquaredError(), optimizers.SGD(lr), X, y,
                           epochs=400, batch_size=n, rng=seed)
    w = p0["W"].copy()
    for k in range(5):                                     # closed-form steps: w - lr * (2/n) X^T (X w - y)
        np.testing.assert_allclose(run.params[k]["W"], w, rtol=1e-12, atol=1e-14)
        w = w - lr * 2 / n * X.T @ (X @ w - y)
    ref = LinearRegression(fit_intercept=False).fit(X, y).coef_.T
    np.testing.assert_allclose(run.params[-1]["W"], ref, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(run.loss[-1], np.mean((X @ ref - y) ** 2), rtol=1e-10)
    assert list(run.steps) == list(range(401)) and np.allclose(run.epochs, run.steps)


def test_stochastic_trajectory_counts_updates_and_epochs():
    X, y, p0 = least_squares(5, n=10)
    run = train.trajectory(layers.Linear(2, 1, bias=False), p0, losses.MeanSquaredError(), optimizers.SGD(0.05), X, y,
                           epochs=3, batch_size=4, rng=0, every=2)
    # 3 batches per epoch (4, 4, 2): 9 updates, snapshots every 2 and the last
    assert list(run.steps) == [0, 2, 4, 6, 8, 9]
    np.testing.assert_allclose(run.epochs, [0, 0.8, 1.4, 2.0, 2.8, 3.0])
    assert run.batch_loss.shape == (9,)


@pytest.mark.parametrize("seed", range(3))
def test_per_example_gradients_match_jax_vmap(seed):
    rng = np.random.default_rng(seed)
    model = layers.Sequential(layers.Linear(3, 4), layers.Activation("tanh"), layers.Linear(4, 1))
    params = model.init_params(seed)
    X, y = rng.standard_normal((6, 3)), (rng.random((6, 1)) > 0.5).astype(float)
    G = train.per_example_gradients(model, params, losses.BinaryCrossEntropyWithLogits(), X, y)

    def loss(ps, x, t):
        z = jnp.tanh(x @ ps[0]["W"] + ps[0]["b"]) @ ps[2]["W"] + ps[2]["b"]
        return jnp.mean(jax.nn.softplus(z) - t * z)

    ref = jax.vmap(jax.grad(loss), in_axes=(None, 0, 0))(params, X[:, None], y[:, None])
    flat = np.concatenate([np.asarray(ref[i][k]).reshape(6, -1) for i in (0, 2) for k in ("W", "b")], axis=1)
    np.testing.assert_allclose(G, flat, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("N,p", [(5, 2), (7, 3)])
def test_minibatch_noise_matches_enumeration(N, p):
    G = np.random.default_rng(N).standard_normal((N, p))
    g_bar = G.mean(0)
    for B in range(1, N + 1):
        errs = [np.sum((G[list(s)].mean(0) - g_bar) ** 2) for s in itertools.combinations(range(N), B)]
        np.testing.assert_allclose(train.minibatch_noise(G, B), np.mean(errs), rtol=1e-12, atol=1e-15)


def test_clip_gradients_matches_optax():
    rng = np.random.default_rng(0)
    grads = [{"W": 3 * rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}, {}]
    jg = jax.tree_util.tree_map(jnp.asarray, grads)
    for ours, tx in ((train.clip_gradients(grads, value=0.5), optax.clip(0.5)),
                     (train.clip_gradients(grads, norm=1.0), optax.clip_by_global_norm(1.0))):
        ref, _ = tx.update(jg, tx.init(jg))
        for k in ("W", "b"):
            np.testing.assert_allclose(ours[0][k], np.asarray(ref[0][k]), rtol=1e-12)


def test_bad_inputs():
    X, y, p0 = least_squares(0, n=6)
    model, mse, sgd = layers.Linear(2, 1, bias=False), losses.MeanSquaredError(), optimizers.SGD(0.1)
    with pytest.raises(ValueError, match="batch_size"):
        train.trajectory(model, p0, mse, sgd, X, y, epochs=1, batch_size=0, rng=0)
    with pytest.raises(ValueError, match="every"):
        train.trajectory(model, p0, mse, sgd, X, y, epochs=1, batch_size=2, rng=0, every=0)
    with pytest.raises(ValueError, match="same number"):
        train.trajectory(model, p0, mse, sgd, X, y[:3], epochs=1, batch_size=2, rng=0)
    with pytest.raises(ValueError, match="clip_norm"):
        train.trajectory(model, p0, mse, sgd, X, y, epochs=1, batch_size=2, rng=0, clip_norm=-1.0)
    with pytest.raises(ValueError, match="batch_size"):
        train.minibatch_noise(np.ones((4, 2)), 5)
    with pytest.raises(ValueError, match="value= or norm="):
        train.clip_gradients({"W": np.ones(2)})
    with pytest.raises(ValueError, match="optimizer"):
        train.trajectory(model, p0, mse, "sgd", X, y, epochs=1, batch_size=2, rng=0)

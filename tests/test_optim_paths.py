"""Trajectories and test problems of mlsheet_utils.algorithms.optim_paths against JAX, optax and closed forms."""

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import pytest  # noqa: E402

from mlsheet_utils.algorithms import optim_paths as P  # noqa: E402
from mlsheet_utils.algorithms.nn import optimizers as O  # noqa: E402

JAX_LANDSCAPES = {
    "rosenbrock": lambda v: (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2,
    "quadratic": lambda v: 0.5 * ((v[0] - 1) ** 2 + 20 * (v[1] - 1) ** 2),
    "saddle": lambda v: 0.5 * v[0] ** 2 + 0.25 * (v[1] - 1) ** 4 - 0.5 * (v[1] - 1) ** 2,
}


@pytest.mark.parametrize("name", sorted(JAX_LANDSCAPES))
def test_landscapes_match_jax(name):
    land, f = P.landscape(name), JAX_LANDSCAPES[name]
    pts = np.random.default_rng(0).uniform([-2, -1], [2, 3], size=(7, 2))
    np.testing.assert_allclose(land.value(pts), [float(f(jnp.asarray(p))) for p in pts], rtol=1e-13)
    np.testing.assert_allclose(land.grad(pts), np.array([jax.grad(f)(jnp.asarray(p)) for p in pts]),
                               rtol=1e-12, atol=1e-12)
    assert land.value(np.array(land.minimum)) == pytest.approx(land.f_min, abs=1e-15)
    np.testing.assert_allclose(land.grad(np.array(land.minimum)), 0, atol=1e-15)


def test_sgd_path_is_the_closed_form_on_a_quadratic():
    # x_t - x* = (I - eta H)^t (x_0 - x*), H = diag(1, 20)
    land, eta = P.landscape("quadratic"), 0.07
    path = P.run_optimizer(O.SGD(eta), lambda x, t: land.grad(x), land.start, 30)
    H, x_star, e0 = np.diag([1.0, 20.0]), np.ones(2), np.array(land.start) - 1
    expected = np.array([x_star + np.linalg.matrix_power(np.eye(2) - eta * H, t) @ e0 for t in range(31)])
    np.testing.assert_allclose(path.params, expected, rtol=1e-12, atol=1e-14)
    assert not path.diverged and path.grads.shape == (30, 2) and path.slots == {}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_adagrad_and_adam_paths_match_optax(seed):
    rng = np.random.default_rng(seed)
    land = P.landscape("rosenbrock")
    x0 = rng.uniform([-2, -1], [2, 3])
    lr = float(rng.uniform(0.01, 0.2))
    for ours, theirs in ((O.AdaGrad(lr, eps=1e-7, initial_accumulator=0.1, eps_inside_sqrt=True),
                          optax.adagrad(lr, initial_accumulator_value=0.1, eps=1e-7)),
                         (O.Adam(lr), optax.adam(lr))):
        path = P.run_optimizer(ours, lambda x, t: land.grad(x), x0, 25)
        p, state, ref = jnp.asarray(x0), theirs.init(jnp.asarray(x0)), [x0]
        for _ in range(25):
            updates, state = theirs.update(jnp.asarray(land.grad(np.asarray(p))), state, p)
            p = optax.apply_updates(p, updates)
            ref.append(np.asarray(p))
        np.testing.assert_allclose(path.params, np.array(ref), rtol=1e-10, atol=1e-12)


def test_effective_learning_rates_are_the_closed_forms():
    rng = np.random.default_rng(4)
    grads = rng.standard_normal((40, 3)) * np.array([10.0, 1.0, 0.01])
    oracle = lambda x, t: grads[t]  # noqa: E731
    lr, eps = 0.05, 1e-8
    ada = O.AdaGrad(lr, eps=eps)
    rates = P.effective_learning_rates(ada, P.run_optimizer(ada, oracle, np.zeros(3), 40))
    np.testing.assert_allclose(rates, lr / (np.sqrt(np.cumsum(grads**2, axis=0)) + eps), rtol=1e-13)
    # Adam: the step is rate * m_t with m_t the (uncorrected) EMA of the gradients
    adam = O.Adam(lr, b1=0.8, b2=0.99)
    path = P.run_optimizer(adam, oracle, np.zeros(3), 40)
    m = np.zeros(3)
    for t in range(40):
        m = 0.8 * m + 0.2 * grads[t]
        step = path.params[t + 1] - path.params[t]
        np.testing.assert_allclose(step, -P.effective_learning_rates(adam, path)[t] * m, rtol=1e-10, atol=1e-15)
    np.testing.assert_array_equal(P.effective_learning_rates(O.SGD(0.3), path), np.full((40, 3), 0.3))
    with pytest.raises(ValueError, match="SGD with momentum has none"):
        P.effective_learning_rates(O.SGD(0.1, 0.9), path)


def test_divergence_stops_the_run():
    land = P.landscape("quadratic")                      # lambda_max = 20: SGD diverges for eta > 0.1
    path = P.run_optimizer(O.SGD(0.11), lambda x, t: land.grad(x), land.start, 2000, bound=1e3)
    assert path.diverged and np.abs(path.params[-1]).max() > 1e3 and np.abs(path.params[-2]).max() <= 1e3
    assert len(path.params) == len(path.grads) + 1 < 2001
    assert not P.run_optimizer(O.SGD(0.09), lambda x, t: land.grad(x), land.start, 2000).diverged


def test_sparse_logistic_data_frequencies_and_labels():
    freq, w = np.array([1.0, 0.3, 0.02]), np.array([-0.5, 1.0, 2.0])
    X, y = P.sparse_logistic_data(20000, freq, w, rng=5)
    se = np.sqrt(freq * (1 - freq) / 20000)
    assert np.all(np.abs(X.mean(0) - freq) <= 5 * se + 1e-12)
    p = 1 / (1 + np.exp(-(X @ w)))
    assert abs(y.mean() - p.mean()) < 5 * np.sqrt(p.mean() * (1 - p.mean()) / 20000)


def test_minibatch_oracle_matches_jax():
    X, y = P.sparse_logistic_data(50, [1.0, 0.5, 0.1], [0.2, -1.0, 1.5], rng=6)
    oracle = P.LogisticMinibatchOracle.make(X, y, batch_size=7, steps=5, rng=7, l2=0.03)
    w = np.random.default_rng(8).standard_normal(3)

    def loss(v, rows):
        z = jnp.asarray(X[rows]) @ v
        return jnp.mean(jnp.logaddexp(0.0, z) - jnp.asarray(y[rows]) * z) + 0.015 * v @ v

    for t in range(5):
        rows = oracle.batches[t]
        assert rows.shape == (7,) and rows.min() >= 0 and rows.max() < 50
        np.testing.assert_allclose(oracle(w, t), jax.grad(loss)(jnp.asarray(w), rows), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("call,match", [
    (lambda: P.landscape("himmelblau"), "landscape must be one of"),
    (lambda: P.run_optimizer("adam", lambda x, t: x, [0.0], 3), "optimizer must be an Optimizer"),
    (lambda: P.run_optimizer(O.SGD(0.1), lambda x, t: x, [[0.0]], 3), "x0 must be 1-dimensional"),
    (lambda: P.run_optimizer(O.SGD(0.1), lambda x, t: x, [0.0], 0), "steps must be >= 1"),
    (lambda: P.run_optimizer(O.SGD(0.1), lambda x, t: np.zeros(3), [0.0, 1.0], 2), "grad\\(x0, 0\\) must have"),
    (lambda: P.rosenbrock(np.zeros(3)), "last axis of length 2"),
    (lambda: P.sparse_logistic_data(10, [0.5, 1.5], [1.0, 1.0], rng=0), "frequencies must lie in"),
    (lambda: P.sparse_logistic_data(10, [0.5], [1.0, 1.0], rng=0), "weights must have shape"),
    (lambda: P.LogisticMinibatchOracle.make(np.ones((4, 2)), [0, 1, 2, 1], batch_size=2, steps=3, rng=0),
     "labels 0 and 1"),
    (lambda: P.LogisticMinibatchOracle.make(np.ones((4, 2)), [0, 1, 0, 1], batch_size=0, steps=3, rng=0),
     "batch_size must be >= 1"),
])
def test_bad_inputs_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()

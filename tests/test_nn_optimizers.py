"""Optimisers of mlsheet_utils.algorithms.nn against optax, over seeded random parameter trees and settings."""

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import pytest  # noqa: E402

from mlsheet_utils.algorithms.nn import optimizers as O  # noqa: E402


def random_tree(rng):
    """A Sequential-like tree: a list of dicts of arrays of drawn shapes (one layer without parameters)."""
    shapes = [tuple(int(s) for s in rng.integers(1, 4, size=rng.integers(1, 3))) for _ in range(3)]
    return [{"W": rng.standard_normal(shapes[0]), "b": rng.standard_normal(shapes[1])}, {},
            {"W": rng.standard_normal(shapes[2])}]


def leaves(tree):
    return [np.asarray(a) for a in jax.tree_util.tree_leaves(tree)]


def run_both(ours, theirs, rng, steps=5):
    """``steps`` updates of both from the same start with the same random gradients; the two trajectories."""
    params = random_tree(rng)
    p_ours, p_theirs = params, jax.tree_util.tree_map(jnp.asarray, params)
    s_ours, s_theirs = ours.init(p_ours), theirs.init(p_theirs)

    @jax.jit                                          # one compilation instead of one per operation and shape
    def step(grads, state, params):
        updates, state = theirs.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    for _ in range(steps):
        grads = jax.tree_util.tree_map(lambda a: rng.standard_normal(np.shape(a)) * rng.uniform(0.01, 10), params)
        p_ours, s_ours = ours.update(grads, s_ours, p_ours)
        p_theirs, s_theirs = step(jax.tree_util.tree_map(jnp.asarray, grads), s_theirs, p_theirs)
        for a, b in zip(leaves(p_ours), leaves(p_theirs)):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert s_ours.step == steps


def settings(rng):
    return {"lr": float(rng.uniform(1e-3, 0.5)), "mu": float(rng.uniform(0.1, 0.99)),
            "decay": float(rng.uniform(0.5, 0.999)), "eps": float(10.0 ** rng.uniform(-10, -3))}


def test_sgd_matches_optax():
    rng = np.random.default_rng(0)
    for _ in range(2):
        s = settings(rng)
        run_both(O.SGD(s["lr"]), optax.sgd(s["lr"]), rng)
        run_both(O.SGD(s["lr"], s["mu"]), optax.sgd(s["lr"], momentum=s["mu"]), rng)
        run_both(O.SGD(s["lr"], s["mu"], nesterov=True), optax.sgd(s["lr"], momentum=s["mu"], nesterov=True), rng)


def test_adagrad_matches_optax_with_eps_inside():
    rng = np.random.default_rng(1)
    for _ in range(2):
        s = settings(rng)
        acc = float(rng.uniform(0, 1))
        run_both(O.AdaGrad(s["lr"], eps=s["eps"], initial_accumulator=acc, eps_inside_sqrt=True),
                 optax.adagrad(s["lr"], initial_accumulator_value=acc, eps=s["eps"]), rng)


def test_rmsprop_matches_optax_both_epsilon_conventions():
    rng = np.random.default_rng(2)
    for _ in range(2):
        s = settings(rng)
        for inside in (False, True):
            run_both(O.RMSProp(s["lr"], decay=s["decay"], eps=s["eps"], eps_inside_sqrt=inside),
                     optax.rmsprop(s["lr"], decay=s["decay"], eps=s["eps"], eps_in_sqrt=inside), rng)


def test_adam_and_adamw_match_optax():
    rng = np.random.default_rng(3)
    for _ in range(2):
        s = settings(rng)
        b1, b2, wd = float(rng.uniform(0.5, 0.95)), float(rng.uniform(0.9, 0.9999)), float(rng.uniform(0, 0.1))
        run_both(O.Adam(s["lr"], b1, b2, s["eps"]), optax.adam(s["lr"], b1, b2, s["eps"]), rng)
        run_both(O.AdamW(s["lr"], b1, b2, s["eps"], weight_decay=wd),
                 optax.adamw(s["lr"], b1, b2, s["eps"], weight_decay=wd), rng)


def test_epsilon_outside_is_the_closed_form():
    # one coordinate, gradient g: AdaGrad's first step is lr * g / (|g| + eps); inside it is lr * g / sqrt(g^2 + eps)
    g, lr, eps = np.array([3e-3]), 0.1, 1e-5
    for inside, expected in ((False, lr * g / (abs(g) + eps)), (True, lr * g / np.sqrt(g * g + eps))):
        opt = O.AdaGrad(lr, eps=eps, eps_inside_sqrt=inside)
        new, _ = opt.update({"w": g}, opt.init({"w": np.zeros(1)}), {"w": np.zeros(1)})
        np.testing.assert_allclose(-new["w"], expected, rtol=1e-14)
    # Adam's first step moves every coordinate by about lr, whatever the gradient's scale
    opt = O.Adam(0.01)
    new, _ = opt.update({"w": np.array([1e-3, 5.0, -200.0])}, opt.init({"w": np.zeros(3)}), {"w": np.zeros(3)})
    np.testing.assert_allclose(np.abs(new["w"]), 0.01, rtol=1e-4)


def test_update_is_pure():
    rng = np.random.default_rng(4)
    params = random_tree(rng)
    grads = jax.tree_util.tree_map(lambda a: rng.standard_normal(np.shape(a)), params)
    copies = [np.copy(a) for a in leaves(params)] + [np.copy(a) for a in leaves(grads)]
    opt = O.Adam(0.1)
    state = opt.init(params)
    new, new_state = opt.update(grads, state, params)
    for a, b in zip(leaves(params) + leaves(grads), copies):
        np.testing.assert_array_equal(a, b)
    assert state.step == 0 and new_state.step == 1
    assert all(np.all(m == 0) for m in leaves(state.slots["m"]))
    assert opt.update(grads, state, params)[0][0]["W"].tobytes() == new[0]["W"].tobytes()   # same in, same out


@pytest.mark.parametrize("make,match", [
    (lambda: O.SGD(0.0), "learning_rate must be > 0"),
    (lambda: O.SGD(0.1, momentum=1.0), "momentum must be < 1"),
    (lambda: O.SGD(0.1, nesterov=True), "nesterov=True needs momentum > 0"),
    (lambda: O.AdaGrad(0.1, eps=0.0), "eps must be > 0"),
    (lambda: O.RMSProp(decay=1.0), "decay must be < 1"),
    (lambda: O.Adam(b2=1.5), "b2 must be < 1"),
    (lambda: O.AdamW(weight_decay=-1.0), "weight_decay must be >= 0"),
])
def test_hyperparameters_are_validated(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_update_validates_the_trees():
    opt = O.SGD(0.1, 0.5)
    params = {"W": np.ones((2, 2)), "b": np.zeros(2)}
    state = opt.init(params)
    with pytest.raises(ValueError, match=r"grads must have the keys \['W', 'b'\]"):
        opt.update({"W": np.ones((2, 2))}, state, params)
    with pytest.raises(ValueError, match=r"grads\['b'\] must have shape \(2,\), got \(3,\)"):
        opt.update({"W": np.ones((2, 2)), "b": np.ones(3)}, state, params)
    with pytest.raises(ValueError, match=r"grads\['W'\] contains NaN"):
        opt.update({"W": np.full((2, 2), np.nan), "b": np.ones(2)}, state, params)
    with pytest.raises(ValueError, match="state has slots"):
        opt.update(params, O.Adam().init(params), params)

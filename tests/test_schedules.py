"""Learning-rate schedules against optax (float64), Scheduled against optax's scheduled optimisers, and the range
test against gradient descent written out."""

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import pytest  # noqa: E402

from mlsheet_utils.algorithms.nn import layers, losses, optimizers, schedules  # noqa: E402

STEPS = np.arange(0, 500)


def values(schedule):
    return np.asarray(jax.vmap(schedule)(jnp.asarray(STEPS, dtype=jnp.float64)))


@pytest.mark.parametrize("seed", range(4))
def test_schedules_match_optax(seed):
    g = np.random.default_rng(seed)
    lr, gamma, period = g.uniform(0.01, 1), g.uniform(0.1, 0.9), int(g.integers(5, 120))
    lo = lr * g.uniform(0, 0.5)
    warm = int(g.integers(1, 100))
    total = warm + int(g.integers(1, 300))
    cases = [
        (schedules.constant(STEPS, lr), optax.constant_schedule(lr)),
        (schedules.step_decay(STEPS, lr, gamma, period), optax.exponential_decay(lr, period, gamma, staircase=True)),
        (schedules.exponential_decay(STEPS, lr, gamma, period), optax.exponential_decay(lr, period, gamma)),
        (schedules.cosine_annealing(STEPS, lr, lo, period), optax.cosine_decay_schedule(lr, period, alpha=lo / lr)),
        (schedules.cosine_annealing(STEPS, lr, lo, period, restart=True),
         optax.sgdr_schedule([dict(init_value=lr, peak_value=lr, warmup_steps=0, decay_steps=period,
                                   end_value=lo)] * (500 // period + 1))),
        (schedules.linear_warmup(STEPS, lr, warm, init=lo), optax.linear_schedule(lo, lr, warm)),
        (schedules.warmup_cosine(STEPS, lr, warm, total, init=lo, end=lo / 2),
         optax.warmup_cosine_decay_schedule(lo, lr, warm, total, lo / 2)),
        (schedules.one_cycle(STEPS, total, lr, pct_start=g.uniform(0.1, 0.6)), None),
    ]
    for ours, ref in cases[:-1]:
        np.testing.assert_allclose(ours, values(ref), rtol=1e-10, atol=1e-15)
    pct = g.uniform(0.1, 0.6)
    np.testing.assert_allclose(schedules.one_cycle(STEPS, total, lr, pct_start=pct, div_factor=10.0,
                                                   final_div_factor=100.0),
                               values(optax.cosine_onecycle_schedule(total, lr, pct, 10.0, 100.0)),
                               rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("half", [1, 7, 40])
def test_triangular_matches_smith(half):
    cycle = np.floor(1 + STEPS / (2 * half))
    x = np.abs(STEPS / half - 2 * cycle + 1)
    np.testing.assert_allclose(schedules.triangular(STEPS, 0.02, 0.3, half),
                               0.02 + 0.28 * np.maximum(0, 1 - x), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("seed", range(3))
def test_scheduled_adam_matches_optax(seed):
    g = np.random.default_rng(seed)
    lrs = schedules.warmup_cosine(np.arange(30), 0.05, 5, 30)
    opt = schedules.Scheduled(optimizers.Adam(1.0), lrs)
    sched = optax.warmup_cosine_decay_schedule(0.0, 0.05, 5, 30)
    tx = optax.adam(lambda c: sched(jnp.asarray(c, jnp.float64)))
    p, pj = {"w": g.standard_normal(4)}, jnp.asarray(g.standard_normal(4))
    p["w"] = np.asarray(pj)
    state, state_j = opt.init(p), tx.init(pj)
    for _ in range(30):
        grad = g.standard_normal(4)
        p, state = opt.update({"w": grad}, state, p)
        upd, state_j = tx.update(jnp.asarray(grad), state_j, pj)
        pj = optax.apply_updates(pj, upd)
    np.testing.assert_allclose(p["w"], np.asarray(pj), rtol=1e-10, atol=1e-12)


def test_range_test_matches_gradient_descent():
    g = np.random.default_rng(3)
    X = g.standard_normal((40, 3))
    y = X @ g.standard_normal((3, 1)) + 0.1 * g.standard_normal((40, 1))
    rt = schedules.lr_range_test(layers.Linear(3, 1, bias=False), {"W": np.zeros((3, 1))},
                                 losses.MeanSquaredError(), X, y, lr_min=1e-3, lr_max=100.0, steps=50,
                                 batch_size=40, rng=0, beta=0.8)
    lam_max = np.linalg.eigvalsh(2 * X.T @ X / 40)[-1]
    w, ref = np.zeros((3, 1)), []
    for lr in rt.learning_rates:
        r = X @ w - y
        ref.append(np.mean(r**2))
        w = w - lr * 2 / 40 * X.T @ r
    stable = rt.learning_rates < 2 / lam_max
    np.testing.assert_allclose(rt.loss[stable], np.array(ref)[stable], rtol=1e-9)
    k = np.arange(50)
    weights = np.tril(0.8 ** (k[:, None] - k[None, :]))
    ok = np.isfinite(rt.smoothed)
    explicit = weights @ np.where(np.isfinite(rt.loss), rt.loss, 0) / weights.sum(axis=1)
    np.testing.assert_allclose(rt.smoothed[ok][:20], explicit[ok][:20], rtol=1e-10)
    assert rt.steepest < 2 / lam_max < rt.blow_up


def test_bad_inputs():
    with pytest.raises(ValueError, match="step"):
        schedules.constant([-1, 2], 0.1)
    with pytest.raises(ValueError, match="gamma"):
        schedules.step_decay(3, 0.1, 1.5, 10)
    with pytest.raises(ValueError, match="lr_min"):
        schedules.cosine_annealing(3, 0.1, 0.2, 10)
    with pytest.raises(ValueError, match="total_steps"):
        schedules.warmup_cosine(3, 0.1, 10, 10)
    with pytest.raises(ValueError, match="pct_start"):
        schedules.one_cycle(3, 10, 0.1, pct_start=0.01)
    with pytest.raises(ValueError, match="learning_rates"):
        schedules.Scheduled(optimizers.SGD(0.1), [0.1, -0.2])
    with pytest.raises(ValueError, match="lr_max"):
        schedules.lr_range_test(layers.Linear(1, 1), layers.Linear(1, 1).init_params(0), losses.MeanSquaredError(),
                                np.ones((4, 1)), np.ones((4, 1)), lr_min=1.0, lr_max=0.5, steps=5, batch_size=2, rng=0)

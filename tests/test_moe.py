"""Mixture-of-experts routing, capacity, balancing loss and layer gradients against loops and differences."""

import math

import numpy as np
import pytest
from scipy import special

from mlsheet_utils.algorithms.nn import moe


def _route_by_loop(logits, k, capacity_factor, temperature, renormalize):
    n, e = logits.shape
    probs = special.softmax(logits / temperature, axis=1)
    experts = np.array([sorted(range(e), key=lambda j: (-probs[t, j], j))[:k] for t in range(n)])
    chosen = np.take_along_axis(probs, experts, axis=1)
    weights = chosen / chosen.sum(axis=1, keepdims=True) if renormalize else chosen
    cap = n * k if capacity_factor is None else max(1, math.ceil(capacity_factor * k * n / e))
    used, kept = [0] * e, np.zeros((n, k), dtype=bool)
    for slot in range(k):
        for t in range(n):
            if used[experts[t, slot]] < cap:
                used[experts[t, slot]] += 1
                kept[t, slot] = True
    return probs, experts, weights, kept, cap, used


@pytest.mark.parametrize("seed, k, cf, temp, renorm", [(0, 1, 1.0, 1.0, True), (1, 2, 0.75, 0.5, True),
                                                       (2, 3, None, 2.0, False), (3, 2, 1.5, 1.0, False)])
def test_route_matches_loop(seed, k, cf, temp, renorm):
    logits = np.random.default_rng(seed).standard_normal((30, 5)) + np.linspace(1, 0, 5)
    r = moe.route(logits, k, capacity_factor=cf, temperature=temp, renormalize=renorm)
    probs, experts, weights, kept, cap, used = _route_by_loop(logits, k, cf, temp, renorm)
    np.testing.assert_allclose(r.probs, probs, rtol=1e-12)
    np.testing.assert_array_equal(r.experts, experts)
    np.testing.assert_allclose(r.weights, weights, rtol=1e-12)
    np.testing.assert_array_equal(r.kept, kept)
    assert r.capacity == cap and r.load.tolist() == used and r.n_dropped == int((~kept).sum())
    aux = 5 * sum((experts == j).sum() / experts.size * probs[:, j].mean() for j in range(5))
    assert moe.load_balancing_loss(r.probs, r.experts) == pytest.approx(aux, rel=1e-12)


def test_balancing_loss_is_one_when_uniform():
    probs = np.full((12, 4), 0.25)
    assert moe.load_balancing_loss(probs, (np.arange(12) % 4)[:, None]) == pytest.approx(1.0, rel=1e-14)


@pytest.mark.parametrize("renorm, cf", [(True, None), (True, 0.6), (False, 0.6)])
def test_layer_matches_dense_reference_and_finite_differences(renorm, cf):
    g = np.random.default_rng(5)
    layer = moe.MixtureOfExperts(3, 2, 4, k=2, capacity_factor=cf, temperature=0.8, renormalize=renorm)
    params = layer.init_params(6)
    x, dy = g.standard_normal((10, 3)), g.standard_normal((10, 2))
    y, cache = layer.forward(x, params)
    r = cache["routing"]
    combine = np.zeros((10, 4))
    np.put_along_axis(combine, r.experts, r.weights * r.kept, axis=1)
    dense = np.einsum("te,teo->to", combine, np.einsum("ti,eio->teo", x, params["W"]) + params["b"])
    np.testing.assert_allclose(y, dense, rtol=1e-12, atol=1e-14)
    dx, grads = layer.backward(dy, cache)

    def loss(x_, p_):              # the routing is piecewise constant: small steps keep it
        return float((layer.forward(x_, p_)[0] * dy).sum())

    eps = 1e-6
    for name, value in [("x", x)] + list(params.items()):
        ours = dx if name == "x" else grads[name]
        flat = value.ravel()
        for i in range(0, flat.size, max(1, flat.size // 7)):
            plus, minus = flat.copy(), flat.copy()
            plus[i] += eps
            minus[i] -= eps
            if name == "x":
                fd = (loss(plus.reshape(x.shape), params) - loss(minus.reshape(x.shape), params)) / (2 * eps)
            else:
                fd = (loss(x, {**params, name: plus.reshape(value.shape)})
                      - loss(x, {**params, name: minus.reshape(value.shape)})) / (2 * eps)
            assert ours.ravel()[i] == pytest.approx(fd, rel=1e-5, abs=1e-7), (name, i)


def test_cost_counts_parameters():
    layer = moe.MixtureOfExperts(5, 7, 6, k=2)
    params = layer.init_params(0)
    cost = moe.moe_cost(5, 7, 6, 2)
    assert cost.params == sum(v.size for v in params.values())
    assert cost.dense_macs - cost.sparse_macs == (6 - 2) * 5 * 7


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="k"):
        moe.route(np.zeros((4, 3)), 4)
    with pytest.raises(ValueError, match="capacity_factor"):
        moe.route(np.zeros((4, 3)), 1, capacity_factor=0.0)
    with pytest.raises(ValueError, match="logits"):
        moe.route(np.zeros(3), 1)
    with pytest.raises(ValueError, match="k"):
        moe.MixtureOfExperts(2, 2, 3, k=5)
    with pytest.raises(ValueError, match="n_in"):
        layer = moe.MixtureOfExperts(2, 2, 3, k=1)
        layer.forward(np.zeros((4, 3)), layer.init_params(0))
    with pytest.raises(ValueError, match="experts"):
        moe.load_balancing_loss(np.full((2, 2), 0.5), np.array([[0], [2]]))

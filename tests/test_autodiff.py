"""Reverse-mode autodiff (mlsheet_utils.algorithms.nn.autodiff) against jax.grad / jax.vjp in float64."""

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mlsheet_utils.algorithms.calculus import numerical_gradient  # noqa: E402
from mlsheet_utils.algorithms.nn import autodiff as ad  # noqa: E402

JAX_ACT = {"tanh": jnp.tanh, "sigmoid": jax.nn.sigmoid, "relu": jax.nn.relu, "softplus": jax.nn.softplus,
           None: lambda v: v}


@pytest.mark.parametrize("seed", range(5))
def test_mlp_gradients_match_jax(seed):
    rng = np.random.default_rng(seed)
    widths = [int(w) for w in rng.integers(1, 6, size=rng.integers(2, 5))]
    acts = [rng.choice(["tanh", "sigmoid", "relu", "softplus", None]) for _ in widths[1:]]
    acts = [None if a is None else str(a) for a in acts]
    X = rng.standard_normal((7, widths[0]))
    params = [{"W": rng.standard_normal((a, b)), "b": rng.standard_normal(b)} for a, b in zip(widths, widths[1:])]
    target = rng.standard_normal((7, widths[-1]))
    out, nodes = ad.mlp_graph(X, params, acts)
    loss = (out - target).square().mean()
    bp = ad.backward(loss)

    def f(ps):
        h = X
        for p, a in zip(ps, acts):
            h = JAX_ACT[a](h @ p["W"] + p["b"])
        return jnp.mean((h - target) ** 2)

    ref = jax.grad(f)(params)
    assert np.isclose(float(loss.value), float(f(params)), rtol=1e-13)
    for layer, ref_layer in zip(nodes, ref):
        for k in ("W", "b"):
            np.testing.assert_allclose(bp.grads[layer[k]], np.asarray(ref_layer[k]), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_broadcasting_ops_and_shared_nodes_match_jax(seed):
    rng = np.random.default_rng(10 + seed)
    A, b, c = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.uniform(0.5, 2.0, size=(4, 1))

    def ours(A, b, c):
        vA, vb, vc = ad.variable(A), ad.variable(b), ad.variable(c)
        u = vA * vb - vc                               # broadcasting both ways
        v = (u.exp() + vc.log()) * u                   # u used twice: its adjoint is a sum
        return ad.backward(v.sum() - 2.0 * vb.sum()), (vA, vb, vc)

    def theirs(A, b, c):
        u = A * b - c
        return jnp.sum((jnp.exp(u) + jnp.log(c)) * u) - 2.0 * jnp.sum(b)

    bp, vs = ours(A, b, c)
    ref = jax.grad(theirs, argnums=(0, 1, 2))(A, b, c)
    for v, r in zip(vs, ref):
        np.testing.assert_allclose(bp.grads[v], np.asarray(r), rtol=1e-11, atol=1e-12)


def test_seeded_vjp_matches_jax_vjp():
    rng = np.random.default_rng(3)
    X, W, r = rng.standard_normal((5, 3)), rng.standard_normal((3, 2)), rng.standard_normal((5, 2))
    vW = ad.variable(W)
    out = (ad.constant(X) @ vW).sigmoid()
    bp = ad.backward(out, seed=r)
    _, pull = jax.vjp(lambda w: jax.nn.sigmoid(X @ w), W)
    np.testing.assert_allclose(bp.grads[vW], np.asarray(pull(r)[0]), rtol=1e-12, atol=1e-14)


def test_against_finite_differences():
    rng = np.random.default_rng(4)
    X, W = rng.standard_normal((6, 3)), rng.standard_normal((3, 1))

    def loss(w):
        return (ad.constant(X) @ ad.variable(w)).tanh().square().mean()

    vW = ad.variable(W)
    bp = ad.backward((ad.constant(X) @ vW).tanh().square().mean())
    np.testing.assert_allclose(bp.grads[vW], numerical_gradient(lambda w: float(loss(w).value), W), rtol=1e-6)


def test_flop_counts_of_a_linear_chain():
    # forward: matmul 2nkm + tanh nm + mean nm; backward: mean 1, tanh 3nm, dW 2nkm (no gradient for the data)
    n, k, m = 5, 4, 3
    out = (ad.constant(np.ones((n, k))) @ ad.variable(np.ones((k, m)))).tanh().mean()
    bp = ad.backward(out)
    assert bp.forward_flops == 2 * n * k * m + n * m + n * m
    assert bp.backward_flops == 1 + 3 * n * m + 2 * n * k * m


def test_topological_order_puts_parents_first_and_lists_shared_nodes_once():
    a = ad.variable(1.5)
    b = a * a + a.tanh()
    graph = ad.topological_order(b)
    assert sum(node is a for node in graph.nodes) == 1
    assert all(p < i for i, ps in enumerate(graph.parents) for p in ps)
    assert graph.nodes[-1] is b
    np.testing.assert_allclose(ad.backward(b).grads[a], 2 * 1.5 + 1 - np.tanh(1.5) ** 2, rtol=1e-14)


def test_bad_inputs():
    with pytest.raises(ValueError, match="matmul"):
        ad.variable(np.ones((2, 3))) @ ad.variable(np.ones((2, 3)))
    with pytest.raises(ValueError, match="scalar"):
        ad.backward(ad.variable(np.ones(3)).tanh())
    with pytest.raises(ValueError, match="seed"):
        ad.backward(ad.variable(np.ones(3)).tanh(), seed=np.ones(2))
    with pytest.raises(ValueError, match="root"):
        ad.backward(np.ones(3))
    with pytest.raises(ValueError, match="log"):
        ad.variable(np.array([1.0, -1.0])).log()
    with pytest.raises(ValueError, match="value"):
        ad.variable([np.nan])
    with pytest.raises(ValueError, match="activations"):
        ad.mlp_graph(np.ones((2, 2)), [{"W": np.ones((2, 2))}], ["tanh", None])
    with pytest.raises(ValueError, match="activations"):
        ad.mlp_graph(np.ones((2, 2)), [{"W": np.ones((2, 2))}], ["cosh"])
    with pytest.raises(ValueError, match="shape"):
        ad.mlp_graph(np.ones((2, 2)), [{"W": np.ones((3, 2))}], [None])

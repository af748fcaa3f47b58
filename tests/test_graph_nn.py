import jax
import jax.numpy as jnp
import networkx as nx
import numpy as np
import pytest

from mlsheet_utils.algorithms.nn import graph as gnn
from mlsheet_utils.algorithms.nn import layers, optimizers

jax.config.update("jax_enable_x64", True)


def _random_graph(rng, n, p=0.3):
    G = nx.gnp_random_graph(n, p, seed=int(rng.integers(1 << 30)))
    return G, np.array(G.edges(), dtype=int).reshape(-1, 2)


def _dense_reference(G):
    # D~^-1/2 (A + I) D~^-1/2 through networkx's normalised Laplacian of the graph with self-loops
    H = G.copy()
    H.add_edges_from((v, v) for v in G)
    return np.eye(len(G)) - nx.normalized_laplacian_matrix(H, nodelist=range(len(G)), weight=None).toarray()


def test_propagate_and_dense_operator_match_networkx():
    rng = np.random.default_rng(0)
    for n in (1, 2, 7, 20):
        G, E = _random_graph(rng, n)
        ref = _dense_reference(G)
        X = rng.standard_normal((n, 3))
        np.testing.assert_allclose(gnn.propagate(gnn.gcn_graph(E, n), X), ref @ X, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(gnn.normalized_adjacency(nx.to_numpy_array(G, nodelist=range(n))), ref,
                                   rtol=1e-12, atol=1e-14)


def test_graph_conv_gradients_match_jax():
    rng = np.random.default_rng(1)
    for n, d_in, d_out in ((6, 3, 2), (15, 4, 5)):
        G, E = _random_graph(rng, n, 0.4)
        A_hat = _dense_reference(G)
        conv = gnn.GraphConv(gnn.gcn_graph(E, n), d_in, d_out)
        p = conv.init_params(rng)
        X, dy = rng.standard_normal((n, d_in)), rng.standard_normal((n, d_out))
        y, cache = conv.forward(X, p)
        dx, grads = conv.backward(dy, cache)

        def f(W, b, x, A_hat=A_hat, dy=dy):
            return jnp.sum((A_hat @ x @ W + b) * dy)

        gW, gb, gx = jax.grad(f, argnums=(0, 1, 2))(p["W"], p["b"], X)
        np.testing.assert_allclose(y, A_hat @ X @ p["W"] + p["b"], rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(grads["W"], gW, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(grads["b"], gb, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dx, gx, rtol=1e-10, atol=1e-12)


def test_training_step_matches_jax_gradient_descent():
    rng = np.random.default_rng(2)
    G, E = _random_graph(rng, 10, 0.4)
    A_hat = _dense_reference(G)
    model = gnn.GraphConv(gnn.gcn_graph(E, 10), 3, 2)
    p = model.init_params(3)
    X, labels, S = rng.standard_normal((10, 3)), rng.integers(0, 2, 10), np.array([1, 4, 7])
    tr = gnn.train_node_classifier(model, p, X, labels, S, optimizers.SGD(0.5), steps=3)

    def loss(W, b):
        z = (A_hat @ X @ W + b)[S]
        return -jnp.mean(jax.nn.log_softmax(z)[jnp.arange(len(S)), labels[S]])

    W, b = p["W"], p["b"]
    for t in range(3):
        np.testing.assert_allclose(tr.loss[t], loss(W, b), rtol=1e-12)
        gW, gb = jax.grad(loss, argnums=(0, 1))(W, b)
        W, b = W - 0.5 * gW, b - 0.5 * gb
    np.testing.assert_allclose(tr.params["W"], W, rtol=1e-10, atol=1e-12)
    rest = np.setdiff1d(np.arange(10), S)
    assert tr.accuracy[-1] == np.mean(np.asarray(A_hat @ X @ W + b)[rest].argmax(1) == labels[rest])


def test_smoothing_profile_matches_eigendecomposition():
    rng = np.random.default_rng(3)
    G = nx.connected_watts_strogatz_graph(12, 4, 0.3, seed=4)
    A_hat = _dense_reference(G)
    X = rng.standard_normal((12, 3))
    prof = gnn.smoothing_profile(A_hat, X, 6)
    lam = np.linalg.eigvalsh(A_hat)
    deg = np.array([G.degree(v) + 1 for v in range(12)], dtype=float)
    u = np.sqrt(deg) / np.linalg.norm(np.sqrt(deg))
    H = np.linalg.matrix_power(A_hat, 6) @ X
    assert prof.lambda2 == pytest.approx(np.sort(np.abs(lam))[-2], rel=1e-10)
    assert prof.distance[6] == pytest.approx(np.linalg.norm(H - np.outer(u, u @ H)) / np.linalg.norm(H), rel=1e-8)
    Un = H / np.linalg.norm(H, axis=1, keepdims=True)
    C = Un @ Un.T
    assert prof.cosine[6] == pytest.approx((C.sum() - 12) / (12 * 11), rel=1e-10)
    assert np.all(np.diff(prof.distance) <= 1e-12)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="edges"):
        gnn.gcn_graph(np.array([[0, 5]]), 3)
    with pytest.raises(ValueError, match="self-loops"):
        gnn.gcn_graph(np.array([[1, 1]]), 3)
    with pytest.raises(ValueError, match="edges"):
        gnn.gcn_graph(np.array([0.0, 1.0]), 3)
    g = gnn.gcn_graph(np.array([[0, 1]]), 3)
    with pytest.raises(ValueError, match="H"):
        gnn.propagate(g, np.ones((4, 2)))
    with pytest.raises(ValueError, match="x"):
        gnn.GraphConv(g, 2, 2).forward(np.ones((2, 2)), gnn.GraphConv(g, 2, 2).init_params())
    with pytest.raises(ValueError, match="A"):
        gnn.normalized_adjacency(np.eye(3))
    with pytest.raises(ValueError, match="labelled"):
        conv = gnn.GraphConv(g, 2, 2)
        gnn.train_node_classifier(conv, conv.init_params(), np.ones((3, 2)), np.zeros(3, int), [],
                                  optimizers.Adam(), steps=1)
    with pytest.raises(ValueError, match="depth"):
        gnn.smoothing_profile(np.eye(2), np.ones((2, 1)), -1)
    with pytest.raises(ValueError, match="graph"):
        layers.Sequential(gnn.GraphConv("not a graph", 2, 2))

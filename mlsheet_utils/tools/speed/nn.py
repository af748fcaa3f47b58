"""Neural-network pieces against direct references (SciPy's softmax, the per-head loop)."""

import numpy as np
from scipy.special import softmax as scipy_softmax

from mlsheet_utils.algorithms.nn import attention
from mlsheet_utils.tools.speed import SpeedPair


def _attention_scipy(Q, K, V):
    """One head written directly with scipy.special.softmax."""
    return scipy_softmax(Q @ K.T / np.sqrt(Q.shape[-1]), axis=-1) @ V


def attention_args(n):
    """Seeded (Q, K, V) for n positions, width 64."""
    g = np.random.default_rng(n)
    return tuple(g.standard_normal((n, 64)) for _ in range(3))


def mha_args(n):
    """Seeded inputs of self-attention over n positions, d_model = 64, 8 heads."""
    g = np.random.default_rng(n)
    X = g.standard_normal((n, 64))
    return (X, X, *(g.standard_normal((64, 64)) / 8 for _ in range(4)), 8)


PAIRS = [
    SpeedPair("4.18.2", "scaled dot-product attention vs scipy.special.softmax reference",
              lambda Q, K, V: attention.scaled_dot_product_attention(Q, K, V)[0], _attention_scipy,
              attention_args, small=6, large=2048),
    SpeedPair("4.18.2", "multi-head attention (reshape) vs per-head loop",
              lambda *a: attention.multi_head_attention(*a)[0],
              lambda *a: attention.multi_head_attention_loop(*a).output, mha_args, small=7, large=1024),
]


def _mlp_problem(n):
    """Seeded inputs, targets and parameters of a 2-32-32-1 tanh MLP on n examples."""
    from mlsheet_utils.algorithms.nn import layers

    g = np.random.default_rng(n)
    model = layers.Sequential(layers.Linear(2, 32), layers.Activation("tanh"), layers.Linear(32, 32),
                              layers.Activation("tanh"), layers.Linear(32, 1))
    return g.standard_normal((n, 2)), g.standard_normal((n, 1)), model.init_params(g), model


def mlp_args(n):
    """(X, Y, params) for the autodiff-vs-layers gradient pair."""
    X, Y, params, _ = _mlp_problem(n)
    return X, Y, params


def _autodiff_mlp_grads(X, Y, params):
    from mlsheet_utils.algorithms.nn import autodiff

    out, nodes = autodiff.mlp_graph(X, params[::2], ["tanh", "tanh", None])
    bp = autodiff.backward((out - Y).square().mean())
    return [bp.grads[v] for layer in nodes for v in layer.values()]


def _layers_mlp_grads(X, Y, params):
    from mlsheet_utils.algorithms.nn import losses

    model = _mlp_problem(1)[3]
    mse = losses.MeanSquaredError()
    pred, cache = model.forward(X, params)
    _, lc = mse.forward(pred, Y)
    grads = model.backward(mse.backward(lc), cache)[1]
    return [g[k] for g in grads[::2] for k in ("W", "b")]


def gd_args(n):
    """Least squares with n examples and 2 features, and a start, for the full-batch trajectory pair."""
    g = np.random.default_rng(n)
    X = g.standard_normal((n, 2))
    return X, X @ np.array([[1.0], [-0.5]]) + 0.1 * g.standard_normal((n, 1)), np.array([[-1.0], [2.0]])


def _trajectory_gd(X, y, w0):
    from mlsheet_utils.algorithms.nn import layers, losses, optimizers, train

    return train.trajectory(layers.Linear(2, 1, bias=False), {"W": w0}, losses.MeanSquaredError(),
                            optimizers.SGD(0.1), X, y, epochs=50, batch_size=len(X), rng=0).params[-1]["W"]


def _numpy_gd(X, y, w0):
    """The same 50 full-batch steps written directly: w <- w - eta (2/n) X^T (X w - y)."""
    w = w0
    for _ in range(50):
        w = w - 0.1 * 2 / len(X) * X.T @ (X @ w - y)
    return w


PAIRS += [
    SpeedPair("4.1", "autodiff graph gradient of an MLP vs nn.layers backward", _autodiff_mlp_grads,
              _layers_mlp_grads, mlp_args, small=16, large=4096,
              to_array=lambda grads: np.concatenate([np.ravel(g) for g in grads])),
    SpeedPair("4.2", "train.trajectory full-batch gradient descent vs a direct NumPy loop", _trajectory_gd, _numpy_gd,
              gd_args, small=16, large=4096),
]

"""Recurrent layers (forward pass and backpropagation through time) against equinox cells under ``jax.vjp``."""

import functools

import numpy as np

from mlsheet_utils.algorithms.nn import recurrent
from mlsheet_utils.tools.speed import SpeedPair

N_IN, N_HIDDEN, BATCH = 3, 16, 8


def _args(kind, T):
    """Seeded inputs, output cotangent and parameters for a batch of sequences of length T."""
    g = np.random.default_rng(T)
    layer = {"lstm": recurrent.LSTM, "gru": recurrent.GRU}[kind](N_IN, N_HIDDEN)
    params = {k: v + 0.3 * g.standard_normal(v.shape) for k, v in layer.init_params(g).items()}
    return g.standard_normal((BATCH, T, N_IN)), g.standard_normal((BATCH, T, N_HIDDEN)), params


def lstm_args(T):
    """(x, dy, params) of an LSTM(3, 16) over a batch of 8 sequences of length T."""
    return _args("lstm", T)


def gru_args(T):
    """(x, dy, params) of a GRU(3, 16) over a batch of 8 sequences of length T."""
    return _args("gru", T)


def _ours(kind, x, dy, params):
    layer = {"lstm": recurrent.LSTM, "gru": recurrent.GRU}[kind](N_IN, N_HIDDEN)
    return recurrent.bptt(layer, params, x, dy).grads


@functools.lru_cache(maxsize=None)
def _equinox_vjp(kind):
    """A jitted ``(x, dy, params) -> grads`` through an equinox cell unrolled by ``jax.lax.scan``."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import equinox as eqx
    import jax.numpy as jnp

    key = jax.random.key(0)
    if kind == "lstm":
        skeleton = eqx.nn.LSTMCell(N_IN, N_HIDDEN, key=key)

        def run(x, p):
            cell = eqx.tree_at(lambda m: (m.weight_ih, m.weight_hh, m.bias), skeleton,
                               (p["W_x"].T, p["W_h"].T, p["b"]))
            zero = jnp.zeros(N_HIDDEN)
            one = lambda xs: jax.lax.scan(lambda s, xt: (cell(xt, s), cell(xt, s)[0]), (zero, zero), xs)[1]  # noqa: E731
            return jax.vmap(one)(x)
    else:
        skeleton = eqx.nn.GRUCell(N_IN, N_HIDDEN, key=key)

        def run(x, p):
            cell = eqx.tree_at(lambda m: (m.weight_ih, m.weight_hh, m.bias, m.bias_n), skeleton,
                               (p["W_x"].T, p["W_h"].T, p["b"], p["b_hn"]))
            one = lambda xs: jax.lax.scan(lambda s, xt: (cell(xt, s), cell(xt, s)), jnp.zeros(N_HIDDEN), xs)[1]  # noqa: E731
            return jax.vmap(one)(x)

    @jax.jit
    def grads(x, dy, p):
        return jax.vjp(lambda q: run(x, q), p)[1](dy)[0]

    return lambda x, dy, p: {k: np.asarray(v) for k, v in grads(x, dy, p).items()}


def _flat(grads):
    return np.concatenate([np.ravel(grads[k]) for k in sorted(grads)])


PAIRS = [
    SpeedPair("4.16", "LSTM forward + BPTT vs jax.vjp of equinox.nn.LSTMCell (scan)",
              functools.partial(_ours, "lstm"), lambda x, dy, p: _equinox_vjp("lstm")(x, dy, p), lstm_args,
              small=7, large=500, to_array=_flat),
    SpeedPair("4.17", "GRU forward + BPTT vs jax.vjp of equinox.nn.GRUCell (scan)",
              functools.partial(_ours, "gru"), lambda x, dy, p: _equinox_vjp("gru")(x, dy, p), gru_args,
              small=7, large=500, to_array=_flat),
]

"""Mixture-of-experts routing: the sparse layer against the dense computation that runs every expert."""

import numpy as np

from mlsheet_utils.algorithms.nn import moe
from mlsheet_utils.tools.speed import SpeedPair

_LAYER = moe.MixtureOfExperts(64, 64, 8, k=2)


def make_args(n):
    """``n`` seeded tokens of width 64 and the parameters of an 8-expert, top-2 layer."""
    return np.random.default_rng(433).standard_normal((n, 64)), _LAYER.init_params(433)


def _sparse(x, params):
    return _LAYER.forward(x, params)[0]


def _dense(x, params):
    r = moe.route(x @ params["W_gate"], _LAYER.k)
    combine = np.zeros(r.probs.shape)
    np.put_along_axis(combine, r.experts, r.weights, axis=1)
    return np.einsum("te,teo->to", combine, np.einsum("ti,eio->teo", x, params["W"]) + params["b"])


PAIRS = [
    SpeedPair("4.33", "MoE top-2 of 8 (sparse dispatch) vs every expert, masked", _sparse, _dense, make_args,
              small=40, large=4096),
]

"""Initialisation and signal propagation against SciPy and a direct NumPy loop."""

import numpy as np
from scipy.spatial.distance import cdist
from scipy.stats import ortho_group

from mlsheet_utils.algorithms.nn import init, propagation
from mlsheet_utils.tools.speed import SpeedPair


def distance_args(n):
    """A seeded weight matrix with 16 inputs and n hidden units."""
    return (np.random.default_rng(n).standard_normal((16, n)),)


def orthogonal_args(n):
    """The size n of a square orthogonal matrix and a seed."""
    return n, n


def _orthogonal_ours(n, seed):
    return np.linalg.svd(init.orthogonal((n, n), seed), compute_uv=False)


def _orthogonal_scipy(n, seed):
    return np.linalg.svd(ortho_group.rvs(n, random_state=seed), compute_uv=False)


def propagation_args(n):
    """A batch of 64 inputs of width n, 20 He-initialised square layers, an output gradient."""
    g = np.random.default_rng(n)
    return g.standard_normal((64, n)), [init.he_normal((n, n), g) for _ in range(20)], g.standard_normal((64, n))


def _propagation_ours(X, Ws, G):
    p = propagation.signal_propagation(X, Ws, "relu", dy=G)
    return np.stack([p.pre, p.post, p.grad, p.weight_grad])


def _propagation_numpy(X, Ws, G):
    """The same moments written directly: forward, then backward, with ReLU."""
    zs, hs, h = [], [X], X
    for W in Ws:
        zs.append(h @ W)
        h = np.maximum(zs[-1], 0)
        hs.append(h)
    grad, wgrad, dy = [], [], G
    for W, z, h_in in zip(Ws[::-1], zs[::-1], hs[-2::-1]):
        dz = dy * (z > 0)
        grad.append(np.mean(dz * dz))
        wgrad.append(np.mean((h_in.T @ dz) ** 2))
        dy = dz @ W.T
    return np.stack([[np.mean(z * z) for z in zs], [np.mean(h * h) for h in hs[1:]], grad[::-1], wgrad[::-1]])


PAIRS = [
    SpeedPair("4.6.1", "unit distances vs scipy cdist", propagation.unit_distances,
              lambda W: cdist(W.T, W.T), distance_args, small=5, large=400),
    SpeedPair("4.7", "orthogonal init vs scipy.stats.ortho_group (singular values)", _orthogonal_ours,
              _orthogonal_scipy, orthogonal_args, small=6, large=256),
    SpeedPair("4.7", "signal propagation (layers) vs a direct NumPy loop", _propagation_ours, _propagation_numpy,
              propagation_args, small=16, large=256),
]

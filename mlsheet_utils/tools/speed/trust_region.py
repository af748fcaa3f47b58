"""Trust-region policy updates: conjugate gradient with Fisher-vector products against SciPy's."""

import numpy as np
import scipy.sparse.linalg

from mlsheet_utils.algorithms import trust_region as tr
from mlsheet_utils.tools.speed import SpeedPair


def make_args(n):
    """A random softmax policy over n states and 4 actions, state weights, and a policy gradient (in F's range)."""
    rng = np.random.default_rng(20)
    theta = rng.normal(size=(n, 4))
    pi = np.exp(theta - theta.max(1, keepdims=True))
    pi /= pi.sum(1, keepdims=True)
    w = rng.uniform(0.5, 1.5, n)
    w /= w.sum()
    A = rng.normal(size=(n, 4))
    A -= (pi * A).sum(1, keepdims=True)                # advantages average 0 under pi: g is in F's range
    return w, pi, w[:, None] * pi * A


def _ours(w, pi, g):
    return tr.conjugate_gradient(lambda v: tr._fvp(w, pi, v), g, n_iter=200)


def _scipy(w, pi, g):
    op = scipy.sparse.linalg.LinearOperator((g.size, g.size),
                                            matvec=lambda v: tr._fvp(w, pi, v.reshape(g.shape)).ravel())
    return scipy.sparse.linalg.cg(op, g.ravel(), rtol=1e-10, maxiter=200)[0].reshape(g.shape)


PAIRS = [
    SpeedPair("5.20", "natural gradient by CG (Fisher products) vs scipy.sparse.linalg.cg", _ours, _scipy,
              make_args, small=16, large=4096),
]

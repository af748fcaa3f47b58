"""Boltzmann machines and belief propagation: message passing and enumeration against the generic exact routines."""

import numpy as np

from mlsheet_utils.algorithms.nn import boltzmann as bm
from mlsheet_utils.algorithms.probability import belief_propagation as bp
from mlsheet_utils.algorithms.probability import graphical as g
from mlsheet_utils.tools.speed import SpeedPair


def _chain_mrf(n):
    names = [f"0,{c}" for c in range(n)]
    mrf, _ = bp.pairwise_mrf_from_factors(g.ising_factors((1, n), 0.5, 0.2), names)
    return mrf, g.ising_factors((1, n), 0.5, 0.2)


def _bp_marginals(mrf, factors):
    return bp.belief_propagation(mrf, len(mrf.unary) + 1).beliefs[:, 1]


def _ve_marginals(mrf, factors):
    return np.array([g.variable_elimination(factors, f"0,{c}").table[1] for c in range(len(mrf.unary))])


def _bm_params(n):
    rng = np.random.default_rng(0)
    W = rng.normal(0, 0.5, (n, n))
    return np.triu(W, 1) + np.triu(W, 1).T, rng.normal(0, 0.5, n)


def _ising_as_bm(W, b):
    return bm.boltzmann_exact(W, b).means


def _bm_by_factors(W, b):
    n = len(b)
    factors = [g.make_factor((f"s{i}", f"s{j}"), np.exp(np.array([[0, 0], [0, W[i, j]]])))
               for i in range(n) for j in range(i + 1, n)]
    factors += [g.make_factor((f"s{i}",), np.exp(np.array([0.0, b[i]]))) for i in range(n)]
    joint = g.normalize(g.factor_product(*factors))
    return np.array([g.marginalize(joint, [v for v in joint.variables if v != f"s{i}"]).table[1] for i in range(n)])


PAIRS = [
    SpeedPair("4.42", "Ising chain, all marginals: belief propagation vs variable elimination per node",
              _bp_marginals, _ve_marginals, _chain_mrf, small=9, large=40),
    SpeedPair("4.40", "Boltzmann machine unit means: vectorised enumeration vs graphical factor product",
              _ising_as_bm, _bm_by_factors, _bm_params, small=8, large=10),
]

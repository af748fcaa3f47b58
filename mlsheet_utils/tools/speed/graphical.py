"""Graphical models and MCMC: exact inference against brute-force enumeration, a Gibbs sampler against SciPy."""

import numpy as np
from scipy import stats

from mlsheet_utils.algorithms.probability import graphical as g
from mlsheet_utils.algorithms.probability import mcmc
from mlsheet_utils.tools.speed import SpeedPair


def _ising_chain(n):
    return (g.ising_factors((1, n), 0.5, 0.2),)


PAIRS = [
    SpeedPair("1.9", "Ising chain marginal: variable elimination vs brute-force enumeration",
              lambda fs: g.variable_elimination(fs, "0,0").table, lambda fs: g.enumerate_query(fs, "0,0").table,
              _ising_chain, small=9, large=18),
]


def _bn_chain(n):
    cpds = {"x0": ((), [0.3, 0.7])}
    cpds.update({f"x{i}": ((f"x{i - 1}",), [[0.9, 0.1], [0.2, 0.8]]) for i in range(1, n)})
    return g.bn_factors(cpds), f"x{n - 1}", {"x0": 1}


PAIRS.append(
    SpeedPair("1.20", "BN chain query: variable elimination vs brute-force enumeration",
              lambda f, q, e: g.variable_elimination(f, q, e).table, lambda f, q, e: g.enumerate_query(f, q, e).table,
              _bn_chain, small=4, large=18))


def _mvn_size(n):
    return n, 0


PAIRS.append(
    SpeedPair("1.22", "bivariate normal draws: Gibbs vs scipy multivariate_normal.rvs",
              lambda n, s: mcmc.gibbs_bivariate_normal(0.7, n, rng=s)[1:],
              lambda n, s: stats.multivariate_normal([0, 0], [[1, 0.7], [0.7, 1]]).rvs(n, random_state=s),
              _mvn_size, small=40_000, large=200_000, to_array=lambda x: np.cov(np.asarray(x).T)))

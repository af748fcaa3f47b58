"""Probability rules, Bayes' rule, the complement rule, moments and the partition function against references."""

import numpy as np
from scipy import stats
from scipy.stats.contingency import expected_freq
from sklearn.naive_bayes import GaussianNB

from mlsheet_utils.algorithms.probability import partition
from mlsheet_utils.algorithms.probability import rules as prob
from mlsheet_utils.tools.speed import SpeedPair


def _joint_table(n):
    g = np.random.default_rng(n)
    return (prob.dependent_table(g.dirichlet(np.ones(n)), g.dirichlet(np.ones(n)), 0.5),)


def _event_masks(n):
    return (np.random.default_rng(n).random((6, n)) < 0.3,)


def _fitted_nb():
    """GaussianNB fitted to two seeded Gaussian classes of 60 and 40 points, shaped like the page's data."""
    g = np.random.default_rng(1103)
    X = np.concatenate([g.normal(-1, 1.0, (60, 2)), g.normal(1.5, 0.7, (40, 2))])
    return GaussianNB().fit(X, np.repeat([0, 1], [60, 40]))


def _queries_and_model(n):
    return np.random.default_rng(n).normal(size=(n, 2)), _fitted_nb()


def _nb_posterior(Xq, nb):
    ll = np.column_stack([stats.norm.logpdf(Xq, nb.theta_[k], np.sqrt(nb.var_[k])).sum(axis=1) for k in range(2)])
    return prob.posterior(nb.class_prior_, ll)


def _ring(n):
    return n, 0.9, 0.1


def _p_and_n(n):
    return np.linspace(1e-6, 0.9, n), np.arange(1, n + 1)


def _normal_sample(n):
    return (np.random.default_rng(n).normal(size=n),)


PAIRS = [
    SpeedPair("1.10.1", "independence gap vs scipy expected_freq", prob.independence_gap,
              lambda J: np.abs(J - expected_freq(J)).max(), _joint_table, small=3, large=1000),
    SpeedPair("1.10.2", "inclusion-exclusion (6 events) vs direct any()", prob.union_prob,
              lambda m: m.any(axis=0).mean(), _event_masks, small=36, large=100_000),
    SpeedPair("1.10.3", "Bayes posterior (Gaussian likelihoods) vs sklearn GaussianNB.predict_proba", _nb_posterior,
              lambda Xq, nb: nb.predict_proba(Xq), _queries_and_model, small=100, large=200_000),
    SpeedPair("1.10.4", "log Z: transfer matrix vs scipy logsumexp over 2^N states",
              partition.ising_ring_log_z_transfer, partition.ising_ring_log_z, _ring, small=10,
              large=partition.MAX_SPINS),
    SpeedPair("1.10.5", "P(at least one) vs scipy.stats.binom.sf", prob.p_at_least_one,
              lambda p, n: stats.binom.sf(0, n, p), _p_and_n, small=30, large=1_000_000),
    SpeedPair("1.10.6", "Welford variance (Python loop) vs numpy.var", prob.welford_var, np.var, _normal_sample,
              small=500, large=200_000),
]

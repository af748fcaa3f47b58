"""Graphical models and MCMC: exact inference against brute-force enumeration, a Gibbs sampler against SciPy."""

import numpy as np
from scipy import stats
from sklearn.decomposition import LatentDirichletAllocation

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


_LDA_V, _LDA_K, _LDA_N = 15, 3, 30
_LDA_PHI = np.full((_LDA_K, _LDA_V), 0.02)
for _k in range(_LDA_K):
    _LDA_PHI[_k, 5 * _k: 5 * _k + 5] = 1.0 + 0.3 * np.arange(5)
_LDA_PHI /= _LDA_PHI.sum(1, keepdims=True)


def _lda_corpus(n_docs):
    corpus = g.lda_generate(n_docs, _LDA_N, _LDA_PHI, alpha=0.3, rng=5)
    counts = np.zeros((n_docs, _LDA_V))
    np.add.at(counts, (np.repeat(np.arange(n_docs), _LDA_N), corpus.docs.ravel()), 1)
    return corpus.docs, counts


def _lda_gibbs_topics(docs, counts):
    est = g.lda_collapsed_gibbs(docs, _LDA_K, _LDA_V, 0.3, 0.1, n_iter=60, rng=1).phi
    return est[g.match_topics(est, _LDA_PHI)[0]]


def _lda_sklearn_topics(docs, counts):
    model = LatentDirichletAllocation(_LDA_K, doc_topic_prior=0.3, topic_word_prior=0.1, max_iter=50,
                                      random_state=0).fit(counts)
    est = model.components_ / model.components_.sum(1, keepdims=True)
    return est[g.match_topics(est, _LDA_PHI)[0]]


PAIRS.append(
    SpeedPair("1.23", "LDA topics (matched): collapsed Gibbs vs sklearn LatentDirichletAllocation",
              _lda_gibbs_topics, _lda_sklearn_topics, _lda_corpus, small=40, large=200))

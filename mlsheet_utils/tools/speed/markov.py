"""Markov chains and hidden Markov models against networkx and hmmlearn."""

import networkx as nx
import numpy as np
from hmmlearn import hmm

from mlsheet_utils.algorithms import markov
from mlsheet_utils.tools.speed import SpeedPair

_START = np.array([0.5, 0.5])
_TRANS = np.array([[0.95, 0.05], [0.10, 0.90]])
_EMIT = np.vstack([np.full(6, 1 / 6), [0.1] * 5 + [0.5]])


def _casino_rolls(n):
    return (markov.sample_hmm(_START, _TRANS, _EMIT, n, rng=3)[1],)


def _hmmlearn_score(obs):
    ref = hmm.CategoricalHMM(n_components=2, init_params="", params="")
    ref.n_features = 6
    ref.startprob_, ref.transmat_, ref.emissionprob_ = _START, _TRANS, _EMIT
    return ref.score(obs[:, None])


def _random_web(n):
    g = np.random.default_rng(5)
    W = (g.random((n, n)) < min(1.0, 4.0 / n)).astype(float)
    np.fill_diagonal(W, 0)
    return (W,)


def _networkx_pagerank(W):
    pr = nx.pagerank(nx.from_numpy_array(W, create_using=nx.DiGraph), alpha=0.85, tol=1e-14, max_iter=1000)
    return np.array([pr[i] for i in range(W.shape[0])])


PAIRS = [
    SpeedPair("5.7", "scaled forward log-likelihood vs hmmlearn CategoricalHMM.score",
              lambda x: markov.forward(_START, _TRANS, _EMIT, x).log_likelihood, _hmmlearn_score,
              _casino_rolls, small=400, large=20_000),
    SpeedPair("5.5", "PageRank (power iteration) vs networkx.pagerank",
              lambda W: markov.pagerank(W, 0.85), _networkx_pagerank, _random_web, small=5, large=500),
]

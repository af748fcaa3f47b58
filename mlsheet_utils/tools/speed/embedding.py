"""Neighbour embeddings and maps: exact t-SNE's affinities and KL gradient against scikit-learn's internals, and
self-organising map training against MiniSom."""

import numpy as np
from minisom import MiniSom
from scipy.spatial.distance import squareform
from sklearn.manifold import _t_sne

from mlsheet_utils.algorithms import embedding as emb
from mlsheet_utils.algorithms.clustering import som
from mlsheet_utils.tools.speed import SpeedPair


def _points(n):
    """``n`` points in 10 dimensions."""
    return (np.random.default_rng(0).standard_normal((n, 10)),)


def _affinities_and_embedding(n):
    """Joint affinities of ``n`` points in 10 dimensions (perplexity 20) and a random 2-D embedding."""
    g = np.random.default_rng(0)
    return emb.joint_probabilities(g.standard_normal((n, 10)), 20.0), g.standard_normal((n, 2))


def _grad_ref(P, Y):
    n = len(Y)
    return _t_sne._kl_divergence(Y.ravel().copy(), squareform(P, checks=False), 1, n, 2)[1].reshape(n, 2)


def _som_args(n):
    """``n`` training steps on 300 points of the unit square, an 8 x 8 map started at data points."""
    g = np.random.default_rng(0)
    X = g.uniform(0.0, 1.0, (300, 2))
    return X, X[g.choice(300, 64, replace=False)], n


def _som_ours(X, W0, n_steps):
    return som.som_train(X, W0, som.grid_positions(8, 8), n_iter=n_steps, eta0=0.5, sigma0=2.0).weights


def _som_ref(X, W0, n_steps):
    ref = MiniSom(8, 8, 2, sigma=2.0, learning_rate=0.5, random_seed=0)
    ref._weights = W0.reshape(8, 8, 2).copy()
    ref.train(X, n_steps, random_order=False)
    return ref.get_weights().reshape(-1, 2)


PAIRS = [
    SpeedPair("3.23.3", "t-SNE joint P (perplexity search) vs scikit-learn _joint_probabilities",
              lambda X: emb.joint_probabilities(X, 20.0),
              lambda X: squareform(_t_sne._joint_probabilities(emb.squared_euclidean(X), 20.0, 0)),
              _points, small=150, large=1000),
    SpeedPair("3.23.3", "t-SNE KL gradient vs scikit-learn _kl_divergence",
              emb.kl_gradient, _grad_ref, _affinities_and_embedding, small=150, large=1000),
    SpeedPair("3.23.6", "SOM online training vs MiniSom.train",
              _som_ours, _som_ref, _som_args, small=1500, large=20_000),
]

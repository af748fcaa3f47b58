"""Message passing against a SciPy sparse product, TF-IDF against scikit-learn."""

import numpy as np
import scipy.sparse as sps
from sklearn.feature_extraction.text import TfidfVectorizer

from mlsheet_utils.algorithms import retrieval as rt
from mlsheet_utils.algorithms.nn import graph as gnn
from mlsheet_utils.tools.speed import SpeedPair


def graph_args(n):
    """A random graph on ``n`` nodes with about 4 n edges, 16 features per node, and its sparse operator."""
    rng = np.random.default_rng(36)
    edges = rng.integers(0, n, size=(4 * n, 2))
    edges = edges[edges[:, 0] != edges[:, 1]]
    graph = gnn.gcn_graph(edges, n)
    A_hat = sps.csr_matrix((graph.weight, (graph.dst, graph.src)), shape=(n, n))
    return graph, A_hat, rng.standard_normal((n, 16))


def corpus_args(n):
    """``n`` documents of 20 words drawn from a 500-word vocabulary."""
    rng = np.random.default_rng(37)
    vocab = np.array([f"w{i:03d}" for i in range(500)])
    return ([" ".join(rng.choice(vocab, 20)) for _ in range(n)],)


PAIRS = [
    SpeedPair("4.36", "GCN propagation (np.add.at over edges) vs scipy.sparse product",
              lambda g, A, H: gnn.propagate(g, H), lambda g, A, H: A @ H, graph_args, small=34, large=20_000),
    SpeedPair("4.37", "TF-IDF fit (ours) vs scikit-learn TfidfVectorizer",
              lambda docs: rt.TfidfRetriever().fit(docs).doc_vectors_,
              lambda docs: TfidfVectorizer().fit_transform(docs).toarray(), corpus_args, small=10, large=2_000),
]

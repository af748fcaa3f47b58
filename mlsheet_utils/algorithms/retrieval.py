r"""Retrieval for retrieval-augmented generation: TF-IDF vectors, cosine top-k, chunking, ranking metrics, an
extractive reader and the RAG marginal likelihood.

- :func:`tokenize`          lower-cased words of two or more letters or digits (scikit-learn's default pattern);
- :func:`chunk_words`       fixed-size word windows with an overlap (a :class:`Chunks`: texts and start offsets);
- :class:`TfidfRetriever`   fit on a corpus: vocabulary, smoothed idf :math:`\ln\frac{1+n}{1+\mathrm{df}} + 1`,
  L2-normalised rows; :meth:`~TfidfRetriever.search` ranks by cosine similarity (a dot product of unit vectors);
- :func:`ranking_metrics`   recall@k for several k and the mean reciprocal rank (a :class:`RankingMetrics`);
- :func:`extractive_answer` a stand-in for the generator that can only copy: the retrieved sentence sharing most
  words with the question (an :class:`Answer`);
- :func:`rag_marginal`      :math:`\log \sum_{r} p(r \mid q)\, p(c \mid q, r)` over the top-k passages with a
  softmax retriever, and its gradient with respect to the retrieval scores (a :class:`RagMarginal`).
"""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass

import numpy as np

from mlsheet_utils.validation import as_array, check_float, check_int

__all__ = ["Answer", "Chunks", "RagMarginal", "RankingMetrics", "TfidfRetriever", "chunk_words", "extractive_answer",
           "rag_marginal", "ranking_metrics", "tokenize"]

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _check_iterable(value, name: str, what: str) -> list:
    """``value`` as a list, refusing None, a string and a non-iterable (``what`` says what was expected)."""
    if value is None or isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValueError(f"{name} must be {what}, got {type(value).__name__} {value!r:.60}")
    return list(value)


def tokenize(text: str) -> list[str]:
    """Lower-cased tokens of two or more word characters, in order (``TfidfVectorizer``'s default analyser)."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    return _TOKEN.findall(text.lower())


@dataclass(frozen=True)
class Chunks:
    """Word windows of one text.

    Attributes
    ----------
    texts : list of str
        The windows, words joined by single spaces.
    starts : ndarray of int
        Index of each window's first word in ``text.split()``.
    """

    texts: list
    starts: np.ndarray


def chunk_words(text: str, size: int, overlap: int = 0) -> Chunks:
    """Split ``text`` on whitespace into windows of ``size`` words, each starting ``size - overlap`` words after the
    previous one; the last window may be shorter and no window lies inside the previous one.

    Parameters
    ----------
    text : str
    size : int >= 1
    overlap : int in [0, size - 1]

    Returns
    -------
    Chunks (no window for a text without words)
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    size = check_int(size, "size", low=1)
    overlap = check_int(overlap, "overlap", low=0, high=size - 1)
    words = text.split()
    starts = np.arange(0, max(len(words) - overlap, 1), size - overlap) if words else np.zeros(0, dtype=int)
    return Chunks([" ".join(words[s:s + size]) for s in starts], starts)


@dataclass(eq=False)
class TfidfRetriever:
    r"""TF-IDF vectors and cosine-similarity search over a fixed corpus.

    For term :math:`t` and document :math:`d` of a corpus of :math:`n` documents,

    .. math::
        \mathrm{tfidf}(t, d) = \mathrm{tf}(t, d)\,\Bigl(\ln\frac{1 + n}{1 + \mathrm{df}(t)} + 1\Bigr),

    with :math:`\mathrm{tf}` the raw count (or :math:`1 + \ln \mathrm{tf}` when ``sublinear_tf``), each row then
    divided by its Euclidean norm. The cosine similarity of a query and a document is the dot product of their
    rows. Terms are the tokens of :func:`tokenize`. The same options as
    ``sklearn.feature_extraction.text.TfidfVectorizer(smooth_idf=True, norm="l2")``.

    Parameters
    ----------
    sublinear_tf : bool

    Attributes (after :meth:`fit`)
    -------------------------------
    vocabulary_ : dict term -> column (terms sorted alphabetically)
    idf_ : ndarray, shape (n_terms,)
    doc_vectors_ : ndarray, shape (n_docs, n_terms), unit rows (zero rows for documents without known terms)
    """

    sublinear_tf: bool = False

    def __post_init__(self):
        if not isinstance(self.sublinear_tf, (bool, np.bool_)):
            raise ValueError(f"sublinear_tf must be a bool, got {self.sublinear_tf!r}")

    def _counts(self, texts) -> np.ndarray:
        V = self.vocabulary_
        C = np.zeros((len(texts), len(V)))
        for i, text in enumerate(texts):
            cols = [V[t] for t in tokenize(text) if t in V]
            np.add.at(C[i], cols, 1.0)
        return C

    def _weigh(self, C: np.ndarray) -> np.ndarray:
        tf = np.where(C > 0, 1.0 + np.log(np.where(C > 0, C, 1.0)), 0.0) if self.sublinear_tf else C
        W = tf * self.idf_
        norms = np.linalg.norm(W, axis=1, keepdims=True)
        return W / np.where(norms > 0, norms, 1.0)

    @staticmethod
    def _check_texts(texts, name: str) -> list[str]:
        texts = _check_iterable(texts, name, "a list of strings")
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise ValueError(f"{name} must be a list of strings")
        texts = list(texts)
        if not texts:
            raise ValueError(f"{name} is empty")
        return texts

    def fit(self, docs) -> "TfidfRetriever":
        """Learn the vocabulary and idf of ``docs`` (a list of strings) and store their unit TF-IDF rows."""
        docs = self._check_texts(docs, "docs")
        terms = sorted({t for d in docs for t in tokenize(d)})
        if not terms:
            raise ValueError("docs contain no tokens of two or more characters")
        self.vocabulary_ = {t: j for j, t in enumerate(terms)}
        C = self._counts(docs)
        df = (C > 0).sum(axis=0)
        self.idf_ = np.log((1.0 + len(docs)) / (1.0 + df)) + 1.0
        self.doc_vectors_ = self._weigh(C)
        return self

    def transform(self, texts) -> np.ndarray:
        """Unit TF-IDF rows of ``texts`` in the fitted vocabulary (unknown words are ignored), shape (m, n_terms)."""
        if not hasattr(self, "idf_"):
            raise ValueError("this TfidfRetriever is not fitted yet: call fit(docs) first")
        return self._weigh(self._counts(self._check_texts(texts, "texts")))

    def search(self, queries, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` documents most cosine-similar to each query, best first (ties by lower index).

        Returns
        -------
        (indices, scores) : two ndarrays of shape (n_queries, k)
        """
        queries = self._check_texts(queries, "queries")
        Q = self.transform(queries)
        k = check_int(k, "k", low=1, high=len(self.doc_vectors_))
        S = Q @ self.doc_vectors_.T
        order = np.argsort(-S, axis=1, kind="stable")[:, :k]
        return order, np.take_along_axis(S, order, axis=1)


@dataclass(frozen=True)
class RankingMetrics:
    """Ranking quality over a set of queries.

    Attributes
    ----------
    ks : ndarray of int
    recall : ndarray, shape (len(ks),)
        Share of queries with a relevant item among their first ``k`` results.
    mrr : float
        Mean over queries of 1 / (rank of the first relevant result), 0 when none is in the ranking.
    first_hit : ndarray of int, shape (n_queries,)
        1-based rank of the first relevant result, 0 when none.
    """

    ks: np.ndarray
    recall: np.ndarray
    mrr: float
    first_hit: np.ndarray


def ranking_metrics(ranked, relevant, ks) -> RankingMetrics:
    r"""Recall@k and mean reciprocal rank.

    .. math::
        \mathrm{recall@}k = \frac{1}{|Q|}\sum_{q} \mathbb 1\bigl[\mathrm{rank}_q \le k\bigr], \qquad
        \mathrm{MRR} = \frac{1}{|Q|}\sum_{q} \frac{1}{\mathrm{rank}_q},

    with :math:`\mathrm{rank}_q` the position of the first relevant item (and :math:`1/\mathrm{rank}_q = 0` when
    none is ranked).

    Parameters
    ----------
    ranked : array_like of int, shape (n_queries, depth)
        Item ids per query, best first.
    relevant : sequence of sets (or iterables) of int, one per query
    ks : iterable of int in [1, depth], at least one

    Returns
    -------
    RankingMetrics
    """
    ranked = np.asarray(ranked)
    if ranked.ndim != 2 or ranked.size == 0 or not np.issubdtype(ranked.dtype, np.integer):
        raise ValueError(f"ranked must be a non-empty 2-D integer array, got shape {ranked.shape}")
    relevant = [_check_iterable(r, "relevant", "a sequence of sets of int item ids")
                for r in _check_iterable(relevant, "relevant", "a sequence of sets of int item ids")]
    relevant = [set(r) for r in relevant]
    if len(relevant) != len(ranked):
        raise ValueError(f"relevant must have one set per query (one per row of ranked: {len(ranked)}), "
                         f"got {len(relevant)}")
    if not all(isinstance(i, numbers.Integral) and not isinstance(i, bool) for r in relevant for i in r):
        raise ValueError("relevant must hold sets of int item ids")
    ks = _check_iterable(ks, "ks", "an iterable of int in [1, depth]")
    if not ks:
        raise ValueError("ks must hold at least one k, got an empty iterable")
    ks = np.array([check_int(k, "ks", low=1, high=ranked.shape[1]) for k in ks], dtype=int)
    hit = np.array([[item in rel for item in row] for row, rel in zip(ranked, relevant)])
    first = np.where(hit.any(axis=1), hit.argmax(axis=1) + 1, 0)
    recall = np.array([np.mean((first >= 1) & (first <= k)) for k in ks])
    mrr = float(np.mean(np.where(first > 0, 1.0 / np.maximum(first, 1), 0.0)))
    return RankingMetrics(ks, recall, mrr, first)


@dataclass(frozen=True)
class Answer:
    """What :func:`extractive_answer` returns.

    Attributes
    ----------
    text : str
        The chosen sentence.
    source : int
        Index (into the passages) of the passage it came from.
    overlap : int
        Number of distinct question words it shares.
    """

    text: str
    source: int
    overlap: int


def extractive_answer(question: str, passages, retrieved) -> Answer:
    """Answer by copying: split the retrieved passages into sentences and return the one sharing the most distinct
    words with the question (ties: the earlier retrieved passage, then the earlier sentence).

    This reader cannot know anything the retrieved text does not say, so a retrieval miss becomes a wrong (or
    irrelevant) answer.

    Parameters
    ----------
    question : str
    passages : list of str
    retrieved : iterable of int
        Passage indices, best first (at least one).

    Returns
    -------
    Answer
    """
    if not isinstance(question, str):
        raise ValueError(f"question must be a str, got {type(question).__name__}")
    passages = TfidfRetriever._check_texts(passages, "passages")
    retrieved = _check_iterable(retrieved, "retrieved", "an iterable of int passage indices")
    if not all(isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in retrieved):
        raise ValueError(f"retrieved must hold int passage indices, got {retrieved!r:.80}")
    if retrieved and min(retrieved) >= 0 and max(retrieved) >= len(passages):
        raise ValueError(f"retrieved holds index {max(retrieved)} but passages has only {len(passages)} entries")
    retrieved = [int(i) for i in retrieved]
    if not retrieved or min(retrieved) < 0 or max(retrieved) >= len(passages):
        raise ValueError(f"retrieved must hold at least one index in [0, {len(passages) - 1}], got {retrieved}")
    q = set(tokenize(question))
    best = None
    for i in retrieved:
        for sentence in _SENTENCE.split(passages[i]):
            score = len(q & set(tokenize(sentence)))
            if best is None or score > best.overlap:
                best = Answer(sentence, i, score)
    return best


@dataclass(frozen=True)
class RagMarginal:
    r"""The RAG-Sequence objective for one (query, answer) pair.

    Attributes
    ----------
    value : float
        :math:`\log \sum_r p(r \mid q)\, p(c \mid q, r)`.
    retrieval : ndarray, shape (k,)
        :math:`p(r \mid q) = \mathrm{softmax}(s / \tau)`.
    posterior : ndarray, shape (k,)
        :math:`p(r \mid q, c) \propto p(r \mid q)\, p(c \mid q, r)`: which passage explains the answer.
    grad_scores : ndarray, shape (k,)
        :math:`\partial\,\mathrm{value} / \partial s_r = (\mathrm{posterior}_r - \mathrm{retrieval}_r)/\tau`.
    """

    value: float
    retrieval: np.ndarray
    posterior: np.ndarray
    grad_scores: np.ndarray


def rag_marginal(scores, log_gen, temperature: float = 1.0) -> RagMarginal:
    r"""Marginal log-likelihood of an answer over the top-k retrieved passages (Lewis et al., 2020).

    .. math::
        p(r \mid q) = \frac{e^{s_r/\tau}}{\sum_{r'} e^{s_{r'}/\tau}}, \qquad
        \mathcal L = \log \sum_r p(r \mid q)\, p(c \mid q, r), \qquad
        \frac{\partial \mathcal L}{\partial s_r} = \frac{p(r \mid q, c) - p(r \mid q)}{\tau}.

    Parameters
    ----------
    scores : array_like, shape (k,)
        Retrieval scores of the retrieved passages (e.g. cosine similarities).
    log_gen : array_like, shape (k,)
        :math:`\log p(c \mid q, r)` of the answer given each passage (at most 0).
    temperature : float > 0

    Returns
    -------
    RagMarginal
    """
    s = as_array(scores, "scores", ndim=1)
    g = as_array(log_gen, "log_gen", ndim=1)
    if s.size == 0 or g.shape != s.shape:
        raise ValueError(f"scores and log_gen must be non-empty and of the same length, got {s.shape} and {g.shape}")
    if np.any(g > 0):
        raise ValueError("log_gen must hold log-probabilities (at most 0)")
    tau = check_float(temperature, "temperature", low=0, low_open=True)
    z = s / tau
    log_ret = z - z.max() - np.log(np.exp(z - z.max()).sum())
    joint = log_ret + g
    value = float(joint.max() + np.log(np.exp(joint - joint.max()).sum()))
    post = np.exp(joint - value)
    ret = np.exp(log_ret)
    return RagMarginal(value, ret, post, (post - ret) / tau)

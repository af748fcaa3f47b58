import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import label_ranking_average_precision_score, top_k_accuracy_score
from sklearn.metrics.pairwise import cosine_similarity

from mlsheet_utils.algorithms import retrieval as rt

jax.config.update("jax_enable_x64", True)

WORDS = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "iota", "kappa", "a", "b2", "x_y", "42"]


def _texts(rng, n, length=(3, 12)):
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(*length)))).capitalize() + "." for _ in range(n)]


def test_tfidf_matches_sklearn_over_random_corpora():
    rng = np.random.default_rng(0)
    for _ in range(6):
        docs, queries = _texts(rng, int(rng.integers(2, 15))), _texts(rng, 4)
        for sub in (False, True):
            ours = rt.TfidfRetriever(sublinear_tf=sub).fit(docs)
            sk = TfidfVectorizer(sublinear_tf=sub).fit(docs)
            assert ours.vocabulary_ == sk.vocabulary_
            np.testing.assert_allclose(ours.idf_, sk.idf_, rtol=1e-13)
            np.testing.assert_allclose(ours.doc_vectors_, sk.transform(docs).toarray(), rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(ours.transform(queries), sk.transform(queries).toarray(), rtol=1e-12,
                                       atol=1e-15)
            k = min(3, len(docs))
            idx, scores = ours.search(queries, k)
            S = cosine_similarity(sk.transform(queries), sk.transform(docs))
            np.testing.assert_allclose(scores, np.take_along_axis(S, idx, axis=1), rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(scores, -np.sort(-S, axis=1)[:, :k], rtol=1e-12, atol=1e-15)


def test_tokenize_matches_sklearn_analyzer():
    analyzer = TfidfVectorizer().build_analyzer()
    for text in ("Hello, World! a b 12 x_y Café-au-lait", "The Root sensor has a battery life of 4 years."):
        assert rt.tokenize(text) == analyzer(text)


def test_chunk_words_covers_the_text_with_the_stride():
    words = [f"w{i}" for i in range(23)]
    for size, overlap in ((5, 0), (5, 2), (8, 7), (30, 3)):
        res = rt.chunk_words(" ".join(words), size, overlap)
        chunks = res.texts
        stride = size - overlap
        assert np.array_equal(res.starts, stride * np.arange(len(chunks)))
        for j, c in enumerate(chunks):
            assert c.split() == words[j * stride: j * stride + size]
        assert chunks[-1].split()[-1] == "w22"
        assert len(chunks) == max(1, int(np.ceil((len(words) - overlap) / stride)))


def test_ranking_metrics_match_sklearn_with_one_relevant_item():
    rng = np.random.default_rng(1)
    for _ in range(5):
        n_q, n_items = int(rng.integers(2, 20)), int(rng.integers(3, 12))
        S = rng.standard_normal((n_q, n_items))
        gold = rng.integers(0, n_items, n_q)
        ranked = np.argsort(-S, axis=1)
        m = rt.ranking_metrics(ranked, [{g} for g in gold], range(1, n_items))
        for k, r in zip(m.ks, m.recall):
            assert r == pytest.approx(top_k_accuracy_score(gold, S, k=int(k), labels=np.arange(n_items)))
        assert m.mrr == pytest.approx(label_ranking_average_precision_score(np.eye(n_items)[gold], S))


def test_rag_marginal_matches_jax():
    rng = np.random.default_rng(2)
    for k in (1, 3, 7):
        s, g, tau = rng.standard_normal(k), np.log(rng.uniform(0.01, 1, k)), float(rng.uniform(0.05, 2))

        def f(s_, g=g, tau=tau):
            return jax.scipy.special.logsumexp(jax.nn.log_softmax(s_ / tau) + g)

        res = rt.rag_marginal(s, g, tau)
        assert res.value == pytest.approx(float(f(jnp.asarray(s))), rel=1e-12)
        np.testing.assert_allclose(res.grad_scores, jax.grad(f)(jnp.asarray(s)), rtol=1e-10, atol=1e-14)
        assert res.posterior.sum() == pytest.approx(1.0)


def test_extractive_answer_picks_the_most_overlapping_sentence():
    passages = ["Cats sleep a lot. Dogs bark at night.", "The moon is bright at night. Owls hunt at night."]
    a = rt.extractive_answer("When do owls hunt?", passages, [0, 1])
    assert (a.text, a.source, a.overlap) == ("Owls hunt at night.", 1, 2)
    assert rt.extractive_answer("When do owls hunt?", passages, [0]).source == 0


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="size"):
        rt.chunk_words("a b c", 0)
    with pytest.raises(ValueError, match="overlap"):
        rt.chunk_words("a b c", 3, 3)
    with pytest.raises(ValueError, match="sublinear_tf"):
        rt.TfidfRetriever(sublinear_tf="yes")
    with pytest.raises(ValueError, match="docs"):
        rt.TfidfRetriever().fit("not a list")
    with pytest.raises(ValueError, match="fitted"):
        rt.TfidfRetriever().transform(["x"])
    with pytest.raises(ValueError, match="k"):
        rt.TfidfRetriever().fit(["aa bb", "cc dd"]).search(["aa"], 3)
    with pytest.raises(ValueError, match="relevant"):
        rt.ranking_metrics(np.array([[0, 1]]), [{0}, {1}], [1])
    with pytest.raises(ValueError, match="retrieved"):
        rt.extractive_answer("q", ["p"], [])
    with pytest.raises(ValueError, match="log_gen"):
        rt.rag_marginal([0.1, 0.2], [0.0, 0.5])
    with pytest.raises(ValueError, match="temperature"):
        rt.rag_marginal([0.1], [0.0], temperature=0)

import itertools

import numpy as np
import pytest
from scipy.special import expit

from mlsheet_utils.algorithms.probability import graphical as g
from mlsheet_utils.algorithms.probability import mcmc


def random_factors(rng, n_vars, n_factors):
    names = [f"v{i}" for i in range(n_vars)]
    cards = {v: int(rng.integers(2, 4)) for v in names}
    factors = []
    for _ in range(n_factors):
        scope = list(rng.choice(names, size=int(rng.integers(1, min(3, n_vars) + 1)), replace=False))
        factors.append(g.make_factor(scope, rng.uniform(0.1, 2.0, size=[cards[v] for v in scope])))
    for v in names:                      # every variable appears somewhere
        factors.append(g.make_factor([v], rng.uniform(0.5, 1.5, size=cards[v])))
    return names, cards, factors


def test_variable_elimination_matches_enumeration_over_random_models():
    """numpy-ml style: many random factor graphs, queries and evidence; two exact methods must agree."""
    rng = np.random.default_rng(0)
    for _ in range(25):
        names, cards, factors = random_factors(rng, int(rng.integers(2, 7)), int(rng.integers(1, 7)))
        perm = list(rng.permutation(names))
        n_q = int(rng.integers(1, min(3, len(perm)) + 1))
        query, rest = perm[:n_q], perm[n_q:]
        evidence = {v: int(rng.integers(cards[v])) for v in rest[: int(rng.integers(0, len(rest) + 1))]}
        ref = g.enumerate_query(factors, query, evidence)
        ours = g.variable_elimination(factors, query, evidence)
        assert ours.variables == tuple(query)
        np.testing.assert_allclose(ours.table, ref.table, rtol=1e-10, atol=1e-14)
        hidden = [v for v in names if v not in query and v not in evidence]
        fixed = g.variable_elimination(factors, query, evidence, order=list(rng.permutation(hidden)))
        np.testing.assert_allclose(fixed.table, ref.table, rtol=1e-10, atol=1e-14)


def test_factor_product_and_marginalize_by_loops():
    rng = np.random.default_rng(1)
    f = g.make_factor(["a", "b"], rng.random((2, 3)))
    h = g.make_factor(["b", "c"], rng.random((3, 2)))
    p = g.factor_product(f, h)
    assert p.variables == ("a", "b", "c")
    for a in range(2):
        for b in range(3):
            for c in range(2):
                assert p.table[a, b, c] == pytest.approx(f.table[a, b] * h.table[b, c])
    m = g.marginalize(p, ["b"])
    np.testing.assert_allclose(m.table, f.table @ h.table)
    np.testing.assert_allclose(g.condition(p, {"b": 2}).table, np.outer(f.table[:, 2], h.table[2]))


def test_ising_exact_matches_direct_sum_and_symmetry():
    ex = g.ising_exact((2, 2), J=0.7, h=0.0)
    # 2x2 grid: 4 edges. Z = sum over 16 states of exp(J * sum of edge products)
    Z = sum(np.exp(0.7 * (s[0, 0] * s[0, 1] + s[1, 0] * s[1, 1] + s[0, 0] * s[1, 0] + s[0, 1] * s[1, 1]))
            for s in g.ising_states((2, 2)))
    assert ex.Z == pytest.approx(Z, rel=1e-12)
    np.testing.assert_allclose(ex.marginals, 0.5, atol=1e-12)     # h = 0: spin-flip symmetry
    assert ex.probs.sum() == pytest.approx(1.0)
    # single site: P(+1) = sigmoid(2h)
    assert g.ising_exact((1, 1), 0.3, 0.4).marginals[0, 0] == pytest.approx(expit(0.8))


def test_ising_gibbs_marginals_and_correlations_match_exact():
    J, h = 0.4, 0.2
    ex = g.ising_exact((3, 3), J, h)
    x = g.ising_gibbs((3, 3), J, h, n_sweeps=20_000, rng=3)[500:].astype(float)
    np.testing.assert_allclose((x > 0).mean(0), ex.marginals, atol=0.02)
    exact_corr = ex.probs @ (ex.states[:, 0, 0] * ex.states[:, 0, 1])
    assert (x[:, 0, 0] * x[:, 0, 1]).mean() == pytest.approx(exact_corr, abs=0.03)


def test_ancestral_sampling_matches_the_joint():
    cpds = {"C": ((), [0.5, 0.5]),
            "S": (("C",), [[0.5, 0.5], [0.9, 0.1]]),
            "R": (("C",), [[0.8, 0.2], [0.2, 0.8]]),
            "W": (("S", "R"), [[[1.0, 0.0], [0.1, 0.9]], [[0.1, 0.9], [0.01, 0.99]]])}
    assert g.topological_order(cpds).index("W") == 3
    joint = g.factor_product(*g.bn_factors(cpds))
    assert joint.table.sum() == pytest.approx(1.0)
    s = g.ancestral_sample(cpds, 40_000, rng=5)
    counts = np.zeros(joint.table.shape)
    np.add.at(counts, tuple(s[v] for v in joint.variables), 1)
    np.testing.assert_allclose(counts / 40_000, joint.table, atol=0.01)


def test_gibbs_bivariate_normal_moments_and_autocorrelation():
    rho = 0.8
    x = mcmc.gibbs_bivariate_normal(rho, 60_000, rng=7, mu=(1.0, -2.0), sigma=(2.0, 0.5))[1000:]
    np.testing.assert_allclose(x.mean(0), [1.0, -2.0], atol=0.06)
    np.testing.assert_allclose(x.std(0), [2.0, 0.5], rtol=0.03)
    assert np.corrcoef(x.T)[0, 1] == pytest.approx(rho, abs=0.02)
    r = mcmc.autocorrelation(x[:, 0], 3)
    np.testing.assert_allclose(r, rho ** (2 * np.arange(4)), atol=0.03)


def test_zigzag_moves_one_coordinate_at_a_time():
    s = mcmc.gibbs_bivariate_normal(0.5, 5, rng=0)
    path = mcmc.zigzag(s)
    assert path.shape == (11, 2)
    steps = np.diff(path, axis=0)
    assert np.all((steps == 0).sum(1) >= 1)


def test_lda_counts_stay_consistent_and_topics_are_recovered():
    phi = np.array([[0.3, 0.3, 0.3, 0.05, 0.05, 0.0],
                    [0.0, 0.05, 0.05, 0.3, 0.3, 0.3]])
    corpus = g.lda_generate(40, 30, phi, alpha=0.3, rng=2)
    res = g.lda_collapsed_gibbs(corpus.docs, 2, 6, alpha=0.3, beta=0.1, n_iter=60, rng=4)
    ndk, nkw, nk = g.lda_counts(corpus.docs, res.z, 2, 6)
    np.testing.assert_array_equal(res.ndk, ndk)
    np.testing.assert_array_equal(res.nkw, nkw)
    np.testing.assert_array_equal(res.nk, nk)
    assert nk.sum() == corpus.docs.size
    np.testing.assert_allclose(res.phi.sum(1), 1.0)
    np.testing.assert_allclose(res.theta.sum(1), 1.0)
    _, dist = g.match_topics(res.phi, phi)
    assert dist.max() < 0.15


def test_lda_topics_agree_loosely_with_sklearn():
    from sklearn.decomposition import LatentDirichletAllocation

    V, K = 12, 3
    phi = np.full((K, V), 0.01)
    for k in range(K):                   # well separated block topics, so variational inference finds them too
        phi[k, 4 * k: 4 * k + 4] = 1.0
    phi /= phi.sum(1, keepdims=True)
    corpus = g.lda_generate(60, 40, phi, alpha=0.2, rng=11)
    ours = g.lda_collapsed_gibbs(corpus.docs, K, V, alpha=0.2, beta=0.1, n_iter=80, rng=1)
    X = np.zeros((60, V))
    np.add.at(X, (np.repeat(np.arange(60), 40), corpus.docs.ravel()), 1)
    sk = LatentDirichletAllocation(K, doc_topic_prior=0.2, topic_word_prior=0.1, learning_method="batch",
                                   max_iter=50, random_state=0).fit(X)
    sk_phi = sk.components_ / sk.components_.sum(1, keepdims=True)
    _, d = g.match_topics(ours.phi, sk_phi)
    assert d.max() < 0.15
    _, d_true = g.match_topics(ours.phi, phi)
    assert d_true.max() < 0.15


def test_lda_conditional_formula():
    p = g.lda_conditional([2, 0], [1, 3], [10, 20], alpha=0.5, beta=0.1, n_words=5)
    raw = np.array([2.5 * 1.1 / 10.5, 0.5 * 3.1 / 20.5])
    np.testing.assert_allclose(p, raw / raw.sum())


@pytest.mark.parametrize("call,match", [
    (lambda: g.make_factor(["a", "a"], np.ones((2, 2))), "distinct"),
    (lambda: g.make_factor(["a"], np.ones((2, 2))), "one axis per variable"),
    (lambda: g.make_factor(["a"], [-1.0, 1.0]), "non-negative"),
    (lambda: g.factor_product(g.make_factor(["a"], [1, 1]), g.make_factor(["a"], [1, 1, 1])), "disagree"),
    (lambda: g.enumerate_query([g.make_factor(["a"], [1, 1])], "b"), "query variable 'b'"),
    (lambda: g.variable_elimination([g.make_factor(["a", "b"], np.ones((2, 2)))], "a", order=["c"]), "order"),
    (lambda: g.condition(g.make_factor(["a"], [1, 1]), {"a": 2}), "evidence\\['a'\\]"),
    (lambda: g.ising_states((5, 5)), "limited to 16"),
    (lambda: g.ising_energy([[0, 1]], 1.0), "only -1 and \\+1"),
    (lambda: g.ising_gibbs((2, 2), 1.0, n_sweeps=0), "n_sweeps"),
    (lambda: g.topological_order({"a": (("b",), [[1.0, 0.0], [0.0, 1.0]]), "b": (("a",), [[1.0, 0.0], [0, 1.0]])}),
     "directed cycle"),
    (lambda: g.topological_order({"a": ((), [0.5, 0.6])}), "must sum to 1"),
    (lambda: mcmc.gibbs_bivariate_normal(1.0, 10), "rho"),
    (lambda: g.lda_collapsed_gibbs(np.array([[0, 7]]), 2, 5, 0.1, 0.1, 1), "word ids"),
    (lambda: g.lda_collapsed_gibbs(np.array([[0, 1]]), 2, 5, 0.0, 0.1, 1), "alpha"),
    (lambda: g.lda_generate(2, 3, [[0.5, 0.6]], 0.1), "phi"),
    (lambda: mcmc.autocorrelation(np.ones(5), 2), "constant"),
])
def test_validation_messages(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_lda_gibbs_marginals_match_enumeration_on_a_tiny_corpus():
    """Exact p(z_i = k | w) by enumerating all K^n assignments with the Dirichlet-multinomial joint."""
    from scipy.special import gammaln

    docs = np.array([[0, 0, 1], [2, 2, 1]])
    K, V, alpha, beta = 2, 3, 0.5, 0.3

    def log_joint(z):
        ndk, nkw, _ = g.lda_counts(docs, z, K, V)
        lp = (gammaln(ndk + alpha).sum(1) - gammaln(ndk.sum(1) + K * alpha)).sum()
        return lp + (gammaln(nkw + beta).sum(1) - gammaln(nkw.sum(1) + V * beta)).sum()

    zs = np.array(list(itertools.product(range(K), repeat=docs.size))).reshape(-1, *docs.shape)
    lp = np.array([log_joint(z) for z in zs])
    p = np.exp(lp - lp.max())
    p /= p.sum()
    exact = np.tensordot(p, (zs == 1).astype(float), axes=1)
    res = g.lda_collapsed_gibbs(docs, K, V, alpha, beta, n_iter=20_000, rng=0, keep_trace=True)
    np.testing.assert_allclose((res.trace[200:] == 1).mean(0), exact, atol=0.02)
    # the conditional formula agrees with ratios of the exact joint
    z = zs[5].copy()
    ndk, nkw, nk = g.lda_counts(docs, z, K, V)
    d, i = 1, 2
    w, k0 = docs[d, i], z[d, i]
    ndk[d, k0] -= 1
    nkw[k0, w] -= 1
    nk[k0] -= 1
    cond = g.lda_conditional(ndk[d], nkw[:, w], nk, alpha, beta, V)
    lps = []
    for k in range(K):
        z[d, i] = k
        lps.append(log_joint(z))
    ratio = np.exp(np.array(lps) - max(lps))
    np.testing.assert_allclose(cond, ratio / ratio.sum(), rtol=1e-12)


def test_ising_factors_multiply_to_the_boltzmann_weights():
    exact = g.ising_exact((2, 3), 0.3, -0.2)
    joint = g.factor_product(*g.ising_factors((2, 3), 0.3, -0.2))
    assert np.isclose(joint.table.sum(), exact.Z, rtol=1e-12)
    order = [joint.variables.index(f"{r},{c}") for r in range(2) for c in range(3)]
    np.testing.assert_allclose(np.transpose(joint.table, order).ravel() / exact.Z, exact.probs.ravel(), rtol=1e-12)


def test_ising_sweep_kernel_is_stochastic_and_leaves_the_joint_invariant():
    exact = g.ising_exact((2, 2), 0.7, 0.1)
    K = g.ising_sweep_kernel((2, 2), 0.7, 0.1)
    np.testing.assert_allclose(K.sum(1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(exact.probs.ravel() @ K, exact.probs.ravel(), rtol=1e-10)
    with pytest.raises(ValueError, match="12"):
        g.ising_sweep_kernel((4, 4), 0.1)


def test_onsager_magnetisation_closed_form():
    j_c = np.log(1 + np.sqrt(2)) / 2
    assert g.onsager_magnetisation(j_c * 0.99) == 0.0
    assert g.onsager_magnetisation(1.0) == pytest.approx((1 - np.sinh(2.0) ** -4) ** 0.125, rel=1e-14)
    assert 0.9 < g.onsager_magnetisation(0.6) < 1


def test_d_separation_agrees_with_independence_in_a_random_network():
    rng = np.random.default_rng(3)
    dag = {"A": (), "B": ("A",), "C": ("A",), "D": ("B", "C")}
    cpds = {v: (ps, rng.dirichlet([1.0, 1.0], size=(2,) * len(ps))) for v, ps in dag.items()}
    joint = g.factor_product(*g.bn_factors(cpds))
    for x, y, z in [("B", "C", ()), ("B", "C", ("A",)), ("B", "C", ("A", "D")), ("A", "D", ("B", "C"))]:
        assert g.d_separated(dag, x, y, z) == g.conditionally_independent(joint, x, y, z), (x, y, z)
    assert g.d_separated(dag, "B", "C", ("A",)) and not g.d_separated(dag, "B", "C", ("A", "D"))
    with pytest.raises(ValueError, match="not in the graph"):
        g.d_separated(dag, "A", "Z")
    with pytest.raises(ValueError, match="distinct"):
        g.conditionally_independent(joint, "A", "A")


def test_alarm_posteriors_match_bayes_rule_and_explain_away():
    post = g.alarm_posteriors(0.01, 0.02, 0.01)
    p_on = {(b, e): 1 - 0.99 * 0.05 ** b * 0.7 ** e for b in (0, 1) for e in (0, 1)}
    joint = {(b, e): (0.01 if b else 0.99) * (0.02 if e else 0.98) * p_on[b, e] for b, e in p_on}
    assert post["B"][1] == pytest.approx((joint[1, 0] + joint[1, 1]) / sum(joint.values()), rel=1e-12)
    assert post["B"][2] == pytest.approx(joint[1, 1] / (joint[1, 1] + joint[0, 1]), rel=1e-12)
    with pytest.raises(ValueError, match="p_b"):
        g.alarm_posteriors(1.5, 0.1, 0.1)


def test_sprinkler_joint_and_table_probability():
    P = g.sprinkler_joint(0.5, (0.5, 0.1), (0.2, 0.8), np.array([[0.0, 0.9], [0.9, 0.99]]))
    assert sum(P.values()) == pytest.approx(1.0, rel=1e-15)
    assert g.table_probability(P, "CSRW", C=1) == pytest.approx(0.5)
    assert g.table_probability(P, "CSRW", R=1) == pytest.approx(0.5 * 0.2 + 0.5 * 0.8)
    with pytest.raises(ValueError, match="unknown variable"):
        g.table_probability(P, "CSRW", Q=1)


def test_lda_log_joint_ratios_give_the_collapsed_conditional():
    docs, z = np.array([[0, 1, 1], [2, 0, 2]]), np.array([[0, 1, 1], [1, 0, 0]])
    K, V, alpha, beta = 2, 3, 0.4, 0.2
    d, i = 1, 2
    ndk, nkw, nk = g.lda_counts(docs, z, K, V)
    w, k0 = docs[d, i], z[d, i]
    ndk[d, k0] -= 1
    nkw[k0, w] -= 1
    nk[k0] -= 1
    lps = []
    for k in range(K):
        zk = z.copy()
        zk[d, i] = k
        lps.append(g.lda_log_joint(docs, zk, K, V, alpha, beta))
    ratio = np.exp(np.array(lps) - max(lps))
    np.testing.assert_allclose(g.lda_conditional(ndk[d], nkw[:, w], nk, alpha, beta, V), ratio / ratio.sum(),
                               rtol=1e-12)
    with pytest.raises(ValueError, match="alpha"):
        g.lda_log_joint(docs, z, K, V, -1.0, beta)

import numpy as np
import pytest
from scipy import integrate, stats
from sklearn.neighbors import KernelDensity

from mlsheet_utils.algorithms.probability import density


def _random_sample(rng, d=None):
    n = int(rng.integers(2, 60))
    scale = rng.uniform(0.3, 4.0)
    shape = (n,) if d is None else (n, d)
    return rng.standard_normal(shape) * scale + rng.uniform(-3, 3), scale


@pytest.mark.parametrize("kernel", density.KERNELS)
def test_kde_matches_sklearn_1d_over_random_problems(kernel):
    """Gold-standard comparison (numpy-ml style): random n, scale, bandwidth and query points."""
    rng = np.random.default_rng(10)
    for _ in range(12):
        x, scale = _random_sample(rng)
        h = float(scale * rng.uniform(0.05, 2.0))
        q = np.linspace(x.min() - 2 * h, x.max() + 2 * h, 37)
        ref = np.exp(KernelDensity(kernel=kernel, bandwidth=h).fit(x[:, None]).score_samples(q[:, None]))
        np.testing.assert_allclose(density.kde(q, x, h, kernel), ref, rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("kernel", density.KERNELS)
def test_kde_matches_sklearn_in_d_dimensions(kernel):
    rng = np.random.default_rng(11)
    for _ in range(8):
        d = int(rng.integers(2, 5))
        X, scale = _random_sample(rng, d)
        h = float(scale * rng.uniform(0.3, 2.0))
        Q = X[: min(len(X), 10)] + 0.3 * h * rng.standard_normal((min(len(X), 10), d))
        ref = KernelDensity(kernel=kernel, bandwidth=h).fit(X).score_samples(Q)
        ours = density.kde_log(Q, X, h, kernel)
        finite = np.isfinite(ref)
        assert np.array_equal(finite, np.isfinite(ours))
        np.testing.assert_allclose(ours[finite], ref[finite], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("rule", ["scott", "silverman"])
def test_gaussian_kde_matches_scipy_with_rules(rule):
    """scipy's bw_method is a factor times the data covariance; our rules return h (1-D) or H (d-D)."""
    rng = np.random.default_rng(12)
    for d in (1, 2, 3):
        X = rng.standard_normal((int(rng.integers(5, 80)), d)) @ rng.uniform(-1, 1, (d, d)) + rng.normal(size=d)
        X = X + 0.5 * rng.standard_normal(X.shape)
        ref = stats.gaussian_kde(X.T, bw_method=rule)
        data = X[:, 0] if d == 1 else X
        bw = density.scott_bandwidth(data) if rule == "scott" else density.silverman_bandwidth(data)
        if d == 1:
            assert bw == pytest.approx(np.sqrt(ref.covariance[0, 0]), rel=1e-12)
        else:
            np.testing.assert_allclose(bw, ref.covariance, rtol=1e-12)
        Q = X[:7] + 0.1
        q = Q[:, 0] if d == 1 else Q
        np.testing.assert_allclose(density.kde(q, data, bw), ref(Q.T), rtol=1e-10)


def test_scipy_scalar_bw_method_is_a_factor_of_the_std():
    rng = np.random.default_rng(13)
    x = rng.normal(0.0, 3.0, 50)
    factor = 0.4
    ref = stats.gaussian_kde(x, bw_method=factor)
    q = np.linspace(-8, 8, 11)
    np.testing.assert_allclose(density.kde(q, x, factor * x.std(ddof=1)), ref(q), rtol=1e-10)
    assert not np.allclose(density.kde(q, x, factor), ref(q))


def test_robust_silverman_rule():
    rng = np.random.default_rng(14)
    x = np.r_[rng.normal(-3, 1, 100), rng.normal(3, 1, 100)]
    q75, q25 = np.percentile(x, [75, 25])
    expected = 0.9 * min(x.std(ddof=1), (q75 - q25) / 1.34) * x.size ** -0.2
    assert density.silverman_bandwidth(x, robust=True) == pytest.approx(expected)
    assert density.silverman_bandwidth(x, robust=True) < density.silverman_bandwidth(x)


@pytest.mark.parametrize("kernel", density.KERNELS)
def test_kde_integrates_to_one(kernel):
    x = np.random.default_rng(15).gamma(2.0, 1.0, 30)
    h = 0.4
    total, _ = integrate.quad(lambda t: float(density.kde(t, x, h, kernel)), x.min() - 10, x.max() + 10,
                              points=list(np.sort(np.r_[x - h, x, x + h])), limit=500)
    assert total == pytest.approx(1.0, abs=1e-6)


def test_kde_2d_integrates_to_one_with_a_bandwidth_matrix():
    X = np.random.default_rng(16).standard_normal((20, 2))
    H = np.array([[0.3, 0.1], [0.1, 0.2]])
    g = np.linspace(-6, 6, 301)
    G = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1)
    f = density.kde(G, X, H)
    assert f.shape == (301, 301)
    assert np.trapezoid(np.trapezoid(f, g, axis=1), g) == pytest.approx(1.0, abs=1e-6)


def test_tiny_bandwidth_is_finite_in_log_space():
    x = np.array([0.0, 1.0, 2.0])
    logf = density.kde_log(np.array([0.5]), x, 1e-4)
    assert np.isfinite(logf).all() and logf[0] < -1e6
    assert density.kde(np.array([10.0]), x, 0.5, "tophat")[0] == 0.0


def test_loo_matches_refitting_sklearn():
    rng = np.random.default_rng(17)
    for kernel in density.KERNELS:
        x = rng.normal(size=25)
        for h in (0.3, 0.8):
            ref = np.mean([KernelDensity(kernel=kernel, bandwidth=h).fit(np.delete(x, i)[:, None])
                           .score_samples(x[i:i + 1, None])[0] for i in range(x.size)])
            ours = density.loo_log_likelihood(x, h, kernel)
            if np.isfinite(ref):
                assert ours == pytest.approx(ref, rel=1e-10)
            else:
                assert ours == -np.inf


def test_loo_is_maximised_at_a_sensible_bandwidth():
    x = np.random.default_rng(18).normal(0.0, 1.0, 300)
    hs = np.geomspace(0.01, 5.0, 60)
    scores = density.loo_log_likelihood(x, hs)
    assert scores.shape == hs.shape
    best = density.loo_bandwidth(x, hs)
    assert 0.1 < best < 1.0 and best == hs[np.argmax(scores)]
    assert scores[0] < scores.max() and scores[-1] < scores.max()


def test_ecdf_matches_scipy():
    rng = np.random.default_rng(19)
    for _ in range(5):
        x = np.round(rng.normal(size=int(rng.integers(1, 50))), 1)      # rounding creates ties
        q = np.r_[-np.inf, np.linspace(-3, 3, 41), x, np.inf]
        np.testing.assert_allclose(density.ecdf(q, x), stats.ecdf(x).cdf.evaluate(q), atol=1e-15)


@pytest.mark.parametrize("call,match", [
    (lambda: density.kde([0.0], [1.0, 2.0], 0.0), "bandwidth must be a finite number > 0"),
    (lambda: density.kde([0.0], [1.0, 2.0], -1.0), "bandwidth must be a finite number > 0"),
    (lambda: density.kde([0.0], [1.0, 2.0], np.nan), "bandwidth must be a finite number > 0"),
    (lambda: density.kde([0.0], [], 1.0), "data must not be empty"),
    (lambda: density.kde([0.0], [1.0, np.nan], 1.0), "data contains NaN"),
    (lambda: density.kde([np.nan], [1.0], 1.0), "x contains NaN"),
    (lambda: density.kde([0.0], [1.0], 1.0, kernel="cosine"), "kernel must be one of"),
    (lambda: density.kde(np.zeros((2, 3)), np.zeros((4, 2)), 1.0), "x must have last dimension d = 2"),
    (lambda: density.kde(np.zeros((2, 2)), np.zeros((4, 2)), np.eye(2), "tophat"), "needs kernel='gaussian'"),
    (lambda: density.kde(np.zeros((2, 2)), np.zeros((4, 2)), -np.eye(2)), "positive definite"),
    (lambda: density.kde(np.zeros((2, 2)), np.zeros((4, 2)), np.eye(3)), r"shape \(2, 2\)"),
    (lambda: density.scott_bandwidth([1.0]), "at least 2 points"),
    (lambda: density.scott_bandwidth([1.0, 1.0]), "zero spread"),
    (lambda: density.silverman_bandwidth(np.zeros((5, 2)), robust=True), "needs 1-D data"),
    (lambda: density.loo_log_likelihood([1.0, 2.0], [0.5, 0.0]), "bandwidths must be non-empty and > 0"),
    (lambda: density.loo_log_likelihood([1.0], 0.5), "at least 2 points"),
    (lambda: density.ecdf([0.0], []), "data must not be empty"),
    (lambda: density.ecdf([np.nan], [1.0]), "x contains NaN"),
])
def test_validation_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# -- the direct formula, reflection, exact moments, CDF tools -------------------------------------------------

@pytest.mark.parametrize("kernel", density.KERNELS)
def test_kde_direct_matches_sklearn(kernel):
    rng = np.random.default_rng(20)
    for _ in range(6):
        x, scale = _random_sample(rng)
        h = float(scale * rng.uniform(0.05, 2.0))
        q = np.linspace(x.min() - 2 * h, x.max() + 2 * h, 41)
        ref = np.exp(KernelDensity(kernel=kernel, bandwidth=h).fit(x[:, None]).score_samples(q[:, None]))
        np.testing.assert_allclose(density.kde_direct(q, x, h, kernel), ref, rtol=1e-10, atol=1e-300)
    assert density.kde_direct(np.array([40.0]), np.array([0.0]), 1.0)[0] == 0.0      # underflow, as documented


def test_kde_reflect_integrates_to_one_and_recovers_the_edge():
    e = np.random.default_rng(21).exponential(1.0, 400)
    total, _ = integrate.quad(lambda s: density.kde_reflect(np.array([s]), e, 0.3)[0], 0, 40, limit=200)
    assert total == pytest.approx(1.0, abs=1e-7)
    x = np.array([-0.5, 0.0, 0.7])
    expected = density.kde(x, e, 0.3) + density.kde(-x, e, 0.3)
    np.testing.assert_allclose(density.kde_reflect(x, e, 0.3), np.where(x >= 0, expected, 0.0), rtol=1e-14)


def test_kde_moments_normal_against_quadrature():
    for x0, h, n in ((0.0, 0.5, 100), (1.3, 0.2, 1000), (-2.0, 1.1, 7)):
        m1 = integrate.quad(lambda t, h=h, x0=x0: stats.norm.pdf(x0 - t, scale=h) * stats.norm.pdf(t),
                            -np.inf, np.inf)[0]
        m2 = integrate.quad(lambda t, h=h, x0=x0: stats.norm.pdf(x0 - t, scale=h) ** 2 * stats.norm.pdf(t),
                            -np.inf, np.inf)[0]
        mom = density.kde_moments_normal(x0, h, n)
        assert float(mom.mean) == pytest.approx(m1, rel=1e-9)
        assert float(mom.sd) == pytest.approx(np.sqrt((m2 - m1 ** 2) / n), rel=1e-8)


def test_cdf_from_pdf_against_scipy_cumulative_trapezoid():
    g = np.sort(np.random.default_rng(22).uniform(-4, 4, 300))
    f = stats.norm.pdf(g)
    np.testing.assert_allclose(density.cdf_from_pdf(f, g), integrate.cumulative_trapezoid(f, g, initial=0),
                               rtol=1e-12, atol=1e-15)


def test_inverse_transform_sample_is_the_histogram_ppf():
    grid = np.linspace(0.0, 20.0, 41)
    F = stats.gamma.cdf(grid, 3)
    ref = stats.rv_histogram((np.diff(F), grid), density=False)
    u = np.random.default_rng(23).random(500)
    np.testing.assert_allclose(density.inverse_transform_sample(F, grid, 500, 23), ref.ppf(u), rtol=1e-10,
                               atol=1e-12)


def test_ks_statistic_matches_scipy():
    rng = np.random.default_rng(24)
    for n in (1, 5, 200):
        x = rng.normal(0.2, 1.1, n)
        assert density.ks_statistic(x, stats.norm.cdf) == pytest.approx(stats.kstest(x, "norm").statistic,
                                                                        rel=1e-12)


@pytest.mark.parametrize("call,match", [
    (lambda: density.kde_direct([0.0], [1.0], 0.0), r"h \(the bandwidth\) must be a finite number > 0"),
    (lambda: density.kde_direct([0.0], [], 1.0), "data must not be empty"),
    (lambda: density.kde_reflect([0.0], [-1.0, 2.0], 1.0), "data must be >= lower"),
    (lambda: density.kde_moments_normal(0.0, 0.5, 0), "n must be >= 1"),
    (lambda: density.cdf_from_pdf([1.0, 1.0], [1.0, 0.0]), "grid must be strictly increasing"),
    (lambda: density.cdf_from_pdf([1.0, -1.0], [0.0, 1.0]), "pdf_values must be non-negative"),
    (lambda: density.inverse_transform_sample([0.0, 0.5, 0.4], [0.0, 1.0, 2.0], 3, 0), "non-decreasing"),
    (lambda: density.ks_statistic([], np.sign), "sample must not be empty"),
])
def test_new_functions_name_the_bad_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()

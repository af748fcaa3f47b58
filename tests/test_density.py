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
    (lambda: density.kde([0.0], [], 1.0), "data must contain at least one point"),
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
    (lambda: density.ecdf([0.0], []), "data must contain at least one point"),
    (lambda: density.ecdf([np.nan], [1.0]), "x contains NaN"),
])
def test_validation_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()

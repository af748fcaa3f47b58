import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import pdist

from mlsheet_utils.algorithms import dimensionality as dim


def test_ball_volume_matches_textbook_values_and_scales_as_r_to_the_d():
    known = [2.0, np.pi, 4 * np.pi / 3, np.pi**2 / 2, 8 * np.pi**2 / 15, np.pi**3 / 6]
    np.testing.assert_allclose(dim.ball_volume(np.arange(1, 7)), known, rtol=1e-13)
    rng = np.random.default_rng(0)
    d, r = rng.integers(1, 30, 10), rng.uniform(0.2, 3.0, 10)
    np.testing.assert_allclose(dim.ball_volume(d, r), r**d * dim.ball_volume(d), rtol=1e-12)
    np.testing.assert_allclose(dim.ball_cube_ratio(np.arange(1, 7)), np.array(known) / 2.0 ** np.arange(1, 7),
                               rtol=1e-13)


def test_logarithms_stay_finite_where_the_volumes_underflow():
    d = np.array([3, 40, 200, 5000])
    np.testing.assert_allclose(dim.ball_volume(d, log=True)[:3], np.log(dim.ball_volume(d[:3])), rtol=1e-12)
    assert dim.ball_cube_ratio(5000) == 0 and np.isfinite(dim.ball_cube_ratio(5000, log=True))
    # Stirling for ln Gamma(d/2 + 1), accurate to far better than 1e-6 relative at d = 5000
    h = 2500.0
    stirling = h * np.log(h) - h + 0.5 * np.log(2 * np.pi * h) + 1 / (12 * h)
    assert dim.ball_volume(5000, log=True) == pytest.approx(2500 * np.log(np.pi) - stirling, rel=1e-10)


def test_ball_share_of_the_cube_by_monte_carlo():
    rng = np.random.default_rng(1)
    for d in (2, 3, 5, 7):
        p = float(dim.ball_cube_ratio(d))
        hits = np.mean((rng.uniform(-1, 1, (200_000, d)) ** 2).sum(axis=1) <= 1)
        assert abs(hits - p) < 5 * np.sqrt(p * (1 - p) / 200_000)


def test_shells_edges_and_nearest_distances_match_scipy():
    rng = np.random.default_rng(2)
    d = rng.integers(1, 300, 20)
    eps_cube, eps_ball = rng.uniform(0, 0.5, 20), rng.uniform(0, 1, 20)
    share, n = rng.uniform(1e-4, 1, 20), rng.integers(1, 10**6, 20)
    np.testing.assert_allclose(dim.shell_fraction(d, eps_cube), stats.binom.sf(0, d, 2 * eps_cube), rtol=1e-10)
    np.testing.assert_allclose(dim.shell_fraction(d, eps_ball, "ball"), stats.beta(d, 1).sf(1 - eps_ball),
                               rtol=1e-10)
    np.testing.assert_allclose(dim.edge_length(share, d), stats.beta(d, 1).ppf(share), rtol=1e-10)
    np.testing.assert_allclose(dim.median_nn_distance(n, d), stats.beta(1, n).ppf(0.5) ** (1 / d), rtol=1e-10)


def test_sample_ball_is_uniform_in_the_ball():
    for d in (1, 3, 12):
        pts = dim.sample_ball(30_000, d, rng=d)
        radii = np.linalg.norm(pts, axis=1)
        assert pts.shape == (30_000, d) and radii.max() <= 1
        assert stats.kstest(radii**d, "uniform").pvalue > 1e-4                # P(R <= r) = r^d
        assert np.all(np.abs(pts.mean(axis=0)) < 5 * np.sqrt(1 / (d + 2) / 30_000))   # Var x_i = 1/(d + 2)
    np.testing.assert_array_equal(dim.sample_ball(5, 3, rng=4), dim.sample_ball(5, 3, rng=4))


def test_distances_match_pdist_and_survive_the_embedding():
    rng = np.random.default_rng(3)
    for n, p in ((2, 1), (30, 2), (80, 7)):
        X = rng.standard_normal((n, p)) * 3
        ref = pdist(X)
        np.testing.assert_allclose(dim.pairwise_distances(X), ref, rtol=1e-10, atol=1e-12)
        Y = dim.isometric_embedding(X, 50, rng=rng)
        assert Y.shape == (n, 50)
        np.testing.assert_allclose(pdist(Y), ref, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(Y @ Y.T, X @ X.T, rtol=1e-10, atol=1e-10)     # inner products too
        s = dim.distance_summary(X)
        assert (s.mean, s.std, s.min, s.max) == pytest.approx((ref.mean(), ref.std(), ref.min(), ref.max()),
                                                              rel=1e-10)
        assert s.contrast == pytest.approx((ref.max() - ref.min()) / ref.min(), rel=1e-10)


@pytest.mark.parametrize("call,match", [
    (lambda: dim.ball_volume(0), "d must hold integers >= 1"),
    (lambda: dim.ball_volume(2.5), "d must hold integers >= 1"),
    (lambda: dim.ball_volume(3, r=0.0), "r must be positive"),
    (lambda: dim.ball_cube_ratio([1, np.nan]), "d contains NaN"),
    (lambda: dim.shell_fraction(3, 0.6), r"eps must lie in \[0, 0.5\]"),
    (lambda: dim.shell_fraction(3, 0.1, shape="sphere"), "shape must be 'cube' or 'ball'"),
    (lambda: dim.edge_length(0.0, 3), r"fraction must lie in \(0, 1\]"),
    (lambda: dim.median_nn_distance(0, 3), "n must hold integers >= 1"),
    (lambda: dim.sample_ball(0, 3), "n must be >= 1"),
    (lambda: dim.sample_ball(3, 2, rng=-1), "rng must be"),
    (lambda: dim.isometric_embedding(np.ones((4, 3)), 2), "d must be >= 3"),
    (lambda: dim.pairwise_distances(np.ones((1, 3))), "at least 2 rows"),
    (lambda: dim.distance_summary(np.ones((3, 2))), "identical rows"),
])
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()

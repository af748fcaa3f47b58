"""mlsheet_utils.algorithms.uncertainty against scikit-learn, NumPy quantiles, SciPy and exact counts."""

import numpy as np
import pytest
from scipy import integrate
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.preprocessing import PolynomialFeatures

from mlsheet_utils.algorithms import uncertainty as unc


def test_ensemble_members_match_sklearn_and_the_mixture_variance():
    rng = np.random.default_rng(0)
    for degree in (1, 2, 4):
        x = rng.uniform(-1, 1, 30)
        y = np.cos(2 * x) + 0.2 * rng.standard_normal(30)
        x_eval = np.linspace(-1, 1, 5)
        ens = unc.bootstrap_polynomial_ensemble(x, y, x_eval, degree=degree, n_members=20, rng=degree)
        poly = PolynomialFeatures(degree, include_bias=False)
        for b, rows in enumerate(ens.samples):
            lr = LinearRegression().fit(poly.fit_transform(x[rows, None]), y[rows])
            np.testing.assert_allclose(ens.member_means[b], lr.predict(poly.transform(x_eval[:, None])), rtol=1e-8,
                                       atol=1e-10)
            rss = np.sum((y[rows] - lr.predict(poly.transform(x[rows, None]))) ** 2)
            np.testing.assert_allclose(ens.member_noise_var[b], rss / (30 - degree - 1), rtol=1e-8)
        mu, s = ens.member_means[:, 2], np.sqrt(ens.member_noise_var)

        def dens(t, mu=mu, s=s):
            return np.mean(np.exp(-0.5 * ((t - mu) / s) ** 2) / s) / np.sqrt(2 * np.pi)

        m1 = integrate.quad(lambda t: t * dens(t), -10, 10, epsabs=1e-12, limit=200)[0]
        var = integrate.quad(lambda t, m1=m1: (t - m1) ** 2 * dens(t), -10, 10, epsabs=1e-12, limit=200)[0]
        np.testing.assert_allclose(ens.total_var[2], var, rtol=1e-7)
        np.testing.assert_allclose(ens.mean[2], m1, rtol=1e-7, atol=1e-9)


def test_conformal_quantile_is_the_inverted_cdf_order_statistic():
    rng = np.random.default_rng(1)
    for n in (5, 19, 100):
        s = rng.exponential(size=n)
        for level in (0.5, 0.8, 0.9, 0.95):
            k = int(np.ceil((n + 1) * level - 1e-12))
            expected = np.inf if k > n else np.quantile(s, k / n, method="inverted_cdf")
            assert unc.conformal_quantile(s, level) == expected


def test_split_conformal_covers_at_the_exact_rate():
    rng = np.random.default_rng(2)
    reps, n = 4000, 19
    sim = rng.standard_normal((reps, n + 1))
    hits = [unc.interval_coverage(row[n:], (c := unc.split_conformal(np.zeros(n), row[:n], np.zeros(1), level=0.9))
                                  .lower, c.upper, 0.9).n_inside for row in sim]
    assert abs(np.mean(hits) - 18 / 20) < 4 * np.sqrt(0.9 * 0.1 / reps)


def test_interval_coverage_counts():
    cov = unc.interval_coverage([0.0, 1.0, 2.0, 3.0], [0, 0, 0, 0], [1.5, 1.5, 1.5, 1.5], level=0.9)
    assert (cov.n_inside, cov.n, cov.rate) == (2, 4, 0.5)
    np.testing.assert_allclose(cov.se, np.sqrt(0.9 * 0.1 / 4))
    np.testing.assert_allclose(cov.z, (0.5 - 0.9) / cov.se)


def test_temperature_matches_sklearn():
    for seed in (0, 1, 2):
        X, y = make_classification(600, 10, n_informative=6, n_classes=3, random_state=seed)
        clf = LogisticRegression(C=1e3, max_iter=2000).fit(X[:150], y[:150])
        fit = unc.fit_temperature(clf.decision_function(X[150:]), y[150:])
        ref = CalibratedClassifierCV(FrozenEstimator(clf), method="temperature").fit(X[150:], y[150:])
        np.testing.assert_allclose(fit.temperature, 1 / ref.calibrated_classifiers_[0].calibrators[0].beta_,
                                   rtol=1e-6)
        assert fit.nll_after <= fit.nll_before


def test_bad_input_raises():
    with pytest.raises(ValueError, match="level"):
        unc.conformal_quantile([1.0, 2.0], 1.0)
    with pytest.raises(ValueError, match="degree"):
        unc.bootstrap_polynomial_ensemble([0.1, 0.2, 0.3], [1, 2, 3], [0.0], degree=2)
    with pytest.raises(ValueError, match="x_eval"):
        unc.bootstrap_polynomial_ensemble(np.linspace(-1, 1, 9), np.zeros(9), [2.0], degree=1)
    with pytest.raises(ValueError, match="scale_cal"):
        unc.split_conformal([0.0], [1.0], [0.0], scale_cal=[1.0])
    with pytest.raises(ValueError, match="lower"):
        unc.interval_coverage([0.0], [1.0], [0.0])
    with pytest.raises(ValueError, match="uniform"):
        unc.fit_temperature(np.array([[0.0, 5.0], [0.0, 5.0]]), [0, 0])
    with pytest.raises(ValueError, match="y must hold"):
        unc.fit_temperature(np.zeros((2, 2)), [0, 2])

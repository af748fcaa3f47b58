import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, minimize
from sklearn.datasets import make_blobs, make_moons
from sklearn.metrics import hinge_loss as sk_hinge_loss
from sklearn.svm import SVC

from mlsheet_utils.algorithms import kernels, svm


def _problem(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 70))
    if seed % 2:
        X, y = make_moons(n, noise=rng.uniform(0.1, 0.3), random_state=seed)
    else:
        X, y = make_blobs(n, centers=2, cluster_std=rng.uniform(0.8, 2.5), random_state=seed)
    return X, y, rng


def test_smo_matches_libsvm_on_its_single_precision_gram():
    """libsvm caches the kernel matrix in float32; fed the same rounded matrix, SMO lands on SVC's alpha and b."""
    for seed in range(6):
        X, y, rng = _problem(seed)
        C, gamma = float(10.0 ** rng.uniform(-1, 2)), float(10.0 ** rng.uniform(-1, 1))
        kernel = ("linear", "rbf")[seed % 2]
        ref = SVC(C=C, kernel=kernel, gamma=gamma, tol=1e-10).fit(X, y)
        alpha_ref = np.zeros(len(y))
        alpha_ref[ref.support_] = np.abs(ref.dual_coef_[0])
        s = np.where(y == 1, 1.0, -1.0)
        K32 = kernels.kernel_matrix(X, kernel=kernel, gamma=gamma).astype(np.float32).astype(float)
        res = svm.smo(K32, s, C, tol=1e-10)
        assert res.converged
        np.testing.assert_allclose(res.alpha, alpha_ref, rtol=0, atol=1e-7 * C)
        assert res.intercept == pytest.approx(ref.intercept_[0], abs=1e-7)


def test_estimator_matches_svc_decision_values_and_support():
    for seed in range(4):
        X, y, rng = _problem(seed)
        C, gamma = float(10.0 ** rng.uniform(-1, 1)), float(10.0 ** rng.uniform(-0.5, 0.5))
        kernel = ("linear", "rbf")[seed % 2]
        ours = svm.SoftMarginSVC(C=C, kernel=kernel, gamma=gamma, tol=1e-10).fit(X, y)
        ref = SVC(C=C, kernel=kernel, gamma=gamma, tol=1e-10).fit(X, y)
        np.testing.assert_array_equal(ours.support_, np.sort(ref.support_))
        np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X), rtol=0, atol=1e-4)
        np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
        if kernel == "linear":
            np.testing.assert_allclose(ours.coef_, ref.coef_[0], rtol=0, atol=1e-5)


def test_dual_objective_matches_an_independent_qp_solver_and_the_gap_closes():
    X, y = make_moons(40, noise=0.2, random_state=3)
    s = np.where(y == 1, 1.0, -1.0)
    K, C = kernels.rbf_kernel(X, gamma=1.0), 2.0
    Q = s[:, None] * s[None, :] * K
    ref = minimize(lambda a: 0.5 * a @ Q @ a - a.sum(), np.zeros(len(s)), jac=lambda a: Q @ a - 1, method="SLSQP",
                   bounds=Bounds(0, C), constraints=[LinearConstraint(s[None], 0, 0)], options={"ftol": 1e-14})
    res = svm.smo(K, s, C, tol=1e-10)
    assert svm.dual_objective(res.alpha, K, s) == pytest.approx(-ref.fun, rel=1e-9)
    np.testing.assert_allclose(res.alpha, ref.x, atol=1e-5)
    gap = svm.primal_objective(res.alpha, res.intercept, K, s, C) - svm.dual_objective(res.alpha, K, s)
    assert -1e-9 <= gap <= 2 * len(s) * C * 1e-10


def test_kkt_conditions_hold_at_the_tolerance():
    X, y = make_moons(60, noise=0.3, random_state=1)
    s = np.where(y == 1, 1.0, -1.0)
    K, C, tol = kernels.rbf_kernel(X, gamma=2.0), 5.0, 1e-6
    res = svm.smo(K, s, C, tol=tol)
    yf = s * (K @ (res.alpha * s) + res.intercept)
    free = (res.alpha > 0) & (res.alpha < C)
    assert res.alpha.min() >= 0 and res.alpha.max() <= C and abs(res.alpha @ s) < 1e-10
    assert np.all(np.abs(yf[free] - 1) <= tol)
    assert yf[res.alpha == 0].min() >= 1 - tol and yf[res.alpha == C].max() <= 1 + tol


def test_hinge_loss_matches_sklearn():
    rng = np.random.default_rng(2)
    s, f = np.where(rng.random(50) < 0.5, -1.0, 1.0), rng.normal(size=50) * 2
    assert svm.hinge_loss(s, f).mean() == pytest.approx(sk_hinge_loss(s, f), rel=1e-13)
    np.testing.assert_array_equal(svm.hinge_loss([1.0, -1.0, 1.0], [2.0, 0.5, -1.0]), [0.0, 1.5, 2.0])


def test_max_iter_stops_early():
    X, y = make_moons(60, noise=0.3, random_state=1)
    res = svm.smo(kernels.rbf_kernel(X), np.where(y == 1, 1.0, -1.0), 100.0, tol=1e-12, max_iter=5)
    assert res.n_iter == 5 and not res.converged and res.violation > 1e-12


@pytest.mark.parametrize("call,match", [
    (lambda: svm.smo(np.eye(3), [1, -1], 1.0), "y must have 3 entries"),
    (lambda: svm.smo(np.ones((3, 2)), [1, -1, 1], 1.0), "K must be square"),
    (lambda: svm.smo(np.eye(3), [1, 0, -1], 1.0), "y must hold only -1 and \\+1"),
    (lambda: svm.smo(np.eye(3), [1, 1, 1], 1.0), "both classes"),
    (lambda: svm.smo(np.eye(2), [1, -1], 0.0), "C must be > 0"),
    (lambda: svm.smo(np.eye(2), [1, -1], 1.0, tol=-1.0), "tol must be > 0"),
    (lambda: svm.smo(np.eye(2), [1, -1], 1.0, max_iter=0), "max_iter must be >= 1"),
    (lambda: svm.hinge_loss([1.0, -1.0], [0.5]), "same shape"),
    (lambda: svm.dual_objective(np.ones(2), np.eye(3), np.ones(3)), "need K"),
    (lambda: svm.SoftMarginSVC().fit(np.ones((3, 2)), [0, 1, 2]), "exactly two classes"),
    (lambda: svm.SoftMarginSVC().fit(np.ones((3, 2)), [0, 1]), "one label per row"),
    (lambda: svm.SoftMarginSVC(kernel="sigmoid").fit(np.eye(2), [0, 1]), "kernel must be one of"),
    (lambda: svm.SoftMarginSVC().decision_function(np.eye(2)), "not fitted"),
])
def test_svm_validates(call, match):
    with pytest.raises(ValueError, match=match):
        call()

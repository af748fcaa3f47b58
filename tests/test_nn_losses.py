"""The losses of mlsheet_utils.algorithms.nn.losses beyond MSE and the cross-entropies (tested in test_nn.py):
values and gradients against optax, jax.grad of the formula, SciPy and scikit-learn, over seeded random inputs."""

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import pytest  # noqa: E402
from jax.scipy.special import xlogy  # noqa: E402
from scipy.spatial.distance import jensenshannon  # noqa: E402
from scipy.special import softmax  # noqa: E402
from sklearn.metrics import hinge_loss, log_loss  # noqa: E402

from mlsheet_utils.algorithms.nn import losses as L  # noqa: E402


def _assert_loss(loss, pred, target, ref):
    value, cache = loss.forward(pred, target)
    ref_value, ref_grad = jax.value_and_grad(ref)(jnp.asarray(pred), jnp.asarray(target))
    np.testing.assert_allclose(value, ref_value, rtol=1e-12, atol=1e-14, err_msg=repr(loss))
    np.testing.assert_allclose(loss.backward(cache), ref_grad, rtol=1e-10, atol=1e-14, err_msg=repr(loss))


def _jsd(weight):
    def f(z, t):
        q = jax.nn.softmax(z)
        m = weight * t + (1 - weight) * q
        return jnp.mean((weight * (xlogy(t, t) - xlogy(t, m)) + (1 - weight) * (xlogy(q, q) - xlogy(q, m))).sum(-1))
    return f


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_elementwise_losses_match_optax(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in rng.integers(1, 6, size=2))
    p, t = rng.normal(0, 2, shape), rng.normal(0, 2, shape)
    delta, gamma, alpha = rng.uniform(0.2, 2), rng.uniform(0, 3), rng.uniform(0, 1)
    labels = rng.choice([-1.0, 1.0], shape)
    soft = rng.uniform(0, 1, shape)
    _assert_loss(L.MeanAbsoluteError(), p, t, lambda a, b: jnp.mean(jnp.abs(a - b)))
    _assert_loss(L.Huber(delta), p, t, lambda a, b: jnp.mean(optax.huber_loss(a, b, delta=delta)))
    _assert_loss(L.Hinge(), p, labels, lambda a, b: jnp.mean(optax.hinge_loss(a, b)))
    _assert_loss(L.Hinge(margin=delta), p, labels, lambda a, b: jnp.mean(jnp.maximum(0, delta - a * b)))
    for a_ in (None, alpha):
        _assert_loss(L.FocalLoss(gamma, a_), 3 * p, soft,
                     lambda a, b, a_=a_: jnp.mean(optax.sigmoid_focal_loss(a, b, alpha=a_, gamma=gamma)))
    _assert_loss(L.FocalLoss(2.0, 0.25), 3 * p, (soft > 0.5) * 1.0,
                 lambda a, b: jnp.mean(optax.sigmoid_focal_loss(a, b, alpha=0.25, gamma=2.0)))


@pytest.mark.parametrize("seed", [3, 4])
def test_distribution_losses_match_optax_and_scipy(seed):
    rng = np.random.default_rng(seed)
    n, k = (int(v) for v in rng.integers(2, 6, size=2))
    z, P = rng.normal(0, 2, (n, k)), rng.dirichlet(np.ones(k), n)
    P_zero = P.copy()
    P_zero[0] = np.eye(k)[0]                                          # zeros in the target: 0 log 0 = 0
    _assert_loss(L.KLDivergence(), z, P_zero,
                 lambda a, b: jnp.mean(optax.kl_divergence(jax.nn.log_softmax(a), b)))
    _assert_loss(L.KLDivergence(reverse=True), z, P,
                 lambda a, b: jnp.mean((jax.nn.softmax(a) * (jax.nn.log_softmax(a) - jnp.log(b))).sum(-1)))
    for w in (0.5, 0.2):
        _assert_loss(L.JensenShannonDivergence(w), z, P_zero, _jsd(w))
    value, _ = L.JensenShannonDivergence().forward(z, P_zero)
    ref = np.mean([jensenshannon(P_zero[i], softmax(z[i])) ** 2 for i in range(n)])
    np.testing.assert_allclose(value, ref, rtol=1e-10)
    y = rng.standard_normal((n, k))
    _assert_loss(L.CosineSimilarityLoss(), z, y, lambda a, b: jnp.mean(optax.cosine_distance(a, b)))


def test_ranking_and_dice_match_jax_and_optax():
    rng = np.random.default_rng(5)
    s, rel = rng.standard_normal(9), rng.integers(0, 3, 9).astype(float)

    def ranking(a, b, m=0.7):
        pairs = b[:, None] > b[None, :]
        return jnp.sum(jnp.where(pairs, jnp.maximum(0, m - (a[:, None] - a[None, :])), 0)) / pairs.sum()
    _assert_loss(L.PairwiseRankingHinge(0.7), s, rel, ranking)
    p, g = rng.uniform(0, 1, (5, 4)), (rng.uniform(size=(5, 4)) > 0.5) * 1.0
    _assert_loss(L.DiceLoss(smooth=0.3), p, g,
                 lambda a, b: 1 - (2 * (a * b).sum() + 0.3) / ((a ** 2).sum() + (b ** 2).sum() + 0.3))
    z, g1 = rng.standard_normal((1, 20, 1)), (rng.uniform(size=(1, 20, 1)) > 0.5) * 1.0
    value, _ = L.DiceLoss(smooth=2.0, squared=False).forward(1 / (1 + np.exp(-z)), g1)
    np.testing.assert_allclose(value, optax.losses.dice_loss(z, g1, smooth=1.0).mean(), rtol=1e-12)


def test_metric_learning_losses_match_jax_and_optax():
    rng = np.random.default_rng(6)
    x1, x2 = rng.standard_normal((7, 3)), rng.standard_normal((7, 3))
    y = rng.integers(0, 2, 7).astype(float)
    loss = L.ContrastiveLoss(2.0)
    value, cache = loss.forward(x1, x2, y)

    def ref(a, b):
        d = jnp.linalg.norm(a - b, axis=-1)
        return jnp.mean(0.5 * (y * d ** 2 + (1 - y) * jnp.maximum(0, 2.0 - d) ** 2))
    ref_value, ref_grads = jax.value_and_grad(ref, argnums=(0, 1))(x1, x2)
    np.testing.assert_allclose(value, ref_value, rtol=1e-12)
    for ours, theirs in zip(loss.backward(cache), ref_grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-14)
    a, p, n = (rng.standard_normal((6, 4)) for _ in range(3))
    trip = L.TripletLoss(0.8, eps=1e-6)
    value, cache = trip.forward(a, p, n)
    ref = lambda *e: jnp.mean(optax.losses.triplet_margin_loss(*e, margin=0.8, eps=1e-6))  # noqa: E731
    ref_value, ref_grads = jax.value_and_grad(ref, argnums=(0, 1, 2))(a, p, n)
    np.testing.assert_allclose(value, ref_value, rtol=1e-12)
    for ours, theirs in zip(trip.backward(cache), ref_grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-14)


def test_against_scikit_learn_metrics():
    rng = np.random.default_rng(7)
    f, y = rng.standard_normal(30), rng.choice([-1, 1], 30)
    np.testing.assert_allclose(L.Hinge().forward(f, y)[0], hinge_loss(y, f), rtol=1e-12)
    focal0, _ = L.FocalLoss(gamma=0.0).forward(3 * f, (y > 0) * 1.0)
    np.testing.assert_allclose(focal0, log_loss(y > 0, 1 / (1 + np.exp(-3 * f))), rtol=1e-10)


def test_values_and_derivative_are_per_entry():
    r = np.linspace(-3, 3, 13)
    huber = L.Huber(1.0)
    np.testing.assert_allclose(huber.values(r, np.zeros(13)), np.where(abs(r) <= 1, r ** 2 / 2, abs(r) - 0.5))
    np.testing.assert_allclose(huber.derivative(r, np.zeros(13)), np.clip(r, -1, 1))


@pytest.mark.parametrize("make,args,match", [
    (L.Hinge, (np.ones(2), np.array([0.0, 1.0])), "labels -1 and \\+1"),
    (L.FocalLoss, (np.ones(2), np.array([0.0, 2.0])), r"target must be in \[0, 1\]"),
    (L.KLDivergence, (np.ones((2, 3)), np.ones((2, 3))), "probability vectors"),
    (L.CosineSimilarityLoss, (np.zeros((1, 3)), np.ones((1, 3))), "pred has a zero row"),
    (L.PairwiseRankingHinge, (np.ones(3), np.ones(3)), "at least two different values"),
    (L.DiceLoss, (np.zeros(4), np.zeros(4)), "0/0"),
])
def test_losses_validate(make, args, match):
    with pytest.raises(ValueError, match=match):
        make().forward(*args)


def test_hyperparameters_and_embeddings_validate():
    with pytest.raises(ValueError, match="delta must be > 0"):
        L.Huber(0.0)
    with pytest.raises(ValueError, match="gamma must be >= 0"):
        L.FocalLoss(-1.0)
    with pytest.raises(ValueError, match="weight must be < 1"):
        L.JensenShannonDivergence(1.0)
    with pytest.raises(ValueError, match="target must be > 0"):
        L.KLDivergence(reverse=True).forward(np.ones((1, 2)), np.array([[1.0, 0.0]]))
    with pytest.raises(ValueError, match="positive must have anchor's shape"):
        L.TripletLoss().forward(np.ones((2, 3)), np.ones((2, 4)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="y must have shape"):
        L.ContrastiveLoss().forward(np.ones((2, 3)), np.ones((2, 3)), np.array([0.0, 2.0]))

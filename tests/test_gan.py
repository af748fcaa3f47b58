"""GANs (mlsheet_utils.algorithms.nn.gan) against SciPy, scikit-learn, jax.grad and optax.adam in float64."""

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import pytest  # noqa: E402
from scipy.spatial.distance import jensenshannon  # noqa: E402
from sklearn.preprocessing import OneHotEncoder  # noqa: E402

from mlsheet_utils.algorithms.nn import gan  # noqa: E402


def _jax_net(params, x):
    for layer in params:
        x = x @ layer["W"] + layer["b"] if layer else jax.nn.leaky_relu(x, 0.01)
    return x


def _d_loss(dp, x_real, x_fake):
    return (optax.sigmoid_binary_cross_entropy(_jax_net(dp, x_real), 1.0).mean()
            + optax.sigmoid_binary_cross_entropy(_jax_net(dp, x_fake), 0.0).mean())


def _g_loss(gp, dp, z, non_saturating):
    s = _jax_net(dp, _jax_net(gp, z))
    return jnp.where(non_saturating, -jnp.mean(jax.nn.log_sigmoid(s)), jnp.mean(jnp.log1p(-jax.nn.sigmoid(s))))


D_VG = jax.jit(jax.value_and_grad(_d_loss))
G_VG = jax.jit(jax.value_and_grad(_g_loss))


def _leaves(tree):
    return np.concatenate([np.ravel(v) for v in jax.tree_util.tree_leaves(tree)])


@pytest.mark.parametrize("seed", range(4))
def test_value_at_optimal_discriminator_is_jsd(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 20))
    p, q = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(n))
    d = gan.optimal_discriminator(p, q)
    np.testing.assert_allclose(gan.gan_value(d, p, q), -np.log(4) + 2 * jensenshannon(p, q) ** 2, rtol=1e-12)
    for _ in range(20):
        assert gan.gan_value(rng.uniform(0.001, 0.999, n), p, q) < gan.gan_value(d, p, q)


def test_value_with_disjoint_supports_and_zero_mass():
    p, q = np.array([0.5, 0.5, 0.0, 0.0]), np.array([0.0, 0.0, 0.3, 0.7])
    d = gan.optimal_discriminator(p, q)
    np.testing.assert_array_equal(d, [1, 1, 0, 0])
    assert gan.gan_value(d, p, q) == 0.0
    np.testing.assert_array_equal(gan.optimal_discriminator([0.0, 1.0], [0.0, 1.0]), [0.5, 0.5])
    assert gan.gan_value([0.0, 1.0], [0.5, 0.5], [0.5, 0.5]) == -np.inf


@pytest.mark.parametrize("non_saturating", [True, False])
def test_generator_loss_matches_jax(non_saturating):
    logits = np.random.default_rng(1).normal(0, 4, 9)

    def ref(s):
        return -jnp.mean(jax.nn.log_sigmoid(s)) if non_saturating else jnp.mean(jnp.log1p(-jax.nn.sigmoid(s)))

    value, grad = jax.value_and_grad(ref)(logits)
    out = gan.generator_loss(logits, non_saturating=non_saturating)
    np.testing.assert_allclose(out.value, float(value), rtol=1e-12)
    np.testing.assert_allclose(out.grad_logits, np.asarray(grad), rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("n_classes", [0, 3])
def test_player_gradients_match_jax(seed, n_classes):
    rng = np.random.default_rng(seed)
    gen, disc = gan.mlp(2 + n_classes, 2, 8), gan.mlp(2 + n_classes, 1, 8)
    gp, dp = gen.init_params(rng), disc.init_params(rng)
    x_real, z = rng.standard_normal((16, 2)), rng.standard_normal((16, 2))
    code = gan.one_hot(rng.integers(0, n_classes, 16), n_classes) if n_classes else None
    cat = (lambda a: a) if code is None else (lambda a: np.concatenate([a, code], axis=1))
    x_fake = gen.forward(cat(z), gp)[0]
    ours = gan.discriminator_grads(disc, dp, x_real, x_fake, code_real=code, code_fake=code)
    value, grads = D_VG(dp, cat(x_real), cat(x_fake))
    np.testing.assert_allclose(ours.loss, float(value), rtol=1e-12)
    np.testing.assert_allclose(_leaves(ours.grads), _leaves(grads), rtol=1e-9, atol=1e-14)
    for ns in (True, False):
        ours = gan.generator_grads(gen, disc, gp, dp, z, code=code, non_saturating=ns)

        def g_ref(g, d, zz, flag):
            x = _jax_net(g, zz if code is None else jnp.concatenate([zz, code], axis=1))
            s = _jax_net(d, x if code is None else jnp.concatenate([x, code], axis=1))
            return jnp.where(flag, -jnp.mean(jax.nn.log_sigmoid(s)), jnp.mean(jnp.log1p(-jax.nn.sigmoid(s))))

        value, grads = jax.value_and_grad(g_ref)(gp, dp, z, ns)
        np.testing.assert_allclose(ours.loss, float(value), rtol=1e-12)
        np.testing.assert_allclose(_leaves(ours.grads), _leaves(grads), rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("seed", [0, 7])
def test_train_gan_replays_with_optax(seed):
    X, _ = gan.gaussian_mixture(40, gan.ring_centers(4), 0.2, rng=seed)
    run = gan.train_gan(X, steps=3, batch_size=16, hidden=8, learning_rate=0.01, snapshot_every=1, rng=seed)
    r = np.random.default_rng(seed)
    gp, dp = gan.mlp(2, 2, 8).init_params(r), gan.mlp(2, 1, 8).init_params(r)
    adam = optax.adam(0.01, b1=0.5, b2=0.999, eps=1e-8)
    gs, ds = adam.init(gp), adam.init(dp)
    for t in range(3):
        xb = X[r.integers(0, len(X), 16)]
        dv, dg = D_VG(dp, xb, _jax_net(gp, r.standard_normal((16, 2))))
        upd, ds = adam.update(dg, ds)
        dp = optax.apply_updates(dp, upd)
        gv, gg = G_VG(gp, dp, r.standard_normal((16, 2)), True)
        upd, gs = adam.update(gg, gs)
        gp = optax.apply_updates(gp, upd)
        np.testing.assert_allclose([run.d_loss[t], run.g_loss[t]], [float(dv), float(gv)], rtol=1e-9)
        np.testing.assert_allclose(_leaves(run.d_params[t + 1]), _leaves(dp), rtol=1e-9, atol=1e-13)
        np.testing.assert_allclose(_leaves(run.g_params[t + 1]), _leaves(gp), rtol=1e-9, atol=1e-13)
    np.testing.assert_array_equal(run.snapshot_steps, [0, 1, 2, 3])


def test_one_hot_matches_sklearn():
    labels = np.random.default_rng(3).integers(0, 5, 30)
    ref = OneHotEncoder(categories=[list(range(6))]).fit_transform(labels[:, None]).toarray()
    np.testing.assert_array_equal(gan.one_hot(labels, 6), ref)


def test_ring_and_mixture():
    centers = gan.ring_centers(6, 1.5)
    roots = 1.5 * np.exp(2j * np.pi * np.arange(6) / 6)
    np.testing.assert_allclose(centers, np.column_stack([roots.real, roots.imag]), atol=1e-15)
    X, labels = gan.gaussian_mixture(20000, centers, 0.2, rng=0)
    for k in range(6):
        pts = X[labels == k]
        se = 0.2 / np.sqrt(len(pts))
        np.testing.assert_allclose(pts.mean(axis=0), centers[k], atol=5 * se)      # 5 standard errors


@pytest.mark.parametrize("seed", range(3))
def test_mode_coverage_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-3, 3, (5, 2))
    samples = rng.uniform(-3, 3, (200, 2))
    counts = np.zeros(5, int)
    for s in samples:
        dists = [np.hypot(*(s - c)) for c in centers]
        if min(dists) <= 0.8:
            counts[int(np.argmin(dists))] += 1
    out = gan.mode_coverage(samples, centers, 0.8, min_share=0.5)
    np.testing.assert_array_equal(out.counts, counts)
    assert out.n_covered == sum(c >= 0.5 * 200 / 5 for c in counts)
    assert out.share_near == counts.sum() / 200


def test_conditional_run_samples_by_label():
    centers = gan.ring_centers(3, 1.5)
    X, y = gan.gaussian_mixture(90, centers, 0.3, rng=0)
    run = gan.train_gan(X, y, n_classes=3, steps=5, batch_size=8, hidden=8, rng=0)
    assert run.sample(4, 2).shape == (4, 2) and run.discriminate(X[:5], y[:5]).shape == (5,)
    with pytest.raises(ValueError, match="labels"):
        run.sample(4)


def test_bad_inputs():
    with pytest.raises(ValueError, match="p_real and p_fake"):
        gan.optimal_discriminator([0.5, 0.5], [1.0])
    with pytest.raises(ValueError, match="non-negative"):
        gan.optimal_discriminator([-0.1, 1.1], [0.5, 0.5])
    with pytest.raises(ValueError, match="d must lie"):
        gan.gan_value([0.5, 1.5], [0.5, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="labels"):
        gan.one_hot([0, 3], 3)
    with pytest.raises(ValueError, match="n_classes"):
        gan.train_gan(np.zeros((4, 2)), np.zeros(4, int), n_classes=-1)
    with pytest.raises(ValueError, match="y is required"):
        gan.train_gan(np.zeros((4, 2)), n_classes=2)
    with pytest.raises(ValueError, match="steps"):
        gan.train_gan(np.zeros((4, 2)), steps=0)
    with pytest.raises(ValueError, match="radius"):
        gan.mode_coverage(np.zeros((3, 2)), np.zeros((2, 2)), 0.0)
    with pytest.raises(ValueError, match="code"):
        gan.discriminator_grads(gan.mlp(3, 1), gan.mlp(3, 1).init_params(0), np.zeros((4, 2)), np.zeros((4, 2)),
                                code_real=np.zeros((3, 1)), code_fake=np.zeros((4, 1)))

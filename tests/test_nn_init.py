"""The initialisers against jax.nn.initializers and scipy.stats (distributions, not draws)."""

import numpy as np
import pytest
from scipy import stats

from mlsheet_utils.algorithms.nn import init

SHAPE = (3, 40, 50)                                          # a width-3 kernel: both fans times 3
FAN_IN, FAN_OUT = 120, 150


def test_truncated_normal_constant_matches_scipy():
    assert abs(init.TRUNCATED_NORMAL_STD - stats.truncnorm(-2, 2).std()) < 1e-14


@pytest.mark.parametrize("mode,n", [("fan_in", FAN_IN), ("fan_out", FAN_OUT), ("fan_avg", (FAN_IN + FAN_OUT) / 2)])
@pytest.mark.parametrize("distribution", ["normal", "truncated_normal", "uniform"])
def test_variance_scaling_draws_the_stated_distribution(mode, n, distribution):
    scale = 2.0
    std = np.sqrt(scale / n)
    w = init.variance_scaling(SHAPE, 0, scale, mode, distribution).ravel()
    dist = {"normal": stats.norm(0, std),
            "truncated_normal": stats.truncnorm(-2, 2, scale=std / init.TRUNCATED_NORMAL_STD),
            "uniform": stats.uniform(-np.sqrt(3) * std, 2 * np.sqrt(3) * std)}[distribution]
    assert abs(dist.std() - std) < 1e-12 * std                  # every variant has the asked-for variance
    assert stats.kstest(w, dist.cdf).pvalue > 1e-3
    assert stats.kstest(w, lambda x: dist.cdf(x / 1.2)).pvalue < 1e-4      # the test has power: 20% too wide


@pytest.mark.parametrize("name,kwargs", [("lecun_normal", {}), ("glorot_normal", {}), ("he_normal", {}),
                                         ("lecun_uniform", {}), ("glorot_uniform", {}), ("he_uniform", {})])
def test_variance_scaling_matches_jax_in_distribution(name, kwargs):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    scale, mode = {"lecun": (1.0, "fan_in"), "glorot": (1.0, "fan_avg"), "he": (2.0, "fan_in")}[name.split("_")[0]]
    dist = "uniform" if name.endswith("uniform") else "truncated_normal"
    ours = init.variance_scaling(SHAPE, 1, scale, mode, dist).ravel()
    theirs = np.asarray(getattr(jax.nn.initializers, name)(**kwargs)(jax.random.PRNGKey(0), SHAPE,
                                                                        jax.numpy.float64)).ravel()
    assert stats.ks_2samp(ours, theirs).pvalue > 1e-3


@pytest.mark.parametrize("fn,family", [(init.lecun_normal, "norm"), (init.lecun_uniform, "uniform")])
def test_lecun_matches_scipy(fn, family):
    v = 1 / FAN_IN
    args = (0.0, np.sqrt(v)) if family == "norm" else (-np.sqrt(3 * v), 2 * np.sqrt(3 * v))
    assert stats.kstest(fn(SHAPE, 4).ravel(), family, args=args).pvalue > 1e-3


@pytest.mark.parametrize("shape", [(30, 20), (20, 30), (25, 25), (2, 5, 8)])
def test_orthogonal_is_orthonormal_with_the_gain(shape):
    Q = init.orthogonal(shape, 0, gain=1.5)
    M = Q.reshape(-1, shape[-1])
    gram = M.T @ M if M.shape[0] >= M.shape[1] else M @ M.T
    np.testing.assert_allclose(gram, 1.5**2 * np.eye(len(gram)), atol=1e-12)


def test_orthogonal_is_haar_distributed():
    traces = [np.trace(init.orthogonal((5, 5), s)) for s in range(1500)]
    ref = np.trace(stats.ortho_group.rvs(5, size=1500, random_state=0), axis1=1, axis2=2)
    assert stats.ks_2samp(traces, ref).pvalue > 1e-3


def test_constant_and_registry():
    np.testing.assert_array_equal(init.constant((2, 3), value=0.25), np.full((2, 3), 0.25))
    for name in ("lecun_normal", "lecun_uniform", "orthogonal"):
        assert init.INITIALIZERS[name]((4, 4), 0).shape == (4, 4)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="mode must be one of"):
        init.variance_scaling((3, 3), 0, mode="fan_geo")
    with pytest.raises(ValueError, match="distribution must be one of"):
        init.variance_scaling((3, 3), 0, distribution="cauchy")
    with pytest.raises(ValueError, match="scale must be > 0"):
        init.variance_scaling((3, 3), 0, scale=0.0)
    with pytest.raises(ValueError, match="at least 2 axes"):
        init.orthogonal((4,), 0)
    with pytest.raises(ValueError, match="value must be a finite real number"):
        init.constant((2,), value=float("nan"))
    with pytest.raises(ValueError, match="gain must be > 0"):
        init.lecun_normal((3, 2), 0, gain=-1.0)

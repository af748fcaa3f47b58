import matplotlib
import numpy as np
import pytest

from mlsheet_utils import data, validation
from mlsheet_utils.explore import plotting


def test_palette_is_okabe_ito_and_style_applies():
    assert len(plotting.PALETTE) == 8 and plotting.PALETTE[0] == "#0072B2"
    plotting.use_style()
    assert matplotlib.rcParams["figure.figsize"] == [plotting.PAGE_WIDTH, plotting.DEFAULT_HEIGHT]


def test_new_figure_and_png():
    fig, axes = plotting.new_figure(2)
    assert len(axes) == 2
    axes[0].plot([0, 1], [0, 1])
    png = plotting.png_bytes(fig)
    assert png.startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="ncols"):
        plotting.new_figure(0)


def test_rescale_follows_new_data():
    fig, ax = plotting.new_figure()
    (line,) = ax.plot([0, 1], [0, 1])
    line.set_data([0, 10], [0, 100])
    plotting.rescale(ax)
    assert ax.get_ylim()[1] >= 100


def test_blobs_is_seeded_and_shaped():
    X1, y1 = data.blobs(10, rng=3)
    X2, y2 = data.blobs(10, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(X1, X2)
    assert X1.shape == (30, 2) and np.bincount(y1).tolist() == [10, 10, 10]
    X3, _ = data.blobs(10, rng=4)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("kwargs,match", [
    ({"n_per_cluster": 0}, "n_per_cluster"),
    ({"scale": -1.0}, "scale"),
    ({"centers": [1.0, 2.0]}, "centers"),
    ({"rng": -1}, "rng"),
])
def test_blobs_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.blobs(**kwargs)


def test_linear_data():
    X, y = data.linear_data(200, weights=(1.0, 2.0), bias=0.0, noise=0.0, rng=1)
    np.testing.assert_allclose(y, X @ np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="noise"):
        data.linear_data(noise=-1)


def test_validation_messages():
    with pytest.raises(ValueError, match="X must be 2-dimensional"):
        validation.as_array([1, 2], "X", ndim=2)
    with pytest.raises(ValueError, match="X contains NaN"):
        validation.as_array([np.nan], "X")
    with pytest.raises(ValueError, match="k must be <= 3"):
        validation.check_int(4, "k", high=3)
    with pytest.raises(ValueError, match="k must be an integer"):
        validation.check_int(True, "k")
    with pytest.raises(ValueError, match="h must be > 0"):
        validation.check_float(0.0, "h", low=0, low_open=True)


def test_snap_limits_contains_and_is_stable():
    rng = np.random.default_rng(0)
    for _ in range(200):
        lo = rng.normal(0, 10 ** rng.uniform(-3, 3))
        hi = lo + 10 ** rng.uniform(-3, 3)
        a, b = plotting.snap_limits(lo, hi)
        assert a <= lo and b >= hi and (b - a) <= 3 * (hi - lo) + 1e-9
    assert plotting.snap_limits(0.0, 0.93) == plotting.snap_limits(0.0, 0.97) == (0.0, 1.0)
    assert plotting.snap_limits(2.0, 2.0)[0] < 2.0 < plotting.snap_limits(2.0, 2.0)[1]
    with pytest.raises(ValueError, match="finite"):
        plotting.snap_limits(0.0, np.inf)
    with pytest.raises(ValueError, match="lo <= hi"):
        plotting.snap_limits(1.0, 0.0)


def test_layered_renderer_matches_a_full_draw():
    import io

    from PIL import Image

    fig, (ax, ax2) = plotting.new_figure(2)
    (line,) = ax.plot(np.linspace(0, 1, 50), np.linspace(0, 1, 50) ** 2, label="f")
    pts = ax2.scatter([0.2, 0.5], [0.3, 0.6])
    ax.legend()
    ax.set(xlim=(0, 1), ylim=(0, 1), title="t")
    renderer = plotting.LayeredRenderer(fig)
    renderer.png()
    # same limits twice (background made, then reused), new limits (full draw), the old limits again (cached)
    for k in range(4):
        line.set_ydata(np.linspace(0, 1, 50) ** (k + 2))
        pts.set_offsets([[0.1 * k, 0.2], [0.4, 0.9]])
        if k == 2:
            ax.set_ylim(0, 2)
        if k == 3:
            ax.set_ylim(0, 1)
        layered = np.asarray(Image.open(io.BytesIO(renderer.png()))).astype(float)
        full = np.asarray(Image.open(io.BytesIO(plotting.png_bytes(fig)))).astype(float)
        assert np.abs(layered - full).mean() < 0.3  # only grid-versus-patch stacking may differ (stale: 1.4)

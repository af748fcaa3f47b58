import ipywidgets as ipw
import numpy as np
import pytest

from mlsheet_utils import explore as widgets


def sine_explorer(**kw):
    def setup(fig, ax):
        (line,) = ax.plot([], [])
        return {"ax": ax, "line": line}

    def update(state, freq, mode):
        if mode == "refuse":
            raise ValueError("this mode is refused")
        if mode == "crash":
            raise ZeroDivisionError("bug")
        if mode == "empty":
            state["line"].set_data([], [])
            return None
        x = np.linspace(0, 1, 50)
        state["line"].set_data(x, np.sin(2 * np.pi * freq * x))
        return f"f = {freq:.2f}"

    controls = {"freq": widgets.float_slider("$f$", 0.5, 5.0, 1.0),
                "mode": widgets.dropdown("mode", ["ok", "refuse", "crash", "empty"])}
    return widgets.Explorer(controls, setup, update, title="sine", **kw)


def test_initial_draw_produces_png_and_caption():
    ex = sine_explorer()
    assert ex.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert ex.caption == "f = 1.00"
    assert ex.error is None


def test_set_updates_image_and_returns_time():
    ex = sine_explorer()
    before = ex.image.value
    seconds = ex.set(freq=4.0)
    assert seconds > 0
    assert ex.image.value != before
    assert ex.caption == "f = 4.00"


def test_value_error_becomes_message_not_exception():
    ex = sine_explorer()
    ex.set(mode="refuse")
    assert ex.error == "this mode is refused"
    assert not ex.unexpected_error
    assert "this mode is refused" in ex.message.value


def test_other_exception_is_flagged_unexpected():
    ex = sine_explorer()
    ex.set(mode="crash")
    assert ex.unexpected_error
    assert "ZeroDivisionError" in ex.message.value


def test_empty_plot_is_reported():
    ex = sine_explorer()
    ex.set(mode="empty")
    assert ex.error == "nothing to draw at these settings"


def test_control_change_triggers_refresh():
    ex = sine_explorer()
    ex.controls["freq"].value = 2.5
    assert ex.caption == "f = 2.50"


def test_sweep_visits_extremes_and_restores_defaults():
    ex = sine_explorer()
    records = ex.sweep()
    freqs = [r.values["freq"] for r in records[:3]]
    assert freqs == [0.5, 5.0, 1.0]
    assert [r.values["mode"] for r in records[3:]] == ["ok", "refuse", "crash", "empty"]
    assert ex.values == {"freq": 1.0, "mode": "ok"}
    stats = widgets.summarize(records)
    assert stats["updates"] == 7 and stats["unexpected"] == 1 and stats["messages"] == 3


def test_check_sweep_raises_on_unexpected_error():
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        widgets.check_sweep(sine_explorer())


def test_set_rejects_unknown_control():
    with pytest.raises(ValueError, match="unknown control"):
        sine_explorer().set(nope=1)


def test_explorer_validates_controls():
    with pytest.raises(ValueError, match="at least one control"):
        widgets.Explorer({}, lambda f, a: None, lambda s: None)
    with pytest.raises(ValueError, match="value widget"):
        widgets.Explorer({"x": ipw.Button()}, lambda f, a: None, lambda s, x: None)


def test_control_extremes():
    assert widgets.control_extremes(widgets.int_slider("k", 1, 9, 3)) == [1, 9, 3]
    log = widgets.log_slider("lr", -3, 1, 0.1)
    lo, hi, default = widgets.control_extremes(log)
    assert lo == pytest.approx(1e-3) and hi == pytest.approx(10.0) and default == pytest.approx(0.1)
    assert widgets.control_extremes(widgets.checkbox("c")) == [False, True]
    assert widgets.control_extremes(widgets.dropdown("d", [("a", 1), ("b", 2)])) == [1, 2]


@pytest.mark.parametrize("factory,args", [
    (widgets.float_slider, ("x", 1.0, 0.0, 0.5)),
    (widgets.float_slider, ("x", 0.0, 1.0, 2.0)),
    (widgets.int_slider, ("k", 5, 5, 5)),
    (widgets.log_slider, ("lr", -3, 1, 100.0)),
    (widgets.dropdown, ("d", [])),
    (widgets.dropdown, ("d", ["a"], "b")),
])
def test_control_factories_validate(factory, args):
    with pytest.raises(ValueError):
        factory(*args)


def test_text_repr_is_stable_and_bundle_has_widget_view():
    ex = sine_explorer()
    bundle = ex._repr_mimebundle_()
    assert bundle["text/plain"] == "Explorer('sine'; controls: freq, mode)"
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_registry_lists_live_explorers():
    ex = sine_explorer()
    assert ex in widgets.explorers()


def test_figure_has_data_sees_finite_points_only():
    ex = sine_explorer()
    ex.state["line"].set_data([np.nan], [np.nan])
    assert not widgets.figure_has_data(ex.fig)
    ex.state["line"].set_data([0.0], [1.0])
    assert widgets.figure_has_data(ex.fig)


def test_control_values_spread_over_the_range():
    assert widgets.control_values(widgets.int_slider("k", 1, 9, 3)) == [1, 9, 3]
    assert widgets.control_values(widgets.int_slider("k", 1, 3, 2), 9) == [1, 2, 3]
    assert widgets.control_values(widgets.float_slider("x", 0.0, 1.0, 0.5), 3) == [0.0, 0.5, 1.0]
    assert widgets.control_values(widgets.log_slider("lr", -2, 0, 0.1), 3) == pytest.approx([0.01, 0.1, 1.0])
    assert widgets.control_values(widgets.dropdown("d", ["a", "b"]), 5) == ["a", "b"]
    with pytest.raises(ValueError, match="points"):
        widgets.control_values(widgets.checkbox("c"), 1)


def test_sweep_with_points_covers_each_slider():
    records = sine_explorer().sweep(points=4)
    assert [r.values["freq"] for r in records[:4]] == pytest.approx([0.5, 2.0, 3.5, 5.0])
    assert len(records) == 4 + 4


def _counting_explorer(**kw):
    calls = []

    def compute(freq):
        calls.append(freq)
        x = np.linspace(0, 1, 50)
        return x, np.sin(2 * np.pi * freq * x)

    def setup(fig, ax):
        (line,) = ax.plot([], [])
        ax.set(xlim=(0, 1), ylim=(-1.1, 1.1))
        return line

    def draw(line, result, upto):
        x, y = result
        line.set_data(x[: upto + 1], y[: upto + 1])
        return f"{upto + 1} points"

    controls = {"freq": widgets.float_slider("$f$", 0.5, 5.0, 1.0), "upto": widgets.frames("point", 50)}
    return widgets.Explorer(controls, setup, draw, compute=compute, title="memo", **kw), calls


def test_compute_is_memoised_and_frames_only_redraw():
    ex, calls = _counting_explorer()
    assert calls == [1.0] and ex.caption == "50 points"
    for upto in (0, 10, 49):                         # scrubbing the frames never recomputes
        ex.set(upto=upto)
    assert calls == [1.0] and ex.caption == "50 points" and ex.cache_hits == 3
    ex.set(freq=2.0)
    ex.set(freq=1.0)                                 # a setting seen before is recalled
    assert calls == [1.0, 2.0]
    ex.clear_cache()
    ex.set(freq=1.0)
    assert calls == [1.0, 2.0, 1.0]


def test_cache_is_bounded():
    ex, calls = _counting_explorer(cache_size=2)
    for f in (2.0, 3.0, 1.0):                        # 1.0 was evicted by 2.0 and 3.0
        ex.set(freq=f)
    assert calls == [1.0, 2.0, 3.0, 1.0]


def test_compute_must_take_controls_only():
    with pytest.raises(ValueError, match="not controls"):
        widgets.Explorer({"freq": widgets.float_slider("f", 0, 1, 0.5)}, lambda fig, ax: None,
                         lambda s, r: None, compute=lambda freq, other: None)
    with pytest.raises(ValueError, match="cache_size"):
        widgets.Explorer({"freq": widgets.float_slider("f", 0, 1, 0.5)}, lambda fig, ax: None,
                         lambda s, r: None, compute=lambda freq: None, cache_size=0)


def test_frames_have_play_and_step_buttons_in_the_layout():
    ex, _ = _counting_explorer()
    play, step = ex.controls["upto"].mlsheet_frame_controls
    assert isinstance(play, ipw.Play) and play.max == 49
    row = ex.widget.children[1].children
    assert row.index(play) < row.index(ex.controls["upto"])
    ex.set(upto=48)
    step.click()
    assert ex.controls["upto"].value == 49 and ex.caption == "50 points"
    step.click()                                      # wraps to the first frame
    assert ex.controls["upto"].value == 0
    with pytest.raises(ValueError, match="n_frames"):
        widgets.frames("epoch", 1)


def test_a_compute_error_is_a_message_and_is_not_cached():
    calls = []

    def compute(k):
        calls.append(k)
        if k == 0:
            raise ValueError("k must be positive here")
        return k

    def draw(line, k):
        line.set_data([0, 1], [0, k])

    ex = widgets.Explorer({"k": widgets.int_slider("k", 0, 3, 1)}, lambda fig, ax: ax.plot([], [])[0], draw,
                          compute=compute)
    ex.set(k=0)
    assert ex.error == "k must be positive here" and not ex.unexpected_error
    ex.set(k=0)
    assert calls == [1, 0, 0]


def test_views_update_their_artists():
    from mlsheet_utils.explore import plotting, views

    fig, (a1, a2, a3) = plotting.new_figure(3)
    curves = views.Curves(a1, ["train", "test"], ylim=(0, 1))
    curves.update(np.arange(5), [np.linspace(1, 0, 5), np.linspace(0.9, 0.2, 5)])
    assert np.allclose(curves.lines[1].get_ydata(), np.linspace(0.9, 0.2, 5)) and a1.get_ylim() == (0, 1)
    with pytest.raises(ValueError, match="2 lines"):
        curves.update(np.arange(5), [np.zeros(5)])
    surface = views.Surface(a2, (-1, 1), (0, 2), resolution=20)
    assert surface.grid.shape == (400, 2) and surface.grid[:, 1].min() == 0 and surface.grid[:, 0].max() == 1
    surface.update(surface.grid[:, 0] + surface.grid[:, 1], points=[[0, 1], [0.5, 1.5]], labels=[0, 1])
    z = surface.image.get_array()
    assert z.shape == (20, 20) and z[0, -1] == pytest.approx(1.0) and surface.points.get_offsets().shape == (2, 2)
    heat = views.Heatmap(a3, (2, 3), vmin=0, vmax=1, annotate=True, fmt="{:.1f}")
    heat.update(np.arange(6).reshape(2, 3) / 5)
    assert heat.texts[1][2].get_text() == "1.0"
    with pytest.raises(ValueError, match="expected shape"):
        heat.update(np.zeros((3, 2)))

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

"""The widget scaffold: controls, one figure updated in place, a readable message instead of a traceback.

Every interactive plot in the book is an :class:`Explorer`. It

1. creates one matplotlib figure (not managed by pyplot) and lets ``setup(fig, axes)`` draw the artists once;
2. on every control change calls ``update(state, **values)``, which moves those artists in place
   (``set_data``, ``set_offsets``, ``set_ydata``) and may return a short caption;
3. renders the figure to PNG bytes shown in an :class:`ipywidgets.Image` (about 20 ms, versus about 55 ms
   for ``interact`` redrawing an inline figure);
4. catches any exception from ``update`` and shows its message under the plot, never a traceback.

Because the update is an ordinary method, tests and benchmarks drive it without a browser:
:meth:`Explorer.set` changes controls and returns the time taken, :meth:`Explorer.sweep` visits every
control's minimum, maximum and default.

Example
-------
>>> import numpy as np
>>> def setup(fig, ax):
...     (line,) = ax.plot([], [])
...     return {"ax": ax, "line": line}
>>> def update(state, freq):
...     x = np.linspace(0, 1, 200)
...     state["line"].set_data(x, np.sin(2 * np.pi * freq * x))
...     return f"frequency {freq:.1f}"
>>> ex = Explorer({"freq": float_slider("f", 0.5, 5.0, 1.0)}, setup, update, title="sine")
>>> ex.caption
'frequency 1.0'
"""

from __future__ import annotations

import html
import time
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import ipywidgets as widgets
import numpy as np
from matplotlib.collections import Collection
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.spines import Spine

from . import plotting

#: Every Explorer created in this process, so a benchmark can find and sweep them after running a notebook.
_REGISTRY: "weakref.WeakSet[Explorer]" = weakref.WeakSet()

_DESCRIPTION_STYLE = {"description_width": "initial"}
_CONTROL_LAYOUT = {"width": "auto", "min_width": "220px"}


def float_slider(description: str, min: float, max: float, value: float, step: float | None = None,
                 *, readout_format: str = ".3g", continuous_update: bool = True) -> widgets.FloatSlider:
    """A float slider in the book's style. ``description`` may contain LaTeX such as ``$\\alpha$``."""
    if not min < max:
        raise ValueError(f"slider {description!r}: min must be < max, got min={min}, max={max}")
    if not min <= value <= max:
        raise ValueError(f"slider {description!r}: value {value} is outside [{min}, {max}]")
    step = (max - min) / 100 if step is None else step
    return widgets.FloatSlider(value=value, min=min, max=max, step=step, description=description,
                               readout_format=readout_format, continuous_update=continuous_update,
                               style=_DESCRIPTION_STYLE, layout=_CONTROL_LAYOUT)


def log_slider(description: str, min_exp: float, max_exp: float, value: float, *, base: float = 10.0,
               step: float = 0.1, continuous_update: bool = True) -> widgets.FloatLogSlider:
    """A logarithmic slider from ``base**min_exp`` to ``base**max_exp``."""
    if not min_exp < max_exp:
        raise ValueError(f"slider {description!r}: min_exp must be < max_exp, got {min_exp}, {max_exp}")
    if not base ** min_exp <= value <= base ** max_exp:
        raise ValueError(f"slider {description!r}: value {value} is outside "
                         f"[{base ** min_exp:g}, {base ** max_exp:g}]")
    return widgets.FloatLogSlider(value=value, base=base, min=min_exp, max=max_exp, step=step,
                                  description=description, readout_format=".3g",
                                  continuous_update=continuous_update, style=_DESCRIPTION_STYLE,
                                  layout=_CONTROL_LAYOUT)


def int_slider(description: str, min: int, max: int, value: int, step: int = 1,
               *, continuous_update: bool = True) -> widgets.IntSlider:
    """An integer slider in the book's style."""
    if not min < max:
        raise ValueError(f"slider {description!r}: min must be < max, got min={min}, max={max}")
    if not min <= value <= max:
        raise ValueError(f"slider {description!r}: value {value} is outside [{min}, {max}]")
    return widgets.IntSlider(value=value, min=min, max=max, step=step, description=description,
                             continuous_update=continuous_update, style=_DESCRIPTION_STYLE,
                             layout=_CONTROL_LAYOUT)


def dropdown(description: str, options, value=None) -> widgets.Dropdown:
    """A drop-down list; ``options`` is a list of values or of ``(label, value)`` pairs."""
    options = list(options)
    if not options:
        raise ValueError(f"dropdown {description!r}: options must not be empty")
    values = [o[1] if isinstance(o, tuple) else o for o in options]
    value = values[0] if value is None else value
    if value not in values:
        raise ValueError(f"dropdown {description!r}: value {value!r} is not one of {values!r}")
    return widgets.Dropdown(options=options, value=value, description=description,
                            style=_DESCRIPTION_STYLE, layout=_CONTROL_LAYOUT)


def checkbox(description: str, value: bool = False) -> widgets.Checkbox:
    """A check box in the book's style."""
    return widgets.Checkbox(value=bool(value), description=description, indent=False,
                            layout=_CONTROL_LAYOUT)


def control_extremes(control: widgets.ValueWidget) -> list:
    """The values a sweep visits for ``control``: minimum, maximum and default (or every option).

    Sliders give ``[min, max, default]``, a log slider ``[base**min, base**max, default]``,
    a drop-down every option value, a check box ``[False, True]``.
    """
    if isinstance(control, widgets.FloatLogSlider):
        return [control.base ** control.min, control.base ** control.max, control.value]
    if isinstance(control, (widgets.FloatSlider, widgets.IntSlider)):
        return [control.min, control.max, control.value]
    if isinstance(control, (widgets.Dropdown, widgets.RadioButtons, widgets.ToggleButtons)):
        return [o[1] if isinstance(o, tuple) else o for o in control.options]
    if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
        return [False, True]
    raise ValueError(f"control_extremes: unsupported control type {type(control).__name__}")


def control_values(control: widgets.ValueWidget, points: int | None = None) -> list:
    """The values a sweep visits for ``control``.

    ``points=None`` gives :func:`control_extremes`; an int >= 2 gives that many evenly spaced values over a
    slider's range (on the exponent for a log slider, distinct integers for an int slider) and every option of
    any other control.
    """
    if points is None:
        return control_extremes(control)
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise ValueError(f"points must be an integer >= 2 or None, got {points!r}")
    if isinstance(control, widgets.FloatLogSlider):
        return [float(v) for v in control.base ** np.linspace(control.min, control.max, points)]
    if isinstance(control, widgets.IntSlider):
        return sorted({int(round(v)) for v in np.linspace(control.min, control.max, points)})
    if isinstance(control, widgets.FloatSlider):
        return [float(v) for v in np.linspace(control.min, control.max, points)]
    return control_extremes(control)


@dataclass(frozen=True)
class UpdateRecord:
    """One update of a sweep: the values set, the time taken, and the error shown (if any)."""

    values: dict
    seconds: float
    error: str | None
    unexpected: bool


class Explorer:
    """Controls and one figure that is updated in place.

    Parameters
    ----------
    controls : mapping of str to ipywidgets.ValueWidget
        Keyword name -> control. The names are the keyword arguments passed to ``update``.
    setup : callable ``setup(fig, axes) -> state``
        Draws the artists once and returns whatever ``update`` needs (usually a dict of artists).
    update : callable ``update(state, **values) -> str | None``
        Moves the artists for the current values; may return a caption shown under the plot.
        Raise ``ValueError`` with a reader-facing sentence for settings that cannot be drawn.
    title : str
        Shown above the controls and in the text form of the widget.
    ncols, nrows, width, height : figure layout passed to :func:`mlsheet_utils.plotting.new_figure`.
    layered : bool
        Redraw through :class:`mlsheet_utils.plotting.LayeredRenderer` (ticks and titles are redrawn only when
        limits or labels change; about half the time of a full redraw). Set False when ``update`` changes
        figure-level legends or texts.
    """

    def __init__(self, controls: Mapping[str, widgets.ValueWidget], setup: Callable, update: Callable,
                 *, title: str = "", ncols: int = 1, nrows: int = 1,
                 width: float = plotting.PAGE_WIDTH, height: float = plotting.DEFAULT_HEIGHT,
                 subplot_kw: Mapping[str, Any] | None = None, layered: bool = True):
        if not controls:
            raise ValueError("Explorer needs at least one control")
        for name, control in controls.items():
            if not isinstance(control, widgets.ValueWidget):
                raise ValueError(f"control {name!r} must be an ipywidgets value widget, "
                                 f"got {type(control).__name__}")
        self.controls = dict(controls)
        self.title = title
        self._update = update
        self.fig, axes = plotting.new_figure(ncols, nrows, width=width, height=height,
                                             **dict(subplot_kw or {}))
        self.state = setup(self.fig, axes)
        self._renderer = plotting.LayeredRenderer(self.fig) if layered else None
        self.image = widgets.Image(format="png", layout={"max_width": "100%", "height": "auto"})
        self.message = widgets.HTML(layout={"min_height": "1.5em"})
        self.caption: str = ""
        self.error: str | None = None
        self.unexpected_error = False
        self._quiet = False
        header = [widgets.HTML(f"<b>{html.escape(title)}</b>")] if title else []
        self.widget = widgets.VBox(
            header + [widgets.HBox(list(self.controls.values()), layout={"flex_flow": "row wrap"}),
                      self.image, self.message])
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()
        # The first draw ran the constrained layout; keep those positions and skip the layout pass from now
        # on (it costs about 17 ms of the roughly 40 ms a redraw of a two-panel figure takes).
        self.fig.set_layout_engine("none")
        _REGISTRY.add(self)

    # -- state -----------------------------------------------------------------------------------
    @property
    def values(self) -> dict:
        """The current value of every control, by keyword name."""
        return {name: control.value for name, control in self.controls.items()}

    def _on_change(self, _change) -> None:
        if not self._quiet:
            self.refresh()

    def refresh(self) -> float:
        """Run ``update`` for the current values, redraw, and return the seconds it took."""
        start = time.perf_counter()
        self.error, self.unexpected_error = None, False
        try:
            with np.errstate(all="ignore"):
                caption = self._update(self.state, **self.values)
            self.caption = "" if caption is None else str(caption)
            if not figure_has_data(self.fig):
                raise ValueError("nothing to draw at these settings")
            self.image.value = self._renderer.png() if self._renderer else plotting.png_bytes(self.fig)
            self.message.value = html.escape(self.caption)
        except Exception as exc:  # shown to the reader, never a traceback
            self.error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError) else str(exc)
            self.unexpected_error = not isinstance(exc, ValueError)
            self.message.value = ('<span style="color:#D55E00"><b>Cannot draw this setting:</b> '
                                  f"{html.escape(self.error)}</span>")
        return time.perf_counter() - start

    def set(self, **values) -> float:
        """Set several controls at once, redraw once, and return the seconds the redraw took."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; known: {sorted(self.controls)}")
        self._quiet = True
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._quiet = False
        return self.refresh()

    def sweep(self, points: int | None = None) -> list[UpdateRecord]:
        """Visit each control's values (others at their defaults) and time each update.

        By default the values are each control's extremes and default; ``points`` spreads that many values
        over each slider's range instead (see :func:`control_values`). Returns one :class:`UpdateRecord` per
        update; the controls are restored afterwards.
        """
        defaults = self.values
        records = []
        for name, control in self.controls.items():
            for value in control_values(control, points):
                seconds = self.set(**{**defaults, name: value})
                records.append(UpdateRecord({**defaults, name: value}, seconds, self.error,
                                            self.unexpected_error))
        self.set(**defaults)
        return records

    # -- display ---------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = f"Explorer({self.title!r}; controls: {', '.join(self.controls)})"
        return bundle

    def __repr__(self) -> str:
        return f"Explorer({self.title!r}; controls: {', '.join(self.controls)})"


def explorers() -> list[Explorer]:
    """Every live Explorer of this process, in creation order of their titles (for benchmarks)."""
    return sorted(_REGISTRY, key=lambda e: e.title)


def figure_has_data(fig) -> bool:
    """True when some visible artist of ``fig`` holds at least one finite data point."""
    for ax in fig.axes:
        for artist in ax.get_children():
            if not artist.get_visible():
                continue
            if isinstance(artist, Line2D):
                x, y = (np.asarray(a, dtype=float) for a in artist.get_data())
                if x.size and y.size and np.any(np.isfinite(x) & np.isfinite(y)):
                    return True
            elif isinstance(artist, Collection):
                offsets = np.asarray(artist.get_offsets(), dtype=float)
                if offsets.size and np.any(np.all(np.isfinite(offsets), axis=-1)) or artist.get_paths():
                    return True
            elif isinstance(artist, AxesImage):
                arr = np.asarray(artist.get_array(), dtype=float)
                if arr.size and np.any(np.isfinite(arr)):
                    return True
            elif isinstance(artist, Patch) and artist is not ax.patch and not isinstance(artist, Spine):
                return True
    return False


def summarize(records: list[UpdateRecord]) -> dict:
    """Median, 95th percentile and maximum update time (ms) of a sweep, and its error counts."""
    if not records:
        raise ValueError("summarize: no update records")
    ms = np.array([r.seconds for r in records]) * 1e3
    return {
        "updates": len(records),
        "median_ms": float(np.median(ms)),
        "p95_ms": float(np.percentile(ms, 95)),
        "max_ms": float(ms.max()),
        "messages": sum(r.error is not None for r in records),
        "unexpected": sum(r.unexpected for r in records),
    }


def check_sweep(explorer: Explorer) -> list[UpdateRecord]:
    """Sweep ``explorer``, raise if any update failed unexpectedly, print a deterministic summary.

    Settings that raise ``ValueError`` are fine (the reader sees the message); any other error is a bug.
    Times are returned in the records, not printed: a timing belongs in ``make bench``, not in a test.
    """
    records = explorer.sweep()
    bad = [r for r in records if r.unexpected]
    if bad:
        raise AssertionError(f"{len(bad)} update(s) failed unexpectedly, first: {bad[0].values} -> "
                             f"{bad[0].error}")
    shown = [r for r in records if r.error is not None]
    print(f"swept {len(records)} settings of {explorer.title!r}: {len(records) - len(shown)} drawn, "
          f"{len(shown)} shown as a message")
    for r in shown:
        print(f"  message at {r.values}: {r.error}")
    return records

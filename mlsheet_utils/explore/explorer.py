"""The widget scaffold: controls, one figure redrawn in place, a readable message instead of a traceback.

Every interactive plot in the book is an :class:`Explorer`. It

1. creates one matplotlib figure (not managed by pyplot) and lets ``setup(fig, axes)`` draw the artists once;
2. on a control change calls ``compute`` with the controls it names (a pure function, memoised: a setting seen
   before is not computed again) and then ``draw(state, result, **rest)``, which moves the artists in place
   (``set_data``, ``set_offsets``, ``set_array``) and may return a caption;
3. renders the figure to PNG bytes shown in an :class:`ipywidgets.Image`;
4. catches any exception and shows its message under the plot, never a traceback.

A training curve or an iteration is computed once as a whole trajectory; a :func:`~.controls.frames` control
(play, step, scrub) is left out of ``compute`` so that moving through the frames only redraws.

Because the updates are ordinary methods, tests and benchmarks drive them without a browser:
:meth:`Explorer.set` changes controls and returns the time taken, :meth:`Explorer.sweep` visits every
control's minimum, maximum and default.

Example
-------
>>> import numpy as np
>>> from mlsheet_utils.explore.controls import float_slider, frames
>>> def compute(freq):
...     x = np.linspace(0, 1, 200)
...     return x, np.sin(2 * np.pi * freq * x)
>>> def setup(fig, ax):
...     (line,) = ax.plot([], [])
...     return {"line": line}
>>> def draw(state, result, upto):
...     x, y = result
...     state["line"].set_data(x[: upto + 1], y[: upto + 1])
...     return f"{upto + 1} of {x.size} points"
>>> ex = Explorer({"freq": float_slider("f", 0.5, 5.0, 1.0), "upto": frames("point", 200)},
...               setup, draw, compute=compute, title="sine")
>>> ex.caption
'200 of 200 points'
>>> _ = ex.set(upto=9); ex.caption, ex.cache_misses
('10 of 200 points', 1)
"""

from __future__ import annotations

import gc
import html
import inspect
import itertools
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import ipywidgets as widgets
import numpy as np
from matplotlib.collections import Collection
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.spines import Spine

from mlsheet_utils.explore import plotting
from mlsheet_utils.explore.controls import control_values, frame_controls
from mlsheet_utils.validation import check_callable


@dataclass(frozen=True)
class Frame:
    """One setting drawn: the image (RGB, or None when the setting shows a message), the caption ``draw``
    returned (None when it raised), the HTML shown under the plot, and the error (if any)."""

    rgb: np.ndarray | None
    caption: str | None
    message_html: str
    error: str | None
    unexpected: bool


@dataclass(frozen=True)
class UpdateRecord:
    """One update of a sweep: the values set, the time taken, and the error shown (if any)."""

    values: dict
    seconds: float
    error: str | None
    unexpected: bool


class Explorer:
    """Controls and one figure, redrawn in place; what is expensive is computed once per setting.

    Parameters
    ----------
    controls : mapping of str to ipywidgets.ValueWidget
        Keyword name -> control (see :mod:`mlsheet_utils.explore.controls`).
    setup : callable ``setup(fig, axes) -> state``
        Draws the artists once (often through :mod:`mlsheet_utils.explore.views`) and returns what ``draw``
        needs.
    draw : callable
        Moves the artists for the current setting and may return a caption shown under the plot.
        With ``compute``: ``draw(state, result, **rest)``, where ``result`` is what ``compute`` returned and
        ``rest`` holds the controls ``compute`` does not take (a frame scrubber, a display option).
        Without ``compute``: ``draw(state, **values)`` with every control.
        Raise ``ValueError`` with a reader-facing sentence for a setting that cannot be drawn.
    compute : callable, optional
        A pure function of some of the controls (its parameter names say which). Its results are memoised
        (the last ``cache_size`` settings), so a reader who returns to a setting, or scrubs the frames of a
        trajectory computed once, pays only for the drawing. It must not touch the figure.
    title : str
        Shown above the controls and in the text form of the widget.
    ncols, nrows, width, height, subplot_kw : figure layout, passed to
        :func:`mlsheet_utils.explore.plotting.new_figure`.
    layered : bool
        Redraw through :class:`mlsheet_utils.explore.plotting.LayeredRenderer` (ticks and titles are redrawn only
        when limits or labels change). Set False when ``draw`` changes figure-level legends or texts.
    cache_size : int
        How many ``compute`` results are kept.
    """

    _created = itertools.count()

    def __init__(self, controls: Mapping[str, widgets.ValueWidget], setup: Callable, draw: Callable,
                 *, compute: Callable | None = None, title: str = "", ncols: int = 1, nrows: int = 1,
                 width: float = plotting.PAGE_WIDTH, height: float = plotting.DEFAULT_HEIGHT,
                 subplot_kw: Mapping[str, Any] | None = None, layered: bool = True, cache_size: int = 64):
        if not isinstance(controls, Mapping):
            raise ValueError(f"controls must be a mapping of keyword name -> control, got {type(controls).__name__}")
        if not controls:
            raise ValueError("Explorer needs at least one control (controls is empty)")
        for name, control in controls.items():
            if not isinstance(control, widgets.ValueWidget):
                raise ValueError(f"controls[{name!r}] must be an ipywidgets value widget, "
                                 f"got {type(control).__name__}")
        self.controls = dict(controls)
        check_callable(setup, "setup")
        check_callable(draw, "draw")
        if not isinstance(title, str):
            raise ValueError(f"title must be a string, got {title!r}")
        self._compute_args: tuple[str, ...] = ()
        if compute is not None:
            check_callable(compute, "compute")
            params = inspect.signature(compute).parameters
            unknown = [p for p in params if p not in self.controls]
            if unknown:
                raise ValueError(f"compute takes {unknown}, which are not controls; controls: {sorted(self.controls)}")
            self._compute_args = tuple(params)
        if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 1:
            raise ValueError(f"cache_size must be a positive integer, got {cache_size!r}")
        self.title = title
        self._draw, self._compute, self._cache_size = draw, compute, cache_size
        self._cache: OrderedDict = OrderedDict()
        self.cache_hits = self.cache_misses = 0
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
        row = []
        for control in self.controls.values():
            row.extend(frame_controls(control))
            row.append(control)
        self.widget = widgets.VBox(header + [widgets.HBox(row, layout={"flex_flow": "row wrap"}),
                                             self.image, self.message])
        # The n-th Explorer a kernel creates is marked mlsheet-explorer-n: the static site finds the frames
        # `make execute` rendered for it (mlsheet_utils.explore.static) by this class.
        self.index = next(Explorer._created)
        self.widget.add_class("mlsheet-explorer")
        self.widget.add_class(f"mlsheet-explorer-{self.index}")
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()
        # The first draw ran the constrained layout; keep those positions and skip the layout pass from now on.
        self.fig.set_layout_engine("none")
        # Move what the page has built so far (SymPy expressions, data, figures) out of the garbage collector's
        # reach: a full collection over it would otherwise stall an occasional update by several redraws.
        gc.freeze()

    # -- state -----------------------------------------------------------------------------------
    @property
    def values(self) -> dict:
        """The current value of every control, by keyword name."""
        return {name: control.value for name, control in self.controls.items()}

    def _on_change(self, _change) -> None:
        if not self._quiet:
            self.refresh()

    def result(self, **values):
        """``compute`` for the given setting (each omitted control at its current value), memoised."""
        values = {**self.values, **values}
        if self._compute is None:
            raise ValueError("this Explorer has no compute function")
        key = tuple(values[name] for name in self._compute_args)
        if key in self._cache:
            self.cache_hits += 1
            self._cache.move_to_end(key)
            return self._cache[key]
        self.cache_misses += 1
        out = self._compute(**{name: values[name] for name in self._compute_args})
        self._cache[key] = out
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return out

    def render(self, **values) -> Frame:
        """Draw a setting (omitted controls at their current values) and return it as a :class:`Frame`.

        The controls, the image widget and the message are left as they are: this is what
        :meth:`refresh` shows, and what :mod:`mlsheet_utils.explore.static` stores for the static site.
        """
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; known: {sorted(self.controls)}")
        values = {**self.values, **values}
        caption = None
        try:
            with np.errstate(all="ignore"):
                if self._compute is None:
                    drawn = self._draw(self.state, **values)
                else:
                    rest = {k: v for k, v in values.items() if k not in self._compute_args}
                    drawn = self._draw(self.state, self.result(**values), **rest)
            caption = "" if drawn is None else str(drawn)
            if not figure_has_data(self.fig):
                raise ValueError("nothing to draw at these settings")
            if self._renderer:
                rgb = self._renderer.render()[..., :3].copy()
            else:
                self.fig.canvas.draw()
                rgb = np.asarray(self.fig.canvas.buffer_rgba())[..., :3].copy()
            return Frame(rgb, caption, html.escape(caption), None, False)
        except Exception as exc:  # shown to the reader, never a traceback
            error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError) else str(exc)
            message = ('<span style="color:#D55E00"><b>Cannot draw this setting:</b> '
                       f"{html.escape(error)}</span>")
            return Frame(None, caption, message, error, not isinstance(exc, ValueError))

    def refresh(self) -> float:
        """Compute (or recall) and draw the current setting; return the seconds it took."""
        start = time.perf_counter()
        frame = self.render()
        self.error, self.unexpected_error = frame.error, frame.unexpected
        if frame.caption is not None:
            self.caption = frame.caption
        if frame.rgb is not None:
            self.image.value = plotting.encode_png(frame.rgb)
        self.message.value = frame.message_html
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

    def clear_cache(self) -> None:
        """Forget every memoised ``compute`` result (a benchmark of cold updates calls this first)."""
        self._cache.clear()
        self.cache_hits = self.cache_misses = 0

    # -- display ---------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        return f"Explorer({self.title!r}; controls: {', '.join(self.controls)})"


def explorers(namespace: Mapping[str, Any] | None = None) -> list[Explorer]:
    """The live Explorers of this process (or those bound in ``namespace``), sorted by title (for benchmarks)."""
    if namespace is not None and not isinstance(namespace, Mapping):
        raise ValueError(f"namespace must be a mapping (such as globals()) or None, got {type(namespace).__name__}")
    if namespace is not None:
        objects = namespace.values()
    else:
        gc.unfreeze()                       # frozen objects (see Explorer.__init__) are hidden from get_objects
        objects = gc.get_objects()
        gc.freeze()
    found = {id(o): o for o in objects if isinstance(o, Explorer)}
    return sorted(found.values(), key=lambda e: e.title)


def figure_has_data(fig) -> bool:
    """True when some visible artist of ``fig`` holds at least one finite data point."""
    plotting._check_figure(fig)
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
    if not all(isinstance(r, UpdateRecord) for r in records):
        raise ValueError(f"summarize: records must be UpdateRecords (from Explorer.sweep), got {records!r:.80}")
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
    if not isinstance(explorer, Explorer):
        raise ValueError(f"check_sweep: explorer must be an Explorer, got {type(explorer).__name__}")
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

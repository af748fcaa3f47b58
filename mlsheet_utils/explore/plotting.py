"""One look for every figure in the book.

The palette is Okabe and Ito's colour-blind-safe set; figures are sized to the page's text width so
nothing is scaled down until unreadable.
"""

from __future__ import annotations

import io

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.spines import Spine
from PIL import Image

from mlsheet_utils.validation import check_float, check_int

#: Okabe-Ito colours, in the order plots use them.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

#: The palette as a colormap for class labels: ``scatter(..., c=labels % 8, cmap=CATEGORICAL, vmin=0, vmax=7)``.
CATEGORICAL = ListedColormap(PALETTE, name="okabe_ito")

#: Width of the book's text column in inches, and the default figure height.
PAGE_WIDTH = 7.0
DEFAULT_HEIGHT = 3.0

STYLE = {
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 10.5,   # a cap height of about 10 px on the page (DejaVu Sans caps are 0.73 em)
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.figsize": (PAGE_WIDTH, DEFAULT_HEIGHT),
    "image.cmap": "viridis",
    "svg.hashsalt": "mlsheet",
}


def _check_figure(fig, name: str = "fig") -> Figure:
    if not isinstance(fig, Figure):
        raise ValueError(f"{name} must be a matplotlib Figure, got {type(fig).__name__}")
    return fig


def _check_axes(ax, name: str = "ax") -> Axes:
    if not isinstance(ax, Axes):
        raise ValueError(f"{name} must be a matplotlib Axes, got {type(ax).__name__}")
    return ax


def _check_image(rgb, name: str, channels=(3, 4)) -> np.ndarray:
    """An image array: ``uint8`` of shape (h, w, c) with ``c`` in ``channels`` and h, w >= 1."""
    arr = np.asarray(rgb) if rgb is not None and not isinstance(rgb, str) else None
    if arr is None or arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] not in channels or not arr.size:
        what = f"{arr.dtype} array of shape {arr.shape}" if arr is not None else repr(rgb)
        raise ValueError(f"{name} must be a non-empty uint8 image of shape (h, w, {' or '.join(map(str, channels))}), "
                         f"got {what}")
    return arr


def use_style() -> None:
    """Apply the book's style to matplotlib globally (call once per notebook, in the set-up cell)."""
    matplotlib.rcParams.update(STYLE)


def new_figure(ncols: int = 1, nrows: int = 1, *, width: float = PAGE_WIDTH,
               height: float = DEFAULT_HEIGHT, **subplot_kw):
    """Create a figure that pyplot does not track, with an Agg canvas, and its axes.

    The figure is not shown inline by accident, and can be drawn to PNG bytes with :func:`png_bytes`.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : Axes or numpy.ndarray of Axes (as ``Figure.subplots`` returns them)
    """
    ncols, nrows = check_int(ncols, "ncols", low=1), check_int(nrows, "nrows", low=1)
    width = check_float(width, "width", low=0, low_open=True)
    height = check_float(height, "height", low=0, low_open=True)
    if ncols < 1 or nrows < 1:
        raise ValueError(f"ncols and nrows must be >= 1, got ncols={ncols}, nrows={nrows}")
    if width <= 0 or height <= 0:
        raise ValueError(f"width and height must be positive, got width={width}, height={height}")
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(nrows, ncols, **subplot_kw)
    return fig, axes


def encode_png(rgba: np.ndarray) -> bytes:
    """An RGB(A) image array as PNG bytes (RGB, compression level 1: fast, for the live widget)."""
    rgba = _check_image(rgba, "rgba")
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba[..., :3])).save(buf, format="png", compress_level=1)
    return buf.getvalue()


def png_bytes(fig: Figure) -> bytes:
    """Render ``fig`` to PNG bytes.

    Draws the Agg canvas and encodes its RGB buffer with Pillow at compression level 1 (the encoding is a small
    part of a redraw; ``savefig`` at its default level costs more for files only slightly smaller).
    :class:`LayeredRenderer` is faster for repeated redraws.
    """
    _check_figure(fig)
    fig.canvas.draw()
    return encode_png(np.asarray(fig.canvas.buffer_rgba()))


def rescale(ax, *, x: bool = True, y: bool = True, margin: float | None = None) -> None:
    """Recompute the data limits of ``ax`` after artists were updated in place and autoscale (``margin`` > -0.5,
    matplotlib's bound, when given)."""
    _check_axes(ax)
    if margin is not None:
        margin = check_float(margin, "margin", low=-0.5, low_open=True)
    ax.relim(visible_only=True)
    if margin is not None:
        ax.margins(margin)
    ax.autoscale_view(scalex=x, scaley=y)


def snap_limits(lo: float, hi: float, *, steps: int = 8) -> tuple[float, float]:
    """Widen ``[lo, hi]`` outward to multiples of a round step (1, 2 or 5 times a power of ten, about
    ``(hi - lo) / steps``).

    Limits computed from data change with every slider move, and new limits mean new ticks: a full redraw.
    Snapped limits only change when the data cross a grid line, so :class:`LayeredRenderer` can reuse its
    background most of the time. An empty interval is widened around its value.
    """
    lo, hi = check_float(lo, "lo"), check_float(hi, "hi")
    steps = check_int(steps, "steps", low=1)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"snap_limits: limits must be finite, got lo={lo}, hi={hi}")
    if steps < 1:
        raise ValueError(f"snap_limits: steps must be >= 1, got {steps}")
    if hi < lo:
        raise ValueError(f"snap_limits: need lo <= hi, got lo={lo}, hi={hi}")
    if hi == lo:
        pad = max(abs(lo) * 0.1, 1e-12)
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / steps
    mag = 10.0 ** np.floor(np.log10(raw))
    step = next(m * mag for m in (1.0, 2.0, 5.0, 10.0) if m * mag >= raw * (1 - 1e-12))
    return float(np.floor(lo / step + 1e-9) * step), float(np.ceil(hi / step - 1e-9) * step)


class LayeredRenderer:
    """Render a figure to PNG again and again, redrawing the axes' decorations only when they change.

    Most of a redraw is spent on ticks, tick labels and titles (about two thirds for a two-panel figure), which
    stay the same while a slider moves the data. The renderer keeps a background (the figure with every data
    artist hidden) keyed by what decides the decorations: each axes' position, limits, scales, ticks, titles
    and labels, and the figure's own texts. When the key is unchanged it restores that background and draws only
    the data artists (lines, collections, patches, images, texts) on top, in z-order; otherwise it
    draws a new background first. Grid lines therefore sit under every data artist, patches included. Legends
    are part of the background (their labels are in the key): a legend drawn over data stays readable only where
    it does not overlap moving artists, so place it in a free corner or outside the axes.

    Anything an update changes must be an axes child or part of the key; a figure-level legend or text whose
    content changes needs ``Explorer(..., layered=False)``.
    """

    #: How many decoration keys (and their backgrounds, about 1 MB each) are remembered.
    CACHE = 8

    def __init__(self, fig: Figure):
        _check_figure(fig)
        self.fig = fig
        self._key = None
        self._backgrounds: dict = {}

    @staticmethod
    def _is_decoration(ax, artist) -> bool:
        # A legend is decoration too: its texts are part of the key, so a legend whose labels change is redrawn.
        return (isinstance(artist, (Spine, Axis)) or artist is ax.patch or artist is ax.get_legend()
                or artist in (ax.title, ax._left_title, ax._right_title))

    def _layers(self):
        return [(ax, sorted((a for a in ax.get_children() if a.get_visible() and not self._is_decoration(ax, a)),
                            key=lambda a: a.get_zorder()))
                for ax in self.fig.axes if ax.get_visible()]

    def _static_key(self):
        axes = tuple((tuple(ax.get_position().bounds), ax.get_xlim(), ax.get_ylim(), ax.get_xscale(),
                      ax.get_yscale(), tuple(ax.get_xticks()), tuple(ax.get_yticks()), ax.get_title("left"),
                      ax.get_title(), ax.get_title("right"), ax.get_xlabel(), ax.get_ylabel(), ax.axison,
                      ax.get_visible(), self._legend_key(ax)) for ax in self.fig.axes)
        texts = tuple(t.get_text() for t in self.fig.texts)
        return axes, texts, tuple(self.fig.get_size_inches()), self.fig.dpi

    @staticmethod
    def _legend_key(ax):
        legend = ax.get_legend()
        if legend is None or not legend.get_visible():
            return None
        return tuple(t.get_text() for t in legend.get_texts()), legend._loc

    def render(self) -> np.ndarray:
        """Draw the figure onto its canvas and return the RGBA buffer (a view, valid until the next draw).

        Backgrounds are remembered for the last :attr:`CACHE` decoration keys. A key seen for the first time
        has its background drawn (the figure with the data hidden) and the data drawn on top, which costs about
        one ordinary full draw; from then on the background is restored and only the data artists are drawn.
        """
        canvas = self.fig.canvas
        if self._key is None:
            # One full draw so a layout engine places the axes with every artist visible (legends outside the
            # axes too); the positions it found are then kept, or a background pass would move the axes.
            canvas.draw()
            self.fig.set_layout_engine("none")
            self._key = self._static_key()
            self._backgrounds[self._key] = None
            return np.asarray(canvas.buffer_rgba())
        key = self._static_key()
        layers = self._layers()
        background = self._backgrounds.get(key)
        if background is None:
            data = [a for _, arts in layers for a in arts]
            for a in data:
                a.set_visible(False)
            try:
                canvas.draw()
            finally:
                for a in data:
                    a.set_visible(True)
            background = canvas.copy_from_bbox(self.fig.bbox)
            key = self._static_key()          # as drawn (ticks are final only after a draw)
        else:
            canvas.restore_region(background)
        self._key = key
        self._remember(key, background)
        for ax, arts in layers:
            for artist in arts:
                ax.draw_artist(artist)
        return np.asarray(canvas.buffer_rgba())

    def _remember(self, key, background) -> None:
        self._backgrounds.pop(key, None)
        self._backgrounds[key] = background  # most recent last
        while len(self._backgrounds) > self.CACHE:
            self._backgrounds.pop(next(iter(self._backgrounds)))

    def png(self) -> bytes:
        """The figure as PNG bytes (RGB, compression level 1)."""
        return encode_png(self.render())

"""One look for every figure in the book.

The palette is Okabe and Ito's colour-blind-safe set; figures are sized to the page's text width so
nothing is scaled down until unreadable.
"""

from __future__ import annotations

import io

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

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
    "legend.fontsize": 9,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.figsize": (PAGE_WIDTH, DEFAULT_HEIGHT),
    "image.cmap": "viridis",
    "svg.hashsalt": "mlsheet",
}


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
    if ncols < 1 or nrows < 1:
        raise ValueError(f"ncols and nrows must be >= 1, got ncols={ncols}, nrows={nrows}")
    if width <= 0 or height <= 0:
        raise ValueError(f"width and height must be positive, got width={width}, height={height}")
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(nrows, ncols, **subplot_kw)
    return fig, axes


def png_bytes(fig: Figure) -> bytes:
    """Render ``fig`` to PNG bytes (about 10-20 ms for a small figure)."""
    buf = io.BytesIO()
    fig.canvas.print_png(buf)
    return buf.getvalue()


def rescale(ax, *, x: bool = True, y: bool = True, margin: float | None = None) -> None:
    """Recompute the data limits of ``ax`` after artists were updated in place and autoscale."""
    ax.relim(visible_only=True)
    if margin is not None:
        ax.margins(margin)
    ax.autoscale_view(scalex=x, scaley=y)

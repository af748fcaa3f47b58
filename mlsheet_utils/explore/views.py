"""Ready-made panels for an Explorer: made once in ``setup``, moved in ``draw``.

- :class:`Curves`   several lines on one axes (a loss curve, a density against its estimate);
- :class:`Surface`  a function over a 2-D grid drawn as an image, with labelled points on top (a decision
  surface, a density, a loss landscape); :attr:`Surface.grid` is the set of points to evaluate;
- :class:`Heatmap`  a matrix as an image with a fixed colour scale (a confusion matrix, attention weights, a
  value function).

Each view keeps its artists and only changes their data, so a redraw costs a render and nothing else.

Example
-------
>>> from mlsheet_utils.explore import plotting
>>> fig, ax = plotting.new_figure()
>>> view = Surface(ax, (-1, 1), (-1, 1), resolution=50)
>>> view.update(view.grid[:, 0] > 0)
>>> view.image.get_array().shape
(50, 50)
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from mlsheet_utils.explore import plotting


class Curves:
    """Several lines on one axes.

    Parameters
    ----------
    ax : matplotlib Axes
    labels : sequence of str
        One label per line (an empty string leaves it out of the legend).
    xlabel, ylabel, title : str
    xlim, ylim : (float, float), optional
        Fixed limits; an axis without them is rescaled to the data at every update (snapped to round numbers so
        the ticks do not jitter).
    styles : sequence of dict, optional
        Keyword arguments of ``ax.plot`` for each line (colour, line style, marker).
    logy : bool
        Logarithmic y axis.
    """

    def __init__(self, ax, labels: Sequence[str], *, xlabel: str = "", ylabel: str = "", title: str = "",
                 xlim=None, ylim=None, styles: Sequence[dict] | None = None, logy: bool = False):
        labels = list(labels)
        if not labels:
            raise ValueError("Curves: labels must name at least one line")
        styles = list(styles) if styles is not None else [{} for _ in labels]
        if len(styles) != len(labels):
            raise ValueError(f"Curves: {len(labels)} labels but {len(styles)} styles")
        self.ax, self.xlim, self.ylim = ax, xlim, ylim
        self.lines = [ax.plot([], [], label=label or None,
                              **{"color": plotting.PALETTE[i % len(plotting.PALETTE)], **style})[0]
                      for i, (label, style) in enumerate(zip(labels, styles))]
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        if logy:
            ax.set_yscale("log")
        if xlim is not None:
            ax.set_xlim(*xlim)
        if ylim is not None:
            ax.set_ylim(*ylim)
        if any(labels):
            ax.legend(loc="best")

    def update(self, x, ys) -> None:
        """Set every line: ``x`` shared (shape (n,)) or one per line, ``ys`` one array per line."""
        ys = list(ys)
        if len(ys) != len(self.lines):
            raise ValueError(f"Curves.update: {len(self.lines)} lines but {len(ys)} y arrays")
        xs = x if isinstance(x, (list, tuple)) else [x] * len(ys)
        finite_x, finite_y = [], []
        for line, xi, yi in zip(self.lines, xs, ys):
            xi, yi = np.asarray(xi, dtype=float), np.asarray(yi, dtype=float)
            line.set_data(xi, yi)
            ok = np.isfinite(xi) & np.isfinite(yi)
            if self.ax.get_yscale() == "log":
                ok &= yi > 0
            finite_x.append(xi[ok])
            finite_y.append(yi[ok])
        fx, fy = np.concatenate(finite_x), np.concatenate(finite_y)
        if self.xlim is None and fx.size:
            lo, hi = float(fx.min()), float(fx.max())
            self.ax.set_xlim(lo, hi if hi > lo else lo + 1.0)
        if self.ylim is None and fy.size:
            lo, hi = float(fy.min()), float(fy.max())
            if self.ax.get_yscale() == "log":
                self.ax.set_ylim(10.0 ** np.floor(np.log10(lo)), 10.0 ** np.ceil(np.log10(hi)) * (1 + 1e-9))
            else:
                self.ax.set_ylim(*plotting.snap_limits(lo, hi if hi > lo else lo + 1.0))


class Surface:
    """A function over a 2-D grid as an image, with optional labelled points on top.

    Parameters
    ----------
    ax : matplotlib Axes
    xlim, ylim : (float, float)
        The square of the plane shown.
    resolution : int
        Grid points per axis (100 gives 10,000 evaluations per update).
    cmap : str or Colormap
        Colour map of the surface (for class labels use :data:`plotting.CATEGORICAL` with ``vmin=0, vmax=7``).
    vmin, vmax : float, optional
        Fixed colour scale; without them each update scales to its own range.
    alpha : float
        Opacity of the surface, so the points stay readable.
    """

    def __init__(self, ax, xlim, ylim, *, resolution: int = 100, cmap="viridis", vmin=None, vmax=None,
                 alpha: float = 0.45, xlabel: str = "$x_1$", ylabel: str = "$x_2$", title: str = ""):
        if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
            raise ValueError(f"Surface: resolution must be an integer >= 2, got {resolution!r}")
        (x0, x1), (y0, y1) = (map(float, xlim)), (map(float, ylim))
        if not (x0 < x1 and y0 < y1):
            raise ValueError(f"Surface: limits must be increasing, got xlim={xlim}, ylim={ylim}")
        self.ax, self.resolution = ax, resolution
        gx, gy = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
        self.xx, self.yy = np.meshgrid(gx, gy)
        #: The points to evaluate, shape (resolution**2, 2), row-major over (y, x).
        self.grid = np.column_stack([self.xx.ravel(), self.yy.ravel()])
        self.image = ax.imshow(np.full((resolution, resolution), np.nan), origin="lower", extent=(x0, x1, y0, y1),
                               aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax, alpha=alpha, interpolation="nearest")
        self._fixed_scale = vmin is not None and vmax is not None
        self.points = ax.scatter([], [], s=14, c=[], cmap=plotting.CATEGORICAL, vmin=0, vmax=7,
                                 edgecolors="white", linewidths=0.4)
        ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel=xlabel, ylabel=ylabel, title=title)

    def update(self, values, points=None, labels=None) -> None:
        """Show ``values`` (one per grid point, or shaped (resolution, resolution)) and optional points.

        ``points`` has shape (n, 2); ``labels`` (n,) integer classes colour them.
        """
        z = np.asarray(values, dtype=float).reshape(self.resolution, self.resolution)
        self.image.set_data(z)
        if not self._fixed_scale:
            finite = z[np.isfinite(z)]
            if finite.size:
                lo, hi = float(finite.min()), float(finite.max())
                self.image.set_clim(lo, hi if hi > lo else lo + 1.0)
        if points is not None:
            points = np.asarray(points, dtype=float).reshape(-1, 2)
            self.points.set_offsets(points)
            labels = np.zeros(len(points)) if labels is None else np.asarray(labels)
            self.points.set_array(np.asarray(labels, dtype=float) % 8)


class Heatmap:
    """A matrix as an image with a fixed colour scale and optional printed values.

    Parameters
    ----------
    ax : matplotlib Axes
    shape : (int, int)
        Rows and columns of the matrix.
    vmin, vmax : float
        Colour scale.
    annotate : bool
        Print each entry in its cell (``fmt`` formats it); keep it for small matrices.
    """

    def __init__(self, ax, shape, *, vmin: float, vmax: float, cmap="viridis", annotate: bool = False,
                 fmt: str = "{:.2f}", xlabel: str = "", ylabel: str = "", title: str = "", colorbar: bool = False):
        rows, cols = (int(v) for v in shape)
        if rows < 1 or cols < 1:
            raise ValueError(f"Heatmap: shape must be positive, got {shape}")
        if not vmin < vmax:
            raise ValueError(f"Heatmap: need vmin < vmax, got {vmin}, {vmax}")
        self.ax, self.shape, self.fmt = ax, (rows, cols), fmt
        self.image = ax.imshow(np.zeros((rows, cols)), vmin=vmin, vmax=vmax, cmap=cmap, aspect="auto",
                               interpolation="nearest")
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        ax.grid(False)
        if colorbar:
            ax.figure.colorbar(self.image, ax=ax, fraction=0.046, pad=0.04)
        self.texts = ([[ax.text(j, i, "", ha="center", va="center", fontsize=9) for j in range(cols)]
                       for i in range(rows)] if annotate else None)
        self._mid = (vmin + vmax) / 2

    def update(self, matrix) -> None:
        """Show ``matrix`` (shape ``self.shape``)."""
        m = np.asarray(matrix, dtype=float)
        if m.shape != self.shape:
            raise ValueError(f"Heatmap.update: expected shape {self.shape}, got {m.shape}")
        self.image.set_data(m)
        if self.texts is not None:
            for i, row in enumerate(self.texts):
                for j, text in enumerate(row):
                    text.set_text(self.fmt.format(m[i, j]))
                    text.set_color("white" if m[i, j] < self._mid else "black")

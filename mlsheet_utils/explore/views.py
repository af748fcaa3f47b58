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

from collections.abc import Iterable
from typing import Sequence

import numpy as np

from mlsheet_utils.explore import plotting
from mlsheet_utils.validation import as_array, check_float, check_int


def _check_limits(lim, name: str) -> None:
    """A pair (low, high) of finite numbers with low < high."""
    if not (isinstance(lim, (tuple, list, np.ndarray)) and len(lim) == 2):
        raise ValueError(f"{name} must be a pair (low, high), got {lim!r}")
    low, high = check_float(lim[0], f"{name}[0]"), check_float(lim[1], f"{name}[1]")
    if not low < high:
        raise ValueError(f"{name} must be increasing, got {name}={lim}")


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
        plotting._check_axes(ax)
        if isinstance(labels, (str, bytes)) or not isinstance(labels, Iterable):
            raise ValueError(f"Curves: labels must be a sequence of strings, got {labels!r}")
        labels = list(labels)
        if not all(isinstance(label, str) for label in labels):
            raise ValueError(f"Curves: labels must be strings, got {labels!r}")
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
        """Set every line: ``x`` shared (shape (n,)) or one per line, ``ys`` one array per line, each as long as
        its ``x`` (NaN and infinite values leave a gap; n may be 0)."""
        if isinstance(ys, (str, bytes)) or not isinstance(ys, Iterable):
            raise ValueError(f"Curves.update: ys must be one array per line, got {ys!r:.60}")
        ys = list(ys)
        if len(ys) != len(self.lines):
            raise ValueError(f"Curves.update: {len(self.lines)} lines but {len(ys)} y arrays in ys")
        xs = x if isinstance(x, (list, tuple)) else [x] * len(ys)
        if len(xs) != len(ys):
            raise ValueError(f"Curves.update: x holds {len(xs)} arrays for {len(ys)} lines")
        for i, (xi, yi) in enumerate(zip(xs, ys)):
            xi = as_array(xi, "x" if xs is not x else f"x[{i}]", ndim=1, finite=False, empty=True)
            yi = as_array(yi, f"ys[{i}]", ndim=1, finite=False, empty=True)
            if xi.shape != yi.shape:
                raise ValueError(f"Curves.update: ys[{i}] has {yi.size} values but x has {xi.size}")
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
        plotting._check_axes(ax)
        _check_limits(xlim, "xlim")
        _check_limits(ylim, "ylim")
        alpha = check_float(alpha, "alpha", low=0, high=1)
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
        size = as_array(values, "values", finite=False).size
        if size != self.resolution ** 2:
            raise ValueError(f"Surface.update: values must have resolution**2 = {self.resolution ** 2} entries, got "
                             f"{size}")
        if points is not None:
            p = as_array(points, "points", ndim=2, empty=True)
            if p.shape[1] != 2:
                raise ValueError(f"Surface.update: points must have shape (n, 2), got {p.shape}")
            if labels is not None:
                lab = as_array(labels, "labels", ndim=1, empty=True)
                if lab.shape != (len(p),) or np.any(lab != np.round(lab)):
                    raise ValueError(f"Surface.update: labels must be {len(p)} integer classes (one per row of "
                                     f"points), got {lab!r:.80}")
        elif labels is not None:
            raise ValueError("Surface.update: labels colour the points: pass points too (or labels=None)")
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
        plotting._check_axes(ax)
        if not (isinstance(shape, (tuple, list)) and len(shape) == 2):
            raise ValueError(f"Heatmap: shape must be a pair (rows, columns), got {shape!r}")
        check_int(shape[0], "shape", low=1)
        check_int(shape[1], "shape", low=1)
        vmin, vmax = check_float(vmin, "vmin"), check_float(vmax, "vmax")
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
        as_array(matrix, "matrix", finite=False, empty=True)
        m = np.asarray(matrix, dtype=float)
        if m.shape != self.shape:
            raise ValueError(f"Heatmap.update: expected shape {self.shape} for matrix, got {m.shape}")
        self.image.set_data(m)
        if self.texts is not None:
            for i, row in enumerate(self.texts):
                for j, text in enumerate(row):
                    text.set_text(self.fmt.format(m[i, j]))
                    text.set_color("white" if m[i, j] < self._mid else "black")

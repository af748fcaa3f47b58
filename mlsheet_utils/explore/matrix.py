r"""The 2x2 matrix explorer: the unit square and circle mapped through a matrix, with its determinant (signed
area), eigenvectors or singular directions drawn on top.

- :func:`matrix_controls`  sliders for the entries a, b, c, d, an overlay menu and a symmetry box;
- :func:`matrix_compute`   the pure part of an update (the image of the square and circle, the determinant, the
  eigen- and singular decompositions), memoised by the Explorer;
- :func:`matrix_setup`, :func:`matrix_draw`   the artists, made once on fixed axes, and moved in place;
- :func:`matrix_explorer`  all of it as one :class:`~mlsheet_utils.explore.explorer.Explorer`.

The axes are fixed: with every entry in [-2, 2] no point of the picture leaves :math:`[-4, 4]^2` (the eigenvector
lines aside, which cross the whole plane). The corners of the image of the unit square have coordinates such as
:math:`a + b`, at most 4 in size; points of the ellipse, its semi-axes and the eigenvalues are at most
:math:`\sigma_1 \le \lVert A\rVert_F \le 4` from the origin. So a redraw repaints only the data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils import explore as widgets
from mlsheet_utils.algorithms.linalg import Summary2x2, describe_2x2
from mlsheet_utils.explore import plotting
from mlsheet_utils.validation import as_array, check_float

_OVERLAYS = {"det": "signed area (det)", "eig": "eigenvectors", "svd": "singular axes", "all": "all three"}

#: Largest magnitude of an entry the sliders allow.
ENTRY_MAX = 2.0

#: Half-width of both panels: no coordinate of the picture exceeds 2 * ENTRY_MAX = 4 in size.
_LIM = 4.3

_T = np.linspace(0.0, 2.0 * np.pi, 121)
_CIRCLE = np.stack([np.cos(_T), np.sin(_T)])                       # (2, 121)
_SQUARE = np.array([[0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0]])    # (2, 4) corners


@dataclass(frozen=True)
class MatrixPicture:
    """What :func:`matrix_draw` shows for one matrix: the matrix, its summary and the images of the unit shapes.

    Attributes
    ----------
    A : ndarray, shape (2, 2)
    summary : Summary2x2
        Determinant, eigen- and singular decomposition (:func:`~mlsheet_utils.algorithms.linalg.describe_2x2`).
    square : ndarray, shape (2, 4)
        The corners of the unit square mapped by ``A``.
    circle : ndarray, shape (2, 121)
        Points of the unit circle mapped by ``A`` (an ellipse).
    """

    A: np.ndarray
    summary: Summary2x2
    square: np.ndarray
    circle: np.ndarray


def matrix_compute(a: float, b: float, c: float, d: float, symmetric: bool = False) -> MatrixPicture:
    """The picture of :math:`A = [[a, b], [c, d]]` (``c := b`` when ``symmetric``); touches no figure."""
    a, b, c, d = (check_float(v, name) for v, name in ((a, "a"), (b, "b"), (c, "c"), (d, "d")))
    if symmetric:
        c = b
    A = np.array([[a, b], [c, d]], dtype=float)
    return MatrixPicture(A, describe_2x2(A), A @ _SQUARE, A @ _CIRCLE)


def matrix_setup(fig, axes) -> dict:
    """Create the artists of the 2x2 explorer once, on fixed axes: left the plane, right the spectrum.

    Returns a dict of artists that :func:`matrix_draw` moves. ``axes`` is a pair of Axes (``ncols=2``).
    """
    pair = list(np.ravel(np.asarray(axes, dtype=object))) if isinstance(axes, (tuple, list, np.ndarray)) else []
    if len(pair) != 2 or not all(isinstance(a, plotting.Axes) for a in pair):
        raise ValueError(f"axes must be a pair of matplotlib Axes, got {axes!r:.80}")
    ax, ax_s = axes
    c = plotting.PALETTE
    ax.plot(*_CIRCLE, color="0.6", lw=1, ls="--")
    ax.plot(*np.c_[_SQUARE, _SQUARE[:, :1]], color="0.6", lw=1, ls="--")
    area = ax.fill([0, 1, 1, 0], [0, 0, 1, 1], alpha=0.35, color=c[0], lw=0)[0]
    (par,) = ax.plot([], [], color="0.2", lw=1.2)
    (ell,) = ax.plot([], [], color=c[4], lw=1.8)
    (e1,) = ax.plot([], [], color="0.2", lw=2, marker="o", markevery=[1], ms=4, label="$Ae_1$, $Ae_2$")
    (e2,) = ax.plot([], [], color="0.2", lw=2, marker="o", markevery=[1], ms=4)
    eig_lines = [ax.plot([], [], color=c[2], lw=1, ls=":")[0] for _ in range(2)]
    eig_vecs = [ax.plot([], [], color=c[2], lw=2.5, label="$Av = \\lambda v$" if i == 0 else None)[0]
                for i in range(2)]
    sv_axes = [ax.plot([], [], color=c[3], lw=2.5, label="$\\sigma_i u_i$" if i == 0 else None)[0]
               for i in range(2)]
    sv_pre = [ax.plot([], [], color=c[3], lw=1.2, ls="--", label="$v_i$" if i == 0 else None)[0]
              for i in range(2)]
    ax.set(xlim=(-_LIM, _LIM), ylim=(-_LIM, _LIM), aspect="equal", title="plane: unit square and circle under $A$")
    ax.legend(loc="lower right", fontsize=7, handlelength=1.2)
    ax_s.plot(*_CIRCLE, color="0.6", lw=1, ls="--")
    eig_pts = ax_s.scatter([0, 0], [0, 0], s=45, color=c[2], zorder=3)
    sv_pts = ax_s.scatter([0, 0], [0, 0], s=60, marker="x", color=c[3], zorder=3)
    ax_s.axhline(0, color="0.5", lw=0.8)
    ax_s.axvline(0, color="0.5", lw=0.8)
    ax_s.set(xlim=(-_LIM, _LIM), ylim=(-_LIM, _LIM), aspect="equal", xlabel="real part", ylabel="imaginary part",
             title="spectrum: $\\lambda$ (dots), $\\sigma$ (crosses)")
    return {"area": area, "par": par, "ell": ell, "e1": e1, "e2": e2, "eig_lines": eig_lines,
            "eig_vecs": eig_vecs, "sv_axes": sv_axes, "sv_pre": sv_pre, "eig_pts": eig_pts, "sv_pts": sv_pts}


_STATE = {"area", "par", "ell", "e1", "e2", "eig_lines", "eig_vecs", "sv_axes", "sv_pre", "eig_pts", "sv_pts"}


def matrix_draw(state, result: MatrixPicture, overlay: str = "det") -> str:
    """Move the explorer's artists to ``result`` (from :func:`matrix_compute`) and return the caption.

    ``overlay`` is one of ``"det"``, ``"eig"``, ``"svd"``, ``"all"``.
    """
    if overlay not in _OVERLAYS:
        raise ValueError(f"overlay must be one of {sorted(_OVERLAYS)}, got {overlay!r}")
    if not isinstance(result, MatrixPicture):
        raise ValueError(f"result must be the MatrixPicture of matrix_compute, got {type(result).__name__}")
    if not (isinstance(state, dict) and _STATE <= set(state)):
        raise ValueError(f"state must be the dict of artists matrix_setup returned, got {state!r:.80}")
    (a, b), (c, d) = result.A
    info, sq = result.summary, result.square
    show = {k: overlay in (k, "all") for k in ("det", "eig", "svd")}
    det = info.det
    colour = "0.5" if abs(det) < 1e-9 else plotting.PALETTE[0] if det > 0 else plotting.PALETTE[3]
    state["area"].set_xy(sq.T)
    state["area"].set_facecolor(colour)
    state["area"].set_visible(show["det"])
    state["par"].set_data(*np.c_[sq, sq[:, :1]])
    state["ell"].set_data(*result.circle)
    state["e1"].set_data([0, a], [0, c])
    state["e2"].set_data([0, b], [0, d])
    parts = [f"A = [[{a:.2f}, {b:.2f}], [{c:.2f}, {d:.2f}]]"]
    if show["det"]:
        kind = "zero (collapsed to a line or point)" if colour == "0.5" else \
            "orientation kept" if det > 0 else "orientation flipped"
        parts.append(f"det = ad - bc = {det:+.2f}: area x {abs(det):.2f}, {kind}")
    lam, vec = info.eigvals, info.eigvecs
    for i in range(2):
        visible = show["eig"] and info.real
        v = vec[:, i].real
        state["eig_lines"][i].set_data([-10 * v[0], 10 * v[0]], [-10 * v[1], 10 * v[1]])
        state["eig_vecs"][i].set_data([0, lam[i].real * v[0]], [0, lam[i].real * v[1]])
        state["eig_lines"][i].set_visible(visible)
        state["eig_vecs"][i].set_visible(visible)
    if show["eig"]:
        if info.real:
            parts.append(f"eigenvalues {lam[0].real:+.2f}, {lam[1].real:+.2f}")
        else:
            parts.append(f"complex eigenvalues {lam[0].real:.2f} ± {abs(lam[0].imag):.2f}i: no real eigenvectors")
    U, s, Vt = info.U, info.s, info.Vt
    for i in range(2):
        u, v = s[i] * U[:, i], Vt[i]
        state["sv_axes"][i].set_data([-u[0], u[0]], [-u[1], u[1]])
        state["sv_pre"][i].set_data([-v[0], v[0]], [-v[1], v[1]])
        state["sv_axes"][i].set_visible(show["svd"])
        state["sv_pre"][i].set_visible(show["svd"])
    if show["svd"]:
        cond = s[0] / s[1] if s[1] > 1e-12 * max(s[0], 1e-300) else np.inf
        parts.append(f"singular values {s[0]:.2f}, {s[1]:.2f} (ellipse semi-axes), condition number "
                     + (f"{cond:.1f}" if np.isfinite(cond) else "infinite"))
    state["eig_pts"].set_offsets(np.c_[lam.real, lam.imag])
    state["sv_pts"].set_offsets(np.c_[s, np.zeros(2)])
    return "; ".join(parts)


def matrix_controls(*, overlay: str = "det", value=(1.0, 0.5, 0.25, 1.0), symmetric: bool = False) -> dict:
    """The controls of the 2x2 explorer: sliders a, b, c, d in [-2, 2], an overlay menu, a symmetry box.

    Parameters
    ----------
    overlay : {"det", "eig", "svd", "all"}
        The overlay selected at first (the reader can switch).
    value : 4 numbers in [-2, 2]
        Initial a, b, c, d.
    symmetric : bool
        Initial state of the "symmetric (c = b)" check box.

    Returns
    -------
    dict of name -> control: ``a, b, c, d, symmetric`` are the parameters of :func:`matrix_compute`,
    ``overlay`` the one of :func:`matrix_draw`.
    """
    if overlay not in _OVERLAYS:
        raise ValueError(f"overlay must be one of {sorted(_OVERLAYS)}, got {overlay!r}")
    value = as_array(value, "value", ndim=1)
    if value.shape != (4,) or np.any(np.abs(value) > ENTRY_MAX):
        raise ValueError(f"value must be 4 numbers in [-{ENTRY_MAX:g}, {ENTRY_MAX:g}], got {value.tolist()}")
    controls = {name: widgets.float_slider(f"${name}$", -ENTRY_MAX, ENTRY_MAX, float(v), 0.05)
                for name, v in zip("abcd", value)}
    controls["overlay"] = widgets.dropdown("overlay", [(label, key) for key, label in _OVERLAYS.items()], overlay)
    controls["symmetric"] = widgets.checkbox("symmetric (c = b)", symmetric)
    return controls


#: Figure layout of the 2x2 explorer, for ``widgets.Explorer(..., **MATRIX_LAYOUT)``.
MATRIX_LAYOUT = {"ncols": 2, "height": 3.9}


def matrix_explorer(*, overlay: str = "det", value=(1.0, 0.5, 0.25, 1.0), symmetric: bool = False,
                    title: str | None = None) -> widgets.Explorer:
    r"""A widget: sliders for the entries of :math:`A = [[a, b], [c, d]]`, each in [-2, 2].

    The left panel maps the unit square (filled: signed area, blue if :math:`\det A > 0`, vermillion if
    negative, grey if zero) and the unit circle (to an ellipse) through :math:`A`; optional overlays show the
    real eigenvectors (dotted lines, solid segment :math:`\lambda v`) and the singular directions (ellipse
    semi-axes :math:`\sigma_i u_i`, preimages :math:`v_i`). The right panel places the eigenvalues in the
    complex plane next to the singular values. Equivalent to
    ``widgets.Explorer(matrix_controls(...), matrix_setup, matrix_draw, compute=matrix_compute,
    **MATRIX_LAYOUT)``.

    Parameters
    ----------
    overlay, value, symmetric : see :func:`matrix_controls`
    title : str, optional
    """
    return widgets.Explorer(matrix_controls(overlay=overlay, value=value, symmetric=symmetric), matrix_setup,
                            matrix_draw, compute=matrix_compute, title=title or "A 2x2 matrix acting on the plane",
                            **MATRIX_LAYOUT)

"""Widgets that respond on the static site: every setting a reader can reach there, rendered once as a frame.

Without a kernel a saved widget cannot redraw. So ``make execute`` asks each notebook's kernel, after its last
cell, to render the settings the static page will offer (:func:`export_frames`), and the site's script
(``_assets/static/mlsheet/widgets.js``) swaps the image and caption as the reader moves a control.

Which settings
    Each control gets a short list of values (:func:`control_plan`): every option of a drop-down, both states of
    a check box, and :data:`SLIDER_POINTS` values of a slider (its ends, its default and evenly spaced steps in
    between, all on the slider's own step grid; :data:`SCRUB_POINTS` for a frame scrubber). When the product of
    the lists is at most :data:`GRID_LIMIT` every combination is rendered (mode ``"grid"``); otherwise each
    control is swept with the others at their defaults (mode ``"axes"``), and the page lets a reader move one
    control at a time, saying why the others wait.

How they are stored
    A frame is a palette PNG (:data:`PALETTE_COLOURS` colours) named by its content hash, so identical frames are
    stored once and re-executing a notebook rewrites only frames that changed. Per Explorer, a ``manifest.js``
    lists the controls, their values and labels, and for each rendered setting the frame (or none, when the
    setting shows a message) and the caption. They live in ``_assets/static/frames/<notebook path>/<n>/`` for
    the n-th Explorer the notebook creates (:attr:`Explorer.index`, also a CSS class of its widget), and Sphinx
    copies them to ``_static/frames/``; a page loads them only when a reader first moves a control.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import shutil
from pathlib import Path

import ipywidgets as widgets
import numpy as np
from PIL import Image

from mlsheet_utils.explore.controls import frame_controls
from mlsheet_utils.explore.explorer import Explorer, explorers
from mlsheet_utils.explore.plotting import _check_image

#: Values a slider offers on the static page (its ends and its default included).
SLIDER_POINTS = 9
#: Values a frame scrubber (training epochs, iterations) offers on the static page.
SCRUB_POINTS = 12
#: Render every combination of the controls' values when there are at most this many.
GRID_LIMIT = 48
#: Colours of a frame's palette (plots use a few colours plus anti-aliasing shades).
PALETTE_COLOURS = 64
#: Where the frames live in the repository (Sphinx copies ``_assets/static`` into ``_static``).
FRAMES_DIR = Path("_assets") / "static" / "frames"
MANIFEST = "manifest.js"
MANIFEST_VERSION = 1


def _grid_positions(n_steps: int, points: int, default: int) -> list[int]:
    """Step indices ``0..n_steps``: ``points`` evenly spaced ones (ends included) plus ``default``."""
    picks = {int(round(x)) for x in np.linspace(0, n_steps, min(points, n_steps + 1))}
    picks.add(int(default))
    return sorted(picks)


def _clean(x: float) -> float:
    """A float rid of the round-off of ``min + i * step`` (12 significant digits)."""
    return float(f"{x:.12g}")


def control_plan(name: str, control: widgets.ValueWidget) -> dict:
    """The values the static page offers for one control, their labels and the default's position.

    Returns a dict with ``name``, ``label`` (the control's description), ``kind`` (``"range"``, ``"select"`` or
    ``"checkbox"``), ``values`` (Python values passed to the Explorer), ``labels`` (what the page shows),
    ``default`` (index of the control's current value) and, for a frame scrubber, ``play_ms`` (the play
    interval).
    """
    if not isinstance(name, str):
        raise ValueError(f"control_plan: name must be a string, got {name!r}")
    if not isinstance(control, widgets.ValueWidget):
        raise ValueError(f"control {name!r} must be an ipywidgets control, got {type(control).__name__}")
    plan = {"name": name, "label": control.description}
    if isinstance(control, widgets.Checkbox):
        return {**plan, "kind": "checkbox", "values": [False, True], "labels": ["off", "on"],
                "default": int(bool(control.value))}
    if isinstance(control, widgets.Dropdown):
        values = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return {**plan, "kind": "select", "values": values, "labels": list(control._options_labels),
                "default": values.index(control.value)}
    if isinstance(control, (widgets.IntSlider, widgets.FloatSlider, widgets.FloatLogSlider)):
        step = control.step
        n_steps = int(round((control.max - control.min) / step))
        scrub = bool(frame_controls(control))
        if isinstance(control, widgets.FloatLogSlider):
            exps = [control.min + i * step for i in range(n_steps + 1)]
            at = int(np.argmin([abs(e - np.log(control.value) / np.log(control.base)) for e in exps]))
            positions = _grid_positions(n_steps, SLIDER_POINTS, at)
            values = [_clean(control.base ** exps[i]) for i in positions]
            values[positions.index(at)] = control.value
            fmt = control.readout_format
        else:
            at = int(round((control.value - control.min) / step))
            positions = _grid_positions(n_steps, SCRUB_POINTS if scrub else SLIDER_POINTS, at)
            if isinstance(control, widgets.IntSlider):
                values = [int(control.min + i * step) for i in positions]
                values[positions.index(at)] = int(control.value)
                fmt = "d"
            else:
                values = [_clean(min(control.min + i * step, control.max)) for i in positions]
                values[positions.index(at)] = control.value
                fmt = control.readout_format
        labels = [format(v, fmt) for v in values]
        out = {**plan, "kind": "range", "values": values, "labels": labels, "default": positions.index(at)}
        if scrub:
            play = frame_controls(control)[0]
            out["play_ms"] = int(play.interval)
        return out
    raise ValueError(f"control {name!r}: no static frames for a {type(control).__name__}")


def frame_keys(plans: list[dict]) -> tuple[str, list[tuple[int, ...]]]:
    """The settings to render, as tuples of value indices: every combination, or one control at a time.

    ``plans`` is a list of :func:`control_plan` dicts.
    """
    if not (isinstance(plans, (list, tuple)) and all(isinstance(p, dict) and "values" in p and "default" in p
                                                     for p in plans)):
        raise ValueError(f"frame_keys: plans must be a list of control_plan dicts, got {plans!r:.80}")
    sizes = [len(p["values"]) for p in plans]
    defaults = tuple(p["default"] for p in plans)
    if int(np.prod(sizes)) <= GRID_LIMIT:
        return "grid", [tuple(int(i) for i in k) for k in np.ndindex(*sizes)]
    keys = [defaults]
    for c, size in enumerate(sizes):
        keys += [defaults[:c] + (i,) + defaults[c + 1:] for i in range(size) if i != defaults[c]]
    return "axes", keys


def encode_frame(rgb: np.ndarray) -> bytes:
    """A compact, deterministic palette PNG of an RGB frame."""
    # Median cut keeps white white and the mean error near 0.3 of 255 at 64 colours (fast octree: 1.3, and an
    # off-white background); no dithering, so flat areas stay flat and compress well.
    rgb = _check_image(rgb, "rgb", channels=(3,))
    image = Image.fromarray(np.ascontiguousarray(rgb)).quantize(colors=PALETTE_COLOURS,
                                                                method=Image.Quantize.MEDIANCUT,
                                                                dither=Image.Dither.NONE)
    buf = io.BytesIO()
    image.save(buf, format="png", optimize=True)
    return buf.getvalue()


def render_explorer(explorer: Explorer) -> tuple[dict, dict[str, bytes]]:
    """Render every setting the static page offers for ``explorer``.

    Returns the manifest (a JSON-ready dict) and the frames by file name. The Explorer's controls and image
    widget are not touched, so the notebook's stored widget state is what its cells left.
    """
    if not isinstance(explorer, Explorer):
        raise ValueError(f"render_explorer: explorer must be an Explorer, got {type(explorer).__name__}")
    plans = [control_plan(name, control) for name, control in explorer.controls.items()]
    mode, keys = frame_keys(plans)
    files: dict[str, bytes] = {}
    frames = {}
    for key in keys:
        frame = explorer.render(**{p["name"]: p["values"][i] for p, i in zip(plans, key)})
        if frame.unexpected:
            raise RuntimeError(f"Explorer {explorer.title!r} failed at {key}: {frame.error}")
        name = None
        if frame.rgb is not None:
            data = encode_frame(frame.rgb)
            name = hashlib.sha256(data).hexdigest()[:16] + ".png"
            files[name] = data
        frames[",".join(map(str, key))] = {"image": name, "message": frame.message_html}
    manifest = {
        "version": MANIFEST_VERSION,
        "title": explorer.title,
        "mode": mode,
        "controls": [{k: v for k, v in p.items() if k != "values"} for p in plans],
        "default": ",".join(str(p["default"]) for p in plans),
        "frames": frames,
        # The PNG the notebook stores for this widget: ties the frames to the outputs they were rendered with.
        "source_sha256": hashlib.sha256(explorer.image.value).hexdigest(),
    }
    return manifest, files


def export_frames(folder) -> int:
    """Render the frames of every Explorer this kernel created into ``folder/<index>/`` (run by make execute).

    Writes ``manifest.json``, the frames and ``model_id`` (the widget's model id, so the caller keeps only the
    Explorers the notebook displays). Returns the number of frames written.
    """
    folder = Path(folder)
    gc.collect()
    total = 0
    for explorer in sorted(explorers(), key=lambda e: e.index):
        manifest, files = render_explorer(explorer)
        out = folder / str(explorer.index)
        out.mkdir(parents=True, exist_ok=True)
        (out / "manifest.json").write_text(json.dumps(manifest, sort_keys=True), encoding="utf-8")
        (out / "model_id").write_text(explorer.widget.model_id, encoding="utf-8")
        for name, data in files.items():
            (out / name).write_bytes(data)
        total += len(files)
    return total


def export_code(folder) -> str:
    """The code make execute runs in a notebook's kernel after its last cell."""
    return f"from mlsheet_utils.explore import static as _static\n_static.export_frames({str(folder)!r})"


def displayed_models(nb) -> set[str]:
    """Model ids of the widgets a notebook's outputs display, with every widget nested in them."""
    state = nb.get("metadata", {}).get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    models = state.get("state", {})
    todo = []
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view:
                todo.append(view["model_id"])
    seen: set[str] = set()
    while todo:
        mid = todo.pop()
        if mid in seen or mid not in models:
            continue
        seen.add(mid)
        children = models[mid].get("state", {}).get("children", [])
        todo += [c.removeprefix("IPY_MODEL_") for c in children if isinstance(c, str)]
    return seen


def page_key(notebook: Path, root: Path) -> str:
    """The site path of a notebook's page without its suffix, e.g. ``book/01_probability/01_01_x``."""
    return Path(notebook).resolve().relative_to(Path(root).resolve()).with_suffix("").as_posix()


def manifest_js(key: str, manifest: dict) -> str:
    """The manifest as a script the page can load (a script works from file:// too, unlike fetch)."""
    body = json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return f"(window.mlsheetFrames = window.mlsheetFrames || {{}})[{json.dumps(key)}] = {body};\n"


def read_manifest(path: Path) -> dict:
    """The manifest dict of a ``manifest.js`` (for tests and reports)."""
    text = Path(path).read_text(encoding="utf-8")
    return json.loads(text[text.index("] = ") + 4:].rstrip().rstrip(";"))


def install_frames(nb, notebook: Path, exported: Path, root: Path) -> dict:
    """Move a notebook's exported frames into ``FRAMES_DIR``, touching only what changed.

    Keeps the Explorers the notebook displays; removes the frames of Explorers (and pages) that are gone.
    Returns counts: explorers, frames, bytes, and files written and removed.
    """
    key = page_key(notebook, root)
    dest_page = Path(root) / FRAMES_DIR / key
    shown = displayed_models(nb)
    kept: dict[str, Path] = {}
    exported = Path(exported)
    if exported.is_dir():
        for sub in sorted(exported.iterdir(), key=lambda p: int(p.name)):
            if (sub / "model_id").read_text(encoding="utf-8") in shown:
                kept[sub.name] = sub
    stats = {"explorers": len(kept), "frames": 0, "bytes": 0, "written": 0, "removed": 0}
    if dest_page.is_dir():
        for old in dest_page.iterdir():
            if old.name not in kept:
                stats["removed"] += sum(1 for _ in old.rglob("*") if _.is_file())
                shutil.rmtree(old)
    for name, src in kept.items():
        dest = dest_page / name
        dest.mkdir(parents=True, exist_ok=True)
        manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
        wanted = {f["image"] for f in manifest["frames"].values() if f["image"]}
        files = {MANIFEST: manifest_js(f"{key}/{name}", manifest).encode()}
        files.update({f: (src / f).read_bytes() for f in wanted})
        for old in dest.iterdir():
            if old.name not in files:
                old.unlink()
                stats["removed"] += 1
        for fname, data in files.items():
            target = dest / fname
            if not target.is_file() or target.read_bytes() != data:
                target.write_bytes(data)
                stats["written"] += 1
        stats["frames"] += len(wanted)
        stats["bytes"] += sum(len(d) for d in files.values())
    if dest_page.is_dir() and not any(dest_page.iterdir()):
        dest_page.rmdir()
    return stats

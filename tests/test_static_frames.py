"""Frames for the static site (mlsheet_utils.explore.static) and their agreement with the stored notebooks."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mlsheet_utils.explore import Explorer, checkbox, dropdown, float_slider, frames, int_slider, log_slider, static

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book").glob("*/*.ipynb"))
#: The repository budget for frames (the README states it).
FRAMES_BUDGET_BYTES = 50e6


def _toy(cache_size=64):
    def compute(freq):
        x = np.linspace(0, 1, 50)
        return x, np.sin(2 * np.pi * freq * x)

    def setup(fig, ax):
        (line,) = ax.plot([], [])
        ax.set_xlim(0, 1)
        ax.set_ylim(-4, 4)
        return {"line": line}

    def draw(state, result, upto, amp, kind):
        if amp > 3:
            raise ValueError("amplitude above 3 is off the plot")
        x, y = result
        state["line"].set_data(x[: upto + 1], amp * y[: upto + 1] * (1 if kind == "sin" else -1))
        return f"{upto + 1} points, amp {amp:g} <{kind}>"

    return Explorer({"freq": float_slider("f", 0.5, 5.0, 1.0), "upto": frames("point", 50),
                     "amp": float_slider("amp", 0.0, 4.0, 1.0, step=0.5), "kind": dropdown("k", ["sin", "-sin"])},
                    setup, draw, compute=compute, title="toy", cache_size=cache_size)


# -- which values a control offers -------------------------------------------------------------------------
def test_slider_plan_has_ends_default_and_stays_on_the_step_grid():
    plan = static.control_plan("a", float_slider("a", 0.0, 1.0, 0.37, step=0.01))
    values = plan["values"]
    assert values[0] == 0.0 and values[-1] == 1.0
    assert values[plan["default"]] == 0.37
    assert len(values) == static.SLIDER_POINTS + 1          # 0.37 is not one of the evenly spaced points
    assert np.allclose(np.round(np.array(values) / 0.01), np.array(values) / 0.01, atol=1e-9)
    assert values == sorted(values)
    assert plan["labels"][plan["default"]] == "0.37"


def test_small_int_slider_offers_every_value_and_checkbox_and_dropdown_every_state():
    plan = static.control_plan("k", int_slider("k", 1, 6, 3))
    assert plan["values"] == [1, 2, 3, 4, 5, 6] and plan["default"] == 2 and plan["labels"][2] == "3"
    box = static.control_plan("c", checkbox("c", True))
    assert box["values"] == [False, True] and box["default"] == 1 and box["kind"] == "checkbox"
    menu = static.control_plan("m", dropdown("m", [("one", 1), ("two", 2)], value=2))
    assert menu["values"] == [1, 2] and menu["labels"] == ["one", "two"] and menu["default"] == 1


def test_log_slider_plan_spans_the_exponents():
    plan = static.control_plan("lam", log_slider("lam", -3, 2, 0.1))
    assert plan["values"][0] == pytest.approx(1e-3) and plan["values"][-1] == pytest.approx(100)
    assert plan["values"][plan["default"]] == 0.1
    assert np.all(np.diff(np.log10(plan["values"])) > 0)


def test_scrubber_gets_its_own_points_and_a_play_interval():
    plan = static.control_plan("t", frames("epoch", 200, interval_ms=90))
    assert len(plan["values"]) == static.SCRUB_POINTS and plan["values"][-1] == 199 and plan["play_ms"] == 90


def test_unsupported_control_is_refused():
    import ipywidgets as widgets

    with pytest.raises(ValueError, match="no static frames for a Text"):
        static.control_plan("t", widgets.Text("x"))


def test_frame_keys_grid_when_small_one_axis_at_a_time_otherwise():
    small = [{"values": [0, 1], "default": 0}, {"values": [0, 1, 2], "default": 2}]
    mode, keys = static.frame_keys(small)
    assert mode == "grid" and len(keys) == 6 and len(set(keys)) == 6
    big = [{"values": list(range(10)), "default": 3}, {"values": list(range(10)), "default": 9},
           {"values": [0, 1], "default": 0}]
    mode, keys = static.frame_keys(big)
    assert mode == "axes" and len(keys) == 1 + 9 + 9 + 1 == len(set(keys))
    default = (3, 9, 0)
    assert all(sum(a != b for a, b in zip(k, default)) <= 1 for k in keys)


# -- rendering ---------------------------------------------------------------------------------------------
def _decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=float)


def test_each_frame_is_the_plot_the_live_widget_draws_at_that_setting():
    ex = _toy()
    before = (ex.values, ex.image.value, ex.message.value)
    manifest, files = static.render_explorer(ex)
    assert (ex.values, ex.image.value, ex.message.value) == before       # the widget itself is untouched
    assert manifest["source_sha256"] == hashlib.sha256(ex.image.value).hexdigest()
    values = {n: static.control_plan(n, c)["values"] for n, c in ex.controls.items()}   # before moving any
    names = [c["name"] for c in manifest["controls"]]
    assert names == list(ex.controls)
    checked = 0
    for key, frame in manifest["frames"].items():
        idx = [int(i) for i in key.split(",")]
        setting = {n: values[n][i] for n, i in zip(names, idx)}
        ex.set(**setting)
        if ex.error:
            assert frame["image"] is None and "amplitude above 3" in frame["message"]
            continue
        assert frame["message"] == ex.message.value                      # the caption, escaped as live
        live = _decode(ex.image.value)
        stored = _decode(files[frame["image"]])
        assert live.shape == stored.shape
        assert np.abs(live - stored).mean() < 1.0                        # palette round-off only
        checked += 1
    assert checked >= 10
    # A frame of another setting is far from this one: the comparison above can fail.
    a, b = (files[f["image"]] for f in list(manifest["frames"].values())[:2])
    assert np.abs(_decode(a) - _decode(b)).mean() > 1.0


def test_error_settings_are_stored_as_messages_and_identical_frames_once():
    ex = _toy()
    manifest, files = static.render_explorer(ex)
    errors = [f for f in manifest["frames"].values() if f["image"] is None]
    assert errors and all("Cannot draw this setting" in f["message"] for f in errors)
    referenced = {f["image"] for f in manifest["frames"].values() if f["image"]}
    assert referenced == set(files)
    assert manifest["mode"] == "axes" and manifest["default"] == ",".join(str(c["default"])
                                                                          for c in manifest["controls"])


def test_an_unexpected_error_stops_the_export():
    def draw(state, a):
        if a > 0.5:
            raise KeyError("bug")
        state.plot([0, 1], [0, a])

    ex = Explorer({"a": float_slider("a", 0.0, 1.0, 0.0)}, lambda fig, ax: ax, draw, title="broken")
    with pytest.raises(RuntimeError, match="KeyError"):
        static.render_explorer(ex)


def _fake_notebook(model_ids):
    outputs = [{"output_type": "display_data",
                "data": {"application/vnd.jupyter.widget-view+json": {"model_id": m}}} for m in model_ids]
    state = {m: {"model_name": "VBoxModel", "state": {"children": [f"IPY_MODEL_{m}-img"]}} for m in model_ids}
    state.update({f"{m}-img": {"model_name": "ImageModel", "state": {}} for m in model_ids})
    return {"cells": [{"cell_type": "code", "outputs": outputs}],
            "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {"state": state}}}}


def test_install_keeps_displayed_explorers_and_rewrites_only_what_changed(tmp_path):
    shown, hidden = _toy(), _toy()
    exported = tmp_path / "exported"
    for ex in (shown, hidden):
        manifest, files = static.render_explorer(ex)
        out = exported / str(ex.index)
        out.mkdir(parents=True)
        (out / "manifest.json").write_text(json.dumps(manifest))
        (out / "model_id").write_text(ex.widget.model_id)
        for name, data in files.items():
            (out / name).write_bytes(data)
    root = tmp_path / "repo"
    notebook = root / "book" / "ch" / "page.ipynb"
    notebook.parent.mkdir(parents=True)
    nb = _fake_notebook([shown.widget.model_id])
    first = static.install_frames(nb, notebook, exported, root)
    page = root / static.FRAMES_DIR / "book" / "ch" / "page"
    assert [p.name for p in page.iterdir()] == [str(shown.index)]
    assert first["explorers"] == 1 and first["written"] == first["frames"] + 1 and first["removed"] == 0
    manifest = static.read_manifest(page / str(shown.index) / static.MANIFEST)
    assert manifest["title"] == "toy"
    stale = page / "99"
    stale.mkdir()
    (stale / "x.png").write_bytes(b"old")
    again = static.install_frames(nb, notebook, exported, root)
    assert again["written"] == 0 and again["removed"] == 1 and not stale.exists()
    gone = static.install_frames(_fake_notebook([]), notebook, exported, root)
    assert gone["explorers"] == 0 and not page.exists()


# -- the stored notebooks and their frames agree -----------------------------------------------------------
def _stored_explorers(path: Path) -> dict[str, dict]:
    """Explorer index -> {image sha256, control labels} from a notebook's stored widget state."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    models = nb["metadata"].get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    state = models.get("state", {})
    shown = static.displayed_models(nb)
    found = {}
    for mid in shown:
        model = state[mid]
        classes = model["state"].get("_dom_classes", [])
        index = [c.rsplit("-", 1)[1] for c in classes if c.startswith("mlsheet-explorer-")]
        if model["model_name"] != "VBoxModel" or not index:
            continue
        children = [c.removeprefix("IPY_MODEL_") for c in model["state"]["children"]]
        image = next(state[c] for c in children if state[c]["model_name"] == "ImageModel")
        png = base64.b64decode(image["buffers"][0]["data"])
        found[index[0]] = {"sha256": hashlib.sha256(png).hexdigest()}
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem[:40])
def test_every_displayed_explorer_has_current_frames(path):
    stored = _stored_explorers(path)
    key = static.page_key(path, ROOT)
    page = ROOT / static.FRAMES_DIR / key
    on_disk = sorted(p.name for p in page.iterdir()) if page.is_dir() else []
    assert on_disk == sorted(stored), (f"{key}: frames for explorers {on_disk}, the notebook displays "
                                       f"{sorted(stored)}: run make execute NB={path.relative_to(ROOT)}")
    for index, info in stored.items():
        folder = page / index
        manifest = static.read_manifest(folder / static.MANIFEST)
        assert manifest["source_sha256"] == info["sha256"], (
            f"{key}/{index}: the frames were rendered from other outputs than the notebook stores: "
            f"run make execute NB={path.relative_to(ROOT)}")
        wanted = {f["image"] for f in manifest["frames"].values() if f["image"]}
        present = {p.name for p in folder.iterdir()} - {static.MANIFEST}
        assert present == wanted, f"{key}/{index}: missing {wanted - present}, extra {present - wanted}"
        assert manifest["default"] in manifest["frames"] and manifest["frames"][manifest["default"]]["image"]
        sizes = [len(c["labels"]) for c in manifest["controls"]]
        for k in manifest["frames"]:
            idx = [int(i) for i in k.split(",")]
            assert len(idx) == len(sizes) and all(0 <= i < n for i, n in zip(idx, sizes))


def test_frames_stay_within_the_repository_budget():
    folder = ROOT / static.FRAMES_DIR
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0
    assert total <= FRAMES_BUDGET_BYTES, (f"frames take {total / 1e6:.1f} MB, over the "
                                         f"{FRAMES_BUDGET_BYTES / 1e6:.0f} MB budget")

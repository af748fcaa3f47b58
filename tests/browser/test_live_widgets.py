"""Widgets that respond on the static site: on every notebook page, every Explorer's controls swap the plot and
the caption for the frame `make execute` stored for that setting (mlsheet_utils.explore.static), a setting that
was not rendered cannot be reached, and a page whose frames are missing falls back to a labelled snapshot.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from mlsheet_utils.explore import static

from .conftest import SITE
from .test_site import NOTEBOOK_PAGES, _assert_clean, _load

FRAMES = SITE / "_static" / "frames"

_STATE = r"""(box) => {
  const img = box.querySelector('img');
  const htmls = box.querySelectorAll(':scope > .widget-html');
  const msg = htmls.length ? htmls[htmls.length - 1] : null;
  const reason = box.querySelector('.mlsheet-live-reason');
  return {
    setting: box.getAttribute('data-mlsheet-setting'),
    src: img.getAttribute('src') || '',
    loaded: img.complete && img.naturalWidth > 0,
    stale: img.classList.contains('mlsheet-live-stale'),
    message: msg ? msg.innerText.trim() : '',
    disabled: [...box.querySelectorAll('[data-mlsheet-control]')].map(i => i.disabled),
    reason: reason && !reason.hidden ? reason.innerText : '',
    savedHidden: [...box.querySelectorAll(':scope > .widget-hbox')].every(r => r.style.display === 'none'),
  };
}"""

_TEXT = "(html) => { const d = document.createElement('div'); d.innerHTML = html; return d.innerText.trim(); }"

_WAIT_IMAGE = r"""async (box) => {
  const img = box.querySelector('img');
  const deadline = performance.now() + 10000;
  while (!(img.complete && img.naturalWidth > 0) && performance.now() < deadline) {
    await new Promise(r => setTimeout(r, 50));
  }
}"""


#: What one page may load of its own before a control moves (the README's budget); the theme's and vendored
#: scripts every page shares (_static/, the search index) are counted apart.
PAGE_BUDGET_BYTES = 3e6


def _bytes_loaded(log, site_url: str) -> tuple[int, int]:
    """(the page's own bytes, the shared bytes) of every file the page requested from the site, on disk."""
    own = shared = 0
    for url in set(log.requests):
        if not url.startswith(site_url):
            continue
        rel = urlsplit(url).path[len(urlsplit(site_url).path):]
        path = SITE / rel
        if not path.is_file():
            continue
        size = path.stat().st_size
        if (rel.startswith("_static/") and not rel.startswith("_static/frames/")) or rel == "searchindex.js":
            shared += size
        else:
            own += size
    return own, shared


def _manifests(path: str) -> dict[str, dict]:
    folder = FRAMES / Path(path).with_suffix("")
    if not folder.is_dir():
        return {}
    return {p.name: static.read_manifest(p / static.MANIFEST) for p in sorted(folder.iterdir())}


def _move(page, box, control: dict, target: int) -> None:
    """Move one control the way a reader does: the keyboard on a slider, a pick on a menu, a click on a box."""
    handle = box.locator(f'[data-mlsheet-control="{control["name"]}"]')
    if control["kind"] == "range":
        handle.focus()
        current = int(handle.input_value())
        key = "ArrowRight" if target > current else "ArrowLeft"
        for _ in range(abs(target - current)):
            handle.press(key)
    elif control["kind"] == "select":
        handle.select_option(index=target)
    else:
        handle.click()


def _expect(page, box, manifest: dict, setting: list[int], path: str, what: str, *, saved: bool = False) -> dict:
    """Assert the widget shows the stored frame and caption of ``setting`` (``saved``: the saved widget's own
    plot, which is that frame before any control moved)."""
    key = ",".join(map(str, setting))
    frame = manifest["frames"][key]
    page.evaluate(_WAIT_IMAGE, box.element_handle())
    state = page.evaluate(_STATE, box.element_handle())
    assert state["setting"] == key, f"{path} {what}: the widget shows setting {state['setting']}, expected {key}"
    if saved:
        assert state["src"].startswith(("blob:", "data:")) and state["loaded"], (
            f"{path} {what}: expected the saved plot, found {state['src']!r}")
    elif frame["image"]:
        assert state["src"].endswith("/" + frame["image"]) and not state["stale"], (
            f"{path} {what}: image {state['src']!r}, expected the stored frame {frame['image']}")
        assert state["loaded"], f"{path} {what}: the frame {frame['image']} did not load"
    else:
        assert state["stale"], f"{path} {what}: a setting with a message should dim the last plot"
    shown, stored = (" ".join(t.split()) for t in (state["message"], page.evaluate(_TEXT, frame["message"])))
    assert shown == stored, f"{path} {what}: caption {shown!r} is not the stored one {stored!r}"
    return state


def test_pages_with_explorers_have_frames():
    """Guards the parametrisation below: the built site carries the frames."""
    with_frames = [p for p in NOTEBOOK_PAGES if _manifests(p)]
    assert len(with_frames) >= 0.9 * len(NOTEBOOK_PAGES), (
        f"only {len(with_frames)} of {len(NOTEBOOK_PAGES)} notebook pages have frames in {FRAMES}")


@pytest.mark.parametrize("path", NOTEBOOK_PAGES)
def test_every_widget_responds_to_its_controls(open_page, site_url, path):
    """Each Explorer of the page: move its first control to a value other than the default and see the stored
    frame and caption; where frames vary one control at a time, the other controls are then unavailable with
    a reason naming the moved control; reset brings back the stored run's plot."""
    manifests = _manifests(path)
    if not manifests:
        pytest.skip(f"{path} has no Explorer")
    page, log = _load(open_page, site_url, path)
    own_bytes, shared_bytes = _bytes_loaded(log, site_url)
    assert 0 < own_bytes <= PAGE_BUDGET_BYTES, (
        f"{path}: {own_bytes / 1e6:.2f} MB of its own before a control moved (budget {PAGE_BUDGET_BYTES / 1e6:g} MB; "
        f"shared scripts and styles {shared_bytes / 1e6:.2f} MB apart)")
    own = [u for u in log.requests if "/_static/frames/" in u]
    assert own and all(u.endswith("/manifest.js") for u in own), (
        f"{path}: before any control moved the page loaded {own}; only the manifests belong there")
    live = page.locator(".mlsheet-live-explorer")
    assert live.count() == len(manifests), f"{path}: {live.count()} live widgets, {len(manifests)} with frames"
    assert page.locator(".mlsheet-snapshot").count() == 0, f"{path}: a widget with frames is still a snapshot"
    for n, manifest in manifests.items():
        box = page.locator(f".mlsheet-explorer-{n}")
        box.scroll_into_view_if_needed()
        default = [int(i) for i in manifest["default"].split(",")]
        state = _expect(page, box, manifest, default, path, f"explorer {n} at load", saved=True)
        assert state["savedHidden"] and not any(state["disabled"]) and not state["reason"]
        first = manifest["controls"][0]
        target = len(first["labels"]) - 1 if default[0] != len(first["labels"]) - 1 else 0
        _move(page, box, first, target)
        moved = [target] + default[1:]
        state = _expect(page, box, manifest, moved, path, f"explorer {n}, {first['name']} -> {first['labels'][target]}")
        if manifest["mode"] == "axes" and len(default) > 1:
            assert state["disabled"] == [False] + [True] * (len(default) - 1), (
                f"{path} explorer {n}: after moving {first['name']}, controls enabled {state['disabled']}")
            assert "rendered one control at a time" in state["reason"], (
                f"{path} explorer {n}: no reason shown for the unavailable controls: {state['reason']!r}")
            words = re.sub(r"\$[^$]*\$", " ", first["label"]).split()      # the label's text outside its maths
            assert all(w in state["reason"] for w in words) and first["labels"][default[0]] in state["reason"], (
                f"{path} explorer {n}: the reason {state['reason']!r} does not say to move {first['label']!r} "
                f"back to {first['labels'][default[0]]}")
            other = box.locator(f'[data-mlsheet-control="{manifest["controls"][1]["name"]}"]')
            assert other.is_disabled()
        else:
            assert not any(state["disabled"]), f"{path} explorer {n}: a control is unavailable in grid mode"
        box.locator(".mlsheet-live-reset").click()
        _expect(page, box, manifest, default, path, f"explorer {n} after reset")
    _assert_clean(log, path)


def test_grid_widgets_reach_every_combination(open_page, site_url):
    """Where every combination was rendered, moving two controls shows the frame of the pair."""
    for path in NOTEBOOK_PAGES:
        grid = {n: m for n, m in _manifests(path).items() if m["mode"] == "grid" and len(m["controls"]) >= 2}
        if grid:
            break
    else:
        pytest.skip("no page has a grid of two or more controls")
    page, log = _load(open_page, site_url, path)
    for n, manifest in grid.items():
        box = page.locator(f".mlsheet-explorer-{n}")
        setting = [int(i) for i in manifest["default"].split(",")]
        for c in (0, 1):
            control = manifest["controls"][c]
            setting[c] = (setting[c] + 1) % len(control["labels"])
            _move(page, box, control, setting[c])
        state = _expect(page, box, manifest, setting, path, f"explorer {n}, two controls moved")
        assert not any(state["disabled"])
    _assert_clean(log, path)


@pytest.mark.parametrize("path", NOTEBOOK_PAGES[:1] + ["book/03_classical_ml/03_23_1_k_means.html"])
def test_widget_without_frames_is_a_labelled_snapshot(open_page, site_url, path):
    """If a page's frames cannot be loaded, its saved widgets say they are snapshots, link to how to run them
    live, and their controls cannot be moved."""
    if not (SITE / path).is_file():
        pytest.skip(f"{path} is not in the site")
    page, _log = open_page(site_url + path)
    page.route("**/_static/frames/**", lambda route: route.abort())
    page.goto(site_url + path, wait_until="load")
    page.wait_for_selector(".mlsheet-snapshot", timeout=20_000)
    notes = page.locator(".mlsheet-snapshot-note")
    assert notes.count() >= 1 and "Snapshot" in notes.first.inner_text()
    assert notes.first.locator("a").get_attribute("href").endswith("book/appendix/run_locally.html")
    assert page.locator(".mlsheet-live-explorer").count() == 0
    inert = page.locator(".mlsheet-snapshot .widget-slider[inert], .mlsheet-snapshot .widget-dropdown[inert]")
    assert inert.count() >= 1

"""The widgets live in JupyterLab: open each model notebook, run all cells, move a slider, see the plot change.

JupyterLab runs on 127.0.0.1 with a token, from a temporary copy of ``book/`` (so nothing is saved into the
repository) and with its own settings, workspaces and runtime folders. The slider is moved with the
keyboard, and the time from the key press to the widget image's new ``src`` is recorded in
``_build/browser/timings.json`` and printed; it is not asserted (that belongs in ``make bench``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from mlsheet_utils.tools import book

from .conftest import ARTIFACTS, ROOT

MODEL_IDS = ("1.3", "3.23.1", "4.18.2", "5.14")
PRESENT = book.notebooks()
RUN_TIMEOUT_MS = 240_000
TIMINGS: dict[str, dict] = {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settings(folder: Path) -> None:
    """No autosave (the copy is thrown away anyway), every cell in the DOM, no news or update checks."""
    values = {
        "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"checkForUpdates": False,
                                                                              "fetchNews": "false"},
    }
    for name, value in values.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value), encoding="utf-8")


@pytest.fixture(scope="module")
def lab(_require_chromium):
    """A JupyterLab server on 127.0.0.1 serving a temporary copy of book/; yields (base url, token, root)."""
    work = Path(tempfile.mkdtemp(prefix="mlsheet-lab-"))
    root = work / "root"
    shutil.copytree(book.BOOK, root / "book", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    _settings(work / "settings")
    token, port = secrets.token_hex(16), _free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(work / "config"), JUPYTER_RUNTIME_DIR=str(work / "runtime"),
               JUPYTER_DATA_DIR=str(work / "data"), JUPYTERLAB_SETTINGS_DIR=str(work / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(work / "workspaces"), JUPYTER_PLATFORM_DIRS="1")
    log = open(work / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.news_url=None", "--LabApp.extension_manager=readonly",
         "--ServerApp.terminals_enabled=False"] + (["--allow-root"] if os.geteuid() == 0 else []),
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        try:
            req = urllib.request.Request(base + "api/status", headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(req, timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"JupyterLab did not start: {(work / 'lab.log').read_text()[-3000:]}")
        time.sleep(0.5)
    yield base, token, root
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module", autouse=True)
def _write_timings():
    yield
    if TIMINGS:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / "timings.json"
        path.write_text(json.dumps({"jupyterlab_slider_to_plot_ms": TIMINGS}, indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")
        print(f"\nJupyterLab slider-to-plot times (written to {path.relative_to(ROOT)}):")
        for hid, t in TIMINGS.items():
            print(f"  {hid:7s} {t['ms']:8.1f} ms  ({t['slider']!r}, {t['key']}) in {t['notebook']}")


def _api(lab, method: str, path: str):
    base, token, _ = lab
    req = urllib.request.Request(base + path, method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        body = resp.read()
    return json.loads(body) if body else None


def test_some_model_notebook_exists():
    present = [i for i in MODEL_IDS if i in PRESENT]
    assert present, f"none of the model notebooks {MODEL_IDS} exists yet"


_RUN_ALL = """async () => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  await panel.context.ready;
  await panel.sessionContext.ready;
  const ok = await app.commands.execute('notebook:run-all-cells');
  const errors = [];
  let unexecuted = 0;
  for (const cell of panel.content.widgets) {
    if (cell.model.type !== 'code') continue;
    if (cell.model.executionCount === null) unexecuted += 1;
    for (const out of cell.model.outputs.toJSON()) {
      if (out.output_type === 'error') errors.push(`${out.ename}: ${out.evalue}`);
    }
  }
  return {ok, errors, unexecuted, kernel: panel.sessionContext.session.kernel.name};
}"""

#: The nearest enclosing div with a CSS class.
_ANCESTOR = "xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' {cls} ')][1]"

_WATCH = """(img) => {
  window.__mlsheetPlotChangedAt = null;
  const before = img.getAttribute('src');
  if (window.__mlsheetObserver) window.__mlsheetObserver.disconnect();
  window.__mlsheetObserver = new MutationObserver(() => {
    if (window.__mlsheetPlotChangedAt === null && img.getAttribute('src') !== before) {
      window.__mlsheetPlotChangedAt = performance.now();
    }
  });
  window.__mlsheetObserver.observe(img, {attributes: true, attributeFilter: ['src']});
  return before;
}"""


@pytest.mark.parametrize("hid", MODEL_IDS)
def test_slider_redraws_the_plot_in_jupyterlab(lab, open_page, hid):
    if hid not in PRESENT:
        pytest.skip(f"model notebook {hid} is not written yet")
    base, token, root = lab
    rel = PRESENT[hid].relative_to(book.ROOT).as_posix()
    url = f"{base}lab/tree/{rel}?token={token}&reset"
    page, log = open_page(url)
    page.set_default_timeout(60_000)
    page.goto(url, wait_until="load")
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
        " && window.jupyterapp.shell.currentWidget.content"
        " && window.jupyterapp.shell.currentWidget.content.widgets.length > 0", timeout=90_000)
    page.wait_for_timeout(200)
    start = time.perf_counter()
    page.set_default_timeout(RUN_TIMEOUT_MS)
    result = page.evaluate(_RUN_ALL)
    run_seconds = time.perf_counter() - start
    page.set_default_timeout(60_000)
    assert result["kernel"] == "python3", result
    assert not result["errors"], f"{rel}: error outputs after running all cells: {result['errors']}"
    assert result["unexecuted"] == 0, f"{rel}: {result['unexecuted']} code cells did not run"

    # The first Explorer: a widget image inside a widget box that also holds sliders.
    img = page.locator(".jp-OutputArea-output .jupyter-widgets img.widget-image").first
    img.wait_for(state="visible", timeout=60_000)
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    box = img.locator(_ANCESTOR.format(cls="widget-vbox"))
    handles = box.locator(".widget-slider .noUi-handle")
    assert handles.count() > 0, f"{rel}: the first widget has no slider"

    moved = None
    for i in range(handles.count()):
        handle = handles.nth(i)
        slider = handle.locator(_ANCESTOR.format(cls="widget-slider"))
        label = " ".join(slider.locator(".widget-label").first.inner_text().split())
        for key in ("ArrowRight", "ArrowLeft"):
            before = page.evaluate(_WATCH, img.element_handle())
            handle.scroll_into_view_if_needed()
            handle.focus()
            pressed_at = page.evaluate("() => performance.now()")
            page.keyboard.press(key)
            try:
                page.wait_for_function("() => window.__mlsheetPlotChangedAt !== null", timeout=15_000)
            except Exception:
                continue  # at the end of its range, or the plot looks the same: try the other way / slider
            changed_at = page.evaluate("() => window.__mlsheetPlotChangedAt")
            after = img.get_attribute("src")
            assert after != before
            page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=img.element_handle())
            moved = {"slider": label, "key": key, "ms": round(changed_at - pressed_at, 1),
                     "notebook": rel, "run_all_s": round(run_seconds, 1)}
            break
        if moved:
            break
    assert moved, f"{rel}: no slider of the first widget changed the plot"
    TIMINGS[hid] = moved
    print(f"{hid}: slider {moved['slider']!r} -> new plot in {moved['ms']} ms (run all: {run_seconds:.1f} s)")

    for session in _api(lab, "GET", "api/sessions") or []:
        _api(lab, "DELETE", f"api/sessions/{session['id']}")


# -- the book's Markdown and hidden answers, as JupyterLab shows them -----------------------------------

_LAB_RENDERING = r"""() => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
  const visible = el => !!el && el.offsetParent !== null && getComputedStyle(el).display !== 'none';
  const rendered = [...document.querySelectorAll('.jp-MarkdownCell .myst')];
  const interview = cells.filter(c => c.classList.contains('jp-CodeCell')
                                      && (c.querySelector('details.mlsheet-interview') !== null));
  return {
    admonitions: document.querySelectorAll('.jp-MarkdownCell .myst aside.myst-admonition').length,
    titles: [...document.querySelectorAll('.jp-MarkdownCell .myst aside.myst-admonition')]
      .map(a => a.innerText.split('\n')[0].trim()),
    rawOptions: rendered.filter(m => /:class:|:name:|```\{admonition\}/.test(m.innerText)).length,
    rawMaths: rendered.filter(m => /\$[^$\n]{1,40}\$/.test(m.innerText)).map(m => m.innerText.slice(0, 80)),
    interviewCells: interview.length,
    interviewSourceShown: interview.filter(c => visible(c.querySelector('.jp-InputArea-editor'))).length,
    interviewPlaceholder: interview.filter(c => visible(c.querySelector('.jp-InputPlaceholder'))).length,
  };
}"""


@pytest.mark.parametrize("hid", ["1.13", "3.23.1"])
def test_lab_renders_boxes_and_hides_answers(lab, open_page, hid):
    """JupyterLab (with jupyterlab-myst) shows correction and note boxes as boxes, typesets their maths, and
    keeps the interview cell's source (which holds every answer) collapsed, as the site does; nothing is run."""
    if hid not in PRESENT:
        pytest.skip(f"notebook {hid} is not written yet")
    base, token, root = lab
    path = PRESENT[hid]
    nb = json.loads(path.read_text(encoding="utf-8"))
    boxes = sum("".join(c["source"]).count("{admonition}") for c in nb["cells"] if c["cell_type"] == "markdown")
    rel = path.relative_to(book.ROOT).as_posix()
    url = f"{base}lab/tree/{rel}?token={token}&reset"
    page, log = open_page(url)
    page.goto(url, wait_until="load")
    page.wait_for_function(
        "(n) => document.querySelectorAll('.jp-MarkdownCell .myst aside.myst-admonition').length >= n"
        " && document.querySelector('details.mlsheet-interview')", arg=boxes, timeout=90_000)
    report = page.evaluate(_LAB_RENDERING)
    page.screenshot(path=str(ARTIFACTS / f"lab-{hid}.png"))
    assert boxes > 0 and report["admonitions"] == boxes, (boxes, report)
    assert all(t.startswith(("Correction", "Beyond the sheet")) for t in report["titles"]), report["titles"]
    assert report["rawOptions"] == 0, f"{rel}: directive options shown as text: {report}"
    assert not report["rawMaths"], f"{rel}: maths left as $...$: {report['rawMaths']}"
    assert report["interviewCells"] == 1, report
    assert report["interviewSourceShown"] == 0 and report["interviewPlaceholder"] == 1, \
        f"{rel}: the interview cell shows its source (and so every answer) in Lab: {report}"

"""Fixtures for the browser tests: Debian's Chromium driven by Playwright, the built site served on 127.0.0.1.

Every test here is skipped, with the reason, when Chromium is missing (``MLSHEET_CHROMIUM`` overrides the
path, default ``/usr/bin/chromium``). A failing test saves a full-page screenshot of the page it had open
to ``_build/browser/screenshots/``. Playwright never downloads a browser: it launches the system Chromium.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
ARTIFACTS = ROOT / "_build" / "browser"
CHROMIUM = Path(os.environ.get("MLSHEET_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: Schemes a page may load from besides the server itself (widget images are blob: URLs).
LOCAL_SCHEMES = {"data", "blob", "about"}


def chromium_missing_reason() -> str | None:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"browser tests need Chromium at {CHROMIUM} (apt-get install -y chromium); not found"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests need the playwright package (pip install -r requirements.txt)"
    return None


_SESSION_START = time.time()


def pytest_terminal_summary(terminalreporter):
    """Show what this run measured: the pages checked and the JupyterLab slider-to-plot times."""
    for name in ("pages.json", "timings.json"):
        path = ARTIFACTS / name
        if not path.is_file() or path.stat().st_mtime < _SESSION_START:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        if name == "pages.json":
            terminalreporter.write_line(f"browser: {data['pages_checked']} pages of the site checked")
        else:
            terminalreporter.write_line(f"JupyterLab slider-to-plot times ({path.relative_to(ROOT)}):")
            for hid, t in data["jupyterlab_slider_to_plot_ms"].items():
                terminalreporter.write_line(f"  {hid:7s} {t['ms']:7.1f} ms  slider {t['slider']!r} ({t['key']}), "
                                            f"run all {t['run_all_s']} s, {t['notebook']}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session", autouse=True)
def _require_chromium():
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def playwright_instance(_require_chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def context(playwright_instance):
    """One Chromium with a fresh profile for the whole session."""
    profile = tempfile.mkdtemp(prefix="mlsheet-chromium-")
    ctx = playwright_instance.chromium.launch_persistent_context(
        profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 900}, service_workers="block")
    ctx.set_default_timeout(30_000)
    yield ctx
    ctx.close()
    shutil.rmtree(profile, ignore_errors=True)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site_url(_require_chromium):
    """The built site served by a local HTTP server on 127.0.0.1 (an ephemeral port)."""
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site at {SITE}: run `make book` first (make test-browser does)")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@dataclass
class PageLog:
    """What one page did: every request, the failed ones, console errors and uncaught exceptions."""

    origin: str
    requests: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    def external(self) -> list[str]:
        out = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in LOCAL_SCHEMES:
                continue
            if f"{parts.scheme}://{parts.netloc}" != self.origin:
                out.append(url)
        return out

    def attach(self, page) -> None:
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.url} (HTTP {r.status})"))
        page.on("console", lambda m: m.type == "error" and self.errors.append(
            f"console.error: {m.text} at {m.location.get('url', '')}:{m.location.get('lineNumber', '')}"))
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))


@pytest.fixture
def open_page(request, context):
    """``open_page(url, dark=False) -> (page, log)``; screenshots the last page if the test fails."""
    pages = []

    def _open(url: str, *, dark: bool = False, origin: str | None = None):
        page = context.new_page()
        if dark:
            page.emulate_media(color_scheme="dark")
        parts = urlsplit(url)
        log = PageLog(origin or f"{parts.scheme}://{parts.netloc}")
        log.attach(page)
        pages.append(page)
        return page, log

    yield _open
    failed = any(getattr(request.node, f"rep_{when}", None) is not None
                 and getattr(request.node, f"rep_{when}").failed for when in ("setup", "call"))
    if failed and pages:
        shots = ARTIFACTS / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        try:
            pages[-1].screenshot(path=str(shots / f"{name}.png"), full_page=True)
            print(f"screenshot: {shots / f'{name}.png'}")
        except Exception as exc:  # the page may have crashed; the test failure says why
            print(f"could not save a screenshot: {exc}")
    for page in pages:
        page.close()

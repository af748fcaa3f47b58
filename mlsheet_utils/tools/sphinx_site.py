"""A small Sphinx extension (``sphinx.extra_extensions`` in ``_config.yml``) that keeps the site's console clean.

sphinx-thebe adds an inline ``<script>const THEBE_JS_URL = ...</script>`` after the HTML builder has read the
extension registry, so Sphinx 7.4 writes it into every page twice (once with filename ``None``, once with
``''``, which its de-duplication tells apart) and the second ``const`` throws "Identifier 'THEBE_JS_URL' has
already been declared" in every reader's console. The browser tests (``tests/browser``) fail on any console
error, so the duplicate is dropped here rather than ignored there: scripts with the same source or body and
attributes appear once per page. It also copies the widget fonts next to the pages (:func:`copy_widget_fonts`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any


def _key(script) -> tuple:
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {}) or {}
    return (str(filename), getattr(script, "priority", 500), tuple(sorted(attributes.items())))


def dedupe_scripts(app, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Drop repeated ``<script>`` entries (same source or body and attributes) from a page."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def copy_widget_fonts(app, exception) -> None:
    """Put the widget manager's Font Awesome files where its controls bundle looks for them.

    The ipywidgets controls bundle (Play and Button icons) derives its webpack public path from its AMD module id,
    ``@jupyter-widgets/controls``, which resolves next to the page: ``book/<chapter>/@jupyter-widgets/``. Its font
    files are copied there from the vendored manager, so no request of the site 404s.
    """
    if exception is not None or app.builder.name != "html":
        return
    out = Path(app.outdir)
    fonts = [f for f in (out / "_static" / "html-manager").glob("*") if f.suffix in {".woff", ".woff2", ".ttf"}]
    for chapter in (out / "book").glob("*/"):
        if chapter.is_dir() and any(chapter.glob("*.html")):
            target = chapter / "@jupyter-widgets"
            target.mkdir(exist_ok=True)
            for font in fonts:
                shutil.copy2(font, target / font.name)


def setup(app) -> dict:
    app.connect("html-page-context", dedupe_scripts, priority=900)
    app.connect("build-finished", copy_widget_fonts)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}

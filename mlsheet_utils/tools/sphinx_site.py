"""A small Sphinx extension (``sphinx.extra_extensions`` in ``_config.yml``) that keeps the site's console clean.

sphinx-thebe adds an inline ``<script>const THEBE_JS_URL = ...</script>`` after the HTML builder has read the
extension registry, so Sphinx 7.4 writes it into every page twice (once with filename ``None``, once with
``''``, which its de-duplication tells apart) and the second ``const`` throws "Identifier 'THEBE_JS_URL' has
already been declared" in every reader's console. The browser tests (``tests/browser``) fail on any console
error, so the duplicate is dropped here rather than ignored there: scripts with the same source or body and
attributes appear once per page. It also copies the widget fonts next to the pages (:func:`copy_widget_fonts`),
drops the repeated book name from the home page's tab title (:func:`home_tab_title`), and turns the repository
and Binder buttons on only when ``repository.url`` in ``_config.yml`` names a real GitHub repository
(:func:`launch_options`).
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


def home_tab_title(app, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """The home page's tab reads "Home — <book>", not "<book> — <book>" (its heading is the book's name).

    The template appends " — <book>" to every title itself, so the home page's own title is what changes.
    """
    if pagename == app.config.root_doc:
        context["title"] = "Home"


#: The repository Jupyter Book assumes when ``_config.yml`` names none: never a real home of this book.
JUPYTER_BOOK_DEFAULT_REPOSITORY = "https://github.com/executablebooks/jupyter-book"
BINDERHUB_URL = "https://mybinder.org"


def published_repository(url: str | None) -> str | None:
    """The book's public repository, or ``None`` while ``repository.url`` in ``_config.yml`` names no real one.

    Only a ``https://github.com/<owner>/<name>`` address counts (Binder builds from GitHub); an empty value, a
    placeholder or Jupyter Book's own default leave the buttons off.
    """
    url = (url or "").strip().rstrip("/")
    if url == JUPYTER_BOOK_DEFAULT_REPOSITORY or "placeholder" in url or "example" in url:
        return None
    parts = url.removeprefix("https://github.com/").split("/")
    if not url.startswith("https://github.com/") or len(parts) != 2 or not all(parts):
        return None
    return url


def launch_options(theme_options: dict) -> dict:
    """The theme options for the repository and launch buttons, from ``repository.url`` alone.

    With a real repository: the repository button and a Binder button that opens the page's notebook in
    JupyterLab (Binder installs ``requirements.txt``, whose ``-e .`` installs the package, on ``runtime.txt``'s
    Python). Without one: neither, so no button leads to a missing repository. Colab is never offered: it runs
    its own Python and packages, so a page's ``import mlsheet_utils`` fails there.
    """
    options = dict(theme_options)
    repo = published_repository(options.get("repository_url"))
    options["use_repository_button"] = repo is not None
    options["launch_buttons"] = ({"notebook_interface": "jupyterlab", "binderhub_url": BINDERHUB_URL}
                                 if repo else {"binderhub_url": "", "colab_url": ""})
    if repo is None:
        options.pop("repository_url", None)
    return options


def configure_launch_buttons(app, config) -> None:
    """``config-inited``: derive the buttons from the one setting a maintainer edits, ``repository.url``."""
    config.html_theme_options = launch_options(config.html_theme_options or {})


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
    app.connect("config-inited", configure_launch_buttons)
    app.connect("html-page-context", dedupe_scripts, priority=900)
    app.connect("html-page-context", home_tab_title)
    app.connect("build-finished", copy_widget_fonts)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}

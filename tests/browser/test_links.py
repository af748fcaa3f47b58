"""Every internal link and anchor of the built site resolves (no browser needed; runs after ``make book``).

A link is internal when it has no scheme and no host. Its file must exist in ``_build/html`` (a folder means its
``index.html``), and its fragment, if any, must be an ``id`` (or an ``<a name>``) of the target page. External
links are not followed: the site makes no request to another host (``test_site.py`` checks that in Chromium).
"""

from __future__ import annotations

import functools
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

SITE = Path(__file__).resolve().parents[2] / "_build" / "html"

#: Generated pages of Sphinx itself and copied sources, whose links are not the book's.
SKIP = ("_sources/", "_static/", "_vendor/", "genindex.html", "search.html")


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            value = attrs.get(key)
            if value and not (tag == "link" and attrs.get("rel") in ("preconnect", "dns-prefetch")):
                self.links.append(value)


@functools.cache
def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def _pages(site: Path = SITE) -> list[Path]:
    if not (site / "index.html").is_file():
        return []
    return sorted(p for p in site.rglob("*.html") if not p.relative_to(site).as_posix().startswith(SKIP))


def _target(page: Path, link: str) -> tuple[Path, str] | None:
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:", "data:")):
        return None
    path = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
    if path.is_dir():
        path = path / "index.html"
    return path, unquote(parts.fragment)


def broken_links(site: Path) -> list[str]:
    """Every internal link of ``site`` whose file or anchor is missing, as ``page: link (why)``."""
    broken = []
    for page in _pages(site):
        for link in _parse(page).links:
            target = _target(page, link)
            if target is None:
                continue
            path, fragment = target
            where = f"{page.relative_to(site)}: {link}"
            if not path.is_file():
                broken.append(f"{where} (no such file)")
            elif fragment and path.suffix == ".html" and fragment not in _parse(path).ids:
                broken.append(f"{where} (no anchor #{fragment})")
    return broken


@pytest.mark.skipif(not _pages(), reason="the site is not built (make book)")
def test_every_internal_link_and_anchor_resolves():
    broken = broken_links(SITE)
    assert not broken, f"{len(broken)} broken internal link(s) over {len(_pages())} pages:\n" + "\n".join(broken[:40])


def test_the_checker_finds_a_missing_page_and_a_missing_anchor(tmp_path):
    (tmp_path / "index.html").write_text('<a href="a.html#here">ok</a> <a href="a.html#gone">x</a> '
                                         '<a href="nope.html">y</a> <a href="https://example.org/">z</a>')
    (tmp_path / "a.html").write_text('<h1 id="here">A</h1><a href="#here">self</a><img src="img/x.png">')
    assert sorted(broken_links(tmp_path)) == ["a.html: img/x.png (no such file)",
                                              "index.html: a.html#gone (no anchor #gone)",
                                              "index.html: nope.html (no such file)"]

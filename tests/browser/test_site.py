"""The built site in a real browser: every page loads only from the site, renders its maths, images and saved
widgets without a console error, the search finds a known term, dark mode stays readable, and the reader
features (no dead launch buttons, downloads, corrections and interview-question pages) work.

Run with ``make test-browser`` (builds the site if missing) or ``.venv/bin/pytest tests/browser -v``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
import yaml

from .conftest import ARTIFACTS, ROOT, SITE

#: Every HTML page of the built site (not the copied sources or static files).
PAGES = sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")
               if p.relative_to(SITE).parts[0] not in {"_static", "_sources", "_images"}) or ["index.html"]
NOTEBOOK_PAGES = [p for p in PAGES if Path(p).stem[:2].isdigit() and (SITE / p).is_file()
                  and (ROOT / Path(p).with_suffix(".ipynb")).is_file()]

# -- what the browser is asked ------------------------------------------------------------------------

_SETTLE = r"""async () => {
  // Saved widgets: each widget-view script gets a rendered widget-subarea just before it.
  const deadline = performance.now() + 20000;
  const views = () => [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
  const rendered = s => {
    const sub = s.previousElementSibling;
    if (!sub || !sub.classList.contains('widget-subarea') || !sub.querySelector('.jupyter-widgets')) return false;
    return [...sub.querySelectorAll('img')].every(i => i.complete && i.naturalWidth > 0);
  };
  while (views().some(s => !rendered(s)) && performance.now() < deadline) {
    await new Promise(r => setTimeout(r, 100));
  }
  // Maths: MathJax's start-up promise resolves after the first typeset; widget labels follow it.
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
    await window.MathJax.startup.promise;
  }
  for (const img of document.images) { img.loading = 'eager'; }
  await Promise.all([...document.images].map(i => i.complete ? null :
    new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  await new Promise(r => setTimeout(r, 300));
  return true;
}"""

_REPORT = r"""() => {
  const skip = 'pre, code, script, style, textarea, noscript, mjx-container, .highlight, .MathJax';
  // Raw TeX a reader would see: \( \) \[ \] $$ \begin{ or $...$ (a label MathJax never typeset).
  const tex = /\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{|\$[^$\n]{1,60}\$/;
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || el.closest(skip)) continue;
    if (tex.test(node.textContent)) raw.push(node.textContent.trim().slice(0, 160));
  }
  const maths = [...document.querySelectorAll('span.math, div.math')];
  const CONTROLS = '.widget-slider, .widget-dropdown, .widget-checkbox, .widget-toggle-buttons, .widget-radio';
  const views = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
  const widgets = views.map(s => {
    const sub = s.previousElementSibling;
    const ok = !!(sub && sub.classList.contains('widget-subarea') && sub.querySelector('.jupyter-widgets'));
    const imgs = ok ? [...sub.querySelectorAll('img')] : [];
    return {
      model: JSON.parse(s.textContent).model_id,
      rendered: ok,
      controls: ok ? sub.querySelectorAll(CONTROLS).length : 0,
      images: imgs.length,
      imagesLoaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
      text: ok ? sub.innerText.slice(0, 200) : '',
    };
  });
  return {
    title: document.title,
    raw,
    maths: maths.length,
    mathsUnrendered: maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 80)),
    images: document.images.length,
    imagesBroken: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.currentSrc || i.src),
    widgetState: !!document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]'),
    widgets,
    widgetErrors: document.body.innerText.includes('Error displaying widget'),
    // Inline maths wider than the text column (a long formula that should be a display).
    mathOverflow: (() => {
      const main = document.querySelector('article.bd-article');
      if (!main) return [];
      const edge = main.getBoundingClientRect().right;
      return [...main.querySelectorAll('span.math mjx-container')]
        .filter(m => m.getBoundingClientRect().right > edge + 1 && !m.closest('table, .widget-subarea'))
        .map(m => (m.closest('span.math').textContent || '').slice(0, 60));
    })(),
  };
}"""

_CONTRAST = r"""() => {
  const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(parseFloat);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const over = (top, bottom) => ({r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
                                  b: top.b * top.a + bottom.b * (1 - top.a), a: 1});
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let bg = {r: 255, g: 255, b: 255, a: 1};
    for (const layer of layers.reverse()) bg = over(layer, bg);
    return bg;
  };
  const selector = 'main p, main li, main summary, main h1, main h2, main h3, main td, main th, main dt, main dd, ' +
    'main .widget-label, main .widget-readout, main .widget-html-content, main .admonition-title, ' +
    '.bd-sidebar-primary a, .bd-header a';
  const bad = [];
  let checked = 0;
  for (const el of document.querySelectorAll(selector)) {
    const text = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
    if (!text) continue;
    const style = getComputedStyle(el), rect = el.getBoundingClientRect();
    if (style.visibility !== 'visible' || style.display === 'none' || rect.width === 0 || rect.height === 0) continue;
    if (el.closest('details:not([open]) > :not(summary)')) continue;
    const fg = parse(style.color);
    if (!fg) continue;
    const bg = background(el);
    const L1 = lum(over(fg, bg)), L2 = lum(bg);
    const ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
    checked += 1;
    if (ratio < 4.5) bad.push({text: text.slice(0, 60), ratio: Math.round(ratio * 100) / 100, color: style.color,
                               tag: el.tagName + '.' + el.className});
  }
  return {theme: document.documentElement.dataset.theme, checked, bad};
}"""


def _load(open_page, site_url, path, *, dark=False):
    page, log = open_page(urljoin(site_url, path), dark=dark)
    page.goto(urljoin(site_url, path), wait_until="load")
    page.wait_for_load_state("networkidle")
    page.evaluate(_SETTLE)
    return page, log


def _assert_clean(log, path):
    problems = []
    if log.external():
        problems.append(f"requests to another host: {log.external()}")
    if log.failed:
        problems.append(f"failed requests: {log.failed}")
    if log.errors:
        problems.append(f"console errors: {log.errors}")
    assert not problems, f"{path}: " + "; ".join(problems)


# -- every page ---------------------------------------------------------------------------------------

def test_the_site_has_pages():
    """Guards the parametrisation: a missing or empty site is a failure, not zero tests."""
    assert (SITE / "index.html").is_file(), "no built site: run `make book`"
    assert len(PAGES) >= 5, PAGES
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "pages.json").write_text(json.dumps({"pages_checked": len(PAGES), "pages": PAGES}, indent=1))
    print(f"{len(PAGES)} pages to check")


@pytest.mark.parametrize("path", PAGES)
def test_page_is_self_contained_and_rendered(open_page, site_url, path):
    page, log = _load(open_page, site_url, path)
    report = page.evaluate(_REPORT)
    _assert_clean(log, path)
    assert not report["raw"], f"{path}: raw TeX visible: {report['raw'][:5]}"
    assert not report["mathsUnrendered"], f"{path}: maths not typeset: {report['mathsUnrendered'][:5]}"
    assert not report["imagesBroken"], f"{path}: images that did not load: {report['imagesBroken']}"
    assert not report["widgetErrors"], f"{path}: a widget failed to display"
    assert not report["mathOverflow"], f"{path}: inline maths past the text column: {report['mathOverflow'][:3]}"
    for w in report["widgets"]:
        assert w["rendered"], f"{path}: saved widget {w['model']} not rendered"
        if w["images"]:  # an Explorer: controls and its first plot
            assert w["controls"] >= 1, f"{path}: widget {w['model']} shows no controls"
            assert w["imagesLoaded"] == w["images"], f"{path}: widget {w['model']}: plot not shown"
    if report["widgetState"]:
        assert report["widgets"], f"{path}: widget state saved but no widget view on the page"
    if path in NOTEBOOK_PAGES:  # every section page shows at least one saved Explorer: controls and a plot
        explorers = [w for w in report["widgets"] if w["images"] and w["controls"]]
        assert explorers, f"{path}: no saved widget with controls and a plot ({report['widgets']})"


def test_widget_label_maths_is_typeset(open_page, site_url):
    """A slider described as ``$k$`` shows typeset maths, not dollar signs (K-means' first slider)."""
    path = "book/03_classical_ml/03_23_1_k_means.html"
    if not (SITE / path).is_file():
        pytest.skip(f"{path} is not in the site")
    page, log = _load(open_page, site_url, path)
    page.wait_for_function("() => document.querySelector('.widget-subarea .widget-label mjx-container')",
                           timeout=15_000)
    labels = page.eval_on_selector_all(".widget-subarea .widget-label", "els => els.map(e => e.textContent)")
    assert not [t for t in labels if "$" in t], labels
    _assert_clean(log, path)


@pytest.mark.parametrize("path", PAGES)
def test_dark_mode_is_readable(open_page, site_url, path):
    page, log = _load(open_page, site_url, path, dark=True)
    result = page.evaluate(_CONTRAST)
    assert result["theme"] == "dark", f"{path}: the theme did not follow the dark colour scheme"
    assert result["checked"] > 0, f"{path}: no text found to check"
    assert not result["bad"], f"{path}: text below a 4.5:1 contrast in dark mode: {result['bad'][:5]}"
    _assert_clean(log, path)


_LAYOUT = r"""() => {
  const wide = [...document.querySelectorAll('div.cell_input pre, div.cell_output pre')]
    .filter(p => p.offsetParent !== null && p.scrollWidth > p.clientWidth + 1)
    .map(p => p.textContent.split('\n').sort((a, b) => b.length - a.length)[0].slice(0, 80));
  const plots = [...document.querySelectorAll('.widget-subarea img')].map(img => {
    const area = img.closest('.widget-subarea').getBoundingClientRect(), r = img.getBoundingClientRect();
    return {width: Math.round(r.width), natural: img.naturalWidth, overflow: Math.round(r.right - area.right)};
  });
  return {wide, plots};
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_code_wraps_and_plots_stay_readable(open_page, site_url, width):
    """At 1280 px no code cell scrolls sideways and every plot fits its column; at 390 px a plot keeps its
    size (the widget scrolls instead), so its labels stay readable."""
    path = "book/03_classical_ml/03_23_1_k_means.html"
    if not (SITE / path).is_file():
        pytest.skip(f"{path} is not in the site")
    page, log = _load(open_page, site_url, path)
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_timeout(300)
    report = page.evaluate(_LAYOUT)
    page.screenshot(path=str(ARTIFACTS / f"layout-{width}.png"))
    assert report["plots"], report
    if width >= 1200:
        assert not report["wide"], f"code cells that scroll sideways at {width} px: {report['wide'][:3]}"
        assert all(p["overflow"] <= 1 for p in report["plots"]), report["plots"]
    else:
        assert all(p["width"] >= 0.99 * p["natural"] for p in report["plots"]), report["plots"]
    _assert_clean(log, path)


def test_legend_text_is_readable(open_page, site_url):
    """A plot's legend keeps a cap height of at least 10 px as shown on the page at 1280 px: the style's font
    size in pixels (points x dpi / 72), scaled by the shown-to-drawn width of the image, times DejaVu Sans'
    cap height (0.73 em)."""
    from mlsheet_utils.explore.plotting import STYLE

    path = "book/03_classical_ml/03_23_1_k_means.html"
    if not (SITE / path).is_file():
        pytest.skip(f"{path} is not in the site")
    page, log = _load(open_page, site_url, path)
    scales = page.evaluate("""() => [...document.querySelectorAll('.widget-subarea img')]
        .map(i => i.getBoundingClientRect().width / i.naturalWidth)""")
    assert scales, "no widget plot"
    cap = STYLE["legend.fontsize"] * STYLE["figure.dpi"] / 72 * min(scales) * 0.73
    assert cap >= 10, f"legend caps are {cap:.1f} px tall on the page"
    _assert_clean(log, path)


def test_dark_mode_widgets_keep_their_colours(open_page, site_url):
    """In dark mode a widget is one light card: its plot is not dimmed by the theme's image filter, and its
    slider tracks and native inputs are drawn for a light background."""
    path = "book/03_classical_ml/03_23_1_k_means.html"
    if not (SITE / path).is_file():
        pytest.skip(f"{path} is not in the site")
    page, log = _load(open_page, site_url, path, dark=True)
    styles = page.evaluate("""() => {
      const area = document.querySelector('.widget-subarea');
      const img = area.querySelector('img'), track = area.querySelector('.noUi-target');
      return {filter: getComputedStyle(img).filter, panel: getComputedStyle(area).backgroundColor,
              scheme: getComputedStyle(area).colorScheme,
              track: track ? getComputedStyle(track).backgroundColor : null};
    }""")
    assert styles["filter"] == "none", styles
    assert styles["panel"] == "rgb(255, 255, 255)" and styles["scheme"] == "light", styles
    assert styles["track"] in (None, "rgb(215, 221, 227)"), styles
    _assert_clean(log, path)


# -- search -------------------------------------------------------------------------------------------

def test_search_finds_a_known_term(open_page, site_url):
    """The K-means page describes Lloyd's algorithm; searching for it must list that page."""
    page, log = open_page(urljoin(site_url, "search.html?q=Lloyd"))
    page.goto(urljoin(site_url, "search.html?q=Lloyd"), wait_until="load")
    page.wait_for_selector("#search-results ul.search li a", timeout=20_000)
    hrefs = page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(a => a.href)")
    assert any("03_23_1_k_means" in h for h in hrefs), hrefs
    page.wait_for_selector("#search-results ul.search li p.context", timeout=20_000)
    page.wait_for_timeout(1000)
    summaries = page.eval_on_selector_all("#search-results ul.search li p.context", "els => els.map(p => p.innerText)")
    raw = [t for t in summaries if re.search(r"\\\(|\\frac|\\begin|\$\$|\bimport \w|\bdef \w+\(|np\.\w+\(", t)]
    assert not raw, f"search summaries show raw TeX or code: {raw[:3]}"
    _assert_clean(log, "search.html")


def test_wide_tables_stay_within_the_page(open_page, site_url):
    """The performance page's tables scroll inside the article at 1280 px instead of running off the page."""
    path = "book/appendix/performance.html"
    page, log = _load(open_page, site_url, path)
    over = page.evaluate("""() => {
      const article = document.querySelector('article.bd-article').getBoundingClientRect();
      return [...document.querySelectorAll('article table')]
        .map(t => Math.round(t.getBoundingClientRect().right - article.right)).filter(d => d > 1);
    }""")
    assert not over, f"{path}: tables past the article's edge by {over} px"
    _assert_clean(log, path)


# -- reader features ----------------------------------------------------------------------------------

def _config():
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", NOTEBOOK_PAGES[:3] or ["(no notebook pages)"])
def test_download_button_and_no_dead_launch_links(open_page, site_url, path):
    """The shipped config names no repository: no button may lead to one (a placeholder is a dead link), the
    notebook download works, and the "Run it locally" page is in the navigation."""
    if path == "(no notebook pages)":
        pytest.fail("the site has no notebook pages")
    assert not _config()["repository"]["url"], "with a repository configured, check its buttons here"
    page, log = _load(open_page, site_url, path)
    hrefs = page.eval_on_selector_all("a", "els => els.map(a => a.href)")
    dead = [h for h in hrefs if re.match(r"https?://(mybinder\.org|colab\.research\.google\.com|github\.com)", h)]
    assert not dead, f"{path}: links to a repository that is not configured: {dead}"
    assert any(h.endswith("appendix/run_locally.html") for h in hrefs), f"{path}: no link to 'Run it locally'"
    downloads = [h for h in hrefs if h.endswith(".ipynb") and "/_sources/" in h]
    assert downloads, f"{path}: no notebook download link"
    for href in downloads:
        response = page.request.get(href)
        assert response.ok, f"{href}: HTTP {response.status}"
        nb = json.loads(response.body())
        assert nb["metadata"]["mlsheet"]["id"], href
    _assert_clean(log, path)


@pytest.mark.parametrize("path", ["book/intro.html", "book/02_linear_algebra/02_02_determinant.html"])
def test_tab_titles(open_page, site_url, path):
    """The home tab names the book once ('Home - <book>'); a section's tab is '<id> <title> - <book>', without the
    sheet's colon."""
    page, log = _load(open_page, site_url, path)
    title = page.title()
    book_name = _config()["title"]
    assert title.count(book_name) == 1, title
    if "determinant" in path:
        assert title.startswith("2.2 Determinant ") and ":" not in title.split(book_name)[0], title
    _assert_clean(log, path)


@pytest.mark.parametrize("name", ["corrections", "interview_questions", "practice"])
def test_appendix_pages_link_back_to_sections(open_page, site_url, name):
    path = f"book/appendix/{name}.html"
    page, log = _load(open_page, site_url, path)
    links = page.eval_on_selector_all("article a.reference.internal",
                                      "els => els.map(a => a.getAttribute('href'))")
    section_links = [h for h in links if re.search(r"\.\./0\d_[a-z_]+/\d\d_[\w]+\.html", h)]
    assert section_links, f"{path}: no links back to sections ({links})"
    for href in sorted(set(section_links)):
        target = urljoin(urljoin(site_url, path), href)
        response = page.request.get(target.split("#")[0])
        assert response.ok, f"{href}: HTTP {response.status}"
        anchor = href.partition("#")[2]
        if anchor:
            assert f'id="{anchor}"' in response.text(), f"{href}: no element with id {anchor!r}"
    _assert_clean(log, path)


def test_practice_section_hides_its_hints_rung_by_rung(open_page, site_url):
    """K-means' practice section: the stub says "not implemented yet", the book's run is a table of passes, and
    each rung of the hint ladder (hint, key line, the book's code) stays hidden until the one above is opened."""
    path = "book/03_classical_ml/03_23_1_k_means.html"
    if not (SITE / path).is_file():
        pytest.skip(f"{path} is not in the site")
    page, log = _load(open_page, site_url, path)
    section = page.locator("section#practice")
    assert "is not implemented yet" in section.inner_text()
    rows = section.locator("table.mlsheet-practice-table tbody tr")
    assert rows.count() >= 4 and rows.count() == section.locator("tr.pass").count()
    ladder = section.locator("details.mlsheet-hint")
    assert ladder.count() >= 3
    key = section.get_by_text("The key line")
    assert not key.is_visible()                               # hidden inside the first rung
    ladder.first.locator("> summary").click()
    hints = ladder.count()
    for i in range(1, hints - 1):                             # open every hint rung down to the key line
        ladder.nth(i).locator("> summary").click()
    assert key.is_visible()
    code = ladder.last.locator("pre")
    assert not code.first.is_visible()                         # the book's code still hidden
    ladder.last.locator("> summary").click()
    assert code.first.is_visible() and "def kmeans" in ladder.last.inner_text()
    _assert_clean(log, path)

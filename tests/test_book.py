"""The book's structure: headings, table of contents, and the anatomy of every notebook."""

import json
import re

import pytest
import yaml

from mlsheet_utils.tools import book

NOTEBOOKS = book.notebooks()
IDS = sorted(NOTEBOOKS, key=book.order_key)


def cells(nb, cell_type=None, tag=None):
    return [c for c in nb["cells"]
            if (cell_type is None or c["cell_type"] == cell_type)
            and (tag is None or tag in c.get("metadata", {}).get("tags", []))]


def src(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def html_of(cell):
    out = []
    for o in cell.get("outputs", []):
        data = o.get("data", {})
        out.append("".join(data.get("text/html", "")))
    return "".join(out)


# -- headings -----------------------------------------------------------------------------------------

def test_headings_list_is_complete():
    hs = book.headings()
    assert sum(h.parent is None for h in hs) == 5
    assert len(book.sections()) == 152
    ids = [h.id for h in hs]
    assert len(ids) == len(set(ids))
    assert all(book.ID_PATTERN.match(h.id) or h.parent is None for h in hs)


def test_headings_are_in_sheet_order():
    def key(i):
        return tuple(int(p) for p in i.split("."))
    ids = [h.id for h in book.headings()]
    assert ids == sorted(ids, key=key)


def test_notebook_paths_sort_like_the_sheet():
    paths = [book.notebook_path(h).name for h in book.sections() if h.chapter == "1"]
    assert paths == sorted(paths)


def test_at_least_the_model_notebooks_exist():
    assert {"1.3", "3.23.1", "4.18.2", "5.14"} <= set(NOTEBOOKS)


def test_toc_is_current_and_in_sheet_order():
    committed = yaml.safe_load(book.TOC.read_text(encoding="utf-8"))
    assert committed == book.toc(), "_toc.yml is out of date: run `make toc`"
    listed = [s["file"] for ch in committed["chapters"] for s in ch.get("sections", [])]
    nb_files = [p.relative_to(book.ROOT).with_suffix("").as_posix() for p in (NOTEBOOKS[i] for i in IDS)]
    assert [f for f in listed if f in nb_files] == nb_files


def test_every_notebook_is_in_its_chapter_folder():
    for hid, path in NOTEBOOKS.items():
        assert path.parent.name == book.CHAPTER_DIRS[hid.split(".")[0]], path


# -- anatomy, per notebook ----------------------------------------------------------------------------

@pytest.fixture(params=IDS)
def nb(request):
    return request.param, book.read_notebook(NOTEBOOKS[request.param])


def test_metadata_matches_headings(nb):
    hid, data = nb
    meta = data["metadata"]["mlsheet"]
    heading = next(h for h in book.sections() if h.id == hid)
    assert meta["title"] == heading.title
    first = src(data["cells"][0])
    assert data["cells"][0]["cell_type"] == "markdown"
    assert first.split("\n", 1)[0] == f"# {hid} {heading.display_title}", \
        f"the first cell must start with '# {hid} {heading.display_title}' (the title without the sheet's colon)"
    summary = first.split("\n", 1)[1].strip() if "\n" in first else ""
    assert len(summary.split()) >= 20, "the title needs a 2-4 sentence summary"


def test_setup_is_seeded(nb):
    hid, data = nb
    setup = cells(data, "code", "setup")
    assert setup, "no cell tagged 'setup'"
    text = src(setup[0])
    assert "default_rng(" in text and "use_style()" in text
    assert "np.random.seed" not in "".join(src(c) for c in cells(data, "code"))


def test_every_code_cell_ran_without_error(nb):
    hid, data = nb
    for c in cells(data, "code"):
        assert c.get("execution_count") is not None, f"{hid}: a code cell was not executed"
        assert not [o for o in c.get("outputs", []) if o["output_type"] == "error"], f"{hid}: error output"


def test_no_stored_output_is_a_warning(nb):
    """A warning printed to stderr is noise on the site, and it carries this machine's paths, so nbval fails on
    any other checkout: silence it at its source (or pass the argument the library asks for)."""
    hid, data = nb
    for c in cells(data, "code"):
        stderr = [o for o in c.get("outputs", []) if o.get("name") == "stderr"]
        assert not stderr, f"{hid}: a cell stored stderr output: {''.join(stderr[0]['text'])[:200]}"
        assert str(book.ROOT) not in json.dumps(c.get("outputs", [])), f"{hid}: an output names this checkout's path"


@pytest.fixture(scope="module")
def myst():
    """MyST's Markdown parser with the book's maths syntax, rendering to HTML."""
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    return create_md_parser(MdParserConfig(enable_extensions={"dollarmath", "amsmath"}), RendererHTML)


def test_numbered_lists_stay_lists(nb, myst):
    """A display-maths block inside a list item must be indented with the item: at the margin it ends the list,
    and the next items run on inside a paragraph ("... ones. 2. Expansion: ...")."""
    hid, data = nb
    for c in cells(data, "markdown"):
        for para in re.findall(r"<p>(.*?)</p>", myst.render(src(c)), flags=re.S):
            assert not re.search(r"[.:;]\s[2-9]\.\s(<strong>|[A-Z])", para), \
                f"{hid}: a list item ran into a paragraph: {para[:160]}"


def test_markdown_sections_present(nb):
    hid, data = nb
    heads = [line for c in cells(data, "markdown") for line in src(c).splitlines() if line.startswith("## ")]
    for needed in ("## Idea", "## Derivation", "## Implementation", "## Check against a reference",
                   "## Explore", "## Interview questions", "## See also"):
        assert any(h.startswith(needed) for h in heads), f"{hid}: missing section {needed!r}"


def test_derivation_asserts(nb):
    hid, data = nb
    derivations = cells(data, "code", "derivation")
    assert derivations, "no cell tagged 'derivation'"
    text = "".join(src(c) for c in derivations)
    assert "import sympy" in "".join(src(c) for c in cells(data, "code", "setup")) or "sp." in text
    assert "check_identity(" in text or re.search(r"^\s*assert ", text, re.M)


def test_implementation_present(nb):
    hid, data = nb
    text = "".join(src(c) for c in cells(data, "code", "implementation"))
    assert "show_source(" in text, "the implementation cell shows the package's code with show_source"


def test_reference_check_asserts(nb):
    hid, data = nb
    text = "".join(src(c) for c in cells(data, "code", "reference-check"))
    assert re.search(r"check_close\(|check_gradient\(|^\s*assert ", text, re.M), f"{hid}: no assertion"
    outputs = "".join("".join(o.get("text", "")) for c in cells(data, "code", "reference-check")
                      for o in c.get("outputs", []))
    assert "OK " in outputs or "assert" in text


_EXPLORER = re.compile(r"\bExplorer\(|\b\w+_explorer\(")


def test_widget_present_swept_and_saved(nb):
    hid, data = nb
    wcells = cells(data, "code", "widget")
    assert wcells, "no cell tagged 'widget'"
    built = [len(_EXPLORER.findall(src(c))) for c in wcells]      # an Explorer, or a package factory of one
    assert sum(built), "the widget cell builds no Explorer"
    views = [o for c in wcells for o in c.get("outputs", [])
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert views, f"{hid}: the widget cell has no widget output"
    sweeps = "".join(src(c) for c in cells(data, "code", "widget-check"))
    assert sweeps.count("check_sweep(") >= sum(built)
    state = data["metadata"].get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    models = state.get("state", {})
    for view in views:
        model_id = view["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
        assert model_id in models, f"{hid}: widget state not saved (run make execute)"
    images = [m for m in models.values() if m.get("model_name") == "ImageModel"]
    assert images and all(m.get("buffers") or m["state"].get("value") for m in images), \
        f"{hid}: the saved widget state has no plot image"


SHEET = book.ROOT.parent / "shared" / "seed" / "000_62d21d0ce9ffba61.txt"
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$]*\$", re.S)
_QUOTE = re.compile(r'"([^"\n]+)"|\u201c([^\u201d\n]+)\u201d')


def _words(text):
    return _WORD.findall(_MATH.sub(" ", text).lower())


def box_bodies(data):
    """``(kind, class, body)`` of every admonition in the markdown cells."""
    found = []
    for cell in cells(data, "markdown"):
        text = src(cell)
        for m in re.finditer(r"^(`{3,}|:{3,})\{admonition\}(.*)\n((?:.*\n)*?)\1\s*$", text, re.M):
            head, body = m.group(2).strip(), m.group(3)
            kind = re.match(r"(Correction|Beyond the sheet):", head)
            cls = re.search(r"^:class:\s*(\S+)", body, re.M)
            found.append((kind.group(1) if kind else head, cls.group(1) if cls else None,
                          re.sub(r"^:[\w-]+:.*\n", "", body, flags=re.M)))
    return found


def test_boxes_are_corrections_or_beyond_the_sheet_notes(nb):
    hid, data = nb
    for kind, cls, _ in box_bodies(data):
        assert kind in ("Correction", "Beyond the sheet"), f"{hid}: a box titled {kind!r}"
        assert cls == {"Correction": "warning", "Beyond the sheet": "note"}[kind], f"{hid}: {kind} box with {cls}"


def test_corrections_quote_the_sheet(nb):
    """A correction quotes the sheet's words (under 8 of them), and the quote is really on the sheet."""
    hid, data = nb
    if not SHEET.exists():
        pytest.skip(f"the sheet is not at {SHEET}")
    sheet = " " + " ".join(_words(SHEET.read_text(encoding="utf-8"))) + " "
    for kind, _, body in box_bodies(data):
        if kind != "Correction":
            continue
        quotes = [q for pair in _QUOTE.findall(body) for q in pair if q]
        on_sheet = [q for q in quotes if 0 < len(_words(q)) < 8 and f" {' '.join(_words(q))} " in sheet]
        assert on_sheet, f"{hid}: a correction box quotes no words of the sheet (found {quotes})"


def test_corrections_demonstrated(nb):
    hid, data = nb
    kinds = [kind for kind, _, _ in box_bodies(data)]
    asserting = re.compile(r"^\s*assert |check_identity\(|check_close\(|checks\.(below|above|between)\(", re.M)
    demos = cells(data, "code", "correction")
    if "Correction" in kinds:
        assert demos, f"{hid}: a correction box without a code cell tagged 'correction'"
    assert all(asserting.search(src(c)) for c in demos), f"{hid}: a 'correction' cell that asserts nothing"
    assert all(asserting.search(src(c)) for c in cells(data, "code", "beyond-sheet")), \
        f"{hid}: a 'beyond-sheet' cell that asserts nothing"
    if "Correction" not in kinds:
        assert not demos, f"{hid}: cells tagged 'correction' but no correction box (tag them 'beyond-sheet')"


def test_interview_questions_hidden(nb):
    hid, data = nb
    qcells = cells(data, "code", "interview")
    assert qcells, "no cell tagged 'interview'"
    assert "remove-input" in qcells[0]["metadata"]["tags"]
    html = "".join(html_of(c) for c in qcells)
    assert html.count("<details") >= 3, f"{hid}: fewer than 3 hidden answers"


def test_setup_input_hidden(nb):
    hid, data = nb
    tags = cells(data, "code", "setup")[0]["metadata"]["tags"]
    assert "hide-input" in tags or "remove-input" in tags


_TEXT_SEGMENT = re.compile(r"\\text\{([^{}]*)\}")


def test_derivation_labels_typeset_their_maths(nb):
    """A derivation label writes its symbols as $...$ TeX (label_latex), so no subscript, power or norm is left as
    plain text beside the typeset formula: the stored LaTeX's \\text{...} segments hold words only."""
    hid, data = nb
    leaks = []
    for cell in data["cells"]:
        if cell["cell_type"] != "code":
            continue
        for out in cell.get("outputs", []):
            latex = out.get("data", {}).get("text/latex", "")
            latex = "".join(latex) if isinstance(latex, list) else latex
            for m in re.finditer(r"\\quad", latex):        # the label is everything before the first \quad
                head = latex[:m.start()]
                leaks += [t for t in _TEXT_SEGMENT.findall(head) if re.search(r"[_^]|\|\|", t)]
                break
    assert not leaks, f"{hid}: labels with plain-text maths (write it as $...$): {leaks[:3]}"

"""The generated appendix pages: current with the notebooks, and built from them correctly."""

import re

from mlsheet_utils.questions import interview
from mlsheet_utils.tools import book, pages


def test_appendix_pages_are_current():
    old = pages.stale()
    assert not old, f"out of date: {[p.name for p in old]}: run `make pages`"


def test_pages_are_in_the_toc():
    listed = {s["file"] for ch in book.toc()["chapters"] for s in ch.get("sections", [])}
    for path in (pages.CORRECTIONS_PAGE, pages.QUESTIONS_PAGE):
        assert path.relative_to(book.ROOT).with_suffix("").as_posix() in listed


def test_every_box_and_question_is_listed_once_under_its_kind():
    secs = pages.sections()
    corrections, questions = pages.corrections_page(secs), pages.questions_page(secs)
    fixes, _, notes = corrections.partition("\n## Beyond the sheet\n")
    n_boxes = 0
    for s in secs:
        for cell in s.cells:
            text = "".join(cell.get("source", ""))
            if cell.get("cell_type") == "markdown":
                n_boxes += text.count("{admonition}")
        for box in pages.boxes(s):
            entry = f"- [{box.title}](#{box.name})"
            assert box.name == box.expected, (s.id, box.title)
            assert (fixes if box.kind == "Correction" else notes).count(entry) == 1, (s.id, box.title)
        q = pages.interview_questions(s)
        if q is not None:
            assert f"[{s.id} " in questions
            assert all(f". {line}" in questions for line in q.questions)
    assert corrections.count("\n- [") == n_boxes, "a box the page does not list"


def test_links_point_at_notebooks_that_exist():
    for text in pages.pages().values():
        for target in re.findall(r"\]\(([^)#]+\.ipynb)(?:#[\w-]+)?\)", text):
            assert (pages.APPENDIX / target).resolve().is_file(), target


def _section(cells, hid="3.23.1"):
    return pages.Section(hid, "K-Means", book.BOOK / "03_classical_ml" / "03_23_1_k_means.ipynb", tuple(cells))


def _md(text):
    return {"cell_type": "markdown", "source": text, "metadata": {}}


def test_boxes_are_numbered_per_kind_and_named(tmp_path):
    cells = [_md("# 3.23.1 K-Means\n\nsummary"),
             _md("## Corrections to the sheet\n\n```{admonition} Correction: the \"$\\le$\" rule\n:class: warning\n"
                 "text\n```"),
             _md("```{admonition} Beyond the sheet: a caveat\n:class: note\n:name: wrong-name\nmore\n```\n\n"
                 "```{admonition} Correction: second\n:class: warning\nmore\n```")]
    found = pages.boxes(_section(cells))
    assert [(b.kind, b.title, b.name, b.expected) for b in found] == [
        ("Correction", 'the "$\\le$" rule', None, "correction-3-23-1-1"),
        ("Beyond the sheet", "a caveat", "wrong-name", "beyond-3-23-1-1"),
        ("Correction", "second", None, "correction-3-23-1-2")]
    import nbformat
    nb = nbformat.v4.new_notebook(cells=[nbformat.from_dict(c) for c in cells],
                                  metadata={"mlsheet": {"id": "3.23.1", "title": "K-Means"}})
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, str(path))
    assert pages.name_boxes(path) and not pages.name_boxes(path)
    named = pages.boxes(pages.Section("3.23.1", "K-Means", path, tuple(nbformat.read(str(path), 4).cells)))
    assert all(b.name == b.expected for b in named)
    assert ":class: note\n:name: beyond-3-23-1-1\nmore" in nbformat.read(str(path), 4).cells[2].source


def test_repeated_headings_get_numbered_anchors():
    cells = [_md("## Notes"), _md("## Notes"), _md("### A `code` *title*")]
    assert [a for _, _, a in pages.heading_anchors(cells)] == ["notes", "notes-1", "a-code-title"]


def test_questions_come_from_the_interview_cell_as_data():
    shown = interview([("Why is \\(J\\) *monotone*?", "because"), ("What is <code>k</code>_1 [x]?", "a"),
                       ("Third?", "c")])
    bundle, metadata = shown._repr_mimebundle_()
    cells = [_md("## Interview questions"),
             {"cell_type": "code", "source": "interview(...)", "metadata": {"tags": ["interview", "remove-input"]},
              "outputs": [{"output_type": "execute_result", "data": bundle, "metadata": metadata}]}]
    q = pages.interview_questions(_section(cells))
    assert q.anchor == "interview-questions"
    assert q.questions == ("Why is {math}`J` \\*monotone\\*?", "What is <code>k</code>\\_1 \\[x\\]?", "Third?")
    # The HTML alone is not read back: the index takes the questions from the data.
    cells[1]["outputs"][0]["metadata"] = {}
    assert pages.interview_questions(_section(cells)) is None


def test_html_to_myst_unescapes_math():
    assert pages.html_to_myst("cost \\(a &lt; b\\) and $5") == "cost {math}`a < b` and \\$5"


def test_check_mode_reports_stale_pages(tmp_path, monkeypatch):
    monkeypatch.setattr(pages, "CORRECTIONS_PAGE", tmp_path / "corrections.md")
    monkeypatch.setattr(pages, "QUESTIONS_PAGE", tmp_path / "interview_questions.md")
    monkeypatch.setattr(pages, "pages", lambda: {tmp_path / "corrections.md": "a\n",
                                                 tmp_path / "interview_questions.md": "b\n"})
    monkeypatch.setattr(book, "ROOT", tmp_path)
    monkeypatch.setattr(book, "notebooks", dict)        # never touch the real notebooks from a unit test
    assert pages.main(["--check"]) == 1
    assert pages.main([]) == 0
    assert pages.main(["--check"]) == 0


def test_cells_hidden_on_the_site_are_collapsed_in_lab():
    interview = {"cell_type": "code", "source": "interview(...)", "metadata": {"tags": ["interview", "remove-input"]}}
    setup = {"cell_type": "code", "source": "import numpy", "metadata": {"tags": ["setup", "hide-input"]}}
    sweep = {"cell_type": "code", "source": "check_sweep(ex)", "metadata": {"tags": ["widget-check", "hide-input"]}}
    plain = {"cell_type": "code", "source": "x = 1", "metadata": {"tags": ["derivation"]}}
    hidden = {"source_hidden": True}
    assert pages.cell_visibility(interview) == {"tags": ["interview", "remove-input"], "jupyter": hidden}
    assert pages.cell_visibility(setup)["jupyter"] == {"source_hidden": True}
    assert pages.cell_visibility(sweep) == {"tags": ["widget-check", "remove-cell"], "jupyter": hidden}
    assert pages.cell_visibility(plain) == plain["metadata"]
    nb = {"cells": [interview, plain, {"cell_type": "markdown", "source": "x", "metadata": {}}, sweep]}
    assert pages.unsynced_cells(nb) == [0, 3]
    assert interview["metadata"] == {"tags": ["interview", "remove-input"]}, "cell_visibility must not mutate"


def test_every_notebook_is_collapsed_as_on_the_site():
    for hid, path in book.notebooks().items():
        assert not pages.unsynced_cells(book.read_notebook(path)), f"{hid}: run `make pages`"

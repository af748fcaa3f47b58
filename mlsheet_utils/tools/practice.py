"""Write each page's *Practice* section from its exercise (``mlsheet_utils.practice``).

The section goes right before ``## Interview questions`` and holds, in this order:

1. a markdown cell: what to write, how hard it is, what the checks are;
2. the stub (tag ``practice``): the exercise's signature and docstring as ``my_<name>`` with an empty body,
   then ``practice.check(my_<name>)``. Stored, it answers "not implemented yet"; a reader fills the body;
3. the hint ladder (tag ``practice-hints``, input removed): hint, key line, the book's code;
4. the book's own implementation through the same checks (tag ``practice-solution``, input hidden), so nbval
   re-runs every check on every test run.

Command line::

    python -m mlsheet_utils.tools.practice [--check] [paths ...]

writes the cells (outputs cleared where a cell changed: re-execute the page) or, with ``--check``, lists the
pages whose section is missing or differs from what the exercise would write.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from mlsheet_utils import practice
from mlsheet_utils.checks.practice import Exercise
from mlsheet_utils.tools import book, pages

TAGS = ("practice-intro", "practice", "practice-hints", "practice-solution")


def cells_for(ex: Exercise) -> list[dict]:
    """The section's cells for exercise ``ex`` (sources and tags; outputs are left to execution)."""
    mine = f"my_{ex.name}"
    stub = ex.stub().replace(f"def {ex.name}(", f"def {mine}(", 1)
    stars = "★" * ex.difficulty + "☆" * (3 - ex.difficulty)
    n_checks = len(ex.checks())
    intro = (
        f"## Practice\n\n"
        f"Write `{ex.name}` yourself ({practice.DIFFICULTY[ex.difficulty]}, {stars}). The next cell holds its "
        f"signature and docstring with an empty body: fill it in and run the cell. `practice.check` then puts "
        f"your function through {n_checks} checks: it compares your answers with {_reference(ex)} on fresh "
        f"random inputs, from the smallest size up, tries the edge cases and the properties this page relies "
        f"on, and makes sure your inputs come back unchanged. For every check that fails it shows the smallest "
        f"input it found, the expected and the obtained value. The hints below the cell open one rung at a "
        f"time; the last rung is the book's own code. See every exercise in "
        f"[the practice appendix](../appendix/practice.md)."
    )
    code = f"from mlsheet_utils import practice\n\n\n{stub}\n\npractice.check({mine})"
    hints = f"practice.hints({ex.section!r})"
    solution = ("# the book's implementation through the same checks\n"
                f"practice.check(practice.exercise({ex.section!r}).solution)")
    return [
        _cell("markdown", intro, ["practice-intro"]),
        _cell("code", code, ["practice"]),
        _cell("code", hints, ["practice-hints", "remove-input"]),
        _cell("code", solution, ["practice-solution", "hide-input"]),
    ]


def _reference(ex: Exercise) -> str:
    doc = (ex.reference.__doc__ or "").strip().splitlines()
    return doc[0].rstrip(".") if doc else "an independent reference"


def _cell(kind: str, source: str, tags: list[str]) -> dict:
    cell = {"cell_type": kind, "id": f"{tags[0]}", "metadata": {"tags": tags}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[], metadata=pages.cell_visibility(cell))
    return cell


def _tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _src(cell) -> str:
    s = cell["source"]
    return s if isinstance(s, str) else "".join(s)


def current(nb: dict) -> list[dict]:
    """The notebook's practice cells as they are."""
    return [c for c in nb["cells"] if set(_tags(c)) & set(TAGS)]


def is_current(nb: dict, ex: Exercise) -> bool:
    have = current(nb)
    want = cells_for(ex)
    return len(have) == len(want) and all(
        _src(h) == _src(w) and _tags(h) == _tags(w) and h["cell_type"] == w["cell_type"] for h, w in zip(have, want))


def write(path: Path, ex: Exercise) -> bool:
    """Insert or refresh the section; return whether the file changed. Unchanged cells keep their outputs."""
    nb = book.read_notebook(path)
    if is_current(nb, ex):
        return False
    old = {_src(c): c for c in current(nb)}
    cells = [c for c in nb["cells"] if not set(_tags(c)) & set(TAGS)]
    at = next((i for i, c in enumerate(cells) if c["cell_type"] == "markdown"
               and _src(c).lstrip().startswith("## Interview questions")), None)
    if at is None:
        raise ValueError(f"{path}: no '## Interview questions' heading to put the practice section before")
    new = []
    for cell in cells_for(ex):
        kept = old.get(_src(cell))
        if kept is not None and _tags(kept) == _tags(cell):
            cell = kept
        new.append(cell)
    nb["cells"] = cells[:at] + new + cells[at:]
    nbformat.write(nbformat.from_dict(nb), str(path))
    return True


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mlsheet_utils.tools.practice", description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", help="notebooks (default: every page with an exercise)")
    ap.add_argument("--check", action="store_true", help="only list the pages whose section is not current")
    args = ap.parse_args(argv)
    pages = book.notebooks()
    wanted = {str(Path(p).resolve()) for p in args.paths}
    stale = []
    for section, ex in practice.exercises().items():
        path = pages.get(section)
        if path is None:
            raise SystemExit(f"exercise {section} has no notebook")
        if wanted and str(path.resolve()) not in wanted:
            continue
        if args.check:
            if not is_current(book.read_notebook(path), ex):
                stale.append(path)
        elif write(path, ex):
            print(f"wrote the practice section of {path.relative_to(book.ROOT)}")
    for path in stale:
        print(f"practice section missing or stale: {path.relative_to(book.ROOT)}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())

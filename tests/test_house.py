"""The rules of the package's house, checked over the whole tree.

- one source of truth: a notebook never defines a function or class whose name the package already has, and
  an ``implementation`` cell shows package code instead of defining its own;
- algorithm code never imports display code, tooling or checks;
- pages do not import the book's tooling, and carry no benchmark plumbing;
- the package's docstrings and comments do not name the sections that use them, nor timings: both go stale.
"""

import ast
import re
from pathlib import Path

import nbformat
import pytest

from mlsheet_utils.tools import book

PACKAGE = book.ROOT / "mlsheet_utils"
NOTEBOOKS = sorted(book.notebooks().values())


def _modules(folder: Path = PACKAGE):
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _top_level_names(tree: ast.Module) -> set[str]:
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def package_names() -> dict[str, str]:
    """Public top-level function and class names of the package -> the module defining them."""
    names = {}
    for path in _modules():
        if "tools" in path.relative_to(PACKAGE).parts:      # make's tooling, never imported by a page
            continue
        for name in _top_level_names(ast.parse(path.read_text(encoding="utf-8"))):
            if not name.startswith("_"):
                names.setdefault(name, path.relative_to(book.ROOT).as_posix())
    return names


def _code_cells(path: Path):
    for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type == "code":
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:          # cell magics; the notebook tests run them
                continue
            yield i, cell, tree


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_does_not_shadow_the_package(path):
    owned = package_names()
    clashes = [f"cell {i}: {name} (the package has it in {owned[name]})"
               for i, _, tree in _code_cells(path) for name in sorted(_top_level_names(tree)) if name in owned]
    assert not clashes, "define it once, in the package, and show it with show_source: " + "; ".join(clashes)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_implementation_cells_show_package_code(path):
    local = [f"cell {i}: {sorted(_top_level_names(tree))}" for i, cell, tree in _code_cells(path)
             if "implementation" in cell.metadata.get("tags", []) and _top_level_names(tree)]
    assert not local, "an implementation lives in mlsheet_utils.algorithms, shown with show_source: " + str(local)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_pages_carry_no_tooling(path):
    text = path.read_text(encoding="utf-8")
    for needle in ("mlsheet_utils.tools", "register_speed", "bench_args"):
        assert needle not in text, f"{needle} belongs to make bench (mlsheet_utils/tools), not to a page"


DISPLAY = ("mlsheet_utils.explore", "mlsheet_utils.tools", "mlsheet_utils.checks", "mlsheet_utils.questions",
           "matplotlib", "ipywidgets", "IPython")


def _imports(tree: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", _modules(PACKAGE / "algorithms"), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_algorithms_never_import_display_code(path):
    bad = sorted(m for m in _imports(ast.parse(path.read_text(encoding="utf-8")))
                 if any(m == d or m.startswith(d + ".") for d in DISPLAY))
    assert not bad, f"algorithm code imports {bad}"


_STALE = [re.compile(r"\bsections?\s+\d+\.\d+", re.I), re.compile(r"\bchapter\s+\d\b", re.I),
          re.compile(r"\((?:sections?\s+)?\d\.\d{1,2}(?:\.\d)?(?:,\s*\d\.\d{1,2}(?:\.\d)?)*\)"),
          re.compile(r"\b\d+(?:\.\d+)?\s*(?:ms|us|µs)\b")]


def _prose(path: Path):
    """Docstrings and comments of a module, with their line numbers."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                yield (node.body[0].lineno if node.body else 1), doc
    for i, line in enumerate(source.splitlines(), 1):
        if "#" in line:
            yield i, line[line.index("#"):]


@pytest.mark.parametrize("path", [p for p in _modules() if "tools" not in p.parts],
                         ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_package_prose_names_no_sections_or_timings(path):
    # a practice module is keyed by section ids (each exercise's first argument), so its comments may name them
    rules = _STALE[-1:] if "practice" in path.relative_to(PACKAGE).parts[:1] else _STALE
    hits = [f"line {line}: {m.group(0)!r}" for line, text in _prose(path) for rx in rules for m in rx.finditer(text)]
    assert not hits, "sections and timings go stale in a docstring or comment: " + "; ".join(hits)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_maths_in_docstrings_is_written_raw(path):
    """Pages show package source (``show_source``): a docstring's TeX must read ``\\frac``, not ``\\\\frac``, so a
    triple-quoted string with escaped backslashes is written as a raw string instead."""
    import io
    import tokenize

    bad = []
    for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        if tok.type != tokenize.STRING:
            continue
        prefix = re.match(r"[a-zA-Z]*", tok.string).group(0).lower()
        if tok.string[len(prefix):].startswith(('"""', "'''")) and "r" not in prefix and "\\\\" in tok.string:
            bad.append(f"line {tok.start[0]}")
    assert not bad, f"write these strings as r\"\"\"...\"\"\" with single backslashes: {', '.join(bad)}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_docstrings_hold_no_control_characters(path):
    r"""In a docstring without the ``r`` prefix, ``\bar x`` is a backspace and ``ar x``, and ``\top`` or ``\text``
    starts with a tab: the page then shows broken maths. The source file must not hold a tab or a carriage return
    either (such a string, once written out to a file, leaves them there)."""
    bad = [f"line {line}: {sorted({hex(ord(c)) for c in doc if c in CONTROL})}" for line, doc in _prose(path)
           if any(c in CONTROL for c in doc)]
    raw = path.read_bytes()
    bad += [f"a {name} byte in the file" for byte, name in ((b"\t", "tab"), (b"\r", "carriage return")) if byte in raw]
    assert not bad, "; ".join(bad)


CONTROL = frozenset("\t\r\x07\x08\x0b\x0c")

"""Practice mode: the engine, every exercise (book's code passes, empty stub, wrong code caught), the pages."""

import re
import warnings

import numpy as np
import pytest

from mlsheet_utils import practice
from mlsheet_utils.checks import practice as engine
from mlsheet_utils.checks.mutation import Mutant
from mlsheet_utils.tools import book
from mlsheet_utils.tools import practice as practice_tool

EXERCISES = practice.exercises()


# -- the engine -----------------------------------------------------------------------------------------------

def _square_ref(x):
    """a loop"""
    return np.array([v * v for v in x])


def _inputs(rng, size):
    return {"x": rng.normal(size=size)}


@engine.as_exercise("9.9", reference=_square_ref, inputs=_inputs, hints=("square it",), key_line="x * x",
                    edge_cases={"zero": {"x": np.zeros(1)}},
                    properties={"non-negative": lambda kw, out: np.all(np.asarray(out) >= 0)})
def square(x):
    """Square every entry."""
    return np.asarray(x) ** 2


def test_a_correct_function_passes_every_check():
    report = square.check(lambda x: x * x)
    assert report.passed and [r.passed for r in report.rows] == [True] * 4
    assert report.rows[0].cases == len(engine.SIZES) * engine.DRAWS


def test_the_smallest_failing_input_is_reported_with_expected_and_obtained():
    def wrong_when_long(x):
        return x * x + (len(x) >= 4)
    report = square.check(wrong_when_long)
    row = report.rows[0]
    assert not row.passed and row.input.startswith("x=[") and row.input.count(",") == 3   # size 4, not 16
    assert "expected" in row.obtained and "got" in row.obtained
    assert report.rows[1].passed                       # the size-1 edge case is fine


def test_a_crash_is_a_row_not_a_traceback():
    def crashes(x):
        return x / 0 if len(x) > 2 else (x * x)[:, None] if len(x) == 2 else x * x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = square.check(crashes)
    assert "has shape (2, 1), expected (2,)" in report.rows[0].obtained

    def raises(x):
        raise KeyError("boom")
    report = square.check(raises)
    assert report.rows[0].obtained == "raised KeyError: 'boom'"
    assert "FAIL" in str(report) and "<table" in report._repr_html_()


def test_an_empty_body_is_not_implemented_yet():
    def my_square(x):
        """Square every entry."""
        ...
    report = square.check(my_square)
    assert report.status == "not implemented" and not report.passed
    assert "not implemented yet" in str(report) and "4 checks" in str(report)

    def returns_none(x):
        return None
    returns_none.__module__ = "not a file"
    assert square.check(returns_none).status == "not implemented"


def test_changing_an_input_in_place_fails_its_own_check():
    def in_place(x):
        x *= x
        return x
    report = square.check(in_place)
    assert not report.rows[-1].passed and report.rows[-1].obtained == "changed x in place"


def test_a_property_failure_names_the_property():
    report = square.check(lambda x: -(x * x))
    assert not report.rows[2].passed and report.rows[2].check == "property: non-negative"


def test_compare_describes_the_difference():
    assert engine.compare((1.0, np.zeros(2)), (1.0, np.zeros(2))) is None
    assert engine.compare((1.0, 2.0), [1.0, 2.0]) is None                 # a list for a tuple is fine
    assert engine.compare((1.0, 2.0), (1.0,)) == "expected a tuple of 2, got a tuple of 1"
    assert engine.compare(np.array([1.0, 2.0]), np.array([1.0, 2.5])) == \
        "at index 1: expected 2, got 2.5 (1 of 2 entries differ)"
    assert engine.compare(np.nan, np.nan) is None and engine.compare(np.inf, -np.inf) is not None
    assert engine.compare("a", "b") == "expected 'a', got 'b'"


def test_string_arrays_and_plain_objects_as_inputs():
    assert engine.compare(np.array(["a", "b"]), np.array(["a", "b"])) is None
    assert engine.compare(np.array(["a", "b"]), np.array(["a", "c"])) == "expected ['a', 'b'], got ['a', 'c']"

    class Opaque:                      # no == of its own: a deep copy of it is not "changed in place"
        pass
    assert engine.compare({"f": Opaque()}, {"f": Opaque()}, _opaque_equal=True) is None
    assert engine.compare({"f": Opaque()}, {"f": Opaque()}) is not None


def test_an_exercise_needs_an_independent_reference_and_hints():
    with pytest.raises(ValueError, match="independent"):
        engine.Exercise("9.9", square.template, square.template, _inputs, hints=("h",), key_line="k")
    with pytest.raises(ValueError, match="hint"):
        engine.Exercise("9.9", square.template, _square_ref, _inputs)
    with pytest.raises(ValueError, match="expected a function"):
        square.check(3)
    with pytest.raises(ValueError, match="no practice exercise is called"):
        practice.check(lambda x: x)


def test_the_hint_ladder_nests_hint_key_line_and_code():
    text = square.hint_ladder().html()
    assert text.index("Hint") < text.index("The key line") < text.index("The book&#x27;s implementation")
    assert text.count("<details") == 3 and text.count("</details>") == 3
    assert "return np.asarray(x) ** 2" in text
    # the stored text names the HTML's digest, so nbval notices a ladder that no longer matches the code
    other = engine.Exercise("9.9", square.template, _square_ref, _inputs, hints=("cube it",), key_line="x * x")
    assert repr(square.hint_ladder()) != repr(other.hint_ladder())
    assert re.search(r"html sha256 [0-9a-f]{12}>$", repr(square.hint_ladder()))


# -- every exercise of the book ---------------------------------------------------------------------------------

@pytest.mark.parametrize("section", list(EXERCISES))
def test_the_books_solution_passes_without_warnings(section):
    ex = EXERCISES[section]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = ex.check(ex.solution)
    assert report.passed, str(report)


@pytest.mark.parametrize("section", list(EXERCISES))
def test_the_empty_stub_is_not_implemented_yet(section):
    ex = EXERCISES[section]
    namespace = {"np": np}
    exec(ex.stub(), namespace)                 # noqa: S102 - the stub the page shows
    assert ex.check(namespace[ex.name]).status == "not implemented"


@pytest.mark.parametrize("section", list(EXERCISES))
def test_a_wrong_implementation_fails_with_a_counterexample(section):
    """The mutation machinery's mutant (every number of the answer nudged by 0.1%) must be reported."""
    ex = EXERCISES[section]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = ex.check(Mutant(ex.solution))
    assert not report.passed
    shown = [r for r in report.failures if r.input and r.obtained]
    assert shown, str(report)


def test_exercise_names_are_unique_and_not_page_imports():
    names = [ex.name for ex in EXERCISES.values()]
    assert len(names) == len(set(names))


# -- the pages ----------------------------------------------------------------------------------------------------

PAGES = book.notebooks()


@pytest.mark.parametrize("section", list(EXERCISES))
def test_each_exercise_has_its_current_section_on_its_page(section):
    nb = book.read_notebook(PAGES[section])
    assert practice_tool.is_current(nb, EXERCISES[section]), \
        f"run: python -m mlsheet_utils.tools.practice {PAGES[section]} and re-execute the page"
    cells = practice_tool.current(nb)
    stub_out = "".join("".join(o.get("data", {}).get("text/plain", "")) for o in cells[1].get("outputs", []))
    assert "is not implemented yet" in stub_out
    solution_out = "".join("".join(o.get("data", {}).get("text/plain", "")) for o in cells[3].get("outputs", []))
    assert re.search(r": all \d+ checks passed", solution_out), solution_out


def test_every_page_has_a_practice_exercise_and_every_exercise_a_page():
    assert not [s for s in PAGES if s not in EXERCISES], "pages without a practice exercise"
    assert not [s for s in EXERCISES if s not in PAGES], "exercises without a page"


def _book_code_reached(func, seen=None) -> set[str]:
    """Names of the package's algorithm code that ``func`` reaches through its globals (followed through the
    practice module's own helpers, classes and lambdas)."""
    import types

    seen = set() if seen is None else seen
    if id(func) in seen:
        return set()
    seen.add(id(func))
    code = getattr(func, "__code__", None)
    if code is None:
        return set()
    names, stack = set(), [code]
    while stack:
        c = stack.pop()
        names |= set(c.co_names)
        stack += [k for k in c.co_consts if isinstance(k, types.CodeType)]
    found = {n for n in names if n.startswith("mlsheet_utils.") and not n.startswith("mlsheet_utils.practice")
             and n != "mlsheet_utils.checks.practice"}              # an import inside the function
    for name in names:
        value = func.__globals__.get(name)
        module = getattr(value, "__name__", "") if isinstance(value, types.ModuleType) else \
            getattr(value, "__module__", "") or ""
        if module.startswith("mlsheet_utils.") and not module.startswith(("mlsheet_utils.practice",
                                                                          "mlsheet_utils.checks.practice")):
            found.add(f"{name} ({module})")
        elif module.startswith("mlsheet_utils.practice"):
            if isinstance(value, type):
                for attr in vars(value).values():
                    found |= _book_code_reached(attr, seen)
            elif callable(value):
                found |= _book_code_reached(value, seen)
    return found


@pytest.mark.parametrize("section", list(EXERCISES))
def test_the_reference_is_independent_of_the_books_code(section):
    """A reference that calls the package's algorithms would check the book against itself."""
    ex = EXERCISES[section]
    assert not _book_code_reached(ex.reference), _book_code_reached(ex.reference)
    assert _book_code_reached(ex.template) or section in SOLUTION_IN_TEMPLATE, \
        "the template's body should call the book's implementation (or be the page's own code)"


#: Pages whose implementation is a notebook-local ``def``: the template's body is that code itself.
SOLUTION_IN_TEMPLATE: set[str] = set()

"""Practice mode: a reader's own implementation, judged by the checks the page judges the book's code with.

An :class:`Exercise` is one function a reader writes from scratch. It carries

- the **stub**: the function's signature and docstring, with an empty body (the ``template``'s);
- the **solution**: the book's implementation, in the exercise's signature;
- an independent **reference** (SciPy, scikit-learn, a closed form, a loop over the definition, exact
  enumeration), never the solution again;
- **inputs**: ``inputs(rng, size)`` draws fresh valid arguments of a given size, so a failure can be shown on
  the smallest size that fails;
- named **edge cases** (k = 1, ties, an empty cluster, a fully masked row ...) and **properties** the page
  asserts (a probability vector sums to 1, the objective does not increase ...);
- a **hint ladder**: hints, then the key line, then the book's code.

:meth:`Exercise.check` runs every check on a function and returns a :class:`Report`: one row per check, and for
a failing one the smallest input that shows it, the expected and the obtained value. A crash inside the
reader's function is a row too (its exception type and message), never a traceback; an empty body is answered
with "not implemented yet".

Sizes are tried from the smallest up and the search stops at the first failure, so the input shown is the
smallest of those drawn. Every draw is seeded by the exercise, the size and the draw index: the same function
gets the same report on every machine.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import hashlib
import html
import inspect
import re
import textwrap
from typing import Any, Callable, Mapping

import numpy as np

from mlsheet_utils.validation import check_callable, check_float, check_int

#: Sizes tried for the random inputs, smallest first, and draws per size.
SIZES = (1, 2, 3, 4, 6, 8, 12, 16)
DRAWS = 3


# -- comparing answers ----------------------------------------------------------------------------------------

def _leaves(value, path=""):
    """Flatten tuples, lists, dicts, named tuples and dataclasses into ``(path, leaf)`` pairs."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _leaves(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, tuple) and hasattr(value, "_fields"):
        for name, v in zip(value._fields, value):
            yield from _leaves(v, f"{path}.{name}")
    elif isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{path}[{i}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, f"{path}[{k!r}]")
    else:
        yield path, value


def _structure(value) -> str:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return type(value).__name__
    if isinstance(value, tuple):
        return f"a tuple of {len(value)}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(map(str, value))}"
    return type(value).__name__


def compare(expected, obtained, *, rtol: float = 1e-7, atol: float = 1e-9, _opaque_equal: bool = False) -> str | None:
    """``None`` when ``obtained`` matches ``expected`` leaf by leaf within ``rtol``/``atol``, else why not.

    Containers must have the same structure; arrays the same shape; numbers agree as in ``numpy.allclose``
    (NaN matches NaN, infinities match themselves); anything else must be equal. ``rtol`` and ``atol`` are >= 0.
    """
    rtol = check_float(rtol, "rtol", low=0)
    atol = check_float(atol, "atol", low=0)
    exp, obt = list(_leaves(expected)), list(_leaves(obtained))
    if len(exp) != len(obt) or [p for p, _ in exp] != [p for p, _ in obt]:
        return f"expected {_structure(expected)}, got {_structure(obtained)}"
    for (path, e), (_, o) in zip(exp, obt):
        where = f"output{path} " if path else ""
        if o is None and e is not None:
            return f"{where}is None"
        numeric_e = isinstance(e, (int, float, complex, np.number, np.ndarray, np.bool_))
        if isinstance(e, np.ndarray) and e.dtype.kind not in "biufc":        # strings, objects
            if not (isinstance(o, np.ndarray) and o.shape == e.shape and np.array_equal(e, o)):
                return f"{where}expected {show(e)}, got {show(o)}"
            continue
        if not numeric_e:
            if _opaque_equal and type(e).__eq__ is object.__eq__ and type(e) is type(o):
                continue                    # an object without its own == (a deep copy is never "equal")
            if e != o:
                return f"{where}expected {e!r}, got {o!r}"
            continue
        try:
            ea, oa = np.asarray(e), np.asarray(o)
            if oa.dtype == object:
                raise TypeError
            oa = oa.astype(np.result_type(ea.dtype, float) if ea.dtype.kind in "biuf" else ea.dtype)
        except (TypeError, ValueError):
            return f"{where}expected numbers, got {type(o).__name__}"
        if ea.shape != oa.shape:
            return f"{where}has shape {oa.shape}, expected {ea.shape}"
        ef = ea.astype(complex if ea.dtype.kind == "c" else float)
        ok = np.isclose(oa, ef, rtol=rtol, atol=atol, equal_nan=True)
        if not np.all(ok):
            idx = tuple(int(i) for i in np.argwhere(~ok)[0]) if ea.ndim else ()
            at = f"at index {idx if len(idx) > 1 else idx[0]}: " if idx else ""
            n_bad = int(np.size(ok) - np.count_nonzero(ok))
            more = f" ({n_bad} of {ok.size} entries differ)" if ok.size > 1 else ""
            return f"{where}{at}expected {_num(ef[idx] if idx else ef)}, got {_num(oa[idx] if idx else oa)}{more}"
    return None


def _num(x) -> str:
    x = np.asarray(x).item() if np.ndim(x) == 0 else x
    if isinstance(x, complex):
        return f"{x:.4g}"
    if isinstance(x, (float, int)):
        return f"{x:.6g}"
    return repr(x)


def show(value, limit: int = 160) -> str:
    """A short, readable text of an input or output (arrays with 4 significant digits, cut to ``limit`` >= 1
    characters)."""
    limit = check_int(limit, "limit", low=1)
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=4, suppress_small=True, separator=", ", threshold=12,
                               max_line_width=10**6)
        text = " ".join(text.split())
    elif isinstance(value, (float, np.floating)):
        text = f"{float(value):.6g}"
    elif isinstance(value, dict):
        text = ", ".join(f"{k}={show(v, limit)}" for k, v in value.items())
    elif isinstance(value, tuple) and hasattr(value, "_fields"):
        text = f"{type(value).__name__}(" + ", ".join(f"{k}={show(v, limit)}" for k, v in
                                                       zip(value._fields, value)) + ")"
    elif isinstance(value, (tuple, list)):
        inner = ", ".join(show(v, limit) for v in value)
        text = f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        text = f"{type(value).__name__}(" + ", ".join(
            f"{f.name}={show(getattr(value, f.name), limit)}" for f in dataclasses.fields(value)) + ")"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


# -- the exercise ---------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Row:
    """One check's outcome. ``input``, ``expected`` and ``obtained`` are filled for a failure."""

    check: str
    passed: bool
    cases: int
    input: str = ""
    expected: str = ""
    obtained: str = ""


@dataclasses.dataclass(frozen=True)
class Report:
    """What :meth:`Exercise.check` found: one :class:`Row` per check, rendered as a table."""

    function: str
    section: str
    rows: tuple[Row, ...]
    status: str = "checked"          # or "not implemented"

    @property
    def passed(self) -> bool:
        return self.status == "checked" and all(r.passed for r in self.rows)

    @property
    def failures(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if not r.passed)

    def summary(self) -> str:
        if self.status == "not implemented":
            return (f"{self.function} is not implemented yet: its body is empty. Write it, run the cell again, and "
                    f"{len(self.rows)} checks will judge it.")
        n_ok = sum(r.passed for r in self.rows)
        if self.passed:
            return f"{self.function}: all {len(self.rows)} checks passed ({sum(r.cases for r in self.rows)} cases)."
        return f"{self.function}: {n_ok} of {len(self.rows)} checks passed; {len(self.rows) - n_ok} failed."

    def __str__(self) -> str:
        lines = [self.summary()]
        if self.status == "not implemented":
            lines += [f"  - {r.check}" for r in self.rows]
            return "\n".join(lines)
        for r in self.rows:
            lines.append(f"  {'pass' if r.passed else 'FAIL'}  {r.check}")
            if not r.passed:
                lines += [f"        input:    {r.input}", f"        expected: {r.expected}",
                          f"        obtained: {r.obtained}"]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        esc = html.escape
        head = f'<p class="mlsheet-practice-summary"><b>{esc(self.summary())}</b></p>'
        if self.status == "not implemented":
            items = "".join(f"<li>{esc(r.check)}</li>" for r in self.rows)
            return f'<div class="mlsheet-practice">{head}<ul>{items}</ul></div>'
        detail = not self.passed          # the failure columns only when something failed
        body = "".join(
            f'<tr class="{"pass" if r.passed else "fail"}"><td>{"✔ pass" if r.passed else "✘ fail"}</td>'
            f"<td>{esc(r.check)}</td><td>{r.cases}</td>"
            + (f"<td><code>{esc(r.input)}</code></td><td><code>{esc(r.expected)}</code></td>"
               f"<td><code>{esc(r.obtained)}</code></td>" if detail else "") + "</tr>"
            for r in self.rows)
        extra = "<th>smallest failing input</th><th>expected</th><th>obtained</th>" if detail else ""
        return (f'<div class="mlsheet-practice">{head}<table class="mlsheet-practice-table"><thead><tr>'
                f"<th></th><th>check</th><th>cases</th>{extra}</tr></thead><tbody>{body}</tbody></table></div>")


def is_stub(func: Callable) -> bool:
    """True when ``func``'s body holds only a docstring, ``...``, ``pass`` or ``raise NotImplementedError``."""
    check_callable(func, "func")
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return False
    fn = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if fn is None:
        return False
    for stmt in fn.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue                                     # docstring or ...
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Raise) and stmt.exc is not None and "NotImplemented" in ast.unparse(stmt.exc):
            continue
        return False
    return True


Check = Callable[[Mapping[str, Any], Any], Any]


@dataclasses.dataclass(frozen=True)
class Exercise:
    """One from-scratch function to practise on (see the module docstring)."""

    section: str
    template: Callable                    # signature and docstring of the stub; its body is the book's solution
    reference: Callable                   # independent: same signature, same answer
    inputs: Callable[[np.random.Generator, int], dict]
    difficulty: int = 2
    edge_cases: Mapping[str, dict | Callable[[], dict]] = dataclasses.field(default_factory=dict)
    properties: Mapping[str, Check] = dataclasses.field(default_factory=dict)
    compare: Callable[[Any, Any], str | None] | None = None
    rtol: float = 1e-7
    atol: float = 1e-9
    hints: tuple[str, ...] = ()
    key_line: str = ""
    shows: tuple[Callable, ...] = ()     # the book's code shown on the last rung (default: the template)
    sizes: tuple[int, ...] = SIZES
    seed: int = 0

    def __post_init__(self):
        _check_section(self.section)
        if not (isinstance(self.hints, (tuple, list)) and self.hints
                and all(isinstance(h, str) and h.strip() for h in self.hints)):
            raise ValueError(f"exercise {self.section}: hints must be a non-empty tuple of non-empty strings, "
                             f"got {self.hints!r}")
        if not (isinstance(self.key_line, str) and self.key_line.strip()):
            raise ValueError(f"exercise {self.section}: key_line must be a non-empty string, got {self.key_line!r}")
        check_float(self.rtol, "rtol", low=0)
        check_float(self.atol, "atol", low=0)
        if not (isinstance(self.sizes, (tuple, list)) and self.sizes):
            raise ValueError(f"exercise {self.section}: sizes must be a non-empty tuple of integers >= 1, "
                             f"got {self.sizes!r}")
        for size in self.sizes:
            check_int(size, "sizes", low=1)
        check_int(self.seed, "seed", low=0)
        if not callable(self.template) or not callable(self.reference) or not callable(self.inputs):
            raise ValueError(f"exercise {self.section}: template, reference and inputs must be callables")
        if self.reference is self.template:
            raise ValueError(f"exercise {self.section}: the reference must be independent of the solution")
        if self.difficulty not in (1, 2, 3):
            raise ValueError(f"exercise {self.section}: difficulty must be 1, 2 or 3, got {self.difficulty!r}")
        if not self.hints or not self.key_line:
            raise ValueError(f"exercise {self.section}: give at least one hint and the key line")

    # -- what the reader sees ----------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.template.__name__

    @property
    def solution(self) -> Callable:
        return self.template

    def stub(self) -> str:
        """The template's ``def`` line(s) and docstring with an empty body: the cell the reader fills."""
        source = textwrap.dedent(inspect.getsource(self.template))
        tree = ast.parse(source)
        fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef))
        lines = source.splitlines()
        first_body = fn.body[0]
        has_doc = isinstance(first_body, ast.Expr) and isinstance(first_body.value, ast.Constant)
        end = first_body.end_lineno if has_doc else fn.body[0].lineno - 1
        start = fn.lineno - 1 if not fn.decorator_list else fn.decorator_list[-1].end_lineno
        head = "\n".join(lines[start:end])
        return f"{head}\n    ...  # your code here\n"

    def checks(self) -> list[str]:
        """The names of the checks, in the order they run."""
        names = [f"matches {_ref_name(self.reference)} on random inputs (sizes {self.sizes[0]} to "
                 f"{self.sizes[-1]})"]
        names += [f"edge case: {name}" for name in self.edge_cases]
        names += [f"property: {name}" for name in self.properties]
        names.append("leaves its inputs unchanged")
        return names

    def hint_ladder(self) -> "HintLadder":
        return HintLadder(self)

    # -- judging -----------------------------------------------------------------------------------------------
    def cases(self):
        """``(label, kwargs)`` for the random draws, smallest size first, then ``None`` for the edge cases."""
        for size in self.sizes:
            for draw in range(DRAWS):
                rng = np.random.default_rng([self.seed, size, draw])
                yield size, self.inputs(rng, size)

    def check(self, func: Callable) -> Report:
        """Run every check on ``func`` (the reader's function, or the book's) and return the report."""
        if not callable(func):
            raise ValueError(f"practice: expected a function to check (func), got {func!r}")
        name = "the book's " + self.name if func is self.template else getattr(func, "__name__", "your function")
        rows = self.checks()
        if is_stub(func):
            return Report(name, self.section, tuple(Row(r, False, 0) for r in rows), "not implemented")
        out: list[Row] = []
        random_cases = list(self.cases())
        edge = [(label, case() if callable(case) else case) for label, case in self.edge_cases.items()]
        mutated: list[tuple[str, str]] = []
        results: dict[int, tuple[Any, str | None]] = {}

        def run(kwargs):
            """The function's answer on ``kwargs`` (computed once per case), or the text of its crash."""
            if id(kwargs) in results:
                return results[id(kwargs)]
            args = copy.deepcopy(kwargs)
            try:
                got, err = func(**args), None
            except NotImplementedError:
                raise
            except Exception as exc:            # the reader's crash is reported, not raised
                got, err = None, f"raised {type(exc).__name__}: {exc}"[:300]
            if not mutated:
                for key, before in kwargs.items():
                    if compare(before, args[key], rtol=0, atol=0, _opaque_equal=True) is not None:
                        mutated.append((show(kwargs), f"changed {key} in place"))
                        break
            results[id(kwargs)] = got, err
            return got, err

        def judge(kwargs):
            got, err = run(kwargs)
            if err is not None:
                return err
            exp = self.reference(**copy.deepcopy(kwargs))
            if self.compare is not None:
                return self.compare(exp, got)
            return compare(exp, got, rtol=self.rtol, atol=self.atol)

        def failing(title, kwargs, why, expected=None):
            return Row(title, False, 0, show(kwargs), expected if expected is not None else
                       _expected_text(self, kwargs), why)

        try:
            # 0. a body that only returns None (``pass`` where the source cannot be read) is a stub too
            if all(run(kw)[0] is None and run(kw)[1] is None for _, kw in random_cases[:DRAWS]) and \
                    self.reference(**copy.deepcopy(random_cases[0][1])) is not None:
                raise NotImplementedError
            # 1. random inputs, smallest size first: stop at the first failure
            row = Row(rows[0], True, 0)
            for n, (_, kwargs) in enumerate(random_cases, 1):
                why = judge(kwargs)
                row = Row(rows[0], True, n) if why is None else dataclasses.replace(
                    failing(rows[0], kwargs, why), cases=n)
                if why is not None:
                    break
            out.append(row)
            # 2. edge cases
            for (_, kwargs), title in zip(edge, rows[1:1 + len(edge)]):
                why = judge(kwargs)
                out.append(Row(title, True, 1) if why is None else dataclasses.replace(
                    failing(title, kwargs, why), cases=1))
            # 3. properties, on every input
            every = [kw for _, kw in random_cases] + [kw for _, kw in edge]
            for prop, title in zip(self.properties.values(), rows[1 + len(edge):-1]):
                row = Row(title, True, 0)
                for n, kwargs in enumerate(every, 1):
                    got, err = run(kwargs)
                    why = err if err is not None else _property_failure(prop, kwargs, got)
                    row = Row(title, True, n) if why is None else dataclasses.replace(
                        failing(title, kwargs, why, "the property holds"), cases=n)
                    if why is not None:
                        break
                out.append(row)
        except NotImplementedError:
            return Report(name, self.section, tuple(Row(r, False, 0) for r in rows), "not implemented")
        n_all = len(random_cases) + len(edge)
        out.append(Row(rows[-1], True, n_all) if not mutated else
                   Row(rows[-1], False, n_all, mutated[0][0], "inputs unchanged", mutated[0][1]))
        return Report(name, self.section, tuple(out))


def _ref_name(ref) -> str:
    return getattr(ref, "__doc__", None) and ref.__doc__.strip().splitlines()[0].rstrip(".") or "the reference"


def _expected_text(ex: Exercise, kwargs) -> str:
    try:
        return show(ex.reference(**copy.deepcopy(kwargs)))
    except Exception as exc:                    # pragma: no cover - a reference that fails is a book bug
        return f"(reference raised {type(exc).__name__})"


def _property_failure(prop, kwargs, got) -> str | None:
    try:
        ok = prop(copy.deepcopy(kwargs), got)
    except AssertionError as exc:
        return str(exc) or "the property does not hold"
    except Exception as exc:
        return f"checking it raised {type(exc).__name__}: {exc}"[:300]
    if ok is not None and not bool(ok):
        return f"does not hold for the output {show(got)}"
    return None


# -- the hint ladder ------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class HintLadder:
    """Hints, then the key line, then the book's implementation, each hidden until the one before is opened."""

    exercise: Exercise

    def html(self) -> str:
        esc = html.escape
        ex = self.exercise
        sources = "".join(
            f"<pre><code class=\"language-python\">{esc(textwrap.dedent(inspect.getsource(obj)).rstrip())}"
            f"</code></pre>" for obj in (ex.shows or (ex.template,)))
        rungs = [(f"Hint {i}" if len(ex.hints) > 1 else "Hint", f"<p>{h}</p>") for i, h in enumerate(ex.hints, 1)]
        rungs.append(("The key line", f"<pre><code class=\"language-python\">{esc(ex.key_line)}</code></pre>"))
        rungs.append(("The book's implementation", sources))
        out = ""
        for title, body in reversed(rungs):
            out = (f'<details class="mlsheet-hint"><summary>{esc(title)}</summary>'
                   f'<div class="mlsheet-hint-body">{body}{out}</div></details>')
        return out

    def _repr_html_(self) -> str:
        return self.html()

    def __repr__(self) -> str:
        # the digest of the HTML makes a stored ladder that no longer matches the code fail nbval, which compares
        # this text (the HTML is the same text on every machine: hints, key line and source code)
        digest = hashlib.sha256(self.html().encode()).hexdigest()[:12]
        return (f"<hint ladder: {len(self.exercise.hints)} hint(s), the key line, the book's implementation; "
                f"html sha256 {digest}>")


def _check_section(section) -> str:
    """A section id: numbers joined by dots (``"3.23.1"``)."""
    if not (isinstance(section, str) and re.fullmatch(r"\d+(\.\d+)*", section)):
        raise ValueError(f"section must be a section id such as '3.23.1', got {section!r}")
    return section


def as_exercise(section: str, **kwargs) -> Callable[[Callable], Exercise]:
    """Decorator: the decorated function is the template (signature, docstring, the book's solution)."""
    _check_section(section)
    def wrap(template: Callable) -> Exercise:
        return Exercise(section, template, **kwargs)
    return wrap


__all__ = ["Exercise", "HintLadder", "Report", "Row", "as_exercise", "compare", "is_stub",
           "show"]

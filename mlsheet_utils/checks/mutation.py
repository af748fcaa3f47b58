"""Mutation testing of the notebooks: does every implementation a page checks have a check that can fail?

For each notebook, every from-scratch implementation it presents is perturbed in turn and the notebook is
executed again; at least one cell must then fail. An implementation is what a cell tagged ``implementation``
presents:

- a top-level ``def`` in that cell (names starting with ``_`` are private helpers and are left alone), or
- a package function it shows with ``show_source(module.function)``.

The mutant wraps the function and nudges every number in what it returns (:func:`perturb`): floats are
multiplied by ``1 + 1e-3`` (an exact zero becomes ``1e-6``), integers move by one (non-negative integer arrays,
such as states or labels, cyclically within their range, so the mutant is caught by a check rather than by an
index error) and booleans flip, inside
arrays, tuples, lists, dicts, named tuples and dataclasses alike. A check that still passes with 0.1% of error
in the answer was not checking the answer. The mutant is installed by a cell inserted into the executed copy
(the notebook file is not touched): right after the ``def`` for a notebook function, right before the
``show_source`` cell for a package function, where it replaces the module attribute, so the package's own
internal calls see it too, and every global name bound to the original.

Cells tagged ``widget`` or ``widget-check`` are left out (they draw and assert no claim about the answer), and
each notebook is first run unmutated with the same cells, so a failure can only come from the mutant.

Command line (``make mutate``; ``make mutate NB=<path>`` for one page)::

    python -m mlsheet_utils.checks.mutation [paths ...] [-j JOBS] [--report PATH]

It prints one line per notebook (mutants caught / total, seconds), then every surviving mutant, and exits
with status 1 if any survived or a notebook failed unmutated.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import json
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

#: Relative nudge applied to every float a mutant returns.
FACTOR = 1e-3
SKIP_TAGS = frozenset({"widget", "widget-check"})
_SHOWN = re.compile(r"show_source\(\s*([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*,?\s*\)")


# -- the mutant ---------------------------------------------------------------------------------------------

def perturb(value):
    """Nudge every number inside ``value``; return ``(new_value, changed)``.

    Floats (and complex numbers) are scaled by ``1 + FACTOR`` (zeros become ``1e-6``), integers move by +1
    (a non-negative integer array as ``(x + 1) % (max + 1)``), booleans flip; containers are rebuilt with their
    contents perturbed. Anything else is returned as is.
    """
    if isinstance(value, (bool, np.bool_)):
        return (not value), True
    if isinstance(value, (int, np.integer)):
        return value + 1, True
    if isinstance(value, (float, np.floating, complex, np.complexfloating)):
        return (value * (1 + FACTOR) if value != 0 else type(value)(1e-6)), True
    if isinstance(value, np.ndarray):
        if value.dtype == bool:
            return ~value, value.size > 0
        if np.issubdtype(value.dtype, np.integer):
            if value.size and value.min() >= 0:        # states, labels, counts: shift them within their range
                return (value + 1) % (value.max() + 1), bool(value.max() > 0)
            return value + 1, value.size > 0
        if np.issubdtype(value.dtype, np.inexact):
            return np.where(value != 0, value * (1 + FACTOR), 1e-6).astype(value.dtype), value.size > 0
        return value, False
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes, changed = {}, False
        for field in dataclasses.fields(value):
            if field.init:
                new, c = perturb(getattr(value, field.name))
                changes[field.name], changed = new, changed or c
        return (dataclasses.replace(value, **changes) if changed else value), changed
    if isinstance(value, tuple):
        parts = [perturb(v) for v in value]
        new = [p[0] for p in parts]
        rebuilt = type(value)(*new) if hasattr(value, "_fields") else tuple(new)
        return rebuilt, any(p[1] for p in parts)
    if isinstance(value, list):
        parts = [perturb(v) for v in value]
        return [p[0] for p in parts], any(p[1] for p in parts)
    if isinstance(value, dict):
        parts = {k: perturb(v) for k, v in value.items()}
        return {k: p[0] for k, p in parts.items()}, any(p[1] for p in parts.values())
    return value, False


class Mutant:
    """A callable that returns the perturbed output of ``func``; ``changed`` records whether it ever did."""

    def __init__(self, func):
        if not callable(func):
            raise ValueError(f"Mutant: func must be callable, got {func!r}")
        self.func, self.changed, self.calls = func, False, 0
        self.__name__ = getattr(func, "__name__", "mutant")
        self.__doc__ = getattr(func, "__doc__", None)
        self.__wrapped__ = func

    def __call__(self, *args, **kwargs):
        out, changed = perturb(self.func(*args, **kwargs))
        self.calls += 1
        self.changed = self.changed or changed
        return out


#: The mutant installed in this kernel, read back by the runner.
ACTIVE: Mutant | None = None


def install(namespace: dict, target: str) -> None:
    """Replace ``target`` (``"name"`` or ``"module_alias.name"``) by a :class:`Mutant` in this kernel.

    The module attribute is replaced (so the module's own calls see the mutant) and so is every name in
    ``namespace`` bound to the original function.
    """
    global ACTIVE
    if not isinstance(target, str) or not re.fullmatch(r"[A-Za-z_][\w.]*", target):
        raise ValueError(f"install: target must be a dotted name, got {target!r}")
    head, *rest = target.split(".")
    if head not in namespace:
        raise ValueError(f"install: {head!r} is not defined in the notebook")
    owner, obj = None, namespace[head]
    for part in rest:
        owner, obj = obj, getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"install: {target} is not callable")
    mutant = Mutant(obj)
    if owner is not None:
        setattr(owner, rest[-1], mutant)
        module = sys.modules.get(getattr(obj, "__module__", ""), None)
        if module is not None and getattr(module, obj.__name__, None) is obj:
            setattr(module, obj.__name__, mutant)
    for name, value in list(namespace.items()):
        if value is obj:
            namespace[name] = mutant
    ACTIVE = mutant


# -- finding the targets --------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Target:
    """One implementation of a notebook: its dotted name and the cell that presents it."""

    name: str
    cell: int
    shown: bool        # a package function shown with show_source (else a def in the cell)


def _source(cell) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def targets(nb: dict) -> list[Target]:
    """The implementations a notebook presents, in the order of its cells."""
    found, seen = [], set()
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or "implementation" not in cell.get("metadata", {}).get("tags", []):
            continue
        src = _source(cell)
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        names = [(n.name, False) for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        names += [(m.strip(), True) for group in _SHOWN.findall(src) for m in group.split(",") if m.strip()]
        for name, shown in names:
            if name.split(".")[-1].startswith("_") or name in seen:
                continue
            seen.add(name)
            found.append(Target(name, i, shown))
    return found


# -- running ------------------------------------------------------------------------------------------------

_PROBE = ("import mlsheet_utils.checks.mutation as _m; "
          "print('MUTANT', _m.ACTIVE.calls if _m.ACTIVE else -1, bool(_m.ACTIVE and _m.ACTIVE.changed))")


def _cells_for(nb: dict, target: Target | None):
    """The cells to execute: widget cells dropped, the mutant's install cell and a final probe added."""
    import nbformat

    cells = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        if SKIP_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        install_cell = nbformat.v4.new_code_cell(
            f"import mlsheet_utils.checks.mutation as _mutation\n_mutation.install(globals(), {target.name!r})"
        ) if target is not None and target.cell == i else None
        if install_cell is not None and target.shown:
            cells.append(install_cell)
        cells.append(cell)
        if install_cell is not None and not target.shown:
            cells.append(install_cell)
    if target is not None:
        cells.append(nbformat.v4.new_code_cell(_PROBE))
    return cells


def run(path: Path, target: Target | None, timeout: int = 180) -> dict:
    """Execute the notebook (a copy in memory) with ``target`` mutated; say whether and where it failed."""
    import nbformat
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    from mlsheet_utils.tools.book import notebook_client

    nb = nbformat.read(path, as_version=4)
    nb.cells = _cells_for(nb, target)
    client = notebook_client(nb, path, timeout=timeout)
    start = time.perf_counter()
    result = {"target": target.name if target else None, "failed": False, "error": None, "cell": None}
    try:
        client.execute()
    except CellTimeoutError:
        result.update(failed=True, error="timeout")
    except CellExecutionError as err:
        result.update(failed=True, error=err.ename)
        failing = next((c for c in nb.cells if any(o.get("output_type") == "error" for o in c.get("outputs", []))),
                       None)
        result["cell"] = failing.source.strip().split("\n", 1)[0][:100] if failing is not None else None
    result["seconds"] = time.perf_counter() - start
    if target is not None and not result["failed"]:
        probe = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
        m = re.search(r"MUTANT (-?\d+) (True|False)", probe)
        result["calls"], result["changed"] = (int(m.group(1)), m.group(2) == "True") if m else (0, False)
    return result


def _job(args) -> tuple[str, dict]:
    path, target = args
    return str(path), run(Path(path), target)


def mutate(paths, jobs: int = 2, out=sys.stdout) -> dict:
    """Run the baseline and every mutant of each notebook; return the report (see the module docstring)."""
    import nbformat

    from mlsheet_utils.tools.book import Progress

    work, per = [], {}
    for path in paths:
        found = targets(nbformat.read(path, as_version=4))
        per[str(path)] = {"targets": [t.name for t in found], "baseline": None, "mutants": []}
        work += [(str(path), None)] + [(str(path), t) for t in found]
    start, progress = time.perf_counter(), Progress(len(per), out=out)
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        for path, result in pool.map(_job, work):
            entry = per[path]
            if result["target"] is None:
                entry["baseline"] = result
            else:
                entry["mutants"].append(result)
            if len(entry["mutants"]) == len(entry["targets"]) and entry["baseline"] is not None:
                progress.step(_line(path, entry))
    report = {"seconds": time.perf_counter() - start, "notebooks": per}
    report["caught"] = sum(m["failed"] for e in per.values() for m in e["mutants"])
    report["total"] = sum(len(e["mutants"]) for e in per.values())
    report["survivors"] = [f"{Path(p).name}: {m['target']}" + ("" if m.get("changed") else " (never called)")
                           for p, e in per.items() for m in e["mutants"] if not m["failed"]]
    report["broken"] = [Path(p).name for p, e in per.items() if e["baseline"]["failed"]]
    return report


def _line(path: str, entry: dict) -> str:
    caught = sum(m["failed"] for m in entry["mutants"])
    secs = entry["baseline"]["seconds"] + sum(m["seconds"] for m in entry["mutants"])
    state = "BROKEN unmutated" if entry["baseline"]["failed"] else (
        "ok" if caught == len(entry["mutants"]) else "SURVIVORS")
    return f"{caught:2d}/{len(entry['mutants']):<2d} caught {secs:5.1f} s  {Path(path).name}  {state}"


def main(argv=None) -> int:
    from mlsheet_utils.tools import book

    ap = argparse.ArgumentParser(prog="python -m mlsheet_utils.checks.mutation", description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", help="notebooks (default: all)")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--report", default=str(book.ROOT / "_build" / "mutate" / "report.json"))
    args = ap.parse_args(argv)
    paths = [str(Path(p).resolve()) for p in args.paths] or [str(p) for p in book.notebooks().values()]
    report = mutate(paths, jobs=args.jobs)
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    for name in report["broken"]:
        print(f"BROKEN: {name} fails without any mutant (with its widget cells left out)")
    for s in report["survivors"]:
        print(f"SURVIVED: {s}")
    print(f"mutants caught: {report['caught']} of {report['total']} in {report['seconds']:.0f} s "
          f"({len(paths)} notebooks); report in {args.report}")
    print(f"mutants: {report['caught']} passed, {len(report['survivors']) + len(report['broken'])} failed")
    return 1 if report["survivors"] or report["broken"] else 0


if __name__ == "__main__":
    sys.exit(main())

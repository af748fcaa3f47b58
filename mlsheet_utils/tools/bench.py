"""``make bench``: what a reader feels, measured.

For every notebook, in a fresh kernel, one after the other (never in parallel, so runs do not disturb each
other's timings):

1. **notebook execution**: wall time from kernel start to the last cell, and the cells alone;
2. **widget updates**: every :class:`~mlsheet_utils.explore.Explorer` the notebook created is driven
   (:mod:`mlsheet_utils.tools.probe`, its compute cache cleared) over each control's range (``POINTS`` evenly
   spaced values per control, the others at their defaults); median, 95th percentile and maximum per widget, in
   milliseconds;
3. **practice checks**: each run page's exercise (:mod:`mlsheet_utils.practice`) judged on the book's own
   solution, best of three, as a reader's ``practice.check`` call would take;
4. **implementation vs reference**: every pair of :mod:`mlsheet_utils.tools.speed` whose page was run is timed
   in this process on the check's input size and on a larger one (best of several repeats), with the ratio
   ours / reference and the largest absolute difference.

A separate kernel measures the fixed cost: kernel start, and the imports every notebook makes.

Results go to ``_build/bench/results.json`` (schema in the README), ``_build/bench/summary.md``, and the book's
appendix page ``book/appendix/performance.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from mlsheet_utils.tools import book
from mlsheet_utils.tools import probe as probe_module
from mlsheet_utils.tools.pages import section_of
from mlsheet_utils.tools.speed import SpeedPair, all_pairs

OUT = book.ROOT / "_build" / "bench"
PAGE = book.BOOK / "appendix" / "performance.md"
POINTS = 9

#: Targets of the performance issue (reported, never asserted).
TARGETS = {"median_notebook_s": 3.0, "slowest_notebook_s": 10.0, "widget_p95_ms": 50.0,
           "widget_max_ms": 100.0, "ratio_large": 5.0, "practice_check_ms": 500.0}

IMPORTS = """
import numpy, scipy, scipy.stats, sklearn, sympy, matplotlib, ipywidgets
import mlsheet_utils.explore, mlsheet_utils.checks, mlsheet_utils.questions
"""


def _best(f, args, budget: float = 0.5, repeats: int = 7):
    """Best time of up to ``repeats`` calls (at least two, and no more once ``budget`` seconds are spent)."""
    times = []
    start = time.perf_counter()
    result = None
    for _ in range(repeats):
        t = time.perf_counter()
        result = f(*args)
        times.append(time.perf_counter() - t)
        if time.perf_counter() - start > budget and len(times) >= 2:
            break
    return min(times), result


def time_pair(p: SpeedPair) -> dict:
    """Time one pair on its check-sized and its large input; report the ratio and the largest difference."""
    row = {"section": p.section, "name": p.name}
    for label, size in (("small", p.small), ("large", p.large)):
        args = p.make_args(size)
        t_ours, r_ours = _best(p.ours, args)
        t_ref, r_ref = _best(p.reference, args)
        a, b = np.asarray(p.to_array(r_ours), float), np.asarray(p.to_array(r_ref), float)
        diff = float(np.max(np.abs(a - b))) if a.shape == b.shape and a.size else None
        row[label] = {"size": size, "ours_ms": t_ours * 1e3, "reference_ms": t_ref * 1e3,
                      "ratio": t_ours / t_ref if t_ref > 0 else None, "max_abs_diff": diff}
    return row


def _client(nb, path):
    return book.notebook_client(nb, path, timeout=600)


def fixed_cost() -> dict:
    """Seconds to start a kernel and to run the imports every notebook makes."""
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("1"), new_code_cell(IMPORTS)])
    client = _client(nb, book.ROOT / "x")
    t0 = time.perf_counter()
    with client.setup_kernel():
        client.execute_cell(nb.cells[0], 0)
        t1 = time.perf_counter()
        client.execute_cell(nb.cells[1], 1)
        t2 = time.perf_counter()
    return {"kernel_start_s": t1 - t0, "imports_s": t2 - t1}


def bench_notebook(path: Path, points: int = POINTS) -> dict:
    """Execute one notebook in a fresh kernel, then sweep its widgets in the same kernel."""
    import nbformat
    from nbformat.v4 import new_code_cell

    nb = nbformat.read(path, as_version=4)
    n_cells = len(nb.cells)
    probe = new_code_cell(f"from mlsheet_utils.tools import probe as _probe\n_probe.emit({int(points)})")
    nb.cells.append(probe)
    client = _client(nb, path)
    t0 = time.perf_counter()
    with client.setup_kernel():
        t_kernel = time.perf_counter()
        for i, cell in enumerate(nb.cells[:n_cells]):
            client.execute_cell(cell, i)
        t_end = time.perf_counter()
        client.execute_cell(probe, n_cells)
    text = "".join(o.get("text", "") for o in probe.outputs if o.get("output_type") == "stream")
    line = next((ln for ln in text.splitlines() if ln.startswith(probe_module.MARKER)), None)
    if line is None:
        raise RuntimeError(f"{path}: the probe printed no result; outputs: {probe.outputs!r}")
    data = json.loads(line[len(probe_module.MARKER):])
    meta = nb.metadata.get("mlsheet", {})
    title = section_of(meta["id"], path).title if "id" in meta else None  # as the page shows it
    return {"id": meta.get("id"), "title": title,
            "path": path.relative_to(book.ROOT).as_posix(),
            "wall_s": t_end - t0, "cells_s": t_end - t_kernel, **data}


def run(paths: list[Path] | None = None, points: int = POINTS) -> dict:
    present = book.notebooks()
    if paths is None:
        paths = [present[i] for i in sorted(present, key=book.order_key)]
    started = time.perf_counter()
    results = {
        "schema": 2,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"python": platform.python_version(), "processor": platform.machine(),
                    "cpus": __import__("os").cpu_count()},
        "targets": TARGETS,
        "fixed": fixed_cost(),
        "notebooks": [],
    }
    progress = book.Progress(len(paths))
    for path in paths:
        row = bench_notebook(Path(path), points)
        progress.step(f"{row['wall_s']:5.2f} s  {row['path']}")
        results["notebooks"].append(row)
    wanted = {row["id"] for row in results["notebooks"]}
    results["pairs"] = []
    for pair in all_pairs():
        if pair.section in wanted:
            results["pairs"].append(time_pair(pair))
    results["practice"] = time_practice(wanted)
    results["total_s"] = time.perf_counter() - started
    results["summary"] = summarize(results)
    return results


def time_practice(sections) -> list[dict]:
    """Each exercise of ``sections`` checked on the book's solution: best of three, in milliseconds."""
    import warnings

    from mlsheet_utils import practice

    rows = []
    for section, ex in practice.exercises().items():
        if section not in sections:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            best, report = _best(ex.check, (ex.solution,), budget=2.0, repeats=3)
        rows.append({"section": section, "name": ex.name, "ms": best * 1e3,
                     "cases": sum(r.cases for r in report.rows), "passed": report.passed})
    return rows


def summarize(results: dict) -> dict:
    nbs = results["notebooks"]
    walls = [n["wall_s"] for n in nbs]
    widgets = [w for n in nbs for w in n["widgets"]]
    pairs = results.get("pairs", [])
    slow_pairs = [p["name"] for p in pairs if (p["large"]["ratio"] or 0) > TARGETS["ratio_large"]]
    return {
        "notebooks": len(nbs),
        "median_notebook_s": statistics.median(walls) if walls else None,
        "slowest_notebook_s": max(walls) if walls else None,
        "widgets": len(widgets),
        "widget_p95_ms": max((w["p95_ms"] for w in widgets), default=None),
        "widget_max_ms": max((w["max_ms"] for w in widgets), default=None),
        "pairs": len(pairs),
        "pairs_over_ratio": slow_pairs,
        "practice": len(results.get("practice", [])),
        "practice_median_ms": statistics.median(p["ms"] for p in results["practice"])
        if results.get("practice") else None,
        "practice_max_ms": max((p["ms"] for p in results.get("practice", [])), default=None),
    }


def _fmt(x, spec=".1f"):
    return "n/a" if x is None else format(x, spec)


def _cell(text: str) -> str:
    """Text for a Markdown table cell: a ``|`` would end the cell."""
    return str(text).replace("|", "\\|")


def markdown(results: dict) -> str:
    s, fx, t = results["summary"], results["fixed"], results["targets"]

    def verdict(value, target):
        return "n/a" if value is None else ("met" if value <= target else "**missed**")

    lines = [
        "# Performance",
        "",
        "Measured by `make bench` on the machine described below, one notebook at a time in a fresh kernel.",
        "Times vary by machine and load; the targets are for a 2-core machine like CI's.",
        "",
        f"Run {results['created']}, Python {results['machine']['python']}, "
        f"{results['machine']['cpus']} CPUs, {results['total_s']:.0f} s in all. Fixed cost per notebook: "
        f"kernel start {fx['kernel_start_s']:.2f} s, imports {fx['imports_s']:.2f} s.",
        "",
        "| measure | value | target | |",
        "|---|---|---|---|",
        f"| median notebook | {_fmt(s['median_notebook_s'], '.2f')} s | < {t['median_notebook_s']} s | "
        f"{verdict(s['median_notebook_s'], t['median_notebook_s'])} |",
        f"| slowest notebook | {_fmt(s['slowest_notebook_s'], '.2f')} s | < {t['slowest_notebook_s']} s | "
        f"{verdict(s['slowest_notebook_s'], t['slowest_notebook_s'])} |",
        f"| worst widget p95 update | {_fmt(s['widget_p95_ms'])} ms | < {t['widget_p95_ms']} ms | "
        f"{verdict(s['widget_p95_ms'], t['widget_p95_ms'])} |",
        f"| slowest widget update | {_fmt(s['widget_max_ms'])} ms | < {t['widget_max_ms']} ms | "
        f"{verdict(s['widget_max_ms'], t['widget_max_ms'])} |",
        f"| slowest practice check | {_fmt(s.get('practice_max_ms'))} ms | < {t['practice_check_ms']:.0f} ms | "
        f"{verdict(s.get('practice_max_ms'), t['practice_check_ms'])} |",
        "",
        "## Notebooks",
        "",
        "| section | wall (s) | cells (s) | widget updates | median (ms) | p95 (ms) | max (ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for n in results["notebooks"]:
        ws = n["widgets"] or [None]
        for i, w in enumerate(ws):
            head = (f"| [{n['id']} {_cell(n['title'])}](../../{n['path']}) | {n['wall_s']:.2f} | {n['cells_s']:.2f} "
                    if i == 0 else "| | | ")
            if w is None:
                lines.append(head + "| 0 | | | |")
            else:
                lines.append(head + f"| {w['updates']} | {w['median_ms']:.1f} | {w['p95_ms']:.1f} | "
                             f"{w['max_ms']:.1f} |")
    practice_rows = sorted(results.get("practice", []), key=lambda p: -p["ms"])
    if practice_rows:
        lines += ["", "## Practice checks", "",
                  f"`practice.check` on the book's own solution, best of three: median "
                  f"{_fmt(s['practice_median_ms'])} ms over {len(practice_rows)} exercises. The ten slowest:", "",
                  "| section | exercise | cases | ms |", "|---|---|---|---|"]
        lines += [f"| {p['section']} | `{p['name']}` | {p['cases']} | {p['ms']:.1f} |" for p in practice_rows[:10]]
    pairs = results.get("pairs", [])
    lines += ["", "## Implementations against their references", "",
              "Best of several runs; ratio = ours / reference, on the input size the notebook's check uses "
              "and on a larger one.", ""]
    for label, key in (("Check-sized input", "small"), ("Large input", "large")):
        lines += [f"### {label}", "", "| section | pair | n | ours (ms) | reference (ms) | ratio |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {p['section']} | {_cell(p['name'])} | {p[key]['size']} | {p[key]['ours_ms']:.2f} | "
                  f"{p[key]['reference_ms']:.2f} | {_fmt(p[key]['ratio'], '.2f')} |" for p in pairs]
        lines.append("")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mlsheet_utils.tools.bench", description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", help="notebooks (default: all, in the sheet's order)")
    ap.add_argument("--points", type=int, default=POINTS, help="values per control in the widget sweep")
    ap.add_argument("--no-page", action="store_true", help="do not rewrite book/appendix/performance.md")
    args = ap.parse_args(argv)
    if args.points < 2:
        ap.error("--points must be >= 2")
    results = run([Path(p).resolve() for p in args.paths] or None, args.points)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    text = markdown(results)
    (OUT / "summary.md").write_text(text, encoding="utf-8")
    if not args.no_page and not args.paths:
        PAGE.write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"wrote {OUT.relative_to(book.ROOT)}/results.json and summary.md"
          + ("" if args.no_page or args.paths else f", and {PAGE.relative_to(book.ROOT)}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

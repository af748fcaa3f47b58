"""The benchmark's probe and report, run in-process on a synthetic widget and speed pair (no timing asserted)."""

import contextlib
import io
import json
import re

import numpy as np
import pytest

from mlsheet_utils import explore as widgets
from mlsheet_utils.tools import bench, probe
from mlsheet_utils.tools.speed import SpeedPair, all_pairs


def _explorer():
    def setup(fig, ax):
        (line,) = ax.plot([], [])
        return line

    def update(line, n, scale):
        x = np.arange(n)
        line.set_data(x, scale * x)

    return widgets.Explorer({"n": widgets.int_slider("n", 1, 50, 10),
                             "scale": widgets.log_slider("scale", -2, 2, 1.0)},
                            setup, update, title="bench-probe-test")


def test_probe_sweeps_live_explorers_cold():
    ex = _explorer()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        probe.emit(5)
    line = next(ln for ln in out.getvalue().splitlines() if ln.startswith(probe.MARKER))
    data = json.loads(line[len(probe.MARKER):])
    w = next(w for w in data["widgets"] if w["title"] == "bench-probe-test")
    assert w["updates"] == 10 and w["unexpected"] == 0
    assert 0 < w["median_ms"] <= w["p95_ms"] <= w["max_ms"]
    assert ex.values == {"n": 10, "scale": 1.0}


def test_time_pair_reports_sizes_ratio_and_difference():
    pair = SpeedPair("9.1", "bench test: cumsum vs np.cumsum",
                     lambda a: np.array([a[: i + 1].sum() for i in range(a.size)]), np.cumsum,
                     lambda n: (np.arange(n, dtype=float),), small=10, large=200)
    p = bench.time_pair(pair)
    assert p["section"] == "9.1" and p["small"]["size"] == 10 and p["large"]["size"] == 200
    assert p["large"]["max_abs_diff"] == 0.0 and p["large"]["ratio"] > 0


def test_speed_pairs_are_valid_and_uniquely_named():
    pairs = all_pairs()
    assert len({p.name for p in pairs}) == len(pairs)
    with pytest.raises(ValueError, match="small <= large"):
        SpeedPair("9.1", "bad", np.sum, np.sum, lambda n: (np.ones(n),), small=5, large=2)


def _fake_results():
    nb = {"id": "9.1", "title": "Fake", "path": "book/x/fake.ipynb", "wall_s": 2.0, "cells_s": 1.5,
          "widgets": [{"title": "w", "updates": 9, "median_ms": 10.0, "p95_ms": 60.0, "max_ms": 70.0,
                       "messages": 0, "unexpected": 0}],
          }
    pairs = [{"section": "9.1", "name": "p", "small": {"size": 1, "ours_ms": 1.0, "reference_ms": 1.0, "ratio": 1.0,
                                            "max_abs_diff": 0.0},
                     "large": {"size": 9, "ours_ms": 60.0, "reference_ms": 10.0, "ratio": 6.0,
                               "max_abs_diff": 1e-12}}]
    results = {"created": "2026-01-01T00:00:00Z", "machine": {"python": "3.11", "cpus": 2},
               "targets": bench.TARGETS, "fixed": {"kernel_start_s": 0.5, "imports_s": 1.0},
               "notebooks": [nb], "pairs": pairs, "total_s": 3.0}
    results["summary"] = bench.summarize(results)
    return results


def test_summary_flags_missed_targets():
    results = _fake_results()
    s = results["summary"]
    assert s["median_notebook_s"] == 2.0 and s["widget_p95_ms"] == 60.0
    assert s["pairs_over_ratio"] == ["p"]
    text = bench.markdown(results)
    assert "| worst widget p95 update | 60.0 ms | < 50.0 ms | **missed** |" in text
    assert "| median notebook | 2.00 s | < 3.0 s | met |" in text
    assert "[9.1 Fake](../../book/x/fake.ipynb)" in text


def test_performance_tables_keep_their_columns():
    results = _fake_results()
    nb = results["notebooks"][0]
    nb["title"] = "Orthogonality | normality"
    nb["widgets"].append(dict(nb["widgets"][0]))          # a second widget row under the same section
    results["pairs"][0]["name"] = "a | b"
    text = bench.markdown(results)
    for table in text.split("\n\n"):
        rows = [ln for ln in table.splitlines() if ln.startswith("|")]
        if rows:
            widths = {len(re.findall(r"(?<!\\)\|", ln)) for ln in rows}
            assert len(widths) == 1, rows                    # every row has as many cells as the header
    assert "Orthogonality \\| normality" in text and "| 9.1 | a \\| b | 9 |" in text
    assert "size | ours (ms) | reference (ms) | ratio | size" not in text


def test_practice_checks_are_timed_and_tabled():
    rows = bench.time_practice({"3.23.1"})
    assert [r["section"] for r in rows] == ["3.23.1"] and rows[0]["passed"] and rows[0]["ms"] > 0
    results = _fake_results()
    results["practice"] = [dict(rows[0], ms=700.0)]
    results["summary"] = bench.summarize(results)
    text = bench.markdown(results)
    assert "| slowest practice check | 700.0 ms | < 500 ms | **missed** |" in text
    assert "| 3.23.1 | `lloyd` |" in text

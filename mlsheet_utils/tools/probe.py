"""What ``make bench`` runs inside a notebook's kernel after the notebook's own cells: sweep its widgets.

Every :class:`~mlsheet_utils.explore.Explorer` alive in the kernel is driven over ``points`` values of each
control (the others at their defaults) with its ``compute`` cache cleared first, so each setting is timed as a
reader meets it the first time. One line is printed: ``MLSHEET_BENCH`` and a JSON object.
"""

from __future__ import annotations

import json

from mlsheet_utils.explore import explorer as _explorer

MARKER = "MLSHEET_BENCH "


def widget_report(points: int) -> list[dict]:
    """Median, p95 and maximum update time (ms) of every live Explorer, swept cold."""
    rows = []
    for ex in _explorer.explorers():
        ex.clear_cache()
        rows.append({"title": ex.title, **_explorer.summarize(ex.sweep(points))})
    return rows


def emit(points: int) -> None:
    """Print the report as one line the benchmark reads back."""
    print(MARKER + json.dumps({"widgets": widget_report(points)}))

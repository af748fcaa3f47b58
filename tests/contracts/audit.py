"""Count what the declared public functions do with bad input: ``python tests/contracts/audit.py``.

One valid draw per declared function (seeded), then every bad value of every argument: each call is answered
with a clear error (a ``ValueError`` naming the argument), an unclear one (a ``ValueError`` naming no argument),
a foreign exception, or silently. Prints the counts and every call that was not answered clearly.
"""

from __future__ import annotations

import collections
import inspect
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.contracts import registry  # noqa: E402
from tests.test_contracts import classify  # noqa: E402


def _one_valid_call(decl):
    seen = []

    @settings(max_examples=20, derandomize=True, database=None, deadline=None)
    @given(st.data())
    def one(data):
        seen.append(decl.draw_call(data.draw))

    one()
    return seen[0]


def audit() -> tuple[collections.Counter, list[str]]:
    counts, problems = collections.Counter(), []
    for name, decl in sorted(registry.load().items()):
        dims, args = _one_valid_call(decl)
        for arg in decl.varied():
            for label, value in decl.bad_values(arg, dims, args):
                verdict, detail = classify(decl, {**args, arg: value}, arg, dims)
                counts[verdict] += 1
                if verdict != "clear":
                    problems.append(f"{name}: {arg} {label}: {verdict}: {detail}")
    return counts, problems


if __name__ == "__main__":
    counts, problems = audit()
    total = sum(counts.values())
    decls = registry.REGISTRY.values()
    methods = sum(d.label is not None for d in decls)
    classes = sum(isinstance(inspect.unwrap(d.func), type) for d in decls)     # a star() adapter wraps its class
    print(f"{len(decls)} declarations ({len(decls) - methods - classes} functions, {classes} constructors, "
          f"{methods} methods); {len(registry.RECORDS)} records and {len(registry.TOOLING)} tooling functions "
          f"exempt; modules covered: {len(registry.COVERED)}")
    print(f"{total} bad calls: " +
          ", ".join(f"{counts[k]} {k}" for k in ("clear", "unclear", "foreign", "silent")))
    for line in problems:
        print("  " + line)

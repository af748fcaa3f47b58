"""Bad input never passes silently (issue #21): property tests drawn from the registry of argument kinds.

For every declared public function (``tests/contracts``):

- **valid calls** drawn from its kinds (Hypothesis) must return, with every number finite unless the declaration
  says a non-finite answer is documented;
- **bad calls**: each argument in turn replaced by each value its kind calls wrong (the others valid) must raise
  a ``ValueError`` whose message names that argument. A foreign exception, a silent answer, or a message that
  blames no argument fails the test.

A module listed in ``registry.COVERED`` must declare every public function it has.
"""

from __future__ import annotations

import functools
import numbers
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.contracts import registry

DECLARED = registry.load()
SETTINGS = settings(max_examples=12, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _numbers(value):
    """Every number inside an answer (arrays, tuples, named tuples, dataclasses, dicts)."""
    import dataclasses

    if isinstance(value, (bool, np.bool_)):
        return
    if isinstance(value, numbers.Number):
        yield complex(value)
    elif isinstance(value, np.ndarray):
        if value.dtype.kind in "biufc":
            yield from value.astype(complex).ravel()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _numbers(getattr(value, f.name))
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _numbers(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)


def classify(decl, args: dict, arg: str, dims: dict | None = None) -> tuple[str, str]:
    """Call with one bad argument; the verdict is ``clear`` (a ValueError naming ``arg``), ``unclear`` (a
    ValueError naming no argument), ``foreign`` (another exception) or ``silent`` (an answer)."""
    try:
        out = decl.call(args, dims)
    except ValueError as exc:
        msg = str(exc)
        return ("clear" if re.search(rf"\b{re.escape(arg)}\b", msg) else "unclear"), msg
    except Exception as exc:                                       # noqa: BLE001 - that is the finding
        return "foreign", f"{type(exc).__name__}: {exc}"
    return "silent", f"returned {str(out)[:80]}"


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_valid_calls_return_finite_answers(name):
    decl = DECLARED[name]

    @SETTINGS
    @given(st.data())
    def run(data):
        dims, args = decl.draw_call(data.draw)
        out = decl.call(args, dims)
        if decl.finite:
            bad = [z for z in _numbers(out) if not np.isfinite(z)]
            assert not bad, f"{name}({args}) returned non-finite numbers: {bad[:3]}"

    run()


def _short(name: str) -> str:
    """``f`` for a function, ``Class.method`` for a method, ``Class`` for a constructor."""
    parts = name.split(".")
    return ".".join(parts[-2:]) if parts[-2][:1].isupper() else parts[-1]


def _bad_cases():
    for name in sorted(DECLARED):
        for arg in DECLARED[name].varied():
            yield pytest.param(name, arg, id=f"{_short(name)}-{arg}")


@pytest.mark.parametrize("name, arg", list(_bad_cases()))
def test_each_bad_argument_is_named_in_a_value_error(name, arg):
    decl = DECLARED[name]

    @SETTINGS
    @given(st.data())
    def run(data):
        dims, args = decl.draw_call(data.draw)
        failures = []
        for label, value in decl.bad_values(arg, dims, args):       # every wrong value, in this valid context
            verdict, detail = classify(decl, {**args, arg: value}, arg, dims)
            if verdict != "clear":
                failures.append(f"{arg} {label}: {verdict}: {detail}")
        assert not failures, f"{name}: " + "; ".join(failures)

    run()


def test_every_public_function_of_a_covered_module_is_declared():
    assert registry.COVERED, "no decl_* module lists the modules it covers"
    missing = [f for module in registry.COVERED for f in registry.missing_declarations(module)]
    assert not missing, f"public functions, classes and methods with no declaration in tests/contracts: {missing}"


@functools.lru_cache(maxsize=1)
def _page_code() -> str:
    """Every code cell of every notebook, as one text."""
    import json
    from pathlib import Path

    return "\n".join("".join(cell["source"]) for nb in sorted(Path("book").rglob("*.ipynb"))
                     for cell in json.loads(nb.read_text())["cells"] if cell["cell_type"] == "code")


def test_records_are_plain_results_no_page_builds():
    """A class excused as a record must be a dataclass or named tuple that no page constructs by hand: a class a
    reader builds is an entry point, and its constructor must check its arguments."""
    import dataclasses

    called = set(re.findall(r"\b([A-Za-z_]\w*)\(", _page_code()))
    wrong = [c.__qualname__ for c in registry.RECORDS
             if not (dataclasses.is_dataclass(c) or (issubclass(c, tuple) and hasattr(c, "_fields")))
             or c.__qualname__ in called]
    assert not wrong, f"listed in RECORDS but built on a page or not a plain record: {wrong}"


def test_tooling_exists_and_no_page_calls_it():
    """A function excused as build tooling exists, is not also declared, and is called by no page (as
    ``module.f(`` or imported by name): a function a reader calls is an entry point."""
    import importlib

    sources, wrong = _page_code(), []
    for name, reason in registry.TOOLING.items():
        module, attr = name.rsplit(".", 1)
        if not reason or not callable(getattr(importlib.import_module(module), attr, None)) or name in DECLARED:
            wrong.append(f"{name}: not a function, declared as well, or no reason given")
        elif re.search(rf"\b{module.rsplit('.', 1)[1]}\.{attr}\(|import[^\n]*\b{attr}\b", sources):
            wrong.append(f"{name}: called on a page")
    assert not wrong, wrong


def test_no_default_is_a_wrong_value():
    """A parameter whose default is None must accept None: a declaration that lists None among the argument's
    wrong values contradicts a signature defaulting to it (a call that leaves the argument out always fails)."""
    import inspect

    wrong = []
    for name, decl in sorted(DECLARED.items()):
        params = inspect.signature(decl.func).parameters
        for arg, kind in decl.kinds.items():
            if arg in params and params[arg].default is None and (_short(name), arg) not in NONE_IN_CONTEXT:
                if any(label == "None" for label, _ in kind.bad(_Ones(_shared=set()))):
                    wrong.append(f"{name}({arg}=None)")
    assert not wrong, f"defaults that the declarations call wrong: {wrong}"


#: Defaults of None that are right in some calls and wrong in the declared ones (the declaration says why).
NONE_IN_CONTEXT = {
    ("kmeans", "k"): "optional only when init gives the centres; the declared calls leave init out",
    ("gmm_em", "k"): "optional only when the start is given; the declared calls leave it out",
    ("GANRun.sample", "labels"): "a conditional GAN (the receiver) needs its labels; an unconditional one takes None",
    ("GANRun.discriminate", "labels"): "as sample",
    ("Dropout.forward", "rng"): "dropout in training mode draws its mask; in evaluation mode rng may be None",
    ("checkpointed_gradients", "rng"): "needed only when the model holds dropout, as the declared one does",
    ("event_mask", "a"): "a and b are left out together (the 36 outcomes); one without the other is wrong",
    ("event_mask", "b"): "as a",
}


class _Ones(dict):
    """Sizes for listing a kind's wrong values outside a drawn call: every symbol 2."""

    def __missing__(self, key):
        return 2


_ONES = _Ones()


def test_every_module_of_the_package_is_covered():
    """Every module with a public function or class is in some ``decl_*`` module's ``COVERS``: a new module is
    covered by declaring it, or this fails. Left out: ``mlsheet_utils.tools`` (the commands ``make`` runs) and
    private modules (a name starting with ``_``)."""
    import pkgutil

    import mlsheet_utils

    uncovered = []
    for info in pkgutil.walk_packages(mlsheet_utils.__path__, "mlsheet_utils."):
        name = info.name
        if name.startswith("mlsheet_utils.tools") or any(p.startswith("_") for p in name.split(".")):
            continue
        if (registry.public_functions(name) or registry.public_classes(name)) and name not in registry.COVERED:
            uncovered.append(name)
    assert not uncovered, f"modules no decl_* file covers: {uncovered}"

"""Practice exercises: one function per page for the reader to write, judged by the page's checks.

Every module of this package (one or a few per chapter) defines :class:`~mlsheet_utils.checks.practice.Exercise`
objects at module level; :func:`exercises` gathers them by section id. A page's *Practice* section holds the
exercise's stub (its signature and docstring, renamed ``my_<name>``) and calls :func:`check` on it::

    from mlsheet_utils import practice
    practice.check(my_lloyd)            # the exercise is found by the function's name, my_ prefix dropped

``python -m mlsheet_utils.tools.practice`` writes (or refreshes) those cells in the notebooks.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import Callable

from mlsheet_utils.checks.practice import Exercise, Report

#: How the difficulty levels read on the page and in the appendix.
DIFFICULTY = {1: "warm-up", 2: "standard", 3: "hard"}


def _order(section: str) -> tuple[int, ...]:
    return tuple(int(p) for p in section.split("."))


@functools.cache
def exercises() -> dict[str, Exercise]:
    """Every exercise, by section id, in the sheet's order."""
    found: dict[str, Exercise] = {}
    names: dict[str, str] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if not isinstance(value, Exercise):
                continue
            if value.section in found and found[value.section] is not value:
                raise RuntimeError(f"two exercises for section {value.section}")
            if value.name in names and names[value.name] != value.section:
                raise RuntimeError(f"exercise name {value.name!r} is used by {names[value.name]} and "
                                   f"{value.section}")
            found[value.section], names[value.name] = value, value.section
    return dict(sorted(found.items(), key=lambda kv: _order(kv[0])))


def exercise(section: str) -> Exercise:
    """The exercise of a section (``"3.23.1"``)."""
    table = exercises()
    if section not in table:
        raise ValueError(f"no practice exercise for section {section!r}")
    return table[section]


def _by_name(name: str) -> Exercise:
    bare = name[3:] if name.startswith("my_") else name
    for ex in exercises().values():
        if ex.name == bare:
            return ex
    raise ValueError(f"no practice exercise is called {bare!r}: pass the section, e.g. check(f, '3.23.1')")


def check(func: Callable, section: str | None = None) -> Report:
    """Run an exercise's checks on ``func``; the exercise is ``section``'s, or the one named like ``func``."""
    if not callable(func):
        raise ValueError(f"check: expected the function you wrote (func), got {func!r}")
    ex = exercise(section) if section is not None else _by_name(getattr(func, "__name__", ""))
    return ex.check(func)


def hints(section: str):
    """The hint ladder of a section's exercise."""
    return exercise(section).hint_ladder()


__all__ = ["DIFFICULTY", "check", "exercise", "exercises", "hints"]

"""The implementation/reference pairs that ``make bench`` times, one module per algorithm family.

Each family module defines ``PAIRS``, a list of :class:`SpeedPair`. A pair names the book's function and its
reference and builds seeded inputs of a given size; ``small`` is the size the page's own check uses, ``large`` a
bigger problem. Nothing here runs on import and no page imports it: the benchmark does.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class SpeedPair:
    """An implementation and its reference, with seeded inputs of any size.

    Attributes
    ----------
    section : str
        The heading id of the page that checks this implementation (e.g. ``"1.6"``).
    name : str
        Unique label, e.g. ``"k-means (Lloyd) vs sklearn KMeans"``.
    ours, reference : callable
        Both are called as ``f(*make_args(size))``.
    make_args : callable ``size -> tuple``
        Builds deterministic arguments for a problem of the given size.
    small, large : int
        The check's size and a larger one (a second or so at most).
    to_array : callable
        Maps a result to an array, so the largest difference can be reported.
    """

    section: str
    name: str
    ours: Callable
    reference: Callable
    make_args: Callable[[int], tuple]
    small: int
    large: int
    to_array: Callable = np.asarray

    def __post_init__(self):
        if not self.name:
            raise ValueError("SpeedPair: name must be a non-empty string")
        for label in ("ours", "reference", "make_args", "to_array"):
            if not callable(getattr(self, label)):
                raise ValueError(f"SpeedPair {self.name!r}: {label} must be callable")
        if not (isinstance(self.small, int) and isinstance(self.large, int) and 0 < self.small <= self.large):
            raise ValueError(f"SpeedPair {self.name!r}: need 0 < small <= large, got {self.small}, {self.large}")


def all_pairs() -> list[SpeedPair]:
    """Every pair of every family module, in module order; names must be unique."""
    pairs: list[SpeedPair] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        pairs.extend(importlib.import_module(f"{__name__}.{info.name}").PAIRS)
    names = [p.name for p in pairs]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"speed pairs with the same name: {duplicated}")
    return pairs

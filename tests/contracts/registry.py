"""The registry: one declaration per public function, giving each argument a kind.

``declare(func, X=Array(("n", "d")), k=Int(1, "n"), rng=Rng())`` registers ``func``. Options:

- ``dims={"n": (2, 8)}``: the range of a shape symbol (default :data:`kinds.DEFAULT_DIMS`);
- ``finite=True``: every number in a valid call's answer must be finite (``False`` where -inf or NaN is the
  documented answer, such as a log-density outside the support);
- ``where=f(args) -> bool``: a condition a valid draw must meet beyond its kinds (``hypothesis.assume``);
- ``relations=[(arg, label, f(args) -> value)]``: bad values that break a relation between arguments
  (``("high", "equal to low", lambda a: a["low"])``), tried like the kinds' own bad values.

Arguments with defaults may be left out: they keep their default in every call. A function taking ``*args``
(``factor_product(*factors)``) is declared through :func:`star`, which passes one argument on as the positional ones.

Classes are declared the same way. ``declare(StandardScaler, with_mean=Flag())`` declares the constructor (the
call builds an instance; with ``then=`` it goes on to ``fit`` for an estimator that checks its settings there).
``declare_method(GMM, "predict", make=fitted_gmm, X=Array(("n", "d")))`` declares a public method: each valid
call gets a fresh receiver from ``make(dims)`` (built with the drawn sizes, e.g. a model fitted on ``d``
features), and the method's other arguments are varied as a function's are. A *record* (a dataclass the package
returns, which no reader builds: ``KMeansResult``) is listed in its module's ``RECORDS`` instead of declaring its
constructor; its own public methods are still declared. *Build tooling* (what ``make`` runs on the notebooks:
the mutation runner, the static-site frame export) takes its arguments from the Makefile, not from a reader; a
``decl_*`` module lists such functions in ``TOOLING`` with the reason, and no page may call them.

Modules listed in :data:`COVERED` (a ``decl_*`` module's ``COVERS``) must declare *every* public function, the
constructor of every public class that is not a record, and every public method a class defines;
``tests/test_contracts.py`` fails on one that does not.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import numbers
import pkgutil
from typing import Any, Callable

import numpy as np

from tests.contracts.kinds import DEFAULT_DIMS, Kind, _replace


@dataclasses.dataclass(frozen=True)
class Declaration:
    func: Callable
    kinds: dict[str, Kind]
    dims: dict[str, tuple[int, int]]
    finite: bool
    where: Callable[[dict], bool] | None
    relations: tuple = ()
    label: str | None = None       # a method's "module.Class.method" (its function may be inherited)
    then: Callable[[Any, dict], Any] | None = None

    def call(self, args: dict, dims: dict | None = None):
        """Call the declared function (or build the class) with keyword arguments ``args``; with ``then``, the
        built object goes on to ``then(obj, dims)`` (an estimator checks its settings in ``fit``)."""
        out = self.func(**args)
        return out if self.then is None else self.then(out, dims or {})

    def varied(self) -> list[str]:
        """The arguments the bad-input test replaces: all but a method's receiver."""
        return [name for name, kind in self.kinds.items() if not isinstance(kind, Receiver)]

    def bad_values(self, arg: str, dims: dict, args: dict) -> list:
        """The wrong values of ``arg``: its kind's, and those breaking a declared relation. A size that disagrees
        with another argument counts only the arguments present in this call (an optional one drawn as None, or
        an ``Either`` drawn as a scalar, has no size to disagree with), ``arg`` among them whatever its valid draw
        was: it is present in every bad call."""
        dims = {**dims, "_shared": self.shared(args, arg)}
        return self.kinds[arg].bad(dims) + [(label, f(args)) for a, label, f in self.relations if a == arg]

    @property
    def name(self) -> str:
        return self.label or f"{self.func.__module__}.{self.func.__qualname__}"

    def shared(self, args: dict | None = None, varied: str | None = None) -> set[str]:
        """The shape symbols two or more arguments read (of ``args``, those present and ``varied``: see
        :meth:`bad_values`)."""
        from tests.contracts.kinds import Either, Optional

        counts: dict[str, int] = {}
        for name, kind in self.kinds.items():
            if args is not None and name != varied and isinstance(kind, (Optional, Either)) and (
                    args.get(name) is None or isinstance(args.get(name), (numbers.Number, np.generic))):
                continue
            for sym in kind.shape_symbols():
                counts[sym] = counts.get(sym, 0) + 1
        return {s for s, c in counts.items() if c > 1}

    def draw_dims(self, draw) -> dict:
        from hypothesis import strategies as st

        symbols = set().union(*(k.shape_symbols() for k in self.kinds.values())) | set(self.dims)
        dims = {s: draw(st.integers(*self.dims.get(s, DEFAULT_DIMS))) for s in sorted(symbols)}
        dims["_shared"] = self.shared()
        return dims

    def draw_valid(self, draw, dims) -> dict[str, Any]:
        return {name: kind.valid(draw, dims) for name, kind in self.kinds.items()}

    def draw_call(self, draw) -> tuple[dict, dict[str, Any]]:
        """``(dims, args)`` of one valid call; a draw that breaks ``where`` is discarded (``hypothesis.assume``)."""
        from hypothesis import assume

        dims = self.draw_dims(draw)
        args = self.draw_valid(draw, dims)
        if self.where is not None:
            assume(self.where(args))
        return dims, args


REGISTRY: dict[str, Declaration] = {}


def declare(func: Callable, /, *, dims=None, finite: bool = True, where=None, relations=(), then=None, _label=None,
            **kinds: Kind) -> Callable:
    """Register ``func`` (a function, or a class: its constructor) with a kind for each argument. ``then(obj,
    dims)`` continues a constructor's call where the class checks its settings later, as scikit-learn's
    estimators do in ``fit``: ``then=lambda gmm, dims: gmm.fit(np.ones((dims["n"], 2)))``."""
    params = inspect.signature(func).parameters
    unknown = set(kinds) - set(params)
    if unknown:
        raise TypeError(f"declare({func.__qualname__}): no parameters {sorted(unknown)}")
    missing = [n for n, p in params.items() if p.default is inspect.Parameter.empty
               and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and n not in kinds]
    if missing:
        raise TypeError(f"declare({func.__qualname__}): required parameters {missing} have no kind")
    decl = Declaration(func, dict(kinds), dict(dims or {}), finite, where, tuple(relations), _label, then)
    if decl.name in REGISTRY:
        raise TypeError(f"{decl.name} is declared twice")
    REGISTRY[decl.name] = decl
    return func


@dataclasses.dataclass
class Receiver(Kind):
    """The ``self`` of a declared method: a fresh object from ``make(dims)`` for every call; never varied."""

    make: Callable[[dict], Any]
    uses: tuple[str, ...] = ()     # the dimension symbols ``make`` reads (drawn like an argument's)

    def valid(self, draw, dims):
        return self.make(dims)

    def bad(self, dims):
        return []

    def shape_symbols(self):
        return set(self.uses)


def declare_method(cls: type, method: str, /, *, make: Callable[[dict], Any], uses: tuple[str, ...] = (),
                   **options) -> None:
    """Register ``cls.method``: ``make(dims)`` builds the receiver (``uses`` names the sizes it reads), the
    other keywords are :func:`declare`'s. A static or class method takes no receiver."""
    raw = inspect.getattr_static(cls, method)
    func = getattr(cls, method)
    label = f"{cls.__module__}.{cls.__qualname__}.{method}"
    if isinstance(raw, (staticmethod, classmethod)):
        declare(func, _label=label, **options)
    else:
        declare(func, _label=label, self=Receiver(make, tuple(uses)), **options)


def star(func: Callable, name: str) -> Callable:
    """``func(*values)`` as a function of a keyword argument ``name`` (a declaration passes its arguments by name):
    ``name`` holds the positional values as a list or tuple (any other value is passed on as the only one). The
    parameters before ``*values`` keep their names (and need a kind: they are passed by position). The adapter has
    ``func``'s module, name, qualified name and doc, so its declaration is ``func``'s:
    ``declare(star(G.factor_product, "factors"), factors=...)``."""
    sig = inspect.signature(func)
    params = list(sig.parameters.values())
    at = next(i for i, p in enumerate(params) if p.kind is p.VAR_POSITIONAL)
    before = [p.name for p in params[:at]]

    def adapter(**kwargs):
        values = kwargs.pop(name)
        values = tuple(values) if isinstance(values, (list, tuple)) else (values,)
        leading = [kwargs.pop(b) for b in before]
        return func(*leading, *values, **kwargs)

    adapter.__signature__ = sig.replace(parameters=[p.replace(default=p.empty) for p in params[:at]] + [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY)] + params[at + 1:])
    adapter.__module__, adapter.__name__, adapter.__qualname__ = func.__module__, func.__name__, func.__qualname__
    adapter.__doc__, adapter.__wrapped__ = func.__doc__, func
    return adapter


# -- relations shared by the declaration modules ----------------------------------------------------------------

def not_square(arg: str) -> tuple:
    """A relation: the square matrix ``arg`` replaced by an (n, n + 1) one."""
    return (arg, "not square", lambda a: np.ones((a[arg].shape[0], a[arg].shape[0] + 1)))


def first_entry(arg: str, label: str, value: float) -> tuple:
    """A relation: the valid ``arg`` drawn, as floats, with its first entry set to ``value``."""
    return (arg, label, lambda a: _replace(np.asarray(a[arg], dtype=float), value))


def ordered(low: str, high: str) -> list[tuple]:
    """Relations for an interval's ends: ``high`` equal to ``low`` and ``low`` above ``high``."""
    return [(high, f"equal to {low}", lambda a: a[low]), (low, f"above {high}", lambda a: a[high] + 1.0)]


#: Modules whose every public function must be declared: each ``decl_*`` module lists the ones it covers in
#: ``COVERS``, and :func:`load` gathers them here (this grows until it is the whole package).
COVERED: list[str] = []


def load() -> dict[str, Declaration]:
    """Import every ``decl_*`` module of this package (each calls :func:`declare`) and return the registry."""
    import tests.contracts as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("decl_"):
            module = importlib.import_module(f"tests.contracts.{info.name}")
            COVERED.extend(m for m in getattr(module, "COVERS", ()) if m not in COVERED)
            RECORDS.extend(c for c in getattr(module, "RECORDS", ()) if c not in RECORDS)
            TOOLING.update(getattr(module, "TOOLING", {}))
    return REGISTRY


def public_functions(module_name: str) -> list[str]:
    """The public functions a module defines, memoised ones (``functools.lru_cache``) included."""
    module = importlib.import_module(module_name)
    return [f"{module_name}.{name}" for name, obj in vars(module).items()
            if _is_function(obj) and getattr(obj, "__module__", None) == module_name and not name.startswith("_")]


def _is_function(obj) -> bool:
    """A plain function, or one wrapped by a decorator that keeps ``__wrapped__`` (``functools.lru_cache``)."""
    if inspect.isclass(obj):
        return False
    try:
        return inspect.isfunction(inspect.unwrap(obj))
    except ValueError:                       # a __wrapped__ chain that loops
        return False


def public_classes(module_name: str) -> list[type]:
    """The public classes a module defines (exceptions aside)."""
    module = importlib.import_module(module_name)
    return [obj for name, obj in vars(module).items()
            if inspect.isclass(obj) and obj.__module__ == module_name and not name.startswith("_")
            and not issubclass(obj, BaseException)]


def public_methods(cls: type) -> list[str]:
    """The public methods ``cls`` itself defines (plain, static and class methods; not properties)."""
    return [name for name, obj in vars(cls).items() if not name.startswith("_")
            and (inspect.isfunction(obj) or isinstance(obj, (staticmethod, classmethod)))]


#: Records (see the module docstring), gathered from the ``decl_*`` modules' ``RECORDS``.
RECORDS: list[type] = []

#: Build tooling exempt from declaration: qualified name -> why (the ``decl_*`` modules' ``TOOLING``).
TOOLING: dict[str, str] = {}


def missing_declarations(module_name: str) -> list[str]:
    """What a covered module leaves undeclared: functions, constructors of non-record classes, methods."""
    missing = [f for f in public_functions(module_name) if f not in REGISTRY and f not in TOOLING]
    for cls in public_classes(module_name):
        name = f"{module_name}.{cls.__qualname__}"
        if cls not in RECORDS and name not in REGISTRY:
            missing.append(name + " (constructor, or list it in RECORDS)")
        missing += [f"{name}.{m}" for m in public_methods(cls) if f"{name}.{m}" not in REGISTRY]
    return missing

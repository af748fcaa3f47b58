"""Declarations: the reader-facing tools: checks, data, the widgets (explore), practice, questions, validators."""

from __future__ import annotations

import numpy as np
import sympy as sp

from mlsheet_utils import data as DA
from mlsheet_utils import practice as PR
from mlsheet_utils import questions as Q
from mlsheet_utils import validation as V
from mlsheet_utils.algorithms.nn import layers as NL
from mlsheet_utils.algorithms.nn import optimizers as NO
from mlsheet_utils.checks import gradients as GR
from mlsheet_utils.checks import layers as LA
from mlsheet_utils.checks import mutation as MU
from mlsheet_utils.checks import numeric as NU
from mlsheet_utils.checks import practice as CP
from mlsheet_utils.checks import symbolic as SY
from mlsheet_utils.explore import controls as CO
from mlsheet_utils.explore import explorer as EX
from mlsheet_utils.explore import matrix as MA
from mlsheet_utils.explore import plotting as PL
from mlsheet_utils.explore import static as ST
from mlsheet_utils.explore import views as VI
from tests.contracts.kinds import (
    Anything,
    Array,
    Choice,
    Fixed,
    Flag,
    Func,
    Image,
    Int,
    IntArray,
    Interval,
    Optional,
    Positive,
    ProbVector,
    Real,
    RealOrInf,
    Rng,
    Shape,
    Text,
)
from tests.contracts.kinds_objects import (
    Control,
)
from tests.contracts.registry import declare, declare_method, ordered, star

COVERS = ("mlsheet_utils.checks.gradients", "mlsheet_utils.checks.layers", "mlsheet_utils.checks.mutation",
          "mlsheet_utils.checks.numeric", "mlsheet_utils.checks.practice", "mlsheet_utils.checks.symbolic",
          "mlsheet_utils.data", "mlsheet_utils.explore.controls", "mlsheet_utils.explore.explorer",
          "mlsheet_utils.explore.matrix", "mlsheet_utils.explore.plotting", "mlsheet_utils.explore.static",
          "mlsheet_utils.explore.views", "mlsheet_utils.practice", "mlsheet_utils.questions",
          "mlsheet_utils.validation")

# records: results the package returns and no page builds
RECORDS = (MU.Target, CP.Row, CP.Report, CP.HintLadder, EX.Frame, EX.UpdateRecord, MA.MatrixPicture, Q.Interview)

# build tooling: run by `make mutate` and `make execute` (mlsheet_utils/tools/book.py), never by a page
TOOLING = {
    "mlsheet_utils.checks.mutation.install": "the cell make mutate inserts into the executed copy of a notebook",
    "mlsheet_utils.checks.mutation.targets": "make mutate: reads a notebook's implementation cells",
    "mlsheet_utils.checks.mutation.run": "make mutate: executes a notebook in a kernel",
    "mlsheet_utils.checks.mutation.mutate": "make mutate: runs every mutant of every notebook",
    "mlsheet_utils.checks.mutation.main": "make mutate: the command line",
    "mlsheet_utils.explore.static.export_frames": "make execute: the code run in a notebook's kernel after its cells",
    "mlsheet_utils.explore.static.export_code": "make execute (tools/book.py): the code of that last cell",
    "mlsheet_utils.explore.static.install_frames": "make execute (tools/book.py): moves exported frames into place",
    "mlsheet_utils.explore.static.displayed_models": "make execute: reads a notebook's widget state",
    "mlsheet_utils.explore.static.page_key": "make execute: a notebook's site path",
    "mlsheet_utils.explore.static.manifest_js": "make execute: writes a frames manifest",
    "mlsheet_utils.explore.static.read_manifest": "the browser tests: reads a frames manifest back",
}


NAME = Text(("x",))
LABEL = Text(("a step", "Var of the mean, $\\sigma^2/n$"), extra=(("an unmatched $", "a $b"),), optional=True)
TOL = Real(0.0, None, draw=(1e-5, 1e-3))
ONES = Array(("n",), finite=False, any_shape=True, draw=(1.0, 1.0))   # ours == reference: the check passes

# == validation: each validator names the argument it is told (name="value") =========================================
declare(V.as_array, x=Array(("n", "d")), name=Fixed(lambda d: "x"), ndim=Fixed(lambda d: 2))
declare(V.check_int, value=Int(0, 10), name=Fixed(lambda d: "value"), low=Fixed(lambda d: 0),
        high=Fixed(lambda d: 10))
declare(V.check_float, value=Real(0.0, 1.0, low_open=True), name=Fixed(lambda d: "value"),
        low=Fixed(lambda d: 0.0), high=Fixed(lambda d: 1.0), low_open=Fixed(lambda d: True))
declare(V.check_indices, x=IntArray(("n",), low=0, high=4), name=Fixed(lambda d: "x"), high=Fixed(lambda d: 5),
        ndim=Fixed(lambda d: 1))
declare(V.check_random_state, rng=Rng())
declare(V.check_callable, f=Func(lambda d: np.sin), name=Fixed(lambda d: "f"))
declare(V.check_probabilities, p=ProbVector("k"), name=Fixed(lambda d: "p"), ndim=Fixed(lambda d: 1))
declare(V.check_bool, value=Choice((True, False)), name=Fixed(lambda d: "value"))

# == data ============================================================================================================
declare(DA.blobs, n_per_cluster=Int(1, None, draw=(1, 5)), centers=Array(("k", "d")), scale=Positive(), rng=Rng())
declare(DA.linear_data, n=Int(1, None, draw=(1, 8)), weights=Array(("d",)), bias=Real(),
        noise=Real(0.0, None, draw=(0.0, 2.0)), rng=Rng())

# == checks.numeric ==================================================================================================
declare(NU.sig, x=Real(), digits=Int(1, 15))
# the assertions hold on valid draws: |value| <= bound, |value| >= bound, low <= value <= high
declare(NU.below, value=Real(), bound=Positive(), what=Text(("value",)),
        where=lambda a: abs(a["value"]) <= a["bound"])
declare(NU.above, value=Real(), bound=Positive(draw=(0.01, 1.0)), what=Text(("value",)),
        where=lambda a: abs(a["value"]) >= a["bound"])
declare(NU.between, value=Real(draw=(-5.0, 5.0)), low=Real(draw=(-10.0, -5.0)), high=Real(draw=(5.0, 10.0)),
        what=Text(("value",)), relations=ordered("low", "high"))
# "where the allowance is 0 ... any difference counts inf": a documented infinite answer
declare(NU.tolerance_used, ours=Array(("n",), finite=False, any_shape=True, empty_ok=True),
        reference=Array(("n",), finite=False, any_shape=True, empty_ok=True), rtol=TOL, atol=TOL, finite=False)
declare(NU.share_text, share=RealOrInf(0.0, None, draw=(0.0, 3.0)))   # inf: tolerance_used's documented answer
declare(NU.check_close, name=NAME, ours=ONES, reference=ONES, rtol=TOL, atol=TOL, quiet=Flag())

# == checks.gradients: f(x) = |x|^2 / 2, whose gradient is x (central differences are exact up to round-off) =========
declare(GR.check_gradient, name=NAME, f=Func(lambda d: lambda x: 0.5 * float(np.sum(x * x))),
        grad=Func(lambda d: lambda x: np.array(x, dtype=float)), x=Array(("n",), any_shape=True, draw=(-2.0, 2.0)),
        eps=Positive(draw=(1e-6, 1e-4)), rtol=Real(0.0, None, draw=(1e-5, 1e-3)),
        atol=Real(0.0, None, draw=(1e-8, 1e-6)))

# == checks.symbolic =================================================================================================
_x = sp.Symbol("x")


def _sym(make, other):
    """A SymPy operand: wrong are None, a matrix against a scalar, and ``other`` pairs."""
    return Fixed(lambda d: make(), wrong=[("None", None), ("a matrix against a scalar", sp.Matrix([[1, 2]]))]
                 + list(other))


declare(SY.check_identity, lhs=_sym(lambda: (_x + 1) ** 2, ()), rhs=_sym(lambda: _x ** 2 + 2 * _x + 1, ()),
        label=LABEL, show=Flag())
declare(SY.check_step, start=_sym(lambda: sp.Integral(_x, (_x, 0, 1)), ()),
        expected=_sym(lambda: sp.Rational(1, 2), ()), label=LABEL, show=Flag())
declare(SY.label_latex, label=Text(("a step", "Var of the mean, $\\sigma^2/n$"), extra=(("an unmatched $", "a $b"),)))
declare(SY.show_math, latex=Text(("x^2",)), label=LABEL)

# == checks.mutation =================================================================================================
declare(MU.perturb, value=Anything())
declare(MU.Mutant, func=Func(lambda d: np.cos))

# == checks.practice: a tiny exercise of the decl module (its template's source is readable) =========================


def double(x):
    """Twice ``x``."""
    return 2.0 * np.asarray(x)


def _double_reference(x):
    """x + x."""
    return np.asarray(x) + np.asarray(x)


def _double_inputs(rng, size):
    return {"x": rng.standard_normal(size)}


def _exercise(**kw):
    args = dict(section="9.1", template=double, reference=_double_reference, inputs=_double_inputs,
                hints=("add x to itself",), key_line="return 2.0 * x", sizes=(1, 2))
    return CP.Exercise(**{**args, **kw})


declare(CP.compare, expected=Anything(), obtained=Anything(), rtol=Real(0.0, None, draw=(0.0, 1e-3)),
        atol=Real(0.0, None, draw=(0.0, 1e-3)))
declare(CP.show, value=Anything(), limit=Int(1, None, draw=(1, 200)))
declare(CP.is_stub, func=Func(lambda d: double))
declare(CP.as_exercise, section=Text(("9.1", "3.23.1"), extra=(("not a section id", "one.two"), ("empty", ""))))
declare(CP.Exercise, section=Text(("9.1",), extra=(("not a section id", "one.two"),)), template=Func(lambda d: double),
        reference=Func(lambda d: _double_reference), inputs=Func(lambda d: _double_inputs),
        difficulty=Int(1, 3), hints=Fixed(lambda d: ("add x to itself",),
                                          wrong=[("None", None), ("no hints", ()), ("a string", "seven"),
                                                 ("a number inside", (3.0,))]),
        key_line=Text(("return 2.0 * x",), extra=(("empty", ""),)), rtol=TOL, atol=TOL,
        sizes=Fixed(lambda d: (1, 2), wrong=[("None", None), ("empty", ()), ("a zero size", (0,)),
                                             ("a fraction", (1.5,))]),
        seed=Int(0, None, draw=(0, 10)))
for _method in ("stub", "checks", "hint_ladder", "cases"):
    declare_method(CP.Exercise, _method, make=lambda d: _exercise())
declare_method(CP.Exercise, "check", make=lambda d: _exercise(), func=Func(lambda d: double))
declare_method(CP.Report, "summary", make=lambda d: _exercise().check(double))
declare_method(CP.HintLadder, "html", make=lambda d: _exercise().hint_ladder())

# == practice: the exercises of the sheet ============================================================================
SECTION = Choice(("2.3", "4.6"))
declare(PR.exercises, finite=False)          # exercises hold edge cases with infinite inputs on purpose
declare(PR.exercise, section=SECTION)
declare(PR.hints, section=SECTION)
declare(PR.check, func=Fixed(lambda d: PR.exercise("2.3").solution, wrong=[("None", None), ("a number", 3.0)]),
        section=Optional(Choice(("2.3",))))

# == questions =======================================================================================================
_QA = [("What is 1 + 1?", "2"), ("Why?", "Because."), ("And 2 + 2?", "4")]
declare(Q.interview, questions=Fixed(lambda d: list(_QA), wrong=[
    ("None", None), ("a number", 3.0), ("a string", "seven"), ("an empty answer", [*_QA[:2], ("Q", "")]),
    ("not pairs", [("a", "b", "c")] * 3)]), minimum=Int(1, None, draw=(1, 3)),
        relations=[("questions", "fewer than minimum", lambda a: _QA[:a["minimum"] - 1])])
declare_method(Q.Interview, "html", make=lambda d: Q.interview(_QA))


# show_source(*objs) takes its objects positionally: the declaration passes them as one tuple
declare(star(Q.show_source, "objs"),
        objs=Fixed(lambda d: (DA.blobs,), wrong=[("nothing", ()), ("a number", (3.0,)), ("None", (None,))]))
declare(Q.escape, text=Text(("a < b & c",)))

# == checks.layers: a Linear layer, finite differences only (reference=False: no JAX) ================================
declare(LA.check_layer, layer=Fixed(lambda d: NL.Linear(d["i"], d["o"]), uses=("i", "o"),
                                    wrong=[("None", None), ("a number", 3.0), ("a pair of numbers", (1.0, 2.0))]),
        params=Fixed(lambda d: NL.Linear(d["i"], d["o"]).init_params(0), uses=("i", "o"),
                     wrong=[("None", None), ("a string", "seven"), ("a NaN weight", {"W": np.full((1, 1), np.nan)})]),
        x=Array(("n", "i"), any_shape=True), reference=Fixed(lambda d: False, wrong=[("a number", 3.0),
                                                                                      ("a string", "seven")]),
        rng=Rng(), rtol=Real(0.0, None, draw=(1e-6, 1e-4)), atol=Real(0.0, None, draw=(1e-8, 1e-6)),
        eps=Positive(draw=(1e-7, 1e-5)), name=Optional(NAME), dims={"n": (1, 3), "i": (1, 3), "o": (1, 3)})
NO_JAX = NL.Residual(NL.Linear(2, 2), NL.LayerNorm(2))       # a Layer jax_reference has no JAX version of
declare(LA.jax_reference, layer=Fixed(lambda d: NL.Linear(d["i"], d["o"]), uses=("i", "o"),
                                      wrong=[("None", None), ("a number", 3.0), ("a list", [1.0, 2.0]),
                                             ("a layer with no JAX version", NO_JAX)]))
declare(LA.check_optimizer_step, optimizer=Fixed(lambda d: NO.SGD(0.1), wrong=[("None", None), ("a number", 3.0)]),
        params=Fixed(lambda d: {"W": np.ones((d["r"], d["c"]))}, uses=("r", "c"),
                     wrong=[("None", None), ("a string", "seven"), ("a NaN entry", {"W": np.array([np.nan])})]),
        steps=Int(1, None, draw=(1, 3)), rng=Rng(), rtol=Real(0.0, None, draw=(1e-10, 1e-8)),
        atol=Real(0.0, None, draw=(1e-12, 1e-10)), dims={"r": (1, 3), "c": (1, 3)})

# == explore.plotting ================================================================================================


def _ax(d=None):
    """A fresh axes of a small figure that pyplot does not track (nothing to close)."""
    return PL.new_figure(width=1.5, height=1.0)[1]


def _figure(d=None):
    fig, ax = PL.new_figure(width=1.0, height=0.8)
    ax.set_axis_off()
    ax.plot([0, 1], [0, 1])
    return fig


AX = Fixed(_ax, wrong=[("None", None), ("a number", 3.0)])
FIG = Fixed(_figure, wrong=[("None", None), ("a number", 3.0)])

declare(PL.use_style)
declare(PL.new_figure, ncols=Int(1, None, draw=(1, 2)), nrows=Int(1, None, draw=(1, 2)),
        width=Positive(draw=(1.0, 2.0)), height=Positive(draw=(1.0, 2.0)))
declare(PL.encode_png, rgba=Image())
declare(PL.png_bytes, fig=FIG)
declare(PL.rescale, ax=AX, x=Flag(), y=Flag(), margin=Optional(Real(-0.5, None, low_open=True, draw=(0.0, 0.5))))
declare(PL.snap_limits, lo=Real(), hi=Real(), steps=Int(1, None, draw=(1, 10)),
        where=lambda a: a["lo"] <= a["hi"], relations=[("lo", "above hi", lambda a: a["hi"] + 1.0)])
declare(PL.LayeredRenderer, fig=FIG)
for _method in ("render", "png"):
    declare_method(PL.LayeredRenderer, _method, make=lambda d: PL.LayeredRenderer(_figure()))

# == explore.controls ================================================================================================
DESCRIPTION = Text(("$\\alpha$",))
declare(CO.float_slider, description=DESCRIPTION, min=Real(draw=(-10.0, -5.0)), max=Real(draw=(5.0, 10.0)),
        value=Real(draw=(-5.0, 5.0)), step=Optional(Positive(draw=(0.01, 1.0))), continuous_update=Flag(),
        relations=ordered("min", "max") + [("value", "above max", lambda a: a["max"] + 1.0)])
declare(CO.log_slider, description=DESCRIPTION, min_exp=Real(draw=(-3.0, -1.0)), max_exp=Real(draw=(1.0, 3.0)),
        value=Real(draw=(0.5, 2.0)), base=Positive(draw=(2.0, 10.0)), step=Positive(draw=(0.01, 0.5)),
        continuous_update=Flag(),
        relations=ordered("min_exp", "max_exp") + [
            ("value", "above the range", lambda a: 2.0 * a["base"] ** a["max_exp"]), ("value", "zero", lambda a: 0.0),
            ("base", "one", lambda a: 1.0)])
declare(CO.int_slider, description=DESCRIPTION, min=Int(draw=(-10, -5)), max=Int(draw=(5, 10)),
        value=Int(draw=(-5, 5)), step=Int(1, None, draw=(1, 3)), continuous_update=Flag(),
        relations=[("max", "equal to min", lambda a: a["min"]), ("min", "above max", lambda a: a["max"] + 1),
                   ("value", "above max", lambda a: a["max"] + 1)])
declare(CO.dropdown, description=DESCRIPTION,
        options=Fixed(lambda d: ["p", "q", "r"], wrong=[("None", None), ("no options", []), ("a number", 3.0)]),
        value=Optional(Choice(("p", "q", "r"))))
declare(CO.checkbox, description=DESCRIPTION, value=Flag())
declare(CO.control_extremes, control=Control())
declare(CO.control_values, control=Control(), points=Optional(Int(2, None, draw=(2, 5))))
declare(CO.frames, description=DESCRIPTION, n_frames=Int(2, None, draw=(2, 20)),
        value=Optional(Int(0, None, draw=(0, 1))), interval_ms=Int(1, None, draw=(1, 500)),
        relations=[("value", "n_frames", lambda a: a["n_frames"])])
declare(CO.frame_controls, control=Control(strict=False))

# == explore.explorer ================================================================================================


def _setup(fig, ax):
    ax.set_axis_off()                         # no ticks: a cheap first draw
    (line,) = ax.plot([], [])
    return {"line": line}


def _draw(state, *result, **values):
    state["line"].set_data([0.0, 1.0], [0.0, 1.0])
    return "drawn"


def _compute(a):
    return a


def _explorer(d=None, compute=True):
    return EX.Explorer({"a": CO.checkbox("a")}, _setup, _draw, compute=_compute if compute else None,
                       width=1.0, height=0.8)


declare(EX.Explorer, controls=Fixed(lambda d: {"a": CO.checkbox("a")},
                                    wrong=[("None", None), ("no controls", {}), ("not a widget", {"a": 3.0}),
                                           ("a number", 3.0)]),
        setup=Func(lambda d: _setup), draw=Func(lambda d: _draw), compute=Optional(Func(lambda d: _compute)),
        title=Text(("", "t")), ncols=Int(1, None, draw=(1, 1)), nrows=Int(1, None, draw=(1, 1)),
        width=Positive(draw=(1.0, 1.5)), height=Positive(draw=(0.8, 1.0)), layered=Flag(),
        cache_size=Int(1, None, draw=(1, 64)),
        relations=[("compute", "taking no control", lambda a: lambda b: b)])
declare_method(EX.Explorer, "result", make=_explorer)
declare_method(EX.Explorer, "render", make=_explorer)
declare_method(EX.Explorer, "refresh", make=_explorer)
declare_method(EX.Explorer, "set", make=_explorer)
declare_method(EX.Explorer, "sweep", make=_explorer, points=Optional(Int(2, None, draw=(2, 3))))
declare_method(EX.Explorer, "clear_cache", make=_explorer)
declare(EX.explorers, namespace=Optional(Fixed(lambda d: {"ex": _explorer()},
                                               wrong=[("a number", 3.0), ("a string", "seven")])))
declare(EX.figure_has_data, fig=FIG)
_RECORDS = [EX.UpdateRecord({"a": 1}, 0.01, None, False), EX.UpdateRecord({"a": 2}, 0.02, "no", False)]
declare(EX.summarize, records=Fixed(lambda d: list(_RECORDS), wrong=[("None", None), ("no records", []),
                                                                    ("a number inside", [3.0])]))
declare(EX.check_sweep, explorer=Fixed(_explorer, wrong=[("None", None), ("a number", 3.0)]))

# == explore.matrix ==================================================================================================

def _matrix_axes(d=None):
    return PL.new_figure(2, width=1.5, height=0.8)


declare(MA.matrix_compute, a=Real(), b=Real(), c=Real(), d=Real(), symmetric=Flag())
declare(MA.matrix_setup, fig=Fixed(lambda d: _matrix_axes()[0]),
        axes=Fixed(lambda d: _matrix_axes()[1], wrong=[("None", None), ("one axes", _ax())]))
declare(MA.matrix_draw, state=Fixed(lambda d: MA.matrix_setup(*_matrix_axes()),
                                    wrong=[("None", None), ("an empty dict", {})]),
        result=Fixed(lambda d: MA.matrix_compute(1.0, 0.5, 0.25, 1.0), wrong=[("None", None), ("a number", 3.0)]),
        overlay=Choice(("det", "eig", "svd", "all")))
declare(MA.matrix_controls, overlay=Choice(("det", "eig", "svd", "all")), value=Array((4,), low=-2.0, high=2.0),
        symmetric=Flag())
declare(MA.matrix_explorer, overlay=Choice(("det", "eig", "svd", "all")), value=Array((4,), low=-2.0, high=2.0),
        symmetric=Flag(), title=Optional(NAME))

# == explore.static ==================================================================================================
declare(ST.control_plan, name=NAME, control=Control())
declare(ST.frame_keys, plans=Fixed(lambda d: [ST.control_plan("a", CO.checkbox("a")),
                                              ST.control_plan("k", CO.dropdown("k", ["p", "q"]))],
                                   wrong=[("None", None), ("a number inside", [3.0])]))
declare(ST.encode_frame, rgb=Image())
declare(ST.render_explorer, explorer=Fixed(_explorer, wrong=[("None", None), ("a number", 3.0)]))

# == explore.views ===================================================================================================
declare(VI.Curves, ax=AX, labels=Fixed(lambda d: ["a", ""], wrong=[("None", None), ("no labels", []),
                                                                   ("a string", "seven"), ("a number inside", [3.0])]),
        logy=Flag())
declare_method(VI.Curves, "update", make=lambda d: VI.Curves(_ax(), ["a"] * d["k"]), uses=("k",),
               x=Array(("n",), finite=False, empty_ok=True),
               ys=Fixed(lambda d: [np.linspace(0.0, 1.0, d["n"])] * d["k"], uses=("n", "k"),
                        wrong=[("None", None), ("one line too many", [np.zeros(1)] * 9),
                               ("a string inside", ["seven"])]),
               relations=[("ys", "a length that disagrees with x", lambda a: [np.zeros(a["x"].size + 1)] * 1)],
               dims={"k": (1, 1)})
declare(VI.Surface, ax=AX, xlim=Interval(), ylim=Interval(), resolution=Int(2, None, draw=(2, 10)),
        alpha=Real(0.0, 1.0))
declare_method(VI.Surface, "update", make=lambda d: VI.Surface(_ax(), (0, 1), (0, 1), resolution=d["r"]),
               uses=("r",), values=Fixed(lambda d: np.linspace(0.0, 1.0, d["r"] ** 2), uses=("r",),
                                         wrong=[("None", None), ("a string", "seven"), ("one value too many",
                                                                                       np.zeros(101))]),
               points=Optional(Array(("n", 2), empty_ok=True)), labels=Optional(IntArray(("n",), empty_ok=True)),
               where=lambda a: a["points"] is not None or a["labels"] is None, dims={"r": (2, 4)})
declare(VI.Heatmap, ax=AX, shape=Shape(sizes=("r", "c")), vmin=Real(draw=(-5.0, -1.0)), vmax=Real(draw=(1.0, 5.0)),
        annotate=Flag(), relations=ordered("vmin", "vmax"))
declare_method(VI.Heatmap, "update", make=lambda d: VI.Heatmap(_ax(), (d["r"], d["c"]), vmin=0.0, vmax=1.0,
                                                               annotate=True),
               uses=("r", "c"), matrix=Array(("r", "c"), finite=False), dims={"r": (1, 3), "c": (1, 3)})

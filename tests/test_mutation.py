"""The mutation machinery: what a mutant returns, which implementations a notebook presents, how one is installed."""

import collections
import dataclasses
import types

import nbformat
import numpy as np
import pytest

from mlsheet_utils.checks import mutation


def test_perturb_nudges_every_number_in_any_container():
    Pair = collections.namedtuple("Pair", "a b")

    @dataclasses.dataclass(frozen=True)
    class Result:
        x: np.ndarray
        n: int
        name: str

    value = {"t": (1.0, 2), "l": [np.array([0.0, 2.0]), True], "p": Pair(3.0, "s"),
             "r": Result(np.array([1.0]), 4, "k")}
    new, changed = mutation.perturb(value)
    assert changed
    assert new["t"] == (1.0 * (1 + mutation.FACTOR), 3)
    np.testing.assert_allclose(new["l"][0], [1e-6, 2.0 * (1 + mutation.FACTOR)])
    assert new["l"][1] is False
    assert isinstance(new["p"], Pair) and new["p"].b == "s" and new["p"].a == pytest.approx(3.003)
    assert isinstance(new["r"], Result) and new["r"].n == 5 and new["r"].name == "k"
    np.testing.assert_array_equal(mutation.perturb(np.array([1, 2]))[0], [2, 0])       # stays in range
    np.testing.assert_array_equal(mutation.perturb(np.array([-1, 2]))[0], [0, 3])
    np.testing.assert_array_equal(mutation.perturb(np.array([True, False]))[0], [False, True])


def test_perturb_leaves_non_numbers_alone():
    for value in ("text", None, np.array([], dtype=float), np.array(["a"])):
        new, changed = mutation.perturb(value)
        assert not changed


def _nb(*cells):
    out = []
    for kind, source, tags in cells:
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        out.append(make(source, metadata={"tags": tags}))
    return nbformat.v4.new_notebook(cells=out)


def test_targets_are_public_defs_and_shown_package_functions_of_implementation_cells():
    nb = _nb(("code", "import numpy as np", ["setup"]),
             ("code", "def f(x):\n    return x\n\ndef _helper():\n    pass\n\nclass C:\n    pass", ["implementation"]),
             ("code", "show_source(cluster.kmeans)\nshow_source(linalg._eliminate)", ["implementation"]),
             ("code", "def g():\n    pass", ["reference-check"]))
    assert [(t.name, t.cell, t.shown) for t in mutation.targets(nb)] == [("f", 1, False),
                                                                         ("cluster.kmeans", 2, True)]


def test_cells_put_the_mutant_after_a_def_and_before_a_shown_function_and_drop_widgets():
    nb = _nb(("code", "x = 1", ["setup"]), ("code", "def f():\n    return 1.0", ["implementation"]),
             ("code", "Explorer(...)", ["widget"]), ("code", "check_sweep(ex)", ["widget-check"]),
             ("code", "assert f() == 1.0", ["reference-check"]))
    target = mutation.targets(nb)[0]
    sources = [c.source for c in mutation._cells_for(nb, target)]
    assert sources[:2] == ["x = 1", "def f():\n    return 1.0"]
    assert "install(globals(), 'f')" in sources[2] and sources[3] == "assert f() == 1.0"
    assert "MUTANT" in sources[-1] and not any("Explorer" in s or "check_sweep" in s for s in sources)
    shown = mutation.Target("m.g", 1, True)
    assert "install(globals(), 'm.g')" in [c.source for c in mutation._cells_for(nb, shown)][1]


def test_install_replaces_the_module_attribute_and_every_alias():
    module = types.ModuleType("fake_mod")

    def area(r):
        return 3.0 * r * r

    area.__module__ = "fake_mod"
    module.area = area
    import sys
    sys.modules["fake_mod"] = module
    try:
        ns = {"fm": module, "area_alias": area}
        mutation.install(ns, "fm.area")
        assert module.area(1.0) == pytest.approx(3.003)
        assert ns["area_alias"] is module.area and mutation.ACTIVE.calls == 1 and mutation.ACTIVE.changed
    finally:
        del sys.modules["fake_mod"]
    with pytest.raises(ValueError, match="not defined"):
        mutation.install({}, "missing")
    with pytest.raises(ValueError, match="dotted name"):
        mutation.install({}, "a b")


def test_a_checked_implementation_is_caught_and_an_unchecked_one_survives(tmp_path):
    nb = _nb(("code", "import numpy as np", ["setup"]),
             ("code", "def mean(x):\n    return float(np.sum(x)) / len(x)\n\n"
                      "def spread(x):\n    return float(np.ptp(x))", ["implementation"]),
             ("code", "assert abs(mean([1.0, 2.0, 6.0]) - np.mean([1.0, 2.0, 6.0])) < 1e-12\n"
                      "print(f'{spread([1.0, 3.0]):.0f}')", ["reference-check"]))
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, str(path))
    report = mutation.mutate([str(path)], jobs=2, out=open("/dev/null", "w"))
    assert report["total"] == 2 and report["caught"] == 1 and not report["broken"]
    assert report["survivors"] == ["nb.ipynb: spread"]

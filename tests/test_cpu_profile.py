"""The second CPU profile of `make test` (tests/generic-cpu.env) really changes the kernels a notebook runs on.

Stored outputs must hold on every x86-64 machine, so `make test` re-executes the notebooks once more with
OpenBLAS forced to its Nehalem kernels and NumPy's SIMD dispatch limited to the x86-64-v2 baseline. This test
checks, in a fresh interpreter, that both settings take effect (a typo in a variable name would otherwise make
the second pass a silent copy of the first).
"""

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

PROFILE = Path(__file__).with_name("generic-cpu.env")

PROBE = """
import json
import numpy as np
import scipy.linalg  # noqa: F401  (loads SciPy's own OpenBLAS too)
from numpy.lib.introspect import opt_func_info
from threadpoolctl import threadpool_info
blas = sorted({i.get("architecture") for i in threadpool_info() if i.get("internal_api") == "openblas"})
loops = opt_func_info(func_name="^(add|exp|log|sin)$", signature="float64")
print(json.dumps({"blas": blas, "loops": sorted({v["current"] for f in loops.values() for v in f.values()})}))
"""


def profile_env() -> dict[str, str]:
    pairs = [line.split("=", 1) for line in PROFILE.read_text().splitlines() if line.strip()]
    return dict(pairs)


def probe(extra: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES")}
    env.update(extra)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def test_profile_file_names_exactly_the_two_settings():
    assert set(profile_env()) == {"OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES"}


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the generic profile is an x86-64 one")
def test_generic_profile_switches_blas_kernels_and_numpy_loops():
    generic = probe(profile_env())
    assert generic["blas"] == ["Nehalem"], generic
    assert generic["loops"] == ["baseline(X86_V2)"], generic


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the generic profile is an x86-64 one")
def test_makefile_runs_the_notebooks_under_the_profile():
    makefile = Path(__file__).parents[1].joinpath("Makefile").read_text()
    assert "tests/generic-cpu.env" in makefile and "nbtest-generic" in makefile.split("\ntest:")[1].split("\n\n")[0]

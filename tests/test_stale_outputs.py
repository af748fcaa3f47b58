"""A notebook whose stored outputs no longer match a fresh run must fail `make test` (nbval strict mode)."""

import json
import subprocess
import sys

from mlsheet_utils.tools import book


def _nbval(path):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", str(path), "--nbval-current-env", "-q",
         "-p", "no:cacheprovider", "-p", "no:xdist", "--nbval-sanitize-with",
         str(book.ROOT / "tests" / "sanitize.cfg"), "--rootdir", str(path.parent)],
        capture_output=True, text=True, cwd=path.parent, timeout=300)


def test_changing_a_seed_without_reexecuting_fails(tmp_path):
    nb = book.read_notebook(book.notebooks()["3.23.1"])
    setup = next(c for c in nb["cells"] if "setup" in c.get("metadata", {}).get("tags", []))
    source = "".join(setup["source"])
    assert "default_rng(2323)" in source
    setup["source"] = source.replace("default_rng(2323)", "default_rng(2324)")
    stale = tmp_path / "stale.ipynb"
    stale.write_text(json.dumps(nb), encoding="utf-8")
    result = _nbval(stale)
    assert result.returncode != 0, result.stdout[-2000:]
    assert "failed" in result.stdout


def test_unchanged_copy_passes_in_the_same_harness(tmp_path):
    """Control for the test above: the same harness accepts the notebook as committed."""
    fresh = tmp_path / "fresh.ipynb"
    fresh.write_text(book.notebooks()["3.23.1"].read_text(encoding="utf-8"), encoding="utf-8")
    result = _nbval(fresh)
    assert result.returncode == 0, result.stdout[-2000:]

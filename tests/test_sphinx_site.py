"""The site's Sphinx extension: scripts that Sphinx would write twice appear once; the repository and launch
buttons appear only for a real repository."""

from pathlib import Path

import pytest
import yaml
from sphinx.builders.html._assets import _JavaScript

from mlsheet_utils.tools import sphinx_site

ROOT = Path(__file__).resolve().parents[1]


def test_duplicate_inline_scripts_are_dropped():
    body = 'const THEBE_JS_URL = "x"'
    scripts = [_JavaScript("_static/a.js"), _JavaScript(None, body=body), _JavaScript("_static/b.js"),
               _JavaScript("", body=body), _JavaScript("_static/a.js", defer="defer")]
    context = {"script_files": scripts}
    sphinx_site.dedupe_scripts(None, "page", "page.html", context, None)
    assert [(s.filename, s.attributes) for s in context["script_files"]] == [
        ("_static/a.js", {}), (None, {"body": body}), ("_static/b.js", {}), ("_static/a.js", {"defer": "defer"})]
    assert context["script_files"] is scripts  # edited in place: Sphinx restores the list after the page


def test_pages_without_scripts_are_left_alone():
    context = {}
    sphinx_site.dedupe_scripts(None, "page", "page.html", context, None)
    assert context == {}


# -- repository and launch buttons --------------------------------------------------------------------

@pytest.mark.parametrize("url", ["", None, "https://github.com/executablebooks/jupyter-book",
                                 "https://github.com/mlsheet/placeholder", "https://gitlab.com/a/b",
                                 "https://github.com/only-owner", "https://github.com/a/b/tree/main"])
def test_no_repository_means_no_buttons(url):
    options = sphinx_site.launch_options({"repository_url": url, "use_download_button": True})
    assert options["use_repository_button"] is False
    assert not options["launch_buttons"]["binderhub_url"] and not options["launch_buttons"]["colab_url"]
    assert "repository_url" not in options
    assert options["use_download_button"] is True


def test_a_real_repository_turns_repository_and_binder_buttons_on():
    options = sphinx_site.launch_options({"repository_url": "https://github.com/someone/ml-book/"})
    assert options["use_repository_button"] is True
    assert options["launch_buttons"] == {"notebook_interface": "jupyterlab", "binderhub_url": "https://mybinder.org"}
    assert options["repository_url"] == "https://github.com/someone/ml-book/"


def test_the_shipped_config_names_no_repository_and_binder_has_what_it_needs():
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert sphinx_site.published_repository(cfg["repository"]["url"]) is None
    assert "use_repository_button" not in cfg.get("html", {}), "the buttons follow repository.url alone"
    assert (ROOT / "runtime.txt").read_text().strip() == "python-3.11"
    assert "-e ." in (ROOT / "requirements.txt").read_text().splitlines(), "Binder must install mlsheet_utils"

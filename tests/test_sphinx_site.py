"""The site's Sphinx extension: scripts that Sphinx would write twice appear once."""

from sphinx.builders.html._assets import _JavaScript

from mlsheet_utils.tools import sphinx_site


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

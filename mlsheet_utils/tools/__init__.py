"""The book's own tooling, run by ``make`` and never imported by a page.

- :mod:`.book`         headings, the table of contents, notebook execution (``make execute``, ``make toc``);
- :mod:`.pages`        the generated appendix pages (``make pages``);
- :mod:`.bench`        ``make bench``: notebook times, widget update times, implementations against references;
- :mod:`.speed`        the implementation/reference pairs that ``make bench`` times;
- :mod:`.sphinx_site`  a small Sphinx extension for the static site.
"""

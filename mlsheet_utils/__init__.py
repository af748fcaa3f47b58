"""Helpers behind the executable ML interview sheet.

One module per concern:

- :mod:`mlsheet_utils.plotting`  one colour-blind-safe look and page-sized figures;
- :mod:`mlsheet_utils.widgets`   the widget scaffold every interactive plot is built on;
- :mod:`mlsheet_utils.checks`    SymPy identity checks and numeric reference checks;
- :mod:`mlsheet_utils.qa`        interview questions with answers hidden until clicked;
- :mod:`mlsheet_utils.data`      seeded data generators shared by several notebooks;
- :mod:`mlsheet_utils.validation` argument checks that raise clear ``ValueError`` messages;
- :mod:`mlsheet_utils.cluster`, :mod:`mlsheet_utils.nn`, :mod:`mlsheet_utils.rl`
  algorithms that more than one notebook uses;
- :mod:`mlsheet_utils.book`      the book's own tooling (headings, table of contents, execution).
"""

__version__ = "0.1.0"

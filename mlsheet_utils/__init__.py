"""Helpers behind the executable ML interview sheet.

One module per concern:

- :mod:`mlsheet_utils.plotting`  one colour-blind-safe look and page-sized figures;
- :mod:`mlsheet_utils.widgets`   the widget scaffold every interactive plot is built on;
- :mod:`mlsheet_utils.checks`    SymPy identity checks and numeric reference checks;
- :mod:`mlsheet_utils.qa`        interview questions with answers hidden until clicked;
- :mod:`mlsheet_utils.data`      seeded data generators shared by several notebooks;
- :mod:`mlsheet_utils.validation` argument checks that raise clear ``ValueError`` messages;
- algorithms that more than one notebook uses, one module per family:
  :mod:`~mlsheet_utils.linalg` (Gram-Schmidt, determinants, rank, power iteration, SVD, the 2x2 matrix
  explorer), :mod:`~mlsheet_utils.calculus` (finite-difference Jacobians and Hessians, Taylor polynomials),
  :mod:`~mlsheet_utils.optim` (KKT and active-set QPs, projections, Lipschitz estimates),
  :mod:`~mlsheet_utils.cluster` (k-means), :mod:`~mlsheet_utils.nn` (softmax, attention),
  :mod:`~mlsheet_utils.rl` (tabular MDPs, dynamic programming, Q-learning, SARSA);
- :mod:`mlsheet_utils.book`      the book's own tooling (headings, table of contents, execution);
- :mod:`mlsheet_utils.bench`     ``make bench``: notebook, widget and implementation timings.
"""

__version__ = "0.1.0"

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
- :mod:`mlsheet_utils.tools.book`      the book's own tooling (headings, table of contents, execution);
- :mod:`mlsheet_utils.tools.bench`     ``make bench``: notebook, widget and implementation timings.
"""

__version__ = "0.1.0"

# One BLAS/OpenMP thread in every process that uses the book's helpers. The book's arrays are small, so extra
# threads only spin (on 2 cores they made widget redraws several times slower), and a fixed thread count fixes
# the order of floating-point sums (NumPy's BLAS, scikit-learn's OpenMP loops): the rounded differences the
# notebooks print are then the same in JupyterLab, under nbval and in `make execute`. The environment variables
# cover runtimes loaded after this import, threadpoolctl those loaded before it.
import os as _os  # noqa: E402

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_var, "1")

import numpy as _np  # noqa: E402,F401  (load BLAS so that the limit below reaches it)
from threadpoolctl import threadpool_limits as _threadpool_limits  # noqa: E402

_threadpool_limits(1)

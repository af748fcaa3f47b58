"""The package behind the executable ML interview sheet, laid out by what each part is for.

- :mod:`mlsheet_utils.algorithms`  every algorithm a page teaches, by family (probability, clustering, neural
  networks, linear algebra, calculus, optimisation, linear models, reinforcement learning);
- :mod:`mlsheet_utils.explore`     what the reader moves and sees: the Explorer, controls, views, plotting style;
- :mod:`mlsheet_utils.checks`      what the pages assert with: symbolic, numeric, gradient and layer checks, and
  the mutation test that proves they can fail;
- :mod:`mlsheet_utils.questions`   interview questions with hidden answers, source listings;
- :mod:`mlsheet_utils.validation`  the argument conventions (clear ``ValueError`` messages, ``rng``);
- :mod:`mlsheet_utils.data`        seeded data generators;
- :mod:`mlsheet_utils.tools`       ``make``'s tooling (table of contents, execution, appendix pages, benchmark),
  never imported by a page.
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

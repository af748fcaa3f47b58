"""Checks a page ends its cells with: they assert, then print a short summary that holds on every machine.

- :mod:`~mlsheet_utils.checks.symbolic`   :func:`check_identity`, :func:`check_step`, :func:`show_math`: SymPy
  identities and derivation steps, shown as math;
- :mod:`~mlsheet_utils.checks.numeric`    :func:`check_close` (an implementation against its reference, the
  difference stated as a share of the tolerance), :func:`below`, :func:`above`, :func:`between` (a round-off
  quantity against its bound), :func:`sig`;
- :mod:`~mlsheet_utils.checks.gradients`  :func:`numerical_gradient`, :func:`check_gradient` (central
  differences);
- :mod:`~mlsheet_utils.checks.layers`     :func:`~mlsheet_utils.checks.layers.check_layer`: every gradient of a
  neural-network layer against finite differences and JAX (imports JAX; import it only where it is needed);
- :mod:`~mlsheet_utils.checks.mutation`   ``make mutate``: each implementation a page presents is perturbed and
  the page re-run; some check must fail.

They are re-exported here, so a page writes ``checks.check_close(...)`` or ``checks.check_layer(...)`` (the layer
checks import JAX only when called).
"""

from mlsheet_utils.checks.gradients import check_gradient, numerical_gradient
from mlsheet_utils.checks.layers import check_layer, check_optimizer_step
from mlsheet_utils.checks.numeric import above, below, between, check_close, share_text, sig, tolerance_used
from mlsheet_utils.checks.symbolic import check_identity, check_step, show_math

__all__ = ["above", "below", "between", "check_close", "check_gradient", "check_identity", "check_layer",
           "check_optimizer_step", "check_step", "numerical_gradient", "share_text", "show_math", "sig",
           "tolerance_used"]

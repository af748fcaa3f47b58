"""Helpers shared by the practice modules: given draws for a book function's ``rng``, and complex-step derivatives.

This module imports NumPy only: a reference built on it stays independent of the book's algorithms.

- :class:`Replay` is a ``numpy.random.Generator`` that hands back given draws, so a book function that draws
  from ``rng`` (a start vector, uniforms, a visiting order ...) uses an exercise's explicit random inputs.
- :func:`complex_step_gradient` and :func:`complex_step_gradients` differentiate a function written for complex
  arguments: ``Im f(x + i h e_k) / h`` is ``df/dx_k`` to rounding, with no subtraction to cancel digits.
"""

from __future__ import annotations

import numpy as np

#: The complex step: small enough that the O(h^2) term vanishes, and there is no subtraction to lose digits to.
STEP = 1e-30

#: The Generator methods a :class:`Replay` can be scripted for.
_SCRIPTABLE = frozenset({"random", "uniform", "standard_normal", "integers", "permutation"})


class Replay(np.random.Generator):
    """A Generator whose methods return given draws, in order: ``Replay(random=[u1, u2], integers=[idx])``.

    Each keyword names a method (``random``, ``uniform``, ``standard_normal``, ``integers``, ``permutation``) and
    gives the successive values its calls return. A call's shape must match its value's: a value with the shape
    the book asks for is returned as it is, a scalar value is broadcast to that shape, and a call without a
    ``size`` returns a scalar. ``uniform``'s bounds and ``integers``' range are not applied: the values given are
    the draws. ``permutation(n)`` returns the next given order of ``0 .. n - 1``.

    ``scalars`` gives separate values for the calls *without* a size, for a book function that interleaves
    scalar and shaped calls of one method in an order that depends on the data:
    ``Replay(random=[*u_draft, u_final], scalars={"random": u_accept})``.

    A call past the last value given, or to a method not scripted, raises a ``RuntimeError`` naming it.
    """

    def __init__(self, *, scalars: dict | None = None, **draws):
        super().__init__(np.random.PCG64(0))
        unknown = sorted((set(draws) | set(scalars or {})) - _SCRIPTABLE)
        if unknown:
            raise ValueError(f"Replay: cannot script {unknown}; scriptable methods are {sorted(_SCRIPTABLE)}")
        self._queues = {(name, False): [np.array(v) for v in values] for name, values in draws.items()}
        self._queues.update({(name, True): [np.array(v) for v in values] for name, values in (scalars or {}).items()})
        self._used = {key: 0 for key in self._queues}

    def __getattribute__(self, name):
        if not name.startswith("_") and name not in _SCRIPTABLE and hasattr(np.random.Generator, name) \
                and callable(getattr(np.random.Generator, name)):
            raise RuntimeError(f"Replay: the book called rng.{name}(), which is not scripted")
        return super().__getattribute__(name)

    def _next(self, name: str, size):
        key = (name, True) if size is None and (name, True) in self._queues else (name, False)
        if key not in self._queues:
            raise RuntimeError(f"Replay: the book called rng.{name}(), which is not scripted")
        queue = self._queues[key]
        if self._used[key] >= len(queue):
            raise RuntimeError(f"Replay: the book asked for draw {self._used[key] + 1} of rng.{name}(), "
                               f"only {len(queue)} were given")
        value = queue[self._used[key]].copy()
        self._used[key] += 1
        if size is None:
            if value.ndim:
                raise RuntimeError(f"Replay: rng.{name}() asked for one number, the draw given has shape "
                                   f"{value.shape}")
            return value[()]
        shape = tuple(int(s) for s in np.atleast_1d(size))
        if value.ndim == 0:
            return np.full(shape, value[()])
        if value.shape != shape:
            raise RuntimeError(f"Replay: rng.{name}() asked for shape {shape}, the draw given has shape "
                               f"{value.shape}")
        return value

    def random(self, size=None, dtype=np.float64, out=None):
        return self._next("random", size)

    def uniform(self, low=0.0, high=1.0, size=None):
        return self._next("uniform", size)

    def standard_normal(self, size=None, dtype=np.float64, out=None):
        return self._next("standard_normal", size)

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        return self._next("integers", size)

    def permutation(self, x, axis=0):
        return self._next("permutation", x if isinstance(x, (int, np.integer)) else np.shape(x)[axis])


def complex_step_gradient(f, x, *, batched: bool = False, h: float = STEP) -> np.ndarray:
    """The derivative of ``f`` at the real array ``x`` by the complex step: ``out[..., k] = Im f(x + i h e_k) / h``.

    ``f`` must be written for complex arguments (analytic: ``x * x`` not ``abs(x) ** 2``, a maximum taken of the
    real part). The result has shape ``f(x).shape + x.shape``: the gradient of a scalar ``f``, the Jacobian
    ``d f_i / d x_j`` of a vector one.

    With ``batched=True`` ``f`` is called once, on a stack of shape ``(x.size, *x.shape)`` holding one perturbed
    copy of ``x`` per entry, and returns the stack of values (leading axis ``x.size``).
    """
    x = np.asarray(x, float)
    n = x.size
    if batched:
        stack = np.repeat(x.astype(complex)[None], n, axis=0)
        stack.reshape(n, n)[np.arange(n), np.arange(n)] += 1j * h
        rows = np.asarray(f(stack)).imag / h
    else:
        rows = []
        for idx in np.ndindex(x.shape):
            bumped = x.astype(complex)
            bumped[idx] += 1j * h
            rows.append(np.asarray(f(bumped)).imag / h)
        rows = np.array(rows) if n else np.zeros((0, *np.shape(f(x.astype(complex)))))
    out_ndim = rows.ndim - 1
    rows = rows.reshape(x.shape + rows.shape[1:])
    return np.moveaxis(rows, list(range(x.ndim)), list(range(out_ndim, out_ndim + x.ndim)))


def complex_step_gradients(f, arrays, *, h: float = STEP) -> list[np.ndarray]:
    """The gradient of a scalar ``f(*arrays)`` with respect to every entry of every array, by the complex step.

    ``f`` is called with every array complex, one entry of one array bumped by ``i h``; the result is one
    gradient per array, each of that array's shape.
    """
    arrays = [np.asarray(a, float) for a in arrays]
    grads = []
    for i, a in enumerate(arrays):
        g = np.zeros(a.shape)
        for idx in np.ndindex(a.shape):
            bumped = [b.astype(complex) for b in arrays]
            bumped[i][idx] += 1j * h
            g[idx] = f(*bumped).imag / h
        grads.append(g)
    return grads


def inverse_cdf(probs, u: float) -> int:
    """The index an inverse-CDF draw picks with the uniform ``u``: the first ``k`` with ``u < p_0 + ... + p_k``,
    the last index when rounding leaves the total below ``u``."""
    total = 0.0
    for k, pk in enumerate(probs):
        total += pk
        if u < total:
            return k
    return len(probs) - 1


def softmax_policy_value(P, R, gamma: float, logits, start: int, *, solve=np.linalg.solve):
    """``v_pi(start)`` of the tabular softmax policy ``pi(a | s) ~ exp(logits[s, a])``, by one linear solve.

    ``P`` has shape (S, A, S), ``R`` and ``logits`` (S, A); complex logits are allowed (the softmax is shifted by
    the real maximum), so :func:`complex_step_gradient` can differentiate it. ``solve(A, b)`` solves the system.
    """
    z = np.exp(logits - logits.real.max(1, keepdims=True))
    pi = z / z.sum(1, keepdims=True)
    P_pi = (pi[:, :, None] * P).sum(1)
    return solve(np.eye(len(R)) - gamma * P_pi, (pi * R).sum(1))[start]

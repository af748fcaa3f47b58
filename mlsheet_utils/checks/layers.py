r"""Checks of neural-network layers and optimisers: finite differences and JAX as references.

- :func:`check_layer`: every gradient a layer's ``backward`` returns (the input's and each parameter's) against
  (a) central finite differences of the random projection :math:`\phi(x, \theta) = \sum y(x, \theta) \odot r`
  and (b) JAX's reverse-mode derivative (``jax.vjp``) of a JAX version of the layer, whose output is compared
  too;
- :func:`check_optimizer_step`: a few steps of an optimiser against its optax counterpart, conventions aligned.

Why a random projection: ``backward(r, cache)`` returns :math:`J^\top r` for the layer's Jacobian :math:`J`,
which is exactly the gradient of the scalar :math:`\phi`; a random :math:`r` makes every output entry count, so
a wrong entry of :math:`J` cannot hide.

The JAX versions of the standard layers are equinox layers built shape-only (``equinox.filter_eval_shape``, no
random initialisation runs), filled with our NumPy weights by ``equinox.tree_at`` and differentiated inside
``equinox.filter_jit``. Weight layouts (ours -> equinox):

- ``Linear``: ``W`` (n_in, n_out) -> ``weight = W.T`` (n_out, n_in); ``b`` -> ``bias``;
- ``LayerNorm``, ``BatchNorm``: ``gamma`` -> ``weight``, ``beta`` -> ``bias`` (``BatchNorm`` in
  ``mode="batch"``, under ``jax.vmap(axis_name="batch")``);
- ``Embedding``: ``W`` (n_embeddings, dim) -> ``weight``, the same layout;
- ``MultiHeadAttention``: ``W_q``, ``W_k``, ``W_v``, ``W_o`` (in, out) -> ``query_proj``, ``key_proj``,
  ``value_proj``, ``output_proj`` ``.weight`` = the transposes; no biases; the head split is the same
  (head ``i`` owns columns ``i d_k .. (i + 1) d_k - 1``);
- ``Activation``: ``jax.nn`` (``relu``, ``leaky_relu``, ``sigmoid``, ``gelu(approximate=...)``, ``softplus``)
  and ``jax.numpy.tanh``; ``Dropout``: ``x * mask / (1 - p)`` with the mask of our forward pass;
- ``Sequential``: the composition of its layers' versions.

Importing this module does not import JAX; the first check does (JAX is then set to 64-bit floats with
``jax.config.update("jax_enable_x64", True)``, for the whole process).
"""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from mlsheet_utils.algorithms.calculus import numerical_gradient
from mlsheet_utils.algorithms.nn import attention as _attention
from mlsheet_utils.algorithms.nn import layers as _layers
from mlsheet_utils.algorithms.nn import optimizers as _optimizers
from mlsheet_utils.checks.numeric import check_close
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

__all__ = ["check_layer", "check_optimizer_step", "jax_reference"]


def _jax():
    """Import JAX (64-bit), equinox and optax on first use."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import equinox
    import jax.numpy as jnp
    import optax

    return jax, jnp, equinox, optax


# -- parameter trees: a dict of arrays, or a list of such dicts ----------------------------------------------

def _leaves(tree, path: str = "") -> list[tuple[str, np.ndarray]]:
    """``(path, array)`` for every array of ``tree``, in a fixed order (``W``, ``[1]['b']``...)."""
    if isinstance(tree, dict):                          # sorted keys, as JAX orders a dict's leaves
        return [leaf for k in sorted(tree) for leaf in _leaves(tree[k], f"{path}[{k!r}]" if path else str(k))]
    if isinstance(tree, (list, tuple)):
        return [leaf for i, v in enumerate(tree) for leaf in _leaves(v, f"{path}[{i}]")]
    return [(path, tree)]


def _replace(tree, target: str, value, path: str = ""):
    """A copy of ``tree`` with the leaf at path ``target`` replaced by ``value``."""
    if isinstance(tree, dict):
        return {k: _replace(v, target, value, f"{path}[{k!r}]" if path else str(k)) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_replace(v, target, value, f"{path}[{i}]") for i, v in enumerate(tree))
    return value if path == target else tree


def _as_float_tree(tree):
    if isinstance(tree, dict):
        return {k: _as_float_tree(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_as_float_tree(v) for v in tree)
    return np.asarray(tree, dtype=float)


# -- JAX versions of the layers --------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _skeleton(kind: str, *args):
    """An equinox layer with shapes only (``filter_eval_shape``: no initialisation is run)."""
    jax, _, eqx, _ = _jax()
    key = jax.random.key(0)
    if kind == "linear":
        n_in, n_out, bias = args
        return eqx.filter_eval_shape(eqx.nn.Linear, n_in, n_out, use_bias=bias, key=key)
    if kind == "layernorm":
        n, eps = args
        return eqx.filter_eval_shape(eqx.nn.LayerNorm, n, eps=eps)
    if kind == "batchnorm":
        n, eps = args
        return eqx.filter_eval_shape(
            lambda: eqx.nn.make_with_state(eqx.nn.BatchNorm)(n, "batch", eps=eps, mode="batch"))
    if kind == "embedding":
        n, d = args
        return eqx.filter_eval_shape(eqx.nn.Embedding, n, d, key=key)
    if kind == "mha":
        d, h = args
        return eqx.filter_eval_shape(eqx.nn.MultiheadAttention, h, d, key=key)
    raise ValueError(f"no equinox skeleton for {kind!r}")


def _rows(f, x, n_out):
    """Apply a per-example function to every row of ``x`` (leading axes flattened), then restore them."""
    jax = _jax()[0]
    y = jax.vmap(f)(x.reshape(-1, x.shape[-1]))
    return y.reshape(*x.shape[:-1], n_out)


def jax_reference(layer) -> tuple[Callable, str]:
    """``(f, description)``: ``f(x, params, aux)`` computes ``layer`` in JAX; ``aux`` comes from the forward cache.

    Available for :class:`~mlsheet_utils.algorithms.nn.layers.Linear`, ``Activation``, ``Dropout``,
    ``LayerNorm``, ``BatchNorm``, ``Embedding``, ``Sequential`` of these and
    :class:`~mlsheet_utils.algorithms.nn.attention.MultiHeadAttention`; raises ``ValueError`` for any other.
    """
    if not isinstance(layer, _layers.Layer):
        raise ValueError(f"layer must be a Layer, got {type(layer).__name__}")
    return _jax_reference(layer)


@functools.lru_cache(maxsize=None)
def _jax_reference(layer) -> tuple[Callable, str]:
    """The memoised body of :func:`jax_reference` (a layer is a frozen dataclass: it can be a cache key)."""
    jax, jnp, eqx, _ = _jax()
    L = _layers
    if isinstance(layer, L.Linear):
        sk = _skeleton("linear", layer.n_in, layer.n_out, layer.bias)

        def f(x, p, aux):
            m = (eqx.tree_at(lambda m: (m.weight, m.bias), sk, (p["W"].T, p["b"])) if layer.bias
                 else eqx.tree_at(lambda m: m.weight, sk, p["W"].T))
            return _rows(m, x, layer.n_out)
        return f, "equinox.nn.Linear (weight = W.T)"
    if isinstance(layer, L.Activation):
        fns = {"relu": jax.nn.relu, "leaky_relu": lambda x: jax.nn.leaky_relu(x, layer.slope),
               "sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "gelu": lambda x: jax.nn.gelu(x, approximate=False),
               "gelu_tanh": lambda x: jax.nn.gelu(x, approximate=True), "softplus": jax.nn.softplus,
               "elu": jax.nn.elu, "selu": jax.nn.selu, "silu": jax.nn.silu, "mish": jax.nn.mish,
               "softsign": jax.nn.soft_sign, "hard_sigmoid": jax.nn.hard_sigmoid, "hard_tanh": jax.nn.hard_tanh}
        fn = fns[layer.name]
        return (lambda x, p, aux: fn(x)), f"jax.nn {layer.name}"
    if isinstance(layer, L.Dropout):
        return (lambda x, p, aux: x if aux is None else x * aux), "x * mask / (1 - p) (our mask)"
    if isinstance(layer, L.LayerNorm):
        sk = _skeleton("layernorm", layer.n_features, layer.eps)

        def f(x, p, aux):
            m = eqx.tree_at(lambda m: (m.weight, m.bias), sk, (p["gamma"], p["beta"]))
            return _rows(m, x, layer.n_features)
        return f, "equinox.nn.LayerNorm"
    if isinstance(layer, L.BatchNorm):
        sk, state_sk = _skeleton("batchnorm", layer.n_features, layer.eps)

        def f(x, p, aux):
            m = eqx.tree_at(lambda m: (m.weight, m.bias), sk, (p["gamma"], p["beta"]))
            state = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), state_sk)
            y, _ = jax.vmap(m, axis_name="batch", in_axes=(0, None), out_axes=(0, None))(
                x.reshape(-1, x.shape[-1]), state)
            return y.reshape(x.shape)
        return f, "equinox.nn.BatchNorm (mode='batch', vmapped)"
    if isinstance(layer, L.Embedding):
        sk = _skeleton("embedding", layer.n_embeddings, layer.dim)

        def f(x, p, aux):
            m = eqx.tree_at(lambda m: m.weight, sk, p["W"])
            return jax.vmap(m)(x.reshape(-1)).reshape(*x.shape, layer.dim)
        return f, "equinox.nn.Embedding"
    if isinstance(layer, _attention.MultiHeadAttention):
        sk = _skeleton("mha", layer.d_model, layer.n_heads)

        def f(x, p, aux):
            where = lambda m: (m.query_proj.weight, m.key_proj.weight, m.value_proj.weight,  # noqa: E731
                               m.output_proj.weight)
            m = eqx.tree_at(where, sk, (p["W_q"].T, p["W_k"].T, p["W_v"].T, p["W_o"].T))
            n = x.shape[-2]
            mask = jnp.tril(jnp.ones((n, n), dtype=bool)) if layer.causal else None
            y = jax.vmap(lambda s: m(s, s, s, mask=mask))(x.reshape(-1, n, layer.d_model))
            return y.reshape(x.shape)
        return f, "equinox.nn.MultiheadAttention (proj weights = W.T)"
    if isinstance(layer, L.Sequential):
        parts = [jax_reference(child) for child in layer.layers]

        def f(x, p, aux):
            for (g, _), pi, ai in zip(parts, p, aux):
                x = g(x, pi, ai)
            return x
        return f, "the composition of " + ", ".join(d.split(" (")[0] for _, d in parts)
    raise ValueError(f"no JAX reference for layer {type(layer).__name__}; pass reference=f(x, params) or "
                     "reference=False")


def _aux(layer, cache):
    """What a JAX version needs from the forward cache: the dropout scales (mask / (1 - p)), else None."""
    if isinstance(layer, _layers.Dropout):
        return cache["scale"]
    if isinstance(layer, _layers.Sequential):
        return [_aux(child, c) for child, c in zip(layer.layers, cache["caches"])]
    return None


@functools.lru_cache(maxsize=None)
def _vjp_jit():
    jax, _, eqx, _ = _jax()

    @eqx.filter_jit
    def vjp(fn, x, params, aux, r, with_x: bool):
        if with_x:
            y, pull = jax.vjp(lambda x, p: fn(x, p, aux), x, params)
            dx, dp = pull(r)
            return y, dx, dp
        y, pull = jax.vjp(lambda p: fn(x, p, aux), params)
        return y, None, pull(r)[0]

    return vjp


# -- the checks ----------------------------------------------------------------------------------------

def _check_params(params) -> None:
    """``params`` is a dict of finite arrays, or a list of such dicts (``Sequential``)."""
    if not isinstance(params, (dict, list, tuple)):
        raise ValueError(f"params must be a dict of arrays (a list of dicts for Sequential), got "
                         f"{type(params).__name__}")
    for path, leaf in _leaves(params):
        as_array(leaf, f"params {path}", empty=True)


def check_layer(layer, params, x, *, reference=None, rng=0, rtol: float = 1e-6, atol: float = 1e-8,
                eps: float = 1e-6, name: str | None = None) -> None:
    r"""Assert that a layer's backward pass returns the right gradients; print one line per reference.

    With a random :math:`r` shaped like the output, ``backward(r, cache)`` must equal the gradient of
    :math:`\phi = \sum y \odot r` with respect to the input and to every parameter,

    (a) by central differences :math:`(\phi(\theta + \varepsilon e_i) - \phi(\theta - \varepsilon e_i)) /
        2\varepsilon` (:func:`~mlsheet_utils.algorithms.calculus.numerical_gradient`, one coordinate at a time,
        so keep the shapes small), and
    (b) by ``jax.vjp`` of a JAX version of the layer (see the module docstring), which must also give the same
        output.

    Parameters
    ----------
    layer : Layer, or a pair ``(forward, backward)``
        A :class:`~mlsheet_utils.algorithms.nn.layers.Layer`, or functions ``forward(x, params) -> (y,
        cache)`` and ``backward(dy, cache) -> (dx, grads)``.
    params : dict of arrays (list of dicts for ``Sequential``)
    x : array_like
        The input; integer ids (an embedding) get no input gradient.
    reference : callable ``f(x, params) -> y`` in JAX, False, or None
        None: the built-in JAX version of ``layer`` (:func:`jax_reference`); False: finite differences only.
    rng : int or numpy.random.Generator
        Draws :math:`r`, and seeds the layer's own draws (a dropout mask) identically at every evaluation.
    rtol, atol : float
        Tolerance of both comparisons.
    eps : float
        The finite-difference step.
    name : str, optional
        Label in the printed lines (default: the layer's repr).

    Raises
    ------
    AssertionError
        Naming the first gradient (``dx``, ``W``, ``[2]['b']``...) that differs, and the reference.
    """
    rtol, atol = check_float(rtol, "rtol", low=0), check_float(atol, "atol", low=0)
    eps = check_float(eps, "eps", low=0, low_open=True)
    if name is not None and not isinstance(name, str):
        raise ValueError(f"name must be a string or None, got {name!r}")
    if reference is not None and reference is not False and not callable(reference):
        raise ValueError(f"reference must be a JAX function f(x, params), False or None, got {reference!r}")
    _check_params(params)
    gen = check_random_state(rng)
    seed = int(gen.integers(2**31))                       # the layer's draws: the same at every evaluation
    if isinstance(layer, _layers.Layer):
        forward = functools.partial(_seeded_forward, layer, seed)
        backward = layer.backward
        label = name or repr(layer)
    elif isinstance(layer, tuple) and len(layer) == 2 and all(callable(f) for f in layer):
        forward, backward = layer
        label = name or getattr(forward, "__name__", "layer")
        if reference is None:
            raise ValueError("a (forward, backward) pair needs reference=f(x, params) (JAX) or reference=False")
    else:
        raise ValueError(f"layer must be a Layer or a (forward, backward) pair, got {type(layer).__name__}")
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise ValueError(f"x must be an array of numbers, got {x.dtype} values")
    ids = np.issubdtype(x.dtype, np.integer)
    x = x if ids else x.astype(float)
    params = _as_float_tree(params)

    y, cache = forward(x, params)
    r = gen.standard_normal(np.shape(y))
    dx, grads = backward(r, cache)
    ours = ([] if ids or dx is None else [("dx", np.asarray(dx))]) + _leaves(grads)
    expected = [path for path, _ in _leaves(params)]
    if [path for path, _ in _leaves(grads)] != expected:
        raise AssertionError(f"{label}: grads have the arrays {[p for p, _ in _leaves(grads)]}, params have "
                             f"{expected}")

    def phi(xx, pp):
        return float(np.sum(forward(xx, pp)[0] * r))

    fd = []
    for part, _ in ours:
        if part == "dx":
            fd.append(numerical_gradient(lambda z: phi(z, params), x, eps=eps))
        else:
            leaf = dict(_leaves(params))[part]
            fd.append(numerical_gradient(lambda z, part=part: phi(x, _replace(params, part, z)), leaf, eps=eps))
    _compare(label, f"{_names(ours)} vs central differences (eps={eps:g})", ours, fd, rtol, atol)

    if reference is False:
        return
    if reference is None:
        fn, description = jax_reference(layer)
        aux = _aux(layer, cache)
    else:
        fn, description, aux = (lambda xx, pp, aux: reference(xx, pp)), "the given JAX reference", None
    _, jnp, _, _ = _jax()
    to_jax = functools.partial(_tree_to, jnp.asarray)
    y_ref, dx_ref, grads_ref = _vjp_jit()(fn, jnp.asarray(x), to_jax(params), to_jax(aux), jnp.asarray(r),
                                          not ids and dx is not None)
    refs = [np.asarray(y_ref)] + ([np.asarray(dx_ref)] if dx_ref is not None else [])
    refs += [np.asarray(v) for _, v in _leaves(grads_ref)]
    _compare(label, f"y, {_names(ours)} vs jax.vjp of {description}", [("y", y)] + ours, refs, rtol, atol)


def _seeded_forward(layer, seed, x, params):
    return layer.forward(x, params, rng=seed)


def _tree_to(convert, tree):
    if tree is None:
        return None
    if isinstance(tree, dict):
        return {k: _tree_to(convert, v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_tree_to(convert, v) for v in tree)
    return convert(tree)


def _names(parts) -> str:
    return ", ".join(p for p, _ in parts) if parts else "(no gradients)"


def _compare(label: str, what: str, ours: list[tuple[str, np.ndarray]], refs: list, rtol: float,
             atol: float) -> None:
    """Each part checked quietly (a failure names it), then one printed line for all of them."""
    reference = what.split(" vs ", 1)[1]
    if len(ours) != len(refs):
        raise AssertionError(f"{label}: {len(ours)} arrays against {len(refs)} from {reference}")
    for (part, a), b in zip(ours, refs):
        check_close(f"{label}: {part} vs {reference}", a, b, rtol=rtol, atol=atol, quiet=True)
    check_close(f"{label}: {what}", _flat([a for _, a in ours]), _flat(refs), rtol=rtol, atol=atol)


def _flat(arrays) -> np.ndarray:
    return np.concatenate([np.ravel(a) for a in arrays]) if arrays else np.zeros(0)


def _optax_counterpart(opt, optax):
    """The optax transformation that computes what ``opt`` does, and its name."""
    O = _optimizers
    if isinstance(opt, O.SGD):
        return (optax.sgd(opt.learning_rate, momentum=opt.momentum or None, nesterov=opt.nesterov),
                "optax.sgd")
    if isinstance(opt, O.AdaGrad):
        if not opt.eps_inside_sqrt:
            raise ValueError("optax.adagrad adds eps inside the square root; compare AdaGrad(eps_inside_sqrt=True)")
        return (optax.adagrad(opt.learning_rate, initial_accumulator_value=opt.initial_accumulator, eps=opt.eps),
                "optax.adagrad")
    if isinstance(opt, O.RMSProp):
        return (optax.rmsprop(opt.learning_rate, decay=opt.decay, eps=opt.eps, eps_in_sqrt=opt.eps_inside_sqrt),
                "optax.rmsprop")
    if isinstance(opt, O.AdamW):
        return (optax.adamw(opt.learning_rate, b1=opt.b1, b2=opt.b2, eps=opt.eps, weight_decay=opt.weight_decay),
                "optax.adamw")
    if isinstance(opt, O.Adam):
        return optax.adam(opt.learning_rate, b1=opt.b1, b2=opt.b2, eps=opt.eps), "optax.adam"
    raise ValueError(f"no optax counterpart for {type(opt).__name__}")


def check_optimizer_step(optimizer, params, *, steps: int = 3, rng=0, rtol: float = 1e-10,
                         atol: float = 1e-12) -> None:
    """Assert that ``steps`` updates of ``optimizer`` match its optax counterpart; print one line.

    Both start from ``params`` and receive the same random gradients (standard normal, drawn from ``rng``) at
    every step; the parameters are compared after each step. The counterpart is built from the optimiser's
    hyperparameters: ``SGD`` -> ``optax.sgd(lr, momentum or None, nesterov)``, ``AdaGrad`` ->
    ``optax.adagrad(lr, initial_accumulator_value, eps)`` (only with ``eps_inside_sqrt=True``: optax has no
    outside form), ``RMSProp`` -> ``optax.rmsprop(lr, decay, eps, eps_in_sqrt)``, ``Adam`` -> ``optax.adam``,
    ``AdamW`` -> ``optax.adamw`` (same ``weight_decay``).

    Parameters
    ----------
    optimizer : an optimiser of :mod:`mlsheet_utils.algorithms.nn.optimizers`
    params : dict of arrays (or a list of dicts)
    steps : int >= 1
    rng : int or numpy.random.Generator
    rtol, atol : float
    """
    steps = check_int(steps, "steps", low=1)
    gen = check_random_state(rng)
    if not isinstance(optimizer, _optimizers.Optimizer):
        raise ValueError(f"optimizer must be an optimiser of mlsheet_utils.algorithms.nn.optimizers, got "
                         f"{type(optimizer).__name__}")
    _check_params(params)
    _, jnp, _, optax = _jax()
    tx, counterpart = _optax_counterpart(optimizer, optax)
    ours = _as_float_tree(params)
    theirs = _tree_to(jnp.asarray, ours)
    state, their_state = optimizer.init(ours), tx.init(theirs)
    mine, ref = [], []
    for _ in range(steps):
        grads = _tree_to(lambda a: gen.standard_normal(np.shape(a)), ours)
        ours, state = optimizer.update(grads, state, ours)
        updates, their_state = tx.update(_tree_to(jnp.asarray, grads), their_state, theirs)
        theirs = optax.apply_updates(theirs, updates)
        mine += [a for _, a in _leaves(ours)]
        ref += [np.asarray(a) for _, a in _leaves(theirs)]
    check_close(f"{optimizer}, {steps} steps vs {counterpart}", np.concatenate([np.ravel(a) for a in mine]),
                np.concatenate([np.ravel(a) for a in ref]), rtol=rtol, atol=atol)

r"""Self-supervised pre-training with two views: SimCLR (a large batch of views) and MoCo (a queue of old keys).

SimCLR:

- :func:`two_views`        two independent augmentations of each image (pad-and-crop shift plus pixel noise),
  flattened to rows;
- :func:`simclr_step`      NT-Xent of an encoder followed by a projection head on the 2N views, back-propagated to
  every parameter (a :class:`SimCLRStep`);
- :func:`simclr_pretrain`  a short pre-training run with an optimiser from
  :mod:`~mlsheet_utils.algorithms.nn.optimizers`
  (a :class:`SimCLRRun`).

MoCo:

- :func:`ema_update`       the momentum (exponential moving average) update of the key encoder's parameters;
- :func:`queue_init` and :func:`queue_push`  a first-in first-out queue of keys held in a ring buffer
  (a :class:`KeyQueue`; :meth:`KeyQueue.ordered` lists it oldest first);
- :func:`moco_loss`        the query's cross-entropy over one positive key and the queued negatives
  (K + 1 logits), with its gradient with respect to the queries (a :class:`MoCoLoss`);
- :func:`moco_train`       MoCo with linear query and key encoders, recording the key encoder's drift and how far
  the queued keys are from what the current key encoder would give (a :class:`MoCoRun`).

The losses themselves come from :mod:`~mlsheet_utils.algorithms.nn.contrastive`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms import augmentation as aug
from mlsheet_utils.algorithms.nn import contrastive as cl
from mlsheet_utils.algorithms.nn.layers import Layer, Linear
from mlsheet_utils.algorithms.nn.optimizers import SGD, Optimizer, _check_tree, _tree_map
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

__all__ = ["KeyQueue", "MoCoLoss", "MoCoRun", "SimCLRRun", "SimCLRStep", "ema_update", "moco_loss", "moco_train",
           "queue_init", "queue_push", "simclr_pretrain", "simclr_step", "two_views"]


# -- SimCLR --------------------------------------------------------------------------------------------------

def _two_views(X: np.ndarray, g: np.random.Generator, pad: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    n = X.shape[0]
    views = []
    for _ in range(2):
        shift = g.integers(-pad, pad + 1, size=(2, n))
        v = aug._translate(X, shift[0], shift[1]).reshape(n, -1)
        views.append(v + noise * g.standard_normal(v.shape))
    return views[0], views[1]


def two_views(images, rng=0, *, pad: int = 1, noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    r"""Two augmented views of every image, drawn independently: :math:`x' = \operatorname{shift}(x) + \sigma
    \varepsilon`.

    Each view moves the image by a uniform whole-pixel shift in :math:`\{-p, \dots, p\}^2` (zeros fill in, as a
    pad-and-crop does) and adds Gaussian pixel noise of standard deviation ``noise``.

    Parameters
    ----------
    images : array_like, shape (n, h, w)
    rng : int or numpy.random.Generator (default 0: a fixed seed, so every run is reproducible)
    pad : int >= 0
        Largest shift :math:`p` in pixels.
    noise : float >= 0

    Returns
    -------
    (view1, view2) : two arrays of shape (n, h * w)
    """
    X = as_array(images, "images")
    if X.ndim != 3 or X.shape[0] < 1:
        raise ValueError(f"images must have shape (n, h, w), got shape {X.shape}")
    pad, noise = check_int(pad, "pad", low=0), check_float(noise, "noise", low=0)
    return _two_views(X, check_random_state(rng), pad, noise)


@dataclass(frozen=True)
class SimCLRStep:
    r"""The NT-Xent loss of one batch of 2N views and its gradients.

    Attributes
    ----------
    loss : float
    h : ndarray, shape (2N, d_rep)
        Representations (encoder outputs), first view then second.
    z : ndarray, shape (2N, d_proj)
        Projections (head outputs) that enter the loss.
    grads : dict
        ``{"encoder": ..., "head": ...}``, each shaped like the matching entry of ``params``.
    """

    loss: float
    h: np.ndarray
    z: np.ndarray
    grads: dict


def _simclr_step(encoder, head, params, x1, x2, tau):
    n = x1.shape[0]
    h, c_enc = encoder._forward(np.vstack([x1, x2]), params["encoder"], None, True)
    z, c_head = head._forward(h, params["head"], None, True)
    res = cl._nt_xent(z[:n], z[n:], tau)
    dh, g_head = head._backward(np.vstack([res.grad_z1, res.grad_z2]), c_head)
    _, g_enc = encoder._backward(dh, c_enc)
    return SimCLRStep(res.loss, h, z, {"encoder": g_enc, "head": g_head})


def _check_nets(encoder, head, params):
    if not isinstance(encoder, Layer) or not isinstance(head, Layer):
        raise ValueError("encoder and head must be layers from nn.layers")
    if not isinstance(params, dict) or set(params) != {"encoder", "head"}:
        raise ValueError("params must be a dict with the keys 'encoder' and 'head'")
    return {"encoder": encoder.check_params(params["encoder"]), "head": head.check_params(params["head"])}


def simclr_step(encoder: Layer, head: Layer, params, x1, x2, temperature: float = 0.5) -> SimCLRStep:
    r"""NT-Xent of ``head(encoder(x))`` over the 2N stacked views, and its gradient for every parameter.

    .. math::
        h = f_\theta([x_1; x_2]),\quad z = g_\phi(h),\quad
        L = \operatorname{NT-Xent}_\tau(z_{1:N}, z_{N+1:2N}),

    each of the 2N rows scored against the other 2N - 1 (one positive, 2N - 2 negatives). The gradient
    :math:`\partial L/\partial z` from :func:`~mlsheet_utils.algorithms.nn.contrastive.nt_xent` flows back through
    the head and then the encoder.

    Parameters
    ----------
    encoder, head : Layer
        E.g. ``Sequential(Linear, Activation, ...)``; ``head`` takes the encoder's output.
    params : dict
        ``{"encoder": <encoder params>, "head": <head params>}``.
    x1, x2 : array_like, shape (N, d_in), N >= 1
        The two views; row i of each comes from the same example.
    temperature : float > 0

    Returns
    -------
    SimCLRStep
    """
    params = _check_nets(encoder, head, params)
    x1, x2 = as_array(x1, "x1"), as_array(x2, "x2")
    if x1.ndim != 2:
        raise ValueError(f"x1 must have shape (N, d_in), got shape {x1.shape}")
    if x2.shape != x1.shape:
        raise ValueError(f"x2 must have x1's shape {x1.shape}, got shape {x2.shape}")
    x1, x2 = cl._check_pair(as_array(x1, "x1"), as_array(x2, "x2"))
    tau = check_float(temperature, "temperature", low=0, low_open=True)
    try:
        encoder.check_input(x1)
    except ValueError as exc:
        raise ValueError(f"x1 and x2 do not fit encoder: {exc}") from None
    encoder.check_input(x1)
    return _simclr_step(encoder, head, params, x1, x2, tau)


@dataclass(frozen=True)
class SimCLRRun:
    """A SimCLR pre-training run.

    Attributes
    ----------
    params : dict
        Final ``{"encoder": ..., "head": ...}``.
    losses : ndarray, shape (steps,)
        NT-Xent of each step's batch, before that step's update.
    """

    params: dict
    losses: np.ndarray


def simclr_pretrain(encoder: Layer, head: Layer, params, images, *, temperature: float = 0.5,
                    batch_size: int = 64, steps: int = 100, optimizer: Optimizer | None = None, rng=0,
                    pad: int = 1, noise: float = 0.1) -> SimCLRRun:
    r"""Pre-train ``encoder`` and ``head`` with NT-Xent on pairs of :func:`two_views`, no labels.

    Each step draws ``batch_size`` images without replacement, makes two views of each, takes
    :func:`simclr_step` and one ``optimizer`` update of both networks.

    Parameters
    ----------
    encoder, head : Layer
    params : dict
        Starting ``{"encoder": ..., "head": ...}``.
    images : array_like, shape (n, h, w), n >= batch_size
    temperature : float > 0
    batch_size : int >= 2
    steps : int >= 1
    optimizer : Optimizer, default plain SGD with learning rate 1e-1
    rng : int or numpy.random.Generator (default 0: a fixed seed, so every run is reproducible)
        Draws the batches and the views.
    pad, noise : see :func:`two_views`

    Returns
    -------
    SimCLRRun
    """
    params = _check_nets(encoder, head, params)
    X = as_array(images, "images")
    if X.ndim != 3:
        raise ValueError(f"images must have shape (n, h, w), got shape {X.shape}")
    batch_size = check_int(batch_size, "batch_size", low=2, high=X.shape[0])
    steps = check_int(steps, "steps", low=1)
    tau = check_float(temperature, "temperature", low=0, low_open=True)
    pad, noise = check_int(pad, "pad", low=0), check_float(noise, "noise", low=0)
    try:
        encoder.check_input(X[:1].reshape(1, -1))
    except ValueError as exc:
        raise ValueError(f"images (flattened to h * w = {X.shape[1] * X.shape[2]} pixels) do not fit encoder: "
                         f"{exc}") from None
    encoder.check_input(X[:1].reshape(1, -1))
    optimizer = SGD(0.1) if optimizer is None else optimizer
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be an Optimizer, got {type(optimizer).__name__}")
    g = check_random_state(rng)
    state = optimizer.init(params)
    losses = np.empty(steps)
    for t in range(steps):
        idx = g.choice(X.shape[0], batch_size, replace=False)
        x1, x2 = _two_views(X[idx], g, pad, noise)
        step = _simclr_step(encoder, head, params, x1, x2, tau)
        losses[t] = step.loss
        params, state = optimizer._update(step.grads, state, params)
    return SimCLRRun(params, losses)


# -- MoCo ----------------------------------------------------------------------------------------------------

def ema_update(key_params, query_params, momentum: float):
    r"""One momentum update of the key encoder: :math:`\theta_k \leftarrow m\,\theta_k + (1 - m)\,\theta_q`.

    Unrolled from :math:`\theta_k^{(0)}`, after t updates
    :math:`\theta_k^{(t)} = m^t\theta_k^{(0)} + (1-m)\sum_{s=1}^t m^{t-s}\theta_q^{(s)}`: an exponentially
    weighted average of the query encoder's recent values, over about :math:`1/(1-m)` steps.

    Parameters
    ----------
    key_params, query_params : array or tree (dict / list of arrays) of the same structure
    momentum : float in [0, 1]
        0 copies the query encoder; 1 freezes the key encoder.

    Returns
    -------
    The updated key parameters, structured like ``key_params``.
    """
    m = check_float(momentum, "momentum", low=0, high=1)
    key_params = _check_tree(key_params, key_params, "key_params")
    try:
        query_params = _check_tree(query_params, key_params, "query_params")
    except ValueError as exc:
        raise ValueError(f"{exc} (query_params must have the structure and shapes of key_params)") from None
    return _tree_map(lambda k, q: _ema(np.asarray(k, dtype=float), np.asarray(q, dtype=float), m),
                     key_params, query_params)


def _ema(k: np.ndarray, q: np.ndarray, m: float) -> np.ndarray:
    return m * k + (1 - m) * q


@dataclass(frozen=True)
class KeyQueue:
    """A fixed-capacity first-in first-out queue of key vectors, stored as a ring buffer.

    Attributes
    ----------
    keys : ndarray, shape (capacity, dim)
        The buffer; row ``(ptr + j) % capacity`` is the j-th oldest once the queue is full.
    ids : ndarray of int, shape (capacity,)
        Which example each row encodes (-1 for a slot never written).
    ptr : int
        The next slot to overwrite (the oldest entry once full).
    count : int
        Keys pushed so far, capped at ``capacity``.
    """

    keys: np.ndarray
    ids: np.ndarray
    ptr: int
    count: int

    def ordered(self) -> tuple[np.ndarray, np.ndarray]:
        """``(keys, ids)`` of the filled slots, oldest first."""
        cap = self.keys.shape[0]
        order = (self.ptr + np.arange(cap)) % cap if self.count == cap else np.arange(self.count)
        return self.keys[order], self.ids[order]


def queue_init(capacity: int, dim: int) -> KeyQueue:
    """An empty :class:`KeyQueue` of ``capacity`` keys of length ``dim`` (both >= 1)."""
    capacity, dim = check_int(capacity, "capacity", low=1), check_int(dim, "dim", low=1)
    return KeyQueue(np.zeros((capacity, dim)), np.full(capacity, -1), 0, 0)


def _queue_push(queue: KeyQueue, keys: np.ndarray, ids: np.ndarray) -> KeyQueue:
    cap, b = queue.keys.shape[0], keys.shape[0]
    if b > cap:                                       # only the newest `cap` survive
        keys, ids, b = keys[-cap:], ids[-cap:], cap
    slots = (queue.ptr + np.arange(b)) % cap
    new_keys, new_ids = queue.keys.copy(), queue.ids.copy()
    new_keys[slots], new_ids[slots] = keys, ids
    return KeyQueue(new_keys, new_ids, int((queue.ptr + b) % cap), min(cap, queue.count + b))


def queue_push(queue: KeyQueue, keys, ids) -> KeyQueue:
    r"""Enqueue a batch of keys, dropping the oldest ones when the queue is full.

    The batch is written at slots ``ptr, ptr + 1, ...`` modulo the capacity (each write evicts the oldest key),
    and ``ptr`` moves past it: O(batch) work, no shifting of the buffer.

    Parameters
    ----------
    queue : KeyQueue
    keys : array_like, shape (B, dim)
    ids : array_like of int, shape (B,)

    Returns
    -------
    KeyQueue
        A new queue (the input is not modified).
    """
    if not isinstance(queue, KeyQueue):
        raise ValueError(f"queue must be a KeyQueue, got {type(queue).__name__}")
    keys = as_array(keys, "keys", ndim=2)
    if keys.shape[1] != queue.keys.shape[1]:
        raise ValueError(f"keys must have {queue.keys.shape[1]} columns, got shape {keys.shape}")
    ids = np.asarray(ids)
    if ids.shape[:1] != keys.shape[:1]:
        raise ValueError(f"ids must have one entry per row of keys ({keys.shape[0]}), got shape {ids.shape}")
    if ids.shape != (keys.shape[0],) or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"ids must be {keys.shape[0]} integers, got {ids.dtype} of shape {ids.shape}")
    return _queue_push(queue, keys, ids)


@dataclass(frozen=True)
class MoCoLoss:
    r"""The MoCo loss of a batch of queries.

    Attributes
    ----------
    loss : float
        Mean over the B queries.
    logits : ndarray, shape (B, K + 1)
        Column 0 the positive :math:`u_q \cdot u_{k+}/\tau`, columns 1..K the queued negatives.
    probs : ndarray, shape (B, K + 1)
    grad_q : ndarray, shape (B, dim)
        :math:`\partial L/\partial q` (the keys get no gradient).
    """

    loss: float
    logits: np.ndarray
    probs: np.ndarray
    grad_q: np.ndarray


def _moco_loss(q, k, negatives, tau):
    u_q, n_q = cl._l2_normalize(q)
    u_k = cl._l2_normalize(k)[0]
    logits = np.hstack([(u_q * u_k).sum(1, keepdims=True), u_q @ negatives.T]) / tau
    loss, probs, g = cl._cross_entropy_rows(logits, np.zeros(q.shape[0], dtype=int))
    du = (g[:, :1] * u_k + g[:, 1:] @ negatives) / tau
    return MoCoLoss(loss, logits, probs, cl._l2_normalize_backward(du, u_q, n_q))


def moco_loss(q, k_pos, negatives, temperature: float = 0.07) -> MoCoLoss:
    r"""MoCo's contrastive loss: each query against its own key and K queued negatives, K + 1 logits.

    .. math::
        \ell_b = -\log \frac{e^{u_{q_b}\cdot u_{k_b}/\tau}}{e^{u_{q_b}\cdot u_{k_b}/\tau}
        + \sum_{j=1}^K e^{u_{q_b}\cdot n_j/\tau}},

    a softmax cross-entropy with label 0, with :math:`u = x/\|x\|`. The keys are constants (no gradient flows
    into the key encoder); :math:`\partial L/\partial u_q = (G_{:,0}\,u_k + G_{:,1:} N)/\tau` with
    :math:`G = (P - e_0)/B`, then through the normalisation.

    Parameters
    ----------
    q, k_pos : array_like, shape (B, dim)
        Queries and their positive keys (normalised here).
    negatives : array_like, shape (K, dim), K >= 0
        Unit-length keys from the queue (used as given).
    temperature : float > 0

    Returns
    -------
    MoCoLoss
    """
    q, k_pos = as_array(q, "q"), as_array(k_pos, "k_pos")
    if q.ndim != 2:
        raise ValueError(f"q must have shape (B, dim), got shape {q.shape}")
    if k_pos.shape != q.shape:
        raise ValueError(f"k_pos must have q's shape {q.shape}, got shape {k_pos.shape}")
    q, k = cl._check_pair(as_array(q, "q"), as_array(k_pos, "k_pos"))
    negatives = as_array(negatives, "negatives", ndim=2, empty=True)
    if negatives.shape[1] != q.shape[1]:
        raise ValueError(f"negatives must have {q.shape[1]} columns, got shape {negatives.shape}")
    tau = check_float(temperature, "temperature", low=0, low_open=True)
    if np.any((q * q).sum(1) == 0) or np.any((k * k).sum(1) == 0):
        raise ValueError("q or k_pos has a zero row: its cosine similarity is undefined")
    return _moco_loss(q, k, negatives, tau)


@dataclass(frozen=True)
class MoCoRun:
    r"""A MoCo run with linear encoders :math:`q = x W_q`, :math:`k = x W_k`.

    Attributes
    ----------
    query_weights, key_weights : ndarray, shape (steps + 1, d_in, dim)
        :math:`W_q` and :math:`W_k` before the first step and after each step.
    losses : ndarray, shape (steps,)
    drift : ndarray, shape (steps + 1,)
        :math:`\|W_k - W_q\|_F / \|W_q\|_F` after each step.
    ages : ndarray of int, shape (n_ages,)
        Age in steps of the queued keys at the end (0 = pushed by the last step).
    consistency : ndarray, shape (n_ages,)
        Mean cosine between each queued key of that age and the current key encoder's key for the same view.
    queue : KeyQueue
        The final queue.
    """

    query_weights: np.ndarray
    key_weights: np.ndarray
    losses: np.ndarray
    drift: np.ndarray
    ages: np.ndarray
    consistency: np.ndarray
    queue: KeyQueue


def moco_train(images, *, dim: int = 16, momentum: float = 0.99, queue_size: int = 128, batch_size: int = 16,
               steps: int = 60, temperature: float = 0.2, learning_rate: float = 0.5, rng=0, pad: int = 1,
               noise: float = 0.1) -> MoCoRun:
    r"""MoCo with linear encoders on :func:`two_views` of the images.

    Each step: queries :math:`q = x_1 W_q` and keys :math:`k = x_2 W_k` for a batch; :func:`moco_loss` against the
    queue; one SGD step on :math:`W_q` only; :func:`ema_update` of :math:`W_k` towards the new :math:`W_q`;
    the unit keys (and, to measure consistency, their views) are pushed with :func:`queue_push`. :math:`W_k`
    starts equal to :math:`W_q`; the queue starts with random unit keys.

    Parameters
    ----------
    images : array_like, shape (n, h, w), n >= batch_size
    dim : int >= 1
    momentum : float in [0, 1]
    queue_size : int >= 1
        K, the number of negatives.
    batch_size : int >= 1
    steps : int >= 1
    temperature, learning_rate : float > 0
    rng : int or numpy.random.Generator (default 0: a fixed seed, so every run is reproducible)
    pad, noise : see :func:`two_views`

    Returns
    -------
    MoCoRun
    """
    X = as_array(images, "images")
    if X.ndim != 3:
        raise ValueError(f"images must have shape (n, h, w), got shape {X.shape}")
    dim, steps = check_int(dim, "dim", low=1), check_int(steps, "steps", low=1)
    m = check_float(momentum, "momentum", low=0, high=1)
    cap = check_int(queue_size, "queue_size", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1, high=X.shape[0])
    tau = check_float(temperature, "temperature", low=0, low_open=True)
    lr = check_float(learning_rate, "learning_rate", low=0, low_open=True)
    pad, noise = check_int(pad, "pad", low=0), check_float(noise, "noise", low=0)
    g = check_random_state(rng)
    d_in = X.shape[1] * X.shape[2]
    enc = Linear(d_in, dim, bias=False)
    W_q = enc.init_params(g)["W"]
    W_k = W_q.copy()
    start = g.standard_normal((cap, dim))
    keys = _queue_push(queue_init(cap, dim), start / np.linalg.norm(start, axis=1, keepdims=True),
                       np.full(cap, -1))
    views = _queue_push(queue_init(cap, d_in), np.zeros((cap, d_in)), np.full(cap, -1))
    Wq_hist, Wk_hist, losses = [W_q], [W_k], np.empty(steps)
    for t in range(steps):
        idx = g.choice(X.shape[0], batch_size, replace=False)
        x1, x2 = _two_views(X[idx], g, pad, noise)
        k = x2 @ W_k
        res = _moco_loss(x1 @ W_q, k, keys.keys, tau)
        losses[t] = res.loss
        W_q = W_q - lr * (x1.T @ res.grad_q)
        W_k = _ema(W_k, W_q, m)
        keys = _queue_push(keys, cl._l2_normalize(k)[0], idx + t * X.shape[0])
        views = _queue_push(views, x2, idx)
        Wq_hist.append(W_q)
        Wk_hist.append(W_k)
    Wq_hist, Wk_hist = np.array(Wq_hist), np.array(Wk_hist)
    drift = np.linalg.norm((Wk_hist - Wq_hist).reshape(steps + 1, -1), axis=1) \
        / np.linalg.norm(Wq_hist.reshape(steps + 1, -1), axis=1)
    stored, tags = keys.ordered()
    filled = tags >= 0
    age = steps - 1 - tags[filled] // X.shape[0]
    now = cl._l2_normalize(views.ordered()[0][filled] @ W_k)[0]
    cos = (stored[filled] * now).sum(1)
    ages = np.unique(age)
    consistency = np.array([cos[age == a].mean() for a in ages])
    return MoCoRun(Wq_hist, Wk_hist, losses, drift, ages, consistency, keys)

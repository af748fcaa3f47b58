r"""Bernoulli restricted Boltzmann machines, contrastive divergence, and greedy stacking into a deep belief net.

Parameters of an RBM with :math:`n_v` visible and :math:`n_h` hidden binary units are the weights ``W``
(:math:`n_v \times n_h`), the visible biases ``a`` (:math:`n_v`) and the hidden biases ``b`` (:math:`n_h`);
:math:`E(v, h) = -a^\top v - b^\top h - v^\top W h` and :math:`p(v, h) = e^{-E(v, h)}/Z`.

- :func:`rbm_energy`, :func:`free_energy`: the energy of joint states and :math:`F(v) = -\log\sum_h e^{-E(v,h)}`;
- :func:`hidden_probs`, :func:`visible_probs`: the factorised conditionals :math:`p(h_j = 1 \mid v)`,
  :math:`p(v_i = 1 \mid h)`; :func:`gibbs_chain`: :math:`k` block-Gibbs sweeps;
- :func:`binary_states`, :func:`log_partition`, :func:`log_likelihood`, :func:`exact_gradient`: exact quantities
  by enumerating every state (small models only);
- :func:`cd_gradient`: the CD-:math:`k` estimate of the log-likelihood gradient, :func:`cd_expected_gradient` its
  exact mean (through the Gibbs transition matrix); :class:`RBMGradient` holds it;
- :class:`RBM`: an estimator trained by CD-:math:`k` with mini-batches, keeping its parameters after each epoch;
- :func:`greedy_pretrain` (:class:`RBMStack`) and :class:`DBN`: greedy layer-wise stacking of RBMs, each
  trained on the previous layer's hidden probabilities;
  :func:`dbn_bound`: the variational lower bound on :math:`\log p(v)` of a two-layer DBN, by enumeration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn.functional import _sigmoid, _softplus
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

__all__ = ["DBN", "RBM", "RBMGradient", "RBMStack", "binary_states", "cd_expected_gradient", "cd_gradient",
           "dbn_bound", "exact_gradient", "free_energy", "gibbs_chain", "greedy_pretrain", "hidden_probs",
           "log_likelihood", "log_partition", "rbm_energy", "visible_probs"]

_MAX_ENUM = 22          # 2**22 joint states is the largest enumeration we allow


def _params(W, a, b):
    W = as_array(W, "W", ndim=2)
    a = as_array(a, "a", ndim=1)
    b = as_array(b, "b", ndim=1)
    if a.shape[0] != W.shape[0]:
        raise ValueError(f"a has {a.shape[0]} entries but W has {W.shape[0]} rows (visible units)")
    if b.shape[0] != W.shape[1]:
        raise ValueError(f"b has {b.shape[0]} entries but W has {W.shape[1]} columns (hidden units)")
    return W, a, b


def _triple(value, name: str):
    """``value`` as an RBM's ``(W, a, b)``, errors naming the argument ``name``."""
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        raise ValueError(f"{name} must be a triple (W, a, b) of arrays, got {type(value).__name__}"
                         + (f" of length {len(value)}" if isinstance(value, (tuple, list)) else ""))
    try:
        return _params(*value)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _binary(x, name, n, of="W"):
    x = as_array(x, name)
    x = x[None, :] if x.ndim == 1 else x
    if x.ndim != 2 or x.shape[1] != n:
        raise ValueError(f"{name} must have {n} columns (to match {of}), got shape {x.shape}")
    if np.any((x < 0) | (x > 1)):
        raise ValueError(f"{name} must lie in [0, 1] (binary states or probabilities)")
    return x


def rbm_energy(v, h, W, a, b) -> np.ndarray:
    r"""Energy :math:`E(v, h) = -a^\top v - b^\top h - v^\top W h` of each row pair.

    Parameters
    ----------
    v : array_like (n, n_v) or (n_v,); h : array_like (n, n_h) or (n_h,)
    W : (n_v, n_h); a : (n_v,); b : (n_h,)

    Returns
    -------
    numpy.ndarray (n,)
    """
    W, a, b = _params(W, a, b)
    v, h = _binary(v, "v", W.shape[0]), _binary(h, "h", W.shape[1])
    if v.shape[0] != h.shape[0]:
        raise ValueError(f"v and h need the same number of rows, got {v.shape[0]} and {h.shape[0]}")
    return _energy(v, h, W, a, b)


def _energy(v, h, W, a, b):
    return -(v @ a) - (h @ b) - np.einsum("ni,ij,nj->n", v, W, h)


def hidden_probs(v, W, b) -> np.ndarray:
    r""":math:`p(h_j = 1 \mid v) = \sigma(b_j + v^\top W_{:, j})` for every row of ``v``: (n, n_v) -> (n, n_h)."""
    W = as_array(W, "W", ndim=2)
    b = as_array(b, "b", ndim=1)
    if b.shape[0] != W.shape[1]:
        raise ValueError(f"b has {b.shape[0]} entries but W has {W.shape[1]} columns (hidden units)")
    return _hidden(_binary(v, "v", W.shape[0]), W, b)


def visible_probs(h, W, a) -> np.ndarray:
    r""":math:`p(v_i = 1 \mid h) = \sigma(a_i + W_{i, :} h)` for every row of ``h``: (n, n_h) -> (n, n_v)."""
    W = as_array(W, "W", ndim=2)
    a = as_array(a, "a", ndim=1)
    if a.shape[0] != W.shape[0]:
        raise ValueError(f"a has {a.shape[0]} entries but W has {W.shape[0]} rows (visible units)")
    return _visible(_binary(h, "h", W.shape[1]), W, a)


def _hidden(v, W, b):
    return _sigmoid(v @ W + b)


def _visible(h, W, a):
    return _sigmoid(h @ W.T + a)


def free_energy(v, W, a, b) -> np.ndarray:
    r"""Free energy :math:`F(v) = -a^\top v - \sum_j \operatorname{softplus}(b_j + v^\top W_{:, j})`.

    Summing :math:`e^{-E(v, h)}` over the :math:`2^{n_h}` hidden states factorises over the units, so
    :math:`p(v) = e^{-F(v)}/Z`. (n, n_v) -> (n,).
    """
    W, a, b = _params(W, a, b)
    return _free_energy(_binary(v, "v", W.shape[0]), W, a, b)


def _free_energy(v, W, a, b):
    return -(v @ a) - _softplus(v @ W + b).sum(axis=1)


def binary_states(n: int) -> np.ndarray:
    """All :math:`2^n` binary vectors of length ``n``, as rows of a float array (2**n, n), first bit slowest."""
    n = check_int(n, "n", low=0, high=_MAX_ENUM)
    return ((np.arange(2**n)[:, None] >> np.arange(n - 1, -1, -1)) & 1).astype(float)


def _check_small(W):
    n_v, n_h = W.shape
    if n_v + n_h > _MAX_ENUM:
        raise ValueError(f"enumeration needs n_v + n_h <= {_MAX_ENUM}, got {n_v} + {n_h}")


def log_partition(W, a, b) -> float:
    r""":math:`\log Z = \log \sum_{v, h} e^{-E(v, h)}`, summing the free energy over the smaller layer's states.

    With :math:`n_v \le n_h` it is :math:`\log\sum_v e^{-F(v)}` over :math:`2^{n_v}` states; otherwise the
    hidden layer's free energy :math:`-b^\top h - \sum_i \operatorname{softplus}(a_i + W_{i,:} h)` is summed over
    :math:`2^{n_h}` states.
    """
    W, a, b = _params(W, a, b)
    if min(W.shape) > _MAX_ENUM:
        raise ValueError(f"enumeration needs min(n_v, n_h) <= {_MAX_ENUM}, got {W.shape}")
    return _log_z(W, a, b)


def _log_z(W, a, b):
    if W.shape[0] <= W.shape[1]:
        neg = -_free_energy(binary_states(W.shape[0]), W, a, b)
    else:
        neg = -_free_energy(binary_states(W.shape[1]), W.T, b, a)
    m = neg.max()
    return float(m + np.log(np.exp(neg - m).sum()))


def log_likelihood(X, W, a, b) -> float:
    r"""Mean exact :math:`\log p(v) = -F(v) - \log Z` over the rows of ``X`` (n, n_v)."""
    W, a, b = _params(W, a, b)
    if min(W.shape) > _MAX_ENUM:
        raise ValueError(f"enumeration needs min(n_v, n_h) <= {_MAX_ENUM}, got {W.shape}")
    X = _binary(X, "X", W.shape[0])
    return float(np.mean(-_free_energy(X, W, a, b)) - _log_z(W, a, b))


@dataclass(frozen=True)
class RBMGradient:
    r"""A gradient of the mean log-likelihood (an ascent direction) with respect to the RBM's parameters.

    Attributes
    ----------
    W : (n_v, n_h), :math:`\langle v h^\top\rangle_{data} - \langle v h^\top\rangle_{model}`
    a : (n_v,), :math:`\langle v\rangle_{data} - \langle v\rangle_{model}`
    b : (n_h,), :math:`\langle h\rangle_{data} - \langle h\rangle_{model}`
    """

    W: np.ndarray
    a: np.ndarray
    b: np.ndarray


def _positive(X, W, b, weights):
    ph = _hidden(X, W, b)
    return X.T @ (weights[:, None] * ph), weights @ X, weights @ ph


def exact_gradient(X, W, a, b, weights=None) -> RBMGradient:
    r"""Exact gradient of the (weighted) mean :math:`\log p(v)`, the model term by enumerating every joint state.

    The data term uses :math:`p(h \mid v)` in closed form; the model term sums :math:`p(v, h)\, v h^\top` over all
    :math:`2^{n_v + n_h}` states. ``weights`` (n,), non-negative, are normalised to sum to 1 (default uniform).
    """
    W, a, b = _params(W, a, b)
    _check_small(W)
    X = _binary(X, "X", W.shape[0])
    if weights is None:
        weights = np.full(X.shape[0], 1.0 / X.shape[0])
    else:
        weights = as_array(weights, "weights", ndim=1)
        if weights.shape[0] != X.shape[0] or np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError("weights must be non-negative, one per row of X, with a positive sum")
        weights = weights / weights.sum()
    return _exact_gradient(X, W, a, b, weights)


def _exact_gradient(X, W, a, b, weights):
    V, H = binary_states(W.shape[0]), binary_states(W.shape[1])
    neg = (V @ a)[:, None] + (H @ b)[None, :] + V @ W @ H.T
    P = np.exp(neg - neg.max())
    P /= P.sum()                                                      # p(v, h) over the grid
    dW, da, db = _positive(X, W, b, weights)
    return RBMGradient(dW - V.T @ P @ H, da - P.sum(axis=1) @ V, db - P.sum(axis=0) @ H)


def gibbs_chain(v, W, a, b, k: int, rng=0) -> np.ndarray:
    r"""Run :math:`k` block-Gibbs sweeps :math:`v \to h \sim p(h \mid v) \to v \sim p(v \mid h)` from each row of ``v``.

    Returns the binary visible states after :math:`k` sweeps, (n, n_v).
    """
    W, a, b = _params(W, a, b)
    v = _binary(v, "v", W.shape[0])
    k = check_int(k, "k", low=0)
    return _gibbs(v, W, a, b, k, check_random_state(rng))


def _gibbs(v, W, a, b, k, rng):
    for _ in range(k):
        h = (rng.random((v.shape[0], W.shape[1])) < _hidden(v, W, b)).astype(float)
        v = (rng.random(v.shape) < _visible(h, W, a)).astype(float)
    return v


def cd_gradient(X, W, a, b, k: int = 1, rng=0) -> RBMGradient:
    r"""CD-:math:`k` estimate of the log-likelihood gradient on the rows of ``X`` (n, n_v).

    Each chain starts at a data row, runs :math:`k` Gibbs sweeps to :math:`v^{(k)}`, and the model term is
    replaced by :math:`\langle v^{(k)} p(h \mid v^{(k)})^\top\rangle`; the data term is exact given ``X``. The
    estimate is biased for every finite :math:`k`; the bias shrinks as :math:`k` grows.
    """
    W, a, b = _params(W, a, b)
    X = _binary(X, "X", W.shape[0])
    k = check_int(k, "k", low=1)
    return _cd_gradient(X, W, a, b, k, check_random_state(rng))


def _cd_gradient(X, W, a, b, k, rng):
    n = X.shape[0]
    weights = np.full(n, 1.0 / n)
    dW, da, db = _positive(X, W, b, weights)
    vk = _gibbs(X, W, a, b, k, rng)
    mW, ma, mb = _positive(vk, W, b, weights)
    return RBMGradient(dW - mW, da - ma, db - mb)


def cd_expected_gradient(X, W, a, b, k: int = 1) -> RBMGradient:
    r"""The mean of the CD-:math:`k` estimate over the Gibbs noise, exactly, through the visible transition matrix.

    One sweep moves :math:`v \to v'` with :math:`T(v, v') = \sum_h p(h \mid v)\, p(v' \mid h)`, a
    :math:`2^{n_v} \times 2^{n_v}` matrix; a chain started at a data row is at :math:`e_v^\top T^k` after
    :math:`k` sweeps. Subtracting this from :func:`exact_gradient` gives the bias of CD-:math:`k`.
    """
    W, a, b = _params(W, a, b)
    _check_small(W)
    X = _binary(X, "X", W.shape[0])
    k = check_int(k, "k", low=1)
    V, H = binary_states(W.shape[0]), binary_states(W.shape[1])
    ph, pv = _hidden(V, W, b), _visible(H, W, a)
    p_h = np.prod(np.where(H[None], ph[:, None, :], 1 - ph[:, None, :]), axis=2)     # p(h | v), (2^n_v, 2^n_h)
    p_v = np.prod(np.where(V[None], pv[:, None, :], 1 - pv[:, None, :]), axis=2)     # p(v | h), (2^n_h, 2^n_v)
    T = p_h @ p_v
    start = np.zeros(V.shape[0])
    if np.any((X != 0) & (X != 1)):
        raise ValueError("X must be binary for the exact CD mean")
    np.add.at(start, X.astype(int) @ (1 << np.arange(W.shape[0] - 1, -1, -1)), 1.0 / X.shape[0])
    end = start @ np.linalg.matrix_power(T, k)                        # distribution of v after k sweeps
    weights = np.full(X.shape[0], 1.0 / X.shape[0])
    dW, da, db = _positive(X, W, b, weights)
    mW, ma, mb = _positive(V, W, b, end)
    return RBMGradient(dW - mW, da - ma, db - mb)


class RBM:
    r"""Bernoulli RBM trained by CD-:math:`k` with mini-batch gradient ascent.

    Parameters
    ----------
    n_hidden : int >= 1
    k : int >= 1, Gibbs sweeps per gradient estimate
    learning_rate : float > 0
    n_epochs : int >= 1; batch_size : int >= 1
    init_scale : float >= 0, standard deviation of the initial weights (biases start at 0)
    rng : int seed or numpy.random.Generator

    Attributes (after ``fit``)
    --------------------------
    W_ (n_v, n_h), a_ (n_v,), b_ (n_h,); history_ : list of ``(W, a, b)`` after each epoch, the initial state first.
    """

    def __init__(self, n_hidden: int = 16, *, k: int = 1, learning_rate: float = 0.1, n_epochs: int = 10,
                 batch_size: int = 20, init_scale: float = 0.01, rng=0):
        self.n_hidden = check_int(n_hidden, "n_hidden", low=1)
        self.k = check_int(k, "k", low=1)
        self.learning_rate = check_float(learning_rate, "learning_rate", low=0.0)
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be positive, got {learning_rate}")
        self.n_epochs = check_int(n_epochs, "n_epochs", low=1)
        self.batch_size = check_int(batch_size, "batch_size", low=1)
        self.init_scale = check_float(init_scale, "init_scale", low=0.0)
        self.rng = rng

    def fit(self, X, y=None, init=None) -> RBM:
        """Train on binary rows ``X`` (n, n_v); ``init`` optionally gives starting ``(W, a, b)``. Returns self."""
        X = as_array(X, "X", ndim=2)
        X = _binary(X, "X", X.shape[1])
        rng = check_random_state(self.rng)
        if init is None:
            W = self.init_scale * rng.standard_normal((X.shape[1], self.n_hidden))
            a, b = np.zeros(X.shape[1]), np.zeros(self.n_hidden)
        else:
            _triple(init, "init")
            if np.shape(init[0]) != (X.shape[1], self.n_hidden):
                raise ValueError(f"init W must have shape (X's columns, n_hidden) = {(X.shape[1], self.n_hidden)}, "
                                 f"got {np.shape(init[0])}")
            W, a, b = (np.array(p, dtype=float) for p in _params(*init))
            if W.shape != (X.shape[1], self.n_hidden):
                raise ValueError(f"init W must have shape {(X.shape[1], self.n_hidden)}, got {W.shape}")
        history = [(W.copy(), a.copy(), b.copy())]
        n = X.shape[0]
        for _ in range(self.n_epochs):
            order = rng.permutation(n)
            for start in range(0, n, self.batch_size):
                g = _cd_gradient(X[order[start:start + self.batch_size]], W, a, b, self.k, rng)
                W += self.learning_rate * g.W
                a += self.learning_rate * g.a
                b += self.learning_rate * g.b
            history.append((W.copy(), a.copy(), b.copy()))
        self.W_, self.a_, self.b_, self.history_ = W, a, b, history
        return self

    def transform(self, X) -> np.ndarray:
        r"""Hidden probabilities :math:`p(h = 1 \mid v)` of each row: (n, n_v) -> (n, n_h), ``X`` in [0, 1]."""
        _binary(X, "X", self.W_.shape[0], of="the fitted W_")
        return hidden_probs(X, self.W_, self.b_)

    def reconstruct(self, X) -> np.ndarray:
        r"""Mean-field reconstruction :math:`p(v = 1 \mid h = p(h = 1 \mid v))`: (n, n_v) -> (n, n_v)."""
        return _visible(self.transform(X), self.W_, self.a_)


@dataclass(frozen=True)
class RBMStack:
    r"""The layers of a greedily pre-trained stack, bottom first.

    Attributes
    ----------
    weights : tuple of arrays, layer :math:`\ell` has shape (n_{\ell-1}, n_\ell)
    visible_biases, hidden_biases : tuples of arrays, (n_{\ell-1},) and (n_\ell,)
    """

    weights: tuple
    visible_biases: tuple
    hidden_biases: tuple


def greedy_pretrain(X, layer_sizes, *, k: int = 1, learning_rate: float = 0.1, n_epochs: int = 10,
                    batch_size: int = 20, rng=0) -> RBMStack:
    r"""Greedy layer-wise pre-training: fit an :class:`RBM` to ``X``, then each next one to the hidden probabilities
    :math:`p(h^{(\ell)} = 1 \mid \cdot)` of the layer below, sharing one random generator in that order.

    Parameters
    ----------
    X : (n, n_v) in [0, 1]; layer_sizes : sequence of int >= 1, hidden sizes from the bottom up
    k, learning_rate, n_epochs, batch_size : as in :class:`RBM`; rng : int seed or Generator

    Returns
    -------
    RBMStack
    """
    X = as_array(X, "X", ndim=2)
    X = _binary(X, "X", X.shape[1])
    if not isinstance(layer_sizes, (list, tuple, np.ndarray)):
        raise ValueError(f"layer_sizes must be a sequence of ints >= 1, got {type(layer_sizes).__name__}")
    sizes = [check_int(s, "layer_sizes", low=1) for s in layer_sizes]
    if not sizes:
        raise ValueError("layer_sizes must name at least one hidden layer")
    rng = check_random_state(rng)
    Ws, As, Bs, inputs = [], [], [], X
    for size in sizes:
        layer = RBM(size, k=k, learning_rate=learning_rate, n_epochs=n_epochs, batch_size=batch_size,
                    rng=rng).fit(inputs)
        Ws.append(layer.W_)
        As.append(layer.a_)
        Bs.append(layer.b_)
        inputs = _hidden(inputs, layer.W_, layer.b_)
    return RBMStack(tuple(Ws), tuple(As), tuple(Bs))


class DBN:
    r"""Deep belief net pre-trained greedily (:func:`greedy_pretrain`); ``transform`` gives the top features.

    Parameters
    ----------
    layer_sizes : sequence of int >= 1, the hidden sizes from the bottom up
    k, learning_rate, n_epochs, batch_size : as in :class:`RBM`, shared by every layer
    rng : int seed or numpy.random.Generator

    Attributes (after ``fit``)
    --------------------------
    stack_ : RBMStack
    """

    def __init__(self, layer_sizes=(32, 16), *, k: int = 1, learning_rate: float = 0.1, n_epochs: int = 10,
                 batch_size: int = 20, rng=0):
        if not isinstance(layer_sizes, (list, tuple, np.ndarray)):
            raise ValueError(f"layer_sizes must be a sequence of ints >= 1, got {type(layer_sizes).__name__}")
        sizes = [check_int(s, "layer_sizes", low=1) for s in layer_sizes]
        if not sizes:
            raise ValueError("layer_sizes must name at least one hidden layer")
        self.layer_sizes = tuple(sizes)
        self.k, self.learning_rate, self.n_epochs, self.batch_size = k, learning_rate, n_epochs, batch_size
        self.rng = rng

    def fit(self, X, y=None) -> DBN:
        """Greedy layer-wise pre-training on rows ``X`` (n, n_v) in [0, 1]. Returns self."""
        self.stack_ = greedy_pretrain(X, self.layer_sizes, k=self.k, learning_rate=self.learning_rate,
                                      n_epochs=self.n_epochs, batch_size=self.batch_size, rng=self.rng)
        return self

    def transform(self, X, n_layers: int | None = None) -> np.ndarray:
        """Propagate hidden probabilities up ``n_layers`` layers (default all): (n, n_v) -> (n, n_h of that layer)."""
        depth = len(self.stack_.weights)
        n_layers = depth if n_layers is None else check_int(n_layers, "n_layers", low=0, high=depth)
        out = as_array(X, "X", ndim=2)
        if out.shape[1] != self.stack_.weights[0].shape[0]:
            raise ValueError(f"X must have {self.stack_.weights[0].shape[0]} columns (the visible units of the fitted "
                             f"stack), got shape {out.shape}")
        for W, b in list(zip(self.stack_.weights, self.stack_.hidden_biases))[:n_layers]:
            out = _hidden(out, W, b)
        return out


def dbn_bound(X, bottom, top) -> float:
    r"""Mean variational lower bound on :math:`\log p(v)` of a two-layer DBN, by enumerating the hidden states.

    The DBN's generative model is :math:`p(h) \, p(v \mid h)` with :math:`p(h)` the visible marginal of the top RBM
    and :math:`p(v \mid h)` the bottom RBM's conditional; with :math:`q(h \mid v)` the bottom RBM's posterior,

    .. math:: \log p(v) \ge \sum_h q(h \mid v)\,[\log p(h) + \log p(v \mid h) - \log q(h \mid v)].

    Parameters
    ----------
    X : (n, n_v) binary
    bottom : ``(W1, a1, b1)`` with W1 (n_v, n_h); top : ``(W2, a2, b2)`` with W2 (n_h, n_top)

    Returns
    -------
    float, the mean of the bound over the rows of ``X``
    """
    _triple(bottom, "bottom")
    _triple(top, "top")
    W1, a1, b1 = _params(*bottom)
    W2, a2, b2 = _params(*top)
    if W2.shape[0] != W1.shape[1]:
        raise ValueError(f"top has {W2.shape[0]} visible units but bottom has {W1.shape[1]} hidden units")
    if W1.shape[1] > _MAX_ENUM:
        raise ValueError(f"enumeration needs at most {_MAX_ENUM} units in the middle layer, got {W1.shape[1]}")
    X = _binary(X, "X", W1.shape[0], of="bottom's W1")
    H = binary_states(W1.shape[1])                                     # (2^n_h, n_h)
    log_prior = -_free_energy(H, W2, a2, b2) - _log_z(W2, a2, b2)      # log p(h) from the top RBM
    pre_v = H @ W1.T + a1                                              # (2^n_h, n_v)
    log_lik = X @ pre_v.T - _softplus(pre_v).sum(axis=1)               # log p(v | h), (n, 2^n_h)
    pre_h = X @ W1 + b1                                                # (n, n_h)
    log_q = pre_h @ H.T - _softplus(pre_h).sum(axis=1, keepdims=True)  # log q(h | v), (n, 2^n_h)
    q = np.exp(log_q)
    return float(np.mean(np.sum(q * (log_prior[None, :] + log_lik - log_q), axis=1)))

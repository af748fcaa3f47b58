r"""Generative adversarial networks, unconditional and conditional, at toy scale.

- :func:`optimal_discriminator`  the best discriminator against fixed densities, :math:`D^* = p/(p+q)`;
- :func:`gan_value`              the minimax value :math:`V(D, G)` for discrete densities (``0 log 0 = 0``);
- :func:`generator_loss`         the saturating (:math:`\log(1-D)`) or non-saturating (:math:`-\log D`) generator
  loss of discriminator logits, with its gradient (a :class:`GeneratorLoss`);
- :func:`one_hot`                labels as one-hot rows, the conditioning input of a conditional GAN;
- :func:`mlp`                    a small ``Sequential`` of ``Linear`` and ``Activation`` layers;
- :func:`discriminator_grads`, :func:`generator_grads`  the two players' losses and parameter gradients for one
  batch (a :class:`PlayerGrads` each), through the layers' backward passes;
- :func:`train_gan`             alternating Adam updates of discriminator and generator, optionally conditioned
  on a class label by concatenating its one-hot code to both inputs; a :class:`GANRun` keeps snapshots of both
  players' parameters along the run and samples and discriminates with any of them;
- :func:`ring_centers`, :func:`gaussian_mixture`  labelled 2-D mixtures of isotropic Gaussians;
- :func:`mode_coverage`          how many mixture modes the samples reach, and the share of samples near a mode
  (a :class:`ModeCoverage`).

The losses come from :class:`~mlsheet_utils.algorithms.nn.losses.BinaryCrossEntropyWithLogits` and the updates
from :class:`~mlsheet_utils.algorithms.nn.optimizers.Adam`; the discriminator outputs a logit :math:`a`, with
:math:`D = \sigma(a)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn.functional import ACTIVATIONS
from mlsheet_utils.algorithms.nn.layers import Activation, Layer, Linear, Sequential
from mlsheet_utils.algorithms.nn.losses import BinaryCrossEntropyWithLogits
from mlsheet_utils.algorithms.nn.optimizers import Adam
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

__all__ = ["GANRun", "GeneratorLoss", "ModeCoverage", "PlayerGrads", "discriminator_grads",
           "gan_value", "gaussian_mixture", "generator_grads", "generator_loss", "mlp", "mode_coverage",
           "one_hot", "optimal_discriminator", "ring_centers", "train_gan"]

_BCE = BinaryCrossEntropyWithLogits()


def _densities(p, q):
    p, q = as_array(p, "p_real"), as_array(q, "p_fake")
    if p.shape != q.shape:
        raise ValueError(f"p_real and p_fake must have the same shape, got {p.shape} and {q.shape}")
    if p.min() < 0 or q.min() < 0:
        raise ValueError("p_real and p_fake must be non-negative")
    return p, q


def optimal_discriminator(p_real, p_fake) -> np.ndarray:
    r"""The discriminator that maximises :math:`V(D, G)` for fixed densities, pointwise.

    .. math::
        D^*(x) = \frac{p(x)}{p(x) + q(x)},

    from maximising :math:`p \log D + q \log(1 - D)` in :math:`D \in (0, 1)`. Where both densities vanish any
    value is optimal; 1/2 is returned there.

    Parameters
    ----------
    p_real, p_fake : array_like, same shape
        Densities (or probabilities) of the data :math:`p` and of the generator :math:`q` at the same points;
        for a conditional GAN, the joint densities :math:`p(x, y)` and :math:`q(x, y)`.

    Returns
    -------
    numpy.ndarray, the shape of ``p_real``, values in [0, 1].
    """
    p, q = _densities(p_real, p_fake)
    total = p + q
    return np.divide(p, total, out=np.full(p.shape, 0.5), where=total > 0)


def gan_value(d, p_real, p_fake) -> float:
    r"""The minimax value of a discriminator against discrete distributions.

    .. math::
        V(D, G) = \sum_x p(x) \log D(x) + \sum_x q(x) \log\bigl(1 - D(x)\bigr),

    the two expectations of the objective written as sums, with :math:`0 \log 0 = 0`. At :math:`D = D^*` it
    equals :math:`-\log 4 + 2\,\mathrm{JSD}(p \,\|\, q)`.

    Parameters
    ----------
    d : array_like, values in [0, 1]
        Discriminator outputs, shaped like ``p_real``.
    p_real, p_fake : array_like
        Probabilities of the data and of the generator (each summing to 1; a joint over (x, y) for a
        conditional GAN).

    Returns
    -------
    float (``-inf`` when a point of positive mass gets the wrong certain answer).
    """
    p, q = _densities(p_real, p_fake)
    for name, v in (("p_real", p), ("p_fake", q)):
        if not np.isclose(v.sum(), 1.0):
            raise ValueError(f"{name} must sum to 1, got a sum of {v.sum():g}")
    d = as_array(d, "d")
    if d.shape != p.shape:
        raise ValueError(f"d must have the shape of p_real {p.shape}, got {d.shape}")
    if d.min() < 0 or d.max() > 1:
        raise ValueError(f"d must lie in [0, 1], got values in [{d.min():g}, {d.max():g}]")
    with np.errstate(divide="ignore"):
        real = np.where(p > 0, p * np.log(np.where(p > 0, d, 1.0)), 0.0)
        fake = np.where(q > 0, q * np.log(np.where(q > 0, 1.0 - d, 1.0)), 0.0)
    return float(real.sum() + fake.sum())


@dataclass(frozen=True)
class GeneratorLoss:
    r"""A generator loss and its gradient with respect to the discriminator's logits on fake samples.

    Attributes
    ----------
    value : float
        The mean loss over the batch.
    grad_logits : numpy.ndarray, shape of the logits
        :math:`\partial L_G / \partial a_i` (including the :math:`1/n` of the mean).
    """

    value: float
    grad_logits: np.ndarray


def _generator_loss(logits: np.ndarray, non_saturating: bool) -> GeneratorLoss:
    if non_saturating:                                   # -log D = BCE against the label "real"
        value, cache = _BCE._forward(logits, np.ones_like(logits))
        return GeneratorLoss(value, _BCE._backward(cache))
    value, cache = _BCE._forward(logits, np.zeros_like(logits))   # log(1 - D) = -BCE against "fake"
    return GeneratorLoss(-value, -_BCE._backward(cache))


def generator_loss(logits, *, non_saturating: bool = True) -> GeneratorLoss:
    r"""The generator's loss from the discriminator's logits :math:`a_i` on generated samples.

    With :math:`D = \sigma(a)`:

    .. math::
        \text{saturating: } L_G = \frac1n \sum_i \log\bigl(1 - \sigma(a_i)\bigr), \quad
        \frac{\partial L_G}{\partial a_i} = -\frac{\sigma(a_i)}{n};

        \text{non-saturating: } L_G = -\frac1n \sum_i \log \sigma(a_i), \quad
        \frac{\partial L_G}{\partial a_i} = -\frac{1 - \sigma(a_i)}{n}.

    When the discriminator rejects the fakes (:math:`D \to 0`), the first gradient vanishes and the second
    tends to :math:`-1/n`.

    Parameters
    ----------
    logits : array_like
        Discriminator logits on a batch of generated samples, any shape.
    non_saturating : bool
        Which loss.

    Returns
    -------
    GeneratorLoss
    """
    return _generator_loss(as_array(logits, "logits"), bool(non_saturating))


def one_hot(labels, n_classes: int) -> np.ndarray:
    """Integer labels ``(n,)`` in ``0 .. n_classes - 1`` as one-hot rows ``(n, n_classes)`` (float)."""
    n_classes = check_int(n_classes, "n_classes", low=1)
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a 1-D integer array, got dtype {labels.dtype} and shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in 0 .. {n_classes - 1}, got [{labels.min()}, {labels.max()}]")
    return np.eye(n_classes)[labels]


def mlp(n_in: int, n_out: int, hidden: int = 32, depth: int = 2, activation: str = "leaky_relu") -> Sequential:
    r"""``Linear(n_in, hidden)``, then ``depth - 1`` hidden ``Linear(hidden, hidden)``, each followed by the
    activation, then ``Linear(hidden, n_out)`` with no activation: maps ``(n, n_in)`` to ``(n, n_out)``."""
    n_in, n_out = check_int(n_in, "n_in", low=1), check_int(n_out, "n_out", low=1)
    hidden, depth = check_int(hidden, "hidden", low=1), check_int(depth, "depth", low=1)
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    layers = [Linear(n_in, hidden), Activation(activation)]
    for _ in range(depth - 1):
        layers += [Linear(hidden, hidden), Activation(activation)]
    return Sequential(*layers, Linear(hidden, n_out))


@dataclass(frozen=True)
class PlayerGrads:
    """One player's loss on a batch and the gradient of that loss with respect to its parameters.

    Attributes
    ----------
    loss : float
    grads : list of dict of numpy.ndarray
        Shaped like the player's parameters (one dict per layer).
    """

    loss: float
    grads: list


def _with_code(x: np.ndarray, code: np.ndarray | None) -> np.ndarray:
    return x if code is None else np.concatenate([x, code], axis=1)


def _discriminator_grads(disc, d_params, x_real, x_fake, code_real, code_fake) -> PlayerGrads:
    a_real, c_real = disc._forward(_with_code(x_real, code_real), d_params, None, True)
    a_fake, c_fake = disc._forward(_with_code(x_fake, code_fake), d_params, None, True)
    l_real, lc_real = _BCE._forward(a_real, np.ones_like(a_real))
    l_fake, lc_fake = _BCE._forward(a_fake, np.zeros_like(a_fake))
    _, g_real = disc._backward(_BCE._backward(lc_real), c_real)
    _, g_fake = disc._backward(_BCE._backward(lc_fake), c_fake)
    grads = [{k: g_real[i][k] + g_fake[i][k] for k in g_real[i]} for i in range(len(g_real))]
    return PlayerGrads(l_real + l_fake, grads)


def _generator_grads(gen, disc, g_params, d_params, z, code, non_saturating) -> PlayerGrads:
    x_fake, c_gen = gen._forward(_with_code(z, code), g_params, None, True)
    a_fake, c_disc = disc._forward(_with_code(x_fake, code), d_params, None, True)
    loss = _generator_loss(a_fake, non_saturating)
    dx, _ = disc._backward(loss.grad_logits, c_disc)
    _, grads = gen._backward(dx[:, :x_fake.shape[1]], c_gen)
    return PlayerGrads(loss.value, grads)


def _checked_net(net, params, name: str, params_name: str):
    """``net`` must be a Layer; its parameters, checked, with ``params_name`` in the message."""
    if not isinstance(net, Layer):
        raise ValueError(f"{name} must be a Layer (a Sequential), got {type(net).__name__}")
    try:
        return net.check_params(params)
    except ValueError as exc:
        raise ValueError(f"{params_name} do not fit {name}: {exc}") from None


def _fits(net, x, params, what: str, name: str):
    """A checked forward pass of one row, the error naming the input ``what`` and the network ``name``."""
    try:
        return net.forward(x, params)
    except ValueError as exc:
        raise ValueError(f"{what} must fit {name}'s input: {exc}") from None


def _check_code(code, n, name):
    if code is None:
        return None
    code = as_array(code, name, ndim=2)
    if len(code) != n:
        raise ValueError(f"{name} must have {n} rows, got {len(code)}")
    return code


def discriminator_grads(disc: Sequential, d_params, x_real, x_fake, *, code_real=None,
                        code_fake=None) -> PlayerGrads:
    r"""The discriminator's loss :math:`-V` on one batch and its parameter gradients.

    .. math::
        L_D = -\frac1n \sum_i \log \sigma\bigl(a(x_i)\bigr) - \frac1m \sum_j \log\bigl(1 - \sigma(a(\tilde x_j))\bigr),

    binary cross-entropy with label 1 on real and 0 on generated samples; minimising it maximises the sheet's
    objective over :math:`D`.

    Parameters
    ----------
    disc : Sequential
        Maps ``(n, d + k)`` inputs to ``(n, 1)`` logits (``k`` the width of the conditioning code, 0 without).
    d_params : its parameters
    x_real : array_like, shape (n, d)
    x_fake : array_like, shape (m, d)
    code_real, code_fake : array_like, shape (n, k) and (m, k), optional
        Conditioning codes (one-hot labels) concatenated to the inputs.

    Returns
    -------
    PlayerGrads
    """
    x_real, x_fake = as_array(x_real, "x_real", ndim=2), as_array(x_fake, "x_fake", ndim=2)
    code_real, code_fake = _check_code(code_real, len(x_real), "code_real"), _check_code(code_fake, len(x_fake),
                                                                                          "code_fake")
    if x_fake.shape[1] != x_real.shape[1]:
        raise ValueError(f"x_fake must have the {x_real.shape[1]} columns of x_real, got {x_fake.shape[1]}")
    if (code_real is None) != (code_fake is None) or (code_real is not None
                                                      and code_fake.shape[1] != code_real.shape[1]):
        raise ValueError(f"code_fake must be given exactly when code_real is, with as many columns, got shapes "
                         f"{np.shape(code_real)} and {np.shape(code_fake)}")
    d_params = _checked_net(disc, d_params, "disc", "d_params")
    _fits(disc, _with_code(x_real[:1], None if code_real is None else code_real[:1]), d_params,
          "x_real (with code_real)", "disc")
    return _discriminator_grads(disc, d_params, x_real, x_fake, code_real, code_fake)


def generator_grads(gen: Sequential, disc: Sequential, g_params, d_params, z, *, code=None,
                    non_saturating: bool = True) -> PlayerGrads:
    r"""The generator's loss on one batch of noise and its parameter gradients, through the discriminator.

    The fake samples :math:`\tilde x = G(z)` go through :math:`D`; :func:`generator_loss` gives
    :math:`\partial L_G/\partial a`, the discriminator's backward pass turns it into
    :math:`\partial L_G/\partial \tilde x` (the discriminator is held fixed) and the generator's backward pass
    into the gradients of its parameters.

    Parameters
    ----------
    gen : Sequential
        Maps ``(m, latent + k)`` to ``(m, d)``.
    disc : Sequential
    g_params, d_params : the two players' parameters
    z : array_like, shape (m, latent)
    code : array_like, shape (m, k), optional
        One conditioning code per row, given to both players.
    non_saturating : bool
        :math:`-\log D(G(z))` (default) or the sheet's :math:`\log(1 - D(G(z)))`.

    Returns
    -------
    PlayerGrads
    """
    z = as_array(z, "z", ndim=2)
    code = _check_code(code, len(z), "code")
    g_params = _checked_net(gen, g_params, "gen", "g_params")
    d_params = _checked_net(disc, d_params, "disc", "d_params")
    x1, _ = _fits(gen, _with_code(z[:1], None if code is None else code[:1]), g_params, "z (with code)", "gen")
    _fits(disc, _with_code(x1, None if code is None else code[:1]), d_params, "gen's output (with code)", "disc")
    return _generator_grads(gen, disc, g_params, d_params, z, code, bool(non_saturating))


@dataclass(frozen=True)
class GANRun:
    """A trained GAN (:func:`train_gan`): the two networks and snapshots of their parameters along the run.

    Attributes
    ----------
    generator, discriminator : Sequential
    n_classes : int
        0 for an unconditional GAN.
    latent_dim : int
    d_loss, g_loss : numpy.ndarray, shape (steps,)
        The discriminator's and the generator's minibatch losses at every step.
    snapshot_steps : numpy.ndarray of int, shape (n_snapshots,)
        Steps after which the parameters were kept (0 = the initial parameters; the last = the trained ones).
    g_params, d_params : list, length n_snapshots
        The generator's and discriminator's parameters at those steps.
    """

    generator: Sequential
    discriminator: Sequential
    n_classes: int
    latent_dim: int
    d_loss: np.ndarray
    g_loss: np.ndarray
    snapshot_steps: np.ndarray
    g_params: list
    d_params: list

    def _snapshot(self, snapshot) -> int:
        n = len(self.g_params)
        return check_int(snapshot, "snapshot", low=-n, high=n - 1)

    def _codes(self, labels, n):
        if self.n_classes == 0:
            if labels is not None:
                raise ValueError("labels must be None for an unconditional GAN")
            return None
        if labels is None:
            raise ValueError("labels are required for a conditional GAN")
        if np.ndim(labels) > 1 or (np.ndim(labels) == 1 and np.shape(labels) != (n,)):
            raise ValueError(f"labels must be one int or an array of shape ({n},) (one per sample: n, or len(X)), "
                             f"got shape {np.shape(labels)}")
        return one_hot(np.broadcast_to(np.asarray(labels), (n,)).copy(), self.n_classes)

    def sample(self, n: int, labels=None, *, rng=0, snapshot: int = -1) -> np.ndarray:
        """``n`` generated points ``(n, d)`` from fresh noise; ``labels`` (one int or ``(n,)``) when conditional;
        ``snapshot`` indexes the kept parameters (default the trained ones)."""
        n = check_int(n, "n", low=1)
        codes, i = self._codes(labels, n), self._snapshot(snapshot)
        z = check_random_state(rng).standard_normal((n, self.latent_dim))
        return self.generator._forward(_with_code(z, codes), self.g_params[i], None, False)[0]

    def discriminate(self, X, labels=None, *, snapshot: int = -1) -> np.ndarray:
        r"""The discriminator's probability of "real", :math:`D(x) = \sigma(a(x))`, for the rows of ``X``
        ``(n, d)``: shape ``(n,)``."""
        X = as_array(X, "X", ndim=2)
        d = self.discriminator.layers[0].n_in - self.n_classes
        if X.shape[1] != d:
            raise ValueError(f"X must have {d} columns (the data's dimension), got {X.shape[1]}")
        codes, i = self._codes(labels, len(X)), self._snapshot(snapshot)
        a = self.discriminator._forward(_with_code(X, codes), self.d_params[i], None, False)[0]
        return 1.0 / (1.0 + np.exp(-a[:, 0]))


def train_gan(X, y=None, *, n_classes: int = 0, latent_dim: int = 2, hidden: int = 32, non_saturating: bool = True,
              steps: int = 500, batch_size: int = 64, learning_rate: float = 1e-3, snapshot_every: int = 25,
              rng=0) -> GANRun:
    r"""Train a GAN of two small MLPs by alternating Adam steps; conditional when ``n_classes > 0``.

    Each step draws a minibatch of real points (with their labels) and noise :math:`z \sim \mathcal N(0, I)`,
    updates the discriminator once on :func:`discriminator_grads`, then draws fresh noise and updates the
    generator once on :func:`generator_grads` against the updated discriminator. Conditioning concatenates the
    one-hot label to the generator's noise and to the discriminator's input, :math:`G(z, y)` and
    :math:`D(x, y)`; the generated batch takes the labels of the real batch, so :math:`y` follows the data's
    label frequencies.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like of int, shape (n,), optional
        Labels in ``0 .. n_classes - 1``; required when ``n_classes > 0``.
    n_classes : int >= 0
    latent_dim, hidden : int >= 1
        Noise dimension; width of both MLPs (two hidden layers each, leaky ReLU, see :func:`mlp`).
    non_saturating : bool
        The generator's loss (see :func:`generator_loss`).
    steps, batch_size : int >= 1
    learning_rate : float > 0
        Adam's rate for both players (``b1 = 0.5``, ``b2 = 0.999``, ``eps = 1e-8``).
    snapshot_every : int >= 1
        Keep both players' parameters every this many steps (and at step 0 and the last step).
    rng : int or numpy.random.Generator
        Initial weights (generator first), then per step: the real minibatch's indices, the noise of the
        discriminator's step, the noise of the generator's step.

    Returns
    -------
    GANRun
    """
    latent = check_int(latent_dim, "latent_dim", low=1)
    hidden = check_int(hidden, "hidden", low=1)
    k = check_int(n_classes, "n_classes", low=0)
    steps, batch = check_int(steps, "steps", low=1), check_int(batch_size, "batch_size", low=1)
    every = check_int(snapshot_every, "snapshot_every", low=1)
    lr = check_float(learning_rate, "learning_rate", low=0, low_open=True)
    X = as_array(X, "X", ndim=2)
    codes = None
    if k > 0:
        if y is None:
            raise ValueError("y is required when n_classes > 0")
        y_arr = np.asarray(y)
        if y_arr.ndim != 1 or not np.issubdtype(y_arr.dtype, np.integer) or (
                y_arr.size and (y_arr.min() < 0 or y_arr.max() >= k)):
            raise ValueError(f"y must be a 1-D array of integer labels in 0 .. {k - 1} (n_classes = {k}), got dtype "
                             f"{y_arr.dtype} and shape {y_arr.shape}")
        codes = one_hot(y, k)
        if len(codes) != len(X):
            raise ValueError(f"y must have one label per row of X ({len(X)}), got {len(codes)}")
    elif y is not None:
        raise ValueError("y must be None when n_classes = 0")
    rng = check_random_state(rng)
    gen, disc = mlp(latent + k, X.shape[1], hidden), mlp(X.shape[1] + k, 1, hidden)
    g_params, d_params = gen.init_params(rng), disc.init_params(rng)
    opt = Adam(learning_rate=lr, b1=0.5, b2=0.999)
    g_state, d_state = opt.init(g_params), opt.init(d_params)
    d_loss, g_loss = np.empty(steps), np.empty(steps)
    snaps, g_snaps, d_snaps = [0], [g_params], [d_params]
    ns = bool(non_saturating)
    for t in range(steps):
        idx = rng.integers(0, len(X), batch)
        code = None if codes is None else codes[idx]
        x_fake, _ = gen._forward(_with_code(rng.standard_normal((batch, latent)), code), g_params, None, True)
        res_d = _discriminator_grads(disc, d_params, X[idx], x_fake, code, code)
        d_params, d_state = opt._update(res_d.grads, d_state, d_params)
        res_g = _generator_grads(gen, disc, g_params, d_params, rng.standard_normal((batch, latent)), code, ns)
        g_params, g_state = opt._update(res_g.grads, g_state, g_params)
        d_loss[t], g_loss[t] = res_d.loss, res_g.loss
        if (t + 1) % every == 0 or t + 1 == steps:
            snaps.append(t + 1)
            g_snaps.append(g_params)
            d_snaps.append(d_params)
    return GANRun(gen, disc, k, latent, d_loss, g_loss, np.array(snaps), g_snaps, d_snaps)


def ring_centers(n_modes: int, radius: float = 2.0) -> np.ndarray:
    r"""``n_modes`` points evenly spaced on a circle, :math:`r(\cos 2\pi k/K, \sin 2\pi k/K)`: ``(n_modes, 2)``."""
    n_modes = check_int(n_modes, "n_modes", low=1)
    radius = check_float(radius, "radius", low=0, low_open=True)
    angle = 2 * np.pi * np.arange(n_modes) / n_modes
    return radius * np.column_stack([np.cos(angle), np.sin(angle)])


def gaussian_mixture(n: int, centers, std: float = 0.1, *, rng=0):
    r"""``n`` points of an equal-weight mixture of isotropic Gaussians :math:`\mathcal N(\mu_k, s^2 I)`.

    Returns
    -------
    X : numpy.ndarray, shape (n, d)
    labels : numpy.ndarray of int, shape (n,)
        The component of each point, drawn uniformly.
    """
    n = check_int(n, "n", low=1)
    centers = as_array(centers, "centers", ndim=2)
    std = check_float(std, "std", low=0, low_open=True)
    rng = check_random_state(rng)
    labels = rng.integers(0, len(centers), n)
    return centers[labels] + std * rng.standard_normal((n, centers.shape[1])), labels


@dataclass(frozen=True)
class ModeCoverage:
    """Where generated samples fall relative to the modes of a mixture.

    Attributes
    ----------
    counts : numpy.ndarray of int, shape (n_modes,)
        Samples within ``radius`` of each centre.
    n_covered : int
        Modes holding at least ``min_share`` of the samples they would get under the data (1/n_modes each).
    share_near : float
        Share of all samples within ``radius`` of some centre ("high quality" samples).
    """

    counts: np.ndarray
    n_covered: int
    share_near: float


def mode_coverage(samples, centers, radius: float, *, min_share: float = 0.25) -> ModeCoverage:
    r"""Count the samples near each mode of a mixture.

    A sample belongs to mode :math:`k` when it lies within ``radius`` of :math:`\mu_k` (take ``radius`` a few
    standard deviations, below half the distance between centres). A mode is covered when its count reaches
    ``min_share`` times :math:`n / K`, the share an unbiased sampler would give it.

    Parameters
    ----------
    samples : array_like, shape (n, d)
    centers : array_like, shape (K, d)
    radius : float > 0
    min_share : float in (0, 1]

    Returns
    -------
    ModeCoverage
    """
    samples = as_array(samples, "samples", ndim=2)
    centers = as_array(centers, "centers", ndim=2)
    if samples.shape[1] != centers.shape[1]:
        raise ValueError(f"samples and centers must have the same dimension, got {samples.shape[1]} and "
                         f"{centers.shape[1]}")
    radius = check_float(radius, "radius", low=0, low_open=True)
    min_share = check_float(min_share, "min_share", low=0, high=1, low_open=True)
    dist = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=2)
    nearest = dist.argmin(axis=1)
    near = dist[np.arange(len(samples)), nearest] <= radius
    counts = np.bincount(nearest[near], minlength=len(centers))
    n_covered = int(np.sum(counts >= min_share * len(samples) / len(centers)))
    return ModeCoverage(counts, n_covered, float(near.mean()))

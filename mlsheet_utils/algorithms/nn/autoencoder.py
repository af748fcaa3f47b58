r"""Autoencoders and variational autoencoders built from the layers, losses and training loop of this package.

- :func:`fit_autoencoder` trains ``decoder(encoder(x)) ~ x`` by mean squared error with
  :func:`~mlsheet_utils.algorithms.nn.train.fit` and Adam, optionally corrupting the input with masking noise
  (a denoising autoencoder); it returns an :class:`AutoencoderFit`, whose ``encode``, ``decode`` and
  ``reconstruct`` run the trained halves;
- :class:`Autoencoder` is the same as a scikit-learn style estimator (``fit``, ``transform``,
  ``inverse_transform``, ``predict``);
- :func:`kl_standard_normal` is :math:`D_{KL}(\mathcal N(\mu, \operatorname{diag}\sigma^2)\,\|\,\mathcal N(0, I))`
  per example from :math:`\mu` and :math:`\log\sigma^2`;
- :class:`VAE` is a layer: encoder to :math:`(\mu, \log\sigma^2)`, a reparameterised draw
  :math:`z = \mu + \sigma\odot\varepsilon`, decoder to :math:`\hat x`; it outputs :math:`[\hat x, \mu, \log
  \sigma^2]` side by side so that :class:`NegativeELBO` (a loss) can add the KL term and the training loop needs
  nothing new;
- :func:`fit_vae` trains one and returns a :class:`VAEFit`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.algorithms.nn import functional as F
from mlsheet_utils.algorithms.nn import train
from mlsheet_utils.algorithms.nn.layers import Activation, Dropout, Layer, Linear, Sequential
from mlsheet_utils.algorithms.nn.losses import Loss, MeanSquaredError
from mlsheet_utils.algorithms.nn.optimizers import Adam
from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

__all__ = ["Autoencoder", "AutoencoderFit", "NegativeELBO", "VAE", "VAEFit", "fit_autoencoder", "fit_vae",
           "kl_standard_normal", "mlp"]


def _check_sequence(values, name: str) -> None:
    """``values`` must be a sequence (of layer widths), not None, a number or a string."""
    if isinstance(values, (str, bytes)) or not np.iterable(values):
        raise ValueError(f"{name} must be a sequence of ints, got {values!r}")


def _check_rows(A, name: str, width: int) -> np.ndarray:
    """``A`` as an (n, width) array, the error naming ``name``."""
    A = as_array(A, name, ndim=2)
    if A.shape[1] != width:
        raise ValueError(f"{name} must have shape (n, {width}), got shape {A.shape}")
    return A


def mlp(sizes, activation: str | None = "tanh") -> Sequential:
    """``Linear`` layers through ``sizes`` with ``activation`` between them (none after the last).

    ``mlp((4, 8, 2))`` is ``Linear(4, 8), Activation, Linear(8, 2)``; ``activation=None`` leaves the chain
    linear.
    """
    _check_sequence(sizes, "sizes")
    if activation is not None and activation not in F.ACTIVATIONS:
        raise ValueError(f"activation must be None or one of {sorted(F.ACTIVATIONS)}, got {activation!r}")
    sizes = [check_int(s, "sizes", low=1) for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output size, got {sizes}")
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(a, b))
        if activation is not None and i < len(sizes) - 2:
            layers.append(Activation(activation))
    return Sequential(*layers)


@dataclass(frozen=True)
class AutoencoderFit:
    """A trained autoencoder: the two halves, their parameters and the training curve.

    Attributes
    ----------
    encoder, decoder : Sequential
        ``encoder`` maps ``(n, d)`` to codes ``(n, k)``, ``decoder`` maps codes back to ``(n, d)``. With
        corruption the encoder starts with a ``Dropout`` layer, active only in training.
    encoder_params, decoder_params : list of dict
        Their parameters.
    loss : numpy.ndarray, shape (epochs,)
        Mean squared reconstruction error of each epoch (on the corrupted inputs if any).
    """

    encoder: Sequential
    decoder: Sequential
    encoder_params: list
    decoder_params: list
    loss: np.ndarray

    def encode(self, X) -> np.ndarray:
        """Codes ``(n, k)`` of ``X`` ``(n, d)`` (no corruption)."""
        X = _check_rows(X, "X", self.decoder.layers[-1].n_out)
        return self.encoder.forward(X, self.encoder_params, training=False)[0]

    def decode(self, Z) -> np.ndarray:
        """Reconstructions ``(n, d)`` of codes ``Z`` ``(n, k)``."""
        Z = _check_rows(Z, "Z", self.decoder.layers[0].n_in)
        return self.decoder.forward(Z, self.decoder_params, training=False)[0]

    def reconstruct(self, X) -> np.ndarray:
        r""":math:`\hat x = g(f(x))` for every row of ``X``."""
        return self.decode(self.encode(X))


def fit_autoencoder(X, n_latent: int, *, hidden=(), activation: str | None = "tanh", corruption: float = 0.0,
                    epochs: int = 200, batch_size: int = 32, learning_rate: float = 0.01, optimizer=None,
                    rng=0) -> AutoencoderFit:
    r"""Train an autoencoder :math:`\hat x = g(f(x))` to minimise the mean squared reconstruction error.

    .. math::
        \min_{f, g}\ \frac{1}{n d}\sum_{i=1}^n \lVert x_i - g(f(\tilde x_i))\rVert^2,

    where :math:`\tilde x_i = x_i` or, with ``corruption`` :math:`p > 0`, :math:`x_i` with each entry zeroed
    with probability :math:`p` (the rest scaled by :math:`1/(1-p)`), a fresh mask every minibatch: the denoising
    autoencoder must restore what the mask hid. The encoder is an MLP ``d -> hidden -> n_latent`` and the
    decoder its mirror ``n_latent -> reversed(hidden) -> d``, both ending in a linear layer; with
    ``activation=None`` the whole map is linear, and its optimum spans the top ``n_latent`` principal directions.

    Parameters
    ----------
    X : array_like, shape (n, d)
    n_latent : int >= 1
        The code size :math:`k` (undercomplete when :math:`k < d`).
    hidden : sequence of int
        Hidden widths of the encoder (mirrored in the decoder).
    activation : str or None
        Between hidden layers (a name of :class:`~mlsheet_utils.algorithms.nn.layers.Activation`).
    corruption : float in [0, 1)
        Masking-noise rate of the denoising autoencoder.
    epochs, batch_size : int >= 1
    learning_rate : float > 0
        Adam's step size.
    optimizer : Optimizer, optional
        Replaces ``Adam(learning_rate)`` (e.g. Adam with a decaying schedule).
    rng : int or numpy.random.Generator
        Initial weights, shuffling and masks.

    Returns
    -------
    AutoencoderFit
    """
    X = as_array(X, "X", ndim=2)
    d = X.shape[1]
    n_latent = check_int(n_latent, "n_latent", low=1)
    corruption = check_float(corruption, "corruption", low=0, high=1, high_open=True)
    _check_sequence(hidden, "hidden")
    hidden = tuple(check_int(h, "hidden", low=1) for h in hidden)
    rng = check_random_state(rng)
    encoder = mlp((d, *hidden, n_latent), activation)
    decoder = mlp((n_latent, *hidden[::-1], d), activation)
    layers = ((Dropout(corruption),) if corruption > 0 else ()) + encoder.layers
    encoder = Sequential(*layers)
    model = Sequential(*encoder.layers, *decoder.layers)
    optimizer = Adam(learning_rate) if optimizer is None else optimizer
    params, history = train.fit(model, model.init_params(rng), MeanSquaredError(), optimizer, X, X,
                                epochs=epochs, batch_size=batch_size, rng=rng)
    m = len(encoder.layers)
    return AutoencoderFit(encoder, decoder, params[:m], params[m:], history.loss)


class Autoencoder:
    """:func:`fit_autoencoder` as a scikit-learn style estimator.

    ``Autoencoder(n_latent=2).fit(X).transform(X)`` gives the codes, ``inverse_transform`` decodes them and
    ``predict`` reconstructs. The hyperparameters are those of :func:`fit_autoencoder`; after ``fit`` the
    trained model is ``fit_`` and the training curve ``loss_``.
    """

    def __init__(self, n_latent: int = 2, *, hidden=(), activation: str | None = "tanh", corruption: float = 0.0,
                 epochs: int = 200, batch_size: int = 32, learning_rate: float = 0.01, rng=0):
        self.n_latent, self.hidden, self.activation, self.corruption = n_latent, hidden, activation, corruption
        self.epochs, self.batch_size, self.learning_rate, self.rng = epochs, batch_size, learning_rate, rng

    def fit(self, X, y=None) -> "Autoencoder":
        """Train on ``X`` (``y`` is ignored: the target is ``X`` itself)."""
        self.fit_ = fit_autoencoder(X, self.n_latent, hidden=self.hidden, activation=self.activation,
                                    corruption=self.corruption, epochs=self.epochs, batch_size=self.batch_size,
                                    learning_rate=self.learning_rate, rng=self.rng)
        self.loss_ = self.fit_.loss
        return self

    def _fitted(self) -> AutoencoderFit:
        if not hasattr(self, "fit_"):
            raise ValueError("this Autoencoder is not fitted yet: call fit(X) first")
        return self.fit_

    def transform(self, X) -> np.ndarray:
        """Codes ``(n, n_latent)``."""
        return self._fitted().encode(X)

    def inverse_transform(self, Z) -> np.ndarray:
        """Decoded rows ``(n, d)``."""
        return self._fitted().decode(Z)

    def predict(self, X) -> np.ndarray:
        """Reconstructions ``(n, d)``."""
        return self._fitted().reconstruct(X)


def _kl_standard_normal(mu: np.ndarray, log_var: np.ndarray) -> np.ndarray:
    return 0.5 * np.sum(np.exp(log_var) + mu * mu - 1.0 - log_var, axis=-1)


def kl_standard_normal(mu, log_var) -> np.ndarray:
    r"""KL divergence of a diagonal Gaussian from the standard normal, per example.

    .. math::
        D_{KL}\bigl(\mathcal N(\mu, \operatorname{diag}\sigma^2)\,\|\,\mathcal N(0, I)\bigr)
        = \frac12 \sum_{j=1}^k \bigl(\sigma_j^2 + \mu_j^2 - 1 - \log\sigma_j^2\bigr),

    with gradients :math:`\partial/\partial\mu_j = \mu_j` and :math:`\partial/\partial\log\sigma_j^2 =
    \tfrac12(\sigma_j^2 - 1)`. Taking :math:`\log\sigma^2` rather than :math:`\sigma` keeps the variance positive
    without a constraint.

    Parameters
    ----------
    mu, log_var : array_like, shape (..., k)

    Returns
    -------
    numpy.ndarray, shape (...)
        In nats.
    """
    mu, log_var = as_array(mu, "mu"), as_array(log_var, "log_var")
    if mu.shape != log_var.shape or mu.ndim == 0:
        raise ValueError(f"mu and log_var must have one shape (..., k), got {mu.shape} and {log_var.shape}")
    return _kl_standard_normal(mu, log_var)


@dataclass(frozen=True, repr=False)
class VAE(Layer):
    r"""A variational autoencoder as one layer: :math:`x \mapsto [\hat x, \mu, \log\sigma^2]`.

    .. math::
        (\mu, \log\sigma^2) = f(x), \qquad z = \mu + \sigma\odot\varepsilon,\ \varepsilon\sim\mathcal N(0, I),
        \qquad \hat x = g(z).

    Backward, through the reparameterisation: with :math:`\bar z = \partial L/\partial z` from the decoder,
    :math:`\partial L/\partial\mu = \bar z + \partial L/\partial\mu|_{\text{direct}}` and
    :math:`\partial L/\partial\log\sigma^2 = \tfrac12\,\bar z\odot\sigma\odot\varepsilon +
    \partial L/\partial\log\sigma^2|_{\text{direct}}` (the direct parts come from the KL term of the loss).
    With ``training=False`` the draw is :math:`\varepsilon = 0` (the code is the mean).

    Parameters
    ----------
    encoder : Layer
        Maps ``(n, d)`` to ``(n, 2k)``: the first ``k`` columns are :math:`\mu`, the last ``k``
        :math:`\log\sigma^2`.
    decoder : Layer
        Maps ``(n, k)`` to ``(n, d)``.
    n_latent : int >= 1
        :math:`k`.

    ``params`` is ``{"encoder": ..., "decoder": ...}``; the output has shape ``(n, d + 2k)``. ``rng`` draws
    :math:`\varepsilon` (one ``standard_normal((n, k))`` per forward pass in training).
    """

    encoder: Layer
    decoder: Layer
    n_latent: int

    def __post_init__(self):
        if not isinstance(self.encoder, Layer) or not isinstance(self.decoder, Layer):
            raise ValueError("encoder and decoder must be Layers")
        check_int(self.n_latent, "n_latent", low=1)

    def __repr__(self) -> str:
        return f"VAE(encoder={self.encoder!r}, decoder={self.decoder!r}, n_latent={self.n_latent})"

    def init_params(self, rng=0):
        rng = check_random_state(rng)
        return {"encoder": self.encoder.init_params(rng), "decoder": self.decoder.init_params(rng)}

    def check_params(self, params):
        if not isinstance(params, dict) or set(params) != {"encoder", "decoder"}:
            raise ValueError("params of a VAE must be a dict with the keys 'encoder' and 'decoder'")
        return {"encoder": self.encoder.check_params(params["encoder"]),
                "decoder": self.decoder.check_params(params["decoder"])}

    def check_input(self, x):
        return self.encoder.check_input(x)

    def forward(self, x, params, *, rng=None, training: bool = True):
        if training and rng is None:
            raise ValueError("a VAE in training mode needs rng (it draws epsilon)")
        return super().forward(x, params, rng=None if rng is None else check_random_state(rng), training=training)

    def _forward(self, x, params, rng, training):
        k = self.n_latent
        h, enc_cache = self.encoder._forward(x, params["encoder"], rng, training)
        if h.shape[-1] != 2 * k:
            raise ValueError(f"the encoder must output 2 * n_latent = {2 * k} columns, got {h.shape[-1]}")
        mu, log_var = h[..., :k], h[..., k:]
        sigma = np.exp(0.5 * log_var)
        eps = rng.standard_normal(mu.shape) if training else np.zeros_like(mu)
        z = mu + sigma * eps
        x_hat, dec_cache = self.decoder._forward(z, params["decoder"], rng, training)
        out = np.concatenate([x_hat, mu, log_var], axis=-1)
        return out, {"enc": enc_cache, "dec": dec_cache, "sigma": sigma, "eps": eps, "d": x_hat.shape[-1]}

    def _backward(self, dy, cache):
        d, k = cache["d"], self.n_latent
        dz, dec_grads = self.decoder._backward(dy[..., :d], cache["dec"])
        dmu = dz + dy[..., d:d + k]
        dlog_var = 0.5 * dz * cache["sigma"] * cache["eps"] + dy[..., d + k:]
        dx, enc_grads = self.encoder._backward(np.concatenate([dmu, dlog_var], axis=-1), cache["enc"])
        return dx, {"encoder": enc_grads, "decoder": dec_grads}


@dataclass(frozen=True, repr=False)
class NegativeELBO(Loss):
    r"""The negative ELBO of a Gaussian decoder, averaged over the examples (minimised in training).

    For ``pred`` :math:`= [\hat x, \mu, \log\sigma^2]` from :class:`VAE` and ``target`` :math:`x`, per example

    .. math::
        -\text{ELBO} = \underbrace{\frac{\lVert x - \hat x\rVert^2}{2 s^2} + \frac d2 \log(2\pi s^2)}_{
        -\log p(x\mid z),\ p(x\mid z) = \mathcal N(\hat x, s^2 I)}
        + \beta\, D_{KL}\bigl(q(z\mid x)\,\|\,\mathcal N(0, I)\bigr),

    a one-draw estimate of :math:`-\mathbb E_q[\log p(x\mid z)] + \beta D_{KL}`. :math:`\beta = 1` is the VAE,
    :math:`\beta > 1` the beta-VAE. Gradients (before the :math:`1/n` of the mean): :math:`(\hat x - x)/s^2`,
    :math:`\beta\mu` and :math:`\tfrac\beta2(\sigma^2 - 1)`.

    ``pred`` has shape ``(n, d + 2k)`` and ``target`` ``(n, d)``; :math:`d` is read from ``target``.

    Parameters
    ----------
    beta : float >= 0
    obs_var : float > 0
        The decoder's variance :math:`s^2`.
    """

    beta: float = 1.0
    obs_var: float = 1.0

    def __post_init__(self):
        check_float(self.beta, "beta", low=0)
        check_float(self.obs_var, "obs_var", low=0, low_open=True)

    def check(self, pred, target):
        pred, target = as_array(pred, "pred", ndim=2), as_array(target, "target", ndim=2)
        d = target.shape[1]
        if pred.shape[0] != target.shape[0] or (pred.shape[1] - d) % 2 or pred.shape[1] <= d:
            raise ValueError(f"pred must have shape (n, d + 2k) for target of shape (n, d), got {pred.shape} and "
                             f"{target.shape}")
        return pred, target

    def terms(self, pred, target) -> tuple[np.ndarray, np.ndarray]:
        r"""Per example: :math:`-\log p(x\mid z)` and :math:`D_{KL}` (before :math:`\beta`), each shape (n,)."""
        pred, target = self.check(pred, target)
        return self._terms(pred, target)

    def _terms(self, pred, target):
        d = target.shape[1]
        k = (pred.shape[1] - d) // 2
        diff = pred[:, :d] - target
        nll = 0.5 * np.sum(diff * diff, axis=1) / self.obs_var + 0.5 * d * np.log(2 * np.pi * self.obs_var)
        return nll, _kl_standard_normal(pred[:, d:d + k], pred[:, d + k:])

    def _forward(self, pred, target):
        nll, kl = self._terms(pred, target)
        return float(np.mean(nll + self.beta * kl)), {"pred": pred, "target": target}

    def _backward(self, cache):
        pred, target = cache["pred"], cache["target"]
        d = target.shape[1]
        k = (pred.shape[1] - d) // 2
        n = len(pred)
        mu, log_var = pred[:, d:d + k], pred[:, d + k:]
        return np.concatenate([(pred[:, :d] - target) / self.obs_var, self.beta * mu,
                               0.5 * self.beta * (np.exp(log_var) - 1.0)], axis=1) / n


@dataclass(frozen=True)
class VAEFit:
    """A trained VAE.

    Attributes
    ----------
    model : VAE
    params : dict
        ``{"encoder": ..., "decoder": ...}``.
    loss : numpy.ndarray, shape (epochs,)
        The mean negative ELBO (with its beta) of each epoch.
    """

    model: VAE
    params: dict
    loss: np.ndarray

    def encode(self, X) -> tuple[np.ndarray, np.ndarray]:
        r""":math:`(\mu, \log\sigma^2)` of :math:`q(z\mid x)`, each ``(n, k)``."""
        X = as_array(X, "X", ndim=2)
        try:
            self.model.encoder.check_input(X)
        except ValueError as exc:
            raise ValueError(f"X does not fit the encoder: {exc}") from None
        h = self.model.encoder.forward(X, self.params["encoder"], training=False)[0]
        k = self.model.n_latent
        return h[:, :k], h[:, k:]

    def decode(self, Z) -> np.ndarray:
        r"""The decoder's mean :math:`\hat x` ``(n, d)`` for codes ``(n, k)``."""
        Z = _check_rows(Z, "Z", self.model.n_latent)
        return self.model.decoder.forward(Z, self.params["decoder"], training=False)[0]


def fit_vae(X, n_latent: int, *, hidden=(16,), activation: str = "tanh", beta: float = 1.0, obs_var: float = 1.0,
            epochs: int = 200, batch_size: int = 32, learning_rate: float = 0.01, optimizer=None, rng=0) -> VAEFit:
    r"""Train a :class:`VAE` with MLP encoder ``d -> hidden -> 2k`` and decoder ``k -> reversed(hidden) -> d`` by
    Adam on :class:`NegativeELBO` (one reparameterised draw per example and step).

    Parameters
    ----------
    X : array_like, shape (n, d)
    n_latent : int >= 1
    hidden : sequence of int
    activation : str or None
        Between hidden layers (None: a linear encoder and decoder).
    beta : float >= 0
        Weight of the KL term.
    obs_var : float > 0
        The decoder's variance :math:`s^2`.
    epochs, batch_size : int >= 1
    learning_rate : float > 0
        Adam's step size.
    optimizer : Optimizer, optional
        Replaces ``Adam(learning_rate)``.
    rng : int or numpy.random.Generator
        Initial weights, shuffling and the draws of :math:`\varepsilon`.

    Returns
    -------
    VAEFit
    """
    X = as_array(X, "X", ndim=2)
    d = X.shape[1]
    n_latent = check_int(n_latent, "n_latent", low=1)
    _check_sequence(hidden, "hidden")
    hidden = tuple(check_int(h, "hidden", low=1) for h in hidden)
    rng = check_random_state(rng)
    model = VAE(mlp((d, *hidden, 2 * n_latent), activation), mlp((n_latent, *hidden[::-1], d), activation),
                n_latent)
    optimizer = Adam(learning_rate) if optimizer is None else optimizer
    params, history = train.fit(model, model.init_params(rng), NegativeELBO(beta, obs_var), optimizer,
                                X, X, epochs=epochs, batch_size=batch_size, rng=rng)
    return VAEFit(model, params, history.loss)

"""Practice exercises of chapter 4's pages on convolutions, autoencoders and generative tricks (4.22 to 4.27)."""

from __future__ import annotations

import numpy as np
from scipy import special, stats
from scipy.signal import correlate2d

from mlsheet_utils.algorithms.nn import autoencoder as _ae
from mlsheet_utils.algorithms.nn import conv as _conv
from mlsheet_utils.algorithms.nn import gumbel as _gumbel
from mlsheet_utils.algorithms.nn import lora as _lora
from mlsheet_utils.algorithms.nn.layers import Linear as _Linear
from mlsheet_utils.algorithms.nn.layers import Sequential as _Sequential
from mlsheet_utils.algorithms.nn.losses import MeanSquaredError as _MSE
from mlsheet_utils.checks.practice import as_exercise
from mlsheet_utils.practice._support import Replay, complex_step_gradients

# -- 4.22 Convolutional neural networks: a convolution layer's forward pass -----------------------------------

def _conv_scipy(x, W, b, stride, padding, dilation):
    """scipy.signal.correlate2d, channel by channel"""
    k, _, c_in, c_out = W.shape
    Wd = np.zeros((dilation * (k - 1) + 1,) * 2 + (c_in, c_out))
    Wd[::dilation, ::dilation] = W                                  # the kernel with holes between its taps
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    out = [[sum(correlate2d(xp[n, :, :, c], Wd[:, :, c, o], mode="valid") for c in range(c_in))
            [::stride, ::stride] + b[o] for o in range(c_out)] for n in range(len(x))]
    return np.array(out).transpose(0, 2, 3, 1)


def _conv_inputs(rng, size):
    k, d = int(rng.integers(1, 4)), int(rng.integers(1, 3))
    p, s = int(rng.integers(0, 3)), int(rng.integers(1, 4))
    span = d * (k - 1) + 1
    low = max(1, span - 2 * p)                                      # a window must fit in the padded image
    H, Wd = (low + int(rng.integers(0, size + 2)) for _ in range(2))
    c_in, c_out = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    return {"x": rng.normal(size=(int(rng.integers(1, 3)), H, Wd, c_in)),
            "W": rng.normal(size=(k, k, c_in, c_out)), "b": rng.normal(size=c_out),
            "stride": s, "padding": p, "dilation": d}


def _conv_shape(kwargs, out):
    x, W = kwargs["x"], kwargs["W"]
    k, s, p, d = W.shape[0], kwargs["stride"], kwargs["padding"], kwargs["dilation"]
    want = (x.shape[0],) + tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n in x.shape[1:3]) + (W.shape[3],)
    assert np.shape(out) == want, \
        f"the output has shape {np.shape(out)}, expected {want} = floor((n + 2p - d(k-1) - 1)/s) + 1"


def _conv_corners(kwargs, out):
    x, W, b = kwargs["x"], kwargs["W"], kwargs["b"]
    k, s, p, d = W.shape[0], kwargs["stride"], kwargs["padding"], kwargs["dilation"]
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    out = np.asarray(out)
    for i, j in ((0, 0), (out.shape[1] - 1, out.shape[2] - 1)):
        window = xp[:, i * s:i * s + d * (k - 1) + 1:d, j * s:j * s + d * (k - 1) + 1:d]
        want = np.einsum("nabc,abco->no", window, W) + b
        assert np.allclose(out[:, i, j], want, rtol=1e-9, atol=1e-12), \
            f"output pixel ({i}, {j}) is not b + <its window, W> (its window starts at ({i * s}, {j * s}) of the " \
            "padded image)"


@as_exercise(
    "4.22", reference=_conv_scipy, inputs=_conv_inputs, difficulty=2,
    edge_cases={
        "a 1x1 kernel is a matrix product at every pixel": {
            "x": np.arange(12.0).reshape(1, 2, 3, 2), "W": np.array([[[[1.0, 0.5, 0.0], [-1.0, 2.0, 1.0]]]]),
            "b": np.array([0.0, 1.0, -1.0]), "stride": 1, "padding": 0, "dilation": 1},
        "a kernel as large as the image gives one pixel": {
            "x": np.arange(9.0).reshape(1, 3, 3, 1), "W": np.arange(9.0).reshape(3, 3, 1, 1) - 4,
            "b": np.array([0.5]), "stride": 1, "padding": 0, "dilation": 1},
        "padding only: a zero image gives the bias, same size": {
            "x": np.zeros((2, 4, 3, 1)), "W": np.ones((3, 3, 1, 2)), "b": np.array([1.0, -2.0]),
            "stride": 1, "padding": 1, "dilation": 1},
        "stride 2 on a non-square image, dilation 2": {
            "x": np.arange(42.0).reshape(1, 6, 7, 1) / 10, "W": np.array([[1.0, 0.0], [0.0, -1.0]])[:, :, None, None],
            "b": np.zeros(1), "stride": 2, "padding": 1, "dilation": 2},
    },
    properties={
        "the output shape is floor((n + 2p - d(k-1) - 1)/s) + 1 per side": _conv_shape,
        "the first and last output pixels are b + <window, W>": _conv_corners,
    },
    hints=("Pad the image, then read every window: output pixel \\((i, j)\\) sees rows "
           "\\(i s + a d\\) and columns \\(j s + b d\\) for \\(a, b = 0 \\dots k-1\\). Deep learning's "
           "convolution does not flip the kernel.",
           "Gather the windows into a matrix of shape \\((N h_\\text{out} w_\\text{out},\\ k^2 C_\\text{in})\\) "
           "(im2col); one product with <code>W.reshape(-1, C_out)</code> then does every pixel at once."),
    key_line="y = cols.reshape(N * h_out * w_out, -1) @ W.reshape(-1, c_out) + b",
    shows=(_conv.im2col, _conv.conv2d),
)
def conv2d_im2col(x, W, b, stride, padding, dilation):
    """The forward pass of a 2-D convolution layer (a cross-correlation, channels last).

    Parameters
    ----------
    x : ndarray, shape (N, H, W, C_in)
        A batch of images.
    W : ndarray, shape (k, k, C_in, C_out)
        The kernel; it is *not* flipped.
    b : ndarray, shape (C_out,)
    stride, dilation : int >= 1
    padding : int >= 0
        Zeros added on every side of each image.

    Returns
    -------
    ndarray, shape (N, h_out, w_out, C_out)
        ``y[n, i, j, o] = b[o] + sum over a, c, e of xp[n, i*stride + a*dilation, j*stride + c*dilation, e] *
        W[a, c, e, o]``, with ``xp`` the padded images and ``h_out = (H + 2p - d(k-1) - 1) // s + 1`` (``w_out``
        likewise); every window lies inside the padded image.
    """
    return _conv.conv2d(x, W, b, stride=stride, padding=padding, dilation=dilation)


# -- 4.23 U-Net: the overlap scores of predicted masks ---------------------------------------------------------

def _overlap_sets(pred, truth):
    """python sets of the pixels in each mask"""
    iou, dice = [], []
    for p, g in zip(pred, truth):
        P = {i for i, v in enumerate(np.ravel(p)) if v}
        G = {i for i, v in enumerate(np.ravel(g)) if v}
        iou.append(len(P & G) / len(P | G) if P | G else 1.0)
        dice.append(2 * len(P & G) / (len(P) + len(G)) if P or G else 1.0)
    return np.array(iou), np.array(dice)


def _overlap_inputs(rng, size):
    n = int(rng.integers(1, 4))
    shape = (n, int(rng.integers(1, size + 2)), int(rng.integers(1, size + 2)))
    rates = rng.uniform(0.0, 0.7, size=(2, n, 1, 1))
    truth = rng.random(shape) < rates[0]
    flip = rng.random(shape) < rates[1] * 0.5                      # the prediction: the truth with some errors
    return {"pred": truth ^ flip, "truth": truth}


def _dice_of_iou(kwargs, out):
    iou, dice = (np.asarray(a, float) for a in out)
    assert np.allclose(dice, 2 * iou / (1 + iou), rtol=1e-12, atol=1e-15), \
        f"Dice {dice} is not 2 IoU / (1 + IoU) for IoU {iou}"


def _in_unit_interval(kwargs, out):
    iou, dice = (np.asarray(a, float) for a in out)
    assert np.all((0 <= iou) & (iou <= dice) & (dice <= 1)), f"expected 0 <= IoU <= Dice <= 1, got {iou}, {dice}"


@as_exercise(
    "4.23", reference=_overlap_sets, inputs=_overlap_inputs, difficulty=1,
    edge_cases={
        "both masks empty: IoU = Dice = 1": {"pred": np.zeros((1, 3, 3), bool), "truth": np.zeros((1, 3, 3), bool)},
        "an empty prediction of a real object scores 0": {
            "pred": np.zeros((1, 2, 4), bool), "truth": np.array([[[0, 1, 1, 0], [0, 1, 0, 0]]], bool)},
        "each image scored on its own (one perfect, one half)": {
            "pred": np.array([[[1, 1], [0, 0]], [[1, 1], [0, 0]]], bool),
            "truth": np.array([[[1, 1], [0, 0]], [[1, 0], [0, 0]]], bool)},
    },
    properties={
        "Dice = 2 IoU / (1 + IoU)": _dice_of_iou,
        "0 <= IoU <= Dice <= 1": _in_unit_interval,
    },
    hints=("Flatten each image's mask. The intersection is <code>(P &amp; G).sum()</code> and the union "
           "<code>(P | G).sum()</code>; Dice divides twice the intersection by \\(|P| + |G|\\).",
           "Sum over the pixel axis only, so every image gets its own score, and give 1 to an image where both "
           "masks are empty (0/0: nothing to find, nothing found)."),
    key_line="iou = np.where(union > 0, inter / np.maximum(union, 1), 1.0)",
    shows=(_conv.mask_overlap,),
)
def iou_dice(pred, truth):
    """The IoU (Jaccard index) and the Dice coefficient of binary masks, image by image.

    Parameters
    ----------
    pred, truth : ndarray of bool, shape (n_images, H, W)
        The predicted and the true masks (True = object).

    Returns
    -------
    iou : ndarray, shape (n_images,)
        |P and G| / |P or G| for each image.
    dice : ndarray, shape (n_images,)
        2 |P and G| / (|P| + |G|) for each image.

    An image where both masks are empty scores 1 on both.
    """
    scores = _conv.mask_overlap(pred, truth)
    return scores.iou, scores.dice


# -- 4.24 Autoencoder: loss and gradients of a one-hidden-layer autoencoder -------------------------------------

def _ae_complex_step(X, W1, b1, W2, b2):
    """complex-step derivatives of the loss"""
    X = np.asarray(X, float)

    def loss(W1_, b1_, W2_, b2_):
        R = np.tanh(X @ W1_ + b1_) @ W2_ + b2_ - X
        return (R * R).sum() / X.size                               # R * R, not |R|^2: stays analytic

    params = [np.asarray(a, float) for a in (W1, b1, W2, b2)]
    return (float(loss(*params).real), *complex_step_gradients(loss, params))


def _ae_inputs(rng, size):
    n, d = int(rng.integers(1, size + 2)), int(rng.integers(1, 5))
    k = int(rng.integers(1, d + 1))
    return {"X": rng.normal(size=(n, d)), "W1": rng.normal(0, 0.8, size=(d, k)), "b1": rng.normal(0, 0.3, size=k),
            "W2": rng.normal(0, 0.8, size=(k, d)), "b2": rng.normal(0, 0.3, size=d)}


def _ae_loss_is_mse(kwargs, out):
    X = kwargs["X"]
    X_hat = np.tanh(X @ kwargs["W1"] + kwargs["b1"]) @ kwargs["W2"] + kwargs["b2"]
    want = np.mean((X_hat - X) ** 2)
    assert np.isclose(out[0], want, rtol=1e-10, atol=1e-14), \
        f"the loss {out[0]:.6g} is not the mean of the squared errors over all n*d entries, {want:.6g}"


def _ae_db2(kwargs, out):
    X = kwargs["X"]
    X_hat = np.tanh(X @ kwargs["W1"] + kwargs["b1"]) @ kwargs["W2"] + kwargs["b2"]
    want = 2 * (X_hat - X).sum(0) / X.size
    assert np.allclose(out[4], want, rtol=1e-9, atol=1e-13), \
        "d loss / d b2 should be the column sums of 2 (X_hat - X) / (n d)"


@as_exercise(
    "4.24", reference=_ae_complex_step, inputs=_ae_inputs, difficulty=2,
    edge_cases={
        "a perfect reconstruction: zero loss, zero gradients": {
            "X": np.array([[0.5, -1.0, 2.0]] * 3), "W1": np.ones((3, 2)), "b1": np.zeros(2),
            "W2": np.zeros((2, 3)), "b2": np.array([0.5, -1.0, 2.0])},
        "zero encoder weights: the code is 0 and W2 gets no gradient": {
            "X": np.array([[1.0, 2.0], [-1.0, 0.0]]), "W1": np.zeros((2, 1)), "b1": np.zeros(1),
            "W2": np.array([[1.0, -1.0]]), "b2": np.zeros(2)},
        "one example, one code unit": {
            "X": np.array([[1.0, -2.0, 0.5, 3.0]]), "W1": np.array([[0.3], [-0.2], [0.1], [0.4]]),
            "b1": np.array([0.1]), "W2": np.array([[1.0, -0.5, 0.2, 2.0]]), "b2": np.array([0.0, 0.1, 0.0, -0.1])},
    },
    properties={
        "the loss is the mean squared reconstruction error": _ae_loss_is_mse,
        "d loss / d b2 = column sums of 2 (X_hat - X) / (n d)": _ae_db2,
    },
    hints=("Forward: \\(Z = \\tanh(X W_1 + b_1)\\), \\(\\hat X = Z W_2 + b_2\\), "
           "\\(L = \\frac{1}{nd}\\sum (\\hat X - X)^2\\). Backward starts from "
           "\\(G = 2(\\hat X - X)/(nd)\\).",
           "The decoder's gradients are \\(Z^\\top G\\) and the column sums of \\(G\\). Pull \\(G W_2^\\top\\) "
           "through the tanh with \\(1 - Z^2\\), then the encoder's gradients have the same form with \\(X\\) "
           "in place of \\(Z\\)."),
    key_line="dH = (G @ W2.T) * (1 - Z**2)",
    shows=(_ae.mlp, _ae.fit_autoencoder),
)
def autoencoder_grads(X, W1, b1, W2, b2):
    """Reconstruction loss and its gradients for the autoencoder x_hat = tanh(x W1 + b1) W2 + b2.

    Parameters
    ----------
    X : ndarray, shape (n, d)
        The examples, also the targets.
    W1 : ndarray, shape (d, k)
    b1 : ndarray, shape (k,)
        The encoder: the code of a row x is tanh(x W1 + b1).
    W2 : ndarray, shape (k, d)
    b2 : ndarray, shape (d,)
        The decoder: a linear map of the code back to d numbers.

    Returns
    -------
    (loss, dW1, db1, dW2, db2)
        ``loss`` is the mean of the squared errors over all n * d entries (a float); the gradients are the
        partial derivatives of ``loss``, each with the shape of its parameter.
    """
    n, d = np.shape(X)
    model = _ae.mlp((d, np.shape(W1)[1], d), "tanh")                # Linear, tanh, Linear
    params = [{"W": W1, "b": b1}, {}, {"W": W2, "b": b2}]
    X_hat, cache = model.forward(X, params)
    loss, loss_cache = _MSE().forward(X_hat, X)
    _, grads = model.backward(_MSE().backward(loss_cache), cache)
    return loss, grads[0]["W"], grads[0]["b"], grads[2]["W"], grads[2]["b"]


# -- 4.25 Variational autoencoders: the negative ELBO through the reparameterisation --------------------------

def _elbo_complex(x, mu, log_var, eps, W, b, beta, obs_var):
    """The mean negative ELBO written for complex arguments (the complex step differentiates it)."""
    z = mu + np.exp(log_var / 2) * eps
    r = x - (z @ W + b)
    nll = (r * r).sum(1) / (2 * obs_var) + x.shape[1] / 2 * np.log(2 * np.pi * obs_var)
    kl = (np.exp(log_var) + mu * mu - 1 - log_var).sum(1) / 2
    return (nll + beta * kl).mean()


def _elbo_reference(x, mu, log_var, eps, W, b, beta, obs_var):
    """scipy.stats densities and complex-step derivatives"""
    sigma = np.exp(log_var / 2)
    z = mu + sigma * eps
    nll = -stats.norm.logpdf(x, z @ W + b, np.sqrt(obs_var)).sum(1)
    cross_entropy = 0.5 * np.log(2 * np.pi) + (mu**2 + sigma**2) / 2     # -E_q log N(z; 0, 1), per coordinate
    kl = (cross_entropy - stats.norm.entropy(scale=sigma)).sum(1)
    dmu, dlog_var = complex_step_gradients(lambda m, lv: _elbo_complex(x, m, lv, eps, W, b, beta, obs_var),
                                           [mu, log_var])
    return float(np.mean(nll + beta * kl)), dmu, dlog_var


def _elbo_inputs(rng, size):
    n, k, d = int(rng.integers(1, size + 2)), int(rng.integers(1, 4)), int(rng.integers(1, 5))
    return {"x": rng.normal(size=(n, d)), "mu": rng.normal(size=(n, k)), "log_var": rng.uniform(-2, 1, size=(n, k)),
            "eps": rng.normal(size=(n, k)), "W": rng.normal(size=(k, d)), "b": rng.normal(0, 0.5, size=d),
            "beta": float(rng.choice([0.0, 0.5, 1.0, rng.uniform(0.1, 4)])),
            "obs_var": float(rng.uniform(0.2, 2.0))}


def _elbo_chain_rule(kwargs, out):
    _, dmu, dlog_var = out
    n = len(kwargs["mu"])
    sigma = np.exp(np.asarray(kwargs["log_var"]) / 2)
    dz = np.asarray(dmu) - kwargs["beta"] * np.asarray(kwargs["mu"]) / n         # the reconstruction's pull on z
    kl_part = kwargs["beta"] * (sigma**2 - 1) / (2 * n)
    assert np.allclose(np.asarray(dlog_var) - kl_part, 0.5 * sigma * kwargs["eps"] * dz, rtol=1e-8, atol=1e-12), \
        "d/d log_var - beta (sigma^2 - 1)/(2n) should be (sigma eps / 2) times d/d mu - beta mu / n: both flow " \
        "through z = mu + sigma eps"


def _elbo_kl_nonnegative(kwargs, out):
    x, sigma = kwargs["x"], np.exp(np.asarray(kwargs["log_var"]) / 2)
    x_hat = (kwargs["mu"] + sigma * kwargs["eps"]) @ kwargs["W"] + kwargs["b"]
    s2 = kwargs["obs_var"]
    nll = np.mean(((x - x_hat) ** 2).sum(1) / (2 * s2) + x.shape[1] / 2 * np.log(2 * np.pi * s2))
    assert out[0] >= nll - 1e-12 * max(1.0, abs(nll)), \
        f"the loss {out[0]:.6g} is below its reconstruction term {nll:.6g}: the KL term cannot be negative"


@as_exercise(
    "4.25", reference=_elbo_reference, inputs=_elbo_inputs, difficulty=3,
    edge_cases={
        "q is the prior (mu = 0, log_var = 0): the KL term adds nothing": {
            "x": np.array([[1.0, -1.0], [0.5, 2.0]]), "mu": np.zeros((2, 1)), "log_var": np.zeros((2, 1)),
            "eps": np.array([[0.3], [-1.2]]), "W": np.array([[1.0, -0.5]]), "b": np.zeros(2), "beta": 1.0,
            "obs_var": 1.0},
        "eps = 0: log_var's gradient comes from the KL term alone": {
            "x": np.array([[0.2, 0.4, -1.0]]), "mu": np.array([[0.5, -1.0]]), "log_var": np.array([[-1.0, 0.7]]),
            "eps": np.zeros((1, 2)), "W": np.array([[1.0, 0.0, 2.0], [0.5, -1.0, 0.0]]), "b": np.zeros(3),
            "beta": 2.0, "obs_var": 0.5},
        "beta = 0: a noisy autoencoder's Gaussian likelihood": {
            "x": np.array([[3.0], [-2.0], [0.0]]), "mu": np.array([[1.0], [-1.0], [0.0]]),
            "log_var": np.array([[-0.5], [0.5], [0.0]]), "eps": np.array([[1.0], [1.0], [-1.0]]),
            "W": np.array([[2.0]]), "b": np.array([0.5]), "beta": 0.0, "obs_var": 0.3},
    },
    properties={
        "the gradients of mu and log_var both flow through z = mu + sigma eps": _elbo_chain_rule,
        "the loss is at least its reconstruction term (KL >= 0)": _elbo_kl_nonnegative,
    },
    hints=("Draw the code as \\(z = \\mu + e^{\\frac12\\log\\sigma^2}\\odot\\varepsilon\\). Per example the loss "
           "is \\(\\lVert x - \\hat x\\rVert^2/(2s^2) + \\tfrac d2\\log(2\\pi s^2)\\) plus \\(\\beta\\) times "
           "\\(\\tfrac12\\sum_j(\\sigma_j^2 + \\mu_j^2 - 1 - \\log\\sigma_j^2)\\); average over the examples.",
           "Backward: \\(\\bar z = (\\hat x - x)W^\\top/(n s^2)\\). Then \\(\\partial/\\partial\\mu = \\bar z + "
           "\\beta\\mu/n\\) and \\(\\partial/\\partial\\log\\sigma^2 = \\tfrac12\\bar z\\odot\\sigma\\odot"
           "\\varepsilon + \\beta(\\sigma^2 - 1)/(2n)\\)."),
    key_line="dlog_var = 0.5 * dz * sigma * eps + beta * (sigma**2 - 1) / (2 * n)",
    shows=(_ae.kl_standard_normal, _ae.VAE, _ae.NegativeELBO),
)
def vae_neg_elbo(x, mu, log_var, eps, W, b, beta, obs_var):
    """A VAE's mean negative ELBO from one reparameterised draw, and its gradients with respect to mu and log_var.

    The encoder's output is given: q(z | x_i) = N(mu_i, diag(exp(log_var_i))). The code is
    z = mu + exp(log_var / 2) * eps, and the decoder is Gaussian, p(x | z) = N(z W + b, obs_var * I).

    Parameters
    ----------
    x : ndarray, shape (n, d)
    mu, log_var : ndarray, shape (n, k)
    eps : ndarray, shape (n, k)
        The standard normal draw.
    W : ndarray, shape (k, d)
    b : ndarray, shape (d,)
        The decoder's mean is z W + b.
    beta : float >= 0
        Weight of the KL term.
    obs_var : float > 0
        The decoder's variance s^2.

    Returns
    -------
    (loss, dmu, dlog_var)
        ``loss`` is the mean over the n examples of -log p(x | z) + beta * KL(q(z | x) || N(0, I)), with
        -log p(x | z) = |x - (z W + b)|^2 / (2 s^2) + (d / 2) log(2 pi s^2) and the KL in closed form (a float);
        ``dmu`` and ``dlog_var`` (shape (n, k)) are its partial derivatives, eps held fixed.
    """
    n, k = np.shape(mu)
    d = np.shape(x)[1]
    model = _ae.VAE(_Sequential(_Linear(2 * k, 2 * k)), _Sequential(_Linear(k, d)), n_latent=k)
    params = {"encoder": [{"W": np.eye(2 * k), "b": np.zeros(2 * k)}],       # an identity encoder: h = [mu, log_var]
              "decoder": [{"W": W, "b": b}]}
    pred, cache = model.forward(np.concatenate([mu, log_var], axis=1), params,
                                rng=Replay(standard_normal=[np.asarray(eps, float)]))
    loss_fn = _ae.NegativeELBO(beta=beta, obs_var=obs_var)
    loss, loss_cache = loss_fn.forward(pred, x)
    dh, _ = model.backward(loss_fn.backward(loss_cache), cache)
    return loss, dh[:, :k], dh[:, k:]


# -- 4.26 LoRA: forward and backward of an adapted dense layer ------------------------------------------------

def _lora_reference(x, W0, b0, A, B, alpha, dy):
    """the merged weight and complex-step derivatives of <dy, y>"""
    x, dy = np.asarray(x, float), np.asarray(dy, float)
    s = alpha / np.shape(A)[1]
    bias = 0.0 if b0 is None else np.asarray(b0, float)

    def forward(x_, A_, B_):
        return x_ @ (W0 + s * (A_ @ B_)) + bias

    dx, dA, dB = complex_step_gradients(lambda x_, A_, B_: (dy * forward(x_, A_, B_)).sum(), [x, A, B])
    return forward(x, np.asarray(A, float), np.asarray(B, float)), dA, dB, dx


def _lora_inputs(rng, size):
    n, d, k = int(rng.integers(1, size + 2)), int(rng.integers(1, 6)), int(rng.integers(1, 6))
    r = int(rng.integers(1, min(d, k) + 1))
    return {"x": rng.normal(size=(n, d)), "W0": rng.normal(size=(d, k)),
            "b0": rng.normal(size=k) if rng.random() < 0.7 else None,
            "A": rng.normal(size=(d, r)), "B": rng.normal(size=(r, k)), "alpha": float(rng.uniform(0.5, 16)),
            "dy": rng.normal(size=(n, k))}


def _lora_merged_forward(kwargs, out):
    A = kwargs["A"]
    W = kwargs["W0"] + kwargs["alpha"] / A.shape[1] * A @ kwargs["B"]
    want = kwargs["x"] @ W + (0.0 if kwargs["b0"] is None else kwargs["b0"])
    assert np.allclose(out[0], want, rtol=1e-10, atol=1e-12), \
        "y is not x (W0 + (alpha / r) A B) + b0: the merged dense layer disagrees"


def _lora_merged_backward(kwargs, out):
    A = kwargs["A"]
    W = kwargs["W0"] + kwargs["alpha"] / A.shape[1] * A @ kwargs["B"]
    assert np.allclose(out[3], kwargs["dy"] @ W.T, rtol=1e-10, atol=1e-12), \
        "dx is not dy (W0 + (alpha / r) A B)^T: the input gradient must see the frozen weight and the update"


@as_exercise(
    "4.26", reference=_lora_reference, inputs=_lora_inputs, difficulty=2,
    edge_cases={
        "B = 0 (the start): y is the pre-trained layer's and A gets no gradient": {
            "x": np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 1.0]]), "W0": np.arange(6.0).reshape(3, 2),
            "b0": np.array([0.5, -0.5]), "A": np.array([[1.0], [0.5], [-1.0]]), "B": np.zeros((1, 2)),
            "alpha": 8.0, "dy": np.array([[1.0, 0.0], [0.0, 2.0]])},
        "no bias, full rank r = min(d, k), scale alpha / r = 1": {
            "x": np.array([[1.0, -1.0]]), "W0": np.eye(2), "b0": None, "A": np.array([[1.0, 0.0], [1.0, 2.0]]),
            "B": np.array([[0.5, 0.0], [0.0, -1.0]]), "alpha": 2.0, "dy": np.array([[1.0, 1.0]])},
        "rank 2 with alpha = 1: the update is halved": {
            "x": np.array([[2.0, 0.0, 1.0]]), "W0": np.zeros((3, 3)), "b0": np.zeros(3),
            "A": np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), "B": np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]]),
            "alpha": 1.0, "dy": np.array([[0.0, 1.0, 0.0]])},
    },
    properties={
        "y equals the merged dense layer x (W0 + (alpha/r) A B) + b0": _lora_merged_forward,
        "dx = dy (W0 + (alpha/r) A B)^T": _lora_merged_backward,
    },
    hints=("Forward: \\(y = x W_0 + b_0 + s\\,(xA)B\\) with \\(s = \\alpha/r\\) and \\(r\\) the number of columns "
           "of \\(A\\). Keep \\(xA\\) (shape \\(n\\times r\\)): never form the \\(d\\times k\\) product "
           "\\(AB\\).",
           "Backward from \\(G = \\partial L/\\partial y\\): \\(\\partial L/\\partial B = s\\,(xA)^\\top G\\), "
           "\\(\\partial L/\\partial A = s\\,x^\\top (G B^\\top)\\), and \\(\\partial L/\\partial x = G W_0^\\top "
           "+ s\\,(G B^\\top) A^\\top\\). \\(W_0\\) and \\(b_0\\) are frozen: no gradient."),
    key_line="dA, dB = s * x.T @ (dy @ B.T), s * (x @ A).T @ dy",
    shows=(_lora.LoRALinear, _lora.merge_lora),
)
def lora_linear_pass(x, W0, b0, A, B, alpha, dy):
    """Forward and backward pass of a dense layer with a frozen weight and a LoRA update.

    The layer computes y = x W0 + b0 + (alpha / r) (x A) B, with r = A.shape[1] the rank.

    Parameters
    ----------
    x : ndarray, shape (n, d)
    W0 : ndarray, shape (d, k)
        The pre-trained weight, frozen.
    b0 : ndarray, shape (k,), or None
        The pre-trained bias, frozen (None: no bias).
    A : ndarray, shape (d, r)
    B : ndarray, shape (r, k)
        The trainable factors, 1 <= r <= min(d, k).
    alpha : float > 0
        The update is scaled by alpha / r.
    dy : ndarray, shape (n, k)
        The gradient of some loss L with respect to y.

    Returns
    -------
    (y, dA, dB, dx)
        ``y`` of shape (n, k), and the gradients of L with respect to A, B and x (shapes of A, B and x).
    """
    layer = _lora.LoRALinear(W0, b0, rank=np.shape(A)[1], alpha=alpha)
    y, cache = layer.forward(x, {"A": A, "B": B})
    dx, grads = layer.backward(dy, cache)
    return y, grads["A"], grads["B"], dx


# -- 4.27 Gumbel-softmax: a relaxed categorical draw from given uniforms ----------------------------------------

def _gumbel_scipy(logits, u, tau):
    """scipy.stats.gumbel_r.ppf and scipy.special.softmax"""
    z = np.asarray(logits, float) + stats.gumbel_r.ppf(u)
    index = [max(range(len(row)), key=lambda i, row=row: (row[i], -i)) for row in z]   # ties: the lowest index
    return special.softmax(z / tau, axis=1), np.array(index)


def _gumbel_inputs(rng, size):
    K, n = int(rng.integers(2, min(size, 8) + 2)), int(rng.integers(1, 5))
    return {"logits": rng.normal(0, 2, size=K), "u": rng.uniform(0.001, 0.999, size=(n, K)),
            "tau": float(np.exp(rng.uniform(np.log(0.1), np.log(5.0))))}


def _gumbel_on_simplex(kwargs, out):
    soft = np.asarray(out[0], float)
    assert np.all(soft >= 0) and np.allclose(soft.sum(1), 1, rtol=0, atol=1e-12), \
        f"each soft sample must be a probability vector, got row sums {soft.sum(1)}"


def _gumbel_hard_is_soft_argmax(kwargs, out):
    soft, index = np.asarray(out[0], float), np.asarray(out[1])
    top = soft[np.arange(len(soft)), index]
    assert np.all(top >= soft.max(1) - 1e-12), \
        f"the index {index} should be where the soft sample is largest: the temperature does not move the argmax"


@as_exercise(
    "4.27", reference=_gumbel_scipy, inputs=_gumbel_inputs, difficulty=1,
    edge_cases={
        "logits of 1000 and 999: subtract the max before exponentiating": {
            "logits": np.array([1000.0, 999.0, 0.0]), "u": np.array([[0.5, 0.5, 0.5]]), "tau": 0.5},
        "u = 1/e everywhere: zero noise, softmax(logits / tau)": {
            "logits": np.array([0.0, 1.0, 2.0, 0.5]), "u": np.full((1, 4), np.exp(-1.0)), "tau": 2.0},
        "equal logits, equal uniforms: the tie goes to the lowest index": {
            "logits": np.zeros(3), "u": np.array([[0.3, 0.7, 0.7], [0.2, 0.2, 0.2]]), "tau": 1.0},
        "a huge temperature flattens the sample to uniform": {
            "logits": np.array([3.0, -3.0]), "u": np.array([[0.1, 0.9]]), "tau": 1e6},
    },
    properties={
        "each soft sample is a probability vector": _gumbel_on_simplex,
        "the index is where the soft sample is largest": _gumbel_hard_is_soft_argmax,
    },
    hints=("Turn each uniform into Gumbel noise by the inverse CDF, \\(g = -\\log(-\\log u)\\), add it to the "
           "logits, and take a softmax of \\((\\theta + g)/\\tau\\) along the last axis.",
           "Subtract each row's maximum before <code>np.exp</code>. The hard sample is the argmax of "
           "\\(\\theta + g\\): it is an exact categorical draw and does not depend on \\(\\tau\\)."),
    key_line="z = logits - np.log(-np.log(u)); soft = np.exp((z - z.max(-1, keepdims=True)) / tau)",
    shows=(_gumbel.gumbel_noise, _gumbel.gumbel_softmax),
)
def gumbel_softmax_draw(logits, u, tau):
    """Gumbel-softmax samples of a categorical distribution, driven by given uniforms.

    Parameters
    ----------
    logits : ndarray, shape (K,)
        Unnormalised log-probabilities of the K categories.
    u : ndarray, shape (n, K)
        Uniform numbers in (0, 1), one row per sample.
    tau : float > 0
        The temperature.

    Returns
    -------
    soft : ndarray, shape (n, K)
        softmax((logits + g) / tau) per row, where g = -log(-log u) is standard Gumbel noise.
    index : ndarray of int, shape (n,)
        The argmax of logits + g per row (the hard sample; ties go to the lowest index).
    """
    noise = _gumbel.gumbel_noise(np.shape(u), rng=Replay(uniform=[np.asarray(u, float)]))
    draw = _gumbel.gumbel_softmax(logits, tau, noise)
    return draw.soft, draw.index

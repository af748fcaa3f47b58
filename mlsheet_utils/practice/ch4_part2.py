"""Practice exercises of chapter 4's pages 4.13 to 4.27 (learning rates to the Gumbel-softmax trick)."""

from __future__ import annotations

import math

import numpy as np

from mlsheet_utils.algorithms import decoding as _decoding
from mlsheet_utils.algorithms.nn import attention as _att
from mlsheet_utils.algorithms.nn import functional as _F
from mlsheet_utils.algorithms.nn import optimizers as _optimizers
from mlsheet_utils.algorithms.nn import recurrent as _rec
from mlsheet_utils.algorithms.nn import schedules as _schedules
from mlsheet_utils.algorithms.nn import sparse_attention as _sa
from mlsheet_utils.algorithms.nn import transformer as _tf
from mlsheet_utils.algorithms.nn import vit as _vit
from mlsheet_utils.checks.practice import as_exercise
from mlsheet_utils.practice._support import Replay, inverse_cdf

# -- 4.13 Learning rates: linear warm-up then cosine decay ----------------------------------------------------

def _warmup_cosine_loop(step, peak, warmup_steps, total_steps, init=0.0, end=0.0):
    """a loop over the definition, one step at a time"""
    out = []
    for t in np.asarray(step).ravel().tolist():
        if t < warmup_steps:
            out.append(init + (peak - init) * t / warmup_steps)
        else:
            progress = min(t - warmup_steps, total_steps - warmup_steps) / (total_steps - warmup_steps)
            out.append(end + (peak - end) * (1 + math.cos(math.pi * progress)) / 2)
    return np.array(out, dtype=float).reshape(np.shape(step))


def _warmup_cosine_inputs(rng, size):
    W = int(rng.integers(0, size + 1))
    N = W + int(rng.integers(1, size + 2))
    step = np.sort(rng.integers(0, N + 3, size=size + 2))
    return {"step": step, "peak": float(rng.uniform(0.05, 1.0)), "warmup_steps": W, "total_steps": N,
            "init": float(rng.uniform(0, 0.02)), "end": float(rng.uniform(0, 0.02))}


def _warmup_cosine_bounded(kwargs, out):
    lo = min(kwargs["init"], kwargs["end"], kwargs["peak"])
    hi = max(kwargs["init"], kwargs["end"], kwargs["peak"])
    out = np.asarray(out)
    assert np.all((out >= lo - 1e-12) & (out <= hi + 1e-12)), "a rate lies outside [min(init, end), peak]"


def _warmup_cosine_shape(kwargs, out):
    W = kwargs["warmup_steps"]
    out_t = np.asarray(out)
    step = np.asarray(kwargs["step"])
    up, down = out_t[step < W], out_t[step >= W]
    assert np.all(np.diff(up) >= -1e-12), "the rate falls during the warm-up"
    assert np.all(np.diff(down) <= 1e-12), "the rate rises after the warm-up"


@as_exercise(
    "4.13", reference=_warmup_cosine_loop, inputs=_warmup_cosine_inputs, difficulty=1,
    edge_cases={
        "no warm-up: step 0 is the peak, step N the end": {
            "step": np.array([0, 2, 4, 6]), "peak": 1.0, "warmup_steps": 0, "total_steps": 4, "init": 0.0,
            "end": 0.1},
        "halfway through the decay: the mean of peak and end": {
            "step": np.array([0, 1, 2, 4]), "peak": 0.5, "warmup_steps": 2, "total_steps": 6, "init": 0.0,
            "end": 0.1},
        "step W is the peak, not the last warm-up value": {
            "step": np.array([2, 3]), "peak": 1.0, "warmup_steps": 3, "total_steps": 5, "init": 0.25,
            "end": 0.0},
    },
    properties={
        "every rate lies between the lowest and the highest of init, end and peak": _warmup_cosine_bounded,
        "rises during the warm-up and never rises afterwards": _warmup_cosine_shape,
    },
    hints=(r"Two pieces: for \(t < W\) interpolate linearly from <code>init</code> to <code>peak</code>; from "
           r"\(t = W\) on, a half cosine from <code>peak</code> down to <code>end</code> over the "
           r"\(N - W\) remaining steps.",
           r"Clip \(t - W\) to \([0, N - W]\) so steps past \(N\) stay at <code>end</code>; compute both "
           r"pieces for every step and pick with <code>np.where</code>."),
    key_line="decay = end + 0.5 * (peak - end) * (1 + np.cos(np.pi * np.clip(t - W, 0, N - W) / (N - W)))",
    shows=(_schedules.warmup_cosine,),
)
def warmup_cosine_lr(step, peak, warmup_steps, total_steps, init=0.0, end=0.0):
    """The learning rate at each step of a linear warm-up followed by a cosine decay.

    Parameters
    ----------
    step : ndarray of int >= 0, shape (m,)
        The steps at which to evaluate the schedule.
    peak : float > 0
        The rate reached at the end of the warm-up.
    warmup_steps : int >= 0
        W: steps 0 .. W-1 rise linearly from ``init`` (at step 0) towards ``peak`` (reached at step W).
        W = 0 means no warm-up.
    total_steps : int > warmup_steps
        N: from step W to step N the rate follows half a cosine from ``peak`` down to ``end``; after N it
        stays at ``end``.
    init, end : float >= 0

    Returns
    -------
    ndarray (m,) of float: the rate at each step.
    """
    return _schedules.warmup_cosine(step, peak, warmup_steps, total_steps, init=init, end=end)


# -- 4.14 AdaGrad ------------------------------------------------------------------------------------------------

def _adagrad_loop(theta0, grads, lr, eps):
    """a loop over the definition, coordinate by coordinate"""
    theta = [float(v) for v in theta0]
    G = [0.0] * len(theta)
    path = [list(theta)]
    for g in grads:
        for j, gj in enumerate(g):
            G[j] += float(gj) ** 2
            theta[j] -= lr * float(gj) / (math.sqrt(G[j]) + eps)
        path.append(list(theta))
    return np.array(path, dtype=float).reshape(len(grads) + 1, len(theta0))


def _adagrad_inputs(rng, size):
    d = int(rng.integers(1, 5))
    T = size
    grads = rng.standard_normal((T, d)) * 10.0 ** rng.integers(-2, 2, size=d)
    grads[rng.random((T, d)) < 0.3] = 0.0                   # sparse coordinates, as on the page
    return {"theta0": rng.standard_normal(d), "grads": grads, "lr": float(rng.uniform(0.01, 0.5)),
            "eps": float(10.0 ** rng.integers(-10, -5))}


def _adagrad_still_when_no_gradient(kwargs, out):
    moved = np.diff(np.asarray(out), axis=0) != 0
    assert not np.any(moved & (np.asarray(kwargs["grads"]) == 0)), "a coordinate moved on a step with no gradient"


def _adagrad_step_at_most_lr(kwargs, out):
    steps = np.abs(np.diff(np.asarray(out), axis=0))
    assert np.all(steps <= kwargs["lr"] * (1 + 1e-12)), "a step is longer than the learning rate"


@as_exercise(
    "4.14", reference=_adagrad_loop, inputs=_adagrad_inputs, difficulty=1,
    edge_cases={
        "a coordinate that never gets a gradient stays put": {
            "theta0": np.array([1.0, -2.0]), "grads": np.array([[0.5, 0.0], [-1.0, 0.0], [2.0, 0.0]]),
            "lr": 0.1, "eps": 1e-10},
        "a constant gradient: step t has length lr / sqrt(t)": {
            "theta0": np.array([0.0]), "grads": np.full((4, 1), 3.0), "lr": 1.0, "eps": 1e-12},
        "no steps: the path is the start": {
            "theta0": np.array([0.5, 1.5, -1.0]), "grads": np.zeros((0, 3)), "lr": 0.1, "eps": 1e-10},
    },
    properties={
        "a coordinate does not move on a step where its gradient is 0": _adagrad_still_when_no_gradient,
        "no coordinate moves by more than the learning rate in one step": _adagrad_step_at_most_lr,
    },
    hints=(r"Keep one running sum per coordinate, \(G \mathrel{+}= g^2\), updated <em>before</em> the step, "
           r"so the first step already divides by \(|g_1|\).",
           r"The step is elementwise: \(\theta \mathrel{-}= \eta\, g / (\sqrt{G} + \epsilon)\), with "
           r"\(\epsilon\) outside the root."),
    key_line="theta = theta - lr * g / (np.sqrt(G) + eps)",
    shows=(_optimizers.AdaGrad,),
)
def adagrad_path(theta0, grads, lr, eps):
    """Apply AdaGrad to the gradients ``grads``, one row per step, and return every iterate.

    Parameters
    ----------
    theta0 : ndarray (d,), the starting point
    grads : ndarray (T, d), the gradient received at step t = 1 .. T (row t - 1); T may be 0
    lr : float > 0, the base learning rate
    eps : float > 0, added to the root of the accumulator (outside the square root)

    Returns
    -------
    ndarray (T + 1, d): theta0 and the point after each step. The accumulator of squared gradients starts at 0
    and includes the current gradient before the step is taken.
    """
    opt = _optimizers.AdaGrad(lr, eps=eps)
    theta = np.asarray(theta0, dtype=float)
    state = opt.init(theta)
    path = [theta]
    for g in np.asarray(grads, dtype=float):
        theta, state = opt.update(g, state, theta)
        path.append(theta)
    return np.array(path)


# -- 4.15 Recurrent neural networks: the Elman forward pass ------------------------------------------------------

def _sigmoid_scalar(a):
    return 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))


def _affine_scalar(x_t, h_prev, W_x, W_h, b, j):
    """x_t W_x[:, j] + h_prev W_h[:, j] + b[j] as a plain sum."""
    return (sum(float(x_t[i]) * float(W_x[i][j]) for i in range(len(x_t)))
            + sum(float(h_prev[k]) * float(W_h[k][j]) for k in range(len(h_prev))) + float(b[j]))


def _elman_loop(x, W_x, W_h, b):
    """a loop over the definition, unit by unit"""
    H = len(b)
    h, out = [0.0] * H, []
    for x_t in x:
        h = [math.tanh(_affine_scalar(x_t, h, W_x, W_h, b, j)) for j in range(H)]
        out.append(h)
    return np.array(out, dtype=float).reshape(len(x), H)


def _rnn_params(rng, n_in, H, gates):
    scale = 1.0 / math.sqrt(H)
    return {"W_x": rng.uniform(-1.5, 1.5, (n_in, gates * H)) * scale,
            "W_h": rng.uniform(-1.5, 1.5, (H, gates * H)) * scale,
            "b": rng.normal(0, 0.5, gates * H)}


def _elman_inputs(rng, size):
    n_in, H = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    return {"x": rng.standard_normal((size, n_in)), **_rnn_params(rng, n_in, H, 1)}


def _elman_in_range(kwargs, out):
    assert np.all(np.abs(np.asarray(out)) < 1), "a hidden state is outside (-1, 1), the range of tanh"


def _elman_first_step(kwargs, out):
    x, W_x, b = (np.asarray(kwargs[k], dtype=float) for k in ("x", "W_x", "b"))
    first = np.tanh(x[0] @ W_x + b)
    assert np.allclose(np.asarray(out)[0], first, rtol=1e-9, atol=1e-12), \
        "the first state is not tanh(x_1 W_x + b): the recurrence must start from h_0 = 0 and return h_1 first"


@as_exercise(
    "4.15", reference=_elman_loop, inputs=_elman_inputs, difficulty=1,
    edge_cases={
        "one step from h_0 = 0: tanh(x W_x + b)": {
            "x": np.array([[1.0, -2.0]]), "W_x": np.array([[0.5], [0.25]]), "W_h": np.array([[3.0]]),
            "b": np.array([0.1])},
        "zero input: the state still evolves from the bias": {
            "x": np.zeros((3, 1)), "W_x": np.array([[1.0, 1.0]]), "W_h": np.array([[0.5, -1.0], [1.0, 0.5]]),
            "b": np.array([0.3, -0.2])},
        "W_h = 0: each step forgets the past": {
            "x": np.array([[0.2], [-0.4], [1.0]]), "W_x": np.array([[2.0, -1.0]]), "W_h": np.zeros((2, 2)),
            "b": np.array([0.0, 0.5])},
    },
    properties={
        "every hidden state lies in (-1, 1)": _elman_in_range,
        "the first row is h_1 = tanh(x_1 W_x + b)": _elman_first_step,
    },
    hints=(r"Start from \(h_0 = 0\) (a vector of length \(H\)) and walk through the sequence, feeding each new "
           r"state into the next step.",
           r"With row vectors the step is \(h_t = \tanh(x_t W_x + h_{t-1} W_h + b)\); store every \(h_t\) as "
           r"a row of the output."),
    key_line="h = np.tanh(x[t] @ W_x + h @ W_h + b)",
    shows=(_rec.SimpleRNN,),
)
def elman_forward(x, W_x, W_h, b):
    """The hidden states of a tanh Elman RNN run over one sequence.

    Parameters
    ----------
    x : ndarray (T, n_in), the inputs x_1 .. x_T as rows (T >= 1)
    W_x : ndarray (n_in, H), input-to-hidden weights
    W_h : ndarray (H, H), hidden-to-hidden weights
    b : ndarray (H,), bias

    Returns
    -------
    ndarray (T, H): row t is h_t = tanh(x_t W_x + h_{t-1} W_h + b), with h_0 = 0 (h_0 is not returned).
    """
    layer = _rec.SimpleRNN(len(W_x), len(b))
    h, _ = layer.forward(x, {"W_x": W_x, "W_h": W_h, "b": b})
    return h


# -- 4.16 LSTM: the forward pass ------------------------------------------------------------------------------------

def _lstm_loop(x, W_x, W_h, b):
    """a loop over the gate equations, unit by unit"""
    H = len(b) // 4
    h, c, out = [0.0] * H, [0.0] * H, []
    for x_t in x:
        z = [_affine_scalar(x_t, h, W_x, W_h, b, j) for j in range(4 * H)]
        i = [_sigmoid_scalar(z[j]) for j in range(H)]
        f = [_sigmoid_scalar(z[H + j]) for j in range(H)]
        g = [math.tanh(z[2 * H + j]) for j in range(H)]
        o = [_sigmoid_scalar(z[3 * H + j]) for j in range(H)]
        c = [f[j] * c[j] + i[j] * g[j] for j in range(H)]
        h = [o[j] * math.tanh(c[j]) for j in range(H)]
        out.append(h)
    return np.array(out, dtype=float).reshape(len(x), H), np.array(c, dtype=float)


def _lstm_inputs(rng, size):
    n_in, H = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    return {"x": rng.standard_normal((size, n_in)), **_rnn_params(rng, n_in, H, 4)}


def _lstm_cell_bound(kwargs, out):
    _, c = out
    T = len(kwargs["x"])
    assert np.all(np.abs(np.asarray(c)) < T + 1e-12), "|c_T| exceeds T: each step can add at most 1 to the cell"


def _lstm_h_bound(kwargs, out):
    h, _ = out
    assert np.all(np.abs(np.asarray(h)) < 1), "a hidden state is outside (-1, 1): h = o * tanh(c)"


def _lstm_edge(H, n_in, T, fill):
    W_x, W_h, b = np.zeros((n_in, 4 * H)), np.zeros((H, 4 * H)), np.zeros(4 * H)
    fill(W_x, W_h, b)
    return {"x": np.ones((T, n_in)), "W_x": W_x, "W_h": W_h, "b": b}


def _lstm_forget_open(W_x, W_h, b):
    b[:] = [20.0, 40.0, 1.0, 40.0]          # i ~ 1, f = 1, g = tanh(1), o = 1: the cell adds tanh(1) a step


def _lstm_forget_shut(W_x, W_h, b):
    b[:] = [40.0, -40.0, 0.5, 0.0]          # f = 0: the cell is just i * g, the same every step


@as_exercise(
    "4.16", reference=_lstm_loop, inputs=_lstm_inputs, difficulty=2,
    edge_cases={
        "forget gate open, input gate open: the cell counts up by tanh(1) a step":
            lambda: _lstm_edge(1, 1, 3, _lstm_forget_open),
        "forget gate shut: every step starts the cell afresh": lambda: _lstm_edge(1, 1, 3, _lstm_forget_shut),
        "all weights zero: g = 0, so c and h stay 0": {
            "x": np.ones((2, 2)), "W_x": np.zeros((2, 8)), "W_h": np.zeros((2, 8)), "b": np.zeros(8)},
    },
    properties={
        "every hidden state lies in (-1, 1)": _lstm_h_bound,
        "the final cell state is below T in size": _lstm_cell_bound,
    },
    hints=(r"Compute all four pre-activations at once, \(z = x_t W_x + h_{t-1} W_h + b\) (length \(4H\)), then "
           r"cut it into the blocks i, f, g, o in that order: sigmoid for i, f, o, tanh for g.",
           r"Two states start at zero: the cell \(c_t = f \odot c_{t-1} + i \odot g\) and the output "
           r"\(h_t = o \odot \tanh(c_t)\); the next step's \(z\) uses \(h_t\), not \(c_t\)."),
    key_line="c = f * c + i * g; h = o * np.tanh(c)",
    shows=(_rec.LSTM,),
)
def lstm_forward(x, W_x, W_h, b):
    """Run an LSTM over one sequence; return every hidden state and the last cell state.

    Parameters
    ----------
    x : ndarray (T, n_in), the inputs as rows (T >= 1)
    W_x : ndarray (n_in, 4H), W_h : ndarray (H, 4H), b : ndarray (4H,)
        The column blocks [0:H], [H:2H], [2H:3H], [3H:4H] belong to the input gate i, the forget gate f, the
        candidate g and the output gate o: z_t = x_t W_x + h_{t-1} W_h + b, i, f, o = sigmoid of their
        blocks, g = tanh of its block.

    Returns
    -------
    h : ndarray (T, H), row t is h_t = o_t * tanh(c_t)
    c : ndarray (H,), the final cell state c_T, where c_t = f_t * c_{t-1} + i_t * g_t
    Both states start at zero.
    """
    H = len(b) // 4
    layer = _rec.LSTM(len(W_x), H)
    h, cache = layer.forward(x, {"W_x": W_x, "W_h": W_h, "b": b})
    _, _, c_prev, i, f, g, _, _ = cache["steps"][-1]            # c_T from the last step's gates
    return h, (f * c_prev + i * g)[0]


# -- 4.17 GRU: the forward pass -------------------------------------------------------------------------------------

def _gru_loop(x, W_x, W_h, b, b_hn):
    """a loop over the gate equations, unit by unit"""
    H = len(b_hn)
    h, out = [0.0] * H, []
    for x_t in x:
        new = []
        for j in range(H):
            xr = sum(float(x_t[i]) * float(W_x[i][j]) for i in range(len(x_t))) + float(b[j])
            hr = sum(h[k] * float(W_h[k][j]) for k in range(H))
            xz = sum(float(x_t[i]) * float(W_x[i][H + j]) for i in range(len(x_t))) + float(b[H + j])
            hz = sum(h[k] * float(W_h[k][H + j]) for k in range(H))
            xn = sum(float(x_t[i]) * float(W_x[i][2 * H + j]) for i in range(len(x_t))) + float(b[2 * H + j])
            hn = sum(h[k] * float(W_h[k][2 * H + j]) for k in range(H)) + float(b_hn[j])
            r, z = _sigmoid_scalar(xr + hr), _sigmoid_scalar(xz + hz)
            n = math.tanh(xn + r * hn)
            new.append((1 - z) * n + z * h[j])
        h = new
        out.append(h)
    return np.array(out, dtype=float).reshape(len(x), H)


def _gru_inputs(rng, size):
    n_in, H = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    return {"x": rng.standard_normal((size, n_in)), **_rnn_params(rng, n_in, H, 3),
            "b_hn": rng.normal(0, 0.5, H)}


def _gru_in_range(kwargs, out):
    assert np.all(np.abs(np.asarray(out)) < 1), \
        "a hidden state is outside (-1, 1): h_t mixes h_{t-1} and tanh(...), both inside"


def _gru_edge(b, b_hn, W_h=None, T=3):
    H = len(b_hn)
    return {"x": np.ones((T, 1)), "W_x": np.zeros((1, 3 * H)),
            "W_h": np.zeros((H, 3 * H)) if W_h is None else W_h, "b": np.array(b, float),
            "b_hn": np.array(b_hn, float)}


@as_exercise(
    "4.17", reference=_gru_loop, inputs=_gru_inputs, difficulty=2,
    edge_cases={
        "update gate shut (z = 0): h_t is the candidate, tanh(b_n + r * b_hn)":
            _gru_edge([0.0, -40.0, 0.5], [1.0]),
        "update gate open (z = 1): h stays at h_0 = 0": _gru_edge([0.0, 40.0, 2.0], [1.0]),
        "reset gate shut (r = 0): the hidden-side term and b_hn drop out": _gru_edge(
            [-40.0, 0.0, 0.3], [5.0], W_h=np.array([[0.0, 0.0, 3.0]])),
    },
    properties={"every hidden state lies in (-1, 1)": _gru_in_range},
    hints=(r"Two gates from \(x_t\) and \(h_{t-1}\): reset \(r\) and update \(z\) (sigmoid), blocks 0 and 1 of "
           r"the columns. The candidate (block 2) is \(n = \tanh(x_t W^n_x + b^n + r \odot (h_{t-1} W^n_h + "
           r"b_{hn}))\): the reset multiplies the <em>whole</em> hidden-side term, bias included.",
           r"The new state is a convex mix, \(h_t = (1 - z) \odot n + z \odot h_{t-1}\): \(z\) is the share "
           r"kept from the past."),
    key_line="h = (1 - z) * np.tanh(gi[2*H:] + r * (h @ W_h[:, 2*H:] + b_hn)) + z * h",
    shows=(_rec.GRU,),
)
def gru_forward(x, W_x, W_h, b, b_hn):
    """The hidden states of a GRU run over one sequence (PyTorch's convention).

    Parameters
    ----------
    x : ndarray (T, n_in), the inputs as rows (T >= 1)
    W_x : ndarray (n_in, 3H), W_h : ndarray (H, 3H), b : ndarray (3H,)
        Column blocks [0:H], [H:2H], [2H:3H] belong to the reset gate r, the update gate z and the candidate n.
    b_hn : ndarray (H,), the hidden-side bias of the candidate

    With h_0 = 0 and sigma the logistic function:
        r_t = sigma(x_t W_x^r + h_{t-1} W_h^r + b^r),  z_t = sigma(x_t W_x^z + h_{t-1} W_h^z + b^z),
        n_t = tanh(x_t W_x^n + b^n + r_t * (h_{t-1} W_h^n + b_hn)),  h_t = (1 - z_t) * n_t + z_t * h_{t-1}.

    Returns
    -------
    ndarray (T, H): row t is h_t.
    """
    layer = _rec.GRU(len(W_x), len(b_hn))
    h, _ = layer.forward(x, {"W_x": W_x, "W_h": W_h, "b": b, "b_hn": b_hn})
    return h


# -- 4.18 Transformer architecture: one encoder block ---------------------------------------------------------------

def _layer_norm_rows(x, eps=1e-5):
    out = np.empty_like(x)
    for r, row in enumerate(x):
        mu = sum(row) / len(row)
        var = sum((v - mu) ** 2 for v in row) / len(row)
        out[r] = (row - mu) / math.sqrt(var + eps)
    return out


def _encoder_block_loop(x, W_q, W_k, W_v, W_o, W_1, b_1, W_2, b_2, n_heads, pre_norm):
    """scipy.special.softmax, one head and one query at a time"""
    from scipy.special import softmax

    x = np.asarray(x, dtype=float)
    n, d = x.shape
    dk = d // n_heads

    def attention(z):
        heads = np.zeros((n, d))
        for hd in range(n_heads):
            cols = slice(hd * dk, (hd + 1) * dk)
            Q, K, V = z @ W_q[:, cols], z @ W_k[:, cols], z @ W_v[:, cols]
            for i in range(n):
                w = softmax([float(Q[i] @ K[j]) / math.sqrt(dk) for j in range(n)])
                heads[i, cols] = sum(w[j] * V[j] for j in range(n))
        return heads @ W_o

    def ffn(z):
        return np.maximum(z @ W_1 + b_1, 0.0) @ W_2 + b_2

    if pre_norm:
        h = x + attention(_layer_norm_rows(x))
        return h + ffn(_layer_norm_rows(h))
    h = _layer_norm_rows(x + attention(x))
    return _layer_norm_rows(h + ffn(h))


def _encoder_block_inputs(rng, size):
    n_heads = int(rng.choice([1, 2]))
    d = n_heads * int(rng.integers(1, 4))
    d_ff = int(rng.integers(1, 7))
    n = 1 + (size - 1) // 2
    s = 1.0 / math.sqrt(d)
    return {"x": rng.standard_normal((n, d)), "W_q": rng.normal(0, s, (d, d)), "W_k": rng.normal(0, s, (d, d)),
            "W_v": rng.normal(0, s, (d, d)), "W_o": rng.normal(0, s, (d, d)), "W_1": rng.normal(0, s, (d, d_ff)),
            "b_1": rng.normal(0, 0.1, d_ff), "W_2": rng.normal(0, 1 / math.sqrt(d_ff), (d_ff, d)),
            "b_2": rng.normal(0, 0.1, d), "n_heads": n_heads, "pre_norm": bool(rng.integers(0, 2))}


def _block_edge(x, n_heads, pre_norm, *, zero=False):
    n, d = x.shape
    rng = np.random.default_rng(418)
    W = [np.zeros((d, d)) if zero else rng.normal(0, 0.5, (d, d)) for _ in range(4)]
    return {"x": x, "W_q": W[0], "W_k": W[1], "W_v": W[2], "W_o": W[3],
            "W_1": np.zeros((d, 2)) if zero else rng.normal(0, 0.5, (d, 2)), "b_1": np.zeros(2),
            "W_2": np.zeros((2, d)) if zero else rng.normal(0, 0.5, (2, d)), "b_2": np.zeros(d),
            "n_heads": n_heads, "pre_norm": pre_norm}


def _block_post_norm_rows(kwargs, out):
    if kwargs["pre_norm"] or np.shape(out)[-1] < 2:
        return
    out = np.asarray(out)
    assert np.allclose(out.mean(-1), 0, atol=1e-9), "post-norm: an output row does not have mean 0"


@as_exercise(
    "4.18", reference=_encoder_block_loop, inputs=_encoder_block_inputs, difficulty=3,
    edge_cases={
        "one position: attention returns its own value": _block_edge(np.array([[0.5, -1.0, 2.0, 0.0]]), 2, True),
        "all weights zero, pre-norm: the block is the identity": _block_edge(
            np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 0.5]]), 1, True, zero=True),
        "all weights zero, post-norm: the block layer-normalises x twice": _block_edge(
            np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 0.5]]), 2, False, zero=True),
        "identical positions give identical outputs": _block_edge(np.ones((3, 4)) * [1.0, -1.0, 0.5, 2.0], 2,
                                                                  False),
    },
    properties={
        "post-norm outputs have mean 0 along the features": _block_post_norm_rows,
    },
    hints=(r"Two residual sub-layers: multi-head self-attention, then a ReLU feed-forward network. Post-norm "
           r"normalises after each sum, \(\mathrm{LN}(x + f(x))\); pre-norm normalises the branch input, "
           r"\(x + f(\mathrm{LN}(x))\). Layer norm here has no learned scale or shift and "
           r"\(\epsilon = 10^{-5}\) inside the root.",
           r"For the heads, project once with the full matrices, reshape \((n, d)\) to \((h, n, d/h)\), "
           r"scale the scores by \(1/\sqrt{d/h}\), softmax each row, then merge the heads back before \(W_O\)."),
    key_line="h = x + mha(layer_norm(x)) if pre_norm else layer_norm(x + mha(x))",
    shows=(_tf.EncoderBlock, _tf.FeedForward),
)
def encoder_block(x, W_q, W_k, W_v, W_o, W_1, b_1, W_2, b_2, n_heads, pre_norm):
    """One transformer encoder block (multi-head self-attention, then a ReLU feed-forward network).

    Parameters
    ----------
    x : ndarray (n, d), one sequence of n positions
    W_q, W_k, W_v, W_o : ndarray (d, d), attention projections without biases; head k uses the columns
        [k d/h, (k+1) d/h) of W_q, W_k, W_v and the matching rows of W_o (merge the heads by concatenation)
    W_1 : ndarray (d, d_ff), b_1 : (d_ff,), W_2 : (d_ff, d), b_2 : (d,), the feed-forward network
        FFN(z) = relu(z W_1 + b_1) W_2 + b_2
    n_heads : int, divides d; scores are scaled by 1 / sqrt(d / n_heads), no mask
    pre_norm : bool
        False (post-norm): h = LN(x + MHA(x)), y = LN(h + FFN(h)).
        True (pre-norm):   h = x + MHA(LN(x)), y = h + FFN(LN(h)).
        LN normalises each row to mean 0 and variance 1 (population variance, eps = 1e-5 inside the root),
        with no learned scale or shift.

    Returns
    -------
    ndarray (n, d): y.
    """
    d = x.shape[-1]
    block = _tf.EncoderBlock(d, n_heads, len(b_1), placement="pre" if pre_norm else "post")
    norm = {"gamma": np.ones(d), "beta": np.zeros(d)}
    params = [{"body": {"W_q": W_q, "W_k": W_k, "W_v": W_v, "W_o": W_o}, "norm": norm},
              {"body": [{"W": W_1, "b": b_1}, {}, {"W": W_2, "b": b_2}], "norm": norm}]
    y, _ = block.forward(x, params)
    return y


# -- 4.18.1 Positional encoding: the sinusoidal table ---------------------------------------------------------------

def _sinusoidal_loop(max_len, d_model, base):
    """a loop over the definition, entry by entry"""
    return np.array([[math.sin(p / base ** (2 * (j // 2) / d_model)) if j % 2 == 0
                      else math.cos(p / base ** (2 * (j // 2) / d_model)) for j in range(d_model)]
                     for p in range(max_len)], dtype=float).reshape(max_len, d_model)


def _sinusoidal_inputs(rng, size):
    return {"max_len": int(rng.integers(1, 2 * size + 2)), "d_model": int(rng.integers(1, size + 4)),
            "base": float(rng.choice([100.0, 1000.0, 10000.0]) * rng.uniform(0.5, 2.0))}


def _sinusoidal_pairs_on_circle(kwargs, out):
    pe = np.asarray(out)
    even = pe.shape[1] // 2 * 2
    r2 = pe[:, 0:even:2] ** 2 + pe[:, 1:even:2] ** 2
    assert np.allclose(r2, 1.0, rtol=0, atol=1e-12), "a (sin, cos) column pair does not lie on the unit circle"


def _sinusoidal_position_zero(kwargs, out):
    first = np.asarray(out)[0]
    want = np.arange(len(first)) % 2 == 1
    assert np.array_equal(first, want.astype(float)), "position 0 must be 0 in sine columns and 1 in cosine columns"


@as_exercise(
    "4.18.1", reference=_sinusoidal_loop, inputs=_sinusoidal_inputs, difficulty=1,
    edge_cases={
        "d_model = 1: one sine column at frequency 1": {"max_len": 4, "d_model": 1, "base": 10000.0},
        "odd d_model ends on a sine column": {"max_len": 3, "d_model": 5, "base": 10000.0},
        "one position: the row is 0, 1, 0, 1 ...": {"max_len": 1, "d_model": 6, "base": 10000.0},
    },
    properties={
        "each (sin, cos) pair of columns lies on the unit circle": _sinusoidal_pairs_on_circle,
        "row 0 is 0 in sine columns and 1 in cosine columns": _sinusoidal_position_zero,
    },
    hints=(r"Columns \(2i\) and \(2i+1\) share one angular frequency, \(\omega_i = \text{base}^{-2i/d}\): sine "
           r"in the even column, cosine in the odd one.",
           r"Build the \((L, \lceil d/2 \rceil)\) grid of angles \(p\,\omega_i\) by broadcasting, then fill "
           r"<code>pe[:, 0::2]</code> and <code>pe[:, 1::2]</code>; for odd \(d\) the cosine half has one "
           r"column fewer."),
    key_line="angles = np.arange(max_len)[:, None] * base ** (-2.0 * np.arange((d_model + 1) // 2) / d_model)",
    shows=(_tf.frequencies, _tf.sinusoidal_encoding),
)
def sinusoidal_table(max_len, d_model, base):
    """The sinusoidal positional-encoding table of the original transformer.

    Parameters
    ----------
    max_len : int >= 1, positions p = 0 .. max_len - 1
    d_model : int >= 1, columns j = 0 .. d_model - 1
    base : float > 1 (10000 in the paper)

    Returns
    -------
    ndarray (max_len, d_model): entry (p, j) is sin(p * w_i) for even j = 2i and cos(p * w_i) for odd
    j = 2i + 1, with w_i = base ** (-2i / d_model). An odd d_model ends on a sine column.
    """
    return _tf.sinusoidal_encoding(max_len, d_model, base)


# -- 4.18.2 Attention mechanisms: masked scaled dot-product attention ------------------------------------------------

def _attention_loop(Q, K, V, mask):
    """scipy.special.softmax over each query's allowed keys"""
    from scipy.special import softmax

    n_q, n_k = len(Q), len(K)
    A = np.zeros((n_q, n_k))
    for i in range(n_q):
        keys = [j for j in range(n_k) if mask[i][j]]
        scores = [float(np.dot(Q[i], K[j])) / math.sqrt(len(Q[i])) for j in keys]
        A[i, keys] = softmax(scores)
    return A @ np.asarray(V, dtype=float), A


def _attention_inputs(rng, size):
    n_q, n_k = int(rng.integers(1, size + 2)), int(rng.integers(1, size + 2))
    d, d_v = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    kind = rng.integers(0, 3)
    if kind == 0:
        mask = np.ones((n_q, n_k), dtype=bool)
    elif kind == 1:                                      # causal, aligned at the end (as with a cache)
        mask = np.arange(n_k)[None, :] <= np.arange(n_q)[:, None] + (n_k - n_q)
        mask[:, 0] = True
    else:                                                # random, at least one key per row
        mask = rng.random((n_q, n_k)) < 0.6
        mask[np.arange(n_q), rng.integers(0, n_k, n_q)] = True
    return {"Q": rng.standard_normal((n_q, d)) * 2, "K": rng.standard_normal((n_k, d)),
            "V": rng.standard_normal((n_k, d_v)), "mask": mask}


def _attention_rows_sum_to_one(kwargs, out):
    A = np.asarray(out[1])
    assert np.allclose(A.sum(-1), 1.0, rtol=0, atol=1e-12), "a row of the attention weights does not sum to 1"
    assert np.all(A >= 0), "a negative attention weight"


def _attention_masked_zero(kwargs, out):
    A = np.asarray(out[1])
    assert np.all(A[~np.asarray(kwargs["mask"])] == 0), "a masked key has a non-zero weight"


@as_exercise(
    "4.18.2", reference=_attention_loop, inputs=_attention_inputs, difficulty=2,
    edge_cases={
        "huge scores: no overflow (subtract the row maximum)": {
            "Q": np.array([[40.0, 0.0], [-40.0, 30.0]]), "K": np.array([[40.0, 1.0], [39.0, 0.0], [0.0, 30.0]]),
            "V": np.array([[1.0], [2.0], [3.0]]), "mask": np.ones((2, 3), dtype=bool)},
        "causal: the first query sees only the first key": {
            "Q": np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), "K": np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]]),
            "V": np.array([[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]]), "mask": np.tril(np.ones((3, 3), dtype=bool))},
        "equal keys share the weight equally": {
            "Q": np.array([[0.3, -0.7]]), "K": np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]]),
            "V": np.array([[3.0], [6.0], [0.0]]), "mask": np.array([[True, True, True]])},
        "a query with one allowed key copies its value": {
            "Q": np.array([[2.0, -1.0]]), "K": np.array([[-5.0, 5.0], [0.1, 0.2]]),
            "V": np.array([[7.0, -7.0], [1.0, 1.0]]), "mask": np.array([[True, False]])},
    },
    properties={
        "each row of weights is non-negative and sums to 1": _attention_rows_sum_to_one,
        "masked keys get weight exactly 0": _attention_masked_zero,
    },
    hints=(r"Scores are \(S = Q K^\top / \sqrt{d_k}\). Put \(-\infty\) where the mask is False, so the "
           r"exponential gives exactly 0 there.",
           r"Softmax each row after subtracting the row's maximum (scores can be large); the output is "
           r"\(A V\)."),
    key_line="S = np.where(mask, Q @ K.T / np.sqrt(Q.shape[-1]), -np.inf)",
    shows=(_att.scaled_dot_product_attention, _att._attention, _F.softmax),
)
def masked_attention(Q, K, V, mask):
    """Scaled dot-product attention of one head with a boolean mask.

    Parameters
    ----------
    Q : ndarray (n_q, d), queries
    K : ndarray (n_k, d), keys
    V : ndarray (n_k, d_v), values
    mask : ndarray (n_q, n_k) of bool, True where query i may attend to key j; every row has at least one True

    Returns
    -------
    out : ndarray (n_q, d_v), A V
    A : ndarray (n_q, n_k), the row-wise softmax of Q K^T / sqrt(d) over the allowed keys; masked keys get
        weight exactly 0. Scores may be large: the softmax must not overflow.
    """
    return _att.scaled_dot_product_attention(Q, K, V, mask=mask)


# -- 4.18.3 Transformer architectures: the sliding-window + global attention mask -----------------------------------

def _longformer_loop(n, window, n_global, causal):
    """a loop over the definition, entry by entry"""
    M = np.zeros((n, n), dtype=bool)
    for i in range(n):
        for j in range(n):
            near = window is None or abs(i - j) <= window
            M[i, j] = (near or i < n_global or j < n_global) and (j <= i or not causal)
    return M


def _longformer_inputs(rng, size):
    n = int(rng.integers(1, size + 3))
    window = None if rng.random() < 0.2 else int(rng.integers(0, n + 1))
    return {"n": n, "window": window, "n_global": int(rng.integers(0, min(n, 3) + 1)),
            "causal": bool(rng.integers(0, 2))}


def _longformer_diagonal(kwargs, out):
    assert np.all(np.diagonal(np.asarray(out))), "a position may not attend to itself"


def _longformer_symmetry(kwargs, out):
    M = np.asarray(out, dtype=bool)
    if kwargs["causal"]:
        assert not np.any(np.triu(M, 1)), "a causal mask lets a query see a later key"
    else:
        assert np.array_equal(M, M.T), "a non-causal mask is not symmetric"


@as_exercise(
    "4.18.3", reference=_longformer_loop, inputs=_longformer_inputs, difficulty=1,
    edge_cases={
        "window 0, no global token: each position sees only itself": {"n": 4, "window": 0, "n_global": 0,
                                                                         "causal": False},
        "no window, causal: the lower triangle": {"n": 4, "window": None, "n_global": 0, "causal": True},
        "a global first token sees and is seen by every position": {"n": 6, "window": 1, "n_global": 1,
                                                                    "causal": False},
        "causal with a global token: it still cannot see the future": {"n": 5, "window": 1, "n_global": 1,
                                                                       "causal": True},
    },
    properties={
        "the diagonal is True": _longformer_diagonal,
        "symmetric when not causal, nothing above the diagonal when causal": _longformer_symmetry,
    },
    hints=(r"Entry \((i, j)\) is True when \(|i - j| \le w\), or when \(i\) or \(j\) is one of the first "
           r"\(g\) (global) positions; a causal mask then also requires \(j \le i\).",
           r"Build it from index grids: <code>i = np.arange(n)[:, None]</code>, <code>j = np.arange(n)[None, "
           r":]</code>, and combine boolean arrays with <code>|</code> and <code>&amp;</code>."),
    key_line="M = (np.abs(i - j) <= w) | (i < g) | (j < g)",
    shows=(_sa.longformer_mask, _sa._longformer),
)
def window_global_mask(n, window, n_global, causal):
    """The boolean attention mask of sliding-window attention with global tokens (Longformer style).

    Parameters
    ----------
    n : int >= 1, sequence length
    window : int >= 0 or None
        Half-width w of the band: query i sees keys j with |i - j| <= w. None: no band limit.
    n_global : int in [0, n]
        The first n_global positions are global: they see every key and every query sees them.
    causal : bool
        Also hide the future: j > i is False, even for global tokens.

    Returns
    -------
    ndarray (n, n) of bool: True where query i may attend to key j.
    """
    return _sa.longformer_mask(n, window, n_global, causal=causal)


# -- 4.19 Speculative decoding: one draft-and-verify round ----------------------------------------------------------

def _speculative_loop(p, q, u_draft, u_accept, u_final):
    """a loop over the rules of the round"""
    gamma = len(q)
    drafted = [inverse_cdf(q[j], u_draft[j]) for j in range(gamma)]
    for j, x in enumerate(drafted):
        if not u_accept[j] < min(1.0, p[j][x] / q[j][x]):
            leftover = [max(0.0, a - b) for a, b in zip(p[j], q[j])]
            total = sum(leftover)
            fix = inverse_cdf([v / total for v in leftover], u_final)
            return np.array(drafted[:j] + [fix]), j
    return np.array(drafted + [inverse_cdf(p[gamma], u_final)]), gamma


def _speculative_inputs(rng, size):
    gamma, V = int(rng.integers(1, min(size, 5) + 1)), int(rng.integers(2, size + 3))
    p = rng.dirichlet(np.ones(V), size=gamma + 1)
    q = 0.5 * p[:gamma] + 0.5 * rng.dirichlet(np.ones(V), size=gamma)     # a draft that roughly agrees
    return {"p": p, "q": q, "u_draft": rng.uniform(0, 0.99, gamma), "u_accept": rng.uniform(0, 1, gamma),
            "u_final": float(rng.uniform(0, 0.99))}


def _speculative_lengths(kwargs, out):
    tokens, n_acc = out
    assert len(tokens) == int(n_acc) + 1, "a round emits the accepted drafts plus exactly one more token"


def _speculative_prefix(kwargs, out):
    tokens, n_acc = out
    q, u = np.asarray(kwargs["q"]), kwargs["u_draft"]
    drafted = [min(int((u[j] >= np.cumsum(q[j])).sum()), q.shape[1] - 1) for j in range(len(q))]
    assert list(np.asarray(tokens)[:int(n_acc)]) == drafted[:int(n_acc)], \
        "the accepted tokens are not the drafted ones"


@as_exercise(
    "4.19", reference=_speculative_loop, inputs=_speculative_inputs, difficulty=3,
    edge_cases={
        "draft = target: everything is accepted, plus a bonus token": {
            "p": np.array([[0.2, 0.8], [0.5, 0.5], [0.9, 0.1]]), "q": np.array([[0.2, 0.8], [0.5, 0.5]]),
            "u_draft": np.array([0.1, 0.7]), "u_accept": np.array([0.99, 0.99]), "u_final": 0.6},
        "the draft picks a token the target rules out: rejected at once": {
            "p": np.array([[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]]), "q": np.array([[0.6, 0.2, 0.2]]),
            "u_draft": np.array([0.3]), "u_accept": np.array([0.0]), "u_final": 0.5},
        "the residual keeps only tokens where p exceeds q": {
            "p": np.array([[0.1, 0.3, 0.6], [0.2, 0.2, 0.6], [1.0, 0.0, 0.0]]),
            "q": np.array([[0.1, 0.3, 0.6], [0.5, 0.4, 0.1]]),
            "u_draft": np.array([0.5, 0.2]), "u_accept": np.array([0.5, 0.5]), "u_final": 0.0},
    },
    properties={
        "emits n_accepted + 1 tokens": _speculative_lengths,
        "the accepted tokens are the first drafted ones": _speculative_prefix,
    },
    hints=(r"Draft all \(\gamma\) tokens first (inverse CDF of each row of q). Then walk through them: keep "
           r"\(x_j\) when \(u_j < p_j(x_j) / q_j(x_j)\); at the first rejection draw the replacement from "
           r"\(\max(0, p_j - q_j)\), normalised, and stop.",
           r"If every draft survives, the extra token comes from the target's last row \(p_\gamma\). Both the "
           r"replacement and the bonus use <code>u_final</code>."),
    key_line="if u_accept[j] * q[j][x] >= p[j][x]: return drafted[:j] + [sample(residual(p[j], q[j]), u_final)]",
    shows=(_decoding.speculative_step, _decoding._residual, _decoding._sample),
)
def speculative_round(p, q, u_draft, u_accept, u_final):
    """One round of speculative decoding with the random numbers given.

    Sampling a token from a distribution r with a uniform u means the inverse CDF: the smallest k with
    u < r_0 + ... + r_k (the last token if rounding leaves none).

    Parameters
    ----------
    p : ndarray (gamma + 1, V), the target's next-token distributions after 0, 1, ..., gamma drafted tokens
    q : ndarray (gamma, V), the draft's distributions after 0, ..., gamma - 1 drafted tokens
    u_draft : ndarray (gamma,), uniforms: drafted token j is sampled from q[j] with u_draft[j]
    u_accept : ndarray (gamma,), uniforms: drafted token x_j is kept when u_accept[j] < p[j][x_j] / q[j][x_j]
    u_final : float, the uniform for the one token drawn at the end: at the first rejection (position j),
        from max(0, p[j] - q[j]) normalised; if all gamma are kept, from p[gamma]

    Returns
    -------
    tokens : ndarray of int, the emitted tokens (the kept drafts, then the final token)
    n_accepted : int, the number of drafted tokens kept
    """
    gamma = len(q)
    steps = _decoding.speculative_step(lambda seq: p[len(seq) - 1], lambda seq: q[len(seq) - 1], (0,), gamma,
                                       Replay(random=[*u_draft, u_final], scalars={"random": u_accept}))
    return np.array(steps.tokens), steps.n_accepted


# -- 4.20 Vision transformers: the patch embedding ------------------------------------------------------------------

def _patch_embed_loop(images, patch, W, b):
    """slicing patch by patch, then a loop over the output features"""
    B, H, Wd, _ = images.shape
    out = np.zeros((B, (H // patch) * (Wd // patch), W.shape[1]))
    for n in range(B):
        k = 0
        for r in range(0, H, patch):
            for c in range(0, Wd, patch):
                pixels = images[n, r:r + patch, c:c + patch, :].ravel()
                for f in range(W.shape[1]):
                    out[n, k, f] = sum(float(v) * float(w) for v, w in zip(pixels, W[:, f])) + float(b[f])
                k += 1
    return out


def _patch_embed_inputs(rng, size):
    patch = int(rng.integers(1, 4))
    rows, cols = int(rng.integers(1, 3)), int(rng.integers(1, 2 + size // 4))
    C, d = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    B = 1 + size // 8
    return {"images": rng.standard_normal((B, rows * patch, cols * patch, C)), "patch": patch,
            "W": rng.standard_normal((patch * patch * C, d)), "b": rng.standard_normal(d)}


def _patch_embed_shape(kwargs, out):
    B, H, Wd, _ = np.shape(kwargs["images"])
    p = kwargs["patch"]
    want = (B, (H // p) * (Wd // p), np.shape(kwargs["W"])[1])
    assert np.shape(out) == want, f"the output has shape {np.shape(out)}, expected {want}"


@as_exercise(
    "4.20", reference=_patch_embed_loop, inputs=_patch_embed_inputs, difficulty=2,
    edge_cases={
        "patch = 1: every pixel is a token": {
            "images": np.arange(6.0).reshape(1, 2, 3, 1), "patch": 1, "W": np.array([[2.0, -1.0]]),
            "b": np.array([0.5, 0.0])},
        "one patch covering the whole image: a single token": {
            "images": np.arange(8.0).reshape(1, 2, 2, 2), "patch": 2, "W": np.eye(8)[:, :3],
            "b": np.zeros(3)},
        "patches go row by row; pixels row, column, channel": {
            "images": np.arange(32.0).reshape(1, 4, 4, 2), "patch": 2, "W": np.eye(8), "b": np.zeros(8)},
    },
    properties={"one token per patch, d_model features": _patch_embed_shape},
    hints=(r"Reshape \((B, H, W, C)\) to \((B, H/P, P, W/P, P, C)\), move the two patch-grid axes in front of "
           r"the two within-patch axes, and flatten: \((B, N, P^2 C)\).",
           r"The embedding is then one matrix product for all patches at once: <code>patches @ W + b</code>."),
    key_line="x = images.reshape(B, H // p, p, W // p, p, C).transpose(0, 1, 3, 2, 4, 5).reshape(B, -1, p * p * C)",
    shows=(_vit.patchify, _vit._patchify, _vit.PatchEmbedding),
)
def patch_embed(images, patch, W, b):
    """The patch embedding of a vision transformer: cut, flatten, project.

    Parameters
    ----------
    images : ndarray (B, H, W_img, C), channels last
    patch : int P, dividing H and W_img
    W : ndarray (P * P * C, d), b : ndarray (d,), the linear projection of a flattened patch

    Returns
    -------
    ndarray (B, N, d) with N = (H / P)(W_img / P): token k of image n is patch (r, c) with k = r * W_img / P + c
    (row by row), its pixels images[n, rP:(r+1)P, cP:(c+1)P, :] flattened in (row, column, channel) order,
    times W plus b.
    """
    B, H, Wd, C = images.shape
    layer = _vit.PatchEmbedding((H, Wd), patch, C, W.shape[1])
    tokens, _ = layer.forward(images, {"W": W, "b": b})
    return tokens

"""Practice exercises of three later pages: 4.45 internal covariate shift, 4.46 saliency maps, 5.2 value- vs
policy-based RL."""

from __future__ import annotations

import numpy as np
import scipy.linalg

from mlsheet_utils.algorithms import aliasing as _al
from mlsheet_utils.algorithms import interpret as _interp
from mlsheet_utils.algorithms import policy_gradient as _pg
from mlsheet_utils.algorithms import rl as _rl
from mlsheet_utils.algorithms.nn import covariate_shift as _ics
from mlsheet_utils.algorithms.nn import layers as _layers
from mlsheet_utils.checks.practice import as_exercise
from mlsheet_utils.practice._support import complex_step_gradient, softmax_policy_value

# -- 4.45 Internal covariate shift: the shift of a layer's gradient when the layers below move -----------------

def _mlp_loss_batched(Ws, bs, X, y):
    """Mean softmax cross-entropy of a ReLU MLP; every parameter may carry a leading batch axis (complex ok)."""
    h = np.asarray(X, float)
    for i, (W, b) in enumerate(zip(Ws, bs)):
        z = h @ W + b[..., None, :]
        h = z if i == len(Ws) - 1 else np.where(z.real > 0, z, 0.0)
    m = h.real.max(-1, keepdims=True)
    lse = m[..., 0] + np.log(np.exp(h - m).sum(-1))
    y = np.asarray(y)
    picked = h[..., np.arange(y.size), y]
    return (lse - picked).mean(-1)


def _mlp_grad_complex_step(Ws, bs, X, y, which):
    """d loss / d (Ws[l], bs[l]) for l in ``which``, one complex-step perturbation per parameter (batched)."""
    out = {}
    for l_ in which:
        for kind, arrs in (("W", Ws), ("b", bs)):

            def loss(pert, kind=kind, l_=l_):
                n = len(pert)
                Wc = [np.broadcast_to(np.asarray(W, float), (n, *np.shape(W))) for W in Ws]
                bc = [np.broadcast_to(np.asarray(b, float), (n, *np.shape(b))) for b in bs]
                (Wc if kind == "W" else bc)[l_] = pert
                return _mlp_loss_batched(Wc, bc, X, y)

            out[kind, l_] = complex_step_gradient(loss, arrs[l_], batched=True)
    return out


def _shift_complex_step(Ws, bs, X, y, lr):
    """complex-step derivatives of a numpy forward pass"""
    L = len(Ws) - 1
    g = _mlp_grad_complex_step(Ws, bs, X, y, range(L))
    shift = np.zeros(L)
    for l_ in range(1, L):
        Wm = [np.asarray(W, float) - lr * g["W", j] if j < l_ else np.asarray(W, float) for j, W in enumerate(Ws)]
        bm = [np.asarray(b, float) - lr * g["b", j] if j < l_ else np.asarray(b, float) for j, b in enumerate(bs)]
        g_after = _mlp_grad_complex_step(Wm, bm, X, y, [l_])["W", l_]
        shift[l_] = np.linalg.norm(g_after - g["W", l_]) / np.linalg.norm(g["W", l_])
    return shift


def _shift_inputs(rng, size):
    for _ in range(100):                          # redraw the rare net whose ReLUs leave a layer's gradient at 0
        n, d, K = size + 1, int(rng.integers(1, 4)), int(rng.integers(2, 4))
        widths = [d] + [int(rng.integers(2, 5)) for _ in range(int(rng.integers(1, 4)))] + [K]
        Ws = [rng.normal(0, 1 / np.sqrt(a), (a, c)) for a, c in zip(widths[:-1], widths[1:])]
        bs = [rng.normal(0, 0.3, c) for c in widths[1:]]
        kw = {"Ws": Ws, "bs": bs, "X": rng.normal(size=(n, d)), "y": rng.integers(0, K, n),
              "lr": float(rng.uniform(0.1, 1.0))}
        g = _mlp_grad_complex_step(Ws, bs, kw["X"], kw["y"], range(len(Ws) - 1))
        if min(np.linalg.norm(g["W", j]) for j in range(len(Ws) - 1)) > 1e-3:
            return kw
    raise RuntimeError("no usable network drawn")   # pragma: no cover


def _shift_first_layer_zero(kwargs, out):
    out = np.asarray(out, float)
    assert out.shape == (len(kwargs["Ws"]) - 1,), f"expected one value per hidden layer, got shape {out.shape}"
    assert out[0] == 0, f"the first hidden layer has no layer below it, yet its shift is {out[0]:.4g}"


def _shift_nonneg(kwargs, out):
    out = np.asarray(out, float)
    assert np.all(np.isfinite(out)) and np.all(out >= 0), "a relative norm must be finite and non-negative"


_POS = {"Ws": [np.array([[1.0, 0.5], [0.5, 1.0]]), np.array([[1.0, -0.5], [0.3, 1.0]]),
               np.array([[1.0, -1.0], [-1.0, 1.0]])],
        "bs": [np.array([0.1, 0.2]), np.array([0.5, 0.5]), np.array([0.0, 0.0])]}


@as_exercise(
    "4.45", reference=_shift_complex_step, inputs=_shift_inputs, difficulty=3,
    edge_cases={
        "one hidden layer: nothing below it moves, the shift is 0": {
            "Ws": [np.array([[1.0, -1.0, 0.5]]), np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])],
            "bs": [np.array([0.2, 0.3, 0.1]), np.zeros(2)], "X": np.array([[1.0], [-0.5], [2.0]]),
            "y": np.array([0, 1, 1]), "lr": 0.5},
        "a single example": {**_POS, "X": np.array([[1.0, 2.0]]), "y": np.array([1]), "lr": 0.3},
        "every ReLU active: the second hidden layer feels the first one's step": {
            **_POS, "X": np.array([[1.0, 2.0], [2.0, 0.5], [0.3, 0.3]]), "y": np.array([0, 1, 0]), "lr": 1.0},
    },
    properties={
        "one value per hidden layer, 0 for the first": _shift_first_layer_zero,
        "finite and non-negative": _shift_nonneg,
    },
    hints=(r"Write one function that returns every layer's gradient: a forward pass that keeps each layer's "
           r"input and pre-activation, then backpropagate \((\mathrm{softmax}(z) - \mathrm{onehot}(y))/n\), "
           r"with \(G_l = h_{l-1}^\top \delta_l\) and \(\delta_{l-1} = (\delta_l W_l^\top) \odot [z_{l-1} > 0]\).",
           r"For hidden layer \(l\): copy the parameters, step only the layers \(j < l\) by "
           r"\(-\eta\,\nabla_j\), recompute, and compare \(\lVert G_l' - G_l\rVert / \lVert G_l \rVert\) "
           r"(Frobenius norms). Layer 0 has nothing below it."),
    key_line="moved = [{k: v - lr * grads[j][k] for k, v in p.items()} if j < l else p for j, p in enumerate(params)]",
    shows=(_ics.track_training,),
)
def layer_gradient_shift(Ws, bs, X, y, lr):
    """How much each hidden layer's weight gradient changes when only the layers below it take a gradient step.

    The network is ``z_l = h_{l-1} @ Ws[l] + bs[l]`` with ``h_{-1} = X``, ``h_l = relu(z_l)`` for the hidden
    layers ``l = 0 .. L-1`` and logits ``z_L`` (no activation); the loss is the softmax cross-entropy of the
    logits against ``y``, averaged over the ``n`` examples.

    Parameters
    ----------
    Ws : list of L + 1 ndarrays, ``Ws[l]`` of shape (n_l, n_{l+1}); ``n_0 = d``, the last width is the number
        of classes K.
    bs : list of L + 1 ndarrays, ``bs[l]`` of shape (n_{l+1},)
    X : ndarray, shape (n, d)
    y : ndarray of int, shape (n,), labels in 0 .. K-1
    lr : float > 0, the gradient-descent step size.

    Returns
    -------
    shift : ndarray, shape (L,)
        ``shift[l] = ||G_l' - G_l|| / ||G_l||`` (Frobenius norms), where ``G_l`` is d loss / d Ws[l] at the given
        parameters and ``G_l'`` the same gradient after every layer ``j < l`` (weights and biases) is moved by
        ``-lr`` times its own gradient, layers ``j >= l`` unchanged. ``shift[0] = 0``.
    """
    widths = [np.shape(W)[1] for W in Ws[:-1]]
    net = _ics.mlp(np.shape(Ws[0])[0], widths, np.shape(Ws[-1])[1])
    params = []
    for W, b in zip(Ws, bs):
        params += [{"W": np.asarray(W, float), "b": np.asarray(b, float)}, {}]
    trace = _ics.track_training(net, params[:-1], X, np.asarray(y), steps=1, learning_rate=lr, rng=0)
    return trace.ics[0]


# -- 4.46 Saliency maps: integrated gradients of a one-hidden-layer tanh network ---------------------------------

def _tanh_score(W1, b1, W2, b2, Z, target):
    """f_c(z) = (tanh(z W1 + b1) W2 + b2)[c] for a batch of inputs (complex allowed)."""
    return np.tanh(Z @ np.asarray(W1, float) + b1) @ np.asarray(W2, float)[:, target] + b2[target]


def _ig_complex_step(W1, b1, W2, b2, x, baseline, target, steps):
    """complex-step derivatives at the midpoints"""
    x, base = np.asarray(x, float), np.asarray(baseline, float)
    d = x.size
    total = np.zeros(d)
    for k in range(steps):
        point = base + (k + 0.5) / steps * (x - base)
        total += complex_step_gradient(lambda Z: _tanh_score(W1, b1, W2, b2, Z, target), point, batched=True)
    return (x - base) * total / steps


def _ig_inputs(rng, size):
    d, H, k = size, int(rng.integers(1, 6)), int(rng.integers(1, 5))
    x = rng.normal(size=d)
    baseline = np.zeros(d) if rng.random() < 0.5 else rng.normal(0, 0.5, d)
    same = rng.random(d) < 0.2                                 # some features sit at their baseline
    x[same] = baseline[same]
    return {"W1": rng.normal(0, 1 / np.sqrt(d), (d, H)), "b1": rng.normal(0, 0.5, H),
            "W2": rng.normal(size=(H, k)), "b2": rng.normal(size=k), "x": x, "baseline": baseline,
            "target": int(rng.integers(0, k)), "steps": int(rng.integers(1, 33))}


def _ig_zero_at_baseline(kwargs, out):
    same = np.asarray(kwargs["x"]) == np.asarray(kwargs["baseline"])
    out = np.asarray(out, float)
    assert out.shape == np.shape(kwargs["x"]), f"expected one attribution per feature, got shape {out.shape}"
    assert np.all(out[same] == 0), "a feature equal to its baseline must get exactly 0"


def _ig_completeness(kwargs, out):
    W1, b1, W2, b2, x, base, c, K = (kwargs[k] for k in ("W1", "b1", "W2", "b2", "x", "baseline", "target",
                                                          "steps"))
    gap = _tanh_score(W1, b1, W2, b2, np.stack([x, base]), c) @ np.array([1.0, -1.0])
    u = (np.asarray(x) - base) @ W1                            # slope of each hidden pre-activation on the path
    # sum(IG) is the K-point midpoint rule for the integral of g'(t), g(t) = f_c(b + t(x - b)); it errs by at most
    # max|g'''| / (24 K^2), and |g'''| <= max|tanh'''| * sum_j |W2[j, c]| |u_j|^3 with max|tanh'''| = 2
    bound = 2 * np.abs(W2[:, c]) @ np.abs(u) ** 3 / (24 * K**2)
    err = abs(float(np.sum(out)) - gap)
    assert err <= bound + 1e-9 * (1 + abs(gap)), \
        f"the attributions sum to {np.sum(out):.6g}, f(x) - f(b) = {gap:.6g}: off by more than the midpoint bound"


_IG_NET = {"W1": np.array([[1.0, -0.5], [0.5, 2.0]]), "b1": np.array([0.1, -0.2]),
           "W2": np.array([[1.0, -1.0], [2.0, 0.5]]), "b2": np.array([0.0, 0.3])}


@as_exercise(
    "4.46", reference=_ig_complex_step, inputs=_ig_inputs, difficulty=2,
    edge_cases={
        "x equals the baseline: every attribution is 0": {
            **_IG_NET, "x": np.array([0.4, -0.3]), "baseline": np.array([0.4, -0.3]), "target": 1, "steps": 8},
        "one step: (x - b) times the gradient at the midpoint": {
            **_IG_NET, "x": np.array([1.0, 1.0]), "baseline": np.zeros(2), "target": 0, "steps": 1},
        "a feature at its baseline gets 0, the other gets the whole gap (to the midpoint error)": {
            **_IG_NET, "x": np.array([2.0, 0.0]), "baseline": np.zeros(2), "target": 0, "steps": 20},
    },
    properties={
        "a feature equal to its baseline gets exactly 0": _ig_zero_at_baseline,
        "the attributions add up to f(x) - f(b) within the midpoint rule's error bound": _ig_completeness,
    },
    hints=(r"By the chain rule, \(\partial f_c/\partial x = W_1 \big((1 - \tanh^2(xW_1 + b_1)) \odot W_2[:, c]\big)\): "
           r"one backward pass. Vectorise it over a batch of inputs (one row per path point).",
           r"The path points are \(b + t_k (x - b)\) with midpoints \(t_k = (k + \tfrac12)/K\), "
           r"\(k = 0, \dots, K-1\); average the gradients over them and multiply by \(x - b\) feature by feature."),
    key_line="return (x - baseline) * grads.mean(axis=0)",
    shows=(_interp._input_gradient, _interp.integrated_gradients),
)
def tanh_integrated_gradients(W1, b1, W2, b2, x, baseline, target, steps):
    """Integrated-gradients attributions of one class score of a one-hidden-layer tanh network.

    The score is ``f_c(x) = (tanh(x @ W1 + b1) @ W2 + b2)[c]`` with ``c = target``. Attribute it along the
    straight path from ``baseline`` to ``x`` with the K-point midpoint rule (K = ``steps``):
    ``IG_i = (x_i - b_i) * mean over k = 0..K-1 of d f_c / d x_i at b + (k + 1/2)/K * (x - b)``.

    Parameters
    ----------
    W1 : ndarray, shape (d, H)
    b1 : ndarray, shape (H,)
    W2 : ndarray, shape (H, k)
    b2 : ndarray, shape (k,)
    x : ndarray, shape (d,), the input to explain
    baseline : ndarray, shape (d,), the reference input b
    target : int in 0 .. k-1, the class c
    steps : int >= 1, K

    Returns
    -------
    ig : ndarray, shape (d,)
        One attribution per feature; they add up to about f_c(x) - f_c(b).
    """
    net = _layers.Sequential(_layers.Linear(len(W1), len(b1)), _layers.Activation("tanh"),
                             _layers.Linear(len(b1), len(b2)))
    params = [{"W": W1, "b": b1}, {}, {"W": W2, "b": b2}]
    return _interp.integrated_gradients(net, params, x, baseline, target, steps)


# -- 5.2 Value vs. policy based RL: the policy gradient when states share an observation --------------------------

def _aliased_pg_complex_step(P, R, gamma, theta, obs, start):
    """complex-step derivatives of the start value (scipy.linalg.solve)"""
    P, R, theta = (np.asarray(a, float) for a in (P, R, theta))
    obs = np.asarray(obs)

    def J(th):                                                   # each state's logits are its observation's
        return softmax_policy_value(P, R, gamma, th[obs], start, solve=scipy.linalg.solve)

    return float(J(theta.astype(complex)).real), complex_step_gradient(J, theta)


def _aliased_pg_inputs(rng, size):
    S = 1 + size // 2 + int(rng.integers(0, 2))
    A, O = int(rng.integers(1, 4)), int(rng.integers(1, S + 1))
    obs = rng.permutation(np.concatenate([np.arange(O), rng.integers(0, O, S - O)]))   # every observation used
    return {"P": rng.dirichlet(np.ones(S), size=(S, A)), "R": rng.normal(size=(S, A)),
            "gamma": float(rng.uniform(0.3, 0.95)), "theta": rng.normal(size=(O, A)), "obs": obs,
            "start": int(rng.integers(S))}


def _aliased_rows_sum_to_zero(kwargs, out):
    grad = np.asarray(out[1], float)
    shape = np.shape(kwargs["theta"])
    assert grad.shape == shape, f"the gradient has shape {grad.shape}, theta {shape}"
    gap = np.abs(grad.sum(1)).max()
    assert gap <= 1e-9 * (1 + np.abs(grad).max()), f"a row of the gradient sums to {gap:.3g}, not 0"


def _aliased_value_bound(kwargs, out):
    bound = np.abs(kwargs["R"]).max() / (1 - kwargs["gamma"])
    assert abs(out[0]) <= bound + 1e-9, f"|J| = {abs(out[0]):.6g} exceeds max|R| / (1 - gamma) = {bound:.6g}"


def _corridor(gamma):
    P = np.zeros((4, 2, 4))
    for s_, (left, right) in enumerate([(0, 1), (2, 0), (1, 3)]):      # in cell 1 the moves are swapped
        P[s_, 0, left] = P[s_, 1, right] = 1.0
    P[3, :, 3] = 1.0
    return {"P": P, "R": np.array([[-1.0, -1.0]] * 3 + [[0.0, 0.0]]), "gamma": gamma}


@as_exercise(
    "5.2", reference=_aliased_pg_complex_step, inputs=_aliased_pg_inputs, difficulty=3,
    edge_cases={
        "switched corridor, three look-alike cells, p = 1/2: going right more often pays": {
            **_corridor(0.9), "theta": np.zeros((1, 2)), "obs": np.array([0, 0, 0, 0]), "start": 0},
        "every state its own observation: the tabular softmax gradient": {
            "P": np.array([[[0.2, 0.8], [0.9, 0.1]], [[0.5, 0.5], [0.0, 1.0]]]),
            "R": np.array([[1.0, -1.0], [0.5, 2.0]]), "gamma": 0.8, "theta": np.array([[0.3, -0.2], [1.0, 0.0]]),
            "obs": np.array([0, 1]), "start": 1},
        "one action: nothing to learn, the gradient is 0": {
            "P": np.array([[[0.5, 0.5]], [[0.2, 0.8]]]), "R": np.array([[1.0], [2.0]]), "gamma": 0.7,
            "theta": np.array([[0.4]]), "obs": np.array([0, 0]), "start": 0},
    },
    properties={
        "each row of the gradient sums to 0 (adding a constant to a row changes nothing)": _aliased_rows_sum_to_zero,
        "|J| is at most max|R| / (1 - gamma)": _aliased_value_bound,
    },
    hints=(r"First solve the tabular problem with state logits \(\phi_s = \theta_{o(s)}\): "
           r"\(v_\pi\) by one linear solve, \(q_\pi = R + \gamma P v_\pi\), the discounted occupancy "
           r"\(d_\pi^\top = (1-\gamma)\,e_{s_0}^\top (I - \gamma P_\pi)^{-1}\), and "
           r"\(\partial J/\partial \phi_{sa} = d_\pi(s)\,\pi(a|s)\,(q_\pi(s,a) - v_\pi(s))/(1-\gamma)\).",
           r"Chain rule: every state that shows observation \(o\) uses the row \(\theta_o\), so "
           r"\(\partial J/\partial\theta_{o} = \sum_{s:\,o(s)=o} \partial J/\partial\phi_{s}\): a sum, not a mean "
           r"(<code>np.add.at</code>)."),
    key_line="np.add.at(grad, obs, g_states)",
    shows=(_pg.exact_policy_gradient, _al.observation_policy_gradient, _al._gradient),
)
def aliased_policy_gradient(P, R, gamma, theta, obs, start):
    """The objective J = v_pi(start) of a softmax policy over observations, and its exact gradient.

    States that share an observation must act alike: pi(a | s) = exp(theta[o(s), a]) / sum_b exp(theta[o(s), b])
    with ``o(s) = obs[s]``.

    Parameters
    ----------
    P : ndarray, shape (S, A, S)
        ``P[s, a, t]``: probability of moving from ``s`` to ``t`` with action ``a``.
    R : ndarray, shape (S, A)
        Expected immediate rewards.
    gamma : float in [0, 1)
    theta : ndarray, shape (O, A), one row of logits per observation
    obs : ndarray of int, shape (S,), values in 0 .. O-1, each observation shown by at least one state
    start : int, the start state s_0

    Returns
    -------
    J : float
        The discounted value of ``start`` under the policy.
    grad : ndarray, shape (O, A)
        dJ / dtheta[o, a].
    """
    P = np.asarray(P, float)
    mdp = _rl.MDP(P, np.asarray(R, float), np.zeros(len(P), bool), gamma, start)
    return _al.observation_policy_gradient(mdp, theta, obs)

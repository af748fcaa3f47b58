"""Practice exercises of chapter 5's reinforcement-learning pages, part 2 (5.3 to 5.21)."""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
import scipy.linalg
import scipy.special

from mlsheet_utils.algorithms import actor_critic as _ac
from mlsheet_utils.algorithms import alphago as _alphago
from mlsheet_utils.algorithms import bandits as _bandits
from mlsheet_utils.algorithms import markov as _markov
from mlsheet_utils.algorithms import mcts as _mcts
from mlsheet_utils.algorithms import policy_gradient as _pg
from mlsheet_utils.algorithms import rl as _rl
from mlsheet_utils.algorithms import rl_prediction as _rp
from mlsheet_utils.algorithms import rlhf as _rlhf
from mlsheet_utils.algorithms import trust_region as _tr
from mlsheet_utils.algorithms.nn import dqn as _dqn
from mlsheet_utils.checks.practice import as_exercise
from mlsheet_utils.checks.practice import compare as _compare
from mlsheet_utils.practice._support import Replay, complex_step_gradient, inverse_cdf, softmax_policy_value

# -- shared helpers -------------------------------------------------------------------------------------------


def _random_mdp(rng, size, max_actions=3):
    """A random dense MDP: P (S, A, S) rows from a Dirichlet, R (S, A) normal, gamma in [0.3, 0.95]."""
    S = 1 + size // 2                     # size 1: a single state
    A = int(rng.integers(1, max_actions + 1))
    P = rng.dirichlet(np.ones(S), size=(S, A))
    R = rng.normal(size=(S, A))
    return P, R, float(rng.uniform(0.3, 0.95))


def _mdp(P, R, gamma, start=0):
    P = np.asarray(P, float)
    return _rl.MDP(P, np.asarray(R, float), np.zeros(P.shape[0], bool), gamma, start)


def _random_policy(rng, S, A):
    return rng.dirichlet(np.ones(A), size=S)


# -- 5.3 Bellman equation: evaluate a fixed policy ------------------------------------------------------------

def _policy_value_scipy(P, R, gamma, policy):
    """scipy.linalg.solve of the Bellman expectation equation, built with loops"""
    S, A = np.shape(R)
    M = np.eye(S)
    r = np.zeros(S)
    for s in range(S):
        for a in range(A):
            r[s] += policy[s][a] * R[s][a]
            for t in range(S):
                M[s, t] -= gamma * policy[s][a] * P[s][a][t]
    return scipy.linalg.solve(M, r)


def _policy_value_inputs(rng, size):
    P, R, gamma = _random_mdp(rng, size)
    return {"P": P, "R": R, "gamma": gamma, "policy": _random_policy(rng, *R.shape)}


def _bellman_residual(kwargs, out):
    P, R, g, pi = (np.asarray(kwargs[k], float) for k in ("P", "R", "gamma", "policy"))
    rhs = (pi * (R + g * P @ np.asarray(out))).sum(1)
    gap = np.abs(rhs - out).max()
    assert gap <= 1e-8 * (1 + np.abs(out).max()), f"v differs from its one-step backup by {gap:.3g}"


def _value_bound(kwargs, out):
    bound = np.abs(kwargs["R"]).max() / (1 - kwargs["gamma"])
    assert np.all(np.abs(out) <= bound + 1e-9), f"|v| exceeds max|R| / (1 - gamma) = {bound:.4g}"


@as_exercise(
    "5.3", reference=_policy_value_scipy, inputs=_policy_value_inputs, difficulty=1,
    edge_cases={
        "gamma = 0: the value is the expected immediate reward": {
            "P": np.array([[[0.5, 0.5], [1.0, 0.0]], [[0.0, 1.0], [0.3, 0.7]]]),
            "R": np.array([[1.0, 3.0], [-2.0, 0.0]]), "gamma": 0.0,
            "policy": np.array([[0.25, 0.75], [0.5, 0.5]])},
        "an absorbing state with zero reward is worth 0": {
            "P": np.array([[[0.0, 1.0]], [[0.0, 1.0]]]), "R": np.array([[2.0], [0.0]]), "gamma": 0.9,
            "policy": np.ones((2, 1))},
        "one state looping on itself: r / (1 - gamma)": {
            "P": np.ones((1, 2, 1)), "R": np.array([[1.0, -1.0]]), "gamma": 0.5,
            "policy": np.array([[0.75, 0.25]])},
    },
    properties={
        "v satisfies v = r_pi + gamma P_pi v": _bellman_residual,
        "|v| is at most max|R| / (1 - gamma)": _value_bound,
    },
    hints=(r"Average over the policy first: \(r_\pi(s) = \sum_a \pi(a|s) R(s,a)\) and "
           r"\(P_\pi(s,s') = \sum_a \pi(a|s) P(s'|s,a)\). The Bellman expectation equation "
           r"\(v = r_\pi + \gamma P_\pi v\) is then a linear system.",
           r"Solve \((I - \gamma P_\pi) v = r_\pi\) with <code>np.linalg.solve</code> rather than iterating; "
           r"<code>np.einsum('sa,sat->st', pi, P)</code> builds \(P_\pi\)."),
    key_line="v = np.linalg.solve(np.eye(S) - gamma * P_pi, r_pi)",
    shows=(_rl.policy_evaluation,),
)
def bellman_policy_value(P, R, gamma, policy):
    """The exact state values of a stochastic policy in a finite MDP.

    Parameters
    ----------
    P : ndarray, shape (S, A, S)
        ``P[s, a, t]`` is the probability of moving to ``t`` after action ``a`` in ``s``.
    R : ndarray, shape (S, A)
        Expected immediate reward of action ``a`` in ``s``.
    gamma : float in [0, 1)
    policy : ndarray, shape (S, A)
        ``policy[s, a]`` = pi(a | s); rows sum to 1.

    Returns
    -------
    v : ndarray, shape (S,)
        v_pi(s), the expected discounted sum of rewards from ``s`` when following ``policy`` forever.
    """
    return _rl.policy_evaluation(_mdp(P, R, gamma), policy)


# -- 5.4 Policy gradient: J and its exact gradient for a tabular softmax policy --------------------------------

def _softmax_pg_complex_step(P, R, gamma, theta, start):
    """complex-step derivatives of the objective (scipy.linalg.solve)"""
    P, R, theta = (np.asarray(x, float) for x in (P, R, theta))

    def J(th):
        return softmax_policy_value(P, R, gamma, th, start, solve=scipy.linalg.solve)

    return float(J(theta.astype(complex)).real), complex_step_gradient(J, theta)


def _softmax_pg_inputs(rng, size):
    P, R, gamma = _random_mdp(rng, size)
    S, A = R.shape
    return {"P": P, "R": R, "gamma": gamma, "theta": rng.normal(size=(S, A)), "start": int(rng.integers(S))}


def _pg_rows_sum_to_zero(kwargs, out):
    gap = np.abs(np.asarray(out[1]).sum(1)).max()
    assert gap <= 1e-9 * (1 + np.abs(out[1]).max()), f"a row of the gradient sums to {gap:.3g}, not 0"


@as_exercise(
    "5.4", reference=_softmax_pg_complex_step, inputs=_softmax_pg_inputs, difficulty=3,
    edge_cases={
        "two-armed bandit: dJ/dtheta_0 = pi_0 pi_1 (r_0 - r_1)": {
            "P": np.array([[[0.0, 1.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]]),
            "R": np.array([[1.0, 0.0], [0.0, 0.0]]), "gamma": 0.9,
            "theta": np.array([[0.4, -0.7], [0.0, 0.0]]), "start": 0},
        "one action: the gradient is zero": {
            "P": np.array([[[0.5, 0.5]], [[0.2, 0.8]]]), "R": np.array([[1.0], [2.0]]), "gamma": 0.8,
            "theta": np.array([[0.3], [-1.0]]), "start": 1},
        "huge logits (a near-deterministic policy) stay finite": {
            "P": np.array([[[0.9, 0.1], [0.1, 0.9]], [[0.5, 0.5], [0.0, 1.0]]]),
            "R": np.array([[0.0, 1.0], [2.0, -1.0]]), "gamma": 0.7,
            "theta": np.array([[800.0, 0.0], [0.0, 3.0]]), "start": 0},
    },
    properties={"each row of the gradient sums to 0 (softmax is shift-invariant)": _pg_rows_sum_to_zero},
    hints=(r"\(J = v_\pi(s_0)\): evaluate the softmax policy with one linear solve, then "
           r"\(q_\pi = R + \gamma P v_\pi\).",
           r"The policy-gradient theorem: \(\partial J / \partial\theta_{sa} = \frac{1}{1-\gamma} d_\pi(s)\, "
           r"\pi(a|s)\,(q_\pi(s,a) - v_\pi(s))\), with the discounted occupancy "
           r"\(d_\pi^\top = (1-\gamma)\, e_{s_0}^\top (I - \gamma P_\pi)^{-1}\): a second solve, transposed."),
    key_line="grad = d[:, None] * pi * (q - v[:, None]) / (1 - gamma)",
    shows=(_pg.softmax_policy, _pg.exact_policy_gradient, _rl.discounted_occupancy),
)
def softmax_policy_gradient(P, R, gamma, theta, start):
    """The objective J(theta) = v_pi(start) of a tabular softmax policy and its exact gradient.

    Parameters
    ----------
    P : ndarray, shape (S, A, S)
        Transition probabilities ``P[s, a, t]``.
    R : ndarray, shape (S, A)
        Expected immediate rewards.
    gamma : float in [0, 1)
    theta : ndarray, shape (S, A)
        Logits: pi(a | s) = exp(theta[s, a]) / sum_b exp(theta[s, b]).
    start : int
        The start state s_0.

    Returns
    -------
    J : float
        The discounted value of ``start`` under pi_theta.
    grad : ndarray, shape (S, A)
        dJ / dtheta[s, a].
    """
    return _pg.exact_policy_gradient(_mdp(P, R, gamma, start), theta)


# -- 5.5 Markov chain: the stationary distribution -------------------------------------------------------------

def _stationary_null_space(P):
    """scipy.linalg.null_space, normalised to sum to 1"""
    P = np.asarray(P, float)
    v = scipy.linalg.null_space((P - np.eye(len(P))).T)[:, 0]
    return v / v.sum()


def _stationary_inputs(rng, size):
    k = 1 + size // 2
    return {"P": rng.dirichlet(np.full(k, rng.uniform(0.3, 2.0)), size=k)}


def _is_distribution(kwargs, out):
    out = np.asarray(out)
    assert np.all(out >= -1e-12), f"a probability is negative: {out.min():.3g}"
    assert abs(out.sum() - 1) <= 1e-9, f"the probabilities sum to {out.sum():.12g}, not 1"


def _is_stationary(kwargs, out):
    gap = np.abs(np.asarray(out) @ kwargs["P"] - out).max()
    assert gap <= 1e-9, f"pi P differs from pi by {gap:.3g}"


@as_exercise(
    "5.5", reference=_stationary_null_space, inputs=_stationary_inputs, difficulty=1,
    edge_cases={
        "one state: pi = [1]": {"P": np.array([[1.0]])},
        "a periodic two-cycle (power iteration never settles): pi = [1/2, 1/2]": {
            "P": np.array([[0.0, 1.0], [1.0, 0.0]])},
        "a transient state gets probability 0": {
            "P": np.array([[0.5, 0.5, 0.0], [0.0, 0.2, 0.8], [0.0, 0.6, 0.4]])},
        "a doubly stochastic matrix: pi is uniform": {
            "P": np.array([[0.2, 0.3, 0.5], [0.5, 0.2, 0.3], [0.3, 0.5, 0.2]])},
    },
    properties={"pi is a probability vector": _is_distribution, "pi P = pi": _is_stationary},
    hints=(r"\(\pi\) is a row vector with \(\pi P = \pi\), i.e. \((P - I)^\top \pi^\top = 0\): a homogeneous "
           r"system, singular on purpose, whose solution is fixed only up to scale.",
           r"One of the \(k\) balance equations is redundant: overwrite it with \(\sum_i \pi_i = 1\) and the "
           r"system has a unique solution (whenever the chain has a single closed class)."),
    key_line="M = P.T - np.eye(k); M[-1] = 1.0; pi = np.linalg.solve(M, np.eye(k)[-1])",
    shows=(_markov.stationary_solve,),
)
def chain_stationary(P):
    """The stationary distribution of a finite Markov chain, by one linear solve.

    Parameters
    ----------
    P : ndarray, shape (k, k)
        Row-stochastic: ``P[i, j]`` is the probability of moving from ``i`` to ``j``. The chain has a single
        closed communicating class, so the stationary distribution is unique (it may be periodic).

    Returns
    -------
    pi : ndarray, shape (k,)
        The probability vector with ``pi @ P == pi``.
    """
    return _markov.stationary_solve(P)


# -- 5.6 MDPs: policy iteration -------------------------------------------------------------------------------

def _best_policy_enumeration(P, R, gamma):
    """the best of all deterministic policies (enumeration)"""
    P, R = np.asarray(P, float), np.asarray(R, float)
    S, A = R.shape
    best_pi, best_v = None, None
    for pi in itertools.product(range(A), repeat=S):
        idx = list(range(S))
        v = scipy.linalg.solve(np.eye(S) - gamma * P[idx, list(pi)], R[idx, list(pi)])
        if best_v is None or np.all(v >= best_v - 1e-10):
            best_pi, best_v = np.array(pi), v
    return best_pi, best_v


def _policy_iteration_inputs(rng, size):
    S = 1 + size // 4                                   # at most 5 states: A ** S policies to enumerate
    A = int(rng.integers(1, 4))
    P = rng.dirichlet(np.ones(S), size=(S, A))
    return {"P": P, "R": rng.normal(size=(S, A)), "gamma": float(rng.uniform(0.3, 0.95))}


def _values_only(expected, obtained):
    """Compare the values; the policy is checked by the property (ties may pick another optimal action)."""
    if not isinstance(obtained, tuple) or len(obtained) != 2:
        return "expected a tuple (policy, V)"
    pi = np.asarray(obtained[0])
    if pi.shape != np.shape(expected[0]) or not np.issubdtype(pi.dtype, np.integer):
        return f"policy must be an int array of shape {np.shape(expected[0])}, got {pi.dtype} {pi.shape}"
    return _compare(expected[1], obtained[1])


def _policy_achieves_v(kwargs, out):
    P, R, g = (np.asarray(kwargs[k], float) for k in ("P", "R", "gamma"))
    idx = np.arange(len(R))
    pi = np.asarray(out[0], int)
    v = np.linalg.solve(np.eye(len(R)) - g * P[idx, pi], R[idx, pi])
    gap = np.abs(v - out[1]).max()
    assert gap <= 1e-8, f"the returned policy's own value differs from the returned V by {gap:.3g}"


def _greedy_wrt_v(kwargs, out):
    P, R, g = (np.asarray(kwargs[k], float) for k in ("P", "R", "gamma"))
    q = R + g * P @ np.asarray(out[1])
    gap = (q.max(1) - np.asarray(out[1])).max()
    assert gap <= 1e-8, f"some action beats V by {gap:.3g}: the policy can still be improved"


@as_exercise(
    "5.6", reference=_best_policy_enumeration, inputs=_policy_iteration_inputs, difficulty=2,
    compare=_values_only,
    edge_cases={
        "one action: V is that policy's value": {
            "P": np.array([[[0.5, 0.5]], [[1.0, 0.0]]]), "R": np.array([[1.0], [-1.0]]), "gamma": 0.5},
        "tied actions: keep action 0, stop at once": {
            "P": np.array([[[1.0], [1.0]]]), "R": np.array([[2.0, 2.0]]), "gamma": 0.5},
        "a short-term loss pays for a later gain": {
            "P": np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]]),
            "R": np.array([[0.0, -1.0], [5.0, 5.0]]), "gamma": 0.9},
    },
    properties={"the returned policy's value is the returned V": _policy_achieves_v,
                "no action improves on V (Bellman optimality)": _greedy_wrt_v},
    hints=(r"Start from 'always action 0'. Evaluate the current policy exactly: "
           r"\(v = (I - \gamma P_\pi)^{-1} r_\pi\), with \(P_\pi = P[s, \pi(s)]\) picked by fancy indexing.",
           r"Improve greedily, \(\pi'(s) = \arg\max_a R(s,a) + \gamma \sum_{s'} P(s'|s,a) v(s')\), but keep the "
           r"old action when it is tied with the best, or the loop may cycle; stop when nothing changes."),
    key_line="new = np.where(q[idx, pi] >= q.max(1) - 1e-12, pi, q.argmax(1))",
    shows=(_rl.policy_iteration_trace,),
)
def howard_policy_iteration(P, R, gamma):
    """An optimal deterministic policy and its values, by policy iteration.

    Parameters
    ----------
    P : ndarray, shape (S, A, S)
        Transition probabilities ``P[s, a, t]``.
    R : ndarray, shape (S, A)
        Expected immediate rewards.
    gamma : float in [0, 1)

    Returns
    -------
    policy : ndarray of int, shape (S,)
        An optimal action per state (start from action 0 everywhere; keep the current action on ties).
    V : ndarray, shape (S,)
        V*(s), the optimal discounted value.
    """
    trace = _rl.policy_iteration_trace(_mdp(P, R, gamma))
    return trace.policies[-1], trace.values[-1]


# -- 5.7 HMMs: the forward algorithm --------------------------------------------------------------------------

def _forward_enumeration(startprob, transmat, emissionprob, obs):
    """a sum over every hidden path (enumeration; in log space for long sequences)"""
    K, T = len(startprob), len(obs)
    if K ** T > 5000:
        return _forward_log_space(startprob, transmat, emissionprob, obs)
    alpha = np.zeros((T, K))
    for t in range(T):
        for path in itertools.product(range(K), repeat=t + 1):
            p = startprob[path[0]] * emissionprob[path[0]][obs[0]]
            for u in range(1, t + 1):
                p *= transmat[path[u - 1]][path[u]] * emissionprob[path[u]][obs[u]]
            alpha[t, path[-1]] += p
    likelihood = alpha[-1].sum()
    return float(np.log(likelihood)), alpha / alpha.sum(1, keepdims=True)


def _forward_log_space(startprob, transmat, emissionprob, obs):
    with np.errstate(divide="ignore"):
        log_pi, log_A, log_B = (np.log(np.asarray(x, float)) for x in (startprob, transmat, emissionprob))
    la = log_pi + log_B[:, obs[0]]
    rows = [la]
    for x in obs[1:]:
        la = scipy.special.logsumexp(la[:, None] + log_A, axis=0) + log_B[:, x]
        rows.append(la)
    rows = np.array(rows)
    log_lik = scipy.special.logsumexp(rows, axis=1)
    return float(log_lik[-1]), np.exp(rows - log_lik[:, None])


def _forward_inputs(rng, size):
    K = int(rng.integers(1, 4))
    V = int(rng.integers(2, 5))
    T = 1 + min(size, 16) // 3                          # T <= 6: K ** T paths for the reference
    return {"startprob": rng.dirichlet(np.ones(K)), "transmat": rng.dirichlet(np.ones(K), size=K),
            "emissionprob": rng.dirichlet(np.ones(V), size=K), "obs": rng.integers(0, V, size=T)}


def _filter_rows(kwargs, out):
    alpha = np.asarray(out[1])
    assert np.all(alpha >= -1e-12), "a filtered probability is negative"
    gap = np.abs(alpha.sum(1) - 1).max()
    assert gap <= 1e-9, f"a row of alpha sums to 1 {gap:+.3g}: each row is P(z_t | x_1..t)"


def _loglik_at_most_zero(kwargs, out):
    assert out[0] <= 1e-12, f"log P(x) = {out[0]:.6g} > 0"


@as_exercise(
    "5.7", reference=_forward_enumeration, inputs=_forward_inputs, difficulty=2,
    edge_cases={
        "T = 1: alpha is the normalised start times emission": {
            "startprob": np.array([0.3, 0.7]), "transmat": np.array([[0.9, 0.1], [0.2, 0.8]]),
            "emissionprob": np.array([[0.5, 0.5], [0.1, 0.9]]), "obs": np.array([1])},
        "a state that cannot emit the symbol gets filtered probability 0": {
            "startprob": np.array([0.5, 0.5]), "transmat": np.array([[0.6, 0.4], [0.4, 0.6]]),
            "emissionprob": np.array([[1.0, 0.0], [0.5, 0.5]]), "obs": np.array([0, 1, 1, 0])},
        "a long sequence does not underflow": {
            "startprob": np.array([0.5, 0.5]), "transmat": np.array([[0.95, 0.05], [0.1, 0.9]]),
            "emissionprob": np.array([[0.01, 0.99], [0.99, 0.01]]),
            "obs": np.tile([0, 1, 1, 0, 0, 0, 1, 1, 0, 1], 40)},
    },
    properties={"each row of alpha is a probability vector": _filter_rows,
                "log P(x) is at most 0": _loglik_at_most_zero},
    hints=(r"Recursion: \(\alpha_1(z) = \pi_z B_{z,x_1}\), then "
           r"\(\alpha_t(z) = \big[\sum_{z'} \alpha_{t-1}(z') A_{z'z}\big] B_{z,x_t}\): a row vector times "
           r"\(A\), times a column of \(B\).",
           r"Products of many probabilities underflow: divide each \(\alpha_t\) by its sum \(c_t\) and add up "
           r"\(\log c_t\); that sum is \(\log P(x_{1:T})\)."),
    key_line="a = (alpha[t - 1] @ A) * B[:, x[t]]; scale[t] = a.sum(); alpha[t] = a / scale[t]",
    shows=(_markov.forward, _markov._forward),
)
def hmm_forward_filter(startprob, transmat, emissionprob, obs):
    """The scaled forward algorithm of a categorical hidden Markov model.

    Parameters
    ----------
    startprob : ndarray, shape (K,)
        P(z_1 = k).
    transmat : ndarray, shape (K, K)
        ``transmat[i, j]`` = P(z_{t+1} = j | z_t = i).
    emissionprob : ndarray, shape (K, V)
        ``emissionprob[k, v]`` = P(x_t = v | z_t = k).
    obs : ndarray of int, shape (T,), T >= 1
        The observed symbols x_1 .. x_T.

    Returns
    -------
    log_likelihood : float
        log P(x_1 .. x_T).
    alpha : ndarray, shape (T, K)
        The filtered probabilities ``alpha[t, k]`` = P(z_t = k | x_1 .. x_t); rows sum to 1.
    """
    fw = _markov.forward(startprob, transmat, emissionprob, obs)
    return fw.log_likelihood, fw.alpha


# -- 5.8 Monte Carlo methods: first-visit and every-visit prediction ------------------------------------------

def _mc_value_loops(states, rewards, n_states, gamma, first_visit):
    """a loop over the definition (every visit, every return)"""
    total, count = [0.0] * n_states, [0] * n_states
    for ep_s, ep_r in zip(states, rewards):
        T = len(ep_s)
        for t in range(T):
            s = int(ep_s[t])
            if first_visit and s in [int(x) for x in ep_s[:t]]:
                continue
            total[s] += sum(gamma ** k * float(ep_r[t + k]) for k in range(T - t))
            count[s] += 1
    return np.array([total[s] / count[s] if count[s] else 0.0 for s in range(n_states)])


def _mc_value_inputs(rng, size):
    S = 1 + size // 3
    n_ep = int(rng.integers(1, 4))
    lengths = rng.integers(1, size + 2, size=n_ep)
    return {"states": [rng.integers(0, S, size=n) for n in lengths],
            "rewards": [rng.normal(size=n) for n in lengths],
            "n_states": S, "gamma": float(rng.choice([1.0, rng.uniform(0.5, 1.0)])),
            "first_visit": bool(rng.integers(2))}


def _mc_unseen_zero(kwargs, out):
    seen = np.zeros(kwargs["n_states"], bool)
    for ep in kwargs["states"]:
        seen[np.asarray(ep)] = True
    assert np.all(np.asarray(out)[~seen] == 0), "a state that was never visited should keep the value 0"


def _mc_between_returns(kwargs, out):
    g = kwargs["gamma"]
    all_G = [sum(g ** k * r for k, r in enumerate(rw[t:])) for rw in kwargs["rewards"] for t in range(len(rw))]
    lo, hi = min(all_G), max(all_G)
    assert np.all((out >= lo - 1e-9) | (out == 0)) and np.all((out <= hi + 1e-9) | (out == 0)), \
        f"a value lies outside the range of the observed returns [{lo:.4g}, {hi:.4g}]"


@as_exercise(
    "5.8", reference=_mc_value_loops, inputs=_mc_value_inputs, difficulty=2,
    edge_cases={
        "first visit of [0, 1, 0], rewards [1, 2, 3], gamma 1/2: V = [11/4, 7/2]": {
            "states": [np.array([0, 1, 0])], "rewards": [np.array([1.0, 2.0, 3.0])], "n_states": 2,
            "gamma": 0.5, "first_visit": True},
        "every visit of the same episode averages 11/4 and 3 for state 0": {
            "states": [np.array([0, 1, 0])], "rewards": [np.array([1.0, 2.0, 3.0])], "n_states": 2,
            "gamma": 0.5, "first_visit": False},
        "a state no episode visits keeps 0": {
            "states": [np.array([2]), np.array([0, 2])], "rewards": [np.array([4.0]), np.array([1.0, -1.0])],
            "n_states": 4, "gamma": 1.0, "first_visit": True},
    },
    properties={"unvisited states are 0": _mc_unseen_zero,
                "every value lies within the observed returns": _mc_between_returns},
    hints=(r"Compute every return-to-go of an episode in one backward pass, \(G_t = r_{t+1} + \gamma G_{t+1}\), "
           r"then V(s) is the mean of the kept returns of s over all episodes.",
           r"First-visit keeps only the return after the first occurrence of s in each episode: "
           r"<code>np.unique(states, return_index=True)</code> gives those positions; every-visit keeps all "
           r"(<code>np.bincount</code> with weights)."),
    key_line="seen, first = np.unique(ep_states, return_index=True); sums[seen] += G[first]; counts[seen] += 1",
    shows=(_rp.mc_prediction, _rp._returns),
)
def mc_value_estimate(states, rewards, n_states, gamma, first_visit):
    """Monte Carlo prediction of state values from complete episodes.

    Parameters
    ----------
    states : list of ndarray of int
        One array per episode: s_0 .. s_{T-1}, the states the episode passed through (in [0, n_states)).
    rewards : list of ndarray of float
        One array per episode, of the same length: r_1 .. r_T, the reward after leaving each state.
        Every episode ends in a terminal state after its last reward.
    n_states : int
    gamma : float in [0, 1]
    first_visit : bool
        True: per episode, use only the return from the first time a state appears; False: every time.

    Returns
    -------
    V : ndarray, shape (n_states,)
        The mean of the kept returns G_t = sum_k gamma^k r_{t+k+1} per state; 0 for a state with none.
    """
    episodes = [_pg.Episode(np.asarray(s, int), np.zeros(len(s), int), np.asarray(r, float), False)
                for s, r in zip(states, rewards)]
    return _rp.mc_prediction(episodes, n_states, gamma, first_visit=first_visit).V


# -- 5.9 Monte Carlo tree search: exact move values by minimax ------------------------------------------------

_LINES = [(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6)]


@functools.cache
def _negamax(board):
    """Value of ``board`` for the player to move (+1 win, 0 draw, -1 loss)."""
    me = 1 if sum(board) == 0 else -1
    for line in _LINES:
        if abs(sum(board[i] for i in line)) == 3:
            return -1                              # the previous player has just won
    empty = [i for i in range(9) if board[i] == 0]
    if not empty:
        return 0
    return max(-_negamax(board[:m] + (me,) + board[m + 1:]) for m in empty)


def _move_values_negamax(board):
    """negamax over the game tree (a separate memoised search)"""
    board = tuple(int(x) for x in board)
    me = 1 if sum(board) == 0 else -1
    out = np.full(9, np.nan)
    if any(abs(sum(board[i] for i in line)) == 3 for line in _LINES):
        return out
    for m in range(9):
        if board[m] == 0:
            out[m] = -_negamax(board[:m] + (me,) + board[m + 1:])
    return out


def _ttt_inputs(rng, size):
    n_pieces = max(2, 8 - size // 2)
    while True:
        board = [0] * 9
        for k in range(n_pieces):
            board[int(rng.choice([i for i in range(9) if board[i] == 0]))] = 1 if k % 2 == 0 else -1
        if _mcts.legal_moves(tuple(board)):         # not won, not full
            return {"board": tuple(board)}


def _ttt_nan_exactly_on_occupied(kwargs, out):
    out = np.asarray(out, float)
    occupied = np.asarray(kwargs["board"]) != 0
    assert np.array_equal(np.isnan(out), occupied), "nan must mark exactly the occupied squares"
    assert set(out[~occupied].tolist()) <= {-1.0, 0.0, 1.0}, "a move's value must be -1, 0 or 1"


@as_exercise(
    "5.9", reference=_move_values_negamax, inputs=_ttt_inputs, difficulty=2,
    edge_cases={
        "X to move can win at once: that square is worth +1": {"board": (1, 1, 0, -1, -1, 0, 0, 0, 0)},
        "O between two X corners: the corners lose, the edges draw": {"board": (1, 0, 0, 0, -1, 0, 0, 0, 1)},
        "one empty square left: the game's result for X": {"board": (1, -1, 1, 1, -1, -1, -1, 1, 0)},
    },
    properties={"nan exactly on occupied squares, values in {-1, 0, 1}": _ttt_nan_exactly_on_occupied},
    hints=(r"Write a recursive value of a position for X: the winner if the game is over (0 for a full "
           r"board), else the max over X's moves or the min over O's moves of the child's value.",
           r"A move's value for the player to move \(p\) is \(p\,v(\text{child})\). Memoise positions "
           r"(tuples are hashable, <code>functools.lru_cache</code>) so each is solved once."),
    key_line="return max(vals) if player == 1 else min(vals)",
    shows=(_mcts.minimax_value, _mcts._minimax_value, _mcts.minimax_move_values),
)
def ttt_move_values(board):
    """The exact minimax value of each legal move in a tic-tac-toe position.

    Parameters
    ----------
    board : tuple of 9 ints in {-1, 0, 1}
        Squares in row-major order; 1 is X, -1 is O, 0 is empty. X moves first, so X is to move when the
        counts are equal. The position is legal and the game is not over.

    Returns
    -------
    values : ndarray, shape (9,)
        For each empty square, the result of playing there under optimal play by both sides afterwards, from
        the point of view of the player to move: +1 win, 0 draw, -1 loss. ``nan`` on occupied squares.
    """
    return _mcts.minimax_move_values(board)


# -- 5.10 Multi-armed bandits: the UCB1 index -----------------------------------------------------------------

def _ucb_loop(means, counts, t, c):
    """a loop over the definition (math.log, math.sqrt)"""
    return np.array([means[a] + c * math.sqrt(math.log(t) / counts[a]) if counts[a] > 0 else math.inf
                     for a in range(len(means))])


def _ucb_inputs(rng, size):
    k = 1 + size // 2
    counts = rng.integers(0, 3 * size + 2, size=k)
    counts[rng.random(k) < 0.2] = 0
    return {"means": rng.uniform(0, 1, size=k), "counts": counts, "t": int(max(1, counts.sum())),
            "c": float(rng.choice([math.sqrt(2), rng.uniform(0.1, 3.0)]))}


def _ucb_at_least_mean(kwargs, out):
    out = np.asarray(out, float)
    assert np.all(out >= np.asarray(kwargs["means"]) - 1e-12), "an index is below its arm's mean"


@as_exercise(
    "5.10", reference=_ucb_loop, inputs=_ucb_inputs, difficulty=1,
    edge_cases={
        "an arm never pulled gets +inf": {"means": np.array([0.5, 0.0, 0.9]), "counts": np.array([3, 0, 4]),
                                         "t": 7, "c": math.sqrt(2)},
        "t = 1: ln 1 = 0, no bonus": {"means": np.array([0.2, 0.7]), "counts": np.array([1, 0]), "t": 1,
                                      "c": 2.0},
        "c = 0: the index is the mean (greedy)": {"means": np.array([0.1, 0.4]), "counts": np.array([5, 2]),
                                                  "t": 7, "c": 0.0},
    },
    properties={"the index is never below the mean": _ucb_at_least_mean},
    hints=(r"The index is the empirical mean plus an exploration bonus that shrinks as an arm is pulled more: "
           r"\(U(a) = \hat Q(a) + c\sqrt{\ln t / N(a)}\).",
           r"An arm with \(N(a) = 0\) must be tried first: give it \(+\infty\) with <code>np.where</code>, and "
           r"silence the division by zero with <code>np.errstate</code>."),
    key_line="np.where(counts > 0, means + c * np.sqrt(np.log(t) / counts), np.inf)",
    shows=(_bandits.ucb_score, _bandits._ucb_score),
)
def ucb1_index(means, counts, t, c):
    """The upper-confidence index of every arm (UCB1 when c = sqrt(2)).

    Parameters
    ----------
    means : ndarray, shape (k,)
        Empirical mean reward of each arm (ignored where ``counts`` is 0).
    counts : ndarray of int, shape (k,)
        How many times each arm has been pulled.
    t : int >= 1
        Total number of pulls so far.
    c : float >= 0
        Exploration weight.

    Returns
    -------
    index : ndarray, shape (k,)
        means + c * sqrt(ln t / counts), and +inf for an arm never pulled.
    """
    return _bandits.ucb_score(means, counts, t, c)


# -- 5.11 TD learning: tabular TD(0) prediction ---------------------------------------------------------------

def _td0_loops(states, rewards, n_states, alpha, gamma, v_init):
    """a loop over the TD(0) update rule"""
    V = [float(v_init)] * n_states
    for ep_s, ep_r in zip(states, rewards):
        for t in range(len(ep_s)):
            nxt = gamma * V[int(ep_s[t + 1])] if t + 1 < len(ep_s) else 0.0    # the last step ends the episode
            V[int(ep_s[t])] = (1 - alpha) * V[int(ep_s[t])] + alpha * (float(ep_r[t]) + nxt)
    return np.array(V)


def _td0_inputs(rng, size):
    kw = _mc_value_inputs(rng, size)
    del kw["first_visit"]
    kw["alpha"] = float(rng.choice([1.0, rng.uniform(0.05, 1.0)]))
    kw["v_init"] = float(rng.choice([0.0, rng.normal()]))
    return kw


def _td0_unseen_keep_init(kwargs, out):
    seen = np.zeros(kwargs["n_states"], bool)
    for ep in kwargs["states"]:
        seen[np.asarray(ep)] = True
    assert np.all(np.asarray(out)[~seen] == kwargs["v_init"]), "a state never visited must keep v_init"


@as_exercise(
    "5.11", reference=_td0_loops, inputs=_td0_inputs, difficulty=1,
    edge_cases={
        "alpha = 1 on one step: V(s) becomes the reward": {
            "states": [np.array([1])], "rewards": [np.array([2.5])], "n_states": 2, "alpha": 1.0, "gamma": 0.9,
            "v_init": 7.0},
        "a revisited state bootstraps from its freshly updated value": {
            "states": [np.array([0, 0, 0])], "rewards": [np.array([1.0, 1.0, 1.0])], "n_states": 1,
            "alpha": 0.5, "gamma": 1.0, "v_init": 0.0},
        "the terminal step does not bootstrap from v_init": {
            "states": [np.array([0, 1])], "rewards": [np.array([0.0, 1.0])], "n_states": 2, "alpha": 1.0,
            "gamma": 0.5, "v_init": 10.0},
    },
    properties={"states never visited keep v_init": _td0_unseen_keep_init},
    hints=(r"Online TD(0): after each step move \(V(s_t)\) a fraction \(\alpha\) of the way toward the target "
           r"\(r_{t+1} + \gamma V(s_{t+1})\), and update in place so later steps see the new value.",
           r"The last step of an episode lands in a terminal state, worth 0: its target is just the reward."),
    key_line="v[s] += alpha * (rewards[t] + (gamma * v[states[t + 1]] if t + 1 < T else 0.0) - v[s])",
    shows=(_rp.td0_prediction,),
)
def td0_value_replay(states, rewards, n_states, alpha, gamma, v_init):
    """Tabular TD(0) prediction, updated online along each episode in turn.

    Parameters
    ----------
    states : list of ndarray of int
        One array per episode: s_0 .. s_{T-1} (in [0, n_states)).
    rewards : list of ndarray of float
        One array per episode, same length: r_1 .. r_T; after the last reward the episode is in a terminal
        state, whose value is 0.
    n_states : int
    alpha : float in (0, 1], the step size
    gamma : float in [0, 1]
    v_init : float, the starting value of every state

    Returns
    -------
    V : ndarray, shape (n_states,)
        The values after processing every step of every episode in order.
    """
    episodes = [_pg.Episode(np.asarray(s, int), np.zeros(len(s), int), np.asarray(r, float), False)
                for s, r in zip(states, rewards)]
    return _rp.td0_prediction(episodes, n_states, alpha, gamma, v_init=v_init).V


# -- 5.12 SARSA: the epsilon-greedy policy it follows ---------------------------------------------------------

def _eps_greedy_loops(Q, epsilon):
    """a loop over the definition (ties share the greedy mass)"""
    S, A = np.shape(Q)
    out = np.zeros((S, A))
    for s in range(S):
        best = [a for a in range(A) if Q[s][a] == max(Q[s])]
        for a in range(A):
            out[s, a] = epsilon / A + ((1 - epsilon) / len(best) if a in best else 0.0)
    return out


def _eps_greedy_inputs(rng, size):
    S, A = 1 + size // 2, int(rng.integers(1, 5))
    Q = rng.integers(-2, 3, size=(S, A)).astype(float) if rng.random() < 0.5 else rng.normal(size=(S, A))
    return {"Q": Q, "epsilon": float(rng.choice([0.0, 1.0, rng.uniform()]))}


def _rows_are_distributions(kwargs, out):
    out = np.asarray(out)
    assert np.all(out >= 0), "a probability is negative"
    gap = np.abs(out.sum(1) - 1).max()
    assert gap <= 1e-12, f"a row sums to 1 {gap:+.3g}"


@as_exercise(
    "5.12", reference=_eps_greedy_loops, inputs=_eps_greedy_inputs, difficulty=1,
    edge_cases={
        "a tie splits 1 - epsilon between the best actions": {"Q": np.array([[1.0, 3.0, 3.0, 0.0]]),
                                                              "epsilon": 0.2},
        "epsilon = 0: all mass on the unique greedy action": {"Q": np.array([[0.5, -1.0], [2.0, 4.0]]),
                                                              "epsilon": 0.0},
        "epsilon = 1: uniform": {"Q": np.array([[5.0, 1.0, 0.0]]), "epsilon": 1.0},
        "an all-equal row is uniform whatever epsilon": {"Q": np.zeros((2, 3)), "epsilon": 0.3},
    },
    properties={"every row is a probability vector": _rows_are_distributions},
    hints=(r"Every action gets \(\varepsilon / A\); the remaining \(1 - \varepsilon\) goes to the greedy "
           r"actions of the row.",
           r"Several actions may tie for the maximum: a boolean mask <code>Q == Q.max(1, keepdims=True)</code> "
           r"divided by its row count shares the greedy mass equally."),
    key_line="epsilon / A + (1 - epsilon) * best / best.sum(1, keepdims=True)",
    shows=(_rl.epsilon_greedy_probs,),
)
def eps_greedy_probs(Q, epsilon):
    """The action probabilities of the epsilon-greedy policy of an action-value table.

    Parameters
    ----------
    Q : ndarray, shape (S, A)
    epsilon : float in [0, 1]
        With probability epsilon the action is uniform over all A actions, otherwise greedy.

    Returns
    -------
    pi : ndarray, shape (S, A)
        pi[s, a]; when several actions tie for the maximum of Q[s], they share the greedy probability equally.
    """
    return _rl.epsilon_greedy_probs(Q, epsilon)


# -- 5.13 REINFORCE: one episode's score-function gradient estimate ------------------------------------------

def _reinforce_complex_step(theta, states, actions, rewards, gamma, baseline):
    """complex-step derivative of the weighted log-likelihood surrogate"""
    theta = np.asarray(theta, float)
    T = len(states)
    G = [sum(gamma ** k * float(rewards[t + k]) for k in range(T - t)) for t in range(T)]
    w = [gamma ** t * (G[t] - float(baseline[states[t]])) for t in range(T)]

    def surrogate(th):
        logp = th - th.real.max(1, keepdims=True)
        logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
        return sum(w[t] * logp[states[t], actions[t]] for t in range(T))

    return complex_step_gradient(surrogate, theta)


def _reinforce_inputs(rng, size):
    S, A = 1 + size // 3, int(rng.integers(1, 4))
    T = int(rng.integers(1, size + 2))
    baseline = rng.normal(size=S) if rng.random() < 0.5 else np.zeros(S)
    return {"theta": rng.normal(size=(S, A)), "states": rng.integers(0, S, size=T),
            "actions": rng.integers(0, A, size=T), "rewards": rng.normal(size=T),
            "gamma": float(rng.choice([1.0, rng.uniform(0.5, 1.0)])), "baseline": baseline}


def _unvisited_rows_zero(kwargs, out):
    rows = np.setdiff1d(np.arange(len(kwargs["theta"])), kwargs["states"])
    assert np.all(np.asarray(out)[rows] == 0), "a state the episode never visits must get a zero gradient row"


@as_exercise(
    "5.13", reference=_reinforce_complex_step, inputs=_reinforce_inputs, difficulty=2,
    edge_cases={
        "one step, gamma irrelevant: (r - b) (e_a - pi)": {
            "theta": np.array([[0.0, np.log(3.0)]]), "states": np.array([0]), "actions": np.array([1]),
            "rewards": np.array([2.0]), "gamma": 0.9, "baseline": np.array([0.5])},
        "a baseline equal to the return zeroes a one-step estimate": {
            "theta": np.array([[0.3, -0.2, 1.0]]), "states": np.array([0]), "actions": np.array([2]),
            "rewards": np.array([1.5]), "gamma": 1.0, "baseline": np.array([1.5])},
        "later steps are discounted by gamma^t": {
            "theta": np.zeros((2, 2)), "states": np.array([0, 1, 0]), "actions": np.array([0, 1, 1]),
            "rewards": np.array([0.0, 0.0, 4.0]), "gamma": 0.5, "baseline": np.zeros(2)},
    },
    properties={"rows of unvisited states are zero": _unvisited_rows_zero,
                "each row sums to 0": lambda kw, out: _pg_rows_sum_to_zero(kw, (None, out))},
    hints=(r"For a softmax policy, \(\nabla_\theta \log\pi(a|s)\) is zero except row \(s\), which is "
           r"\(e_a - \pi(\cdot|s)\). Weight the step-\(t\) score by \(\gamma^t (G_t - b(s_t))\) and add them up.",
           r"Compute the returns-to-go backwards, \(G_t = r_{t+1} + \gamma G_{t+1}\); accumulate with "
           r"<code>np.add.at</code>, since a state or pair can repeat."),
    key_line="np.add.at(grad, (states, actions), w); grad -= np.bincount(states, w, S)[:, None] * pi",
    shows=(_pg.reinforce_estimates, _pg._episode_gradient),
)
def reinforce_episode_grad(theta, states, actions, rewards, gamma, baseline):
    """The REINFORCE estimate of the policy gradient from one episode of a tabular softmax policy.

    Parameters
    ----------
    theta : ndarray, shape (S, A)
        Logits: pi(a | s) = softmax(theta[s])[a].
    states, actions : ndarray of int, shape (T,)
        s_0 .. s_{T-1} and the actions a_0 .. a_{T-1} taken there.
    rewards : ndarray, shape (T,)
        r_1 .. r_T; the episode ends after the last one.
    gamma : float in [0, 1]
    baseline : ndarray, shape (S,)
        b(s), subtracted from the return-to-go.

    Returns
    -------
    grad : ndarray, shape (S, A)
        sum_t gamma^t (G_t - b(s_t)) grad_theta log pi(a_t | s_t), with G_t = sum_k gamma^k r_{t+k+1}.
    """
    return _pg.reinforce_estimates(theta, [_pg.Episode(np.asarray(states), np.asarray(actions),
                                                       np.asarray(rewards, float), False)],
                                   gamma, baseline=baseline)[0]


# -- 5.14 Q-learning: Q-value iteration, the backup Q-learning samples ----------------------------------------

def _random_episodic_mdp(rng, size):
    """A random MDP whose last state is terminal (absorbing, reward 0) when S > 1."""
    P, R, gamma = _random_mdp(rng, size)
    S = len(R)
    terminal = np.zeros(S, bool)
    if S > 1 and rng.random() < 0.7:
        terminal[-1] = True
        P[-1] = 0.0
        P[-1, :, -1] = 1.0
        R[-1] = 0.0
    return P, R, terminal, gamma


def _q_iteration_loops(P, R, terminal, gamma, Q0, n_iter):
    """a loop over the Bellman optimality equation"""
    S, A = np.shape(R)
    Q = [[float(x) for x in row] for row in Q0]
    for _ in range(n_iter):
        V = [0.0 if terminal[t] else max(Q[t]) for t in range(S)]
        Q = [[float(R[s][a]) + gamma * sum(P[s][a][t] * V[t] for t in range(S)) for a in range(A)]
             for s in range(S)]
    return np.array(Q)


def _q_iteration_inputs(rng, size):
    P, R, terminal, gamma = _random_episodic_mdp(rng, size)
    Q0 = rng.normal(size=R.shape) if rng.random() < 0.6 else np.zeros(R.shape)
    return {"P": P, "R": R, "terminal": terminal, "gamma": gamma, "Q0": Q0, "n_iter": int(rng.integers(0, size + 3))}


def _terminal_rows_zero(kwargs, out):
    rows = np.asarray(out)[np.asarray(kwargs["terminal"], bool)]
    assert kwargs["n_iter"] == 0 or np.all(rows == 0), "after a backup a terminal state's row must be 0"


def _q_bound(kwargs, out):
    bound = max(np.abs(kwargs["R"]).max() / (1 - kwargs["gamma"]), np.abs(kwargs["Q0"]).max())
    assert np.abs(out).max() <= bound + 1e-9, f"|Q| exceeds max(max|R| / (1 - gamma), max|Q0|) = {bound:.4g}"


@as_exercise(
    "5.14", reference=_q_iteration_loops, inputs=_q_iteration_inputs, difficulty=2,
    edge_cases={
        "n_iter = 0: Q0 unchanged": {"P": np.array([[[1.0]]]), "R": np.array([[3.0]]),
                                     "terminal": np.array([False]), "gamma": 0.9, "Q0": np.array([[-1.0]]),
                                     "n_iter": 0},
        "one backup from zeros: Q = R": {"P": np.array([[[0.5, 0.5], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]]),
                                         "R": np.array([[1.0, -2.0], [0.0, 0.0]]),
                                         "terminal": np.array([False, True]), "gamma": 0.9,
                                         "Q0": np.zeros((2, 2)), "n_iter": 1},
        "a terminal state adds nothing, whatever its row of Q0": {
            "P": np.array([[[0.0, 1.0]], [[0.0, 1.0]]]), "R": np.array([[5.0], [0.0]]),
            "terminal": np.array([False, True]), "gamma": 0.5, "Q0": np.array([[0.0], [100.0]]), "n_iter": 1},
    },
    properties={"terminal rows are 0 after a backup": _terminal_rows_zero,
                "|Q| stays within max(max|R| / (1 - gamma), max|Q0|)": _q_bound},
    hints=(r"One backup: \(Q_{k+1}(s,a) = R(s,a) + \gamma \sum_{s'} P(s'|s,a) \max_{a'} Q_k(s',a')\); "
           r"Q-learning is the sampled, one-transition version of exactly this.",
           r"Terminal states are worth 0: set \(V(s') = 0\) there before the matrix product "
           r"<code>P @ V</code> (shape (S, A, S) times (S,))."),
    key_line="Q = R + gamma * P @ np.where(terminal, 0.0, Q.max(axis=1))",
    shows=(_rl.bellman_backup, _rl._bellman_backup),
)
def q_value_iteration(P, R, terminal, gamma, Q0, n_iter):
    """``n_iter`` sweeps of the Bellman optimality backup on action values, from ``Q0``.

    Parameters
    ----------
    P : ndarray, shape (S, A, S)
        Transition probabilities; terminal states are absorbing.
    R : ndarray, shape (S, A)
        Expected immediate rewards (0 in terminal states).
    terminal : ndarray of bool, shape (S,)
    gamma : float in [0, 1)
    Q0 : ndarray, shape (S, A)
        The starting table (its terminal rows may hold anything).
    n_iter : int >= 0

    Returns
    -------
    Q : ndarray, shape (S, A)
        After ``n_iter`` backups; a terminal next state is worth 0, whatever its row of Q says.
    """
    mdp = _rl.MDP(np.asarray(P, float), np.asarray(R, float), np.asarray(terminal, bool), gamma,
                  int(np.argmin(terminal)))
    Q = np.array(Q0, float)
    for _ in range(n_iter):
        Q = _rl.bellman_backup(mdp, Q)
    return Q


# -- 5.15 Deep Q-learning: the TD targets of a replay batch ---------------------------------------------------

def _td_targets_loop(q_next_target, rewards, dones, gamma, double):
    """a loop over the definition (first index on argmax ties)"""
    out = []
    for i in range(len(rewards)):
        row = list(q_next_target[i])
        if dones[i]:
            boot = 0.0
        elif double is None:
            boot = max(row)
        else:
            online = list(double[i])
            boot = row[online.index(max(online))]
        out.append(float(rewards[i]) + gamma * boot)
    return np.array(out)


def _td_targets_inputs(rng, size):
    B, A = size, int(rng.integers(1, 5))
    return {"q_next_target": rng.normal(size=(B, A)), "rewards": rng.normal(size=B),
            "dones": rng.random(B) < 0.3, "gamma": float(rng.uniform(0.5, 1.0)),
            "double": rng.normal(size=(B, A)) if rng.random() < 0.5 else None}


def _double_not_above_max(kwargs, out):
    q, r, d, g = (kwargs[k] for k in ("q_next_target", "rewards", "dones", "gamma"))
    plain = np.asarray(r) + g * np.where(d, 0.0, np.asarray(q).max(1))
    assert np.all(np.asarray(out) <= plain + 1e-12), "a target exceeds r + gamma max_a Q_target(s', a)"


@as_exercise(
    "5.15", reference=_td_targets_loop, inputs=_td_targets_inputs, difficulty=1,
    edge_cases={
        "a terminal transition's target is the reward": {
            "q_next_target": np.array([[5.0, 9.0]]), "rewards": np.array([1.5]), "dones": np.array([True]),
            "gamma": 0.99, "double": None},
        "double DQN: the online net picks, the target net scores": {
            "q_next_target": np.array([[1.0, 4.0, 2.0]]), "rewards": np.array([0.0]), "dones": np.array([False]),
            "gamma": 0.5, "double": np.array([[3.0, 0.0, 1.0]])},
        "gamma = 0: targets are the rewards": {
            "q_next_target": np.array([[1.0], [2.0]]), "rewards": np.array([-1.0, 1.0]),
            "dones": np.array([False, False]), "gamma": 0.0, "double": None},
    },
    properties={"no target exceeds the plain max target": _double_not_above_max},
    hints=(r"\(y_i = r_i + \gamma (1 - d_i) \max_{a'} Q_{\text{target}}(s'_i, a')\): the bootstrap is cut at "
           r"terminal transitions.",
           r"Double DQN decouples choosing from scoring: \(a^* = \arg\max_{a'} Q_{\text{online}}(s'_i, a')\), then "
           r"read \(Q_{\text{target}}(s'_i, a^*)\) with fancy indexing."),
    key_line="rewards + gamma * np.where(dones, 0.0, q_next_target.max(1))",
    shows=(_dqn.td_targets, _dqn._td_targets),
)
def dqn_td_targets(q_next_target, rewards, dones, gamma, double):
    """The regression targets of a DQN minibatch.

    Parameters
    ----------
    q_next_target : ndarray, shape (B, A)
        The target network's action values at each next state s'_i.
    rewards : ndarray, shape (B,)
    dones : ndarray of bool, shape (B,)
        True where s'_i is terminal (no bootstrap).
    gamma : float in [0, 1]
    double : ndarray of shape (B, A), or None
        None: plain DQN, bootstrap with the max of ``q_next_target``. Otherwise the online network's values at
        s'_i: double DQN, bootstrap with ``q_next_target`` at the online argmax (first index on ties).

    Returns
    -------
    y : ndarray, shape (B,)
    """
    return _dqn.td_targets(q_next_target, rewards, dones, gamma, q_next_online=double)


# -- 5.16 Actor-critic: one episode of one-step actor-critic --------------------------------------------------

def _actor_critic_loops(P, R, terminal, gamma, alpha_actor, alpha_critic, theta0, V0, uniforms):
    """a loop over the update rules (inverse-cdf sampling by hand)"""
    theta, V = np.array(theta0, float), np.array(V0, float)
    S, A = theta.shape

    s, discount = 0, 1.0
    for k in range(len(uniforms) // 2):
        z = np.exp(theta[s] - theta[s].max())
        pi = z / z.sum()
        a = inverse_cdf(pi, uniforms[2 * k])
        s2 = inverse_cdf(P[s][a], uniforms[2 * k + 1])
        delta = R[s][a] + (0.0 if terminal[s2] else gamma * V[s2]) - V[s]
        V[s] += alpha_critic * delta
        theta[s] += alpha_actor * discount * delta * (np.eye(A)[a] - pi)
        discount *= gamma
        s = s2
        if terminal[s]:
            break
    return theta, V


def _actor_critic_inputs(rng, size):
    S = 2 + size // 3
    A = int(rng.integers(1, 4))
    P = rng.dirichlet(np.ones(S), size=(S, A))
    P[:, :, -1] += 0.3                                   # state S-1 is terminal, reached now and then
    P /= P.sum(-1, keepdims=True)
    P[-1] = 0.0
    P[-1, :, -1] = 1.0
    R = rng.normal(size=(S, A))
    R[-1] = 0.0
    terminal = np.zeros(S, bool)
    terminal[-1] = True
    V0 = rng.normal(size=S) * (rng.random() < 0.5)
    V0[-1] = 0.0
    return {"P": P, "R": R, "terminal": terminal, "gamma": float(rng.uniform(0.5, 1.0)),
            "alpha_actor": float(rng.uniform(0.05, 1.0)), "alpha_critic": float(rng.uniform(0.05, 1.0)),
            "theta0": rng.normal(size=(S, A)) * (rng.random() < 0.5), "V0": V0,
            "uniforms": rng.random(2 * (1 + size))}


def _actor_rows_keep_sum(kwargs, out):
    gap = np.abs(np.asarray(out[0]).sum(1) - np.asarray(kwargs["theta0"]).sum(1)).max()
    assert gap <= 1e-9, f"a row of theta changed its sum by {gap:.3g}: the step e_a - pi sums to 0"


_AC_CORRIDOR = {"P": np.array([[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]],
                               [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]]),
                "R": np.array([[0.0, 10.0], [0.0, 0.0], [0.0, 0.0]]), "terminal": np.array([False, True, True]),
                "gamma": 0.9, "alpha_actor": 0.3, "alpha_critic": 0.2, "theta0": np.zeros((3, 2)),
                "V0": np.zeros(3), "uniforms": np.array([0.7, 0.5, 0.1, 0.2])}


@as_exercise(
    "5.16", reference=_actor_critic_loops, inputs=_actor_critic_inputs, difficulty=3,
    edge_cases={
        "one step into a terminal state: V(0) = alpha_w r, theta_0 = alpha_theta r (e_a - 1/2)": _AC_CORRIDOR,
        "alpha_actor = 0: the actor is frozen": {**_AC_CORRIDOR, "alpha_actor": 0.0,
                                                 "uniforms": np.array([0.2, 0.5, 0.9, 0.1])},
        "a self-loop: the TD error bootstraps from the value just updated": {
            "P": np.array([[[0.5, 0.5]], [[0.0, 1.0]]]), "R": np.array([[1.0], [0.0]]),
            "terminal": np.array([False, True]), "gamma": 0.5, "alpha_actor": 1.0, "alpha_critic": 0.5,
            "theta0": np.zeros((2, 1)), "V0": np.array([2.0, 0.0]),
            "uniforms": np.array([0.3, 0.1, 0.3, 0.2, 0.3, 0.9])},
    },
    properties={"the actor step leaves each row's sum of logits unchanged": _actor_rows_keep_sum},
    hints=(r"Per step: draw \(a\) from \(\pi_\theta(\cdot|s)\) and \(s'\) from \(P(\cdot|s,a)\), each as the first "
           r"index whose cumulative probability exceeds its uniform. Then the TD error "
           r"\(\delta = r + \gamma (1 - d') V(s') - V(s)\) drives both updates.",
           r"Critic: \(V(s) \mathrel{+}= \alpha_w \delta\). Actor: \(\theta_s \mathrel{+}= \alpha_\theta \gamma^t "
           r"\delta\, (e_a - \pi(\cdot|s))\), with \(\pi\) computed before either update."),
    key_line="delta = r + (0.0 if done else gamma * V[s_next]) - V[s]",
    shows=(_ac.one_step_actor_critic,),
)
def one_step_actor_critic_run(P, R, terminal, gamma, alpha_actor, alpha_critic, theta0, V0, uniforms):
    """One episode of one-step actor-critic (softmax actor, TD(0) critic), with the randomness given.

    Parameters
    ----------
    P : ndarray, shape (S, A, S)
        Transition probabilities; terminal states are absorbing.
    R : ndarray, shape (S, A)
        The reward of action a in s (0 in terminal states).
    terminal : ndarray of bool, shape (S,)
    gamma : float in [0, 1]
    alpha_actor, alpha_critic : float >= 0
        Step sizes of the logits and of the values.
    theta0 : ndarray, shape (S, A)
        Initial logits: pi(a | s) = softmax(theta[s])[a].
    V0 : ndarray, shape (S,)
        Initial values (0 at terminal states).
    uniforms : ndarray, shape (2 T,)
        Uniforms in [0, 1): step t uses ``uniforms[2t]`` for the action and ``uniforms[2t + 1]`` for the next
        state, each by inverse CDF (the first index whose cumulative probability exceeds the uniform).

    The episode starts in state 0 and stops at a terminal state or after T steps. After each transition
    (s, a, r, s'): delta = r + gamma V(s') - V(s) (V(s') = 0 if s' is terminal), V(s) += alpha_critic delta,
    theta[s] += alpha_actor gamma^t delta (e_a - pi(. | s)), with pi computed before the updates.

    Returns
    -------
    theta : ndarray, shape (S, A)
    V : ndarray, shape (S,)
    """
    mdp = _rl.MDP(np.asarray(P, float), np.asarray(R, float), np.asarray(terminal, bool), gamma, 0)
    run = _ac.one_step_actor_critic(mdp, alpha_actor, alpha_critic, episodes=1,
                                    rng=Replay(random=np.asarray(uniforms, float)), max_steps=len(uniforms) // 2,
                                    theta_init=theta0, v_init=V0)
    return run.theta, run.V


# -- 5.17 Advantage actor-critic: generalised advantage estimation --------------------------------------------

def _gae_sum(rewards, values, dones, last_value, gamma, lam):
    """the explicit sum of discounted td errors, cut at episode ends"""
    T = len(rewards)
    nxt = [float(values[t + 1]) if t + 1 < T else float(last_value) for t in range(T)]
    delta = [float(rewards[t]) + (0.0 if dones[t] else gamma * nxt[t]) - float(values[t]) for t in range(T)]
    out = []
    for t in range(T):
        total, weight = 0.0, 1.0
        for u in range(t, T):
            total += weight * delta[u]
            if dones[u]:
                break
            weight *= gamma * lam
        out.append(total)
    return np.array(out)


def _gae_inputs(rng, size):
    T = size
    return {"rewards": rng.normal(size=T), "values": rng.normal(size=T), "dones": rng.random(T) < 0.25,
            "last_value": float(rng.normal()), "gamma": float(rng.choice([1.0, rng.uniform(0.5, 1.0)])),
            "lam": float(rng.choice([0.0, 1.0, rng.uniform()]))}


def _gae_done_step(kwargs, out):
    d = np.asarray(kwargs["dones"])
    want = (np.asarray(kwargs["rewards"]) - np.asarray(kwargs["values"]))[d]
    assert np.allclose(np.asarray(out)[d], want, rtol=1e-9, atol=1e-12), \
        "at a step that ends the episode the advantage must be r - V(s)"


@as_exercise(
    "5.17", reference=_gae_sum, inputs=_gae_inputs, difficulty=2,
    edge_cases={
        "lam = 0: the one-step TD errors": {
            "rewards": np.array([1.0, 0.0, 2.0]), "values": np.array([0.5, 1.0, -1.0]),
            "dones": np.array([False, False, False]), "last_value": 3.0, "gamma": 0.9, "lam": 0.0},
        "lam = gamma = 1 to the episode's end: return minus value": {
            "rewards": np.array([1.0, 2.0, 3.0]), "values": np.array([4.0, 0.0, 1.0]),
            "dones": np.array([False, False, True]), "last_value": 100.0, "gamma": 1.0, "lam": 1.0},
        "a done in the middle stops the sum and the bootstrap": {
            "rewards": np.array([1.0, 1.0, 1.0, 1.0]), "values": np.array([0.0, 0.0, 5.0, 0.0]),
            "dones": np.array([False, True, False, False]), "last_value": 2.0, "gamma": 0.5, "lam": 0.8},
    },
    properties={"a step that ends the episode has advantage r - V(s)": _gae_done_step},
    hints=(r"First the TD errors \(\delta_t = r_{t+1} + \gamma (1 - d_{t+1}) V(s_{t+1}) - V(s_t)\), with "
           r"<code>last_value</code> as \(V(s_T)\).",
           r"Then one backward pass, \(\hat A_t = \delta_t + \gamma\lambda (1 - d_{t+1}) \hat A_{t+1}\) from "
           r"\(\hat A_T = 0\): the done flag cuts the sum at episode boundaries."),
    key_line="running = delta[t] + gamma * lam * (1 - dones[t]) * running",
    shows=(_ac.gae,),
)
def gae_advantages(rewards, values, dones, last_value, gamma, lam):
    """Generalised advantage estimates of one rollout.

    Parameters
    ----------
    rewards : ndarray, shape (T,)
        r_{t+1}, the reward of step t.
    values : ndarray, shape (T,)
        V(s_t) from the critic.
    dones : ndarray of bool, shape (T,)
        True where step t entered a terminal state (nothing after it counts for steps up to t).
    last_value : float
        V(s_T), the bootstrap after the last step (unused if the last step is done).
    gamma, lam : float in [0, 1]

    Returns
    -------
    advantages : ndarray, shape (T,)
        A_t = sum_l (gamma lam)^l delta_{t+l}, the sum stopping after the first done step, with
        delta_t = r_{t+1} + gamma (1 - d_t) V(s_{t+1}) - V(s_t).
    """
    return _ac.gae(rewards, values, dones, last_value, gamma, lam)


# -- 5.18 AlphaGo: the PUCT selection score -------------------------------------------------------------------

def _puct_loop(q, prior, visits, c_puct):
    """a loop over the definition (math.sqrt)"""
    N = max(sum(float(n) for n in visits), 1.0)
    return np.array([q[a] + c_puct * prior[a] * math.sqrt(N) / (1.0 + visits[a]) for a in range(len(q))])


def _puct_inputs(rng, size):
    k = 1 + size // 2
    visits = rng.integers(0, 4 * size + 1, size=k) * (rng.random() < 0.8)
    return {"q": rng.uniform(-1, 1, size=k), "prior": rng.dirichlet(np.ones(k)), "visits": visits,
            "c_puct": float(rng.uniform(0, 3))}


def _puct_above_q(kwargs, out):
    assert np.all(np.asarray(out) >= np.asarray(kwargs["q"]) - 1e-12), "a score is below its move's Q"


@as_exercise(
    "5.18", reference=_puct_loop, inputs=_puct_inputs, difficulty=1,
    edge_cases={
        "a fresh node (no visits): Q + c P, so the prior decides": {
            "q": np.zeros(3), "prior": np.array([0.2, 0.5, 0.3]), "visits": np.zeros(3, int), "c_puct": 1.5},
        "c_puct = 0: pure exploitation": {"q": np.array([0.1, -0.3]), "prior": np.array([0.9, 0.1]),
                                          "visits": np.array([3, 5]), "c_puct": 0.0},
        "a move with prior 0 gets no bonus": {"q": np.array([0.4, 0.0]), "prior": np.array([0.0, 1.0]),
                                              "visits": np.array([1, 3]), "c_puct": 2.0},
    },
    properties={"the score is never below Q": _puct_above_q},
    hints=(r"\(U(a) = Q(a) + c\,P(a)\,\sqrt{N}/(1 + N(a))\) with \(N = \sum_b N(b)\): the prior scales the "
           r"bonus, and each visit of a move shrinks it.",
           r"Use \(\sqrt{\max(N, 1)}\) so the first visit of a fresh node still follows the prior instead of "
           r"giving every move a zero bonus."),
    key_line="q + c_puct * prior * np.sqrt(max(visits.sum(), 1.0)) / (1.0 + visits)",
    shows=(_alphago.puct_scores, _alphago._puct),
)
def puct_child_score(q, prior, visits, c_puct):
    """The PUCT score AlphaGo's tree search maximises to pick a move at a node.

    Parameters
    ----------
    q : ndarray, shape (n,)
        Mean value of each move so far.
    prior : ndarray, shape (n,)
        The policy network's probability of each move.
    visits : ndarray of int, shape (n,)
        Visit count of each move.
    c_puct : float >= 0

    Returns
    -------
    score : ndarray, shape (n,)
        q + c_puct * prior * sqrt(max(N, 1)) / (1 + visits), with N the node's total visits.
    """
    return _alphago.puct_scores(q, prior, visits, c_puct)


# -- 5.19 PPO: the clipped objective and its derivative -------------------------------------------------------

def _ppo_clip_loop(ratio, advantage, epsilon):
    """a loop over the definition (which term the min picks)"""
    obj, grad = [], []
    for r, A in zip(np.ravel(ratio), np.ravel(advantage)):
        clipped = min(max(r, 1 - epsilon), 1 + epsilon)
        obj.append(min(r * A, clipped * A))
        binding = (A > 0 and r >= 1 + epsilon) or (A < 0 and r <= 1 - epsilon)
        grad.append(0.0 if binding else A)
    return np.array(obj).reshape(np.shape(ratio)), np.array(grad).reshape(np.shape(ratio))


def _ppo_clip_inputs(rng, size):
    n = size
    return {"ratio": np.exp(rng.normal(0, 0.4, size=n)), "advantage": rng.normal(size=n),
            "epsilon": float(rng.choice([0.1, 0.2, rng.uniform(0.05, 0.5)]))}


def _ppo_pessimistic(kwargs, out):
    plain = np.asarray(kwargs["ratio"]) * np.asarray(kwargs["advantage"])
    assert np.all(np.asarray(out[0]) <= plain + 1e-12), "the clipped objective exceeds r A: it must be a lower bound"


@as_exercise(
    "5.19", reference=_ppo_clip_loop, inputs=_ppo_clip_inputs, difficulty=2,
    edge_cases={
        "positive advantage, ratio above 1 + eps: clipped, zero gradient": {
            "ratio": np.array([1.5]), "advantage": np.array([2.0]), "epsilon": 0.2},
        "negative advantage, ratio above 1 + eps: not clipped, the gradient is A": {
            "ratio": np.array([1.5]), "advantage": np.array([-2.0]), "epsilon": 0.2},
        "negative advantage, ratio below 1 - eps: clipped, zero gradient": {
            "ratio": np.array([0.5, 1.0]), "advantage": np.array([-1.0, -1.0]), "epsilon": 0.2},
    },
    properties={"the objective never exceeds r A": _ppo_pessimistic},
    hints=(r"Per sample, take the smaller of \(rA\) and \(\mathrm{clip}(r, 1-\epsilon, 1+\epsilon)A\): "
           r"<code>np.minimum</code> and <code>np.clip</code>.",
           r"The derivative in \(r\) is \(A\) where the unclipped term is the minimum, and 0 where the clip "
           r"binds: \(A > 0\) with \(r \ge 1+\epsilon\), or \(A < 0\) with \(r \le 1-\epsilon\)."),
    key_line="np.minimum(ratio * advantage, np.clip(ratio, 1 - epsilon, 1 + epsilon) * advantage)",
    shows=(_tr.clipped_objective, _tr.clipped_objective_grad, _tr._active),
)
def ppo_clip(ratio, advantage, epsilon):
    """PPO's clipped surrogate per sample, and its derivative with respect to the ratio.

    Parameters
    ----------
    ratio : ndarray, shape (n,)
        pi_new(a | s) / pi_old(a | s) > 0 for each sample.
    advantage : ndarray, shape (n,)
    epsilon : float in (0, 1)

    Returns
    -------
    objective : ndarray, shape (n,)
        min(r A, clip(r, 1 - epsilon, 1 + epsilon) A).
    grad : ndarray, shape (n,)
        d objective / d r: A, or 0 where the clip binds (A > 0 and r >= 1 + epsilon, or A < 0 and
        r <= 1 - epsilon).
    """
    return _tr.clipped_objective(ratio, advantage, epsilon), _tr.clipped_objective_grad(ratio, advantage, epsilon)


# -- 5.20 TRPO: conjugate gradient for the natural gradient ---------------------------------------------------

def _cg_lstsq(F, g):
    """scipy.linalg.lstsq (the minimum-norm solution)"""
    return scipy.linalg.lstsq(np.asarray(F, float), np.asarray(g, float))[0]


def _cg_inputs(rng, size):
    d = 1 + size // 2
    M = rng.normal(size=(d, d + 2))
    return {"F": M @ M.T / (d + 2) + 0.5 * np.eye(d), "g": rng.normal(size=d)}


def _cg_solves(kwargs, out):
    res = np.abs(np.asarray(kwargs["F"]) @ out - kwargs["g"]).max()
    assert res <= 1e-8 * (1 + np.abs(kwargs["g"]).max()), f"F x differs from g by {res:.3g}"


@as_exercise(
    "5.20", reference=_cg_lstsq, inputs=_cg_inputs, difficulty=2,
    edge_cases={
        "g = 0: the step is 0": {"F": np.array([[2.0, 0.5], [0.5, 1.0]]), "g": np.zeros(2)},
        "F = I: one step gives g": {"F": np.eye(3), "g": np.array([1.0, -2.0, 0.5])},
        "singular F, g in its range: the minimum-norm solution": {
            "F": np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 1.0]]), "g": np.array([1.0, 2.0, 2.0])},
    },
    properties={"F x = g": _cg_solves},
    hints=(r"Conjugate gradient only needs products \(Fp\). Start at \(x = 0\), \(r = p = g\); each step "
           r"moves \(x\) by \(\alpha p\) with \(\alpha = r^\top r / p^\top F p\) and updates \(r \mathrel{-}= "
           r"\alpha F p\).",
           r"The next direction is \(p = r_{\text{new}} + (r_{\text{new}}^\top r_{\text{new}} / r^\top r)\, p\). "
           r"Stop when \(\lVert r\rVert\) is tiny compared with \(\lVert g\rVert\), or when \(p^\top F p \le 0\)."),
    key_line="alpha = rr / (p @ Fp); x += alpha * p; r -= alpha * Fp",
    shows=(_tr.conjugate_gradient,),
)
def cg_natural_step(F, g):
    """The natural-gradient direction x = F^+ g by conjugate gradient, as TRPO computes it.

    Parameters
    ----------
    F : ndarray, shape (d, d)
        Symmetric positive semi-definite (a Fisher matrix); use it only through products F @ p.
    g : ndarray, shape (d,)
        The policy gradient, in the range of F.

    Returns
    -------
    x : ndarray, shape (d,)
        The solution of F x = g (the minimum-norm one when F is singular), from conjugate gradient started at
        0 and run until the residual norm is below 1e-10 times the norm of g (at most 10 d steps).
    """
    F = np.asarray(F, float)
    return _tr.conjugate_gradient(lambda p: F @ p, g, n_iter=10 * len(F), tol=1e-10)


# -- 5.21 RLHF: the DPO loss and its gradient -----------------------------------------------------------------

def _dpo_complex_step(logits, reference, winners, losers, beta):
    """complex-step derivative of the loss written out pair by pair"""
    logits = np.asarray(logits, float)
    log_ref = np.log(np.asarray(reference, float))

    def loss(th):
        log_pi = th - np.log(np.exp(th - th.real.max()).sum()) - th.real.max()
        implicit = beta * (log_pi - log_ref)
        return sum(np.log(1 + np.exp(-(implicit[w] - implicit[l]))) for w, l in zip(winners, losers)) / len(winners)

    return float(loss(logits.astype(complex)).real), complex_step_gradient(loss, logits)


def _dpo_inputs(rng, size):
    K = 2 + size // 3
    n = size
    winners = rng.integers(0, K, size=n)
    losers = (winners + rng.integers(1, K, size=n)) % K
    return {"logits": rng.normal(size=K), "reference": rng.dirichlet(np.full(K, 2.0)), "winners": winners,
            "losers": losers, "beta": float(rng.uniform(0.05, 2.0))}


def _dpo_grad_sums_to_zero(kwargs, out):
    assert abs(np.sum(out[1])) <= 1e-10, "the gradient must sum to 0: shifting every logit leaves pi unchanged"


@as_exercise(
    "5.21", reference=_dpo_complex_step, inputs=_dpo_inputs, difficulty=3,
    edge_cases={
        "pi = pi_ref: every margin is 0, the loss is log 2": {
            "logits": np.log(np.array([0.2, 0.3, 0.5])), "reference": np.array([0.2, 0.3, 0.5]),
            "winners": np.array([0, 2]), "losers": np.array([1, 0]), "beta": 0.5},
        "opposite preferences over the same pair cancel in the gradient": {
            "logits": np.array([0.3, 0.3]), "reference": np.array([0.5, 0.5]), "winners": np.array([0, 1]),
            "losers": np.array([1, 0]), "beta": 1.0},
        "large beta with a confident policy: the loss stays finite": {
            "logits": np.array([8.0, -8.0]), "reference": np.array([0.5, 0.5]), "winners": np.array([1]),
            "losers": np.array([0]), "beta": 5.0},
    },
    properties={"the gradient sums to 0": _dpo_grad_sums_to_zero},
    hints=(r"The implicit reward is \(\hat r(y) = \beta(\log\pi_\theta(y) - \log\pi_{\text{ref}}(y))\) with "
           r"\(\log\pi_\theta\) a log-softmax; the loss is the mean of "
           r"\(-\log\sigma(\hat r(y_w) - \hat r(y_l))\) (use a stable log-sigmoid).",
           r"By the chain rule, \(\partial L/\partial \log\pi(y)\) collects \(-\beta\sigma(-m_i)/n\) at winners "
           r"and the opposite at losers (<code>np.bincount</code>); through the log-softmax, "
           r"\(\nabla_\theta = g - \pi \sum_y g_y\)."),
    key_line="margin = implicit[winners] - implicit[losers]; loss = -np.mean(log_expit(margin))",
    shows=(_rlhf.dpo_loss, _rlhf._dpo),
)
def dpo_loss_grad(logits, reference, winners, losers, beta):
    """The DPO loss of a softmax policy over K responses, and its gradient in the logits.

    Parameters
    ----------
    logits : ndarray, shape (K,)
        pi = softmax(logits).
    reference : ndarray, shape (K,)
        The reference policy pi_ref, all entries positive, summing to 1.
    winners, losers : ndarray of int, shape (n,)
        Pair i says response ``winners[i]`` was preferred to ``losers[i]``.
    beta : float > 0

    Returns
    -------
    loss : float
        -(1/n) sum_i log sigmoid(r(w_i) - r(l_i)) with the implicit reward r(y) = beta log(pi(y) / pi_ref(y)).
    grad : ndarray, shape (K,)
        d loss / d logits.
    """
    return _rlhf.dpo_loss(logits, reference, winners, losers, beta)

"""Tabular reinforcement learning against exact references."""

import numpy as np
import scipy.linalg
import scipy.optimize

from mlsheet_utils.algorithms import rl
from mlsheet_utils.tools.speed import SpeedPair


def make_args(n):
    """An n x n slippery open room (slip 0.1): start in the top-left corner, goal in the bottom-right one."""
    layout = ["S" + "." * (n - 1)] + ["." * n] * (n - 2) + ["." * (n - 1) + "G"]
    return (rl.gridworld(layout, slip=0.1),)


def _uniform_policy(mdp):
    return np.full(mdp.R.shape, 1.0 / mdp.n_actions)


def _scipy_evaluation(mdp, policy):
    """Reference value of a stochastic policy: one dense LU solve of (I - gamma P_pi) V = r_pi."""
    P_pi = np.einsum("sa,sat->st", policy, mdp.P)
    return scipy.linalg.solve(np.eye(mdp.n_states) - mdp.gamma * P_pi, (policy * mdp.R).sum(1))


def make_eval_args(n):
    """The slippery n x n room and the uniform random policy."""
    (mdp,) = make_args(n)
    return mdp, _uniform_policy(mdp)


def _lp_values(mdp):
    """V* as the linear program min sum_s V(s) subject to V >= R + gamma P V for every (s, a) (HiGHS)."""
    S, A = mdp.R.shape
    A_ub = (mdp.gamma * mdp.P - np.eye(S)[:, None, :]).reshape(S * A, S)
    return scipy.optimize.linprog(np.full(S, 1.0 / S), A_ub=A_ub, b_ub=-mdp.R.reshape(-1),
                                  bounds=[(None, None)] * S, method="highs").x


PAIRS = [
    SpeedPair("5.14", "value iteration V* vs policy iteration (scipy.linalg.solve)",
              lambda mdp: rl.value_iteration(mdp)[1], lambda mdp: rl.policy_iteration(mdp)[1],
              make_args, small=4, large=20),
    SpeedPair("5.3", "iterative policy evaluation vs scipy.linalg.solve",
              lambda mdp, pi: rl.iterative_policy_evaluation(mdp, pi).V, _scipy_evaluation,
              make_eval_args, small=4, large=20),
    SpeedPair("5.6", "policy iteration V* vs linear program (scipy.optimize.linprog)",
              lambda mdp: rl.policy_iteration_trace(mdp).values[-1], _lp_values, make_args, small=4, large=12),
]

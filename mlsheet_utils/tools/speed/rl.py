"""Tabular reinforcement learning against exact references."""

from mlsheet_utils.algorithms import rl
from mlsheet_utils.tools.speed import SpeedPair


def make_args(n):
    """An n x n slippery open room (slip 0.1): start in the top-left corner, goal in the bottom-right one."""
    layout = ["S" + "." * (n - 1)] + ["." * n] * (n - 2) + ["." * (n - 1) + "G"]
    return (rl.gridworld(layout, slip=0.1),)


PAIRS = [
    SpeedPair("5.14", "value iteration V* vs policy iteration (scipy.linalg.solve)",
              lambda mdp: rl.value_iteration(mdp)[1], lambda mdp: rl.policy_iteration(mdp)[1],
              make_args, small=4, large=20),
]

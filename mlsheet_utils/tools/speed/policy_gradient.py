"""Policy-gradient estimators against JAX autodiff of the surrogate objective."""

import numpy as np

from mlsheet_utils.algorithms import policy_gradient as pg
from mlsheet_utils.algorithms import rl
from mlsheet_utils.tools.speed import SpeedPair


def make_args(n):
    """Random logits on the slippery room and n episodes played by their softmax policy."""
    mdp = rl.gridworld(rl.ROOM, slip=0.2, gamma=0.9)
    rng = np.random.default_rng(3)
    theta = rng.normal(size=(mdp.n_states, mdp.n_actions))
    pi = pg.softmax_policy(theta)
    return theta, [pg.sample_episode(mdp, pi, rng) for _ in range(n)], mdp.gamma


_JAX = {}


def _jax_surrogate_gradient(theta, episodes, gamma):
    """Reference: jax.grad (jitted once per shape) of (1/N) sum_i sum_t gamma^t log pi(a_t|s_t) G_t, returns fixed."""
    if not _JAX:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        _JAX["grad"] = jax.jit(jax.grad(lambda th, w, s, a: jnp.sum(w * jax.nn.log_softmax(th, axis=1)[s, a])))
    s = np.concatenate([ep.states for ep in episodes])
    a = np.concatenate([ep.actions for ep in episodes])
    w = np.concatenate([gamma ** np.arange(len(ep)) * pg.discounted_returns(ep.rewards, gamma) for ep in episodes])
    return np.asarray(_JAX["grad"](theta, w, s, a)) / len(episodes)


PAIRS = [
    SpeedPair("5.13", "REINFORCE batch gradient vs jax.grad of the surrogate",
              pg.reinforce_gradient, _jax_surrogate_gradient, make_args, small=16, large=1000),
]

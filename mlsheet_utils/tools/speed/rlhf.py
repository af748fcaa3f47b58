"""Preference learning against scikit-learn: the Bradley-Terry reward model is logistic regression."""

import numpy as np
from sklearn.linear_model import LogisticRegression

from mlsheet_utils.algorithms import rlhf
from mlsheet_utils.tools.speed import SpeedPair

L2 = 1e-3


def make_args(n):
    """``n`` comparisons of responses with 5 features, labelled by a Bradley-Terry annotator (seeded)."""
    rng = np.random.default_rng(21)
    phi = rng.normal(size=(50, 5))
    first, second = rng.integers(50, size=(2, n))
    prefs = rlhf.sample_preferences(phi @ np.linspace(-1, 1, 5), first, second, rng)
    return phi[prefs.winners], phi[prefs.losers]


def _sklearn_reward(phi_win, phi_lose):
    d = phi_win - phi_lose
    n = d.shape[0]
    model = LogisticRegression(C=1 / (2 * L2 * n), fit_intercept=False, tol=1e-10, max_iter=10_000)
    return model.fit(np.vstack([d, -d]), np.r_[np.ones(n), np.zeros(n)]).coef_[0]   # both orders: C halved


PAIRS = [
    SpeedPair("5.21", "Bradley-Terry reward model (Newton) vs scikit-learn LogisticRegression",
              lambda w, lo: rlhf.fit_reward_model(w, lo, l2=L2).coef, _sklearn_reward, make_args,
              small=400, large=100_000),
]

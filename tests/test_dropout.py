"""mlsheet_utils.algorithms.nn.dropout against exact enumeration of every mask and scikit-learn's Ridge."""

import itertools

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from mlsheet_utils.algorithms.nn import dropout, layers


def _masks(d, rate):
    """Every 0/1 mask of length d with its probability."""
    for m in itertools.product([0.0, 1.0], repeat=d):
        m = np.array(m)
        yield m, (1 - rate) ** m.sum() * rate ** (d - m.sum())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_expected_loss_and_minimiser_match_enumeration(seed):
    rng = np.random.default_rng(seed)
    n, d, rate = 12, 3, float(rng.uniform(0.05, 0.7))
    X, y, w = rng.standard_normal((n, d)), rng.standard_normal(n), rng.standard_normal(d)
    exact = sum(prob * np.mean((y - (X * m / (1 - rate)) @ w) ** 2) for m, prob in _masks(d, rate))
    np.testing.assert_allclose(dropout.expected_dropout_loss(X, y, w, rate), exact, rtol=1e-12)
    # the minimiser of the mask-averaged loss: weighted least squares over every masked copy of the data
    rows, targets = [], []
    for m, prob in _masks(d, rate):
        rows.append(np.sqrt(prob) * X * m / (1 - rate))
        targets.append(np.sqrt(prob) * y)
    w_ls = np.linalg.lstsq(np.vstack(rows), np.concatenate(targets), rcond=None)[0]
    np.testing.assert_allclose(dropout.dropout_regression(X, y, rate), w_ls, rtol=1e-9)


def test_minimiser_is_ridge_for_standardised_features():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 4))
    X = (X - X.mean(0)) / X.std(0)
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.standard_normal(40)
    rate = 0.3
    ridge = Ridge(alpha=40 * rate / (1 - rate), fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(dropout.dropout_regression(X, y, rate), ridge.coef_, rtol=1e-10)


def test_mc_dropout_matches_the_exact_mean_over_masks():
    rng = np.random.default_rng(4)
    rate = 0.5
    model = layers.Sequential(layers.Dropout(rate), layers.Linear(3, 1), layers.Activation("tanh"))
    params = model.init_params(5)
    x = rng.standard_normal((2, 3))
    W, b = params[1]["W"], params[1]["b"]
    exact = sum(prob * np.tanh((x * m / (1 - rate)) @ W + b) for m, prob in _masks(3, rate))
    pred = dropout.mc_dropout_predict(model, params, x, n_samples=20_000, rng=6)
    se = pred.std / np.sqrt(20_000)
    assert np.all(np.abs(pred.mean - exact) < 5 * se)                     # 5 standard errors
    assert pred.samples.shape == (20_000, 2, 1)
    values = np.unique(pred.samples[:, 0, 0].round(12))
    assert len(values) <= 8                                              # one output per mask of 3 inputs


@pytest.mark.parametrize("call,match", [
    (lambda: dropout.expected_dropout_loss(np.ones((3, 2)), np.ones(2), np.ones(2), 0.1), "one entry per row"),
    (lambda: dropout.dropout_regression(np.ones((3, 2)), np.ones(3), 1.0), "rate must be < 1"),
    (lambda: dropout.expected_dropout_loss(np.ones((3, 2)), np.ones(3), np.ones(3), 0.1), r"w must have shape"),
    (lambda: dropout.mc_dropout_predict(layers.Dropout(0.5), {}, np.ones((2, 2)), n_samples=1, rng=0),
     "n_samples must be >= 2"),
    (lambda: dropout.mc_dropout_predict("model", {}, np.ones((2, 2)), rng=0), "model must be a Layer"),
])
def test_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()

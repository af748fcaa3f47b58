"""The practice modules' shared helpers: Replay's given draws and the complex-step derivatives."""

import numpy as np
import pytest

from mlsheet_utils.practice._support import (
    Replay,
    complex_step_gradient,
    complex_step_gradients,
    inverse_cdf,
    softmax_policy_value,
)


def test_replay_returns_the_draws_in_order_with_the_shape_asked():
    rng = Replay(random=[[0.1, 0.2], 0.5], standard_normal=[np.ones((2, 3))], permutation=[[2, 0, 1]])
    assert isinstance(rng, np.random.Generator)
    np.testing.assert_array_equal(rng.random(2), [0.1, 0.2])
    np.testing.assert_array_equal(rng.random((1,)), [0.5])              # a scalar draw fills the shape asked
    np.testing.assert_array_equal(rng.standard_normal((2, 3)), np.ones((2, 3)))
    np.testing.assert_array_equal(rng.permutation(3), [2, 0, 1])


def test_replay_scalars_come_from_their_own_queue():
    rng = Replay(random=[0.7], scalars={"random": [0.1, 0.2]})
    assert rng.random() == 0.1 and rng.random() == 0.2
    np.testing.assert_array_equal(rng.random((1,)), [0.7])


def test_replay_hands_out_copies_of_its_draws():
    given = np.zeros(3)
    out = Replay(uniform=[given]).uniform(0, 1, 3)
    out[0] = 9.0
    assert given[0] == 0.0


@pytest.mark.parametrize("call, message", [
    (lambda r: (r.random(1), r.random(1)), "draw 2 of rng.random"),
    (lambda r: r.standard_normal(1), "rng.standard_normal(), which is not scripted"),
    (lambda r: r.normal(0, 1, 1), "rng.normal(), which is not scripted"),
    (lambda r: r.random(2), "asked for shape (2,)"),
])
def test_replay_says_what_the_book_asked_for(call, message):
    with pytest.raises(RuntimeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(Replay(random=[[0.5]]))


def test_replay_refuses_an_unknown_method():
    with pytest.raises(ValueError, match="cannot script"):
        Replay(gamma=[1.0])


def test_complex_step_gradient_layouts():
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    np.testing.assert_allclose(complex_step_gradient(lambda v: (v ** 3).sum(), x), 3 * x ** 2, rtol=1e-14)
    z = np.array([0.1, -0.4, 1.3])
    J = complex_step_gradient(lambda v: np.exp(v) * v[0], z)             # d out_i / d z_j
    expected = np.diag(np.exp(z) * z[0])
    expected[:, 0] += np.exp(z)
    np.testing.assert_allclose(J, expected, rtol=1e-14)
    batched = complex_step_gradient(lambda stack: (stack ** 3).sum(axis=(1, 2)), x, batched=True)
    np.testing.assert_array_equal(batched, complex_step_gradient(lambda v: (v ** 3).sum(), x))


def test_complex_step_gradients_of_several_arrays():
    a, b = np.array([1.0, 2.0]), np.array([[0.5], [-1.0]])
    da, db = complex_step_gradients(lambda a_, b_: (a_ @ b_).sum() ** 2, [a, b])
    s = float((a @ b).sum())
    np.testing.assert_allclose(da, 2 * s * b[:, 0], rtol=1e-14)
    np.testing.assert_allclose(db, 2 * s * a[:, None], rtol=1e-14)


def test_inverse_cdf_and_softmax_policy_value():
    assert [inverse_cdf([0.25, 0.25, 0.5], u) for u in (0.0, 0.25, 0.49, 0.5, 0.999)] == [0, 1, 1, 2, 2]
    assert inverse_cdf([0.3, 0.3, 0.3999999], 0.99999999) == 2                      # rounding: the last index
    P = np.zeros((2, 2, 2))
    P[:, :, 0] = 1.0                                                                # every action returns to state 0
    R = np.array([[1.0, 3.0], [0.0, 0.0]])
    v = softmax_policy_value(P, R, 0.5, np.zeros((2, 2)), 0)
    assert v == pytest.approx(2.0 / (1 - 0.5))

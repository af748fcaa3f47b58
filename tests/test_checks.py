import numpy as np
import pytest
import sympy as sp

from mlsheet_utils import checks


def test_check_identity_passes_true_identity(capsys):
    x = sp.symbols("x", real=True)
    checks.check_identity(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1, "pythagoras", show=False)
    checks.check_identity((x + 1) ** 2, x ** 2 + 2 * x + 1, show=False)


def test_check_identity_rejects_false_identity():
    x = sp.symbols("x")
    with pytest.raises(AssertionError, match="identity fails"):
        checks.check_identity((x + 1) ** 2, x ** 2 + 1, show=False)


def test_check_identity_matrices():
    a = sp.symbols("a")
    M = sp.Matrix([[a, 1], [0, a]])
    checks.check_identity(M * M, sp.Matrix([[a ** 2, 2 * a], [0, a ** 2]]), show=False)
    with pytest.raises(ValueError, match="shapes differ"):
        checks.check_identity(M, sp.Matrix([1, 2, 3]), show=False)
    with pytest.raises(ValueError, match="both be matrices"):
        checks.check_identity(M, a, show=False)


def test_check_close_reports_and_asserts(capsys):
    worst = checks.check_close("vectors", [1.0, 2.0], [1.0, 2.0 + 1e-12], rtol=1e-9)
    assert worst == pytest.approx(1e-12, rel=1e-3)
    assert "OK vectors: max |diff| <= 1e-11" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="exceeds the tolerance"):
        checks.check_close("vectors", [1.0, 2.0], [1.0, 2.1], rtol=1e-3)


def test_check_close_validates():
    with pytest.raises(ValueError, match="shapes differ"):
        checks.check_close("x", [1.0, 2.0], [1.0], quiet=True)
    with pytest.raises(ValueError, match="rtol"):
        checks.check_close("x", [1.0], [1.0], rtol=-1)
    with pytest.raises(AssertionError, match="NaN"):
        checks.check_close("x", [np.nan], [1.0], quiet=True)
    checks.check_close("x", [np.nan, 1.0], [np.nan, 1.0], quiet=True)


@pytest.mark.parametrize("value,text", [(0.0, "0"), (3e-13, "1e-12"), (1e-12, "1e-12"), (0.5, "1e0")])
def test_ceil_pow10(value, text):
    assert checks.ceil_pow10(value) == text


def test_numerical_gradient_matches_analytic_on_random_quadratics():
    rng = np.random.default_rng(0)
    for _ in range(5):
        d = int(rng.integers(1, 6))
        A = rng.standard_normal((d, d))
        b = rng.standard_normal(d)
        x0 = rng.standard_normal(d)

        def f(x, A=A, b=b):
            return float(x @ A @ x + b @ x)

        checks.check_gradient("quadratic", f, lambda x, A=A, b=b: (A + A.T) @ x + b, x0)


def test_check_gradient_catches_a_wrong_gradient():
    with pytest.raises(AssertionError):
        checks.check_gradient("wrong", lambda x: float((x ** 2).sum()), lambda x: x, np.ones(3))


def test_numerical_gradient_validates_eps():
    with pytest.raises(ValueError, match="eps"):
        checks.numerical_gradient(lambda x: 0.0, [1.0], eps=0.0)


def test_register_speed_validates_and_registers():
    checks.register_speed("sum vs np.sum", lambda a: sum(a), np.sum, lambda n: (np.arange(n),), small=3, large=10)
    pair = checks.SPEED_PAIRS["sum vs np.sum"]
    assert pair.ours(*pair.make_args(pair.small)) == 3
    with pytest.raises(ValueError, match="small <= large"):
        checks.register_speed("x", sum, sum, lambda n: (n,), small=10, large=3)
    with pytest.raises(ValueError, match="ours must be callable"):
        checks.register_speed("x", 1, sum, lambda n: (n,), small=1, large=3)

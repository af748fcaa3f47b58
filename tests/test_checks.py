import numpy as np
import pytest
import sympy as sp

from mlsheet_utils import checks


def test_check_identity_passes_true_identity(capsys):
    x = sp.symbols("x", real=True)
    checks.check_identity(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1, "pythagoras", show=False)
    checks.check_identity((x + 1) ** 2, x ** 2 + 2 * x + 1, show=False)


def test_check_identity_knows_beta_and_gamma_functions():
    a, b = sp.symbols("a b", positive=True)
    checks.check_identity(sp.beta(a + 1, b) / sp.beta(a, b), a / (a + b), show=False)
    with pytest.raises(AssertionError):
        checks.check_identity(sp.beta(a + 1, b) / sp.beta(a, b), b / (a + b), show=False)


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


def test_check_step_evaluates_asserts_and_returns_the_result():
    x, lam = sp.symbols("x lambda", positive=True)
    mean = checks.check_step(sp.Integral(x * lam * sp.exp(-lam * x), (x, 0, sp.oo)), 1 / lam, "E[X]", show=False)
    assert mean == 1 / lam
    with pytest.raises(AssertionError, match="identity fails"):
        checks.check_step(sp.Integral(x * lam * sp.exp(-lam * x), (x, 0, sp.oo)), lam, show=False)
    assert checks.check_step(r"\det A", 6, result=sp.Matrix([[2, 0], [0, 3]]).det(), show=False) == 6
    with pytest.raises(ValueError, match="needs the result"):
        checks.check_step(r"\det A", 6, show=False)


def test_check_close_reports_and_asserts(capsys):
    assert checks.check_close("vectors", [1.0, 2.0], [1.0, 2.0 + 1e-12], rtol=1e-9) is None
    assert capsys.readouterr().out == "OK vectors: max |diff| is under 10% of the tolerance (rtol=1e-09, atol=0)\n"
    checks.check_close("mean", 2.03, 2.0, atol=0.1)
    assert "max |diff| is 30% of the tolerance" in capsys.readouterr().out
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


def test_tolerance_used_is_the_largest_share_of_the_allowance():
    assert checks.tolerance_used([1.0, 2.0], [1.0, 2.1], rtol=0, atol=0.2) == pytest.approx(0.5)
    assert checks.tolerance_used([1.0, 4.0], [1.1, 2.0], rtol=1.0, atol=0) == pytest.approx(1.0)
    assert checks.tolerance_used([0.0, np.nan], [0.0, np.nan], rtol=1e-9, atol=0) == 0.0
    assert checks.tolerance_used([1e-300], [0.0], rtol=1e-9, atol=0) == np.inf


@pytest.mark.parametrize("share,text", [(0.0, "under 10%"), (0.0999, "under 10%"), (0.1, "10%"),
                                        (0.37, "37%"), (1.0, "100%")])
def test_share_text_hides_round_off_digits(share, text):
    assert checks.share_text(share) == text


def test_check_close_text_does_not_depend_on_round_off(capsys):
    # two CPUs may differ in the last bits: the printed line must not
    for noise in (0.0, 2e-16, 7e-15, 5e-11):
        checks.check_close("x", [1.0 + noise], [1.0], rtol=1e-9)
    lines = capsys.readouterr().out.splitlines()
    assert len(set(lines)) == 1


def test_below_and_above_assert_and_name_the_bound():
    assert checks.below(3e-15, 1e-13) == "below 1e-13"
    assert checks.below(-0.01, 0.05) == "below 0.05"
    assert checks.above(2e-5, 1e-7) == "above 1e-7"
    with pytest.raises(AssertionError, match="not below"):
        checks.below(2e-13, 1e-13, "loss")
    with pytest.raises(AssertionError, match="not above"):
        checks.above(1e-8, 1e-7)
    with pytest.raises(ValueError, match="bound"):
        checks.below(1.0, 0.0)


def test_between_states_a_range():
    assert checks.between(5.6e-6, 1e-7, 1e-4) == "between 1e-7 and 1e-4"
    with pytest.raises(AssertionError, match="not between"):
        checks.between(1e-3, 1e-7, 1e-4, "best step")
    with pytest.raises(ValueError, match="high"):
        checks.between(1.0, 2.0, 1.0)


def test_sig_rounds_to_significant_digits():
    assert checks.sig(0.12596251651898172) == "0.126"
    assert checks.sig(1234.5678, 2) == "1.2e+03"
    with pytest.raises(ValueError, match="digits"):
        checks.sig(1.0, 0)


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




def test_derivation_labels_typeset_their_dollar_maths():
    from mlsheet_utils.checks.symbolic import label_latex

    assert label_latex("plain words") == r"\text{plain words:}"          # the stored outputs of every page
    assert label_latex(r"Var of the mean, $\sigma^2/n$") == r"\text{Var of the mean, }{\sigma^2/n}\text{:}"
    assert label_latex(r"$\lVert A\rVert_F^2$ for $n = 3$") == r"{\lVert A\rVert_F^2}\text{ for }{n = 3}\text{:}"
    with pytest.raises(ValueError, match="unmatched"):
        label_latex("half $maths")

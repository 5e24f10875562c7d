"""Formulas are data: every model formula is checked against the allowlist before formulaic
evaluates anything (issue 11, code execution), through the Python API and a spec on the CLI."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import crlm_outcomes as co
from crlm_outcomes.cli import app
from crlm_outcomes.errors import FormulaError
from crlm_outcomes.formula import ALLOWED_FUNCTIONS, check_expression, check_formula


def _data(n: int = 80, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(62, 9, n)
    return pd.DataFrame(
        {
            "age": age,
            "lambda": rng.normal(size=n),
            "odd name": rng.normal(size=n),
            "sex": np.where(rng.random(n) < 0.5, "F", "M"),
            "treat": (rng.random(n) < 0.45).astype(int),
            "time": rng.exponential(30, n) + 0.5,
            "status": rng.integers(0, 2, n),
            "cause": rng.integers(0, 3, n),
        }
    )


def payloads(marker: Path) -> list[str]:
    m = str(marker)
    return [
        f"age + {{__import__('os').system('touch {m}')}}",
        f"{{open('{m}', 'w')}}",
        f"age + I(__import__('os').system('touch {m}'))",
        f"__import__('os').system('touch {m}')",
        f"age + open('{m}', 'w')",
        f"eval(\"open('{m}', 'w')\")",
        f"exec(\"open('{m}', 'w')\")",
        "getattr(age, '__class__')",
        f"log(age) + C(sex, __import__('os').system('touch {m}'))",
        f"I([open('{m}', 'w') for _ in age])",
        f"I((lambda: open('{m}', 'w'))())",
        "age.__class__",
        "I(age.__class__.__mro__)",
        "np.log(age)",
        "age[0]",
        "I(age[0])",
        "lambda x: x",
        "__builtins__",
        "I(__builtins__)",
        "bs(age, _state={})",
        "I(9 ** 9 ** 9)",
        "I('a' * 1000000000)",
        "age + {1}",
        "age + .",
        "age + `x`.__class__",
        "I(f'{age}')",
        "I(*age)",
        "C(sex, contr.treatment)",
    ]


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "pwned"


def _each_payload(marker: Path, fit) -> None:
    for formula in payloads(marker):
        with pytest.raises(FormulaError) as err:
            fit(formula)
        assert "Traceback" not in str(err.value)
        assert not marker.exists(), formula


def test_cox_refuses_code(marker):
    data = _data()
    _each_payload(marker, lambda f: co.cox(data, f, "time", "status"))


def test_fine_gray_refuses_code(marker):
    data = _data()
    _each_payload(marker, lambda f: co.fine_gray(data, f, "time", "cause"))


def test_propensity_model_refuses_code(marker):
    data = _data()
    _each_payload(marker, lambda f: co.propensity_weights(data, "treat", f))


def test_the_error_names_the_offending_term():
    cases = {
        "age + getattr(age, 'x')": "unknown function 'getattr'",
        "age + open('x')": "unknown function 'open'",
        "age + age.__class__": "double underscores",
        "log(age).real": "attribute access",
        "I(age[0])": "subscripts are not allowed",
        "age + x[0]": "subscripts",
        "I(lambda: 1)": "lambdas are not allowed",
        "age + {age}": "braces",
        "I([a for a in age])": "comprehensions are not allowed",
    }
    for formula, fragment in cases.items():
        with pytest.raises(FormulaError) as err:
            check_formula(formula)
        assert fragment in str(err.value), (formula, str(err.value))


def test_unknown_function_lists_the_allowed_ones():
    with pytest.raises(FormulaError) as err:
        co.cox(_data(), "age + spline(age)", "time", "status")
    msg = str(err.value)
    assert "unknown function 'spline'" in msg
    for name in ("rcs", "bs", "cr", "cs", "center", "scale", "log", "sqrt", "I", "C", "Q"):
        assert name in msg
    assert set(ALLOWED_FUNCTIONS) >= {
        "log",
        "log2",
        "log10",
        "exp",
        "sqrt",
        "abs",
        "pow",
        "bs",
        "cr",
        "cs",
        "center",
        "scale",
        "standardize",
        "rcs",
        "poly",
    }


def test_unknown_column_is_named():
    with pytest.raises(FormulaError, match="unknown column 'weight'"):
        co.cox(_data(), "age + log(weight)", "time", "status")


def test_check_expression_for_other_user_expressions():
    assert check_expression("I(age > 60) + log(`odd name`)") == ("age", "odd name")
    assert check_expression("I(age ** 2)", columns=["age"]) == ("age",)
    with pytest.raises(FormulaError, match="unknown column"):
        check_expression("I(age + bmi)", columns=["age"])
    for bad in ("open('x')", "age.real", "age[0]", "__import__('os')", "I(print)"):
        with pytest.raises(FormulaError):
            check_expression(bad)


def test_keywords_and_odd_names_by_quoting():
    data = _data()
    a = co.cox(data, "`lambda` + Q('odd name')", "time", "status")
    renamed = data.rename(columns={"lambda": "lam", "odd name": "odd"})
    b = co.cox(renamed, "lam + odd", "time", "status")
    np.testing.assert_allclose(a.table["coef"], b.table["coef"], rtol=1e-12)
    c = co.cox(data, "I(Q('lambda') * 2) + log(abs(`odd name`))", "time", "status")
    d = co.cox(
        renamed.assign(l2=renamed["lam"] * 2, lo=np.log(np.abs(renamed["odd"]))),
        "l2 + lo",
        "time",
        "status",
    )
    np.testing.assert_allclose(c.table["coef"], d.table["coef"], rtol=1e-12)
    with pytest.raises(FormulaError, match=r"Q\('lambda'\)"):
        check_formula("I(`lambda` + 1)")
    with pytest.raises(FormulaError, match="keyword"):
        check_formula("log(lambda)")


def test_cox_accepts_a_leading_tilde_like_fine_gray():
    data = _data()
    a = co.cox(data, "~ age + sex", "time", "status")
    b = co.cox(data, "age + sex", "time", "status")
    np.testing.assert_array_equal(a.table["coef"], b.table["coef"])
    with pytest.raises(FormulaError, match="right-hand side"):
        co.cox(data, "time ~ age", "time", "status")


def test_spec_formula_is_refused_before_anything_runs(tmp_path, marker):
    runner = CliRunner()
    for i, formula in enumerate(payloads(marker)[:11]):
        spec = {
            "title": "hostile",
            "cohort": {"demo": True, "n": 60},
            "endpoints": ["os"],
            "cox": [{"name": "m", "formula": formula}],
            "output": {"figure_formats": ["png"], "table_formats": ["csv"]},
        }
        path = tmp_path / f"spec{i}.yaml"
        path.write_text(yaml.safe_dump(spec), encoding="utf-8")
        out = tmp_path / f"out{i}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = runner.invoke(app, ["report", str(path), "--out", str(out), "--quiet"])
        assert result.exit_code == 2, (formula, result.output)
        assert "cox[0].formula" in result.output
        assert "Traceback" not in result.output
        assert not marker.exists(), formula
        assert not out.exists()


def test_spec_formula_refers_to_known_columns():
    from crlm_outcomes.report.spec import parse_spec

    spec = {
        "cohort": {"demo": True},
        "cox": [{"name": "m", "formula": "rcs(age_at_diagnosis, 4)" + " + C(sex)"}],
    }
    assert parse_spec(spec).cox[0].formula.startswith("rcs(")
    spec["cox"][0]["formula"] = "age_at_diagnosis + shoe_size"
    with pytest.raises(FormulaError, match="shoe_size"):
        parse_spec(spec)


@pytest.mark.parametrize(
    "formula",
    [
        "(a + b + c + d + e + f + g + h + i + j + k + l + m + n + o + p)^16",
        "a*b*c*d*e*f*g*h*i*j*k*l*m*n",
        "rcs(age, 100000)",
        "bs(age, df=100000)",
        "poly(age, degree=1000)",
        "I(age ** 1000)",
        "rcs(age, [" + ", ".join(str(i) for i in range(500)) + "])",
        "age + " * 3000 + "age",
    ],
)
def test_resource_exhaustion_is_refused_before_parsing(formula):
    with pytest.raises(FormulaError):
        check_formula(formula)


def test_ordinary_interactions_are_allowed():
    assert check_formula("(age + sex + cea)^2").variables == ("age", "sex", "cea")
    assert check_formula("age * sex * cea").terms == ("age", "sex", "cea")


def test_random_formulas_give_a_design_or_a_formula_error():
    """A fixed-seed fuzz over formula fragments (operators, quotes, brackets, code): every
    string either builds a design or is a FormulaError, never another exception."""
    import random

    from crlm_outcomes.formula import build_design

    rng = random.Random(0)
    data = pd.DataFrame(
        {"age": np.linspace(30, 80, 40), "sex": ["F", "M"] * 20, "x": np.arange(40.0)}
    )
    atoms = [
        "age",
        "sex",
        "x",
        "`age`",
        "Q('x')",
        "log(age)",
        "rcs(age, 3)",
        "C(sex)",
        "I(age**2)",
        "bs(x)",
        "(",
        ")",
        "+",
        "-",
        "*",
        ":",
        "/",
        "^2",
        "**",
        "~",
        "{",
        "}",
        "[",
        "]",
        ".",
        "'",
        '"',
        "`",
        ",",
        "1",
        "0",
        "lambda",
        "__class__",
        "open(",
        "eval",
        "I(",
        ")(",
        "=",
        "_state",
        "%in%",
        "|",
        "\\",
    ]
    built = 0
    for _ in range(1500):
        formula = " ".join(rng.choice(atoms) for _ in range(rng.randint(1, 8)))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                build_design(formula, data)
            built += 1
        except FormulaError:
            pass
    assert built > 20

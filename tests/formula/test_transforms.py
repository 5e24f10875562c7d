"""formulaic's stateful transforms (bs, cr, cs, center, scale, standardize, poly) and rcs in
Cox, Fine–Gray and the propensity model; predictions on new data reuse the fitted state."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import crlm_outcomes as co
from crlm_outcomes.errors import DataQualityWarning, FormulaError
from crlm_outcomes.formula import build_design, design_matrix_for, model_matrix, rcs_basis


def _data(n: int = 120, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(62, 9, n)
    cea = np.exp(rng.normal(2, 1, n))
    lp = 0.03 * (age - 62) + 0.2 * np.log(cea)
    return pd.DataFrame(
        {
            "age": age,
            "cea": cea,
            "sex": np.where(rng.random(n) < 0.5, "F", "M"),
            "treat": (rng.random(n) < 1 / (1 + np.exp(-(age - 62) / 10))).astype(int),
            "time": rng.exponential(30 * np.exp(-lp)) + 0.5,
            "status": (rng.random(n) < 0.7).astype(int),
            "cause": rng.integers(0, 3, n),
        }
    )


TRANSFORMS = [
    "bs(age, df=4)",
    "cr(age, df=3, constraints='center')",
    "cs(age, df=3, constraints='center')",
    "center(age)",
    "scale(age)",
    "standardize(age)",
    "poly(age, 2)",
    "rcs(age, 4)",
    "rcs(age, [50, 60, 70])",
]


@pytest.mark.parametrize("term", TRANSFORMS)
def test_transform_fits_in_cox_and_predicts_with_the_fitted_state(term):
    data = _data()
    fit = co.cox(data, f"{term} + C(sex) + log(cea)", "time", "status")
    assert fit.table["coef"].notna().all()
    full = fit.predict(data)
    # one row alone would give other knots / means if the state were re-learnt
    one = fit.predict(data.iloc[[5]])
    np.testing.assert_allclose(one, full[[5]], rtol=1e-12)
    np.testing.assert_allclose(full, fit.predict(), rtol=1e-10, atol=1e-12)


def test_centring_transforms_keep_the_fitted_mean():
    data = _data()
    design = build_design("center(age) + scale(cea)", data)
    new = pd.DataFrame({"age": [data["age"].mean()], "cea": [data["cea"].mean()]})
    np.testing.assert_allclose(design_matrix_for(design, new), [[0.0, 0.0]], atol=1e-12)


@pytest.mark.parametrize(
    "term", ["bs(age, df=4)", "cr(age, df=3, constraints='center')", "scale(age)", "rcs(age, 4)"]
)
def test_transform_in_fine_gray_predicts_with_the_fitted_state(term):
    data = _data()
    fit = co.fine_gray(data, f"{term} + sex", "time", "cause")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        many = fit.predict(data.iloc[:10], times=[10.0])
        one = fit.predict(data.iloc[[3]], times=[10.0])
    np.testing.assert_allclose(one["cif"].to_numpy(), many.loc[many["row"] == 3, "cif"], rtol=1e-12)


@pytest.mark.parametrize("term", ["scale(age)", "rcs(age, 3)", "bs(age, df=3)"])
def test_transform_in_propensity_model_equals_precomputed_columns(term):
    data = _data()
    fit = co.propensity_weights(data, "treat", f"{term} + sex")
    cols = model_matrix(data, term)
    pre = pd.concat([data, cols.set_axis([f"c{j}" for j in range(cols.shape[1])], axis=1)], axis=1)
    ref = co.propensity_weights(
        pre, "treat", " + ".join(f"c{j}" for j in range(cols.shape[1])) + " + sex"
    )
    np.testing.assert_allclose(fit.weights, ref.weights, rtol=1e-10)


def test_rcs_columns_are_the_rms_basis():
    data = _data()
    design = build_design("rcs(age, [50, 60, 70])", data)
    assert design.columns == ["rcs(age, [50, 60, 70])[1]", "rcs(age, [50, 60, 70])[2]"]
    np.testing.assert_allclose(
        design.X, rcs_basis(data["age"].to_numpy(), [50, 60, 70]), rtol=1e-14
    )


def test_transform_failure_is_a_formula_error():
    data = _data()
    with pytest.raises(FormulaError, match="cannot build the design matrix"):
        co.cox(data.assign(age=data["age"] - 100), "log(age)", "time", "status")
    with pytest.raises(FormulaError, match="fewer than 3 distinct knots|at least 3"):
        co.cox(data, "rcs(age, [50, 60])", "time", "status")


def test_columns_named_like_builtins_work_everywhere():
    data = _data().rename(columns={"age": "id", "cea": "type"})
    fit = co.cox(data, "rcs(id, 3) + C(sex) + log(type)", "time", "status")
    assert fit.predict(data.iloc[[0]]).shape == (1,)
    fg = co.fine_gray(data, "scale(id) + log(type)", "time", "cause")
    assert len(fg.predict(data.iloc[:2], times=[5.0])) == 2


def test_fine_gray_spline_wald_test_and_partial_effect():
    from crlm_outcomes.formula.effects import spline_knots

    data = _data()
    fit = co.fine_gray(data, "rcs(age, 4) + sex", "time", "cause")
    table = fit.anova()
    assert list(table["term"]) == ["rcs(age, 4)", "rcs(age, 4)", "sex", "TOTAL"]
    b = fit.table["coef"].to_numpy()
    v = fit.var.to_numpy()
    nl = b[1:3] @ np.linalg.solve(v[1:3, 1:3], b[1:3])
    assert table.loc[1, "statistic"] == pytest.approx(nl, rel=1e-10)
    assert table.loc[1, "df"] == 2
    eff = fit.partial_effect("age", values=[50.0, 70.0])
    knots = spline_knots(fit.model_spec, "age")
    ref = float(np.median(data["age"]))
    expected = np.exp((rcs_basis([50.0, 70.0], knots) - rcs_basis([ref], knots)) @ b[:3])
    np.testing.assert_allclose(eff.table["hr"], expected, rtol=1e-12)
    assert eff.ratio_label == "Subdistribution hazard ratio"

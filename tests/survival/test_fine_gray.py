"""fine_gray against cmprsk::crr (tests/reference/competing_risks.R)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    EstimationError,
    FormulaError,
    SpecError,
    SurvivalDataError,
)
from crlm_outcomes.survival.fine_gray import fine_gray, model_matrix

REF = Path(__file__).resolve().parents[1] / "reference" / "competing_risks"
RTOL = 1e-8


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"data_{name}.csv")


def _syn9() -> pd.DataFrame:
    syn = _data("synthetic")
    return syn.assign(status=syn["status"].where(syn["status"] != 0, 9))


MODELS = {
    "example_x123": (lambda: _data("example"), "x1 + x2 + x3", "time", "status", {}),
    "example_x123_fail2": (
        lambda: _data("example"),
        "x1 + x2 + x3",
        "time",
        "status",
        {"cause": 2},
    ),
    "mgus2_age_sex_hgb_creat": (
        lambda: _data("mgus2"),
        "age + sex + hgb + creat",
        "etime",
        "event",
        {},
    ),
    "mgus2_age_sex_hgb_creat_death": (
        lambda: _data("mgus2"),
        "age + sex + hgb + creat",
        "etime",
        "event",
        {"cause": 2},
    ),
    "synthetic_full": (
        lambda: _data("synthetic"),
        "age + stage + cea_high + treated",
        "time",
        "status",
        {},
    ),
    "synthetic_full_cengroup": (
        lambda: _data("synthetic"),
        "age + stage + cea_high + treated",
        "time",
        "status",
        {"cengroup": "cengroup"},
    ),
    "synthetic_cencode9": (
        _syn9,
        "age + stage + cea_high + treated",
        "time",
        "status",
        {"cause": 2, "censor_code": 9},
    ),
}


def _fit(model: str):
    make, formula, duration, event, kwargs = MODELS[model]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # mgus2 rows with missing hgb/creat
        return fine_gray(make(), formula, duration, event, **kwargs)


@pytest.mark.parametrize("model", list(MODELS))
def test_summary_matches_crr(model):
    ref = pd.read_csv(REF / "crr_coef.csv")
    ref = ref[ref["model"] == model].reset_index(drop=True)
    res = _fit(model)
    t = res.table
    assert len(t) == len(ref)
    for col_ours, col_r in [
        ("coef", "coef"),
        ("hr", "exp_coef"),
        ("std_error", "se"),
        ("statistic", "z"),
        ("lower", "lower"),
        ("upper", "upper"),
    ]:
        np.testing.assert_allclose(t[col_ours], ref[col_r], rtol=RTOL, err_msg=col_ours)
    # R computes p as 1 - pnorm(), which underflows to 0 for |z| > 8.3
    np.testing.assert_allclose(t["p"], ref["p"], rtol=1e-7, atol=1e-15)


@pytest.mark.parametrize("model", list(MODELS))
def test_variance_information_loglik_match(model):
    res = _fit(model)
    var = pd.read_csv(REF / "crr_var.csv")
    var = var[var["model"] == model]
    p = len(res.table)
    v_ref = np.zeros((p, p))
    i_ref = np.zeros((p, p))
    v_ref[var["row"] - 1, var["col"] - 1] = var["var"]
    i_ref[var["row"] - 1, var["col"] - 1] = var["inf"]
    np.testing.assert_allclose(res.var.to_numpy(), v_ref, rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(res.information.to_numpy(), i_ref, rtol=RTOL)
    info = pd.read_csv(REF / "crr_info.csv").set_index("model").loc[model]
    assert res.loglik == pytest.approx(info["loglik"], rel=1e-12)
    assert res.loglik_null == pytest.approx(info["loglik_null"], rel=1e-12)
    assert res.logtest == pytest.approx(info["logtest"], rel=1e-9)
    assert res.converged == bool(info["converged"])
    assert res.n == info["n"]


def test_factor_columns_follow_r_treatment_contrasts():
    syn = _data("synthetic")
    mm = model_matrix(syn, "age + stage + cea_high + treated")
    assert list(mm.columns) == ["age", "stage[T.II]", "stage[T.III]", "cea_high", "treated"]
    assert set(np.unique(mm["stage[T.III]"])) == {0.0, 1.0}


def test_missing_covariates_excluded_and_recorded():
    mg = _data("mgus2")
    with pytest.warns(UserWarning, match="excluded"):
        res = fine_gray(mg, "age + sex + hgb + creat", "etime", "event")
    assert res.n == 1349 and res.n_excluded == len(mg) - 1349
    assert set(res.excluded["column"]) <= {"hgb", "creat"}


def test_summary_text_and_html():
    res = _fit("synthetic_full")
    text = res.summary()
    assert "exp(coef)" in text and "2.5%" in text and "stage[T.III]" in text
    assert "Pseudo likelihood ratio test" in text
    assert "Fine–Gray" in res._repr_html_()
    assert list(res.params.index) == list(res.table["term"])
    assert res.counts["n_cause"] + res.counts["n_competing"] + res.counts["n_censored"] == res.n


def test_non_convergence_warns():
    syn = _data("synthetic")
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        res = fine_gray(syn, "age + stage", "time", "status", max_iter=0)
    assert not res.converged
    assert (res.table["coef"] == 0).all()


def test_errors():
    syn = _data("synthetic")
    with pytest.raises(FormulaError):
        fine_gray(syn, "age + nonexistent", "time", "status")
    with pytest.raises(FormulaError):
        fine_gray(syn, "time ~ age", "time", "status")
    with pytest.raises(EstimationError, match="no event with code 3"):
        fine_gray(syn, "age", "time", "status", cause=3)
    with pytest.raises(SpecError):
        fine_gray(syn, "age", "time", "status", cause=3, causes=[1, 2])
    with pytest.raises(EstimationError, match="constant"):
        fine_gray(syn.assign(k=1.0), "age + k", "time", "status")
    bad = syn.copy()
    bad.loc[5, "status"] = 7
    with pytest.raises(SurvivalDataError, match="outside the declared set"):
        fine_gray(bad, "age", "time", "status", causes=[1, 2])
    with pytest.raises(SpecError):
        fine_gray(syn, "age", "time", "status", init=[0.0, 0.0])


def test_invariance_to_row_order():
    syn = _data("synthetic")
    a = fine_gray(syn, "age + stage", "time", "status").table
    b = fine_gray(syn.sample(frac=1.0, random_state=3), "age + stage", "time", "status").table
    np.testing.assert_allclose(a["coef"], b["coef"], rtol=1e-10)
    np.testing.assert_allclose(a["std_error"], b["std_error"], rtol=1e-10)


@pytest.mark.parametrize("model", list(MODELS))
def test_predict_matches_predict_crr(model):
    """predict.crr(fit, cov1 = the first two rows of the covariate matrix)."""
    make, formula, duration, event, _ = MODELS[model]
    fit = _fit(model)
    data = make()
    from crlm_outcomes.formula import check_formula

    newdata = data.dropna(subset=list(check_formula(formula).variables)).iloc[:2]
    ref = pd.read_csv(REF / "crr_predict.csv")
    ref = ref[ref["model"] == model]
    ours = fit.predict(newdata)
    assert len(ours) == len(ref)
    np.testing.assert_allclose(ours["time"], ref["time"], rtol=1e-12)
    np.testing.assert_array_equal(ours["row"], ref["row"])
    np.testing.assert_allclose(ours["cif"], ref["cif"], rtol=RTOL)


def test_predict_at_times_is_the_step_function():
    fit = _fit("synthetic_full")
    nd = _data("synthetic").iloc[:1]
    full = fit.predict(nd)
    first, last = full["time"].iloc[0], fit.last_time
    mid = full["time"].iloc[len(full) // 2]
    at = fit.predict(nd, times=[first / 2, mid, last, last + 1])
    assert at["cif"].iloc[0] == 0.0
    assert at["cif"].iloc[1] == pytest.approx(
        full.loc[full["time"] <= mid, "cif"].iloc[-1], rel=1e-14
    )
    assert at["cif"].iloc[2] == pytest.approx(full["cif"].iloc[-1], rel=1e-14)
    assert np.isnan(at["cif"].iloc[3])
    with pytest.raises(FormulaError, match="lacks"):
        fit.predict(nd.drop(columns=["age"]))
    with pytest.raises(FormulaError, match="IX"):
        fit.predict(nd.assign(stage="IX"))
    two = pd.concat([nd, nd.assign(age=np.nan)], ignore_index=True)
    with pytest.warns(DataQualityWarning, match="1 row"):
        both = fit.predict(two, times=[mid])
    assert both["row"].tolist() == [0, 1]
    assert both["cif"].iloc[0] == at["cif"].iloc[1] and np.isnan(both["cif"].iloc[1])

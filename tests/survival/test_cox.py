"""crlm_outcomes.survival.cox: API, edge cases, warnings and errors (numbers: test_cox_reference)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import (
    DataQualityWarning,
    EstimationError,
    FormulaError,
    InputError,
    MonotoneLikelihoodWarning,
    SpecError,
    SurvivalDataError,
)
from crlm_outcomes.survival.cox import CoxResult, cox

REF = Path(__file__).resolve().parents[1] / "reference" / "cox"


@pytest.fixture(scope="module")
def syn() -> pd.DataFrame:
    return pd.read_csv(REF / "data_synthetic.csv")


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    df = pd.read_csv(REF / "data_lung.csv")
    df.columns = [c.replace(".", "_") for c in df.columns]
    return df


def test_result_is_frozen_and_renders(syn):
    fit = cox(syn, "x1 + x2 + g", "time", "status")
    assert isinstance(fit, CoxResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.n = 3
    html = fit._repr_html_()
    assert "Cox proportional-hazards model" in html and "g[T.b]" in html
    assert list(fit.table.columns) == [
        "term",
        "coef",
        "std_error",
        "hr",
        "lower",
        "upper",
        "statistic",
        "p",
    ]
    assert list(fit.tests["test"]) == ["likelihood_ratio", "wald", "score"]
    assert fit.vcov.shape == (4, 4)
    assert fit.n_excluded == 0 and fit.excluded.empty


def test_missing_values_are_excluded_and_recorded(lung):
    with pytest.warns(DataQualityWarning, match="excluded"):
        fit = cox(lung, "age + ph_ecog + wt_loss", "time", "status")
    n_missing = int(lung[["age", "ph_ecog", "wt_loss"]].isna().any(axis=1).sum())
    assert n_missing > 0
    assert fit.n == len(lung) - n_missing
    assert fit.n_excluded == n_missing
    assert set(fit.excluded["column"]) == {"ph_ecog", "wt_loss"}


def test_robust_default_follows_r(syn):
    assert not cox(syn, "x1", "time", "status", weights="w").robust  # integer weights
    frac = syn.assign(w=syn["w"] * 0.75)
    fit = cox(frac, "x1", "time", "status", weights="w")  # non-integer weights
    assert fit.robust and "robust_std_error" in fit.table.columns
    assert "robust_score" in set(fit.tests["test"])
    assert cox(syn, "x1", "time", "status", cluster="site").robust
    with pytest.warns(DataQualityWarning, match="cluster ignored"):
        fit = cox(syn, "x1", "time", "status", cluster="site", robust=False)
    assert not fit.robust


def test_robust_ci_uses_robust_se(syn):
    fit = cox(syn, "x1 + x2", "time", "status", cluster="site")
    s = fit.table
    np.testing.assert_allclose(s["statistic"], s["coef"] / s["robust_std_error"])
    np.testing.assert_allclose(
        s["upper"], np.exp(s["coef"] + 1.959963984540054 * s["robust_std_error"])
    )
    np.testing.assert_allclose(np.sqrt(np.diag(fit.vcov)), s["robust_std_error"])


def test_conf_level(syn):
    a = cox(syn, "x1", "time", "status", conf_level=0.9).table
    b = cox(syn, "x1", "time", "status").table
    assert a["upper"].iloc[0] < b["upper"].iloc[0]


def test_aliased_column_is_missing_with_warning(syn):
    with pytest.warns(DataQualityWarning, match="x3"):
        fit = cox(syn, "x1 + x2 + x3", "time", "status")
    assert np.isnan(fit.table["coef"].iloc[2]) and np.isnan(fit.table["std_error"].iloc[2])
    assert int(fit.tests["df"].iloc[0]) == 2
    assert np.isnan(fit.vcov.loc["x3", "x3"])


def test_monotone_likelihood_names_the_covariate(syn):
    with pytest.warns(MonotoneLikelihoodWarning, match="sep"):
        fit = cox(syn, "x1 + sep", "time", "status")
    assert fit.table["coef"].iloc[1] > 10


def test_single_level_factor_is_a_formula_error(syn):
    one = syn.assign(g="a")
    with pytest.raises(FormulaError, match="fewer than two levels"):
        cox(one, "x1 + g", "time", "status")


def test_unused_categorical_level_gives_missing_coefficient(syn):
    cat = syn.assign(g=pd.Categorical(syn["g"], categories=["a", "b", "c", "d"]))
    with pytest.warns(DataQualityWarning, match=r"g\[T.d\]"):
        fit = cox(cat, "x1 + g", "time", "status")
    assert np.isnan(fit.table.set_index("term").loc["g[T.d]", "coef"])
    ref = cox(syn, "x1 + g", "time", "status")
    np.testing.assert_allclose(fit.table["coef"].iloc[:3], ref.table["coef"], rtol=1e-10)


def test_categorical_order_sets_reference(syn):
    cat = syn.assign(g=pd.Categorical(syn["g"], categories=["c", "a", "b"]))
    fit = cox(cat, "x1 + g", "time", "status")
    assert fit.table["term"].tolist() == ["x1", "g[T.a]", "g[T.b]"]
    assert fit.state.design.references["g"] == "c"


def test_all_censored_is_an_estimation_error(syn):
    with pytest.raises(EstimationError, match="no events"):
        cox(syn.assign(status=0), "x1", "time", "status")


def test_bad_inputs_are_named(syn):
    with pytest.raises(SpecError, match="exact"):
        cox(syn, "x1", "time", "status", ties="exact")
    with pytest.raises(FormulaError, match="right-hand side"):
        cox(syn, "Surv(time, status) ~ x1", "time", "status")
    with pytest.raises(FormulaError, match="unknown column"):
        cox(syn, "x1 + nope", "time", "status")
    with pytest.raises(FormulaError, match="intercept"):
        cox(syn, "x1 + g - 1", "time", "status")
    bad = syn.copy()
    bad.loc[5, "time"] = -1
    with pytest.raises(SurvivalDataError, match="negative duration") as err:
        cox(bad, "x1", "time", "status")
    assert err.value.column == "time" and err.value.row == 5
    with pytest.raises(InputError):
        cox(syn, "x1", "time", "status", conf_level=1.5)


def test_entry_must_precede_exit(syn):
    bad = syn.assign(entry=syn["time"])
    with pytest.raises(SurvivalDataError, match="entry"):
        cox(bad, "x1", "time", "status", entry="entry")


def test_efron_equals_breslow_without_ties():
    rng = np.random.default_rng(3)
    df = pd.DataFrame(
        {"x": rng.normal(size=200), "t": rng.exponential(size=200), "e": rng.integers(0, 2, 200)}
    )
    a = cox(df, "x", "t", "e")
    b = cox(df, "x", "t", "e", ties="breslow")
    np.testing.assert_allclose(a.table["coef"], b.table["coef"], rtol=1e-12)


def test_split_intervals_equal_unsplit_fit(syn):
    """(0, t] split at t/2 into two (entry, stop] rows gives the same partial likelihood."""
    first = syn.assign(entry=0.0, stop=syn["time"] / 2, ev=0)
    second = syn.assign(entry=syn["time"] / 2, stop=syn["time"], ev=syn["status"])
    split = pd.concat([first, second], ignore_index=True)
    a = cox(split, "x1 + x2", "stop", "ev", entry="entry")
    b = cox(syn, "x1 + x2", "time", "status")
    np.testing.assert_allclose(a.table["coef"], b.table["coef"], rtol=1e-9)
    np.testing.assert_allclose(a.loglik, b.loglik, rtol=1e-10)


def test_predict_survival_times_and_strata(syn):
    fit = cox(syn, "x1 + x2", "time", "status", strata="site")
    nd = pd.DataFrame({"x1": [0.0, 1.0], "x2": [0, 1], "site": ["s1", "s2"]})
    full = fit.predict_survival(nd)
    at = fit.predict_survival(nd, times=[5, 10, 1000])
    assert list(at.columns) == [
        "row",
        "strata",
        "time",
        "cumhaz",
        "surv",
        "std_error",
        "lower",
        "upper",
    ]
    assert at["strata"].tolist() == ["s1"] * 3 + ["s2"] * 3
    upto = full[(full["row"] == 0) & (full["time"] <= 10)].iloc[-1]
    for col in ("surv", "std_error", "lower", "upper"):  # the step function at t = 10
        assert at[col].iloc[1] == pytest.approx(upto[col], rel=1e-12)
    assert at[["surv", "std_error", "lower", "upper"]].iloc[2].isna().all()  # beyond the data
    before = fit.predict_survival(nd, times=[0.0])
    assert before["surv"].tolist() == [1.0, 1.0] and before["std_error"].tolist() == [0.0, 0.0]
    with pytest.raises(SpecError, match="conf_type"):
        fit.predict_survival(nd, conf_type="logg")
    with pytest.raises(SpecError, match="stratum"):
        fit.predict_survival(nd.assign(site=["s1", "zz"]))
    with pytest.raises(SpecError, match="type"):
        fit.predict(nd, type="expected")
    both = fit.predict_survival(nd[["x1", "x2"]])
    assert set(both["strata"]) == {"s1", "s2"} and set(both["row"]) == {0, 1}


def test_near_equal_times_are_merged_as_r_timefix(syn):
    """R's coxph(timefix = TRUE): 0.1 + 0.2 and 0.3 are one time point."""
    df = syn.assign(time=syn["time"] / 10.0)
    jitter = df.copy()
    jitter.loc[::2, "time"] = jitter.loc[::2, "time"] * (1 + 1e-12)
    a = cox(df, "x1 + x2", "time", "status")
    b = cox(jitter, "x1 + x2", "time", "status")
    np.testing.assert_allclose(a.table["coef"], b.table["coef"], rtol=1e-12)


def test_constant_covariate_is_aliased_like_r(syn):
    """R: a constant column gets coefficient NA (X matrix deemed to be singular)."""
    with pytest.warns(DataQualityWarning, match="const"):
        fit = cox(syn.assign(const=2.5), "x1 + const", "time", "status")
    assert np.isnan(fit.table["coef"].iloc[1])
    ref = cox(syn, "x1", "time", "status")
    np.testing.assert_allclose(fit.table["coef"].iloc[0], ref.table["coef"].iloc[0], rtol=1e-12)
    assert fit.ph_test()["term"].tolist() == ["x1", "GLOBAL"]


def test_newdata_rows_with_a_missing_covariate_are_kept_with_missing_predictions(syn):
    """No row of newdata is dropped: as R's predict(na.action = na.pass), a row with a missing
    covariate gets missing predictions, and the others are those of the complete rows alone."""
    from crlm_outcomes.errors import DataQualityWarning, FormulaError

    fit = cox(syn, "x1 + x2 + g", "time", "status")
    nd = pd.DataFrame({"x1": [0.0, np.nan, 1.0], "x2": [0, 1, 1], "g": ["a", "b", None]})
    with pytest.warns(DataQualityWarning, match="2 row"):
        lp = fit.predict(nd)
    assert np.isnan(lp[1]) and np.isnan(lp[2])
    assert lp[0] == pytest.approx(fit.predict(nd.iloc[:1])[0], rel=1e-14)
    with pytest.warns(DataQualityWarning):
        curves = fit.predict_survival(nd, times=[5.0, 10.0])
    assert curves["row"].tolist() == [0, 0, 1, 1, 2, 2]
    assert curves.loc[curves["row"] > 0, ["surv", "std_error", "lower", "upper"]].isna().all().all()
    assert curves.loc[curves["row"] == 0, "surv"].notna().all()
    with pytest.raises(FormulaError, match="zz"):
        fit.predict(nd.assign(g=["zz", "a", "b"]))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy: log of 0 and of negatives
def test_a_transform_that_yields_missing_values_is_a_clear_error(syn):
    """log of a negative value: formulaic would drop the row and the design would no longer
    line up with the times and events (an IndexError before); now a FormulaError naming it."""
    from crlm_outcomes.errors import FormulaError

    with pytest.raises(FormulaError, match=r"np.log\(x1\)"):
        cox(syn, "np.log(x1) + x2", "time", "status")


def test_prediction_for_a_row_without_its_stratum_value_says_which_column_is_missing():
    from crlm_outcomes.datasets import synthetic_cohort

    df = synthetic_cohort(300, seed=1).data.dropna(subset=["os_months", "age_at_diagnosis"])
    fit = cox(
        df.dropna(subset=["margin_status"]),
        "age_at_diagnosis",
        "os_months",
        "os_event",
        strata=["sex", "margin_status"],
    )
    row = df[df["margin_status"].isna()].head(1)
    with pytest.raises(SpecError, match="no value for the stratification column") as info:
        fit.predict_survival(row, times=[12])
    assert info.value.column == "margin_status" and info.value.row == 0

"""End-to-end agreement with R on the package's own synthetic CRLM cohort.

The cohort (``synthetic_cohort(n=800, seed=20251121)`` + ``stratify.apply_all`` + a stabilised
IPTW weight) is frozen in ``tests/reference/synthetic_cohort/cohort.csv`` by
``tests/reference/make_synthetic_cohort_csv.py``; ``tests/reference/synthetic_cohort.R``
(survival 3.5-3, cmprsk 2.2-11) wrote the reference outputs next to it. Every test here reads the
CSV, never a regenerated cohort, so the fixtures stay valid when the generator changes; the last
test only checks (tolerantly) that regenerating still gives the same table.

Tolerances (relative): closed-form estimators (Kaplan-Meier, RMST, log-rank, cumulative
incidence, Gray's test, concordance) ``RTOL_EXACT = 1e-9``; iterative fits (Cox, cox.zph,
predictions, Fine-Gray), whose last digits depend on the convergence path, ``RTOL_FIT = 1e-8``.
Measured when the fixtures were made: every compared number agrees to 2e-12 relative or better
(most to 1e-14), so these tolerances leave room for other platforms' BLAS/libm, not for
disagreement. Counts, degrees of freedom, medians and quantiles (data times) agree exactly.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import DataQualityWarning
from crlm_outcomes.survival import (
    cox,
    cumulative_incidence,
    fine_gray,
    gray_test,
    kaplan_meier,
    logrank,
    rmst,
)
from crlm_outcomes.survival.concordance import concordance_arrays

REF = Path(__file__).resolve().parents[1] / "reference" / "synthetic_cohort"
RTOL_EXACT = 1e-9
RTOL_FIT = 1e-8
TIMES = [12.0, 36.0, 60.0]


# ------------------------------------------------------------------------------------------------
# fixtures
# ------------------------------------------------------------------------------------------------
@cache
def cohort() -> pd.DataFrame:
    """cohort.csv with the factor levels of levels.csv (first level = reference, as in R)."""
    df = pd.read_csv(REF / "cohort.csv", keep_default_na=False, na_values=[""])
    levels = pd.read_csv(REF / "levels.csv", keep_default_na=False)
    for col, sub in levels.groupby("column", sort=False):
        cats = list(sub.sort_values("position")["level"])
        cat = pd.Categorical(df[col], categories=cats)
        assert cat.isna().sum() == df[col].isna().sum(), f"{col}: value outside levels.csv"
        df[col] = cat
    df["log_cea"] = np.log(df["cea_at_liver_diagnosis"])
    return df


@cache
def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(
        REF / name,
        keep_default_na=False,
        na_values=[""],
        dtype={"group": str, "key": str, "curve": str},
    )


def values(case: str, what: str) -> pd.Series:
    v = _csv("values.csv")
    sub = v[(v["case"] == case) & (v["what"] == what)]
    assert len(sub), f"no reference value {case}/{what}"
    return pd.Series(sub["value"].to_numpy(float), index=sub["key"].to_numpy())


def label(g) -> str:
    """Group label as R prints it (0/1 indicators read as floats print as '0'/'1')."""
    if isinstance(g, float) and g.is_integer():
        return str(int(g))
    return str(g)


def close(ours, r, rtol: float, what: str, atol: float = 0.0) -> None:
    ours = np.asarray(ours, dtype=float)
    r = np.asarray(r, dtype=float)
    assert ours.shape == r.shape, f"{what}: shape {ours.shape} vs R {r.shape}"
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(r), err_msg=f"{what}: NA pattern")
    np.testing.assert_allclose(ours, r, rtol=rtol, atol=atol, err_msg=what)


def quiet(fn, *args, **kwargs):
    """Call ``fn`` ignoring the expected DataQualityWarning about rows with missing values."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return fn(*args, **kwargs)


def test_fixture_integrity():
    df = cohort()
    assert df.shape[0] == 800
    assert df["patient_id"].is_unique
    rows = values("newdata", "rows").to_numpy(int)
    assert list(rows) == sorted(rows)
    for f in (
        "km_curves.csv",
        "km_at.csv",
        "km_table.csv",
        "km_quantile.csv",
        "values.csv",
        "cox_newdata.csv",
        "cuminc_curves.csv",
        "cuminc_timepoints.csv",
    ):
        assert len(_csv(f)) > 0
    assert "survival 3.5.3" in (REF / "versions.txt").read_text()


# ------------------------------------------------------------------------------------------------
# Kaplan-Meier (survfit)
# ------------------------------------------------------------------------------------------------
# case -> (duration, event, by, conf_type, weights), as km_cases in synthetic_cohort.R
KM_CASES = {
    "os_fong_log": ("os_months", "os_event", "fong_group", "log", None),
    "os_fong_loglog": ("os_months", "os_event", "fong_group", "log-log", None),
    "os_fong_plain": ("os_months", "os_event", "fong_group", "plain", None),
    "os_game_log": ("os_months", "os_event", "game_group", "log", None),
    "os_game_loglog": ("os_months", "os_event", "game_group", "log-log", None),
    "os_game_plain": ("os_months", "os_event", "game_group", "plain", None),
    "os_all_log": ("os_months", "os_event", None, "log", None),
    "rfs_fong_log": ("rfs_months", "rfs_event", "fong_group", "log", None),
    "hepatic_rfs_ras_loglog": (
        "hepatic_rfs_months",
        "hepatic_rfs_event",
        "ras_class",
        "log-log",
        None,
    ),
    "os_neoadj_iptw_log": ("os_months", "os_event", "neoadjuvant_chemo", "log", "iptw_neoadjuvant"),
}


@cache
def km(case: str):
    duration, event, by, conf_type, weights = KM_CASES[case]
    return quiet(kaplan_meier, cohort(), duration, event, by, conf_type=conf_type, weights=weights)


def _with_group(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(group=[label(g) for g in frame["group"]])


@pytest.mark.parametrize("case", list(KM_CASES))
def test_km_curves(case):
    ref = _csv("km_curves.csv").rename(columns={"std_err": "std_error"})
    ref = ref[ref["case"] == case]
    res = km(case)
    ours = _with_group(res.table)
    merged = ref.merge(
        ours,
        on=["group", "time"],
        how="outer",
        suffixes=("_r", ""),
        validate="one_to_one",
        indicator=True,
    )
    assert (merged["_merge"] == "both").all(), "different (group, time) rows than survfit"
    for col in ("n_risk", "n_event", "n_censor", "survival", "std_error", "lower", "upper"):
        close(merged[col], merged[f"{col}_r"], RTOL_EXACT, f"{case} {col}", atol=1e-15)
    assert res.variance == ("robust" if KM_CASES[case][4] else "greenwood")


@pytest.mark.parametrize("case", list(KM_CASES))
def test_km_summary_times(case):
    ref = _csv("km_at.csv").rename(columns={"std_err": "std_error"})
    ref = ref[ref["case"] == case].reset_index(drop=True)
    ours = _with_group(km(case).at(TIMES))
    merged = ref.merge(
        ours, on=["group", "time"], how="left", suffixes=("_r", ""), validate="one_to_one"
    )
    # R drops requested times beyond a group's follow-up (extend = FALSE); so do we
    assert len(ours) == len(ref)
    for col in ("n_risk", "n_event", "n_censor", "survival", "std_error", "lower", "upper"):
        close(merged[col], merged[f"{col}_r"], RTOL_EXACT, f"{case} at {col}", atol=1e-15)


@pytest.mark.parametrize("case", list(KM_CASES))
def test_km_median_rmean(case):
    ref = _csv("km_table.csv")
    ref = ref[ref["case"] == case].reset_index(drop=True)
    res = km(case)
    med = _with_group(res.median())
    n = _with_group(res.n)
    rm = _with_group(res.rmst(60))
    assert list(med["group"]) == list(ref["group"])
    close(n["n"], ref["records"], 0, f"{case} records")
    close(n["events"], ref["events"], RTOL_EXACT, f"{case} events")
    for col in ("median", "lower", "upper"):
        close(med[col], ref[col], RTOL_EXACT, f"{case} median {col}")
    close(rm["estimate"], ref["rmean"], RTOL_EXACT, f"{case} rmean")


@pytest.mark.parametrize("case", list(KM_CASES))
def test_km_se_rmean(case):
    # print(fit, rmean = 60)'s se(rmean) is the Greenwood-type formula on the (weighted)
    # counts, also for the IPTW-weighted curves
    ref = _csv("km_table.csv")
    ref = ref[ref["case"] == case].reset_index(drop=True)
    close(km(case).rmst(60)["std_error"], ref["se_rmean"], RTOL_EXACT, f"{case} se(rmean)")
    duration, event, by, _, weights = KM_CASES[case]
    res = quiet(rmst, cohort(), duration, event, by, tau=60, weights=weights, robust=False)
    close(res.table["estimate"], ref["rmean"], RTOL_EXACT, f"{case} rmst()")
    close(res.table["std_error"], ref["se_rmean"], RTOL_EXACT, f"{case} rmst() std_err")


@pytest.mark.parametrize("case", list(KM_CASES))
def test_km_quantiles(case):
    ref = _csv("km_quantile.csv")
    ref = ref[ref["case"] == case]
    ours = _with_group(km(case).quantile([0.25, 0.5, 0.75]))
    merged = ref.merge(
        ours, on=["group", "p"], how="left", suffixes=("_r", ""), validate="one_to_one"
    )
    for col in ("quantile", "lower", "upper"):
        close(merged[col], merged[f"{col}_r"], RTOL_EXACT, f"{case} quantile {col}")


# ------------------------------------------------------------------------------------------------
# log-rank (survdiff)
# ------------------------------------------------------------------------------------------------
# case -> (duration, event, by, strata, rho)
LR_CASES = {
    "os_game_rho0": ("os_months", "os_event", "game_group", None, 0),
    "os_game_rho1": ("os_months", "os_event", "game_group", None, 1),
    "os_game_strata_sex": ("os_months", "os_event", "game_group", "sex", 0),
    "os_game_strata_sex_rho1": ("os_months", "os_event", "game_group", "sex", 1),
    "os_fong_rho0": ("os_months", "os_event", "fong_group", None, 0),
    "rfs_ras_rho0": ("rfs_months", "rfs_event", "ras_class", None, 0),
}


@pytest.mark.parametrize("case", list(LR_CASES))
def test_logrank(case):
    duration, event, by, strata, rho = LR_CASES[case]
    res = quiet(logrank, cohort(), duration, event, by, strata=strata, rho=rho)
    table = _with_group(res.table).set_index("group")
    groups = list(values(case, "n").index)
    assert list(table.index) == groups
    close(res.statistic, values(case, "chisq").iloc[0], RTOL_EXACT, f"{case} chisq")
    assert res.df == int(values(case, "df").iloc[0])
    close(res.p, values(case, "p").iloc[0], RTOL_EXACT, f"{case} p", atol=1e-300)
    close(table["n"], values(case, "n"), 0, f"{case} n")
    close(table["observed"], values(case, "observed"), RTOL_EXACT, f"{case} observed")
    close(table["expected"], values(case, "expected"), RTOL_EXACT, f"{case} expected")
    close(
        np.diag(res.variance.to_numpy(float)),
        values(case, "var_diag"),
        RTOL_EXACT,
        f"{case} variance",
    )


# ------------------------------------------------------------------------------------------------
# Cox (coxph, cox.zph, concordance, predict, survfit.coxph)
# ------------------------------------------------------------------------------------------------
RHS = (
    "age_at_diagnosis + sex + kras_status + primary_node_positive + extrahepatic_disease"
    " + log_cea + liver_mets_timing"
)
RHS_NOSEX = (
    "age_at_diagnosis + kras_status + primary_node_positive + extrahepatic_disease"
    " + log_cea + liver_mets_timing"
)
# case -> (duration, event, formula, keyword arguments of cox)
COX_CASES = {
    "os_efron": ("os_months", "os_event", RHS, {}),
    "os_breslow": ("os_months", "os_event", RHS, {"ties": "breslow"}),
    "os_strata_sex": ("os_months", "os_event", RHS_NOSEX, {"strata": "sex"}),
    "os_iptw": (
        "os_months",
        "os_event",
        "neoadjuvant_chemo + " + RHS,
        {"weights": "iptw_neoadjuvant"},
    ),
    "os_cluster_year": ("os_months", "os_event", RHS, {"cluster": "diagnosis_year"}),
    "rfs_efron": ("rfs_months", "rfs_event", RHS, {}),
}


@cache
def cox_fit(case: str):
    duration, event, formula, kwargs = COX_CASES[case]
    return quiet(cox, cohort(), formula, duration, event, **kwargs)


@pytest.mark.parametrize("case", list(COX_CASES))
def test_cox_coefficients(case):
    fit = cox_fit(case)
    s = fit.table
    assert fit.n == int(values(case, "n").iloc[0])
    assert fit.n_event == int(values(case, "nevent").iloc[0])
    assert fit.n_excluded == len(cohort()) - fit.n
    assert len(s) == len(values(case, "coef"))
    close(s["coef"], values(case, "coef"), RTOL_FIT, f"{case} coef")
    close(s["std_error"], values(case, "se"), RTOL_FIT, f"{case} se")
    robust = COX_CASES[case][3].keys() & {"weights", "cluster"}
    assert fit.robust == bool(robust)
    if robust:
        close(s["robust_std_error"], values(case, "robust_se"), RTOL_FIT, f"{case} robust se")
    close(s["statistic"], values(case, "z"), RTOL_FIT, f"{case} z")
    close(s["p"], values(case, "p"), RTOL_FIT, f"{case} p", atol=1e-300)
    close(s["lower"], values(case, "lower"), RTOL_FIT, f"{case} lower")
    close(s["upper"], values(case, "upper"), RTOL_FIT, f"{case} upper")
    close(fit.loglik, values(case, "loglik"), RTOL_FIT, f"{case} loglik")
    close(fit.state.means, values(case, "means"), RTOL_FIT, f"{case} means", atol=1e-12)


@pytest.mark.parametrize("case", list(COX_CASES))
def test_cox_tests(case):
    tests = cox_fit(case).tests.set_index("test")
    ref = values(case, "test")
    assert list(tests.index) == list(ref.index)
    close(tests["statistic"], ref, RTOL_FIT, f"{case} tests")
    close(tests["df"], values(case, "test_df"), 0, f"{case} test df")
    close(tests["p"], values(case, "test_p"), RTOL_FIT, f"{case} test p", atol=1e-300)


@pytest.mark.parametrize("case", list(COX_CASES))
def test_cox_concordance(case):
    ours = cox_fit(case).concordance
    ref = values(case, "concordance")
    close(ours.iloc[:5], ref.iloc[:5], RTOL_FIT, f"{case} concordance counts")
    close(ours.iloc[5], ref.iloc[5], RTOL_FIT, f"{case} concordance")
    close(ours.iloc[6], ref.iloc[6], RTOL_FIT, f"{case} concordance std")


@pytest.mark.parametrize("case", list(COX_CASES))
def test_cox_zph(case):
    table = cox_fit(case).ph_test(transform="km", terms=True)
    ref = values(case, "zph_chisq")
    assert len(table) == len(ref) and table["term"].iloc[-1] == "GLOBAL"
    close(table["statistic"], ref, RTOL_FIT, f"{case} zph chisq")
    close(table["df"], values(case, "zph_df"), 0, f"{case} zph df")
    close(table["p"], values(case, "zph_p"), RTOL_FIT, f"{case} zph p", atol=1e-300)


def _newdata() -> pd.DataFrame:
    rows = values("newdata", "rows").to_numpy(int) - 1  # R rows are 1-based
    return cohort().iloc[rows].reset_index(drop=True)


@pytest.mark.parametrize("case", list(COX_CASES))
def test_cox_predict_lp(case):
    close(
        cox_fit(case).predict(_newdata()),
        values(case, "predict_lp"),
        RTOL_FIT,
        f"{case} predict lp",
        atol=1e-10,
    )


@pytest.mark.parametrize("case", list(COX_CASES))
def test_cox_survfit_newdata(case):
    ref = _csv("cox_newdata.csv")
    ref = ref[ref["case"] == case].assign(row=lambda f: f["row"] - 1)
    ours = cox_fit(case).predict_survival(_newdata(), times=TIMES)
    merged = ref.merge(
        ours, on=["row", "time"], how="left", suffixes=("_r", ""), validate="one_to_one"
    )
    close(merged["surv"], merged["surv_r"], RTOL_FIT, f"{case} survfit surv")
    close(merged["cumhaz"], merged["cumhaz_r"], RTOL_FIT, f"{case} survfit cumhaz")


@pytest.mark.parametrize("score", ["fong_score", "game_score"])
def test_concordance_of_scores(score):
    df = cohort().dropna(subset=[score])
    ours = concordance_arrays(
        df["os_months"].to_numpy(float),
        df["os_event"].to_numpy(float),
        df[score].to_numpy(float),
        reverse=True,
    )
    case = f"concordance_{score}"
    close(ours.iloc[:5], values(case, "count"), RTOL_EXACT, f"{case} counts")
    close(ours["concordance"], values(case, "concordance").iloc[0], RTOL_EXACT, case)
    close(ours["std"], values(case, "std").iloc[0], RTOL_EXACT, f"{case} std")


# ------------------------------------------------------------------------------------------------
# competing risks (cuminc, Gray's test, crr)
# ------------------------------------------------------------------------------------------------
# case -> (by, strata, rho), as ci_cases in synthetic_cohort.R
CI_CASES = {
    "rfs_fong": ("fong_group", None, 0),
    "rfs_fong_strata_sex": ("fong_group", "sex", 0),
    "rfs_game_rho1": ("game_group", None, 1),
    "rfs_all": (None, None, 0),
}


@cache
def cif(case: str):
    by, strata, rho = CI_CASES[case]
    return quiet(
        cumulative_incidence, cohort(), "rfs_months", "rfs_cause", by, strata=strata, rho=rho
    )


def _curve(res, frame: pd.DataFrame) -> pd.Series:
    """cuminc's curve names: '<group> <cause>' (group '1' without groups)."""
    group = [label(g) for g in frame["group"]] if res.by else ["1"] * len(frame)
    return pd.Series(group, index=frame.index) + " " + frame["cause"].astype(str)


@pytest.mark.parametrize("case", list(CI_CASES))
def test_cuminc_curves(case):
    ref = _csv("cuminc_curves.csv")
    ref = ref[ref["case"] == case]
    res = cif(case)
    assert res.n == int(values(case, "n").iloc[0])
    at = res.at(np.unique(ref["time"].to_numpy(float)))
    at = at.assign(curve=_curve(res, at))
    assert set(at["curve"]) == set(ref["curve"])
    merged = ref.merge(at, on=["curve", "time"], how="left", validate="one_to_one")
    close(merged["estimate"], merged["est"], RTOL_EXACT, f"{case} estimate", atol=1e-300)
    close(merged["variance"], merged["var"], RTOL_EXACT, f"{case} variance", atol=1e-300)


@pytest.mark.parametrize("case", list(CI_CASES))
def test_cuminc_timepoints(case):
    ref = _csv("cuminc_timepoints.csv")
    ref = ref[ref["case"] == case]
    res = cif(case)
    at = res.at(TIMES)
    at = at.assign(curve=_curve(res, at))
    merged = ref.merge(at, on=["curve", "time"], how="left", validate="one_to_one")
    close(merged["estimate"], merged["est"], RTOL_EXACT, f"{case} timepoints est")
    close(merged["variance"], merged["var"], RTOL_EXACT, f"{case} timepoints var")


@pytest.mark.parametrize("case", [c for c, v in CI_CASES.items() if v[0] is not None])
def test_gray(case):
    by, strata, rho = CI_CASES[case]
    ref_stat = values(case, "gray_stat")
    for table in (
        cif(case).gray_test,
        quiet(gray_test, cohort(), "rfs_months", "rfs_cause", by, strata=strata, rho=rho).table,
    ):
        assert [str(c) for c in table["cause"]] == list(ref_stat.index)
        close(table["statistic"], ref_stat, RTOL_EXACT, f"{case} Gray statistic")
        close(table["df"], values(case, "gray_df"), 0, f"{case} Gray df")
        close(table["p"], values(case, "gray_p"), RTOL_EXACT, f"{case} Gray p", atol=1e-300)


# case -> (cause, formula, cengroup), as fg_cases in synthetic_cohort.R. R fits every model on
# the complete cases of the full covariate set (RHS), also the death model that leaves
# extrahepatic_disease out (it has no death without recurrence: monotone pseudo-likelihood).
FG_CASES = {
    "fg_recurrence": (1, RHS, None),
    "fg_death": (2, RHS.replace(" + extrahepatic_disease", ""), None),
    "fg_recurrence_cengroup_sex": (1, RHS, "sex"),
}


@pytest.mark.parametrize("case", list(FG_CASES))
def test_fine_gray(case):
    cause, formula, cengroup = FG_CASES[case]
    data = cohort().dropna(subset=["extrahepatic_disease"])
    res = quiet(fine_gray, data, formula, "rfs_months", "rfs_cause", cause=cause, cengroup=cengroup)
    assert res.converged
    assert res.n == int(values(case, "n").iloc[0])
    coef = values(case, "coef")
    assert len(res.table) == len(coef)
    close(res.table["coef"], coef, RTOL_FIT, f"{case} coef")
    close(res.table["std_error"], values(case, "se"), RTOL_FIT, f"{case} se")
    p = len(coef)
    close(
        res.var.to_numpy(float).ravel(order="F"),
        values(case, "var").to_numpy().reshape(-1),
        RTOL_FIT,
        f"{case} var",
        atol=1e-14,
    )
    assert res.var.shape == (p, p)
    close(res.loglik, values(case, "loglik").iloc[0], RTOL_FIT, f"{case} loglik")
    close(res.loglik_null, values(case, "loglik_null").iloc[0], RTOL_FIT, f"{case} loglik null")


# ------------------------------------------------------------------------------------------------
# regeneration (generator drift detector; not a check of the statistics)
# ------------------------------------------------------------------------------------------------
def test_regenerating_the_cohort_reproduces_the_csv():
    """Regenerating the cohort gives cohort.csv again (floats to 1e-12 relative).

    If this fails because the generator or a stratifier changed on purpose, the reference is
    still valid (the tests above read the frozen CSV); re-export and re-run the R script to
    refresh it. Floats are compared with a tolerance because the simulation and the propensity
    model go through libm and BLAS, which need not be bit-identical across platforms.
    """
    import importlib.util

    path = REF.parent / "make_synthetic_cohort_csv.py"
    spec = importlib.util.spec_from_file_location("make_synthetic_cohort_csv", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fresh, levels = quiet(module.build)
    frozen = pd.read_csv(REF / "cohort.csv", keep_default_na=False, na_values=[""])
    again = pd.read_csv(
        __import__("io").StringIO(module.to_csv_text(fresh)), keep_default_na=False, na_values=[""]
    )
    assert list(again.columns) == list(frozen.columns)
    pd.testing.assert_frame_equal(again, frozen, check_exact=False, rtol=1e-12, atol=0)
    pd.testing.assert_frame_equal(
        levels.reset_index(drop=True),
        pd.read_csv(REF / "levels.csv", keep_default_na=False),
        check_dtype=False,
    )

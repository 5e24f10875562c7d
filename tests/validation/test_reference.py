"""crlm_outcomes.validation against R (tests/reference/validation.R): survival::concordance and
riskRegression::Score on lung, pbc and mgus2 (competing risks)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.validation import brier_score, concordance, time_auc

REF = Path(__file__).resolve().parents[1] / "reference" / "validation"
RTOL = 1e-6


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"data_{name}.csv")


DATA = {"lung": "lung", "pbc": "pbc", "mgus": "mgus2"}


def _case_data(case: str) -> pd.DataFrame:
    return _data(DATA[case.split("_")[0]])


CONC = pd.read_csv(REF / "concordance.csv")
CONC_VAR = pd.read_csv(REF / "concordance_var.csv")
CONC_DIFF = pd.read_csv(REF / "concordance_diff.csv")


def _conc_groups():
    keys = CONC[["case", "timewt", "ymax", "reverse"]].drop_duplicates()
    return [tuple(k) for k in keys.itertuples(index=False)]


@pytest.mark.parametrize(("case", "timewt", "ymax", "reverse"), _conc_groups())
def test_concordance_matches_survival(case, timewt, ymax, reverse):
    ref = CONC[
        (CONC["case"] == case)
        & (CONC["timewt"] == timewt)
        & (CONC["ymax"].isna() if pd.isna(ymax) else CONC["ymax"] == ymax)
    ]
    preds = list(ref["predictor"])
    res = concordance(
        _case_data(case),
        "time",
        "event",
        preds,
        timewt=timewt,
        ymax=None if pd.isna(ymax) else float(ymax),
        reverse=bool(reverse),
    )
    got = res.table.set_index("term").loc[preds]
    np.testing.assert_allclose(got["estimate"], ref["concordance"], rtol=RTOL)
    np.testing.assert_allclose(got["std_error"], ref["std_err"], rtol=RTOL)
    for mine, theirs in [
        ("concordant", "concordant"),
        ("discordant", "discordant"),
        ("tied_x", "tied_x"),
        ("tied_y", "tied_y"),
        ("tied_xy", "tied_xy"),
    ]:
        np.testing.assert_allclose(got[mine], ref[theirs], rtol=RTOL, atol=1e-9)
    if len(preds) > 1:
        v = CONC_VAR[(CONC_VAR["case"] == case) & (CONC_VAR["timewt"] == timewt)]
        mat = v.pivot(index="row", columns="col", values="var").loc[preds, preds]
        np.testing.assert_allclose(res.vcov.loc[preds, preds].to_numpy(), mat.to_numpy(), rtol=RTOL)
        d = CONC_DIFF[(CONC_DIFF["case"] == case) & (CONC_DIFF["timewt"] == timewt)].iloc[0]
        row = res.contrasts[
            (res.contrasts["term"] == d["second"]) & (res.contrasts["reference"] == d["first"])
        ].iloc[0]
        # R: first - second; here term - reference = second - first
        np.testing.assert_allclose(-row["estimate"], d["delta"], rtol=RTOL)
        np.testing.assert_allclose(row["std_error"], d["std_err"], rtol=RTOL)
        np.testing.assert_allclose(row["p"], d["p"], rtol=RTOL)


AUC = pd.read_csv(REF / "score_auc.csv")
AUC_C = pd.read_csv(REF / "score_auc_contrasts.csv")
BRIER = pd.read_csv(REF / "score_brier.csv")
BRIER_C = pd.read_csv(REF / "score_brier_contrasts.csv")
SCORE_CASES = {
    "lung": ({"cox1": "risk1", "cox2": "risk2"}, [180, 365, 540], None),
    "pbc": ({"cox1": "risk1", "cox2": "risk2"}, [1000, 2000, 3000], None),
    "mgus": ({"csc1": "risk1", "csc2": "risk2"}, [60, 120, 240], 1),
}


def _risks(case: str):
    models, times, cause = SCORE_CASES[case]
    return {m: [f"{p}_{t:g}" for t in times] for m, p in models.items()}, times, cause


@pytest.mark.parametrize("case", list(SCORE_CASES))
def test_auc_matches_score(case):
    risks, times, cause = _risks(case)
    res = time_auc(_case_data(case), "time", "event", risks, times, cause=cause)
    ref = AUC[AUC["case"] == case]
    got = res.table.set_index(["term", "time"]).loc[
        list(zip(ref["model"], ref["time"], strict=True))
    ]
    for mine, theirs in [
        ("estimate", "auc"),
        ("std_error", "se"),
        ("lower", "lower"),
        ("upper", "upper"),
    ]:
        np.testing.assert_allclose(got[mine], ref[theirs], rtol=RTOL)
    refc = AUC_C[AUC_C["case"] == case]
    gotc = res.contrasts.set_index(["term", "reference", "time"]).loc[
        list(zip(refc["model"], refc["reference"], refc["time"], strict=True))
    ]
    for mine, theirs in [
        ("estimate", "delta"),
        ("std_error", "se"),
        ("lower", "lower"),
        ("upper", "upper"),
        ("p", "p"),
    ]:
        np.testing.assert_allclose(gotc[mine], refc[theirs], rtol=RTOL)


def test_auc_of_scores_taken_at_every_time():
    d = _case_data("lung").assign(ecog=lambda f: f["ph_ecog"] / 3, age100=lambda f: f["age"] / 100)
    res = time_auc(d, "time", "event", {"ecog": "ecog", "age": "age100"}, [180, 365, 540])
    ref = AUC[AUC["case"] == "lung_ecog"]
    got = res.table.set_index(["term", "time"]).loc[
        list(zip(ref["model"], ref["time"], strict=True))
    ]
    np.testing.assert_allclose(got["estimate"], ref["auc"], rtol=RTOL)
    np.testing.assert_allclose(got["std_error"], ref["se"], rtol=RTOL)
    refc = AUC_C[AUC_C["case"] == "lung_ecog"]
    np.testing.assert_allclose(res.contrasts["estimate"], refc["delta"], rtol=RTOL)
    np.testing.assert_allclose(res.contrasts["p"], refc["p"], rtol=RTOL)


@pytest.mark.parametrize("case", list(SCORE_CASES))
def test_brier_ipa_ibs_match_score(case):
    risks, times, cause = _risks(case)
    res = brier_score(_case_data(case), "time", "event", risks, times, cause=cause)
    ref = BRIER[BRIER["case"] == case]
    got = res.table.set_index(["term", "time"]).loc[
        list(zip(ref["model"], ref["time"], strict=True))
    ]
    for mine, theirs in [
        ("estimate", "brier"),
        ("std_error", "se"),
        ("lower", "lower"),
        ("upper", "upper"),
        ("ibs", "ibs"),
    ]:
        np.testing.assert_allclose(got[mine], ref[theirs], rtol=RTOL)
    np.testing.assert_allclose(got["ipa"], ref["ipa"], rtol=RTOL, atol=1e-12)
    refc = BRIER_C[BRIER_C["case"] == case]
    gotc = res.contrasts.set_index(["term", "reference", "time"]).loc[
        list(zip(refc["model"], refc["reference"], refc["time"], strict=True))
    ]
    for mine, theirs in [("estimate", "delta"), ("std_error", "se"), ("p", "p")]:
        np.testing.assert_allclose(gotc[mine], refc[theirs], rtol=RTOL)


def test_concordance_of_two_cox_fits_matches_concordance_fit1_fit2():
    from crlm_outcomes.survival import cox

    d = _case_data("lung")
    f1 = cox(d, "age + sex", "time", "event")
    f2 = cox(d, "age + sex + ph_ecog + ph_karno", "time", "event")
    res = concordance(d, "time", "event", {"lp1": f1, "lp2": f2})
    ref = CONC[CONC["case"] == "lung_coxfits"].set_index("predictor")
    got = res.table.set_index("term")
    np.testing.assert_allclose(got.loc[["lp1", "lp2"], "estimate"], ref["concordance"], rtol=RTOL)
    np.testing.assert_allclose(got.loc[["lp1", "lp2"], "std_error"], ref["std_err"], rtol=RTOL)
    d_ref = CONC_DIFF[CONC_DIFF["case"] == "lung_coxfits"].iloc[0]
    np.testing.assert_allclose(-res.contrasts["estimate"].iloc[0], d_ref["delta"], rtol=RTOL)
    np.testing.assert_allclose(res.contrasts["std_error"].iloc[0], d_ref["std_err"], rtol=RTOL)


CAL = pd.read_csv(REF / "calibration.csv")


@pytest.mark.parametrize("row", list(CAL.itertuples(index=False)), ids=lambda r: r.column)
def test_calibration_slope_and_ici_match_r(row):
    from crlm_outcomes.validation import calibration

    cause = 1 if row.case == "mgus" else None
    res = calibration(_case_data(row.case), "time", "event", row.column, row.time, cause=cause)
    got = res.table.iloc[0]
    for mine, theirs in [
        ("slope", "slope"),
        ("slope_std_error", "slope_se"),
        ("ici", "ici"),
        ("e50", "e50"),
        ("e90", "e90"),
    ]:
        np.testing.assert_allclose(got[mine], getattr(row, theirs), rtol=RTOL)

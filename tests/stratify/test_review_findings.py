"""Issue #13 review findings, one table per finding: the case as the review gave it, the
expected value and the source that decides it."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import ImmortalTimeWarning
from crlm_outcomes.stratify import (
    apply_all,
    explain,
    fong_score,
    game_score,
    modified_clinical_score,
    nordlinger_score,
    oslo_score,
    reasons,
    rule,
    tbs_zone,
)
from crlm_outcomes.survival import kaplan_meier

NA = None

# --- calendar months ------------------------------------------------------------------------
# Fong, Ann Surg 1999;230(3):309-318: DFI < 12 months scores. An interval of exactly 12
# calendar months scores 0 whether or not it spans a leap day; by day count (365.25 days) the
# 366-day interval would be "> 12 months" and the 365-day one "< 12 months".
# (resection, liver metastases, calendar point, day-count point)
FONG_DFI = [
    ("2018-03-15", "2019-03-15", 0, 1),  # 365 days, no leap day
    ("2019-03-15", "2020-03-15", 0, 0),  # 366 days, spans 2020-02-29
    ("2019-03-15", "2020-03-14", 1, 1),
    ("2019-03-15", "2020-03-16", 0, 0),
]


@pytest.mark.parametrize(("resection", "liver", "calendar", "days"), FONG_DFI)
def test_fong_interval_in_calendar_months(make, resection, liver, calendar, days):
    frame = make(
        {
            "primary_node_positive": [False],
            "primary_resection_date": [resection],
            "liver_mets_diagnosis_date": [liver],
            "liver_mets_number": [1],
            "cea_at_liver_diagnosis": [1.0],
            "liver_mets_largest_cm": [1.0],
        }
    )
    assert fong_score(frame).iloc[0] == calendar
    by_days = fong_score(frame, month_basis="days")
    assert by_days.iloc[0] == days
    assert "calendar months" in rule(fong_score(frame))
    assert "30.4375 days" in rule(by_days)


# --- components decided by known bounds -----------------------------------------------------
# (columns, score function, expected) -- every other component known and 0 unless listed.
BASE = {
    "primary_node_positive": [False],
    "primary_resection_date": ["2018-01-01"],
    "liver_mets_diagnosis_date": ["2020-06-01"],
    "liver_mets_number": [1],
    "cea_at_liver_diagnosis": [1.0],
    "liver_mets_largest_cm": [1.0],
    "kras_status": ["wild_type"],
    "extrahepatic_disease": [False],
    "age_at_diagnosis": [50.0],
    "primary_t_stage": ["T2"],
    "margin_width_mm": [20.0],
}
BOUNDS = [
    # "more than one tumour" without a count decides Fong's count item (Fong 1999)
    ({"liver_mets_number": [NA], "liver_mets_number_at_least": [2]}, fong_score, 1),
    # CEA >= 10,000 ng/mL (registry top code) decides CEA > 200 (Fong) and >= 20 (GAME)
    ({"cea_at_liver_diagnosis": [NA], "cea_at_liver_diagnosis_at_least": [10000.0]}, fong_score, 1),
    ({"cea_at_liver_diagnosis": [NA], "cea_at_liver_diagnosis_at_least": [10000.0]}, game_score, 1),
    # a lower bound below the cut-off decides nothing
    ({"cea_at_liver_diagnosis": [NA], "cea_at_liver_diagnosis_at_least": [98.0]}, fong_score, None),
    # qualitative "CEA normal" (synchronous: same measurement) decides every CEA threshold
    (
        {
            "cea_at_liver_diagnosis": [NA],
            "cea_interpretation": ["normal"],
            "liver_mets_at_primary_diagnosis": [True],
            "liver_mets_diagnosis_date": ["2018-01-01"],
        },
        game_score,
        0,
    ),
    (
        {
            "cea_at_liver_diagnosis": [NA],
            "cea_interpretation": ["elevated"],
            "liver_mets_at_primary_diagnosis": [True],
        },
        game_score,
        None,
    ),
    # age 85+ decides age > 60 (Nordlinger 1996)
    ({"age_at_diagnosis": [NA], "age_at_diagnosis_at_least": [85.0]}, nordlinger_score, 1),
    # size >= 9 cm with an unknown count fixes TBS >= 9 (GAME: 2 points; Sasaki 2018)
    ({"liver_mets_number": [NA], "liver_mets_largest_cm": [9.0]}, game_score, 2),
    ({"liver_mets_number": [NA], "liver_mets_largest_cm": [8.9]}, game_score, None),
    # the source's own interval decides the DFI item when there are no dates
    ({"liver_mets_diagnosis_date": [NA], "disease_free_interval_months": [5.0]}, fong_score, 1),
    (
        {"liver_mets_diagnosis_date": [NA], "disease_free_interval_under_12m": [False]},
        fong_score,
        0,
    ),
    (
        {"liver_mets_diagnosis_date": [NA], "disease_free_interval_under_12m": [True]},
        nordlinger_score,
        1,
    ),
    # an involved margin (R1) is < 1 cm without a width (Nordlinger 1996, 7th factor)
    ({"margin_width_mm": [NA], "margin_status": ["R1"]}, nordlinger_score, 1),
]


@pytest.mark.parametrize(("changes", "function", "expected"), BOUNDS)
def test_components_decided_by_bounds(make, changes, function, expected):
    result = function(make({**BASE, **changes}))
    if expected is None:
        assert pd.isna(result.iloc[0])
    else:
        assert result.iloc[0] == expected, reasons(result).iloc[0]


def test_tbs_zone_from_a_bound(make):
    frame = make({"liver_mets_number": [NA, NA, 9], "liver_mets_largest_cm": [9.0, 2.0, NA]})
    assert tbs_zone(frame).tolist()[0] == ">=9"
    assert pd.isna(tbs_zone(frame).iloc[1])
    assert tbs_zone(frame).tolist()[2] == ">=9"  # 9 lesions: TBS >= 9 whatever the size


# --- outcome-defined groups carry immortal time ---------------------------------------------
def test_outcome_defined_groups_warn_about_immortal_time(make):
    frame = make(
        {
            "initially_resectable": [True, False, False, False],
            "ned_achieved": [True, True, False, True],
            "os_months": [10.0, 20.0, 5.0, 7.0],
            "os_event": [1, 0, 1, 1],
        }
    )
    out = apply_all(frame)
    assert "defined_by" in out.attrs["stratify"]["treatment_intent"]
    with pytest.warns(ImmortalTimeWarning, match="landmark"):
        kaplan_meier(out, "os_months", "os_event", by="treatment_intent")
    out["entry"] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", ImmortalTimeWarning)
        # with an entry time (a landmark, or the clock started at the defining event): silent
        kaplan_meier(out, "os_months", "os_event", by="treatment_intent", entry="entry")


# --- reasons a clinician can read -----------------------------------------------------------
def test_explain_and_reasons_work_on_apply_all_columns(make):
    frame = make(
        {
            "primary_node_positive": [True, NA],
            "liver_mets_number": [2, 1],
            "cea_at_liver_diagnosis": [300.0, NA],
            "liver_mets_largest_cm": [6.0, 1.0],
            "primary_resection_date": ["2020-01-01", "2020-01-01"],
            "liver_mets_diagnosis_date": ["2020-03-01", "2022-03-01"],
        }
    )
    out = apply_all(frame)
    table = explain(out, "fong_score")
    assert table["value"].tolist()[0] == 5
    assert (
        table["reason"].iloc[1] == "node-positive primary, CEA > 200 ng/mL: unknown for "
        "this patient"
    )
    assert reasons(out, "fong_score").iloc[1] == table["reason"].iloc[1]
    assert "Fong" in table.attrs["source"]
    assert rule(out, "fong_score") == out.attrs["stratify"]["fong_score"]["rule"]
    for text in out["fong_score_reason"].dropna():
        assert "_" not in text  # no column or parameter names


def test_reason_says_not_recorded_by_this_source(make):
    frame = make(
        {"primary_node_positive": [False], "liver_mets_number": [1], "liver_mets_largest_cm": [1.0]}
    )
    assert "CEA > 200 ng/mL: not recorded by this source" in reasons(fong_score(frame)).iloc[0]


@pytest.mark.parametrize(
    "function", [fong_score, game_score, modified_clinical_score, nordlinger_score, oslo_score]
)
def test_missing_as_zero_warns_of_under_scoring(function):
    assert "under-scores" in inspect.getdoc(function)


def test_missing_as_zero_records_what_was_counted(make):
    frame = make(
        {
            "primary_node_positive": [True],
            "liver_mets_number": [2],
            "liver_mets_largest_cm": [6.0],
            "primary_resection_date": ["2020-01-01"],
            "liver_mets_diagnosis_date": ["2020-03-01"],
        }
    )
    out = apply_all(frame, fong_score={"missing_as_zero": True})
    assert out["fong_score"].iloc[0] == 4
    assert out["fong_score_assumed"].iloc[0] == "counted as 0: CEA > 200 ng/mL"
    assert np.isnan(fong_score(frame).astype(float).iloc[0])

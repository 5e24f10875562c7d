"""Fong clinical risk score (Fong, Ann Surg 1999;230:309): hand-worked cases and boundaries."""

from __future__ import annotations

import pandas as pd
import pytest

from crlm_outcomes.stratify import fong_group, fong_score, reasons

NA = None
RES = "2020-01-01"

# node+, liver date, n, CEA, largest cm, expected score
# 2020-01-01 + 365 days = 2020-12-31 (< 12 months: point); + 366 days = 2021-01-01 (no point)
CASES = [
    (True, "2020-01-01", 3, 250.0, 6.0, 5),  # synchronous (DFI 0): every factor
    (False, "2021-06-01", 1, 10.0, 2.0, 0),
    (False, "2020-12-31", 1, 10.0, 2.0, 1),  # DFI 365 days < 12 months
    (False, "2021-01-01", 1, 10.0, 2.0, 0),  # DFI 366 days > 12 months
    (False, "2021-06-01", 1, 200.0, 2.0, 0),  # CEA exactly 200: no point
    (False, "2021-06-01", 1, 200.1, 2.0, 1),
    (False, "2021-06-01", 1, 10.0, 5.0, 0),  # exactly 5 cm: no point
    (False, "2021-06-01", 1, 10.0, 5.1, 1),
    (False, "2021-06-01", 2, 10.0, 2.0, 1),  # more than one tumour
    (True, "2021-06-01", 2, 300.0, 2.0, 3),
]


def _frame(make, cases):
    return make(
        {
            "primary_node_positive": [c[0] for c in cases],
            "primary_resection_date": [RES] * len(cases),
            "liver_mets_diagnosis_date": [c[1] for c in cases],
            "liver_mets_number": [c[2] for c in cases],
            "cea_at_liver_diagnosis": [c[3] for c in cases],
            "liver_mets_largest_cm": [c[4] for c in cases],
        }
    )


def test_hand_worked_scores(make):
    score = fong_score(_frame(make, CASES))
    assert str(score.dtype) == "Int64"
    assert score.tolist() == [c[-1] for c in CASES]
    assert score.attrs["source"].endswith("Ann Surg 1999;230(3):309-318")


def test_groups(make):
    group = fong_group(_frame(make, CASES))
    expected = ["high" if c[-1] >= 3 else "low" for c in CASES]
    assert group.tolist() == expected
    assert list(group.cat.categories) == ["low", "high"]
    # a group can be cut from a score Series too
    assert fong_group(fong_score(_frame(make, CASES))).tolist() == expected


def test_missing_component_named(make):
    frame = _frame(make, CASES[:2])
    frame.loc[0, "cea_at_liver_diagnosis"] = float("nan")
    frame.loc[1, "primary_node_positive"] = pd.NA
    score = fong_score(frame)
    assert score.isna().all()
    why = reasons(score)
    # one readable pattern: the clinical item, then why
    assert why.iloc[0] == "CEA > 200 ng/mL: unknown for this patient"
    assert "node-positive primary" in why.iloc[1]
    assert reasons(fong_group(frame)).iloc[0] == why.iloc[0]


def test_missing_as_zero_is_recorded(make):
    frame = _frame(make, CASES[:1])
    frame.loc[0, "cea_at_liver_diagnosis"] = float("nan")
    score = fong_score(frame, missing_as_zero=True)
    assert score.iloc[0] == 4
    assert score.attrs["assumed"] == {0: "counted as 0: CEA > 200 ng/mL"}
    assert "missing_as_zero=True" in score.attrs["rule"]


def test_interval_without_resection_date(make):
    # resection date missing: the point is certain when the metastases came < 12 months after
    # diagnosis (the resection cannot precede the diagnosis), or when flagged synchronous
    frame = make(
        {
            "primary_node_positive": [False, False, False, False],
            "primary_diagnosis_date": ["2020-01-01", "2020-01-01", NA, "2020-01-01"],
            "primary_resection_date": [NA, NA, NA, NA],
            "liver_mets_diagnosis_date": ["2020-06-01", "2021-06-01", NA, NA],
            "liver_mets_at_primary_diagnosis": [NA, NA, True, NA],
            "liver_mets_number": [1, 1, 1, 1],
            "cea_at_liver_diagnosis": [1.0, 1.0, 1.0, 1.0],
            "liver_mets_largest_cm": [1.0, 1.0, 1.0, 1.0],
        }
    )
    score = fong_score(frame)
    assert score.iloc[0] == 1
    assert pd.isna(score.iloc[1])
    assert "date of primary resection unknown for this patient" in reasons(score).iloc[1]
    assert score.iloc[2] == 1
    assert "date of liver metastases unknown for this patient" in reasons(score).iloc[3]
    by_dx = fong_score(frame, dfi_origin="diagnosis")
    assert by_dx.iloc[1] == 0


def test_node_stage_fallback(make):
    frame = _frame(make, CASES[1:2] * 3)
    frame["primary_node_positive"] = pd.array([NA, NA, NA], dtype="boolean")
    frame["primary_n_stage"] = pd.Categorical(["N1a", "N0", None])
    score = fong_score(frame)
    assert score.iloc[0] == 1 and score.iloc[1] == 0 and pd.isna(score.iloc[2])
    assert "node-positive primary: unknown for this patient" in reasons(score).iloc[2]


@pytest.mark.parametrize("high_from", [2, 4])
def test_group_cut_is_overridable(make, high_from):
    group = fong_group(_frame(make, CASES), high_from=high_from)
    assert group.tolist() == ["high" if c[-1] >= high_from else "low" for c in CASES]

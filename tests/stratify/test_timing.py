"""Timing of liver metastases: hand-worked cases from the three published conventions."""

from __future__ import annotations

import pandas as pd
import pytest

from crlm_outcomes.errors import MissingColumnsError, SpecError
from crlm_outcomes.stratify import liver_mets_timing, reasons, rule

DX = "2020-01-01"
RES = "2020-02-01"
NA = None

# (liver date, resection date, resection type, flag, expected, reason fragment)
# 2020-02-01 + 365 days = 2021-01-31 (12 months = 365.25 days: 365 days is early, 366 late)
RESECTION_ANCHORED = [
    ("2020-01-01", RES, NA, NA, "synchronous", None),  # at diagnosis
    ("2019-12-20", RES, NA, NA, "synchronous", None),  # before diagnosis
    ("2020-01-15", RES, NA, NA, None, "on or before its resection"),  # gap
    ("2020-01-15", RES, NA, True, "synchronous", None),  # gap, source says present at dx
    ("2020-01-15", RES, NA, False, None, "on or before its resection"),
    ("2020-02-01", RES, NA, NA, None, "on or before its resection"),  # at the resection
    ("2020-02-02", RES, NA, NA, "early_metachronous", None),
    ("2021-01-31", RES, NA, NA, "early_metachronous", None),  # 365 days after resection
    ("2021-02-01", RES, NA, NA, "late_metachronous", None),  # 366 days after resection
    ("2020-06-01", NA, "none", NA, None, "unresected primary"),
    ("2020-06-01", NA, NA, NA, None, "primary_resection_date missing"),
    ("2020-06-01", NA, NA, True, "synchronous", None),
    ("2021-06-01", RES, NA, True, "late_metachronous", None),  # dates win over the flag
    (NA, RES, NA, True, "synchronous", None),
    # "not present at diagnosis" alone cannot rule out the gap between diagnosis and resection
    (NA, RES, NA, False, None, "cannot tell metachronous (found after the resection)"),
    (NA, NA, NA, NA, None, "liver_mets_diagnosis_date missing"),
]


def _frame(make, rows, dx=DX):
    return make({
        "primary_diagnosis_date": [dx] * len(rows),
        "liver_mets_diagnosis_date": [r[0] for r in rows],
        "primary_resection_date": [r[1] for r in rows],
        "primary_resection_type": [r[2] for r in rows],
        "liver_mets_at_primary_diagnosis": [r[3] for r in rows],
    })


def _check(result, rows):
    why = reasons(result)
    for i, row in enumerate(rows):
        expected, fragment = row[-2], row[-1]
        if expected is None:
            assert pd.isna(result.iloc[i]), (i, row, result.iloc[i])
            assert fragment in why.iloc[i], (i, why.iloc[i])
        else:
            assert result.iloc[i] == expected, (i, row, result.iloc[i])
            assert pd.isna(why.iloc[i])


@pytest.mark.parametrize("convention", ["chinese_2025", "adam_2015"])
def test_resection_anchored_conventions(make, convention):
    result = liver_mets_timing(_frame(make, RESECTION_ANCHORED), convention=convention)
    _check(result, RESECTION_ANCHORED)
    assert result.cat.ordered
    assert list(result.cat.categories) == ["synchronous", "early_metachronous",
                                           "late_metachronous"]
    assert rule(result).startswith(convention)
    assert "inclusive" in rule(result)


# E-AHPBA measures from diagnosis: 2020-01-01 + 365 days = 2020-12-31
E_AHPBA = [
    ("2020-01-01", RES, NA, NA, "synchronous", None),
    ("2020-01-15", RES, NA, NA, "early_metachronous", None),  # no gap from diagnosis
    ("2020-12-31", RES, NA, NA, "early_metachronous", None),  # 365 days
    ("2021-01-01", RES, NA, NA, "late_metachronous", None),  # 366 days
    ("2020-06-01", NA, "none", NA, "early_metachronous", None),
    (NA, RES, NA, True, "synchronous", None),
    (NA, RES, NA, False, None, "early/late needs the interval from primary_diagnosis_date"),
]


def test_e_ahpba_from_diagnosis(make):
    result = liver_mets_timing(_frame(make, E_AHPBA), convention="e_ahpba_2023")
    _check(result, E_AHPBA)
    assert "from diagnosis of the primary" in rule(result)


def test_window_months(make):
    # 3 months = 91.3125 days: day 91 is inside the window, day 92 outside
    rows = [
        ("2020-04-01", RES, NA, NA, "synchronous", None),  # 91 days
        ("2020-04-02", RES, NA, NA, "early_metachronous", None),  # 92 days
    ]
    result = liver_mets_timing(_frame(make, rows), convention="e_ahpba_2023", window_months=3)
    _check(result, rows)
    assert "within 3 months" in rule(result)
    # chinese_2025 with a window: a work-up finding in the gap becomes synchronous
    rows = [("2020-01-15", RES, NA, NA, "synchronous", None),
            ("2020-06-01", "2020-05-01", NA, NA, "early_metachronous", None)]
    _check(liver_mets_timing(_frame(make, rows), window_months=3), rows)


def test_not_split(make):
    rows = [(NA, NA, NA, False, None, "cannot tell metachronous"),
            ("2021-06-01", RES, NA, NA, "metachronous", None),
            ("2020-01-01", RES, NA, NA, "synchronous", None)]
    result = liver_mets_timing(_frame(make, rows), split_metachronous=False)
    _check(result, rows)
    assert list(result.cat.categories) == ["synchronous", "metachronous"]


def test_flag_disabled_and_recorded(make):
    rows = [(NA, RES, NA, True, None, "use_flag=False"),
            ("2020-01-01", RES, NA, True, "synchronous", None)]
    _check(liver_mets_timing(_frame(make, rows), use_flag=False), rows)
    with_flag = liver_mets_timing(_frame(make, rows))
    assert list(with_flag.attrs["from_flag"]) == [0]


def test_custom_early_boundary(make):
    rows = [("2020-08-01", RES, NA, NA, "early_metachronous", None),  # 182 days
            ("2020-08-03", RES, NA, NA, "late_metachronous", None)]  # 184 days > 182.625
    _check(liver_mets_timing(_frame(make, rows), early_months=6), rows)


def test_flag_only_source(make):
    frame = make({"liver_mets_at_primary_diagnosis": [True, False, None]})
    result = liver_mets_timing(frame, split_metachronous=False)
    assert result.iloc[0] == "synchronous" and pd.isna(result.iloc[1])
    assert "between diagnosis and resection" in reasons(result).iloc[1]
    assert "liver_mets_diagnosis_date not in data" in reasons(result).iloc[2]
    # measured from diagnosis (E-AHPBA) there is no gap: "not at diagnosis" is metachronous
    e_ahpba = liver_mets_timing(frame, convention="e_ahpba_2023", split_metachronous=False)
    assert e_ahpba.iloc[0] == "synchronous" and e_ahpba.iloc[1] == "metachronous"


def test_bad_options_and_columns(make):
    frame = _frame(make, RESECTION_ANCHORED[:1])
    with pytest.raises(SpecError, match="convention"):
        liver_mets_timing(frame, convention="nccn")
    with pytest.raises(SpecError):
        liver_mets_timing(frame, window_months=-1)
    with pytest.raises(MissingColumnsError):
        liver_mets_timing(pd.DataFrame({"x": [1]}))

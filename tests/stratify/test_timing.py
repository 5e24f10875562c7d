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
# Calendar months: 12 months after the resection on 2020-02-01 is 2021-02-01 (early, inclusive),
# 2021-02-02 is late.
# 2025 Chinese guideline sections 1.1/1.2 (seed 004): found before or at diagnosis -- the
# staging work-up and the exploration at the colorectal operation -- is synchronous;
# metachronous = found after the radical resection of the primary.
CHINESE = [
    ("2020-01-01", RES, NA, NA, "synchronous", None),  # at diagnosis
    ("2019-12-20", RES, NA, NA, "synchronous", None),  # before diagnosis
    ("2020-01-15", RES, NA, NA, "synchronous", None),  # staging CT before the operation
    ("2020-01-15", RES, NA, False, "synchronous", None),  # dates win over the flag
    ("2020-02-01", RES, NA, NA, "synchronous", None),  # found at the operation
    ("2020-02-02", RES, NA, NA, "early_metachronous", None),
    ("2021-02-01", RES, NA, NA, "early_metachronous", None),  # exactly 12 calendar months
    ("2021-02-02", RES, NA, NA, "late_metachronous", None),
    ("2020-06-01", NA, "none", NA, None, "not resected"),
    ("2020-06-01", NA, NA, NA, None, "metachronous counts from the resection"),
    ("2020-06-01", NA, NA, True, "synchronous", None),
    ("2021-06-01", RES, NA, True, "late_metachronous", None),  # dates win over the flag
    (NA, RES, NA, True, "synchronous", None),
    # "not present at diagnosis" alone cannot rule out a finding before the resection
    (NA, RES, NA, False, None, "needs the interval from the primary resection"),
    (NA, NA, NA, NA, None, "cannot place the liver metastases in time"),
]

# Adam et al., Cancer Treat Rev 2015: synchronous = at or before diagnosis; metachronous =
# after surgery of the primary; a finding in between fits neither.
ADAM = [
    ("2020-01-01", RES, NA, NA, "synchronous", None),
    ("2020-01-15", RES, NA, NA, None, "on or before the resection"),
    ("2020-01-15", RES, NA, True, "synchronous", None),
    ("2020-02-01", RES, NA, NA, None, "on or before the resection"),
    ("2021-02-01", RES, NA, NA, "early_metachronous", None),
    ("2021-02-02", RES, NA, NA, "late_metachronous", None),
    ("2020-06-01", NA, "none", NA, None, "not resected"),
]


def _frame(make, rows, dx=DX):
    return make(
        {
            "primary_diagnosis_date": [dx] * len(rows),
            "liver_mets_diagnosis_date": [r[0] for r in rows],
            "primary_resection_date": [r[1] for r in rows],
            "primary_resection_type": [r[2] for r in rows],
            "liver_mets_at_primary_diagnosis": [r[3] for r in rows],
        }
    )


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


@pytest.mark.parametrize(("convention", "rows"), [("chinese_2025", CHINESE), ("adam_2015", ADAM)])
def test_resection_anchored_conventions(make, convention, rows):
    result = liver_mets_timing(_frame(make, rows), convention=convention)
    _check(result, rows)
    assert result.cat.ordered
    assert list(result.cat.categories) == ["synchronous", "early_metachronous", "late_metachronous"]
    assert rule(result).startswith(convention)
    assert "inclusive" in rule(result)
    assert "calendar months" in rule(result)


# Siriwardena et al., Br J Surg 2023 (E-AHPBA): synchronous = at presentation (default
# work-up window 3 calendar months after diagnosis: up to 2020-04-01); early metachronous =
# within 12 months of diagnosis (2021-01-01 inclusive).
E_AHPBA = [
    ("2020-01-01", RES, NA, NA, "synchronous", None),
    ("2020-01-15", RES, NA, NA, "synchronous", None),  # staging work-up
    ("2020-02-01", RES, NA, NA, "synchronous", None),  # at the operation
    ("2020-04-01", RES, NA, NA, "synchronous", None),  # 3 calendar months: still work-up
    ("2020-04-02", RES, NA, NA, "early_metachronous", None),
    ("2021-01-01", RES, NA, NA, "early_metachronous", None),  # exactly 12 months
    ("2021-01-02", RES, NA, NA, "late_metachronous", None),
    ("2020-06-01", NA, "none", NA, "early_metachronous", None),
    (NA, RES, NA, True, "synchronous", None),
    (NA, RES, NA, False, None, "early or late needs the interval from primary diagnosis"),
]


def test_e_ahpba_from_diagnosis_with_workup_window(make):
    result = liver_mets_timing(_frame(make, E_AHPBA), convention="e_ahpba_2023")
    _check(result, E_AHPBA)
    assert "within 3 months after diagnosis" in rule(result)
    assert "from diagnosis of the primary" in rule(result)
    strict = liver_mets_timing(
        _frame(make, E_AHPBA[:2]), convention="e_ahpba_2023", window_months=0
    )
    assert strict.tolist() == ["synchronous", "early_metachronous"]


# The review's case: an interval of exactly 12 calendar months is 365 days without a leap day
# and 366 days with one; both are "12 months" (early) by calendar, only the first by day count.
CALENDAR = [
    ("2019-03-15", "2018-03-15", "early_metachronous", "early_metachronous"),  # 365 days
    ("2020-03-15", "2019-03-15", "early_metachronous", "late_metachronous"),  # 366 days
    ("2020-02-29", "2019-02-28", "late_metachronous", "late_metachronous"),  # 12 months + 1 day
    ("2021-02-28", "2020-02-29", "early_metachronous", "early_metachronous"),  # month end
]


@pytest.mark.parametrize(("liver", "resection", "calendar", "days"), CALENDAR)
def test_calendar_months_by_default_day_count_as_option(make, liver, resection, calendar, days):
    frame = make(
        {
            "primary_diagnosis_date": ["2018-01-01"],
            "primary_resection_date": [resection],
            "liver_mets_diagnosis_date": [liver],
        }
    )
    assert liver_mets_timing(frame).iloc[0] == calendar
    by_days = liver_mets_timing(frame, month_basis="days")
    assert by_days.iloc[0] == days
    assert "30.4375 days" in rule(by_days)


def test_window_months(make):
    rows = [
        ("2020-04-01", RES, NA, NA, "synchronous", None),  # 3 calendar months
        ("2020-04-02", RES, NA, NA, "early_metachronous", None),
    ]
    result = liver_mets_timing(_frame(make, rows), convention="e_ahpba_2023", window_months=3)
    _check(result, rows)
    # adam_2015 with a window: a work-up finding before the resection becomes synchronous
    rows = [
        ("2020-01-15", RES, NA, NA, "synchronous", None),
        ("2020-06-01", "2020-05-01", NA, NA, "early_metachronous", None),
    ]
    _check(liver_mets_timing(_frame(make, rows), convention="adam_2015", window_months=3), rows)
    with pytest.raises(SpecError, match="whole"):
        liver_mets_timing(_frame(make, rows), window_months=2.5)
    assert (
        liver_mets_timing(_frame(make, rows), window_months=2.5, month_basis="days").notna().all()
    )


def test_not_split(make):
    rows = [
        (NA, NA, NA, False, None, "needs the interval from the primary resection"),
        ("2021-06-01", RES, NA, NA, "metachronous", None),
        ("2020-01-01", RES, NA, NA, "synchronous", None),
    ]
    result = liver_mets_timing(_frame(make, rows), split_metachronous=False)
    _check(result, rows)
    assert list(result.cat.categories) == ["synchronous", "metachronous"]


def test_flag_disabled_and_recorded(make):
    rows = [
        (NA, RES, NA, True, None, "use_flag=False"),
        ("2020-01-01", RES, NA, True, "synchronous", None),
    ]
    _check(liver_mets_timing(_frame(make, rows), use_flag=False), rows)
    with_flag = liver_mets_timing(_frame(make, rows))
    assert list(with_flag.attrs["from_flag"]) == [0]


def test_custom_early_boundary(make):
    rows = [
        ("2020-08-01", RES, NA, NA, "early_metachronous", None),  # 6 calendar months
        ("2020-08-02", RES, NA, NA, "late_metachronous", None),
    ]
    _check(liver_mets_timing(_frame(make, rows), early_months=6), rows)


def test_flag_only_source(make):
    frame = make({"liver_mets_at_primary_diagnosis": [True, False, None]})
    result = liver_mets_timing(frame, split_metachronous=False)
    assert result.iloc[0] == "synchronous" and pd.isna(result.iloc[1])
    assert "needs the interval from the primary resection" in reasons(result).iloc[1]
    assert "cannot place" in reasons(result).iloc[2]
    # measured from diagnosis (E-AHPBA) there is no gap: "not at diagnosis" is metachronous
    e_ahpba = liver_mets_timing(frame, convention="e_ahpba_2023", split_metachronous=False)
    assert e_ahpba.iloc[0] == "synchronous" and e_ahpba.iloc[1] == "metachronous"


def test_bad_options_and_columns(make):
    frame = _frame(make, CHINESE[:1])
    with pytest.raises(SpecError, match="convention"):
        liver_mets_timing(frame, convention="nccn")
    with pytest.raises(SpecError):
        liver_mets_timing(frame, window_months=-1)
    with pytest.raises(MissingColumnsError):
        liver_mets_timing(pd.DataFrame({"x": [1]}))

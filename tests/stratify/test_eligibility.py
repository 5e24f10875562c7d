"""Guideline eligibility flags (2025 Chinese CRLM guideline sections 3.2.2, 4.1.4, 4.2, 5.1.1)."""

from __future__ import annotations

import pandas as pd
import pytest

from crlm_outcomes.errors import SpecError
from crlm_outcomes.stratify import (
    flr_adequate,
    mwa_eligible,
    neoadjuvant_cycles_within_limit,
    oxaliplatin_within_12_months,
    reasons,
    rfa_eligible,
    sbrt_eligible,
)

NA = None


def _values(series):
    return [None if pd.isna(v) else bool(v) for v in series]


def test_ablation_limits(make):
    # largest cm, number: RFA < 3 cm and <= 5; MWA < 5 cm; SBRT <= 3 lesions and <= 6 cm
    frame = make(
        {
            "liver_mets_largest_cm": [2.9, 3.0, 2.0, 2.0, 4.9, 5.0, 6.0, 6.1, 1.0, 4.0, NA],
            "liver_mets_number": [5, 1, 6, NA, 1, 1, 3, 1, 4, NA, 1],
        }
    )
    assert _values(rfa_eligible(frame)) == [
        True,
        False,
        False,
        None,
        False,
        False,
        False,
        False,
        True,
        False,
        None,
    ]
    assert _values(mwa_eligible(frame)) == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        True,
        True,
        None,
    ]
    assert _values(sbrt_eligible(frame)) == [
        False,
        True,
        False,
        None,
        True,
        True,
        True,
        False,
        False,
        None,
        None,
    ]
    rfa = rfa_eligible(frame)
    assert reasons(rfa).iloc[3] == "number of liver metastases unknown for this patient"
    assert str(rfa.dtype) == "boolean"
    assert "section 4.2" in rfa.attrs["source"]


def test_flr(make):
    # synchronous (liver at diagnosis) needs >= 40 %, metachronous >= 30 %
    frame = make(
        {
            "future_liver_remnant_pct": [40.0, 39.9, 30.0, 29.9, 35.0, 45.0, 25.0, NA],
            "primary_diagnosis_date": ["2020-01-01"] * 8,
            "primary_resection_date": ["2020-02-01"] * 8,
            "liver_mets_diagnosis_date": [
                "2020-01-01",
                "2020-01-01",
                "2022-01-01",
                "2022-01-01",
                NA,
                NA,
                NA,
                "2020-01-01",
            ],
        }
    )
    result = flr_adequate(frame)
    assert _values(result) == [True, False, True, False, None, True, False, None]
    assert "liver_mets_timing unknown" in reasons(result).iloc[4]
    assert reasons(result).iloc[7] == "future liver remnant unknown for this patient"
    assert "section 4.1.4" in result.attrs["source"]
    with pytest.raises(SpecError):
        flr_adequate(frame, basis="guess")


def test_flr_by_operation(make):
    frame = make(
        {
            "future_liver_remnant_pct": [35.0, 35.0],
            "primary_resection_date": ["2020-01-01", "2020-01-01"],
            "liver_resection_date": ["2020-01-01", "2020-03-01"],
        }
    )
    assert _values(flr_adequate(frame, basis="operation")) == [False, True]


def test_neoadjuvant_cycles(make):
    frame = make(
        {
            "neoadjuvant_chemo": [True, True, False, True, NA],
            "neoadjuvant_cycles": [6, 7, NA, NA, 4],
        }
    )
    result = neoadjuvant_cycles_within_limit(frame)
    assert _values(result) == [True, False, None, None, True]
    assert reasons(result).iloc[2].startswith("not applicable")
    assert reasons(result).iloc[3] == "neoadjuvant cycles unknown for this patient"
    assert _values(neoadjuvant_cycles_within_limit(frame, max_cycles=8))[1] is True


def test_oxaliplatin_within_12_months(make):
    # 2025 Chinese guideline section 3.2.2: oxaliplatin within the 12 months before the liver
    # metastases. Liver 2021-01-01: last dose 2020-01-01 is exactly 12 calendar months (366
    # days, within by calendar, beyond by day count); 2019-12-31 is beyond.
    frame = make(
        {
            "oxaliplatin_exposure": [True, True, False, True, True, NA, True],
            "oxaliplatin_last_date": [
                "2020-01-02",
                "2020-01-01",
                NA,
                NA,
                "2021-02-01",
                "2020-06-01",
                "2019-12-31",
            ],
            "liver_mets_diagnosis_date": ["2021-01-01"] * 7,
        }
    )
    result = oxaliplatin_within_12_months(frame)
    assert _values(result) == [True, True, False, None, None, True, False]
    assert "calendar months" in result.attrs["rule"]
    by_days = oxaliplatin_within_12_months(frame, month_basis="days")
    assert _values(by_days) == [True, False, False, None, None, True, False]
    assert reasons(result).iloc[3] == "date of last oxaliplatin unknown for this patient"
    assert "after liver_mets_diagnosis_date" in reasons(result).iloc[4]
    assert "section 3.2.2" in result.attrs["source"]

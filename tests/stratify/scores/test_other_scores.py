"""m-CS (Brudvik 2019), Nordlinger (1996) and Oslo scores: hand-worked cases and boundaries."""

from __future__ import annotations

import pandas as pd

from crlm_outcomes.stratify import (
    modified_clinical_group,
    modified_clinical_score,
    nordlinger_group,
    nordlinger_score,
    oslo_group,
    oslo_score,
    reasons,
)


def test_modified_clinical(make):
    frame = make({
        "kras_status": ["mutant", "wild_type", "wild_type", "wild_type", None],
        "nras_status": [None, "wild_type", "mutant", "wild_type", None],
        "kras_exons_tested": [None, "2;3;4", None, "2", None],
        "nras_exons_tested": [None, "2;3;4", None, "2;3;4", None],
        "primary_node_positive": [True, False, True, False, True],
        "liver_mets_largest_cm": [6.0, 5.0, 5.1, 1.0, 1.0],
    })
    score = modified_clinical_score(frame)
    assert score.tolist()[:4] == [3, 0, 3, 0]
    assert "RAS mutation [kras_status missing, nras_status missing]" in reasons(score).iloc[4]
    assert modified_clinical_group(frame).tolist()[:4] == ["high", "low", "high", "low"]
    assert modified_clinical_group(frame, high_from=3).tolist()[:4] == ["high", "low", "high",
                                                                        "low"]
    full = modified_clinical_score(frame, require_full_panel=True)
    assert pd.isna(full.iloc[3])  # exon 2 only: incomplete
    assert "incomplete_testing" in reasons(full).iloc[3]
    assert modified_clinical_score(frame, size_cm=4.0).iloc[1] == 1
    assert "unverified" in score.attrs["rule"]


def test_nordlinger(make):
    # resection 2020-01-01; 2020-01-01 + 730 days = 2021-12-31 (< 24 months = 730.5 days)
    frame = make({
        "age_at_diagnosis": [60.0, 60.5, 70.0, 50.0],
        "primary_t_stage": ["T3", "T4a", "T4b", "T2"],
        "primary_node_positive": [False, True, True, False],
        "primary_resection_date": ["2020-01-01"] * 4,
        "liver_mets_diagnosis_date": ["2022-01-01", "2021-12-31", "2020-01-01", "2023-01-01"],
        "liver_mets_number": [3, 4, 8, 1],
        "liver_mets_largest_cm": [5.0, 5.1, 7.0, 1.0],
        "margin_width_mm": [10.0, 9.9, None, 20.0],
    })
    score = nordlinger_score(frame)
    assert score.tolist() == [0, 6, 6, 0]
    assert nordlinger_group(frame).tolist() == ["low", "high", "high", "low"]
    with_margin = nordlinger_score(frame, include_margin=True)
    assert with_margin.iloc[0] == 0 and with_margin.iloc[1] == 7
    assert "margin_width_mm missing" in reasons(with_margin).iloc[2]
    assert "unverified" in with_margin.attrs["rule"]
    score_series = pd.Series(pd.array([2, 3, 4, 5], dtype="Int64"))
    score_series.attrs = {"reasons": {}}
    assert nordlinger_group(score_series).tolist() == ["low", "intermediate", "intermediate",
                                                       "high"]


def test_oslo(make):
    # primary resection 2020-01-01; 24 months = 730.5 days: 2021-12-31 is day 730 (< 24 months)
    frame = make({
        "liver_mets_largest_cm": [5.5, 5.6, 2.0, 2.0],
        "recist_response": ["SD", "PD", "PR", None],
        "primary_resection_date": ["2020-01-01"] * 4,
        "liver_transplant_date": ["2022-01-01", "2021-12-31", "2025-01-01", "2025-01-01"],
        "cea_at_liver_diagnosis": [80.0, 80.1, 5.0, 5.0],
    })
    score = oslo_score(frame)
    assert score.tolist()[:3] == [0, 4, 0]
    assert "recist_response missing" in reasons(score).iloc[3]
    assert oslo_group(frame).tolist()[:3] == ["0-1", "3-4", "0-1"]
    assert list(oslo_group(frame).cat.categories) == ["0-1", "2", "3-4"]
    assert "CEA > 80 ng/mL" in score.attrs["rule"]
    no_transplant = make({"liver_mets_largest_cm": [1.0], "recist_response": ["PR"],
                          "primary_resection_date": ["2020-01-01"],
                          "cea_at_liver_diagnosis": [1.0]})
    assert "liver_transplant_date not in data" in reasons(oslo_score(no_transplant)).iloc[0]

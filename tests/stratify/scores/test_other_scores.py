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
    # Brudvik, Ann Surg 2019: RAS mutation, node-positive primary, largest > 5 cm; risk groups
    # low 0, medium 1-2, high 3
    frame = make(
        {
            "kras_status": ["mutant", "wild_type", "wild_type", "wild_type", None],
            "nras_status": [None, "wild_type", "mutant", "wild_type", None],
            "kras_exons_tested": [None, "2;3;4", None, "2", None],
            "nras_exons_tested": [None, "2;3;4", None, "2;3;4", None],
            "primary_node_positive": [True, False, True, True, True],
            "liver_mets_largest_cm": [6.0, 5.0, 5.1, 1.0, 1.0],
        }
    )
    score = modified_clinical_score(frame)
    assert score.tolist()[:4] == [3, 0, 3, 1]
    assert "RAS mutation: KRAS unknown for this patient, NRAS unknown" in reasons(score).iloc[4]
    assert modified_clinical_group(frame).tolist()[:4] == ["high", "low", "high", "medium"]
    assert list(modified_clinical_group(frame).cat.categories) == ["low", "medium", "high"]
    assert modified_clinical_group(frame, medium_from=2).tolist()[:4] == [
        "high",
        "low",
        "high",
        "low",
    ]
    full = modified_clinical_score(frame, require_full_panel=True)
    assert pd.isna(full.iloc[3])  # exon 2 only: incomplete
    assert "incomplete_testing" in reasons(full).iloc[3]
    assert modified_clinical_score(frame, size_cm=4.0).iloc[1] == 1
    assert "Ann Surg 2019;269(1):120-126" in score.attrs["source"]


def test_modified_clinical_kras_only(make):
    # sources without NRAS: KRAS-only option, a named deviation
    frame = make(
        {
            "kras_status": ["mutant", "wild_type"],
            "primary_node_positive": [False] * 2,
            "liver_mets_largest_cm": [1.0, 1.0],
        }
    )
    assert modified_clinical_score(frame).isna().tolist() == [False, True]
    kras = modified_clinical_score(frame, mutation="kras")
    assert kras.tolist() == [1, 0]
    assert "KRAS only" in kras.attrs["rule"]


def test_nordlinger(make):
    # Nordlinger, Cancer 1996: 7 factors, groups 0-2 / 3-4 / 5-7; resection 2020-01-01,
    # 2 years = 24 calendar months = 2022-01-01 (exactly: 0 points)
    frame = make(
        {
            "age_at_diagnosis": [60.0, 60.5, 70.0, 50.0],
            "primary_t_stage": ["T3", "T4a", "T4b", "T2"],
            "primary_node_positive": [False, True, True, False],
            "primary_resection_date": ["2020-01-01"] * 4,
            "liver_mets_diagnosis_date": ["2022-01-01", "2021-12-31", "2020-01-01", "2023-01-01"],
            "liver_mets_number": [3, 4, 8, 1],
            "liver_mets_largest_cm": [5.0, 5.1, 7.0, 1.0],
            "margin_width_mm": [10.0, 9.9, None, 20.0],
        }
    )
    score = nordlinger_score(frame)
    assert score.tolist()[0] == 0 and score.tolist()[1] == 7 and score.tolist()[3] == 0
    assert "margin < 10 mm: margin width unknown for this patient" in reasons(score).iloc[2]
    assert "7 factors" in score.attrs["rule"]
    pre = nordlinger_score(frame, variant="preoperative")
    assert pre.tolist() == [0, 6, 6, 0]
    assert "6-factor pre-operative variant" in pre.attrs["rule"]
    assert nordlinger_group(frame, variant="preoperative").tolist() == [
        "low",
        "high",
        "high",
        "low",
    ]
    score_series = pd.Series(pd.array([2, 3, 4, 5, 7], dtype="Int64"))
    score_series.attrs = {"reasons": {}}
    assert nordlinger_group(score_series).tolist() == [
        "low",
        "intermediate",
        "intermediate",
        "high",
        "high",
    ]


def test_oslo_uses_pre_transplant_values(make):
    # Dueland, Am J Transplant 2020: pre-transplant size and CEA, progression at
    # transplantation, < 24 months from primary resection to transplantation
    frame = make(
        {
            "liver_mets_largest_cm_before_transplant": [5.5, 5.6, 2.0, 2.0],
            "progression_at_transplant": [False, True, False, None],
            "primary_resection_date": ["2020-01-01"] * 4,
            "liver_transplant_date": ["2022-01-01", "2021-12-31", "2025-01-01", "2025-01-01"],
            "cea_before_transplant": [80.0, 80.1, 5.0, 5.0],
            # values at diagnosis and the best RECIST response are not the score's inputs
            "liver_mets_largest_cm": [9.0, 9.0, 9.0, 9.0],
            "recist_response": ["PD", "PD", "PD", "PD"],
            "cea_at_liver_diagnosis": [900.0] * 4,
        }
    )
    score = oslo_score(frame)
    assert score.tolist()[:3] == [0, 4, 0]
    assert (
        "progression on chemotherapy at transplantation: unknown for this patient"
        in reasons(score).iloc[3]
    )
    assert oslo_group(frame).tolist()[:3] == ["0-1", "3-4", "0-1"]
    assert list(oslo_group(frame).cat.categories) == ["0-1", "2", "3-4"]
    assert "Am J Transplant 2020" in score.attrs["source"]
    no_transplant = make(
        {
            "liver_mets_largest_cm_before_transplant": [1.0],
            "progression_at_transplant": [False],
            "primary_resection_date": ["2020-01-01"],
            "cea_before_transplant": [1.0],
        }
    )
    assert (
        "date of transplantation not recorded by this source"
        in reasons(oslo_score(no_transplant)).iloc[0]
    )

"""Categories added for issue #13: boundary cases, each with the rule's source."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import InputError, SpecError
from crlm_outcomes.stratify import (
    STRATIFIERS,
    agreement,
    apply_all,
    extrahepatic_class,
    margin_class,
    mdt_group,
    ned_route,
    reasons,
    recurrence_pattern,
    recurrence_retreatment,
    recurrence_timing,
    resectability,
    surgery_within_months_of_chemo,
    transplant_selection,
    upfront_surgery_candidate,
)

NA = None


def _check(result, expected):
    got = [
        None if pd.isna(v) else (bool(v) if isinstance(v, (bool, np.bool_)) else v)
        for v in result.tolist()
    ]
    assert got == expected, (got, reasons(result).tolist())


# 2025 Chinese guideline section 4.1.4: R0 with a margin of MORE than 1 mm; Nordlinger 1996:
# margin < 1 cm. (status, width mm, guideline class, Nordlinger class)
MARGINS = [
    ("R0", 1.1, "R0_over_1mm", "under_1cm"),
    ("R0", 1.0, "R0_1mm_or_less", "under_1cm"),  # exactly 1 mm is not "> 1 mm"
    (NA, 0.5, "R0_1mm_or_less", "under_1cm"),
    (NA, 10.0, "R0_over_1mm", "1cm_or_more"),  # exactly 1 cm is not "< 1 cm"
    ("R0", 9.9, "R0_over_1mm", "under_1cm"),
    ("R1", NA, "involved", "under_1cm"),
    (NA, 0.0, "involved", "under_1cm"),
    ("R2", 5.0, "involved", "under_1cm"),
    ("R0", NA, None, None),
    (NA, NA, None, None),
]


def test_margin_classes(make):
    frame = make(
        {"margin_status": [m[0] for m in MARGINS], "margin_width_mm": [m[1] for m in MARGINS]}
    )
    _check(margin_class(frame), [m[2] for m in MARGINS])
    _check(margin_class(frame, scheme="nordlinger"), [m[3] for m in MARGINS])
    assert "R0 but margin width unknown" in reasons(margin_class(frame)).iloc[8]


# Section 4.1.1: lung nodules alone do not change the decision; hilar nodes and peritoneum
# are their own classes; any other site or several groups -> other.
# (extrahepatic_disease, sites, hilar nodes, lung flag, expected)
EXTRAHEPATIC = [
    (False, NA, NA, NA, "none"),
    (True, "lung", NA, NA, "lung_only"),
    (True, "peritoneum", NA, NA, "peritoneal_only"),
    (False, NA, True, NA, "hepatic_hilar_nodes_only"),
    (True, "lung;peritoneum", NA, NA, "other"),
    (True, "bone", NA, NA, "other"),
    (True, NA, NA, True, "lung_only"),  # registry site flag
    (True, NA, NA, NA, None),  # present, sites unknown
    (NA, NA, NA, NA, None),
]


def test_extrahepatic_classes(make):
    frame = make(
        {
            "extrahepatic_disease": [c[0] for c in EXTRAHEPATIC],
            "extrahepatic_sites": [c[1] for c in EXTRAHEPATIC],
            "hepatic_lymph_nodes": [c[2] for c in EXTRAHEPATIC],
            "extrahepatic_lung": [c[3] for c in EXTRAHEPATIC],
        }
    )
    result = extrahepatic_class(frame)
    _check(result, [c[4] for c in EXTRAHEPATIC])
    assert "sites unknown for this patient" in reasons(result).iloc[7]


# Sections 3.1 / 3.2.1-3.2.3: (ECOG, initially resectable, extrahepatic, sites, expected)
MDT = [
    (2, True, False, NA, "unfit_for_intensive_treatment"),  # ECOG 2 = unfit (default)
    (1, True, False, NA, "resectable"),
    (1, False, False, NA, "potentially_convertible"),
    (1, False, True, "lung", "potentially_convertible"),
    (1, False, True, "bone", "not_convertible"),
    (NA, True, False, NA, None),  # fitness first
    (0, NA, False, NA, None),
]


def test_mdt_groups(make):
    frame = make(
        {
            "performance_status_ecog": [c[0] for c in MDT],
            "initially_resectable": [c[1] for c in MDT],
            "extrahepatic_disease": [c[2] for c in MDT],
            "extrahepatic_sites": [c[3] for c in MDT],
        }
    )
    _check(mdt_group(frame), [c[4] for c in MDT])
    assert mdt_group(frame, unfit_ecog=3).iloc[0] == "resectable"
    assert "section 3.1" in reasons(mdt_group(frame)).iloc[5]


# Section 4.1.1: remnant >= 30-40%; section 4.1.4(1): >= 40% for a simultaneous resection,
# >= 30% for a liver resection apart from the primary (exactly the limit is adequate).
# (primary type, extrahepatic, sites, remnant %, ECOG, surgical strategy, expected)
RESECTABILITY = [
    ("colectomy", False, NA, 30.0, 1, "metachronous_hepatectomy", "indicated"),
    ("colectomy", False, NA, 29.9, 1, NA, "contraindicated_remnant"),
    ("none", False, NA, 50.0, 1, NA, "contraindicated_primary"),
    ("colectomy", True, "peritoneum", 50.0, 1, NA, "contraindicated_extrahepatic"),
    ("colectomy", True, "lung", 50.0, 1, NA, "indicated"),
    ("colectomy", False, NA, 50.0, 3, NA, "contraindicated_unfit"),
    ("colectomy", False, NA, NA, 1, NA, None),
    ("simultaneous_with_liver", False, NA, 39.9, 1, "simultaneous", "contraindicated_remnant"),
    ("simultaneous_with_liver", False, NA, 40.0, 1, "simultaneous", "indicated"),
    ("colectomy", False, NA, 35.0, 1, "staged_primary_first", "indicated"),
    ("colectomy", False, NA, 35.0, 1, NA, None),  # 30-40% with the strategy unknown
]


def test_resectability(make):
    frame = make(
        {
            "primary_resection_type": [c[0] for c in RESECTABILITY],
            "extrahepatic_disease": [c[1] for c in RESECTABILITY],
            "extrahepatic_sites": [c[2] for c in RESECTABILITY],
            "future_liver_remnant_pct": [c[3] for c in RESECTABILITY],
            "performance_status_ecog": [c[4] for c in RESECTABILITY],
            "surgical_strategy": [c[5] for c in RESECTABILITY],
        }
    )
    result = resectability(frame)
    _check(result, [c[6] for c in RESECTABILITY])
    assert "future liver remnant unknown" in reasons(result).iloc[6]
    assert "surgical strategy is unknown" in reasons(result).iloc[10]
    # without any strategy column, 30-40% stays undecided; the limits are options
    no_strategy = frame.drop(columns=["surgical_strategy"])
    assert pd.isna(resectability(no_strategy).iloc[9])
    assert resectability(no_strategy, simultaneous_min_remnant_pct=30.0).iloc[9] == "indicated"


# Seed 002 (transplant selection): against right-sided primary, BRAF mutation, N2, poorly
# differentiated; liver-only disease responding to chemotherapy (seed 004 section 4.1.4(5)).
TRANSPLANT = [
    ("C18.7", "wild_type", "N1", "G2", False, False, "favourable"),
    ("C18.2", NA, NA, NA, NA, NA, "unfavourable"),  # right-sided: decided alone
    ("C20.9", "V600E", "N0", "G1", False, False, "unfavourable"),
    ("C20.9", "wild_type", "N2a", "G1", False, False, "unfavourable"),
    ("C20.9", "wild_type", "N0", "G3", False, False, "unfavourable"),
    ("C20.9", "wild_type", "N0", "G1", True, False, "unfavourable"),
    ("C20.9", "wild_type", "N0", "G1", False, True, "unfavourable"),
    ("C20.9", NA, "N0", "G1", False, False, None),
]


def test_transplant_selection(make):
    frame = make(
        {
            "primary_site_icdo3": [c[0] for c in TRANSPLANT],
            "braf_status": [c[1] for c in TRANSPLANT],
            "primary_n_stage": [c[2] for c in TRANSPLANT],
            "primary_grade": [c[3] for c in TRANSPLANT],
            "extrahepatic_disease": [c[4] for c in TRANSPLANT],
            "progression_at_transplant": [c[5] for c in TRANSPLANT],
        }
    )
    result = transplant_selection(frame)
    _check(result, [c[6] for c in TRANSPLANT])
    assert "BRAF unknown for this patient" in reasons(result).iloc[7]


# Section 5.1.1 (seed 004): neoadjuvant chemotherapy "generally recommended to be completed
# within 2-3 months, followed by surgery" -> counted from the START of chemotherapy; exactly 3
# calendar months is within. (start, end, liver resection, given, from start, from end)
NEOADJUVANT_TIMING = [
    ("2020-01-31", "2020-03-15", "2020-04-30", True, True, True),  # 31 Jan + 3 m = 30 Apr
    ("2020-01-31", "2020-03-15", "2020-05-01", True, False, True),  # 1 day past 3 months
    ("2020-01-01", "2020-05-01", "2020-06-01", True, False, True),  # 5 months from start
    ("2020-01-01", "2020-01-31", "2020-05-01", True, False, False),
    ("2020-01-01", "2020-01-31", "2020-03-01", False, None, None),  # no chemotherapy
    (NA, NA, "2020-03-01", True, None, None),  # dates unknown
]


def test_surgery_within_three_months_of_chemotherapy(make):
    rows = NEOADJUVANT_TIMING
    frame = make(
        {
            "neoadjuvant_start_date": [r[0] for r in rows],
            "neoadjuvant_end_date": [r[1] for r in rows],
            "liver_resection_date": [r[2] for r in rows],
            "neoadjuvant_chemo": [r[3] for r in rows],
        }
    )
    result = surgery_within_months_of_chemo(frame)
    _check(result, [r[4] for r in rows])
    assert "after its start" in result.attrs["rule"]
    assert reasons(result).iloc[4].startswith("not applicable")
    assert reasons(result).iloc[5] == "neoadjuvant start date unknown for this patient"
    from_end = surgery_within_months_of_chemo(frame, origin="end")
    _check(from_end, [r[5] for r in rows])
    assert "not the guideline's wording" in from_end.attrs["rule"]
    with pytest.raises(SpecError):
        surgery_within_months_of_chemo(frame, origin="middle")


def test_upfront_surgery_candidate(make):
    # Section 5.1.1: synchronous, easy to resect and CRS < 3 -> upfront surgery
    base = {
        "primary_diagnosis_date": ["2020-01-01"] * 4,
        "liver_mets_diagnosis_date": ["2020-01-01", "2020-01-01", "2020-01-01", "2021-06-01"],
        "primary_resection_date": ["2020-02-01"] * 4,
        "initially_resectable": [True, True, False, True],
        "primary_node_positive": [False, True, False, False],
        "liver_mets_number": [1, 2, 1, 1],
        "cea_at_liver_diagnosis": [1.0] * 4,
        "liver_mets_largest_cm": [1.0] * 4,
    }
    result = upfront_surgery_candidate(make(base))
    # CRS: 1 (synchronous DFI) -> True; 3 -> False; unresectable -> False; metachronous -> NA
    _check(result, [True, False, False, None])
    assert "section 5.1.2" in reasons(result).iloc[3]


def test_recurrence_timing_pattern_and_retreatment(make):
    # Vigano, Ann Surg Oncol 2014: early recurrence within 6 months of liver resection
    frame = make(
        {
            "liver_resection_date": ["2020-01-15"] * 4,
            "recurrence_date": ["2020-07-15", "2020-07-16", NA, "2021-01-15"],
            "recurrence_site": ["liver", "extrahepatic", NA, "liver_and_extrahepatic"],
            "repeat_hepatectomy_for_recurrence": [True, False, NA, NA],
        }
    )
    _check(recurrence_timing(frame), ["early", "late", None, "late"])
    _check(recurrence_timing(frame, early_months=12), ["early", "early", None, "early"])
    _check(recurrence_pattern(frame), ["intrahepatic_only", "extrahepatic_only", None, "both"])
    retreatment = recurrence_retreatment(frame)
    _check(retreatment, ["repeat_hepatectomy", "no_repeat_hepatectomy", None, None])
    assert reasons(retreatment).iloc[2] == "not applicable: no recurrence recorded"


def test_ned_route(make):
    # Sections 3.2.1 and 4.2: resection, resection plus ablation, ablation or SBRT alone
    frame = make(
        {
            "ned_achieved": [True, True, True, True, True, False, True],
            "liver_resection_date": ["2020-01-01", "2020-01-01", NA, NA, NA, NA, "2020-01-01"],
            "ablation_type": ["none", "RFA", "MWA", "SBRT", NA, NA, NA],
            "liver_transplant": [False, False, False, False, True, False, False],
        }
    )
    result = ned_route(frame)
    _check(
        result,
        [
            "resection",
            "resection_plus_ablation",
            "ablation_only",
            "sbrt_only",
            "transplantation",
            None,
            None,
        ],
    )
    assert reasons(result).iloc[5] == "not applicable: NED not reached"
    assert "ablation unknown" in reasons(result).iloc[6]


def test_agreement_counts_kappa_and_differing_patients(make):
    ours = [0] * 20 + [0] * 5 + [1] * 10 + [1] * 15 + [None]
    theirs = [0] * 20 + [1] * 5 + [0] * 10 + [1] * 15 + [1]
    frame = pd.DataFrame(
        {
            "fong_score": pd.array(ours, dtype="Int64"),
            "source_clinical_risk_score": pd.array(theirs, dtype="Int64"),
            "fong_score_reason": [None] * 50 + ["CEA > 200 ng/mL: unknown"],
        }
    )
    result = agreement(frame, "fong_score", "source_clinical_risk_score")
    # po = 0.7, pe = 0.5 * 0.6 + 0.5 * 0.4 = 0.5, kappa = 0.4 (hand-worked)
    assert result.kappa == pytest.approx(0.4, abs=1e-12)
    row = result.table.iloc[0]
    # null SE (Fleiss, Cohen & Everitt 1969): sqrt((pe + pe^2 - sum p_i. p_.i (p_i. + p_.i))
    # / (n (1 - pe)^2)) = sqrt((0.5 + 0.25 - 0.51) / 12.5) = sqrt(0.0192)
    assert row["statistic"] == pytest.approx(0.4 / np.sqrt(0.0192), rel=1e-12)
    assert row["n"] == 50 and result.n_excluded == 1
    assert result.counts.to_numpy().tolist() == [[20, 5], [10, 15]]
    assert len(result.differing) == 16
    assert result.differing["why"].iloc[-1] == "ours missing: CEA > 200 ng/mL: unknown"
    assert result == agreement(frame, "fong_score", "source_clinical_risk_score")
    assert "kappa 0.400" in repr(result)
    assert "Cohen's kappa" in result.summary()
    assert "<table" in result._repr_html_()
    with pytest.raises(InputError):
        agreement(frame, "fong_score", "nope")


def test_apply_all_includes_the_new_categories(make):
    names = [
        "mdt_group",
        "resectability",
        "extrahepatic_class",
        "margin_class",
        "transplant_selection",
        "surgery_within_months_of_chemo",
        "upfront_surgery_candidate",
        "ned_route",
        "recurrence_timing",
        "recurrence_pattern",
        "recurrence_retreatment",
    ]
    assert set(names) <= set(STRATIFIERS)
    frame = make(
        {
            "margin_status": ["R0"],
            "margin_width_mm": [2.0],
            "ned_achieved": [True],
            "liver_resection_date": ["2020-01-01"],
            "ablation_type": ["none"],
        }
    )
    out = apply_all(frame)
    assert out["margin_class"].iloc[0] == "R0_over_1mm"
    assert out["ned_route"].iloc[0] == "resection"

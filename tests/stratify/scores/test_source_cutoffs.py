"""Every published cut-off, one component at a time, with the text it was checked against.

Each row starts from a patient who scores 0 on every component and changes one value to just
at or just past the cut-off. The last field says where the cut-off was verified (issue #13):
"primary abstract" = the paper's own abstract was read; "secondary" = only a secondary source
was reachable (the primary text was not accessible), as also said in the docstrings.
"""

from __future__ import annotations

import pytest

from crlm_outcomes.stratify import (
    fong_score,
    game_score,
    modified_clinical_score,
    nordlinger_score,
    oslo_score,
)

FONG_SRC = "Fong, Ann Surg 1999;230:309, primary abstract (PubMed 10493478)"
GAME_SRC = "Margonis, Br J Surg 2018;105:1210, primary abstract (PubMed 29691844)"
NORD_SRC = (
    "Nordlinger, Cancer 1996;77:1254, secondary: PLATO calculator "
    "(vilja-a/plato-crlm-risk-prediction, source_code/4_discrimation.R)"
)
MCS_SRC = (
    "Brudvik, Ann Surg 2019;269:120, secondary: PLATO calculator "
    "(vilja-a/plato-crlm-risk-prediction, source_code/4_discrimation.R)"
)
OSLO_SRC = (
    "Dueland, Am J Transplant 2020;20:530 (abstract names the Oslo Score), items "
    "secondary: seed 002 section 1; > 5.5 cm also Dueland, JAMA Surg 2023 abstract"
)

BASE = {
    fong_score: {
        "primary_node_positive": [False],
        "primary_resection_date": ["2018-01-01"],
        "liver_mets_diagnosis_date": ["2020-01-01"],
        "liver_mets_number": [1],
        "cea_at_liver_diagnosis": [5.0],
        "liver_mets_largest_cm": [1.0],
    },
    game_score: {
        "kras_status": ["wild_type"],
        "cea_at_liver_diagnosis": [5.0],
        "primary_node_positive": [False],
        "liver_mets_largest_cm": [1.0],
        "liver_mets_number": [1],
        "extrahepatic_disease": [False],
    },
    nordlinger_score: {
        "age_at_diagnosis": [50.0],
        "primary_t_stage": ["T2"],
        "primary_node_positive": [False],
        "primary_resection_date": ["2018-01-01"],
        "liver_mets_diagnosis_date": ["2021-01-01"],
        "liver_mets_number": [1],
        "liver_mets_largest_cm": [1.0],
        "margin_width_mm": [20.0],
    },
    modified_clinical_score: {
        "kras_status": ["wild_type"],
        "nras_status": ["wild_type"],
        "primary_node_positive": [False],
        "liver_mets_largest_cm": [1.0],
    },
    oslo_score: {
        "liver_mets_largest_cm_before_transplant": [2.0],
        "progression_at_transplant": [False],
        "primary_resection_date": ["2018-01-01"],
        "liver_transplant_date": ["2021-01-01"],
        "cea_before_transplant": [5.0],
    },
}

# (score, column, value, expected score, where verified)
CASES = [
    (fong_score, "cea_at_liver_diagnosis", 200.0, 0, FONG_SRC + ": CEA > 200 ng/ml"),
    (fong_score, "cea_at_liver_diagnosis", 200.5, 1, FONG_SRC + ": CEA > 200 ng/ml"),
    (fong_score, "liver_mets_number", 2, 1, FONG_SRC + ": number of hepatic tumours > 1"),
    (fong_score, "liver_mets_largest_cm", 5.0, 0, FONG_SRC + ": largest > 5 cm"),
    (fong_score, "liver_mets_largest_cm", 5.01, 1, FONG_SRC + ": largest > 5 cm"),
    (fong_score, "liver_mets_diagnosis_date", "2019-01-01", 0, FONG_SRC + ": DFI < 12 months"),
    (fong_score, "liver_mets_diagnosis_date", "2018-12-31", 1, FONG_SRC + ": DFI < 12 months"),
    (fong_score, "primary_node_positive", True, 1, FONG_SRC + ": node-positive primary"),
    (game_score, "cea_at_liver_diagnosis", 19.9, 0, GAME_SRC + ": CEA 20 ng/ml or more"),
    (game_score, "cea_at_liver_diagnosis", 20.0, 1, GAME_SRC + ": CEA 20 ng/ml or more"),
    (game_score, "kras_status", "mutant", 1, GAME_SRC + ": KRAS-mutated 1 point"),
    (game_score, "extrahepatic_disease", True, 2, GAME_SRC + ": extrahepatic disease 2 points"),
    (game_score, "liver_mets_number", 3, 1, GAME_SRC + ": TBS 3-8 1 point (sqrt(1+9) = 3.16)"),
    (game_score, "liver_mets_number", 9, 2, GAME_SRC + ": TBS 9 and over 2 points (9.06)"),
    (nordlinger_score, "age_at_diagnosis", 60.0, 0, NORD_SRC + ": age > 60"),
    (nordlinger_score, "age_at_diagnosis", 60.1, 1, NORD_SRC + ": age > 60"),
    (nordlinger_score, "primary_t_stage", "T3", 0, NORD_SRC + ": pT > 3"),
    (nordlinger_score, "primary_t_stage", "T4a", 1, NORD_SRC + ": pT > 3"),
    (nordlinger_score, "primary_node_positive", True, 1, NORD_SRC + ": pN > 0"),
    (nordlinger_score, "liver_mets_number", 3, 0, NORD_SRC + ": count > 3"),
    (nordlinger_score, "liver_mets_number", 4, 1, NORD_SRC + ": count > 3"),
    (nordlinger_score, "liver_mets_largest_cm", 5.0, 0, NORD_SRC + ": largest > 50 mm"),
    (nordlinger_score, "liver_mets_largest_cm", 5.1, 1, NORD_SRC + ": largest > 50 mm"),
    (nordlinger_score, "margin_width_mm", 10.0, 0, NORD_SRC + ": margin < 10 mm"),
    (nordlinger_score, "margin_width_mm", 9.9, 1, NORD_SRC + ": margin < 10 mm"),
    (
        nordlinger_score,
        "liver_mets_diagnosis_date",
        "2020-01-01",
        0,
        NORD_SRC + ": interval < 24 months",
    ),
    (
        nordlinger_score,
        "liver_mets_diagnosis_date",
        "2019-12-31",
        1,
        NORD_SRC + ": interval < 24 months",
    ),
    (modified_clinical_score, "nras_status", "mutant", 1, MCS_SRC + ": KRAS or NRAS mutated"),
    (modified_clinical_score, "kras_status", "mutant", 1, MCS_SRC + ": KRAS or NRAS mutated"),
    (modified_clinical_score, "primary_node_positive", True, 1, MCS_SRC + ": pN > 0"),
    (modified_clinical_score, "liver_mets_largest_cm", 5.0, 0, MCS_SRC + ": largest > 50 mm"),
    (modified_clinical_score, "liver_mets_largest_cm", 5.1, 1, MCS_SRC + ": largest > 50 mm"),
    (oslo_score, "liver_mets_largest_cm_before_transplant", 5.5, 0, OSLO_SRC + ": > 5.5 cm"),
    (oslo_score, "liver_mets_largest_cm_before_transplant", 5.6, 1, OSLO_SRC + ": > 5.5 cm"),
    (oslo_score, "cea_before_transplant", 80.0, 0, OSLO_SRC + ": CEA > 80 ug/L"),
    (oslo_score, "cea_before_transplant", 80.1, 1, OSLO_SRC + ": CEA > 80 ug/L"),
    (oslo_score, "progression_at_transplant", True, 1, OSLO_SRC + ": progression"),
    (oslo_score, "liver_transplant_date", "2020-01-01", 0, OSLO_SRC + ": < 24 months"),
    (oslo_score, "liver_transplant_date", "2019-12-31", 1, OSLO_SRC + ": < 24 months"),
]


def test_every_base_patient_scores_zero(make):
    for score, columns in BASE.items():
        assert score(make(columns)).tolist() == [0], score.__name__


@pytest.mark.parametrize(
    ("score", "column", "value", "expected", "verified"),
    CASES,
    ids=[f"{c[0].__name__}-{c[1]}={c[2]}" for c in CASES],
)
def test_cut_off(make, score, column, value, expected, verified):
    columns = dict(BASE[score])
    columns[column] = [value]
    assert score(make(columns)).tolist() == [expected], verified

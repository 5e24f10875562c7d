"""GAME score (Margonis, BJS 2018;105:1210): hand-worked cases and boundaries."""

from __future__ import annotations

import pandas as pd

from crlm_outcomes.stratify import game_group, game_score, reasons

# kras, CEA, node+, largest cm, number, extrahepatic, expected score
CASES = [
    ("mutant", 25.0, True, 5.0, 3, True, 6),  # TBS 5.83 -> 1; EHD 2
    ("wild_type", 19.9, False, 1.0, 1, False, 0),  # TBS 1.41
    ("wild_type", 20.0, False, 1.0, 1, False, 1),  # CEA exactly 20 scores
    ("wild_type", 1.0, False, 0.0, 3, False, 1),  # TBS exactly 3 -> 1
    ("wild_type", 1.0, False, 8.0, 3, False, 1),  # TBS 8.54 (the "3-8" gap) -> 1
    ("wild_type", 1.0, False, 0.0, 9, False, 2),  # TBS exactly 9 -> 2
    ("wild_type", 1.0, False, 2.0, 2, True, 2),  # EHD alone: 2 points
    ("mutant", 1.0, True, 2.0, 2, False, 2),
    ("mutant", 30.0, True, 12.0, 5, True, 7),  # maximum
]
GROUPS = ["high", "low", "low", "low", "low", "medium", "medium", "medium", "high"]


def _frame(make, cases):
    return make(
        {
            "kras_status": [c[0] for c in cases],
            "cea_at_liver_diagnosis": [c[1] for c in cases],
            "primary_node_positive": [c[2] for c in cases],
            "liver_mets_largest_cm": [c[3] for c in cases],
            "liver_mets_number": [c[4] for c in cases],
            "extrahepatic_disease": [c[5] for c in cases],
        }
    )


def test_hand_worked(make):
    frame = _frame(make, CASES)
    assert game_score(frame).tolist() == [c[-1] for c in CASES]
    assert game_group(frame).tolist() == GROUPS
    assert list(game_group(frame).cat.categories) == ["low", "medium", "high"]


def test_group_boundaries(make):
    # low 0-1, medium 2-3, high >= 4
    score = pd.Series(pd.array([0, 1, 2, 3, 4, 7, None], dtype="Int64"))
    score.attrs = {"reasons": {6: "test"}}
    assert game_group(score).tolist()[:6] == ["low", "low", "medium", "medium", "high", "high"]


def test_kras_only_by_default_nras_optional(make):
    frame = _frame(make, CASES[1:2])
    frame["nras_status"] = pd.Categorical(["mutant"], categories=["wild_type", "mutant"])
    assert game_score(frame).iloc[0] == 0  # NRAS does not count in the published score
    assert game_score(frame, mutation="ras").iloc[0] == 1
    frame["kras_status"] = pd.Categorical([None], categories=["wild_type", "mutant"])
    assert pd.isna(game_score(frame).iloc[0])
    assert "KRAS-mutated: KRAS unknown for this patient" in reasons(game_score(frame)).iloc[0]
    assert game_score(frame, mutation="ras").iloc[0] == 1  # NRAS mutation decides

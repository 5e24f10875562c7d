"""Tumour burden score (Sasaki, Ann Surg 2018) and zones < 3, 3 to < 9, >= 9."""

from __future__ import annotations

import math

import pandas as pd

from crlm_outcomes.stratify import reasons, tbs_zone, tumour_burden_score

# largest cm, number, TBS, zone
CASES = [
    (4.0, 3, 5.0, "3-<9"),  # 3-4-5 triangle
    (0.0, 3, 3.0, "3-<9"),  # exactly 3: middle zone
    (math.sqrt(8.0), 1, 3.0, "3-<9"),  # 3.0000000000000004 in floating point
    (2.0, 2, math.sqrt(8.0), "<3"),
    (0.0, 9, 9.0, ">=9"),  # exactly 9: top zone
    (8.9, 1, math.hypot(8.9, 1), "3-<9"),  # 8.956
    (12.0, 5, 13.0, ">=9"),
]


def test_tbs_and_zones(make):
    frame = make(
        {"liver_mets_largest_cm": [c[0] for c in CASES], "liver_mets_number": [c[1] for c in CASES]}
    )
    tbs = tumour_burden_score(frame)
    assert str(tbs.dtype) == "Float64"
    for i, case in enumerate(CASES):
        assert math.isclose(tbs.iloc[i], case[2], rel_tol=1e-12)
    zone = tbs_zone(frame)
    assert zone.tolist() == [c[3] for c in CASES]
    assert list(zone.cat.categories) == ["<3", "3-<9", ">=9"]
    assert tbs_zone(tbs).tolist() == zone.tolist()


def test_missing_and_custom_cuts(make):
    frame = make({"liver_mets_largest_cm": [None, 1.0], "liver_mets_number": [2, None]})
    tbs = tumour_burden_score(frame)
    assert tbs.isna().all()
    assert (
        reasons(tbs).iloc[0]
        == "tumour burden score: largest liver metastasis unknown for this patient"
    )
    assert (
        reasons(tbs_zone(frame)).iloc[1]
        == "tumour burden score: number of liver metastases unknown for this patient"
    )
    frame = make({"liver_mets_largest_cm": [4.0], "liver_mets_number": [3]})
    assert tbs_zone(frame, cuts=(5, 10)).iloc[0] == "5-<10"
    assert pd.api.types.is_float_dtype(tbs.dtype)

"""Property tests: scores stay in range, groups follow scores, and filling in a missing
component never lowers the number of classified patients."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from crlm_outcomes.stratify import (
    flr_adequate,
    fong_group,
    fong_score,
    game_group,
    game_score,
    modified_clinical_score,
    nordlinger_group,
    nordlinger_score,
    oslo_score,
    ras_class,
    rfa_eligible,
    sbrt_eligible,
    tbs_zone,
    tumour_burden_score,
)

from .conftest import build_frame

BASE = pd.Timestamp("2015-01-01")

# column -> strategy of a complete value
VALUES = {
    "primary_node_positive": st.booleans(),
    "primary_n_stage": st.sampled_from(["N0", "N1", "N1a", "N2b"]),
    "primary_t_stage": st.sampled_from(["T1", "T2", "T3", "T4", "T4a", "T4b"]),
    "age_at_diagnosis": st.floats(18, 95).map(lambda v: round(v, 1)),
    "primary_diagnosis_date": st.integers(0, 0),
    "primary_resection_date": st.integers(0, 400),
    "liver_mets_diagnosis_date": st.integers(-30, 2000),
    "liver_transplant_date": st.integers(100, 3000),
    "liver_mets_at_primary_diagnosis": st.booleans(),
    "liver_mets_number": st.integers(1, 30),
    "liver_mets_largest_cm": st.integers(0, 200).map(lambda v: v / 10),
    "cea_at_liver_diagnosis": st.sampled_from([0.5, 19.9, 20.0, 80.0, 80.1, 200.0, 200.1, 5000.0]),
    "kras_status": st.sampled_from(["wild_type", "mutant"]),
    "nras_status": st.sampled_from(["wild_type", "mutant"]),
    "kras_exons_tested": st.sampled_from(["2", "2;3", "2;3;4"]),
    "nras_exons_tested": st.sampled_from(["2", "2;3;4"]),
    "extrahepatic_disease": st.booleans(),
    "recist_response": st.sampled_from(["CR", "PR", "SD", "PD"]),
    "margin_width_mm": st.floats(0, 30).map(lambda v: round(v, 1)),
    "future_liver_remnant_pct": st.sampled_from([25.0, 30.0, 35.0, 40.0, 55.0]),
}
COLUMNS = list(VALUES)
DATES = {
    "primary_diagnosis_date",
    "primary_resection_date",
    "liver_mets_diagnosis_date",
    "liver_transplant_date",
}


@st.composite
def cohorts(draw):
    """(values, missing mask) for 1-12 patients."""
    n = draw(st.integers(1, 12))
    values = {c: [draw(VALUES[c]) for _ in range(n)] for c in COLUMNS}
    missing = {c: [draw(st.booleans()) for _ in range(n)] for c in COLUMNS}
    return values, missing


def _frame(values, missing, filled=()):
    columns = {}
    for c in COLUMNS:
        row_values = [
            None
            if (m and c not in filled)
            else (str((BASE + pd.Timedelta(days=v)).date()) if c in DATES else v)
            for v, m in zip(values[c], missing[c], strict=True)
        ]
        columns[c] = row_values
    return build_frame(columns)


SCORES = {
    "fong": (fong_score, 0, 5),
    "game": (game_score, 0, 7),
    "mcs": (modified_clinical_score, 0, 3),
    "nordlinger": (nordlinger_score, 0, 7),
    "oslo": (oslo_score, 0, 4),
}


@settings(max_examples=30, deadline=None)
@given(cohorts())
def test_scores_within_range_and_groups_follow(data):
    frame = _frame(*data)
    for name, (function, low, high) in SCORES.items():
        for option in (False, True):
            score = function(frame, missing_as_zero=option)
            known = score.dropna()
            assert ((known >= low) & (known <= high)).all(), name
    preoperative = nordlinger_score(frame, variant="preoperative").dropna()
    assert ((preoperative >= 0) & (preoperative <= 6)).all()
    tbs = tumour_burden_score(frame).dropna()
    assert (tbs >= 1).all()  # at least one lesion
    for score_function, group_function in (
        (fong_score, fong_group),
        (game_score, game_group),
        (nordlinger_score, nordlinger_group),
    ):
        score = score_function(frame)
        group = group_function(frame)
        assert (score.isna().to_numpy() == group.isna().to_numpy()).all()
    # the TBS zone can be known from a bound (a 9 cm lesion, count unknown) without the TBS
    score, zone = tumour_burden_score(frame), tbs_zone(frame)
    assert not (score.notna().to_numpy() & zone.isna().to_numpy()).any()
    assert (zone[score.isna() & zone.notna()] == ">=9").all()


FLAG_FUNCTIONS = [
    fong_score,
    game_score,
    modified_clinical_score,
    nordlinger_score,
    oslo_score,
    tumour_burden_score,
    rfa_eligible,
    sbrt_eligible,
    flr_adequate,
    ras_class,
]


@settings(max_examples=30, deadline=None)
@given(cohorts(), st.sampled_from(COLUMNS))
def test_filling_a_component_never_loses_a_patient(data, column):
    values, missing = data
    before = _frame(values, missing)
    after = _frame(values, missing, filled=(column,))
    for function in FLAG_FUNCTIONS:
        kwargs_list = [{}]
        if "missing_as_zero" in function.__code__.co_varnames:
            kwargs_list.append({"missing_as_zero": True})
        for kwargs in kwargs_list:
            was = function(before, **kwargs).notna().to_numpy()
            now = function(after, **kwargs).notna().to_numpy()
            assert not np.any(was & ~now), (function.__name__, column, kwargs)
            assert now.sum() >= was.sum()

"""Surgical strategy: explicit, derived (documented rules) and their disagreements."""

from __future__ import annotations

import pandas as pd
import pytest

from crlm_outcomes.errors import SpecError
from crlm_outcomes.stratify import (
    derive_surgical_strategy,
    reasons,
    strategy_disagreements,
    surgical_strategy_group,
)

NA = None
COLUMNS = [
    "liver_transplant",
    "alpps",
    "two_stage_hepatectomy",
    "second_liver_resection_date",
    "liver_resection_date",
    "liver_resection_extent",
    "primary_resection_date",
    "primary_resection_type",
    "ablation_type",
    "primary_diagnosis_date",
    "liver_mets_diagnosis_date",
    "repeat_hepatectomy_for_recurrence",
    "recurrence_date",
]
SYNC = ("2019-12-01", "2019-12-15")  # primary diagnosed, liver metastases on the staging CT
META = ("2019-12-01", "2020-02-01")  # liver metastases found after the primary resection
NO_TIMING = (NA, NA)

# transplant, alpps, two_stage, 2nd date, liver date, extent, primary date, primary type,
# ablation, (diagnosis, liver diagnosis), repeat flag, recurrence date, expected, reason fragment
# 2025 Chinese guideline section 4.1.2 (synchronous: simultaneous / staged / liver first),
# 4.1.3 (metachronous hepatectomy), 4.1.4 (two-stage / ALPPS), 4.2 (ablation).
CASES = [
    (
        True,
        NA,
        NA,
        NA,
        "2020-03-01",
        "major",
        "2020-01-01",
        NA,
        NA,
        SYNC,
        NA,
        NA,
        "transplantation",
        None,
    ),
    (
        NA,
        True,
        NA,
        "2020-04-01",
        "2020-03-01",
        NA,
        "2020-01-01",
        NA,
        NA,
        SYNC,
        NA,
        NA,
        "alpps",
        None,
    ),
    (
        NA,
        NA,
        True,
        NA,
        "2020-03-01",
        NA,
        "2020-01-01",
        NA,
        NA,
        SYNC,
        NA,
        NA,
        "two_stage_hepatectomy",
        None,
    ),
    (
        NA,
        False,
        NA,
        "2020-04-01",
        "2020-03-01",
        NA,
        "2020-01-01",
        NA,
        NA,
        SYNC,
        NA,
        NA,
        "two_stage_hepatectomy",
        None,
    ),
    (
        NA,
        NA,
        NA,
        "2020-04-01",
        "2020-03-01",
        NA,
        "2020-01-01",
        NA,
        NA,
        SYNC,
        NA,
        NA,
        None,
        "two-stage hepatectomy or ALPPS",
    ),
    # the review's case: a repeat hepatectomy for recurrence is not a two-stage hepatectomy
    (
        NA,
        False,
        NA,
        "2021-06-01",
        "2020-03-01",
        NA,
        "2020-01-01",
        NA,
        NA,
        META,
        True,
        NA,
        "metachronous_hepatectomy",
        None,
    ),
    (
        NA,
        False,
        NA,
        "2021-06-01",
        "2020-03-01",
        NA,
        "2020-01-01",
        NA,
        NA,
        SYNC,
        NA,
        "2021-01-10",
        "staged_primary_first",
        None,
    ),
    (
        NA,
        False,
        False,
        "2021-06-01",
        "2020-03-01",
        NA,
        "2020-01-01",
        NA,
        NA,
        SYNC,
        NA,
        NA,
        "staged_primary_first",
        None,
    ),
    (NA, NA, NA, NA, "2020-01-01", NA, "2020-01-01", NA, NA, SYNC, NA, NA, "simultaneous", None),
    (
        NA,
        NA,
        NA,
        NA,
        "2020-01-02",
        NA,
        NA,
        "simultaneous_with_liver",
        NA,
        NO_TIMING,
        NA,
        NA,
        "simultaneous",
        None,
    ),
    (
        NA,
        NA,
        NA,
        NA,
        "2020-03-01",
        NA,
        "2020-01-01",
        "colectomy",
        "RFA",
        SYNC,
        NA,
        NA,
        "staged_primary_first",
        None,
    ),  # ablation as an adjunct to resection
    # the review's case: a hepatectomy for metastases found after the primary resection is
    # not a staged resection
    (
        NA,
        NA,
        NA,
        NA,
        "2020-03-01",
        NA,
        "2020-01-01",
        "colectomy",
        NA,
        META,
        NA,
        NA,
        "metachronous_hepatectomy",
        None,
    ),
    (
        NA,
        NA,
        NA,
        NA,
        "2020-03-01",
        NA,
        "2020-01-01",
        "colectomy",
        NA,
        NO_TIMING,
        NA,
        NA,
        None,
        "cannot be told apart",
    ),
    (NA, NA, NA, NA, "2020-01-01", NA, "2020-03-01", NA, NA, SYNC, NA, NA, "liver_first", None),
    (
        NA,
        NA,
        NA,
        NA,
        NA,
        "minor",
        "2020-03-01",
        NA,
        NA,
        SYNC,
        NA,
        NA,
        None,
        "date of liver resection unknown for this patient",
    ),
    (
        NA,
        NA,
        NA,
        NA,
        "2020-03-01",
        NA,
        NA,
        NA,
        NA,
        NO_TIMING,
        NA,
        NA,
        None,
        "date of primary resection unknown for this patient",
    ),
    (
        NA,
        NA,
        NA,
        NA,
        "2020-03-01",
        NA,
        NA,
        "none",
        NA,
        SYNC,
        NA,
        NA,
        None,
        "primary was not resected",
    ),
    (NA, NA, NA, NA, NA, NA, "2020-01-01", NA, "MWA", SYNC, NA, NA, "ablation_only", None),
    (
        False,
        False,
        False,
        NA,
        NA,
        NA,
        "2020-01-01",
        NA,
        "none",
        SYNC,
        NA,
        NA,
        "no_liver_directed_therapy",
        None,
    ),
    (
        NA,
        NA,
        NA,
        NA,
        NA,
        NA,
        "2020-01-01",
        NA,
        NA,
        SYNC,
        NA,
        NA,
        None,
        "ablation unknown for this patient",
    ),
]


def _frame(make, cases):
    data = {name: [c[i] for c in cases] for i, name in enumerate(COLUMNS[:9])}
    data["primary_diagnosis_date"] = [c[9][0] for c in cases]
    data["liver_mets_diagnosis_date"] = [c[9][1] for c in cases]
    data["repeat_hepatectomy_for_recurrence"] = [c[10] for c in cases]
    data["recurrence_date"] = [c[11] for c in cases]
    return make(data)


def _check(result, cases):
    why = reasons(result)
    for i, case in enumerate(cases):
        expected, fragment = case[-2], case[-1]
        if expected is None:
            assert pd.isna(result.iloc[i]), (i, result.iloc[i])
            assert fragment in why.iloc[i], (i, why.iloc[i])
        else:
            assert result.iloc[i] == expected, (i, case, result.iloc[i])


def test_derivation_rules(make):
    _check(derive_surgical_strategy(_frame(make, CASES)), CASES)


def test_explicit_wins_then_derived(make):
    frame = _frame(make, CASES)
    explicit = [NA] * len(CASES)
    explicit[8] = "liver_first"  # disagrees with the derived "simultaneous"
    explicit[14] = "ablation_only"  # fills a row the derivation cannot classify
    frame["surgical_strategy"] = pd.Categorical(
        explicit, categories=derive_surgical_strategy(frame).cat.categories
    )
    result = surgical_strategy_group(frame)
    assert result.iloc[8] == "liver_first"
    assert result.iloc[14] == "ablation_only"
    assert result.iloc[0] == "transplantation"
    assert 0 in result.attrs["derived"] and 8 not in result.attrs["derived"]
    assert "two-stage hepatectomy or ALPPS" in reasons(result).iloc[4]
    only = surgical_strategy_group(frame, source="explicit")
    assert only.notna().sum() == 2
    derived = surgical_strategy_group(frame, source="derived")
    assert derived.iloc[8] == "simultaneous"
    table = strategy_disagreements(frame)
    assert table["index"].tolist() == [8]
    assert table.loc[0, "recorded"] == "liver_first" and table.loc[0, "derived"] == "simultaneous"


def test_bad_source(make):
    with pytest.raises(SpecError):
        surgical_strategy_group(_frame(make, CASES), source="guess")

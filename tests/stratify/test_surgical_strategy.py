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
COLUMNS = ["liver_transplant", "alpps", "two_stage_hepatectomy", "second_liver_resection_date",
           "liver_resection_date", "liver_resection_extent", "primary_resection_date",
           "primary_resection_type", "ablation_type"]

# transplant, alpps, two_stage, 2nd date, liver date, extent, primary date, primary type,
# ablation, expected, reason fragment
CASES = [
    (True, NA, NA, NA, "2020-03-01", "major", "2020-01-01", NA, NA, "transplantation", None),
    (NA, True, NA, "2020-04-01", "2020-03-01", NA, "2020-01-01", NA, NA, "alpps", None),
    (NA, NA, True, NA, "2020-03-01", NA, "2020-01-01", NA, NA, "two_stage_hepatectomy", None),
    (NA, False, NA, "2020-04-01", "2020-03-01", NA, "2020-01-01", NA, NA,
     "two_stage_hepatectomy", None),
    (NA, NA, NA, "2020-04-01", "2020-03-01", NA, "2020-01-01", NA, NA, None,
     "two-stage hepatectomy or ALPPS"),
    (NA, NA, NA, NA, "2020-01-01", NA, "2020-01-01", NA, NA, "simultaneous", None),
    (NA, NA, NA, NA, "2020-01-02", NA, NA, "simultaneous_with_liver", NA, "simultaneous", None),
    (NA, NA, NA, NA, "2020-03-01", NA, "2020-01-01", "colectomy", "RFA",
     "staged_primary_first", None),  # ablation as an adjunct to resection
    (NA, NA, NA, NA, "2020-01-01", NA, "2020-03-01", NA, NA, "liver_first", None),
    (NA, NA, NA, NA, NA, "minor", "2020-03-01", NA, NA, None, "liver_resection_date missing"),
    (NA, NA, NA, NA, "2020-03-01", NA, NA, NA, NA, None, "primary_resection_date missing"),
    (NA, NA, NA, NA, "2020-03-01", NA, NA, "none", NA, None, "primary not resected"),
    (NA, NA, NA, NA, NA, NA, "2020-01-01", NA, "MWA", "ablation_only", None),
    (False, False, False, NA, NA, NA, "2020-01-01", NA, "none",
     "no_liver_directed_therapy", None),
    (NA, NA, NA, NA, NA, NA, "2020-01-01", NA, NA, None, "ablation_type missing"),
]


def _frame(make, cases):
    return make({name: [c[i] for c in cases] for i, name in enumerate(COLUMNS)})


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
    explicit[5] = "liver_first"  # disagrees with the derived "simultaneous"
    explicit[14] = "ablation_only"  # fills a row the derivation cannot classify
    frame["surgical_strategy"] = pd.Categorical(
        explicit, categories=derive_surgical_strategy(frame).cat.categories)
    result = surgical_strategy_group(frame)
    assert result.iloc[5] == "liver_first"
    assert result.iloc[14] == "ablation_only"
    assert result.iloc[0] == "transplantation"
    assert 0 in result.attrs["derived"] and 5 not in result.attrs["derived"]
    assert "surgical_strategy missing; derivation:" in reasons(result).iloc[4]
    only = surgical_strategy_group(frame, source="explicit")
    assert only.notna().sum() == 2
    derived = surgical_strategy_group(frame, source="derived")
    assert derived.iloc[5] == "simultaneous"
    table = strategy_disagreements(frame)
    assert table["index"].tolist() == [5]
    assert table.loc[0, "recorded"] == "liver_first" and table.loc[0, "derived"] == "simultaneous"


def test_bad_source(make):
    with pytest.raises(SpecError):
        surgical_strategy_group(_frame(make, CASES), source="guess")

"""One test per consistency rule of canonical.yaml: the row is quarantined with the rule name."""

from __future__ import annotations

import pandas as pd
import pytest

from crlm_outcomes.io import load_cohort
from crlm_outcomes.schema.consistency import consistency_violations
from crlm_outcomes.schema.definition import canonical_definition


def base() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": ["A", "B", "C"],
            "age_at_diagnosis": [60.0, 65.0, 70.0],
            "primary_diagnosis_date": ["2015-01-01", "2015-06-01", "2016-01-01"],
            "primary_resection_date": ["2015-02-01", "2015-07-01", "2016-02-01"],
            "liver_mets_diagnosis_date": ["2015-01-10", "2016-01-01", "2016-03-01"],
            "liver_resection_date": ["2015-03-01", "2016-02-01", "2016-04-01"],
            "recurrence_date": ["2016-01-01", None, None],
            "recurrence_site": ["liver", None, None],
            "vital_status": ["dead", "alive", "alive"],
            "death_date": ["2017-01-01", None, None],
            "last_followup_date": ["2017-01-01", "2019-01-01", "2019-06-01"],
        }
    )


def _rules(frame: pd.DataFrame) -> dict[int, set[str]]:
    c = load_cohort(frame)
    a = c.audit
    assert a.rows_in == a.rows_loaded + a.rows_quarantined
    return {int(r): set(g["rule"]) for r, g in a.quarantine.groupby("source_row")}


def test_consistent_base_loads_everything():
    assert _rules(base()) == {}


@pytest.mark.parametrize(
    "column,value,rule",
    [
        ("death_date", "2014-12-01", "death_before_diagnosis"),
        ("recurrence_date", "2014-12-01", "recurrence_before_diagnosis"),
        ("primary_resection_date", "2014-12-01", "surgery_before_diagnosis"),
        ("liver_resection_date", "2015-01-05", "surgery_before_diagnosis"),
        ("recurrence_date", "2017-06-01", "recurrence_after_death"),
        ("age_at_diagnosis", 111.0, "age_out_of_range"),
        ("age_at_diagnosis", -1.0, "age_out_of_range"),
    ],
)
def test_each_rule_quarantines_row_1(column, value, rule):
    frame = base()
    frame.loc[0, column] = value
    got = _rules(frame)
    assert set(got) == {1}
    assert rule in got[1]


def test_followup_before_diagnosis_and_negative_followup():
    frame = base()
    frame.loc[1, "last_followup_date"] = "2015-12-01"
    got = _rules(frame)
    assert {"followup_before_diagnosis", "negative_followup"} <= got[2]


def test_missing_followup_names_the_reason():
    frame = base()
    frame.loc[2, "last_followup_date"] = None
    frame.loc[1, "vital_status"] = None
    c = load_cohort(frame)
    q = c.audit.quarantine
    assert set(q["rule"]) == {"missing_followup"}
    assert set(q["source_row"]) == {2, 3}
    reasons = " ".join(q["reason"])
    assert "vital_status missing" in reasons and "last_followup_date missing" in reasons


def test_alive_with_death_date_is_not_guessed():
    frame = base()
    frame.loc[1, "death_date"] = "2018-01-01"
    c = load_cohort(frame)
    q = c.audit.quarantine
    assert q["reason"].str.contains("alive but death_date recorded").any()


def test_duplicates_exact_and_conflicting():
    frame = pd.concat([base(), base().iloc[[0]], base().iloc[[2]]], ignore_index=True)
    frame.loc[4, "age_at_diagnosis"] = 71.0  # C conflicts with its copy; A is an exact copy
    c = load_cohort(frame)
    q = c.audit.quarantine
    assert c.audit.rows_in == 5 and c.audit.rows_loaded == 2
    exact = q[q["reason"].str.startswith("exact duplicate")]
    assert exact["source_row"].tolist() == [4]
    conflict = q[q["reason"].str.contains("conflicting")]
    assert sorted(conflict["source_row"]) == [3, 5]
    assert set(q["rule"]) == {"duplicate_conflicting"}
    assert sorted(c.data["patient_id"]) == ["A", "B"]


def test_every_rule_is_declared_in_yaml():
    frame = base()
    frame.loc[0, "death_date"] = "2014-01-01"
    data = load_cohort(base()).data
    out = consistency_violations(data, canonical_definition())
    assert out.empty
    assert set(canonical_definition().consistency_rules) >= {
        "death_before_diagnosis",
        "recurrence_before_diagnosis",
        "surgery_before_diagnosis",
        "recurrence_after_death",
        "followup_before_diagnosis",
        "negative_followup",
        "missing_followup",
        "age_out_of_range",
        "duplicate_conflicting",
    }


def test_negative_recorded_followup_from_registry():
    raw = pd.DataFrame(
        {
            "PUF_CASE_ID": ["a", "b"],
            "YEAR_OF_DIAGNOSIS": [2015, 2016],
            "DX_LASTCONTACT_DEATH_MONTHS": [-3.0, 30.0],
            "PUF_VITAL_STATUS": [0, 1],
        }
    )
    c = load_cohort(raw, profile="ncdb")
    q = c.audit.quarantine
    assert q["rule"].tolist() == ["negative_followup"] and q["source_row"].tolist() == [1]
    assert q["value"].tolist() == ["-3.0"]


@pytest.mark.parametrize(
    "ids,unique",
    [
        (["a", "b", "c"], True),
        (["a", "b", "b"], False),
        (["b", "a", "c"], True),
        (["b", "a", "b"], False),
        ([None, "a", None, "b"], True),
        ([None, "b", None, "b"], False),
        ([], True),
        ([None], True),
        (["c", None, "a"], True),
        (["a", "a"], False),
    ],
)
def test_ids_all_unique_sorted_or_not(ids, unique):
    from crlm_outcomes.schema.consistency import ids_all_unique

    assert ids_all_unique(pd.Series(ids, dtype="string[pyarrow]")) is unique
    assert ids_all_unique(pd.Series(ids, dtype=object)) is unique

"""load_cohort on canonical DataFrames: dtypes, endpoints, audit, provenance, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import (
    ColumnTypeError,
    EmptyFileError,
    InputError,
    MissingColumnsError,
    SpecError,
    UnknownProfileError,
)
from crlm_outcomes.io import Cohort, list_profiles, load_cohort
from crlm_outcomes.schema.definition import canonical_definition
from crlm_outcomes.schema.pandera_schema import validate_canonical

DPM = 30.4375


def _months(a: str, b: str) -> float:
    return (pd.Timestamp(b) - pd.Timestamp(a)).days / DPM


def test_loads_canonical_frame_with_canonical_dtypes(frame):
    c = load_cohort(frame, profile="canonical")
    assert isinstance(c, Cohort)
    schema = canonical_definition()
    assert list(c.data.columns) == schema.column_names
    for name, spec in schema.columns.items():
        assert str(c.data[name].dtype) == str(pd.Series([], dtype=spec.pandas_dtype).dtype), name
    assert c.audit.rows_in == 5 and c.audit.rows_loaded == 5 and c.audit.rows_quarantined == 0
    assert c.data["source_row"].tolist() == [1, 2, 3, 4, 5]
    validate_canonical(c.data)  # the public pandera schema accepts a loaded cohort


def test_datetime_input_equals_iso_text_input(frame):
    typed = frame.copy()
    for col in [c for c in frame.columns if c.endswith("_date")]:
        typed[col] = pd.to_datetime(frame[col])
    typed["sex"] = typed["sex"].astype("category")
    a = load_cohort(frame).data
    b = load_cohort(typed).data
    pd.testing.assert_frame_equal(a, b)


def test_os_rfs_hepatic_endpoints(frame):
    d = load_cohort(frame).data.set_index("patient_id")
    # P1: dead, OS from liver diagnosis to death; RFS to extrahepatic recurrence; hepatic RFS
    # censored at that recurrence.
    assert d.loc["P1", "os_months"] == pytest.approx(_months("2015-01-01", "2017-01-01"))
    assert d.loc["P1", "os_event"] == 1
    assert d.loc["P1", "rfs_months"] == pytest.approx(_months("2015-03-01", "2016-01-01"))
    assert (d.loc["P1", "rfs_event"], d.loc["P1", "rfs_cause"]) == (1, 1)
    assert d.loc["P1", "hepatic_rfs_months"] == pytest.approx(_months("2015-03-01", "2016-01-01"))
    assert d.loc["P1", "hepatic_rfs_event"] == 0
    # P2: alive, censored at last follow-up
    assert d.loc["P2", "os_event"] == 0
    assert d.loc["P2", "rfs_cause"] == 0
    assert d.loc["P2", "rfs_months"] == pytest.approx(_months("2016-03-01", "2020-01-01"))
    # P3: no curative treatment -> RFS missing with a reason
    assert pd.isna(d.loc["P3", "rfs_months"]) and pd.isna(d.loc["P3", "rfs_event"])
    # P4: hepatic recurrence is an event for both
    assert d.loc["P4", "hepatic_rfs_event"] == 1 and d.loc["P4", "rfs_cause"] == 1
    # P5: ablation is the RFS origin when there is no resection
    assert d.loc["P5", "rfs_months"] == pytest.approx(_months("2019-03-01", "2021-01-01"))


def test_death_without_recurrence_is_cause_2(frame):
    frame.loc[3, ["recurrence_date", "recurrence_site"]] = None
    d = load_cohort(frame).data.set_index("patient_id")
    assert (d.loc["P4", "rfs_event"], d.loc["P4", "rfs_cause"]) == (1, 2)
    assert d.loc["P4", "hepatic_rfs_event"] == 1
    assert d.loc["P4", "rfs_months"] == pytest.approx(_months("2018-02-01", "2019-01-01"))


@pytest.mark.parametrize(
    "origin,column",
    [("liver_resection", "liver_resection_date"), ("primary_diagnosis", "primary_diagnosis_date")],
)
def test_os_origin_option(frame, origin, column):
    c = load_cohort(frame, os_origin=origin)
    d = c.data.set_index("patient_id")
    assert d.loc["P1", "os_months"] == pytest.approx(_months(frame.loc[0, column], "2017-01-01"))
    assert c.provenance["endpoint_origins"]["os"]["origin"] == origin
    if origin == "liver_resection":  # no resection: OS undefined -> quarantined with reason
        assert c.audit.rows_quarantined == 2
        q = c.audit.quarantine
        assert set(q["rule"]) == {"missing_followup"}
        assert q["reason"].str.contains("liver_resection_date missing").all()


def test_missing_reasons_name_patient_column_reason(frame):
    c = load_cohort(frame)
    mr = c.missing_reasons
    assert list(mr.columns) == ["patient_id", "column", "reason"]
    p3 = mr[mr["patient_id"] == "P3"]
    assert set(p3["column"]) == {
        "rfs_months",
        "rfs_event",
        "rfs_cause",
        "hepatic_rfs_months",
        "hepatic_rfs_event",
    }
    assert p3["reason"].astype(str).str.startswith("no curative liver-directed").all()
    # every missing endpoint value of a loaded patient has a reason
    for col in ["rfs_months", "hepatic_rfs_months", "os_months"]:
        missing_ids = set(c.data.loc[c.data[col].isna(), "patient_id"])
        assert missing_ids == set(mr.loc[mr["column"] == col, "patient_id"])


def test_ned_false_makes_rfs_missing(frame):
    frame.loc[1, "ned_achieved"] = False
    c = load_cohort(frame)
    d = c.data.set_index("patient_id")
    assert pd.isna(d.loc["P2", "rfs_months"])
    mr = c.missing_reasons
    assert mr.loc[(mr["patient_id"] == "P2") & (mr["column"] == "rfs_months"), "reason"].astype(
        str
    ).tolist() == ["ned_achieved is False"]


def test_node_positive_derived_from_n_stage(frame):
    c = load_cohort(frame)
    assert c.data["primary_node_positive"].tolist()[:2] == [False, True]
    assert pd.isna(c.data["primary_node_positive"].iloc[2])
    assert c.provenance["derived"]["primary_node_positive_from_n_stage"] == 4


def test_provenance(frame, make_frame):
    c = load_cohort(frame)
    p = c.provenance
    assert p["schema_version"] == canonical_definition().version
    assert p["profile"] == "canonical" and len(p["profile_sha256"]) == 64
    assert len(p["input_sha256"]) == 64
    assert p["options"]["os_origin"] == "liver_mets_diagnosis"
    assert set(p["endpoint_origins"]) == {"os", "rfs", "hepatic_rfs"}
    # the hash is of the content: same frame, same hash; one cell changed, different hash
    assert load_cohort(make_frame()).provenance["input_sha256"] == p["input_sha256"]
    other = make_frame()
    other.loc[0, "age_at_diagnosis"] = 62.0
    assert load_cohort(other).provenance["input_sha256"] != p["input_sha256"]


def test_summary_and_html(frame):
    frame.loc[0, "sex"] = "unknown-sex"
    c = load_cohort(frame)
    text = c.summary()
    assert "rows in 5, loaded 4, quarantined 1" in text
    assert "parse [sex]" in text
    html = c._repr_html_()
    assert "Cohort" in html and "Quarantined rows by rule" in html


# ------------------------------------------------------------------ bad cells


def test_unparseable_date_quarantines_row_with_record(frame):
    frame.loc[2, "liver_mets_diagnosis_date"] = "2017-13-45"
    c = load_cohort(frame)
    q = c.audit.quarantine
    assert c.audit.rows_quarantined == 1
    rec = q.iloc[0]
    assert (rec["source_row"], rec["column"], rec["value"], rec["rule"]) == (
        3,
        "liver_mets_diagnosis_date",
        "2017-13-45",
        "parse",
    )
    assert "not a date" in rec["reason"]


def test_unparseable_number_and_unknown_code(frame):
    frame["age_at_diagnosis"] = frame["age_at_diagnosis"].astype(object)
    frame.loc[1, "age_at_diagnosis"] = "seventy"
    frame.loc[4, "recurrence_site"] = "lung"
    c = load_cohort(frame)
    q = c.audit.quarantine.set_index("source_row")
    assert q.loc[2, "value"] == "seventy" and "not a number" in q.loc[2, "reason"]
    assert q.loc[5, "value"] == "lung" and "unknown code" in q.loc[5, "reason"]
    assert c.audit.rows_loaded == 3


def test_value_out_of_range_is_quarantined(frame):
    frame.loc[0, "cea_at_liver_diagnosis"] = -1.0
    frame.loc[1, "liver_mets_largest_cm"] = 55.0
    c = load_cohort(frame)
    q = c.audit.quarantine
    assert set(q["rule"]) == {"value_check"}
    assert set(q["source_row"]) == {1, 2}
    assert q["reason"].str.contains("below minimum 0").any()
    assert q["reason"].str.contains("above maximum 40").any()


def test_missing_patient_id_is_quarantined(frame):
    frame.loc[0, "patient_id"] = None
    c = load_cohort(frame)
    q = c.audit.quarantine
    assert q.iloc[0]["source_row"] == 1 and "required value missing" in q.iloc[0]["reason"]


def test_whole_column_wrong_type_raises(frame):
    frame["liver_mets_diagnosis_date"] = ["a", "b", "c", "d", "e"]
    with pytest.raises(ColumnTypeError) as err:
        load_cohort(frame)
    assert err.value.column == "liver_mets_diagnosis_date"
    assert "no value" in str(err.value)


def test_missing_required_columns_suggest_near_matches(frame):
    frame = frame.rename(columns={"vital_status": "vital_stat", "patient_id": "patientid"})
    with pytest.raises(MissingColumnsError) as err:
        load_cohort(frame)
    assert "patient_id" in err.value.missing
    assert err.value.suggestions["patient_id"] == ["patientid"]


def test_os_origin_column_absent_raises(frame):
    with pytest.raises(MissingColumnsError) as err:
        load_cohort(frame.drop(columns=["liver_mets_diagnosis_date"]))
    assert "liver_mets_diagnosis_date" in err.value.missing
    assert "os_origin" in str(err.value)


def test_unknown_profile_lists_available(frame):
    with pytest.raises(UnknownProfileError) as err:
        load_cohort(frame, profile="seeer")
    assert "seer" in str(err.value)
    for name in list_profiles():
        assert name in str(err.value)


def test_unknown_or_invalid_option(frame):
    with pytest.raises(SpecError):
        load_cohort(frame, os_orign="liver_resection")
    with pytest.raises(SpecError):
        load_cohort(frame, os_origin="birth")


def test_empty_frame_raises(frame):
    with pytest.raises(EmptyFileError):
        load_cohort(frame.iloc[:0])


def test_errors_are_value_errors():
    assert issubclass(ColumnTypeError, InputError) and issubclass(InputError, ValueError)


def test_invariant_holds_with_many_problems(frame):
    frame.loc[0, "sex"] = "?"
    frame.loc[0, "recurrence_site"] = "nowhere"
    frame.loc[1, "death_date"] = "2014-01-01"
    c = load_cohort(frame)
    a = c.audit
    assert a.rows_in == a.rows_loaded + a.rows_quarantined
    assert a.quarantine["source_row"].nunique() == a.rows_quarantined
    assert (a.quarantine.groupby("source_row").size() >= 1).all()
    assert np.isin(c.data["source_row"].to_numpy(), a.quarantine["source_row"]).sum() == 0


def test_whole_code_column_wrong_raises(frame):
    frame["sex"] = ["1", "2", "1", "2", "1"]
    with pytest.raises(ColumnTypeError, match="unknown code"):
        load_cohort(frame)


def test_missing_reasons_compact_blocks_expand_and_count_alike(frame):
    """``Cohort.missing`` stores one block per column and reason; ``missing_reasons`` expands it
    and ``missing_summary`` counts it without expanding — the two agree."""
    frame.loc[1, "ned_achieved"] = False
    c = load_cohort(frame)
    blocks = c.missing.blocks
    assert blocks and all(rows is None or rows.ndim == 1 for rows, _, _ in blocks)
    mr = c.missing_reasons
    assert c.missing_reasons is mr  # expanded once, then kept
    expected = (
        mr.groupby(["column", "reason"], observed=True)
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["column", "n"], ascending=[True, False], ignore_index=True)
    )
    pd.testing.assert_frame_equal(c.missing_summary(), expected)
    assert int(c.missing.counts()["n"].sum()) == len(mr)


def test_missing_reasons_skip_quarantined_rows(frame):
    frame.loc[2, "age_at_diagnosis"] = 150  # P3 quarantined (age_out_of_range)
    c = load_cohort(frame)
    assert "P3" not in set(c.data["patient_id"])
    mr = c.missing_reasons
    assert "P3" not in set(mr["patient_id"].astype(str))
    for col in ["rfs_months", "os_months"]:
        missing_ids = set(c.data.loc[c.data[col].isna(), "patient_id"])
        assert missing_ids == set(mr.loc[mr["column"] == col, "patient_id"].astype(str))
    assert int(c.missing_summary()["n"].sum()) == len(mr)

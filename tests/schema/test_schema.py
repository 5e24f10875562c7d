"""The YAML is the single source of truth: definition, pandera schema, checks, dictionary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import SchemaValidationError
from crlm_outcomes.io import load_cohort
from crlm_outcomes.schema.checks import value_failures
from crlm_outcomes.schema.definition import CANONICAL_YAML, canonical_definition
from crlm_outcomes.schema.dictionary import dictionary_path, render_dictionary, write_dictionary
from crlm_outcomes.schema.pandera_schema import canonical_schema, validate_canonical

S = canonical_definition()


def test_definition_matches_yaml():
    import yaml

    raw = yaml.safe_load(CANONICAL_YAML.read_text())
    assert S.version == raw["schema_version"]
    assert S.column_names == list(raw["columns"])
    assert S.days_per_month == 30.4375
    assert len(S.sha256) == 64


def test_pandera_schema_has_every_column_with_yaml_rules():
    schema = canonical_schema()
    assert list(schema.columns) == S.column_names
    assert not schema.columns["patient_id"].nullable and schema.columns["patient_id"].unique
    assert schema.columns["sex"].dtype.type.categories.tolist() == ["female", "male"]


def test_pandera_lazy_reports_all_failures_and_checks_agree(make_frame):
    data = load_cohort(make_frame()).data
    validate_canonical(data)
    bad = data.copy()
    bad.loc[0, "age_at_diagnosis"] = 150.0
    bad.loc[1, "cea_at_liver_diagnosis"] = -2.0
    bad["primary_site_icdo3"] = bad["primary_site_icdo3"].astype(object)
    bad.loc[2, "primary_site_icdo3"] = "C99.9"
    bad["primary_site_icdo3"] = bad["primary_site_icdo3"].astype(
        S.columns["primary_site_icdo3"].pandas_dtype
    )
    bad.loc[3, "os_event"] = 3
    with pytest.raises(SchemaValidationError) as err:
        validate_canonical(bad)
    cases = err.value.failure_cases
    got = {(c, int(r)) for c, r in zip(cases["column"], cases["row"], strict=True)}
    want = {
        ("age_at_diagnosis", 0),
        ("cea_at_liver_diagnosis", 1),
        ("primary_site_icdo3", 2),
        ("os_event", 3),
    }
    assert want <= got
    fast = value_failures(bad, S)
    assert {(c, int(r)) for c, r in zip(fast["column"], fast["row"], strict=True)} == want


def test_dictionary_is_up_to_date():
    committed = dictionary_path().read_text(encoding="utf-8")
    assert committed == render_dictionary(), (
        "data_schema/README.md is stale: run `python -m crlm_outcomes.schema.dictionary`"
    )


def test_dictionary_lists_every_column_and_rule(tmp_path):
    text = render_dictionary()
    for name in S.column_names:
        assert f"`{name}`" in text
    for rule in S.consistency_rules:
        assert f"`{rule}`" in text
    out = write_dictionary(tmp_path / "README.md")
    assert out.read_text(encoding="utf-8") == text


def test_empty_frame_dtypes():
    f = S.empty_frame(3)
    assert list(f.columns) == S.column_names
    assert f.isna().all().all()
    assert isinstance(f["sex"].dtype, pd.CategoricalDtype)
    assert f["os_months"].dtype == np.float64


def test_empty_columns_are_missing_independent_and_writable():
    """All-missing columns share memory until written (crlm_outcomes._filled): writing into
    one column, as a user would, leaves every other column of the same build untouched."""
    from crlm_outcomes.schema.definition import empty_columns

    n = 50_000  # large enough for the shared (copy-on-write) arrays of every dtype
    schema = canonical_definition()
    frame = pd.DataFrame(empty_columns(list(schema.columns.values()), n), copy=False)
    assert frame.isna().all().all()
    for name, spec in schema.columns.items():
        assert frame[name].dtype == spec.pandas_dtype, name
    frame.loc[3, "cea_at_liver_diagnosis"] = 5.0
    frame.loc[4, "death_date"] = pd.Timestamp("2020-01-02")
    frame.loc[5, "liver_mets_number"] = 2
    frame.loc[6, "liver_mets_bilobar"] = True
    frame.loc[7, "sex"] = "female"
    frame.loc[8, "patient_id"] = "P8"
    assert list(frame.columns) == schema.column_names  # no column was added by a typo
    assert frame.notna().sum().sum() == 6
    again = pd.DataFrame(empty_columns(list(schema.columns.values()), n), copy=False)
    assert again.isna().all().all()

"""Loader profiles are validated by pydantic models (io/profile_model.py) and fail in the same
style as an analysis spec: file, key path, value and what was expected."""

from __future__ import annotations

import pytest

from crlm_outcomes.errors import ProfileError
from crlm_outcomes.io.profile import PROFILE_DIR, list_profiles, load_profile
from crlm_outcomes.io.profile_model import ProfileFile
from crlm_outcomes.safe_yaml import load_yaml

BASE = """\
name: mine
columns:
  patient_id: {source: ID, required: true}
  vital_status: {source: Status, codes: {"A": alive, "D": dead}}
  liver_mets_diagnosis_date: {source: Dx, date_formats: ["%Y%m%d"]}
  last_followup_date: {source: FU, date_formats: ["%Y%m%d"]}
"""


def _error(tmp_path, text: str) -> ProfileError:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert err.value.file == str(path)
    return err.value


@pytest.mark.parametrize("name", list_profiles())
def test_every_bundled_profile_is_a_valid_model(name):
    ProfileFile.model_validate(load_yaml((PROFILE_DIR / f"{name}.yaml").read_bytes()))


def test_unknown_key_names_path_value_expected_and_near_match(tmp_path):
    err = _error(tmp_path, BASE.replace("required: true}", "required: true, sorce: x}"))
    assert err.key == "columns.patient_id.sorce" and err.column == "patient_id"
    assert "unknown key 'sorce' (did you mean 'source'" in str(err)
    assert "source" in err.expected and "codes" in err.expected


@pytest.mark.parametrize(
    "extra,key,needle,expected",
    [
        (
            "  sex: {source: S, on_invalid: drop}\n",
            "columns.sex.on_invalid",
            "value not allowed",
            "'quarantine'",
        ),
        (
            "  sex: {source: S, sources: [a, b], codes: {'a|b': male}}\n",
            "columns.sex",
            "either 'source' or 'sources'",
            None,
        ),
        (
            "  sex: {source: S, missing_values: '9'}\n",
            "columns.sex.missing_values",
            "invalid value",
            "list",
        ),
        ("disclosure: {threshold: 0}\n", "disclosure.threshold", "out of range", ">= 1"),
        (
            "endpoint_origins: {os: birth}\n",
            "endpoint_origins.os",
            "value not allowed",
            "liver_resection",
        ),
    ],
)
def test_invalid_values_name_their_key(tmp_path, extra, key, needle, expected):
    text = BASE + extra if extra.startswith(" ") else extra + BASE
    err = _error(tmp_path, text)
    assert err.key == key and needle in str(err) and key in str(err)
    if expected is not None:
        assert expected in err.expected


def test_several_problems_are_all_listed(tmp_path):
    err = _error(tmp_path, BASE + "colums: {}\nreader: {sep: ','}\n")
    assert {p[0] for p in err.problems} == {"colums", "reader.sep"}
    assert "also invalid" in str(err)


@pytest.mark.parametrize(
    "extra,key,needle",
    [
        (
            "  liver_mets_largest_cm: {source: L}\n",
            "columns.liver_mets_largest_cm",
            "unit not declared",
        ),
        ("  os_months: {source: M, unit: months}\n", "endpoint_origins.os", "endpoint_origins"),
        (
            "  sex: {source: S, only_when: {column: nope, equals: 1}}\n",
            "columns.sex.only_when.column",
            "only_when",
        ),
    ],
)
def test_checks_against_the_schema_fail_in_the_same_style(tmp_path, extra, key, needle):
    err = _error(tmp_path, BASE + extra)
    assert err.key == key and str(err).startswith(f"invalid profile: key {key!r}: ")
    assert needle in str(err) and err.problems[0][0] == key

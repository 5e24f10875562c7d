"""The canonical schema file is validated by pydantic models, with the error style of specs and
profiles (file, key path, value, expected)."""

from __future__ import annotations

import pytest
import yaml

from crlm_outcomes.errors import SchemaDefinitionError
from crlm_outcomes.schema.definition import CANONICAL_YAML, canonical_definition, read_definition


def _write(tmp_path, change):
    raw = yaml.safe_load(CANONICAL_YAML.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "schema.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_canonical_reads_as_before(tmp_path):
    same = read_definition(_write(tmp_path, lambda raw: None))
    assert same.columns == canonical_definition().columns
    assert same.groups == canonical_definition().groups


@pytest.mark.parametrize(
    "change,key,needle",
    [
        (
            lambda r: r["columns"]["sex"].update(dtpe="category"),
            "columns.sex.dtpe",
            "unknown key 'dtpe' (did you mean 'dtype'?)",
        ),
        (
            lambda r: r["columns"]["sex"].update(dtype="text"),
            "columns.sex.dtype",
            "value not allowed",
        ),
        (
            lambda r: r["columns"]["sex"].update(group="nowhere"),
            "columns.sex.group",
            "group 'nowhere' is not declared",
        ),
        (lambda r: r.pop("days_per_month"), "days_per_month", "required key is missing"),
        (lambda r: r.update(extra=1), "extra", "unknown key 'extra'"),
    ],
)
def test_invalid_schema_names_key_path(tmp_path, change, key, needle):
    path = _write(tmp_path, change)
    with pytest.raises(SchemaDefinitionError) as err:
        read_definition(path)
    assert err.value.key == key and needle in str(err.value)
    assert err.value.file == str(path) and isinstance(err.value, ValueError)


@pytest.mark.parametrize(
    ("tail", "needle", "row"),
    [
        ("  age: {group: ids, dtype: float}\n  age: {group: ids, dtype: int}\n", "twice", 9),
        ("  age: [unclosed\n", "not valid YAML", None),
    ],
)
def test_repeated_keys_and_bad_yaml_are_refused_with_file_and_line(tmp_path, tail, needle, row):
    """A repeated key would silently replace the first (yaml.safe_load keeps the last)."""
    text = (
        "schema_name: mini\nschema_version: '0.1'\ntime_unit: months\ndays_per_month: 30.4375\n"
        "groups: {ids: Identifiers}\ncolumns:\n  patient_id: {group: ids, dtype: string}\n"
    ) + tail
    path = tmp_path / "mini.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SchemaDefinitionError, match=needle) as info:
        read_definition(path)
    assert info.value.file == str(path)
    if row is not None:
        assert info.value.row == row

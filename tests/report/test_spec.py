"""The analysis spec: validation messages name the key, the value and what is allowed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from crlm_outcomes.errors import SpecError
from crlm_outcomes.report.build import DEMO_SPEC
from crlm_outcomes.report.spec import (
    AnalysisSpec,
    load_spec,
    parse_spec,
    spec_hash,
    spec_json_schema,
)

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "data_schema" / "analysis_spec.schema.json"
DEMO = {"cohort": {"demo": True}}


def _drop_default_open(node):
    """What differs between the pydantic versions we support, not between specs:
    ``additionalProperties: true`` (JSON Schema's default) and ``propertyNames`` (the key
    type of a mapping, e.g. endpoint names) are emitted by newer pydantic only; the allowed
    keys are still checked by the spec model itself."""
    if isinstance(node, dict):
        return {
            k: _drop_default_open(v)
            for k, v in node.items()
            if not (k == "additionalProperties" and v is True) and k != "propertyNames"
        }
    if isinstance(node, list):
        return [_drop_default_open(v) for v in node]
    return node


def test_committed_json_schema_is_up_to_date():
    committed = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert _drop_default_open(committed) == _drop_default_open(spec_json_schema()), (
        "data_schema/analysis_spec.schema.json is stale: regenerate it with "
        "`crlm-outcomes schema --show spec-schema --out data_schema/analysis_spec.schema.json`"
    )


def test_demo_spec_is_valid():
    spec = load_spec(DEMO_SPEC)
    assert spec.cohort.demo
    assert spec.endpoints == ["os", "rfs", "hepatic_rfs"]
    assert not spec.suppression_enabled()


@pytest.mark.parametrize(
    ("data", "key", "value", "allowed"),
    [
        ({**DEMO, "output": {"conf_type": "foo"}}, "output.conf_type", "'foo'", "'log-log'"),
        (
            {**DEMO, "cox": [{"name": "a", "formula": "x", "ties": "exact"}]},
            "cox[0].ties",
            "'exact'",
            "'breslow'",
        ),
        ({**DEMO, "bogus": 1}, "bogus", "1", "stratifiers"),
        ({"cohort": {"demo": True, "bad": 2}}, "cohort.bad", "2", "profile"),
        ({**DEMO, "endpoints": ["dfs"]}, "endpoints[0]", "'dfs'", "'hepatic_rfs'"),
        (
            {**DEMO, "output": {"suppression": {"threshold": 0}}},
            "output.suppression.threshold",
            "0",
            ">= 1",
        ),
        (
            {**DEMO, "filters": [{"column": "age_at_diagnosis", "op": "~", "value": 1}]},
            "filters[0].op",
            "'~'",
            "'not_in'",
        ),
        (
            {**DEMO, "filters": [{"column": "agee", "op": ">", "value": 1}]},
            "filters[0].column",
            "'agee'",
            "canonical column",
        ),
        ({**DEMO, "stratifiers": ["fong"]}, "stratifiers[0]", "'fong'", "fong_group"),
        (
            {**DEMO, "landmarks": [{"time": -1, "by": "ras_class"}]},
            "landmarks[0].time",
            "-1",
            "> 0",
        ),
        ({**DEMO, "comparison": {"by": "nope"}}, "comparison.by", "'nope'", "stratifier name"),
    ],
)
def test_invalid_values_name_key_value_and_allowed(data, key, value, allowed):
    with pytest.raises(SpecError) as info:
        parse_spec(data, file="my.yaml")
    msg = str(info.value)
    assert f"key {key!r}" in msg
    assert f"value {value}" in msg
    assert allowed in msg
    assert "my.yaml" in msg
    assert info.value.key == key
    assert "pydantic" not in msg and "Traceback" not in msg


def test_inconsistent_combinations():
    with pytest.raises(SpecError, match="source and profile are both required"):
        parse_spec({"cohort": {"source": "x.csv"}})
    with pytest.raises(SpecError, match="needs a single value"):
        parse_spec({**DEMO, "filters": [{"column": "age_at_diagnosis", "op": ">"}]})
    with pytest.raises(SpecError, match="non-empty list"):
        parse_spec({**DEMO, "filters": [{"column": "sex", "op": "in", "value": "male"}]})
    with pytest.raises(SpecError, match="names must be unique"):
        parse_spec({**DEMO, "cox": [{"name": "a", "formula": "x"}, {"name": "a", "formula": "y"}]})
    with pytest.raises(SpecError, match="required key is missing"):
        parse_spec({})


def test_several_errors_are_all_named():
    with pytest.raises(SpecError) as info:
        parse_spec({**DEMO, "output": {"conf_type": "x", "figure_formats": ["gif"]}})
    assert "also invalid" in str(info.value)
    assert len(info.value.problems) == 2


def test_yaml_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("cohort: [demo\n", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(bad)
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "missing.yaml")
    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(SpecError, match="must be a mapping"):
        load_spec(listy)


def test_suppression_default_follows_profile():
    seer = parse_spec({"cohort": {"source": "x.csv", "profile": "seer"}})
    inst = parse_spec({"cohort": {"source": "x.csv", "profile": "institutional"}})
    off = parse_spec(
        {
            "cohort": {"source": "x.csv", "profile": "ncdb"},
            "output": {"suppression": {"enabled": False}},
        }
    )
    assert seer.suppression_enabled() and not inst.suppression_enabled()
    assert not off.suppression_enabled()


def test_hash_is_stable_and_sensitive():
    data = yaml.safe_load(DEMO_SPEC.read_text(encoding="utf-8"))
    a, b = parse_spec(data), parse_spec(data)
    assert isinstance(a, AnalysisSpec)
    assert spec_hash(a) == spec_hash(b)
    data["output"]["suppression"]["threshold"] = 12
    assert spec_hash(parse_spec(data)) != spec_hash(a)

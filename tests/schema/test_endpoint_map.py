"""One endpoint map (crlm_outcomes.schema.endpoint_map) used by the schema, loader, profiles,
consistency rules and report."""

from __future__ import annotations

import importlib
from typing import get_args

from crlm_outcomes.schema import canonical_definition
from crlm_outcomes.schema.endpoint_map import (
    DURATION_COLUMNS,
    ENDPOINT_COLUMNS,
    ENDPOINT_ORIGINS,
    ENDPOINTS,
    OS_ORIGINS,
)


def test_map_matches_the_canonical_schema():
    schema = canonical_definition()
    in_group = {name for name, col in schema.columns.items() if col.group == "endpoints"}
    assert in_group == set(ENDPOINT_COLUMNS)
    for e in ENDPOINTS.values():
        assert schema.columns[e.duration].unit == "months"
        assert list(schema.columns[e.event].levels) == [0, 1]
        assert e.origin in ENDPOINT_ORIGINS
    assert DURATION_COLUMNS == ("os_months", "rfs_months", "hepatic_rfs_months")
    assert set(OS_ORIGINS.values()) <= set(schema.columns)


def test_every_user_reads_the_one_map():
    spec = importlib.import_module("crlm_outcomes.report.spec")
    assert set(get_args(spec.EndpointName)) == set(ENDPOINTS)
    assert spec.ENDPOINTS == {k: (e.duration, e.event) for k, e in ENDPOINTS.items()}
    assert spec.ENDPOINT_LABELS == {k: e.label for k, e in ENDPOINTS.items()}
    profile = importlib.import_module("crlm_outcomes.io.profile")
    assert profile.ENDPOINT_ORIGINS is ENDPOINT_ORIGINS
    endpoints = importlib.import_module("crlm_outcomes.schema.endpoints")
    assert endpoints.OS_ORIGINS is OS_ORIGINS
    load = importlib.import_module("crlm_outcomes.io.load")
    assert load._MONTHS == {k: e.duration for k, e in ENDPOINTS.items()}
    assert ENDPOINT_COLUMNS <= load._DERIVED


def test_labels_read_the_same_map_and_the_validated_schema():
    from crlm_outcomes import labels

    schema = canonical_definition()
    assert labels.ENDPOINT_COLUMNS == {k: (e.duration, e.event) for k, e in ENDPOINTS.items()}
    assert labels.DEFAULT_ORIGINS == {k: e.origin for k, e in ENDPOINTS.items()}
    assert set(schema.origin_labels) == set(ENDPOINT_ORIGINS)
    default = labels.default_labels()
    assert dict(default.endpoints) == {k: e.label for k, e in ENDPOINTS.items()}
    assert dict(default.events) == {k: e.event_label for k, e in ENDPOINTS.items()}

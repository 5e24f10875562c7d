"""Methods text and manifest helpers."""

from __future__ import annotations

import json

from crlm_outcomes.report.build import DEMO_SPEC
from crlm_outcomes.report.manifest import (
    build_manifest,
    git_commit,
    software_versions,
    write_manifest,
)
from crlm_outcomes.report.methods_text import methods_text
from crlm_outcomes.report.spec import load_spec, parse_spec
from crlm_outcomes.report.suppression import SuppressionPolicy


def test_methods_text_states_what_was_done():
    spec = load_spec(DEMO_SPEC)
    text = " ".join(
        methods_text(
            spec,
            versions=software_versions(),
            suppression=SuppressionPolicy(enabled=False),
            table_one_tests=["Welch t-test", "Chi-square", "Fisher"],
        )
    )
    assert "Kaplan-Meier" in text and "log scale" in text
    assert "Efron ties" in text and "cox.zph" in text
    assert "Welch's t-test" in text and "Fisher's exact test" in text
    assert "Aalen-Johansen" in text and "Gray's test" in text
    assert "6 months" in text
    assert "No small-cell suppression" in text
    assert "scipy" in text and "survival 3.5-3" in text


def test_methods_text_states_suppression_and_conf_type():
    spec = parse_spec(
        {
            "cohort": {"source": "x.csv", "profile": "seer"},
            "output": {
                "conf_type": "log-log",
                "suppression": {"threshold": 16, "rate_threshold": 20},
            },
        }
    )
    policy = SuppressionPolicy(threshold=16, rate_threshold=20)
    text = " ".join(methods_text(spec, versions=software_versions(), suppression=policy))
    assert "counts from 1 to 15 are not shown" in text and "fewer than 20" in text
    assert "log-log" in text


def test_manifest_has_no_build_time(tmp_path):
    manifest = build_manifest(
        spec={"a": 1},
        spec_sha256="0" * 64,
        spec_file_sha256=None,
        inputs=[{"kind": "file", "sha256": "1" * 64}],
        seeds={"s": 1},
        outputs={"b.csv": "2" * 64, "a.csv": "3" * 64},
        versions={"crlm_outcomes": "x"},
        commit=None,
    )
    path = write_manifest(tmp_path, manifest)
    loaded = json.loads(path.read_text(encoding="utf-8"))
    assert loaded["build_time"] is None and "byte-identical" in loaded["build_time_note"]
    assert list(loaded["outputs"]) == ["a.csv", "b.csv"]
    assert loaded["git_commit"] is None


def test_git_commit_outside_a_repository_is_none(tmp_path):
    assert git_commit(tmp_path) is None

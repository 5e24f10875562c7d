"""The command-line interface (typer app ``crlm_outcomes.cli.app``)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from crlm_outcomes.cli import app
from crlm_outcomes.datasets.synthetic import synthetic_frame
from crlm_outcomes.report import build as build_module
from crlm_outcomes.report.spec import spec_json_schema

runner = CliRunner()

TINY_SPEC = {
    "title": "CLI test report",
    "cohort": {"demo": True, "n": 120},
    "filters": [{"column": "liver_resection_date", "op": "notna"}],
    "endpoints": ["os"],
    "output": {"figure_formats": ["png"], "table_formats": ["csv"], "pdf_report": True},
}


@pytest.fixture(autouse=True)
def _quiet_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.fixture
def tiny_spec(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY_SPEC), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cohort_csv(tmp_path_factory) -> Path:
    frame = synthetic_frame(40, 3)
    frame.loc[2, "age_at_diagnosis"] = 300.0
    path = tmp_path_factory.mktemp("cli") / "cohort.csv"
    frame.to_csv(path, index=False)
    return path


def test_report_from_spec(tiny_spec, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["report", str(tiny_spec), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["spec"]["title"] == "CLI test report"
    assert len(manifest["spec_file_sha256"]) == 64
    assert "report:" in result.stdout
    # the optional PDF report: written with WeasyPrint, or skipped with a message
    assert "PDF report" in result.output


def test_report_progress_bar_unless_quiet(tiny_spec, tmp_path):
    result = runner.invoke(app, ["report", str(tiny_spec), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "manifest:" in result.output
    assert "done" in result.output  # the progress bar's final state (stderr)


def test_report_demo_uses_demo_spec(tiny_spec, tmp_path, monkeypatch):
    monkeypatch.setattr(build_module, "DEMO_SPEC", tiny_spec)
    out = tmp_path / "demo"
    result = runner.invoke(app, ["report", "--demo", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()


@pytest.mark.parametrize("args", [["report"], ["report", "x.yaml", "--demo"]])
def test_report_needs_exactly_one_source(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "either a spec file or --demo" in result.output


def test_invalid_spec_is_one_clean_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("cohort: {demo: true}\noutput: {conf_type: wrong}\n", encoding="utf-8")
    result = runner.invoke(app, ["report", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("error: invalid analysis spec: key 'output.conf_type'")
    assert "Traceback" not in result.output


def test_validate_prints_audit_and_writes_quarantine(cohort_csv, tmp_path):
    qpath = tmp_path / "q" / "quarantine.csv"
    result = runner.invoke(
        app, ["validate", str(cohort_csv), "--profile", "canonical", "--quarantine-out", str(qpath)]
    )
    assert result.exit_code == 0, result.output
    assert "rows in 40, loaded 39, quarantined 1" in result.stdout
    quarantine = pd.read_csv(qpath)
    assert list(quarantine.columns[:3]) == ["source_row", "column", "value"]
    assert quarantine["source_row"].tolist() == [3]
    assert quarantine["column"].tolist() == ["age_at_diagnosis"]


def test_validate_errors_exit_2(cohort_csv, tmp_path):
    result = runner.invoke(app, ["validate", str(cohort_csv), "--profile", "nope"])
    assert result.exit_code == 2
    assert result.output.startswith("error: unknown profile 'nope'")
    result = runner.invoke(
        app, ["validate", str(tmp_path / "missing.csv"), "--profile", "canonical"]
    )
    assert result.exit_code == 2 and result.output.startswith("error:")
    result = runner.invoke(
        app, ["validate", str(cohort_csv), "--profile", "canonical", "--option", "novalue"]
    )
    assert result.exit_code == 2 and "KEY=VALUE" in result.output


def test_profiles_lists_shipped_profiles():
    result = runner.invoke(app, ["profiles"])
    assert result.exit_code == 0
    assert {"canonical", "seer", "ncdb"} <= set(result.stdout.split())


def test_schema_commands(tmp_path):
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert "canonical.yaml" in result.stdout and "analysis_spec.schema.json" in result.stdout
    result = runner.invoke(app, ["schema", "--show", "dictionary"])
    assert result.exit_code == 0 and "patient_id" in result.stdout
    target = tmp_path / "spec.schema.json"
    result = runner.invoke(app, ["schema", "--show", "spec-schema", "--out", str(target)])
    assert result.exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8")) == spec_json_schema()


def test_version_flag_and_versions_command():
    import crlm_outcomes

    runner = CliRunner()
    got = runner.invoke(app, ["--version"])
    assert got.exit_code == 0
    assert got.output.strip() == f"crlm-outcomes {crlm_outcomes.__version__}"
    got = runner.invoke(app, ["versions"])
    assert got.exit_code == 0
    lines = dict(line.split(None, 1) for line in got.output.strip().splitlines())
    import pandas as pd

    assert lines["pandas"] == pd.__version__
    assert lines["crlm_outcomes"] == crlm_outcomes.__version__


def test_schema_paths_point_at_files_that_exist():
    got = CliRunner().invoke(app, ["schema", "--show", "paths"])
    assert got.exit_code == 0
    for line in got.output.strip().splitlines():
        path = Path(line.split(": ", 1)[1])
        assert path.is_file(), line

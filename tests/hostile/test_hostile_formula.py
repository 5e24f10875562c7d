"""Formula injection through a YAML spec on the command line: refused before anything runs."""

from __future__ import annotations

from typer.testing import CliRunner

from crlm_outcomes.cli import app


def test_spec_formula_cannot_run_code_through_the_cli(tmp_path):
    canary = tmp_path / "pwned"
    spec = tmp_path / "evil.yaml"
    spec.write_text(
        "cohort: {demo: true, n: 60}\n"
        "output: {figure_formats: [], table_formats: [csv]}\n"
        "cox:\n"
        "  - name: evil\n"
        "    endpoint: os\n"
        f"    formula: \"age_at_diagnosis + {{__import__('os').system('touch {canary}')}}\"\n",
        encoding="utf-8",
    )
    res = CliRunner().invoke(app, ["report", str(spec), "--out", str(tmp_path / "out"), "-q"])
    assert res.exit_code == 2, res.output
    assert res.output.startswith("error:") and "Traceback" not in res.output
    assert not canary.exists()
    assert not (tmp_path / "out").exists()


def test_attribute_access_in_a_spec_formula_is_refused(tmp_path):
    spec = tmp_path / "evil.yaml"
    spec.write_text(
        "cohort: {demo: true, n: 60}\n"
        "cox:\n"
        '  - {name: m, endpoint: os, formula: "age_at_diagnosis.__class__"}\n',
        encoding="utf-8",
    )
    res = CliRunner().invoke(app, ["report", str(spec), "--out", str(tmp_path / "out"), "-q"])
    assert res.exit_code == 2 and res.output.startswith("error:"), res.output

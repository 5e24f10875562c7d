"""The raw tracebacks of the probe are clear errors from crlm_outcomes.errors (exit code 2 on
the command line, one line naming what is wrong)."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from crlm_outcomes.cli import app
from crlm_outcomes.errors import EstimationError, SpecError
from crlm_outcomes.stratify.apply import apply_all
from crlm_outcomes.survival.cox import cox

runner = CliRunner()


def _cli(*args: str):
    res = runner.invoke(app, list(args))
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res


@pytest.fixture(scope="module")
def tiny_csv(tmp_path_factory):
    from crlm_outcomes.datasets.registry import write_synthetic_registry

    return write_synthetic_registry("seer", tmp_path_factory.mktemp("t") / "s.csv", 20, 1)


def test_non_utf8_spec_on_the_cli(tmp_path):
    spec = tmp_path / "latin1.yaml"
    spec.write_bytes("title: Résumé\ncohort: {demo: true}\n".encode("latin-1"))
    res = _cli("report", str(spec), "--out", str(tmp_path / "o"), "-q")
    assert res.exit_code == 2 and "not UTF-8" in res.output


def test_unknown_stratify_option_names_the_option():
    from crlm_outcomes.datasets.synthetic import synthetic_cohort

    with pytest.raises(SpecError, match="unknown option 'bogus' for stratifier"):
        apply_all(synthetic_cohort(30, 1), liver_mets_timing={"bogus": 1})


def test_model_name_with_slash_or_nul_is_a_safe_file(tmp_path):
    from crlm_outcomes.report.writer import safe_name

    assert "/" not in safe_name("a/b") and "\x00" not in safe_name("a\x00b")


def test_out_that_is_a_file_on_the_cli(tmp_path):
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    spec = tmp_path / "s.yaml"
    spec.write_text("cohort: {demo: true, n: 40}\n", encoding="utf-8")
    res = _cli("report", str(spec), "--out", str(target), "-q")
    assert res.exit_code == 2 and "is a file" in res.output


def test_bad_option_value_on_the_cli(tiny_csv):
    res = _cli("validate", str(tiny_csv), "-p", "seer", "--option", "os_origin=[")
    assert res.exit_code == 2 and "not a valid YAML" in res.output


def test_bad_quarantine_out_on_the_cli(tiny_csv, tmp_path):
    res = _cli("validate", str(tiny_csv), "-p", "seer", "--quarantine-out", str(tmp_path))
    assert res.exit_code == 2 and "it is a folder" in res.output


def test_schema_out_into_a_folder_on_the_cli(tmp_path):
    res = _cli("schema", "--show", "dictionary", "--out", str(tmp_path))
    assert res.exit_code == 2 and "cannot write" in res.output


def test_spec_that_is_a_folder_on_the_cli(tmp_path):
    res = _cli("report", str(tmp_path), "-q")
    assert res.exit_code == 2 and "is a folder" in res.output


def test_cox_with_one_row_per_stratum_is_an_estimation_error():
    df = pd.DataFrame(
        {"t": [1.0, 2, 3, 4], "e": [1, 0, 1, 1], "x": [1.0, 2, 3, 4], "s": ["a", "b", "c", "d"]}
    )
    with pytest.raises(EstimationError, match="every stratum holds a single row"):
        cox(df, "x", "t", "e", strata="s")

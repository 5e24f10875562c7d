"""The optional score_validation section of the report (demo: Fong vs GAME vs TBS)."""

from __future__ import annotations

import pandas as pd
import pytest

from crlm_outcomes.errors import SpecError


def test_demo_report_has_the_score_validation_section(demo_build):
    tables = demo_build.out_dir / "tables"
    table = pd.read_csv(tables / "score_validation.csv", dtype=str, keep_default_na=False)
    # the scores by their short names (issue 14: no raw column names in a report)
    assert table["Score"].tolist() == ["Fong", "GAME", "TBS"]
    # narrow enough for a page: per-score and per-time tables, not one wide row per score
    assert list(table.columns[:5]) == ["Score", "Patients", "Events", "Missing score", "C (95% CI)"]
    assert len(table.columns) <= 8
    per_time = pd.read_csv(tables / "score_validation_time.csv", dtype=str, keep_default_na=False)
    assert list(per_time.columns) == ["Score", "Months", "AUC (95% CI)", "Brier score", "IPA"]
    assert len(per_time) == 3 * 3
    pw = pd.read_csv(tables / "score_validation_pairwise.csv", dtype=str, keep_default_na=False)
    assert set(pw["measure"]) == {"C", "AUC"}
    assert len(pw.columns) <= 7 and "difference (95% CI)" in pw.columns
    # p as published: "<0.001" or three decimals
    assert all(p == "<0.001" or (len(p) == 5 and p[1] == ".") for p in pw["p"])
    for name in ("auc", "calibration", "decision"):
        assert (demo_build.out_dir / "figures" / f"score_validation_{name}.png").exists()
    html = demo_build.html.read_text(encoding="utf-8")
    assert "Prognostic scores: Overall survival" in html
    # the methods in words; the R functions it agrees with only in the table footnote
    section = html[html.index('<section id="score-validation">') :]
    paragraph = section[section.index("<p") : section.index("</p>")]
    assert "::" not in paragraph and "Harrell's C" in paragraph.replace("&#39;", "'")
    assert "riskRegression::Score" in section
    # calibration and decision axes name the event and the time unit
    from crlm_outcomes.report.raw_names import svg_texts

    cal = svg_texts(demo_build.out_dir / "figures" / "score_validation_calibration.svg")
    assert "Predicted risk of death by 60 months" in cal
    assert "Observed risk of death by 60 months" in cal
    dec = svg_texts(demo_build.out_dir / "figures" / "score_validation_decision.svg")
    assert "Threshold probability (risk of death by 60 months)" in dec


def test_unknown_score_column_is_a_spec_error(make_spec):
    with pytest.raises(SpecError, match="score_validation.scores"):
        make_spec(score_validation={"scores": ["fong_score", "no_such_score"]})

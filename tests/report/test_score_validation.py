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
    assert any("common patients" in c for c in table.columns)
    pw = pd.read_csv(tables / "score_validation_pairwise.csv", dtype=str,
                     keep_default_na=False)
    assert set(pw["measure"]) == {"C", "AUC"}
    # p as published: "<0.001" or three decimals
    assert all(p == "<0.001" or (len(p) == 5 and p[1] == ".") for p in pw["p"])
    for name in ("auc", "calibration", "decision"):
        assert (demo_build.out_dir / "figures" / f"score_validation_{name}.png").exists()
    html = demo_build.html.read_text(encoding="utf-8")
    assert "Prognostic scores: Overall survival" in html
    assert "riskRegression::Score" in html


def test_unknown_score_column_is_a_spec_error(make_spec):
    with pytest.raises(SpecError, match="score_validation.scores"):
        make_spec(score_validation={"scores": ["fong_score", "no_such_score"]})

"""LaTeX export shared by the build and the table objects."""

from __future__ import annotations

import pandas as pd

from crlm_outcomes.report.latex import grouped_latex_table, latex_escape, latex_table
from crlm_outcomes.report.regression_table import regression_table
from crlm_outcomes.report.table_one import table_one


def test_escape_special_characters_once():
    assert latex_escape("a_b & 5% #1 <0.001 ‡ 1.2 (0.9–1.5)") == (
        r"a\_b \& 5\% \#1 $<$0.001 \ddag{} 1.2 (0.9--1.5)"
    )
    assert latex_escape("C:\\x") == r"C:\textbackslash{}x"


def test_table_objects_use_the_shared_escaper():
    data = pd.DataFrame({"arm": ["a", "b"] * 20, "cea_%": [1.0, 2.0, 3.5, 4.0] * 10})
    t1 = table_one(data, "arm", ["cea_%"])
    assert t1.to_latex() == grouped_latex_table(t1.table)
    assert r"Cea \%" in t1.to_latex()  # an underscore name is shown readable, escaped
    summary = pd.DataFrame(
        {"term": ["age_10y"], "hr": [1.2], "lower": [0.9], "upper": [1.5], "p": [0.0004]}
    )
    reg = regression_table(summary)
    tex = reg.to_latex()
    assert tex == grouped_latex_table(reg.table)
    assert r"1.20 (0.90--1.50)" in tex and r"$<$0.001" in tex and r"Age 10y" in tex
    assert latex_table(pd.DataFrame({"a_b": ["5%"]})).count(r"a\_b") == 1

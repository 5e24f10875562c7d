"""Table 1 against R (tests/report/reference/table_one.R) and its suppression."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import InputError
from crlm_outcomes.report.suppression import SuppressionPolicy
from crlm_outcomes.report.table_one import TableOne, smd_categorical, table_one

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(REF / "table_one_data.csv")


@pytest.fixture(scope="module")
def expected() -> pd.DataFrame:
    return pd.read_csv(REF / "table_one_expected.csv")


@pytest.mark.parametrize("by", ["grp2", "grp3"])
def test_tests_and_smd_agree_with_r(data, expected, by):
    res = table_one(
        data,
        by,
        ["age", "cea", "sex", "site", "flag", "rare"],
        nonnormal=["cea"],
        exact=["flag", "rare"],
    )
    got = res.tests.set_index("variable")
    for row in expected[expected["by"] == by].itertuples():
        assert got.loc[row.variable, "smd"] == pytest.approx(row.smd, rel=1e-9)
        if got.loc[row.variable, "test"] == "Fisher (Monte Carlo)":  # 3 x 3 tables only
            # random tables with fixed marginals: Monte Carlo error ~ 0.003 at 20 000 tables
            assert got.loc[row.variable, "p"] == pytest.approx(row.p, abs=0.015)
        else:
            assert got.loc[row.variable, "p"] == pytest.approx(row.p, rel=1e-7)
    expected_tests = {
        "age": "Welch t-test" if by == "grp2" else "Welch ANOVA",
        "cea": "Kruskal-Wallis",
        "sex": "Chi-square",
        "site": "Chi-square",
    }
    expected_tests["rare"] = "Fisher" if by == "grp2" else "Fisher (Monte Carlo)"
    for var, test in expected_tests.items():
        assert got.loc[var, "test"] == test


def test_monte_carlo_fisher_is_reproducible(data):
    a = table_one(data, "grp3", ["rare"], exact=["rare"]).tests["p"].iloc[0]
    b = table_one(data, "grp3", ["rare"], exact=["rare"]).tests["p"].iloc[0]
    assert a == b


def test_fisher_used_when_expected_counts_small():
    small = pd.DataFrame(
        {"g": ["a"] * 12 + ["b"] * 12, "x": ["no"] * 11 + ["yes"] + ["no"] * 6 + ["yes"] * 6}
    )
    res = table_one(small, "g", ["x"])
    assert res.tests["test"].iloc[0] == "Fisher"
    # R: fisher.test(matrix(c(11, 1, 6, 6), 2))$p.value
    assert res.tests["p"].iloc[0] == pytest.approx(0.0686498855835, rel=1e-9)


def test_summary_values_and_missing_rows(data):
    res = table_one(data, "grp2", ["age", "cea", "site"], nonnormal=["cea"])
    tab = res.table
    a = data[data["grp2"] == "a"]
    age_row = tab[tab["variable"].str.startswith("age")].iloc[0]
    assert age_row["a"] == f"{a['age'].mean():.1f} ({a['age'].std():.1f})"
    cea_row = tab[(tab["variable"].str.startswith("cea")) & (tab["level"] == "")].iloc[0]
    q = a["cea"].dropna().quantile([0.25, 0.5, 0.75])
    assert cea_row["a"] == f"{q[0.5]:.1f} [{q[0.25]:.1f}, {q[0.75]:.1f}]"
    miss = tab[(tab["variable"].str.startswith("cea")) & (tab["level"] == "Missing")].iloc[0]
    n_miss = int(data["cea"].isna().sum())
    assert miss["Overall"] == f"{n_miss} ({100 * n_miss / len(data):.1f})"
    site = tab[(tab["variable"] == "site") & (tab["level"] == "left")].iloc[0]
    nonmiss = a["site"].notna().sum()
    n_left = int((a["site"] == "left").sum())
    assert site["a"] == f"{n_left} ({100 * n_left / nonmiss:.1f})"
    assert tab.iloc[0]["Overall"] == str(len(data))


def test_binary_smd_reduces_to_usual_formula():
    counts = np.array([[30, 20], [10, 25]])
    p1, p2 = 10 / 40, 25 / 45
    usual = abs(p1 - p2) / np.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)
    assert smd_categorical(counts) == pytest.approx(usual, rel=1e-12)


def test_suppression_masks_small_cells_and_a_complement(data):
    policy = SuppressionPolicy(threshold=11)
    res = table_one(data, "grp2", ["rare", "sex"], suppression=policy)
    tab = res.table
    block = tab[tab["variable"] == "rare"].iloc[1:]
    for col in ["a", "b", "Overall"]:
        cells = block[col].tolist()
        masked = [c for c in cells if c in ("<11", "‡")]
        # every column has a published total (its group size): never exactly one masked cell
        assert len(masked) != 1
        for c in cells:
            if c not in ("<11", "‡"):
                assert int(c.split(" ")[0]) >= 11 or int(c.split(" ")[0]) == 0
    # rows add up to Overall: no row has exactly one masked cell either
    for _, row in block.iterrows():
        assert sum(row[c] in ("<11", "‡") for c in ["a", "b", "Overall"]) != 1
    assert "Counts below 11" in res.footnote()


def test_html_and_latex(data):
    res = table_one(data, "grp2", ["age", "sex"])
    assert isinstance(res, TableOne)
    html = res._repr_html_()
    assert "<table" in html and "Welch" in html
    assert "\\toprule" in res.to_latex()


def test_unknown_column_is_input_error(data):
    with pytest.raises(InputError, match="nope"):
        table_one(data, "grp2", ["nope"])


def test_percentages_do_not_reveal_a_masked_level():
    # the published % of a level reveals the non-missing total, so the level rows of a column
    # form their own constraint: one masked level needs a masked partner among the levels
    frame = pd.DataFrame(
        {
            "g": ["a"] * 60 + ["b"] * 60,
            "x": ["u"] * 5
            + ["v"] * 30
            + ["w"] * 15
            + [None] * 10
            + ["u"] * 20
            + ["v"] * 20
            + ["w"] * 20,
        }
    )
    res = table_one(frame, "g", ["x"], suppression=SuppressionPolicy(threshold=11))
    col_a = res.table[(res.table["variable"] == "x") & res.table["level"].isin(["u", "v", "w"])]
    masked = [c for c in col_a["a"] if c in ("<11", "‡")]
    assert len(masked) >= 2


def test_dates_are_rejected_and_numeric_categories_sorted_by_value():
    frame = pd.DataFrame(
        {
            "g": ["a", "b"] * 6,
            "d": pd.date_range("2020-01-01", periods=12),
            "k": [1, 2, 10, 2, 1, 10, 2, 2, 1, 10, 1, 2],
        }
    )
    with pytest.raises(InputError, match="dates cannot be summarised"):
        table_one(frame, "g", ["d"])
    res = table_one(frame, "g", ["k"], categorical=["k"])
    assert res.table["level"].tolist()[2:] == ["1", "2", "10"]

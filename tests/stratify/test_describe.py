"""describe: tidy counts per level, unknowns by reason."""

from __future__ import annotations

import pandas as pd
import pytest

from crlm_outcomes.errors import SpecError
from crlm_outcomes.stratify import apply_all, describe


@pytest.fixture
def frame(make):
    return make(
        {
            "primary_site_icdo3": ["C18.0", "C18.2", "C20.9", None, "C18.9"],
            "liver_mets_largest_cm": [1.0, 2.0, 4.0, None, 7.0],
            "liver_mets_number": [1, 2, 1, 1, None],
        }
    )


def test_counts_levels_and_reasons(frame):
    table = describe(frame, ["primary_sidedness", "rfa_eligible", "tbs_zone"])
    assert list(table.columns) == ["variable", "level", "reason", "n", "percent", "percent_known"]
    side = table[table.variable == "primary_sidedness"]
    assert side.level.tolist() == ["right", "left", "not_assignable", "missing"]
    assert side.n.tolist() == [2, 1, 1, 1]
    assert side.reason.iloc[-1] == "primary site unknown for this patient"
    assert side.percent.tolist() == [40.0, 20.0, 20.0, 20.0]
    assert side.percent_known.iloc[0] == 50.0
    for _, rows in table.groupby("variable"):
        assert rows.n.sum() == len(frame)
    zone = table[table.variable == "tbs_zone"]
    assert zone.level.tolist() == ["<3", "3-<9", ">=9", "missing", "missing"]
    assert zone.n.tolist() == [2, 1, 0, 1, 1]  # TBS 1.41, 2.83, 4.12; empty level kept
    rfa = table[table.variable == "rfa_eligible"]
    assert rfa.level.tolist()[:2] == ["True", "False"]


def test_default_columns_from_apply_all(frame):
    out = apply_all(frame)
    table = describe(out)
    assert set(table.variable) == set(out.attrs["stratify"]) - {"tumour_burden_score"}
    assert describe(frame).equals(table)  # a raw cohort is stratified first


def test_rejects_continuous_and_unknown(frame):
    out = apply_all(frame)
    with pytest.raises(SpecError, match="continuous"):
        describe(out, ["tumour_burden_score"])
    with pytest.raises(SpecError, match="not in the data"):
        describe(out, ["no_such_column"])
    plain = describe(pd.DataFrame({"x": pd.Categorical(["a", None])}), ["x"])
    assert plain.reason.iloc[-1] == "no reason recorded"

"""Shared survival input validation: the same rules for every estimator."""

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import DataQualityWarning, SurvivalDataError
from crlm_outcomes.survival._inputs import survival_input


def frame():
    return pd.DataFrame(
        {
            "t": [5.0, 3.0, np.nan, 8.0, 1.0],
            "e": [1, 0, 1, 1, 0],
            "g": pd.Categorical(["b", "a", "a", "b", "a"], categories=["b", "a"]),
            "w": [1.0, 2.0, 1.0, 0.5, 1.0],
            "start": [0.0, 0.0, 0.0, 2.0, 0.0],
        }
    )


def test_missing_rows_are_excluded_recorded_and_announced():
    with pytest.warns(DataQualityWarning, match="1 row"):
        s = survival_input(frame(), "t", "e", by="g")
    assert s.n == 4
    assert list(s.index) == [0, 1, 3, 4]
    row = s.excluded.iloc[0]
    assert len(s.excluded) == 1
    assert (row["index"], row["column"], row["reason"]) == (2, "t", "missing value")
    assert np.isnan(row["value"])


def test_categorical_order_is_kept_for_groups():
    with pytest.warns(DataQualityWarning):
        s = survival_input(frame(), "t", "e", by="g")
    assert s.group_labels == ["b", "a"]
    assert list(s.group) == [0, 1, 0, 1]


def test_weights_entry_strata_cluster_extracted():
    d = frame().dropna()
    s = survival_input(d, "t", "e", weights="w", entry="start", strata="g", cluster="g")
    np.testing.assert_array_equal(s.weights, [1.0, 2.0, 0.5, 1.0])
    np.testing.assert_array_equal(s.entry, [0.0, 0.0, 2.0, 0.0])
    assert s.strata_labels == ["b", "a"]
    assert s.cluster is not None and s.excluded.empty


@pytest.mark.parametrize(
    "column,value,message",
    [
        ("t", -1.0, "negative duration"),
        ("t", np.inf, "not finite"),
        ("e", 2, "outside the declared set"),
        ("e", 0.5, "not an integer"),
        ("w", 0.0, "positive"),
        ("start", 9.0, "entry time is not before"),
    ],
)
def test_bad_values_name_row_column_and_value(column, value, message):
    d = frame().dropna().reset_index(drop=True).astype({"e": float})
    d.loc[2, column] = value
    with pytest.raises(SurvivalDataError, match=message) as info:
        survival_input(d, "t", "e", weights="w", entry="start")
    assert info.value.row == 2
    assert info.value.column == column


def test_declared_causes_accept_competing_codes():
    d = frame().dropna().assign(e=[1, 2, 0, 2])
    s = survival_input(d, "t", "e", causes=(1, 2))
    assert list(s.event) == [1, 2, 0, 2]


def test_unknown_column_and_text_durations_are_clear_errors():
    with pytest.raises(SurvivalDataError, match="column for by not found"):
        survival_input(frame(), "t", "e", by="nope")
    d = frame().dropna().astype({"t": object})
    d.loc[0, "t"] = "five"
    with pytest.raises(SurvivalDataError, match="duration is not numeric") as info:
        survival_input(d, "t", "e")
    assert info.value.value == "five"


def test_all_rows_missing_is_an_error():
    d = frame().assign(t=np.nan)
    with pytest.warns(DataQualityWarning), pytest.raises(SurvivalDataError, match="no rows left"):
        survival_input(d, "t", "e")


def test_boolean_events_are_zero_one():
    d = frame().dropna().assign(e=[True, False, True, False])
    assert list(survival_input(d, "t", "e").event) == [1, 0, 1, 0]

"""Inclusion filters of the analysis spec."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import SpecError
from crlm_outcomes.report.filters import filter_mask
from crlm_outcomes.report.spec import FilterSpec


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [45.0, 70.0, np.nan, 18.0],
            "side": pd.Categorical(["left", "right", None, "left"], categories=["left", "right"]),
            "grade": pd.Categorical(
                ["low", "high", "low", None], categories=["low", "high"], ordered=True
            ),
            "resected": pd.array([True, False, None, True], dtype="boolean"),
            "date": pd.to_datetime(["2015-01-01", "2018-06-30", None, "2020-02-02"]),
        }
    )


def _mask(frame, **kw):
    return filter_mask(frame, FilterSpec(**kw), "filters[0]").tolist()


def test_comparisons_never_keep_missing_rows(frame):
    assert _mask(frame, column="age", op=">=", value=18) == [True, True, False, True]
    assert _mask(frame, column="age", op="!=", value=45) == [False, True, False, True]
    assert _mask(frame, column="side", op="not_in", value=["right"]) == [True, False, False, True]
    assert _mask(frame, column="side", op="isna") == [False, False, True, False]


def test_dates_and_ordered_categories(frame):
    assert _mask(frame, column="date", op="<", value="2019-01-01") == [True, True, False, False]
    assert _mask(frame, column="grade", op=">", value="low") == [False, True, False, False]


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"column": "nope", "op": "notna"}, "column not in the cohort"),
        ({"column": "side", "op": "==", "value": "middle"}, "not a level"),
        ({"column": "side", "op": "<", "value": "left"}, "unordered category"),
        ({"column": "age", "op": ">", "value": "old"}, "numeric"),
        ({"column": "resected", "op": "==", "value": 1}, "true/false"),
        ({"column": "date", "op": ">", "value": "not a date"}, "not a date"),
    ],
)
def test_spec_values_that_do_not_fit_the_column_are_errors(frame, kw, match):
    with pytest.raises(SpecError, match=match):
        filter_mask(frame, FilterSpec(**kw), "filters[0]")

"""The companion explanation: reasons by index label, rule and source in Series.attrs."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from crlm_outcomes.errors import InputError
from crlm_outcomes.stratify import braf_class, explain, reasons, rule


@pytest.fixture
def braf(make):
    frame = make({"braf_status": ["V600E", None, "wild_type", None]})
    frame.index = ["p1", "p2", "p3", "p4"]
    return braf_class(frame)


def test_reasons_by_label(braf):
    why = reasons(braf)
    assert str(why.dtype) == "string"
    assert why.isna().tolist() == [True, False, True, False]
    assert why.name == "braf_class_reason"
    assert braf.attrs["reasons"] == {
        "p2": "BRAF: not tested or unknown for this patient",
        "p4": "BRAF: not tested or unknown for this patient",
    }
    # compact storage (codes into the distinct texts); a plain JSON-ready dict on request
    json.dumps({**braf.attrs, "reasons": braf.attrs["reasons"].to_dict()})
    assert len(braf.attrs["reasons"].texts) == 1


def test_survives_slicing_reordering_and_concat(braf):
    subset = braf.loc[["p4", "p1"]]
    assert reasons(subset).tolist()[0].startswith("BRAF: not tested")
    assert pd.isna(reasons(subset).iloc[1])
    both = pd.concat([braf, braf.rename(lambda label: label + "b")])
    assert len(both) == 8  # pandas compares attrs on concat; a dict is comparable


def test_explain_table(braf):
    table = explain(braf)
    assert list(table.columns) == ["value", "reason"]
    assert table.attrs["stratifier"] == "braf_class"
    assert rule(braf) == braf.attrs["rule"]


def test_value_set_missing_later(braf):
    changed = braf.copy()
    changed.loc["p1"] = None
    assert "no reason recorded" in reasons(changed).loc["p1"]


def test_rejects_plain_series_and_duplicate_index(make):
    with pytest.raises(InputError):
        reasons(pd.Series([1, 2]))
    frame = make({"braf_status": ["V600E", None]})
    frame.index = [1, 1]
    with pytest.raises(InputError, match="duplicate"):
        braf_class(frame)
    with pytest.raises(InputError):
        braf_class([1, 2])

"""The Kaplan-Meier summary of the report's KM and landmark sections."""

from __future__ import annotations

import pandas as pd
import pytest

from crlm_outcomes.errors import DataQualityWarning
from crlm_outcomes.report.sections.km import km_summary
from crlm_outcomes.report.suppression import SuppressionPolicy
from crlm_outcomes.survival.kaplan_meier import kaplan_meier


@pytest.mark.parametrize("dtype", ["boolean", "object"])
def test_summary_of_a_yes_no_column_counts_each_group(dtype):
    # a list of booleans given to .loc is a mask, not labels: the summary once lost a group
    d = pd.DataFrame(
        {
            "months": [3.0, 8, 12, 20, 30, 5, 9, 14, 40, 41, 7],
            "dead": [1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1],
            "treated": pd.array([False] * 6 + [True] * 4 + [None], dtype=dtype),
        }
    )
    with pytest.warns(DataQualityWarning, match="1 row"):
        km = kaplan_meier(d, "months", "dead", by="treated")
    out = km_summary(km, "Treated", [12], SuppressionPolicy(enabled=False))
    assert out["n"].tolist() == ["6", "4"]
    assert out["events"].tolist() == ["4", "2"]

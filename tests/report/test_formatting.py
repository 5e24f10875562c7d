"""Published numbers: p-values and estimates with confidence intervals."""

from __future__ import annotations

import math

from crlm_outcomes.report.formatting import est_ci, format_p


def test_format_p():
    assert format_p(0.0004) == "<0.001"
    assert format_p(0.04567) == "0.046"
    assert format_p(math.nan) == ""


def test_est_ci_marks_what_is_not_reached():
    assert est_ci(34.56, 30.0, 40.04, 1) == "34.6 (30.0–40.0)"
    assert est_ci(34.56, 30.0, math.inf, 1) == "34.6 (30.0–NR)"
    assert est_ci(math.nan, 30.0, 40.0, 1) == "NR"

"""Cox model tables: formatting of HR (95% CI) and p from a fitted model."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import InputError
from crlm_outcomes.report.regression_table import RegressionTable, regression_table
from crlm_outcomes.report.suppression import SuppressionPolicy


@pytest.fixture(scope="module")
def fit():
    from crlm_outcomes.survival.cox import cox

    rng = np.random.default_rng(3)
    n = 120
    data = pd.DataFrame(
        {
            "age": rng.normal(60, 8, n),
            "grp": rng.choice(["a", "b"], n),
            "time": rng.exponential(30, n),
            "event": rng.integers(0, 2, n),
        }
    )
    data.loc[:4, "age"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cox(data, "age + grp", "time", "event")


def test_formats_the_model_summary(fit):
    res = regression_table(fit, labels={"age": "Age (years)"})
    assert isinstance(res, RegressionTable)
    row = res.table.iloc[0]
    s = fit.table.iloc[0]
    assert row["variable"] == "Age (years)" and row["level"] == ""
    assert row["HR (95% CI)"] == f"{s['hr']:.2f} ({s['lower']:.2f}–{s['upper']:.2f})"
    assert res.numbers["hr"].tolist() == fit.table["hr"].tolist()
    assert res.notes["n"] == str(fit.n) and res.notes["events"] == str(fit.n_event)
    assert res.notes["ties"] == "efron"
    assert res.notes["patients excluded for missing values"] == "5"
    # the categorical term: a header, its reference level, then the other level
    grp = res.table[res.table["variable"] == "grp"]
    assert grp["level"].tolist() == ["", "a", "b"]
    assert grp["HR (95% CI)"].tolist()[1] == "1 (reference)"
    assert sum(int(v) for v in grp["N"].tolist()[1:]) == fit.n
    assert "<table" in res._repr_html_() and "toprule" in res.to_latex()
    assert "regression" in res.to_html()


def test_small_counts_in_the_notes_are_suppressed(fit):
    res = regression_table(fit, suppression=SuppressionPolicy(threshold=11))
    assert res.notes["patients excluded for missing values"] == "<11"
    assert res.notes["n"] == "‡"  # n + excluded = the published cohort size


def test_summary_frame_and_missing_columns():
    frame = pd.DataFrame(
        {"term": ["x"], "hr": [np.nan], "lower": [np.nan], "upper": [np.nan], "p": [np.nan]}
    )
    assert regression_table(frame).table["HR (95% CI)"].tolist() == ["not estimable"]
    with pytest.raises(InputError, match="hr"):
        regression_table(pd.DataFrame({"term": ["x"]}))


def test_header_and_title_follow_the_model():
    """A 90% interval is labelled 90% (not 95%), and a Fine-Gray fit is not captioned Cox."""
    from crlm_outcomes.survival.cox import cox
    from crlm_outcomes.survival.fine_gray import fine_gray

    d = pd.DataFrame(
        {
            "t": np.arange(1.0, 21.0),
            "e": [1, 2, 0, 1, 1, 0, 2, 1, 1, 0] * 2,
            "x": [61, 50, 72, 55, 66, 58, 70, 52, 63, 57, 64, 49, 71, 60, 53, 68, 59, 62, 56, 65],
        }
    )
    c90 = regression_table(cox(d.assign(e=d["e"] > 0), "x", "t", "e", conf_level=0.9))
    assert "HR (90% CI)" in c90.table.columns and c90.title == "Cox proportional-hazards model"
    fg = regression_table(fine_gray(d, "x", "t", "e"))
    assert "SHR (95% CI)" in fg.table.columns
    assert fg.title == "Fine-Gray subdistribution hazards model"
    assert regression_table(fg_fit := fine_gray(d, "x", "t", "e"), title="T").title == "T"
    assert fg_fit.conf_level == 0.95

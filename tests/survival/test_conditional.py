"""Conditional survival against R: ratios of survfit values, Greenwood over (s, s + t], log-log
limits, and survfit(start.time = s) (tests/reference/conditional.R)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import SpecError
from crlm_outcomes.survival.conditional import conditional_survival

REF = Path(__file__).parents[1] / "reference" / "conditional"


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    return pd.read_csv(REF / "data_lung.csv")


def test_matches_r(lung):
    ref = pd.read_csv(REF / "conditional.csv")
    cs = conditional_survival(
        lung, "time", "status", by="sex", given=[0, 100.5, 183, 365.5], horizon=[90, 180, 365]
    )
    got = cs.table.merge(
        ref.rename(columns={"std_err": "std_error"}),
        on=["group", "given", "horizon"],
        suffixes=("", "_r"),
    )
    assert len(got) == len(ref) == 24
    for c in ["survival_given", "estimate", "std_error", "lower", "upper"]:
        np.testing.assert_allclose(got[c], got[f"{c}_r"], rtol=1e-12, err_msg=c)
    st = got.dropna(subset=["start_estimate"])
    assert len(st) == 21
    for a, b in [
        ("estimate", "start_estimate"),
        ("lower", "start_lower"),
        ("upper", "start_upper"),
    ]:
        np.testing.assert_allclose(st[a], st[b], rtol=1e-12)


def test_beyond_follow_up_is_missing_and_contract(lung):
    cs = conditional_survival(lung, "time", "status", given=[365], horizon=[10_000])
    assert np.isnan(cs.table["estimate"].iloc[0])
    cs = conditional_survival(lung, "time", "status", by="sex", given=[0, 365], horizon=365)
    assert cs == conditional_survival(lung, "time", "status", by="sex", given=[0, 365], horizon=365)
    assert "\n" not in repr(cs) and "P(T > s + t" in cs.summary() and "<table" in cs._repr_html_()
    ax = cs.plot()
    assert len(ax.get_lines()) >= 4
    import matplotlib.pyplot as plt

    plt.close("all")


def test_errors(lung):
    with pytest.raises(SpecError, match="given"):
        conditional_survival(lung, "time", "status", given=-1, horizon=10)
    with pytest.raises(SpecError, match="horizon"):
        conditional_survival(lung, "time", "status", given=1, horizon=0)

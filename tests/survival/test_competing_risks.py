"""cumulative_incidence and gray_test against cmprsk::cuminc (tests/reference/competing_risks.R)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import EstimationError, SpecError, SurvivalDataError
from crlm_outcomes.survival.competing_risks import cumulative_incidence, gray_test

REF = Path(__file__).resolve().parents[1] / "reference" / "competing_risks"
RTOL = 1e-9


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"data_{name}.csv")


# analysis id -> (data set, duration, event, by, strata, rho), as in competing_risks.R
ANALYSES = {
    "example_group": ("example", "time", "status", "group", None, 0),
    "example_group_strata": ("example", "time", "status", "group", "strata", 0),
    "example_group_rho1": ("example", "time", "status", "group", None, 1),
    "example_nogroup": ("example", "time", "status", None, None, 0),
    "mgus2_sex": ("mgus2", "etime", "event", "sex", None, 0),
    "mgus2_sex_rho_m1": ("mgus2", "etime", "event", "sex", None, -1),
    "synthetic_stage": ("synthetic", "time", "status", "stage", None, 0),
    "synthetic_stage_strata": ("synthetic", "time", "status", "stage", "strata", 0),
    "synthetic_stage_strata_rho2": ("synthetic", "time", "status", "stage", "strata", 2),
    "synthetic_treated": ("synthetic", "time", "status", "treated", None, 0),
}


def _fit(analysis: str, **kwargs):
    name, duration, event, by, strata, rho = ANALYSES[analysis]
    return cumulative_incidence(_data(name), duration, event, by, strata=strata, rho=rho, **kwargs)


def _curve_key(result, frame: pd.DataFrame) -> pd.Series:
    """cuminc names its curves '<group> <cause>' (group '1' without groups)."""
    group = frame["group"].astype(str) if result.by else pd.Series("1", index=frame.index)
    return group + " " + frame["cause"].astype(str)


@pytest.mark.parametrize("analysis", list(ANALYSES))
def test_curves_match_cuminc(analysis):
    ref = pd.read_csv(REF / "cuminc_curves.csv")
    ref = ref[ref["analysis"] == analysis]
    res = _fit(analysis)
    jumps = res.table[res.table["n_event"] > 0]
    key = _curve_key(res, jumps)
    assert set(key) == set(ref["curve"])
    for curve, expected in ref.groupby("curve"):
        mine = jumps[(key == curve).to_numpy()]
        np.testing.assert_allclose(mine["time"], expected["time"], rtol=0, atol=0)
        np.testing.assert_allclose(mine["estimate"], expected["est"], rtol=RTOL)
        np.testing.assert_allclose(mine["variance"], expected["var"], rtol=RTOL)
    # largest follow-up time per group (the end of cuminc's step vector)
    ends = ref.groupby("curve")["max_time"].first()
    for curve, end in ends.items():
        group = curve.rsplit(" ", 1)[0]
        label = group if res.by else "all"
        fu = res.follow_up.set_index(res.follow_up["group"].astype(str))
        assert fu.loc[str(label), "max_time"] == pytest.approx(end, rel=1e-15)


@pytest.mark.parametrize("analysis", list(ANALYSES))
def test_timepoints_match(analysis):
    ref = pd.read_csv(REF / "cuminc_timepoints.csv")
    ref = ref[ref["analysis"] == analysis]
    res = _fit(analysis)
    at = res.at(sorted(ref["time"].unique()))
    at = at.assign(curve=_curve_key(res, at))
    merged = ref.merge(at, on=["curve", "time"], how="left", validate="one_to_one")
    assert len(merged) == len(ref)
    np.testing.assert_array_equal(merged["est"].isna(), merged["estimate"].isna())
    ok = merged["est"].notna()
    assert ok.any()
    np.testing.assert_allclose(
        merged.loc[ok, "estimate"], merged.loc[ok, "est"], rtol=RTOL, atol=1e-300
    )
    np.testing.assert_allclose(
        merged.loc[ok, "variance"], merged.loc[ok, "var"], rtol=RTOL, atol=1e-300
    )


@pytest.mark.parametrize("analysis", [a for a in ANALYSES if a != "example_nogroup"])
def test_gray_test_matches(analysis):
    ref = pd.read_csv(REF / "cuminc_tests.csv")
    ref = ref[ref["analysis"] == analysis].reset_index(drop=True)
    res = _fit(analysis)
    table = res.gray_test
    np.testing.assert_array_equal(table["cause"].astype(str), ref["cause"].astype(str))
    np.testing.assert_allclose(table["statistic"], ref["stat"], rtol=RTOL)
    np.testing.assert_allclose(table["p"], ref["pv"], rtol=1e-7)
    np.testing.assert_array_equal(table["df"], ref["df"])
    # the standalone function gives the same table
    name, duration, event, by, strata, rho = ANALYSES[analysis]
    alone = gray_test(_data(name), duration, event, by, strata=strata, rho=rho)
    pd.testing.assert_frame_equal(alone.table, table)


def test_loglog_interval_formula_matches_r():
    ref = pd.read_csv(REF / "cuminc_ci_loglog.csv")
    for analysis, expected in ref.groupby("analysis"):
        res = _fit(analysis)
        jumps = res.table[res.table["n_event"] > 0]
        jumps = jumps.assign(curve=_curve_key(res, jumps))
        merged = expected.merge(jumps, on=["curve", "time"], validate="one_to_one")
        assert len(merged) == len(expected)
        np.testing.assert_allclose(merged["lower_y"], merged["lower_x"], rtol=RTOL)
        np.testing.assert_allclose(merged["upper_y"], merged["upper_x"], rtol=RTOL)
        assert (merged["lower_y"] <= merged["estimate"]).all()
        assert (merged["upper_y"] >= merged["estimate"]).all()


def test_plain_interval_and_levels():
    res = _fit("mgus2_sex", conf_type="plain", conf_level=0.9)
    t = res.table
    z = 1.6448536269514722
    np.testing.assert_allclose(t["upper"], np.clip(t["estimate"] + z * t["std_error"], 0, 1))
    with pytest.raises(SpecError):
        _fit("mgus2_sex", conf_type="logit")
    with pytest.raises(SpecError):
        _fit("mgus2_sex", conf_level=95)


def test_table_starts_at_zero_and_is_monotone():
    res = _fit("synthetic_stage")
    for _, cur in res.table.groupby(["group", "cause"]):
        assert cur["time"].iloc[0] == 0 and cur["estimate"].iloc[0] == 0
        assert np.all(np.diff(cur["estimate"]) >= 0)
        assert np.all(np.diff(cur["time"]) > 0)
    # sum over causes of the CIFs equals 1 - all-cause Kaplan-Meier at the last time
    df = _data("synthetic")
    res1 = cumulative_incidence(df, "time", "status")
    total = res1.at([30.0]).groupby("group")["estimate"].sum().iloc[0]
    t, e = df["time"].to_numpy(), df["status"].to_numpy()
    uniq = np.unique(t[t <= 30])
    km = np.prod([1 - np.sum((t == u) & (e > 0)) / np.sum(t >= u) for u in uniq])
    assert total == pytest.approx(1 - km, rel=1e-12)


def test_at_beyond_follow_up_and_negative_is_nan():
    res = _fit("mgus2_sex")
    at = res.at([-1.0, 1e9])
    assert at["estimate"].isna().all()
    with pytest.raises(SpecError):
        res.at([np.nan])


def test_ties_between_causes_and_censoring_same_time():
    # at t = 2: one cause-1, one cause-2 and one censoring; hand computation
    df = pd.DataFrame({"t": [1, 2, 2, 2, 3, 4], "e": [1, 1, 2, 0, 1, 0]})
    res = cumulative_incidence(df, "t", "e")
    c1 = res.table[(res.table["cause"] == 1) & (res.table["n_event"] > 0)]
    # S: 1 -> 5/6 at t=1 -> 5/6*3/5 = 1/2 at t=2 -> 1/2*1/2 at t=3
    np.testing.assert_allclose(c1["estimate"], [1 / 6, 1 / 6 + 5 / 6 / 5, 1 / 3 + 1 / 2 / 2])
    c2 = res.table[(res.table["cause"] == 2) & (res.table["n_event"] > 0)]
    np.testing.assert_allclose(c2["estimate"], [1 / 6])
    assert int(c1["n_risk"].iloc[1]) == 5 and int(c1["n_competing"].iloc[1]) == 1


def test_one_group_has_no_gray_test_and_zero_length_follow_up():
    df = pd.DataFrame({"t": [0.0, 0.0, 1.0, 2.0, 3.0], "e": [1, 0, 2, 1, 0]})
    res = cumulative_incidence(df, "t", "e")
    assert res.tests is None and res.gray_test is None
    c1 = res.table[res.table["cause"] == 1]
    # an event at time 0 gives a jump at 0 and no separate starting row
    assert c1["time"].iloc[0] == 0 and c1["estimate"].iloc[0] == pytest.approx(0.2)
    with pytest.raises(SpecError):
        cumulative_incidence(df, "t", "e", strata="e")


def test_all_censored():
    df = pd.DataFrame({"t": [1.0, 2.0, 3.0], "e": [0, 0, 0], "g": ["a", "b", "a"]})
    with pytest.raises(EstimationError, match="no events"):
        cumulative_incidence(df, "t", "e")
    res = cumulative_incidence(df, "t", "e", causes=[1, 2])
    assert (res.table["estimate"] == 0).all()
    assert set(res.table["cause"]) == {1, 2}


def test_bad_input_is_reported():
    df = pd.DataFrame({"t": [1.0, -2.0, 3.0], "e": [1, 0, 2]})
    with pytest.raises(SurvivalDataError, match="negative"):
        cumulative_incidence(df, "t", "e")
    df = pd.DataFrame({"t": [1.0, 2.0, 3.0], "e": [1, 3, 2]})
    with pytest.raises(SurvivalDataError, match="outside the declared set") as err:
        cumulative_incidence(df, "t", "e", causes=[1, 2])
    assert err.value.row == 1 and err.value.value == 3
    df = pd.DataFrame({"t": [1.0, np.inf, 3.0], "e": [1, 0, 2]})
    with pytest.raises(SurvivalDataError, match="not finite"):
        cumulative_incidence(df, "t", "e")


def test_missing_rows_are_excluded_and_recorded():
    df = _data("synthetic")
    df.loc[[3, 10], "time"] = np.nan
    with pytest.warns(UserWarning, match="2 row"):
        res = cumulative_incidence(df, "time", "status", "stage")
    assert res.n_excluded == 2 and res.n == len(df) - 2
    assert set(res.excluded["index"]) == {3, 10}


def test_gray_test_needs_two_groups():
    df = _data("synthetic")
    with pytest.raises(EstimationError, match="two groups"):
        gray_test(df[df["stage"] == "I"], "time", "status", "stage")
    with pytest.raises(SpecError):
        gray_test(df, "time", "status", None)


def test_repr_html():
    html = _fit("example_group")._repr_html_()
    assert "Gray" in html and "Cumulative incidence" in html
    assert "rho" in gray_test(_data("example"), "time", "status", "group")._repr_html_()

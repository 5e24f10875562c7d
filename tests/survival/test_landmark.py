"""landmark(): cohort conditioning, clock reset, exposure classification, exclusion record."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crlm_outcomes.errors import DataQualityWarning, SpecError, SurvivalDataError
from crlm_outcomes.survival.landmark import landmark


def _cohort() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "os": [2.0, 5.0, 6.0, 6.0, 7.0, 12.0, 30.0, 24.0],
            "dead": [1, 0, 1, 0, 1, 0, 1, 2],
            "response_time": [np.nan, 3.0, 2.0, np.nan, 5.0, 7.0, 4.0, np.nan],
        },
        index=[10, 11, 12, 13, 14, 15, 16, 17],
    )


def test_conditioning_reset_and_exposure():
    res = landmark(_cohort(), "os", "dead", landmark=6.0, exposure_time="response_time")
    # kept: os > 6
    assert list(res.table.index) == [14, 15, 16, 17]
    np.testing.assert_allclose(res.table["os"], [1.0, 6.0, 24.0, 18.0])
    np.testing.assert_allclose(res.table["os_from_origin"], [7.0, 12.0, 30.0, 24.0])
    # responded at 5 (yes), at 7 (after the landmark: no), at 4 (yes), never (no)
    assert list(res.table["exposed_at_landmark"]) == [True, False, True, False]
    # competing event codes are kept as they are
    assert res.table.loc[17, "dead"] == 2
    ex = res.excluded.set_index("index")["reason"]
    assert ex[10] == "event at or before the landmark"
    assert ex[11] == "censored at or before the landmark"
    assert ex[12] == "event at or before the landmark"  # event exactly at the landmark
    assert ex[13] == "censored at or before the landmark"
    counts = dict(zip(res.counts["reason"], res.counts["n"], strict=True))
    assert counts["input rows"] == 8 and counts["landmark cohort"] == 4
    assert counts["event at or before the landmark"] == 2
    assert res.n + res.n_excluded == 8
    assert "Cohort flow" in res._repr_html_()


def test_landmark_zero_keeps_everyone_with_positive_time():
    df = _cohort()
    res = landmark(df, "os", "dead", landmark=0.0)
    assert res.n == len(df)
    np.testing.assert_allclose(res.table["os"], df["os"])


def test_entry_after_landmark_excluded_and_reset():
    df = _cohort().assign(entry=[0.0, 0.0, 0.0, 0.0, 1.0, 8.0, 3.0, 0.0])
    res = landmark(df, "os", "dead", landmark=6.0, entry="entry")
    assert 15 not in res.table.index
    assert res.excluded.set_index("index").loc[15, "reason"] == "entered after the landmark"
    np.testing.assert_allclose(res.table["entry"], 0.0)


def test_missing_rows_recorded():
    df = _cohort()
    df.loc[16, "os"] = np.nan
    with pytest.warns(DataQualityWarning):
        res = landmark(df, "os", "dead", landmark=6.0)
    assert res.excluded.set_index("index").loc[16, "reason"] == "missing value"
    assert 16 not in res.table.index


def test_errors():
    df = _cohort()
    with pytest.raises(SpecError):
        landmark(df, "os", "dead", landmark=-1)
    with pytest.raises(SpecError, match="no patient"):
        landmark(df, "os", "dead", landmark=100)
    bad = df.copy()
    bad.loc[15, "response_time"] = 20.0  # after the end of follow-up (12)
    with pytest.raises(SurvivalDataError, match="after the end of follow-up") as err:
        landmark(bad, "os", "dead", landmark=6.0, exposure_time="response_time")
    assert err.value.row == 15
    neg = df.copy()
    neg.loc[12, "os"] = -1.0
    with pytest.raises(SurvivalDataError, match="negative"):
        landmark(neg, "os", "dead", landmark=6.0)
    with pytest.raises(SurvivalDataError, match="not found"):
        landmark(df, "os", "dead", landmark=6.0, exposure_time="nope")


def test_immortal_time_bias_removed():
    """Exposure without effect: naive responder analysis looks protective, landmark does not."""
    rng = np.random.default_rng(7)
    n = 4000
    death = rng.exponential(20.0, n)
    resp = rng.exponential(8.0, n)
    responded = resp < death
    df = pd.DataFrame({"os": death, "dead": 1, "response_time": np.where(responded, resp, np.nan)})
    naive_resp = df.loc[responded, "os"].mean()
    naive_non = df.loc[~responded, "os"].mean()
    assert naive_resp > 1.5 * naive_non  # the immortal-time artefact
    res = landmark(df, "os", "dead", landmark=6.0, exposure_time="response_time")
    d = res.table
    m1 = d.loc[d["exposed_at_landmark"], "os"].mean()
    m0 = d.loc[~d["exposed_at_landmark"], "os"].mean()
    assert m1 == pytest.approx(m0, rel=0.1)  # memoryless: both ~20 after the landmark

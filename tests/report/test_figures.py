"""Report figures: the suppressed numbers-at-risk table under Kaplan-Meier curves."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from crlm_outcomes.report.figures import at_risk_table, plot_km_with_risk, time_grid  # noqa: E402
from crlm_outcomes.report.suppression import SuppressionPolicy  # noqa: E402


@pytest.fixture(scope="module")
def km():
    from crlm_outcomes.survival.kaplan_meier import kaplan_meier

    rng = np.random.default_rng(5)
    data = pd.DataFrame(
        {
            "t": np.r_[rng.exponential(40, 80), rng.exponential(20, 8)],
            "e": rng.integers(0, 2, 88),
            "g": ["big"] * 80 + ["small"] * 8,
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return kaplan_meier(data, "t", "e", by="g")


def test_time_grid():
    assert time_grid(60).tolist() == [0, 12, 24, 36, 48, 60]
    assert time_grid(20).tolist() == [0, 6, 12, 18]
    assert time_grid(130)[1] == 24


def test_at_risk_counts_match_the_curve_and_are_suppressed(km):
    times = [0, 12, 24]
    plain = at_risk_table(km, times, SuppressionPolicy(enabled=False))
    expected = km.at(times, extend=True)
    big = expected[expected["group"] == "big"]["n_risk"].astype(int).astype(str).tolist()
    assert plain.loc["big"].tolist() == big
    masked = at_risk_table(km, times, SuppressionPolicy(threshold=11))
    assert masked.loc["small", "0"] == "<11"
    # the groups of a column add up to the all-patients row: big gets a complementary mask
    assert masked.loc["big", "0"] == "\u2021"
    assert masked.loc["big", "12"] == plain.loc["big", "12"] or masked.loc["big", "12"] == "\u2021"


def test_plot_returns_axes_and_draws_the_masked_table(km):
    ax = plot_km_with_risk(km, policy=SuppressionPolicy(threshold=11), title="t")
    texts = [t.get_text() for t in ax.texts]
    assert "Number at risk" in texts and "<11" in texts and "8" not in texts
    plt.close(ax.figure)
    fig, given = plt.subplots()
    assert plot_km_with_risk(km, ax=given) is given
    plt.close(fig)

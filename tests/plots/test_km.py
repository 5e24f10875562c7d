"""Kaplan-Meier figure: curves, censor marks, CI bands and an R-consistent risk table."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from crlm_outcomes.plots.km import plot_km, risk_table_counts  # noqa: E402
from crlm_outcomes.plots.style import savefig_deterministic  # noqa: E402
from crlm_outcomes.survival.kaplan_meier import kaplan_meier  # noqa: E402

REF = Path(__file__).resolve().parents[1] / "reference" / "km_logrank"
TICKS = [0.0, 90.0, 180.0, 365.0, 730.0, 1000.0]


@pytest.fixture(scope="module")
def lung_fit():
    return kaplan_meier(pd.read_csv(REF / "lung.csv"), "time", "status01", "sex")


def _risk_texts(ax):
    return [t for t in ax.texts if t.get_gid() == "risk-table"]


def test_risk_table_is_r_summary_n_risk(lung_fit):
    ref = pd.read_csv(REF / "km_at.csv", dtype={"group": str})
    ref = ref[(ref["case"] == "lung_sex_log") & ref["extend"]]
    counts = risk_table_counts(lung_fit, TICKS)
    for g in (1, 2):
        expected = ref[ref["group"] == str(g)].sort_values("time")["n_risk"].to_numpy()
        np.testing.assert_array_equal(counts[g], expected)
    ax = plot_km(lung_fit, times=TICKS)
    texts = _risk_texts(ax)
    assert len(texts) == 2 * len(TICKS)
    # every number sits under its tick, in the group's row
    first_row = [t for t in texts if t.xyann[1] == texts[0].xyann[1]]
    assert [t.xy[0] for t in first_row] == TICKS
    assert [int(t.get_text()) for t in first_row] == list(counts[1].astype(int))
    assert list(ax.get_xticks()) == TICKS
    plt.close(ax.figure)


def test_curves_bands_and_censor_marks(lung_fit):
    ax = lung_fit.plot()
    lines = ax.get_lines()
    steps = [ln for ln in lines if ln.get_drawstyle() == "steps-post"]
    marks = [ln for ln in lines if ln.get_marker() == "+"]
    assert len(steps) == 2 and len(marks) == 2
    table = lung_fit.table
    for g, mark in zip((1, 2), marks, strict=True):
        cens = table[(table["group"] == g) & (table["n_censor"] > 0)]
        np.testing.assert_allclose(mark.get_xdata(), cens["time"])
        np.testing.assert_allclose(mark.get_ydata(), cens["survival"])
    assert len(ax.collections) == 2  # one CI band per group
    assert steps[0].get_xdata()[0] == 0 and steps[0].get_ydata()[0] == 1
    plt.close(ax.figure)


def test_options_switch_elements_off_and_use_given_axes(lung_fit):
    fig, ax = plt.subplots()
    out = plot_km(
        lung_fit, ax=ax, risk_table=False, censor_marks=False, ci=False, labels=["Male", "Female"]
    )
    assert out is ax
    assert not _risk_texts(ax) and not ax.collections
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Male", "Female"]
    plt.close(fig)


def test_weighted_risk_table_shows_decimals():
    synth = pd.read_csv(REF / "synth.csv")
    res = kaplan_meier(synth, "time", "status", "g", weights="w_frac")
    ax = res.plot(times=[0, 12, 24])
    assert any("." in t.get_text() for t in _risk_texts(ax))
    plt.close(ax.figure)


def test_saved_figure_is_deterministic(lung_fit, tmp_path):
    paths = []
    for i in range(2):
        ax = plot_km(lung_fit, times=TICKS)
        paths.append(savefig_deterministic(ax.figure, tmp_path / f"km{i}.svg"))
        plt.close(ax.figure)
    assert paths[0].read_bytes() == paths[1].read_bytes()

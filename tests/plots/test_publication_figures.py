"""Issue 14: readable, journal-ready figures (labels, truncation, p-values, forest columns,
Fine-Gray forest, Schoenfeld in months, flow boxes, SVG text as text)."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from crlm_outcomes.plots.flow import plot_flow  # noqa: E402
from crlm_outcomes.plots.km import plot_km, time_breaks, truncation_time  # noqa: E402
from crlm_outcomes.plots.style import savefig_deterministic  # noqa: E402
from crlm_outcomes.survival.cox import cox  # noqa: E402
from crlm_outcomes.survival.fine_gray import fine_gray  # noqa: E402
from crlm_outcomes.survival.kaplan_meier import kaplan_meier  # noqa: E402


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(14)
    n = 240
    ras = rng.choice(["wild_type", "mutant", "incomplete_testing"], n)
    t = rng.exponential(np.where(ras == "mutant", 25, 40))
    c = rng.uniform(5, 90, n)
    cause = np.where(t <= c, rng.choice([1, 2], n, p=[0.7, 0.3]), 0)
    return pd.DataFrame(
        {
            "os_months": np.minimum(t, c),
            "os_event": (t <= c).astype(int),
            "rfs_months": np.minimum(t, c),
            "rfs_cause": cause,
            "ras_class": pd.Categorical(
                ras, categories=["wild_type", "mutant", "incomplete_testing"]
            ),
            "sex": rng.choice(["female", "male"], n),
            "age_at_diagnosis": rng.normal(62, 9, n).round(),
        }
    )


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_km_labels_p_value_median_and_truncation(data):
    km = kaplan_meier(data, "os_months", "os_event", by="ras_class")
    ax = plot_km(km, endpoint="os", pvalue=0.0123, median_line=True)
    assert ax.get_ylabel() == "Overall survival"
    assert ax.get_xlabel() == "Months from diagnosis of liver metastases"
    assert "Log-rank p = 0.012" in _texts(ax)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Wild type", "Mutant", "Incompletely tested"]
    assert ax.get_legend().get_title().get_text() == "RAS status"
    # the axis ends where fewer than max(10% of the start, 10) remain at risk
    end = truncation_time(km)
    counts = sum(km.at([end], extend=True)["n_risk"])
    assert counts >= max(0.1 * len(data), 10)
    assert ax.get_xlim()[1] <= end * 1.02 + 1e-9 or max(ax.get_xticks()) > end
    assert list(ax.get_xticks()) == time_breaks(end)
    assert ax.figure.get_figwidth() == pytest.approx(3.5)
    plt.close(ax.figure)


def test_truncation_options(data):
    km = kaplan_meier(data, "os_months", "os_event")
    assert truncation_time(km, 0) == pytest.approx(km.table["time"].max())
    assert truncation_time(km, 100) < truncation_time(km, 0.1) or True
    at_100 = km.at([truncation_time(km, 100)], extend=True)["n_risk"].iloc[0]
    assert at_100 >= 100
    with pytest.raises(ValueError):
        truncation_time(km, -1)


def test_km_failure_and_cumulative_hazard(data):
    km = kaplan_meier(data, "os_months", "os_event")
    ax = plot_km(km, kind="failure", endpoint="os", risk_table=False)
    y = ax.get_lines()[0].get_ydata()
    assert y[0] == 0 and np.all(np.diff(y) >= -1e-12)
    assert ax.get_ylabel() == "Cumulative incidence of death"
    plt.close(ax.figure)
    ax = plot_km(km, kind="cumhaz", risk_table=False)
    tab = km.table
    expected = np.cumsum(tab["n_event"] / tab["n_risk"])
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata()[1:], expected)
    plt.close(ax.figure)
    with pytest.raises(ValueError):
        plot_km(km, kind="odds")


def test_km_width_is_constant_whatever_the_group_names(data):
    widths = []
    for col in ("ras_class", "sex"):
        km = kaplan_meier(data, "os_months", "os_event", by=col)
        ax = plot_km(km, endpoint="os")
        fig = ax.figure
        fig.canvas.draw()
        box = fig.get_tightbbox(fig.canvas.get_renderer())
        widths.append(box.width)
        plt.close(fig)
    assert widths[0] == pytest.approx(widths[1], abs=0.08)
    assert widths[0] == pytest.approx(3.5, abs=0.1)


def test_forest_columns_and_agreement_with_the_table(data):
    from crlm_outcomes.report.regression_table import regression_table

    fit = cox(data, "age_at_diagnosis + sex + ras_class", "os_months", "os_event")
    ax = fit.plot()
    texts = _texts(ax)
    for head in (
        "Variable",
        "N/events",
        "HR (95% CI)",
        "p",
        "RAS status",
        "Wild type",
        "Reference",
        "Age at diagnosis (per year)",
    ):
        assert head in texts, head
    reg = regression_table(fit).table
    shown = [t for t in reg["HR (95% CI)"] if t and "reference" not in t]
    assert all(s in texts for s in shown)
    # N/events of the levels add up to the model's n and events
    ras = reg[reg["variable"] == "RAS status"]
    ras = ras[ras["level"] != ""]
    assert sum(int(v) for v in ras["N"]) == fit.n
    assert sum(int(v) for v in ras["events"]) == fit.n_event
    # ticks cover every interval
    lo = fit.table["lower"].min()
    hi = fit.table["upper"].max()
    ticks = ax.get_xticks()
    assert ticks.min() <= lo and ticks.max() >= hi
    plt.close(ax.figure)


def test_fine_gray_forest_and_table(data):
    from crlm_outcomes.report.regression_table import regression_table

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fg = fine_gray(data, "age_at_diagnosis + ras_class", "rfs_months", "rfs_cause")
    ax = fg.plot()
    assert "SHR (95% CI)" in _texts(ax)
    assert ax.get_xlabel().startswith("Subdistribution hazard ratio")
    plt.close(ax.figure)
    reg = regression_table(fg, title="Fine-Gray")
    assert "SHR (95% CI)" in reg.table.columns
    assert "1 (reference)" in set(reg.table["SHR (95% CI)"])
    levels = reg.table[(reg.table["variable"] == "RAS status") & (reg.table["level"] != "")]
    assert sum(int(v) for v in levels["N"]) == fg.n


def test_empty_reference_level_is_not_the_reference(data):
    df = data.assign(
        ras_class=pd.Categorical(
            data["ras_class"].astype(str),
            categories=["unknown_first", "wild_type", "mutant", "incomplete_testing"],
        )
    )
    fit = cox(df, "ras_class", "os_months", "os_event")
    assert fit.state.design.references["ras_class"] == "wild_type"
    assert np.isfinite(fit.table["hr"]).all()


def test_schoenfeld_axis_in_months_with_p_and_zero_line(data):
    fit = cox(data, "age_at_diagnosis + sex", "os_months", "os_event")
    ax = fit.plot_schoenfeld("age_at_diagnosis", endpoint="os")
    assert ax.get_xlabel() == "Months from diagnosis of liver metastases"
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert all(lab.isdigit() for lab in labels) and labels
    assert "PH test p = " in ax.get_title(loc="left")
    assert any(np.allclose(ln.get_ydata(), 0) for ln in ax.get_lines())
    plt.close(ax.figure)


def test_flow_boxes_equal_widths_no_zero_exclusions_and_touching_arrows():
    steps = [
        {"label": "Records in the source file", "n": 100},
        {"label": "Records loaded", "n": 100, "excluded": 0, "reason": "Failed"},
        {"label": "Adults", "n": 90, "excluded": 10, "reason": "Age < 18"},
    ]
    ax = plot_flow(steps)
    texts = _texts(ax)
    assert not any(t.startswith("Excluded, n = 0") for t in texts)
    assert texts[-1].startswith("Excluded, n = 10")
    assert any(t.startswith("Analysis cohort\nAdults") for t in texts)
    boxes = [p for p in ax.patches]
    main = [b for b in boxes if b.get_x() < 0.5]
    assert len({round(b.get_width(), 9) for b in main}) == 1
    # every vertical arrow starts at a box's bottom edge and ends at the next box's top
    edges = {round(b.get_y(), 9) for b in main} | {
        round(b.get_y() + b.get_height(), 9) for b in main
    }
    arrows = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
    vertical = [a for a in arrows if a.xy[0] == a.xyann[0]]
    assert vertical and all(
        round(a.xy[1], 9) in edges and round(a.xyann[1], 9) in edges for a in vertical
    )
    plt.close(ax.figure)


def test_svg_text_stays_text(data, tmp_path):
    km = kaplan_meier(data, "os_months", "os_event", by="sex")
    ax = plot_km(km, endpoint="os")
    out = savefig_deterministic(ax.figure, tmp_path / "km.svg")
    svg = out.read_text()
    assert "<text" in svg and "Overall survival" in svg and "Female" in svg
    again = savefig_deterministic(ax.figure, tmp_path / "km2.svg")
    assert out.read_bytes() == again.read_bytes()
    plt.close(ax.figure)

"""plots.forest: rows (reference levels, not-estimable terms) and the drawn figure."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from crlm_outcomes.errors import DataQualityWarning  # noqa: E402
from crlm_outcomes.plots.forest import forest_rows  # noqa: E402
from crlm_outcomes.survival.cox import cox  # noqa: E402

REF = Path(__file__).resolve().parents[1] / "reference" / "cox"


def veteran():
    df = pd.read_csv(REF / "data_veteran.csv")
    levels = (REF / "levels_celltype.txt").read_text().split()
    df["celltype"] = pd.Categorical(df["celltype"], categories=levels)
    return df


def test_rows_include_reference_level_first():
    fit = cox(veteran(), "trt + celltype + karno", "time", "status")
    rows = forest_rows(fit)
    assert rows["label"].tolist() == [
        "trt",
        "celltype",
        "squamous",
        "smallcell",
        "adeno",
        "large",
        "karno",
    ]
    assert rows["kind"].tolist() == [
        "continuous",
        "header",
        "reference",
        "level",
        "level",
        "level",
        "continuous",
    ]
    ref = rows[rows["kind"] == "reference"]
    assert ref["label"].tolist() == ["squamous"] and ref["hr"].tolist() == [1.0]
    est = rows[rows["kind"].isin(["level", "continuous"])]
    np.testing.assert_allclose(est["hr"], fit.table["hr"])
    # patients per level add up to the model's n
    assert rows.loc[rows["variable"] == "celltype", "n"].sum() == fit.n


def test_wrapped_categorical_and_unused_level_not_estimable():
    df = veteran()
    df["arm"] = pd.Categorical(
        np.where(df["trt"] == 1, "std", "test"), categories=["std", "test", "unused"]
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = cox(df, "C(arm) + karno", "time", "status")
    assert any(
        issubclass(w.category, DataQualityWarning) and "arm" in str(w.message) for w in caught
    )
    rows = forest_rows(fit)
    assert rows["label"].tolist()[:4] == ["arm", "std", "test", "unused"]
    assert rows["kind"].tolist()[:4] == ["header", "reference", "level", "not_estimable"]


def test_plot_log_axis_and_labels():
    fit = cox(veteran(), "trt + celltype + karno", "time", "status")
    ax = fit.plot_forest(labels={"celltype": "Cell type"})
    assert ax.get_xscale() == "log"
    labels = [t.get_text() for t in ax.texts]
    assert "Cell type" in labels and "Squamous" in labels and "Reference" in labels
    assert "95% CI" in ax.get_xlabel()
    plt.close(ax.figure)
    fig, ax2 = plt.subplots()
    assert fit.plot(ax=ax2) is ax2
    plt.close(fig)


def test_hazard_ratio_axis_is_labelled_with_plain_numbers():
    fit = cox(veteran(), "trt + celltype + karno", "time", "status")
    ax = fit.plot_forest()
    ax.figure.canvas.draw()
    ticks = ax.get_xticks()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    plt.close(ax.figure)
    assert 1.0 in ticks
    assert all(label and "10^" not in label and "times" not in label for label in labels)
    assert labels[list(ticks).index(1.0)] == "1"

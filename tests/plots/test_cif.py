"""plot_cif: curves, bands, stacked view, errors."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from crlm_outcomes.errors import SpecError  # noqa: E402
from crlm_outcomes.plots.cif import plot_cif  # noqa: E402
from crlm_outcomes.plots.style import savefig_deterministic  # noqa: E402
from crlm_outcomes.survival.competing_risks import cumulative_incidence  # noqa: E402

REF = Path(__file__).resolve().parents[1] / "reference" / "competing_risks"


@pytest.fixture(scope="module")
def result():
    df = pd.read_csv(REF / "data_synthetic.csv")
    return cumulative_incidence(df, "time", "status", "stage")


def test_lines_per_group_and_cause(result):
    ax = plot_cif(result, ci=True, cause_labels={1: "Recurrence", 2: "Death"})
    assert len(ax.get_lines()) == 3 * 2
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    # colour = group, line style = event type
    assert labels == ["I", "II", "III", "Recurrence", "Death"]
    # the drawn curve ends at the group's last follow-up and equals the table
    line = ax.get_lines()[0]
    x, y = line.get_data()
    cur = result.table[(result.table["group"] == "I") & (result.table["cause"] == 1)]
    assert x[-1] == result.follow_up.set_index("group").loc["I", "max_time"]
    np.testing.assert_allclose(y[:-1], cur["estimate"])
    assert len(ax.collections) == 6  # CI bands
    plt.close("all")


def test_single_cause_and_method(result):
    ax = result.plot(causes=[1])
    assert len(ax.get_lines()) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["I", "II", "III"]
    plt.close("all")


def test_stacked_top_is_all_cause_incidence(result, tmp_path):
    ax = plot_cif(result, stacked=True, groups=["II"])
    top = ax.get_lines()[-1].get_data()[1]
    at = result.at([ax.get_lines()[-1].get_data()[0][-1]])
    assert top[-1] == pytest.approx(at[at["group"] == "II"]["estimate"].sum())
    out = savefig_deterministic(ax.figure, tmp_path / "cif.png")
    assert out.stat().st_size > 0
    with pytest.raises(SpecError):
        plot_cif(result, stacked=True)
    with pytest.raises(SpecError):
        plot_cif(result, groups=["IV"])
    with pytest.raises(SpecError):
        plot_cif(result, causes=[3])
    plt.close("all")

"""plots.schoenfeld: the smooth of plot.cox.zph against R, and the figure itself."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from crlm_outcomes.errors import SpecError  # noqa: E402
from crlm_outcomes.plots.schoenfeld import zph_smooth  # noqa: E402
from crlm_outcomes.survival.cox import cox  # noqa: E402

REF = Path(__file__).resolve().parents[1] / "reference" / "cox"


@pytest.fixture(scope="module")
def veteran_fit():
    df = pd.read_csv(REF / "data_veteran.csv")
    levels = (REF / "levels_celltype.txt").read_text().split()
    df["celltype"] = pd.Categorical(df["celltype"], categories=levels)
    return cox(df, "trt + celltype + karno + age", "time", "status")


def test_smooth_matches_plot_cox_zph(veteran_fit):
    z = veteran_fit.zph()
    ref = pd.read_csv(REF / "zph_smooth_veteran_karno.csv")
    grid, fit, band = zph_smooth(z.x, z.y["karno"].to_numpy(), float(z.var.loc["karno", "karno"]))
    np.testing.assert_allclose(grid, ref["grid"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit, ref["fit"], rtol=1e-6)
    np.testing.assert_allclose(band, ref["band"], rtol=1e-6)


def test_plot_draws_points_and_smooth(veteran_fit):
    ax = veteran_fit.plot_schoenfeld("karno")
    assert len(ax.collections[0].get_offsets()) == veteran_fit.n_event
    assert len(ax.lines) == 4  # zero line, smooth and its band
    assert "karno" in ax.get_title(loc="left") and "PH test p" in ax.get_title(loc="left")
    plt.close(ax.figure)


def test_plot_on_given_axes_and_unknown_term(veteran_fit):
    fig, ax = plt.subplots()
    assert veteran_fit.plot_schoenfeld("celltype", ax=ax) is ax
    with pytest.raises(SpecError, match="unknown term"):
        veteran_fit.plot_schoenfeld("nope", ax=ax)
    plt.close(fig)

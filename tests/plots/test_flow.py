"""The cohort flow diagram."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from crlm_outcomes.errors import InputError  # noqa: E402
from crlm_outcomes.plots.flow import flow_steps_frame, plot_flow  # noqa: E402

STEPS = [
    {"label": "Records in the source", "n": 1500},
    {"label": "Records loaded", "n": 1490, "excluded": 10, "reason": "quarantined"},
    {"label": "Liver resection", "n": 900, "excluded": 590, "reason": "no resection"},
    {"label": "Adults", "n": "<11", "excluded": "‡", "reason": "suppressed counts pass through"},
]


def _texts(ax: plt.Axes) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_returns_axes_with_one_box_per_step_and_exclusions():
    ax = plot_flow(STEPS)
    texts = _texts(ax)
    assert isinstance(ax, plt.Axes)
    assert sum(t.startswith(("Records", "Liver", "Analysis")) for t in texts) == 4
    assert "Records in the source\nn = 1,500" in texts
    assert any(t.startswith("Excluded, n = 590") for t in texts)
    assert "Analysis cohort\nAdults\nn = <11" in texts
    assert any(t.startswith("Excluded, n = ‡") for t in texts)
    plt.close(ax.figure)


def test_draws_on_given_axes():
    fig, given = plt.subplots()
    assert plot_flow(pd.DataFrame(STEPS[:2]), ax=given) is given
    plt.close(fig)


def test_first_step_has_no_exclusion_box():
    ax = plot_flow(STEPS[:1])
    assert _texts(ax) == ["Records in the source\nn = 1,500"]
    plt.close(ax.figure)


def test_bad_steps_are_input_errors():
    with pytest.raises(InputError, match="at least one step"):
        plot_flow([])
    with pytest.raises(InputError, match="label"):
        flow_steps_frame([{"n": 3}])

"""Report figures that add small-cell suppression to the library's plots.

The curves themselves are drawn by the survival results' own ``plot`` methods; what this module
adds is what a registry data-use agreement restricts: the numbers-at-risk table under a
Kaplan-Meier plot, drawn from counts that have passed :mod:`crlm_outcomes.report.suppression`.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import matplotlib.transforms as mtransforms
import numpy as np
import pandas as pd

from crlm_outcomes.labels import Labels
from crlm_outcomes.plots.style import palette
from crlm_outcomes.report.suppression import SuppressionPolicy, format_count, primary_mask

__all__ = ["time_grid", "at_risk_table", "draw_at_risk", "plot_km_with_risk"]


def time_grid(max_time: float, step: float | None = None) -> np.ndarray:
    """Tick times from 0 to ``max_time``: every 12 months, or 24/6 for long/short follow-up."""
    if step is None:
        step = 24.0 if max_time > 96 else (12.0 if max_time > 24 else 6.0)
    return np.arange(0.0, max_time + 1e-9, step)


def at_risk_table(km, times: Sequence[float], policy: SuppressionPolicy) -> pd.DataFrame:
    """Numbers at risk per group (rows) and time (columns) as published text.

    Counts below the threshold are masked (``<11``). No complementary suppression is needed:
    the counts of one row are not linked by a published total, and no overall row is shown.
    """
    at = km.at(list(times), extend=True)
    labels = [str(g) for g in km.group_labels if g in set(at["group"])]
    counts = at.pivot_table(index="group", columns="time", values="n_risk", sort=False,
                            observed=True)
    counts.index = [str(g) for g in counts.index]
    counts = counts.reindex(labels)
    mask = primary_mask(counts.to_numpy(), policy.threshold,
                        suppress_zero=policy.suppress_zero) if policy.enabled else np.zeros(
        counts.shape, bool)
    text = [[format_count(v, int(m), policy) for v, m in zip(row, mrow, strict=True)]
            for row, mrow in zip(counts.to_numpy(), mask, strict=True)]
    out = pd.DataFrame(text, index=labels, columns=[f"{t:g}" for t in counts.columns])
    out.index.name = "group"
    return out


def draw_at_risk(ax: plt.Axes, table: pd.DataFrame, times: Sequence[float],
                 colours: Sequence[str] | None = None) -> plt.Axes:
    """Write a numbers-at-risk table (strings) under ``ax``, aligned with the time ticks."""
    colours = list(colours or palette(len(table)))
    trans = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
    lab_trans = mtransforms.blended_transform_factory(ax.transAxes, ax.transAxes)
    top = -0.2
    gap = 0.075
    ax.text(0.0, top, "Number at risk", transform=lab_trans, ha="left", va="top",
            fontsize=6.5, fontweight="bold")
    for i, (label, row) in enumerate(table.iterrows()):
        y = top - gap * (i + 1)
        ax.text(-0.07, y, str(label), transform=lab_trans, ha="right", va="top", fontsize=6,
                color=colours[i % len(colours)])
        for t, value in zip(times, row.to_numpy(), strict=True):
            ax.text(t, y, str(value), transform=trans, ha="center", va="top", fontsize=6)
    return ax


def plot_km_with_risk(km, ax: plt.Axes | None = None, *, policy: SuppressionPolicy | None = None,
                      max_time: float | None = None, title: str | None = None,
                      xlabel: str | None = None, ylabel: str | None = None,
                      endpoint: str | None = None, labels: Labels | None = None,
                      pvalue: float | None = None, min_at_risk: float | None = None,
                      median_line: bool = False) -> plt.Axes:
    """Kaplan-Meier curves with a (suppressed) numbers-at-risk table underneath.

    The curves are :func:`crlm_outcomes.plots.km.plot_km`'s; the numbers at risk printed are
    the published ones (:func:`at_risk_table`), so a count the tables mask is masked here too.

    Parameters
    ----------
    km
        A :class:`~crlm_outcomes.survival.kaplan_meier.KaplanMeierResult`.
    ax
        Axes to draw on; a new one-column figure when None.
    policy
        Small-cell suppression of the at-risk counts.
    max_time
        Right end of the time axis (default: where the number at risk falls below
        ``min_at_risk``, see :func:`crlm_outcomes.plots.km.truncation_time`).
    title, xlabel, ylabel
        Labels (default: the endpoint's name and its time origin).
    endpoint, labels, pvalue, min_at_risk, median_line
        As :func:`crlm_outcomes.plots.km.plot_km`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from crlm_outcomes.plots.km import plot_km, time_breaks, truncation_time

    policy = policy or SuppressionPolicy(enabled=False)
    end = float(max_time) if max_time is not None else truncation_time(km, min_at_risk)
    times = time_breaks(end)
    table = at_risk_table(km, times, policy)
    return plot_km(km, ax=ax, times=times, xmax=end, labels=labels, endpoint=endpoint,
                   xlabel=xlabel, ylabel=ylabel, pvalue=pvalue, median_line=median_line,
                   risk_counts=table, title=title)

"""Kaplan-Meier figure: step curves, censor marks, confidence bands and a numbers-at-risk table.

The numbers at risk follow R's convention (``summary(fit, times = ticks, extend = TRUE)$n.risk``,
as used by ``survminer::ggsurvplot``): the number at risk just at each tick time, 0 after the
end of follow-up. The table is drawn under the axis with x in data coordinates, so each number
sits exactly under its tick whatever the figure size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FixedLocator

from crlm_outcomes.plots.style import new_axes, palette, publication_style

if TYPE_CHECKING:
    from crlm_outcomes.survival.kaplan_meier import KaplanMeierResult

__all__ = ["plot_km", "risk_table_counts"]


def risk_table_counts(result: KaplanMeierResult, times: Sequence[float]) -> dict[Any, np.ndarray]:
    """Number at risk of each group at ``times`` (R's ``summary(fit, times, extend=TRUE)``)."""
    at = result.at(list(times), extend=True)
    order = np.argsort(np.asarray(times, dtype=float), kind="stable")
    out = {}
    for g in result.group_labels:
        sub = at[at["group"] == g]
        if len(sub) == 0:
            continue
        counts = np.empty(len(times))
        counts[order] = sub["n_risk"].to_numpy(float)
        out[g] = counts
    return out


def _format_count(value: float, integral: bool) -> str:
    return f"{int(round(value))}" if integral else f"{value:.1f}"


def plot_km(result: KaplanMeierResult, ax: plt.Axes | None = None, *, risk_table: bool = True,
            censor_marks: bool = True, ci: bool = True, times: Sequence[float] | None = None,
            colors: Sequence[str] | None = None, labels: Sequence[str] | None = None,
            xlabel: str = "Time", ylabel: str = "Survival probability", legend: bool = True,
            ci_alpha: float = 0.18, risk_table_title: str = "Number at risk",
            xmax: float | None = None) -> plt.Axes:
    """Draw Kaplan-Meier curves of a :class:`KaplanMeierResult`.

    Parameters
    ----------
    result
        From :func:`crlm_outcomes.survival.kaplan_meier`.
    ax
        Axes to draw on; a new one-column figure when ``None``.
    risk_table
        Add the numbers-at-risk table under the axis, one row per group, at the tick times.
    censor_marks
        Mark censoring times with "+" on the curve.
    ci
        Shade the pointwise confidence band (as steps).
    times
        Tick times (and risk-table times); default matplotlib's ticks within the data range.
    colors, labels
        One per group (default Okabe-Ito colours and the group labels).
    xmax
        Right end of the time axis (default the last time).

    Returns
    -------
    matplotlib.axes.Axes
        The curve axes (the risk table is drawn as annotations of it).
    """
    ax = new_axes(ax, height=2.6 if not risk_table else 3.0)
    groups = [g for g in result.group_labels if (result.table["group"] == g).any()]
    colors = list(colors) if colors is not None else palette(len(groups))
    names = list(labels) if labels is not None else [str(g) for g in groups]
    with publication_style():
        end = float(result.table["time"].max()) if xmax is None else float(xmax)
        for g, color, name in zip(groups, colors, names, strict=False):
            sub = result.table[result.table["group"] == g]
            x = np.concatenate(([0.0], sub["time"].to_numpy(float)))
            y = np.concatenate(([1.0], sub["survival"].to_numpy(float)))
            ax.plot(x, y, drawstyle="steps-post", color=color, label=name)
            if ci and result.conf_type != "none":
                lo = np.concatenate(([1.0], sub["lower"].to_numpy(float)))
                hi = np.concatenate(([1.0], sub["upper"].to_numpy(float)))
                ax.fill_between(x, lo, hi, step="post", color=color, alpha=ci_alpha,
                                linewidth=0)
            if censor_marks:
                cens = sub[sub["n_censor"] > 0]
                ax.plot(cens["time"], cens["survival"], linestyle="none", marker="+",
                        markersize=4, markeredgewidth=0.8, color=color)
        ax.set_xlim(0, end * 1.02 if end > 0 else 1)
        ax.set_ylim(0, 1.05)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if times is None:
            ticks = [t for t in ax.get_xticks() if 0 <= t <= end * 1.02]
        else:
            ticks = sorted(float(t) for t in times)
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.set_xlim(0, max(end * 1.02, max(ticks) if ticks else 0))
        if legend and (len(groups) > 1 or labels is not None):
            ax.legend(loc="best")
        if risk_table and ticks:
            _draw_risk_table(ax, result, ticks, groups, colors, names, risk_table_title)
    return ax


def _draw_risk_table(ax: plt.Axes, result: KaplanMeierResult, ticks: list[float],
                     groups: list[Any], colors: list[str], names: list[str], title: str) -> None:
    counts = risk_table_counts(result, ticks)
    integral = bool(np.all(result.table["n_risk"] == np.round(result.table["n_risk"])))
    size = plt.rcParams["xtick.labelsize"]
    size = size if isinstance(size, (int, float)) else 7
    first = 34.0  # points below the axis: below tick labels and the x label
    step = size + 3.0
    ax.annotate(title, xy=(0, 0), xycoords="axes fraction", xytext=(-14, -first),
                textcoords="offset points", ha="right", va="top", fontsize=size,
                fontweight="bold", annotation_clip=False)
    for i, (g, color, name) in enumerate(zip(groups, colors, names, strict=False)):
        offset = -(first + (i + 1) * step)
        ax.annotate(name, xy=(0, 0), xycoords="axes fraction", xytext=(-14, offset),
                    textcoords="offset points", ha="right", va="top", fontsize=size,
                    color=color, annotation_clip=False)
        for t, n in zip(ticks, counts.get(g, np.zeros(len(ticks))), strict=True):
            ax.annotate(_format_count(n, integral), xy=(t, 0),
                        # matplotlib 3.8's stub omits the (x, y) coordinate-system pair
                        xycoords=("data", "axes fraction"),  # type: ignore[arg-type]
                        xytext=(0, offset),
                        textcoords="offset points", ha="center", va="top", fontsize=size,
                        annotation_clip=False, gid="risk-table")

"""Cumulative incidence figures for competing risks.

Curves are right-continuous step functions drawn to each group's last follow-up time, one colour
per group (Okabe–Ito) and one line style per cause, with optional pointwise interval bands. The
stacked view draws, for one group, the cumulative incidence of each cause stacked on top of each
other, so that the top edge is the all-cause incidence (1 - overall Kaplan–Meier); this is the
display recommended when several competing events are shown together (Pintilie M. *Competing
Risks: A Practical Perspective*. Wiley, 2006, chapter 4).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FixedLocator

from crlm_outcomes.labels import Labels, resolve_labels
from crlm_outcomes.plots._risk_rows import draw_risk_rows
from crlm_outcomes.plots.style import (
    ONE_COLUMN_IN,
    figure_of,
    fit_width,
    new_axes,
    palette,
    publication_style,
)

if TYPE_CHECKING:
    from crlm_outcomes.survival.competing_risks import CumulativeIncidence

__all__ = ["plot_cif"]

_LINESTYLES: list[Literal["-", "--", ":", "-."]] = ["-", "--", ":", "-."]


def _step_xy(
    cur: pd.DataFrame, end: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    t = cur["time"].to_numpy()
    x = np.append(t, max(end, t[-1]))
    y = np.append(cur["estimate"].to_numpy(), cur["estimate"].to_numpy()[-1])
    lo = np.append(cur["lower"].to_numpy(), cur["lower"].to_numpy()[-1])
    hi = np.append(cur["upper"].to_numpy(), cur["upper"].to_numpy()[-1])
    return x, y, lo, hi


def plot_cif(
    result: CumulativeIncidence,
    ax: plt.Axes | None = None,
    *,
    causes: Sequence[int] | None = None,
    groups: Sequence[Hashable] | None = None,
    ci: bool = True,
    stacked: bool = False,
    cause_labels: Mapping[int, str] | None = None,
    xlabel: str | None = None,
    ylabel: str = "Cumulative incidence",
    legend: bool = True,
    labels: Labels | Mapping[str, Any] | None = None,
    endpoint: str | None = "rfs",
    xmax: float | None = None,
    times: Sequence[float] | None = None,
    risk_counts: pd.DataFrame | None = None,
    pvalues: Mapping[int, float] | None = None,
) -> plt.Axes:
    """Plot cumulative incidence curves.

    Parameters
    ----------
    result
        A :class:`~crlm_outcomes.survival.competing_risks.CumulativeIncidence`.
    ax
        Axes to draw on (a new one-column figure if None).
    causes, groups
        Subsets to draw (default: all).
    ci
        Shade the pointwise intervals (``result.conf_type``).
    stacked
        Stack the causes of one group (requires a single group, or ``groups=[label]``).
    cause_labels
        Display names, e.g. ``{1: "Recurrence", 2: "Death without recurrence"}`` (default:
        the level labels of ``rfs_cause`` from the schema).
    xlabel, ylabel, legend
        Labels (default x label: months from the endpoint's origin) and legend switch; the
        legend sits above the axes, off the curves.
    labels
        Display labels (:func:`crlm_outcomes.labels.resolve_labels`) of the groups.
    endpoint
        Endpoint whose time origin names the x axis (default ``rfs``).
    xmax, times
        Right end of the time axis and its ticks (default: the last follow-up and every 12 or
        24 months, as the Kaplan-Meier figures).
    risk_counts
        Numbers at risk to print under the axis (rows = groups in order, one column per
        tick), e.g. from the data and after small-cell suppression.
    pvalues
        Gray's test p per cause, printed in the plot.

    Returns
    -------
    matplotlib.axes.Axes
        The curve axes (the numbers at risk are drawn as annotations of it).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> from crlm_outcomes.survival.competing_risks import cumulative_incidence
    >>> d = pd.DataFrame({"t": [3, 5, 8, 12, 15, 20, 24, 30], "status": [1, 2, 0, 1, 1, 2, 0, 1]})
    >>> ax = plot_cif(cumulative_incidence(d, "t", "status"), ci=False,
    ...               cause_labels={1: "Recurrence", 2: "Death without recurrence"})
    >>> len(ax.get_lines()), [t.get_text() for t in ax.get_legend().get_texts()]
    (2, ['Recurrence', 'Death without recurrence'])
    >>> ax.get_xlabel()
    'Months from curative liver-directed treatment'
    >>> plt.close(ax.figure)
    """
    from crlm_outcomes.plots.km import time_breaks

    lab = resolve_labels(labels)
    causes, all_groups, groups = _selection(result, causes, groups, stacked)
    cause_names = {c: lab.level("rfs_cause", c) if c in (1, 2) else str(c) for c in causes}
    cause_names |= dict(cause_labels or {})
    by = result.by[0] if len(result.by) == 1 else None
    group_names = {g: lab.level(by, g) if by else str(g) for g in all_groups}
    end = dict(zip(result.follow_up["group"], result.follow_up["max_time"], strict=True))
    right = float(xmax) if xmax is not None else float(max(end[g] for g in groups))
    ticks = list(times) if times is not None else time_breaks(right)
    new_figure = ax is None
    n_rows = len(groups) if risk_counts is not None else 0
    ax = new_axes(ax, height=2.5 + (0.16 * (n_rows + 1) + 0.35 if n_rows else 0.0))
    with publication_style():
        if stacked:
            top = _draw_stacked(ax, result, groups[0], causes, cause_names, end[groups[0]], right)
        else:
            sel = _Selection(all_groups, groups, causes, group_names, cause_names)
            top = _draw_curves(ax, result, sel, end, right, ci)
        _format_axes(ax, right, ticks, 1.0 if stacked else _ceiling(top))
        ax.set_xlabel(xlabel if xlabel is not None else lab.time_label(endpoint))
        ax.set_ylabel(ylabel)
        if legend:
            _legend(ax, stacked, all_groups, groups, causes, group_names, cause_names)
        if pvalues:
            _draw_pvalues(ax, pvalues, cause_names)
        if risk_counts is not None:
            colours = palette(len(all_groups))
            _draw_risk(
                ax,
                risk_counts,
                ticks,
                [colours[all_groups.index(g)] for g in groups] if not stacked else palette(1),
                [group_names[g] for g in groups],
            )
        if new_figure:
            fit_width(figure_of(ax), ONE_COLUMN_IN)
    return ax


def _selection(
    result: CumulativeIncidence,
    causes: Sequence[int] | None,
    groups: Sequence[Hashable] | None,
    stacked: bool,
) -> tuple[list[int], list[Any], list[Any]]:
    """The causes, all groups and the groups to draw; unknown ones are a :class:`SpecError`."""
    from crlm_outcomes.errors import SpecError

    causes = list(result.causes if causes is None else causes)
    all_groups = list(result.follow_up["group"])
    groups = all_groups if groups is None else list(groups)
    unknown = [g for g in groups if g not in all_groups]
    if unknown:
        raise SpecError(
            "unknown group(s) for the plot", value=unknown, expected=f"among {all_groups}"
        )
    bad = [c for c in causes if c not in result.causes]
    if bad:
        raise SpecError(
            "unknown cause(s) for the plot", value=bad, expected=f"among {list(result.causes)}"
        )
    if stacked and len(groups) != 1:
        raise SpecError(
            "the stacked view shows one group", value=groups, expected="groups=[one label]"
        )
    return causes, all_groups, groups


@dataclass(frozen=True)
class _Selection:
    """The groups and causes drawn, with their display names."""

    all_groups: list[Any]
    groups: list[Any]
    causes: list[int]
    group_names: Mapping[Any, str]
    cause_names: Mapping[int, str]

    def curve_name(self, g: Any, c: int) -> str:
        """Legend entry of one curve: the cause, the group, or both."""
        if len(self.all_groups) == 1:
            return self.cause_names[c]
        if len(self.causes) == 1:
            return self.group_names[g]
        return f"{self.group_names[g]}: {self.cause_names[c].lower()}"


def _draw_stacked(
    ax: plt.Axes,
    result: CumulativeIncidence,
    g: Any,
    causes: list[int],
    cause_names: Mapping[int, str],
    end: float,
    right: float,
) -> float:
    """The causes of one group stacked on each other; returns the top edge's maximum."""
    colours = palette(len(causes))
    grid = np.unique(result.table.loc[result.table["group"] == g, "time"])
    grid = np.append(grid, end)
    at = result.at(grid.tolist())
    base = np.zeros(grid.shape[0])
    for i, c in enumerate(causes):
        est = at.loc[(at["group"] == g) & (at["cause"] == c), "estimate"].to_numpy()
        top_edge = base + est
        ax.fill_between(
            grid,
            base,
            top_edge,
            step="post",
            color=colours[i],
            alpha=0.55,
            linewidth=0,
            label=cause_names[c],
        )
        ax.step(grid, top_edge, where="post", color=colours[i], linewidth=0.8)
        base = top_edge
    return float(np.nanmax(base[grid <= right])) if (grid <= right).any() else 1.0


def _draw_curves(
    ax: plt.Axes,
    result: CumulativeIncidence,
    sel: _Selection,
    end: Mapping[Any, float],
    right: float,
    ci: bool,
) -> float:
    """One step curve (and band) per group and cause; returns the highest value shown."""
    top = 0.0
    colours = palette(len(sel.all_groups))
    for gi, g in enumerate(sel.all_groups):
        if g not in sel.groups:
            continue
        for ci_, c in enumerate(sel.causes):
            cur = result.table[(result.table["group"] == g) & (result.table["cause"] == c)]
            x, y, lo, hi = _step_xy(cur, end[g])
            ax.step(
                x,
                y,
                where="post",
                color=colours[gi],
                linestyle=_LINESTYLES[ci_ % len(_LINESTYLES)],
                label=sel.curve_name(g, c),
            )
            shown = x <= right
            top = max(top, float(np.nanmax(y[shown])) if shown.any() else 0.0)
            if ci:
                lo0, hi0 = np.nan_to_num(lo, nan=0.0), np.nan_to_num(hi, nan=1.0)
                ax.fill_between(
                    x, lo0, hi0, step="post", color=colours[gi], alpha=0.12, linewidth=0
                )
                top = max(top, float(np.nanmax(hi0[shown])) if shown.any() else 0.0)
    return top


def _ceiling(top: float) -> float:
    """Upper y limit: the next tenth above the highest value shown, between 0.1 and 1."""
    return min(1.0, max(0.1, np.ceil(top * 10 + 0.5) / 10))


def _format_axes(ax: plt.Axes, right: float, ticks: list[float], ceiling: float) -> None:
    """Time axis from 0 to ``right`` with the given ticks; y axis from 0 to ``ceiling``."""
    ax.set_xlim(0, right * 1.02 if right > 0 else 1)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _p: f"{v:g}"))
    ax.set_ylim(0, ceiling)


def _draw_pvalues(ax: plt.Axes, pvalues: Mapping[int, float], cause_names: Mapping) -> None:
    """Gray's test p of each cause, top left inside the axes."""
    from crlm_outcomes.plots.km import format_p_plot

    text = "\n".join(
        format_p_plot(p, f"Gray's test, {cause_names.get(c, str(c)).lower()}:").replace(": p", " p")
        for c, p in pvalues.items()
        if np.isfinite(p)
    )
    ax.text(
        0.03,
        0.97,
        text,
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize=plt.rcParams["legend.fontsize"],
    )


def _legend(
    ax: plt.Axes,
    stacked: bool,
    all_groups: list[Any],
    groups: list[Any],
    causes: list[int],
    group_names: Mapping[Any, str],
    cause_names: Mapping[int, str],
) -> None:
    """Legend above the axes, off the curves: colour = group, line style = event type."""
    from matplotlib.lines import Line2D

    if stacked or len(all_groups) == 1 or len(causes) == 1:
        handles, names = ax.get_legend_handles_labels()
    else:
        colours = palette(len(all_groups))
        handles = [Line2D([], [], color=colours[all_groups.index(g)]) for g in groups]
        names = [group_names[g] for g in groups]
        handles += [
            Line2D([], [], color="0.25", linestyle=_LINESTYLES[i % len(_LINESTYLES)])
            for i in range(len(causes))
        ]
        names += [cause_names[c] for c in causes]
    ax.legend(
        handles,
        names,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.01),
        ncol=2 if len(names) > 1 else 1,
        borderaxespad=0.0,
        handlelength=2.2,
        columnspacing=1.2,
        frameon=False,
    )


def _draw_risk(
    ax: plt.Axes, table: pd.DataFrame, ticks: Sequence[float], colours: list[str], names: list[str]
) -> None:
    """Numbers at risk under the axis, as the Kaplan-Meier figures print them."""
    draw_risk_rows(ax, table.astype(str).to_numpy().tolist(), ticks, colours, names)

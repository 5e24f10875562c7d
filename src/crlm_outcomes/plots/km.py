"""Kaplan-Meier figure: step curves, censor marks, confidence bands and a numbers-at-risk table.

The numbers at risk follow R's convention (``summary(fit, times = ticks, extend = TRUE)$n.risk``,
as used by ``survminer::ggsurvplot``): the number at risk just at each tick time, 0 after the
end of follow-up. The table is drawn under the axis with x in data coordinates, so each number
sits exactly under its tick whatever the figure size.

Labels are readable by default (:mod:`crlm_outcomes.labels`): the y axis names the endpoint
("Overall survival"), the x axis its unit and time origin ("Months from liver resection"), the
legend and the risk table the groups' level labels. The time axis stops where few patients
remain at risk (default: fewer than 10% of those at the start, or fewer than 10 patients), as
the tail of a Kaplan-Meier curve resting on a handful of patients misleads the eye (Pocock,
Clayton & Altman, *Lancet* 2002;359:1686-1689).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FixedLocator

from crlm_outcomes.errors import SpecError
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
    from crlm_outcomes.survival.kaplan_meier import KaplanMeierResult

__all__ = ["plot_km", "risk_table_counts", "truncation_time", "time_breaks", "format_p_plot"]

_KINDS = ("survival", "failure", "cumhaz")


def risk_table_counts(
    result: KaplanMeierResult, times: Sequence[float] | np.ndarray
) -> dict[Any, np.ndarray]:
    """Number at risk of each group at ``times`` (R's ``summary(fit, times, extend=TRUE)``).

    Parameters
    ----------
    result
        A Kaplan-Meier result.
    times
        Times at which to count (any order; 0 after the end of a group's follow-up).

    Returns
    -------
    dict
        Group label -> float array of the numbers at risk, in the order of ``times``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.survival.kaplan_meier import kaplan_meier
    >>> d = pd.DataFrame({"t": [5, 8, 12, 20, 30, 40], "e": [1, 0, 1, 1, 0, 1],
    ...                   "arm": ["a", "b", "a", "b", "a", "b"]})
    >>> counts = risk_table_counts(kaplan_meier(d, "t", "e", by="arm"), [0, 12, 24, 36])
    >>> {g: v.tolist() for g, v in counts.items()}
    {'a': [3.0, 2.0, 1.0, 0.0], 'b': [3.0, 2.0, 1.0, 1.0]}
    """
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


def truncation_time(result: KaplanMeierResult, min_at_risk: float | None = None) -> float:
    """Last time at which the number at risk (all groups together) is at least the threshold.

    Parameters
    ----------
    result
        A Kaplan-Meier result.
    min_at_risk
        ``None``: the default rule, the larger of 10% of the patients at the start and 10
        patients; a number in (0, 1): that fraction of the start; a number >= 1: patients;
        0: no truncation (the last follow-up time).

    Returns
    -------
    float
        The time where the axis ends.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.survival.kaplan_meier import kaplan_meier
    >>> d = pd.DataFrame({"t": range(1, 101), "e": [1] * 100})
    >>> truncation_time(kaplan_meier(d, "t", "e"))  # 10 still at risk at t = 91
    91.0
    """
    table = result.table
    times = np.unique(table["time"].to_numpy(float))
    if times.size == 0:
        return 0.0
    last = float(times[-1])
    if min_at_risk is not None and min_at_risk < 0:
        raise SpecError(
            "min_at_risk must be >= 0",
            value=min_at_risk,
            expected="0 (no cut), a fraction in (0, 1) or a number of patients",
        )
    if min_at_risk == 0:
        return last
    counts = risk_table_counts(result, times)
    total = np.sum(list(counts.values()), axis=0)
    start = float(total[0])
    if min_at_risk is None:
        threshold = max(0.1 * start, 10.0)
    elif min_at_risk < 1:
        threshold = float(min_at_risk) * start
    else:
        threshold = float(min_at_risk)
    ok = np.flatnonzero(total >= threshold)
    return float(times[ok[-1]]) if ok.size else last


def time_breaks(end: float, step: float | None = None) -> list[float]:
    """Ticks from 0: every 12 months (24 beyond 96 months, 6 below 24), up to ``end``.

    Parameters
    ----------
    end
        Right end of the time axis (months).
    step
        Tick spacing; None chooses it from ``end`` as above.

    Returns
    -------
    list of float
        Tick times from 0 up to ``end`` inclusive.

    Examples
    --------
    >>> time_breaks(61.0)
    [0.0, 12.0, 24.0, 36.0, 48.0, 60.0]
    """
    if step is None:
        step = 24.0 if end > 96 else (12.0 if end > 24 else 6.0)
    return [float(v) for v in np.arange(0.0, end + 1e-9, step)]


def format_p_plot(p: float, name: str = "Log-rank") -> str:
    """``Log-rank p = 0.012`` (``p < 0.001`` below that).

    Parameters
    ----------
    p
        The p-value.
    name
        Name of the test, printed before ``p``.

    Returns
    -------
    str
        The label printed in the figure, p to three decimals.

    Examples
    --------
    >>> format_p_plot(0.01234)
    'Log-rank p = 0.012'
    >>> format_p_plot(0.0002, "Gray's test")
    "Gray's test p < 0.001"
    """
    return f"{name} p < 0.001" if p < 0.001 else f"{name} p = {p:.3f}"


def _format_count(value: float, integral: bool) -> str:
    return f"{int(round(value))}" if integral else f"{value:.1f}"


def _group_names(
    result: KaplanMeierResult, groups: list[Any], labels: Any, lab: Labels
) -> list[str]:
    if labels is not None and not isinstance(labels, (Mapping, Labels)):
        return [str(x) for x in labels]
    if not result.by:
        return ["All patients" for _ in groups]
    by = result.by[0] if len(result.by) == 1 else None
    return [lab.level(by, g) if by is not None else str(g) for g in groups]


def plot_km(
    result: KaplanMeierResult,
    ax: plt.Axes | None = None,
    *,
    risk_table: bool = True,
    censor_marks: bool = True,
    ci: bool = True,
    times: Sequence[float] | None = None,
    colors: Sequence[str] | None = None,
    labels: Labels | Mapping[str, Any] | Sequence[str] | None = None,
    endpoint: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    legend: bool = True,
    ci_alpha: float = 0.15,
    risk_table_title: str = "Number at risk",
    xmax: float | None = None,
    min_at_risk: float | None = None,
    pvalue: float | None = None,
    median_line: bool = False,
    kind: str = "survival",
    risk_counts: pd.DataFrame | None = None,
    title: str | None = None,
) -> plt.Axes:
    """Draw Kaplan-Meier curves of a :class:`KaplanMeierResult`.

    Parameters
    ----------
    result
        From :func:`crlm_outcomes.survival.kaplan_meier`.
    ax
        Axes to draw on; a new one-column figure (3.5 in wide, whatever the labels) when None.
    risk_table
        Add the numbers-at-risk table under the axis, one row per group, at the tick times.
    censor_marks
        Mark censoring times with "+" on the curve.
    ci
        Shade the pointwise confidence band (as steps; not for ``kind="cumhaz"``).
    times
        Tick times (and risk-table times); default every 12 months (:func:`time_breaks`).
    colors
        One per group (default Okabe-Ito colours).
    labels
        Display labels: a :class:`~crlm_outcomes.labels.Labels` or a mapping as the spec's
        ``labels:`` (groups are shown by their level labels), or a list of one name per group.
    endpoint
        ``os``, ``rfs`` or ``hepatic_rfs``: names the y axis and the time origin on the x axis.
    xlabel, ylabel
        Override the axis labels.
    xmax
        Right end of the time axis; default where the number at risk falls below
        ``min_at_risk`` (:func:`truncation_time`).
    min_at_risk
        Threshold of :func:`truncation_time` (None = 10% of the start or 10 patients).
    pvalue
        A p-value (e.g. ``logrank(...).p``) printed in the plot as ``Log-rank p = ...``.
    median_line
        Dashed lines at 50% survival down to each group's median.
    kind
        ``survival`` (S), ``failure`` (1 - S, the cumulative incidence without competing
        risks) or ``cumhaz`` (Nelson-Aalen cumulative hazard, sum of events / at risk).
    risk_counts
        Published numbers at risk to print instead of the computed ones (rows = groups in
        order, one column per tick; e.g. suppressed counts such as ``<11``).
    title
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
        The curve axes (the risk table is drawn as annotations of it).

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.survival.kaplan_meier import kaplan_meier
    >>> d = pd.DataFrame({"os_months": [5, 8, 12, 20, 30, 40], "os_event": [1, 0, 1, 1, 0, 1]})
    >>> ax = plot_km(kaplan_meier(d, "os_months", "os_event"), endpoint="os")
    >>> ax.get_ylabel(), ax.get_xlabel()
    ('Overall survival', 'Months from diagnosis of liver metastases')
    """
    if kind not in _KINDS:
        raise SpecError(
            "unknown kind of Kaplan-Meier plot", value=kind, expected=f"one of {_KINDS}"
        )
    lab = resolve_labels(labels if isinstance(labels, (Mapping, Labels)) else None)
    groups = [g for g in result.group_labels if (result.table["group"] == g).any()]
    colors = list(colors) if colors is not None else palette(len(groups))
    names = _group_names(result, groups, labels, lab)
    new_figure = ax is None
    rows = len(groups) * (2 if max((len(n) for n in names), default=0) > 14 else 1)
    rows = rows if risk_table else 0
    ax = new_axes(ax, height=2.5 + (0.16 * (rows + 1) + 0.35 if risk_table else 0.0))
    with publication_style():
        end = truncation_time(result, min_at_risk) if xmax is None else float(xmax)
        ticks = sorted(float(t) for t in times) if times is not None else time_breaks(end)
        right = max(end, max(ticks) if ticks else 0.0)
        top = 0.0
        band = ci and kind != "cumhaz" and result.conf_type != "none"
        for g, color, name in zip(groups, colors, names, strict=False):
            sub = result.table[result.table["group"] == g]
            x, y, lo, hi = _curve_xy(sub, kind)
            keep = x <= right
            top = max(top, float(np.nanmax(y[keep])) if keep.any() else 0.0)
            ax.plot(x, y, drawstyle="steps-post", color=color, label=name)
            if band:
                ax.fill_between(x, lo, hi, step="post", color=color, alpha=ci_alpha, linewidth=0)
            if censor_marks:
                _censor_marks(ax, x, y, (sub["n_censor"] > 0).to_numpy(), color)
        if median_line and kind != "cumhaz":
            _median_lines(ax, result, groups, colors, kind, right)
        ax.set_xlim(0, right * 1.02 if right > 0 else 1)
        _format_y(ax, kind, top)
        ax.set_xlabel(xlabel if xlabel is not None else lab.time_label(endpoint))
        ax.set_ylabel(ylabel if ylabel is not None else _ylabel(lab, endpoint, kind))
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _p: f"{v:g}"))
        if title:
            ax.set_title(title, loc="left")
        if legend and (
            len(groups) > 1 or (labels is not None and not isinstance(labels, (Mapping, Labels)))
        ):
            _legend(ax, result, lab, kind)
        if pvalue is not None and np.isfinite(pvalue):
            _draw_pvalue(ax, pvalue, kind)
        if risk_table and ticks:
            _draw_risk_table(
                ax, result, ticks, groups, colors, names, risk_table_title, risk_counts
            )
        if new_figure:
            fit_width(figure_of(ax), ONE_COLUMN_IN)
    return ax


def _curve_xy(
    sub: pd.DataFrame, kind: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Step coordinates from time 0 of one group's curve and its band, for ``kind``."""
    x = np.concatenate(([0.0], sub["time"].to_numpy(float)))
    s = np.concatenate(([1.0], sub["survival"].to_numpy(float)))
    lo = np.concatenate(([1.0], sub["lower"].to_numpy(float)))
    hi = np.concatenate(([1.0], sub["upper"].to_numpy(float)))
    if kind == "survival":
        return x, s, lo, hi
    if kind == "failure":
        return x, 1.0 - s, 1.0 - hi, 1.0 - lo
    n_risk = sub["n_risk"].to_numpy(float)
    inc = np.divide(
        sub["n_event"].to_numpy(float),
        n_risk,
        out=np.zeros_like(n_risk),
        where=n_risk > 0,
    )
    return x, np.concatenate(([0.0], np.cumsum(inc))), lo, hi


def _censor_marks(ax: plt.Axes, x: np.ndarray, y: np.ndarray, cens: np.ndarray, color: str) -> None:
    """A "+" on the curve at each time with censored patients."""
    ax.plot(
        x[1:][cens],
        y[1:][cens],
        linestyle="none",
        marker="+",
        markersize=3.5,
        markeredgewidth=0.7,
        color=color,
    )


def _format_y(ax: plt.Axes, kind: str, top: float) -> None:
    """Probability axis 0-1 with quarter ticks; cumulative hazard from 0 to above ``top``."""
    if kind == "cumhaz":
        ax.set_ylim(0, max(top * 1.05, 0.05))
    else:
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_locator(FixedLocator([0, 0.25, 0.5, 0.75, 1.0]))
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _p: f"{v:g}"))


def _legend(ax: plt.Axes, result: KaplanMeierResult, lab: Labels, kind: str) -> None:
    """Legend titled with the grouping variable, in the corner the curves leave free."""
    by = result.by[0] if len(result.by) == 1 else None
    leg = ax.legend(
        loc="upper right" if kind == "survival" else "upper left",
        title=lab.variable(by) if by else None,
        handlelength=1.6,
        borderaxespad=0.2,
    )
    if leg.get_title() is not None:
        leg.get_title().set_fontsize(plt.rcParams["legend.fontsize"])


def _draw_pvalue(ax: plt.Axes, pvalue: float, kind: str) -> None:
    """``Log-rank p = ...`` in the corner the curves leave free."""
    ax.text(
        0.03,
        0.04 if kind == "survival" else 0.96,
        format_p_plot(pvalue),
        transform=ax.transAxes,
        ha="left",
        va="bottom" if kind == "survival" else "top",
        fontsize=plt.rcParams["legend.fontsize"],
    )


def _ylabel(lab: Labels, endpoint: str | None, kind: str) -> str:
    if kind == "cumhaz":
        event = lab.events.get(endpoint or "")
        return "Cumulative hazard" + (f" ({event.lower()})" if event is not None else "")
    if kind == "failure":
        event = lab.events.get(endpoint or "")
        return f"Cumulative incidence of {event.lower()}" if event else "Cumulative incidence"
    return lab.endpoint(endpoint) if endpoint else "Survival probability"


def _median_lines(
    ax: plt.Axes,
    result: KaplanMeierResult,
    groups: list[Any],
    colors: list[str],
    kind: str,
    right: float,
) -> None:
    med = result.median().set_index("group")
    level = 0.5
    xs = [float(med.loc[g, "median"]) for g in groups if g in med.index]
    finite = [x for x in xs if np.isfinite(x) and x <= right]
    if not finite:
        return
    ax.plot([0, max(finite)], [level, level], color="0.45", linewidth=0.6, linestyle=":", zorder=1)
    for g, color in zip(groups, colors, strict=False):
        if g not in med.index:
            continue
        x = float(med.loc[g, "median"])
        if np.isfinite(x) and x <= right:
            ax.plot([x, x], [0, level], color=color, linewidth=0.6, linestyle=":", zorder=1)


def _draw_risk_table(
    ax: plt.Axes,
    result: KaplanMeierResult,
    ticks: list[float],
    groups: list[Any],
    colors: list[str],
    names: list[str],
    title: str,
    published: pd.DataFrame | None,
) -> None:
    if published is not None:
        if len(published) != len(groups) or published.shape[1] != len(ticks):
            raise SpecError(
                "risk_counts must have one row per group and one column per tick",
                value=published.shape,
                expected=str((len(groups), len(ticks))),
            )
        cells = [[str(v) for v in row] for row in published.to_numpy()]
    else:
        counts = risk_table_counts(result, ticks)
        integral = bool(np.all(result.table["n_risk"] == np.round(result.table["n_risk"])))
        cells = [
            [_format_count(n, integral) for n in counts.get(g, np.zeros(len(ticks)))]
            for g in groups
        ]
    draw_risk_rows(ax, cells, ticks, colors, names, title)

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
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from crlm_outcomes.plots.style import new_axes, palette, publication_style

if TYPE_CHECKING:
    from crlm_outcomes.survival.competing_risks import CumulativeIncidence

__all__ = ["plot_cif"]

_LINESTYLES = ["-", "--", ":", "-."]


def _step_xy(cur: pd.DataFrame, end: float) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                      np.ndarray]:
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
    ci: bool = False,
    stacked: bool = False,
    cause_labels: Mapping[int, str] | None = None,
    xlabel: str = "Time",
    ylabel: str = "Cumulative incidence",
    legend: bool = True,
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
        Display names, e.g. ``{1: "Recurrence", 2: "Death without recurrence"}``.
    xlabel, ylabel, legend
        Labels and legend switch.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from crlm_outcomes.errors import SpecError

    causes = list(result.causes if causes is None else causes)
    all_groups = list(result.follow_up["group"])
    groups = all_groups if groups is None else list(groups)
    unknown = [g for g in groups if g not in all_groups]
    if unknown:
        raise SpecError("unknown group(s) for the plot", value=unknown,
                        expected=f"among {all_groups}")
    bad = [c for c in causes if c not in result.causes]
    if bad:
        raise SpecError("unknown cause(s) for the plot", value=bad,
                        expected=f"among {list(result.causes)}")
    labels = {c: str(c) for c in causes} | dict(cause_labels or {})
    end = dict(zip(result.follow_up["group"], result.follow_up["max_time"], strict=True))
    ax = new_axes(ax)
    with publication_style():
        if stacked:
            if len(groups) != 1:
                raise SpecError("the stacked view shows one group", value=groups,
                                expected="groups=[one label]")
            g = groups[0]
            colours = palette(len(causes))
            grid = np.unique(result.table.loc[result.table["group"] == g, "time"])
            grid = np.append(grid, end[g])
            at = result.at(grid.tolist())
            base = np.zeros(grid.shape[0])
            for i, c in enumerate(causes):
                est = at.loc[(at["group"] == g) & (at["cause"] == c), "estimate"].to_numpy()
                top = base + est
                ax.fill_between(grid, base, top, step="post", color=colours[i], alpha=0.55,
                                linewidth=0, label=labels[c])
                ax.step(grid, top, where="post", color=colours[i], linewidth=0.8)
                base = top
        else:
            colours = palette(len(all_groups))
            for gi, g in enumerate(all_groups):
                if g not in groups:
                    continue
                for ci_, c in enumerate(causes):
                    cur = result.table[(result.table["group"] == g) & (result.table["cause"] == c)]
                    x, y, lo, hi = _step_xy(cur, end[g])
                    name = labels[c] if len(all_groups) == 1 else f"{g}, {labels[c]}"
                    if len(causes) == 1 and len(all_groups) > 1:
                        name = str(g)
                    ax.step(x, y, where="post", color=colours[gi],
                            linestyle=_LINESTYLES[ci_ % len(_LINESTYLES)], label=name)
                    if ci:
                        ax.fill_between(x, np.nan_to_num(lo, nan=0.0),
                                        np.nan_to_num(hi, nan=1.0), step="post",
                                        color=colours[gi], alpha=0.15, linewidth=0)
        ax.set_xlim(left=0)
        ax.set_ylim(0, 1 if stacked else min(1.0, max(0.05, ax.get_ylim()[1])))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if legend:
            ax.legend(loc="upper left")
    return ax

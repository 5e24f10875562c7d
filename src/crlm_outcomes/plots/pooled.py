"""Figures of results pooled over multiple imputations: forest plot of pooled hazard ratios,
pooled survival curves, pooled RMST, and convergence traces of the imputation chains."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np

from crlm_outcomes.plots.forest import plain_log_ticks
from crlm_outcomes.plots.style import OKABE_ITO, new_axes, palette, publication_style

if TYPE_CHECKING:
    from crlm_outcomes.imputation.pooling import PooledModel, PooledRMST, PooledSurvival

__all__ = [
    "pooled_forest_plot",
    "pooled_survival_plot",
    "pooled_rmst_plot",
    "hr_forest_plot",
    "trace_plot",
]


def hr_forest_plot(
    labels: list[str],
    hr: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    ax: plt.Axes | None = None,
    *,
    xlabel: str = "Hazard ratio (95% CI)",
) -> plt.Axes:
    """Hazard ratios with intervals on a log axis, one row per label (top to bottom)."""
    hr, lower, upper = (np.asarray(v, dtype=np.float64) for v in (hr, lower, upper))
    ax = new_axes(ax, height=max(1.6, 0.22 * len(labels) + 0.8))
    with publication_style():
        y = np.arange(len(labels))[::-1]
        ax.errorbar(
            hr,
            y,
            xerr=[hr - lower, upper - hr],
            fmt="s",
            color=OKABE_ITO[0],
            ecolor=OKABE_ITO[0],
            markersize=4,
            capsize=0,
            linewidth=1.0,
        )
        ax.axvline(1.0, color="0.5", linewidth=0.8, linestyle="--")
        ax.set_xscale("log")
        import pandas as pd

        plain_log_ticks(ax, pd.Series(lower), pd.Series(upper))
        ax.set_yticks(y)
        ax.set_yticklabels(labels)
        ax.set_ylim(-0.7, len(labels) - 0.3)
        ax.set_xlabel(xlabel)
    return ax


def pooled_forest_plot(
    result: PooledModel,
    ax: plt.Axes | None = None,
    *,
    labels=None,
    counts: bool = True,
    columns: bool = True,
    width: float = 6.0,
) -> plt.Axes:
    """Forest plot of a :class:`~crlm_outcomes.imputation.pooling.PooledModel` in the layout
    of :func:`crlm_outcomes.plots.forest.forest_plot`: levels grouped under their variable
    with the reference row, N/events (averaged over the imputations where they differ),
    "HR (95% CI)" and p beside the plot; ``labels`` as
    :func:`crlm_outcomes.labels.resolve_labels`."""
    from crlm_outcomes.plots.forest import forest_plot

    ax = forest_plot(result, ax=ax, labels=labels, counts=counts, columns=columns, width=width)
    level = int(round(100 * result.conf_level))
    what = "Hazard ratio" if result.model == "cox" else "Subdistribution hazard ratio"
    ax.set_xlabel(f"{what} ({level}% CI, log scale), pooled over {result.m} imputations")
    return ax


def pooled_survival_plot(result: PooledSurvival, ax: plt.Axes | None = None) -> plt.Axes:
    """Pooled survival curves (steps) with pointwise pooled limits (shaded)."""
    ax = new_axes(ax)
    cv = result.curve
    with publication_style():
        groups = list(dict.fromkeys(cv["group"]))
        for colour, g in zip(palette(len(groups)), groups, strict=True):
            sub = cv[cv["group"] == g].dropna(subset=["estimate"])
            t = np.concatenate(([0.0], sub["time"].to_numpy(float)))
            ax.step(
                t,
                np.concatenate(([1.0], sub["estimate"].to_numpy(float))),
                where="post",
                color=colour,
                label=str(g),
            )
            ax.fill_between(
                t,
                np.concatenate(([1.0], sub["lower"].to_numpy(float))),
                np.concatenate(([1.0], sub["upper"].to_numpy(float))),
                step="post",
                color=colour,
                alpha=0.15,
                linewidth=0,
            )
        ax.set_ylim(0, 1.02)
        ax.set_xlim(left=0)
        ax.set_xlabel("Time")
        ax.set_ylabel(f"Survival (pooled over {result.m} imputations)")
        if len(groups) > 1:
            ax.legend(loc="upper right")
    return ax


def pooled_rmst_plot(result: PooledRMST, ax: plt.Axes | None = None) -> plt.Axes:
    """Pooled RMST per group with its interval."""
    t = result.table
    ax = new_axes(ax, height=max(1.6, 0.3 * len(t) + 0.8))
    with publication_style():
        y = np.arange(len(t))[::-1]
        est = t["estimate"].to_numpy(float)
        ax.errorbar(
            est,
            y,
            xerr=[est - t["lower"].to_numpy(float), t["upper"].to_numpy(float) - est],
            fmt="o",
            color=OKABE_ITO[0],
            capsize=0,
        )
        ax.set_yticks(y)
        ax.set_yticklabels([str(g) for g in t["group"]])
        ax.set_xlabel(f"RMST up to {result.tau:g} (pooled over {result.m} imputations)")
    return ax


def trace_plot(traces, variable: str, ax: plt.Axes | None = None, *, labels=None) -> plt.Axes:
    """Convergence traces: mean of the imputed values of ``variable`` per iteration, one line
    per chain (imputation), as R's ``plot(mids)``. ``traces`` is the frame of
    :attr:`crlm_outcomes.imputation.Imputations.traces`; ``labels`` (as
    :func:`crlm_outcomes.labels.resolve_labels`) names the variable."""
    from crlm_outcomes.labels import resolve_labels

    name = resolve_labels(labels).variable(variable)
    sub = traces[traces["variable"] == variable]
    ax = new_axes(ax)
    with publication_style():
        chains = sorted(sub["imputation"].unique())
        for colour, c in zip(palette(len(chains)), chains, strict=True):
            s = sub[sub["imputation"] == c].sort_values("iteration")
            ax.plot(s["iteration"], s["mean"], color=colour, linewidth=1.0)
        ax.set_xlabel("Iteration")
        ax.set_ylabel("Mean of imputed values")
        ax.set_title(name, loc="left")  # a long label as a title keeps the panels aligned
    return ax

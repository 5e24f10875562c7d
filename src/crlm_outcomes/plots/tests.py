"""Figures of test results: observed vs expected events (log-rank), O - E against the group
scores (trend test), the heat map of pairwise p-values, and estimates with confidence
intervals (RMST and its differences).

The results in :mod:`crlm_outcomes.survival` delegate their ``plot`` methods here, so that all
drawing code lives in :mod:`crlm_outcomes.plots`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from crlm_outcomes.plots.style import new_axes, palette, publication_style

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

    from crlm_outcomes.survival.logrank import (
        LogRankResult,
        LogRankTrendResult,
        PairwiseLogRankResult,
    )
    from crlm_outcomes.survival.rmst import RMSTDifferenceResult, RMSTResult

__all__ = [
    "plot_logrank",
    "plot_logrank_trend",
    "plot_pairwise",
    "plot_estimates",
    "plot_rmst",
    "plot_rmst_difference",
]


def plot_logrank(result: LogRankResult, ax: plt.Axes | None = None) -> plt.Axes:
    """Observed and expected events per group (bars), titled with the test.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = new_axes(ax)
    with publication_style():
        x = np.arange(len(result.table))
        colors = palette(2)
        ax.bar(x - 0.2, result.table["observed"], width=0.4, color=colors[0], label="Observed")
        ax.bar(x + 0.2, result.table["expected"], width=0.4, color=colors[1], label="Expected")
        ax.set_xticks(x, [str(g) for g in result.table["group"]])
        ax.set_ylabel("Events")
        ax.set_title(
            f"{result.method}: chi2 = {result.statistic:.2f}, df = {result.df}, p = {result.p:.3g}"
        )
        ax.legend()
    return ax


def plot_logrank_trend(result: LogRankTrendResult, ax: plt.Axes | None = None) -> plt.Axes:
    """Observed minus expected events against the group scores.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = new_axes(ax)
    with publication_style():
        oe = result.table["observed"] - result.table["expected"]
        ax.axhline(0, color="0.6", linewidth=0.8)
        ax.plot(result.table["score"], oe, marker="o", color=palette(1)[0])
        for s, v, g in zip(result.table["score"], oe, result.table["group"], strict=True):
            ax.annotate(str(g), (s, v), textcoords="offset points", xytext=(3, 3))
        ax.set_xlabel("Score")
        ax.set_ylabel("Observed - expected events")
        ax.set_title(f"Trend: chi2 = {result.statistic:.2f}, p = {result.p:.3g}")
    return ax


def plot_pairwise(result: PairwiseLogRankResult, ax: plt.Axes | None = None) -> plt.Axes:
    """Heat map of the adjusted pairwise p-values (lower triangle).

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = new_axes(ax)
    mat = result.matrix()
    with publication_style():
        ax.imshow(mat.to_numpy(float), cmap="Blues_r", vmin=0, vmax=1)
        ax.set_xticks(range(mat.shape[1]), [str(c) for c in mat.columns])
        ax.set_yticks(range(mat.shape[0]), [str(r) for r in mat.index])
        for (i, j), v in np.ndenumerate(mat.to_numpy(float)):
            if not np.isnan(v):
                ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=7)
        ax.set_title(f"Pairwise tests, p adjusted ({result.p_adjust})")
    return ax


def plot_estimates(
    table: pd.DataFrame,
    labels: list[str],
    title: str,
    ax: plt.Axes | None = None,
    *,
    column: str = "estimate",
) -> plt.Axes:
    """Point estimates with confidence intervals (``lower``/``upper``), one row per label.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = new_axes(ax)
    with publication_style():
        y = np.arange(len(table))[::-1]
        est = table[column].to_numpy(float)
        err = np.vstack(
            [est - table["lower"].to_numpy(float), table["upper"].to_numpy(float) - est]
        )
        ax.errorbar(est, y, xerr=err, fmt="o", color=palette(1)[0], capsize=2)
        ax.set_yticks(y, labels)
        ax.set_title(title)
    return ax


def plot_rmst(result: RMSTResult, ax: plt.Axes | None = None) -> plt.Axes:
    """RMST per group with confidence intervals.

    Returns
    -------
    matplotlib.axes.Axes
    """
    return plot_estimates(
        result.table, [str(g) for g in result.table["group"]], f"RMST up to {result.tau:g}", ax
    )


def plot_rmst_difference(result: RMSTDifferenceResult, ax: plt.Axes | None = None) -> plt.Axes:
    """RMST differences with confidence intervals and the line of no difference.

    Returns
    -------
    matplotlib.axes.Axes
    """
    labels = [
        f"{g} - {r}" for g, r in zip(result.table["group"], result.table["reference"], strict=True)
    ]
    ax = plot_estimates(result.table, labels, f"RMST difference up to {result.tau:g}", ax)
    ax.axvline(0, color="0.5", linewidth=0.8, linestyle="--")
    return ax

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

    Parameters
    ----------
    result
        From :func:`crlm_outcomes.survival.logrank.logrank`.
    ax
        Axes to draw on; a new one-column figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        Two bars per group (observed, expected); the title gives chi2, df and p.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 4, 7, 6, 2, 10, 12, 15, 20],
    ...                   "e": [1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0],
    ...                   "stage": ["I", "II", "III"] * 4})
    >>> from crlm_outcomes.survival.logrank import logrank
    >>> ax = plot_logrank(logrank(d, "t", "e", "stage"))
    >>> len(ax.patches), ax.get_title()
    (6, 'log-rank: chi2 = 2.17, df = 2, p = 0.338')
    >>> plt.close(ax.figure)
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

    Parameters
    ----------
    result
        From :func:`crlm_outcomes.survival.logrank.logrank_trend`.
    ax
        Axes to draw on; a new one-column figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        A zero line and the O - E points joined by a line, each annotated with its group; the
        title gives the trend chi2 and p.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 4, 7, 6, 2, 10, 12, 15, 20],
    ...                   "e": [1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0],
    ...                   "stage": ["I", "II", "III"] * 4})
    >>> from crlm_outcomes.survival.logrank import logrank_trend
    >>> ax = plot_logrank_trend(logrank_trend(d, "t", "e", "stage"))
    >>> [t.get_text() for t in ax.texts], ax.get_title()
    (['I', 'II', 'III'], 'Trend: chi2 = 2.03, p = 0.154')
    >>> plt.close(ax.figure)
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

    Parameters
    ----------
    result
        From :func:`crlm_outcomes.survival.logrank.pairwise_logrank`.
    ax
        Axes to draw on; a new one-column figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        The image of ``result.matrix()`` with each p written in its cell.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 4, 7, 6, 2, 10, 12, 15, 20],
    ...                   "e": [1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0],
    ...                   "stage": ["I", "II", "III"] * 4})
    >>> from crlm_outcomes.survival.logrank import pairwise_logrank
    >>> ax = plot_pairwise(pairwise_logrank(d, "t", "e", "stage"))
    >>> [t.get_text() for t in ax.texts], ax.get_title()
    (['0.679', '0.601', '0.601'], 'Pairwise tests, p adjusted (holm)')
    >>> plt.close(ax.figure)
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

    Parameters
    ----------
    table
        One row per estimate, with ``column``, ``lower`` and ``upper``.
    labels
        Row names, in the order of ``table`` (drawn top to bottom).
    title
        Axes title.
    ax
        Axes to draw on; a new one-column figure when None.
    column
        Column of the point estimates.

    Returns
    -------
    matplotlib.axes.Axes
        One point with its interval per row.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> t = pd.DataFrame({"estimate": [30.5, 24.1], "lower": [27.0, 20.2], "upper": [34.0, 28.0]})
    >>> ax = plot_estimates(t, ["Resected", "Not resected"], "RMST up to 60 months")
    >>> [tl.get_text() for tl in ax.get_yticklabels()], ax.get_title()
    (['Resected', 'Not resected'], 'RMST up to 60 months')
    >>> plt.close(ax.figure)
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

    Parameters
    ----------
    result
        From :func:`crlm_outcomes.survival.rmst.rmst`.
    ax
        Axes to draw on; a new one-column figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        One point with its interval per group, titled with ``tau``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 4, 7, 6, 2, 10, 12, 15, 20],
    ...                   "e": [1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0],
    ...                   "stage": ["I", "II", "III"] * 4})
    >>> from crlm_outcomes.survival.rmst import rmst
    >>> ax = plot_rmst(rmst(d, "t", "e", by="stage", tau=10))
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_title()
    (['I', 'II', 'III'], 'RMST up to 10')
    >>> plt.close(ax.figure)
    """
    return plot_estimates(
        result.table, [str(g) for g in result.table["group"]], f"RMST up to {result.tau:g}", ax
    )


def plot_rmst_difference(result: RMSTDifferenceResult, ax: plt.Axes | None = None) -> plt.Axes:
    """RMST differences with confidence intervals and the line of no difference.

    Parameters
    ----------
    result
        From :func:`crlm_outcomes.survival.rmst.rmst_difference`.
    ax
        Axes to draw on; a new one-column figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        One point with its interval per group against the reference, and a dashed line at 0.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 4, 7, 6, 2, 10, 12, 15, 20],
    ...                   "e": [1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0],
    ...                   "stage": ["I", "II", "III"] * 4})
    >>> from crlm_outcomes.survival.rmst import rmst_difference
    >>> ax = plot_rmst_difference(rmst_difference(d, "t", "e", by="stage", tau=10))
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_title()
    (['II - I', 'III - I'], 'RMST difference up to 10')
    >>> plt.close(ax.figure)
    """
    labels = [
        f"{g} - {r}" for g, r in zip(result.table["group"], result.table["reference"], strict=True)
    ]
    ax = plot_estimates(result.table, labels, f"RMST difference up to {result.tau:g}", ax)
    ax.axvline(0, color="0.5", linewidth=0.8, linestyle="--")
    return ax

"""Figures of score validation: estimates with CIs, AUC over time, calibration, decision curves.

Every function takes ``ax=None`` (a new figure) and returns the matplotlib Axes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from crlm_outcomes.plots.style import new_axes, palette, publication_style

__all__ = ["estimate_plot", "auc_time_plot", "calibration_plot", "decision_curve_plot"]


def estimate_plot(
    table: pd.DataFrame, *, xlabel: str, ax: plt.Axes | None = None, reference: float | None = None
) -> plt.Axes:
    """Point estimates (``estimate``) with ``lower``/``upper`` per ``term``, one row each.

    Parameters
    ----------
    table
        One row per term with ``term``, ``estimate``, ``lower``, ``upper`` (e.g.
        ``concordance(...).table``).
    xlabel
        Label of the estimate axis.
    ax
        Axes to draw on; a new one-column figure when None.
    reference
        Value of a dashed reference line (e.g. 0.5 for C); None for no line.

    Returns
    -------
    matplotlib.axes.Axes
        One point with its interval per term, first term at the top.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7, 12, 4, 15, 9, 6, 11],
    ...                   "e": [1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1],
    ...                   "score": [2, 1, 3, 0, 1, 2, 1, 2, 0, 3, 1, 1],
    ...                   "p": [0.6, 0.3, 0.5, 0.2, 0.8, 0.4, 0.2, 0.5, 0.1, 0.3, 0.4, 0.35]})
    >>> from crlm_outcomes.validation.concordance import concordance
    >>> ax = estimate_plot(concordance(d, "t", "e", ["score", "p"]).table, xlabel="Harrell's C",
    ...                    reference=0.5)
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_xlabel()
    (['score', 'p'], "Harrell's C")
    >>> plt.close(ax.figure)
    """
    ax = new_axes(ax)
    with publication_style():
        y = np.arange(len(table))[::-1]
        est = table["estimate"].to_numpy(float)
        err = np.vstack(
            [est - table["lower"].to_numpy(float), table["upper"].to_numpy(float) - est]
        )
        ax.errorbar(est, y, xerr=err, fmt="o", color=palette(1)[0], capsize=3)
        ax.set_yticks(y)
        ax.set_yticklabels([str(t) for t in table["term"]])
        if reference is not None:
            ax.axvline(reference, color="0.5", linewidth=0.8, linestyle="--")
        ax.set_xlabel(xlabel)
    return ax


def auc_time_plot(
    table: pd.DataFrame,
    *,
    ax: plt.Axes | None = None,
    xlabel: str = "Time",
    ylabel: str = "AUC(t)",
    chance: float | None = 0.5,
) -> plt.Axes:
    """AUC(t) (or any metric with ``ylabel``) against t per ``term`` with pointwise confidence
    bands (``xlabel`` names the time axis, e.g. "Months from liver resection"); a dashed line
    at ``chance`` (``None``: no line).

    Parameters
    ----------
    table
        Rows of term, time, estimate, lower, upper (e.g. ``time_auc(...).table``).
    ax
        Axes to draw on; a new one-column figure when None.
    xlabel, ylabel
        Axis labels.
    chance
        Height of the dashed chance line (0.5 for AUC); None for no line.

    Returns
    -------
    matplotlib.axes.Axes
        One line with markers and a band per term; the legend sits above the axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7, 12, 4, 15, 9, 6, 11],
    ...                   "e": [1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1],
    ...                   "score": [2, 1, 3, 0, 1, 2, 1, 2, 0, 3, 1, 1],
    ...                   "p": [0.6, 0.3, 0.5, 0.2, 0.8, 0.4, 0.2, 0.5, 0.1, 0.3, 0.4, 0.35]})
    >>> from crlm_outcomes.validation.auc import time_auc
    >>> ax = auc_time_plot(time_auc(d, "t", "e", ["score", "p"], times=[4, 8]).table,
    ...                    xlabel="Months from liver resection")
    >>> [t.get_text() for t in ax.get_legend().get_texts()], ax.get_ylabel()
    (['score', 'p'], 'AUC(t)')
    >>> plt.close(ax.figure)
    """
    ax = new_axes(ax)
    with publication_style():
        terms = list(dict.fromkeys(table["term"]))
        for colour, term in zip(palette(len(terms)), terms, strict=True):
            sub = table[table["term"] == term].sort_values("time")
            ax.plot(sub["time"], sub["estimate"], marker="o", color=colour, label=str(term))
            ax.fill_between(
                sub["time"], sub["lower"], sub["upper"], color=colour, alpha=0.15, linewidth=0
            )
        if chance is not None:
            ax.axhline(chance, color="0.5", linewidth=0.8, linestyle="--")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        # above the axes, in one row: the bands and the chance line fill the plot area
        ax.legend(
            frameon=False,
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncol=min(len(terms), 4),
            borderaxespad=0.3,
        )
    return ax


def calibration_plot(
    groups: pd.DataFrame,
    curve: pd.DataFrame | None = None,
    *,
    time: float | None = None,
    ax: plt.Axes | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> plt.Axes:
    """Observed against predicted risk: grouped points with CIs, optional smooth curve, diagonal.

    ``groups`` has term, predicted, observed, lower, upper; ``curve`` has term, predicted,
    observed. ``xlabel``/``ylabel`` replace the default axis labels ("Predicted risk at
    {time}"), e.g. with the event and the unit: "Predicted risk of death by 60 months".

    Parameters
    ----------
    groups
        Grouped calibration (``calibration(...).groups``).
    curve
        Smooth calibration curve (``calibration(...).curve``); None or empty for none.
    time
        Horizon named in the default axis labels.
    ax
        Axes to draw on; a new one-column figure when None.
    xlabel, ylabel
        Replace the default axis labels.

    Returns
    -------
    matplotlib.axes.Axes
        Per term the grouped points with intervals and the curve; the diagonal of perfect
        calibration; both axes from 0 to just above the largest risk.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> p = rng.uniform(0.1, 0.9, 300)
    >>> t = rng.exponential(-1 / np.log(1 - p))
    >>> d = pd.DataFrame({"t": np.minimum(t, 2), "e": (t < 2).astype(int), "p": p})
    >>> from crlm_outcomes.validation.calibration import calibration
    >>> cal = calibration(d, "t", "e", "p", time=1, groups=5)
    >>> ax = calibration_plot(cal.groups, cal.curve, time=1)
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('Predicted risk at 1', 'Observed risk at 1')
    >>> plt.close(ax.figure)
    """
    ax = new_axes(ax)
    with publication_style():
        terms = list(dict.fromkeys(groups["term"]))
        for colour, term in zip(palette(len(terms)), terms, strict=True):
            g = groups[groups["term"] == term]
            err = np.vstack([g["observed"] - g["lower"], g["upper"] - g["observed"]])
            ax.errorbar(
                g["predicted"],
                g["observed"],
                yerr=np.clip(err, 0, None),
                fmt="o",
                color=colour,
                capsize=2,
                label=str(term),
            )
            if curve is not None and len(curve):
                c = curve[curve["term"] == term]
                ax.plot(c["predicted"], c["observed"], color=colour, linewidth=1)
        hi = float(np.nanmax(np.r_[groups["predicted"], groups["upper"], 0.05]))
        hi = min(1.0, hi * 1.05)
        ax.plot([0, hi], [0, hi], color="0.5", linewidth=0.8, linestyle="--")
        ax.set_xlim(0, hi)
        ax.set_ylim(0, hi)
        when = f" at {time:g}" if time is not None else ""
        ax.set_xlabel(xlabel if xlabel is not None else f"Predicted risk{when}")
        ax.set_ylabel(ylabel if ylabel is not None else f"Observed risk{when}")
        ax.legend(frameon=False)
    return ax


def decision_curve_plot(
    table: pd.DataFrame, *, ax: plt.Axes | None = None, xlabel: str = "Threshold probability"
) -> plt.Axes:
    """Net benefit against threshold per ``term`` (incl. "treat all" and "treat none");
    ``xlabel`` may name the risk the threshold applies to.

    Parameters
    ----------
    table
        Rows of term, threshold, net_benefit (``decision_curve(...).table``).
    ax
        Axes to draw on; a new one-column figure when None.
    xlabel
        Label of the threshold axis.

    Returns
    -------
    matplotlib.axes.Axes
        One line per prediction, then "treat all" (dotted) and "treat none" (dashed) in gray.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [5, 8, 3, 10, 2, 7, 12, 4, 15, 9, 6, 11],
    ...                   "e": [1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1],
    ...                   "score": [2, 1, 3, 0, 1, 2, 1, 2, 0, 3, 1, 1],
    ...                   "p": [0.6, 0.3, 0.5, 0.2, 0.8, 0.4, 0.2, 0.5, 0.1, 0.3, 0.4, 0.35]})
    >>> from crlm_outcomes.validation.decision import decision_curve
    >>> dc = decision_curve(d, "t", "e", "p", 8, thresholds=[0.1, 0.3, 0.5])
    >>> ax = decision_curve_plot(dc.table)
    >>> [t.get_text() for t in ax.get_legend().get_texts()], ax.get_ylabel()
    (['p', 'treat all', 'treat none'], 'Net benefit')
    >>> plt.close(ax.figure)
    """
    ax = new_axes(ax)
    with publication_style():
        terms = [t for t in dict.fromkeys(table["term"]) if t not in ("treat all", "treat none")]
        for colour, term in zip(palette(len(terms)), terms, strict=True):
            sub = table[table["term"] == term]
            ax.plot(sub["threshold"], sub["net_benefit"], color=colour, label=str(term))
        for term, style in (("treat all", ":"), ("treat none", "--")):
            sub = table[table["term"] == term]
            if len(sub):
                ax.plot(
                    sub["threshold"], sub["net_benefit"], color="0.4", linestyle=style, label=term
                )
        nb = table["net_benefit"].to_numpy(float)
        top = float(np.nanmax(nb)) if np.isfinite(nb).any() else 0.1
        ax.set_ylim(-0.05 * max(top, 0.01), top * 1.1 + 1e-3)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Net benefit")
        ax.legend(frameon=False)
    return ax

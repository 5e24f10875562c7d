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
    """Point estimates (``estimate``) with ``lower``/``upper`` per ``term``, one row each."""
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
    at ``chance`` (``None``: no line)."""
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
    ``xlabel`` may name the risk the threshold applies to."""
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

"""Forest plot of Cox hazard ratios: point estimate and confidence interval on a log axis.

Reference levels of categorical covariates are shown as their own row at HR = 1 (labelled
"reference"), so a reader sees what each hazard ratio is relative to. Aliased (missing)
coefficients are listed with "not estimable" instead of being silently dropped.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from crlm_outcomes.plots.style import OKABE_ITO, new_axes, publication_style

__all__ = ["forest_rows", "forest_plot"]

_LEVEL = re.compile(r"^(?P<var>.+?)\[(?:T\.)?(?P<level>.+)\]$")


def _variable(expr: str) -> str:
    expr = expr.strip()
    if expr.startswith("C(") and expr.endswith(")"):
        return expr[2:-1].split(",")[0].strip()
    return expr


def forest_rows(result) -> pd.DataFrame:
    """Rows of the forest plot: ``label, hr, lower, upper, kind`` (kind = estimate, reference,
    not_estimable), with a reference row before the first level of each categorical variable
    whose reference level the result knows (``result.references``).

    ``result`` is any hazard-ratio model with a ``table`` of ``term, coef, hr, lower, upper``
    (:class:`~crlm_outcomes.survival.cox.CoxResult`,
    :class:`~crlm_outcomes.survival.fine_gray.FineGray`)."""
    references = dict(getattr(result, "references", None) or {})
    rows = []
    seen: set[str] = set()
    for _, r in result.table.iterrows():
        term = str(r["term"])
        m = _LEVEL.match(term)
        if m and ":" not in term:
            var = _variable(m.group("var"))
            if var not in seen and var in references:
                seen.add(var)
                rows.append({"label": f"{var}: {references[var]}", "hr": 1.0,
                             "lower": np.nan, "upper": np.nan, "kind": "reference"})
            label = f"{var}: {m.group('level')}"
        else:
            label = term
        kind = "estimate" if np.isfinite(r["coef"]) else "not_estimable"
        rows.append({"label": label, "hr": r["hr"], "lower": r["lower"], "upper": r["upper"],
                     "kind": kind})
    return pd.DataFrame(rows)


def forest_plot(result, ax=None):
    """Draw the hazard ratios of a fitted Cox or Fine–Gray model.

    Parameters
    ----------
    result
        A :class:`~crlm_outcomes.survival.cox.CoxResult` or
        :class:`~crlm_outcomes.survival.fine_gray.FineGray` (any result whose ``table`` has
        ``term, coef, hr, lower, upper`` and which has ``conf_level`` and ``robust``).
    ax
        Axes to draw on; a new one-column figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    rows = forest_rows(result)
    height = max(1.6, 0.22 * len(rows) + 0.8)
    ax = new_axes(ax, height=height)
    with publication_style():
        y = np.arange(len(rows))[::-1]
        est = rows["kind"] == "estimate"
        ref = rows["kind"] == "reference"
        ax.errorbar(rows.loc[est, "hr"], y[est.to_numpy()],
                    xerr=[rows.loc[est, "hr"] - rows.loc[est, "lower"],
                          rows.loc[est, "upper"] - rows.loc[est, "hr"]],
                    fmt="s", color=OKABE_ITO[0], ecolor=OKABE_ITO[0], markersize=4, capsize=0,
                    linewidth=1.0)
        ax.plot(np.ones(int(ref.sum())), y[ref.to_numpy()], marker="D", linestyle="none",
                color=OKABE_ITO[7], markerfacecolor="white", markersize=4)
        ax.axvline(1.0, color="0.5", linewidth=0.8, linestyle="--")
        ax.set_xscale("log")
        plain_log_ticks(ax, rows.loc[est, "lower"], rows.loc[est, "upper"])
        labels = [f"{lab} (reference)" if k == "reference" else
                  (f"{lab} (not estimable)" if k == "not_estimable" else lab)
                  for lab, k in zip(rows["label"], rows["kind"], strict=False)]
        ax.set_yticks(y)
        ax.set_yticklabels(labels)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        level = int(round(100 * result.conf_level))
        ax.set_xlabel(f"Hazard ratio ({level}% CI{', robust SE' if result.robust else ''})")
    return ax


_TICK_CANDIDATES = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0,
                             5.0, 10.0, 20.0, 50.0, 100.0])


def plain_log_ticks(ax: Axes, lower: pd.Series, upper: pd.Series) -> None:
    """Label the log axis with plain hazard ratios (0.5, 1, 2), as journals print them."""
    lo = np.nanmin(lower.to_numpy(float), initial=1.0)
    hi = np.nanmax(upper.to_numpy(float), initial=1.0)
    inside = (_TICK_CANDIDATES >= lo / 1.15) & (_TICK_CANDIDATES <= hi * 1.15)
    ticks = _TICK_CANDIDATES[inside | (_TICK_CANDIDATES == 1.0)]
    if len(ticks) > 7:  # keep every other one on wide ranges, always keeping 1
        keep = np.zeros(len(ticks), dtype=bool)
        one = int(np.flatnonzero(ticks == 1.0)[0])
        keep[one::2] = True
        keep[one::-2] = True
        ticks = ticks[keep]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
    ax.xaxis.set_minor_locator(NullLocator())


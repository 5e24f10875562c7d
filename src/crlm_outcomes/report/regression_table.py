"""Publication tables of Cox models: hazard ratio (95% CI) and p per term.

The numbers are those of the fitted model's ``summary`` (``term, coef, se, hr, lower, upper, z,
p``; see :func:`crlm_outcomes.survival.cox.cox`); this module only formats them.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes._result import Result, empty_excluded
from crlm_outcomes.errors import InputError
from crlm_outcomes.report.formatting import format_p
from crlm_outcomes.report.latex import latex_table
from crlm_outcomes.report.suppression import (
    SuppressionPolicy,
    format_count,
    format_count_alone,
    suppress_vector,
)

__all__ = ["RegressionTable", "regression_table"]

_REQUIRED = ("term", "hr", "lower", "upper", "p")


@dataclass(frozen=True, eq=False, repr=False)
class RegressionTable(Result):
    """A formatted Cox model table.

    Attributes
    ----------
    table
        Published strings: ``term``, ``HR (95% CI)``, ``p``.
    numbers
        The numbers behind it: term, hr, lower, upper, p.
    notes
        Model facts shown under the table (n, events, ties, variance, excluded rows).
    title
        Caption.
    excluded
        The model's excluded rows (empty for a bare frame).
    """

    table: pd.DataFrame
    numbers: pd.DataFrame
    notes: dict[str, str]
    title: str
    excluded: pd.DataFrame = field(default_factory=empty_excluded, repr=False)

    def _display_title(self) -> str:
        return self.title

    def _display_notes(self) -> dict[str, object]:
        return dict(self.notes)

    def to_html(self, uuid: str = "regression") -> str:
        """Styled HTML table with its caption and notes."""
        styler = (self.table.style.hide(axis="index").set_uuid(uuid)
                  .set_table_attributes("class='crlm-table regression'")
                  .set_caption(html.escape(self.title)))
        foot = "; ".join(f"{k}: {v}" for k, v in self.notes.items())
        styler = styler.format(escape="html").format_index(escape="html", axis=1)
        return styler.to_html() + f"<p class='footnote'>{html.escape(foot)}</p>"

    def to_latex(self) -> str:
        """LaTeX (booktabs), escaped by :func:`crlm_outcomes.report.latex.latex_table`."""
        return latex_table(self.table)



def regression_table(model: Any, *, labels: Mapping[str, str] | None = None,
                     decimals: int = 2, title: str = "Cox proportional-hazards model",
                     suppression: SuppressionPolicy | None = None) -> RegressionTable:
    """Format a fitted hazard-ratio model (or its ``table``) as HR (95% CI) and p.

    Parameters
    ----------
    model
        A :class:`~crlm_outcomes.survival.cox.CoxResult` or
        :class:`~crlm_outcomes.survival.fine_gray.FineGray`, or a frame with columns term, hr,
        lower, upper, p.
    labels
        Display names of terms.
    decimals
        Decimals of hazard ratios and limits.
    title
        Caption.
    suppression
        Masks the number of patients/events in the notes when small.

    Raises
    ------
    InputError
        The summary lacks a required column.
    """
    summary = model if isinstance(model, pd.DataFrame) else model.table
    missing = [c for c in _REQUIRED if c not in summary.columns]
    if missing:
        raise InputError("regression table needs a model summary", column=missing[0],
                         expected=f"columns {', '.join(_REQUIRED)}")
    labels = dict(labels or {})
    numbers = summary[list(_REQUIRED)].copy().reset_index(drop=True)

    def ci(row: pd.Series) -> str:
        if not np.isfinite(row["hr"]):
            return "not estimable"
        return (f"{row['hr']:.{decimals}f} ({row['lower']:.{decimals}f}–"
                f"{row['upper']:.{decimals}f})")

    table = pd.DataFrame({
        "term": [labels.get(t, t) for t in numbers["term"]],
        "HR (95% CI)": numbers.apply(ci, axis=1) if len(numbers) else [],
        "p": [format_p(p) for p in numbers["p"]],
    })
    notes: dict[str, str] = {}
    policy = suppression or SuppressionPolicy(enabled=False)
    if not isinstance(model, pd.DataFrame):
        # n + excluded = the analysis cohort (published): mask both when one is small
        n_kind, exc_kind = suppress_vector([model.n, model.n_excluded], policy)
        notes["n"] = format_count(model.n, n_kind, policy)
        notes["events"] = format_count_alone(model.n_event, policy)
        if getattr(model, "ties", None) is not None:
            notes["ties"] = str(model.ties)
        notes["variance"] = "robust (sandwich)" if model.robust else "model-based"
        notes["rows excluded (missing values)"] = format_count(model.n_excluded, exc_kind,
                                                               policy)
    excluded = (empty_excluded() if isinstance(model, pd.DataFrame)
                else getattr(model, "excluded", empty_excluded()))
    return RegressionTable(table=table, numbers=numbers, notes=notes, title=title,
                           excluded=excluded)

"""Cohort flow section: attrition from the source file to the analysis cohort.

Shows the records at each step (source, loaded, each inclusion filter) with a flow diagram
(:func:`crlm_outcomes.plots.flow.plot_flow`), the loader's quarantine by rule and column and the
cells set missing at load. Counts pass small-cell suppression
(:func:`crlm_outcomes.report.suppression.suppress_flow`: remaining counts are partial sums of the
exclusions, so both are protected together).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from crlm_outcomes.labels import Labels
from crlm_outcomes.plots.flow import plot_flow
from crlm_outcomes.report._context import BuildContext
from crlm_outcomes.report.suppression import format_count, format_counts, suppress_flow
from crlm_outcomes.report.writer import text_block

__all__ = ["flow_section"]


def _readable(frame: pd.DataFrame, lab: Labels) -> pd.DataFrame:
    """An audit table for a reader: column names as labels, reasons in words."""
    out = frame.copy()
    if "column" in out.columns:
        out["column"] = [lab.variable(str(c)) if str(c) in lab.variables else lab.readable(str(c))
                         for c in out["column"]]
    for col in ("reason", "rule"):
        if col in out.columns:
            out[col] = [lab.readable(str(v)).replace("_", " ") for v in out[col]]
    return out


def flow_section(ctx: BuildContext, steps: list[dict[str, Any]]) -> None:
    """Add the cohort flow section for ``steps`` (from
    :func:`crlm_outcomes.report.filters.stratify_and_filter`)."""
    policy = ctx.policy
    rem = [s["n"] for s in steps]
    exc = [s["excluded"] or 0 for s in steps[1:]]
    rem_kind, exc_kind = suppress_flow(rem, exc, policy)
    shown = []
    for i, s in enumerate(steps):
        shown.append({"label": s["label"], "n": format_count(s["n"], rem_kind[i], policy),
                      "excluded": (format_count(s["excluded"], exc_kind[i - 1], policy)
                                   if i else ""),
                      "reason": s["reason"] if i else ""})
    table = pd.DataFrame(shown).rename(columns={"label": "step", "n": "n remaining",
                                                "excluded": "n excluded"})
    blocks: list[dict[str, Any]] = []
    blocks.append(ctx.writer.figure("cohort_flow", "Cohort flow: records at each step and the "
                                    "number excluded.", plot_flow, shown))
    blocks.append(ctx.writer.table(table, "cohort_flow", "Cohort flow",
                                   footnote=policy.footnote()))
    lab = ctx.labels
    quar = _readable(ctx.cohort.audit.quarantine_summary(), lab)
    if len(quar):
        quar = quar.assign(rows=format_counts(quar["rows"], policy, total_published=False))
        blocks.append(text_block("heading", "Records quarantined at load"))
        blocks.append(ctx.writer.table(quar, "quarantine_summary",
                                       "Quarantined records by rule and column (a record can "
                                       "fail more than one check)"))
    else:
        blocks.append(text_block("text", "No record was quarantined at load."))
    setm = _readable(ctx.cohort.audit.set_missing, lab)
    if len(setm):
        setm = setm.assign(count=format_counts(setm["count"], policy, total_published=False))
        blocks.append(text_block("heading", "Values set missing at load"))
        blocks.append(ctx.writer.table(setm.astype(str), "set_missing",
                                       "Cells set missing at load (declared missing codes and "
                                       "invalid values)"))
    ctx.sections.append({"id": "flow", "title": "Cohort flow", "paragraphs": [
        "Attrition from the source file to the analysis cohort. Records failing the loader's "
        "validation are quarantined (never silently dropped); the inclusion filters of the "
        "spec are applied in order."], "blocks": blocks})

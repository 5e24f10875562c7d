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
from crlm_outcomes.report.suppression import (
    format_count,
    format_counts,
    kind_alone,
    suppress_flow,
)
from crlm_outcomes.report.writer import text_block

__all__ = ["flow_section", "published_set_missing", "HIDDEN_VALUE"]


def _readable(frame: pd.DataFrame, lab: Labels) -> pd.DataFrame:
    """An audit table for a reader: column names as labels, reasons in words."""
    out = frame.copy()
    if "column" in out.columns:
        out["column"] = [
            lab.variable(str(c)) if str(c) in lab.variables else lab.readable(str(c))
            for c in out["column"]
        ]
    for col in ("reason", "rule"):
        if col in out.columns:
            out[col] = [lab.readable(str(v)).replace("_", " ") for v in out[col]]
    return out


def flow_section(ctx: BuildContext, steps: list[dict[str, Any]]) -> None:
    """Add the cohort flow section for ``steps`` (from
    :func:`crlm_outcomes.report.filters.stratify_and_filter`).

    The flow diagram and table (records at each step, the number excluded and why), the
    records quarantined at load and the cells set missing at load; the counts are
    suppressed together and recorded in ``ctx.ledger``.

    Parameters
    ----------
    ctx
        The build context (policy, writer and the loaded cohort ``ctx.cohort`` with its
        load audit).
    steps
        The flow steps: ``label``, ``n`` remaining, ``excluded`` (None for the first) and
        ``reason``.

    Returns
    -------
    None
        The section is appended to ``ctx.sections``; the published counts are kept in
        ``ctx.published_counts`` and a sentence in ``ctx.cohort_note`` for the methods text.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.report._context import BuildContext
    >>> from crlm_outcomes.report.filters import stratify_and_filter
    >>> from crlm_outcomes.report.spec import parse_spec
    >>> from crlm_outcomes.report.suppression import SuppressionPolicy
    >>> from crlm_outcomes.report.writer import OutputWriter
    >>> spec = parse_spec({"cohort": {"demo": True}, "filters": [{"column": "age_at_diagnosis", "op": ">=", "value": 18}],
    ...                    "output": {"figure_formats": ["png"], "table_formats": ["csv"]}})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ctx = BuildContext(spec, SuppressionPolicy(enabled=False), OutputWriter(Path(tmp), spec, 1))
    ...     ctx.cohort = synthetic_cohort(200, seed=1)
    ...     steps = stratify_and_filter(ctx)
    ...     flow_section(ctx, steps)
    ...     tables = sorted(p.name for p in Path(tmp, "tables").iterdir())
    >>> [s["label"] for s in steps]
    ['Records in the source', 'Records loaded', 'Age at diagnosis ≥ 18 years']
    >>> [b["kind"] for b in ctx.sections[-1]["blocks"]], tables
    (['figure', 'table', 'text'], ['cohort_flow.csv'])
    """
    policy = ctx.policy
    shown = _shown_steps(ctx, steps)
    table = pd.DataFrame(shown).rename(
        columns={"label": "step", "n": "n remaining", "excluded": "n excluded"}
    )
    blocks: list[dict[str, Any]] = []
    blocks.append(
        ctx.writer.figure(
            "cohort_flow",
            "Cohort flow: records at each step and the number excluded.",
            plot_flow,
            shown,
        )
    )
    blocks.append(ctx.writer.table(table, "cohort_flow", "Cohort flow", footnote=policy.footnote()))
    blocks.extend(_quarantine_blocks(ctx, steps))
    blocks.extend(_set_missing_blocks(ctx))
    ctx.sections.append(
        {
            "id": "flow",
            "title": "Cohort flow",
            "paragraphs": [
                "Attrition from the source file to the analysis cohort. Records failing the loader's "
                "validation are quarantined (never silently dropped); the inclusion filters of the "
                "spec are applied in order."
            ],
            "blocks": blocks,
        }
    )


def _shown_steps(ctx: BuildContext, steps: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The flow's steps as published (counts suppressed together, recorded in the ledger);
    the published source, loaded, quarantined and cohort counts are kept for the text."""
    policy = ctx.policy
    rem = [s["n"] for s in steps]
    exc = [s["excluded"] or 0 for s in steps[1:]]
    rem_kind, exc_kind = suppress_flow(rem, exc, policy)
    shown = []
    for i, s in enumerate(steps):
        shown.append(
            {
                "label": s["label"],
                "n": format_count(s["n"], rem_kind[i], policy),
                "excluded": (format_count(s["excluded"], exc_kind[i - 1], policy) if i else ""),
                "reason": s["reason"] if i else "",
            }
        )
    _record_flow(ctx, steps, rem_kind, exc_kind)
    ctx.published_counts.update({"source": shown[0]["n"], "cohort": shown[-1]["n"]})
    if len(shown) > 1:
        ctx.published_counts.update({"loaded": shown[1]["n"], "quarantined": shown[1]["excluded"]})
        ctx.cohort_note += (
            f" {shown[1]['n']} of {shown[0]['n']} records passed validation "
            f"and {shown[1]['excluded']} were quarantined with their reasons."
        )
    return shown


def _quarantine_blocks(ctx: BuildContext, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records quarantined at load, by rule and column (recorded in the ledger), or a
    sentence saying there were none."""
    policy = ctx.policy
    raw_quar = ctx.cohort.audit.quarantine_summary()
    quar = _readable(raw_quar, ctx.labels)
    if not len(quar):
        return [text_block("text", "No record was quarantined at load.")]
    if len(steps) > 1:
        for r in raw_quar.itertuples(index=False):
            key = f"quarantine|{r.rule}|{r.column}"
            ctx.ledger.count(
                key,
                r.rows,
                masked=kind_alone(int(r.rows), policy) != 0,
                where="quarantine table",
            )
            ctx.ledger.at_most(key, "flow|excluded|1")
    quar = quar.assign(rows=format_counts(quar["rows"], policy, total_published=False))
    return [
        text_block("heading", "Records quarantined at load"),
        ctx.writer.table(
            quar,
            "quarantine_summary",
            "Quarantined records by rule and column (a record can fail more than one check)",
        ),
    ]


def _set_missing_blocks(ctx: BuildContext) -> list[dict[str, Any]]:
    """The cells set missing at load (invalid raw values not printed), if any."""
    setm = _readable(published_set_missing(ctx.cohort.audit.set_missing), ctx.labels)
    if not len(setm):
        return []
    setm = setm.assign(count=format_counts(setm["count"], ctx.policy, total_published=False))
    return [
        text_block("heading", "Values set missing at load"),
        ctx.writer.table(
            setm.astype(str),
            "set_missing",
            "Cells set missing at load (declared missing codes and "
            "invalid values; invalid raw values are kept in the "
            "load audit, not printed)",
        ),
    ]


#: What the report prints in place of an invalid raw cell value.
HIDDEN_VALUE = "(invalid value, not printed)"


def published_set_missing(setm: pd.DataFrame) -> pd.DataFrame:
    """The cells-set-missing table as published: declared missing codes (from the profile) are
    shown; invalid raw values (anything typed into the cell: a name in a lab column) are not,
    and their counts are merged per column and reason.

    Parameters
    ----------
    setm
        The load audit's cells set missing (``column``, ``value``, ``count``, ``reason``).

    Returns
    -------
    pandas.DataFrame
        The same columns, invalid values replaced by a placeholder and merged, sorted by
        column and value.

    Examples
    --------
    >>> t = pd.DataFrame({"column": ["cea", "cea"], "value": ["J. Smith", "-999"],
    ...                   "count": [1, 4], "reason": ["invalid, set missing: not a number",
    ...                                                "declared missing code"]})
    >>> published_set_missing(t)["value"].tolist()
    ['(invalid value, not printed)', '-999']
    """
    if not len(setm):
        return setm
    out = setm.copy()
    declared = out["reason"].astype(str).eq("declared missing code")
    out["value"] = out["value"].astype(object).where(declared, HIDDEN_VALUE)
    out = out.groupby(["column", "value", "reason"], sort=False, as_index=False)["count"].sum()
    return out.sort_values(["column", "value"], kind="stable", ignore_index=True)[
        list(setm.columns)
    ]


def _record_flow(
    ctx: BuildContext, steps: list[dict[str, Any]], rem_kind: Any, exc_kind: Any
) -> None:
    """The flow's counts and their arithmetic in the disclosure ledger."""
    led = ctx.ledger
    for i, s in enumerate(steps):
        led.count(f"flow|n|{i}", s["n"], masked=bool(rem_kind[i]), where="cohort flow")
        if i:
            led.count(
                f"flow|excluded|{i}",
                s["excluded"] or 0,
                masked=bool(exc_kind[i - 1]),
                where="cohort flow",
            )
            led.total(f"flow|n|{i - 1}", [f"flow|n|{i}", f"flow|excluded|{i}"])
    led.hidden("cohort|n", steps[-1]["n"])
    led.total("cohort|n", [f"flow|n|{len(steps) - 1}"])

"""Landmark analysis section: survival from a fixed time in those event-free at it.

Patients event-free and under follow-up at the landmark form the cohort
(:func:`crlm_outcomes.survival.landmark.landmark`); time restarts there, which removes the
guarantee-time bias of comparing groups defined after baseline (Anderson, Cain & Gelber,
*J Clin Oncol* 1983;1:710-719). Shows the landmark cohort's flow, the Kaplan-Meier curve by the
stratifier with its summary (:func:`crlm_outcomes.report.sections.km.km_summary`) and a
log-rank test.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from crlm_outcomes.plots.km import time_breaks, truncation_time
from crlm_outcomes.report._context import BuildContext
from crlm_outcomes.report.figures import at_risk_table, plot_km_with_risk
from crlm_outcomes.report.formatting import format_p
from crlm_outcomes.report.sections._common import skipped, unusable
from crlm_outcomes.report.sections.km import (
    drawable_groups,
    km_summary,
    only_groups,
    record_km,
)
from crlm_outcomes.report.spec import ENDPOINTS, LandmarkSpec
from crlm_outcomes.report.suppression import format_count, suppress_vector
from crlm_outcomes.report.writer import safe_name, text_block

__all__ = ["landmark_section"]


def landmark_section(ctx: BuildContext, i: int) -> None:
    """Add the section of the spec's ``i``-th landmark analysis.

    The landmark cohort's flow, the Kaplan-Meier curves by the analysis's ``by`` from the
    landmark on (with numbers at risk), their summary and a log-rank test.

    Parameters
    ----------
    ctx
        The build context (spec, policy, writer and the analysis cohort ``ctx.data``).
    i
        Index of the analysis in ``ctx.spec.landmarks``.

    Returns
    -------
    None
        The section is appended to ``ctx.sections``; its figure and tables are written
        through ``ctx.writer`` and its counts recorded in ``ctx.ledger``.

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
    >>> spec = parse_spec({"cohort": {"demo": True}, "landmarks": [{"time": 6, "by": "neoadjuvant_chemo"}],
    ...                    "output": {"figure_formats": ["png"], "table_formats": ["csv"]}})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ctx = BuildContext(spec, SuppressionPolicy(enabled=False), OutputWriter(Path(tmp), spec, 1))
    ...     ctx.cohort = synthetic_cohort(200, seed=1)
    ...     steps = stratify_and_filter(ctx)
    ...     landmark_section(ctx, 0)
    ...     tables = sorted(p.name for p in Path(tmp, "tables").iterdir())
    >>> section = ctx.sections[-1]
    >>> section["title"]
    'Landmark analysis at 6 months: overall survival by neoadjuvant chemotherapy'
    >>> [b["kind"] for b in section["blocks"]]
    ['table', 'figure', 'table']
    """
    from crlm_outcomes.survival.kaplan_meier import kaplan_meier
    from crlm_outcomes.survival.landmark import landmark
    from crlm_outcomes.survival.logrank import logrank

    lm = ctx.spec.landmarks[i]
    duration, event = ENDPOINTS[lm.endpoint]
    policy = ctx.policy
    why = unusable(ctx, duration, event, lm.by)
    if why:
        skipped(ctx, f"landmark-{i}", f"Landmark analysis at {lm.time:g} months", why)
        return
    with ctx.collect_warnings(f"Landmark {lm.time:g} months"):
        res = landmark(ctx.data, duration, event, landmark=lm.time)
        km = kaplan_meier(res.table, duration, event, by=lm.by, conf_type=ctx.spec.output.conf_type)
        lr = logrank(res.table, duration, event, by=lm.by) if len(km.group_labels) > 1 else None
    lab = ctx.labels
    title = (
        f"Landmark analysis at {lm.time:g} months: {lab.endpoint(lm.endpoint).lower()} by "
        f"{lab.inline(lm.by)}"
    )
    title = title[:1].upper() + title[1:]
    counts, cohort_key = _flow_counts(ctx, i, res.counts)
    name = safe_name(f"landmark_{lm.endpoint}_{lm.time:g}_{lm.by}".replace(".", "p"))
    blocks = [ctx.writer.table(counts, f"{name}_flow", "Landmark cohort")]
    times = list(ctx.spec.output.survival_times)
    summary = km_summary(km, lab.variable(lm.by), times, policy, lab)
    end = truncation_time(km)
    grid = time_breaks(end)
    risk = at_risk_table(km, grid, policy, size_kinds=summary.attrs["n_kind"])
    drawn = drawable_groups(km, summary)
    record_km(
        ctx,
        res.table,
        duration,
        event,
        lm.by,
        f"lm{i}|{lm.endpoint}",
        km,
        summary,
        risk,
        grid,
        drawn,
        where=title,
        total_key=cohort_key,
    )
    blocks.append(_curve_block(ctx, lm, title, name, km, lr, risk, drawn, end))
    blocks.append(
        ctx.writer.table(
            summary,
            f"{name}_summary",
            "Kaplan-Meier estimates from the landmark",
            footnote=policy.footnote(),
        )
    )
    paras = ["Patients event-free and under follow-up at the landmark; time restarted there."]
    if lr is not None:
        paras.append(
            f"{lr.method[:1].upper()}{lr.method[1:]}: chi-square "
            f"{lr.statistic:.2f} on {lr.df} df, "
            f"p = {format_p(lr.p)}."
        )
    ctx.sections.append(
        {"id": f"landmark-{i}", "title": title, "paragraphs": paras, "blocks": blocks}
    )


def _flow_counts(ctx: BuildContext, i: int, counts: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The landmark cohort's flow as published (input rows = the exclusions + the landmark
    cohort: one published constraint), recorded in the ledger; and the ledger key of the
    landmark cohort's size."""
    policy, led = ctx.policy, ctx.ledger
    counts = counts.copy()
    vals = counts["n"].to_numpy(dtype=float)
    kinds = [0, *suppress_vector(vals[1:], policy, total_published=True)]
    counts["n"] = [format_count(v, k, policy) for v, k in zip(vals, kinds, strict=True)]
    prefix = f"lm{i}"
    parts = []
    for j, (reason, v, k) in enumerate(zip(counts["reason"], vals, kinds, strict=True)):
        key = "cohort|n" if j == 0 else f"{prefix}|flow|{reason}"
        led.count(key, v, masked=bool(k), where="landmark cohort table")
        if j:
            parts.append(key)
    led.total("cohort|n", parts)
    return counts, f"{prefix}|flow|{counts['reason'].iloc[-1]}"


def _curve_block(
    ctx: BuildContext,
    lm: LandmarkSpec,
    title: str,
    name: str,
    km: Any,
    lr: Any,
    risk: pd.DataFrame,
    drawn: list[Any],
    end: float,
) -> dict[str, Any]:
    """The figure of the drawable curves from the landmark, or a note when every group is
    suppressed."""
    lab = ctx.labels
    caption = title + (
        f" (time restarted at the landmark, {lm.time:g} months after "
        f"{lab.origins.get(lm.endpoint, 'the time origin')})."
    )
    if len(drawn) < len(km.group_labels):
        caption += " Groups whose size or number of events is suppressed are not drawn."
    if not drawn:
        return text_block(
            "text",
            "No curve is drawn: every group's size or number of events is suppressed.",
            "note",
        )
    return ctx.writer.figure(
        name,
        caption,
        plot_km_with_risk,
        only_groups(km, drawn),
        policy=ctx.policy,
        endpoint=lm.endpoint,
        labels=lab,
        max_time=end,
        pvalue=lr.p if lr is not None and len(drawn) == len(km.group_labels) else None,
        risk=risk.loc[[str(g) for g in drawn]],
        xlabel=f"Months from the {lm.time:g}-month landmark",
    )

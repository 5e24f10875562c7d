"""Competing-risks section: recurrence vs death without recurrence.

Recurrence-free survival split into its two causes (``rfs_cause``: 1 = recurrence, 2 = death
without recurrence); cumulative incidence by Aalen-Johansen
(:func:`crlm_outcomes.survival.competing_risks.cumulative_incidence`, agreeing with R's
``cmprsk::cuminc``), estimates at the spec's fixed times and Gray's test between groups.
``1 - Kaplan-Meier`` would overstate each cause (Putter, Fiocco & Geskus, *Stat Med*
2007;26:2389-2430).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from crlm_outcomes.labels import Labels, lower_first
from crlm_outcomes.plots.km import time_breaks
from crlm_outcomes.report._context import BuildContext
from crlm_outcomes.report.formatting import est_ci, format_p
from crlm_outcomes.report.sections._common import skipped, unusable
from crlm_outcomes.report.sections._disclosure import (
    cif_hidden_groups,
    cox_counts,
    link_sets,
    record_cif,
    univariable_counts,
)
from crlm_outcomes.report.suppression import (
    COMPLEMENTARY,
    PRIMARY,
    SuppressionPolicy,
    complementary_mask,
    format_count,
    primary_mask,
)
from crlm_outcomes.report.writer import text_block

if TYPE_CHECKING:
    from crlm_outcomes.survival.competing_risks import CumulativeIncidence
from crlm_outcomes.schema.endpoint_map import ENDPOINTS

__all__ = ["CAUSE_LABELS", "competing_risks_section", "risk_counts", "truncation"]

#: Duration and competing-risk status columns of recurrence-free survival.
_TIME, _CAUSE = ENDPOINTS["rfs"].duration, str(ENDPOINTS["rfs"].cause)
#: Labels of the ``rfs_cause`` codes.
CAUSE_LABELS = {1: "Recurrence", 2: "Death without recurrence"}


def _cif(
    res: Any,
    labels: Labels,
    risk: pd.DataFrame,
    ticks: list[float],
    end: float,
    pvalues: dict[int, float],
) -> plt.Axes:
    """Cumulative incidence of recurrence and death without recurrence, with numbers at risk
    and Gray's test (figure recipe)."""
    return res.plot(
        labels=labels, endpoint="rfs", risk_counts=risk, times=ticks, xmax=end, pvalues=pvalues
    )


def risk_counts(
    times: np.ndarray,
    groups: pd.Series | None,
    ticks: list[float],
    order: list[Any],
    policy: SuppressionPolicy,
) -> pd.DataFrame:
    """Published numbers at risk (follow-up time >= tick) per group and tick.

    Counts below the threshold are masked; with several groups each tick's column also gets
    complementary suppression (the groups of one tick add up to the patients at risk then,
    which other tables may print).

    Parameters
    ----------
    times
        Follow-up time of each patient.
    groups
        Each patient's group (None: all patients are one group).
    ticks
        Times at which the patients at risk are counted.
    order
        The groups, in the order of the rows (for one group: its single label).
    policy
        The suppression policy.

    Returns
    -------
    pandas.DataFrame
        Published text, one row per group (index: the group as text) and one column per
        tick (``f"{tick:g}"``).

    Examples
    --------
    >>> import numpy as np
    >>> from crlm_outcomes.report.suppression import SuppressionPolicy
    >>> t = np.array([2.0, 5, 13, 14, 20, 25, 26, 30, 40, 60, 3, 15, 27, 50])
    >>> g = pd.Series(["A"] * 10 + ["B"] * 4)
    >>> risk = risk_counts(t, g, [0, 12, 24], ["A", "B"], SuppressionPolicy(threshold=4))
    >>> risk.loc["A"].tolist(), risk.loc["B"].tolist()  # B: 3 and 2 at risk; A: 8 and 6
    (['10', '‡', '‡'], ['4', '<4', '<4'])
    >>> risk_counts(t, None, [0, 24], ["All"], SuppressionPolicy(enabled=False)).to_dict("index")
    {'All': {'0': '14', '24': '7'}}
    """
    rows = []
    for g in order:
        sub = times if groups is None else times[(groups.astype(object) == g).to_numpy()]
        rows.append([float((sub >= t).sum()) for t in ticks])
    counts = np.asarray(rows, dtype=float).reshape(len(order), len(ticks))
    kinds = np.zeros(counts.shape, dtype=np.int8)
    if policy.enabled:
        prim = primary_mask(counts, policy.threshold, suppress_zero=policy.suppress_zero)
        kinds[prim] = PRIMARY
        if counts.shape[0] > 1:
            idx = np.arange(counts.size).reshape(counts.shape)
            full = complementary_mask(
                counts.ravel(), prim.ravel(), [idx[:, j] for j in range(counts.shape[1])]
            )
            kinds[full.reshape(counts.shape) & (kinds == 0)] = COMPLEMENTARY
    text = [
        [format_count(v, int(k), policy) for v, k in zip(r, kr, strict=True)]
        for r, kr in zip(counts, kinds, strict=True)
    ]
    return pd.DataFrame(text, index=[str(g) for g in order], columns=[f"{t:g}" for t in ticks])


def truncation(times: np.ndarray) -> float:
    """Last follow-up time with at least 10% of the patients (or 10) still at risk.

    Parameters
    ----------
    times
        Follow-up time of each patient.

    Returns
    -------
    float
        Where the curves' time axis ends (the last time when there are none; 0.0 for no
        patients).

    Examples
    --------
    >>> import numpy as np
    >>> truncation(np.arange(1.0, 41.0))  # 40 patients: the 10th from the end
    31.0
    >>> truncation(np.array([4.0, 9.0]))
    9.0
    """
    srt = np.sort(times)
    threshold = max(0.1 * srt.size, 10.0)
    at_risk = srt.size - np.arange(srt.size)  # at risk at srt[i] (ties: first of them)
    ok = srt[at_risk >= threshold]
    return float(ok[-1]) if ok.size else float(srt[-1]) if srt.size else 0.0


def _forest(fit: Any, labels: Labels, counts: bool = True) -> plt.Axes:
    """Forest plot of a Fine-Gray model (figure recipe); ``counts=False`` leaves out the
    N/events column (under suppression: the table prints them masked)."""
    return fit.plot_forest(labels=labels, counts=counts)


def _fine_gray_blocks(
    ctx: BuildContext, formula: str, univariable: bool, name: str
) -> list[dict[str, Any]]:
    """Fine-Gray model of recurrence: its table (with the univariable fits beside it when
    asked) and forest plot."""
    from crlm_outcomes.formula import formula_variables
    from crlm_outcomes.report.regression_table import (
        regression_table,
        split_terms,
        univariable_multivariable,
    )
    from crlm_outcomes.survival.fine_gray import fine_gray

    lab = ctx.labels
    title = "Fine-Gray model of recurrence (death without recurrence competing)"
    with ctx.collect_warnings(title):
        fit = fine_gray(ctx.data, formula, _TIME, _CAUSE, cause=1)
        if univariable:
            table = univariable_multivariable(
                ctx.data,
                split_terms(formula),
                _TIME,
                _CAUSE,
                model="fine_gray",
                labels=lab,
                suppression=ctx.policy,
                cause=1,
                title=f"{title}: univariable and multivariable subdistribution hazard ratios",
            )
        else:
            table = regression_table(fit, labels=lab, suppression=ctx.policy, title=title)
    if univariable:
        table = univariable_counts(
            ctx, f"fine_gray|{name}", table, split_terms(formula), "rfs_months", "rfs_cause"
        )
    else:
        table = cox_counts(
            ctx,
            f"{name} (Fine-Gray)",
            fit,
            table,
            "rfs_cause",
            variables=formula_variables(formula, ctx.data),
        )
    return [
        text_block("heading", title),
        ctx.writer.table(
            table.table,
            f"{name}_fine_gray",
            table.title,
            html=table.to_html(uuid=f"{name}_fine_gray"),
            latex=table.to_latex(),
        ),
        ctx.writer.figure(
            f"{name}_fine_gray_forest",
            "Subdistribution hazard ratios "
            "(95% CI) of recurrence"
            + (
                "; N/events: patients and recurrences in each level."
                if not ctx.policy.enabled
                else " (N/events in the table)."
            ),
            _forest,
            fit,
            lab,
            not ctx.policy.enabled,
        ),
    ]


def competing_risks_section(ctx: BuildContext, i: int) -> None:
    """Add the section of the spec's ``i``-th competing-risks analysis.

    Cumulative incidence of recurrence and of death without recurrence (overall or by the
    analysis's ``by``) with numbers at risk, the estimates at the spec's survival times,
    Gray's test between groups and, with a ``formula``, a Fine-Gray model of recurrence.

    Parameters
    ----------
    ctx
        The build context (spec, policy, writer and the analysis cohort ``ctx.data``).
    i
        Index of the analysis in ``ctx.spec.competing_risks``.

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
    >>> spec = parse_spec({"cohort": {"demo": True}, "competing_risks": [{}],
    ...                    "output": {"figure_formats": ["png"], "table_formats": ["csv"]}})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ctx = BuildContext(spec, SuppressionPolicy(enabled=False), OutputWriter(Path(tmp), spec, 1))
    ...     ctx.cohort = synthetic_cohort(200, seed=1)
    ...     steps = stratify_and_filter(ctx)
    ...     competing_risks_section(ctx, 0)
    ...     tables = sorted(p.name for p in Path(tmp, "tables").iterdir())
    >>> section = ctx.sections[-1]
    >>> section["id"], [b["kind"] for b in section["blocks"]], tables
    ('cif-0', ['figure', 'table'], ['cif_overall_estimates.csv'])
    """
    from crlm_outcomes.survival.competing_risks import cumulative_incidence

    cr = ctx.spec.competing_risks[i]
    data = ctx.data
    by_text = f" by {ctx.labels.inline(cr.by)}" if cr.by else ""
    why = unusable(ctx, _TIME, _CAUSE, cr.by)
    if why:
        skipped(ctx, f"cif-{i}", "Competing risks" + by_text, why)
        return
    with ctx.collect_warnings("Competing risks" + by_text):
        res = cumulative_incidence(data, _TIME, _CAUSE, by=cr.by, causes=[1, 2])
    name = f"cif_{cr.by or 'overall'}"
    title = "Recurrence and death without recurrence" + by_text
    used = data.loc[data[_TIME].notna() & data[_CAUSE].notna()]
    if cr.by is not None:
        used = used.loc[used[cr.by].notna()]
    hidden = cif_hidden_groups(ctx, cr.by)
    record_cif(ctx, i, cr.by, hidden)
    blocks = [_curve_block(ctx, i, res, used, hidden, name, title)]
    blocks.append(
        ctx.writer.table(
            _estimate_rows(ctx, cr.by, res, used),
            f"{name}_estimates",
            f"Cumulative incidence: {lower_first(title)}",
        )
    )
    if res.gray_test is not None:
        blocks.append(_gray_block(ctx, res.gray_test, name))
    if cr.formula:
        blocks += _fine_gray_blocks(ctx, cr.formula, cr.univariable, name)
    ctx.sections.append(
        {
            "id": f"cif-{i}",
            "title": f"Competing risks: {title}",
            "paragraphs": [
                "Recurrence-free survival split into its two event "
                "types: recurrence, and death without recurrence. "
                "One minus Kaplan-Meier would overstate each."
            ],
            "blocks": blocks,
        }
    )


def _drawn(
    ctx: BuildContext, by: str | None, res: CumulativeIncidence, hidden: Any
) -> CumulativeIncidence | None:
    """The curves to draw: all of ``res``, or refitted without the ``hidden`` groups (a
    curve shows its steps, hence its group's size); None when no group is left."""
    from crlm_outcomes.survival.competing_risks import cumulative_incidence

    if not hidden:
        return res
    data = ctx.data
    keep = (data[by].notna() & ~data[by].astype(object).isin(hidden)).to_numpy(
        dtype=bool, na_value=False
    )
    if not keep.any():
        return None
    by_text = f" by {ctx.labels.inline(by)}" if by else ""
    with ctx.collect_warnings("Competing risks" + by_text):
        return cumulative_incidence(data.loc[keep], _TIME, _CAUSE, by=by, causes=[1, 2])


def _curve_block(
    ctx: BuildContext,
    i: int,
    res: CumulativeIncidence,
    used: pd.DataFrame,
    hidden: Any,
    name: str,
    title: str,
) -> dict[str, Any]:
    """The cumulative-incidence figure with its numbers at risk (recorded in the ledger), or
    a note when every group is suppressed."""
    by = ctx.spec.competing_risks[i].by
    lab = ctx.labels
    by_text = f" by {lab.inline(by)}" if by else ""
    drawn = _drawn(ctx, by, res, hidden)
    note = " Groups whose size is suppressed are not drawn." if hidden else ""
    shown = (
        used if not hidden else used.loc[~used[by].astype(object).isin(hidden).to_numpy(dtype=bool)]
    )
    t_used = shown[_TIME].to_numpy(dtype=float)
    end = truncation(t_used)
    ticks = time_breaks(end)
    groups = list(drawn.follow_up["group"]) if drawn is not None else []
    risk = risk_counts(t_used, shown[by] if by else None, ticks, groups, ctx.policy)
    _record_risk(ctx, i, by, used, groups, risk, ticks, title)
    pvalues = (
        {int(c): float(p) for c, p in zip(res.gray_test["cause"], res.gray_test["p"], strict=True)}
        if res.gray_test is not None and not hidden
        else {}
    )
    if drawn is None:
        return text_block("text", "No curve is drawn: every group's size is suppressed.", "note")
    return ctx.writer.figure(
        name,
        f"Cumulative incidence of recurrence and of death without recurrence{by_text} "
        f"(Aalen-Johansen, pointwise 95% CI), months from "
        f"{lab.origins.get('rfs', 'the time origin')}; numbers at risk below"
        + ("; Gray's test p per event type." if pvalues else ".")
        + note,
        _cif,
        drawn,
        lab,
        risk,
        ticks,
        end,
        pvalues,
    )


def _estimate_rows(
    ctx: BuildContext, by: str | None, res: CumulativeIncidence, used: pd.DataFrame
) -> pd.DataFrame:
    """Published cumulative incidence at the spec's survival times, per group and event
    type; masked where fewer than ``rate_threshold`` patients are at risk."""
    policy, lab = ctx.policy, ctx.labels
    rows = []
    for r in res.at(list(ctx.spec.output.survival_times)).itertuples(index=False):
        if by is not None:
            sub = used.loc[used[by].astype(object) == r.group, _TIME]
        else:
            sub = used[_TIME]
        n_risk = int((sub.to_numpy(dtype=float) >= r.time).sum())
        if not np.isfinite(r.estimate):
            text = "NE"
        elif policy.enabled and n_risk < policy.rate_threshold:
            text = policy.primary_marker
        else:
            text = est_ci(100 * r.estimate, 100 * r.lower, 100 * r.upper, 1)
        rows.append(
            {
                "group": lab.level(by, r.group) if by else "All patients",
                "event": lab.level(_CAUSE, int(r.cause)),
                "months": f"{r.time:g}",
                "cumulative incidence, % (95% CI)": text,
            }
        )
    return pd.DataFrame(rows)


def _gray_block(ctx: BuildContext, gray_test: pd.DataFrame, name: str) -> dict[str, Any]:
    """Gray's test per event type, as published."""
    lab = ctx.labels
    gt = gray_test.copy()
    gt["cause"] = [lab.level(_CAUSE, int(c)) for c in gt["cause"]]
    gt = gt.rename(columns={"cause": "event"})
    gt["statistic"] = [f"{v:.2f}" for v in gt["statistic"]]
    gt["p"] = [format_p(v) for v in gt["p"]]
    return ctx.writer.table(gt.astype(str), f"{name}_gray", "Gray's test")


def _record_risk(
    ctx: BuildContext,
    i: int,
    by: str | None,
    used: pd.DataFrame,
    groups: list[Any],
    risk: pd.DataFrame,
    ticks: list[float],
    where: str,
) -> None:
    """Record the numbers at risk under the curves in the disclosure ledger: each printed or
    masked cell, later ticks at most earlier ones, tick 0 = the group's size, and the groups
    (drawn, not drawn, without a value) adding up to the patients of the analysis."""
    led = ctx.ledger
    markers = (ctx.policy.primary_marker, ctx.policy.complementary_marker)
    data = ctx.data
    present = (data[_TIME].notna() & data[_CAUSE].notna()).to_numpy(dtype=bool)
    t = data[_TIME].to_numpy(dtype=float, na_value=np.nan)
    base = f"cif|{i}"
    led.hidden(f"{base}|all|n", present.sum())
    led.hidden(f"{base}|absent", (~present).sum())
    led.total("cohort|n", [f"{base}|all|n", f"{base}|absent"])
    col = data[by].astype(object) if by is not None else None
    parts = []
    levels = [None] if by is None else list(used[by].astype(object).unique())
    for g in levels:
        if col is None:
            member, key = present, f"{base}|all"
        else:
            member = (col == g).to_numpy(dtype=bool, na_value=False) & present
            key = f"{base}|{g}"
            led.hidden(f"{key}|n", member.sum())
            parts.append(f"{key}|n")
        label = str(g) if col is not None else str(groups[0]) if groups else ""
        if label not in risk.index:
            continue  # a group not drawn: its size is only hidden
        prev = f"{key}|n"
        for tick, text in zip(ticks, risk.loc[label].to_numpy(), strict=True):
            k = f"{key}|risk|{tick:g}"
            led.count(
                k,
                (member & (t >= tick)).sum(),
                masked=str(text) in markers,
                where=f"{where} (numbers at risk)",
            )
            link_sets(led, data, {k: member & (t >= tick)})
            led.at_most(k, prev)
            if float(tick) == 0.0:
                led.total(k, [f"{key}|n"])
            prev = k
    if by is not None:
        miss = data[by].isna().to_numpy(dtype=bool) & present
        led.hidden(f"{base}|<missing>|n", miss.sum())
        led.total(f"{base}|all|n", [*parts, f"{base}|<missing>|n"])

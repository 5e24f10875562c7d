"""Kaplan-Meier section of one endpoint: curves overall and by each stratifier.

For every stratifier of the spec (and all patients): the curve with its numbers at risk
(:func:`crlm_outcomes.report.figures.plot_km_with_risk`), the number-at-risk table, and a row of
the summary table (n, events, median and survival at the spec's fixed times, each with its 95%
CI); a log-rank test per stratifier. Estimates resting on fewer than the suppression policy's
``rate_threshold`` patients at risk are masked; a survival time beyond a group's follow-up is
``NE`` (not estimable), a median the curve never reaches ``NR``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from crlm_outcomes.labels import Labels, default_labels
from crlm_outcomes.plots.km import time_breaks, truncation_time
from crlm_outcomes.report._context import BuildContext
from crlm_outcomes.report.figures import at_risk_table, plot_km_with_risk
from crlm_outcomes.report.formatting import est_ci, format_p
from crlm_outcomes.report.sections._common import skipped, unusable
from crlm_outcomes.report.spec import ENDPOINTS
from crlm_outcomes.report.suppression import (
    SuppressionPolicy,
    format_count_alone,
    format_counts,
)
from crlm_outcomes.report.writer import text_block

__all__ = ["km_summary", "km_section"]


def km_summary(km: Any, label: str, times: list[float],
               policy: SuppressionPolicy, labels: Labels | None = None) -> pd.DataFrame:
    """Published rows: stratifier, group, n, events, median (95% CI), S(t) (95% CI); groups
    by their level labels (``labels``, default :func:`crlm_outcomes.labels.default_labels`)."""
    lab = labels or default_labels()
    by = km.by[0] if len(km.by) == 1 else None
    med = km.median().set_index("group")
    counts = km.n.set_index("group")
    groups = [g for g in km.group_labels if g in counts.index]
    n = counts.loc[groups, "n"].to_numpy(dtype=float)
    ev = counts.loc[groups, "events"].to_numpy(dtype=float)
    several = len(groups) > 1
    n_text = format_counts(n, policy, total_published=several)
    ev_text = format_counts(ev, policy, total_published=several)
    at = km.at(times, extend=True) if times else pd.DataFrame()
    max_t = km.table.groupby("group", observed=True, sort=False)["time"].max()
    rows = []
    for i, g in enumerate(groups):
        row = {"stratifier": label, "group": lab.level(by, g) if by else str(g),
               "n": n_text[i], "events": ev_text[i]}
        m = med.loc[g]
        rate_ok = not policy.enabled or n[i] >= policy.rate_threshold
        row["median (95% CI)"] = (est_ci(m["median"], m["lower"], m["upper"], 1)
                                  if rate_ok else policy.primary_marker)
        for t in times:
            rec = at[(at["group"] == g) & (at["time"] == t)]
            col = f"{t:g}-month survival, % (95% CI)"
            if len(rec) == 0 or t > max_t.loc[g]:
                row[col] = "NE"
                continue
            r = rec.iloc[0]
            if policy.enabled and r["n_risk"] < policy.rate_threshold:
                row[col] = policy.primary_marker
            else:
                row[col] = est_ci(100 * r["survival"], 100 * r["lower"], 100 * r["upper"], 1)
        rows.append(row)
    return pd.DataFrame(rows)


def _conditional(ctx: BuildContext, duration: str, event: str, strat: str | None,
                 label: str) -> tuple[pd.DataFrame, Any]:
    """Published conditional-survival rows of one stratifier, and the result (for the plot)."""
    from crlm_outcomes.survival.conditional import conditional_survival

    cs_spec = ctx.spec.output.conditional_survival
    policy = ctx.policy
    with ctx.collect_warnings(f"Conditional survival{' by ' + strat if strat else ''}"):
        cs = conditional_survival(ctx.data, duration, event, by=strat, given=cs_spec.given,
                                  horizon=cs_spec.horizon)
    rows = []
    for r in cs.table.itertuples(index=False):
        if r.estimate != r.estimate:
            text = "NE"
        elif policy.enabled and r.n_risk < policy.rate_threshold:
            text = policy.primary_marker
        else:
            text = est_ci(100 * r.estimate, 100 * r.lower, 100 * r.upper, 1)
        rows.append({"stratifier": label, "group": str(r.group), "given (months)": f"{r.given:g}",
                     "further months": f"{r.horizon:g}",
                     "at risk at s": format_count_alone(int(r.n_risk), policy),
                     "conditional survival, % (95% CI)": text})
    return pd.DataFrame(rows), cs


def _plot_conditional(result: Any) -> Any:
    """Conditional survival curves (figure recipe)."""
    return result.plot()


def km_section(ctx: BuildContext, endpoint: str) -> None:
    """Add the Kaplan-Meier section of ``endpoint`` (a key of
    :data:`crlm_outcomes.report.spec.ENDPOINTS`)."""
    from crlm_outcomes.survival.kaplan_meier import kaplan_meier
    from crlm_outcomes.survival.logrank import logrank

    duration, event = ENDPOINTS[endpoint]
    lab = ctx.labels
    title = lab.endpoint(endpoint)
    spec, policy, data = ctx.spec, ctx.policy, ctx.data
    why = unusable(ctx, duration, event)
    if why:
        skipped(ctx, f"km-{endpoint}", title, why)
        return
    times = list(spec.output.survival_times)
    blocks: list[dict[str, Any]] = []
    summaries = []
    conditional = []
    tests = []
    stratifiers: list[str | None] = [None, *spec.stratifiers]
    for strat in stratifiers:
        why = unusable(ctx, strat)
        by_text = f" by {lab.inline(strat)}" if strat else ""
        if why:
            blocks.append(text_block("heading", f"{title}{by_text}"))
            blocks.append(text_block("text", f"Not analysed: {why}.", "note"))
            ctx.notes.append(f"{title}{by_text}: not analysed, {why}.")
            continue
        with ctx.collect_warnings(f"{title}{by_text}"):
            km = kaplan_meier(data, duration, event, by=strat, conf_type=spec.output.conf_type)
            lr = logrank(data, duration, event, by=strat) if (
                strat is not None and len(km.group_labels) > 1) else None
        label = lab.variable(strat) if strat else "All patients"
        summaries.append(km_summary(km, label, times, policy, lab))
        if spec.output.conditional_survival is not None:
            conditional.append(_conditional(ctx, duration, event, strat, label))
        if lr is not None:
            tests.append({"stratifier": label, "test": lr.method,
                          "chi-square": f"{lr.statistic:.2f}", "df": str(lr.df),
                          "p": format_p(lr.p),
                          "rows excluded (missing)": format_count_alone(km.n_excluded, policy)})
        name = f"km_{endpoint}_{strat or 'overall'}"
        caption = (f"{title}" + (by_text or ", all patients") +
                   f" (Kaplan-Meier, 95% CI {spec.output.conf_type}); time in months from "
                   f"{lab.origins.get(endpoint, 'the time origin')}; the axis ends where fewer "
                   "than 10% of the patients (or 10) remain at risk; numbers at risk below.")
        if strat is not None and km.n_excluded:
            caption += (f" {format_count_alone(km.n_excluded, policy)}"
                        f" patient(s) without a recorded {lab.inline(strat)} or "
                        "without follow-up for this endpoint are not shown.")
        blocks.append(text_block("heading", title + (by_text or ": all patients")))
        blocks.append(ctx.writer.figure(name, caption, plot_km_with_risk, km, policy=policy,
                                        endpoint=endpoint, labels=lab,
                                        pvalue=lr.p if lr is not None else None))
        # the numbers at risk are printed under the figure; the CSV keeps them for reuse
        end = truncation_time(km)
        risk = at_risk_table(km, time_breaks(end), policy)
        risk_pub = risk.reset_index()
        risk_pub.columns = ["group", *[f"{c} months" for c in risk.columns]]
        if strat is not None:
            risk_pub["group"] = [lab.level(strat, g) for g in km.group_labels
                                 if str(g) in set(risk.index)]
        ctx.writer.table(risk_pub, f"at_risk_{endpoint}_{strat or 'overall'}",
                         f"Number at risk: {title}{by_text}")
    summary = pd.concat(summaries, ignore_index=True)
    blocks.append(text_block("heading", f"{title}: medians and survival at "
                             f"{', '.join(f'{t:g}' for t in times)} months"))
    blocks.append(ctx.writer.table(summary, f"km_summary_{endpoint}",
                                   f"{title}: Kaplan-Meier estimates (NR = not reached, "
                                   "NE = beyond follow-up)", footnote=policy.footnote()))
    if tests:
        blocks.append(ctx.writer.table(pd.DataFrame(tests), f"logrank_{endpoint}",
                                       f"{title}: log-rank tests"))
    if conditional:
        blocks.append(text_block("heading", f"{title}: conditional survival"))
        blocks.append(ctx.writer.table(
            pd.concat([c[0] for c in conditional], ignore_index=True),
            f"conditional_{endpoint}", f"{title}: conditional survival P(T > s + t | T > s), "
            "% (95% CI, log-log)", footnote=policy.footnote()))
        blocks.append(ctx.writer.figure(f"conditional_{endpoint}", f"{title}: conditional "
                                        "survival given the time already survived, all "
                                        "patients.", _plot_conditional, conditional[0][1]))
    ctx.sections.append({"id": f"km-{endpoint}", "title": title, "paragraphs": [
        f"{title}: {lab.events.get(endpoint, 'the event').lower()}, with time in months from "
        f"{lab.origins.get(endpoint, 'the time origin')}."], "blocks": blocks})

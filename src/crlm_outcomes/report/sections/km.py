"""Kaplan-Meier section of one endpoint: curves overall and by each stratifier.

For every stratifier of the spec (and all patients): the curve with its numbers at risk
(:func:`crlm_outcomes.report.figures.plot_km_with_risk`), the number-at-risk table, and a row of
the summary table (n, events, median and survival at the spec's fixed times, each with its 95%
CI); a log-rank test per stratifier. Estimates resting on fewer than the suppression policy's
``rate_threshold`` patients at risk are masked; a survival time beyond a group's follow-up is
``NE`` (not estimable), a median the curve never reaches ``NR``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.labels import Labels, default_labels
from crlm_outcomes.plots.km import time_breaks, truncation_time
from crlm_outcomes.report._context import BuildContext
from crlm_outcomes.report.figures import at_risk_table, plot_km_with_risk
from crlm_outcomes.report.formatting import est_ci, format_p
from crlm_outcomes.report.sections._common import skipped, unusable
from crlm_outcomes.report.sections._disclosure import link_sets
from crlm_outcomes.report.spec import ENDPOINTS
from crlm_outcomes.report.suppression import (
    COMPLEMENTARY,
    PRIMARY,
    SuppressionPolicy,
    complementary_mask,
    format_count,
    format_count_alone,
    primary_mask,
    suppress_vector,
)
from crlm_outcomes.report.writer import text_block

__all__ = ["km_summary", "km_section", "drawable_groups", "only_groups", "record_km"]


def km_summary(
    km: Any,
    label: str,
    times: list[float],
    policy: SuppressionPolicy,
    labels: Labels | None = None,
    *,
    n_excluded: int | None = None,
    forced: set[str] | frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """Published rows: stratifier, group, n, events, median (95% CI), S(t) (95% CI); groups
    by their level labels (``labels``, default :func:`crlm_outcomes.labels.default_labels`).

    ``n_excluded`` (patients without a group or the endpoint, printed beside the table) and
    the group sizes add up to the analysis cohort, so they are suppressed together; groups in
    ``forced`` (masked elsewhere, e.g. in Table 1; raw group values) are masked here too. The
    kinds are kept in ``attrs`` (``n_kind``, ``events_kind``, ``excluded_kind``).

    Parameters
    ----------
    km
        A Kaplan-Meier result (:func:`crlm_outcomes.survival.kaplan_meier.kaplan_meier`),
        overall or by one column.
    label
        The stratifier's name printed in the ``stratifier`` column.
    times
        Months at which survival is printed (one column each).
    policy
        The suppression policy (sizes, events; estimates resting on fewer than
        ``rate_threshold`` patients at risk are masked).
    labels
        Display labels of the groups (default :func:`crlm_outcomes.labels.default_labels`).
    n_excluded
        Patients without a group or the endpoint, printed beside the table (None: not
        printed).
    forced
        Groups (raw values, as text) masked elsewhere, masked here too.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``stratifier``, ``group``, ``n``, ``events``, ``median (95% CI)``
        and ``<t>-month survival, % (95% CI)`` per time, all text; ``NR`` = median not
        reached, ``NE`` = beyond the group's follow-up.

    Examples
    --------
    >>> from crlm_outcomes.datasets import synthetic_cohort
    >>> from crlm_outcomes.report.suppression import SuppressionPolicy
    >>> from crlm_outcomes.survival.kaplan_meier import kaplan_meier
    >>> km = kaplan_meier(synthetic_cohort(200, seed=1), "os_months", "os_event")
    >>> row = km_summary(km, "All patients", [12, 36], SuppressionPolicy()).iloc[0]
    >>> row["n"], row["events"], row["median (95% CI)"]
    ('200', '143', '40.9 (34.0–51.6)')
    >>> row["36-month survival, % (95% CI)"]
    '55.9 (49.3–63.5)'
    """
    lab = labels or default_labels()
    by = km.by[0] if len(km.by) == 1 else None
    med = km.median().set_index("group")
    counts = km.n.set_index("group")
    groups = [g for g in km.group_labels if g in counts.index]
    # by label (a list of booleans given to .loc would be read as a mask)
    n = counts["n"].reindex(groups).to_numpy(dtype=float)
    ev = counts["events"].reindex(groups).to_numpy(dtype=float)
    several = len(groups) > 1
    n_kind, excluded_kind = _size_kinds(
        n, [str(g) for g in groups], policy, several, n_excluded, forced
    )
    ev_kind = suppress_vector(ev, policy, total_published=several)
    n_text = [format_count(v, k, policy) for v, k in zip(n, n_kind, strict=True)]
    ev_text = [format_count(v, k, policy) for v, k in zip(ev, ev_kind, strict=True)]
    at = km.at(times, extend=True) if times else pd.DataFrame()
    max_t = km.table.groupby("group", observed=True, sort=False)["time"].max()
    rows = []
    for i, g in enumerate(groups):
        row = {
            "stratifier": label,
            "group": lab.level(by, g) if by else str(g),
            "n": n_text[i],
            "events": ev_text[i],
        }
        m = med.loc[g]
        rate_ok = not policy.enabled or n[i] >= policy.rate_threshold
        row["median (95% CI)"] = (
            est_ci(m["median"], m["lower"], m["upper"], 1) if rate_ok else policy.primary_marker
        )
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
    out = pd.DataFrame(rows)
    out.attrs["n_kind"] = [int(k) for k in n_kind]
    out.attrs["events_kind"] = [int(k) for k in ev_kind]
    out.attrs["excluded_kind"] = excluded_kind
    return out


def _size_kinds(
    n: np.ndarray,
    labels: list[str],
    policy: SuppressionPolicy,
    several: bool,
    n_excluded: int | None,
    forced: set[str] | frozenset[str],
) -> tuple[np.ndarray, int]:
    """Suppression kinds of the group sizes and of the excluded count printed beside them."""
    if not policy.enabled:
        return np.zeros(len(n), np.int8), 0
    vals = n if n_excluded is None else np.r_[n, float(n_excluded)]
    prim = primary_mask(vals, policy.threshold, suppress_zero=policy.suppress_zero)
    start = prim.copy()
    start[: len(n)] |= np.array([lab in forced for lab in labels], dtype=bool)
    linked = several or n_excluded is not None
    full = complementary_mask(vals, start, [np.arange(len(vals))] if linked else [])
    kinds = np.where(prim, PRIMARY, np.where(full, COMPLEMENTARY, 0)).astype(np.int8)
    return kinds[: len(n)], int(kinds[len(n)]) if n_excluded is not None else 0


def _conditional(
    ctx: BuildContext, duration: str, event: str, strat: str | None, label: str
) -> tuple[pd.DataFrame, Any]:
    """Published conditional-survival rows of one stratifier, and the result (for the plot)."""
    from crlm_outcomes.survival.conditional import conditional_survival

    cs_spec = ctx.spec.output.conditional_survival
    if cs_spec is None:  # called only for a spec with output.conditional_survival
        raise SpecError(
            "the analysis spec has no output.conditional_survival block",
            column="conditional_survival",
        )
    policy = ctx.policy
    by_text = f" by {ctx.labels.inline(strat)}" if strat else ""
    with ctx.collect_warnings(f"Conditional survival{by_text}"):
        cs = conditional_survival(
            ctx.data, duration, event, by=strat, given=cs_spec.given, horizon=cs_spec.horizon
        )
    rows = []
    for r in cs.table.itertuples(index=False):
        if r.estimate != r.estimate:
            text = "NE"
        elif policy.enabled and r.n_risk < policy.rate_threshold:
            text = policy.primary_marker
        else:
            text = est_ci(100 * r.estimate, 100 * r.lower, 100 * r.upper, 1)
        group = ctx.labels.level(strat, r.group) if strat else str(r.group)
        rows.append(
            {
                "stratifier": label,
                "group": group,
                "given (months)": f"{r.given:g}",
                "further months": f"{r.horizon:g}",
                "at risk at s": format_count_alone(int(r.n_risk), policy),
                "conditional survival, % (95% CI)": text,
            }
        )
    return pd.DataFrame(rows), cs


def _plot_conditional(result: Any) -> Any:
    """Conditional survival curves (figure recipe)."""
    return result.plot()


def km_section(ctx: BuildContext, endpoint: str) -> None:
    """Add the Kaplan-Meier section of ``endpoint`` (a key of
    :data:`crlm_outcomes.report.spec.ENDPOINTS`).

    For all patients and each of the spec's stratifiers: the curves with their numbers at
    risk (a figure, and a table file), a row of the summary table and a log-rank test; the
    counts are suppressed by ``ctx.policy`` and recorded in ``ctx.ledger``. A stratifier
    that cannot be analysed gets a note instead.

    Parameters
    ----------
    ctx
        The build context (spec, policy, writer and the analysis cohort ``ctx.data``).
    endpoint
        ``"os"``, ``"rfs"`` or ``"hepatic_rfs"``.

    Returns
    -------
    None
        The section is appended to ``ctx.sections``; its figures and tables are written
        through ``ctx.writer``.

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
    >>> spec = parse_spec({"cohort": {"demo": True}, "stratifiers": ["fong_group"],
    ...                    "output": {"figure_formats": ["png"], "table_formats": ["csv"]}})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ctx = BuildContext(spec, SuppressionPolicy(enabled=False), OutputWriter(Path(tmp), spec, 1))
    ...     ctx.cohort = synthetic_cohort(200, seed=1)
    ...     steps = stratify_and_filter(ctx)
    ...     km_section(ctx, "os")
    ...     tables = sorted(p.name for p in Path(tmp, "tables").iterdir())
    >>> section = ctx.sections[-1]
    >>> section["id"], section["title"]
    ('km-os', 'Overall survival')
    >>> [b["kind"] for b in section["blocks"]]
    ['heading', 'figure', 'heading', 'figure', 'heading', 'table', 'table']
    >>> tables
    ['at_risk_os_fong_group.csv', 'at_risk_os_overall.csv', 'km_summary_os.csv', 'logrank_os.csv']
    """
    duration, event = ENDPOINTS[endpoint]
    lab = ctx.labels
    title = lab.endpoint(endpoint)
    why = unusable(ctx, duration, event)
    if why:
        skipped(ctx, f"km-{endpoint}", title, why)
        return
    acc = _KmParts(blocks=[], summaries=[], conditional=[], tests=[])
    for strat in [None, *ctx.spec.stratifiers]:
        _stratifier_part(ctx, endpoint, strat, acc)
    acc.blocks.extend(_summary_blocks(ctx, endpoint, acc))
    ctx.sections.append(
        {
            "id": f"km-{endpoint}",
            "title": title,
            "paragraphs": [
                f"{title}: {lab.events.get(endpoint, 'the event').lower()}, with time in months from "
                f"{lab.origins.get(endpoint, 'the time origin')}."
            ],
            "blocks": acc.blocks,
        }
    )


@dataclass
class _KmParts:
    """What the stratifiers of one Kaplan-Meier section add up: page blocks, summary rows,
    conditional-survival rows (with their results) and log-rank rows."""

    blocks: list[dict[str, Any]]
    summaries: list[pd.DataFrame]
    conditional: list[tuple[pd.DataFrame, Any]]
    tests: list[dict[str, str]]


def _stratifier_part(ctx: BuildContext, endpoint: str, strat: str | None, acc: _KmParts) -> None:
    """The curve, numbers at risk, summary rows and log-rank row of one stratifier (None: all
    patients), added to ``acc``; a stratifier not usable is a note."""
    from crlm_outcomes.survival.kaplan_meier import kaplan_meier
    from crlm_outcomes.survival.logrank import logrank

    duration, event = ENDPOINTS[endpoint]
    spec, policy, data, lab = ctx.spec, ctx.policy, ctx.data, ctx.labels
    title = lab.endpoint(endpoint)
    why = unusable(ctx, strat)
    by_text = f" by {lab.inline(strat)}" if strat else ""
    if why:
        acc.blocks.append(text_block("heading", f"{title}{by_text}"))
        acc.blocks.append(text_block("text", f"Not analysed: {why}.", "note"))
        ctx.notes.append(f"{title}{by_text}: not analysed, {why}.")
        return
    with ctx.collect_warnings(f"{title}{by_text}"):
        km = kaplan_meier(data, duration, event, by=strat, conf_type=spec.output.conf_type)
        lr = (
            logrank(data, duration, event, by=strat)
            if (strat is not None and len(km.group_labels) > 1)
            else None
        )
    label = lab.variable(strat) if strat else "All patients"
    summ = km_summary(
        km,
        label,
        list(spec.output.survival_times),
        policy,
        lab,
        n_excluded=km.n_excluded if strat is not None else None,
        forced=ctx.group_masks.get(strat or "", frozenset()),
    )
    acc.summaries.append(summ)
    if spec.output.conditional_survival is not None:
        acc.conditional.append(_conditional(ctx, duration, event, strat, label))
    if lr is not None:
        acc.tests.append(_logrank_row(label, lr, km, summ, policy))
    # the axis ends where fewer than 10% (or 10) remain at risk; ticks every 12/24 months
    end = truncation_time(km)
    grid = time_breaks(end)
    risk = at_risk_table(km, grid, policy, size_kinds=summ.attrs["n_kind"])
    drawn = drawable_groups(km, summ)
    record_km(
        ctx,
        data,
        duration,
        event,
        strat,
        f"km|{endpoint}",
        km,
        summ,
        risk,
        grid,
        drawn,
        where=f"{title}{by_text}",
    )
    acc.blocks.append(text_block("heading", title + (by_text or ": all patients")))
    acc.blocks.append(_curve_block(ctx, endpoint, strat, km, lr, summ, risk, drawn, end))
    _write_at_risk(ctx, endpoint, strat, km, risk)


def _logrank_row(
    label: str, lr: Any, km: Any, summ: pd.DataFrame, policy: SuppressionPolicy
) -> dict[str, str]:
    """The published log-rank row of one stratifier."""
    return {
        "stratifier": label,
        "test": lr.method,
        "chi-square": f"{lr.statistic:.2f}",
        "df": str(lr.df),
        "p": format_p(lr.p),
        "rows excluded (missing)": format_count(km.n_excluded, summ.attrs["excluded_kind"], policy),
    }


def _curve_caption(
    ctx: BuildContext,
    endpoint: str,
    strat: str | None,
    km: Any,
    summ: pd.DataFrame,
    drawn: list[Any],
) -> str:
    """The caption of one Kaplan-Meier figure: endpoint, CI, time origin, truncation, and the
    patients and groups not shown."""
    lab, policy = ctx.labels, ctx.policy
    title = lab.endpoint(endpoint)
    by_text = f" by {lab.inline(strat)}" if strat else ""
    caption = (
        f"{title}"
        + (by_text or ", all patients")
        + f" (Kaplan-Meier, 95% CI {ctx.spec.output.conf_type}); time in months from "
        f"{lab.origins.get(endpoint, 'the time origin')}; the axis ends where fewer "
        "than 10% of the patients (or 10) remain at risk; numbers at risk below."
    )
    if strat is not None and km.n_excluded:
        caption += (
            f" {format_count(km.n_excluded, summ.attrs['excluded_kind'], policy)}"
            f" patient(s) without a recorded {lab.inline(strat)} or "
            "without follow-up for this endpoint are not shown."
        )
    if len(drawn) < len(km.group_labels):
        caption += (
            " Groups whose size or number of events is suppressed are not drawn "
            "(a curve shows both in its steps)."
        )
    return caption


def _curve_block(
    ctx: BuildContext,
    endpoint: str,
    strat: str | None,
    km: Any,
    lr: Any,
    summ: pd.DataFrame,
    risk: pd.DataFrame,
    drawn: list[Any],
    end: float,
) -> dict[str, Any]:
    """The figure of the drawable curves with their numbers at risk, or a note when every
    group is suppressed."""
    if not drawn:
        return text_block(
            "text",
            "No curve is drawn: every group's size or number of events is suppressed.",
            "note",
        )
    return ctx.writer.figure(
        f"km_{endpoint}_{strat or 'overall'}",
        _curve_caption(ctx, endpoint, strat, km, summ, drawn),
        plot_km_with_risk,
        only_groups(km, drawn),
        policy=ctx.policy,
        endpoint=endpoint,
        labels=ctx.labels,
        max_time=end,
        pvalue=lr.p if lr is not None and len(drawn) == len(km.group_labels) else None,
        risk=risk.loc[[str(g) for g in drawn]],
    )


def _write_at_risk(
    ctx: BuildContext, endpoint: str, strat: str | None, km: Any, risk: pd.DataFrame
) -> None:
    """Save the numbers at risk as a table file (printed under the figure on the page; the
    file keeps them for reuse)."""
    lab = ctx.labels
    by_text = f" by {lab.inline(strat)}" if strat else ""
    risk_pub = risk.reset_index()
    risk_pub.columns = ["group", *[f"{c} months" for c in risk.columns]]
    if strat is not None:
        risk_pub["group"] = [
            lab.level(strat, g) for g in km.group_labels if str(g) in set(risk.index)
        ]
    ctx.writer.table(
        risk_pub,
        f"at_risk_{endpoint}_{strat or 'overall'}",
        f"Number at risk: {lab.endpoint(endpoint)}{by_text}",
    )


def _summary_blocks(ctx: BuildContext, endpoint: str, acc: _KmParts) -> list[dict[str, Any]]:
    """The section's closing blocks: the summary table, the log-rank tests and the
    conditional-survival table and figure."""
    policy = ctx.policy
    title = ctx.labels.endpoint(endpoint)
    times = list(ctx.spec.output.survival_times)
    blocks = [
        text_block(
            "heading",
            f"{title}: medians and survival at {', '.join(f'{t:g}' for t in times)} months",
        ),
        ctx.writer.table(
            pd.concat(acc.summaries, ignore_index=True),
            f"km_summary_{endpoint}",
            f"{title}: Kaplan-Meier estimates (NR = not reached, NE = beyond follow-up)",
            footnote=policy.footnote(),
        ),
    ]
    if acc.tests:
        blocks.append(
            ctx.writer.table(
                pd.DataFrame(acc.tests), f"logrank_{endpoint}", f"{title}: log-rank tests"
            )
        )
    if acc.conditional:
        blocks.append(text_block("heading", f"{title}: conditional survival"))
        blocks.append(
            ctx.writer.table(
                pd.concat([c[0] for c in acc.conditional], ignore_index=True),
                f"conditional_{endpoint}",
                f"{title}: conditional survival P(T > s + t | T > s), % (95% CI, log-log)",
                footnote=policy.footnote(),
            )
        )
        blocks.append(
            ctx.writer.figure(
                f"conditional_{endpoint}",
                f"{title}: conditional survival given the time already survived, all patients.",
                _plot_conditional,
                acc.conditional[0][1],
            )
        )
    return blocks


def drawable_groups(km: Any, summ: pd.DataFrame) -> list[Any]:
    """Groups whose curve may be drawn: a curve shows its size (the step heights) and its
    events (the steps), so a group with either masked in ``summ`` is left out.

    Parameters
    ----------
    km
        The Kaplan-Meier result.
    summ
        Its published summary (:func:`km_summary`), with the suppression kinds in ``attrs``.

    Returns
    -------
    list
        The group labels of ``km`` (raw values) whose size and events are both printed.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.report.suppression import SuppressionPolicy
    >>> from crlm_outcomes.survival.kaplan_meier import kaplan_meier
    >>> d = pd.DataFrame({"months": [3.0, 8, 12, 20, 30, 5, 9, 14, 40, 41, 42, 43, 44, 45, 46],
    ...                   "dead": [1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0],
    ...                   "arm": ["A"] * 5 + ["B"] * 10})
    >>> km = kaplan_meier(d, "months", "dead", by="arm")
    >>> summ = km_summary(km, "Arm", [12], SuppressionPolicy(threshold=6))
    >>> summ["n"].tolist(), drawable_groups(km, summ)
    (['<6', '‡'], [])
    >>> drawable_groups(km, km_summary(km, "Arm", [12], SuppressionPolicy(enabled=False)))
    ['A', 'B']
    """
    kinds = zip(summ.attrs["n_kind"], summ.attrs["events_kind"], strict=True)
    return [g for g, (kn, ke) in zip(km.group_labels, kinds, strict=False) if not kn and not ke]


def only_groups(km: Any, groups: list[Any]) -> Any:
    """The Kaplan-Meier result restricted to ``groups`` (for drawing; nothing is refitted).

    Parameters
    ----------
    km
        The Kaplan-Meier result.
    groups
        The group labels to keep (e.g. :func:`drawable_groups`).

    Returns
    -------
    KaplanMeier
        ``km`` itself when every group is kept; otherwise a copy whose ``table``, ``n`` and
        ``group_labels`` hold only ``groups``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.survival.kaplan_meier import kaplan_meier
    >>> d = pd.DataFrame({"months": [3.0, 8, 12, 20, 5, 9, 14, 40],
    ...                   "dead": [1, 1, 0, 1, 1, 0, 1, 1], "arm": ["A"] * 4 + ["B"] * 4})
    >>> km = kaplan_meier(d, "months", "dead", by="arm")
    >>> only_groups(km, ["B"]).n["group"].tolist()
    ['B']
    >>> only_groups(km, ["A", "B"]) is km
    True
    """
    if len(groups) == len(km.group_labels):
        return km
    keep = set(groups)
    return replace(
        km,
        table=km.table.loc[km.table["group"].isin(keep)],
        n=km.n.loc[km.n["group"].isin(keep)],
        group_labels=list(groups),
    )


def _members(data: pd.DataFrame, strat: str | None, group: Any) -> np.ndarray:
    if strat is None:
        return np.ones(len(data), bool)
    return (data[strat].astype(object) == group).to_numpy(dtype=bool, na_value=False)


def record_km(
    ctx: BuildContext,
    data: pd.DataFrame,
    duration: str,
    event: str,
    strat: str | None,
    prefix: str,
    km: Any,
    summ: pd.DataFrame,
    risk: pd.DataFrame,
    grid: Any,
    drawn: list[Any],
    where: str,
    total_key: str = "cohort|n",
) -> None:
    """Record a Kaplan-Meier block's counts in the disclosure ledger, from the data itself:
    group sizes and events, the patients left out (stratifier or endpoint missing), the
    numbers at risk at each tick and the curves drawn.

    Parameters
    ----------
    ctx
        The build context (its ``ledger`` and ``policy``).
    data
        The rows the curves were estimated on (the analysis or landmark cohort).
    duration, event
        The endpoint's time and event columns.
    strat
        The stratifier (None: all patients).
    prefix
        Ledger key prefix (e.g. ``"km|os"``).
    km
        The Kaplan-Meier result.
    summ
        Its published summary (:func:`km_summary`).
    risk
        The published numbers at risk (group by tick).
    grid
        The ticks of the numbers at risk.
    drawn
        The groups whose curve is drawn (:func:`drawable_groups`).
    where
        Where the block is printed (for the ledger's messages).
    total_key
        Ledger key of the patients the block starts from (default the analysis cohort,
        ``"cohort|n"``).

    Returns
    -------
    None
        The counts and their arithmetic are added to ``ctx.ledger``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crlm_outcomes.report._context import BuildContext
    >>> from crlm_outcomes.report.disclosure_check import check_disclosure
    >>> from crlm_outcomes.report.figures import at_risk_table
    >>> from crlm_outcomes.report.spec import parse_spec
    >>> from crlm_outcomes.report.suppression import SuppressionPolicy
    >>> from crlm_outcomes.survival.kaplan_meier import kaplan_meier
    >>> spec = parse_spec({"cohort": {"demo": True}})
    >>> ctx = BuildContext(spec, SuppressionPolicy(threshold=5), writer=None)
    >>> d = pd.DataFrame({"months": [3.0, 8, 12, 20, 30, 36, 40, 50],
    ...                   "dead": [1, 1, 0, 1, 0, 1, 0, 1]})
    >>> km = kaplan_meier(d, "months", "dead")
    >>> summ = km_summary(km, "All patients", [12], ctx.policy)
    >>> risk = at_risk_table(km, [0, 24], ctx.policy, size_kinds=summ.attrs["n_kind"])
    >>> ctx.ledger.hidden("cohort|n", 8)
    >>> record_km(ctx, d, "months", "dead", None, "km|os", km, summ, risk, [0, 24],
    ...           drawable_groups(km, summ), where="Overall survival")
    >>> ctx.ledger.values["km|os|all|risk|24"], ctx.ledger.masked["km|os|all|risk|24"]
    (4.0, ['Overall survival (numbers at risk)'])
    >>> check_disclosure(ctx.ledger, threshold=5)
    []
    """
    led = ctx.ledger
    present = (data[duration].notna() & data[event].notna()).to_numpy(dtype=bool)
    t = data[duration].to_numpy(dtype=float, na_value=np.nan)
    dead = (data[event].to_numpy(dtype=float, na_value=np.nan) == 1) & present
    all_key = f"{prefix}|all"
    led.hidden(f"{all_key}|n", present.sum())
    led.hidden(f"{all_key}|events", dead.sum())
    led.hidden(f"{prefix}|absent", (~present).sum())
    led.total(total_key, [f"{all_key}|n", f"{prefix}|absent"])
    link_sets(led, data, {f"{all_key}|n": present, f"{all_key}|events": dead})
    for tick in grid:
        led.hidden(f"{all_key}|risk|{tick:g}", (present & (t >= tick)).sum())
    if strat is None:
        _publish(led, f"{all_key}|n", present.sum(), summ.attrs["n_kind"][0], where)
        _publish(led, f"{all_key}|events", dead.sum(), summ.attrs["events_kind"][0], where)
        _record_risk(led, all_key, grid, risk.iloc[0], present, t, ctx, where)
        led.reveal(f"{all_key}|n", present.sum(), f"{where} (curve)")
        led.reveal(f"{all_key}|events", dead.sum(), f"{where} (curve steps)")
        return
    base = f"{prefix}|{strat}"
    parts_n, parts_e = [], []
    for i, g in enumerate(km.group_labels):
        m = _members(data, strat, g) & present
        key = f"{base}|{g}"
        _publish(led, f"{key}|n", m.sum(), summ.attrs["n_kind"][i], where)
        _publish(led, f"{key}|events", (m & dead).sum(), summ.attrs["events_kind"][i], where)
        led.at_most(f"{key}|events", f"{key}|n")
        _record_risk(led, key, grid, risk.loc[str(g)], m, t, ctx, where)
        if g in drawn:
            led.reveal(f"{key}|n", m.sum(), f"{where} (curve)")
            led.reveal(f"{key}|events", (m & dead).sum(), f"{where} (curve steps)")
        link_sets(led, data, {f"{key}|n": m, f"{key}|events": m & dead})
        parts_n.append(f"{key}|n")
        parts_e.append(f"{key}|events")
    miss = data[strat].isna().to_numpy(dtype=bool) & present
    led.hidden(f"{base}|<missing>|n", miss.sum())
    led.hidden(f"{base}|<missing>|events", (miss & dead).sum())
    led.total(f"{all_key}|n", [*parts_n, f"{base}|<missing>|n"])
    led.total(f"{all_key}|events", [*parts_e, f"{base}|<missing>|events"])
    for tick in grid:
        led.hidden(f"{base}|<missing>|risk|{tick:g}", (miss & (t >= tick)).sum())
        led.at_most(f"{base}|<missing>|risk|{tick:g}", f"{base}|<missing>|n")
        led.total(
            f"{all_key}|risk|{tick:g}",
            [
                *[f"{base}|{g}|risk|{tick:g}" for g in km.group_labels],
                f"{base}|<missing>|risk|{tick:g}",
            ],
        )
    n_exc = int(len(data) - sum(led.values[k] for k in parts_n))
    led.count(
        f"{base}|excluded",
        n_exc,
        masked=bool(summ.attrs["excluded_kind"]),
        where=f"{where} (caption, log-rank table)",
    )
    led.total(total_key, [f"{base}|excluded", *parts_n])


def _publish(led: Any, key: str, value: float, kind: int, where: str) -> None:
    led.count(key, value, masked=bool(kind), where=where)


def _record_risk(
    led: Any,
    key: str,
    grid: Any,
    row: pd.Series,
    members: np.ndarray,
    t: np.ndarray,
    ctx: BuildContext,
    where: str,
) -> None:
    markers = (ctx.policy.primary_marker, ctx.policy.complementary_marker)
    prev = f"{key}|n"
    for tick, text in zip(grid, row.to_numpy(), strict=True):
        k = f"{key}|risk|{tick:g}"
        led.count(
            k,
            (members & (t >= tick)).sum(),
            masked=str(text) in markers,
            where=f"{where} (numbers at risk)",
        )
        led.at_most(k, prev)
        if float(tick) == 0.0:  # everyone is at risk at time 0: the group's size
            led.total(k, [f"{key}|n"])
        prev = k

"""Competing-risks section: recurrence vs death without recurrence.

Recurrence-free survival split into its two causes (``rfs_cause``: 1 = recurrence, 2 = death
without recurrence); cumulative incidence by Aalen-Johansen
(:func:`crlm_outcomes.survival.competing_risks.cumulative_incidence`, agreeing with R's
``cmprsk::cuminc``), estimates at the spec's fixed times and Gray's test between groups.
``1 - Kaplan-Meier`` would overstate each cause (Putter, Fiocco & Geskus, *Stat Med*
2007;26:2389-2430).
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from crlm_outcomes.report._context import BuildContext
from crlm_outcomes.report.formatting import est_ci, format_p
from crlm_outcomes.report.sections._common import skipped, unusable
from crlm_outcomes.schema.endpoint_map import ENDPOINTS

__all__ = ["CAUSE_LABELS", "competing_risks_section"]

#: Duration and competing-risk status columns of recurrence-free survival.
_TIME, _CAUSE = ENDPOINTS["rfs"].duration, str(ENDPOINTS["rfs"].cause)
#: Labels of the ``rfs_cause`` codes.
CAUSE_LABELS = {1: "Recurrence", 2: "Death without recurrence"}


def _cif(res: Any) -> plt.Axes:
    """Cumulative incidence curves of recurrence and death without recurrence (recipe)."""
    return res.plot(cause_labels=CAUSE_LABELS, xlabel="Months since liver-directed treatment")


def competing_risks_section(ctx: BuildContext, i: int) -> None:
    """Add the section of the spec's ``i``-th competing-risks analysis."""
    from crlm_outcomes.survival.competing_risks import cumulative_incidence

    cr = ctx.spec.competing_risks[i]
    policy, data = ctx.policy, ctx.data
    why = unusable(ctx, _TIME, _CAUSE, cr.by)
    if why:
        skipped(ctx, f"cif-{i}", "Competing risks" + (f" by {cr.by}" if cr.by else ""), why)
        return
    with ctx.collect_warnings("Competing risks" + (f" by {cr.by}" if cr.by else "")):
        res = cumulative_incidence(data, _TIME, _CAUSE, by=cr.by, causes=[1, 2])
    name = f"cif_{cr.by or 'overall'}"
    title = ("Recurrence and death without recurrence" + (f" by {cr.by}" if cr.by else ""))
    drawn, caption = res, f"Cumulative incidence: {title.lower()} (Aalen-Johansen)."
    hidden = _masked_groups(ctx, cr.by)
    if hidden:  # a curve shows its steps, hence its group's size: masked groups are not drawn
        keep = ~data[cr.by].astype(object).isin(hidden).to_numpy(dtype=bool, na_value=False)
        with ctx.collect_warnings(f"Competing risks by {cr.by}"):
            drawn = cumulative_incidence(data.loc[keep], _TIME, _CAUSE, by=cr.by,
                                         causes=[1, 2])
        caption += " Groups whose size is suppressed are not drawn."
    blocks = [ctx.writer.figure(name, caption, _cif, drawn)]
    times = list(ctx.spec.output.survival_times)
    at = res.at(times)
    used = data.loc[data[_TIME].notna() & data[_CAUSE].notna()]
    rows = []
    for r in at.itertuples(index=False):
        if cr.by is not None:
            sub = used.loc[used[cr.by].astype(object) == r.group, _TIME]
        else:
            sub = used[_TIME]
        n_risk = int((sub.to_numpy(dtype=float) >= r.time).sum())
        if not np.isfinite(r.estimate):
            text = "NE"
        elif policy.enabled and n_risk < policy.rate_threshold:
            text = policy.primary_marker
        else:
            text = est_ci(100 * r.estimate, 100 * r.lower, 100 * r.upper, 1)
        rows.append({"group": str(r.group), "event": CAUSE_LABELS.get(r.cause, str(r.cause)),
                     "months": f"{r.time:g}", "cumulative incidence, % (95% CI)": text})
    blocks.append(ctx.writer.table(pd.DataFrame(rows), f"{name}_estimates",
                                   f"Cumulative incidence: {title.lower()}"))
    if res.gray_test is not None:
        gt = res.gray_test.copy()
        gt["cause"] = [CAUSE_LABELS.get(c, str(c)) for c in gt["cause"]]
        gt["statistic"] = [f"{v:.2f}" for v in gt["statistic"]]
        gt["p"] = [format_p(v) for v in gt["p"]]
        blocks.append(ctx.writer.table(gt.astype(str), f"{name}_gray", "Gray's test"))
    ctx.sections.append({"id": f"cif-{i}", "title": f"Competing risks: {title}",
                         "paragraphs": ["Recurrence-free survival split into its two causes "
                                        "(rfs_cause: 1 = recurrence, 2 = death without "
                                        "recurrence); 1 - Kaplan-Meier would overstate each."],
                         "blocks": blocks})


def _masked_groups(ctx: BuildContext, by: str | None) -> list[object]:
    """Groups of ``by`` whose size is masked elsewhere in the report or below the threshold
    among the patients of this analysis (none without suppression)."""
    if by is None or not ctx.policy.enabled:
        return []
    used = ctx.data.loc[ctx.data[_TIME].notna() & ctx.data[_CAUSE].notna(), by]
    sizes = used.dropna().astype(object).value_counts()
    masked = set(ctx.group_masks.get(by, set()))
    return [g for g, n in sizes.items()
            if n < ctx.policy.threshold or str(g) in masked]
